/* train: forward, backward and AdamW. See train.h.
 *
 * Notation: BT = B·T rows, row r = b·T + i is position i of sequence b.
 * y = x · W with W (in, out), as in the engine. The backward of a product
 * y = x·W is dW += xᵀ·dy and dx = dy·Wᵀ; both are written so the inner
 * loop runs along contiguous memory.
 */
#include "sim/train.h"

#include "sim/kernels.h"
#include "sim/rng.h"
#include "sim/rope.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GELU_C 0.7978845608f   /* sqrt(2/pi), as kernel_gelu */

int trainer_init(Trainer *t, const KvConfig *cfg, int B, int T)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->cfg.weights = NULL;
    t->B = B;
    t->T = T;
    const size_t BT = (size_t)B * T, d = (size_t)cfg->d_model, F = (size_t)cfg->d_ff;
    const size_t L = (size_t)cfg->n_layers, V = (size_t)cfg->vocab, H = (size_t)cfg->n_heads;
    const size_t kv = (size_t)config_kv_dim(cfg);
    if (model_alloc(&t->grad, &t->cfg)) return -1;
    float **bufs[] = {&t->resid, &t->resid_mid, &t->ln1, &t->ln1_stat, &t->q, &t->k, &t->v,
                      &t->att, &t->atty, &t->ln2, &t->ln2_stat, &t->fc, &t->fcg, &t->lnf,
                      &t->lnf_stat, &t->probs, &t->dres, &t->dtmp, &t->dq, &t->dk, &t->dv,
                      &t->dfc, &t->dlogits, &t->drow};
    const size_t sizes[] = {(L + 1) * BT * d, L * BT * d, L * BT * d, L * BT * 2, L * BT * d,
                            L * BT * kv, L * BT * kv, L * B * H * T * T, L * BT * d, L * BT * d,
                            L * BT * 2, L * BT * F, L * BT * F, BT * d, BT * 2, BT * V,
                            BT * d, BT * d, BT * d, BT * kv, BT * kv, BT * F, BT * V, (size_t)T};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *bufs[i] = calloc(sizes[i], sizeof(float));
        if (!*bufs[i]) {
            trainer_free(t);
            return -1;
        }
    }
    return 0;
}

void trainer_free(Trainer *t)
{
    model_free(&t->grad);
    float *bufs[] = {t->resid, t->resid_mid, t->ln1, t->ln1_stat, t->q, t->k, t->v, t->att,
                     t->atty, t->ln2, t->ln2_stat, t->fc, t->fcg, t->lnf, t->lnf_stat, t->probs,
                     t->dres, t->dtmp, t->dq, t->dk, t->dv, t->dfc, t->dlogits, t->drow};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    memset(t, 0, sizeof *t);
}

/* ---- building blocks ------------------------------------------------ */

/* y = LayerNorm(x)·g + b over n rows of width d, keeping (mean, 1/std)
 * per row: the inference kernel itself, so training and inference agree. */
static void ln_forward(float *y, float *stat, const float *x, const float *g, const float *b,
                       int n, int d)
{
    kernel_layernorm_stats(y, stat, x, g, b, n, d);
}

/* dx += LayerNorm backward of dy; dg, db accumulate.
 * With xh = (x − mean)·inv and e = dy·g:  dx = inv·(e − mean(e) − xh·mean(e·xh)). */
static void ln_backward(float *dx, float *dg, float *db, const float *dy, const float *x,
                        const float *stat, const float *g, int n, int d)
{
    for (int i = 0; i < n; i++) {
        const float *xr = x + (size_t)i * d, *dyr = dy + (size_t)i * d;
        float *dxr = dx + (size_t)i * d;
        const float mean = stat[2 * i], inv = stat[2 * i + 1];
        float se = 0.0f, sex = 0.0f;
        for (int j = 0; j < d; j++) {
            const float xh = (xr[j] - mean) * inv, e = dyr[j] * g[j];
            se += e;
            sex += e * xh;
            dg[j] += dyr[j] * xh;
            db[j] += dyr[j];
        }
        se /= (float)d;
        sex /= (float)d;
        for (int j = 0; j < d; j++) {
            const float xh = (xr[j] - mean) * inv;
            dxr[j] += inv * (dyr[j] * g[j] - se - xh * sex);
        }
    }
}

