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
    int in_top;      /* among the rung's top floor(n / eta) */
};

/* A binary heap of entry indices: the best first (evo_trial_better), or the worst first. */
struct heap {
    size_t *i;
    size_t n, cap;
    int worst_first;
};

/* The rows of one rung in the order they arrived, and three heaps over them, so that a tell and a
 * promotion cost O(log n), not a sorted insert and a scan (a night of 100 000 trials): the rung's top
 * floor(n / eta) (worst first), the rest (best first), and the candidates (best first: paused, not
 * promoted, in the top when pushed; stale ones are skipped when they surface). */
struct rung {
    struct entry *e;
    size_t n, cap;
    struct heap top, rest, cand;
};

/* 1 when entry a goes above entry b in h. */
static int above(const struct heap *h, const struct entry *e, size_t a, size_t b)
{
    return h->worst_first ? evo_trial_better(&e[b].row, &e[a].row) : evo_trial_better(&e[a].row, &e[b].row);
}

static void heap_push(struct heap *h, const struct entry *e, size_t x)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->i = evo_mem_realloc(h->i, evo_mem_mul(h->cap, sizeof *h->i));
    }
    size_t k = h->n++;
    while (k > 0 && above(h, e, x, h->i[(k - 1) / 2])) {
        h->i[k] = h->i[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    h->i[k] = x;
}

static size_t heap_pop(struct heap *h, const struct entry *e)
{
    size_t root = h->i[0], x = h->i[--h->n], k = 0;
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && above(h, e, h->i[c + 1], h->i[c]))
            c++;
        if (!above(h, e, h->i[c], x))
            break;
        h->i[k] = h->i[c];
        k = c;
    }
    if (h->n)
        h->i[k] = x;
    return root;
}

/* Entry x joins the rung's top: a candidate for promotion when paused and not promoted. */
static void enter_top(struct rung *r, size_t x)
{
    r->e[x].in_top = 1;
    heap_push(&r->top, r->e, x);
    if (r->e[x].row.paused && !r->e[x].promoted)
        heap_push(&r->cand, r->e, x);
}

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
    for (int k = 0; k < EVO_PROMOTE_MAX_RUNGS; k++)
        s->rungs[k].top.worst_first = 1;
    return s;
}

static void destroy(void *p)
{
    struct promotion *s = p;
    for (int k = 0; k < EVO_PROMOTE_MAX_RUNGS; k++) {
        free(s->rungs[k].e);
        free(s->rungs[k].top.i);
        free(s->rungs[k].rest.i);
        free(s->rungs[k].cand.i);
    }
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
    while (r->cand.n) {
        size_t x = r->cand.i[0];
        if (!r->e[x].promoted && r->e[x].in_top)
            return &r->e[x];
        heap_pop(&r->cand, r->e); /* promoted since, or pushed out of the top */
    }
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
    size_t x = r->n++;
    r->e[x] = (struct entry){*t, 0, 0};
    heap_push(&r->rest, r->e, x);
    /* the top holds the best floor(n / eta), each better than every row of the rest */
    while (r->top.n < r->n / (size_t)s->cfg->eta && r->rest.n)
        enter_top(r, heap_pop(&r->rest, r->e));
    if (r->top.n && r->rest.n && evo_trial_better(&r->e[r->rest.i[0]].row, &r->e[r->top.i[0]].row)) {
        size_t out = heap_pop(&r->top, r->e);
        r->e[out].in_top = 0;
        heap_push(&r->rest, r->e, out);
        enter_top(r, heap_pop(&r->rest, r->e));
    }
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
