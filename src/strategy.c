/* The strategy seam and what the strategies share: sampling, tournaments, breeding (strategy.h). */
#include "evotune/strategy.h"
#include <string.h>

const struct evo_strategy_ops *evo_strategy_ops(int kind)
{
    switch (kind) {
    case EVO_STRATEGY_RANDOM: return &evo_strategy_random;
    case EVO_STRATEGY_GENERATIONAL: return &evo_strategy_generational;
    case EVO_STRATEGY_TPE: return &evo_strategy_tpe;
    default: return &evo_strategy_steady_state;
    }
}

long evo_strategy_budget(const struct evo_config *cfg)
{
    const struct evo_strategy_ops *ops = evo_strategy_ops(cfg->strategy);
    return ops->budget ? ops->budget(cfg) : cfg->max_trials;
}

void evo_strategy_create(struct evo_strategy *st, const struct evo_config *cfg)
{
    st->ops = evo_strategy_ops(cfg->strategy);
    st->s = st->ops->create(cfg);
}

int evo_strategy_ask(struct evo_strategy *st, struct evo_individual *t)
{
    return st->ops->ask(st->s, t);
}

void evo_strategy_tell(struct evo_strategy *st, const struct evo_individual *t)
{
    st->ops->tell(st->s, t);
}

size_t evo_strategy_summary(const struct evo_strategy *st, const struct evo_generation **rows)
{
    *rows = NULL;
    return st->ops->summary ? st->ops->summary(st->s, rows) : 0;
}

void evo_strategy_describe(const struct evo_strategy *st, char *buf, size_t n)
{
    st->ops->describe(st->s, buf, n);
}

void evo_strategy_destroy(struct evo_strategy *st)
{
    if (st->ops)
        st->ops->destroy(st->s);
    memset(st, 0, sizeof *st);
}

size_t evo_strategy_tournament(const struct evo_individual *pop, size_t n, long k, struct evo_rng *rng)
{
    size_t best = (size_t)evo_rng_below(rng, n);
    for (long j = 1; j < k; j++) {
        size_t c = (size_t)evo_rng_below(rng, n);
        if (evo_trial_better(&pop[c], &pop[best]))
            best = c;
    }
    return best;
}

void evo_strategy_sample(const struct evo_config *cfg, struct evo_individual *t)
{
    struct evo_rng rng;
    evo_rng_seed(&rng, (uint64_t)cfg->seed, (uint64_t)t->id, 0, EVO_RNG_INIT);
    evo_genome_sample(&t->genome, &cfg->space, &rng);
    t->parent_a = t->parent_b = -1;
    t->generation = 0;
}

size_t evo_strategy_breed(const struct evo_config *cfg, const struct evo_individual *pop, size_t n,
                          struct evo_individual *t)
{
    struct evo_rng rng;
    evo_rng_seed(&rng, (uint64_t)cfg->seed, (uint64_t)t->id, 0, EVO_RNG_BREED);
    size_t ia = evo_strategy_tournament(pop, n, cfg->tournament, &rng);
    size_t ib = evo_strategy_tournament(pop, n, cfg->tournament, &rng);
    t->parent_a = pop[ia].id;
    t->parent_b = -1;
    if (evo_rng_uniform(&rng) < cfg->crossover) {
        evo_genome_crossover(&t->genome, &pop[ia].genome, &pop[ib].genome, &rng);
        t->parent_b = pop[ib].id;
    } else {
        t->genome = pop[ia].genome;
    }
    evo_genome_mutate(&t->genome, &cfg->space, cfg->mutation, &rng);
    return ia;
}

void evo_strategy_window_add(struct evo_individual *win, size_t cap, size_t *n, size_t *oldest,
                             const struct evo_individual *t)
{
    if (*n < cap) {
        win[(*n)++] = *t;
        return;
    }
    win[*oldest] = *t;
    *oldest = (*oldest + 1) % cap;
}
