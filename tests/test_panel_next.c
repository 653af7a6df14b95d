/* Tests for the Next token panel (ui/panels/nexttoken.c), the train view's
 * Loss panel (ui/panels/loss.c), their probe functions (ui/panels/probe.c)
 * and their rects (panels_arrange): the probabilities shown are a softmax
 * of the engine's own logits (checked against a long double softmax here,
 * their sum and order), the marked token is the engine's pick, the mean of
 * the per-position losses is the engine's loss bit for bit. */
#include "tests/panel_fixture.h"

#include "ui/panels/probe.h"

#include <math.h>

/* softmax(z)[i] in long double, the test's own arithmetic */
static long double ref_p(const float *z, int V, int i)
{
    long double m = z[0], s = 0.0L;
    for (int j = 1; j < V; j++)
        if (z[j] > m) m = z[j];
    for (int j = 0; j < V; j++) s += expl((long double)z[j] - m);
    return expl((long double)z[i] - m) / s;
}

static void test_topk_constructed(void **state)
{
    (void)state;
    const float z[6] = {1.0f, 3.0f, 2.0f, 3.0f, -INFINITY, 0.5f};
    ProbeTok t[6];
    assert_int_equal(probe_topk(z, 6, 6, t), 6);
    /* order: by logit, ties by the lower id (the engine's argmax) */
    const int want[6] = {1, 3, 2, 0, 5, 4};
    double sum = 0.0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(t[i].id, want[i]);
        assert_true(fabsl((long double)t[i].p - ref_p(z, 6, t[i].id)) < 1e-12L);
        if (i) assert_true(t[i].p <= t[i - 1].p);
        sum += t[i].p;
    }
    assert_true(fabs(sum - 1.0) < 1e-12);
    assert_true(t[5].p == 0.0);                                   /* −∞ → 0 */
    assert_true(fabs(t[0].p / t[2].p - exp(1.0)) < 1e-12);        /* p_i / p_j = e^(z_i − z_j) */
    assert_int_equal(probe_topk(z, 6, 3, t), 3);
    assert_int_equal(probe_topk(z, 6, 0, t), 0);
    assert_int_equal(probe_topk(z, 0, 3, t), 0);
    assert_int_equal(probe_topk(z, 2, 5, t), 2);                  /* k > V */
}

/* The engine's logits, every token: sum 1, descending, the top one picked. */
static void check_engine_probs(App *a)
{
    fx_seek_op(a, 2, OP_PICK, -1);
    const Engine *e = app_engine(a);
    int pos = -1;
    const float *z = probe_logits(e, &pos);
    assert_non_null(z);
    assert_int_equal(pos, e->t - 1);
    const int V = e->cfg.vocab;
    ProbeTok *t = calloc((size_t)V, sizeof *t);
    assert_non_null(t);
    assert_int_equal(probe_topk(z, V, V, t), V);
    double sum = 0.0;
    for (int i = 0; i < V; i++) {
        sum += t[i].p;
        if (i) assert_true(t[i].p <= t[i - 1].p);
        /* relative: the probe subtracts the maximum in float, as OP_LOSS does;
         * rounding z - max (up to |z - max| ~ 40 on the trained model) costs a
         * few float ulps of relative error in exp, hence 2e-5, not 1e-6 */
        const long double r = ref_p(z, V, t[i].id);
        assert_true(fabsl((long double)t[i].p - r) <= 2e-5L * r + 1e-300L);
        assert_true(t[i].logit == z[t[i].id]);
    }
    assert_true(fabs(sum - 1.0) < 1e-9);
    assert_int_equal(t[0].id, e->picked);
    free(t);
}

static void test_topk_engine_random(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8");
    check_engine_probs(a);
    fx_app_del(a);
}

static void test_topk_engine_trained(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--model", "models/default.kvsim", "--prompt", "the cat sat on the mat. the cat");
    assert_int_equal(app_engine(a)->cfg.vocab, fx_mf.model.cfg.vocab);   /* the file's, not the random model's */
    assert_true(fx_mf.model.cfg.vocab != tokenizer_full_vocab());
    check_engine_probs(a);
    fx_app_del(a);
}

/* The panel shows the top k with the numbers of probe_topk, in order, the
 * pick marked, and nothing before this step's logits. */
