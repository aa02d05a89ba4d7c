/* The scheduler benchmark: how busy the search engine keeps 2 to 256 threads, measured on a machine
 * with two cores. Each search is what `evotune run` does (evo_search_run, with a hook that writes the
 * results file at every event as src/main.c's on_event does, here into a temporary directory removed
 * at the end) with only the evaluation swapped: it sleeps instead of training, and sleeping threads need
 * no cores. A trial sleeps as long as a trial of its network took in a real run: a least-squares fit
 * over the trials of RESULTS (an .h5 of `evotune run`) of
 *     log(train_seconds) = b0 + b1 log(parameters) + b2 log(batch size) + b3 log(epochs),
 * times lognormal noise of the fit's residual spread drawn afresh for each trial (a stream keyed by
 * (run.seed, trial id)), divided by the row's time scale. The scheduler orders trials by its own cost
 * model (evo_search_cost), which this fit does not use, so its estimates are as wrong as in a real run.
 * A trial's fitness and learning curve are those of the nearest logged trial, so that breeding drifts
 * where the real run found good networks, with their durations, and the results file grows as a real
 * one does.
 *
 * The busy fraction of a row is the evaluator's own timestamps (evo_search.busy_seconds: the sum of
 * every job's t_end - t_start) over T x evo_search.run_seconds, the figure `evotune run` prints. Every
 * search has the same budget, --trials (generational: the fewest generations whose trials reach it).
 * The rows, for each thread count T: steady_state (P = ga.population of the input, 24) and random at
 * W = T, 2T, 3T, 6T (--w) and at the shipped run.workers = 16; generational at P = 24 and 256 (W = P).
 *
 * Time scale. A row's trials sleep their modelled duration divided by S x 16 / min(T, W) (S: --scale;
 * W: the trials that can be in flight, P for generational): every search then finishes its trials at
 * the same rate when busy, and takes about the same time, whatever its T (5 000 trials on 2 threads at
 * the scale of 256 threads would take an hour). What a time scale magnifies is what does not scale:
 * the coordinator's own work per trial (deciding, logging, the results file), its wake-ups and the
 * sleeps' granularity. The check at the end runs steady_state at 16 and 64 threads again at the same
 * scale (the spread of a rerun) and at half the scale (sleeps twice as long): the figures should not
 * move by more than a rerun does.
 *
 * Why the searches do not each call evo_search_init: it loads and standardises Fashion-MNIST, which
 * takes 2-5 s on this machine (the load time is printed), i.e. 2-4 minutes over the default run's ~55
 * searches, half as long again as the searches themselves. So evo_search_init runs once, for the
 * input's configuration, and each search borrows its problem (search_bind: what evo_search_init sets
 * up, less the memory check, which counts training workspaces that nothing here allocates).
 * evo_search_run, the hook and the results files are the real ones.
 *
 * Default run: about 7 minutes (RESULTS of configs/fashion-mnist.cfg):
 *   evotune run configs/fashion-mnist.cfg --out fm.h5 --strategy random --max-trials 112 --threads 2
 *   bench_sched fm.h5 [--scale 300] [--trials 5000] [--threads 2,16,64,256] [--repeats 1]
 *                     [--w 1,2,3,6] [--strategies steady_state,random,generational]
 *                     [--check-threads 16,64] [--check-w 2,6] [--ideal] [--network 50,10]
 *
 * --network LATENCY_US,GBITS models the MPI build (README, "On a cluster"): every thread is a remote
 * rank's, and each trial's messages cross rank 0's network link, one way LATENCY_US microseconds and
 * GBITS gigabits a second, shared by every trial in each direction (one trial's bytes at a time):
 * out, the trial (an evo_individual and its fold); back, the results (the row, the architecture, two
 * counts), 24 bytes an epoch of curve and 4 bytes a parameter of weights, as src/cli/mpi.c sends them.
 * A thread waits for its messages before and after its trial's sleep; busy % then counts the trials'
 * sleeps alone (the time spent on messages is idle time of that thread). */
#include <pthread.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_clock.h"
#include "evotune/config.h"
#include "evotune/h5.h"
#include "evotune/mem.h"
#include "evotune/rng.h"
#include "evotune/search.h"

#define MAX_LIST 8
#define MAX_REPEATS 64
/* the noise's stream purpose: apart from evotune's own (rng.h) */
#define NOISE_PURPOSE 0x5eedUL
/* the parallelism at which a row's time scale is --scale (see the top comment) */
#define REF_PARALLEL 16
/* the shipped default of run.workers (src/config.c) */
#define DEFAULT_WORKERS 16
/* the fit's regressors: 1, log(parameters), log(batch size), log(epochs) */
#define NX 4

struct options {
    const char *input;
    double scale;
    long threads[MAX_LIST];
    size_t n_threads;
    long check_threads[MAX_LIST];
    size_t n_check_threads;
    long w[MAX_LIST];         /* the rows' W, as multiples of T (and DEFAULT_WORKERS) */
    size_t n_w;
    int strategies[3];        /* [enum evo_strategy_kind]: rows of that strategy */
    long check_w[MAX_LIST];   /* the check's W, as multiples of T (0: no check) */
    size_t n_check_w;
    int repeats;
    long trials;
    int ideal;                /* durations exactly proportional to the scheduler's cost, no noise */
    double latency, bandwidth; /* --network: one-way seconds, bytes a second (0: no network) */
};

/* ---- the temporary directory of the results files ---- */

static char tmp_dir[4096];

/* Removes the files of tmp_dir (results files, and any temporary one a failed write left) and tmp_dir. */
static void remove_tmp_dir(void)
{
    if (!tmp_dir[0])
        return;
    DIR *d = opendir(tmp_dir);
    if (d) {
        struct dirent *e;
        char path[sizeof tmp_dir + 256];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(tmp_dir);
    tmp_dir[0] = 0;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_sched: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1); /* remove_tmp_dir runs at exit */
}

