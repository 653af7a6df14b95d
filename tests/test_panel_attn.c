/* Tests for ui/panels/mask.c and ui/panels/attention.c: the mask grid's
 * cells per row and phase (counted against the closed forms t(t-1)/2,
 * t(t+1)/2, t-1), the attention bars against the engine's weights, titles
 * in both languages, and that neither panel ever draws outside its rect.
 * Layout facts the tests rely on (documented in the panels): the mask's
 * key header is the first inner line and query row p the line below it
 * plus p when the whole grid fits. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/panel_fixture.h"

#include "ui/app.h"
#include "ui/panels/panels.h"
#include "ui/style.h"

#define CP_MASKED 0x00D7   /* × */
#define CP_PENDING 0x00B7  /* · */
#define CP_REDONE 0x21BB   /* ↻ */
#define CP_CHECK 0x2713    /* ✓ */

/* ---- fixtures (the App: tests/panel_fixture.h) ----------------------------- */

/* Run e to just after operation (kind, layer) of step k. */
static void seek_op(Engine *e, int k, OpKind kind, int layer)
{
    engine_seek(e, (long)k * e->ops_per_step);
    for (;;) {
        assert_true(engine_next_op(e));
        OpRef r = engine_current_op(e);
        if (r.kind == kind && r.layer == layer) return;
    }
}

static void steps(Engine *e, int k)
{
    engine_seek(e, 0);
    for (int i = 0; i < k; i++) assert_true(engine_next_step(e));
}

static int32_t cp_at(const Canvas *c, int x, int y)
{
    const CanvasCell *k = canvas_at(c, x, y);
    assert_non_null(k);
    return k->cp;
}

static bool is_shade(int32_t cp)
{
    return cp == 0x2591 || cp == 0x2592 || cp == 0x2593 || cp == 0x2588;
}

/* Cells on line y, x in [x0, x1), equal to cp (cp < 0: any shade). */
static int count_line(const Canvas *c, int y, int x0, int x1, int32_t cp)
{
    int n = 0;
    for (int x = x0; x < x1; x++) {
        int32_t got = cp_at(c, x, y);
        n += cp < 0 ? is_shade(got) : got == cp;
    }
    return n;
}

/* First grid line of a mask panel drawn at (0, 0, w, h): under the key
 * header, and under the K/V line when there is one (cache mode). */
static int grid_top(const Canvas *c)
{
    return cp_at(c, 1, 2) == 'K' && cp_at(c, 2, 2) == '/' && cp_at(c, 3, 2) == 'V' ? 3 : 2;
}
#define G(c) grid_top(c)

/* Same over the mask grid's t rows of a panel drawn at (0, 0, w, h). */
static int count_grid(const Canvas *c, int t, int32_t cp)
{
    int n = 0;
    for (int p = 0; p < t; p++) n += count_line(c, grid_top(c) + p, 1, c->w - 1, cp);
    return n;
}

/* Column of the first shade on line y (the grid's first cell in a row
 * whose every cell is a weight). */
static int first_shade(const Canvas *c, int y)
{
    for (int x = 1; x < c->w - 1; x++)
        if (is_shade(cp_at(c, x, y))) return x;
    fail_msg("no shade on line %d", y);
    return -1;
}

/* Line of the live query row (the one with → after its label). */
static int live_line(const Canvas *c)
{
    for (int y = 1; y < c->h - 1; y++)
        for (int x = 1; x < 5; x++)
            if (cp_at(c, x, y) == 0x2192) return y;
    fail_msg("no live row");
    return -1;
}

/* Non-blank cells of grid row line y (after the label, marker and gap). */
static int inked(const Canvas *c, int y, int lab)
{
    int n = 0;
    for (int x = 1 + lab; x < c->w - 1; x++) n += cp_at(c, x, y) != ' ';
    return n;
}

static char *draw_mask(const App *a, const Engine *e, Canvas *c)
{
    canvas_clear(c);
    panel_mask_draw(a, e, c, (Rect){0, 0, c->w, c->h});
    return canvas_dump(c);
}

static char *draw_att(const App *a, const Engine *e, Canvas *c)
{
    canvas_clear(c);
    panel_attention_draw(a, e, c, (Rect){0, 0, c->w, c->h});
    return canvas_dump(c);
}

