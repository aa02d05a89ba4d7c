/* Tests of the configuration reader: defaults, the documented example, every error path (message,
 * file, line and key), 64-bit integer literals, --set overrides, the effective text's round trip, and
 * that configs/default.cfg and the README's reference are what the key tables generate. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "evotune/config.h"

static char tmpdir[] = "/tmp/evotune-test-config-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            char path[512];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    return rmdir(tmpdir);
}

/* Writes text to tmpdir/name and returns the path (static storage, valid until the next call). */
static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    size_t got;
    while ((got = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            p = realloc(p, cap *= 2);
    }
    p[n] = '\0';
    fclose(f);
    return p;
}

/* Expects EVO_OK from a load, showing the message otherwise; needs a `struct evo_error err` in scope. */
#define assert_loaded(call)                                                                        \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != EVO_OK)                                                                         \
            fail_msg("load failed (%d): %s", rc_, err.msg);                                        \
    } while (0)

/* The example of the documentation, with its comments. */
static const char example[] =
    "data = { train = \"datasets/digits.csv\"; label = \"label\";     # CSV: header row, label column\n"
    "         # IDX: train = \"...-images-idx3-ubyte.gz\"; train_labels = \"...-labels-idx1-ubyte.gz\";\n"
    "         # optional separate test set: test = \"...\"; test_labels = \"...\";\n"
    "         validation_fraction = 0.2; test_fraction = 0.2; standardize = true; };\n"
    "search = { learning_rate = { min = 1e-4; max = 0.1; log = true; };   # float range (log scale)\n"
    "           epochs = { min = 5; max = 30; };                            # integer bounds\n"
    "           batch_size = { choice = [16, 32, 64, 128]; };\n"
    "           hidden_layers = { min = 1; max = 3; };\n"
    "           neurons = { min = 16; max = 256; log = true; };\n"
    "           activation = { choice = [\"relu\", \"tanh\", \"sigmoid\"]; };\n"
    "           optimizer = { choice = [\"sgd\", \"momentum\", \"nesterov\", \"rmsprop\", \"adam\", \"adamw\"]; };\n"
    "           weight_decay = { min = 1e-6; max = 1e-2; log = true; };\n"
    "           dropout = 0.1; };                                           # a bare value fixes a gene\n"
    "ga = { population = 24; tournament = 3; crossover = 0.9; mutation = 0.2; };\n"
    "run = { strategy = \"steady_state\"; max_trials = 240; workers = 16;\n"
    "        seed = 1; threads = 0; output = \"results/default.h5\"; };      # threads = 0: all cores\n";

static int load_file(struct evo_config *cfg, const char *name, const char *text, const char *const *sets,
                     size_t n_sets, struct evo_error *err)
{
    memset(err, 0, sizeof *err);
    return evo_config_load(cfg, write_file(name, text), sets, n_sets, err);
}

/* Loads text as tmpdir/t.cfg with the overrides and checks that it fails with EVO_ECONFIG, a one-line
 * message without a trailing full stop, containing every string of the NULL-terminated list. */
static void expect_error_sets(const char *text, const char *const *sets, size_t n_sets, ...)
{
    struct evo_config cfg;
    struct evo_error err;
    int rc = load_file(&cfg, "t.cfg", text, sets, n_sets, &err);
    if (rc != EVO_ECONFIG)
        fail_msg("expected EVO_ECONFIG, got %d (%s) for:\n%s", rc, err.msg, text);
    assert_int_equal(err.status, EVO_ECONFIG);
    assert_null(strchr(err.msg, '\n'));
    size_t n = strlen(err.msg);
    assert_true(n > 0 && err.msg[n - 1] != '.');
    va_list ap;
    va_start(ap, n_sets);
    for (const char *want; (want = va_arg(ap, const char *));)
        if (!strstr(err.msg, want))
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    va_end(ap);
    /* left released */
    assert_null(cfg.path);
    assert_null(cfg.text);
    assert_null(cfg.train);
}

#define expect_error(text, ...) expect_error_sets(text, NULL, 0, __VA_ARGS__, (const char *)NULL)

