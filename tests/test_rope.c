/* test_rope: rotary position embeddings (spec §6.10). Run from the repository root.
 *
 * 1. Relative positions: for random q and k, the score q·k after turning q
 *    at p and k at j equals the score after turning them at p + o and
 *    j + o (within 1e-5), for many p, j, o; and it does change with p − j
 *    (a test that could not fail would prove nothing).
 * 2. Turning is a rotation: unturning gives the row back; lengths keep.
 * 3. Cache ≡ recompute, bit for bit, with --rope: every step's tokens and
 *    logits, over MHA, GQA, MQA, a window and a paged cache, and the
 *    measured counts (the new `rope` counter included) equal the closed
 *    forms; the cache holds turned keys (the key before turning, turned at
 *    its position, is the cached row, bitwise).
 * 4. --rope-offset-bug: the prefill still agrees, every decode step's
 *    logits differ from recompute.
 * 5. Model files record RoPE (the flag), and files without it load as
 *    before (the shipped model).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/modelfile.h"
#include "sim/rope.h"
#include "sim/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static float urand(uint64_t *s)
{
    return (float)((double)rnd(s) / (double)(1ULL << 31)) * 2.0f - 1.0f;
}

static double dot(const float *a, const float *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
    return s;
}

/* ---- 1, 2 ------------------------------------------------------------------ */

static void test_relative(void **state)
{
    (void)state;
    uint64_t seed = 3;
    static const int dhs[] = {2, 4, 8, 16};
    int changed = 0, checks = 0;
    for (size_t di = 0; di < sizeof dhs / sizeof dhs[0]; di++) {
        const int dh = dhs[di];
        for (int it = 0; it < 200; it++) {
            float q[16], k[16];
            for (int i = 0; i < dh; i++) q[i] = urand(&seed), k[i] = urand(&seed);
            const int p = (int)(rnd(&seed) % 64), j = (int)(rnd(&seed) % 64), o = (int)(rnd(&seed) % 200);
            float q1[16], k1[16], q2[16], k2[16];
            memcpy(q1, q, sizeof q), memcpy(k1, k, sizeof k), memcpy(q2, q, sizeof q), memcpy(k2, k, sizeof k);
            uint64_t macs = 0;
            rope_rotate(q1, 1, dh, 1, dh, p, &macs);
            rope_rotate(k1, 1, dh, 1, dh, j, &macs);
            rope_rotate(q2, 1, dh, 1, dh, p + o, &macs);
            rope_rotate(k2, 1, dh, 1, dh, j + o, &macs);
            assert_int_equal(macs, 4u * 2u * (uint64_t)dh);
            const double s1 = dot(q1, k1, dh), s2 = dot(q2, k2, dh);
            if (fabs(s1 - s2) > 1e-5) fail_msg("d_h %d: q at %d, k at %d: %.9g; shifted by %d: %.9g", dh, p, j, s1, o, s2);
            checks++;
            /* the raw score is not the turned one unless p == j */
            if (p != j && fabs(s1 - dot(q, k, dh)) > 1e-4) changed++;
            /* a rotation: the length stays, and unturning gives the row back */
            assert_true(fabs(dot(q1, q1, dh) - dot(q, q, dh)) < 1e-5);
            rope_unrotate(q1, 1, dh, p);
            for (int i = 0; i < dh; i++) assert_true(fabs(q1[i] - q[i]) < 1e-5);
        }
    }
    assert_true(checks == 800);
    assert_true(changed > 400);   /* the position does enter the score */
    /* the angle of the spec: p · 10000^(−2i/d_h) */
    assert_true(fabs(rope_angle(3, 1, 8) - 3.0 * pow(10000.0, -0.25)) < 1e-12);
    assert_true(rope_angle(0, 2, 8) == 0.0);
}

/* ---- 3, 4: engines ----------------------------------------------------------- */

typedef struct {
    const char *name;
    int d, heads, kv_heads, window, block;
} RopeCase;

static const RopeCase cases[] = {
    {"mha", 8, 2, 2, 0, 0},      {"gqa 4/2", 8, 4, 2, 0, 0}, {"mqa 4/1", 16, 4, 1, 0, 0},
    {"window 5", 8, 2, 2, 5, 0}, {"paged B=3", 8, 2, 1, 0, 3}, {"d_h 2", 8, 4, 4, 3, 4},
};

static KvConfig rope_config(const RopeCase *rc)
{
    KvConfig c = config_default();
    c.vocab = 41;
    c.d_model = rc->d;
    c.n_heads = rc->heads;
    c.n_kv_heads = rc->kv_heads;
    c.d_ff = 2 * rc->d;
    c.window = rc->window;
    c.block_size = rc->block;
    c.max_seq = 24;
    c.rope = true;
    return c;
}

