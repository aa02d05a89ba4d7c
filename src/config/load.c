/* Reading a configuration: the libconfig text of a file or a string, --set overrides and defaults
 * become a validated struct evo_config, driven by the key table (keys.c) and the gene table
 * (genome.h): unknown keys (with a suggestion), types, ranges, per-layer shorthands, the keys each
 * strategy uses, the task's loss and fitness. Every error is one line naming the file and line, or
 * the override, and the key. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/fmt.h"
#include "evotune/mem.h"
#include "internal.h"

/* The keys of a search spec group. */
static const char *const spec_keys[] = {"min", "max", "log", "choice"};
#define N_SPEC_KEYS (sizeof spec_keys / sizeof spec_keys[0])

/* Hook of the settings filled in from defaults; settings added by override i carry the hook i + 1.
 * Both have source line 0, so the hook is what tells them apart in messages. */
static char default_mark;

struct ctx {
    const char *name; /* file name for messages */
    const char *const *sets;
    size_t n_sets;
    struct evo_error *err;
};

/* A growing text (the file read). */
struct buf {
    char *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = evo_mem_add(evo_mem_mul(b->cap, 2), n + 1);
        b->p = evo_mem_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Parses one libconfig value (override values and defaults) into tmp, initialised by the caller.
 * The value is wrapped in a one-element list so that a trailing comment or a second setting smuggled
 * in ("1; x = 2") cannot pass. Returns the value, or NULL when it is not exactly one value. */
static config_setting_t *parse_value(config_t *tmp, const char *value)
{
    size_t n = strlen(value) + 16;
    char *text = evo_mem_alloc(n);
    snprintf(text, n, "v = ( %s\n);", value);
    int ok = evo_config_parse_text(tmp, text);
    free(text);
    if (!ok)
        return NULL;
    config_setting_t *root = config_root_setting(tmp);
    config_setting_t *v = config_setting_get_member(root, "v");
    if (config_setting_length(root) != 1 || !v || config_setting_length(v) != 1)
        return NULL;
    return config_setting_get_elem(v, 0);
}

/* Adds a deep copy of src to parent under name (NULL inside arrays and lists), every new setting
 * carrying hook. Returns NULL when libconfig refuses (an invalid name). */
static config_setting_t *copy_setting(config_setting_t *parent, const char *name,
                                      const config_setting_t *src, void *hook)
{
    int type = config_setting_type(src);
    config_setting_t *dst = config_setting_add(parent, name, type);
    if (!dst)
        return NULL;
    config_setting_set_hook(dst, hook);
    switch (type) {
    case CONFIG_TYPE_INT: config_setting_set_int(dst, config_setting_get_int(src)); break;
    case CONFIG_TYPE_INT64: config_setting_set_int64(dst, config_setting_get_int64(src)); break;
    case CONFIG_TYPE_FLOAT: config_setting_set_float(dst, config_setting_get_float(src)); break;
    case CONFIG_TYPE_BOOL: config_setting_set_bool(dst, config_setting_get_bool(src)); break;
    case CONFIG_TYPE_STRING: config_setting_set_string(dst, config_setting_get_string(src)); break;
    default:
        for (int i = 0; i < config_setting_length(src); i++) {
            const config_setting_t *e = config_setting_get_elem(src, (unsigned)i);
            if (!copy_setting(dst, config_setting_name(e), e, hook))
                return NULL;
        }
    }
    return dst;
}

/* ---- messages ---- */

/* Dotted path of s: "ga.population", "search.batch_size.choice[2]". */
static void path_of(const config_setting_t *s, char *out, size_t n)
{
    const config_setting_t *parent = config_setting_parent(s);
    if (!parent) {
        out[0] = '\0';
        return;
    }
    path_of(parent, out, n);
    size_t len = strlen(out);
    if (config_setting_is_array(parent) || config_setting_is_list(parent))
        snprintf(out + len, n - len, "[%d]", config_setting_index(s));
    else
        snprintf(out + len, n - len, "%s%s", len ? "." : "", config_setting_name(s));
}

/* Where a setting came from: "FILE:LINE" for the file, "--set 'ARG'" for an override, "FILE" for a
 * default (*is_default set). Array elements and groups created on the way to an override carry no
 * line of their own, so the nearest ancestor that knows answers. */
static void locate(const struct ctx *c, const config_setting_t *s, char *out, size_t n, int *is_default)
{
    *is_default = 0;
    for (const config_setting_t *p = s; p; p = config_setting_parent(p)) {
        void *hook = config_setting_get_hook(p);
        if (config_setting_source_line(p) > 0) {
            const char *file = config_setting_source_file(p);
            snprintf(out, n, "%s:%u", file ? file : c->name, (unsigned)config_setting_source_line(p));
            return;
        }
        if (hook == &default_mark) {
            *is_default = 1;
            break;
        }
        if (hook) {
            size_t i = (size_t)((uintptr_t)hook - 1);
            snprintf(out, n, "--set '%s'", i < c->n_sets ? c->sets[i] : "?");
            return;
        }
    }
    snprintf(out, n, "%s", c->name);
}

static int fail(const struct ctx *c, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct ctx *c, const config_setting_t *s, const char *fmt, ...)
{
    char where[512], msg[768];
    int is_default;
    locate(c, s, where, sizeof where, &is_default);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return evo_error_set(c->err, EVO_ECONFIG, "%s: %s%s", where, msg, is_default ? " (the default)" : "");
}

/* What a setting holds, for "got ...": the value itself for scalars, the kind for aggregates. */
static void describe(const config_setting_t *s, char *out, size_t n)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: snprintf(out, n, "%lld", config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: evo_fmt_float(out, n, config_setting_get_float(s)); break;
    case CONFIG_TYPE_BOOL: snprintf(out, n, "%s", config_setting_get_bool(s) ? "true" : "false"); break;
    case CONFIG_TYPE_STRING: snprintf(out, n, "\"%.100s\"", config_setting_get_string(s)); break;
    case CONFIG_TYPE_GROUP: snprintf(out, n, "a group"); break;
    case CONFIG_TYPE_ARRAY: snprintf(out, n, "an array"); break;
    case CONFIG_TYPE_LIST: snprintf(out, n, "a list"); break;
    default: snprintf(out, n, "nothing");
    }
}

