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

/* Lines the narration needs in a box of width w (for scrolling), the
 * note on panels it names that are off screen included. */
int panel_lesson_text_lines(const App *a, int w)
{
    Rect r = {0, 0, w, 1};
    char note[400];
    if (!a->play->slide_text) return 0;
    const int n = canvas_wrap(NULL, r, STYLE_NORMAL, a->play->slide_text);
    return *lesson_play_unseen_note(a, note, sizeof note) ? n + 1 + canvas_wrap(NULL, r, STYLE_HILITE, note) : n;
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

/* The question block at the bottom of the pane: the question (q), then
 * the feedback (fb) in *fb_style; both "" without a question. */
static void question_block(const App *a, char q[1400], char fb[1400], int *fb_style)
{
    const Lesson *l = a->play->lesson;
    char val[160];
    q[0] = fb[0] = '\0';
    *fb_style = STYLE_NORMAL;
    if (a->play->question_text) {
        snprintf(q, 1400, "Q: %s", a->play->question_text);
        const Question *qq = &l->slides[a->play->slide].question;
        char exp[64], num[64];
        if (qq->n_choices) {   /* keys, not their codes */
            snprintf(val, sizeof val, "%c", (char)a->play->last_given);
            snprintf(exp, sizeof exp, "%c", qq->correct);
        } else {
            eval_format(a->play->last_given, num, sizeof num);
            eval_format(a->play->expected, exp, sizeof exp);
            /* an expression: say what it was read as, "2/5 = 0.4"; the text
             * judged, not the answer line (a new try may be half typed) */
            const char *typed = a->play->given;
            while (*typed == ' ') typed++;
            if (*typed && strcmp(typed, num)) snprintf(val, sizeof val, "%.48s = %s", typed, num);
            else snprintf(val, sizeof val, "%s", num);
        }
        if (a->play->solved) {
            snprintf(fb, 1400, TR(a, "\u2713 Right: %s. %s", "\u2713 答对了：%s。%s"), exp, a->play->explain_text);
            *fb_style = STYLE_OK;
        } else if (a->play->revealed) {
            snprintf(fb, 1400, TR(a, "\u2717 %s is not it. The answer is %s. %s", "\u2717 %s 不对。答案是 %s。%s"),
                     val, exp, a->play->explain_text);
            *fb_style = STYLE_BAD;
        } else if (a->play->hint_text) {   /* filled by lesson_play: keyed or generic */
            const char *hint = a->play->hint_text;
            snprintf(fb, 1400, TR(a, "\u2717 %s is not it. Hint: %s  (press a to try again)",
                                  "\u2717 %s 不对。提示：%s（按 a 再试一次）"), val, hint);
            *fb_style = STYLE_BAD;
        } else {
            snprintf(fb, 1400, "%s", TR(a, "Press a to answer.", "按 a 作答。"));
            *fb_style = STYLE_DIM;
        }
    }
}

/* Rows of the question block inside the pane's inner rect `in`, and of
 * its feedback (*fb_rows). Short of room, a judgement (what the last
 * answer earned) keeps its lines and the question loses its last ones,
 * keeping its first; the mere "Press a to answer." gives way to the
 * question. */
static int bottom_rows(const App *a, Rect in, int *fb_rows)
{
    char q[1400], fb[1400];
    int fb_style;
    question_block(a, q, fb, &fb_style);
    const int q_lines = q[0] ? canvas_wrap(NULL, in, STYLE_TITLE, q) : 0;
    const int fb_lines = fb[0] ? canvas_wrap(NULL, in, fb_style, fb) : 0;
    int bottom = q_lines + fb_lines;
    if (bottom > in.h - 2) bottom = in.h - 2 > 0 ? in.h - 2 : 0;
    if (fb_style == STYLE_DIM)   /* only "Press a to answer.": the question first */
        *fb_rows = bottom - q_lines > 0 ? bottom - q_lines : 0;
    else
        *fb_rows = fb_lines < bottom - 1 ? fb_lines : bottom - 1 > 0 ? bottom - 1 : 0;
    return bottom;
}

int panel_lesson_hidden_below(const App *a, Rect r, int *text_h)
{
    *text_h = 0;
    if (!a->play || !a->play->slide_text || r.w < 4 || r.h < 3) return 0;
    const Rect in = {r.x + 2, r.y + 1, r.w - 4, r.h - 2};
    int fb_rows;
    const int bottom = bottom_rows(a, in, &fb_rows);
    *text_h = in.h - bottom - (bottom ? 1 : 0);
    return panel_lesson_text_lines(a, in.w) - a->play->text_scroll - *text_h;
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

    char q[1400], fb[1400];
    int fb_style;
    question_block(a, q, fb, &fb_style);
    int fb_rows;
    const int bottom = bottom_rows(a, in, &fb_rows);

    /* narration above, then the question block */
    Rect text = {in.x, in.y, in.w, in.h - bottom - (bottom ? 1 : 0)};
    if (a->play->slide_text) {
        int need = panel_lesson_text_lines(a, text.w);
        int skip = a->play->text_scroll;
        if (skip > need - text.h) skip = need - text.h > 0 ? need - text.h : 0;
        draw_narration(c, text, skip, a->play->slide_text);
        char note[400];
        if (*lesson_play_unseen_note(a, note, sizeof note)) {   /* after the narration and a blank line */
            const int y = text.y + canvas_wrap(NULL, text, STYLE_NORMAL, a->play->slide_text) + 1 - skip;
            const Rect nr = {text.x, y, text.w, text.y + text.h - y};
            if (nr.h > 0 && y >= text.y) canvas_wrap(c, nr, STYLE_HILITE, note);
        }
        /* both markers on the bottom border, right of the progress dots:
         * on the top border "↑ PgUp" would cover part of a long title */
        if (skip + text.h < need)   /* more below: say how to see it */
            canvas_text(c, r.x + r.w - 14, r.y + r.h - 1, 12, STYLE_HILITE, " \u2193 PgDn ");
        if (skip > 0 && r.x + r.w - 23 > r.x + 2 + l->n_slides)
            canvas_text(c, r.x + r.w - 23, r.y + r.h - 1, 8, STYLE_HILITE, " \u2191 PgUp ");
    }
    if (bottom) {
        int y = in.y + in.h - bottom;
        Rect qr = {in.x, y, in.w, bottom - fb_rows};
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
