/* test_formulas: the closed forms against brute-force sums of the per-step
 * forms, against hand-computed numbers, and the overflow guard. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/config.h"
#include "sim/formulas.h"

#include <string.h>

static KvConfig shape(int d, int H, int Lyr, int F, int V)
{
    KvConfig c = config_default();
    c.d_model = d;
    c.n_heads = c.n_kv_heads = H;
    c.n_layers = Lyr;
    c.d_ff = F;
    c.vocab = V;
    c.max_seq = 4096;
    return c;
}

/* Closed-form totals == the sum over steps, for many L and G. */
static void test_totals_are_sums_of_steps(void **state)
{
    (void)state;
    const KvConfig shapes[] = {shape(8, 2, 2, 32, 1073), shape(1, 1, 1, 1, 1), shape(64, 8, 3, 100, 50)};
    for (int s = 0; s < 3; s++)
        for (int md = 0; md < MODE_COUNT; md++)
            for (int L = 1; L <= 12; L++)
                for (int G = 1; G <= 12; G++) {
                    OpCounts sum, step, total;
                    memset(&sum, 0, sizeof sum);
                    int steps = md == MODE_TRAIN ? 1 : G;
                    for (int k = 0; k < steps; k++) {
                        formulas_step(&shapes[s], (RunMode)md, L, k, &step);
                        counts_add(&sum, &step);
                    }
                    assert_true(formulas_total(&shapes[s], (RunMode)md, L, G, &total));
                    assert_true(counts_equal(&sum, &total));
                }
}

/* The default demo, worked by hand:
 * d = 8, H = 2, Lyr = 2, F = 32, V = 1073, L = 18, G = 8. */
static void test_hand_computed_example(void **state)
{
    (void)state;
    const KvConfig c = shape(8, 2, 2, 32, 1073);
    OpCounts o;
    /* decode step 1: n = 1, t = 19 */
    formulas_step(&c, MODE_CACHE, 18, 1, &o);
    assert_int_equal(o.mac[CAT_QKV], 3 * 1 * 64 * 2);          /* 384 */
    assert_int_equal(o.mac[CAT_SCORES], 1 * 19 * 8 * 2);       /* 304 */
    assert_int_equal(o.mac[CAT_VALUES], 304);
    assert_int_equal(o.mac[CAT_OUT_PROJ], 128);
    assert_int_equal(o.mac[CAT_FFN], 2 * 8 * 32 * 2);          /* 1024 */
    assert_int_equal(o.mac[CAT_LM_HEAD], 8 * 1073);            /* 8584 */
    assert_int_equal(o.masked, 0);
    assert_int_equal(counts_total(&o), 384 + 304 + 304 + 128 + 1024 + 8584);
    /* recompute step 1: n = t = 19 */
    formulas_step(&c, MODE_RECOMPUTE, 18, 1, &o);
    assert_int_equal(o.mac[CAT_SCORES], 19 * 19 * 8 * 2);
    assert_int_equal(o.masked, 8 * 2 * 19 * 18 / 2);
    /* totals: cache qkv = 3·d²·Lyr·(L+G-1) = 3·64·2·25 */
    assert_true(formulas_total(&c, MODE_CACHE, 18, 8, &o));
    assert_int_equal(o.mac[CAT_QKV], 9600);
    /* scores = d·Lyr·(L² + Σ_{k=1}^{7}(18+k)) = 16·(324 + 154) */
    assert_int_equal(o.mac[CAT_SCORES], 16 * (324 + 154));
    /* recompute scores = d·Lyr·Σ_{k=0}^{7}(18+k)² */
    long s2 = 0;
    for (int k = 0; k < 8; k++) s2 += (18 + k) * (18 + k);
    assert_true(formulas_total(&c, MODE_RECOMPUTE, 18, 8, &o));
    assert_int_equal(o.mac[CAT_SCORES], 16 * s2);
    assert_int_equal(formulas_kv_bytes(&c, MODE_CACHE, 18, 7), 2 * 2 * 25 * 8 * 4);
    assert_int_equal(formulas_kv_bytes(&c, MODE_RECOMPUTE, 18, 7), 0);
}

/* The tutorial's case, L = 1 and G = T: cache attention grows as T², recompute as T³. */
static void test_tutorial_growth(void **state)
{
    (void)state;
    const KvConfig c = shape(16, 4, 1, 64, 100);
    OpCounts a, b;
    for (int T = 2; T <= 64; T *= 2) {
        assert_true(formulas_total(&c, MODE_CACHE, 1, T, &a));
        assert_true(formulas_total(&c, MODE_RECOMPUTE, 1, T, &b));
        /* cache: qkv = 3d²·T; scores = d·(1 + Σ_{k=1}^{T-1}(1+k)) = d·T(T+1)/2 */
        assert_int_equal(a.mac[CAT_QKV], 3ull * 256 * T);
        assert_int_equal(a.mac[CAT_SCORES], 16ull * T * (T + 1) / 2);
        /* recompute: qkv = 3d²·T(T+1)/2; scores = d·T(T+1)(2T+1)/6 */
        assert_int_equal(b.mac[CAT_QKV], 3ull * 256 * T * (T + 1) / 2);
        assert_int_equal(b.mac[CAT_SCORES], 16ull * T * (T + 1) * (2 * T + 1) / 6);
    }
}

/* Counts that cannot fit in 64 bits are detected, not wrapped. */
static void test_overflow_detected(void **state)
{
    (void)state;
    KvConfig c = shape(65536, 1, 4096, 65536, 1073);
    OpCounts o;
    assert_false(formulas_total(&c, MODE_RECOMPUTE, 65536, 65536, &o));
    assert_true(formulas_total(&c, MODE_CACHE, 1, 1, &o));
    char err[256];
    c.max_seq = 65536;
    assert_int_equal(config_validate(&c, 1000, 1000, err, sizeof err), -1);
    assert_non_null(strstr(err, "too large"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_are_sums_of_steps),
        cmocka_unit_test(test_hand_computed_example),
        cmocka_unit_test(test_tutorial_growth),
        cmocka_unit_test(test_overflow_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
