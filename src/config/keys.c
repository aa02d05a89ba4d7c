/* The configuration's key table, redis-style: every data, ga, tpe, run, promotion and finalists key
 * once, as a row {group, key, type, bounds, default, help, field}; the groups, the per-layer
 * shorthands of `search`, which keys each strategy uses, and how a row's range reads as text. Parsing,
 * the effective text, the template and the reference all read these tables; nothing here parses. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "evotune/fmt.h"
#include "internal.h"

static const char *const strategy_names[] = {"random", "generational", "steady_state", "tpe", NULL};
static const char *const task_names[] = {"classification", "regression", NULL};

#define FIELD(f) offsetof(struct evo_config, f)

const struct key_row evo_config_rows[] = {
    {"data", "train", KEY_STRING, 0, 0, 0, 0, 0, "\"datasets/digits.csv\"",
     "training data: CSV with a header row, or IDX images (plain or .gz); validation rows, and test "
     "rows unless `test` is set, are split off it", FIELD(train), NULL},
    {"data", "train_labels", KEY_STRING, KEY_OPTIONAL, 0, 0, 0, 0, "\"\"",
     "IDX label file of `train` (CSV files carry their labels)", FIELD(train_labels), NULL},
    {"data", "test", KEY_STRING, KEY_OPTIONAL, 0, 0, 0, 0, "\"\"",
     "separate test file, same format as `train`", FIELD(test), NULL},
    {"data", "test_labels", KEY_STRING, KEY_OPTIONAL, 0, 0, 0, 0, "\"\"",
     "IDX label file of `test`", FIELD(test_labels), NULL},
    {"data", "label", KEY_STRING, KEY_INDEX, 0, 0, 0, 0, "\"label\"",
     "CSV label column: its header name or its 0-based index (-1: the last column)", FIELD(label), NULL},
    {"data", "validation_fraction", KEY_FLOAT, KEY_OPEN_LO | KEY_OPEN_HI, 0, 1, 0, 0, "0.2",
     "share of the training rows held out to score individuals (their fitness), stratified by class",
     FIELD(validation_fraction), NULL},
    {"data", "test_fraction", KEY_FLOAT, KEY_OPEN_HI, 0, 1, 0, 0, "0.2",
     "share of the training rows held out to test the best network once at the end; "
     "validation_fraction + test_fraction < 1; ignored when `test` is set", FIELD(test_fraction), NULL},
    {"data", "folds", KEY_LONG, 0, 0, 0, 0, 100, "0",
     "cross-validated fitness, for small data (0: off; else at least 2): the rows that are not test "
     "rows are dealt into this many folds, stratified by class, and every trial trains one network per "
     "fold (each fold held out once; the folds run as parallel tasks), its fitness the mean of the "
     "folds' scores, every fold's score in /folds. validation_fraction is then unused (the test rows "
     "stay the same as without folds). The best network is trained once more on all those rows, for "
     "the mean over its folds of the epochs each fold's network kept (early stopping's best epoch, "
     "else its budget), and that network is scored on the test split and used by predict. Memory: the "
     "folds hold copies of the rows, this many times over", FIELD(folds), NULL},
    {"data", "standardize", KEY_BOOL, 0, 0, 0, 0, 0, "true",
     "scale every feature to mean 0 and standard deviation 1 (statistics of the training split)",
     FIELD(standardize), NULL},
    {"data", "task", KEY_NAME, 0, 0, 0, 0, 0, "\"classification\"",
     "classification: the label column holds classes; regression: it holds numbers, predicted by one "
     "linear output unit (loss mse), split at random rather than stratified, the targets standardised "
     "with the features (`standardize`) and the metrics reported in their units; stratified and "
     "balanced batch selection are plain shuffles there",
     FIELD(task), task_names},
    {"data", "image_shape", KEY_SHAPE, 0, 0, 0, 1, 65536, "[]",
     "rows and columns of the grayscale image that each CSV row is, its H * W features in row-major "
     "order: it makes the aug_* and conv genes apply (IDX files carry their shape, which this must match if "
     "given), and a file whose every value is an integer in [0, 255] is held in memory as bytes, as "
     "IDX images are (a quarter of the floats' memory; the same results)", FIELD(image_shape), NULL},
    {"ga", "population", KEY_LONG, 0, 0, 0, 1, 100000, "24",
     "P: under generational the networks per generation (1: each generation trains one child bred "
     "from the one before, no elite); under steady_state the last P finished networks every child is "
     "bred from (and the random trials that start the run); its rows count against run.max_memory",
     FIELD(population), NULL},
    {"ga", "generations", KEY_LONG, 0, 0, 0, 1, 1000000, "10",
     "generations trained, the random initial one included", FIELD(generations), NULL},
    {"ga", "tournament", KEY_LONG, 0, 0, 0, 1, 100000, "3",
     "individuals drawn (with replacement) per tournament selection; larger means stronger selection", FIELD(tournament), NULL},
    {"ga", "crossover", KEY_FLOAT, 0, 0, 1, 0, 0, "0.9",
     "probability that a child is a uniform crossover of two parents rather than a copy of one",
     FIELD(crossover), NULL},
    {"ga", "mutation", KEY_FLOAT, 0, 0, 1, 0, 0, "0.2",
     "probability that each gene of a child is mutated", FIELD(mutation), NULL},
    {"ga", "fitness", KEY_NAME, 0, 0, 0, 0, 0, "\"accuracy\"",
     "validation score the search maximises. classification: accuracy; macro_f1 (mean F1 over the "
     "classes); neg_log_loss (minus the mean -log p(label)); regression: neg_rmse, neg_mae (minus the "
     "root mean squared and the mean absolute error, target units); r2. Regression uses neg_rmse when "
     "this key is not set",
     FIELD(fitness), evo_metrics_fitness_names},
    {"ga", "elitism", KEY_LONG, 0, 0, 0, 0, 100000, "2",
     "best individuals copied unchanged into the next generation; more than population - 1 is "
     "clamped to population - 1, so every generation trains at least one new individual",
     FIELD(elitism), NULL},
    {"tpe", "startup", KEY_LONG, 0, 0, 0, 1, 1000000, "10",
     "random trials (drawn as random search draws them) told before the model proposes; with W "
     "virtual workers up to W - 1 more start before that many results are in",
     FIELD(tpe_startup), NULL},
    {"tpe", "gamma", KEY_FLOAT, KEY_OPEN_LO | KEY_OPEN_HI, 0, 1, 0, 0, "0.15",
     "share of the window, by fitness, that makes the good set (at least one trial); the rest is the "
     "bad set", FIELD(tpe_gamma), NULL},
    {"tpe", "candidates", KEY_LONG, 0, 0, 0, 1, 100000, "24",
     "candidates drawn from the good density per proposal; the one with the largest l(x) / g(x) is "
     "proposed (more: greedier)", FIELD(tpe_candidates), NULL},
    {"tpe", "window", KEY_LONG, 0, 0, 0, 2, 100000, "1000",
     "the last trials told that the densities are built from, which bounds the cost of a proposal "
     "(about 0.6 KB a trial)", FIELD(tpe_window), NULL},
    {"run", "strategy", KEY_NAME, 0, 0, 0, 0, 0, "\"steady_state\"",
     "how the next trials are chosen: steady_state (asynchronous aging evolution: each child bred, "
     "as soon as a worker is free, by tournament from the last ga.population trials finished), "
     "generational (a generational GA: ga.generations generations of ga.population, elitism, a "
     "barrier between generations), tpe (tree-structured Parzen estimator: each trial the best of "
     "tpe.candidates drawn from a density of the best trials so far, by its ratio to the density of the "
     "rest) or random (independent samples of the search space, the baseline). "
     "Keys that mean nothing to the chosen strategy are refused; `--strategy NAME` sets it",
     FIELD(strategy), strategy_names},
    {"run", "max_trials", KEY_INT64, 0, 0, 0, 1, 100000000, "240",
     "networks a random, steady_state or tpe search trains (generational: ga.generations); "
     "`--max-trials N` sets it, and on `resume` extends a run", FIELD(max_trials), NULL},
    {"run", "time_limit", KEY_STRING, KEY_OPTIONAL, 0, 0, 0, 0, "\"\"",
     "wall-clock limit of the search, \"8h\", \"90m\", \"45s\" (\"\": none): no network starts after it, "
     "those in flight finish and the best is scored; time spent running counts, over every resume. "
     "The one setting whose results depend on the machine's speed; `--time-limit` sets it",
     FIELD(time_limit_text), NULL},
    {"run", "workers", KEY_LONG, 0, 0, 0, 1, 65536, "16",
     "virtual workers of the schedule: trials are decided in the order of a virtual clock on this many "
     "workers, never in the order threads finish, so results are the same for any run.threads. Real "
     "durations stray from the cost model, so threads stay busy only with W above them: about 3 x "
     "threads keeps 98-99 % of 16-64 threads busy on budgets of thousands (README: Search strategies); "
     "more workers breed each steady_state child from older news and start it with W + P - 1 random "
     "trials, which costs quality on small budgets",
     FIELD(workers), NULL},
    {"run", "seed", KEY_INT64, 0, 0, 0, 0, INT64_MAX, "1",
     "seed of every random stream: the same seed gives the same results for any thread count",
     FIELD(seed), NULL},
    {"run", "threads", KEY_LONG, 0, 0, 0, 0, 4096, "0",
     "threads training networks in parallel (0: all cores); more threads than cores are allowed "
     "(the results do not depend on it), each with its own workspace counted against run.max_memory",
     FIELD(threads), NULL},
    {"run", "output", KEY_STRING, 0, 0, 0, 0, 0, NULL,
     "results file (HDF5); the default is `results/<config name>.h5`, the config file's "
     "name without its extension", FIELD(output), NULL},
    {"run", "max_params", KEY_INT64, 0, 0, 0, 1, 1000000000000, "50000000",
     "most parameters (weights and biases) of one network; a genome whose network has more is not "
     "allocated or trained: its status is too_large and its fitness that of a failed individual, like a diverged one (a network "
     "takes 20 bytes a parameter while it trains)", FIELD(max_params), NULL},
    {"run", "max_memory", KEY_INT64, 0, 0, 0, 1, 1073741824, "8192",
     "MiB the search may set aside at the start: every thread's training workspace, sized for the "
     "largest batch_size x neurons x hidden_layers the search space allows, the buffers of the trials "
     "in flight (learning curves: run.workers x the largest epochs) and the strategy's population (tpe: "
     "its window); a run that would need more stops before training, naming the keys to lower. What "
     "is left keeps paused trainings for their promotion (promotion.enabled)", FIELD(max_memory), NULL},
    {"run", "max_epochs", KEY_INT64, 0, 0, 0, 0, 1000000000000, "0",
     "a budget of training epochs (0: none): no trial is decided once the epochs decided so far reach "
     "it (a trial counts its budget, a promotion the epochs it adds), whichever of it and "
     "run.max_trials comes first; the budget that compares strategies with and without promotion "
     "fairly", FIELD(max_epochs), NULL},
    {"promotion", "enabled", KEY_BOOL, 0, 0, 0, 0, 0, "false",
     "asynchronous successive halving (ASHA): every trial is first trained to the lowest rung's "
     "budget and paused; whenever a worker frees, a paused trial in the top 1/eta of those that reached "
     "its rung goes on to the next rung's budget (the highest rung first), else the strategy proposes "
     "a new trial. With random this is ASHA; steady_state breeds from, and tpe models, the rung-0 results. A trial's "
     "epochs gene stays its full length (the schedule runs over it), so its last rung is the gene",
     FIELD(promotion), NULL},
    {"promotion", "eta", KEY_LONG, 0, 0, 0, 2, 1000, "3",
     "eta: each rung's budget is eta times the one below, and the top 1/eta of a rung goes on",
     FIELD(eta), NULL},
    {"promotion", "min_epochs", KEY_LONG, 0, 0, 0, 1, 100000, "1",
     "the lowest rung's budget in epochs; rung k trains to min_epochs x eta^k epochs, capped by the "
     "trial's epochs gene", FIELD(min_epochs), NULL},
    {"finalists", "count", KEY_LONG, 0, 0, 0, 0, 1000, "5",
     "finalists re-evaluated at the end of the search (0: none, the winner is the best single "
     "validation score): the top `count` distinct genomes by validation fitness are trained again "
     "`repeats` times each with fresh random streams (initial weights, batch order, dropout), and the "
     "winner is the genome of the best mean over those runs (its search run not counted); /best is "
     "its run closest to that mean, the only network scored on the test split. The finalists come on "
     "top of run.max_trials and run.max_epochs; run.time_limit includes them (the search stops early "
     "enough for them)", FIELD(finalists), NULL},
    {"finalists", "repeats", KEY_LONG, 0, 0, 0, 1, 1000, "3",
     "runs of each finalist, each with its own random streams", FIELD(finalist_repeats), NULL},
};
const size_t evo_config_n_rows = sizeof evo_config_rows / sizeof evo_config_rows[0];

const char *const evo_config_groups[] = {"data", "search", "ga", "tpe", "run", "promotion", "finalists"};
const size_t evo_config_n_groups = sizeof evo_config_groups / sizeof evo_config_groups[0];

/* ---- per-layer shorthands ---- */

