/* test_panel_ops_pair: the Operations panel under --speculate and --chunk,
 * where one cache step and one recompute step no longer emit the same
 * tokens. The recompute "step" columns must be the recompute steps that
 * emit the tokens the cache step on screen emits (a verify step: 1 +
 * accepted of them; an early chunk: none), summed from the engines'
 * per-step counters, predicted by the closed forms of those steps, and
 * judged ✓ only once every one of them has run.
 *
 * The spans are derived here from the cache engine's plan (tokens emitted
 * before the step), not from panel_recompute_steps(), and the predictions
 * from formulas_step(), not from the panel's helper.
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

#include "sim/counts.h"
#include "sim/formulas.h"
#include "ui/app.h"
#include "ui/panels/panels.h"

#define SPEC_ARGS "kvsim", "--model", "models/default.kvsim", "--prompt", "the cat sat on the mat. the cat sat", "--gen", "10", "--speculate", "4"
#define CHUNK_ARGS "kvsim", "--model", "models/default.kvsim", "--prompt", "the cat sat on the mat", "--gen", "4", "--chunk", "3"

#define CHECK 0x2713
#define CROSS 0x2717
#define ELLIPSIS 0x2026

/* Wide enough for exact numbers and every optional column. */
enum { W = 170, H = 14 };

/* The recompute steps [*j0, *j1) that emit what cache step k emits: the
 * tokens emitted by the steps before it, and by it (an early chunk emits
 * none). Recompute step j emits generated token j. Step k must have run
 * (a plan's emitted is known once its pick ran). */
static void span_of(const Engine *c, int k, int *j0, int *j1)
{
    assert_true(run_steps_done(c, c->pos) > k);
    int before = 0;
    for (int i = 0; i < k; i++) before += engine_plan(c, i)->emitted;
    const StepPlan *p = engine_plan(c, k);
    *j0 = before;
    *j1 = before + p->emitted;
}

static uint64_t measured(const Engine *e, int j0, int j1)
{
    uint64_t s = 0;
    for (int j = j0; j < j1; j++) {
        const OpCounts *d = engine_step_counts(e, j);
        assert_non_null(d);
        s += counts_total(d);
    }
    return s;
}

static uint64_t predicted(const Engine *e, int j0, int j1)
{
    uint64_t s = 0;
    for (int j = j0; j < j1; j++) {
        OpCounts o;
        formulas_step(&e->cfg, e->mode, e->L, j, &o);
        s += counts_total(&o);
    }
    return s;
}

/* The "total" row of the tall table: cache, pred, recomp, pred, cache Σ,
 * pred, recomp Σ, pred, then the two ratios. */
static void total_row(const char *d, uint64_t nums[8], double ratios[2], int *nr)
{
    const char *row = dump_find_row(d, "total");
    if (!row) fail_msg("no total row in\n%s", d);
    const int n = dump_row_numbers(row, 3 + strlen("total"), true, nums, 8, ratios, nr);
    if (n != 8) fail_msg("%d numbers on the total row, want 8\n%s", n, d);
}

/* At every step end the recompute columns are the sums of its paired
 * steps' counters and closed forms; the cumulative ones run through the
 * span's last step; the spans tile the recompute run; the header names a
 * span that is not the cache step's own index; the ratios are of the
 * numbers shown. */
