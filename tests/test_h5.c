/* Tests of the results file: the schema (root attributes, compound fields, enum names, /best), that
 * values read back equal those in memory, and that a failed write leaves the previous file intact. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "evotune/config.h"
#include "evotune/search.h"
#include "evotune/h5.h"
#include "evotune/kernels.h"
#include "evotune/predict.h"
#include "h5_support.h"
#include "support.h"

static struct evo_config cfg;
static struct evo_search srch;
static char dir[64];

static int setup(void **state)
{
    (void)state;
    struct evo_error err = {0};
    evo_h5_init();
    if (evo_config_load_string(&cfg, TINY_CONFIG, "tiny.cfg", NULL, 0, &err) ||
        evo_search_init(&srch, &cfg, &err) || evo_search_run(&srch, NULL, NULL, &err)) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return support_tempdir(dir, sizeof dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    evo_search_release(&srch);
    evo_config_release(&cfg);
    support_rmdir(dir);
    return 0;
}

static char *path_in_dir(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static int64_t read_attr_i64(hid_t obj, const char *name)
{
    long long v = -12345;
    assert_true(H5LTget_attribute_long_long(obj, ".", name, &v) >= 0);
    return v;
}

/* Reads one column of a compound table as the given native type. */
static void read_column(hid_t d, const char *field, hid_t type, size_t size, void *out)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(t, field, 0, type);
    assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Tclose(t);
}

/* Writes the setup's search to dir/run.h5 and opens it read-only. */
static hid_t write_and_open(void)
{
    struct evo_error err = {0};
    const char *p = path_in_dir("run.h5");
    assert_int_equal(evo_h5_write(&srch.log, p, &err), EVO_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static hid_t open_table(hid_t f, const char *name)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    return d;
}

static void test_root_attributes(void **state)
{
    (void)state;
    hid_t f = write_and_open();
    assert_int_equal(read_attr_i64(f, "format_version"), EVO_H5_FORMAT_VERSION);
    assert_int_equal(read_attr_i64(f, "seed"), 7);
    assert_int_equal(read_attr_i64(f, "threads"), 1);
    assert_int_equal(read_attr_i64(f, "n_train"), (int64_t)srch.problem.train.n);
    assert_int_equal(read_attr_i64(f, "n_validation"), (int64_t)srch.problem.validation.n);
    assert_int_equal(read_attr_i64(f, "n_test"), (int64_t)srch.problem.n_test);
    assert_int_equal(read_attr_i64(f, "n_features"), 4);
    assert_int_equal(read_attr_i64(f, "n_classes"), 3);
    assert_int_equal(read_attr_i64(f, "n_train") + read_attr_i64(f, "n_validation") + read_attr_i64(f, "n_test"), 150);
    char *s = support_h5_attr_string(f, "evotune_version");
    assert_string_equal(s, EVOTUNE_VERSION);
    free(s);
    s = support_h5_attr_string(f, "isa");
    assert_string_equal(s, evo_kernels()->name);
    free(s);
    s = support_h5_attr_string(f, "config");
    assert_string_equal(s, cfg.text);
    assert_non_null(strstr(s, "population"));
    free(s);
    s = support_h5_attr_string(f, "state");
    assert_string_equal(s, "finished");
    free(s);
    H5Fclose(f);
}

static void test_individuals_table(void **state)
{
    (void)state;
    hid_t f = write_and_open(), d = open_table(f, "individuals"), t = H5Dget_type(d);
    const char *required[] = {"generation", "id", "parent_a", "parent_b", "fitness", "val_accuracy",
                              "val_loss", "train_loss", "epochs_run", "train_seconds", "status"};
    for (size_t k = 0; k < sizeof required / sizeof *required; k++)
        assert_true(H5Tget_member_index(t, required[k]) >= 0);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        const struct evo_gene_info *gi = evo_genome_gene(g);
        int idx = H5Tget_member_index(t, gi->name);
        assert_true(idx >= 0);
        hid_t mt = H5Tget_member_type(t, (unsigned)idx);
        if (gi->type == EVO_GENE_ENUM) {
            /* categorical genes are enums whose names are the choice names */
            assert_int_equal(H5Tget_class(mt), H5T_ENUM);
            assert_int_equal(H5Tget_nmembers(mt), gi->n_enum);
            for (int k = 0; k < gi->n_enum; k++) {
                char name[64];
                int8_t v = (int8_t)k;
                assert_true(H5Tenum_nameof(mt, &v, name, sizeof name) >= 0);
                assert_string_equal(name, gi->enum_names[k]);
            }
        } else {
            assert_int_equal(H5Tget_class(mt), gi->type == EVO_GENE_INT ? H5T_INTEGER : H5T_FLOAT);
        }
        H5Tclose(mt);
    }
    hid_t space = H5Dget_space(d);
    hsize_t n, maxn;
    H5Sget_simple_extent_dims(space, &n, &maxn);
    assert_int_equal(n, srch.log.n_rows);
    assert_true(maxn == H5S_UNLIMITED);
    H5Sclose(space);
    hid_t plist = H5Dget_create_plist(d);
    assert_int_equal(H5Pget_layout(plist), H5D_CHUNKED);
    H5Pclose(plist);

    /* the values read back are the values in memory */
    int64_t *ids = calloc(n, sizeof *ids);
    double *fit = calloc(n, sizeof *fit), *lr = calloc(n, sizeof *lr);
    int8_t *act = calloc(n, 1);
    int32_t *er = calloc(n, sizeof *er);
    read_column(d, "epochs_run", H5T_NATIVE_INT32, 4, er);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(er[i], srch.log.rows[i].epochs_run);
    free(er);
    read_column(d, "id", H5T_NATIVE_INT64, 8, ids);
    read_column(d, "fitness", H5T_NATIVE_DOUBLE, 8, fit);
    read_column(d, "learning_rate", H5T_NATIVE_DOUBLE, 8, lr);
    hid_t et = H5Tget_member_type(t, (unsigned)H5Tget_member_index(t, "activation"));
    read_column(d, "activation", et, 1, act);
    H5Tclose(et);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ids[i], srch.log.rows[i].id);
        assert_memory_equal(&fit[i], &srch.log.rows[i].fitness, sizeof(double));
        assert_memory_equal(&lr[i], &srch.log.rows[i].genome.g[EVO_GENE_LEARNING_RATE], sizeof(double));
        assert_int_equal(act[i], (int8_t)srch.log.rows[i].genome.g[EVO_GENE_ACTIVATION]);
    }
    free(ids);
    free(fit);
    free(lr);
    free(act);
    H5Tclose(t);
    H5Dclose(d);
    H5Fclose(f);
}

