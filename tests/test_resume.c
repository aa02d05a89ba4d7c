/* Tests of durability and resume through the CLI, for every strategy (random, generational,
 * steady_state, tpe), as the README states the two invariants: a run writes the same file (tests/h5_same.h:
 * every dataset and attribute, timings and the writer's identity set aside) for any thread count, also
 * when it is interrupted and resumed with another count than it started with; and a run killed with
 * SIGKILL at random moments 20 times or more (3 in a sanitizer build) and resumed each time ends
 * identical to an uninterrupted one, its file whole and readable after every kill. Also: SIGINT and
 * SIGTERM stop with 130 and 143 and a resumable file; a failed write keeps the previous file; readers
 * never fail while a run writes; extending a finished run; info and the refusals of resume. */
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
#include "h5_same.h"
#include "h5_support.h"
#include "support.h"

/* Sanitizer builds run the CLI several times slower: fewer kills there (EVOTUNE_KILLS overrides). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
enum { KILLS = 3 };
#else
enum { KILLS = 20 };
#endif

/* A small search on digits (as 8 x 8 images), with the genes that change what /best stores (conv
 * blocks, batch norm, per-layer dropout, loss) free: about 100 small networks, a few tenths of a second on one thread, so that
 * signals and kills land in the middle of runs and checkpoints are frequent (every 0.05 s). The data
 * group takes a strategy's own data keys (%s). */
#define SPACE                                                                                       \
    "data = { train = \"" EVOTUNE_SOURCE_DIR "/datasets/digits.csv\"; label = \"label\";\n"           \
    "         image_shape = [8, 8]; %s};\n"                                                           \
    "search = { learning_rate = { min = 1e-3; max = 0.1; log = true; };\n"                           \
    "           lr_schedule = { choice = [\"constant\", \"step\", \"cosine\", \"plateau\"]; };\n"    \
    "           epochs = { min = 2; max = 6; };\n"                                                   \
    "           early_stopping = { choice = [\"off\", \"on\"]; };\n"                                 \
    "           batch_size = { choice = [8, 16, 32]; };\n"                                           \
    "           hidden_layers = { min = 0; max = 2; };\n"                                            \
    "           neurons = { min = 4; max = 32; log = true; };\n"                                     \
    "           activation = { choice = [\"relu\", \"tanh\", \"leaky_relu\", \"gelu\"]; };\n"       \
    "           batch_norm = { choice = [\"off\", \"on\"]; };\n"                                     \
    "           optimizer = { choice = [\"sgd\", \"momentum\", \"adam\", \"rmsprop\"]; };\n"         \
    "           weight_decay = { min = 1e-6; max = 1e-2; log = true; };\n"                           \
    "           dropout = { min = 0.0; max = 0.3; };\n"                                              \
    "           dropout_per_layer = { choice = [\"off\", \"on\"]; };\n"                              \
    "           loss = { choice = [\"categorical_crossentropy\", \"binary_crossentropy\", \"mse\"]; };\n"     \
    "           conv_blocks = { min = 0; max = 1; }; filters = { min = 1; max = 3; };\n"             \
    "           kernel_size = { choice = [1, 3]; }; pooling = { choice = [\"none\", \"max\"]; }; };\n"

/* One strategy's run: its configuration, its uninterrupted reference (one thread) and budget. */
struct strategy {
    const char *name;     /* the test's name for it */
    const char *kind;     /* run.strategy, as the file records it */
    const char *groups;   /* its ga, run and promotion groups */
    long budget;          /* networks the whole run trains: its search's and its finalists' runs */
    char cfg[128], ref[128];
    double ref_seconds;   /* wall time of the reference run, process start to exit */
    const char *data;     /* its own keys of the data group, NULL: none */
};

/* 2 finalists x 2 runs after each search (steady_state keeps the default 5 x 3): kills land in them too */
#define FINALISTS "finalists = { count = 2; repeats = 2; };\n"

