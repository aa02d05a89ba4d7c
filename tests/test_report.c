/* The HTML report: every plot is present with the right number of data marks for real finished runs
 * of each strategy (generational per generation; steady_state, random and tpe over trials and over time,
 * with the running best), and for files caught early (no /best, no rows, no generations, trials in
 * flight); everything from the file escaped.
 * Runs too large to draw trial by trial (tests/synthetic_results.h) become densities.
 * `test_report render IN.h5 OUT.html` writes a report (used by report_render.sh until the CLI has
 * `evotune report`); `test_report synth N OUT.h5` a synthetic results file of N trials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include "evotune/report.h"
#include "evotune/results.h"
#include "support.h"
#include "synthetic_results.h"

static char dir[64];
static char h5path[128];

static int setup_run(void **state)
{
    if (!support_tempdir(dir, sizeof dir))
        return -1;
    char cfg[128], args[512];
    snprintf(cfg, sizeof cfg, "%s/tiny.cfg", dir);
    snprintf(h5path, sizeof h5path, "%s/r.h5", dir);
    support_write(cfg, TINY_CONFIG);
    snprintf(args, sizeof args, "run %s --out %s --quiet", cfg, h5path);
    return support_run(dir, args, NULL, NULL) == 0 ? 0 : -1;
}

static int teardown_run(void **state)
{
    support_rmdir(dir);
    return 0;
}

/* The report of r as a heap string. */
static char *render(const struct evo_results *r)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    struct evo_error err = {0};
    assert_int_equal(evo_report_write(r, f, &err), EVO_OK);
    long n = ftell(f);
    assert_true(n > 0);
    char *buf = malloc((size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count(const char *s, const char *needle, const char *end)
{
    size_t n = 0, k = strlen(needle), limit = end ? (size_t)(end - s) : strlen(s), off = 0;
    for (;;) {
        const char *p = strstr(s + off, needle);
        if (!p || (size_t)(p - s) >= limit)
            return n;
        n++;
        off = (size_t)(p - s) + k;
    }
}

/* Occurrences of needle inside the svg with this id; -1 when the svg is missing. */
static long in_plot(const char *html, const char *id, const char *needle)
{
    char key[128];
    snprintf(key, sizeof key, "<svg id=\"%s\"", id);
    const char *s = strstr(html, key);
    if (!s)
        return -1;
    const char *e = strstr(s, "</svg>");
    assert_non_null(e);
    return (long)count(s, needle, e);
}

/* Number of data marks (class "pt ...") in the svg with this id; -1 when the svg is missing. */
static long plot_points(const char *html, const char *id)
{
    long n = in_plot(html, id, "class=\"pt\"");
    return n < 0 ? n : n + in_plot(html, id, "class=\"pt ");
}

/* Balanced svg elements, and every '<' starts a tag, a closing tag, a comment or the doctype: a '<'
 * from the data would show up as something else. */
static void assert_well_formed(const char *html)
{
    assert_int_equal(count(html, "<svg", NULL), count(html, "</svg>", NULL));
    assert_int_equal(count(html, "<section", NULL), count(html, "</section>", NULL));
    assert_int_equal(count(html, "<table", NULL), count(html, "</table>", NULL));
    assert_int_equal(count(html, "<title>", NULL), count(html, "</title>", NULL));
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        int ok = (p[1] >= 'a' && p[1] <= 'z') || p[1] == '/' || p[1] == '!';
        if (!ok)
            fail_msg("stray '<' at offset %ld: %.40s", (long)(p - html), p);
    }
    assert_non_null(strstr(html, "</html>"));
}

static const char *const PLOTS[] = {"plot-fitness", "plot-parallel", "plot-curves", "plot-ancestry",
                                    "plot-confusion"};

static void test_finished_run(void **state)
{
    struct evo_results r;
    struct evo_error err = {0};
    assert_int_equal(evo_results_open(&r, h5path, &err), EVO_OK);
    char *html = render(&r);
    assert_well_formed(html);
    for (size_t k = 0; k < sizeof PLOTS / sizeof *PLOTS; k++)
        assert_true(plot_points(html, PLOTS[k]) >= 0);
    /* best and mean per generation */
    assert_int_equal(r.generations.n_rows, 4);
    assert_int_equal(plot_points(html, "plot-fitness"), 2 * (long)r.generations.n_rows);
    /* every gene has a plot with one point per individual */
    size_t n = r.individuals.n_rows;
    assert_true(n >= 8);
    const char *genes[] = {"learning_rate", "epochs", "batch_size", "hidden_layers", "activation", "optimizer", "weight_decay", "dropout"};
    for (size_t k = 0; k < sizeof genes / sizeof *genes; k++) {
        char id[64];
        snprintf(id, sizeof id, "plot-gene-%s", genes[k]);
        assert_int_equal(plot_points(html, id), (long)n);
    }
    /* a gene plot's hovers name the trial, its fitness and that gene; the per-generation plot's list every
     * gene, once per trial */
    assert_int_equal(in_plot(html, "plot-gene-learning_rate", "\nlearning_rate = "), (long)n);
    assert_int_equal(in_plot(html, "plot-gene-learning_rate", "\nepochs = "), 0);
    assert_int_equal(in_plot(html, "plot-gene-epochs", "\nlearning_rate = "), 0);
    assert_int_equal(in_plot(html, "plot-fitness", "\nlearning_rate = "), (long)n);
    assert_int_equal(in_plot(html, "plot-fitness", "\nepochs = "), (long)n);
    assert_int_equal(in_plot(html, "plot-fitness", "class=\"density"), 0);
    /* a layer's gene has a point for each network that has the layer, and no plot when none has */
    const struct evo_column *hl = evo_results_column(&r.individuals, "hidden_layers");
    long deepest = 0;
    for (long l = 1; l <= 2; l++) {
        long deep = 0;
        for (size_t i = 0; i < n; i++) {
            deep += hl->values[i] >= l;
            deepest = hl->values[i] > deepest ? (long)hl->values[i] : deepest;
        }
        assert_true(deep > 0 && deep < (long)n);
        char id[64];
        snprintf(id, sizeof id, "plot-gene-neurons_%ld", l);
        assert_int_equal(plot_points(html, id), deep);
        snprintf(id, sizeof id, "plot-gene-dropout_%ld", l);
        assert_int_equal(plot_points(html, id), deep);
    }
    assert_true(deepest < 8);
    assert_null(strstr(html, "plot-gene-neurons_8"));
    assert_null(strstr(html, "plot-gene-fitness"));
    assert_null(strstr(html, "plot-gene-status"));
    assert_null(strstr(html, "plot-gene-epochs_run"));
    /* learning_rate is log-scaled in the config, epochs is not */
    const char *lr = strstr(html, "<figcaption>learning_rate<span>log scale");
    assert_non_null(lr);
    assert_non_null(strstr(html, "<figcaption>epochs<span>linear"));
    assert_non_null(strstr(html, "<figcaption>activation<span>categorical"));
    /* parallel coordinates: the top 20 (or fewer) successful individuals */
    size_t ok = 0;
    const struct evo_column *status = evo_results_column(&r.individuals, "status");
    for (size_t i = 0; i < n; i++)
        ok += status->values[i] == 0;
    assert_int_equal(plot_points(html, "plot-parallel"), (long)(ok < 20 ? ok : 20));
    /* the ancestry holds at least the best */
    assert_true(plot_points(html, "plot-ancestry") >= 1);
    /* top table */
    assert_int_equal(count(html, "<tr class=\"top-row", NULL), n < 10 ? n : 10);
    assert_int_equal(count(html, "<tr class=\"top-row is-best", NULL), 1);
    /* enum names */
    assert_non_null(strstr(html, ">relu<"));
    assert_non_null(strstr(html, ">sigmoid<"));
    assert_non_null(strstr(html, ">momentum<"));
    /* finished: scored; the run records learning curves, drawn for the best */
    assert_non_null(strstr(html, "state-finished"));
    assert_null(strstr(html, "not scored yet"));
    assert_null(strstr(html, "no learning curves"));
    assert_true(plot_points(html, "plot-curves") > 0);
    if (r.confusion)
        assert_int_equal(plot_points(html, "plot-confusion"), (long)(r.n_classes * r.n_classes));
    else
        assert_non_null(strstr(html, "no confusion matrix in this file"));
    /* the best row is read, and is the best id */
    assert_true(r.has_best);
    assert_int_equal(r.best_individual.n_rows, 1);
    assert_int_equal((int64_t)evo_results_column(&r.best_individual, "id")->values[0], r.best_id);
    assert_true(r.n_best_layers >= 2);
    assert_int_equal(r.generations_done, 4);
    /* format 6 attributes of a generational run, and the header built from them */
    assert_string_equal(r.strategy, "generational");
    assert_non_null(r.strategy_state);
    assert_int_equal(r.trials_done, (int64_t)n);
    assert_int_equal(r.trials_decided, (int64_t)n);
    assert_int_equal(r.n_in_flight, 0);
    assert_true(r.elapsed_seconds > 0);
    assert_true(r.time_limit_seconds == 0);
    assert_int_equal(r.time_up, 0);
    assert_true(r.workers > 0);
    assert_non_null(strstr(html, "<span class=\"strategy\">generational</span>"));
    assert_non_null(strstr(html, "generations done</div><div class=\"v\">4 <small>of 4</small>"));
    assert_non_null(strstr(html, "population 8"));
    assert_non_null(strstr(html, "<th>gen</th>"));
    /* generational keeps its per-generation plot and has no over-trials ones */
    assert_int_equal(plot_points(html, "plot-trials"), -1);
    assert_int_equal(plot_points(html, "plot-time"), -1);
    /* finished_at is a timing field, not a gene */
    assert_null(strstr(html, "plot-gene-finished_at"));
    assert_null(strstr(html, "plot-gene-train_seconds"));
    /* nor are the promotion and finalist columns (an id, a rung, a flag) */
    const char *bookkeeping[] = {"rung", "budget", "from_epoch", "origin", "paused", "purpose"};
    for (size_t k = 0; k < sizeof bookkeeping / sizeof *bookkeeping; k++) {
        char id[64];
        assert_non_null(evo_results_column(&r.individuals, bookkeeping[k]));
        snprintf(id, sizeof id, "plot-gene-%s\"", bookkeeping[k]);
        assert_null(strstr(html, id));
    }
    free(html);
    evo_results_release(&r);
}

static void test_save(void **state)
{
    struct evo_results r;
    struct evo_error err = {0};
    assert_int_equal(evo_results_open(&r, h5path, &err), EVO_OK);
    char *out = evo_report_default_path(h5path);
    assert_non_null(strstr(out, "/r.html"));
    assert_int_equal(evo_report_save(&r, out, &err), EVO_OK);
    char *html = support_read(out);
    assert_non_null(strstr(html, "<svg id=\"plot-fitness\""));
    free(html);
    unlink(out);
    free(out);
    /* an unwritable path: an error naming it, nothing left behind */
    assert_int_equal(evo_report_save(&r, "/nonexistent-dir/x.html", &err), EVO_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.html"));
    evo_results_release(&r);

    char *p = evo_report_default_path("a.b/run");
    assert_string_equal(p, "a.b/run.html");
    free(p);
    p = evo_report_default_path("x.h5");
    assert_string_equal(p, "x.html");
    free(p);
}

/* An empty results struct with the attributes every file read has (evo_results_open refuses a file
 * without them): a generational run of a classification, as the hand-made tables below are. */
static void results_init(struct evo_results *r, const char *path, const char *state)
{
    memset(r, 0, sizeof *r);
    r->path = (char *)path;
    r->state = (char *)state;
    r->evotune_version = "0.2.0";
    r->format_version = 9;
    r->task = "classification";
    r->fitness = "accuracy";
    r->strategy = "generational";
    r->strategy_state = "generation 0";
    r->written_at = "2026-12-07T00:00:00Z";
}

/* A file as it looks right after a run started: nothing trained, no /best, nothing to plot. */
static void test_nothing_yet(void **state)
{
    struct evo_results r;
    results_init(&r, "runs/<script>alert(1)</script>.h5", "running");
    r.config = "search = { learning_rate = { min = 1e-3; max = 0.1; log = true; }; };";
    r.n_classes = 2;
    char *classes[] = {"<b>cat</b>", "dog & co"};
    r.class_names = classes;
    r.test.accuracy = NAN;
    r.test.loss = NAN;
    char *html = render(&r);
    assert_well_formed(html);
    for (size_t k = 0; k < sizeof PLOTS / sizeof *PLOTS; k++)
        assert_int_equal(plot_points(html, PLOTS[k]), 0);
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "&lt;script&gt;"));
    assert_non_null(strstr(html, "&lt;b&gt;cat&lt;/b&gt;"));
    assert_non_null(strstr(html, "dog &amp; co"));
    assert_non_null(strstr(html, "not scored yet (run not finished)"));
    assert_non_null(strstr(html, "no learning curves recorded in this file"));
    assert_non_null(strstr(html, "no generation completed yet"));
    assert_non_null(strstr(html, "state-running"));
    assert_int_equal(count(html, "class=\"top-row", NULL), 0);
    free(html);
}

