/* The genetic algorithm: random initial population, tournament selection, uniform crossover,
 * mutation, elitism; individuals trained in parallel by one OpenMP region (workers take members,
 * the main thread coordinates and checkpoints through the hook) and reduced in index order.
 * Also owns the data preparation of a search (load, split, standardise). */
#include "evotune/ga.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "evotune/mem.h"
#include "evotune/predict.h"

static int load_split(struct evo_ga *ga, const struct evo_config *cfg, struct evo_error *err)
{
    struct evo_dataset all = {0}, test = {0};
    int regression = cfg->task == EVO_TASK_REGRESSION;
    int rc = evo_data_load(&all, cfg->train, cfg->train_labels, cfg->label, err);
    if (!rc && regression)
        rc = evo_data_to_regression(&all, cfg->train, err);
    if (!rc)
        ga->data_hash = evo_data_hash(&all);
    if (!rc && cfg->image_shape[0]) {
        size_t h = (size_t)cfg->image_shape[0], w = (size_t)cfg->image_shape[1];
        if (h * w != all.d || (all.image_h && (all.image_h != h || all.image_w != w)))
            rc = evo_error_set(err, EVO_ECONFIG, "data.image_shape [%zu, %zu] does not fit '%s' (%zu "
                               "features)", h, w, cfg->train, all.d);
        all.image_h = h;
        all.image_w = w;
    }
    if (!rc && cfg->test) {
        rc = evo_data_load(&test, cfg->test, cfg->test_labels, cfg->label, err);
        if (!rc && regression)
            rc = evo_data_to_regression(&test, cfg->test, err);
        if (!rc)
            ga->test_data_hash = evo_data_hash(&test);
        if (!rc)
            rc = evo_data_align(&test, &all, cfg->test, err);
    }
    if (!rc) {
        /* with a separate test file, the training file gives train and validation only */
        rc = evo_data_split(&all, cfg->validation_fraction, cfg->test ? 0.0 : cfg->test_fraction,
                            (uint64_t)cfg->seed, &ga->train, &ga->validation,
                            cfg->test ? NULL : &ga->test, err);
        if (rc)
            evo_error_prefix(err, "%s", cfg->train);
    }
    if (!rc && cfg->test)
        ga->test = test;
    else
        evo_data_release(&test);
    evo_data_release(&all);
    return rc;
}

/* Outputs of every network of the search: one per class, or one value for regression. */
static size_t n_outputs(const struct evo_ga *ga)
{
    return ga->train.target ? 1 : (size_t)ga->train.n_classes;
}

/* Bytes the population's buffers take per member: population and ranked rows, a network handle, an
 * error record, a status code, a member state and the learning curve (evo_ga_init, evo_ga_run). */
static size_t member_bytes(size_t max_epochs)
{
    size_t fixed = 2 * sizeof(struct evo_individual) + sizeof(struct evo_mlp) + sizeof(struct evo_error) +
                   sizeof(int) + sizeof(uint8_t);
    return evo_mem_add(fixed, evo_mem_mul(max_epochs, sizeof(struct evo_epoch_metrics)));
}

/* Refuses, before anything large is allocated, a search whose workspaces and population buffers
 * would exceed run.max_memory: both grow with user-given numbers (batch size x width x depth per
 * thread, population x epochs), and an absurd product must end in a message, not an abort. */
static int check_memory(const struct evo_ga *ga, const struct evo_config *cfg, struct evo_error *err)
{
    size_t max_hidden, max_width, max_batch;
    evo_genome_space_limits(&cfg->space, &max_hidden, &max_width, &max_batch);
    size_t ws = evo_mlp_workspace_bytes(ga->train.d, n_outputs(ga), max_hidden, max_width, max_batch,
                                        ga->train.n);
    size_t threads = evo_mem_mul((size_t)ga->threads, ws);
    size_t pop = evo_mem_mul((size_t)cfg->population, member_bytes(ga->max_epochs));
    size_t total = evo_mem_add(threads, pop);
    double mib = 1024.0 * 1024.0;
    if ((double)total <= (double)cfg->max_memory * mib && total != SIZE_MAX)
        return EVO_OK;
    return evo_error_set(err, EVO_ECONFIG,
                         "the search would set aside %.0f MiB, more than run.max_memory = %lld: %d "
                         "threads x %.0f MiB of workspace (search.batch_size up to %zu, search.neurons "
                         "up to %zu, search.hidden_layers up to %zu) and %.0f MiB for ga.population = "
                         "%ld (search.epochs up to %zu)",
                         (double)total / mib, (long long)cfg->max_memory, ga->threads, (double)ws / mib,
                         max_batch, max_width, max_hidden, (double)pop / mib, cfg->population,
                         ga->max_epochs);
}