static struct strategy strategies[] = {
    {"random", "random",
     "run = { strategy = \"random\"; max_trials = 96; seed = 3; threads = 1; workers = 6; };\n"
     FINALISTS, 96 + 4, "", "", 0, NULL},
    {"generational", "generational",
     "ga = { population = 8; generations = 16; tournament = 3; crossover = 0.9; mutation = 0.3; elitism = 2; };\n"
     "run = { strategy = \"generational\"; seed = 3; threads = 1; workers = 6; };\n" FINALISTS,
     8 + 15 * 6 + 4, "", "", 0, NULL},
    {"steady_state", "steady_state",
     "ga = { population = 8; tournament = 3; crossover = 0.9; mutation = 0.3; };\n"
     "run = { strategy = \"steady_state\"; max_trials = 96; seed = 3; threads = 1; workers = 6; };\n",
     96 + 15, "", "", 0, NULL},
    /* promotion: paused trainings continued (or, after a resume, trained again from the start) */
    {"asha", "random",
     "run = { strategy = \"random\"; max_trials = 96; seed = 3; threads = 1; workers = 6; };\n"
     "promotion = { enabled = true; eta = 2; min_epochs = 1; };\n" FINALISTS, 96 + 4, "", "", 0, NULL},
    {"steady_state_promoted", "steady_state",
     "ga = { population = 8; tournament = 3; crossover = 0.9; mutation = 0.3; };\n"
     "run = { strategy = \"steady_state\"; max_trials = 96; seed = 3; threads = 1; workers = 6; };\n"
     "promotion = { enabled = true; eta = 3; min_epochs = 2; };\n" FINALISTS, 96 + 4, "", "", 0, NULL},
    {"tpe", "tpe", /* a window the run overflows */
     "tpe = { startup = 8; gamma = 0.2; candidates = 12; window = 40; };\n"
     "run = { strategy = \"tpe\"; max_trials = 96; seed = 3; threads = 1; workers = 6; };\n" FINALISTS,
     96 + 4, "", "", 0, NULL},
    /* cross-validation: a job per fold, a trial's row once its 3 folds are in, the final network */
    {"cross_validated", "steady_state",
     "ga = { population = 8; tournament = 3; crossover = 0.9; mutation = 0.3; };\n"
     "run = { strategy = \"steady_state\"; max_trials = 24; seed = 3; threads = 1; workers = 6; };\n" FINALISTS,
     24 + 4, "", "", 0, "folds = 3; "},
};
#define RANDOM (&strategies[0])
#define GENERATIONAL (&strategies[1])
#define STEADY (&strategies[2])
#define ASHA (&strategies[3])
#define STEADY_PROMOTED (&strategies[4])
#define TPE (&strategies[5])
#define CROSS_VALIDATED (&strategies[6])
#define N_STRATEGIES (sizeof strategies / sizeof strategies[0])

static char dir[64];

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
        char *argv[20];
        int n = 0;
        argv[n++] = (char *)EVOTUNE_BINARY;
        for (; args[n - 1] && n < 19; n++)
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

/* Runs args to the end and fails the test, with stderr, unless it exits 0. */
static void run_ok(const char *const *args)
{
    int code = run_to_end(NULL, args);
    if (code) {
        char *e = err_text();
        fail_msg("%s %s: exit %d, stderr:\n%s", args[0], args[1], code, e);
    }
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

static void copy_file(const char *from, const char *to)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

/* The file at path equals the reference (h5_same.h). */
static void assert_same_results(const char *reference, const char *path)
{
    char why[700];
    if (h5_same(reference, path, why, sizeof why))
        fail_msg("'%s' differs from the reference '%s': %s", path, reference, why);
}

static int64_t root_i64(const char *path, const char *name)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    long long v = -1;
    assert_true(f >= 0);
    assert_true(H5LTget_attribute_long_long(f, ".", name, &v) >= 0);
    H5Fclose(f);
    return v;
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

/* The ids of a table (individuals, in_flight), heap, *n of them. */
static int64_t *table_ids(hid_t f, const char *name, hsize_t *n)
{
    hid_t t;
    unsigned char *rows = read_raw(f, name, n, &t);
    int k = H5Tget_member_index(t, "id");
    assert_true(k >= 0);
    size_t off = H5Tget_member_offset(t, (unsigned)k), rs = H5Tget_size(t);
    int64_t *ids = calloc(*n + 1, sizeof *ids);
    for (hsize_t i = 0; i < *n; i++)
        memcpy(&ids[i], rows + i * rs + off, 8);
    free(rows);
    H5Tclose(t);
    return ids;
}

/* Copies the file at path as one open file sees it (a writer may replace the path meanwhile) to
 * copy; 0 when there is none. */
static int snapshot(const char *path, const char *copy)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return 0;
    FILE *out = fopen(copy, "wb");
    assert_non_null(out);
    char buf[1 << 16];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, k, out), k);
    assert_false(ferror(in));
    fclose(in);
    assert_int_equal(fclose(out), 0);
    return 1;
}

/* What a kill (or a signal, or a failed write) left at path, or what a run publishes there: absent
 * (nothing published yet), or a whole, consistent file that every reader opens (the seal, the
 * summary, every object). Returns the networks it holds, -1 when absent; *gens (optional) receives
 * generations_done. */
