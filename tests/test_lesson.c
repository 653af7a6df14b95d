/* test_lesson: the lesson format (docs/lessons.md), its expressions, the
 * checker and the handout printer.
 *
 * Expected counts are written out here from spec §4 (and §2 for n, t),
 * independently of sim/formulas.c and of lessons/measure.c, so a mistake in
 * the code under test cannot also be in the expectation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lessons/eval.h"
#include "lessons/glossary.h"
#include "lessons/weights.h"
#include "lessons/lesson.h"
#include "sim/tokenizer.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The example of docs/lessons.md, verbatim. */
static const char DOC_EXAMPLE[] =
    "# Lines starting with '#' are comments.\n"
    "lesson: 2\n"
    "id: causal-mask\n"
    "lang: en\n"
    "title: The causal mask\n"
    "\n"
    "--- slide: The lower triangle\n"
    "prompt: hello\n"
    "gen: 4\n"
    "mode: cache\n"
    "goto: step 0 end\n"
    "select: layer 0 head 0\n"
    "point: mask\n"
    "\n"
    "During prefill the model reads all five prompt tokens at once. Each\n"
    "row of the grid is one query; it may look at its own position and at\n"
    "every earlier one, never at a later one.\n"
    "\n"
    "The cells above the diagonal are the future: the mask sets them to\n"
    "minus infinity before the softmax, so their weight is exactly zero.\n"
    "\n"
    "? How many cells of one head's 5×5 grid are visible after prefill?\n"
    "= visible(0)\n"
    "hint: Count the diagonal and everything below it.\n"
    "explain: Row i sees i+1 cells, so 1+2+3+4+5 = {L*(L+1)/2}.\n"
    "\n"
    "--- slide: Next\n"
    "...\n";

static Lesson parse_ok(const char *text)
{
    Lesson l;
    char err[512];
    int rc = lesson_parse(text, strlen(text), "t.lesson", &l, err, sizeof err);
    if (rc) fprintf(stderr, "unexpected parse error: %s\n", err);
    assert_int_equal(rc, 0);
    return l;
}

/* Parsing fails with exactly "t.lesson:LINE: ..." containing fragment. */
static void parse_fails(const char *text, size_t len, int line, const char *fragment)
{
    Lesson l;
    char err[512], prefix[64];
    assert_int_equal(lesson_parse(text, len, "t.lesson", &l, err, sizeof err), -1);
    snprintf(prefix, sizeof prefix, "t.lesson:%d: ", line);
    if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, fragment))
        fail_msg("got \"%s\"; expected \"%s...%s\"", err, prefix, fragment);
    assert_null(l.slides);
}

#define PARSE_FAILS(text, line, fragment) parse_fails(text, strlen(text), line, fragment)

static void test_parse_doc_example(void **state)
{
    (void)state;
    Lesson l = parse_ok(DOC_EXAMPLE);
    assert_int_equal(l.number, 2);
    assert_string_equal(l.id, "causal-mask");
    assert_string_equal(l.lang, "en");
    assert_string_equal(l.title, "The causal mask");
    assert_string_equal(l.path, "t.lesson");
    assert_int_equal(l.n_slides, 2);

    const Slide *s = &l.slides[0];
    assert_string_equal(s->title, "The lower triangle");
    assert_int_equal(s->line, 7);
    const SlideSetup *u = &s->setup;
    assert_true(u->set & SETUP_BIT(SET_PROMPT));
    assert_string_equal(u->prompt, "hello");
    assert_int_equal(u->gen, 4);
    assert_int_equal(u->line[SET_GEN], 9);
    assert_int_equal(u->mode, LESSON_MODE_CACHE);
    assert_int_equal(u->go.kind, GOTO_STEP_END);
    assert_int_equal(u->go.step, 0);
    assert_true(u->set & SETUP_BIT(SET_LAYER));
    assert_true(u->set & SETUP_BIT(SET_HEAD));
    assert_int_equal(u->layer, 0);
    assert_int_equal(u->head, 0);
    assert_int_equal(u->point, POINT_MASK);
    assert_false(u->set & SETUP_MODEL_BITS);

    assert_int_equal(s->n_paragraphs, 2);
    assert_string_equal(s->paragraphs[0],
                        "During prefill the model reads all five prompt tokens at once. Each row "
                        "of the grid is one query; it may look at its own position and at every "
                        "earlier one, never at a later one.");
    assert_int_equal(s->paragraph_lines[0], 15);
    assert_string_equal(s->paragraphs[1],
                        "The cells above the diagonal are the future: the mask sets them to minus "
                        "infinity before the softmax, so their weight is exactly zero.");
    assert_int_equal(s->paragraph_lines[1], 19);

    assert_true(s->has_question);
    const Question *q = &s->question;
    assert_string_equal(q->text, "How many cells of one head's 5×5 grid are visible after prefill?");
    assert_int_equal(q->line, 22);
    assert_string_equal(q->expr, "visible(0)");
    assert_int_equal(q->expr_line, 23);
    assert_true(q->tolerance == 0);
    assert_int_equal(q->n_hints, 1);
    assert_string_equal(q->hints[0], "Count the diagonal and everything below it.");
    assert_int_equal(q->hint_lines[0], 24);
    assert_string_equal(q->explain, "Row i sees i+1 cells, so 1+2+3+4+5 = {L*(L+1)/2}.");
    assert_int_equal(q->explain_line, 25);

    assert_string_equal(l.slides[1].title, "Next");
    assert_int_equal(l.slides[1].line, 27);
    assert_int_equal(l.slides[1].n_paragraphs, 1);
    assert_string_equal(l.slides[1].paragraphs[0], "...");
    assert_false(l.slides[1].has_question);
    assert_int_equal(l.slides[1].setup.set, 0);
    lesson_free(&l);
    lesson_free(&l); /* a freed lesson is zeroed: freeing again is harmless */
}

static void test_paragraph_joining(void **state)
{
    (void)state;
    const char *text =
        "\xEF\xBB\xBFlesson: 5\r\nid: prefill\r\nlang: zh\r\ntitle: 预填充\r\n\r\n"
        "--- slide: 中文\r\n"
        "预填充阶段，模型一次读入\n"
        "全部五个提示词元。\n"
        "\n"
        "  Latin   line one  \n"
        "# a comment does not end a paragraph\n"
        "\tline two\n"
        "\n"
        "KV\n"
        "缓存保存每一层的 K 和 V\n"
        "，不保存 Q。\n"
        "gen: 3\n"
        "after a directive\n";
    Lesson l = parse_ok(text);
    assert_string_equal(l.lang, "zh");
    assert_string_equal(l.title, "预填充");
    const Slide *s = &l.slides[0];
    assert_int_equal(s->n_paragraphs, 4);
    assert_string_equal(s->paragraphs[0], "预填充阶段，模型一次读入全部五个提示词元。");
    assert_string_equal(s->paragraphs[1], "Latin   line one line two");
    /* a line ending in Latin followed by one starting with CJK: no space */
    assert_string_equal(s->paragraphs[2], "KV缓存保存每一层的 K 和 V，不保存 Q。");
    assert_string_equal(s->paragraphs[3], "after a directive");
    assert_int_equal(s->paragraph_lines[3], 18);
    assert_int_equal(s->setup.gen, 3);
    lesson_free(&l);
}

static const char THREE_SLIDES[] =
    "lesson: 4\nid: acc\nlang: en\ntitle: Accumulation\n"
    "--- slide: A\n"                                  /* 5 */
    "prompt: \"the dog \"\n"                          /* 6 */
    "gen: 5\n"                                        /* 7 */
    "model: d-model=16 layers=3 seed=7\n"            /* 8 */
    "Text.\n"
    "--- slide: B\n"                                  /* 10 */
    "mode: recompute\n"                               /* 11 */
    "goto: step 2 op qkv layer 1\n"                   /* 12 */
    "select: head 1\n"                                /* 13 */
    "--- slide: C\n"                                  /* 14 */
    "model: heads=4\n"                                /* 15 */
    "point: kvcache\n"                                /* 16 */
    "--- slide: D\n"
    "model: d-ff=40\n"
    "point: none\n";

static void test_state_accumulates(void **state)
{
    (void)state;
    Lesson l = parse_ok(THREE_SLIDES);
    SlideSetup d = lesson_state_at(&l, -1);
    assert_string_equal(d.prompt, CONFIG_DEFAULT_PROMPT);
    assert_int_equal(d.gen, CONFIG_DEFAULT_GEN);
    assert_int_equal(d.model.d_model, 8);
    assert_int_equal(d.model.vocab, tokenizer_vocab());
    assert_int_equal(d.set, 0);

    SlideSetup a = lesson_state_at(&l, 0);
    assert_string_equal(a.prompt, "the dog ");   /* quotes keep the trailing space */
    assert_int_equal(a.gen, 5);
    assert_int_equal(a.model.d_model, 16);
    assert_int_equal(a.model.d_ff, 64);          /* 4 · d while d-ff is not given */
    assert_int_equal(a.model.n_layers, 3);
    assert_int_equal(a.model.n_heads, 2);
    assert_true(a.model.seed == 7);
    assert_int_equal(a.mode, LESSON_MODE_CACHE);
    assert_int_equal(a.go.kind, GOTO_START);

    SlideSetup c = lesson_state_at(&l, 2);
    assert_string_equal(c.prompt, "the dog ");
    assert_int_equal(c.model.d_model, 16);
    assert_int_equal(c.model.n_heads, 4);
    assert_int_equal(c.model.n_kv_heads, 4);
    assert_int_equal(c.mode, LESSON_MODE_RECOMPUTE);
    assert_int_equal(c.go.kind, GOTO_STEP_OP);
    assert_int_equal(c.go.step, 2);
    assert_int_equal(c.go.op, OP_QKV);
    assert_int_equal(c.go.layer, 1);
    assert_int_equal(c.layer, 0);
    assert_int_equal(c.head, 1);
    assert_int_equal(c.point, POINT_KVCACHE);
    assert_int_equal(c.line[SET_PROMPT], 6);
    assert_int_equal(c.line[SET_D_MODEL], 8);
    assert_int_equal(c.line[SET_HEADS], 15);
    assert_int_equal(c.line[SET_GOTO], 12);
    assert_true(c.set & SETUP_BIT(SET_HEAD));
    assert_false(c.set & SETUP_BIT(SET_LAYER));
    assert_false(lesson_same_run(&a, &c));       /* heads changed */

    SlideSetup e = lesson_state_at(&l, 99);      /* clamped to the last slide */
    assert_int_equal(e.model.d_ff, 40);
    assert_int_equal(e.point, POINT_NONE);
    assert_true(lesson_same_run(&e, &e));
    lesson_free(&l);
}