/* Generation 0 in progress: individuals but no completed generation and no /best; one failed; a
 * gene missing from the config (log scale guessed from its values); curves for some individuals. */
static double gen_v[] = {0, 0, 0, 0, 0};
static double id_v[] = {0, 1, 2, 3, 4};
static double none_v[] = {-1, -1, -1, -1, -1};
static double fit_v[] = {0.5, 0.75, 0, 0.9, 0.9};
static double status_v[] = {0, 0, 1, 0, 0};
static double lr_v[] = {1e-4, 1e-3, 5.0, 1e-2, 3e-2};
static double wd_v[] = {1e-6, 1e-4, 1e-3, 1e-2, 1e-5};
static double act_v[] = {0, 2, 1, 2, 0};
static double loss_v[] = {0.9, 0.7, NAN, 0.3, 0.35};
static char *act_names[] = {"relu", "<tanh & co>", "sigmoid"};
static char *status_names[] = {"ok", "diverged"};

static void in_progress(struct evo_results *r, struct evo_column *cols, size_t *n_cols)
{
    results_init(r, "results/x.h5", "interrupted");
    r->config = "search = { learning_rate = { min = 1e-4; max = 10.0; log = true; }; dropout = 0.1; };";
    r->test.accuracy = NAN;
    r->test.loss = NAN;
    struct evo_column c[] = {
        {"generation", EVO_COLUMN_INT, NULL, 0, gen_v},
        {"id", EVO_COLUMN_INT, NULL, 0, id_v},
        {"parent_a", EVO_COLUMN_INT, NULL, 0, none_v},
        {"parent_b", EVO_COLUMN_INT, NULL, 0, none_v},
        {"learning_rate", EVO_COLUMN_FLOAT, NULL, 0, lr_v},
        {"activation", EVO_COLUMN_ENUM, act_names, 3, act_v},
        {"weight_decay", EVO_COLUMN_FLOAT, NULL, 0, wd_v},
        {"fitness", EVO_COLUMN_FLOAT, NULL, 0, fit_v},
        {"val_loss", EVO_COLUMN_FLOAT, NULL, 0, loss_v},
        {"status", EVO_COLUMN_ENUM, status_names, 2, status_v},
    };
    *n_cols = sizeof c / sizeof *c;
    memcpy(cols, c, sizeof c);
    r->individuals.n_rows = 5;
    r->individuals.n_cols = *n_cols;
    r->individuals.cols = cols;
}

