/* The network: a layer table (conv blocks, dense layers, batch norm, activations, pooling, dropout)
 * built from an architecture, its slab (params | grads | m | v | best carved by the table's size
 * column), weight initialisation, the forward/backward pass over a batch (one forward/backward pair
 * per layer kind), the optimizers, the learning-rate schedules, the epoch's row order (shuffled,
 * stratified or class-balanced), and the mini-batch trainer with augmentation, early stopping and
 * learning curves. Every layer goes through the kernel table chosen at start-up (evo_kernels()). All
 * scratch memory, the kernels' included, comes from a caller-owned workspace carved once by
 * evo_mlp_workspace_init, so training and evaluation allocate nothing. */
#include "evotune/mlp.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/kernels.h"
#include "evotune/mem.h"

/* ---- the layer table ---------------------------------------------------------------------------- */

/* Floats of one row of a layer's output. */
static size_t out_size(const struct evo_layer *l)
{
    return evo_mem_mul(evo_mem_mul(l->oc, l->oh), l->ow);
}

static size_t in_size(const struct evo_layer *l)
{
    return evo_mem_mul(evo_mem_mul(l->c, l->h), l->w);
}

/* The activations by_activation initialises like relu (He). */
static int relu_family(int act)
{
    return act == EVO_ACT_RELU || act == EVO_ACT_LEAKY_RELU || act == EVO_ACT_ELU || act == EVO_ACT_GELU;
}

/* Activations the GEMM does not fuse (kernels.h): the ones with a parameter or whose backward needs
 * the pre-activation. For them the GEMM stores the pre-activation and an activation layer follows;
 * relu, tanh and sigmoid keep the fused store. */
static int unfused(int act)
{
    return act == EVO_ACT_LEAKY_RELU || act == EVO_ACT_ELU || act == EVO_ACT_GELU;
}

/* Appends a layer taking the previous layer's output shape (or the input's) as its input. */
struct builder {
    struct evo_layer *t;
    size_t n;
    size_t c, h, w;  /* the current shape */
    size_t params;   /* parameters so far */
};

