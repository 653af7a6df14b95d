/* kernels: the arithmetic of the forward pass, written to be read.
 *
 * Every kernel that multiplies and accumulates adds the number of MACs its
 * loops performed to the counter it is given (*macs). Nothing is derived
 * from a formula.
 *
 * Determinism: each output element is summed in one fixed order that does
 * not depend on how many rows are processed, so one row computed alone
 * (decode) and the same row inside a block (prefill, recompute) are equal
 * bit for bit. Row-major storage everywhere; shapes in brackets.
 *
 * Building sim/kernels.c with -DKVSIM_NO_COUNT removes its counter updates
 * (MACs and weight bytes read as zero); it exists only to measure what
 * counting costs, see docs/performance.md.
 */
#ifndef KVSIM_KERNELS_H
#define KVSIM_KERNELS_H

#include <stdint.h>

#define KERNEL_LN_EPS 1e-5f

/* out[n, m] = in[n, k] · w[k, m].   MACs: n·k·m */
void kernel_matmul(float *out, const float *in, const float *w,
                   int n, int k, int m, uint64_t *macs);

/* The same product (same bits), also adding to *wbytes the bytes of w its
 * loops touch: k·m·4 when n >= 1 (the first row's pass reads every weight;
 * later rows re-read what a blocked kernel keeps in fast memory), 0 when
 * n = 0. See sim/traffic.h. */
void kernel_matmul_bytes(float *out, const float *in, const float *w,
                         int n, int k, int m, uint64_t *macs, uint64_t *wbytes);

/* y[i] = LayerNorm(x[i]) · gamma + beta for each of n rows of width d. No MACs counted. */
void kernel_layernorm(float *y, const float *x, const float *gamma,
                      const float *beta, int n, int d);

/* In place GELU (tanh form, as GPT-2) over len values. */
void kernel_gelu(float *x, int len);

/* Dot product of two vectors of length len. MACs: len
 * Summed in eight interleaved partial sums (lane k: indices k, k+8, ...),
 * combined in a fixed tree, then the last len % 8 products in index order:
 * the order depends on len only (for len < 8 it is plain index order). */
float kernel_dot(const float *a, const float *b, int len, uint64_t *macs);

/* In place softmax over one row of len values; -INFINITY entries become 0.
 * A row with every entry -INFINITY is left as zeros (never NaN). */
void kernel_softmax(float *row, int len);

/* out[len] += a · v[len] (one term of A·V).  MACs: len */
void kernel_axpy(float *out, float a, const float *v, int len, uint64_t *macs);

/* Index of the largest value; ties go to the lowest index. */
int kernel_argmax(const float *x, int len);

#endif
