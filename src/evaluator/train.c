/* The training evaluation: a job that trains and validates a trial's network on its split or fold,
 * from scratch or resuming a paused one, and records its results; and the trainer's per-worker
 * workspaces, sized once for the largest network of the search space. */
#include "evotune/evaluator.h"
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"
#include "evotune/train.h"
#include "evotune/metrics.h"
#include "evotune/rng.h"

static size_t outputs(const struct evo_problem *p)
{
    return evo_problem_outputs(p);
}

/* The network that bounds every trial's scratch, and the largest batch. */
static void space_bound(const struct evo_config *cfg, const struct evo_problem *p, struct evo_mlp_arch *bound,
                        size_t *max_batch)
{
    evo_genome_space_bound(&cfg->space, p->train.d, outputs(p), p->train.image_h, p->train.image_w, bound,
                           max_batch);
}

size_t evo_trainer_workspace_bytes(const struct evo_config *cfg, const struct evo_problem *p)
{
    struct evo_mlp_arch bound;
    size_t max_batch;
    space_bound(cfg, p, &bound, &max_batch);
    return evo_mlp_workspace_bytes_for(&bound, max_batch, p->train.n);
}

void evo_trainer_init(struct evo_trainer *tr, const struct evo_config *cfg, const struct evo_problem *p,
                      int threads)
{
    struct evo_mlp_arch bound;
    size_t max_batch;
    space_bound(cfg, p, &bound, &max_batch);
    tr->cfg = cfg;
    tr->problem = p;
    tr->threads = threads;
    tr->ws = evo_mem_calloc((size_t)threads, sizeof *tr->ws);
    for (int t = 0; t < threads; t++)
        evo_mlp_workspace_init_for(&tr->ws[t], &bound, max_batch, p->train.n);
}

void evo_trainer_release(struct evo_trainer *tr)
{
    for (int t = 0; t < tr->threads && tr->ws; t++)
        evo_mlp_workspace_release(&tr->ws[t]);
    free(tr->ws);
    memset(tr, 0, sizeof *tr);
}

int evo_evaluator_train(void *ctx, int worker, struct evo_eval_job *job, struct evo_error *err)
{
    const struct evo_trainer *tr = ctx;
    const struct evo_problem *p = tr->problem;
    struct evo_individual *t = &job->trial;
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    evo_genome_decode(&t->genome, p->train.d, outputs(p), &arch, &tp);
    arch.regression = p->train.target != NULL;
    arch.target_mean = p->target_mean;
    arch.target_std = p->target_std;
    arch.image_c = 1;
    arch.image_h = p->train.image_h;
    arch.image_w = p->train.image_w;
    tp.fitness = tr->cfg->fitness;
    int until = t->budget > 0 ? t->budget : tp.epochs;
    int resume = job->resume && job->net.slab && job->training.epoch == t->from_epoch;
    job->resume = 0;
    if (!resume)
        evo_mlp_release(&job->net);
    evo_trial_clear_results(t);
    struct evo_rng rng;
    /* the data: the splits, a fold, or a cross-validated problem's whole pool; a stream of its own each */
    const struct evo_dataset *train = &p->train, *val = &p->validation;
    uint64_t stream = (uint64_t)t->purpose;
    if (job->fold >= 0 && (size_t)job->fold < p->n_folds) {
        train = &p->fold_train[job->fold];
        val = &p->fold_val[job->fold];
        stream += 256 * (uint64_t)(job->fold + 1);
    } else if (job->fold == EVO_FOLD_ALL) {
        val = train;
        stream += 65536;
    }
    evo_rng_seed(&rng, (uint64_t)tr->cfg->seed, (uint64_t)t->origin, stream, EVO_RNG_TRAIN);
    struct evo_train_result res = {0};
    if (!evo_mlp_image_fits(&arch)) {
        /* its pooling leaves no image: a failed trial like the too large, not an error */
        t->status = EVO_TRAIN_TOO_SMALL;
        t->fitness = evo_trial_failed_fitness(tp.fitness);
        return EVO_OK;
    }
    size_t n_params, bytes;
    int rc = evo_mlp_size(&arch, &n_params, &bytes, err);
    if (!rc && n_params > (uint64_t)tr->cfg->max_params) {
        /* refused before anything is allocated; it ranks with the diverged */
        t->status = EVO_TRAIN_TOO_LARGE;
        t->fitness = evo_trial_failed_fitness(tp.fitness);
        return EVO_OK;
    }
    if (!rc && !resume && !(rc = evo_mlp_init(&job->net, &arch, &rng, err)))
        evo_train_begin(&job->training, &tp, &rng);
    tp.curve = job->curve;
    tp.cancel = &job->abandoned;
    tp.feature_mean = p->feature_mean; /* augmentation resamples in raw pixel units */
    tp.feature_std = p->feature_std;
    if (!rc)
        rc = evo_train_continue(&job->net, &tr->ws[worker], &tp, train, val, &job->training, until, &res, err);
    job->epochs_kept = res.best_epoch + 1;
    t->paused = res.paused;
    t->status = res.status;
    t->train_loss = res.train_loss;
    t->epochs_run = res.epochs_run;
    t->val = res.val;
    t->fitness = res.status == EVO_TRAIN_OK ? evo_metrics_fitness(&res.val, tp.fitness)
                                            : evo_trial_failed_fitness(tp.fitness);
    if (res.status != EVO_TRAIN_OK || rc)
        evo_mlp_release(&job->net);
    return rc;
}