/* "expected X, got <value>" for s. */
static int fail_expected(const struct ctx *c, const config_setting_t *s, const char *expected)
{
    char path[256], got[128];
    path_of(s, path, sizeof path);
    describe(s, got, sizeof got);
    return fail(c, s, "key '%s': expected %s, got %s", path, expected, got);
}

/* "unknown key 'P' (did you mean 'Q'?)"; best is NULL when nothing is close. */
static int fail_unknown(const struct ctx *c, const config_setting_t *s, const char *best)
{
    char path[256];
    path_of(s, path, sizeof path);
    if (best)
        return fail(c, s, "unknown key '%s' (did you mean '%s'?)", path, best);
    return fail(c, s, "unknown key '%s'", path);
}

static int get_integer(const config_setting_t *s, int64_t *v)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
        return 0;
    *v = (int64_t)config_setting_get_int64(s);
    return 1;
}

static int get_number(const config_setting_t *s, double *v)
{
    int64_t i;
    if (get_integer(s, &i)) {
        *v = (double)i;
        return 1;
    }
    if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
        return 0;
    *v = config_setting_get_float(s);
    return 1;
}

/* ---- data, ga, run ---- */

static int read_row(const struct ctx *c, const struct key_row *r, const config_setting_t *s,
                    struct evo_config *cfg)
{
    void *field = (char *)cfg + r->offset;
    char range[96], expected[160];
    evo_config_row_interval(r, range, sizeof range);
    switch (r->type) {
    case KEY_STRING: {
        int64_t index;
        char text[32];
        const char *v;
        if (config_setting_type(s) == CONFIG_TYPE_STRING) {
            v = config_setting_get_string(s);
        } else if ((r->flags & KEY_INDEX) && get_integer(s, &index)) {
            snprintf(text, sizeof text, "%" PRId64, index);
            v = text;
        } else {
            return fail_expected(c, s, r->flags & KEY_INDEX ? "a string or an integer" : "a string");
        }
        if (!*v && !(r->flags & KEY_OPTIONAL))
            return fail_expected(c, s, "a non-empty string");
        *(char **)field = *v ? evo_mem_strdup(v) : NULL;
        return EVO_OK;
    }
    case KEY_FLOAT: {
        double v;
        snprintf(expected, sizeof expected, "a number in %s", range);
        if (!get_number(s, &v))
            return fail_expected(c, s, expected);
        int below = (r->flags & KEY_OPEN_LO) ? !(v > r->min) : !(v >= r->min);
        int above = (r->flags & KEY_OPEN_HI) ? !(v < r->max) : !(v <= r->max);
        if (below || above)
            return fail_expected(c, s, expected);
        *(double *)field = v;
        return EVO_OK;
    }
    case KEY_LONG:
    case KEY_INT64: {
        int64_t v;
        snprintf(expected, sizeof expected, "an integer in %s", range);
        if (!get_integer(s, &v) || v < r->imin || v > r->imax)
            return fail_expected(c, s, expected);
        if (r->type == KEY_LONG)
            *(long *)field = (long)v;
        else
            *(int64_t *)field = v;
        return EVO_OK;
    }
    case KEY_SHAPE: {
        long *shape = field;
        int64_t v[2];
        snprintf(expected, sizeof expected, "[] or [H, W], integers in %s", range);
        int len = config_setting_is_array(s) || config_setting_is_list(s) ? config_setting_length(s) : -1;
        if (len != 0 && len != 2)
            return fail_expected(c, s, expected);
        for (int k = 0; k < len; k++)
            if (!get_integer(config_setting_get_elem(s, (unsigned)k), &v[k]) || v[k] < r->imin ||
                v[k] > r->imax)
                return fail_expected(c, s, expected);
        shape[0] = len ? (long)v[0] : 0;
        shape[1] = len ? (long)v[1] : 0;
        return EVO_OK;
    }
    case KEY_NAME: {
        evo_config_row_range(r, range, sizeof range);
        snprintf(expected, sizeof expected, "one of %s", range);
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            return fail_expected(c, s, expected);
        const char *v = config_setting_get_string(s);
        for (int k = 0; r->names[k]; k++)
            if (!strcmp(v, r->names[k])) {
                *(int *)field = k;
                return EVO_OK;
            }
        return fail_expected(c, s, expected);
    }
    default:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return fail_expected(c, s, "true or false");
        *(int *)field = config_setting_get_bool(s) ? 1 : 0;
        return EVO_OK;
    }
}

