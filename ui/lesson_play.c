/* lesson_play: the App in lesson mode. A slide's set-up becomes the
 * simulator's state (model, prompt, mode, position, selection); its
 * narration and question are filled in from the running model; the
 * student's answers are checked against the computed value. */
#include "ui/app.h"

#include "lessons/progress.h"
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
    a->slide_text = a->question_text = a->explain_text = NULL;
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
static void save_progress(App *a, bool solved_now)
{
    if (!a->save_progress) return;
    int questions = 0, index = -1;
    for (int i = 0; i < a->lesson->n_slides; i++) {
        if (i == a->slide && a->lesson->slides[i].has_question) index = questions;
        questions += a->lesson->slides[i].has_question;
    }
    Progress p = {a->slide + 1, a->lesson->n_slides, 0, questions, 0};
    if (solved_now && index >= 0 && index < 64) p.solved_mask = 1ull << index;
    char err[sizeof a->progress_error];
    if (progress_put(a->lesson->id, a->lesson->lang, p, err, sizeof err) == 0) return;
    /* warn once on screen (not as a lesson error: the lesson goes on); the
     * caller repeats it on stderr at exit */
    if (!a->progress_error[0]) {
        snprintf(a->message, sizeof a->message, "warning: %s", err);
        a->message_is_error = false;
    }
    snprintf(a->progress_error, sizeof a->progress_error, "%s", err);
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
        a->question_text = fill(a, s->question.text);
        a->explain_text = fill(a, s->question.explain ? s->question.explain : "");
        a->expected = NAN;
        if (a->ectx_ok && eval_expr(&a->ectx, s->question.expr, &a->expected, err, sizeof err)) {
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

/* Enter on the answer line. */
static unsigned answer_check(App *a)
{
    const Question *q = &a->lesson->slides[a->slide].question;
    char *end = NULL;
    double v = strtod(a->answer, &end);
    while (end && *end == ' ') end++;
    if (!a->answer[0] || !end || *end) {
        snprintf(a->message, sizeof a->message, "%s",
                 TR(a, "type a number, e.g. 15 or 0.4", "请输入一个数，例如 15 或 0.4"));
        a->message_is_error = true;
        return ACTION_REDRAW | ACTION_ERROR;
    }
    a->answering = false;
    a->last_given = v;
    a->message[0] = '\0';
    if (lesson_answer_ok(a->expected, q->tolerance, v)) {
        if (!a->solved && !a->revealed) save_progress(a, true);
        a->solved = true;
    } else {
        a->wrong++;
        if (a->wrong > q->n_hints) a->revealed = true;
    }
    return ACTION_REDRAW;
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
        return ACTION_REDRAW;
    }
    if (((key >= '0' && key <= '9') || key == '.' || key == '-' || key == 'e' || key == '+') &&
        len + 1 < sizeof a->answer) {
        a->answer[len] = (char)key;
        a->answer[len + 1] = '\0';
        a->message[0] = '\0';
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
    int visible = lo.lesson.h - 2 - (a->question_text ? 4 : 0);
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
