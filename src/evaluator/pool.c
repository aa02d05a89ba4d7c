/* The pool of threads that runs evaluation jobs (the only parallel region in evotune): the job slots,
 * the coordinator and its workers inside evo_evaluator_run, queuing by (key, id), collecting finished
 * jobs in id order, and re-keying, recycling, dropping and abandoning jobs. What a job does is the
 * caller's function (train.c's evo_evaluator_train in a search). */
#include "evotune/evaluator.h"
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "evotune/mem.h"

void evo_evaluator_init(struct evo_evaluator *ev, int threads, size_t cap, size_t max_epochs, evo_eval_fn fn,
                        void *ctx)
{
    memset(ev, 0, sizeof *ev);
    ev->threads = threads > 0 ? threads : 1;
    ev->fn = fn;
    ev->ctx = ctx;
    ev->cap = cap ? cap : 1;
    ev->max_epochs = max_epochs ? max_epochs : 1;
    ev->jobs = evo_mem_calloc(ev->cap, sizeof *ev->jobs);
    for (size_t i = 0; i < ev->cap; i++)
        ev->jobs[i].curve = evo_mem_alloc(evo_mem_mul(ev->max_epochs, sizeof *ev->jobs[i].curve));
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->work, NULL);
    pthread_cond_init(&ev->done, NULL);
}

void evo_evaluator_release(struct evo_evaluator *ev)
{
    if (!ev->jobs)
        return;
    for (size_t i = 0; i < ev->cap; i++) {
        evo_mlp_release(&ev->jobs[i].net);
        free(ev->jobs[i].curve);
    }
    free(ev->jobs);
    pthread_mutex_destroy(&ev->mu);
    pthread_cond_destroy(&ev->work);
    pthread_cond_destroy(&ev->done);
    memset(ev, 0, sizeof *ev);
}

/* The queued job with the smallest (key, id), or NULL; under the lock. */
static struct evo_eval_job *first_queued(struct evo_evaluator *ev)
{
    struct evo_eval_job *best = NULL;
    for (size_t i = 0; i < ev->cap; i++) {
        struct evo_eval_job *j = &ev->jobs[i];
        if (j->state == EVO_JOB_QUEUED &&
            (!best || j->key < best->key || (j->key == best->key && j->trial.id < best->trial.id)))
            best = j;
    }
    return best;
}

/* Runs job on worker w outside the lock, then publishes it (or recycles it when abandoned). */
static void run_job(struct evo_evaluator *ev, int w, struct evo_eval_job *job)
{
    double t0 = omp_get_wtime();
    job->err.status = EVO_OK;
    int rc = ev->fn(ev->ctx, w, job, &job->err);
    double t1 = omp_get_wtime();
    pthread_mutex_lock(&ev->mu);
    job->rc = rc;
    job->t_start = t0;
    job->t_end = t1;
    ev->busy_seconds += t1 - t0;
    ev->n_done++;
    if (atomic_load(&job->abandoned)) {
        evo_mlp_release(&job->net);
        job->state = EVO_JOB_FREE;
    } else {
        job->state = EVO_JOB_DONE;
    }
    pthread_cond_broadcast(&ev->done);
    pthread_mutex_unlock(&ev->mu);
}

static void serve(struct evo_evaluator *ev, int w)
{
    pthread_mutex_lock(&ev->mu);
    for (;;) {
        struct evo_eval_job *job = first_queued(ev);
        if (!job) {
            if (ev->closing)
                break;
            pthread_cond_wait(&ev->work, &ev->mu);
            continue;
        }
        job->state = EVO_JOB_RUNNING;
        pthread_mutex_unlock(&ev->mu);
        run_job(ev, w, job);
        pthread_mutex_lock(&ev->mu);
    }
    pthread_mutex_unlock(&ev->mu);
}

int evo_evaluator_run(struct evo_evaluator *ev, int (*coordinator)(void *arg), void *arg)
{
    int rc = 0;
    ev->closing = 0;
    /* thread 0 coordinates, threads 1..T evaluate; should the runtime give a single thread, it
     * coordinates and evaluates in turn (evo_evaluator_next_done) */
    #pragma omp parallel num_threads(ev->threads + 1)
    {
        int tid = omp_get_thread_num();
        if (tid == 0) {
            ev->inline_only = omp_get_num_threads() == 1;
            rc = coordinator(arg);
            pthread_mutex_lock(&ev->mu);
            ev->closing = 1;
            pthread_cond_broadcast(&ev->work);
            pthread_mutex_unlock(&ev->mu);
        } else {
            serve(ev, tid - 1);
        }
    }
    return rc;
}

