/* engine: the forward pass, one operation at a time. See engine.h. */
#include "sim/engine.h"

#include "sim/checked.h"
#include "sim/kernels.h"

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

enum { ENGINE_N_BUFS = 19 };

/* *ok turns false when a count overflows 64 bits (config estimates only). */
static int engine_table(const KvConfig *c, RunMode mode, int n_steps, EngineBuf out[ENGINE_N_BUFS], bool *ok)
{
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
    return bytes_of(&e->cfg, e->mode, e->n_steps, e->own_pool != NULL, &ok);
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
    e->n_steps = mode == MODE_TRAIN ? 1 : G;
    /* embed, the layers, final LN, logits, pick|loss, and append in cache mode */
    e->ops_per_step = op_count(mode, c->n_layers);
    EngineBuf bufs[ENGINE_N_BUFS];
    bool ok = true;
    const int n = engine_table(c, mode, e->n_steps, bufs, &ok);
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
    e->loss = NAN;
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
    const int n = engine_table(&e->cfg, e->mode, e->n_steps, bufs, &ok);
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
    case MODE_CACHE: return e->step == 0 ? PHASE_PREFILL : PHASE_DECODE;
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

/* This step's own K/V row of position pos (pos >= p0) in layer l. */
static float *own_row(const Engine *e, float *base, int l, int pos)
{
    const size_t kv = (size_t)e->cache.kv_dim, N = (size_t)e->cfg.max_seq;
    return base + ((size_t)l * N + (size_t)(pos - e->p0)) * kv;
}

const float *engine_k_row(const Engine *e, int l, int pos)
{
    if (e->pos > 0 && pos >= e->p0 && pos < e->kv_rows[l]) return own_row(e, e->step_k, l, pos);
    if (e->mode == MODE_CACHE && kvcache_has(&e->cache, pos)) return kvcache_k(&e->cache, l, pos);
    return NULL;
}

const float *engine_v_row(const Engine *e, int l, int pos)
{
    if (e->pos > 0 && pos >= e->p0 && pos < e->kv_rows[l]) return own_row(e, e->step_v, l, pos);
    if (e->mode == MODE_CACHE && kvcache_has(&e->cache, pos)) return kvcache_v(&e->cache, l, pos);
    return NULL;
}

/* ---- the operations ------------------------------------------------------ */

static float *att_at(Engine *e, int l, int h, int i)
{
    return (float *)engine_att_row(e, l, h, i);
}

/* Start step k: its geometry, and what is kept from earlier steps. */
static void begin_step(Engine *e, int k)
{
    e->step = k;
    if (e->mode == MODE_CACHE && k > 0) {
        e->n = 1;
        e->t = e->L + k;
    } else {
        e->n = e->mode == MODE_TRAIN ? e->L : e->L + k;
        e->t = e->n;
    }
    e->p0 = e->t - e->n;
    /* a cached decode row reads only the keys its query (position t-1) sees:
     * the ring holds nothing older */
    e->k_lo = (e->mode == MODE_CACHE && k > 0) ? config_first_key(&e->cfg, e->t - 1) : 0;
    e->picked = -1;
    memset(&e->step_counts, 0, sizeof e->step_counts);
    memset(&e->traffic, 0, sizeof e->traffic);
    /* Recompute and train keep nothing: every K/V row is made again. */
    if (e->mode != MODE_CACHE) kvcache_truncate(&e->cache, 0);
    for (int l = 0; l < e->cfg.n_layers; l++) e->kv_rows[l] = e->cache.len;
}

static void op_embed(Engine *e)
{
    const int d = e->cfg.d_model;
    for (int i = 0; i < e->n; i++) {
        const int pos = e->p0 + i;
        const float *te = e->model->tok_emb + (size_t)e->tokens[pos] * d;
        const float *pe = e->model->pos_emb + (size_t)pos * d;
        float *x = e->x + (size_t)i * d;
        for (int j = 0; j < d; j++) x[j] = te[j] + pe[j];
        e->traffic.weight_bytes += 2 * (uint64_t)d * sizeof(float);   /* a token row and a position row */
    }
}

static void op_qkv(Engine *e, int l)
{
    const Model *m = e->model;
    const int d = e->cfg.d_model, kv = e->cache.kv_dim;
    uint64_t *c = &e->step_counts.mac[CAT_QKV], *wb = &e->traffic.weight_bytes;
    /* q: (n, d)    K, V: (n, kv_dim), this step's rows, appended to the
     * cache only at the step's last operation */
    kernel_matmul_bytes(e->q, e->a, m->wq + (size_t)l * d * d, e->n, d, d, c, wb);
    kernel_matmul_bytes(own_row(e, e->step_k, l, e->p0), e->a, m->wk + (size_t)l * d * kv, e->n, d, kv, c, wb);
    kernel_matmul_bytes(own_row(e, e->step_v, l, e->p0), e->a, m->wv + (size_t)l * d * kv, e->n, d, kv, c, wb);
    e->kv_rows[l] = e->t;
}

static void op_scores(Engine *e, int l)
{
    /* S[h][i][j] = q_i,h · k_j,h / sqrt(d_h) for every cell of the n×t
     * block, future cells included: the mask comes after, as in a dense
     * kernel, so its cost shows up in the count. (A windowed decode row
     * computes only its last W columns, k_lo .. t-1.) */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg), d = e->cfg.d_model;
    const float scale = 1.0f / sqrtf((float)dh);
    uint64_t *c = &e->step_counts.mac[CAT_SCORES];
    for (int h = 0; h < H; h++) {
        const int kh = config_kv_head(&e->cfg, h);
        for (int i = 0; i < e->n; i++) {
            float *row = (float *)engine_scores_row(e, l, h, i);
            const float *qi = e->q + (size_t)i * d + (size_t)h * dh;
            /* traffic: a dense kernel loads each key row once for the whole
             * block: count it at its first use (first query row, first query
             * head of the K/V group) — see sim/traffic.h */
            const bool loads = i == 0 && h == kh * config_kv_group(&e->cfg);
            for (int j = 0; j < e->k_lo; j++) row[j] = -INFINITY;
            for (int j = e->k_lo; j < e->t; j++) {
                row[j] = kernel_dot(qi, engine_k_row(e, l, j) + (size_t)kh * dh, dh, c) * scale;
                if (loads) e->traffic.kv_read_bytes += (uint64_t)dh * sizeof(float);
            }
        }
    }
}

