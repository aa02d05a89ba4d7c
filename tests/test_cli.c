/* Tests of the command line as a user meets it: help and version, exit codes, one-line errors naming
 * the file and line, and nothing half-written in the output directory after a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "support.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return support_tempdir(dir, sizeof dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    support_rmdir(dir);
    return 0;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs args, expects `code`, and exactly one line on stderr containing each of the needles. */
static void expect_error(const char *args, int code, const char *needle1, const char *needle2)
{
    char *out, *err;
    int rc = support_run(dir, args, &out, &err);
    if (rc != code || support_count_lines(err) != 1 || (needle1 && !strstr(err, needle1)) ||
        (needle2 && !strstr(err, needle2)))
        fail_msg("evotune %s: exit %d (want %d), stderr:\n%s", args, rc, code, err);
    free(out);
    free(err);
}

/* Runs args, expects exit 2 and a usage error: one line containing needle (naming the option or the
 * argument), then the pointer to --help. */
static void expect_usage(const char *args, const char *needle)
{
    char *out, *err;
    int rc = support_run(dir, args, &out, &err);
    const char *nl = strchr(err, '\n');
    if (rc != 2 || !nl || strcmp(nl + 1, "(see 'evotune --help')\n") || !strstr(err, needle) ||
        strstr(err, needle) > nl)
        fail_msg("evotune %s: exit %d (want 2), stderr:\n%s", args, rc, err);
    free(out);
    free(err);
}

/* Runs evotune with args in dir, which must exit 0; returns its stdout, and its stderr in *err unless
 * err is NULL (free them). */
static char *run_ok(const char *args, char **err)
{
    char *o, *e;
    int rc = support_run(dir, args, &o, &e);
    if (rc != 0)
        fail_msg("evotune %s: exit %d: %s", args, rc, e);
    if (err)
        *err = e;
    else
        free(e);
    return o;
}

static void test_help_and_version(void **state)
{
    (void)state;
    char *out = run_ok("--help", NULL);
    assert_non_null(strstr(out, "usage: evotune run CONFIG"));
    assert_non_null(strstr(out, "exit codes"));
    /* the option lines come from the commands' tables */
    assert_non_null(strstr(out, "\n  --set PATH=VALUE  override a configuration key"));
    assert_non_null(strstr(out, "\n  --generations N   new budget of generations (generational)\n"));
    free(out);
    out = run_ok("--version", NULL);
    assert_non_null(strstr(out, "evotune " EVOTUNE_VERSION));
    free(out);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    expect_usage("", "missing command");
    expect_usage("frobnicate", "unknown command 'frobnicate'");
    expect_usage("run", "missing CONFIG");
    expect_usage("run x.cfg --bogus", "unknown option '--bogus'");
    expect_usage("run x.cfg --threads two", "option '--threads' needs an integer, got 'two'");
    expect_usage("run a.cfg b.cfg", "unexpected argument 'b.cfg'");
}

/* One parser serves every command: --opt VALUE and --opt=VALUE alike, an unknown option named with
 * the nearest known one, a missing or malformed value, a value given to a flag. */
static void test_option_parser(void **state)
{
    (void)state;
    expect_usage("run x.cfg --theads 2", "unknown option '--theads' (did you mean '--threads'?)");
    expect_usage("resume x.h5 --max-trails 9", "unknown option '--max-trails' (did you mean '--max-trials'?)");
    expect_usage("config x.cfg --out y", "unknown option '--out'");
    expect_usage("run x.cfg --out", "option '--out' needs a value");
    expect_usage("run x.cfg --set", "option '--set' needs PATH=VALUE");
    expect_usage("report x.h5 -o", "option '-o' needs a value");
    expect_usage("predict a b --labels", "option '--labels' needs a value");
    expect_usage("export x.h5 --csv", "option '--csv' needs a value");
    expect_usage("resume x.h5 --threads=-1", "option '--threads' needs a non-negative integer, got '-1'");
    expect_usage("run x.cfg --quiet=yes", "option '--quiet' takes no value");
    expect_usage("info a.h5 b.h5", "unexpected argument 'b.h5'");
    expect_usage("config --template x.cfg", "option '--template' takes no other argument");
    /* --opt=VALUE is --opt VALUE: the override reaches the configuration */
    char args[300];
    snprintf(args, sizeof args, "config %s/configs/default.cfg --set=ga.population=48 --set ga.tournament=5",
             EVOTUNE_SOURCE_DIR);
    char *out = run_ok(args, NULL);
    assert_non_null(strstr(out, "population = 48"));
    assert_non_null(strstr(out, "tournament = 5"));
    free(out);
}

