/* A multilayer perceptron and its trainer. One allocation per network (a "slab" carved by a size
 * table): parameters, gradients and the two optimizer moment arrays are parallel flat arrays, so the
 * optimizer is one loop and a clone is a memcpy. A fifth array keeps the best epoch's parameters for
 * early stopping. Training is single-threaded and reentrant; it uses a
 * caller-provided workspace and allocates nothing inside its loops. Every layer runs through the
 * kernel table chosen by evo_kernels_init (include/evotune/kernels.h). */
#ifndef EVOTUNE_MLP_H
#define EVOTUNE_MLP_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "evotune/augment.h"
#include "evotune/data.h"
#include "evotune/error.h"
#include "evotune/kernels.h"
#include "evotune/metrics.h"
#include "evotune/rng.h"

#define EVO_MLP_MAX_HIDDEN 8
#define EVO_MLP_MAX_CONV 4    /* convolutional blocks before the dense layers */
#define EVO_MLP_MAX_LAYERS 64 /* entries of the layer table: 5 a conv block, 4 a hidden layer, 1 output */

/* Values are stable (they are stored in results files): new optimizers are appended. */
enum evo_optimizer {
    EVO_OPT_SGD,
    EVO_OPT_MOMENTUM, /* heavy-ball: v = mu v + g; p -= lr v */
    EVO_OPT_ADAM,     /* Kingma & Ba, with bias correction; weight decay as L2 in the gradient */
    EVO_OPT_NESTEROV, /* v = mu v + g; p -= lr (g + mu v) */
    EVO_OPT_RMSPROP,  /* s = rho s + (1 - rho) g^2; p -= lr g / (sqrt(s) + eps) */
    EVO_OPT_ADAMW,    /* Adam with decoupled weight decay: p -= lr wd p beside the adaptive step */
    EVO_OPT_COUNT
};

/* Learning-rate schedules, set once per epoch (evo_mlp_lr_*); lr is the base rate, e the epoch
 * (0-based), E the maximum epochs, floor = min(lr_min, lr). */
enum evo_lr_schedule {
    EVO_LR_CONSTANT,    /* lr */
    EVO_LR_STEP,        /* lr decay^floor(e / step_epochs), at least floor */
    EVO_LR_EXPONENTIAL, /* lr decay^e, at least floor */
    EVO_LR_COSINE,      /* floor + (lr - floor) (1 + cos(pi e / E)) / 2 */
    EVO_LR_WARMUP,      /* lr (e + 1) / (W + 1) for e < W = warmup_epochs, then cosine from lr to floor
                         * over the remaining E - W epochs */
    EVO_LR_PLATEAU,     /* lr, multiplied by decay (down to floor) after plateau_patience epochs in a
                         * row without the validation loss improving by more than min_delta */
    EVO_LR_COUNT
};

/* How an epoch's rows are chosen and cut into mini-batches (evo_batch_order). Values are stable
 * (stored in results files). */
enum evo_batch_selection {
    EVO_BATCH_SHUFFLE,    /* every training row once, in a fresh random order */
    EVO_BATCH_STRATIFIED, /* every row once; each batch of B rows holds floor(B n_c / n) or one more
                           * rows of class c (n_c of the n rows): the split's proportions, within 1 */
    EVO_BATCH_BALANCED,   /* n rows, n / C' of each of the C' classes present (the n mod C' left
                           * over go to randomly chosen classes, one each); a class's rows are
                           * taken in a fresh random order, again in another when used up, so a
                           * small class repeats rows and a large one gives a random subset; each
                           * batch holds B / C' rows of every class, within 1 */
    EVO_BATCH_COUNT
};

/* Weight initialisation (evo_mlp_init); biases always start at 0. fan_in, fan_out: the layer's
 * inputs and outputs. Values are stable (stored in results files). */
