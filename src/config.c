/* The run configuration: reads a libconfig file and --set overrides into struct evo_config. One table
 * of rows (data, ga, run) and the gene table (search) drive everything here: unknown-key detection,
 * defaults, validation, the effective text, the commented template (configs/default.cfg) and the
 * Markdown reference. Every error is one line naming the file and line, or the override, and the key. */
#include "evotune/fmt.h"
#include "evotune/config.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"

enum key_type {
    KEY_STRING,
    KEY_FLOAT, /* double field */
    KEY_LONG,  /* long field */
    KEY_INT64, /* int64_t field */
    KEY_BOOL,  /* int field, 0 or 1 */
    KEY_SHAPE, /* long[2] field: [] (0, 0) or [H, W], each in [imin, imax] */
    KEY_NAME,  /* int field: the index of one of names[] (a string) */
};

#define KEY_OPTIONAL 0x1 /* string: "" means unset (the field stays NULL) */
#define KEY_INDEX 0x2    /* string: an integer is taken too and stored as its decimal text */
#define KEY_OPEN_LO 0x4  /* float: min itself is excluded */
#define KEY_OPEN_HI 0x8  /* float: max itself is excluded */

struct key_row {
    const char *group, *key;
    int type;            /* enum key_type */
    int flags;           /* KEY_* */
    double min, max;     /* KEY_FLOAT bounds */
    int64_t imin, imax;  /* KEY_LONG and KEY_INT64 bounds (a double cannot hold 2^63 - 1) */
    const char *def;     /* default as libconfig text; NULL: "results/<config name>.h5" */
    const char *help;
    size_t offset;       /* of the field in struct evo_config */
    const char *const *names; /* KEY_NAME: the accepted names, NULL-terminated */
};

static const char *const strategy_names[] = {"random", "generational", "steady_state", "tpe", NULL};
static const char *const task_names[] = {"classification", "regression", NULL};

#define FIELD(f) offsetof(struct evo_config, f)

/* Every data, ga and run key, in the order the template and the effective text list them. */
static const struct key_row rows[] = {
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
#define N_ROWS (sizeof rows / sizeof rows[0])

static const char *const groups[] = {"data", "search", "ga", "tpe", "run", "promotion", "finalists"};
#define N_GROUPS (sizeof groups / sizeof groups[0])

/* The keys of a search spec group. */
static const char *const spec_keys[] = {"min", "max", "log", "choice"};
#define N_SPEC_KEYS (sizeof spec_keys / sizeof spec_keys[0])

/* Hook of the settings filled in from defaults; settings added by override i carry the hook i + 1.
 * Both have source line 0, so the hook is what tells them apart in messages. */
static char default_mark;

struct ctx {
    const char *name; /* file name for messages */
    const char *const *sets;
    size_t n_sets;
    struct evo_error *err;
};

/* ---- small text helpers ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = evo_mem_add(evo_mem_mul(b->cap, 2), n + 1);
        b->p = evo_mem_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}


/* Writes s as a libconfig string literal. */
static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* ---- libconfig 1.5 integer literals ---- */

/* libconfig 1.5 reads a plain integer literal with atoi, so 3000000000 silently becomes -1294967296.
 * Before parsing, every literal that does not fit in 32 bits gets the suffix L (read as 64-bit), and
 * a decimal one that does not fit in 64 bits the suffix .0 (read as the float it is), so that range
 * checks see the number that was written. Hex literals beyond 64 bits are left to libconfig. Only
 * characters within a line are added, so line numbers hold. */
static char *widen_integers(const char *s)
{
    struct buf out = {0};
    buf_put(&out, "", 0);
    size_t n = strlen(s), i = 0, done = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '#' || (ch == '/' && s[i + 1] == '/')) {
            while (i < n && s[i] != '\n')
                i++;
        } else if (ch == '/' && s[i + 1] == '*') {
            const char *end = strstr(s + i + 2, "*/");
            i = end ? (size_t)(end - s) + 2 : n;
        } else if (ch == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\' && i + 1 < n)
                    i++;
            if (i < n)
                i++;
        } else if (isalpha(ch) || ch == '*' || ch == '@') {
            /* a name (its digits are not numbers) */
            for (i++; i < n && (isalnum((unsigned char)s[i]) || strchr("-_*", s[i])); i++)
                ;
        } else if (isdigit(ch) || (ch == '.' && isdigit((unsigned char)s[i + 1]))) {
            int neg = i > 0 && s[i - 1] == '-';
            const char *suffix = NULL;
            size_t j = i;
            if (ch == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
                uint64_t v = 0;
                int over = 0;
                for (j = i + 2; isxdigit((unsigned char)s[j]); j++) {
                    int h = tolower((unsigned char)s[j]), d = isdigit(h) ? h - '0' : h - 'a' + 10;
                    over |= (v >> 60) != 0;
                    v = v * 16 + (uint64_t)d;
                }
                if (s[j] != 'L' && !over && v > INT32_MAX)
                    suffix = "L";
            } else {
                uint64_t v = 0;
                int over = 0;
                for (; isdigit((unsigned char)s[j]); j++) {
                    unsigned d = (unsigned)(s[j] - '0');
                    if (v > (UINT64_MAX - d) / 10)
                        over = 1;
                    else
                        v = v * 10 + d;
                }
                if (s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
                    for (; isdigit((unsigned char)s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
                           ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E'));
                         j++)
                        ;
                } else if (s[j] != 'L') {
                    uint64_t max64 = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
                    uint64_t max32 = neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX;
                    if (over || v > max64)
                        suffix = ".0";
                    else if (v > max32)
                        suffix = "L";
                }
            }
            if (suffix) {
                buf_put(&out, s + done, j - done);
                buf_put(&out, suffix, strlen(suffix));
                done = j;
            }
            i = j;
        } else {
            i++;
        }
    }
    buf_put(&out, s + done, n - done);
    return out.p;
}

/* Parses text with the integer fix above. Returns CONFIG_TRUE or CONFIG_FALSE like libconfig. */
static int parse_text(config_t *lc, const char *text)
{
    char *wide = widen_integers(text);
    int ok = config_read_string(lc, wide);
    free(wide);
    return ok;
}

/* Parses one libconfig value (override values and defaults) into tmp, initialised by the caller.
 * The value is wrapped in a one-element list so that a trailing comment or a second setting smuggled
 * in ("1; x = 2") cannot pass. Returns the value, or NULL when it is not exactly one value. */
static config_setting_t *parse_value(config_t *tmp, const char *value)
{
    size_t n = strlen(value) + 16;
    char *text = evo_mem_alloc(n);
    snprintf(text, n, "v = ( %s\n);", value);
    int ok = parse_text(tmp, text);
    free(text);
    if (!ok)
        return NULL;
    config_setting_t *root = config_root_setting(tmp);
    config_setting_t *v = config_setting_get_member(root, "v");
    if (config_setting_length(root) != 1 || !v || config_setting_length(v) != 1)
        return NULL;
    return config_setting_get_elem(v, 0);
}

