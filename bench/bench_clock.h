/* The benchmarks' clocks, their repeated timing and its median, and the name of the CPU they ran on. */
#ifndef EVOTUNE_BENCH_CLOCK_H
#define EVOTUNE_BENCH_CLOCK_H
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Wall-clock seconds (CLOCK_MONOTONIC) from an arbitrary origin. */
static inline double bench_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the whole process, every thread's: what the work costs whatever else runs on the
 * machine. */
static inline double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n > 0; sorts v. */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Median wall seconds of one call of run(arg): the calls are counted up, doubling, until a run of
 * them lasts min_seconds, then reps runs of that many calls (1 <= reps <= 32) are timed. */
static inline double bench_time(void (*run)(void *), void *arg, double min_seconds, int reps)
{
    size_t iters = 1;
    for (;;) {
        double t0 = bench_wall();
        for (size_t i = 0; i < iters; i++)
            run(arg);
        if (bench_wall() - t0 >= min_seconds)
            break;
        iters *= 2;
    }
    double sec[32];
    for (int r = 0; r < reps && r < 32; r++) {
        double t0 = bench_wall();
        for (size_t i = 0; i < iters; i++)
            run(arg);
        sec[r] = (bench_wall() - t0) / (double)iters;
    }
    return bench_median(sec, (size_t)(reps < 32 ? reps : 32));
}

/* Writes the CPU's model name (the first "model name" of /proc/cpuinfo), or "unknown", into buf[n]. */
static inline void bench_cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                p += 1 + (p[1] == ' ');
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, n, "%s", p);
            }
            break;
        }
    fclose(f);
}

#endif
