/* Fault injection for the robustness tests (SQLite's test loops): EVOTUNE_FAULT=KIND:K in the
 * environment makes the K-th call of that kind in the process, and every later one, fail as the real
 * failure would. Kinds: write, fsync, rename (the file layer, file.h) and alloc (mem.h). Off unless
 * main() calls evo_fault_init with the variable set; the ctest tests fault_* drive it. */
#ifndef EVOTUNE_FAULT_H
#define EVOTUNE_FAULT_H
#include "evotune/error.h"

enum evo_fault_kind { EVO_FAULT_WRITE, EVO_FAULT_FSYNC, EVO_FAULT_RENAME, EVO_FAULT_ALLOC, EVO_FAULT_KIND_COUNT };

/* Reads EVOTUNE_FAULT ("write:K", "fsync:K", "rename:K" or "alloc:K", K >= 1; unset or empty: no
 * faults). Call once at start-up, before any thread starts. Returns EVO_OK, or EVO_EUSAGE with a
 * message quoting a malformed value. */
int evo_fault_init(struct evo_error *err);

/* 1 when this call of kind must fail (the K-th call of the configured kind or a later one), else 0.
 * Thread-safe: calls are counted atomically, so with several threads which call is the K-th depends
 * on their interleaving. */
int evo_fault_hit(enum evo_fault_kind kind);

/* 1 when EVOTUNE_FAULT set a fault to inject (after evo_fault_init), else 0. */
int evo_fault_active(void);

#endif
