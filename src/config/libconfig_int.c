/* The work-around for libconfig 1.5's integer literals, which it reads with atoi: the text is widened
 * (suffixes L and .0) before libconfig parses it, so that a range check sees the number written. Only
 * this file knows; the rest of src/config/ calls evo_config_parse_text. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/mem.h"
#include "internal.h"

/* libconfig 1.5 reads a plain integer literal with atoi, so 3000000000 silently becomes -1294967296.
 * Before parsing, every literal that does not fit in 32 bits gets the suffix L (read as 64-bit), and
 * a decimal one that does not fit in 64 bits the suffix .0 (read as the float it is), so that range
 * checks see the number that was written. Hex literals beyond 64 bits are left to libconfig. Only
 * characters within a line are added, so line numbers hold. A suffix, two characters at most, follows
 * only a literal of ten characters or more (2147483648, 0x80000000), so the text grows by a fifth at
 * most and one allocation holds it. */
static char *widen_integers(const char *s)
{
    size_t n = strlen(s), i = 0, done = 0;
    char *out = evo_mem_alloc(evo_mem_add(evo_mem_add(n, n / 5), 1)), *o = out;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '#' || (ch == '/' && s[i + 1] == '/')) {
            while (i < n && s[i] != '\n')
                i++;
        } else if (ch == '/' && s[i + 1] == '*') {
            const char *end = strstr(s + i + 2, "*/");
            i = end ? (size_t)(end - s) + 2 : n;
        } else if (ch == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\' && i + 1 < n)
                    i++;
            if (i < n)
                i++;
        } else if (isalpha(ch) || ch == '*' || ch == '@') {
            /* a name (its digits are not numbers) */
            for (i++; i < n && (isalnum((unsigned char)s[i]) || strchr("-_*", s[i])); i++)
                ;
        } else if (isdigit(ch) || (ch == '.' && isdigit((unsigned char)s[i + 1]))) {
            int neg = i > 0 && s[i - 1] == '-';
            const char *suffix = NULL;
            size_t j = i;
            if (ch == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
                uint64_t v = 0;
                int over = 0;
                for (j = i + 2; isxdigit((unsigned char)s[j]); j++) {
                    int h = tolower((unsigned char)s[j]), d = isdigit(h) ? h - '0' : h - 'a' + 10;
                    over |= (v >> 60) != 0;
                    v = v * 16 + (uint64_t)d;
                }
                if (s[j] != 'L' && !over && v > INT32_MAX)
                    suffix = "L";
            } else {
                uint64_t v = 0;
                int over = 0;
                for (; isdigit((unsigned char)s[j]); j++) {
                    unsigned d = (unsigned)(s[j] - '0');
                    if (v > (UINT64_MAX - d) / 10)
                        over = 1;
                    else
                        v = v * 10 + d;
                }
                if (s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
                    for (; isdigit((unsigned char)s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
                           ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E'));
                         j++)
                        ;
                } else if (s[j] != 'L') {
                    uint64_t max64 = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
                    uint64_t max32 = neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX;
                    if (over || v > max64)
                        suffix = ".0";
                    else if (v > max32)
                        suffix = "L";
                }
            }
            if (suffix) {
                memcpy(o, s + done, j - done);
                o += j - done;
                memcpy(o, suffix, strlen(suffix));
                o += strlen(suffix);
                done = j;
            }
            i = j;
        } else {
            i++;
        }
    }
    memcpy(o, s + done, n - done);
    o[n - done] = '\0';
    return out;
}

int evo_config_parse_text(config_t *lc, const char *text)
{
    char *wide = widen_integers(text);
    int ok = config_read_string(lc, wide);
    free(wide);
    return ok;
}

