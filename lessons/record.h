/* record: the runs behind the lesson functions (internal to lessons/).
 *
 * measure.c asks for a mode's run the first time an expression needs it;
 * record_run() runs that mode to the end once, one layer stop at a time,
 * and keeps what each step measured (EvalRun, eval.h): counters per step
 * and per layer, rows, lengths, cache bytes, traffic, the paged pool and
 * every sequence of a batch, the last query row's attention weights, and
 * the tokens. Everything is read from the engines, never from formulas.
 */
#ifndef KVSIM_LESSONS_RECORD_H
#define KVSIM_LESSONS_RECORD_H

#include "lessons/eval.h"

#include <stddef.h>

/* The recorded run of `mode` (cache mode: the slide's whole batch), made
 * on first use and kept in ctx->runs; NULL with one line in msg. */
EvalRun *record_run(EvalContext *ctx, RunMode mode, char *msg, size_t msglen);

/* Release a run's arrays and zero it (safe on a zeroed run). */
void record_free(EvalRun *r);

/* Cache and recompute in lockstep: the largest |logit difference| of any
 * step (row 0 of each step, the last position in both modes); cached in ctx. */
int record_logit_diff(EvalContext *ctx, double *out, char *msg, size_t msglen);

#endif
