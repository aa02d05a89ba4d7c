/* Promotion: asynchronous successive halving over a strategy's trials (promote.h). */
#include "evotune/promote.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"

/* A row that reached a rung. */
struct entry {
    struct evo_individual row;
    int promoted;
};

/* The rows of one rung, best first (evo_trial_better). */
struct rung {
    struct entry *e;
    size_t n, cap;
};

struct promotion {
    const struct evo_config *cfg;
    struct evo_strategy base;
    int n_rungs;
    int epochs[EVO_PROMOTE_MAX_RUNGS];
    struct rung rungs[EVO_PROMOTE_MAX_RUNGS];
    long promotions;
};

int evo_promote_rungs(const struct evo_config *cfg, int epochs[EVO_PROMOTE_MAX_RUNGS])
{
    double top = evo_genome_spec_max(&cfg->space.spec[EVO_GENE_EPOCHS]), b = (double)cfg->min_epochs;
    int n = 0;
    for (;;) {
        epochs[n++] = (int)(b < top ? b : top);
        if (b >= top || n == EVO_PROMOTE_MAX_RUNGS)
            return n;
        b *= (double)cfg->eta;
    }
}

static void *create(const struct evo_config *cfg)
{
    struct promotion *s = evo_mem_calloc(1, sizeof *s);
    s->cfg = cfg;
    evo_strategy_create(&s->base, cfg);
    s->n_rungs = evo_promote_rungs(cfg, s->epochs);
    return s;
}

static void destroy(void *p)
{
    struct promotion *s = p;
    for (int k = 0; k < EVO_PROMOTE_MAX_RUNGS; k++)
        free(s->rungs[k].e);
    evo_strategy_destroy(&s->base);
    free(s);
}

/* Rung k's budget for genome g: the rung's epochs, at most its epochs gene. */
static int budget_of(const struct promotion *s, int k, const struct evo_genome *g)
{
    int gene = (int)g->g[EVO_GENE_EPOCHS];
    return s->epochs[k] < gene ? s->epochs[k] : gene;
}

/* The best paused row of rung k's top 1/eta not yet promoted, or NULL. */
static struct entry *promotable(struct promotion *s, int k)
{
    struct rung *r = &s->rungs[k];
    size_t top = r->n / (size_t)s->cfg->eta;
    for (size_t i = 0; i < top; i++)
        if (!r->e[i].promoted && r->e[i].row.paused)
            return &r->e[i];
    return NULL;
}

static int ask(void *p, struct evo_individual *t)
{
    struct promotion *s = p;
    for (int k = s->n_rungs - 2; k >= 0; k--) {
        struct entry *e = promotable(s, k);
        if (!e)
            continue;
        e->promoted = 1;
        s->promotions++;
        t->genome = e->row.genome;
        t->generation = e->row.generation;
        t->parent_a = e->row.id;
        t->parent_b = -1;
        t->origin = e->row.origin;
        t->rung = k + 1;
        t->from_epoch = e->row.budget;
        t->budget = budget_of(s, k + 1, &t->genome);
        return EVO_ASK_TRIAL;
    }
    int a = evo_strategy_ask(&s->base, t);
    if (a == EVO_ASK_TRIAL) {
        t->origin = t->id;
        t->rung = 0;
        t->from_epoch = 0;
        t->budget = budget_of(s, 0, &t->genome);
    }
    return a;
}

static void tell(void *p, const struct evo_individual *t)
{
    struct promotion *s = p;
    int k = t->rung >= 0 && t->rung < s->n_rungs ? t->rung : s->n_rungs - 1;
    struct rung *r = &s->rungs[k];
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->e = evo_mem_realloc(r->e, evo_mem_mul(r->cap, sizeof *r->e));
    }
    size_t at = r->n;
    while (at > 0 && evo_trial_better(t, &r->e[at - 1].row))
        at--;
    memmove(r->e + at + 1, r->e + at, (r->n - at) * sizeof *r->e);
    r->e[at] = (struct entry){*t, 0};
    r->n++;
    if (t->rung == 0)
        evo_strategy_tell(&s->base, t);
}

static size_t summary(const void *p, const struct evo_generation **rows)
{
    return evo_strategy_summary(&((const struct promotion *)p)->base, rows);
}

static void describe(const void *p, char *buf, size_t n)
{
    const struct promotion *s = p;
    char base[192];
    evo_strategy_describe(&s->base, base, sizeof base);
    int k = snprintf(buf, n, "%s; %ld promotions, rungs", base, s->promotions);
    for (int i = 0; i < s->n_rungs && k > 0 && (size_t)k < n; i++)
        k += snprintf(buf + k, n - (size_t)k, "%s%zu@%d", i ? " " : " ", s->rungs[i].n, s->epochs[i]);
}

static const struct evo_strategy_ops promotion_ops = {"promotion", create, ask, tell, summary, describe,
                                                     destroy, NULL};

void evo_promote_create(struct evo_strategy *st, const struct evo_config *cfg)
{
    if (!cfg->promotion) {
        evo_strategy_create(st, cfg);
        return;
    }
    st->ops = &promotion_ops;
    st->s = create(cfg);
}
