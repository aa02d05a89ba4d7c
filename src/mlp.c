/* The multilayer perceptron: its slab (params | grads | m | v | best carved by a size table), weight
 * initialisation, the forward/backward pass over a batch, the optimizers, the learning-rate
 * schedules, the epoch's row order (shuffled, stratified or class-balanced), and the mini-batch
 * trainer with augmentation, early stopping and learning curves.
 * Every layer goes through the kernel table chosen at start-up (evo_kernels()). All scratch memory,
 * the GEMM's packing buffers included, comes from a caller-owned workspace carved once by
 * evo_mlp_workspace_init, so training and evaluation allocate nothing. */
#include "evotune/mlp.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/kernels.h"
#include "evotune/mem.h"

/* The workspace is one float buffer carved into these regions, in this order. Each layer region
 * holds max_hidden slots of [max_batch, max_width]; y is stored as int32 in the float buffer (both
 * are 4 bytes, and the region is only ever accessed as int32). */
struct ws_layout {
    size_t act;     /* [max_hidden][max_batch, max_width] activation outputs (before dropout) */
    size_t pre;     /* [max_hidden][max_batch, max_width] pre-activations of the activations that
                     * are not fused into the GEMM (unfused(); gelu's backward reads them) */
    size_t drop;    /* [max_hidden][max_batch, max_width] dropout outputs, the next layer's input */
    size_t mask;    /* [max_hidden][max_batch, max_width] dropout masks */
    size_t bnhat;   /* [max_hidden][max_batch, max_width] batch norm's standardised values */
    size_t bninv;   /* [max_hidden][max_width] batch norm's 1 / sqrt(variance + eps) per unit */
    size_t bnacc;   /* [2 max_width] doubles: batch norm's per-unit sums */
    size_t logits;  /* [max_batch, n_out] */
    size_t probs;   /* [max_batch, n_out] */
    size_t grad0;   /* [max_batch, max(max_width, n_out)] ping-pong gradient buffers */
    size_t grad1;
    size_t x;       /* [max_batch, n_in] gathered batch features */
    size_t y;       /* [max_batch] gathered batch labels (int32), or regression targets (float) */
    size_t aug;     /* [2 n_in] augmentation scratch */
    size_t work;    /* GEMM scratch: evo_kernels_work_floats(max_batch, max in, max out) */
    size_t total;
    size_t slot;    /* floats in one [max_batch, max_width] slot */
    size_t width;   /* max_width */
};

/* Floats per region alignment step: every region starts on a 64-byte boundary of the (aligned)
 * buffer, so full vectors of a row never straddle cache lines more than the row width demands. */
#define WS_ALIGN 16

/* Reserves n floats at *off (rounded up to WS_ALIGN) and returns the region's offset; sizes saturate
 * at SIZE_MAX like evo_mem_add. */
static size_t region(size_t *off, size_t n)
{
    size_t at = *off;
    size_t end = evo_mem_add(at, n);
    *off = end > SIZE_MAX - WS_ALIGN ? SIZE_MAX : (end + WS_ALIGN - 1) / WS_ALIGN * WS_ALIGN;
    return at;
}

/* Offsets of the workspace regions, or total SIZE_MAX when the size overflows. */
static struct ws_layout ws_layout(size_t n_in, size_t n_out, size_t max_hidden, size_t max_width,
                                  size_t max_batch)
{
    struct ws_layout L;
    size_t slot = evo_mem_mul(max_batch, max_width);
    slot = slot > SIZE_MAX - WS_ALIGN ? SIZE_MAX : (slot + WS_ALIGN - 1) / WS_ALIGN * WS_ALIGN;
    size_t hid = evo_mem_mul(max_hidden, slot);
    size_t out = evo_mem_mul(max_batch, n_out);
    size_t grad = evo_mem_mul(max_batch, max_width > n_out ? max_width : n_out);
    /* The largest layer bounds every layer's GEMM scratch: the bound grows with each dimension. */
    size_t max_in = n_in > max_width ? n_in : max_width;
    size_t max_out = n_out > max_width ? n_out : max_width;
    size_t off = 0;
    L.slot = slot;
    L.width = max_width;
    L.act = region(&off, hid);
    L.pre = region(&off, hid);
    L.drop = region(&off, hid);
    L.mask = region(&off, hid);
    L.bnhat = region(&off, hid);
    L.bninv = region(&off, evo_mem_mul(max_hidden, max_width));
    L.bnacc = region(&off, evo_mem_mul(4, max_width));
    L.logits = region(&off, out);
    L.probs = region(&off, out);
    L.grad0 = region(&off, grad);
    L.grad1 = region(&off, grad);
    L.x = region(&off, evo_mem_mul(max_batch, n_in));
    L.y = region(&off, max_batch);
    L.aug = region(&off, evo_mem_mul(2, n_in));
    L.work = region(&off, evo_kernels_work_floats(max_batch, max_in, max_out));
    L.total = off;
    return L;
}

/* Bytes of the float buffer: one alignment step more than the layout needs lets buf start on a
 * 64-byte boundary inside the allocation. */
static size_t ws_float_bytes(const struct ws_layout *L)
{
    return evo_mem_mul(evo_mem_add(L->total, WS_ALIGN), sizeof(float));
}

/* Bytes of the index allocation: order and by_class [n_rows] each, six per-class arrays [n_out + 1],
 * the metrics' counters [3 n_out] and the uint64 keys [n_out]. */
static size_t ws_index_bytes(size_t n_out, size_t n_rows)
{
    size_t n_idx = evo_mem_add(evo_mem_add(evo_mem_mul(2, n_rows), evo_mem_mul(6, evo_mem_add(n_out, 1))),
                               evo_mem_mul(3, n_out));
    return evo_mem_add(evo_mem_mul(n_out, sizeof(uint64_t)), evo_mem_mul(n_idx, sizeof(size_t)));
}

size_t evo_mlp_workspace_bytes(size_t n_in, size_t n_out, size_t max_hidden, size_t max_width,
                               size_t max_batch, size_t n_rows)
{
    struct ws_layout L = ws_layout(n_in, n_out, max_hidden, max_width, max_batch);
    return evo_mem_add(ws_float_bytes(&L), ws_index_bytes(n_out, n_rows));
}

void evo_mlp_workspace_init(struct evo_mlp_workspace *ws, size_t n_in, size_t n_out, size_t max_hidden,
                            size_t max_width, size_t max_batch, size_t n_rows)
{
    struct ws_layout L = ws_layout(n_in, n_out, max_hidden, max_width, max_batch);
    /* An overflowing size is as unsatisfiable as a huge one: the allocator aborts with it. Callers
     * with user-controlled limits check evo_mlp_workspace_bytes first. */
    ws->alloc = evo_mem_alloc(ws_float_bytes(&L));
    uintptr_t a = (uintptr_t)ws->alloc;
    ws->buf = (float *)(void *)((a + 63) & ~(uintptr_t)63);
    ws->n_floats = L.total;
    /* The index arrays share one allocation: order and by_class, then the per-class arrays; the
     * uint64 keys go first so that they are aligned whatever size_t is. */
    size_t C1 = evo_mem_add(n_out, 1);
    char *idx = evo_mem_alloc(ws_index_bytes(n_out, n_rows));
    ws->class_key = (uint64_t *)(void *)idx;
    ws->order = (size_t *)(void *)(idx + n_out * sizeof(uint64_t));
    ws->by_class = ws->order + n_rows;
    ws->class_start = ws->by_class + n_rows;
    ws->class_next = ws->class_start + C1;
    ws->class_target = ws->class_next + C1;
    ws->class_extra = ws->class_target + C1;
    ws->class_list = ws->class_extra + C1;
    ws->class_quota = ws->class_list + C1;
    ws->class_counts = ws->class_quota + C1;
    ws->n_rows = n_rows;
    ws->n_in = n_in;
    ws->n_out = n_out;
    ws->max_hidden = max_hidden;
    ws->max_width = max_width;
    ws->max_batch = max_batch;
}

