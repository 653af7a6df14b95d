/* test_kernels: each kernel's arithmetic on small hand-checked inputs, and
 * the MACs each one reports; the KV cache's bookkeeping; the engine's exp,
 * GELU and softmax (sim/kmath.h): accuracy, and the same bits for vector
 * and scalar code, for a row alone and inside a causal block. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/kernels.h"
#include "sim/kmath.h"
#include "sim/kvcache.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_matmul(void **state)
{
    (void)state;
    /* (2,3)·(3,2) */
    const float a[] = {1, 2, 3, 4, 5, 6};
    const float w[] = {1, 0, 0, 1, 1, 1};
    float out[4];
    uint64_t macs = 0;
    kernel_matmul(out, a, w, 2, 3, 2, &macs);
    assert_true(out[0] == 4 && out[1] == 5 && out[2] == 10 && out[3] == 11);
    assert_int_equal(macs, 2 * 3 * 2);
    /* one row alone equals the same row inside a block, bit for bit */
    float one[2];
    kernel_matmul(one, a + 3, w, 1, 3, 2, &macs);
    assert_memory_equal(one, out + 2, sizeof one);
    assert_int_equal(macs, 12 + 6);
}

/* Deterministic values in [-1, 1) with varied exponents, so that a change
 * of summation order would show in the low bits. */
static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = ((float)(seed >> 8 & 0xffff) / 32768.0f - 1.0f) * (float)(1 + (seed >> 24) % 7);
    }
}

/* The packed product gives kernel_matmul's bits for every shape and row
 * count (each row also alone), and the same MAC and byte counts. Sizes
 * cover full and narrow last panels, k and m below and above the tiles,
 * and n below, at and above a row block. */
static void test_matmul_packed(void **state)
{
    (void)state;
    const int ks[] = {1, 3, 8, 17, 64, 288};
    const int ms[] = {1, 5, 16, 31, 64, 65, 100, 288, 1073};
    const int ns[] = {0, 1, 2, 3, 4, 5, 7, 9};
    for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++)
        for (size_t b = 0; b < sizeof ms / sizeof ms[0]; b++) {
            const int k = ks[a], m = ms[b], nmax = 9;
            float *w = malloc(sizeof(float) * (size_t)k * m);
            float *wp = malloc(sizeof(float) * kernel_packed_floats(k, m));
            float *in = malloc(sizeof(float) * (size_t)nmax * k);
            float *ref = malloc(sizeof(float) * (size_t)nmax * m);
            float *got = malloc(sizeof(float) * (size_t)nmax * m);
            assert_non_null(w); assert_non_null(wp); assert_non_null(in);
            assert_non_null(ref); assert_non_null(got);
            fill(w, (size_t)k * m, (unsigned)(k * 31 + m));
            fill(in, (size_t)nmax * k, (unsigned)(k + m * 7));
            kernel_pack(wp, w, k, m);
            for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
                const int n = ns[c];
                uint64_t mr = 0, br = 0, mg = 0, bg = 0;
                kernel_matmul_bytes(ref, in, w, n, k, m, &mr, &br);
                memset(got, 0x7f, sizeof(float) * (size_t)nmax * m);
                kernel_matmul_packed(got, in, wp, n, k, m, &mg, &bg);
                assert_memory_equal(ref, got, sizeof(float) * (size_t)n * m);
                assert_true(mr == mg && br == bg);
                for (int i = 0; i < n; i++) {   /* row i alone (a decode row) */
                    kernel_matmul_packed(got, in + (size_t)i * k, wp, 1, k, m, &mg, &bg);
                    assert_memory_equal(ref + (size_t)i * m, got, sizeof(float) * (size_t)m);
                }
            }
            free(w); free(wp); free(in); free(ref); free(got);
        }
}

/* The all-heads attention kernels give the bits of one kernel_dot (times
 * the scale) or kernel_axpy per head and row, with and without grouped
 * K/V heads, for runs of 1 to ROWS rows (two blocks of eight and a rest). */