int evo_ga_init(struct evo_ga *ga, const struct evo_config *cfg, struct evo_error *err)
{
    memset(ga, 0, sizeof *ga);
    if (evo_kernels_init(err) != EVO_OK) /* before the parallel region: the table is chosen once */
        return EVO_EUSAGE;
    ga->cfg = cfg;
    evo_metrics_nan(&ga->test_metrics);
    int rc = load_split(ga, cfg, err);
    if (rc) {
        evo_ga_release(ga);
        return rc;
    }
    size_t d = ga->train.d;
    ga->feature_mean = evo_mem_calloc(d, sizeof(float));
    ga->feature_std = evo_mem_alloc(evo_mem_mul(d, sizeof(float)));
    if (cfg->standardize)
        evo_data_standardize(&ga->train, &ga->validation, &ga->test, ga->feature_mean, ga->feature_std);
    else
        for (size_t j = 0; j < d; j++)
            ga->feature_std[j] = 1.0f;
    ga->target_mean = 0.0;
    ga->target_std = 1.0;
    if (ga->train.target && cfg->standardize) {
        /* The data keep their targets; the networks learn (t - mean) / std and undo it in their
         * output, so that every metric is in the targets' units. */
        double sum = 0.0, ss = 0.0;
        size_t n = ga->train.n;
        for (size_t i = 0; i < n; i++)
            sum += ga->train.target[i];
        ga->target_mean = sum / (double)n;
        for (size_t i = 0; i < n; i++)
            ss += (ga->train.target[i] - ga->target_mean) * (ga->train.target[i] - ga->target_mean);
        ga->target_std = ss > 0 ? sqrt(ss / (double)n) : 1.0;
    }
    ga->threads = cfg->threads > 0 ? (int)cfg->threads : omp_get_num_procs();
    ga->max_epochs = (size_t)evo_genome_spec_max(&cfg->space.spec[EVO_GENE_EPOCHS]);
    if ((rc = check_memory(ga, cfg, err))) {
        evo_ga_release(ga);
        return rc;
    }
    ga->population = evo_mem_calloc((size_t)cfg->population, sizeof *ga->population);
    ga->member_state = evo_mem_calloc((size_t)cfg->population, sizeof *ga->member_state);
    ga->member_curves = evo_mem_alloc(evo_mem_mul(evo_mem_mul((size_t)cfg->population, ga->max_epochs),
                                                  sizeof *ga->member_curves));
    ga->population_generation = -1;
    ga->save_interval_min = 0.05;
    return EVO_OK;
}

void evo_ga_release(struct evo_ga *ga)
{
    evo_data_release(&ga->train);
    evo_data_release(&ga->validation);
    evo_data_release(&ga->test);
    free(ga->feature_mean);
    free(ga->feature_std);
    free(ga->rows);
    free(ga->curves);
    free(ga->member_curves);
    free(ga->gens);
    free(ga->population);
    free(ga->member_state);
    evo_mlp_release(&ga->best_net);
    free(ga->confusion);
    memset(ga, 0, sizeof *ga);
}

double evo_ga_failed_fitness(int f)
{
    return f == EVO_FITNESS_ACCURACY || f == EVO_FITNESS_MACRO_F1 ? 0.0 : -INFINITY;
}

int evo_ga_better(const struct evo_individual *a, const struct evo_individual *b)
{
    int ok_a = a->status == EVO_TRAIN_OK, ok_b = b->status == EVO_TRAIN_OK;
    if (ok_a != ok_b)
        return ok_a;
    if (a->fitness != b->fitness)
        return a->fitness > b->fitness;
    return a->id < b->id;
}

static int compare_rank(const void *pa, const void *pb)
{
    const struct evo_individual *a = pa, *b = pb;
    return evo_ga_better(a, b) ? -1 : evo_ga_better(b, a) ? 1 : 0;
}

static size_t tournament(const struct evo_individual *pop, size_t n, long k, struct evo_rng *rng)
{
    size_t best = (size_t)evo_rng_below(rng, n);
    for (long j = 1; j < k; j++) {
        size_t c = (size_t)evo_rng_below(rng, n);
        if (evo_ga_better(&pop[c], &pop[best]))
            best = c;
    }
    return best;
}

