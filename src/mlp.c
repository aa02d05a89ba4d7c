/* The network: a layer table (conv blocks, dense layers, batch norm, activations, pooling, dropout)
 * built from an architecture, its slab (params | grads | m | v | best carved by the table's size
 * column), weight initialisation, the forward/backward pass over a batch (one forward/backward pair
 * per layer kind), evaluation and prediction. The optimizers live in optim.c, the epoch's row order
 * in batch.c, the trainer in train.c. Every layer goes through the kernel table chosen at start-up
 * (evo_kernels()). All scratch memory, the kernels' included, comes from a caller-owned workspace
 * carved once by evo_mlp_workspace_init, so training and evaluation allocate nothing. */
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
static void block_tail(struct builder *b, struct evo_layer *p, const struct evo_mlp_arch *a)
{
    if (a->batch_norm) {
        struct evo_layer *bn = push(b, EVO_LAYER_BATCH_NORM);
        reserve(b, bn, evo_mem_mul(2, bn->oc), evo_mem_mul(2, bn->oc));
    }
    if (a->batch_norm || unfused(a->activation))
        push(b, EVO_LAYER_ACTIVATION)->act = a->activation;
    else
        p->act = a->activation;
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
        block_tail(&b, cv, a);
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
            block_tail(&b, d, a);
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
    size_t out[EVO_MLP_MAX_LAYERS]; /* [max_batch, out_size] each layer's output (a conv layer run
                                     * with its pooling: CONV_POOL_STEP rows) */
    size_t aux[EVO_MLP_MAX_LAYERS]; /* [max_batch, out_size] batch norm's standardised values, a
                                     * dropout's mask, max-pooling's maxima positions (bytes) */
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

/* Whether layer i is a max-pool whose input is a conv layer's output with its activation fused. The
 * activation's derivative is then applied at the pooling layer, to the pooled gradient, from the
 * pooled output, instead of at the conv layer over its 4 times larger output: pooling routes each
 * window's gradient to a position holding the window's maximum, whose output that is, and 0 to the
 * others (and to a window holding a NaN), so the result is the same, bit for bit, for the fused
 * activations (relu, tanh, sigmoid: a derivative from the output, 0 for a gradient of 0). */
static int act_at_pool(const struct evo_layer *t, size_t i)
{
    return t[i].kind == EVO_LAYER_MAXPOOL2 && i > 0 && t[i - 1].kind == EVO_LAYER_CONV2D &&
           t[i - 1].act != EVO_ACT_IDENTITY;
}

/* Images a step of conv_pool_forward: a multiple of the groups the conv kernels form for the issue's
 * second layer (pairs), few enough that a step's conv outputs stay in L2 (4 x 100 kB for its first). */
#define CONV_POOL_STEP 4

/* The regions for table t[n] (n_in inputs, n_out outputs) at batches of max_batch rows. Layers that
 * need no buffer of their own (a dense layer's aux) get an empty region; max-pooling's aux holds its
 * windows' maximum positions, a byte each. */
static void layout(struct ws_layout *L, const struct evo_layer *t, size_t n, size_t n_in, size_t n_out,
                   size_t max_batch)
{
    size_t off = 0, widest = n_out, channels = 0, work = 0;
    for (size_t i = 0; i < n; i++) {
        const struct evo_layer *l = &t[i];
        size_t rows = evo_mem_mul(max_batch, out_size(l));
        int has_aux = l->kind == EVO_LAYER_BATCH_NORM || l->kind == EVO_LAYER_DROPOUT;
        /* a conv layer whose max-pool takes its activation runs a few images at a time with it, and
         * nothing reads its outputs afterwards (conv_pool_forward) */
        int stepped = l->kind == EVO_LAYER_CONV2D && i + 1 < n && act_at_pool(t, i + 1);
        L->out[i] = region(&off, stepped ? evo_mem_mul(max_batch < CONV_POOL_STEP ? max_batch : CONV_POOL_STEP,
                                                       out_size(l))
                                         : rows);
        L->aux[i] = region(&off, has_aux ? rows : l->kind == EVO_LAYER_MAXPOOL2 ? rows / 4 + 1 : 0);
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

void evo_mlp_workspace_batch(const struct evo_mlp *net, struct evo_mlp_workspace *ws, float **x, void **y,
                             float **aug)
{
    struct ws_layout L;
    layout_of(&L, net, ws);
    *x = ws->buf + L.x;
    *y = ws->buf + L.y;
    *aug = ws->buf + L.aug;
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
    case EVO_LAYER_MAXPOOL2: /* the maxima's positions for the backward pass, in training */
        k->maxpool2_forward(out, params_rw ? (uint8_t *)(void *)(buf + L->aux[i]) : NULL, in, B, l->c, l->h,
                            l->w);
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

/* Whether the first layer is a conv layer followed by max-pooling. Its input gradient is never
 * computed, so pooling's input gradient (the conv output's) is only its weight gradient's input: the
 * pooling layer makes it an image at a time, into the start of g_next, and the conv layer's weight
 * gradient takes it from there while it is in cache, instead of a whole batch's (6.4 MB in the
 * issue's network, 32 x 28 x 28 floats an image) being written out and read back. */
static int first_conv_pooled(const struct evo_mlp *net)
{
    return net->n_table > 1 && net->table[0].kind == EVO_LAYER_CONV2D &&
           net->table[1].kind == EVO_LAYER_MAXPOOL2;
}

/* Layer i's backward: g[B, out] (the gradient at its output; it may be overwritten) to g_next[B, in]
 * (the gradient at its input; not computed when want_input is 0), accumulating its parameters'
 * gradients. Returns the buffer holding the input gradient: g_next, or g itself for the layers that
 * work in place; NULL when it is not computed (and the pooling after a first conv layer, which does
 * that layer's work: first_conv_pooled). */
static float *layer_backward(const struct evo_kernels *k, struct evo_mlp *net, float *buf, const struct pass *P,
                             size_t i, float *g, float *g_next, size_t B, int want_input)
{
    const struct evo_layer *l = &net->table[i];
    const struct ws_layout *L = &P->L;
    const float *in = i ? P->out[i - 1] : P->x, *out = P->out[i], *p = net->params;
    const uint8_t *arg;
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
        if (i == 0 && first_conv_pooled(net))
            return NULL; /* done by the pooling layer after it */
        if (l->act != EVO_ACT_IDENTITY && !(i + 1 < net->n_table && act_at_pool(net->table, i + 1)))
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
        if (act_at_pool(net->table, i))
            k->activation_backward(g, g, out, out, n, net->table[i - 1].act, alpha);
        arg = (const uint8_t *)(const void *)(buf + L->aux[i]);
        if (i == 1 && first_conv_pooled(net)) {
            const struct evo_layer *cv = &net->table[0];
            size_t no = out_size(l), nx = in_size(cv);
            for (size_t r = 0; r < B; r++) {
                k->maxpool2_backward(g_next, g + r * no, arg + r * no, 1, l->c, l->h, l->w);
                k->conv2d_backward_weights(gr + cv->w_off, gr + cv->b_off, g_next, P->x + r * nx, 1, cv->c,
                                           cv->h, cv->w, cv->oc, cv->k, work);
            }
            return NULL;
        }
        k->maxpool2_backward(g_next, g, arg, B, l->c, l->h, l->w);
        return g_next;
    case EVO_LAYER_DROPOUT:
        if (P->rate[i] > 0.0f)
            k->mul(g, g, buf + L->aux[i], n);
        return g;
    default:
        return g;
    }
}

/* Layer i (a conv layer) and i + 1 when that is a max-pool: both forwards a few images at a time, so
 * that pooling reads the conv outputs from cache. Nothing reads them afterwards (the backward pass
 * takes the pooled outputs for the activation's derivative, act_at_pool, and the maxima's positions
 * for pooling's), so the conv layer's output buffer holds one step (layout), instead of a whole
 * batch's outputs (6.4 MB in the network) going out to memory and back. Bit-identical
 * to the layers one after the other: no sum runs across images. train: record the maxima's
 * positions. Returns 0 (nothing done) for other layers. */
static int conv_pool_forward(const struct evo_kernels *k, const struct evo_mlp *net, float *buf,
                             struct pass *P, size_t i, const float *in, size_t B, int train)
{
    const struct evo_layer *cv = &net->table[i], *pl = cv + 1;
    if (cv->kind != EVO_LAYER_CONV2D || i + 1 >= net->n_table || !act_at_pool(net->table, i + 1))
        return 0;
    float *out = buf + P->L.out[i], *pooled = buf + P->L.out[i + 1], *work = buf + P->L.work;
    uint8_t *arg = train ? (uint8_t *)(void *)(buf + P->L.aux[i + 1]) : NULL;
    const float *p = net->params;
    size_t ni = in_size(cv), np = out_size(pl);
    for (size_t r = 0; r < B; r += CONV_POOL_STEP) {
        size_t n = B - r < CONV_POOL_STEP ? B - r : CONV_POOL_STEP;
        k->conv2d_forward(out, in + r * ni, p + cv->w_off, p + cv->b_off, n, cv->c, cv->h, cv->w, cv->oc,
                          cv->k, cv->act, work);
        k->maxpool2_forward(pooled + r * np, arg ? arg + r * np : NULL, out, n, pl->c, pl->h, pl->w);
    }
    P->out[i] = out;
    P->out[i + 1] = pooled;
    return 1;
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
        if (conv_pool_forward(k, net, buf, P, i, in, B, params_rw != NULL)) {
            P->rate[++i] = 0.0f;
            in = P->out[i];
            continue;
        }
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
        return NAN; /* rather than write past the workspace; evo_train_run reports why */
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
    /* A float set's rows are used in place; a byte set's are read into the batch buffer. */
    for (size_t start = 0; start < ds->n; start += ws->max_batch) {
        size_t B = ds->n - start < ws->max_batch ? ds->n - start : ws->max_batch;
        const float *t = a->regression ? ds->target + start : NULL;
        const int32_t *y = a->regression ? NULL : ds->y + start;
        const float *x = evo_data_rows(ds, NULL, B, start, ws->buf + P.L.x);
        double l = forward(evo_kernels(), net, NULL, ws->buf, &P, x, y, t, B, NULL, NULL);
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

const char *const evo_mlp_layer_kind_names[EVO_LAYER_KIND_COUNT] = {"dense", "conv2d", "batch_norm",
                                                                   "activation", "maxpool2", "dropout"};

const char *const evo_mlp_loss_names[EVO_LOSS_COUNT] = {"categorical_crossentropy", "binary_crossentropy", "mse"};

const char *evo_mlp_loss_name(int loss)
{
    return loss >= 0 && loss < EVO_LOSS_COUNT ? evo_mlp_loss_names[loss] : "unknown";
}
