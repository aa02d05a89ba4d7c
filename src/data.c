/* Data sets: the CSV and IDX readers (through zlib, so plain and gzip files read alike), the class
 * mapping of label text, the seeded stratified split, standardisation with training statistics,
 * reading rows as floats from float or byte storage, and the content hash. Every loader builds into
 * a local data set and moves it to the caller only on success, so that a failed load leaves nothing
 * behind. */
#include "evotune/data.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "evotune/rng.h"
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- buffered line and byte reader over zlib ------------------------------------------------ */

/* gzread is called with this many bytes at a time: large reads keep Fashion-MNIST's 47 MB of pixels
 * to a few dozen calls, and the line scanner works on memory rather than calling gzgets per line. */
#define READ_CHUNK (1u << 20)

struct reader {
    gzFile gz;
    const char *path;
    unsigned char *buf;  /* [READ_CHUNK] */
    size_t pos, end;     /* unread bytes are buf[pos..end) */
    int eof;             /* gzread returned 0: no more input */
    char *line;          /* the current line, NUL-terminated, without its line end */
    size_t line_cap;
    size_t lineno;       /* 1-based number of the current line */
};

static int reader_open(struct reader *r, const char *path, struct evo_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    errno = 0;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return evo_error_set(err, EVO_EDATA, "cannot open '%s': %s", path,
                             errno ? strerror(errno) : "out of memory in zlib");
    gzbuffer(r->gz, 1u << 17);
    r->buf = evo_mem_alloc(READ_CHUNK);
    return EVO_OK;
}

static void reader_close(struct reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    free(r->buf);
    free(r->line);
    memset(r, 0, sizeof *r);
}

/* Reports a read error, or the truncation of a gzip stream, which zlib otherwise presents as a
 * clean end of file (it only records Z_BUF_ERROR "unexpected end of file"). `where` is 0 when no
 * line number applies. */
static int reader_check(struct reader *r, size_t where, struct evo_error *err)
{
    int errnum = Z_OK;
    const char *msg = gzerror(r->gz, &errnum);
    if (errnum == Z_OK)
        return EVO_OK;
    size_t plen = strlen(r->path);
    if (!strncmp(msg, r->path, plen) && !strncmp(msg + plen, ": ", 2))
        msg += plen + 2; /* zlib prefixes the path, which the message names already */
    char at[32] = "";
    if (where)
        snprintf(at, sizeof at, ":%zu", where);
    if (errnum == Z_ERRNO)
        return evo_error_set(err, EVO_EDATA, "%s%s: read error: %s", r->path, at, strerror(errno));
    if (errnum == Z_BUF_ERROR)
        return evo_error_set(err, EVO_EDATA, "%s%s: truncated gzip stream (%s)", r->path, at, msg);
    return evo_error_set(err, EVO_EDATA, "%s%s: corrupt gzip stream (%s)", r->path, at, msg);
}

/* Refills buf. Returns EVO_OK (r->eof set when nothing more came) or an error. */
static int reader_fill(struct reader *r, struct evo_error *err)
{
    int got = gzread(r->gz, r->buf, READ_CHUNK);
    if (got < 0)
        return reader_check(r, r->lineno, err);
    r->pos = 0;
    r->end = (size_t)got;
    if (got == 0) {
        r->eof = 1;
        return reader_check(r, r->lineno, err);
    }
    return EVO_OK;
}

static void line_reserve(struct reader *r, size_t need)
{
    if (need <= r->line_cap)
        return;
    size_t cap = r->line_cap ? r->line_cap : 4096;
    while (cap < need)
        cap = evo_mem_mul(cap, 2);
    r->line = evo_mem_realloc(r->line, cap);
    r->line_cap = cap;
}

/* Reads the next line of any length into r->line, dropping "\n" or "\r\n". Sets *got to 1 for a
 * line, 0 at end of file. */
static int reader_line(struct reader *r, int *got, struct evo_error *err)
{
    size_t len = 0;
    int any = 0;
    *got = 0;
    for (;;) {
        if (r->pos == r->end) {
            if (r->eof)
                break;
            int rc = reader_fill(r, err);
            if (rc)
                return rc;
            if (r->eof)
                break;
        }
        unsigned char *start = r->buf + r->pos;
        unsigned char *nl = memchr(start, '\n', r->end - r->pos);
        size_t take = nl ? (size_t)(nl - start) : r->end - r->pos;
        line_reserve(r, evo_mem_add(len, take + 1));
        memcpy(r->line + len, start, take);
        len += take;
        any = 1;
        r->pos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!any)
        return EVO_OK;
    line_reserve(r, len + 1);
    if (len && r->line[len - 1] == '\r')
        len--;
    r->line[len] = '\0';
    r->lineno++;
    *got = 1;
    return EVO_OK;
}

/* Reads exactly n bytes into out. *got receives the count actually read (short at end of file). */
static int reader_bytes(struct reader *r, unsigned char *out, size_t n, size_t *got,
                        struct evo_error *err)
{
    size_t done = 0;
    while (done < n) {
        if (r->pos == r->end) {
            if (r->eof)
                break;
            int rc = reader_fill(r, err);
            if (rc)
                return rc;
            if (r->eof)
                break;
        }
        size_t take = r->end - r->pos;
        if (take > n - done)
            take = n - done;
        memcpy(out + done, r->buf + r->pos, take);
        r->pos += take;
        done += take;
    }
    *got = done;
    return EVO_OK;
}

/* ---- small helpers ---------------------------------------------------------------------------- */

static char **strv_copy(char *const *v, size_t n)
{
    char **out = evo_mem_calloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = evo_mem_strdup(v[i]);
    return out;
}

static void strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Full-string decimal integer (optional sign), as used for labels and label column indices. */
static int parse_integer(const char *s, long long *out)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || end == s)
        return 0;
    if (!(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
        return 0; /* strtoll skips leading spaces; cells are already trimmed, so be exact */
    *out = v;
    return 1;
}

/* ---- CSV --------------------------------------------------------------------------------------- */

struct fields {
    char **v;
    size_t n, cap;
};

static void fields_push(struct fields *f, char *s)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? evo_mem_mul(f->cap, 2) : 64;
        f->v = evo_mem_realloc(f->v, evo_mem_mul(f->cap, sizeof *f->v));
    }
    f->v[f->n++] = s;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Splits line in place at ',' into trimmed, NUL-terminated fields. A field may be double-quoted
 * (header names often are); inside quotes ',' is literal and "" is a quote. Returns 0 on a quote
 * that does not close or is followed by text. */
