/* A search that publishes its results file, as run and resume do it: the signal handlers (first
 * signal stops and saves, a second exits at once), the out-of-memory handler, the hook that writes the
 * file and reports progress at every event, and the summary and budget lines. */
#include <limits.h>
#include <omp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "evotune/fault.h"
#include "evotune/file.h"
#include "evotune/h5.h"
#include "evotune/progress.h"
#include "cli.h"

/* Signals: the first sets stop_signal, which the search polls; a second exits at once. The file at
 * `output` is whole at every moment (file layer), so only its temporary file, named in temp_path
 * before any thread starts, can be left over; the signal and out-of-memory handlers remove it. */
static volatile sig_atomic_t stop_signal;
static char temp_path[PATH_MAX + 64];

/* Out of memory (mem.h), on any thread: one line, the temporary file removed, exit code 1. Inside the
 * parallel region other threads still run, so the process ends with _exit: exit's handlers (stdio,
 * OpenMP's runtime, LSan's leak check) must not run under their feet. On the main thread alone, exit
 * flushes stdout and lets LSan check that nothing leaked. Later callers on other threads wait for the
 * first one to end the process. */
void cli_on_out_of_memory(size_t size)
{
    static atomic_flag entered = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&entered))
        for (;;)
            pause();
    if (temp_path[0])
        unlink(temp_path);
    char msg[96];
    int n = snprintf(msg, sizeof msg, "evotune: out of memory allocating %zu bytes\n", size);
    if (write(STDERR_FILENO, msg, (size_t)n) < 0) {
        /* stderr is gone: the exit code still tells */
    }
    if (omp_in_parallel()) {
        fflush(stdout);
        _exit(CLI_EXIT_FAILURE);
    }
    exit(CLI_EXIT_FAILURE);
}

static void on_signal(int sig)
{
    if (stop_signal) {
        static const char msg[] = "evotune: second signal, exiting at once; the results file keeps its last saved state\n";
        if (temp_path[0])
            unlink(temp_path);
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
            /* nothing more can be done in a signal handler */
        }
        _exit(CLI_EXIT_SIGNAL + sig);
    }
    stop_signal = sig;
}

