/* The layouts of the run log's tables (private to src/store/): /individuals' packed row, which
 * /in_flight and /best/individual share, and the compound types of /generations, /curves and /folds. */
#ifndef EVOTUNE_STORE_ROWS_H
#define EVOTUNE_STORE_ROWS_H
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include "evotune/genome.h"
#include "evotune/runlog.h"

/* Fields of a row of /individuals: generation, id, the parents, the genes, then 19 of the trial's. */
#define EVO_H5_ROW_FIELDS (4 + EVO_GENE_COUNT + 19)

/* The packed row of /individuals: its bytes, each field's offset in them, and its compound type. */
struct evo_h5_row_layout {
    size_t size;
    size_t off[EVO_H5_ROW_FIELDS];
    hid_t type; /* close with H5Tclose */
};

/* Builds L for this build's genes: 0, or -1 (L->type then -1). */
int evo_h5_layout_init(struct evo_h5_row_layout *L);

/* Packs r into p (L->size bytes). A record (/individuals, /best) shows the genes r's network does not
 * use as evo_genome_inactive_value; /population keeps every value, which breeding goes on from. */
void evo_h5_pack_row(unsigned char *p, const struct evo_h5_row_layout *L, const struct evo_individual *r,
                     int record);
/* Unpacks the row at p into r (zeroed first). A row of a file before format 8 (budget 0) reads as a
 * whole training of its epochs gene, its own origin; before format 9, as a search row. */
void evo_h5_unpack_row(struct evo_individual *r, const unsigned char *p, const struct evo_h5_row_layout *L);

/* The compound types of /generations (struct evo_generation), /curves (struct evo_curve_row) and
 * /folds (struct evo_fold_row, its status an enum as /individuals'); close with H5Tclose; -1 on
 * failure. */
hid_t evo_h5_generations_type(void);
hid_t evo_h5_curves_type(void);
hid_t evo_h5_folds_type(void);

/* The rows of /folds and /curves of log, copied field by field into zeroed memory (heap; free it):
 * the compound types span the structs' padding, which is written to the file too and must not
 * differ between identical runs. */
struct evo_fold_row *evo_h5_fold_rows(const struct evo_runlog *log);
struct evo_curve_row *evo_h5_curve_rows(const struct evo_runlog *log);

/* The rows of /individuals (n of them) of the file f of format `format` that are search rows: all
 * before format 9, else those whose purpose is search (finalist rows are not). Returns 0, or -1 when
 * the column cannot be read. */
int evo_h5_count_search_rows(hid_t f, int64_t format, hsize_t n, int64_t *out);

#endif
