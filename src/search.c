/* The search engine: a virtual clock over W workers decides, real threads evaluate (search.h). */
#include "evotune/search.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "evotune/finalist.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "evotune/predict.h"
#include "evotune/promote.h"

/* Bytes set aside per trial in flight: its job, its curve. */
static size_t job_bytes(size_t max_epochs)
{
    return evo_mem_add(sizeof(struct evo_eval_job) + 2 * sizeof(struct evo_individual),
                       evo_mem_mul(max_epochs, sizeof(struct evo_epoch_metrics)));
}

static size_t max_epochs_of(const struct evo_config *cfg)
{
    return (size_t)evo_genome_spec_max(&cfg->space.spec[EVO_GENE_EPOCHS]);
}

/* Refuses, before anything large is allocated, a search whose workspaces and in-flight buffers would
 * exceed run.max_memory: both grow with user-given numbers, and an absurd product must end in a
 * message, not an abort. */
static int check_memory(struct evo_search *s, struct evo_error *err)
{
    const struct evo_config *cfg = s->cfg;
    size_t max_hidden, max_width, max_batch;
    evo_genome_space_limits(&cfg->space, &max_hidden, &max_width, &max_batch);
    size_t ws = evo_trainer_workspace_bytes(cfg, &s->problem);
    size_t threads = evo_mem_mul((size_t)s->threads, ws);
    /* cross-validation: a job per fold, and the folds collected (about as much again) */
    size_t folds = cfg->folds ? 2 * (size_t)cfg->folds : 1;
    size_t jobs = evo_mem_mul(evo_mem_mul((size_t)s->workers, folds), job_bytes(max_epochs_of(cfg)));
    /* the strategy's own rows: a population, ranked (generational); tpe's window, with a pointer, an
     * observation and two mixtures' components (5 doubles each) of scratch per row */
    int tpe = cfg->strategy == EVO_STRATEGY_TPE;
    size_t pop = tpe ? evo_mem_mul((size_t)cfg->tpe_window, sizeof(struct evo_individual) + 2 * 8 + 2 * 5 * 8)
                     : evo_mem_mul((size_t)cfg->population, 3 * sizeof(struct evo_individual));
    size_t total = evo_mem_add(evo_mem_add(threads, jobs), pop);
    double mib = 1024.0 * 1024.0;
    if ((double)total <= (double)cfg->max_memory * mib && total != SIZE_MAX) {
        double room = (double)cfg->max_memory * mib - (double)total;
        s->paused_room = room < (double)SIZE_MAX / 2 ? (size_t)room : SIZE_MAX / 2;
        return EVO_OK;
    }
    return evo_error_set(err, EVO_ECONFIG,
                         "the search would set aside %.0f MiB, more than run.max_memory = %lld: %d "
                         "threads x %.0f MiB of workspace (search.batch_size up to %zu, search.neurons "
                         "up to %zu, search.hidden_layers up to %zu), %.0f MiB for run.workers = %ld "
                         "trials in flight (search.epochs up to %zu) and %.0f MiB for %s = %ld",
                         (double)total / mib, (long long)cfg->max_memory, s->threads, (double)ws / mib,
                         max_batch, max_width, max_hidden, (double)jobs / mib, cfg->workers,
                         max_epochs_of(cfg), (double)pop / mib, tpe ? "tpe.window" : "ga.population",
                         tpe ? cfg->tpe_window : cfg->population);
}

int evo_search_init(struct evo_search *s, const struct evo_config *cfg, struct evo_error *err)
{
    memset(s, 0, sizeof *s);
    if (evo_kernels_init(err) != EVO_OK) /* before the parallel region: the table is chosen once */
        return EVO_EUSAGE;
    s->cfg = cfg;
    s->save_interval_min = 0.05;
    int rc = evo_problem_load(&s->problem, cfg, err);
    if (rc) {
        evo_search_release(s);
        return rc;
    }
    if (evo_genome_spec_max(&cfg->space.spec[EVO_GENE_CONV_BLOCKS]) > 0 && !s->problem.train.image_h) {
        evo_search_release(s);
        return evo_error_set(err, EVO_ECONFIG, "key 'search.conv_blocks': convolutional blocks need image "
                             "data (IDX files, or CSV with data.image_shape), and '%s' is not; set "
                             "conv_blocks = 0", cfg->train);
    }
    s->threads = cfg->threads > 0 ? (int)cfg->threads : omp_get_num_procs();
    s->workers = (int)cfg->workers;
    evo_runlog_init(&s->log, cfg, &s->problem);
    s->log.threads = s->threads;
    if ((rc = check_memory(s, err))) {
        evo_search_release(s);
        return rc;
    }
    return EVO_OK;
}

void evo_search_release(struct evo_search *s)
{
    evo_strategy_destroy(&s->strategy);
    evo_runlog_release(&s->log);
    evo_problem_release(&s->problem);
    memset(s, 0, sizeof *s);
}

double evo_search_cost(const struct evo_search *s, const struct evo_individual *t)
{
    const struct evo_problem *p = &s->problem;
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    evo_genome_decode(&t->genome, p->train.d, evo_problem_outputs(p), &arch, &tp);
    double macs = 0, params = 0, in = (double)arch.n_in;
    /* conv blocks: each output pixel of each filter costs c k k multiply-adds */
    double h = (double)p->train.image_h, w = (double)p->train.image_w, c = 1;
    for (size_t i = 0; i < arch.conv_blocks && h > 0; i++) {
        double f = (double)arch.filters[i], kk = (double)(arch.kernel_size * arch.kernel_size);
        macs += h * w * f * c * kk;
        params += f * c * kk + f;
        c = f;
        if (arch.pooling == EVO_POOL_MAX) {
            h = floor(h / 2);
            w = floor(w / 2);
        }
        in = c * h * w;
    }
    for (size_t l = 0; l <= arch.n_hidden; l++) {
        double out = l < arch.n_hidden ? (double)arch.hidden[l] : (double)arch.n_out;
        macs += in * out;
        params += in * out + out;
        in = out;
    }
    double epochs = t->budget > 0 ? t->budget - t->from_epoch : tp.epochs;
    double batch = tp.batch_size ? (double)tp.batch_size : 1, trained = 0, validated = 0, steps = 0;
    for (size_t f = 0; f < (p->n_folds ? p->n_folds : 1); f++) { /* cross-validation: every fold's */
        double n = (double)(p->n_folds ? p->fold_train[f].n : p->train.n);
        trained += n;
        validated += (double)(p->n_folds ? p->fold_val[f].n : p->validation.n);
        steps += ceil(n / batch);
    }
    return epochs * (macs * (3.0 * trained + validated) + steps * (8.0 * params + 2000.0));
}

