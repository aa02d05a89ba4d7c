/* Tests of the data module: CSV and IDX loading (plain and gzip, good and malformed, with the line
 * numbers the messages must carry), the stratified split, standardisation, alignment of a separate
 * test file, the hash, and the data sets shipped in datasets/. Files are written to a mkdtemp
 * directory that the group teardown removes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "evotune/data.h"
#include "evotune/config.h"
#include "evotune/problem.h"
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/evotune-test-data-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    DIR *dir = opendir(tmpdir);
    if (!dir)
        return -1;
    struct dirent *e;
    char path[512];
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    closedir(dir);
    return rmdir(tmpdir);
}

/* Path of a file in the temporary directory; a ring of buffers so a test can hold a few at once. */
static const char *tmp_path(const char *name)
{
    static char ring[4][512];
    static int next;
    char *p = ring[next++ & 3];
    snprintf(p, sizeof ring[0], "%s/%s", tmpdir, name);
    return p;
}

static const char *write_bytes(const char *name, const void *data, size_t len)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_bytes(name, text, strlen(text));
}

static const char *write_gz(const char *name, const void *data, size_t len)
{
    const char *path = tmp_path(name);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
    return path;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int is_empty(const struct evo_dataset *ds)
{
    return !ds->n && !ds->d && !ds->x && !ds->bytes && !ds->scale && !ds->y && !ds->n_classes &&
           !ds->feature_names && !ds->class_names && !ds->label_name;
}

/* Writes text to the temporary file `name` and loads it as CSV with the given label column; the
 * load must succeed. Returns the file's path. */
static const char *load_text(struct evo_dataset *ds, const char *name, const char *text,
                             const char *label)
{
    const char *path = write_text(name, text);
    struct evo_error err = {0};
    if (evo_data_load_csv(ds, path, label, &err) != EVO_OK)
        fail_msg("%s: %s", name, err.msg);
    return path;
}

/* A CSV file that must fail to load with EVO_EDATA and a message that holds every one of `want`
 * (up to the first NULL); text NULL: no such file. */
struct csv_error_case {
    const char *name, *text, *label;
    const char *want[3];
};

static void expect_csv_error(const struct csv_error_case *c)
{
    const char *path = c->text ? write_text(c->name, c->text) : tmp_path(c->name);
    struct evo_dataset ds;
    struct evo_error err = {0};
    int rc = evo_data_load_csv(&ds, path, c->label, &err);
    if (rc != EVO_EDATA)
        fail_msg("%s: expected EVO_EDATA, got %d (%s)", c->name, rc, err.msg);
    assert_int_equal(err.status, EVO_EDATA);
    assert_true(is_empty(&ds));
    for (int i = 0; i < 3 && c->want[i]; i++)
        if (!strstr(err.msg, c->want[i]))
            fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->want[i]);
    evo_data_release(&ds);
}

/* ---- CSV, good files ----------------------------------------------------------------------------- */

static const char good_csv[] =
    "\"a\", \"b\" ,c,species\r\n"
    "1.5, 2,3,virginica\r\n"
    "-1e2,0.25,  7 ,setosa\r\n"
    "4,5,6,versicolor\r\n"
    "0,0,0,setosa\r\n"
    "\r\n";

static void check_good(const struct evo_dataset *ds)
{
    assert_int_equal(ds->n, 4);
    assert_int_equal(ds->d, 3);
    assert_string_equal(ds->label_name, "species");
    assert_string_equal(ds->feature_names[0], "a");
    assert_string_equal(ds->feature_names[1], "b");
    assert_string_equal(ds->feature_names[2], "c");
    const float x[12] = {1.5f, 2, 3, -100, 0.25f, 7, 4, 5, 6, 0, 0, 0};
    for (int i = 0; i < 12; i++)
        assert_true(ds->x[i] == x[i]);
    assert_int_equal(ds->n_classes, 3);
    assert_string_equal(ds->class_names[0], "setosa");
    assert_string_equal(ds->class_names[1], "versicolor");
    assert_string_equal(ds->class_names[2], "virginica");
    const int32_t y[4] = {2, 0, 1, 0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ds->y[i], y[i]);
}

static void test_csv_good(void **state)
{
    (void)state;
    struct evo_dataset ds;
    struct evo_error err = {0};
    load_text(&ds, "good.csv", good_csv, "species");
    check_good(&ds);
    evo_data_release(&ds);
    assert_true(is_empty(&ds));
    evo_data_release(&ds); /* twice is safe */

    /* the same file through gzip, and through the name-based dispatch */
    const char *path = write_gz("good.csv.gz", good_csv, strlen(good_csv));
    assert_int_equal(evo_data_load(&ds, path, NULL, "-1", &err), EVO_OK);
    check_good(&ds);
    evo_data_release(&ds);
}

static void test_csv_numeric_labels(void **state)
{
    (void)state;
    /* by value the order is -1, 2, 10; by text it would be -1, 10, 2 */
    struct evo_dataset ds;
    load_text(&ds, "num.csv", "f,label\n1,10\n2,2\n3,-1\n4,2\n", "label");
    assert_int_equal(ds.n_classes, 3);
    assert_string_equal(ds.class_names[0], "-1");
    assert_string_equal(ds.class_names[1], "2");
    assert_string_equal(ds.class_names[2], "10");
    const int32_t y[4] = {2, 1, 0, 1};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ds.y[i], y[i]);
    evo_data_release(&ds);

    /* one non-integer label turns the whole column into text, ordered by bytes */
    load_text(&ds, "mixed.csv", "f,label\n1,10\n2,2\n3,2.5\n", "label");
    assert_string_equal(ds.class_names[0], "10");
    assert_string_equal(ds.class_names[1], "2");
    assert_string_equal(ds.class_names[2], "2.5");
    evo_data_release(&ds);
}

static void test_csv_label_column(void **state)
{
    (void)state;
    const char *path = write_text("cols.csv", "p,q,r,s\n1,2,3,4\n5,6,7,8\n");
    struct evo_dataset ds;
    struct evo_error err = {0};
    const struct {
        const char *label;
        const char *name;
        float first[3];
    } cases[] = {
        {"q", "q", {1, 3, 4}},  {"1", "q", {1, 3, 4}},  {"-1", "s", {1, 2, 3}},
        {NULL, "s", {1, 2, 3}}, {"0", "p", {2, 3, 4}}, {"-4", "p", {2, 3, 4}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        assert_int_equal(evo_data_load_csv(&ds, path, cases[c].label, &err), EVO_OK);
        assert_string_equal(ds.label_name, cases[c].name);
        assert_int_equal(ds.d, 3);
        for (int j = 0; j < 3; j++)
            assert_true(ds.x[j] == cases[c].first[j]);
        assert_int_equal(ds.n_classes, 2);
        evo_data_release(&ds);
    }
    /* a header name wins over the same text read as an index */
    load_text(&ds, "numhdr.csv", "0,1,2\n1,2,3\n4,5,6\n", "0");
    assert_string_equal(ds.label_name, "0");
    assert_string_equal(ds.feature_names[0], "1");
    evo_data_release(&ds);
}

static void test_csv_long_lines(void **state)
{
    (void)state;
    /* 3000 columns, far more than any fixed line buffer a reader might assume */
    const size_t d = 3000, n = 20;
    size_t cap = 64 * d * (n + 1), len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t j = 0; j < d; j++)
        len += (size_t)snprintf(text + len, cap - len, "pixel_%zu,", j);
    len += (size_t)snprintf(text + len, cap - len, "label\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            len += (size_t)snprintf(text + len, cap - len, "%zu,", (i * 7 + j) % 256);
        len += (size_t)snprintf(text + len, cap - len, "%zu\n", i % 3);
    }
    struct evo_dataset ds;
    struct evo_error err = {0};
    const char *paths[2] = {write_bytes("long.csv", text, len), write_gz("long.csv.gz", text, len)};
    for (int p = 0; p < 2; p++) {
        assert_int_equal(evo_data_load_csv(&ds, paths[p], "label", &err), EVO_OK);
        assert_int_equal(ds.n, n);
        assert_int_equal(ds.d, d);
        assert_int_equal(ds.n_classes, 3);
        assert_string_equal(ds.feature_names[d - 1], "pixel_2999");
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(ds.y[i], (int32_t)(i % 3));
            for (size_t j = 0; j < d; j++)
                assert_true(ds.x[i * d + j] == (float)((i * 7 + j) % 256));
        }
        evo_data_release(&ds);
    }
    free(text);
}

