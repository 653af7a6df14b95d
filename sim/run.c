/* run: one simulation and its lockstep order. See run.h. */
#include "sim/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Engine *seq_mut(Run *r, int s)
{
    return s == 0 ? &r->eng[MODE_CACHE] : &r->seq[s];
}

static int share_prefixes(Run *r, const RunPrompt *prompts);

void run_free(Run *r)
{
    for (int s = 1; s < r->n_seqs && r->seq; s++) engine_free(&r->seq[s]);
    free(r->seq);
    for (int m = 0; m < MODE_COUNT; m++)
        if (r->modes & RUN_MODE_BIT(m)) engine_free(&r->eng[m]);
    if (r->pool) paged_free(r->pool);
    free(r->pool);
    if (r->own) model_free(r->own);
    free(r->own);
    memset(r, 0, sizeof *r);
}

int run_init(Run *r, const KvConfig *cfg, const Model *model, unsigned modes,
             const RunPrompt *prompts, int n, int G, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->G = G;
    r->n_seqs = n;
    if (n < 1 || (n > 1 && !(modes & RUN_MODE_BIT(MODE_CACHE)))) {
        snprintf(err, errlen, "a batch of %d prompts needs the cache mode", n);
        return -1;
    }
    if (!model) {
        r->own = malloc(sizeof *r->own);
        if (!r->own || model_init(r->own, cfg)) {
            free(r->own);
            r->own = NULL;
            snprintf(err, errlen, "out of memory building the model");
            return -1;
        }
        model = r->own;
    }
    r->model = model;
    for (int m = 0; m < MODE_COUNT; m++) {
        if (!(modes & RUN_MODE_BIT(m))) continue;
        if (engine_init(&r->eng[m], model, (RunMode)m, prompts[0].ids, prompts[0].L, G, err, errlen)) {
            run_free(r);
            return -1;
        }
        r->modes |= RUN_MODE_BIT(m);
    }
    r->seq = calloc((size_t)n, sizeof(Engine));
    if (!r->seq) {
        run_free(r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int s = 1; s < n; s++)
        if (engine_init(&r->seq[s], model, MODE_CACHE, prompts[s].ids, prompts[s].L, G, err, errlen)) {
            r->n_seqs = s;   /* the ones built so far are freed */
            run_free(r);
            return -1;
        }
    if ((modes & RUN_MODE_BIT(MODE_CACHE)) && cfg->block_size > 0) {
        /* one pool for the batch, enough for every sequence at max_seq */
        const int blocks = paged_blocks_for(cfg->block_size, n, cfg->max_seq);
        r->pool = calloc(1, sizeof(PagedPool));
        if (!r->pool || paged_init(r->pool, cfg->n_layers, config_kv_dim(cfg), cfg->block_size, blocks, n,
                                   cfg->max_seq)) {
            free(r->pool);
            r->pool = NULL;
            run_free(r);
            snprintf(err, errlen, "out of memory for a pool of %d blocks", blocks);
            return -1;
        }
        for (int s = 0; s < n; s++)
            if (engine_share_pool(seq_mut(r, s), r->pool, s)) {
                run_free(r);
                snprintf(err, errlen, "cannot share the block pool");
                return -1;
            }
        if (cfg->prefix_cache && share_prefixes(r, prompts)) {
            run_free(r);
            snprintf(err, errlen, "cannot share the prompt prefixes");
            return -1;
        }
    }
    return 0;
}

/* Prefix sharing with chunked prefill (§6.8 with §6.7, the step lockstep):
 * a later sequence's first chunk runs right after its donor's first step,
 * and needs every shared row then; so it shares only what the donor holds
 * after its own first step, s_d + min(C, L_d − s_d) rows ("held"; its whole
 * prompt without --chunk), in full blocks, as a server shares only blocks
 * already computed. Under a window the donor must hold the rows the first
 * chunk reads both then and after its whole prompt (paged_prefix_held with
 * each; engine_share_prefix checks the second). docs/serving.md;
 * formulas_prefix_chunk_rows(). */
static int donor_held(const Run *r, int j, int L)
{
    const int s = run_seq(r, j)->shared_rows, C = r->cfg.chunk;
    return C > 0 && L - s > C ? s + C : L;
}

static int donor_rows(const Run *r, int held, int L, int rows)
{
    const int B = r->cfg.block_size, full = held < L ? held / B * B : held;
    return rows < full ? rows : full;
}

/* Prefix sharing (§6.8): each later sequence takes the shared rows of the
 * earliest earlier prompt that gives it the most (a sequence that shares
 * is itself a donor for later ones: its table already points at blocks).
 * Under a window only donors that still hold the rows its prefill reads
 * count (paged_prefix_held): a later donor that holds them wins over an
 * earlier one that gives more rows but dropped them; none: no sharing. */
static int share_prefixes(Run *r, const RunPrompt *prompts)
{
    for (int s = 1; s < r->n_seqs; s++) {
        int best = 0, donor = -1;
        for (int j = 0; j < s; j++) {
            const int held = donor_held(r, j, prompts[j].L);   /* with --chunk: what it holds then */
            const int rows = donor_rows(r, held, prompts[j].L,
                                        paged_prefix_rows(prompts[j].ids, prompts[j].L, prompts[s].ids, prompts[s].L,
                                                          r->cfg.block_size));
            if (rows > best && paged_prefix_held(rows, held, r->cfg.window) &&
                paged_prefix_held(rows, prompts[j].L, r->cfg.window))   /* (engine_share_prefix's rule) */
                best = rows, donor = j;
        }
        if (donor >= 0 && engine_share_prefix(seq_mut(r, s), run_seq(r, donor), best)) return -1;
        engine_plan_prefix(seq_mut(r, s));   /* its prefill starts at the shared rows */
    }
    return 0;
}

/* A fresh pool (every sequence empty): its free list hands out 0, 1, 2,
 * ... again. On failure the old pool stays (consistent, other ids). */
static void pool_reset(Run *r)
{
    PagedPool fresh;
    const PagedPool *p = r->pool;
    if (paged_init(&fresh, p->n_layers, p->kv_dim, p->block_size, p->n_blocks, p->n_seqs, p->max_len))
        return;
    paged_free(r->pool);
    *r->pool = fresh;
}

long run_batch_total(const Run *r)
{
    if (!(r->modes & RUN_MODE_BIT(MODE_CACHE))) return 0;
    long t = engine_total_ops(&r->eng[MODE_CACHE]);
    for (int s = 1; s < r->n_seqs; s++)
        if (engine_total_ops(&r->seq[s]) > t) t = engine_total_ops(&r->seq[s]);
    return t;
}

/* A batch with steps past sequence 0's end: the cache mode's moves act
 * on the batch cursor there. */
static bool batch_longer(const Run *r)
{
    return r->n_seqs > 1 && run_batch_total(r) > engine_total_ops(&r->eng[MODE_CACHE]);
}

long run_cursor(const Run *r, RunMode m)
{
    return m == MODE_CACHE && batch_longer(r) ? r->batch_pos : r->eng[m].pos;
}

long run_cursor_total(const Run *r, RunMode m)
{
    return m == MODE_CACHE && batch_longer(r) ? run_batch_total(r) : engine_total_ops(&r->eng[m]);
}

/* Step 3 of the order: every further sequence to the batch cursor P (its
 * step k, operation j; its end when it has no step k). P is the cache
 * engine's position, or `goal` past its end (a cache-mode seek beyond
 * sequence 0). Blocks are taken only by a step's append and given back
 * only by that append's rollback (§6.9) or a rewind, so following a
 * cursor that went forward over at most one append keeps the order;
 * anything else replays the batch from a fresh pool, one step of every
 * sequence at a time. */
static void batch_sync(Run *r, long goal)
{
    if (!(r->modes & RUN_MODE_BIT(MODE_CACHE))) return;
    const Engine *c = &r->eng[MODE_CACHE];
    long P = c->pos;
    if (goal > P && P == engine_total_ops(c)) {
        const long total = run_batch_total(r);
        P = goal < total ? goal : total;
    }
    const long Q = r->batch_pos;
    if (P == Q) return;
    if (r->pool && (P < Q || run_steps_done(c, P) - run_steps_done(c, Q) > 1)) {
        for (int s = 0; s < r->n_seqs; s++) engine_seek(seq_mut(r, s), 0);
        pool_reset(r);
        for (long at = 0; at < P;) {
            long to = run_step_start(c, run_steps_done(c, at) + 1);
            if (to > P) to = P;
            for (int s = 0; s < r->n_seqs; s++) engine_seek(seq_mut(r, s), to);   /* clamps at its end */
            at = to;
        }
    } else {
        for (int s = 1; s < r->n_seqs; s++) engine_seek(seq_mut(r, s), P);
    }
    r->batch_pos = P;
}

/* Step 2's target when the cache engine c has a plan (--chunk,
 * --speculate): recompute step j emits generated token j; cache step k
 * emits tokens tok0-L .. tok0-L+emitted-1 (none for an early chunk). The
 * other engine goes to the step emitting the same token, at the same
 * operation where it has one; a finished step maps to the finished step
 * of its last token. */
static long cache_to_recompute(const Engine *c, const Engine *o)
{
    const int k = run_step_of(c, c->pos), j = run_op_index(c, c->pos);
    const StepPlan *s = engine_plan(c, k);
    if (!s || k < c->n_chunks - 1) return 0;   /* an early chunk: no token yet */
    const int g0 = s->tok0 - c->L;
    if (j == c->ops_per_step) return run_step_start(o, g0 + s->emitted);
    return run_step_start(o, g0) + (j < o->ops_per_step ? j : o->ops_per_step);
}

static long recompute_to_cache(const Engine *r, const Engine *c)
{
    const int g = run_step_of(r, r->pos), j = run_op_index(r, r->pos);
    for (int k = c->n_chunks - 1; k < c->n_steps; k++) {
        const StepPlan *s = engine_plan(c, k);
        const int g0 = s->tok0 - c->L;
        if (g < g0 || g >= g0 + s->emitted) continue;
        if (j == r->ops_per_step && g == g0 + s->emitted - 1) return run_step_start(c, k + 1);
        return run_step_start(c, k) + (j < c->ops_per_step ? j : c->ops_per_step);
    }
    return engine_total_ops(c);
}

/* Steps 2 and 3; goal: where the batch goes when the cache engine is at
 * its end (a cache-mode seek past it; -1: to the cache engine). */
static void sync_to(Run *r, RunMode m, long goal)
{
    if (m == MODE_TRAIN) return;   /* the train engine moves alone */
    const unsigned pair = RUN_MODE_BIT(MODE_CACHE) | RUN_MODE_BIT(MODE_RECOMPUTE);
    if ((r->modes & pair) == pair) {
        /* step 2: the other of cache/recompute to the same step and op */
        const Engine *p = &r->eng[m];
        Engine *o = &r->eng[m == MODE_CACHE ? MODE_RECOMPUTE : MODE_CACHE];
        const Engine *c = &r->eng[MODE_CACHE];
        if (p->pos == 0) {
            engine_seek(o, 0);
        } else if (c->planned) {
            engine_seek(o, m == MODE_CACHE ? cache_to_recompute(p, o) : recompute_to_cache(p, o));
        } else {
            const int k = run_step_of(p, p->pos);
            int j = run_op_index(p, p->pos);                  /* 1 .. ops of p */
            if (j == p->ops_per_step || j > o->ops_per_step) j = o->ops_per_step;
            engine_seek(o, run_step_start(o, k) + j);
        }
    }
    batch_sync(r, goal);
}

void run_sync(Run *r, RunMode m)
{
    /* a cache engine still at its end leaves a batch cursor past it where it is */
    sync_to(r, m, r->batch_pos);
}

void run_seek(Run *r, RunMode m, long pos)
{
    engine_seek(&r->eng[m], pos);
    sync_to(r, m, m == MODE_CACHE ? pos : -1);
}

/* A layer stop: just after a layer's last operation, or at a step's end
 * (engine.c's rule, on a cursor that may be past the engine's end). */
static bool layer_stop(const Engine *e, long pos)
{
    return pos % e->ops_per_step == 0 || engine_op_at(e, (int)((pos - 1) % e->ops_per_step)).kind == OP_FFN;
}

/* The engine's cursor moves on the batch cursor pos (0 .. total). */
static bool cursor_move(const Engine *c, long pos, long total, RunMove mv, long *to)
{
    const long ops = c->ops_per_step;
    long p = pos;
    const bool fwd = mv == RUN_NEXT_OP || mv == RUN_NEXT_LAYER || mv == RUN_NEXT_STEP;
    const bool back = mv == RUN_PREV_OP || mv == RUN_PREV_LAYER || mv == RUN_PREV_STEP;
    if ((fwd && pos >= total) || (back && pos == 0)) return false;
    switch (mv) {
    case RUN_NEXT_OP: p = pos + 1; break;
    case RUN_PREV_OP: p = pos - 1; break;
    case RUN_NEXT_LAYER:
        for (p = pos + 1; p < total && !layer_stop(c, p);) p++;
        break;
    case RUN_PREV_LAYER:
        for (p = pos - 1; p > 0 && !layer_stop(c, p);) p--;
        break;
    case RUN_NEXT_STEP: p = (pos / ops + 1) * ops; break;
    case RUN_PREV_STEP: p = ((pos - 1) / ops) * ops; break;
    case RUN_START: p = 0; break;
    case RUN_END: p = total; break;
    }
    *to = p < total ? p : total;
    return true;
}

bool run_move(Run *r, RunMode m, RunMove mv)
{
    if (m == MODE_CACHE && batch_longer(r)) {
        long to;
        if (!cursor_move(&r->eng[MODE_CACHE], r->batch_pos, run_batch_total(r), mv, &to)) return false;
        run_seek(r, MODE_CACHE, to);
        return true;
    }
    Engine *e = &r->eng[m];
    bool moved = true;
    switch (mv) {
    case RUN_NEXT_OP: moved = engine_next_op(e); break;
    case RUN_PREV_OP: moved = engine_prev_op(e); break;
    case RUN_NEXT_LAYER: moved = engine_next_layer(e); break;
    case RUN_PREV_LAYER: moved = engine_prev_layer(e); break;
    case RUN_NEXT_STEP: moved = engine_next_step(e); break;
    case RUN_PREV_STEP: moved = engine_prev_step(e); break;
    case RUN_START: engine_seek(e, 0); break;
    case RUN_END: engine_run_to_end(e); break;
    }
    run_sync(r, m);
    return moved;
}

void run_restart(Run *r)
{
    for (int m = 0; m < MODE_COUNT; m++)
        if (r->modes & RUN_MODE_BIT(m)) engine_seek(&r->eng[m], 0);
    run_sync(r, MODE_CACHE);
}

bool run_pool_overflow(const Run *r)
{
    for (int s = 0; s < r->n_seqs; s++)
        if (run_seq(r, s)->pool_overflow) return true;
    return false;
}

long run_op_pos(const Engine *e, int k, OpKind kind, int layer)
{
    for (int i = 0; i < e->ops_per_step; i++) {
        const OpRef op = engine_op_at(e, i);
        if (op.kind == kind && (op.layer < 0 || op.layer == layer)) return run_step_start(e, k) + i + 1;
    }
    return -1;
}

/* The pool's block storage (K and V of every slot); its tables are small. */
static uint64_t pool_bytes(const PagedPool *p)
{
    return (uint64_t)p->n_blocks * (uint64_t)p->block_floats * sizeof(float);
}

uint64_t run_bytes(const Run *r)
{
    uint64_t b = r->own ? model_bytes(r->own) : 0;
    for (int m = 0; m < MODE_COUNT; m++)
        if (r->modes & RUN_MODE_BIT(m)) b += engine_bytes(&r->eng[m]);
    for (int s = 1; s < r->n_seqs; s++) b += engine_bytes(&r->seq[s]);
    if (r->pool) b += pool_bytes(r->pool);
    return b;
}