static void check_panel(App *a, const char *picked_word)
{
    Canvas c;
    const Engine *e = app_engine(a);
    fx_seek_op(a, 1, OP_PICK, -1);
    fx_draw(panel_next_draw, a, &c, 44, 9);
    int pos;
    const float *z = probe_logits(e, &pos);
    ProbeTok t[7];
    assert_int_equal(probe_topk(z, e->cfg.vocab, 6, t), 6);   /* 9 rows: legend + 6 */
    double shown = 0.0, prev = 2.0;
    for (int i = 0; i < 6; i++) {
        char want[32], tok[16];
        const char *line = fx_line(&c, 2 + i);
        snprintf(want, sizeof want, "%.3f", t[i].p);
        assert_non_null(strstr(line, want));
        assert_non_null(strstr(line, fmt_token_quoted(a, t[i].id, tok)));
        const double v = atof(strstr(line, want));
        assert_true(v <= prev);
        prev = v;
        shown += v;
        assert_true((strstr(line, picked_word) != NULL) == (t[i].id == e->picked));
    }
    assert_true(shown <= 1.0 + 6 * 0.0005);
    canvas_free(&c);
    /* mid-step, before the logits: not computed */
    fx_seek_op(a, 1, OP_QKV, 0);
    fx_draw(panel_next_draw, a, &c, 44, 9);
    assert_true(fx_has(&c, a->opt.lang_zh ? "尚未计算" : "not computed yet"));
    canvas_free(&c);
    /* before the pick: the top one is marked as the top */
    fx_seek_op(a, 1, OP_LOGITS, -1);
    fx_draw(panel_next_draw, a, &c, 44, 9);
    assert_non_null(strstr(fx_line(&c, 2), a->opt.lang_zh ? "最高" : "top"));
    canvas_free(&c);
}

static void test_panel_en_zh(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--lang", "en");
    check_panel(a, "picked");
    Canvas c;
    fx_draw(panel_next_draw, a, &c, 44, 9);
    assert_true(fx_has(&c, "Next token"));
    canvas_free(&c);
    fx_app_del(a);
    a = FX_APP("kvsim", "--d-model", "8", "--lang", "zh");
    check_panel(a, "选中");
    fx_draw(panel_next_draw, a, &c, 44, 9);
    assert_true(fx_has(&c, "下一个词元"));
    canvas_free(&c);
    fx_app_del(a);
    a = FX_APP("kvsim", "--model", "models/default.kvsim", "--lang", "en");
    check_panel(a, "picked");
    fx_app_del(a);
}

/* 80x24 has no room for the panel: the Tokens line names the most
 * probable next tokens with their p (the panel's numbers), from the
 * logits op on; 120x40 shows the panel and the line does not. */
static void test_compact_next(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8");
    Canvas c;
    assert_int_equal(canvas_init(&c, 80, 24), 0);
    fx_seek_op(a, 1, OP_LN_FINAL, -1);
    app_render(a, &c);
    assert_null(strstr(fx_line(&c, 2), "next "));   /* no logits yet this step */
    fx_seek_op(a, 1, OP_LOGITS, -1);
    app_render(a, &c);
    int pos;
    ProbeTok top[1];
    probe_topk(probe_logits(app_engine(a), &pos), a->cfg.vocab, 1, top);
    char tok[16], p[16], want[48];
    snprintf(p, sizeof p, "%.3f", (double)top[0].p);
    snprintf(want, sizeof want, "next %s %s", fmt_token_quoted(a, top[0].id, tok), p + 1);
    if (!strstr(fx_line(&c, 2), want)) fail_msg("'%s' not in '%s'", want, fx_line(&c, 2));
    canvas_free(&c);
    assert_int_equal(canvas_init(&c, 120, 40), 0);
    app_render(a, &c);
    assert_null(strstr(fx_line(&c, 2), "next "));
    assert_true(fx_has(&c, "Next token"));
    canvas_free(&c);
    fx_app_del(a);
}

/* Any rect, any cursor: never outside the rect. */
static void test_panel_any_size(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--gen", "3");
    Canvas c;
    assert_int_equal(canvas_init(&c, 60, 20), 0);
    const Engine *e = app_engine(a);
    for (long p = 0; p <= engine_total_ops(e); p += 5) {
        run_seek(&a->run, MODE_CACHE, p);
        for (int w = 0; w < 30; w += 3)
            for (int h = 0; h < 12; h += 2) {
                fx_draw_inside(panel_next_draw, a, e, &c, w, h);
                fx_draw_inside(panel_loss_draw, a, app_engine_of(a, MODE_TRAIN), &c, w, h);
            }
    }
    canvas_free(&c);
    fx_app_del(a);
}