/* ---- CSV, malformed files -------------------------------------------------------------------- */

static void test_csv_errors(void **state)
{
    (void)state;
    static const struct csv_error_case cases[] = {
        {"nonnum.csv", "a,b,label\n1,2,x\n3,abc,y\n", "label",
         {"nonnum.csv:3: column 'b': expected a number, got 'abc'"}},
        {"partial.csv", "a,b,label\n1,2,x\n3,4,y\n5,1.5x,x\n", "label",
         {"partial.csv:4: column 'b': expected a number, got '1.5x'"}},
        {"nan.csv", "a,b,label\n1,2,x\nnan,4,y\n", "label",
         {"nan.csv:3: column 'a': expected a number, got 'nan'"}},
        {"inf.csv", "a,b,label\n1,2,x\n2,-inf,y\n", "label",
         {"inf.csv:3: column 'b': expected a number, got '-inf'"}},
        {"huge.csv", "a,b,label\n1,2,x\n2,1e39,y\n", "label",
         {"huge.csv:3:", "column 'b'", "out of float range"}},
        {"ragged.csv", "a,b,c,d,label\n1,2,3,4,x\n1,2,3,4,y\n1,2,3,4,x\n1,2,3,y\n", "label",
         {"ragged.csv:5: expected 5 columns, got 4"}},
        {"long_row.csv", "a,label\n1,x\r\n2,y,3\r\n", "label",
         {"long_row.csv:3: expected 2 columns, got 3"}},
        {"emptycell.csv", "a,b,label\n1,,x\n", "label", {"emptycell.csv:2: column 'b': empty cell"}},
        {"emptylabel.csv", "a,b,label\n1,2,x\n1,2, \n", "label",
         {"emptylabel.csv:3: column 'label': empty cell"}},
        {"typo.csv", "a,b,label\n1,2,x\n3,4,y\n", "lable",
         {"typo.csv: no column named 'lable' (did you mean 'label'?)"}},
        {"unknown.csv", "a,b,label\n1,2,x\n3,4,y\n", "species",
         {"unknown.csv: no column named 'species' (columns: a, b, label)"}},
        {"range.csv", "a,b,label\n1,2,x\n3,4,y\n", "3",
         {"range.csv:", "index 3 out of range (3 columns)"}},
        {"range2.csv", "a,b,label\n1,2,x\n3,4,y\n", "-4", {"range2.csv:", "out of range"}},
        {"empty.csv", "", "label", {"empty.csv: empty file"}},
        {"blank.csv", "\n\r\n", "label", {"blank.csv: empty file"}},
        {"header.csv", "a,b,label\n", "label", {"header.csv: only a header"}},
        {"header2.csv", "a,b,label\r\n\r\n", "label", {"header2.csv: only a header"}},
        {"oneclass.csv", "a,label\n1,x\n2,x\n3,x\n", "label",
         {"oneclass.csv:", "single class ('x')", "at least 2"}},
        {"gap.csv", "a,label\n1,x\n\n2,y\n", "label", {"gap.csv:3: empty line"}},
        {"quote.csv", "\"a,label\n1,x\n", "label", {"quote.csv:1:", "quoted"}},
        {"onecol.csv", "label\nx\ny\n", "label", {"onecol.csv:1:", "at least one feature"}},
        {"missing.csv", NULL, "label", {"cannot open '", "missing.csv': No such file or directory"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        expect_csv_error(&cases[c]);
}

/* A gzip stream cut short must not read as a shorter, clean file. */
static void test_csv_truncated_gzip(void **state)
{
    (void)state;
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "a,b,label\n");
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%d,%d.%d,c%d\n", i, i * 31 % 977, i % 10,
                                i % 4);
    const char *path = write_gz("trunc-src.csv.gz", text, len);
    size_t zlen;
    unsigned char *z = read_all(path, &zlen);
    free(text);

    struct evo_dataset ds;
    struct evo_error err = {0};
    assert_int_equal(evo_data_load_csv(&ds, path, "label", &err), EVO_OK);
    assert_int_equal(ds.n, 20000);
    evo_data_release(&ds);

    /* cut in the middle of the deflate data, and cut only the 8-byte trailer (CRC and length) */
    const size_t cuts[] = {zlen / 2, zlen - 4, zlen - 8};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        path = write_bytes("trunc.csv.gz", z, cuts[c]);
        memset(&err, 0, sizeof err);
        int rc = evo_data_load_csv(&ds, path, "label", &err);
        if (rc != EVO_EDATA)
            fail_msg("cut at %zu of %zu: expected EVO_EDATA, got %d", cuts[c], zlen, rc);
        assert_non_null(strstr(err.msg, "trunc.csv.gz"));
        assert_non_null(strstr(err.msg, "truncated"));
        assert_true(is_empty(&ds));
    }
    /* a corrupt byte in the middle of the stream */
    z[zlen / 2] ^= 0x55;
    z[zlen / 2 + 1] ^= 0xa5;
    path = write_bytes("corrupt.csv.gz", z, zlen);
    assert_int_equal(evo_data_load_csv(&ds, path, "label", &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "corrupt.csv.gz"));
    free(z);
}

/* ---- IDX ------------------------------------------------------------------------------------------ */

static size_t be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/* 5 images of 2x3 pixels, pixel (i, j) = 50 * i + j; labels 3 1 3 7 1 (classes 1, 3, 7). */
static size_t make_images(unsigned char *buf, uint32_t n, uint32_t rows, uint32_t cols)
{
    size_t len = be32(buf, 0x803);
    len += be32(buf + len, n);
    len += be32(buf + len, rows);
    len += be32(buf + len, cols);
    for (uint32_t i = 0; i < 5; i++)
        for (uint32_t j = 0; j < 6; j++)
            buf[len++] = (unsigned char)(50 * i + j);
    return len;
}

static size_t make_labels(unsigned char *buf, uint32_t n)
{
    size_t len = be32(buf, 0x801);
    len += be32(buf + len, n);
    const unsigned char y[5] = {3, 1, 3, 7, 1};
    memcpy(buf + len, y, 5);
    return len + 5;
}

