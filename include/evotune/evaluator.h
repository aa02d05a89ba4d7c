/* The evaluator: turns trials into results on a pool of threads it owns (the only parallel region in
 * evotune). The search engine (search.h) runs as the coordinating thread inside evo_evaluator_run,
 * hands out trials with evo_evaluator_submit and collects them with evo_evaluator_next_done; worker
 * threads take the queued trial with the smallest key. What an evaluation is, is a function pointer:
 * training and validating a network (evo_evaluator_train), or, in tests and the scheduler benchmark, a
 * known fitness or a sleep. An evaluation touches only its job and its worker's context, and its
 * random streams are keyed by the trial's id, so its result does not depend on the thread that ran it. */
#ifndef EVOTUNE_EVALUATOR_H
#define EVOTUNE_EVALUATOR_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include "evotune/config.h"
#include "evotune/error.h"
#include "evotune/mlp.h"
#include "evotune/problem.h"
#include "evotune/train.h"
#include "evotune/trial.h"

enum evo_job_state { EVO_JOB_FREE = 0, EVO_JOB_QUEUED, EVO_JOB_RUNNING, EVO_JOB_DONE };

/* The data a job trains on (problem.h): fold k >= 0 of a cross-validated problem, or these. */
enum { EVO_FOLD_NONE = -1,   /* the train and validation splits */
       EVO_FOLD_ALL = -2 };  /* every row of a cross-validated problem's pool, validated on them too
                              * (the best network's final training) */

/* One trial handed to the pool and, once done, its results. */
struct evo_eval_job {
    struct evo_individual trial;     /* in: id, genome, purpose, budget; out: the results */
    int fold;                        /* in: what it trains on (EVO_FOLD_NONE, EVO_FOLD_ALL, a fold) */
    int epochs_kept;                 /* out: epochs the kept weights had trained (early stopping's best
                                      * epoch + 1, else epochs_run) */
    struct evo_epoch_metrics *curve; /* out: trial.epochs_run points (room for the space's largest epochs) */
    struct evo_mlp net;              /* out: the trained network (status ok and kept by the evaluation;
                                      * zeroed otherwise); in, when resume: the paused training that
                                      * trial continues */
    struct evo_train_state training; /* out: where its training stands (trial.paused: it can go on);
                                      * in, when resume: the paused training's state */
    int resume;                      /* in: net and state hold the paused training of the row trial
                                      * continues (else a promotion trains from the start) */
    int rc;                          /* out: EVO_OK, or an error in err (the search stops) */
    struct evo_error err;
    double key;                      /* order of service: the smallest key queued runs first */
    double t_start, t_end;           /* when a worker took it and finished it (omp_get_wtime) */
    int state;                       /* enum evo_job_state, under the pool's lock */
    atomic_int abandoned;            /* the search stopped: its results are not wanted (a running
                                      * evaluation may read it to stop early: evo_evaluator_train
                                      * stops at the next epoch) */
};

/* An evaluation: fills job->trial's results (and curve, net) for job->trial, on worker `worker`
 * (0 .. threads-1), whose context it may use alone. Returns EVO_OK, or an error (in err). */
typedef int (*evo_eval_fn)(void *ctx, int worker, struct evo_eval_job *job, struct evo_error *err);

struct evo_evaluator {
    int threads;                 /* worker threads */
    evo_eval_fn fn;
    void *ctx;
    size_t max_epochs;           /* room of each job's curve */
    struct evo_eval_job *jobs;   /* [cap] slots */
    size_t cap;
    pthread_mutex_t mu;
    pthread_cond_t work, done;   /* a job was queued (or closing); a job was done */
    int closing;                 /* the coordinator returned: workers leave */
    int inline_only;             /* the runtime gave one thread: the coordinator runs jobs itself */
    double busy_seconds;         /* sum of t_end - t_start over every job done */
    long n_done;                 /* jobs done */
};

/* Sets up an evaluator of `threads` workers running fn(ctx, ...) with room for cap jobs in flight,
 * each with a curve of max_epochs points. */
