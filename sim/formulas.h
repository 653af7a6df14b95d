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
#include "sim/traffic.h"

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

/* §6.5, bytes moved by step k (see sim/traffic.h for what counts):
 *   weight_bytes   = Lyr·(d² + 2·d·kv_dim + d² + 2·d·F)·4 + d·V·4 + 2·n·d·4
 *   kv_read_bytes  = Lyr·(t − k_lo)·kv_dim·4·2, k_lo = t − W for a cached
 *                    decode step under a window W < t, else 0
 *   kv_write_bytes = Lyr·min(n, W)·kv_dim·4·2 in cache mode (n without a
 *                    window), else 0 */
void formulas_traffic(const KvConfig *c, RunMode mode, int L, int k, Traffic *out);

/* §6.4, blocks a sequence holds after step k with block size B > 0 (cache
 * mode; 0 otherwise or when B = 0): ceil(t / B), minus, under a window W,
 * the floor(max(0, t − W) / B) blocks whose positions all left it. */
uint64_t formulas_kv_blocks(const KvConfig *c, RunMode mode, int L, int k);
/* kv_blocks · B · 2·Lyr·kv_dim·4 */
uint64_t formulas_kv_reserved_bytes(const KvConfig *c, RunMode mode, int L, int k);

/* ---- §6.8 prefix sharing ------------------------------------------------- */

/* Shared rows of a prompt of L tokens whose longest common prefix with an
 * earlier prompt is `common`: s = B·floor(common / B), capped at L − 1 (0
 * without a block size). */
int formulas_shared_rows(const KvConfig *c, int L, int common);
/* Blocks a sequence takes from the earlier prompt: ceil(s / B). */
int formulas_shared_blocks(const KvConfig *c, int s);
/* Counts of step k of a cache-mode sequence whose prefill starts after s
 * shared rows: step 0 has n = L − s, t = L (per layer qkv n·d² + 2·n·d·kv,
 * scores = values = n·t·d, out n·d², ffn 2·n·d·F, masked d·n(n−1)/2;
 * lm_head d·V); later steps are plain decode steps. No window. */
void formulas_step_shared(const KvConfig *c, int L, int s, int k, OpCounts *out);
/* What sharing s rows saves, all of it in the prefill: per layer
 * qkv s·(d² + 2·d·kv), scores = values = s·L·d, out s·d², ffn 2·s·d·F,
 * masked d·(L(L−1) − (L−s)(L−s−1))/2, times Lyr. A run's total is the
 * plain total minus this. */
void formulas_prefix_saved(const KvConfig *c, int L, int s, OpCounts *out);

#endif
