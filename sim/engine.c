/* engine: the step machine — setup, queries and the cursor. The forward
 * pass itself is sim/forward.c. See engine.h. */
#include "sim/engine.h"

#include "sim/checked.h"
#include "sim/forward.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *engine_op_name(OpKind k)
{
    const OpInfo *o = op_info(k);
    return o ? o->name_en : "";
}

const char *engine_phase_name(Phase p)
{
    switch (p) {
    case PHASE_PREFILL: return "prefill";
    case PHASE_DECODE: return "decode";
    case PHASE_RECOMPUTE: return "recompute";
    case PHASE_TRAIN: return "train";
    default: return "ready";
    }
}

/* ---- setup --------------------------------------------------------------- */

/* The one list of the engine's buffers: engine_init allocates (zeroed)
 * from it, engine_free releases from it, engine_bytes and
 * engine_config_bytes report from it. Shapes are those in engine.h. */
typedef struct {
    size_t offset;     /* of the pointer in Engine */
    uint64_t count;    /* elements */
    size_t size;       /* bytes per element */
} EngineBuf;

enum { ENGINE_N_BUFS = 22 };

/* *ok turns false when a count overflows 64 bits (config estimates only). */
static int engine_table(const KvConfig *c, RunMode mode, int n_steps, EngineBuf out[ENGINE_N_BUFS], bool *ok)
{
    const uint64_t n_draft = mode == MODE_CACHE ? (uint64_t)c->speculate : 0;
    const uint64_t n_ops = (uint64_t)op_count(mode, c->n_layers);
    const uint64_t N = (uint64_t)c->max_seq, d = (uint64_t)c->d_model, Lyr = (uint64_t)c->n_layers;
    const uint64_t kv = c->n_heads > 0 ? (uint64_t)config_kv_dim(c) : d;
    const uint64_t Nd = ck_mul(N, d, ok);
    const uint64_t att = ck_mul(ck_mul(Lyr, (uint64_t)c->n_heads, ok), ck_mul(N, N, ok), ok);
    const uint64_t kv_rows = ck_mul(Lyr, ck_mul(N, kv, ok), ok);
    /* only a cache engine whose ring forgets rows keeps their history */
    const uint64_t hist = (mode == MODE_CACHE && config_cache_capacity(c) < c->max_seq) ? kv_rows : 0;
#define BUF(field, n) {offsetof(Engine, field), n, sizeof *((Engine *)0)->field}
    const EngineBuf all[ENGINE_N_BUFS] = {
        BUF(tokens, N),
        BUF(x, Nd), BUF(a, Nd), BUF(q, Nd), BUF(att_out, Nd), BUF(proj, Nd),
        BUF(hidden, ck_mul(N, (uint64_t)c->d_ff, ok)),
        BUF(xf, Nd),
        BUF(logits, ck_mul(N, (uint64_t)c->vocab, ok)),
        BUF(scores, att), BUF(att, att),
        BUF(step_k, kv_rows), BUF(step_v, kv_rows),
        BUF(step_ops, n_ops),
        BUF(kv_rows, Lyr),
        BUF(done, (uint64_t)n_steps), BUF(traffic_done, (uint64_t)n_steps),
        BUF(hist_k, hist), BUF(hist_v, hist),
        BUF(plan, (uint64_t)n_steps), BUF(draft, n_draft),
        BUF(k_raw, c->rope ? kv_rows : 0),
    };
#undef BUF
    memcpy(out, all, sizeof all);
    return ENGINE_N_BUFS;
}

static void **buf_ptr(Engine *e, const EngineBuf *b)
{
    return (void **)((char *)e + b->offset);
}

/* Bytes of the tables' buffers, the KV cache (K and V, capacity rows) and
 * the paged mirror a cache engine makes for itself. */