const struct layer_alias evo_config_aliases[] = {
    {"neurons", evo_genome_neurons_gene, EVO_MLP_MAX_HIDDEN,
     "shorthand for neurons_1 ... neurons_8: the units of every hidden layer whose own key is not "
     "given, each layer drawn on its own from this spec"},
    {"layer_dropout", evo_genome_dropout_gene, EVO_MLP_MAX_HIDDEN,
     "shorthand for dropout_1 ... dropout_8 (used when dropout_per_layer is on): every layer whose "
     "own key is not given, each drawn on its own from this spec"},
    {"filters", evo_genome_filters_gene, EVO_MLP_MAX_CONV,
     "shorthand for filters_1 ... filters_4: the filters of every conv block whose own key is not "
     "given, each block drawn on its own from this spec"},
};
const size_t evo_config_n_aliases = sizeof evo_config_aliases / sizeof *evo_config_aliases;

const struct layer_alias *evo_config_find_alias(const char *key)
{
    for (size_t a = 0; a < evo_config_n_aliases; a++)
        if (!strcmp(evo_config_aliases[a].key, key))
            return &evo_config_aliases[a];
    return NULL;
}

const struct key_row *evo_config_find_row(const char *group, const char *key)
{
    for (size_t r = 0; r < evo_config_n_rows; r++)
        if (!strcmp(evo_config_rows[r].group, group) && !strcmp(evo_config_rows[r].key, key))
            return &evo_config_rows[r];
    return NULL;
}

