/* A synthetic evaluation for the strategy tests and the scheduler benchmark (bench_workers): a known,
 * deterministic fitness of the genome in [0, 1], computed instantly and trained on nothing, so that
 * what a strategy finds can be compared over many seeds in seconds. */
#ifndef EVOTUNE_TEST_SYNTHETIC_H
#define EVOTUNE_TEST_SYNTHETIC_H
#include <math.h>
#include <stddef.h>
#include "evotune/config.h"
#include "evotune/evaluator.h"
#include "evotune/genome.h"
#include "evotune/mlp.h"

/* The peak: each scored gene's optimum as a fraction of its search range (of its logarithm for a log
 * range). Every centre lies well inside (0.25 to 0.75), so that neither random sampling nor the
 * operators' reflection at the bounds favours it, and the centres differ, so that no gene's optimum
 * is the middle that crossover of extremes would average into. Genes the trainer ignores for some
 * optimizers (momentum, beta1) are scored always: the function is of the genome, not of a network. */
static const struct synthetic_gene {
    int gene;
    double centre;
} synthetic_peak[] = {
    {EVO_GENE_LEARNING_RATE, 0.70}, {EVO_GENE_NEURONS, 0.35}, {EVO_GENE_MOMENTUM, 0.60},
    {EVO_GENE_WEIGHT_DECAY, 0.25},  {EVO_GENE_LR_DECAY, 0.45}, {EVO_GENE_BETA1, 0.75},
};
#define SYNTHETIC_GENES (sizeof synthetic_peak / sizeof synthetic_peak[0])

/* Width of the peak in units of the ranges. A uniform sample lies at a squared distance of about 0.6
 * from the peak (the six genes' 1/12 + (1/2 - centre)^2), where it scores exp(-4.8), under 1% of the
 * peak: a few hundred samples rarely come near the top. Yet the width is a quarter of each range, so
 * that the fitnesses of a random first generation already say which way the peak lies, and a
 * mutation step (0.1 of the range) climbs it. */
#define SYNTHETIC_SIGMA 0.25

/* Share of the fitness given by the optimizer being adam (one of six choices in configs/default.cfg):
 * a categorical gene that selection must find and keep. */
#define SYNTHETIC_ADAM_BONUS 0.2

/* Where v lies in the range of spec s, 0 at min and 1 at max (in the logarithm for a log range). */
static inline double synthetic_unit(const struct evo_gene_spec *s, double v)
{
    if (s->log)
        return (log(v) - log(s->min)) / (log(s->max) - log(s->min));
    return (v - s->min) / (s->max - s->min);
}

/* 1 when space can be scored: every gene of synthetic_peak a range of positive width, and adam among
 * the optimizer's choices. */
static inline int synthetic_space_ok(const struct evo_space *space)
{
    for (size_t i = 0; i < SYNTHETIC_GENES; i++) {
        const struct evo_gene_spec *s = &space->spec[synthetic_peak[i].gene];
        if (s->kind != EVO_SPEC_RANGE || !(s->max > s->min))
            return 0;
    }
    const struct evo_gene_spec *o = &space->spec[EVO_GENE_OPTIMIZER];
    for (size_t k = 0; o->kind == EVO_SPEC_CHOICE && k < o->n_choices; k++)
        if (o->choices[k] == EVO_OPT_ADAM)
            return 1;
    return 0;
}

/* The fitness of g in space (synthetic_space_ok): (1 - bonus) exp(-d^2 / (2 sigma^2)) + bonus [adam],
 * d the distance to the peak in unit coordinates. 1 at the peak with adam. Pure and reentrant. */
static inline double synthetic_fitness(const struct evo_space *space, const struct evo_genome *g)
{
    double d2 = 0;
    for (size_t i = 0; i < SYNTHETIC_GENES; i++) {
        int id = synthetic_peak[i].gene;
        double u = synthetic_unit(&space->spec[id], g->g[id]) - synthetic_peak[i].centre;
        d2 += u * u;
    }
    double adam = g->g[EVO_GENE_OPTIMIZER] == EVO_OPT_ADAM;
    return (1 - SYNTHETIC_ADAM_BONUS) * exp(-d2 / (2 * SYNTHETIC_SIGMA * SYNTHETIC_SIGMA)) +
           SYNTHETIC_ADAM_BONUS * adam;
}

/* An evo_eval_fn (evaluator.h) scoring the trial with synthetic_fitness; ctx is the run's
 * const struct evo_config. Trains nothing: epochs_run 0, no curve, no network (score_test skips). */
static inline int synthetic_eval(void *ctx, int worker, struct evo_eval_job *job, struct evo_error *err)
{
    const struct evo_config *cfg = ctx;
    struct evo_individual *t = &job->trial;
    t->fitness = synthetic_fitness(&cfg->space, &t->genome);
    t->val.accuracy = t->fitness;
    t->status = EVO_TRAIN_OK;
    t->epochs_run = 0;
    return EVO_OK;
}

#endif
