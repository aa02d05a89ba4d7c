/* Finalists re-evaluated against validation overfitting (finalist.h). */
#include "evotune/finalist.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"
#include "evotune/train.h"

void evo_finalists_init(struct evo_finalists *f, const struct evo_config *cfg)
{
    memset(f, 0, sizeof *f);
    f->count = cfg->finalists;
    f->repeats = cfg->finalist_repeats;
    if (f->count > 0)
        f->top = evo_mem_calloc((size_t)f->count, sizeof *f->top);
}

/* 1 when a and b build and train the same network: every gene that applies equal. */
static int same_network(const struct evo_genome *a, const struct evo_genome *b)
{
    for (int g = 0; g < EVO_GENE_COUNT; g++) {
        int on = evo_genome_applies(a, g);
        if (on != evo_genome_applies(b, g) || (on && a->g[g] != b->g[g]))
            return 0;
    }
    return 1;
}

void evo_finalists_offer(struct evo_finalists *f, const struct evo_individual *t)
{
    if (!f->count || t->status != EVO_TRAIN_OK || t->purpose != EVO_PURPOSE_SEARCH)
        return;
    size_t at = f->n_top; /* where t goes: its genome's slot when listed, else after the last */
    for (size_t i = 0; i < f->n_top; i++)
        if (same_network(&f->top[i].genome, &t->genome)) {
            if (!evo_trial_better(t, &f->top[i]))
                return; /* its genome is listed with a better row */
            at = i;
            break;
        }
    if (at == f->n_top) {
        if (f->n_top < (size_t)f->count)
            f->n_top++;
        else if (!evo_trial_better(t, &f->top[--at]))
            return; /* below the last of a full list */
    }
    /* insertion from slot `at` upwards, keeping best first */
    while (at > 0 && evo_trial_better(t, &f->top[at - 1])) {
        f->top[at] = f->top[at - 1];
        at--;
    }
    f->top[at] = *t;
}

size_t evo_finalists_runs(const struct evo_finalists *f)
{
    return f->n_top * (size_t)(f->repeats > 0 ? f->repeats : 0);
}

void evo_finalists_trial(const struct evo_finalists *f, size_t j, struct evo_individual *t)
{
    const struct evo_individual *src = &f->top[j / (size_t)f->repeats];
    t->generation = src->generation;
    t->parent_a = src->id;
    t->parent_b = -1;
    t->genome = src->genome;
    t->purpose = EVO_PURPOSE_FINALIST;
    t->budget = (int32_t)src->genome.g[EVO_GENE_EPOCHS];
    t->rung = 0;
    t->from_epoch = 0;
    t->origin = t->id;
    evo_trial_clear_results(t);
}

double evo_finalists_reserve(const struct evo_finalists *f, int threads, size_t pending)
{
    size_t runs = evo_finalists_runs(f);
    if (!runs)
        return 0.0;
    double sum = 0;
    for (size_t i = 0; i < f->n_top; i++) {
        const struct evo_individual *t = &f->top[i];
        double trained = t->budget > t->from_epoch ? t->budget - t->from_epoch : 1;
        sum += t->train_seconds * t->genome.g[EVO_GENE_EPOCHS] / trained;
    }
    double slots = threads < 1 ? 1 : threads;
    return 1.5 * sum / (double)f->n_top * ceil((double)(runs + pending) / slots); /* with a margin */
}

void evo_finalists_release(struct evo_finalists *f)
{
    free(f->top);
    memset(f, 0, sizeof *f);
}

/* The row of id in rows[0..n) (id order), or NULL. */
static const struct evo_individual *find_row(const struct evo_individual *rows, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && rows[lo].id == id ? &rows[lo] : NULL;
}

/* Winner first: higher mean, then the search row's rank (evo_trial_better; every finalist's search
 * row trained successfully). */
static int compare_finalists(const void *pa, const void *pb)
{
    const struct evo_finalist *a = pa, *b = pb;
    if (a->mean != b->mean)
        return a->mean > b->mean ? -1 : 1;
    if (a->fitness != b->fitness)
        return a->fitness > b->fitness ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

size_t evo_finalists_summarize(const struct evo_individual *rows, size_t n, struct evo_finalist **out)
{
    *out = NULL;
    size_t k = 0, cap = 0;
    struct evo_finalist *fs = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct evo_individual *t = &rows[i];
        if (t->purpose != EVO_PURPOSE_FINALIST)
            continue;
        size_t j = 0;
        while (j < k && fs[j].id != t->parent_a)
            j++;
        if (j == k) {
            if (k == cap) {
                cap = cap ? 2 * cap : 8;
                fs = evo_mem_realloc(fs, evo_mem_mul(cap, sizeof *fs));
            }
            const struct evo_individual *src = find_row(rows, n, t->parent_a);
            fs[k++] = (struct evo_finalist){.id = t->parent_a, .fitness = src ? src->fitness : NAN,
                                            .chosen = -1};
        }
        fs[j].runs++;
        fs[j].mean += t->fitness; /* the sum, until every run is in */
    }
    for (size_t j = 0; j < k; j++) {
        struct evo_finalist *f = &fs[j];
        f->mean /= f->runs;
        if (isnan(f->mean))
            f->mean = -INFINITY;
        double ss = 0, best_d = INFINITY;
        for (size_t i = 0; i < n; i++) {
            const struct evo_individual *t = &rows[i];
            if (t->purpose != EVO_PURPOSE_FINALIST || t->parent_a != f->id)
                continue;
            double d = t->fitness - f->mean;
            ss += isfinite(d) ? d * d : 0;
            d = fabs(d);
            if (t->status == EVO_TRAIN_OK && (f->chosen < 0 || d < best_d))
                best_d = d, f->chosen = t->id;
        }
        f->spread = f->runs > 1 ? sqrt(ss / (f->runs - 1)) : 0.0;
    }
    if (k)
        qsort(fs, k, sizeof *fs, compare_finalists);
    *out = fs;
    return k;
}