static void expect_set_error(const char *set, ...)
{
    struct evo_config cfg;
    struct evo_error err;
    const char *sets[] = {set};
    int rc = load_file(&cfg, "t.cfg", "ga = { population = 10; };\n", sets, 1, &err);
    assert_int_equal(rc, EVO_ECONFIG);
    assert_null(strchr(err.msg, '\n'));
    va_list ap;
    va_start(ap, set);
    for (const char *want; (want = va_arg(ap, const char *));)
        if (!strstr(err.msg, want))
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    va_end(ap);
    assert_null(cfg.text);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    if (n < m || strcmp(s + n - m, tail))
        print_message("\"%s\" does not end with \"%s\"\n", s, tail);
    return n >= m && !strcmp(s + n - m, tail);
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void assert_spec_equal(const struct evo_gene_spec *a, const struct evo_gene_spec *b)
{
    assert_int_equal(a->kind, b->kind);
    switch (a->kind) {
    case EVO_SPEC_FIXED: assert_true(a->value == b->value); break;
    case EVO_SPEC_RANGE:
        assert_true(a->min == b->min);
        assert_true(a->max == b->max);
        assert_int_equal(a->log, b->log);
        break;
    default:
        assert_int_equal(a->n_choices, b->n_choices);
        for (size_t k = 0; k < a->n_choices; k++)
            assert_true(a->choices[k] == b->choices[k]);
    }
}

static void assert_config_equal(const struct evo_config *a, const struct evo_config *b)
{
    assert_true(str_eq(a->train, b->train));
    assert_true(str_eq(a->train_labels, b->train_labels));
    assert_true(str_eq(a->test, b->test));
    assert_true(str_eq(a->test_labels, b->test_labels));
    assert_true(str_eq(a->label, b->label));
    assert_true(a->validation_fraction == b->validation_fraction);
    assert_true(a->test_fraction == b->test_fraction);
    assert_int_equal(a->standardize, b->standardize);
    assert_int_equal(a->image_shape[0], b->image_shape[0]);
    assert_int_equal(a->image_shape[1], b->image_shape[1]);
    for (int i = 0; i < EVO_GENE_COUNT; i++)
        assert_spec_equal(&a->space.spec[i], &b->space.spec[i]);
    assert_int_equal(a->population, b->population);
    assert_int_equal(a->generations, b->generations);
    assert_int_equal(a->strategy, b->strategy);
    assert_int_equal(a->max_trials, b->max_trials);
    assert_int_equal(a->workers, b->workers);
    assert_true(a->time_limit == b->time_limit);
    assert_int_equal(a->tournament, b->tournament);
    assert_true(a->crossover == b->crossover);
    assert_true(a->mutation == b->mutation);
    assert_int_equal(a->elitism, b->elitism);
    assert_true(a->seed == b->seed);
    assert_int_equal(a->threads, b->threads);
    assert_true(str_eq(a->output, b->output));
    assert_true(a->max_params == b->max_params);
    assert_true(a->max_memory == b->max_memory);
}

static void assert_range(const struct evo_gene_spec *s, double min, double max, int log)
{
    assert_int_equal(s->kind, EVO_SPEC_RANGE);
    assert_true(s->min == min);
    assert_true(s->max == max);
    assert_int_equal(s->log, log);
}

static void assert_choices(const struct evo_gene_spec *s, size_t n, const double *want)
{
    assert_int_equal(s->kind, EVO_SPEC_CHOICE);
    assert_int_equal(s->n_choices, n);
    for (size_t k = 0; k < n; k++)
        assert_true(s->choices[k] == want[k]);
}

/* The documented defaults, which are also the example's values. */
static void assert_default_values(const struct evo_config *cfg)
{
    assert_string_equal(cfg->train, "datasets/digits.csv");
    assert_null(cfg->train_labels);
    assert_null(cfg->test);
    assert_null(cfg->test_labels);
    assert_string_equal(cfg->label, "label");
    assert_true(cfg->validation_fraction == 0.2);
    assert_true(cfg->test_fraction == 0.2);
    assert_int_equal(cfg->standardize, 1);
    const struct evo_gene_spec *s = cfg->space.spec;
    assert_range(&s[EVO_GENE_LEARNING_RATE], 1e-4, 0.1, 1);
    assert_range(&s[EVO_GENE_EPOCHS], 5, 30, 0);
    assert_choices(&s[EVO_GENE_BATCH_SIZE], 4, (const double[]){16, 32, 64, 128});
    assert_range(&s[EVO_GENE_HIDDEN_LAYERS], 1, 3, 0);
    assert_range(&s[EVO_GENE_NEURONS], 16, 256, 1);
    assert_choices(&s[EVO_GENE_ACTIVATION], 3, (const double[]){0, 1, 2});
    assert_choices(&s[EVO_GENE_OPTIMIZER], 6, (const double[]){0, 1, 3, 4, 2, 5});
    assert_choices(&s[EVO_GENE_LR_SCHEDULE], 6, (const double[]){0, 1, 2, 3, 4, 5});
    assert_choices(&s[EVO_GENE_EARLY_STOPPING], 2, (const double[]){0, 1});
    assert_range(&s[EVO_GENE_MOMENTUM], 0.8, 0.99, 0);
    assert_range(&s[EVO_GENE_EPSILON], 1e-9, 1e-6, 1);
    assert_int_equal(s[EVO_GENE_LR_MIN].kind, EVO_SPEC_FIXED);
    assert_true(s[EVO_GENE_LR_MIN].value == 1e-6);
    assert_range(&s[EVO_GENE_WEIGHT_DECAY], 1e-6, 1e-2, 1);
    assert_int_equal(s[EVO_GENE_DROPOUT].kind, EVO_SPEC_FIXED);
    assert_true(s[EVO_GENE_DROPOUT].value == 0.1);
    assert_int_equal(cfg->population, 24);
    assert_int_equal(cfg->generations, 10);
    assert_int_equal(cfg->tournament, 3);
    assert_true(cfg->crossover == 0.9);
    assert_true(cfg->mutation == 0.2);
    assert_int_equal(cfg->elitism, 2);
    assert_true(cfg->seed == 1);
    assert_int_equal(cfg->threads, 0);
    assert_true(cfg->max_params == 50000000);
    assert_true(cfg->max_memory == 8192);
}

static void test_defaults(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err = {0};
    assert_loaded(evo_config_load_string(&cfg, "", "default", NULL, 0, &err));
    assert_default_values(&cfg);
    assert_string_equal(cfg.output, "results/default.h5");
    assert_string_equal(cfg.name, "default");
    assert_non_null(cfg.text);
    evo_config_release(&cfg);

    /* the output follows the file's name; empty groups are fine */
    const char *path = write_file("fast.run.cfg", "data = {};\nsearch = {};\n");
    assert_loaded(evo_config_load(&cfg, path, NULL, 0, &err));
    assert_default_values(&cfg);
    assert_string_equal(cfg.path, path);
    assert_string_equal(cfg.name, "fast.run");
    assert_string_equal(cfg.output, "results/fast.run.h5");
    evo_config_release(&cfg);
    assert_null(cfg.path);

    /* any file name makes a valid default, and the text reads back */
    assert_loaded(evo_config_load_string(&cfg, "", "odd/we\"i\\rd\tname.cfg", NULL, 0, &err));
    assert_string_equal(cfg.output, "results/we\"i\\rd\tname.h5");
    struct evo_config again;
    assert_loaded(evo_config_load_string(&again, cfg.text, "other", NULL, 0, &err));
    assert_string_equal(again.output, cfg.output);
    evo_config_release(&again);
    evo_config_release(&cfg);
}

static void test_example(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "example.cfg", example, NULL, 0, &err));
    assert_default_values(&cfg);
    assert_string_equal(cfg.output, "results/default.h5");
    evo_config_release(&cfg);

    /* every spec kind away from the defaults */
    assert_loaded(load_file(&cfg, "kinds.cfg",
                               "search = {\n"
                               "  learning_rate = 0.01;\n"
                               "  epochs = { min = 2; max = 9; log = false; };\n"
                               "  batch_size = 64;\n"
                               "  hidden_layers = { choice = [0, 2]; };\n"
                               "  neurons = { min = 8; max = 8; };\n"
                               "  activation = \"tanh\";\n"
                               "  optimizer = { choice = [\"adam\", \"sgd\"]; };\n"
                               "  weight_decay = { choice = [0.0, 1e-4, 0.5]; };\n"
                               "  dropout = { min = 0; max = 0.5; };\n"
                               "};\n"
                               "data = { train = \"a.idx3-ubyte.gz\"; train_labels = \"b.idx1-ubyte\";\n"
                               "         test = \"c\"; test_labels = \"d\"; label = -1;\n"
                               "         standardize = false; };\n"
                               "run = { output = \"out/x.h5\"; threads = 4; };\n",
                               NULL, 0, &err));
    const struct evo_gene_spec *s = cfg.space.spec;
    assert_int_equal(s[EVO_GENE_LEARNING_RATE].kind, EVO_SPEC_FIXED);
    assert_true(s[EVO_GENE_LEARNING_RATE].value == 0.01);
    assert_range(&s[EVO_GENE_EPOCHS], 2, 9, 0);
    assert_int_equal(s[EVO_GENE_BATCH_SIZE].kind, EVO_SPEC_FIXED);
    assert_true(s[EVO_GENE_BATCH_SIZE].value == 64);
    assert_choices(&s[EVO_GENE_HIDDEN_LAYERS], 2, (const double[]){0, 2});
    assert_range(&s[EVO_GENE_NEURONS], 8, 8, 0);
    assert_int_equal(s[EVO_GENE_ACTIVATION].kind, EVO_SPEC_FIXED);
    assert_true(s[EVO_GENE_ACTIVATION].value == 1);
    assert_choices(&s[EVO_GENE_OPTIMIZER], 2, (const double[]){2, 0});
    assert_choices(&s[EVO_GENE_WEIGHT_DECAY], 3, (const double[]){0, 1e-4, 0.5});
    assert_range(&s[EVO_GENE_DROPOUT], 0, 0.5, 0);
    assert_string_equal(cfg.train, "a.idx3-ubyte.gz");
    assert_string_equal(cfg.train_labels, "b.idx1-ubyte");
    assert_string_equal(cfg.test, "c");
    assert_string_equal(cfg.test_labels, "d");
    assert_string_equal(cfg.label, "-1");
    assert_int_equal(cfg.standardize, 0);
    assert_string_equal(cfg.output, "out/x.h5");
    assert_int_equal(cfg.threads, 4);
    evo_config_release(&cfg);
}

static void test_syntax_error(void **state)
{
    (void)state;
    expect_error("ga = {\n  population = 24;\n  generations = ;\n};\n", "t.cfg:3: syntax error");
    expect_error("ga = {\n  population = 24;\n  generations 3;\n};\n", "t.cfg:3: syntax error");
    expect_error("ga = {\n  population = 24;\n\n\n", "t.cfg:", "syntax error");
    /* libconfig's own checks keep their line */
    expect_error("ga = {\n  population = 24;\n  population = 25;\n};\n", "t.cfg:3:", "duplicate");
    struct evo_config cfg;
    struct evo_error err = {0};
    assert_int_equal(evo_config_load_string(&cfg, "run = {\n\n seed = [; };", "mem.cfg", NULL, 0, &err),
                     EVO_ECONFIG);
    assert_string_equal(err.msg, "mem.cfg:3: syntax error");
}

/* A configuration file may use libconfig's @include; text from memory (the configuration stored in a
 * results file, which resume and predict load) may not, since it would read whatever file it names. */
