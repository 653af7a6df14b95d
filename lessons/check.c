/* check: lesson_check() and lesson_print(). See lesson.h.
 *
 * Both walk the slides in order with one EvalContext, moved from slide to
 * slide with eval_context_update() (the model is rebuilt only when the run
 * changes), and evaluate every question and {template} of each slide in
 * that slide's accumulated set-up.
 */
#include "lessons/eval.h"
#include "lessons/glossary.h"
#include "lessons/lesson.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const Lesson *l;
    FILE *report;
    char *err;
    size_t errlen;
    int problems;
} Checker;

__attribute__((format(printf, 3, 4))) static void problem(Checker *c, int line, const char *fmt,
                                                          ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->report) fprintf(c->report, "%s:%d: %s\n", c->l->path, line, msg);
    if (c->problems == 0 && c->err && c->errlen)
        snprintf(c->err, c->errlen, "%s:%d: %s", c->l->path, line, msg);
    c->problems++;
}

/* Fill the templates of `text` into a new string (NULL + msg on error).
 * A template's value has at most ~25 bytes and takes at least 3 ("{x}"). */
static char *fill(EvalContext *ctx, const char *text, char *msg, size_t msglen)
{
    size_t cap = strlen(text) * 10 + 64;
    char *out = malloc(cap);
    if (!out) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    if (eval_template(ctx, text, out, cap, msg, msglen)) {
        free(out);
        return NULL;
    }
    return out;
}

static void check_text(Checker *c, EvalContext *ctx, const char *text, int line)
{
    char msg[512];
    char *s = fill(ctx, text, msg, sizeof msg);
    if (!s) problem(c, line, "%s", msg);
    free(s);
}

/* Whether the number `num` (as eval_format prints it) stands in `text` as
 * a number of its own: not inside a longer number ("6" is not in "16" nor
 * in "0.6"). */
static bool has_number(const char *text, const char *num)
{
    const size_t n = strlen(num);
    for (const char *p = strstr(text, num); p; p = strstr(p + 1, num)) {
        const char before = p > text ? p[-1] : ' ';
        const char before2 = p > text + 1 ? p[-2] : ' ';
        const char after = p[n], after2 = after ? p[n + 1] : '\0';
        const bool digit_before = (before >= '0' && before <= '9') ||
                                  ((before == '.' || before == ',') && before2 >= '0' && before2 <= '9');
        const bool digit_after = (after >= '0' && after <= '9') ||
                                 ((after == '.' || after == ',') && after2 >= '0' && after2 <= '9');
        if (!digit_before && !digit_after) return true;
    }
    return false;
}

/* A question should make the student work the answer out, not read it back:
 * its value must not stand in the narration of its own slide (filled), unless
 * `reveal-ok: REASON` says why it may. */
static void check_reveal(Checker *c, EvalContext *ctx, const Slide *s, double v)
{
    const Question *q = &s->question;
    if (q->reveal_ok) return;
    char num[64], msg[512];
    eval_format(v, num, sizeof num);
    for (int i = 0; i < s->n_paragraphs; i++) {
        char *t = fill(ctx, s->paragraphs[i], msg, sizeof msg);
        bool hit = t && has_number(t, num);
        free(t);
        if (hit) {
            problem(c, q->line, "the answer, %s, already stands in the narration above it (line "
                    "%d); ask before the line that reveals it (e.g. \"after the next step, "
                    "...?\"), or add 'reveal-ok: REASON'", num, s->paragraph_lines[i]);
            return;
        }
    }
}