/* Numbers "d.dd" ending a line inside the box (the attention bars'
 * values), top to bottom. Returns how many were found. */
static int parse_weights(const Canvas *c, double *out, int cap)
{
    int n = 0;
    for (int y = 1; y < c->h - 1 && n < cap; y++) {
        char line[512];
        int len = 0;
        for (int x = 1; x < c->w - 1 && len < 511; x++) {
            int32_t cp = cp_at(c, x, y);
            line[len++] = cp > 0 && cp < 0x80 ? (char)cp : '?';
        }
        while (len > 0 && line[len - 1] == ' ') len--;
        line[len] = '\0';
        const char *w = strrchr(line, ' ');
        double v;
        int used = 0;
        if (w && w[2] == '.' && sscanf(w + 1, "%lf%n", &v, &used) == 1 && used == 4) out[n++] = v;
    }
    return n;
}

static void sort_desc(float *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int m = i; m > 0 && v[m - 1] < v[m]; m--) {
            float tmp = v[m];
            v[m] = v[m - 1];
            v[m - 1] = tmp;
        }
}

/* ---- causal mask --------------------------------------------------------- */

static void test_mask_before_start(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);
    char *d = draw_mask(a, &a->run.eng[MODE_CACHE], &c);
    assert_non_null(strstr(d, "Causal mask L0 H0"));
    assert_non_null(strstr(d, "press \u2192 to start"));
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

static void test_mask_prefill(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);
    const int t = 4;

    /* embedded, nothing masked yet: every cell of this step is pending */
    seek_op(e, 0, OP_EMBED, -1);
    free(draw_mask(a, e, &c));
    assert_int_equal(count_grid(&c, t, CP_PENDING), t * t);
    assert_int_equal(count_grid(&c, t, CP_MASKED), 0);

    /* layer 0 masked, not softmaxed: visible cells marked kept */
    seek_op(e, 0, OP_MASK, 0);
    free(draw_mask(a, e, &c));
    assert_int_equal(count_grid(&c, t, CP_MASKED), t * (t - 1) / 2);
    assert_int_equal(count_grid(&c, t, CP_CHECK), t * (t + 1) / 2);
    a->layer = 1;   /* layer 1 has not reached its mask */
    free(draw_mask(a, e, &c));
    assert_int_equal(count_grid(&c, t, CP_PENDING), t * t);
    a->layer = 0;

    /* the whole step: row p sees p+1 keys, the other t-1-p are masked */
    steps(e, 1);
    char *d = draw_mask(a, e, &c);
    for (int p = 0; p < t; p++) {
        assert_int_equal(count_line(&c, G(&c) + p, 1, c.w - 1, -1), p + 1);
        assert_int_equal(count_line(&c, G(&c) + p, 1, c.w - 1, CP_MASKED), t - 1 - p);
    }
    assert_int_equal(count_grid(&c, t, CP_MASKED), t * (t - 1) / 2);
    assert_int_equal(count_grid(&c, t, -1), t * (t + 1) / 2);
    assert_int_equal(count_grid(&c, t, CP_REDONE), 0);
    assert_int_equal(cp_at(&c, 1, G(&c) + t - 1), 'd');   /* query labels, current row last */
    /* a tall box: the K/V line says every column's K/V is appended */
    assert_int_equal(G(&c), 3);
    assert_int_equal(count_line(&c, 2, 4, c.w - 1, '+'), t);
    assert_non_null(strstr(d, "masked"));              /* legend */
    assert_null(strstr(d, "\u00b7 cache"));            /* mode only in the compare view */
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

/* A decode step computes one row. The cache supplies the K/V of the key
 * columns, not rows: earlier rows stay blank, the K/V line marks t-1
 * columns read from the cache and one appended; nothing says "reused". */
