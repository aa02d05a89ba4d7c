/* The problem a search solves: the data of a configuration loaded, checked, split (stratified by
 * class, seeded by run.seed; at random for regression) and standardised with the training split's
 * statistics. Below the search: `export --split` builds one without any search. */
#ifndef EVOTUNE_PROBLEM_H
#define EVOTUNE_PROBLEM_H
#include <stddef.h>
#include <stdint.h>
#include "evotune/config.h"
#include "evotune/data.h"
#include "evotune/error.h"

struct evo_problem {
    struct evo_dataset train, validation;
    struct evo_dataset test_sealed;        /* the test split: read only through evo_problem_test, which
                                            * counts its uses (a search uses it once, for its winner) */
    int test_uses;                         /* evo_problem_test calls so far */
    size_t n_test;                         /* its rows (a size, not a read) */
    float *feature_mean, *feature_std;     /* [d] standardisation applied to all splits (0 and 1 when off) */
    double target_mean, target_std;        /* regression: the training targets' standardisation, which
                                            * every network's output undoes (0 and 1 when off) */
    uint64_t data_hash;                    /* evo_data_hash of the unsplit, unstandardised training file */
    uint64_t test_data_hash;               /* evo_data_hash of the separate test file, 0 when none */
    /* cross-validation (data.folds = K >= 2): train holds every row that is not a test row (the pool;
     * the best network's final training uses it all) and validation none; fold k trains on
     * fold_train[k] (the pool less fold k) and is scored on fold_val[k] (fold k). The
     * standardisation's statistics are the pool's. */
    size_t n_folds;                        /* K, 0 without cross-validation */
    struct evo_dataset *fold_train, *fold_val; /* [n_folds] */
};

/* Loads the data named by cfg into p: reads the training file (and the separate test file), checks
 * data.image_shape, splits and standardises as cfg says. Errors: EVO_EDATA naming the file,
 * EVO_ECONFIG for an image shape that does not fit. On error p is left released. */
int evo_problem_load(struct evo_problem *p, const struct evo_config *cfg, struct evo_error *err);

/* The test split, counting the use in p->test_uses: the one way to its rows. A search calls it once,
 * to score its winner (search.h); `export --split test` to write it out. */
const struct evo_dataset *evo_problem_test(struct evo_problem *p);

/* Outputs of every network of the problem: one per class, or one value for regression. */
size_t evo_problem_outputs(const struct evo_problem *p);

/* Frees what p owns and zeroes it (safe on a zeroed p). */
void evo_problem_release(struct evo_problem *p);

#endif