static void check_slide(Checker *c, EvalContext *ctx, const Slide *s)
{
    char msg[512], val[64];
    for (int i = 0; i < s->n_paragraphs; i++)
        check_text(c, ctx, s->paragraphs[i], s->paragraph_lines[i]);
    if (!s->has_question) return;
    const Question *q = &s->question;
    check_text(c, ctx, q->text, q->line);
    for (int i = 0; i < q->n_choices; i++) check_text(c, ctx, q->choices[i].text, q->choices[i].line);
    double v = 0;
    bool have_v = false;
    if (q->n_choices) {
        /* the parser checked the keys */
    } else if (eval_expr(ctx, q->expr, &v, msg, sizeof msg)) {
        problem(c, q->expr_line, "%s", msg);
    } else {
        have_v = true;
        check_reveal(c, ctx, s, v);
        if (q->tolerance == 0 && v != floor(v)) {
            eval_format(v, val, sizeof val);
            problem(c, q->expr_line, "the answer is %s, not a whole number, and tolerance is 0; "
                    "add a line 'tolerance: X'", val);
        }
    }
    /* the values of the keyed hints so far; the player shows the first hint
     * that matches, so a later one whose value an earlier one already takes
     * would never be shown (choice keys are compared by the parser) */
    double seen[LESSON_MAX_HINTS];
    int seen_at[LESSON_MAX_HINTS], n_seen = 0;
    for (int i = 0; i < q->n_wrong; i++) {
        const WrongHint *w = &q->wrong[i];
        check_text(c, ctx, w->text, w->line);
        if (q->n_choices) continue;
        double wv;
        if (eval_expr(ctx, w->value, &wv, msg, sizeof msg)) {
            problem(c, w->line, "wrong: %s", msg);
            continue;
        }
        eval_format(wv, val, sizeof val);
        if (have_v && lesson_answer_ok(v, q->tolerance, wv)) {
            problem(c, w->line, "'wrong: %s' is %s, which the question accepts as right", w->value,
                    val);
            continue;
        }
        int j = 0;
        while (j < n_seen && !lesson_answer_ok(seen[j], q->tolerance, wv)) j++;
        if (j < n_seen) {
            problem(c, w->line, "'wrong: %s' is %s, like the 'wrong:' on line %d; only the "
                    "first hint for a value is ever shown", w->value, val, seen_at[j]);
            continue;
        }
        seen[n_seen] = wv;
        seen_at[n_seen++] = w->line;
    }
    for (int i = 0; i < q->n_hints; i++) check_text(c, ctx, q->hints[i], q->hint_lines[i]);
    if (q->explain) check_text(c, ctx, q->explain, q->explain_line);
}

int lesson_check(const Lesson *l, FILE *report, char *err, size_t errlen)
{
    Checker c = {l, report, err, errlen, 0};
    if (err && errlen) err[0] = '\0';
    EvalContext ctx;
    memset(&ctx, 0, sizeof ctx);
    bool have = false;
    char msg[512], last_msg[512] = "";
    int last_line = -1;
    SlideSetup st = lesson_default_setup();
    for (int i = 0; i < l->n_slides; i++) {
        const Slide *s = &l->slides[i];
        lesson_setup_apply(&st, &s->setup);
        /* the trained model has its own shape: a shape option beside it would do nothing */
        static const SetupField shape[] = {SET_D_MODEL, SET_HEADS, SET_LAYERS, SET_D_FF, SET_SEED,
                                           SET_KV_HEADS};
        static const char *const shape_names[] = {"d-model", "heads", "layers", "d-ff", "seed", "kv-heads"};
        for (int f = 0; st.trained && f < (int)(sizeof shape / sizeof shape[0]); f++)
            if (s->setup.set & SETUP_BIT(shape[f]))
                problem(&c, s->setup.line[shape[f]], "%s: the trained model (weights=trained) has its own "
                        "shape; leave the shape options out, or set weights=random", shape_names[f]);
        int rc = have ? eval_context_update(&ctx, &st, msg, sizeof msg)
                      : eval_context_init(&ctx, &st, msg, sizeof msg);
        have = rc == 0;
        if (rc) {
            int line = ctx.fail_line > 0 ? ctx.fail_line : s->line;
            if (line != last_line || strcmp(msg, last_msg)) problem(&c, line, "%s", msg);
            last_line = line;
            snprintf(last_msg, sizeof last_msg, "%s", msg);
            continue;
        }
        last_line = -1;
        check_slide(&c, &ctx, s);
    }
    eval_context_free(&ctx);
    glossary_check(l, report);   /* warnings only: they do not count as problems */
    return c.problems;
}

/* ---- handouts ------------------------------------------------------------ */

__attribute__((format(printf, 4, 5))) static int pfail(const Lesson *l, char *err, size_t errlen,
                                                       const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && errlen) snprintf(err, errlen, "%s:%s", l->path, msg);
    return -1;
}