static void test_include(void **state)
{
    (void)state;
    char inc[512], text[600];
    snprintf(inc, sizeof inc, "%s", write_file("part.cfg", "ga = { population = 7; };\n"));
    snprintf(text, sizeof text, "run = { seed = 3; };\n  @include \"%s\"\n", inc);
    struct evo_config cfg;
    struct evo_error err = {0};
    assert_int_equal(evo_config_load(&cfg, write_file("main.cfg", text), NULL, 0, &err), EVO_OK);
    assert_int_equal(cfg.population, 7);
    assert_int_equal(cfg.seed, 3);
    evo_config_release(&cfg);
    assert_int_equal(evo_config_load_string(&cfg, text, "r.h5", NULL, 0, &err), EVO_ECONFIG);
    assert_string_equal(err.msg, "r.h5:2: @include is not allowed in a configuration that is not a file "
                                 "(a stored configuration is self-contained)");
    assert_null(cfg.path);
    /* what counts as the directive: libconfig's ^[ \t]*@include, after LF or CRLF line ends */
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"@include \"a\"\n", "r.h5:1: @include"},
        {"run = { seed = 3; };\r\n\t @include \"a\"\n", "r.h5:2: @include"},
        {"run = { seed = 3; };\n\n\n@include\t\"a\"", "r.h5:4: @include"},
        {"run = { seed = 3; }; @include \"a\"\n", "r.h5:1: syntax error"}, /* not a directive there */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        assert_int_equal(evo_config_load_string(&cfg, cases[k].text, "r.h5", NULL, 0, &err), EVO_ECONFIG);
        if (strncmp(err.msg, cases[k].msg, strlen(cases[k].msg)))
            fail_msg("case %zu: \"%s\" does not start with \"%s\"", k, err.msg, cases[k].msg);
    }
    /* nor in a string */
    assert_int_equal(evo_config_load_string(&cfg, "data = { train = \"@include\"; };\n", "r.h5", NULL, 0, &err),
                     EVO_OK);
    evo_config_release(&cfg);
    /* the same text without the directive loads */
    assert_int_equal(evo_config_load_string(&cfg, "run = { seed = 3; };\n# @include \"x\"\n", "r.h5",
                                            NULL, 0, &err), EVO_OK);
    evo_config_release(&cfg);
}

static void test_range_error(void **state)
{
    (void)state;
    expect_error("# comment\n\nga = {\n    population = 0;\n};\n",
                 "t.cfg:4: key 'ga.population': expected an integer in [1, 100000], got 0");
    expect_error("ga = { generations = 1000001; };", "t.cfg:1: key 'ga.generations': expected an integer "
                 "in [1, 1000000], got 1000001");
    expect_error("run = {\n threads = -1; };", "t.cfg:2: key 'run.threads': expected an integer in [0, 4096]");
    expect_error("data = {\n\n validation_fraction = 0; };",
                 "t.cfg:3: key 'data.validation_fraction': expected a number in (0, 1), got 0");
    expect_error("data = { test_fraction = 1.0; };",
                 "t.cfg:1: key 'data.test_fraction': expected a number in [0, 1), got 1.0");
    expect_error("ga = { mutation = 1.5; };", "key 'ga.mutation': expected a number in [0, 1], got 1.5");
    expect_error("ga = { elitism = -1; };", "key 'ga.elitism': expected an integer in [0, 100000], got -1");
    expect_error("data = { train = \"\"; };", "t.cfg:1: key 'data.train': expected a non-empty string");
    expect_error("data = { label = \"\"; };", "key 'data.label': expected a non-empty string");
    expect_error("run = { output = \"\"; };", "key 'run.output': expected a non-empty string");
    expect_error("ga = {\n population = 5;\n tournament = 0; };",
                 "t.cfg:3: key 'ga.tournament': expected an integer in [1, 100000], got 0");
    /* tpe: gamma in the open interval, at least one startup trial and one candidate, a window of two */
    expect_error("run = { strategy = \"tpe\"; };\ntpe = {\n gamma = 1.0; };",
                 "t.cfg:3: key 'tpe.gamma': expected a number in (0, 1), got 1.0");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = { gamma = 0.0; };",
                 "t.cfg:2: key 'tpe.gamma': expected a number in (0, 1), got 0.0");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = { gamma = -0.5; };", "key 'tpe.gamma': expected a number");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = {\n\n startup = 0; };",
                 "t.cfg:4: key 'tpe.startup': expected an integer in [1, 1000000], got 0");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = { candidates = 0; };",
                 "t.cfg:2: key 'tpe.candidates': expected an integer in [1, 100000], got 0");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = { window = 1; };",
                 "t.cfg:2: key 'tpe.window': expected an integer in [2, 100000], got 1");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = { window = 100001; };",
                 "t.cfg:2: key 'tpe.window': expected an integer in [2, 100000], got 100001");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = { window = \"big\"; };",
                 "t.cfg:2: key 'tpe.window': expected an integer in [2, 100000], got \"big\"");
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("ga = {\n  population = 24;\n  populaton = 30;\n};\n",
                 "t.cfg:3: unknown key 'ga.populaton' (did you mean 'ga.population'?)");
    expect_error("data = {\n  valdation_fraction = 0.3; };",
                 "t.cfg:2: unknown key 'data.valdation_fraction' (did you mean 'data.validation_fraction'?)");
    expect_error("search = {\n\n  learnig_rate = 0.1; };",
                 "t.cfg:3: unknown key 'search.learnig_rate' (did you mean 'search.learning_rate'?)");
    expect_error("search = {\n  epochs = { min = 1;\n mx = 3; }; };",
                 "t.cfg:3: unknown key 'search.epochs.mx' (did you mean 'search.epochs.max'?)");
    /* a key of another group */
    expect_error("data = { seed = 3; };", "t.cfg:1: unknown key 'data.seed' (did you mean 'run.seed'?)");
    expect_error("run = { strategy = \"tpe\"; };\ntpe = {\n  startp = 5; };",
                 "t.cfg:3: unknown key 'tpe.startp' (did you mean 'tpe.startup'?)");
    expect_error("ga = { gamma = 0.2; };", "t.cfg:1: unknown key 'ga.gamma' (did you mean 'tpe.gamma'?)");
    /* nothing close: no suggestion */
    struct evo_config cfg;
    struct evo_error err;
    assert_int_equal(load_file(&cfg, "t.cfg", "ga = {\n  zzzzzzzz = 1; };", NULL, 0, &err), EVO_ECONFIG);
    assert_true(ends_with(err.msg, "/t.cfg:2: unknown key 'ga.zzzzzzzz'"));
    assert_int_equal(load_file(&cfg, "t.cfg", "search = { epochs = { minimum_value = 1; }; };", NULL, 0, &err),
                     EVO_ECONFIG);
    assert_true(ends_with(err.msg, "/t.cfg:1: unknown key 'search.epochs.minimum_value'"));
}

static void test_unknown_group(void **state)
{
    (void)state;
    expect_error("data = {};\n\ngaa = { population = 3; };", "t.cfg:3: unknown key 'gaa' (did you mean 'ga'?)");
    expect_error("runs = { };", "t.cfg:1: unknown key 'runs' (did you mean 'run'?)");
    expect_error("population = 3;", "t.cfg:1: unknown key 'population' (did you mean 'ga.population'?)");
    struct evo_config cfg;
    struct evo_error err;
    assert_int_equal(load_file(&cfg, "t.cfg", "\ntraining_setup = { };", NULL, 0, &err), EVO_ECONFIG);
    assert_true(ends_with(err.msg, "/t.cfg:2: unknown key 'training_setup'"));
    expect_error("ga = 5;", "t.cfg:1: key 'ga': expected a group");
}

static void test_wrong_type(void **state)
{
    (void)state;
    expect_error("ga = {\n population = \"24\"; };",
                 "t.cfg:2: key 'ga.population': expected an integer in [1, 100000], got \"24\"");
    expect_error("ga = {\n population = 24.0; };",
                 "t.cfg:2: key 'ga.population': expected an integer in [1, 100000], got 24.0");
    expect_error("ga = { population = 2.5; };", "got 2.5");
    expect_error("ga = { crossover = \"high\"; };", "key 'ga.crossover': expected a number in [0, 1], got \"high\"");
    expect_error("data = { train = 5; };", "t.cfg:1: key 'data.train': expected a string, got 5");
    expect_error("data = { label = 1.5; };", "key 'data.label': expected a string or an integer, got 1.5");
    expect_error("data = { standardize = 1; };", "key 'data.standardize': expected true or false, got 1");
    expect_error("run = { seed = true; };", "key 'run.seed': expected an integer", "got true");
    expect_error("run = { output = [\"a\"]; };", "key 'run.output': expected a string, got an array");
    expect_error("ga = { population = { min = 1; }; };", "key 'ga.population': expected an integer", "got a group");
}