static uint64_t bytes_of(const KvConfig *c, RunMode mode, int n_steps, bool own_pool, bool *ok)
{
    EngineBuf bufs[ENGINE_N_BUFS];
    const int n = engine_table(c, mode, n_steps, bufs, ok);
    uint64_t b = 0;
    for (int i = 0; i < n; i++) b = ck_add(b, ck_mul(bufs[i].count, bufs[i].size, ok), ok);
    const uint64_t per_pos = ck_mul(2 * sizeof(float), ck_mul((uint64_t)c->n_layers,
                                    c->n_heads > 0 ? (uint64_t)config_kv_dim(c) : 0, ok), ok);
    b = ck_add(b, ck_mul((uint64_t)config_cache_capacity(c), per_pos, ok), ok);
    if (own_pool && mode == MODE_CACHE && c->block_size > 0) {
        const uint64_t blocks = ((uint64_t)c->max_seq + (uint64_t)c->block_size - 1) / (uint64_t)c->block_size;
        b = ck_add(b, ck_mul(ck_mul(blocks, (uint64_t)c->block_size, ok), per_pos, ok), ok);
    }
    return b;
}

uint64_t engine_config_bytes(const KvConfig *c, RunMode mode, int n_steps)
{
    bool ok = true;
    const uint64_t b = bytes_of(c, mode, n_steps, true, &ok);
    return ok ? b : UINT64_MAX;
}

uint64_t engine_bytes(const Engine *e)
{
    bool ok = true;
    return bytes_of(&e->cfg, e->mode, e->cap_steps, e->own_pool != NULL, &ok);
}

/* A step's operations from the table (sim/ops.h, in forward order): the
 * operations outside the layers once, the layer block LN1 .. FFN once per
 * layer, each only when this mode runs it. */
static void build_step_ops(Engine *e)
{
    int n = 0;
    for (int k = 0; k < OP_KIND_COUNT;) {
        if (!op_info((OpKind)k)->per_layer) {
            if (op_in_mode((OpKind)k, e->mode)) e->step_ops[n++] = (OpRef){(OpKind)k, -1};
            k++;
            continue;
        }
        int end = k;   /* the layer block: the run of per-layer kinds */
        while (end < OP_KIND_COUNT && op_info((OpKind)end)->per_layer) end++;
        for (int l = 0; l < e->cfg.n_layers; l++)
            for (int j = k; j < end; j++)
                if (op_in_mode((OpKind)j, e->mode)) e->step_ops[n++] = (OpRef){(OpKind)j, l};
        k = end;
    }
}

int engine_init(Engine *e, const Model *m, RunMode mode, const int *prompt, int L, int G,
                char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    const KvConfig *c = &m->cfg;
    e->model = m;
    e->cfg = *c;
    e->mode = mode;
    e->L = L;
    e->G = G;
    e->n_steps = mode == MODE_TRAIN ? 1 : G;
    e->n_chunks = 1;
    if (mode == MODE_CACHE && c->chunk > 0) {
        /* §6.7: ceil(L / C) prefill steps, the last one emits token 1 */
        e->n_chunks = (L + c->chunk - 1) / c->chunk;
        e->n_steps = e->n_chunks + G - 1;
    }
    e->cap_steps = e->n_steps;
    /* embed, the layers, final LN, logits, pick|loss, and append in cache mode */
    e->ops_per_step = op_count(mode, c->n_layers);
    EngineBuf bufs[ENGINE_N_BUFS];
    bool ok = true;
    const int n = engine_table(c, mode, e->cap_steps, bufs, &ok);
    for (int i = 0; i < n && ok; i++)   /* an empty buffer stays NULL */
        ok = bufs[i].count == 0 || (*buf_ptr(e, &bufs[i]) = calloc((size_t)bufs[i].count, bufs[i].size)) != NULL;
    if (ok) ok = kvcache_init(&e->cache, c->n_layers, c->max_seq, c->window, config_kv_dim(c)) == 0;
    if (ok && mode == MODE_CACHE && c->block_size > 0) {
        /* the paged mirror: enough blocks for this sequence at max_seq */
        e->own_pool = calloc(1, sizeof(PagedPool));
        if (!e->own_pool || paged_init(e->own_pool, c->n_layers, config_kv_dim(c), c->block_size,
                                       paged_blocks_for(c->block_size, 1, c->max_seq), 1, c->max_seq)) {
            free(e->own_pool);   /* paged_init leaves nothing to free on failure */
            e->own_pool = NULL;
            ok = false;
        }
        e->pool = e->own_pool;
    }
    if (!ok) {
        engine_free(e);
        snprintf(err, errlen, "out of memory setting up the %s engine", config_mode_name(mode));
        return -1;
    }
    build_step_ops(e);
    memcpy(e->tokens, prompt, sizeof(int) * (size_t)L);
    e->n_tokens = L;
    e->picked = -1;
    e->accepted = -1;
    e->loss = NAN;
    if (mode == MODE_CACHE && (c->speculate > 0 || c->chunk > 0)) {
        /* §6.9: how many steps a speculative run takes depends on what the
         * model emits, so run it once and keep the count and every step's
         * plan (which step emits which token: the lockstep with recompute
         * needs it, with chunks too); then back to the start. ops_run does
         * not count this pass. */
        engine_run_to_end(e);
        engine_seek(e, 0);
        e->ops_run = 0;
        e->planned = true;
    }
    return 0;
}

