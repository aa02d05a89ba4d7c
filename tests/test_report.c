/* The HTML report: every plot is present with the right number of data marks for a real finished run,
 * and for files caught early (no /best, no rows, no generations); everything from the file escaped.
 * `test_report render IN.h5 OUT.html` writes a report (used by report_render.sh until the CLI has
 * `evotune report`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include "evotune/report.h"
#include "evotune/results.h"
#include "support.h"

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

/* Number of data marks (class "pt ...") in the svg with this id; -1 when the svg is missing. */
static long plot_points(const char *html, const char *id)
{
    char key[128];
    snprintf(key, sizeof key, "<svg id=\"%s\"", id);
    const char *s = strstr(html, key);
    if (!s)
        return -1;
    const char *e = strstr(s, "</svg>");
    assert_non_null(e);
    return (long)(count(s, "class=\"pt\"", e) + count(s, "class=\"pt ", e));
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

/* A file as it looks right after a run started: nothing trained, no /best, nothing to plot. */
static void test_nothing_yet(void **state)
{
    struct evo_results r;
    memset(&r, 0, sizeof r);
    r.path = "runs/<script>alert(1)</script>.h5";
    r.state = "running";
    r.evotune_version = "0.1.0";
    r.config = "search = { learning_rate = { min = 1e-3; max = 0.1; log = true; }; };";
    r.n_classes = 2;
    char *classes[] = {"<b>cat</b>", "dog & co"};
    r.class_names = classes;
    r.test_accuracy = NAN;
    r.test_loss = NAN;
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
    memset(r, 0, sizeof *r);
    r->path = "results/x.h5";
    r->state = "interrupted";
    r->config = "search = { learning_rate = { min = 1e-4; max = 10.0; log = true; }; dropout = 0.1; };";
    r->test_accuracy = NAN;
    r->test_loss = NAN;
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

static void test_empty_generations(void **state)
{
    struct evo_results r;
    struct evo_column cols[16], gcols[4];
    size_t n_cols;
    in_progress(&r, cols, &n_cols);
    /* /generations exists with its columns but no row */
    gcols[0] = (struct evo_column){"generation", EVO_COLUMN_INT, NULL, 0, NULL};
    gcols[1] = (struct evo_column){"best_fitness", EVO_COLUMN_FLOAT, NULL, 0, NULL};
    gcols[2] = (struct evo_column){"mean_fitness", EVO_COLUMN_FLOAT, NULL, 0, NULL};
    gcols[3] = (struct evo_column){"std_fitness", EVO_COLUMN_FLOAT, NULL, 0, NULL};
    r.generations.n_cols = 4;
    r.generations.cols = gcols;
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
    /* no /best: the best so far is the fittest successful, lowest id first (id 3) */
    assert_int_equal(plot_points(html, "plot-ancestry"), 1);
    assert_non_null(strstr(html, "Parents of the best individual (#3)"));
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
    r.test_accuracy = 0.8;
    r.test_loss = 0.45;
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
    assert_non_null(strstr(html, "Parents of the best individual (#4)"));
    assert_non_null(strstr(html, "80.00%"));
    assert_null(strstr(html, "not scored yet"));
    free(html);
}

/* A regression run (diabetes) in which some individuals diverge (fitness -inf): the report shows the
 * test RMSE, MAE and R^2 instead of accuracy and a confusion matrix, names the fitness, and draws no
 * non-finite coordinate. */
static void test_regression_run(void **state)
{
    (void)state;
    char args[1024], path[160];
    snprintf(path, sizeof path, "%s/reg.h5", dir);
    snprintf(args, sizeof args,
             "run %s/configs/diabetes.cfg --set 'data.train=\"%s/datasets/diabetes.csv\"' --set ga.population=8 "
             "--set ga.generations=3 --set 'search.epochs={min=5;max=15;}' --set 'search.optimizer=\"sgd\"' "
             "--set 'search.learning_rate={min=1e-3;max=5.0;log=true;}' --set 'search.weight_decay=0.0' "
             "--out %s --quiet", EVOTUNE_SOURCE_DIR, EVOTUNE_SOURCE_DIR, path);
    assert_int_equal(support_run(dir, args, NULL, NULL), 0);
    struct evo_results r;
    struct evo_error err = {0};
    assert_int_equal(evo_results_open(&r, path, &err), EVO_OK);
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

int main(int argc, char **argv)
{
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
    };
    const struct CMUnitTest memory_tests[] = {
        cmocka_unit_test(test_nothing_yet),
        cmocka_unit_test(test_empty_generations),
        cmocka_unit_test(test_curves_and_confusion),
    };
    int failed = cmocka_run_group_tests_name("report_memory", memory_tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("report_run", run_tests, setup_run, teardown_run);
}
