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
/* Blocks a sequence takes from the earlier prompt: ceil(s / B) (under a
 * window it references only those holding a position it keeps; the rest
 * of them are holes in its table). */
int formulas_shared_blocks(const KvConfig *c, int s);
/* Under a window W, the shared rows with a donor whose prompt has L_donor
 * tokens: formulas_shared_rows() when the donor still holds every row the
 * first computed row (position s) reads, max(0, s−W+1) .. s−1, after its
 * own prefill (it holds max(0, L_donor − W) .. L_donor−1), i.e. W = 1 (it
 * reads none), L_donor <= W or s >= L_donor − 1; else 0 (a smaller s
 * reads earlier rows, gone too). Without a window formulas_shared_rows(). */
int formulas_shared_rows_held(const KvConfig *c, int L, int common, int L_donor);
/* Counts of step k of a cache-mode sequence whose prefill starts after s
 * shared rows: step 0 has n = L − s, t = L (per layer qkv n·d² + 2·n·d·kv,
 * scores = values = n·t·d, out n·d², ffn 2·n·d·F, masked d·n(n−1)/2;
 * lm_head d·V); later steps are plain decode steps. Under a window W the
 * prefill is formulas_block(s, L − s): its keys start at k_lo =
 * max(0, s−W+1), so scores = values = n·(L − k_lo)·d and masked =
 * d·(n·(L − k_lo) − visible) per layer (§6.3 over the computed block). */
void formulas_step_shared(const KvConfig *c, int L, int s, int k, OpCounts *out);
/* What sharing s rows saves, all of it in the prefill: per layer
 * qkv s·(d² + 2·d·kv), scores = values = s·L·d, out s·d², ffn 2·s·d·F,
 * masked d·(L(L−1) − (L−s)(L−s−1))/2, times Lyr. A run's total is the
 * plain total minus this. Under a window: the plain prefill's closed form
 * minus formulas_step_shared's. */
void formulas_prefix_saved(const KvConfig *c, int L, int s, OpCounts *out);
/* Physical blocks a lockstep batch's pool holds after step k (t = L[r] + k
 * for every sequence r; B > 0, no --speculate, no --chunk): every sequence's live
 * logical blocks (formulas_kv_blocks), a block shared along a chain of
 * donors counted once. Sequence r took s[r] rows from donor[r] (-1: none,
 * s[r] = 0). */
uint64_t formulas_pool_blocks(const KvConfig *c, int n, const int *L, const int *s, const int *donor, int k);
/* ---- §6.7 chunked prefill and §6.9 speculative decoding ------------------
 *
 * A cache-mode step over n rows at positions p0 .. p0+n-1 (t = p0 + n)
 * whose head runs on head_rows of them. Keys are computed from
 * config_first_key(p0) on (0 without a window; a ring of W holds nothing
 * older), so per layer the dense block is n·(t − k_lo) and the mask
 * discards d·(n·(t − k_lo) − visible) of it: d·n(n−1)/2 without a window.
 * This is spec §4's step with n and t free: prefill (p0 = 0, n = L), a
 * decode step (n = 1), a chunk, a verify step (n = 1 + drafted,
 * head_rows = n). */
void formulas_block(const KvConfig *c, int p0, int n, int head_rows, OpCounts *out);
/* Its bytes moved (§6.5): weights (the head's only when head_rows > 0),
 * K/V read (t − k_lo rows per layer), K/V written (min(n, W) rows). */
void formulas_block_traffic(const KvConfig *c, int p0, int n, int head_rows, Traffic *out);
/* Cache bytes and paged blocks when the cache holds `kept` positions. */
uint64_t formulas_kept_kv_bytes(const KvConfig *c, int kept);
uint64_t formulas_kept_kv_blocks(const KvConfig *c, int kept);

/* §6.7: prefill chunk k (0 .. ceil(L/C) − 1) has n = min(C, L − k·C) rows
 * from p0 = k·C; lm_head only in the last. Steps of the run: ceil(L/C) +
 * G − 1; step s >= ceil(L/C) is decode step s − ceil(L/C) + 1 of §4. */