static void op_mask(Engine *e, int l)
{
    /* Query row i is position p0+i; config_visible() is the rule (causal,
     * and the sliding window when one is set). */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < e->n; i++) {
            const float *s = engine_scores_row(e, l, h, i);
            float *a = att_at(e, l, h, i);
            const int p = e->p0 + i;
            for (int j = 0; j < e->k_lo; j++) a[j] = -INFINITY;   /* never computed */
            for (int j = e->k_lo; j < e->t; j++) {
                if (!config_visible(&e->cfg, p, j)) {
                    a[j] = -INFINITY;
                    e->step_counts.masked += (uint64_t)dh;  /* products thrown away */
                } else {
                    a[j] = s[j];
                }
            }
        }
}

static void op_softmax(Engine *e, int l)
{
    for (int h = 0; h < e->cfg.n_heads; h++)
        for (int i = 0; i < e->n; i++) kernel_softmax(att_at(e, l, h, i), e->t);
}

static void op_values(Engine *e, int l)
{
    /* O[i, h] = Σ_j A[h][i][j] · v_j,h over the same dense n×t block. */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg), d = e->cfg.d_model;
    uint64_t *c = &e->step_counts.mac[CAT_VALUES];
    memset(e->att_out, 0, sizeof(float) * (size_t)e->n * d);
    for (int h = 0; h < H; h++) {
        const int kh = config_kv_head(&e->cfg, h);
        for (int i = 0; i < e->n; i++) {
            const float *w = engine_att_row(e, l, h, i);
            float *o = e->att_out + (size_t)i * d + (size_t)h * dh;
            const bool loads = i == 0 && h == kh * config_kv_group(&e->cfg);   /* as in op_scores */
            for (int j = e->k_lo; j < e->t; j++) {
                kernel_axpy(o, w[j], engine_v_row(e, l, j) + (size_t)kh * dh, dh, c);
                if (loads) e->traffic.kv_read_bytes += (uint64_t)dh * sizeof(float);
            }
        }
    }
}