/* Adds a deep copy of src to parent under name (NULL inside arrays and lists), every new setting
 * carrying hook. Returns NULL when libconfig refuses (an invalid name). */
static config_setting_t *copy_setting(config_setting_t *parent, const char *name,
                                      const config_setting_t *src, void *hook)
{
    int type = config_setting_type(src);
    config_setting_t *dst = config_setting_add(parent, name, type);
    if (!dst)
        return NULL;
    config_setting_set_hook(dst, hook);
    switch (type) {
    case CONFIG_TYPE_INT: config_setting_set_int(dst, config_setting_get_int(src)); break;
    case CONFIG_TYPE_INT64: config_setting_set_int64(dst, config_setting_get_int64(src)); break;
    case CONFIG_TYPE_FLOAT: config_setting_set_float(dst, config_setting_get_float(src)); break;
    case CONFIG_TYPE_BOOL: config_setting_set_bool(dst, config_setting_get_bool(src)); break;
    case CONFIG_TYPE_STRING: config_setting_set_string(dst, config_setting_get_string(src)); break;
    default:
        for (int i = 0; i < config_setting_length(src); i++) {
            const config_setting_t *e = config_setting_get_elem(src, (unsigned)i);
            if (!copy_setting(dst, config_setting_name(e), e, hook))
                return NULL;
        }
    }
    return dst;
}

/* ---- messages ---- */

/* Dotted path of s: "ga.population", "search.batch_size.choice[2]". */
static void path_of(const config_setting_t *s, char *out, size_t n)
{
    const config_setting_t *parent = config_setting_parent(s);
    if (!parent) {
        out[0] = '\0';
        return;
    }
    path_of(parent, out, n);
    size_t len = strlen(out);
    if (config_setting_is_array(parent) || config_setting_is_list(parent))
        snprintf(out + len, n - len, "[%d]", config_setting_index(s));
    else
        snprintf(out + len, n - len, "%s%s", len ? "." : "", config_setting_name(s));
}

/* Where a setting came from: "FILE:LINE" for the file, "--set 'ARG'" for an override, "FILE" for a
 * default (*is_default set). Array elements and groups created on the way to an override carry no
 * line of their own, so the nearest ancestor that knows answers. */
static void locate(const struct ctx *c, const config_setting_t *s, char *out, size_t n, int *is_default)
{
    *is_default = 0;
    for (const config_setting_t *p = s; p; p = config_setting_parent(p)) {
        void *hook = config_setting_get_hook(p);
        if (config_setting_source_line(p) > 0) {
            const char *file = config_setting_source_file(p);
            snprintf(out, n, "%s:%u", file ? file : c->name, (unsigned)config_setting_source_line(p));
            return;
        }
        if (hook == &default_mark) {
            *is_default = 1;
            break;
        }
        if (hook) {
            size_t i = (size_t)((uintptr_t)hook - 1);
            snprintf(out, n, "--set '%s'", i < c->n_sets ? c->sets[i] : "?");
            return;
        }
    }
    snprintf(out, n, "%s", c->name);
}

static int fail(const struct ctx *c, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct ctx *c, const config_setting_t *s, const char *fmt, ...)
{
    char where[512], msg[768];
    int is_default;
    locate(c, s, where, sizeof where, &is_default);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return evo_error_set(c->err, EVO_ECONFIG, "%s: %s%s", where, msg, is_default ? " (the default)" : "");
}

/* What a setting holds, for "got ...": the value itself for scalars, the kind for aggregates. */
static void describe(const config_setting_t *s, char *out, size_t n)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: snprintf(out, n, "%lld", config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: evo_fmt_float(out, n, config_setting_get_float(s)); break;
    case CONFIG_TYPE_BOOL: snprintf(out, n, "%s", config_setting_get_bool(s) ? "true" : "false"); break;
    case CONFIG_TYPE_STRING: snprintf(out, n, "\"%.100s\"", config_setting_get_string(s)); break;
    case CONFIG_TYPE_GROUP: snprintf(out, n, "a group"); break;
    case CONFIG_TYPE_ARRAY: snprintf(out, n, "an array"); break;
    case CONFIG_TYPE_LIST: snprintf(out, n, "a list"); break;
    default: snprintf(out, n, "nothing");
    }
}

/* "expected X, got <value>" for s. */
static int fail_expected(const struct ctx *c, const config_setting_t *s, const char *expected)
{
    char path[256], got[128];
    path_of(s, path, sizeof path);
    describe(s, got, sizeof got);
    return fail(c, s, "key '%s': expected %s, got %s", path, expected, got);
}

/* "unknown key 'P' (did you mean 'Q'?)"; best is NULL when nothing is close. */
static int fail_unknown(const struct ctx *c, const config_setting_t *s, const char *best)
{
    char path[256];
    path_of(s, path, sizeof path);
    if (best)
        return fail(c, s, "unknown key '%s' (did you mean '%s'?)", path, best);
    return fail(c, s, "unknown key '%s'", path);
}

static int get_integer(const config_setting_t *s, int64_t *v)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
        return 0;
    *v = (int64_t)config_setting_get_int64(s);
    return 1;
}

static int get_number(const config_setting_t *s, double *v)
{
    int64_t i;
    if (get_integer(s, &i)) {
        *v = (double)i;
        return 1;
    }
    if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
        return 0;
    *v = config_setting_get_float(s);
    return 1;
}

/* ---- ranges as text, shared by messages, template and reference ---- */

static void row_interval(const struct key_row *r, char *out, size_t n)
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

static const char *row_type_name(const struct key_row *r)
{
    switch (r->type) {
    case KEY_STRING: return r->flags & KEY_INDEX ? "string or integer" : "string";
    case KEY_FLOAT: return "float";
    case KEY_BOOL: return "boolean";
    case KEY_SHAPE: return "[H, W]";
    case KEY_NAME: return "name";
    default: return "integer";
    }
}

/* The range column of the reference and the template comment. */
static void row_range(const struct key_row *r, char *out, size_t n)
{
    switch (r->type) {
    case KEY_STRING: snprintf(out, n, "%s", r->flags & KEY_OPTIONAL ? "\"\" for none" : "non-empty"); break;
    case KEY_BOOL: snprintf(out, n, "true or false"); break;
    case KEY_SHAPE:
        row_interval(r, out, n);
        snprintf(out + strlen(out), n - strlen(out), " each, [] for none");
        break;
    case KEY_NAME:
        out[0] = '\0';
        for (size_t k = 0; r->names[k]; k++) {
            size_t len = strlen(out);
            snprintf(out + len, n - len, "%s%s", k ? ", " : "", r->names[k]);
        }
        break;
    default: row_interval(r, out, n);
    }
}

/* Bounds of a gene as text: "[1e-07, 10]", or the enum names "relu", "tanh", "sigmoid" (quote: the
 * quote character, or "" for none). */
static void gene_bounds(const struct evo_gene_info *gi, const char *quote, char *out, size_t n)
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

