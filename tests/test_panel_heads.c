/* Tests for the all-heads overview (ui/panels/heads.c) and the "heads in
 * words" rule (probe_head_pattern, ui/panels/probe.c) on constructed
 * attention rows: which position is named, the threshold, the priority of
 * induction over previous-token, and that the pipeline sentence and the
 * strips' tags say what the rule says. */
#include "tests/panel_fixture.h"

#include "ui/panels/probe.h"

#include <math.h>

/* tokens "a b c a b c a" as ids */
static const int toks[] = {1, 2, 3, 1, 2, 3, 1};

static void test_rule_induction(void **state)
{
    (void)state;
    /* query i = 6 (token 1); earlier copies of token 1 at 0 and 3: induction
     * targets 1 and 4 */
    float w[7] = {0.05f, 0.05f, 0.05f, 0.05f, 0.7f, 0.05f, 0.05f};
    HeadPattern p = probe_head_pattern(w, toks, 6);
    assert_int_equal(p.kind, HEAD_INDUCTION);
    assert_int_equal(p.target, 4);
    assert_int_equal(p.source, 3);
    assert_true(fabs(p.weight - 0.7) < 1e-6);
    /* the other copy */
    float w2[7] = {0.05f, 0.6f, 0.05f, 0.05f, 0.1f, 0.1f, 0.05f};
    p = probe_head_pattern(w2, toks, 6);
    assert_int_equal(p.kind, HEAD_INDUCTION);
    assert_int_equal(p.target, 1);
    assert_int_equal(p.source, 0);
    /* at the threshold counts, just under does not */
    float w3[7] = {0.1f, 0.1f, 0.1f, 0.1f, (float)PROBE_HEAD_MIN, 0.05f, 0.05f};
    assert_int_equal(probe_head_pattern(w3, toks, 6).kind, HEAD_INDUCTION);
    w3[4] = nextafterf((float)PROBE_HEAD_MIN, 0.0f);
    assert_int_equal(probe_head_pattern(w3, toks, 6).kind, HEAD_NONE);
    /* weight on a position after a DIFFERENT token: not induction */
    float w4[7] = {0.05f, 0.05f, 0.7f, 0.05f, 0.05f, 0.05f, 0.05f};
    assert_int_equal(probe_head_pattern(w4, toks, 6).kind, HEAD_NONE);
}

static void test_rule_previous(void **state)
{
    (void)state;
    float w[7] = {0.02f, 0.02f, 0.02f, 0.02f, 0.02f, 0.8f, 0.1f};
    HeadPattern p = probe_head_pattern(w, toks, 6);
    assert_int_equal(p.kind, HEAD_PREVIOUS);
    assert_int_equal(p.target, 5);
    assert_int_equal(p.source, -1);
    /* self-attention is neither */
    float w2[7] = {0, 0, 0, 0, 0, 0.1f, 0.9f};
    assert_int_equal(probe_head_pattern(w2, toks, 6).kind, HEAD_NONE);
    /* i = 0 has no previous position; a uniform row is nothing */
    float one[1] = {1.0f};
    assert_int_equal(probe_head_pattern(one, toks, 0).kind, HEAD_NONE);
    float u[7];
    for (int j = 0; j < 7; j++) u[j] = 1.0f / 7.0f;
    assert_int_equal(probe_head_pattern(u, toks, 6).kind, HEAD_NONE);
}

/* j + 1 = i - 1 (the token two back equals the query's) is the previous
 * position: named previous-token, never induction. */
static void test_rule_overlap(void **state)
{
    (void)state;
    const int t2[] = {5, 1, 9, 1};   /* i = 3: tokens[1] == tokens[3], j + 1 = 2 = i - 1 */
    float w[4] = {0.1f, 0.1f, 0.7f, 0.1f};
    HeadPattern p = probe_head_pattern(w, t2, 3);
    assert_int_equal(p.kind, HEAD_PREVIOUS);
    assert_int_equal(p.target, 2);
}

/* Put a constructed row into the engine's weights of (layer, head) for the
 * last query row (the test's own copy of the run: panels only read it). */
static void plant(App *a, int l, int h, const float *w)
{
    Engine *e = &a->run.eng[app_primary_mode(a)];
    float *row = (float *)engine_att_row(e, l, h, e->n - 1);
    memcpy(row, w, sizeof(float) * (size_t)e->t);
}

