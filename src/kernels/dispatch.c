/* Kernel dispatch: assembles one table per ISA from the gemm_*, vec_* and conv_* variants, checks
 * what the CPU and OS support (GCC's __builtin_cpu_supports reads cpuid and XCR0), and chooses one
 * table once, honouring EVOTUNE_ISA. */
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif
#include "evotune/mem.h"
#include "impl.h"

#define TABLE(id, sfx)                                                                               \
    {id, #sfx, evo_gemm_forward_##sfx, evo_gemm_backward_weights_##sfx,                              \
     evo_gemm_backward_input_##sfx, evo_vec_activation_forward_##sfx,                                \
     evo_vec_activation_backward_##sfx, evo_vec_softmax_xent_forward_##sfx,                          \
     evo_vec_softmax_xent_backward_##sfx, evo_vec_mul_##sfx, evo_vec_sgd_update_##sfx,               \
     evo_vec_momentum_update_##sfx, evo_vec_adam_update_##sfx, evo_vec_exp_##sfx, evo_vec_tanh_##sfx,   \
     evo_vec_nesterov_update_##sfx, evo_vec_rmsprop_update_##sfx, evo_vec_adamw_update_##sfx,       \
     evo_conv_forward_##sfx, evo_conv_backward_weights_##sfx, evo_conv_backward_input_##sfx,          \
     evo_conv_maxpool2_forward_##sfx, evo_conv_maxpool2_backward_##sfx,                              \
     evo_vec_bytes_standardize_##sfx}

static const struct evo_kernels tables[EVO_ISA_COUNT] = {
    TABLE(EVO_ISA_SCALAR, scalar),
#ifdef EVO_HAVE_X86
    TABLE(EVO_ISA_AVX2, avx2),
    TABLE(EVO_ISA_AVX512, avx512),
#endif
};

static int cpu_supports(int isa)
{
#ifdef EVO_HAVE_X86
    __builtin_cpu_init();
    switch (isa) {
    case EVO_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case EVO_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("fma");
    }
#endif
    return isa == EVO_ISA_SCALAR;
}

const struct evo_kernels *evo_kernels_table(int isa)
{
    if (isa < 0 || isa >= EVO_ISA_COUNT || !tables[isa].name || !cpu_supports(isa))
        return NULL;
    return &tables[isa];
}

/* Set once, before any parallel region, and only read afterwards. */
static const struct evo_kernels *chosen;

static const struct evo_kernels *best_supported(void)
{
    for (int isa = EVO_ISA_COUNT - 1; isa > EVO_ISA_SCALAR; isa--)
        if (evo_kernels_table(isa))
            return evo_kernels_table(isa);
    return &tables[EVO_ISA_SCALAR];
}

int evo_kernels_init(struct evo_error *err)
{
    if (chosen)
        return EVO_OK;
    const char *want = getenv("EVOTUNE_ISA");
    if (!want || !*want) {
        chosen = best_supported();
        return EVO_OK;
    }
    for (int isa = 0; isa < EVO_ISA_COUNT; isa++) {
        if (!tables[isa].name || strcmp(want, tables[isa].name))
            continue;
        if (!evo_kernels_table(isa))
            return evo_error_set(err, EVO_EUSAGE, "EVOTUNE_ISA='%s': this CPU or OS does not support it",
                                 want);
        chosen = &tables[isa];
        return EVO_OK;
    }
    return evo_error_set(err, EVO_EUSAGE, "EVOTUNE_ISA='%s': expected scalar, avx2 or avx512", want);
}

int evo_kernels_force(int isa, struct evo_error *err)
{
    const struct evo_kernels *k = evo_kernels_table(isa);
    if (!k)
        return evo_error_set(err, EVO_EUSAGE, "kernel table '%s': this CPU or OS does not support it",
                             isa >= 0 && isa < EVO_ISA_COUNT && tables[isa].name ? tables[isa].name : "unknown");
    chosen = k;
    return EVO_OK;
}

const struct evo_kernels *evo_kernels(void)
{
    if (!chosen)
        chosen = best_supported();
    return chosen;
}

const char *const evo_kernels_activation_names[EVO_ACT_COUNT + 1] = {"relu", "tanh", "sigmoid", "leaky_relu",
                                                                     "elu", "gelu", NULL};

const char *evo_kernels_activation_name(int act)
{
    return act >= 0 && act < EVO_ACT_COUNT ? evo_kernels_activation_names[act] : "identity";
}

unsigned evo_kernels_fp_enter(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
    return saved;
#else
    return 0;
#endif
}

void evo_kernels_fp_leave(unsigned saved)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(saved);
#else
    (void)saved;
#endif
}
