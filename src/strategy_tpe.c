/* Tree-structured Parzen estimator (Bergstra et al. 2011, as in Hyperopt and Optuna; strategy.h).
 * Random trials until tpe.startup results were told; then each trial is the best of tpe.candidates
 * genomes drawn from l, the density of the good trials (the best tpe.gamma of the last tpe.window told),
 * by l(x) / g(x), g the density of the rest. Genes are modelled independently, so the ratio is a product
 * over genes: a sum of log ratios over the genes that apply to the candidate. A trial in which a gene
 * does not apply (evo_genome_applies) is left out of that gene's densities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"
#include "evotune/strategy.h"

/* One gene's density from a set of observations.
 * RANGE genes: a mixture of normals truncated to the range coordinate [lo, hi] (evo_genome_range_bounds:
 * log for log ranges, integers widened by half a unit), one of weight 1 per observation and a wide
 * prior (centre of the range, sigma its width) of weight 1; an observation's sigma is the larger gap
 * to its neighbours (or the bounds), clipped to [width / min(100, n + 1), width] (Hyperopt's rule).
 * Equal components (repeated integers) are merged into one of their summed weight, which keeps integer
 * genes cheap. Integer genes are scored by the mass of their rounding interval, not a density at a
 * point. CHOICE genes: counts plus one per choice (a uniform prior worth one observation each). */
struct parzen {
    size_t n;                   /* components */
    double total;               /* their summed weight: observations + 1 */
    double *mu, *sigma, *w;     /* [n] centre, width, weight */
    double *scale;              /* [n] w / (mass within [lo, hi]) */
    double *inv_sigma;          /* [n] 1 / sigma */
    double lo, hi;
    size_t n_choices;           /* CHOICE */
    double p[EVO_SPEC_MAX_CHOICES];
};

struct tpe {
    const struct evo_config *cfg;
    struct evo_individual *win;  /* [W] ring of the last W trials told; win[oldest] is the next to go */
    size_t W, n, oldest;
    long told;
    int genes[EVO_GENE_COUNT];   /* the genes searched (searched()), in id order */
    int n_genes;
    /* scratch of one proposal, allocated once */
    const struct evo_individual **rank; /* [W] the window, best first */
    double *obs;                        /* [W] one gene's observations */
    struct parzen good, bad;            /* components [W + 1] each */
    struct evo_genome *cand;            /* [C] the candidates */
    double *score;                      /* [C] their sums of log l / g */
};

static void parzen_alloc(struct parzen *d, size_t n)
{
    d->mu = evo_mem_alloc(evo_mem_mul(n, sizeof *d->mu));
    d->sigma = evo_mem_alloc(evo_mem_mul(n, sizeof *d->sigma));
    d->w = evo_mem_alloc(evo_mem_mul(n, sizeof *d->w));
    d->scale = evo_mem_alloc(evo_mem_mul(n, sizeof *d->scale));
    d->inv_sigma = evo_mem_alloc(evo_mem_mul(n, sizeof *d->inv_sigma));
}

static void parzen_free(struct parzen *d)
{
    free(d->mu);
    free(d->sigma);
    free(d->w);
    free(d->scale);
    free(d->inv_sigma);
}

/* 1 when gene id is searched at all: a range of positive width or more than one choice. */
static int searched(const struct evo_config *cfg, int id)
{
    const struct evo_gene_spec *spec = &cfg->space.spec[id];
    if (spec->kind == EVO_SPEC_CHOICE)
        return spec->n_choices > 1;
    if (spec->kind != EVO_SPEC_RANGE)
        return 0;
    double lo, hi;
    evo_genome_range_bounds(spec, evo_genome_gene(id)->type, &lo, &hi);
    return hi > lo;
}