enum evo_weight_init {
    EVO_INIT_BY_ACTIVATION, /* hidden layers He-normal for the relu family (relu, leaky_relu, elu,
                             * gelu), Xavier-normal for tanh and sigmoid; the output layer
                             * Xavier-normal */
    EVO_INIT_UNIFORM,       /* U(-0.05, 0.05), a fixed scale, every layer */
    EVO_INIT_NORMAL,        /* N(0, 0.05^2), every layer */
    EVO_INIT_XAVIER_UNIFORM, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)): variance 2 / (fan_in + fan_out) */
    EVO_INIT_XAVIER_NORMAL, /* N(0, 2 / (fan_in + fan_out)) */
    EVO_INIT_HE_UNIFORM,    /* U(-a, a), a = sqrt(6 / fan_in): variance 2 / fan_in */
    EVO_INIT_HE_NORMAL,     /* N(0, 2 / fan_in) */
    EVO_INIT_COUNT
};

/* The loss a network is trained on, which also fixes its output layer. Values are stable (stored in
 * results files). y is the label, t = onehot(y) for classification; z the output layer's values. */
enum evo_loss {
    EVO_LOSS_CROSS_ENTROPY,        /* softmax p = softmax(z); per row -log p_y */
    EVO_LOSS_BINARY_CROSS_ENTROPY, /* one sigmoid unit per class, one-vs-rest (with two classes: two
                                    * units, each the other's complement in the ideal); per row
                                    * sum_c -t_c log s(z_c) - (1 - t_c) log(1 - s(z_c)); the class
                                    * probabilities are the sigmoids normalised to sum 1 */
    EVO_LOSS_MSE,                  /* classification: p = softmax(z), per row sum_c (p_c - t_c)^2 (the
                                    * Brier score); regression: one linear unit z, per row (z - u)^2,
                                    * u = (target - target_mean) / target_std */
    EVO_LOSS_COUNT
};

/* Values are stable (stored in results files): new statuses are appended. */
enum evo_train_status {
    EVO_TRAIN_OK = 0,
    EVO_TRAIN_DIVERGED, /* the training loss became NaN or infinite; training stopped there */
    EVO_TRAIN_TOO_LARGE, /* the network exceeds the parameter limit (run.max_params): not allocated,
                          * not trained */
    EVO_TRAIN_TOO_SMALL, /* its pooling would shrink the image below 1 x 1: not built, not trained */
    EVO_TRAIN_STATUS_COUNT
};

/* What follows each convolutional block. Values are stable (stored in results files). */
enum evo_pooling {
    EVO_POOL_NONE,
    EVO_POOL_MAX, /* 2 x 2 windows, stride 2; an odd height or width drops its last row or column */
    EVO_POOL_COUNT
};

/* The kinds of the layer table. Values are stable (stored in results files as /best/layers). */
enum evo_layer_kind {
    EVO_LAYER_DENSE,      /* y[B, oc] = act(x[B, c h w] w[c h w, oc] + b[oc]) */
    EVO_LAYER_CONV2D,     /* y[B, oc, h, w] = act(conv(x[B, c, h, w], w[oc, c, k, k]) + b[oc]), stride 1,
                           * 'same' zero padding */
    EVO_LAYER_BATCH_NORM, /* per channel over the batch and the c's h w positions (a dense layer's
                           * units are channels of size 1): gamma, beta trained; running mean and
                           * variance set by the training forward pass */
    EVO_LAYER_ACTIVATION, /* y = act(x), for the activations the product does not fuse, and after
                           * batch norm */
    EVO_LAYER_MAXPOOL2,   /* 2 x 2 max-pooling, stride 2, per channel */
    EVO_LAYER_DROPOUT,    /* inverted dropout at the rate of its slot (0: passes its input on) */
    EVO_LAYER_KIND_COUNT
};

/* One entry of the layer table: what it computes, its shapes, and where its parameters live in the
 * slab. A batch of B rows flows through the table as [B, c h w] floats, channel-major per row
 * (NCHW); a dense layer flattens its input. */
struct evo_layer {
    int kind;           /* enum evo_layer_kind */
    int act;            /* dense, conv2d: the activation fused into the product's store (identity when
                         * batch norm or an unfused activation follows); activation: its function */
    size_t c, h, w;     /* input: channels, height, width (dense: c h w features, h = w = 1 when the
                         * input is not an image) */
    size_t oc, oh, ow;  /* output shape */
    size_t k;           /* conv2d: kernel size */
    size_t w_off, n_w;  /* in params: weights (dense [c h w, oc], conv2d [oc, c, k, k]) or batch norm's
                         * gamma and beta [2 oc]; n_w 0 for the others */
    size_t b_off, n_b;  /* biases [oc] (dense, conv2d), or batch norm's running mean and variance
                         * [2 oc], which no optimizer touches */
    int slot;           /* dropout: the hidden layer whose rate it uses, or EVO_MLP_MAX_HIDDEN for a
                         * conv block's */
};

