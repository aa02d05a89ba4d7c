/* Tests of the file layer and of fault injection: a published file holds exactly the bytes given and
 * replaces the previous one; each injected write, fsync and rename failure names its call and the
 * file, keeps the previous file and leaves no temporary file; a failing writer publishes nothing;
 * malformed EVOTUNE_FAULT values are refused; stale temporary files of dead writers are removed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "evotune/fault.h"
#include "evotune/file.h"
#include "support.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    if (!support_tempdir(dir, sizeof dir))
        return -1;
    snprintf(path, sizeof path, "%s/out.txt", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Arms EVOTUNE_FAULT=value (NULL: off) as evotune's main() does at start-up. */
static int arm(const char *value, struct evo_error *err)
{
    if (value)
        setenv("EVOTUNE_FAULT", value, 1);
    else
        unsetenv("EVOTUNE_FAULT");
    return evo_fault_init(err);
}

static int temps_left(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "ls '%s'.tmp-* >/dev/null 2>&1", path);
    return system(cmd) == 0;
}

static void assert_content(const char *expected)
{
    char *text = support_read(path);
    assert_string_equal(text, expected);
    free(text);
}

static void test_publish_replaces_the_file(void **state)
{
    (void)state;
    struct evo_error err = {0};
    assert_int_equal(arm(NULL, &err), EVO_OK);
    assert_int_equal(evo_file_publish(path, "first\n", 6, &err), EVO_OK);
    assert_content("first\n");
    assert_int_equal(evo_file_publish(path, "second, longer\n", 15, &err), EVO_OK);
    assert_content("second, longer\n");
    assert_int_equal(evo_file_publish(path, "", 0, &err), EVO_OK);
    assert_content("");
    assert_false(temps_left());
}

/* KIND:2: the first publication succeeds, the second and every later one fail on that call. */
static void check_fault(const char *value, const char *call, const char *reason)
{
    struct evo_error err = {0};
    assert_int_equal(arm(NULL, &err), EVO_OK);
    assert_int_equal(evo_file_publish(path, "previous\n", 9, &err), EVO_OK);
    assert_int_equal(arm(value, &err), EVO_OK);
    assert_int_equal(evo_file_publish(path, "one\n", 4, &err), EVO_OK);
    assert_content("one\n");
    for (int k = 0; k < 2; k++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(evo_file_publish(path, "two\n", 4, &err), EVO_EIO);
        char expected[300];
        snprintf(expected, sizeof expected, "cannot write '%s': %s failed: %s", path, call, reason);
        assert_string_equal(err.msg, expected);
        assert_content("one\n");
        assert_false(temps_left());
    }
    assert_int_equal(arm(NULL, &err), EVO_OK);
}

static void test_write_fault(void **state)
{
    (void)state;
    check_fault("write:2", "write", strerror(ENOSPC));
}

static void test_fsync_fault(void **state)
{
    (void)state;
    check_fault("fsync:2", "fsync", strerror(EIO));
}

static void test_rename_fault(void **state)
{
    (void)state;
    check_fault("rename:2", "rename", strerror(EIO));
}

static void test_alloc_fault_counts(void **state)
{
    (void)state;
    struct evo_error err = {0};
    assert_int_equal(arm("alloc:3", &err), EVO_OK);
    assert_int_equal(evo_fault_hit(EVO_FAULT_WRITE), 0); /* other kinds are not counted */
    assert_int_equal(evo_fault_hit(EVO_FAULT_ALLOC), 0);
    assert_int_equal(evo_fault_hit(EVO_FAULT_ALLOC), 0);
    assert_int_equal(evo_fault_hit(EVO_FAULT_ALLOC), 1);
    assert_int_equal(evo_fault_hit(EVO_FAULT_ALLOC), 1);
    assert_int_equal(arm(NULL, &err), EVO_OK);
    assert_int_equal(evo_fault_hit(EVO_FAULT_ALLOC), 0);
}

static void test_bad_fault_values(void **state)
{
    (void)state;
    const char *bad[] = {"write", "write:", "write:0", "write:-1", "write:2x", "disk:1", "alloc:1:2", "Write:1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct evo_error err = {0};
        assert_int_equal(arm(bad[i], &err), EVO_EUSAGE);
        assert_non_null(strstr(err.msg, "EVOTUNE_FAULT="));
        assert_int_equal(evo_fault_hit(EVO_FAULT_WRITE), 0);
    }
    struct evo_error err = {0};
    assert_int_equal(arm("", &err), EVO_OK);
    assert_int_equal(arm(NULL, &err), EVO_OK);
}

static int fail_writer(void *ctx, FILE *f, struct evo_error *err)
{
    fputs("half a page", f);
    return evo_error_set(err, EVO_EDATA, "%s", (const char *)ctx);
}

static int text_writer(void *ctx, FILE *f, struct evo_error *err)
{
    (void)err;
    fputs(ctx, f);
    return EVO_OK;
}

static void test_save(void **state)
{
    (void)state;
    struct evo_error err = {0};
    assert_int_equal(arm(NULL, &err), EVO_OK);
    assert_int_equal(evo_file_save(path, text_writer, "saved\n", &err), EVO_OK);
    assert_content("saved\n");
    assert_int_equal(evo_file_save(path, fail_writer, "the writer's message", &err), EVO_EDATA);
    assert_string_equal(err.msg, "the writer's message");
    assert_content("saved\n");
    assert_false(temps_left());
    /* a directory that does not exist: the temporary file cannot be created */
    assert_int_equal(evo_file_save("/nonexistent-dir/x.txt", text_writer, "x", &err), EVO_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.txt"));
}

static void test_stale_temps(void **state)
{
    (void)state;
    char stale[200], live[200], other[200];
    snprintf(stale, sizeof stale, "%s.tmp-999999999", path); /* beyond pid_max: no such process */
    snprintf(live, sizeof live, "%s.tmp-%ld", path, (long)getppid());
    snprintf(other, sizeof other, "%s/unrelated.tmp-999999999", dir);
    support_write(stale, "x");
    support_write(live, "x");
    support_write(other, "x");
    assert_int_equal(evo_file_remove_stale_temps(path), 1);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(access(live, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);
    unlink(live);
    unlink(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_replaces_the_file),
        cmocka_unit_test(test_write_fault),
        cmocka_unit_test(test_fsync_fault),
        cmocka_unit_test(test_rename_fault),
        cmocka_unit_test(test_alloc_fault_counts),
        cmocka_unit_test(test_bad_fault_values),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_stale_temps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