void evo_evaluator_init(struct evo_evaluator *ev, int threads, size_t cap, size_t max_epochs, evo_eval_fn fn,
                        void *ctx);

/* Frees the slots, their curves and networks. Safe on a zeroed ev. */
void evo_evaluator_release(struct evo_evaluator *ev);

/* Runs coordinator(arg) on the calling thread while ev->threads workers serve jobs; returns what the
 * coordinator returns, after every worker left (a job still running is finished and discarded). */
int evo_evaluator_run(struct evo_evaluator *ev, int (*coordinator)(void *arg), void *arg);

/* Coordinator only: queues a copy of trial, to train on `fold` (EVO_FOLD_NONE unless cross-validated),
 * with the given key; when net is given, the paused training (net, st) that trial continues moves into
 * the job (*net is zeroed). Returns the job, or NULL when all cap slots are taken (net is then left as
 * it was). */
struct evo_eval_job *evo_evaluator_submit(struct evo_evaluator *ev, const struct evo_individual *trial, int fold,
                                          double key, struct evo_mlp *net, const struct evo_train_state *st);

/* Coordinator only: a job done and not yet collected, waiting up to `timeout` seconds for one (when
 * the pool has no worker and timeout > 0, runs the queued job with the smallest key instead); NULL
 * when none came. */
struct evo_eval_job *evo_evaluator_next_done(struct evo_evaluator *ev, double timeout);

/* Coordinator only: the job of trial id, while queued, is served by the new key. */
void evo_evaluator_rekey(struct evo_evaluator *ev, int64_t id, double key);

/* Coordinator only: frees the slot of a collected job (releasing its network unless taken). */
void evo_evaluator_recycle(struct evo_evaluator *ev, struct evo_eval_job *job);

/* Coordinator only: drops the jobs queued and not started; returns how many. */
size_t evo_evaluator_drop_queued(struct evo_evaluator *ev);

/* 1 when the job of trial id is queued, running, or done and not yet collected (not dropped, not
 * abandoned). Coordinator only. */
int evo_evaluator_pending(struct evo_evaluator *ev, int64_t id);

/* Coordinator only: drops every queued job and marks running ones abandoned (their results are
 * recycled by the pool when they end). */
void evo_evaluator_abandon(struct evo_evaluator *ev);

/* The evaluation that trains: ctx is a struct evo_trainer. Builds the trial's network from its genome
 * (evo_genome_decode), trains it with the random stream (seed, trial origin, purpose, EVO_RNG_TRAIN)
 * to trial.budget epochs of its epochs gene's schedule (pausing there when fewer: trial.paused) and
 * scores it on the validation split; on fold k of a cross-validated problem, trains on the pool less
 * fold k and scores on fold k, with the stream (seed, origin, purpose + 256 (k + 1), EVO_RNG_TRAIN);
 * EVO_FOLD_ALL trains on the whole pool (stream purpose + 65536). A promotion (from_epoch > 0) goes
 * on from the paused training the job holds (resume), or, when that was not kept, trains from the
 * start: the same result. An abandoned job stops at the next epoch (its results are discarded). A
 * network of more than run.max_params parameters is not allocated: status EVO_TRAIN_TOO_LARGE. */
int evo_evaluator_train(void *ctx, int worker, struct evo_eval_job *job, struct evo_error *err);

/* Context of evo_evaluator_train: the problem and one training workspace per worker. */
struct evo_trainer {
    const struct evo_config *cfg;
    const struct evo_problem *problem;
    struct evo_mlp_workspace *ws;    /* [threads] */
    int threads;
};

/* Bytes the trainer sets aside per worker for cfg's search space on problem p. */
size_t evo_trainer_workspace_bytes(const struct evo_config *cfg, const struct evo_problem *p);

/* Allocates one workspace per worker; release with evo_trainer_release. */
void evo_trainer_init(struct evo_trainer *tr, const struct evo_config *cfg, const struct evo_problem *p,
                      int threads);

/* Frees the workspaces. Safe on a zeroed tr. */
void evo_trainer_release(struct evo_trainer *tr);

#endif