/* ---- search ---- */

/* One gene value: a number within the hard bounds (an integer for INT genes) or an enum name. */
static int read_gene_value(const struct ctx *c, const struct evo_gene_info *gi,
                           const config_setting_t *s, double *out)
{
    char bounds[256], expected[320];
    if (gi->type == EVO_GENE_ENUM) {
        evo_config_gene_bounds(gi, "\"", bounds, sizeof bounds);
        snprintf(expected, sizeof expected, "one of %s", bounds);
        if (config_setting_type(s) == CONFIG_TYPE_STRING)
            for (int k = 0; k < gi->n_enum; k++)
                if (!strcmp(config_setting_get_string(s), gi->enum_names[k])) {
                    *out = k;
                    return EVO_OK;
                }
        return fail_expected(c, s, expected);
    }
    evo_config_gene_bounds(gi, "", bounds, sizeof bounds);
    double v;
    int64_t i;
    if (gi->type == EVO_GENE_INT) {
        int odd = gi == evo_genome_gene(EVO_GENE_KERNEL_SIZE); /* the convolution's 'same' padding */
        snprintf(expected, sizeof expected, "%s in %s", odd ? "an odd integer" : "an integer", bounds);
        if (!get_integer(s, &i) || (odd && i % 2 == 0))
            return fail_expected(c, s, expected);
        v = (double)i;
    } else {
        snprintf(expected, sizeof expected, "a number in %s", bounds);
        if (!get_number(s, &v))
            return fail_expected(c, s, expected);
    }
    if (!(v >= gi->lo && v <= gi->hi))
        return fail_expected(c, s, expected);
    *out = v;
    return EVO_OK;
}

static int read_choices(const struct ctx *c, const struct evo_gene_info *gi,
                        const config_setting_t *s, struct evo_gene_spec *spec)
{
    char path[256];
    path_of(s, path, sizeof path);
    if (!config_setting_is_array(s) && !config_setting_is_list(s))
        return fail_expected(c, s, "an array of values, [a, b, ...]");
    int n = config_setting_length(s);
    if (n < 1 || n > EVO_SPEC_MAX_CHOICES)
        return fail(c, s, "key '%s': expected 1 to %d values, got %d", path, EVO_SPEC_MAX_CHOICES, n);
    for (int k = 0; k < n; k++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
        double v;
        int rc = read_gene_value(c, gi, e, &v);
        if (rc)
            return rc;
        for (int j = 0; j < k; j++)
            if (spec->choices[j] == v) {
                char epath[256], got[128];
                path_of(e, epath, sizeof epath);
                describe(e, got, sizeof got);
                return fail(c, e, "key '%s': %s is already choice[%d]", epath, got, j);
            }
        spec->choices[k] = v;
    }
    spec->n_choices = (size_t)n;
    return EVO_OK;
}

