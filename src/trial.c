/* Trials: the order among them, the results of a failed one, and their comparison (trial.h). */
#include "evotune/trial.h"
#include <math.h>
#include <string.h>
#include "evotune/metrics.h"
#include "evotune/mlp.h"

const char *evo_trial_purpose_name(int p)
{
    static const char *const names[EVO_PURPOSE_COUNT] = {"search", "finalist"};
    return p >= 0 && p < EVO_PURPOSE_COUNT ? names[p] : "?";
}

double evo_trial_failed_fitness(int f)
{
    return f == EVO_FITNESS_ACCURACY || f == EVO_FITNESS_MACRO_F1 ? 0.0 : -INFINITY;
}

int evo_trial_better(const struct evo_individual *a, const struct evo_individual *b)
{
    int ok_a = a->status == EVO_TRAIN_OK, ok_b = b->status == EVO_TRAIN_OK;
    if (ok_a != ok_b)
        return ok_a;
    if (a->fitness != b->fitness)
        return a->fitness > b->fitness;
    return a->id < b->id;
}

void evo_trial_clear_results(struct evo_individual *t)
{
    t->fitness = NAN;
    evo_metrics_nan(&t->val);
    t->train_loss = NAN;
    t->epochs_run = 0;
    t->paused = 0;
    t->train_seconds = 0.0;
    t->status = EVO_TRAIN_OK;
}

int evo_trials_same(const struct evo_individual *a, const struct evo_individual *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].id != b[i].id || a[i].parent_a != b[i].parent_a || a[i].parent_b != b[i].parent_b ||
            a[i].generation != b[i].generation || a[i].rung != b[i].rung || a[i].budget != b[i].budget ||
            a[i].origin != b[i].origin || a[i].purpose != b[i].purpose ||
            memcmp(&a[i].genome, &b[i].genome, sizeof a[i].genome) ||
            memcmp(&a[i].fitness, &b[i].fitness, sizeof a[i].fitness))
            return 0;
    return 1;
}
