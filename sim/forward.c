/* forward: the forward pass of the tiny transformer, one operation at a
 * time, and the one place attention reads the KV cache and a step writes
 * it. The step machine around it (setup, cursor, replay) is engine.c; the
 * buffers it reads and writes are described in engine.h. See forward.h.
 */
#include "sim/forward.h"

#include "sim/kernels.h"
#include "sim/kmath.h"
#include "sim/rope.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* ---- the cache: the one place attention reads it and a step writes it ---- */

/* The K and V rows of layer l from position pos on, as attention reads
 * them: the longest run (below end) that lies one row after another in
 * memory, kv_dim floats apart. This step's own rows are one run; the
 * cache's rows before them are another, which a ring splits where it
 * wraps. *k and *v get the run's first rows; returns its length (≥ 1).
 * Traffic: a dense kernel loads each row once for the whole n×t block, so
 * its bytes count at its first use (first: the first query row) —
 * sim/traffic.h. */
static int load_kv_run(Engine *e, int l, int pos, int end, bool first, const float **k, const float **v)
{
    int stop = end;
    if (e->pos > 0 && pos >= e->p0 && pos < e->kv_rows[l]) {
        *k = forward_own_row(e, e->step_k, l, pos);
        *v = forward_own_row(e, e->step_v, l, pos);
        if (stop > e->kv_rows[l]) stop = e->kv_rows[l];
    } else {
        *k = engine_k_row(e, l, pos);
        *v = engine_v_row(e, l, pos);
        if (e->pos > 0 && pos < e->p0 && stop > e->p0) stop = e->p0;
        if (stop > e->cache.len) stop = e->cache.len;
        const int to_wrap = e->cache.capacity - kvcache_slot(&e->cache, pos);
        if (stop - pos > to_wrap) stop = pos + to_wrap;
    }
    if (first) e->traffic.kv_read_bytes += (uint64_t)(stop - pos) * (uint64_t)e->cache.kv_dim * sizeof(float);
    return stop - pos;
}

/* ---- prefix sharing (§6.8) ------------------------------------------------
 * A sequence whose prompt starts with an earlier one's full blocks does not
 * compute those rows: at Q/K/V its prefill takes the donor's K/V rows of
 * positions 0 .. shared_rows-1 for that layer (the donor ran the same
 * operation first, in the run's order), and at the append its block table
 * points at the donor's blocks instead of taking new ones. */

/* Whether this step is a prefill that starts after shared rows. */
static bool prefix_step(const Engine *e)
{
    return e->shared_rows > 0 && e->mode == MODE_CACHE && e->step == 0;
}

/* Layer l's shared rows, from the donor, into this engine's cache (and
 * its history, for a rewind). Under a window only the rows this prefill
 * reads, k_lo .. shared_rows-1: the donor holds no older ones (paged.h). */
static void prefix_fill_layer(Engine *e, int l)
{
    const size_t row = sizeof(float) * (size_t)e->cache.kv_dim;
    for (int pos = e->k_lo; pos < e->shared_rows; pos++) {
        const float *k = engine_k_row(e->prefix_src, l, pos), *v = engine_v_row(e->prefix_src, l, pos);
        kvcache_put(&e->cache, l, pos, 1, k, v);
        if (e->hist_k) {
            const size_t at = ((size_t)l * (size_t)e->cfg.max_seq + (size_t)pos) * (size_t)e->cache.kv_dim;
            memcpy(e->hist_k + at, k, row);
            memcpy(e->hist_v + at, v, row);
        }
    }
    if (e->cache.len < e->shared_rows) kvcache_commit(&e->cache, e->shared_rows);
}

/* The pool: this sequence's first blocks are the donor's. */
static void prefix_attach(Engine *e)
{
    if (e->pool && paged_seq_share(e->pool, e->pool_seq, e->prefix_src->pool_seq, e->shared_rows))
        e->pool_overflow = true;   /* the donor does not hold them: a caller's ordering bug */
}

/* ---- rotary positions (§6.10) ----------------------------------------------
 * Layer l's q rows and this step's K rows turn by their positions right
 * after the projections; the cache then keeps turned keys. The teaching
 * bug (--rope-offset-bug) forgets the step's offset p0: a decode step
 * turns its one row as if it were position 0, so its query and key no
 * longer fit the keys the cache holds (a prefill and recompute start at
 * p0 = 0 and are unaffected). */
