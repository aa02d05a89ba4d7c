/* Shared by the fuzz harnesses: the loaders take file paths, so each input is written to a temporary
 * file of this process (under $TMPDIR, else /dev/shm, else /tmp), created once and truncated per
 * input, and removed at exit. Header-only: each harness is one translation unit. */
#ifndef EVOTUNE_FUZZ_COMMON_H
#define EVOTUNE_FUZZ_COMMON_H
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_TEMPS 4
static char fuzz_temps[FUZZ_MAX_TEMPS][512];

static inline void fuzz_remove_temps(void)
{
    for (int i = 0; i < FUZZ_MAX_TEMPS; i++)
        if (fuzz_temps[i][0])
            unlink(fuzz_temps[i]);
}

/* The path of this process's temporary file number `slot` (< FUZZ_MAX_TEMPS), ending in `suffix`
 * (the loaders choose by name in places: ".gz", "-idx3-ubyte"). Each slot's path is made once. */
static inline const char *fuzz_temp_path(int slot, const char *suffix)
{
    static int registered;
    if (slot < 0 || slot >= FUZZ_MAX_TEMPS)
        abort();
    if (!fuzz_temps[slot][0]) {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        if (!registered) {
            atexit(fuzz_remove_temps);
            registered = 1;
        }
        snprintf(fuzz_temps[slot], sizeof fuzz_temps[slot], "%s/evotune-fuzz-%ld-%d%s", dir,
                 (long)getpid(), slot, suffix);
    }
    return fuzz_temps[slot];
}

/* Writes data[0..size) to the file at path, replacing its content. Aborts on failure: a harness that
 * cannot write its input tests nothing. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w <= 0) {
            perror(path);
            abort();
        }
        data += w;
        size -= (size_t)w;
    }
    close(fd);
}

/* /dev/null, opened once, for exercising the writers on what was loaded. */
static inline FILE *fuzz_devnull(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w")))
        abort();
    return f;
}

#endif