static void add_residual(Engine *e)
{
    const size_t len = (size_t)e->n * e->cfg.d_model;
    for (size_t i = 0; i < len; i++) e->x[i] += e->proj[i];
}

static void op_out_proj(Engine *e, int l)
{
    const int d = e->cfg.d_model;
    kernel_matmul_bytes(e->proj, e->att_out, e->model->wo + (size_t)l * d * d, e->n, d, d,
                        &e->step_counts.mac[CAT_OUT_PROJ], &e->traffic.weight_bytes);
    add_residual(e);
}

static void op_ffn(Engine *e, int l)
{
    const int d = e->cfg.d_model, F = e->cfg.d_ff;
    uint64_t *c = &e->step_counts.mac[CAT_FFN], *wb = &e->traffic.weight_bytes;
    kernel_matmul_bytes(e->hidden, e->a, e->model->w1 + (size_t)l * d * F, e->n, d, F, c, wb);
    kernel_gelu(e->hidden, e->n * F);
    kernel_matmul_bytes(e->proj, e->hidden, e->model->w2 + (size_t)l * F * d, e->n, F, d, c, wb);
    add_residual(e);
}

/* Rows that reach the head: the last position, or every position in train. */
static int head_first_row(const Engine *e)
{
    return e->mode == MODE_TRAIN ? 0 : e->n - 1;
}

static void op_ln_final(Engine *e)
{
    const int d = e->cfg.d_model, r0 = head_first_row(e);
    kernel_layernorm(e->xf + (size_t)r0 * d, e->x + (size_t)r0 * d, e->model->lnf_g,
                     e->model->lnf_b, e->n - r0, d);
}

static void op_logits(Engine *e)
{
    const int d = e->cfg.d_model, V = e->cfg.vocab, r0 = head_first_row(e);
    kernel_matmul_bytes(e->logits, e->xf + (size_t)r0 * d, e->model->wout, e->n - r0, d, V,
                        &e->step_counts.mac[CAT_LM_HEAD], &e->traffic.weight_bytes);
}

static void op_pick(Engine *e)
{
    e->picked = kernel_argmax(e->logits, e->cfg.vocab);
    e->tokens[e->L + e->step] = e->picked;
    e->n_tokens = e->L + e->step + 1;
}

/* Commit this step's K/V rows: to the cache, and to the paged mirror. */
static void op_append(Engine *e)
{
    /* the first position kept after this step: t - W under a full ring.
     * A ring stores only the rows it keeps (a prefill longer than W would
     * overwrite its own first rows), so only those are written and counted. */
    const int keep = e->t > e->cache.capacity ? e->t - e->cache.capacity : 0;
    const uint64_t row_bytes = (uint64_t)e->cache.kv_dim * sizeof(float);
    for (int l = 0; l < e->cfg.n_layers; l++)
        for (int pos = keep > e->p0 ? keep : e->p0; pos < e->t; pos++) {
            kvcache_put(&e->cache, l, pos, 1, own_row(e, e->step_k, l, pos), own_row(e, e->step_v, l, pos));
            e->traffic.kv_write_bytes += 2 * row_bytes;   /* its K row and its V row */
        }
    kvcache_commit(&e->cache, e->t);
    if (e->hist_k)   /* every row the step made, for a rewind to refill the ring */
        for (int l = 0; l < e->cfg.n_layers; l++) {
            const size_t at = ((size_t)l * (size_t)e->cfg.max_seq + (size_t)e->p0) * (size_t)e->cache.kv_dim;
            const size_t len = (size_t)e->n * (size_t)e->cache.kv_dim * sizeof(float);
            memcpy(e->hist_k + at, own_row(e, e->step_k, l, e->p0), len);
            memcpy(e->hist_v + at, own_row(e, e->step_v, l, e->p0), len);
        }
    if (e->pool) {
        /* free blocks that left the window first, so this step can reuse them */
        paged_seq_release_before(e->pool, e->pool_seq, keep);
        const size_t stride = (size_t)e->cfg.max_seq * (size_t)e->cache.kv_dim;
        if (paged_seq_append(e->pool, e->pool_seq, e->p0, e->n, own_row(e, e->step_k, 0, e->p0),
                             own_row(e, e->step_v, 0, e->p0), stride))
            e->pool_overflow = true;
    }
}