static void rope_layer(Engine *e, int l)
{
    const int dh = config_head_dim(&e->cfg), kv = e->cache.kv_dim;
    const int pos0 = e->cfg.rope_offset_bug ? 0 : e->p0;
    float *k = forward_own_row(e, e->step_k, l, e->p0);
    if (e->k_raw) memcpy(forward_own_row(e, e->k_raw, l, e->p0), k, sizeof(float) * (size_t)e->n * (size_t)kv);
    rope_rotate(e->q, e->n, e->cfg.d_model, e->cfg.n_heads, dh, pos0, &e->step_counts.rope);
    rope_rotate(k, e->n, kv, e->cfg.n_kv_heads, dh, pos0, &e->step_counts.rope);
}

/* Write this step's K/V rows p0 .. t-1: into the cache (a ring keeps the
 * last W), its history, and the paged mirror. */
static void cache_store(Engine *e)
{
    /* the first position kept after this step: t - W under a full ring.
     * A ring stores only the rows it keeps (a prefill longer than W would
     * overwrite its own first rows), so only those are written and counted. */
    const int keep = e->t > e->cache.capacity ? e->t - e->cache.capacity : 0;
    const uint64_t row_bytes = (uint64_t)e->cache.kv_dim * sizeof(float);
    for (int l = 0; l < e->cfg.n_layers; l++)
        for (int pos = keep > e->p0 ? keep : e->p0; pos < e->t; pos++) {
            kvcache_put(&e->cache, l, pos, 1, forward_own_row(e, e->step_k, l, pos), forward_own_row(e, e->step_v, l, pos));
            e->traffic.kv_write_bytes += 2 * row_bytes;   /* its K row and its V row */
        }
    kvcache_commit(&e->cache, e->t);
    if (e->hist_k)   /* every row the step made, for a rewind to refill the ring */
        for (int l = 0; l < e->cfg.n_layers; l++) {
            const size_t at = ((size_t)l * (size_t)e->cfg.max_seq + (size_t)e->p0) * (size_t)e->cache.kv_dim;
            const size_t len = (size_t)e->n * (size_t)e->cache.kv_dim * sizeof(float);
            memcpy(e->hist_k + at, forward_own_row(e, e->step_k, l, e->p0), len);
            memcpy(e->hist_v + at, forward_own_row(e, e->step_v, l, e->p0), len);
        }
    if (e->pool) {
        /* free blocks that left the window first, so this step can reuse them */
        paged_seq_release_before(e->pool, e->pool_seq, keep);
        const size_t stride = (size_t)e->cfg.max_seq * (size_t)e->cache.kv_dim;
        if (prefix_step(e)) prefix_attach(e);
        if (paged_seq_append(e->pool, e->pool_seq, e->p0, e->n, forward_own_row(e, e->step_k, 0, e->p0),
                             forward_own_row(e, e->step_v, 0, e->p0), stride))
            e->pool_overflow = true;
    }
}

/* Back to holding positions 0 .. kept-1 (what step k started from): a
 * truncation, and under a window the ring's overwritten rows put back from
 * the history, in the cache and the mirror. */
void forward_cache_rewind(Engine *e, int kept)
{
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
}

/* ---- the operations ------------------------------------------------------ */

static float *att_at(Engine *e, int l, int h, int i)
{
    return (float *)engine_att_row(e, l, h, i);
}

/* Start step k: its geometry, and what is kept from earlier steps.
 *   cache, prefill chunk k < n_chunks (§6.7; one chunk without --chunk):
 *     rows s + k·C .. min(s + (k+1)·C, L) - 1 after s shared rows (§6.8)
 *   cache, decode: the last token emitted (position T-1 of T held) and,
 *     with --speculate K, the drafts after it (§6.9): n = 1 + drafted
 *   recompute: every position again; train: the prompt. */