static void make_tmp_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/bench_sched.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        int e = errno;
        tmp_dir[0] = 0;
        die("cannot create a temporary directory: %s", strerror(e));
    }
    atexit(remove_tmp_dir);
}

/* ---- the duration model ---- */

struct fit {
    double beta[NX];      /* log(seconds) = beta . (1, log params, log batch, log epochs) */
    double sigma;         /* residual standard deviation */
    double r2;
    size_t n, not_ok;     /* trials fitted; not trained to the end (diverged, too large): left out */
    double lo, hi;        /* shortest and longest fitted duration, seconds */
    double mean;          /* mean train_seconds of the trials fitted */
    /* the scheduler's cost model against the same trials: log(seconds) = c_a + c_b log(cost) */
    double c_a, c_b, c_sigma, c_r2;
    double a1;            /* --ideal: mean of log(seconds / cost) (slope 1) */
};

/* The regressors of trial t: 1, log(parameters), log(batch size), log(epochs trained as decided: the
 * budget, else the epochs gene; early stopping is left to the noise, as the scheduler cannot know it).
 * Returns 0, or -1 for a network the trainer refuses (above run.max_params, or unsizable). */
static int regressors(const struct evo_search *s, const struct evo_individual *t, double x[NX])
{
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    size_t n_params = 0, bytes;
    struct evo_error err = {0};
    evo_genome_decode(&t->genome, s->problem.train.d, evo_problem_outputs(&s->problem), &arch, &tp);
    if (evo_mlp_size(&arch, &n_params, &bytes, &err) || n_params > (size_t)s->cfg->max_params || !n_params)
        return -1;
    double epochs = t->budget > 0 ? t->budget : tp.epochs;
    x[0] = 1;
    x[1] = log((double)n_params);
    x[2] = log(tp.batch_size ? (double)tp.batch_size : 1.0);
    x[3] = log(epochs > 0 ? epochs : 1.0);
    return 0;
}

/* Least squares of y on the k columns of X (row-major, n x k) by the normal equations; writes beta,
 * the R^2, and returns the residual standard deviation (n - k degrees of freedom). */
static double ols(const double *X, const double *y, size_t n, int k, double *beta, double *r2)
{
    double A[NX][NX + 1] = {{0}};
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++)
                A[a][b] += X[i * k + a] * X[i * k + b];
            A[a][k] += X[i * k + a] * y[i];
        }
    for (int c = 0; c < k; c++) { /* Gauss-Jordan with partial pivoting */
        int p = c;
        for (int r = c + 1; r < k; r++)
            if (fabs(A[r][c]) > fabs(A[p][c]))
                p = r;
        for (int j = 0; j <= k; j++) {
            double tmp = A[c][j];
            A[c][j] = A[p][j];
            A[p][j] = tmp;
        }
        if (A[c][c] == 0)
            return NAN; /* a regressor that does not vary */
        for (int r = 0; r < k; r++)
            if (r != c) {
                double f = A[r][c] / A[c][c];
                for (int j = c; j <= k; j++)
                    A[r][j] -= f * A[c][j];
            }
    }
    for (int c = 0; c < k; c++)
        beta[c] = A[c][k] / A[c][c];
    double my = 0, sse = 0, syy = 0;
    for (size_t i = 0; i < n; i++)
        my += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        double f = 0;
        for (int a = 0; a < k; a++)
            f += beta[a] * X[i * k + a];
        sse += (y[i] - f) * (y[i] - f);
        syy += (y[i] - my) * (y[i] - my);
    }
    *r2 = syy > 0 ? 1 - sse / syy : 0;
    return n > (size_t)k ? sqrt(sse / (double)(n - (size_t)k)) : 0;
}

/* Fits the duration model over every trial of the input trained to the end (none left out as an
 * outlier: a trial slowed by the machine is as real as the others), and the scheduler's cost model
 * against the same trials, for comparison. */
static struct fit fit_durations(const struct evo_search *s)
{
    const struct evo_runlog *lg = &s->log;
    struct fit f = {.lo = INFINITY};
    size_t m = lg->n_rows + 1;
    double *X = evo_mem_alloc(evo_mem_mul(m, NX * sizeof *X));
    double *C = evo_mem_alloc(evo_mem_mul(m, 2 * sizeof *C));
    double *y = evo_mem_alloc(evo_mem_mul(m, sizeof *y));
    size_t n = 0;
    double d = 0;
    for (size_t i = 0; i < lg->n_rows; i++) {
        const struct evo_individual *t = &lg->rows[i];
        double c = evo_search_cost(s, t);
        if (t->status != EVO_TRAIN_OK || !(t->train_seconds > 0) || !(c > 0) || regressors(s, t, &X[n * NX])) {
            f.not_ok++;
            continue;
        }
        y[n] = log(t->train_seconds);
        C[2 * n] = 1;
        C[2 * n + 1] = log(c);
        d += y[n] - log(c);
        f.lo = fmin(f.lo, t->train_seconds);
        f.hi = fmax(f.hi, t->train_seconds);
        f.mean += t->train_seconds;
        n++;
    }
    if (n < 10)
        die("the input holds %zu trials trained to the end: too few to fit their durations", n);
    f.n = n;
    f.mean /= (double)n;
    f.a1 = d / (double)n;
    f.sigma = ols(X, y, n, NX, f.beta, &f.r2);
    double cb[2];
    f.c_sigma = ols(C, y, n, 2, cb, &f.c_r2);
    f.c_a = cb[0];
    f.c_b = cb[1];
    if (!isfinite(f.sigma) || !isfinite(f.c_sigma))
        die("the input's trials do not vary in size, batch size or epochs: no fit");
    free(X);
    free(C);
    free(y);
    return f;
}

/* ---- the sleeping evaluation ---- */

/* What one worker thread slept; each worker writes only its own, padded against false sharing. */
struct slot {
    double asked, slept;
    long trials;
    char pad[64 - 2 * sizeof(double) - sizeof(long)];
};

