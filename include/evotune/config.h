/* Run configuration: a libconfig file in seven groups (data, search, ga, tpe, run, promotion,
 * finalists) plus command-line overrides (--set PATH=VALUE). One table of keys (type, range, default,
 * help) drives parsing, validation, the generated configs/default.cfg and the README's reference.
 * Search keys come from the gene table (genome.h). */
#ifndef EVOTUNE_CONFIG_H
#define EVOTUNE_CONFIG_H
#include <stdint.h>
#include <stdio.h>
#include "evotune/error.h"
#include "evotune/genome.h"

/* What the label column holds (data.task). */
enum evo_task {
    EVO_TASK_CLASSIFICATION,
    EVO_TASK_REGRESSION,
};

/* The search strategy (run.strategy; strategy.h). Values are stable (stored as names). */
enum evo_strategy_kind {
    EVO_STRATEGY_RANDOM = 0,
    EVO_STRATEGY_GENERATIONAL,
    EVO_STRATEGY_STEADY_STATE,
    EVO_STRATEGY_TPE,
    EVO_STRATEGY_COUNT
};

struct evo_config {
    char *path;                 /* the config file as given */
    char *name;                 /* its base name without extension ("default") */
    /* data */
    char *train;                /* training data file (also split into validation, and test unless `test`) */
    char *train_labels;         /* IDX label file of `train` */
    char *test;                 /* optional separate test file */
    char *test_labels;          /* IDX label file of `test` */
    char *label;                /* CSV label column: header name or 0-based index ("-1": last) */
    double validation_fraction;
    double test_fraction;       /* ignored (treated as 0) when `test` is set */
    long folds;                 /* cross-validation folds (0: none; problem.h) */
    int standardize;
    int task;                   /* enum evo_task */
    long image_shape[2];        /* [H, W] of the image each row is; 0, 0: not given */
    /* search */
    struct evo_space space;
    /* ga */
    long population;
    long generations;           /* generations trained, the random initial one included */
    long tournament;
    double crossover;
    double mutation;
    int fitness;                /* enum evo_fitness (metrics.h); agrees with task */
    long elitism;
    /* tpe */
    long tpe_startup;           /* random trials told before the model proposes */
    double tpe_gamma;           /* share of the window that makes the good set */
    long tpe_candidates;        /* candidates drawn from the good density per proposal */
    long tpe_window;            /* the last trials told that the densities are built from */
    int tpe_invert;             /* a test control that no key sets: 1 swaps the good and the bad set
                                 * (proposals where the worst trials were), so that a test can show its
                                 * criterion fails without the model; 0 in every loaded configuration */
    /* run */
    int strategy;               /* enum evo_strategy_kind */
    int64_t max_trials;         /* trials of a random, steady_state or tpe search */
    char *time_limit_text;      /* run.time_limit as written ("8h", "90m", "45s"); NULL: none */
    double time_limit;          /* it in seconds, 0 for none */
    long workers;               /* virtual workers of the schedule (search.h) */
    int64_t seed;
    long threads;               /* 0: all cores */
    char *output;               /* results file; default "results/<name>.h5" */
    int64_t max_params;         /* most parameters of one network (larger: status too_large) */
    int64_t max_memory;         /* MiB of workspaces and population buffers a search may set aside */
    int64_t max_epochs;         /* budget of training epochs decided (0: none) */
    /* promotion (promote.h) */
    int promotion;              /* 1: asynchronous successive halving over the strategy's trials */
    long eta;                   /* rung budgets grow, and promotion selects the top, by this factor */
    long min_epochs;            /* the lowest rung's budget */
    /* finalists (finalist.h) */
    long finalists;             /* distinct genomes re-evaluated at the end (0: none) */
    long finalist_repeats;      /* runs of each */
    /* the effective configuration (overrides applied, every key present) as libconfig text */
    char *text;
};

/* Reads the file at path, applies the overrides sets[0..n_sets) ("PATH=VALUE", VALUE in libconfig
 * syntax, applied in order, a bare value may replace a range), fills in defaults and validates.
 * Errors (EVO_ECONFIG), one line each: "FILE:LINE: key 'x': ..." for syntax errors, wrong types,
 * out-of-range values and unknown keys (with "did you mean 'y'?"), "cannot open 'FILE': ..." for a
 * missing file, "--set 'ARG': ..." for a bad override, and a loss or fitness that does not fit
 * data.task (regression: loss mse only, fitness neg_rmse, neg_mae or r2; classification: accuracy,
 * macro_f1 or neg_log_loss). Under regression a loss or fitness left unset becomes mse and neg_rmse.
 * On error cfg is left released. */
int evo_config_load(struct evo_config *cfg, const char *path, const char *const *sets, size_t n_sets,
                    struct evo_error *err);

/* As evo_config_load, from text in memory (such as the configuration stored in a results file);
 * `name` is used as the file name in messages. Unlike a file, the text may not use libconfig's
 * @include (which would read whatever file it names): EVO_ECONFIG "NAME:LINE: @include is not
 * allowed ...". */
int evo_config_load_string(struct evo_config *cfg, const char *text, const char *name,
                           const char *const *sets, size_t n_sets, struct evo_error *err);

/* Parses a duration: a number of seconds, or numbers each followed by d, h, m or s ("8h", "90m",
 * "1h30m", "45s"); "" and "0" are 0. Returns 0 and sets *seconds, or -1 when text is none of these. */
int evo_config_parse_duration(const char *text, double *seconds);

/* Name of enum evo_strategy_kind k ("steady_state"). */
const char *evo_config_strategy_name(int k);

/* Frees what cfg owns and zeroes it. */
void evo_config_release(struct evo_config *cfg);

/* Writes the commented default configuration, every key with its default and help (the content of
 * configs/default.cfg). */
void evo_config_write_template(FILE *f);

/* Writes the Markdown reference of every key (the README's "Configuration reference" section body). */
void evo_config_write_reference(FILE *f);

#endif