/* dw[k, m] += in[n, k]ᵀ · dy[n, m]   (axpy form: rows of dw, contiguous) */
static void mm_grad_w(float *dw, const float *in, const float *dy, int n, int k, int m,
                      uint64_t *macs)
{
    for (int i = 0; i < n; i++) {
        const float *x = in + (size_t)i * k, *g = dy + (size_t)i * m;
        for (int p = 0; p < k; p++) {
            const float a = x[p];
            float *wr = dw + (size_t)p * m;
            for (int j = 0; j < m; j++) wr[j] += a * g[j];
        }
    }
    *macs += (uint64_t)n * k * m;
}

/* dx[n, k] (+)= dy[n, m] · w[k, m]ᵀ   (dot form: row of dy against row of w) */
static void mm_grad_x(float *dx, const float *dy, const float *w, int n, int k, int m, int add,
                      uint64_t *macs)
{
    for (int i = 0; i < n; i++) {
        const float *g = dy + (size_t)i * m;
        float *o = dx + (size_t)i * k;
        for (int p = 0; p < k; p++) {
            const float s = kernel_dot(g, w + (size_t)p * m, m, macs);
            o[p] = add ? o[p] + s : s;
        }
    }
}

/* ---- forward --------------------------------------------------------- */

static void attention_forward(Trainer *t, int l, const float *q, const float *k, const float *v,
                              float *att, float *out)
{
    const KvConfig *c = &t->cfg;
    const int B = t->B, T = t->T, H = c->n_heads, d = c->d_model, dh = d / H;
    const int kvd = config_kv_dim(c), group = H / c->n_kv_heads, W = c->window;
    const float scale = 1.0f / sqrtf((float)dh);
    (void)l;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const int kh = h / group;
            for (int i = 0; i < T; i++) {
                const size_t r = (size_t)b * T + i;
                const float *qi = q + r * d + (size_t)h * dh;
                float *row = att + (((size_t)b * H + h) * T + i) * T;
                const int lo = (W > 0 && i - W + 1 > 0) ? i - W + 1 : 0;
                for (int j = 0; j < T; j++) row[j] = -INFINITY;
                for (int j = lo; j <= i; j++)
                    row[j] = kernel_dot(qi, k + ((size_t)b * T + j) * kvd + (size_t)kh * dh, dh,
                                        &t->macs_fwd) * scale;
                kernel_softmax(row, T);
                float *o = out + r * d + (size_t)h * dh;
                memset(o, 0, sizeof(float) * (size_t)dh);
                for (int j = lo; j <= i; j++)
                    kernel_axpy(o, row[j], v + ((size_t)b * T + j) * kvd + (size_t)kh * dh, dh,
                                &t->macs_fwd);
            }
        }
}

