/* The journal of a results file: snapshots spaced by their cost, appended records of the trials that
 * finished between them, and the recovery that reads them back at resume (journal.h). The records are
 * this build's structs, each with its length and CRC-32: the journal lives only as long as one run's
 * gap between snapshots, and another build's journal is simply not read. */
#include "evotune/journal.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "evotune/file.h"
#include "evotune/genome.h"
#include "evotune/h5.h"
#include "evotune/mem.h"
#include "evotune/rng.h"

#define MAGIC "evotune journal\n"
#define JOURNAL_VERSION 1u

/* The journal's first bytes: which snapshot it extends, and the build whose structs it holds. */
struct header {
    char magic[16];
    uint32_t version;
    uint32_t base;            /* the snapshot's CRC-32 (its seal) */
    uint64_t base_len;        /* and the bytes it covers */
    uint32_t sizes[4];        /* sizeof evo_individual, evo_curve_row, evo_fold_row, evo_mlp_arch */
    char evotune[16];         /* EVOTUNE_VERSION */
};

enum { REC_ROW = 1, REC_BEST = 2 };

/* Each record: this head, then len bytes whose CRC-32 is crc. A ROW is a finished trial: the running
 * time then, the row, its curve rows and its fold rows (each count first). A BEST is the best row and
 * its network: the row, the architecture and the parameters (count first; 0: the best has no network
 * yet, as /best is then left out of a snapshot). */
struct rec_head {
    uint32_t kind;
    uint32_t crc;
    uint64_t len;
};

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void header_of(struct header *h, uint32_t base, uint64_t base_len)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, MAGIC, sizeof h->magic);
    h->version = JOURNAL_VERSION;
    h->base = base;
    h->base_len = base_len;
    h->sizes[0] = sizeof(struct evo_individual);
    h->sizes[1] = sizeof(struct evo_curve_row);
    h->sizes[2] = sizeof(struct evo_fold_row);
    h->sizes[3] = sizeof(struct evo_mlp_arch);
    snprintf(h->evotune, sizeof h->evotune, "%s", EVOTUNE_VERSION);
}

/* The CRC-32 and length of the results file at path as its seal states them; -1 when it has none. */
static int read_seal(const char *path, uint32_t *crc, uint64_t *len)
{
    char line[EVO_H5_USERBLOCK + 1] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(line, 1, EVO_H5_USERBLOCK, f) : 0;
    if (f)
        fclose(f);
    unsigned long c;
    unsigned long long n;
    if (got < sizeof EVO_H5_SEAL_PREFIX || strncmp(line, EVO_H5_SEAL_PREFIX, sizeof EVO_H5_SEAL_PREFIX - 1) ||
        sscanf(line + sizeof EVO_H5_SEAL_PREFIX - 1, "%8lx of the %llu", &c, &n) != 2)
        return -1;
    *crc = (uint32_t)c;
    *len = n;
    return 0;
}

/* "<path>.journal", heap. */
static char *journal_path(const char *path)
{
    size_t n = strlen(path) + sizeof ".journal";
    char *j = evo_mem_alloc(n);
    snprintf(j, n, "%s.journal", path);
    return j;
}

void evo_journal_init(struct evo_journal *j, const char *path)
{
    memset(j, 0, sizeof *j);
    j->path = evo_mem_strdup(path);
    j->jpath = journal_path(path);
    j->fd = -1;
    j->best_id = -1;
    j->last_snapshot = -INFINITY;
}

void evo_journal_release(struct evo_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    free(j->path);
    free(j->jpath);
    memset(j, 0, sizeof *j);
    j->fd = -1;
}

/* The best row the log would give a snapshot: its id, or -1 when a snapshot would hold no /best. */
static int64_t best_of(const struct evo_runlog *log)
{
    return log->has_best && log->best_net.n_params ? log->best.id : -1;
}