/* r's /generations: the columns gcols[4] over the given values (NULL for none), n_rows left as it is. */
static void generations_table(struct evo_results *r, struct evo_column *gcols, double *generation, double *best,
                              double *mean, double *sd)
{
    gcols[0] = (struct evo_column){"generation", EVO_COLUMN_INT, NULL, 0, generation};
    gcols[1] = (struct evo_column){"best_fitness", EVO_COLUMN_FLOAT, NULL, 0, best};
    gcols[2] = (struct evo_column){"mean_fitness", EVO_COLUMN_FLOAT, NULL, 0, mean};
    gcols[3] = (struct evo_column){"std_fitness", EVO_COLUMN_FLOAT, NULL, 0, sd};
    r->generations.n_cols = 4;
    r->generations.cols = gcols;
}

static void test_empty_generations(void **state)
{
    struct evo_results r;
    struct evo_column cols[16], gcols[4];
    size_t n_cols;
    in_progress(&r, cols, &n_cols);
    generations_table(&r, gcols, NULL, NULL, NULL, NULL); /* the columns, but no row */
    char *html = render(&r);
    assert_well_formed(html);
    assert_int_equal(plot_points(html, "plot-fitness"), 0);
    assert_non_null(strstr(html, "no generation completed yet"));
    assert_int_equal(plot_points(html, "plot-gene-learning_rate"), 5);
    assert_int_equal(plot_points(html, "plot-gene-activation"), 5);
    assert_int_equal(plot_points(html, "plot-gene-weight_decay"), 5);
    assert_int_equal(count(html, "class=\"pt fail\"", NULL), 3); /* one failed individual, three gene plots */
    /* weight_decay has no config entry: four decades of positive values, guessed log */
    assert_non_null(strstr(html, "<figcaption>weight_decay<span>log scale"));
    assert_non_null(strstr(html, "<figcaption>learning_rate<span>log scale"));
    assert_int_equal(plot_points(html, "plot-parallel"), 4);
    /* no /best: the best so far is the fittest successful, lowest id first (id 3); no trial has
     * parents, so the ancestry is a note, not a plot of one node */
    assert_int_equal(plot_points(html, "plot-ancestry"), -1);
    assert_non_null(strstr(html, "No trial has parents yet: the best (#3)"));
    assert_int_equal(count(html, "class=\"top-row", NULL), 5);
    assert_non_null(strstr(html, "<tr class=\"top-row is-best\"><td>1</td><td>3</td>"));
    assert_non_null(strstr(html, "&lt;tanh &amp; co&gt;"));
    assert_null(strstr(html, "<tanh"));
    assert_non_null(strstr(html, "evotune resume results/x.h5"));
    assert_non_null(strstr(html, "not scored yet (run not finished)"));
    free(html);
}