static void run_case(const RopeCase *rc, bool bug)
{
    enum { L = 7, G = 6 };
    KvConfig c = rope_config(rc);
    c.rope_offset_bug = bug;
    char err[256];
    if (config_validate(&c, L, G, err, sizeof err)) fail_msg("%s: %s", rc->name, err);
    int ids[L];
    uint64_t seed = 99;
    for (int i = 0; i < L; i++) ids[i] = (int)(rnd(&seed) % 41);
    const RunPrompt p = {ids, L};
    Run r;
    if (run_init(&r, &c, NULL, RUN_MODE_BIT(MODE_CACHE) | RUN_MODE_BIT(MODE_RECOMPUTE), &p, 1, G, err, sizeof err))
        fail_msg("%s: %s", rc->name, err);
    assert_null(r.model->pos_emb);
    const Engine *ce = run_engine(&r, MODE_CACHE), *re = run_engine(&r, MODE_RECOMPUTE);
    const int kv = config_kv_dim(&c), dh = config_head_dim(&c);
    for (int k = 0; k < G; k++) {
        run_seek(&r, MODE_CACHE, run_step_start(ce, k + 1));
        const bool same = !memcmp(ce->logits, re->logits, sizeof(float) * (size_t)c.vocab);
        if (!bug || k == 0) {
            if (!same) fail_msg("%s step %d: cache and recompute logits differ", rc->name, k);
            assert_int_equal(ce->picked, re->picked);
        } else {
            if (same) fail_msg("%s step %d: the offset bug left the logits equal", rc->name, k);
        }
        for (int md = MODE_CACHE; md <= MODE_RECOMPUTE; md++) {
            OpCounts want;
            formulas_step(&c, (RunMode)md, L, k, &want);
            const OpCounts *got = &run_engine(&r, (RunMode)md)->step_counts;
            assert_int_equal(got->rope, want.rope);
            assert_true(counts_equal(got, &want));
            assert_int_equal(got->rope, 2u * (uint64_t)c.n_layers * (uint64_t)run_engine(&r, (RunMode)md)->n *
                                            (uint64_t)(c.d_model + kv));
        }
        /* the cache keeps turned keys: the key before turning, turned at
         * its position, is the cached row */
        if (!bug)
            for (int l = 0; l < c.n_layers; l++)
                for (int pos = ce->p0; pos < ce->t; pos++) {
                    const float *raw = engine_k_unrotated(ce, l, pos);
                    assert_non_null(raw);
                    float turned[64];
                    memcpy(turned, raw, sizeof(float) * (size_t)kv);
                    rope_rotate(turned, 1, kv, c.n_kv_heads, dh, pos, NULL);
                    assert_memory_equal(turned, engine_k_row(ce, l, pos), sizeof(float) * (size_t)kv);
                    if (pos > 0) assert_memory_not_equal(raw, engine_k_row(ce, l, pos), sizeof(float) * (size_t)kv);
                }
    }
    OpCounts tot;
    for (int md = MODE_CACHE; md <= MODE_RECOMPUTE; md++) {
        assert_true(formulas_total(&c, (RunMode)md, L, G, &tot));
        assert_true(counts_equal(&tot, &run_engine(&r, (RunMode)md)->cum));
    }
    run_free(&r);
}

static void test_cache_equals_recompute(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], false);
}

static void test_offset_bug(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], true);
}

/* Without --rope nothing turns and the counter stays 0. */
static void test_off(void **state)
{
    (void)state;
    RopeCase rc = cases[1];
    KvConfig c = rope_config(&rc);
    c.rope = false;
    int ids[4] = {1, 2, 3, 4};
    const RunPrompt p = {ids, 4};
    Run r;
    char err[256];
    assert_int_equal(run_init(&r, &c, NULL, RUN_MODE_BIT(MODE_CACHE), &p, 1, 3, err, sizeof err), 0);
    run_seek(&r, MODE_CACHE, engine_total_ops(run_engine(&r, MODE_CACHE)));
    assert_int_equal(run_engine(&r, MODE_CACHE)->cum.rope, 0);
    assert_non_null(r.model->pos_emb);
    assert_null(engine_k_unrotated(run_engine(&r, MODE_CACHE), 0, 3));
    run_free(&r);
}

static void test_config(void **state)
{
    (void)state;
    KvConfig c = config_default();
    c.vocab = 10;
    char err[256];
    c.rope_offset_bug = true;
    assert_int_equal(config_validate(&c, 0, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "--rope-offset-bug: needs --rope"));
    c.rope = true;
    c.n_heads = c.n_kv_heads = 8;   /* d_h = 1: no pair to turn */
    assert_int_equal(config_validate(&c, 0, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "must be even"));
    c.n_heads = c.n_kv_heads = 4;
    assert_int_equal(config_validate(&c, 0, 0, err, sizeof err), 0);
}

/* ---- 5. model files ---------------------------------------------------------- */

static void test_model_file(void **state)
{
    (void)state;
    char err[256];
    /* an old file (no RoPE flag): learned positions, as before */
    ModelFile old;
    assert_int_equal(modelfile_load(&old, "models/default.kvsim", err, sizeof err), 0);
    assert_false(old.model.cfg.rope);
    assert_non_null(old.model.pos_emb);
    /* a RoPE model saved and loaded keeps RoPE and has no position table */
    KvConfig c = old.model.cfg;
    c.rope = true;
    c.weights = NULL;
    Model m;
    assert_int_equal(model_init(&m, &c), 0);
    char path[] = "/tmp/kvsim_rope_XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(modelfile_save(path, &m, old.alphabet, NULL, err, sizeof err), 0);
    ModelFile back;
    if (modelfile_load(&back, path, err, sizeof err)) fail_msg("%s", err);
    unlink(path);
    assert_true(back.model.cfg.rope);
    assert_null(back.model.pos_emb);
    assert_memory_equal(back.model.wq, m.wq, sizeof(float) * (size_t)(c.n_layers * c.d_model * c.d_model));
    /* a run picks RoPE up from the file, and refuses --rope on a file without it */
    KvConfig run_cfg = config_default();
    assert_int_equal(modelfile_apply(&back, "r.kvsim", &run_cfg, 0, err, sizeof err), 0);
    assert_true(run_cfg.rope);
    KvConfig bad = config_default();
    bad.rope = true;
    assert_int_equal(modelfile_apply(&old, "old.kvsim", &bad, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "learned positions"));
    modelfile_free(&back);
    model_free(&m);
    modelfile_free(&old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relative),
        cmocka_unit_test(test_cache_equals_recompute),
        cmocka_unit_test(test_offset_bug),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_model_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
