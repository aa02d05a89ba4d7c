/* Chooses the reader for a data file: IDX when idx.c recognises the file (by its first bytes or its
 * name), CSV otherwise; for labelled data (evo_data_load) and for the unlabelled data a model is
 * applied to (evo_data_load_unlabelled). */
#include "internal.h"
#include "evotune/mem.h"
#include <string.h>

int evo_data_load(struct evo_dataset *ds, const char *path, const char *labels, const char *label,
                  struct evo_error *err)
{
    if (!evo_idx_recognise(path))
        return evo_data_load_csv(ds, path, label, err);
    if (!labels) {
        memset(ds, 0, sizeof *ds);
        return evo_error_set(err, EVO_EDATA, "%s: an IDX image file needs its IDX label file",
                             path);
    }
    return evo_data_load_idx(ds, path, labels, err);
}

int evo_data_load_unlabelled(struct evo_dataset *ds, const char *path, struct evo_error *err)
{
    if (!evo_idx_recognise(path))
        return evo_csv_load(ds, path, NULL, 1, err);
    memset(ds, 0, sizeof *ds);
    struct evo_dataset tmp = {0};
    int rc = evo_idx_images(&tmp, path, err);
    if (rc) {
        evo_data_release(&tmp);
        return rc;
    }
    tmp.y = evo_mem_calloc(tmp.n ? tmp.n : 1, sizeof *tmp.y);
    *ds = tmp;
    return EVO_OK;
}
