/* lesson_play: the App in lesson mode. A slide's set-up becomes the
 * simulator's state (model, prompt, mode, position, selection); its
 * narration and question are filled in from the running model; the
 * student's answers are checked against the computed value. */
#include "ui/app.h"

#include "lessons/catalog.h"
#include "ui/keys.h"
#include "ui/layout.h"
#include "ui/panels/panels.h"
#include "ui/term.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static View view_of(LessonMode m)
{
    switch (m) {
    case LESSON_MODE_RECOMPUTE: return VIEW_RECOMPUTE;
    case LESSON_MODE_COMPARE: return VIEW_COMPARE;
    case LESSON_MODE_TRAIN: return VIEW_TRAIN;
    case LESSON_MODE_MEMORY: return VIEW_MEMORY;
    default: return VIEW_CACHE;
    }
}

/* Fill {templates}; a copy of the raw text if evaluation fails. */
static char *fill(App *a, const char *text)
{
    size_t cap = strlen(text) * 10 + 64;
    char *out = malloc(cap);
    char err[256];
    if (!out) return NULL;
    if (!a->ectx_ok || eval_template(&a->ectx, text, out, cap, err, sizeof err))
        snprintf(out, cap, "%s", text);
    return out;
}

static void free_texts(App *a)
{
    free(a->slide_text);
    free(a->question_text);
    free(a->explain_text);
    free(a->hint_text);
    a->slide_text = a->question_text = a->explain_text = a->hint_text = NULL;
}

void app_lesson_free(App *a)
{
    if (!a->lesson) return;
    free_texts(a);
    if (a->ectx_ok) eval_context_free(&a->ectx);
    a->ectx_ok = false;
    lesson_free(a->lesson);
    free(a->lesson);
    a->lesson = NULL;
}

/* Move the engines to the slide's goto. */
static void apply_goto(App *a, const LessonGoto *g)
{
    Engine *e = &a->eng[a->view == VIEW_RECOMPUTE ? MODE_RECOMPUTE : a->view == VIEW_TRAIN ? MODE_TRAIN : MODE_CACHE];
    long target = 0;
    switch (g->kind) {
    case GOTO_START: target = 0; break;
    case GOTO_END: target = engine_total_ops(e); break;
    case GOTO_STEP_END: target = (long)(g->step + 1) * e->ops_per_step; break;
    case GOTO_STEP_OP: {
        const int layer = g->layer < 0 ? 0 : g->layer;
        target = (long)(g->step + 1) * e->ops_per_step;   /* op not in this mode: end of step */
        for (int i = 0; i < e->ops_per_step; i++) {
            OpRef r = engine_op_at(e, i);
            if (r.kind == g->op && (r.layer < 0 || r.layer == layer)) {
                target = (long)g->step * e->ops_per_step + i + 1;
                break;
            }
        }
        break;
    }
    }
    engine_seek(e, target);
    app_sync(a);
}

/* Record how far the student got (live UI only: previews and tests keep
 * the student's file untouched). */
static void save_progress(const App *a, bool solved_now)
{
    if (!a->save_progress) return;
    int questions = 0, index = -1;
    for (int i = 0; i < a->lesson->n_slides; i++) {
        if (i == a->slide && a->lesson->slides[i].has_question) index = questions;
        questions += a->lesson->slides[i].has_question;
    }
    Progress p = {a->slide + 1, a->lesson->n_slides, 0, questions, 0};
    if (solved_now && index >= 0 && index < 64) p.solved_mask = 1ull << index;
    progress_put(a->lesson->id, a->lesson->lang, p);
}