static struct evo_layer *push(struct builder *b, int kind)
{
    struct evo_layer *l = &b->t[b->n++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->act = EVO_ACT_IDENTITY;
    l->c = l->oc = b->c;
    l->h = l->oh = b->h;
    l->w = l->ow = b->w;
    l->w_off = l->b_off = b->params;
    l->slot = -1;
    return l;
}

/* Reserves the layer's weights (n_w) then its second array (n_b) in the slab. */
static void reserve(struct builder *b, struct evo_layer *l, size_t n_w, size_t n_b)
{
    l->w_off = b->params;
    l->n_w = n_w;
    l->b_off = evo_mem_add(l->w_off, n_w);
    l->n_b = n_b;
    b->params = evo_mem_add(l->b_off, n_b);
    b->c = l->oc;
    b->h = l->oh;
    b->w = l->ow;
}

/* A hidden block's activation, batch norm and dropout after its product layer p: the activation is
 * fused into p unless batch norm or an unfused activation needs a layer of its own. */
static void block_tail(struct builder *b, struct evo_layer *p, const struct evo_mlp_arch *a, int slot)
{
    if (a->batch_norm) {
        struct evo_layer *bn = push(b, EVO_LAYER_BATCH_NORM);
        reserve(b, bn, evo_mem_mul(2, bn->oc), evo_mem_mul(2, bn->oc));
    }
    if (a->batch_norm || unfused(a->activation))
        push(b, EVO_LAYER_ACTIVATION)->act = a->activation;
    else
        p->act = a->activation;
    (void)slot;
}

static void push_dropout(struct builder *b, int slot)
{
    push(b, EVO_LAYER_DROPOUT)->slot = slot;
}

/* Builds the table of a valid arch into t (at most EVO_MLP_MAX_LAYERS entries) and returns the
 * parameter count, SIZE_MAX when it overflows; *n receives the entries. */
static size_t build_table(const struct evo_mlp_arch *a, struct evo_layer *t, size_t *n)
{
    struct builder b = {t, 0, a->n_in, 1, 1, 0};
    if (a->conv_blocks) {
        b.c = a->image_c;
        b.h = a->image_h;
        b.w = a->image_w;
    }
    for (size_t i = 0; i < a->conv_blocks; i++) {
        struct evo_layer *cv = push(&b, EVO_LAYER_CONV2D);
        cv->oc = a->filters[i];
        cv->k = a->kernel_size;
        reserve(&b, cv, evo_mem_mul(evo_mem_mul(cv->oc, cv->c), evo_mem_mul(cv->k, cv->k)), cv->oc);
        block_tail(&b, cv, a, EVO_MLP_MAX_HIDDEN);
        if (a->pooling == EVO_POOL_MAX) {
            struct evo_layer *pl = push(&b, EVO_LAYER_MAXPOOL2);
            pl->oh = pl->h / 2;
            pl->ow = pl->w / 2;
            b.h = pl->oh;
            b.w = pl->ow;
        }
        push_dropout(&b, EVO_MLP_MAX_HIDDEN);
    }
    for (size_t l = 0; l <= a->n_hidden; l++) {
        size_t in = evo_mem_mul(evo_mem_mul(b.c, b.h), b.w);
        struct evo_layer *d = push(&b, EVO_LAYER_DENSE);
        d->oc = l < a->n_hidden ? a->hidden[l] : a->n_out;
        d->oh = d->ow = 1;
        reserve(&b, d, evo_mem_mul(in, d->oc), d->oc);
        if (l < a->n_hidden) {
            block_tail(&b, d, a, (int)l);
            push_dropout(&b, (int)l);
        }
    }
    *n = b.n;
    return b.params;
}

/* Whether the conv blocks' pooling leaves at least one pixel. */
static int image_survives(const struct evo_mlp_arch *a)
{
    size_t h = a->image_h, w = a->image_w;
    for (size_t i = 0; a->pooling == EVO_POOL_MAX && i < a->conv_blocks; i++) {
        h /= 2;
        w /= 2;
    }
    return h >= 1 && w >= 1;
}

int evo_mlp_image_fits(const struct evo_mlp_arch *arch)
{
    return arch->conv_blocks == 0 || image_survives(arch);
}

/* ---- the workspace ------------------------------------------------------------------------------ */

/* Where one network's scratch lives in a workspace of max_batch rows: one float buffer carved into
 * these regions. y is stored as int32 in the float buffer (both are 4 bytes, and the region is only
 * ever accessed as int32). */
struct ws_layout {
    size_t out[EVO_MLP_MAX_LAYERS]; /* [max_batch, out_size] each layer's output */
    size_t aux[EVO_MLP_MAX_LAYERS]; /* [max_batch, out_size] batch norm's standardised values, a
                                     * dropout's mask */
    size_t inv[EVO_MLP_MAX_LAYERS]; /* [oc] batch norm's 1 / sqrt(variance + eps) per channel */
    size_t bnacc;   /* [2 max channels] doubles (4 floats a channel): batch norm's per-channel sums */
    size_t probs;   /* [max_batch, n_out] */
    size_t grad0;   /* [max_batch, largest layer] ping-pong gradient buffers */
    size_t grad1;
    size_t x;       /* [max_batch, n_in] gathered batch features */
    size_t y;       /* [max_batch] gathered batch labels (int32), or regression targets (float) */
    size_t aug;     /* [2 n_in] augmentation scratch */
    size_t work;    /* the kernels' scratch: the most any layer's GEMM or convolution needs */
    size_t total;   /* SIZE_MAX when the size overflows */
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

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* The regions for table t[n] (n_in inputs, n_out outputs) at batches of max_batch rows. Layers that
 * need no buffer of their own (pooling's aux, a dense layer's aux) get an empty region. */
static void layout(struct ws_layout *L, const struct evo_layer *t, size_t n, size_t n_in, size_t n_out,
                   size_t max_batch)
{
    size_t off = 0, widest = n_out, channels = 0, work = 0;
    for (size_t i = 0; i < n; i++) {
        const struct evo_layer *l = &t[i];
        size_t rows = evo_mem_mul(max_batch, out_size(l));
        int has_aux = l->kind == EVO_LAYER_BATCH_NORM || l->kind == EVO_LAYER_DROPOUT;
        L->out[i] = region(&off, rows);
        L->aux[i] = region(&off, has_aux ? rows : 0);
        L->inv[i] = region(&off, l->kind == EVO_LAYER_BATCH_NORM ? l->oc : 0);
        widest = max_size(widest, max_size(out_size(l), in_size(l)));
        channels = max_size(channels, l->oc);
        if (l->kind == EVO_LAYER_DENSE)
            work = max_size(work, evo_kernels_work_floats(max_batch, in_size(l), l->oc));
        else if (l->kind == EVO_LAYER_CONV2D)
            work = max_size(work, evo_kernels_conv_work_floats(l->c, l->h, l->w, l->oc, l->k));
    }
    L->bnacc = region(&off, evo_mem_mul(4, channels));
    L->probs = region(&off, evo_mem_mul(max_batch, n_out));
    L->grad0 = region(&off, evo_mem_mul(max_batch, widest));
    L->grad1 = region(&off, evo_mem_mul(max_batch, widest));
    L->x = region(&off, evo_mem_mul(max_batch, n_in));
    L->y = region(&off, max_batch);
    L->aug = region(&off, evo_mem_mul(2, n_in));
    L->work = region(&off, work);
    L->total = off;
}

/* The largest network a bound allows, as far as scratch goes: every block with batch norm and an
 * activation layer of its own, and the bound's widths and pooling everywhere. */
static struct evo_mlp_arch worst_case(const struct evo_mlp_arch *bound)
{
    struct evo_mlp_arch a = *bound;
    a.batch_norm = 1;
    a.activation = EVO_ACT_GELU;
    if (a.kernel_size == 0)
        a.kernel_size = 1;
    return a;
}

/* Floats of the buffer a bound needs; SIZE_MAX on overflow. */
static size_t bound_floats(const struct evo_mlp_arch *bound, size_t max_batch)
{
    struct evo_mlp_arch a = worst_case(bound);
    struct evo_layer t[EVO_MLP_MAX_LAYERS];
    size_t n;
    if (a.n_hidden > EVO_MLP_MAX_HIDDEN || a.conv_blocks > EVO_MLP_MAX_CONV)
        return SIZE_MAX;
    build_table(&a, t, &n);
    struct ws_layout L;
    layout(&L, t, n, a.n_in, a.n_out, max_batch);
    return L.total;
}

/* Bytes of the float buffer: one alignment step more than the layout needs lets buf start on a
 * 64-byte boundary inside the allocation. */
static size_t ws_float_bytes(size_t floats)
{
    return evo_mem_mul(evo_mem_add(floats, WS_ALIGN), sizeof(float));
}

/* Bytes of the index allocation: order and by_class [n_rows] each, six per-class arrays [n_out + 1],
 * the metrics' counters [3 n_out] and the uint64 keys [n_out]. */
static size_t ws_index_bytes(size_t n_out, size_t n_rows)
{
    size_t n_idx = evo_mem_add(evo_mem_add(evo_mem_mul(2, n_rows), evo_mem_mul(6, evo_mem_add(n_out, 1))),
                               evo_mem_mul(3, n_out));
    return evo_mem_add(evo_mem_mul(n_out, sizeof(uint64_t)), evo_mem_mul(n_idx, sizeof(size_t)));
}

/* The dense bound of the older signature. */
static struct evo_mlp_arch dense_bound(size_t n_in, size_t n_out, size_t max_hidden, size_t max_width)
{
    struct evo_mlp_arch a = {0};
    a.n_in = n_in;
    a.n_out = n_out;
    a.n_hidden = max_hidden;
    for (size_t h = 0; h < max_hidden && h < EVO_MLP_MAX_HIDDEN; h++)
        a.hidden[h] = max_width;
    return a;
}

size_t evo_mlp_workspace_bytes_for(const struct evo_mlp_arch *bound, size_t max_batch, size_t n_rows)
{
    return evo_mem_add(ws_float_bytes(bound_floats(bound, max_batch)), ws_index_bytes(bound->n_out, n_rows));
}

size_t evo_mlp_workspace_bytes(size_t n_in, size_t n_out, size_t max_hidden, size_t max_width,
                               size_t max_batch, size_t n_rows)
{
    struct evo_mlp_arch a = dense_bound(n_in, n_out, max_hidden, max_width);
    return evo_mlp_workspace_bytes_for(&a, max_batch, n_rows);
}

void evo_mlp_workspace_init_for(struct evo_mlp_workspace *ws, const struct evo_mlp_arch *bound,
                                size_t max_batch, size_t n_rows)
{
    size_t floats = bound_floats(bound, max_batch), n_out = bound->n_out;
    /* An overflowing size is as unsatisfiable as a huge one: the allocator aborts with it. Callers
     * with user-controlled limits check evo_mlp_workspace_bytes_for first. */
    ws->alloc = evo_mem_alloc(ws_float_bytes(floats));
    uintptr_t a = (uintptr_t)ws->alloc;
    ws->buf = (float *)(void *)((a + 63) & ~(uintptr_t)63);
    ws->n_floats = floats;
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
    ws->n_in = bound->n_in;
    ws->n_out = n_out;
    ws->max_batch = max_batch;
}

void evo_mlp_workspace_init(struct evo_mlp_workspace *ws, size_t n_in, size_t n_out, size_t max_hidden,
                            size_t max_width, size_t max_batch, size_t n_rows)
{
    struct evo_mlp_arch a = dense_bound(n_in, n_out, max_hidden, max_width);
    evo_mlp_workspace_init_for(ws, &a, max_batch, n_rows);
}

void evo_mlp_workspace_release(struct evo_mlp_workspace *ws)
{
    free(ws->alloc);
    free(ws->class_key); /* the index allocation */
    memset(ws, 0, sizeof *ws);
}

static void layout_of(struct ws_layout *L, const struct evo_mlp *net, const struct evo_mlp_workspace *ws)
{
    layout(L, net->table, net->n_table, net->arch.n_in, net->arch.n_out, ws->max_batch);
}

/* ---- the slab ----------------------------------------------------------------------------------- */

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

/* Fills the dense views (w_off, b_off, bn_off, stat_off of each dense layer) from the table: a dense
 * layer's batch norm is the entry after it. Without batch norm bn_off = stat_off = the end of the
 * biases. */
static void dense_views(struct evo_mlp *net)
{
    size_t d = 0;
    for (size_t i = 0; i < net->n_table; i++) {
        const struct evo_layer *l = &net->table[i];
        if (l->kind != EVO_LAYER_DENSE)
            continue;
        net->w_off[d] = l->w_off;
        net->b_off[d] = l->b_off;
        net->bn_off[d] = net->stat_off[d] = l->b_off + l->n_b;
        if (i + 1 < net->n_table && net->table[i + 1].kind == EVO_LAYER_BATCH_NORM) {
            net->bn_off[d] = net->table[i + 1].w_off;
            net->stat_off[d] = net->table[i + 1].b_off;
        }
        d++;
    }
    net->n_layers = d;
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
    if (arch->conv_blocks > EVO_MLP_MAX_CONV)
        return evo_error_set(err, EVO_ERUNTIME, "%zu convolutional blocks, at most %d allowed",
                             arch->conv_blocks, EVO_MLP_MAX_CONV);
    if (arch->conv_blocks) {
        if (arch->image_c == 0 || arch->image_h == 0 || arch->image_w == 0 ||
            evo_mem_mul(evo_mem_mul(arch->image_c, arch->image_h), arch->image_w) != arch->n_in)
            return evo_error_set(err, EVO_ERUNTIME, "convolutional blocks need an image input: %zu x %zu x "
                                 "%zu is not the %zu inputs", arch->image_c, arch->image_h, arch->image_w,
                                 arch->n_in);
        if (arch->kernel_size % 2 == 0)
            return evo_error_set(err, EVO_ERUNTIME, "kernel size %zu is not odd", arch->kernel_size);
        if (arch->pooling < 0 || arch->pooling >= EVO_POOL_COUNT)
            return evo_error_set(err, EVO_ERUNTIME, "unknown pooling %d", arch->pooling);
        for (size_t i = 0; i < arch->conv_blocks; i++)
            if (arch->filters[i] == 0)
                return evo_error_set(err, EVO_ERUNTIME, "convolutional block %zu has no filters", i + 1);
        if (!image_survives(arch))
            return evo_error_set(err, EVO_ERUNTIME, "%zu pooled blocks shrink a %zu x %zu image below 1 x 1",
                                 arch->conv_blocks, arch->image_h, arch->image_w);
    }
    struct evo_layer t[EVO_MLP_MAX_LAYERS];
    size_t n;
    *n_params = build_table(arch, t, &n);
    *bytes = evo_mem_mul(evo_mem_mul(*n_params, SLAB_ARRAYS), sizeof(float));
    if (*bytes == SIZE_MAX)
        *n_params = SIZE_MAX;
    return EVO_OK;
}

/* The standard deviation of layer l's initial weights (of the normal, or of the uniform
 * U(-sqrt(3) std, sqrt(3) std)), from its fan-in and fan-out: a filter's fan-in is c k k, its fan-out
 * oc k k, as PyTorch counts them. */
static double init_std(const struct evo_mlp_arch *arch, const struct evo_layer *l, int output, int *uniform)
{
    size_t kk = l->kind == EVO_LAYER_CONV2D ? l->k * l->k : 1;
    double fan_in = (double)(l->kind == EVO_LAYER_CONV2D ? l->c : in_size(l)) * (double)kk;
    double fan_out = (double)l->oc * (double)kk;
    double he = sqrt(2.0 / fan_in), xavier = sqrt(2.0 / (fan_in + fan_out));
    *uniform = 0;
    switch (arch->init) {
    case EVO_INIT_UNIFORM: *uniform = 1; return 0.05 / sqrt(3.0);
    case EVO_INIT_NORMAL: return 0.05;
    case EVO_INIT_XAVIER_UNIFORM: *uniform = 1; return xavier;
    case EVO_INIT_XAVIER_NORMAL: return xavier;
    case EVO_INIT_HE_UNIFORM: *uniform = 1; return he;
    case EVO_INIT_HE_NORMAL: return he;
    default:
        /* He keeps the variance of relu-like units (which mostly zero or shrink half their inputs)
         * constant through the depth; Xavier does so for the symmetric tanh and sigmoid and for the
         * linear output. */
        return !output && relu_family(arch->activation) ? he : xavier;
    }
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
    build_table(arch, net->table, &net->n_table);
    net->arch = *arch;
    net->n_params = n;
    dense_views(net);
    net->slab = evo_mem_calloc(SLAB_ARRAYS * n, sizeof(float)); /* bytes checked above */
    carve(net);

    /* One draw per weight, layer by layer in table order; biases 0; batch norm's gamma and running
     * variance 1. */
    for (size_t i = 0; i < net->n_table; i++) {
        const struct evo_layer *l = &net->table[i];
        if (l->kind == EVO_LAYER_BATCH_NORM) {
            for (size_t j = 0; j < l->oc; j++) {
                net->params[l->w_off + j] = 1.0f;
                net->params[l->b_off + l->oc + j] = 1.0f;
            }
            continue;
        }
        if (l->kind != EVO_LAYER_DENSE && l->kind != EVO_LAYER_CONV2D)
            continue;
        int uniform;
        double std = init_std(arch, l, i + 1 == net->n_table, &uniform);
        float *w = net->params + l->w_off;
        if (uniform) {
            double a = sqrt(3.0) * std;
            for (size_t k = 0; k < l->n_w; k++)
                w[k] = (float)(a * (2.0 * evo_rng_uniform(rng) - 1.0));
        } else {
            for (size_t k = 0; k < l->n_w; k++)
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
    if (!net->slab || !ws->buf || B > ws->max_batch || net->arch.n_out > ws->n_out)
        return 0;
    struct ws_layout L;
    layout_of(&L, net, ws);
    return L.total <= ws->n_floats;
}

size_t evo_mlp_workspace_floats(const struct evo_mlp *net, size_t max_batch)
{
    struct ws_layout L;
    layout(&L, net->table, net->n_table, net->arch.n_in, net->arch.n_out, max_batch);
    return L.total;
}

/* ---- forward and backward, one pair per layer kind ---------------------------------------------- */

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

/* Batch norm forward from x[B, C, S] to y[B, C, S] = gamma xhat + beta, per channel c over its B S
 * values (S = 1 for a dense layer's units). In training (run, the layer's running statistics, not
 * NULL) xhat is standardised with the batch's mean and biased variance, kept in hat with
 * 1 / sqrt(var + eps) in inv for the backward pass, and the running statistics move towards the
 * batch's; in evaluation (run NULL) the running statistics stand in for the batch's. Sums in double,
 * over rows then positions in order. */
static void bn_forward(float *y, float *hat, float *inv, const float *x, const float *gb, float *run,
                       const float *stat, size_t B, size_t C, size_t S, double *acc)
{
    const float *gamma = gb, *beta = gb + C;
    size_t N = B * S;
    if (!run) {
        for (size_t c = 0; c < C; c++)
            inv[c] = (float)(1.0 / sqrt((double)stat[C + c] + EVO_MLP_BN_EPS));
        for (size_t b = 0; b < B; b++)
            for (size_t c = 0; c < C; c++)
                for (size_t s = 0; s < S; s++) {
                    size_t i = (b * C + c) * S + s;
                    y[i] = gamma[c] * ((x[i] - stat[c]) * inv[c]) + beta[c];
                }
        return;
    }
    double *mean = acc, *var = acc + C;
    memset(acc, 0, 2 * C * sizeof *acc);
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t s = 0; s < S; s++)
                mean[c] += x[(b * C + c) * S + s];
    for (size_t c = 0; c < C; c++)
        mean[c] /= (double)N;
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t s = 0; s < S; s++) {
                double d = x[(b * C + c) * S + s] - mean[c];
                var[c] += d * d;
            }
    const double m = EVO_MLP_BN_MOMENTUM;
    for (size_t c = 0; c < C; c++) {
        double v = var[c] / (double)N, unbiased = N > 1 ? var[c] / (double)(N - 1) : v;
        inv[c] = (float)(1.0 / sqrt(v + EVO_MLP_BN_EPS));
        run[c] = (float)((1.0 - m) * run[c] + m * mean[c]);
        run[C + c] = (float)((1.0 - m) * run[C + c] + m * unbiased);
        var[c] = v;
    }
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t s = 0; s < S; s++) {
                size_t i = (b * C + c) * S + s;
                float h = (float)(x[i] - mean[c]) * inv[c];
                hat[i] = h;
                y[i] = gamma[c] * h + beta[c];
            }
}

/* Batch norm backward: dy[B, C, S], the gradient at the layer's output, becomes the gradient at its
 * input in place; dgb receives d gamma [C] and d beta [C] (accumulated):
 * dx = gamma inv / N (N dy - sum dy - hat sum (dy hat)), N = B S. */
static void bn_backward(float *dy, float *dgb, const float *hat, const float *inv, const float *gb,
                        size_t B, size_t C, size_t S, double *acc)
{
    double *dgamma = acc, *dbeta = acc + C;
    size_t N = B * S;
    memset(acc, 0, 2 * C * sizeof *acc);
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t s = 0; s < S; s++) {
                size_t i = (b * C + c) * S + s;
                dgamma[c] += (double)dy[i] * hat[i];
                dbeta[c] += dy[i];
            }
    for (size_t c = 0; c < C; c++) {
        dgb[c] += (float)dgamma[c];
        dgb[C + c] += (float)dbeta[c];
    }
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++) {
            double g = (double)gb[c] * inv[c] / (double)N;
            for (size_t s = 0; s < S; s++) {
                size_t i = (b * C + c) * S + s;
                dy[i] = (float)(g * ((double)N * dy[i] - dbeta[c] - (double)hat[i] * dgamma[c]));
            }
        }
}

