/* engine: the forward pass, one operation at a time. See engine.h. */
#include "sim/engine.h"

#include "sim/kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPS_PER_LAYER = 9 };   /* LN1 .. FFN */

static const char *const op_names[OP_KIND_COUNT] = {
    "embed", "LN1", "Q/K/V", "QK\u1d40", "mask", "softmax", "\u00b7V",
    "out proj", "LN2", "FFN", "final LN", "logits", "pick token", "cache append", "loss",
};

const char *engine_op_name(OpKind k)
{
    return (k >= 0 && k < OP_KIND_COUNT) ? op_names[k] : "";
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

int engine_init(Engine *e, const Model *m, RunMode mode, const int *prompt, int L, int G,
                char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    const KvConfig *c = &m->cfg;
    const size_t N = (size_t)c->max_seq, d = (size_t)c->d_model;
    const size_t att_cells = (size_t)c->n_layers * (size_t)c->n_heads * N * N;
    e->model = m;
    e->cfg = *c;
    e->mode = mode;
    e->L = L;
    e->n_steps = mode == MODE_TRAIN ? 1 : G;
    /* embed, the layers, final LN, logits, pick|loss, and append in cache mode */
    e->ops_per_step = 1 + OPS_PER_LAYER * c->n_layers + 3 + (mode == MODE_CACHE ? 1 : 0);
    e->tokens = calloc(N, sizeof(int));
    e->x = calloc(N * d, sizeof(float));
    e->a = calloc(N * d, sizeof(float));
    e->q = calloc(N * d, sizeof(float));
    e->att_out = calloc(N * d, sizeof(float));
    e->proj = calloc(N * d, sizeof(float));
    e->hidden = calloc(N * (size_t)c->d_ff, sizeof(float));
    e->xf = calloc(N * d, sizeof(float));
    e->logits = calloc(N * (size_t)c->vocab, sizeof(float));
    e->scores = calloc(att_cells, sizeof(float));
    e->att = calloc(att_cells, sizeof(float));
    const size_t kv_cells = (size_t)c->n_layers * N * (size_t)config_kv_dim(c);
    e->step_k = calloc(kv_cells, sizeof(float));
    e->step_v = calloc(kv_cells, sizeof(float));
    e->kv_rows = calloc((size_t)c->n_layers, sizeof(int));
    e->done = calloc((size_t)e->n_steps, sizeof(OpCounts));
    e->traffic_done = calloc((size_t)e->n_steps, sizeof(Traffic));
    int cache_ok = kvcache_init(&e->cache, c->n_layers, c->max_seq, c->window, config_kv_dim(c));
    if (mode == MODE_CACHE && c->block_size > 0 && cache_ok == 0) {
        /* the paged mirror: enough blocks for this sequence at max_seq */
        e->own_pool = calloc(1, sizeof(PagedPool));
        if (!e->own_pool || paged_init(e->own_pool, c->n_layers, config_kv_dim(c), c->block_size,
                                       paged_blocks_for(c->block_size, 1, c->max_seq), 1, c->max_seq)) {
            free(e->own_pool);   /* paged_init leaves nothing to free on failure */
            e->own_pool = NULL;
            cache_ok = -1;
        }
        e->pool = e->own_pool;
    }
    if (cache_ok != 0 || !e->traffic_done || !e->tokens || !e->x || !e->a || !e->q || !e->att_out || !e->proj ||
        !e->hidden || !e->xf || !e->logits || !e->scores || !e->att || !e->kv_rows || !e->done ||
        !e->step_k || !e->step_v) {
        engine_free(e);
        snprintf(err, errlen, "out of memory setting up the %s engine", config_mode_name(mode));
        return -1;
    }
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
    free(e->tokens); free(e->x); free(e->a); free(e->q); free(e->att_out);
    free(e->proj); free(e->hidden); free(e->xf); free(e->logits);
    free(e->scores); free(e->att); free(e->kv_rows); free(e->done);
    free(e->step_k); free(e->step_v); free(e->traffic_done);
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
    OpRef r = {OP_KIND_COUNT, -1};
    if (index < 0 || index >= e->ops_per_step) return r;
    if (index == 0) { r.kind = OP_EMBED; return r; }
    index -= 1;
    if (index < OPS_PER_LAYER * e->cfg.n_layers) {
        r.kind = (OpKind)(OP_LN1 + index % OPS_PER_LAYER);
        r.layer = index / OPS_PER_LAYER;
        return r;
    }
    index -= OPS_PER_LAYER * e->cfg.n_layers;
    static const OpKind tail_cache[] = {OP_LN_FINAL, OP_LOGITS, OP_PICK, OP_APPEND};
    static const OpKind tail_train[] = {OP_LN_FINAL, OP_LOGITS, OP_LOSS};
    r.kind = e->mode == MODE_TRAIN ? tail_train[index] : tail_cache[index];
    return r;
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
    /* a cached decode row under a window only reads the last W positions */
    const int W = e->cfg.window;
    e->k_lo = (e->mode == MODE_CACHE && k > 0 && W > 0 && e->t > W) ? e->t - W : 0;
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
    kernel_matmul_packed(e->q, e->a, m->pq + l * m->p_layer, e->n, d, d, c, wb);
    kernel_matmul_packed(own_row(e, e->step_k, l, e->p0), e->a, m->pk + l * m->p_layer, e->n, d, kv, c, wb);
    kernel_matmul_packed(own_row(e, e->step_v, l, e->p0), e->a, m->pv + l * m->p_layer, e->n, d, kv, c, wb);
    e->kv_rows[l] = e->t;
}

static void op_scores(Engine *e, int l)
{
    /* S[h][i][j] = q_i,h · k_j,h / sqrt(d_h) for every cell of the n×t
     * block, future cells included: the mask comes after, as in a dense
     * kernel, so its cost shows up in the count. (A windowed decode row
     * computes only its last W columns, k_lo .. t-1.) Each key row is read
     * once per query row for all heads, front to back; query head h reads
     * K/V head h / (H / Hkv) (§6.2). */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg), d = e->cfg.d_model;
    const int group = H / e->cfg.n_kv_heads;
    const float scale = 1.0f / sqrtf((float)dh);
    const size_t head_stride = (size_t)e->cfg.max_seq * (size_t)e->cfg.max_seq;   /* scores (.., H, N, N) */
    uint64_t *c = &e->step_counts.mac[CAT_SCORES];
    for (int i = 0; i < e->n; i++) {
        float *row0 = (float *)engine_scores_row(e, l, 0, i);
        const float *qi = e->q + (size_t)i * d;
        for (int j = e->k_lo; j < e->t; j++) {
            kernel_dot_heads(row0 + j, head_stride, qi, engine_k_row(e, l, j), H, group, dh, c);
            /* traffic: a dense kernel loads each key row once for the whole
             * block: count it at its first use (the first query row), one
             * head slice per K/V head — see sim/traffic.h */
            if (i == 0) e->traffic.kv_read_bytes += (uint64_t)e->cache.kv_dim * sizeof(float);
        }
        for (int h = 0; h < H; h++) {
            float *row = row0 + (size_t)h * head_stride;
            for (int j = 0; j < e->k_lo; j++) row[j] = -INFINITY;
            for (int j = e->k_lo; j < e->t; j++) row[j] *= scale;
        }
    }
}