/* ---- data, ga, run ---- */

static int read_row(const struct ctx *c, const struct key_row *r, const config_setting_t *s,
                    struct evo_config *cfg)
{
    void *field = (char *)cfg + r->offset;
    char range[96], expected[160];
    row_interval(r, range, sizeof range);
    switch (r->type) {
    case KEY_STRING: {
        int64_t index;
        char text[32];
        const char *v;
        if (config_setting_type(s) == CONFIG_TYPE_STRING) {
            v = config_setting_get_string(s);
        } else if ((r->flags & KEY_INDEX) && get_integer(s, &index)) {
            snprintf(text, sizeof text, "%" PRId64, index);
            v = text;
        } else {
            return fail_expected(c, s, r->flags & KEY_INDEX ? "a string or an integer" : "a string");
        }
        if (!*v && !(r->flags & KEY_OPTIONAL))
            return fail_expected(c, s, "a non-empty string");
        *(char **)field = *v ? evo_mem_strdup(v) : NULL;
        return EVO_OK;
    }
    case KEY_FLOAT: {
        double v;
        snprintf(expected, sizeof expected, "a number in %s", range);
        if (!get_number(s, &v))
            return fail_expected(c, s, expected);
        int below = (r->flags & KEY_OPEN_LO) ? !(v > r->min) : !(v >= r->min);
        int above = (r->flags & KEY_OPEN_HI) ? !(v < r->max) : !(v <= r->max);
        if (below || above)
            return fail_expected(c, s, expected);
        *(double *)field = v;
        return EVO_OK;
    }
    case KEY_LONG:
    case KEY_INT64: {
        int64_t v;
        snprintf(expected, sizeof expected, "an integer in %s", range);
        if (!get_integer(s, &v) || v < r->imin || v > r->imax)
            return fail_expected(c, s, expected);
        if (r->type == KEY_LONG)
            *(long *)field = (long)v;
        else
            *(int64_t *)field = v;
        return EVO_OK;
    }
    case KEY_SHAPE: {
        long *shape = field;
        int64_t v[2];
        snprintf(expected, sizeof expected, "[] or [H, W], integers in %s", range);
        int len = config_setting_is_array(s) || config_setting_is_list(s) ? config_setting_length(s) : -1;
        if (len != 0 && len != 2)
            return fail_expected(c, s, expected);
        for (int k = 0; k < len; k++)
            if (!get_integer(config_setting_get_elem(s, (unsigned)k), &v[k]) || v[k] < r->imin ||
                v[k] > r->imax)
                return fail_expected(c, s, expected);
        shape[0] = len ? (long)v[0] : 0;
        shape[1] = len ? (long)v[1] : 0;
        return EVO_OK;
    }
    case KEY_NAME: {
        row_range(r, range, sizeof range);
        snprintf(expected, sizeof expected, "one of %s", range);
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            return fail_expected(c, s, expected);
        const char *v = config_setting_get_string(s);
        for (int k = 0; r->names[k]; k++)
            if (!strcmp(v, r->names[k])) {
                *(int *)field = k;
                return EVO_OK;
            }
        return fail_expected(c, s, expected);
    }
    default:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return fail_expected(c, s, "true or false");
        *(int *)field = config_setting_get_bool(s) ? 1 : 0;
        return EVO_OK;
    }
}

/* ---- search ---- */

/* One gene value: a number within the hard bounds (an integer for INT genes) or an enum name. */
static int read_gene_value(const struct ctx *c, const struct evo_gene_info *gi,
                           const config_setting_t *s, double *out)
{
    char bounds[256], expected[320];
    if (gi->type == EVO_GENE_ENUM) {
        gene_bounds(gi, "\"", bounds, sizeof bounds);
        snprintf(expected, sizeof expected, "one of %s", bounds);
        if (config_setting_type(s) == CONFIG_TYPE_STRING)
            for (int k = 0; k < gi->n_enum; k++)
                if (!strcmp(config_setting_get_string(s), gi->enum_names[k])) {
                    *out = k;
                    return EVO_OK;
                }
        return fail_expected(c, s, expected);
    }
    gene_bounds(gi, "", bounds, sizeof bounds);
    double v;
    int64_t i;
    if (gi->type == EVO_GENE_INT) {
        int odd = gi == evo_genome_gene(EVO_GENE_KERNEL_SIZE); /* the convolution's 'same' padding */
        snprintf(expected, sizeof expected, "%s in %s", odd ? "an odd integer" : "an integer", bounds);
        if (!get_integer(s, &i) || (odd && i % 2 == 0))
            return fail_expected(c, s, expected);
        v = (double)i;
    } else {
        snprintf(expected, sizeof expected, "a number in %s", bounds);
        if (!get_number(s, &v))
            return fail_expected(c, s, expected);
    }
    if (!(v >= gi->lo && v <= gi->hi))
        return fail_expected(c, s, expected);
    *out = v;
    return EVO_OK;
}

static int read_choices(const struct ctx *c, const struct evo_gene_info *gi,
                        const config_setting_t *s, struct evo_gene_spec *spec)
{
    char path[256];
    path_of(s, path, sizeof path);
    if (!config_setting_is_array(s) && !config_setting_is_list(s))
        return fail_expected(c, s, "an array of values, [a, b, ...]");
    int n = config_setting_length(s);
    if (n < 1 || n > EVO_SPEC_MAX_CHOICES)
        return fail(c, s, "key '%s': expected 1 to %d values, got %d", path, EVO_SPEC_MAX_CHOICES, n);
    for (int k = 0; k < n; k++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
        double v;
        int rc = read_gene_value(c, gi, e, &v);
        if (rc)
            return rc;
        for (int j = 0; j < k; j++)
            if (spec->choices[j] == v) {
                char epath[256], got[128];
                path_of(e, epath, sizeof epath);
                describe(e, got, sizeof got);
                return fail(c, e, "key '%s': %s is already choice[%d]", epath, got, j);
            }
        spec->choices[k] = v;
    }
    spec->n_choices = (size_t)n;
    return EVO_OK;
}

