/* lesson_play: the App in lesson mode. See lesson_play.h. */
#include "ui/lesson_play.h"

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
    if (!a->play->ectx_ok || eval_template(&a->play->ectx, text, out, cap, err, sizeof err))
        snprintf(out, cap, "%s", text);
    return out;
}

static void free_texts(App *a)
{
    free(a->play->slide_text);
    free(a->play->question_text);
    free(a->play->explain_text);
    a->play->slide_text = a->play->question_text = a->play->explain_text = NULL;
}

void app_lesson_free(App *a)
{
    if (!a->play) return;
    free_texts(a);
    if (a->play->ectx_ok) eval_context_free(&a->play->ectx);
    lesson_free(a->play->lesson);
    free(a->play->lesson);
    free(a->play);
    a->play = NULL;
}

/* Move the run to the slide's goto. */
static void apply_goto(App *a, const LessonGoto *g)
{
    const RunMode m = app_primary_mode(a);
    const Engine *e = app_engine(a);
    long target = 0;
    switch (g->kind) {
    case GOTO_START: target = 0; break;
    case GOTO_END: target = engine_total_ops(e); break;
    case GOTO_STEP_END: target = run_step_start(e, g->step + 1); break;
    case GOTO_STEP_OP:
        target = run_op_pos(e, g->step, g->op, g->layer < 0 ? 0 : g->layer);
        if (target < 0) target = run_step_start(e, g->step + 1);   /* op not in this mode: end of step */
        break;
    }
    run_seek(&a->run, m, target);
}

/* Record how far the student got (live UI only: previews and tests keep
 * the student's file untouched). */
static void save_progress(const App *a, bool solved_now)
{
    if (!a->save_progress) return;
    int questions = 0, index = -1;
    for (int i = 0; i < a->play->lesson->n_slides; i++) {
        if (i == a->play->slide && a->play->lesson->slides[i].has_question) index = questions;
        questions += a->play->lesson->slides[i].has_question;
    }
    Progress p = {a->play->slide + 1, a->play->lesson->n_slides, 0, questions, 0};
    if (solved_now && index >= 0 && index < 64) p.solved_mask = 1ull << index;
    progress_put(a->play->lesson->id, a->play->lesson->lang, p);
}