/* ---- expressions --------------------------------------------------------- */

typedef struct {
    EvalContext ctx;
    Lesson l;
} EvalFx;

/* The doc example's first slide: prompt "hello" (L = 5), G = 4, default
 * model d = 8, H = 2, Lyr = 2, F = 32, at step 0 end. */
static int setup_eval(void **state)
{
    EvalFx *fx = calloc(1, sizeof *fx);
    char err[256];
    if (!fx || lesson_parse(DOC_EXAMPLE, strlen(DOC_EXAMPLE), "t", &fx->l, err, sizeof err))
        return -1;
    SlideSetup s = lesson_state_at(&fx->l, 0);
    if (eval_context_init(&fx->ctx, &s, err, sizeof err)) return -1;
    *state = fx;
    return 0;
}

static int teardown_eval(void **state)
{
    EvalFx *fx = *state;
    eval_context_free(&fx->ctx);
    lesson_free(&fx->l);
    free(fx);
    return 0;
}

static double ev(EvalContext *ctx, const char *expr)
{
    double v = NAN;
    char err[512];
    if (eval_expr(ctx, expr, &v, err, sizeof err)) fail_msg("%s: %s", expr, err);
    return v;
}

#define EXPECT(ctx, expr, want) assert_true(fabs(ev(ctx, expr) - (double)(want)) < 1e-9)

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

static void expect_eval_error(EvalContext *c, const char *expr, const char *fragment)
{
    double v = 0;
    char err[512];
    if (eval_expr(c, expr, &v, err, sizeof err) == 0)
        fail_msg("'%s' evaluated to %g; expected an error with \"%s\"", expr, v, fragment);
    if (!strstr(err, fragment)) fail_msg("'%s': got \"%s\"; expected \"%s\"", expr, err, fragment);
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

/* ---- memory: model options, traffic, paging, calc() (spec §6.2-6.6) ------ */

static void expect_context_error(const char *directives, const char *message, int line);

static void test_model_options(void **state)
{
    (void)state;
    const char *text = "lesson: 1\nid: x\nlang: en\ntitle: T\n"
                       "--- slide: A\n"                                 /* 5 */
                       "model: kv-heads=1 window=6 block-size=4\n"      /* 6 */
                       "mode: memory\n"                                 /* 7 */
                       "point: blocks\n"                                /* 8 */
                       "--- slide: B\n"                                 /* 9 */
                       "model: heads=4 d-model=16\n"                    /* 10 */
                       "point: traffic\n"                               /* 11 */
                       "--- slide: C\n"                                 /* 12 */
                       "model: window=none block-size=none kv-heads=4\n"; /* 13 */
    Lesson l = parse_ok(text);
    SlideSetup a = lesson_state_at(&l, 0), b = lesson_state_at(&l, 1), c = lesson_state_at(&l, 2);
    assert_int_equal(a.model.n_heads, 2);
    assert_int_equal(a.model.n_kv_heads, 1);
    assert_int_equal(a.model.window, 6);
    assert_int_equal(a.model.block_size, 4);
    assert_int_equal(a.mode, LESSON_MODE_MEMORY);
    assert_int_equal(a.point, POINT_BLOCKS);
    assert_int_equal(a.line[SET_KV_HEADS], 6);
    assert_int_equal(a.line[SET_WINDOW], 6);
    assert_int_equal(a.line[SET_BLOCK_SIZE], 6);
    assert_true(a.set & SETUP_MODEL_BITS);
    /* as on the command line: a given kv-heads stays when heads changes */
    assert_int_equal(b.model.n_heads, 4);
    assert_int_equal(b.model.n_kv_heads, 1);
    assert_int_equal(b.model.window, 6);
    assert_int_equal(b.point, POINT_TRAFFIC);
    assert_false(lesson_same_run(&a, &b));
    assert_int_equal(c.model.window, 0);
    assert_int_equal(c.model.block_size, 0);
    assert_int_equal(c.model.n_kv_heads, 4);
    assert_string_equal(lesson_mode_name(LESSON_MODE_MEMORY), "memory");
    assert_string_equal(lesson_point_name(POINT_TRAFFIC), "traffic");
    /* rope=on|off carries over, and is part of the run (spec §6.10) */
    {
        Lesson r = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\nprompt: my cat\ngen: 3\n"
                            "--- slide: B\nmodel: rope=on\n--- slide: C\nmodel: rope-offset-bug=on\n"
                            "--- slide: D\nmodel: rope=off rope-offset-bug=off\n");
        SlideSetup r0 = lesson_state_at(&r, 0), r1 = lesson_state_at(&r, 1);
        SlideSetup r2 = lesson_state_at(&r, 2), r3 = lesson_state_at(&r, 3);
        assert_false(r0.model.rope);
        assert_true(r1.model.rope && !r1.model.rope_offset_bug);
        assert_true(r2.model.rope && r2.model.rope_offset_bug);
        assert_false(r3.model.rope || r3.model.rope_offset_bug);
        assert_false(lesson_same_run(&r0, &r1));
        assert_false(lesson_same_run(&r1, &r2));
        assert_true(lesson_same_run(&r0, &r3));
        /* the rope counter: 2·n·(d + Hkv·dh) per layer; 0 without rope; part of total */
        EvalContext rc;
        char rerr[256];
        r1.go.kind = GOTO_END;
        if (eval_context_init(&rc, &r1, rerr, sizeof rerr)) fail_msg("%s", rerr);
        EXPECT(&rc, "macs(cache, rope, 0)", 2 * 2 * 6 * (8 + 8));
        EXPECT(&rc, "macs(cache, rope, 1, 1)", 2 * 1 * (8 + 8));
        EXPECT(&rc, "total(recompute, rope)", 2 * 2 * (6 + 7 + 8) * (8 + 8));
        EXPECT(&rc, "macs(cache, total, 1) - macs(cache, qkv, 1) - macs(cache, scores, 1) - "
                    "macs(cache, values, 1) - macs(cache, out_proj, 1) - macs(cache, ffn, 1) - "
                    "macs(cache, lm_head, 1)", 2 * 2 * (8 + 8));
        eval_context_free(&rc);
        if (eval_context_init(&rc, &r0, rerr, sizeof rerr)) fail_msg("%s", rerr);
        EXPECT(&rc, "total(cache, rope)", 0);
        eval_context_free(&rc);
        lesson_free(&r);
    }
    /* without kv-heads, K/V heads follow heads */
    Lesson m = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\nmodel: heads=4\n");
    SlideSetup s = lesson_state_at(&m, 0);
    assert_int_equal(s.model.n_kv_heads, 4);
    /* the memory view evaluates like the cache run */
    EvalContext ctx;
    char err[256];
    SlideSetup mem = lesson_state_at(&l, 0);
    mem.go.kind = GOTO_STEP_OP;
    mem.go.step = 1;
    mem.go.op = OP_APPEND;
    mem.go.layer = -1;
    if (eval_context_init(&ctx, &mem, err, sizeof err)) fail_msg("%s", err);
    EXPECT(&ctx, "n", 1);
    EXPECT(&ctx, "Hkv", 1);
    EXPECT(&ctx, "W", 6);
    EXPECT(&ctx, "B", 4);
    EXPECT(&ctx, "balance", 295);
    eval_context_free(&ctx);
    lesson_free(&m);
    lesson_free(&l);

    /* syntax errors at parse time, the CLI's messages when evaluated */
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: window=0\n", 6,
                "window 0: out of range; expected an integer from 1 to 65536, or none");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: block-size=x\n", 6,
                "block-size 'x': not a number; expected an integer from 1 to 65536, or none");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: kv-heads=none\n", 6,
                "kv-heads 'none': not a number");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: kv-heads=1 kv-heads=2\n",
                6, "model option 'kv-heads' given twice");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: blocksize=4\n", 6,
                "unknown model option 'blocksize'; expected d-model, heads, layers, d-ff, max-seq, "
                "seed, kv-heads, window, block-size, chunk, speculate, rope, rope-offset-bug, prefix-cache or weights");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: rope=1\n", 6,
                "rope '1': expected on or off");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: rope-offset-bug=yes\n", 6,
                "rope-offset-bug 'yes': expected on or off");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: chunk=0\n", 6,
                "chunk 0: out of range; expected an integer from 1 to 65536, or none");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmode: mem\n", 6,
                "mode 'mem': expected cache, recompute, compare, train or memory");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\npoint: pool\n", 6,
                "point 'pool': expected tokens, mask, attention, kvcache, ops, chart, pipeline, "
                "blocks, traffic or none");
}