/* Fills next[first..n) with children of the ranked previous population. */
static void breed(const struct evo_config *cfg, int gen, const struct evo_individual *prev,
                  struct evo_individual *next, size_t first, size_t n)
{
    for (size_t i = first; i < n; i++) {
        struct evo_rng rng;
        evo_rng_seed(&rng, (uint64_t)cfg->seed, (uint64_t)gen, i, EVO_RNG_BREED);
        const struct evo_individual *a = &prev[tournament(prev, n, cfg->tournament, &rng)];
        const struct evo_individual *b = &prev[tournament(prev, n, cfg->tournament, &rng)];
        struct evo_individual *c = &next[i];
        memset(c, 0, sizeof *c);
        c->parent_a = a->id;
        c->parent_b = -1;
        if (evo_rng_uniform(&rng) < cfg->crossover) {
            evo_genome_crossover(&c->genome, &a->genome, &b->genome, &rng);
            c->parent_b = b->id;
        } else {
            c->genome = a->genome;
        }
        evo_genome_mutate(&c->genome, &cfg->space, cfg->mutation, &rng);
    }
}

/* Trains one individual into net; runs inside the parallel region, touching only its arguments. */
static int train_one(const struct evo_ga *ga, int gen, size_t i, struct evo_individual *ind,
                     struct evo_mlp *net, struct evo_mlp_workspace *ws, struct evo_error *err)
{
    double t0 = omp_get_wtime();
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    int regression = ga->train.target != NULL;
    evo_genome_decode(&ind->genome, ga->train.d, n_outputs(ga), &arch, &tp);
    arch.regression = regression;
    arch.target_mean = ga->target_mean;
    arch.target_std = ga->target_std;
    tp.fitness = ga->cfg->fitness;
    struct evo_rng rng;
    evo_rng_seed(&rng, (uint64_t)ga->cfg->seed, (uint64_t)gen, i, EVO_RNG_TRAIN);
    struct evo_train_result res = {0};
    size_t n_params, bytes;
    int rc = evo_mlp_size(&arch, &n_params, &bytes, err);
    if (!rc && n_params > (uint64_t)ga->cfg->max_params) {
        /* refused before anything is allocated; it ranks with the diverged */
        ind->status = EVO_TRAIN_TOO_LARGE;
        ind->train_loss = ind->val_loss = ind->val_accuracy = NAN;
        ind->val_macro_f1 = ind->val_log_loss = ind->val_rmse = ind->val_mae = ind->val_r2 = NAN;
        ind->epochs_run = 0;
        ind->fitness = evo_ga_failed_fitness(tp.fitness);
        ind->train_seconds = omp_get_wtime() - t0;
        return EVO_OK;
    }
    if (!rc)
        rc = evo_mlp_init(net, &arch, &rng, err);
    /* member i's slot: no other thread touches it while i is pending */
    tp.curve = ga->member_curves + i * ga->max_epochs;
    tp.feature_mean = ga->feature_mean; /* augmentation resamples in raw pixel units */
    tp.feature_std = ga->feature_std;
    if (!rc)
        rc = evo_mlp_train(net, ws, &tp, &ga->train, &ga->validation, &rng, &res, err);
    ind->status = res.status;
    ind->train_loss = res.train_loss;
    ind->epochs_run = res.epochs_run;
    ind->val_loss = res.val.loss;
    ind->val_accuracy = res.val.accuracy;
    ind->val_macro_f1 = res.val.macro_f1;
    ind->val_log_loss = res.val.log_loss;
    ind->val_rmse = res.val.rmse;
    ind->val_mae = res.val.mae;
    ind->val_r2 = res.val.r2;
    ind->fitness = res.status == EVO_TRAIN_OK ? evo_metrics_fitness(&res.val, tp.fitness)
                                              : evo_ga_failed_fitness(tp.fitness);
    ind->train_seconds = omp_get_wtime() - t0;
    return rc;
}

void evo_ga_append_row(struct evo_ga *ga, const struct evo_individual *ind)
{
    if (ga->n_rows == ga->cap_rows) {
        ga->cap_rows = ga->cap_rows ? 2 * ga->cap_rows : 64;
        ga->rows = evo_mem_realloc(ga->rows, evo_mem_mul(ga->cap_rows, sizeof *ga->rows));
    }
    ga->rows[ga->n_rows++] = *ind;
}