void evo_mlp_workspace_release(struct evo_mlp_workspace *ws)
{
    free(ws->alloc);
    free(ws->class_key); /* the index allocation */
    memset(ws, 0, sizeof *ws);
}

static struct ws_layout ws_layout_of(const struct evo_mlp_workspace *ws)
{
    return ws_layout(ws->n_in, ws->n_out, ws->max_hidden, ws->max_width, ws->max_batch);
}

static size_t layer_in(const struct evo_mlp_arch *a, size_t l)
{
    return l == 0 ? a->n_in : a->hidden[l - 1];
}

static size_t layer_out(const struct evo_mlp_arch *a, size_t l)
{
    return l == a->n_hidden ? a->n_out : a->hidden[l];
}

/* The activations by_activation initialises like relu (He). */
static int relu_family(int act)
{
    return act == EVO_ACT_RELU || act == EVO_ACT_LEAKY_RELU || act == EVO_ACT_ELU || act == EVO_ACT_GELU;
}

/* Activations the GEMM does not fuse (kernels.h): the ones with a parameter or whose backward needs
 * the pre-activation. For them the GEMM stores the pre-activation and activation_forward follows;
 * relu, tanh and sigmoid keep the fused store, so their results are what they were. */
static int unfused(int act)
{
    return act == EVO_ACT_LEAKY_RELU || act == EVO_ACT_ELU || act == EVO_ACT_GELU;
}

/* Arrays of n_params floats in the slab: params, grads, m, v, best. */
#define SLAB_ARRAYS 5

/* Points params, grads, m, v and best into the slab. */
static void carve(struct evo_mlp *net)
{
    net->params = net->slab;
    net->grads = net->slab + net->n_params;
    net->m = net->slab + 2 * net->n_params;
    net->v = net->slab + 3 * net->n_params;
    net->best = net->slab + 4 * net->n_params;
}

/* The size table of the slab: the parameter count, SIZE_MAX when it overflows, and when net is not
 * NULL the offsets of each layer's arrays in params (net->w_off, b_off, bn_off, stat_off). arch is
 * valid. */
static size_t slab_table(const struct evo_mlp_arch *arch, struct evo_mlp *net)
{
    size_t n = 0;
    for (size_t l = 0; l <= arch->n_hidden; l++) {
        size_t in = layer_in(arch, l), out = layer_out(arch, l);
        size_t bn = arch->batch_norm && l < arch->n_hidden ? evo_mem_mul(2, out) : 0;
        size_t at[4];
        at[0] = n;
        n = evo_mem_add(n, evo_mem_mul(in, out)); /* weights */
        at[1] = n;
        n = evo_mem_add(n, out);                  /* biases */
        at[2] = n;
        n = evo_mem_add(n, bn);                   /* gamma, beta */
        at[3] = n;
        n = evo_mem_add(n, bn);                   /* running mean, variance */
        if (net) {
            net->w_off[l] = at[0];
            net->b_off[l] = at[1];
            net->bn_off[l] = at[2];
            net->stat_off[l] = at[3];
        }
    }
    return n;
}

