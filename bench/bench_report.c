/* What `evotune report` costs as a run grows: for each trial count it writes a synthetic results file
 * (tests/synthetic_results.h: a generational search of configs/default.cfg, learning curves included)
 * and renders its report as cmd_report does (evo_results_open, then evo_report_save), several times;
 * printed are the results file's size, the report's size, and the median wall and CPU seconds of a
 * report (reading the file included) and of the reading alone. It checks that the file read holds
 * every trial and that the report is a whole page.
 *   bench_report [--trials 1000,10000,100000] [--runs 3] [--dir /tmp] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench_clock.h"
#include "evotune/report.h"
#include "evotune/results.h"
#include "synthetic_results.h"

#define MAX_LIST 16
#define MAX_RUNS 15

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_report: %s: %s\n", what, msg);
    exit(1);
}

static double file_mb(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (double)st.st_size / 1e6;
}

/* A whole page: the doctype first, the closing tag last. */
static void check_page(const char *path)
{
    FILE *f = fopen(path, "rb");
    char head[16] = {0}, tail[16] = {0};
    if (!f || fread(head, 1, 15, f) != 15 || fseek(f, -8, SEEK_END) || fread(tail, 1, 8, f) != 8)
        die(path, "cannot read the report back");
    fclose(f);
    if (strcmp(head, "<!DOCTYPE html>") || strcmp(tail, "</html>\n"))
        die(path, "not a whole HTML page");
}

int main(int argc, char **argv)
{
    long trials[MAX_LIST] = {1000, 10000, 100000};
    size_t n_trials = 3;
    int runs = 3;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--trials") && i + 1 < argc) {
            n_trials = 0;
            for (char *s = argv[++i], *end; *s && n_trials < MAX_LIST; s = *end ? end + 1 : end) {
                trials[n_trials++] = strtol(s, &end, 10);
                if (end == s || trials[n_trials - 1] < 10)
                    die(argv[i], "--trials takes a list of counts of at least 10");
            }
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1 || runs > MAX_RUNS)
                die(argv[i], "--runs takes 1 to 15");
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            dir = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_report [--trials 1000,10000,100000] [--runs 3] [--dir /tmp]\n");
            return 2;
        }
    }
    evo_h5_init();
    printf("%8s %10s %10s %10s %10s %10s %10s\n", "trials", "file MB", "report MB", "wall s", "cpu s",
           "read wall", "read cpu");
    for (size_t k = 0; k < n_trials; k++) {
        char h5[512], html[512];
        snprintf(h5, sizeof h5, "%s/bench_report_%d_%ld.h5", dir, (int)getpid(), trials[k]);
        snprintf(html, sizeof html, "%s/bench_report_%d_%ld.html", dir, (int)getpid(), trials[k]);
        struct evo_error err = {0};
        if (synthetic_results_write(h5, (size_t)trials[k], EVOTUNE_SOURCE_DIR, &err))
            die(h5, err.msg);
        double wall[MAX_RUNS], cpu[MAX_RUNS], read_wall[MAX_RUNS], read_cpu[MAX_RUNS];
        for (int run = 0; run < runs; run++) {
            struct evo_results r;
            double w0 = bench_wall(), c0 = bench_cpu();
            if (evo_results_open(&r, h5, &err))
                die(h5, err.msg);
            read_wall[run] = bench_wall() - w0;
            read_cpu[run] = bench_cpu() - c0;
            int rc = evo_report_save(&r, html, &err);
            wall[run] = bench_wall() - w0;
            cpu[run] = bench_cpu() - c0;
            if (r.individuals.n_rows != (size_t)trials[k])
                die(h5, "the file does not hold every trial");
            evo_results_release(&r);
            if (rc)
                die(html, err.msg);
            if (run == 0)
                check_page(html);
        }
        printf("%8ld %10.1f %10.2f %10.2f %10.2f %10.3f %10.3f\n", trials[k], file_mb(h5), file_mb(html),
               bench_median(wall, (size_t)runs), bench_median(cpu, (size_t)runs),
               bench_median(read_wall, (size_t)runs), bench_median(read_cpu, (size_t)runs));
        fflush(stdout);
        unlink(h5);
        unlink(html);
    }
    return 0;
}