static void test_model_option_errors(void **state)
{
    (void)state;
    expect_context_error("model: kv-heads=3\n",
                         "--kv-heads 3: must divide heads (2): 1 (multi-query) up to heads "
                         "(multi-head)", 6);
    expect_context_error("gen: 2\nmodel: heads=1 kv-heads=2\n",
                         "--kv-heads 2: must divide heads (1): 1 (multi-query) up to heads "
                         "(multi-head)", 7);
    expect_context_error("model: block-size=65\n",
                         "--block-size 65: must be between 1 and max-seq (64)", 6);
    expect_context_error("model: block-size=8 max-seq=4\nprompt: a\ngen: 1\n",
                         "--block-size 8: must be between 1 and max-seq (4)", 6);
    expect_context_error("model: rope-offset-bug=on\n",
                         "--rope-offset-bug: needs --rope (it shows rotary positions applied at the wrong place)", 6);
    expect_context_error("mode: memory\ngoto: step 0 op loss\n",
                         "goto: operation 'loss' does not run in memory mode", 7);
}

static double ceil_div(double a, double b) { return ceil(a / b); }

/* A batch (several prompt: lines; spec §6.4, §6.8): parsing, carrying over,
 * and every batch function against closed forms written here, on a grid of
 * block sizes, with and without prefix sharing. */
/* weights=trained (issue 11): the shipped model's shape and alphabet, its
 * errors, attn() and prev_match(); weights=random goes back to the full
 * alphabet. */
static void test_trained_weights(void **state)
{
    (void)state;
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: weights=models/default.kvsim\n",
                6, "weights 'models/default.kvsim': expected random (the seeded model of the shape options) "
                   "or trained (kvsim's shipped model); a lesson names no other model file");
    Lesson l = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\n"
                        "model: d-model=8 heads=2 layers=2 d-ff=32 max-seq=64 seed=42\nprompt: hello\ngen: 3\n"
                        "--- slide: B\nmodel: weights=trained\nprompt: 猫在床上睡觉。猫在\ngoto: step 0 end\n"
                        "--- slide: C\nmodel: window=6\n"
                        "--- slide: D\nmodel: weights=random\nprompt: hello\n");
    SlideSetup a = lesson_state_at(&l, 0), b = lesson_state_at(&l, 1), c = lesson_state_at(&l, 2),
               d = lesson_state_at(&l, 3);
    assert_false(a.trained);
    assert_true(b.trained && c.trained);
    assert_false(d.trained);
    assert_false(lesson_same_run(&b, &a));   /* the weights are part of the run */
    EvalContext ctx;
    char err[512];
    const ModelFile *f = NULL;
    assert_int_equal(lesson_trained_model(&f, err, sizeof err), 0);
    if (eval_context_init(&ctx, &b, err, sizeof err)) fail_msg("%s", err);
    /* the model's own shape, not the first slide's */
    EXPECT(&ctx, "d", f->model.cfg.d_model);
    EXPECT(&ctx, "V", f->model.cfg.vocab);
    EXPECT(&ctx, "Lyr", f->model.cfg.n_layers);
    EXPECT(&ctx, "L", 9);
    assert_true(ctx.model->cfg.weights == &f->model);
    /* prev_match: the latest earlier equal token, from the tokens alone */
    EXPECT(&ctx, "prev_match(8)", 1);    /* 在 */
    EXPECT(&ctx, "prev_match(7)", 0);    /* 猫 */
    EXPECT(&ctx, "prev_match(3)", -1);   /* 上 */
    /* attn: a softmax row, summing to 1 over the positions 0..pos */
    double sum = 0;
    for (int j = 0; j <= 8; j++) {
        char e[64];
        snprintf(e, sizeof e, "attn(1, 1, %d)", j);
        const double w = ev(&ctx, e);
        assert_true(w >= 0 && w <= 1);
        sum += w;
    }
    assert_true(fabs(sum - 1) < 1e-5);
    expect_eval_error(&ctx, "attn(1, 0, 9)", "position 9 out of range 0..8");
    expect_eval_error(&ctx, "attn(2, 0, 0)", "layer 2 out of range 0..1");
    eval_context_free(&ctx);
    /* a window: the query at 8 sees 3..8; the dropped positions weigh 0 */
    if (eval_context_init(&ctx, &c, err, sizeof err)) fail_msg("%s", err);
    EXPECT(&ctx, "W", 6);
    EXPECT(&ctx, "attn(1, 0, 2)", 0);
    EXPECT(&ctx, "attn(0, 0, 0) + attn(0, 1, 1)", 0);
    eval_context_free(&ctx);
    /* back to the random model and the full alphabet */
    if (eval_context_init(&ctx, &d, err, sizeof err)) fail_msg("%s", err);
    EXPECT(&ctx, "d", 8);
    EXPECT(&ctx, "V", tokenizer_full_vocab());
    eval_context_free(&ctx);
    lesson_free(&l);
    /* the model's alphabet, its positions and its learned position table */
    expect_context_error("model: weights=trained\nprompt: 海\n",
                         "--prompt: character '海' (U+6D77) at position 1 is not in the model's alphabet "
                         "(227 characters; kvsim export lists them)", 7);
    expect_context_error("model: weights=trained max-seq=100\n",
                         "--max-seq 100: the model default.kvsim has positions for 64 at most", 6);
    expect_context_error("model: weights=trained rope=on\n",
                         "--rope: the model default.kvsim was trained with learned positions, not rotary ones", 6);
    tokenizer_use_alphabet(NULL, 0);
}

static void test_batch(void **state)
{
    (void)state;
    /* prompt: lines of a slide replace the batch; a later single prompt: ends it */
    Lesson l = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\nprompt: ab\n"
                        "--- slide: B\nprompt: \"the cat \"\nprompt: the dog\nprompt: a cat\n"
                        "--- slide: C\ngen: 2\n--- slide: D\nprompt: one\n");
    SlideSetup a = lesson_state_at(&l, 0), b = lesson_state_at(&l, 1), c = lesson_state_at(&l, 2),
               d = lesson_state_at(&l, 3);
    assert_int_equal(a.n_batch, 0);
    assert_int_equal(b.n_batch, 2);
    assert_string_equal(b.prompt, "the cat ");
    assert_string_equal(b.batch[0], "the dog");
    assert_string_equal(b.batch[1], "a cat");
    assert_int_equal(c.n_batch, 2);           /* carried over */
    assert_int_equal(d.n_batch, 0);
    assert_false(lesson_same_run(&a, &b));
    SlideSetup b2 = b;
    b2.batch[1] = "a dog";
    assert_false(lesson_same_run(&b, &b2));   /* a further prompt is part of the run */
    lesson_free(&l);
    /* at most LESSON_MAX_PROMPTS */
    char big[2048] = "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n";
    for (int i = 0; i <= LESSON_MAX_PROMPTS; i++) strcat(big, "prompt: ab\n");
    PARSE_FAILS(big, 6 + LESSON_MAX_PROMPTS, "more than 8 prompt: lines in this slide (first on line 6)");
    /* a batch with chunk= or speculate= (§6.7, §6.9): each sequence its own
     * steps, in step lockstep; a sequence that finished computes no rows */
    for (int spec = 0; spec < 2; spec++) {
        Lesson m = parse_ok(spec ? "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n"
                                   "model: d-model=8 speculate=2\ngen: 6\nprompt: abcabcabc\nprompt: xy\n"
                                 : "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n"
                                   "model: d-model=8 chunk=3\ngen: 2\nprompt: abcdefgh\nprompt: xy\n");
        SlideSetup s = lesson_state_at(&m, 0);
        EvalContext ctx;
        char err[256];
        if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
        if (!spec) {
            /* abcdefgh: chunks 3, 3, 2 then one decode row; xy: its prefill, one decode row, then done */
            const int rows0[] = {3, 3, 2, 1}, rows1[] = {2, 1, 0, 0};
            for (int k = 0; k < 4; k++) {
                char e0[32], e1[32];
                snprintf(e0, sizeof e0, "seq_rows(0, %d)", k);
                snprintf(e1, sizeof e1, "seq_rows(1, %d)", k);
                EXPECT(&ctx, e0, rows0[k]);
                EXPECT(&ctx, e1, rows1[k]);
            }
            EXPECT(&ctx, "seq_macs(1, scores, 0)", 2 * 2 * 8 * 2);   /* n·t·d per layer, 2 layers */
        } else {
            EXPECT(&ctx, "seq_rows(1, 0)", 2);                        /* xy's prefill */
            EXPECT(&ctx, "seq_rows(0, 0)", 9);
        }
        eval_context_free(&ctx);
        lesson_free(&m);
    }
    /* the command line's refusals */
    /* (--prefix-cache with --window is valid since pwin's 1d177b7) */
    expect_context_error("model: prefix-cache=on\n",
                         "--prefix-cache: needs --block-size B (prefix sharing shares whole blocks of the pool)", 6);

    static const char *const prompts[] = {"the cat sat on", "the cat sat in the sun", "the cat ran",
                                          "a dog"};
    const int d_model = 8, H = 2, Lyr = 2, F = 32, G = 3, Ls[] = {14, 22, 11, 5};
    int checks = 0;
    for (int B = 1; B <= 8; B++)
        for (int share = 0; share < 2; share++) {
            char text[1024];
            snprintf(text, sizeof text, "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n"
                     "model: d-model=%d heads=%d layers=%d d-ff=%d block-size=%d prefix-cache=%s\n"
                     "gen: %d\nprompt: %s\nprompt: %s\nprompt: %s\nprompt: %s\n",
                     d_model, H, Lyr, F, B, share ? "on" : "off", G, prompts[0], prompts[1], prompts[2],
                     prompts[3]);
            Lesson m = parse_ok(text);
            SlideSetup s = lesson_state_at(&m, 0);
            EvalContext ctx;
            char err[256];
            if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
            EXPECT(&ctx, "Nseq", 4);
            double blocks0 = 0, shared_blocks = 0;
            for (int q = 0; q < 4; q++) {
                /* §6.8: the longest common prefix c with an earlier prompt, B·⌊c/B⌋, < L */
                int best = 0;
                for (int j = 0; share && j < q; j++) {
                    int cp = 0;
                    while (prompts[j][cp] && prompts[q][cp] == prompts[j][cp]) cp++;
                    int rows = B * (cp / B);
                    if (rows > Ls[q] - 1) rows = Ls[q] - 1;
                    if (rows > best) best = rows;
                }
                char e[64];
                snprintf(e, sizeof e, "prompt_len(%d)", q);
                EXPECT(&ctx, e, Ls[q]);
                snprintf(e, sizeof e, "shared_rows(%d)", q);
                EXPECT(&ctx, e, best);
                const double n = Ls[q] - best;
                snprintf(e, sizeof e, "seq_rows(%d, 0)", q);
                EXPECT(&ctx, e, n);
                snprintf(e, sizeof e, "seq_rows(%d, 1)", q);
                EXPECT(&ctx, e, 1);
                snprintf(e, sizeof e, "seq_macs(%d, scores, 0)", q);
                EXPECT(&ctx, e, Lyr * n * Ls[q] * d_model);
                snprintf(e, sizeof e, "seq_macs(%d, qkv, 0)", q);
                EXPECT(&ctx, e, Lyr * n * 3 * d_model * d_model);
                snprintf(e, sizeof e, "seq_macs(%d, qkv, 2)", q);
                EXPECT(&ctx, e, Lyr * 3 * d_model * d_model);
                snprintf(e, sizeof e, "seq_blocks(%d, 2)", q);
                EXPECT(&ctx, e, ceil_div(Ls[q] + 2, B));
                blocks0 += ceil_div(Ls[q], B);
                shared_blocks += best / B;   /* a capped share (L − 1 rows) still holds whole blocks */
                checks += 8;
            }
            /* sequence 0's own functions are those of the prompt alone */
            EXPECT(&ctx, "macs(cache, qkv, 0)", Lyr * Ls[0] * 3 * d_model * d_model);
            EXPECT(&ctx, "pool_blocks(0)", blocks0 - shared_blocks);
            EXPECT(&ctx, "pool_reserved(0)", (blocks0 - shared_blocks) * B * 2 * Lyr * d_model * 4);
            EXPECT(&ctx, "block_refs(0, 0)", share ? 3 : 1);   /* "the cat " (8) covers block 0 for every B <= 8 */
            checks += 4;
            eval_context_free(&ctx);
            lesson_free(&m);
        }
    print_message("batch functions: %d checks against the closed forms\n", checks);
}

