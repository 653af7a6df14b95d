/* train_ref: an independent float64 forward pass of the spec §1 model with
 * a cross-entropy loss, for the gradient check in test_train.c.
 *
 * Written from the spec, not from sim/train.c: straightforward loops over
 * positions, heads and keys, every quantity in double. The weights are
 * double arrays in model_arrays() order, so a test can nudge one entry by
 * ±h and take a central difference.
 */
#ifndef KVSIM_TEST_TRAIN_REF_H
#define KVSIM_TEST_TRAIN_REF_H

#include "sim/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    KvConfig c;
    double *w[15];   /* model_arrays() order */
    size_t n[15];
} RefModel;

static inline void ref_from_model(RefModel *r, Model *m)
{
    float *p[15];
    r->c = m->cfg;
    model_arrays(m, p, r->n, 15);
    for (int i = 0; i < 15; i++) {
        r->w[i] = malloc(sizeof(double) * r->n[i]);
        for (size_t j = 0; j < r->n[i]; j++) r->w[i][j] = p[i][j];
    }
}

static inline void ref_free(RefModel *r)
{
    for (int i = 0; i < 15; i++) free(r->w[i]);
}

static inline void ref_ln(double *y, const double *x, const double *g, const double *b, int d)
{
    double mean = 0, var = 0;
    for (int j = 0; j < d; j++) mean += x[j];
    mean /= d;
    for (int j = 0; j < d; j++) var += (x[j] - mean) * (x[j] - mean);
    var /= d;
    const double inv = 1.0 / sqrt(var + 1e-5);
    for (int j = 0; j < d; j++) y[j] = (x[j] - mean) * inv * g[j] + b[j];
}

/* y[m] = x[k] · W[k, m] */
static inline void ref_vecmat(double *y, const double *x, const double *w, int k, int m)
{
    for (int j = 0; j < m; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) s += x[p] * w[(size_t)p * m + j];
        y[j] = s;
    }
}

/* Turn each of `heads` heads of dh doubles by the RoPE angles of position pos. */
static inline void ref_turn(double *x, int heads, int dh, int pos)
{
    for (int h = 0; h < heads; h++)
        for (int p = 0; 2 * p + 1 < dh; p++) {
            const double a = pos * pow(10000.0, -2.0 * p / dh);
            double *e = x + h * dh + 2 * p;
            const double x0 = e[0], y0 = e[1];
            e[0] = x0 * cos(a) - y0 * sin(a);
            e[1] = x0 * sin(a) + y0 * cos(a);
        }
}

/* Mean cross-entropy of one sequence of T tokens (tgt -1 = no target). */
static inline double ref_loss_seq(const RefModel *r, const int *inp, const int *tgt, int T,
                                  int *count)
{
    const KvConfig *c = &r->c;
    const int d = c->d_model, H = c->n_heads, dh = d / H, F = c->d_ff, V = c->vocab;
    const int kvd = c->n_kv_heads * dh, W = c->window, L = c->n_layers;
    double *const *w = r->w;
    double *x = calloc((size_t)T * d, sizeof(double)), *a = calloc((size_t)T * d, sizeof(double));
    double *q = calloc((size_t)T * d, sizeof(double)), *k = calloc((size_t)T * kvd, sizeof(double));
    double *v = calloc((size_t)T * kvd, sizeof(double)), *y = calloc((size_t)T * d, sizeof(double));
    double *h = calloc((size_t)F, sizeof(double)), *t = calloc((size_t)d > (size_t)V ? d : V, sizeof(double));
    double *s = calloc((size_t)T, sizeof(double));
    for (int i = 0; i < T; i++)
        for (int j = 0; j < d; j++)   /* RoPE (§6.10): no position table */
            x[i * d + j] = w[0][inp[i] * d + j] + (c->rope ? 0.0 : w[1][i * d + j]);
    for (int l = 0; l < L; l++) {
        for (int i = 0; i < T; i++) {
            ref_ln(a + i * d, x + i * d, w[2] + l * d, w[3] + l * d, d);
            ref_vecmat(q + i * d, a + i * d, w[4] + (size_t)l * d * d, d, d);
            ref_vecmat(k + i * kvd, a + i * d, w[5] + (size_t)l * d * kvd, d, kvd);
            ref_vecmat(v + i * kvd, a + i * d, w[6] + (size_t)l * d * kvd, d, kvd);
            if (c->rope) {   /* §6.10: pair p of each head turns by i·10000^(−2p/d_h) */
                ref_turn(q + i * d, H, dh, i);
                ref_turn(k + i * kvd, c->n_kv_heads, dh, i);
            }
        }
        for (int i = 0; i < T; i++)
            for (int hh = 0; hh < H; hh++) {
                const int kh = hh / (H / c->n_kv_heads);
                double mx = -1e300, sum = 0;
                for (int j = 0; j <= i; j++) {
                    if (W > 0 && j < i - W + 1) continue;
                    double dot = 0;
                    for (int e = 0; e < dh; e++) dot += q[i * d + hh * dh + e] * k[j * kvd + kh * dh + e];
                    s[j] = dot / sqrt((double)dh);
                    if (s[j] > mx) mx = s[j];
                }
                for (int j = 0; j <= i; j++) {
                    if (W > 0 && j < i - W + 1) continue;
                    s[j] = exp(s[j] - mx);
                    sum += s[j];
                }
                for (int e = 0; e < dh; e++) {
                    double o = 0;
                    for (int j = 0; j <= i; j++) {
                        if (W > 0 && j < i - W + 1) continue;
                        o += s[j] / sum * v[j * kvd + kh * dh + e];
                    }
                    y[i * d + hh * dh + e] = o;
                }
            }
        for (int i = 0; i < T; i++) {
            ref_vecmat(t, y + i * d, w[7] + (size_t)l * d * d, d, d);
            for (int j = 0; j < d; j++) x[i * d + j] += t[j];
            ref_ln(a + i * d, x + i * d, w[8] + l * d, w[9] + l * d, d);
            ref_vecmat(h, a + i * d, w[10] + (size_t)l * d * F, d, F);
            for (int j = 0; j < F; j++) {
                const double u = h[j];
                h[j] = 0.5 * u * (1.0 + tanh(sqrt(2.0 / M_PI) * (u + 0.044715 * u * u * u)));
            }
            ref_vecmat(t, h, w[11] + (size_t)l * F * d, F, d);
            for (int j = 0; j < d; j++) x[i * d + j] += t[j];
        }
    }
    double loss = 0;
    for (int i = 0; i < T; i++) {
        if (tgt[i] < 0) continue;
        ref_ln(a + i * d, x + i * d, w[12], w[13], d);
        ref_vecmat(t, a + i * d, w[14], d, V);
        double mx = -1e300, sum = 0;
        for (int j = 0; j < V; j++) if (t[j] > mx) mx = t[j];
        for (int j = 0; j < V; j++) sum += exp(t[j] - mx);
        loss += -(t[tgt[i]] - mx - log(sum));
        (*count)++;
    }
    free(x); free(a); free(q); free(k); free(v); free(y); free(h); free(t); free(s);
    return loss;
}

/* Mean cross-entropy over a batch (B sequences of T), as trainer_forward. */
static inline double ref_loss(const RefModel *r, const int *inp, const int *tgt, int B, int T)
{
    double sum = 0;
    int count = 0;
    for (int b = 0; b < B; b++) sum += ref_loss_seq(r, inp + b * T, tgt + b * T, T, &count);
    return count ? sum / count : 0.0;
}

#endif