/* ---- which strategies use a key ---- */

#define FOR_RANDOM (1 << EVO_STRATEGY_RANDOM)
#define FOR_GENERATIONAL (1 << EVO_STRATEGY_GENERATIONAL)
#define FOR_STEADY (1 << EVO_STRATEGY_STEADY_STATE)
#define FOR_TPE (1 << EVO_STRATEGY_TPE)
const struct strategy_key evo_config_strategy_keys[] = {
    {"ga", "population", FOR_GENERATIONAL | FOR_STEADY, "random search and tpe keep no population"},
    {"ga", "generations", FOR_GENERATIONAL, "use run.max_trials (--max-trials)"},
    {"ga", "tournament", FOR_GENERATIONAL | FOR_STEADY, "random search and tpe select nothing"},
    {"ga", "crossover", FOR_GENERATIONAL | FOR_STEADY, "random search and tpe breed nothing"},
    {"ga", "mutation", FOR_GENERATIONAL | FOR_STEADY, "random search and tpe breed nothing"},
    {"ga", "elitism", FOR_GENERATIONAL, "steady_state keeps the last ga.population trials, not elites"},
    {"tpe", "startup", FOR_TPE, "only tpe proposes from a model"},
    {"tpe", "gamma", FOR_TPE, "only tpe proposes from a model"},
    {"tpe", "candidates", FOR_TPE, "only tpe proposes from a model"},
    {"tpe", "window", FOR_TPE, "only tpe proposes from a model"},
    {"run", "max_trials", FOR_RANDOM | FOR_STEADY | FOR_TPE, "use ga.generations (--generations)"},
    {"run", "max_epochs", FOR_RANDOM | FOR_STEADY | FOR_TPE, "use ga.generations (--generations)"},
    {"promotion", "enabled", FOR_RANDOM | FOR_STEADY | FOR_TPE,
     "its barrier waits for whole generations, and promotion continues trials between them"},
    {"promotion", "eta", FOR_RANDOM | FOR_STEADY | FOR_TPE, "promotion is for random, steady_state and tpe"},
    {"promotion", "min_epochs", FOR_RANDOM | FOR_STEADY | FOR_TPE, "promotion is for random, steady_state and tpe"},
};
const size_t evo_config_n_strategy_keys = sizeof evo_config_strategy_keys / sizeof evo_config_strategy_keys[0];