static void test_curves_and_confusion(void **state)
{
    struct evo_results r;
    struct evo_column cols[16];
    size_t n_cols;
    in_progress(&r, cols, &n_cols);
    r.state = "finished";
    r.has_best = 1;
    r.best_id = 4; /* the writer's choice wins over the table order */
    r.test.accuracy = 0.8;
    r.test.loss = 0.45;
    r.n_classes = 3;
    char *classes[] = {"a", "b", "c"};
    r.class_names = classes;
    int64_t confusion[9] = {5, 1, 0, 0, 6, 0, 2, 0, 4};
    r.confusion = confusion;
    /* ids 3 and 4 have three epochs each, id 0 two */
    static double cid[] = {3, 3, 3, 4, 4, 4, 0, 0}, cep[] = {2, 0, 1, 0, 1, 2, 0, 1};
    static double cacc[] = {0.9, 0.6, 0.8, 0.5, 0.7, 0.9, 0.3, 0.5};
    static double closs[] = {0.3, 1.0, 0.5, 1.1, 0.6, 0.35, 1.4, 1.2};
    struct evo_column ccols[] = {
        {"id", EVO_COLUMN_INT, NULL, 0, cid},
        {"epoch", EVO_COLUMN_INT, NULL, 0, cep},
        {"val_fitness", EVO_COLUMN_FLOAT, NULL, 0, cacc},
        {"val_loss", EVO_COLUMN_FLOAT, NULL, 0, closs},
    };
    r.curves.n_rows = 8;
    r.curves.n_cols = 4;
    r.curves.cols = ccols;
    char *html = render(&r);
    assert_well_formed(html);
    assert_null(strstr(html, "no learning curves"));
    /* two metrics x three individuals with curves */
    assert_int_equal(plot_points(html, "plot-curves"), 6);
    assert_int_equal(plot_points(html, "plot-confusion"), 9);
    assert_non_null(strstr(html, "the best (#4)"));
    assert_non_null(strstr(html, "80.00%"));
    assert_null(strstr(html, "not scored yet"));
    free(html);
}

/* Runs `evotune run configs/<config>` on datasets/<data> with extra arguments into dir/name and opens
 * the file. */
static void run_config(struct evo_results *r, const char *config, const char *data, const char *name,
                       const char *extra)
{
    char args[1024], path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(args, sizeof args, "run %s/configs/%s --set 'data.train=\"%s/datasets/%s\"' %s --out %s --quiet",
             EVOTUNE_SOURCE_DIR, config, EVOTUNE_SOURCE_DIR, data, extra, path);
    assert_int_equal(support_run(dir, args, NULL, NULL), 0);
    struct evo_error err = {0};
    assert_int_equal(evo_results_open(r, path, &err), EVO_OK);
}

/* run_config of configs/default.cfg on iris, 30 short trials. */
static void run_default(struct evo_results *r, const char *name, const char *extra)
{
    char more[768];
    snprintf(more, sizeof more, "--set 'search.epochs={min=2;max=6;}' --max-trials 30 %s", extra);
    run_config(r, "default.cfg", "iris.csv", name, more);
}

/* A regression run (diabetes) in which some individuals diverge (fitness -inf): the report shows the
 * test RMSE, MAE and R^2 instead of accuracy and a confusion matrix, names the fitness, and draws no
 * non-finite coordinate. */
static void test_regression_run(void **state)
{
    (void)state;
    struct evo_results r;
    run_config(&r, "diabetes.cfg", "diabetes.csv", "reg.h5",
               "--strategy generational --set ga.population=8 --set ga.generations=3 "
               "--set 'search.epochs={min=5;max=15;}' --set 'search.optimizer=\"sgd\"' "
               "--set 'search.learning_rate={min=1e-3;max=5.0;log=true;}' --set 'search.weight_decay=0.0'");
    assert_true(r.regression);
    assert_string_equal(r.fitness, "neg_rmse");
    const struct evo_column *status = evo_results_column(&r.individuals, "status");
    size_t failed = 0;
    for (size_t k = 0; k < r.individuals.n_rows; k++)
        failed += status->values[k] != 0;
    assert_true(failed > 0 && failed < r.individuals.n_rows); /* the case this test is about */
    char *html = render(&r);
    assert_well_formed(html);
    assert_non_null(strstr(html, "test RMSE"));
    assert_non_null(strstr(html, "test R\xc2\xb2"));
    assert_non_null(strstr(html, "fitness (validation neg_rmse)"));
    assert_null(strstr(html, "test accuracy"));
    assert_null(strstr(html, "plot-confusion"));
    assert_null(strstr(html, "not scored yet"));
    assert_null(strstr(html, "=\"inf"));
    assert_null(strstr(html, "=\"-inf"));
    assert_null(strstr(html, "=\"nan"));
    assert_null(strstr(html, "=\"-nan"));
    assert_int_equal(plot_points(html, "plot-fitness"), 2 * (long)r.generations.n_rows);
    free(html);
    evo_results_release(&r);
}