static void engine_free_own_pool(Engine *e)
{
    if (e->own_pool) paged_free(e->own_pool);
    free(e->own_pool);
    e->own_pool = NULL;
}

void engine_free(Engine *e)
{
    EngineBuf bufs[ENGINE_N_BUFS];
    bool ok = true;
    const int n = engine_table(&e->cfg, e->mode, e->cap_steps, bufs, &ok);
    for (int i = 0; i < n; i++) free(*buf_ptr(e, &bufs[i]));
    kvcache_free(&e->cache);
    engine_free_own_pool(e);
    memset(e, 0, sizeof *e);
}

long engine_total_ops(const Engine *e)
{
    return (long)e->n_steps * e->ops_per_step;
}

OpRef engine_op_at(const Engine *e, int index)
{
    if (index < 0 || index >= e->ops_per_step) return (OpRef){OP_KIND_COUNT, -1};
    return e->step_ops[index];
}

OpRef engine_current_op(const Engine *e)
{
    if (e->pos == 0) return (OpRef){OP_KIND_COUNT, -1};
    return engine_op_at(e, (int)((e->pos - 1) % e->ops_per_step));
}

Phase engine_phase(const Engine *e)
{
    if (e->pos == 0) return PHASE_READY;
    switch (e->mode) {
    case MODE_CACHE: return e->step < e->n_chunks ? PHASE_PREFILL : PHASE_DECODE;
    case MODE_RECOMPUTE: return PHASE_RECOMPUTE;
    default: return PHASE_TRAIN;
    }
}

bool engine_at_step_end(const Engine *e)
{
    return e->pos % e->ops_per_step == 0;
}

bool engine_op_done(const Engine *e, OpKind kind, int layer)
{
    if (e->pos == 0) return false;
    const int last = (int)((e->pos - 1) % e->ops_per_step);
    for (int i = 0; i <= last; i++) {
        OpRef r = engine_op_at(e, i);
        if (r.kind == kind && (layer < 0 || r.layer == layer)) return true;
    }
    return false;
}

const OpCounts *engine_step_counts(const Engine *e, int k)
{
    long finished = e->pos / e->ops_per_step;
    return (k >= 0 && k < finished) ? &e->done[k] : NULL;
}

const Traffic *engine_step_traffic(const Engine *e, int k)
{
    long finished = e->pos / e->ops_per_step;
    return (k >= 0 && k < finished) ? &e->traffic_done[k] : NULL;
}

int engine_share_pool(Engine *e, PagedPool *pool, int seq)
{
    const KvConfig *c = &e->cfg;
    if (e->mode != MODE_CACHE || c->block_size <= 0 || e->pos != 0 || seq < 0 ||
        seq >= pool->n_seqs || pool->n_layers != c->n_layers || pool->kv_dim != config_kv_dim(c) ||
        pool->block_size != c->block_size || pool->max_len < c->max_seq)
        return -1;
    engine_free_own_pool(e);
    e->pool = pool;
    e->pool_seq = seq;
    paged_seq_end(pool, seq);
    return 0;
}

int engine_share_prefix(Engine *e, const Engine *donor, int rows)
{
    if (e->mode != MODE_CACHE || donor->mode != MODE_CACHE || e->pos != 0 || !e->pool ||
        e->pool != donor->pool || e->pool_seq == donor->pool_seq || rows < 1 || rows >= e->L ||
        rows > donor->L || memcmp(e->tokens, donor->tokens, sizeof(int) * (size_t)rows))
        return -1;
    /* under a window the donor must still hold the rows this prefill reads (paged.h) */
    if (!paged_prefix_held(rows, donor->L, e->cfg.window))
        return -1;
    e->shared_rows = rows;
    e->prefix_src = donor;
    return 0;
}

