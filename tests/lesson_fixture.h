/* lesson_fixture: what the lesson suites share (tests/test_lesson.c,
 * tests/test_lesson_eval.c, _measure.c, _question.c): the example of
 * docs/lessons.md and a three-slide lesson, parsing that must succeed or
 * fail with a given "t.lesson:LINE: ..." message, an EvalContext on the
 * doc example's first slide (cmocka setup/teardown), and expressions and
 * set-ups that must evaluate to a number or fail with a given message.
 * Header only: each suite is one translation unit. */
#ifndef KVSIM_LESSON_FIXTURE_H
#define KVSIM_LESSON_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lessons/eval.h"
#include "lessons/lesson.h"

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

static inline Lesson parse_ok(const char *text)
{
    Lesson l;
    char err[512];
    int rc = lesson_parse(text, strlen(text), "t.lesson", &l, err, sizeof err);
    if (rc) fprintf(stderr, "unexpected parse error: %s\n", err);
    assert_int_equal(rc, 0);
    return l;
}

/* Parsing fails with exactly "t.lesson:LINE: ..." containing fragment. */
static inline void parse_fails(const char *text, size_t len, int line, const char *fragment)
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

/* Four slides whose set-up accumulates (the comments are line numbers). */
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

/* setup_eval()'s state: the parsed doc example and a context on it. */
typedef struct {
    EvalContext ctx;
    Lesson l;
} EvalFx;

/* The doc example's first slide: prompt "hello" (L = 5), G = 4, default
 * model d = 8, H = 2, Lyr = 2, F = 32, at step 0 end. */
static inline int setup_eval(void **state)
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

static inline int teardown_eval(void **state)
{
    EvalFx *fx = *state;
    eval_context_free(&fx->ctx);
    lesson_free(&fx->l);
    free(fx);
    return 0;
}

/* The value of expr; a failure to evaluate fails the test. */
static inline double ev(EvalContext *ctx, const char *expr)
{
    double v = NAN;
    char err[512];
    if (eval_expr(ctx, expr, &v, err, sizeof err)) fail_msg("%s: %s", expr, err);
    return v;
}

#define EXPECT(ctx, expr, want) assert_true(fabs(ev(ctx, expr) - (double)(want)) < 1e-9)

/* expr must fail to evaluate, with fragment in the message. */
static inline void expect_eval_error(EvalContext *c, const char *expr, const char *fragment)
{
    double v = 0;
    char err[512];
    if (eval_expr(c, expr, &v, err, sizeof err) == 0)
        fail_msg("'%s' evaluated to %g; expected an error with \"%s\"", expr, v, fragment);
    if (!strstr(err, fragment)) fail_msg("'%s': got \"%s\"; expected \"%s\"", expr, err, fragment);
}

/* One slide of these directives (from line 6): the context must refuse
 * it with exactly message, blamed on line. */
static inline void expect_context_error(const char *directives, const char *message, int line)
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

#endif /* KVSIM_LESSON_FIXTURE_H */
