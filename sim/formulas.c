/* formulas: closed forms of the spec. See formulas.h. */
#include "sim/formulas.h"

#include "sim/checked.h"

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

/* (query, key) pairs a block of rows at positions t-n .. t-1 may see: a
 * query at p sees config_visible_keys() = min(p+1, W) keys. */
static uint64_t visible_pairs(const KvConfig *c, int n, int t)
{
    uint64_t v = 0;
    for (int p = t - n; p < t; p++) v += (uint64_t)config_visible_keys(c, p);
    return v;
}

void formulas_step_layer(const KvConfig *c, RunMode mode, int L, int k, OpCounts *out)
{
    const uint64_t n = (uint64_t)formulas_rows(mode, L, k);
    const uint64_t t = (uint64_t)formulas_len(mode, L, k);
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff;
    const uint64_t kv = (uint64_t)config_kv_dim(c), W = (uint64_t)c->window;
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = n * d * d + 2 * n * d * kv;    /* = 3·n·d² when Hkv = H */
    /* the dense n×t block, every head; a cached decode row under a window
     * reads only its last min(t, W) keys (§6.3) */
    const uint64_t cols = (mode == MODE_CACHE && k > 0 && W && t > W) ? W : t;
    out->mac[CAT_SCORES] = n * cols * d;
    out->mac[CAT_VALUES] = n * cols * d;
    out->mac[CAT_OUT_PROJ] = n * d * d;
    out->mac[CAT_FFN] = 2 * n * d * F;
    /* every computed cell the mask discards: future, or out of the window;
     * without a window, row i at position t-n+i loses the n-1-i after it */
    out->masked = d * (n * cols - visible_pairs(c, (int)n, (int)t));
    if (c->rope) out->rope = 2 * n * (d + kv);   /* §6.10: every element of q and k turned */
}

void formulas_step(const KvConfig *c, RunMode mode, int L, int k, OpCounts *out)
{
    formulas_step_layer(c, mode, L, k, out);
    const uint64_t Lyr = (uint64_t)c->n_layers;
    for (int i = 0; i < CAT_COUNT; i++) out->mac[i] *= Lyr;
    out->masked *= Lyr;
    out->rope *= Lyr;
    const uint64_t head_rows = mode == MODE_TRAIN ? (uint64_t)L : 1;
    out->mac[CAT_LM_HEAD] = head_rows * (uint64_t)c->d_model * (uint64_t)c->vocab;
}