/* A spec group: { min = A; max = B; log = BOOL; } or { choice = [...]; }. */
static int read_spec_group(const struct ctx *c, const struct evo_gene_info *gi,
                           const config_setting_t *s, struct evo_gene_spec *spec)
{
    char path[256], full[300];
    path_of(s, path, sizeof path);
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        const char *name = config_setting_name(m);
        size_t k = 0;
        while (k < N_SPEC_KEYS && strcmp(name, spec_keys[k]))
            k++;
        if (k < N_SPEC_KEYS)
            continue;
        size_t best = 0, best_d = SIZE_MAX;
        for (k = 0; k < N_SPEC_KEYS; k++) {
            size_t d = evo_error_distance(name, spec_keys[k]);
            if (d < best_d)
                best_d = d, best = k;
        }
        snprintf(full, sizeof full, "%s.%s", path, spec_keys[best]);
        return fail_unknown(c, m, evo_error_is_close(name, best_d) ? full : NULL);
    }
    const config_setting_t *min = config_setting_get_member(s, "min");
    const config_setting_t *max = config_setting_get_member(s, "max");
    const config_setting_t *log = config_setting_get_member(s, "log");
    const config_setting_t *choice = config_setting_get_member(s, "choice");
    if (choice) {
        if (min || max || log)
            return fail(c, s, "key '%s': expected either min/max or choice, not both", path);
        spec->kind = EVO_SPEC_CHOICE;
        return read_choices(c, gi, choice, spec);
    }
    if (gi->type == EVO_GENE_ENUM)
        return fail(c, s, "key '%s': a range needs a numeric gene; give a name or { choice = [...]; }",
                    path);
    if (gi == evo_genome_gene(EVO_GENE_KERNEL_SIZE))
        return fail(c, s, "key '%s': a range would draw even sizes; give a value or { choice = [3, 5]; }",
                    path);
    if (!min || !max)
        return fail(c, s, "key '%s': missing '%s' (a range needs min and max, or give choice)", path,
                    min ? "max" : "min");
    spec->kind = EVO_SPEC_RANGE;
    int rc = read_gene_value(c, gi, min, &spec->min);
    if (!rc)
        rc = read_gene_value(c, gi, max, &spec->max);
    if (rc)
        return rc;
    if (log) {
        if (config_setting_type(log) != CONFIG_TYPE_BOOL)
            return fail_expected(c, log, "true or false");
        spec->log = config_setting_get_bool(log) ? 1 : 0;
    }
    char a[32], b[32];
    if (spec->min > spec->max) {
        evo_fmt_number(a, sizeof a, spec->min);
        evo_fmt_number(b, sizeof b, spec->max);
        return fail(c, max, "key '%s.max': expected at least min (%s), got %s", path, a, b);
    }
    if (spec->log && !(spec->min > 0)) {
        evo_fmt_number(a, sizeof a, spec->min);
        return fail(c, min, "key '%s.min': a log range needs min > 0, got %s", path, a);
    }
    return EVO_OK;
}

static int read_gene(const struct ctx *c, int id, const config_setting_t *s, struct evo_gene_spec *spec)
{
    const struct evo_gene_info *gi = evo_genome_gene(id);
    memset(spec, 0, sizeof *spec);
    if (config_setting_is_group(s))
        return read_spec_group(c, gi, s, spec);
    if (config_setting_is_aggregate(s))
        return fail_expected(c, s, "a value, { min = ...; max = ...; } or { choice = [...]; }");
    spec->kind = EVO_SPEC_FIXED;
    return read_gene_value(c, gi, s, &spec->value);
}

/* ---- per-layer shorthands ---- */

/* 1 when s, or any setting inside it, came from the file or an override rather than the defaults. */
static int written(const config_setting_t *s)
{
    if (config_setting_get_hook(s) != &default_mark)
        return 1;
    for (int i = 0; config_setting_is_aggregate(s) && i < config_setting_length(s); i++)
        if (written(config_setting_get_elem(s, (unsigned)i)))
            return 1;
    return 0;
}

/* Replaces every per-layer key the configuration left at its default with a copy of its shorthand,
 * when the shorthand was written; the shorthand is checked first as layer 1's gene, so that a bad
 * value is reported where it was written. */