int engine_kv_blocks(const Engine *e)
{
    return e->pool ? paged_seq_blocks(e->pool, e->pool_seq) : 0;
}

uint64_t engine_kv_reserved_bytes(const Engine *e)
{
    return e->pool ? paged_seq_reserved_bytes(e->pool, e->pool_seq) : 0;
}

uint64_t engine_kv_bytes(const Engine *e)
{
    return e->mode == MODE_CACHE ? kvcache_bytes(&e->cache) : 0;
}

int engine_emitted(const Engine *e, int k)
{
    return (k >= 0 && e->L + k < e->n_tokens) ? e->tokens[e->L + k] : -1;
}

const StepPlan *engine_plan(const Engine *e, int k)
{
    const int begun = e->pos > 0 ? (int)((e->pos - 1) / e->ops_per_step) + 1 : 0;
    /* a speculative engine ran every step once at init: all plans are known */
    const int known = e->planned ? e->n_steps : begun;
    return (k >= 0 && k < known) ? &e->plan[k] : NULL;
}

void engine_plan_prefix(Engine *e)
{
    if (e->mode != MODE_CACHE || e->pos != 0 || e->shared_rows < 1) return;
    const int s = e->shared_rows, C = e->cfg.chunk > 0 ? e->cfg.chunk : e->L - s;
    const int was = e->n_chunks, now = (e->L - s + C - 1) / C;
    if (e->planned) {
        /* the decode steps are the same steps, earlier; the chunks start at s */
        memmove(e->plan + now, e->plan + was, sizeof(StepPlan) * (size_t)(e->n_steps - was));
        for (int k = 0; k < now; k++) {
            const int p0 = s + k * C, last = k == now - 1;
            e->plan[k] = (StepPlan){.p0 = p0, .n = e->L - p0 < C ? e->L - p0 : C, .tok0 = e->L,
                                    .accepted = last ? 0 : -1, .emitted = last};
        }
    }
    e->n_chunks = now;
    e->n_steps -= was - now;
}

int engine_fed_token(const Engine *e, int pos)
{
    if (e->drafted > 0 && e->pos > 0 && pos > e->p0 && pos <= e->p0 + e->drafted && pos < e->t)
        return e->draft[pos - e->p0 - 1];
    return pos >= 0 && pos < e->n_tokens ? e->tokens[pos] : -1;
}

int engine_kept_after(const StepPlan *s)
{
    return s->drafted > 0 && s->accepted >= 0 ? s->p0 + 1 + s->accepted : s->p0 + s->n;
}

int engine_lookup_draft(const int *tokens, int T, int max_k, int *out)
{
    for (int len = 3; len >= 1; len--) {
        if (len >= T) continue;   /* no room for an earlier occurrence */
        const int *suffix = tokens + T - len;
        for (int i = T - len - 1; i >= 0; i--) {   /* latest earlier start first */
            if (memcmp(tokens + i, suffix, sizeof(int) * (size_t)len)) continue;
            int k = 0;
            for (int j = i + len; j < T && k < max_k; j++) out[k++] = tokens[j];
            return k;
        }
    }
    return 0;
}

const float *engine_k_row(const Engine *e, int l, int pos)
{
    if (e->pos > 0 && pos >= e->p0 && pos < e->kv_rows[l]) return forward_own_row(e, e->step_k, l, pos);
    if (e->mode == MODE_CACHE && pos < e->kv_rows[l] && kvcache_has(&e->cache, pos)) return kvcache_k(&e->cache, l, pos);
    return NULL;
}

const float *engine_k_unrotated(const Engine *e, int l, int pos)
{
    if (!e->k_raw || e->pos == 0 || pos < e->p0 || pos >= e->kv_rows[l] || pos >= e->t) return NULL;
    return forward_own_row(e, e->k_raw, l, pos);
}

const float *engine_v_row(const Engine *e, int l, int pos)
{
    if (e->pos > 0 && pos >= e->p0 && pos < e->kv_rows[l]) return forward_own_row(e, e->step_v, l, pos);
    if (e->mode == MODE_CACHE && pos < e->kv_rows[l] && kvcache_has(&e->cache, pos)) return kvcache_v(&e->cache, l, pos);
    return NULL;
}