/* Every memory function against spec §6.2-6.5 and docs/memory.md, written
 * out here: bytes per position, blocks of a windowed pool, and the traffic
 * of each step of each mode. W = 0: no window; B = 0: no paging. */
static void check_memory(EvalContext *c, int d, int H, int Hkv, int Lyr, int F, int L, int G,
                         int W, int B)
{
    const double V = tokenizer_vocab(), dh = (double)d / H, kv = Hkv * dh;
    const double bpp = 2.0 * Lyr * kv * 4;   /* bytes per cached position */
    const double matrices = Lyr * (2.0 * d * d + 2.0 * d * kv + 2.0 * d * F) * 4 + d * V * 4;
    char e[128];
    EXPECT(c, "Hkv", Hkv);
    EXPECT(c, "W", W);
    EXPECT(c, "B", B);
    for (int k = 0; k < G; k++) {
        const double t = L + k, kept = W ? fmin(t, W) : t;
        snprintf(e, sizeof e, "kv_bytes(%d)", k);
        EXPECT(c, e, kept * bpp);
        if (B) {
            const double blocks = ceil_div(t, B) - (W ? floor(fmax(0, t - W) / B) : 0);
            snprintf(e, sizeof e, "kv_blocks(%d)", k);
            EXPECT(c, e, blocks);
            snprintf(e, sizeof e, "kv_reserved(%d)", k);
            EXPECT(c, e, blocks * B * bpp);
            snprintf(e, sizeof e, "kv_waste(%d)", k);
            EXPECT(c, e, blocks * B * bpp - kept * bpp);
        }
        /* cache: prefill n = L over the dense block; decode n = 1 over min(t, W) keys */
        const double n = k == 0 ? L : 1;
        const double s = (k > 0 && W && t > W) ? W : t;
        const double macs_c = Lyr * (n * d * d + 2 * n * d * kv + 2 * n * s * d + n * d * d +
                                     2 * n * d * F) + d * V;
        const double wc = matrices + 2 * n * d * 4, rc = Lyr * s * kv * 8;
        snprintf(e, sizeof e, "weight_bytes(cache, %d)", k);
        EXPECT(c, e, wc);
        snprintf(e, sizeof e, "kv_read(cache, %d)", k);
        EXPECT(c, e, rc);
        snprintf(e, sizeof e, "kv_written(cache, %d)", k);
        EXPECT(c, e, Lyr * (W ? fmin(n, W) : n) * kv * 8);
        snprintf(e, sizeof e, "intensity(cache, %d)", k);
        EXPECT(c, e, 2 * macs_c / (wc + rc));
        /* recompute: every step is a dense pass over t rows; nothing written */
        const double macs_r = Lyr * (t * d * d + 2 * t * d * kv + 2 * t * t * d + t * d * d +
                                     2 * t * d * F) + d * V;
        const double wr = matrices + 2 * t * d * 4, rr = Lyr * t * kv * 8;
        snprintf(e, sizeof e, "weight_bytes(recompute, %d)", k);
        EXPECT(c, e, wr);
        snprintf(e, sizeof e, "kv_read(recompute, %d)", k);
        EXPECT(c, e, rr);
        snprintf(e, sizeof e, "kv_written(recompute, %d)", k);
        EXPECT(c, e, 0);
        snprintf(e, sizeof e, "intensity(recompute, %d)", k);
        EXPECT(c, e, 2 * macs_r / (wr + rr));
    }
    /* train: one pass over L rows, the head at every position */
    const double macs_t = Lyr * (L * d * d + 2.0 * L * d * kv + 2.0 * L * L * d + L * d * d +
                                 2.0 * L * d * F) + L * d * V;
    const double wt = matrices + 2.0 * L * d * 4, rt = Lyr * (double)L * kv * 8;
    EXPECT(c, "weight_bytes(train, 0)", wt);
    EXPECT(c, "kv_read(train, 0)", rt);
    EXPECT(c, "kv_written(train, 0)", 0);
    EXPECT(c, "intensity(train, 0)", 2 * macs_t / (wt + rt));
}

static void test_memory_functions_grid(void **state)
{
    (void)state;
    static const struct {
        const char *model, *prompt;
        int d, H, Hkv, Lyr, F, L, G, W, B;
    } cases[] = {
        /* the default model, MQA, a prefill longer than the window, blocks of 4 */
        {"kv-heads=1 window=6 block-size=4", "the cat sat", 8, 2, 1, 2, 32, 11, 6, 6, 4},
        {"d-model=12 heads=4 kv-heads=2 layers=3 d-ff=20 block-size=3", "hello", 12, 4, 2, 3, 20,
         5, 9, 0, 3},
        {"layers=1 d-ff=16 window=5 block-size=1", "预填充", 8, 2, 2, 1, 16, 3, 10, 5, 1},
        {"d-model=6 heads=3 layers=2 d-ff=7 max-seq=12 block-size=12", "ab", 6, 3, 3, 2, 7, 2,
         10, 0, 12},
        {"window=3", "hello", 8, 2, 2, 2, 32, 5, 4, 3, 0},
        {"", "my cat", 8, 2, 2, 2, 32, 6, 4, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], err[512];
        snprintf(text, sizeof text,
                 "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n%s%s%sprompt: %s\ngen: %d\n",
                 cases[i].model[0] ? "model: " : "", cases[i].model, cases[i].model[0] ? "\n" : "",
                 cases[i].prompt, cases[i].G);
        Lesson l = parse_ok(text);
        SlideSetup s = lesson_state_at(&l, 0);
        EvalContext ctx;
        if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
        check_memory(&ctx, cases[i].d, cases[i].H, cases[i].Hkv, cases[i].Lyr, cases[i].F,
                     cases[i].L, cases[i].G, cases[i].W, cases[i].B);
        if (!cases[i].B) {
            double v;
            assert_int_equal(eval_expr(&ctx, "kv_blocks(0)", &v, err, sizeof err), -1);
            assert_non_null(strstr(err, "the cache is not paged in this set-up; add block-size=B"));
        }
        eval_context_free(&ctx);
        lesson_free(&l);
    }
}

