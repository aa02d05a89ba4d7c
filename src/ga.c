/* The genetic algorithm: random initial population, tournament selection, uniform crossover,
 * mutation, elitism; individuals trained in parallel with one OpenMP loop and reduced in index order.
 * Also owns the data preparation of a search (load, split, standardise). */
#include "evotune/ga.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"

static int load_split(struct evo_ga *ga, const struct evo_config *cfg, struct evo_error *err)
{
    struct evo_dataset all = {0}, test = {0};
    int rc = evo_data_load(&all, cfg->train, cfg->train_labels, cfg->label, err);
    if (!rc)
        ga->data_hash = evo_data_hash(&all);
    if (!rc && cfg->test) {
        rc = evo_data_load(&test, cfg->test, cfg->test_labels, cfg->label, err);
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

int evo_ga_init(struct evo_ga *ga, const struct evo_config *cfg, struct evo_error *err)
{
    memset(ga, 0, sizeof *ga);
    ga->cfg = cfg;
    ga->test_accuracy = ga->test_loss = NAN;
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
    ga->threads = cfg->threads > 0 ? (int)cfg->threads : omp_get_num_procs();
    ga->population = evo_mem_calloc((size_t)cfg->population, sizeof *ga->population);
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
    free(ga->gens);
    free(ga->population);
    evo_mlp_release(&ga->best_net);
    memset(ga, 0, sizeof *ga);
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
    evo_genome_decode(&ind->genome, ga->train.d, (size_t)ga->train.n_classes, &arch, &tp);
    struct evo_rng rng;
    evo_rng_seed(&rng, (uint64_t)ga->cfg->seed, (uint64_t)gen, i, EVO_RNG_TRAIN);
    int rc = evo_mlp_init(net, &arch, &rng, err);
    struct evo_train_result res = {0};
    if (!rc)
        rc = evo_mlp_train(net, ws, &tp, &ga->train, &ga->validation, &rng, &res, err);
    ind->status = res.status;
    ind->train_loss = res.train_loss;
    ind->val_loss = res.val_loss;
    ind->val_accuracy = res.val_accuracy;
    ind->fitness = res.status == EVO_TRAIN_OK ? res.val_accuracy : 0.0;
    ind->train_seconds = omp_get_wtime() - t0;
    return rc;
}

static void append_row(struct evo_ga *ga, const struct evo_individual *ind)
{
    if (ga->n_rows == ga->cap_rows) {
        ga->cap_rows = ga->cap_rows ? 2 * ga->cap_rows : 64;
        ga->rows = evo_mem_realloc(ga->rows, evo_mem_mul(ga->cap_rows, sizeof *ga->rows));
    }
    ga->rows[ga->n_rows++] = *ind;
}

static void generation_stats(struct evo_generation *st, const struct evo_individual *pop, size_t n)
{
    double best = -INFINITY, sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        best = fmax(best, pop[i].fitness);
        sum += pop[i].fitness;
    }
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (pop[i].fitness - mean) * (pop[i].fitness - mean);
    st->best_fitness = best;
    st->mean_fitness = mean;
    st->std_fitness = sqrt(sq / (double)n);
}

int evo_ga_run(struct evo_ga *ga, evo_ga_hook hook, void *user, struct evo_error *err)
{
    const struct evo_config *cfg = ga->cfg;
    size_t P = (size_t)cfg->population;
    size_t E = P > 1 ? (size_t)(cfg->elitism < (long)P - 1 ? cfg->elitism : (long)P - 1) : 0;
    size_t max_hidden, max_width, max_batch;
    evo_genome_space_limits(&cfg->space, &max_hidden, &max_width, &max_batch);

    /* Everything the parallel loop needs is allocated here, before it. */
    int T = ga->threads;
    struct evo_mlp_workspace *ws = evo_mem_calloc((size_t)T, sizeof *ws);
    for (int t = 0; t < T; t++)
        evo_mlp_workspace_init(&ws[t], ga->train.d, (size_t)ga->train.n_classes, max_hidden, max_width,
                               max_batch, ga->train.n);
    struct evo_mlp *nets = evo_mem_calloc(P, sizeof *nets);
    struct evo_individual *ranked = evo_mem_calloc(P, sizeof *ranked);
    struct evo_error *errs = evo_mem_calloc(P, sizeof *errs);
    int *codes = evo_mem_calloc(P, sizeof *codes);
    int64_t next_id = ga->n_rows ? ga->rows[ga->n_rows - 1].id + 1 : 0;
    int rc = EVO_OK;

    for (int gen = (int)ga->n_gens; gen < cfg->generations && !rc; gen++) {
        double t0 = omp_get_wtime();
        size_t first = 0;
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
        for (size_t i = first; i < P; i++) {
            ga->population[i].generation = gen;
            ga->population[i].id = next_id++;
        }

        #pragma omp parallel for schedule(dynamic, 1) num_threads(T)
        for (size_t i = first; i < P; i++) {
            int t = omp_get_thread_num();
            codes[i] = train_one(ga, gen, i, &ga->population[i], &nets[i], &ws[t], &errs[i]);
        }

        /* Reduction in index order: rows, the best network, statistics. */
        size_t gbest = first;
        for (size_t i = first; i < P; i++) {
            if (codes[i] && !rc) {
                rc = codes[i];
                *err = errs[i];
            }
            append_row(ga, &ga->population[i]);
            if (evo_ga_better(&ga->population[i], &ga->population[gbest]))
                gbest = i;
        }
        if (!rc && first < P && (!ga->has_best || evo_ga_better(&ga->population[gbest], &ga->best))) {
            ga->best = ga->population[gbest];
            ga->has_best = 1;
            evo_mlp_release(&ga->best_net);
            evo_mlp_clone(&ga->best_net, &nets[gbest]);
        }
        for (size_t i = first; i < P; i++)
            evo_mlp_release(&nets[i]);
        if (rc)
            break;

        ga->gens = evo_mem_realloc(ga->gens, (ga->n_gens + 1) * sizeof *ga->gens);
        struct evo_generation *st = &ga->gens[ga->n_gens++];
        memset(st, 0, sizeof *st);
        st->generation = gen;
        st->evaluations = (int32_t)(P - first);
        for (size_t i = first; i < P; i++)
            st->failures += ga->population[i].status != EVO_TRAIN_OK;
        generation_stats(st, ga->population, P);
        st->wall_seconds = omp_get_wtime() - t0;
        if (hook)
            rc = hook(ga, user);
    }

    if (!rc && ga->has_best) {
        /* The only use of the test split: scoring the final best once. */
        evo_mlp_evaluate(&ga->best_net, &ws[0], &ga->test, &ga->test_loss, &ga->test_accuracy);
        ga->finished = 1;
        if (hook)
            rc = hook(ga, user);
    }

    for (int t = 0; t < T; t++)
        evo_mlp_workspace_release(&ws[t]);
    free(ws);
    free(nets);
    free(ranked);
    free(errs);
    free(codes);
    return rc;
}
