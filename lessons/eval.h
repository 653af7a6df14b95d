/* eval: the expression language of docs/lessons.md, evaluated against the
 * running simulator.
 *
 *   expr    := term  (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '%') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := primary ('^' unary)?          right-associative; -2^2 = -4
 *   primary := NUMBER | NAME | FUNC '(' args ')' | '(' expr ')'
 *
 * Numbers are doubles ("/" is real division, "%" is fmod). Names: d H dh
 * Lyr F V N L G (configuration) and k n t pos (position, from the slide's
 * goto), Hkv W B (K/V heads, window, block size; 0 = none) and balance
 * (CALC_DEFAULT_BALANCE). Functions run the model and return MEASURED
 * counters (see measure.c); step_cost(), kv_per_token(), blocks_for(),
 * waste_for() and calc() are closed forms, min/max/ceil/floor plain
 * arithmetic. MODE, CAT and calc()'s FIELD arguments are bare words;
 * calc()'s NAME is a bare model name such as llama-2-7b ('-' and digits
 * included). Recursion is limited to
 * EVAL_MAX_DEPTH levels and expressions to EVAL_MAX_LEN bytes, so any
 * input is safe.
 *
 * Ownership: the caller owns the EvalContext (e.g. on the stack);
 * eval_context_init() allocates, eval_context_free() releases (safe on a
 * zeroed or freed context). The model runs lazily, once per mode, the
 * first time an expression needs it; results are cached in the context.
 */
#ifndef KVSIM_EVAL_H
#define KVSIM_EVAL_H

#include "lessons/lesson.h"
#include "sim/config.h"
#include "sim/counts.h"
#include "sim/model.h"
#include "sim/traffic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVAL_MAX_DEPTH 64
#define EVAL_MAX_LEN 4096

/* What one run of one mode measured, step by step. All arrays have
 * n_steps entries (layers: n_steps × Lyr, row-major by step). */
typedef struct {
    bool done;             /* recorded */
    int n_steps;           /* G, or 1 in train mode; cache mode with chunk or
                              speculate: the steps the engine took */
    OpCounts *steps;       /* (n_steps) engine_step_counts of each step */
    OpCounts *layers;      /* (n_steps, Lyr) one layer's counts: differences of
                              step_counts between layer stops (lm_head = 0) */
    int *n, *t;            /* (n_steps) rows processed and length, from the engine */
    uint64_t *kv_bytes;    /* (n_steps) engine_kv_bytes after each step */
    int *token_pos;        /* (n_steps) position of the token each step emits */
    int *emitted;          /* (n_steps) tokens each step emitted: 1, 0 for an early
                              chunk (§6.7), 1 + accepted drafts for a verify step (§6.9) */
    int *drafted;          /* (n_steps) drafts each step verified (§6.9) */
    int *accepted;         /* (n_steps) drafts it accepted */
    uint64_t *visible;     /* (n_steps) unmasked cells of layer 0 head 0 after
                              the mask op (cache mode only; NULL otherwise) */
    Traffic *traffic;      /* (n_steps) engine_step_traffic of each step (§6.5) */
    int *kv_blocks;        /* (n_steps) engine_kv_blocks after each step (§6.4;
                              0 without a block size or outside cache mode) */
    uint64_t *kv_reserved; /* (n_steps) engine_kv_reserved_bytes after each step */
    /* the batch (spec §6.4, §6.8): cache mode runs every prompt of the
     * slide in one pool; other modes run sequence 0 alone (n_seqs = 1) */
    int n_seqs;
    int *seq_n;            /* (n_steps, n_seqs) rows each sequence processed */
    OpCounts *seq_steps;   /* (n_steps, n_seqs) each sequence's step counts */
    int *seq_blocks;       /* (n_steps, n_seqs) live entries of each block table */
    int *shared_rows;      /* (n_seqs) rows each took from a donor (§6.8; 0 = none) */
    int pool_n;            /* physical blocks of the pool (0 without a block size) */
    int *pool_used;        /* (n_steps) blocks handed out after each step */
    uint64_t *pool_reserved;   /* (n_steps) their bytes (a shared block once) */
    int *refs;             /* (n_steps, pool_n) references on each block after each step */
    /* what the model read and wrote (a trained model's heads, issue 11) */
    float *att_last;       /* (n_steps, Lyr, H, N) attention weights of each step's last
                              query row on key positions 0..N-1 (0 beyond t; train: unused) */
    int *tokens;           /* (n_tokens) the prompt, then every emitted token */
    int n_tokens;
    OpCounts total;        /* sum of steps */
} EvalRun;

