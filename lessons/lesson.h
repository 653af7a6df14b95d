/* lesson: the lesson file format of docs/lessons.md, its parser, and the
 * simulator set-up each slide asks for.
 *
 * A Lesson is plain data: parsing runs nothing. lesson_state_at() folds the
 * slides' directives into the set-up a slide shows; eval.h turns a set-up
 * into numbers (questions and {templates}); check.c validates a whole
 * lesson and prints it as a handout.
 *
 * Ownership: lesson_parse()/lesson_load() allocate every string and array
 * of the Lesson; lesson_free() releases them (it is safe on a zeroed or
 * already freed Lesson). Pointers inside a SlideSetup point into the Lesson
 * that produced it (or to static strings) and live as long as it does.
 *
 * Limits (the parser is fuzzed; every loop and allocation is bounded by
 * them): a file of at most LESSON_MAX_BYTES, lines of at most
 * LESSON_MAX_LINE bytes, at most LESSON_MAX_SLIDES slides and
 * LESSON_MAX_HINTS hints per question. Nothing recurses.
 *
 * Errors are one line, "PATH:LINE: message", naming what is wrong and what
 * is allowed; only a file that cannot be read at all gives "PATH: message".
 */
#ifndef KVSIM_LESSON_H
#define KVSIM_LESSON_H

#include "sim/config.h"
#include "sim/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define LESSON_MAX_BYTES (1 << 20)   /* whole file */
#define LESSON_MAX_LINE 4096         /* bytes per line, without the newline */
#define LESSON_MAX_SLIDES 200
#define LESSON_MAX_HINTS 16
#define LESSON_MAX_ID 32             /* bytes of id: */
#define LESSON_MAX_CHOICES 8         /* choice: lines per question */
#define LESSON_MAX_PROMPTS 8         /* prompt: lines per slide (a batch, spec §6.4/§6.8) */

/* The view a slide selects (`mode:`); compare shows cache and recompute
 * side by side; memory shows the cache run's KV blocks and memory traffic
 * (its numbers and its goto are those of the cache run). */
typedef enum {
    LESSON_MODE_CACHE,
    LESSON_MODE_RECOMPUTE,
    LESSON_MODE_COMPARE,
    LESSON_MODE_TRAIN,
    LESSON_MODE_MEMORY,
    LESSON_MODE_COUNT
} LessonMode;

/* `goto:` */
typedef enum {
    GOTO_START,     /* pos 0: nothing run yet */
    GOTO_END,       /* after the last operation of the last step */
    GOTO_STEP_END,  /* step K end */
    GOTO_STEP_OP,   /* step K op NAME [layer L]: just after that operation */
} GotoKind;

typedef struct {
    GotoKind kind;
    int step;       /* K (STEP_END, STEP_OP) */
    OpKind op;      /* STEP_OP */
    int layer;      /* STEP_OP on a per-layer operation: L; -1 when not
                       given (layer 0 is meant) or for ops outside layers */
} LessonGoto;

/* `point:` (POINT_NONE: no panel highlighted; `point: none` clears) */
typedef enum {
    POINT_NONE,
    POINT_TOKENS,
    POINT_MASK,
    POINT_ATTENTION,
    POINT_KVCACHE,
    POINT_OPS,
    POINT_CHART,
    POINT_PIPELINE,
    POINT_BLOCKS,    /* memory view: KV blocks (the paged pool) */
    POINT_TRAFFIC,   /* memory view: Memory traffic */
    POINT_COUNT
} LessonPoint;

/* Each thing a slide can set; bit (1u << field) of SlideSetup.set. */
typedef enum {
    SET_PROMPT,
    SET_GEN,
    SET_D_MODEL,
    SET_HEADS,
    SET_LAYERS,
    SET_D_FF,
    SET_MAX_SEQ,
    SET_SEED,
    SET_KV_HEADS,    /* model: kv-heads= */
    SET_WINDOW,      /* model: window= (none: no window) */
    SET_BLOCK_SIZE,  /* model: block-size= (none: contiguous cache) */
    SET_CHUNK,       /* model: chunk= (none: one prefill step; spec §6.7) */
    SET_SPECULATE,   /* model: speculate= (none: plain decoding; spec §6.9) */
    SET_ROPE,        /* model: rope=on|off (spec §6.10) */
    SET_ROPE_BUG,    /* model: rope-offset-bug=on|off (§6.10's teaching switch) */
    SET_PREFIX,      /* model: prefix-cache=on|off (spec §6.8; needs a batch to matter) */
    SET_WEIGHTS,     /* model: weights=random|trained (the shipped model, spec §7) */
    SET_MODE,
    SET_GOTO,
    SET_LAYER,   /* select: layer */
    SET_HEAD,    /* select: head */
    SET_POINT,
    SET_FIELD_COUNT
} SetupField;

