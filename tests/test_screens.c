/* test_screens: golden screens. Each scenario drives an App with keys,
 * renders it into a canvas of 80x24 or 120x40 and compares the text with
 * tests/golden/<name>.txt (run from the repository root). The numbers on
 * the screens are also checked against the closed forms, so a golden file
 * cannot freeze a wrong count.
 *
 * KVSIM_UPDATE_GOLDEN=1 rewrites the files instead (look at them before
 * committing: `git diff tests/golden`). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/formulas.h"
#include "ui/app.h"
#include "ui/frames.h"
#include "ui/panels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *args;     /* extra command-line options, space separated */
    const char *keys;     /* --keys syntax */
} Scenario;

static const Scenario scenarios[] = {
    {"prefill", "", "N"},
    {"decode3", "", "NNNN"},
    {"recompute3", "--mode recompute", "NNNN"},
    {"compare", "--mode compare", "NNN"},
    {"train", "--mode train", "N"},
    {"help", "", "N?"},
    {"zh", "--lang zh", "NN"},
    {"midstep", "", "Nnnnn"},
};

static int build_app(App *a, const char *args, char *err)
{
    char buf[256];
    char *argv[32];
    int argc = 0;
    argv[argc++] = "kvsim";
    snprintf(buf, sizeof buf, "%s", args);
    for (char *tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " ")) argv[argc++] = tok;
    argv[argc] = NULL;
    CliOptions o;
    if (cli_parse(argc, argv, &o, err, 256)) return -1;
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, 256);
    if (L < 0) return -1;
    return app_init(a, &o, ids, L, err, 256);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

/* Render one scenario at w x h; returns the dump (caller frees). */
static char *render(const Scenario *sc, int w, int h, App *a)
{
    char err[256];
    if (build_app(a, sc->args, err)) fail_msg("%s: %s", sc->name, err);
    int keys[64];
    int n = frames_parse_keys(sc->keys, keys, 64, err, sizeof err);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) app_handle_key(a, keys[i]);
    Canvas c;
    assert_int_equal(canvas_init(&c, w, h), 0);
    app_render(a, &c);
    char *text = canvas_dump(&c);
    canvas_free(&c);
    return text;
}

static void compare_golden(const char *name, int w, int h, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "tests/golden/%s-%dx%d.txt", name, w, h);
    if (getenv("KVSIM_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return;
    }
    char *want = read_file(path);
    if (!want) fail_msg("missing %s (make it with KVSIM_UPDATE_GOLDEN=1)", path);
    if (strcmp(want, text) != 0) {
        /* show the first differing line */
        const char *p = want, *q = text;
        int line = 1;
        while (*p && *p == *q) { if (*p == '\n') line++; p++; q++; }
        print_message("%s differs at line %d\n--- want\n%s\n--- got\n%s\n", path, line, want, text);
        free(want);
        fail_msg("%s: screen differs from the golden file", path);
    }
    free(want);
}

/* Every "N B" byte figure next to "KV" on screen equals the measured and
 * closed-form cache size of the shown step. */
static void check_numbers(const App *a, const char *text)
{
    const Engine *ec = &a->eng[MODE_CACHE];
    if (ec->pos == 0 || !engine_at_step_end(ec)) return;
    const int k = ec->step;
    char want[32];
    fmt_count(formulas_kv_bytes(&a->opt.cfg, MODE_CACHE, a->L, k), want);
    assert_int_equal(engine_kv_bytes(ec), formulas_kv_bytes(&a->opt.cfg, MODE_CACHE, a->L, k));
    if (a->view == VIEW_CACHE || a->view == VIEW_COMPARE) {
        if (!strstr(text, want)) fail_msg("cache size %s B not on screen", want);
    }
    /* this step's total MACs of both modes appear (exact or short form) */
    OpCounts pc, pr;
    formulas_step(&a->opt.cfg, MODE_CACHE, a->L, k, &pc);
    formulas_step(&a->opt.cfg, MODE_RECOMPUTE, a->L, k, &pr);
    char l1[32], s1[32], l2[32], s2[32];
    fmt_count(counts_total(&pc), l1);
    fmt_short(counts_total(&pc), s1);
    fmt_count(counts_total(&pr), l2);
    fmt_short(counts_total(&pr), s2);
    if (a->view != VIEW_TRAIN) {
        if (!strstr(text, l1) && !strstr(text, s1)) fail_msg("cache step total %s not on screen", l1);
        if (!strstr(text, l2) && !strstr(text, s2)) fail_msg("recompute step total %s not on screen", l2);
    }
}

static void test_golden_screens(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {120, 40}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
            App a;
            char *text = render(&scenarios[i], sizes[s][0], sizes[s][1], &a);
            compare_golden(scenarios[i].name, sizes[s][0], sizes[s][1], text);
            if (!a.help) check_numbers(&a, text);
            free(text);
            app_free(&a);
        }
}

static void test_too_small(void **state)
{
    (void)state;
    const Scenario sc = {"small", "", "N"};
    App a;
    char *text = render(&sc, 60, 20, &a);
    compare_golden("too-small", 60, 20, text);
    assert_non_null(strstr(text, "Terminal too small"));
    assert_non_null(strstr(text, "80x24"));
    assert_non_null(strstr(text, "60x20"));
    free(text);
    app_free(&a);
}

/* Titles required by the UI spec, in both languages, at both sizes. */
static void test_titles(void **state)
{
    (void)state;
    const Scenario en = {"t", "", "N"}, zh = {"t", "--lang zh", "N"};
    const char *want_en[] = {"Causal mask", "Attention", "KV cache", "Operations", "Tokens", "Pipeline"};
    const char *want_zh[] = {"因果掩码", "注意力", "KV 缓存", "运算", "词元", "流水线"};
    for (int big = 0; big < 2; big++) {
        App a;
        char *t = render(&en, big ? 200 : 80, big ? 60 : 24, &a);
        for (int i = 0; i < 6; i++)
            if (!strstr(t, want_en[i])) fail_msg("title '%s' missing", want_en[i]);
        free(t);
        app_free(&a);
        t = render(&zh, big ? 200 : 80, big ? 60 : 24, &a);
        for (int i = 0; i < 6; i++)
            if (!strstr(t, want_zh[i])) fail_msg("title '%s' missing", want_zh[i]);
        free(t);
        app_free(&a);
    }
}

/* Every size from the minimum to large, every view, every operation:
 * rendering never fails and keeps within the canvas (ASan watches). */
static void test_all_sizes_and_ops(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {81, 25}, {99, 31}, {132, 43}, {200, 60}, {300, 90}, {79, 23}, {20, 8}};
    char err[256];
    App a;
    assert_int_equal(build_app(&a, "--prompt 我是一个学生 --gen 5", err), 0);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        Canvas c;
        assert_int_equal(canvas_init(&c, sizes[s][0], sizes[s][1]), 0);
        for (int v = 0; v < VIEW_COUNT; v++) {
            a.view = (View)v;
            app_handle_key(&a, 'g');
            do {
                app_render(&a, &c);
            } while (app_handle_key(&a, 'n') && a.eng[MODE_CACHE].pos < engine_total_ops(&a.eng[MODE_CACHE]) &&
                     app_engine(&a)->pos < engine_total_ops(app_engine(&a)));
        }
        canvas_free(&c);
    }
    app_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_screens),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_titles),
        cmocka_unit_test(test_all_sizes_and_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
