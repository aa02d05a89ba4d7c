/* Compares two evotune results files as the reproducibility invariants state them (README: identical
 * for any thread count, and after any number of kills and resumes): the same objects, every attribute
 * of every object and every dataset's type, shape and bytes, setting aside only what measures the
 * process that wrote the file rather than the results (listed below). Also reads a whole file,
 * to check that one left by a kill opens cleanly. Header-only, for the tests. */
#ifndef EVOTUNE_TEST_H5_SAME_H
#define EVOTUNE_TEST_H5_SAME_H
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What is set aside, and why (results/README.md, src/h5.c):
 * - compound fields train_seconds, finished_at (/individuals, /in_flight, /best/individual) and
 *   wall_seconds (/generations): wall-clock timings;
 * - root attributes elapsed_seconds and written_at: wall clock; writer_pid, writer_host: the process
 *   that wrote the file; threads: the thread count, which is what the invariant varies;
 * - in the root attribute config (the effective configuration text), the values of run.threads (the
 *   same) and run.output (the file's own path, which differs between the files compared).
 * Everything else, strategy_state, /best's weights and test metrics and /curves included, must be
 * equal byte for byte. */
static const char *const h5_same_timing_fields[] = {"train_seconds", "finished_at", "wall_seconds"};
static const char *const h5_same_root_attrs[] = {"elapsed_seconds", "written_at", "writer_pid", "writer_host",
                                                 "threads"};

struct h5_same_ctx {
    char *why;     /* the first difference or failure */
    size_t n;
    int bad;       /* 1 once a difference or a read failure is recorded */
};

static void h5_same_note(struct h5_same_ctx *c, const char *fmt, ...)
{
    if (c->bad)
        return; /* the first difference is the useful one */
    c->bad = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->n, fmt, ap);
    va_end(ap);
}

static int h5_same_listed(const char *name, const char *const *list, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(name, list[k]))
            return 1;
    return 0;
}

/* 1 when t holds variable-length data anywhere but as the whole type being a string. */
static int h5_same_nested_vlen(hid_t t, int top)
{
    H5T_class_t cls = H5Tget_class(t);
    if (cls == H5T_VLEN || (!top && cls == H5T_STRING && H5Tis_variable_str(t) > 0))
        return 1;
    int r = 0;
    if (cls == H5T_COMPOUND) {
        int m = H5Tget_nmembers(t);
        for (int k = 0; k < m && !r; k++) {
            hid_t mt = H5Tget_member_type(t, (unsigned)k);
            r = h5_same_nested_vlen(mt, 0);
            H5Tclose(mt);
        }
    } else if (cls == H5T_ARRAY) {
        hid_t st = H5Tget_super(t);
        r = h5_same_nested_vlen(st, 0);
        H5Tclose(st);
    }
    return r;
}

/* The config text with the values of run.threads and run.output replaced by "*" (heap). */
static char *h5_same_mask_config(const char *text)
{
    size_t len = strlen(text);
    char *out = calloc(len + 8, 1), *o = out;
    int in_run = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p + 1) : strlen(p);
        if (!strncmp(p, "run = {", 7))
            in_run = 1;
        else if (!strncmp(p, "};", 2))
            in_run = 0;
        const char *key = p;
        while (*key == ' ')
            key++;
        if (in_run && (!strncmp(key, "threads = ", 10) || !strncmp(key, "output = ", 9))) {
            size_t k = (size_t)(strchr(key, '=') - p) + 2;
            memcpy(o, p, k);
            o += k;
            o += sprintf(o, "*;\n");
        } else {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    return out;
}

/* Reads a dataset (attr 0) or attribute (attr 1) whole: its native type (closed by the caller), the
 * element count, and a zero-initialised buffer, or for a variable-length string type an array of
 * strings (*strings 1; freed by h5_same_free). Returns NULL on failure, noted in c. */
