/* Progress lines and the live progress bar of a search. */
#include "evotune/progress.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "evotune/train.h"

void evo_progress_duration(char *buf, size_t n, double s)
{
    long t = isfinite(s) && s > 0 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void evo_progress_init(struct evo_progress *p, FILE *out, int verbose, const struct evo_search *s)
{
    memset(p, 0, sizeof *p);
    const char *term = getenv("TERM");
    p->out = out;
    p->live = isatty(fileno(out)) && !(term && !strcmp(term, "dumb"));
    p->verbose = verbose;
    p->t_start = omp_get_wtime();
    p->rows_at_start = s->log.n_rows;
    p->gens_reported = s->log.n_gens > s->log.gens_restored ? s->log.n_gens : s->log.gens_restored;
    p->best_reported = s->log.has_best ? s->log.best.id : -1;
    p->arrived_reported = s->log.n_arrived; /* a resumed run's earlier trials were reported */
}

void evo_progress_clear(struct evo_progress *p)
{
    if (p->bar_drawn)
        fputs("\r\033[K", p->out);
    p->bar_drawn = 0;
}

/* The networks a run trains: its budget and the finalists' runs after it (finalist.h; fewer when the
 * search found fewer distinct genomes that trained). */
static size_t total_of(const struct evo_search *s)
{
    return (size_t)evo_search_budget(s) + (size_t)(s->cfg->finalists * s->cfg->finalist_repeats);
}

/* Rate and ETA from what this process trained (a resumed run's earlier work took other time). */
static void rate_eta(const struct evo_progress *p, const struct evo_search *s, double *rate, char *eta, size_t n)
{
    size_t done = s->log.n_rows, here = done - p->rows_at_start, total = total_of(s);
    double elapsed = omp_get_wtime() - p->t_start;
    *rate = here ? (double)here / fmax(elapsed, 1e-9) : 0;
    if (here && total > done)
        evo_progress_duration(eta, n, (double)(total - done) / *rate);
    else
        snprintf(eta, n, here ? "0:00" : "?");
}

static void draw_bar(struct evo_progress *p, const struct evo_search *s)
{
    size_t total = total_of(s), done = s->log.n_rows;
    enum { WIDTH = 24 };
    char bar[WIDTH + 1], eta[32];
    size_t fill = total ? (done < total ? done : total) * WIDTH / total : 0;
    for (size_t k = 0; k < WIDTH; k++)
        bar[k] = k < fill ? '#' : '-';
    bar[WIDTH] = '\0';
    double rate;
    rate_eta(p, s, &rate, eta, sizeof eta);
    fprintf(p->out, "\r\033[K%s [%s] %zu/%zu  best %.4f  %zu in flight  %.2f evaluations/s  ETA %s",
            s->strategy.ops ? s->strategy.ops->name : "", bar, done, total,
            s->log.has_best ? s->log.best.fitness : NAN, s->log.n_in_flight, rate, eta);
    fflush(p->out);
    p->bar_drawn = 1;
}

static void report_trial(struct evo_progress *p, const struct evo_individual *x)
{
    evo_progress_clear(p);
    fprintf(p->out, "  trial %lld (generation %d): fitness %.4f  %s  %.2f s ", (long long)x->id, x->generation,
            x->fitness, evo_train_status_name(x->status), x->train_seconds);
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        char v[64];
        if (!evo_genome_active(&x->genome, g))
            continue;
        evo_genome_format(v, sizeof v, g, x->genome.g[g]);
        fprintf(p->out, " %s=%s", evo_genome_gene(g)->name, v);
    }
    fputc('\n', p->out);
}

/* The trials logged since the last report, in the order they arrived: no walk over the whole log. */
static void report_trials(struct evo_progress *p, const struct evo_search *s)
{
    const struct evo_runlog *log = &s->log;
    if (p->arrived_reported > log->n_arrived) /* rows were forgotten (an extended run's finalists) */
        p->arrived_reported = log->n_arrived;
    for (; p->arrived_reported < log->n_arrived; p->arrived_reported++) {
        const struct evo_individual *x = evo_runlog_find(log, log->arrived[p->arrived_reported]);
        if (x)
            report_trial(p, x);
    }
}

void evo_progress_event(struct evo_progress *p, const struct evo_search *s, int event)
{
    const struct evo_runlog *log = &s->log;
    if (p->verbose && event != EVO_SEARCH_STOPPED)
        report_trials(p, s);
    char eta[32];
    double rate;
    rate_eta(p, s, &rate, eta, sizeof eta);
    for (; p->gens_reported < log->n_gens; p->gens_reported++) {
        const struct evo_generation *g = &log->gens[p->gens_reported];
        evo_progress_clear(p);
        fprintf(p->out, "generation %d/%ld  best %.4f  mean %.4f  %d evaluations  %d failed  ETA %s\n",
                g->generation + 1, s->cfg->generations, g->best_fitness, g->mean_fitness, g->evaluations,
                g->failures, eta);
    }
    if (log->has_best && log->best.id != p->best_reported && s->cfg->strategy != EVO_STRATEGY_GENERATIONAL) {
        p->best_reported = log->best.id;
        evo_progress_clear(p);
        fprintf(p->out, "%zu/%zu networks  new best %.4f (trial %lld, generation %d)  %.2f evaluations/s  ETA %s\n",
                log->n_rows, total_of(s), log->best.fitness, (long long)log->best.id,
                log->best.generation, rate, eta);
    }
    if (event == EVO_SEARCH_PROGRESS && p->live)
        draw_bar(p, s);
    else
        evo_progress_clear(p);
    fflush(p->out);
}
