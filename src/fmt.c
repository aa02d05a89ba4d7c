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
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (!isfinite(v) || strtod(out, NULL) == v)
            return;
    }
}

void evo_fmt_float(char *out, size_t n, double v)
{
    evo_fmt_number(out, n, v);
    if (!strpbrk(out, ".eEn") && strlen(out) + 3 <= n)
        strcat(out, ".0");
}
