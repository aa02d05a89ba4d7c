/* Internal to src/genome/: what its files share and nothing outside reads. The gene table itself
 * (table.c), which the operators (operators.c) and the activity checks (activity.c) index directly;
 * outside src/genome/ it is reached through evo_genome_gene. */
#ifndef EVOTUNE_GENOME_INTERNAL_H
#define EVOTUNE_GENOME_INTERNAL_H
#include "evotune/genome.h"

/* The gene table, indexed by enum evo_gene_id (table.c). */
extern const struct evo_gene_info evo_genome_genes[EVO_GENE_COUNT];

#endif
