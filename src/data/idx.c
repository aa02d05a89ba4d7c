/* The IDX format (MNIST and Fashion-MNIST): an image file of unsigned bytes, held as bytes, and its
 * label file, with every size checked against the header and the file's length (a damaged header
 * is reported, never trusted for an allocation); and recognising an IDX file by its first bytes or
 * its name. */
#include "internal.h"
#include "evotune/mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDX_IMAGES 0x00000803u /* unsigned byte, 3 dimensions */
#define IDX_LABELS 0x00000801u /* unsigned byte, 1 dimension */

static int idx_header(struct evo_reader *r, uint32_t magic, uint32_t *dims, int ndims,
                      struct evo_error *err)
{
    unsigned char h[16];
    size_t want = 4 + 4 * (size_t)ndims, got;
    int rc = evo_reader_bytes(r, h, want, &got, err);
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
static int idx_expect_end(struct evo_reader *r, struct evo_error *err)
{
    unsigned char extra;
    size_t got;
    int rc = evo_reader_bytes(r, &extra, 1, &got, err);
    if (rc)
        return rc;
    if (got)
        return evo_error_set(err, EVO_EDATA, "%s: trailing bytes after the data the header describes",
                             r->path);
    return evo_reader_check(r, 0, err);
}

/* Reads the `total` payload bytes that the header promises, and checks that the file ends there.
 * The buffer grows as bytes arrive rather than trusting the header up front, so that a corrupt
 * header claiming terabytes is reported as a truncated file instead of aborting for memory. */
static int idx_payload(struct evo_reader *r, size_t total, const char *what, unsigned char **out,
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
        if ((rc = evo_reader_bytes(r, buf + done, cap - done, &got, err)))
            goto out;
        done += got;
        if (done < cap)
            break; /* end of file */
    }
    if (done < total) {
        if (!(rc = evo_reader_check(r, 0, err)))
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
    struct evo_reader r;
    int rc = evo_reader_open(&r, path, err);
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
    evo_reader_close(&r);
    return rc;
}

int evo_idx_images(struct evo_dataset *ds, const char *path, struct evo_error *err)
{
    struct evo_reader r;
    int rc = evo_reader_open(&r, path, err);
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
    evo_reader_close(&r);
    return rc;
}

int evo_data_load_idx(struct evo_dataset *ds, const char *images, const char *labels,
                      struct evo_error *err)
{
    memset(ds, 0, sizeof *ds);
    struct evo_dataset tmp = {0};
    int rc = evo_idx_images(&tmp, images, err);
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

/* The names "*idx*-ubyte" and "*.idx*" (with optional .gz): the fallback of evo_idx_recognise. */
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
int evo_idx_recognise(const char *path)
{
    if (is_idx_name(path))
        return 1;
    struct evo_reader r;
    struct evo_error ignored;
    unsigned char h[2];
    size_t got = 0;
    if (evo_reader_open(&r, path, &ignored))
        return 0;
    int rc = evo_reader_bytes(&r, h, sizeof h, &got, &ignored);
    evo_reader_close(&r);
    return !rc && got == sizeof h && h[0] == 0 && h[1] == 0;
}