bool formulas_total(const KvConfig *c, RunMode mode, int L, int G, OpCounts *out)
{
    bool ok = true;
    if (c->window > 0 && c->window < L + G) {
        /* min(t, W) has no neat sum: add the per-step closed forms */
        memset(out, 0, sizeof *out);
        const int steps = mode == MODE_TRAIN ? 1 : G;
        for (int k = 0; k < steps; k++) {
            OpCounts s;
            formulas_step(c, mode, L, k, &s);
            for (int i = 0; i < CAT_COUNT; i++) out->mac[i] = ck_add(out->mac[i], s.mac[i], &ok);
            out->masked = ck_add(out->masked, s.masked, &ok);
            out->rope = ck_add(out->rope, s.rope, &ok);
        }
        return ok;
    }
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Lyr = (uint64_t)c->n_layers, kv = (uint64_t)config_kv_dim(c);
    const uint64_t l = (uint64_t)L, g = (uint64_t)G;
    /* per processed row and layer: Q, K, V projections */
    const uint64_t qkv_row = ck_add(ck_mul(d, d, &ok), ck_mul(2, ck_mul(d, kv, &ok), &ok), &ok);
    uint64_t rows, cells, masked_pairs, head_rows;

    if (mode == MODE_TRAIN) {
        rows = l;                                   /* one pass over L rows */
        cells = ck_mul(l, l, &ok);
        masked_pairs = l * (l - 1) / 2;
        head_rows = l;
    } else if (mode == MODE_CACHE) {
        rows = l + g - 1;                           /* L in prefill, 1 per decode step */
        /* L² + Σ_{k=1}^{G-1} (L+k) = L² + (G-1)·L + (G-1)·G/2 */
        cells = ck_add(ck_add(ck_mul(l, l, &ok), ck_mul(g - 1, l, &ok), &ok), ck_mul(g - 1, g, &ok) / 2, &ok);
        masked_pairs = l * (l - 1) / 2;             /* only prefill has future cells */
        head_rows = g;
    } else {
        /* S1 = Σ_{k=0}^{G-1} (L+k) = G·L + G(G-1)/2
         * S2 = Σ_{k=0}^{G-1} (L+k)² = G·L² + L·G(G-1) + (G-1)G(2G-1)/6 */
        const uint64_t s1 = ck_add(ck_mul(g, l, &ok), ck_mul(g, g - 1, &ok) / 2, &ok);
        const uint64_t tri = ck_mul(ck_mul(g - 1, g, &ok), 2 * g - 1, &ok) / 6;
        const uint64_t s2 = ck_add(ck_add(ck_mul(g, ck_mul(l, l, &ok), &ok), ck_mul(l, ck_mul(g, g - 1, &ok), &ok), &ok),
                                tri, &ok);
        rows = s1;
        cells = s2;
        masked_pairs = (s2 - s1) / 2;               /* Σ t(t-1)/2 */
        head_rows = g;
    }
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = ck_mul(ck_mul(qkv_row, Lyr, &ok), rows, &ok);
    out->mac[CAT_SCORES] = ck_mul(ck_mul(d, Lyr, &ok), cells, &ok);
    out->mac[CAT_VALUES] = out->mac[CAT_SCORES];
    out->mac[CAT_OUT_PROJ] = ck_mul(ck_mul(ck_mul(d, d, &ok), Lyr, &ok), rows, &ok);
    out->mac[CAT_FFN] = ck_mul(ck_mul(ck_mul(2 * d, F, &ok), Lyr, &ok), rows, &ok);
    out->mac[CAT_LM_HEAD] = ck_mul(ck_mul(d, V, &ok), head_rows, &ok);
    out->masked = ck_mul(ck_mul(d, Lyr, &ok), masked_pairs, &ok);
    /* §6.10: 2 MACs per turned element of q (d) and k (kv) of every row */
    if (c->rope) out->rope = ck_mul(ck_mul(2 * (d + kv), Lyr, &ok), rows, &ok);
    uint64_t total = 0;
    for (int i = 0; i < CAT_COUNT; i++) total = ck_add(total, out->mac[i], &ok);
    total = ck_add(total, out->rope, &ok);
    (void)total;
    return ok;
}

uint64_t formulas_kv_bytes(const KvConfig *c, RunMode mode, int L, int k)
{
    if (mode != MODE_CACHE) return 0;
    uint64_t t = (uint64_t)formulas_len(mode, L, k);
    if (c->window > 0 && t > (uint64_t)c->window) t = (uint64_t)c->window;   /* the ring */
    return 2u * (uint64_t)c->n_layers * t * (uint64_t)config_kv_dim(c) * sizeof(float);
}

void formulas_traffic(const KvConfig *c, RunMode mode, int L, int k, Traffic *out)
{
    const uint64_t n = (uint64_t)formulas_rows(mode, L, k), t = (uint64_t)formulas_len(mode, L, k);
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Lyr = (uint64_t)c->n_layers, kv = (uint64_t)config_kv_dim(c), W = (uint64_t)c->window;
    const uint64_t f = sizeof(float);
    /* per layer Wq, Wk, Wv, Wo, W1, W2 once; the head once; n token rows and n position rows */
    const uint64_t emb_rows = c->rope ? 1 : 2;   /* §6.10: no position row with RoPE */
    out->weight_bytes = Lyr * (d * d + 2 * d * kv + d * d + 2 * d * F) * f + d * V * f + emb_rows * n * d * f;
    const uint64_t cols = (mode == MODE_CACHE && k > 0 && W && t > W) ? W : t;
    out->kv_read_bytes = Lyr * cols * kv * f * 2;
    const uint64_t stored = (W && n > W) ? W : n;
    out->kv_write_bytes = mode == MODE_CACHE ? Lyr * stored * kv * f * 2 : 0;
}

uint64_t formulas_kv_blocks(const KvConfig *c, RunMode mode, int L, int k)
{
    if (mode != MODE_CACHE || c->block_size <= 0) return 0;
    const uint64_t t = (uint64_t)formulas_len(mode, L, k), B = (uint64_t)c->block_size;
    const uint64_t W = (uint64_t)c->window, gone = (W && t > W) ? t - W : 0;
    return (t + B - 1) / B - gone / B;
}