/* A forward pass's state: the workspace layout, and for each layer the buffer its output was left
 * in (a dropout at rate 0 passes its input's on). */
struct pass {
    struct ws_layout L;
    const float *out[EVO_MLP_MAX_LAYERS];
    const float *x;          /* the batch's input */
    float rate[EVO_MLP_MAX_LAYERS]; /* each dropout layer's rate in this pass */
};

/* Layer i's forward over B rows from in to its output buffer. Training mode when params_rw is the
 * network's (writable) parameters: batch norm then uses the batch's statistics and updates the
 * running ones, and dropout draws masks from rng; NULL: evaluation. */
static void layer_forward(const struct evo_kernels *k, const struct evo_mlp *net, float *params_rw,
                          float *buf, struct pass *P, size_t i, const float *in, size_t B, struct evo_rng *rng)
{
    const struct evo_layer *l = &net->table[i];
    const struct ws_layout *L = &P->L;
    float *out = buf + L->out[i], *work = buf + L->work;
    const float *p = net->params;
    size_t n = B * out_size(l);
    float alpha = (float)net->arch.leaky_slope;
    switch (l->kind) {
    case EVO_LAYER_DENSE:
        k->dense_forward(out, in, p + l->w_off, p + l->b_off, B, in_size(l), l->oc, l->act, work);
        break;
    case EVO_LAYER_CONV2D:
        k->conv2d_forward(out, in, p + l->w_off, p + l->b_off, B, l->c, l->h, l->w, l->oc, l->k, l->act,
                          work);
        break;
    case EVO_LAYER_BATCH_NORM:
        bn_forward(out, buf + L->aux[i], buf + L->inv[i], in, p + l->w_off, params_rw ? params_rw + l->b_off : NULL,
                   p + l->b_off, B, l->c, l->h * l->w, (double *)(void *)(buf + L->bnacc));
        break;
    case EVO_LAYER_ACTIVATION:
        k->activation_forward(out, in, n, l->act, alpha);
        break;
    case EVO_LAYER_MAXPOOL2:
        k->maxpool2_forward(out, in, B, l->c, l->h, l->w);
        break;
    case EVO_LAYER_DROPOUT:
        if (P->rate[i] > 0.0f) {
            float *mask = buf + L->aux[i];
            dropout_mask(mask, n, P->rate[i], rng);
            k->mul(out, in, mask, n);
        } else {
            out = (float *)in; /* rate 0: no draws, no copy */
        }
        break;
    default:
        break;
    }
    P->out[i] = out;
}

