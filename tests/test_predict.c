/* Tests of applying a stored model: `evotune predict` on the test split of a real run on the shipped
 * digits set reproduces the recorded test accuracy and confusion matrix exactly; unlabelled data,
 * mismatched features and unknown classes; and the exports that go with it. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "evotune/h5.h"
#include "evotune/apply.h"
#include "evotune/results.h"
#include "support.h"

static char dir[64], model[128], test_csv[128], conv_model[128], conv_test_csv[128];

/* A short search on the shipped digits set, with the options sets, written to out; prints the CLI's
 * errors when it fails. */
static int search_digits(const char *out, const char *sets)
{
    char *err;
    int rc = support_runf(dir, NULL, &err,
                          "run %s/configs/default.cfg --set 'data.train=\"%s/datasets/digits.csv\"' %s --out %s --quiet",
                          EVOTUNE_SOURCE_DIR, EVOTUNE_SOURCE_DIR, sets, out);
    if (rc)
        fprintf(stderr, "run of %s failed: %s\n", out, err);
    free(err);
    return rc;
}

/* Short searches on digits, one of them with conv blocks, and their test splits exported as files. */
static int setup(void **state)
{
    (void)state;
    evo_h5_init();
    if (!support_tempdir(dir, sizeof dir))
        return -1;
    snprintf(model, sizeof model, "%s/digits.h5", dir);
    snprintf(test_csv, sizeof test_csv, "%s/test.csv", dir);
    if (search_digits(model, "--set ga.population=4 --max-trials 8 --set 'search.epochs={min=2;max=4;}' "
                             "--set 'search.neurons={min=16;max=48;}'") ||
        support_runf(dir, NULL, NULL, "export %s --split test --out %s", model, test_csv))
        return -1;
    /* a model with conv blocks: the digits as 8 x 8 images */
    snprintf(conv_model, sizeof conv_model, "%s/conv.h5", dir);
    snprintf(conv_test_csv, sizeof conv_test_csv, "%s/conv_test.csv", dir);
    if (search_digits(conv_model, "--set 'data.image_shape=[8, 8]' --max-trials 4 --set 'search.epochs=3' "
                                  "--set 'search.conv_blocks={min=1;max=2;}' --set 'search.filters={min=2;max=6;}' "
                                  "--set 'search.batch_norm={choice=[\"off\",\"on\"];}'"))
        return -1;
    return support_runf(dir, NULL, NULL, "export %s --split test --out %s", conv_model, conv_test_csv);
}

static int teardown(void **state)
{
    (void)state;
    support_rmdir(dir);
    return 0;
}

/* Applies the model in model_path to data, the predictions written to path; returns evo_apply_file's
 * status. */
static int apply(const char *model_path, const char *data, const char *path, struct evo_apply_summary *s,
                 struct evo_error *err)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    int rc = evo_apply_file(model_path, data, NULL, f, s, err);
    fclose(f);
    return rc;
}

/* Applies the digits model to data, the predictions written to dir/pred.csv. */
static int predict(const char *data, struct evo_apply_summary *s, struct evo_error *err)
{
    char out[160];
    snprintf(out, sizeof out, "%s/pred.csv", dir);
    return apply(model, data, out, s, err);
}

static void test_reproduces_recorded_test_accuracy(void **state)
{
    (void)state;
    struct evo_error err = {0};
    struct evo_apply_summary s;
    assert_int_equal(predict(test_csv, &s, &err), EVO_OK);
    assert_true(s.labelled);
    assert_int_equal(s.n_classes, 10);
    hid_t f = H5Fopen(model, H5F_ACC_RDONLY, H5P_DEFAULT);
    double recorded;
    long long n_test;
    assert_true(H5LTget_attribute_double(f, "best", "test_accuracy", &recorded) >= 0);
    assert_true(H5LTget_attribute_long_long(f, "/", "n_test", &n_test) >= 0);
    int64_t confusion[100];
    assert_true(H5LTread_dataset_long(f, "best/confusion_matrix", (long *)confusion) >= 0);
    H5Fclose(f);
    assert_int_equal(s.n, (size_t)n_test);
    assert_memory_equal(&s.accuracy, &recorded, sizeof recorded); /* exactly, bit for bit */
    assert_memory_equal(s.confusion, confusion, sizeof confusion);
    assert_true(s.accuracy > 0.5);
    evo_apply_summary_release(&s);
}

/* The same for a network with conv blocks, rebuilt from /best/layers: accuracy, log-loss (a sum over
 * every row's probability of its label) and the confusion matrix exactly as recorded. */
