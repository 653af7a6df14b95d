/* fuzz_eval: libFuzzer target for the expression language of lessons
 * (eval_expr, eval_template and eval_number of lessons/eval.h), without the lesson
 * around it — many more expressions per second than fuzz_lesson.
 *
 * Input: byte 0 picks one of a few fixed simulator set-ups (modes, goto
 * positions, shapes); the rest, up to a NUL, is evaluated as an expression
 * and as a template. The contexts are built once and kept (their runs are
 * cached, as in a lesson player). Checked besides the sanitizers: 0 with a
 * finite value, or -1 with a message; template output NUL-terminated.
 * See tests/fuzz/fuzz.mk. */
#include "lessons/eval.h"
#include "lessons/lesson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_eval: invariant failed: %s (%s:%d)\n", #cond,       \
                    __FILE__, __LINE__);                                              \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define N_CTX 5

static SlideSetup setup_of(int i)
{
    SlideSetup s = lesson_default_setup();
    switch (i) {
    case 0: break;                                   /* cache, start */
    case 1:                                          /* recompute, step 2 end */
        s.mode = LESSON_MODE_RECOMPUTE;
        s.go.kind = GOTO_STEP_END;
        s.go.step = 2;
        break;
    case 2:                                          /* train, end */
        s.mode = LESSON_MODE_TRAIN;
        s.go.kind = GOTO_END;
        s.gen = 1;
        break;
    case 3:                                          /* compare, Chinese prompt */
        s.mode = LESSON_MODE_COMPARE;
        s.prompt = "我是一个学生";
        s.gen = 4;
        s.go.kind = GOTO_STEP_OP;
        s.go.step = 3;
        s.go.op = OP_APPEND;
        s.go.layer = 1;
        s.layer = 1;
        s.head = 1;
        break;
    default:                                         /* odd shape: d 6, H 3, F 5 */
        s.model.d_model = 6;
        s.model.n_heads = s.model.n_kv_heads = 3;
        s.model.n_layers = 1;
        s.model.d_ff = 5;
        s.model.max_seq = 8;
        s.set |= SETUP_BIT(SET_D_FF);
        s.prompt = "a";
        s.gen = 7;
        s.go.kind = GOTO_END;
        break;
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static EvalContext ctx[N_CTX];
    static int ready[N_CTX];
    if (size == 0) return 0;
    const int which = data[0] % N_CTX;
    char err[512];
    if (!ready[which]) {
        SlideSetup s = setup_of(which);
        CHECK(eval_context_init(&ctx[which], &s, err, sizeof err) == 0);
        ready[which] = 1;
    }
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    double v = 0;
    err[0] = '\0';
    int rc = eval_expr(&ctx[which], text, &v, err, sizeof err);
    CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        CHECK(isfinite(v));
        char num[32];
        eval_format(v, num, sizeof num);
        CHECK(num[0] != '\0' && strnlen(num, sizeof num) < sizeof num);
    } else {
        CHECK(err[0] != '\0');
    }

    /* the same bytes as a student's typed answer (no context) */
    rc = eval_number(text, &v, err, sizeof err);
    CHECK(rc == 0 || rc == -1);
    if (rc == 0) CHECK(isfinite(v));
    else CHECK(err[0] != '\0');

    size_t cap = strlen(text) * 10 + 64;
    char *out = malloc(cap);
    if (out) {
        rc = eval_template(&ctx[which], text, out, cap, err, sizeof err);
        CHECK(rc == 0 || rc == -1);
        if (rc == 0) CHECK(strnlen(out, cap) < cap);
        else CHECK(err[0] != '\0');
        free(out);
    }
    char small[5];
    rc = eval_template(&ctx[which], text, small, sizeof small, err, sizeof err);
    if (rc == 0) CHECK(strnlen(small, sizeof small) < sizeof small);
    free(text);
    return 0;
}