static int expand_aliases(const struct ctx *c, config_setting_t *search)
{
    for (size_t a = 0; a < evo_config_n_aliases; a++) {
        const config_setting_t *as = config_setting_get_member(search, evo_config_aliases[a].key);
        if (!as || !written(as))
            continue;
        struct evo_gene_spec spec;
        int rc = read_gene(c, evo_config_aliases[a].gene(0), as, &spec);
        if (rc)
            return rc;
        for (size_t l = 0; l < evo_config_aliases[a].count; l++) {
            const char *name = evo_genome_gene(evo_config_aliases[a].gene(l))->name;
            config_setting_t *gs = config_setting_get_member(search, name);
            if (gs && written(gs))
                continue;
            if (gs)
                config_setting_remove(search, name);
            if (!copy_setting(search, name, as, config_setting_get_hook(as)))
                return evo_error_set(c->err, EVO_ERUNTIME, "internal error: cannot expand '%s'",
                                     evo_config_aliases[a].key);
        }
    }
    return EVO_OK;
}

/* ---- the whole file ---- */


/* The nearest known "group.key" (or group, at the top level) to an unknown name in `group` (NULL:
 * the top level, where every key is a candidate). Inside a group, keys of other groups are only offered
 * when their name matches exactly ("data.seed": "run.seed"). */
static const char *suggest(const char *group, const char *name, char *out, size_t n)
{
    size_t best_d = SIZE_MAX;
    int found = 0;
    for (size_t g = 0; g < evo_config_n_groups && !group; g++) {
        size_t d = evo_error_distance(name, evo_config_groups[g]);
        if (d < best_d && evo_error_is_close(name, d))
            best_d = d, found = 1, snprintf(out, n, "%s", evo_config_groups[g]);
    }
    for (int pass = 0; pass < 3; pass++) {
        /* pass 0: data/ga/run rows; pass 1: genes; pass 2: per-layer shorthands */
        size_t count = pass == 2 ? evo_config_n_aliases : pass ? EVO_GENE_COUNT : evo_config_n_rows;
        for (size_t k = 0; k < count; k++) {
            const char *g = pass ? "search" : evo_config_rows[k].group;
            const char *key = pass == 2 ? evo_config_aliases[k].key : pass ? evo_genome_gene((int)k)->name : evo_config_rows[k].key;
            size_t d = evo_error_distance(name, key);
            int same = !group || !strcmp(group, g);
            if (!same && d != 0)
                continue;
            if (d < best_d && evo_error_is_close(name, d))
                best_d = d, found = 1, snprintf(out, n, "%s.%s", g, key);
        }
    }
    return found ? out : NULL;
}

static int check_keys(const struct ctx *c, config_setting_t *root)
{
    char best[256];
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
        const char *gname = config_setting_name(g);
        size_t k = 0;
        while (k < evo_config_n_groups && strcmp(evo_config_groups[k], gname))
            k++;
        if (k == evo_config_n_groups)
            return fail_unknown(c, g, suggest(NULL, gname, best, sizeof best));
        if (!config_setting_is_group(g))
            return fail_expected(c, g, "a group, { ... }");
        for (int j = 0; j < config_setting_length(g); j++) {
            const config_setting_t *m = config_setting_get_elem(g, (unsigned)j);
            const char *mname = config_setting_name(m);
            int known = strcmp(gname, "search") ? evo_config_find_row(gname, mname) != NULL
                                                : evo_genome_find(mname) >= 0 || evo_config_find_alias(mname);
            if (!known)
                return fail_unknown(c, m, suggest(gname, mname, best, sizeof best));
        }
    }
    return EVO_OK;
}

/* Adds the default text under parent.key when the key is absent, marked as a default. */
static int fill_default(const struct ctx *c, config_setting_t *parent, const char *key, const char *text)
{
    if (config_setting_get_member(parent, key))
        return EVO_OK;
    config_t tmp;
    config_init(&tmp);
    const config_setting_t *v = parse_value(&tmp, text);
    int ok = v && copy_setting(parent, key, v, &default_mark);
    config_destroy(&tmp);
    if (!ok)
        return evo_error_set(c->err, EVO_ERUNTIME, "internal error: bad default '%s' for key '%s'", text,
                             key);
    return EVO_OK;
}

