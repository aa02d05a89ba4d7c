/* The size of a search space: the largest value each spec can produce, and from them the largest
 * hidden layer count, width and batch, and the network that bounds every network of the space, which
 * the workspaces are allocated for before any trial runs. */
#include "evotune/genome.h"
#include <math.h>
#include <string.h>

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