static int64_t assert_file_consistent_gens(const char *orig, const struct strategy *st, int64_t *gens,
                                           int64_t *in_flight)
{
    /* a new name each time: a check that failed may have left its HDF5 file open, and HDF5 would
     * take a file rewritten under the same name for that one */
    static int count;
    char path[128];
    snprintf(path, sizeof path, "%s/snapshot-%d.h5", dir, count++);
    if (!snapshot(orig, path))
        return -1;
    struct evo_h5_summary s;
    struct evo_error err = {0};
    if (evo_h5_summary_read(&s, path, &err))
        fail_msg("%s", err.msg);
    if (gens)
        *gens = s.generations_done;
    if (in_flight)
        *in_flight = s.n_in_flight;
    char why[700];
    if (h5_same_readable(path, why, sizeof why))
        fail_msg("'%s' does not read whole: %s", orig, why);
    assert_string_equal(s.strategy, st->kind);
    assert_true(!strcmp(s.state, "running") || !strcmp(s.state, "interrupted") || !strcmp(s.state, "finished"));
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hsize_t n, nf, ng;
    int64_t *ids = table_ids(f, "individuals", &n), *flight = table_ids(f, "in_flight", &nf);
    assert_int_equal(n, s.n_individuals);
    assert_int_equal(nf, s.n_in_flight);
    assert_true((long)n <= st->budget);
    /* the ids below trials_decided, each once: finished in /individuals or in /in_flight, each table in
     * id order (results/README.md), whatever order the trials finished in */
    for (hsize_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= s.trials_decided || (i > 0 && ids[i] <= ids[i - 1]))
            fail_msg("'%s': /individuals row %llu has id %lld (the one before: %lld), trials_decided "
                     "%lld; %llu rows, %llu in flight, strategy_state \"%s\"", orig, (unsigned long long)i,
                     (long long)ids[i], i ? (long long)ids[i - 1] : -1LL, (long long)s.trials_decided,
                     (unsigned long long)n, (unsigned long long)nf, s.strategy_state);
    for (hsize_t i = 0; i < nf; i++) {
        if (flight[i] < 0 || flight[i] >= s.trials_decided || (i > 0 && flight[i] <= flight[i - 1]))
            fail_msg("'%s': /in_flight row %llu has id %lld, trials_decided %lld", orig, (unsigned long long)i,
                     (long long)flight[i], (long long)s.trials_decided);
        for (hsize_t j = 0; j < n; j++)
            if (ids[j] == flight[i])
                fail_msg("'%s': trial %lld both finished and in flight", orig, (long long)ids[j]);
    }
    if ((int64_t)(n + nf) != s.trials_decided)
        fail_msg("'%s': %llu finished and %llu in flight, but trials_decided %lld", orig,
                 (unsigned long long)n, (unsigned long long)nf, (long long)s.trials_decided);
    free(ids);
    free(flight);
    hid_t t;
    free(read_raw(f, "generations", &ng, &t));
    H5Tclose(t);
    assert_int_equal(ng, s.generations_done);
    int64_t done = -1;
    assert_true(H5LTget_attribute_long_long(f, ".", "trials_done", (long long *)&done) >= 0);
    assert_int_equal(done, (int64_t)n);
    H5Fclose(f);
    if (!strcmp(s.state, "finished")) {
        assert_int_equal(n, st->budget);
        assert_int_equal(nf, 0);
    }
    evo_h5_summary_release(&s);
    unlink(path);
    return (int64_t)n;
}

static int64_t assert_file_consistent(const char *path, const struct strategy *st)
{
    return assert_file_consistent_gens(path, st, NULL, NULL);
}

static int setup(void **state)
{
    (void)state;
    evo_h5_init();
    if (!support_tempdir(dir, sizeof dir))
        return -1;
    for (size_t k = 0; k < N_STRATEGIES; k++) {
        struct strategy *st = &strategies[k];
        char text[4096];
        snprintf(st->cfg, sizeof st->cfg, "%s/%s.cfg", dir, st->name);
        snprintf(st->ref, sizeof st->ref, "%s/ref-%s.h5", dir, st->name);
        snprintf(text, sizeof text, SPACE "%s", st->data ? st->data : "", st->groups);
        support_write(st->cfg, text);
        const char *args[] = {"run", st->cfg, "--out", st->ref, "--quiet", "--threads", "1", NULL};
        double t0 = now();
        if (run_to_end(NULL, args) != 0 || root_i64(st->ref, "trials_done") != st->budget)
            return -1;
        st->ref_seconds = now() - t0;
    }
    return 0;
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

/* ---- the comparator itself: it sees what differs, and only that ---- */

/* Flips the lowest byte of element `row` (of field `field` when the dataset is a table). */
static void flip_byte(hid_t f, const char *name, const char *field, hsize_t row)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hsize_t n;
    hid_t t;
    unsigned char *buf = read_raw(f, name, &n, &t);
    assert_true(row < n);
    size_t off = 0;
    if (field) {
        int k = H5Tget_member_index(t, field);
        assert_true(k >= 0);
        off = H5Tget_member_offset(t, (unsigned)k);
    }
    buf[row * H5Tget_size(t) + off] ^= 1;
    assert_true(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    free(buf);
    H5Tclose(t);
    H5Dclose(d);
}

/* Rewrites a string attribute of the root in its own type. */
static void set_root_string(hid_t f, const char *name, const char *value)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT), t = H5Aget_type(a);
    assert_true(a >= 0 && t >= 0);
    assert_true(H5Awrite(a, t, &value) >= 0);
    H5Tclose(t);
    H5Aclose(a);
}