typedef struct {
    SlideSetup setup;      /* copy; setup.prompt points to prompt below */
    char *prompt;          /* owned copy of the prompt */
    KvConfig cfg;          /* setup.model */
    int *ids;              /* (L) prompt token ids */
    int L, G;
    int n_seqs;            /* 1 + setup.n_batch */
    char *batch_copy[LESSON_MAX_PROMPTS - 1];   /* owned; setup.batch[i] points here */
    int *batch_ids;        /* (n_seqs - 1, max_seq) token ids of the further prompts */
    int batch_L[LESSON_MAX_PROMPTS];   /* [s] prompt length of sequence s ([0] = L) */
    const Model *model;    /* the weights the runs read: own_model, or lent */
    Model *own_model;      /* built by the context when none of its config was lent */
    bool have_model;
    EvalRun runs[MODE_COUNT];  /* indexed by RunMode, filled lazily */
    bool have_diff;
    double logit_diff;     /* max |cache − recompute| over every step's logits */
    /* position (from setup.go):
     *   start: k = 0 and nothing has run; n, t, pos are those step 0 will
     *          have (so a slide before the first step can already ask "how
     *          many rows will prefill process?");
     *   end: the last step; step K ...: K.
     * n, t are read from the measured run of view_mode (compare and memory
     * → cache). */
    RunMode view_mode;
    int k;
    int fail_line;         /* after a failed init/update: the line of the
                              directive most likely at fault (0: unknown) */
} EvalContext;

/* Validate `s` like the command line does (same messages as
 * config_validate and tokenizer_encode, the latter prefixed "--prompt: "),
 * then goto and select against the run ("goto: step 9 out of range 0..7",
 * "select: head 2 out of range 0..1", ...), and build the model.
 * Returns 0, or -1 with one line in err (ctx is then freed, and
 * ctx->fail_line says which directive). */
int eval_context_init(EvalContext *ctx, const SlideSetup *s, char *err, size_t errlen);

/* Move an initialised context to set-up `s`: keeps the model and the runs
 * when lesson_same_run() holds, else rebuilds. Same result as free + init.
 * On failure ctx is freed (init it again before use). */
int eval_context_update(EvalContext *ctx, const SlideSetup *s, char *err, size_t errlen);

/* The same two, borrowing `shared` (may be NULL) instead of building a
 * second copy of the weights when its config is the set-up's: the lesson
 * player lends the App's model, so a lesson holds one copy. shared must
 * outlive the context or be passed again to every update (a different
 * pointer than the one borrowed makes the context drop it). */
int eval_context_init_with(EvalContext *ctx, const SlideSetup *s, const Model *shared, char *err,
                           size_t errlen);
int eval_context_update_with(EvalContext *ctx, const SlideSetup *s, const Model *shared, char *err,
                             size_t errlen);

void eval_context_free(EvalContext *ctx);

/* Evaluate `expr` (NUL-terminated). Returns 0 with a finite *out, or -1
 * with one line in err, e.g. "unknown function 'foo'; expected macs, ...",
 * "step 9 out of range 0..7", "division by zero",
 * "unexpected ')' at column 7" (columns count characters from 1). */
int eval_expr(EvalContext *ctx, const char *expr, double *out, char *err, size_t errlen);

/* A student's typed answer: plain arithmetic (numbers, + - * / % ^ and
 * parentheses, the grammar above without names or functions, so "2/5" is
 * 0.4, "1e3" 1000 and "3*8" 24; thousands separators as in "524,288" are
 * skipped). Returns 0 with a finite *out, or -1 with one line in err. */
int eval_number(const char *text, double *out, char *err, size_t errlen);

/* Copy `text` to out (outlen bytes, always NUL-terminated when outlen > 0)
 * replacing each {EXPR} by its value (eval_format). "{{" and "}}" stand for
 * literal braces; a lone '}' is copied as is. Returns 0, or -1 with a
 * message in err ("{L*}: unexpected end of the expression at column 3",
 * "unclosed '{' at column 5", "text too long ..."). */
int eval_template(EvalContext *ctx, const char *text, char *out, size_t outlen, char *err,
                  size_t errlen);

/* Format a value (outlen >= 32 is always enough): integers without
 * decimals ("15", "-3", never "-0"); others rounded to at most 4 decimals,
 * trailing zeros dropped ("0.3333", "2.5", and 2.00001 → "2"); non-zero
 * values below 1e-4 with 4 significant digits ("1.235e-05"); magnitudes
 * from 1e18 up with 6 ("1e+20"). */
void eval_format(double v, char *out, size_t outlen);

#endif