uint64_t formulas_kv_reserved_bytes(const KvConfig *c, RunMode mode, int L, int k)
{
    return formulas_kv_blocks(c, mode, L, k) * (uint64_t)c->block_size * 2u *
           (uint64_t)c->n_layers * (uint64_t)config_kv_dim(c) * sizeof(float);
}

/* ---- §6.8 prefix sharing ------------------------------------------------- */

int formulas_shared_rows(const KvConfig *c, int L, int common)
{
    if (c->block_size <= 0 || L < 1) return 0;
    const int s = c->block_size * (common / c->block_size);
    return s < L ? s : L - 1;
}

int formulas_shared_blocks(const KvConfig *c, int s)
{
    return c->block_size > 0 ? (s + c->block_size - 1) / c->block_size : 0;
}

/* One layer of a block of n rows ending at t, no window. */
static void rows_layer(const KvConfig *c, uint64_t n, uint64_t t, OpCounts *out)
{
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, kv = (uint64_t)config_kv_dim(c);
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = n * d * d + 2 * n * d * kv;
    out->mac[CAT_SCORES] = out->mac[CAT_VALUES] = n * t * d;
    out->mac[CAT_OUT_PROJ] = n * d * d;
    out->mac[CAT_FFN] = 2 * n * d * F;
    out->masked = d * n * (n - 1) / 2;   /* only the block's own square has future cells */
    if (c->rope) out->rope = 2 * n * (d + kv);
}

void formulas_step_shared(const KvConfig *c, int L, int s, int k, OpCounts *out)
{
    if (k > 0 || s <= 0) {
        formulas_step(c, MODE_CACHE, L, k, out);
        return;
    }
    if (c->window > 0) {   /* a block from p0 = s: keys from config_first_key(s) on */
        formulas_block(c, s, L - s, 1, out);
        return;
    }
    rows_layer(c, (uint64_t)(L - s), (uint64_t)L, out);
    const uint64_t Lyr = (uint64_t)c->n_layers;
    for (int i = 0; i < CAT_COUNT; i++) out->mac[i] *= Lyr;
    out->masked *= Lyr;
    out->rope *= Lyr;
    out->mac[CAT_LM_HEAD] = (uint64_t)c->d_model * (uint64_t)c->vocab;
}

void formulas_prefix_saved(const KvConfig *c, int L, int s, OpCounts *out)
{
    if (c->window > 0) {   /* the plain prefill minus the shortened one */
        OpCounts plain, shared;
        formulas_step(c, MODE_CACHE, L, 0, &plain);
        formulas_step_shared(c, L, s, 0, &shared);
        for (int i = 0; i < CAT_COUNT; i++) out->mac[i] = plain.mac[i] - shared.mac[i];
        out->masked = plain.masked - shared.masked;
        out->rope = plain.rope - shared.rope;
        return;
    }
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, kv = (uint64_t)config_kv_dim(c);
    const uint64_t Lyr = (uint64_t)c->n_layers, S = (uint64_t)s, l = (uint64_t)L;
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = Lyr * S * (d * d + 2 * d * kv);
    out->mac[CAT_SCORES] = out->mac[CAT_VALUES] = Lyr * S * l * d;
    out->mac[CAT_OUT_PROJ] = Lyr * S * d * d;
    out->mac[CAT_FFN] = Lyr * 2 * S * d * F;
    out->masked = Lyr * d * (l * (l - 1) - (l - S) * (l - S - 1)) / 2;
    if (c->rope) out->rope = Lyr * 2 * S * (d + kv);
}

int formulas_shared_rows_held(const KvConfig *c, int L, int common, int L_donor)
{
    const int s = formulas_shared_rows(c, L, common), W = c->window;
    return (W <= 1 || L_donor <= W || s >= L_donor - 1) ? s : 0;
}

/* Live logical blocks lo .. hi-1 of a sequence holding t positions. */
static void live_blocks(const KvConfig *c, int t, int *lo, int *hi)
{
    const int B = c->block_size, gone = (c->window > 0 && t > c->window) ? t - c->window : 0;
    *lo = gone / B;
    *hi = (t + B - 1) / B;
}

/* The sequence whose block a sharing chain leads to for logical block lb:
 * r's own, or — lb one of the shared blocks holding a shared position r
 * keeps after its prefill, [max(0, L − W), s) — its donor's, and so on. */