#define SETUP_BIT(f) (1u << (f))
#define SETUP_MODEL_BITS                                                                  \
    (SETUP_BIT(SET_D_MODEL) | SETUP_BIT(SET_HEADS) | SETUP_BIT(SET_LAYERS) |               \
     SETUP_BIT(SET_D_FF) | SETUP_BIT(SET_MAX_SEQ) | SETUP_BIT(SET_SEED) |                   \
     SETUP_BIT(SET_KV_HEADS) | SETUP_BIT(SET_WINDOW) | SETUP_BIT(SET_BLOCK_SIZE) |          \
     SETUP_BIT(SET_CHUNK) | SETUP_BIT(SET_SPECULATE) | SETUP_BIT(SET_ROPE) |              \
     SETUP_BIT(SET_ROPE_BUG) | SETUP_BIT(SET_PREFIX) | SETUP_BIT(SET_WEIGHTS))

/* The simulator set-up.
 * In a Slide: what that slide's own directives set; fields whose bit is
 * clear in `set` are unspecified.
 * From lesson_state_at(): every field is valid (defaults filled in) and
 * `set` has the bits set by any slide up to and including that one.
 * model.vocab is always tokenizer_vocab(). When d-ff was never set,
 * model.d_ff = 4 · d_model, and when kv-heads was never set,
 * model.n_kv_heads = n_heads (as on the command line). model.window and
 * model.block_size are 0 unless set (`window=none` / `block-size=none`
 * set them back to 0 on a later slide).
 * Values are only checked for syntax and coarse ranges here; eval_context_init
 * validates them like the CLI does. */
typedef struct {
    unsigned set;              /* SETUP_BIT(field) for each field set */
    const char *prompt;        /* UTF-8, borrowed (the Lesson or a static);
                                  `prompt: "the cat "` keeps the spaces */
    const char *batch[LESSON_MAX_PROMPTS - 1];   /* further prompt: lines of the slide
                                  that set the prompt, borrowed: sequences 1..n_batch
                                  of a batch (spec §6.4, §6.8); SET_PROMPT covers them */
    int n_batch;               /* 0 = one sequence */
    int gen;                   /* G */
    KvConfig model;
    bool trained;              /* weights=trained: the shipped trained model (its shape,
                                  weights and alphabet replace the shape options;
                                  lessons/weights.h); false: the seeded random model */
    LessonMode mode;
    LessonGoto go;
    int layer, head;           /* select: */
    LessonPoint point;
    int line[SET_FIELD_COUNT]; /* 1-based line of the directive that set each
                                  field; 0 = default */
} SlideSetup;

/* One option of a choice question: `choice: K TEXT` (K a letter a-z). */
typedef struct {
    char key;
    char *text;       /* may hold {templates} */
    int line;
} Choice;

/* A hint keyed to a wrong answer: `wrong: VALUE -> TEXT` (or →). VALUE is
 * an expression evaluated in the slide's state (a key letter in a choice
 * question); TEXT is shown when the student types that value. */
typedef struct {
    char *value;
    char *text;
    int line;
} WrongHint;

typedef struct {
    char *text;       /* after "? " */
    int line;
    char *expr;       /* after "= ": an expression, or (choice questions)
                         the correct key, one letter */
    int expr_line;
    double tolerance; /* >= 0; 0 when not given */
    int tolerance_line;
    char **hints;     /* (n_hints) in order */
    int *hint_lines;  /* (n_hints) */
    int n_hints;
    char *explain;    /* NULL when not given */
    int explain_line;
    Choice *choices;  /* (n_choices) in file order; n_choices = 0: a numeric
                         question, else 2..LESSON_MAX_CHOICES options */
    int n_choices;
    char correct;     /* choice questions: the key '=' names; else 0 */
    WrongHint *wrong; /* (n_wrong) at most LESSON_MAX_HINTS */
    int n_wrong;
    char *reveal_ok;  /* `reveal-ok: REASON`: the answer may appear in the
                         narration before it (lesson check); NULL otherwise */
    int reveal_ok_line;
} Question;