static void op_loss(Engine *e)
{
    /* Teacher forcing: position i predicts prompt token i+1. */
    const int V = e->cfg.vocab;
    double sum = 0.0;
    for (int i = 0; i + 1 < e->L; i++) {
        const float *z = e->logits + (size_t)i * V;
        float mx = z[kernel_argmax(z, V)];
        double se = 0.0;
        for (int j = 0; j < V; j++) se += exp((double)(z[j] - mx));
        sum += log(se) - (double)(z[e->tokens[i + 1]] - mx);
    }
    e->loss = e->L >= 2 ? sum / (e->L - 1) : NAN;
    /* the prediction after the last prompt token, shown like a picked token */
    e->picked = kernel_argmax(e->logits + (size_t)(e->L - 1) * V, V);
}

static void do_op(Engine *e)
{
    const int index = (int)(e->pos % e->ops_per_step);
    if (index == 0) begin_step(e, (int)(e->pos / e->ops_per_step));
    const OpRef op = engine_op_at(e, index);
    const int l = op.layer;
    const Model *m = e->model;
    const int d = e->cfg.d_model;
    switch (op.kind) {
    case OP_EMBED: op_embed(e); break;
    case OP_LN1:
        kernel_layernorm(e->a, e->x, m->ln1_g + (size_t)l * d, m->ln1_b + (size_t)l * d, e->n, d);
        break;
    case OP_QKV: op_qkv(e, l); break;
    case OP_SCORES: op_scores(e, l); break;
    case OP_MASK: op_mask(e, l); break;
    case OP_SOFTMAX: op_softmax(e, l); break;
    case OP_VALUES: op_values(e, l); break;
    case OP_OUT_PROJ: op_out_proj(e, l); break;
    case OP_LN2:
        kernel_layernorm(e->a, e->x, m->ln2_g + (size_t)l * d, m->ln2_b + (size_t)l * d, e->n, d);
        break;
    case OP_FFN: op_ffn(e, l); break;
    case OP_LN_FINAL: op_ln_final(e); break;
    case OP_LOGITS: op_logits(e); break;
    case OP_PICK: op_pick(e); break;
    case OP_APPEND: op_append(e); break;
    case OP_LOSS: op_loss(e); break;
    default: break;
    }
    e->pos++;
    e->ops_run++;
    e->cum = e->prior;
    counts_add(&e->cum, &e->step_counts);
    e->traffic_cum = e->traffic_prior;
    traffic_add(&e->traffic_cum, &e->traffic);
    if (index == e->ops_per_step - 1) {
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
    e->n_tokens = e->L + k;
    e->picked = -1;
    e->loss = NAN;
    /* cache mode keeps the K/V of positions before this step's rows */
    int kept = (e->mode == MODE_CACHE && k > 0) ? e->L + k - 1 : 0;
    kvcache_truncate(&e->cache, kept);
    if (e->pool) paged_seq_truncate(e->pool, e->pool_seq, kept);
    if (e->hist_k && kept > 0) {
        /* a ring overwrote rows the step-k state still held: put back the
         * last `capacity` positions before it, in the ring and the mirror */
        const int lo = kept > e->cache.capacity ? kept - e->cache.capacity : 0;
        const size_t stride = (size_t)e->cfg.max_seq * (size_t)e->cache.kv_dim;
        for (int l = 0; l < e->cfg.n_layers; l++)
            kvcache_put(&e->cache, l, lo, kept - lo, e->hist_k + l * stride + (size_t)lo * e->cache.kv_dim,
                        e->hist_v + l * stride + (size_t)lo * e->cache.kv_dim);
        if (e->pool) {
            paged_seq_end(e->pool, e->pool_seq);
            paged_seq_release_before(e->pool, e->pool_seq, lo);
            if (paged_seq_append(e->pool, e->pool_seq, 0, kept, e->hist_k, e->hist_v, stride))
                e->pool_overflow = true;
        }
    }
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
    while (e->pos < target) do_op(e);
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
