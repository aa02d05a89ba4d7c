/* libFuzzer harness for the IDX reader (src/data/idx.c), plain and gzip. Input layout: one flag byte, a
 * 4-byte big-endian length L, then L bytes of the image file and the rest as the label file (a short
 * input is all images). Flag bit 0 names the files "*.gz" (the gzip path; zlib reads plain files too),
 * bit 1 also loads through evo_data_load's name-based dispatch. */
#include "fuzz_common.h"
#include "evotune/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags = size > 0 ? data[0] : 0;
    size_t len = 0;
    if (size >= 5)
        len = (size_t)data[1] << 24 | (size_t)data[2] << 16 | (size_t)data[3] << 8 | data[4];
    const uint8_t *img = size >= 5 ? data + 5 : data + size;
    size_t rest = size >= 5 ? size - 5 : 0;
    if (len > rest)
        len = rest;
    int gz = flags & 1;
    const char *images = fuzz_temp_path(gz, gz ? "-images-idx3-ubyte.gz" : "-images-idx3-ubyte");
    const char *labels = fuzz_temp_path(2 + gz, gz ? "-labels-idx1-ubyte.gz" : "-labels-idx1-ubyte");
    fuzz_write_file(images, img, len);
    fuzz_write_file(labels, img + len, rest - len);

    struct evo_dataset ds = {0}, tr = {0}, va = {0};
    struct evo_error err = {0};
    if (evo_data_load_idx(&ds, images, labels, &err) == EVO_OK) {
        (void)evo_data_hash(&ds);
        if (evo_data_split(&ds, 0.5, 0, 1, &tr, &va, NULL, &err) == EVO_OK)
            evo_data_write_csv(&va, fuzz_devnull());
    }
    evo_data_release(&tr);
    evo_data_release(&va);
    evo_data_release(&ds);
    if (evo_data_load_unlabelled(&ds, images, &err) == EVO_OK)
        (void)evo_data_hash(&ds);
    evo_data_release(&ds);
    if (flags & 2) {
        if (evo_data_load(&ds, images, labels, "label", &err) == EVO_OK)
            (void)evo_data_hash(&ds);
        evo_data_release(&ds);
    }
    return 0;
}
