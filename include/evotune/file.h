/* The one layer through which evotune writes files (results, exports, reports, predictions): a file
 * is published whole or not at all. Its bytes go to a temporary file "<path>.tmp-<pid>" in the same
 * directory, which is fsync'ed and renamed over path, then the directory is fsync'ed; a reader opening
 * path at any moment sees the previous file or the new one. Every write, fsync and rename passes
 * through the fault counters of fault.h. Thread-safe, except that two calls must not publish the same
 * path at once (they would share the temporary file). */
#ifndef EVOTUNE_FILE_H
#define EVOTUNE_FILE_H
#include <stddef.h>
#include <stdio.h>
#include "evotune/error.h"

/* Replaces the file at path with the n bytes at data. Returns EVO_OK, or EVO_EIO with one line naming
 * path and the call that failed ("cannot write 'a.h5': fsync failed: Input/output error"); on
 * failure the previous file at path is untouched and the temporary file is removed. Allocates only
 * before the temporary file exists, so an out-of-memory exit never leaves it behind. The final fsync
 * of the directory is best effort and not reported: the rename has happened, and losing it in a
 * power cut leaves the previous file, which is whole. */
int evo_file_publish(const char *path, const void *data, size_t n, struct evo_error *err);

/* Writes text to f; returns EVO_OK or a status with err set. */
typedef int (*evo_file_writer)(void *ctx, FILE *f, struct evo_error *err);

/* Publishes at path what fn(ctx, f, err) writes to f, an in-memory stream, with evo_file_publish.
 * Returns fn's status when it fails (nothing is written), else evo_file_publish's. */
int evo_file_save(const char *path, evo_file_writer fn, void *ctx, struct evo_error *err);

/* Appends the n bytes at data to the file open as fd (O_APPEND; path names it in messages) and makes
 * them durable (fsync). Returns EVO_OK, or EVO_EIO with one line naming path; after a failure or a
 * crash the file holds what it held plus some prefix of data, which its reader must recognise (a
 * journal's records carry their own checksums: journal.h). */
int evo_file_append(int fd, const char *path, const void *data, size_t n, struct evo_error *err);

/* The temporary file name of path in this process, "<path>.tmp-<pid>", in buf (at most n bytes, so
 * that a signal or out-of-memory handler can remove it from a buffer filled in advance). */
void evo_file_temp_name(char *buf, size_t n, const char *path);

/* Removes "<path>.tmp-<pid>" files left by writers that no longer run on this host (SIGKILL, power
 * cut). Returns how many were removed. */
int evo_file_remove_stale_temps(const char *path);

#endif
