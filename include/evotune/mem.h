/* Allocation that cannot fail silently and size arithmetic that cannot overflow silently.
 * Out of memory is not recoverable for a search: these abort with the size that was asked for. */
#ifndef EVOTUNE_MEM_H
#define EVOTUNE_MEM_H
#include <stddef.h>

/* malloc/calloc/realloc that abort with a message naming the size when memory runs out.
 * A request of 0 bytes returns a valid pointer. Thread-safe. */
void *evo_mem_alloc(size_t size);
void *evo_mem_calloc(size_t count, size_t size);
void *evo_mem_realloc(void *ptr, size_t size);
/* strdup that aborts on out of memory; NULL in gives NULL out. */
char *evo_mem_strdup(const char *s);

/* a*b, or SIZE_MAX when the product overflows size_t. */
size_t evo_mem_mul(size_t a, size_t b);
/* a+b, or SIZE_MAX when the sum overflows size_t. */
size_t evo_mem_add(size_t a, size_t b);

#endif