unsigned app_lesson_goto(App *a, int i)
{
    const Lesson *l = a->lesson;
    if (i < 0) i = 0;
    if (i >= l->n_slides) i = l->n_slides - 1;
    SlideSetup st = lesson_state_at(l, i);
    char err[320];
    bool same = a->slide_state.prompt && lesson_same_run(&a->slide_state, &st);
    if (!same && app_rebuild(a, &st.model, st.prompt, st.gen, err, sizeof err)) {
        snprintf(a->message, sizeof a->message, "slide %d: %s", i + 1, err);
        a->message_is_error = true;
        return ACTION_REDRAW | ACTION_ERROR;
    }
    a->slide = i;
    a->slide_state = st;
    a->view = view_of(st.mode);
    a->layer = st.layer < a->opt.cfg.n_layers ? st.layer : 0;
    a->head = st.head < a->opt.cfg.n_heads ? st.head : 0;
    a->playing = false;
    a->answering = false;
    a->wrong = 0;
    a->solved = a->revealed = false;
    a->text_scroll = 0;
    apply_goto(a, &st.go);

    /* numbers of this slide, for templates and the question */
    if (a->ectx_ok) a->ectx_ok = eval_context_update(&a->ectx, &st, err, sizeof err) == 0;
    else a->ectx_ok = eval_context_init(&a->ectx, &st, err, sizeof err) == 0;
    free_texts(a);
    const Slide *s = &l->slides[i];
    size_t len = 1;
    for (int p = 0; p < s->n_paragraphs; p++) len += strlen(s->paragraphs[p]) * 10 + 72;
    a->slide_text = calloc(len, 1);
    for (int p = 0; a->slide_text && p < s->n_paragraphs; p++) {
        char *t = fill(a, s->paragraphs[p]);
        if (p) strcat(a->slide_text, "\n\n");
        if (t) strncat(a->slide_text, t, len - strlen(a->slide_text) - 1);
        free(t);
    }
    if (s->has_question) {
        const Question *q = &s->question;
        a->question_text = fill(a, q->text);
        for (int c = 0; a->question_text && c < q->n_choices; c++) {   /* the options, one a line */
            char *t = fill(a, q->choices[c].text);
            size_t n = strlen(a->question_text) + (t ? strlen(t) : 0) + 8;
            char *qt = realloc(a->question_text, n);
            if (qt) {
                snprintf(qt + strlen(qt), n - strlen(qt), "\n%c) %s", q->choices[c].key, t ? t : "");
                a->question_text = qt;
            }
            free(t);
        }
        a->explain_text = fill(a, q->explain ? q->explain : "");
        a->expected = NAN;
        if (q->n_choices) {
            a->expected = lesson_choice_value(q->correct);
        } else if (a->ectx_ok && eval_expr(&a->ectx, q->expr, &a->expected, err, sizeof err)) {
            snprintf(a->message, sizeof a->message, "%s:%d: %s", l->path, s->question.expr_line, err);
            a->message_is_error = true;
        }
    }
    save_progress(a, false);
    return ACTION_REDRAW;
}

int app_lesson_start(App *a, Lesson *l, char *err, size_t errlen)
{
    app_lesson_free(a);
    a->lesson = l;
    memset(&a->slide_state, 0, sizeof a->slide_state);
    app_lesson_goto(a, 0);
    if (a->message_is_error && a->message[0]) {
        snprintf(err, errlen, "%s", a->message);
        app_lesson_free(a);
        return -1;
    }
    return 0;
}

/* The typed answer as a number: a choice question takes one of its keys
 * (its code, lesson_choice_value), any other an arithmetic expression
 * (eval_number: "2/5" is 0.4). 0, or -1 with a message for the student. */
static int answer_value(const App *a, const Question *q, double *v, char *msg, size_t msglen)
{
    const char *s = a->answer;
    while (*s == ' ') s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') n--;
    if (q->n_choices) {
        if (n == 1 && lesson_find_choice(q, s[0])) {
            *v = lesson_choice_value(s[0]);
            return 0;
        }
        char keys[LESSON_MAX_CHOICES * 3 + 1] = "";
        for (int i = 0; i < q->n_choices; i++)
            snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%c", i ? ", " : "",
                     q->choices[i].key);
        snprintf(msg, msglen, TR(a, "type one of the keys: %s", "请输入选项字母之一：%s"), keys);
        return -1;
    }
    char err[200];
    if (n == 0 || eval_number(a->answer, v, err, sizeof err)) {
        snprintf(msg, msglen, "%s%s%s", n ? err : "", n ? "; " : "",
                 TR(a, "type a number or an expression, e.g. 15, 2/5, 1e3 or 3*8",
                    "请输入一个数或算式，例如 15、2/5、1e3 或 3*8"));
        return -1;
    }
    return 0;
}

/* The `wrong:` hint whose value the answer v matches, or -1. */
static int keyed_hint_of(App *a, const Question *q, double v)
{
    for (int i = 0; i < q->n_wrong; i++) {
        double w;
        char err[200];
        if (q->n_choices) w = lesson_choice_value(q->wrong[i].value[0]);
        else if (!a->ectx_ok || eval_expr(&a->ectx, q->wrong[i].value, &w, err, sizeof err)) continue;
        if (lesson_answer_ok(w, q->n_choices ? 0 : q->tolerance, v)) return i;
    }
    return -1;
}

