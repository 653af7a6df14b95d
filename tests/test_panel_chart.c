/* Tests for ui/panels/chart.c: every point is true and named. A filled
 * glyph is a measured step that has run; a step in progress is not a
 * measurement (its prediction, hollow); the legends give measured values
 * only. (Regressions of the screen audit of 2026-12-02, findings 7, 9, 11.) */
#include "panel_fixture.h"

#include "sim/formulas.h"
#include "ui/layout.h"

#define FILLED_C 0x25CF   /* ● */
#define FILLED_R 0x25B2   /* ▲ */
#define HOLLOW_C 0x25CB   /* ○ */
#define HOLLOW_R 0x25B3   /* △ */

static int count_cp(const Canvas *c, int32_t cp)
{
    int n = 0;
    for (int i = 0; i < c->w * c->h; i++) n += c->cells[i].cp == cp;
    return n;
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
    assert_int_equal(count_cp(&c, FILLED_C), 1 + 2);   /* the legend + steps 0 and 1 */
    assert_int_equal(count_cp(&c, FILLED_R), 1 + 1);   /* the legend + step 1 */
    assert_true(count_cp(&c, HOLLOW_C) >= 6);           /* steps 2-7 predicted */
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
    assert_int_equal(count_cp(&c, FILLED_C), 1);
    assert_int_equal(count_cp(&c, FILLED_R), 1);
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
    assert_int_equal(count_cp(&c, FILLED_C), 1 + 2);
    canvas_free(&c);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_in_progress_is_not_measured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
