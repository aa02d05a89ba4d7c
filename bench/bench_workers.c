/* The virtual-worker sweep: what run.workers (W) costs steady_state in search quality. W changes
 * which results a child is bred from: trials are decided on a virtual clock of W workers, each trial
 * lasting its cost model's duration (evo_search_cost of its genome on the data set), so with more
 * workers more trials are decided before the results they could have used are in, and more of the
 * first trials are random. The evaluation is the tests' synthetic fitness (tests/synthetic.h): known,
 * instant, nothing trained, so many seeds take seconds. For each budget it prints the mean best fitness
 * over the seeds, with its standard error, of steady_state at each W, of random search on the same
 * budget (the reference, W-independent) and of the generational GA where its generations fill the
 * budget (also W-independent). Before the sweep it checks that one steady_state search gives the same
 * rows on 1 and 2 threads, and every search its budget of trials.
 *   bench_workers [--seeds 50] [--trials 222,1000] [--workers 1,8,16,32,64,128] [--population 24]
 *                 [--config configs/default.cfg] [--data datasets/digits.csv] */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/config.h"
#include "evotune/search.h"
#include "synthetic.h"

#define MAX_LIST 16
/* ga.elitism of the generational reference */
#define ELITISM 2

struct options {
    int seeds;
    long trials[MAX_LIST];
    size_t n_trials;
    long workers[MAX_LIST];
    size_t n_workers;
    long population;
    const char *config, *data;
};

/* The overrides of one run, formatted in place. */
struct sets {
    char buf[12][512];
    const char *p[12];
    size_t n;
};

static void sets_add(struct sets *s, const char *fmt, ...)
{
    if (s->n == sizeof s->buf / sizeof s->buf[0]) {
        fprintf(stderr, "bench_workers: too many overrides\n");
        exit(1);
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(s->buf[s->n], sizeof s->buf[s->n], fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof s->buf[s->n]) {
        fprintf(stderr, "bench_workers: override too long: %s\n", fmt);
        exit(1);
    }
    s->p[s->n] = s->buf[s->n];
    s->n++;
}

/* One search's setting. */
struct setting {
    int strategy;      /* enum evo_strategy_kind */
    long trials;       /* run.max_trials (random, steady_state) */
    long generations;  /* ga.generations (generational) */
    long workers;
    long seed;
    int threads;
};

struct outcome {
    double best;           /* best fitness found */
    long random_trials;    /* trials without parents (steady_state's random phase, or all) */
};

/* Runs one search of `st` with the synthetic evaluation. When rows is given, copies the log's rows
 * into it (*rows, *n; free *rows). Exits on any error or a log that is not the budget's. */
static struct outcome run_one(const struct options *o, const struct setting *st, struct evo_individual **rows,
                              size_t *n)
{
    struct sets sets = {0};
    sets_add(&sets, "data.train=\"%s\"", o->data);
    sets_add(&sets, "run.strategy=\"%s\"", evo_config_strategy_name(st->strategy));
    sets_add(&sets, "run.seed=%ld", st->seed);
    sets_add(&sets, "run.threads=%d", st->threads);
    sets_add(&sets, "run.workers=%ld", st->workers);
    if (st->strategy == EVO_STRATEGY_GENERATIONAL) {
        sets_add(&sets, "ga.generations=%ld", st->generations);
        sets_add(&sets, "ga.elitism=%d", ELITISM);
    } else {
        sets_add(&sets, "run.max_trials=%ld", st->trials);
    }
    if (st->strategy != EVO_STRATEGY_RANDOM)
        sets_add(&sets, "ga.population=%ld", o->population);
    struct evo_config cfg;
    struct evo_search s;
    struct evo_error err = {0};
    if (evo_config_load(&cfg, o->config, sets.p, sets.n, &err)) {
        fprintf(stderr, "bench_workers: %s\n", err.msg);
        exit(1);
    }
    if (!synthetic_space_ok(&cfg.space)) {
        fprintf(stderr, "bench_workers: the search space of '%s' cannot be scored by synthetic.h (its genes "
                "must be ranges and adam a choice)\n", o->config);
        exit(1);
    }
    if (evo_search_init(&s, &cfg, &err)) {
        fprintf(stderr, "bench_workers: %s\n", err.msg);
        exit(1);
    }
    s.eval = synthetic_eval;
    s.eval_ctx = &cfg;
    if (evo_search_run(&s, NULL, NULL, &err)) {
        fprintf(stderr, "bench_workers: %s\n", err.msg);
        exit(1);
    }
    struct outcome out = {s.log.has_best ? s.log.best.fitness : NAN, 0};
    int ok = s.log.finished && s.log.has_best && evo_search_done(&s) == evo_search_budget(&s);
    for (size_t i = 0; i < s.log.n_rows; i++) {
        ok = ok && s.log.rows[i].id == (int64_t)i;
        out.random_trials += s.log.rows[i].parent_a < 0;
    }
    if (!ok) {
        fprintf(stderr, "bench_workers: the %s search (seed %ld, W %ld) logged %ld of %ld trials, or not "
                "in id order\n", evo_config_strategy_name(st->strategy), st->seed, st->workers,
                evo_search_done(&s), evo_search_budget(&s));
        exit(1);
    }
    if (rows) {
        *n = s.log.n_rows;
        *rows = malloc(*n * sizeof **rows);
        if (!*rows) {
            fprintf(stderr, "bench_workers: out of memory\n");
            exit(1);
        }
        memcpy(*rows, s.log.rows, *n * sizeof **rows);
    }
    evo_search_release(&s);
    evo_config_release(&cfg);
    return out;
}

/* Prints one line: the mean best over the seeds with its standard error, and the mean random trials. */
static void sweep_line(const struct options *o, struct setting st, const char *label)
{
    double sum = 0, sq = 0, rnd = 0;
    double *best = malloc((size_t)o->seeds * sizeof *best);
    if (!best)
        exit(1);
    for (int k = 0; k < o->seeds; k++) {
        st.seed = 1 + k;
        struct outcome out = run_one(o, &st, NULL, NULL);
        best[k] = out.best;
        sum += out.best;
        rnd += (double)out.random_trials;
    }
    double mean = sum / o->seeds;
    for (int k = 0; k < o->seeds; k++)
        sq += (best[k] - mean) * (best[k] - mean);
    double se = o->seeds > 1 ? sqrt(sq / (o->seeds - 1) / o->seeds) : NAN;
    printf("| %-22s | %.3f ± %.3f | %7.1f |\n", label, mean, se, rnd / o->seeds);
    fflush(stdout);
    free(best);
}

static size_t parse_list(const char *text, long *out, const char *what)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || n == MAX_LIST || (*end && *end != ',')) {
            fprintf(stderr, "bench_workers: %s: expected up to %d positive integers separated by commas, "
                    "not '%s'\n", what, MAX_LIST, text);
            exit(2);
        }
        out[n++] = v;
        p = *end ? end + 1 : end;
    }
    return n;
}

