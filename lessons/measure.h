/* measure: what expression names and functions mean (internal to lessons/).
 *
 * eval.c parses and does the arithmetic; it hands each name and each call
 * (arguments already evaluated, MODE and CAT words already resolved) to
 * measure.c, which runs the model lazily and reads the engine's counters.
 */
#ifndef KVSIM_LESSONS_MEASURE_H
#define KVSIM_LESSONS_MEASURE_H

#include "lessons/eval.h"
#include "sim/calc.h"

#include <stddef.h>

typedef enum {
    FN_MACS,
    FN_TOTAL,
    FN_MASKED,
    FN_VISIBLE,
    FN_KV_BYTES,
    FN_KV_NUMBERS,
    FN_TOKEN_POS,
    FN_RATIO,
    FN_LOGIT_DIFF,
    FN_PASSES,
    FN_ROWS,
    /* serving (spec §6.7, §6.9): what each cache step did */
    FN_EMIT_STEP,
    FN_EMITTED,
    FN_DRAFTED,
    FN_ACCEPTED,
    FN_STEP_COST,
    FN_KV_PER_TOKEN,
    /* memory (spec §6.2-6.5): measured from the running engines */
    FN_KV_BLOCKS,
    FN_KV_RESERVED,
    FN_KV_WASTE,
    FN_WEIGHT_BYTES,
    FN_KV_READ,
    FN_KV_WRITTEN,
    FN_INTENSITY,
    /* the batch and its pool (spec §6.4, §6.8) */
    FN_PROMPT_LEN,
    FN_SHARED_ROWS,
    FN_SEQ_ROWS,
    FN_SEQ_MACS,
    FN_SEQ_BLOCKS,
    FN_POOL_BLOCKS,
    FN_POOL_RESERVED,
    FN_BLOCK_REFS,
    /* what a (trained) model reads: issue 11's induction head */
    FN_ATTN,
    FN_PREV_MATCH,
    /* closed forms: published shapes (sim/calc.h) and paging arithmetic */
    FN_CALC,
    FN_BLOCKS_FOR,
    FN_WASTE_FOR,
    /* plain arithmetic */
    FN_MIN,
    FN_MAX,
    FN_CEIL,
    FN_FLOOR,
    FN_ROUND,
    FN_COUNT
} EvalFn;

#define EVAL_MAX_ARGS 8
#define CAT_TOTAL CAT_COUNT   /* the CAT word "total": the sum of the six (and rope) */
#define CAT_ROPE (CAT_COUNT + 1)   /* the CAT word "rope": OpCounts.rope (spec §6.10) */

typedef struct {
    EvalFn fn;
    int n_args;                 /* as written, words included */
    RunMode mode;               /* the MODE word, when the function has one */
    int cat;                    /* Category or CAT_TOTAL, when it has a CAT */
    const CalcShape *shape;     /* calc(): the model NAME */
    int field;                  /* calc(): the FIELD word (measure_calc_field) */
    double num[EVAL_MAX_ARGS];  /* the numeric arguments, in order, words skipped */
    int n_num;
} EvalCall;

/* calc() fields: the one list in sim/calc.h (calc_field_find), the numeric
 * keys of `kvsim calc --format json`, shape keys included. The index of the
 * len bytes at name, or -1; CALC_FIELD_LIST names them all for messages. */
int measure_calc_field(const char *name, size_t len);

/* The work budget (sim/budget.h) of every slide's run, checked before
 * anything runs: 0, or -1 with "path:line: message" for the first slide
 * over it. Players call it after loading a lesson; lesson_check and
 * lesson_print meet the same limit through eval_context_init. */
int measure_budget_check(const Lesson *l, char *err, size_t errlen);

/* Value of a name (d, H, dh, Lyr, F, V, N, L, G, k, n, t, pos, Hkv, W, B,
 * balance, Nseq). Returns 0, 1 when `name` is not one of them (msg untouched),
 * or -1 with msg (the model could not run). */
int measure_name(EvalContext *ctx, const char *name, double *out, char *msg, size_t msglen);

/* Value of a call whose arity and words eval.c has checked. 0 or -1 + msg. */
int measure_call(EvalContext *ctx, const EvalCall *call, double *out, char *msg, size_t msglen);

#endif
