/* test_traffic: memory traffic (spec §6.5) and paged block counts (§6.4)
 * measured by the engine, against closed forms written out again here (not
 * formulas.c, which is compared too), over GQA/MQA, windows smaller and
 * larger than the context, block sizes, and every mode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/tokenizer.h"

#include <string.h>

/* Spec §6.5, written out independently: bytes a step moves (sim/traffic.h). */
static void expected_traffic(const KvConfig *c, RunMode mode, int L, int k, Traffic *o)
{
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Lyr = (uint64_t)c->n_layers, kvd = (uint64_t)(c->n_kv_heads * (c->d_model / c->n_heads));
    const int W = c->window;
    int n, t;
    if (mode == MODE_CACHE) { n = k == 0 ? L : 1; t = L + k; }
    else if (mode == MODE_RECOMPUTE) { n = t = L + k; }
    else { n = t = L; }
    const int first_col = (mode == MODE_CACHE && k > 0 && W && t > W) ? t - W : 0;
    /* Wq + Wk + Wv + Wo + W1 + W2 per layer, Wout, and n token + n position rows */
    o->weight_bytes = 4 * (Lyr * (d * d + d * kvd + d * kvd + d * d + d * F + F * d) + d * V + 2 * (uint64_t)n * d);
    /* K and V of each key position once per layer */
    o->kv_read_bytes = 4 * 2 * Lyr * (uint64_t)(t - first_col) * kvd;
    /* the rows the append stores: a ring keeps at most W of a long prefill */
    const int stored = (W && n > W) ? W : n;
    o->kv_write_bytes = mode == MODE_CACHE ? 4 * 2 * Lyr * (uint64_t)stored * kvd : 0;
}

static void assert_traffic(const Traffic *got, const Traffic *want, const char *what, int k)
{
    if (!traffic_equal(got, want))
        fail_msg("%s step %d: measured weights %llu, KV read %llu, KV written %llu; closed form %llu, %llu, %llu",
                 what, k, (unsigned long long)got->weight_bytes, (unsigned long long)got->kv_read_bytes,
                 (unsigned long long)got->kv_write_bytes, (unsigned long long)want->weight_bytes,
                 (unsigned long long)want->kv_read_bytes, (unsigned long long)want->kv_write_bytes);
}

/* Measured traffic == closed form, per step, per layer and in total, in every
 * mode, over GQA/MQA, windows smaller and larger than the context and block
 * sizes; paged blocks == ceil(t / B) (fewer under a window). */
