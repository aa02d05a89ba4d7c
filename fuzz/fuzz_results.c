/* libFuzzer harness for the readers of results files (src/store/results.c, src/store/h5.c): the input is a
 * results file (seeded with real, truncated and bit-flipped ones), opened for analysis, for its
 * summary and for its model. HDF5 does the parsing; what is tested is our checks on what it returns.
 * Whatever loads is written out and applied, and every HDF5 object must be closed afterwards. */
#include "fuzz_common.h"
#include "evotune/h5.h"
#include "evotune/results.h"
#include "evotune/mlp.h"
#include "evotune/predict.h"

static void write_table(const struct evo_table *t)
{
    char buf[64];
    evo_results_write_csv(t, fuzz_devnull());
    evo_results_write_jsonl(t, fuzz_devnull());
    for (size_t c = 0; c < t->n_cols; c++)
        for (size_t i = 0; i < t->n_rows; i++)
            evo_results_format(buf, sizeof buf, &t->cols[c], i, "nan");
}

static void apply(const struct evo_mlp *net)
{
    size_t n_in = net->arch.n_in, n_out = net->arch.n_out, width = 1;
    for (size_t l = 0; l < net->arch.n_hidden; l++)
        if (net->arch.hidden[l] > width)
            width = net->arch.hidden[l];
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init(&ws, n_in, n_out, net->arch.n_hidden, width, 2, 2);
    float *x = calloc(2 * n_in, sizeof *x), *probs = calloc(2 * n_out, sizeof *probs);
    int32_t classes[2];
    if (!x || !probs)
        abort();
    evo_predict_classes(net, &ws, x, 2, probs, classes);
    for (int i = 0; i < 2; i++)
        if (classes[i] < 0 || (size_t)classes[i] >= n_out)
            abort();
    free(x);
    free(probs);
    evo_mlp_workspace_release(&ws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialised;
    static hsize_t base_types, base_spaces, base_plists;
    if (!initialised) {
        evo_h5_init();
        H5open();
        H5Inmembers(H5I_DATATYPE, &base_types);
        H5Inmembers(H5I_DATASPACE, &base_spaces);
        H5Inmembers(H5I_GENPROP_LST, &base_plists);
        initialised = 1;
    }
    /* Inputs of odd length go to the readers as they are, which tests the check of the seal; sealed
     * inputs of even length are sealed again first, so that mutations behind the seal reach HDF5 and
     * our checks of what it returns. */
    const char *path = fuzz_temp_path(0, ".h5");
    if (size % 2 == 0 && size > EVO_H5_USERBLOCK &&
        !memcmp(data, EVO_H5_SEAL_PREFIX, sizeof EVO_H5_SEAL_PREFIX - 1)) {
        uint8_t *copy = malloc(size);
        if (!copy)
            abort();
        memcpy(copy, data, size);
        evo_h5_seal(copy, size);
        fuzz_write_file(path, copy, size);
        free(copy);
    } else {
        fuzz_write_file(path, data, size);
    }

    struct evo_error err = {0};
    struct evo_results r;
    memset(&r, 0, sizeof r);
    if (evo_results_open(&r, path, &err) == EVO_OK) {
        write_table(&r.individuals);
        write_table(&r.generations);
        write_table(&r.curves);
        write_table(&r.best_individual);
        evo_results_release(&r);
    }

    struct evo_h5_summary s;
    memset(&s, 0, sizeof s);
    if (evo_h5_summary_read(&s, path, &err) == EVO_OK)
        evo_h5_summary_release(&s);

    struct evo_mlp net;
    struct evo_individual best;
    memset(&net, 0, sizeof net);
    if (evo_h5_load_model(&net, &best, path, &err) == EVO_OK)
        apply(&net);
    evo_mlp_release(&net);

    /* An HDF5 object left open keeps the file open (the next input would read the stale file), and
     * transient types, dataspaces and property lists left open are leaks that LSan cannot see
     * (fuzz/lsan.supp has to suppress leaks inside libhdf5). */
    hsize_t types = 0, spaces = 0, plists = 0;
    H5Inmembers(H5I_DATATYPE, &types);
    H5Inmembers(H5I_DATASPACE, &spaces);
    H5Inmembers(H5I_GENPROP_LST, &plists);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0 || types > base_types || spaces > base_spaces ||
        plists > base_plists) {
        fprintf(stderr, "HDF5 identifiers left open: %ld file objects, %llu/%llu types, %llu/%llu "
                "dataspaces, %llu/%llu property lists (now/at start)\n",
                (long)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), (unsigned long long)types,
                (unsigned long long)base_types, (unsigned long long)spaces,
                (unsigned long long)base_spaces, (unsigned long long)plists,
                (unsigned long long)base_plists);
        abort();
    }
    return 0;
}
