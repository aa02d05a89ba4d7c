/* A multilayer perceptron and its trainer. One allocation per network (a "slab" carved by a size
 * table): parameters, gradients and the two optimizer moment arrays are parallel flat arrays, so the
 * optimizer is one loop and a clone is a memcpy. Training is single-threaded and reentrant; it uses a
 * caller-provided workspace and allocates nothing inside its loops. Every layer runs through the
 * kernel table chosen by evo_kernels_init (include/evotune/kernels.h). */
#ifndef EVOTUNE_MLP_H
#define EVOTUNE_MLP_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/data.h"
#include "evotune/error.h"
#include "evotune/kernels.h"
#include "evotune/rng.h"

#define EVO_MLP_MAX_HIDDEN 8

enum evo_optimizer {
    EVO_OPT_SGD,
    EVO_OPT_MOMENTUM, /* heavy-ball: v = mu v + g; p -= lr v */
    EVO_OPT_ADAM,     /* Kingma & Ba, with bias correction */
    EVO_OPT_COUNT
};

enum evo_train_status {
    EVO_TRAIN_OK = 0,
    EVO_TRAIN_DIVERGED, /* the training loss became NaN or infinite; training stopped there */
    EVO_TRAIN_STATUS_COUNT
};

struct evo_mlp_arch {
    size_t n_in;                       /* features */
    size_t n_out;                      /* classes */
    size_t n_hidden;                   /* hidden layers, 0..EVO_MLP_MAX_HIDDEN */
    size_t hidden[EVO_MLP_MAX_HIDDEN]; /* units of each hidden layer */
    int activation;                    /* enum evo_activation, for every hidden layer */
};

struct evo_mlp {
    struct evo_mlp_arch arch;
    size_t n_layers;                           /* n_hidden + 1 dense layers */
    size_t w_off[EVO_MLP_MAX_HIDDEN + 1];      /* offset of layer l's weights [in_l, out_l] in params */
    size_t b_off[EVO_MLP_MAX_HIDDEN + 1];      /* offset of layer l's biases [out_l] */
    size_t n_params;
    float *slab;    /* the one allocation: params | grads | m | v, n_params floats each */
    float *params;
    float *grads;
    float *m;       /* first moment (Adam) or velocity (momentum) */
    float *v;       /* second moment (Adam) */
    uint64_t step;  /* optimizer steps taken (Adam's bias correction) */
};

struct evo_train_params {
    double learning_rate;
    int epochs;
    size_t batch_size;
    int optimizer;        /* enum evo_optimizer */
    double weight_decay;  /* L2 coefficient: weight_decay * w is added to the gradient of weights (not
                           * biases) inside the fused optimizer pass (evo_mlp_update) */
    double dropout;       /* drop probability after each hidden activation, in [0, 1) */
    double momentum;      /* for EVO_OPT_MOMENTUM, e.g. 0.9 */
    double beta1, beta2, eps; /* for EVO_OPT_ADAM, e.g. 0.9, 0.999, 1e-8 */
};

struct evo_train_result {
    double train_loss;     /* mean training loss over the last epoch run (dropout active) */
    double val_loss;       /* mean cross-entropy on the validation set after training */
    double val_accuracy;   /* accuracy on the validation set after training */
    int epochs_run;
    int status;            /* enum evo_train_status */
};

/* Per-thread scratch memory for training and evaluation, sized once for the largest network and
 * batch a search can produce. Owned by the caller, used by one thread at a time. */
struct evo_mlp_workspace {
    float *buf;      /* 64-byte aligned start of the scratch inside alloc */
    void *alloc;     /* the allocation (freed by evo_mlp_workspace_release) */
    size_t n_floats;
    size_t *order;   /* [n_rows] sample order of an epoch */
    size_t n_rows;
    size_t n_in, n_out, max_hidden, max_width, max_batch; /* the limits it was sized for */
};

/* Allocates a workspace for any network with at most `max_hidden` hidden layers of at most
 * `max_width` units, n_in inputs, n_out outputs, batches of at most max_batch rows, and data sets of
 * at most n_rows rows; it includes the dense kernels' scratch (evo_kernels_work_floats for the
 * largest layer). Aborts with the size on out of memory. */
void evo_mlp_workspace_init(struct evo_mlp_workspace *ws, size_t n_in, size_t n_out, size_t max_hidden,
                            size_t max_width, size_t max_batch, size_t n_rows);
void evo_mlp_workspace_release(struct evo_mlp_workspace *ws);

/* Allocates the slab for arch and initialises the weights from rng: He-normal (std sqrt(2/fan_in)) for
 * relu, Xavier-normal (std sqrt(2/(fan_in+fan_out))) otherwise, the output layer Xavier; biases 0;
 * gradients and moments 0. Returns EVO_OK, or EVO_ERUNTIME when arch is invalid (no inputs, outputs,
 * zero-width layer, too many layers) or its size overflows. */
int evo_mlp_init(struct evo_mlp *net, const struct evo_mlp_arch *arch, struct evo_rng *rng,
                 struct evo_error *err);
/* Frees the slab; safe on a zeroed or released network. */
void evo_mlp_release(struct evo_mlp *net);
/* Makes dst an independent copy of src (one allocation, one memcpy). */
void evo_mlp_clone(struct evo_mlp *dst, const struct evo_mlp *src);

/* Forward and backward pass over one batch x[B, n_in], y[B]: zeroes grads, accumulates the gradient
 * of the mean cross-entropy (plus the L2 term weight_decay * w on weights when weight_decay > 0), and
 * returns the mean loss (without the L2 term). dropout > 0 draws masks from rng. Exposed for gradient
 * checks. The trainer passes weight_decay 0 here, because evo_mlp_update applies the decay itself:
 * passing it to both would count it twice. */
double evo_mlp_loss_grad(struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x,
                         const int32_t *y, size_t B, double dropout, double weight_decay,
                         struct evo_rng *rng);

/* One optimizer update of params from grads (step counter advanced first), one fused kernel pass
 * per parameter segment: weights use g + tp->weight_decay * w, biases g alone. */
void evo_mlp_update(struct evo_mlp *net, const struct evo_train_params *tp);

/* Trains for tp->epochs epochs over `train` in mini-batches (a fresh random order from rng each
 * epoch; the last, partial batch is used too), then evaluates on `validation`. Stops early with
 * status EVO_TRAIN_DIVERGED when the loss is not finite. Returns EVO_OK (even when diverged), or an
 * error when the parameters are unusable (batch 0, batch or data larger than the workspace). */
int evo_mlp_train(struct evo_mlp *net, struct evo_mlp_workspace *ws, const struct evo_train_params *tp,
                  const struct evo_dataset *train, const struct evo_dataset *validation,
                  struct evo_rng *rng, struct evo_train_result *res, struct evo_error *err);

/* Mean cross-entropy and accuracy of the network on ds (no dropout), in batches of the workspace's
 * max_batch rows. */
void evo_mlp_evaluate(const struct evo_mlp *net, struct evo_mlp_workspace *ws,
                      const struct evo_dataset *ds, double *loss, double *accuracy);

/* Class probabilities probs[n, n_out] for x[n, n_in]. */
void evo_mlp_predict(const struct evo_mlp *net, struct evo_mlp_workspace *ws, const float *x, size_t n,
                     float *probs);

/* Name of an optimizer ("sgd", "momentum", "adam") and of a training status ("ok", "diverged"). */
const char *evo_mlp_optimizer_name(int opt);
const char *evo_mlp_status_name(int status);

#endif