int formulas_chunk_steps(int L, int C, int G);
void formulas_chunk_step(const KvConfig *c, int L, int C, int s, OpCounts *out);
/* Totals of a chunked run, closed form without a window (q = floor(L/C)
 * full chunks, r = L mod C rows left):
 *   qkv, out_proj, ffn as plain cache mode (L + G − 1 rows)
 *   scores = values = d·Lyr·( C²·q(q+1)/2 + r·L + Σ_{k=1}^{G−1} (L+k) )
 *   masked = d·Lyr·( q·C(C−1)/2 + r(r−1)/2 ),  lm_head = G·d·V
 * (per-step sums under a window). false on 64-bit overflow. */
bool formulas_chunk_total(const KvConfig *c, int L, int C, int G, OpCounts *out);

/* A batch of n prompts of lengths Ls[] in the step lockstep (sim/run.h),
 * chunks of C (0: none), no drafts: its steps, the most any sequence
 * takes (max_s ceil(L_s/C) + G − 1), and how many sequences run batch step
 * k (those with ceil(L_s/C) + G − 1 > k; the rest have finished). Step k of
 * sequence s is its own formulas_chunk_step(L_s, C, k). */
int formulas_batch_chunk_steps(const int *Ls, int n, int C, int G);
int formulas_batch_active(const int *Ls, int n, int C, int G, int k);

/* §6.8 with §6.7 (--prefix-cache --chunk C) in the step lockstep: a later
 * prompt of L tokens whose common prefix with a donor (prompt of donor_L,
 * itself sharing donor_s rows) is `common` shares what §6.8 gives
 * (formulas_shared_rows) but at most what the donor holds after its first
 * step, when the later prompt's first chunk reads them: held = donor_s +
 * C when its prompt goes on past that chunk (then only full blocks:
 * B·floor(held / B)), else all donor_L rows. Without --chunk: §6.8's s. */
int formulas_prefix_chunk_rows(const KvConfig *c, int L, int common, int donor_L, int donor_s);
/* A prefill after s shared rows in chunks of C (0: one chunk):
 * ceil((L − s)/C) chunks; chunk k has rows p0 = s + k·C .. min(p0 + C, L) − 1
 * (t = p0 + n; per layer the dense block n·t, masked d·n(n−1)/2 without a
 * window), lm_head only in the last; then decode steps of §4. */
int formulas_shared_chunks(int L, int s, int C);
void formulas_chunk_shared_step(const KvConfig *c, int L, int s, int C, int k, OpCounts *out);
/* Its totals over ceil((L − s)/C) + G − 1 steps, closed form without a
 * window (m = L − s rows in q = floor(m/C) full chunks and r = m mod C):
 *   qkv, out_proj, ffn over m + G − 1 rows; lm_head = G·d·V
 *   scores = values = d·Lyr·( C·s·q + C²·q(q+1)/2 + r·L + Σ_{k=1}^{G−1} (L+k) )
 *   masked = d·Lyr·( q·C(C−1)/2 + r(r−1)/2 )
 * (per-step sums under a window or RoPE). false on 64-bit overflow. */
bool formulas_chunk_shared_total(const KvConfig *c, int L, int s, int C, int G, OpCounts *out);

/* §6.9: a verify step with T tokens held before it and k drafts: n = 1 + k
 * rows from p0 = T − 1, every row to the head. */
void formulas_verify_step(const KvConfig *c, int T, int k, OpCounts *out);
/* An upper bound on a speculative run's counts (every step drafting as
 * many as it may): for the overflow check. false on 64-bit overflow. */
bool formulas_speculate_bound(const KvConfig *c, int L, int G, int K, OpCounts *out);

/* kvsim calc (real models): with k drafts per step, each accepted with
 * probability a independently, a verify step emits on average
 * (1 − a^(k+1)) / (1 − a) tokens (k + 1 when a = 1); G tokens then take
 * G / that many steps instead of G. */
double formulas_spec_tokens_per_step(int k, double a);

#endif
