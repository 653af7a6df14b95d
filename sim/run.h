/* run: one simulation — the weights, an engine per mode, the batch and the
 * block pool — and the one order in which they move.
 *
 * A Run owns (or borrows) ONE copy of the weights; every engine reads it
 * read-only. Sequence 0 (the first prompt) gets an engine in each mode the
 * caller asks for: cache, recompute, train. Further prompts (a batch,
 * spec §6.4) get one cache engine each; with a block size every cache
 * engine mirrors into ONE paged pool of n_seqs · ceil(N / B) blocks.
 *
 * The lockstep order (run_seek, the only way the UI, trace, export, bench
 * and lessons move a run):
 *   1. the engine of the mode asked for goes to `pos`;
 *   2. the other of cache/recompute goes to the same step and operation
 *      (their lists differ only by cache's final "append": a finished step
 *      maps to a finished step);
 *   3. the batch follows by STEP INDEX: its cursor (batch_pos, in
 *      operations: step k, operation j) puts every sequence at operation
 *      j of its own step k; a sequence that has no step k (finished:
 *      with --chunk or --speculate sequences take different numbers of
 *      steps, spec §6.7, §6.9) stays at its end. Every cache engine has
 *      the same operation list, so "operation j of step k" exists in
 *      each; a sequence's position is min(batch_pos, its total). The
 *      cursor is sequence 0's position, except that a cache-mode
 *      run_seek / run_move may take it past sequence 0's end, up to
 *      run_batch_total() (the longest sequence), while sequence 0 stays
 *      at its end. The pool's block ids depend on the order appends (and
 *      a verify step's rollbacks) happen in: step k of sequences 0, 1,
 *      ... then step k + 1. When the cursor moved in a way that order
 *      cannot reproduce (backwards, or over more than one append) the
 *      batch is replayed from a fresh pool, so a screen at batch step k
 *      always shows the same blocks as `kvsim trace` after step k.
 * The train engine moves alone.
 *
 * Ownership: run_init() builds the model (unless one is lent), the
 * engines and the pool; run_free() releases what the run built. A Run may
 * be moved by value (nothing points into the struct itself).
 */
#ifndef KVSIM_RUN_H
#define KVSIM_RUN_H

#include "sim/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_MODE_BIT(m) (1u << (m))
#define RUN_ALL_MODES (RUN_MODE_BIT(MODE_CACHE) | RUN_MODE_BIT(MODE_RECOMPUTE) | RUN_MODE_BIT(MODE_TRAIN))

/* One prompt of the batch. */
typedef struct {
    const int *ids;   /* (L) token ids */
    int L;
} RunPrompt;

typedef struct {
    Model *own;              /* the weights when the run built them, else NULL */
    const Model *model;      /* the weights every engine reads */
    KvConfig cfg;
    int G;
    unsigned modes;          /* RUN_MODE_BIT of each engine built */
    Engine eng[MODE_COUNT];  /* sequence 0 in each mode built (zeroed otherwise) */
    int n_seqs;              /* >= 1 */
    Engine *seq;             /* (n_seqs) cache engines of sequences 1..; seq[0] unused */
    PagedPool *pool;         /* shared by every cache engine; NULL without a block size */
    long batch_pos;          /* the batch's cursor (order step 3): 0 .. run_batch_total();
                                sequence s stands at min(batch_pos, its total ops) */
} Run;

/* Build a run of G steps over prompts[0..n-1] (n >= 1; sequences >= 1
 * need MODE_CACHE in modes). model: weights to borrow (they must outlive
 * the run and have config cfg), or NULL to build them from cfg. cfg must
 * pass config_validate(L, G) for every prompt. 0, or -1 with one line. */
int run_init(Run *r, const KvConfig *cfg, const Model *model, unsigned modes,
             const RunPrompt *prompts, int n, int G, char *err, size_t errlen);
void run_free(Run *r);

