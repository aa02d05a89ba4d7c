/* The gene table: every gene's row (name, type, hard bounds, enum names, default search range, help
 * text), the one place a hyperparameter is defined; and what an id names: its row, the id of a name,
 * the hidden layer or conv block a per-layer gene belongs to, and a gene's value as text. */
#include "internal.h"
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

const struct evo_gene_info evo_genome_genes[EVO_GENE_COUNT] = {
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
    return id >= 0 && id < EVO_GENE_COUNT ? &evo_genome_genes[id] : NULL;
}

int evo_genome_find(const char *name)
{
    for (int i = 0; i < EVO_GENE_COUNT; i++)
        if (!strcmp(evo_genome_genes[i].name, name))
            return i;
    return -1;
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

void evo_genome_format(char *buf, size_t n, int id, double value)
{
    const struct evo_gene_info *gi = &evo_genome_genes[id];
    if (gi->type == EVO_GENE_ENUM && value >= 0 && value < gi->n_enum)
        snprintf(buf, n, "%s", gi->enum_names[(int)value]);
    else if (gi->type == EVO_GENE_INT)
        snprintf(buf, n, "%.0f", value);
    else
        snprintf(buf, n, "%.4g", value);
}
