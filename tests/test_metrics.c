/* Tests of the metrics module: every classification and regression metric against values computed by
 * hand on small examples (macro-F1 with a class never predicted and one absent, R^2 of a perfect, a
 * mean-only and a constant-target prediction), accumulation over batches, and the fitness's
 * orientation and names. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "evotune/metrics.h"

static void expect_near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.12g, want %.12g", what, got, want);
}

/* 5 rows, classes 0..2 of C = 4 (class 3 occurs neither as label nor as prediction, class 2 is a
 * label never predicted), in two batches of 3 and 2 rows. */
static void test_classification(void **state)
{
    (void)state;
    const float probs[5 * 4] = {
        0.7f, 0.2f, 0.1f, 0.0f, /* y 0, predicted 0 */
        0.6f, 0.3f, 0.1f, 0.0f, /* y 1, predicted 0 */
        0.1f, 0.8f, 0.1f, 0.0f, /* y 1, predicted 1 */
        0.5f, 0.4f, 0.1f, 0.0f, /* y 2, predicted 0 */
        0.2f, 0.7f, 0.1f, 0.0f, /* y 1, predicted 1 */
    };
    const int32_t y[5] = {0, 1, 1, 2, 1};
    size_t counts[3 * 4];
    struct evo_metrics_acc acc;
    evo_metrics_acc_init(&acc, 4, counts);
    evo_metrics_add_classes(&acc, probs, y, 3, 1.0);
    evo_metrics_add_classes(&acc, probs + 3 * 4, y + 3, 2, 2.0);
    struct evo_metrics m;
    evo_metrics_finish(&acc, &m);
    expect_near(m.accuracy, 0.6, 1e-15, "accuracy");
    /* F1: class 0 2*1/(1+3) = 0.5, class 1 2*2/(3+2) = 0.8, class 2 0 (never predicted); class 3 has
     * no F1 at all and does not count */
    expect_near(m.macro_f1, (0.5 + 0.8 + 0.0) / 3, 1e-15, "macro_f1");
    double ll = -(log((double)0.7f) + log((double)0.3f) + log((double)0.8f) + log((double)0.1f) +
                  log((double)0.7f)) / 5;
    expect_near(m.log_loss, ll, 1e-12, "log_loss");
    expect_near(m.loss, (3 * 1.0 + 2 * 2.0) / 5, 1e-15, "loss (row-weighted batch means)");
    assert_true(isnan(m.rmse) && isnan(m.mae) && isnan(m.r2));
    expect_near(evo_metrics_fitness(&m, EVO_FITNESS_ACCURACY), 0.6, 1e-15, "fitness accuracy");
    expect_near(evo_metrics_fitness(&m, EVO_FITNESS_NEG_LOG_LOSS), -ll, 1e-12, "fitness neg_log_loss");
    assert_true(evo_metrics_fitness(&m, EVO_FITNESS_NEG_RMSE) == -INFINITY);

    /* a zero probability for the label is clamped, not infinite */
    const float zero[2] = {1.0f, 0.0f};
    const int32_t one[1] = {1};
    evo_metrics_acc_init(&acc, 2, counts);
    evo_metrics_add_classes(&acc, zero, one, 1, 0.0);
    evo_metrics_finish(&acc, &m);
    expect_near(m.log_loss, -log(1e-30), 1e-9, "clamped log_loss");
    expect_near(m.macro_f1, 0.0, 0.0, "macro_f1 of all wrong");
}