static void test_malformed_config(void **state)
{
    (void)state;
    char cfg[200], args[600];
    snprintf(cfg, sizeof cfg, "%s/bad.cfg", dir);
    support_write(cfg, "data = { train = \"x.csv\"; };\nga = { population = 4;\n  generations = = 2; };\n");
    snprintf(args, sizeof args, "run %s --out %s/out/r.h5", cfg, dir);
    expect_error(args, 2, "bad.cfg:3", NULL);
    support_write(cfg, "ga = {\n population = 4;\n populaton = 5; };\n");
    expect_error(args, 2, "bad.cfg:3", "population");
    snprintf(args, sizeof args, "run %s/none.cfg", dir);
    expect_error(args, 2, "none.cfg", NULL);
    char out[200];
    snprintf(out, sizeof out, "%s/out", dir);
    assert_false(exists(out));
}

static void test_bad_data(void **state)
{
    (void)state;
    char cfg[200], csv[200], args[600], out[200];
    snprintf(cfg, sizeof cfg, "%s/data.cfg", dir);
    snprintf(csv, sizeof csv, "%s/cells.csv", dir);
    snprintf(out, sizeof out, "%s/res", dir);
    char text[600];
    snprintf(text, sizeof text, "data = { train = \"%s/missing.csv\"; };\nrun = { max_trials = 2; };\n", dir);
    support_write(cfg, text);
    snprintf(args, sizeof args, "run %s --out %s/r.h5", cfg, out);
    expect_error(args, 2, "missing.csv", NULL);
    support_write(csv, "a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n");
    snprintf(text, sizeof text, "data = { train = \"%s\"; };\nrun = { max_trials = 2; };\n", csv);
    support_write(cfg, text);
    expect_error(args, 2, "cells.csv:3", "oops");
    assert_false(exists(out));
}

static void test_successful_run(void **state)
{
    (void)state;
    char cfg[200], args[600], out[200];
    snprintf(cfg, sizeof cfg, "%s/tiny.cfg", dir);
    snprintf(out, sizeof out, "%s/results/tiny.h5", dir);
    support_write(cfg, TINY_CONFIG);
    snprintf(args, sizeof args, "run %s --out %s --set ga.generations=2 --threads 2", cfg, out);
    char *e, *o = run_ok(args, &e);
    assert_true(exists(out));
    /* progress: one line per generation on stderr; the summary on stdout */
    assert_non_null(strstr(e, "generation 1/2"));
    assert_non_null(strstr(e, "generation 2/2"));
    assert_non_null(strstr(o, "test accuracy"));
    assert_non_null(strstr(o, "learning_rate"));
    free(o);
    free(e);
    /* --quiet silences progress */
    snprintf(args, sizeof args, "run %s --out %s --set ga.generations=1 --quiet", cfg, out);
    o = run_ok(args, &e);
    assert_string_equal(e, "");
    free(o);
    free(e);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls '%s/results' | grep -q tmp", dir);
    assert_int_not_equal(system(cmd), 0);
}

/* A time-limited run keeps time back for its finalists: the search stops early enough that they are
 * decided before the limit, and the best is a finalist run. */
static void test_time_limit_keeps_finalists(void **state)
{
    (void)state;
    char args[600], out[200];
    snprintf(out, sizeof out, "%s/limit-finalists.h5", dir);
    snprintf(args, sizeof args, "run %s/configs/default.cfg --set 'data.train=\"%s/datasets/iris.csv\"' "
             "--set 'search.epochs={min=2;max=6;}' --max-trials 100000 --time-limit 3s --threads 2 --out %s "
             "--quiet", EVOTUNE_SOURCE_DIR, EVOTUNE_SOURCE_DIR, out);
    free(run_ok(args, NULL));
    snprintf(args, sizeof args, "info %s", out);
    char *o = run_ok(args, NULL);
    assert_non_null(strstr(o, "state:        finished"));
    assert_non_null(strstr(o, "finalists:    5 genomes, "));
    free(o);
}

/* run.time_limit: no network starts after it, the run finishes (best scored, time_up recorded) with
 * fewer networks than its budget, and a resume with a larger limit goes on from there; a bad duration
 * is one line and exit 2. Without finalists, whose time the limit keeps back (a resume that extends a
 * run chooses them again: test_time_limit_keeps_finalists). */