static void test_mask_decode(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);

    /* decode step 1, before its mask: the new row pending, earlier rows blank */
    seek_op(e, 1, OP_QKV, 0);
    int t = e->t;
    assert_int_equal(t, 5);
    free(draw_mask(a, e, &c));
    assert_int_equal(G(&c), 3);
    assert_int_equal(count_line(&c, G(&c) + t - 1, 1, c.w - 1, CP_PENDING), t);
    for (int p = 0; p < t - 1; p++) assert_int_equal(inked(&c, G(&c) + p, 3), 0);

    for (int k = 1; k <= 2; k++) {
        steps(e, k + 1);
        t = e->t;
        char *d = draw_mask(a, e, &c);
        const int y = G(&c) + t - 1;   /* the one new row: every key visible */
        assert_int_equal(count_line(&c, y, 1, c.w - 1, CP_MASKED), 0);
        assert_int_equal(count_line(&c, y, 1, c.w - 1, -1), t);
        for (int p = 0; p < t - 1; p++) assert_int_equal(inked(&c, G(&c) + p, 3), 0);
        /* K/V line: the appended column under the newest key, cache marks
         * (━, or the words over them) under the t-1 others */
        const int x0 = first_shade(&c, y);
        assert_int_equal(count_line(&c, 2, 1, c.w - 1, '+'), 1);
        assert_int_equal(cp_at(&c, x0 + 2 * (t - 1), 2), '+');
        for (int j = 0; j < t - 1; j++) assert_true(cp_at(&c, x0 + 2 * j, 2) != ' ');
        assert_non_null(strstr(d, "K/V read from cache"));
        assert_non_null(strstr(d, "appended"));
        assert_non_null(strstr(d, "not computed this step"));
        assert_null(strstr(d, "reused"));
        assert_int_equal(count_grid(&c, t, '='), 0);
        free(d);
    }
    canvas_free(&c);
    fx_app_del(a);
}

/* With a window the K/V line leaves the evicted columns blank, the new row
 * marks them '-', and the attention panel lists them once, not as −∞ rows. */
static void test_mask_window_decode(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcdefgh", "--gen", "4", "--window", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 16), 0);
    steps(e, 3);   /* decode step 2: t = 10, keys 7..9 in the window */
    const int t = e->t;
    assert_int_equal(t, 10);
    assert_int_equal(e->k_lo, 7);
    free(draw_mask(a, e, &c));
    const int y = live_line(&c);
    assert_int_equal(count_line(&c, y, 1, c.w - 1, '-'), 7);
    assert_int_equal(count_line(&c, y, 1, c.w - 1, -1), 3);
    const int x0 = first_shade(&c, y) - 2 * 7;   /* the first shade is key 7 */
    for (int j = 0; j < 7; j++) assert_int_equal(cp_at(&c, x0 + 2 * j, 2), ' ');
    assert_int_equal(cp_at(&c, x0 + 2 * 9, 2), '+');
    assert_true(cp_at(&c, x0 + 2 * 7, 2) != ' ');

    char *d = draw_att(a, e, &c);
    assert_non_null(strstr(d, "0\u20136 evicted (not in cache)"));
    assert_null(strstr(d, "\u2212\u221e"));   /* no −∞ line */
    double w[16];
    assert_int_equal(parse_weights(&c, w, 16), 3);
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

/* The live attention row stands out (STYLE_CHANGED) right after its
 * layer's mask or softmax ran, in the mask and the attention panel; one
 * operation later nothing is marked as changed. */
static void test_live_row_highlighted(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);
    seek_op(e, 1, OP_SOFTMAX, 0);
    for (int panel = 0; panel < 2; panel++) {
        free(panel ? draw_att(a, e, &c) : draw_mask(a, e, &c));
        int changed = 0;
        for (int i = 0; i < c.w * c.h; i++) changed += c.cells[i].style == STYLE_CHANGED;
        assert_true(changed >= e->t);   /* every key of the live row */
    }
    assert_true(engine_next_op(e));   /* ·V */
    for (int panel = 0; panel < 2; panel++) {
        free(panel ? draw_att(a, e, &c) : draw_mask(a, e, &c));
        for (int i = 0; i < c.w * c.h; i++) assert_int_not_equal(c.cells[i].style, STYLE_CHANGED);
    }
    canvas_free(&c);
    fx_app_del(a);
}