struct evo_eval_job *evo_evaluator_submit(struct evo_evaluator *ev, const struct evo_individual *trial, int fold,
                                          double key, struct evo_mlp *net, const struct evo_train_state *st)
{
    pthread_mutex_lock(&ev->mu);
    struct evo_eval_job *job = NULL;
    for (size_t i = 0; i < ev->cap && !job; i++)
        if (ev->jobs[i].state == EVO_JOB_FREE)
            job = &ev->jobs[i];
    if (job) {
        job->trial = *trial;
        job->fold = fold;
        job->epochs_kept = 0;
        job->key = key;
        job->resume = net != NULL;
        if (net) {
            evo_mlp_release(&job->net);
            job->net = *net;
            job->training = *st;
            memset(net, 0, sizeof *net);
        }
        job->rc = 0;
        atomic_store(&job->abandoned, 0);
        job->t_start = job->t_end = 0.0;
        job->state = EVO_JOB_QUEUED;
        pthread_cond_signal(&ev->work);
    }
    pthread_mutex_unlock(&ev->mu);
    return job;
}

static struct evo_eval_job *first_done(struct evo_evaluator *ev)
{
    struct evo_eval_job *best = NULL;
    for (size_t i = 0; i < ev->cap; i++)
        if (ev->jobs[i].state == EVO_JOB_DONE && (!best || ev->jobs[i].trial.id < best->trial.id))
            best = &ev->jobs[i];
    return best;
}

struct evo_eval_job *evo_evaluator_next_done(struct evo_evaluator *ev, double timeout)
{
    pthread_mutex_lock(&ev->mu);
    struct evo_eval_job *job = first_done(ev);
    if (!job && ev->inline_only && timeout > 0) {
        struct evo_eval_job *q = first_queued(ev);
        if (q) {
            q->state = EVO_JOB_RUNNING;
            pthread_mutex_unlock(&ev->mu);
            run_job(ev, 0, q);
            pthread_mutex_lock(&ev->mu);
            job = first_done(ev);
        }
    } else if (!job && timeout > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double s = floor(timeout);
        ts.tv_sec += (time_t)s;
        ts.tv_nsec += (long)((timeout - s) * 1e9);
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!(job = first_done(ev)))
            if (pthread_cond_timedwait(&ev->done, &ev->mu, &ts) == ETIMEDOUT) {
                job = first_done(ev);
                break;
            }
    }
    pthread_mutex_unlock(&ev->mu);
    return job;
}

void evo_evaluator_rekey(struct evo_evaluator *ev, int64_t id, double key)
{
    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; i < ev->cap; i++)
        if (ev->jobs[i].state == EVO_JOB_QUEUED && ev->jobs[i].trial.id == id)
            ev->jobs[i].key = key;
    pthread_mutex_unlock(&ev->mu);
}

void evo_evaluator_recycle(struct evo_evaluator *ev, struct evo_eval_job *job)
{
    pthread_mutex_lock(&ev->mu);
    evo_mlp_release(&job->net);
    job->state = EVO_JOB_FREE;
    pthread_mutex_unlock(&ev->mu);
}

size_t evo_evaluator_drop_queued(struct evo_evaluator *ev)
{
    size_t n = 0;
    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; i < ev->cap; i++)
        if (ev->jobs[i].state == EVO_JOB_QUEUED) {
            ev->jobs[i].state = EVO_JOB_FREE;
            n++;
        }
    pthread_mutex_unlock(&ev->mu);
    return n;
}

int evo_evaluator_pending(struct evo_evaluator *ev, int64_t id)
{
    int found = 0;
    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; i < ev->cap && !found; i++)
        found = (ev->jobs[i].state == EVO_JOB_QUEUED || ev->jobs[i].state == EVO_JOB_RUNNING ||
                 ev->jobs[i].state == EVO_JOB_DONE) && ev->jobs[i].trial.id == id &&
                !atomic_load(&ev->jobs[i].abandoned);
    pthread_mutex_unlock(&ev->mu);
    return found;
}

void evo_evaluator_abandon(struct evo_evaluator *ev)
{
    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; i < ev->cap; i++) {
        struct evo_eval_job *j = &ev->jobs[i];
        if (j->state == EVO_JOB_QUEUED || j->state == EVO_JOB_DONE) {
            evo_mlp_release(&j->net);
            j->state = EVO_JOB_FREE;
        } else if (j->state == EVO_JOB_RUNNING) {
            atomic_store(&j->abandoned, 1);
        }
    }
    pthread_mutex_unlock(&ev->mu);
}
