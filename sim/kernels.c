/* kernels: see kernels.h. Shapes first, then the passes. */
#include "sim/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Counter updates. -DKVSIM_NO_COUNT compiles them out of this file; that
 * build exists only to measure what counting costs (docs/performance.md)
 * and reports zero MACs and zero weight bytes. */
#ifdef KVSIM_NO_COUNT
#define COUNT_ADD(ctr, amount) ((void)(ctr), (void)(amount))
#else
#define COUNT_ADD(ctr, amount) (*(ctr) += (uint64_t)(amount))
#endif

/* The multiply-accumulate kernels start on a 64-byte boundary, so where
 * their inner loops fall relative to the CPU's 64-byte fetch blocks does
 * not depend on the link order or on the size of unrelated code. Without
 * it one link order put the matmul loop across two blocks and recompute at
 * d = 288 took 32 s instead of 23 s (docs/performance.md). */
#if defined(__GNUC__) || defined(__clang__)
#define HOT_KERNEL __attribute__((aligned(64)))
#else
#define HOT_KERNEL
#endif

void kernel_matmul(float *out, const float *in, const float *w,
                   int n, int k, int m, uint64_t *macs)
{
    uint64_t wbytes = 0;
    kernel_matmul_bytes(out, in, w, n, k, m, macs, &wbytes);
}

HOT_KERNEL
void kernel_matmul_bytes(float *out, const float *in, const float *w,
                         int n, int k, int m, uint64_t *macs, uint64_t *wbytes)
{
    /* out: (n, m)   in: (n, k)   w: (k, m)
     * Row by row; within a row, walk w one input feature at a time and
     * add in[i][p] · w[p][:] to the whole output row (axpy form). The
     * inner loop runs over independent output elements, so the compiler
     * may vectorise it while every element is still summed in p order. */
    uint64_t n_macs = 0, n_bytes = 0;   /* counted here, added to *macs / *wbytes once at the end */
    for (int i = 0; i < n; i++) {
        float *o = out + (size_t)i * m;
        const float *x = in + (size_t)i * k;
        memset(o, 0, sizeof(float) * (size_t)m);
        for (int p = 0; p < k; p++) {
            const float a = x[p];
            const float *wr = w + (size_t)p * m;
            for (int j = 0; j < m; j++) o[j] += a * wr[j];
            n_macs += (uint64_t)m;
            if (i == 0) n_bytes += (uint64_t)m * sizeof(float);   /* first touch of row p of w */
        }
    }
    /* One update of the caller's counters per call: updating them in every
     * p iteration (a read-modify-write through memory) made recompute at
     * d = 288 45-50% slower (docs/performance.md). */
    COUNT_ADD(macs, n_macs);
    COUNT_ADD(wbytes, n_bytes);
}

/* ---- the packed product ---------------------------------------------------
 *
 * Why: in axpy form (kernel_matmul_bytes) every p iteration loads and
 * stores the whole output row, and a decode step walks w row by row. Here
 * a tile of outputs stays in registers for the whole p loop, and each
 * weight is loaded once per tile:
 *   - one row (decode): a whole panel of J = 64 columns, so the packed
 *     matrix is read front to back as one stream, at the rate memory
 *     delivers it;
 *   - a block of rows (prefill, recompute): a 16-column slice of a panel
 *     for TILE_ROWS rows at once, so each loaded weight serves every row
 *     of the block.
 * Each output is still 0 + in[0]·w[0] + in[1]·w[1] + ... in p order, a
 * product then an addition, so the bits equal kernel_matmul's whatever
 * the tile.
 */

#define J KERNEL_PANEL
#define SLICE 16   /* columns of a row-block tile */

/* Width of panel b of a matrix with m columns: J, or for the last panel
 * its columns rounded up to SLICE (so padding is at most SLICE - 1). */
static int panel_width(int b, int m)
{
    const int rest = m - b * J;
    return rest >= J ? J : (rest + SLICE - 1) / SLICE * SLICE;
}

size_t kernel_packed_floats(int k, int m)
{
    if (k <= 0 || m <= 0) return 0;
    return (size_t)k * (size_t)((m + SLICE - 1) / SLICE * SLICE);
}

