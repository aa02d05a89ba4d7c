/* The network in the results file: /best/weights (one array per kernel, bias and batch norm vector)
 * and /best/layers (the layer table), written from a network and read back into one that this build
 * makes from /best's genome and checks against the table (evo_h5_load_model, used by predict). */
#include "model.h"
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/genome.h"
#include "evotune/h5.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "evotune/rng.h"
#include "h5io.h"

/* The arrays of one parameter layer stored under /best/weights: dense layer d's kernel [in, out] and
 * bias [out] (dense_<d>_kernel, dense_<d>_bias), conv block b's kernel [filters, channels, k, k] and
 * bias [filters] (conv_<b>_kernel, conv_<b>_bias), then, when batch norm follows, its gamma, beta,
 * running mean and running variance [out] (batch_norm_<d>_..., conv_batch_norm_<b>_...). */
#define LAYER_ARRAYS_MAX 6
struct layer_array {
    char name[48];
    size_t off;          /* in net->params */
    int rank;
    hsize_t dims[4];
};

/* The arrays of table entry i when it is a dense or conv layer (index: its number among its kind);
 * returns how many (0 for the other kinds). */
static size_t layer_arrays(const struct evo_mlp *net, size_t i, size_t index, struct layer_array *a)
{
    const struct evo_layer *l = &net->table[i];
    int conv = l->kind == EVO_LAYER_CONV2D;
    if (!conv && l->kind != EVO_LAYER_DENSE)
        return 0;
    static const char *const bn[] = {"gamma", "beta", "running_mean", "running_var"};
    size_t n = 0;
    a[n] = (struct layer_array){"", l->w_off, conv ? 4 : 2, {0}};
    if (conv) {
        hsize_t d[4] = {l->oc, l->c, l->k, l->k};
        memcpy(a[n].dims, d, sizeof d);
    } else {
        a[n].dims[0] = l->c * l->h * l->w;
        a[n].dims[1] = l->oc;
    }
    snprintf(a[n++].name, sizeof a->name, "%s_%zu_kernel", conv ? "conv" : "dense", index);
    a[n] = (struct layer_array){"", l->b_off, 1, {l->oc}};
    snprintf(a[n++].name, sizeof a->name, "%s_%zu_bias", conv ? "conv" : "dense", index);
    const struct evo_layer *b = i + 1 < net->n_table ? &net->table[i + 1] : NULL;
    for (size_t k = 0; b && b->kind == EVO_LAYER_BATCH_NORM && k < 4; k++) {
        a[n] = (struct layer_array){"", (k < 2 ? b->w_off : b->b_off) + (k % 2) * b->oc, 1, {b->oc}};
        snprintf(a[n++].name, sizeof a->name, "%sbatch_norm_%zu_%s", conv ? "conv_" : "", index, bn[k]);
    }
    return n;
}

/* Calls fn on every array of every parameter layer of net, in table order; stops at the first
 * non-zero return and returns it. */
