/* test_panel_ops_title: the Operations panel says which steps of each mode
 * its cumulative numbers sum, at every size it draws them, in English and
 * Chinese. Plain decode: both modes steps 0..k. --speculate: cache steps
 * 0..k, recompute steps 0..j, one recompute step per token emitted so far.
 * --chunk: recompute has nothing to sum before the last chunk, and its step
 * indices lag the cache's after it.
 *
 * The truth comes from the cache engine's plan (tokens its steps emitted),
 * never from panel_recompute_steps(). What the panel claims is read back
 * from the drawn text: the cumulative group's title, the cumulative column
 * heads of a tall box, the Σ rows' labels of a short one. Every claim must
 * be true, and each mode whose cumulative numbers are on screen needs one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/dump_parse.h"
#include "tests/panel_fixture.h"

#include "ui/app.h"
#include "ui/panels/panels.h"

#define MODEL "kvsim", "--model", "models/default.kvsim"
#define PLAIN_ARGS MODEL, "--prompt", "the cat sat", "--gen", "12"
#define SPEC_ARGS MODEL, "--prompt", "the cat sat on the mat. the cat sat", "--gen", "10", "--speculate", "4"
#define CHUNK_ARGS MODEL, "--prompt", "the cat sat on the mat", "--gen", "4", "--chunk", "3"

/* a range's last step, or: */
enum { NONE = -1, MISSING = -2 };

/* The panel's rects in the 80x24, 120x40 and 200x60 layouts, and others
 * from the narrowest box the panel serves to a wide one; heights for a
 * short box, a tall one without the group-title line, and one with it. */
static const int k_widths[] = {160, 122, 99, 86, 74, 64, 58, 56};
static const int k_heights[] = {14, 13, 11, 7, 6};

/* What the runs went through, to show the checks were exercised. */
typedef struct {
    int drawn, differ, none, title, head, label, dashes;
} Seen;

/* The steps cache step k's cumulative numbers sum, per mode: cache 0..k,
 * recompute 0..*rl (NONE: nothing yet). Recompute step j emits generated
 * token j, so it has run one step per token the cache emitted through step
 * k. At a step end that is the plan's emitted counts; mid-step (the pick
 * not yet run) the next step's first token says it. */
static void truth(const Engine *c, int k, bool at_end, int *cl, int *rl)
{
    int toks = k + 1;   /* without a plan every step emits one token */
    if (c->planned) {
        const int next = k + 1 < c->n_steps ? engine_plan(c, k + 1)->tok0 - c->L : c->G;
        if (at_end) {
            toks = 0;
            for (int i = 0; i <= k; i++) toks += engine_plan(c, i)->emitted;
            assert_int_equal(toks, next);
        } else {
            toks = next;
        }
    }
    *cl = k;
    *rl = toks > 0 ? toks - 1 : NONE;
}

static bool starts(const char *p, const char *end, const char *s)
{
    const size_t n = strlen(s);
    return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* The digits at p (p < end) as a number, or -1. */
static int digits_at(const char *p, const char *end)
{
    if (p >= end || *p < '0' || *p > '9') return -1;
    int v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    return v;
}

/* The first step range stated in [p, end): "0–N" is N; "#N", "step 0",
 * "第 0 步" and "第0步" name one step; "none", "尚无" and "暂无" say there
 * is none. MISSING when nothing is stated. */
static int first_range(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (starts(p, end, "0\u2013") && digits_at(p + 4, end) >= 0) return digits_at(p + 4, end);
        if (*p == '#' && digits_at(p + 1, end) >= 0) return digits_at(p + 1, end);
        if (starts(p, end, "step 0") || starts(p, end, "\u7b2c 0 \u6b65") || starts(p, end, "\u7b2c0\u6b65"))
            return 0;
        if (starts(p, end, "none") || starts(p, end, "\u5c1a\u65e0") || starts(p, end, "\u6682\u65e0")) return NONE;
    }
    return MISSING;
}

/* The range stated after word w in [p, end), or MISSING (also without w). */
static int range_after(const char *p, const char *end, const char *w)
{
    for (; p < end; p++)
        if (starts(p, end, w)) return first_range(p + strlen(w), end);
    return MISSING;
}

/* One claim about a mode's range: MISSING says nothing; else it must be the truth. */
static void claim(int said, int want, const char *what, const char *mode, const char *ctx, const char *d)
{
    if (said != MISSING && said != want)
        fail_msg("%s: the %s says %s sums to step %d, it sums to %d (-1: none)\n%s", ctx, what, mode, said, want, d);
}