void forward_begin_step(Engine *e, int k)
{
    e->step = k;
    e->drafted = 0;
    e->accepted = -1;
    e->emitted = 0;
    if (e->mode == MODE_CACHE && k < e->n_chunks) {
        /* §6.8: a prefill starts after the shared rows; §6.7: in chunks of C */
        const int s = e->shared_rows, C = e->cfg.chunk > 0 ? e->cfg.chunk : e->L - s;
        e->p0 = s + k * C;
        e->n = e->L - e->p0 < C ? e->L - e->p0 : C;
    } else if (e->mode == MODE_CACHE) {
        const int T = e->n_tokens;
        e->p0 = T - 1;
        if (e->draft) {
            /* never draft past the run's last token: at most G - emitted - 1 */
            const int left = e->L + e->G - T - 1, K = e->cfg.speculate;
            e->drafted = engine_lookup_draft(e->tokens, T, K < left ? K : left, e->draft);
            memcpy(e->tokens + T, e->draft, sizeof(int) * (size_t)e->drafted);   /* embedded as rows 1.. */
        }
        e->n = 1 + e->drafted;
    } else {
        e->n = e->mode == MODE_TRAIN ? e->L : e->L + k;
        e->p0 = 0;
    }
    e->t = e->p0 + e->n;
    /* cached rows read only the keys their first query sees: a ring of W
     * holds nothing older (a decode row: its last min(t, W) keys) */
    e->k_lo = e->mode == MODE_CACHE ? config_first_key(&e->cfg, e->p0) : 0;
    e->plan[k] = (StepPlan){.p0 = e->p0, .n = e->n, .tok0 = e->n_tokens, .drafted = e->drafted,
                            .accepted = -1, .emitted = 0};
    e->picked = -1;
    memset(&e->step_counts, 0, sizeof e->step_counts);
    memset(&e->traffic, 0, sizeof e->traffic);
    /* Recompute and train keep nothing: every K/V row is made again. */
    if (e->mode != MODE_CACHE) kvcache_truncate(&e->cache, 0);
    for (int l = 0; l < e->cfg.n_layers; l++) e->kv_rows[l] = e->cache.len;
}

static void op_embed(Engine *e, int l)
{
    (void)l;
    const int d = e->cfg.d_model;
    for (int i = 0; i < e->n; i++) {
        const int pos = e->p0 + i;
        const float *te = e->model->tok_emb + (size_t)e->tokens[pos] * d;
        float *x = e->x + (size_t)i * d;
        if (e->cfg.rope) {   /* §6.10: positions enter later, as rotations of q and k */
            for (int j = 0; j < d; j++) x[j] = te[j];
            e->traffic.weight_bytes += (uint64_t)d * sizeof(float);
            continue;
        }
        const float *pe = e->model->pos_emb + (size_t)pos * d;
        for (int j = 0; j < d; j++) x[j] = te[j] + pe[j];
        e->traffic.weight_bytes += 2 * (uint64_t)d * sizeof(float);   /* a token row and a position row */
    }
}

/* a = LayerNorm(x) with layer l's first (ln1) or second (ln2) gain and bias */
static void op_ln1(Engine *e, int l)
{
    const int d = e->cfg.d_model;
    kernel_layernorm(e->a, e->x, e->model->ln1_g + (size_t)l * d, e->model->ln1_b + (size_t)l * d, e->n, d);
}

static void op_ln2(Engine *e, int l)
{
    const int d = e->cfg.d_model;
    kernel_layernorm(e->a, e->x, e->model->ln2_g + (size_t)l * d, e->model->ln2_b + (size_t)l * d, e->n, d);
}

static void op_qkv(Engine *e, int l)
{
    const Model *m = e->model;
    const int d = e->cfg.d_model, kv = e->cache.kv_dim;
    uint64_t *c = &e->step_counts.mac[CAT_QKV], *wb = &e->traffic.weight_bytes;
    /* q: (n, d)    K, V: (n, kv_dim), this step's rows, appended to the
     * cache only at the step's last operation */
    kernel_matmul_packed(e->q, e->a, m->pq + l * m->p_layer, e->n, d, d, c, wb);
    kernel_matmul_packed(forward_own_row(e, e->step_k, l, e->p0), e->a, m->pk + l * m->p_layer, e->n, d, kv, c, wb);
    kernel_matmul_packed(forward_own_row(e, e->step_v, l, e->p0), e->a, m->pv + l * m->p_layer, e->n, d, kv, c, wb);
    if (e->cfg.rope) rope_layer(e, l);
    if (prefix_step(e)) prefix_fill_layer(e, l);
    e->kv_rows[l] = e->t;
}

