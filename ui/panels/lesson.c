/* panel_lesson: the lesson pane. The slide's narration (templates filled
 * from the running model), then its question and what the student's
 * answers earned: a hint after a wrong answer, the explanation after the
 * right one (or after the last hint and one more wrong answer). */
#include "ui/panels/panels.h"

#include "lessons/eval.h"
#include "ui/lesson_play.h"
#include "ui/style.h"

#include <stdio.h>
#include <string.h>

/* Lines the narration needs in a box of width w (for scrolling). */
int panel_lesson_text_lines(const App *a, int w)
{
    Rect r = {0, 0, w, 1};
    return a->play->slide_text ? canvas_wrap(NULL, r, STYLE_NORMAL, a->play->slide_text) : 0;
}

/* The narration wrapped into r, scrolled down by `skip` lines: drawn from
 * above r and clipped to it. */
static void draw_narration(Canvas *c, Rect r, int skip, const char *text)
{
    if (r.h <= 0) return;
    Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    Rect box = {r.x, r.y - skip, r.w, r.h + skip};
    canvas_wrap(c, box, STYLE_NORMAL, text);
    canvas_set_clip(c, old);
}

void panel_lesson_draw(const App *a, const Engine *shown, Canvas *c, Rect r)
{
    (void)shown;   /* reads the engines it needs from the App's run */
    const Lesson *l = a->play->lesson;
    if (!l || r.w < 4 || r.h < 3) return;
    if (c->ascii && !strcmp(l->lang, "zh")) {   /* cannot be drawn: say why */
        char t[64];
        snprintf(t, sizeof t, "Lesson %d - slide %d/%d", l->number, a->play->slide + 1, l->n_slides);
        canvas_box(c, r, STYLE_BORDER, t);
        Rect in = {r.x + 2, r.y + 1, r.w - 4, r.h - 2};
        draw_narration(c, in, 0, "This lesson is in Chinese, which needs a UTF-8 terminal (e.g. LANG=C.UTF-8). "
                                 "The same lesson in English: --lang en.");
        return;
    }
    char title[400];
    snprintf(title, sizeof title, TR(a, "Lesson %d: %s \u00b7 slide %d/%d: %s", "第 %d 课：%s \u00b7 第 %d/%d 页：%s"),
             l->number, l->title, a->play->slide + 1, l->n_slides, l->slides[a->play->slide].title);
    canvas_box(c, r, STYLE_BORDER, title);
    Rect in = {r.x + 2, r.y + 1, r.w - 4, r.h - 2};

    /* the question block at the bottom: question, then the feedback */
    char q[1400] = "", fb[1400] = "", val[160];
    int fb_style = STYLE_NORMAL;
    if (a->play->question_text) {
        snprintf(q, sizeof q, "Q: %s", a->play->question_text);
        const Question *qq = &l->slides[a->play->slide].question;
        char exp[64], num[64];
        if (qq->n_choices) {   /* keys, not their codes */
            snprintf(val, sizeof val, "%c", (char)a->play->last_given);
            snprintf(exp, sizeof exp, "%c", qq->correct);
        } else {
            eval_format(a->play->last_given, num, sizeof num);
            eval_format(a->play->expected, exp, sizeof exp);
            /* an expression: say what it was read as, "2/5 = 0.4" */
            const char *typed = a->play->answer;
            while (*typed == ' ') typed++;
            if (*typed && strcmp(typed, num)) snprintf(val, sizeof val, "%.48s = %s", typed, num);
            else snprintf(val, sizeof val, "%s", num);
        }
        if (a->play->solved) {
            snprintf(fb, sizeof fb, TR(a, "\u2713 Right: %s. %s", "\u2713 答对了：%s。%s"), exp, a->play->explain_text);
            fb_style = STYLE_OK;
        } else if (a->play->revealed) {
            snprintf(fb, sizeof fb, TR(a, "\u2717 %s is not it. The answer is %s. %s", "\u2717 %s 不对。答案是 %s。%s"),
                     val, exp, a->play->explain_text);
            fb_style = STYLE_BAD;
        } else if (a->play->hint_text) {   /* filled by lesson_play: keyed or generic */
            const char *hint = a->play->hint_text;
            snprintf(fb, sizeof fb, TR(a, "\u2717 %s is not it. Hint: %s  (press a to try again)",
                                       "\u2717 %s 不对。提示：%s（按 a 再试一次）"), val, hint);
            fb_style = STYLE_BAD;
        } else {
            snprintf(fb, sizeof fb, "%s", TR(a, "Press a to answer.", "按 a 作答。"));
            fb_style = STYLE_DIM;
        }
    }
    Rect measure = in;
    int q_lines = q[0] ? canvas_wrap(NULL, measure, STYLE_TITLE, q) : 0;
    int fb_lines = fb[0] ? canvas_wrap(NULL, measure, fb_style, fb) : 0;
    int bottom = q_lines + fb_lines;
    if (bottom > in.h - 2) bottom = in.h - 2 > 0 ? in.h - 2 : 0;

    /* narration above, then the question block */
    Rect text = {in.x, in.y, in.w, in.h - bottom - (bottom ? 1 : 0)};
    if (a->play->slide_text) {
        int need = panel_lesson_text_lines(a, text.w);
        int skip = a->play->text_scroll;
        if (skip > need - text.h) skip = need - text.h > 0 ? need - text.h : 0;
        draw_narration(c, text, skip, a->play->slide_text);
        if (skip + text.h < need)   /* more below: say how to see it */
            canvas_text(c, r.x + r.w - 14, r.y + r.h - 1, 12, STYLE_HILITE, TR(a, " \u2193 PgDn ", " \u2193 PgDn "));
        if (skip > 0)
            canvas_text(c, r.x + r.w - 14, r.y, 12, STYLE_HILITE, TR(a, " \u2191 PgUp ", " \u2191 PgUp "));
    }
    if (bottom) {
        int y = in.y + in.h - bottom;
        Rect qr = {in.x, y, in.w, q_lines < bottom ? q_lines : bottom};
        canvas_wrap(c, qr, STYLE_TITLE, q);
        y += qr.h;
        Rect fr = {in.x, y, in.w, in.y + in.h - y};
        if (fr.h > 0) canvas_wrap(c, fr, fb_style, fb);
    }
    /* progress dots along the bottom border: one per slide */
    int x = r.x + 2;
    for (int i = 0; i < l->n_slides && x < r.x + r.w - 2; i++, x++)
        canvas_put(c, x, r.y + r.h - 1, i == a->play->slide ? 0x25CF : 0x00B7, i == a->play->slide ? STYLE_HILITE : STYLE_BORDER);
}