static void check_idx(const struct evo_dataset *ds)
{
    assert_int_equal(ds->n, 5);
    assert_int_equal(ds->d, 6);
    /* held as the file's bytes, read as floats */
    assert_null(ds->x);
    assert_non_null(ds->bytes);
    float x[30];
    assert_ptr_equal(evo_data_rows(ds, NULL, 5, 0, x), x);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 6; j++) {
            assert_int_equal(ds->bytes[i * 6 + j], 50 * i + j);
            assert_true(x[i * 6 + j] == (float)(50 * i + j));
        }
    assert_int_equal(ds->n_classes, 3);
    assert_string_equal(ds->class_names[0], "1");
    assert_string_equal(ds->class_names[1], "3");
    assert_string_equal(ds->class_names[2], "7");
    const int32_t y[5] = {1, 0, 1, 2, 0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(ds->y[i], y[i]);
    assert_string_equal(ds->feature_names[0], "pixel_0");
    assert_string_equal(ds->feature_names[5], "pixel_5");
    assert_string_equal(ds->label_name, "label");
}

/* The pair loads through the loader choice (evo_data_load) as the IDX set check_idx expects. */
static void expect_idx_good(const char *images, const char *labels, const char *label)
{
    struct evo_dataset ds;
    struct evo_error err = {0};
    if (evo_data_load(&ds, images, labels, label, &err) != EVO_OK)
        fail_msg("%s: %s", images, err.msg);
    check_idx(&ds);
    evo_data_release(&ds);
}

static void test_idx_good(void **state)
{
    (void)state;
    unsigned char img[64], lab[16];
    size_t ni = make_images(img, 5, 2, 3), nl = make_labels(lab, 5);
    struct evo_dataset ds;
    struct evo_error err = {0};

    const char *images = write_bytes("t-images-idx3-ubyte", img, ni);
    const char *labels = write_bytes("t-labels-idx1-ubyte", lab, nl);
    assert_int_equal(evo_data_load_idx(&ds, images, labels, &err), EVO_OK);
    check_idx(&ds);
    evo_data_release(&ds);
    expect_idx_good(images, labels, NULL);

    images = write_gz("g-images-idx3-ubyte.gz", img, ni);
    labels = write_gz("g-labels-idx1-ubyte.gz", lab, nl);
    expect_idx_good(images, labels, "ignored");

    /* the ".idx" spelling also selects the IDX reader, and it needs a label file */
    images = write_bytes("set.idx3", img, ni);
    assert_int_equal(evo_data_load(&ds, images, NULL, "label", &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "set.idx3"));
    assert_non_null(strstr(err.msg, "label file"));
    assert_true(is_empty(&ds));
}

/* IDX is recognised by its magic number, not its name: a pair under neutral names, plain and gzipped,
 * loads as IDX (before, img.gz was read as CSV and refused with "empty line before the header"). */
static void test_idx_by_magic(void **state)
{
    (void)state;
    unsigned char img[64], lab[16];
    size_t ni = make_images(img, 5, 2, 3), nl = make_labels(lab, 5);
    struct evo_dataset ds;
    struct evo_error err = {0};
    const char *names[2][2] = {{"img", "lab"}, {"img.gz", "lab.gz"}};
    for (int gz = 0; gz < 2; gz++) {
        char images[600], labels[600];
        snprintf(images, sizeof images, "%s",
                 gz ? write_gz(names[gz][0], img, ni) : write_bytes(names[gz][0], img, ni));
        snprintf(labels, sizeof labels, "%s",
                 gz ? write_gz(names[gz][1], lab, nl) : write_bytes(names[gz][1], lab, nl));
        expect_idx_good(images, labels, "label");
        /* without its label file: the IDX error, not a CSV one */
        assert_int_equal(evo_data_load(&ds, images, NULL, "label", &err), EVO_EDATA);
        assert_non_null(strstr(err.msg, "label file"));
        assert_true(is_empty(&ds));
        /* a label file given as the images: the IDX reader names the magic */
        assert_int_equal(evo_data_load(&ds, labels, images, "label", &err), EVO_EDATA);
        assert_non_null(strstr(err.msg, "bad magic 0x00000801"));
        assert_true(is_empty(&ds));
        assert_int_equal(evo_data_load_unlabelled(&ds, images, &err), EVO_OK);
        assert_int_equal(ds.n, 5);
        assert_int_equal(ds.d, 6);
        float row[6];
        assert_true(evo_data_rows(&ds, NULL, 1, 4, row)[5] == 205.0f);
        evo_data_release(&ds);
        int has = 1;
        assert_int_equal(evo_data_csv_has_column(images, "label", &has, &err), EVO_OK);
        assert_int_equal(has, 0);
    }
    /* a CSV under a neutral name is still a CSV */
    const char *csv = write_gz("table.gz", "a,label\n1,x\n2,y\n", 16);
    if (evo_data_load(&ds, csv, NULL, "label", &err) != EVO_OK)
        fail_msg("%s: %s", csv, err.msg);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.d, 1);
    evo_data_release(&ds);
}

static void expect_idx_error(const char *images, const char *labels, const char *want1,
                             const char *want2)
{
    struct evo_dataset ds;
    struct evo_error err = {0};
    int rc = evo_data_load_idx(&ds, images, labels, &err);
    if (rc != EVO_EDATA)
        fail_msg("expected EVO_EDATA, got %d (%s)", rc, err.msg);
    assert_true(is_empty(&ds));
    if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
        fail_msg("message '%s' lacks '%s' or '%s'", err.msg, want1, want2 ? want2 : "");
}

static void test_idx_errors(void **state)
{
    (void)state;
    unsigned char img[64], lab[16];
    size_t ni = make_images(img, 5, 2, 3), nl = make_labels(lab, 5);
    /* copies: tmp_path's ring of buffers is reused by the files written below */
    char images[512], labels[512];
    snprintf(images, sizeof images, "%s", write_bytes("e-images-idx3-ubyte", img, ni));
    snprintf(labels, sizeof labels, "%s", write_bytes("e-labels-idx1-ubyte", lab, nl));

    /* files swapped: each has the other's magic */
    expect_idx_error(labels, images, "e-labels-idx1-ubyte", "bad magic 0x00000801");
    /* a float image file (type 0x0d) is not ours either */
    unsigned char bad[64];
    memcpy(bad, img, ni);
    bad[2] = 0x0d;
    expect_idx_error(write_bytes("f-images-idx3-ubyte", bad, ni), labels, "bad magic", NULL);

    /* counts disagree */
    unsigned char lab4[16];
    size_t nl4 = make_labels(lab4, 4) - 1;
    expect_idx_error(images, write_bytes("c-labels-idx1-ubyte", lab4, nl4), "4 labels for 5 images",
                     NULL);

    /* header says 6 images but the file holds 5 */
    memcpy(bad, img, ni);
    be32(bad + 4, 6);
    expect_idx_error(write_bytes("n6-images-idx3-ubyte", bad, ni), labels, "truncated", NULL);
    /* file cut inside the pixels, plain and gzip */
    expect_idx_error(write_bytes("u-images-idx3-ubyte", img, ni - 7), labels, "truncated", NULL);
    expect_idx_error(images, write_bytes("v-labels-idx1-ubyte", lab, nl - 1), "truncated", NULL);
    expect_idx_error(write_bytes("h-images-idx3-ubyte", img, 10), labels, "truncated IDX header",
                     NULL);
    /* a gzip file cut short: the decompressed bytes may all be there, the stream is not whole */
    const char *gz = write_gz("w-images-idx3-ubyte.gz", img, ni);
    size_t zlen;
    unsigned char *z = read_all(gz, &zlen);
    expect_idx_error(write_bytes("x-images-idx3-ubyte.gz", z, zlen - 6), labels, "truncated", NULL);
    expect_idx_error(write_bytes("y-images-idx3-ubyte.gz", z, zlen / 2), labels, "truncated", NULL);
    free(z);

    /* more bytes than the header describes */
    memcpy(bad, img, ni);
    bad[ni] = 0;
    expect_idx_error(write_bytes("z-images-idx3-ubyte", bad, ni + 1), labels, "trailing", NULL);

    /* a zero dimension, and dimensions whose product overflows */
    memcpy(bad, img, ni);
    be32(bad + 8, 0);
    expect_idx_error(write_bytes("0-images-idx3-ubyte", bad, ni), labels, "dimension", "is 0");
    memcpy(bad, img, ni);
    be32(bad + 4, 0xffffffffu);
    be32(bad + 8, 0xffffffffu);
    be32(bad + 12, 0xffffffffu);
    expect_idx_error(write_bytes("o-images-idx3-ubyte", bad, ni), labels, "overflow", NULL);

    expect_idx_error(tmp_path("none-images-idx3-ubyte"), labels, "cannot open '",
                     "No such file or directory");
}