struct evo_mlp_arch {
    size_t n_in;                       /* features */
    size_t n_out;                      /* classes */
    size_t n_hidden;                   /* hidden layers, 0..EVO_MLP_MAX_HIDDEN */
    size_t hidden[EVO_MLP_MAX_HIDDEN]; /* units of each hidden layer */
    int activation;                    /* enum evo_activation, for every hidden layer */
    double leaky_slope;                /* EVO_ACT_LEAKY_RELU's slope for x < 0, in [0, 1]; ignored by
                                        * the other activations */
    int init;                          /* enum evo_weight_init (0: by activation) */
    int batch_norm;                    /* 1: batch normalisation in every hidden layer, between the
                                        * dense product and the activation (see evo_mlp_init) */
    int loss;                          /* enum evo_loss (0: cross-entropy) */
    int regression;                    /* 1: one linear output unit predicting a value (loss must be
                                        * EVO_LOSS_MSE, n_out 1); 0: n_out class scores */
    double target_mean, target_std;    /* regression: the prediction is target_mean + target_std z, the
                                        * standardisation of the training targets (std 0 counts as 1) */
    /* Convolutional blocks before the dense layers, for image inputs (n_in = image_c h w). Block i:
     * conv2d with filters[i] filters of kernel_size x kernel_size, then batch norm (batch_norm), the
     * activation, 2 x 2 max-pooling (pooling), and dropout at the conv blocks' rate. */
    size_t conv_blocks;                /* 0..EVO_MLP_MAX_CONV; 0: a plain MLP */
    size_t filters[EVO_MLP_MAX_CONV];  /* output channels of each block */
    size_t kernel_size;                /* odd, >= 1 (the genes: 3 or 5) */
    int pooling;                       /* enum evo_pooling, after each block */
    size_t image_c, image_h, image_w;  /* the input image's channels, rows and columns */
};

/* Batch normalisation's constants: the variance's offset and the running statistics' momentum
 * (running = (1 - m) running + m batch; the variance's running value is the unbiased batch
 * variance, as PyTorch does). */
#define EVO_MLP_BN_EPS 1e-5
#define EVO_MLP_BN_MOMENTUM 0.1

struct evo_mlp {
    struct evo_mlp_arch arch;
    size_t n_table;                            /* entries of the layer table */
    struct evo_layer table[EVO_MLP_MAX_LAYERS]; /* the network in execution order; the output layer
                                                * (dense, identity) last */
    size_t n_layers;                           /* n_hidden + 1 dense layers; the arrays below index
                                                * them (views into the table) */
    size_t w_off[EVO_MLP_MAX_HIDDEN + 1];      /* offset of layer l's weights [in_l, out_l] in params */
    size_t b_off[EVO_MLP_MAX_HIDDEN + 1];      /* offset of layer l's biases [out_l] */
    size_t bn_off[EVO_MLP_MAX_HIDDEN + 1];     /* batch norm: offset of hidden layer l's gamma [out_l]
                                                * and beta [out_l], trained (without decay) */
    size_t stat_off[EVO_MLP_MAX_HIDDEN + 1];   /* batch norm: offset of hidden layer l's running mean
                                                * [out_l] and variance [out_l], set by the training
                                                * forward pass, never by the optimizer. Without batch
                                                * norm bn_off = stat_off = the end of the biases */
    size_t n_params;
    float *slab;    /* the one allocation: params | grads | m | v | best, n_params floats each */
    float *params;
    float *grads;
    float *m;       /* first moment (Adam, AdamW) or velocity (momentum, Nesterov) */
    float *v;       /* second moment (Adam, AdamW, RMSprop) */
    float *best;    /* parameters of the best epoch so far (early stopping) */
    uint64_t step;  /* optimizer steps taken (Adam's bias correction) */
};

