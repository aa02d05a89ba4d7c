/* Tests of durability and resume through the CLI, as issue 5 states them: a run killed with SIGKILL
 * at random moments 20+ times and resumed each time ends with the same /individuals, /generations,
 * /population and /best as an uninterrupted run, and the file opens cleanly after every kill;
 * SIGINT and SIGTERM stop with 130 and 143 and a resumable file; a failed write keeps the previous
 * file; readers never fail while a run writes; info and the refusals of resume. */
#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>
#include "evotune/h5.h"
#include "support.h"

static char dir[64], ref[128], cfg_path[128];

/* Digits with networks big enough that a run takes a second or two on 2 threads. */
#define RESUME_CONFIG                                                                              \
    "data = { train = \"" EVOTUNE_SOURCE_DIR "/datasets/digits.csv\"; };\n"                          \
    "search = { epochs = { min = 8; max = 24; }; neurons = { min = 32; max = 128; log = true; };\n" \
    "           hidden_layers = { min = 1; max = 2; }; };\n"                                        \
    "ga = { population = 8; generations = 6; };\n"                                                  \
    "run = { seed = 3; threads = 2; };\n"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

/* Starts `evotune args...` (NULL-terminated) with stdout/stderr to dir/out.txt and dir/err.txt; `env`
 * ("NAME=VALUE" or NULL) is added to its environment. */
static pid_t spawn(const char *env, const char *const *args)
{
    fflush(NULL); /* or the child repeats our buffered output */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char out[128], err[128];
        snprintf(out, sizeof out, "%s/out.txt", dir);
        snprintf(err, sizeof err, "%s/err.txt", dir);
        if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
            _exit(99);
        if (env) {
            char name[64];
            const char *eq = strchr(env, '=');
            snprintf(name, sizeof name, "%.*s", (int)(eq - env), env);
            setenv(name, eq + 1, 1);
        }
        char *argv[16];
        int n = 0;
        argv[n++] = (char *)EVOTUNE_BINARY;
        for (; args[n - 1] && n < 15; n++)
            argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(EVOTUNE_BINARY, argv);
        _exit(98);
    }
    return pid;
}

/* Exit status of pid: its code, or 128 + signal. */
static int reap(pid_t pid)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_to_end(const char *env, const char *const *args)
{
    return reap(spawn(env, args));
}

static char *err_text(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/err.txt", dir);
    return support_read(p);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int temps_left(const char *path)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls '%s'.tmp-* >/dev/null 2>&1", path);
    return system(cmd) == 0;
}

