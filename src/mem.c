/* Allocation wrappers that hand a failure, real or injected, to the out-of-memory handler, and
 * overflow-checked size arithmetic. */
#include "evotune/mem.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/fault.h"

static void default_handler(size_t size)
{
    fprintf(stderr, "evotune: fatal: out of memory allocating %zu bytes\n", size);
    abort();
}

/* set before threads start, read-only afterwards */
static evo_mem_oom_handler oom_handler = default_handler;

void evo_mem_set_oom_handler(evo_mem_oom_handler handler)
{
    oom_handler = handler ? handler : default_handler;
}

static void out_of_memory(size_t size)
{
    oom_handler(size);
    abort(); /* a handler that returns breaks its contract */
}

void *evo_mem_alloc(size_t size)
{
    void *p = evo_fault_hit(EVO_FAULT_ALLOC) ? NULL : malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *evo_mem_calloc(size_t count, size_t size)
{
    void *p = evo_fault_hit(EVO_FAULT_ALLOC) ? NULL : calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(evo_mem_mul(count, size));
    return p;
}

void *evo_mem_realloc(void *ptr, size_t size)
{
    void *p = evo_fault_hit(EVO_FAULT_ALLOC) ? NULL : realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *evo_mem_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    return memcpy(evo_mem_alloc(n), s, n);
}

size_t evo_mem_mul(size_t a, size_t b)
{
    if (a && b > SIZE_MAX / a)
        return SIZE_MAX;
    return a * b;
}

size_t evo_mem_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}
