/* app: the state of the terminal UI, and what keys do to it. No curses.
 *
 * The simulation is one Run (sim/run.h): the weights, a cache, a
 * recompute and a train engine over the same prompt, one cache engine per
 * further --prompt (the batch, spec §6.4) and, with --block-size, the one
 * block pool they share. A key moves the engine of the view (the
 * "primary": cache for the compare and memory views) through run_move();
 * the run brings the rest along in its one lockstep order, the order
 * `kvsim trace` steps in, so the screen at step k shows what the trace
 * shows after step k.
 *
 * Update, then draw: app_handle_key() and app_tick() change state and
 * return action flags; app_render() only reads the state and draws the
 * whole screen into a Canvas. term.c is the only thing that puts a canvas
 * on a terminal, so `kvsim frames` and the tests render the same screens.
 *
 * Ownership: app_init() builds the run, app_free() releases it. Panels
 * receive `const App *` and must not change it.
 */
#ifndef KVSIM_APP_H
#define KVSIM_APP_H

#include "lessons/lesson.h"
#include "sim/run.h"
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
/* the UI text in the chosen language; English when drawing ASCII only */
#define TR(app, en, zh) ((app)->opt.lang_zh && !(app)->opt.ascii ? (zh) : (en))

typedef struct LessonPlay LessonPlay;

typedef struct {
    CliOptions opt;           /* options the app was started with (lang, ascii, ...); never changed */
    KvConfig cfg;             /* the shape running now (a lesson or a prompt edit may change it) */
    char prompt[APP_PROMPT_MAX];
    int L, G;
    Run run;                  /* the model, the engines, the batch and the pool */

    View view;                /* cache / recompute / compare / train / memory */
    int layer, head;          /* selected layer and head */
    int seq_shown;            /* a batch: the sequence (0 = A) whose pictures the KV cache
                                 view shows (Tab); see app_shown_engine() */
    bool log_scale;           /* Operations chart */
    bool show_vectors;        /* vector inspector shown (v) */
    bool show_heads;          /* all-heads overview shown (A) */
    bool help;                /* help overlay shown */
    bool blank;               /* screen blanked (b); any key brings it back */
    bool present;             /* presenter mode (z, --present): fewer, bigger panels */
    bool confirm_quit;        /* presenter mode: q asked "quit? y/n" */
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

    /* lesson mode: the player's state (ui/lesson_play.h), NULL otherwise */
    struct LessonPlay *play;
    int screen_w, screen_h;   /* size of the last screen drawn (set by the caller) */
    bool save_progress;       /* write lesson progress (the live UI only) */
    char progress_error[1200]; /* why the last save failed; "" when none */

    /* the batch's prompts: sequence s of the run is seq_prompt[s] */
    int n_seqs;               /* >= 1 (= run.n_seqs) */
    char seq_prompt[CLI_MAX_PROMPTS][APP_PROMPT_MAX];   /* [0] mirrors prompt */
} App;

/* app_init's answer when the options ask for something the run does not
 * have (a --goto step past its end): bad input, exit status 2. */
enum { APP_BAD_INPUT = 2 };

/* Build the run for o (o must have passed cli_prepare; ids and L are its
 * result). Returns 0, APP_BAD_INPUT or -1 (out of memory), with a message. */
int app_init(App *a, const CliOptions *o, const int *ids, int L, char *err, size_t errlen);
void app_free(App *a);

/* The mode whose engine the current view follows (cache for compare and
 * memory), and that engine. */
RunMode app_primary_mode(const App *a);
const Engine *app_engine(const App *a);
/* The engine of a mode. */
static inline const Engine *app_engine_of(const App *a, RunMode m) { return run_engine(&a->run, m); }

/* After a test moved the primary engine directly: bring the rest along
 * (run_sync of the primary mode). */
void app_sync(App *a);

/* The sequence the per-sequence panels show (tokens, mask, attention, KV
 * cache, pipeline, next token, vectors, heads) and its engine: in the KV
 * cache view of a batch, seq_shown (Tab; B's rows are B's own); everywhere
 * else 0 and app_engine(). The panels that compare modes (operations,
 * charts, cost) always show sequence A, the one with a recompute engine. */
int app_shown_seq(const App *a);
const Engine *app_shown_engine(const App *a);

/* Sequence s of the batch (0 .. n_seqs-1): its cache engine and prompt. */
static inline const Engine *app_seq_engine(const App *a, int s) { return run_seq(&a->run, s); }
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
