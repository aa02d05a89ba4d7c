/* Typed HDF5 helpers for the files of src/store/ (h5io.h): attributes and datasets written and read
 * by type, chunked compound tables, enum and compound types; and the public checks of what a dataset
 * holds (evo_h5_stored, evo_h5_has_dims) and HDF5's set-up (evo_h5_init). No knowledge of what the
 * results file holds. */
#include "h5io.h"
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/h5.h"
#include "evotune/mem.h"

void evo_h5_init(void)
{
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

hid_t evo_h5io_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* ---- writing ---- */

static herr_t attr_write(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1 : H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, type, value);
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

herr_t evo_h5io_put_i64(hid_t obj, const char *name, int64_t v) { return attr_write(obj, name, H5T_NATIVE_INT64, &v); }
herr_t evo_h5io_put_u64(hid_t obj, const char *name, uint64_t v) { return attr_write(obj, name, H5T_NATIVE_UINT64, &v); }
herr_t evo_h5io_put_f64(hid_t obj, const char *name, double v) { return attr_write(obj, name, H5T_NATIVE_DOUBLE, &v); }

herr_t evo_h5io_put_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = evo_h5io_string_type();
    herr_t rc = t < 0 ? -1 : attr_write(obj, name, t, &v);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

herr_t evo_h5io_write_strings(hid_t loc, const char *name, char *const *v, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t t = evo_h5io_string_type();
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = (t < 0 || space < 0) ? -1 : H5Dcreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : (n ? H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : 0);
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

herr_t evo_h5io_write_floats(hid_t loc, const char *name, const float *v, int rank, const hsize_t *dims)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = space < 0 ? -1 : H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

herr_t evo_h5io_write_table(hid_t loc, const char *name, hid_t type, const void *rows, size_t n)
{
    hsize_t dims[1] = {n}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {256};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    herr_t rc = (space < 0 || plist < 0) ? -1 : H5Pset_chunk(plist, 1, chunk);
    hid_t d = rc < 0 ? -1 : H5Dcreate2(loc, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    rc = d < 0 ? -1 : (n ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) : 0);
    if (d >= 0)
        H5Dclose(d);
    if (plist >= 0)
        H5Pclose(plist);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* ---- types ---- */

hid_t evo_h5io_enum_type(const char *const *names, int n)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    for (int8_t k = 0; t >= 0 && k < n; k++)
        if (H5Tenum_insert(t, names[k], &k) < 0) {
            H5Tclose(t);
            return -1;
        }
    return t;
}

hid_t evo_h5io_compound_type(size_t size, const struct evo_h5io_field *f, size_t n)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    for (size_t k = 0; t >= 0 && k < n; k++)
        if (H5Tinsert(t, f[k].name, f[k].offset, f[k].type) < 0) {
            H5Tclose(t);
            return -1;
        }
    return t;
}

/* ---- reading ---- */

int evo_h5io_get_i64(hid_t obj, const char *name, int64_t *v)
{
    long long x;
    if (H5Aexists(obj, name) <= 0 || H5LTget_attribute_long_long(obj, ".", name, &x) < 0)
        return -1;
    *v = x;
    return 0;
}

int evo_h5io_get_u64(hid_t obj, const char *name, uint64_t *v)
{
    hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1;
    int rc = (a < 0 || H5Aread(a, H5T_NATIVE_UINT64, v) < 0) ? -1 : 0;
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

int64_t evo_h5io_i64_or(hid_t obj, const char *name, int64_t fallback)
{
    int64_t v;
    return evo_h5io_get_i64(obj, name, &v) ? fallback : v;
}

double evo_h5io_f64_or(hid_t obj, const char *name, double fallback)
{
    double v;
    if (H5Aexists(obj, name) <= 0 || H5LTget_attribute_double(obj, ".", name, &v) < 0)
        return fallback;
    return v;
}

/* A string attribute into buf[n] (truncated) when buf is set, a heap copy into *heap when heap is. */
static int read_str(hid_t obj, const char *name, char *buf, size_t n, char **heap)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = evo_h5io_string_type();
    char *v = NULL;
    int rc = (a < 0 || t < 0 || H5Aread(a, t, &v) < 0 || !v) ? -1 : 0;
    if (!rc && buf)
        snprintf(buf, n, "%s", v);
    if (!rc && heap)
        *heap = evo_mem_strdup(v);
    if (v)
        H5free_memory(v);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

int evo_h5io_get_str(hid_t obj, const char *name, char *buf, size_t n) { return read_str(obj, name, buf, n, NULL); }

char *evo_h5io_dup_str(hid_t obj, const char *name)
{
    char *copy = NULL;
    read_str(obj, name, NULL, 0, &copy);
    return copy;
}

int evo_h5_stored(hid_t d)
{
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    size_t size = t < 0 ? 0 : H5Tget_size(t);
    int ok = n >= 0 && size > 0 &&
             (hsize_t)H5Dget_storage_size(d) >= (hsize_t)evo_mem_mul((size_t)n, size);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return ok;
}

int evo_h5io_rows_of(hid_t loc, const char *name, hsize_t *n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t sp = d < 0 ? -1 : H5Dget_space(d);
    int rc = (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, n, NULL) < 0 ||
              !evo_h5_stored(d)) ? -1 : 0;
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return rc;
}

int evo_h5_has_dims(hid_t loc, const char *name, int rank, const hsize_t *want)
{
    int r;
    hsize_t dims[H5S_MAX_RANK];
    /* (no H5LTfind_dataset: it sees direct children only, and name may be a path) */
    if (rank < 1 || rank > H5S_MAX_RANK || H5LTget_dataset_ndims(loc, name, &r) < 0 || r != rank ||
        H5LTget_dataset_info(loc, name, dims, NULL, NULL) < 0 || memcmp(dims, want, (size_t)rank * sizeof *dims))
        return 0;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    int ok = d >= 0 && evo_h5_stored(d);
    if (d >= 0)
        H5Dclose(d);
    return ok;
}

int evo_h5_has_shape(hid_t loc, const char *name, int rank, hsize_t d0, hsize_t d1)
{
    hsize_t want[2] = {d0, d1};
    return evo_h5_has_dims(loc, name, rank, want);
}

int evo_h5io_read_all(hid_t loc, const char *name, hid_t type, void *out, hsize_t expect)
{
    hsize_t n;
    if (evo_h5io_rows_of(loc, name, &n) || n != expect)
        return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    int rc = (d < 0 || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) ? -1 : 0;
    if (d >= 0)
        H5Dclose(d);
    return rc;
}
