/* formulas: the closed forms of the spec (§4, §6.1), and nothing else.
 *
 * These predict what the counters will measure. Tests and the UI compare
 * the two; the engine's counters never call anything here.
 *
 * Steps follow spec §2: step k of a run with an L-token prompt processes
 * n rows ending at position t (cache: n = L then 1, t = L + k; recompute:
 * n = t = L + k; train: one step, n = t = L).
 */
#ifndef KVSIM_FORMULAS_H
#define KVSIM_FORMULAS_H

#include "sim/config.h"
#include "sim/counts.h"

#include <stdbool.h>

/* n and t of step k. */
int formulas_rows(RunMode mode, int L, int k);
int formulas_len(RunMode mode, int L, int k);

/* Predicted counts of step k, summed over layers (lm_head once). */
void formulas_step(const KvConfig *c, RunMode mode, int L, int k, OpCounts *out);

/* Predicted counts of one layer in step k (lm_head = 0). */
void formulas_step_layer(const KvConfig *c, RunMode mode, int L, int k, OpCounts *out);

/* Predicted totals of a whole run of G steps, from the closed-form sums
 * (not by adding steps). Returns false when a value would not fit in 64
 * bits (out is then undefined). */
bool formulas_total(const KvConfig *c, RunMode mode, int L, int G, OpCounts *out);

/* kv_cache_bytes after step k: 2·Lyr·t·kv_dim·4 in cache mode, else 0. */
uint64_t formulas_kv_bytes(const KvConfig *c, RunMode mode, int L, int k);

#endif