/* A spec group: { min = A; max = B; log = BOOL; } or { choice = [...]; }. */
static int read_spec_group(const struct ctx *c, const struct evo_gene_info *gi,
                           const config_setting_t *s, struct evo_gene_spec *spec)
{
    char path[256], full[300];
    path_of(s, path, sizeof path);
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        const char *name = config_setting_name(m);
        size_t k = 0;
        while (k < N_SPEC_KEYS && strcmp(name, spec_keys[k]))
            k++;
        if (k < N_SPEC_KEYS)
            continue;
        size_t best = 0, best_d = SIZE_MAX;
        for (k = 0; k < N_SPEC_KEYS; k++) {
            size_t d = evo_error_distance(name, spec_keys[k]);
            if (d < best_d)
                best_d = d, best = k;
        }
        snprintf(full, sizeof full, "%s.%s", path, spec_keys[best]);
        return fail_unknown(c, m, evo_error_is_close(name, best_d) ? full : NULL);
    }
    const config_setting_t *min = config_setting_get_member(s, "min");
    const config_setting_t *max = config_setting_get_member(s, "max");
    const config_setting_t *log = config_setting_get_member(s, "log");
    const config_setting_t *choice = config_setting_get_member(s, "choice");
    if (choice) {
        if (min || max || log)
            return fail(c, s, "key '%s': expected either min/max or choice, not both", path);
        spec->kind = EVO_SPEC_CHOICE;
        return read_choices(c, gi, choice, spec);
    }
    if (gi->type == EVO_GENE_ENUM)
        return fail(c, s, "key '%s': a range needs a numeric gene; give a name or { choice = [...]; }",
                    path);
    if (gi == evo_genome_gene(EVO_GENE_KERNEL_SIZE))
        return fail(c, s, "key '%s': a range would draw even sizes; give a value or { choice = [3, 5]; }",
                    path);
    if (!min || !max)
        return fail(c, s, "key '%s': missing '%s' (a range needs min and max, or give choice)", path,
                    min ? "max" : "min");
    spec->kind = EVO_SPEC_RANGE;
    int rc = read_gene_value(c, gi, min, &spec->min);
    if (!rc)
        rc = read_gene_value(c, gi, max, &spec->max);
    if (rc)
        return rc;
    if (log) {
        if (config_setting_type(log) != CONFIG_TYPE_BOOL)
            return fail_expected(c, log, "true or false");
        spec->log = config_setting_get_bool(log) ? 1 : 0;
    }
    char a[32], b[32];
    if (spec->min > spec->max) {
        evo_fmt_number(a, sizeof a, spec->min);
        evo_fmt_number(b, sizeof b, spec->max);
        return fail(c, max, "key '%s.max': expected at least min (%s), got %s", path, a, b);
    }
    if (spec->log && !(spec->min > 0)) {
        evo_fmt_number(a, sizeof a, spec->min);
        return fail(c, min, "key '%s.min': a log range needs min > 0, got %s", path, a);
    }
    return EVO_OK;
}

static int read_gene(const struct ctx *c, int id, const config_setting_t *s, struct evo_gene_spec *spec)
{
    const struct evo_gene_info *gi = evo_genome_gene(id);
    memset(spec, 0, sizeof *spec);
    if (config_setting_is_group(s))
        return read_spec_group(c, gi, s, spec);
    if (config_setting_is_aggregate(s))
        return fail_expected(c, s, "a value, { min = ...; max = ...; } or { choice = [...]; }");
    spec->kind = EVO_SPEC_FIXED;
    return read_gene_value(c, gi, s, &spec->value);
}

/* ---- per-layer shorthands ---- */

/* A key of `search` that stands for one gene per hidden layer: a spec written under it applies to
 * every layer whose own key (neurons_2, dropout_3, ...) the configuration leaves out. */
struct layer_alias {
    const char *key;
    int (*gene)(size_t l); /* the gene id of hidden layer (conv block) l */
    size_t count;          /* layers (blocks) it stands for */
    const char *help;
};

static const struct layer_alias aliases[] = {
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
#define N_ALIASES (sizeof aliases / sizeof *aliases)

static const struct layer_alias *find_alias(const char *key)
{
    for (size_t a = 0; a < N_ALIASES; a++)
        if (!strcmp(aliases[a].key, key))
            return &aliases[a];
    return NULL;
}

/* 1 when s, or any setting inside it, came from the file or an override rather than the defaults. */
static int written(const config_setting_t *s)
{
    if (config_setting_get_hook(s) != &default_mark)
        return 1;
    for (int i = 0; config_setting_is_aggregate(s) && i < config_setting_length(s); i++)
        if (written(config_setting_get_elem(s, (unsigned)i)))
            return 1;
    return 0;
}

/* Replaces every per-layer key the configuration left at its default with a copy of its shorthand,
 * when the shorthand was written; the shorthand is checked first as layer 1's gene, so that a bad
 * value is reported where it was written. */
static int expand_aliases(const struct ctx *c, config_setting_t *search)
{
    for (size_t a = 0; a < N_ALIASES; a++) {
        const config_setting_t *as = config_setting_get_member(search, aliases[a].key);
        if (!as || !written(as))
            continue;
        struct evo_gene_spec spec;
        int rc = read_gene(c, aliases[a].gene(0), as, &spec);
        if (rc)
            return rc;
        for (size_t l = 0; l < aliases[a].count; l++) {
            const char *name = evo_genome_gene(aliases[a].gene(l))->name;
            config_setting_t *gs = config_setting_get_member(search, name);
            if (gs && written(gs))
                continue;
            if (gs)
                config_setting_remove(search, name);
            if (!copy_setting(search, name, as, config_setting_get_hook(as)))
                return evo_error_set(c->err, EVO_ERUNTIME, "internal error: cannot expand '%s'",
                                     aliases[a].key);
        }
    }
    return EVO_OK;
}

/* ---- the whole file ---- */

static const struct key_row *find_row(const char *group, const char *key)
{
    for (size_t r = 0; r < N_ROWS; r++)
        if (!strcmp(rows[r].group, group) && !strcmp(rows[r].key, key))
            return &rows[r];
    return NULL;
}

/* The nearest known "group.key" (or group, at the top level) to an unknown name in `group` (NULL:
 * the top level, where every key is a candidate). Inside a group, keys of other groups are only offered
 * when their name matches exactly ("data.seed": "run.seed"). */
static const char *suggest(const char *group, const char *name, char *out, size_t n)
{
    size_t best_d = SIZE_MAX;
    int found = 0;
    for (size_t g = 0; g < N_GROUPS && !group; g++) {
        size_t d = evo_error_distance(name, groups[g]);
        if (d < best_d && evo_error_is_close(name, d))
            best_d = d, found = 1, snprintf(out, n, "%s", groups[g]);
    }
    for (int pass = 0; pass < 3; pass++) {
        /* pass 0: data/ga/run rows; pass 1: genes; pass 2: per-layer shorthands */
        size_t count = pass == 2 ? N_ALIASES : pass ? EVO_GENE_COUNT : N_ROWS;
        for (size_t k = 0; k < count; k++) {
            const char *g = pass ? "search" : rows[k].group;
            const char *key = pass == 2 ? aliases[k].key : pass ? evo_genome_gene((int)k)->name : rows[k].key;
            size_t d = evo_error_distance(name, key);
            int same = !group || !strcmp(group, g);
            if (!same && d != 0)
                continue;
            if (d < best_d && evo_error_is_close(name, d))
                best_d = d, found = 1, snprintf(out, n, "%s.%s", g, key);
        }
    }
    return found ? out : NULL;
}

static int check_keys(const struct ctx *c, config_setting_t *root)
{
    char best[256];
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
        const char *gname = config_setting_name(g);
        size_t k = 0;
        while (k < N_GROUPS && strcmp(groups[k], gname))
            k++;
        if (k == N_GROUPS)
            return fail_unknown(c, g, suggest(NULL, gname, best, sizeof best));
        if (!config_setting_is_group(g))
            return fail_expected(c, g, "a group, { ... }");
        for (int j = 0; j < config_setting_length(g); j++) {
            const config_setting_t *m = config_setting_get_elem(g, (unsigned)j);
            const char *mname = config_setting_name(m);
            int known = strcmp(gname, "search") ? find_row(gname, mname) != NULL
                                                : evo_genome_find(mname) >= 0 || find_alias(mname);
            if (!known)
                return fail_unknown(c, m, suggest(gname, mname, best, sizeof best));
        }
    }
    return EVO_OK;
}