static int block_root(const KvConfig *c, const int *L, const int *s, const int *donor, int r, int lb)
{
    for (;;) {
        const int B = c->block_size, first = c->window > 0 && L[r] > c->window ? L[r] - c->window : 0;
        const int lo = lb * B > first ? lb * B : first, hi = (lb + 1) * B < s[r] ? (lb + 1) * B : s[r];
        if (donor[r] < 0 || lo >= hi) return r;
        r = donor[r];
    }
}

uint64_t formulas_pool_blocks(const KvConfig *c, int n, const int *L, const int *s, const int *donor, int k)
{
    if (c->block_size <= 0) return 0;
    uint64_t blocks = 0;
    for (int r = 0; r < n; r++) {
        int lo, hi;
        live_blocks(c, L[r] + k, &lo, &hi);
        for (int lb = lo; lb < hi; lb++) {
            /* one physical block per chain root: count it at its first live holder */
            bool dup = false;
            for (int q = 0; q < r && !dup; q++) {
                int qlo, qhi;
                live_blocks(c, L[q] + k, &qlo, &qhi);
                dup = lb >= qlo && lb < qhi && block_root(c, L, s, donor, q, lb) == block_root(c, L, s, donor, r, lb);
            }
            blocks += !dup;
        }
    }
    return blocks;
}

/* ---- §6.7, §6.9 ------------------------------------------------------------ */

void formulas_block(const KvConfig *c, int p0, int n, int head_rows, OpCounts *out)
{
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, kv = (uint64_t)config_kv_dim(c);
    const uint64_t Lyr = (uint64_t)c->n_layers, N = (uint64_t)n;
    const int t = p0 + n, k_lo = config_first_key(c, p0);
    const uint64_t cols = (uint64_t)(t - k_lo);
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = Lyr * (N * d * d + 2 * N * d * kv);
    out->mac[CAT_SCORES] = Lyr * N * cols * d;
    out->mac[CAT_VALUES] = Lyr * N * cols * d;
    out->mac[CAT_OUT_PROJ] = Lyr * N * d * d;
    out->mac[CAT_FFN] = Lyr * 2 * N * d * F;
    out->mac[CAT_LM_HEAD] = (uint64_t)head_rows * d * (uint64_t)c->vocab;
    out->masked = Lyr * d * (N * cols - visible_pairs(c, n, t));
    if (c->rope) out->rope = Lyr * 2 * N * (d + kv);   /* §6.10 */
}

void formulas_block_traffic(const KvConfig *c, int p0, int n, int head_rows, Traffic *out)
{
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Lyr = (uint64_t)c->n_layers, kv = (uint64_t)config_kv_dim(c), W = (uint64_t)c->window;
    const uint64_t f = sizeof(float), N = (uint64_t)n;
    const uint64_t cols = (uint64_t)(p0 + n - config_first_key(c, p0));
    out->weight_bytes = Lyr * (d * d + 2 * d * kv + d * d + 2 * d * F) * f + (head_rows > 0 ? d * V * f : 0) +
                        (c->rope ? 1 : 2) * N * d * f;   /* no position row with RoPE (§6.10) */
    out->kv_read_bytes = Lyr * cols * kv * f * 2;
    out->kv_write_bytes = Lyr * ((W && N > W) ? W : N) * kv * f * 2;
}

uint64_t formulas_kept_kv_bytes(const KvConfig *c, int kept)
{
    uint64_t t = (uint64_t)kept;
    if (c->window > 0 && t > (uint64_t)c->window) t = (uint64_t)c->window;
    return 2u * (uint64_t)c->n_layers * t * (uint64_t)config_kv_dim(c) * sizeof(float);
}

uint64_t formulas_kept_kv_blocks(const KvConfig *c, int kept)
{
    if (c->block_size <= 0) return 0;
    const uint64_t t = (uint64_t)kept, B = (uint64_t)c->block_size;
    const uint64_t W = (uint64_t)c->window, gone = (W && t > W) ? t - W : 0;
    return (t + B - 1) / B - gone / B;
}

int formulas_chunk_steps(int L, int C, int G)
{
    return (L + C - 1) / C + G - 1;
}

int formulas_batch_chunk_steps(const int *Ls, int n, int C, int G)
{
    int most = 0;
    for (int s = 0; s < n; s++) {
        const int k = C > 0 ? formulas_chunk_steps(Ls[s], C, G) : G;
        if (k > most) most = k;
    }
    return most;
}

