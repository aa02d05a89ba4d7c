/* evotune report FILE [-o report.html]: one self-contained HTML page about a results file, finished or
 * still running; by default FILE with .h5 replaced by .html. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "evotune/report.h"
#include "evotune/results.h"
#include "cli.h"

struct report_args {
    const char *path, *out;
};

static const struct cli_option options[] = {
    {"--out", "-o", CLI_TEXT, offsetof(struct report_args, out), NULL, "FILE", NULL},
    {NULL},
};

static int cmd_report(int argc, char **argv)
{
    struct report_args a = {NULL, NULL};
    int code = cli_parse(argc, argv, options, &a, &a.path, 1);
    if (code)
        return code;
    const char *path = a.path, *out = a.out;
    if (!path)
        return cli_usage_error("missing results FILE");
    char *derived = out ? NULL : evo_report_default_path(path);
    if (!out)
        out = derived;
    struct evo_error err = {0};
    struct evo_results r;
    int rc = evo_results_open(&r, path, &err);
    if (!rc) {
        rc = evo_report_save(&r, out, &err);
        evo_results_release(&r);
    }
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    else
        printf("%s\n", out);
    free(derived);
    return evo_error_exit_code(rc);
}

const struct cli_command cli_cmd_report = {
    "report", cmd_report, options,
    "report writes one self-contained HTML page (inline SVG plots, no network) about FILE, finished\n"
    "or still running: fitness over trials and time, each gene against fitness, the top networks, the\n"
    "best's ancestry and its test metrics; default output FILE with .h5 replaced by .html.\n",
    NULL,
};
