/* libFuzzer harness for the CSV reader (src/data/csv.c): the input is a CSV file (plain or gzip, zlib
 * reads both), loaded with the label column by name, by index or from the end, and without labels.
 * A loaded set is split and written back, and everything is released (LSan counts leaks). */
#include "fuzz_common.h"
#include "evotune/data.h"

static void exercise(const struct evo_dataset *ds)
{
    struct evo_dataset tr = {0}, va = {0}, te = {0};
    struct evo_error err = {0};
    evo_data_write_csv(ds, fuzz_devnull());
    (void)evo_data_hash(ds);
    if (ds->n_classes >= 2 &&
        evo_data_split(ds, 0.25, 0.25, 1, &tr, &va, &te, &err) == EVO_OK) {
        float *mean = calloc(ds->d ? ds->d : 1, sizeof *mean), *std = calloc(ds->d ? ds->d : 1, sizeof *std);
        if (!mean || !std)
            abort();
        evo_data_standardize(&tr, &va, &te, mean, std);
        free(mean);
        free(std);
    }
    evo_data_release(&tr);
    evo_data_release(&va);
    evo_data_release(&te);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Every open costs the reader's 1 MiB buffer, so each input takes one label mode, chosen by its
     * length (mutations reach them all): by name, by index, from the end, a missing name. */
    static const char *const labels[] = {"label", "0", "-1", "class"};
    const char *path = fuzz_temp_path(0, ".csv");
    fuzz_write_file(path, data, size);
    struct evo_dataset ds = {0};
    struct evo_error err = {0};
    if (evo_data_load_csv(&ds, path, labels[size % 4], &err) == EVO_OK)
        exercise(&ds);
    evo_data_release(&ds);
    if (evo_data_load_unlabelled(&ds, path, &err) == EVO_OK)
        evo_data_write_csv(&ds, fuzz_devnull());
    evo_data_release(&ds);
    return 0;
}
