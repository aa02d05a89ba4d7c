/* The results file: one self-describing HDF5 file per run, written from the main thread only.
 * Every write produces a complete file: the state is written to a temporary file in the same
 * directory, flushed to disk with fsync, and renamed over the previous one (file.h), so a reader (h5py,
 * HDFView) can open the path at any moment and always sees a consistent file. The layout is
 * documented in results/README.md. */
#ifndef EVOTUNE_H5_H
#define EVOTUNE_H5_H
#include <hdf5.h>
#include "evotune/error.h"
#include "evotune/runlog.h"

/* Version of the file layout, stored as the root attribute format_version. */
#define EVO_H5_FORMAT_VERSION 9
/* The oldest format read: 6 differs from 7 only by what 7 added (the conv genes' columns, the status
 * too_small, /best/layers), so its files read as dense networks; 7 from 8 by the promotion columns of
 * /individuals (rung, budget, from_epoch, origin, paused), so its rows read as whole trainings of
 * their epochs gene; 8 from 9 by /individuals' purpose (search or finalist), so its rows read as
 * search rows. Resume continues them as 9. */
#define EVO_H5_FORMAT_OLDEST 6

/* Bytes at the start of a results file that HDF5 skips (its user block), which hold the seal: a text
 * line with the CRC-32 and the length of the rest of the file. */
#define EVO_H5_USERBLOCK 512
/* How the seal line starts: then the CRC-32 of the rest of the file in 8 hex digits, " of the ", its
 * length in decimal, " bytes after this 512-byte user block\n". */
#define EVO_H5_SEAL_PREFIX "evotune results file: crc32 "

/* Writes the seal of the results file image (n bytes, its user block first) into its user block,
 * replacing what was there; does nothing when n <= EVO_H5_USERBLOCK. evo_h5_write seals every file;
 * evo_h5_open verifies the seal before HDF5 reads anything. Exposed for tests and the fuzz harness,
 * which edit files. */
void evo_h5_seal(void *image, size_t n);

/* Silences HDF5's own error printing (we report our own one-line errors) and disables its atexit
 * handler, which can crash at exit after a failed write. Call once at start-up, before other HDF5 use. */
void evo_h5_init(void);

/* Writes the run log to path (creating its parent directories), replacing any
 * previous file atomically: the file is built in memory (HDF5's core driver; the driver's copy and
 * the image taken from it: twice the file size, briefly) and published by evo_file_publish (file.h). Returns EVO_OK, or EVO_EIO with a message naming the file and the call
 * that failed; on failure the previous file at path is untouched and no temporary file is left. */
int evo_h5_write(const struct evo_runlog *log, const char *path, struct evo_error *err);

/* What `evotune info` shows and `evotune resume` needs first, read from the root of a results file. */
struct evo_h5_summary {
    int64_t format_version;
    char *config;                 /* the effective configuration text (heap; see release) */
    char state[16];               /* running, interrupted or finished, as recorded */
    int writer_alive;             /* 1: recorded as running by a process that still runs here */
    int64_t writer_pid;
    char strategy[32];            /* run.strategy */
    char strategy_state[256];     /* the strategy's own line on where it stood */
    int64_t generations_done;     /* rows of /generations (generational) */
    int64_t trials_decided;       /* trials decided (finished, in flight, or abandoned) */
    int64_t n_in_flight;          /* rows of /in_flight: decided, not finished */
    int64_t workers;              /* run.workers */
    double elapsed;               /* seconds spent running, over every resume */
    double time_limit;            /* run.time_limit in seconds, 0: none */
    int64_t n_individuals;        /* rows of /individuals */
    int64_t n_search;             /* of those, search rows (not finalist runs): what run.max_trials counts */
    int has_best;
    int64_t best_id, best_generation;
    double best_fitness;
    struct evo_metrics test;      /* /best's test metrics (NaN until finished, and those of the other task) */
    char fitness[24];             /* the fitness metric's name ("accuracy", "neg_rmse", ...) */
    char task[16];                /* "classification" or "regression" */
    char written_at[32];
};

/* Reads the summary of the results file at path. Errors (EVO_EDATA, one line naming the file):
 * missing or unreadable file, not HDF5, not an evotune results file, or a format_version other than
 * EVO_H5_FORMAT_VERSION. */
int evo_h5_summary_read(struct evo_h5_summary *s, const char *path, struct evo_error *err);
void evo_h5_summary_release(struct evo_h5_summary *s);

/* Restores into log, fresh from evo_search_init for the configuration in the file, everything the
 * file holds: /individuals and their /curves, /in_flight, /best with its weights, finished, the test
 * metrics and the time spent. The strategy's state is not read: evo_search_run rebuilds it by replay.
 * Refuses (EVO_EDATA) a file whose data_hash or test_data_hash differs from the problem's (the data
 * files changed), of another strategy, or whose shapes do not match the configuration. */
int evo_h5_load(struct evo_runlog *log, const char *path, struct evo_error *err);

/* Opens a results file read-only after checking that it exists, that its seal (evo_h5_seal) matches
 * its bytes (a truncated, corrupted or edited file, or one whose seal line is garbled after its
 * prefix, is refused before HDF5 parses it; a file without the prefix, as earlier versions wrote or
 * as damage to its first 28 bytes leaves it, goes on unchecked), that it is HDF5, is evotune's and has format
 * version EVO_H5_FORMAT_VERSION. Returns the file id (close with H5Fclose), or -1 with EVO_EDATA and a
 * one-line message naming the file. */
hid_t evo_h5_open(const char *path, struct evo_error *err);

/* The names the writer gives the values of the enum column `column` of /individuals, /in_flight,
 * /best/individual or /folds (an enum gene, status, purpose), by value: names[0..n) (n <= cap), static
 * strings. Returns n, 0 when the column is not an enum of those tables, -1 when cap is too small.
 * Readers map a file's enum members to these values by name, never by the number stored, so a file
 * whose enums number the same names otherwise reads the same. */
int evo_h5_enum_names(const char *column, const char **names, int cap);

/* 1 when the dataset d holds in the file at least the bytes its shape and type claim (evotune writes
 * its tables uncompressed): checked before anything is sized from a shape, so that a damaged or
 * crafted file claiming 2^40 rows it does not store is refused instead of allocated for. */
int evo_h5_stored(hid_t d);

/* 1 when the dataset name (a path below loc) exists with exactly the given rank (1 or 2) and
 * dimensions [d0] or [d0, d1]. The rank is checked before the dimensions are read, since
 * H5LTget_dataset_info writes one entry per dimension: a reader of untrusted files must not pass it
 * a fixed-size array otherwise. The dataset must also hold its data (evo_h5_stored). */
int evo_h5_has_shape(hid_t loc, const char *name, int rank, hsize_t d0, hsize_t d1);
/* The same for any rank in [1, H5S_MAX_RANK] (conv kernels are rank 4): dimensions dims[rank]. */
int evo_h5_has_dims(hid_t loc, const char *name, int rank, const hsize_t *dims);

/* Loads the model of a results file: /best's row into best, and its trained network into net
 * (allocated here; release with evo_mlp_release). Errors (EVO_EDATA): as evo_h5_open, no /best yet,
 * or a damaged /best. */
int evo_h5_load_model(struct evo_mlp *net, struct evo_individual *best, const char *path,
                      struct evo_error *err);

#endif