/* Layer i's backward: g[B, out] (the gradient at its output; it may be overwritten) to g_next[B, in]
 * (the gradient at its input; not computed when want_input is 0), accumulating its parameters'
 * gradients. Returns the buffer holding the input gradient: g_next, or g itself for the layers that
 * work in place. */
static float *layer_backward(const struct evo_kernels *k, struct evo_mlp *net, float *buf, const struct pass *P,
                             size_t i, float *g, float *g_next, size_t B, int want_input)
{
    const struct evo_layer *l = &net->table[i];
    const struct ws_layout *L = &P->L;
    const float *in = i ? P->out[i - 1] : P->x, *out = P->out[i], *p = net->params;
    float *work = buf + L->work, *gr = net->grads;
    size_t n = B * out_size(l);
    float alpha = (float)net->arch.leaky_slope;
    switch (l->kind) {
    case EVO_LAYER_DENSE:
        if (l->act != EVO_ACT_IDENTITY) /* the fused activation's derivative, from its output */
            k->activation_backward(g, g, out, out, n, l->act, alpha);
        k->dense_backward_weights(gr + l->w_off, gr + l->b_off, g, in, B, in_size(l), l->oc, work);
        if (!want_input)
            return NULL;
        k->dense_backward_input(g_next, g, p + l->w_off, B, in_size(l), l->oc, work);
        return g_next;
    case EVO_LAYER_CONV2D:
        if (l->act != EVO_ACT_IDENTITY)
            k->activation_backward(g, g, out, out, n, l->act, alpha);
        k->conv2d_backward_weights(gr + l->w_off, gr + l->b_off, g, in, B, l->c, l->h, l->w, l->oc, l->k,
                                   work);
        if (!want_input)
            return NULL;
        k->conv2d_backward_input(g_next, g, p + l->w_off, B, l->c, l->h, l->w, l->oc, l->k, work);
        return g_next;
    case EVO_LAYER_BATCH_NORM:
        bn_backward(g, gr + l->w_off, buf + L->aux[i], buf + L->inv[i], p + l->w_off, B, l->c, l->h * l->w,
                    (double *)(void *)(buf + L->bnacc));
        return g;
    case EVO_LAYER_ACTIVATION:
        k->activation_backward(g, g, out, in, n, l->act, alpha);
        return g;
    case EVO_LAYER_MAXPOOL2:
        k->maxpool2_backward(g_next, g, in, B, l->c, l->h, l->w);
        return g_next;
    case EVO_LAYER_DROPOUT:
        if (P->rate[i] > 0.0f)
            k->mul(g, g, buf + L->aux[i], n);
        return g;
    default:
        return g;
    }
}