static void *h5_same_read(struct h5_same_ctx *c, hid_t obj, int attr, const char *what, hid_t *mtype,
                          hsize_t *count, int *strings)
{
    hid_t ft = attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t sp = attr ? H5Aget_space(obj) : H5Dget_space(obj);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    void *buf = NULL;
    *mtype = -1;
    *strings = 0;
    if (ft < 0 || np < 0) {
        h5_same_note(c, "%s: cannot read its type or shape", what);
    } else if (h5_same_nested_vlen(ft, 1)) {
        h5_same_note(c, "%s: variable-length data inside its type, which this comparator does not read", what);
    } else {
        *strings = H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0;
        if (*strings) {
            *mtype = H5Tcopy(ft); /* its character set too: HDF5 converts none to another */
        } else {
            *mtype = H5Tget_native_type(ft, H5T_DIR_ASCEND);
        }
        size_t size = *strings ? sizeof(char *) : H5Tget_size(*mtype);
        buf = calloc((size_t)np + 1, size);
        herr_t rc = !np ? 0 : attr ? H5Aread(obj, *mtype, buf) : H5Dread(obj, *mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        if (!buf || rc < 0) {
            h5_same_note(c, "%s: cannot read it", what);
            free(buf);
            buf = NULL;
        }
    }
    *count = np > 0 ? (hsize_t)np : 0;
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (!buf && *mtype >= 0) {
        H5Tclose(*mtype);
        *mtype = -1;
    }
    return buf;
}

static void h5_same_free(void *buf, hid_t mtype, hsize_t count, int strings)
{
    if (buf && strings)
        for (hsize_t k = 0; k < count; k++)
            H5free_memory(((char **)buf)[k]);
    free(buf);
    if (mtype >= 0)
        H5Tclose(mtype);
}

/* Zeroes the timing fields of every row of a compound buffer. */
static void h5_same_blank_timings(void *buf, hid_t mtype, hsize_t count)
{
    if (H5Tget_class(mtype) != H5T_COMPOUND)
        return;
    size_t rs = H5Tget_size(mtype);
    for (size_t f = 0; f < sizeof h5_same_timing_fields / sizeof *h5_same_timing_fields; f++) {
        int k = H5Tget_member_index(mtype, h5_same_timing_fields[f]);
        if (k < 0)
            continue;
        hid_t t = H5Tget_member_type(mtype, (unsigned)k);
        size_t off = H5Tget_member_offset(mtype, (unsigned)k), sz = H5Tget_size(t);
        for (hsize_t i = 0; i < count; i++)
            memset((unsigned char *)buf + i * rs + off, 0, sz);
        H5Tclose(t);
    }
}

/* Compares (b >= 0) or only reads (b < 0) a dataset or attribute of each file: type, shape, values.
 * mask_config: the value is the config text (h5_same_mask_config). */
static void h5_same_values(struct h5_same_ctx *c, hid_t a, hid_t b, int attr, const char *what, int mask_config)
{
    hid_t ma, mb = -1;
    hsize_t na, nb = 0;
    int sa, sb = 0;
    void *x = h5_same_read(c, a, attr, what, &ma, &na, &sa), *y = NULL;
    if (b >= 0 && x) {
        hid_t ta = attr ? H5Aget_type(a) : H5Dget_type(a), tb = attr ? H5Aget_type(b) : H5Dget_type(b);
        hid_t pa = attr ? H5Aget_space(a) : H5Dget_space(a), pb = attr ? H5Aget_space(b) : H5Dget_space(b);
        hsize_t da[8] = {0}, db[8] = {0};
        int ra = H5Sget_simple_extent_ndims(pa), rb = H5Sget_simple_extent_ndims(pb);
        if (H5Tequal(ta, tb) <= 0)
            h5_same_note(c, "%s: its types differ", what);
        else if (ra != rb || ra < 0 || ra > 8 || H5Sget_simple_extent_dims(pa, da, NULL) < 0 ||
                 H5Sget_simple_extent_dims(pb, db, NULL) < 0 || memcmp(da, db, sizeof da))
            h5_same_note(c, "%s: its shapes differ (rank %d, first dimension %llu; the other: rank %d, %llu)",
                         what, ra, (unsigned long long)da[0], rb, (unsigned long long)db[0]);
        else
            y = h5_same_read(c, b, attr, what, &mb, &nb, &sb);
        H5Sclose(pa), H5Sclose(pb), H5Tclose(ta), H5Tclose(tb);
    }
    if (x && y) {
        if (sa) {
            for (hsize_t k = 0; k < na; k++) {
                const char *u = ((char **)x)[k], *v = ((char **)y)[k];
                char *mu = mask_config && u ? h5_same_mask_config(u) : NULL;
                char *mv = mask_config && v ? h5_same_mask_config(v) : NULL;
                const char *p = mu ? mu : u ? u : "", *q = mv ? mv : v ? v : "";
                size_t at = 0;
                while (p[at] && p[at] == q[at])
                    at++;
                size_t from = at > 30 ? at - 30 : 0;
                if (!u != !v || p[at] != q[at])
                    h5_same_note(c, "%s: string %llu differs at character %zu: \"%.60s\" against \"%.60s\"",
                                 what, (unsigned long long)k, at, p + from, q + from);
                free(mu);
                free(mv);
            }
        } else {
            h5_same_blank_timings(x, ma, na);
            h5_same_blank_timings(y, mb, nb);
            size_t rs = H5Tget_size(ma);
            for (hsize_t k = 0; k < na; k++)
                if (memcmp((unsigned char *)x + k * rs, (unsigned char *)y + k * rs, rs)) {
                    h5_same_note(c, "%s: element %llu of %llu differs", what, (unsigned long long)k,
                                 (unsigned long long)na);
                    break;
                }
        }
    }
    h5_same_free(x, ma, na, sa);
    h5_same_free(y, mb, nb, sb);
}

/* Names of the attributes of an object, in name order. */
struct h5_same_names {
    char **v;
    size_t n;
};

static herr_t h5_same_add_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)loc, (void)info;
    struct h5_same_names *l = data;
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = strdup(name);
    return 0;
}