unsigned app_lesson_goto(App *a, int i)
{
    const Lesson *l = a->play->lesson;
    if (i < 0) i = 0;
    if (i >= l->n_slides) i = l->n_slides - 1;
    SlideSetup st = lesson_state_at(l, i);
    char err[320];
    bool same = a->play->slide_state.prompt && lesson_same_run(&a->play->slide_state, &st);
    if (!same && app_rebuild(a, &st.model, st.prompt, st.gen, err, sizeof err)) {
        snprintf(a->message, sizeof a->message, "slide %d: %s", i + 1, err);
        a->message_is_error = true;
        return ACTION_REDRAW | ACTION_ERROR;
    }
    a->play->slide = i;
    a->play->slide_state = st;
    a->view = view_of(st.mode);
    a->layer = st.layer < a->opt.cfg.n_layers ? st.layer : 0;
    a->head = st.head < a->opt.cfg.n_heads ? st.head : 0;
    a->playing = false;
    a->play->answering = false;
    a->play->wrong = 0;
    a->play->solved = a->play->revealed = false;
    a->play->text_scroll = 0;
    apply_goto(a, &st.go);

    /* numbers of this slide, for templates and the question */
    /* lend the run's weights: one copy of the model during a lesson */
    const Model *w = a->run.model;
    if (a->play->ectx_ok) a->play->ectx_ok = eval_context_update_with(&a->play->ectx, &st, w, err, sizeof err) == 0;
    else a->play->ectx_ok = eval_context_init_with(&a->play->ectx, &st, w, err, sizeof err) == 0;
    free_texts(a);
    const Slide *s = &l->slides[i];
    size_t len = 1;
    for (int p = 0; p < s->n_paragraphs; p++) len += strlen(s->paragraphs[p]) * 10 + 72;
    a->play->slide_text = calloc(len, 1);
    for (int p = 0; a->play->slide_text && p < s->n_paragraphs; p++) {
        char *t = fill(a, s->paragraphs[p]);
        if (p) strcat(a->play->slide_text, "\n\n");
        if (t) strncat(a->play->slide_text, t, len - strlen(a->play->slide_text) - 1);
        free(t);
    }
    if (s->has_question) {
        a->play->question_text = fill(a, s->question.text);
        a->play->explain_text = fill(a, s->question.explain ? s->question.explain : "");
        a->play->expected = NAN;
        if (a->play->ectx_ok && eval_expr(&a->play->ectx, s->question.expr, &a->play->expected, err, sizeof err)) {
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
    a->play = calloc(1, sizeof *a->play);   /* slide_state zeroed: no run set up yet */
    if (!a->play) {
        lesson_free(l);
        free(l);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->play->lesson = l;
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
    const Question *q = &a->play->lesson->slides[a->play->slide].question;
    char *end = NULL;
    double v = strtod(a->play->answer, &end);
    while (end && *end == ' ') end++;
    if (!a->play->answer[0] || !end || *end) {
        snprintf(a->message, sizeof a->message, "%s",
                 TR(a, "type a number, e.g. 15 or 0.4", "请输入一个数，例如 15 或 0.4"));
        a->message_is_error = true;
        return ACTION_REDRAW | ACTION_ERROR;
    }
    a->play->answering = false;
    a->play->last_given = v;
    a->message[0] = '\0';
    if (lesson_answer_ok(a->play->expected, q->tolerance, v)) {
        if (!a->play->solved && !a->play->revealed) save_progress(a, true);
        a->play->solved = true;
    } else {
        a->play->wrong++;
        if (a->play->wrong > q->n_hints) a->play->revealed = true;
    }
    return ACTION_REDRAW;
}

static unsigned answer_key(App *a, int key)
{
    size_t len = strlen(a->play->answer);
    if (key == TERM_KEY_ENTER) return answer_check(a);
    if (key == TERM_KEY_ESC) {
        a->play->answering = false;
        a->message[0] = '\0';
        return ACTION_REDRAW;
    }
    if (key == TERM_KEY_BACKSPACE) {
        if (len) a->play->answer[len - 1] = '\0';
        return ACTION_REDRAW;
    }
    if (((key >= '0' && key <= '9') || key == '.' || key == '-' || key == 'e' || key == '+') &&
        len + 1 < sizeof a->play->answer) {
        a->play->answer[len] = (char)key;
        a->play->answer[len + 1] = '\0';
        a->message[0] = '\0';
        return ACTION_REDRAW;
    }
    return ACTION_REDRAW;   /* the answer line swallows other keys */
}

/* Narration lines hidden below the pane at the current screen size. */
static int hidden_below(const App *a)
{
    Layout lo;
    layout_compute(a->view, (int)a->play->slide_state.point, a->screen_w, a->screen_h, &lo);
    if (lo.too_small || lo.lesson.w < 6) return 0;
    /* the pane keeps at least 3 rows for the question block; be generous */
    int visible = lo.lesson.h - 2 - (a->play->question_text ? 4 : 0);
    int need = panel_lesson_text_lines(a, lo.lesson.w - 4);
    return need - a->play->text_scroll - (visible > 1 ? visible : 1);
}

unsigned app_lesson_key(App *a, int key)
{
    if (a->play->answering) return answer_key(a, key);
    /* PgDn / PgUp scroll a long narration first, then turn the page */
    if (key == TERM_KEY_PGDN && hidden_below(a) > 0) {
        a->play->text_scroll += 3;
        return ACTION_REDRAW;
    }
    if (key == TERM_KEY_PGUP && a->play->text_scroll > 0) {
        a->play->text_scroll = a->play->text_scroll > 3 ? a->play->text_scroll - 3 : 0;
        return ACTION_REDRAW;
    }
    switch (keys_action(key)) {
    case KA_SLIDE_NEXT:
        if (a->play->slide + 1 < a->play->lesson->n_slides) return app_lesson_goto(a, a->play->slide + 1);
        snprintf(a->message, sizeof a->message, "%s",
                 TR(a, "last slide: press q to quit, or PgUp to go back", "已是最后一页：按 q 退出，或按 PgUp 返回"));
        a->message_is_error = false;
        return ACTION_REDRAW;
    case KA_SLIDE_PREV: return app_lesson_goto(a, a->play->slide - 1);
    case KA_SLIDE_RESET: return app_lesson_goto(a, a->play->slide);
    case KA_ANSWER:
        if (!a->play->lesson->slides[a->play->slide].has_question) {
            snprintf(a->message, sizeof a->message, "%s",
                     TR(a, "this slide asks no question", "本页没有问题"));
            a->message_is_error = false;
            return ACTION_REDRAW;
        }
        a->play->answering = true;
        a->play->answer[0] = '\0';
        a->message[0] = '\0';
        return ACTION_REDRAW;
    default: return ACTION_NONE;
    }
}
