/* test_train: the training code of sim/train.c.
 *
 *  - gradient check: for small random shapes (plain, GQA, a window, both),
 *    every weight tensor's analytic float32 gradient against a central
 *    finite difference of an independent float64 loss (train_ref.h);
 *    also with RoPE (no position table, q and k turned);
 *  - the float forward loss equals the float64 reference loss closely;
 *  - determinism: the losses of the first 20 AdamW steps equal a recorded
 *    list bit for bit (see docs/training.md for gcc vs clang);
 *  - a short run on copy tasks brings the loss below a documented bound,
 *    with learned positions (2.2) and with RoPE (2.5);
 *  - the learning-rate schedule (warm-up, cosine decay to 10%).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/rng.h"
#include "sim/train.h"
#include "sim/traindata.h"
#include "tests/train_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static KvConfig small_cfg(int V, int d, int H, int Hkv, int L, int F, int N, int W)
{
    KvConfig c = config_default();
    c.vocab = V;
    c.d_model = d;
    c.n_heads = H;
    c.n_kv_heads = Hkv;
    c.n_layers = L;
    c.d_ff = F;
    c.max_seq = N;
    c.window = W;
    return c;
}

static const char *const tensor_names[15] = {
    "tok_emb", "pos_emb", "ln1_g", "ln1_b", "wq", "wk", "wv", "wo",
    "ln2_g", "ln2_b", "w1", "w2", "lnf_g", "lnf_b", "wout"};

/* Check every tensor of a random model of shape c on a random batch.
 * tied: wout = tok_embᵀ, and the tok_emb gradient is the tied one (a
 * nudge of E[v][k] moves wout[k][v] with it). */
static void grad_check_tied(const KvConfig *c, int B, int T, uint64_t seed, int tied)
{
    Model m;
    assert_int_equal(model_alloc(&m, c), 0);
    train_init_weights(&m, seed);
    /* bigger than the N(0, 0.02) start, so every path carries signal */
    Rng r;
    rng_init(&r, seed ^ 0xABCDEFu);
    float *p[15];
    size_t n[15];
    model_arrays(&m, p, n, 15);
    for (int i = 0; i < 15; i++)
        for (size_t j = 0; j < n[i]; j++) p[i][j] += 0.3f * rng_uniform(&r);
    if (tied) train_tie_weights(&m);
    int *inp = malloc(sizeof(int) * (size_t)B * T), *tgt = malloc(sizeof(int) * (size_t)B * T);
    for (int i = 0; i < B * T; i++) {
        inp[i] = (int)(rng_next(&r) % (uint64_t)c->vocab);
        tgt[i] = (i % 5 == 3) ? -1 : (int)(rng_next(&r) % (uint64_t)c->vocab);  /* some without target */
    }

    Trainer t;
    assert_int_equal(trainer_init(&t, c, B, T), 0);
    const float loss = trainer_forward(&t, &m, inp, tgt);
    trainer_backward(&t, &m, inp, tgt);
    if (tied) train_tie_grads(&t.grad);
    RefModel ref;
    ref_from_model(&ref, &m);
    const double ref0 = ref_loss(&ref, inp, tgt, B, T);
    assert_true(fabs(loss - ref0) < 1e-5 * fabs(ref0) + 1e-6);

    float *g[15];
    model_arrays(&t.grad, g, n, 15);
    const double h = 1e-4;
    for (int i = 0; i < (tied ? 14 : 15); i++) {   /* tied: wout is not a free tensor */
        double worst = 0;
        const int samples = n[i] < 24 ? (int)n[i] : 24;
        for (int s = 0; s < samples; s++) {
            const size_t j = n[i] <= 24 ? (size_t)s : (size_t)(rng_next(&r) % n[i]);
            const double keep = ref.w[i][j];
            /* tied: E[v][k] is also wout[k][v] */
            double *twin = (tied && i == 0) ? &ref.w[14][(j % (size_t)c->d_model) * (size_t)c->vocab +
                                                         j / (size_t)c->d_model] : NULL;
            ref.w[i][j] = keep + h;
            if (twin) *twin = keep + h;
            const double up = ref_loss(&ref, inp, tgt, B, T);
            ref.w[i][j] = keep - h;
            if (twin) *twin = keep - h;
            const double down = ref_loss(&ref, inp, tgt, B, T);
            ref.w[i][j] = keep;
            if (twin) *twin = keep;
            const double num = (up - down) / (2 * h), ana = g[i][j];
            /* relative error; entries far below the loss's scale are held to
             * an absolute 1e-6 (float32 rounding of a sum of O(1) terms) */
            const double den = fmax(fmax(fabs(num), fabs(ana)), 1e-3);
            const double err = fabs(num - ana) / den;
            if (err > worst) worst = err;
            if (err >= 1e-3)
                fprintf(stderr, "%s[%zu]: analytic %.9g numeric %.9g rel %.3g\n", tensor_names[i], j,
                        ana, num, err);
        }
        if (getenv("KVSIM_GRAD_VERBOSE")) fprintf(stderr, "  %-8s worst rel err %.2e\n", tensor_names[i], worst);
        assert_true(worst < 1e-3);
    }
    ref_free(&ref);
    trainer_free(&t);
    model_free(&m);
    free(inp);
    free(tgt);
}

