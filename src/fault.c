/* Fault injection: which kind of call fails from which count on (read once from EVOTUNE_FAULT), and
 * the atomic counters that decide it. */
#include "evotune/fault.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[EVO_FAULT_KIND_COUNT] = {"write", "fsync", "rename", "alloc"};

/* set by evo_fault_init before threads start, read-only afterwards */
static int fault_kind = -1;
static long fault_from;
static atomic_long calls;

int evo_fault_init(struct evo_error *err)
{
    const char *v = getenv("EVOTUNE_FAULT");
    fault_kind = -1;
    atomic_store(&calls, 0);
    if (!v || !*v)
        return EVO_OK;
    for (int k = 0; k < EVO_FAULT_KIND_COUNT; k++) {
        size_t n = strlen(kind_names[k]);
        char *end;
        if (strncmp(v, kind_names[k], n) || v[n] != ':')
            continue;
        long from = strtol(v + n + 1, &end, 10);
        if (end == v + n + 1 || *end || from < 1)
            break;
        fault_kind = k;
        fault_from = from;
        return EVO_OK;
    }
    return evo_error_set(err, EVO_EUSAGE, "EVOTUNE_FAULT='%s': expected write:K, fsync:K, rename:K or alloc:K "
                         "with K >= 1", v);
}

int evo_fault_active(void)
{
    return fault_kind >= 0;
}

int evo_fault_hit(enum evo_fault_kind kind)
{
    if ((int)kind != fault_kind)
        return 0;
    return atomic_fetch_add(&calls, 1) + 1 >= fault_from;
}
