/* The cost of a tpe proposal as the history grows: a tpe strategy of a config's search space is told
 * H random trials (ids 0 .. H-1, fitness drawn at random: the cost does not depend on the values), then
 * asked for proposals; printed as CPU microseconds per proposal for each history size, with the
 * configured tpe.window and with a window that holds the whole history (what the window saves).
 * Before timing it checks that every proposal lies in the search space and that the same history
 * gives the same proposal twice.
 *   bench_tpe [--config configs/fashion-mnist.cfg] [--history 100,1000,5000] [--asks 200]
 *             [--set PATH=VALUE]... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "evotune/config.h"
#include "evotune/strategy.h"

#define MAX_LIST 16
#define MAX_SETS 16

struct options {
    const char *config;
    long history[MAX_LIST];
    size_t n_history;
    long asks;
    const char *sets[MAX_SETS];
    size_t n_sets;
};

/* CPU time of this thread: the figure should not count the time other processes take the core */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *msg)
{
    fprintf(stderr, "bench_tpe: %s\n", msg);
    exit(1);
}

/* A strategy told the random trials 0 .. h-1. */
static void told_strategy(struct evo_strategy *st, const struct evo_config *cfg, long h)
{
    struct evo_rng rng;
    evo_rng_seed(&rng, 12345, 0, 0, EVO_RNG_INIT);
    evo_strategy_create(st, cfg);
    for (long i = 0; i < h; i++) {
        struct evo_individual t;
        memset(&t, 0, sizeof t);
        t.id = i;
        evo_strategy_sample(cfg, &t);
        t.fitness = evo_rng_uniform(&rng);
        evo_strategy_tell(st, &t);
    }
}

static void ask_one(struct evo_strategy *st, long id, struct evo_individual *t)
{
    memset(t, 0, sizeof *t);
    t->id = id;
    if (evo_strategy_ask(st, t) != EVO_ASK_TRIAL)
        die("tpe did not propose a trial");
}

/* Microseconds per proposal of cfg's tpe after h trials told, over `asks` proposals. */
static double cost(const struct evo_config *cfg, long h, long asks)
{
    struct evo_strategy st, again;
    told_strategy(&st, cfg, h);
    told_strategy(&again, cfg, h);
    struct evo_individual a, b;
    ask_one(&st, h, &a);
    ask_one(&again, h, &b);
    if (memcmp(&a.genome, &b.genome, sizeof a.genome))
        die("the same history gave two proposals");
    evo_strategy_destroy(&again);
    double t0 = now();
    for (long k = 0; k < asks; k++) {
        ask_one(&st, h + k, &a);
        if (!evo_genome_in_space(&a.genome, &cfg->space))
            die("a proposal outside the search space");
    }
    double us = (now() - t0) / (double)asks * 1e6;
    evo_strategy_destroy(&st);
    return us;
}

static size_t parse_list(const char *text, long *out)
{
    size_t n = 0;
    char *end;
    for (const char *p = text; *p && n < MAX_LIST; p = *end ? end + 1 : end) {
        out[n++] = strtol(p, &end, 10);
        if (end == p || out[n - 1] < 1)
            die("expected a list of positive integers");
    }
    return n;
}

int main(int argc, char **argv)
{
    struct options o = {.config = "configs/fashion-mnist.cfg", .history = {100, 1000, 5000}, .n_history = 3,
                        .asks = 200};
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            die("usage: bench_tpe [--config CFG] [--history 100,1000,5000] [--asks N] [--set PATH=VALUE]...");
        if (!strcmp(argv[i], "--config"))
            o.config = argv[++i];
        else if (!strcmp(argv[i], "--history"))
            o.n_history = parse_list(argv[++i], o.history);
        else if (!strcmp(argv[i], "--asks"))
            o.asks = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--set") && o.n_sets < MAX_SETS - 1)
            o.sets[o.n_sets++] = argv[++i];
        else
            die("unknown option");
    }
    if (o.asks < 1)
        die("--asks must be positive");
    o.sets[o.n_sets++] = "run.strategy=\"tpe\"";
    struct evo_config cfg;
    struct evo_error err = {0};
    if (evo_config_load(&cfg, o.config, o.sets, o.n_sets, &err))
        die(err.msg);
    int searched = 0;
    for (int id = 0; id < EVO_GENE_COUNT; id++)
        searched += cfg.space.spec[id].kind != EVO_SPEC_FIXED;
    printf("%s: %d genes searched; tpe.candidates %ld, tpe.gamma %g; %ld proposals per figure\n", o.config,
           searched, cfg.tpe_candidates, cfg.tpe_gamma, o.asks);
    printf("| trials told | window %ld (CPU us per proposal) | whole history (CPU us per proposal) |\n|---|---|---|\n",
           cfg.tpe_window);
    long window = cfg.tpe_window;
    for (size_t k = 0; k < o.n_history; k++) {
        long h = o.history[k];
        cfg.tpe_window = window;
        double windowed = cost(&cfg, h, o.asks);
        cfg.tpe_window = h > 2 ? h : 2;
        double whole = cost(&cfg, h, o.asks);
        printf("| %ld | %.0f | %.0f |\n", h, windowed, whole);
        fflush(stdout);
    }
    evo_config_release(&cfg);
    return 0;
}