/* calc(): the figures of spec §6.6, docs/calc.md and the papers they cite. */
static void test_calc_functions(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    /* Llama-2-7B fp16: 2·32·4096·2 = 524,288 B per token, 2 GiB at 4096 */
    EXPECT(c, "calc(llama-2-7b, kv_bytes_per_token)", 524288);
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 4096)", 2147483648.0);
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 4096) / 2^30", 2);
    EXPECT(c, "calc( llama-2-7b , kv_cache_bytes )", 2147483648.0);   /* default T: 4096 */
    /* OPT-13B: 800 KiB per token, 1.6 GB for 2048 tokens (vLLM paper) */
    EXPECT(c, "calc(opt-13b, kv_bytes_per_token)", 819200);
    EXPECT(c, "calc(opt-13b, kv_cache_bytes, 2048)", 1677721600.0);
    /* the curriculum's 17.2 GB with 32 K/V heads, 4.3 GB with 8, at 32k in 16 bits */
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 32768)", 17179869184.0);
    EXPECT(c, "calc(llama-3-8b, kv_cache_bytes, 32768)", 4294967296.0);
    /* Mistral's window caps the cache at 4096 positions: 512 MiB */
    EXPECT(c, "calc(mistral-7b, kv_positions, 32768)", 4096);
    EXPECT(c, "calc(mistral-7b, kv_cache_bytes, 32768)", 536870912.0);
    EXPECT(c, "calc(mistral-7b, kv_cache_bytes, 1000)", 131072000.0);
    /* bytes per number and batch */
    EXPECT(c, "calc(llama-2-7b, kv_bytes_per_token, 4096, 4)", 1048576);
    EXPECT(c, "calc(llama-2-7b, kv_bytes_per_token, 4096, 1)", 262144);
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 4096, 2, 8)", 8 * 2147483648.0);
    EXPECT(c, "calc(llama-2-7b, batch, 4096, 2, 8)", 8);
    /* defaults: the model's trained context, 2 bytes, batch 1 */
    EXPECT(c, "calc(llama-2-7b, context)", 4096);
    EXPECT(c, "calc(mistral-7b, context)", 32768);
    EXPECT(c, "calc(gpt2, context)", 1024);
    EXPECT(c, "calc(gpt2, bytes_per_number)", 2);
    EXPECT(c, "calc(gpt2, batch)", 1);
    /* shapes (papers' tables) and parameter counts (docs/calc.md §3.2) */
    EXPECT(c, "calc(llama-3-8b, n_kv_heads)", 8);
    EXPECT(c, "calc(llama-3-8b, n_heads) / calc(llama-3-8b, n_kv_heads)", 4);
    EXPECT(c, "calc(opt-13b, n_layers) + calc(opt-13b, d_model)", 40 + 5120);
    EXPECT(c, "calc(llama-2-7b, d_head)", 128);
    EXPECT(c, "calc(mistral-7b, window)", 4096);
    EXPECT(c, "calc(gpt2, params)", 124439808);
    EXPECT(c, "calc(llama-2-7b, params)", 6738415616.0);
    EXPECT(c, "calc(llama-3-8b, params)", 8030261248.0);
    EXPECT(c, "calc(llama-2-7b, weights_bytes)", 2 * 6738415616.0);
    /* decode with the cache, Llama-2-7B at 4096 (docs/calc.md §3.3, by hand) */
    EXPECT(c, "calc(llama-2-7b, flops_per_token_decode_cache)", 15361638400.0);
    EXPECT(c, "calc(llama-2-7b, decode_kv_bytes_read)", 2147483648.0);
    EXPECT(c, "calc(llama-2-7b, decode_kv_bytes_written)", 524288);
    EXPECT(c, "calc(llama-2-7b, machine_balance)", 295);
    assert_true(fabs(ev(c, "calc(llama-2-7b, arithmetic_intensity)") - 0.999931) < 1e-6);
    /* batching: 440 for Llama-3-8B at 128 (§3.5); none for Llama-2-7B at 4096 */
    EXPECT(c, "calc(llama-3-8b, decode_batch_for_balance, 128)", 440);
    EXPECT(c, "calc(llama-2-7b, decode_batch_for_balance, 4096)", 0);
    assert_true(ev(c, "calc(llama-3-8b, arithmetic_intensity, 128, 2, 440)") >= 295);
    assert_true(ev(c, "calc(llama-3-8b, arithmetic_intensity, 128, 2, 439)") < 295);
    /* paging closed forms, and plain arithmetic */
    EXPECT(c, "blocks_for(11, 4)", 3);
    EXPECT(c, "blocks_for(12, 4)", 3);
    EXPECT(c, "blocks_for(0, 4)", 0);
    EXPECT(c, "blocks_for(1000, 16)", 63);
    EXPECT(c, "waste_for(11, 4, 1) + waste_for(2, 4, 1) + waste_for(15, 4, 1)", 4);
    EXPECT(c, "waste_for(11, 4, 128)", 128);
    EXPECT(c, "waste_for(1000, 16, calc(opt-13b, kv_bytes_per_token))", 8 * 819200.0);
    EXPECT(c, "min(3, L) + max(3, L)", 8);
    EXPECT(c, "ceil(2.1) + floor(2.9) + ceil(-0.5)", 5);
    EXPECT(c, "round(2.5) + round(-2.5)", 0);
    EXPECT(c, "round(12.55134, 2)", 12.55);
    EXPECT(c, "round(1/3, 4)", 0.3333);
}

