/* kmath: the engine's exp, GELU and softmax, vectorised and deterministic.
 *
 * Why not libm: a decode step at d = 288 spent about a quarter of its
 * non-streaming time in libm's tanhf (GELU, 4,608 calls a token) and expf
 * (softmax), one value at a time (docs/performance.md §3). These kernels
 * compute 8 values at once in the AVX2 build, and their bits do not depend
 * on the C library, the build variant or the caller:
 *   - kmath_exp is one fixed sequence of float multiplies, additions and
 *     exponent-bit operations (no fused multiply-add, no table, no
 *     library call), the same in the scalar and the vector code;
 *   - so the AVX2 and the portable build give the same bits
 *     (tests/test_kernels.c compares both against the scalar kmath_exp).
 * The engine's forward pass (cache, recompute and its train mode) uses
 * these; sim/train.c's trainer keeps libm's (kernel_gelu, kernel_softmax
 * in sim/kernels.h), so its recorded losses do not move.
 *
 * Accuracy (tests/test_kernels.c): kmath_exp within 2 ulp of exp() for
 * x in [-87, 88]; 0 below -87 (so exp(-inf) = 0), +inf above 88, NaN for
 * NaN. kmath_gelu within 1e-6 (absolute, or relative for |x| > 1) of the
 * tanh form.
 */
#ifndef KVSIM_KMATH_H
#define KVSIM_KMATH_H

/* e^x, as described above. */
float kmath_exp(float x);

/* In place GELU of len values: x · sigmoid(2y) with
 * y = sqrt(2/pi) · (x + 0.044715 x³), which equals GPT-2's tanh form
 * 0.5 x (1 + tanh y) exactly in real arithmetic; the sigmoid is
 * 1 / (1 + kmath_exp(-2y)). Each value is computed alone, so the bits do
 * not depend on len or on a value's neighbours. */
void kmath_gelu(float *x, int len);

/* In place softmax over one row of len values; -INFINITY entries become 0.
 * A row with every entry -INFINITY is left as zeros (never NaN).
 * The sum of the exponentials is taken in 8 lanes by index: lane k adds
 * the values of indices k, k+8, k+16, ... in order, the lanes then join in
 * kernel_dot's tree ((0+4)+(2+6)) + ((1+5)+(3+7)). So a row of a causal
 * block (its masked tail is -INFINITY, adding exact zeros to the lanes)
 * gives the same bits as the same positions computed alone as a shorter
 * row: cache ≡ recompute. */
void kmath_softmax(float *row, int len);

#endif
