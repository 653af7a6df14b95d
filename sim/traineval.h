/* traineval: what a trained model can do, measured (docs/training.md).
 *
 *  - copy accuracy: held-out random phrases (3..20 tokens, uniform over the
 *    alphabet, from a seed training never uses) repeated to fill max_seq
 *    positions; greedy next-token accuracy over every position of the
 *    repeats (the position's token belongs to a second or later copy), and
 *    over the subset where the two previous characters identify the source
 *    (every earlier occurrence of that pair is followed by the same token);
 *  - greedy continuation of a prompt through the engine in cache mode,
 *    exactly what the UI shows;
 *  - head scores on a repeated phrase: for each head the mean attention
 *    weight from a repeated position i on the positions j + 1 where token j
 *    equals token i, j < i (induction), and on position i − 1 (previous
 *    token).
 */
#ifndef KVSIM_TRAINEVAL_H
#define KVSIM_TRAINEVAL_H

#include "sim/model.h"

#include <stdint.h>

#define TRAINEVAL_COPY_SEED 0x5EEDC0DEF00DULL   /* held-out phrases; training never uses it */

typedef struct {
    long total, correct;         /* every repeated position */
    long unique, unique_correct; /* where the previous two characters pick the source */
} CopyScore;

/* n_phrases held-out copy rows from seed. Returns 0, or -1 out of memory. */
int traineval_copy(const Model *m, uint64_t seed, int n_phrases, CopyScore *out);

/* Greedy continuation of ids[0..L-1] by G tokens (cache mode); out: G ids.
 * Returns 0, or -1 (the run does not fit, out of memory). */
int traineval_greedy(const Model *m, const int *ids, int L, int G, int *out);

/* Head scores on one row (ids, L): induction[l·H + h], prev[l·H + h].
 * Returns 0 or -1. */
int traineval_heads(const Model *m, const int *ids, int L, float *induction, float *prev);

#endif