int evo_mlp_size(const struct evo_mlp_arch *arch, size_t *n_params, size_t *bytes, struct evo_error *err)
{
    *n_params = *bytes = 0;
    if (arch->n_in == 0 || arch->n_out == 0)
        return evo_error_set(err, EVO_ERUNTIME, "network needs at least one input and one output");
    if (arch->n_hidden > EVO_MLP_MAX_HIDDEN)
        return evo_error_set(err, EVO_ERUNTIME, "%zu hidden layers, at most %d allowed", arch->n_hidden,
                             EVO_MLP_MAX_HIDDEN);
    if (arch->activation < 0 || arch->activation >= EVO_ACT_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown activation %d", arch->activation);
    if (arch->batch_norm != 0 && arch->batch_norm != 1)
        return evo_error_set(err, EVO_ERUNTIME, "batch_norm %d is neither 0 nor 1", arch->batch_norm);
    if (arch->init < 0 || arch->init >= EVO_INIT_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown weight initialisation %d", arch->init);
    if (arch->loss < 0 || arch->loss >= EVO_LOSS_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown loss %d", arch->loss);
    if (arch->regression && (arch->loss != EVO_LOSS_MSE || arch->n_out != 1))
        return evo_error_set(err, EVO_ERUNTIME, "a regression network has one output and the mse loss, "
                             "not %zu outputs and %s", arch->n_out, evo_mlp_loss_name(arch->loss));
    /* a negative slope would make the output's sign, which the backward pass reads, not the input's */
    if (arch->activation == EVO_ACT_LEAKY_RELU && !(arch->leaky_slope >= 0.0 && arch->leaky_slope <= 1.0))
        return evo_error_set(err, EVO_ERUNTIME, "leaky_relu slope %g outside [0, 1]", arch->leaky_slope);
    for (size_t h = 0; h < arch->n_hidden; h++)
        if (arch->hidden[h] == 0)
            return evo_error_set(err, EVO_ERUNTIME, "hidden layer %zu has no units", h);
    *n_params = slab_table(arch, NULL);
    *bytes = evo_mem_mul(evo_mem_mul(*n_params, SLAB_ARRAYS), sizeof(float));
    if (*bytes == SIZE_MAX)
        *n_params = SIZE_MAX;
    return EVO_OK;
}

int evo_mlp_init(struct evo_mlp *net, const struct evo_mlp_arch *arch_in, struct evo_rng *rng,
                 struct evo_error *err)
{
    const struct evo_mlp_arch copy = *arch_in; /* arch_in may point into net, which is zeroed next */
    const struct evo_mlp_arch *arch = &copy;
    memset(net, 0, sizeof *net);
    size_t n, bytes;
    int rc = evo_mlp_size(arch, &n, &bytes, err);
    if (rc)
        return rc;
    if (bytes == SIZE_MAX)
        return evo_error_set(err, EVO_ERUNTIME, "network size overflows");
    slab_table(arch, net);
    net->arch = *arch;
    net->n_layers = arch->n_hidden + 1;
    net->n_params = n;
    net->slab = evo_mem_calloc(SLAB_ARRAYS * n, sizeof(float)); /* bytes checked above */
    carve(net);

    for (size_t l = 0; l < net->n_layers; l++) {
        size_t in = layer_in(arch, l), out = layer_out(arch, l);
        double he = sqrt(2.0 / (double)in), xavier = sqrt(2.0 / (double)(in + out));
        double std; /* of the normal, or of the uniform U(-sqrt(3) std, sqrt(3) std) */
        int uniform = 0;
        switch (arch->init) {
        case EVO_INIT_UNIFORM: std = 0.05 / sqrt(3.0); uniform = 1; break;
        case EVO_INIT_NORMAL: std = 0.05; break;
        case EVO_INIT_XAVIER_UNIFORM: std = xavier; uniform = 1; break;
        case EVO_INIT_XAVIER_NORMAL: std = xavier; break;
        case EVO_INIT_HE_UNIFORM: std = he; uniform = 1; break;
        case EVO_INIT_HE_NORMAL: std = he; break;
        default:
            /* He keeps the variance of relu-like units (which mostly zero or shrink half their
             * inputs) constant through the depth; Xavier does so for the symmetric tanh and
             * sigmoid and for the linear output. */
            std = l < arch->n_hidden && relu_family(arch->activation) ? he : xavier;
            break;
        }
        float *w = net->params + net->w_off[l];
        if (net->stat_off[l] > net->bn_off[l]) { /* gamma and running variance 1 */
            for (size_t j = 0; j < out; j++) {
                net->params[net->bn_off[l] + j] = 1.0f;
                net->params[net->stat_off[l] + out + j] = 1.0f;
            }
        }
        if (uniform) {
            double a = sqrt(3.0) * std;
            for (size_t k = 0; k < in * out; k++)
                w[k] = (float)(a * (2.0 * evo_rng_uniform(rng) - 1.0));
        } else {
            for (size_t k = 0; k < in * out; k++)
                w[k] = (float)(std * evo_rng_normal(rng));
        }
    }
    return EVO_OK;
}

void evo_mlp_release(struct evo_mlp *net)
{
    free(net->slab);
    memset(net, 0, sizeof *net);
}

void evo_mlp_clone(struct evo_mlp *dst, const struct evo_mlp *src)
{
    /* dst is treated as uninitialised storage, like evo_mlp_init's; release it first if it owns a
     * slab. */
    *dst = *src;
    if (!src->slab)
        return;
    size_t bytes = SLAB_ARRAYS * src->n_params * sizeof(float); /* checked when src was initialised */
    dst->slab = evo_mem_alloc(bytes);
    memcpy(dst->slab, src->slab, bytes);
    carve(dst);
}

/* Whether a batch of B rows through net fits the workspace's buffers. */
static int fits(const struct evo_mlp *net, const struct evo_mlp_workspace *ws, size_t B)
{
    const struct evo_mlp_arch *a = &net->arch;
    if (!net->slab || B > ws->max_batch || a->n_in > ws->n_in || a->n_out > ws->n_out ||
        a->n_hidden > ws->max_hidden)
        return 0;
    for (size_t h = 0; h < a->n_hidden; h++)
        if (a->hidden[h] > ws->max_width)
            return 0;
    return 1;
}

/* Inverted dropout's mask: 0 with probability p, else 1 / (1 - p), so evaluation needs no rescaling.
 * Draws n uniforms from rng, in index order, so masks depend on the stream only. */
static void dropout_mask(float *mask, size_t n, float p, struct evo_rng *rng)
{
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = evo_rng_uniformf(rng) < p ? 0.0f : keep;
}

/* The regression output's scale: target_std, 1 when unset. */
static double target_scale(const struct evo_mlp_arch *a)
{
    return a->target_std > 0 ? a->target_std : 1.0;
}

static float sigmoidf(float z)
{
    return z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
}

/* The output layer of every loss but cross-entropy (a kernel does that one): from z[B, C] to
 * probs[B, C] (class probabilities; regression: predicted values in target units) and the mean loss
 * against y[B] or, for regression, t[B]. These are O(B C) next to the GEMMs' O(B C width), so they
 * are plain scalar code. Loss in double. */
static double output_forward(const struct evo_kernels *k, const struct evo_mlp_arch *a, float *probs,
                             const float *z, const int32_t *y, const float *t, size_t B)
{
    size_t C = a->n_out;
    double loss = 0.0;
    if (a->regression) {
        double mean = a->target_mean, scale = target_scale(a);
        for (size_t r = 0; r < B; r++) {
            probs[r] = (float)(mean + scale * (double)z[r]);
            if (t) {
                double e = (double)z[r] - ((double)t[r] - mean) / scale;
                loss += e * e;
            }
        }
    } else if (a->loss == EVO_LOSS_BINARY_CROSS_ENTROPY) {
        for (size_t r = 0; r < B; r++) {
            const float *zr = z + r * C;
            float *p = probs + r * C;
            float sum = 0.0f;
            for (size_t c = 0; c < C; c++) {
                /* -t log s(z) - (1 - t) log(1 - s(z)) = softplus(z) - t z, computed stably */
                double zc = zr[c], softplus = zc > 0 ? zc + log1p(exp(-zc)) : log1p(exp(zc));
                loss += softplus - ((size_t)y[r] == c ? zc : 0.0);
                p[c] = sigmoidf(zr[c]);
                sum += p[c];
            }
            float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
            for (size_t c = 0; c < C; c++)
                p[c] = inv > 0.0f ? p[c] * inv : 1.0f / (float)C;
        }
    } else { /* mse on the softmax probabilities: the kernel's softmax, its cross-entropy unused */
        k->softmax_xent_forward(probs, NULL, z, y, B, C);
        for (size_t r = 0; r < B; r++)
            for (size_t c = 0; c < C; c++) {
                double e = (double)probs[r * C + c] - ((size_t)y[r] == c ? 1.0 : 0.0);
                loss += e * e;
            }
    }
    return B ? loss / (double)B : 0.0;
}

/* dz[B, C] of output_forward's mean loss. */
static void output_backward(const struct evo_mlp_arch *a, float *dz, const float *probs, const float *z,
                            const int32_t *y, const float *t, size_t B)
{
    size_t C = a->n_out;
    float inv_b = 1.0f / (float)B;
    if (a->regression) {
        double mean = a->target_mean, scale = target_scale(a);
        for (size_t r = 0; r < B; r++)
            dz[r] = (float)(2.0 * ((double)z[r] - ((double)t[r] - mean) / scale)) * inv_b;
    } else if (a->loss == EVO_LOSS_BINARY_CROSS_ENTROPY) {
        for (size_t r = 0; r < B; r++)
            for (size_t c = 0; c < C; c++)
                dz[r * C + c] = (sigmoidf(z[r * C + c]) - ((size_t)y[r] == c ? 1.0f : 0.0f)) * inv_b;
    } else {
        /* d/dz_j sum_c (p_c - t_c)^2 = 2 p_j ((p_j - t_j) - sum_c (p_c - t_c) p_c) */
        for (size_t r = 0; r < B; r++) {
            const float *p = probs + r * C;
            float dot = 0.0f;
            for (size_t c = 0; c < C; c++)
                dot += (p[c] - ((size_t)y[r] == c ? 1.0f : 0.0f)) * p[c];
            for (size_t c = 0; c < C; c++)
                dz[r * C + c] = 2.0f * p[c] * ((p[c] - ((size_t)y[r] == c ? 1.0f : 0.0f)) - dot) * inv_b;
        }
    }
}

/* Batch norm forward over z[B, out] in place (the dense product, bias included): z becomes
 * gamma zhat + beta. In training (run, the layer's running statistics, not NULL) zhat is standardised
 * with the batch's mean and biased variance, kept in hat with 1 / sqrt(var + eps) in inv for the
 * backward pass, and the running statistics move towards the batch's; in evaluation (run NULL) the
 * running statistics stand in for the batch's. Sums in double, over rows in order. */
static void bn_forward(float *z, float *hat, float *inv, const float *gb, float *run, const float *stat,
                       size_t B, size_t out, double *acc)
{
    const float *gamma = gb, *beta = gb + out;
    if (!run) {
        for (size_t j = 0; j < out; j++)
            inv[j] = (float)(1.0 / sqrt((double)stat[out + j] + EVO_MLP_BN_EPS));
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < out; j++)
                z[b * out + j] = gamma[j] * ((z[b * out + j] - stat[j]) * inv[j]) + beta[j];
        return;
    }
    double *mean = acc, *var = acc + out;
    memset(acc, 0, 2 * out * sizeof *acc);
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < out; j++)
            mean[j] += z[b * out + j];
    for (size_t j = 0; j < out; j++)
        mean[j] /= (double)B;
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < out; j++) {
            double c = z[b * out + j] - mean[j];
            var[j] += c * c;
        }
    const double m = EVO_MLP_BN_MOMENTUM;
    for (size_t j = 0; j < out; j++) {
        double v = var[j] / (double)B, unbiased = B > 1 ? var[j] / (double)(B - 1) : v;
        inv[j] = (float)(1.0 / sqrt(v + EVO_MLP_BN_EPS));
        run[j] = (float)((1.0 - m) * run[j] + m * mean[j]);
        run[out + j] = (float)((1.0 - m) * run[out + j] + m * unbiased);
        var[j] = v;
    }
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < out; j++) {
            float h = (float)(z[b * out + j] - mean[j]) * inv[j];
            hat[b * out + j] = h;
            z[b * out + j] = gamma[j] * h + beta[j];
        }
}