double evo_search_grace(const struct evo_config *cfg)
{
    return fmax(60.0, 0.1 * cfg->time_limit);
}

long evo_search_budget(const struct evo_search *s)
{
    return evo_strategy_budget(s->cfg);
}

int64_t evo_search_epochs(const struct evo_search *s, int64_t *last)
{
    const struct evo_runlog *log = &s->log;
    int64_t epochs = 0, last_id = -1;
    *last = 0;
    for (int pass = 0; pass < 2; pass++) {
        const struct evo_individual *t = pass ? log->in_flight : log->rows;
        size_t n = pass ? log->n_in_flight : log->n_rows;
        for (size_t i = 0; i < n; i++) {
            if (t[i].purpose != EVO_PURPOSE_SEARCH)
                continue;
            int64_t e = t[i].budget - t[i].from_epoch;
            epochs += e;
            if (t[i].id > last_id)
                last_id = t[i].id, *last = e;
        }
    }
    return epochs;
}

long evo_search_done(const struct evo_search *s)
{
    long n = 0;
    for (size_t i = 0; i < s->log.n_rows; i++)
        n += s->log.rows[i].purpose == EVO_PURPOSE_SEARCH;
    return n;
}

/* ---- the run ---- */

/* A paused training (promotion) kept so that its promotion goes on from it rather than from the
 * start. Which are kept changes no result (a promotion without one trains from the start to the same
 * weights), only time: they are kept while they fit s->paused_room, the best ranked first. */
struct paused {
    struct evo_individual row;   /* its logged row */
    struct evo_mlp net;
    struct evo_train_state state;
    size_t bytes;
};

/* Cross-validation: the fold results of one trial in flight, until all K are in (harvest). */
struct fold_acc {
    int64_t id;                        /* the trial, -1 when free */
    size_t in;                         /* folds in */
    double seconds;                    /* their training times, summed */
    struct evo_individual *t;          /* [K] each fold's results */
    int *kept;                         /* [K] each fold's epochs_kept */
    struct evo_epoch_metrics *curve;   /* [K][max epochs] each fold's curve */
};

/* Row id -> index: an open-addressing hash (linear probing, backward-shift deletion), so that finding a
 * kept paused training costs O(1), not a scan of thousands. Keys -1: empty. */
struct id_index {
    int64_t *key;
    size_t *val;
    size_t cap, n;     /* cap: a power of two, or 0 */
};

static size_t id_home(const struct id_index *h, int64_t id)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 20) & (h->cap - 1);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t id_slot(const struct id_index *h, int64_t id)
{
    size_t i = id_home(h, id);
    while (h->key[i] != -1 && h->key[i] != id)
        i = (i + 1) & (h->cap - 1);
    return i;
}

static void id_put(struct id_index *h, int64_t id, size_t v)
{
    if (2 * (h->n + 1) > h->cap) {
        struct id_index g = {NULL, NULL, h->cap ? 2 * h->cap : 64, 0};
        g.key = evo_mem_alloc(evo_mem_mul(g.cap, sizeof *g.key));
        g.val = evo_mem_alloc(evo_mem_mul(g.cap, sizeof *g.val));
        memset(g.key, 0xff, g.cap * sizeof *g.key); /* -1: empty */
        for (size_t i = 0; i < h->cap; i++)
            if (h->key[i] != -1)
                id_put(&g, h->key[i], h->val[i]);
        free(h->key);
        free(h->val);
        *h = g;
    }
    size_t i = id_slot(h, id);
    h->n += h->key[i] == -1;
    h->key[i] = id;
    h->val[i] = v;
}

/* The value of id, or SIZE_MAX. */
static size_t id_get(const struct id_index *h, int64_t id)
{
    if (!h->cap)
        return SIZE_MAX;
    size_t i = id_slot(h, id);
    return h->key[i] == id ? h->val[i] : SIZE_MAX;
}

static void id_erase(struct id_index *h, int64_t id)
{
    size_t i = id_slot(h, id), mask = h->cap - 1;
    if (h->key[i] != id)
        return;
    for (size_t j = (i + 1) & mask; h->key[j] != -1; j = (j + 1) & mask) {
        size_t home = id_home(h, h->key[j]);
        /* the entry at j may move back to i when its home is not cyclically within (i, j] */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            h->key[i] = h->key[j];
            h->val[i] = h->val[j];
            i = j;
        }
    }
    h->key[i] = -1;
    h->n--;
}

/* A trial decided and not yet told to the strategy. */
struct pending {
    struct evo_individual trial;
    double v_end;   /* virtual time it ends */
    int done;       /* its result is in the log */
};