static int fill_defaults(const struct ctx *c, config_setting_t *root, const struct evo_config *cfg)
{
    for (size_t g = 0; g < evo_config_n_groups; g++)
        if (!config_setting_get_member(root, evo_config_groups[g]))
            config_setting_set_hook(config_setting_add(root, evo_config_groups[g], CONFIG_TYPE_GROUP), &default_mark);
    for (size_t r = 0; r < evo_config_n_rows; r++) {
        config_setting_t *parent = config_setting_get_member(root, evo_config_rows[r].group);
        char *derived = NULL;
        if (!evo_config_rows[r].def) {
            /* run.output: "results/<name>.h5" as a libconfig string */
            size_t n = strlen(cfg->name) + 16;
            char *plain = evo_mem_alloc(n);
            snprintf(plain, n, "results/%s.h5", cfg->name);
            FILE *f = open_memstream(&derived, &n);
            evo_config_write_string(f, plain);
            fclose(f);
            free(plain);
        }
        int rc = fill_default(c, parent, evo_config_rows[r].key, derived ? derived : evo_config_rows[r].def);
        free(derived);
        if (rc)
            return rc;
    }
    config_setting_t *search = config_setting_get_member(root, "search");
    for (int id = 0; id < EVO_GENE_COUNT; id++) {
        const struct evo_gene_info *gi = evo_genome_gene(id);
        int rc = fill_default(c, search, gi->name, gi->default_spec);
        if (rc)
            return rc;
    }
    /* a shorthand's default is its layer 1 gene's, so that --set search.neurons.max=512 narrows it */
    for (size_t a = 0; a < evo_config_n_aliases; a++) {
        int rc = fill_default(c, search, evo_config_aliases[a].key, evo_genome_gene(evo_config_aliases[a].gene(0))->default_spec);
        if (rc)
            return rc;
    }
    return EVO_OK;
}

/* Applies override i: "PATH=VALUE", creating the groups on the way and replacing what was there. */
static int apply_set(const struct ctx *c, config_t *lc, size_t i)
{
    const char *arg = c->sets[i];
    const char *eq = strchr(arg, '=');
    if (!eq)
        return evo_error_set(c->err, EVO_ECONFIG, "--set '%s': expected PATH=VALUE", arg);
    const char *start = arg, *end = eq;
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    size_t plen = (size_t)(end - start);
    char *path = evo_mem_alloc(plen + 1);
    memcpy(path, start, plen);
    path[plen] = '\0';

    /* each component a libconfig name: [A-Za-z*][-A-Za-z0-9_*]* */
    int valid = plen > 0;
    for (size_t k = 0; k < plen && valid; k++) {
        char ch = path[k];
        int first = k == 0 || path[k - 1] == '.';
        if (ch == '.')
            valid = !first && k + 1 < plen;
        else if (first)
            valid = isalpha((unsigned char)ch) || ch == '*';
        else
            valid = isalnum((unsigned char)ch) || strchr("-_*", ch) != NULL;
    }
    int rc = EVO_OK;
    config_t tmp;
    config_init(&tmp);
    const config_setting_t *value = NULL;
    if (!valid) {
        rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': invalid key path '%s'", arg, path);
        goto done;
    }
    value = parse_value(&tmp, eq + 1);
    if (!value) {
        /* the shell ate the quotes of a string value: --set data.train="x.csv" */
        const char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        int bare = isalpha((unsigned char)*v) || *v == '/' || *v == '_' || *v == '~';
        rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': cannot parse '%s' as a libconfig value%s",
                           arg, eq + 1, bare ? " (strings need double quotes)" : "");
        goto done;
    }
    void *hook = (void *)(uintptr_t)(i + 1);
    config_setting_t *parent = config_root_setting(lc);
    char *comp = path;
    for (char *dot; (dot = strchr(comp, '.')); comp = dot + 1) {
        *dot = '\0';
        config_setting_t *m = config_setting_get_member(parent, comp);
        if (!m) {
            m = config_setting_add(parent, comp, CONFIG_TYPE_GROUP);
            if (!m) {
                rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': cannot create '%s'", arg, comp);
                goto done;
            }
            config_setting_set_hook(m, hook);
        } else if (!config_setting_is_group(m)) {
            char where[256];
            path_of(m, where, sizeof where);
            rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': '%s' is not a group", arg, where);
            goto done;
        }
        parent = m;
    }
    if (config_setting_get_member(parent, comp))
        config_setting_remove(parent, comp);
    if (!copy_setting(parent, comp, value, hook))
        rc = evo_error_set(c->err, EVO_ECONFIG, "--set '%s': cannot set '%s'", arg, path);
done:
    config_destroy(&tmp);
    free(path);
    return rc;
}


int evo_config_parse_duration(const char *text, double *seconds)
{
    const char *p = text;
    double total = 0;
    while (*p == ' ')
        p++;
    if (!*p) {
        *seconds = 0;
        return 0;
    }
    int parts = 0;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v >= 0) || !isfinite(v))
            return -1;
        double unit = 1;
        switch (*end) {
        case 'd': unit = 86400; end++; break;
        case 'h': unit = 3600; end++; break;
        case 'm': unit = 60; end++; break;
        case 's': end++; break;
        case '\0':
            if (parts) /* "1h30" is ambiguous */
                return -1;
            break;
        default: return -1;
        }
        total += v * unit;
        parts++;
        p = end;
    }
    *seconds = total;
    return 0;
}

