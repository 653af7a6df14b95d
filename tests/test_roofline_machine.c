/* test_roofline_machine: the machine the memory view's roofline draws
 * (issue 15 part 3). The machine file of `kvsim bench --save-machine`
 * (ui/machine_file.h): what the reader accepts and refuses, a write read
 * back, where the file lives; then on screen (160x50, the roofline
 * golden's run) the three sources in their order, KVSIM_MACHINE, the
 * saved file, the reference, and a file that cannot be used named in the
 * legend while the reference draws. The bound in the sentence is bytes ÷
 * the machine's GB/s, so it shows which numbers drew the roof.
 * The files live in a fresh temporary directory. */
#include "screen_fixture.h"

#include "ui/machine_file.h"
#include "ui/panels/panels.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[64];   /* the temporary directory of this run */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const GOOD = "# a comment\n"
                                "format: kvsim-machine 1\n"
                                "read_bandwidth_gbs: 81.23\n"
                                "peak_gflops: 104.94\n"
                                "sweep_bytes: 19817856\n"
                                "sweep_shape: d288-T256\n"
                                "cpu: 1\n"
                                "cpu_model: AMD EPYC (family 26, model 2)\n"
                                "date: 2026-12-03T07:15:02Z\n"
                                "kvsim: 0.1.0\n"
                                "kernels: AVX2\n"
                                "a_later_key: whatever it says\n";

/* ---- the file ------------------------------------------------------------ */

