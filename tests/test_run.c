/* test_run: sim/run — one simulation, one order, one rule.
 *
 * 1. Memory: run_bytes() is the sum the allocation tables give, and the
 *    estimate config_validate() checks (config_memory_bytes) covers what a
 *    run of every mode really allocates, K/V caches included.
 * 2. The lockstep order: a batch sharing a pool, moved at random (forwards,
 *    backwards, jumps) through run_seek, always has the pool a run moved
 *    straight forwards one step at a time has, block id for block id, and
 *    the recompute engine at the cache engine's step and operation.
 * 3. Lookups: run_step_of / run_op_index / run_step_start / run_op_pos
 *    against the engine's own op list, every cursor of a run.
 * 5. The op table (sim/ops.h): one row per kind in forward order, keys
 *    found back, each panel a lesson point, and every engine's step list
 *    built from it.
 * 4. The rule: counting the pairs run_visible() admits gives the closed
 *    form's masked count (formulas.c), with and without a window, and
 *    run_kv_head() groups heads H / Hkv in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lessons/lesson.h"
#include "sim/formulas.h"
#include "sim/run.h"
#include "sim/tokenizer.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static KvConfig cfg_of(int d, int H, int Hkv, int Lyr, int N, int W, int B)
{
    KvConfig c = config_default();
    c.vocab = tokenizer_vocab();
    c.d_model = d;
    c.n_heads = H;
    c.n_kv_heads = Hkv;
    c.n_layers = Lyr;
    c.d_ff = 4 * d;
    c.max_seq = N;
    c.window = W;
    c.block_size = B;
    return c;
}

static void test_bytes(void **state)
{
    (void)state;
    const KvConfig cs[] = {cfg_of(8, 2, 2, 2, 64, 0, 0), cfg_of(16, 4, 2, 3, 40, 6, 4), cfg_of(8, 2, 1, 1, 16, 0, 3)};
    const int ids[4] = {1, 2, 3, 4};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        const KvConfig *c = &cs[i];
        char err[256];
        assert_int_equal(config_validate(c, 4, 10, err, sizeof err), 0);
        Run r;
        const RunPrompt p = {ids, 4};
        assert_int_equal(run_init(&r, c, NULL, RUN_ALL_MODES, &p, 1, 10, err, sizeof err), 0);
        uint64_t want = model_bytes(r.model);
        for (int m = 0; m < MODE_COUNT; m++) {
            const Engine *e = run_engine(&r, (RunMode)m);
            /* a live engine reports what its config says it allocates */
            assert_true(engine_bytes(e) <= engine_config_bytes(c, (RunMode)m, e->n_steps));
            want += engine_bytes(e);
        }
        if (r.pool) want += (uint64_t)r.pool->n_blocks * (uint64_t)r.pool->block_floats * sizeof(float);
        assert_true(run_bytes(&r) == want);
        /* the K/V cache is in it: 2 · Lyr · capacity · kv_dim floats */
        assert_true(engine_bytes(run_engine(&r, MODE_CACHE)) >=
                    2u * (uint64_t)c->n_layers * (uint64_t)config_cache_capacity(c) * (uint64_t)config_kv_dim(c) * 4u);
        /* the estimate the CLI checks covers the three engines (it used to
         * count two, and the K/V cache once) */
        assert_true(config_memory_bytes(c) >= run_bytes(&r));
        run_free(&r);
    }
}

static void check_same_pool(const Run *a, const Run *b)
{
    assert_int_equal(a->pool->n_blocks, b->pool->n_blocks);
    for (int i = 0; i < a->pool->n_blocks; i++) {
        const PagedBlockView u = paged_block_view(a->pool, i), v = paged_block_view(b->pool, i);
        assert_int_equal(u.seq, v.seq);
        assert_int_equal(u.lblock, v.lblock);
        assert_int_equal(u.kept, v.kept);
    }
}

static void test_lockstep(void **state)
{
    (void)state;
    const KvConfig cs[] = {cfg_of(8, 2, 2, 2, 32, 0, 3), cfg_of(8, 2, 1, 1, 32, 5, 2)};
    const int p0[] = {3, 4, 5}, p1[] = {6, 7, 8, 9, 10}, p2[] = {11};
    const RunPrompt P[] = {{p0, 3}, {p1, 5}, {p2, 1}};
    const int G = 9;
    uint64_t seed = 7;
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        char err[256];
        Run r, ref;
        assert_int_equal(run_init(&r, &cs[i], NULL, RUN_ALL_MODES, P, 3, G, err, sizeof err), 0);
        const Engine *c = run_engine(&r, MODE_CACHE), *rc = run_engine(&r, MODE_RECOMPUTE);
        const long total = engine_total_ops(c);
        for (int trial = 0; trial < 40; trial++) {
            const long to = (long)(rnd(&seed) % (uint64_t)(total + 1));
            run_seek(&r, trial % 3 == 2 ? MODE_RECOMPUTE : MODE_CACHE, trial % 3 == 2 ? to * rc->ops_per_step / c->ops_per_step : to);
            /* recompute at the cache engine's step and operation */
            assert_int_equal(run_step_of(rc, rc->pos), run_step_of(c, c->pos));
            for (int s = 1; s < r.n_seqs; s++) assert_int_equal(run_seq(&r, s)->pos, c->pos);
            /* the reference: the same prompts moved forwards a step at a time */
            assert_int_equal(run_init(&ref, &cs[i], r.model, RUN_MODE_BIT(MODE_CACHE), P, 3, G, err, sizeof err), 0);
            const int k = run_steps_done(c, c->pos);
            for (int j = 1; j <= k; j++) run_seek(&ref, MODE_CACHE, run_step_start(c, j));
            run_seek(&ref, MODE_CACHE, c->pos);
            check_same_pool(&r, &ref);
            assert_false(run_pool_overflow(&r));
            run_free(&ref);
        }
        run_free(&r);
    }
}