static void test_conv_model_reproduces_recorded_metrics(void **state)
{
    (void)state;
    struct evo_error err = {0};
    struct evo_apply_summary s;
    char out[160];
    snprintf(out, sizeof out, "%s/conv_pred.csv", dir);
    assert_int_equal(apply(conv_model, conv_test_csv, out, &s, &err), EVO_OK);
    hid_t f = H5Fopen(conv_model, H5F_ACC_RDONLY, H5P_DEFAULT);
    double acc, log_loss;
    long long blocks;
    assert_true(H5LTget_attribute_double(f, "best", "test_accuracy", &acc) >= 0);
    assert_true(H5LTget_attribute_double(f, "best", "test_log_loss", &log_loss) >= 0);
    assert_true(H5LTget_attribute_long_long(f, "best", "conv_blocks", &blocks) >= 0);
    int64_t confusion[100];
    assert_true(H5LTread_dataset_long(f, "best/confusion_matrix", (long *)confusion) >= 0);
    H5Fclose(f);
    assert_true(blocks >= 1);
    assert_memory_equal(&s.accuracy, &acc, sizeof acc);
    assert_memory_equal(&s.log_loss, &log_loss, sizeof log_loss);
    assert_memory_equal(s.confusion, confusion, sizeof confusion);
    assert_true(s.accuracy > 0.5);
    evo_apply_summary_release(&s);
}

