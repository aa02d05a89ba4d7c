/* What the files of the command line share (git's parse-options and builtin pattern): the exit codes,
 * the option tables each command declares and the one parser that reads them, the --set list, and
 * the command table's row. main.c holds the table; src/cli/cmd_<name>.c one command each.
 *
 * Exit codes, as --help, the man page and README list them:
 *   0    CLI_EXIT_OK       success
 *   1    CLI_EXIT_FAILURE  runtime failure (cannot write the results file, out of resources); the
 *                          previous file is intact
 *   2    CLI_EXIT_USAGE    bad usage, configuration or data; not an evotune file, incompatible format
 *                          or changed data
 *   130  CLI_EXIT_SIGNAL + SIGINT, 143 CLI_EXIT_SIGNAL + SIGTERM: stopped by the signal, the file saved
 *        (continue with 'evotune resume FILE')
 * evo_error_exit_code (error.h) maps a library status to 1 or 2. */
#ifndef EVOTUNE_CLI_H
#define EVOTUNE_CLI_H
#include <stddef.h>
#include <stdio.h>
#include "evotune/journal.h"
#include "evotune/search.h"

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_SIGNAL = 128, /* plus the signal's number */
};

/* What an option takes, and what becomes of it. */
enum cli_kind {
    CLI_FLAG,        /* no value: the int at target becomes 1 */
    CLI_TEXT,        /* any text: the const char * at target */
    CLI_COUNT,       /* a non-negative integer: the long at target */
    CLI_DURATION,    /* 8h, 90m, 45s (evo_config_parse_duration): the const char * at target */
    CLI_SET,         /* PATH=VALUE, appended to the struct cli_sets at target */
    CLI_SET_TEXT,    /* any text, appended to the struct cli_sets at target as key="text" */
    CLI_SET_INTEGER, /* an integer, appended to the struct cli_sets at target as key=N */
};

/* One row of a command's option table; a table ends with a row whose name is NULL. */
struct cli_option {
    const char *name;  /* "--out" (also accepted as "--out=VALUE") */
    const char *alias; /* "-o", or NULL */
    int kind;          /* enum cli_kind */
    size_t target;     /* offset of the destination in the command's argument struct */
    const char *key;   /* CLI_SET_TEXT, CLI_SET_INTEGER: the configuration key the value sets */
    const char *arg;   /* the value's name in --help ("FILE"); NULL for a flag */
    const char *help;  /* its --help text ('\n' continues it on the next line); NULL: not listed */
};

/* Configuration overrides in command-line order ("PATH=VALUE"), the options' forms turned into it. */
struct cli_sets {
    const char **v;
    size_t n;
    char **owned; /* the strings of v allocated here */
    size_t n_owned;
};

void cli_sets_release(struct cli_sets *s);

/* Parses argv[2..argc) against opts into the struct at args, and up to n_pos positional arguments
 * into pos[] (those absent stay as they were). An option's value is the next argument or follows
 * '='; "-" alone is positional. Returns CLI_EXIT_OK, or CLI_EXIT_USAGE after a one-line message
 * naming the option: unknown (with the nearest known one), its value missing or malformed, a value
 * given to a flag, or an unexpected argument. On error the sets already added stay in args (release
 * them). */
int cli_parse(int argc, char **argv, const struct cli_option *opts, void *args, const char **pos,
              size_t n_pos);

/* Prints "evotune: MESSAGE" and the pointer to --help on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes the --help lines of the rows of opts that have help. */
void cli_write_options(FILE *f, const struct cli_option *opts);

/* A libconfig string literal of s (the caller frees it). */
char *cli_quote(const char *s);

/* A row of the command table: `evotune NAME ...` runs fn(argc, argv) with argv[1] = NAME. */
struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const struct cli_option *options; /* the rows --help lists after `help` */
    const char *help;                 /* the command's paragraph of --help, NULL: none */
    const char *help_after;           /* a paragraph after its options, NULL: none */
};

extern const struct cli_command cli_cmd_run, cli_cmd_resume, cli_cmd_info, cli_cmd_config, cli_cmd_export,
    cli_cmd_predict, cli_cmd_report;

/* ---- a search that publishes its results file (run_search.c), shared by run and resume ---- */

/* The out-of-memory handler (mem.h): one line, the temporary file removed, exit code 1. */
void cli_on_out_of_memory(size_t size);

/* Installs the SIGINT and SIGTERM handlers for a search that publishes `output`. */
void cli_install_signals(const char *output);

/* Runs or continues the search sr, publishing `output` at every event, progress on stderr unless
 * quiet; prints the summary. Ends the process itself on a signal or a failed write. t0: the start
 * (omp_get_wtime) the summary's time counts from. */
int cli_search(struct evo_search *sr, const char *output, int quiet, int verbose, double t0,
               struct evo_error *err);

/* The search's summary on stdout (seconds: its running time; j: the journal that saved it, whose
 * snapshots are counted, or NULL when nothing ran). */
void cli_print_summary(const struct evo_search *sr, const struct evo_journal *j, const char *output,
                       double seconds);

/* "240 networks", "10 generations of 24", with the epoch budget and time limit when set. */
void cli_describe_budget(char *buf, size_t n, const struct evo_search *sr);

/* ---- MPI (src/cli/mpi.c, only in the build with -DEVOTUNE_MPI=ON) ----
 * Under mpirun, rank 0 runs the command and the other ranks serve its search's evaluations; launched
 * without mpirun, or in the default build, these do nothing. */
#ifdef EVOTUNE_MPI
/* Joins the MPI job when mpirun launched this process; returns its rank (0 when not launched so). Exits
 * with 1 after one line when the library cannot give rank 0's threads MPI_THREAD_MULTIPLE. */
int cli_mpi_init(int *argc, char ***argv);
/* Ranks > 0: waits for rank 0's search, checks the data and build against rank 0's, trains what rank 0
 * sends until it says stop; returns the exit code (after cli_mpi_finish). */
int cli_mpi_serve(void);
/* Rank 0, before the search sr runs: hands the other ranks its configuration, data hashes and kernel
 * table; when all are ready, sr's evaluation sends trials to their threads too (sr->threads becomes the
 * threads of every rank). Returns EVO_OK, or the status of the first rank that refused (its reason in
 * err). */
int cli_mpi_attach(struct evo_search *sr, struct evo_error *err);
/* Rank 0, after the search: the other ranks stop. */
void cli_mpi_detach(struct evo_search *sr);
/* Leaves the MPI job (rank 0: telling the other ranks there is nothing to serve if no search ran);
 * returns code. */
int cli_mpi_finish(int code);
#else
static inline int cli_mpi_init(int *argc, char ***argv) { return 0; }
static inline int cli_mpi_serve(void) { return CLI_EXIT_OK; }
static inline int cli_mpi_attach(struct evo_search *sr, struct evo_error *err) { return 0; }
static inline void cli_mpi_detach(struct evo_search *sr) {}
static inline int cli_mpi_finish(int code) { return code; }
#endif

#endif
