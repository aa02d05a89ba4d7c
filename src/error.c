/* The error record every library function fills in, and the mapping of statuses to exit codes. */
#include "evotune/error.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Copies src into dst (size n) with control bytes escaped (\n, \t, \xHH): messages quote user
 * text (--set arguments, config strings, CSV cells) and must stay one line whatever it holds. */
static void copy_escaped(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && k + 5 < n; p++) {
        if (*p >= 0x20 && *p != 0x7f)
            dst[k++] = (char)*p;
        else if (*p == '\n' || *p == '\t' || *p == '\r')
            k += (size_t)snprintf(dst + k, n - k, "\\%c", *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r');
        else
            k += (size_t)snprintf(dst + k, n - k, "\\x%02x", *p);
    }
    dst[k] = '\0';
}

int evo_error_set(struct evo_error *err, int status, const char *fmt, ...)
{
    if (!err)
        return status;
    char raw[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    copy_escaped(err->msg, sizeof err->msg, raw);
    err->status = status;
    return status;
}

int evo_error_prefix(struct evo_error *err, const char *fmt, ...)
{
    if (!err)
        return EVO_ERUNTIME;
    char raw[512], prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    copy_escaped(prefix, sizeof prefix, raw);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = strnlen(old, sizeof old);
    if (rest > sizeof err->msg - n - 3)
        rest = sizeof err->msg - n - 3;
    memcpy(err->msg + n + 2, old, rest);
    err->msg[n + 2 + rest] = '\0';
    return err->status;
}

size_t evo_error_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

int evo_error_is_close(const char *typed, size_t distance)
{
    size_t limit = strlen(typed) / 3;
    return distance <= (limit > 2 ? limit : 2);
}

int evo_error_exit_code(int status)
{
    switch (status) {
    case EVO_OK: return 0;
    case EVO_EUSAGE:
    case EVO_ECONFIG:
    case EVO_EDATA: return 2;
    default: return 1;
    }
}
