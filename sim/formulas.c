/* formulas: closed forms of the spec. See formulas.h. */
#include "sim/formulas.h"

#include <string.h>

int formulas_rows(RunMode mode, int L, int k)
{
    switch (mode) {
    case MODE_CACHE: return k == 0 ? L : 1;
    case MODE_RECOMPUTE: return L + k;
    default: return L;
    }
}

int formulas_len(RunMode mode, int L, int k)
{
    return mode == MODE_TRAIN ? L : L + k;
}

void formulas_step_layer(const KvConfig *c, RunMode mode, int L, int k, OpCounts *out)
{
    const uint64_t n = (uint64_t)formulas_rows(mode, L, k);
    const uint64_t t = (uint64_t)formulas_len(mode, L, k);
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff;
    const uint64_t kv = (uint64_t)config_kv_dim(c);
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = n * d * d + 2 * n * d * kv;    /* = 3·n·d² when Hkv = H */
    out->mac[CAT_SCORES] = n * t * d;                   /* dense n×t block, every head */
    out->mac[CAT_VALUES] = n * t * d;
    out->mac[CAT_OUT_PROJ] = n * d * d;
    out->mac[CAT_FFN] = 2 * n * d * F;
    /* query row i sits at position t-n+i and cannot see the n-1-i rows after it */
    out->masked = d * (n * (n - 1) / 2);
}

void formulas_step(const KvConfig *c, RunMode mode, int L, int k, OpCounts *out)
{
    formulas_step_layer(c, mode, L, k, out);
    const uint64_t Lyr = (uint64_t)c->n_layers;
    for (int i = 0; i < CAT_COUNT; i++) out->mac[i] *= Lyr;
    out->masked *= Lyr;
    const uint64_t head_rows = mode == MODE_TRAIN ? (uint64_t)L : 1;
    out->mac[CAT_LM_HEAD] = head_rows * (uint64_t)c->d_model * (uint64_t)c->vocab;
}

/* Checked arithmetic: a chain of these keeps *ok false once anything overflows. */
static uint64_t mul(uint64_t a, uint64_t b, bool *ok)
{
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) *ok = false;
    return r;
}
static uint64_t add(uint64_t a, uint64_t b, bool *ok)
{
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) *ok = false;
    return r;
}

bool formulas_total(const KvConfig *c, RunMode mode, int L, int G, OpCounts *out)
{
    bool ok = true;
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Lyr = (uint64_t)c->n_layers, kv = (uint64_t)config_kv_dim(c);
    const uint64_t l = (uint64_t)L, g = (uint64_t)G;
    /* per processed row and layer: Q, K, V projections */
    const uint64_t qkv_row = add(mul(d, d, &ok), mul(2, mul(d, kv, &ok), &ok), &ok);
    uint64_t rows, cells, masked_pairs, head_rows;

    if (mode == MODE_TRAIN) {
        rows = l;                                   /* one pass over L rows */
        cells = mul(l, l, &ok);
        masked_pairs = l * (l - 1) / 2;
        head_rows = l;
    } else if (mode == MODE_CACHE) {
        rows = l + g - 1;                           /* L in prefill, 1 per decode step */
        /* L² + Σ_{k=1}^{G-1} (L+k) = L² + (G-1)·L + (G-1)·G/2 */
        cells = add(add(mul(l, l, &ok), mul(g - 1, l, &ok), &ok), mul(g - 1, g, &ok) / 2, &ok);
        masked_pairs = l * (l - 1) / 2;             /* only prefill has future cells */
        head_rows = g;
    } else {
        /* S1 = Σ_{k=0}^{G-1} (L+k) = G·L + G(G-1)/2
         * S2 = Σ_{k=0}^{G-1} (L+k)² = G·L² + L·G(G-1) + (G-1)G(2G-1)/6 */
        const uint64_t s1 = add(mul(g, l, &ok), mul(g, g - 1, &ok) / 2, &ok);
        const uint64_t tri = mul(mul(g - 1, g, &ok), 2 * g - 1, &ok) / 6;
        const uint64_t s2 = add(add(mul(g, mul(l, l, &ok), &ok), mul(l, mul(g, g - 1, &ok), &ok), &ok),
                                tri, &ok);
        rows = s1;
        cells = s2;
        masked_pairs = (s2 - s1) / 2;               /* Σ t(t-1)/2 */
        head_rows = g;
    }
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = mul(mul(qkv_row, Lyr, &ok), rows, &ok);
    out->mac[CAT_SCORES] = mul(mul(d, Lyr, &ok), cells, &ok);
    out->mac[CAT_VALUES] = out->mac[CAT_SCORES];
    out->mac[CAT_OUT_PROJ] = mul(mul(mul(d, d, &ok), Lyr, &ok), rows, &ok);
    out->mac[CAT_FFN] = mul(mul(mul(2 * d, F, &ok), Lyr, &ok), rows, &ok);
    out->mac[CAT_LM_HEAD] = mul(mul(d, V, &ok), head_rows, &ok);
    out->masked = mul(mul(d, Lyr, &ok), masked_pairs, &ok);
    uint64_t total = 0;
    for (int i = 0; i < CAT_COUNT; i++) total = add(total, out->mac[i], &ok);
    (void)total;
    return ok;
}

uint64_t formulas_kv_bytes(const KvConfig *c, RunMode mode, int L, int k)
{
    if (mode != MODE_CACHE) return 0;
    return 2u * (uint64_t)c->n_layers * (uint64_t)formulas_len(mode, L, k) *
           (uint64_t)config_kv_dim(c) * sizeof(float);
}
