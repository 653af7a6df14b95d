/* test_progress: the progress file (lessons/progress.c). Paths are built
 * with a length check; rows are read once, validated, merged; a save takes
 * a lock, merges with what other processes wrote, and never loses the old
 * file when it fails. Each test works in its own scratch XDG_STATE_HOME. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lessons/progress.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

static char state[256];   /* this test's XDG_STATE_HOME */

static int setup(void **unused)
{
    (void)unused;
    snprintf(state, sizeof state, "/tmp/kvsim-progress-XXXXXX");
    assert_non_null(mkdtemp(state));
    setenv("XDG_STATE_HOME", state, 1);
    return 0;
}

static int teardown(void **unused)
{
    (void)unused;
    char cmd[PROGRESS_PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    char dir[PROGRESS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/kvsim", state);
    mkdir(dir, 0700);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void file_path(char *out)
{
    char err[256];
    assert_int_equal(progress_path(out, err, sizeof err), 0);
}

static Progress prog(int seen, int slides, int questions, unsigned long long mask)
{
    Progress p = {seen, slides, 0, questions, mask};
    return p;
}

static void test_parse_row(void **unused)
{
    (void)unused;
    ProgressRow r;
#define ROW(s) progress_parse_row(s, strlen(s), &r)
    assert_int_equal(ROW("causal-mask en 2 5 1 3 1"), 0);
    assert_string_equal(r.id, "causal-mask");
    assert_string_equal(r.lang, "en");
    assert_int_equal(r.p.seen, 2);
    assert_int_equal(r.p.slides, 5);
    assert_int_equal(r.p.solved, 1);
    assert_int_equal(r.p.questions, 3);
    assert_int_equal(r.p.solved_mask, 1);
    assert_int_equal(ROW("a_b zh 5 5 2 3 5"), 0);
    assert_int_equal(ROW("old en 1 2 0 1"), 0);          /* before the mask */
    /* what the issue saw shown as "slide 1215752191/-5" */
    assert_int_equal(ROW("x en 1215752191 -5 0 0 0"), -1);
    assert_int_equal(ROW("x en 6 5 0 0 0"), -1);          /* seen > slides */
    assert_int_equal(ROW("x en 0 5 0 0 0"), -1);          /* seen 0 */
    assert_int_equal(ROW("x en 1 201 0 0 0"), -1);        /* > LESSON_MAX_SLIDES */
    assert_int_equal(ROW("x en 1 5 2 1 3"), -1);          /* solved > questions */
    assert_int_equal(ROW("x en 1 5 1 2 4"), -1);          /* mask bit past the questions */
    assert_int_equal(ROW("x en 1 5 2 3 1"), -1);          /* solved != bits of the mask */
    assert_int_equal(ROW("x fr 1 5 0 0 0"), -1);
    assert_int_equal(ROW("x/y en 1 5 0 0 0"), -1);
    assert_int_equal(ROW("x en +1 5 0 0 0"), -1);
    assert_int_equal(ROW("x en 1 5 0 0 0 9"), -1);        /* extra field */
    assert_int_equal(ROW("x en 1 5 0 0 g"), -1);
    assert_int_equal(ROW("x en 1 5"), -1);
    assert_int_equal(ROW("0123456789012345678901234567890123 en 1 5 0 0 0"), -1);  /* id > 32 */
#undef ROW
}

/* A long XDG_STATE_HOME (1,096 bytes, as in the issue) is used whole: the
 * file lands at the full path, nothing is written at a cut one. */
static void test_long_state_home(void **unused)
{
    (void)unused;
    char deep[PROGRESS_PATH_MAX];
    snprintf(deep, sizeof deep, "%s", state);
    while (strlen(deep) < 1096) {
        size_t n = strlen(deep);
        snprintf(deep + n, sizeof deep - n, "/%.*s", (int)(1096 - n - 1 < 200 ? 1096 - n - 1 : 200),
                 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                 "dddddddddddddddddddddddddddd");
    }
    assert_int_equal(strlen(deep), 1096);
    setenv("XDG_STATE_HOME", deep, 1);
    char path[PROGRESS_PATH_MAX], err[PROGRESS_PATH_MAX + 200];
    assert_int_equal(progress_path(path, err, sizeof err), 0);
    assert_int_equal(strlen(path), 1096 + strlen("/kvsim/progress"));
    assert_int_equal(progress_put("causal-mask", "en", prog(2, 5, 3, 0), err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* what a 1,100-byte buffer would have cut the path to */
    char cut[1100];
    snprintf(cut, sizeof cut, "%s", path);
    assert_int_not_equal(stat(cut, &st), 0);

    /* too long for any path: refused with a message, nothing written */
    char *huge = malloc(PROGRESS_PATH_MAX + 100);
    assert_non_null(huge);
    memset(huge, 'x', PROGRESS_PATH_MAX + 99);
    huge[0] = '/';
    huge[PROGRESS_PATH_MAX + 99] = '\0';
    setenv("XDG_STATE_HOME", huge, 1);
    assert_int_equal(progress_path(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "XDG_STATE_HOME is 4195 bytes long"));
    assert_int_equal(progress_put("causal-mask", "en", prog(2, 5, 3, 0), err, sizeof err), -1);
    free(huge);
    setenv("XDG_STATE_HOME", state, 1);
}

/* Every valid row is kept however many there are; invalid lines are
 * counted and reported; the table is read once. */
static void test_rows_kept(void **unused)
{
    (void)unused;
    char path[PROGRESS_PATH_MAX], err[PROGRESS_PATH_MAX + 200];
    file_path(path);
    size_t cap = 400 * 40 + 200;
    char *text = calloc(1, cap);
    for (int i = 0; i < 300; i++)
        snprintf(text + strlen(text), cap - strlen(text), "lesson-%d en %d 5 1 3 2\n", i, 1 + i % 5);
    strcat(text, "x en 1215752191 -5 0 0 0\n\n   \ngarbage\n");
    write_file(path, text);
    free(text);
    ProgressTable t;
    assert_int_equal(progress_load(&t, err, sizeof err), 0);
    assert_int_equal(t.n, 300);
    assert_int_equal(t.invalid, 2);
    assert_int_equal(t.first_invalid, 301);
    assert_int_equal(progress_find(&t, "lesson-299", "en").seen, 5);
    assert_int_equal(progress_find(&t, "lesson-299", "zh").seen, 0);
    progress_table_free(&t);

    /* a save keeps all 300 and adds the new one */
    assert_int_equal(progress_put("new-one", "zh", prog(1, 4, 2, 2), err, sizeof err), 0);
    assert_int_equal(progress_load(&t, err, sizeof err), 0);
    assert_int_equal(t.n, 301);
    assert_int_equal(t.invalid, 0);
    assert_int_equal(progress_find(&t, "lesson-299", "en").seen, 5);
    assert_int_equal(progress_find(&t, "new-one", "zh").solved, 1);
    progress_table_free(&t);
}

/* Merging: the furthest slide wins, solved questions add up. */
static void test_merge(void **unused)
{
    (void)unused;
    char err[PROGRESS_PATH_MAX + 200];
    ProgressTable t;
    assert_int_equal(progress_put("m", "en", prog(3, 5, 3, 1), err, sizeof err), 0);
    assert_int_equal(progress_put("m", "en", prog(2, 5, 3, 4), err, sizeof err), 0);
    assert_int_equal(progress_load(&t, err, sizeof err), 0);
    Progress p = progress_find(&t, "m", "en");
    assert_int_equal(p.seen, 3);
    assert_int_equal(p.solved_mask, 5);
    assert_int_equal(p.solved, 2);
    assert_int_equal(p.questions, 3);
    progress_table_free(&t);
}

/* The size cap: a huge file is refused at once, and a save leaves it be. */
static void test_size_cap(void **unused)
{
    (void)unused;
    char path[PROGRESS_PATH_MAX], err[PROGRESS_PATH_MAX + 200];
    file_path(path);
    write_file(path, "");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < PROGRESS_MAX_BYTES + 10; i++) fputc('\n', f);
    assert_int_equal(fclose(f), 0);
    ProgressTable t;
    assert_int_equal(progress_load(&t, err, sizeof err), -1);
    assert_non_null(strstr(err, "larger than the 1 MiB limit"));
    assert_int_equal(t.n, 0);
    progress_table_free(&t);
    assert_int_equal(progress_put("m", "en", prog(1, 5, 3, 0), err, sizeof err), -1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, PROGRESS_MAX_BYTES + 10);
}

/* Files left in the state directory other than progress and its lock. */
static int stray_files(void)
{
    char dir[PROGRESS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/kvsim", state);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "progress") &&
            strcmp(de->d_name, "progress.lock"))
            n++;
    closedir(d);
    return n;
}

/* A save that fails keeps the old file byte for byte and says why. */
static void test_failed_save(void **unused)
{
    (void)unused;
    char path[PROGRESS_PATH_MAX], err[PROGRESS_PATH_MAX + 200];
    file_path(path);
    const char *old = "causal-mask en 2 5 1 3 1\nother zh 1 3 0 1 0\n";
    write_file(path, old);

    /* a full disk, as far as this process can tell: files may not grow */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {0, 0};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
        int rc = progress_put("causal-mask", "en", prog(5, 5, 3, 7), err, sizeof err);
        _exit(rc == -1 && strstr(err, "progress not saved") ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *now = read_all(path);
    assert_non_null(now);
    assert_string_equal(now, old);
    free(now);
    assert_int_equal(stray_files(), 0);

    /* the state directory is a file */
    char file[PROGRESS_PATH_MAX];
    snprintf(file, sizeof file, "%s/plainfile", state);
    write_file(file, "x");
    setenv("XDG_STATE_HOME", file, 1);
    assert_int_equal(progress_put("causal-mask", "en", prog(5, 5, 3, 7), err, sizeof err), -1);
    assert_non_null(strstr(err, "not a directory"));
    assert_int_equal(progress_check_writable(err, sizeof err), -1);
    setenv("XDG_STATE_HOME", state, 1);
    assert_int_equal(progress_check_writable(err, sizeof err), 0);
}

/* Several processes saving at once: every row of every one of them is
 * there at the end (they used to share one temporary name). */
static void test_concurrent(void **unused)
{
    (void)unused;
    enum { PROCS = 4, EACH = 40 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            char err[PROGRESS_PATH_MAX + 200], id[32];
            int bad = 0;
            for (int i = 0; i < EACH; i++) {
                snprintf(id, sizeof id, "p%d-%d", p, i);
                bad |= progress_put(id, "en", prog(1, 2, 1, 0), err, sizeof err);
                /* and one row all of them touch: question p answered */
                bad |= progress_put("shared", "en", prog(1, 5, PROCS, 1ull << p), err, sizeof err);
            }
            _exit(bad ? 1 : 0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int status = 0;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ProgressTable t;
    char err[PROGRESS_PATH_MAX + 200];
    assert_int_equal(progress_load(&t, err, sizeof err), 0);
    assert_int_equal(t.n, PROCS * EACH + 1);
    assert_int_equal(t.invalid, 0);
    assert_int_equal(progress_find(&t, "shared", "en").solved, PROCS);
    progress_table_free(&t);
    assert_int_equal(stray_files(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_row),
        cmocka_unit_test_setup_teardown(test_long_state_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_save, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
