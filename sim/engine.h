/* engine: the step machine that runs the model one operation at a time.
 * (The forward pass itself, readable top to bottom, is sim/forward.c.)
 *
 * A run has a prompt of L tokens and G steps (spec §2); a train run has one
 * step. Each step is a fixed list of operations, built from the op table
 * (sim/ops.h) into step_ops:
 *
 *   embed
 *   per layer: LN1, Q/K/V, QKᵀ, mask, softmax, ·V, out proj + residual,
 *              LN2, FFN + residual
 *   final LN, logits, then: pick token (+ cache append in cache mode)
 *                       or: loss (train)
 *
 * The cursor `pos` counts the operations done since the start of the run
 * (0 .. engine_total_ops()). Everything else is derived from it: the step
 * and operation on screen are those of operation pos-1.
 *
 * Going backwards is deterministic replay: the engine rewinds to the start
 * of the step that holds the target (the KV cache is append-only, so that
 * is a truncation; counters of finished steps are kept per step) and
 * replays forward. Replaying never costs more than one step (ops_run
 * counts what it cost; tests/test_engine.c checks the bound): a sliding
 * window's ring overwrites rows, so a cache engine with a window also
 * keeps every row it appended (hist_k/hist_v, max_seq positions, the
 * simulator's own bookkeeping, not part of the modelled cache) and a
 * rewind puts the last W of them back into the ring and the paged mirror.
 *
 * Ownership: engine_init() allocates every buffer, engine_free() releases
 * them. The Model is borrowed and must outlive the engine. Everything a UI
 * reads is read-only outside engine.c.
 *
 * Memory traffic (§6.5, sim/traffic.h): `traffic` holds the bytes the
 * current step has moved so far, measured where the loops read weights,
 * embedding rows and K/V rows and where the append writes the cache;
 * engine_step_traffic(k) those of a finished step, `traffic_cum` the run's.
 *
 * Paged cache (§6.4, sim/paged.h): with cfg.block_size = B > 0 a cache
 * engine MIRRORS every append into a paged pool (blocks of B positions
 * through a block table) and truncates it when it rewinds. Attention still
 * reads the contiguous KvCache (the source of truth, so cache == recompute
 * stays bitwise); the pool is there to be measured and drawn, and tests
 * check it holds the same bits. By default the engine owns a pool of
 * ceil(max_seq / B) blocks with one sequence (0); engine_share_pool()
 * makes it use sequence `seq` of a pool shared with other engines (a
 * batch). Under a window the pool keeps exactly what the ring keeps and
 * frees a block once all its positions left the window (see paged.h).
 * UI: e->pool (NULL without paging) and e->pool_seq; draw with
 * paged_block_view() / paged_seq_table(); engine_kv_blocks() and
 * engine_kv_reserved_bytes() give the sequence's numbers.
 */
#ifndef KVSIM_ENGINE_H
#define KVSIM_ENGINE_H

#include "sim/config.h"
#include "sim/counts.h"
#include "sim/kvcache.h"
#include "sim/model.h"
#include "sim/ops.h"
#include "sim/paged.h"
#include "sim/traffic.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    PHASE_READY,      /* nothing run yet */
    PHASE_PREFILL,
    PHASE_DECODE,
    PHASE_RECOMPUTE,
    PHASE_TRAIN,
} Phase;

typedef struct {
    OpKind kind;
    int layer;        /* -1 for operations outside the layers */
} OpRef;

/* Where a step starts and what it did (every mode; the chunked prefill and
 * speculative steps of §6.7 and §6.9 are why it is recorded, not derived). */
typedef struct {
    int p0;           /* first row's position: the cache rows kept before the step */
    int n;            /* rows processed */
    int tok0;         /* tokens held before the step (prompt + emitted) */
    int drafted;      /* drafts verified in this step (§6.9; 0 otherwise) */
    int accepted;     /* drafts accepted; -1 until its OP_PICK ran */
    int emitted;      /* tokens this step emitted: 0 for an early chunk, 1 + accepted */
} StepPlan;

