/* Strategies: what to try next. A strategy is asked for trials and told their results, in an order
 * the search engine makes deterministic (search.h); it never sees threads, time or files. Everything it
 * decides comes from its configuration, the results it was told, and random streams keyed by (seed,
 * trial id, purpose), so replaying the same results rebuilds the same state: that is how a run resumes
 * (the run log stores trials, never a strategy's struct).
 *   random        independent samples of the search space;
 *   generational  a generational GA: tournament selection, crossover, mutation, elitism, a barrier
 *                 between generations;
 *   steady_state  aging (regularised) evolution: random trials until P were told, then each child is
 *                 bred by tournament from the last P trials told (the oldest leaves, not the worst);
 *   tpe           tree-structured Parzen estimator: random trials until tpe.startup were told, then
 *                 each trial the best of tpe.candidates drawn from a density of the good trials (the
 *                 top tpe.gamma of the last tpe.window told), by its ratio to the density of the rest;
 *                 every trial generation 0 with no parents, as random search's. */
#ifndef EVOTUNE_STRATEGY_H
#define EVOTUNE_STRATEGY_H
#include <stddef.h>
#include "evotune/config.h"
#include "evotune/rng.h"
#include "evotune/trial.h"

/* What ask answers. */
enum evo_ask {
    EVO_ASK_TRIAL = 0,  /* *t holds a new trial */
    EVO_ASK_WAIT,       /* nothing to propose until more results are told (a generation's barrier) */
    EVO_ASK_DONE,       /* the strategy's own budget is spent (generational: ga.generations) */
};

struct evo_strategy_ops {
    const char *name;
    /* allocates the state for cfg */
    void *(*create)(const struct evo_config *cfg);
    /* proposes a trial: t->id is set by the caller (ids count up from 0 in the order trials are
     * decided); fills generation, parents and genome. Returns enum evo_ask. */
    int (*ask)(void *s, struct evo_individual *t);
    /* the results of a trial asked before */
    void (*tell)(void *s, const struct evo_individual *t);
    /* the summary rows so far (one per generation), or 0 when the strategy keeps none */
    size_t (*summary)(const void *s, const struct evo_generation **rows);
    /* one line on its state, for the progress line and `info` ("generation 3 of 10") */
    void (*describe)(const void *s, char *buf, size_t n);
    /* frees the state */
    void (*destroy)(void *s);
    /* the trials of cfg's budget when the strategy sets it itself (generational: its generations);
     * NULL: run.max_trials */
    long (*budget)(const struct evo_config *cfg);
};

extern const struct evo_strategy_ops evo_strategy_random, evo_strategy_generational, evo_strategy_steady_state,
    evo_strategy_tpe;

/* The strategy of enum evo_strategy_kind (config.h). */
const struct evo_strategy_ops *evo_strategy_ops(int kind);

/* A strategy with its state. */
struct evo_strategy {
    const struct evo_strategy_ops *ops;
    void *s;
};

/* The strategy run.strategy names, with its state for cfg (which must outlive it); evo_promote_create
 * (promote.h) wraps it in promotion when promotion.enabled. */
void evo_strategy_create(struct evo_strategy *st, const struct evo_config *cfg);

/* The ops' calls on st (see struct evo_strategy_ops): ask (t->id set by the caller; returns enum
 * evo_ask), tell, the summary rows (0 when the strategy keeps none), its one-line state. */
int evo_strategy_ask(struct evo_strategy *st, struct evo_individual *t);
void evo_strategy_tell(struct evo_strategy *st, const struct evo_individual *t);
size_t evo_strategy_summary(const struct evo_strategy *st, const struct evo_generation **rows);
void evo_strategy_describe(const struct evo_strategy *st, char *buf, size_t n);

/* Frees the state and zeroes st. Safe on a zeroed st. */
void evo_strategy_destroy(struct evo_strategy *st);

/* Trials a run of cfg decides in all: run.max_trials, or the strategy's own budget (generational:
 * ga.population + (ga.generations - 1) x (ga.population - elites)). */
long evo_strategy_budget(const struct evo_config *cfg);

/* Shared by the strategies. Adds t to win[0..cap), the ring of the last cap trials told (steady_state's
 * population, tpe's window): appended while *n < cap, else over win[*oldest], the oldest, and *oldest
 * moves on. */
void evo_strategy_window_add(struct evo_individual *win, size_t cap, size_t *n, size_t *oldest,
                             const struct evo_individual *t);

/* The index in pop[0..n) of the winner of a tournament of k draws with
 * replacement (evo_trial_better decides). */
size_t evo_strategy_tournament(const struct evo_individual *pop, size_t n, long k, struct evo_rng *rng);

/* A random trial: the genome sampled from the space with the stream (seed, id, EVO_RNG_INIT), no
 * parents, generation 0. */
void evo_strategy_sample(const struct evo_config *cfg, struct evo_individual *t);

/* A child of pop[0..n): two tournaments (stream (seed, t->id, EVO_RNG_BREED)), uniform crossover with
 * probability ga.crossover (else a copy of the first parent), then mutation at rate ga.mutation.
 * Fills parents and genome; generation is left to the caller. Returns the first parent's index. */
size_t evo_strategy_breed(const struct evo_config *cfg, const struct evo_individual *pop, size_t n,
                          struct evo_individual *t);

#endif