/* A run of 3000 trials (tests/synthetic_results.h), too many to draw one by one: every trial plot is
 * a density of them with the 50 best as dots over it, says so, and stays small; the tables and the
 * plots of the best few are as in a small run. */
static void test_dense_run(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "%s/dense.h5", dir);
    struct evo_error err = {0};
    assert_int_equal(synthetic_results_write(path, 3000, EVOTUNE_SOURCE_DIR, &err), EVO_OK);
    struct evo_results r;
    assert_int_equal(evo_results_open(&r, path, &err), EVO_OK);
    assert_int_equal(r.individuals.n_rows, 3000);
    char *html = render(&r);
    assert_well_formed(html);
    assert_true(strlen(html) < 2000000);
    assert_non_null(strstr(html, "With 3000 trials, the plots are densities"));
    assert_non_null(strstr(html, "With 3000 trials, the trials are drawn as a density"));
    const char *genes[] = {"learning_rate", "epochs", "batch_size", "hidden_layers", "neurons_1", "activation",
                           "optimizer", "weight_decay", "dropout_2"};
    for (size_t k = 0; k < sizeof genes / sizeof *genes; k++) {
        char id[64], hover[64];
        snprintf(id, sizeof id, "plot-gene-%s", genes[k]);
        long dots = plot_points(html, id);
        assert_true(dots >= 1 && dots <= 51); /* the 50 best (that have the gene), the marked best */
        assert_true(in_plot(html, id, "class=\"density\"") >= 1);
        /* the best is ringed where it has the gene (dropout_2: only networks of two layers or more) */
        long rings = in_plot(html, id, "class=\"best-mark\"");
        assert_true(strcmp(genes[k], "dropout_2") ? rings == 1 : rings <= 1);
        snprintf(hover, sizeof hover, "\n%s = ", genes[k]);
        assert_int_equal(in_plot(html, id, hover), dots);
        assert_int_equal(in_plot(html, id, "\nbeta1 = "), 0);
    }
    assert_non_null(strstr(html, "<figcaption>learning_rate<span>log scale; density</span>"));
    assert_true(in_plot(html, "plot-gene-learning_rate", "class=\"density fail\"") >= 1); /* 2 % diverged */
    /* per generation: the lines with a dot per generation, the trials a density, the best 50 marked with
     * every gene */
    assert_int_equal(plot_points(html, "plot-fitness"), 2 * 10);
    assert_true(in_plot(html, "plot-fitness", "class=\"density\"") >= 1);
    long marks = in_plot(html, "plot-fitness", "class=\"ind\"") + in_plot(html, "plot-fitness", "class=\"ind fail\"");
    assert_int_equal(marks, 50);
    assert_int_equal(in_plot(html, "plot-fitness", "\nlearning_rate = "), 50);
    assert_int_equal(plot_points(html, "plot-parallel"), 20);
    assert_int_equal(count(html, "<tr class=\"top-row", NULL), 10);
    assert_true(plot_points(html, "plot-curves") > 0);
    assert_true(plot_points(html, "plot-ancestry") > 1);
    free(html);
    evo_results_release(&r);
}

/* A generational file of 1500 generations of 2 (in memory): the lines merge runs of generations into
 * 1000 points and have no hover dots, which 200 generations still get. */
static void test_many_generations(void **state)
{
    struct evo_results r;
    struct evo_column cols[16], gcols[4];
    size_t n_cols;
    in_progress(&r, cols, &n_cols);
    enum { G = 1500 };
    static double gg[G], gb[G], gm[G], gs[G];
    for (size_t i = 0; i < G; i++) {
        gg[i] = (double)i;
        gb[i] = 0.5 + 0.4 * (double)i / G;
        gm[i] = gb[i] - 0.1;
        gs[i] = 0.05;
    }
    generations_table(&r, gcols, gg, gb, gm, gs);
    for (size_t rows = 200; rows <= G; rows += G - 200) {
        r.generations.n_rows = rows;
        char *html = render(&r);
        assert_well_formed(html);
        const char *line = strstr(html, "class=\"line line-best\"");
        assert_non_null(line);
        const char *d = strstr(line, " d=\"") + 4;
        assert_int_equal(count(d, "L", strchr(d, '"')), (rows < 1000 ? rows : 1000) - 1);
        assert_int_equal(plot_points(html, "plot-fitness"), rows == 200 ? 400 : 0);
        assert_true((strstr(html, "drawn as 1000 points of the lines") != NULL) == (rows > 1000));
        free(html);
    }
}

/* Rises of the running best over r's successful trials taken in ascending order of column key (ties
 * by id): what the over-trials and over-time plots mark with class "rec". */