/* Batch norm backward: dy[B, out], the gradient at the layer's output, becomes the gradient at its
 * input z in place; dgb receives d gamma [out] and d beta [out]:
 * dz = gamma inv / B (B dy - sum_b dy - hat sum_b (dy hat)). */
static void bn_backward(float *dy, float *dgb, const float *hat, const float *inv, const float *gb,
                        size_t B, size_t out, double *acc)
{
    double *dgamma = acc, *dbeta = acc + out;
    memset(acc, 0, 2 * out * sizeof *acc);
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < out; j++) {
            dgamma[j] += (double)dy[b * out + j] * hat[b * out + j];
            dbeta[j] += dy[b * out + j];
        }
    for (size_t j = 0; j < out; j++) {
        dgb[j] = (float)dgamma[j];
        dgb[out + j] = (float)dbeta[j];
    }
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < out; j++) {
            double g = (double)gb[j] * inv[j] / (double)B;
            dy[b * out + j] = (float)(g * ((double)B * dy[b * out + j] - dbeta[j] -
                                           (double)hat[b * out + j] * dgamma[j]));
        }
}

/* Forward pass of B rows x[B, n_in] up to probs; returns the mean loss against y (classification) or
 * t (regression; NULL: no loss, 0 returned). Hidden layer h drops with dropout[h] after its activation
 * (dropout NULL: none). Training mode when params_rw is the network's (writable) parameters: batch
 * norm then uses the batch's statistics and updates the running ones; NULL: evaluation. Leaves in
 * `inputs[l]` the input of dense layer l (for the backward pass). */
static double forward(const struct evo_kernels *k, const struct evo_mlp *net, float *params_rw, float *buf,
                      const struct ws_layout *L, const float *x, const int32_t *y, const float *t, size_t B,
                      const double *dropout, struct evo_rng *rng, const float **inputs)
{
    const struct evo_mlp_arch *a = &net->arch;
    float *work = buf + L->work;
    const float *inp = x;
    for (size_t h = 0; h < a->n_hidden; h++) {
        size_t in = layer_in(a, h), out = a->hidden[h];
        float *act = buf + L->act + h * L->slot;
        const float *w = net->params + net->w_off[h], *bias = net->params + net->b_off[h];
        inputs[h] = inp;
        if (a->batch_norm) {
            float *pre = buf + L->pre + h * L->slot;
            k->dense_forward(pre, inp, w, bias, B, in, out, EVO_ACT_IDENTITY, work);
            bn_forward(pre, buf + L->bnhat + h * L->slot, buf + L->bninv + h * L->width,
                       net->params + net->bn_off[h], params_rw ? params_rw + net->stat_off[h] : NULL,
                       net->params + net->stat_off[h], B, out, (double *)(void *)(buf + L->bnacc));
            k->activation_forward(act, pre, B * out, a->activation, (float)a->leaky_slope);
        } else if (unfused(a->activation)) {
            float *pre = buf + L->pre + h * L->slot;
            k->dense_forward(pre, inp, w, bias, B, in, out, EVO_ACT_IDENTITY, work);
            k->activation_forward(act, pre, B * out, a->activation, (float)a->leaky_slope);
        } else {
            /* bias and activation fused into the GEMM's store of each output tile */
            k->dense_forward(act, inp, w, bias, B, in, out, a->activation, work);
        }
        float p = dropout ? (float)dropout[h] : 0.0f;
        if (p > 0.0f) {
            float *drop = buf + L->drop + h * L->slot, *mask = buf + L->mask + h * L->slot;
            dropout_mask(mask, B * out, p, rng);
            k->mul(drop, act, mask, B * out);
            inp = drop;
        } else {
            inp = act;
        }
    }
    size_t l = a->n_hidden;
    inputs[l] = inp;
    k->dense_forward(buf + L->logits, inp, net->params + net->w_off[l], net->params + net->b_off[l], B,
                     layer_in(a, l), a->n_out, EVO_ACT_IDENTITY, work);
    if (a->loss == EVO_LOSS_CROSS_ENTROPY && !a->regression)
        return k->softmax_xent_forward(buf + L->probs, NULL, buf + L->logits, y, B, a->n_out);
    return output_forward(k, a, buf + L->probs, buf + L->logits, y, t, B);
}

static double loss_grad(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                        const int32_t *y, const float *tgt, size_t B, const double *dropout,
                        double weight_decay, struct evo_rng *rng)
{
    const struct evo_mlp_arch *a = &net->arch;
    if (!fits(net, ws, B))
        return NAN; /* rather than write past the workspace; evo_mlp_train reports why */
    const struct evo_kernels *k = evo_kernels();
    struct ws_layout L = ws_layout_of(ws);
    float *buf = ws->buf, *work = buf + L.work;
    const float *inputs[EVO_MLP_MAX_HIDDEN + 1];
    double loss = forward(k, net, net->params, buf, &L, x, y, tgt, B, dropout, rng, inputs);

    memset(net->grads, 0, net->n_params * sizeof(float));
    float *g = buf + L.grad0, *g_next = buf + L.grad1;
    if (a->loss == EVO_LOSS_CROSS_ENTROPY && !a->regression)
        k->softmax_xent_backward(g, buf + L.probs, y, B, a->n_out);
    else
        output_backward(a, g, buf + L.probs, buf + L.logits, y, tgt, B);
    for (size_t l = net->n_layers; l-- > 0;) {
        size_t in = layer_in(a, l), out = layer_out(a, l);
        k->dense_backward_weights(net->grads + net->w_off[l], net->grads + net->b_off[l], g, inputs[l],
                                  B, in, out, work);
        if (l == 0)
            break; /* the first layer's input gradient is never used, so never computed */
        k->dense_backward_input(g_next, g, net->params + net->w_off[l], B, in, out, work);
        size_t h = l - 1;
        if (dropout && (float)dropout[h] > 0.0f)
            k->mul(g_next, g_next, buf + L.mask + h * L.slot, B * in);
        k->activation_backward(g_next, g_next, buf + L.act + h * L.slot, buf + L.pre + h * L.slot,
                               B * in, a->activation, (float)a->leaky_slope);
        if (a->batch_norm)
            bn_backward(g_next, net->grads + net->bn_off[h], buf + L.bnhat + h * L.slot,
                        buf + L.bninv + h * L.width, net->params + net->bn_off[h], B, in,
                        (double *)(void *)(buf + L.bnacc));
        float *t = g;
        g = g_next;
        g_next = t;
    }

    /* For gradient checks only: the trainer passes 0 and lets the fused optimizer add the decay. */
    if (weight_decay > 0.0) {
        float wd = (float)weight_decay;
        for (size_t l = 0; l < net->n_layers; l++) {
            size_t n = layer_in(a, l) * layer_out(a, l);
            float *gw = net->grads + net->w_off[l];
            const float *w = net->params + net->w_off[l];
            for (size_t i = 0; i < n; i++)
                gw[i] += wd * w[i];
        }
    }
    return loss;
}