/* The pick's sentence names the probability the panel shows. */
static void test_pipeline_names_p(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8");
    fx_seek_op(a, 2, OP_PICK, -1);
    const Engine *e = app_engine(a);
    int pos;
    ProbeTok t;
    assert_int_equal(probe_topk(probe_logits(e, &pos), e->cfg.vocab, 1, &t), 1);
    char want[32];
    snprintf(want, sizeof want, "p = %.2f", t.p);
    Canvas c;
    fx_draw(panel_pipeline_draw, a, &c, 120, 5);
    assert_true(fx_has(&c, want));
    canvas_free(&c);
    fx_app_del(a);
}

/* Loss per position: the mean of the lines is the engine's loss, exactly;
 * each line's loss is -ln of its target's probability under the logits. */
static void test_loss(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--mode", "train");
    const Engine *e = app_engine(a);
    assert_int_equal(e->mode, MODE_TRAIN);
    fx_seek_op(a, 0, OP_LOSS, -1);
    double sum = 0.0;
    for (int i = 0; i + 1 < e->L; i++) {
        double p;
        const double l = probe_loss_at(e, i, &p);
        const float *z = e->logits + (size_t)i * (size_t)e->cfg.vocab;
        assert_true(fabsl((long double)p - ref_p(z, e->cfg.vocab, e->tokens[i + 1])) < 1e-9L);
        assert_true(fabs(l + log(p)) < 1e-9);
        sum += l;
    }
    assert_true(sum / (e->L - 1) == e->loss);   /* the same arithmetic, bit for bit */
    assert_true(isnan(probe_loss_at(e, e->L - 1, NULL)));
    Canvas c;
    fx_draw(panel_loss_draw, a, &c, 44, e->L + 3);
    char want[64];
    snprintf(want, sizeof want, "mean of %d = %.3f", e->L - 1, e->loss);
    assert_true(fx_has(&c, want));
    for (int i = 0; i + 1 < e->L; i++) {   /* line 2 + i: position i's numbers */
        double p;
        const double l = probe_loss_at(e, i, &p);
        snprintf(want, sizeof want, "%7.3f %6.2f", p, l);
        assert_non_null(strstr(fx_line(&c, 2 + i), want));
    }
    canvas_free(&c);
    fx_draw(panel_loss_draw, a, &c, 44, 8);   /* too few lines: "… N more", the mean stays */
    assert_true(fx_has(&c, "more"));
    assert_true(fx_has(&c, "mean of"));
    canvas_free(&c);
    fx_seek_op(a, 0, OP_FFN, 1);
    fx_draw(panel_loss_draw, a, &c, 44, 8);
    assert_true(fx_has(&c, "not computed yet"));
    canvas_free(&c);
    fx_app_del(a);
    a = FX_APP("kvsim", "--d-model", "8", "--mode", "train", "--lang", "zh");
    fx_seek_op(a, 0, OP_LOSS, -1);
    fx_draw(panel_loss_draw, a, &c, 44, 16);
    assert_true(fx_has(&c, "每个位置的损失"));
    assert_true(fx_has(&c, "平均"));
    canvas_free(&c);
    fx_app_del(a);
}

/* Where they go: Next token under the KV cache from 17 of its rows; Loss
 * in the train view (all of a short KV cache rect); nothing in lessons'
 * and the memory view's layouts; v and A take their places. */
