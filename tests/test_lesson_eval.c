/* test_lesson_eval: the lessons' expressions (lessons/eval.c): arithmetic,
 * the names of the model and the run, the counting functions, templates
 * and number formatting, and the evaluation context (lessons/measure.c:
 * its set-up errors and its update from slide to slide). The memory,
 * batch and calc() functions are in tests/test_lesson_measure.c.
 *
 * Expected counts are written out here from spec §4 (and §2 for n, t),
 * independently of sim/formulas.c and of lessons/measure.c, so a mistake in
 * the code under test cannot also be in the expectation. */
#include "tests/lesson_fixture.h"

#include "sim/tokenizer.h"

/* ---- expressions --------------------------------------------------------- */

static void test_arithmetic(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    EXPECT(c, "1 + 2 * 3", 7);
    EXPECT(c, "(1 + 2) * 3", 9);
    EXPECT(c, "2 ^ 3 ^ 2", 512);
    EXPECT(c, "-2^2", -4);
    EXPECT(c, "2 * -3", -6);
    EXPECT(c, "7 % 4 + 7 / 2", 6.5);
    EXPECT(c, "10 - 4 - 3", 3);
    EXPECT(c, "64 / 4 / 2", 8);
    EXPECT(c, "1e3 + .5 * 4", 1002);
    EXPECT(c, "--+3", 3);
    EXPECT(c, "2^-1", 0.5);
    /* names: the model and the run */
    EXPECT(c, "d", 8);
    EXPECT(c, "H", 2);
    EXPECT(c, "dh", 4);
    EXPECT(c, "Lyr", 2);
    EXPECT(c, "F", 32);
    EXPECT(c, "V", tokenizer_vocab());
    EXPECT(c, "N", 64);
    EXPECT(c, "L", 5);
    EXPECT(c, "G", 4);
    /* goto: step 0 end in cache mode = prefill */
    EXPECT(c, "k", 0);
    EXPECT(c, "n", 5);
    EXPECT(c, "t", 5);
    EXPECT(c, "pos", 4);
}

static void test_position_names(void **state)
{
    (void)state;
    static const struct {
        const char *go, *mode;
        int k, n, t;
    } cases[] = {
        {"start", "cache", 0, 5, 5},        {"end", "cache", 3, 1, 8},
        {"step 2 end", "cache", 2, 1, 7},   {"step 2 end", "recompute", 2, 7, 7},
        {"step 1 op mask layer 1", "compare", 1, 1, 6},
        {"end", "train", 0, 5, 5},          {"step 0 op loss", "train", 0, 5, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], err[512];
        snprintf(text, sizeof text,
                 "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 4\n"
                 "mode: %s\ngoto: %s\n", cases[i].mode, cases[i].go);
        Lesson l = parse_ok(text);
        SlideSetup s = lesson_state_at(&l, 0);
        EvalContext ctx;
        if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
        EXPECT(&ctx, "k", cases[i].k);
        EXPECT(&ctx, "n", cases[i].n);
        EXPECT(&ctx, "t", cases[i].t);
        EXPECT(&ctx, "pos", cases[i].t - 1);
        eval_context_free(&ctx);
        lesson_free(&l);
    }
}

/* Spec §4 for one step, written out: all layers plus the head. */
static double spec_step_total(double d, double F, double Lyr, double V, double n, double t,
                              double head_rows)
{
    return Lyr * (3 * n * d * d + n * t * d + n * t * d + n * d * d + 2 * n * d * F) +
           head_rows * d * V;
}

