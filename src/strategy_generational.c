/* The generational GA (strategy.h): generation 0 is P random trials; each later generation keeps the E
 * best of the one before unchanged (elitism, not trained again) and breeds P - E children from it by
 * tournament, crossover and mutation. A generation is bred once every trial of the one before was
 * told: ask answers EVO_ASK_WAIT until then, and EVO_ASK_DONE after ga.generations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"
#include "evotune/mlp.h"
#include "evotune/strategy.h"

struct generational {
    const struct evo_config *cfg;
    size_t P, E;
    int gen;                      /* the generation being asked and told; -1 before the first */
    struct evo_individual *pop;   /* [P] its members: E carried elites first, then its trials */
    struct evo_individual *ranked;
    uint8_t *told;                /* [P] member has results */
    size_t first, asked, n_told;  /* members [first, P) are trials; asked of them handed out */
    int64_t first_id;             /* id of member `first` */
    struct evo_generation *rows;  /* one per generation completed */
    size_t n_rows;
};

/* Elites carried into each next generation: ga.elitism, at most P - 1 (none with P = 1), so every
 * generation trains at least one new trial. */
static long elites(const struct evo_config *cfg)
{
    long P = cfg->population;
    return P > 1 ? (cfg->elitism < P - 1 ? cfg->elitism : P - 1) : 0;
}

static long budget(const struct evo_config *cfg)
{
    return cfg->population + (cfg->generations - 1) * (cfg->population - elites(cfg));
}

static void *create(const struct evo_config *cfg)
{
    struct generational *s = evo_mem_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->P = (size_t)cfg->population;
    s->E = (size_t)elites(cfg);
    s->gen = -1;
    s->pop = evo_mem_calloc(s->P, sizeof *s->pop);
    s->ranked = evo_mem_calloc(s->P, sizeof *s->ranked);
    s->told = evo_mem_calloc(s->P, 1);
    return s;
}

static int compare_rank(const void *pa, const void *pb)
{
    const struct evo_individual *a = pa, *b = pb;
    return evo_trial_better(a, b) ? -1 : evo_trial_better(b, a) ? 1 : 0;
}

/* Summary row of the generation just completed. */
static void close_generation(struct generational *s)
{
    s->rows = evo_mem_realloc(s->rows, evo_mem_mul(s->n_rows + 1, sizeof *s->rows));
    struct evo_generation *st = &s->rows[s->n_rows++];
    memset(st, 0, sizeof *st);
    st->generation = s->gen;
    st->evaluations = (int32_t)(s->P - s->first);
    double best = -INFINITY, sum = 0, sq = 0;
    size_t k = 0;
    for (size_t i = 0; i < s->P; i++) {
        const struct evo_individual *m = &s->pop[i];
        if (i >= s->first) {
            st->failures += m->status != EVO_TRAIN_OK;
            st->wall_seconds += m->train_seconds;
        }
        best = fmax(best, m->fitness);
        if (isfinite(m->fitness)) {
            sum += m->fitness;
            k++;
        }
    }
    double mean = k ? sum / (double)k : NAN;
    for (size_t i = 0; i < s->P; i++)
        if (isfinite(s->pop[i].fitness))
            sq += (s->pop[i].fitness - mean) * (s->pop[i].fitness - mean);
    st->best_fitness = best;
    st->mean_fitness = mean;
    st->std_fitness = k ? sqrt(sq / (double)k) : NAN;
}

/* Starts generation gen + 1: the elites lead, the rest are bred when asked. */
static void next_generation(struct generational *s, int64_t next_id)
{
    if (s->gen >= 0) {
        close_generation(s);
        memcpy(s->ranked, s->pop, s->P * sizeof *s->ranked);
        qsort(s->ranked, s->P, sizeof *s->ranked, compare_rank);
    }
    s->gen++;
    s->first = s->gen ? s->E : 0;
    for (size_t i = 0; i < s->P; i++)
        s->told[i] = i < s->first;
    if (s->gen)
        memcpy(s->pop, s->ranked, s->first * sizeof *s->pop);
    s->asked = s->first;
    s->n_told = s->first;
    s->first_id = next_id;
}

static int ask(void *p, struct evo_individual *t)
{
    struct generational *s = p;
    if (s->gen < 0 || s->n_told == s->P) {
        if (s->gen + 1 >= s->cfg->generations)
            return EVO_ASK_DONE;
        next_generation(s, t->id);
    }
    if (s->asked == s->P)
        return EVO_ASK_WAIT;
    if (s->gen == 0)
        evo_strategy_sample(s->cfg, t);
    else
        evo_strategy_breed(s->cfg, s->ranked, s->P, t);
    t->generation = s->gen;
    s->pop[s->asked++] = *t;
    return EVO_ASK_TRIAL;
}

static void tell(void *p, const struct evo_individual *t)
{
    struct generational *s = p;
    size_t i = s->first + (size_t)(t->id - s->first_id);
    if (t->id < s->first_id || i >= s->asked || s->told[i])
        return; /* not of this generation: the engine tells only what it asked */
    s->pop[i] = *t;
    s->told[i] = 1;
    s->n_told++;
    if (s->n_told == s->P && s->gen + 1 == s->cfg->generations)
        close_generation(s); /* the last: no next generation will close it */
}

static size_t summary(const void *p, const struct evo_generation **rows)
{
    const struct generational *s = p;
    *rows = s->rows;
    return s->n_rows;
}

static void describe(const void *p, char *buf, size_t n)
{
    const struct generational *s = p;
    /* counted from 1, as the progress lines do (the /generations table counts from 0) */
    if ((long)s->n_rows >= s->cfg->generations)
        snprintf(buf, n, "all %ld generations of %zu done", s->cfg->generations, s->P);
    else
        snprintf(buf, n, "generation %d of %ld, %zu of %zu told (elites included)", s->gen < 0 ? 1 : s->gen + 1,
                 s->cfg->generations, s->n_told, s->P);
}

static void destroy(void *p)
{
    struct generational *s = p;
    free(s->pop);
    free(s->ranked);
    free(s->told);
    free(s->rows);
    free(s);
}

const struct evo_strategy_ops evo_strategy_generational = {"generational", create, ask, tell, summary, describe,
                                                           destroy, budget};