double evo_mlp_loss_grad(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                         const int32_t *y, size_t B, const double *dropout, double weight_decay,
                         struct evo_rng *rng)
{
    if (net->arch.regression)
        return NAN; /* no targets to compare with */
    return loss_grad(net, ws, x, y, NULL, B, dropout, weight_decay, rng);
}

double evo_mlp_loss_grad_regression(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                                    const float *t, size_t B, const double *dropout, double weight_decay,
                                    struct evo_rng *rng)
{
    if (!net->arch.regression)
        return NAN;
    return loss_grad(net, ws, x, NULL, t, B, dropout, weight_decay, rng);
}

/* One fused optimizer pass over params[off, off + n) with decay on that segment. */
static void update_segment(const struct evo_kernels *k, struct evo_mlp *net,
                           const struct evo_train_params *tp, size_t off, size_t n, float lr, float decay,
                           float bc1, float bc2)
{
    float *p = net->params + off, *m = net->m + off, *v = net->v + off;
    const float *g = net->grads + off;
    float b1 = (float)tp->beta1, b2 = (float)tp->beta2, eps = (float)tp->eps;
    switch (tp->optimizer) {
    case EVO_OPT_SGD:
        k->sgd_update(p, g, n, lr, decay);
        break;
    case EVO_OPT_MOMENTUM:
        k->momentum_update(p, g, m, n, lr, (float)tp->momentum, decay);
        break;
    case EVO_OPT_NESTEROV:
        k->nesterov_update(p, g, m, n, lr, (float)tp->momentum, decay);
        break;
    case EVO_OPT_RMSPROP:
        k->rmsprop_update(p, g, v, n, lr, (float)tp->rho, eps, decay);
        break;
    case EVO_OPT_ADAM:
        k->adam_update(p, g, m, v, n, lr, b1, b2, eps, bc1, bc2, decay);
        break;
    case EVO_OPT_ADAMW:
        k->adamw_update(p, g, m, v, n, lr, b1, b2, eps, bc1, bc2, decay);
        break;
    default:
        break;
    }
}

/* g[n] += l1 * sign(w[n]), sign(0) = 0: the L1 penalty's (sub)gradient. A separate pass rather than
 * a term in every fused optimizer kernel of every ISA: it runs only when l1 > 0, so training
 * without it is bit-for-bit what it was. */
static void add_l1(float *g, const float *w, size_t n, float l1)
{
    for (size_t i = 0; i < n; i++)
        g[i] += w[i] > 0.0f ? l1 : w[i] < 0.0f ? -l1 : 0.0f;
}

/* Scales each column j of w[in, out] (unit j's incoming weights) whose Euclidean norm exceeds
 * max_norm down to norm max_norm. Norms in double; the columns are read with stride `out` rather than
 * through a scratch row of sums, so the update needs no workspace. */
static void cap_norms(float *w, size_t in, size_t out, double max_norm)
{
    for (size_t j = 0; j < out; j++) {
        double ss = 0.0;
        for (size_t i = 0; i < in; i++)
            ss += (double)w[i * out + j] * w[i * out + j];
        double norm = sqrt(ss);
        if (norm > max_norm) {
            float f = (float)(max_norm / norm);
            for (size_t i = 0; i < in; i++)
                w[i * out + j] *= f;
        }
    }
}

void evo_mlp_update(struct evo_mlp *net, const struct evo_train_params *tp, double lr)
{
    const struct evo_kernels *k = evo_kernels();
    net->step++;
    /* Bias corrections in double: beta2^t stays distinguishable from 1 for many more steps. */
    float bc1 = 1.0f, bc2 = 1.0f;
    if (tp->optimizer == EVO_OPT_ADAM || tp->optimizer == EVO_OPT_ADAMW) {
        bc1 = (float)(1.0 - pow(tp->beta1, (double)net->step));
        bc2 = (float)(1.0 - pow(tp->beta2, (double)net->step));
    }
    float wd = (float)tp->weight_decay, flr = (float)lr;
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t n_w = net->b_off[l] - net->w_off[l];
        size_t n_b = net->stat_off[l] - net->b_off[l]; /* biases, and batch norm's gamma and beta */
        if (tp->l1 > 0.0)
            add_l1(net->grads + net->w_off[l], net->params + net->w_off[l], n_w, (float)tp->l1);
        update_segment(k, net, tp, net->w_off[l], n_w, flr, wd, bc1, bc2);
        update_segment(k, net, tp, net->b_off[l], n_b, flr, 0.0f, bc1, bc2);
    }
    if (tp->max_norm > 0.0)
        for (size_t l = 0; l < net->arch.n_hidden; l++)
            cap_norms(net->params + net->w_off[l], layer_in(&net->arch, l), net->arch.hidden[l],
                      tp->max_norm);
}

/* ---- learning-rate schedules ---- */

/* Rate of epoch e of the schedules that depend on the epoch alone (all but plateau). */
static double lr_at(const struct evo_train_params *tp, int e)
{
    double lr = tp->learning_rate, floor_ = fmin(tp->lr_min, lr);
    const double pi = 3.14159265358979323846;
    switch (tp->lr_schedule) {
    case EVO_LR_STEP: {
        int every = tp->lr_step_epochs > 0 ? tp->lr_step_epochs : 1;
        return fmax(floor_, lr * pow(tp->lr_decay, (double)(e / every)));
    }
    case EVO_LR_EXPONENTIAL:
        return fmax(floor_, lr * pow(tp->lr_decay, (double)e));
    case EVO_LR_WARMUP: {
        int w = tp->lr_warmup_epochs > 0 ? tp->lr_warmup_epochs : 0;
        if (e < w)
            return lr * (double)(e + 1) / (double)(w + 1);
        int span = tp->epochs - w;
        return span > 0 ? floor_ + (lr - floor_) * 0.5 * (1.0 + cos(pi * (double)(e - w) / (double)span)) : lr;
    }
    case EVO_LR_COSINE:
        return tp->epochs > 0 ? floor_ + (lr - floor_) * 0.5 * (1.0 + cos(pi * (double)e / (double)tp->epochs))
                              : lr;
    default: /* constant; plateau starts from lr */
        return lr;
    }
}

void evo_mlp_lr_init(struct evo_mlp_lr *s, const struct evo_train_params *tp)
{
    s->epoch = 0;
    s->best = INFINITY;
    s->wait = 0;
    s->lr = lr_at(tp, 0);
}