/* Every function against spec §4 for one configuration. */
static void check_functions(EvalContext *c, int d, int H, int Lyr, int F, int L, int G)
{
    const double V = tokenizer_vocab();
    char e[128];
    EXPECT(c, "dh", d / H);
    double sum_t = 0, sum_t2 = 0, sum_cache_t = (double)L * L;
    for (int k = 0; k < G; k++) {
        sum_t += L + k;
        sum_t2 += (double)(L + k) * (L + k);
        if (k > 0) sum_cache_t += L + k;
    }
    for (int k = 0; k < G; k++) {
        const double nc = k == 0 ? L : 1, t = L + k, nr = L + k;
        for (int l = 0; l < Lyr; l++) {
            snprintf(e, sizeof e, "macs(cache, ffn, %d, %d)", k, l);
            EXPECT(c, e, 2 * nc * d * F);
            snprintf(e, sizeof e, "macs(cache, scores, %d, %d)", k, l);
            EXPECT(c, e, nc * t * d);
            snprintf(e, sizeof e, "macs(recompute, values, %d, %d)", k, l);
            EXPECT(c, e, nr * t * d);
            snprintf(e, sizeof e, "macs(recompute, qkv, %d, %d)", k, l);
            EXPECT(c, e, 3 * nr * d * d);
            snprintf(e, sizeof e, "macs(cache, lm_head, %d, %d)", k, l);
            EXPECT(c, e, 0);
            snprintf(e, sizeof e, "macs(cache, total, %d, %d)", k, l);
            EXPECT(c, e, 4 * nc * d * d + 2 * nc * t * d + 2 * nc * d * F);
        }
        snprintf(e, sizeof e, "macs(cache, out_proj, %d)", k);
        EXPECT(c, e, Lyr * nc * d * d);
        snprintf(e, sizeof e, "macs(cache, lm_head, %d)", k);
        EXPECT(c, e, d * V);
        snprintf(e, sizeof e, "macs(cache, total, %d)", k);
        EXPECT(c, e, spec_step_total(d, F, Lyr, V, nc, t, 1));
        snprintf(e, sizeof e, "masked(cache, %d)", k);
        EXPECT(c, e, Lyr * d * nc * (nc - 1) / 2);
        snprintf(e, sizeof e, "masked(recompute, %d)", k);
        EXPECT(c, e, Lyr * d * nr * (nr - 1) / 2);
        snprintf(e, sizeof e, "visible(%d)", k);
        EXPECT(c, e, k == 0 ? L * (L + 1) / 2 : t);   /* decode: one row sees every key */
        snprintf(e, sizeof e, "kv_bytes(%d)", k);
        EXPECT(c, e, 2.0 * Lyr * t * d * 4);
        snprintf(e, sizeof e, "kv_numbers(%d)", k);
        EXPECT(c, e, 2.0 * Lyr * t * d);
        snprintf(e, sizeof e, "token_pos(%d)", k + 1);
        EXPECT(c, e, L + k);
        snprintf(e, sizeof e, "ratio(%d)", k);
        EXPECT(c, e, spec_step_total(d, F, Lyr, V, nr, t, 1) / spec_step_total(d, F, Lyr, V, nc, t, 1));
        snprintf(e, sizeof e, "step_cost(cache, d, F, Lyr, V, L, %d)", k);
        EXPECT(c, e, spec_step_total(d, F, Lyr, V, nc, t, 1));
        snprintf(e, sizeof e, "step_cost(recompute, d, F, Lyr, V, L, %d)", k);
        EXPECT(c, e, spec_step_total(d, F, Lyr, V, nr, t, 1));
    }
    EXPECT(c, "macs(train, lm_head, 0)", L * d * V);
    EXPECT(c, "macs(train, scores, 0)", Lyr * L * L * d);
    EXPECT(c, "step_cost(train, d, F, Lyr, V, L, 0)", spec_step_total(d, F, Lyr, V, L, L, L));
    EXPECT(c, "total(cache, qkv)", 3.0 * d * d * Lyr * (L + G - 1));
    EXPECT(c, "total(cache, scores)", (double)d * Lyr * sum_cache_t);
    EXPECT(c, "total(recompute, qkv)", 3.0 * d * d * Lyr * sum_t);
    EXPECT(c, "total(recompute, values)", (double)d * Lyr * sum_t2);
    EXPECT(c, "total(cache, lm_head)", G * d * V);
    EXPECT(c, "total(train, total)", spec_step_total(d, F, Lyr, V, L, L, L));
    EXPECT(c, "passes(cache)", G);
    EXPECT(c, "passes(recompute)", G);
    EXPECT(c, "passes(train)", 1);
    EXPECT(c, "rows(cache)", L + G - 1);
    EXPECT(c, "rows(recompute)", sum_t);
    EXPECT(c, "rows(train)", L);
    EXPECT(c, "logit_diff()", 0);
}