struct run {
    struct evo_search *s;
    struct evo_evaluator ev;
    evo_search_hook hook;
    void *user;
    struct evo_error *err;
    double *free_at;             /* [W] virtual time each virtual worker frees */
    struct pending *pend;        /* [W] at most one per virtual worker */
    size_t n_pend;
    int64_t next_id;
    int64_t replay_end;          /* ids below it were decided by the run being resumed: replayed */
    int asking;                  /* 0 once the budget is spent: the pending are drained */
    int limit_reached;           /* run.time_limit passed: nothing new starts */
    int draining;                /* the queued trials run longest first (longest_first) */
    double grace_end;            /* wall clock after which the trials still running are abandoned */
    double t0, elapsed0;         /* wall clock at the start, log.elapsed then */
    double last_save;
    size_t new_rows;             /* rows logged since the last hook call */
    struct evo_individual *flight; /* [W] scratch for log.in_flight */
    struct evo_individual *lost; /* [W] trials decided whose training the time limit dropped or
                                  * abandoned: still in flight for the file (a resume trains them) */
    size_t n_lost;
    int64_t epochs_decided;      /* the epochs the trials decided so far add (run.max_epochs) */
    struct paused *paused;       /* paused trainings kept for their promotion (promote.h) */
    size_t n_paused, cap_paused;
    struct id_index paused_at;   /* row id -> its index in paused */
    size_t paused_bytes;         /* their memory, at most s->paused_room */
    int search_done;             /* no more search trials: the budget spent, the strategy done, or the
                                  * time limit less the finalists' reserve reached */
    struct evo_finalists fin;    /* the finalists being chosen from the search rows told (finalist.h) */
    int64_t final_first;         /* id of the first finalist run, -1 until the search rows are all told */
    struct paused *final_nets;   /* the finalist runs' networks, for the winner's (row and net used) */
    size_t n_final_nets;
    evo_eval_fn fn;              /* the evaluation and its context, for a network trained again */
    void *ctx;
    struct fold_acc *acc;        /* [W] cross-validation: the folds of a trial collected so far */
    size_t K;                    /* folds per trial (1 without cross-validation) */
};

/* Removes paused[i] (its network already moved out or released): the last takes its place. */
static void paused_remove(struct run *r, size_t i);

static double now(void)
{
    return omp_get_wtime();
}

static int compare_id(const void *pa, const void *pb)
{
    const struct evo_individual *a = pa, *b = pb;
    return (a->id > b->id) - (a->id < b->id);
}

/* 1 while the replay of a restored log has not yet decided again every trial the log records as
 * decided. The strategy then lags behind the log (fewer trials decided and told, fewer generations
 * closed), so the log published from it would contradict its own rows: nothing is published (no save,
 * no stop, no time limit) until the replay caught up. That costs no durability: the replay never waits
 * for a training, since every result it tells was logged before the decisions that follow it. */
static int replaying(const struct run *r)
{
    return r->asking && r->next_id < r->replay_end;
}

/* The log as storage and the hook see it: the trials decided and not finished (in training, waiting,
 * or dropped by the time limit), the strategy's rows and state, the time spent. */
static void sync_log(struct run *r)
{
    struct evo_runlog *log = &r->s->log;
    log->elapsed = r->elapsed0 + (now() - r->t0);
    log->n_gens = evo_strategy_summary(&r->s->strategy, &log->gens);
    size_t k = 0;
    for (size_t i = 0; i < r->n_pend; i++)
        if (!r->pend[i].done)
            r->flight[k++] = r->pend[i].trial;
    for (size_t i = 0; i < r->n_lost; i++)
        r->flight[k++] = r->lost[i];
    qsort(r->flight, k, sizeof *r->flight, compare_id);
    evo_runlog_set_in_flight(log, r->flight, k);
    log->trials_decided = r->next_id;
    evo_strategy_describe(&r->s->strategy, log->strategy_state, sizeof log->strategy_state);
}

/* Syncs the log and calls the hook. Without a hook, progress needs no sync: nobody reads the log
 * before the end. */
static int call_hook(struct run *r, int event)
{
    r->new_rows = 0;
    if (!r->hook && event == EVO_SEARCH_PROGRESS)
        return EVO_OK;
    sync_log(r);
    int rc = r->hook ? r->hook(r->s, event, r->user) : EVO_OK;
    r->last_save = now();
    return rc;
}

/* Nothing more will be decided until the trials queued are done (the budget is spent, or a generation
 * waits for its last results): the threads take the longest first, so that the last to finish is a
 * short one. Results do not change: they are told in virtual-clock order whatever the order of
 * training. */
static void longest_first(struct run *r)
{
    if (r->draining)
        return;
    r->draining = 1;
    for (size_t i = 0; i < r->n_pend; i++)
        if (!r->pend[i].done)
            evo_evaluator_rekey(&r->ev, r->pend[i].trial.id, -evo_search_cost(r->s, &r->pend[i].trial));
}

static struct pending *find_pending(struct run *r, int64_t id)
{
    for (size_t i = 0; i < r->n_pend; i++)
        if (r->pend[i].trial.id == id)
            return &r->pend[i];
    return NULL;
}

static size_t net_bytes(const struct evo_mlp *net)
{
    return sizeof(struct paused) + 5 * net->n_params * sizeof(float);
}

/* Keeps the paused training (net, st) of row t, moving net out, when it fits s->paused_room after
 * dropping the kept ones that rank below it; else releases it. */
static void keep_paused(struct run *r, const struct evo_individual *t, struct evo_mlp *net,
                        const struct evo_train_state *st)
{
    size_t bytes = net_bytes(net), room = r->s->paused_room;
    while (r->paused_bytes + bytes > room && r->n_paused) {
        size_t worst = 0;
        for (size_t i = 1; i < r->n_paused; i++)
            if (evo_trial_better(&r->paused[worst].row, &r->paused[i].row))
                worst = i;
        if (evo_trial_better(&r->paused[worst].row, t))
            break;
        r->paused_bytes -= r->paused[worst].bytes;
        evo_mlp_release(&r->paused[worst].net);
        paused_remove(r, worst);
    }
    if (r->paused_bytes + bytes > room) {
        evo_mlp_release(net);
        return;
    }
    if (r->n_paused == r->cap_paused) {
        r->cap_paused = r->cap_paused ? 2 * r->cap_paused : 16;
        r->paused = evo_mem_realloc(r->paused, evo_mem_mul(r->cap_paused, sizeof *r->paused));
    }
    id_put(&r->paused_at, t->id, r->n_paused);
    struct paused *p = &r->paused[r->n_paused++];
    p->row = *t;
    p->net = *net;
    p->state = *st;
    p->bytes = bytes;
    r->paused_bytes += bytes;
    memset(net, 0, sizeof *net);
}

