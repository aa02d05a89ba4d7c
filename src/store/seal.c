/* The seal of a results file (evo_h5_seal, h5.h): a CRC-32 of everything after the 512-byte user
 * block, written as a text line into that block, and its check before HDF5 reads the file. */
#include "seal.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "evotune/h5.h"

/* zlib's crc32 takes at most UINT_MAX bytes a call. */
static uLong crc_update(uLong crc, const unsigned char *p, size_t n)
{
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, k);
        p += k, n -= k;
    }
    return crc;
}

/* The seal's line for a CRC and the length it covers, NUL-terminated in line (EVO_H5_USERBLOCK bytes);
 * returns its length. */
static int seal_line(char *line, unsigned long crc, unsigned long long covered)
{
    return snprintf(line, EVO_H5_USERBLOCK, "%s%08lx of the %llu bytes after this %d-byte user block\n",
                    EVO_H5_SEAL_PREFIX, crc, covered, EVO_H5_USERBLOCK);
}

void evo_h5_seal(void *image, size_t n)
{
    char *ub = image;
    if (n <= EVO_H5_USERBLOCK)
        return;
    uLong crc = crc_update(crc32(0L, Z_NULL, 0), (const unsigned char *)ub + EVO_H5_USERBLOCK,
                           n - EVO_H5_USERBLOCK);
    memset(ub, 0, EVO_H5_USERBLOCK);
    seal_line(ub, (unsigned long)crc, (unsigned long long)(n - EVO_H5_USERBLOCK));
}

/* Reads the CRC and length of the seal line at the start of ub (EVO_H5_USERBLOCK bytes, not
 * necessarily NUL-terminated): 1 when the line is exactly what seal_line writes for them, else 0. */
static int parse_seal(const unsigned char *ub, unsigned long *crc, unsigned long long *covered)
{
    char text[EVO_H5_USERBLOCK + 1], want[EVO_H5_USERBLOCK];
    memcpy(text, ub, EVO_H5_USERBLOCK);
    text[EVO_H5_USERBLOCK] = '\0';
    const char *p = text + sizeof EVO_H5_SEAL_PREFIX - 1;
    char *end;
    if (!isxdigit((unsigned char)*p))
        return 0;
    *crc = strtoul(p, &end, 16);
    if (end != p + 8 || strncmp(end, " of the ", 8) || !isdigit((unsigned char)end[8]))
        return 0;
    *covered = strtoull(end + 8, NULL, 10); /* ULLONG_MAX when out of range: then no match below */
    int n = seal_line(want, *crc, *covered);
    return n > 0 && n < EVO_H5_USERBLOCK && !memcmp(text, want, (size_t)n);
}

int evo_h5_check_seal(const char *path, struct evo_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0; /* evo_h5_open reports it */
    unsigned char buf[1 << 16];
    size_t got = fread(buf, 1, EVO_H5_USERBLOCK, f);
    unsigned long want = 0;
    unsigned long long covered = 0;
    if (got < EVO_H5_USERBLOCK || memcmp(buf, EVO_H5_SEAL_PREFIX, sizeof EVO_H5_SEAL_PREFIX - 1)) {
        fclose(f);
        return 0;
    }
    if (!parse_seal(buf, &want, &covered)) {
        fclose(f);
        return evo_error_set(err, EVO_EDATA, "'%s': damaged results file: its seal line is unreadable", path),
               -1;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    unsigned long long n = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        crc = crc_update(crc, buf, got);
        n += got;
    }
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed)
        return evo_error_set(err, EVO_EDATA, "cannot read '%s': %s", path, strerror(saved)), -1;
    if (n != covered)
        return evo_error_set(err, EVO_EDATA,
                             "'%s': damaged results file: %llu bytes after its user block where its "
                             "checksum covers %llu (truncated, or changed after evotune wrote it)", path, n,
                             covered), -1;
    if (crc != want)
        return evo_error_set(err, EVO_EDATA,
                             "'%s': damaged results file: checksum mismatch (corrupted, or changed after "
                             "evotune wrote it)", path), -1;
    return 1;
}
