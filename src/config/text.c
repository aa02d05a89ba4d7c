/* The configuration as libconfig text: string literals, gene specs and row values written back from
 * a validated struct evo_config, which makes the effective text (every key the strategy uses, each
 * with its value) that a results file stores and `evotune config` prints. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evotune/fmt.h"
#include "internal.h"

void evo_config_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void write_gene_value(FILE *f, const struct evo_gene_info *gi, double v)
{
    char num[32];
    if (gi->type == EVO_GENE_ENUM)
        evo_config_write_string(f, gi->enum_names[(int)v]);
    else if (gi->type == EVO_GENE_INT)
        fprintf(f, "%.0f", v);
    else {
        evo_fmt_float(num, sizeof num, v);
        fputs(num, f);
    }
}

static void write_spec(FILE *f, const struct evo_gene_info *gi, const struct evo_gene_spec *s)
{
    switch (s->kind) {
    case EVO_SPEC_FIXED: write_gene_value(f, gi, s->value); break;
    case EVO_SPEC_RANGE:
        fputs("{ min = ", f);
        write_gene_value(f, gi, s->min);
        fputs("; max = ", f);
        write_gene_value(f, gi, s->max);
        fputs(s->log ? "; log = true; }" : "; }", f);
        break;
    default:
        fputs("{ choice = [", f);
        for (size_t k = 0; k < s->n_choices; k++) {
            if (k)
                fputs(", ", f);
            write_gene_value(f, gi, s->choices[k]);
        }
        fputs("]; }", f);
    }
}

static void write_row_value(FILE *f, const struct key_row *r, const struct evo_config *cfg)
{
    const void *field = (const char *)cfg + r->offset;
    char num[32];
    switch (r->type) {
    case KEY_STRING: evo_config_write_string(f, *(char *const *)field); break;
    case KEY_FLOAT:
        evo_fmt_float(num, sizeof num, *(const double *)field);
        fputs(num, f);
        break;
    case KEY_LONG: fprintf(f, "%ld", *(const long *)field); break;
    case KEY_INT64: fprintf(f, "%" PRId64, *(const int64_t *)field); break;
    case KEY_NAME: evo_config_write_string(f, r->names[*(const int *)field]); break;
    case KEY_SHAPE: {
        const long *shape = field;
        if (shape[0])
            fprintf(f, "[%ld, %ld]", shape[0], shape[1]);
        else
            fputs("[]", f);
        break;
    }
    default: fputs(*(const int *)field ? "true" : "false", f);
    }
}


char *evo_config_effective_text(const struct evo_config *cfg)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    for (size_t g = 0; g < evo_config_n_groups; g++) {
        const char *group = evo_config_groups[g];
        /* a group none of whose keys the strategy uses (tpe under the others) is left out */
        int any = !strcmp(group, "search");
        for (size_t r = 0; r < evo_config_n_rows && !any; r++)
            any = !strcmp(evo_config_rows[r].group, group) &&
                  evo_config_key_used(group, evo_config_rows[r].key, cfg->strategy);
        if (!any)
            continue;
        fprintf(f, "%s%s = {\n", g ? "\n" : "", group);
        if (!strcmp(group, "search")) {
            for (int id = 0; id < EVO_GENE_COUNT; id++) {
                const struct evo_gene_info *gi = evo_genome_gene(id);
                fprintf(f, "    %s = ", gi->name);
                write_spec(f, gi, &cfg->space.spec[id]);
                fputs(";\n", f);
            }
        }
        for (size_t r = 0; r < evo_config_n_rows; r++) {
            const struct key_row *row = &evo_config_rows[r];
            if (strcmp(row->group, group) || !evo_config_key_used(group, row->key, cfg->strategy))
                continue;
            fprintf(f, "    %s = ", row->key);
            write_row_value(f, row, cfg);
            fputs(";\n", f);
        }
        fputs("};\n", f);
    }
    fclose(f);
    return text;
}