int evo_config_key_used(const char *group, const char *key, int k)
{
    for (size_t i = 0; i < evo_config_n_strategy_keys; i++) {
        const struct strategy_key *sk = &evo_config_strategy_keys[i];
        if (!strcmp(sk->group, group) && !strcmp(sk->key, key))
            return (sk->strategies >> k) & 1;
    }
    return 1;
}

void evo_config_key_users(const char *group, const char *key, char *out, size_t n)
{
    int users = 0, left = 0;
    for (int k = 0; k < EVO_STRATEGY_COUNT; k++)
        left += evo_config_key_used(group, key, k);
    out[0] = '\0';
    for (int k = 0; k < EVO_STRATEGY_COUNT; k++)
        if (evo_config_key_used(group, key, k)) {
            left--;
            snprintf(out + strlen(out), n - strlen(out), "%s%s", !users++ ? "" : left ? ", " : " and ",
                     strategy_names[k]);
        }
}

const char *evo_config_strategy_name(int k)
{
    return k >= 0 && k < EVO_STRATEGY_COUNT ? strategy_names[k] : "?";
}

/* ---- ranges as text, shared by messages, template and reference ---- */

void evo_config_row_interval(const struct key_row *r, char *out, size_t n)
{
    char a[32], b[32];
    if (r->type == KEY_FLOAT) {
        evo_fmt_number(a, sizeof a, r->min);
        evo_fmt_number(b, sizeof b, r->max);
        snprintf(out, n, "%c%s, %s%c", r->flags & KEY_OPEN_LO ? '(' : '[', a, b,
                 r->flags & KEY_OPEN_HI ? ')' : ']');
    } else {
        snprintf(out, n, "[%" PRId64 ", %" PRId64 "]", r->imin, r->imax);
    }
}

