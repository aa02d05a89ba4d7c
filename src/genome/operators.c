/* The genetic operators over a search space: the coordinate a RANGE spec is sampled and mutated in,
 * sampling a genome, uniform crossover, mutation by gene kind (with the derived stream of the genes
 * added later, so that older searches draw what they drew), and the check that a genome lies in the
 * space. */
#include "internal.h"
#include <math.h>

void evo_genome_range_bounds(const struct evo_gene_spec *s, int type, double *lo, double *hi)
{
    double a = s->min, b = s->max;
    if (type == EVO_GENE_INT) {
        a -= 0.4999;
        b += 0.4999;
        if (s->log && a <= 0)
            a = s->min * 0.5;
    }
    *lo = s->log ? log(a) : a;
    *hi = s->log ? log(b) : b;
}

double evo_genome_range_point(const struct evo_gene_spec *s, double v)
{
    return s->log ? log(v) : v;
}

double evo_genome_range_value(const struct evo_gene_spec *s, int type, double t)
{
    double v = s->log ? exp(t) : t;
    if (type == EVO_GENE_INT)
        v = nearbyint(v) + 0.0; /* + 0.0: no -0 from rounding -0.3 (it printed as "-0") */
    return fmin(fmax(v, s->min), s->max);
}

static double sample_gene(const struct evo_gene_spec *s, int type, struct evo_rng *rng)
{
    switch (s->kind) {
    case EVO_SPEC_RANGE: {
        double lo, hi;
        evo_genome_range_bounds(s, type, &lo, &hi);
        return evo_genome_range_value(s, type, lo + (hi - lo) * evo_rng_uniform(rng));
    }
    case EVO_SPEC_CHOICE:
        return s->choices[evo_rng_below(rng, s->n_choices)];
    default:
        return s->value;
    }
}

/* The stream the operators draw from for gene i: the caller's for the original genes; for those
 * added later, one derived from the caller's state (*added, seeded at the first of them) without
 * advancing the caller's stream, which the next operator then continues as before. */
static struct evo_rng *gene_rng(int i, struct evo_rng *rng, struct evo_rng *added)
{
    if (i < EVO_GENE_FIRST_ADDED)
        return rng;
    if (i == EVO_GENE_FIRST_ADDED) {
        struct evo_rng peek = *rng;
        evo_rng_seed(added, evo_rng_next(&peek), 0, 0, EVO_GENE_FIRST_ADDED);
    }
    return added;
}

void evo_genome_sample(struct evo_genome *out, const struct evo_space *space, struct evo_rng *rng)
{
    struct evo_rng added;
    for (int i = 0; i < EVO_GENE_COUNT; i++)
        out->g[i] = sample_gene(&space->spec[i], evo_genome_genes[i].type, gene_rng(i, rng, &added));
}

void evo_genome_crossover(struct evo_genome *child, const struct evo_genome *a,
                          const struct evo_genome *b, struct evo_rng *rng)
{
    struct evo_rng added;
    for (int i = 0; i < EVO_GENE_COUNT; i++)
        child->g[i] = (evo_rng_next(gene_rng(i, rng, &added)) >> 63) ? b->g[i] : a->g[i];
}

static double mutate_range(const struct evo_gene_spec *s, int type, double v, struct evo_rng *rng)
{
    double lo, hi;
    evo_genome_range_bounds(s, type, &lo, &hi);
    double w = hi - lo;
    if (w <= 0)
        return v;
    double t = evo_genome_range_point(s, v) + 0.1 * w * evo_rng_normal(rng);
    /* Reflect at the bounds (possibly several times for a large step) rather than clamp, so that the
     * bounds do not collect probability mass. */
    double period = 2 * w, u = fmod(t - lo, period);
    if (u < 0)
        u += period;
    t = lo + (u <= w ? u : period - u);
    return evo_genome_range_value(s, type, t);
}

void evo_genome_mutate(struct evo_genome *g, const struct evo_space *space, double rate,
                       struct evo_rng *caller)
{
    struct evo_rng added;
    for (int i = 0; i < EVO_GENE_COUNT; i++) {
        struct evo_rng *rng = gene_rng(i, caller, &added);
        const struct evo_gene_spec *s = &space->spec[i];
        /* The uniform is drawn for every gene, fixed ones too, so that the stream's position does not
         * depend on which genes a config happens to fix. */
        int hit = evo_rng_uniform(rng) < rate;
        if (!hit || s->kind == EVO_SPEC_FIXED)
            continue;
        if (s->kind == EVO_SPEC_RANGE) {
            g->g[i] = mutate_range(s, evo_genome_genes[i].type, g->g[i], rng);
        } else if (s->n_choices > 1) {
            /* another choice, uniformly among the others */
            size_t cur = 0;
            while (cur < s->n_choices && s->choices[cur] != g->g[i])
                cur++;
            size_t k = (size_t)evo_rng_below(rng, s->n_choices - (cur < s->n_choices));
            if (cur < s->n_choices && k >= cur)
                k++;
            g->g[i] = s->choices[k];
        }
    }
}

int evo_genome_in_space(const struct evo_genome *g, const struct evo_space *space)
{
    for (int i = 0; i < EVO_GENE_COUNT; i++) {
        const struct evo_gene_spec *s = &space->spec[i];
        double v = g->g[i];
        if (evo_genome_genes[i].type != EVO_GENE_FLOAT && v != nearbyint(v))
            return 0;
        switch (s->kind) {
        case EVO_SPEC_FIXED:
            if (v != s->value)
                return 0;
            break;
        case EVO_SPEC_RANGE:
            if (!(v >= s->min && v <= s->max))
                return 0;
            break;
        default: {
            size_t k = 0;
            while (k < s->n_choices && s->choices[k] != v)
                k++;
            if (k == s->n_choices)
                return 0;
        }
        }
    }
    return 1;
}
