/* fuzz_lesson: libFuzzer target for the lesson format (lessons/lesson.h)
 * and its expressions (lessons/eval.h).
 *
 * The input is a whole lesson file, handed to lesson_parse() as is (not
 * NUL-terminated: ASan catches any read past the end). When it parses:
 *   - lesson_state_at() for every slide (and out-of-range indices);
 *   - for each slide whose accumulated set-up is small (see setup_small),
 *     eval_context_init/update as lessons/check.c does, then eval_expr() on
 *     the question's expression and eval_template() on its texts;
 *   - when every slide is small, lesson_check() and lesson_print() too.
 * Big models are legitimate (the CLI accepts up to 1 GiB) but would make
 * one input take seconds, so they are parsed and folded, not run.
 * See tests/fuzz/fuzz.mk. */
#include "lessons/eval.h"
#include "lessons/lesson.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_lesson: invariant failed: %s (%s:%d)\n", #cond,     \
                    __FILE__, __LINE__);                                              \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define PATH "fuzz.lesson"

/* Bounds on what a slide may ask the simulator to run. */
#define SMALL_D 64
#define SMALL_N 64
#define SMALL_G 16
#define SMALL_LYR 4
#define SMALL_F 256
/* rough multiply-accumulates of the recompute run (the costlier mode) */
#define SMALL_MACS 60000000.0

static bool setup_small(const SlideSetup *s)
{
    const KvConfig *c = &s->model;
    if (c->d_model < 1 || c->d_model > SMALL_D || c->max_seq < 1 || c->max_seq > SMALL_N ||
        s->gen < 1 || s->gen > SMALL_G || c->n_layers < 1 || c->n_layers > SMALL_LYR ||
        c->d_ff < 1 || c->d_ff > SMALL_F)
        return false;
    double d = c->d_model, F = c->d_ff, N = c->max_seq, V = tokenizer_vocab();
    double rows = (double)s->gen * N;                 /* recompute: G passes of <= N rows */
    double per_row = c->n_layers * (4 * d * d + 2 * d * F + 2 * N * d) + V * d;
    return rows * per_row <= SMALL_MACS;
}

static FILE *devnull(void)
{
    static FILE *f;
    if (!f) f = fopen("/dev/null", "w");
    return f;
}

static void fill(EvalContext *ctx, const char *text)
{
    if (!text) return;
    size_t cap = strlen(text) * 10 + 64;
    char *out = malloc(cap);
    char err[512];
    if (!out) return;
    err[0] = '\0';
    int rc = eval_template(ctx, text, out, cap, err, sizeof err);
    CHECK(rc == 0 || rc == -1);
    if (rc == 0) CHECK(strnlen(out, cap) < cap);
    else CHECK(err[0] != '\0');
    /* a tight buffer: must stay NUL-terminated or fail cleanly */
    char small[8];
    rc = eval_template(ctx, text, small, sizeof small, err, sizeof err);
    if (rc == 0) CHECK(strnlen(small, sizeof small) < sizeof small);
    free(out);
}

static void eval_slide(EvalContext *ctx, const Slide *s)
{
    for (int i = 0; i < s->n_paragraphs; i++) fill(ctx, s->paragraphs[i]);
    if (!s->has_question) return;
    const Question *q = &s->question;
    fill(ctx, q->text);
    double v = 0;
    char err[512];
    err[0] = '\0';
    if (q->expr) {
        int rc = eval_expr(ctx, q->expr, &v, err, sizeof err);
        CHECK(rc == 0 || rc == -1);
        if (rc == 0) {
            CHECK(isfinite(v));
            char num[64];
            eval_format(v, num, sizeof num);
            CHECK(num[0] != '\0');
        } else {
            CHECK(err[0] != '\0');
        }
    }
    for (int i = 0; i < q->n_hints; i++) fill(ctx, q->hints[i]);
    fill(ctx, q->explain);
    /* choice questions: 2..8 options with distinct keys, the answer one of them */
    CHECK(q->n_choices == 0 || (q->n_choices >= 2 && q->n_choices <= LESSON_MAX_CHOICES));
    if (q->n_choices) CHECK(lesson_find_choice(q, q->correct) != NULL);
    for (int i = 0; i < q->n_choices; i++) fill(ctx, q->choices[i].text);
    CHECK(q->n_wrong >= 0 && q->n_wrong <= LESSON_MAX_HINTS);
    for (int i = 0; i < q->n_wrong; i++) {
        fill(ctx, q->wrong[i].text);
        if (!q->n_choices) {
            int rc = eval_expr(ctx, q->wrong[i].value, &v, err, sizeof err);
            CHECK(rc == 0 || rc == -1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Lesson l;
    char err[1024];
    memset(&l, 0, sizeof l);
    err[0] = '\0';
    int rc = lesson_parse((const char *)data, size, PATH, &l, err, sizeof err);
    CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        CHECK(!strncmp(err, PATH ":", strlen(PATH ":")));
        CHECK(l.slides == NULL && l.n_slides == 0 && l.title == NULL && l.path == NULL);
        lesson_free(&l);
        return 0;
    }
    CHECK(l.n_slides >= 1 && l.n_slides <= LESSON_MAX_SLIDES && l.slides != NULL);
    CHECK(l.number >= 1 && l.number <= 99);
    CHECK(!strcmp(l.lang, "en") || !strcmp(l.lang, "zh"));

    /* fold every slide; out-of-range indices clamp */
    bool all_small = true;
    for (int i = -1; i <= l.n_slides; i++) {
        SlideSetup st = lesson_state_at(&l, i);
        CHECK(st.model.vocab == tokenizer_vocab());
        CHECK(st.prompt != NULL);
        if (i >= 0 && i < l.n_slides && !setup_small(&st)) all_small = false;
    }
    (void)lesson_state_at(&l, -1000000);
    (void)lesson_state_at(&l, 1000000);

    /* evaluate slide by slide, as lessons/check.c does */
    EvalContext ctx;
    memset(&ctx, 0, sizeof ctx);
    bool have = false;
    SlideSetup prev = lesson_default_setup();
    for (int i = 0; i < l.n_slides; i++) {
        SlideSetup st = lesson_state_at(&l, i);
        if (!setup_small(&st)) {
            if (have) eval_context_free(&ctx);
            have = false;
            continue;
        }
        (void)lesson_same_run(&prev, &st);
        prev = st;
        int erc = have ? eval_context_update(&ctx, &st, err, sizeof err)
                       : eval_context_init(&ctx, &st, err, sizeof err);
        have = erc == 0;
        if (erc) {
            CHECK(err[0] != '\0');
            continue;
        }
        eval_slide(&ctx, &l.slides[i]);
    }
    eval_context_free(&ctx);
    eval_context_free(&ctx);   /* documented safe on a freed context */

    /* the whole-lesson paths (kvsim lesson check / --print) */
    if (all_small) {
        (void)lesson_check(&l, NULL, err, sizeof err);
        if (devnull()) (void)lesson_print(&l, devnull(), err, sizeof err);
    }

    lesson_free(&l);
    lesson_free(&l);           /* documented safe on a freed Lesson */
    return 0;
}