/* ---- split, standardise, align, hash ---------------------------------------------------------- */

/* A data set of n rows and d features, floats or (bytes) bytes, for the caller to fill: features
 * named features[j] (NULL: "p<j>"), k classes named class_prefix followed by the class index, the
 * label column "label", and every y 0. */
static void make_set(struct evo_dataset *ds, size_t n, size_t d, int bytes,
                     const char *const *features, int k, const char *class_prefix)
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->d = d;
    if (bytes)
        ds->bytes = malloc(n * d + 1);
    else
        ds->x = malloc((n * d + 1) * sizeof *ds->x);
    ds->y = calloc(n + 1, sizeof *ds->y);
    ds->feature_names = calloc(d, sizeof *ds->feature_names);
    for (size_t j = 0; j < d; j++) {
        char name[32];
        snprintf(name, sizeof name, "p%zu", j);
        ds->feature_names[j] = strdup(features ? features[j] : name);
    }
    ds->n_classes = k;
    ds->class_names = k ? calloc((size_t)k, sizeof *ds->class_names) : NULL;
    for (int c = 0; c < k; c++) {
        char name[32];
        snprintf(name, sizeof name, "%s%d", class_prefix, c);
        ds->class_names[c] = strdup(name);
    }
    ds->label_name = strdup("label");
}

/* n rows in classes of the given sizes; x[i][0] = i identifies the row, x[i][1] = its class. */
static void make_classes(struct evo_dataset *ds, const size_t *sizes, int k)
{
    size_t n = 0;
    for (int c = 0; c < k; c++)
        n += sizes[c];
    const char *const features[2] = {"row", "class"};
    make_set(ds, n, 2, 0, features, k, "k");
    /* interleave the classes so that "original order" is a real constraint */
    size_t left[8], i = 0;
    memcpy(left, sizes, (size_t)k * sizeof *left);
    while (i < n)
        for (int c = 0; c < k; c++)
            if (left[c]) {
                left[c]--;
                ds->x[2 * i] = (float)i;
                ds->x[2 * i + 1] = (float)c;
                ds->y[i++] = c;
            }
}

static size_t rounded(double f, size_t m) { return (size_t)floor(f * (double)m + 0.5); }

/* Cross-validation's pool and folds: without a validation set its rows stay in train, the test rows
 * those of the same split with one; folds partition the rows, stratified, sizes within one; too many
 * folds is an error. */
static void test_folds(void **state)
{
    (void)state;
    const size_t sizes[3] = {50, 30, 7};
    struct evo_dataset all, tr, va, te, pool, te2;
    struct evo_error err = {0};
    make_classes(&all, sizes, 3);
    assert_int_equal(evo_data_split(&all, 0.2, 0.1, 42, &tr, &va, &te, &err), EVO_OK);
    assert_int_equal(evo_data_split(&all, 0.2, 0.1, 42, &pool, NULL, &te2, &err), EVO_OK);
    assert_int_equal(pool.n, tr.n + va.n);
    assert_true(evo_data_hash(&te2) == evo_data_hash(&te));
    size_t fold_of[87], per[4][3] = {{0}}, n[4] = {0};
    assert_int_equal(evo_data_folds(&pool, 4, 42, fold_of, &err), EVO_OK);
    for (size_t i = 0; i < pool.n; i++) {
        assert_true(fold_of[i] < 4);
        per[fold_of[i]][pool.y[i]]++;
        n[fold_of[i]]++;
    }
    for (size_t f = 1; f < 4; f++) {
        assert_true(n[f] + 1 >= n[0] && n[0] + 1 >= n[f]);
        for (int c = 0; c < 3; c++)
            assert_true(per[f][c] + 1 >= per[0][c] && per[0][c] + 1 >= per[f][c]);
    }
    size_t again[87];
    assert_int_equal(evo_data_folds(&pool, 4, 42, again, &err), EVO_OK);
    assert_memory_equal(again, fold_of, pool.n * sizeof *again);
    assert_int_equal(evo_data_folds(&pool, pool.n + 1, 42, again, &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "folds of"));
    assert_int_equal(evo_data_folds(&pool, 1, 42, again, &err), EVO_EDATA);
    evo_data_release(&all);
    evo_data_release(&tr);
    evo_data_release(&va);
    evo_data_release(&te);
    evo_data_release(&pool);
    evo_data_release(&te2);
}

