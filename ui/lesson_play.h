/* lesson_play: the App in lesson mode. A slide's set-up becomes the
 * simulator's state (model, prompt, mode, position, selection); its
 * narration and question are filled in from the running model; the
 * student's answers are checked against the computed value.
 *
 * LessonPlay is the player's state. The App holds a pointer to it (NULL
 * outside lesson mode); app_lesson_start() makes it, app_lesson_free()
 * releases it with the lesson. The App itself keeps only view state.
 */
#ifndef KVSIM_LESSON_PLAY_H
#define KVSIM_LESSON_PLAY_H

#include "lessons/eval.h"
#include "lessons/lesson.h"
#include "ui/app.h"

#include <stdbool.h>

struct LessonPlay {
    Lesson *lesson;           /* parsed, owned */
    int slide;                /* 0-based */
    SlideSetup slide_state;   /* accumulated set-up of this slide */
    EvalContext ectx;         /* numbers of this slide's state (borrows the run's weights) */
    bool ectx_ok;
    char *slide_text;         /* narration, templates filled, paragraphs split by "\n\n" */
    char *question_text;      /* NULL when the slide asks nothing */
    char *explain_text;       /* explanation, templates filled ("" when none) */
    double expected;          /* the question's answer, computed */
    bool answering;           /* answer input line open */
    char answer[48];          /* the answer line as it is being typed */
    char given[48];           /* the text of the last answer judged (what the feedback names) */
    int wrong;                /* wrong answers given to this slide's question */
    bool solved, revealed;    /* right answer given / answer shown after hints */
    double last_given;        /* the last answer typed (a choice: its key's code) */
    char *hint_text;          /* hint for the last wrong answer (keyed or generic),
                                 templates filled; NULL when none is due */
    int text_scroll;          /* narration lines scrolled off the top */
    unsigned mentions;        /* 1u << LessonPoint of every panel the narration names */
};

/* When the narration names a panel that the screen (a->screen_w x
 * a->screen_h) does not show, a note on how to see it, else "". */
const char *lesson_play_unseen_note(const App *a, char *buf, size_t len);


#endif
