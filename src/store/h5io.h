/* Typed HDF5 helpers shared by the files of src/store/ (private): scalar attributes written and read
 * by type, string and float datasets, chunked compound tables, enum and compound types, and the TRY
 * macro of the writers. Every function returns < 0 (or -1) on failure and leaves nothing open. */
#ifndef EVOTUNE_STORE_H5IO_H
#define EVOTUNE_STORE_H5IO_H
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Fails the enclosing write when an HDF5 call returns a negative id or status: sets the local
 * `const char *what` to the call's text and jumps to the label `fail`. */
#define TRY(call)                                                                              \
    do {                                                                                           \
        if ((call) < 0) {                                                                          \
            what = #call;                                                                          \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* A variable-length UTF-8 string type, the one every string of the file has; close with H5Tclose. */
hid_t evo_h5io_string_type(void);

/* Scalar attributes name of obj (a file, group or dataset), created with the value v: int64, uint64,
 * double, or a variable-length UTF-8 string (v copied). */
herr_t evo_h5io_put_i64(hid_t obj, const char *name, int64_t v);
herr_t evo_h5io_put_u64(hid_t obj, const char *name, uint64_t v);
herr_t evo_h5io_put_f64(hid_t obj, const char *name, double v);
herr_t evo_h5io_put_str(hid_t obj, const char *name, const char *v);

/* Reads the scalar attribute name of obj into *v: 0, or -1 when it is absent or unreadable as that
 * type (*v then untouched). */
int evo_h5io_get_i64(hid_t obj, const char *name, int64_t *v);
int evo_h5io_get_u64(hid_t obj, const char *name, uint64_t *v);
/* The string attribute name of obj into buf[n], truncated: 0, or -1 (buf untouched). */
int evo_h5io_get_str(hid_t obj, const char *name, char *buf, size_t n);
/* The same as a heap copy (free it), or NULL when absent or unreadable. */
char *evo_h5io_dup_str(hid_t obj, const char *name);
/* An int64 or double attribute, or fallback when it is absent or unreadable. */
int64_t evo_h5io_i64_or(hid_t obj, const char *name, int64_t fallback);
double evo_h5io_f64_or(hid_t obj, const char *name, double fallback);

/* Datasets name below loc: n variable-length strings; floats (stored IEEE little-endian 32-bit) of the
 * given rank and dimensions. */
herr_t evo_h5io_write_strings(hid_t loc, const char *name, char *const *v, size_t n);
herr_t evo_h5io_write_floats(hid_t loc, const char *name, const float *v, int rank, const hsize_t *dims);
/* A chunked 1-D table of n rows of the compound type, unlimited in its first dimension so that readers
 * and later writers (resume) can grow it with H5Dset_extent. */
herr_t evo_h5io_write_table(hid_t loc, const char *name, hid_t type, const void *rows, size_t n);

/* The rows (*n) of the 1-D dataset name below loc: 0, or -1 when it is absent, not 1-D, or does not
 * hold the bytes its shape claims (evo_h5_stored). */
int evo_h5io_rows_of(hid_t loc, const char *name, hsize_t *n);
/* Reads the whole 1-D dataset name as type into out, which holds `expect` elements: a dataset of any
 * other shape (a damaged or crafted file) is refused before anything is written to out. 0 or -1. */
int evo_h5io_read_all(hid_t loc, const char *name, hid_t type, void *out, hsize_t expect);

/* An int8 enum whose member k is names[k], k < n; close with H5Tclose. */
hid_t evo_h5io_enum_type(const char *const *names, int n);

/* One member of a compound type built from a C struct: FIELD(struct s, member, hdf5 type). */
struct evo_h5io_field {
    const char *name;
    size_t offset;
    hid_t type;
};
#define FIELD(s, name, type) {#name, offsetof(s, name), type}

/* The compound type of size bytes with the n members f (the types are copied: the caller closes its
 * own); close with H5Tclose. */
hid_t evo_h5io_compound_type(size_t size, const struct evo_h5io_field *f, size_t n);

#endif
