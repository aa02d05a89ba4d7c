/* Shortest round-trip formatting of doubles. */
#include "evotune/fmt.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void evo_fmt_number(char *out, size_t n, double v)
{
    /* %.17g always round-trips but prints 0.1 as 0.10000000000000001 */
    if (v == nearbyint(v) && fabs(v) < 1e15) {
        snprintf(out, n, "%.0f", v);
        return;
    }
    if (!isfinite(v)) {
        snprintf(out, n, "%g", v);
        return;
    }
    /* The fewest digits that read back as v, by bisection: if p digits do, so do p + 1 (the decimal of
     * p digits is one of p + 1, so the nearest of p + 1 is at least as near v), and 17 always do. */
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(out, n, "%.*g", mid, v);
        if (strtod(out, NULL) == v)
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(out, n, "%.*g", lo, v);
}

void evo_fmt_float(char *out, size_t n, double v)
{
    evo_fmt_number(out, n, v);
    if (!strpbrk(out, ".eEn") && strlen(out) + 3 <= n)
        strcat(out, ".0");
}
