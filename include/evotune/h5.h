/* The results file: one self-describing HDF5 file per run, written from the main thread only.
 * Every write produces a complete file: the state is written to a temporary file in the same
 * directory, flushed to disk with fsync, and renamed over the previous one, so a reader (h5py,
 * HDFView) can open the path at any moment and always sees a consistent file. The layout is
 * documented in results/README.md. */
#ifndef EVOTUNE_H5_H
#define EVOTUNE_H5_H
#include "evotune/error.h"
#include "evotune/ga.h"

/* Version of the file layout, stored as the root attribute format_version. */
#define EVO_H5_FORMAT_VERSION 1

/* Silences HDF5's own error printing (we report our own one-line errors) and disables its atexit
 * handler, which can crash at exit after a failed write. Call once at start-up, before other HDF5 use. */
void evo_h5_init(void);

/* Writes the whole state of the search ga to path (creating its parent directories), replacing any
 * previous file atomically. Returns EVO_OK, or EVO_EIO with a message naming the file; on failure the
 * previous file at path is untouched and no temporary file is left behind. */
int evo_h5_write(const struct evo_ga *ga, const char *path, struct evo_error *err);

#endif