/* Copies the reference of st, applies edit k to the copy and says whether the comparator finds it the
 * same. Edits 0 to 8 touch only what is set aside, 9 and up a result. */
enum { EDITS_ASIDE = 9, EDITS = 22 };
static int same_after(const struct strategy *st, int k, char *why, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/edited.h5", dir);
    copy_file(st->ref, path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    char *config = support_h5_attr_string(f, "config"), *edited = malloc(strlen(config) + 64), *p;
    double x = 12345.0;
    long long i = 64;
    switch (k) {
    /* set aside: timings, the writer, the thread count */
    case 0: break;
    case 1: flip_byte(f, "individuals", "train_seconds", 5); break;
    case 2: flip_byte(f, "individuals", "finished_at", 0); break;
    case 3: flip_byte(f, "best/individual", "train_seconds", 0); break;
    case 4: set_root_string(f, "written_at", "1999-01-01T00:00:00Z"); break;
    case 5: assert_true(H5LTset_attribute_double(f, ".", "elapsed_seconds", &x, 1) >= 0); break;
    case 6: assert_true(H5LTset_attribute_long_long(f, ".", "threads", &i, 1) >= 0); break;
    case 7:
        p = strstr(config, "threads = 1;");
        assert_non_null(p);
        snprintf(edited, strlen(config) + 64, "%.*sthreads = 64;%s", (int)(p - config), config, p + 12);
        set_root_string(f, "config", edited);
        break;
    case 8: flip_byte(f, "generations", "wall_seconds", 0); break;
    /* results: every one must be seen */
    case 9: flip_byte(f, "individuals", "fitness", 95); break;
    case 10: flip_byte(f, "individuals", "learning_rate", 40); break;
    case 11: flip_byte(f, "individuals", "status", 7); break;
    case 12: flip_byte(f, "curves", "val_loss", 3); break;
    case 13: flip_byte(f, "best/weights/dense_0_bias", NULL, 0); break;
    case 14: flip_byte(f, "best/individual", "val_accuracy", 0); break;
    case 15: set_root_string(f, "strategy_state", "generation 15 of 16, 7 of 8 told"); break;
    case 16: assert_true(H5LTset_attribute_double(f, "best", "test_loss", &x, 1) >= 0); break;
    case 17:
        p = strstr(config, "seed = 3;");
        assert_non_null(p);
        snprintf(edited, strlen(config) + 64, "%.*sseed = 4;%s", (int)(p - config), config, p + 9);
        set_root_string(f, "config", edited);
        break;
    case 18: assert_true(H5Adelete(f, "trials_decided") >= 0); break;
    case 19: flip_byte(f, "data/feature_mean", NULL, 1); break;
    case 20: assert_true(H5Ldelete(f, "in_flight", H5P_DEFAULT) >= 0); break;
    case 21: flip_byte(f, "generations", "mean_fitness", 15); break;
    }
    free(config);
    free(edited);
    H5Fclose(f);
    return h5_same(st->ref, path, why, n) == 0;
}

static void test_comparator_sees_differences(void **state)
{
    (void)state;
    char why[700];
    for (int k = 0; k < EDITS; k++) {
        int same = same_after(GENERATIONAL, k, why, sizeof why);
        if (k < EDITS_ASIDE && !same)
            fail_msg("edit %d, of what is set aside, found different: %s", k, why);
        if (k >= EDITS_ASIDE && same)
            fail_msg("edit %d, of a result, not seen", k);
    }
    /* every strategy's reference differs from the others' */
    assert_int_equal(h5_same(RANDOM->ref, STEADY->ref, why, sizeof why), 1);
    assert_int_equal(h5_same(GENERATIONAL->ref, STEADY->ref, why, sizeof why), 1);
    assert_int_equal(h5_same(RANDOM->ref, ASHA->ref, why, sizeof why), 1);
    assert_int_equal(h5_same(STEADY->ref, STEADY_PROMOTED->ref, why, sizeof why), 1);
}

/* ---- invariant 1: any thread count ---- */

/* Starts a run of st with `threads` on path and stops it with sig once the file holds a network and
 * before the run ends; retried when the run ended first. Returns the networks the stopped file holds. */
static int64_t start_and_stop(const struct strategy *st, const char *path, const char *threads, int sig)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        unlink(path);
        const char *run_args[] = {"run", st->cfg, "--out", path, "--quiet", "--threads", threads, NULL};
        pid_t pid = spawn(NULL, run_args);
        int ended = 0;
        for (int k = 0; k < 4000 && !ended; k++) {
            struct evo_h5_summary s;
            struct evo_error err = {0};
            if (exists(path) && !evo_h5_summary_read(&s, path, &err)) {
                int64_t n = s.n_individuals;
                evo_h5_summary_release(&s);
                if (n > 0)
                    break;
            }
            ended = waitpid(pid, NULL, WNOHANG) == pid;
            sleep_s(0.002);
        }
        if (ended)
            fail_msg("the run ended before it saved anything");
        double t = now();
        kill(pid, sig);
        int code = reap(pid);
        double took = now() - t;
        if (code == 0 || (code == 128 + sig && root_i64(path, "trials_done") == st->budget))
            continue; /* every network was trained before the signal: again, to stop one midway */
        char *e = err_text();
        if (code != 128 + sig || !strstr(e, "evotune resume") || !strstr(e, path))
            fail_msg("exit %d (want %d), stderr:\n%s", code, 128 + sig, e);
        free(e);
        assert_true(took < 2.0); /* promptly: no waiting for the networks in training */
        int64_t n = assert_file_consistent(path, st);
        struct evo_h5_summary s;
        struct evo_error err = {0};
        assert_int_equal(evo_h5_summary_read(&s, path, &err), EVO_OK);
        assert_string_equal(s.state, "interrupted");
        evo_h5_summary_release(&s);
        assert_false(temps_left(path));
        assert_true(n > 0 && n < st->budget);
        return n;
    }
    fail_msg("%s: five runs ended before the signal stopped them", st->name);
    return 0;
}