/* Line y of a dump, as [*b, *e). */
static bool dump_line(const char *d, int y, const char **b, const char **e)
{
    for (int i = 0; i < y && d; i++) d = strchr(d, '\n') ? strchr(d, '\n') + 1 : NULL;
    if (!d || !*d) return false;
    *b = d;
    *e = strchr(d, '\n') ? strchr(d, '\n') : d + strlen(d);
    return true;
}

/* The cumulative group's title on the title line [b, e): its text pieces
 * are split by rules and runs of spaces; the step group's title is the one
 * with row counts ("n="), the ratios' the one with "÷". Returns how many
 * titles were left (0 or 1), the one in [*tb, *te). */
static int cum_title(const char *b, const char *e, const char **tb, const char **te)
{
    int n = 0;
    const char *p = b + 3;   /* past "│" */
    while (p < e) {
        while (p < e && (*p == ' ' || starts(p, e, "\u2500"))) p += *p == ' ' ? 1 : 3;
        const char *q = p;
        while (q < e && !starts(q, e, "\u2500") && !starts(q, e, "  ") && !starts(q, e, "\u2502")) q++;
        if (q > p) {
            bool step = false, ratio = false;
            for (const char *r = p; r < q; r++) {
                step |= starts(r, q, "n=");
                ratio |= starts(r, q, "\u00f7");
            }
            while (q > p && q[-1] == ' ') q--;   /* a title's own trailing space */
            if (!step && !ratio) *tb = p, *te = q, n++;
        }
        if (starts(q, e, "\u2502")) break;
        p = q;
    }
    return n;
}

/* Whether [p, end) holds w. */
static bool has(const char *p, const char *end, const char *w)
{
    for (; p < end; p++)
        if (starts(p, end, w)) return true;
    return false;
}

/* Line y of the canvas as UTF-8 in buf, and the column of each byte in xs
 * (the right half of a wide character has no byte of its own). */
static void cells_text(const Canvas *cv, int y, char *buf, int *xs, size_t n)
{
    size_t o = 0;
    for (int x = 0; x < cv->w; x++) {
        const int32_t cp = canvas_at(cv, x, y)->cp;
        if (cp == 0) continue;
        char u[8];
        const int k = cp < 0x80 ? snprintf(u, sizeof u, "%c", (char)cp)
                    : cp < 0x800 ? snprintf(u, sizeof u, "%c%c", 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F))
                                 : snprintf(u, sizeof u, "%c%c%c", 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F),
                                            0x80 | (cp & 0x3F));
        for (int i = 0; i < k && o + 1 < n; i++) xs[o] = x, buf[o++] = u[i];
    }
    buf[o] = '\0';
}

/* Recompute's cumulative cells are all "–": in a short box every number
 * of its Σ row, in a tall one the total row's cell under the "recomp Σ"
 * head (right-aligned to the head's right end; a blank column has no marks). */
static bool recomp_dashes(const Canvas *cv, bool zh, bool tall)
{
    char buf[1024];
    int xs[1024];
    /* its label or head: 重算Σ, 重算累计 (a tall head), 重算 累计 (a long label) */
    const char *labs[3] = {zh ? "\u91cd\u7b97\u03a3" : "recomp \u03a3", zh ? "\u91cd\u7b97\u7d2f\u8ba1" : NULL,
                           zh ? "\u91cd\u7b97 \u7d2f\u8ba1" : NULL};
    int row_y = -1, end_x = -1;
    for (int y = 1; y < cv->h; y++) {
        cells_text(cv, y, buf, xs, sizeof buf);
        const char *p = NULL;
        size_t len = 0;
        for (int i = 0; i < 3 && !p; i++)
            if (labs[i] && (p = strstr(buf, labs[i])) != NULL) len = strlen(labs[i]);
        if (!tall && p && p == buf + 3) row_y = y;   /* the row's label, after the border */
        if (tall && p && end_x < 0) end_x = xs[p - buf + (long)len];   /* the column after the head */
        if (tall && strncmp(buf + 3, zh ? "\u5408\u8ba1" : "total", zh ? 6 : 5) == 0) row_y = y;   /* 合计 */
    }
    if (row_y < 0) return false;
    if (tall) return end_x > 0 && canvas_at(cv, end_x - 1, row_y)->cp == 0x2013;
    cells_text(cv, row_y, buf, xs, sizeof buf);
    uint64_t nums[16];
    double ratios[4];
    int nr, dashes = 0;
    const int n = dump_row_numbers(buf, 3, true, nums, 16, ratios, &nr);
    for (int i = 0; i < n; i++) dashes += nums[i] == UINT64_MAX;
    return n > 0 && dashes == n;
}

