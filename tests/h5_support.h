/* Shared by the tests that open results files with HDF5 directly (test_h5, test_resume): reading a
 * string attribute. Include after <cmocka.h>. */
#ifndef EVOTUNE_TEST_H5_SUPPORT_H
#define EVOTUNE_TEST_H5_SUPPORT_H
#include <hdf5.h>
#include <string.h>

/* The variable-length UTF-8 string attribute name of obj, as a heap copy (free it); fails the test
 * when it cannot be opened or read. */
static inline char *support_h5_attr_string(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    assert_true(a >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8); /* HDF5 does not convert between character sets */
    char *v = NULL;
    assert_true(H5Aread(a, t, &v) >= 0);
    char *copy = strdup(v);
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
    return copy;
}

#endif