/* Print `label` + text with templates filled, then a newline. */
static int print_filled(const Lesson *l, EvalContext *ctx, FILE *out, const char *label,
                        const char *text, int line, char *err, size_t errlen)
{
    char msg[512];
    char *s = fill(ctx, text, msg, sizeof msg);
    if (!s) return pfail(l, err, errlen, "%d: %s", line, msg);
    fprintf(out, "%s%s\n", label, s);
    free(s);
    return 0;
}

static int print_slide(const Lesson *l, EvalContext *ctx, const Slide *s, int number, FILE *out,
                       char *err, size_t errlen)
{
    const bool zh = !strcmp(l->lang, "zh");
    fprintf(out, "%d. %s\n\n", number, s->title);
    for (int i = 0; i < s->n_paragraphs; i++) {
        if (print_filled(l, ctx, out, "", s->paragraphs[i], s->paragraph_lines[i], err, errlen))
            return -1;
        fputc('\n', out);
    }
    if (!s->has_question) return 0;
    const Question *q = &s->question;
    char msg[512], val[64];
    if (print_filled(l, ctx, out, "Q: ", q->text, q->line, err, errlen)) return -1;
    for (int i = 0; i < q->n_choices; i++) {
        char label[8];
        snprintf(label, sizeof label, "  %c) ", q->choices[i].key);
        if (print_filled(l, ctx, out, label, q->choices[i].text, q->choices[i].line, err, errlen))
            return -1;
    }
    if (q->n_choices) {
        fprintf(out, "A: %c\n", q->correct);
    } else {
        double v;
        if (eval_expr(ctx, q->expr, &v, msg, sizeof msg))
            return pfail(l, err, errlen, "%d: %s", q->expr_line, msg);
        eval_format(v, val, sizeof val);
        fprintf(out, "A: %s\n", val);
    }
    for (int i = 0; i < q->n_wrong; i++) {
        const WrongHint *w = &q->wrong[i];
        char label[96];
        if (q->n_choices) {
            snprintf(val, sizeof val, "%s", w->value);
        } else {
            double wv;
            if (eval_expr(ctx, w->value, &wv, msg, sizeof msg))
                return pfail(l, err, errlen, "%d: wrong: %s", w->line, msg);
            eval_format(wv, val, sizeof val);
        }
        snprintf(label, sizeof label, zh ? "若答 %s：" : "If %s: ", val);
        if (print_filled(l, ctx, out, label, w->text, w->line, err, errlen)) return -1;
    }
    const char *hint = zh ? "提示：" : "Hint: ";
    for (int i = 0; i < q->n_hints; i++)
        if (print_filled(l, ctx, out, hint, q->hints[i], q->hint_lines[i], err, errlen)) return -1;
    if (q->explain &&
        print_filled(l, ctx, out, zh ? "解释：" : "Explanation: ", q->explain, q->explain_line,
                     err, errlen))
        return -1;
    fputc('\n', out);
    return 0;
}

int lesson_print(const Lesson *l, FILE *out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!strcmp(l->lang, "zh")) fprintf(out, "第 %d 课：%s\n\n", l->number, l->title);
    else fprintf(out, "Lesson %d: %s\n\n", l->number, l->title);
    EvalContext ctx;
    memset(&ctx, 0, sizeof ctx);
    bool have = false;
    char msg[512];
    int rc = 0;
    SlideSetup st = lesson_default_setup();
    for (int i = 0; i < l->n_slides && rc == 0; i++) {
        const Slide *s = &l->slides[i];
        lesson_setup_apply(&st, &s->setup);
        rc = have ? eval_context_update(&ctx, &st, msg, sizeof msg)
                  : eval_context_init(&ctx, &st, msg, sizeof msg);
        have = rc == 0;
        if (rc) {
            rc = pfail(l, err, errlen, "%d: %s", ctx.fail_line > 0 ? ctx.fail_line : s->line, msg);
            break;
        }
        rc = print_slide(l, &ctx, s, i + 1, out, err, errlen);
    }
    eval_context_free(&ctx);
    return rc;
}
