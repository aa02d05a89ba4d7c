/* Random search: every trial an independent sample of the search space (strategy.h). */
#include <stdio.h>
#include <stdlib.h>
#include "evotune/mem.h"
#include "evotune/strategy.h"

struct random_state {
    const struct evo_config *cfg;
    long told;
};

static void *create(const struct evo_config *cfg)
{
    struct random_state *s = evo_mem_calloc(1, sizeof *s);
    s->cfg = cfg;
    return s;
}

static int ask(void *p, struct evo_individual *t)
{
    struct random_state *s = p;
    evo_strategy_sample(s->cfg, t);
    return EVO_ASK_TRIAL;
}

static void tell(void *p, const struct evo_individual *t)
{
    ((struct random_state *)p)->told++;
}

static void describe(const void *p, char *buf, size_t n)
{
    snprintf(buf, n, "random search, %ld trials told", ((const struct random_state *)p)->told);
}

const struct evo_strategy_ops evo_strategy_random = {"random", create, ask, tell, NULL, describe, free, NULL};