static void test_time_limit(void **state)
{
    (void)state;
    char cfg[200], args[600], out[200];
    snprintf(cfg, sizeof cfg, "%s/limit.cfg", dir);
    snprintf(out, sizeof out, "%s/limit.h5", dir);
    char text[300];
    snprintf(text, sizeof text, "data = { train = \"%s/datasets/digits.csv\"; };\nsearch = { epochs = 40; };\n"
             "finalists = { count = 0; };\n", EVOTUNE_SOURCE_DIR);
    support_write(cfg, text);
    snprintf(args, sizeof args, "run %s --out %s --max-trials 100000 --time-limit 1s --threads 2 --quiet", cfg, out);
    char *e, *o = run_ok(args, &e);
    assert_non_null(strstr(o, "run.time_limit 0:01 reached: no network started after it"));
    assert_non_null(strstr(o, "test accuracy"));
    free(o);
    free(e);
    snprintf(args, sizeof args, "info %s", out);
    assert_int_equal(support_run(dir, args, &o, &e), 0);
    assert_non_null(strstr(o, "state:        finished"));
    assert_non_null(strstr(o, "of the limit 0:01"));
    long first = 0;
    const char *n = strstr(o, "networks:");
    assert_non_null(n);
    char *rest;
    first = strtol(n + strlen("networks:"), &rest, 10);
    assert_true(first > 0 && first < 100000);
    /* the trials decided ahead (16 virtual workers, 2 threads) that the limit dropped are still in
     * flight for the file: a resume trains them first */
    assert_true(!strncmp(rest, " finished, ", 11) && strtol(rest + 11, NULL, 10) > 0);
    free(o);
    free(e);
    /* extended by a larger limit: more networks, finished again */
    snprintf(args, sizeof args, "resume %s --time-limit 2s --quiet", out);
    free(run_ok(args, NULL));
    snprintf(args, sizeof args, "info %s", out);
    o = run_ok(args, NULL);
    n = strstr(o, "networks:");
    assert_non_null(n);
    assert_true(strtol(n + strlen("networks:"), NULL, 10) > first);
    assert_non_null(strstr(o, "state:        finished"));
    free(o);
    /* the same limit again: nothing left to do */
    snprintf(args, sizeof args, "resume %s", out);
    assert_int_equal(support_run(dir, args, &o, &e), 0);
    assert_non_null(strstr(o, "already finished"));
    free(o);
    free(e);
    /* a steady_state run's budget is networks: --generations is refused in the options' terms */
    snprintf(args, sizeof args, "resume %s --generations 5", out);
    expect_error(args, 2, "--generations: ", "is a steady_state run, whose budget is --max-trials N");
    snprintf(args, sizeof args, "run %s --out %s --time-limit 8x", cfg, out);
    expect_error(args, 2, "key 'run.time_limit': expected a duration", "got \"8x\"");
    expect_usage("resume x.h5 --time-limit soon", "option '--time-limit' needs a duration");
}

static void test_config_subcommand(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(support_run(dir, "config --template", &out, &err), 0);
    char *tmpl = support_read(EVOTUNE_SOURCE_DIR "/configs/default.cfg");
    assert_string_equal(out, tmpl);
    free(tmpl);
    free(out);
    free(err);
    char args[300];
    snprintf(args, sizeof args, "config %s/configs/default.cfg --set ga.population=48", EVOTUNE_SOURCE_DIR);
    assert_int_equal(support_run(dir, args, &out, &err), 0);
    assert_non_null(strstr(out, "population = 48"));
    free(out);
    free(err);
}

/* On a terminal progress is a bar redrawn in place; a redirected log gets plain lines only. `script` (util-linux) gives the run a pseudo-terminal. */
static void test_progress_bar_on_terminal_only(void **state)
{
    (void)state;
    if (system("command -v script >/dev/null 2>&1") != 0)
        skip();
    char cfg[200], args[700], cmd[1200], log[200];
    snprintf(cfg, sizeof cfg, "%s/bar.cfg", dir);
    snprintf(log, sizeof log, "%s/tty.log", dir);
    char text[400];
    snprintf(text, sizeof text,
             "data = { train = \"%s/datasets/digits.csv\"; };\nsearch = { epochs = 60; neurons = 64; };\n"
             "ga = { population = 6; generations = 2; };\nrun = { strategy = \"generational\"; threads = 2; };\n",
             EVOTUNE_SOURCE_DIR);
    support_write(cfg, text);
    snprintf(args, sizeof args, "run %s --out %s/bar.h5", cfg, dir);
    snprintf(cmd, sizeof cmd, "TERM=xterm script -qec '%s %s' /dev/null > %s 2>&1 </dev/null", EVOTUNE_BINARY,
             args, log);
    assert_int_equal(system(cmd), 0);
    char *tty = support_read(log);
    assert_non_null(strstr(tty, "\r\033[Kgenerational ["));
    assert_non_null(strstr(tty, "evaluations/s  ETA"));
    assert_non_null(strstr(tty, "generation 2/2  best"));
    free(tty);
    char *out, *err;
    assert_int_equal(support_run(dir, args, &out, &err), 0);
    assert_null(strchr(err, '\r'));
    assert_null(strchr(err, '\033'));
    assert_non_null(strstr(err, "generation 1/2  best"));
    assert_int_equal(support_count_lines(err), 3); /* the data line and one per generation */
    free(out);
    free(err);
}

