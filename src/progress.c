/* Progress lines and the live progress bar of a search. */
#include "evotune/progress.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "evotune/mem.h"

void evo_progress_duration(char *buf, size_t n, double s)
{
    long t = isfinite(s) && s > 0 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static int in_progress(const struct evo_ga *ga)
{
    return ga->population_generation >= 0 && (size_t)ga->population_generation == ga->n_gens;
}

size_t evo_progress_trained(const struct evo_ga *ga)
{
    size_t n = ga->n_rows;
    if (in_progress(ga))
        for (size_t i = 0; i < (size_t)ga->cfg->population; i++)
            n += ga->member_state[i] == EVO_MEMBER_TRAINED;
    return n;
}

/* Networks the whole run trains: the first generation whole, later ones all but the elites. */
static size_t run_total(const struct evo_ga *ga)
{
    size_t P = (size_t)ga->cfg->population, G = (size_t)ga->cfg->generations;
    size_t E = P > 1 ? (size_t)(ga->cfg->elitism < (long)P - 1 ? ga->cfg->elitism : (long)P - 1) : 0;
    return P + (G ? G - 1 : 0) * (P - E);
}

void evo_progress_init(struct evo_progress *p, FILE *out, int verbose, const struct evo_ga *ga)
{
    memset(p, 0, sizeof *p);
    const char *term = getenv("TERM");
    p->out = out;
    p->live = isatty(fileno(out)) && !(term && !strcmp(term, "dumb"));
    p->verbose = verbose;
    p->t_start = omp_get_wtime();
    p->rows_at_start = evo_progress_trained(ga);
    p->member_gen = -1;
    p->reported = evo_mem_calloc((size_t)ga->cfg->population, 1);
}

void evo_progress_release(struct evo_progress *p)
{
    free(p->reported);
    p->reported = NULL;
}

void evo_progress_clear(struct evo_progress *p)
{
    if (p->bar_drawn)
        fputs("\r\033[K", p->out);
    p->bar_drawn = 0;
}

/* Rate and ETA from what this process trained (a resumed run's earlier work took other time). */
static void rate_eta(const struct evo_progress *p, const struct evo_ga *ga, double *rate, char *eta, size_t n)
{
    size_t done = evo_progress_trained(ga), here = done - p->rows_at_start, total = run_total(ga);
    double elapsed = omp_get_wtime() - p->t_start;
    *rate = here ? (double)here / fmax(elapsed, 1e-9) : 0;
    if (here && total > done)
        evo_progress_duration(eta, n, (double)(total - done) / *rate);
    else
        snprintf(eta, n, here ? "0:00" : "?");
}

static void draw_bar(struct evo_progress *p, const struct evo_ga *ga)
{
    size_t P = (size_t)ga->cfg->population, done = 0;
    for (size_t i = 0; i < P; i++)
        done += ga->member_state[i] != EVO_MEMBER_PENDING;
    enum { WIDTH = 24 };
    char bar[WIDTH + 1], eta[32];
    size_t fill = P ? done * WIDTH / P : 0;
    for (size_t k = 0; k < WIDTH; k++)
        bar[k] = k < fill ? '#' : '-';
    bar[WIDTH] = '\0';
    double rate;
    rate_eta(p, ga, &rate, eta, sizeof eta);
    fprintf(p->out, "\r\033[Kgeneration %zu/%ld [%s] %zu/%zu  best %.4f  %.2f evaluations/s  ETA %s",
            ga->n_gens + 1, ga->cfg->generations, bar, done, P, ga->has_best ? ga->best.fitness : NAN,
            rate, eta);
    fflush(p->out);
    p->bar_drawn = 1;
}

static void report_individuals(struct evo_progress *p, const struct evo_ga *ga)
{
    size_t P = (size_t)ga->cfg->population;
    if (ga->population_generation < 0)
        return;
    if (p->member_gen != ga->population_generation) {
        memset(p->reported, 0, P);
        p->member_gen = ga->population_generation;
    }
    for (size_t i = 0; i < P; i++) {
        const struct evo_individual *x = &ga->population[i];
        if (ga->member_state[i] != EVO_MEMBER_TRAINED || p->reported[i])
            continue;
        p->reported[i] = 1;
        evo_progress_clear(p);
        fprintf(p->out, "  individual %lld (generation %d): fitness %.4f  %s  %.2f s ", (long long)x->id,
                x->generation, x->fitness, evo_mlp_status_name(x->status), x->train_seconds);
        for (int g = 0; g < EVO_GENE_COUNT; g++) {
            char v[64];
            if (!evo_genome_active(&x->genome, g))
                continue;
            evo_genome_format(v, sizeof v, g, x->genome.g[g]);
            fprintf(p->out, " %s=%s", evo_genome_gene(g)->name, v);
        }
        fputc('\n', p->out);
    }
}

void evo_progress_event(struct evo_progress *p, const struct evo_ga *ga, int event)
{
    if (p->verbose && (event == EVO_GA_PROGRESS || event == EVO_GA_GENERATION))
        report_individuals(p, ga);
    if (event == EVO_GA_PROGRESS) {
        if (p->live)
            draw_bar(p, ga);
        return;
    }
    evo_progress_clear(p);
    if (event != EVO_GA_GENERATION)
        return;
    const struct evo_generation *g = &ga->gens[ga->n_gens - 1];
    char eta[32];
    double rate;
    rate_eta(p, ga, &rate, eta, sizeof eta);
    fprintf(p->out, "generation %d/%ld  best %.4f  mean %.4f  %d evaluations in %.1f s (%.2f/s)  "
            "%d failed  ETA %s\n", g->generation + 1, ga->cfg->generations, g->best_fitness,
            g->mean_fitness, g->evaluations, g->wall_seconds, g->evaluations / fmax(g->wall_seconds, 1e-9),
            g->failures, eta);
    fflush(p->out);
}