static void test_mask_recompute(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3", "--mode", "recompute");
    Engine *e = &a->run.eng[MODE_RECOMPUTE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);

    steps(e, 1);   /* step 0 is a plain prefill: nothing redone */
    free(draw_mask(a, e, &c));
    assert_int_equal(count_grid(&c, 4, CP_REDONE), 0);

    for (int k = 1; k <= 2; k++) {
        steps(e, k + 1);
        const int t = e->t;
        char *d = draw_mask(a, e, &c);
        assert_int_equal(count_grid(&c, t, CP_REDONE), t - 1);
        assert_int_equal(count_line(&c, G(&c) + t - 1, 1, c.w - 1, CP_REDONE), 0);
        assert_int_equal(count_grid(&c, t, CP_MASKED), t * (t - 1) / 2);
        assert_int_equal(count_grid(&c, t, -1), t * (t + 1) / 2);
        assert_non_null(strstr(d, "redone"));
        free(d);
    }
    canvas_free(&c);
    fx_app_del(a);
}

static void test_mask_ascii(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3", "--ascii");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);
    canvas_set_ascii(&c, true);
    steps(e, 1);
    char *d = draw_mask(a, e, &c);
    int shades = 0;
    for (int p = 0; p < 4; p++)
        for (int x = 1; x < c.w - 1; x++) {
            int32_t cp = cp_at(&c, x, G(&c) + p);
            assert_true(cp < 0x80);   /* every drawing glyph is ASCII */
            shades += cp == '.' || cp == ':' || cp == '#' || cp == '@';
        }
    assert_int_equal(shades, 10);
    assert_int_equal(count_grid(&c, 4, 'x'), 6);
    free(d);
    steps(e, 2);
    free(draw_mask(a, e, &c));
    assert_int_equal(count_grid(&c, 4, '='), 0);    /* rows 0..3 not computed: blank */
    assert_int_equal(count_line(&c, 2, 1, c.w - 1, '+'), 1);
    for (int x = 1; x < c.w - 1; x++) assert_true(cp_at(&c, x, 2) < 0x80);
    canvas_free(&c);
    fx_app_del(a);
}