/* Rewrites test.csv through a line filter (awk program) into name; returns its path. */
static const char *rewrite(const char *name, const char *awk)
{
    static char path[200];
    char cmd[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(cmd, sizeof cmd, "awk -F, -v OFS=, '%s' %s > %s", awk, test_csv, path);
    assert_int_equal(system(cmd), 0);
    return path;
}

static void test_unlabelled_data(void **state)
{
    (void)state;
    struct evo_error err = {0};
    struct evo_apply_summary a, b;
    assert_int_equal(predict(test_csv, &a, &err), EVO_OK);
    char labelled[200];
    snprintf(labelled, sizeof labelled, "%s/pred.csv", dir);
    char *with = support_read(labelled);
    const char *p = rewrite("nolabel.csv", "{NF--; print}");
    assert_int_equal(predict(p, &b, &err), EVO_OK);
    assert_false(b.labelled);
    assert_int_equal(b.n, a.n);
    /* the same predictions, without the label column */
    char *without = support_read(labelled);
    const char *w = strchr(with, '\n'), *o = strchr(without, '\n');
    assert_non_null(strstr(without, "predicted,p_0"));
    int rows = 0;
    while (w && o && w[1]) {
        const char *wc = strchr(w + 1, ','); /* skip the label */
        size_t len = (size_t)(strchr(o + 1, '\n') - (o + 1));
        assert_memory_equal(wc + 1, o + 1, len);
        w = strchr(w + 1, '\n');
        o = strchr(o + 1, '\n');
        rows++;
    }
    assert_int_equal(rows, (int)a.n);
    free(with);
    free(without);
    evo_apply_summary_release(&a);
    evo_apply_summary_release(&b);
}

static void test_refuses_mismatched_data(void **state)
{
    (void)state;
    struct evo_error err = {0};
    struct evo_apply_summary s;
    /* a feature missing */
    assert_int_equal(predict(rewrite("short.csv", "{$1=\"\"; sub(/^,/, \"\"); print}"), &s, &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "63 features"));
    assert_non_null(strstr(err.msg, "expects 64"));
    /* a feature renamed */
    assert_int_equal(predict(rewrite("renamed.csv", "NR == 1 {$3 = \"ink\"} {print}"), &s, &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "feature 3 is 'ink'"));
    assert_non_null(strstr(err.msg, "'pixel_2'"));
    /* a class the model never saw */
    assert_int_equal(predict(rewrite("newclass.csv", "NR == 2 {$NF = \"eleven\"} {print}"), &s, &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "'eleven'"));
    /* not a results file */
    FILE *f = fopen(test_csv, "r");
    fclose(f);
    assert_int_equal(evo_apply_file(test_csv, test_csv, NULL, stdout, &s, &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "not an HDF5 file"));
}

static void test_cli_predict_and_exports(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(support_runf(dir, &out, &err, "predict %s %s --out %s/p.csv", model, test_csv, dir), 0);
    assert_non_null(strstr(out, "accuracy"));
    assert_non_null(strstr(out, "confusion matrix"));
    free(out);
    free(err);
    assert_int_equal(support_runf(dir, &out, &err, "predict %s %s/none.csv", model, dir), 2);
    assert_int_equal(support_count_lines(err), 1);
    free(out);
    free(err);

    assert_int_equal(support_runf(dir, NULL, NULL, "export %s --csv %s/csv", model, dir), 0);
    char p[200];
    snprintf(p, sizeof p, "%s/csv/individuals.csv", dir);
    char *csv = support_read(p);
    assert_true(!strncmp(csv, "generation,id,parent_a,parent_b,learning_rate,", 46));
    struct evo_results r;
    struct evo_error e = {0};
    assert_int_equal(evo_results_open(&r, model, &e), EVO_OK);
    assert_int_equal(support_count_lines(csv), (int)r.individuals.n_rows + 1);
    assert_true(strstr(csv, ",relu,") || strstr(csv, ",tanh,") || strstr(csv, ",sigmoid,"));
    free(csv);
    assert_int_equal(support_runf(dir, NULL, NULL, "export %s --jsonl %s/i.jsonl", model, dir), 0);
    snprintf(p, sizeof p, "%s/i.jsonl", dir);
    char *jl = support_read(p);
    assert_int_equal(support_count_lines(jl), (int)r.individuals.n_rows);
    assert_true(!strncmp(jl, "{\"generation\": 0, \"id\": 0,", 26));
    assert_non_null(strstr(jl, "\"status\": \"ok\""));
    free(jl);
    evo_results_release(&r);
    /* usage errors */
    assert_int_equal(support_runf(dir, NULL, NULL, "export %s", model), 2);
    assert_int_equal(support_runf(dir, NULL, NULL, "export %s --split holdout --out x.csv", model), 2);
}

/* A regression model (a short search on diabetes): predict on its exported test split reproduces the
 * recorded test RMSE, MAE and R^2 exactly, writes a value column, and without the target column
 * predicts values alone. */
static void test_regression_model(void **state)
{
    (void)state;
    char rmodel[160], rtest[160], unl[160], cmd[600], *out, *err;
    snprintf(rmodel, sizeof rmodel, "%s/diabetes.h5", dir);
    snprintf(rtest, sizeof rtest, "%s/diabetes-test.csv", dir);
    snprintf(unl, sizeof unl, "%s/diabetes-unlabelled.csv", dir);
    assert_int_equal(support_runf(dir, NULL, NULL,
                                  "run %s/configs/diabetes.cfg --set 'data.train=\"%s/datasets/diabetes.csv\"' "
                                  "--set ga.population=4 --max-trials 8 --set 'search.epochs={min=5;max=20;}' "
                                  "--out %s --quiet",
                                  EVOTUNE_SOURCE_DIR, EVOTUNE_SOURCE_DIR, rmodel),
                     0);
    assert_int_equal(support_runf(dir, NULL, NULL, "export %s --split test --out %s", rmodel, rtest), 0);

    struct evo_results r;
    struct evo_error e = {0};
    assert_int_equal(evo_results_open(&r, rmodel, &e), EVO_OK);
    assert_true(r.regression && r.n_classes == 0 && isfinite(r.test.rmse) && isnan(r.test.accuracy));
    /* info names the fitness and gives the test metrics of the task */
    assert_int_equal(support_runf(dir, &out, &err, "info %s", rmodel), 0);
    assert_non_null(strstr(out, "fitness (neg_rmse) -"));
    assert_non_null(strstr(out, "; test RMSE "));
    assert_null(strstr(out, "test accuracy"));
    free(out);
    free(err);
    struct evo_apply_summary s;
    char pred[200];
    snprintf(pred, sizeof pred, "%s/rpred.csv", dir);
    assert_int_equal(apply(rmodel, rtest, pred, &s, &e), EVO_OK);
    assert_true(s.regression && s.labelled);
    assert_int_equal(s.n, (size_t)r.n_test);
    assert_true(s.rmse == r.test.rmse && s.mae == r.test.mae && s.r2 == r.test.r2);
    evo_apply_summary_release(&s);
    char *text = support_read(pred);
    assert_true(!strncmp(text, "target,predicted\n", 17));
    assert_int_equal(support_count_lines(text), (int)r.n_test + 1);
    free(text);

    /* the CLI prints the metrics; without the target column only the predictions */
    assert_int_equal(support_runf(dir, &out, &err, "predict %s %s --out %s", rmodel, rtest, pred), 0);
    assert_non_null(strstr(out, "RMSE"));
    assert_non_null(strstr(out, "R2"));
    assert_null(strstr(out, "confusion"));
    free(out);
    free(err);
    snprintf(cmd, sizeof cmd, "cut -d, -f1-10 %s > %s", rtest, unl);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(apply(rmodel, unl, pred, &s, &e), EVO_OK);
    assert_true(s.regression && !s.labelled);
    evo_apply_summary_release(&s);
    text = support_read(pred);
    assert_true(!strncmp(text, "predicted\n", 10));
    free(text);
    evo_results_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reproduces_recorded_test_accuracy),
        cmocka_unit_test(test_conv_model_reproduces_recorded_metrics),
        cmocka_unit_test(test_unlabelled_data),
        cmocka_unit_test(test_refuses_mismatched_data),
        cmocka_unit_test(test_cli_predict_and_exports),
        cmocka_unit_test(test_regression_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