void kernel_pack(float *dst, const float *w, int k, int m)
{
    /* dst: panels of (k, pw): pw = J, the last one narrower (panel_width);
     * panel b starts at b·k·J   w: (k, m) */
    for (int b = 0; b * J < m; b++) {
        const int pw = panel_width(b, m);
        for (int p = 0; p < k; p++) {
            float *d = dst + (size_t)b * k * J + (size_t)p * pw;
            for (int j = 0; j < pw; j++) {
                const int c = b * J + j;
                d[j] = c < m ? w[(size_t)p * m + (size_t)c] : 0.0f;
            }
        }
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* MACs a tile performed for real outputs: its rows times the p iterations
 * its loop ran times the columns it stored (padding excluded). */
static ALWAYS_INLINE uint64_t tile_macs(int rows, int p_done, int cols)
{
    return (uint64_t)rows * (uint64_t)p_done * (uint64_t)(cols > 0 ? cols : 0);
}

#if defined(KVSIM_AVX2)
#include <immintrin.h>
/* AVX2 (make SIMD=avx2). Both tiles keep eight 8-float accumulators in
 * named variables, so they stay in registers for the whole p loop. */
enum { TILE_ROWS = 4 };

/* Store 16 columns (lo, hi) at o, only the first `cols` of them. */
static ALWAYS_INLINE void store16(float *o, __m256 lo, __m256 hi, int cols)
{
    if (cols >= 16) {
        _mm256_storeu_ps(o, lo);
        _mm256_storeu_ps(o + 8, hi);
    } else if (cols > 0) {
        float tmp[16];
        _mm256_storeu_ps(tmp, lo);
        _mm256_storeu_ps(tmp + 8, hi);
        for (int j = 0; j < cols; j++) o[j] = tmp[j];
    }
}

#define MAC(acc, a, w) acc = _mm256_add_ps(acc, _mm256_mul_ps(a, w))

/* One row × one panel (64 columns c0 ..): the decode tile. */
static uint64_t tile_row(float *out, const float *in, const float *w, int k, int cols)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    int p = 0;
    for (; p < k; p++, w += J) {
        const __m256 b = _mm256_broadcast_ss(in + p);
        MAC(a0, b, _mm256_loadu_ps(w));      MAC(a1, b, _mm256_loadu_ps(w + 8));
        MAC(a2, b, _mm256_loadu_ps(w + 16)); MAC(a3, b, _mm256_loadu_ps(w + 24));
        MAC(a4, b, _mm256_loadu_ps(w + 32)); MAC(a5, b, _mm256_loadu_ps(w + 40));
        MAC(a6, b, _mm256_loadu_ps(w + 48)); MAC(a7, b, _mm256_loadu_ps(w + 56));
    }
    store16(out, a0, a1, cols);
    store16(out + 16, a2, a3, cols - 16);
    store16(out + 32, a4, a5, cols - 32);
    store16(out + 48, a6, a7, cols - 48);
    return tile_macs(1, p, cols < J ? cols : J);
}

/* One row × one 16-column slice of a narrow last panel (row stride pw). */
static uint64_t tile_row16(float *out, const float *in, const float *w, int k, int pw, int cols)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int p = 0;
    for (; p < k; p++, w += pw) {
        const __m256 b = _mm256_broadcast_ss(in + p);
        MAC(a0, b, _mm256_loadu_ps(w)); MAC(a1, b, _mm256_loadu_ps(w + 8));
    }
    store16(out, a0, a1, cols);
    return tile_macs(1, p, cols < SLICE ? cols : SLICE);
}

/* TILE_ROWS rows × one 16-column slice; w points at the slice in row p = 0
 * of its panel (row stride pw), out at the slice's first column of the
 * first row. */
