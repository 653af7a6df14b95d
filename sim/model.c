/* model: weights from the seeded PRNG. See model.h. */
#include "sim/model.h"

#include "sim/kernels.h"
#include "sim/rng.h"

#include <math.h>
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

int model_init(Model *m, const KvConfig *cfg)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const size_t V = (size_t)cfg->vocab, d = (size_t)cfg->d_model, N = (size_t)cfg->max_seq;
    const size_t Lyr = (size_t)cfg->n_layers, F = (size_t)cfg->d_ff;
    const size_t kv = (size_t)config_kv_dim(cfg);

    m->tok_emb = malloc(sizeof(float) * V * d);
    m->pos_emb = malloc(sizeof(float) * N * d);
    m->ln1_g = malloc(sizeof(float) * Lyr * d);
    m->ln1_b = malloc(sizeof(float) * Lyr * d);
    m->wq = malloc(sizeof(float) * Lyr * d * d);
    m->wk = malloc(sizeof(float) * Lyr * d * kv);
    m->wv = malloc(sizeof(float) * Lyr * d * kv);
    m->wo = malloc(sizeof(float) * Lyr * d * d);
    m->ln2_g = malloc(sizeof(float) * Lyr * d);
    m->ln2_b = malloc(sizeof(float) * Lyr * d);
    m->w1 = malloc(sizeof(float) * Lyr * d * F);
    m->w2 = malloc(sizeof(float) * Lyr * F * d);
    m->lnf_g = malloc(sizeof(float) * d);
    m->lnf_b = malloc(sizeof(float) * d);
    m->wout = malloc(sizeof(float) * d * V);
    if (!m->tok_emb || !m->pos_emb || !m->ln1_g || !m->ln1_b || !m->wq || !m->wk ||
        !m->wv || !m->wo || !m->ln2_g || !m->ln2_b || !m->w1 || !m->w2 || !m->lnf_g ||
        !m->lnf_b || !m->wout) {
        model_free(m);
        return -1;
    }

    /* Scales: after LayerNorm a row has unit variance, so a uniform weight
     * in [-s, s) gives outputs of variance in·s²/3. Q and K get 1.5× a
     * unit-variance scale so attention rows are clearly peaked, not flat;
     * the residual branches are halved to keep the stream stable. sqrtf is
     * correctly rounded, so the scales are the same everywhere too. */
    const float unit_d = sqrtf(3.0f / (float)d);
    const float unit_f = sqrtf(3.0f / (float)F);
    Rng r;
    rng_init(&r, cfg->seed);
    fill_uniform(m->tok_emb, V * d, 1.0f, &r);
    fill_uniform(m->pos_emb, N * d, 0.5f, &r);
    fill_uniform(m->wq, Lyr * d * d, 1.5f * unit_d, &r);
    fill_uniform(m->wk, Lyr * d * kv, 1.5f * unit_d, &r);
    fill_uniform(m->wv, Lyr * d * kv, unit_d, &r);
    fill_uniform(m->wo, Lyr * d * d, 0.5f * unit_d, &r);
    fill_uniform(m->w1, Lyr * d * F, unit_d, &r);
    fill_uniform(m->w2, Lyr * F * d, 0.5f * unit_f, &r);
    fill_uniform(m->wout, d * V, 2.0f * unit_d, &r);
    fill_const(m->ln1_g, Lyr * d, 1.0f);
    fill_const(m->ln1_b, Lyr * d, 0.0f);
    fill_const(m->ln2_g, Lyr * d, 1.0f);
    fill_const(m->ln2_b, Lyr * d, 0.0f);
    fill_const(m->lnf_g, d, 1.0f);
    fill_const(m->lnf_b, d, 0.0f);
    return model_pack(m);
}

/* Pack every layer's matrices and the head (see model.h). */
static int model_pack(Model *m)
{
    const KvConfig *c = &m->cfg;
    const int d = c->d_model, kv = config_kv_dim(c), F = c->d_ff, V = c->vocab;
    const size_t Lyr = (size_t)c->n_layers;
    const size_t sq = kernel_packed_floats(d, d), skv = kernel_packed_floats(d, kv);
    const size_t s1 = kernel_packed_floats(d, F), s2 = kernel_packed_floats(F, d);
    m->p_layer = 2 * sq + 2 * skv + s1 + s2;
    m->packed = malloc(sizeof(float) * (Lyr * m->p_layer + kernel_packed_floats(d, V)));
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
    free(m->tok_emb); free(m->pos_emb);
    free(m->ln1_g); free(m->ln1_b);
    free(m->wq); free(m->wk); free(m->wv); free(m->wo);
    free(m->ln2_g); free(m->ln2_b);
    free(m->w1); free(m->w2);
    free(m->lnf_g); free(m->lnf_b);
    free(m->wout);
    free(m->packed);
    memset(m, 0, sizeof *m);
}

int model_tensors(const Model *m, ModelTensor *out, int cap)
{
    const KvConfig *c = &m->cfg;
    const int d = c->d_model, kv = config_kv_dim(c);
    const ModelTensor all[] = {
        {"tok_emb", 0, c->vocab, d, m->tok_emb},
        {"pos_emb", 0, c->max_seq, d, m->pos_emb},
        {"ln1_g", 1, 1, d, m->ln1_g},
        {"ln1_b", 1, 1, d, m->ln1_b},
        {"wq", 1, d, d, m->wq},
        {"wk", 1, d, kv, m->wk},
        {"wv", 1, d, kv, m->wv},
        {"wo", 1, d, d, m->wo},
        {"ln2_g", 1, 1, d, m->ln2_g},
        {"ln2_b", 1, 1, d, m->ln2_b},
        {"w1", 1, d, c->d_ff, m->w1},
        {"w2", 1, c->d_ff, d, m->w2},
        {"lnf_g", 0, 1, d, m->lnf_g},
        {"lnf_b", 0, 1, d, m->lnf_b},
        {"wout", 0, d, c->vocab, m->wout},
    };
    int n = (int)(sizeof all / sizeof all[0]);
    if (n > cap) n = cap;
    memcpy(out, all, sizeof(ModelTensor) * (size_t)n);
    return n;
}
