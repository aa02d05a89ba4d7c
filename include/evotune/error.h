/* Status codes and the error record that library functions fill in.
 * Library code never exits: it returns one of these codes and leaves a one-line message, lowercase,
 * no trailing full stop, naming the file, line or key at fault (git's usage.c style). */
#ifndef EVOTUNE_ERROR_H
#define EVOTUNE_ERROR_H
#include <stddef.h>

enum evo_status {
    EVO_OK = 0,
    EVO_EUSAGE,   /* bad command line */
    EVO_ECONFIG,  /* bad configuration file or --set override */
    EVO_EDATA,    /* unreadable or malformed data set */
    EVO_EIO,      /* cannot read or write a file the run needs (results, disk full) */
    EVO_ERUNTIME, /* anything else that stops a run */
};

struct evo_error {
    int status;      /* the last status set, EVO_OK when none */
    char msg[1024];  /* one line, no newline */
};

/* Records status and a printf-style message in err (err may be NULL). Control bytes in the formatted
 * text (from user input it quotes) are escaped as \n, \t or \xHH, so a message is always one line.
 * Returns status, so that call sites can be `return evo_error_set(err, EVO_EDATA, "...", ...);`. */
int evo_error_set(struct evo_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with "prefix: " (for adding a file name at an outer level).
 * Returns err->status. */
int evo_error_prefix(struct evo_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Levenshtein distance between a and b (SIZE_MAX when either is longer than 63 bytes), and whether a
 * candidate at that distance from `typed` is close enough to suggest ("did you mean ...?"):
 * distance at most max(2, strlen(typed) / 3). Used for unknown config keys and CSV columns. */
size_t evo_error_distance(const char *a, const char *b);
int evo_error_is_close(const char *typed, size_t distance);

/* The process exit code for a status: 0 for EVO_OK, 2 for usage, config and data errors, 1 otherwise. */
int evo_error_exit_code(int status);

#endif