static int split_line(char *line, struct fields *f)
{
    f->n = 0;
    char *p = line;
    for (;;) {
        while (is_space(*p))
            p++;
        char *start = p, *end;
        if (*p == '"') {
            char *w = start;
            p++;
            for (;;) {
                if (!*p)
                    return 0;
                if (*p == '"') {
                    if (p[1] != '"')
                        break;
                    p++;
                }
                *w++ = *p++;
            }
            p++; /* closing quote */
            end = w;
            while (is_space(*p))
                p++;
            if (*p && *p != ',')
                return 0;
        } else {
            while (*p && *p != ',')
                p++;
            end = p;
            while (end > start && is_space(end[-1]))
                end--;
        }
        char sep = *p;
        *end = '\0';
        fields_push(f, start);
        if (!sep)
            return 1;
        p++;
    }
}

static int blank(const char *s)
{
    while (is_space(*s))
        s++;
    return !*s;
}

/* Distinct label texts, interned by an open-addressing hash table; ids in order of first sight. */
struct labels {
    char **text;      /* [n] */
    size_t n, cap;
    size_t *slot;     /* [slots] id + 1, 0 for empty */
    size_t slots;
};

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL

static size_t labels_intern(struct labels *l, const char *s)
{
    if (2 * (l->n + 1) > l->slots) {
        size_t slots = l->slots ? evo_mem_mul(l->slots, 2) : 64;
        size_t *slot = evo_mem_calloc(slots, sizeof *slot);
        for (size_t i = 0; i < l->n; i++) {
            size_t h = (size_t)fnv1a(l->text[i], strlen(l->text[i]), FNV_OFFSET) & (slots - 1);
            while (slot[h])
                h = (h + 1) & (slots - 1);
            slot[h] = i + 1;
        }
        free(l->slot);
        l->slot = slot;
        l->slots = slots;
    }
    size_t h = (size_t)fnv1a(s, strlen(s), FNV_OFFSET) & (l->slots - 1);
    while (l->slot[h]) {
        if (!strcmp(l->text[l->slot[h] - 1], s))
            return l->slot[h] - 1;
        h = (h + 1) & (l->slots - 1);
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? evo_mem_mul(l->cap, 2) : 16;
        l->text = evo_mem_realloc(l->text, evo_mem_mul(l->cap, sizeof *l->text));
    }
    l->text[l->n] = evo_mem_strdup(s);
    l->slot[h] = l->n + 1;
    return l->n++;
}

static void labels_free(struct labels *l)
{
    strv_free(l->text, l->n);
    free(l->slot);
    memset(l, 0, sizeof *l);
}

struct class_key {
    const char *text;
    long long value;
    size_t id;  /* interned id */
};

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const struct class_key *)a)->text, ((const struct class_key *)b)->text);
}

static int cmp_value(const void *a, const void *b)
{
    const struct class_key *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return strcmp(x->text, y->text); /* "1" and "01" stay distinct classes, in a fixed order */
}

/* Orders the distinct labels into classes (by value when every label is an integer, by byte order
 * otherwise), fills class_names and rewrites y from interned ids to class indices. */
static void assign_classes(struct evo_dataset *ds, struct labels *l)
{
    struct class_key *k = evo_mem_calloc(l->n, sizeof *k);
    int numeric = 1;
    for (size_t i = 0; i < l->n; i++) {
        k[i].text = l->text[i];
        k[i].id = i;
        if (numeric && !parse_integer(l->text[i], &k[i].value))
            numeric = 0;
    }
    qsort(k, l->n, sizeof *k, numeric ? cmp_value : cmp_text);
    size_t *class_of = evo_mem_calloc(l->n, sizeof *class_of);
    ds->class_names = evo_mem_calloc(l->n, sizeof *ds->class_names);
    for (size_t c = 0; c < l->n; c++) {
        class_of[k[c].id] = c;
        ds->class_names[c] = evo_mem_strdup(k[c].text);
    }
    ds->n_classes = (int)l->n;
    for (size_t i = 0; i < ds->n; i++)
        ds->y[i] = (int32_t)class_of[ds->y[i]];
    free(class_of);
    free(k);
}

/* Resolves the label column: a header name first, then a decimal index (negative from the end).
 * NULL or "" means the last column. */
static int find_label_column(const char *path, const struct fields *hdr, const char *label,
                             size_t *col, struct evo_error *err)
{
    if (!label || !*label)
        label = "-1";
    for (size_t i = 0; i < hdr->n; i++)
        if (!strcmp(hdr->v[i], label)) {
            *col = i;
            return EVO_OK;
        }
    long long idx;
    if (parse_integer(label, &idx)) {
        long long n = (long long)hdr->n;
        if (idx < -n || idx >= n)
            return evo_error_set(err, EVO_EDATA,
                                 "%s: label column index %lld out of range (%zu columns)", path, idx,
                                 hdr->n);
        *col = (size_t)(idx < 0 ? idx + n : idx);
        return EVO_OK;
    }
    size_t best = SIZE_MAX, best_i = 0;
    for (size_t i = 0; i < hdr->n; i++) {
        size_t dist = evo_error_distance(label, hdr->v[i]);
        if (dist < best) {
            best = dist;
            best_i = i;
        }
    }
    if (evo_error_is_close(label, best))
        return evo_error_set(err, EVO_EDATA, "%s: no column named '%s' (did you mean '%s'?)", path,
                             label, hdr->v[best_i]);
    /* The first few names are enough to show what the file holds; 784 pixel names are not. */
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < hdr->n; i++) {
        if (i == 8 || used + strlen(hdr->v[i]) + 8 > sizeof list) {
            snprintf(list + used, sizeof list - used, "%s...", i ? ", " : "");
            break;
        }
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", hdr->v[i]);
    }
    return evo_error_set(err, EVO_EDATA, "%s: no column named '%s' (columns: %s)", path, label,
                         list);
}