/* One drawing of the panel, cache step k (truth cl, rl): each mode whose
 * cumulative numbers are on screen has its steps stated, and truly. */
static void check_panel(const Canvas *cv, const char *d, bool zh, int cl, int rl, const char *ctx, Seen *seen)
{
    const bool rows_fit = cv->h - 2 >= 5;   /* a short box's heading and its four rows */
    const char *cw = zh ? "\u7f13\u5b58" : "cache", *rw = zh ? "\u91cd\u7b97" : "recomp";   /* 缓存 重算 */
    const char *corner = zh ? "\u7b2c " : "step ";                                        /* 第 k 步 */
    const char *b, *e;
    int head_y = -1;
    for (int y = 1; y < 4 && dump_line(d, y, &b, &e); y++)
        if (starts(b + 3, e, corner)) {
            head_y = y;
            break;
        }
    if (head_y < 0) return;   /* no table drawn */
    dump_line(d, head_y, &b, &e);
    bool tall = false;
    for (const char *p = b; p < e; p++) tall |= starts(p, e, zh ? "\u9884\u6d4b" : "pred");   /* 预测 */
    int said[2] = {MISSING, MISSING}, shown[2] = {0, 0};
    if (tall) {
        /* heads: "cache Σ" / "缓存累计" plain, or with the range after Σ */
        for (int m = 0; m < 2; m++) {
            char plain[32], ranged[32];
            snprintf(plain, sizeof plain, zh ? "%s\u7d2f\u8ba1" : "%s \u03a3", m ? rw : cw);   /* 累计 */
            snprintf(ranged, sizeof ranged, zh ? "%s\u03a3" : "%s \u03a3", m ? rw : cw);
            for (const char *p = b; p < e; p++) {
                if (starts(p, e, plain)) shown[m] = 1;
                if (starts(p, e, ranged)) {
                    shown[m] = 1;
                    const char *q = p + strlen(ranged), *qe = q;
                    while (qe < e && *qe != ' ') qe++;
                    const int r = q < qe ? first_range(q, qe) : MISSING;
                    if (r != MISSING) {
                        claim(r, m ? rl : cl, "column head", m ? "recompute" : "cache", ctx, d);
                        said[m] = r, seen->head++;
                    }
                }
            }
        }
        if (!shown[0] || !shown[1]) fail_msg("%s: no cumulative heads\n%s", ctx, d);
        const char *tb = NULL, *te = NULL;
        if (head_y == 2 && dump_line(d, 1, &b, &e)) {
            const int n = cum_title(b, e, &tb, &te);
            if (n > 1) fail_msg("%s: %d titles that are neither the step's nor the ratios'\n%s", ctx, n, d);
            if (n == 1) {
                /* names both modes, or one range for both */
                int c = range_after(tb, te, cw), r = range_after(tb, te, rw);
                if (!has(tb, te, cw)) c = first_range(tb, te);
                if (!has(tb, te, cw) && !has(tb, te, rw)) r = c;
                const int len = (int)(te - tb);
                if (c == MISSING || r == MISSING)
                    fail_msg("%s: the cumulative title \"%.*s\" does not say which steps of each mode\n%s", ctx,
                             len, tb, d);
                claim(c, cl, "title", "cache", ctx, d);
                claim(r, rl, "title", "recompute", ctx, d);
                said[0] = c, said[1] = r, seen->title++;
            }
        }
    } else {
        /* short: the Σ rows, "cache Σ0–4 ✓ ..." (zh "缓存Σ..." or "缓存 累计...") */
        for (int m = 0; m < 2; m++) {
            const char *lab[3] = {zh ? (m ? "\u91cd\u7b97\u03a3" : "\u7f13\u5b58\u03a3") : m ? "recomp \u03a3" : "cache \u03a3",
                                  zh ? (m ? "\u91cd\u7b97\u7d2f\u8ba1" : "\u7f13\u5b58\u7d2f\u8ba1") : NULL,
                                  zh ? (m ? "\u91cd\u7b97 \u7d2f\u8ba1" : "\u7f13\u5b58 \u7d2f\u8ba1") : NULL};
            const char *row = NULL;
            for (int i = 0; i < 3 && !row; i++)
                if (lab[i]) row = dump_find_row(d, lab[i]);
            if (!row && rows_fit) fail_msg("%s: no %s \u03a3 row\n%s", ctx, m ? "recompute" : "cache", d);
            if (!row) continue;
            shown[m] = 1;
            const char *re = strchr(row, '\n') ? strchr(row, '\n') : row + strlen(row), *le = row + 3;
            while (le < re && !starts(le, re, "  ") && !starts(le, re, "\u2713") && !starts(le, re, "\u2717") &&
                   !starts(le, re, "\u2026"))
                le++;
            const int r = first_range(row + 3, le);
            claim(r, m ? rl : cl, "row label", m ? "recompute" : "cache", ctx, d);
            if (r != MISSING) said[m] = r, seen->label++;
        }
    }
    /* nothing to sum yet: a row or column of "–" says so itself */
    if (rl == NONE && shown[1] && said[1] == MISSING && recomp_dashes(cv, zh, tall)) said[1] = NONE, seen->dashes++;
    for (int m = 0; m < 2; m++)
        if (shown[m] && said[m] == MISSING)
            fail_msg("%s: the %s cumulative numbers are shown, nothing says which steps they sum (%d)\n%s", ctx,
                     m ? "recompute" : "cache", m ? rl : cl, d);
    seen->drawn++;
}

