/* Tests for the vector inspector (ui/panels/vectors.c): at every operation
 * of a prefill and a decode step, each number on screen is the engine's
 * own value at its index, rounded to 2 decimals — looked up here by the
 * vector's name through the engine's buffers and accessors (sim/engine.h),
 * not through the panel's list — windows carry their index, and the
 * vectors the issue lists appear at their operations. */
#include "tests/panel_fixture.h"

#include <math.h>

/* The engine's value i of the vector called `name` (the inspector's names). */
static float engine_value(const App *a, const Engine *e, const char *name, int i)
{
    const OpRef op = engine_current_op(e);
    const int d = e->cfg.d_model, dh = config_head_dim(&e->cfg), row = e->n - 1, pos = e->t - 1;
    const int l = op.layer >= 0 ? op.layer : a->layer;
    int hh = -1, ll = -1;
    if (!strcmp(name, "x") || !strcmp(name, "x+=")) return e->x[(size_t)row * d + i];
    if (!strcmp(name, "LN1(x)") || !strcmp(name, "LN2(x)")) return e->a[(size_t)row * d + i];
    if (!strcmp(name, "LNf(x)")) return e->xf[(size_t)row * d + i];
    if (!strcmp(name, "\u00b7Wo") || !strcmp(name, "\u00b7W2")) return e->proj[(size_t)row * d + i];
    if (!strcmp(name, "GELU")) return e->hidden[(size_t)row * e->cfg.d_ff + i];
    if (!strcmp(name, "E[tok]")) return e->model->tok_emb[(size_t)e->tokens[pos] * d + i];
    if (!strcmp(name, "P[pos]")) return e->model->pos_emb[(size_t)pos * d + i];
    if (!strcmp(name, "logits"))
        return e->logits[(size_t)(e->mode == MODE_TRAIN ? e->L - 1 : 0) * e->cfg.vocab + i];
    if (!strcmp(name, "scores")) return engine_scores_row(e, l, a->head, row)[i];
    if (!strcmp(name, "softmax")) return engine_att_row(e, l, a->head, row)[i];
    if (!strcmp(name, "masked")) {
        if (!config_visible(&e->cfg, pos, i)) return -INFINITY;
        return engine_op_done(e, OP_SOFTMAX, l) ? engine_scores_row(e, l, a->head, row)[i]
                                                : engine_att_row(e, l, a->head, row)[i];
    }
    if (sscanf(name, "q h%d", &hh) == 1) return e->q[(size_t)row * d + (size_t)hh * dh + i];
    if (sscanf(name, "out h%d", &hh) == 1) return e->att_out[(size_t)row * d + (size_t)hh * dh + i];
    if (sscanf(name, "k h%d", &hh) == 1) return engine_k_row(e, l, pos)[(size_t)hh * dh + i];
    if (sscanf(name, "v h%d", &hh) == 1) return engine_v_row(e, l, pos)[(size_t)hh * dh + i];
    if (sscanf(name, "L%d k h%d", &ll, &hh) == 2) return engine_k_row(e, ll, pos)[(size_t)hh * dh + i];
    if (sscanf(name, "L%d v h%d", &ll, &hh) == 2) return engine_v_row(e, ll, pos)[(size_t)hh * dh + i];
    fail_msg("unknown vector %s", name);
    return 0.0f;
}

static void fmt2(float v, char buf[32])
{
    if (isinf(v) && v < 0) snprintf(buf, 32, "\u2212\u221e");
    else snprintf(buf, 32, "%.2f", (double)v);
}