/* Adds the default text under parent.key when the key is absent, marked as a default. */
static int fill_default(const struct ctx *c, config_setting_t *parent, const char *key, const char *text)
{
    if (config_setting_get_member(parent, key))
        return EVO_OK;
    config_t tmp;
    config_init(&tmp);
    const config_setting_t *v = parse_value(&tmp, text);
    int ok = v && copy_setting(parent, key, v, &default_mark);
    config_destroy(&tmp);
    if (!ok)
        return evo_error_set(c->err, EVO_ERUNTIME, "internal error: bad default '%s' for key '%s'", text,
                             key);
    return EVO_OK;
}

static int fill_defaults(const struct ctx *c, config_setting_t *root, const struct evo_config *cfg)
{
    for (size_t g = 0; g < N_GROUPS; g++)
        if (!config_setting_get_member(root, groups[g]))
            config_setting_set_hook(config_setting_add(root, groups[g], CONFIG_TYPE_GROUP), &default_mark);
    for (size_t r = 0; r < N_ROWS; r++) {
        config_setting_t *parent = config_setting_get_member(root, rows[r].group);
        char *derived = NULL;
        if (!rows[r].def) {
            /* run.output: "results/<name>.h5" as a libconfig string */
            size_t n = strlen(cfg->name) + 16;
            char *plain = evo_mem_alloc(n);
            snprintf(plain, n, "results/%s.h5", cfg->name);
            FILE *f = open_memstream(&derived, &n);
            write_string(f, plain);
            fclose(f);
            free(plain);
        }
        int rc = fill_default(c, parent, rows[r].key, derived ? derived : rows[r].def);
        free(derived);
        if (rc)
            return rc;
    }
    config_setting_t *search = config_setting_get_member(root, "search");
    for (int id = 0; id < EVO_GENE_COUNT; id++) {
        const struct evo_gene_info *gi = evo_genome_gene(id);
        int rc = fill_default(c, search, gi->name, gi->default_spec);
        if (rc)
            return rc;
    }
    /* a shorthand's default is its layer 1 gene's, so that --set search.neurons.max=512 narrows it */
    for (size_t a = 0; a < N_ALIASES; a++) {
        int rc = fill_default(c, search, aliases[a].key, evo_genome_gene(aliases[a].gene(0))->default_spec);
        if (rc)
            return rc;
    }
    return EVO_OK;
}

/* Applies override i: "PATH=VALUE", creating the groups on the way and replacing what was there. */
static int apply_set(const struct ctx *c, config_t *lc, size_t i)
{
    const char *arg = c->sets[i];
    const char *eq = strchr(arg, '=');
    if (!eq)
        return evo_error_set(c->err, EVO_ECONFIG, "--set '%s': expected PATH=VALUE", arg);
    const char *start = arg, *end = eq;
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    size_t plen = (size_t)(end - start);
    char *path = evo_mem_alloc(plen + 1);
    memcpy(path, start, plen);
    path[plen] = '\0';

    /* each component a libconfig name: [A-Za-z*][-A-Za-z0-9_*]* */
    int valid = plen > 0;
    for (size_t k = 0; k < plen && valid; k++) {
        char ch = path[k];
        int first = k == 0 || path[k - 1] == '.';
        if (ch == '.')
            valid = !first && k + 1 < plen;
        else if (first)
            valid = isalpha((unsigned char)ch) || ch == '*';
        else
            valid = isalnum((unsigned char)ch) || strchr("-_*", ch) != NULL;
    }
    int rc = EVO_OK;
    config_t tmp;
    config_init(&tmp);
    const config_setting_t *value = NULL;
    if (!valid) {
        rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': invalid key path '%s'", arg, path);
        goto done;
    }
    value = parse_value(&tmp, eq + 1);
    if (!value) {
        /* the shell ate the quotes of a string value: --set data.train="x.csv" */
        const char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        int bare = isalpha((unsigned char)*v) || *v == '/' || *v == '_' || *v == '~';
        rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': cannot parse '%s' as a libconfig value%s",
                           arg, eq + 1, bare ? " (strings need double quotes)" : "");
        goto done;
    }
    void *hook = (void *)(uintptr_t)(i + 1);
    config_setting_t *parent = config_root_setting(lc);
    char *comp = path;
    for (char *dot; (dot = strchr(comp, '.')); comp = dot + 1) {
        *dot = '\0';
        config_setting_t *m = config_setting_get_member(parent, comp);
        if (!m) {
            m = config_setting_add(parent, comp, CONFIG_TYPE_GROUP);
            if (!m) {
                rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': cannot create '%s'", arg, comp);
                goto done;
            }
            config_setting_set_hook(m, hook);
        } else if (!config_setting_is_group(m)) {
            char where[256];
            path_of(m, where, sizeof where);
            rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': '%s' is not a group", arg, where);
            goto done;
        }
        parent = m;
    }
    if (config_setting_get_member(parent, comp))
        config_setting_remove(parent, comp);
    if (!copy_setting(parent, comp, value, hook))
        rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': cannot set '%s'", arg, path);
done:
    config_destroy(&tmp);
    free(path);
    return rc;
}

/* Writes the effective configuration from the validated struct, every key present. */
static void write_gene_value(FILE *f, const struct evo_gene_info *gi, double v)
{
    char num[32];
    if (gi->type == EVO_GENE_ENUM)
        write_string(f, gi->enum_names[(int)v]);
    else if (gi->type == EVO_GENE_INT)
        fprintf(f, "%.0f", v);
    else {
        evo_fmt_float(num, sizeof num, v);
        fputs(num, f);
    }
}

static void write_spec(FILE *f, const struct evo_gene_info *gi, const struct evo_gene_spec *s)
{
    switch (s->kind) {
    case EVO_SPEC_FIXED: write_gene_value(f, gi, s->value); break;
    case EVO_SPEC_RANGE:
        fputs("{ min = ", f);
        write_gene_value(f, gi, s->min);
        fputs("; max = ", f);
        write_gene_value(f, gi, s->max);
        fputs(s->log ? "; log = true; }" : "; }", f);
        break;
    default:
        fputs("{ choice = [", f);
        for (size_t k = 0; k < s->n_choices; k++) {
            if (k)
                fputs(", ", f);
            write_gene_value(f, gi, s->choices[k]);
        }
        fputs("]; }", f);
    }
}