static void op_scores(Engine *e, int l)
{
    /* S[h][i][j] = q_i,h · k_j,h / sqrt(d_h) for every cell of the n×t
     * block, future cells included: the mask comes after, as in a dense
     * kernel, so its cost shows up in the count. (A windowed decode row
     * computes only its last W columns, k_lo .. t-1.) The key rows come in
     * runs of consecutive rows (load_kv_run), each row read once per query
     * row for all heads, front to back; query head h reads K/V head
     * config_kv_head(h) (§6.2). */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg), d = e->cfg.d_model;
    const int group = config_kv_group(&e->cfg);
    const float scale = 1.0f / sqrtf((float)dh);
    const size_t head_stride = (size_t)e->cfg.max_seq * (size_t)e->cfg.max_seq;   /* scores (.., H, N, N) */
    uint64_t *c = &e->step_counts.mac[CAT_SCORES];
    for (int i = 0; i < e->n; i++) {
        float *row0 = (float *)engine_scores_row(e, l, 0, i);
        const float *qi = e->q + (size_t)i * d;
        for (int j = e->k_lo, run; j < e->t; j += run) {
            const float *k, *v;
            run = load_kv_run(e, l, j, e->t, i == 0, &k, &v);
            kernel_dot_heads(row0 + j, head_stride, qi, k, (size_t)e->cache.kv_dim, run, H, group, dh, scale, c);
        }
        for (int h = 0; h < H; h++)
            for (int j = 0; j < e->k_lo; j++) row0[(size_t)h * head_stride + (size_t)j] = -INFINITY;
    }
}

static void op_mask(Engine *e, int l)
{
    /* Query row i is position p0+i. config_visible() is the rule (causal,
     * and the sliding window when one is set): it sees the keys
     * config_first_key(p) .. p, one run, so the row is a copy of that run
     * with −∞ on either side. Cells before k_lo were never computed; the
     * other −∞ cells are products thrown away, counted in `masked`. */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg);
    for (int i = 0; i < e->n; i++) {
        const int p = e->p0 + i, first = config_first_key(&e->cfg, p);
        const int lo = first > e->k_lo ? first : e->k_lo, hi = p + 1 < e->t ? p + 1 : e->t;
        const int seen = hi > lo ? hi - lo : 0;   /* visible cells: lo .. hi-1 */
        for (int h = 0; h < H; h++) {
            const float *s = engine_scores_row(e, l, h, i);
            float *a = att_at(e, l, h, i);
            for (int j = 0; j < e->t; j++) a[j] = -INFINITY;
            if (seen) memcpy(a + lo, s + lo, sizeof(float) * (size_t)seen);
            e->step_counts.masked += (uint64_t)dh * (uint64_t)(e->t - e->k_lo - seen);
        }
    }
}

static void op_softmax(Engine *e, int l)
{
    for (int h = 0; h < e->cfg.n_heads; h++)
        for (int i = 0; i < e->n; i++) kmath_softmax(att_at(e, l, h, i), e->t);
}