/* Reads a whole dataset in its native form; returns the buffer and fills the row count and type. */
static unsigned char *read_raw(hid_t loc, const char *name, hsize_t *n, hid_t *type)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        fail_msg("cannot open dataset %s", name);
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d);
    *type = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    hssize_t count = H5Sget_simple_extent_npoints(sp);
    *n = (hsize_t)count;
    unsigned char *buf = calloc((size_t)count + 1, H5Tget_size(*type));
    if (count && H5Dread(d, *type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        fail_msg("cannot read dataset %s", name);
    H5Sclose(sp);
    H5Tclose(ft);
    H5Dclose(d);
    return buf;
}

/* Zeroes a field (the timing one) of every row, so that the rest can be compared bytewise. */
static void blank_field(unsigned char *buf, hsize_t n, hid_t type, const char *field)
{
    int k = H5Tget_member_index(type, field);
    if (k < 0)
        return;
    hid_t mt = H5Tget_member_type(type, (unsigned)k);
    size_t off = H5Tget_member_offset(type, (unsigned)k), sz = H5Tget_size(mt), rs = H5Tget_size(type);
    for (hsize_t i = 0; i < n; i++)
        memset(buf + i * rs + off, 0, sz);
    H5Tclose(mt);
}

static void same_dataset(hid_t a, hid_t b, const char *name, const char *timing)
{
    hsize_t na, nb;
    hid_t ta, tb;
    unsigned char *x = read_raw(a, name, &na, &ta), *y = read_raw(b, name, &nb, &tb);
    if (na != nb)
        fail_msg("%s: %llu rows, reference %llu", name, (unsigned long long)nb, (unsigned long long)na);
    assert_true(H5Tequal(ta, tb) > 0);
    if (timing) {
        blank_field(x, na, ta, timing);
        blank_field(y, nb, tb, timing);
    }
    if (memcmp(x, y, (size_t)na * H5Tget_size(ta)))
        fail_msg("%s differs from the reference", name);
    free(x);
    free(y);
    H5Tclose(ta);
    H5Tclose(tb);
}

/* Everything the issue asks to be identical: /individuals, /generations, /best; and /population and
 * /curves. */
static void assert_same_results(const char *reference, const char *path)
{
    hid_t a = H5Fopen(reference, H5F_ACC_RDONLY, H5P_DEFAULT), b = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(a >= 0 && b >= 0);
    same_dataset(a, b, "individuals", "train_seconds");
    same_dataset(a, b, "curves", NULL);
    same_dataset(a, b, "generations", "wall_seconds");
    same_dataset(a, b, "population", "train_seconds");
    same_dataset(a, b, "population_state", NULL);
    same_dataset(a, b, "best/individual", "train_seconds");
    hsize_t nl = 0;
    H5T_class_t cls;
    size_t tsize;
    assert_true(H5LTget_attribute_info(a, "best", "layer_sizes", &nl, &cls, &tsize) >= 0);
    for (hsize_t l = 0; l + 1 < nl; l++) {
        char name[64];
        snprintf(name, sizeof name, "best/weights/dense_%llu_kernel", (unsigned long long)l);
        same_dataset(a, b, name, NULL);
        snprintf(name, sizeof name, "best/weights/dense_%llu_bias", (unsigned long long)l);
        same_dataset(a, b, name, NULL);
    }
    const char *attrs[] = {"test_accuracy", "test_loss", "fitness", "val_accuracy"};
    for (int k = 0; k < 4; k++) {
        double x, y;
        assert_true(H5LTget_attribute_double(a, "best", attrs[k], &x) >= 0);
        assert_true(H5LTget_attribute_double(b, "best", attrs[k], &y) >= 0);
        assert_memory_equal(&x, &y, sizeof x);
    }
    H5Fclose(a);
    H5Fclose(b);
}

/* The file a reader finds after a kill: absent (nothing published yet) or whole and consistent. */
static void assert_file_consistent(const char *path)
{
    if (!exists(path))
        return;
    struct evo_h5_summary s;
    struct evo_error err = {0};
    if (evo_h5_summary_read(&s, path, &err))
        fail_msg("after a kill: %s", err.msg);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hsize_t n, ng;
    hid_t t;
    unsigned char *rows = read_raw(f, "individuals", &n, &t);
    assert_int_equal(n, s.n_individuals);
    int64_t prev = -1;
    size_t off = H5Tget_member_offset(t, (unsigned)H5Tget_member_index(t, "id")), rs = H5Tget_size(t);
    for (hsize_t i = 0; i < n; i++) {
        int64_t id;
        memcpy(&id, rows + i * rs + off, 8);
        assert_true(id > prev); /* id order, whatever order they finished in */
        prev = id;
    }
    free(rows);
    H5Tclose(t);
    free(read_raw(f, "generations", &ng, &t));
    H5Tclose(t);
    assert_int_equal(ng, s.generations_done);
    H5Fclose(f);
    evo_h5_summary_release(&s);
}

static int setup(void **state)
{
    (void)state;
    evo_h5_init();
    if (!support_tempdir(dir, sizeof dir))
        return -1;
    snprintf(cfg_path, sizeof cfg_path, "%s/resume.cfg", dir);
    snprintf(ref, sizeof ref, "%s/ref.h5", dir);
    support_write(cfg_path, RESUME_CONFIG);
    const char *args[] = {"run", cfg_path, "--out", ref, "--quiet", NULL};
    return run_to_end(NULL, args) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    support_rmdir(dir);
    return 0;
}

static uint64_t rng_state;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void test_sigkill_loop(void **state)
{
    (void)state;
    const char *seed = getenv("EVOTUNE_KILL_SEED");
    rng_state = seed ? strtoull(seed, NULL, 10) : (uint64_t)time(NULL);
    printf("kill loop: EVOTUNE_KILL_SEED=%llu\n", (unsigned long long)rng_state);
    char path[128];
    snprintf(path, sizeof path, "%s/killed.h5", dir);
    int kills = 0, runs_done = 0, cycles = 0, fresh = 1;
    double t0 = now();
    while (kills < 20 || !fresh) {
        const char *threads = cycles++ % 2 ? "1" : "2";
        const char *run_args[] = {"run", cfg_path, "--out", path, "--quiet", "--threads", threads, NULL};
        const char *resume_args[] = {"resume", path, "--quiet", "--threads", threads, NULL};
        int start_fresh = fresh || !exists(path);
        pid_t pid = spawn(NULL, start_fresh ? run_args : resume_args);
        if (kills < 20) {
            sleep_s(0.4 * uniform());
            kill(pid, SIGKILL);
        }
        int code = reap(pid);
        if (code == 128 + SIGKILL) {
            kills++;
            fresh = 0;
            assert_file_consistent(path);
            continue;
        }
        if (code != 0) {
            char *e = err_text();
            fail_msg("exit %d: %s", code, e);
        }
        assert_same_results(ref, path);
        assert_false(temps_left(path));
        runs_done++;
        fresh = 1;
        if (kills >= 20)
            break;
        unlink(path);
    }
    printf("kill loop: %d SIGKILLs, %d cycles, %d completed runs identical to the reference, %.1f s\n", kills,
           cycles, runs_done, now() - t0);
    assert_true(kills >= 20 && runs_done >= 1);
}

/* Waits until the file at path holds at least one individual (or the process ended). */
static void wait_for_progress(const char *path, pid_t pid)
{
    for (int k = 0; k < 2000; k++) {
        struct evo_h5_summary s;
        struct evo_error err = {0};
        if (exists(path) && !evo_h5_summary_read(&s, path, &err)) {
            int64_t n = s.n_individuals;
            evo_h5_summary_release(&s);
            if (n > 0)
                return;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            fail_msg("the run ended before it saved anything");
        sleep_s(0.005);
    }
    fail_msg("no progress");
}

static void stop_and_resume(int sig, int expect)
{
    char path[128];
    snprintf(path, sizeof path, "%s/sig%d.h5", dir, sig);
    const char *run_args[] = {"run", cfg_path, "--out", path, NULL};
    pid_t pid = spawn(NULL, run_args);
    wait_for_progress(path, pid);
    double t = now();
    kill(pid, sig);
    int code = reap(pid);
    double took = now() - t;
    char *e = err_text();
    if (code != expect || !strstr(e, "evotune resume") || !strstr(e, path))
        fail_msg("exit %d (want %d), stderr:\n%s", code, expect, e);
    free(e);
    assert_true(took < 2.0); /* promptly: no waiting for the networks in training */
    assert_file_consistent(path);
    struct evo_h5_summary s;
    struct evo_error err = {0};
    assert_int_equal(evo_h5_summary_read(&s, path, &err), EVO_OK);
    assert_string_equal(s.state, "interrupted");
    evo_h5_summary_release(&s);
    assert_false(temps_left(path));
    const char *resume_args[] = {"resume", path, "--threads", "1", NULL};
    code = run_to_end(NULL, resume_args);
    assert_int_equal(code, 0);
    assert_same_results(ref, path);
}

static void test_sigint(void **state)
{
    (void)state;
    stop_and_resume(SIGINT, 130);
}

static void test_sigterm(void **state)
{
    (void)state;
    stop_and_resume(SIGTERM, 143);
}

static void test_second_signal_exits_at_once(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/twice.h5", dir);
    const char *run_args[] = {"run", cfg_path, "--out", path, NULL};
    pid_t pid = spawn(NULL, run_args);
    wait_for_progress(path, pid);
    kill(pid, SIGTERM);
    kill(pid, SIGTERM);
    int code = reap(pid);
    assert_int_equal(code, 143);
    assert_file_consistent(path);
    assert_false(temps_left(path));
    const char *resume_args[] = {"resume", path, "--quiet", NULL};
    assert_int_equal(run_to_end(NULL, resume_args), 0);
    assert_same_results(ref, path);
}

static void test_failed_write_keeps_previous_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/full.h5", dir);
    const char *run_args[] = {"run", cfg_path, "--out", path, "--quiet", NULL};
    /* the 4th write fails as on a full disk (fault injection, fault.h) */
    int code = run_to_end("EVOTUNE_FAULT=write:4", run_args);
    char *e = err_text();
    if (code != 1 || !strstr(e, "No space left on device") || !strstr(e, "full.h5") ||
        !strstr(e, "evotune resume"))
        fail_msg("exit %d, stderr:\n%s", code, e);
    free(e);
    assert_file_consistent(path);
    assert_false(temps_left(path));
    const char *resume_args[] = {"resume", path, "--quiet", NULL};
    assert_int_equal(run_to_end(NULL, resume_args), 0);
    assert_same_results(ref, path);
}

/* A real full disk: a small tmpfs, where mounting is allowed (root, not in every container). */
static void test_full_tmpfs(void **state)
{
    (void)state;
    char mnt[128], cmd[400], path[160];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    mkdir(mnt, 0777);
    /* Room for 1.5 files of the reference run's final size: the first checkpoint (the temporary
     * file alone) always fits, and a later one (its temporary file next to the published one) does
     * not, whatever the file sizes of this format and however many individuals a checkpoint holds. */
    struct stat st;
    assert_int_equal(stat(ref, &st), 0);
    size_t kib = ((size_t)st.st_size * 3 / 2 + 4095) / 4096 * 4;
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=%zuk evotune-test '%s' 2>/dev/null", kib, mnt);
    if (system(cmd) != 0)
        skip();
    snprintf(path, sizeof path, "%s/run.h5", mnt);
    const char *run_args[] = {"run", cfg_path, "--out", path, "--quiet", NULL};
    int code = run_to_end(NULL, run_args);
    char *e = err_text();
    int ok = code == 1 && strstr(e, "No space left on device") && strstr(e, "evotune resume");
    if (ok) {
        assert_file_consistent(path);
        ok = !temps_left(path);
        snprintf(cmd, sizeof cmd, "mount -o remount,size=4m '%s'", mnt); /* space is freed */
        ok = ok && system(cmd) == 0;
        const char *resume_args[] = {"resume", path, "--quiet", NULL};
        ok = ok && run_to_end(NULL, resume_args) == 0;
        if (ok)
            assert_same_results(ref, path);
    }
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: cannot unmount %s\n", mnt);
    if (!ok)
        fail_msg("exit %d, stderr:\n%s", code, e);
    free(e);
}

/* Readers open the published path in a loop while a run rewrites it: every open succeeds. */
static void test_readers_never_fail(void **state)
{
    (void)state;
    char path[128], stop[160], count[160], py[1600];
    snprintf(path, sizeof path, "%s/read.h5", dir);
    snprintf(stop, sizeof stop, "%s/read.stop", dir);
    snprintf(count, sizeof count, "%s/read.count", dir);
    /* Debian's h5py, when present, reads concurrently as users do */
    int with_py = system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") == 0;
    pid_t py_pid = -1;
    if (with_py) {
        snprintf(py, sizeof py,
                 "import h5py,os,sys\n"
                 "n=bad=0\n"
                 "while not os.path.exists('%s'):\n"
                 "    if os.path.exists('%s'):\n"
                 "        try:\n"
                 "            with h5py.File('%s') as f: f['individuals'][:]; f['generations'][:]; dict(f.attrs); n+=1\n"
                 "        except Exception as e: bad+=1; print(e)\n"
                 "        open('%s.tmp','w').write(str(n)); os.replace('%s.tmp','%s')\n"
                 "print('h5py reads', n, 'failures', bad)\n"
                 "sys.exit(1 if bad or n == 0 else 0)\n", stop, path, path, count, count, count);
        fflush(NULL);
        py_pid = fork();
        if (py_pid == 0) {
            execl("/usr/bin/python3", "python3", "-c", py, (char *)NULL);
            _exit(98);
        }
    }
    /* Runs follow each other on the same path until both readers have read it often enough while a
     * run was writing (a short run can end before Python has even started). */
    enum { ENOUGH = 30 };
    const char *run_args[] = {"run", cfg_path, "--out", path, "--quiet", NULL};
    int opens = 0, py_reads = 0, runs = 0;
    double t0 = now();
    while ((opens < ENOUGH || (with_py && py_reads < ENOUGH)) && now() - t0 < 60) {
        pid_t pid = spawn(NULL, run_args);
        runs++;
        while (waitpid(pid, NULL, WNOHANG) != pid) {
            if (!exists(path))
                continue;
            hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
            assert_true(f >= 0);
            hsize_t n;
            hid_t t;
            free(read_raw(f, "individuals", &n, &t));
            H5Tclose(t);
            H5Fclose(f);
            opens++;
        }
        if (with_py) {
            char *c = support_read(count);
            py_reads = atoi(c);
            free(c);
        }
    }
    printf("readers: C %d opens, h5py %d reads, during %d runs\n", opens, py_reads, runs);
    assert_true(opens >= ENOUGH);
    assert_true(!with_py || py_reads >= ENOUGH);
    if (with_py) {
        support_write(stop, "");
        assert_int_equal(reap(py_pid), 0);
    }
}

static void expect_refusal(const char *const *args, int code, const char *needle)
{
    int rc = run_to_end(NULL, args);
    char *e = err_text();
    if (rc != code || support_count_lines(e) != 1 || !strstr(e, needle))
        fail_msg("exit %d (want %d), stderr:\n%s", rc, code, e);
    free(e);
}

/* Seals path again after an edit in place (as a tool that rewrote the file would have to). */
static void reseal(const char *path)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    char *image = malloc((size_t)n);
    rewind(f);
    assert_int_equal(fread(image, 1, (size_t)n, f), (size_t)n);
    evo_h5_seal(image, (size_t)n);
    rewind(f);
    assert_int_equal(fwrite(image, 1, EVO_H5_USERBLOCK, f), EVO_H5_USERBLOCK);
    assert_int_equal(fclose(f), 0);
    free(image);
}