static void test_int64_literals(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "t.cfg", "run = { seed = 3000000000; };", NULL, 0, &err));
    assert_true(cfg.seed == INT64_C(3000000000));
    evo_config_release(&cfg);
    assert_loaded(load_file(&cfg, "t.cfg", "run = { seed = 9223372036854775807; };", NULL, 0, &err));
    assert_true(cfg.seed == INT64_MAX);
    evo_config_release(&cfg);
    assert_loaded(load_file(&cfg, "t.cfg", "run = { seed = 0xFFFFFFFF; };", NULL, 0, &err));
    assert_true(cfg.seed == INT64_C(4294967295));
    evo_config_release(&cfg);
    assert_loaded(load_file(&cfg, "t.cfg", "run = { seed = 5000000000L; };", NULL, 0, &err));
    assert_true(cfg.seed == INT64_C(5000000000));
    evo_config_release(&cfg);

    /* not wrapped to -1294967296 or anything in range */
    expect_error("ga = {\n population = 3000000000; };",
                 "t.cfg:2: key 'ga.population': expected an integer in [1, 100000], got 3000000000");
    expect_error("ga = { population = 4294967297; };", "got 4294967297");
    expect_error("ga = { population = -4294967295; };", "got -4294967295");
    expect_error("run = { seed = -1; };", "key 'run.seed': expected an integer in [0, 9223372036854775807], got -1");
    expect_error("run = { seed = -9223372036854775808; };", "got -9223372036854775808");
    /* beyond 64 bits: read as the float it is, so it cannot pass as an integer */
    expect_error("run = { seed = 99999999999999999999; };", "key 'run.seed': expected an integer", "got 1e+20");
    expect_error("ga = { crossover = 3000000000; };", "key 'ga.crossover': expected a number in [0, 1], got 3000000000");

    /* digits inside strings, names and comments are left alone */
    assert_loaded(load_file(&cfg, "t.cfg",
                               "# 3000000000\n/* 4000000000\n 5000000000 */ // 6000000000\n"
                               "data = { train = \"d/3000000000.csv\"; label = \"c99999999999999999999\"; };\n",
                               NULL, 0, &err));
    assert_string_equal(cfg.train, "d/3000000000.csv");
    assert_string_equal(cfg.label, "c99999999999999999999");
    evo_config_release(&cfg);
}

static void test_int_as_float(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "t.cfg",
                               "ga = { crossover = 1; mutation = 0; };\n"
                               "data = { validation_fraction = 0.5; test_fraction = 0; };\n"
                               "search = { learning_rate = { min = 1; max = 2; }; dropout = 0; };\n",
                               NULL, 0, &err));
    assert_true(cfg.crossover == 1.0);
    assert_true(cfg.mutation == 0.0);
    assert_true(cfg.test_fraction == 0.0);
    assert_range(&cfg.space.spec[EVO_GENE_LEARNING_RATE], 1, 2, 0);
    assert_true(cfg.space.spec[EVO_GENE_DROPOUT].value == 0);
    evo_config_release(&cfg);
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/no-such.cfg", tmpdir);
    struct evo_config cfg;
    struct evo_error err = {0};
    assert_int_equal(evo_config_load(&cfg, path, NULL, 0, &err), EVO_ECONFIG);
    char want[700];
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", path);
    assert_string_equal(err.msg, want);
    assert_null(cfg.path);

    /* a directory opens but cannot be read */
    assert_int_equal(evo_config_load(&cfg, tmpdir, NULL, 0, &err), EVO_ECONFIG);
    assert_non_null(strstr(err.msg, tmpdir));
}

static void test_overrides(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err;
    const char *sets[] = {
        "ga.population=48",                       /* scalar over the file */
        "ga.elitism = 5",                         /* creates a key */
        "run.seed=3000000000",                    /* 64-bit */
        "search.learning_rate=0.01",              /* a bare value replaces a range */
        "search.neurons.max=512",                 /* nested key inside a range */
        "search.optimizer=\"adam\"",              /* enum name */
        "search.dropout={ min = 0.0; max = 0.5; }", /* a group replaces a bare value */
        "ga.population=50",                       /* applied in order: the last wins */
        "data.label=3",                           /* a column index */
        "search.activation.choice=[\"relu\"]",    /* replaces one member of a group */
    };
    assert_loaded(load_file(&cfg, "t.cfg", "run = { strategy = \"generational\"; };\nga = {\n population = 24; };\n",
                               sets, sizeof sets / sizeof sets[0],
                               &err));
    assert_int_equal(cfg.population, 50);
    assert_int_equal(cfg.elitism, 5);
    assert_true(cfg.seed == INT64_C(3000000000));
    assert_int_equal(cfg.space.spec[EVO_GENE_LEARNING_RATE].kind, EVO_SPEC_FIXED);
    assert_true(cfg.space.spec[EVO_GENE_LEARNING_RATE].value == 0.01);
    assert_range(&cfg.space.spec[EVO_GENE_NEURONS], 16, 512, 1);
    assert_int_equal(cfg.space.spec[EVO_GENE_OPTIMIZER].kind, EVO_SPEC_FIXED);
    assert_true(cfg.space.spec[EVO_GENE_OPTIMIZER].value == 2);
    assert_range(&cfg.space.spec[EVO_GENE_DROPOUT], 0, 0.5, 0);
    assert_string_equal(cfg.label, "3");
    assert_choices(&cfg.space.spec[EVO_GENE_ACTIVATION], 1, (const double[]){0});
    /* the effective text shows the overrides */
    assert_non_null(strstr(cfg.text, "population = 50;"));
    assert_non_null(strstr(cfg.text, "learning_rate = 0.01;"));
    assert_non_null(strstr(cfg.text, "optimizer = \"adam\";"));
    evo_config_release(&cfg);

    /* a nested key of a range given in the file */
    const char *lr[] = {"search.learning_rate.max=0.05", "search.learning_rate.log=false"};
    assert_loaded(load_file(&cfg, "t.cfg",
                               "search = { learning_rate = { min = 0.001; max = 0.1; log = true; }; };", lr, 2,
                               &err));
    assert_range(&cfg.space.spec[EVO_GENE_LEARNING_RATE], 0.001, 0.05, 0);
    evo_config_release(&cfg);

    /* an override creating a key of a group the file lacks */
    const char *train[] = {"data.train=\"other.csv\""};
    assert_loaded(load_file(&cfg, "t.cfg", "", train, 1, &err));
    assert_string_equal(cfg.train, "other.csv");
    evo_config_release(&cfg);
}

static void test_bad_overrides(void **state)
{
    (void)state;
    expect_set_error("ga.population=abc", "--set 'ga.population=abc': cannot parse 'abc' as a libconfig value",
                     "double quotes", NULL);
    expect_set_error("data.train=x.csv", "--set 'data.train=x.csv': cannot parse", "double quotes", NULL);
    expect_set_error("ga.population=[1,", "--set 'ga.population=[1,': cannot parse", NULL);
    expect_set_error("ga.population=1; ga.x = 2", "--set 'ga.population=1; ga.x = 2': cannot parse", NULL);
    expect_set_error("ga.population", "--set 'ga.population': expected PATH=VALUE", NULL);
    expect_set_error("=3", "--set '=3': invalid key path", NULL);
    expect_set_error("ga..population=3", "invalid key path 'ga..population'", NULL);
    expect_set_error("ga.population=0",
                     "--set 'ga.population=0': key 'ga.population': expected an integer in [1, 100000], got 0", NULL);
    expect_set_error("ga.population=3000000000", "--set 'ga.population=3000000000': key 'ga.population':",
                     "got 3000000000", NULL);
    expect_set_error("ga.populaton=3", "--set 'ga.populaton=3': unknown key 'ga.populaton' (did you mean "
                     "'ga.population'?)", NULL);
    expect_set_error("ga.population.max=3", "--set 'ga.population.max=3': 'ga.population' is not a group", NULL);
    expect_set_error("search.optimizer=\"lamb\"",
                     "--set 'search.optimizer=\"lamb\"': key 'search.optimizer': expected one of \"sgd\", "
                     "\"momentum\", \"adam\", \"nesterov\", \"rmsprop\", \"adamw\", got \"lamb\"", NULL);
    expect_set_error("search.learning_rate.max=1e-5", "--set 'search.learning_rate.max=1e-5': key "
                     "'search.learning_rate.max': expected at least min (0.0001), got 1e-05", NULL);
    /* dropout's default is a bare value: a range must be given whole */
    expect_set_error("search.dropout.min=0.1", "--set 'search.dropout.min=0.1': 'search.dropout' is not a group",
                     NULL);
    expect_set_error("search.dropout={ min = 0.1; }", "--set 'search.dropout={ min = 0.1; }': key "
                     "'search.dropout': missing 'max'", NULL);
    /* a replaced group takes the defaults of the keys it lacks */
    struct evo_config cfg;
    struct evo_error err;
    const char *ga[] = {"ga={ population = 7; }"};
    assert_loaded(load_file(&cfg, "t.cfg", "run = { strategy = \"generational\"; };\n"
                               "ga = { population = 10; generations = 99; };", ga, 1, &err));
    assert_int_equal(cfg.population, 7);
    assert_int_equal(cfg.generations, 10);
    evo_config_release(&cfg);
    expect_set_error("ga=5", "--set 'ga=5': key 'ga': expected a group", NULL);
    expect_set_error("search.batch_size={ choice = [16, 0]; }",
                     "--set 'search.batch_size={ choice = [16, 0]; }': key 'search.batch_size.choice[1]': "
                     "expected an integer in [1, 65536], got 0", NULL);
}