/* The kept paused training of row id, taken out of the store; NULL when none was kept. */
static struct paused *take_paused(struct run *r, int64_t id, struct paused *out)
{
    size_t i = id_get(&r->paused_at, id);
    if (i == SIZE_MAX)
        return NULL;
    *out = r->paused[i];
    r->paused_bytes -= out->bytes;
    paused_remove(r, i);
    return out;
}

static void paused_remove(struct run *r, size_t i)
{
    id_erase(&r->paused_at, r->paused[i].row.id);
    if (i != --r->n_paused) {
        r->paused[i] = r->paused[r->n_paused];
        id_put(&r->paused_at, r->paused[i].row.id, i);
    }
}

/* Keeps a finalist run's network (moved out of net) until the winner is chosen. */
static void keep_final_net(struct run *r, const struct evo_individual *t, struct evo_mlp *net)
{
    if (!net->slab)
        return;
    r->final_nets = evo_mem_realloc(r->final_nets, evo_mem_mul(r->n_final_nets + 1, sizeof *r->final_nets));
    struct paused *k = &r->final_nets[r->n_final_nets++];
    memset(k, 0, sizeof *k);
    k->row = *t;
    k->net = *net;
    memset(net, 0, sizeof *net);
}

/* Collects a fold's results into its trial's accumulator; once all K folds are in, makes the trial's
 * row (fitness and validation metrics the means over the folds, in fold order; failed when a fold
 * failed, with the first failed fold's status; epochs_run the most a fold ran; training time summed)
 * into *t, logs it with its mean curve (each epoch's mean over the folds that ran it) and its fold
 * rows, and returns 1; else 0. */
static int collect_fold(struct run *r, const struct evo_eval_job *job, struct evo_individual *t)
{
    size_t K = r->K, E = max_epochs_of(r->s->cfg), f = (size_t)job->fold;
    struct fold_acc *a = NULL; /* there are W: at most W trials are in flight */
    for (size_t i = 0; i < (size_t)r->s->workers && !a; i++)
        if (r->acc[i].id == job->trial.id)
            a = &r->acc[i];
    for (size_t i = 0; i < (size_t)r->s->workers && !a; i++)
        if (r->acc[i].id < 0) {
            a = &r->acc[i];
            a->id = job->trial.id;
            a->in = 0;
            a->seconds = 0;
        }
    a->t[f] = job->trial;
    a->kept[f] = job->epochs_kept;
    a->seconds += job->t_end - job->t_start;
    memcpy(a->curve + f * E, job->curve, E * sizeof *job->curve);
    if (++a->in < K)
        return 0;
    double finished_at = t->finished_at;
    *t = a->t[0];
    t->status = EVO_TRAIN_OK;
    t->paused = 1;
    t->epochs_run = 0;
    double sum[EVO_METRIC_COUNT] = {0};
    t->fitness = t->train_loss = 0;
    struct evo_fold_row *rows = evo_mem_alloc(evo_mem_mul(K, sizeof *rows));
    for (size_t k = 0; k < K; k++) {
        const struct evo_individual *x = &a->t[k];
        t->fitness += x->fitness;
        t->train_loss += x->train_loss;
        for (size_t m = 0; m < EVO_METRIC_COUNT; m++)
            sum[m] += evo_metrics_get(&x->val, m);
        if (t->status == EVO_TRAIN_OK && x->status != EVO_TRAIN_OK)
            t->status = x->status;
        t->paused &= x->paused;
        t->epochs_run = x->epochs_run > t->epochs_run ? x->epochs_run : t->epochs_run;
        rows[k] = (struct evo_fold_row){x->id, (int32_t)k, (int8_t)x->status, x->fitness, x->val.loss,
                                        x->epochs_run, a->kept[k]};
    }
    t->fitness /= (double)K;
    t->train_loss /= (double)K;
    for (size_t m = 0; m < EVO_METRIC_COUNT; m++)
        evo_metrics_set(&t->val, m, sum[m] / (double)K);
    if (t->status != EVO_TRAIN_OK)
        t->fitness = evo_trial_failed_fitness(r->s->cfg->fitness);
    t->train_seconds = a->seconds;
    t->finished_at = finished_at;
    struct evo_epoch_metrics *curve = evo_mem_calloc(E ? E : 1, sizeof *curve);
    for (int e = t->from_epoch; e < t->epochs_run; e++) {
        double n = 0;
        for (size_t k = 0; k < K; k++)
            if (a->t[k].epochs_run > e) {
                const struct evo_epoch_metrics *c = &a->curve[k * E + (size_t)e];
                curve[e].train_loss += c->train_loss;
                curve[e].val_loss += c->val_loss;
                curve[e].val_fitness += c->val_fitness;
                n++;
            }
        curve[e].train_loss /= n;
        curve[e].val_loss /= n;
        curve[e].val_fitness /= n;
    }
    evo_runlog_add(&r->s->log, t, curve);
    evo_runlog_add_folds(&r->s->log, rows, K);
    free(curve);
    free(rows);
    a->id = -1;
    return 1;
}

