/* Decoding a genome into what the trainer builds and follows: the network's architecture (hidden
 * layers, conv blocks, activation, loss, initialisation) and the training parameters (optimizer and
 * its coefficients, schedule, epochs, batches, regularisation, augmentation). */
#include "evotune/genome.h"
#include <string.h>

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
