/* test_kernels: each kernel's arithmetic on small hand-checked inputs, and
 * the MACs each one reports; the KV cache's bookkeeping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/kernels.h"
#include "sim/kvcache.h"

#include <math.h>
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
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_layernorm_gelu_argmax),
        cmocka_unit_test(test_kvcache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