/* Appends one row to the growing arrays of ds. */
static void grow_rows(struct evo_dataset *ds, size_t *cap)
{
    if (ds->n < *cap)
        return;
    *cap = *cap ? evo_mem_mul(*cap, 2) : 256;
    ds->x = evo_mem_realloc(ds->x, evo_mem_mul(evo_mem_mul(*cap, ds->d), sizeof *ds->x));
    ds->y = evo_mem_realloc(ds->y, evo_mem_mul(*cap, sizeof *ds->y));
}

static int csv_body(struct evo_dataset *ds, struct reader *r, const char *label,
                    struct labels *lab, struct evo_error *err)
{
    const char *path = r->path;
    struct fields f = {0};
    int got, rc;
    size_t blank_line = 0; /* first blank line not yet followed by data */

    /* header */
    for (;;) {
        if ((rc = reader_line(r, &got, err)))
            goto out;
        if (!got) {
            rc = evo_error_set(err, EVO_EDATA, "%s: empty file, expected a header row", path);
            goto out;
        }
        if (!blank(r->line))
            break;
        if (!blank_line)
            blank_line = r->lineno;
    }
    if (blank_line) {
        rc = evo_error_set(err, EVO_EDATA, "%s:%zu: empty line before the header", path, blank_line);
        goto out;
    }
    if (!split_line(r->line, &f)) {
        rc = evo_error_set(err, EVO_EDATA, "%s:%zu: unterminated or malformed quoted field", path,
                           r->lineno);
        goto out;
    }
    size_t ncol = f.n, lcol = 0;
    if (!lab) {
        /* unlabelled: every column is a feature; lcol points past the last column */
        lcol = ncol;
        ds->d = ncol;
    } else if (ncol < 2) {
        rc = evo_error_set(err, EVO_EDATA,
                           "%s:%zu: header has %zu column, need at least one feature and the label",
                           path, r->lineno, ncol);
        goto out;
    }
    if (lab && (rc = find_label_column(path, &f, label, &lcol, err)))
        goto out;
    if (lab) {
        ds->d = ncol - 1;
        ds->label_name = evo_mem_strdup(f.v[lcol]);
    }
    ds->feature_names = evo_mem_calloc(ds->d, sizeof *ds->feature_names);
    for (size_t j = 0, k = 0; j < ncol; j++)
        if (j != lcol)
            ds->feature_names[k++] = evo_mem_strdup(f.v[j]);

    /* rows */
    size_t cap = 0;
    for (;;) {
        if ((rc = reader_line(r, &got, err)))
            goto out;
        if (!got)
            break;
        if (blank(r->line)) {
            if (!blank_line)
                blank_line = r->lineno;
            continue;
        }
        if (blank_line) {
            rc = evo_error_set(err, EVO_EDATA, "%s:%zu: empty line inside the data", path,
                               blank_line);
            goto out;
        }
        if (!split_line(r->line, &f)) {
            rc = evo_error_set(err, EVO_EDATA, "%s:%zu: unterminated or malformed quoted field",
                               path, r->lineno);
            goto out;
        }
        if (f.n != ncol) {
            rc = evo_error_set(err, EVO_EDATA, "%s:%zu: expected %zu columns, got %zu", path,
                               r->lineno, ncol, f.n);
            goto out;
        }
        grow_rows(ds, &cap);
        float *row = ds->x + ds->n * ds->d;
        for (size_t j = 0, k = 0; j < ncol; j++) {
            const char *cell = f.v[j];
            const char *name = j == lcol ? ds->label_name : ds->feature_names[k];
            if (!*cell) {
                rc = evo_error_set(err, EVO_EDATA, "%s:%zu: column '%s': empty cell", path,
                                   r->lineno, name);
                goto out;
            }
            if (j == lcol)
                continue;
            /* strtod follows LC_NUMERIC; evotune never calls setlocale, so '.' is the point. */
            char *end;
            double v = strtod(cell, &end);
            if (*end || end == cell || !isfinite(v)) {
                rc = evo_error_set(err, EVO_EDATA, "%s:%zu: column '%s': expected a number, got '%.40s'",
                                   path, r->lineno, name, cell);
                goto out;
            }
            if (fabs(v) > FLT_MAX) {
                rc = evo_error_set(err, EVO_EDATA, "%s:%zu: column '%s': %.40s is out of float range",
                                   path, r->lineno, name, cell);
                goto out;
            }
            row[k++] = (float)v;
        }
        if (!lab) {
            ds->y[ds->n++] = 0;
            continue;
        }
        size_t id = labels_intern(lab, f.v[lcol]);
        if (id > INT32_MAX) {
            rc = evo_error_set(err, EVO_EDATA, "%s:%zu: too many classes", path, r->lineno);
            goto out;
        }
        ds->y[ds->n++] = (int32_t)id;
    }
    if ((rc = reader_check(r, r->lineno, err)))
        goto out;
    if (!ds->n) {
        rc = evo_error_set(err, EVO_EDATA, "%s: only a header row, no data", path);
        goto out;
    }
    if (lab && lab->n < 2) {
        rc = evo_error_set(err, EVO_EDATA,
                           "%s: label column '%s' holds a single class ('%s'), need at least 2",
                           path, ds->label_name, lab->text[0]);
        goto out;
    }
    rc = EVO_OK;
out:
    free(f.v);
    return rc;
}

static int load_csv(struct evo_dataset *ds, const char *path, const char *label, int unlabelled,
                    struct evo_error *err)
{
    memset(ds, 0, sizeof *ds);
    struct reader r;
    int rc = reader_open(&r, path, err);
    if (rc)
        return rc;
    struct evo_dataset tmp = {0};
    struct labels lab = {0};
    rc = csv_body(&tmp, &r, label, unlabelled ? NULL : &lab, err);
    if (!rc) {
        /* gzclose reports a truncated stream once more; the checks above have seen it already. */
        int zrc = gzclose(r.gz);
        r.gz = NULL;
        if (zrc != Z_OK)
            rc = evo_error_set(err, EVO_EDATA, "%s: truncated or unreadable file (zlib status %d)",
                               path, zrc);
    }
    if (!rc) {
        if (!unlabelled)
            assign_classes(&tmp, &lab);
        /* shrink the doubling slack: a data set lives for the whole run */
        tmp.x = evo_mem_realloc(tmp.x, evo_mem_mul(evo_mem_mul(tmp.n, tmp.d), sizeof *tmp.x));
        tmp.y = evo_mem_realloc(tmp.y, evo_mem_mul(tmp.n, sizeof *tmp.y));
        *ds = tmp;
    } else {
        evo_data_release(&tmp);
    }
    labels_free(&lab);
    reader_close(&r);
    return rc;
}

