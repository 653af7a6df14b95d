/* probe: what the engine's numbers say, for the Next token, Loss, All
 * heads and Vector panels and the pipeline sentence. No drawing here, so
 * the rules are unit-tested on their own (tests/test_panel_next.c,
 * tests/test_panel_heads.c).
 *
 * Everything is read from buffers the engine already filled: the
 * probabilities are a softmax of the logits of the step on screen (no
 * second forward pass), the per-position loss uses the same formula as
 * the engine's OP_LOSS (in double), the head patterns read the attention
 * weights of the current query row.
 */
#ifndef KVSIM_PROBE_H
#define KVSIM_PROBE_H

#include "sim/engine.h"

#include <stdbool.h>

/* ---- next-token probabilities -------------------------------------------- */

typedef struct {
    int id;          /* token id */
    double p;        /* softmax probability */
    float logit;     /* the engine's logit */
} ProbeTok;

/* The k most probable tokens of softmax(z[0..V-1]), most probable first
 * (ties: lower id first, as the engine's argmax), at most V. The softmax
 * is computed in double with the maximum subtracted: p_i = exp(z_i - m) / Σ.
 * Returns how many were written (0 when V <= 0 or k <= 0). */
int probe_topk(const float *z, int V, int k, ProbeTok *out);

/* The logits row of the prediction on screen: the last position's (cache
 * and recompute), or position L-1's in train mode (what comes after the
 * prompt); in a speculative verify step (§6.9) the first verify row, and
 * after the pick the row the emitted token came from. NULL before this
 * step's OP_LOGITS ran and in an early prefill chunk (§6.7). *pos gets its
 * position. */
const float *probe_logits(const Engine *e, int *pos);

/* ---- loss per position (train, spec §6.1) ------------------------------- */

/* Cross-entropy at position i (0 <= i < L-1) of the train engine's
 * logits: -log softmax(z_i)[token i+1], as OP_LOSS computes it; *p gets
 * the target's probability. NAN before OP_LOGITS ran. The mean over
 * i = 0..L-2 equals e->loss. */
double probe_loss_at(const Engine *e, int i, double *p);

/* ---- head patterns (the "heads in words" rule) --------------------------- */

typedef enum {
    HEAD_NONE,
    HEAD_PREVIOUS,    /* most weight on the previous position */
    HEAD_INDUCTION,   /* most weight on the position after an earlier copy of the current token */
} HeadKind;

typedef struct {
    HeadKind kind;
    int target;       /* the key position the weight is on (-1 with HEAD_NONE) */
    int source;       /* induction: the earlier position j holding the same token (target = j + 1) */
    double weight;    /* the weight on target */
} HeadPattern;

/* The rule, for the query at position i with weights w[0..i] over keys
 * (tokens[0..i] the sequence):
 *   induction  some j <= i-3 has tokens[j] == tokens[i] and w[j+1] >= PROBE_HEAD_MIN
 *              (the best such j+1; j+1 = i-1 is left to the previous-token
 *              test, so the two never name the same cell);
 *   previous   otherwise, i >= 1 and w[i-1] >= PROBE_HEAD_MIN;
 *   none       otherwise.
 * w must be softmax weights (masked keys 0). */
#define PROBE_HEAD_MIN 0.5
HeadPattern probe_head_pattern(const float *w, const int *tokens, int i);

/* The pattern of head h in layer l for the last query row of the step on
 * screen; HEAD_NONE until that layer's softmax ran in this step. */
HeadPattern probe_engine_head(const Engine *e, int l, int h);

#endif