static void *create(const struct evo_config *cfg)
{
    struct tpe *s = evo_mem_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->W = (size_t)cfg->tpe_window;
    size_t C = (size_t)cfg->tpe_candidates;
    s->win = evo_mem_calloc(s->W, sizeof *s->win);
    s->rank = evo_mem_calloc(s->W, sizeof *s->rank);
    s->obs = evo_mem_calloc(s->W, sizeof *s->obs);
    parzen_alloc(&s->good, s->W + 1);
    parzen_alloc(&s->bad, s->W + 1);
    s->cand = evo_mem_calloc(C, sizeof *s->cand);
    s->score = evo_mem_calloc(C, sizeof *s->score);
    for (int id = 0; id < EVO_GENE_COUNT; id++)
        if (searched(cfg, id))
            s->genes[s->n_genes++] = id;
    return s;
}

static double std_normal_cdf(double z)
{
    return 0.5 * erfc(-z * 0.70710678118654752440); /* 1 / sqrt(2) */
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int compare_better(const void *a, const void *b)
{
    const struct evo_individual *x = *(const struct evo_individual *const *)a;
    const struct evo_individual *y = *(const struct evo_individual *const *)b;
    return evo_trial_better(x, y) ? -1 : evo_trial_better(y, x) ? 1 : 0;
}

/* Appends the component (mu, sigma) of weight w, merged into the last one when equal to it. */
static void parzen_add(struct parzen *d, double mu, double sigma, double w)
{
    if (d->n && d->mu[d->n - 1] == mu && d->sigma[d->n - 1] == sigma) {
        d->w[d->n - 1] += w;
        return;
    }
    d->mu[d->n] = mu;
    d->sigma[d->n] = sigma;
    d->w[d->n] = w;
    d->n++;
}

/* The density of the n observations x[0..n) (range coordinates; sorted here) on [lo, hi]. */
static void parzen_fit_range(struct parzen *d, double *x, size_t n, double lo, double hi)
{
    double width = hi - lo;
    double min_sigma = width / (double)(n + 1 < 100 ? n + 1 : 100);
    qsort(x, n, sizeof *x, compare_double);
    d->lo = lo;
    d->hi = hi;
    d->n = 0;
    d->total = (double)n + 1;
    for (size_t k = 0; k < n; k++) {
        double left = x[k] - (k ? x[k - 1] : lo), right = (k + 1 < n ? x[k + 1] : hi) - x[k];
        parzen_add(d, x[k], fmin(fmax(fmax(left, right), min_sigma), width), 1.0);
    }
    parzen_add(d, 0.5 * (lo + hi), width, 1.0);
    for (size_t k = 0; k < d->n; k++) {
        double m = d->mu[k], sd = d->sigma[k];
        d->scale[k] = d->w[k] / (std_normal_cdf((hi - m) / sd) - std_normal_cdf((lo - m) / sd));
        d->inv_sigma[k] = 1.0 / sd;
    }
}

/* log of the density at x (a < b: of the mass of [a, b] instead), up to a constant common to every
 * density on the gene's range. The mass of an interval under a tenth of a component's sigma is its
 * width times the density at its middle (relative error below (width / sigma)^2 / 24 = 0.04 %): one
 * exp instead of two erfc for the wide integer ranges, where most intervals are narrow. Where a
 * density is evaluated at a point, a component more than sqrt(110) sigmas away is skipped: the prior
 * alone (sigma the range's width, so within one sigma of every point) contributes over 1e16 times as
 * much, for any window up to 100 000, and exp's underflow path is slow. */
static double parzen_log_range(const struct parzen *d, double x, double a, double b)
{
    double sum = 0;
    int bin = a < b;
    if (bin)
        x = 0.5 * (a + b);
    for (size_t k = 0; k < d->n; k++) {
        double m = d->mu[k], inv = d->inv_sigma[k], z = (x - m) * inv;
        if (bin && (b - a) * inv >= 0.1)
            sum += d->scale[k] * (std_normal_cdf((b - m) * inv) - std_normal_cdf((a - m) * inv));
        else if (z * z <= 110)
            sum += d->scale[k] * inv * exp(-0.5 * z * z) * (bin ? b - a : 1.0);
    }
    return log(sum / d->total);
}

/* A draw from the range density: a component by weight, then its truncated normal (by rejection;
 * a uniform point of the range after 64 misses, which only a component far outside could cause). */
static double parzen_draw_range(const struct parzen *d, struct evo_rng *rng)
{
    double u = evo_rng_uniform(rng) * d->total, acc = 0;
    size_t k = 0;
    while (k + 1 < d->n && u >= (acc += d->w[k]))
        k++;
    for (int tries = 0; tries < 64; tries++) {
        double x = d->mu[k] + d->sigma[k] * evo_rng_normal(rng);
        if (x >= d->lo && x <= d->hi)
            return x;
    }
    return d->lo + (d->hi - d->lo) * evo_rng_uniform(rng);
}

/* The index of value v among the spec's choices, or -1. */
static int choice_index(const struct evo_gene_spec *spec, double v)
{
    for (size_t k = 0; k < spec->n_choices; k++)
        if (spec->choices[k] == v)
            return (int)k;
    return -1;
}

static void parzen_fit_choice(struct parzen *d, const struct evo_gene_spec *spec, const double *x, size_t n)
{
    double count[EVO_SPEC_MAX_CHOICES];
    size_t K = spec->n_choices, total = 0;
    for (size_t k = 0; k < K; k++)
        count[k] = 1.0;
    for (size_t i = 0; i < n; i++) {
        int k = choice_index(spec, x[i]);
        if (k >= 0) {
            count[k] += 1.0;
            total++;
        }
    }
    d->n_choices = K;
    for (size_t k = 0; k < K; k++)
        d->p[k] = count[k] / (double)(total + K);
}

static size_t parzen_draw_choice(const struct parzen *d, struct evo_rng *rng)
{
    double u = evo_rng_uniform(rng), acc = 0;
    for (size_t k = 0; k + 1 < d->n_choices; k++) {
        acc += d->p[k];
        if (u < acc)
            return k;
    }
    return d->n_choices - 1;
}

/* Fits d to the values of gene id in the trials rank[from, to) in which it applies (range
 * coordinates, clamped into the range, for a RANGE spec). */
static void fit(struct tpe *s, struct parzen *d, int id, size_t from, size_t to)
{
    const struct evo_gene_spec *spec = &s->cfg->space.spec[id];
    double lo = 0, hi = 0;
    if (spec->kind == EVO_SPEC_RANGE)
        evo_genome_range_bounds(spec, evo_genome_gene(id)->type, &lo, &hi);
    size_t n = 0;
    for (size_t r = from; r < to; r++) {
        const struct evo_genome *g = &s->rank[r]->genome;
        if (!evo_genome_applies(g, id))
            continue;
        double v = g->g[id];
        s->obs[n++] = spec->kind == EVO_SPEC_RANGE ? fmin(fmax(evo_genome_range_point(spec, v), lo), hi) : v;
    }
    if (spec->kind == EVO_SPEC_RANGE)
        parzen_fit_range(d, s->obs, n, lo, hi);
    else
        parzen_fit_choice(d, spec, s->obs, n);
}

/* A value of gene id drawn from d. */
static double draw(const struct evo_gene_spec *spec, int type, const struct parzen *d, struct evo_rng *rng)
{
    if (spec->kind == EVO_SPEC_RANGE)
        return evo_genome_range_value(spec, type, parzen_draw_range(d, rng));
    return spec->choices[parzen_draw_choice(d, rng)];
}

/* log d(v) for value v of gene id: the density at its coordinate (float), the mass of its rounding
 * interval (integer), the probability of its choice. */
static double log_density(const struct evo_gene_spec *spec, int type, const struct parzen *d, double v)
{
    if (spec->kind != EVO_SPEC_RANGE) {
        int k = choice_index(spec, v);
        return log(d->p[k < 0 ? 0 : k]);
    }
    double x = evo_genome_range_point(spec, v), a = 0, b = 0;
    if (type == EVO_GENE_INT) {
        a = v - 0.5 > 0 || !spec->log ? fmax(evo_genome_range_point(spec, v - 0.5), d->lo) : d->lo;
        b = fmin(evo_genome_range_point(spec, v + 0.5), d->hi);
    }
    return parzen_log_range(d, x, a, b);
}

static int ask(void *p, struct evo_individual *t)
{
    struct tpe *s = p;
    const struct evo_config *cfg = s->cfg;
    /* the fixed genes, parents and generation as random search sets them; in the random phase, all */
    evo_strategy_sample(cfg, t);
    if (s->told < cfg->tpe_startup)
        return EVO_ASK_TRIAL;
    size_t C = (size_t)cfg->tpe_candidates, n = s->n;
    for (size_t i = 0; i < n; i++)
        s->rank[i] = &s->win[i];
    qsort(s->rank, n, sizeof *s->rank, compare_better);
    size_t n_good = (size_t)ceil(cfg->tpe_gamma * (double)n);
    n_good = n_good < 1 ? 1 : n_good > n ? n : n_good;
    /* the good set is the top n_good, the bad set the rest; inverted (a test control), the other way */
    size_t g0 = 0, g1 = n_good, b0 = n_good, b1 = n;
    if (cfg->tpe_invert)
        g0 = n_good, g1 = n, b0 = 0, b1 = n_good;
    struct evo_rng rng;
    evo_rng_seed(&rng, (uint64_t)cfg->seed, (uint64_t)t->id, 0, EVO_RNG_PROPOSE);
    /* every candidate drawn from the good densities first, so that which genes apply to it is known
     * when it is scored: a gene that does not apply costs no density evaluation */
    for (size_t c = 0; c < C; c++) {
        s->cand[c] = t->genome;
        s->score[c] = 0;
    }
    for (int i = 0; i < s->n_genes; i++) {
        int id = s->genes[i], type = evo_genome_gene(id)->type;
        fit(s, &s->good, id, g0, g1);
        for (size_t c = 0; c < C; c++)
            s->cand[c].g[id] = draw(&cfg->space.spec[id], type, &s->good, &rng);
    }
    for (int i = 0; i < s->n_genes; i++) {
        int id = s->genes[i], type = evo_genome_gene(id)->type, fitted = 0;
        const struct evo_gene_spec *spec = &cfg->space.spec[id];
        for (size_t c = 0; c < C; c++) {
            if (!evo_genome_applies(&s->cand[c], id))
                continue;
            if (!fitted) {
                fit(s, &s->good, id, g0, g1);
                fit(s, &s->bad, id, b0, b1);
                fitted = 1;
            }
            double v = s->cand[c].g[id];
            s->score[c] += log_density(spec, type, &s->good, v) - log_density(spec, type, &s->bad, v);
        }
    }
    size_t best = 0;
    for (size_t c = 1; c < C; c++)
        if (s->score[c] > s->score[best])
            best = c;
    t->genome = s->cand[best];
    return EVO_ASK_TRIAL;
}

static void tell(void *p, const struct evo_individual *t)
{
    struct tpe *s = p;
    s->told++;
    evo_strategy_window_add(s->win, s->W, &s->n, &s->oldest, t);
}

static void describe(const void *p, char *buf, size_t n)
{
    const struct tpe *s = p;
    const struct evo_config *cfg = s->cfg;
    char phase[96];
    if (s->told < cfg->tpe_startup)
        snprintf(phase, sizeof phase, "random phase, %ld of %ld told", s->told, cfg->tpe_startup);
    else
        snprintf(phase, sizeof phase, "Parzen estimators of the last %zu of %ld told", s->n, s->told);
    snprintf(buf, n, "%s (startup %ld, gamma %g, %ld candidates, window %ld%s)", phase, cfg->tpe_startup,
             cfg->tpe_gamma, cfg->tpe_candidates, cfg->tpe_window, cfg->tpe_invert ? ", inverted" : "");
}

static void destroy(void *p)
{
    struct tpe *s = p;
    free(s->win);
    free(s->rank);
    free(s->obs);
    parzen_free(&s->good);
    parzen_free(&s->bad);
    free(s->cand);
    free(s->score);
    free(s);
}

const struct evo_strategy_ops evo_strategy_tpe = {"tpe", create, ask, tell, NULL, describe, destroy, NULL};
