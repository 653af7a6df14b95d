/* Tests for ui/panels/chart.c: every point is true and named. A filled
 * glyph is a measured step that has run; a step in progress is not a
 * measurement (its prediction, hollow); the legends give measured values
 * only. (Regressions of the screen audit of 2026-12-02, findings 7, 9, 11.) */
#include "dump_parse.h"
#include "panel_fixture.h"

#include "sim/formulas.h"
#include "ui/cmd/cli.h"
#include "ui/layout.h"

#define FILLED_C 0x25CF   /* ● */
#define FILLED_R 0x25B2   /* ▲ */
#define HOLLOW_C 0x25CB   /* ○ */
#define HOLLOW_R 0x25B3   /* △ */

/* Cells [x0, x1) of row y as UTF-8 (static buffer): a box's border text. */
static const char *row_text(const Canvas *c, int x0, int x1, int y)
{
    static char buf[1024];
    int n = 0;
    for (int x = x0; x < x1 && n < (int)sizeof buf - 5; x++) {
        const CanvasCell *cell = canvas_at(c, x, y);
        const uint32_t cp = cell && cell->cp > 0 ? (uint32_t)cell->cp : 0;
        if (cp == 0) continue;   /* the right half of a wide glyph */
        if (cp < 0x80) {
            buf[n++] = (char)cp;
        } else if (cp < 0x800) {
            buf[n++] = (char)(0xC0 | cp >> 6);
            buf[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            buf[n++] = (char)(0xE0 | cp >> 12);
            buf[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
            buf[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    buf[n] = '\0';
    return buf;
}

/* The plot's current-step column: the ┴ tick on its x axis (-1: none),
 * and that axis' row. */
static int marker_col(const Canvas *c, int *axis_y)
{
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++)
            if (canvas_at(c, x, y)->cp == 0x2534) {
                *axis_y = y;
                return x;
            }
    return -1;
}

/* Filled glyphs of the plot (rows 2 .. axis-1, under the legend) in
 * columns [x0, x1). */
static int filled_in(const Canvas *c, int x0, int x1, int axis_y)
{
    int n = 0;
    for (int y = 2; y < axis_y; y++)
        for (int x = x0; x < x1; x++) {
            const int32_t cp = canvas_at(c, x, y)->cp;
            n += cp == FILLED_C || cp == FILLED_R;
        }
    return n;
}

/* Move the cache engine (and the rest with it) to the end of its step k. */
static void cache_to_step_end(App *a, int k)
{
    const Engine *c = app_engine_of(a, MODE_CACHE);
    run_seek(&a->run, MODE_CACHE, run_step_start(c, k + 1));
}

/* Finding 9: at operation 1 (embed) of step 2 the per-step chart drew step
 * 2 as a measured point of value 0 (●/▲ on the 0 line) and the legend said
 * "● cache 0 ▲ recompute 0". Now: filled glyphs for steps 0 and 1 only,
 * the legend gives step 1's measured MACs, and step 2 shows as predicted. */
static void test_step_in_progress_is_not_measured(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--mode", "compare");
    fx_seek_op(a, 2, OP_EMBED, -1);
    Canvas c;
    fx_draw(panel_chart_step_draw, a, &c, 70, 13);
    /* step 0 costs the same in both modes: one ● there covers its ▲ */
    assert_int_equal(dump_count_cp(&c, FILLED_C), 1 + 2);   /* the legend + steps 0 and 1 */
    assert_int_equal(dump_count_cp(&c, FILLED_R), 1 + 1);   /* the legend + step 1 */
    assert_true(dump_count_cp(&c, HOLLOW_C) >= 6);           /* steps 2-7 predicted */
    char want[64], v[2][32];
    const Engine *ce = app_engine_of(a, MODE_CACHE), *re = app_engine_of(a, MODE_RECOMPUTE);
    snprintf(want, sizeof want, "cache %s  ", fmt_short(counts_total(engine_step_counts(ce, 1)), v[0]));
    if (!fx_has(&c, want)) fail_msg("'%s' not in the legend '%s'", want, fx_line(&c, 1));
    snprintf(want, sizeof want, "recompute %s", fmt_short(counts_total(engine_step_counts(re, 1)), v[1]));
    if (!fx_has(&c, want)) fail_msg("'%s' not in the legend '%s'", want, fx_line(&c, 1));
    assert_false(fx_has(&c, "cache 0 "));
    canvas_free(&c);

    /* before any step finished: no value in the legend, nothing filled but it */
    run_seek(&a->run, MODE_CACHE, 3);
    fx_draw(panel_chart_step_draw, a, &c, 70, 13);
    assert_int_equal(dump_count_cp(&c, FILLED_C), 1);
    assert_int_equal(dump_count_cp(&c, FILLED_R), 1);
    assert_false(fx_has(&c, "cache 0"));
    assert_false(fx_has(&c, "recompute 0"));
    canvas_free(&c);

    /* the same in presenter mode's wide box */
    fx_app_del(a);
    a = FX_APP("kvsim", "--present");
    fx_seek_op(a, 2, OP_EMBED, -1);
    fx_draw(panel_chart_step_draw, a, &c, 60, 14);
    assert_false(fx_has(&c, "cache 0 "));
    assert_false(fx_has(&c, "recompute 0 "));
    assert_int_equal(dump_count_cp(&c, FILLED_C), 1 + 2);
    canvas_free(&c);
    fx_app_del(a);
}

/* Finding 7, --chunk: the charts put each mode at its own step index, so
 * at the last chunk (cache step 2) the cumulative chart compared the
 * cache's 288k with recompute's PREDICTED step 2 (~962k, hollow), against
 * the Operations panel's 1.02x. Now x is the cache step, recompute's point
 * sits at the cache step that emits the same token: at the marker a
 * measured ▲ (recompute's step 0), nothing measured right of it, and the
 * axis says "cache step". */
static void test_chunk_pairs_steps(void **state)
{
    (void)state;
    App *a = FX_TRAINED_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--chunk", "4");
    const Engine *ce = app_engine_of(a, MODE_CACHE), *re = app_engine_of(a, MODE_RECOMPUTE);
    assert_int_equal(ce->n_chunks, 3);
    /* the bars after chunk 1: recompute has not run, no ratio (not 0.00x) */
    cache_to_step_end(a, 1);
    Canvas bars;
    fx_draw(panel_chart_draw, a, &bars, 22, 7);
    if (fx_has(&bars, "0.00") || !fx_has(&bars, "\u25B2/\u25CF \u2013")) fail_msg("%s", canvas_dump(&bars));
    canvas_free(&bars);
    cache_to_step_end(a, 2);
    assert_int_equal(re->pos, re->ops_per_step);   /* the lockstep: recompute's step 0 done */
    PanelDraw draws[2] = {panel_chart_draw, panel_chart_step_draw};
    for (int i = 0; i < 2; i++) {
        Canvas c;
        fx_draw(draws[i], a, &c, 40, 13);
        int ay = 0;
        const int mx = marker_col(&c, &ay);
        assert_true(mx > 0);
        int r_at = 0;
        for (int y = 2; y < ay; y++) r_at += canvas_at(&c, mx, y)->cp == FILLED_R;
        if (r_at != 1) fail_msg("chart %d: no measured recompute point at the marker:\n%s", i, canvas_dump(&c));
        assert_int_equal(filled_in(&c, mx + 1, c.w, ay), 0);
        /* the legend's ▲ and the border's △, then one per token: chunks 0
         * and 1 emit none, so no recompute point there */
        assert_int_equal(dump_count_cp(&c, FILLED_R) + dump_count_cp(&c, HOLLOW_R), 2 + (ce->n_steps - 2));
        assert_true(fx_has(&c, "cache step 2"));
        canvas_free(&c);
    }
    /* the per-step legend: the last chunk against recompute's step 0 */
    Canvas c;
    fx_draw(panel_chart_step_draw, a, &c, 70, 13);
    char want[64], v[32];
    snprintf(want, sizeof want, "recompute %s", fmt_short(counts_total(engine_step_counts(re, 0)), v));
    if (!fx_has(&c, want)) fail_msg("'%s' not in '%s'", want, fx_line(&c, 1));
    canvas_free(&c);
    fx_trained_app_del(a);

    /* without --chunk the axis is plain steps */
    a = FX_APP("kvsim");
    cache_to_step_end(a, 2);
    fx_draw(panel_chart_draw, a, &c, 40, 13);
    assert_false(fx_has(&c, "cache step"));
    assert_true(fx_has(&c, "step 2"));
    canvas_free(&c);
    fx_app_del(a);
}

/* Finding 7, --speculate: the cache run takes fewer steps than recompute
 * (5 against 10 here); the charts ran the axis to 9, drew ten filled ●
 * at the end and filled ▲ right of the marker. Now the axis runs over the
 * cache's steps, filled points are the steps run, and each ▲ is the
 * recompute steps that emit the tokens of that cache step. */
static void test_speculate_pairs_steps(void **state)
{
    (void)state;
    App *a = FX_TRAINED_APP("kvsim", "--prompt", "the cat sat on the mat. the cat sat", "--gen", "10", "--speculate", "4");
    const Engine *ce = app_engine_of(a, MODE_CACHE), *re = app_engine_of(a, MODE_RECOMPUTE);
    const int n = ce->n_steps;
    assert_true(n < re->n_steps);
    char last[16];
    snprintf(last, sizeof last, "%d", n - 1);
    for (int k = 1; k < n; k++) {
        cache_to_step_end(a, k);
        Canvas c;
        fx_draw(panel_chart_draw, a, &c, 40, 13);
        int ay = 0;
        const int mx = marker_col(&c, &ay);
        assert_true(mx > 0);
        if (filled_in(&c, mx + 1, c.w, ay) != 0)
            fail_msg("step %d: a measured point right of the marker:\n%s", k, canvas_dump(&c));
        /* cache: the legend and steps 0..k (▲ may share a cell with ● only at step 0) */
        assert_int_equal(dump_count_cp(&c, FILLED_C), 1 + k + 1);
        assert_true(strstr(row_text(&c, 0, c.w, ay + 1), last) != NULL);
        assert_null(strstr(row_text(&c, 0, c.w, ay + 1), "9"));
        canvas_free(&c);
    }
    /* at the end: each x holds the recompute steps of the same tokens,
     * so the sum over x is recompute's whole run */
    uint64_t sum = 0;
    for (int k = 0; k < n; k++) {
        int j0, j1;
        panel_recompute_steps(ce, k, &j0, &j1);
        assert_true(j1 > j0);
        if (k > 0) {
            int p0, p1;
            panel_recompute_steps(ce, k - 1, &p0, &p1);
            assert_int_equal(j0, p1);
        }
        for (int j = j0; j < j1; j++) sum += counts_total(engine_step_counts(re, j));
    }
    assert_int_equal(sum, counts_total(&re->cum));
    fx_trained_app_del(a);
}

/* Finding 7: after two chunks the Operations status line said "nothing run
 * yet: pred = what step 0 will cost"; the cache has run, recompute waits
 * for the last chunk. */
static void test_ops_status_after_chunks(void **state)
{
    (void)state;
    App *a = FX_TRAINED_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--chunk", "4");
    cache_to_step_end(a, 1);
    Canvas c;
    fx_draw(panel_ops_draw, a, &c, 74, 14);
    if (fx_has(&c, "nothing run yet")) fail_msg("%s", canvas_dump(&c));
    assert_true(fx_has(&c, "recompute not run yet"));
    canvas_free(&c);
    run_seek(&a->run, MODE_CACHE, 0);
    fx_draw(panel_ops_draw, a, &c, 74, 14);
    assert_true(fx_has(&c, "nothing run yet"));
    canvas_free(&c);
    fx_trained_app_del(a);
}

/* Finding 11: at 120x40 and 200x60 the plots' top line has no room to say
 * what hollow glyphs and ┊ are; the bottom border says it (en and zh). */
static void test_plot_legend(void **state)
{
    (void)state;
    static const char *const sizes[][2] = {{"120", "40"}, {"200", "60"}};
    for (int z = 0; z < 2; z++)
        for (int zh = 0; zh < 2; zh++) {
            App *a = zh ? FX_APP("kvsim", "--lang", "zh") : FX_APP("kvsim");
            const int w = atoi(sizes[z][0]), h = atoi(sizes[z][1]);
            cache_to_step_end(a, 1);
            Canvas c;
            assert_int_equal(canvas_init(&c, w, h), 0);
            app_render(a, &c);
            Layout lo;
            layout_app(a, w, h, &lo);
            const Rect boxes[2] = {lo.chart, lo.chart_step};
            for (int b = 0; b < 2; b++) {
                const Rect r = boxes[b];
                assert_true(r.w > 0 && r.h >= 9);
                const char *bottom = row_text(&c, r.x, r.x + r.w, r.y + r.h - 1);
                if (!strstr(bottom, "\u25CB\u25B3 ") || !strstr(bottom, zh ? "\u9884\u6d4b" : "pred") ||
                    !strstr(bottom, "\u250A "))
                    fail_msg("%dx%d %s box %d: no legend in '%s'", w, h, zh ? "zh" : "en", b, bottom);
                /* inside the box: the corners stay */
                assert_int_equal(canvas_at(&c, r.x + r.w - 1, r.y + r.h - 1)->cp, 0x2518);
                assert_int_equal(canvas_at(&c, r.x, r.y + r.h - 1)->cp, 0x2514);
            }
            canvas_free(&c);
            fx_app_del(a);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_in_progress_is_not_measured),
        cmocka_unit_test(test_chunk_pairs_steps),
        cmocka_unit_test(test_speculate_pairs_steps),
        cmocka_unit_test(test_ops_status_after_chunks),
        cmocka_unit_test(test_plot_legend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