void evo_ga_reserve_curves(struct evo_ga *ga, size_t n)
{
    if (ga->n_curves + n <= ga->cap_curves)
        return;
    size_t cap = ga->cap_curves ? 2 * ga->cap_curves : 256;
    while (cap < ga->n_curves + n)
        cap *= 2;
    ga->curves = evo_mem_realloc(ga->curves, evo_mem_mul(cap, sizeof *ga->curves));
    ga->cap_curves = cap;
}

void evo_ga_append_curve(struct evo_ga *ga, int64_t id, const struct evo_epoch_metrics *curve, size_t n)
{
    evo_ga_reserve_curves(ga, n);
    for (size_t e = 0; e < n; e++)
        ga->curves[ga->n_curves++] = (struct evo_curve_row){id, (int32_t)e, curve[e].train_loss,
                                                            curve[e].val_loss, curve[e].val_fitness};
}

static void generation_stats(struct evo_generation *st, const struct evo_individual *pop, size_t n)
{
    double best = -INFINITY, sum = 0, sq = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        best = fmax(best, pop[i].fitness);
        if (isfinite(pop[i].fitness)) {
            sum += pop[i].fitness;
            k++;
        }
    }
    double mean = k ? sum / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (isfinite(pop[i].fitness))
            sq += (pop[i].fitness - mean) * (pop[i].fitness - mean);
    st->best_fitness = best;
    st->mean_fitness = mean;
    st->std_fitness = k ? sqrt(sq / (double)k) : NAN;
}

/* Breeds (or samples) generation gen into ga->population and assigns ids; returns the number of
 * carried elites, which lead the population. */
static size_t start_generation(struct evo_ga *ga, int gen, size_t E, struct evo_individual *ranked)
{
    const struct evo_config *cfg = ga->cfg;
    size_t P = (size_t)cfg->population, first = 0;
    if (gen == 0) {
        for (size_t i = 0; i < P; i++) {
            struct evo_rng rng;
            evo_rng_seed(&rng, (uint64_t)cfg->seed, 0, i, EVO_RNG_INIT);
            memset(&ga->population[i], 0, sizeof ga->population[i]);
            evo_genome_sample(&ga->population[i].genome, &cfg->space, &rng);
            ga->population[i].parent_a = ga->population[i].parent_b = -1;
        }
    } else {
        memcpy(ranked, ga->population, P * sizeof *ranked);
        qsort(ranked, P, sizeof *ranked, compare_rank);
        /* the elites lead the new population unchanged; the rest are bred from the previous one */
        breed(cfg, gen, ga->population, ranked + 0, E, P);
        memcpy(ga->population, ranked, P * sizeof *ranked);
        first = E;
    }
    /* ids continue from the last trained individual, all of which are in rows by now */
    int64_t next_id = ga->n_rows ? ga->rows[ga->n_rows - 1].id + 1 : 0;
    for (size_t i = 0; i < P; i++) {
        ga->member_state[i] = i < first ? EVO_MEMBER_CARRIED : EVO_MEMBER_PENDING;
        if (i >= first) {
            ga->population[i].generation = gen;
            ga->population[i].id = next_id++;
        }
    }
    ga->population_generation = gen;
    return first;
}

/* State shared by the workers and the coordinating main thread during one generation. Members are
 * handed out through `next`; results are recorded under the critical section "evo_ga_state", which
 * is also held while the hook runs, so the hook always sees whole members. */
struct gen_shared {
    size_t next;          /* next index to hand out (atomic) */
    int quit;             /* 1: hand out nothing more, discard results (set in the critical section
                           * by set_quit, an atomic write, since workers read it atomically outside) */
    int workers_done;     /* threads that left the training loop (atomic) */
    size_t n_new;         /* members recorded since the last hook call (critical) */
    int failed;           /* a training returned an error (critical) */
};

/* Sets sh->quit; called inside critical(evo_ga_state), where plain reads of it are safe. */
static void set_quit(struct gen_shared *sh)
{
    #pragma omp atomic write
    sh->quit = 1;
}

static void record_result(struct evo_ga *ga, struct gen_shared *sh, size_t i,
                          const struct evo_individual *ind, int code, struct evo_mlp *net)
{
    if (sh->quit)
        return; /* abandoned: the search stopped while it trained */
    if (code) {
        sh->failed = 1;
        set_quit(sh);
        return;
    }
    ga->population[i] = *ind;
    ga->member_state[i] = EVO_MEMBER_TRAINED;
    sh->n_new++;
    /* "best" is the maximum of a total order over everything trained successfully, so the order in
     * which members finish does not matter; a failed member (diverged, too large: no weights) is
     * never best. The network is swapped in, not copied */
    if (ind->status == EVO_TRAIN_OK && (!ga->has_best || evo_ga_better(ind, &ga->best))) {
        struct evo_mlp t = ga->best_net;
        ga->best_net = *net;
        *net = t;
        ga->best = *ind;
        ga->has_best = 1;
    }
}