/* Metrics of one epoch, a point of a learning curve. */
struct evo_epoch_metrics {
    double train_loss;    /* mean training loss of the epoch (dropout active) */
    double val_loss;      /* validation loss after the epoch */
    double val_fitness;   /* validation score of the fitness (evo_train_params.fitness) after it */
};

/* A zeroed struct is plain training: constant rate, no early stopping, no curve. */
struct evo_train_params {
    double learning_rate; /* base rate, shaped per epoch by lr_schedule */
    int epochs;           /* the most epochs run */
    size_t batch_size;
    int optimizer;        /* enum evo_optimizer */
    double weight_decay;  /* on weights, not biases. AdamW: decoupled, p -= lr * weight_decay * p.
                           * Others: L2, weight_decay * w added to the gradient inside the fused
                           * optimizer pass (evo_optim_update) */
    double dropout;       /* drop probability after each hidden activation, in [0, 1) */
    int dropout_per_layer; /* 1: hidden layer l drops with layer_dropout[l] instead of dropout */
    double layer_dropout[EVO_MLP_MAX_HIDDEN];
    double momentum;      /* mu of EVO_OPT_MOMENTUM and EVO_OPT_NESTEROV, e.g. 0.9 */
    double beta1, beta2;  /* Adam's and AdamW's moment decays, e.g. 0.9, 0.999 */
    double rho;           /* RMSprop's decay of the squared gradient, e.g. 0.9 */
    double eps;           /* Adam's, AdamW's and RMSprop's denominator term, e.g. 1e-8 */
    int lr_schedule;      /* enum evo_lr_schedule */
    int lr_step_epochs;   /* EVO_LR_STEP: epochs between decays (>= 1) */
    double lr_decay;      /* factor of EVO_LR_STEP, EVO_LR_EXPONENTIAL and EVO_LR_PLATEAU, in (0, 1] */
    int lr_warmup_epochs; /* EVO_LR_WARMUP: epochs of linear warm-up */
    int lr_plateau_patience; /* EVO_LR_PLATEAU: epochs without improvement before a decay (>= 1) */
    double lr_min;        /* floor of the decaying schedules and end of the cosine ones */
    int early_stopping;   /* 1: stop after `patience` epochs in a row without the validation loss
                           * improving by more than min_delta, and keep the best epoch's weights */
    int patience;         /* >= 1 */
    double min_delta;     /* improvement threshold of early stopping and EVO_LR_PLATEAU, >= 0 */
    int batch_selection;  /* enum evo_batch_selection */
    double l1;            /* L1 on weights (not biases): l1 * sign(w) added to the weight gradients by
                           * evo_optim_update before the optimizer pass (for every optimizer, AdamW
                           * included: L1 is not decoupled); 0: off */
    double max_norm;      /* after each update, every hidden unit's incoming weight vector (a column
                           * of its layer's w[in, out], bias excluded; not the output layer) longer
                           * than max_norm is scaled to length max_norm; 0: off */
    int fitness;          /* enum evo_fitness: the score a learning curve records (0: accuracy) */
    struct evo_augment_params augment; /* applied to each gathered training row when the training set
                                        * is an image set (image_h * image_w == d); else ignored */
    const float *feature_mean, *feature_std; /* [d] the standardisation applied to the data, so that
                                              * augmentation resamples in raw pixel units; NULL:
                                              * the data are raw */
    struct evo_epoch_metrics *curve; /* optional output, [epochs]: the metrics of each epoch run;
                                      * NULL for none. Requested curves, early stopping and the
                                      * plateau schedule evaluate the validation set after every
                                      * epoch; without them it is evaluated once, at the end. */
    const atomic_int *cancel;        /* optional: once *cancel is non-zero (another thread may set it),
                                      * training stops before the next epoch with res->cancelled set;
                                      * NULL: never */
};