static void test_split(void **state)
{
    (void)state;
    const size_t sizes[3] = {50, 30, 7};
    const int k = 3;
    struct evo_dataset all, tr, va, te;
    struct evo_error err = {0};
    make_classes(&all, sizes, k);
    const double vf = 0.2, tf = 0.1;
    assert_int_equal(evo_data_split(&all, vf, tf, 42, &tr, &va, &te, &err), EVO_OK);

    size_t seen[87] = {0};
    const struct evo_dataset *parts[3] = {&tr, &va, &te};
    for (int s = 0; s < 3; s++) {
        size_t per[3] = {0, 0, 0};
        const struct evo_dataset *p = parts[s];
        assert_int_equal(p->d, 2);
        assert_int_equal(p->n_classes, 3);
        assert_string_equal(p->class_names[2], "k2");
        assert_string_equal(p->feature_names[0], "row");
        assert_string_equal(p->label_name, "label");
        for (size_t i = 0; i < p->n; i++) {
            size_t row = (size_t)p->x[2 * i];
            assert_true(row < all.n);
            seen[row]++;
            assert_int_equal(p->y[i], all.y[row]);
            assert_true(p->x[2 * i + 1] == (float)p->y[i]);
            per[p->y[i]]++;
            if (i)
                assert_true(p->x[2 * i] > p->x[2 * (i - 1)]); /* original order kept */
        }
        for (int c = 0; c < k; c++) {
            size_t nv = rounded(vf, sizes[c]), nt = rounded(tf, sizes[c]);
            size_t want = s == 1 ? nv : s == 2 ? nt : sizes[c] - nv - nt;
            assert_int_equal(per[c], want);
        }
    }
    /* 50: 10/5/35, 30: 6/3/21, 7: 1/1/5 */
    assert_int_equal(va.n, 17);
    assert_int_equal(te.n, 9);
    assert_int_equal(tr.n, 61);
    for (size_t i = 0; i < all.n; i++)
        assert_int_equal(seen[i], 1); /* the splits partition the rows */

    /* same seed, same split; another seed, another split */
    struct evo_dataset tr2, va2, te2;
    assert_int_equal(evo_data_split(&all, vf, tf, 42, &tr2, &va2, &te2, &err), EVO_OK);
    assert_true(evo_data_hash(&tr2) == evo_data_hash(&tr));
    assert_true(evo_data_hash(&va2) == evo_data_hash(&va));
    assert_true(evo_data_hash(&te2) == evo_data_hash(&te));
    evo_data_release(&tr2);
    evo_data_release(&va2);
    evo_data_release(&te2);
    assert_int_equal(evo_data_split(&all, vf, tf, 43, &tr2, &va2, &te2, &err), EVO_OK);
    assert_int_equal(va2.n, va.n);
    assert_true(evo_data_hash(&va2) != evo_data_hash(&va));
    assert_true(evo_data_hash(&tr2) != evo_data_hash(&tr));
    evo_data_release(&tr2);
    evo_data_release(&va2);
    evo_data_release(&te2);

    /* no test fraction: test may be NULL, or comes back with no rows */
    assert_int_equal(evo_data_split(&all, 0.25, 0, 7, &tr2, &va2, NULL, &err), EVO_OK);
    assert_int_equal(va2.n, rounded(0.25, 50) + rounded(0.25, 30) + rounded(0.25, 7));
    assert_int_equal(tr2.n + va2.n, all.n);
    evo_data_release(&tr2);
    evo_data_release(&va2);
    assert_int_equal(evo_data_split(&all, 0.25, 0, 7, &tr2, &va2, &te2, &err), EVO_OK);
    assert_int_equal(te2.n, 0);
    evo_data_release(&tr2);
    evo_data_release(&va2);
    evo_data_release(&te2);

    evo_data_release(&tr);
    evo_data_release(&va);
    evo_data_release(&te);
    evo_data_release(&all);
}

static void expect_split_error(const struct evo_dataset *all, double vf, double tf, int with_test,
                               const char *want)
{
    struct evo_dataset tr, va, te;
    struct evo_error err = {0};
    int rc = evo_data_split(all, vf, tf, 1, &tr, &va, with_test ? &te : NULL, &err);
    if (rc != EVO_EDATA)
        fail_msg("split %g/%g: expected EVO_EDATA, got %d", vf, tf, rc);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_true(is_empty(&tr) && is_empty(&va));
    if (with_test)
        assert_true(is_empty(&te));
}

static void test_split_errors(void **state)
{
    (void)state;
    const size_t sizes[2] = {3, 3};
    struct evo_dataset all;
    make_classes(&all, sizes, 2);
    expect_split_error(&all, 1.0, 0, 1, "fractions");
    expect_split_error(&all, -0.1, 0.1, 1, "fractions");
    expect_split_error(&all, 0.5, 0.5, 1, "fractions");
    expect_split_error(&all, NAN, 0.1, 1, "fractions");
    expect_split_error(&all, 0.2, 0.2, 0, "no test set");
    /* round(0.1 * 3) = 0 in both classes */
    expect_split_error(&all, 0.1, 0.3, 1, "validation split would be empty");
    expect_split_error(&all, 0, 0, 1, "validation split would be empty");
    expect_split_error(&all, 0.3, 0.1, 1, "test split would be empty");
    /* round(0.5 * 3) = 2 and round(0.3 * 3) = 1 leave nothing to train on */
    expect_split_error(&all, 0.5, 0.3, 1, "training split would be empty");
    evo_data_release(&all);
}

static void test_standardize(void **state)
{
    (void)state;
    const size_t sizes[2] = {40, 60};
    struct evo_dataset all, tr, va, te;
    struct evo_error err = {0};
    make_classes(&all, sizes, 2);
    /* widen to 3 features: a skewed one, the class, and a constant */
    float *x = malloc(all.n * 3 * sizeof *x);
    for (size_t i = 0; i < all.n; i++) {
        x[3 * i] = 1000.0f + (float)(i * i % 97) * 0.37f;
        x[3 * i + 1] = all.x[2 * i + 1];
        x[3 * i + 2] = 0.1f;
    }
    free(all.x);
    all.x = x;
    all.d = 3;
    all.feature_names = realloc(all.feature_names, 3 * sizeof *all.feature_names);
    all.feature_names[2] = strdup("const");
    assert_int_equal(evo_data_split(&all, 0.2, 0.2, 5, &tr, &va, &te, &err), EVO_OK);

    struct evo_dataset va_raw;
    size_t *idx = malloc(va.n * sizeof *idx);
    for (size_t i = 0; i < va.n; i++)
        idx[i] = i;
    evo_data_subset(&va_raw, &va, idx, va.n);
    free(idx);

    float mean[3], std[3];
    evo_data_standardize(&tr, &va, &te, mean, std);
    for (int j = 0; j < 2; j++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < tr.n; i++)
            s += tr.x[3 * i + j];
        s /= (double)tr.n;
        for (size_t i = 0; i < tr.n; i++)
            ss += (tr.x[3 * i + j] - s) * (tr.x[3 * i + j] - s);
        assert_true(fabs(s) < 1e-4); /* the float-rounded mean shifts it by ~1e-6 */
        assert_true(fabs(sqrt(ss / (double)tr.n) - 1) < 1e-5);
    }
    /* the constant feature becomes exactly 0 everywhere, with std 1 */
    assert_true(mean[2] == 0.1f);
    assert_true(std[2] == 1.0f);
    for (size_t i = 0; i < tr.n; i++)
        assert_true(tr.x[3 * i + 2] == 0.0f);
    for (size_t i = 0; i < va.n; i++)
        assert_true(va.x[3 * i + 2] == 0.0f);
    /* validation uses the training statistics, not its own */
    for (size_t i = 0; i < va.n; i++)
        for (int j = 0; j < 3; j++) {
            double want = ((double)va_raw.x[3 * i + j] - mean[j]) / std[j];
            assert_true(fabs(va.x[3 * i + j] - want) < 1e-5);
        }
    evo_data_release(&va_raw);
    evo_data_release(&tr);
    evo_data_release(&va);
    evo_data_release(&te);
    evo_data_release(&all);
}