/* Forward pass of B rows x[B, n_in] up to probs; returns the mean loss against y (classification) or
 * t (regression; NULL: no loss, 0 returned). dropout[h] is hidden layer h's rate and
 * dropout[EVO_MLP_MAX_HIDDEN] the conv blocks' (dropout NULL: none). Training mode when params_rw is
 * the network's (writable) parameters (see layer_forward). */
static double forward(const struct evo_kernels *k, const struct evo_mlp *net, float *params_rw, float *buf,
                      struct pass *P, const float *x, const int32_t *y, const float *t, size_t B,
                      const double *dropout, struct evo_rng *rng)
{
    const struct evo_mlp_arch *a = &net->arch;
    P->x = x;
    const float *in = x;
    for (size_t i = 0; i < net->n_table; i++) {
        const struct evo_layer *l = &net->table[i];
        P->rate[i] = l->kind == EVO_LAYER_DROPOUT && dropout ? (float)dropout[l->slot] : 0.0f;
        layer_forward(k, net, params_rw, buf, P, i, in, B, rng);
        in = P->out[i];
    }
    float *probs = buf + P->L.probs;
    if (a->loss == EVO_LOSS_CROSS_ENTROPY && !a->regression)
        return k->softmax_xent_forward(probs, NULL, in, y, B, a->n_out);
    return output_forward(k, a, probs, in, y, t, B);
}