static void test_regression(void **state)
{
    (void)state;
    const float t[4] = {2, 2, 5, 3};
    const float pred[4] = {2.5f, 2, 4, 3}; /* errors 0.5, 0, -1, 0 */
    struct evo_metrics_acc acc;
    struct evo_metrics m;
    evo_metrics_acc_init(&acc, 0, NULL);
    evo_metrics_add_values(&acc, pred, t, 1, 4.0);
    evo_metrics_add_values(&acc, pred + 1, t + 1, 3, 0.0);
    evo_metrics_finish(&acc, &m);
    expect_near(m.rmse, sqrt(1.25 / 4), 1e-15, "rmse");
    expect_near(m.mae, 1.5 / 4, 1e-15, "mae");
    /* mean 3, SST 1 + 1 + 4 + 0 = 6 */
    expect_near(m.r2, 1 - 1.25 / 6, 1e-15, "r2");
    expect_near(m.loss, 1.0, 1e-15, "loss");
    assert_true(isnan(m.accuracy) && isnan(m.macro_f1) && isnan(m.log_loss));
    expect_near(evo_metrics_fitness(&m, EVO_FITNESS_NEG_RMSE), -sqrt(1.25 / 4), 1e-15, "neg_rmse");
    expect_near(evo_metrics_fitness(&m, EVO_FITNESS_NEG_MAE), -0.375, 1e-15, "neg_mae");
    expect_near(evo_metrics_fitness(&m, EVO_FITNESS_R2), 1 - 1.25 / 6, 1e-15, "r2 fitness");
    assert_true(evo_metrics_fitness(&m, EVO_FITNESS_ACCURACY) == -INFINITY);

    /* predicting the mean scores R^2 0; a perfect prediction 1 */
    const float mean[4] = {3, 3, 3, 3};
    evo_metrics_acc_init(&acc, 0, NULL);
    evo_metrics_add_values(&acc, mean, t, 4, 0.0);
    evo_metrics_finish(&acc, &m);
    expect_near(m.r2, 0.0, 1e-15, "r2 of the mean");
    evo_metrics_acc_init(&acc, 0, NULL);
    evo_metrics_add_values(&acc, t, t, 4, 0.0);
    evo_metrics_finish(&acc, &m);
    assert_true(m.r2 == 1.0 && m.rmse == 0.0 && m.mae == 0.0);

    /* large targets: Welford keeps SST exact where sum of squares minus n mean^2 would not */
    const float big[3] = {1e6f + 1, 1e6f + 2, 1e6f + 3}, bigp[3] = {1e6f + 1, 1e6f + 2, 1e6f + 2};
    evo_metrics_acc_init(&acc, 0, NULL);
    evo_metrics_add_values(&acc, bigp, big, 3, 0.0);
    evo_metrics_finish(&acc, &m);
    expect_near(m.r2, 0.5, 1e-9, "r2 of large targets");

    /* constant targets have no R^2; it ranks last as a fitness */
    const float c[2] = {7, 7};
    evo_metrics_acc_init(&acc, 0, NULL);
    evo_metrics_add_values(&acc, pred, c, 2, 0.0);
    evo_metrics_finish(&acc, &m);
    assert_true(isnan(m.r2));
    assert_true(evo_metrics_fitness(&m, EVO_FITNESS_R2) == -INFINITY);

    /* nothing added: every metric NaN */
    evo_metrics_acc_init(&acc, 0, NULL);
    evo_metrics_finish(&acc, &m);
    assert_true(isnan(m.loss) && isnan(m.rmse) && isnan(m.r2) && isnan(m.accuracy));
}

static void test_names(void **state)
{
    (void)state;
    for (int f = 0; f < EVO_FITNESS_COUNT; f++)
        assert_int_equal(evo_metrics_fitness_find(evo_metrics_fitness_name(f)), f);
    assert_string_equal(evo_metrics_fitness_name(EVO_FITNESS_NEG_RMSE), "neg_rmse");
    assert_string_equal(evo_metrics_fitness_name(EVO_FITNESS_COUNT), "unknown");
    assert_int_equal(evo_metrics_fitness_find("rmse"), -1);
    assert_false(evo_metrics_is_regression(EVO_FITNESS_MACRO_F1));
    assert_true(evo_metrics_is_regression(EVO_FITNESS_R2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