/* Logs every job done: its row and curve, its network offered as the best, a paused training kept. */
static int harvest(struct run *r, double timeout)
{
    struct evo_eval_job *job;
    int got = 0;
    while ((job = evo_evaluator_next_done(&r->ev, got ? 0.0 : timeout))) {
        got = 1;
        if (job->rc) {
            *r->err = job->err;
            int rc = job->rc;
            evo_evaluator_recycle(&r->ev, job);
            return rc;
        }
        struct evo_individual t = job->trial;
        t.train_seconds = job->t_end - job->t_start;
        t.finished_at = r->elapsed0 + (now() - r->t0);
        if (job->fold >= 0) { /* a fold: the trial's row once all its folds are in */
            int all_in = collect_fold(r, job, &t);
            evo_evaluator_recycle(&r->ev, job);
            job = NULL;
            if (!all_in)
                continue;
            struct evo_mlp none; /* the folds' networks are not kept: the best is trained at the end */
            memset(&none, 0, sizeof none);
            evo_runlog_offer_best(&r->s->log, &t, &none);
        } else {
            evo_runlog_add(&r->s->log, &t, job->curve);
            if (t.purpose == EVO_PURPOSE_FINALIST) {
                keep_final_net(r, &t, &job->net);
            } else if (t.paused && job->net.slab && job->training.epoch >= 0) {
                /* (a training state of epoch -1 cannot go on: MPI's remote trainings) */
                if (evo_runlog_ranks_best(&r->s->log, &t)) { /* the best takes a copy: the training goes on */
                    struct evo_mlp copy;
                    evo_mlp_clone(&copy, &job->net);
                    evo_runlog_offer_best(&r->s->log, &t, &copy);
                    evo_mlp_release(&copy);
                }
                keep_paused(r, &t, &job->net, &job->training);
            } else {
                evo_runlog_offer_best(&r->s->log, &t, &job->net);
            }
        }
        struct pending *p = find_pending(r, t.id);
        if (p)
            p->done = 1;
        r->new_rows++;
        r->s->evaluated++;
        if (job)
            evo_evaluator_recycle(&r->ev, job);
    }
    return EVO_OK;
}

static int stop_requested(const struct evo_search *s)
{
    return s->stop && *s->stop;
}

/* The pending trial that ends first in virtual time (then lowest id), or NULL. */
static struct pending *first_pending(struct run *r)
{
    struct pending *best = NULL;
    for (size_t i = 0; i < r->n_pend; i++) {
        struct pending *p = &r->pend[i];
        if (!best || p->v_end < best->v_end || (p->v_end == best->v_end && p->trial.id < best->trial.id))
            best = p;
    }
    return best;
}

static int same_trial(const struct evo_individual *a, const struct evo_individual *b)
{
    if (a->parent_a != b->parent_a || a->parent_b != b->parent_b || a->generation != b->generation ||
        a->rung != b->rung || a->budget != b->budget || a->origin != b->origin || a->purpose != b->purpose)
        return 0;
    for (int g = 0; g < EVO_GENE_COUNT; g++)
        if (evo_genome_active(&a->genome, g) != evo_genome_active(&b->genome, g) ||
            (evo_genome_active(&a->genome, g) && a->genome.g[g] != b->genome.g[g]))
            return 0;
    return 1;
}

/* The search's trials are all decided: with finalists, the worker idles until every search trial was
 * told, then the finalists are chosen (finalist.h) and their runs follow as trials of their own. Fills
 * *trial with the next finalist run and returns 1; 0 when there is none to decide now. */
static int next_finalist(struct run *r, size_t w, struct evo_individual *trial)
{
    if (r->final_first < 0) {
        if (!r->s->cfg->finalists) {
            r->asking = 0;
            longest_first(r);
            return 0;
        }
        if (r->n_pend) {
            longest_first(r);
            r->free_at[w] = first_pending(r)->v_end; /* the worker idles until the next result */
            return 0;
        }
        r->final_first = r->next_id;
    }
    size_t j = (size_t)(r->next_id - r->final_first);
    if (j >= evo_finalists_runs(&r->fin)) {
        r->asking = 0;
        longest_first(r);
        return 0;
    }
    evo_finalists_trial(&r->fin, j, trial);
    return 1;
}

/* Decides the next trial on virtual worker w at virtual time t. Returns EVO_OK or an error. */
static int decide(struct run *r, size_t w, double t)
{
    struct evo_search *s = r->s;
    const struct evo_config *cfg = s->cfg;
    struct evo_individual trial;
    memset(&trial, 0, sizeof trial);
    trial.id = r->next_id;
    if (!r->search_done && (r->next_id >= evo_search_budget(s) ||
                            (cfg->max_epochs > 0 && r->epochs_decided >= cfg->max_epochs)))
        r->search_done = 1;
    if (!r->search_done) {
        trial.origin = trial.id;
        trial.purpose = EVO_PURPOSE_SEARCH;
        int a = evo_strategy_ask(&s->strategy, &trial);
        if (a == EVO_ASK_DONE)
            r->search_done = 1;
        if (a == EVO_ASK_WAIT) {
            longest_first(r);
            struct pending *p = first_pending(r);
            if (!p)
                return evo_error_set(r->err, EVO_EUSAGE, "strategy %s waits with no trial in flight",
                                     s->strategy.ops->name);
            r->free_at[w] = p->v_end; /* the worker idles until the next result */
            return EVO_OK;
        }
    }
    if (r->search_done && !next_finalist(r, w, &trial))
        return EVO_OK;
    r->next_id++;
    r->draining = 0;
    evo_trial_clear_results(&trial);
    if (trial.budget == 0)
        trial.budget = (int32_t)trial.genome.g[EVO_GENE_EPOCHS];
    if (trial.budget <= trial.from_epoch || trial.budget > (int32_t)trial.genome.g[EVO_GENE_EPOCHS])
        return evo_error_set(r->err, EVO_EUSAGE, "trial %lld: a budget of %d epochs outside (%d, %d], the "
                             "epochs it had and its epochs gene", (long long)trial.id, trial.budget,
                             trial.from_epoch, (int)trial.genome.g[EVO_GENE_EPOCHS]);
    if (trial.purpose == EVO_PURPOSE_SEARCH)
        r->epochs_decided += trial.budget - trial.from_epoch;
    double v_end = t + evo_search_cost(s, &trial);
    r->free_at[w] = v_end;
    struct pending *p = &r->pend[r->n_pend++];
    p->trial = trial;
    p->v_end = v_end;
    p->done = 0;
    const struct evo_individual *row = evo_runlog_find(&s->log, trial.id);
    if (row && row->purpose == EVO_PURPOSE_FINALIST && trial.purpose == EVO_PURPOSE_SEARCH) {
        /* a resume that extends a run: the finalists its smaller budget chose leave the log, and
         * are chosen again when this budget is spent */
        evo_runlog_truncate(&s->log, trial.id);
        r->replay_end = trial.id;
        row = NULL;
    }
    if (row) { /* replayed: its result is logged */
        if (!same_trial(row, &trial))
            return evo_error_set(r->err, EVO_EDATA, "trial %lld of the results file is not the one its "
                                 "configuration decides again (a changed configuration or a damaged "
                                 "file): it cannot be resumed", (long long)trial.id);
        p->done = 1;
        return EVO_OK;
    }
    struct paused kept, *from = trial.rung > 0 ? take_paused(r, trial.parent_a, &kept) : NULL;
    s->resumed += from != NULL;
    if (s->problem.n_folds) { /* cross-validation: a job per fold (no paused training is kept) */
        for (size_t f = 0; f < r->K; f++)
            if (!evo_evaluator_submit(&r->ev, &trial, (int)f, v_end, NULL, NULL))
                return evo_error_set(r->err, EVO_EUSAGE, "no evaluator slot for trial %lld", (long long)trial.id);
        return EVO_OK;
    }
    struct evo_mlp *net = from ? &from->net : NULL;
    if (!evo_evaluator_submit(&r->ev, &trial, EVO_FOLD_NONE, v_end, net, from ? &from->state : NULL)) {
        if (from)
            evo_mlp_release(&from->net);
        return evo_error_set(r->err, EVO_EUSAGE, "no evaluator slot for trial %lld", (long long)trial.id);
    }
    return EVO_OK;
}

