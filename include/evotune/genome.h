/* Genes, search spaces and genomes. The gene table (name, type, hard bounds, enum names, default
 * search range, help) is the single place a hyperparameter is defined: the config parser, the GA
 * operators, the trainer's decoder and the HDF5 schema all read it. */
#ifndef EVOTUNE_GENOME_H
#define EVOTUNE_GENOME_H
#include <stddef.h>
#include "evotune/mlp.h"
#include "evotune/rng.h"

/* Genes whose meaning depends on another gene (an optimizer's coefficients, a schedule's
 * parameters, early stopping's) are sampled and stored always, and ignored by the trainer when the
 * gene they belong to does not use them; their help says when they apply, and evo_genome_applies
 * answers it from one table. */
enum evo_gene_id {
    EVO_GENE_LEARNING_RATE,
    EVO_GENE_LR_SCHEDULE,
    EVO_GENE_LR_STEP_EPOCHS,
    EVO_GENE_LR_DECAY,
    EVO_GENE_LR_WARMUP_EPOCHS,
    EVO_GENE_LR_PLATEAU_PATIENCE,
    EVO_GENE_LR_MIN,
    EVO_GENE_EPOCHS,
    EVO_GENE_EARLY_STOPPING,
    EVO_GENE_PATIENCE,
    EVO_GENE_MIN_DELTA,
    EVO_GENE_BATCH_SIZE,
    EVO_GENE_HIDDEN_LAYERS,
    EVO_GENE_NEURONS,
    EVO_GENE_ACTIVATION,
    EVO_GENE_OPTIMIZER,
    EVO_GENE_MOMENTUM,
    EVO_GENE_BETA1,
    EVO_GENE_BETA2,
    EVO_GENE_RHO,
    EVO_GENE_EPSILON,
    EVO_GENE_WEIGHT_DECAY,
    EVO_GENE_DROPOUT,
    /* Genes from here on were added later: they are appended, and the operators draw for them from
     * a stream derived from the caller's without advancing it, so that the draws for the genes
     * above, and the results of searches that do not use the new genes, are what they were before
     * the new genes existed. */
    EVO_GENE_BATCH_SELECTION,
    EVO_GENE_AUG_TRANSLATE,
    EVO_GENE_AUG_ROTATE,
    EVO_GENE_AUG_SCALE,
    EVO_GENE_AUG_FLIP,
    EVO_GENE_AUG_NOISE,
    EVO_GENE_LEAKY_SLOPE,
    EVO_GENE_INIT,
    EVO_GENE_L1,
    EVO_GENE_MAX_NORM,
    EVO_GENE_BATCH_NORM,
    EVO_GENE_DROPOUT_PER_LAYER,
    /* layers 2 to EVO_MLP_MAX_HIDDEN's widths (layer 1's is EVO_GENE_NEURONS), then every hidden
     * layer's own dropout: use evo_genome_neurons_gene and evo_genome_dropout_gene */
    EVO_GENE_NEURONS_2,
    EVO_GENE_DROPOUT_1 = EVO_GENE_NEURONS_2 + EVO_MLP_MAX_HIDDEN - 1,
    /* appended after the per-layer genes, so that searches without it draw what they drew before */
    EVO_GENE_LOSS = EVO_GENE_DROPOUT_1 + EVO_MLP_MAX_HIDDEN,
    /* the convolutional blocks (image data only), appended likewise: their count, each block's
     * filters (use evo_genome_filters_gene), the kernel size and the pooling after each block */
    EVO_GENE_CONV_BLOCKS,
    EVO_GENE_FILTERS_1,
    EVO_GENE_KERNEL_SIZE = EVO_GENE_FILTERS_1 + EVO_MLP_MAX_CONV,
    EVO_GENE_POOLING,
    EVO_GENE_COUNT
};

enum evo_gene_type {
    EVO_GENE_FLOAT, /* real value */
    EVO_GENE_INT,   /* integer value */
    EVO_GENE_ENUM,  /* index into the gene's enum names */
};

struct evo_gene_info {
    const char *name;               /* config key and HDF5 field name */
    int type;                       /* enum evo_gene_type */
    double lo, hi;                  /* hard bounds any spec must respect (enum: 0, n_enum - 1) */
    const char *const *enum_names;  /* ENUM only */
    int n_enum;                     /* ENUM only */
    const char *default_spec;       /* default search range, in libconfig syntax */
    const char *help;               /* one line for the config reference */
};

/* Gene ids of hidden layer l's width ("neurons_<l+1>") and own dropout rate ("dropout_<l+1>"),
 * l in [0, EVO_MLP_MAX_HIDDEN). */
static inline int evo_genome_neurons_gene(size_t l)
{
    return l == 0 ? EVO_GENE_NEURONS : EVO_GENE_NEURONS_2 + (int)l - 1;
}
static inline int evo_genome_dropout_gene(size_t l)
{
    return EVO_GENE_DROPOUT_1 + (int)l;
}

/* Gene id of conv block i's filter count ("filters_<i+1>"), i in [0, EVO_MLP_MAX_CONV). */
static inline int evo_genome_filters_gene(size_t i)
{
    return EVO_GENE_FILTERS_1 + (int)i;
}

/* The gene table, indexed by enum evo_gene_id. */
const struct evo_gene_info *evo_genome_gene(int id);
/* Gene id of a name, or -1. */
int evo_genome_find(const char *name);

enum evo_spec_kind {
    EVO_SPEC_FIXED,  /* value */
    EVO_SPEC_RANGE,  /* [min, max], uniform in the value or (log) in its logarithm; INT genes round */
    EVO_SPEC_CHOICE, /* one of choices[] (ENUM genes: enum indices) */
};

