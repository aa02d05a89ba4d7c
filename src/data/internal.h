/* Internal to src/data/: what its files share and nothing outside reads. The buffered reader
 * (reader.c) that the CSV and IDX readers read through, the CSV loader and the IDX recogniser and
 * image reader that the loader choice (load.c) calls, the name lists (dataset.c), FNV-1a (the class
 * table's hash and the content hash), and the copy of a byte set's standardisation (scale.c). */
#ifndef EVOTUNE_DATA_INTERNAL_H
#define EVOTUNE_DATA_INTERNAL_H
#include "evotune/data.h"
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* ---- reader.c: buffered line and byte reader over zlib (plain and gzip files read alike) ---- */

struct evo_reader {
    gzFile gz;
    const char *path;
    unsigned char *buf;  /* [READ_CHUNK] */
    size_t pos, end;     /* unread bytes are buf[pos..end) */
    int eof;             /* gzread returned 0: no more input */
    char *line;          /* the current line, NUL-terminated, without its line end */
    size_t line_cap;
    size_t lineno;       /* 1-based number of the current line */
};

/* Opens path (plain or gzip) for reading; the error names the file. Close with evo_reader_close
 * whatever it returns. */
int evo_reader_open(struct evo_reader *r, const char *path, struct evo_error *err);
void evo_reader_close(struct evo_reader *r);
/* Reports a read error, or the truncation of a gzip stream, which zlib otherwise presents as a
 * clean end of file. `where` is the line number for the message, 0 when none applies. */
int evo_reader_check(struct evo_reader *r, size_t where, struct evo_error *err);
/* Reads the next line of any length into r->line, dropping "\n" or "\r\n". Sets *got to 1 for a
 * line, 0 at end of file. */
int evo_reader_line(struct evo_reader *r, int *got, struct evo_error *err);
/* Reads exactly n bytes into out. *got receives the count actually read (short at end of file). */
int evo_reader_bytes(struct evo_reader *r, unsigned char *out, size_t n, size_t *got,
                     struct evo_error *err);

/* ---- csv.c, idx.c: the readers behind evo_data_load and evo_data_load_unlabelled ------------- */

/* Loads a CSV file; unlabelled: every column is a feature (label is ignored). As evo_data_load_csv. */
int evo_csv_load(struct evo_dataset *ds, const char *path, const char *label, int unlabelled,
                 struct evo_error *err);
/* 1 when path is an IDX file, by its name or its first two bytes (see evo_data_load). */
int evo_idx_recognise(const char *path);
/* Reads an IDX image file into ds (bytes, shape, feature names; no labels). On error ds may hold
 * part of it: the caller releases it. */
int evo_idx_images(struct evo_dataset *ds, const char *path, struct evo_error *err);

/* ---- dataset.c, scale.c --------------------------------------------------------------------- */

/* A deep copy of the n strings v[0..n), and its release (NULL is safe). */
char **evo_data_names_copy(char *const *v, size_t n);
void evo_data_names_free(char **v, size_t n);

/* A copy of a byte set's standardisation (NULL for NULL). */
struct evo_data_scale *evo_data_scale_copy(const struct evo_data_scale *src);

/* 64-bit FNV-1a over n bytes, continuing from h (FNV_OFFSET to start). Inline: the class table
 * hashes every label cell with it. */
#define FNV_OFFSET 0xcbf29ce484222325ULL

static inline uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#endif