/* Trains trial t on `fold` (evaluator.h) on the coordinator's thread, once the pool is gone: its
 * network into *net and its results into *out. */
static int train_alone(struct run *r, const struct evo_individual *t, int fold, struct evo_mlp *net,
                       struct evo_individual *out)
{
    struct evo_eval_job job;
    memset(&job, 0, sizeof job);
    job.trial = *t;
    job.fold = fold;
    job.curve = evo_mem_calloc(max_epochs_of(r->s->cfg) + 1, sizeof *job.curve);
    int rc = r->fn(r->ctx, 0, &job, r->err);
    free(job.curve);
    *net = job.net;
    *out = job.trial;
    return rc;
}

/* Trains row t's network again (deterministic: the weights it had) and checks that it scores as
 * logged. */
static int retrain(struct run *r, const struct evo_individual *t, struct evo_mlp *net)
{
    struct evo_individual again;
    int rc = train_alone(r, t, EVO_FOLD_NONE, net, &again);
    if (!rc && memcmp(&again.fitness, &t->fitness, sizeof t->fitness)) {
        evo_mlp_release(net);
        return evo_error_set(r->err, EVO_EDATA, "network %lld trained again scores %.17g, not the %.17g "
                             "logged: the results file does not come from this configuration and machine's "
                             "kernels", (long long)t->id, again.fitness, t->fitness);
    }
    return rc;
}

/* Cross-validation: the network of row t trained once more on the whole pool, early stopping off, for
 * the mean over t's folds of the epochs each fold's network kept (rounded; within t's budget). */
static int final_network(struct run *r, const struct evo_individual *t, struct evo_mlp *net)
{
    size_t n;
    const struct evo_fold_row *folds = evo_runlog_folds(&r->s->log, t->id, &n);
    double kept = 0;
    for (size_t k = 0; k < n; k++)
        kept += folds[k].epochs_kept;
    int epochs = n ? (int)floor(kept / (double)n + 0.5) : t->budget;
    epochs = epochs < 1 ? 1 : epochs > t->budget ? t->budget : epochs;
    struct evo_individual final = *t, result;
    final.genome.g[EVO_GENE_EARLY_STOPPING] = 0; /* off: no held-out rows to stop on */
    final.budget = epochs;
    final.from_epoch = 0;
    r->s->log.final_epochs = epochs;
    return train_alone(r, &final, EVO_FOLD_ALL, net, &result);
}

/* With finalists: the winner's run closest to its mean becomes the best (its network kept by harvest,
 * or trained again after a resume); without a finalist run that trained, the best search row. With
 * cross-validation the best's network is trained on the whole pool (final_network). */
static int choose_winner(struct run *r)
{
    struct evo_runlog *log = &r->s->log;
    int cv = r->s->problem.n_folds > 0;
    if (!r->s->cfg->finalists && !cv)
        return EVO_OK;
    struct evo_finalist *fs;
    size_t k = evo_finalists_summarize(log->rows, log->n_rows, &fs);
    const struct evo_individual *win = NULL;
    for (size_t i = 0; i < k && !win; i++)
        if (fs[i].chosen >= 0)
            win = evo_runlog_find(log, fs[i].chosen);
    free(fs);
    if (!win) /* no finalist trained: the best search row */
        win = evo_runlog_best_row(log, EVO_PURPOSE_SEARCH);
    if (!win || (!cv && log->has_best && log->best.id == win->id && log->best_net.n_params))
        return EVO_OK;
    struct evo_mlp net;
    memset(&net, 0, sizeof net);
    if (cv) {
        int rc = final_network(r, win, &net);
        if (!rc)
            evo_runlog_set_best(log, win, &net);
        evo_mlp_release(&net);
        return rc;
    }
    for (size_t i = 0; i < r->n_final_nets && !net.slab; i++)
        if (r->final_nets[i].row.id == win->id) {
            net = r->final_nets[i].net;
            memset(&r->final_nets[i].net, 0, sizeof net);
        }
    if (!net.slab) {
        int rc = retrain(r, win, &net);
        if (rc)
            return rc;
    }
    evo_runlog_set_best(log, win, &net);
    evo_mlp_release(&net);
    return EVO_OK;
}