static void check_step_ends(App *a, bool chunked)
{
    const Engine *c = app_engine(a), *r = app_engine_of(a, MODE_RECOMPUTE);
    int next = 0, multi = 0, renamed = 0, empty = 0;
    uint64_t ccum = 0;
    for (int k = 0; k < c->n_steps; k++) {
        fx_seek_op(a, k, OP_APPEND, -1);
        int j0, j1;
        span_of(c, k, &j0, &j1);
        assert_int_equal(j0, next);   /* the spans tile recompute's steps */
        next = j1;
        ccum += counts_total(engine_step_counts(c, k));
        Canvas cv;
        fx_draw(panel_ops_draw, a, &cv, W, H);
        char *d = canvas_dump(&cv);
        uint64_t nums[8];
        double ratios[2];
        int nr;
        total_row(d, nums, ratios, &nr);
        assert_int_equal(nums[0], counts_total(engine_step_counts(c, k)));
        assert_int_equal(nums[1], nums[0]);   /* its own closed form: ✓ counted below */
        assert_int_equal(nums[4], ccum);
        if (j1 == j0) {   /* an early chunk: no recompute step, nothing to show */
            assert_true(chunked);
            static const int rcols[4] = {2, 3, 6, 7};
            for (int i = 0; i < 4; i++) assert_true(nums[rcols[i]] == UINT64_MAX);
            assert_true(strstr(d, "until the last chunk") != NULL);
            empty++;
        } else {
            const uint64_t m = measured(r, j0, j1), p = predicted(r, j0, j1);
            if (nums[2] != m || nums[3] != p)
                fail_msg("step %d: recompute step shows %llu / pred %llu, want steps %d-%d: %llu / %llu\n%s", k,
                         (unsigned long long)nums[2], (unsigned long long)nums[3], j0, j1 - 1,
                         (unsigned long long)m, (unsigned long long)p, d);
            assert_int_equal(nums[6], measured(r, 0, j1));
            assert_int_equal(nums[6], counts_total(&r->cum));
            assert_int_equal(nums[7], predicted(r, 0, j1));
            assert_int_equal(nr, 2);
            assert_float_equal(ratios[0], (double)m / (double)nums[0], 0.005);
            assert_float_equal(ratios[1], (double)nums[6] / (double)ccum, 0.005);
            char want[64];
            if (j1 - j0 > 1) {
                snprintf(want, sizeof want, "recomp %d\u2013%d", j0, j1 - 1);
                multi++;
            } else if (j0 != k) {
                snprintf(want, sizeof want, "recomp #%d", j0);
                renamed++;
            } else {
                snprintf(want, sizeof want, "recompute n=%d", r->L + k);
            }
            if (!strstr(d, want)) fail_msg("step %d: no \"%s\" in\n%s", k, want, d);
            assert_int_equal(dump_count_cp(&cv, CHECK), 32);
        }
        assert_int_equal(dump_count_cp(&cv, CROSS), 0);
        assert_int_equal(dump_count_cp(&cv, ELLIPSIS), 0);
        free(d);
        canvas_free(&cv);
    }
    assert_int_equal(next, r->n_steps);   /* every recompute step paired once */
    /* the runs exercise what they are for */
    if (chunked) assert_true(empty > 0 && renamed > 0);
    else assert_true(multi > 0);
}

static void test_speculate_step_ends(void **state)
{
    (void)state;
    App *a = FX_APP(SPEC_ARGS);
    check_step_ends(a, false);
    fx_app_del(a);
}

static void test_chunk_step_ends(void **state)
{
    (void)state;
    App *a = FX_APP(CHUNK_ARGS);
    check_step_ends(a, true);
    fx_app_del(a);
}

/* A verify step that emits several tokens, part way: the recompute engine
 * is in the first of its steps, the rest not run. The recompute column is
 * the running sum (finished steps + the running one so far) beside the
 * whole span's prediction, and nothing is ✓: a partial sum is never shown
 * as a finished measurement, even when the first paired step has ended. */
static void test_verify_step_partly_run(void **state)
{
    (void)state;
    App *a = FX_APP(SPEC_ARGS);
    const Engine *c = app_engine(a), *r = app_engine_of(a, MODE_RECOMPUTE);
    int k = 1, j0 = 0, j1 = 0;
    for (; k < c->n_steps; k++) {
        fx_seek_op(a, k, OP_APPEND, -1);
        span_of(c, k, &j0, &j1);
        if (j1 - j0 > 1) break;
    }
    assert_true(k < c->n_steps);
    const long start = run_step_start(c, k);
    /* mid-layer, then the op before the append: recompute's first paired step has ended */
    const long at[2] = {run_op_pos(c, k, OP_FFN, 0), start + c->ops_per_step - 1};
    for (int i = 0; i < 2; i++) {
        run_seek(&a->run, MODE_CACHE, at[i]);
        assert_int_equal(run_step_of(r, r->pos), j0);
        assert_int_equal(engine_at_step_end(r), i == 1);
        const uint64_t so_far = i == 1 ? counts_total(engine_step_counts(r, j0)) : counts_total(&r->step_counts);
        Canvas cv;
        fx_draw(panel_ops_draw, a, &cv, W, H);
        char *d = canvas_dump(&cv);
        uint64_t nums[8];
        double ratios[2];
        int nr;
        total_row(d, nums, ratios, &nr);
        if (nums[2] != so_far || nums[3] != predicted(r, j0, j1))
            fail_msg("op %ld: recompute shows %llu / pred %llu, want %llu so far of %llu\n%s", at[i],
                     (unsigned long long)nums[2], (unsigned long long)nums[3], (unsigned long long)so_far,
                     (unsigned long long)predicted(r, j0, j1), d);
        assert_int_equal(nums[6], counts_total(&r->cum));
        assert_int_equal(nums[7], predicted(r, 0, j1));
        if (dump_count_cp(&cv, CHECK) != 0) fail_msg("op %ld: a ✓ on a step not finished\n%s", at[i], d);
        assert_int_equal(dump_count_cp(&cv, CROSS), 0);
        assert_true(dump_count_cp(&cv, ELLIPSIS) > 0);
        char want[64];
        snprintf(want, sizeof want, "this step so far (its %d tokens)", j1 - j0);
        if (!strstr(d, want)) fail_msg("op %ld: no \"%s\" in\n%s", at[i], want, d);
        free(d);
        canvas_free(&cv);
        /* the short box (80 columns): the row says which steps, the ratio runs */
        fx_draw(panel_ops_draw, a, &cv, 58, 7);
        d = canvas_dump(&cv);
        snprintf(want, sizeof want, "recomp %d\u2013%d ", j0, j1 - 1);
        const char *row = dump_find_row(d, want);
        if (!row || strncmp(row + 3 + strlen(want) + strspn(row + 3 + strlen(want), " "), "\u2026", 3) != 0)
            fail_msg("op %ld: no row \"%s…\" in\n%s", at[i], want, d);
        assert_int_equal(dump_count_cp(&cv, CHECK), 0);
        if (i == 1 && !strstr(d, "\u00d7\u2026,")) fail_msg("op %ld: the step ratio is not marked running\n%s", at[i], d);
        free(d);
        canvas_free(&cv);
    }
    fx_app_del(a);
}