static uint64_t tile_rows(float *out, int m, const float *in, const float *w, int k, int pw, int cols)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    const float *x0 = in, *x1 = in + k, *x2 = in + 2 * (size_t)k, *x3 = in + 3 * (size_t)k;
    int p = 0;
    for (; p < k; p++, w += pw) {
        const __m256 lo = _mm256_loadu_ps(w), hi = _mm256_loadu_ps(w + 8);
        __m256 b = _mm256_broadcast_ss(x0 + p);
        MAC(a0, b, lo); MAC(a1, b, hi);
        b = _mm256_broadcast_ss(x1 + p);
        MAC(a2, b, lo); MAC(a3, b, hi);
        b = _mm256_broadcast_ss(x2 + p);
        MAC(a4, b, lo); MAC(a5, b, hi);
        b = _mm256_broadcast_ss(x3 + p);
        MAC(a6, b, lo); MAC(a7, b, hi);
    }
    store16(out, a0, a1, cols);
    store16(out + (size_t)m, a2, a3, cols);
    store16(out + 2 * (size_t)m, a4, a5, cols);
    store16(out + 3 * (size_t)m, a6, a7, cols);
    return tile_macs(4, p, cols < SLICE ? cols : SLICE);
}
#undef MAC
#else
/* Portable C11: the compiler vectorises the j loop (baseline x86-64:
 * four SSE lanes) over an accumulator row that lives in L1. Every row is
 * a decode tile, one row × a whole panel: blocking rows in plain C made
 * gcc vectorise across the rows instead and ran at a third of the speed
 * (docs/performance.md §5.2), so prefill and recompute reuse each panel
 * from L1/L2 row after row instead of from registers. */
enum { TILE_ROWS = 1 };

static uint64_t tile_row(float *out, const float *in, const float *w, int k, int cols)
{
    float acc[J] = {0.0f};
    int p = 0;
    for (; p < k; p++, w += J) {
        const float a = in[p];
        for (int j = 0; j < J; j++) acc[j] += a * w[j];
    }
    for (int j = 0; j < J && j < cols; j++) out[j] = acc[j];
    return tile_macs(1, p, cols < J ? cols : J);
}

/* One row × one 16-column slice of a narrow last panel (row stride pw). */
static uint64_t tile_row16(float *out, const float *in, const float *w, int k, int pw, int cols)
{
    float acc[SLICE] = {0.0f};
    int p = 0;
    for (; p < k; p++, w += pw) {
        const float a = in[p];
        for (int j = 0; j < SLICE; j++) acc[j] += a * w[j];
    }
    for (int j = 0; j < SLICE && j < cols; j++) out[j] = acc[j];
    return tile_macs(1, p, cols < SLICE ? cols : SLICE);
}
#endif

HOT_KERNEL
void kernel_matmul_packed(float *out, const float *in, const float *wp,
                          int n, int k, int m, uint64_t *macs, uint64_t *wbytes)
{
    /* out: (n, m)   in: (n, k)   wp: packed, panel b at b·k·J, (k, pw) */
    uint64_t n_macs = 0;   /* counted as the tiles run, added to *macs once */
    uint64_t first = 0;    /* MACs of the first row (block): k·m */
    int i = 0;
#if defined(KVSIM_AVX2)
    for (; i + TILE_ROWS <= n; i += TILE_ROWS) {
        uint64_t blk = 0;
        for (int c0 = 0; c0 < m; c0 += SLICE) {
            const int b = c0 / J;
            blk += tile_rows(out + (size_t)i * m + c0, m, in + (size_t)i * k,
                             wp + (size_t)b * k * J + (size_t)(c0 % J), k, panel_width(b, m), m - c0);
        }
        if (i == 0) first = blk / TILE_ROWS;
        n_macs += blk;
    }
#endif
    /* the rows left over, one at a time, a whole panel per tile */
    for (; i < n; i++) {
        uint64_t row = 0;
        for (int b = 0; b * J < m; b++) {
            const int pw = panel_width(b, m), c0 = b * J;
            const float *w = wp + (size_t)b * k * J;
            float *o = out + (size_t)i * m + c0;
            const float *x = in + (size_t)i * k;
            if (pw == J)
                row += tile_row(o, x, w, k, m - c0);
            else
                for (int s = 0; s < pw; s += SLICE) row += tile_row16(o + s, x, w + s, k, pw, m - c0 - s);
        }
        if (i == 0) first = row;
        n_macs += row;
    }
    COUNT_ADD(macs, n_macs);
    /* the first row's pass touches every weight once (sim/traffic.h) */
    COUNT_ADD(wbytes, first * sizeof(float));
}

void *kernel_alloc_stream(size_t bytes)
{
    enum { HUGE = 2u << 20 };
    if (bytes < HUGE) return malloc(bytes ? bytes : 1);
    const size_t size = (bytes + HUGE - 1) / HUGE * HUGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE, size)) return NULL;