static void test_functions(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    const double d = 8, F = 32, Lyr = 2, L = 5, V = tokenizer_vocab();
    /* the brief's examples, spelled out */
    EXPECT(c, "macs(cache, ffn, 1, 0)", 2 * d * F);
    EXPECT(c, "visible(0)", L * (L + 1) / 2);
    EXPECT(c, "visible(0)", 15);
    EXPECT(c, "kv_numbers(0)", 2 * Lyr * L * d);
    EXPECT(c, "macs(cache, scores, 1, 0)", (L + 1) * d);
    EXPECT(c, "masked(cache, 1)", 0);
    EXPECT(c, "token_pos(3)", L + 2);
    EXPECT(c, "passes(cache)", 4);
    EXPECT(c, "passes(train)", 1);
    EXPECT(c, "logit_diff()", 0);
    EXPECT(c, "macs(cache, lm_head, 0)", d * V);
    /* closed forms with given values (spec §6.6 figures) */
    EXPECT(c, "kv_per_token(32, 32, 128, 2)", 524288);
    EXPECT(c, "kv_per_token(40, 40, 128, 2)", 819200);
    EXPECT(c, "kv_per_token(32, 32, 128, 2) * 4096 / 2^30", 2);
    EXPECT(c, "step_cost(cache, 768, 3072, 12, 50257, 1, 9)",
           12.0 * (4 * 768.0 * 768 + 2 * 10 * 768.0 + 2 * 768.0 * 3072) + 768.0 * 50257);
    check_functions(c, 8, 2, 2, 32, 5, 4);
}

static void test_functions_grid(void **state)
{
    (void)state;
    static const struct {
        const char *model, *prompt;
        int d, H, Lyr, F, L, G;
    } cases[] = {
        {"d-model=12 heads=3 layers=3 d-ff=20", "the cat sat", 12, 3, 3, 20, 11, 6},
        {"d-model=4 heads=4 layers=1", "a", 4, 4, 1, 16, 1, 1},
        {"d-model=6 heads=1 layers=2 d-ff=7 max-seq=12", "预填充", 6, 1, 2, 7, 3, 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], err[512];
        snprintf(text, sizeof text,
                 "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: %s\nprompt: %s\n"
                 "gen: %d\n", cases[i].model, cases[i].prompt, cases[i].G);
        Lesson l = parse_ok(text);
        SlideSetup s = lesson_state_at(&l, 0);
        EvalContext ctx;
        if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
        check_functions(&ctx, cases[i].d, cases[i].H, cases[i].Lyr, cases[i].F, cases[i].L,
                        cases[i].G);
        eval_context_free(&ctx);
        lesson_free(&l);
    }
}