/* "configs/fast.cfg" -> "fast" */
static char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *out = evo_mem_alloc(n + 1);
    memcpy(out, base, n);
    out[n] = '\0';
    return out;
}

/* The loss gene and ga.fitness must fit data.task; under regression, left unset, they become mse and
 * neg_rmse. */
static int check_task(const struct ctx *c, config_t *lc, struct evo_config *cfg)
{
    const config_setting_t *loss = config_lookup(lc, "search.loss");
    const config_setting_t *fit = config_lookup(lc, "ga.fitness");
    struct evo_gene_spec *spec = &cfg->space.spec[EVO_GENE_LOSS];
    int regression = cfg->task == EVO_TASK_REGRESSION;
    if (regression && config_setting_get_hook(loss) == &default_mark) {
        memset(spec, 0, sizeof *spec);
        spec->kind = EVO_SPEC_FIXED;
        spec->value = EVO_LOSS_MSE;
    }
    if (regression && config_setting_get_hook(fit) == &default_mark)
        cfg->fitness = EVO_FITNESS_NEG_RMSE;
    if (regression) {
        size_t n = spec->kind == EVO_SPEC_CHOICE ? spec->n_choices : 1;
        for (size_t k = 0; k < n; k++) {
            double v = spec->kind == EVO_SPEC_CHOICE ? spec->choices[k] : spec->value;
            if ((int)v != EVO_LOSS_MSE)
                return fail(c, loss, "key 'search.loss': a regression task (data.task) trains with "
                            "\"mse\" only, got \"%s\"", evo_mlp_loss_name((int)v));
        }
    }
    if (evo_metrics_is_regression(cfg->fitness) != regression)
        return fail(c, fit, "key 'ga.fitness': \"%s\" scores %s, but data.task is \"%s\"",
                    evo_metrics_fitness_name(cfg->fitness),
                    regression ? "classification" : "regression", regression ? "regression" : "classification");
    return EVO_OK;
}

static int validate(const struct ctx *c, config_t *lc, struct evo_config *cfg)
{
    config_setting_t *root = config_root_setting(lc);
    /* Defaults go in before the overrides too, so that --set search.learning_rate.max=0.01 narrows
     * the default range rather than leaving a range without min; and again after them, for groups an
     * override replaced whole. The keys are checked first so that defaults land in real groups. */
    int rc = check_keys(c, root);
    if (!rc)
        rc = fill_defaults(c, root, cfg);
    for (size_t i = 0; i < c->n_sets && !rc; i++)
        rc = apply_set(c, lc, i);
    if (!rc)
        rc = check_keys(c, root);
    if (!rc)
        rc = fill_defaults(c, root, cfg);
    for (size_t r = 0; r < evo_config_n_rows && !rc; r++) {
        const config_setting_t *g = config_setting_get_member(root, evo_config_rows[r].group);
        rc = read_row(c, &evo_config_rows[r], config_setting_get_member(g, evo_config_rows[r].key), cfg);
    }
    config_setting_t *search = config_setting_get_member(root, "search");
    if (!rc)
        rc = expand_aliases(c, search);
    for (int id = 0; id < EVO_GENE_COUNT && !rc; id++)
        rc = read_gene(c, id, config_setting_get_member(search, evo_genome_gene(id)->name),
                       &cfg->space.spec[id]);
    if (!rc)
        rc = check_task(c, lc, cfg);
    for (size_t i = 0; i < evo_config_n_strategy_keys && !rc; i++) {
        const struct strategy_key *sk = &evo_config_strategy_keys[i];
        const config_setting_t *g = config_setting_get_member(root, sk->group);
        const config_setting_t *s = config_setting_get_member(g, sk->key);
        /* a file's keys for other strategies are ignored when an override (--strategy) chose this one:
         * one file serves every strategy; a key set by an override, or beside its own strategy, is an error */
        const config_setting_t *st = config_lookup(lc, "run.strategy");
        int strategy_overridden = st && config_setting_get_hook(st) && config_setting_get_hook(st) != &default_mark;
        int from_file = s && !config_setting_get_hook(s);
        if (s && config_setting_get_hook(s) != &default_mark && !(from_file && strategy_overridden) &&
            !((sk->strategies >> cfg->strategy) & 1))
            rc = fail(c, s, "key '%s.%s' means nothing to run.strategy \"%s\": %s", sk->group, sk->key,
                      evo_config_strategy_name(cfg->strategy), sk->instead);
    }
    if (!rc && cfg->time_limit_text && evo_config_parse_duration(cfg->time_limit_text, &cfg->time_limit))
        rc = fail(c, config_lookup(lc, "run.time_limit"), "key 'run.time_limit': expected a duration such "
                  "as \"8h\", \"90m\", \"1h30m\" or \"45s\", got \"%s\"", cfg->time_limit_text);
    if (rc)
        return rc;

    if (!cfg->test && !(cfg->validation_fraction + cfg->test_fraction < 1)) {
        /* blame the one the user wrote; test_fraction when both were */
        const config_setting_t *s = config_lookup(lc, "data.test_fraction");
        if (config_setting_get_hook(s) == &default_mark)
            s = config_lookup(lc, "data.validation_fraction");
        char a[32], b[32], path[256];
        path_of(s, path, sizeof path);
        evo_fmt_number(a, sizeof a, cfg->validation_fraction);
        evo_fmt_number(b, sizeof b, cfg->test_fraction);
        return fail(c, s, "key '%s': validation_fraction + test_fraction must be below 1, got %s + %s",
                    path, a, b);
    }
    if (cfg->folds == 1) {
        const config_setting_t *s = config_lookup(lc, "data.folds");
        return fail(c, s, "key 'data.folds': expected 0 (no cross-validation) or 2 to 100 folds, got 1");
    }
    cfg->text = evo_config_effective_text(cfg);
    return EVO_OK;
}