static void test_info_and_refusals(void **state)
{
    (void)state;
    char path[128], missing[128], text[128], other[160];
    snprintf(path, sizeof path, "%s/info.h5", dir);
    snprintf(missing, sizeof missing, "%s/none.h5", dir);
    snprintf(text, sizeof text, "%s/text.h5", dir);
    snprintf(other, sizeof other, "%s/other.h5", dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", ref, path);
    assert_int_equal(system(cmd), 0);
    char *out, *err;
    snprintf(cmd, sizeof cmd, "info %s", path);
    assert_int_equal(support_run(dir, cmd, &out, &err), 0);
    assert_non_null(strstr(out, "state:        finished"));
    assert_non_null(strstr(out, "6 of 6 done"));
    assert_non_null(strstr(out, "evotune resume"));
    assert_non_null(strstr(out, "fitness (accuracy) 0."));
    assert_non_null(strstr(out, "; test accuracy 0."));
    free(out);
    free(err);
    /* missing, not HDF5, HDF5 but not ours: one line, exit 2 */
    support_write(text, "hello\n");
    hid_t f = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    const char *a1[] = {"info", missing, NULL}, *a2[] = {"info", text, NULL}, *a3[] = {"info", other, NULL};
    expect_refusal(a1, 2, "none.h5");
    expect_refusal(a2, 2, "not an HDF5 file");
    expect_refusal(a3, 2, "not an evotune results file");
    const char *a4[] = {"resume", text, NULL};
    expect_refusal(a4, 2, "not an HDF5 file");
    /* another format version */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", ref, other);
    assert_int_equal(system(cmd), 0);
    f = H5Fopen(other, H5F_ACC_RDWR, H5P_DEFAULT);
    long long v = 99;
    assert_true(H5LTset_attribute_long_long(f, ".", "format_version", &v, 1) >= 0);
    H5Fclose(f);
    const char *a5[] = {"resume", other, NULL}, *a10[] = {"info", other, NULL};
    /* edited after evotune sealed it: refused before HDF5 reads it, by every reader */
    expect_refusal(a5, 2, "changed after evotune wrote it");
    expect_refusal(a10, 2, "changed after evotune wrote it");
    reseal(other);
    expect_refusal(a5, 2, "format version 99");
    /* truncated: refused by its length */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && truncate -s -100 '%s'", ref, other, other);
    assert_int_equal(system(cmd), 0);
    expect_refusal(a5, 2, "truncated");
    expect_refusal(a10, 2, "truncated");
    /* a table claiming 2^40 rows it does not store: refused as damaged, nothing sized from it */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", ref, other);
    assert_int_equal(system(cmd), 0);
    f = H5Fopen(other, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t old = H5Dopen2(f, "individuals", H5P_DEFAULT), type = H5Dget_type(old);
    H5Dclose(old);
    assert_true(H5Ldelete(f, "individuals", H5P_DEFAULT) >= 0);
    hsize_t huge = (hsize_t)1 << 40, chunk = 64, unlimited = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(1, &huge, &unlimited), plist = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(H5Pset_chunk(plist, 1, &chunk) >= 0);
    hid_t d = H5Dcreate2(f, "individuals", type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    assert_true(d >= 0);
    H5Dclose(d), H5Pclose(plist), H5Sclose(space), H5Tclose(type), H5Fclose(f);
    reseal(other); /* so that the claim itself is what the readers meet */
    const char *a8[] = {"resume", other, NULL}, *a9[] = {"report", other, NULL};
    expect_refusal(a8, 2, "other.h5");
    expect_refusal(a9, 2, "other.h5");
    /* --generations below what is done */
    const char *a6[] = {"resume", path, "--generations", "3", NULL};
    expect_refusal(a6, 2, "--generations 3");
    /* a finished run resumed as it is: nothing to do */
    const char *a7[] = {"resume", path, "--quiet", NULL};
    assert_int_equal(run_to_end(NULL, a7), 0);
    assert_same_results(ref, path);
}

static void test_changed_data_is_refused(void **state)
{
    (void)state;
    char csv[128], cfg[128], path[128], cmd[400];
    snprintf(csv, sizeof csv, "%s/iris.csv", dir);
    snprintf(cfg, sizeof cfg, "%s/iris.cfg", dir);
    snprintf(path, sizeof path, "%s/iris.h5", dir);
    snprintf(cmd, sizeof cmd, "cp '%s/datasets/iris.csv' '%s'", EVOTUNE_SOURCE_DIR, csv);
    assert_int_equal(system(cmd), 0);
    char text[512];
    snprintf(text, sizeof text, "data = { train = \"%s\"; };\nga = { population = 4; generations = 2; };\n"
             "search = { epochs = 2; };\n", csv);
    support_write(cfg, text);
    const char *run_args[] = {"run", cfg, "--out", path, "--quiet", NULL};
    assert_int_equal(run_to_end(NULL, run_args), 0);
    /* the first data row changes */
    snprintf(cmd, sizeof cmd, "sed -i '2s/^[0-9.]*/9.9/' '%s'", csv);
    assert_int_equal(system(cmd), 0);
    const char *resume_args[] = {"resume", path, "--generations", "3", NULL};
    expect_refusal(resume_args, 2, "other data");
}

static void test_extend_finished_run(void **state)
{
    (void)state;
    char path[128], longer[128];
    snprintf(path, sizeof path, "%s/extend.h5", dir);
    snprintf(longer, sizeof longer, "%s/longer.h5", dir);
    const char *a1[] = {"run", cfg_path, "--out", path, "--quiet", "--set", "ga.generations=2", NULL};
    const char *a2[] = {"run", cfg_path, "--out", longer, "--quiet", "--set", "ga.generations=3", NULL};
    const char *a3[] = {"resume", path, "--quiet", "--generations", "3", NULL};
    assert_int_equal(run_to_end(NULL, a1), 0);
    assert_int_equal(run_to_end(NULL, a2), 0);
    assert_int_equal(run_to_end(NULL, a3), 0);
    assert_same_results(longer, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_loop),
        cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_sigterm),
        cmocka_unit_test(test_second_signal_exits_at_once),
        cmocka_unit_test(test_failed_write_keeps_previous_file),
        cmocka_unit_test(test_full_tmpfs),
        cmocka_unit_test(test_readers_never_fail),
        cmocka_unit_test(test_info_and_refusals),
        cmocka_unit_test(test_changed_data_is_refused),
        cmocka_unit_test(test_extend_finished_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