struct sleeper {
    const struct evo_search *s;       /* the search being run (its problem sizes a network) */
    const struct evo_runlog *logged;  /* the real run's trials (the fitness of a genome) */
    const struct fit *fit;
    int ideal;
    double scale;
    int64_t seed;                     /* the noise's stream: run.seed of the search */
    struct slot *slots;               /* [threads] */
    double *asked, *start, *end;      /* [budget] each trial's sleep asked for, when it began and ended,
                                       * by id (its worker writes them) */
    double latency, bandwidth;        /* --network, scaled as the sleeps are (0: none) */
    pthread_mutex_t link;             /* rank 0's link: */
    double out_free, in_free;         /* when each direction is free again (wall clock) */
};

/* The bytes of one message each way of a trial of n_params parameters and `epochs` epochs, as the MPI
 * build sends them (src/cli/mpi.c: wire_job; wire_result, its curve and its weights). */
static double job_bytes(void)
{
    return (double)sizeof(struct evo_individual) + 8.0;
}

static double reply_bytes(double n_params, double epochs)
{
    return 8.0 + (double)sizeof(struct evo_individual) + (double)sizeof(struct evo_mlp_arch) + 16.0 +
           24.0 * epochs + 4.0 * n_params;
}

/* Books `bytes` on one direction of rank 0's link (*free: when it is free) from `ready` on; returns
 * when they have crossed it, the latency included. */
static double link_send(struct sleeper *sl, double *free_at, double ready, double bytes)
{
    pthread_mutex_lock(&sl->link);
    double start = fmax(ready, *free_at);
    *free_at = start + bytes / sl->bandwidth;
    double end = *free_at;
    pthread_mutex_unlock(&sl->link);
    return end + sl->latency;
}

/* Seconds trial t (with regressors x) sleeps: the model with noise keyed by (seed, id), over the scale. */
static double sleep_seconds(const struct sleeper *sl, const struct evo_individual *t, const double x[NX])
{
    if (sl->ideal)
        return exp(sl->fit->a1) * evo_search_cost(sl->s, t) / sl->scale;
    struct evo_rng rng;
    evo_rng_seed(&rng, (uint64_t)sl->seed, 0, (uint64_t)t->id, NOISE_PURPOSE);
    double z = fmax(-4.0, fmin(4.0, evo_rng_normal(&rng)));
    double l = sl->fit->sigma * z;
    for (int k = 0; k < NX; k++)
        l += sl->fit->beta[k] * x[k];
    return exp(l) / sl->scale;
}

/* Where v lies in the range of spec s, 0 at min and 1 at max (in the logarithm for a log range). */
static double unit(const struct evo_gene_spec *s, double v)
{
    if (!(s->max > s->min))
        return 0;
    if (s->log)
        return (log(v) - log(s->min)) / (log(s->max) - log(s->min));
    return (v - s->min) / (s->max - s->min);
}

/* The logged trial nearest to g over the genes the space varies (ranges in unit coordinates, a
 * different choice at distance 1; genes either network does not use are left out). First of equals. */
static const struct evo_individual *nearest(const struct evo_runlog *logged, const struct evo_space *space,
                                            const struct evo_genome *g)
{
    const struct evo_individual *best = NULL;
    double best_d = INFINITY;
    for (size_t i = 0; i < logged->n_rows; i++) {
        const struct evo_individual *t = &logged->rows[i];
        double d = 0;
        for (int id = 0; id < EVO_GENE_COUNT && d < best_d; id++) {
            const struct evo_gene_spec *sp = &space->spec[id];
            if (sp->kind == EVO_SPEC_FIXED || !evo_genome_active(g, id) || !evo_genome_active(&t->genome, id))
                continue;
            double u = sp->kind == EVO_SPEC_RANGE ? unit(sp, g->g[id]) - unit(sp, t->genome.g[id])
                                                  : (double)(g->g[id] != t->genome.g[id]);
            d += u * u;
        }
        if (d < best_d) {
            best_d = d;
            best = t;
        }
    }
    return best;
}