typedef struct Engine {
    const Model *model;
    KvConfig cfg;
    RunMode mode;
    int L;               /* prompt length */
    int G;               /* tokens to generate */
    int n_steps;         /* G, or 1 in train mode; cache mode with --chunk C:
                            ceil(L / C) + G - 1; with --speculate: the steps
                            the run takes (learned by running it once at init) */
    int cap_steps;       /* steps the per-step arrays hold (>= n_steps) */
    int n_chunks;        /* prefill steps of cache mode: ceil((L - shared_rows) / C), else 1 */
    bool planned;        /* every step's plan is known (cache mode with --chunk or
                            --speculate runs once at init to learn it) */
    int ops_per_step;
    long pos;            /* operations done since the start of the run */

    /* geometry of the step being run (valid once its embed has run) */
    int step;            /* step of operation pos-1 (0 when pos == 0) */
    int n;               /* rows processed */
    int t;               /* sequence length after the step */
    int p0;              /* position of the first processed row, t - n */
    int k_lo;            /* first key column computed: config_first_key(p0)
                            in cache mode (0 without a window: the keys a ring
                            of W no longer holds are not computed, §6.3), 0
                            otherwise */
    int drafted;         /* §6.9: drafts verified in this step (rows 1 .. n-1) */
    int accepted;        /* drafts accepted by this step's OP_PICK, -1 before */
    int emitted;         /* tokens emitted by this step's OP_PICK (0 before;
                            0 for an early chunk, which has no head) */

    int *tokens;         /* (max_seq) prompt, then emitted tokens */
    int n_tokens;        /* L + tokens emitted so far */
    int picked;          /* token picked by this step, -1 before OP_PICK */

    /* activations of the current step; row i is position p0 + i */
    float *x;            /* (max_seq, d)  residual stream */
    float *a;            /* (max_seq, d)  LayerNorm output feeding the sublayer */
    float *q;            /* (max_seq, d)  queries */
    float *att_out;      /* (max_seq, d)  concat of head outputs, before Wo */
    float *proj;         /* (max_seq, d)  sublayer output before the residual add */
    float *hidden;       /* (max_seq, F)  FFN hidden (after GELU once OP_FFN ran) */
    float *xf;           /* (max_seq, d)  final LayerNorm output */
    float *logits;       /* (max_seq, V)  row 0 = last position (train: row i = position i) */
    float *scores;       /* (Lyr, H, max_seq, max_seq) raw scaled Q·Kᵀ of this step */
    float *att;          /* (Lyr, H, max_seq, max_seq) masked scores, then softmax weights */
    float *step_k;       /* (Lyr, max_seq, kv_dim) K rows of this step's positions p0.. */
    float *step_v;       /* (Lyr, max_seq, kv_dim) V rows of this step's positions */
    float *k_raw;        /* (Lyr, max_seq, kv_dim) K rows of this step before RoPE turned them
                            (§6.10, for the panels; NULL without --rope) */
    OpRef *step_ops;     /* (ops_per_step) a step's operations in forward order, from
                            sim/ops.h: embed, every layer's LN1 .. FFN, the head */
    StepPlan *plan;      /* (cap_steps) each step begun so far: where it starts, what
                            it did; a rewind to step k restarts from plan[k] */
    int *draft;          /* (K) this step's drafts, positions p0+1 .. p0+drafted
                            (--speculate K; NULL otherwise) */
    int *kv_rows;        /* (Lyr) positions whose K/V this step's attention can read:
                            t once that layer's Q/K/V ran, else what the cache holds */
    float *hist_k;       /* (Lyr, max_seq, kv_dim) every K row appended, for rewinding a
                            ring (cache mode with a window < max_seq; NULL otherwise) */
    float *hist_v;       /* (Lyr, max_seq, kv_dim) the same for V */
    long ops_run;        /* operations executed since engine_init, replays included */

    KvCache cache;       /* what is kept between steps (cache mode) */

    OpCounts step_counts;  /* counters of the current step so far */
    OpCounts cum;          /* since the start of the run, this step included */
    OpCounts prior;        /* sum of the finished steps before this one */
    OpCounts *done;        /* (n_steps) counters of each finished step */
    double loss;           /* train: mean cross-entropy after OP_LOSS; NaN when L < 2 */

    Traffic traffic;       /* bytes moved by the current step so far (§6.5) */
    Traffic traffic_cum;   /* since the start of the run, this step included */
    Traffic traffic_prior; /* sum of the finished steps before this one */
    Traffic *traffic_done; /* (n_steps) bytes of each finished step */

    PagedPool *pool;       /* paged mirror of the cache (§6.4); NULL unless cache mode with B > 0 */
    int pool_seq;          /* this run's sequence in the pool */
    PagedPool *own_pool;   /* the pool engine_init made (NULL once shared) */
    bool pool_overflow;    /* an append found too few free blocks (a shared pool too small) */

    /* prefix sharing (§6.8, engine_share_prefix): the prefill computes only
     * rows shared_rows .. L-1; the K/V of positions 0 .. shared_rows-1 are
     * the donor's (an earlier sequence with the same prompt prefix), taken
     * layer by layer at Q/K/V and, in the pool, its blocks. 0 / NULL = none. */
    int shared_rows;
    const struct Engine *prefix_src;
} Engine;

