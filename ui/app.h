/* app: the state of the terminal UI, and what keys do to it. No curses.
 *
 * One App holds the model and three engines over the same weights and
 * prompt: cache, recompute and train. The cache and recompute engines move
 * together: the view's engine (the "primary") is moved by a key, then the
 * other is brought to the same step and operation, so the compare view and
 * the Operations panel always show both modes at the same point.
 *
 * A batch (several --prompt, spec §6.4): one cache engine per prompt, with
 * the same weights and G. Sequence 0 is eng[MODE_CACHE] (what every panel
 * but the memory view shows); the others follow it in lockstep (app_sync).
 * With --block-size they all mirror into ONE block pool, as `kvsim trace`
 * runs them (sim/trace.c): step k of every sequence in prompt order, then
 * step k + 1. The pool's block ids are a function of the position alone:
 * when the cache engine moved in a way that order cannot reproduce
 * (backwards, or over more than one append), the batch is replayed from a
 * fresh pool, so the screen always matches the trace at the same step.
 *
 * Update, then draw: app_handle_key() and app_tick() change state and
 * return action flags; app_render() only reads the state and draws the
 * whole screen into a Canvas. term.c is the only thing that puts a canvas
 * on a terminal, so `kvsim frames` and the tests render the same screens.
 *
 * Ownership: app_init() builds the model and engines, app_free() releases
 * them. Panels receive `const App *` and must not change it.
 */
#ifndef KVSIM_APP_H
#define KVSIM_APP_H

#include "lessons/eval.h"
#include "lessons/lesson.h"
#include "sim/engine.h"
#include "sim/model.h"
#include "ui/canvas.h"
#include "ui/cmd/cli.h"

#include <stdbool.h>

#define APP_MIN_W 80
#define APP_MIN_H 24
#define APP_PROMPT_MAX 256      /* bytes of the prompt text, NUL included */
#define APP_EDIT_MAX 256

/* Action flags returned by input handlers. */
enum {
    ACTION_NONE = 0,
    ACTION_REDRAW = 1u << 0,    /* state changed: render again */
    ACTION_QUIT = 1u << 1,
    ACTION_ERROR = 1u << 2,     /* a message was set (e.g. a rejected prompt) */
};

/* Translate: the English or the Chinese text. Strings live where they are used. */
#define TR(app, en, zh) ((app)->opt.lang_zh ? (zh) : (en))

typedef struct {
    CliOptions opt;           /* options the app was started with (lang, sizes, ...) */
    Model model;
    char prompt[APP_PROMPT_MAX];
    int *ids;                 /* (max_seq) prompt token ids */
    int L, G;
    Engine eng[MODE_COUNT];   /* cache, recompute, train */

    View view;                /* cache / recompute / compare / train / memory */
    int layer, head;          /* selected layer and head */
    bool log_scale;           /* Operations chart */
    bool help;                /* help overlay shown */
    bool blank;               /* screen blanked (b); any key brings it back */
    bool playing;
    bool play_ops;            /* playing (or last played) one operation per tick; else one token step */
    bool step_stop;           /* playing operations pauses at the end of each step (w) */
    int speed;                /* index into the speeds: operations per second */
    int pace;                 /* index into the paces: milliseconds per token step */
    bool jumping;             /* the go-to-step input line is open (j) */
    char jump[16];            /* its text: STEP or STEP.OP */

    bool editing;             /* prompt input line open */
    char edit[APP_EDIT_MAX];  /* text being edited (UTF-8) */
    char message[1400];        /* last error / info line; "" when none */
    bool message_is_error;

    /* lesson mode: lesson != NULL (owned by the App, see app_lesson_start) */
    Lesson *lesson;
    int slide;                /* 0-based */
    SlideSetup slide_state;   /* accumulated set-up of this slide */
    EvalContext ectx;         /* numbers of this slide's state */
    bool ectx_ok;
    char *slide_text;         /* narration, templates filled, paragraphs split by "\n\n" */
    char *question_text;      /* NULL when the slide asks nothing */
    char *explain_text;       /* explanation, templates filled ("" when none) */
    double expected;          /* the question's answer, computed */
    bool answering;           /* answer input line open */
    char answer[48];
    int wrong;                /* wrong answers given to this slide's question */
    bool solved, revealed;    /* right answer given / answer shown after hints */
    double last_given;        /* the last answer typed (a choice: its key's code) */
    char *hint_text;          /* hint for the last wrong answer (keyed or generic),
                                 templates filled; NULL when none is due */
    int text_scroll;          /* narration lines scrolled off the top */
    int screen_w, screen_h;   /* size of the last screen drawn (set by the caller) */
    bool save_progress;       /* write lesson progress (the live UI only) */

    /* the batch: sequence 0 = eng[MODE_CACHE], sequences 1.. = batch[s] */
    int n_seqs;               /* >= 1 */
    char seq_prompt[CLI_MAX_PROMPTS][APP_PROMPT_MAX];   /* [0] mirrors prompt */
    Engine *batch;            /* (n_seqs) cache engines; batch[0] unused */
    PagedPool *pool;          /* shared block pool; NULL without --block-size */
    long batch_pos;           /* cache position the batch and pool were brought to */
} App;