static void test_lookups(void **state)
{
    (void)state;
    const KvConfig c = cfg_of(8, 2, 2, 3, 32, 0, 0);
    const int ids[] = {1, 2, 3};
    const RunPrompt p = {ids, 3};
    char err[256];
    Run r;
    assert_int_equal(run_init(&r, &c, NULL, RUN_ALL_MODES, &p, 1, 4, err, sizeof err), 0);
    for (int m = 0; m < MODE_COUNT; m++) {
        const Engine *e = run_engine(&r, (RunMode)m);
        assert_int_equal(run_step_of(e, 0), 0);
        assert_int_equal(run_op_index(e, 0), 0);
        for (long pos = 1; pos <= engine_total_ops(e); pos++) {
            const int k = run_step_of(e, pos), j = run_op_index(e, pos);
            assert_true(j >= 1 && j <= e->ops_per_step);
            assert_int_equal(run_step_start(e, k) + j, pos);
            const OpRef op = engine_op_at(e, j - 1);
            assert_int_equal(run_op_pos(e, k, op.kind, op.layer < 0 ? 0 : op.layer), pos);
        }
        /* operations a mode does not run */
        assert_int_equal(run_op_pos(e, 0, OP_LOSS, 0) < 0, m != MODE_TRAIN);
        assert_int_equal(run_op_pos(e, 0, OP_APPEND, 0) < 0, m != MODE_CACHE);
    }
    run_free(&r);
}

static void test_rule(void **state)
{
    (void)state;
    for (int W = 0; W <= 5; W++) {
        const KvConfig c = cfg_of(8, 4, 2, 1, 32, W, 0);
        for (int L = 1; L <= 6; L++)
            for (int k = 0; k < 5; k++) {
                /* recompute: the dense t×t block, the mask drops what run_visible refuses */
                const int t = L + k;
                uint64_t refused = 0;
                for (int q = 0; q < t; q++)
                    for (int key = 0; key < t; key++) refused += !run_visible(&c, 0, q, key);
                OpCounts o;
                formulas_step_layer(&c, MODE_RECOMPUTE, L, k, &o);
                assert_true(o.masked == refused * (uint64_t)c.d_model);
            }
        int seen[4] = {0};
        for (int h = 0; h < c.n_heads; h++) seen[run_kv_head(&c, h)]++;
        assert_int_equal(run_kv_head(&c, 0), 0);
        assert_int_equal(run_kv_head(&c, 1), 0);
        assert_int_equal(run_kv_head(&c, 2), 1);
        assert_int_equal(seen[0], 2);
        assert_int_equal(seen[1], 2);
    }
}

static void test_op_table(void **state)
{
    (void)state;
    for (int k = 0; k < OP_KIND_COUNT; k++) {
        const OpInfo *o = op_info((OpKind)k);
        assert_non_null(o);
        assert_int_equal(o->kind, k);
        assert_int_equal(op_find(o->key), k);
        assert_string_equal(lesson_op_name((OpKind)k), o->key);
        assert_string_equal(engine_op_name((OpKind)k), o->name_en);
        bool point = false;
        for (int p = 0; p < POINT_COUNT; p++) point = point || !strcmp(lesson_point_name((LessonPoint)p), o->panel);
        assert_true(point);
    }
    assert_null(op_info(OP_KIND_COUNT));
    assert_int_equal(op_find("nope"), -1);
    const KvConfig c = cfg_of(8, 2, 2, 3, 16, 0, 0);
    const int ids[] = {1, 2};
    const RunPrompt p = {ids, 2};
    char err[256];
    Run r;
    assert_int_equal(run_init(&r, &c, NULL, RUN_ALL_MODES, &p, 1, 2, err, sizeof err), 0);
    for (int m = 0; m < MODE_COUNT; m++) {
        const Engine *e = run_engine(&r, (RunMode)m);
        assert_int_equal(e->ops_per_step, op_count((RunMode)m, c.n_layers));
        /* embed, (LN1 .. FFN) x layers, final LN, logits, pick|loss, append in cache mode */
        assert_int_equal(e->ops_per_step, 1 + 9 * c.n_layers + 3 + (m == MODE_CACHE));
        int last = -1, last_layer = -1;
        for (int i = 0; i < e->ops_per_step; i++) {
            const OpRef op = engine_op_at(e, i);
            assert_true(op_in_mode(op.kind, (RunMode)m));
            assert_int_equal(op.layer >= 0, op_info(op.kind)->per_layer);
            /* forward order: kinds rise, except where the next layer starts again at LN1 */
            if (op.layer > last_layer) assert_int_equal(op.kind, OP_LN1);
            else assert_true((int)op.kind > last);
            last = op.kind;
            if (op.layer >= 0) last_layer = op.layer;
        }
    }
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_lockstep),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_op_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