static void test_sentence_and_tags(void **state)
{
    (void)state;
    /* "abcab": the query 'b' at 4; the earlier 'b' is at 1, so an induction
     * head looks at 2 ('c') */
    App *a = FX_APP("kvsim", "--d-model", "8", "--prompt", "abcab", "--gen", "2");
    fx_seek_op(a, 0, OP_SOFTMAX, 1);
    const float ind[5] = {0.05f, 0.05f, 0.8f, 0.05f, 0.05f};
    const float flat[5] = {0.2f, 0.2f, 0.2f, 0.2f, 0.2f};
    plant(a, 1, 0, ind);
    plant(a, 1, 1, flat);
    Canvas c;
    fx_draw(panel_pipeline_draw, a, &c, 160, 5);
    assert_true(fx_has(&c, "Head 1.0 looks back at position 2, the token after the earlier 'b'"));
    assert_true(fx_has(&c, "induction head"));
    canvas_free(&c);
    fx_draw(panel_heads_draw, a, &c, 60, 14);
    assert_true(fx_has(&c, "ind\u21922"));
    canvas_free(&c);
    /* previous-token: head 1.1 on position 3 */
    const float prev[5] = {0.05f, 0.05f, 0.05f, 0.8f, 0.05f};
    plant(a, 1, 0, flat);
    plant(a, 1, 1, prev);
    fx_draw(panel_pipeline_draw, a, &c, 160, 5);
    assert_true(fx_has(&c, "Head 1.1 looks at the previous position 3"));
    canvas_free(&c);
    fx_app_del(a);
    a = FX_APP("kvsim", "--d-model", "8", "--prompt", "abcab", "--gen", "2", "--lang", "zh");
    fx_seek_op(a, 0, OP_SOFTMAX, 1);
    plant(a, 1, 0, ind);
    plant(a, 1, 1, flat);
    fx_draw(panel_pipeline_draw, a, &c, 160, 5);
    assert_true(fx_has(&c, "头 1.0 回看第 2 位"));
    assert_true(fx_has(&c, "归纳头"));
    canvas_free(&c);
    fx_draw(panel_heads_draw, a, &c, 60, 14);
    assert_true(fx_has(&c, "全部头"));
    assert_true(fx_has(&c, "归纳\u21922"));
    canvas_free(&c);
    fx_app_del(a);
}

/* The strips: one per layer × head, each cell the shade of its weight on
 * the legend's absolute scale, layers not yet run this step dotted. */
static void test_strips(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--heads", "2", "--layers", "2");
    fx_seek_op(a, 2, OP_SOFTMAX, 0);   /* decode step 2: layer 0 done, layer 1 not */
    const Engine *e = app_engine(a);
    Canvas c;
    fx_draw(panel_heads_draw, a, &c, 60, 16);
    int found = 0;
    for (int y = 1; y < 15; y++) {
        const char *line = fx_line(&c, y);
        int l, h;
        if (sscanf(line, "\u2502L%d H%d", &l, &h) != 2) continue;
        found++;
        const float *w = engine_att_row(e, l, h, e->n - 1);
        for (int j = 0; j < e->t; j++) {
            const int32_t cp = canvas_at(&c, 1 + 6 + j * 2, y)->cp;
            if (l == 1) {
                assert_int_equal(cp, 0x00B7);   /* · not yet */
                continue;
            }
            const double v = w[j];
            const int32_t want = v >= 0.75 ? 0x2588 : v * 4.0 / 3.0 * 3.0 >= 2.0 ? 0x2593
                               : v * 4.0 >= 1.0 ? 0x2592 : v > 0.0 ? 0x2591 : ' ';
            assert_int_equal(cp, want);
        }
        const HeadPattern p = probe_engine_head(e, l, h);
        if (l == 0) assert_true((strstr(line, "prev") != NULL) == (p.kind == HEAD_PREVIOUS));
        else assert_non_null(strstr(line, "not yet"));
    }
    assert_int_equal(found, 4);
    assert_true(fx_has(&c, "\u2265.75"));   /* the legend */
    canvas_free(&c);
    fx_app_del(a);
}

/* The key header (panel_key_header, shared with the attention heat map):
 * a sign among narrow keys is quoted in the gaps ('.'); two quoted keys
 * side by side would share a quote, so the keys are numbered by position
 * ("pos" in the corner); never a bare digit or sign. */
static void test_key_header(void **state)
{
    (void)state;
    static const struct { const char *prompt, *want; } runs[] = {
        {"a.b c", "a'.'b ␣ c"},
        {"x=1+2", "pos   0 1 2 3 4"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        App *a = FX_APP("kvsim", "--d-model", "8", "--prompt", runs[i].prompt);
        fx_seek_op(a, 0, OP_SOFTMAX, 1);
        Canvas c;
        fx_draw(panel_heads_draw, a, &c, 60, 14);
        if (!strstr(fx_line(&c, 1), runs[i].want)) fail_msg("'%s' not in '%s'", runs[i].want, fx_line(&c, 1));
        canvas_free(&c);
        fx_app_del(a);
    }
}

/* Any rect, any cursor, the trained model too: never outside the rect. */
static void test_any_size(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--model", "models/default.kvsim", "--prompt", "the cat sat on the mat. the cat", "--gen", "2");
    Canvas c;
    assert_int_equal(canvas_init(&c, 60, 20), 0);
    const Engine *e = app_engine(a);
    for (long p = 0; p <= engine_total_ops(e); p += 3) {
        run_seek(&a->run, MODE_CACHE, p);
        for (int w = 0; w < 40; w += 4)
            for (int h = 0; h < 14; h += 3) fx_draw_inside(panel_heads_draw, a, e, &c, w, h);
    }
    canvas_free(&c);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_induction),
        cmocka_unit_test(test_rule_previous),
        cmocka_unit_test(test_rule_overlap),
        cmocka_unit_test(test_sentence_and_tags),
        cmocka_unit_test(test_strips),
        cmocka_unit_test(test_key_header),
        cmocka_unit_test(test_any_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
