/* lesson_play: the App in lesson mode. A slide's set-up becomes the
 * simulator's state (model, prompt, mode, position, selection); its
 * narration and question are filled in from the running model; the
 * student's answers are checked against the computed value. */
#include "ui/lesson_play.h"

#include "lessons/progress.h"
#include "lessons/weights.h"
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
    free(a->play->hint_text);
    a->play->slide_text = a->play->question_text = a->play->explain_text = a->play->hint_text = NULL;
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
static void save_progress(App *a, bool solved_now)
{
    if (!a->save_progress) return;
    int questions = 0, index = -1;
    for (int i = 0; i < a->play->lesson->n_slides; i++) {
        if (i == a->play->slide && a->play->lesson->slides[i].has_question) index = questions;
        questions += a->play->lesson->slides[i].has_question;
    }
    Progress p = {a->play->slide + 1, a->play->lesson->n_slides, 0, questions, 0};
    if (solved_now && index >= 0 && index < 64) p.solved_mask = 1ull << index;
    char err[sizeof a->progress_error];
    if (progress_put(a->play->lesson->id, a->play->lesson->lang, p, err, sizeof err) == 0) return;
    /* warn once on screen (not as a lesson error: the lesson goes on); the
     * caller repeats it on stderr at exit */
    if (!a->progress_error[0]) {
        snprintf(a->message, sizeof a->message, "warning: %s", err);
        a->message_is_error = false;
    }
    snprintf(a->progress_error, sizeof a->progress_error, "%s", err);
}

/* How the lessons name the panels, en and zh (the panels' titles). */
static const struct { int point; const char *en, *zh, *title_en, *title_zh; } panel_names[] = {
    {POINT_TOKENS, "Tokens panel", "「词元」面板", "Tokens", "词元"},
    {POINT_MASK, "Causal mask panel", "「因果掩码」面板", "Causal mask", "因果掩码"},
    {POINT_ATTENTION, "Attention panel", "「注意力」面板", "Attention", "注意力"},
    {POINT_KVCACHE, "KV cache panel", "「KV 缓存」面板", "KV cache", "KV 缓存"},
    {POINT_OPS, "Operations panel", "「运算」面板", "Operations", "运算"},
    {POINT_CHART, "Cumulative MACs panel", "「累计乘加」面板", "Cumulative MACs", "累计乘加"},
    {POINT_PIPELINE, "Pipeline panel", "「流水线」面板", "Pipeline", "流水线"},
    {POINT_BLOCKS, "KV blocks panel", "「KV 块」面板", "KV blocks", "KV 块"},
    {POINT_TRAFFIC, "Memory traffic panel", "「访存」面板", "Memory traffic", "访存"},
};
#define N_PANEL_NAMES ((int)(sizeof panel_names / sizeof panel_names[0]))

static unsigned mentions_of(const char *text)
{
    unsigned m = 0;
    for (int i = 0; text && i < N_PANEL_NAMES; i++)
        if (strstr(text, panel_names[i].en) || strstr(text, panel_names[i].zh)) m |= 1u << panel_names[i].point;
    return m;
}

const char *lesson_play_unseen_note(const App *a, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!a->play || !a->play->mentions || a->screen_w <= 0 || a->screen_h <= 0) return buf;
    Layout lo, big;
    layout_app(a, a->screen_w, a->screen_h, &lo);
    if (lo.too_small) return buf;
    /* the note promises 150x40: name only panels that size (or this one,
     * if larger) shows; a panel of another view shows at no size */
    layout_app(a, a->screen_w > 150 ? a->screen_w : 150, a->screen_h > 40 ? a->screen_h : 40, &big);
    char names[256] = "";
    int n = 0;
    for (int i = 0; i < N_PANEL_NAMES; i++) {
        if (!(a->play->mentions & (1u << panel_names[i].point))) continue;
        for (int p = 0; p < panel_count; p++) {
            if (panel_list[p].point != panel_names[i].point) continue;
            const Rect r = *(const Rect *)(const void *)((const char *)&lo + panel_list[p].rect);
            const Rect rb = *(const Rect *)(const void *)((const char *)&big + panel_list[p].rect);
            if ((r.w > 0 && r.h > 0) || rb.w <= 0 || rb.h <= 0) break;
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", n++ ? TR(a, ", ", "、") : "",
                     TR(a, panel_names[i].title_en, panel_names[i].title_zh));
            break;
        }
    }
    if (!n)
        return buf;
    /* a window of 150 columns puts the lesson beside every panel */
    snprintf(buf, len,
             TR(a, "(Not on screen at %dx%d: %s. A window of 150x40 or more shows every panel beside the lesson.)",
                "（%dx%d 的窗口放不下：%s。150x40 或更大的窗口可在课文旁显示所有面板。）"),
             a->screen_w, a->screen_h, names);
    return buf;
}