static void do_op(Engine *e)
{
    const int index = (int)(e->pos % e->ops_per_step);
    if (index == 0) forward_begin_step(e, (int)(e->pos / e->ops_per_step));
    forward_op(e, engine_op_at(e, index));
    e->pos++;
    e->ops_run++;
    e->cum = e->prior;
    counts_add(&e->cum, &e->step_counts);
    e->traffic_cum = e->traffic_prior;
    traffic_add(&e->traffic_cum, &e->traffic);
    if (index == e->ops_per_step - 1) {
        /* a speculative run ends when the last token is out (the init pass) */
        if (e->mode == MODE_CACHE && e->n_tokens >= e->L + e->G) e->n_steps = e->step + 1;
        e->done[e->step] = e->step_counts;
        e->prior = e->cum;
        e->traffic_done[e->step] = e->traffic;
        e->traffic_prior = e->traffic_cum;
    }
}

/* ---- moving the cursor --------------------------------------------------- */

/* Back to the state before step k's first operation. */
static void rewind_to_step(Engine *e, int k)
{
    e->pos = (long)k * e->ops_per_step;
    e->step = k;
    /* the step starts from what its plan recorded when it first began */
    e->n_tokens = k > 0 ? e->plan[k].tok0 : e->L;
    e->picked = -1;
    e->accepted = -1;
    e->emitted = 0;
    e->loss = NAN;
    /* cache mode keeps the K/V of positions before this step's rows */
    int kept = (e->mode == MODE_CACHE && k > 0) ? e->plan[k].p0 : 0;
    forward_cache_rewind(e, kept);
    memset(&e->step_counts, 0, sizeof e->step_counts);
    memset(&e->prior, 0, sizeof e->prior);
    memset(&e->traffic, 0, sizeof e->traffic);
    memset(&e->traffic_prior, 0, sizeof e->traffic_prior);
    for (int s = 0; s < k; s++) {
        counts_add(&e->prior, &e->done[s]);
        traffic_add(&e->traffic_prior, &e->traffic_done[s]);
    }
    e->cum = e->prior;
    e->traffic_cum = e->traffic_prior;
    for (int l = 0; l < e->cfg.n_layers; l++) e->kv_rows[l] = e->cache.len;
}

void engine_seek(Engine *e, long target)
{
    const long total = engine_total_ops(e);
    if (target < 0) target = 0;
    if (target > total) target = total;
    if (target < e->pos) {
        /* replay the step that holds operation target-1 from its start; a
         * ring cache has overwritten old rows, so replay from the top */
        rewind_to_step(e, target == 0 ? 0 : (int)((target - 1) / e->ops_per_step));
    }
    /* (the total shrinks once a speculative run's last token is out) */
    while (e->pos < target && e->pos < engine_total_ops(e)) do_op(e);
}

bool engine_next_op(Engine *e)
{
    if (e->pos >= engine_total_ops(e)) return false;
    engine_seek(e, e->pos + 1);
    return true;
}

bool engine_prev_op(Engine *e)
{
    if (e->pos == 0) return false;
    engine_seek(e, e->pos - 1);
    return true;
}

/* A layer stop: just after a layer's last operation, or at a step's end. */
static bool layer_stop(const Engine *e, long pos)
{
    if (pos % e->ops_per_step == 0) return true;
    return engine_op_at(e, (int)((pos - 1) % e->ops_per_step)).kind == OP_FFN;
}

bool engine_next_layer(Engine *e)
{
    const long total = engine_total_ops(e);
    if (e->pos >= total) return false;
    long p = e->pos + 1;
    while (p < total && !layer_stop(e, p)) p++;
    engine_seek(e, p);
    return true;
}

bool engine_prev_layer(Engine *e)
{
    if (e->pos == 0) return false;
    long p = e->pos - 1;
    while (p > 0 && !layer_stop(e, p)) p--;
    engine_seek(e, p);
    return true;
}

bool engine_next_step(Engine *e)
{
    const long total = engine_total_ops(e);
    if (e->pos >= total) return false;
    long p = (e->pos / e->ops_per_step + 1) * e->ops_per_step;
    engine_seek(e, p > total ? total : p);
    return true;
}

bool engine_prev_step(Engine *e)
{
    if (e->pos == 0) return false;
    engine_seek(e, ((e->pos - 1) / e->ops_per_step) * e->ops_per_step);
    return true;
}

void engine_run_to_end(Engine *e)
{
    engine_seek(e, engine_total_ops(e));
}