static void test_dot_axpy_heads(void **state)
{
    (void)state;
    enum { MAXH = 6, MAXD = 70, ROWS = 19, KS = MAXH * MAXD + 3, STRIDE = 24 };
    const int dhs[] = {1, 4, 7, 8, 9, 16, 33, 48, 64, 70};
    const int heads[][2] = {{1, 1}, {2, 1}, {2, 2}, {6, 1}, {6, 3}, {6, 6}};   /* H, group */
    const float scales[] = {1.0f, 0.144337567f};
    static float q[MAXH * MAXD], k[ROWS * KS], w[MAXH * STRIDE], ref[MAXH * MAXD], got[MAXH * MAXD];
    static float dots[MAXH * STRIDE];
    fill(q, MAXH * MAXD, 5);
    fill(k, ROWS * KS, 9);
    fill(w, MAXH * STRIDE, 13);
    for (size_t a = 0; a < sizeof dhs / sizeof dhs[0]; a++)
        for (size_t b = 0; b < sizeof heads / sizeof heads[0]; b++)
            for (int rows = 1; rows <= ROWS; rows++) {
                const int dh = dhs[a], H = heads[b][0], group = heads[b][1];
                const float scale = scales[rows % 2];
                uint64_t mr = 0, mg = 0;
                kernel_dot_heads(dots, STRIDE, q, k, KS, rows, H, group, dh, scale, &mg);
                for (int r = 0; r < rows; r++)
                    for (int h = 0; h < H; h++) {
                        const float want = kernel_dot(q + h * dh, k + r * KS + (h / group) * dh, dh, &mr) * scale;
                        assert_memory_equal(&want, &dots[h * STRIDE + r], sizeof want);
                    }
                fill(ref, MAXH * MAXD, 21);
                memcpy(got, ref, sizeof ref);
                for (int r = 0; r < rows; r++)   /* the value rows in turn */
                    for (int h = 0; h < H; h++)
                        kernel_axpy(ref + h * dh, w[h * STRIDE + r], k + r * KS + (h / group) * dh, dh, &mr);
                kernel_axpy_heads(got, w, STRIDE, k, KS, rows, H, group, dh, &mg);
                assert_memory_equal(ref, got, sizeof ref);
                assert_true(mr == mg && mg == (uint64_t)H * dh * rows * 2);
            }
}

static void test_dot_axpy(void **state)
{
    (void)state;
    const float a[] = {1, 2, 3}, b[] = {4, 5, 6};
    uint64_t macs = 0;
    assert_true(kernel_dot(a, b, 3, &macs) == 32.0f);
    float o[3] = {1, 1, 1};
    kernel_axpy(o, 2.0f, a, 3, &macs);
    assert_true(o[0] == 3 && o[1] == 5 && o[2] == 7);
    assert_int_equal(macs, 6);
}

static void test_softmax(void **state)
{
    (void)state;
    float r[] = {1.0f, 2.0f, -INFINITY, 3.0f};
    kernel_softmax(r, 4);
    assert_true(r[2] == 0.0f);
    double s = r[0] + r[1] + r[2] + r[3];
    assert_true(fabs(s - 1.0) < 1e-6);
    assert_true(r[3] > r[1] && r[1] > r[0]);
    assert_true(fabs(r[1] / r[0] - exp(1.0)) < 1e-5);
    float z[] = {-INFINITY, -INFINITY};
    kernel_softmax(z, 2);              /* nothing visible: zeros, not NaN */
    assert_true(z[0] == 0.0f && z[1] == 0.0f);
    float big[] = {1000.0f, 1000.0f};  /* no overflow: max is subtracted */
    kernel_softmax(big, 2);
    assert_true(big[0] == 0.5f && big[1] == 0.5f);
}