/* The text of cells [x0, x1) of line y, UTF-8, trailing spaces dropped. */
static void cells(const Canvas *c, int x0, int x1, int y, char *out, size_t len)
{
    size_t n = 0;
    for (int x = x0; x < x1 && n + 5 < len; x++) {
        const int32_t cp = canvas_at(c, x, y)->cp;
        if (cp < 0x80) out[n++] = (char)cp;
        else if (cp < 0x800) {
            out[n++] = (char)(0xC0 | (cp >> 6));
            out[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[n++] = (char)(0xE0 | (cp >> 12));
            out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    while (n && out[n - 1] == ' ') n--;
    out[n] = '\0';
}

/* Check every number of the inspector drawn at w×h; returns the vectors
 * seen and fills names (a '|' separated list). Columns: the border, the
 * name (9), the shape (8), the index (6), then values 6 wide. */
static int check_screen(const App *a, int w, int h, char *names, size_t nlen)
{
    const Engine *e = app_engine(a);
    Canvas c;
    fx_draw(panel_vectors_draw, a, &c, w, h);
    names[0] = '\0';
    const int valx = 1 + 9 + 8 + 6;
    char name[64] = "", buf[64];
    int seen = 0, next_i = 0;
    for (int y = 2; y < h - 2; y++) {
        cells(&c, 1, 10, y, buf, sizeof buf);
        if (buf[0]) {
            snprintf(name, sizeof name, "%s", buf);
            seen++;
            next_i = 0;
            strncat(names, name, nlen - strlen(names) - 2);
            strcat(names, "|");
        } else if (!name[0]) {
            continue;
        }
        cells(&c, 18, valx, y, buf, sizeof buf);
        const char *ix = strchr(buf, '[');
        if (ix) next_i = atoi(ix + 1);
        for (int x = valx; x + 6 <= w - 1; x += 6) {
            char cell[32], want[32];
            cells(&c, x, x + 6, y, cell, sizeof cell);
            const char *v = cell + strspn(cell, " ");
            if (!*v) continue;
            fmt2(engine_value(a, e, name, next_i), want);
            if (strcmp(v, want)) fail_msg("%s[%d]: screen %s, engine %s (line %d)", name, next_i, v, want, y);
            next_i++;
        }
    }
    canvas_free(&c);
    return seen;
}
/* Every operation of steps 0 and 2, every number checked; the vectors the
 * issue names appear at their operations. */
static void walk(App *a, int w, int h)
{
    const Engine *e = app_engine(a);
    for (int k = 0; k < 3; k += 2)
        for (int i = 1; i <= e->ops_per_step; i++) {
            run_seek(&a->run, app_primary_mode(a), run_step_start(e, k) + i);
            char names[1024];
            const int n = check_screen(a, w, h, names, sizeof names);
            const OpRef op = engine_current_op(e);
            assert_true(n >= 1);
            char q[16];
            snprintf(q, sizeof q, "q h%d|", a->head);
            if (op.kind == OP_SOFTMAX && h >= 30) {
                assert_non_null(strstr(names, "x|"));
                assert_non_null(strstr(names, "LN1(x)|"));
                assert_non_null(strstr(names, q));
                assert_non_null(strstr(names, "scores|masked|softmax|"));
            }
            if (op.kind == OP_VALUES) assert_non_null(strstr(names, "out h"));
            if (op.kind == OP_OUT_PROJ) assert_non_null(strstr(names, "x+=|"));
            if (op.kind == OP_LOGITS) assert_non_null(strstr(names, "logits|"));
        }
}

static void test_random_model(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--gen", "3");
    walk(a, 120, 30);
    a->head = 1;
    walk(a, 120, 30);
    fx_app_del(a);
}

/* d = 32 at 80 columns: windows with indices; GQA: head 1 reads K/V head 0. */
static void test_windows_and_gqa(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--model", "models/default.kvsim", "--gen", "3");
    walk(a, 80, 15);
    walk(a, 200, 50);
    fx_app_del(a);
    a = FX_APP("kvsim", "--d-model", "8", "--heads", "2", "--kv-heads", "1", "--gen", "3");
    a->head = 1;
    fx_seek_op(a, 0, OP_QKV, 0);
    char names[512];
    check_screen(a, 120, 30, names, sizeof names);
    assert_non_null(strstr(names, "q h1|k h0|v h0|"));
    fx_app_del(a);
}

/* The train view (every position; the logits of the last) and a window. */
static void test_train_and_window(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--mode", "train");
    const Engine *e = app_engine(a);
    for (int i = 1; i <= e->ops_per_step; i++) {
        run_seek(&a->run, MODE_TRAIN, i);
        char names[512];
        check_screen(a, 120, 30, names, sizeof names);
    }
    fx_app_del(a);
    a = FX_APP("kvsim", "--d-model", "8", "--window", "4", "--gen", "6");
    fx_seek_op(a, 5, OP_SOFTMAX, 0);
    char names[512];
    check_screen(a, 120, 30, names, sizeof names);
    fx_app_del(a);
}

static void test_titles_and_sizes(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--lang", "zh");
    Canvas c;
    fx_draw(panel_vectors_draw, a, &c, 80, 10);
    assert_true(fx_has(&c, "向量"));
    canvas_free(&c);
    fx_seek_op(a, 0, OP_MASK, 0);
    fx_draw(panel_vectors_draw, a, &c, 100, 20);
    assert_true(fx_has(&c, "数值"));
    assert_true(fx_has(&c, "(t=11)"));
    canvas_free(&c);
    assert_int_equal(canvas_init(&c, 60, 20), 0);
    const Engine *e = app_engine(a);
    for (long p = 0; p <= engine_total_ops(e); p += 4) {
        run_seek(&a->run, MODE_CACHE, p);
        for (int w = 0; w < 50; w += 7)
            for (int h = 0; h < 14; h += 3) fx_draw_inside(panel_vectors_draw, a, e, &c, w, h);
    }
    canvas_free(&c);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_windows_and_gqa),
        cmocka_unit_test(test_train_and_window),
        cmocka_unit_test(test_titles_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