/* Resumes path on `threads` while reading every version it publishes: each is consistent
 * (assert_file_consistent), and none records less than the one before (networks, generations). */
static void resume_watched(const struct strategy *st, const char *path, const char *threads)
{
    const char *args[] = {"resume", path, "--quiet", "--threads", threads, NULL};
    int64_t done = -1, gens = -1;
    int status = 0, looks = 0;
    pid_t pid = spawn(NULL, args);
    for (int ended = 0; !ended; looks++) {
        ended = waitpid(pid, &status, WNOHANG) == pid; /* then one last look, at the final file */
        int64_t g, n = assert_file_consistent_gens(path, st, &g, NULL);
        if (n < done || g < gens)
            fail_msg("%s: a version of '%s' written while resuming holds %lld networks and %lld generations, "
                     "one before it %lld and %lld", st->name, path, (long long)n, (long long)g, (long long)done,
                     (long long)gens);
        done = n;
        gens = g;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        char *e = err_text();
        fail_msg("resume on %s threads: status %d, stderr:\n%s", threads, status, e);
    }
    assert_int_equal(done, st->budget);
    printf("%s: %d looks at the file while resuming\n", st->name, looks);
}

static void test_thread_counts(void **state)
{
    const struct strategy *st = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/threads-%s.h5", dir, st->name);
#ifdef SANITIZED
    const char *counts[] = {"3", "8"}; /* the CLI runs slower: 2 threads are the kill loop's (1, 2, 3) */
#else
    const char *counts[] = {"2", "3", "8"};
#endif
    for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        const char *args[] = {"run", st->cfg, "--out", path, "--quiet", "--threads", counts[k], NULL};
        run_ok(args);
        assert_same_results(st->ref, path);
        assert_int_equal(root_i64(path, "threads"), atoi(counts[k])); /* what h5_same sets aside */
    }
    /* started on 3 threads, stopped midway, resumed on 1 (the kill loop changes the count at every resume) */
    int64_t n = start_and_stop(st, path, "3", SIGINT);
    resume_watched(st, path, "1");
    assert_same_results(st->ref, path);
    printf("%s: threads 1, %s8 and 3 -> 1 (stopped at %lld of %ld networks) identical\n", st->name,
           sizeof counts / sizeof *counts == 3 ? "2, 3, " : "3, ",
           (long long)n, st->budget);
}

/* ---- invariant 2: SIGKILL at random moments ---- */

static int kills_wanted(void)
{
    const char *e = getenv("EVOTUNE_KILLS");
    return e && atoi(e) > 0 ? atoi(e) : KILLS;
}