static void score_test(struct evo_search *s)
{
    struct evo_runlog *log = &s->log;
    if (!log->has_best || !log->best_net.n_params)
        return; /* an evaluation that trains nothing (tests, the scheduler benchmark) */
    const struct evo_dataset *test = evo_problem_test(&s->problem);
    struct evo_trainer tr; /* one worker's workspace, sized as the training threads' */
    evo_trainer_init(&tr, s->cfg, &s->problem, 1);
    struct evo_mlp_workspace *ws = &tr.ws[0];
    size_t n = test->n, C = (size_t)test->n_classes;
    evo_mlp_evaluate(&log->best_net, ws, test, &log->test_metrics);
    if (!test->target) {
        float *probs = evo_mem_alloc(evo_mem_mul(evo_mem_mul(n ? n : 1, C), sizeof(float)));
        int32_t *classes = evo_mem_alloc(evo_mem_mul(n ? n : 1, sizeof(int32_t)));
        evo_predict_data(&log->best_net, ws, test, probs, classes);
        free(log->confusion);
        log->confusion = evo_mem_alloc(evo_mem_mul(evo_mem_mul(C, C), sizeof *log->confusion));
        log->test_metrics.accuracy = evo_predict_confusion(log->confusion, test->y, classes, n, (int)C);
        free(probs);
        free(classes);
    }
    evo_trainer_release(&tr);
}

/* Forgets the pending trials whose results will not come: those the evaluator no longer holds
 * (dropped or abandoned). A resume decides them again, identically. */
static void forget_lost(struct run *r)
{
    for (size_t i = r->n_pend; i-- > 0;)
        if (!r->pend[i].done && !evo_evaluator_pending(&r->ev, r->pend[i].trial.id)) {
            for (size_t k = 0; r->acc && k < (size_t)r->s->workers; k++) /* its folds in so far */
                if (r->acc[k].id == r->pend[i].trial.id)
                    r->acc[k].id = -1;
            r->lost[r->n_lost++] = r->pend[i].trial;
            r->pend[i] = r->pend[--r->n_pend];
        }
}

/* run.time_limit: once the running time reaches it, nothing new starts (the trials decided and not
 * started are dropped); the grace period counts from the limit, after which the trials still running
 * are abandoned (they stop at their next epoch). Returns EVO_OK or harvest's error. */
static int check_time(struct run *r)
{
    const struct evo_config *cfg = r->s->cfg;
    if (cfg->time_limit <= 0)
        return EVO_OK;
    double left = cfg->time_limit - r->elapsed0; /* at t0 */
    if (!r->search_done && r->final_first < 0 &&
        now() - r->t0 >= left - evo_finalists_reserve(&r->fin, r->s->threads, r->n_pend))
        r->search_done = 1; /* the finalists' time is kept back: no new search trial */
    if (!r->limit_reached && now() - r->t0 >= left) {
        r->limit_reached = 1;
        r->s->log.time_up = 1;
        r->search_done = 1;
        r->asking = cfg->finalists > 0; /* the finalists still run (within the grace period) */
        r->grace_end = r->t0 + fmax(left, 0.0) + evo_search_grace(cfg);
        if (r->final_first < 0) { /* search trials not started are dropped */
            evo_evaluator_drop_queued(&r->ev);
            forget_lost(r);
        }
    }
    if (r->limit_reached && r->grace_end > 0 && now() > r->grace_end) {
        int rc = harvest(r, 0.0); /* what finished meanwhile is kept */
        if (rc)
            return rc;
        evo_evaluator_abandon(&r->ev);
        forget_lost(r);
        r->grace_end = 0;
    }
    return EVO_OK;
}

/* A stop request: trials in training are abandoned, the log published by the hook. */
static int stop_now(struct run *r)
{
    evo_evaluator_abandon(&r->ev);
    r->s->log.stopped = 1;
    return call_hook(r, EVO_SEARCH_STOPPED);
}

/* Publishes the results that came in, at most once per save interval. */
static int maybe_save(struct run *r)
{
    const struct evo_search *s = r->s;
    if (r->new_rows &&
        (s->save_interval_min <= 0 || now() - r->last_save >= s->save_interval_min))
        return call_hook(r, EVO_SEARCH_PROGRESS);
    return EVO_OK;
}

/* The coordinator: runs on the evaluator's thread 0 (evo_evaluator_run). While replaying a resumed
 * run, stops, saves and the time limit wait (replaying says why). */
static int coordinate(void *arg)
{
    struct run *r = arg;
    struct evo_search *s = r->s;
    size_t W = (size_t)s->workers;
    int rc = EVO_OK;
    for (;;) {
        if ((rc = harvest(r, 0.0)))
            break;
        if (!replaying(r)) {
            if (stop_requested(s))
                return stop_now(r);
            if ((rc = maybe_save(r)) || (rc = check_time(r)))
                break;
        }
        size_t w = 0;
        for (size_t i = 1; i < W; i++)
            if (r->free_at[i] < r->free_at[w])
                w = i;
        double t = r->free_at[w];
        struct pending *p = first_pending(r);
        if (p && (p->v_end <= t || !r->asking)) {
            if (!p->done) { /* the virtual clock needs this result: wait for it */
                if ((rc = harvest(r, 0.05)))
                    break;
                continue;
            }
            /* the results logged, the genome as decided: a stored row shows the genes its network
             * does not use as placeholders, but breeding goes on from every value */
            struct evo_individual told = *evo_runlog_find(&s->log, p->trial.id);
            told.genome = p->trial.genome;
            if (told.purpose == EVO_PURPOSE_SEARCH) {
                evo_strategy_tell(&s->strategy, &told);
                evo_finalists_offer(&r->fin, &told);
            }
            *p = r->pend[--r->n_pend];
            continue;
        }
        if (!r->asking)
            break; /* nothing pending, nothing more to ask */
        if ((rc = decide(r, w, t)))
            break;
    }
    if (rc)
        evo_evaluator_abandon(&r->ev);
    return rc;
}