/* A growing byte buffer for one save's records. */
struct buf {
    unsigned char *p;
    size_t n, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
    if (!n)
        return; /* data may be NULL: no curve, no folds, no network */
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap = evo_mem_mul(cap, 2);
        b->p = evo_mem_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

/* Starts a record of kind; returns its head's offset, for end_record. */
static size_t begin_record(struct buf *b, uint32_t kind)
{
    struct rec_head h = {kind, 0, 0};
    size_t at = b->n;
    put(b, &h, sizeof h);
    return at;
}

static void end_record(struct buf *b, size_t at)
{
    struct rec_head h;
    memcpy(&h, b->p + at, sizeof h);
    h.len = b->n - at - sizeof h;
    h.crc = (uint32_t)crc32_z(0L, b->p + at + sizeof h, (size_t)h.len);
    memcpy(b->p + at, &h, sizeof h);
}

static void put_row(struct buf *b, const struct evo_runlog *log, int64_t id)
{
    const struct evo_individual *t = evo_runlog_find(log, id);
    size_t nc, nf;
    const struct evo_curve_row *c = evo_runlog_curve(log, id, &nc);
    const struct evo_fold_row *f = evo_runlog_folds(log, id, &nf);
    uint64_t n;
    size_t at = begin_record(b, REC_ROW);
    put(b, &log->elapsed, sizeof log->elapsed);
    put(b, t, sizeof *t);
    n = nc;
    put(b, &n, sizeof n);
    put(b, c, nc * sizeof *c);
    n = nf;
    put(b, &n, sizeof n);
    put(b, f, nf * sizeof *f);
    end_record(b, at);
}

static void put_best(struct buf *b, const struct evo_runlog *log)
{
    uint64_t n = best_of(log) >= 0 ? log->best_net.n_params : 0;
    size_t at = begin_record(b, REC_BEST);
    put(b, &log->best, sizeof log->best);
    put(b, &log->best_net.arch, sizeof log->best_net.arch);
    put(b, &n, sizeof n);
    put(b, log->best_net.params, n * sizeof(float));
    end_record(b, at);
}

static int snapshot(struct evo_journal *j, const struct evo_runlog *log, struct evo_error *err)
{
    double t0 = wall();
    int rc = evo_h5_write(log, j->path, err);
    if (rc)
        return rc;
    j->last_snapshot = wall();
    j->snapshot_cost = j->last_snapshot - t0;
    j->snapshots++;
    j->journaled = log->n_arrived;
    j->truncations = log->truncations;
    j->best_id = best_of(log);
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1; /* the next append starts a journal of this snapshot */
    if (read_seal(j->path, &j->base, &j->base_len))
        j->base = 0, j->base_len = 0;
    /* the journal extended the snapshot before: everything it held is in this one */
    if (unlink(j->jpath) && errno != ENOENT)
        return evo_error_set(err, EVO_EIO, "cannot remove '%s': %s", j->jpath, strerror(errno));
    return EVO_OK;
}

int evo_journal_save(struct evo_journal *j, const struct evo_runlog *log, int whole, struct evo_error *err)
{
    if (whole || log->truncations != j->truncations || wall() - j->last_snapshot >= 10.0 * j->snapshot_cost)
        return snapshot(j, log, err);
    struct buf b = {0};
    int64_t best = best_of(log);
    if (best != j->best_id) /* before the rows: a best is never read without the records before it */
        put_best(&b, log);
    for (size_t i = j->journaled; i < log->n_arrived; i++)
        put_row(&b, log, log->arrived[i]);
    int rc = EVO_OK;
    if (b.n && j->fd < 0) { /* a new journal for the last snapshot, published whole, then appended to */
        struct header h;
        header_of(&h, j->base, j->base_len);
        rc = evo_file_publish(j->jpath, &h, sizeof h, err);
        if (!rc && (j->fd = open(j->jpath, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
            rc = evo_error_set(err, EVO_EIO, "cannot open '%s': %s", j->jpath, strerror(errno));
    }
    if (!rc && b.n)
        rc = evo_file_append(j->fd, j->jpath, b.p, b.n, err);
    free(b.p);
    if (rc)
        return rc;
    j->appends += b.n > 0;
    j->journaled = log->n_arrived;
    j->best_id = best;
    return EVO_OK;
}

/* ---- recovery ---- */

/* Reads n bytes at *p of a record's remaining *left into out; -1 when the record is shorter. */
static int take(const unsigned char **p, size_t *left, void *out, size_t n)
{
    if (n > *left)
        return -1;
    memcpy(out, *p, n);
    *p += n;
    *left -= n;
    return 0;
}

/* Adds a ROW record's trial to log; -1 when the record does not describe a trial this run could have
 * logged (then it and every later record are left unread). */
static int apply_row(struct evo_runlog *log, const unsigned char *p, size_t left)
{
    double elapsed;
    struct evo_individual t;
    uint64_t nc, nf;
    if (take(&p, &left, &elapsed, sizeof elapsed) || take(&p, &left, &t, sizeof t) ||
        take(&p, &left, &nc, sizeof nc) || nc > left / sizeof(struct evo_curve_row))
        return -1;
    const unsigned char *curves = p;
    p += nc * sizeof(struct evo_curve_row);
    left -= nc * sizeof(struct evo_curve_row);
    if (take(&p, &left, &nf, sizeof nf) || nf != left / sizeof(struct evo_fold_row) ||
        left % sizeof(struct evo_fold_row) || nf != (log->problem->n_folds ? log->problem->n_folds : 0))
        return -1;
    size_t max_epochs = (size_t)evo_genome_spec_max(&log->cfg->space.spec[EVO_GENE_EPOCHS]);
    /* the checks evo_h5_load makes of a row, and the curve's length */
    if (t.id < 0 || !evo_genome_within_bounds(&t.genome) || t.epochs_run < 0 || t.rung < 0 || t.from_epoch < 0 ||
        t.budget <= t.from_epoch || t.epochs_run > t.budget || t.origin < 0 || t.origin > t.id ||
        (size_t)t.epochs_run > max_epochs || t.purpose < 0 || t.purpose >= EVO_PURPOSE_COUNT ||
        (nc && (t.epochs_run <= t.from_epoch || nc != (uint64_t)(t.epochs_run - t.from_epoch))) ||
        evo_runlog_find(log, t.id))
        return -1;
    struct evo_epoch_metrics *curve = NULL;
    if (nc) {
        curve = evo_mem_calloc((size_t)t.epochs_run, sizeof *curve);
        for (size_t k = 0; k < nc; k++) {
            struct evo_curve_row c;
            memcpy(&c, curves + k * sizeof c, sizeof c);
            if (c.id != t.id || c.epoch != t.from_epoch + (int32_t)k) {
                free(curve);
                return -1;
            }
            curve[c.epoch] = (struct evo_epoch_metrics){c.train_loss, c.val_loss, c.val_fitness};
        }
    }
    evo_runlog_add(log, &t, curve);
    free(curve);
    if (nf) {
        struct evo_fold_row *f = evo_mem_alloc(evo_mem_mul(nf, sizeof *f));
        memcpy(f, p, nf * sizeof *f);
        evo_runlog_add_folds(log, f, nf);
        free(f);
    }
    if (t.id >= log->trials_decided)
        log->trials_decided = t.id + 1;
    if (elapsed > log->elapsed)
        log->elapsed = elapsed;
    return 0;
}

/* Makes a BEST record's row and network the log's best; -1 when it does not describe one. */
static int apply_best(struct evo_runlog *log, const unsigned char *p, size_t left, struct evo_error *err,
                      int *rc)
{
    struct evo_individual t;
    struct evo_mlp_arch arch;
    uint64_t n;
    if (take(&p, &left, &t, sizeof t) || take(&p, &left, &arch, sizeof arch) || take(&p, &left, &n, sizeof n) ||
        n != left / sizeof(float) || left % sizeof(float))
        return -1;
    if (!n) { /* a best without a network: as a snapshot of that moment, which has no /best */
        evo_mlp_release(&log->best_net);
        log->has_best = 0;
        return 0;
    }
    size_t n_params = 0;
    if (!evo_genome_within_bounds(&t.genome) || evo_mlp_size(&arch, &n_params, &(size_t){0}, NULL) ||
        n_params != n)
        return -1;
    struct evo_mlp net = {0};
    struct evo_rng rng;
    evo_rng_seed(&rng, 0, 0, 0, EVO_RNG_TRAIN); /* every weight is overwritten below */
    if ((*rc = evo_mlp_init(&net, &arch, &rng, err)))
        return -1;
    if (net.n_params != n) {
        evo_mlp_release(&net);
        return -1;
    }
    memcpy(net.params, p, n * sizeof(float));
    evo_runlog_set_best(log, &t, &net);
    evo_mlp_release(&net); /* the previous best's storage */
    return 0;
}

/* Reads the journal of the results file at path record by record while it extends the file's
 * snapshot and its records are whole, applying each to log (NULL: only counting its rows into *n). */
static int read_journal(struct evo_runlog *log, const char *path, size_t *n, struct evo_error *err)
{
    *n = 0;
    char *jpath = journal_path(path);
    FILE *f = fopen(jpath, "rb");
    free(jpath);
    if (!f)
        return EVO_OK;
    struct stat st;
    uint64_t left = !fstat(fileno(f), &st) && st.st_size > 0 ? (uint64_t)st.st_size : 0;
    struct header h, want;
    uint32_t base;
    uint64_t base_len;
    int rc = EVO_OK;
    if (fread(&h, sizeof h, 1, f) == 1 && !read_seal(path, &base, &base_len)) {
        header_of(&want, base, base_len);
        if (!memcmp(&h, &want, sizeof h)) {
            struct rec_head r;
            unsigned char *p = NULL;
            left = left > sizeof h ? left - sizeof h : 0;
            /* a record is never longer than what the file still holds: a damaged length allocates nothing */
            while (!rc && left >= sizeof r && fread(&r, sizeof r, 1, f) == 1 && r.len <= left - sizeof r) {
                left -= sizeof r + r.len;
                p = evo_mem_realloc(p, r.len ? (size_t)r.len : 1);
                if (fread(p, 1, (size_t)r.len, f) != r.len || (uint32_t)crc32_z(0L, p, (size_t)r.len) != r.crc)
                    break; /* torn at the end, or damaged: what follows is trained again */
                if (log && (r.kind == REC_ROW ? apply_row(log, p, (size_t)r.len)
                                              : r.kind != REC_BEST || apply_best(log, p, (size_t)r.len, err, &rc)))
                    break;
                *n += r.kind == REC_ROW;
            }
            free(p);
        }
    }
    fclose(f);
    return rc;
}

size_t evo_journal_pending(const char *path)
{
    size_t n;
    read_journal(NULL, path, &n, NULL);
    return n;
}

int evo_journal_recover(struct evo_runlog *log, const char *path, size_t *n, struct evo_error *err)
{
    int rc = read_journal(log, path, n, err);
    if (*n) { /* the trials the journal finished are no longer in flight */
        size_t k = 0;
        for (size_t i = 0; i < log->n_in_flight; i++)
            if (!evo_runlog_find(log, log->in_flight[i].id))
                log->in_flight[k++] = log->in_flight[i];
        log->n_in_flight = k;
    }
    return rc;
}