/* run.max_params: too-large genomes are recorded with status too_large (an enum name that export
 * reads back), counted as failures in the progress line, and the file resumes; a run where every
 * genome is too large finishes without a best. */
static void test_too_large_round_trip(void **state)
{
    (void)state;
    char cfg[200], out[200], args[900], csv[200];
    snprintf(cfg, sizeof cfg, "%s/big.cfg", dir);
    snprintf(out, sizeof out, "%s/big.h5", dir);
    support_write(cfg, TINY_CONFIG);
    snprintf(args, sizeof args, "run %s --out %s --set run.max_params=200 --set ga.generations=2", cfg, out);
    char *e, *o = run_ok(args, &e);
    assert_non_null(strstr(e, "generation 2/2"));
    assert_non_null(strstr(o, "test accuracy"));
    free(o);
    free(e);
    snprintf(args, sizeof args, "export %s --csv %s/csv", out, dir);
    assert_int_equal(support_run(dir, args, NULL, NULL), 0);
    snprintf(csv, sizeof csv, "%s/csv/individuals.csv", dir);
    char *text = support_read(csv);
    assert_non_null(strstr(text, ",too_large"));
    free(text);
    snprintf(args, sizeof args, "resume %s --generations 3", out);
    o = run_ok(args, &e);
    assert_non_null(strstr(e, "generation 3/3"));
    free(o);
    free(e);

    snprintf(args, sizeof args, "run %s --out %s --set run.max_params=1 --set ga.generations=1", cfg, out);
    o = run_ok(args, &e);
    assert_non_null(strstr(o, "no network trained successfully: all 8 failed"));
    assert_non_null(strstr(e, "8 failed"));
    free(o);
    free(e);
    snprintf(args, sizeof args, "info %s", out);
    assert_int_equal(support_run(dir, args, NULL, NULL), 0);
    snprintf(args, sizeof args, "report %s -o %s/big.html", out, dir);
    assert_int_equal(support_run(dir, args, NULL, NULL), 0);
}

/* A search space whose workspaces would be absurd is refused before training: exit 2, one line
 * naming the limit and the keys, no results file. */
static void test_absurd_space(void **state)
{
    (void)state;
    char cfg[200], args[900], out[200];
    snprintf(cfg, sizeof cfg, "%s/absurd.cfg", dir);
    snprintf(out, sizeof out, "%s/absurd.h5", dir);
    support_write(cfg, TINY_CONFIG);
    snprintf(args, sizeof args, "run %s --out %s --set search.batch_size=65536 --set search.neurons=4096 "
             "--set search.hidden_layers=8", cfg, out);
    expect_error(args, 2, "run.max_memory", "search.batch_size up to 65536");
    assert_false(exists(out));
}

/* data.image_shape whose H x W is not the data's feature count: exit 2 naming the key. */
static void test_image_shape_mismatch(void **state)
{
    (void)state;
    char cfg[200], args[600];
    snprintf(cfg, sizeof cfg, "%s/shape.cfg", dir);
    support_write(cfg, TINY_CONFIG);
    snprintf(args, sizeof args, "run %s --out %s/shape.h5 --set 'data.image_shape=[3, 3]'", cfg, dir);
    expect_error(args, 2, "data.image_shape [3, 3] does not fit", "4 features");
}

/* EVOTUNE_ISA naming no kernel table is a usage error. */
static void test_unknown_isa(void **state)
{
    (void)state;
    char cfg[200], args[600];
    snprintf(cfg, sizeof cfg, "%s/isa.cfg", dir);
    support_write(cfg, TINY_CONFIG);
    snprintf(args, sizeof args, "run %s --out %s/isa.h5", cfg, dir);
    setenv("EVOTUNE_ISA", "sse9", 1);
    expect_error(args, 2, "sse9", NULL);
    unsetenv("EVOTUNE_ISA");
}