/* A grid taller than the box shows the newest rows and says which. */
static void test_mask_scrolls_to_current_row(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcdefghijklmnopqr", "--gen", "2");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 24, 8), 0);
    steps(e, 1);
    char *d = draw_mask(a, e, &c);
    assert_non_null(strstr(d, "rows 14\u201317 of 18"));   /* positions, 0-based */
    /* last grid line: the current query 'r', its row fully visible */
    int last = -1;
    for (int y = 1; y < c.h - 1; y++)
        if (cp_at(&c, 1, y) == 'r') last = y;
    assert_true(last > 1);
    assert_int_equal(count_line(&c, last, 1, c.w - 1, -1), 18);
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

static void test_mask_titles(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3", "--mode", "compare");
    Canvas c;
    assert_int_equal(canvas_init(&c, 60, 14), 0);
    a->layer = 1;
    a->head = 1;
    char *d = draw_mask(a, &a->run.eng[MODE_CACHE], &c);
    assert_non_null(strstr(d, "Causal mask L1 H1 \u00b7 cache"));
    free(d);
    d = draw_mask(a, &a->run.eng[MODE_RECOMPUTE], &c);
    assert_non_null(strstr(d, "Causal mask L1 H1 \u00b7 recompute"));
    free(d);
    fx_app_del(a);

    a = FX_APP("kvsim", "--prompt", "我们学习", "--gen", "3", "--mode", "compare", "--lang", "zh");
    steps(&a->run.eng[MODE_CACHE], 2);
    d = draw_mask(a, &a->run.eng[MODE_CACHE], &c);
    assert_non_null(strstr(d, "因果掩码"));
    assert_non_null(strstr(d, "缓存"));
    assert_non_null(strstr(d, "K/V 读自缓存"));
    assert_null(strstr(d, "复用"));
    /* wide tokens: one header line (double-width cells), the grid still has
     * 5 rows, the last with 5 visible cells */
    assert_int_equal(G(&c), 3);
    assert_int_equal(count_line(&c, G(&c) + 4, 1, c.w - 1, -1), 5);
    assert_int_equal(count_grid(&c, 4, '='), 0);
    free(d);
    d = draw_mask(a, &a->run.eng[MODE_RECOMPUTE], &c);
    assert_non_null(strstr(d, "重算"));
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

/* ---- attention ----------------------------------------------------------- */

/* The bars of the current row: one value per key, equal to the engine's
 * weights to 2 decimals, summing to 1. */
static void check_bars(const App *a, const Engine *e, Canvas *c)
{
    char *d = draw_att(a, e, c);
    double w[64];
    const int t = e->t;
    int n = parse_weights(c, w, 64);
    assert_int_equal(n, t);
    const float *row = engine_att_row(e, a->layer, a->head, e->n - 1);
    double sum = 0.0;
    for (int j = 0; j < t; j++) {
        assert_true(fabs(w[j] - (double)row[j]) <= 0.005 + 1e-6);
        sum += w[j];
    }
    assert_true(fabs(sum - 1.0) <= 0.005 * t);
    assert_non_null(strstr(d, "Attention L"));
    free(d);
}

static void test_attention_bars(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);
    Engine *e = &a->run.eng[MODE_CACHE];
    steps(e, 1);
    check_bars(a, e, &c);
    a->layer = 1;
    a->head = 1;
    check_bars(a, e, &c);
    steps(e, 3);   /* decode, t = 6 */
    check_bars(a, e, &c);
    a->layer = 0;
    e = &a->run.eng[MODE_RECOMPUTE];
    steps(e, 2);
    check_bars(a, e, &c);
    canvas_free(&c);
    fx_app_del(a);
}

/* Shades on lines 2..1+t left of the first digit (the bars' position labels). */
static int heat_shades(const Canvas *c, int t)
{
    int n = 0;
    for (int p = 0; p < t; p++) {
        int x = 1;
        while (x < c->w - 1 && !(cp_at(c, x, 2 + p) >= '0' && cp_at(c, x, 2 + p) <= '9')) x++;
        n += count_line(c, 2 + p, 1, x, -1);
    }
    return n;
}

static void test_attention_states(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 40, 14), 0);
    char *d = draw_att(a, e, &c);
    assert_non_null(strstr(d, "press"));
    free(d);

    seek_op(e, 0, OP_QKV, 0);
    d = draw_att(a, e, &c);
    assert_non_null(strstr(d, "not computed yet"));
    free(d);

    /* raw scores, signed, one per key, equal to the engine's */
    seek_op(e, 0, OP_SCORES, 0);
    d = draw_att(a, e, &c);
    assert_non_null(strstr(d, "scores before softmax"));
    const float *s = engine_scores_row(e, 0, 0, e->n - 1);
    for (int j = 0; j < e->t; j++) {
        char want[16];
        snprintf(want, sizeof want, "%+.2f", (double)s[j]);
        assert_non_null(strstr(d, want));
    }
    free(d);

    seek_op(e, 0, OP_MASK, 0);
    d = draw_att(a, e, &c);
    assert_non_null(strstr(d, "after mask"));
    free(d);

    /* prefill: the n×t heat map sits left of the bars (whose lines start
     * with the key's position), one shade per visible cell */
    steps(e, 1);
    free(draw_att(a, e, &c));
    assert_int_equal(heat_shades(&c, 4), 10);
    steps(e, 2);   /* decode: one row, no heat map */
    free(draw_att(a, e, &c));
    assert_int_equal(heat_shades(&c, 5), 0);
    canvas_free(&c);
    fx_app_del(a);

    a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3", "--lang", "zh");
    assert_int_equal(canvas_init(&c, 40, 14), 0);
    seek_op(&a->run.eng[MODE_CACHE], 0, OP_LN1, 0);
    d = draw_att(a, &a->run.eng[MODE_CACHE], &c);
    assert_non_null(strstr(d, "注意力 L0 H0"));
    assert_non_null(strstr(d, "尚未计算"));
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

