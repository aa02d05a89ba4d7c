/* The network in the results file (private to src/store/): /best/weights and /best/layers. */
#ifndef EVOTUNE_STORE_MODEL_H
#define EVOTUNE_STORE_MODEL_H
#include <hdf5.h>
#include <stddef.h>
#include "evotune/error.h"
#include "evotune/mlp.h"
#include "evotune/trial.h"
#include "rows.h"

/* What a stored network needs besides its genome: the task and the targets' standardisation. */
struct evo_h5_model_info {
    int regression;
    double target_mean, target_std;
};

/* Writes net's parameters into the new group grp/weights and its layer table as grp/layers. Returns
 * 0, or -1 with *what_out the HDF5 call that failed (its source text, as the writer's TRY gives). */
int evo_h5_write_model(hid_t grp, const struct evo_mlp *net, const char **what_out);

/* Reads the row grp/individual (layout L, through row[L->size]) into best and the network under grp
 * into net, allocated here for the architecture the row's genome decodes to (n_in inputs, n_out
 * classes, or one output for regression; the image shape from grp/layers when the file has it) and
 * checked against grp/layers. Returns EVO_OK, EVO_EDATA when the group is damaged (err not set: the
 * caller names the file), or the status of a failed allocation. */
int evo_h5_read_best_net(hid_t grp, const struct evo_h5_row_layout *L, unsigned char *row, size_t n_in,
                         size_t n_out, const struct evo_h5_model_info *mi, struct evo_individual *best,
                         struct evo_mlp *net, struct evo_error *err);

#endif