static void pause_briefly(void)
{
    struct timespec ts = {0, 5 * 1000 * 1000}; /* 5 ms: the latency of checkpoints and of stopping */
    nanosleep(&ts, NULL);
}

struct run_ctx {
    struct evo_ga *ga;
    evo_ga_hook hook;
    void *user;
    double last_save, save_cost;   /* time of the last hook call, and how long it took */
    int hook_rc;
};

static int call_hook(struct run_ctx *c, int event)
{
    if (!c->hook)
        return EVO_OK;
    double t0 = omp_get_wtime();
    int rc = c->hook(c->ga, event, c->user);
    c->last_save = omp_get_wtime();
    c->save_cost = c->last_save - t0;
    return rc;
}

static int stop_requested(const struct evo_ga *ga)
{
    return ga->stop && *ga->stop;
}

/* One step of the coordinator, run by the main thread between polls: stops on request, checkpoints
 * when due. Returns 1 once nothing more will be recorded in this generation. */
static int coordinate(struct run_ctx *c, struct gen_shared *sh)
{
    struct evo_ga *ga = c->ga;
    int done = 0;
    #pragma omp critical(evo_ga_state)
    {
        if (!sh->quit && stop_requested(ga)) {
            set_quit(sh);
            ga->stopped = 1;
            c->hook_rc = call_hook(c, EVO_GA_STOPPED);
        } else if (!sh->quit && sh->n_new) {
            double interval = fmax(ga->save_interval_min, 10.0 * c->save_cost);
            if (omp_get_wtime() - c->last_save >= interval) {
                sh->n_new = 0;
                c->hook_rc = call_hook(c, EVO_GA_PROGRESS);
                if (c->hook_rc)
                    set_quit(sh);
            }
        }
        done = sh->quit;
    }
    return done;
}

/* Trains the PENDING members of the current generation. */
static void train_generation(struct run_ctx *c, int gen, struct evo_mlp_workspace *ws, struct evo_mlp *nets,
                             int *codes, struct evo_error *errs, struct gen_shared *sh)
{
    struct evo_ga *ga = c->ga;
    size_t P = (size_t)ga->cfg->population;
    int T = ga->threads;

    /* T workers and the coordinating main thread (thread 0), which sleeps between polls. Should the
     * runtime give a single thread, it trains and coordinates between members. */
    #pragma omp parallel num_threads(T + 1)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        if (tid > 0 || nt == 1) {
            struct evo_mlp_workspace *w = &ws[tid > 0 ? tid - 1 : 0];
            for (;;) {
                int quit;
                size_t i;
                #pragma omp atomic read
                quit = sh->quit;
                if (quit)
                    break;
                #pragma omp atomic capture
                i = sh->next++;
                if (i >= P)
                    break;
                if (ga->member_state[i] != EVO_MEMBER_PENDING)
                    continue;
                struct evo_individual ind = ga->population[i];
                codes[i] = train_one(ga, gen, i, &ind, &nets[i], w, &errs[i]);
                #pragma omp critical(evo_ga_state)
                record_result(ga, sh, i, &ind, codes[i], &nets[i]);
                evo_mlp_release(&nets[i]);
                if (tid == 0)
                    coordinate(c, sh);
            }
            #pragma omp atomic update
            sh->workers_done++;
        }
        if (tid == 0) {
            for (;;) {
                int done;
                coordinate(c, sh);
                #pragma omp atomic read
                done = sh->workers_done;
                if (done >= nt - (nt == 1 ? 0 : 1))
                    break;
                pause_briefly();
            }
        }
    }
}

/* Test metrics and (classification) confusion matrix of the best network. The accuracy is the
 * confusion matrix's, so that `evotune predict` (same evo_predict_classes) reproduces it exactly. */