static long expected_records(const struct evo_results *r, const char *key)
{
    const struct evo_column *k = evo_results_column(&r->individuals, key);
    const struct evo_column *id = evo_results_column(&r->individuals, "id");
    const struct evo_column *fit = evo_results_column(&r->individuals, "fitness");
    const struct evo_column *status = evo_results_column(&r->individuals, "status");
    const struct evo_column *purpose = evo_results_column(&r->individuals, "purpose");
    assert_non_null(k);
    size_t n = r->individuals.n_rows, m = 0, *rows = malloc((n ? n : 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        if (isfinite(k->values[i]) && (!purpose || purpose->values[i] == 0)) /* the search's rows */
            rows[m++] = i;
    for (size_t a = 1; a < m; a++) /* insertion sort by (key, id) */
        for (size_t b = a; b > 0; b--) {
            size_t p = rows[b - 1], q = rows[b];
            if (k->values[p] < k->values[q] || (k->values[p] == k->values[q] && id->values[p] < id->values[q]))
                break;
            rows[b - 1] = q;
            rows[b] = p;
        }
    long rises = 0;
    double best = -INFINITY;
    for (size_t j = 0; j < m; j++) {
        size_t i = rows[j];
        int ok = status ? !strcmp(status->enum_names[(int)status->values[i]], "ok") : isfinite(fit->values[i]);
        if (ok && isfinite(fit->values[i]) && (rises == 0 || fit->values[i] > best)) {
            best = fit->values[i];
            rises++;
        }
    }
    free(rows);
    return rises;
}

/* The finalists' section: a point per finalist at (search score, mean) with its spread, a dot per run,
 * a table row each, the winner first and the file's best its run. */
static void check_finalists(const struct evo_results *r, const char *html)
{
    struct evo_finalist *fs;
    size_t n = evo_results_finalists(r, &fs);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fs[i].runs, 3);
        assert_true(i == 0 || fs[i].mean <= fs[i - 1].mean);
    }
    assert_true(r->has_best && r->best_id == fs[0].chosen);
    assert_non_null(strstr(html, "<h2>Finalists re-evaluated</h2>"));
    assert_int_equal(in_plot(html, "plot-finalists", "class=\"finalist\""), 5);
    assert_int_equal(in_plot(html, "plot-finalists", "class=\"run\""), 15);
    assert_int_equal(in_plot(html, "plot-finalists", "class=\"spread\""), 5);
    char want[96];
    snprintf(want, sizeof want, "the best network is its run #%lld", (long long)fs[0].chosen);
    assert_non_null(strstr(html, want));
    free(fs);
}

/* What steady_state, random and tpe reports share: no per-generation plot; fitness over trials and over
 * time with a mark per trial and a ring per rise of the running best in id and in finish order; the
 * trials card against max_trials; no generations card. */
static void check_over_trials(const struct evo_results *r, const char *html, const char *strategy)
{
    size_t n = 30; /* search rows, which the search's plots draw; 5 finalists x 3 runs (the default) follow */
    assert_int_equal(r->individuals.n_rows, 30 + 15);
    assert_string_equal(r->strategy, strategy);
    assert_non_null(r->strategy_state);
    assert_int_equal(r->trials_done, 45);
    assert_int_equal(r->trials_decided, 45);
    assert_int_equal(r->n_in_flight, 0);
    assert_int_equal(r->generations.n_rows, 0);
    assert_int_equal(r->generations_done, 0);
    assert_true(r->elapsed_seconds > 0);
    assert_well_formed(html);
    assert_int_equal(plot_points(html, "plot-fitness"), -1);
    assert_non_null(strstr(html, "<h2>Fitness over trials</h2>"));
    assert_non_null(strstr(html, "<h2>Fitness over time</h2>"));
    assert_non_null(strstr(html, "running best <em>in id order</em>"));
    assert_int_equal(plot_points(html, "plot-trials"), (long)n);
    assert_int_equal(plot_points(html, "plot-time"), (long)n); /* every trial has its finished_at */
    long by_id = expected_records(r, "id"), by_time = expected_records(r, "finished_at");
    assert_true(by_id >= 2); /* a run that never improved would not test the step line */
    assert_int_equal(in_plot(html, "plot-trials", "class=\"rec\""), by_id);
    assert_int_equal(in_plot(html, "plot-time", "class=\"rec\""), by_time);
    assert_int_equal(in_plot(html, "plot-trials", "class=\"best-line\""), 1);
    assert_int_equal(in_plot(html, "plot-time", "class=\"best-line\""), 1);
    assert_non_null(strstr(html, ">trial id</text>"));
    assert_non_null(strstr(html, ">running time (s)</text>"));
    char want[128];
    snprintf(want, sizeof want, "<span class=\"strategy\">%s</span>", strategy);
    assert_non_null(strstr(html, want));
    assert_non_null(strstr(html, "trials done</div><div class=\"v\">30 <small>of 30</small>"));
    assert_non_null(strstr(html, "; and 15 finalist runs"));
    check_finalists(r, html);
    assert_non_null(strstr(html, "in flight</div><div class=\"v\">0<"));
    assert_null(strstr(html, "generations done"));
    assert_null(strstr(html, "not recorded in this file")); /* the running time is */
    assert_null(strstr(html, "plot-gene-finished_at"));
    assert_int_equal(plot_points(html, "plot-gene-learning_rate"), (long)n);
    /* every gene in the hovers of the fitness over trials, once per trial, not over time */
    assert_int_equal(in_plot(html, "plot-trials", "\nlearning_rate = "), (long)n);
    assert_int_equal(in_plot(html, "plot-time", "\nlearning_rate = "), 0);
}

/* steady_state (the default) with a small population, so that most trials are bred: generation is
 * the lineage depth, the ancestry is drawn in depth columns. */