static void test_memory_errors(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    expect_eval_error(c, "calc(gpt-5, params)", "unknown model 'gpt-5' at column 6; expected gpt2, "
                                                "llama-2-7b, llama-3-8b, mistral-7b, opt-13b");
    expect_eval_error(c, "calc(llama-2-7b-chat, params)", "unknown model 'llama-2-7b-chat'");
    expect_eval_error(c, "calc(llama, params)", "unknown model 'llama'");
    expect_eval_error(c, "calc(2, params)", "calc: argument 1 must be a model name");
    expect_eval_error(c, "calc(llama-2-7b, kv_bytes)", "unknown calc field 'kv_bytes' at column 18");
    expect_eval_error(c, "calc(llama-2-7b, 3)", "calc: argument 2 must be a calc field");
    expect_eval_error(c, "calc(llama-2-7b)", "calc() takes 2 to 5 arguments");
    expect_eval_error(c, "calc(llama-2-7b, params, 1, 2, 3, 4)", "calc() takes 2 to 5 arguments");
    expect_eval_error(c, "calc(llama-2-7b, params, 0)", "context = 0 must be a whole number");
    expect_eval_error(c, "calc(llama-2-7b, params, 10.5)", "context = 10.5 must be a whole number");
    expect_eval_error(c, "calc(llama-2-7b, params, 4096, 3)",
                      "bytes per number 3; expected 4 (fp32), 2 (fp16, bf16) or 1 (int8)");
    expect_eval_error(c, "calc(llama-2-7b, params, 4096, 2, 0)", "batch = 0 must be a whole number");
    expect_eval_error(c, "calc(llama-2-7b, params, 1e12)", "would overflow 64 bits");
    expect_eval_error(c, "llama-2-7b", "unknown name 'llama'");
    expect_eval_error(c, "kv_blocks(0)", "the cache is not paged in this set-up");
    expect_eval_error(c, "kv_waste(9)", "step 9 out of range 0..3");
    expect_eval_error(c, "intensity(cache, 4)", "step 4 out of range 0..3");
    expect_eval_error(c, "kv_read(train, 1)", "step 1 out of range 0..0");
    expect_eval_error(c, "weight_bytes(memory, 0)", "unknown mode 'memory'");
    expect_eval_error(c, "kv_written(0)", "argument 1 must be a mode");
    expect_eval_error(c, "blocks_for(1, 0)", "blocks_for(): B = 0 must be a whole number >= 1");
    expect_eval_error(c, "blocks_for(-1, 4)", "blocks_for(): T = -1 must be a whole number >= 0");
    expect_eval_error(c, "waste_for(1, 4, -2)", "waste_for(): BYTES = -2 must be >= 0");
    expect_eval_error(c, "waste_for(1, 4)", "waste_for() takes 3 arguments");
    expect_eval_error(c, "round(1, 10)", "digits 10 out of range 0..9");
    expect_eval_error(c, "round(1, 2, 3)", "round() takes 1 or 2 arguments");
    expect_eval_error(c, "min(1)", "min() takes 2 arguments");
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

static void expect_context_error(const char *directives, const char *message, int line)
{
    char text[512], err[512];
    snprintf(text, sizeof text, "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n%s", directives);
    Lesson l = parse_ok(text);
    SlideSetup s = lesson_state_at(&l, 0);
    EvalContext ctx;
    assert_int_equal(eval_context_init(&ctx, &s, err, sizeof err), -1);
    if (strcmp(err, message)) fail_msg("got \"%s\"; expected \"%s\"", err, message);
    assert_int_equal(ctx.fail_line, line);
    eval_context_free(&ctx);
    lesson_free(&l);
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

/* ---- check and print ----------------------------------------------------- */

static void test_check_and_print(void **state)
{
    (void)state;
    Lesson l = parse_ok(DOC_EXAMPLE);
    char err[512], *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(lesson_check(&l, f, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(len, 0);
    assert_string_equal(err, "");
    free(buf);

    f = open_memstream(&buf, &len);
    assert_int_equal(lesson_print(&l, f, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "Lesson 2: The causal mask\n"));
    assert_non_null(strstr(buf, "1. The lower triangle\n"));
    assert_non_null(strstr(buf, "\nDuring prefill the model reads all five prompt tokens at once. "
                                "Each row of the grid"));
    assert_non_null(strstr(buf, "\nQ: How many cells of one head's 5×5 grid are visible after "
                                "prefill?\nA: 15\n"));
    assert_non_null(strstr(buf, "\nHint: Count the diagonal and everything below it.\n"));
    assert_non_null(strstr(buf, "\nExplanation: Row i sees i+1 cells, so 1+2+3+4+5 = 15.\n"));
    assert_non_null(strstr(buf, "\n2. Next\n\n...\n"));
    free(buf);
    lesson_free(&l);

    /* several problems: each reported once, in order, as path:line: */
    const char *bad = "lesson: 1\nid: x\nlang: en\ntitle: T\n"
                      "--- slide: A\ngen: 2\nThere are {G+} steps.\n"   /* 5-7 */
                      "? Q\n= macs(cache, ffn, 2)\n"                   /* 8-9 */
                      "--- slide: B\nmodel: heads=3\nText.\n"          /* 10-12 */
                      "--- slide: C\nStill bad.\n"                     /* 13-14 */
                      "--- slide: D\nmodel: heads=2\n? R\n= 1/4\ntolerance: 0.1\n"; /* 15-19 */
    l = parse_ok(bad);
    f = open_memstream(&buf, &len);
    assert_int_equal(lesson_check(&l, f, err, sizeof err), 3);
    fclose(f);
    assert_string_equal(buf,
                        "t.lesson:7: {G+}: unexpected end of the expression; expected a number, "
                        "a name, a function or '('\n"
                        "t.lesson:9: step 2 out of range 0..1\n"
                        "t.lesson:11: --heads 3: d-model (8) must be divisible by heads\n");
    assert_string_equal(err, "t.lesson:7: {G+}: unexpected end of the expression; expected a "
                             "number, a name, a function or '('");
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(lesson_print(&l, f, err, sizeof err), -1);
    fclose(f);
    free(buf);
    assert_string_equal(err, "t.lesson:7: {G+}: unexpected end of the expression; expected a "
                             "number, a name, a function or '('");
    lesson_free(&l);
}


/* ---- choice questions, keyed hints, typed answers (issue 14) -------------- */

#define HDR "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
#define HDR_ZH "lesson: 1\nid: x\nlang: zh\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"

static char *print_of(const Lesson *l)
{
    char err[512], *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (lesson_print(l, f, err, sizeof err)) fail_msg("%s", err);
    fclose(f);
    return buf;
}

static int check_count(const Lesson *l, char **report)
{
    char err[512];
    size_t len = 0;
    FILE *f = open_memstream(report, &len);
    assert_non_null(f);
    int n = lesson_check(l, f, err, sizeof err);
    fclose(f);
    return n;
}

static void test_choice_questions(void **state)
{
    (void)state;
    Lesson l = parse_ok(HDR "? What does the prefill do with the cache?\n"
                            "choice: a It reads the keys of the prompt.\n"
                            "choice: b It writes them: {L} rows per table.\n"
                            "choice: c Nothing.\n"
                            "= b\n"
                            "wrong: a -> The cache is empty before the prefill.\n"
                            "wrong: c → Decode reads what the prefill stored.\n"
                            "hint: Which phase runs first?\n");
    const Question *q = &l.slides[0].question;
    assert_int_equal(q->n_choices, 3);
    assert_int_equal(q->choices[1].key, 'b');
    assert_string_equal(q->choices[1].text, "It writes them: {L} rows per table.");
    assert_int_equal(q->choices[2].line, 11);
    assert_int_equal(q->correct, 'b');
    assert_int_equal(q->n_wrong, 2);
    assert_string_equal(q->wrong[0].value, "a");
    assert_string_equal(q->wrong[0].text, "The cache is empty before the prefill.");
    assert_string_equal(q->wrong[1].value, "c");
    assert_string_equal(q->wrong[1].text, "Decode reads what the prefill stored.");
    assert_int_equal(q->wrong[1].line, 14);
    assert_true(lesson_find_choice(q, 'B') == &q->choices[1]);
    assert_null(lesson_find_choice(q, 'd'));
    assert_true(lesson_choice_value('B') == lesson_choice_value('b'));
    assert_true(lesson_answer_ok(lesson_choice_value(q->correct), 0, lesson_choice_value('B')));
    assert_false(lesson_answer_ok(lesson_choice_value(q->correct), 0, lesson_choice_value('a')));
    char *report = NULL;
    assert_int_equal(check_count(&l, &report), 0);
    free(report);
    char *out = print_of(&l);
    assert_non_null(strstr(out, "Q: What does the prefill do with the cache?\n"
                                "  a) It reads the keys of the prompt.\n"
                                "  b) It writes them: 5 rows per table.\n"
                                "  c) Nothing.\n"
                                "A: b\n"
                                "If a: The cache is empty before the prefill.\n"
                                "If c: Decode reads what the prefill stored.\n"
                                "Hint: Which phase runs first?\n"));
    free(out);
    lesson_free(&l);

    /* true/false, in both languages */
    l = parse_ok(HDR "? True or false: a decode row needs the mask.\nchoices: true-false\n= f\n");
    q = &l.slides[0].question;
    assert_int_equal(q->n_choices, 2);
    assert_int_equal(q->choices[0].key, 't');
    assert_string_equal(q->choices[0].text, "true");
    assert_string_equal(q->choices[1].text, "false");
    assert_int_equal(q->correct, 'f');
    out = print_of(&l);
    assert_non_null(strstr(out, "  t) true\n  f) false\nA: f\n"));
    free(out);
    lesson_free(&l);
    l = parse_ok(HDR_ZH "? 判断：解码这一行需要掩码。\nchoices: true-false\n= f\nwrong: t -> 它看得见每个键。\n");
    q = &l.slides[0].question;
    assert_string_equal(q->choices[0].text, "对");
    assert_string_equal(q->choices[1].text, "错");
    out = print_of(&l);
    assert_non_null(strstr(out, "  t) 对\n  f) 错\nA: f\n若答 t：它看得见每个键。\n"));
    free(out);
    lesson_free(&l);

    /* errors */
    PARSE_FAILS(HDR "? Q\nchoice: a one\n= a\n", 9, "at least 2 'choice:' lines");
    PARSE_FAILS(HDR "? Q\nchoice: a one\nchoice: b two\n= c\n", 11,
                "'= c': a choice question's answer is one of its keys (a or b)");
    PARSE_FAILS(HDR "? Q\nchoice: a one\nchoice: b two\n= 1+1\n", 11, "one of its keys");
    PARSE_FAILS(HDR "? Q\nchoice: a one\nchoice: a two\n= a\n", 10, "duplicate choice 'a' (first on line 9)");
    PARSE_FAILS(HDR "? Q\nchoice: ab one\n= a\n", 9, "expected a key letter a-z");
    PARSE_FAILS(HDR "? Q\nchoice: A one\n= a\n", 9, "expected a key letter a-z");
    PARSE_FAILS(HDR "? Q\nchoices: yes-no\n= a\n", 9, "expected true-false");
    PARSE_FAILS(HDR "? Q\nchoices: true-false\n= t\ntolerance: 1\n", 11, "'tolerance:' in a choice question");
    PARSE_FAILS(HDR "? Q\nchoices: true-false\n= t\nwrong: t -> no\n", 11, "names the right answer");
    PARSE_FAILS(HDR "? Q\nchoices: true-false\n= t\nwrong: x -> no\n", 11, "the value is one of the keys");
    PARSE_FAILS(HDR "choice: a x\n? Q\n= 1\n", 8, "'choice:' before the question");
    PARSE_FAILS(HDR "? Q\n= 1\nwrong: 2\n", 10, "expected 'VALUE -> HINT'");
    PARSE_FAILS(HDR "? Q\n= 1\nwrong: -> hint\n", 10, "needs a value before the arrow");
    PARSE_FAILS(HDR "? Q\n= 1\nwrong: 2 ->  \n", 10, "needs a hint after the arrow");
    PARSE_FAILS(HDR "? Q\n= 1\nreveal-ok: a\nreveal-ok: b\n", 11, "duplicate 'reveal-ok:'");
    char many[2048];
    snprintf(many, sizeof many, "%s? Q\n", HDR);
    for (int i = 0; i < LESSON_MAX_CHOICES + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "choice: %c x\n", 'a' + i);
    strcat(many, "= a\n");
    PARSE_FAILS(many, 9 + LESSON_MAX_CHOICES, "more than 8 choices");
    snprintf(many, sizeof many, "%s? Q\n= 1\n", HDR);
    for (int i = 0; i < LESSON_MAX_HINTS + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "wrong: %d -> x\n", i + 2);
    PARSE_FAILS(many, 10 + LESSON_MAX_HINTS, "more than 16 'wrong:' lines");
}

static void test_keyed_hints(void **state)
{
    (void)state;
    /* values are expressions of the slide's state: L*L is 25 for "hello" */
    Lesson l = parse_ok(HDR "goto: step 0 end\n? Visible cells?\n= visible(0)\n"
                            "wrong: L*L -> You counted the masked cells too ({L*L}).\n"
                            "wrong: 10 → That is the hidden part.\n"
                            "hint: Generic.\n");
    const Question *q = &l.slides[0].question;
    assert_int_equal(q->n_wrong, 2);
    assert_string_equal(q->wrong[0].value, "L*L");
    char *report = NULL;
    assert_int_equal(check_count(&l, &report), 0);
    free(report);
    char *out = print_of(&l);
    assert_non_null(strstr(out, "A: 15\nIf 25: You counted the masked cells too (25).\n"
                                "If 10: That is the hidden part.\nHint: Generic.\n"));
    free(out);
    lesson_free(&l);

    /* lesson check: a keyed value the question accepts, a broken one */
    l = parse_ok(HDR "goto: step 0 end\n? Q\n= visible(0)\ntolerance: 1\n"
                     "wrong: 16 -> close\nwrong: L* -> broken\nwrong: 3 -> {nope}\n");
    assert_int_equal(check_count(&l, &report), 3);
    assert_string_equal(report,
                        "t.lesson:12: 'wrong: 16' is 16, which the question accepts as right\n"
                        "t.lesson:13: wrong: unexpected end of the expression; expected a number, "
                        "a name, a function or '('\n"
                        "t.lesson:14: {nope}: unknown name 'nope'; expected d, H, dh, Lyr, F, V, "
                        "N, L, G, k, n, t, pos, Hkv, W, B, balance or Nseq, a number or a function\n");
    free(report);
    lesson_free(&l);
}

static void test_typed_answers(void **state)
{
    (void)state;
    struct { const char *in; double want; } ok[] = {
        {"15", 15}, {" 15 ", 15}, {"2/5", 0.4}, {"1e3", 1000}, {"3*8", 24}, {"-2^2", -4},
        {"(1+2)*3", 9}, {".5", 0.5}, {"524,288", 524288}, {"1,073,741,824", 1073741824},
        {"2^31/2^30", 2}, {"7 % 4", 3},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        char err[256];
        if (eval_number(ok[i].in, &v, err, sizeof err)) fail_msg("%s: %s", ok[i].in, err);
        if (fabs(v - ok[i].want) > 1e-12) fail_msg("%s read as %g, not %g", ok[i].in, v, ok[i].want);
    }
    /* before issue 14, "2/5" was typed as "25": the '/' was dropped */
    double v;
    char err[256];
    assert_int_equal(eval_number("2/5", &v, err, sizeof err), 0);
    assert_true(v != 25);
    struct { const char *in, *msg; } bad[] = {
        {"", "empty expression"},
        {"L", "'L' at column 1: an answer holds only numbers"},
        {"visible(0)", "'visible' at column 1: an answer holds only numbers"},
        {"2/0", "division by zero at column 2"},
        {"1,5", "unexpected ','"},
        {"3*", "unexpected end of the expression; expected a number or '('"},
        {"1e999", "too long or too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!eval_number(bad[i].in, &v, err, sizeof err)) fail_msg("'%s' accepted as %g", bad[i].in, v);
        if (!strstr(err, bad[i].msg)) fail_msg("'%s': got \"%s\", expected \"%s\"", bad[i].in, err, bad[i].msg);
    }
    char longer[300];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(eval_number(longer, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "answer longer than"));
}


/* ---- the zh glossary (issue 14) ------------------------------------------ */

static void test_glossary(void **state)
{
    (void)state;
    /* variants are warned about, with the right term; glosses, code and
     * templates are not; an en lesson is not checked */
    Lesson l = parse_ok("lesson: 1\nid: x\nlang: zh\ntitle: 预填充\n--- slide: S\nprompt: hello\n"
                        "这些格子被屏蔽了。\n\n"                               /* 7 */
                        "词元（token）可以注释一次；`kvsim --prompt token` 是代码。\n\n"
                        "模型的 token 和 prefill 都不该出现，KV Cache 也不该。\n\n"  /* 11 */
                        "分组查询注意力不是组查询注意力的误报。预填充不是预填。\n"  /* 13 */
                        "? 多少？\n= kv_bytes(0)\nhint: {kv_bytes(0)} 字节，不要写键值缓存。\n");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int n = glossary_check(&l, f);
    fclose(f);
    assert_string_equal(buf,
        "t.lesson:7: warning: '屏蔽' is not the glossary's term; write '被掩码' (masked (cell, product)), see docs/glossary.md\n"
        "t.lesson:11: warning: 'token' is not the glossary's term; write '词元' (token), see docs/glossary.md\n"
        "t.lesson:11: warning: 'prefill' is not the glossary's term; write '预填充' (prefill), see docs/glossary.md\n"
        "t.lesson:11: warning: 'KV cache' is not the glossary's term; write 'KV 缓存' (KV cache), see docs/glossary.md\n"
        "t.lesson:13: warning: '组查询注意力' is not the glossary's term; write '分组查询注意力' (grouped-query attention (GQA)), see docs/glossary.md\n"
        "t.lesson:13: warning: '预填' is not the glossary's term; write '预填充' (prefill), see docs/glossary.md\n"
        "t.lesson:16: warning: '键值缓存' is not the glossary's term; write 'KV 缓存' (KV cache), see docs/glossary.md\n");
    assert_int_equal(n, 7);
    free(buf);
    /* warnings do not make lesson_check fail, but it prints them */
    f = open_memstream(&buf, &len);
    char err[512];
    assert_int_equal(lesson_check(&l, f, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "t.lesson:7: warning: '屏蔽'"));
    free(buf);
    lesson_free(&l);
    l = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nThe prefill token 屏蔽.\n");
    assert_int_equal(glossary_check(&l, NULL), 0);
    lesson_free(&l);

    /* every term of the table is in docs/glossary.md */
    FILE *g = fopen("docs/glossary.md", "r");
    if (!g) fail_msg("docs/glossary.md: cannot open (run from the repository root)");
    static char doc[65536];
    size_t got = fread(doc, 1, sizeof doc - 1, g);
    fclose(g);
    doc[got] = '\0';
    int nt;
    const GlossaryTerm *t = glossary_terms(&nt);
    assert_true(nt >= 20);
    for (int i = 0; i < nt; i++) {
        char row[512];
        snprintf(row, sizeof row, "| %s | %s |", t[i].en, t[i].zh);
        if (!strstr(doc, row)) fail_msg("docs/glossary.md lacks the row \"%s\"", row);
    }
    /* the curriculum's six core terms */
    const char *core[][2] = {{"prefill", "预填充"}, {"decode, decoding", "解码"}, {"KV cache", "KV 缓存"},
                             {"causal mask", "因果掩码"}, {"autoregressive", "自回归"},
                             {"teacher forcing", "教师强制"}};
    for (size_t c = 0; c < sizeof core / sizeof core[0]; c++) {
        bool found = false;
        for (int i = 0; i < nt; i++) found |= !strcmp(t[i].en, core[c][0]) && !strcmp(t[i].zh, core[c][1]);
        if (!found) fail_msg("glossary lacks %s = %s", core[c][0], core[c][1]);
    }
}

/* ---- broken files -------------------------------------------------------- */

static char *dir_of_tests(void)
{
    /* __FILE__ is "tests/test_lesson.c" when built by the Makefile */
    static char dir[512];
    const char *slash = strrchr(__FILE__, '/');
    size_t n = slash ? (size_t)(slash - __FILE__) : 0;
    snprintf(dir, sizeof dir, "%.*s%slesson_bad", (int)n, __FILE__, n ? "/" : "");
    return dir;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *dir = dir_of_tests();
    DIR *dp = opendir(dir);
    if (!dp) fail_msg("cannot open %s (run from the repository root)", dir);
    char *names[128];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) && n < 128) {
        size_t len = strlen(de->d_name);
        if (len > 7 && !strcmp(de->d_name + len - 7, ".lesson")) names[n++] = strdup(de->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    assert_true(n >= 15);
    for (int i = 0; i < n; i++) {
        char path[1024], first[512] = "", err[1024], prefix[1100];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        if (!fgets(first, sizeof first, f)) first[0] = '\0';
        fclose(f);
        /* "# expect: LINE: fragment"; an empty file cannot say it */
        int line = 1;
        const char *fragment = "empty file";
        int used = 0;
        if (first[0]) {
            first[strcspn(first, "\n")] = '\0';
            if (sscanf(first, "# expect: %d: %n", &line, &used) != 1 || used == 0)
                fail_msg("%s: first line must be '# expect: LINE: fragment'", path);
            fragment = first + used;
        }
        Lesson l;
        int parsed = lesson_load(path, &l, err, sizeof err) == 0;
        if (parsed) {
            int problems = lesson_check(&l, NULL, err, sizeof err);
            lesson_free(&l);
            if (problems == 0) fail_msg("%s: parsed and checked without a problem", path);
        }
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
        if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, fragment))
            fail_msg("%s:\n  got      \"%s\"\n  expected \"%s...%s\"", names[i], err, prefix,
                     fragment);
        free(names[i]);
    }
}

static void test_limits(void **state)
{
    (void)state;
    const char *head = "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n";
    size_t hl = strlen(head);
    char *buf = malloc(LESSON_MAX_BYTES + 16);
    assert_non_null(buf);
    Lesson l;
    char err[512];

    /* a line of exactly LESSON_MAX_LINE bytes is fine, one more is not */
    memcpy(buf, head, hl);
    memset(buf + hl, 'a', LESSON_MAX_LINE);
    buf[hl + LESSON_MAX_LINE] = '\n';
    assert_int_equal(lesson_parse(buf, hl + LESSON_MAX_LINE + 1, "t.lesson", &l, err, sizeof err), 0);
    lesson_free(&l);
    memset(buf + hl, 'a', LESSON_MAX_LINE + 1);
    parse_fails(buf, hl + LESSON_MAX_LINE + 1, 6, "line is 4097 bytes long; at most 4096 allowed");

    /* too large a file */
    memset(buf, '\n', LESSON_MAX_BYTES + 1);
    parse_fails(buf, LESSON_MAX_BYTES + 1, 1, "file is 1048577 bytes");
    free(buf);

    /* 200 slides and 16 hints are fine; one more is not */
    size_t cap = 20000, o = 0;
    char *t = malloc(cap);
    o += (size_t)snprintf(t + o, cap - o, "%s", "lesson: 1\nid: x\nlang: en\ntitle: T\n");
    for (int i = 0; i < LESSON_MAX_SLIDES; i++) o += (size_t)snprintf(t + o, cap - o, "--- slide: %d\n", i);
    assert_int_equal(lesson_parse(t, o, "t.lesson", &l, err, sizeof err), 0);
    assert_int_equal(l.n_slides, LESSON_MAX_SLIDES);
    lesson_free(&l);
    o += (size_t)snprintf(t + o, cap - o, "--- slide: one too many\n");
    parse_fails(t, o, 5 + LESSON_MAX_SLIDES, "more than 200 slides");
    o = (size_t)snprintf(t, cap, "%s? Q\n= 1\n", head);
    for (int i = 0; i < LESSON_MAX_HINTS; i++) o += (size_t)snprintf(t + o, cap - o, "hint: h%d\n", i);
    assert_int_equal(lesson_parse(t, o, "t.lesson", &l, err, sizeof err), 0);
    assert_int_equal(l.slides[0].question.n_hints, LESSON_MAX_HINTS);
    assert_string_equal(l.slides[0].question.hints[15], "h15");
    lesson_free(&l);
    o += (size_t)snprintf(t + o, cap - o, "hint: one too many\n");
    parse_fails(t, o, 8 + LESSON_MAX_HINTS, "more than 16 hints");
    free(t);

    /* bytes: positions are 1-based, like the tokenizer's */
    parse_fails("", 0, 1, "empty file");
    parse_fails("\xEF\xBB\xBF", 3, 1, "empty file");
    PARSE_FAILS("# only a comment\n\n", 2, "empty lesson");
    PARSE_FAILS("lesson: 1\nid: \xC3\x28\n", 2, "invalid UTF-8 at byte 15 (0xc3)");
    PARSE_FAILS("lesson: 1\n\xED\xA0\x80\n", 2, "invalid UTF-8 at byte 11 (0xed)"); /* surrogate */
    parse_fails("lesson: 1\nid\0x\n", 15, 2, "NUL byte at byte 13");
    PARSE_FAILS("lesson: 1\r\nid: a\rb\n", 2, "control character 0x0d");
    PARSE_FAILS("lesson: 1\nid: a b\n", 2, "id 'a b': expected at most 32 letters");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ngoto: step 1 op logits layer 0\n",
                6, "operation 'logits' is not inside a layer");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ngoto: step -1 end\n", 6,
                "goto: step -1: out of range");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ngen: 2\ngen: 3\n", 7,
                "duplicate 'gen:' in this slide (first on line 6)");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nhint: early\n", 6,
                "'hint:' before the question");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ntitle: again\n", 6,
                "unknown directive 'title'; expected prompt, gen, model, mode, goto, select or "
                "point (header keys go before the first slide)");
    PARSE_FAILS("lesson: 1\ngen: 3\n", 2, "unknown header key 'gen'");
}