static void test_spec_errors(void **state)
{
    (void)state;
    expect_error("search = {\n  epochs = { min = 30;\n max = 5; }; };",
                 "t.cfg:3: key 'search.epochs.max': expected at least min (30), got 5");
    expect_error("search = {\n  weight_decay = { min = 0.0; max = 0.1; log = true; }; };",
                 "t.cfg:2: key 'search.weight_decay.min': a log range needs min > 0, got 0");
    expect_error("search = {\n  hidden_layers = { min = 0; max = 3; log = true; }; };",
                 "key 'search.hidden_layers.min': a log range needs min > 0, got 0");
    expect_error("search = {\n  epochs = { min = 1.5; max = 3; }; };",
                 "t.cfg:2: key 'search.epochs.min': expected an integer in [1, 100000], got 1.5");
    expect_error("search = {\n  epochs = { min = 1; max = 3.0; }; };", "key 'search.epochs.max'", "got 3.0");
    expect_error("search = {\n  learning_rate = { min = 1e-4; max = 20.0; }; };",
                 "t.cfg:2: key 'search.learning_rate.max': expected a number in [1e-07, 10], got 20.0");
    expect_error("search = { dropout = 0.99; };",
                 "key 'search.dropout': expected a number in [0, 0.95], got 0.99");
    expect_error("search = { hidden_layers = 9; };",
                 "key 'search.hidden_layers': expected an integer in [0, 8], got 9");
    /* the convolution's 'same' padding needs odd kernels: even values and ranges are refused */
    expect_error("search = { kernel_size = 4; };", "key 'search.kernel_size': expected an odd integer in [1, 7], got 4");
    expect_error("search = { kernel_size = { choice = [3, 4]; }; };", "search.kernel_size.choice", "odd integer");
    expect_error("search = { kernel_size = { min = 3; max = 5; }; };", "key 'search.kernel_size'", "{ choice = [3, 5]; }");
    expect_error("search = { conv_blocks = 5; };", "key 'search.conv_blocks': expected an integer in [0, 4], got 5");
    expect_error("search = { pooling = \"avg\"; };", "key 'search.pooling'", "\"none\", \"max\"");
    expect_error("search = {\n\n  activation = { min = 0; max = 2; }; };",
                 "t.cfg:3: key 'search.activation': a range needs a numeric gene");
    expect_error("search = { activation = { choice = [\"relu\",\n \"swish\"]; }; };",
                 "t.cfg:2: key 'search.activation.choice[1]': expected one of \"relu\", \"tanh\", \"sigmoid\", "
                 "\"leaky_relu\", \"elu\", \"gelu\", got \"swish\"");
    expect_error("search = { optimizer = \"lamb\"; };",
                 "key 'search.optimizer': expected one of \"sgd\", \"momentum\", \"adam\", \"nesterov\", "
                 "\"rmsprop\", \"adamw\", got \"lamb\"");
    expect_error("search = { optimizer = 2; };", "key 'search.optimizer': expected one of", "got 2");
    expect_error("search = {\n batch_size = { choice = []; }; };",
                 "t.cfg:2: key 'search.batch_size.choice': expected 1 to 32 values, got 0");
    char many[1024] = "search = { batch_size = { choice = [";
    for (int k = 1; k <= EVO_SPEC_MAX_CHOICES + 1; k++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d", k > 1 ? ", " : "", k);
    strcat(many, "]; }; };");
    expect_error(many, "key 'search.batch_size.choice': expected 1 to 32 values, got 33");
    expect_error("search = { batch_size = { choice = [16, 32, 16]; }; };",
                 "key 'search.batch_size.choice[2]': 16 is already choice[0]");
    expect_error("search = { batch_size = { choice = [16.0, 32.0]; }; };",
                 "key 'search.batch_size.choice[0]': expected an integer in [1, 65536], got 16.0");
    expect_error("search = { batch_size = { choice = 16; }; };", "key 'search.batch_size.choice': expected an array");
    expect_error("search = { epochs = { min = 3; }; };", "key 'search.epochs': missing 'max'");
    expect_error("search = { epochs = { max = 3; }; };", "key 'search.epochs': missing 'min'");
    expect_error("search = { epochs = { }; };", "key 'search.epochs': missing 'min'");
    expect_error("search = { epochs = { min = 3; max = 4; choice = [3]; }; };",
                 "key 'search.epochs': expected either min/max or choice, not both");
    expect_error("search = { epochs = { min = 3; max = 4; log = 1; }; };",
                 "key 'search.epochs.log': expected true or false, got 1");
    expect_error("search = { batch_size = [16, 32]; };",
                 "key 'search.batch_size': expected a value, { min = ...; max = ...; } or { choice = [...]; }, "
                 "got an array");
}

static void test_fraction_sum(void **state)
{
    (void)state;
    expect_error("data = {\n validation_fraction = 0.5;\n test_fraction = 0.5; };",
                 "t.cfg:3: key 'data.test_fraction': validation_fraction + test_fraction must be below 1, "
                 "got 0.5 + 0.5");
    /* the one that was written is blamed */
    expect_error("data = {\n\n validation_fraction = 0.9; };", "t.cfg:3: key 'data.validation_fraction':",
                 "got 0.9 + 0.2");
    /* with a separate test file, test_fraction is ignored */
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "t.cfg",
                               "data = { test = \"t.csv\"; validation_fraction = 0.5; test_fraction = 0.6; };",
                               NULL, 0, &err));
    evo_config_release(&cfg);
}

static void check_round_trip(const char *text, const char *const *sets, size_t n_sets);

/* text loads without error. */
static void expect_loads(const char *text)
{
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "t.cfg", text, NULL, 0, &err));
    evo_config_release(&cfg);
}

/* Boundary values of the ga, run and data numbers (issue 8): each is refused with its line and key,
 * or loads with the meaning the reference documents (tested where it takes effect: test_ga for
 * population 1, elitism above the population, threads 0 and above the core count; test_mlp for a
 * batch larger than the training split). */