static int each_array(const struct evo_mlp *net, int (*fn)(const struct layer_array *, void *), void *ctx)
{
    size_t dense = 0, conv = 0;
    for (size_t i = 0; i < net->n_table; i++) {
        struct layer_array a[LAYER_ARRAYS_MAX];
        int is_conv = net->table[i].kind == EVO_LAYER_CONV2D;
        size_t n = layer_arrays(net, i, is_conv ? conv : dense, a);
        if (n)
            *(is_conv ? &conv : &dense) += 1;
        for (size_t k = 0; k < n; k++) {
            int rc = fn(&a[k], ctx);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* /best/layers: the layer table, one row per entry, so that a reader rebuilds the network from the
 * file (predict checks the network it builds against it). */
struct layer_row {
    int8_t kind;          /* enum evo_layer_kind */
    int8_t activation;    /* enum evo_activation, -1 identity */
    int32_t dropout_slot; /* dropout: the hidden layer whose rate it uses, 8 the conv blocks'; else -1 */
    int64_t in_channels, in_height, in_width, out_channels, out_height, out_width, kernel_size;
    int64_t params_offset, params_count; /* weights, or batch norm's gamma and beta */
    int64_t second_offset, second_count; /* biases, or batch norm's running mean and variance */
    double alpha;         /* leaky_relu's slope (activation layers; else 0) */
};

static hid_t layer_kind_type(void)
{
    return evo_h5io_enum_type(evo_mlp_layer_kind_names, EVO_LAYER_KIND_COUNT);
}

static hid_t activation_type(void)
{
    hid_t t = evo_h5io_enum_type(evo_kernels_activation_names, EVO_ACT_COUNT);
    int8_t identity = EVO_ACT_IDENTITY;
    if (t >= 0 && H5Tenum_insert(t, "identity", &identity) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* The compound type of struct layer_row (it holds copies of its enum types, closed here). */
static hid_t layers_type(void)
{
    hid_t kt = layer_kind_type(), at = activation_type(), t = -1;
    const struct evo_h5io_field f[] = {
        FIELD(struct layer_row, kind, kt),
        FIELD(struct layer_row, activation, at),
        FIELD(struct layer_row, dropout_slot, H5T_NATIVE_INT32),
        FIELD(struct layer_row, in_channels, H5T_NATIVE_INT64),
        FIELD(struct layer_row, in_height, H5T_NATIVE_INT64),
        FIELD(struct layer_row, in_width, H5T_NATIVE_INT64),
        FIELD(struct layer_row, out_channels, H5T_NATIVE_INT64),
        FIELD(struct layer_row, out_height, H5T_NATIVE_INT64),
        FIELD(struct layer_row, out_width, H5T_NATIVE_INT64),
        FIELD(struct layer_row, kernel_size, H5T_NATIVE_INT64),
        FIELD(struct layer_row, params_offset, H5T_NATIVE_INT64),
        FIELD(struct layer_row, params_count, H5T_NATIVE_INT64),
        FIELD(struct layer_row, second_offset, H5T_NATIVE_INT64),
        FIELD(struct layer_row, second_count, H5T_NATIVE_INT64),
        FIELD(struct layer_row, alpha, H5T_NATIVE_DOUBLE),
    };
    if (kt >= 0 && at >= 0)
        t = evo_h5io_compound_type(sizeof(struct layer_row), f, sizeof f / sizeof *f);
    if (kt >= 0)
        H5Tclose(kt);
    if (at >= 0)
        H5Tclose(at);
    return t;
}

/* Fills *r, its padding zeroed: rows are written and compared whole, and a struct returned by value
 * need not carry its padding along (an inlined copy left it undefined in the file). */
static void layer_row_of(struct layer_row *r, const struct evo_mlp *net, const struct evo_layer *l)
{
    memset(r, 0, sizeof *r);
    r->kind = (int8_t)l->kind;
    r->activation = (int8_t)l->act;
    r->dropout_slot = l->slot;
    r->in_channels = (int64_t)l->c;
    r->in_height = (int64_t)l->h;
    r->in_width = (int64_t)l->w;
    r->out_channels = (int64_t)l->oc;
    r->out_height = (int64_t)l->oh;
    r->out_width = (int64_t)l->ow;
    r->kernel_size = (int64_t)l->k;
    r->params_offset = (int64_t)l->w_off;
    r->params_count = (int64_t)l->n_w;
    r->second_offset = (int64_t)l->b_off;
    r->second_count = (int64_t)l->n_b;
    r->alpha = l->act == EVO_ACT_LEAKY_RELU ? net->arch.leaky_slope : 0.0;
}

static int write_array(const struct layer_array *a, void *ctx)
{
    const void *const *c = ctx; /* {hid_t *loc, const struct evo_mlp *net} */
    const struct evo_mlp *net = c[1];
    return evo_h5io_write_floats(*(const hid_t *)c[0], a->name, net->params + a->off, a->rank, a->dims) < 0;
}

int evo_h5_write_model(hid_t grp, const struct evo_mlp *net, const char **what_out)
{
    const char *what = NULL;
    hid_t sub = -1;
    int rc = -1;
    TRY(sub = H5Gcreate2(grp, "weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    const void *wctx[2] = {&sub, net};
    TRY(-each_array(net, write_array, wctx));
    TRY(H5Gclose(sub));
    sub = -1;
    struct layer_row lr[EVO_MLP_MAX_LAYERS];
    for (size_t i = 0; i < net->n_table; i++)
        layer_row_of(&lr[i], net, &net->table[i]);
    hid_t lt = layers_type();
    herr_t lrc = lt < 0 ? -1 : evo_h5io_write_table(grp, "layers", lt, lr, net->n_table);
    if (lt >= 0)
        H5Tclose(lt);
    TRY(lrc);
    rc = 0;
fail:
    if (sub >= 0)
        H5Gclose(sub);
    *what_out = what;
    return rc;
}

/* Reads array a of the network ctx[1] from the group *ctx[0], refusing any other shape. */
static int read_array(const struct layer_array *a, void *ctx)
{
    void *const *c = ctx;
    hid_t grp = *(const hid_t *)c[0];
    struct evo_mlp *net = c[1];
    char name[sizeof a->name + 16];
    snprintf(name, sizeof name, "weights/%.*s", (int)sizeof a->name - 1, a->name);
    return !evo_h5_has_dims(grp, name, a->rank, a->dims) ||
           H5LTread_dataset_float(grp, name, net->params + a->off) < 0;
}

int evo_h5_read_best_net(hid_t grp, const struct evo_h5_row_layout *L, unsigned char *row, size_t n_in,
                         size_t n_out, const struct evo_h5_model_info *mi, struct evo_individual *best,
                         struct evo_mlp *net, struct evo_error *err)
{
    if (evo_h5io_read_all(grp, "individual", L->type, row, 1))
        return EVO_EDATA;
    evo_h5_unpack_row(best, row, L);
    if (!evo_genome_within_bounds(&best->genome))
        return EVO_EDATA;
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    struct evo_rng rng;
    evo_genome_decode(&best->genome, n_in, mi->regression ? 1 : n_out, &arch, &tp);
    arch.regression = mi->regression;
    arch.target_mean = mi->target_mean;
    arch.target_std = mi->target_std;
    /* The layer table, when the file has one (format 7), gives the image shape and must be the
     * network this build makes; files of format 6 hold dense networks only. */
    struct layer_row lr[EVO_MLP_MAX_LAYERS];
    memset(lr, 0, sizeof lr); /* padding too: rows are compared whole */
    hsize_t n_rows = 0;
    int has_layers = H5Lexists(grp, "layers", H5P_DEFAULT) > 0;
    if (has_layers) {
        hid_t lt = layers_type();
        int bad = lt < 0 || evo_h5io_rows_of(grp, "layers", &n_rows) || n_rows < 1 || n_rows > EVO_MLP_MAX_LAYERS ||
                  evo_h5io_read_all(grp, "layers", lt, lr, n_rows);
        if (lt >= 0)
            H5Tclose(lt);
        if (bad)
            return EVO_EDATA;
        if (lr[0].kind == EVO_LAYER_CONV2D) {
            arch.image_c = (size_t)lr[0].in_channels;
            arch.image_h = (size_t)lr[0].in_height;
            arch.image_w = (size_t)lr[0].in_width;
        }
    } else if (arch.conv_blocks) {
        return EVO_EDATA;
    }
    evo_rng_seed(&rng, 0, 0, 0, EVO_RNG_TRAIN); /* every weight is overwritten below */
    evo_mlp_release(net);
    if (evo_mlp_size(&arch, &(size_t){0}, &(size_t){0}, NULL))
        return EVO_EDATA; /* the stored genome and layers describe no network */
    int rc = evo_mlp_init(net, &arch, &rng, err);
    if (rc)
        return rc;
    if (has_layers) {
        if (n_rows != net->n_table)
            return EVO_EDATA;
        for (size_t i = 0; i < net->n_table; i++) {
            struct layer_row want;
            layer_row_of(&want, net, &net->table[i]);
            if (memcmp(&want, &lr[i], sizeof want))
                return EVO_EDATA;
        }
    }
    void *rctx[2] = {&grp, net};
    return each_array(net, read_array, rctx) ? EVO_EDATA : EVO_OK;
}

int evo_h5_load_model(struct evo_mlp *net, struct evo_individual *best, const char *path,
                      struct evo_error *err)
{
    hid_t f = evo_h5_open(path, err), grp = -1;
    if (f < 0)
        return EVO_EDATA;
    struct evo_h5_row_layout L = {.type = -1};
    unsigned char *row = NULL;
    int64_t nf = 0, nc = 0;
    int rc = EVO_EDATA;
    memset(net, 0, sizeof *net);
    if (H5Lexists(f, "best", H5P_DEFAULT) <= 0) {
        evo_error_set(err, EVO_EDATA, "'%s' holds no trained model yet", path);
        goto out;
    }
    char task[32] = "";
    struct evo_h5_model_info mi = {0, 0.0, 1.0};
    if (evo_h5io_get_i64(f, "n_features", &nf) || evo_h5io_get_i64(f, "n_classes", &nc) ||
        evo_h5io_get_str(f, "task", task, sizeof task))
        goto damaged;
    mi.regression = !strcmp(task, "regression");
    if (mi.regression && (H5LTget_attribute_double(f, "data", "target_mean", &mi.target_mean) < 0 ||
                          H5LTget_attribute_double(f, "data", "target_std", &mi.target_std) < 0))
        goto damaged;
    if (nf <= 0 || (mi.regression ? nc != 0 : nc <= 0) || evo_h5_layout_init(&L) ||
        (grp = H5Gopen2(f, "best", H5P_DEFAULT)) < 0)
        goto damaged;
    row = evo_mem_calloc(1, L.size);
    rc = evo_h5_read_best_net(grp, &L, row, (size_t)nf, (size_t)nc, &mi, best, net, err);
    if (rc == EVO_EDATA)
        goto damaged;
    goto out;
damaged:
    evo_mlp_release(net);
    rc = evo_error_set(err, EVO_EDATA, "'%s': damaged or incomplete evotune results file", path);
out:
    if (grp >= 0)
        H5Gclose(grp);
    if (L.type >= 0)
        H5Tclose(L.type);
    free(row);
    H5Fclose(f);
    return rc;
}