/* More keys than lines: the lines go to the largest weights. */
static void test_attention_top_keys(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcdefghijklmnopqr", "--gen", "2");
    Engine *e = &a->run.eng[MODE_CACHE];
    Canvas c;
    assert_int_equal(canvas_init(&c, 28, 8), 0);
    steps(e, 1);
    char *d = draw_att(a, e, &c);
    assert_non_null(strstr(d, "top 5/18"));
    double w[64];
    assert_int_equal(parse_weights(&c, w, 64), 5);
    /* shown values, largest first, are the 5 largest weights */
    float row[64], shown[5];
    memcpy(row, engine_att_row(e, 0, 0, e->n - 1), sizeof(float) * 18);
    sort_desc(row, 18);
    for (int i = 0; i < 5; i++) shown[i] = (float)w[i];
    sort_desc(shown, 5);
    for (int i = 0; i < 5; i++) assert_true(fabs((double)shown[i] - (double)row[i]) <= 0.005 + 1e-6);
    free(d);

    /* raw scores need no bars: two columns of 4, the 8 largest scores */
    seek_op(e, 0, OP_SCORES, 0);
    d = draw_att(a, e, &c);
    assert_non_null(strstr(d, "top 8/18"));
    memcpy(row, engine_scores_row(e, 0, 0, e->n - 1), sizeof(float) * 18);
    sort_desc(row, 18);
    for (int i = 0; i < 8; i++) {
        char want[16];
        snprintf(want, sizeof want, "%+.2f", (double)row[i]);
        assert_non_null(strstr(d, want));
    }
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

/* ---- bounds -------------------------------------------------------------- */

static void check_inside(const Canvas *c, Rect r)
{
    Rect in = rect_intersect(r, (Rect){0, 0, c->w, c->h});
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            bool inside = x >= in.x && x < in.x + in.w && y >= in.y && y < in.y + in.h;
            const CanvasCell *k = canvas_at(c, x, y);
            if (!inside && (k->cp != '%' || k->style != STYLE_ERROR)) fail_msg("drawn outside at %d,%d", x, y);
        }
}

static void bounds_for(App *a)
{
    static const Rect rects[] = {
        {5, 5, 3, 3}, {10, 5, 200, 60}, {0, 0, 0, 0}, {3, 3, 1, 1},
        {2, 2, 2, 2}, {-5, -3, 20, 10}, {210, 65, 30, 30}, {4, 4, 9, 4},
    };
    Canvas c;
    assert_int_equal(canvas_init(&c, 220, 70), 0);
    for (int m = 0; m < MODE_COUNT; m++) {
        Engine *e = &a->run.eng[m];
        a->view = m == MODE_CACHE ? VIEW_COMPARE : m == MODE_RECOMPUTE ? VIEW_RECOMPUTE : VIEW_TRAIN;
        for (long pos = 0; pos <= engine_total_ops(e); pos++) {
            engine_seek(e, pos);
            a->layer = (int)(pos % 2);
            a->head = (int)(pos / 2 % 2);
            canvas_set_ascii(&c, pos % 3 == 0);
            for (size_t i = 0; i < sizeof rects / sizeof rects[0]; i++)
                for (int panel = 0; panel < 2; panel++) {
                    canvas_reset_clip(&c);
                    canvas_fill(&c, (Rect){0, 0, c.w, c.h}, '%', STYLE_ERROR);
                    if (panel) panel_attention_draw(a, e, &c, rects[i]);
                    else panel_mask_draw(a, e, &c, rects[i]);
                    check_inside(&c, rects[i]);
                    assert_int_equal(c.clip.w, c.w);   /* clip given back */
                }
        }
    }
    canvas_free(&c);
}

static void test_never_outside_rect(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    bounds_for(a);
    fx_app_del(a);
    a = FX_APP("kvsim", "--prompt", "我们学习上下", "--gen", "2", "--lang", "zh");
    bounds_for(a);
    fx_app_del(a);
    /* one layer and head: the selection (0..1 above) is clamped */
    a = FX_APP("kvsim", "--prompt", "x", "--gen", "2", "--layers", "1", "--heads", "1");
    bounds_for(a);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_before_start),
        cmocka_unit_test(test_mask_prefill),
        cmocka_unit_test(test_mask_decode),
        cmocka_unit_test(test_mask_window_decode),
        cmocka_unit_test(test_live_row_highlighted),
        cmocka_unit_test(test_mask_recompute),
        cmocka_unit_test(test_mask_ascii),
        cmocka_unit_test(test_mask_scrolls_to_current_row),
        cmocka_unit_test(test_mask_titles),
        cmocka_unit_test(test_attention_bars),
        cmocka_unit_test(test_attention_states),
        cmocka_unit_test(test_attention_top_keys),
        cmocka_unit_test(test_never_outside_rect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