static void test_boundaries(void **state)
{
    (void)state;
    /* population: at least 1, at most 100000 (whose buffers run.max_memory bounds: test_ga) */
    expect_error("ga = {\n population = 0; };", "t.cfg:2: key 'ga.population': expected an integer in [1, 100000], got 0");
    expect_error("ga = { population = -3; };", "key 'ga.population'", "got -3");
    expect_error("ga = { population = 100001; };", "key 'ga.population'", "got 100001");
    expect_error("ga = { population = 10000000000; };", "key 'ga.population'", "got 10000000000");
    expect_loads("ga = { population = 1; };");
    expect_loads("ga = { population = 100000; };");
    /* generations: a search trains at least its initial generation */
    expect_error("ga = {\n\n generations = 0; };", "t.cfg:3: key 'ga.generations': expected an integer in "
                 "[1, 1000000], got 0");
    expect_loads("run = { strategy = \"generational\"; }; ga = { generations = 1; };");
    /* threads: 0 is all cores; negative refused; more than the cores allowed up to 4096 */
    expect_error("run = { threads = -4; };", "key 'run.threads': expected an integer in [0, 4096], got -4");
    expect_error("run = { threads = 4097; };", "key 'run.threads'", "got 4097");
    expect_loads("run = { threads = 0; };");
    expect_loads("run = { threads = 4096; };");
    /* probabilities: [0, 1] inclusive, anything outside refused */
    expect_error("ga = { crossover = -0.1; };", "key 'ga.crossover': expected a number in [0, 1], got -0.1");
    expect_error("ga = { crossover = 1.01; };", "key 'ga.crossover'", "got 1.01");
    expect_error("ga = { mutation = -1e-9; };", "key 'ga.mutation': expected a number in [0, 1]");
    expect_error("ga = { mutation = 2; };", "key 'ga.mutation'", "got 2");
    expect_loads("ga = { crossover = 0.0; mutation = 0.0; };");
    expect_loads("ga = { crossover = 1.0; mutation = 1; };");
    /* split fractions: validation in (0, 1), test in [0, 1), their sum below 1 (test_fraction_sum) */
    expect_error("data = { validation_fraction = 1; };", "key 'data.validation_fraction': expected a number "
                 "in (0, 1), got 1");
    expect_error("data = { validation_fraction = -0.2; };", "key 'data.validation_fraction'", "got -0.2");
    expect_error("data = { test_fraction = -0.1; };", "key 'data.test_fraction': expected a number in [0, 1)");
    expect_loads("data = { test_fraction = 0.0; };");
    /* elitism: negative refused; above the population allowed (the GA clamps it: test_ga) */
    expect_error("ga = { elitism = -1; };", "key 'ga.elitism'", "got -1");
    expect_loads("run = { strategy = \"generational\"; }; ga = { population = 4; elitism = 100000; };");
    /* tournament: at least 1; above the population allowed (draws are with replacement) */
    expect_error("ga = { tournament = 0; };", "key 'ga.tournament'", "got 0");
    expect_loads("ga = { population = 2; tournament = 50; };");
    /* gene bounds: a batch size of 0 or above 65536, no neurons, too many layers */
    expect_error("search = { batch_size = 0; };", "key 'search.batch_size': expected an integer in [1, 65536]");
    expect_error("search = { batch_size = { choice = [16, 65537]; }; };", "key 'search.batch_size.choice[1]'");
    expect_error("search = { neurons = { min = 0; max = 8; }; };", "key 'search.neurons.min'");
    expect_error("search = { hidden_layers = 9; };", "key 'search.hidden_layers'", "[0, 8]");
    expect_error("search = { epochs = 0; };", "key 'search.epochs'", "[1, 100000]");
    /* the limits themselves */
    expect_error("run = { max_params = 0; };", "key 'run.max_params': expected an integer in [1, 1000000000000]");
    expect_error("run = { max_memory = 0; };", "key 'run.max_memory': expected an integer in [1, 1073741824]");
    expect_loads("run = { max_params = 1; max_memory = 1; };");
    check_round_trip("run = { max_params = 1000000000000; max_memory = 1073741824; };", NULL, 0);
}

/* The effective text reads back into the same struct and the same text. */
static void check_round_trip(const char *text, const char *const *sets, size_t n_sets)
{
    struct evo_config a, b;
    struct evo_error err;
    assert_loaded(load_file(&a, "trip.cfg", text, sets, n_sets, &err));
    assert_loaded(evo_config_load_string(&b, a.text, "trip.cfg", NULL, 0, &err));
    assert_config_equal(&a, &b);
    assert_string_equal(a.text, b.text);
    evo_config_release(&a);
    evo_config_release(&b);
}

/* data.image_shape: [] (the default) or [H, W], read back from the effective text. */
static void test_image_shape(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "t.cfg", "data = { train = \"x.csv\"; };", NULL, 0, &err));
    assert_true(cfg.image_shape[0] == 0 && cfg.image_shape[1] == 0);
    assert_non_null(strstr(cfg.text, "image_shape = [];"));
    evo_config_release(&cfg);
    assert_loaded(load_file(&cfg, "t.cfg", "data = { image_shape = [8, 6]; };", NULL, 0, &err));
    assert_true(cfg.image_shape[0] == 8 && cfg.image_shape[1] == 6);
    assert_non_null(strstr(cfg.text, "image_shape = [8, 6];"));
    evo_config_release(&cfg);
    check_round_trip("data = { image_shape = [28, 28]; };", NULL, 0);
    expect_error("data = {\n image_shape = [8]; };", "t.cfg:2: key 'data.image_shape': expected [] or [H, W]");
    expect_error("data = { image_shape = [0, 8]; };", "key 'data.image_shape'", "[1, 65536]");
    expect_error("data = { image_shape = 64; };", "key 'data.image_shape'");
    expect_error("data = { image_shape = [8.0, 8.0]; };", "key 'data.image_shape'");
}

static void test_text_round_trip(void **state)
{
    (void)state;
    check_round_trip(example, NULL, 0);
    check_round_trip("", NULL, 0);
    const char *sets[] = {"search.learning_rate=0.1", "search.activation=\"sigmoid\"",
                          "search.weight_decay={ choice = [0.0, 1e-5, 0.3333333333333333]; }",
                          "search.dropout={ min = 0; max = 0.95; }", "search.epochs = { min = 1; max = 100000; }",
                          "run.seed=9223372036854775807", "data.train=\"we\\\"ird\\\\ name.csv\"",
                          "data.test=\"t.csv\"", "data.label=-1", "ga.crossover=1", "data.standardize=false",
                          "run.output=\"out/x.h5\""};
    check_round_trip("search = { neurons = { choice = [1, 4096]; }; };", sets, sizeof sets / sizeof sets[0]);

    /* every key is present in the text */
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(evo_config_load_string(&cfg, "", "x", NULL, 0, &err));
    const char *keys[] = {"train =", "train_labels =", "test =", "test_labels =", "label =",
                          "validation_fraction =", "test_fraction =", "standardize =", "learning_rate =",
                          "epochs =", "batch_size =", "hidden_layers =", "neurons_1 =", "neurons_8 =",
                          "activation =", "batch_norm =", "dropout_per_layer =", "dropout_8 =",
                          "optimizer =", "weight_decay =", "dropout =", "population =",
                          "tournament =", "crossover =", "mutation =", "strategy = \"steady_state\"",
                          "max_trials = 240", "time_limit = \"\"", "workers = 16", "seed =", "threads =",
                          "output = \"results/x.h5\""};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (!strstr(cfg.text, keys[k]))
            fail_msg("effective text lacks '%s':\n%s", keys[k], cfg.text);
    /* ... but the keys only other strategies use, which a stored configuration could not load with */
    assert_null(strstr(cfg.text, "generations ="));
    assert_null(strstr(cfg.text, "elitism ="));
    evo_config_release(&cfg);
}

/* run.strategy: a key the chosen strategy does not use is refused where it was written, with what to
 * use instead; a file's keys for another strategy are ignored when --strategy (an override) chose
 * this one, so that one file serves every strategy. */