/* Set up a run over prompt[0..L-1] that will take G steps (train: G is
 * ignored, one step). cfg of the model must pass config_validate(L, G).
 * Returns 0, or -1 with a one-line message (out of memory). */
int engine_init(Engine *e, const Model *m, RunMode mode, const int *prompt, int L, int G,
                char *err, size_t errlen);
void engine_free(Engine *e);
/* Bytes this engine allocated (its buffer table, the KV cache, its own
 * paged mirror), and what one of `mode` with n_steps steps would allocate
 * for cfg (UINT64_MAX when that overflows). */
uint64_t engine_bytes(const Engine *e);
uint64_t engine_config_bytes(const KvConfig *c, RunMode mode, int n_steps);

long engine_total_ops(const Engine *e);
/* Which operation is number `index` of a step. */
OpRef engine_op_at(const Engine *e, int index);
/* The operation done last (pos-1), or {OP_KIND_COUNT, -1} at pos 0. */
OpRef engine_current_op(const Engine *e);
/* Phase of the step holding operation pos-1 (PHASE_READY at pos 0). */
Phase engine_phase(const Engine *e);
/* True when pos sits at the end of a step (or at 0). */
bool engine_at_step_end(const Engine *e);

/* Whether operation (kind, layer) has run in the step shown now (the step
 * of operation pos-1). Buffers an operation fills are only meaningful
 * once it has run; a UI shows "not computed yet" otherwise. */
bool engine_op_done(const Engine *e, OpKind kind, int layer);

/* Cursor moves; each returns false when it cannot move. */
bool engine_next_op(Engine *e);
bool engine_prev_op(Engine *e);
bool engine_next_layer(Engine *e);
bool engine_prev_layer(Engine *e);
bool engine_next_step(Engine *e);
bool engine_prev_step(Engine *e);
void engine_seek(Engine *e, long pos);       /* clamps to 0 .. total */
void engine_run_to_end(Engine *e);

/* Attention rows of this step for layer l, head h: row i (0..n-1) is the
 * query at position p0+i, t columns; columns before k_lo are not computed
 * (a windowed decode step) and hold 0. Valid after that layer's OP_SCORES /
 * OP_MASK / OP_SOFTMAX have run in this step. */
static inline const float *engine_scores_row(const Engine *e, int l, int h, int i)
{
    size_t N = (size_t)e->cfg.max_seq;
    return e->scores + (((size_t)l * (size_t)e->cfg.n_heads + (size_t)h) * N + (size_t)i) * N;
}
static inline const float *engine_att_row(const Engine *e, int l, int h, int i)
{
    size_t N = (size_t)e->cfg.max_seq;
    return e->att + (((size_t)l * (size_t)e->cfg.n_heads + (size_t)h) * N + (size_t)i) * N;
}