int main(int argc, char **argv)
{
    struct options o = {.seeds = 50, .population = 24,
                        .config = EVOTUNE_SOURCE_DIR "/configs/default.cfg",
                        .data = EVOTUNE_SOURCE_DIR "/datasets/digits.csv"};
    o.n_trials = parse_list("222,1000", o.trials, "--trials");
    o.n_workers = parse_list("1,8,16,32,64,128", o.workers, "--workers");
    for (int i = 1; i < argc; i += 2) {
        const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_workers: %s needs a value\n", opt);
            return 2;
        }
        if (!strcmp(opt, "--seeds"))
            o.seeds = atoi(v);
        else if (!strcmp(opt, "--trials"))
            o.n_trials = parse_list(v, o.trials, "--trials");
        else if (!strcmp(opt, "--workers"))
            o.n_workers = parse_list(v, o.workers, "--workers");
        else if (!strcmp(opt, "--population"))
            o.population = atol(v);
        else if (!strcmp(opt, "--config"))
            o.config = v;
        else if (!strcmp(opt, "--data"))
            o.data = v;
        else {
            fprintf(stderr, "usage: bench_workers [--seeds 50] [--trials 222,1000] [--workers 1,8,16,32,64,128]\n"
                            "                     [--population 24] [--config FILE] [--data FILE]\n");
            return 2;
        }
    }
    if (o.seeds < 2 || o.population < 2) {
        fprintf(stderr, "bench_workers: --seeds and --population must be at least 2\n");
        return 2;
    }

    /* correctness first: decisions follow the virtual clock, not the threads */
    struct setting check = {EVO_STRATEGY_STEADY_STATE, o.trials[0], 0, o.workers[o.n_workers - 1], 1, 1};
    struct evo_individual *one, *two;
    size_t n_one, n_two;
    run_one(&o, &check, &one, &n_one);
    check.threads = 2;
    run_one(&o, &check, &two, &n_two);
    if (n_one != n_two || !evo_trials_same(one, two, n_one)) {
        fprintf(stderr, "bench_workers: steady_state at W = %ld gives other rows on 2 threads than on 1\n",
                check.workers);
        return 1;
    }
    free(one);
    free(two);

    printf("steady_state over W (run.workers): best synthetic fitness (tests/synthetic.h, 1 at the peak),\n"
           "mean ± standard error over seeds 1..%d; population %ld, the other keys from %s\n"
           "(the cost model on %s). \"random\" is the trials without parents.\n",
           o.seeds, o.population, o.config, o.data);
    for (size_t b = 0; b < o.n_trials; b++) {
        long T = o.trials[b], P = o.population;
        printf("\n%ld trials\n\n| %-22s | best          | random  |\n|%s|---------------|---------|\n", T,
               "search", "------------------------");
        struct setting st = {EVO_STRATEGY_RANDOM, T, 0, 32, 1, 1};
        sweep_line(&o, st, "random");
        /* generational with elitism E trains P + (G - 1)(P - E): shown when some G fills T exactly */
        long E = ELITISM;
        if (T >= P && (T - P) % (P - E) == 0) {
            char label[64];
            st.strategy = EVO_STRATEGY_GENERATIONAL;
            st.generations = 1 + (T - P) / (P - E);
            snprintf(label, sizeof label, "generational %ld x %ld", st.generations, P);
            sweep_line(&o, st, label);
        }
        st.strategy = EVO_STRATEGY_STEADY_STATE;
        for (size_t w = 0; w < o.n_workers; w++) {
            char label[64];
            st.workers = o.workers[w];
            snprintf(label, sizeof label, "steady_state W = %ld", st.workers);
            sweep_line(&o, st, label);
        }
    }
    return 0;
}