void evo_mlp_lr_next(struct evo_mlp_lr *s, const struct evo_train_params *tp, double val_loss)
{
    s->epoch++;
    if (tp->lr_schedule != EVO_LR_PLATEAU) {
        s->lr = lr_at(tp, s->epoch);
        return;
    }
    /* "improved" as for early stopping, so one min_delta serves both */
    if (val_loss < s->best - tp->min_delta) {
        s->best = val_loss;
        s->wait = 0;
    } else if (++s->wait >= (tp->lr_plateau_patience > 0 ? tp->lr_plateau_patience : 1)) {
        s->lr = fmax(fmin(tp->lr_min, tp->learning_rate), s->lr * tp->lr_decay);
        s->wait = 0;
    }
}

/* Checks that net and the data fit the workspace and that tp is usable. */
/* ---- the epoch's row order ---- */

/* Groups the rows of train by class into ws->by_class (stable), class c at
 * [class_start[c], class_start[c + 1]), and shuffles each group. */
static void group_by_class(struct evo_mlp_workspace *ws, const struct evo_dataset *train, size_t C,
                           struct evo_rng *rng)
{
    size_t *start = ws->class_start, *next = ws->class_next;
    memset(start, 0, (C + 1) * sizeof *start);
    for (size_t i = 0; i < train->n; i++)
        start[(size_t)train->y[i] + 1]++;
    for (size_t c = 0; c < C; c++)
        start[c + 1] += start[c];
    memcpy(next, start, C * sizeof *next);
    for (size_t i = 0; i < train->n; i++)
        ws->by_class[next[(size_t)train->y[i]]++] = i;
    for (size_t c = 0; c < C; c++) {
        evo_rng_shuffle(rng, ws->by_class + start[c], start[c + 1] - start[c]);
        next[c] = start[c];
    }
}

/* The next row of class c: its group in order; when `cycle`, used-up groups are reshuffled and
 * taken again (balanced selection may need more rows of a class than it has). */
static size_t take_row(struct evo_mlp_workspace *ws, size_t c, int cycle, struct evo_rng *rng)
{
    size_t lo = ws->class_start[c], hi = ws->class_start[c + 1];
    if (ws->class_next[c] == hi && cycle) {
        evo_rng_shuffle(rng, ws->by_class + lo, hi - lo);
        ws->class_next[c] = lo;
    }
    return ws->by_class[ws->class_next[c]++];
}

static void sift_down(uint64_t *k, size_t i, size_t n)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && k[l] < k[m])
            m = l;
        if (r < n && k[r] < k[m])
            m = r;
        if (m == i)
            return;
        uint64_t t = k[i];
        k[i] = k[m];
        k[m] = t;
        i = m;
    }
}

/* Sorts k[0..n) in descending order: heapsort, in place (qsort may allocate). */
static void sort_descending(uint64_t *k, size_t n)
{
    for (size_t i = n / 2; i-- > 0;) /* a min-heap, whose minimum then goes to the end */
        sift_down(k, i, n);
    for (size_t end = n; end > 1;) {
        uint64_t t = k[0];
        k[0] = k[--end];
        k[end] = t;
        sift_down(k, 0, end);
    }
}

/* Lays out an epoch of n = sum(target) rows, target[c] of class c, in batches of bs so that batch k
 * (B rows) holds floor(B target[c] / n) rows of class c plus at most one more. The "one more"s form
 * a 0/1 matrix (batches x classes) with known row sums (the batch's shortfall) and column sums (the
 * class's total shortfall over the epoch); filling each batch's with the classes of largest
 * remaining column sums is Ryser's construction, which succeeds whenever such a matrix exists, and
 * one does (a matrix whose rows and columns sum to integers can be rounded entry-wise, floor or ceil,
 * keeping those sums). Products B * target[c] assume fewer than 2^47 rows, the sort keys fewer than
 * 2^24 classes. */
static void interleave(struct evo_mlp_workspace *ws, size_t n, size_t bs, size_t C, int cycle,
                       struct evo_rng *rng)
{
    const size_t *target = ws->class_target;
    size_t *extra = ws->class_extra, *left = ws->class_list, *quota = ws->class_quota;
    uint64_t *key = ws->class_key;
    size_t full = n / bs, last = n % bs;
    for (size_t c = 0; c < C; c++) {
        extra[c] = target[c] - full * (bs * target[c] / n) - last * target[c] / n;
        left[c] = target[c];
    }
    size_t pos = 0;
    for (size_t start = 0; start < n; start += bs) {
        size_t B = n - start < bs ? n - start : bs, placed = 0, nk = 0;
        for (size_t c = 0; c < C; c++)
            placed += B * target[c] / n;
        /* classes by remaining shortfall, largest first, lower index first among equals */
        for (size_t c = 0; c < C; c++)
            if (extra[c] > 0)
                key[nk++] = ((uint64_t)extra[c] << 24) | (uint64_t)(0xffffff - c);
        sort_descending(key, nk);
        for (size_t c = 0; c < C; c++)
            quota[c] = B * target[c] / n;
        for (size_t i = 0; i < B - placed && i < nk; i++) {
            size_t c = 0xffffff - (size_t)(key[i] & 0xffffff);
            quota[c]++;
            extra[c]--;
        }
        for (size_t c = 0; c < C; c++) {
            size_t q = quota[c] < left[c] ? quota[c] : left[c];
            for (size_t r = 0; r < q; r++)
                ws->order[pos++] = take_row(ws, c, cycle, rng);
            left[c] -= q;
        }
        /* Never reached when the construction holds; keeps the epoch whole if it did not. */
        for (size_t c = 0; c < C && pos < start + B; c++)
            for (; left[c] > 0 && pos < start + B; left[c]--)
                ws->order[pos++] = take_row(ws, c, cycle, rng);
    }
}

void evo_mlp_epoch_order(struct evo_mlp_workspace *ws, int selection, const struct evo_dataset *train,
                         size_t batch_size, struct evo_rng *rng)
{
    size_t n = train->n;
    if (train->target || (selection != EVO_BATCH_STRATIFIED && selection != EVO_BATCH_BALANCED)) {
        for (size_t k = 0; k < n; k++)
            ws->order[k] = k;
        evo_rng_shuffle(rng, ws->order, n);
        return;
    }
    size_t C = ws->n_out;
    group_by_class(ws, train, C, rng);
    if (selection == EVO_BATCH_STRATIFIED) {
        for (size_t c = 0; c < C; c++)
            ws->class_target[c] = ws->class_start[c + 1] - ws->class_start[c];
    } else {
        /* n / C' rows of each class present; the remainder to a random few, one each */
        size_t present = 0;
        for (size_t c = 0; c < C; c++)
            if (ws->class_start[c + 1] > ws->class_start[c])
                ws->class_list[present++] = c;
        evo_rng_shuffle(rng, ws->class_list, present);
        for (size_t c = 0; c < C; c++)
            ws->class_target[c] = 0;
        for (size_t k = 0; k < present; k++)
            ws->class_target[ws->class_list[k]] = n / present + (k < n % present);
    }
    interleave(ws, n, batch_size, C, selection == EVO_BATCH_BALANCED, rng);
}