static void test_parse(void **state)
{
    (void)state;
    MachineRecord r;
    MachineFileProblem p;
    assert_int_equal(machine_file_parse(GOOD, strlen(GOOD), &r, &p), MACHINE_FILE_OK);
    assert_true(r.gbs == 81.23 && r.gflops == 104.94);
    assert_true(r.sweep_bytes == 19817856u);
    assert_int_equal(r.cpu, 1);
    assert_string_equal(r.sweep_shape, "d288-T256");
    assert_string_equal(r.cpu_model, "AMD EPYC (family 26, model 2)");
    assert_string_equal(r.date, "2026-12-03T07:15:02Z");
    assert_string_equal(r.version, "0.1.0");
    assert_string_equal(r.kernels, "AVX2");
    /* the two numbers alone are enough; CRLF and no final newline too */
    const char *bare = "format: kvsim-machine 1\r\npeak_gflops: 20\r\nread_bandwidth_gbs: 40.5";
    assert_int_equal(machine_file_parse(bare, strlen(bare), &r, &p), MACHINE_FILE_OK);
    assert_true(r.gbs == 40.5 && r.gflops == 20.0 && r.cpu == -1 && !*r.date);

    static const struct {
        const char *text;
        MachineFileStatus status;
        int line;
        const char *key;
    } bad[] = {
        {"", MACHINE_FILE_NOT_OURS, 0, ""},
        {"# only a comment\n", MACHINE_FILE_NOT_OURS, 0, ""},
        {"read_bandwidth_gbs: 80\npeak_gflops: 100\n", MACHINE_FILE_NOT_OURS, 1, ""},
        {"format: kvsim-machine 2\nread_bandwidth_gbs: 80\npeak_gflops: 100\n", MACHINE_FILE_NOT_OURS, 1, ""},
        {"\xff\xfe binary\n", MACHINE_FILE_NOT_OURS, 1, ""},
        {"format: kvsim-machine 1\npeak_gflops: 100\n", MACHINE_FILE_NO_KEY, 0, "read_bandwidth_gbs"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: 80\n", MACHINE_FILE_NO_KEY, 0, "peak_gflops"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: 80\npeak_gflops: fast\n", MACHINE_FILE_BAD_VALUE, 3,
         "peak_gflops"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: -80\npeak_gflops: 100\n", MACHINE_FILE_BAD_VALUE, 2,
         "read_bandwidth_gbs"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: 0\npeak_gflops: 100\n", MACHINE_FILE_BAD_VALUE, 2,
         "read_bandwidth_gbs"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: inf\npeak_gflops: 100\n", MACHINE_FILE_BAD_VALUE, 2,
         "read_bandwidth_gbs"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: 80 GB/s\npeak_gflops: 100\n", MACHINE_FILE_BAD_VALUE, 2,
         "read_bandwidth_gbs"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: 80\npeak_gflops: 100\ncpu: one\n", MACHINE_FILE_BAD_VALUE, 4,
         "cpu"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs: 80\npeak_gflops: 100\ndate: yesterday\n",
         MACHINE_FILE_BAD_VALUE, 4, "date"},
        {"format: kvsim-machine 1\nread_bandwidth_gbs 80\npeak_gflops: 100\n", MACHINE_FILE_BAD_LINE, 2, ""},
        {"format: kvsim-machine 1\nRead_Bandwidth: 80\n", MACHINE_FILE_BAD_LINE, 2, ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const MachineFileStatus s = machine_file_parse(bad[i].text, strlen(bad[i].text), &r, &p);
        if (s != bad[i].status || p.status != s || p.line != bad[i].line || strcmp(p.key, bad[i].key))
            fail_msg("case %zu: status %d line %d key '%s'; expected %d, %d, '%s'", i, (int)s, p.line, p.key,
                     (int)bad[i].status, bad[i].line, bad[i].key);
    }
    /* a line longer than the reader takes, and a NUL inside one */
    char long_line[600];
    snprintf(long_line, sizeof long_line, "format: kvsim-machine 1\ncpu_model: %0400d\n", 7);
    assert_int_equal(machine_file_parse(long_line, strlen(long_line), &r, &p), MACHINE_FILE_BAD_LINE);
    assert_int_equal(p.line, 2);
    const char nul[] = "format: kvsim-machine 1\nread_bandwidth_gbs: 8\0" "0\npeak_gflops: 100\n";
    assert_int_equal(machine_file_parse(nul, sizeof nul - 1, &r, &p), MACHINE_FILE_BAD_LINE);
    /* the phrases the legend uses */
    char buf[160];
    p = (MachineFileProblem){MACHINE_FILE_BAD_VALUE, 3, "peak_gflops", 0};
    assert_string_equal(machine_file_problem_text(&p, false, buf, sizeof buf), "line 3: peak_gflops has a bad value");
    assert_string_equal(machine_file_problem_text(&p, true, buf, sizeof buf), "第 3 行：peak_gflops 的值无效");
}

static void test_write_read(void **state)
{
    (void)state;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/saved", dir);
    MachineRecord w = {.gbs = 72.3456, .gflops = 103.9, .sweep_bytes = 19817856, .cpu = 0};
    snprintf(w.sweep_shape, sizeof w.sweep_shape, "d288-T256");
    snprintf(w.cpu_model, sizeof w.cpu_model, "Test CPU (family 26, model 2)");
    snprintf(w.date, sizeof w.date, "2026-12-03T08:00:00Z");
    snprintf(w.version, sizeof w.version, "0.1.0");
    snprintf(w.kernels, sizeof w.kernels, "AVX2");
    assert_int_equal(machine_file_check(path, false, err, sizeof err), 0);
    if (machine_file_write(path, &w, err, sizeof err)) fail_msg("%s", err);
    MachineRecord r;
    MachineFileProblem p;
    assert_int_equal(machine_file_read(path, &r, &p), MACHINE_FILE_OK);
    /* the numbers with two decimals, as the file says them */
    assert_true(r.gbs == 72.35 && r.gflops == 103.9 && r.sweep_bytes == w.sweep_bytes && r.cpu == 0);
    assert_string_equal(r.cpu_model, w.cpu_model);
    assert_string_equal(r.date, w.date);
    assert_string_equal(r.sweep_shape, "d288-T256");
    char *text = read_file(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "# kvsim machine file"));
    assert_true(strstr(text, "format: kvsim-machine 1\n") < strstr(text, "read_bandwidth_gbs: 72.35\n"));
    free(text);
    /* written again over the old one; no temporary file left beside it */
    w.gbs = 50;
    assert_int_equal(machine_file_check(path, false, err, sizeof err), 0);
    assert_int_equal(machine_file_write(path, &w, err, sizeof err), 0);
    assert_int_equal(machine_file_read(path, &r, &p), MACHINE_FILE_OK);
    assert_true(r.gbs == 50);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    assert_int_not_equal(access(tmp, F_OK), 0);

    /* where it cannot go: said in one line, before anything is measured */
    char sub[128];
    snprintf(sub, sizeof sub, "%s/no-such-dir/m", dir);
    assert_int_equal(machine_file_check(sub, false, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such-dir (No such file or directory)"));
    assert_null(strchr(err, '\n'));
    snprintf(sub, sizeof sub, "%s/saved/m", dir);   /* under a regular file */
    assert_int_equal(machine_file_check(sub, false, err, sizeof err), -1);
    assert_non_null(strstr(err, "saved"));
    assert_int_equal(machine_file_check(dir, false, err, sizeof err), -1);   /* a directory */
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(machine_file_check("", false, err, sizeof err), -1);
    /* the default path's directory is made when asked: kvsim/ under a config dir */
    snprintf(sub, sizeof sub, "%s/cfg/kvsim/machine", dir);
    assert_int_equal(machine_file_check(sub, true, err, sizeof err), 0);
    snprintf(sub, sizeof sub, "%s/cfg/kvsim", dir);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* reading: missing, a directory, too big */
    snprintf(sub, sizeof sub, "%s/absent", dir);
    assert_int_equal(machine_file_read(sub, &r, &p), MACHINE_FILE_MISSING);
    assert_int_equal(machine_file_read(dir, &r, &p), MACHINE_FILE_UNREADABLE);
    snprintf(sub, sizeof sub, "%s/big", dir);
    FILE *f = fopen(sub, "wb");
    assert_non_null(f);
    fputs("format: kvsim-machine 1\n", f);
    for (int i = 0; i < MACHINE_FILE_MAX_BYTES / 10; i++) fputs("# padding\n", f);
    fclose(f);
    assert_int_equal(machine_file_read(sub, &r, &p), MACHINE_FILE_TOO_BIG);
}

static void test_path(void **state)
{
    (void)state;
    char buf[256], home[512];
    bool env;
    snprintf(home, sizeof home, "%s", getenv("HOME") ? getenv("HOME") : "");
    setenv("KVSIM_MACHINE_FILE", "/some/where", 1);
    assert_int_equal(machine_file_path(buf, sizeof buf, &env), 1);
    assert_string_equal(buf, "/some/where");
    assert_true(env);
    setenv("KVSIM_MACHINE_FILE", "", 1);   /* no file at all */
    assert_int_equal(machine_file_path(buf, sizeof buf, &env), 0);
    assert_true(env);
    unsetenv("KVSIM_MACHINE_FILE");
    setenv("XDG_CONFIG_HOME", "/cfg", 1);
    setenv("HOME", "/home/t", 1);
    assert_int_equal(machine_file_path(buf, sizeof buf, &env), 1);
    assert_string_equal(buf, "/cfg/kvsim/machine");
    assert_false(env);
    setenv("XDG_CONFIG_HOME", "relative", 1);   /* not absolute: ignored */
    assert_int_equal(machine_file_path(buf, sizeof buf, &env), 1);
    assert_string_equal(buf, "/home/t/.config/kvsim/machine");
    unsetenv("XDG_CONFIG_HOME");
    assert_int_equal(machine_file_path(buf, sizeof buf, &env), 1);
    assert_string_equal(buf, "/home/t/.config/kvsim/machine");
    unsetenv("HOME");
    assert_int_equal(machine_file_path(buf, sizeof buf, &env), 0);
    assert_int_equal(machine_file_path(buf, 8, &env), 0);
    setenv("KVSIM_MACHINE_FILE", "/a/path/longer/than/eight", 1);
    assert_int_equal(machine_file_path(buf, 8, &env), -1);
    assert_string_equal(buf, "");
    if (*home) setenv("HOME", home, 1);
    screen_isolate_machine();
}

/* ---- on screen ----------------------------------------------------------- */

static const Scenario roof = {"roofline", "--mode memory --d-model 64 --heads 2 --d-ff 256", "NNNN"};

/* The roofline at 160x50 as the environment has it now (caller frees). */
static char *roof_screen(bool zh, double *bytes)
{
    App a;
    const Scenario zh_sc = {"roofline-zh", "--mode memory --d-model 64 --heads 2 --d-ff 256 --lang zh", "NNNN"};
    char *t = render(zh ? &zh_sc : &roof, 160, 50, &a);
    const Engine *e = app_engine_of(&a, MODE_CACHE);
    const Traffic *tr = engine_step_traffic(e, (int)(e->pos / e->ops_per_step) - 1);
    assert_non_null(tr);
    *bytes = (double)traffic_read_bytes(tr);
    app_free(&a);
    return t;
}

/* The sentence's bound at gbs: the numbers that drew the roof. */
static void assert_bound(const char *t, double bytes, double gbs)
{
    char want[96];
    snprintf(want, sizeof want, "at %.0f GB/s it", gbs);
    if (!strstr(t, want)) fail_msg("'%s' not on the roofline screen", want);
    snprintf(want, sizeof want, "less than %.2f \u00b5s", bytes / (gbs * 1e9) * 1e6);
    if (!strstr(t, want)) fail_msg("'%s' not on the roofline screen", want);
}

static void assert_has(const char *t, const char *want)
{
    if (!strstr(t, want)) fail_msg("'%s' not on the roofline screen:\n%s", want, t);
}

/* The English legend, its lines joined by the spaces the wrap took: the
 * lines under the roofline's title up to the plot's (at most three), each after the "││" where the
 * roofline's box meets the one on its left, without the right border. */
static void legend_of(const char *t, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = strstr(t, "Roofline \u00b7 one CPU thread");
    if (!p) p = strstr(t, "\u5c4b\u9876\u7ebf \u00b7 ");   /* 屋顶线 · */
    assert_non_null(p);
    size_t j = 0;
    for (int i = 0; i < 3 && (p = strchr(p, '\n')) != NULL; i++) {
        p++;
        const char *end = strchr(p, '\n'), *from = NULL;
        for (const char *q = p; q && q < end; q = strstr(q + 1, "\u2502\u2502"))
            if (q > p || !strncmp(q, "\u2502\u2502", 6)) from = q;
        assert_non_null(from);
        from += 6;
        const size_t lab = strspn(from, " 0123456789.");   /* the plot: "  100│" */
        if (!strncmp(from + lab, "\u2502", 3)) break;
        size_t n = (size_t)(end - from);
        if (n >= 3 && !strncmp(end - 3, "\u2502", 3)) n -= 3;
        while (n > 0 && from[n - 1] == ' ') n--;
        if (n == 0) break;
        j += (size_t)snprintf(out + j, j < cap ? cap - j : 0, "%s%.*s", j ? " " : "", (int)n, from);
    }
}

/* Chinese wraps between characters too: compare without the spaces. */
static void squeeze(char *s)
{
    size_t j = 0;
    for (size_t i = 0; s[i]; i++)
        if (s[i] != ' ') s[j++] = s[i];
    s[j] = '\0';
}

static void assert_legend_zh(const char *t, const char *want)
{
    char leg[512], w[512];
    legend_of(t, leg, sizeof leg);
    snprintf(w, sizeof w, "%s", want);
    squeeze(leg);
    squeeze(w);
    if (!strstr(leg, w)) fail_msg("legend '%s' does not say '%s'", leg, w);
}

static void assert_legend(const char *t, const char *want)
{
    char leg[512];
    legend_of(t, leg, sizeof leg);
    if (!strstr(leg, want)) fail_msg("legend '%s' does not say '%s'", leg, want);
}

static void test_sources(void **state)
{
    (void)state;
    char saved[128], bad[128], ref[160];
    double bytes;
    snprintf(saved, sizeof saved, "%s/machine", dir);
    snprintf(bad, sizeof bad, "%s/broken", dir);
    write_text(saved, GOOD);
    write_text(bad, "format: kvsim-machine 1\nread_bandwidth_gbs: 80\npeak_gflops: fast\n");
    snprintf(ref, sizeof ref, "%s: %.0f GB/s read, %.0f GFLOP/s peak", PANEL_ROOF_NAME, PANEL_ROOF_GBS,
             PANEL_ROOF_GFLOPS);
    char home[512];
    snprintf(home, sizeof home, "%s", getenv("HOME") ? getenv("HOME") : "/");

    /* 3. nothing set, no file: the reference */
    screen_isolate_machine();
    char *t = roof_screen(false, &bytes);
    assert_has(t, ref);
    assert_bound(t, bytes, PANEL_ROOF_GBS);
    free(t);

    /* 2. the saved file, named by KVSIM_MACHINE_FILE: its numbers, date and CPU */
    setenv("KVSIM_MACHINE_FILE", saved, 1);
    t = roof_screen(false, &bytes);
    assert_legend(t, "measured by kvsim bench on 2026-12-03 (CPU 1): 81.2 GB/s read, 104.9 GFLOP/s peak");
    assert_bound(t, bytes, 81.23);
    assert_null(strstr(t, PANEL_ROOF_NAME));
    free(t);
    t = roof_screen(true, &bytes);
    assert_legend_zh(t, "kvsim bench 于 2026-12-03 实测（CPU 1）：读 81.2 GB/s，峰值 104.9 GFLOP/s");
    free(t);

    /* ... and at the default path, $XDG_CONFIG_HOME/kvsim/machine */
    char cfg[128], kdir[160], kfile[192];
    snprintf(cfg, sizeof cfg, "%s/xdg", dir);
    snprintf(kdir, sizeof kdir, "%s/kvsim", cfg);
    snprintf(kfile, sizeof kfile, "%s/machine", kdir);
    assert_int_equal(mkdir(cfg, 0700), 0);
    assert_int_equal(mkdir(kdir, 0700), 0);
    write_text(kfile, "format: kvsim-machine 1\nread_bandwidth_gbs: 55\npeak_gflops: 40\n");
    unsetenv("KVSIM_MACHINE_FILE");
    setenv("XDG_CONFIG_HOME", cfg, 1);
    t = roof_screen(false, &bytes);
    assert_has(t, "measured by kvsim bench: 55.0 GB/s read, 40.0 GFLOP/s peak");
    assert_bound(t, bytes, 55.0);
    free(t);
    /* KVSIM_MACHINE_FILE set and empty: no file, whatever the default path holds */
    setenv("KVSIM_MACHINE_FILE", "", 1);
    t = roof_screen(false, &bytes);
    assert_has(t, ref);
    free(t);
    /* a default path with nothing saved: the reference, and nothing to complain about */
    unlink(kfile);
    unsetenv("KVSIM_MACHINE_FILE");
    t = roof_screen(false, &bytes);
    assert_has(t, ref);
    assert_null(strstr(t, "no such file"));
    free(t);

    /* 1. KVSIM_MACHINE before the file */
    setenv("KVSIM_MACHINE_FILE", saved, 1);
    setenv("KVSIM_MACHINE", "40.5,20", 1);
    t = roof_screen(false, &bytes);
    assert_has(t, "measured (KVSIM_MACHINE): 40.5 GB/s read, 20.0 GFLOP/s peak");
    assert_bound(t, bytes, 40.5);
    free(t);
    unsetenv("KVSIM_MACHINE");

    /* a file that cannot be used: named, why, and the reference draws */
    char want[400];
    setenv("KVSIM_MACHINE_FILE", bad, 1);
    t = roof_screen(false, &bytes);
    snprintf(want, sizeof want, "%s: line 3: peak_gflops has a bad value; using the %s", bad, ref);
    assert_legend(t, want);
    assert_bound(t, bytes, PANEL_ROOF_GBS);
    free(t);
    t = roof_screen(true, &bytes);
    snprintf(want, sizeof want, "%s：第 3 行：peak_gflops 的值无效；改用%s：读 %.0f GB/s，峰值 %.0f GFLOP/s", bad,
             PANEL_ROOF_NAME_ZH, PANEL_ROOF_GBS, PANEL_ROOF_GFLOPS);
    assert_legend_zh(t, want);
    snprintf(want, sizeof want, "按 %.0f GB/s", PANEL_ROOF_GBS);
    assert_has(t, want);
    free(t);
    setenv("KVSIM_MACHINE_FILE", dir, 1);   /* a directory */
    t = roof_screen(false, &bytes);
    snprintf(want, sizeof want, "%s: cannot read it (Is a directory); using the %s", dir, ref);
    assert_legend(t, want);
    assert_bound(t, bytes, PANEL_ROOF_GBS);
    free(t);
    snprintf(want, sizeof want, "%s/absent", dir);   /* named, but never saved */
    setenv("KVSIM_MACHINE_FILE", want, 1);
    t = roof_screen(false, &bytes);
    assert_legend(t, "/absent: no such file; using the reference");
    assert_bound(t, bytes, PANEL_ROOF_GBS);
    free(t);
    /* under $HOME the legend says ~ */
    setenv("HOME", dir, 1);
    setenv("KVSIM_MACHINE_FILE", bad, 1);
    t = roof_screen(false, &bytes);
    assert_legend(t, "~/broken: line 3:");
    free(t);
    setenv("HOME", home, 1);
    screen_isolate_machine();
}

/* The saved legend is longer than the 160-column panel: it takes two
 * lines and the plot one fewer; the plot still has its roof. */
static void test_long_legend(void **state)
{
    (void)state;
    char saved[128], line[512];
    snprintf(saved, sizeof saved, "%s/machine2", dir);
    write_text(saved, GOOD);
    setenv("KVSIM_MACHINE_FILE", saved, 1);
    double bytes;
    char *t = roof_screen(false, &bytes);
    screen_line(t, "104.9 GFLOP/s peak", line, sizeof line);
    assert_true(*line);
    /* the decade under the peak is the top of the y axis: 104.9 sits on 100 */
    screen_line(t, "  100\u2502", line, sizeof line);
    assert_true(*line);
    assert_non_null(strstr(line, "____"));
    assert_null(strstr(t, " 1000\u2502"));
    free(t);
    screen_isolate_machine();
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kvsim-roofline-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    screen_isolate_machine();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_long_legend),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