static double loss_grad(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                        const int32_t *y, const float *tgt, size_t B, const double *dropout,
                        double weight_decay, struct evo_rng *rng)
{
    const struct evo_mlp_arch *a = &net->arch;
    if (!fits(net, ws, B))
        return NAN; /* rather than write past the workspace; evo_mlp_train reports why */
    const struct evo_kernels *k = evo_kernels();
    struct pass P;
    layout_of(&P.L, net, ws);
    float *buf = ws->buf;
    double loss = forward(k, net, net->params, buf, &P, x, y, tgt, B, dropout, rng);

    memset(net->grads, 0, net->n_params * sizeof(float));
    float *g = buf + P.L.grad0, *g_next = buf + P.L.grad1;
    const float *logits = P.out[net->n_table - 1];
    if (a->loss == EVO_LOSS_CROSS_ENTROPY && !a->regression)
        k->softmax_xent_backward(g, buf + P.L.probs, y, B, a->n_out);
    else
        output_backward(a, g, buf + P.L.probs, logits, y, tgt, B);
    for (size_t i = net->n_table; i-- > 0;) {
        /* the first layer's input gradient is never used, so never computed */
        float *r = layer_backward(k, net, buf, &P, i, g, g_next, B, i > 0);
        if (r == g_next) {
            g_next = g;
            g = r;
        }
    }

    /* For gradient checks only: the trainer passes 0 and lets the fused optimizer add the decay. */
    if (weight_decay > 0.0) {
        float wd = (float)weight_decay;
        for (size_t i = 0; i < net->n_table; i++) {
            const struct evo_layer *l = &net->table[i];
            if (l->kind != EVO_LAYER_DENSE && l->kind != EVO_LAYER_CONV2D)
                continue;
            float *gw = net->grads + l->w_off;
            const float *w = net->params + l->w_off;
            for (size_t j = 0; j < l->n_w; j++)
                gw[j] += wd * w[j];
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

/* Scales each filter of w[oc, n] (row f: the filter's oc-th incoming weights) whose Euclidean norm
 * exceeds max_norm down to norm max_norm. Norms in double. */
static void cap_rows(float *w, size_t oc, size_t n, double max_norm)
{
    for (size_t f = 0; f < oc; f++) {
        float *r = w + f * n;
        double ss = 0.0;
        for (size_t i = 0; i < n; i++)
            ss += (double)r[i] * r[i];
        double norm = sqrt(ss);
        if (norm > max_norm) {
            float s = (float)(max_norm / norm);
            for (size_t i = 0; i < n; i++)
                r[i] *= s;
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
    /* Weights decay; biases and batch norm's gamma and beta do not, and the running statistics are
     * not trained. Neighbouring segments without decay go through one pass, as one fused pass over
     * a layer's biases, gamma and beta was before the layer table (a vector loop's tail may round
     * differently from its body, so the cut points are part of the result). */
    size_t run_off = 0, run_n = 0;
    for (size_t i = 0; i < net->n_table; i++) {
        const struct evo_layer *l = &net->table[i];
        if (l->kind == EVO_LAYER_DENSE || l->kind == EVO_LAYER_CONV2D) {
            if (run_n)
                update_segment(k, net, tp, run_off, run_n, flr, 0.0f, bc1, bc2);
            if (tp->l1 > 0.0)
                add_l1(net->grads + l->w_off, net->params + l->w_off, l->n_w, (float)tp->l1);
            update_segment(k, net, tp, l->w_off, l->n_w, flr, wd, bc1, bc2);
            run_off = l->b_off;
            run_n = l->n_b;
        } else if (l->kind == EVO_LAYER_BATCH_NORM) {
            if (run_n && run_off + run_n != l->w_off) {
                update_segment(k, net, tp, run_off, run_n, flr, 0.0f, bc1, bc2);
                run_off = l->w_off;
                run_n = 0;
            } else if (!run_n) {
                run_off = l->w_off;
            }
            run_n += l->n_w;
            update_segment(k, net, tp, run_off, run_n, flr, 0.0f, bc1, bc2);
            run_n = 0;
        }
    }
    if (run_n)
        update_segment(k, net, tp, run_off, run_n, flr, 0.0f, bc1, bc2);
    if (tp->max_norm > 0.0)
        for (size_t i = 0; i + 1 < net->n_table; i++) { /* not the output layer */
            const struct evo_layer *l = &net->table[i];
            if (l->kind == EVO_LAYER_DENSE)
                cap_norms(net->params + l->w_off, in_size(l), l->oc, tp->max_norm);
            else if (l->kind == EVO_LAYER_CONV2D)
                cap_rows(net->params + l->w_off, l->oc, l->n_w / l->oc, tp->max_norm);
        }
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
    if (a->n_in > ws->n_in || a->n_out > ws->n_out || !fits(net, ws, 1))
        return evo_error_set(err, EVO_ERUNTIME,
                             "network (%zu inputs, %zu outputs, %zu floats of scratch at batches of %zu) "
                             "exceeds the workspace (%zu, %zu, %zu)",
                             a->n_in, a->n_out, evo_mlp_workspace_floats(net, ws->max_batch),
                             ws->max_batch, ws->n_in, ws->n_out, ws->n_floats);
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
    struct ws_layout L;
    layout_of(&L, net, ws);
    float *bx = ws->buf + L.x;
    int32_t *by = (int32_t *)(ws->buf + L.y);
    float *bt = ws->buf + L.y; /* regression: the same region holds float targets */
    size_t n = train->n, d = train->d, bs = tp->batch_size;
    evo_mlp_epoch_order(ws, tp->batch_selection, train, bs, rng);
    /* Only image sets are augmented, and only when some range is non-zero: otherwise not a single
     * extra draw, so such training is what it was before augmentation existed. */
    size_t ih = train->image_h, iw = train->image_w;
    int augment = ih > 0 && iw > 0 && ih * iw == d && evo_augment_active(&tp->augment);
    double dropout[EVO_MLP_MAX_HIDDEN + 1];
    for (size_t h = 0; h < EVO_MLP_MAX_HIDDEN; h++)
        dropout[h] = tp->dropout_per_layer ? tp->layer_dropout[h] : tp->dropout;
    dropout[EVO_MLP_MAX_HIDDEN] = tp->dropout; /* the conv blocks' */
    double sum = 0.0;
    for (size_t start = 0; start < n; start += bs) {
        size_t B = n - start < bs ? n - start : bs;
        for (size_t r = 0; r < B; r++) {
            size_t row = ws->order[start + r];
            memcpy(bx + r * d, train->x + row * d, d * sizeof(float));
            if (train->target)
                bt[r] = train->target[row];
            else
                by[r] = train->y[row];
        }
        for (size_t r = 0; augment && r < B; r++)
            evo_augment_image(bx + r * d, ih, iw, &tp->augment, tp->feature_mean, tp->feature_std,
                              ws->buf + L.aug, rng);
        /* The next batch's rows are scattered over a data set larger than the caches: asking
         * for them now lets their loads overlap this batch's compute instead of stalling the
         * next gather (measured: the gather was a third of a small network's step). Only the
         * first 256 bytes of each row: the hardware prefetcher follows the rest of a contiguous
         * row, and issuing every line (1568 a step for 784 features) cost more than it saved. */
        size_t next = start + bs < n ? start + bs : n, next_end = next + bs < n ? next + bs : n;
        for (size_t r = next; r < next_end; r++) {
            const char *row = (const char *)(train->x + ws->order[r] * d);
            for (size_t b = 0; b < 256 && b < d * sizeof(float); b += 64)
                __builtin_prefetch(row + b, 0, 1);
        }
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
    struct pass P;
    layout_of(&P.L, net, ws);
    struct evo_metrics_acc acc;
    evo_metrics_acc_init(&acc, a->regression ? 0 : a->n_out, ws->class_counts);
    /* Rows of ds are contiguous, so each chunk is used in place without a copy. */
    for (size_t start = 0; start < ds->n; start += ws->max_batch) {
        size_t B = ds->n - start < ws->max_batch ? ds->n - start : ws->max_batch;
        const float *t = a->regression ? ds->target + start : NULL;
        const int32_t *y = a->regression ? NULL : ds->y + start;
        double l = forward(evo_kernels(), net, NULL, ws->buf, &P, ds->x + start * ds->d, y, t, B, NULL,
                           NULL);
        if (a->regression)
            evo_metrics_add_values(&acc, ws->buf + P.L.probs, t, B, l);
        else
            evo_metrics_add_classes(&acc, ws->buf + P.L.probs, y, B, l);
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
    struct pass P;
    layout_of(&P.L, net, ws);
    /* The classification losses want labels; dummy labels 0 give a loss that is discarded. */
    int32_t *y = (int32_t *)(ws->buf + P.L.y);
    memset(y, 0, ws->max_batch * sizeof *y);
    for (size_t start = 0; start < n; start += ws->max_batch) {
        size_t B = n - start < ws->max_batch ? n - start : ws->max_batch;
        forward(evo_kernels(), net, NULL, ws->buf, &P, x + start * n_in, net->arch.regression ? NULL : y,
                NULL, B, NULL, NULL);
        memcpy(probs + start * n_out, ws->buf + P.L.probs, B * n_out * sizeof(float));
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
    static const char *const names[EVO_TRAIN_STATUS_COUNT] = {"ok", "diverged", "too_large", "too_small"};
    return status >= 0 && status < EVO_TRAIN_STATUS_COUNT ? names[status] : "unknown";
}
