/* The seal's check (private to src/store/; the seal itself, evo_h5_seal, is public in h5.h). */
#ifndef EVOTUNE_STORE_SEAL_H
#define EVOTUNE_STORE_SEAL_H
#include "evotune/error.h"

/* Checks the seal of the file at path: 1 sealed and whole; 0 no seal (not evotune's, a file of
 * evotune 0.1.0, or one whose first bytes were damaged: evo_h5_open refuses it) or no file (evo_h5_open
 * reports it); -1 damaged, its seal line unreadable or not matching the bytes after it (err set,
 * EVO_EDATA, naming the file). Reads the file once, without allocating. */
int evo_h5_check_seal(const char *path, struct evo_error *err);

#endif
