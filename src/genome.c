/* The gene table and the genetic operators over genomes: sampling, uniform crossover, mutation by
 * gene kind, and decoding a genome into a network architecture and training parameters. */
#include "evotune/genome.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "evotune/batch.h"
#include "evotune/optim.h"

static const char *const init_names[] = {"by_activation", "uniform", "normal", "xavier_uniform",
                                         "xavier_normal", "he_uniform", "he_normal"};
static const char *const switch_names[] = {"off", "on"};
static const char *const pooling_names[] = {"none", "max"};

/* The per-layer genes, l = 1 .. EVO_MLP_MAX_HIDDEN. */
#define NEURONS_GENE(l)                                                                            \
    {"neurons_" #l, EVO_GENE_INT, 1, 4096, NULL, 0, "{ min = 16; max = 256; log = true; }",        \
     "units in hidden layer " #l " (recorded as 0 when the network has fewer layers)"}
#define FILTERS_GENE(i)                                                                            \
    {"filters_" #i, EVO_GENE_INT, 1, 1024, NULL, 0, "{ min = 8; max = 64; log = true; }",          \
     "image data only: filters (output channels) of convolutional block " #i " (recorded as 0 when "\
     "the network has fewer blocks)"}
#define DROPOUT_GENE(l)                                                                            \
    {"dropout_" #l, EVO_GENE_FLOAT, 0.0, 0.95, NULL, 0, "{ min = 0.0; max = 0.5; }",                \
     "drop probability after hidden layer " #l "'s activation when dropout_per_layer is on "       \
     "(recorded as NaN when the network has fewer layers)"}

static const struct evo_gene_info genes[EVO_GENE_COUNT] = {
    [EVO_GENE_LEARNING_RATE] = {"learning_rate", EVO_GENE_FLOAT, 1e-7, 10.0, NULL, 0,
        "{ min = 1e-4; max = 0.1; log = true; }", "base step size of the optimizer, shaped per epoch by lr_schedule"},
    [EVO_GENE_LR_SCHEDULE] = {"lr_schedule", EVO_GENE_ENUM, 0, EVO_LR_COUNT - 1, evo_optim_schedule_names, EVO_LR_COUNT,
        "{ choice = [\"constant\", \"step\", \"exponential\", \"cosine\", \"warmup\", \"plateau\"]; }",
        "rate of epoch e < E = epochs: constant; step: lr * lr_decay^floor(e / lr_step_epochs); "
        "exponential: lr * lr_decay^e; cosine: from lr down to lr_min at e = E; warmup: lr * (e + 1) / "
        "(W + 1) for e < W = lr_warmup_epochs, then cosine; plateau: times lr_decay after "
        "lr_plateau_patience epochs without improvement; never below lr_min"},
    [EVO_GENE_LR_STEP_EPOCHS] = {"lr_step_epochs", EVO_GENE_INT, 1, 100000, NULL, 0,
        "{ min = 2; max = 10; }", "epochs between two decays of the step schedule (ignored by the others)"},
    [EVO_GENE_LR_DECAY] = {"lr_decay", EVO_GENE_FLOAT, 1e-3, 1.0, NULL, 0,
        "{ min = 0.5; max = 0.95; }",
        "factor applied to the learning rate by the step, exponential and plateau schedules (ignored "
        "by the others)"},
    [EVO_GENE_LR_WARMUP_EPOCHS] = {"lr_warmup_epochs", EVO_GENE_INT, 0, 100000, NULL, 0,
        "{ min = 1; max = 5; }", "epochs of linear warm-up of the warmup schedule (ignored by the others)"},
    [EVO_GENE_LR_PLATEAU_PATIENCE] = {"lr_plateau_patience", EVO_GENE_INT, 1, 100000, NULL, 0,
        "{ min = 1; max = 5; }",
        "epochs without improvement before the plateau schedule decays the rate (ignored by the others)"},
    [EVO_GENE_LR_MIN] = {"lr_min", EVO_GENE_FLOAT, 0.0, 10.0, NULL, 0,
        "1e-6", "floor of the decaying schedules and end value of cosine and warmup (ignored by constant)"},
    [EVO_GENE_EPOCHS] = {"epochs", EVO_GENE_INT, 1, 100000, NULL, 0,
        "{ min = 5; max = 30; }", "most passes over the training split (fewer when early stopping ends training)"},
    [EVO_GENE_EARLY_STOPPING] = {"early_stopping", EVO_GENE_ENUM, 0, 1, switch_names, 2,
        "{ choice = [\"off\", \"on\"]; }",
        "on: score the validation split after every epoch, stop after `patience` epochs in a row "
        "without its loss falling by more than min_delta, and keep the weights of the best epoch"},
    [EVO_GENE_PATIENCE] = {"patience", EVO_GENE_INT, 1, 100000, NULL, 0,
        "{ min = 2; max = 8; }", "epochs without improvement before early stopping ends training (ignored when off)"},
    [EVO_GENE_MIN_DELTA] = {"min_delta", EVO_GENE_FLOAT, 0.0, 1000.0, NULL, 0,
        "{ min = 1e-5; max = 1e-2; log = true; }",
        "fall of the validation loss (nats) that counts as an improvement, for early stopping and the "
        "plateau schedule (ignored by the others)"},
    [EVO_GENE_BATCH_SIZE] = {"batch_size", EVO_GENE_INT, 1, 65536, NULL, 0,
        "{ choice = [16, 32, 64, 128]; }", "rows per mini-batch (the last batch of an epoch may be smaller; "
        "a batch larger than the training split is the whole split, one step per epoch)"},
    [EVO_GENE_HIDDEN_LAYERS] = {"hidden_layers", EVO_GENE_INT, 0, EVO_MLP_MAX_HIDDEN, NULL, 0,
        "{ min = 1; max = 3; }", "number of hidden dense layers (0: a linear softmax classifier)"},
    [EVO_GENE_NEURONS] = NEURONS_GENE(1),
    [EVO_GENE_ACTIVATION] = {"activation", EVO_GENE_ENUM, 0, EVO_ACT_COUNT - 1, evo_kernels_activation_names,
        EVO_ACT_COUNT, "{ choice = [\"relu\", \"tanh\", \"sigmoid\"]; }",
        "activation of the hidden layers: relu; tanh; sigmoid; leaky_relu (x < 0: leaky_slope x); "
        "elu (x < 0: exp(x) - 1, alpha 1); gelu (tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + "
        "0.044715 x^3))))"},
    [EVO_GENE_OPTIMIZER] = {"optimizer", EVO_GENE_ENUM, 0, EVO_OPT_COUNT - 1, evo_optim_names,
        EVO_OPT_COUNT,
        "{ choice = [\"sgd\", \"momentum\", \"nesterov\", \"rmsprop\", \"adam\", \"adamw\"]; }",
        "sgd; momentum (heavy ball: v = momentum v + g, p -= lr v); nesterov (p -= lr (g + momentum v)); "
        "rmsprop (s = rho s + (1 - rho) g^2, p -= lr g / (sqrt(s) + epsilon)); adam (beta1, beta2, "
        "epsilon, bias-corrected); adamw (adam with decoupled weight decay)"},
    [EVO_GENE_MOMENTUM] = {"momentum", EVO_GENE_FLOAT, 0.0, 0.9999, NULL, 0,
        "{ min = 0.8; max = 0.99; }", "velocity decay of momentum and nesterov (ignored by the others)"},
    [EVO_GENE_BETA1] = {"beta1", EVO_GENE_FLOAT, 0.0, 0.9999, NULL, 0,
        "{ min = 0.85; max = 0.95; }", "first-moment decay of adam and adamw (ignored by the others)"},
    [EVO_GENE_BETA2] = {"beta2", EVO_GENE_FLOAT, 0.0, 0.999999, NULL, 0,
        "{ min = 0.99; max = 0.9999; }", "second-moment decay of adam and adamw (ignored by the others)"},
    [EVO_GENE_RHO] = {"rho", EVO_GENE_FLOAT, 0.0, 0.9999, NULL, 0,
        "{ min = 0.8; max = 0.99; }", "squared-gradient decay of rmsprop (ignored by the others)"},
    [EVO_GENE_EPSILON] = {"epsilon", EVO_GENE_FLOAT, 1e-12, 1.0, NULL, 0,
        "{ min = 1e-9; max = 1e-6; log = true; }",
        "term added to the denominator of rmsprop, adam and adamw (ignored by the others)"},
    [EVO_GENE_WEIGHT_DECAY] = {"weight_decay", EVO_GENE_FLOAT, 0.0, 1.0, NULL, 0,
        "{ min = 1e-6; max = 1e-2; log = true; }",
        "weight decay on the weights (not biases): an L2 term weight_decay * w in the gradient, except "
        "adamw's decoupled p -= lr * weight_decay * p"},
    [EVO_GENE_DROPOUT] = {"dropout", EVO_GENE_FLOAT, 0.0, 0.95, NULL, 0,
        "0.1", "drop probability after each hidden activation (inverted dropout), the same in every "
        "layer unless dropout_per_layer is on; conv blocks always drop at this rate, element-wise, "
        "after their pooling"},
    [EVO_GENE_BATCH_SELECTION] = {"batch_selection", EVO_GENE_ENUM, 0, EVO_BATCH_COUNT - 1, evo_batch_selection_names,
        EVO_BATCH_COUNT, "\"shuffle\"",
        "rows of an epoch's batches: shuffle: every row once in a random order; stratified: every "
        "row once, each batch with the training split's class proportions (within one row per "
        "class); balanced: n rows, n / C of each class (a small class's rows repeated, a large "
        "one's subsampled afresh each epoch), each batch with B / C rows per class within one"},
    [EVO_GENE_AUG_TRANSLATE] = {"aug_translate", EVO_GENE_INT, 0, 1000, NULL, 0,
        "0", "image sets only (IDX files, or CSV with data.image_shape; other data ignore every "
        "aug_* gene): max shift in pixels; each training image of a batch (a copy: never the data "
        "set) moves by whole pixels dx, dy drawn uniformly from [-aug_translate, aug_translate]; "
        "shift, rotation and zoom are one bilinear resampling in raw pixel units, blank (0) where "
        "the image leaves the frame (0: off)"},
    [EVO_GENE_AUG_ROTATE] = {"aug_rotate", EVO_GENE_FLOAT, 0.0, 180.0, NULL, 0,
        "0.0", "image sets only: max rotation in degrees, about the centre, uniform in [-aug_rotate, "
        "aug_rotate] (0: off)"},
    [EVO_GENE_AUG_SCALE] = {"aug_scale", EVO_GENE_FLOAT, 0.0, 0.9, NULL, 0,
        "0.0", "image sets only: max relative zoom, about the centre, factor uniform in [1 - "
        "aug_scale, 1 + aug_scale] (0: off)"},
    [EVO_GENE_AUG_FLIP] = {"aug_flip", EVO_GENE_ENUM, 0, 1, switch_names, 2,
        "\"off\"", "image sets only: on: mirror each training image left-right with probability 1/2 "
        "(not for digits or text)"},
    [EVO_GENE_AUG_NOISE] = {"aug_noise", EVO_GENE_FLOAT, 0.0, 10.0, NULL, 0,
        "0.0", "image sets only: std of Gaussian noise added to every pixel of a training image, in "
        "standardised units (0: off)"},
    [EVO_GENE_LEAKY_SLOPE] = {"leaky_slope", EVO_GENE_FLOAT, 0.0, 1.0, NULL, 0,
        "{ min = 0.01; max = 0.3; log = true; }",
        "slope of leaky_relu for negative inputs (ignored by the other activations)"},
    [EVO_GENE_INIT] = {"init", EVO_GENE_ENUM, 0, EVO_INIT_COUNT - 1, init_names, EVO_INIT_COUNT,
        "\"by_activation\"",
        "weight initialisation (biases 0; fan_in, fan_out of each layer; a conv layer's are channels x k "
        "x k and filters x k x k, as PyTorch counts them): by_activation: hidden "
        "layers he_normal for relu, leaky_relu, elu and gelu, xavier_normal for tanh and sigmoid, "
        "the output layer xavier_normal; the others apply to every layer: uniform: U(-0.05, 0.05); "
        "normal: N(0, 0.05^2); xavier_uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)); "
        "xavier_normal: N(0, 2 / (fan_in + fan_out)); he_uniform: U(-a, a), a = sqrt(6 / fan_in); "
        "he_normal: N(0, 2 / fan_in)"},
    [EVO_GENE_L1] = {"l1", EVO_GENE_FLOAT, 0.0, 1.0, NULL, 0,
        "0.0", "L1 penalty on the weights (not biases), conv filters included: l1 * sign(w) added to "
        "their gradient before every optimizer's step, adamw's too (0: off)"},
    [EVO_GENE_MAX_NORM] = {"max_norm", EVO_GENE_FLOAT, 0.0, 1000.0, NULL, 0,
        "0.0", "max-norm constraint: after every update, each hidden unit's incoming weight vector "
        "(bias excluded; not the output layer), and each conv filter's channels x k x k weights, "
        "longer than max_norm is scaled to length max_norm (0: off)"},
    [EVO_GENE_BATCH_NORM] = {"batch_norm", EVO_GENE_ENUM, 0, 1, switch_names, 2,
        "\"off\"", "on: batch normalisation in every hidden layer and conv block, between its product "
        "and its activation: each unit (conv: each channel, over the batch and every pixel) "
        "standardised over the batch (variance + 1e-5), then scaled and "
        "shifted by learned gamma and beta; evaluation and prediction use running means and "
        "variances (momentum 0.1, unbiased variance) gathered in training"},
    [EVO_GENE_DROPOUT_PER_LAYER] = {"dropout_per_layer", EVO_GENE_ENUM, 0, 1, switch_names, 2,
        "\"off\"", "off: every hidden layer drops with the one rate `dropout`; on: layer l with its "
        "own rate dropout_l"},
    [EVO_GENE_NEURONS_2] = NEURONS_GENE(2),
    [EVO_GENE_NEURONS_2 + 1] = NEURONS_GENE(3),
    [EVO_GENE_NEURONS_2 + 2] = NEURONS_GENE(4),
    [EVO_GENE_NEURONS_2 + 3] = NEURONS_GENE(5),
    [EVO_GENE_NEURONS_2 + 4] = NEURONS_GENE(6),
    [EVO_GENE_NEURONS_2 + 5] = NEURONS_GENE(7),
    [EVO_GENE_NEURONS_2 + 6] = NEURONS_GENE(8),
    [EVO_GENE_DROPOUT_1] = DROPOUT_GENE(1),
    [EVO_GENE_DROPOUT_1 + 1] = DROPOUT_GENE(2),
    [EVO_GENE_DROPOUT_1 + 2] = DROPOUT_GENE(3),
    [EVO_GENE_DROPOUT_1 + 3] = DROPOUT_GENE(4),
    [EVO_GENE_DROPOUT_1 + 4] = DROPOUT_GENE(5),
    [EVO_GENE_DROPOUT_1 + 5] = DROPOUT_GENE(6),
    [EVO_GENE_DROPOUT_1 + 6] = DROPOUT_GENE(7),
    [EVO_GENE_DROPOUT_1 + 7] = DROPOUT_GENE(8),
    [EVO_GENE_LOSS] = {"loss", EVO_GENE_ENUM, 0, EVO_LOSS_COUNT - 1, evo_mlp_loss_names, EVO_LOSS_COUNT,
        "\"categorical_crossentropy\"",
        "loss trained on, with its output layer: categorical_crossentropy: softmax, -log p(label); "
        "binary_crossentropy: one sigmoid unit per class (one-vs-rest; two units for two classes), "
        "the sum of their binary cross-entropies, class probabilities the sigmoids normalised to sum "
        "1; mse: classification: softmax, sum over classes of (p - onehot)^2 (Brier score); "
        "regression (data.task): one linear unit, squared error on the standardised target. "
        "Regression allows mse only and uses it when this key is not set"},
    [EVO_GENE_CONV_BLOCKS] = {"conv_blocks", EVO_GENE_INT, 0, EVO_MLP_MAX_CONV, NULL, 0, "0",
        "image data only (IDX files, or CSV with data.image_shape; other data allow 0 only): "
        "convolutional blocks before the dense layers, each a 2-D convolution (stride 1, 'same' zero "
        "padding) with filters_<i> filters of kernel_size x kernel_size, batch normalisation per "
        "channel when batch_norm is on, the activation, 2 x 2 max-pooling when pooling is max, and "
        "element-wise dropout at the `dropout` rate (dropout_<l> number the dense hidden layers only, "
        "conv blocks never); the dense layers take the last block's output flattened channel by "
        "channel (0: a plain MLP)"},
    [EVO_GENE_FILTERS_1] = FILTERS_GENE(1),
    [EVO_GENE_FILTERS_1 + 1] = FILTERS_GENE(2),
    [EVO_GENE_FILTERS_1 + 2] = FILTERS_GENE(3),
    [EVO_GENE_FILTERS_1 + 3] = FILTERS_GENE(4),
    [EVO_GENE_KERNEL_SIZE] = {"kernel_size", EVO_GENE_INT, 1, 7, NULL, 0, "{ choice = [3, 5]; }",
        "image data only: height and width of every convolution's kernel; odd (a value or a choice, "
        "not a range); weights initialised with fan-in channels x k x k and fan-out filters x k x k "
        "(recorded as 0 without conv blocks)"},
    [EVO_GENE_POOLING] = {"pooling", EVO_GENE_ENUM, 0, EVO_POOL_COUNT - 1, pooling_names, EVO_POOL_COUNT,
        "\"max\"", "image data only: after each conv block, none or max (2 x 2 windows, stride 2; an "
        "odd height or width drops its last row or column; a genome whose pooling would shrink the "
        "image below 1 x 1 is recorded with status too_small and not trained). Recorded as none "
        "without conv blocks"},
};

_Static_assert(EVO_MLP_MAX_HIDDEN == 8, "the per-layer genes above are written out for 8 layers");
_Static_assert(EVO_MLP_MAX_CONV == 4, "the per-block genes above are written out for 4 blocks");

const struct evo_gene_info *evo_genome_gene(int id)
{
    return id >= 0 && id < EVO_GENE_COUNT ? &genes[id] : NULL;
}

int evo_genome_find(const char *name)
{
    for (int i = 0; i < EVO_GENE_COUNT; i++)
        if (!strcmp(genes[i].name, name))
            return i;
    return -1;
}

void evo_genome_range_bounds(const struct evo_gene_spec *s, int type, double *lo, double *hi)
{
    double a = s->min, b = s->max;
    if (type == EVO_GENE_INT) {
        a -= 0.4999;
        b += 0.4999;
        if (s->log && a <= 0)
            a = s->min * 0.5;
    }
    *lo = s->log ? log(a) : a;
    *hi = s->log ? log(b) : b;
}

double evo_genome_range_point(const struct evo_gene_spec *s, double v)
{
    return s->log ? log(v) : v;
}

double evo_genome_range_value(const struct evo_gene_spec *s, int type, double t)
{
    double v = s->log ? exp(t) : t;
    if (type == EVO_GENE_INT)
        v = nearbyint(v) + 0.0; /* + 0.0: no -0 from rounding -0.3 (it printed as "-0") */
    return fmin(fmax(v, s->min), s->max);
}

static double sample_gene(const struct evo_gene_spec *s, int type, struct evo_rng *rng)
{
    switch (s->kind) {
    case EVO_SPEC_RANGE: {
        double lo, hi;
        evo_genome_range_bounds(s, type, &lo, &hi);
        return evo_genome_range_value(s, type, lo + (hi - lo) * evo_rng_uniform(rng));
    }
    case EVO_SPEC_CHOICE:
        return s->choices[evo_rng_below(rng, s->n_choices)];
    default:
        return s->value;
    }
}

/* The stream the operators draw from for gene i: the caller's for the original genes; for those
 * added later, one derived from the caller's state (*added, seeded at the first of them) without
 * advancing the caller's stream, which the next operator then continues as before. */
static struct evo_rng *gene_rng(int i, struct evo_rng *rng, struct evo_rng *added)
{
    if (i < EVO_GENE_FIRST_ADDED)
        return rng;
    if (i == EVO_GENE_FIRST_ADDED) {
        struct evo_rng peek = *rng;
        evo_rng_seed(added, evo_rng_next(&peek), 0, 0, EVO_GENE_FIRST_ADDED);
    }
    return added;
}

void evo_genome_sample(struct evo_genome *out, const struct evo_space *space, struct evo_rng *rng)
{
    struct evo_rng added;
    for (int i = 0; i < EVO_GENE_COUNT; i++)
        out->g[i] = sample_gene(&space->spec[i], genes[i].type, gene_rng(i, rng, &added));
}

void evo_genome_crossover(struct evo_genome *child, const struct evo_genome *a,
                          const struct evo_genome *b, struct evo_rng *rng)
{
    struct evo_rng added;
    for (int i = 0; i < EVO_GENE_COUNT; i++)
        child->g[i] = (evo_rng_next(gene_rng(i, rng, &added)) >> 63) ? b->g[i] : a->g[i];
}

static double mutate_range(const struct evo_gene_spec *s, int type, double v, struct evo_rng *rng)
{
    double lo, hi;
    evo_genome_range_bounds(s, type, &lo, &hi);
    double w = hi - lo;
    if (w <= 0)
        return v;
    double t = evo_genome_range_point(s, v) + 0.1 * w * evo_rng_normal(rng);
    /* Reflect at the bounds (possibly several times for a large step) rather than clamp, so that the
     * bounds do not collect probability mass. */
    double period = 2 * w, u = fmod(t - lo, period);
    if (u < 0)
        u += period;
    t = lo + (u <= w ? u : period - u);
    return evo_genome_range_value(s, type, t);
}

void evo_genome_mutate(struct evo_genome *g, const struct evo_space *space, double rate,
                       struct evo_rng *caller)
{
    struct evo_rng added;
    for (int i = 0; i < EVO_GENE_COUNT; i++) {
        struct evo_rng *rng = gene_rng(i, caller, &added);
        const struct evo_gene_spec *s = &space->spec[i];
        /* The uniform is drawn for every gene, fixed ones too, so that the stream's position does not
         * depend on which genes a config happens to fix. */
        int hit = evo_rng_uniform(rng) < rate;
        if (!hit || s->kind == EVO_SPEC_FIXED)
            continue;
        if (s->kind == EVO_SPEC_RANGE) {
            g->g[i] = mutate_range(s, genes[i].type, g->g[i], rng);
        } else if (s->n_choices > 1) {
            /* another choice, uniformly among the others */
            size_t cur = 0;
            while (cur < s->n_choices && s->choices[cur] != g->g[i])
                cur++;
            size_t k = (size_t)evo_rng_below(rng, s->n_choices - (cur < s->n_choices));
            if (cur < s->n_choices && k >= cur)
                k++;
            g->g[i] = s->choices[k];
        }
    }
}

int evo_genome_in_space(const struct evo_genome *g, const struct evo_space *space)
{
    for (int i = 0; i < EVO_GENE_COUNT; i++) {
        const struct evo_gene_spec *s = &space->spec[i];
        double v = g->g[i];
        if (genes[i].type != EVO_GENE_FLOAT && v != nearbyint(v))
            return 0;
        switch (s->kind) {
        case EVO_SPEC_FIXED:
            if (v != s->value)
                return 0;
            break;
        case EVO_SPEC_RANGE:
            if (!(v >= s->min && v <= s->max))
                return 0;
            break;
        default: {
            size_t k = 0;
            while (k < s->n_choices && s->choices[k] != v)
                k++;
            if (k == s->n_choices)
                return 0;
        }
        }
    }
    return 1;
}

void evo_genome_decode(const struct evo_genome *g, size_t n_in, size_t n_out,
                       struct evo_mlp_arch *arch, struct evo_train_params *tp)
{
    memset(arch, 0, sizeof *arch);
    arch->n_in = n_in;
    arch->n_out = n_out;
    arch->n_hidden = (size_t)g->g[EVO_GENE_HIDDEN_LAYERS];
    for (size_t l = 0; l < arch->n_hidden; l++)
        arch->hidden[l] = (size_t)g->g[evo_genome_neurons_gene(l)];
    arch->activation = (int)g->g[EVO_GENE_ACTIVATION];
    arch->batch_norm = (int)g->g[EVO_GENE_BATCH_NORM];

    memset(tp, 0, sizeof *tp);
    tp->learning_rate = g->g[EVO_GENE_LEARNING_RATE];
    tp->epochs = (int)g->g[EVO_GENE_EPOCHS];
    tp->batch_size = (size_t)g->g[EVO_GENE_BATCH_SIZE];
    tp->optimizer = (int)g->g[EVO_GENE_OPTIMIZER];
    tp->weight_decay = g->g[EVO_GENE_WEIGHT_DECAY];
    tp->dropout = g->g[EVO_GENE_DROPOUT];
    tp->momentum = g->g[EVO_GENE_MOMENTUM];
    tp->beta1 = g->g[EVO_GENE_BETA1];
    tp->beta2 = g->g[EVO_GENE_BETA2];
    tp->rho = g->g[EVO_GENE_RHO];
    tp->eps = g->g[EVO_GENE_EPSILON];
    tp->lr_schedule = (int)g->g[EVO_GENE_LR_SCHEDULE];
    tp->lr_step_epochs = (int)g->g[EVO_GENE_LR_STEP_EPOCHS];
    tp->lr_decay = g->g[EVO_GENE_LR_DECAY];
    tp->lr_warmup_epochs = (int)g->g[EVO_GENE_LR_WARMUP_EPOCHS];
    tp->lr_plateau_patience = (int)g->g[EVO_GENE_LR_PLATEAU_PATIENCE];
    tp->lr_min = g->g[EVO_GENE_LR_MIN];
    tp->early_stopping = (int)g->g[EVO_GENE_EARLY_STOPPING];
    tp->patience = (int)g->g[EVO_GENE_PATIENCE];
    tp->min_delta = g->g[EVO_GENE_MIN_DELTA];
    tp->batch_selection = (int)g->g[EVO_GENE_BATCH_SELECTION];
    tp->augment.translate = (int)g->g[EVO_GENE_AUG_TRANSLATE];
    tp->augment.rotate = g->g[EVO_GENE_AUG_ROTATE];
    tp->augment.scale = g->g[EVO_GENE_AUG_SCALE];
    tp->augment.flip = (int)g->g[EVO_GENE_AUG_FLIP];
    tp->augment.noise = g->g[EVO_GENE_AUG_NOISE];
    arch->leaky_slope = g->g[EVO_GENE_LEAKY_SLOPE];
    arch->init = (int)g->g[EVO_GENE_INIT];
    tp->l1 = g->g[EVO_GENE_L1];
    tp->max_norm = g->g[EVO_GENE_MAX_NORM];
    tp->dropout_per_layer = (int)g->g[EVO_GENE_DROPOUT_PER_LAYER];
    for (size_t l = 0; l < EVO_MLP_MAX_HIDDEN; l++)
        tp->layer_dropout[l] = g->g[evo_genome_dropout_gene(l)];
    arch->loss = (int)g->g[EVO_GENE_LOSS];
    arch->conv_blocks = (size_t)g->g[EVO_GENE_CONV_BLOCKS];
    for (size_t i = 0; i < arch->conv_blocks; i++)
        arch->filters[i] = (size_t)g->g[evo_genome_filters_gene(i)];
    if (arch->conv_blocks) {
        arch->kernel_size = (size_t)g->g[EVO_GENE_KERNEL_SIZE];
        arch->pooling = (int)g->g[EVO_GENE_POOLING];
    }
}

int evo_genome_gene_layer(int id)
{
    if (id == EVO_GENE_NEURONS)
        return 0;
    if (id >= EVO_GENE_NEURONS_2 && id < EVO_GENE_DROPOUT_1)
        return id - EVO_GENE_NEURONS_2 + 1;
    if (id >= EVO_GENE_DROPOUT_1 && id < EVO_GENE_DROPOUT_1 + EVO_MLP_MAX_HIDDEN)
        return id - EVO_GENE_DROPOUT_1;
    return -1;
}

int evo_genome_gene_block(int id)
{
    return id >= EVO_GENE_FILTERS_1 && id < EVO_GENE_FILTERS_1 + EVO_MLP_MAX_CONV ? id - EVO_GENE_FILTERS_1 : -1;
}

/* Which genes apply to which genome: the one table that evo_genome_active and evo_genome_applies read.
 * A gene applies when each of its conditions holds: gene `on` of the genome has one of the values in
 * the mask (bit v: the value v, an enum index or a count). A condition marked `absent` says that the
 * gene's layer or block does not exist (evo_genome_active: records show a placeholder); the others
 * say that the trainer ignores the value. Genes without a condition always apply, and so do those
 * whose condition is an "or" of two genes: min_delta (early stopping, or the plateau schedule) and
 * dropout (conv blocks, or dense layers without dropout_per_layer). */
struct gene_condition {
    int on;          /* the gene it depends on */
    uint64_t values; /* the values of `on` under which it applies */
    int absent;      /* 1: not holding means the gene's layer or block is absent */
};
struct gene_applies {
    int n;
    struct gene_condition when[2];
};

#define VALUE(v) ((uint64_t)1 << (v))
#define ABOVE(n) (~(uint64_t)0 << ((n) + 1)) /* every count above n */
#define OPTIMIZERS(mask) {1, {{EVO_GENE_OPTIMIZER, (mask), 0}}}
#define SCHEDULES(mask) {1, {{EVO_GENE_LR_SCHEDULE, (mask), 0}}}
#define LAYER_NEURONS(l)                                                                           \
    [(l) == 0 ? EVO_GENE_NEURONS : EVO_GENE_NEURONS_2 + (l) - 1] = {1, {{EVO_GENE_HIDDEN_LAYERS, ABOVE(l), 1}}}
#define LAYER_DROPOUT(l)                                                                           \
    [EVO_GENE_DROPOUT_1 + (l)] = {2, {{EVO_GENE_HIDDEN_LAYERS, ABOVE(l), 1},                        \
                                      {EVO_GENE_DROPOUT_PER_LAYER, VALUE(1), 0}}}
#define BLOCK_FILTERS(i) [EVO_GENE_FILTERS_1 + (i)] = {1, {{EVO_GENE_CONV_BLOCKS, ABOVE(i), 1}}}

static const struct gene_applies applies[EVO_GENE_COUNT] = {
    [EVO_GENE_LR_STEP_EPOCHS] = SCHEDULES(VALUE(EVO_LR_STEP)),
    [EVO_GENE_LR_DECAY] = SCHEDULES(VALUE(EVO_LR_STEP) | VALUE(EVO_LR_EXPONENTIAL) | VALUE(EVO_LR_PLATEAU)),
    [EVO_GENE_LR_WARMUP_EPOCHS] = SCHEDULES(VALUE(EVO_LR_WARMUP)),
    [EVO_GENE_LR_PLATEAU_PATIENCE] = SCHEDULES(VALUE(EVO_LR_PLATEAU)),
    [EVO_GENE_LR_MIN] = SCHEDULES(~VALUE(EVO_LR_CONSTANT)),
    [EVO_GENE_PATIENCE] = {1, {{EVO_GENE_EARLY_STOPPING, VALUE(1), 0}}},
    [EVO_GENE_MOMENTUM] = OPTIMIZERS(VALUE(EVO_OPT_MOMENTUM) | VALUE(EVO_OPT_NESTEROV)),
    [EVO_GENE_BETA1] = OPTIMIZERS(VALUE(EVO_OPT_ADAM) | VALUE(EVO_OPT_ADAMW)),
    [EVO_GENE_BETA2] = OPTIMIZERS(VALUE(EVO_OPT_ADAM) | VALUE(EVO_OPT_ADAMW)),
    [EVO_GENE_RHO] = OPTIMIZERS(VALUE(EVO_OPT_RMSPROP)),
    [EVO_GENE_EPSILON] = OPTIMIZERS(VALUE(EVO_OPT_RMSPROP) | VALUE(EVO_OPT_ADAM) | VALUE(EVO_OPT_ADAMW)),
    [EVO_GENE_LEAKY_SLOPE] = {1, {{EVO_GENE_ACTIVATION, VALUE(EVO_ACT_LEAKY_RELU), 0}}},
    LAYER_NEURONS(0), LAYER_NEURONS(1), LAYER_NEURONS(2), LAYER_NEURONS(3),
    LAYER_NEURONS(4), LAYER_NEURONS(5), LAYER_NEURONS(6), LAYER_NEURONS(7),
    LAYER_DROPOUT(0), LAYER_DROPOUT(1), LAYER_DROPOUT(2), LAYER_DROPOUT(3),
    LAYER_DROPOUT(4), LAYER_DROPOUT(5), LAYER_DROPOUT(6), LAYER_DROPOUT(7),
    BLOCK_FILTERS(0), BLOCK_FILTERS(1), BLOCK_FILTERS(2), BLOCK_FILTERS(3),
    [EVO_GENE_KERNEL_SIZE] = {1, {{EVO_GENE_CONV_BLOCKS, ABOVE(0), 1}}},
    [EVO_GENE_POOLING] = {1, {{EVO_GENE_CONV_BLOCKS, ABOVE(0), 1}}},
};

/* 1 when every condition of gene id holds for g (only those marked absent when absent_only). */
static int conditions_hold(const struct evo_genome *g, int id, int absent_only)
{
    const struct gene_applies *a = &applies[id];
    for (int k = 0; k < a->n; k++) {
        const struct gene_condition *c = &a->when[k];
        double v = g->g[c->on];
        if (absent_only && !c->absent)
            continue;
        if (!(v >= 0 && v < 64 && v == floor(v) && (c->values >> (int)v & 1)))
            return 0;
    }
    return 1;
}

int evo_genome_active(const struct evo_genome *g, int id)
{
    return conditions_hold(g, id, 1);
}

int evo_genome_applies(const struct evo_genome *g, int id)
{
    return conditions_hold(g, id, 0);
}

/* 1 when v is a value gene id may take: finite, within the hard bounds, whole for INT and ENUM genes. */
static int gene_value_ok(int id, double v)
{
    return isfinite(v) && v >= genes[id].lo && v <= genes[id].hi &&
           (genes[id].type == EVO_GENE_FLOAT || v == floor(v));
}

int evo_genome_within_bounds(const struct evo_genome *g)
{
    /* hidden_layers and conv_blocks first: which per-layer genes are active depends on them */
    if (!gene_value_ok(EVO_GENE_HIDDEN_LAYERS, g->g[EVO_GENE_HIDDEN_LAYERS]) ||
        !gene_value_ok(EVO_GENE_CONV_BLOCKS, g->g[EVO_GENE_CONV_BLOCKS]))
        return 0;
    /* even kernels are outside what the convolution does */
    if (g->g[EVO_GENE_CONV_BLOCKS] > 0 && fmod(g->g[EVO_GENE_KERNEL_SIZE], 2.0) != 1.0)
        return 0;
    for (int id = 0; id < EVO_GENE_COUNT; id++)
        if (evo_genome_active(g, id) && !gene_value_ok(id, g->g[id]))
            return 0;
    return 1;
}

double evo_genome_inactive_value(int id)
{
    return genes[id].type == EVO_GENE_FLOAT ? NAN : 0.0;
}

double evo_genome_spec_max(const struct evo_gene_spec *s)
{
    switch (s->kind) {
    case EVO_SPEC_RANGE: return s->max;
    case EVO_SPEC_CHOICE: {
        double m = s->choices[0];
        for (size_t k = 1; k < s->n_choices; k++)
            m = fmax(m, s->choices[k]);
        return m;
    }
    default: return s->value;
    }
}

void evo_genome_space_limits(const struct evo_space *space, size_t *max_hidden, size_t *max_width,
                             size_t *max_batch)
{
    *max_hidden = (size_t)evo_genome_spec_max(&space->spec[EVO_GENE_HIDDEN_LAYERS]);
    *max_width = 0;
    for (size_t l = 0; l < *max_hidden && l < EVO_MLP_MAX_HIDDEN; l++) {
        size_t w = (size_t)evo_genome_spec_max(&space->spec[evo_genome_neurons_gene(l)]);
        *max_width = w > *max_width ? w : *max_width;
    }
    *max_batch = (size_t)evo_genome_spec_max(&space->spec[EVO_GENE_BATCH_SIZE]);
}

void evo_genome_space_bound(const struct evo_space *space, size_t n_in, size_t n_out, size_t image_h,
                            size_t image_w, struct evo_mlp_arch *bound, size_t *max_batch)
{
    size_t max_hidden, max_width;
    evo_genome_space_limits(space, &max_hidden, &max_width, max_batch);
    memset(bound, 0, sizeof *bound);
    bound->n_in = n_in;
    bound->n_out = n_out;
    bound->n_hidden = max_hidden < EVO_MLP_MAX_HIDDEN ? max_hidden : EVO_MLP_MAX_HIDDEN;
    for (size_t l = 0; l < bound->n_hidden; l++)
        bound->hidden[l] = max_width;
    size_t blocks = (size_t)evo_genome_spec_max(&space->spec[EVO_GENE_CONV_BLOCKS]);
    if (image_h == 0 || image_w == 0 || blocks == 0)
        return;
    bound->conv_blocks = blocks < EVO_MLP_MAX_CONV ? blocks : EVO_MLP_MAX_CONV;
    size_t widest = 0;
    for (size_t i = 0; i < bound->conv_blocks; i++) {
        size_t f = (size_t)evo_genome_spec_max(&space->spec[evo_genome_filters_gene(i)]);
        widest = f > widest ? f : widest;
    }
    for (size_t i = 0; i < bound->conv_blocks; i++)
        bound->filters[i] = widest;
    bound->kernel_size = (size_t)evo_genome_spec_max(&space->spec[EVO_GENE_KERNEL_SIZE]) | 1;
    /* without pooling the blocks keep the full image, the most scratch */
    const struct evo_gene_spec *pool = &space->spec[EVO_GENE_POOLING];
    int none = pool->kind == EVO_SPEC_FIXED ? pool->value == EVO_POOL_NONE : 0;
    for (size_t k = 0; pool->kind == EVO_SPEC_CHOICE && k < pool->n_choices; k++)
        none |= pool->choices[k] == EVO_POOL_NONE;
    if (pool->kind == EVO_SPEC_RANGE)
        none = pool->min <= EVO_POOL_NONE;
    bound->pooling = none ? EVO_POOL_NONE : EVO_POOL_MAX;
    bound->image_c = 1;
    bound->image_h = image_h;
    bound->image_w = image_w;
}

void evo_genome_format(char *buf, size_t n, int id, double value)
{
    const struct evo_gene_info *gi = &genes[id];
    if (gi->type == EVO_GENE_ENUM && value >= 0 && value < gi->n_enum)
        snprintf(buf, n, "%s", gi->enum_names[(int)value]);
    else if (gi->type == EVO_GENE_INT)
        snprintf(buf, n, "%.0f", value);
    else
        snprintf(buf, n, "%.4g", value);
}