static void test_layernorm_gelu_argmax(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4};
    const float g[] = {1, 1, 1, 1}, b[] = {0, 0, 0, 0};
    float y[4];
    kernel_layernorm(y, x, g, b, 1, 4);
    double mean = (y[0] + y[1] + y[2] + y[3]) / 4, var = 0;
    for (int i = 0; i < 4; i++) var += (y[i] - mean) * (y[i] - mean) / 4;
    assert_true(fabs(mean) < 1e-6 && fabs(var - 1.0) < 1e-4);
    float v[] = {0.0f, 1.0f, -1.0f, 3.0f};
    kernel_gelu(v, 4);
    assert_true(v[0] == 0.0f);
    assert_true(fabs(v[1] - 0.841192) < 1e-5);
    assert_true(fabs(v[2] + 0.158808) < 1e-5);
    assert_true(fabs(v[3] - 2.996363) < 1e-5);
    const float t[] = {1, 5, 5, 2};
    assert_int_equal(kernel_argmax(t, 4), 1);   /* ties → lowest index */
}

/* Distance in units in the last place between two finite floats of the same sign. */
static long ulp_diff(float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    return labs((long)ia - (long)ib);
}

static void test_kmath_exp(void **state)
{
    (void)state;
    long worst = 0;
    for (int i = 0; i < 175000; i++) {   /* -87 .. 88 in steps of 0.001 */
        const float x = -87.0f + 0.001f * (float)i;
        const long u = ulp_diff(kmath_exp(x), (float)exp((double)x));
        if (u > worst) worst = u;
    }
    assert_true(worst <= 2);
    assert_true(kmath_exp(0.0f) == 1.0f);
    assert_true(kmath_exp(-INFINITY) == 0.0f);   /* a masked cell */
    assert_true(kmath_exp(-87.5f) == 0.0f);
    assert_true(isinf(kmath_exp(88.5f)) && kmath_exp(INFINITY) > 0);
    assert_true(isnan(kmath_exp(NAN)));
}