struct evo_train_result {
    double train_loss;     /* mean training loss of the epoch whose weights were kept (dropout
                            * active): the last epoch run, or the best one under early stopping */
    struct evo_metrics val; /* validation metrics of the weights kept (val.loss: the loss gene's) */
    int epochs_run;        /* epochs trained, <= tp->epochs (fewer: early stopping or divergence) */
    int best_epoch;        /* 0-based epoch whose weights were kept */
    int status;            /* enum evo_train_status */
    int cancelled;         /* 1 when tp->cancel stopped training: the rest of the result is not valid */
    int paused;            /* 1 when training stopped at evo_train_continue's `until` and can go on (not
                            * at its last epoch, not stopped early, not diverged) */
};


/* Per-thread scratch memory for training and evaluation, sized once for the largest network and
 * batch a search can produce. Owned by the caller, used by one thread at a time. */
struct evo_mlp_workspace {
    float *buf;      /* 64-byte aligned start of the scratch inside alloc */
    void *alloc;     /* the allocation (freed by evo_mlp_workspace_release) */
    size_t n_floats;
    size_t *order;   /* [n_rows] sample order of an epoch (the one index allocation) */
    size_t *by_class; /* [n_rows] rows grouped by class (stratified and balanced selection) */
    size_t *class_start, *class_next, *class_target, *class_extra, *class_list, *class_quota;
                     /* [n_out + 1] each: per-class bookkeeping of evo_batch_order */
    size_t *class_counts; /* [3 n_out] the counters of evo_mlp_evaluate's metrics */
    uint64_t *class_key; /* [n_out] sort keys of the largest-remainder choice */
    size_t n_rows;
    size_t n_in, n_out, max_batch; /* the limits it was sized for */
};

/* Allocates a workspace for any network with at most `max_hidden` hidden layers of at most
 * `max_width` units, n_in inputs, n_out outputs, batches of at most max_batch rows, and data sets of
 * at most n_rows rows; it includes the dense kernels' scratch (evo_kernels_work_floats for the
 * largest layer). Aborts with the size on out of memory. */
void evo_mlp_workspace_init(struct evo_mlp_workspace *ws, size_t n_in, size_t n_out, size_t max_hidden,
                            size_t max_width, size_t max_batch, size_t n_rows);
/* The same for any network within `bound`: at most bound->n_hidden hidden layers of at most
 * bound->hidden[h] units, at most bound->conv_blocks conv blocks of at most bound->filters[i] filters
 * of kernel_size at most bound->kernel_size on bound's image shape, n_in inputs and n_out outputs;
 * batch norm, activations and pooling are bounded internally (the most scratch any choice needs). */
void evo_mlp_workspace_init_for(struct evo_mlp_workspace *ws, const struct evo_mlp_arch *bound,
                                size_t max_batch, size_t n_rows);
size_t evo_mlp_workspace_bytes_for(const struct evo_mlp_arch *bound, size_t max_batch, size_t n_rows);
/* Floats of workspace net needs at batches of max_batch rows (SIZE_MAX on overflow). */
size_t evo_mlp_workspace_floats(const struct evo_mlp *net, size_t max_batch);
void evo_mlp_workspace_release(struct evo_mlp_workspace *ws);
/* Bytes evo_mlp_workspace_init allocates for these limits, SIZE_MAX when the size overflows; lets a
 * caller refuse limits that user input made absurd before anything is allocated. */
size_t evo_mlp_workspace_bytes(size_t n_in, size_t n_out, size_t max_hidden, size_t max_width,
                               size_t max_batch, size_t n_rows);


/* The one size table of the slab: the parameter count of arch (every weight and bias) and the bytes
 * of its slab (params, grads, m, v, best: five floats a parameter), both SIZE_MAX when the arithmetic
 * overflows size_t. Allocates nothing, so a caller can refuse a network before it exists. Returns
 * EVO_OK, or EVO_ERUNTIME when arch is invalid (as evo_mlp_init). Thread-safe. */
int evo_mlp_size(const struct evo_mlp_arch *arch, size_t *n_params, size_t *bytes, struct evo_error *err);

/* Whether arch's pooling leaves its image at least 1 x 1 (always true without conv blocks): a genome
 * that fails it is a trial with status EVO_TRAIN_TOO_SMALL, not an error. */
int evo_mlp_image_fits(const struct evo_mlp_arch *arch);