/* ---- fuzzing ------------------------------------------------------------- */

static const char FUZZ_EXTRA[] =
    "--- slide: 解码\n"
    "model: d-model=8 heads=2 layers=2 d-ff=32 max-seq=64 seed=42\n"
    "prompt: \"the cat \"\n"
    "mode: compare\n"
    "goto: step 2 op scores layer 1\n"
    "select: layer 1 head 1\n"
    "point: kvcache\n"
    "每一步只处理一个新词元，\n"
    "读取全部 {t} 个缓存位置。\n"
    "? Ratio at step {k}?\n"
    "= ratio(k) + macs(recompute, total, k, 1) / 10^6 - step_cost(cache, d, F, Lyr, V, L, k)\n"
    "tolerance: 0.01\n"
    "hint: {{compare}} the two {masked(cache, 0)}\n"
    "explain: {token_pos(2)} and {kv_numbers(G - 1)} and {logit_diff()} {rows(train)}.\n"
    "--- slide: 内存\n"
    "model: kv-heads=1 window=6 block-size=4\n"
    "mode: memory\n"
    "point: traffic\n"
    "{calc(llama-2-7b, kv_cache_bytes, 4096, 2, 1)} {intensity(cache, 1)} {kv_blocks(1)}\n"
    "? Waste?\n"
    "= waste_for(11, 4, calc(opt-13b, kv_bytes_per_token)) + blocks_for(t, 4) + round(k / 3, 2)\n"
    "explain: {weight_bytes(train, 0)} {kv_read(recompute, 1)} {kv_written(cache, 0)} "
    "{min(W, max(Hkv, balance))} {ceil(kv_waste(0) / 7)} {floor(kv_reserved(1))}\n";