static void test_steady_state_run(void **state)
{
    (void)state;
    struct evo_results r;
    run_default(&r, "steady.h5", "--set ga.population=8 --set run.workers=4");
    char *html = render(&r);
    check_over_trials(&r, html, "steady_state");
    assert_non_null(strstr(r.strategy_state, "steady state"));
    const struct evo_column *gen = evo_results_column(&r.individuals, "generation");
    const struct evo_column *pa = evo_results_column(&r.individuals, "parent_a");
    const struct evo_column *id = evo_results_column(&r.individuals, "id");
    double deepest = 0;
    for (size_t i = 0; i < r.individuals.n_rows; i++)
        deepest = gen->values[i] > deepest ? gen->values[i] : deepest;
    assert_true(deepest >= 2);
    assert_non_null(strstr(html, "<th>depth</th>"));
    assert_non_null(strstr(html, "shaded by lineage depth"));
    /* the ancestry: the best and, when it was bred, its parent_a's line back to depth 0 (at most 10
     * columns) */
    size_t b = 0; /* the best is a finalist run: its lineage is its search row's */
    while (b < r.individuals.n_rows && id->values[b] != (double)r.best_id)
        b++;
    assert_true(b < r.individuals.n_rows);
    int64_t repeats = (int64_t)pa->values[b];
    b = 0;
    while (b < r.individuals.n_rows && id->values[b] != (double)repeats)
        b++;
    assert_true(b < r.individuals.n_rows);
    long nodes = plot_points(html, "plot-ancestry");
    if (pa->values[b] >= 0) {
        double lineage = gen->values[b] < 9 ? gen->values[b] + 1 : 10;
        assert_true(nodes >= (long)lineage);
        assert_true(in_plot(html, "plot-ancestry", ">depth ") >= (long)lineage);
        assert_non_null(strstr(html, "Columns are lineage depths"));
    } else {
        assert_int_equal(nodes, 1); /* a best from the random start: itself only */
    }
    assert_null(strstr(html, "ancestry-none"));
    free(html);
    evo_results_release(&r);
}

/* random: every trial generation 0 without parents, so there is no ancestry plot but a note, no
 * generation column, and dots shaded by id. */
static void test_random_run(void **state)
{
    (void)state;
    struct evo_results r;
    run_default(&r, "random.h5", "--strategy random");
    char *html = render(&r);
    check_over_trials(&r, html, "random");
    const struct evo_column *pa = evo_results_column(&r.individuals, "parent_a");
    const struct evo_column *purpose = evo_results_column(&r.individuals, "purpose");
    for (size_t i = 0; i < r.individuals.n_rows; i++) /* a finalist's parent_a is the row it repeats */
        assert_true(pa->values[i] < 0 || purpose->values[i] == 1);
    assert_int_equal(plot_points(html, "plot-ancestry"), -1);
    assert_non_null(strstr(html, "<p class=\"note ancestry-none\">Random search draws every trial independently"));
    assert_null(strstr(html, "<th>gen</th>"));
    assert_null(strstr(html, "<th>depth</th>"));
    assert_non_null(strstr(html, "shaded by trial id"));
    free(html);
    evo_results_release(&r);
}

/* Promotion: a plot of fitness against budget, a mark per row and a line per promotion, from the row
 * it continued; none without promotion (test_random_run's file). */
static void test_promotion_run(void **state)
{
    (void)state;
    struct evo_results r;
    run_default(&r, "promotion.h5", "--strategy random --set promotion.enabled=true --set promotion.eta=2");
    char *html = render(&r);
    assert_well_formed(html);
    const struct evo_column *rung = evo_results_column(&r.individuals, "rung");
    assert_non_null(rung);
    long promoted = 0;
    for (size_t i = 0; i < r.individuals.n_rows; i++)
        promoted += rung->values[i] > 0;
    assert_true(promoted > 0);
    const struct evo_column *purpose = evo_results_column(&r.individuals, "purpose");
    long search_rows = 0;
    for (size_t i = 0; i < r.individuals.n_rows; i++)
        search_rows += purpose->values[i] == 0;
    assert_int_equal(plot_points(html, "plot-budget"), search_rows);
    assert_int_equal(in_plot(html, "plot-budget", "class=\"promo\""), promoted);
    free(html);
    evo_results_release(&r);
    run_default(&r, "random.h5", "--strategy random");
    html = render(&r);
    assert_int_equal(plot_points(html, "plot-budget"), -1);
    free(html);
    evo_results_release(&r);
}

/* Cross-validation: the test section says the best network was trained on every row of the folds. */
static void test_cross_validated_run(void **state)
{
    (void)state;
    struct evo_results r;
    run_default(&r, "cv.h5", "--strategy random --set data.folds=3 --set finalists.count=0");
    char *html = render(&r);
    assert_well_formed(html);
    assert_true(r.final_epochs >= 1 && r.final_rows > 0);
    assert_int_equal(r.folds.n_rows, 3 * r.individuals.n_rows);
    char want[160];
    snprintf(want, sizeof want, "Cross-validated run: every fitness is the mean over the trial's 3 folds");
    assert_non_null(strstr(html, want));
    snprintf(want, sizeof want, "trained once more on all %lld rows of the folds, for %lld epochs",
             (long long)r.final_rows, (long long)r.final_epochs);
    assert_non_null(strstr(html, want));
    assert_null(strstr(html, "<h2>Finalists re-evaluated</h2>")); /* finalists.count = 0 */
    free(html);
    evo_results_release(&r);
}

/* tpe: drawn as random search's (generation 0, no parents, shaded by id), with its settings in a card
 * and notes that say the trials come from its model, not independent draws. */
