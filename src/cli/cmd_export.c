/* evotune export FILE (--csv DIR | --jsonl OUT | --split NAME --out OUT.csv): the tables of a results
 * file as CSV or JSON lines, or a split of its data made again, for tools that read neither HDF5 nor
 * the file's enums. Every export goes through the file layer, never half-written. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "evotune/config.h"
#include "evotune/data.h"
#include "evotune/file.h"
#include "evotune/mem.h"
#include "evotune/problem.h"
#include "evotune/results.h"
#include "cli.h"

struct export_args {
    const char *path, *csv, *jsonl, *split, *out;
};

#define FIELD(f) offsetof(struct export_args, f)
static const struct cli_option options[] = {
    {"--csv", NULL, CLI_TEXT, FIELD(csv), NULL, "DIR",
     "DIR/individuals.csv and DIR/generations.csv (header row, choices as names),\n"
     "and DIR/folds.csv for a cross-validated run"},
    {"--jsonl", NULL, CLI_TEXT, FIELD(jsonl), NULL, "OUT", "one JSON object per individual (OUT '-' for stdout)"},
    {"--split", NULL, CLI_TEXT, FIELD(split), NULL, "NAME",
     "the train, validation or test split the run used, unstandardised, as CSV"},
    {"--out", "-o", CLI_TEXT, FIELD(out), NULL, "OUT.csv", NULL},
    {NULL},
};

/* The status of an export writer (0 or -1 with errno), as the file layer wants it. */
static int written(int rc, struct evo_error *err)
{
    return rc ? evo_error_set(err, EVO_EIO, "cannot write the export: %s", strerror(errno ? errno : EIO)) : EVO_OK;
}

static int write_csv_table(void *t, FILE *f, struct evo_error *err) { return written(evo_results_write_csv(t, f), err); }
static int write_jsonl_table(void *t, FILE *f, struct evo_error *err) { return written(evo_results_write_jsonl(t, f), err); }
static int write_dataset(void *ds, FILE *f, struct evo_error *err) { return written(evo_data_write_csv(ds, f), err); }

/* Writes an export through the file layer, so that it is never left half-written; "-" is stdout. */
static int write_file(const char *path, evo_file_writer fn, const void *what)
{
    struct evo_error err = {0};
    int rc;
    if (strcmp(path, "-"))
        rc = evo_file_save(path, fn, (void *)what, &err);
    else if (!(rc = fn((void *)what, stdout, &err)))
        rc = written(fflush(stdout), &err);
    if (rc)
        fprintf(stderr, "evotune: %s\n", err.msg);
    return rc;
}

/* The raw split `name` of the run in `path`, made again from its configuration and data files. */
static int export_split(const char *path, const char *name, const char *out)
{
    struct evo_error err = {0};
    struct evo_results r;
    if (strcmp(name, "train") && strcmp(name, "validation") && strcmp(name, "test"))
        return cli_usage_error("--split '%s': expected train, validation or test", name);
    if (evo_results_open(&r, path, &err)) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return CLI_EXIT_USAGE;
    }
    const char *raw = "data.standardize = false";
    struct evo_config cfg;
    struct evo_problem pb;
    int rc = evo_config_load_string(&cfg, r.config, path, &raw, 1, &err);
    if (!rc) {
        rc = evo_problem_load(&pb, &cfg, &err);
        if (!rc && pb.n_folds && !strcmp(name, "validation")) {
            rc = evo_error_set(&err, EVO_EUSAGE, "'%s' is cross-validated (data.folds = %zu): it has no "
                               "validation split; its folds share the rows of --split train", path, pb.n_folds);
            evo_problem_release(&pb);
        } else if (!rc) {
            const struct evo_dataset *ds = !strcmp(name, "train") ? &pb.train
                                           : !strcmp(name, "validation") ? &pb.validation : evo_problem_test(&pb);
            rc = write_file(out, write_dataset, ds) ? EVO_EIO : EVO_OK;
            evo_problem_release(&pb);
        }
        evo_config_release(&cfg);
    }
    if (rc && rc != EVO_EIO)
        fprintf(stderr, "evotune: %s\n", err.msg);
    evo_results_release(&r);
    return evo_error_exit_code(rc);
}

static int cmd_export(int argc, char **argv)
{
    struct export_args a = {0};
    int code = cli_parse(argc, argv, options, &a, &a.path, 1);
    if (code)
        return code;
    if (!a.path)
        return cli_usage_error("missing results FILE");
    if (!!a.csv + !!a.jsonl + !!a.split != 1)
        return cli_usage_error("export needs exactly one of --csv DIR, --jsonl OUT, --split NAME");
    if (a.split && !a.out)
        return cli_usage_error("--split needs --out OUT.csv");
    const char *path = a.path, *csv = a.csv, *jsonl = a.jsonl;
    if (a.split)
        return export_split(path, a.split, a.out);
    struct evo_error err = {0};
    struct evo_results r;
    if (evo_results_open(&r, path, &err)) {
        fprintf(stderr, "evotune: %s\n", err.msg);
        return CLI_EXIT_USAGE;
    }
    int rc = 0;
    if (jsonl) {
        rc = write_file(jsonl, write_jsonl_table, &r.individuals);
    } else {
        size_t n = strlen(csv) + 32;
        char *p = evo_mem_alloc(n);
        if (mkdir(csv, 0777) && errno != EEXIST) {
            fprintf(stderr, "evotune: cannot create '%s': %s\n", csv, strerror(errno));
            rc = -1;
        }
        snprintf(p, n, "%s/individuals.csv", csv);
        rc = rc ? rc : write_file(p, write_csv_table, &r.individuals);
        snprintf(p, n, "%s/generations.csv", csv);
        rc = rc ? rc : write_file(p, write_csv_table, &r.generations);
        if (r.folds.n_cols) { /* cross-validated runs */
            snprintf(p, n, "%s/folds.csv", csv);
            rc = rc ? rc : write_file(p, write_csv_table, &r.folds);
        }
        free(p);
    }
    evo_results_release(&r);
    return rc ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

const struct cli_command cli_cmd_export = {
    "export", cmd_export, options,
    "export writes the tables of a results file for tools that read neither HDF5 nor the file's enums:\n",
    NULL,
};
