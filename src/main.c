/* The evotune command line's entry point: the command table (git's style: `evotune NAME ...` runs the
 * command NAME, one per file in src/cli/), --help and --version. Everything a command does is a call
 * into the core library; the exit codes are CLI_EXIT_* (src/cli/cli.h). */
#include <stdio.h>
#include <string.h>
#include "evotune/error.h"
#include "evotune/fault.h"
#include "evotune/h5.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "cli/cli.h"

static const struct cli_command *const commands[] = {
    &cli_cmd_run, &cli_cmd_resume, &cli_cmd_info, &cli_cmd_config, &cli_cmd_export, &cli_cmd_predict, &cli_cmd_report,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* The synopsis and what evotune does; then each command's paragraph and options; then this. */
static const char usage_head[] =
    "usage: evotune run CONFIG [--set PATH=VALUE]... [--out FILE] [--threads N] [--seed S] [--strategy NAME]\n"
    "                   [--max-trials N] [--max-epochs N] [--time-limit T] [--quiet|--verbose]\n"
    "       evotune resume FILE [--max-trials N | --generations N] [--max-epochs N] [--time-limit T] [--threads N]\n"
    "                   [--quiet|--verbose]\n"
    "       evotune info FILE                               state of a results file\n"
    "       evotune export FILE (--csv DIR | --jsonl OUT | --split NAME --out OUT.csv)\n"
    "       evotune predict FILE DATA [--labels IDX_LABELS] [--out predictions.csv]\n"
    "       evotune report FILE [-o report.html]\n"
    "       evotune config CONFIG [--set PATH=VALUE]...   print the effective configuration\n"
    "       evotune config --template | --reference       print the default config | the key reference\n"
    "       evotune --help | --version\n"
    "\n"
    "Searches hyperparameters of multilayer perceptrons (steady-state evolution, a generational GA,\n"
    "TPE or random search) and records every trained network in one HDF5 file (run.output, default\n"
    "results/<config name>.h5). Results are the same for any thread count.\n";

static const char usage_tail[] =
    "\n"
    "The results file is saved as networks finish, always whole.\n"
    "SIGINT (Ctrl-C) or SIGTERM: stop handing out networks, abandon those in training, save, exit\n"
    "(130 or 143); a second signal exits at once, leaving the last saved file.\n"
    "\n"
    "exit codes:\n"
    "  0    success\n"
    "  1    runtime failure (cannot write the results file, out of resources); the previous file is intact\n"
    "  2    bad usage, configuration or data; not an evotune file, incompatible format or changed data\n"
    "  130  stopped by SIGINT, 143 stopped by SIGTERM (saved; continue with 'evotune resume FILE')\n";

static void write_help(FILE *f)
{
    fputs(usage_head, f);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (!commands[i]->help)
            continue;
        fprintf(f, "\n%s", commands[i]->help);
        cli_write_options(f, commands[i]->options);
        if (commands[i]->help_after)
            fputs(commands[i]->help_after, f);
    }
    fputs(usage_tail, f);
}

static int run_command(int argc, char **argv);

int main(int argc, char **argv)
{
    evo_h5_init();
    evo_mem_set_oom_handler(cli_on_out_of_memory);
    struct evo_error ferr;
    if (evo_fault_init(&ferr)) {
        fprintf(stderr, "evotune: %s\n", ferr.msg);
        return evo_error_exit_code(ferr.status);
    }
    if (cli_mpi_init(&argc, &argv) > 0)
        return cli_mpi_serve(); /* another rank of an MPI job: it serves rank 0's search */
    return cli_mpi_finish(run_command(argc, argv));
}

/* evotune alone, or rank 0 of an MPI job. */
static int run_command(int argc, char **argv)
{
    struct evo_error kerr; /* the kernel table, chosen once before any thread starts */
    int krc = evo_kernels_init(&kerr);
    if (krc != EVO_OK) {
        fprintf(stderr, "evotune: %s\n", kerr.msg);
        return evo_error_exit_code(krc);
    }
    if (argc < 2)
        return cli_usage_error("missing command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        write_help(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("evotune %s\n", EVOTUNE_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(cmd, commands[i]->name))
            return commands[i]->fn(argc, argv);
    return cli_usage_error("unknown command '%s'", cmd);
}
