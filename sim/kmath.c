/* kmath: see kmath.h. The scalar functions are the definition; the AVX2
 * loops repeat the same operations in the same order, 8 lanes at a time. */
#include "sim/kmath.h"

#include "sim/kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x = 2^n · e^r with n = round(x · log2 e) and r = x − n·ln 2, the
 * subtraction in two parts (LN2_HI has 9 significant bits, so n · LN2_HI
 * is exact for |n| <= 127). e^r on [−ln2/2, ln2/2] is Cephes' expf
 * polynomial: 1 + r + r²·P(r). n is rounded by adding and subtracting
 * 1.5 · 2^23 (round to nearest, ties to even, in float arithmetic), so
 * no rounding-mode-dependent conversion is involved. */
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define ROUND_SHIFT 12582912.0f /* 1.5 · 2^23 */
#define EXP_LO -87.0f           /* below: 0 (2^n would leave the normal range) */
#define EXP_HI 88.0f            /* above: +inf */
#define P0 1.9875691500e-4f
#define P1 1.3981999507e-3f
#define P2 8.3334519073e-3f
#define P3 4.1665795894e-2f
#define P4 1.6666665459e-1f
#define P5 5.0000001201e-1f
#define GELU_A 0.044715f
#define GELU_2C 1.5957691216f /* 2 · sqrt(2/pi) */

float kmath_exp(float x)
{
    if (x != x) return x;
    if (x < EXP_LO) return 0.0f;
    if (x > EXP_HI) return INFINITY;
    const float n = (x * LOG2E + ROUND_SHIFT) - ROUND_SHIFT;
    float r = x - n * LN2_HI;
    r = r - n * LN2_LO;
    const float z = r * r;
    float y = P0;
    y = y * r + P1;
    y = y * r + P2;
    y = y * r + P3;
    y = y * r + P4;
    y = y * r + P5;
    y = y * z + r;
    y = y + 1.0f;
    const uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;   /* 2^n, n in -126 .. 127 */
    float s;
    memcpy(&s, &bits, sizeof s);
    return y * s;
}

static float gelu1(float v)
{
    float t = v * v;
    t = t * v;
    t = GELU_A * t;
    t = v + t;
    const float y2 = GELU_2C * t;
    return v / (1.0f + kmath_exp(-y2));
}

#if defined(KVSIM_AVX2)
#include <immintrin.h>

/* kmath_exp on 8 lanes: the same operations, with the three special
 * cases chosen per lane at the end. */
static inline __m256 exp8(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(EXP_LO), hi = _mm256_set1_ps(EXP_HI);
    /* any value in range for the arithmetic; out-of-range lanes are replaced below */
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    const __m256 shift = _mm256_set1_ps(ROUND_SHIFT);
    const __m256 n = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(xc, _mm256_set1_ps(LOG2E)), shift), shift);
    __m256 r = _mm256_sub_ps(xc, _mm256_mul_ps(n, _mm256_set1_ps(LN2_HI)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(LN2_LO)));
    const __m256 z = _mm256_mul_ps(r, r);
    __m256 y = _mm256_set1_ps(P0);
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(P1));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(P2));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(P3));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(P4));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(P5));
    y = _mm256_add_ps(_mm256_mul_ps(y, z), r);
    y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* The lanes joined in the tree ((0+4)+(2+6)) + ((1+5)+(3+7)), as
 * kernel_dot_heads does it (sim/kernels.c). */
static inline float lanes_sum(__m256 acc)
{
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}
#endif

void kmath_gelu(float *x, int len)
{
    int i = 0;
#if defined(KVSIM_AVX2)
    const __m256 a = _mm256_set1_ps(GELU_A), c2 = _mm256_set1_ps(GELU_2C), one = _mm256_set1_ps(1.0f);
    const __m256 neg = _mm256_set1_ps(-0.0f);
    for (; i + 8 <= len; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        __m256 t = _mm256_mul_ps(_mm256_mul_ps(v, v), v);
        t = _mm256_add_ps(v, _mm256_mul_ps(a, t));
        const __m256 my2 = _mm256_xor_ps(_mm256_mul_ps(c2, t), neg);   /* -y2: a sign flip, exact */
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, exp8(my2))));
    }
#endif
    for (; i < len; i++) x[i] = gelu1(x[i]);
}

void kmath_softmax(float *row, int len)
{
    const float mx = kernel_softmax_max(row, len);
    if (mx == -INFINITY) return;    /* nothing visible: the row is all zeros */
    /* exp(-inf - mx) = kmath_exp(-inf) = 0: masked cells add exact zeros */
    int j = 0;
    float sum;
#if defined(KVSIM_AVX2)
    const __m256 vmx = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    for (; j + 8 <= len; j += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), vmx));
        _mm256_storeu_ps(row + j, e);
        acc = _mm256_add_ps(acc, e);
    }
    if (j < len) {   /* the tail in its lanes, the missing ones as zeros */
        float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int k = 0; j + k < len; k++) tail[k] = row[j + k] = kmath_exp(row[j + k] - mx);
        acc = _mm256_add_ps(acc, _mm256_loadu_ps(tail));
        j = len;
    }
    sum = lanes_sum(acc);
#else
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (; j < len; j++) {
        row[j] = kmath_exp(row[j] - mx);
        acc[j % 8] += row[j];
    }
    sum = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
#endif
    const float inv = 1.0f / sum;
    for (j = 0; j < len; j++) row[j] *= inv;
}