/* Sleeps until `seconds` from now (an absolute deadline, so a signal does not lengthen it). */
static void sleep_for(double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double s = floor(seconds);
    ts.tv_sec += (time_t)s;
    ts.tv_nsec += (long)((seconds - s) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* An evo_eval_fn (evaluator.h): sleeps the trial's modelled duration and gives it the validation
 * results of the nearest logged trial; ctx is a struct sleeper. A network the trainer refuses (above
 * run.max_params) is refused at once, as the trainer does. */
static int sleep_eval(void *ctx, int worker, struct evo_eval_job *job, struct evo_error *err)
{
    struct sleeper *sl = ctx;
    struct evo_individual *t = &job->trial;
    const struct evo_config *cfg = sl->s->cfg;
    double x[NX];
    if (regressors(sl->s, t, x)) {
        t->status = EVO_TRAIN_TOO_LARGE;
        t->fitness = evo_trial_failed_fitness(cfg->fitness);
        return EVO_OK;
    }
    double asked = sleep_seconds(sl, t, x);
    if (sl->bandwidth > 0) /* the trial crosses rank 0's link to its rank */
        sleep_for(fmax(0.0, link_send(sl, &sl->out_free, bench_wall(), job_bytes()) - bench_wall()));
    double t0 = bench_wall();
    sleep_for(asked);
    double t1 = bench_wall();
    if (sl->bandwidth > 0) /* and its results, curve and weights come back */
        sleep_for(fmax(0.0, link_send(sl, &sl->in_free, t1 + sl->latency, reply_bytes(exp(x[1]), exp(x[3]))) -
                                sl->latency - bench_wall()));
    struct slot *slot = &sl->slots[worker];
    slot->asked += asked;
    slot->slept += t1 - t0;
    slot->trials++;
    sl->asked[t->id] = asked;
    sl->start[t->id] = t0;
    sl->end[t->id] = t1;
    const struct evo_individual *near = nearest(sl->logged, &cfg->space, &t->genome);
    t->fitness = near->fitness;
    t->val = near->val;
    t->train_loss = near->train_loss;
    t->status = near->status;
    /* and its learning curve, so that the results file grows as a real run's does */
    size_t n_curve;
    const struct evo_curve_row *c = evo_runlog_curve(sl->logged, near->id, &n_curve);
    size_t room = (size_t)evo_genome_spec_max(&cfg->space.spec[EVO_GENE_EPOCHS]);
    if (n_curve > room)
        n_curve = room;
    for (size_t e = 0; e < n_curve; e++)
        job->curve[e] = (struct evo_epoch_metrics){c[e].train_loss, c[e].val_loss, c[e].val_fitness};
    t->epochs_run = (int32_t)n_curve;
    return EVO_OK;
}

/* Busy fraction of a plain work queue: trials 0..n-1 in id order, each to the thread that frees
 * first, lasting d[i]. */
static double queue_busy(const double *d, size_t n, long threads)
{
    double *free_at = evo_mem_calloc((size_t)threads, sizeof *free_at), sum = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        long w = 0;
        for (long k = 1; k < threads; k++)
            if (free_at[k] < free_at[w])
                w = k;
        free_at[w] += d[i];
        sum += d[i];
        last = fmax(last, free_at[w]);
    }
    free(free_at);
    return last > 0 ? sum / ((double)threads * last) : 0;
}

/* Busy fraction from t0 until the last trial started, after which the threads can only drain. */
static double steady_busy(const double *start, const double *end, size_t n, long threads, double t0)
{
    double until = t0, sum = 0;
    for (size_t i = 0; i < n; i++)
        until = fmax(until, start[i]);
    for (size_t i = 0; i < n; i++)
        if (start[i] > 0)
            sum += fmax(0.0, fmin(end[i], until) - start[i]);
    return until > t0 ? sum / ((double)threads * (until - t0)) : 0;
}

/* ---- one search ---- */

/* One search's setting. */
struct setting {
    int strategy;       /* enum evo_strategy_kind */
    long threads, workers;
    long trials;        /* run.max_trials (random, steady_state) */
    long population, generations;  /* ga.population (steady_state, generational), ga.generations */
    long seed;
};

struct outcome {
    double busy;        /* evaluator busy_seconds / (threads x run_seconds) */
    double queue;       /* a work queue's busy fraction with the same trials and asked sleeps */
    double steady;      /* busy fraction until the last trial started (steady_busy) */
    double overshoot;   /* mean sleep beyond the asked, per trial, in ms */
    double wall;        /* run_seconds */
    double writes;      /* results files written */
    double write_ms;    /* mean milliseconds of a write */
    double write_max;   /* the longest, ms */
    double cpu;         /* the process's CPU time during evo_search_run / its wall time */
    long trials;
};

/* What evo_search_init sets up for cfg, with the problem borrowed from `loaded` (shallow: never
 * released through s). Loading it again for every search would take longer than the searches (top
 * comment). evo_search_init's memory check is left out: the sleeping evaluation allocates no
 * training workspace, which is most of what it counts. */
static void search_bind(struct evo_search *s, const struct evo_search *loaded, const struct evo_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->problem = loaded->problem;
    s->save_interval_min = 0.05;
    s->threads = cfg->threads > 0 ? (int)cfg->threads : 1;
    s->workers = (int)cfg->workers;
    evo_runlog_init(&s->log, cfg, &s->problem);
    s->log.threads = s->threads;
}

static void search_unbind(struct evo_search *s)
{
    evo_strategy_destroy(&s->strategy);
    evo_runlog_release(&s->log);
    memset(s, 0, sizeof *s);
}

/* The results file of a search, and the hook that publishes it. */
struct publish {
    char path[sizeof tmp_dir + 32];
    struct evo_error *err;
    long writes;
    double seconds;     /* spent in evo_h5_write */
    double longest;     /* the longest write */
};

/* The hook of `evotune run` (src/main.c's on_event) less the progress line and the signals: the
 * results file written at every event. */
static int on_event(const struct evo_search *s, int event, void *user)
{
    struct publish *p = user;
    double t0 = bench_wall();
    int rc = evo_h5_write(&s->log, p->path, p->err);
    p->seconds += bench_wall() - t0;
    p->longest = fmax(p->longest, bench_wall() - t0);
    p->writes++;
    return rc;
}

/* Runs one search of st with the sleeping evaluation at the given scale. When rows is given, copies
 * the log's rows into it (*rows, free it). Exits on any error or a log that is not the whole budget. */
static struct outcome run_one(const struct evo_search *loaded, const char *config_text, const struct fit *fit,
                              const struct options *o, double scale, const struct setting *st,
                              struct evo_individual **rows)
{
    char buf[8][96];
    const char *sets[8];
    size_t n = 0;
#define SET(...) (snprintf(buf[n], sizeof buf[n], __VA_ARGS__), sets[n] = buf[n], n++)
    SET("run.strategy=\"%s\"", evo_config_strategy_name(st->strategy));
    SET("run.threads=%ld", st->threads);
    SET("run.workers=%ld", st->workers);
    SET("run.seed=%ld", st->seed);
    SET("run.time_limit=\"\"");
    if (st->strategy != EVO_STRATEGY_RANDOM) /* random has no population */
        SET("ga.population=%ld", st->population);
    if (st->strategy == EVO_STRATEGY_GENERATIONAL)
        SET("ga.generations=%ld", st->generations);
    else
        SET("run.max_trials=%ld", st->trials);
#undef SET
    struct evo_config cfg;
    struct evo_error err = {0};
    if (evo_config_load_string(&cfg, config_text, "the input's configuration", sets, n, &err))
        die("%s", err.msg);
    struct evo_search s;
    search_bind(&s, loaded, &cfg);
    long budget = evo_search_budget(&s);
    struct sleeper sl = {&s, &loaded->log, fit, o->ideal, scale, st->seed, NULL, NULL, NULL, NULL,
                         o->latency / scale, o->bandwidth * scale, PTHREAD_MUTEX_INITIALIZER, 0, 0};
    sl.slots = evo_mem_calloc((size_t)st->threads, sizeof *sl.slots);
    sl.asked = evo_mem_calloc((size_t)budget, sizeof *sl.asked);
    sl.start = evo_mem_calloc((size_t)budget, sizeof *sl.start);
    sl.end = evo_mem_calloc((size_t)budget, sizeof *sl.end);
    s.eval = sleep_eval;
    s.eval_ctx = &sl;
    struct publish pub = {.err = &err};
    snprintf(pub.path, sizeof pub.path, "%s/results.h5", tmp_dir);
    double t0 = bench_wall(), c0 = bench_cpu();
    if (evo_search_run(&s, on_event, &pub, &err))
        die("%s", err.msg);
    double cpu = bench_cpu() - c0;
    if (!s.log.finished || evo_search_done(&s) != budget || s.evaluated != budget)
        die("the %s search (T %ld, W %ld, seed %ld) logged %ld of %ld trials", evo_config_strategy_name(st->strategy),
            st->threads, st->workers, st->seed, evo_search_done(&s), budget);
    if (unlink(pub.path))
        die("the search wrote no results file %s", pub.path);
    double asked = 0, slept = 0;
    long slept_trials = 0;
    for (long w = 0; w < st->threads; w++) {
        asked += sl.slots[w].asked;
        slept += sl.slots[w].slept;
        slept_trials += sl.slots[w].trials;
    }
    /* with a network, a thread's time on messages is idle time: busy counts the trials' sleeps */
    double busy = o->bandwidth > 0 ? slept : s.busy_seconds;
    struct outcome out = {busy / ((double)st->threads * s.run_seconds),
                          queue_busy(sl.asked, (size_t)budget, st->threads),
                          steady_busy(sl.start, sl.end, (size_t)budget, st->threads, t0),
                          slept_trials ? 1e3 * (slept - asked) / (double)slept_trials : 0, s.run_seconds,
                          (double)pub.writes, 1e3 * pub.seconds / (double)pub.writes,
                          1e3 * pub.longest, cpu / (bench_wall() - t0), budget};
    if (rows) {
        *rows = evo_mem_alloc(evo_mem_mul((size_t)budget, sizeof **rows));
        memcpy(*rows, s.log.rows, (size_t)budget * sizeof **rows);
    }
    free(sl.slots);
    free(sl.asked);
    free(sl.start);
    free(sl.end);
    search_unbind(&s);
    evo_config_release(&cfg);
    return out;
}

/* ---- the table ---- */

struct row {
    const char *label;
    struct setting st;
    int default_w;      /* W is the shipped run.workers */
};

/* The row's time scale: --scale x REF_PARALLEL / the trials it can run at once (top comment). */
static double row_scale(const struct options *o, const struct setting *st)
{
    long par = st->strategy == EVO_STRATEGY_GENERATIONAL ? st->population : st->workers;
    if (par > st->threads)
        par = st->threads;
    return o->scale * REF_PARALLEL / (double)par;
}

static void print_header(void)
{
    printf("| %-18s | %3s | %5s | %3s | %6s | %6s | %6s | %7s | %8s | %9s | %17s | %5s | %6s |\n", "strategy", "T", "W",
           "P", "trials", "scale", "busy %", "queue %", "before %", "overshoot", "results files", "cpu %", "wall s");
    printf("|--------------------|-----|-------|-----|--------|--------|--------|---------|----------|"
           "-----------|-------------------|-------|--------|\n");
}

/* A row's medians, in %. */
struct medians {
    double busy, before;
};

/* Runs the row's search for seeds 1..repeats at `scale` and prints its medians when print; returns
 * the median busy % and before %. */
static struct medians table_row(const struct evo_search *loaded, const char *text, const struct fit *fit,
                        const struct options *o, double scale, struct row r, int print)
{
    double busy[MAX_REPEATS], steady[MAX_REPEATS], queue[MAX_REPEATS], over[MAX_REPEATS], wall[MAX_REPEATS],
        writes[MAX_REPEATS], write_ms[MAX_REPEATS], write_max[MAX_REPEATS],
        cpu[MAX_REPEATS];
    long trials = 0;
    for (int k = 0; k < o->repeats; k++) {
        r.st.seed = 1 + k;
        struct outcome out = run_one(loaded, text, fit, o, scale, &r.st, NULL);
        busy[k] = 100 * out.busy;
        steady[k] = 100 * out.steady;
        queue[k] = 100 * out.queue;
        over[k] = out.overshoot;
        wall[k] = out.wall;
        writes[k] = out.writes;
        write_ms[k] = out.write_ms;
        write_max[k] = out.write_max;
        cpu[k] = 100 * out.cpu;
        trials = out.trials;
    }
    size_t n = (size_t)o->repeats;
    struct medians md = {bench_median(busy, n), bench_median(steady, n)};
    if (!print)
        return md;
    char w[16], p[16], wr[32];
    snprintf(w, sizeof w, "%ld%s", r.st.workers, r.default_w ? "*" : "");
    if (r.st.strategy == EVO_STRATEGY_RANDOM)
        snprintf(p, sizeof p, "-");
    else
        snprintf(p, sizeof p, "%ld", r.st.population);
    snprintf(wr, sizeof wr, "%.0f x %.0f/%.0f ms", bench_median(writes, n), bench_median(write_ms, n),
             bench_median(write_max, n));
    printf("| %-18s | %3ld | %5s | %3s | %6ld | %6.4g | %6.1f | %7.1f | %8.1f | %6.2f ms | %17s | %5.1f | %6.2f |\n",
           r.label, r.st.threads, w, p, trials, scale, md.busy, bench_median(queue, n), md.before,
           bench_median(over, n), wr, bench_median(cpu, n), bench_median(wall, n));
    fflush(stdout);
    return md;
}

/* The fewest ga.generations whose trials, P + (G - 1)(P - E), reach the budget. */
static long generations_for(long budget, long P, long elitism)
{
    long E = P > 1 ? (elitism < P - 1 ? elitism : P - 1) : 0;
    if (budget <= P)
        return 1;
    return 1 + (budget - P + (P - E) - 1) / (P - E);
}

static size_t parse_list(const char *text, long *out, const char *what, long lo)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < lo || v > 4096 || n == MAX_LIST || (*end && *end != ',')) {
            fprintf(stderr, "bench_sched: %s: expected up to %d integers in [%ld, 4096] separated by commas, "
                    "not '%s'\n", what, MAX_LIST, lo, text);
            exit(2);
        }
        out[n++] = v;
        p = *end ? end + 1 : end;
    }
    return n;
}

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: bench_sched RESULTS.h5 [--scale 300] [--trials 5000] [--threads 2,16,64,256] [--repeats 1]\n"
            "                   [--w 1,2,3,6] [--strategies steady_state,random,generational]\n"
            "                   [--check-threads 16,64] [--check-w 2,6] [--ideal]\n"
            "  RESULTS.h5       a results file of `evotune run` (its configuration, data and trials)\n"
            "  --scale          time compression at 16 trials in flight: a row with at most m in flight\n"
            "                   (m = min(T, W), P for generational) divides durations by scale x 16 / m\n"
            "  --trials         every search's budget (generational: the generations reaching it)\n"
            "  --threads        evaluator threads T\n"
            "  --w              run.workers W of the steady_state and random rows, as multiples of T (and\n"
            "                   the shipped default 16 in every case)\n"
            "  --strategies     the strategies of the rows\n"
            "  --repeats        seeds 1..N per row (at most %d): the table shows medians\n"
            "  --check-threads  the thread counts of the scale check (steady_state at half the scale)\n"
            "  --check-w        its W, as multiples of T (0: no check)\n"
            "  --ideal          durations exactly proportional to the scheduler's cost (no noise): what is\n"
            "                   lost then is the engine's and the budget's tail\n"
            "  --network L,G    every thread a remote MPI rank's: each trial's messages cross rank 0's link\n"
            "                   (L microseconds one way, G gigabits a second, shared), busy %% its sleeps only\n",
            MAX_REPEATS);
    return rc;
}

