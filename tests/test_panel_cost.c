/* test_panel_cost: the Cost panel names each step by what it is and gives
 * the order of growth of that step's own rows n and length t (spec §2,
 * §4, §6.7, §6.9): a whole-prompt prefill (n = t = i) is O(i·d² + i²·d),
 * a one-row decode step O(d² + i·d), a chunk or a verify step
 * O(n·d² + n·t·d), every recompute step O(i·d² + i²·d). The expected
 * n and t come from the spec's tables, not from the panel's code. */
#include "tests/panel_fixture.h"

#include "sim/run.h"

#define WHOLE "O(i\u00b7d\u00b2 + i\u00b2\u00b7d)"
#define ONE "O(d\u00b2 + i\u00b7d)"
#define BLOCK "O(n\u00b7d\u00b2 + n\u00b7t\u00b7d)"

/* The cache engine at the end of step k, the Cost panel drawn 200×16. */
static void draw_at(App *a, int k, Canvas *c)
{
    const Engine *e = app_engine_of(a, MODE_CACHE);
    run_seek(&a->run, MODE_CACHE, run_step_start(e, k + 1));
    assert_int_equal(canvas_init(c, 200, 16), 0);
    panel_cost_draw(a, app_engine(a), c, (Rect){0, 0, 200, 16});
}

static void expect(const Canvas *c, const char *run, int k, const char *want)
{
    if (!fx_has(c, want)) {
        char *dump = canvas_dump(c);
        fail_msg("%s, step %d: '%s' not in the Cost panel:\n%s", run, k, want, dump);
    }
}

/* Without --chunk or --speculate: step 0 is the prefill of all L rows,
 * the rest one-row decode steps; recompute runs L + k rows at step k. */
static void test_cost_plain_steps(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "hello", "--gen", "4");
    const int L = 5;
    for (int k = 0; k < 4; k++) {
        Canvas c;
        draw_at(a, k, &c);
        char want[200];
        if (k == 0) snprintf(want, sizeof want, "cache step 0 (prefill), i = %d, " WHOLE ":", L);
        else snprintf(want, sizeof want, "cache step %d (decode), i = %d, " ONE ":", k, L + k);
        expect(&c, "--prompt hello", k, want);
        snprintf(want, sizeof want, "recompute step %d, i = %d, " WHOLE ":", k, L + k);
        expect(&c, "--prompt hello", k, want);
        if (k == 0 && fx_has(&c, ONE)) fail_msg("the prefill is labelled with the decode order %s", ONE);
        canvas_free(&c);
    }
    fx_app_del(a);
    a = FX_APP("kvsim", "--prompt", "hello", "--gen", "4", "--lang", "zh");
    for (int k = 0; k < 2; k++) {
        Canvas c;
        draw_at(a, k, &c);
        expect(&c, "--lang zh", k,
               k == 0 ? "\u7f13\u5b58 \u7b2c 0 \u6b65\uff08\u9884\u586b\u5145\uff09\uff0ci = 5\uff0c" WHOLE "\uff1a"
                      : "\u7f13\u5b58 \u7b2c 1 \u6b65\uff08\u89e3\u7801\uff09\uff0ci = 6\uff0c" ONE "\uff1a");
        canvas_free(&c);
    }
    fx_app_del(a);
}

/* --chunk C (§6.7): chunk j has n = min(C, L − j·C) rows and t = the
 * prompt rows done after it; decode after the last chunk. */
static void test_cost_chunk_steps(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "3", "--chunk", "4");
    const int L = 11, C = 4, chunks = 3;
    const Engine *e = app_engine_of(a, MODE_CACHE);
    assert_int_equal(e->n_steps, chunks + 3 - 1);
    for (int k = 0; k < e->n_steps; k++) {
        Canvas c;
        draw_at(a, k, &c);
        char want[200];
        if (k < chunks) {
            const int n = L - k * C < C ? L - k * C : C, t = k * C + n;
            snprintf(want, sizeof want, "cache step %d (prefill chunk %d of %d), n = %d, t = %d, " BLOCK, k, k + 1, chunks, n,
                     t);
        } else {
            snprintf(want, sizeof want, "cache step %d (decode), i = %d, " ONE, k, L + k - chunks + 1);
        }
        expect(&c, "--chunk 4", k, want);
        canvas_free(&c);
    }
    fx_app_del(a);
}

/* --speculate K (§6.9): a verify step of k drafts runs n = 1 + k rows
 * from the last emitted token; t = positions held after it. */
static void test_cost_verify_steps(void **state)
{
    (void)state;
    App *a = FX_TRAINED_APP("kvsim", "--prompt", "abcabcab", "--gen", "6", "--speculate", "3");
    const Engine *e = app_engine_of(a, MODE_CACHE);
    int verified = 0;
    for (int k = 0; k < e->n_steps; k++) {
        const StepPlan *p = engine_plan(e, k);
        assert_non_null(p);
        Canvas c;
        draw_at(a, k, &c);
        char want[200];
        if (k == 0) snprintf(want, sizeof want, "cache step 0 (prefill), i = 8, " WHOLE);
        else if (p->drafted == 0) snprintf(want, sizeof want, "cache step %d (decode), i = %d, " ONE, k, p->tok0);
        else {
            /* held before: tok0 tokens, the last not yet in the cache */
            snprintf(want, sizeof want, "cache step %d (verify, %d draft%s), n = %d, t = %d, " BLOCK, k, p->drafted,
                     p->drafted == 1 ? "" : "s", 1 + p->drafted, p->tok0 + p->drafted);
            verified++;
        }
        expect(&c, "--speculate 3", k, want);
        canvas_free(&c);
    }
    assert_true(verified > 0);   /* the run has a verify step to label */
    fx_trained_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_plain_steps),
        cmocka_unit_test(test_cost_chunk_steps),
        cmocka_unit_test(test_cost_verify_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