void cli_install_signals(const char *output)
{
    evo_file_temp_name(temp_path, sizeof temp_path, output);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

struct progress {
    const char *output;
    int quiet;
    struct evo_progress report;
    struct evo_journal journal;   /* how the results reach `output`: snapshots and a journal */
    struct evo_error *err;
};

/* Ends the process now, from inside the search: the results file is complete, and waiting for the
 * networks still in training could take minutes. */
static void exit_now(int code)
{
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

/* Publishes the results file at every event; reports progress, stops, and write failures. */
static int on_event(const struct evo_search *sr, int event, void *user)
{
    struct progress *p = user;
    int rc = evo_journal_save(&p->journal, &sr->log, event != EVO_SEARCH_PROGRESS, p->err);
    if (rc) {
        evo_progress_clear(&p->report);
        if (access(p->output, F_OK) == 0)
            fprintf(stderr, "evotune: %s; '%s' keeps its last complete state: once the cause is fixed, "
                    "continue with: evotune resume %s\n", p->err->msg, p->output, p->output);
        else
            fprintf(stderr, "evotune: %s\n", p->err->msg);
        exit_now(CLI_EXIT_FAILURE);
    }
    if (event == EVO_SEARCH_STOPPED) {
        evo_progress_clear(&p->report);
        fprintf(stderr, "evotune: stopped by %s; %zu of %ld networks saved in '%s'\n"
                "evotune: continue with: evotune resume %s\n",
                stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", sr->log.n_rows, evo_search_budget(sr), p->output,
                p->output);
        exit_now(CLI_EXIT_SIGNAL + (stop_signal == SIGTERM ? SIGTERM : SIGINT));
    }
    if (!p->quiet)
        evo_progress_event(&p->report, sr, event);
    return EVO_OK;
}

void cli_print_summary(const struct evo_search *sr, const struct evo_journal *j, const char *output,
                       double seconds)
{
    const struct evo_runlog *log = &sr->log;
    char eta[32], v[64];
    evo_progress_duration(eta, sizeof eta, seconds);
    if (log->time_up) {
        char limit[32], ran[32];
        evo_progress_duration(limit, sizeof limit, sr->cfg->time_limit);
        evo_progress_duration(ran, sizeof ran, log->elapsed);
        printf("run.time_limit %s reached: no network started after it (running time %s, the networks in "
               "flight finished or abandoned)\n", limit, ran);
    }
    if (!log->has_best && !log->n_rows) {
        printf("no network finished before the time limit; results in %s\n", output);
        return;
    }
    if (!log->has_best) {
        printf("no network trained successfully: all %zu failed (diverged or too_large); results in %s\n",
               log->n_rows, output);
        return;
    }
    const struct evo_metrics *t = &log->test_metrics;
    if (sr->problem.train.target)
        printf("best network %lld (generation %d): validation RMSE %.4g, R2 %.4f; test RMSE %.4g, "
               "MAE %.4g, R2 %.4f\n", (long long)log->best.id, log->best.generation, log->best.val.rmse,
               log->best.val.r2, t->rmse, t->mae, t->r2);
    else
        printf("best network %lld (generation %d): validation accuracy %.4f, test accuracy %.4f\n",
               (long long)log->best.id, log->best.generation, log->best.val.accuracy, t->accuracy);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        if (!evo_genome_active(&log->best.genome, g))
            continue; /* a layer the network does not have */
        evo_genome_format(v, sizeof v, g, log->best.genome.g[g]);
        printf("  %-20s %s\n", evo_genome_gene(g)->name, v);
    }
    printf("%zu networks trained (%s) in %s on %d threads (the search itself: %.1f s, %.1f %% of the "
           "threads' time busy", log->n_rows, evo_config_strategy_name(sr->cfg->strategy), eta, sr->threads,
           sr->run_seconds, sr->run_seconds > 0 ? 100.0 * sr->busy_seconds / (sr->threads * sr->run_seconds) : 0.0);
    if (j)
        printf("; %ld snapshots of the file, the last %.2f s, and %ld journal appends", j->snapshots,
               j->snapshot_cost, j->appends);
    printf("); results in %s\n", output);
}

int cli_search(struct evo_search *sr, const char *output, int quiet, int verbose, double t0,
                  struct evo_error *err)
{
    struct progress p = {output, quiet, {0}, {0}, err};
    evo_journal_init(&p.journal, output);
    evo_progress_init(&p.report, stderr, verbose, sr);
    sr->stop = &stop_signal;
    if (evo_fault_active())
        sr->save_interval_min = 0; /* every write is reached, whatever the machine's speed */
    evo_file_remove_stale_temps(output);
    evo_file_remove_stale_temps(p.journal.jpath); /* the temporary of a journal's header */
    int rc = cli_mpi_attach(sr, err);
    if (!rc && sr->eval && !quiet)
        fprintf(stderr, "evotune: under MPI: %d threads over every rank\n", sr->threads);
    if (!rc)
        rc = evo_search_run(sr, on_event, &p, err);
    cli_mpi_detach(sr);
    if (!rc)
        cli_print_summary(sr, &p.journal, output, omp_get_wtime() - t0);
    evo_journal_release(&p.journal);
    return rc;
}

void cli_describe_budget(char *buf, size_t n, const struct evo_search *sr)
{
    const struct evo_config *cfg = sr->cfg;
    if (cfg->strategy == EVO_STRATEGY_GENERATIONAL)
        snprintf(buf, n, "%ld generations of %ld", cfg->generations, cfg->population);
    else
        snprintf(buf, n, "%lld networks", (long long)cfg->max_trials);
    if (cfg->strategy != EVO_STRATEGY_GENERATIONAL && cfg->max_epochs > 0)
        snprintf(buf + strlen(buf), n - strlen(buf), " or %lld epochs", (long long)cfg->max_epochs);
    if (cfg->time_limit > 0)
        snprintf(buf + strlen(buf), n - strlen(buf), " or %s", cfg->time_limit_text);
}