static int check_train(const struct evo_mlp *net, const struct evo_mlp_workspace *ws,
                       const struct evo_train_params *tp, const struct evo_dataset *train,
                       const struct evo_dataset *validation, struct evo_error *err)
{
    const struct evo_mlp_arch *a = &net->arch;
    if (!net->slab)
        return evo_error_set(err, EVO_ERUNTIME, "network is not initialised");
    if (tp->batch_size == 0 || tp->batch_size > ws->max_batch)
        return evo_error_set(err, EVO_ERUNTIME, "batch size %zu outside [1, %zu] of the workspace",
                             tp->batch_size, ws->max_batch);
    if (a->n_in > ws->n_in || a->n_out > ws->n_out || a->n_hidden > ws->max_hidden)
        return evo_error_set(err, EVO_ERUNTIME,
                             "network (%zu inputs, %zu outputs, %zu hidden layers) exceeds the "
                             "workspace (%zu, %zu, %zu)",
                             a->n_in, a->n_out, a->n_hidden, ws->n_in, ws->n_out, ws->max_hidden);
    for (size_t h = 0; h < a->n_hidden; h++)
        if (a->hidden[h] > ws->max_width)
            return evo_error_set(err, EVO_ERUNTIME,
                                 "hidden layer %zu has %zu units, the workspace at most %zu", h,
                                 a->hidden[h], ws->max_width);
    if (train->n == 0 || train->n > ws->n_rows)
        return evo_error_set(err, EVO_ERUNTIME, "training set of %zu rows outside [1, %zu] of the workspace",
                             train->n, ws->n_rows);
    if (train->d != a->n_in || (validation && validation->d != a->n_in))
        return evo_error_set(err, EVO_ERUNTIME, "data set has %zu features, the network %zu inputs",
                             train->d != a->n_in ? train->d : validation->d, a->n_in);
    if (train->n_classes > 0 && (size_t)train->n_classes > a->n_out)
        return evo_error_set(err, EVO_ERUNTIME, "data set has %d classes, the network %zu outputs",
                             train->n_classes, a->n_out);
    if (tp->optimizer < 0 || tp->optimizer >= EVO_OPT_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown optimizer %d", tp->optimizer);
    if (!(tp->dropout >= 0.0 && tp->dropout < 1.0))
        return evo_error_set(err, EVO_ERUNTIME, "dropout %g outside [0, 1)", tp->dropout);
    for (size_t h = 0; tp->dropout_per_layer && h < a->n_hidden; h++)
        if (!(tp->layer_dropout[h] >= 0.0 && tp->layer_dropout[h] < 1.0))
            return evo_error_set(err, EVO_ERUNTIME, "dropout of hidden layer %zu, %g, outside [0, 1)",
                                 h + 1, tp->layer_dropout[h]);
    if (!(tp->l1 >= 0.0) || !(tp->max_norm >= 0.0))
        return evo_error_set(err, EVO_ERUNTIME, "l1 %g and max_norm %g must be >= 0", tp->l1,
                             tp->max_norm);
    if (tp->epochs < 0)
        return evo_error_set(err, EVO_ERUNTIME, "negative epoch count %d", tp->epochs);
    if (tp->lr_schedule < 0 || tp->lr_schedule >= EVO_LR_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown learning-rate schedule %d", tp->lr_schedule);
    if (tp->batch_selection < 0 || tp->batch_selection >= EVO_BATCH_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown batch selection %d", tp->batch_selection);
    const struct evo_augment_params *g = &tp->augment;
    if (g->translate < 0 || !(g->rotate >= 0) || !(g->scale >= 0 && g->scale < 1) || !(g->noise >= 0))
        return evo_error_set(err, EVO_ERUNTIME,
                             "augmentation ranges must be >= 0 (scale < 1): translate %d, rotate %g, "
                             "scale %g, noise %g", g->translate, g->rotate, g->scale, g->noise);
    if (a->regression != (train->target != NULL) || (validation && a->regression != (validation->target != NULL)))
        return evo_error_set(err, EVO_ERUNTIME, "a %s network cannot train on %s data",
                             a->regression ? "regression" : "classification",
                             a->regression ? "classification" : "regression");
    if (tp->fitness < 0 || tp->fitness >= EVO_FITNESS_COUNT)
        return evo_error_set(err, EVO_ERUNTIME, "unknown fitness %d", tp->fitness);
    if (tp->batch_selection != EVO_BATCH_SHUFFLE && !train->target)
        for (size_t i = 0; i < train->n; i++)
            if (train->y[i] < 0 || (size_t)train->y[i] >= ws->n_out)
                return evo_error_set(err, EVO_ERUNTIME, "row %zu has label %d, outside the %zu classes",
                                     i, (int)train->y[i], ws->n_out);
    return EVO_OK;
}

static int params_finite(const struct evo_mlp *net)
{
    for (size_t k = 0; k < net->n_params; k++)
        if (!isfinite(net->params[k]))
            return 0;
    return 1;
}

/* One epoch over train in a fresh order at rate lr; returns the mean loss, or the first non-finite
 * batch loss (training stops there). */
static double train_epoch(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                          const struct evo_dataset *train, double lr, struct evo_rng *rng)
{
    struct ws_layout L = ws_layout_of(ws);
    float *bx = ws->buf + L.x;
    int32_t *by = (int32_t *)(ws->buf + L.y);
    float *bt = ws->buf + L.y; /* regression: the same region holds float targets */
    size_t n = train->n, d = train->d, bs = tp->batch_size;
    evo_mlp_epoch_order(ws, tp->batch_selection, train, bs, rng);
    /* Only image sets are augmented, and only when some range is non-zero: otherwise not a single
     * extra draw, so such training is what it was before augmentation existed. */
    size_t ih = train->image_h, iw = train->image_w;
    int augment = ih > 0 && iw > 0 && ih * iw == d && evo_augment_active(&tp->augment);
    double dropout[EVO_MLP_MAX_HIDDEN];
    for (size_t h = 0; h < EVO_MLP_MAX_HIDDEN; h++)
        dropout[h] = tp->dropout_per_layer ? tp->layer_dropout[h] : tp->dropout;
    double sum = 0.0;
    for (size_t start = 0; start < n; start += bs) {
        size_t B = n - start < bs ? n - start : bs;
        evo_data_rows(train, ws->order + start, B, 0, bx);
        for (size_t r = 0; r < B; r++) {
            size_t row = ws->order[start + r];
            if (train->target)
                bt[r] = train->target[row];
            else
                by[r] = train->y[row];
        }
        for (size_t r = 0; augment && r < B; r++)
            evo_augment_image(bx + r * d, ih, iw, &tp->augment, tp->feature_mean, tp->feature_std,
                              ws->buf + L.aug, rng);
        /* the next batch's rows, loading while this batch computes */
        size_t next = start + bs < n ? start + bs : n, next_end = next + bs < n ? next + bs : n;
        evo_data_prefetch(train, ws->order + next, next_end - next);
        /* weight decay is applied by the fused optimizer pass, not added to the gradient */
        double loss = loss_grad(net, ws, bx, train->target ? NULL : by, train->target ? bt : NULL, B,
                                dropout, 0.0, rng);
        if (!isfinite(loss))
            return loss;
        sum += loss * (double)B;
        evo_mlp_update(net, tp, lr);
    }
    return sum / (double)n;
}

static int train_body(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                  const struct evo_dataset *train, const struct evo_dataset *validation,
                  struct evo_rng *rng, struct evo_train_result *res, struct evo_error *err)
{
    memset(res, 0, sizeof *res);
    int rc = check_train(net, ws, tp, train, validation, err);
    if (rc != EVO_OK)
        return rc;

    /* The validation set is scored after every epoch only when something reads the score. */
    int every_epoch = tp->curve || tp->early_stopping || tp->lr_schedule == EVO_LR_PLATEAU;
    int patience = tp->patience > 0 ? tp->patience : 1, wait = 0, best_e = -1;
    double best_loss = INFINITY, best_train = NAN;
    struct evo_metrics val, best_val;
    evo_metrics_nan(&val);
    evo_metrics_nan(&best_val);
    int evaluated = 0; /* val holds the metrics of the current parameters */
    struct evo_mlp_lr sched;
    evo_mlp_lr_init(&sched, tp);
    res->status = EVO_TRAIN_OK;
    for (int e = 0; e < tp->epochs; e++) {
        if (tp->cancel && atomic_load_explicit(tp->cancel, memory_order_relaxed)) {
            res->cancelled = 1;
            return EVO_OK;
        }
        double loss = train_epoch(net, ws, tp, train, sched.lr, rng);
        res->train_loss = loss;
        res->epochs_run = e + 1;
        res->best_epoch = e;
        evaluated = 0;
        if (!isfinite(loss)) {
            if (tp->curve)
                tp->curve[e] = (struct evo_epoch_metrics){loss, NAN, NAN};
            res->status = EVO_TRAIN_DIVERGED;
            break;
        }
        if (every_epoch) {
            if (validation) {
                evo_mlp_evaluate(net, ws, validation, &val);
                evaluated = 1;
            }
            if (tp->curve)
                tp->curve[e] = (struct evo_epoch_metrics){
                    loss, val.loss, validation ? evo_metrics_fitness(&val, tp->fitness) : NAN};
        }
        if (tp->early_stopping && validation) {
            if (val.loss < best_loss - tp->min_delta) {
                best_loss = val.loss;
                best_train = loss;
                best_val = val;
                best_e = e;
                memcpy(net->best, net->params, net->n_params * sizeof(float));
                wait = 0;
            } else if (++wait >= patience) {
                break;
            }
        }
        evo_mlp_lr_next(&sched, tp, val.loss);
    }
    if (res->status == EVO_TRAIN_OK && best_e >= 0) {
        /* restore the best epoch (no-op copy when it is the last); its scores are known, so no
         * evaluation is needed */
        memcpy(net->params, net->best, net->n_params * sizeof(float));
        res->best_epoch = best_e;
        res->train_loss = best_train;
        val = best_val;
        evaluated = 1;
    }
    /* The last update can overflow the weights without any batch loss having seen it yet. */
    if (res->status == EVO_TRAIN_OK && !params_finite(net))
        res->status = EVO_TRAIN_DIVERGED;

    if (validation && evaluated)
        res->val = val;
    else if (validation)
        evo_mlp_evaluate(net, ws, validation, &res->val);
    else
        evo_metrics_nan(&res->val);
    return EVO_OK;
}

int evo_mlp_train(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                  const struct evo_dataset *train, const struct evo_dataset *validation,
                  struct evo_rng *rng, struct evo_train_result *res, struct evo_error *err)
{
    unsigned fp = evo_kernels_fp_enter(); /* subnormals flushed: see evo_kernels_fp_enter */
    int rc = train_body(net, ws, tp, train, validation, rng, res, err);
    evo_kernels_fp_leave(fp);
    return rc;
}

void evo_mlp_evaluate(const struct evo_mlp *net, struct evo_mlp_workspace *ws,
                      const struct evo_dataset *ds, struct evo_metrics *m)
{
    const struct evo_mlp_arch *a = &net->arch;
    if (!fits(net, ws, 1) || ws->max_batch == 0 || a->regression != (ds->target != NULL)) {
        evo_metrics_nan(m);
        return;
    }
    struct ws_layout L = ws_layout_of(ws);
    const float *inputs[EVO_MLP_MAX_HIDDEN + 1];
    struct evo_metrics_acc acc;
    evo_metrics_acc_init(&acc, a->regression ? 0 : a->n_out, ws->class_counts);
    /* A float set's rows are used in place; a byte set's are read into the batch buffer. */
    for (size_t start = 0; start < ds->n; start += ws->max_batch) {
        size_t B = ds->n - start < ws->max_batch ? ds->n - start : ws->max_batch;
        const float *t = a->regression ? ds->target + start : NULL;
        const int32_t *y = a->regression ? NULL : ds->y + start;
        const float *x = evo_data_rows(ds, NULL, B, start, ws->buf + L.x);
        double l = forward(evo_kernels(), net, NULL, ws->buf, &L, x, y, t, B, NULL, NULL, inputs);
        if (a->regression)
            evo_metrics_add_values(&acc, ws->buf + L.probs, t, B, l);
        else
            evo_metrics_add_classes(&acc, ws->buf + L.probs, y, B, l);
    }
    /* An empty set has no scores; NaN says so rather than a perfect-looking 0. */
    evo_metrics_finish(&acc, m);
}

void evo_mlp_predict(const struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x, size_t n,
                     float *probs)
{
    size_t n_in = net->arch.n_in, n_out = net->arch.n_out;
    if (!fits(net, ws, 1) || ws->max_batch == 0) {
        for (size_t k = 0; k < n * n_out; k++)
            probs[k] = NAN;
        return;
    }
    struct ws_layout L = ws_layout_of(ws);
    const float *inputs[EVO_MLP_MAX_HIDDEN + 1];
    /* The classification losses want labels; dummy labels 0 give a loss that is discarded. */
    int32_t *y = (int32_t *)(ws->buf + L.y);
    memset(y, 0, ws->max_batch * sizeof *y);
    for (size_t start = 0; start < n; start += ws->max_batch) {
        size_t B = n - start < ws->max_batch ? n - start : ws->max_batch;
        forward(evo_kernels(), net, NULL, ws->buf, &L, x + start * n_in, net->arch.regression ? NULL : y,
                NULL, B, NULL, NULL, inputs);
        memcpy(probs + start * n_out, ws->buf + L.probs, B * n_out * sizeof(float));
    }
}

const char *evo_mlp_loss_name(int loss)
{
    static const char *const names[EVO_LOSS_COUNT] = {"categorical_crossentropy", "binary_crossentropy",
                                                      "mse"};
    return loss >= 0 && loss < EVO_LOSS_COUNT ? names[loss] : "unknown";
}

const char *evo_mlp_optimizer_name(int opt)
{
    static const char *const names[EVO_OPT_COUNT] = {"sgd", "momentum", "adam", "nesterov", "rmsprop",
                                                     "adamw"};
    return opt >= 0 && opt < EVO_OPT_COUNT ? names[opt] : "unknown";
}

const char *evo_mlp_lr_schedule_name(int schedule)
{
    static const char *const names[EVO_LR_COUNT] = {"constant", "step", "exponential", "cosine", "warmup",
                                                    "plateau"};
    return schedule >= 0 && schedule < EVO_LR_COUNT ? names[schedule] : "unknown";
}

const char *evo_mlp_batch_selection_name(int selection)
{
    static const char *const names[EVO_BATCH_COUNT] = {"shuffle", "stratified", "balanced"};
    return selection >= 0 && selection < EVO_BATCH_COUNT ? names[selection] : "unknown";
}

const char *evo_mlp_status_name(int status)
{
    static const char *const names[EVO_TRAIN_STATUS_COUNT] = {"ok", "diverged", "too_large"};
    return status >= 0 && status < EVO_TRAIN_STATUS_COUNT ? names[status] : "unknown";
}