/* Enter on the answer line. */
static unsigned answer_check(App *a)
{
    const Question *q = &a->lesson->slides[a->slide].question;
    double v;
    if (answer_value(a, q, &v, a->message, sizeof a->message)) {
        a->message_is_error = true;
        return ACTION_REDRAW | ACTION_ERROR;
    }
    a->answering = false;
    a->last_given = v;
    a->message[0] = '\0';
    free(a->hint_text);
    a->hint_text = NULL;
    int keyed = -1;
    if (lesson_answer_ok(a->expected, q->n_choices ? 0 : q->tolerance, v)) {
        if (!a->solved && !a->revealed) save_progress(a, true);
        a->solved = true;
    } else if ((keyed = keyed_hint_of(a, q, v)) >= 0) {
        a->hint_text = fill(a, q->wrong[keyed].text);   /* that mistake's own hint */
    } else {
        /* the generic hints, one per wrong answer, then the explanation */
        a->wrong++;
        if (a->wrong > q->n_hints) a->revealed = true;
        else a->hint_text = fill(a, q->hints[a->wrong - 1]);
    }
    return ACTION_REDRAW;
}

/* While typing: show what the answer line reads as when that is not just
 * the text itself ("2/5 = 0.4"). */
static void answer_preview(App *a)
{
    const Question *q = &a->lesson->slides[a->slide].question;
    double v;
    char val[64];
    a->message[0] = '\0';
    a->message_is_error = false;
    if (q->n_choices || !a->answer[0] || eval_number(a->answer, &v, val, sizeof val)) return;
    eval_format(v, val, sizeof val);
    if (strcmp(val, a->answer)) snprintf(a->message, sizeof a->message, "= %s", val);
}

static unsigned answer_key(App *a, int key)
{
    size_t len = strlen(a->answer);
    if (key == TERM_KEY_ENTER) return answer_check(a);
    if (key == TERM_KEY_ESC) {
        a->answering = false;
        a->message[0] = '\0';
        return ACTION_REDRAW;
    }
    if (key == TERM_KEY_BACKSPACE) {
        if (len) a->answer[len - 1] = '\0';
        answer_preview(a);
        return ACTION_REDRAW;
    }
    /* any printable ASCII: digits and operators, or a choice's key letter */
    if (key >= 0x20 && key < 0x7F && len + 1 < sizeof a->answer) {
        a->answer[len] = (char)key;
        a->answer[len + 1] = '\0';
        answer_preview(a);
        return ACTION_REDRAW;
    }
    return ACTION_REDRAW;   /* the answer line swallows other keys */
}

/* Narration lines hidden below the pane at the current screen size. */
static int hidden_below(const App *a)
{
    Layout lo;
    layout_compute(a->view, (int)a->slide_state.point, a->screen_w, a->screen_h, &lo);
    if (lo.too_small || lo.lesson.w < 6) return 0;
    /* the pane keeps at least 3 rows for the question block; be generous */
    const Question *q = &a->lesson->slides[a->slide].question;
    int visible = lo.lesson.h - 2 - (a->question_text ? 4 + q->n_choices : 0);   /* + one line per option */
    int need = panel_lesson_text_lines(a, lo.lesson.w - 4);
    return need - a->text_scroll - (visible > 1 ? visible : 1);
}

unsigned app_lesson_key(App *a, int key)
{
    if (a->answering) return answer_key(a, key);
    /* PgDn / PgUp scroll a long narration first, then turn the page */
    if (key == TERM_KEY_PGDN && hidden_below(a) > 0) {
        a->text_scroll += 3;
        return ACTION_REDRAW;
    }
    if (key == TERM_KEY_PGUP && a->text_scroll > 0) {
        a->text_scroll = a->text_scroll > 3 ? a->text_scroll - 3 : 0;
        return ACTION_REDRAW;
    }
    switch (keys_action(key)) {
    case KA_SLIDE_NEXT:
        if (a->slide + 1 < a->lesson->n_slides) return app_lesson_goto(a, a->slide + 1);
        snprintf(a->message, sizeof a->message, "%s",
                 TR(a, "last slide: press q to quit, or PgUp to go back", "已是最后一页：按 q 退出，或按 PgUp 返回"));
        a->message_is_error = false;
        return ACTION_REDRAW;
    case KA_SLIDE_PREV: return app_lesson_goto(a, a->slide - 1);
    case KA_SLIDE_RESET: return app_lesson_goto(a, a->slide);
    case KA_ANSWER:
        if (!a->lesson->slides[a->slide].has_question) {
            snprintf(a->message, sizeof a->message, "%s",
                     TR(a, "this slide asks no question", "本页没有问题"));
            a->message_is_error = false;
            return ACTION_REDRAW;
        }
        a->answering = true;
        a->answer[0] = '\0';
        a->message[0] = '\0';
        return ACTION_REDRAW;
    default: return ACTION_NONE;
    }
}