/* Allocates the slab for arch and initialises the weights from rng as arch->init says (enum
 * evo_weight_init; by activation: He-normal (std sqrt(2/fan_in)) for the relu family,
 * Xavier-normal (std sqrt(2/(fan_in+fan_out))) otherwise, the output layer Xavier), one draw per
 * weight in layer-table order (conv blocks first); biases 0; gradients and moments 0; with batch norm
 * gamma 1, beta 0, running means 0 and running variances 1 (the slab holds, per conv or dense layer:
 * weights, biases, then with batch norm gamma, beta, running mean, running variance). A filter's
 * fan-in is c k k and its fan-out oc k k. Builds net->table. Returns EVO_OK, or EVO_ERUNTIME when
 * arch is invalid (no inputs, outputs, zero-width layer, too many layers, unknown activation or init,
 * a leaky slope outside [0, 1], conv blocks without a matching image shape, an even kernel, pooling
 * below 1 x 1) or its size overflows. */
int evo_mlp_init(struct evo_mlp *net, const struct evo_mlp_arch *arch, struct evo_rng *rng,
                 struct evo_error *err);
/* Frees the slab; safe on a zeroed or released network. */
void evo_mlp_release(struct evo_mlp *net);
/* Makes dst an independent copy of src (one allocation, one memcpy). */
void evo_mlp_clone(struct evo_mlp *dst, const struct evo_mlp *src);

/* Forward and backward pass over one batch x[B, n_in], y[B] of a classification network in training
 * mode: zeroes grads, accumulates the gradient of the mean loss of net->arch.loss (plus the L2 term
 * weight_decay * w on weights when weight_decay > 0), and returns the mean loss (without the L2
 * term). dropout[h] (NULL: none) is hidden layer h's drop probability and, for a network with conv
 * blocks, dropout[EVO_MLP_MAX_HIDDEN] the blocks' (so the array then has EVO_MLP_MAX_HIDDEN + 1
 * entries); layers with a rate > 0 draw
 * their masks from rng, layer by layer, in index order. Batch norm normalises with the batch's
 * statistics and moves the running statistics towards them (the only parameters it writes). Exposed
 * for gradient checks. The trainer passes weight_decay 0 here, because evo_optim_update applies the
 * decay itself: passing it to both would count it twice. */
double evo_mlp_loss_grad(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                         const int32_t *y, size_t B, const double *dropout, double weight_decay,
                         struct evo_rng *rng);
/* The same for a regression network (arch.regression) and targets t[B] in target units. */
double evo_mlp_loss_grad_regression(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                                    const float *t, size_t B, const double *dropout, double weight_decay,
                                    struct evo_rng *rng);



/* Metrics of the network on ds (no dropout), in batches of the workspace's max_batch rows: the mean
 * loss and the classification metrics, or for a regression network (ds->target set) the regression
 * metrics in target units; the other task's fields NaN. */
void evo_mlp_evaluate(const struct evo_mlp *net, struct evo_mlp_workspace *ws,
                      const struct evo_dataset *ds, struct evo_metrics *m);

/* Class probabilities probs[n, n_out] for x[n, n_in] (see enum evo_loss), or for a regression network
 * the predicted values probs[n] in target units. */
void evo_mlp_predict(const struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x, size_t n,
                     float *probs);


/* The losses' stored names by enum value ("categorical_crossentropy", "binary_crossentropy", "mse"),
 * and the name of one ("unknown" outside the enum). */
extern const char *const evo_mlp_loss_names[EVO_LOSS_COUNT];
const char *evo_mlp_loss_name(int loss);

/* The layer kinds' stored names by enum value ("dense", "conv2d", "batch_norm", "activation",
 * "maxpool2", "dropout"): the enum of /best/layers' kind column. */
extern const char *const evo_mlp_layer_kind_names[EVO_LAYER_KIND_COUNT];

/* The batch buffers of ws laid out for net: x[max_batch, n_in], the labels (int32) or targets
 * (float, regression) [max_batch] in one region, and the augmentation scratch [2 n_in]; for the
 * trainer, which gathers each batch there. net must fit ws. */
void evo_mlp_workspace_batch(const struct evo_mlp *net, struct evo_mlp_workspace *ws, float **x, void **y,
                             float **aug);

#endif