static void test_arrange(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8");
    Layout lo;
    layout_compute(a->view, -1, 120, 40, &lo);
    const Rect kv = lo.kvcache;
    panels_arrange(a, &lo);
    assert_true(lo.next.h == 8 && lo.next.w == kv.w && lo.next.x == kv.x);
    assert_int_equal(lo.kvcache.h + lo.next.h, kv.h);
    assert_int_equal(lo.next.y, lo.kvcache.y + lo.kvcache.h);
    layout_compute(a->view, -1, 80, 24, &lo);
    panels_arrange(a, &lo);
    assert_int_equal(lo.next.w, 0);
    a->show_heads = true;
    layout_compute(a->view, -1, 120, 40, &lo);
    const Rect at = lo.attention;
    panels_arrange(a, &lo);
    /* the overview as tall as it needs, the attention panel under it */
    assert_true(lo.heads.x == at.x && lo.heads.y == at.y && lo.heads.w == at.w);
    assert_int_equal(lo.heads.h, panel_heads_height(a, at.w));
    assert_true(lo.attention.x == at.x && lo.attention.y == at.y + lo.heads.h && lo.attention.h == at.h - lo.heads.h);
    a->show_vectors = true;
    layout_compute(a->view, -1, 80, 24, &lo);
    const Rect m = lo.mask, o = lo.ops;
    panels_arrange(a, &lo);
    assert_true(lo.mask.w == 0 && lo.kvcache.w == 0 && lo.ops.w == 0 && lo.chart.w == 0 && lo.heads.w == 0);
    assert_true(lo.vectors.x == m.x && lo.vectors.y == m.y && lo.vectors.w == 80 && lo.vectors.y + lo.vectors.h == o.y + o.h);
    /* tall: the inspector as tall as this op's vectors, the middle row under it */
    a->show_heads = false;
    layout_compute(a->view, -1, 200, 60, &lo);
    const Rect m2 = lo.mask, o2 = lo.ops;
    panels_arrange(a, &lo);
    assert_int_equal(lo.vectors.h, panel_vectors_height(a, app_engine(a), 200));
    assert_true(lo.vectors.y == m2.y && lo.mask.y == m2.y + lo.vectors.h && lo.mask.h == m2.h - lo.vectors.h);
    assert_true(lo.ops.w == o2.w && lo.ops.h == o2.h);
    a->show_vectors = a->show_heads = false;
    a->view = VIEW_TRAIN;
    layout_compute(a->view, -1, 80, 24, &lo);
    const Rect kv2 = lo.kvcache;
    panels_arrange(a, &lo);
    assert_true(lo.kvcache.w == 0 && lo.loss.x == kv2.x && lo.loss.h == kv2.h);
    layout_compute(a->view, -1, 200, 60, &lo);
    panels_arrange(a, &lo);
    assert_int_equal(lo.loss.h, a->L + 3);
    a->view = VIEW_MEMORY;
    layout_compute(a->view, -1, 200, 60, &lo);
    const Rect pool = lo.pool;
    panels_arrange(a, &lo);
    assert_true(lo.next.w == 0 && lo.loss.w == 0);
    /* tall memory view: the pool as tall as it needs, the cost and the
     * charts under it in its column, the Operations table full width */
    assert_int_equal(lo.pool.h, panel_pool_height(a, pool.w));
    assert_true(lo.cost.x == pool.x && lo.cost.y == pool.y + lo.pool.h && lo.cost.w == pool.w);
    assert_int_equal(lo.pool.h + lo.cost.h + lo.chart.h, pool.h);
    assert_int_equal(lo.ops.w, 200);
    fx_app_del(a);
}

/* The keys: v and A toggle, and the help lists them. */
static void test_keys(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8");
    assert_true(app_handle_key(a, 'v') & ACTION_REDRAW);
    assert_true(a->show_vectors);
    assert_true(app_handle_key(a, 'A') & ACTION_REDRAW);
    assert_true(a->show_heads);
    app_handle_key(a, 'v');
    app_handle_key(a, 'A');
    assert_false(a->show_vectors || a->show_heads);
    assert_string_equal(a->message, "");   /* shown here: nothing to say */
    /* where the screen cannot show them, a line says where it does */
    a->view = VIEW_MEMORY;
    app_handle_key(a, 'v');
    assert_true(a->show_vectors && strstr(a->message, "not the memory view"));
    app_handle_key(a, 'v');
    assert_false(a->show_vectors);
    a->view = VIEW_COMPARE;
    app_handle_key(a, 'v');
    assert_string_equal(a->message, "");   /* the compare view shows the inspector */
    app_handle_key(a, 'A');
    assert_true(a->show_heads && strstr(a->message, "not the compare view"));
    app_handle_key(a, 'A');
    app_handle_key(a, 'v');
    a->view = VIEW_CACHE;
    app_handle_key(a, '?');
    Canvas c;
    assert_int_equal(canvas_init(&c, 120, 50), 0);
    app_render(a, &c);
    assert_true(fx_has(&c, "vector numbers / all heads"));
    canvas_free(&c);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topk_constructed),
        cmocka_unit_test(test_topk_engine_random),
        cmocka_unit_test(test_topk_engine_trained),
        cmocka_unit_test(test_panel_en_zh),
        cmocka_unit_test(test_panel_any_size),
        cmocka_unit_test(test_compact_next),
        cmocka_unit_test(test_pipeline_names_p),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_arrange),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