static void grad_check(const KvConfig *c, int B, int T, uint64_t seed)
{
    grad_check_tied(c, B, T, seed, 0);
}

static void test_gradcheck_tied(void **state)
{
    (void)state;
    KvConfig c = small_cfg(11, 8, 2, 1, 2, 12, 8, 3);
    grad_check_tied(&c, 2, 8, 5, 1);
}

static void test_gradcheck_plain(void **state)
{
    (void)state;
    KvConfig c = small_cfg(11, 8, 2, 2, 2, 12, 8, 0);
    grad_check(&c, 2, 7, 1);
}

static void test_gradcheck_gqa(void **state)
{
    (void)state;
    KvConfig c = small_cfg(9, 12, 4, 2, 2, 16, 8, 0);
    grad_check(&c, 2, 8, 2);
}

static void test_gradcheck_window(void **state)
{
    (void)state;
    KvConfig c = small_cfg(10, 8, 2, 2, 1, 8, 9, 3);
    grad_check(&c, 1, 9, 3);
}

static void test_gradcheck_mqa_window(void **state)
{
    (void)state;
    KvConfig c = small_cfg(7, 12, 3, 1, 3, 10, 10, 4);
    grad_check(&c, 2, 10, 4);
}

/* RoPE (§6.10): no position table; q and k turned before the scores.
 * The gradient of the turn is the turn back (rope_rotate_back). */
static void test_gradcheck_rope(void **state)
{
    (void)state;
    KvConfig c = small_cfg(11, 8, 2, 2, 2, 12, 8, 0);
    c.rope = true;
    grad_check(&c, 2, 8, 6);
}

static void test_gradcheck_rope_gqa_window(void **state)
{
    (void)state;
    KvConfig c = small_cfg(9, 16, 4, 2, 2, 16, 9, 4);   /* d_h 4: two angles per head */
    c.rope = true;
    grad_check(&c, 2, 9, 7);
}

static void test_lr_schedule(void **state)
{
    (void)state;
    AdamConfig a = adam_default(1100);
    a.lr = 1e-2f;
    a.warmup = 100;
    assert_true(adam_lr(&a, 0) == 1e-2f * 1.0f / 100.0f);
    assert_true(fabsf(adam_lr(&a, 99) - 1e-2f) < 1e-9f);
    assert_true(fabsf(adam_lr(&a, 100) - 1e-2f) < 1e-9f);        /* decay starts at the top */
    assert_true(fabsf(adam_lr(&a, 600) - 0.55e-2f) < 1e-8f);     /* halfway: (1 + 0.1) / 2 */
    assert_true(fabsf(adam_lr(&a, 1100) - 1e-3f) < 1e-9f);       /* ends at 10% */
    assert_true(fabsf(adam_lr(&a, 5000) - 1e-3f) < 1e-9f);
}

/* n AdamW steps of shape c on copy tasks over a 20-symbol alphabet; losses out. */
static void copy_run_cfg(const KvConfig *cp, int steps, float *losses)
{
    const KvConfig c = *cp;
    const int B = 8, T = 32;
    Model m;
    assert_int_equal(model_alloc(&m, &c), 0);
    train_init_weights(&m, 7);
    AdamConfig ac = adam_default(steps);
    ac.lr = 1e-2f;
    ac.warmup = 20;
    Adam opt;
    assert_int_equal(adam_init(&opt, &c, &ac), 0);
    Trainer t;
    assert_int_equal(trainer_init(&t, &c, B, T), 0);
    int *inp = malloc(sizeof(int) * B * T), *tgt = malloc(sizeof(int) * B * T);
    Rng r;
    rng_init(&r, 99);
    for (int s = 0; s < steps; s++) {
        for (int b = 0; b < B; b++)
            traindata_copy_seq(&r, c.vocab, 3, 8, inp + b * T, tgt + b * T, T);
        losses[s] = trainer_forward(&t, &m, inp, tgt);
        trainer_backward(&t, &m, inp, tgt);
        adam_update(&opt, &m, &t.grad);
    }
    free(inp);
    free(tgt);
    trainer_free(&t);
    adam_free(&opt);
    model_free(&m);
}

