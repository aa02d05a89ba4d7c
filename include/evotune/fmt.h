/* Number formatting shared by everything that writes numbers for people and other programs to read
 * back exactly (the effective config, CSV and JSON exports, reports). */
#ifndef EVOTUNE_FMT_H
#define EVOTUNE_FMT_H
#include <stddef.h>

/* The shortest decimal text that reads back (strtod) as exactly v; integral values below 1e15 are
 * written without exponent or point ("10", not "1e+01"). NaN and infinities as printf writes them.
 * Writes at most n bytes (n >= 32 always suffices). Thread-safe. */
void evo_fmt_number(char *out, size_t n, double v);

/* As evo_fmt_number, but always reads back as a floating-point number: "0.0", not "0" (libconfig and
 * pandas would read an integer). */
void evo_fmt_float(char *out, size_t n, double v);

#endif