static void score_test(struct evo_ga *ga, struct evo_mlp_workspace *ws)
{
    size_t n = ga->test.n, C = (size_t)ga->test.n_classes;
    evo_mlp_evaluate(&ga->best_net, ws, &ga->test, &ga->test_metrics);
    if (ga->test.target)
        return;
    float *probs = evo_mem_alloc(evo_mem_mul(evo_mem_mul(n ? n : 1, C), sizeof(float)));
    int32_t *classes = evo_mem_alloc(evo_mem_mul(n ? n : 1, sizeof(int32_t)));
    evo_predict_classes(&ga->best_net, ws, ga->test.x, n, probs, classes);
    free(ga->confusion);
    ga->confusion = evo_mem_alloc(evo_mem_mul(C * C, sizeof *ga->confusion));
    ga->test_metrics.accuracy = evo_predict_confusion(ga->confusion, ga->test.y, classes, n, (int)C);
    free(probs);
    free(classes);
}

int evo_ga_run(struct evo_ga *ga, evo_ga_hook hook, void *user, struct evo_error *err)
{
    const struct evo_config *cfg = ga->cfg;
    size_t P = (size_t)cfg->population;
    size_t E = P > 1 ? (size_t)(cfg->elitism < (long)P - 1 ? cfg->elitism : (long)P - 1) : 0;
    size_t max_hidden, max_width, max_batch;
    evo_genome_space_limits(&cfg->space, &max_hidden, &max_width, &max_batch);

    /* Everything the parallel region needs is allocated here, before it. */
    int T = ga->threads;
    struct evo_mlp_workspace *ws = evo_mem_calloc((size_t)T, sizeof *ws);
    for (int t = 0; t < T; t++)
        evo_mlp_workspace_init(&ws[t], ga->train.d, n_outputs(ga), max_hidden, max_width,
                               max_batch, ga->train.n);
    struct evo_mlp *nets = evo_mem_calloc(P, sizeof *nets);
    struct evo_individual *ranked = evo_mem_calloc(P, sizeof *ranked);
    struct evo_error *errs = evo_mem_calloc(P, sizeof *errs);
    int *codes = evo_mem_calloc(P, sizeof *codes);
    struct run_ctx c = {ga, hook, user, -INFINITY, 0.0, EVO_OK};
    int rc = EVO_OK;
    ga->stopped = 0;

    for (int gen = (int)ga->n_gens; gen < cfg->generations && !rc; gen++) {
        double t0 = omp_get_wtime();
        if (stop_requested(ga))
            break;
        /* a generation already in progress (restored from a file) keeps its members */
        size_t first = ga->population_generation == gen ? (gen ? E : 0) : start_generation(ga, gen, E, ranked);
        struct gen_shared sh = {first, 0, 0, 0, 0};
        memset(codes, 0, P * sizeof *codes);
        train_generation(&c, gen, ws, nets, codes, errs, &sh);
        if (sh.failed) {
            for (size_t i = first; i < P && !rc; i++)
                if (codes[i]) {
                    rc = codes[i];
                    *err = errs[i];
                }
        }
        if (!rc)
            rc = c.hook_rc;
        if (rc || ga->stopped)
            break;

        /* Reduction in index order: rows and statistics (the best was kept up to date). */
        for (size_t i = first; i < P; i++) {
            evo_ga_append_row(ga, &ga->population[i]);
            evo_ga_append_curve(ga, ga->population[i].id, ga->member_curves + i * ga->max_epochs,
                                (size_t)ga->population[i].epochs_run);
        }
        ga->gens = evo_mem_realloc(ga->gens, (ga->n_gens + 1) * sizeof *ga->gens);
        struct evo_generation *st = &ga->gens[ga->n_gens++];
        memset(st, 0, sizeof *st);
        st->generation = gen;
        st->evaluations = (int32_t)(P - first);
        for (size_t i = first; i < P; i++)
            st->failures += ga->population[i].status != EVO_TRAIN_OK;
        generation_stats(st, ga->population, P);
        st->wall_seconds = omp_get_wtime() - t0;
        rc = call_hook(&c, EVO_GA_GENERATION);
    }

    if (!rc && !ga->stopped && stop_requested(ga)) {
        ga->stopped = 1;
        rc = call_hook(&c, EVO_GA_STOPPED);
    } else if (!rc && !ga->stopped) {
        /* The only use of the test split: scoring the final best once (none when every member
         * failed). */
        if (ga->has_best)
            score_test(ga, &ws[0]);
        ga->finished = 1;
        rc = call_hook(&c, EVO_GA_FINISHED);
    }

    for (int t = 0; t < T; t++)
        evo_mlp_workspace_release(&ws[t]);
    free(ws);
    for (size_t i = 0; i < P; i++)
        evo_mlp_release(&nets[i]);
    free(nets);
    free(ranked);
    free(errs);
    free(codes);
    return rc;
}