int formulas_batch_active(const int *Ls, int n, int C, int G, int k)
{
    int active = 0;
    for (int s = 0; s < n; s++) active += k < (C > 0 ? formulas_chunk_steps(Ls[s], C, G) : G);
    return active;
}

void formulas_chunk_step(const KvConfig *c, int L, int C, int s, OpCounts *out)
{
    const int chunks = (L + C - 1) / C;
    if (s >= chunks) {   /* decode step s − chunks + 1: one row after L + s − chunks held */
        formulas_block(c, L + s - chunks, 1, 1, out);
        return;
    }
    const int p0 = s * C, n = L - p0 < C ? L - p0 : C;
    formulas_block(c, p0, n, s == chunks - 1 ? 1 : 0, out);
}

bool formulas_chunk_total(const KvConfig *c, int L, int C, int G, OpCounts *out)
{
    bool ok = true;
    memset(out, 0, sizeof *out);
    if (c->window > 0 && c->window < L + G) {
        for (int s = 0; s < formulas_chunk_steps(L, C, G); s++) {
            OpCounts x;
            formulas_chunk_step(c, L, C, s, &x);
            for (int i = 0; i < CAT_COUNT; i++) out->mac[i] = ck_add(out->mac[i], x.mac[i], &ok);
            out->masked = ck_add(out->masked, x.masked, &ok);
            out->rope = ck_add(out->rope, x.rope, &ok);
        }
        return ok;
    }
    /* rows, the projections and the head are those of plain cache mode */
    if (!formulas_total(c, MODE_CACHE, L, G, out)) return false;
    const uint64_t d = (uint64_t)c->d_model, Lyr = (uint64_t)c->n_layers;
    const uint64_t l = (uint64_t)L, g = (uint64_t)G, C64 = (uint64_t)C;
    const uint64_t q = l / C64, r = l % C64;
    /* chunk i (1-based, full) is C rows against iC keys: Σ C·iC = C²·q(q+1)/2 */
    const uint64_t chunk_cells = ck_add(ck_mul(ck_mul(C64, C64, &ok), q * (q + 1) / 2, &ok), r * l, &ok);
    const uint64_t decode_cells = ck_add(ck_mul(g - 1, l, &ok), (g - 1) * g / 2, &ok);
    const uint64_t cells = ck_add(chunk_cells, decode_cells, &ok);
    out->mac[CAT_SCORES] = ck_mul(ck_mul(d, Lyr, &ok), cells, &ok);
    out->mac[CAT_VALUES] = out->mac[CAT_SCORES];
    out->masked = ck_mul(ck_mul(d, Lyr, &ok), ck_add(q * (C64 * (C64 - 1) / 2), r * (r - 1) / 2, &ok), &ok);
    return ok;
}

int formulas_prefix_chunk_rows(const KvConfig *c, int L, int common, int donor_L, int donor_s)
{
    const int want = formulas_shared_rows(c, L, common), C = c->chunk, B = c->block_size;
    /* the donor's first step: a chunk of C after its own shared rows, or its whole prompt */
    const int held = C > 0 && donor_L - donor_s > C ? donor_s + C : donor_L;
    const int full = held < donor_L ? held / B * B : held;
    return want < full ? want : full;
}

int formulas_shared_chunks(int L, int s, int C)
{
    return C > 0 ? (L - s + C - 1) / C : 1;
}

void formulas_chunk_shared_step(const KvConfig *c, int L, int s, int C, int k, OpCounts *out)
{
    const int chunks = formulas_shared_chunks(L, s, C), size = C > 0 ? C : L - s;
    if (k >= chunks) {   /* decode step k − chunks + 1: one row after L + k − chunks held */
        formulas_block(c, L + k - chunks, 1, 1, out);
        return;
    }
    const int p0 = s + k * size, n = L - p0 < size ? L - p0 : size;
    formulas_block(c, p0, n, k == chunks - 1 ? 1 : 0, out);
}

