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

#include <stddef.h>
#include <stdint.h>

#define KERNEL_LN_EPS 1e-5f

/* out[n, m] = in[n, k] · w[k, m].   MACs: n·k·m
 * The readable reference product on row-major w, in axpy form: each row
 * adds in[i][p] · w[p][:] to its output row for p = 0 .. k-1. The engine
 * uses kernel_matmul_packed (below), which gives the same bits; the tests
 * compare the two. */
void kernel_matmul(float *out, const float *in, const float *w,
                   int n, int k, int m, uint64_t *macs);

/* The same product (same bits), also adding to *wbytes the bytes of w its
 * loops touch: k·m·4 when n >= 1 (the first row's pass reads every weight;
 * later rows re-read what a blocked kernel keeps in fast memory), 0 when
 * n = 0. See sim/traffic.h. */
void kernel_matmul_bytes(float *out, const float *in, const float *w,
                         int n, int k, int m, uint64_t *macs, uint64_t *wbytes);

/* The packed weight layout of the fast product (kernel_matmul_packed).
 * A (k, m) matrix is cut into panels of KERNEL_PANEL output columns; a
 * panel holds, for p = 0 .. k-1, the KERNEL_PANEL weights of row p that
 * feed its columns, so one output column's weights, and its neighbours',
 * are read as one contiguous stream. The last panel is narrower: its
 * columns rounded up to 16, padded with zeros. Panel b starts at
 * b · k · KERNEL_PANEL floats. */
#define KERNEL_PANEL 64

/* Floats of the packed form of a (k, m) matrix. */
size_t kernel_packed_floats(int k, int m);

/* dst = w (k, m, row-major) in the packed layout above. */
void kernel_pack(float *dst, const float *w, int k, int m);

/* out[n, m] = in[n, k] · W[k, m] with W packed by kernel_pack; the same
 * bits as kernel_matmul for every n (each output summed from 0 in p order
 * 0 .. k-1, a product then an addition, no fused multiply-add). Several
 * rows are computed together in registers, so one load of a weight serves
 * every row of a block (4 rows in the AVX2 build, 2 in portable C). Counts as
 * kernel_matmul_bytes: MACs n·k·m, weight bytes k·m·4 when n >= 1. */
void kernel_matmul_packed(float *out, const float *in, const float *wp,
                          int n, int k, int m, uint64_t *macs, uint64_t *wbytes);

/* Machine probes for `kvsim bench` (sim/bench.c), compiled with the same
 * variant flags as the product so they use the same vector width.
 * kernel_read_sweep: a read-only pass over x[n] (n a multiple of 64 is
 * best; the rest is read too), summed in 32 independent lanes so that the
 * loads, not the additions, set the pace. Returns the sum, so the reads
 * cannot be optimised away.
 * kernel_mul_add_loop: `iters` rounds of acc = acc + acc · c on
 * KERNEL_PEAK_CHAINS independent vectors: the separate multiply and add of
 * the product's inner loop (no fused multiply-add), with enough
 * independent chains to fill the pipelines. c is tiny, so acc stays
 * 1 and no value becomes subnormal. Sets *flops to 2 · lanes · iters and
 * returns a value that depends on every chain. */
float kernel_read_sweep(const float *x, size_t n);

/*
 * kernel_alloc_stream: memory for a buffer that is streamed again and again
 * (packed weights, the read sweep): aligned to 2 MiB and, where the system
 * offers it, backed by huge pages, so a pass over 20 MB costs a handful of
 * TLB misses instead of one per 4 KiB. Free it with free(). NULL when out
 * of memory.
 */
void *kernel_alloc_stream(size_t bytes);
float kernel_mul_add_loop(long iters, uint64_t *flops);

/* Which variant of kernel_matmul_packed this build has: "portable C" or
 * "AVX2" (make SIMD=avx2; see docs/performance.md). */
const char *kernel_variant(void);

/* y[i] = LayerNorm(x[i]) · gamma + beta for each of n rows of width d. No MACs counted. */
void kernel_layernorm(float *y, const float *x, const float *gamma,
                      const float *beta, int n, int d);
/* The same, also keeping (mean, 1/std) of row i in stat[2i], stat[2i+1]
 * for the backward pass (sim/train.c): the same arithmetic, so the same bits. */
void kernel_layernorm_stats(float *y, float *stat, const float *x, const float *gamma,
                            const float *beta, int n, int d);

/* In place GELU (tanh form, as GPT-2) over len values. */
void kernel_gelu(float *x, int len);

/* Dot product of two vectors of length len. MACs: len
 * Summed in eight interleaved partial sums (lane k: indices k, k+8, ...),
 * combined in a fixed tree, then the last len % 8 products in index order:
 * the order depends on len only (for len < 8 it is plain index order). */
float kernel_dot(const float *a, const float *b, int len, uint64_t *macs);

/* Key rows against every query head: for the `rows` key rows k_r = k +
 * r·k_stride (r = 0 .. rows-1, read front to back, each once for all
 * heads), out[h·out_stride + r] = kernel_dot(q + h·dh, k_r + (h / group)·dh,
 * dh) · scale for h = 0 .. n_heads-1 (group = query heads per K/V head):
 * the same bits as those calls. MACs: rows·n_heads·dh */
void kernel_dot_heads(float *out, size_t out_stride, const float *q, const float *k, size_t k_stride,
                      int rows, int n_heads, int group, int dh, float scale, uint64_t *macs);

/* Value rows into every head's output: for v_r = v + r·v_stride, r = 0 ..
 * rows-1 in order, o[h·dh + x] += w[h·w_stride + r] · v_r[(h / group)·dh + x],
 * the same bits as kernel_axpy per head and row (each output is summed in
 * r order). MACs: rows·n_heads·dh */
void kernel_axpy_heads(float *o, const float *w, size_t w_stride, const float *v, size_t v_stride,
                       int rows, int n_heads, int group, int dh, uint64_t *macs);

/* In place softmax over one row of len values; -INFINITY entries become 0.
 * A row with every entry -INFINITY is left as zeros (never NaN). */
void kernel_softmax(float *row, int len);

/* The first pass of every softmax (kernel_softmax, kmath_softmax): the
 * row's maximum. A row with nothing visible (every cell -inf) is set to
 * zeros and -INFINITY is returned, so the caller stops there. */
float kernel_softmax_max(float *row, int len);

/* out[len] += a · v[len] (one term of A·V).  MACs: len */
void kernel_axpy(float *out, float a, const float *v, int len, uint64_t *macs);

/* Index of the largest value; ties go to the lowest index. */
int kernel_argmax(const float *x, int len);

#endif