static uint64_t fuzz_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    fuzz_rng ^= fuzz_rng << 13;
    fuzz_rng ^= fuzz_rng >> 7;
    fuzz_rng ^= fuzz_rng << 17;
    return n ? (uint32_t)(fuzz_rng >> 32) % n : 0;
}

static void mutate(char *buf, size_t *len, size_t cap)
{
    static const char *const ins[] = {"---", "?", "=", "{", "(", ")", "}", "\n", "--- slide: ",
                                      "? Q\n", "= ", "{L*(", ":", " ", "\xff", "\xe4\xb8", "#",
                                      "model: ", "goto: step 99 op ffn layer 9\n", "^", "-",
                                      "macs(", ",", "\r", "\"", "tolerance: ", "hint: {"};
    size_t n = *len;
    switch (rnd(5)) {
    case 0: /* flip a byte */
        if (n) buf[rnd((uint32_t)n)] ^= (char)(1u << rnd(8));
        break;
    case 1: /* truncate */
        *len = rnd((uint32_t)n + 1);
        return;
    case 2: /* set a byte to anything, NUL included */
        if (n) buf[rnd((uint32_t)n)] = (char)rnd(256);
        break;
    case 3: { /* delete a range */
        if (!n) break;
        size_t at = rnd((uint32_t)n), k = rnd(16) + 1;
        if (at + k > n) k = n - at;
        memmove(buf + at, buf + at + k, n - at - k);
        *len = n - k;
        return;
    }
    default: { /* insert a token */
        const char *s = ins[rnd(sizeof ins / sizeof ins[0])];
        size_t k = strlen(s), at = rnd((uint32_t)n + 1);
        if (n + k > cap) break;
        memmove(buf + at + k, buf + at, n - at);
        memcpy(buf + at, s, k);
        *len = n + k;
        return;
    }
    }
}

static void fuzz_slide(EvalContext *ctx, const Lesson *l, int i)
{
    char out[8192], err[512];
    double v;
    const Slide *s = &l->slides[i];
    SlideSetup st = lesson_state_at(l, i);
    assert_non_null(st.prompt);
    for (int p = 0; p < s->n_paragraphs; p++)
        (void)eval_template(ctx, s->paragraphs[p], out, sizeof out, err, sizeof err);
    if (!s->has_question) return;
    assert_non_null(s->question.expr);
    (void)eval_expr(ctx, s->question.expr, &v, err, sizeof err);
    for (int h = 0; h < s->question.n_hints; h++)
        (void)eval_template(ctx, s->question.hints[h], out, sizeof out, err, sizeof err);
    if (s->question.explain)
        (void)eval_template(ctx, s->question.explain, out, sizeof out, err, sizeof err);
}

static void test_fuzz(void **state)
{
    EvalContext *ctx = &((EvalFx *)*state)->ctx;
    const size_t cap = 8192;
    char base[4096], *buf = malloc(cap);
    assert_non_null(buf);
    size_t base_len = (size_t)snprintf(base, sizeof base, "%s%s", DOC_EXAMPLE, FUZZ_EXTRA);
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = base_len;
        memcpy(buf, base, len);
        int rounds = 1 + (int)rnd(8);
        for (int r = 0; r < rounds; r++) mutate(buf, &len, cap);
        Lesson l;
        char err[1024];
        if (lesson_parse(buf, len, "fuzz", &l, err, sizeof err) == 0) {
            parsed++;
            assert_true(l.n_slides >= 1 && l.n_slides <= LESSON_MAX_SLIDES);
            for (int i = 0; i < l.n_slides; i++) fuzz_slide(ctx, &l, i);
            lesson_free(&l);
        } else {
            /* every message is "fuzz:LINE: text" */
            int line = 0, used = 0;
            if (sscanf(err, "fuzz:%d: %n", &line, &used) != 1 || used == 0 || line < 1)
                fail_msg("bad message: %s", err);
            assert_null(l.slides);
        }
    }
    print_message("fuzz: %d of 20000 mutants parsed\n", parsed);
    assert_true(parsed > 1000);   /* the mutations must reach past the parser */
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_doc_example),
        cmocka_unit_test(test_paragraph_joining),
        cmocka_unit_test(test_state_accumulates),
        cmocka_unit_test_setup_teardown(test_arithmetic, setup_eval, teardown_eval),
        cmocka_unit_test(test_position_names),
        cmocka_unit_test_setup_teardown(test_functions, setup_eval, teardown_eval),
        cmocka_unit_test(test_functions_grid),
        cmocka_unit_test_setup_teardown(test_eval_errors, setup_eval, teardown_eval),
        cmocka_unit_test_setup_teardown(test_templates_and_format, setup_eval, teardown_eval),
        cmocka_unit_test(test_context_errors),
        cmocka_unit_test(test_context_update),
        cmocka_unit_test(test_model_options),
        cmocka_unit_test(test_model_option_errors),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_trained_weights),
        cmocka_unit_test(test_memory_functions_grid),
        cmocka_unit_test_setup_teardown(test_calc_functions, setup_eval, teardown_eval),
        cmocka_unit_test_setup_teardown(test_memory_errors, setup_eval, teardown_eval),
        cmocka_unit_test(test_check_and_print),
        cmocka_unit_test(test_choice_questions),
        cmocka_unit_test(test_keyed_hints),
        cmocka_unit_test(test_typed_answers),
        cmocka_unit_test(test_glossary),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_limits),
        cmocka_unit_test_setup_teardown(test_fuzz, setup_eval, teardown_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
