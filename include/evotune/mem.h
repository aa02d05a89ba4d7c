/* Allocation that cannot fail silently and size arithmetic that cannot overflow silently.
 * Out of memory is not recoverable for a search: the allocators never return NULL but call the
 * out-of-memory handler, which does not return. The library's default handler prints the size and
 * aborts; the CLI installs one that removes its temporary file and exits with code 1 (main.c), so an
 * out-of-memory is an orderly failure, not a crash. */
#ifndef EVOTUNE_MEM_H
#define EVOTUNE_MEM_H
#include <stddef.h>

/* malloc/calloc/realloc that call the out-of-memory handler with the size when memory runs out (or
 * when fault injection, EVOTUNE_FAULT=alloc:K in fault.h, fails them). A request of 0 bytes returns a
 * valid pointer. Thread-safe. */
void *evo_mem_alloc(size_t size);
void *evo_mem_calloc(size_t count, size_t size);
void *evo_mem_realloc(void *ptr, size_t size);
/* strdup through evo_mem_alloc; NULL in gives NULL out. */
char *evo_mem_strdup(const char *s);

/* What runs when an allocation of size bytes fails; must not return. It may run on any thread,
 * an OpenMP worker included, and on several at once. */
typedef void (*evo_mem_oom_handler)(size_t size);

/* Installs handler (NULL: the default, which prints "evotune: fatal: out of memory allocating N
 * bytes" and aborts). Call at start-up, before any thread starts. */
void evo_mem_set_oom_handler(evo_mem_oom_handler handler);

/* a*b, or SIZE_MAX when the product overflows size_t. */
size_t evo_mem_mul(size_t a, size_t b);
/* a+b, or SIZE_MAX when the sum overflows size_t. */
size_t evo_mem_add(size_t a, size_t b);

#endif