static int h5_same_attr_names(hid_t obj, struct h5_same_names *l)
{
    memset(l, 0, sizeof *l);
    hsize_t idx = 0;
    return H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, h5_same_add_attr, l) < 0 ? -1 : 0;
}

static int h5_same_link_names(hid_t grp, struct h5_same_names *l)
{
    memset(l, 0, sizeof *l);
    H5G_info_t info;
    if (H5Gget_info(grp, &info) < 0)
        return -1;
    for (hsize_t k = 0; k < info.nlinks; k++) {
        ssize_t len = H5Lget_name_by_idx(grp, ".", H5_INDEX_NAME, H5_ITER_INC, k, NULL, 0, H5P_DEFAULT);
        if (len < 0)
            return -1;
        l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
        l->v[l->n] = calloc((size_t)len + 1, 1);
        H5Lget_name_by_idx(grp, ".", H5_INDEX_NAME, H5_ITER_INC, k, l->v[l->n++], (size_t)len + 1, H5P_DEFAULT);
    }
    return 0;
}

static void h5_same_names_free(struct h5_same_names *l)
{
    for (size_t k = 0; k < l->n; k++)
        free(l->v[k]);
    free(l->v);
}

/* Same name lists (b_list NULL: nothing to compare). */
static void h5_same_same_names(struct h5_same_ctx *c, const struct h5_same_names *a, const struct h5_same_names *b,
                               const char *what, const char *kind)
{
    if (!b)
        return;
    for (size_t k = 0; k < a->n || k < b->n; k++)
        if (k >= a->n || k >= b->n || strcmp(a->v[k], b->v[k])) {
            h5_same_note(c, "%s: %s '%s' in one file, '%s' in the other at its place", what, kind,
                         k < a->n ? a->v[k] : "(none)", k < b->n ? b->v[k] : "(none)");
            return;
        }
}