static void test_align(void **state)
{
    (void)state;
    struct evo_dataset ref, ds;
    struct evo_error err = {0};
    load_text(&ref, "ref.csv", "a,b,label\n1,2,cat\n3,4,dog\n5,6,emu\n", "label");

    load_text(&ds, "test.csv", "a,b,label\n7,8,emu\n9,9,dog\n0,0,emu\n", "label");
    assert_int_equal(ds.n_classes, 2); /* dog, emu on its own */
    assert_int_equal(evo_data_align(&ds, &ref, "test.csv", &err), EVO_OK);
    assert_int_equal(ds.n_classes, 3);
    assert_string_equal(ds.class_names[0], "cat");
    assert_string_equal(ds.class_names[2], "emu");
    assert_int_equal(ds.y[0], 2);
    assert_int_equal(ds.y[1], 1);
    assert_int_equal(ds.y[2], 2);
    evo_data_release(&ds);

    load_text(&ds, "test2.csv", "a,b,label\n7,8,emu\n9,9,yak\n", "label");
    assert_int_equal(evo_data_align(&ds, &ref, "test2.csv", &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "test2.csv"));
    assert_non_null(strstr(err.msg, "'yak'"));
    assert_int_equal(ds.n_classes, 2); /* left as it was */
    evo_data_release(&ds);

    load_text(&ds, "test3.csv", "a,b,c,label\n7,8,1,emu\n9,9,1,dog\n", "label");
    assert_int_equal(evo_data_align(&ds, &ref, "test3.csv", &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "test3.csv"));
    assert_non_null(strstr(err.msg, "3 features"));
    assert_non_null(strstr(err.msg, "has 2"));
    evo_data_release(&ds);
    evo_data_release(&ref);
}

static void test_hash(void **state)
{
    (void)state;
    struct evo_dataset a, b;
    load_text(&a, "h.csv", good_csv, "species");
    load_text(&b, "h.csv", good_csv, "species");
    uint64_t h = evo_data_hash(&a);
    assert_true(h == evo_data_hash(&b));
    b.x[5] += 1;
    assert_true(h != evo_data_hash(&b));
    b.x[5] -= 1;
    b.y[0] = 0;
    assert_true(h != evo_data_hash(&b));
    b.y[0] = a.y[0];
    b.n = 3; /* shape is part of the content */
    assert_true(h != evo_data_hash(&b));
    b.n = 4;
    assert_true(h == evo_data_hash(&b));
    evo_data_release(&a);
    evo_data_release(&b);
}

/* ---- the data sets we ship and the one Debian ships -------------------------------------------- */

static void test_shipped(void **state)
{
    (void)state;
    const struct {
        const char *file;
        size_t n, d;
        int k;
        const char *first_class, *first_feature;
    } sets[] = {
        {"digits.csv", 1797, 64, 10, "0", "pixel_0"},
        {"iris.csv", 150, 4, 3, "setosa", "sepal_length"},
        {"wine.csv", 178, 13, 3, "class_0", "alcohol"},
        {"breast_cancer.csv", 569, 30, 2, "benign", "mean_radius"},
    };
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/datasets/%s", EVOTUNE_SOURCE_DIR, sets[s].file);
        struct evo_dataset ds;
        struct evo_error err = {0};
        if (evo_data_load(&ds, path, NULL, "label", &err) != EVO_OK)
            fail_msg("%s", err.msg);
        assert_int_equal(ds.n, sets[s].n);
        assert_int_equal(ds.d, sets[s].d);
        assert_int_equal(ds.n_classes, sets[s].k);
        assert_string_equal(ds.class_names[0], sets[s].first_class);
        assert_string_equal(ds.feature_names[0], sets[s].first_feature);
        assert_string_equal(ds.label_name, "label");
        /* every class present, every label in range */
        size_t count[10] = {0};
        for (size_t i = 0; i < ds.n; i++) {
            assert_in_range(ds.y[i], 0, ds.n_classes - 1);
            count[ds.y[i]]++;
        }
        for (int c = 0; c < ds.n_classes; c++)
            assert_true(count[c] > 0);
        evo_data_release(&ds);
    }
}

/* A regression set: numeric labels become float targets, anything else is refused; the split is a
 * seeded random one (no classes), subsets and the hash carry the targets, and the CSV writer writes
 * them back. Then the shipped diabetes set. */
