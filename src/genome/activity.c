/* Which genes apply to a genome: the one table of conditions (a gene's layer or block exists, its
 * optimizer, schedule, activation or switch is chosen) that evo_genome_active and evo_genome_applies
 * read; the check of a genome read from a file against the hard bounds of its active genes; and the
 * value records show for an inactive gene. */
#include "internal.h"
#include <math.h>
#include <stdint.h>
#include "evotune/optim.h"

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
    return isfinite(v) && v >= evo_genome_genes[id].lo && v <= evo_genome_genes[id].hi &&
           (evo_genome_genes[id].type == EVO_GENE_FLOAT || v == floor(v));
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
    return evo_genome_genes[id].type == EVO_GENE_FLOAT ? NAN : 0.0;
}