static void test_tpe_run(void **state)
{
    (void)state;
    struct evo_results r;
    run_default(&r, "tpe.h5", "--strategy tpe --set tpe.startup=6 --set tpe.candidates=12");
    char *html = render(&r);
    check_over_trials(&r, html, "tpe");
    assert_non_null(strstr(r.strategy_state, "Parzen estimators of the last 30 of 30 told (startup 6, gamma"));
    assert_int_equal(plot_points(html, "plot-ancestry"), -1);
    assert_non_null(strstr(html, "<p class=\"note ancestry-none\">tpe draws every trial from the results of "
                                 "earlier trials"));
    assert_null(strstr(html, "Random search draws"));
    assert_non_null(strstr(html, "tpe proposals</div><div class=\"v\">12 <small>candidates</small></div>"
                                 "<div class=\"s\">after 6 random; gamma 0.15, window 1000</div>"));
    assert_non_null(strstr(html, "shaded by trial id"));
    free(html);
    evo_results_release(&r);
}

/* A steady_state file while it runs, built in memory: trials in flight, a time limit, results that
 * arrived out of id order, a failed trial; the running best follows id order in one plot and finish
 * order in the other. */
static void test_steady_in_flight(void **state)
{
    struct evo_results r;
    struct evo_column cols[16];
    size_t n_cols;
    in_progress(&r, cols, &n_cols);
    static double fin_v[] = {3.0, 1.0, 2.0, 5.0, 4.0};
    cols[n_cols++] = (struct evo_column){"finished_at", EVO_COLUMN_FLOAT, NULL, 0, fin_v};
    r.individuals.n_cols = n_cols;
    static double neg_inf_fit[] = {0.5, 0.75, -INFINITY, 0.9, 0.9};
    cols[7].values = neg_inf_fit; /* "fitness": the failed trial scored -inf (a neg_* fitness) */
    r.state = "running";
    r.strategy = "steady_state";
    r.strategy_state = "steady state, random phase (5 of 8 told)";
    r.workers = 4;
    r.trials_done = 5;
    r.trials_decided = 8;
    r.n_in_flight = 3;
    r.elapsed_seconds = 50;
    r.time_limit_seconds = 60;
    r.config = "run = { strategy = \"steady_state\"; max_trials = 40; };";
    char *html = render(&r);
    assert_well_formed(html);
    assert_int_equal(plot_points(html, "plot-trials"), 5);
    assert_int_equal(plot_points(html, "plot-time"), 5);
    assert_int_equal(count(html, "class=\"pt fail\"", NULL), 2 + 3); /* both fitness plots, three gene plots */
    /* in id order 0.5, 0.75, (failed), 0.9, 0.9: three rises; in finish order id 1 (0.75), id 2
     * (failed), id 0 (0.5), id 4 (0.9), id 3 (0.9): two */
    assert_int_equal(in_plot(html, "plot-trials", "class=\"rec\""), 3);
    assert_int_equal(in_plot(html, "plot-time", "class=\"rec\""), 2);
    /* the limit is drawn where it is near the data, and named in the card */
    assert_int_equal(in_plot(html, "plot-time", "class=\"limit\""), 1);
    assert_int_equal(in_plot(html, "plot-trials", "class=\"limit\""), 0);
    assert_non_null(strstr(html, "running time</div><div class=\"v\">50 s</div><div class=\"s\">of the limit 1:00<"));
    assert_non_null(strstr(html, "trials done</div><div class=\"v\">5 <small>of 40</small>"));
    assert_non_null(strstr(html, "in flight</div><div class=\"v\">3<"));
    assert_non_null(strstr(html, "3 trials decided and not finished"));
    assert_non_null(strstr(html, "steady_state: steady state, random phase (5 of 8 told); 4 virtual workers"));
    assert_non_null(strstr(html, "state-running"));
    assert_int_equal(plot_points(html, "plot-fitness"), -1);
    assert_null(strstr(html, "generations done"));
    /* the failed trial's -inf is drawn below the axis, never as a coordinate */
    assert_null(strstr(html, "=\"inf"));
    assert_null(strstr(html, "=\"-inf"));
    assert_null(strstr(html, "=\"nan"));
    assert_null(strstr(html, "=\"-nan"));
    assert_non_null(strstr(html, "No trial has parents yet: the best (#3)"));
    free(html);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "synth")) { /* a synthetic results file of N trials */
        struct evo_error err = {0};
        evo_h5_init();
        char *end;
        long n = strtol(argv[2], &end, 10);
        if (*end || n < 10 || synthetic_results_write(argv[3], (size_t)n, EVOTUNE_SOURCE_DIR, &err)) {
            fprintf(stderr, "test_report: synth %s %s: %s\n", argv[2], argv[3],
                    *end || n < 10 ? "N must be a count of at least 10" : err.msg);
            return 1;
        }
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "render")) {
        struct evo_results r;
        struct evo_error err = {0};
        if (evo_results_open(&r, argv[2], &err) || evo_report_save(&r, argv[3], &err)) {
            fprintf(stderr, "test_report: %s\n", err.msg);
            return 1;
        }
        evo_results_release(&r);
        return 0;
    }
    const struct CMUnitTest run_tests[] = {
        cmocka_unit_test(test_finished_run),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_regression_run),
        cmocka_unit_test(test_steady_state_run),
        cmocka_unit_test(test_random_run),
        cmocka_unit_test(test_tpe_run),
        cmocka_unit_test(test_cross_validated_run),
        cmocka_unit_test(test_promotion_run),
        cmocka_unit_test(test_dense_run),
    };
    const struct CMUnitTest memory_tests[] = {
        cmocka_unit_test(test_nothing_yet),
        cmocka_unit_test(test_empty_generations),
        cmocka_unit_test(test_curves_and_confusion),
        cmocka_unit_test(test_steady_in_flight),
        cmocka_unit_test(test_many_generations),
    };
    int failed = cmocka_run_group_tests_name("report_memory", memory_tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("report_run", run_tests, setup_run, teardown_run);
}
