/* model: weights from the seeded PRNG. See model.h. */
#include "sim/model.h"

#include "sim/kernels.h"
#include "sim/rng.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Fill count values uniformly in [-scale, scale). */
static void fill_uniform(float *w, size_t count, float scale, Rng *r)
{
    for (size_t i = 0; i < count; i++) w[i] = rng_uniform(r) * scale;
}

static void fill_const(float *w, size_t count, float v)
{
    for (size_t i = 0; i < count; i++) w[i] = v;
}

static int model_pack(Model *m);
static size_t packed_layer_floats(const KvConfig *c);

/* The one list of the model's buffers: model_init allocates and fills
 * them in this order, model_free releases them, model_tensors and
 * model_bytes report them. Uniform fills draw from the PRNG in table order
 * (which is what fixes the weights of a seed); constant fills draw nothing. */
typedef struct {
    ModelTensor t;      /* name, per_layer, rows, cols (data unused here) */
    size_t offset;      /* of the float * in Model */
    bool uniform;       /* uniform in [-value, value) from the PRNG, else the constant value */
    float value;
} ModelBuf;

enum { MODEL_N_BUFS = 15 };

static int model_table(const KvConfig *c, ModelBuf out[MODEL_N_BUFS])
{
    /* (a zeroed Model, as model_free may see, has no shape: nothing to divide) */
    const int d = c->d_model, kv = c->n_heads > 0 ? config_kv_dim(c) : 0, F = c->d_ff;
    /* Scales: after LayerNorm a row has unit variance, so a uniform weight
     * in [-s, s) gives outputs of variance in·s²/3. Q and K get 1.5× a
     * unit-variance scale so attention rows are clearly peaked, not flat;
     * the residual branches are halved to keep the stream stable. sqrtf is
     * correctly rounded, so the scales are the same everywhere too. */
    const float unit_d = d > 0 ? sqrtf(3.0f / (float)d) : 0.0f, unit_f = F > 0 ? sqrtf(3.0f / (float)F) : 0.0f;
#define BUF(field, per_layer, rows, cols, uni, v) \
    {{#field, per_layer, rows, cols, NULL}, offsetof(Model, field), uni, v}
    const ModelBuf all[MODEL_N_BUFS] = {
        BUF(tok_emb, 0, c->vocab, d, true, 1.0f),
        BUF(pos_emb, 0, c->rope ? 0 : c->max_seq, d, true, 0.5f),   /* §6.10: none with RoPE */
        BUF(ln1_g, 1, 1, d, false, 1.0f),
        BUF(ln1_b, 1, 1, d, false, 0.0f),
        BUF(wq, 1, d, d, true, 1.5f * unit_d),
        BUF(wk, 1, d, kv, true, 1.5f * unit_d),
        BUF(wv, 1, d, kv, true, unit_d),
        BUF(wo, 1, d, d, true, 0.5f * unit_d),
        BUF(ln2_g, 1, 1, d, false, 1.0f),
        BUF(ln2_b, 1, 1, d, false, 0.0f),
        BUF(w1, 1, d, F, true, unit_d),
        BUF(w2, 1, F, d, true, 0.5f * unit_f),
        BUF(lnf_g, 0, 1, d, false, 1.0f),
        BUF(lnf_b, 0, 1, d, false, 0.0f),
        BUF(wout, 0, d, c->vocab, true, 2.0f * unit_d),
    };
#undef BUF
    memcpy(out, all, sizeof all);
    return MODEL_N_BUFS;
}

static float **buf_ptr(Model *m, const ModelBuf *b)
{
    return (float **)(void *)((char *)m + b->offset);
}

static size_t buf_count(const KvConfig *c, const ModelBuf *b)
{
    return (size_t)(b->t.per_layer ? c->n_layers : 1) * (size_t)b->t.rows * (size_t)b->t.cols;
}

static int model_copy(Model *m, const KvConfig *cfg, const Model *src);

int model_init(Model *m, const KvConfig *cfg)
{
    if (cfg->weights) return model_copy(m, cfg, cfg->weights);
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    ModelBuf bufs[MODEL_N_BUFS];
    const int n = model_table(cfg, bufs);
    for (int i = 0; i < n; i++)   /* an empty array (RoPE's position table) stays NULL */
        if (buf_count(cfg, &bufs[i]) && !(*buf_ptr(m, &bufs[i]) = malloc(sizeof(float) * buf_count(cfg, &bufs[i])))) {
            model_free(m);
            return -1;
        }
    Rng r;
    rng_init(&r, cfg->seed);
    for (int i = 0; i < n; i++) {
        float *w = *buf_ptr(m, &bufs[i]);
        if (bufs[i].uniform) fill_uniform(w, buf_count(cfg, &bufs[i]), bufs[i].value, &r);
        else fill_const(w, buf_count(cfg, &bufs[i]), bufs[i].value);
    }
    return model_pack(m);
}

/* Pack every layer's matrices and the head (see model.h). */
static int model_pack(Model *m)
{
    const KvConfig *c = &m->cfg;
    const int d = c->d_model, kv = config_kv_dim(c), F = c->d_ff, V = c->vocab;
    const size_t Lyr = (size_t)c->n_layers;
    const size_t sq = kernel_packed_floats(d, d), skv = kernel_packed_floats(d, kv);
    const size_t s1 = kernel_packed_floats(d, F);
    m->p_layer = packed_layer_floats(c);
    if (!m->packed) m->packed = kernel_alloc_stream(sizeof(float) * (Lyr * m->p_layer + kernel_packed_floats(d, V)));
    if (!m->packed) {
        model_free(m);
        return -1;
    }
    m->pq = m->packed;
    m->pk = m->pq + sq;
    m->pv = m->pk + skv;
    m->po = m->pv + skv;
    m->p1 = m->po + sq;
    m->p2 = m->p1 + s1;
    m->pout = m->packed + Lyr * m->p_layer;
    for (size_t l = 0; l < Lyr; l++) {
        const size_t o = l * m->p_layer;
        kernel_pack(m->pq + o, m->wq + l * (size_t)d * d, d, d);
        kernel_pack(m->pk + o, m->wk + l * (size_t)d * kv, d, kv);
        kernel_pack(m->pv + o, m->wv + l * (size_t)d * kv, d, kv);
        kernel_pack(m->po + o, m->wo + l * (size_t)d * d, d, d);
        kernel_pack(m->p1 + o, m->w1 + l * (size_t)d * F, d, F);
        kernel_pack(m->p2 + o, m->w2 + l * (size_t)F * d, F, d);
    }
    kernel_pack(m->pout, m->wout, d, V);
    return 0;
}

void model_free(Model *m)
{
    ModelBuf bufs[MODEL_N_BUFS];
    const int n = model_table(&m->cfg, bufs);
    for (int i = 0; i < n; i++) free(*buf_ptr(m, &bufs[i]));
    free(m->packed);   /* not in the table: a second layout of the same weights */
    memset(m, 0, sizeof *m);
}

int model_tensors(const Model *m, ModelTensor *out, int cap)
{
    ModelBuf bufs[MODEL_N_BUFS];
    int n = model_table(&m->cfg, bufs);
    if (n > cap) n = cap;
    for (int i = 0; i < n; i++) {
        out[i] = bufs[i].t;
        out[i].data = *buf_ptr((Model *)m, &bufs[i]);
    }
    return n;
}

/* Floats of one layer's packed matrices (kernel_pack's layout). */
static size_t packed_layer_floats(const KvConfig *c)
{
    const int d = c->d_model, kv = config_kv_dim(c), F = c->d_ff;
    return 2 * kernel_packed_floats(d, d) + 2 * kernel_packed_floats(d, kv) + kernel_packed_floats(d, F) +
           kernel_packed_floats(F, d);
}

uint64_t model_config_bytes(const KvConfig *c)
{
    ModelBuf bufs[MODEL_N_BUFS];
    const int n = model_table(c, bufs);
    uint64_t b = 0;
    for (int i = 0; i < n; i++) b += (uint64_t)buf_count(c, &bufs[i]) * sizeof(float);
    /* the packed copy the forward pass multiplies by */
    b += ((uint64_t)c->n_layers * packed_layer_floats(c) + kernel_packed_floats(c->d_model, c->vocab)) * sizeof(float);
    return b;
}

uint64_t model_bytes(const Model *m)
{
    return model_config_bytes(&m->cfg);
}

int model_alloc(Model *m, const KvConfig *cfg)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    ModelBuf bufs[MODEL_N_BUFS];
    const int n = model_table(cfg, bufs);
    for (int i = 0; i < n; i++)
        if (buf_count(cfg, &bufs[i]) && !(*buf_ptr(m, &bufs[i]) = calloc(buf_count(cfg, &bufs[i]), sizeof(float)))) {
            model_free(m);
            return -1;
        }
    return model_pack(m);
}

int model_repack(Model *m)
{
    return model_pack(m);   /* reuses m->packed when there is one */
}

/* Copy the weights of a loaded model; cfg's shape must be src's (a
 * shorter max_seq keeps the first positions). */
static int model_copy(Model *m, const KvConfig *cfg, const Model *src)
{
    const KvConfig *s = &src->cfg;
    if (cfg->vocab != s->vocab || cfg->d_model != s->d_model || cfg->n_heads != s->n_heads ||
        cfg->n_kv_heads != s->n_kv_heads || cfg->n_layers != s->n_layers ||
        cfg->d_ff != s->d_ff || cfg->rope != s->rope || (!s->rope && cfg->max_seq > s->max_seq)) {
        memset(m, 0, sizeof *m);
        return -1;
    }
    if (model_alloc(m, cfg)) return -1;
    float *dst[16] = {0}, *from[16] = {0};
    size_t n_dst[16] = {0}, n_from[16] = {0};
    const int n = model_arrays(m, dst, n_dst, 16);
    model_arrays((Model *)src, from, n_from, 16);   /* read only: the pointers are not written through */
    for (int i = 0; i < n; i++)
        if (n_dst[i]) memcpy(dst[i], from[i], sizeof(float) * n_dst[i]);   /* RoPE: no position table */
    return model_pack(m);
}

int model_arrays(Model *m, float **ptr, size_t *count, int cap)
{
    ModelBuf bufs[MODEL_N_BUFS];
    int n = model_table(&m->cfg, bufs);
    if (n > cap) n = cap;
    for (int i = 0; i < n; i++) {
        ptr[i] = *buf_ptr(m, &bufs[i]);
        count[i] = buf_count(&m->cfg, &bufs[i]);
    }
    return n;
}

size_t model_param_count(const KvConfig *cfg)
{
    ModelBuf bufs[MODEL_N_BUFS];
    const int n = model_table(cfg, bufs);
    size_t total = 0;
    for (int i = 0; i < n; i++) total += buf_count(cfg, &bufs[i]);
    return total;
}