/* Kills runs and resumes of st at random moments (EVOTUNE_KILL_SEED) until the kills wanted (20, 3 in a
 * sanitizer build, or EVOTUNE_KILLS) each hit a file with trials in flight — kills that came before
 * the first save or after the end are counted apart and do not count — resuming after each on another
 * thread count than the process killed, and lets the last one finish. After every kill the file is
 * absent or whole and consistent; every run that finishes, from scratch or resumed after kills, equals
 * the reference. */
static void test_sigkill_loop(void **state)
{
    const struct strategy *st = *state;
    const char *seed = getenv("EVOTUNE_KILL_SEED");
    rng_state = seed ? strtoull(seed, NULL, 10) : (uint64_t)time(NULL) + (uint64_t)(st - strategies);
    uint64_t seed_used = rng_state;
    char path[128];
    snprintf(path, sizeof path, "%s/killed-%s.h5", dir, st->name);
    unlink(path);
    const int want = kills_wanted();
    const char *threads[] = {"1", "2", "3"};
    int kills = 0, absent = 0, partial = 0, finished_file = 0, runs_done = 0, resumed_done = 0, spawns = 0;
    int hits = 0; /* kills that left a file with trials in flight */
    int fresh = 1, partial_in_chain = 0;
    double t0 = now();
    for (;;) {
        const char *t = threads[spawns++ % 3];
        const char *run_args[] = {"run", st->cfg, "--out", path, "--quiet", "--threads", t, NULL};
        const char *resume_args[] = {"resume", path, "--quiet", "--threads", t, NULL};
        /* the kills wanted, each with trials in flight in the file it left */
        int killing = hits < want;
        if (kills >= 4 * want + 40)
            fail_msg("%s: %d kills, only %d in the middle of a run (EVOTUNE_KILL_SEED=%llu)", st->name, kills,
                     hits, (unsigned long long)seed_used);
        pid_t pid = spawn(NULL, fresh || !exists(path) ? run_args : resume_args);
        if (killing) {
            /* anywhere in a run from its start, the process's start-up included */
            sleep_s(st->ref_seconds * uniform());
            kill(pid, SIGKILL);
        }
        int code = reap(pid);
        if (code == 128 + SIGKILL) {
            kills++;
            fresh = 0;
            int64_t in_flight = 0, n = assert_file_consistent_gens(path, st, NULL, &in_flight);
            if (n < 0) {
                absent++;
            } else if (n < st->budget) {
                partial++;
                hits += in_flight > 0;
                partial_in_chain = 1;
            } else {
                finished_file++;
            }
            continue;
        }
        if (code != 0) {
            char *e = err_text();
            fail_msg("exit %d: %s (EVOTUNE_KILL_SEED=%llu)", code, e, (unsigned long long)seed_used);
        }
        assert_same_results(st->ref, path);
        assert_false(temps_left(path));
        runs_done++;
        resumed_done += partial_in_chain;
        partial_in_chain = 0;
        fresh = 1;
        if (!killing)
            break;
        unlink(path);
    }
    printf("%s: %d SIGKILLs (file absent %d, partial %d of which %d with trials in flight, finished %d), %d runs completed identical to the "
           "reference, %d of them resumed from a partial file, %.1f s (EVOTUNE_KILL_SEED=%llu)\n", st->name,
           kills, absent, partial, hits, finished_file, runs_done, resumed_done, now() - t0,
           (unsigned long long)seed_used);
    /* not vacuous: kills landed in the middle of runs, and runs resumed from them to the end */
    assert_true(hits >= want && resumed_done >= 1);
}

/* ---- signals, failed writes, readers ---- */

static void stop_and_resume(const struct strategy *st, int sig)
{
    char path[128];
    snprintf(path, sizeof path, "%s/sig%d.h5", dir, sig);
    start_and_stop(st, path, "2", sig);
    const char *resume_args[] = {"resume", path, "--threads", "1", NULL};
    run_ok(resume_args);
    assert_same_results(st->ref, path);
}

static void test_sigint(void **state)
{
    (void)state;
    stop_and_resume(STEADY, SIGINT);
}

static void test_sigterm(void **state)
{
    (void)state;
    stop_and_resume(GENERATIONAL, SIGTERM);
}

static void test_second_signal_exits_at_once(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/twice.h5", dir);
    int code = 0;
    for (int attempt = 0; attempt < 5 && code == 0; attempt++) { /* again when the run ended first */
        unlink(path);
        const char *run_args[] = {"run", RANDOM->cfg, "--out", path, NULL};
        pid_t pid = spawn(NULL, run_args);
        for (int k = 0; k < 4000 && !exists(path); k++)
            sleep_s(0.002);
        kill(pid, SIGTERM);
        kill(pid, SIGTERM);
        code = reap(pid);
    }
    assert_int_equal(code, 143);
    assert_true(assert_file_consistent(path, RANDOM) < RANDOM->budget);
    assert_false(temps_left(path));
    const char *resume_args[] = {"resume", path, "--quiet", NULL};
    run_ok(resume_args);
    assert_same_results(RANDOM->ref, path);
}