/* The attributes of an object of each file (b < 0: of a only). */
static void h5_same_attrs(struct h5_same_ctx *c, hid_t a, hid_t b, const char *path, int root)
{
    struct h5_same_names la, lb = {0};
    if (h5_same_attr_names(a, &la) || (b >= 0 && h5_same_attr_names(b, &lb))) {
        h5_same_note(c, "%s: cannot list its attributes", path);
    } else {
        h5_same_same_names(c, &la, b >= 0 ? &lb : NULL, path, "attribute");
        for (size_t k = 0; k < la.n && !c->bad; k++) {
            char what[600];
            snprintf(what, sizeof what, "%s attribute %s", path, la.v[k]);
            int aside = root && h5_same_listed(la.v[k], h5_same_root_attrs,
                                               sizeof h5_same_root_attrs / sizeof *h5_same_root_attrs);
            hid_t xa = H5Aopen(a, la.v[k], H5P_DEFAULT), xb = b >= 0 && !aside ? H5Aopen(b, la.v[k], H5P_DEFAULT) : -1;
            if (xa < 0 || (b >= 0 && !aside && xb < 0))
                h5_same_note(c, "%s: cannot open it", what);
            else
                h5_same_values(c, xa, xb, 1, what, root && !strcmp(la.v[k], "config"));
            if (xa >= 0)
                H5Aclose(xa);
            if (xb >= 0)
                H5Aclose(xb);
        }
    }
    h5_same_names_free(&la);
    h5_same_names_free(&lb);
}

/* The group at path in each file, and everything under it. */
static void h5_same_group(struct h5_same_ctx *c, hid_t a, hid_t b, const char *path)
{
    struct h5_same_names la, lb = {0};
    if (h5_same_link_names(a, &la) || (b >= 0 && h5_same_link_names(b, &lb))) {
        h5_same_note(c, "%s: cannot list its members", path);
        h5_same_names_free(&la);
        h5_same_names_free(&lb);
        return;
    }
    h5_same_same_names(c, &la, b >= 0 ? &lb : NULL, path, "member");
    for (size_t k = 0; k < la.n && !c->bad; k++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s%s", path, strcmp(path, "/") ? "/" : "", la.v[k]);
        hid_t oa = H5Oopen(a, la.v[k], H5P_DEFAULT), ob = b >= 0 ? H5Oopen(b, la.v[k], H5P_DEFAULT) : -1;
        H5I_type_t ta = oa < 0 ? H5I_BADID : H5Iget_type(oa), tb = ob < 0 ? H5I_BADID : H5Iget_type(ob);
        if (oa < 0 || (b >= 0 && ob < 0))
            h5_same_note(c, "%s: cannot open it", sub);
        else if (b >= 0 && ta != tb)
            h5_same_note(c, "%s: a group in one file, a dataset in the other", sub);
        else if (ta != H5I_GROUP && ta != H5I_DATASET)
            h5_same_note(c, "%s: neither a group nor a dataset", sub);
        if (!c->bad) {
            h5_same_attrs(c, oa, ob, sub, 0);
            if (ta == H5I_GROUP)
                h5_same_group(c, oa, ob, sub);
            else
                h5_same_values(c, oa, ob, 0, sub, 0);
        }
        if (oa >= 0)
            H5Oclose(oa);
        if (ob >= 0)
            H5Oclose(ob);
    }
    h5_same_names_free(&la);
    h5_same_names_free(&lb);
}

/* Compares the files at a and b (b NULL: reads every object and attribute of a). Returns 0 when
 * they are the same but for what is set aside (b NULL: when a reads whole), else 1 with the first
 * difference or failure in why. */
static int h5_same(const char *a, const char *b, char *why, size_t n)
{
    struct h5_same_ctx c = {why, n, 0};
    why[0] = '\0';
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t fb = b ? H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (fa < 0 || (b && fb < 0)) {
        h5_same_note(&c, "cannot open '%s'", fa < 0 ? a : b);
    } else {
        h5_same_attrs(&c, fa, fb, "/", 1);
        h5_same_group(&c, fa, fb, "/");
    }
    if (fa >= 0)
        H5Fclose(fa);
    if (fb >= 0)
        H5Fclose(fb);
    return c.bad;
}

/* Reads every object and attribute of the file at path: 0 when all of it reads, else 1 (why). */
static int h5_same_readable(const char *path, char *why, size_t n)
{
    return h5_same(path, NULL, why, n);
}
#endif