static void op_values(Engine *e, int l)
{
    /* O[i, h] = Σ_j A[h][i][j] · v_j,h over the same dense n×t block,
     * each output summed in j order; each value row read once per query
     * row for all heads. */
    const int H = e->cfg.n_heads, dh = config_head_dim(&e->cfg), d = e->cfg.d_model;
    const int group = config_kv_group(&e->cfg);
    const size_t head_stride = (size_t)e->cfg.max_seq * (size_t)e->cfg.max_seq;   /* att (.., H, N, N) */
    uint64_t *c = &e->step_counts.mac[CAT_VALUES];
    memset(e->att_out, 0, sizeof(float) * (size_t)e->n * d);
    for (int i = 0; i < e->n; i++) {
        const float *w0 = engine_att_row(e, l, 0, i);
        float *o = e->att_out + (size_t)i * d;
        for (int j = e->k_lo, run; j < e->t; j += run) {
            const float *k, *v;
            run = load_kv_run(e, l, j, e->t, i == 0, &k, &v);
            kernel_axpy_heads(o, w0 + j, head_stride, v, (size_t)e->cache.kv_dim, run, H, group, dh, c);
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
    kmath_gelu(e->hidden, e->n * F);
    kernel_matmul_packed(e->proj, e->hidden, e->model->p2 + l * e->model->p_layer, e->n, F, d, c, wb);
    add_residual(e);
}

/* Rows that reach the head: the last position; every position in train;
 * the last token and every draft in a verify step (§6.9); none in a chunk
 * before the last (§6.7). Logits row i is row r0 + i. */
static int head_first_row(const Engine *e)
{
    if (e->mode == MODE_TRAIN) return 0;
    if (e->mode == MODE_CACHE && e->step < e->n_chunks - 1) return e->n;
    return e->n - 1 - e->drafted;
}

static void op_ln_final(Engine *e, int l)
{
    (void)l;
    const int d = e->cfg.d_model, r0 = head_first_row(e);
    if (r0 == e->n) return;   /* an early chunk has no head */
    kernel_layernorm(e->xf + (size_t)r0 * d, e->x + (size_t)r0 * d, e->model->lnf_g,
                     e->model->lnf_b, e->n - r0, d);
}

static void op_logits(Engine *e, int l)
{
    (void)l;
    const int d = e->cfg.d_model, V = e->cfg.vocab, r0 = head_first_row(e);
    if (r0 == e->n) return;
    kernel_matmul_packed(e->logits, e->xf + (size_t)r0 * d, e->model->pout, e->n - r0, d, V,
                        &e->step_counts.mac[CAT_LM_HEAD], &e->traffic.weight_bytes);
}

/* The greedy token of logits row 0 (the one token of a plain step). A
 * verify step (§6.9) accepts drafts while each equals the greedy token of
 * the row before it, then emits the greedy token of the first row that
 * disagreed (or of the last row): 1 + accepted tokens, each the token plain
 * decoding emits there. An early chunk emits nothing. */
static void op_pick(Engine *e, int l)
{
    (void)l;
    if (head_first_row(e) == e->n) return;
    const int V = e->cfg.vocab, T = e->n_tokens;
    int a = 0, g = kernel_argmax(e->logits, V);
    while (a < e->drafted && g == e->draft[a]) {
        a++;
        g = kernel_argmax(e->logits + (size_t)a * V, V);
    }
    /* tokens[T .. T+a-1] already hold the accepted drafts */
    e->tokens[T + a] = g;
    e->n_tokens = T + a + 1;
    e->picked = g;
    e->accepted = a;
    e->emitted = a + 1;
    e->plan[e->step].accepted = a;
    e->plan[e->step].emitted = a + 1;
}

/* Commit this step's K/V rows (cache mode's last operation); a verify step
 * then rolls the rows of its rejected drafts back (§6.9): the cache, a
 * ring's overwritten rows and the paged mirror, as a rewind does. */
static void op_append(Engine *e, int l)
{
    (void)l;
    cache_store(e);
    if (e->accepted >= 0 && e->accepted < e->drafted) forward_cache_rewind(e, e->p0 + 1 + e->accepted);
}

static void op_loss(Engine *e, int l)
{
    (void)l;
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

/* ---- the forward pass ----------------------------------------------------
 *
 * One operation per call, in the order of the op table (sim/ops.h):
 *
 *   x = tok_emb[token] + pos_emb[pos]              op_embed (--rope: tok_emb only)
 *   for each layer l:
 *       a = LN1_l(x)                               op_ln1
 *       q, k, v = a·Wq, a·Wk, a·Wv                 op_qkv (--rope: then q, k turned, rope_layer)
 *       s = q·kᵀ / sqrt(dh)   (k: load_kv_run)     op_scores
 *       s = −inf where the rule says no            op_mask (config_visible)
 *       A = softmax(s)                             op_softmax
 *       o = A·v               (v: load_kv_run)     op_values
 *       x += o·Wo                                  op_out_proj
 *       a = LN2_l(x)                               op_ln2
 *       x += GELU(a·W1)·W2                         op_ffn
 *   xf = LN_f(x);  logits = xf·Wout                op_ln_final, op_logits
 *   pick the argmax, and commit k, v (cache_store) op_pick, op_append
 *   or, training: the loss                         op_loss
 */
typedef void (*OpFn)(Engine *e, int layer);
static const OpFn forward[OP_KIND_COUNT] = {
    [OP_EMBED] = op_embed,       [OP_LN1] = op_ln1,         [OP_QKV] = op_qkv,
    [OP_SCORES] = op_scores,     [OP_MASK] = op_mask,       [OP_SOFTMAX] = op_softmax,
    [OP_VALUES] = op_values,     [OP_OUT_PROJ] = op_out_proj, [OP_LN2] = op_ln2,
    [OP_FFN] = op_ffn,           [OP_LN_FINAL] = op_ln_final, [OP_LOGITS] = op_logits,
    [OP_PICK] = op_pick,         [OP_APPEND] = op_append,   [OP_LOSS] = op_loss,
};

void forward_op(Engine *e, OpRef op)
{
    forward[op.kind](e, op.layer);
}
