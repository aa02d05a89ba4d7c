/* The optimizers and learning-rate schedules: the update of a network's parameters from its
 * gradients (enum evo_optimizer, in mlp.h with the training parameters), and the rate of each epoch
 * (enum evo_lr_schedule). Single-threaded, reentrant, allocation-free. */
#ifndef EVOTUNE_OPTIM_H
#define EVOTUNE_OPTIM_H
#include "evotune/mlp.h"

/* One optimizer update of params from grads at rate lr (step counter advanced first), one fused
 * kernel pass per parameter segment: weights decay (L2, or decoupled for AdamW), biases do not.
 * With tp->l1 > 0 the weight gradients are first increased by l1 * sign(w) in place (sign(0) = 0);
 * with tp->max_norm > 0 the hidden units' incoming weight vectors are then capped (see
 * evo_train_params). */
void evo_optim_update(struct evo_mlp *net, const struct evo_train_params *tp, double lr);

/* Learning-rate schedule state: the rate of the current epoch and the plateau bookkeeping. */
struct evo_optim_lr {
    double lr;       /* rate of the current epoch */
    int epoch;       /* the current epoch, 0-based */
    double best;     /* EVO_LR_PLATEAU: lowest validation loss so far (+inf before the first) */
    int wait;        /* EVO_LR_PLATEAU: epochs since the last improvement or decay */
};

/* Sets the schedule to epoch 0's rate. */
void evo_optim_lr_init(struct evo_optim_lr *s, const struct evo_train_params *tp);
/* Moves the schedule to the next epoch; val_loss is the validation loss after the epoch that just
 * ended (used by EVO_LR_PLATEAU only; NaN counts as no improvement). */
void evo_optim_lr_next(struct evo_optim_lr *s, const struct evo_train_params *tp, double val_loss);

/* The stored names by enum value of the optimizers ("sgd", "momentum", "adam", "nesterov", "rmsprop",
 * "adamw") and of the schedules ("constant", "step", "exponential", "cosine", "warmup", "plateau"), and
 * the name of one; "unknown" outside the enum. */
extern const char *const evo_optim_names[EVO_OPT_COUNT];
extern const char *const evo_optim_schedule_names[EVO_LR_COUNT];
const char *evo_optim_name(int opt);
const char *evo_optim_schedule_name(int schedule);

#endif