#if defined(MADV_HUGEPAGE)
    (void)madvise(p, size, MADV_HUGEPAGE);   /* a hint: without huge pages it still works */
#endif
    return p;
}

HOT_KERNEL
float kernel_read_sweep(const float *x, size_t n)
{
    size_t i = 0;
    float total = 0.0f;
#if defined(KVSIM_AVX2)
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (int k = 0; k < 8; k++) total += lanes[k];
#else
    float acc[32] = {0.0f};
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 32; k++) acc[k] += x[i + k];
    for (int k = 0; k < 32; k++) total += acc[k];
#endif
    for (; i < n; i++) total += x[i];
    return total;
}

HOT_KERNEL
float kernel_mul_add_loop(long iters, uint64_t *flops)
{
#if defined(KVSIM_AVX2)
    /* 12 chains of 8 lanes: each round is 12 multiplies and 12 additions,
     * a multiply (3 cycles) then an add (3 cycles) per chain */
    /* through volatile, so that the compiler cannot find the fixed point */
    volatile float one = 1.0f, tiny = 1e-8f;
    const __m256 c = _mm256_set1_ps(tiny);
    /* distinct starting values, or the compiler merges identical chains */
#define START(k) _mm256_set1_ps(one * (1.0f + (float)(k) / 16.0f))
    __m256 a0 = START(0), a1 = START(1), a2 = START(2), a3 = START(3), a4 = START(4), a5 = START(5);
    __m256 a6 = START(6), a7 = START(7), a8 = START(8), a9 = START(9), a10 = START(10), a11 = START(11);
#undef START
#define STEP(a) a = _mm256_add_ps(a, _mm256_mul_ps(a, c))
    for (long r = 0; r < iters; r++) {
        STEP(a0); STEP(a1); STEP(a2); STEP(a3); STEP(a4); STEP(a5);
        STEP(a6); STEP(a7); STEP(a8); STEP(a9); STEP(a10); STEP(a11);
    }
#undef STEP
    *flops = 2u * 12u * 8u * (uint64_t)(iters > 0 ? iters : 0);
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[7];
#else
    /* 48 chains; the compiler keeps them in vector registers */
    volatile float one = 1.0f, tiny = 1e-8f;   /* as above */
    const float c = tiny;
    float a[48];
    for (int k = 0; k < 48; k++) a[k] = one * (1.0f + (float)k / 64.0f);   /* distinct chains */
    for (long r = 0; r < iters; r++)
        for (int k = 0; k < 48; k++) a[k] = a[k] + a[k] * c;
    *flops = 2u * 48u * (uint64_t)(iters > 0 ? iters : 0);
    float sum = 0.0f;
    for (int k = 0; k < 48; k++) sum += a[k];
    return sum;
#endif
}

const char *kernel_variant(void)
{
#if defined(KVSIM_AVX2)
    return "AVX2";
#else
    return "portable C";
#endif
}

#undef J

void kernel_layernorm(float *y, const float *x, const float *gamma,
                      const float *beta, int n, int d)
{
    kernel_layernorm_stats(y, NULL, x, gamma, beta, n, d);
}

void kernel_layernorm_stats(float *y, float *stat, const float *x, const float *gamma,
                            const float *beta, int n, int d)
{
    /* y, x: (n, d)   gamma, beta: (d)   stat: (n, 2) or NULL */
    for (int i = 0; i < n; i++) {
        const float *xr = x + (size_t)i * d;
        float *yr = y + (size_t)i * d;
        float mean = 0.0f, var = 0.0f;
        for (int j = 0; j < d; j++) mean += xr[j];
        mean /= (float)d;
        for (int j = 0; j < d; j++) {
            float c = xr[j] - mean;
            var += c * c;
        }
        var /= (float)d;
        const float inv = 1.0f / sqrtf(var + KERNEL_LN_EPS);
        for (int j = 0; j < d; j++) yr[j] = (xr[j] - mean) * inv * gamma[j] + beta[j];
        if (stat) {
            stat[2 * i] = mean;
            stat[2 * i + 1] = inv;
        }
    }
}