static void test_traffic_and_blocks(void **state)
{
    (void)state;
    static const struct { int d, H, Hkv, Lyr, L, G, W, B; } cases[] = {
        {8, 2, 2, 2, 5, 8, 0, 0},   {8, 2, 1, 2, 5, 8, 0, 4},   {8, 4, 2, 1, 3, 6, 0, 1},
        {16, 8, 1, 2, 4, 9, 0, 3},  {16, 8, 4, 1, 6, 5, 0, 11}, {12, 6, 3, 2, 2, 7, 0, 2},
        {8, 2, 2, 2, 5, 8, 3, 2},   {8, 2, 1, 2, 5, 8, 3, 4},   {8, 4, 2, 2, 7, 6, 4, 3},
        {8, 2, 2, 1, 2, 10, 1, 1},  {8, 2, 2, 2, 9, 4, 4, 5},   {16, 4, 1, 2, 3, 12, 5, 2},
        {8, 2, 2, 2, 5, 8, 100, 4}, {8, 2, 1, 1, 1, 15, 2, 16}, {4, 4, 1, 1, 6, 6, 6, 6},
        {4, 4, 2, 2, 6, 6, 12, 5},  {8, 8, 8, 1, 4, 4, 2, 0},   {16, 16, 4, 1, 8, 3, 3, 7},
        {1, 1, 1, 1, 1, 1, 0, 1},   {2, 2, 1, 3, 13, 3, 5, 4},
    };
    char err[256];
    long steps = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        KvConfig c = config_default();
        c.vocab = tokenizer_vocab();
        c.d_model = cases[ci].d;
        c.n_heads = cases[ci].H;
        c.n_kv_heads = cases[ci].Hkv;
        c.n_layers = cases[ci].Lyr;
        c.d_ff = 3 * cases[ci].d;
        c.window = cases[ci].W;
        c.max_seq = cases[ci].L + cases[ci].G;
        c.block_size = cases[ci].B > c.max_seq ? c.max_seq : cases[ci].B;
        c.seed = 300 + ci;
        const int L = cases[ci].L, G = cases[ci].G;
        assert_int_equal(config_validate(&c, L, G, err, sizeof err), 0);
        Model m;
        assert_int_equal(model_init(&m, &c), 0);
        int ids[64];
        for (int i = 0; i < L; i++) ids[i] = (int)((ci * 11 + (size_t)i * 3) % 95);
        const uint64_t kvd = (uint64_t)config_kv_dim(&c), Lyr = (uint64_t)c.n_layers;
        for (int md = 0; md < MODE_COUNT; md++) {
            Engine e;
            assert_int_equal(engine_init(&e, &m, (RunMode)md, ids, L, G, err, sizeof err), 0);
            Traffic sum;
            memset(&sum, 0, sizeof sum);
            for (int k = 0; k < e.n_steps; k++) {
                Traffic want, f;
                expected_traffic(&c, (RunMode)md, L, k, &want);
                /* layer by layer: each layer after the first adds its six
                 * weight matrices and its K/V reads (the first also the embedding rows) */
                Traffic before;
                memset(&before, 0, sizeof before);
                for (int l = 0; l < c.n_layers; l++) {
                    assert_true(engine_next_layer(&e));
                    if (l > 0) {
                        const uint64_t d = (uint64_t)c.d_model, F = (uint64_t)c.d_ff;
                        assert_int_equal(e.traffic.weight_bytes - before.weight_bytes,
                                         4 * (2 * d * d + 2 * d * kvd + 2 * d * F));
                        assert_int_equal(e.traffic.kv_read_bytes - before.kv_read_bytes,
                                         want.kv_read_bytes / Lyr);
                    }
                    before = e.traffic;
                }
                assert_true(engine_next_step(&e));
                assert_traffic(&e.traffic, &want, config_mode_name((RunMode)md), k);
                assert_traffic(engine_step_traffic(&e, k), &want, "recorded", k);
                formulas_traffic(&c, (RunMode)md, L, k, &f);
                assert_traffic(&f, &want, "formulas_traffic", k);
                traffic_add(&sum, &want);
                /* paged: ceil(t / B), less the blocks wholly out of the window */
                int t = L + k;
                if (md == MODE_TRAIN) t = L;
                uint64_t blocks = 0;
                if (md == MODE_CACHE && c.block_size) {
                    const int gone = (c.window && t > c.window) ? t - c.window : 0;
                    blocks = (uint64_t)((t + c.block_size - 1) / c.block_size - gone / c.block_size);
                }
                assert_int_equal((uint64_t)engine_kv_blocks(&e), blocks);
                assert_int_equal(engine_kv_reserved_bytes(&e), blocks * (uint64_t)c.block_size * 2 * Lyr * kvd * 4);
                assert_int_equal(formulas_kv_blocks(&c, (RunMode)md, L, k), blocks);
                assert_int_equal(formulas_kv_reserved_bytes(&c, (RunMode)md, L, k),
                                 blocks * (uint64_t)c.block_size * 2 * Lyr * kvd * 4);
                steps++;
            }
            assert_traffic(&e.traffic_cum, &sum, "cumulative", -1);
            /* replay lands on the same bytes */
            const long total = engine_total_ops(&e);
            uint64_t r = 17 + ci;
            for (int i = 0; i < 20; i++) {
                r = r * 6364136223846793005ULL + 1442695040888963407ULL;
                engine_seek(&e, (long)((r >> 33) % (uint64_t)(total + 1)));
            }
            engine_run_to_end(&e);
            assert_traffic(&e.traffic_cum, &sum, "after replay", -1);
            engine_free(&e);
        }
        model_free(&m);
    }
    print_message("%ld steps: weight, K/V read and K/V written bytes == closed forms\n", steps);
}

/* Decode at batch 1 reads every weight for one token: its intensity is far
 * below prefill's, and the weights dominate its bytes (spec §6.5). */
static void test_decode_is_memory_bound(void **state)
{
    (void)state;
    char err[256];
    KvConfig c = config_default();
    c.vocab = tokenizer_vocab();
    Model m;
    assert_int_equal(model_init(&m, &c), 0);
    int ids[40];
    for (int i = 0; i < 40; i++) ids[i] = i + 10;
    Engine e;
    assert_int_equal(engine_init(&e, &m, MODE_CACHE, ids, 40, 4, err, sizeof err), 0);
    engine_next_step(&e);
    const double prefill = traffic_intensity(counts_total(&e.step_counts), &e.traffic);
    engine_next_step(&e);
    const double decode = traffic_intensity(counts_total(&e.step_counts), &e.traffic);
    assert_true(prefill > 8.0 * decode);    /* 5.03 vs 0.499 FLOP/byte */
    assert_true(e.traffic.weight_bytes > 5 * e.traffic.kv_read_bytes);
    assert_true(decode < 1.0);   /* about one FLOP per two bytes: memory-bound */
    engine_free(&e);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traffic_and_blocks),
        cmocka_unit_test(test_decode_is_memory_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
