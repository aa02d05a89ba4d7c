/* The HTML report of a results file: one self-contained page, inline CSS and SVG, no script. This file
 * writes the page around the sections (doctype, head, stylesheet, footer) in their order, and saves
 * it through the file layer. The rest of src/report/: svg.c (the plotting kit), style.c (the CSS),
 * data.c (the file as the sections read it), marks.c (a trial on a plot), sections_*.c (the sections).
 * Everything taken from the file (names, paths, config text) goes through evo_svg_esc(). */
#include "evotune/report.h"
#include <errno.h>
#include <stdlib.h>
#include "evotune/file.h"
#include "evotune/mem.h"
#include "internal.h"

int evo_report_write(const struct evo_results *r, FILE *f, struct evo_error *err)
{
    struct report R;
    evo_report_init(&R, r, f);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<meta name=\"generator\" content=\"evotune\"><title>evotune report \xe2\x80\x94 ");
    evo_svg_esc(f, base_name(r->path));
    fprintf(f, "</title>\n<style>\n%s</style></head>\n<body><main>\n", evo_report_css);
    evo_report_section_header(&R);
    evo_report_section_fitness(&R);
    evo_report_section_finalists(&R);
    evo_report_section_genes(&R);
    evo_report_section_parallel(&R);
    evo_report_section_curves(&R);
    evo_report_section_ancestry(&R);
    evo_report_section_top(&R);
    evo_report_section_test(&R);
    fprintf(f, "<footer>evotune report of <code>");
    evo_svg_esc(f, r->path);
    fprintf(f, "</code>");
    fprintf(f, " as written at ");
    evo_svg_esc(f, r->written_at);
    fprintf(f, "</footer>\n</main></body></html>\n");
    evo_report_release(&R);
    if (fflush(f) || ferror(f))
        return evo_error_set(err, EVO_EIO, "cannot write the report: %s", strerror(errno ? errno : EIO));
    return EVO_OK;
}

struct save_ctx {
    const struct evo_results *r;
    const char *path;
};

static int write_report(void *ctx, FILE *f, struct evo_error *err)
{
    const struct save_ctx *c = ctx;
    return evo_report_write(c->r, f, err) ? evo_error_prefix(err, "'%s'", c->path) : EVO_OK;
}

int evo_report_save(const struct evo_results *r, const char *path, struct evo_error *err)
{
    struct save_ctx c = {r, path};
    return evo_file_save(path, write_report, &c, err);
}

char *evo_report_default_path(const char *results_path)
{
    size_t n = strlen(results_path);
    char *out = evo_mem_alloc(n + 6);
    memcpy(out, results_path, n + 1);
    if (n > 3 && !strcmp(out + n - 3, ".h5"))
        n -= 3;
    memcpy(out + n, ".html", 6);
    return out;
}