bool formulas_chunk_shared_total(const KvConfig *c, int L, int s, int C, int G, OpCounts *out)
{
    bool ok = true;
    memset(out, 0, sizeof *out);
    if ((c->window > 0 && c->window < L + G) || c->rope) {   /* per-step sums */
        for (int k = 0; k < formulas_shared_chunks(L, s, C) + G - 1; k++) {
            OpCounts x;
            formulas_chunk_shared_step(c, L, s, C, k, &x);
            for (int i = 0; i < CAT_COUNT; i++) out->mac[i] = ck_add(out->mac[i], x.mac[i], &ok);
            out->masked = ck_add(out->masked, x.masked, &ok);
            out->rope = ck_add(out->rope, x.rope, &ok);
        }
        return ok;
    }
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, kv = (uint64_t)config_kv_dim(c);
    const uint64_t Lyr = (uint64_t)c->n_layers, V = (uint64_t)c->vocab;
    const uint64_t l = (uint64_t)L, g = (uint64_t)G, s64 = (uint64_t)s, m = l - s64;
    const uint64_t C64 = C > 0 ? (uint64_t)C : m, q = m / C64, r = m % C64;
    const uint64_t rows = ck_add(m, g - 1, &ok);   /* every row computed: the prompt after s, then one per step */
    out->mac[CAT_QKV] = ck_mul(ck_mul(Lyr, rows, &ok), ck_add(ck_mul(d, d, &ok), ck_mul(2, ck_mul(d, kv, &ok), &ok), &ok), &ok);
    out->mac[CAT_OUT_PROJ] = ck_mul(ck_mul(Lyr, rows, &ok), ck_mul(d, d, &ok), &ok);
    out->mac[CAT_FFN] = ck_mul(ck_mul(Lyr, rows, &ok), ck_mul(2, ck_mul(d, F, &ok), &ok), &ok);
    out->mac[CAT_LM_HEAD] = ck_mul(g, ck_mul(d, V, &ok), &ok);
    /* full chunk i (0-based) is C rows against s + (i+1)·C keys: C·s·q + C²·q(q+1)/2; the rest r rows against L */
    const uint64_t chunk_cells = ck_add(ck_add(ck_mul(ck_mul(C64, s64, &ok), q, &ok),
                                               ck_mul(ck_mul(C64, C64, &ok), q * (q + 1) / 2, &ok), &ok),
                                        ck_mul(r, l, &ok), &ok);
    const uint64_t decode_cells = ck_add(ck_mul(g - 1, l, &ok), (g - 1) * g / 2, &ok);
    out->mac[CAT_SCORES] = ck_mul(ck_mul(d, Lyr, &ok), ck_add(chunk_cells, decode_cells, &ok), &ok);
    out->mac[CAT_VALUES] = out->mac[CAT_SCORES];
    out->masked = ck_mul(ck_mul(d, Lyr, &ok), ck_add(q * (C64 * (C64 - 1) / 2), r * (r - 1) / 2, &ok), &ok);
    return ok;
}

void formulas_verify_step(const KvConfig *c, int T, int k, OpCounts *out)
{
    formulas_block(c, T - 1, 1 + k, 1 + k, out);
}

bool formulas_speculate_bound(const KvConfig *c, int L, int G, int K, OpCounts *out)
{
    /* at most G steps, each at most min(K, G) + 1 rows against at most L + G keys */
    bool ok = true;
    const uint64_t rows = (uint64_t)(K < G ? K : G) + 1, t = (uint64_t)L + (uint64_t)G;
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, kv = (uint64_t)config_kv_dim(c);
    const uint64_t Lyr = (uint64_t)c->n_layers, steps = (uint64_t)G + (uint64_t)L;   /* + chunks */
    const uint64_t per_row = ck_add(ck_add(ck_mul(d, ck_add(ck_mul(2, d, &ok), ck_mul(2, kv, &ok), &ok), &ok),
                                           ck_mul(2, ck_mul(t, d, &ok), &ok), &ok),
                                    ck_mul(2, ck_mul(d, F, &ok), &ok), &ok);
    const uint64_t all_rows = ck_mul(steps, rows, &ok);
    memset(out, 0, sizeof *out);
    out->mac[CAT_QKV] = ck_mul(ck_mul(all_rows, Lyr, &ok), per_row, &ok);   /* every layer category, lumped */
    out->mac[CAT_LM_HEAD] = ck_mul(all_rows, ck_mul(d, (uint64_t)c->vocab, &ok), &ok);
    ck_add(out->mac[CAT_QKV], out->mac[CAT_LM_HEAD], &ok);
    return ok;
}

double formulas_spec_tokens_per_step(int k, double a)
{
    if (a >= 1.0) return (double)k + 1.0;
    double p = 1.0;
    for (int i = 0; i <= k; i++) p *= a;
    return (1.0 - p) / (1.0 - a);
}