#define EVO_SPEC_MAX_CHOICES 32

struct evo_gene_spec {
    int kind;          /* enum evo_spec_kind */
    double value;      /* FIXED */
    double min, max;   /* RANGE */
    int log;           /* RANGE: sample and mutate log(value) */
    size_t n_choices;  /* CHOICE */
    double choices[EVO_SPEC_MAX_CHOICES];
};

struct evo_space {
    struct evo_gene_spec spec[EVO_GENE_COUNT];
};

struct evo_genome {
    double g[EVO_GENE_COUNT]; /* gene values; INT genes hold integers, ENUM genes enum indices */
};

/* The first gene of those added later (see above). */
#define EVO_GENE_FIRST_ADDED EVO_GENE_BATCH_SELECTION

/* Draws every gene from its spec. */
void evo_genome_sample(struct evo_genome *out, const struct evo_space *space, struct evo_rng *rng);

/* Uniform crossover: each gene from a or b with probability 1/2. */
void evo_genome_crossover(struct evo_genome *child, const struct evo_genome *a,
                          const struct evo_genome *b, struct evo_rng *rng);

/* Mutates each non-fixed gene with probability `rate`: RANGE genes by a Gaussian step of 0.1 of the
 * range's width in the (log-)transformed space, reflected into [min, max] (INT genes rounded);
 * CHOICE genes by drawing another choice. The result always lies in the space. */
void evo_genome_mutate(struct evo_genome *g, const struct evo_space *space, double rate,
                       struct evo_rng *rng);

/* 1 when every gene of g lies in the space (ranges inclusive, choices exact), else 0. */
int evo_genome_in_space(const struct evo_genome *g, const struct evo_space *space);

/* Architecture (n_in, n_out given) and training parameters encoded by g (tp->curve NULL; a classification
 * network: a caller training for regression sets arch->regression, the target statistics, n_out 1, and
 * tp->fitness). */
void evo_genome_decode(const struct evo_genome *g, size_t n_in, size_t n_out,
                       struct evo_mlp_arch *arch, struct evo_train_params *tp);

/* Largest hidden layer count, width and batch size the space can produce (workspace sizing). */
void evo_genome_space_limits(const struct evo_space *space, size_t *max_hidden, size_t *max_width,
                             size_t *max_batch);
/* The architecture that bounds every network of the space on n_in inputs (an image_h x image_w
 * image when image_h > 0), n_out outputs: the most hidden layers and conv blocks, each at the widest
 * any of its layers or blocks can be, the largest kernel (for evo_mlp_workspace_init_for); *max_batch
 * the largest batch. */
void evo_genome_space_bound(const struct evo_space *space, size_t n_in, size_t n_out, size_t image_h,
                            size_t image_w, struct evo_mlp_arch *bound, size_t *max_batch);

/* A RANGE spec is sampled, mutated and modelled in a transformed coordinate: the logarithm of the
 * value for a log range, the value itself otherwise. evo_genome_range_bounds: the interval sampled,
 * [min, max] in that coordinate, for INT genes widened by half a unit each side (so that every integer
 * is equally likely after rounding); evo_genome_range_point: the coordinate of value v;
 * evo_genome_range_value: the gene value at coordinate t (exp for log, rounded for INT genes, clamped
 * to [min, max]). type: the gene's enum evo_gene_type. */
void evo_genome_range_bounds(const struct evo_gene_spec *s, int type, double *lo, double *hi);
double evo_genome_range_point(const struct evo_gene_spec *s, double v);
double evo_genome_range_value(const struct evo_gene_spec *s, int type, double t);

/* Largest value a spec can produce (its max, largest choice, or fixed value). */
double evo_genome_spec_max(const struct evo_gene_spec *s);

/* The hidden layer (0-based) a per-layer gene belongs to, or -1 for the genes of the whole network. */
int evo_genome_gene_layer(int id);
/* The conv block (0-based) a per-block gene (filters_<i>) belongs to, or -1. */
int evo_genome_gene_block(int id);

/* Which genes apply to a genome is one table in src/genome/activity.c (gene, the gene it depends on,
 * the values under which it applies); these two read it.
 * evo_genome_active: 1 unless gene id belongs to a part g's network does not have: the per-layer genes
 * of layers g does not have (layer >= hidden_layers), the filters of blocks it does not have (block >=
 * conv_blocks), and kernel_size and pooling without conv blocks. Inactive genes are still sampled,
 * bred and mutated (a later mutation of hidden_layers brings them back); /individuals records them as
 * evo_genome_inactive_value.
 * evo_genome_applies: 1 when, moreover, the trainer reads the value: not an optimizer's coefficient
 * under another optimizer (rho under adam), a schedule's parameter under another schedule, patience
 * without early stopping, leaky_slope under another activation, dropout_<l> without dropout_per_layer.
 * What model-guided strategies (tpe) learn from; records keep these values. */
int evo_genome_active(const struct evo_genome *g, int id);
int evo_genome_applies(const struct evo_genome *g, int id);

/* 1 when every active gene of g (evo_genome_active) is finite, within its hard bounds (the gene table's
 * lo, hi) and whole for integer and enum genes, so that evo_genome_decode may be applied; else 0.
 * For genomes read from files, whose values nothing else has checked. */
int evo_genome_within_bounds(const struct evo_genome *g);

/* What results tables record for an inactive gene: 0 for integer genes (whose bounds exclude it),
 * NaN for float genes. */
double evo_genome_inactive_value(int id);

/* Writes the gene value as text ("0.00123", "64", "relu") into buf. */
void evo_genome_format(char *buf, size_t n, int id, double value);

#endif