/* A resume's budget must cover every trial its file holds: results arrive out of id order, so a file
 * can hold ids (and generations) beyond the count of its rows. */
static int check_budget_covers_log(const struct evo_search *s, struct evo_error *err)
{
    const struct evo_runlog *log = &s->log;
    long budget = evo_search_budget(s);
    if (s->cfg->max_epochs > 0) {
        /* the trial of the highest id was decided: the epochs of those before it were below the budget */
        int64_t last_epochs = 0, epochs = evo_search_epochs(s, &last_epochs);
        if (epochs - last_epochs >= s->cfg->max_epochs)
            return evo_error_set(err, EVO_ECONFIG, "run.max_epochs = %lld: the results file already holds trials "
                                 "decided with %lld epochs before its last, so more than that is needed",
                                 (long long)s->cfg->max_epochs, (long long)(epochs - last_epochs));
    }
    size_t n = log->n_rows; /* the last search row: finalists come after the budget */
    while (n && log->rows[n - 1].purpose != EVO_PURPOSE_SEARCH)
        n--;
    if (!n || log->rows[n - 1].id < budget)
        return EVO_OK;
    const struct evo_individual *last = &log->rows[n - 1];
    if (s->cfg->strategy == EVO_STRATEGY_GENERATIONAL)
        return evo_error_set(err, EVO_ECONFIG, "ga.generations = %ld (--generations): the results file already "
                             "holds networks of generation %d (counted from 0), so at least %d are needed",
                             s->cfg->generations, last->generation, last->generation + 1);
    return evo_error_set(err, EVO_ECONFIG, "run.max_trials = %ld (--max-trials): the results file already holds "
                         "network %lld (results arrive out of order), so at least %lld are needed",
                         s->cfg->max_trials, (long long)last->id, (long long)last->id + 1);
}

int evo_search_run(struct evo_search *s, evo_search_hook hook, void *user, struct evo_error *err)
{
    const struct evo_config *cfg = s->cfg;
    size_t W = (size_t)s->workers;
    int rc = check_budget_covers_log(s, err);
    if (rc)
        return rc;
    struct evo_trainer trainer = {0};
    evo_eval_fn fn = s->eval;
    void *ctx = s->eval_ctx;
    if (!fn) {
        evo_trainer_init(&trainer, cfg, &s->problem, s->threads);
        fn = evo_evaluator_train;
        ctx = &trainer;
    }
    struct run r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.hook = hook;
    r.user = user;
    r.err = err;
    r.free_at = evo_mem_calloc(W, sizeof *r.free_at);
    r.pend = evo_mem_calloc(W, sizeof *r.pend);
    r.flight = evo_mem_calloc(2 * W, sizeof *r.flight);
    r.lost = evo_mem_calloc(W, sizeof *r.lost);
    r.asking = 1;
    r.replay_end = s->log.trials_decided;
    r.t0 = now();
    r.elapsed0 = s->log.elapsed;
    r.last_save = -INFINITY;
    r.fn = fn;
    r.ctx = ctx;
    r.final_first = -1;
    r.K = s->problem.n_folds ? s->problem.n_folds : 1;
    if (s->problem.n_folds) {
        size_t E = max_epochs_of(cfg);
        r.acc = evo_mem_calloc(W, sizeof *r.acc);
        for (size_t i = 0; i < W; i++) {
            r.acc[i].id = -1;
            r.acc[i].t = evo_mem_calloc(r.K, sizeof *r.acc[i].t);
            r.acc[i].kept = evo_mem_calloc(r.K, sizeof *r.acc[i].kept);
            r.acc[i].curve = evo_mem_calloc(evo_mem_mul(r.K, E), sizeof *r.acc[i].curve);
        }
    }
    evo_finalists_init(&r.fin, cfg);
    evo_evaluator_init(&r.ev, s->threads, evo_mem_mul(W, r.K), max_epochs_of(cfg), fn, ctx);
    evo_strategy_destroy(&s->strategy);
    evo_promote_create(&s->strategy, cfg);
    s->log.stopped = 0;
    s->log.time_up = 0;
    s->evaluated = 0;
    s->resumed = 0;

    rc = evo_evaluator_run(&r.ev, coordinate, &r);
    s->busy_seconds = r.ev.busy_seconds;
    s->run_seconds = now() - r.t0;
    if (!rc && !s->log.stopped)
        rc = choose_winner(&r);
    if (!rc && !s->log.stopped) {
        /* the only use of the test split: scoring the final best once */
        score_test(s);
        if (s->test_rescore)
            score_test(s);
        s->log.finished = 1;
        rc = call_hook(&r, EVO_SEARCH_FINISHED);
    } else {
        sync_log(&r);
    }
    evo_evaluator_release(&r.ev);
    if (!s->eval)
        evo_trainer_release(&trainer);
    for (size_t i = 0; i < r.n_paused; i++)
        evo_mlp_release(&r.paused[i].net);
    free(r.paused);
    free(r.paused_at.key);
    free(r.paused_at.val);
    for (size_t i = 0; i < r.n_final_nets; i++)
        evo_mlp_release(&r.final_nets[i].net);
    free(r.final_nets);
    evo_finalists_release(&r.fin);
    for (size_t i = 0; r.acc && i < W; i++) {
        free(r.acc[i].t);
        free(r.acc[i].kept);
        free(r.acc[i].curve);
    }
    free(r.acc);
    free(r.free_at);
    free(r.pend);
    free(r.flight);
    free(r.lost);
    return rc;
}
