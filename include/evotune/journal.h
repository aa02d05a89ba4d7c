/* How a run's results reach the disk as they grow: snapshots of the whole results file (h5.h), spaced
 * so that writing them costs a bounded share of the run (the next one waits ten times as long as the
 * last one took), and between them an append-only journal "<file>.journal" of what finished since,
 * made durable at every save (about every 0.05 s while results arrive). A kill -9 then loses at most
 * the results of one save interval, whatever the size of the file: at a million trials a snapshot
 * takes seconds, a journal append of the trials finished in 0.05 s takes a millisecond.
 *
 * Readers of the results file (info, report, export, predict, h5py) see the last snapshot: whole,
 * sealed, at most one snapshot interval old. `resume` reads the snapshot and then the journal's
 * records, and goes on from the later state. The journal is a cache of finished work, never the only
 * copy of a decision: a journal that is missing, of another snapshot, of another build, or torn or
 * damaged at some record is used up to that record, and the trials it no longer holds are trained
 * again, to the same results (the search is deterministic). The run's end (finished, or stopped by a
 * signal) writes a snapshot and removes the journal. */
#ifndef EVOTUNE_JOURNAL_H
#define EVOTUNE_JOURNAL_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/error.h"
#include "evotune/runlog.h"

struct evo_journal {
    char *path;             /* the results file */
    char *jpath;            /* its journal, "<path>.journal" */
    int fd;                 /* the journal open for appending; -1 until the first append after a snapshot */
    uint32_t base;          /* CRC-32 of the snapshot the journal extends (its seal) */
    uint64_t base_len;      /* bytes that CRC covers */
    size_t journaled;       /* log.arrived[0 .. journaled) are in the snapshot or the journal */
    uint64_t truncations;   /* log.truncations then: a log that forgot rows is snapshotted whole */
    int64_t best_id;        /* the best row they hold (-1: none, or no network) */
    double last_snapshot;   /* wall clock of the last snapshot's end (-inf: none yet) */
    double snapshot_cost;   /* its duration, seconds */
    long snapshots, appends; /* counts, for the run's summary */
};

/* Starts the journal of the results file path (no file is touched). */
void evo_journal_init(struct evo_journal *j, const char *path);

/* Persists log: a snapshot (evo_h5_write) when `whole`, when none was written yet, when the log forgot
 * rows since (evo_runlog_truncate: a resume that extends a finished run forgets its finalists) or when the last snapshot is ten
 * of its durations old; otherwise the rows that arrived since the last save, with their curves and
 * folds, and the best network when it changed, appended to the journal and made durable. After
 * every snapshot the journal is removed (all it held is in the snapshot; the next append starts one
 * for the new snapshot). Returns EVO_OK or EVO_EIO with a one-line message naming the
 * file; the results file keeps its last snapshot, the journal a prefix of its records. Main thread. */
int evo_journal_save(struct evo_journal *j, const struct evo_runlog *log, int whole, struct evo_error *err);

/* After evo_h5_load(log, path): adds to log what the journal of path holds beyond that snapshot (rows,
 * curves, folds, the best network, the running time), record by record until the first that is torn,
 * damaged or not this build's, or none when the journal belongs to another snapshot or there is none.
 * *n receives the rows added. Never fails a resume: what is not read is trained again. Returns EVO_OK,
 * or the status of a failed allocation. */
int evo_journal_recover(struct evo_runlog *log, const char *path, size_t *n, struct evo_error *err);

/* The trials the journal of the results file at path holds beyond its snapshot (what a resume would
 * read from it; info shows it): whole records of this build only, none when it has none. */
size_t evo_journal_pending(const char *path);

/* Closes the journal file (it stays on disk until a whole snapshot removes it) and frees j. */
void evo_journal_release(struct evo_journal *j);

#endif