static void test_regression(void **state)
{
    (void)state;
    struct evo_dataset ds, tr, va, te, tr2, va2, te2;
    struct evo_error err = {0};
    const char *p = load_text(&ds, "reg.csv", "a,b,target\n1,2,1.5\n3,4,-2e1\n5,6,1.5\n7,8,300\n", "target");
    assert_int_equal(evo_data_to_regression(&ds, p, &err), EVO_OK);
    assert_int_equal(ds.n_classes, 0);
    assert_null(ds.class_names);
    const float want[4] = {1.5f, -20.0f, 1.5f, 300.0f};
    assert_memory_equal(ds.target, want, sizeof want);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(ds.y[i], 0);
    uint64_t h = evo_data_hash(&ds);
    ds.target[3] = 301.0f;
    assert_true(evo_data_hash(&ds) != h); /* the targets are part of the content */
    ds.target[3] = 300.0f;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(evo_data_write_csv(&ds, f), 0);
    fclose(f);
    assert_string_equal(text, "a,b,target\n1,2,1.5\n3,4,-20\n5,6,1.5\n7,8,300\n");
    free(text);
    evo_data_release(&ds);

    p = load_text(&ds, "reg-bad.csv", "a,target\n1,2\n3,high\n", "target");
    assert_int_equal(evo_data_to_regression(&ds, p, &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "reg-bad.csv: label column 'target': expected a number, got 'high'"));
    assert_int_equal(ds.n_classes, 2); /* unchanged */
    assert_null(ds.target);
    evo_data_release(&ds);

    /* the split: 100 rows, 20 % and 10 %, the same for the same seed, another for another seed */
    const char *const x_name[1] = {"x"};
    make_set(&ds, 100, 1, 0, x_name, 0, "");
    ds.target = malloc(100 * sizeof(float));
    for (size_t i = 0; i < 100; i++)
        ds.x[i] = ds.target[i] = (float)i;
    assert_int_equal(evo_data_split(&ds, 0.2, 0.1, 5, &tr, &va, &te, &err), EVO_OK);
    assert_int_equal(tr.n, 70);
    assert_int_equal(va.n, 20);
    assert_int_equal(te.n, 10);
    int seen[100] = {0};
    const struct evo_dataset *parts[3] = {&tr, &va, &te};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < parts[k]->n; i++) {
            assert_true(parts[k]->target[i] == parts[k]->x[i]); /* rows keep their target */
            seen[(int)parts[k]->x[i]]++;
        }
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(seen[i], 1);
    /* not simply the first or last rows */
    assert_true(va.x[0] > 0 || va.x[19] < 99);
    assert_false(va.x[19] - va.x[0] == 19);
    assert_int_equal(evo_data_split(&ds, 0.2, 0.1, 5, &tr2, &va2, &te2, &err), EVO_OK);
    assert_memory_equal(va.x, va2.x, 20 * sizeof(float));
    evo_data_release(&tr2), evo_data_release(&va2), evo_data_release(&te2);
    assert_int_equal(evo_data_split(&ds, 0.2, 0.1, 6, &tr2, &va2, &te2, &err), EVO_OK);
    assert_true(memcmp(va.x, va2.x, 20 * sizeof(float)) != 0);
    evo_data_release(&tr2), evo_data_release(&va2), evo_data_release(&te2);
    evo_data_release(&tr), evo_data_release(&va), evo_data_release(&te);
    evo_data_release(&ds);

    char path[1024];
    snprintf(path, sizeof path, "%s/datasets/diabetes.csv", EVOTUNE_SOURCE_DIR);
    if (evo_data_load(&ds, path, NULL, "target", &err) || evo_data_to_regression(&ds, path, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(ds.n, 442);
    assert_int_equal(ds.d, 10);
    assert_string_equal(ds.feature_names[0], "age");
    assert_string_equal(ds.feature_names[9], "s6");
    assert_string_equal(ds.label_name, "target");
    assert_true(ds.target[0] == 151.0f && ds.target[441] == 57.0f);
    double sum = 0;
    for (size_t i = 0; i < ds.n; i++)
        sum += ds.target[i];
    assert_true(fabs(sum / 442 - 152.133484) < 1e-5);
    evo_data_release(&ds);
}

/* ---- byte storage ------------------------------------------------------------------------------ */

/* dst = src held as floats: what every data set was before bytes, the reference they must match. */
static void float_copy(struct evo_dataset *dst, const struct evo_dataset *src)
{
    size_t *idx = malloc((src->n ? src->n : 1) * sizeof *idx);
    for (size_t i = 0; i < src->n; i++)
        idx[i] = i;
    evo_data_subset(dst, src, idx, src->n);
    free(idx);
    evo_data_to_floats(dst);
}

/* Every row of a reads as b's do, bit for bit: contiguous, one at a time, and gathered in a
 * scrambled order as the trainer gathers a batch. */
static void expect_same_rows(const struct evo_dataset *a, const struct evo_dataset *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->d, b->d);
    size_t n = a->n, d = a->d;
    float *ra = malloc((n * d + 1) * sizeof *ra), *rb = malloc((n * d + 1) * sizeof *rb);
    assert_memory_equal(evo_data_rows(a, NULL, n, 0, ra), evo_data_rows(b, NULL, n, 0, rb), n * d * sizeof *ra);
    for (size_t i = 0; i < n; i += 7)
        assert_memory_equal(evo_data_rows(a, NULL, 1, i, ra), evo_data_rows(b, NULL, 1, i, rb), d * sizeof *ra);
    size_t *rows = malloc((n ? n : 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (i * 7919 + 13) % n; /* a permutation when n is not a multiple of 7919 */
    evo_data_prefetch(a, rows, n);
    assert_ptr_equal(evo_data_rows(a, rows, n, 99, ra), ra);
    assert_ptr_equal(evo_data_rows(b, rows, n, 99, rb), rb);
    assert_memory_equal(ra, rb, n * d * sizeof *ra);
    free(rows);
    free(ra);
    free(rb);
}

/* A byte set of n rows and d features, values from a small generator (a third of them 0, as the
 * background of an image), with every class present. */
static void make_bytes(struct evo_dataset *ds, size_t n, size_t d, uint32_t seed)
{
    make_set(ds, n, d, 1, NULL, 3, "");
    uint32_t s = seed;
    for (size_t i = 0; i < n * d; i++) {
        s = s * 1664525u + 1013904223u;
        uint32_t v = s >> 24;
        ds->bytes[i] = v % 3 == 0 ? 0 : (uint8_t)v;
    }
    for (size_t i = 0; i < n; i++)
        ds->y[i] = (int32_t)(i % 3);
}

/* Bytes standardise while they are read to exactly the floats that standardising in place gives: by
 * the set's own statistics, through a split, and by stored statistics, among them means and stds for
 * which 1/std does not reproduce the division for some byte value (quotients exactly halfway
 * between two floats, found by search), and degenerate ones a damaged results file could hold. */
static void test_bytes_standardize(void **state)
{
    (void)state;
    struct evo_dataset by, fl, tr, va, te, ftr, fva, fte;
    struct evo_error err = {0};
    make_bytes(&by, 301, 20, 7);
    float_copy(&fl, &by);
    assert_non_null(fl.x);
    assert_null(fl.bytes);
    expect_same_rows(&by, &fl); /* raw: the byte values as floats */
    assert_true(evo_data_hash(&by) == evo_data_hash(&fl));

    assert_int_equal(evo_data_split(&by, 0.2, 0.2, 3, &tr, &va, &te, &err), EVO_OK);
    assert_int_equal(evo_data_split(&fl, 0.2, 0.2, 3, &ftr, &fva, &fte, &err), EVO_OK);
    assert_non_null(tr.bytes);
    float m1[20], s1[20], m2[20], s2[20];
    evo_data_standardize(&tr, &va, &te, m1, s1);
    evo_data_standardize(&ftr, &fva, &fte, m2, s2);
    assert_memory_equal(m1, m2, sizeof m1);
    assert_memory_equal(s1, s2, sizeof s1);
    assert_non_null(tr.bytes); /* still bytes: standardised as they are read */
    expect_same_rows(&tr, &ftr);
    expect_same_rows(&va, &fva);
    expect_same_rows(&te, &fte);
    assert_true(evo_data_hash(&va) == evo_data_hash(&fva));
    /* a subset keeps the standardisation */
    struct evo_dataset sub, fsub;
    const size_t pick[4] = {5, 0, 5, 2};
    evo_data_subset(&sub, &va, pick, 4);
    evo_data_subset(&fsub, &fva, pick, 4);
    expect_same_rows(&sub, &fsub);
    /* a second standardisation composes with the first, as on floats (the bytes become floats) */
    evo_data_apply_standardize(&sub, m1, s1);
    evo_data_apply_standardize(&fsub, m1, s1);
    expect_same_rows(&sub, &fsub);
    evo_data_release(&sub);
    evo_data_release(&fsub);

    /* stored statistics: awkward means and stds */
    const float mean[20] = {-0x1.8ec988p-19f, 0x1.020d4ep-18f, -0x1.6804b8p-19f, 0x1.5ad8f8p-19f,
                            0x1.1b5464p-19f, 0, 0, 72.9406f, 255, 128, -3, 1e-30f, 0x1p-149f, 0,
                            0, 1, 100, 0.5f, 3, 7};
    const float stdv[20] = {0x1.a93e38p+5f, 0x1.fdd392p+4f, 0x1.7ef1ecp+4f, 0x1.99597cp+4f,
                            0x1.d1e53ep+4f, 1, 3, 90.0211f, 1e-3f, 0x1p-149f, -2, 1e30f, 3, 0,
                            INFINITY, NAN, 1e-38f, 7, 0.1f, 1};
    for (int k = 0; k < 5; k++) {
        /* the searched cases: 1/std gives another float than the division for one byte value */
        double a = (double)(k == 0 ? 78 : k == 1 ? 159 : k == 2 ? 160 : k == 3 ? 196 : 184) - mean[k];
        float q = (float)(a / stdv[k]), p = (float)(a * (1.0 / stdv[k]));
        assert_true(q != p);
    }
    struct evo_dataset raw, fraw;
    make_bytes(&raw, 256, 20, 11);
    for (size_t i = 0; i < 256; i++)
        for (size_t j = 0; j < 20; j++)
            raw.bytes[i * 20 + j] = (uint8_t)((i + j) & 255); /* every value in every feature */
    float_copy(&fraw, &raw);
    evo_data_apply_standardize(&raw, mean, stdv);
    evo_data_apply_standardize(&fraw, mean, stdv);
    expect_same_rows(&raw, &fraw);
    float buf[20];
    assert_true(evo_data_rows(&raw, NULL, 1, 256 - 78, buf)[0] == fraw.x[(256 - 78) * 20]);
    evo_data_release(&raw);
    evo_data_release(&fraw);

    const struct evo_dataset *sets[] = {&by, &fl, &tr, &va, &te, &ftr, &fva, &fte};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        evo_data_release((struct evo_dataset *)sets[i]);
}

/* CSV image data: integers in [0, 255] become bytes, reading and hashing as they did; any other value
 * (a fraction, one out of range, -0) keeps the set float. CSV export writes the same text. */
static void test_bytes_compact(void **state)
{
    (void)state;
    struct evo_dataset ds, fl;
    load_text(&ds, "img.csv", "a,b,c,d,label\n0,255,17,3,x\n9,0,0,254,y\n1,2,3,4,x\n", "label");
    assert_non_null(ds.x); /* the reader holds floats; compacting is the caller's choice */
    float_copy(&fl, &ds);
    uint64_t h = evo_data_hash(&ds);
    assert_int_equal(evo_data_compact(&ds), 1);
    assert_null(ds.x);
    assert_non_null(ds.bytes);
    assert_int_equal(ds.bytes[1], 255);
    assert_int_equal(ds.bytes[7], 254);
    assert_true(evo_data_hash(&ds) == h);
    expect_same_rows(&ds, &fl);
    assert_int_equal(evo_data_compact(&ds), 0); /* already bytes */
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    FILE *f1 = open_memstream(&t1, &l1), *f2 = open_memstream(&t2, &l2);
    float mean[4] = {1, 2, 3, 4}, stdv[4] = {3, 0.7f, 1, 9};
    evo_data_apply_standardize(&ds, mean, stdv);
    evo_data_apply_standardize(&fl, mean, stdv);
    assert_int_equal(evo_data_write_csv(&ds, f1), 0);
    assert_int_equal(evo_data_write_csv(&fl, f2), 0);
    fclose(f1);
    fclose(f2);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    evo_data_release(&fl);
    evo_data_release(&ds);

    const char *keep[] = {"0,1.5,2,3,x\n", "0,256,2,3,x\n", "0,-1,2,3,x\n", "0,-0,2,3,x\n",
                          "0,1e-9,2,3,x\n"};
    for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
        char text[128];
        snprintf(text, sizeof text, "a,b,c,d,label\n9,9,9,9,y\n%s", keep[k]);
        load_text(&ds, "keep.csv", text, "label");
        assert_int_equal(evo_data_compact(&ds), 0);
        assert_non_null(ds.x);
        assert_null(ds.bytes);
        evo_data_release(&ds);
    }
}

/* The problem's decision: a CSV given data.image_shape whose values are all integers in [0, 255] is
 * held as bytes (every split), and reads, standardised, as the same file loaded without the shape
 * (floats); one value that is not such an integer keeps it float. The data hash is the same. */
static void load_problem(struct evo_problem *p, const char *path, const char *shape)
{
    char text[512];
    snprintf(text, sizeof text, "data = { train = \"%s\"; label = \"label\"; validation_fraction = 0.2; "
             "test_fraction = 0.2; %s };", path, shape);
    struct evo_config cfg;
    struct evo_error err = {0};
    if (evo_config_load_string(&cfg, text, "test", NULL, 0, &err) || evo_problem_load(p, &cfg, &err))
        fail_msg("%s", err.msg);
    evo_config_release(&cfg);
}

static void test_bytes_problem(void **state)
{
    (void)state;
    char text[4096];
    size_t len = (size_t)snprintf(text, sizeof text, "a,b,c,d,label\n");
    for (int i = 0; i < 60; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,%d,%d,%d,%s\n", (i * 37) % 256, i % 7,
                                255 - i, (i * i) % 251, i % 3 ? "shirt" : "shoe");
    const char *path = write_bytes("shape.csv", text, len);
    struct evo_problem by, fl;
    load_problem(&by, path, "image_shape = [2, 2];");
    load_problem(&fl, path, "");
    assert_non_null(by.train.bytes);
    assert_non_null(by.validation.bytes);
    assert_non_null(evo_problem_test(&by)->bytes);
    assert_non_null(fl.train.x);
    assert_int_equal(by.train.image_h, 2);
    assert_true(by.data_hash == fl.data_hash);
    assert_memory_equal(by.feature_mean, fl.feature_mean, 4 * sizeof(float));
    assert_memory_equal(by.feature_std, fl.feature_std, 4 * sizeof(float));
    expect_same_rows(&by.train, &fl.train);
    expect_same_rows(&by.validation, &fl.validation);
    expect_same_rows(evo_problem_test(&by), evo_problem_test(&fl));
    evo_problem_release(&by);
    evo_problem_release(&fl);

    memcpy(strstr(text, "\n0,0,255,0,") + 1, "0,0,2.5,", 8); /* 255 -> 2.5 in the first row */
    path = write_bytes("shape2.csv", text, len);
    load_problem(&by, path, "image_shape = [2, 2];");
    assert_non_null(by.train.x);
    assert_null(by.train.bytes);
    evo_problem_release(&by);
}

static void test_fashion_mnist(void **state)
{
    (void)state;
    const char *dir = "/usr/share/datasets/fashion-mnist";
    char images[512], labels[512];
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte.gz", dir);
    if (access(images, R_OK) || access(labels, R_OK)) {
        print_message("skipping: %s not found (Debian package dataset-fashion-mnist)\n", images);
        skip();
    }
    struct evo_dataset ds;
    struct evo_error err = {0};
    if (evo_data_load(&ds, images, labels, NULL, &err) != EVO_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ds.n, 60000);
    assert_int_equal(ds.d, 784);
    assert_int_equal(ds.n_classes, 10);
    assert_string_equal(ds.feature_names[783], "pixel_783");
    assert_non_null(ds.bytes); /* 47 MB of bytes, not 188 MB of floats */
    assert_null(ds.x);
    unsigned lo = 255, hi = 0;
    for (size_t i = 0; i < ds.n * ds.d; i++) {
        lo = ds.bytes[i] < lo ? ds.bytes[i] : lo;
        hi = ds.bytes[i] > hi ? ds.bytes[i] : hi;
    }
    assert_true(lo == 0 && hi == 255);
    /* the content hash is the one the set had as floats (results files record it) */
    struct evo_dataset fl;
    float_copy(&fl, &ds);
    assert_true(evo_data_hash(&ds) == evo_data_hash(&fl));
    /* standardised with the same statistics, every row reads as the floats did, bit for bit */
    float *m1 = malloc(ds.d * sizeof *m1), *s1 = malloc(ds.d * sizeof *s1);
    float *m2 = malloc(ds.d * sizeof *m2), *s2 = malloc(ds.d * sizeof *s2);
    evo_data_standardize(&ds, NULL, NULL, m1, s1);
    evo_data_standardize(&fl, NULL, NULL, m2, s2);
    assert_memory_equal(m1, m2, ds.d * sizeof *m1);
    assert_memory_equal(s1, s2, ds.d * sizeof *s1);
    expect_same_rows(&ds, &fl);
    free(m1), free(s1), free(m2), free(s2);
    evo_data_release(&fl);
    evo_data_release(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_good),
        cmocka_unit_test(test_csv_numeric_labels),
        cmocka_unit_test(test_csv_label_column),
        cmocka_unit_test(test_csv_long_lines),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_truncated_gzip),
        cmocka_unit_test(test_idx_good),
        cmocka_unit_test(test_idx_errors),
        cmocka_unit_test(test_idx_by_magic),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_folds),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_standardize),
        cmocka_unit_test(test_align),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_bytes_standardize),
        cmocka_unit_test(test_bytes_compact),
        cmocka_unit_test(test_bytes_problem),
        cmocka_unit_test(test_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
