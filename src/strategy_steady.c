/* Steady-state aging evolution (Real et al. 2019, "regularized evolution"): no generation barrier. The
 * first trials are random until P results were told; from then on each trial is a child bred by
 * tournament from the population of the last P trials told, and each result told replaces the oldest
 * member (strategy.h). Its generation is its lineage depth: 0 for a random trial, else one more than
 * its first parent's. */
#include <stdio.h>
#include <stdlib.h>
#include "evotune/mem.h"
#include "evotune/strategy.h"

struct steady_state {
    const struct evo_config *cfg;
    struct evo_individual *pop;  /* [P] ring of the last P trials told; pop[oldest] is the next to go */
    size_t P, n, oldest;
    long told;
};

static void *create(const struct evo_config *cfg)
{
    struct steady_state *s = evo_mem_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->P = (size_t)cfg->population;
    s->pop = evo_mem_calloc(s->P, sizeof *s->pop);
    return s;
}

static int ask(void *p, struct evo_individual *t)
{
    struct steady_state *s = p;
    if (s->n < s->P) {
        evo_strategy_sample(s->cfg, t);
        return EVO_ASK_TRIAL;
    }
    size_t a = evo_strategy_breed(s->cfg, s->pop, s->n, t);
    t->generation = s->pop[a].generation + 1;
    return EVO_ASK_TRIAL;
}

static void tell(void *p, const struct evo_individual *t)
{
    struct steady_state *s = p;
    s->told++;
    evo_strategy_window_add(s->pop, s->P, &s->n, &s->oldest, t);
}

static void describe(const void *p, char *buf, size_t n)
{
    const struct steady_state *s = p;
    if (s->n < s->P)
        snprintf(buf, n, "steady state, random phase (%zu of %zu told)", s->n, s->P);
    else
        snprintf(buf, n, "steady state, population of the last %zu of %ld told", s->P, s->told);
}

static void destroy(void *p)
{
    struct steady_state *s = p;
    free(s->pop);
    free(s);
}

const struct evo_strategy_ops evo_strategy_steady_state = {"steady_state", create, ask, tell, NULL, describe,
                                                           destroy, NULL};