int evo_data_load_csv(struct evo_dataset *ds, const char *path, const char *label,
                      struct evo_error *err)
{
    return load_csv(ds, path, label, 0, err);
}

/* ---- IDX ---------------------------------------------------------------------------------------- */

#define IDX_IMAGES 0x00000803u /* unsigned byte, 3 dimensions */
#define IDX_LABELS 0x00000801u /* unsigned byte, 1 dimension */

static int idx_header(struct reader *r, uint32_t magic, uint32_t *dims, int ndims,
                      struct evo_error *err)
{
    unsigned char h[16];
    size_t want = 4 + 4 * (size_t)ndims, got;
    int rc = reader_bytes(r, h, want, &got, err);
    if (rc)
        return rc;
    if (got < 4)
        return evo_error_set(err, EVO_EDATA, "%s: truncated IDX header (%zu bytes)", r->path, got);
    uint32_t m = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (m != magic)
        return evo_error_set(err, EVO_EDATA,
                             "%s: bad magic 0x%08x, expected 0x%08x (IDX %s of unsigned bytes)",
                             r->path, m, magic, ndims == 3 ? "images" : "labels");
    if (got < want)
        return evo_error_set(err, EVO_EDATA, "%s: truncated IDX header (%zu bytes)", r->path, got);
    for (int i = 0; i < ndims; i++) {
        const unsigned char *b = h + 4 + 4 * i;
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (!dims[i])
            return evo_error_set(err, EVO_EDATA, "%s: IDX dimension %d is 0", r->path, i);
    }
    return EVO_OK;
}

/* After the expected payload the file must end: more bytes mean the header does not describe it. */
static int idx_expect_end(struct reader *r, struct evo_error *err)
{
    unsigned char extra;
    size_t got;
    int rc = reader_bytes(r, &extra, 1, &got, err);
    if (rc)
        return rc;
    if (got)
        return evo_error_set(err, EVO_EDATA, "%s: trailing bytes after the data the header describes",
                             r->path);
    return reader_check(r, 0, err);
}

/* Reads the `total` payload bytes that the header promises, and checks that the file ends there.
 * The buffer grows as bytes arrive rather than trusting the header up front, so that a corrupt
 * header claiming terabytes is reported as a truncated file instead of aborting for memory. */
static int idx_payload(struct reader *r, size_t total, const char *what, unsigned char **out,
                       struct evo_error *err)
{
    size_t cap = total < ((size_t)1 << 24) ? total : (size_t)1 << 24, done = 0;
    unsigned char *buf = evo_mem_alloc(cap);
    int rc = EVO_OK;
    while (done < total) {
        if (done == cap) {
            cap = evo_mem_mul(cap, 2) < total ? cap * 2 : total;
            buf = evo_mem_realloc(buf, cap);
        }
        size_t got;
        if ((rc = reader_bytes(r, buf + done, cap - done, &got, err)))
            goto out;
        done += got;
        if (done < cap)
            break; /* end of file */
    }
    if (done < total) {
        if (!(rc = reader_check(r, 0, err)))
            rc = evo_error_set(err, EVO_EDATA, "%s: truncated file: %zu of %zu %s", r->path, done,
                               total, what);
        goto out;
    }
    rc = idx_expect_end(r, err);
out:
    if (rc) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    return rc;
}

static int idx_labels(struct evo_dataset *ds, const char *path, uint32_t n_images,
                      struct evo_error *err)
{
    struct reader r;
    int rc = reader_open(&r, path, err);
    if (rc)
        return rc;
    uint32_t n;
    unsigned char *raw = NULL;
    if ((rc = idx_header(&r, IDX_LABELS, &n, 1, err)))
        goto out;
    if (n != n_images) {
        rc = evo_error_set(err, EVO_EDATA, "%s: %u labels for %u images", path, n, n_images);
        goto out;
    }
    if ((rc = idx_payload(&r, n, "labels", &raw, err)))
        goto out;
    int seen[256] = {0};
    for (size_t i = 0; i < n; i++)
        seen[raw[i]] = 1;
    int class_of[256], k = 0;
    for (int v = 0; v < 256; v++)
        class_of[v] = seen[v] ? k++ : -1;
    if (k < 2) {
        rc = evo_error_set(err, EVO_EDATA, "%s: a single class (%u), need at least 2", path, raw[0]);
        goto out;
    }
    ds->y = evo_mem_alloc(evo_mem_mul(n, sizeof *ds->y));
    for (size_t i = 0; i < n; i++)
        ds->y[i] = class_of[raw[i]];
    ds->n_classes = k;
    ds->class_names = evo_mem_calloc((size_t)k, sizeof *ds->class_names);
    for (int v = 0; v < 256; v++)
        if (seen[v]) {
            char text[4];
            snprintf(text, sizeof text, "%d", v);
            ds->class_names[class_of[v]] = evo_mem_strdup(text);
        }
out:
    free(raw);
    reader_close(&r);
    return rc;
}

static int idx_images(struct evo_dataset *ds, const char *path, struct evo_error *err)
{
    struct reader r;
    int rc = reader_open(&r, path, err);
    if (rc)
        return rc;
    uint32_t dims[3];
    if ((rc = idx_header(&r, IDX_IMAGES, dims, 3, err)))
        goto out;
    size_t n = dims[0], d = evo_mem_mul(dims[1], dims[2]);
    size_t total = evo_mem_mul(n, d);
    if (d == SIZE_MAX || total == SIZE_MAX || evo_mem_mul(total, sizeof(float)) == SIZE_MAX) {
        rc = evo_error_set(err, EVO_EDATA, "%s: %u x %u x %u images overflow the address space",
                           path, dims[0], dims[1], dims[2]);
        goto out;
    }
    /* Pixels are kept as the file's bytes (evo_data_rows turns them into floats a batch at a time). */
    if ((rc = idx_payload(&r, total, "pixel bytes", &ds->bytes, err)))
        goto out;
    ds->n = n;
    ds->d = d;
    ds->image_h = dims[1];
    ds->image_w = dims[2];
    ds->feature_names = evo_mem_calloc(d, sizeof *ds->feature_names);
    for (size_t i = 0; i < d; i++) {
        char name[32];
        snprintf(name, sizeof name, "pixel_%zu", i);
        ds->feature_names[i] = evo_mem_strdup(name);
    }
out:
    reader_close(&r);
    return rc;
}