static void test_strategy_keys(void **state)
{
    (void)state;
    expect_error("ga = {\n generations = 5; };", "t.cfg:2: key 'ga.generations' means nothing to run.strategy "
                 "\"steady_state\": use run.max_trials (--max-trials)");
    expect_error("run = { strategy = \"generational\";\n max_trials = 50; };",
                 "t.cfg:2: key 'run.max_trials' means nothing to run.strategy \"generational\": use "
                 "ga.generations (--generations)");
    expect_error("run = { strategy = \"random\"; };\nga = { tournament = 5; };", "t.cfg:2: key 'ga.tournament'",
                 "random search and tpe select nothing");
    expect_error("run = { strategy = \"tpe\"; };\nga = { population = 5; };", "t.cfg:2: key 'ga.population'",
                 "means nothing to run.strategy \"tpe\": random search and tpe keep no population");
    expect_error("tpe = {\n gamma = 0.3; };", "t.cfg:2: key 'tpe.gamma' means nothing to run.strategy "
                 "\"steady_state\": only tpe proposes from a model");
    expect_error("ga = { elitism = 2; };", "key 'ga.elitism' means nothing to run.strategy \"steady_state\"");
    expect_error("run = { strategy = \"annealing\"; };", "key 'run.strategy'", "steady_state");
    /* promotion: not under generational, eta at least 2, rungs of at least one epoch */
    expect_error("run = { strategy = \"generational\"; };\npromotion = { enabled = true; };",
                 "t.cfg:2: key 'promotion.enabled' means nothing to run.strategy \"generational\"",
                 "barrier");
    expect_error("promotion = { enabled = true;\n eta = 1; };", "t.cfg:2: key 'promotion.eta': expected an integer "
                 "in [2, 1000], got 1", NULL);
    expect_error("promotion = { min_epochs = 0; };", "key 'promotion.min_epochs'", NULL);
    expect_error("promotion = { etta = 3; };", "unknown key 'promotion.etta' (did you mean 'promotion.eta'?)", NULL);
    /* finalists: a count of 0 turns them off, at least one run each */
    expect_error("finalists = { count = -1; };", "t.cfg:1: key 'finalists.count': expected an integer in [0, 1000]",
                 NULL);
    expect_error("finalists = {\n repeats = 0; };", "t.cfg:2: key 'finalists.repeats': expected an integer in [1, 1000]",
                 NULL);
    expect_error("finalists = { cout = 3; };", "unknown key 'finalists.cout' (did you mean 'finalists.count'?)", NULL);
    expect_error("finalist = { count = 3; };", "(did you mean 'finalists'?)", NULL);
    /* cross-validation: 0 or at least 2 folds */
    expect_error("data = {\n folds = 1; };", "t.cfg:2: key 'data.folds': expected 0 (no cross-validation) or 2 to 100 "
                 "folds, got 1", NULL);
    expect_error("data = { folds = 101; };", "key 'data.folds': expected an integer in [0, 100]", NULL);
    expect_error("run = { max_epochs = -1; };", "key 'run.max_epochs'", NULL);
    const char *ggen[] = {"ga.generations=3"};
    expect_set_error(ggen[0], "--set 'ga.generations=3': key 'ga.generations' means nothing", NULL);
    /* a file written for steady_state runs under --strategy generational, and the other way round */
    struct evo_config cfg;
    struct evo_error err;
    const char *to_gen[] = {"run.strategy=\"generational\""};
    assert_loaded(load_file(&cfg, "t.cfg", "ga = { population = 12; };\nrun = { max_trials = 99; };", to_gen, 1,
                            &err));
    assert_int_equal(cfg.strategy, EVO_STRATEGY_GENERATIONAL);
    assert_int_equal(cfg.population, 12);
    assert_null(strstr(cfg.text, "max_trials"));
    evo_config_release(&cfg);
    const char *to_random[] = {"run.strategy=\"random\""};
    assert_loaded(load_file(&cfg, "t.cfg", "ga = { population = 12; tournament = 5; };", to_random, 1, &err));
    assert_int_equal(cfg.strategy, EVO_STRATEGY_RANDOM);
    assert_null(strstr(cfg.text, "tournament"));
    evo_config_release(&cfg);
    /* ... but not a key an override sets beside it */
    const char *both[] = {"run.strategy=\"generational\"", "run.max_trials=7"};
    assert_int_equal(load_file(&cfg, "t.cfg", "", both, 2, &err), EVO_ECONFIG);
    assert_non_null(strstr(err.msg, "--set 'run.max_trials=7': key 'run.max_trials' means nothing"));
    check_round_trip("run = { strategy = \"generational\"; }; ga = { generations = 3; elitism = 0; };", NULL, 0);
    check_round_trip("run = { strategy = \"random\"; max_trials = 5; };", NULL, 0);
}

/* run.time_limit: "8h", "90m", "1h30m", "45s", a number of seconds, or "" for none. */
static void test_time_limit(void **state)
{
    (void)state;
    const struct {
        const char *text;
        double seconds;
    } good[] = {{"", 0}, {"0", 0}, {"45s", 45}, {"90m", 5400}, {"8h", 28800}, {"1h30m", 5400}, {"2d", 172800},
                {"1.5h", 5400}, {"120", 120}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        assert_int_equal(evo_config_parse_duration(good[i].text, &v), 0);
        assert_true(v == good[i].seconds);
    }
    const char *bad[] = {"8x", "h", "-5m", "1h30", "nan", "inf", "5 m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        if (evo_config_parse_duration(bad[i], &v) == 0)
            fail_msg("'%s' parsed as %g", bad[i], v);
    }
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "t.cfg", "run = { time_limit = \"90m\"; };", NULL, 0, &err));
    assert_true(cfg.time_limit == 5400);
    evo_config_release(&cfg);
    expect_error("run = {\n time_limit = \"soon\"; };", "t.cfg:2: key 'run.time_limit': expected a duration",
                 "got \"soon\"");
    check_round_trip("run = { time_limit = \"1h30m\"; };", NULL, 0);
}

/* neurons and layer_dropout stand for every layer's gene the configuration does not write itself;
 * a bad shorthand is reported where it was written. */
static void test_layer_shorthands(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err;
    assert_loaded(load_file(&cfg, "t.cfg",
                            "search = { neurons = { min = 8; max = 64; }; neurons_3 = 100;\n"
                            "           layer_dropout = 0.25; dropout_1 = { min = 0.0; max = 0.1; }; };\n",
                            NULL, 0, &err));
    for (size_t l = 0; l < EVO_MLP_MAX_HIDDEN; l++) {
        const struct evo_gene_spec *n = &cfg.space.spec[evo_genome_neurons_gene(l)];
        const struct evo_gene_spec *d = &cfg.space.spec[evo_genome_dropout_gene(l)];
        if (l == 2) {
            assert_int_equal(n->kind, EVO_SPEC_FIXED);
            assert_true(n->value == 100);
        } else {
            assert_range(n, 8, 64, 0);
        }
        if (l == 0) {
            assert_range(d, 0, 0.1, 0);
        } else {
            assert_int_equal(d->kind, EVO_SPEC_FIXED);
            assert_true(d->value == 0.25);
        }
    }
    evo_config_release(&cfg);
    /* without a shorthand, every layer has its gene's default; an override narrows all of them */
    const char *sets[] = {"search.neurons.max=512", "search.neurons_2=7"};
    assert_loaded(load_file(&cfg, "t.cfg", "", sets, 2, &err));
    for (size_t l = 0; l < EVO_MLP_MAX_HIDDEN; l++) {
        const struct evo_gene_spec *n = &cfg.space.spec[evo_genome_neurons_gene(l)];
        if (l == 1)
            assert_true(n->kind == EVO_SPEC_FIXED && n->value == 7);
        else
            assert_range(n, 16, 512, 1);
    }
    evo_config_release(&cfg);
    assert_loaded(load_file(&cfg, "t.cfg", "", NULL, 0, &err));
    for (size_t l = 0; l < EVO_MLP_MAX_HIDDEN; l++)
        assert_range(&cfg.space.spec[evo_genome_neurons_gene(l)], 16, 256, 1);
    evo_config_release(&cfg);
    expect_error("search = {\n  neurons = 0;\n};\n", "t.cfg:2", "search.neurons", "[1, 4096]");
    expect_error("search = { neuron = 3; };\n", "did you mean 'search.neurons'");
}

static char *template_text(void)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    evo_config_write_template(f);
    fclose(f);
    return text;
}

static char *reference_text(void)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    evo_config_write_reference(f);
    fclose(f);
    return text;
}

static void test_template_is_default_cfg(void **state)
{
    (void)state;
    char *want = template_text();
    char *have = read_whole(EVOTUNE_SOURCE_DIR "/configs/default.cfg");
    if (!have)
        fail_msg("cannot read configs/default.cfg; regenerate it with `evotune config --template`");
    if (strcmp(have, want))
        fail_msg("configs/default.cfg differs from evo_config_write_template(); regenerate it with "
                 "`evotune config --template > configs/default.cfg`");
    free(have);
    free(want);
}