/* Parses a positive number, or exits with a usage error naming the option. */
static double positive(const char *opt, const char *v)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || x <= 0) {
        fprintf(stderr, "bench_sched: %s: expected a positive number, not '%s'\n", opt, v);
        exit(2);
    }
    return x;
}

/* The sweep's median busy % by (strategy, T, W). */
struct result {
    int kind;
    long threads, workers;
    struct medians m;
};
static struct result results[256];
static size_t n_results;

static const struct result *find_result(int kind, long threads, long workers)
{
    for (size_t i = 0; i < n_results; i++)
        if (results[i].kind == kind && results[i].threads == threads && results[i].workers == workers)
            return &results[i];
    return NULL;
}

static void add_result(int kind, long threads, long workers, struct medians m)
{
    if (n_results < sizeof results / sizeof *results)
        results[n_results++] = (struct result){kind, threads, workers, m};
}

static void load_average(char *buf, size_t n)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
        snprintf(buf, n, "unknown");
    else
        snprintf(buf, n, "%.2f %.2f %.2f", a, b, c);
    if (f)
        fclose(f);
}

int main(int argc, char **argv)
{
    double t_run = bench_wall();
    struct options o = {.scale = 300, .repeats = 1, .trials = 5000};
    o.n_threads = parse_list("2,16,64,256", o.threads, "--threads", 1);
    o.n_check_threads = parse_list("16,64", o.check_threads, "--check-threads", 1);
    o.n_check_w = parse_list("2,6", o.check_w, "--check-w", 0);
    o.n_w = parse_list("1,2,3,6", o.w, "--w", 1);
    o.strategies[EVO_STRATEGY_RANDOM] = o.strategies[EVO_STRATEGY_STEADY_STATE] =
        o.strategies[EVO_STRATEGY_GENERATIONAL] = 1;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h"))
            return usage(0);
        if (!strcmp(opt, "--ideal")) {
            o.ideal = 1;
            continue;
        }
        if (opt[0] != '-') {
            if (o.input)
                return usage(2);
            o.input = opt;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) {
            fprintf(stderr, "bench_sched: %s needs a value\n", opt);
            return 2;
        }
        if (!strcmp(opt, "--scale"))
            o.scale = positive(opt, v);
        else if (!strcmp(opt, "--threads"))
            o.n_threads = parse_list(v, o.threads, "--threads", 1);
        else if (!strcmp(opt, "--check-threads"))
            o.n_check_threads = parse_list(v, o.check_threads, "--check-threads", 1);
        else if (!strcmp(opt, "--check-w"))
            o.n_check_w = parse_list(v, o.check_w, "--check-w", 0);
        else if (!strcmp(opt, "--w"))
            o.n_w = parse_list(v, o.w, "--w", 1);
        else if (!strcmp(opt, "--strategies")) {
            memset(o.strategies, 0, sizeof o.strategies);
            for (const char *q = v; *q;) {
                size_t len = strcspn(q, ",");
                int k = -1;
                for (int c = 0; c < 3; c++)
                    if (strlen(evo_config_strategy_name(c)) == len && !strncmp(q, evo_config_strategy_name(c), len))
                        k = c;
                if (k < 0) {
                    fprintf(stderr, "bench_sched: --strategies: expected steady_state, random, generational "
                            "separated by commas, not '%s'\n", v);
                    return 2;
                }
                o.strategies[k] = 1;
                q += len + (q[len] == ',');
            }
        } else if (!strcmp(opt, "--repeats"))
            o.repeats = (int)positive(opt, v);
        else if (!strcmp(opt, "--trials"))
            o.trials = (long)positive(opt, v);
        else if (!strcmp(opt, "--network")) {
            char *comma = strchr(v, ',');
            if (!comma) {
                fprintf(stderr, "bench_sched: --network: expected LATENCY_US,GBITS, not '%s'\n", v);
                return 2;
            }
            *comma = '\0';
            o.latency = positive(opt, v) * 1e-6;
            o.bandwidth = positive(opt, comma + 1) * 1e9 / 8;
        }
        else
            return usage(2);
    }
    if (!o.input || o.repeats < 1 || o.repeats > MAX_REPEATS || o.trials < 1)
        return usage(2);
    if (o.n_check_w == 1 && o.check_w[0] == 0)
        o.n_check_w = 0;

    char cpu[128], load0[64];
    bench_cpu_model(cpu, sizeof cpu);
    load_average(load0, sizeof load0);
    make_tmp_dir();

    /* the real run: its configuration, its problem, its trials */
    evo_h5_init();
    struct evo_error err = {0};
    struct evo_h5_summary sum;
    if (evo_h5_summary_read(&sum, o.input, &err))
        die("%s", err.msg);
    struct evo_config cfg;
    if (evo_config_load_string(&cfg, sum.config, o.input, NULL, 0, &err))
        die("%s", err.msg);
    struct evo_search loaded;
    double t_load = bench_wall();
    if (evo_search_init(&loaded, &cfg, &err))
        die("%s", err.msg);
    t_load = bench_wall() - t_load;
    if (evo_h5_load(&loaded.log, o.input, &err))
        die("%s", err.msg);
    struct fit fit = fit_durations(&loaded);
    double total = 0;
    for (size_t i = 0; i < loaded.log.n_rows; i++)
        total += loaded.log.rows[i].train_seconds;

    printf("machine: %s, %ld cores online, load average %s at the start\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
           load0);
    printf("input: %s: %zu trials (%s on %lld threads), %.1f s of training, mean %.2f s; data %zu x %zu\n"
           "       (%zu curve points; evo_search_init: %.1f s, done once: see the top comment of bench/bench_sched.c)\n", o.input,
           loaded.log.n_rows, sum.strategy, (long long)cfg.threads, total, total / (double)loaded.log.n_rows,
           loaded.problem.train.n, loaded.problem.train.d, loaded.log.n_curves, t_load);
    printf("fit: log(train_seconds) = %.3f %+.3f log(parameters) %+.3f log(batch size) %+.3f log(epochs)\n"
           "     over %zu trials (%zu not trained to the end left out), residual sigma %.3f (x%.2f), R^2 %.3f;\n"
           "     fitted trials took %.2f-%.2f s, mean %.2f s\n",
           fit.beta[0], fit.beta[1], fit.beta[2], fit.beta[3], fit.n, fit.not_ok, fit.sigma, exp(fit.sigma), fit.r2,
           fit.lo, fit.hi, fit.mean);
    printf("the scheduler's cost model on the same trials: log(train_seconds) = %.3f %+.3f log(cost), residual "
           "sigma %.3f, R^2 %.3f\n", fit.c_a, fit.c_b, fit.c_sigma, fit.c_r2);
    if (o.ideal)
        printf("--ideal: sleep exp(%.3f) x cost / scale, no noise\n", fit.a1);
    else
        printf("sleep: exp(fit) x lognormal(0, %.3f), drawn per trial, / scale\n", fit.sigma);
    if (o.bandwidth > 0)
        printf("network (--network): every thread a remote rank's; each trial's messages cross rank 0's link, "
               "%.0f us one way, %.3g Gbit/s each direction: out %.0f bytes, back %.0f bytes + 24 an epoch + 4 a "
               "parameter; busy %% counts the trials' sleeps alone\n", o.latency * 1e6, o.bandwidth * 8 / 1e9,
               job_bytes(), reply_bytes(0, 0));
    printf("\nEach search: evo_search_run with the results file written at every event (as `evotune run`; here in\n"
           "%s), %ld trials (generational: the generations reaching it). scale = --scale %g x %d / min(T,\n"
           "W or P): every trial sleeps its modelled seconds / scale. busy %% = the evaluator's busy_seconds /\n"
           "(T x run_seconds); queue %% = the same trials and asked sleeps on a plain work queue in the order\n"
           "decided (what the budget's tail leaves); before %% = busy until the last trial started (before the\n"
           "drain); overshoot = sleep beyond the asked, per trial (counted busy); results files = the hook's\n"
           "writes x their mean/longest time; cpu %% = the process's CPU time / wall (100: one core). W* = the shipped\n"
           "run.workers; generational runs W = P. %s\n\n",
           tmp_dir, o.trials, o.scale, REF_PARALLEL, o.repeats > 1 ? "Medians over seeds." : "Seed 1.");

    /* correctness first: with the sleeping evaluation too, the decisions follow the virtual clock and
     * not the threads */
    struct setting check = {EVO_STRATEGY_STEADY_STATE, 4, 32, 222, cfg.population, 0, 1};
    struct evo_individual *few, *many;
    run_one(&loaded, sum.config, &fit, &o, 4 * o.scale, &check, &few);
    check.threads = 32;
    run_one(&loaded, sum.config, &fit, &o, 4 * o.scale, &check, &many);
    if (!evo_trials_same(few, many, (size_t)check.trials))
        die("steady_state at W = 32 decides other trials on 32 threads than on 4");
    free(few);
    free(many);
    printf("check: steady_state at W = 32 decides the same 222 trials, parents and fitnesses on 4 and 32 "
           "threads\n\n");

    print_header();
    double t_sweep = bench_wall();
    static const long pops[] = {24, 256};
    for (size_t ti = 0; ti < o.n_threads; ti++) {
        long T = o.threads[ti];
        for (int strat = 0; strat < 2; strat++) {
            int kind = strat ? EVO_STRATEGY_RANDOM : EVO_STRATEGY_STEADY_STATE;
            if (!o.strategies[kind])
                continue;
            for (size_t m = 0; m <= o.n_w; m++) {
                long W = m < o.n_w ? o.w[m] * T : DEFAULT_WORKERS;
                if (find_result(kind, T, W))
                    continue; /* W = 16 is already a row */
                struct row r = {evo_config_strategy_name(kind), {kind, T, W, o.trials, cfg.population, 0, 1},
                                W == DEFAULT_WORKERS};
                add_result(kind, T, W, table_row(&loaded, sum.config, &fit, &o, row_scale(&o, &r.st), r, 1));
            }
        }
        for (size_t p = 0; p < 2 && o.strategies[EVO_STRATEGY_GENERATIONAL]; p++) {
            struct row r = {"generational", {EVO_STRATEGY_GENERATIONAL, T, pops[p], 0, pops[p],
                                             generations_for(o.trials, pops[p], cfg.elitism), 1}, 0};
            add_result(EVO_STRATEGY_GENERATIONAL, T, pops[p],
                       table_row(&loaded, sum.config, &fit, &o, row_scale(&o, &r.st), r, 1));
        }
    }
    printf("\n(sweep: %.0f s)\n", bench_wall() - t_sweep);

    /* the same busy %, one line per T */
    printf("\nbusy %% side by side (W* = %d, the shipped run.workers; P = %ld for steady_state)\n\n| %3s |", DEFAULT_WORKERS,
           cfg.population, "T");
    char head[32];
    size_t cols = 0;
    for (int strat = 0; strat < 2; strat++) {
        int kind = strat ? EVO_STRATEGY_RANDOM : EVO_STRATEGY_STEADY_STATE;
        if (!o.strategies[kind])
            continue;
        for (size_t m = 0; m <= o.n_w; m++, cols++) {
            if (m < o.n_w && o.w[m] == 1)
                snprintf(head, sizeof head, "%s W=T", strat ? "rnd" : "ss");
            else if (m < o.n_w)
                snprintf(head, sizeof head, "%s W=%ldT", strat ? "rnd" : "ss", o.w[m]);
            else
                snprintf(head, sizeof head, "%s W*", strat ? "rnd" : "ss");
            printf(" %9s |", head);
        }
    }
    if (o.strategies[EVO_STRATEGY_GENERATIONAL]) {
        printf(" %9s | %9s |", "gen P=24", "gen P=256");
        cols += 2;
    }
    printf("\n|-----|");
    for (size_t c = 0; c < cols; c++)
        printf("-----------|");
    printf("\n");
    for (size_t ti = 0; ti < o.n_threads; ti++) {
        long T = o.threads[ti];
        printf("| %3ld |", T);
        for (int strat = 0; strat < 2; strat++) {
            int kind = strat ? EVO_STRATEGY_RANDOM : EVO_STRATEGY_STEADY_STATE;
            if (!o.strategies[kind])
                continue;
            for (size_t m = 0; m <= o.n_w; m++)
                printf(" %9.1f |", find_result(kind, T, m < o.n_w ? o.w[m] * T : DEFAULT_WORKERS)->m.busy);
        }
        for (size_t p = 0; p < 2 && o.strategies[EVO_STRATEGY_GENERATIONAL]; p++)
            printf(" %9.1f |", find_result(EVO_STRATEGY_GENERATIONAL, T, pops[p])->m.busy);
        printf("\n");
    }

    if (o.n_check_w && o.n_check_threads) {
        double t_check = bench_wall();
        printf("\nscale check: steady_state again at the same scale (the spread of a rerun: real timing decides\n"
               "which trials are left for the drain) and at half the scale (every sleep twice as long);\n"
               "busy %% (before %%)\n\n"
               "| %-12s | %3s | %5s | %3s | %6s | %13s | %13s | %9s | %13s | %18s |\n|--------------|-----|-------|-----|"
               "--------|---------------|---------------|-----------|---------------|--------------------|\n",
               "strategy", "T", "W", "P", "scale", "busy %", "again", "scale / 2", "busy %", "diff from mean");
        double worst = 0, worst_spread = 0;
        for (size_t ci = 0; ci < o.n_check_threads; ci++)
            for (size_t wi = 0; wi < o.n_check_w; wi++) {
                long T = o.check_threads[ci], W = o.check_w[wi] * T;
                struct row r = {"steady_state", {EVO_STRATEGY_STEADY_STATE, T, W, o.trials, cfg.population, 0, 1},
                                0};
                double sc = row_scale(&o, &r.st);
                const struct result *res = find_result(EVO_STRATEGY_STEADY_STATE, T, W);
                struct medians at = res ? res->m : table_row(&loaded, sum.config, &fit, &o, sc, r, 0);
                struct medians again = table_row(&loaded, sum.config, &fit, &o, sc, r, 0);
                struct medians half = table_row(&loaded, sum.config, &fit, &o, sc / 2, r, 0);
                double mean = 0.5 * (at.busy + again.busy), mean_before = 0.5 * (at.before + again.before);
                worst = fmax(worst, fabs(half.busy - mean));
                worst_spread = fmax(worst_spread, fabs(at.busy - again.busy));
                char c1[32], c2[32], c3[32], c4[32];
                snprintf(c1, sizeof c1, "%.1f (%.1f)", at.busy, at.before);
                snprintf(c2, sizeof c2, "%.1f (%.1f)", again.busy, again.before);
                snprintf(c3, sizeof c3, "%.1f (%.1f)", half.busy, half.before);
                snprintf(c4, sizeof c4, "%+.1f (%+.1f)", half.busy - mean, half.before - mean_before);
                printf("| %-12s | %3ld | %5ld | %3ld | %6.4g | %13s | %13s | %9.4g | %13s | %18s |\n", "steady_state", T,
                       W, cfg.population, sc, c1, c2, sc / 2, c3, c4);
                fflush(stdout);
            }
        printf("\nlargest difference at half the scale: %.1f points of busy %%; largest spread of a rerun at the "
               "same\nscale: %.1f points (check: %.0f s)\n", worst, worst_spread, bench_wall() - t_check);
    }
    char load1[64];
    load_average(load1, sizeof load1);
    printf("\nrun: %.0f s in all; load average %s at the end\n", bench_wall() - t_run, load1);
    evo_search_release(&loaded);
    evo_config_release(&cfg);
    evo_h5_summary_release(&sum);
    return 0;
}
