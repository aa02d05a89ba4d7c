/* A trial on a plot of the report: its mark (a dot shaded by generation, a grey dot, a red cross when
 * it failed, a ring around the best), its name and hover title, and the scatter that draws a plot's
 * trials one by one while they are few and as a density under the best ones past that. */
#include "internal.h"

void evo_report_shade_color(const struct report *R, char *buf, size_t n, double v)
{
    double span = R->shade_hi - R->shade_lo;
    evo_svg_blues(buf, n, span > 0 ? (v - R->shade_lo) / span : 1.0);
}

const char *evo_report_shade_name(const struct report *R)
{
    if (R->kind == KIND_RANDOM)
        return "trial id";
    return R->depth && !strcmp(R->depth, "depth") ? "lineage depth" : "generation";
}

void evo_report_fitness_axis(const struct report *R, struct axis *a, double p0, double p1)
{
    evo_svg_axis_domain(a, R->fit_lo, R->fit_hi, 0, 0);
    a->p0 = p0;
    a->p1 = p1;
}

void evo_report_write_name(const struct report *R, size_t i)
{
    fprintf(R->f, "#%.0f", value(R->id, i));
    if (R->depth)
        fprintf(R->f, ", %s %.0f", R->depth, value(R->gen, i));
}

void evo_report_write_title(const struct report *R, size_t i, const struct evo_column *extra, int all_genes)
{
    FILE *f = R->f;
    char buf[64];
    fprintf(f, "<title>");
    evo_report_write_name(R, i);
    fprintf(f, ": fitness ");
    evo_report_fmt_value(buf, sizeof buf, R->fit, i);
    evo_svg_esc(f, buf);
    if (!row_ok(R, i) && R->status) {
        evo_report_fmt_value(buf, sizeof buf, R->status, i);
        fprintf(f, " (");
        evo_svg_esc(f, buf);
        fprintf(f, ")");
    }
    for (size_t k = 0; k < (all_genes ? R->n_genes : 0) + (extra != NULL); k++) {
        const struct evo_column *c = k < (all_genes ? R->n_genes : 0) ? R->genes[k].col : extra;
        fprintf(f, "\n");
        evo_svg_esc(f, c->name);
        evo_report_fmt_value(buf, sizeof buf, c, i);
        fprintf(f, " = ");
        evo_svg_esc(f, buf);
    }
    fprintf(f, "</title>");
}

/* Trial i's mark at (x, y): a grey dot (orange over a density: one of the best) of radius r and opacity
 * op with class cls, or a red cross of class "base fail" (opacity op + 0.15) when it failed; its hover
 * title with every gene when all_genes. */
static void write_mark(FILE *f, const struct report *R, size_t i, double x, double y, const char *cls,
                       const char *base, double r, double op, int all_genes, int dense)
{
    int ok = row_ok(R, i);
    if (ok)
        fprintf(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"%s\" fill-opacity=\"%g\"%s>",
                cls, x, y, r, dense ? TOP_FILL : "#9aa5b1", dense ? 0.9 : op, dense ? " stroke=\"#fff\"" : "");
    else
        fprintf(f, "<path class=\"%s fail\" d=\"M%.1f %.1fl5 5m0 -5l-5 5\" stroke=\"" FAIL "\" "
                   "stroke-width=\"1.4\" stroke-opacity=\"%g\">", base, x - 2.5, y - 2.5, op + 0.15);
    evo_report_write_title(R, i, NULL, all_genes);
    fprintf(f, "%s\n", ok ? "</circle>" : "</path>");
}

/* Trial i at (x, y) of a gene plot: a dot shaded by generation (lineage depth; id for random search),
 * orange over a density (one of the best), a cross when it failed, a ring around the best; its title
 * names the column extra (the plot's gene; NULL: none). */
static void draw_point(struct report *R, size_t i, double x, double y, const struct evo_column *extra, int dense)
{
    FILE *f = R->f;
    char color[16];
    if (row_ok(R, i)) {
        if (dense)
            snprintf(color, sizeof color, TOP_FILL);
        else
            evo_report_shade_color(R, color, sizeof color, value(R->shade, i));
        fprintf(f, "<circle class=\"pt g\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.6\" fill=\"%s\">", x, y, color);
    } else {
        fprintf(f, "<path class=\"pt fail\" d=\"M%.1f %.1fl6 6m0 -6l-6 6\" stroke=\"" FAIL "\" "
                   "stroke-width=\"1.6\">", x - 3, y - 3);
    }
    evo_report_write_title(R, i, extra, 0);
    fprintf(f, "%s\n", row_ok(R, i) ? "</circle>" : "</path>");
    if ((long)i == R->mark)
        fprintf(f, "<circle class=\"best-mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"7.5\" fill=\"none\" stroke=\""
                   ACCENT "\" stroke-width=\"2\"/>\n", x, y);
}

void evo_report_scatter_open(struct scatter *s, struct report *R, int kind, int dense, const struct area *A)
{
    memset(s, 0, sizeof *s);
    s->R = R;
    s->kind = kind;
    s->dense = dense;
    if (dense)
        evo_svg_density_init(&s->d, A);
}

static void scatter_mark(struct scatter *s, size_t i, double x, double y)
{
    struct report *R = s->R;
    if (s->kind == MARK_DOT)
        draw_point(R, i, x, y, s->extra, s->dense);
    else if (s->kind == MARK_TRIAL)
        write_mark(R->f, R, i, x, y, "pt trial", "pt", 3, 0.6, s->all_genes, s->dense);
    else
        write_mark(R->f, R, i, x, y, "ind", "ind", 2.6, 0.55, 1, s->dense);
}

void evo_report_scatter_add(struct scatter *s, size_t i, double x, double y)
{
    if (!s->dense) {
        scatter_mark(s, i, x, y);
        return;
    }
    evo_svg_density_add(&s->d, x, y, row_ok(s->R, i));
    if (s->R->top[i] && s->n_top < TOP_DOTS + 1)
        s->top[s->n_top++] = (struct top_mark){i, x, y};
}

void evo_report_scatter_density(struct scatter *s)
{
    if (!s->dense || s->drawn)
        return;
    evo_svg_density_draw(s->R->f, &s->d);
    evo_svg_density_release(&s->d);
    s->drawn = 1;
}

void evo_report_scatter_close(struct scatter *s)
{
    if (!s->dense)
        return;
    evo_report_scatter_density(s);
    const unsigned char *rank = s->R->top;
    for (size_t a = 1; a < s->n_top; a++) /* insertion sort, worst first */
        for (size_t b = a; b > 0 && rank[s->top[b - 1].row] < rank[s->top[b].row]; b--) {
            struct top_mark t = s->top[b];
            s->top[b] = s->top[b - 1];
            s->top[b - 1] = t;
        }
    for (size_t k = 0; k < s->n_top; k++)
        scatter_mark(s, s->top[k].row, s->top[k].x, s->top[k].y);
}

void evo_report_dense_note(const struct report *R, const char *what)
{
    fprintf(R->f, " With %zu trials, %s: each cell of a grid is shaded by how many trials fall in it "
                  "(darker: more; red: failed trials), and only the %d best are drawn as orange marks. Hover a "
                  "cell for its count.", R->n, what, TOP_DOTS);
}
