/* trace: run a prompt in every mode and write what was measured.
 *
 * trace_run() steps a cache engine and a recompute engine side by side
 * (comparing their logits after every step) and a train engine, and keeps
 * one TraceStep per step. The writers print spec §5's JSON, CSV, or a
 * table for people. Counts come from the engines' counters only; the
 * table's "check" column compares them with formulas.h.
 */
#ifndef KVSIM_TRACE_H
#define KVSIM_TRACE_H

#include "sim/engine.h"

#include <stdio.h>

typedef struct {
    int step;
    Phase phase;
    int n, t;
    int token_id;       /* emitted token (train: prediction after the prompt) */
    OpCounts counts;    /* measured in this step */
    uint64_t kv_bytes;  /* cache bytes kept after the step */
    double loss;        /* train only; NaN otherwise or when L < 2 */
} TraceStep;

typedef struct {
    int n_steps;
    TraceStep *steps;   /* (n_steps) */
    OpCounts totals;    /* measured, summed by the engine */
} TraceMode;

typedef struct {
    KvConfig cfg;
    char *prompt;       /* UTF-8 copy */
    int L, G;
    TraceMode modes[MODE_COUNT];
    bool equivalent;    /* cache and recompute emitted the same tokens */
    double max_abs_logit_diff;  /* over every step's logits */
} Trace;

/* Run the prompt (ids[0..L-1], text `prompt`) for G steps in every mode.
 * The model's config must pass config_validate(L, G). Returns 0, or -1
 * with a one-line message. The caller releases with trace_free(). */
int trace_run(Trace *tr, const Model *m, const char *prompt, const int *ids, int L, int G,
              char *err, size_t errlen);
void trace_free(Trace *tr);

/* Which modes to print: bit (1 << MODE_CACHE) etc. */
#define TRACE_CACHE (1u << MODE_CACHE)
#define TRACE_RECOMPUTE (1u << MODE_RECOMPUTE)
#define TRACE_TRAIN (1u << MODE_TRAIN)

void trace_write_json(FILE *f, const Trace *tr, unsigned modes);
void trace_write_csv(FILE *f, const Trace *tr, unsigned modes);
void trace_write_table(FILE *f, const Trace *tr, unsigned modes);

/* JSON string body of UTF-8 text (quotes and backslashes escaped). */
void trace_json_string(FILE *f, const char *s);

#endif