/* /curves: a chunked compound table, one row per (individual, epoch), the values in memory. */
static void test_curves_table(void **state)
{
    (void)state;
    hid_t f = write_and_open(), d = open_table(f, "curves"), t = H5Dget_type(d);
    assert_int_equal(H5Tget_nmembers(t), 5);
    const char *fields[] = {"id", "epoch", "train_loss", "val_loss", "val_fitness"};
    const H5T_class_t classes[] = {H5T_INTEGER, H5T_INTEGER, H5T_FLOAT, H5T_FLOAT, H5T_FLOAT};
    const size_t sizes[] = {8, 4, 8, 8, 8};
    for (unsigned k = 0; k < 5; k++) {
        char *name = H5Tget_member_name(t, k);
        assert_string_equal(name, fields[k]);
        H5free_memory(name);
        hid_t mt = H5Tget_member_type(t, k);
        assert_int_equal(H5Tget_class(mt), classes[k]);
        assert_int_equal(H5Tget_size(mt), sizes[k]);
        H5Tclose(mt);
    }
    hid_t space = H5Dget_space(d);
    hsize_t n, maxn;
    H5Sget_simple_extent_dims(space, &n, &maxn);
    assert_true(maxn == H5S_UNLIMITED);
    H5Sclose(space);
    size_t total = 0;
    for (size_t i = 0; i < srch.log.n_rows; i++)
        total += (size_t)srch.log.rows[i].epochs_run;
    assert_int_equal(n, total);
    assert_int_equal(n, srch.log.n_curves);
    int64_t *ids = calloc(n, sizeof *ids);
    int32_t *ep = calloc(n, sizeof *ep);
    double *vl = calloc(n, sizeof *vl), *va = calloc(n, sizeof *va), *tl = calloc(n, sizeof *tl);
    read_column(d, "id", H5T_NATIVE_INT64, 8, ids);
    read_column(d, "epoch", H5T_NATIVE_INT32, 4, ep);
    read_column(d, "train_loss", H5T_NATIVE_DOUBLE, 8, tl);
    read_column(d, "val_loss", H5T_NATIVE_DOUBLE, 8, vl);
    read_column(d, "val_fitness", H5T_NATIVE_DOUBLE, 8, va);
    for (size_t k = 0; k < n; k++) {
        const struct evo_curve_row *c = &srch.log.curves[k];
        assert_int_equal(ids[k], c->id);
        assert_int_equal(ep[k], c->epoch);
        assert_memory_equal(&tl[k], &c->train_loss, 8);
        assert_memory_equal(&vl[k], &c->val_loss, 8);
        assert_memory_equal(&va[k], &c->val_fitness, 8);
    }
    free(ids), free(ep), free(vl), free(va), free(tl);
    H5Tclose(t);
    H5Dclose(d);
    H5Fclose(f);
}