/* Build the model and engines for o (o must have passed cli_prepare; ids
 * and L are its result). Returns 0, or -1 with a message. */
int app_init(App *a, const CliOptions *o, const int *ids, int L, char *err, size_t errlen);
void app_free(App *a);

/* The engine the current view follows (cache for the compare view). */
const Engine *app_engine(const App *a);
/* The engine of a mode. */
static inline const Engine *app_engine_of(const App *a, RunMode m) { return &a->eng[m]; }

/* Bring the secondary of the cache/recompute pair to the primary's step and
 * operation (after moving the primary engine directly), then every cache
 * engine of the batch to the cache engine's position. */
void app_sync(App *a);

/* Sequence s of the batch (0 .. n_seqs-1): its cache engine and prompt. */
static inline const Engine *app_seq_engine(const App *a, int s)
{
    return s == 0 ? &a->eng[MODE_CACHE] : &a->batch[s];
}
static inline const char *app_seq_prompt(const App *a, int s) { return a->seq_prompt[s]; }

/* Handle one key (term.h key codes); returns ACTION_* flags. */
unsigned app_handle_key(App *a, int key);
/* Playing: advance one operation. Returns ACTION_* flags. */
unsigned app_tick(App *a);
/* Milliseconds between ticks at the current speed. */
int app_tick_ms(const App *a);
/* Playing speed in operations per second. */
int app_speed_ops(const App *a);
/* Token autoplay pace in milliseconds per step. */
int app_pace_ms(const App *a);
/* Move the primary engine to the end of token step `step` (op <= 0) or to
 * just after its operation op (1-based), and the others with it. Returns
 * 0, or -1 with a message in a->message when out of range. */
int app_goto(App *a, int step, int op);

/* Lesson mode (ui/lesson_play.c). app_lesson_start takes ownership of l
 * (a parsed lesson) and shows its first slide; returns 0, or -1 with a
 * message (l is then freed). */
int app_lesson_start(App *a, Lesson *l, char *err, size_t errlen);
/* Show slide i (clamped): set the simulator up as the slide says. */
unsigned app_lesson_goto(App *a, int i);
/* Keys of the lesson (next/previous slide, answer, back to the slide's
 * state) and of the answer line; returns ACTION_NONE when not one. */
unsigned app_lesson_key(App *a, int key);
void app_lesson_free(App *a);

/* Replace the model and the run (config, prompt, G); the old one is kept on
 * failure. Returns 0, or -1 with the CLI's message. */
int app_rebuild(App *a, const KvConfig *cfg, const char *prompt, int gen, char *err, size_t errlen);

/* Draw the whole screen for a canvas of the terminal's size. */
void app_render(const App *a, Canvas *c);

#endif