int evo_data_load_idx(struct evo_dataset *ds, const char *images, const char *labels,
                      struct evo_error *err)
{
    memset(ds, 0, sizeof *ds);
    struct evo_dataset tmp = {0};
    int rc = idx_images(&tmp, images, err);
    if (!rc)
        rc = idx_labels(&tmp, labels, (uint32_t)tmp.n, err);
    if (rc) {
        evo_data_release(&tmp);
        return rc;
    }
    tmp.label_name = evo_mem_strdup("label");
    *ds = tmp;
    return EVO_OK;
}

static int has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t k = strlen(suffix);
    return len >= k && !memcmp(s + len - k, suffix, k);
}

/* The names "*idx*-ubyte" and "*.idx*" (with optional .gz): the fallback of is_idx. */
static int is_idx_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (has_suffix(base, len, ".gz"))
        len -= 3;
    char *name = evo_mem_alloc(len + 1);
    memcpy(name, base, len);
    name[len] = '\0';
    int idx = (strstr(name, "idx") && has_suffix(name, len, "-ubyte")) || strstr(name, ".idx");
    free(name);
    return idx;
}

/* IDX is recognised by its first bytes, read through the same zlib reader (so .gz or not): an IDX
 * file starts with two zero bytes (then the type, 0x08 for unsigned bytes, and the number of
 * dimensions, 0x803 images, 0x801 labels), and no CSV text starts with a NUL byte. The IDX names
 * count too, so that a damaged IDX file is reported by the IDX reader ("bad magic") rather than
 * parsed as text. A file that cannot be opened or read is left to the CSV reader, which reports it. */
static int is_idx(const char *path)
{
    if (is_idx_name(path))
        return 1;
    struct reader r;
    struct evo_error ignored;
    unsigned char h[2];
    size_t got = 0;
    if (reader_open(&r, path, &ignored))
        return 0;
    int rc = reader_bytes(&r, h, sizeof h, &got, &ignored);
    reader_close(&r);
    return !rc && got == sizeof h && h[0] == 0 && h[1] == 0;
}

int evo_data_load(struct evo_dataset *ds, const char *path, const char *labels, const char *label,
                  struct evo_error *err)
{
    if (!is_idx(path))
        return evo_data_load_csv(ds, path, label, err);
    if (!labels) {
        memset(ds, 0, sizeof *ds);
        return evo_error_set(err, EVO_EDATA, "%s: an IDX image file needs its IDX label file",
                             path);
    }
    return evo_data_load_idx(ds, path, labels, err);
}

void evo_data_release(struct evo_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->bytes);
    free(ds->scale);
    free(ds->y);
    free(ds->target);
    strv_free(ds->feature_names, ds->d);
    strv_free(ds->class_names, ds->n_classes > 0 ? (size_t)ds->n_classes : 0);
    free(ds->label_name);
    memset(ds, 0, sizeof *ds);
}

static struct evo_data_scale *scale_copy(const struct evo_data_scale *src);

void evo_data_subset(struct evo_dataset *dst, const struct evo_dataset *src, const size_t *idx,
                     size_t n)
{
    memset(dst, 0, sizeof *dst);
    dst->n = n;
    dst->d = src->d;
    dst->n_classes = src->n_classes;
    dst->image_h = src->image_h;
    dst->image_w = src->image_w;
    size_t d = src->d;
    if (src->bytes) {
        dst->bytes = evo_mem_alloc(evo_mem_mul(n, d));
        for (size_t i = 0; i < n; i++)
            memcpy(dst->bytes + i * d, src->bytes + idx[i] * d, d);
        dst->scale = scale_copy(src->scale);
    } else {
        dst->x = evo_mem_alloc(evo_mem_mul(evo_mem_mul(n, d), sizeof *dst->x));
        for (size_t i = 0; i < n; i++)
            memcpy(dst->x + i * d, src->x + idx[i] * d, d * sizeof *dst->x);
    }
    dst->y = evo_mem_alloc(evo_mem_mul(n, sizeof *dst->y));
    for (size_t i = 0; i < n; i++)
        dst->y[i] = src->y[idx[i]];
    if (src->target) {
        dst->target = evo_mem_alloc(evo_mem_mul(n ? n : 1, sizeof *dst->target));
        for (size_t i = 0; i < n; i++)
            dst->target[i] = src->target[idx[i]];
    }
    dst->feature_names = strv_copy(src->feature_names, src->d);
    dst->class_names = strv_copy(src->class_names, (size_t)src->n_classes);
    dst->label_name = evo_mem_strdup(src->label_name);
}

/* ---- split -------------------------------------------------------------------------------------- */

enum { TO_TRAIN, TO_VALIDATION, TO_TEST };

int evo_data_split(const struct evo_dataset *all, double validation_fraction, double test_fraction,
                   uint64_t seed, struct evo_dataset *train, struct evo_dataset *validation,
                   struct evo_dataset *test, struct evo_error *err)
{
    memset(train, 0, sizeof *train);
    if (validation)
        memset(validation, 0, sizeof *validation);
    if (test)
        memset(test, 0, sizeof *test);
    double vf = validation_fraction, tf = test_fraction;
    if (!(vf >= 0 && vf < 1) || !(tf >= 0 && tf < 1) || !(vf + tf < 1))
        return evo_error_set(err, EVO_EDATA,
                             "split fractions must lie in [0, 1) and sum to less than 1 "
                             "(validation %g, test %g)", vf, tf);
    if (tf > 0 && !test)
        return evo_error_set(err, EVO_EDATA, "test fraction %g given but no test set to fill", tf);