static void test_generations_and_best(void **state)
{
    (void)state;
    hid_t f = write_and_open(), d = open_table(f, "generations"), t = H5Dget_type(d);
    const char *fields[] = {"generation", "best_fitness", "mean_fitness", "std_fitness", "wall_seconds"};
    for (size_t k = 0; k < 5; k++)
        assert_true(H5Tget_member_index(t, fields[k]) >= 0);
    double best[16];
    read_column(d, "best_fitness", H5T_NATIVE_DOUBLE, 8, best);
    for (size_t g = 0; g < srch.log.n_gens; g++)
        assert_memory_equal(&best[g], &srch.log.gens[g].best_fitness, sizeof(double));
    H5Tclose(t);
    H5Dclose(d);

    hid_t b = H5Gopen2(f, "best", H5P_DEFAULT);
    assert_true(b >= 0);
    double acc;
    assert_true(H5LTget_attribute_double(b, ".", "test_accuracy", &acc) >= 0);
    assert_memory_equal(&acc, &srch.log.test_metrics.accuracy, sizeof acc);
    char *act = support_h5_attr_string(b, "activation");
    char expect[32];
    evo_genome_format(expect, sizeof expect, EVO_GENE_ACTIVATION, srch.log.best.genome.g[EVO_GENE_ACTIVATION]);
    assert_string_equal(act, expect);
    free(act);
    /* weights: one kernel and bias per dense layer, shapes from layer_sizes, values equal */
    const struct evo_mlp *net = &srch.log.best_net;
    for (size_t l = 0; l < net->n_layers; l++) {
        char name[64];
        hsize_t dims[2];
        snprintf(name, sizeof name, "weights/dense_%zu_kernel", l);
        assert_true(H5LTget_dataset_info(b, name, dims, NULL, NULL) >= 0);
        size_t fan_in = l ? net->arch.hidden[l - 1] : net->arch.n_in;
        size_t fan_out = l < net->arch.n_hidden ? net->arch.hidden[l] : net->arch.n_out;
        assert_int_equal(dims[0], fan_in);
        assert_int_equal(dims[1], fan_out);
        float *w = calloc(fan_in * fan_out, sizeof *w);
        assert_true(H5LTread_dataset_float(b, name, w) >= 0);
        assert_memory_equal(w, net->params + net->w_off[l], fan_in * fan_out * sizeof *w);
        free(w);
    }
    H5Gclose(b);
    hid_t dg = H5Gopen2(f, "data", H5P_DEFAULT);
    assert_true(dg >= 0);
    hsize_t nf[1];
    assert_true(H5LTget_dataset_info(dg, "feature_names", nf, NULL, NULL) >= 0);
    assert_int_equal(nf[0], 4);
    assert_true(H5LTget_dataset_info(dg, "class_names", nf, NULL, NULL) >= 0);
    assert_int_equal(nf[0], 3);
    H5Gclose(dg);
    H5Fclose(f);
}

static void test_write_creates_parent_dirs_and_leaves_no_temp(void **state)
{
    (void)state;
    struct evo_error err = {0};
    const char *p = path_in_dir("a/b/run.h5");
    assert_int_equal(evo_h5_write(&srch.log, p, &err), EVO_OK);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s/a/b' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
}

