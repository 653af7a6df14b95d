/* Tests for ui/panels/pool.c, the KV blocks panel of the memory view: in a
 * short box a batch keeps one row per sequence with the step each one is
 * in (a long prompt's chunk beside a short one's decode step) before the
 * how-to lines; a tall box shows those lines and the totals; the panel
 * never draws outside its rect. */
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

/* A batch of a 22-token prompt in chunks of 8 and a 2-token one, paging
 * off, after batch step 1: the long one is in its second chunk, the short
 * one in its first decode step. */
static App *batch_after_step1(void)
{
    App *a = FX_APP("kvsim", "--d-model", "8", "--seed", "42", "--chunk", "8", "--prompt", "the cat sat on the mat",
                    "--prompt", "hi", "--gen", "4", "--mode", "memory");
    run_seek(&a->run, MODE_CACHE, run_step_start(app_engine_of(a, MODE_CACHE), 2));
    return a;
}

static void test_short_box_keeps_the_sequences(void **state)
{
    (void)state;
    App *a = batch_after_step1();
    Canvas c;
    fx_draw(panel_pool_draw, a, &c, 80, 5);   /* 3 inner rows: header and two sequences */
    assert_true(fx_has(&c, "chunk 2/3"));
    assert_true(fx_has(&c, "decode 1"));
    assert_true(fx_has(&c, "\"hi\""));
    assert_false(fx_has(&c, "Turn it on"));
    canvas_free(&c);
    fx_draw(panel_pool_draw, a, &c, 80, 12);  /* room for everything */
    assert_true(fx_has(&c, "Paging is off"));
    assert_true(fx_has(&c, "Turn it on"));
    assert_true(fx_has(&c, "\u03a3 all"));
    assert_true(fx_has(&c, "chunk 2/3") && fx_has(&c, "decode 1"));
    canvas_free(&c);
    fx_app_del(a);
}

static void test_one_sequence_keeps_the_hint(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--prompt", "the cat sat", "--mode", "memory");
    run_seek(&a->run, MODE_CACHE, run_step_start(app_engine_of(a, MODE_CACHE), 1));
    Canvas c;
    fx_draw(panel_pool_draw, a, &c, 80, 5);
    assert_true(fx_has(&c, "Paging is off"));
    canvas_free(&c);
    fx_app_del(a);
}

static void test_stays_in_its_box(void **state)
{
    (void)state;
    App *a = batch_after_step1();
    Canvas c;
    assert_int_equal(canvas_init(&c, 60, 20), 0);
    for (int w = 0; w <= 50; w += 5)
        for (int h = 0; h <= 12; h++) fx_draw_inside(panel_pool_draw, a, app_engine(a), &c, w, h);
    canvas_free(&c);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_box_keeps_the_sequences),
        cmocka_unit_test(test_one_sequence_keeps_the_hint),
        cmocka_unit_test(test_stays_in_its_box),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