static void write_row_value(FILE *f, const struct key_row *r, const struct evo_config *cfg)
{
    const void *field = (const char *)cfg + r->offset;
    char num[32];
    switch (r->type) {
    case KEY_STRING: write_string(f, *(char *const *)field); break;
    case KEY_FLOAT:
        evo_fmt_float(num, sizeof num, *(const double *)field);
        fputs(num, f);
        break;
    case KEY_LONG: fprintf(f, "%ld", *(const long *)field); break;
    case KEY_INT64: fprintf(f, "%" PRId64, *(const int64_t *)field); break;
    case KEY_NAME: write_string(f, r->names[*(const int *)field]); break;
    case KEY_SHAPE: {
        const long *shape = field;
        if (shape[0])
            fprintf(f, "[%ld, %ld]", shape[0], shape[1]);
        else
            fputs("[]", f);
        break;
    }
    default: fputs(*(const int *)field ? "true" : "false", f);
    }
}

/* Keys that only some strategies use, with what to use instead under the others. */
#define FOR_RANDOM (1 << EVO_STRATEGY_RANDOM)
#define FOR_GENERATIONAL (1 << EVO_STRATEGY_GENERATIONAL)
#define FOR_STEADY (1 << EVO_STRATEGY_STEADY_STATE)
#define FOR_TPE (1 << EVO_STRATEGY_TPE)
static const struct {
    const char *group, *key;
    int strategies;      /* FOR_* mask of the strategies that use it */
    const char *instead; /* what the others use */
} strategy_keys[] = {
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
#define N_STRATEGY_KEYS (sizeof strategy_keys / sizeof strategy_keys[0])

/* 1 when key group.key means something to strategy k; *instead says what to use otherwise. */
static int key_used(const char *group, const char *key, int k, const char **instead)
{
    for (size_t i = 0; i < N_STRATEGY_KEYS; i++)
        if (!strcmp(strategy_keys[i].group, group) && !strcmp(strategy_keys[i].key, key)) {
            if (instead)
                *instead = strategy_keys[i].instead;
            return (strategy_keys[i].strategies >> k) & 1;
        }
    return 1;
}

/* The names of the strategies that use group.key: "generational", "generational and steady_state",
 * "random, steady_state and tpe". */
static void key_users(const char *group, const char *key, char *out, size_t n)
{
    int users = 0, left = 0;
    for (int k = 0; k < EVO_STRATEGY_COUNT; k++)
        left += key_used(group, key, k, NULL);
    out[0] = '\0';
    for (int k = 0; k < EVO_STRATEGY_COUNT; k++)
        if (key_used(group, key, k, NULL)) {
            left--;
            snprintf(out + strlen(out), n - strlen(out), "%s%s", !users++ ? "" : left ? ", " : " and ",
                     strategy_names[k]);
        }
}

const char *evo_config_strategy_name(int k)
{
    return k >= 0 && k < EVO_STRATEGY_COUNT ? strategy_names[k] : "?";
}

int evo_config_parse_duration(const char *text, double *seconds)
{
    const char *p = text;
    double total = 0;
    while (*p == ' ')
        p++;
    if (!*p) {
        *seconds = 0;
        return 0;
    }
    int parts = 0;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v >= 0) || !isfinite(v))
            return -1;
        double unit = 1;
        switch (*end) {
        case 'd': unit = 86400; end++; break;
        case 'h': unit = 3600; end++; break;
        case 'm': unit = 60; end++; break;
        case 's': end++; break;
        case '\0':
            if (parts) /* "1h30" is ambiguous */
                return -1;
            break;
        default: return -1;
        }
        total += v * unit;
        parts++;
        p = end;
    }
    *seconds = total;
    return 0;
}

static char *effective_text(const struct evo_config *cfg)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    for (size_t g = 0; g < N_GROUPS; g++) {
        /* a group none of whose keys the strategy uses (tpe under the others) is left out */
        int any = !strcmp(groups[g], "search");
        for (size_t r = 0; r < N_ROWS && !any; r++)
            any = !strcmp(rows[r].group, groups[g]) && key_used(rows[r].group, rows[r].key, cfg->strategy, NULL);
        if (!any)
            continue;
        fprintf(f, "%s%s = {\n", g ? "\n" : "", groups[g]);
        if (!strcmp(groups[g], "search")) {
            for (int id = 0; id < EVO_GENE_COUNT; id++) {
                const struct evo_gene_info *gi = evo_genome_gene(id);
                fprintf(f, "    %s = ", gi->name);
                write_spec(f, gi, &cfg->space.spec[id]);
                fputs(";\n", f);
            }
        }
        for (size_t r = 0; r < N_ROWS; r++) {
            if (strcmp(rows[r].group, groups[g]) || !key_used(rows[r].group, rows[r].key, cfg->strategy, NULL))
                continue;
            fprintf(f, "    %s = ", rows[r].key);
            write_row_value(f, &rows[r], cfg);
            fputs(";\n", f);
        }
        fputs("};\n", f);
    }
    fclose(f);
    return text;
}

/* "configs/fast.cfg" -> "fast" */
static char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *out = evo_mem_alloc(n + 1);
    memcpy(out, base, n);
    out[n] = '\0';
    return out;
}

/* The loss gene and ga.fitness must fit data.task; under regression, left unset, they become mse and
 * neg_rmse. */
static int check_task(const struct ctx *c, config_t *lc, struct evo_config *cfg)
{
    const config_setting_t *loss = config_lookup(lc, "search.loss");
    const config_setting_t *fit = config_lookup(lc, "ga.fitness");
    struct evo_gene_spec *spec = &cfg->space.spec[EVO_GENE_LOSS];
    int regression = cfg->task == EVO_TASK_REGRESSION;
    if (regression && config_setting_get_hook(loss) == &default_mark) {
        memset(spec, 0, sizeof *spec);
        spec->kind = EVO_SPEC_FIXED;
        spec->value = EVO_LOSS_MSE;
    }
    if (regression && config_setting_get_hook(fit) == &default_mark)
        cfg->fitness = EVO_FITNESS_NEG_RMSE;
    if (regression) {
        size_t n = spec->kind == EVO_SPEC_CHOICE ? spec->n_choices : 1;
        for (size_t k = 0; k < n; k++) {
            double v = spec->kind == EVO_SPEC_CHOICE ? spec->choices[k] : spec->value;
            if ((int)v != EVO_LOSS_MSE)
                return fail(c, loss, "key 'search.loss': a regression task (data.task) trains with "
                            "\"mse\" only, got \"%s\"", evo_mlp_loss_name((int)v));
        }
    }
    if (evo_metrics_is_regression(cfg->fitness) != regression)
        return fail(c, fit, "key 'ga.fitness': \"%s\" scores %s, but data.task is \"%s\"",
                    evo_metrics_fitness_name(cfg->fitness),
                    regression ? "classification" : "regression", regression ? "regression" : "classification");
    return EVO_OK;
}