float trainer_forward(Trainer *t, const Model *m, const int *inp, const int *tgt)
{
    const KvConfig *c = &t->cfg;
    const int BT = t->B * t->T, T = t->T, d = c->d_model, F = c->d_ff, V = c->vocab;
    const int kvd = config_kv_dim(c);
    uint64_t *mac = &t->macs_fwd;

    for (int r = 0; r < BT; r++) {   /* x = E[token] + P[position] (RoPE: no P) */
        const float *e = m->tok_emb + (size_t)inp[r] * d;
        float *x = t->resid + (size_t)r * d;
        if (c->rope) memcpy(x, e, sizeof(float) * (size_t)d);
        else {
            const float *p = m->pos_emb + (size_t)(r % T) * d;
            for (int j = 0; j < d; j++) x[j] = e[j] + p[j];
        }
    }
    for (int l = 0; l < c->n_layers; l++) {
        const size_t o = (size_t)l * BT;
        const float *x = t->resid + o * d;
        float *a = t->ln1 + o * d, *q = t->q + o * d, *k = t->k + o * kvd, *v = t->v + o * kvd;
        float *att = t->att + (size_t)l * t->B * c->n_heads * T * T, *y = t->atty + o * d;
        float *mid = t->resid_mid + o * d, *b2 = t->ln2 + o * d;
        float *fc = t->fc + o * F, *fcg = t->fcg + o * F, *next = t->resid + (o + BT) * d;

        ln_forward(a, t->ln1_stat + o * 2, x, m->ln1_g + (size_t)l * d, m->ln1_b + (size_t)l * d,
                   BT, d);
        kernel_matmul(q, a, m->wq + (size_t)l * d * d, BT, d, d, mac);
        kernel_matmul(k, a, m->wk + (size_t)l * d * kvd, BT, d, kvd, mac);
        kernel_matmul(v, a, m->wv + (size_t)l * d * kvd, BT, d, kvd, mac);
        if (c->rope)   /* §6.10: q and k turned by their position in the sequence, as the engine */
            for (int b = 0; b < t->B; b++) {
                const int dh = d / c->n_heads;
                rope_rotate(q + (size_t)b * T * d, T, d, c->n_heads, dh, 0, mac);
                rope_rotate(k + (size_t)b * T * kvd, T, kvd, c->n_kv_heads, dh, 0, mac);
            }
        attention_forward(t, l, q, k, v, att, y);
        kernel_matmul(mid, y, m->wo + (size_t)l * d * d, BT, d, d, mac);
        for (size_t i = 0; i < (size_t)BT * d; i++) mid[i] += x[i];
        ln_forward(b2, t->ln2_stat + o * 2, mid, m->ln2_g + (size_t)l * d,
                   m->ln2_b + (size_t)l * d, BT, d);
        kernel_matmul(fc, b2, m->w1 + (size_t)l * d * F, BT, d, F, mac);
        memcpy(fcg, fc, sizeof(float) * (size_t)BT * F);
        kernel_gelu(fcg, BT * F);
        kernel_matmul(next, fcg, m->w2 + (size_t)l * F * d, BT, F, d, mac);
        for (size_t i = 0; i < (size_t)BT * d; i++) next[i] += mid[i];
    }
    ln_forward(t->lnf, t->lnf_stat, t->resid + (size_t)c->n_layers * BT * d, m->lnf_g, m->lnf_b,
               BT, d);
    kernel_matmul(t->probs, t->lnf, m->wout, BT, d, V, mac);

    double loss = 0.0;   /* summed in double: the mean of many terms */
    t->n_targets = 0;
    for (int r = 0; r < BT; r++) {
        float *p = t->probs + (size_t)r * V;
        kernel_softmax(p, V);
        if (tgt[r] >= 0) {
            loss -= log((double)p[tgt[r]] > 1e-30 ? (double)p[tgt[r]] : 1e-30);
            t->n_targets++;
        }
    }
    return t->n_targets ? (float)(loss / t->n_targets) : 0.0f;
}

/* ---- backward -------------------------------------------------------- */

static void attention_backward(Trainer *t, const float *q, const float *k, const float *v,
                               const float *att, const float *dy)
{
    /* For one row: dA_j = dy·v_j, dv_j += A_j·dy, dS_j = A_j·(dA_j − Σ A·dA),
     * dq += dS_j·scale·k_j, dk_j += dS_j·scale·q. Masked cells have A = 0. */
    const KvConfig *c = &t->cfg;
    const int B = t->B, T = t->T, H = c->n_heads, d = c->d_model, dh = d / H;
    const int kvd = config_kv_dim(c), group = H / c->n_kv_heads, W = c->window;
    const float scale = 1.0f / sqrtf((float)dh);
    uint64_t *mac = &t->macs_bwd;
    memset(t->dq, 0, sizeof(float) * (size_t)B * T * d);
    memset(t->dk, 0, sizeof(float) * (size_t)B * T * kvd);
    memset(t->dv, 0, sizeof(float) * (size_t)B * T * kvd);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const int kh = h / group;
            for (int i = 0; i < T; i++) {
                const size_t r = (size_t)b * T + i;
                const float *row = att + (((size_t)b * H + h) * T + i) * T;
                const float *g = dy + r * d + (size_t)h * dh, *qi = q + r * d + (size_t)h * dh;
                float *dqi = t->dq + r * d + (size_t)h * dh;
                const int lo = (W > 0 && i - W + 1 > 0) ? i - W + 1 : 0;
                float sum = 0.0f;
                for (int j = lo; j <= i; j++) {
                    const size_t rj = ((size_t)b * T + j) * kvd + (size_t)kh * dh;
                    t->drow[j] = kernel_dot(g, v + rj, dh, mac);
                    kernel_axpy(t->dv + rj, row[j], g, dh, mac);
                    sum += row[j] * t->drow[j];
                }
                for (int j = lo; j <= i; j++) {
                    const size_t rj = ((size_t)b * T + j) * kvd + (size_t)kh * dh;
                    const float ds = row[j] * (t->drow[j] - sum) * scale;
                    kernel_axpy(dqi, ds, k + rj, dh, mac);
                    kernel_axpy(t->dk + rj, ds, qi, dh, mac);
                }
            }
        }
}

