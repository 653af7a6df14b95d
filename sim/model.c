/* model: weights from the seeded PRNG. See model.h. */
#include "sim/model.h"

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

int model_alloc(Model *m, const KvConfig *cfg)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const size_t V = (size_t)cfg->vocab, d = (size_t)cfg->d_model, N = (size_t)cfg->max_seq;
    const size_t Lyr = (size_t)cfg->n_layers, F = (size_t)cfg->d_ff;
    const size_t kv = (size_t)config_kv_dim(cfg);

    m->tok_emb = calloc(V * d, sizeof(float));
    m->pos_emb = calloc(N * d, sizeof(float));
    m->ln1_g = calloc(Lyr * d, sizeof(float));
    m->ln1_b = calloc(Lyr * d, sizeof(float));
    m->wq = calloc(Lyr * d * d, sizeof(float));
    m->wk = calloc(Lyr * d * kv, sizeof(float));
    m->wv = calloc(Lyr * d * kv, sizeof(float));
    m->wo = calloc(Lyr * d * d, sizeof(float));
    m->ln2_g = calloc(Lyr * d, sizeof(float));
    m->ln2_b = calloc(Lyr * d, sizeof(float));
    m->w1 = calloc(Lyr * d * F, sizeof(float));
    m->w2 = calloc(Lyr * F * d, sizeof(float));
    m->lnf_g = calloc(d, sizeof(float));
    m->lnf_b = calloc(d, sizeof(float));
    m->wout = calloc(d * V, sizeof(float));
    if (!m->tok_emb || !m->pos_emb || !m->ln1_g || !m->ln1_b || !m->wq || !m->wk ||
        !m->wv || !m->wo || !m->ln2_g || !m->ln2_b || !m->w1 || !m->w2 || !m->lnf_g ||
        !m->lnf_b || !m->wout) {
        model_free(m);
        return -1;
    }
    return 0;
}

/* Copy the weights of a loaded model; cfg's shape must be src's (a
 * shorter max_seq keeps the first positions). */
static int model_copy(Model *m, const KvConfig *cfg, const Model *src)
{
    const KvConfig *s = &src->cfg;
    if (cfg->vocab != s->vocab || cfg->d_model != s->d_model || cfg->n_heads != s->n_heads ||
        cfg->n_kv_heads != s->n_kv_heads || cfg->n_layers != s->n_layers ||
        cfg->d_ff != s->d_ff || cfg->max_seq > s->max_seq) {
        memset(m, 0, sizeof *m);
        return -1;
    }
    if (model_alloc(m, cfg)) return -1;
    float *dst[16], *from[16];
    size_t n_dst[16], n_from[16];
    const int n = model_arrays(m, dst, n_dst, 16);
    model_arrays((Model *)src, from, n_from, 16);   /* read only: the pointers are not written through */
    for (int i = 0; i < n; i++) memcpy(dst[i], from[i], sizeof(float) * n_dst[i]);
    return 0;
}

int model_init(Model *m, const KvConfig *cfg)
{
    if (cfg->weights) return model_copy(m, cfg, cfg->weights);
    if (model_alloc(m, cfg)) return -1;
    const size_t V = (size_t)cfg->vocab, d = (size_t)cfg->d_model, N = (size_t)cfg->max_seq;
    const size_t Lyr = (size_t)cfg->n_layers, F = (size_t)cfg->d_ff;
    const size_t kv = (size_t)config_kv_dim(cfg);

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

int model_arrays(Model *m, float **ptr, size_t *count, int cap)
{
    const KvConfig *c = &m->cfg;
    const size_t V = (size_t)c->vocab, d = (size_t)c->d_model, N = (size_t)c->max_seq;
    const size_t Lyr = (size_t)c->n_layers, F = (size_t)c->d_ff, kv = (size_t)config_kv_dim(c);
    float *const p[] = {m->tok_emb, m->pos_emb, m->ln1_g, m->ln1_b, m->wq, m->wk, m->wv, m->wo,
                        m->ln2_g, m->ln2_b, m->w1, m->w2, m->lnf_g, m->lnf_b, m->wout};
    const size_t n[] = {V * d, N * d, Lyr * d, Lyr * d, Lyr * d * d, Lyr * d * kv, Lyr * d * kv,
                        Lyr * d * d, Lyr * d, Lyr * d, Lyr * d * F, Lyr * F * d, d, d, d * V};
    int k = (int)(sizeof p / sizeof p[0]);
    if (k > cap) k = cap;
    for (int i = 0; i < k; i++) {
        ptr[i] = p[i];
        count[i] = n[i];
    }
    return k;
}

size_t model_param_count(const KvConfig *cfg)
{
    Model shape;
    memset(&shape, 0, sizeof shape);
    shape.cfg = *cfg;
    float *p[16];
    size_t n[16], total = 0;
    const int k = model_arrays(&shape, p, n, 16);
    for (int i = 0; i < k; i++) total += n[i];
    return total;
}
