/* The CSV format: reading a file with a header row (quoted fields, the label column by name or
 * index, numeric cells checked with their line numbers) into features and labels, with label text
 * mapped to class indices (by value when every label is an integer, else by byte order); asking
 * whether a header has a column; and writing a data set back in the shipped format. */
#include "internal.h"
#include "evotune/mem.h"
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    evo_data_names_free(l->text, l->n);
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

static int csv_body(struct evo_dataset *ds, struct evo_reader *r, const char *label,
                    struct labels *lab, struct evo_error *err)
{
    const char *path = r->path;
    struct fields f = {0};
    int got, rc;
    size_t blank_line = 0; /* first blank line not yet followed by data */

    /* header */
    for (;;) {
        if ((rc = evo_reader_line(r, &got, err)))
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
        if ((rc = evo_reader_line(r, &got, err)))
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
    if ((rc = evo_reader_check(r, r->lineno, err)))
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

int evo_csv_load(struct evo_dataset *ds, const char *path, const char *label, int unlabelled,
                 struct evo_error *err)
{
    memset(ds, 0, sizeof *ds);
    struct evo_reader r;
    int rc = evo_reader_open(&r, path, err);
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
    evo_reader_close(&r);
    return rc;
}

int evo_data_load_csv(struct evo_dataset *ds, const char *path, const char *label,
                      struct evo_error *err)
{
    return evo_csv_load(ds, path, label, 0, err);
}

int evo_data_csv_has_column(const char *path, const char *name, int *has, struct evo_error *err)
{
    *has = 0;
    if (evo_idx_recognise(path))
        return EVO_OK;
    struct evo_reader r;
    int rc = evo_reader_open(&r, path, err), got = 0;
    if (rc)
        return rc;
    struct fields f = {0};
    rc = evo_reader_line(&r, &got, err);
    if (!rc && got && split_line(r.line, &f))
        for (size_t i = 0; i < f.n && !*has; i++)
            *has = !strcmp(f.v[i], name);
    free(f.v);
    evo_reader_close(&r);
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