/* The line (from 1) of the first libconfig "@include" directive in text (a line whose first non-blank
 * characters are "@include": a superset of what libconfig's scanner follows), or 0 when there is
 * none. */
static int include_line(const char *text)
{
    int line = 1;
    for (const char *p = text; *p; line++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!strncmp(p, "@include", 8))
            return line;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return 0;
}

/* evo_config_load_string's body; allow_include: let libconfig read the files that @include names. */
static int load_text(struct evo_config *cfg, const char *text, const char *name, const char *const *sets,
                     size_t n_sets, int allow_include, struct evo_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (!name)
        name = "(string)";
    int inc = allow_include ? 0 : include_line(text);
    if (inc)
        return evo_error_set(err, EVO_ECONFIG, "%s:%d: @include is not allowed in a configuration that "
                             "is not a file (a stored configuration is self-contained)", name, inc);
    struct ctx c = {name, sets, n_sets, err};
    cfg->path = evo_mem_strdup(name);
    cfg->name = base_name(name);
    config_t lc;
    config_init(&lc);
    int rc;
    if (!evo_config_parse_text(&lc, text)) {
        const char *file = config_error_file(&lc);
        rc = evo_error_set(err, EVO_ECONFIG, "%s:%d: %s", file ? file : name, config_error_line(&lc),
                           config_error_text(&lc));
    } else {
        rc = validate(&c, &lc, cfg);
    }
    config_destroy(&lc);
    if (rc)
        evo_config_release(cfg);
    return rc;
}

int evo_config_load_string(struct evo_config *cfg, const char *text, const char *name,
                           const char *const *sets, size_t n_sets, struct evo_error *err)
{
    return load_text(cfg, text, name, sets, n_sets, 0, err);
}

int evo_config_load(struct evo_config *cfg, const char *path, const char *const *sets, size_t n_sets,
                    struct evo_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    /* libconfig reports a missing file with neither its name nor a reason, so read it here */
    FILE *f = fopen(path, "rb");
    if (!f)
        return evo_error_set(err, EVO_ECONFIG, "cannot open '%s': %s", path, strerror(errno));
    struct buf text = {0};
    char chunk[8192];
    size_t got;
    buf_put(&text, "", 0);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_put(&text, chunk, got);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed) {
        free(text.p);
        return evo_error_set(err, EVO_ECONFIG, "cannot read '%s': %s", path, strerror(saved));
    }
    int rc = load_text(cfg, text.p, path, sets, n_sets, 1, err);
    free(text.p);
    return rc;
}

void evo_config_release(struct evo_config *cfg)
{
    free(cfg->path);
    free(cfg->name);
    free(cfg->train);
    free(cfg->train_labels);
    free(cfg->test);
    free(cfg->test_labels);
    free(cfg->label);
    free(cfg->output);
    free(cfg->time_limit_text);
    free(cfg->text);
    memset(cfg, 0, sizeof *cfg);
}