static void test_eval_errors(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    expect_eval_error(c, "foo(1)", "unknown function 'foo'; expected macs, total, masked");
    expect_eval_error(c, "calcx(1)", "unknown function 'calcx'");
    expect_eval_error(c, "macs(cache, ffn, 9)", "step 9 out of range 0..3");
    expect_eval_error(c, "macs(train, ffn, 1)", "step 1 out of range 0..0");
    expect_eval_error(c, "macs(cache, ffn, 1, 2)", "layer 2 out of range 0..1");
    expect_eval_error(c, "macs(cache, ffn, 1.5)", "not a whole number");
    expect_eval_error(c, "token_pos(0)", "token 0 out of range 1..4");
    expect_eval_error(c, "ratio(1e300)", "step 1e+300 out of range 0..3");
    expect_eval_error(c, "visible(-1)", "step -1 out of range 0..3");
    expect_eval_error(c, "1 / 0", "division by zero at column 3");
    expect_eval_error(c, "7 % (L - 5)", "modulo by zero");
    expect_eval_error(c, "1 + 2 )", "unexpected ')' at column 7");
    expect_eval_error(c, "(1 + 2", "missing ')' for the '(' at column 1");
    expect_eval_error(c, "1 +", "unexpected end of the expression");
    expect_eval_error(c, "", "empty expression");
    expect_eval_error(c, "   ", "empty expression");
    expect_eval_error(c, "2 L", "unexpected 'L' at column 3");
    expect_eval_error(c, "5×5", "unexpected '×' at column 2");
    expect_eval_error(c, "1 \xff", "unexpected byte 0xff at column 3");
    expect_eval_error(c, "x + 1", "unknown name 'x'; expected d, H, dh");
    expect_eval_error(c, "macs", "'macs' at column 1 is a function");
    expect_eval_error(c, "macs(cach, ffn, 1)", "unknown mode 'cach'");
    expect_eval_error(c, "passes(compare)", "unknown mode 'compare'");
    expect_eval_error(c, "macs(cache, ffm, 1)", "unknown category 'ffm'");
    expect_eval_error(c, "macs(1, ffn, 1)", "argument 1 must be a mode");
    expect_eval_error(c, "macs(cache, ffn)", "macs() takes 3 or 4 arguments");
    expect_eval_error(c, "logit_diff(1)", "takes no arguments");
    expect_eval_error(c, "visible(1, 2)", "visible() takes 1 argument");
    expect_eval_error(c, "(-8)^(1/3)", "no real number");
    expect_eval_error(c, "10^400", "too large");
    expect_eval_error(c, "1e999", "too long or too large");
    expect_eval_error(c, "step_cost(train, d, F, Lyr, V, L, 1)", "K must be 0");
    expect_eval_error(c, "step_cost(cache, 0.5, F, Lyr, V, L, 1)", "must be a whole number");
    char deep[300];
    memset(deep, '(', 100);
    strcpy(deep + 100, "1");
    expect_eval_error(c, deep, "nested too deeply");
    memset(deep, '-', 200);
    strcpy(deep + 200, "1");
    expect_eval_error(c, deep, "nested too deeply");
    char *huge = malloc(EVAL_MAX_LEN + 10);
    assert_non_null(huge);
    memset(huge, '1', EVAL_MAX_LEN + 9);
    huge[EVAL_MAX_LEN + 9] = '\0';
    expect_eval_error(c, huge, "longer than");
    free(huge);
}