unsigned app_lesson_goto(App *a, int i)
{
    const Lesson *l = a->play->lesson;
    if (i < 0) i = 0;
    if (i >= l->n_slides) i = l->n_slides - 1;
    SlideSetup st = lesson_state_at(l, i);
    char err[320];
    bool same = a->play->slide_state.prompt && lesson_same_run(&a->play->slide_state, &st);
    if (!same) {   /* the slide's batch (prompt: lines after the first), as --prompt gives it */
        a->n_seqs = 1 + st.n_batch;
        a->seq_shown = 0;   /* a new batch starts on A */
        for (int s = 0; s < st.n_batch; s++)
            snprintf(a->seq_prompt[s + 1], sizeof a->seq_prompt[s + 1], "%s", st.batch[s]);
    }
    /* the slide's weights: the seeded random model, or the shipped trained one
     * (its shape and alphabet; lessons/weights.h) */
    KvConfig cfg = st.model;
    if (!same && (lesson_weights_apply(&st, &cfg, err, sizeof err) ||
                  app_rebuild(a, &cfg, st.prompt, st.gen, err, sizeof err))) {
        snprintf(a->message, sizeof a->message, "slide %d: %s", i + 1, err);
        a->message_is_error = true;
        return ACTION_REDRAW | ACTION_ERROR;
    }
    a->play->slide = i;
    a->play->slide_state = st;
    a->view = view_of(st.mode);
    a->layer = st.layer < a->cfg.n_layers ? st.layer : 0;
    a->head = st.head < a->cfg.n_heads ? st.head : 0;
    a->playing = false;
    a->play->answering = false;
    a->play->wrong = 0;
    a->play->solved = a->play->revealed = false;
    a->play->given[0] = '\0';
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
    a->play->mentions = mentions_of(a->play->slide_text);
    if (s->has_question) {
        const Question *q = &s->question;
        a->play->question_text = fill(a, q->text);
        for (int c = 0; a->play->question_text && c < q->n_choices; c++) {   /* the options, one a line */
            char *t = fill(a, q->choices[c].text);
            size_t n = strlen(a->play->question_text) + (t ? strlen(t) : 0) + 8;
            char *qt = realloc(a->play->question_text, n);
            if (qt) {
                snprintf(qt + strlen(qt), n - strlen(qt), "\n%c) %s", q->choices[c].key, t ? t : "");
                a->play->question_text = qt;
            }
            free(t);
        }
        a->play->explain_text = fill(a, q->explain ? q->explain : "");
        a->play->expected = NAN;
        if (q->n_choices) {
            a->play->expected = lesson_choice_value(q->correct);
        } else if (a->play->ectx_ok && eval_expr(&a->play->ectx, q->expr, &a->play->expected, err, sizeof err)) {
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

/* The typed answer as a number: a choice question takes one of its keys
 * (its code, lesson_choice_value), any other an arithmetic expression
 * (eval_number: "2/5" is 0.4). 0, or -1 with a message for the student. */
static int answer_value(const App *a, const Question *q, double *v, char *msg, size_t msglen)
{
    const char *s = a->play->answer;
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
    if (n == 0 || eval_number(a->play->answer, v, err, sizeof err)) {
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
        else if (!a->play->ectx_ok || eval_expr(&a->play->ectx, q->wrong[i].value, &w, err, sizeof err)) continue;
        if (lesson_answer_ok(w, q->n_choices ? 0 : q->tolerance, v)) return i;
    }
    return -1;
}

/* Enter on the answer line. */
static unsigned answer_check(App *a)
{
    const Question *q = &a->play->lesson->slides[a->play->slide].question;
    double v;
    if (answer_value(a, q, &v, a->message, sizeof a->message)) {
        a->message_is_error = true;
        return ACTION_REDRAW | ACTION_ERROR;
    }
    a->play->answering = false;
    a->play->last_given = v;
    snprintf(a->play->given, sizeof a->play->given, "%s", a->play->answer);   /* the answer line is reused for the next try */
    a->message[0] = '\0';
    free(a->play->hint_text);
    a->play->hint_text = NULL;
    int keyed = -1;
    if (lesson_answer_ok(a->play->expected, q->n_choices ? 0 : q->tolerance, v)) {
        if (!a->play->solved && !a->play->revealed) save_progress(a, true);
        a->play->solved = true;
    } else if ((keyed = keyed_hint_of(a, q, v)) >= 0) {
        a->play->hint_text = fill(a, q->wrong[keyed].text);   /* that mistake's own hint */
    } else {
        /* the generic hints, one per wrong answer, then the explanation */
        a->play->wrong++;
        if (a->play->wrong > q->n_hints) a->play->revealed = true;
        else a->play->hint_text = fill(a, q->hints[a->play->wrong - 1]);
    }
    return ACTION_REDRAW;
}

/* While typing: show what the answer line reads as when that is not just
 * the text itself ("2/5 = 0.4"). */
static void answer_preview(App *a)
{
    const Question *q = &a->play->lesson->slides[a->play->slide].question;
    double v;
    char val[64];
    a->message[0] = '\0';
    a->message_is_error = false;
    if (q->n_choices || !a->play->answer[0] || eval_number(a->play->answer, &v, val, sizeof val)) return;
    eval_format(v, val, sizeof val);
    if (strcmp(val, a->play->answer)) snprintf(a->message, sizeof a->message, "= %s", val);
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
        answer_preview(a);
        return ACTION_REDRAW;
    }
    /* any printable ASCII: digits and operators, or a choice's key letter */
    if (key >= 0x20 && key < 0x7F && len + 1 < sizeof a->play->answer) {
        a->play->answer[len] = (char)key;
        a->play->answer[len + 1] = '\0';
        answer_preview(a);
        return ACTION_REDRAW;
    }
    return ACTION_REDRAW;   /* the answer line swallows other keys */
}

/* Narration lines hidden below the pane at the current screen size, as
 * the pane draws it (the question block as tall as it is); *page gets how
 * far PgDn / PgUp scroll: the lines on screen but one, at least one. */
static int hidden_below(const App *a, int *page)
{
    Layout lo;
    int text_h = 0;
    layout_app(a, a->screen_w, a->screen_h, &lo);
    const int hidden = lo.too_small || lo.lesson.w < 6 ? 0 : panel_lesson_hidden_below(a, lo.lesson, &text_h);
    *page = text_h > 2 ? text_h - 1 : 1;
    return hidden;
}

unsigned app_lesson_key(App *a, int key)
{
    if (a->play->answering) return answer_key(a, key);
    /* PgDn / PgUp scroll a long narration first, then turn the page */
    int page;
    const int hidden = hidden_below(a, &page);
    if (key == TERM_KEY_PGDN && hidden > 0) {
        a->play->text_scroll += page < hidden ? page : hidden;
        return ACTION_REDRAW;
    }
    if (key == TERM_KEY_PGUP && a->play->text_scroll > 0) {
        a->play->text_scroll = a->play->text_scroll > page ? a->play->text_scroll - page : 0;
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
