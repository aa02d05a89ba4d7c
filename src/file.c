/* The one layer through which evotune writes files: a file published whole (temporary file, write,
 * fsync, rename, fsync of the directory) or appended to (a journal), each call checked and each write,
 * fsync and rename open to fault injection (fault.h). */
#include "evotune/file.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "evotune/fault.h"
#include "evotune/mem.h"

void evo_file_temp_name(char *buf, size_t n, const char *path)
{
    snprintf(buf, n, "%s.tmp-%ld", path, (long)getpid());
}

/* write(2) of all n bytes; a fault fails it as on a full disk. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        if (evo_fault_hit(EVO_FAULT_WRITE)) {
            errno = ENOSPC;
            return -1;
        }
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int checked_fsync(int fd)
{
    if (evo_fault_hit(EVO_FAULT_FSYNC)) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static int checked_rename(const char *from, const char *to)
{
    if (evo_fault_hit(EVO_FAULT_RENAME)) {
        errno = EIO;
        return -1;
    }
    return rename(from, to);
}

/* fsync of the directory holding path, best effort (see file.h); path is a writable copy. */
static void sync_directory(char *path)
{
    int fd = open(dirname(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync(fd)) {
            /* not reported: the new file is in place and whole */
        }
        close(fd);
    }
}

int evo_file_publish(const char *path, const void *data, size_t n, struct evo_error *err)
{
    size_t len = strlen(path) + 32;
    char *tmp = evo_mem_alloc(len), *dir = evo_mem_strdup(path);
    evo_file_temp_name(tmp, len, path);
    const char *what = NULL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        evo_error_set(err, EVO_EIO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        free(dir);
        return EVO_EIO;
    }
    if (write_all(fd, data, n))
        what = "write";
    else if (checked_fsync(fd))
        what = "fsync";
    int saved = errno;
    if (close(fd) && !what) {
        what = "close";
        saved = errno;
    }
    if (!what && checked_rename(tmp, path)) {
        what = "rename";
        saved = errno;
    }
    if (what) {
        unlink(tmp);
        evo_error_set(err, EVO_EIO, "cannot write '%s': %s failed: %s", path, what, strerror(saved));
    } else {
        sync_directory(dir);
    }
    free(tmp);
    free(dir);
    return what ? EVO_EIO : EVO_OK;
}

int evo_file_save(const char *path, evo_file_writer fn, void *ctx, struct evo_error *err)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return evo_error_set(err, EVO_EIO, "cannot write '%s': write failed: %s", path, strerror(errno));
    int rc = fn(ctx, f, err);
    if (fclose(f) && !rc)
        rc = evo_error_set(err, EVO_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (!rc)
        rc = evo_file_publish(path, buf, n, err);
    free(buf);
    return rc;
}

int evo_file_remove_stale_temps(const char *path)
{
    char *dup_dir = evo_mem_strdup(path), *dup_base = evo_mem_strdup(path);
    const char *dir = dirname(dup_dir), *base = basename(dup_base);
    size_t nb = strlen(base);
    int removed = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char *end;
        if (strncmp(e->d_name, base, nb) || strncmp(e->d_name + nb, ".tmp-", 5))
            continue;
        long pid = strtol(e->d_name + nb + 5, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = evo_mem_alloc(n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        removed += unlink(p) == 0;
        free(p);
    }
    if (d)
        closedir(d);
    free(dup_dir);
    free(dup_base);
    return removed;
}

int evo_file_append(int fd, const char *path, const void *data, size_t n, struct evo_error *err)
{
    if (write_all(fd, data, n))
        return evo_error_set(err, EVO_EIO, "cannot write '%s': write failed: %s", path, strerror(errno));
    if (checked_fsync(fd))
        return evo_error_set(err, EVO_EIO, "cannot write '%s': fsync failed: %s", path, strerror(errno));
    return EVO_OK;
}