static int validate(const struct ctx *c, config_t *lc, struct evo_config *cfg)
{
    config_setting_t *root = config_root_setting(lc);
    /* Defaults go in before the overrides too, so that --set search.learning_rate.max=0.01 narrows
     * the default range rather than leaving a range without min; and again after them, for groups an
     * override replaced whole. The keys are checked first so that defaults land in real groups. */
    int rc = check_keys(c, root);
    if (!rc)
        rc = fill_defaults(c, root, cfg);
    for (size_t i = 0; i < c->n_sets && !rc; i++)
        rc = apply_set(c, lc, i);
    if (!rc)
        rc = check_keys(c, root);
    if (!rc)
        rc = fill_defaults(c, root, cfg);
    for (size_t r = 0; r < N_ROWS && !rc; r++) {
        const config_setting_t *g = config_setting_get_member(root, rows[r].group);
        rc = read_row(c, &rows[r], config_setting_get_member(g, rows[r].key), cfg);
    }
    config_setting_t *search = config_setting_get_member(root, "search");
    if (!rc)
        rc = expand_aliases(c, search);
    for (int id = 0; id < EVO_GENE_COUNT && !rc; id++)
        rc = read_gene(c, id, config_setting_get_member(search, evo_genome_gene(id)->name),
                       &cfg->space.spec[id]);
    if (!rc)
        rc = check_task(c, lc, cfg);
    for (size_t i = 0; i < N_STRATEGY_KEYS && !rc; i++) {
        const config_setting_t *g = config_setting_get_member(root, strategy_keys[i].group);
        const config_setting_t *s = config_setting_get_member(g, strategy_keys[i].key);
        /* a file's keys for other strategies are ignored when an override (--strategy) chose this one:
         * one file serves every strategy; a key set by an override, or beside its own strategy, is an error */
        const config_setting_t *st = config_lookup(lc, "run.strategy");
        int strategy_overridden = st && config_setting_get_hook(st) && config_setting_get_hook(st) != &default_mark;
        int from_file = s && !config_setting_get_hook(s);
        if (s && config_setting_get_hook(s) != &default_mark && !(from_file && strategy_overridden) &&
            !((strategy_keys[i].strategies >> cfg->strategy) & 1))
            rc = fail(c, s, "key '%s.%s' means nothing to run.strategy \"%s\": %s", strategy_keys[i].group,
                      strategy_keys[i].key, strategy_names[cfg->strategy], strategy_keys[i].instead);
    }
    if (!rc && cfg->time_limit_text && evo_config_parse_duration(cfg->time_limit_text, &cfg->time_limit))
        rc = fail(c, config_lookup(lc, "run.time_limit"), "key 'run.time_limit': expected a duration such "
                  "as \"8h\", \"90m\", \"1h30m\" or \"45s\", got \"%s\"", cfg->time_limit_text);
    if (rc)
        return rc;

    if (!cfg->test && !(cfg->validation_fraction + cfg->test_fraction < 1)) {
        /* blame the one the user wrote; test_fraction when both were */
        const config_setting_t *s = config_lookup(lc, "data.test_fraction");
        if (config_setting_get_hook(s) == &default_mark)
            s = config_lookup(lc, "data.validation_fraction");
        char a[32], b[32], path[256];
        path_of(s, path, sizeof path);
        evo_fmt_number(a, sizeof a, cfg->validation_fraction);
        evo_fmt_number(b, sizeof b, cfg->test_fraction);
        return fail(c, s, "key '%s': validation_fraction + test_fraction must be below 1, got %s + %s",
                    path, a, b);
    }
    if (cfg->folds == 1) {
        const config_setting_t *s = config_lookup(lc, "data.folds");
        return fail(c, s, "key 'data.folds': expected 0 (no cross-validation) or 2 to 100 folds, got 1");
    }
    cfg->text = effective_text(cfg);
    return EVO_OK;
}

/* The line (from 1) of the first libconfig "@include" directive in text (a line whose first non-blank
 * characters are "@include": a superset of what libconfig's scanner follows), or 0 when there is
 * none. */
static int include_line(const char *text)
{
    int line = 1;
    for (const char *p = text; *p; line++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!strncmp(p, "@include", 8))
            return line;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return 0;
}

/* evo_config_load_string's body; allow_include: let libconfig read the files that @include names. */
static int load_text(struct evo_config *cfg, const char *text, const char *name, const char *const *sets,
                     size_t n_sets, int allow_include, struct evo_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (!name)
        name = "(string)";
    int inc = allow_include ? 0 : include_line(text);
    if (inc)
        return evo_error_set(err, EVO_ECONFIG, "%s:%d: @include is not allowed in a configuration that "
                             "is not a file (a stored configuration is self-contained)", name, inc);
    struct ctx c = {name, sets, n_sets, err};
    cfg->path = evo_mem_strdup(name);
    cfg->name = base_name(name);
    config_t lc;
    config_init(&lc);
    int rc;
    if (!parse_text(&lc, text)) {
        const char *file = config_error_file(&lc);
        rc = evo_error_set(err, EVO_ECONFIG, "%s:%d: %s", file ? file : name, config_error_line(&lc),
                           config_error_text(&lc));
    } else {
        rc = validate(&c, &lc, cfg);
    }
    config_destroy(&lc);
    if (rc)
        evo_config_release(cfg);
    return rc;
}

int evo_config_load_string(struct evo_config *cfg, const char *text, const char *name,
                           const char *const *sets, size_t n_sets, struct evo_error *err)
{
    return load_text(cfg, text, name, sets, n_sets, 0, err);
}

int evo_config_load(struct evo_config *cfg, const char *path, const char *const *sets, size_t n_sets,
                    struct evo_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    /* libconfig reports a missing file with neither its name nor a reason, so read it here */
    FILE *f = fopen(path, "rb");
    if (!f)
        return evo_error_set(err, EVO_ECONFIG, "cannot open '%s': %s", path, strerror(errno));
    struct buf text = {0};
    char chunk[8192];
    size_t got;
    buf_put(&text, "", 0);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_put(&text, chunk, got);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed) {
        free(text.p);
        return evo_error_set(err, EVO_ECONFIG, "cannot read '%s': %s", path, strerror(saved));
    }
    int rc = load_text(cfg, text.p, path, sets, n_sets, 1, err);
    free(text.p);
    return rc;
}

void evo_config_release(struct evo_config *cfg)
{
    free(cfg->path);
    free(cfg->name);
    free(cfg->train);
    free(cfg->train_labels);
    free(cfg->test);
    free(cfg->test_labels);
    free(cfg->label);
    free(cfg->output);
    free(cfg->time_limit_text);
    free(cfg->text);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- template and reference ---- */

/* Writes text as "# " comment lines of at most 100 columns. */
static void write_comment(FILE *f, const char *indent, const char *text)
{
    const size_t width = 100 - strlen(indent) - 2;
    while (*text) {
        size_t n = strlen(text);
        if (n > width) {
            n = width;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0)
                n = strcspn(text, " ");
        }
        fprintf(f, "%s# %.*s\n", indent, (int)n, text);
        text += n;
        while (*text == ' ')
            text++;
    }
}