/* K or V row of position pos in layer l as this step's attention sees it:
 * this step's own rows (pos >= p0, once that layer's Q/K/V ran) or the
 * cache's. NULL when neither holds it (evicted by a window, not yet made). */
const float *engine_k_row(const Engine *e, int l, int pos);
const float *engine_v_row(const Engine *e, int l, int pos);

/* §6.10: the K row of position pos in layer l before RoPE turned it, when
 * this step made it and that layer's Q/K/V ran (NULL otherwise, and
 * without --rope). engine_k_row() is the turned one, what the cache keeps. */
const float *engine_k_unrotated(const Engine *e, int l, int pos);

/* Counters of a finished step k (k < steps finished), or NULL. */
const OpCounts *engine_step_counts(const Engine *e, int k);
/* Bytes moved by a finished step k, or NULL. */
const Traffic *engine_step_traffic(const Engine *e, int k);

/* Use sequence seq of a pool shared with other engines instead of the
 * engine's own (cache mode with block_size > 0, before the first
 * operation; the pool's layers, kv_dim and B must match and it must hold
 * max_seq positions per sequence). The engine frees its own pool; the
 * shared one is borrowed and must outlive it. 0, or -1 when not allowed. */
int engine_share_pool(Engine *e, PagedPool *pool, int seq);
/* Prefix sharing (§6.8): this cache engine's prompt starts with the same
 * `rows` tokens as donor's (a cache engine of the same pool, earlier in
 * the run's order, which it must stay at or ahead of, and not past the
 * append of its step 1 while this one is in its prefill); 1 <= rows < L.
 * Under a window the donor must still hold the rows this prefill reads
 * (paged_prefix_held). Before the first operation. 0, or -1 when not
 * allowed. */
int engine_share_prefix(Engine *e, const Engine *donor, int rows);
/* Live blocks of this run's sequence, and their bytes (0 without paging). */
int engine_kv_blocks(const Engine *e);
uint64_t engine_kv_reserved_bytes(const Engine *e);
/* Bytes the cache keeps between steps now (0 in recompute and train). */
uint64_t engine_kv_bytes(const Engine *e);
/* Generated token number k+1 (prompt excluded), or -1 when not yet
 * emitted. (Step k emits it in plain runs; with --chunk or --speculate
 * engine_plan() says which step emits which tokens.) */
int engine_emitted(const Engine *e, int k);
/* Where step k started and what it did (k < steps begun, or any step of a
 * planned engine), or NULL. */
const StepPlan *engine_plan(const Engine *e, int k);
/* After engine_share_prefix (§6.8 with §6.7): the prefill starts at the
 * shared rows s, so it takes ceil((L - s) / C) chunks (one without
 * --chunk) and the run as many fewer steps; a planned engine's plan (learnt
 * before sharing) moves with it: the chunks from s, then the same decode
 * steps. Before the first operation; nothing without shared rows. */
void engine_plan_prefix(Engine *e);
/* Cache rows kept after step k (its end): p0 + n, or p0 + 1 + accepted after
 * a verify step rolled its rejected drafts back. */
int engine_kept_after(const StepPlan *s);

/* The token the row at `pos` of the step shown was computed from: in a
 * verify step (§6.9) positions p0+1 .. p0+drafted hold its drafts, the
 * rejected ones included (once the pick ran, tokens[] holds the emitted
 * token at the first rejected one); elsewhere tokens[pos]. -1 for a
 * position with no token yet. Panels label rows and keys with it. */
int engine_fed_token(const Engine *e, int pos);

/* Prompt lookup (§6.9): the drafts for tokens[0..T-1], at most max_k of
 * them, into out. The longest suffix of length 3, else 2, else 1 that
 * occurred earlier (its latest earlier start) proposes the tokens that
 * followed it there, up to the end of the sequence. Returns how many (0: no
 * earlier occurrence). Pure: the engine and the tests call it. */
int engine_lookup_draft(const int *tokens, int T, int max_k, int *out);

/* Display names: "LN1", "Q/K/V", "QKᵀ", ... (op_info(k)->name_en) */
const char *engine_op_name(OpKind k);
const char *engine_phase_name(Phase p);

#endif