static void test_failed_write_keeps_previous_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/full.h5", dir);
    const char *run_args[] = {"run", STEADY->cfg, "--out", path, "--quiet", NULL};
    /* the second write fails as on a full disk (fault injection, fault.h): the first checkpoint stays */
    int code = run_to_end("EVOTUNE_FAULT=write:2", run_args);
    char *e = err_text();
    if (code != 1 || !strstr(e, "No space left on device") || !strstr(e, "full.h5") ||
        !strstr(e, "evotune resume"))
        fail_msg("exit %d, stderr:\n%s", code, e);
    free(e);
    int64_t n = assert_file_consistent(path, STEADY);
    assert_true(n > 0 && n < STEADY->budget);
    assert_false(temps_left(path));
    const char *resume_args[] = {"resume", path, "--quiet", NULL};
    run_ok(resume_args);
    assert_same_results(STEADY->ref, path);
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
    assert_int_equal(stat(STEADY->ref, &st), 0);
    size_t kib = ((size_t)st.st_size * 3 / 2 + 4095) / 4096 * 4;
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=%zuk evotune-test '%s' 2>/dev/null", kib, mnt);
    if (system(cmd) != 0)
        skip();
    snprintf(path, sizeof path, "%s/run.h5", mnt);
    const char *run_args[] = {"run", STEADY->cfg, "--out", path, "--quiet", NULL};
    int code = run_to_end(NULL, run_args);
    char *e = err_text();
    int ok = code == 1 && strstr(e, "No space left on device") && strstr(e, "evotune resume");
    if (ok) {
        assert_file_consistent(path, STEADY);
        ok = !temps_left(path);
        snprintf(cmd, sizeof cmd, "mount -o remount,size=4m '%s'", mnt); /* space is freed */
        ok = ok && system(cmd) == 0;
        const char *resume_args[] = {"resume", path, "--quiet", NULL};
        ok = ok && run_to_end(NULL, resume_args) == 0;
        if (ok)
            assert_same_results(STEADY->ref, path);
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
                 "            with h5py.File('%s') as f: f['individuals'][:]; f['in_flight'][:]; f['curves'][:]; dict(f.attrs); n+=1\n"
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
    const char *run_args[] = {"run", STEADY->cfg, "--out", path, "--quiet", NULL};
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

/* ---- info, refusals, extending a finished run ---- */

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
    char path[128], gen[128], missing[128], text[128], other[160];
    snprintf(path, sizeof path, "%s/info.h5", dir);
    snprintf(gen, sizeof gen, "%s/info-gen.h5", dir);
    snprintf(missing, sizeof missing, "%s/none.h5", dir);
    snprintf(text, sizeof text, "%s/text.h5", dir);
    snprintf(other, sizeof other, "%s/other.h5", dir);
    copy_file(STEADY->ref, path);
    copy_file(GENERATIONAL->ref, gen);
    char cmd[600], want[160];
    char *out, *err;
    snprintf(cmd, sizeof cmd, "info %s", path);
    assert_int_equal(support_run(dir, cmd, &out, &err), 0);
    snprintf(want, sizeof want, "networks:     %ld finished, 0 in flight", STEADY->budget);
    if (!strstr(out, "state:        finished") || !strstr(out, want) || !strstr(out, "strategy:     steady_state") ||
        !strstr(out, "fitness (accuracy) ") || !strstr(out, "; test accuracy ") ||
        !strstr(out, "evotune resume") || !strstr(out, "--max-trials N"))
        fail_msg("info:\n%s", out);
    free(out);
    free(err);
    snprintf(cmd, sizeof cmd, "info %s", gen);
    assert_int_equal(support_run(dir, cmd, &out, &err), 0);
    if (!strstr(out, "generations:  16 done") || !strstr(out, "--generations N"))
        fail_msg("info:\n%s", out);
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
    copy_file(STEADY->ref, other);
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
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && truncate -s -100 '%s'", STEADY->ref, other, other);
    assert_int_equal(system(cmd), 0);
    expect_refusal(a5, 2, "truncated");
    expect_refusal(a10, 2, "truncated");
    /* a table claiming 2^40 rows it does not store: refused as damaged, nothing sized from it */
    copy_file(STEADY->ref, other);
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
    /* budgets below what is done */
    const char *a6[] = {"resume", gen, "--generations", "3", NULL};
    expect_refusal(a6, 2, "--generations 3: ");
    const char *a11[] = {"resume", path, "--max-trials", "10", NULL};
    expect_refusal(a11, 2, "--max-trials 10: ");
    /* the other strategy's budget option: refused, naming the one to use */
    const char *a12[] = {"resume", path, "--generations", "20", NULL};
    expect_refusal(a12, 2, "is a steady_state run, whose budget is --max-trials N");
    const char *a13[] = {"resume", gen, "--max-trials", "200", NULL};
    expect_refusal(a13, 2, "is a generational run, whose budget is --generations N");
    /* none of the refusals touched the files, and a finished run resumed as it is has nothing to do */
    const char *a7[] = {"resume", path, "--quiet", NULL}, *a14[] = {"resume", gen, "--quiet", NULL};
    char out_path[128];
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
    for (int k = 0; k < 2; k++) {
        run_ok(k ? a14 : a7);
        out = support_read(out_path);
        if (!strstr(out, "is already finished"))
            fail_msg("resume of a finished run:\n%s", out);
        free(out);
    }
    assert_same_results(STEADY->ref, path);
    assert_same_results(GENERATIONAL->ref, gen);
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
    snprintf(text, sizeof text, "data = { train = \"%s\"; };\nrun = { strategy = \"random\"; max_trials = 4; };\n"
             "search = { epochs = 2; };\n", csv);
    support_write(cfg, text);
    const char *run_args[] = {"run", cfg, "--out", path, "--quiet", NULL};
    run_ok(run_args);
    /* the first data row changes */
    snprintf(cmd, sizeof cmd, "sed -i '2s/^[0-9.]*/9.9/' '%s'", csv);
    assert_int_equal(system(cmd), 0);
    const char *resume_args[] = {"resume", path, "--max-trials", "6", NULL};
    expect_refusal(resume_args, 2, "other data");
}