static void test_template_loads_as_defaults(void **state)
{
    (void)state;
    char *tmpl = template_text();
    /* every key of the tables appears in the template */
    assert_non_null(strstr(tmpl, "relative to the working directory"));
    assert_non_null(strstr(tmpl, "--set"));
    for (int i = 0; i < EVO_GENE_COUNT; i++) {
        /* per-layer genes appear once, as their shorthand (a written neurons_2 would override it) */
        const char *name = evo_genome_gene(i)->name;
        int layer = evo_genome_gene_layer(i), block = evo_genome_gene_block(i);
        if (layer == 0)
            name = i == EVO_GENE_NEURONS ? "neurons" : "layer_dropout";
        if (block == 0)
            name = "filters";
        if (block > 0)
            layer = block;
        char line[256];
        snprintf(line, sizeof line, "    %s = %s;\n", name, evo_genome_gene(i)->default_spec);
        if (layer > 0)
            assert_null(strstr(tmpl, line));
        else
            assert_non_null(strstr(tmpl, line));
    }
    struct evo_config a, b;
    struct evo_error err;
    assert_loaded(evo_config_load_string(&a, tmpl, "configs/default.cfg", NULL, 0, &err));
    assert_loaded(evo_config_load_string(&b, "", "default", NULL, 0, &err));
    assert_config_equal(&a, &b);
    assert_string_equal(a.text, b.text);
    assert_default_values(&a);
    evo_config_release(&a);
    evo_config_release(&b);
    free(tmpl);
}

/* Text between the markers, without surrounding blank lines. */
static void trim(char **s, size_t *n)
{
    while (*n && (**s == '\n' || **s == ' ')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == '\n' || (*s)[*n - 1] == ' '))
        (*n)--;
}

static void test_reference_in_readme(void **state)
{
    (void)state;
    char *ref = reference_text();
    assert_non_null(strstr(ref, "| `population` | integer | `24` | [1, 100000] |"));
    assert_non_null(strstr(ref, "| `learning_rate` | float |"));
    assert_non_null(strstr(ref, "{ choice = [...]; }"));
    char *readme = read_whole(EVOTUNE_SOURCE_DIR "/README.md");
    const char *begin_marker = "<!-- config-reference:begin -->", *end_marker = "<!-- config-reference:end -->";
    char *begin = readme ? strstr(readme, begin_marker) : NULL;
    char *end = begin ? strstr(begin, end_marker) : NULL;
    char *have = begin ? begin + strlen(begin_marker) : NULL, *want = ref;
    size_t n_have = end ? (size_t)(end - have) : 0, n_want = strlen(ref);
    if (end)
        trim(&have, &n_have);
    if (!end || n_have == 0) {
        /* an empty section has not been filled in yet, which is not the same as being out of date */
        print_message("README.md has no filled-in config-reference section: not compared (insert the output "
                      "of `evotune config --reference` between %s and %s)\n", begin_marker, end_marker);
        free(readme);
        free(ref);
        skip();
        return;
    }
    trim(&want, &n_want);
    int same = n_have == n_want && !memcmp(have, want, n_have);
    free(readme);
    free(ref);
    if (!same)
        fail_msg("README.md's configuration reference differs from evo_config_write_reference(); paste the "
                 "output of `evotune config --reference` between the markers");
}

/* User text quoted in a message cannot break it into lines (found by fuzzing: a newline in a --set
 * argument or a config string). */
static void test_errors_stay_one_line(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_error err = {0};
    const char *set = "a\nb";
    assert_int_equal(evo_config_load_string(&cfg, "", "t.cfg", &set, 1, &err), EVO_ECONFIG);
    assert_null(strchr(err.msg, '\n'));
    assert_non_null(strstr(err.msg, "a\\nb"));
    assert_int_equal(evo_config_load_string(&cfg, "search = { optimizer = \"ad\\nam\\x01\"; };", "t.cfg",
                                            NULL, 0, &err), EVO_ECONFIG);
    assert_null(strchr(err.msg, '\n'));
    assert_null(strchr(err.msg, '\x01'));
    assert_non_null(strstr(err.msg, "ad\\nam\\x01"));
}

/* data.task, the loss gene and ga.fitness: regression fills in mse and neg_rmse when they are unset,
 * and a loss or fitness of the other task is refused with the file, line and key. */
static void test_task(void **state)
{
    (void)state;
    struct evo_config cfg, again;
    struct evo_error err;
    assert_int_equal(load_file(&cfg, "r.cfg", "data = { task = \"regression\"; label = \"target\"; };\n", NULL, 0,
                               &err), EVO_OK);
    assert_int_equal(cfg.task, EVO_TASK_REGRESSION);
    assert_int_equal(cfg.fitness, EVO_FITNESS_NEG_RMSE);
    const struct evo_gene_spec *loss = &cfg.space.spec[EVO_GENE_LOSS];
    assert_true(loss->kind == EVO_SPEC_FIXED && loss->value == EVO_LOSS_MSE);
    assert_non_null(strstr(cfg.text, "task = \"regression\";"));
    assert_non_null(strstr(cfg.text, "loss = \"mse\";"));
    assert_non_null(strstr(cfg.text, "fitness = \"neg_rmse\";"));
    /* the effective text reads back as the same configuration (resume) */
    assert_int_equal(evo_config_load_string(&again, cfg.text, "r.cfg", NULL, 0, &err), EVO_OK);
    assert_config_equal(&cfg, &again);
    assert_int_equal(again.fitness, EVO_FITNESS_NEG_RMSE);
    evo_config_release(&again);
    evo_config_release(&cfg);

    /* classification: the defaults, and any classification fitness and loss choice */
    assert_int_equal(load_file(&cfg, "c.cfg", "ga = { fitness = \"macro_f1\"; };\nsearch = { loss = { choice = "
                               "[\"categorical_crossentropy\", \"binary_crossentropy\", \"mse\"]; }; };\n",
                               NULL, 0, &err), EVO_OK);
    assert_int_equal(cfg.task, EVO_TASK_CLASSIFICATION);
    assert_int_equal(cfg.fitness, EVO_FITNESS_MACRO_F1);
    assert_int_equal(cfg.space.spec[EVO_GENE_LOSS].n_choices, 3);
    evo_config_release(&cfg);

    expect_error("data = {\n  task = \"regression\";\n};\nsearch = {\n  loss = \"binary_crossentropy\";\n};\n",
                 "t.cfg:5: key 'search.loss': a regression task (data.task) trains with \"mse\" only, got "
                 "\"binary_crossentropy\"");
    expect_error("data = { task = \"regression\"; };\nsearch = {\n loss = { choice = [\"mse\", "
                 "\"categorical_crossentropy\"]; };\n};\n",
                 "t.cfg:3: key 'search.loss'", "got \"categorical_crossentropy\"");
    expect_error("data = { task = \"regression\"; };\nga = {\n\n fitness = \"accuracy\";\n};\n",
                 "t.cfg:4: key 'ga.fitness': \"accuracy\" scores classification, but data.task is \"regression\"");
    expect_error("ga = {\n fitness = \"r2\"; };\n",
                 "t.cfg:2: key 'ga.fitness': \"r2\" scores regression, but data.task is \"classification\"");
    expect_error("data = { task = \"regresion\"; };\n",
                 "t.cfg:1: key 'data.task': expected one of classification, regression, got \"regresion\"");
    expect_error("ga = { fitness = \"rmse\"; };\n", "key 'ga.fitness': expected one of accuracy, macro_f1, "
                 "neg_log_loss, neg_rmse, neg_mae, r2, got \"rmse\"");
    expect_set_error("ga.fitness=\"neg_mae\"", "--set 'ga.fitness=\"neg_mae\"'", "key 'ga.fitness'",
                     (const char *)NULL);
    const char *sets[] = {"data.task=\"regression\"", "search.loss=\"categorical_crossentropy\""};
    expect_error_sets("ga = { population = 4; };\n", sets, 2,
                      "--set 'search.loss=\"categorical_crossentropy\"'", "key 'search.loss'", (const char *)NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_stay_one_line),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_include),
        cmocka_unit_test(test_range_error),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_unknown_group),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_int64_literals),
        cmocka_unit_test(test_int_as_float),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_bad_overrides),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_fraction_sum),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_image_shape),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_strategy_keys),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_layer_shorthands),
        cmocka_unit_test(test_template_is_default_cfg),
        cmocka_unit_test(test_template_loads_as_defaults),
        cmocka_unit_test(test_reference_in_readme),
        cmocka_unit_test(test_task),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