void trainer_backward(Trainer *t, const Model *m, const int *inp, const int *tgt)
{
    const KvConfig *c = &t->cfg;
    const int BT = t->B * t->T, T = t->T, d = c->d_model, F = c->d_ff, V = c->vocab;
    const int kvd = config_kv_dim(c), Lyr = c->n_layers;
    Model *g = &t->grad;
    uint64_t *mac = &t->macs_bwd;
    {
        float *p[16];
        size_t n[16];
        const int k = model_arrays(g, p, n, 16);
        for (int i = 0; i < k; i++)
            if (n[i]) memset(p[i], 0, sizeof(float) * n[i]);   /* RoPE: no position table */
    }

    /* cross-entropy of the mean: dlogits = (softmax − onehot) / targets */
    const float inv = t->n_targets ? 1.0f / (float)t->n_targets : 0.0f;
    for (int r = 0; r < BT; r++) {
        const float *p = t->probs + (size_t)r * V;
        float *dl = t->dlogits + (size_t)r * V;
        if (tgt[r] < 0) {
            memset(dl, 0, sizeof(float) * (size_t)V);
            continue;
        }
        for (int j = 0; j < V; j++) dl[j] = p[j] * inv;
        dl[tgt[r]] -= inv;
    }
    mm_grad_w(g->wout, t->lnf, t->dlogits, BT, d, V, mac);
    mm_grad_x(t->dtmp, t->dlogits, m->wout, BT, d, V, 0, mac);
    memset(t->dres, 0, sizeof(float) * (size_t)BT * d);
    ln_backward(t->dres, g->lnf_g, g->lnf_b, t->dtmp, t->resid + (size_t)Lyr * BT * d,
                t->lnf_stat, m->lnf_g, BT, d);

    for (int l = Lyr - 1; l >= 0; l--) {
        const size_t o = (size_t)l * BT;
        const size_t wd = (size_t)l * d, wdd = (size_t)l * d * d, wkv = (size_t)l * d * kvd;
        const size_t wf = (size_t)l * d * F;
        /* FFN: resid[l+1] = mid + GELU(LN2(mid)·W1)·W2; dres flows through the add */
        mm_grad_w(g->w2 + wf, t->fcg + o * F, t->dres, BT, F, d, mac);
        mm_grad_x(t->dfc, t->dres, m->w2 + wf, BT, F, d, 0, mac);
        const float *fc = t->fc + o * F;
        for (size_t i = 0; i < (size_t)BT * F; i++) {
            const float x = fc[i], x2 = x * x;
            const float th = tanhf(GELU_C * (x + 0.044715f * x2 * x));
            const float dgelu = 0.5f * (1.0f + th) +
                                0.5f * x * (1.0f - th * th) * GELU_C * (1.0f + 3.0f * 0.044715f * x2);
            t->dfc[i] *= dgelu;
        }
        mm_grad_w(g->w1 + wf, t->ln2 + o * d, t->dfc, BT, d, F, mac);
        mm_grad_x(t->dtmp, t->dfc, m->w1 + wf, BT, d, F, 0, mac);
        ln_backward(t->dres, g->ln2_g + wd, g->ln2_b + wd, t->dtmp, t->resid_mid + o * d,
                    t->ln2_stat + o * 2, m->ln2_g + wd, BT, d);
        /* attention: mid = resid[l] + atty·Wo */
        mm_grad_w(g->wo + wdd, t->atty + o * d, t->dres, BT, d, d, mac);
        mm_grad_x(t->dtmp, t->dres, m->wo + wdd, BT, d, d, 0, mac);
        attention_backward(t, t->q + o * d, t->k + o * kvd, t->v + o * kvd,
                           t->att + (size_t)l * t->B * c->n_heads * T * T, t->dtmp);
        if (c->rope)   /* dq, dk are for the turned q, k: turn them back (the transpose) */
            for (int b = 0; b < t->B; b++) {
                const int dh = d / c->n_heads;
                rope_rotate_back(t->dq + (size_t)b * T * d, T, d, c->n_heads, dh, 0, mac);
                rope_rotate_back(t->dk + (size_t)b * T * kvd, T, kvd, c->n_kv_heads, dh, 0, mac);
            }
        const float *a = t->ln1 + o * d;
        mm_grad_w(g->wq + wdd, a, t->dq, BT, d, d, mac);
        mm_grad_w(g->wk + wkv, a, t->dk, BT, d, kvd, mac);
        mm_grad_w(g->wv + wkv, a, t->dv, BT, d, kvd, mac);
        mm_grad_x(t->dtmp, t->dq, m->wq + wdd, BT, d, d, 0, mac);
        mm_grad_x(t->dtmp, t->dk, m->wk + wkv, BT, d, kvd, 1, mac);
        mm_grad_x(t->dtmp, t->dv, m->wv + wkv, BT, d, kvd, 1, mac);
        ln_backward(t->dres, g->ln1_g + wd, g->ln1_b + wd, t->dtmp, t->resid + o * d,
                    t->ln1_stat + o * 2, m->ln1_g + wd, BT, d);
    }
    for (int r = 0; r < BT; r++) {
        const float *dx = t->dres + (size_t)r * d;
        float *de = g->tok_emb + (size_t)inp[r] * d;
        for (int j = 0; j < d; j++) de[j] += dx[j];
        if (c->rope) continue;   /* no position table */
        float *dp = g->pos_emb + (size_t)(r % T) * d;
        for (int j = 0; j < d; j++) dp[j] += dx[j];
    }
}