/* A finished run given a larger budget ends as a run given that budget from the start. */
static void test_extend_finished_run(void **state)
{
    const struct strategy *st = *state;
    char path[128], longer[128];
    snprintf(path, sizeof path, "%s/extend-%s.h5", dir, st->name);
    snprintf(longer, sizeof longer, "%s/longer-%s.h5", dir, st->name);
    int gen = st == GENERATIONAL;
    const char *a1[] = {"run", st->cfg, "--out", path, "--quiet", "--set", gen ? "ga.generations=3" : "run.max_trials=20",
                        NULL};
    const char *a2[] = {"run", st->cfg, "--out", longer, "--quiet", "--threads", "2", "--set",
                        gen ? "ga.generations=5" : "run.max_trials=33", NULL};
    const char *a3[] = {"resume", path, "--quiet", gen ? "--generations" : "--max-trials", gen ? "5" : "33", NULL};
    run_ok(a1);
    run_ok(a2);
    run_ok(a3);
    assert_same_results(longer, path);
}

#define PER_STRATEGY(fn)                                                                            \
    {#fn "(random)", fn, NULL, NULL, RANDOM}, {#fn "(generational)", fn, NULL, NULL, GENERATIONAL}, \
        {#fn "(steady_state)", fn, NULL, NULL, STEADY}, {#fn "(asha)", fn, NULL, NULL, ASHA},       \
        {#fn "(steady_state_promoted)", fn, NULL, NULL, STEADY_PROMOTED}, {#fn "(tpe)", fn, NULL, NULL, TPE}, \
        {#fn "(cross_validated)", fn, NULL, NULL, CROSS_VALIDATED}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comparator_sees_differences),
        PER_STRATEGY(test_thread_counts),
        PER_STRATEGY(test_sigkill_loop),
        cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_sigterm),
        cmocka_unit_test(test_second_signal_exits_at_once),
        cmocka_unit_test(test_failed_write_keeps_previous_file),
        cmocka_unit_test(test_full_tmpfs),
        cmocka_unit_test(test_readers_never_fail),
        cmocka_unit_test(test_info_and_refusals),
        cmocka_unit_test(test_changed_data_is_refused),
        PER_STRATEGY(test_extend_finished_run),
    };
    /* EVOTUNE_TEST_PART=k/n runs every n-th test from the k-th (ctest runs the halves side by side:
     * the kill loops take most of the suite's time); unset, all of them */
    struct CMUnitTest part[sizeof tests / sizeof *tests];
    size_t n = 0, k = 1, of = 1;
    const char *e = getenv("EVOTUNE_TEST_PART");
    if (e && (sscanf(e, "%zu/%zu", &k, &of) != 2 || k < 1 || k > of))
        k = of = 1;
    for (size_t i = 0; i < sizeof tests / sizeof *tests; i++)
        if (i % of == k - 1)
            part[n++] = tests[i];
    return _cmocka_run_group_tests("tests", part, n, setup, teardown);
}