static void test_templates_and_format(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    char out[256], err[256];
    assert_int_equal(eval_template(c, "so 1+2+3+4+5 = {L*(L+1)/2}.", out, sizeof out, err,
                                   sizeof err), 0);
    assert_string_equal(out, "so 1+2+3+4+5 = 15.");
    assert_int_equal(eval_template(c, "{{literal}} x} {1/3} {5/2} {-0}", out, sizeof out, err,
                                   sizeof err), 0);
    assert_string_equal(out, "{literal} x} 0.3333 2.5 0");
    assert_int_equal(eval_template(c, "预填充 {L} 个词元", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "预填充 5 个词元");
    assert_int_equal(eval_template(c, "不 {L", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "unclosed '{' at column 3; write {{ for a literal brace");
    assert_int_equal(eval_template(c, "a {} b", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty expression"));
    assert_int_equal(eval_template(c, "{L*}", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(err, "{L*}: unexpected end of the expression; expected a number, a name, "
                             "a function or '('");
    assert_int_equal(eval_template(c, "{kv_per_token(1,1,1,1)}0000", out, 5, err, sizeof err), -1);
    assert_non_null(strstr(err, "too long"));

    static const struct {
        double v;
        const char *s;
    } f[] = {
        {15, "15"}, {-3, "-3"}, {0.0, "0"}, {-0.0, "0"}, {2.5, "2.5"}, {1.0 / 3, "0.3333"},
        {2.00001, "2"}, {1234567.125, "1234567.125"}, {524288, "524288"}, {1e-5, "1e-05"},
        {-0.25, "-0.25"}, {1e20, "1e+20"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        eval_format(f[i].v, out, sizeof out);
        assert_string_equal(out, f[i].s);
    }
    assert_true(lesson_answer_ok(15, 0, 15));
    assert_false(lesson_answer_ok(15, 0, 15.001));
    assert_true(lesson_answer_ok(0.3333333, 0.01, 0.33));
}

static void test_context_errors(void **state)
{
    (void)state;
    /* lines: directives start on line 6 */
    expect_context_error("model: heads=3\n", "--heads 3: d-model (8) must be divisible by heads", 6);
    expect_context_error("gen: 2\nmodel: d-model=20000\n",
                         "--d-model 20000: the default d-ff (4 x d-model = 80000) exceeds 65536; "
                         "give --d-ff too", 7);
    expect_context_error("prompt: ab€\n",
                         "--prompt: character '€' (U+20AC) at position 3 is not in the alphabet "
                         "(printable ASCII and common Chinese)", 6);
    expect_context_error("prompt: hello\ngen: 60\n",
                         "--gen 60: prompt (5) + generated (60) = 65 tokens exceeds --max-seq 64", 7);
    expect_context_error("gen: 4\ngoto: step 4 end\n", "goto: step 4 out of range 0..3", 7);
    expect_context_error("mode: train\ngoto: step 0 op pick\n",
                         "goto: operation 'pick' does not run in train mode", 7);
    expect_context_error("goto: step 0 op loss\n",
                         "goto: operation 'loss' does not run in cache mode", 6);
    expect_context_error("goto: step 1 op ffn layer 2\n", "goto: layer 2 out of range 0..1", 6);
    expect_context_error("select: head 2\n", "select: head 2 out of range 0..1", 6);
    expect_context_error("select: layer 1\nmodel: layers=1\n", "select: layer 1 out of range 0..0", 7);
}

static void test_context_update(void **state)
{
    (void)state;
    Lesson l = parse_ok(THREE_SLIDES);
    SlideSetup a = lesson_state_at(&l, 0), b = lesson_state_at(&l, 1), c = lesson_state_at(&l, 2);
    EvalContext ctx;
    char err[256];
    assert_int_equal(eval_context_init(&ctx, &a, err, sizeof err), 0);
    EXPECT(&ctx, "L", 8);   /* "the dog " */
    EXPECT(&ctx, "visible(0)", 36);
    assert_true(ctx.runs[MODE_CACHE].done);
    assert_int_equal(eval_context_update(&ctx, &b, err, sizeof err), 0);
    assert_true(ctx.runs[MODE_CACHE].done);   /* same run: kept */
    EXPECT(&ctx, "k", 2);
    EXPECT(&ctx, "n", 10);
    assert_int_equal(eval_context_update(&ctx, &c, err, sizeof err), 0);
    assert_false(ctx.runs[MODE_CACHE].done);  /* heads changed: rebuilt */
    EXPECT(&ctx, "dh", 4);
    eval_context_free(&ctx);
    eval_context_free(&ctx);
    /* a freed (or failed) context refuses to evaluate anything but numbers */
    double v = 0;
    assert_int_equal(eval_expr(&ctx, "d", &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "no simulator set-up"));
    assert_int_equal(eval_expr(&ctx, "2 + 2", &v, err, sizeof err), 0);
    lesson_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arithmetic, setup_eval, teardown_eval),
        cmocka_unit_test(test_position_names),
        cmocka_unit_test_setup_teardown(test_functions, setup_eval, teardown_eval),
        cmocka_unit_test(test_functions_grid),
        cmocka_unit_test_setup_teardown(test_eval_errors, setup_eval, teardown_eval),
        cmocka_unit_test_setup_teardown(test_templates_and_format, setup_eval, teardown_eval),
        cmocka_unit_test(test_context_errors),
        cmocka_unit_test(test_context_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