/* ---- initial weights ------------------------------------------------- */

/* Standard normal by Box-Muller from two uniforms in (0, 1]. */
static float gauss(Rng *r)
{
    const double u1 = ((double)(rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    const double u2 = (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void train_init_weights(Model *m, uint64_t seed)
{
    const KvConfig *c = &m->cfg;
    Rng r;
    rng_init(&r, seed);
    float *p[16];
    size_t n[16];
    const int k = model_arrays(m, p, n, 16);
    const float resid_scale = 1.0f / sqrtf(2.0f * (float)c->n_layers);
    for (int i = 0; i < k; i++) {
        const int is_gain = p[i] == m->ln1_g || p[i] == m->ln2_g || p[i] == m->lnf_g;
        const int is_bias = p[i] == m->ln1_b || p[i] == m->ln2_b || p[i] == m->lnf_b;
        const float s = (p[i] == m->wo || p[i] == m->w2) ? 0.02f * resid_scale : 0.02f;
        for (size_t j = 0; j < n[i]; j++)
            p[i][j] = is_gain ? 1.0f : is_bias ? 0.0f : s * gauss(&r);
    }
    model_repack(m);   /* the engine multiplies by the packed copy */
}

void train_scale_embeddings(Model *m, float std)
{
    const KvConfig *c = &m->cfg;
    const size_t n[2] = {(size_t)c->vocab * c->d_model,
                         c->rope ? 0 : (size_t)c->max_seq * c->d_model};   /* RoPE: no position table */
    float *p[2] = {m->tok_emb, m->pos_emb};
    for (int a = 0; a < 2; a++)
        for (size_t i = 0; i < n[a]; i++) p[a][i] *= std / 0.02f;
    model_repack(m);
}

void train_tie_weights(Model *m)
{
    const int V = m->cfg.vocab, d = m->cfg.d_model;
    for (int v = 0; v < V; v++)
        for (int k = 0; k < d; k++) m->wout[(size_t)k * V + v] = m->tok_emb[(size_t)v * d + k];
}
/* (the packed copy is not refreshed here: training multiplies by the
 * plain arrays; call model_repack before an engine runs the model) */

void train_tie_grads(Model *g)
{
    const int V = g->cfg.vocab, d = g->cfg.d_model;
    for (int v = 0; v < V; v++)
        for (int k = 0; k < d; k++) {
            g->tok_emb[(size_t)v * d + k] += g->wout[(size_t)k * V + v];
            g->wout[(size_t)k * V + v] = 0.0f;
        }
}

/* ---- AdamW ----------------------------------------------------------- */

AdamConfig adam_default(int total_steps)
{
    return (AdamConfig){.lr = 3e-3f, .lr_min_frac = 0.1f, .beta1 = 0.9f, .beta2 = 0.99f,
                        .eps = 1e-8f, .weight_decay = 0.01f, .clip = 1.0f, .warmup = 100,
                        .total = total_steps};
}

int adam_init(Adam *a, const KvConfig *cfg, const AdamConfig *ac)
{
    memset(a, 0, sizeof *a);
    a->cfg = *ac;
    KvConfig shape = *cfg;
    shape.weights = NULL;
    if (model_alloc(&a->m, &shape) || model_alloc(&a->v, &shape)) {
        adam_free(a);
        return -1;
    }
    return 0;
}

void adam_free(Adam *a)
{
    model_free(&a->m);
    model_free(&a->v);
    memset(a, 0, sizeof *a);
}

float adam_lr(const AdamConfig *ac, long s)
{
    if (s < ac->warmup) return ac->lr * (float)(s + 1) / (float)ac->warmup;
    const long span = ac->total - ac->warmup;
    double f = span > 0 ? (double)(s - ac->warmup) / (double)span : 1.0;
    if (f > 1.0) f = 1.0;
    const double cosv = 0.5 * (1.0 + cos(3.141592653589793 * f));
    return (float)(ac->lr * (ac->lr_min_frac + (1.0 - ac->lr_min_frac) * cosv));
}

float adam_update(Adam *a, Model *params, Model *grad)
{
    float *p[16], *g[16], *m1[16], *m2[16];
    size_t n[16];
    const int k = model_arrays(params, p, n, 16);
    model_arrays(grad, g, n, 16);
    model_arrays(&a->m, m1, n, 16);
    model_arrays(&a->v, m2, n, 16);

    double sq = 0.0;
    for (int i = 0; i < k; i++)
        for (size_t j = 0; j < n[i]; j++) sq += (double)g[i][j] * g[i][j];
    const float norm = (float)sqrt(sq);
    const float gscale = (a->cfg.clip > 0.0f && norm > a->cfg.clip) ? a->cfg.clip / norm : 1.0f;

    const AdamConfig *c = &a->cfg;
    const float lr = adam_lr(c, a->step);
    a->step++;
    const float bc1 = 1.0f - powf(c->beta1, (float)a->step);
    const float bc2 = 1.0f - powf(c->beta2, (float)a->step);
    for (int i = 0; i < k; i++) {
        /* no decay on LayerNorm gains and biases */
        const int decay = !(p[i] == params->ln1_g || p[i] == params->ln1_b ||
                            p[i] == params->ln2_g || p[i] == params->ln2_b ||
                            p[i] == params->lnf_g || p[i] == params->lnf_b);
        const float wd = decay ? c->weight_decay : 0.0f;
        for (size_t j = 0; j < n[i]; j++) {
            const float gr = g[i][j] * gscale;
            m1[i][j] = c->beta1 * m1[i][j] + (1.0f - c->beta1) * gr;
            m2[i][j] = c->beta2 * m2[i][j] + (1.0f - c->beta2) * gr * gr;
            const float mh = m1[i][j] / bc1, vh = m2[i][j] / bc2;
            p[i][j] -= lr * (mh / (sqrtf(vh) + c->eps) + wd * p[i][j]);
        }
    }
    return norm;
}
