/* What the files of src/config/ share, and nothing outside them sees: the key table's row type and
 * its tables (keys.c), the libconfig 1.5 integer work-around (libconfig_int.c) and the writer of
 * libconfig text (text.c). The public face is include/evotune/config.h. */
#ifndef EVOTUNE_CONFIG_INTERNAL_H
#define EVOTUNE_CONFIG_INTERNAL_H
#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "evotune/config.h"

/* ---- the key table (keys.c) ---- */

enum key_type {
    KEY_STRING,
    KEY_FLOAT, /* double field */
    KEY_LONG,  /* long field */
    KEY_INT64, /* int64_t field */
    KEY_BOOL,  /* int field, 0 or 1 */
    KEY_SHAPE, /* long[2] field: [] (0, 0) or [H, W], each in [imin, imax] */
    KEY_NAME,  /* int field: the index of one of names[] (a string) */
};

#define KEY_OPTIONAL 0x1 /* string: "" means unset (the field stays NULL) */
#define KEY_INDEX 0x2    /* string: an integer is taken too and stored as its decimal text */
#define KEY_OPEN_LO 0x4  /* float: min itself is excluded */
#define KEY_OPEN_HI 0x8  /* float: max itself is excluded */

struct key_row {
    const char *group, *key;
    int type;            /* enum key_type */
    int flags;           /* KEY_* */
    double min, max;     /* KEY_FLOAT bounds */
    int64_t imin, imax;  /* KEY_LONG and KEY_INT64 bounds (a double cannot hold 2^63 - 1) */
    const char *def;     /* default as libconfig text; NULL: "results/<config name>.h5" */
    const char *help;
    size_t offset;       /* of the field in struct evo_config */
    const char *const *names; /* KEY_NAME: the accepted names, NULL-terminated */
};

/* Every data, ga, tpe, run, promotion and finalists key, in the order the template and the
 * effective text list them. */
extern const struct key_row evo_config_rows[];
extern const size_t evo_config_n_rows;

/* The groups of a configuration file, in the order they are written. */
extern const char *const evo_config_groups[];
extern const size_t evo_config_n_groups;

/* A key of `search` that stands for one gene per hidden layer: a spec written under it applies to
 * every layer whose own key (neurons_2, dropout_3, ...) the configuration leaves out. */
struct layer_alias {
    const char *key;
    int (*gene)(size_t l); /* the gene id of hidden layer (conv block) l */
    size_t count;          /* layers (blocks) it stands for */
    const char *help;
};

extern const struct layer_alias evo_config_aliases[];
extern const size_t evo_config_n_aliases;

/* Keys that only some strategies use, with what to use instead under the others. */
struct strategy_key {
    const char *group, *key;
    int strategies;      /* mask of the strategies (1 << enum evo_strategy_kind) that use it */
    const char *instead; /* what the others use */
};

extern const struct strategy_key evo_config_strategy_keys[];
extern const size_t evo_config_n_strategy_keys;

/* The row of group.key, or NULL. */
const struct key_row *evo_config_find_row(const char *group, const char *key);

/* The shorthand named key, or NULL. */
const struct layer_alias *evo_config_find_alias(const char *key);

/* 1 when key group.key means something to strategy k (enum evo_strategy_kind). */
int evo_config_key_used(const char *group, const char *key, int k);

/* The names of the strategies that use group.key: "generational", "generational and steady_state",
 * "random, steady_state and tpe". */
void evo_config_key_users(const char *group, const char *key, char *out, size_t n);

/* A row's interval, "[1, 100000]" or "(0, 1)", for messages and the reference. */
void evo_config_row_interval(const struct key_row *r, char *out, size_t n);

/* The range column of the reference and the template comment: an interval, the names, ... */
void evo_config_row_range(const struct key_row *r, char *out, size_t n);

/* Bounds of a gene as text: "[1e-07, 10]", or the enum names "relu", "tanh", "sigmoid" (quote: the
 * quote character, or "" for none). */
void evo_config_gene_bounds(const struct evo_gene_info *gi, const char *quote, char *out, size_t n);

/* ---- libconfig 1.5's integers (libconfig_int.c) ---- */

/* Parses text into lc as config_read_string does, but with every integer literal read as the number
 * that was written. Returns CONFIG_TRUE or CONFIG_FALSE like libconfig. */
int evo_config_parse_text(config_t *lc, const char *text);

/* ---- libconfig text (text.c) ---- */

/* Writes s (NULL: "") as a libconfig string literal. */
void evo_config_write_string(FILE *f, const char *s);

/* The effective configuration of a validated cfg as libconfig text, every key the strategy uses
 * present (the caller frees it). */
char *evo_config_effective_text(const struct evo_config *cfg);

#endif