/* Degenerate data sets: no rows, one class, no feature, too few rows to split; each exits 2 with one
 * line naming the file. */
static void test_degenerate_data(void **state)
{
    (void)state;
    static const struct {
        const char *name, *csv, *needle;
    } cases[] = {
        {"rows0.csv", "a,b,label\n", "only a header row"},
        {"class1.csv", "a,label\n1,x\n2,x\n3,x\n4,x\n5,x\n", "single class"},
        {"feat0.csv", "label\nx\ny\nx\ny\n", "at least one feature"},
        {"rows2.csv", "a,label\n1,x\n2,y\n", "split would be empty"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char csv[200], cfg[200], text[600], args[900];
        snprintf(csv, sizeof csv, "%s/%s", dir, cases[k].name);
        snprintf(cfg, sizeof cfg, "%s/degenerate.cfg", dir);
        support_write(csv, cases[k].csv);
        snprintf(text, sizeof text, "data = { train = \"%s\"; };\nrun = { max_trials = 2; };\n",
                 csv);
        support_write(cfg, text);
        snprintf(args, sizeof args, "run %s --out %s/degenerate.h5", cfg, dir);
        expect_error(args, 2, cases[k].name, cases[k].needle);
    }
}

/* A results file of format 6 (written by evotune 0.2.0 before the layer table; a dense network)
 * still works: info, export, report and predict read it (predict reproduces its recorded test
 * accuracy exactly), and resume continues it, as format 7. */
static void test_format6_file(void **state)
{
    (void)state;
    char copy[200], args[900], csv[200];
    snprintf(copy, sizeof copy, "%s/old.h5", dir);
    /* its config names the data relative to the directory it ran in */
    snprintf(args, sizeof args, "cp %s/tests/fixtures/format6-iris.h5 %s && mkdir -p %s/datasets && cp %s/datasets/iris.csv %s/datasets/",
             EVOTUNE_SOURCE_DIR, copy, dir, EVOTUNE_SOURCE_DIR, dir);
    assert_int_equal(system(args), 0);
    char here[4096];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(dir), 0);
    char *o, *e;
    snprintf(args, sizeof args, "info %s", copy);
    assert_int_equal(support_run(dir, args, &o, &e), 0);
    assert_non_null(strstr(o, "format 6"));
    free(o), free(e);
    snprintf(args, sizeof args, "export %s --csv %s/old-csv", copy, dir);
    assert_int_equal(support_run(dir, args, NULL, NULL), 0);
    snprintf(args, sizeof args, "report %s -o %s/old.html", copy, dir);
    assert_int_equal(support_run(dir, args, NULL, NULL), 0);
    snprintf(csv, sizeof csv, "%s/old-test.csv", dir);
    snprintf(args, sizeof args, "export %s --split test --out %s", copy, csv);
    free(run_ok(args, NULL));
    snprintf(args, sizeof args, "predict %s %s --out %s/old-pred.csv", copy, csv, dir);
    assert_int_equal(support_run(dir, args, &o, &e), 0);
    /* the recorded figure, as info prints it, and predict's summary agree */
    assert_true(strstr(o, "accuracy 0.8667") || strstr(e, "accuracy 0.8667"));
    free(o), free(e);
    snprintf(args, sizeof args, "resume %s --max-trials 9", copy);
    free(run_ok(args, NULL));
    snprintf(args, sizeof args, "info %s", copy);
    assert_int_equal(support_run(dir, args, &o, &e), 0);
    assert_non_null(strstr(o, "format 9"));
    /* its configuration has no finalists group: the default, 5 finalists x 3 runs, follow the 9 */
    assert_non_null(strstr(o, "24 finished"));
    assert_non_null(strstr(o, "finalists:    5 genomes, 15 runs; winner: network "));
    assert_non_null(strstr(o, ", the closest to that mean; test accuracy 0."));
    free(o), free(e);
    assert_int_equal(chdir(here), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test(test_option_parser),
        cmocka_unit_test(test_malformed_config),
        cmocka_unit_test(test_bad_data),
        cmocka_unit_test(test_successful_run),
        cmocka_unit_test(test_config_subcommand),
        cmocka_unit_test(test_progress_bar_on_terminal_only),
        cmocka_unit_test(test_too_large_round_trip),
        cmocka_unit_test(test_format6_file),
        cmocka_unit_test(test_absurd_space),
        cmocka_unit_test(test_degenerate_data),
        cmocka_unit_test(test_unknown_isa),
        cmocka_unit_test(test_image_shape_mismatch),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_time_limit_keeps_finalists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
