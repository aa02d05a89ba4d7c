/* The buffered line and byte reader over zlib that the CSV and IDX readers read through, so that
 * plain and gzip files read alike: large gzread calls into one buffer, lines of any length scanned
 * in memory, and a gzip stream cut short reported as truncated rather than read as a shorter file. */
#include "internal.h"
#include "evotune/mem.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gzread is called with this many bytes at a time: large reads keep Fashion-MNIST's 47 MB of pixels
 * to a few dozen calls, and the line scanner works on memory rather than calling gzgets per line. */
#define READ_CHUNK (1u << 20)

int evo_reader_open(struct evo_reader *r, const char *path, struct evo_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    errno = 0;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return evo_error_set(err, EVO_EDATA, "cannot open '%s': %s", path,
                             errno ? strerror(errno) : "out of memory in zlib");
    gzbuffer(r->gz, 1u << 17);
    r->buf = evo_mem_alloc(READ_CHUNK);
    return EVO_OK;
}

void evo_reader_close(struct evo_reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    free(r->buf);
    free(r->line);
    memset(r, 0, sizeof *r);
}

/* Reports a read error, or the truncation of a gzip stream, which zlib otherwise presents as a
 * clean end of file (it only records Z_BUF_ERROR "unexpected end of file"). `where` is 0 when no
 * line number applies. */
int evo_reader_check(struct evo_reader *r, size_t where, struct evo_error *err)
{
    int errnum = Z_OK;
    const char *msg = gzerror(r->gz, &errnum);
    if (errnum == Z_OK)
        return EVO_OK;
    size_t plen = strlen(r->path);
    if (!strncmp(msg, r->path, plen) && !strncmp(msg + plen, ": ", 2))
        msg += plen + 2; /* zlib prefixes the path, which the message names already */
    char at[32] = "";
    if (where)
        snprintf(at, sizeof at, ":%zu", where);
    if (errnum == Z_ERRNO)
        return evo_error_set(err, EVO_EDATA, "%s%s: read error: %s", r->path, at, strerror(errno));
    if (errnum == Z_BUF_ERROR)
        return evo_error_set(err, EVO_EDATA, "%s%s: truncated gzip stream (%s)", r->path, at, msg);
    return evo_error_set(err, EVO_EDATA, "%s%s: corrupt gzip stream (%s)", r->path, at, msg);
}

/* Makes unread bytes available, refilling buf once all of it has been read. Returns EVO_OK with
 * r->pos < r->end, or with r->pos == r->end at end of file (r->eof set), or an error. */
static int reader_fill(struct evo_reader *r, struct evo_error *err)
{
    if (r->pos < r->end || r->eof)
        return EVO_OK;
    int got = gzread(r->gz, r->buf, READ_CHUNK);
    if (got < 0)
        return evo_reader_check(r, r->lineno, err);
    r->pos = 0;
    r->end = (size_t)got;
    if (got == 0) {
        r->eof = 1;
        return evo_reader_check(r, r->lineno, err);
    }
    return EVO_OK;
}

static void line_reserve(struct evo_reader *r, size_t need)
{
    if (need <= r->line_cap)
        return;
    size_t cap = r->line_cap ? r->line_cap : 4096;
    while (cap < need)
        cap = evo_mem_mul(cap, 2);
    r->line = evo_mem_realloc(r->line, cap);
    r->line_cap = cap;
}

/* Reads the next line of any length into r->line, dropping "\n" or "\r\n". Sets *got to 1 for a
 * line, 0 at end of file. */
int evo_reader_line(struct evo_reader *r, int *got, struct evo_error *err)
{
    size_t len = 0;
    int any = 0;
    *got = 0;
    for (;;) {
        int rc = reader_fill(r, err);
        if (rc)
            return rc;
        if (r->pos == r->end)
            break; /* end of file */
        unsigned char *start = r->buf + r->pos;
        unsigned char *nl = memchr(start, '\n', r->end - r->pos);
        size_t take = nl ? (size_t)(nl - start) : r->end - r->pos;
        line_reserve(r, evo_mem_add(len, take + 1));
        memcpy(r->line + len, start, take);
        len += take;
        any = 1;
        r->pos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!any)
        return EVO_OK;
    line_reserve(r, len + 1);
    if (len && r->line[len - 1] == '\r')
        len--;
    r->line[len] = '\0';
    r->lineno++;
    *got = 1;
    return EVO_OK;
}

/* Reads exactly n bytes into out. *got receives the count actually read (short at end of file). */
int evo_reader_bytes(struct evo_reader *r, unsigned char *out, size_t n, size_t *got,
                     struct evo_error *err)
{
    size_t done = 0;
    while (done < n) {
        int rc = reader_fill(r, err);
        if (rc)
            return rc;
        if (r->pos == r->end)
            break; /* end of file */
        size_t take = r->end - r->pos;
        if (take > n - done)
            take = n - done;
        memcpy(out + done, r->buf + r->pos, take);
        r->pos += take;
        done += take;
    }
    *got = done;
    return EVO_OK;
}