/* The same in Chinese: the header and the row name the steps. */
static void test_chinese_names_the_steps(void **state)
{
    (void)state;
    App *a = FX_APP(SPEC_ARGS, "--lang", "zh");
    const Engine *c = app_engine(a);
    int k = 1, j0 = 0, j1 = 0;
    for (; k < c->n_steps; k++) {
        fx_seek_op(a, k, OP_APPEND, -1);
        span_of(c, k, &j0, &j1);
        if (j1 - j0 > 1) break;
    }
    assert_true(k < c->n_steps);
    fx_seek_op(a, k, OP_APPEND, -1);
    Canvas cv;
    char want[64];
    fx_draw(panel_ops_draw, a, &cv, 58, 7);
    snprintf(want, sizeof want, "\u91cd\u7b97%d\u2013%d", j0, j1 - 1);   /* 重算2–6 */
    if (!fx_has(&cv, want)) fail_msg("no \"%s\" in\n%s", want, fx_line(&cv, 2));
    canvas_free(&cv);
    fx_draw(panel_ops_draw, a, &cv, W, H);
    snprintf(want, sizeof want, "\u91cd\u7b97\u7b2c %d\u2013%d \u6b65", j0, j1 - 1);   /* 重算第 2–6 步 */
    if (!fx_has(&cv, want)) fail_msg("no \"%s\" in\n%s", want, fx_line(&cv, 1));
    snprintf(want, sizeof want, "\u4ea7\u51fa %d \u4e2a\u8bcd\u5143", j1 - j0);   /* 产出 5 个词元 */
    if (!fx_has(&cv, want)) fail_msg("no \"%s\" on the border", want);
    canvas_free(&cv);
    fx_app_del(a);
}

/* With a plan, at every size down to nothing and at early chunks, verify
 * steps and mid-step, the panel draws inside its rect, in both languages. */
static void test_stays_inside_planned(void **state)
{
    (void)state;
    for (int run = 0; run < 4; run++) {
        App *a = run == 0 ? FX_APP(SPEC_ARGS) : run == 1 ? FX_APP(CHUNK_ARGS)
               : run == 2 ? FX_APP(SPEC_ARGS, "--lang", "zh") : FX_APP(CHUNK_ARGS, "--lang", "zh");
        const Engine *c = app_engine(a);
        Canvas cv;
        assert_int_equal(canvas_init(&cv, 60, 20), 0);
        for (int k = 0; k < c->n_steps; k += 2)
            for (int op = 0; op < 2; op++) {
                if (op) fx_seek_op(a, k, OP_APPEND, -1);
                else fx_seek_op(a, k, OP_SCORES, 0);
                for (int w = 0; w <= 55; w += 5)
                    for (int h = 0; h <= 15; h += 3) fx_draw_inside(panel_ops_draw, a, c, &cv, w, h);
            }
        canvas_free(&cv);
        fx_app_del(a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speculate_step_ends),
        cmocka_unit_test(test_chunk_step_ends),
        cmocka_unit_test(test_verify_step_partly_run),
        cmocka_unit_test(test_chinese_names_the_steps),
        cmocka_unit_test(test_stays_inside_planned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