void evo_config_write_template(FILE *f)
{
    fputs("# evotune configuration: the default search, every key shown with its default value.\n"
          "# Generated by `evotune config --template`; a key left out takes the default shown here.\n"
          "# Paths are relative to the working directory evotune runs in, not to this file.\n"
          "# Any key can be overridden on the command line with --set PATH=VALUE, VALUE in libconfig\n"
          "# syntax: --set ga.population=48 --set 'search.optimizer=\"adam\"'\n", f);
    char line[1024], range[96];
    for (size_t g = 0; g < N_GROUPS; g++) {
        fputs("\n", f);
        if (!strcmp(groups[g], "search")) {
            write_comment(f, "",
                          "The search space, one key per gene: a bare value fixes the gene; "
                          "{ min = A; max = B; } searches a range (uniformly; with log = true; "
                          "uniformly in its logarithm, min > 0); { choice = [...]; } searches a list. "
                          "Integer genes take integers; activation and optimizer take names. A libconfig "
                          "array holds one type: write [0.0, 1e-4], not [0, 1e-4].");
            fputs("search = {\n", f);
            for (int id = 0; id < EVO_GENE_COUNT; id++) {
                const struct evo_gene_info *gi = evo_genome_gene(id);
                const char *key = gi->name, *help = gi->help;
                /* per-layer genes appear as their shorthand: a written neurons_2 would override it */
                int layer = evo_genome_gene_layer(id), block = evo_genome_gene_block(id);
                if (layer > 0 || block > 0)
                    continue;
                if (block == 0)
                    layer = 0;
                for (size_t a = 0; layer == 0 && a < N_ALIASES; a++)
                    if (aliases[a].gene(0) == id)
                        key = aliases[a].key, help = aliases[a].help;
                char bounds[256];
                gene_bounds(gi, "\"", bounds, sizeof bounds);
                snprintf(line, sizeof line, "%s (%s %s)%s", help,
                         gi->type == EVO_GENE_ENUM ? "one of" : gi->type == EVO_GENE_INT ? "integer in"
                                                                                        : "float in",
                         bounds, layer == 0 ? "; one layer's own key, e.g. " : "");
                if (layer == 0)
                    snprintf(line + strlen(line), sizeof line - strlen(line), "%.*s2 = ...;",
                             (int)(strlen(gi->name) - 1), gi->name);
                write_comment(f, "    ", line);
                fprintf(f, "    %s = %s;\n", key, gi->default_spec);
            }
            fputs("};\n", f);
            continue;
        }
        fprintf(f, "%s = {\n", groups[g]);
        for (size_t r = 0; r < N_ROWS; r++) {
            if (strcmp(rows[r].group, groups[g]))
                continue;
            row_range(&rows[r], range, sizeof range);
            if (rows[r].type == KEY_BOOL)
                snprintf(line, sizeof line, "%s (%s)", rows[r].help, range);
            else
                snprintf(line, sizeof line, "%s (%s, %s)", rows[r].help, row_type_name(&rows[r]), range);
            int used = key_used(rows[r].group, rows[r].key, EVO_STRATEGY_STEADY_STATE, NULL);
            if (!used) {
                char who[64];
                key_users(rows[r].group, rows[r].key, who, sizeof who);
                snprintf(line + strlen(line), sizeof line - strlen(line), ". Used by %s only", who);
            }
            write_comment(f, "    ", line);
            fprintf(f, "    %s%s = %s;\n", used ? "" : "# ", rows[r].key,
                    rows[r].def ? rows[r].def : "\"results/default.h5\"");
        }
        fputs("};\n", f);
    }
}

void evo_config_write_reference(FILE *f)
{
    fputs("A configuration file has five groups, `data`, `search`, `ga`, `tpe` and `run`; a key left out takes "
          "its default, and an unknown key is an error. `evotune config --template` prints the "
          "commented default file (`configs/default.cfg`). Any key can be overridden from the command "
          "line with `--set PATH=VALUE`, VALUE in libconfig syntax, applied in order: "
          "`--set ga.population=48`, `--set 'search.optimizer=\"adam\"'`, "
          "`--set search.learning_rate.max=0.01`.\n", f);
    char range[96], bounds[256];
    for (size_t g = 0; g < N_GROUPS; g++) {
        fprintf(f, "\n### `%s`\n\n", groups[g]);
        if (!strcmp(groups[g], "search")) {
            fputs("One key per gene (hyperparameter). Each takes a bare value, which fixes the gene "
                  "(`dropout = 0.1;`, `optimizer = \"adam\";`); a range `{ min = A; max = B; }`, "
                  "sampled uniformly, or uniformly in its logarithm with `log = true;` (then min > 0), "
                  "for float and int genes; or a list `{ choice = [...]; }` of 1 to 32 distinct values, "
                  "names for choice genes. Int genes take integers; every value must lie within the "
                  "gene's bounds. A libconfig array holds one type: write `[0.0, 1e-4]`, not `[0, 1e-4]`."
                  "\n\n", f);
            fputs("| key | kind | default search range | bounds | meaning |\n"
                  "|---|---|---|---|---|\n", f);
            for (int id = 0; id < EVO_GENE_COUNT; id++) {
                const struct evo_gene_info *gi = evo_genome_gene(id);
                gene_bounds(gi, "`", bounds, sizeof bounds);
                for (size_t a = 0; a < N_ALIASES; a++)
                    if (aliases[a].gene(0) == id)
                        fprintf(f, "| `%s` | %s | `%s` | %s | %s |\n", aliases[a].key,
                                gi->type == EVO_GENE_INT ? "int" : "float", gi->default_spec, bounds,
                                aliases[a].help);
                fprintf(f, "| `%s` | %s | `%s` | %s | %s |\n", gi->name,
                        gi->type == EVO_GENE_ENUM ? "choice" : gi->type == EVO_GENE_INT ? "int" : "float",
                        gi->default_spec, bounds, gi->help);
            }
            continue;
        }
        fputs("| key | type | default | range | meaning |\n"
              "|---|---|---|---|---|\n", f);
        for (size_t r = 0; r < N_ROWS; r++) {
            if (strcmp(rows[r].group, groups[g]))
                continue;
            row_range(&rows[r], range, sizeof range);
            char who[64] = "";
            int all = 1;
            for (int k = 0; k < EVO_STRATEGY_COUNT; k++)
                all &= key_used(rows[r].group, rows[r].key, k, NULL);
            if (!all) {
                char names[48];
                key_users(rows[r].group, rows[r].key, names, sizeof names);
                snprintf(who, sizeof who, " (%s only)", names);
            }
            fprintf(f, "| `%s` | %s | `%s` | %s | %s%s |\n", rows[r].key, row_type_name(&rows[r]),
                    rows[r].def ? rows[r].def : "\"results/<config name>.h5\"", range, rows[r].help, who);
        }
    }
}