/* Every size at one position of the run. */
static void check_sizes(const App *a, bool zh, int k, bool at_end, const char *what, Seen *seen)
{
    int cl, rl;
    truth(app_engine(a), k, at_end, &cl, &rl);
    seen->differ += rl != cl;
    seen->none += rl == NONE;
    for (size_t i = 0; i < sizeof k_widths / sizeof k_widths[0]; i++)
        for (size_t j = 0; j < sizeof k_heights / sizeof k_heights[0]; j++) {
            Canvas cv;
            fx_draw(panel_ops_draw, a, &cv, k_widths[i], k_heights[j]);
            char *d = canvas_dump(&cv), ctx[96];
            snprintf(ctx, sizeof ctx, "%s %s step %d %s, %dx%d", what, zh ? "zh" : "en", k,
                     at_end ? "end" : "mid", k_widths[i], k_heights[j]);
            check_panel(&cv, d, zh, cl, rl, ctx, seen);
            free(d);
            canvas_free(&cv);
        }
}

/* Before the run, then every step mid-way and at its end. */
static void check_run(App *a, bool zh, const char *what, Seen *seen)
{
    const Engine *c = app_engine(a);
    check_sizes(a, zh, 0, false, what, seen);
    for (int k = 0; k < c->n_steps; k++) {
        fx_seek_op(a, k, OP_SCORES, 0);
        check_sizes(a, zh, k, false, what, seen);
        fx_seek_op(a, k, OP_APPEND, -1);
        check_sizes(a, zh, k, true, what, seen);
    }
}

/* The App of the test running, freed by the teardown also after a failure
 * (the fixture holds one model file at a time). */
static App *g_app;

static int app_teardown(void **state)
{
    (void)state;
    if (g_app) fx_app_del(g_app);
    g_app = NULL;
    return 0;
}

static void run_one(App *a, bool zh, const char *what, Seen *s)
{
    g_app = a;
    check_run(a, zh, what, s);
    app_teardown(NULL);
}

static void test_plain_decode(void **state)
{
    (void)state;
    for (int zh = 0; zh < 2; zh++) {
        Seen s = {0};
        run_one(zh ? FX_APP(PLAIN_ARGS, "--lang", "zh") : FX_APP(PLAIN_ARGS), zh, "plain", &s);
        assert_int_equal(s.differ, 0);
        assert_true(s.title > 0 && s.label > 0 && s.drawn > 0);
    }
}

static void test_speculate(void **state)
{
    (void)state;
    for (int zh = 0; zh < 2; zh++) {
        Seen s = {0};
        run_one(zh ? FX_APP(SPEC_ARGS, "--lang", "zh") : FX_APP(SPEC_ARGS), zh, "speculate", &s);
        assert_true(s.differ > 0);   /* the run has verify steps that emit several tokens */
        assert_true(s.title > 0 && s.label > 0);
    }
}

static void test_chunk(void **state)
{
    (void)state;
    for (int zh = 0; zh < 2; zh++) {
        Seen s = {0};
        run_one(zh ? FX_APP(CHUNK_ARGS, "--lang", "zh") : FX_APP(CHUNK_ARGS), zh, "chunk", &s);
        assert_true(s.none > 0 && s.differ > s.none);   /* early chunks, then lagging indices */
        assert_true(s.title > 0 && s.label > 0 && s.dashes > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_plain_decode, app_teardown),
        cmocka_unit_test_teardown(test_speculate, app_teardown),
        cmocka_unit_test_teardown(test_chunk, app_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
