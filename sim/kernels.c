/* kernels: see kernels.h. Shapes first, then the passes. */
#include "sim/kernels.h"

#include <math.h>
#include <string.h>

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

void kernel_layernorm(float *y, const float *x, const float *gamma,
                      const float *beta, int n, int d)
{
    /* y, x: (n, d)   gamma, beta: (d) */
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

void kernel_softmax(float *row, int len)
{
    float mx = -INFINITY;
    for (int j = 0; j < len; j++)
        if (row[j] > mx) mx = row[j];
    if (mx == -INFINITY) {          /* nothing visible: an all-zero row, not NaN */
        memset(row, 0, sizeof(float) * (size_t)len);
        return;
    }
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