void kernel_gelu(float *x, int len)
{
    const float c = 0.7978845608f; /* sqrt(2/pi) */
    for (int i = 0; i < len; i++) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + tanhf(c * (v + 0.044715f * v * v * v)));
    }
}

HOT_KERNEL
float kernel_dot(const float *a, const float *b, int len, uint64_t *macs)
{
    /* Eight partial sums, so that the additions do not wait on one another
     * (one running sum is bound by the add latency): lane k adds the
     * products of indices k, k+8, k+16, ... of the first len - len % 8
     * elements, in index order; the lanes are then combined in the fixed
     * tree ((0+4) + (2+6)) + ((1+5) + (3+7)); the last len % 8 products
     * follow in index order. The order depends on len only, never on the
     * caller, and for len < 8 it is the plain index-order sum. */
    float acc[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int i = 0;
    for (; i + 8 <= len; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[i + k] * b[i + k];
    float s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    for (; i < len; i++) s += a[i] * b[i];
    COUNT_ADD(macs, len);
    return s;
}

#if defined(KVSIM_AVX2)
/* The eight lanes of kernel_dot are one 8-float vector here: lane k of
 * acc sums the products of indices k, k+8, ... in index order, and the
 * lanes are combined in kernel_dot's tree ((0+4)+(2+6)) + ((1+5)+(3+7)):
 * lo+hi gives (0+4, 1+5, 2+6, 3+7), adding its upper half to it gives
 * ((0+4)+(2+6), (1+5)+(3+7)), and the last addition joins those two. */
static ALWAYS_INLINE float lanes_sum(__m256 acc)
{
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

static ALWAYS_INLINE float dot_tail(float s, const float *a, const float *b, int i, int len)
{
    for (; i < len; i++) s += a[i] * b[i];
    return s;
}
#endif

#if defined(KVSIM_AVX2)
/* Eight rows' lanes_sum at once: lane r of the result is lanes_sum(a_r).
 * The same tree, transposed: lo+hi pairs (k, k+4) of rows r and r+4 in
 * one addition, then (k, k+2), then (k, k+1); float addition commutes
 * exactly, so each sum is bit for bit lanes_sum's. */
static ALWAYS_INLINE __m256 lanes_sum8(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 a4, __m256 a5,
                                      __m256 a6, __m256 a7)
{
    const __m256 p0 = _mm256_add_ps(_mm256_permute2f128_ps(a0, a4, 0x20), _mm256_permute2f128_ps(a0, a4, 0x31));
    const __m256 p1 = _mm256_add_ps(_mm256_permute2f128_ps(a1, a5, 0x20), _mm256_permute2f128_ps(a1, a5, 0x31));
    const __m256 p2 = _mm256_add_ps(_mm256_permute2f128_ps(a2, a6, 0x20), _mm256_permute2f128_ps(a2, a6, 0x31));
    const __m256 p3 = _mm256_add_ps(_mm256_permute2f128_ps(a3, a7, 0x20), _mm256_permute2f128_ps(a3, a7, 0x31));
    /* p_r: (0+4, 1+5, 2+6, 3+7) of row r, then of row r+4 */
    const __m256 q01 = _mm256_add_ps(_mm256_shuffle_ps(p0, p1, 0x44), _mm256_shuffle_ps(p0, p1, 0xEE));
    const __m256 q23 = _mm256_add_ps(_mm256_shuffle_ps(p2, p3, 0x44), _mm256_shuffle_ps(p2, p3, 0xEE));
    /* q01: the two halves of the tree for rows 0, 1 | 4, 5; q23: 2, 3 | 6, 7 */
    return _mm256_add_ps(_mm256_shuffle_ps(q01, q23, 0x88), _mm256_shuffle_ps(q01, q23, 0xDD));
}

/* Ask for the next block of eight rows (8 · stride floats from p) while
 * this one is computed: the block is read head by head, 192 bytes of each
 * row at a time, an order the hardware prefetcher does not follow as well
 * as one front-to-back pass; in the engine this took about 5 µs off a
 * d288-T256 token's attention (docs/performance.md §2.0). */
static ALWAYS_INLINE void prefetch_block(const float *p, size_t stride)
{
    for (size_t x = 0; x < 8 * stride; x += 64 / sizeof(float)) _mm_prefetch((const char *)(p + x), _MM_HINT_T0);
}

/* Eight key rows (k_stride apart) against one query head of dh terms: the
 * eight dots, each summed as kernel_dot sums it (dh % 8 == 0). */
static ALWAYS_INLINE __m256 dot8_rows(const float *a, const float *b, size_t ks, int dh)
{
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    for (int i = 0; i < dh; i += 8) {
        const __m256 x = _mm256_loadu_ps(a + i);
        c0 = _mm256_add_ps(c0, _mm256_mul_ps(x, _mm256_loadu_ps(b + 0 * ks + i)));
        c1 = _mm256_add_ps(c1, _mm256_mul_ps(x, _mm256_loadu_ps(b + 1 * ks + i)));
        c2 = _mm256_add_ps(c2, _mm256_mul_ps(x, _mm256_loadu_ps(b + 2 * ks + i)));
        c3 = _mm256_add_ps(c3, _mm256_mul_ps(x, _mm256_loadu_ps(b + 3 * ks + i)));
        c4 = _mm256_add_ps(c4, _mm256_mul_ps(x, _mm256_loadu_ps(b + 4 * ks + i)));
        c5 = _mm256_add_ps(c5, _mm256_mul_ps(x, _mm256_loadu_ps(b + 5 * ks + i)));
        c6 = _mm256_add_ps(c6, _mm256_mul_ps(x, _mm256_loadu_ps(b + 6 * ks + i)));
        c7 = _mm256_add_ps(c7, _mm256_mul_ps(x, _mm256_loadu_ps(b + 7 * ks + i)));
    }
    return lanes_sum8(c0, c1, c2, c3, c4, c5, c6, c7);
}
#endif

HOT_KERNEL
void kernel_dot_heads(float *out, size_t out_stride, const float *q, const float *k, size_t k_stride,
                      int rows, int n_heads, int group, int dh, float scale, uint64_t *macs)
{
    /* out[h · out_stride + r] = (q[h·dh ..] · k_r[(h / group)·dh ..]) · scale,
     * for key rows k_r = k + r · k_stride, r = 0 .. rows-1. The K/V head of
     * query head h steps along with h (no division per row). */
    int r = 0;
#if defined(KVSIM_AVX2)
    /* Eight rows at a time, head by head: eight independent sums, and one
     * transposed tree for all eight instead of eight horizontal ones. */
    if (dh % 8 == 0) {
        const __m256 sc = _mm256_set1_ps(scale);
        for (; r + 8 <= rows; r += 8) {
            const float *k8 = k + (size_t)r * k_stride;
            if (r + 16 <= rows) prefetch_block(k8 + 8 * k_stride, k_stride);
            for (int h = 0, hk = 0, in_group = 0; h < n_heads; h++) {
                const __m256 s = dot8_rows(q + (size_t)h * dh, k8 + (size_t)hk * dh, k_stride, dh);
                _mm256_storeu_ps(out + (size_t)h * out_stride + (size_t)r, _mm256_mul_ps(s, sc));
                if (++in_group == group) in_group = 0, hk++;
            }
        }
    }
#endif
    for (; r < rows; r++) {   /* one row at a time */
        const float *krow = k + (size_t)r * k_stride;
        for (int h = 0, hk = 0, in_group = 0; h < n_heads; h++) {
            const float *a = q + (size_t)h * dh, *b = krow + (size_t)hk * dh;
#if defined(KVSIM_AVX2)
            const int body = dh - dh % 8;
            __m256 acc = _mm256_setzero_ps();
            for (int i = 0; i < body; i += 8)
                acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
            out[(size_t)h * out_stride + (size_t)r] = dot_tail(lanes_sum(acc), a, b, body, dh) * scale;
#else
            uint64_t unused = 0;
            out[(size_t)h * out_stride + (size_t)r] = kernel_dot(a, b, dh, &unused) * scale;
#endif
            if (++in_group == group) in_group = 0, hk++;
        }
    }
    COUNT_ADD(macs, (uint64_t)rows * (uint64_t)n_heads * (uint64_t)dh);
}

HOT_KERNEL
void kernel_axpy_heads(float *o, const float *w, size_t w_stride, const float *v, size_t v_stride,
                       int rows, int n_heads, int group, int dh, uint64_t *macs)
{
    /* o[h·dh + x] += w[h · w_stride + r] · v_r[(h / group)·dh + x] for value
     * rows v_r = v + r · v_stride, r = 0 .. rows-1, each output summed in r
     * order. */
    int r = 0;
#if defined(KVSIM_AVX2)
    /* Eight rows at a time, head by head, 8 floats of the head's output in
     * a register while the eight rows add into it (in row order). */
    if (dh % 8 == 0)
        for (; r + 8 <= rows; r += 8) {
            const float *v8 = v + (size_t)r * v_stride;
            if (r + 16 <= rows) prefetch_block(v8 + 8 * v_stride, v_stride);
            for (int h = 0, hk = 0, in_group = 0; h < n_heads; h++) {
                float *oh = o + (size_t)h * dh;
                const float *vh = v8 + (size_t)hk * dh, *wh = w + (size_t)h * w_stride + (size_t)r;
                for (int x = 0; x < dh; x += 8) {
                    __m256 acc = _mm256_loadu_ps(oh + x);
                    for (int j = 0; j < 8; j++)
                        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(wh[j]),
                                                               _mm256_loadu_ps(vh + (size_t)j * v_stride + x)));
                    _mm256_storeu_ps(oh + x, acc);
                }
                if (++in_group == group) in_group = 0, hk++;
            }
        }
#endif
    for (; r < rows; r++) {   /* one row at a time */
        const float *vrow = v + (size_t)r * v_stride;
        for (int h = 0, hk = 0, in_group = 0; h < n_heads; h++) {
            float *oh = o + (size_t)h * dh;
            const float a = w[(size_t)h * w_stride + (size_t)r], *vh = vrow + (size_t)hk * dh;
            int x = 0;
#if defined(KVSIM_AVX2)
            const __m256 b = _mm256_set1_ps(a);
            for (; x + 8 <= dh; x += 8)
                _mm256_storeu_ps(oh + x, _mm256_add_ps(_mm256_loadu_ps(oh + x),
                                                       _mm256_mul_ps(b, _mm256_loadu_ps(vh + x))));
#endif
            for (; x < dh; x++) oh[x] += a * vh[x];
            if (++in_group == group) in_group = 0, hk++;
        }
    }
    COUNT_ADD(macs, (uint64_t)rows * (uint64_t)n_heads * (uint64_t)dh);
}

float kernel_softmax_max(float *row, int len)
{
    /* The largest value, NaN skipped (row[j] > mx is false for NaN). */
    float mx = -INFINITY;
    int j = 0;
#if defined(KVSIM_AVX2)
    if (len >= 8) {
        /* max_ps(x, m) returns m when x is NaN: NaN is skipped here too. Of
         * two equal values (+0 and −0) it keeps either; exp(x − mx) is the
         * same for both. */
        __m256 m = _mm256_set1_ps(-INFINITY);
        for (; j + 8 <= len; j += 8) m = _mm256_max_ps(_mm256_loadu_ps(row + j), m);
        float lane[8];
        _mm256_storeu_ps(lane, m);
        for (int k = 0; k < 8; k++)
            if (lane[k] > mx) mx = lane[k];
    }
#endif
    for (; j < len; j++)
        if (row[j] > mx) mx = row[j];
    if (mx == -INFINITY) memset(row, 0, sizeof(float) * (size_t)len);   /* an all-zero row, not NaN */
    return mx;
}

void kernel_softmax(float *row, int len)
{
    const float mx = kernel_softmax_max(row, len);
    if (mx == -INFINITY) return;
    float sum = 0.0f;
    for (int j = 0; j < len; j++) {
        /* expf(-inf) is exactly 0, so masked cells add nothing to the sum */
        row[j] = row[j] == -INFINITY ? 0.0f : expf(row[j] - mx);
        sum += row[j];
    }
    const float inv = 1.0f / sum;
    for (int j = 0; j < len; j++) row[j] *= inv;
}

HOT_KERNEL
void kernel_axpy(float *out, float a, const float *v, int len, uint64_t *macs)
{
    for (int i = 0; i < len; i++) out[i] += a * v[i];
    COUNT_ADD(macs, len);
}

int kernel_argmax(const float *x, int len)
{
    int best = 0;
    for (int i = 1; i < len; i++)
        if (x[i] > x[best]) best = i;
    return best;
}