/* Reads a whole binary file; *n receives its size. */
static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* 0 when evo_h5_open accepts path; else checks that the message names it and holds want. */
static int open_fails(const char *path, const char *want)
{
    struct evo_error err = {0};
    hid_t f = evo_h5_open(path, &err);
    if (f >= 0) {
        H5Fclose(f);
        return 0;
    }
    assert_non_null(strstr(err.msg, path));
    if (!strstr(err.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    return 1;
}

/* Every file is sealed: a change to any byte after the user block, a cut, a garbled seal line, or no
 * seal line at all (damage to its prefix, or a zeroed user block) is refused before HDF5 reads the
 * file's contents. */
static void test_seal(void **state)
{
    (void)state;
    struct evo_error err = {0};
    char p[256], q[256]; /* path_in_dir's buffer is reused */
    snprintf(p, sizeof p, "%s", path_in_dir("sealed.h5"));
    snprintf(q, sizeof q, "%s", path_in_dir("damaged.h5"));
    assert_int_equal(evo_h5_write(&srch.log, p, &err), EVO_OK);
    size_t n;
    unsigned char *b = read_bytes(p, &n);
    char want[128];
    snprintf(want, sizeof want, "of the %zu bytes after this 512-byte user block\n", n - EVO_H5_USERBLOCK);
    assert_memory_equal(b, EVO_H5_SEAL_PREFIX, 28);
    assert_non_null(strstr((const char *)b, want));
    assert_memory_equal(b + EVO_H5_USERBLOCK, "\x89HDF\r\n\x1a\n", 8); /* the superblock follows */
    assert_int_equal(open_fails(p, ""), 0);
    /* one bit of every 997th byte, each alone */
    int refused = 0;
    for (size_t at = EVO_H5_USERBLOCK; at < n; at += 997) {
        b[at] ^= 0x10;
        write_bytes(q, b, n);
        refused += open_fails(q, "damaged results file: checksum mismatch");
        b[at] ^= 0x10;
    }
    assert_int_equal(refused, (int)((n - EVO_H5_USERBLOCK + 996) / 997));
    /* cut anywhere, or extended */
    for (size_t len = n - 1; len > EVO_H5_USERBLOCK; len /= 2) {
        write_bytes(q, b, len);
        assert_true(open_fails(q, "truncated"));
    }
    unsigned char *longer = calloc(n + 1, 1);
    memcpy(longer, b, n);
    write_bytes(q, longer, n + 1);
    assert_true(open_fails(q, "truncated, or changed"));
    free(longer);
    /* a wrong checksum digit */
    unsigned char orig28 = b[28];
    b[28] = b[28] == '0' ? '1' : '0';
    write_bytes(q, b, n);
    assert_true(open_fails(q, "checksum mismatch"));
    b[28] = orig28;
    /* a seal line damaged after its prefix is refused; a crafted length beyond 64 bits too */
    b[40] ^= 0x20;
    write_bytes(q, b, n);
    assert_true(open_fails(q, "seal line is unreadable"));
    b[40] ^= 0x20;
    unsigned char saved[EVO_H5_USERBLOCK];
    memcpy(saved, b, sizeof saved);
    snprintf((char *)b, EVO_H5_USERBLOCK, "evotune results file: crc32 00000000 of the "
             "99999999999999999999999 bytes after this 512-byte user block\n");
    write_bytes(q, b, n);
    assert_true(open_fails(q, "seal line is unreadable"));
    memset(b, 'x', EVO_H5_USERBLOCK); /* the prefix, then no NUL anywhere in the user block */
    memcpy(b, "evotune results file: crc32 ", 28);
    write_bytes(q, b, n);
    assert_true(open_fails(q, "seal line is unreadable"));
    memcpy(b, saved, sizeof saved);
    /* no seal line (damaged prefix, or a zeroed user block): refused, naming what reads older files */
    b[0] = 'E';
    write_bytes(q, b, n);
    assert_true(open_fails(q, "no seal line"));
    memset(b, 0, EVO_H5_USERBLOCK);
    write_bytes(q, b, n);
    assert_true(open_fails(q, "an older file is read by evotune 0.1.0"));
    /* sealing the zeroed user block again gives the original file; a tiny image is left alone */
    evo_h5_seal(b, n);
    unsigned char *orig = read_bytes(p, &n);
    assert_memory_equal(b, orig, n);
    free(orig);
    write_bytes(q, b, n);
    assert_int_equal(open_fails(q, ""), 0);
    unsigned char tiny[EVO_H5_USERBLOCK] = {7};
    evo_h5_seal(tiny, sizeof tiny);
    assert_int_equal(tiny[0], 7);
    free(b);
}

static void test_failed_write_keeps_previous_file(void **state)
{
    (void)state;
    struct evo_error err = {0};
    /* the target is a directory: the rename fails after the temporary file was written */
    const char *p = path_in_dir("isdir.h5");
    assert_int_equal(mkdir(p, 0777), 0);
    assert_int_equal(evo_h5_write(&srch.log, p, &err), EVO_EIO);
    assert_non_null(strstr(err.msg, "isdir.h5"));
    assert_non_null(strstr(err.msg, "rename"));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
    assert_int_not_equal(system(cmd), 0); /* no temporary file left */
    /* a parent path that is a file: cannot even create the directory */
    const char *good = path_in_dir("good.h5");
    assert_int_equal(evo_h5_write(&srch.log, good, &err), EVO_OK);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/run.h5", good);
    assert_int_equal(evo_h5_write(&srch.log, bad, &err), EVO_EIO);
    assert_non_null(strstr(err.msg, "good.h5"));
    hid_t f = H5Fopen(good, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    H5Fclose(f);
}

/* A network with conv blocks (batch norm, an unfused activation, pooling, dropout) goes through the
 * file and comes back as the same layer table, the same parameters bit for bit, and the same class
 * probabilities for every test row. */
static void test_conv_model_round_trip(void **state)
{
    (void)state;
    static const char text[] =
        "data = { train = \"" EVOTUNE_SOURCE_DIR "/datasets/digits.csv\"; label = \"label\"; image_shape = [8, 8]; };\n"
        "search = { conv_blocks = 2; filters_1 = 3; filters_2 = 4; kernel_size = 3; pooling = \"max\";\n"
        "           batch_norm = \"on\"; activation = \"gelu\"; dropout = 0.1; hidden_layers = 1; neurons = 8;\n"
        "           epochs = 2; batch_size = 16; learning_rate = 0.01; optimizer = \"adam\"; };\n"
        "run = { max_trials = 2; threads = 1; seed = 4; };\n";
    struct evo_config c;
    struct evo_search s;
    struct evo_error err = {0};
    assert_int_equal(evo_config_load_string(&c, text, "conv.cfg", NULL, 0, &err), EVO_OK);
    assert_int_equal(evo_search_init(&s, &c, &err), EVO_OK);
    assert_int_equal(evo_search_run(&s, NULL, NULL, &err), EVO_OK);
    const struct evo_mlp *net = &s.log.best_net;
    assert_int_equal(net->arch.conv_blocks, 2);
    const char *p = path_in_dir("conv.h5");
    assert_int_equal(evo_h5_write(&s.log, p, &err), EVO_OK);

    struct evo_mlp back;
    struct evo_individual best;
    assert_int_equal(evo_h5_load_model(&back, &best, p, &err), EVO_OK);
    assert_int_equal(back.n_table, net->n_table);
    assert_memory_equal(back.table, net->table, net->n_table * sizeof *net->table);
    assert_int_equal(back.n_params, net->n_params);
    assert_memory_equal(back.params, net->params, net->n_params * sizeof *net->params);

    const struct evo_dataset *t = evo_problem_test(&s.problem);
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init_for(&ws, &net->arch, 64, 1);
    size_t C = net->arch.n_out;
    float *a = calloc(t->n * C, sizeof *a), *b = calloc(t->n * C, sizeof *b);
    int32_t *ca = calloc(t->n, sizeof *ca), *cb = calloc(t->n, sizeof *cb);
    evo_predict_data(net, &ws, t, a, ca);
    evo_predict_data(&back, &ws, t, b, cb);
    assert_memory_equal(ca, cb, t->n * sizeof *ca);
    free(ca);
    free(cb);
    assert_memory_equal(a, b, t->n * C * sizeof *a);
    assert_true(isfinite(a[0]));

    /* the file spells the table out: conv kernels [filters, channels, k, k], one row per layer */
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    hsize_t dims[4] = {0};
    assert_true(H5LTget_dataset_info(f, "best/weights/conv_1_kernel", dims, NULL, NULL) >= 0);
    assert_int_equal(dims[0], 4);
    assert_int_equal(dims[1], 3);
    assert_int_equal(dims[2], 3);
    assert_int_equal(dims[3], 3);
    assert_true(H5LTget_dataset_info(f, "best/layers", dims, NULL, NULL) >= 0);
    assert_int_equal(dims[0], net->n_table);
    H5Fclose(f);

    free(a);
    free(b);
    evo_mlp_workspace_release(&ws);
    evo_mlp_release(&back);
    evo_search_release(&s);
    evo_config_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_attributes),
        cmocka_unit_test(test_individuals_table),
        cmocka_unit_test(test_curves_table),
        cmocka_unit_test(test_generations_and_best),
        cmocka_unit_test(test_write_creates_parent_dirs_and_leaves_no_temp),
        cmocka_unit_test(test_seal),
        cmocka_unit_test(test_failed_write_keeps_previous_file),
        cmocka_unit_test(test_conv_model_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
