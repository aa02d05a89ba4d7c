/* Promotion: asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
 * Hyperparameter Tuning", MLSys 2020) over the trials of a strategy (strategy.h). Rung k trains a
 * trial to min_epochs x eta^k epochs, capped by its epochs gene (the full length its schedule runs
 * over); its training then pauses. Whenever a trial is asked for, the highest rung holding a paused
 * trial in its top 1/eta (ranked by evo_trial_better among every row that reached the rung) not yet
 * promoted sends the best such trial on to the next rung; only when there is none does the strategy
 * propose a new trial, at rung 0. A promotion is a row of its own (trial.h: rung, from_epoch, budget,
 * origin; parent_a the row it continues), decided and told like any trial, so replay, resume and the
 * virtual clock need nothing new. The strategy underneath is told the rung-0 results only: its
 * selection compares fitnesses measured at the same budget. A trial that stopped early or diverged,
 * or reached its epochs gene, is not paused and never promoted. */
#ifndef EVOTUNE_PROMOTE_H
#define EVOTUNE_PROMOTE_H
#include "evotune/config.h"
#include "evotune/strategy.h"

#define EVO_PROMOTE_MAX_RUNGS 32

/* The strategy of cfg (evo_strategy_create), wrapped in promotion when cfg->promotion. */
void evo_promote_create(struct evo_strategy *st, const struct evo_config *cfg);

/* The rungs' budgets of cfg: epochs[k] = min_epochs x eta^k for k = 0, 1, ... up to the first that
 * reaches search.epochs' largest value (which it is, capped); returns their count. */
int evo_promote_rungs(const struct evo_config *cfg, int epochs[EVO_PROMOTE_MAX_RUNGS]);

#endif