/* The tanh form's value, through the identity 0.5x(1 + tanh y) = x / (1 + e^-2y), in double. */
static double gelu_ref(double x)
{
    return x / (1.0 + exp(-2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

static void test_kmath_gelu(void **state)
{
    (void)state;
    enum { N = 4003 };   /* not a multiple of 8: the vector body and the scalar tail */
    static float v[N], one[N];
    for (int i = 0; i < N; i++) v[i] = one[i] = -12.0f + 0.006f * (float)i;
    v[17] = one[17] = 0.0f;
    v[18] = one[18] = -0.0f;
    v[19] = one[19] = 1e-30f;
    v[20] = one[20] = -100.0f;
    v[21] = one[21] = 100.0f;
    kmath_gelu(v, N);
    for (int i = 0; i < N; i++) kmath_gelu(one + i, 1);   /* each value alone: the scalar code */
    assert_memory_equal(v, one, sizeof v);
    for (int i = 0; i < N; i++) {
        const float x = -12.0f + 0.006f * (float)i;
        const double ref = gelu_ref((double)x);
        if (i >= 17 && i <= 21) continue;
        if (fabs(ref) < 1e-30) continue;   /* below float's normal range */
        /* below -4 the error of the float argument 2y (~1 ulp of up to 70) shows in e^-2y */
        const double tol = x >= -4.0f ? 2e-6 : 5e-5;
        assert_true(fabs(v[i] - ref) <= tol * fabs(ref));
    }
    assert_true(v[17] == 0.0f && v[18] == 0.0f && v[19] == 1e-30f / 2.0f);
    assert_true(v[20] == 0.0f && v[21] == 100.0f);
    float t[] = {1.0f, -1.0f, 3.0f};   /* the tanh form's values (test_layernorm_gelu_argmax) */
    kmath_gelu(t, 3);
    assert_true(fabs(t[0] - 0.841192) < 1e-5 && fabs(t[1] + 0.158808) < 1e-5 && fabs(t[2] - 2.996363) < 1e-5);
}

/* kmath_softmax spelled out one value at a time: what the portable build
 * runs, and what the AVX2 lanes must equal. */
static void softmax_ref(float *row, int len)
{
    float mx = -INFINITY;
    for (int j = 0; j < len; j++)
        if (row[j] > mx) mx = row[j];
    if (mx == -INFINITY) {
        for (int j = 0; j < len; j++) row[j] = 0.0f;
        return;
    }
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int j = 0; j < len; j++) {
        row[j] = kmath_exp(row[j] - mx);
        acc[j % 8] += row[j];
    }
    const float inv = 1.0f / (((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7])));
    for (int j = 0; j < len; j++) row[j] *= inv;
}

static void test_kmath_softmax(void **state)
{
    (void)state;
    enum { MAXN = 300 };
    float a[MAXN], b[MAXN];
    unsigned seed = 7;
    for (int len = 1; len <= MAXN; len += (len < 40 ? 1 : 37)) {
        for (int j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            a[j] = (float)((seed >> 8) % 20000) / 1000.0f - 10.0f;
            if ((seed >> 4) % 11 == 0) a[j] = -INFINITY;   /* a masked or windowed cell */
        }
        memcpy(b, a, sizeof(float) * (size_t)len);
        kmath_softmax(a, len);
        softmax_ref(b, len);
        assert_memory_equal(a, b, sizeof(float) * (size_t)len);
    }
    /* a decode row (positions 0 .. p) against the same row inside a block of t positions */
    for (int p = 0; p < 70; p++) {
        float row[80], block[80];
        for (int j = 0; j <= p; j++) {
            seed = seed * 1103515245u + 12345u;
            row[j] = block[j] = (float)((seed >> 8) % 8000) / 1000.0f - 4.0f;
        }
        for (int j = p + 1; j < 80; j++) block[j] = -INFINITY;
        kmath_softmax(row, p + 1);
        kmath_softmax(block, 80);
        assert_memory_equal(row, block, sizeof(float) * (size_t)(p + 1));
        for (int j = p + 1; j < 80; j++) assert_true(block[j] == 0.0f);
        double s = 0;
        for (int j = 0; j <= p; j++) s += row[j];
        assert_true(fabs(s - 1.0) < 1e-5);
    }
    float z[] = {-INFINITY, -INFINITY};
    kmath_softmax(z, 2);              /* nothing visible: zeros, not NaN */
    assert_true(z[0] == 0.0f && z[1] == 0.0f);
    float big[] = {1000.0f, 1000.0f};  /* no overflow: max is subtracted */
    kmath_softmax(big, 2);
    assert_true(big[0] == 0.5f && big[1] == 0.5f);
    float r[] = {1.0f, 2.0f, -INFINITY, 3.0f};
    kmath_softmax(r, 4);
    assert_true(r[2] == 0.0f && r[3] > r[1] && r[1] > r[0]);
    assert_true(fabs(r[1] / r[0] - exp(1.0)) < 1e-5);
}

static void test_kvcache(void **state)
{
    (void)state;
    KvCache c;
    assert_int_equal(kvcache_init(&c, 2, 10, 0, 4), 0);
    assert_int_equal(kvcache_bytes(&c), 0);
    kvcache_k(&c, 1, 3)[2] = 7.0f;
    assert_true(c.k[(1 * 10 + 3) * 4 + 2] == 7.0f);   /* (layer, pos, kv_dim) */
    kvcache_commit(&c, 5);
    assert_int_equal(kvcache_bytes(&c), 2 * 2 * 5 * 4 * 4);
    kvcache_truncate(&c, 2);
    assert_int_equal(c.len, 2);
    kvcache_truncate(&c, 9);                           /* never grows */
    assert_int_equal(c.len, 2);
    kvcache_free(&c);
    assert_null(c.k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_dot_axpy),
        cmocka_unit_test(test_matmul_packed),
        cmocka_unit_test(test_dot_axpy_heads),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_layernorm_gelu_argmax),
        cmocka_unit_test(test_kmath_exp),
        cmocka_unit_test(test_kmath_gelu),
        cmocka_unit_test(test_kmath_softmax),
        cmocka_unit_test(test_kvcache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