typedef struct {
    char *title;
    int line;               /* of "--- slide:" */
    char **paragraphs;      /* (n_paragraphs) UTF-8, lines joined (see lesson.c) */
    int *paragraph_lines;   /* (n_paragraphs) line of each paragraph's first line */
    int n_paragraphs;
    SlideSetup setup;       /* this slide's own directives; setup.prompt
                               points to prompt_text when SET_PROMPT is set */
    char *prompt_text;      /* owned, or NULL */
    char *batch_text[LESSON_MAX_PROMPTS - 1];   /* owned: setup.batch[i] points here */
    bool has_question;
    Question question;
} Slide;

typedef struct {
    int number;                    /* lesson: 1..99 */
    char id[LESSON_MAX_ID + 1];    /* id: letters, digits, '-', '_' */
    char lang[3];                  /* "en" or "zh" */
    char *title;
    char *path;                    /* as given to lesson_parse/lesson_load */
    Slide *slides;                 /* (n_slides), 1 .. LESSON_MAX_SLIDES */
    int n_slides;
} Lesson;

/* Parse text[0..len-1] (need not be NUL-terminated; may hold any bytes).
 * path is used in messages and copied into out->path.
 * Returns 0, or -1 with "path:line: message" in err (out is then freed and
 * zeroed). Never reads outside text[0..len-1]. */
int lesson_parse(const char *text, size_t len, const char *path, Lesson *out, char *err,
                 size_t errlen);

/* Read the file at path and parse it. */
int lesson_load(const char *path, Lesson *out, char *err, size_t errlen);

void lesson_free(Lesson *l);

/* The defaults every lesson starts from: config_default() with the
 * tokenizer's vocabulary, CONFIG_DEFAULT_PROMPT, CONFIG_DEFAULT_GEN, mode
 * cache, goto start, select layer 0 head 0, no pointer; set = 0. */
SlideSetup lesson_default_setup(void);

/* Apply over `base` the fields a slide sets (later overrides earlier). */
void lesson_setup_apply(SlideSetup *base, const SlideSetup *slide);

/* The accumulated set-up of slide `slide` (0-based): the defaults, then
 * slides 0..slide applied in order. slide is clamped to 0..n_slides-1
 * (a negative one gives the defaults). */
SlideSetup lesson_state_at(const Lesson *l, int slide);

/* Whether two set-ups describe the same run (model options, prompts, gen):
 * a player only rebuilds the model when this is false. */
bool lesson_same_run(const SlideSetup *a, const SlideSetup *b);

/* Names used in files and messages: "cache", ..., "memory";
 * "tokens", ..., "traffic" ("none" for POINT_NONE); "embed", ..., "loss". */
const char *lesson_mode_name(LessonMode m);
const char *lesson_point_name(LessonPoint p);
const char *lesson_op_name(OpKind k);

/* Whether `given` is an accepted answer to a question whose expression
 * evaluated to `expected`: |given - expected| <= tolerance. */
bool lesson_answer_ok(double expected, double tolerance, double given);

/* A choice question's answer as a number for lesson_answer_ok(): the
 * key's lower-case character code ('b' and 'B' are 98.0). Both the correct
 * key and a typed key are compared this way, with tolerance 0. */
double lesson_choice_value(char key);

/* The choice of q whose key is k (case-insensitive), or NULL. */
const Choice *lesson_find_choice(const Question *q, char k);

/* Validate every slide (set-up like the CLI, question and every {template}
 * evaluated in the slide's accumulated state; a question's answer must not
 * stand in its slide's narration unless it has `reveal-ok:`). A zh lesson
 * is also held to docs/glossary.md: each variant term it uses is written
 * to report as "path:line: warning: ..." (glossary.h); warnings are not
 * problems and are not counted. Each problem is written to
 * report (may be NULL) as one line "path:line: message"; the first one is
 * also copied to err (empty when there is none). Returns the number of
 * problems. A set-up problem inherited unchanged by the next slides is
 * reported once. */
int lesson_check(const Lesson *l, FILE *report, char *err, size_t errlen);

/* The whole lesson as plain text for handouts: its title; for each slide its
 * title and paragraphs (one paragraph per line, templates filled); for each
 * question a line "Q: TEXT", its options ("  a) TEXT") when it has any, a
 * line "A: NUMBER" (or the key), then "If VALUE: ..." lines for the keyed
 * hints, "Hint: ..." lines and "Explanation: ..." (in a zh lesson "若答
 * VALUE：", "提示：" and "解释："). Returns 0, or -1 with "path:line:
 * message" in err at the first problem. */
int lesson_print(const Lesson *l, FILE *out, char *err, size_t errlen);

#endif