static void op_mask(Engine *e, int l)
{
    /* Query row i is position p0+i; keys after it are the future, and
     * with a window W keys before p0+i-W+1 are out of reach. */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg), W = e->cfg.window;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < e->n; i++) {
            const float *s = engine_scores_row(e, l, h, i);
            float *a = att_at(e, l, h, i);
            const int p = e->p0 + i;
            for (int j = 0; j < e->k_lo; j++) a[j] = -INFINITY;   /* never computed */
            for (int j = e->k_lo; j < e->t; j++) {
                if (j > p || (W > 0 && j < p - W + 1)) {
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
    /* O[i, h] = Σ_j A[h][i][j] · v_j,h over the same dense n×t block,
     * each output summed in j order; each value row read once per query
     * row for all heads. */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg), d = e->cfg.d_model;
    const int group = H / e->cfg.n_kv_heads;
    const size_t head_stride = (size_t)e->cfg.max_seq * (size_t)e->cfg.max_seq;   /* att (.., H, N, N) */
    uint64_t *c = &e->step_counts.mac[CAT_VALUES];
    memset(e->att_out, 0, sizeof(float) * (size_t)e->n * d);
    for (int i = 0; i < e->n; i++) {
        const float *w0 = engine_att_row(e, l, 0, i);
        float *o = e->att_out + (size_t)i * d;
        for (int j = e->k_lo; j < e->t; j++) {
            kernel_axpy_heads(o, w0 + j, head_stride, engine_v_row(e, l, j), H, group, dh, c);
            if (i == 0) e->traffic.kv_read_bytes += (uint64_t)e->cache.kv_dim * sizeof(float);   /* as in op_scores */
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
    kernel_matmul_packed(e->proj, e->att_out, e->model->po + l * e->model->p_layer, e->n, d, d,
                        &e->step_counts.mac[CAT_OUT_PROJ], &e->traffic.weight_bytes);
    add_residual(e);
}

static void op_ffn(Engine *e, int l)
{
    const int d = e->cfg.d_model, F = e->cfg.d_ff;
    uint64_t *c = &e->step_counts.mac[CAT_FFN], *wb = &e->traffic.weight_bytes;
    kernel_matmul_packed(e->hidden, e->a, e->model->p1 + l * e->model->p_layer, e->n, d, F, c, wb);
    kernel_gelu(e->hidden, e->n * F);
    kernel_matmul_packed(e->proj, e->hidden, e->model->p2 + l * e->model->p_layer, e->n, F, d, c, wb);
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
    kernel_matmul_packed(e->logits, e->xf + (size_t)r0 * d, e->model->pout, e->n - r0, d, V,
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
        int k = target == 0 ? 0 : (int)((target - 1) / e->ops_per_step);
        rewind_to_step(e, e->cache.window ? 0 : k);
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