/* Sequence 0's engine of a mode (must have been built). */
static inline const Engine *run_engine(const Run *r, RunMode m) { return &r->eng[m]; }
/* The cache engine of sequence s (0 .. n_seqs-1). */
static inline const Engine *run_seq(const Run *r, int s)
{
    return s == 0 ? &r->eng[MODE_CACHE] : &r->seq[s];
}

/* Move mode m's engine to pos (clamped), then the rest in the lockstep
 * order above. With m = MODE_CACHE, pos up to run_batch_total() moves the
 * batch past sequence 0's end. */
void run_seek(Run *r, RunMode m, long pos);
/* After a caller moved eng[m] directly (tests, a view change): steps 2
 * and 3 above (the batch cursor goes to the cache engine's position; a
 * cursor past sequence 0's end stays while the cache engine is at its
 * end). */
void run_sync(Run *r, RunMode m);

/* The batch's last cursor: the most operations any sequence takes
 * (= sequence 0's total when every sequence takes as many steps, always
 * without --chunk / --speculate). 0 without the cache mode. */
long run_batch_total(const Run *r);
/* The cursor a mode's moves act on: the batch cursor for the cache mode
 * (it can be past sequence 0's end), the engine's position otherwise; and
 * its last value. */
long run_cursor(const Run *r, RunMode m);
long run_cursor_total(const Run *r, RunMode m);

typedef enum {
    RUN_NEXT_OP, RUN_PREV_OP, RUN_NEXT_LAYER, RUN_PREV_LAYER,
    RUN_NEXT_STEP, RUN_PREV_STEP, RUN_START, RUN_END,
} RunMove;
/* A cursor move of mode m (the keys' moves), then run_sync. False when
 * the engine could not move. The cache mode's moves act on the batch
 * cursor (run_cursor), so they go on past sequence 0's end while a longer
 * sequence still has steps. */
bool run_move(Run *r, RunMode m, RunMove mv);
/* Every engine back to 0. */
void run_restart(Run *r);
/* An append found the shared pool too small (a caller's sizing bug). */
bool run_pool_overflow(const Run *r);

/* ---- cursor arithmetic: the one place a cursor becomes a step or an op ---- */

/* The step that holds operation pos-1 (0 at pos 0). */
static inline int run_step_of(const Engine *e, long pos)
{
    return pos > 0 ? (int)((pos - 1) / e->ops_per_step) : 0;
}
/* Index within its step (1 .. ops_per_step) of operation pos-1; 0 at pos 0. */
static inline int run_op_index(const Engine *e, long pos)
{
    return pos > 0 ? (int)((pos - 1) % e->ops_per_step) + 1 : 0;
}
/* The cursor before step k's first operation (= after step k-1's last). */
static inline long run_step_start(const Engine *e, int k) { return (long)k * e->ops_per_step; }
/* Steps finished at cursor pos. */
static inline int run_steps_done(const Engine *e, long pos) { return (int)(pos / e->ops_per_step); }
/* The cursor just after operation (kind, layer) of step k — layer is
 * ignored for operations outside the layers — or -1 when this mode does
 * not run that operation. */
long run_op_pos(const Engine *e, int k, OpKind kind, int layer);

/* ---- the attention rule, as the run's engines apply it (sim/config.h) ---- */

/* Whether the query at q_pos sees the key at k_pos in layer `layer` (every
 * layer has the same rule today; the argument is where a per-layer window
 * would go). */
static inline bool run_visible(const KvConfig *c, int layer, int q_pos, int k_pos)
{
    (void)layer;
    return config_visible(c, q_pos, k_pos);
}
/* The K/V head query head q_head reads (GQA). */
static inline int run_kv_head(const KvConfig *c, int q_head) { return config_kv_head(c, q_head); }

/* ---- memory ------------------------------------------------------------- */

/* Bytes the run allocated, from the same tables that allocate: the
 * weights (when owned), every engine's buffers, the pool. */
uint64_t run_bytes(const Run *r);

#endif
