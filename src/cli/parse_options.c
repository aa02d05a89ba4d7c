/* The one option parser of the command line (git's parse-options): every command declares its
 * options as a table of struct cli_option, and this reads argv against it, writes the values where the
 * table says, and reports a bad option in one line that names it. Also the --help lines of a table. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/config.h"
#include "evotune/error.h"
#include "evotune/mem.h"
#include "cli.h"

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "evotune: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'evotune --help')\n");
    va_end(ap);
    return CLI_EXIT_USAGE;
}

char *cli_quote(const char *s)
{
    char *q = evo_mem_alloc(2 * strlen(s) + 3), *p = q;
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '"';
    *p = '\0';
    return q;
}

static void sets_add(struct cli_sets *s, const char *set, int owned)
{
    s->v = evo_mem_realloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = set;
    if (owned) {
        s->owned = evo_mem_realloc(s->owned, (s->n_owned + 1) * sizeof *s->owned);
        s->owned[s->n_owned++] = (char *)set;
    }
}

/* Appends "key=value" to s. */
static void sets_add_key(struct cli_sets *s, const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(value) + 2;
    char *set = evo_mem_alloc(n);
    snprintf(set, n, "%s=%s", key, value);
    sets_add(s, set, 1);
}

void cli_sets_release(struct cli_sets *s)
{
    for (size_t i = 0; i < s->n_owned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* What an option of kind k needs, for "option '--x' needs ...". */
static const char *needs(int k)
{
    switch (k) {
    case CLI_COUNT: return "a non-negative integer";
    case CLI_DURATION: return "a duration such as 8h, 90m or 45s";
    case CLI_SET: return "PATH=VALUE";
    case CLI_SET_INTEGER: return "an integer";
    default: return "a value";
    }
}

/* Stores value (the text given for o, spelt `as`) where o says; returns 0 or the usage exit code. */
static int store(const struct cli_option *o, const char *as, const char *value, void *args)
{
    void *target = (char *)args + o->target;
    long v = 0;
    double seconds;
    int bad = (o->kind == CLI_COUNT && (parse_long(value, &v) || v < 0)) ||
              (o->kind == CLI_SET_INTEGER && parse_long(value, &v)) ||
              (o->kind == CLI_DURATION && evo_config_parse_duration(value, &seconds));
    if (bad)
        return cli_usage_error("option '%s' needs %s, got '%s'", as, needs(o->kind), value);
    switch (o->kind) {
    case CLI_COUNT: *(long *)target = v; break;
    case CLI_SET: sets_add(target, value, 0); break;
    case CLI_SET_INTEGER: sets_add_key(target, o->key, value); break;
    case CLI_SET_TEXT: {
        char *q = cli_quote(value);
        sets_add_key(target, o->key, q);
        free(q);
        break;
    }
    default: *(const char **)target = value; /* CLI_TEXT, CLI_DURATION */
    }
    return CLI_EXIT_OK;
}

/* The option arg names (NULL: none); *value is set to the text after '=' of "--name=value". */
static const struct cli_option *find(const struct cli_option *opts, const char *arg, const char **value)
{
    *value = NULL;
    for (const struct cli_option *o = opts; o->name; o++) {
        size_t n = strlen(o->name);
        if (!strcmp(arg, o->name) || (o->alias && !strcmp(arg, o->alias)))
            return o;
        if (!strncmp(arg, o->name, n) && arg[n] == '=') {
            *value = arg + n + 1;
            return o;
        }
    }
    return NULL;
}

/* "unknown option '--theads' (did you mean '--threads'?)": the names are compared without their
 * dashes, and a suggestion needs more than half the name right (not '--set' for '--out'). */
static int unknown(const struct cli_option *opts, const char *arg)
{
    const char *name = arg + strspn(arg, "-");
    size_t len = strcspn(name, "="), best_d = SIZE_MAX;
    const char *best = NULL;
    char *typed = evo_mem_alloc(len + 1);
    memcpy(typed, name, len);
    typed[len] = '\0';
    for (const struct cli_option *o = opts; o->name; o++) {
        size_t d = evo_error_distance(typed, o->name + strspn(o->name, "-"));
        if (d < best_d)
            best_d = d, best = o->name;
    }
    int close = best && evo_error_is_close(typed, best_d) && 2 * best_d < len;
    free(typed);
    if (close)
        return cli_usage_error("unknown option '%s' (did you mean '%s'?)", arg, best);
    return cli_usage_error("unknown option '%s'", arg);
}

int cli_parse(int argc, char **argv, const struct cli_option *opts, void *args, const char **pos,
              size_t n_pos)
{
    size_t k = 0;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *value;
        const struct cli_option *o = find(opts, arg, &value);
        if (!o && arg[0] == '-' && arg[1])
            return unknown(opts, arg);
        if (!o && k < n_pos) {
            pos[k++] = arg;
            continue;
        }
        if (!o)
            return cli_usage_error("unexpected argument '%s'", arg);
        /* the option as the user spelt it, without "=value" */
        int spelt = value ? (int)(value - 1 - arg) : (int)strlen(arg);
        if (o->kind == CLI_FLAG) {
            if (value)
                return cli_usage_error("option '%.*s' takes no value", spelt, arg);
            *(int *)((char *)args + o->target) = 1;
            continue;
        }
        if (!value && i + 1 >= argc)
            return cli_usage_error("option '%s' needs %s", arg, needs(o->kind));
        char as[64];
        snprintf(as, sizeof as, "%.*s", spelt, arg);
        int rc = store(o, as, value ? value : argv[++i], args);
        if (rc)
            return rc;
    }
    return CLI_EXIT_OK;
}

void cli_write_options(FILE *f, const struct cli_option *opts)
{
    for (const struct cli_option *o = opts; o->name; o++) {
        if (!o->help)
            continue;
        char label[64];
        snprintf(label, sizeof label, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-18s", label);
        for (const char *h = o->help; *h; h++)
            if (*h == '\n')
                fprintf(f, "\n%20s", "");
            else
                fputc(*h, f);
        fputc('\n', f);
    }
}
