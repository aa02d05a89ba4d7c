/* evotune predict FILE DATA [--labels IDX_LABELS] [--out predictions.csv]: the best model of a
 * results file applied to new data, with the standardisation recorded at training time; the
 * predictions as CSV, and the metrics and confusion matrix when DATA has labels. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "evotune/apply.h"
#include "evotune/file.h"
#include "cli.h"

struct predict_options {
    const char *pos[2]; /* FILE, DATA */
    const char *labels, *out;
};

static const struct cli_option options[] = {
    {"--labels", NULL, CLI_TEXT, offsetof(struct predict_options, labels), NULL, "IDX_LABELS", NULL},
    {"--out", "-o", CLI_TEXT, offsetof(struct predict_options, out), NULL, "FILE", NULL},
    {NULL},
};

static void print_metrics(FILE *f, const struct evo_apply_summary *s, const char *data)
{
    if (s->regression) {
        fprintf(f, "%s: %zu rows, RMSE %.6g, MAE %.6g, R2 %.4f\n", data, s->n, s->rmse, s->mae, s->r2);
        return;
    }
    fprintf(f, "%s: %zu rows, accuracy %.4f, log-loss %.4f\n", data, s->n, s->accuracy, s->log_loss);
    fprintf(f, "confusion matrix (rows: true class, columns: predicted)\n%12s", "");
    for (int c = 0; c < s->n_classes; c++)
        fprintf(f, " %8.8s", s->class_names[c]);
    fputc('\n', f);
    for (int a = 0; a < s->n_classes; a++) {
        fprintf(f, "%12.12s", s->class_names[a]);
        for (int c = 0; c < s->n_classes; c++)
            fprintf(f, " %8lld", (long long)s->confusion[a * s->n_classes + c]);
        fputc('\n', f);
    }
}

struct predict_args {
    const char *model, *data, *labels;
    struct evo_apply_summary *s;
};

static int write_predictions(void *ctx, FILE *f, struct evo_error *err)
{
    const struct predict_args *p = ctx;
    return evo_apply_file(p->model, p->data, p->labels, f, p->s, err);
}

static int cmd_predict(int argc, char **argv)
{
    struct predict_options a = {{NULL, NULL}, NULL, NULL};
    int code = cli_parse(argc, argv, options, &a, a.pos, 2);
    if (code)
        return code;
    const char *model = a.pos[0], *data = a.pos[1], *labels = a.labels, *out = a.out;
    if (!model || !data)
        return cli_usage_error("usage: evotune predict FILE DATA [--labels IDX_LABELS] [--out predictions.csv]");
    struct evo_error err = {0};
    struct evo_apply_summary s;
    struct predict_args p = {model, data, labels, &s};
    memset(&s, 0, sizeof s);
    int rc = out ? evo_file_save(out, write_predictions, &p, &err) : write_predictions(&p, stdout, &err);
    if (rc) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        evo_apply_summary_release(&s); /* filled when only the publication failed */
        return evo_error_exit_code(rc);
    }
    if (s.labelled)
        print_metrics(out ? stdout : stderr, &s, data);
    evo_apply_summary_release(&s);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_predict = {
    "predict", cmd_predict, options,
    "predict applies the best model of FILE, with the standardisation recorded at training time, to\n"
    "DATA (CSV, or IDX images with --labels); writes the predicted class and the class probabilities\n"
    "as CSV (stdout unless --out), or for a regression model the predicted value; when DATA has\n"
    "labels, prints accuracy, log-loss and the confusion matrix (regression: RMSE, MAE and R2).\n",
    NULL,
};