    /* a regression set (every y 0) is a single class: the split is a seeded random one */
    size_t n = all->n, k = all->target ? 1 : all->n_classes > 0 ? (size_t)all->n_classes : 0;
    /* Rows grouped by class in their original order (a counting sort), then each group shuffled
     * by the one split stream, class after class, so the split depends on the seed alone. */
    size_t *start = evo_mem_calloc(k + 1, sizeof *start);
    for (size_t i = 0; i < n; i++)
        start[all->y[i] + 1]++;
    for (size_t c = 0; c < k; c++)
        start[c + 1] += start[c];
    size_t *order = evo_mem_alloc(evo_mem_mul(n, sizeof *order));
    size_t *fill = evo_mem_alloc(evo_mem_mul(k + 1, sizeof *fill));
    memcpy(fill, start, (k + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        order[fill[all->y[i]]++] = i;

    struct evo_rng rng;
    evo_rng_seed(&rng, seed, 0, 0, EVO_RNG_SPLIT);
    unsigned char *dest = evo_mem_alloc(n ? n : 1);
    size_t count[3] = {0, 0, 0};
    for (size_t c = 0; c < k; c++) {
        size_t m = start[c + 1] - start[c];
        size_t *rows = order + start[c];
        evo_rng_shuffle(&rng, rows, m);
        size_t nv = (size_t)floor(vf * (double)m + 0.5);
        size_t nt = (size_t)floor(tf * (double)m + 0.5);
        /* vf + tf < 1 keeps nv + nt <= m after rounding; the clamps only guard that argument. */
        if (nv > m)
            nv = m;
        if (nt > m - nv)
            nt = m - nv;
        for (size_t i = 0; i < m; i++) /* without a validation set its rows stay in train */
            dest[rows[i]] = i < nv ? (validation ? TO_VALIDATION : TO_TRAIN) : i < nv + nt ? TO_TEST : TO_TRAIN;
        count[validation ? TO_VALIDATION : TO_TRAIN] += nv;
        count[TO_TEST] += nt;
        count[TO_TRAIN] += m - nv - nt;
    }
    free(fill);
    free(start);

    int rc = EVO_OK;
    if (!count[TO_TRAIN] || (validation && !count[TO_VALIDATION]) || (tf > 0 && !count[TO_TEST])) {
        const char *which = !count[TO_TRAIN] ? "training" : !count[TO_VALIDATION] ? "validation" : "test";
        rc = evo_error_set(err, EVO_EDATA,
                           "%s split would be empty (%zu rows, %d classes, validation %g, test %g)",
                           which, n, all->n_classes, vf, tf);
        free(order);
        free(dest);
        return rc;
    }
    /* Gather each split in original row order. */
    size_t *pos[3];
    struct evo_dataset *out[3] = {train, validation, test};
    for (int s = 0; s < 3; s++)
        pos[s] = evo_mem_alloc(evo_mem_mul(count[s] ? count[s] : 1, sizeof *pos[s]));
    size_t at[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        pos[dest[i]][at[dest[i]]++] = i;
    for (int s = 0; s < 3; s++) {
        if (out[s])
            evo_data_subset(out[s], all, pos[s], count[s]);
        free(pos[s]);
    }
    free(order);
    free(dest);
    return EVO_OK;
}

int evo_data_folds(const struct evo_dataset *ds, size_t k, uint64_t seed, size_t *fold_of, struct evo_error *err)
{
    size_t n = ds->n, classes = ds->target ? 1 : ds->n_classes > 0 ? (size_t)ds->n_classes : 1;
    if (k < 2 || k > n)
        return evo_error_set(err, EVO_EDATA, "%zu folds of %zu rows: every fold needs a row, and there "
                             "must be at least 2 folds", k, n);
    size_t *rows = evo_mem_alloc(evo_mem_mul(n ? n : 1, sizeof *rows));
    struct evo_rng rng;
    evo_rng_seed(&rng, seed, 1, 0, EVO_RNG_SPLIT);
    size_t turn = 0;
    for (size_t c = 0; c < classes; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (ds->target || (size_t)ds->y[i] == c)
                rows[m++] = i;
        evo_rng_shuffle(&rng, rows, m);
        for (size_t i = 0; i < m; i++, turn++)
            fold_of[rows[i]] = turn % k;
    }
    free(rows);
    return EVO_OK;
}

int evo_data_align(struct evo_dataset *ds, const struct evo_dataset *ref, const char *what,
                   struct evo_error *err)
{
    if (ds->d != ref->d)
        return evo_error_set(err, EVO_EDATA, "%s: %zu features, but the training data has %zu", what,
                             ds->d, ref->d);
    if (ref->target || ds->target)
        return EVO_OK; /* regression: no classes to match */
    size_t k = ds->n_classes > 0 ? (size_t)ds->n_classes : 0;
    int32_t *map = evo_mem_calloc(k, sizeof *map);
    for (size_t c = 0; c < k; c++) {
        int found = -1;
        for (int r = 0; r < ref->n_classes; r++)
            if (!strcmp(ds->class_names[c], ref->class_names[r])) {
                found = r;
                break;
            }
        if (found < 0) {
            free(map);
            return evo_error_set(err, EVO_EDATA, "%s: class '%s' does not occur in the training data",
                                 what, ds->class_names[c]);
        }
        map[c] = found;
    }
    for (size_t i = 0; i < ds->n; i++)
        ds->y[i] = map[ds->y[i]];
    free(map);
    strv_free(ds->class_names, k);
    ds->class_names = strv_copy(ref->class_names, (size_t)ref->n_classes);
    ds->n_classes = ref->n_classes;
    return EVO_OK;
}

/* ---- rows as floats, from floats or bytes ------------------------------------------------------ */

/* A byte set's standardisation, which must give the floats that standardising the set held as floats
 * in place gives: (float)(((double)v - mean) / std). A division costs several times a multiplication,
 * and with the reciprocal the same floats come out for all 256 byte values of nearly every feature:
 * the product differs from the quotient by an ulp of a double at most, and that shows in the float
 * only when the quotient lies exactly halfway between two floats. Each feature's multiplier is
 * checked against the division for every byte value when the standardisation is applied (1/std, or
 * a neighbouring double when that fails); a feature that none fits is divided. One allocation. */
struct evo_data_scale {
    size_t d, n_divide;
    double *mean;   /* [d] */
    double *std;    /* [d] */
    double *recip;  /* [d] the multiplier checked for this feature */
    size_t *divide; /* [n_divide] features computed by division */
};

static struct evo_data_scale *scale_alloc(size_t d, size_t n_divide)
{
    size_t bytes = evo_mem_mul(d, 3 * sizeof(double) + sizeof(size_t));
    struct evo_data_scale *sc = evo_mem_alloc(sizeof *sc + bytes);
    sc->d = d;
    sc->n_divide = n_divide;
    sc->mean = (double *)(sc + 1);
    sc->std = sc->mean + d;
    sc->recip = sc->std + d;
    sc->divide = (size_t *)(sc->recip + d);
    return sc;
}

static struct evo_data_scale *scale_copy(const struct evo_data_scale *src)
{
    if (!src)
        return NULL;
    struct evo_data_scale *sc = scale_alloc(src->d, src->n_divide);
    memcpy(sc->mean, src->mean, src->d * 3 * sizeof(double));
    memcpy(sc->divide, src->divide, src->n_divide * sizeof(size_t));
    return sc;
}

static int same_float(float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    return ua == ub; /* bits, not values: -0 and +0 differ, as do NaNs */
}

/* 1 when (float)((v - m) * r) is (float)((v - m) / s), bit for bit, for every byte value v. */
static int recip_fits(double m, double s, double r)
{
    for (int v = 0; v < 256; v++) {
        double a = (double)v - m;
        if (!same_float((float)(a * r), (float)(a / s)))
            return 0;
    }
    return 1;
}

static struct evo_data_scale *scale_new(const float *mean, const float *std, size_t d)
{
    struct evo_data_scale *sc = scale_alloc(d, 0);
    for (size_t j = 0; j < d; j++) {
        double m = mean[j], s = std[j], r = 1.0 / s;
        double candidates[3] = {r, nextafter(r, INFINITY), nextafter(r, -INFINITY)};
        sc->mean[j] = m;
        sc->std[j] = s;
        sc->recip[j] = r;
        int fits = 0;
        for (int c = 0; c < 3 && !fits; c++)
            if ((fits = recip_fits(m, s, candidates[c])))
                sc->recip[j] = candidates[c];
        if (!fits)
            sc->divide[sc->n_divide++] = j;
    }
    return sc;
}

/* One row of bytes as floats; the trainer calls this for every row of every batch, so the bulk of it
 * is a kernel of the chosen table (AVX-512 converts a row in about half the time of the scalar
 * build's SSE2). The trainer runs it with subnormals flushed to zero, which changes
 * nothing here: no result is subnormal, as a mean of byte values (a sum of integers over a row count)
 * is an integer or lies at least 1 / (2 n) from every integer, and a std is at most 255. */
static void bytes_row(float *restrict out, const uint8_t *restrict in, const struct evo_data_scale *sc,
                      size_t d)
{
    if (!sc) {
        for (size_t j = 0; j < d; j++)
            out[j] = (float)in[j];
        return;
    }
    evo_kernels()->bytes_standardize(out, in, sc->mean, sc->recip, d);
    for (size_t k = 0; k < sc->n_divide; k++) {
        size_t j = sc->divide[k];
        out[j] = (float)(((double)in[j] - sc->mean[j]) / sc->std[j]);
    }
}

const float *evo_data_rows(const struct evo_dataset *ds, const size_t *rows, size_t n, size_t first,
                           float *out)
{
    size_t d = ds->d;
    if (!ds->bytes) {
        if (!rows)
            return ds->x + first * d;
        for (size_t r = 0; r < n; r++)
            memcpy(out + r * d, ds->x + rows[r] * d, d * sizeof *out);
        return out;
    }
    for (size_t r = 0; r < n; r++)
        bytes_row(out + r * d, ds->bytes + (rows ? rows[r] : first + r) * d, ds->scale, d);
    return out;
}

void evo_data_prefetch(const struct evo_dataset *ds, const size_t *rows, size_t n)
{
    /* The rows of a shuffled batch are scattered over a data set larger than the caches: asking for
     * them a batch ahead lets their loads overlap the current batch's compute instead of stalling
     * the next gather. Of a float row only the first 256 bytes: the hardware prefetcher follows the
     * rest of a long contiguous row, and issuing every line (1568 a step for 784 float features)
     * cost more than it saved. A byte row is asked for whole (13 lines for 784 bytes): with its
     * first 256 bytes only, the byte path was 5 % slower than floats on 784-32-10 (measured). */
    size_t d = ds->d;
    for (size_t r = 0; r < n; r++) {
        const char *row = ds->bytes ? (const char *)(ds->bytes + rows[r] * d)
                                    : (const char *)(ds->x + rows[r] * d);
        size_t len = ds->bytes ? d : d * sizeof(float) < 256 ? d * sizeof(float) : 256;
        for (size_t b = 0; b < len; b += 64)
            __builtin_prefetch(row + b, 0, 1);
    }
}

void evo_data_to_floats(struct evo_dataset *ds)
{
    if (!ds->bytes)
        return;
    float *x = evo_mem_alloc(evo_mem_mul(evo_mem_mul(ds->n, ds->d), sizeof *x));
    evo_data_rows(ds, NULL, ds->n, 0, x);
    free(ds->bytes);
    free(ds->scale);
    ds->bytes = NULL;
    ds->scale = NULL;
    ds->x = x;
}

int evo_data_compact(struct evo_dataset *ds)
{
    if (ds->bytes || !ds->x)
        return 0;
    size_t total = ds->n * ds->d;
    for (size_t i = 0; i < total; i++) {
        float v = ds->x[i];
        if (!(v >= 0.0f && v <= 255.0f) || v != (float)(int)v || signbit(v))
            return 0;
    }
    ds->bytes = evo_mem_alloc(total);
    for (size_t i = 0; i < total; i++)
        ds->bytes[i] = (uint8_t)ds->x[i];
    free(ds->x);
    ds->x = NULL;
    return 1;
}

/* ---- standardisation and hash ---------------------------------------------------------------- */

void evo_data_apply_standardize(struct evo_dataset *ds, const float *mean, const float *std)
{
    if (!ds)
        return;
    if (ds->bytes && ds->scale)
        evo_data_to_floats(ds);
    if (ds->bytes) {
        ds->scale = scale_new(mean, std, ds->d);
        return;
    }
    for (size_t i = 0; i < ds->n; i++) {
        float *row = ds->x + i * ds->d;
        for (size_t j = 0; j < ds->d; j++)
            row[j] = (float)(((double)row[j] - mean[j]) / std[j]);
    }
}

/* Feature j of row i as it is stored (before a byte set's standardisation). */
static float stored(const struct evo_dataset *ds, size_t i, size_t j)
{
    return ds->bytes ? (float)ds->bytes[i * ds->d + j] : ds->x[i * ds->d + j];
}

void evo_data_standardize(struct evo_dataset *train, struct evo_dataset *validation,
                          struct evo_dataset *test, float *mean, float *std)
{
    size_t n = train->n, d = train->d;
    if (train->bytes && train->scale)
        evo_data_to_floats(train); /* statistics of what the rows read as */
    for (size_t j = 0; j < d; j++) {
        double sum = 0;
        float lo = n ? stored(train, 0, j) : 0, hi = lo;
        for (size_t i = 0; i < n; i++) {
            float v = stored(train, i, j);
            sum += v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (lo == hi) {
            /* Exactly constant: the computed mean may be off by rounding, which would turn the
             * zeros this feature should become into noise. */
            mean[j] = lo;
            std[j] = 1;
            continue;
        }
        double m = sum / (double)n, ss = 0;
        for (size_t i = 0; i < n; i++) {
            double t = stored(train, i, j) - m;
            ss += t * t;
        }
        double s = sqrt(ss / (double)n);
        mean[j] = (float)m;
        std[j] = s > 0 && (float)s > 0 ? (float)s : 1;
    }
    /* The float mean and std are what a caller stores and applies to new data later, so the data
     * here are transformed with exactly those values. */
    evo_data_apply_standardize(train, mean, std);
    evo_data_apply_standardize(validation, mean, std);
    evo_data_apply_standardize(test, mean, std);
}

uint64_t evo_data_hash(const struct evo_dataset *ds)
{
    /* Shape as little-endian 64-bit words, so the hash does not depend on sizeof(size_t). */
    unsigned char shape[16];
    uint64_t n = ds->n, d = ds->d;
    for (int i = 0; i < 8; i++) {
        shape[i] = (unsigned char)(n >> (8 * i));
        shape[8 + i] = (unsigned char)(d >> (8 * i));
    }
    uint64_t h = fnv1a(shape, sizeof shape, FNV_OFFSET);
    if (ds->bytes) {
        /* the floats the rows read as, a few rows at a time: FNV-1a runs byte by byte */
        float buf[4096];
        size_t per = ds->d && ds->d <= 4096 ? 4096 / ds->d : 1;
        float *row = ds->d > 4096 ? evo_mem_alloc(ds->d * sizeof *row) : buf;
        for (size_t i = 0; i < ds->n; i += per) {
            size_t k = ds->n - i < per ? ds->n - i : per;
            h = fnv1a(evo_data_rows(ds, NULL, k, i, row), k * ds->d * sizeof *row, h);
        }
        if (row != buf)
            free(row);
    } else {
        h = fnv1a(ds->x, ds->n * ds->d * sizeof *ds->x, h);
    }
    h = fnv1a(ds->y, ds->n * sizeof *ds->y, h);
    return ds->target ? fnv1a(ds->target, ds->n * sizeof *ds->target, h) : h;
}

int evo_data_load_unlabelled(struct evo_dataset *ds, const char *path, struct evo_error *err)
{
    if (!is_idx(path))
        return load_csv(ds, path, NULL, 1, err);
    memset(ds, 0, sizeof *ds);
    struct evo_dataset tmp = {0};
    int rc = idx_images(&tmp, path, err);
    if (rc) {
        evo_data_release(&tmp);
        return rc;
    }
    tmp.y = evo_mem_calloc(tmp.n ? tmp.n : 1, sizeof *tmp.y);
    *ds = tmp;
    return EVO_OK;
}

int evo_data_to_regression(struct evo_dataset *ds, const char *what, struct evo_error *err)
{
    size_t k = ds->n_classes > 0 ? (size_t)ds->n_classes : 0;
    float *value = evo_mem_alloc(evo_mem_mul(k ? k : 1, sizeof *value));
    for (size_t c = 0; c < k; c++) {
        char *end;
        const char *text = ds->class_names[c];
        double v = strtod(text, &end);
        if (end == text || *end || !isfinite(v) || fabs(v) > FLT_MAX) {
            free(value);
            return evo_error_set(err, EVO_EDATA, "%s: label column '%s': expected a number, got '%.40s'",
                                 what, ds->label_name ? ds->label_name : "label", text);
        }
        value[c] = (float)v;
    }
    ds->target = evo_mem_alloc(evo_mem_mul(ds->n ? ds->n : 1, sizeof *ds->target));
    for (size_t i = 0; i < ds->n; i++) {
        ds->target[i] = value[ds->y[i]];
        ds->y[i] = 0;
    }
    free(value);
    strv_free(ds->class_names, k);
    ds->class_names = NULL;
    ds->n_classes = 0;
    return EVO_OK;
}

int evo_data_csv_has_column(const char *path, const char *name, int *has, struct evo_error *err)
{
    *has = 0;
    if (is_idx(path))
        return EVO_OK;
    struct reader r;
    int rc = reader_open(&r, path, err), got = 0;
    if (rc)
        return rc;
    struct fields f = {0};
    rc = reader_line(&r, &got, err);
    if (!rc && got && split_line(r.line, &f))
        for (size_t i = 0; i < f.n && !*has; i++)
            *has = !strcmp(f.v[i], name);
    free(f.v);
    reader_close(&r);
    return rc;
}

int evo_data_write_csv(const struct evo_dataset *ds, FILE *f)
{
    for (size_t j = 0; j < ds->d; j++)
        fprintf(f, "%s%s", j ? "," : "", ds->feature_names[j]);
    if (ds->n_classes || ds->target)
        fprintf(f, ",%s", ds->label_name ? ds->label_name : "label");
    fputc('\n', f);
    float *buf = ds->bytes ? evo_mem_alloc(evo_mem_mul(ds->d ? ds->d : 1, sizeof *buf)) : NULL;
    for (size_t i = 0; i < ds->n; i++) {
        const float *row = evo_data_rows(ds, NULL, 1, i, buf);
        for (size_t j = 0; j < ds->d; j++)
            fprintf(f, "%s%.9g", j ? "," : "", (double)row[j]); /* 9 digits: exact for float */
        if (ds->target)
            fprintf(f, ",%.9g", (double)ds->target[i]);
        else if (ds->n_classes)
            fprintf(f, ",%s", ds->class_names[ds->y[i]]);
        fputc('\n', f);
    }
    free(buf);
    return ferror(f) ? -1 : 0;
}