void evo_config_row_range(const struct key_row *r, char *out, size_t n)
{
    switch (r->type) {
    case KEY_STRING: snprintf(out, n, "%s", r->flags & KEY_OPTIONAL ? "\"\" for none" : "non-empty"); break;
    case KEY_BOOL: snprintf(out, n, "true or false"); break;
    case KEY_SHAPE:
        evo_config_row_interval(r, out, n);
        snprintf(out + strlen(out), n - strlen(out), " each, [] for none");
        break;
    case KEY_NAME:
        out[0] = '\0';
        for (size_t k = 0; r->names[k]; k++) {
            size_t len = strlen(out);
            snprintf(out + len, n - len, "%s%s", k ? ", " : "", r->names[k]);
        }
        break;
    default: evo_config_row_interval(r, out, n);
    }
}

void evo_config_gene_bounds(const struct evo_gene_info *gi, const char *quote, char *out, size_t n)
{
    out[0] = '\0';
    if (gi->type == EVO_GENE_ENUM) {
        for (int k = 0; k < gi->n_enum; k++) {
            size_t len = strlen(out);
            snprintf(out + len, n - len, "%s%s%s%s", k ? ", " : "", quote, gi->enum_names[k], quote);
        }
        return;
    }
    char a[32], b[32];
    evo_fmt_number(a, sizeof a, gi->lo);
    evo_fmt_number(b, sizeof b, gi->hi);
    snprintf(out, n, "[%s, %s]", a, b);
}