static void copy_run(int steps, float *losses)
{
    const KvConfig c = small_cfg(20, 16, 2, 2, 2, 64, 32, 0);
    copy_run_cfg(&c, steps, losses);
}

/* Recorded with gcc 12.2 -O3 -ffp-contract=off on x86-64 (as hex floats).
 * clang 14 gives the same bits here; if a compiler does not, the test
 * prints the list it got (docs/training.md, "Determinism"). */
static const float recorded[20] = {
    0x1.816836p+1f,
    0x1.7f3eccp+1f,
    0x1.7f86dep+1f,
    0x1.7fc3dp+1f,
    0x1.7ec1dap+1f,
    0x1.82639ep+1f,
    0x1.801d2cp+1f,
    0x1.7feec8p+1f,
    0x1.7f01a8p+1f,
    0x1.7fab2cp+1f,
    0x1.7f7702p+1f,
    0x1.7fdf18p+1f,
    0x1.805ad6p+1f,
    0x1.7f2ac4p+1f,
    0x1.7fba18p+1f,
    0x1.7da6bcp+1f,
    0x1.7ac012p+1f,
    0x1.7faa4p+1f,
    0x1.83001ep+1f,
    0x1.7be4e4p+1f,
};

static void test_determinism(void **state)
{
    (void)state;
    float a[20], b[20];
    copy_run(20, a);
    copy_run(20, b);
    assert_memory_equal(a, b, sizeof a);   /* same run twice: same bits */
    int same = 1;
    for (int i = 0; i < 20; i++) same &= a[i] == recorded[i];
    if (!same) {
        fprintf(stderr, "losses of the first 20 steps:\n");
        for (int i = 0; i < 20; i++) fprintf(stderr, "    %a,\n", (double)a[i]);
    }
    assert_true(same);
}

/* Copy tasks: after 1,500 steps the mean loss of the last 20 steps is
 * below 2.2 nats (docs/training.md). It starts at ln 20 ≈ 3.0, which is
 * also the best a model can do without looking back (the phrases are
 * uniform); getting under it needs attention to the earlier copy. */
/* Mean loss of the last 20 steps of a run of n. */
static double last20_mean(const float *l, int n)
{
    double tail = 0;
    for (int i = n - 20; i < n; i++) tail += l[i];
    return tail / 20;
}

static void test_short_run_learns(void **state)
{
    (void)state;
    enum { STEPS = 1500 };
    float *l = malloc(sizeof(float) * STEPS);
    copy_run(STEPS, l);
    assert_true(l[0] > 2.8f && l[0] < 3.2f);
    const double tail = last20_mean(l, STEPS);
    fprintf(stderr, "short run: loss %.3f -> %.3f (mean of the last 20 steps)\n", l[0], tail);
    assert_true(tail < 2.2);
    free(l);
}

/* The same run with RoPE (no position table, q and k turned): the mean
 * loss of the last 20 steps is below 2.5 nats (measured 2.340,
 * docs/training.md §7). Under ln 20 ≈ 3.0 only by looking back, and with
 * RoPE the position can only come from the turned q and k. */
static void test_short_run_rope_learns(void **state)
{
    (void)state;
    enum { STEPS = 1500 };
    KvConfig c = small_cfg(20, 16, 2, 2, 2, 64, 32, 0);
    c.rope = true;
    float *l = malloc(sizeof(float) * STEPS);
    copy_run_cfg(&c, STEPS, l);
    assert_true(l[0] > 2.8f && l[0] < 3.2f);
    const double tail = last20_mean(l, STEPS);
    fprintf(stderr, "short RoPE run: loss %.3f -> %.3f (mean of the last 20 steps)\n", l[0], tail);
    assert_true(tail < 2.5);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_plain),
        cmocka_unit_test(test_gradcheck_gqa),
        cmocka_unit_test(test_gradcheck_window),
        cmocka_unit_test(test_gradcheck_mqa_window),
        cmocka_unit_test(test_gradcheck_tied),
        cmocka_unit_test(test_gradcheck_rope),
        cmocka_unit_test(test_gradcheck_rope_gqa_window),
        cmocka_unit_test(test_lr_schedule),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_short_run_learns),
        cmocka_unit_test(test_short_run_rope_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
