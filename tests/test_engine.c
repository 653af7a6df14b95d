/* test_engine: the step engine against the spec's closed forms, and the
 * cache and recompute modes against each other.
 *
 * The closed forms used as the reference are written out again here, from
 * spec §4, instead of calling formulas.c, so a mistake in one of the two
 * cannot hide a mistake in the other (test_formulas checks formulas.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/paged.h"
#include "sim/rng.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int d, H, Lyr, F, L, G;
    uint64_t seed;
} Case;

/* A grid of configurations: L = 1 and G = 1, H = 1 and H = d, d up to 64. */
static const Case grid[] = {
    {1, 1, 1, 4, 1, 1, 1},     {1, 1, 2, 3, 3, 4, 2},     {2, 1, 1, 8, 1, 6, 3},
    {2, 2, 2, 8, 4, 1, 4},     {4, 1, 1, 16, 1, 1, 5},    {4, 4, 1, 16, 5, 5, 6},
    {4, 2, 3, 16, 2, 7, 7},    {4, 4, 2, 5, 6, 2, 8},     {6, 3, 2, 24, 3, 3, 9},
    {6, 6, 1, 7, 1, 9, 10},    {8, 1, 2, 32, 5, 5, 11},   {8, 2, 2, 32, 18, 8, 42},
    {8, 4, 1, 32, 1, 12, 13},  {8, 8, 3, 32, 7, 1, 14},   {8, 2, 4, 9, 9, 9, 15},
    {10, 5, 1, 40, 4, 4, 16},  {12, 3, 2, 48, 6, 6, 17},  {12, 12, 1, 48, 1, 3, 18},
    {12, 4, 3, 20, 10, 2, 19}, {16, 1, 1, 64, 8, 8, 20},  {16, 2, 2, 64, 3, 10, 21},
    {16, 4, 2, 64, 1, 1, 22},  {16, 8, 1, 64, 12, 4, 23}, {16, 16, 2, 64, 2, 2, 24},
    {20, 4, 1, 80, 5, 5, 25},  {24, 6, 2, 96, 4, 6, 26},  {24, 3, 1, 10, 1, 8, 27},
    {32, 1, 1, 128, 3, 3, 28}, {32, 2, 2, 128, 6, 4, 29}, {32, 4, 1, 128, 1, 10, 30},
    {32, 8, 2, 64, 9, 2, 31},  {32, 32, 1, 128, 2, 5, 32}, {40, 5, 1, 160, 4, 3, 33},
    {48, 6, 1, 192, 3, 4, 34}, {48, 12, 2, 96, 1, 1, 35}, {64, 1, 1, 256, 2, 3, 36},
    {64, 2, 1, 256, 5, 2, 37}, {64, 4, 2, 256, 1, 4, 38}, {64, 8, 1, 256, 3, 3, 39},
    {64, 16, 1, 128, 4, 1, 40}, {64, 64, 1, 256, 2, 2, 41}, {3, 1, 2, 12, 2, 2, 1001},
    {3, 3, 1, 12, 1, 5, 1002}, {5, 1, 1, 20, 6, 3, 1003}, {5, 5, 2, 20, 3, 1, 1004},
    {7, 7, 1, 28, 1, 2, 1005}, {9, 3, 2, 36, 5, 4, 1006}, {14, 7, 1, 56, 2, 6, 1007},
    {18, 9, 2, 72, 4, 2, 1008}, {28, 4, 1, 112, 3, 5, 1009}, {8, 2, 2, 32, 1, 20, 1010},
    {8, 2, 2, 32, 20, 1, 1011}, {4, 2, 1, 16, 30, 30, 1012}, {2, 2, 1, 1, 1, 40, 1013},
};
#define N_CASES ((int)(sizeof grid / sizeof grid[0]))

typedef struct {
    KvConfig cfg;
    Model model;
    int ids[128];
} Fixture;

static void setup_case(Fixture *fx, const Case *c)
{
    fx->cfg = config_default();
    fx->cfg.vocab = tokenizer_vocab();
    fx->cfg.d_model = c->d;
    fx->cfg.n_heads = fx->cfg.n_kv_heads = c->H;
    fx->cfg.n_layers = c->Lyr;
    fx->cfg.d_ff = c->F;
    fx->cfg.max_seq = c->L + c->G;
    fx->cfg.seed = c->seed;
    char err[256];
    assert_int_equal(config_validate(&fx->cfg, c->L, c->G, err, sizeof err), 0);
    assert_int_equal(model_init(&fx->model, &fx->cfg), 0);
    /* a prompt of printable ASCII characters chosen by the seed */
    for (int i = 0; i < c->L; i++) fx->ids[i] = (int)((c->seed * 31 + (uint64_t)i * 7) % 95);
}

/* Spec §4, per step, summed over layers; written out independently. */
static void expected_step(const KvConfig *c, RunMode mode, int L, int k, OpCounts *o)
{
    uint64_t n, t, d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab,
                   Lyr = (uint64_t)c->n_layers;
    if (mode == MODE_CACHE) { n = k == 0 ? (uint64_t)L : 1; t = (uint64_t)(L + k); }
    else if (mode == MODE_RECOMPUTE) { n = t = (uint64_t)(L + k); }
    else { n = t = (uint64_t)L; }
    o->mac[CAT_QKV] = 3 * n * d * d * Lyr;
    o->mac[CAT_SCORES] = n * t * d * Lyr;
    o->mac[CAT_VALUES] = n * t * d * Lyr;
    o->mac[CAT_OUT_PROJ] = n * d * d * Lyr;
    o->mac[CAT_FFN] = 2 * n * d * F * Lyr;
    o->mac[CAT_LM_HEAD] = (mode == MODE_TRAIN ? n : 1) * d * V;
    o->masked = d * Lyr * n * (n - 1) / 2;
}

static void assert_counts(const OpCounts *got, const OpCounts *want, const char *what, int k)
{
    for (int i = 0; i < CAT_COUNT; i++) {
        if (got->mac[i] != want->mac[i])
            fail_msg("%s step %d %s: measured %llu, closed form %llu", what, k,
                     counts_name((Category)i), (unsigned long long)got->mac[i],
                     (unsigned long long)want->mac[i]);
    }
    if (got->masked != want->masked)
        fail_msg("%s step %d masked: measured %llu, closed form %llu", what, k,
                 (unsigned long long)got->masked, (unsigned long long)want->masked);
}

/* Per step, per layer, per category, and in total, in both modes. */
static void test_counts_equal_closed_forms(void **state)
{
    (void)state;
    for (int ci = 0; ci < N_CASES; ci++) {
        const Case *c = &grid[ci];
        Fixture fx;
        setup_case(&fx, c);
        char err[256];
        for (int md = 0; md < MODE_COUNT; md++) {
            Engine e;
            assert_int_equal(engine_init(&e, &fx.model, (RunMode)md, fx.ids, c->L, c->G, err, sizeof err), 0);
            OpCounts sum = {{0}, 0, 0};
            for (int k = 0; k < e.n_steps; k++) {
                /* layer by layer: each layer's share equals one layer of the formula */
                OpCounts before;
                memset(&before, 0, sizeof before);
                OpCounts layer_want;
                formulas_step_layer(&fx.cfg, (RunMode)md, c->L, k, &layer_want);
                for (int l = 0; l < c->Lyr; l++) {
                    assert_true(engine_next_layer(&e));
                    OpCounts now = e.step_counts, delta;
                    for (int i = 0; i < CAT_COUNT; i++) delta.mac[i] = now.mac[i] - before.mac[i];
                    delta.masked = now.masked - before.masked;
                    assert_counts(&delta, &layer_want, "layer", k);
                    before = now;
                }
                assert_true(engine_next_step(&e));
                OpCounts want;
                expected_step(&fx.cfg, (RunMode)md, c->L, k, &want);
                assert_counts(&e.step_counts, &want, config_mode_name((RunMode)md), k);
                assert_counts(engine_step_counts(&e, k), &want, "recorded", k);
                /* formulas.c agrees with the independent expectation */
                OpCounts f;
                formulas_step(&fx.cfg, (RunMode)md, c->L, k, &f);
                assert_counts(&f, &want, "formulas_step", k);
                /* cache bytes: 2·Lyr·t·d·4 in cache mode, nothing kept otherwise */
                uint64_t kvb = md == MODE_CACHE ? 2ull * c->Lyr * (uint64_t)(c->L + k) * c->d * 4 : 0;
                assert_int_equal(engine_kv_bytes(&e), kvb);
                counts_add(&sum, &want);
            }
            assert_false(engine_next_step(&e));
            assert_counts(&e.cum, &sum, "cumulative", -1);
            OpCounts total;
            assert_true(formulas_total(&fx.cfg, (RunMode)md, c->L, c->G, &total));
            assert_counts(&e.cum, &total, "closed-form total", -1);
            engine_free(&e);
        }
        model_free(&fx.model);
    }
    print_message("%d configurations x 3 modes: every step, layer and total equals the closed form\n",
                  N_CASES);
}

/* Same tokens and the same logits, bit for bit, and the same K/V rows. */
static void test_cache_equals_recompute(void **state)
{
    (void)state;
    double max_diff = 0.0;
    long steps = 0, rows = 0;
    for (int ci = 0; ci < N_CASES; ci++) {
        const Case *c = &grid[ci];
        Fixture fx;
        setup_case(&fx, c);
        char err[256];
        Engine ec, er;
        assert_int_equal(engine_init(&ec, &fx.model, MODE_CACHE, fx.ids, c->L, c->G, err, sizeof err), 0);
        assert_int_equal(engine_init(&er, &fx.model, MODE_RECOMPUTE, fx.ids, c->L, c->G, err, sizeof err), 0);
        const int kv = ec.cache.kv_dim;
        for (int k = 0; k < c->G; k++) {
            engine_next_step(&ec);
            engine_next_step(&er);
            assert_int_equal(ec.picked, er.picked);
            for (int j = 0; j < fx.cfg.vocab; j++) {
                double diff = fabs((double)ec.logits[j] - (double)er.logits[j]);
                if (diff > max_diff) max_diff = diff;
            }
            assert_memory_equal(ec.logits, er.logits, sizeof(float) * (size_t)fx.cfg.vocab);
            /* every cached row equals what recompute just computed for that position */
            assert_int_equal(ec.cache.len, c->L + k);
            for (int l = 0; l < c->Lyr; l++)
                for (int p = 0; p < ec.cache.len; p++) {
                    assert_memory_equal(kvcache_k(&ec.cache, l, p), engine_k_row(&er, l, p),
                                        sizeof(float) * (size_t)kv);
                    assert_memory_equal(kvcache_v(&ec.cache, l, p), engine_v_row(&er, l, p),
                                        sizeof(float) * (size_t)kv);
                    rows++;
                }
            assert_int_equal(engine_kv_bytes(&er), 0);
            steps++;
        }
        for (int k = 0; k < c->G; k++) assert_int_equal(engine_emitted(&ec, k), engine_emitted(&er, k));
        engine_free(&ec);
        engine_free(&er);
        model_free(&fx.model);
    }
    print_message("%ld steps: max |logit difference| = %g; %ld K/V rows bitwise equal\n", steps,
                  max_diff, rows);
    assert_true(max_diff == 0.0);
}

/* Masked weights are exactly 0; each softmax row sums to 1 within 1e-6. */
static void test_attention_rows(void **state)
{
    (void)state;
    long checked = 0;
    for (int ci = 0; ci < N_CASES; ci += 3) {
        const Case *c = &grid[ci];
        Fixture fx;
        setup_case(&fx, c);
        char err[256];
        for (int md = 0; md < MODE_COUNT; md++) {
            Engine e;
            assert_int_equal(engine_init(&e, &fx.model, (RunMode)md, fx.ids, c->L, c->G, err, sizeof err), 0);
            while (engine_next_step(&e)) {
                for (int l = 0; l < c->Lyr; l++)
                    for (int h = 0; h < c->H; h++)
                        for (int i = 0; i < e.n; i++) {
                            const float *a = engine_att_row(&e, l, h, i);
                            double s = 0.0;
                            for (int j = 0; j < e.t; j++) {
                                if (j > e.p0 + i) assert_true(a[j] == 0.0f);
                                assert_true(a[j] >= 0.0f);
                                s += a[j];
                            }
                            if (fabs(s - 1.0) > 1e-6) fail_msg("row sums to %.9f", s);
                            checked++;
                        }
            }
            engine_free(&e);
        }
        model_free(&fx.model);
    }
    print_message("%ld attention rows checked\n", checked);
}

/* A decode step's single row sees every cached key: nothing is masked. */
static void test_decode_row_has_no_masked_cell(void **state)
{
    (void)state;
    Fixture fx;
    const Case c = {8, 2, 2, 32, 5, 6, 3};
    setup_case(&fx, &c);
    char err[256];
    Engine e;
    assert_int_equal(engine_init(&e, &fx.model, MODE_CACHE, fx.ids, c.L, c.G, err, sizeof err), 0);
    engine_next_step(&e);
    assert_int_equal(engine_phase(&e), PHASE_PREFILL);
    while (engine_next_step(&e)) {
        assert_int_equal(engine_phase(&e), PHASE_DECODE);
        assert_int_equal(e.n, 1);
        assert_int_equal(e.step_counts.masked, 0);
        assert_int_equal(e.p0, e.t - 1);   /* absolute position, not 0 */
    }
    engine_free(&e);
    model_free(&fx.model);
}

/* Snapshot of what a UI reads, to compare forward and replayed states. */
typedef struct {
    OpCounts cum;
    int step, n_tokens, cache_len, picked;
    float x0, logit0, att0;
    OpRef op;
} Snap;

static Snap snap(const Engine *e)
{
    Snap s;
    memset(&s, 0, sizeof s);
    s.cum = e->cum;
    s.step = e->step;
    s.n_tokens = e->n_tokens;
    s.cache_len = e->cache.len;
    s.picked = e->picked;
    /* buffers count only once the operation that fills them has run */
    if (engine_op_done(e, OP_EMBED, -1)) s.x0 = e->x[0];
    if (engine_op_done(e, OP_LOGITS, -1)) s.logit0 = e->logits[0];
    if (engine_op_done(e, OP_SOFTMAX, 0)) s.att0 = engine_att_row(e, 0, 0, 0)[0];
    s.op = engine_current_op(e);
    return s;
}

/* Going backwards (deterministic replay) lands on exactly the state that
 * going forwards produced, at every operation. */
static void test_backwards_replay(void **state)
{
    (void)state;
    Fixture fx;
    const Case c = {8, 2, 2, 32, 4, 5, 7};
    setup_case(&fx, &c);
    char err[256];
    for (int md = 0; md < MODE_COUNT; md++) {
        Engine e;
        assert_int_equal(engine_init(&e, &fx.model, (RunMode)md, fx.ids, c.L, c.G, err, sizeof err), 0);
        const long total = engine_total_ops(&e);
        Snap *fw = calloc((size_t)total + 1, sizeof(Snap));
        assert_non_null(fw);
        fw[0] = snap(&e);
        for (long p = 1; p <= total; p++) {
            assert_true(engine_next_op(&e));
            fw[p] = snap(&e);
        }
        assert_false(engine_next_op(&e));
        /* walk all the way back one operation at a time */
        for (long p = total - 1; p >= 0; p--) {
            assert_true(engine_prev_op(&e));
            Snap s = snap(&e);
            assert_int_equal(e.pos, p);
            assert_memory_equal(&s, &fw[p], sizeof s);
        }
        assert_false(engine_prev_op(&e));
        /* and jump around */
        uint64_t r = 12345;
        for (int i = 0; i < 200; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            long p = (long)((r >> 33) % (uint64_t)(total + 1));
            engine_seek(&e, p);
            Snap s = snap(&e);
            assert_memory_equal(&s, &fw[p], sizeof s);
        }
        free(fw);
        engine_free(&e);
    }
    model_free(&fx.model);
}

/* Token steps and layers move the cursor to the boundaries they promise. */
static void test_granularity(void **state)
{
    (void)state;
    Fixture fx;
    const Case c = {8, 2, 3, 32, 4, 3, 9};
    setup_case(&fx, &c);
    char err[256];
    Engine e;
    assert_int_equal(engine_init(&e, &fx.model, MODE_CACHE, fx.ids, c.L, c.G, err, sizeof err), 0);
    const int ops = e.ops_per_step;
    assert_int_equal(ops, 1 + 9 * 3 + 4);
    assert_int_equal(engine_op_at(&e, 0).kind, OP_EMBED);
    assert_int_equal(engine_op_at(&e, 1).kind, OP_LN1);
    assert_int_equal(engine_op_at(&e, 3).kind, OP_SCORES);
    assert_int_equal(engine_op_at(&e, 4).kind, OP_MASK);
    assert_int_equal(engine_op_at(&e, 10).layer, 1);
    assert_int_equal(engine_op_at(&e, ops - 1).kind, OP_APPEND);
    assert_int_equal(engine_phase(&e), PHASE_READY);
    /* one layer: embed + LN1..FFN of layer 0 */
    assert_true(engine_next_layer(&e));
    assert_int_equal(e.pos, 10);
    assert_int_equal(engine_current_op(&e).kind, OP_FFN);
    assert_int_equal(engine_current_op(&e).layer, 0);
    assert_int_equal(e.cache.len, 0);          /* nothing committed before the append */
    assert_true(engine_next_step(&e));
    assert_int_equal(e.pos, ops);
    assert_int_equal(e.cache.len, c.L);
    assert_true(engine_next_op(&e));
    assert_true(engine_next_step(&e));
    assert_int_equal(e.pos, 2 * ops);          /* the rest of step 1, not a whole step more */
    assert_true(engine_prev_layer(&e));
    assert_int_equal(engine_current_op(&e).kind, OP_FFN);
    assert_int_equal(engine_current_op(&e).layer, 2);
    assert_true(engine_prev_step(&e));
    assert_int_equal(e.pos, ops);
    assert_true(engine_prev_step(&e));
    assert_int_equal(e.pos, 0);
    assert_false(engine_prev_step(&e));
    engine_run_to_end(&e);
    assert_int_equal(e.pos, engine_total_ops(&e));
    assert_int_equal(e.n_tokens, c.L + c.G);
    engine_free(&e);
    model_free(&fx.model);
}

/* The teacher-forcing pass: one step over the prompt, a finite loss. */
static void test_train_pass(void **state)
{
    (void)state;
    Fixture fx;
    const Case c = {8, 2, 2, 32, 6, 1, 11};
    setup_case(&fx, &c);
    char err[256];
    Engine e;
    assert_int_equal(engine_init(&e, &fx.model, MODE_TRAIN, fx.ids, c.L, 99, err, sizeof err), 0);
    assert_int_equal(e.n_steps, 1);
    engine_run_to_end(&e);
    assert_int_equal(engine_phase(&e), PHASE_TRAIN);
    assert_true(isfinite(e.loss) && e.loss > 0.0);
    /* the loss by hand from the engine's logits */
    double sum = 0.0;
    for (int i = 0; i + 1 < c.L; i++) {
        const float *z = e.logits + (size_t)i * fx.cfg.vocab;
        double mx = -INFINITY, se = 0.0;
        for (int j = 0; j < fx.cfg.vocab; j++) if (z[j] > mx) mx = z[j];
        for (int j = 0; j < fx.cfg.vocab; j++) se += exp(z[j] - mx);
        sum += log(se) + mx - z[fx.ids[i + 1]];
    }
    assert_true(fabs(sum / (c.L - 1) - e.loss) < 1e-5);
    /* the train pass's last row is the cache prefill's last row */
    Engine ec;
    assert_int_equal(engine_init(&ec, &fx.model, MODE_CACHE, fx.ids, c.L, 1, err, sizeof err), 0);
    engine_next_step(&ec);
    assert_memory_equal(ec.logits, e.logits + (size_t)(c.L - 1) * fx.cfg.vocab,
                        sizeof(float) * (size_t)fx.cfg.vocab);
    assert_int_equal(ec.picked, e.picked);
    engine_free(&ec);
    engine_free(&e);
    model_free(&fx.model);
}

/* Same seed, same weights; another seed, other weights. */
static void test_seeded_weights(void **state)
{
    (void)state;
    KvConfig c = config_default();
    c.vocab = tokenizer_vocab();
    Model a, b, z;
    assert_int_equal(model_init(&a, &c), 0);
    assert_int_equal(model_init(&b, &c), 0);
    c.seed = 43;
    assert_int_equal(model_init(&z, &c), 0);
    assert_memory_equal(a.wq, b.wq, sizeof(float) * 2 * 8 * 8);
    assert_memory_equal(a.wout, b.wout, sizeof(float) * 8 * (size_t)c.vocab);
    assert_memory_not_equal(a.wq, z.wq, sizeof(float) * 2 * 8 * 8);
    /* splitmix64's published first outputs for seed 0: the generator is the
     * reference one, so weights are the same on every machine */
    Rng r;
    rng_init(&r, 0);
    assert_true(rng_next(&r) == 0xE220A8397B1DCDAFULL);
    assert_true(rng_next(&r) == 0x6E789E6AA1B965F4ULL);
    assert_true(rng_next(&r) == 0x06C45D188009454FULL);
    /* and the first weight is the first draw, scaled exactly */
    rng_init(&r, 42);
    assert_true(a.tok_emb[0] == rng_uniform(&r));
    model_free(&a);
    model_free(&b);
    model_free(&z);
}

/* Spec §6.2 / §6.3, written out independently: GQA projections and
 * cache, sliding-window columns and discarded cells (counted by brute
 * force over the block). */
static void expected_step_66(const KvConfig *c, RunMode mode, int L, int k, OpCounts *o)
{
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Lyr = (uint64_t)c->n_layers, kvd = (uint64_t)(c->n_kv_heads * (c->d_model / c->n_heads));
    const int W = c->window;
    int n, t;
    if (mode == MODE_CACHE) { n = k == 0 ? L : 1; t = L + k; }
    else if (mode == MODE_RECOMPUTE) { n = t = L + k; }
    else { n = t = L; }
    /* columns computed: a cached decode row under a window reads min(t, W) */
    const int first_col = (mode == MODE_CACHE && k > 0 && W && t > W) ? t - W : 0;
    uint64_t cells = 0, discarded = 0;
    for (int i = 0; i < n; i++) {
        const int p = t - n + i;
        for (int j = first_col; j < t; j++) {
            cells++;
            if (j > p || (W && j < p - W + 1)) discarded++;
        }
    }
    memset(o, 0, sizeof *o);
    o->mac[CAT_QKV] = Lyr * ((uint64_t)n * d * d + 2 * (uint64_t)n * d * kvd);
    o->mac[CAT_SCORES] = o->mac[CAT_VALUES] = Lyr * cells * d;
    o->mac[CAT_OUT_PROJ] = Lyr * (uint64_t)n * d * d;
    o->mac[CAT_FFN] = Lyr * 2 * (uint64_t)n * d * F;
    o->mac[CAT_LM_HEAD] = (mode == MODE_TRAIN ? (uint64_t)n : 1) * d * V;
    o->masked = Lyr * discarded * d;
}

/* GQA / MQA and sliding windows: counters and cache bytes equal §6's
 * closed forms in every mode, and cache and recompute still agree bit for
 * bit (both apply the same window). */
static void test_gqa_and_window(void **state)
{
    (void)state;
    static const struct { int d, H, Hkv, Lyr, L, G, W; } cases[] = {
        {8, 2, 1, 2, 5, 8, 0},   {8, 2, 2, 2, 5, 8, 0},   {8, 4, 2, 1, 3, 6, 0},
        {16, 8, 1, 2, 4, 9, 0},  {16, 8, 4, 1, 6, 5, 0},  {12, 6, 3, 2, 2, 7, 0},
        {8, 2, 2, 2, 5, 8, 3},   {8, 2, 1, 2, 5, 8, 3},   {8, 4, 2, 2, 7, 6, 4},
        {8, 2, 2, 1, 2, 10, 1},  {8, 2, 2, 2, 9, 4, 4},   {16, 4, 1, 2, 3, 12, 5},
        {8, 2, 2, 2, 5, 8, 100}, {8, 2, 1, 1, 1, 15, 2},  {4, 4, 1, 1, 6, 6, 6},
        {4, 4, 2, 2, 6, 6, 12},  {8, 8, 8, 1, 4, 4, 2},   {16, 16, 4, 1, 8, 3, 3},
    };
    char err[256];
    double max_diff = 0.0;
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
        c.seed = 100 + ci;
        const int L = cases[ci].L, G = cases[ci].G;
        assert_int_equal(config_validate(&c, L, G, err, sizeof err), 0);
        Model m;
        assert_int_equal(model_init(&m, &c), 0);
        int ids[64];
        for (int i = 0; i < L; i++) ids[i] = (int)((ci * 13 + (size_t)i * 5) % 95);
        Engine e[MODE_COUNT];
        for (int md = 0; md < MODE_COUNT; md++)
            assert_int_equal(engine_init(&e[md], &m, (RunMode)md, ids, L, G, err, sizeof err), 0);
        for (int md = 0; md < MODE_COUNT; md++) {
            OpCounts sum;
            memset(&sum, 0, sizeof sum);
            for (int k = 0; k < e[md].n_steps; k++) {
                assert_true(engine_next_step(&e[md]));
                OpCounts want, f;
                expected_step_66(&c, (RunMode)md, L, k, &want);
                assert_counts(&e[md].step_counts, &want, config_mode_name((RunMode)md), k);
                formulas_step(&c, (RunMode)md, L, k, &f);
                assert_counts(&f, &want, "formulas_step", k);
                counts_add(&sum, &want);
                /* bytes kept: 2·Lyr·min(t, W)·Hkv·d_h·4 in cache mode */
                int t = L + k, held = (c.window && t > c.window) ? c.window : t;
                uint64_t kvb = md == MODE_CACHE ? 2ull * (uint64_t)c.n_layers * (uint64_t)held *
                                                      (uint64_t)config_kv_dim(&c) * 4 : 0;
                assert_int_equal(engine_kv_bytes(&e[md]), kvb);
                assert_int_equal(formulas_kv_bytes(&c, (RunMode)md, L, k), kvb);
            }
            OpCounts total;
            assert_true(formulas_total(&c, (RunMode)md, L, G, &total));
            assert_counts(&e[md].cum, &sum, "cumulative", -1);
            assert_counts(&total, &sum, "formulas_total", -1);
        }
        /* cache vs recompute, step by step */
        for (int md = 0; md < MODE_COUNT; md++) engine_seek(&e[md], 0);
        for (int k = 0; k < G; k++) {
            engine_next_step(&e[MODE_CACHE]);
            engine_next_step(&e[MODE_RECOMPUTE]);
            assert_int_equal(e[MODE_CACHE].picked, e[MODE_RECOMPUTE].picked);
            for (int j = 0; j < c.vocab; j++) {
                double diff = fabs((double)e[MODE_CACHE].logits[j] - (double)e[MODE_RECOMPUTE].logits[j]);
                if (diff > max_diff) max_diff = diff;
            }
            /* every row the ring still holds equals recompute's row */
            const KvCache *kc = &e[MODE_CACHE].cache;
            for (int l = 0; l < c.n_layers; l++)
                for (int p = kvcache_first(kc); p < kc->len; p++)
                    assert_memory_equal(kvcache_k(kc, l, p), engine_k_row(&e[MODE_RECOMPUTE], l, p),
                                        sizeof(float) * (size_t)kc->kv_dim);
        }
        for (int md = 0; md < MODE_COUNT; md++) engine_free(&e[md]);
        model_free(&m);
    }
    print_message("GQA/window grid: max |logit difference| = %g\n", max_diff);
    assert_true(max_diff == 0.0);
}

/* Hkv = H and a window the run never fills change nothing at all. */
static void test_neutral_options_are_plain(void **state)
{
    (void)state;
    char err[256];
    KvConfig a = config_default();
    a.vocab = tokenizer_vocab();
    KvConfig b = a;
    b.n_kv_heads = b.n_heads;
    b.window = a.max_seq;
    Model ma, mb;
    assert_int_equal(model_init(&ma, &a), 0);
    assert_int_equal(model_init(&mb, &b), 0);
    int ids[5] = {1, 2, 3, 4, 5};
    Engine ea, eb;
    assert_int_equal(engine_init(&ea, &ma, MODE_CACHE, ids, 5, 10, err, sizeof err), 0);
    assert_int_equal(engine_init(&eb, &mb, MODE_CACHE, ids, 5, 10, err, sizeof err), 0);
    while (engine_next_step(&ea)) {
        engine_next_step(&eb);
        assert_memory_equal(ea.logits, eb.logits, sizeof(float) * (size_t)a.vocab);
        assert_true(counts_equal(&ea.step_counts, &eb.step_counts));
    }
    engine_free(&ea);
    engine_free(&eb);
    model_free(&ma);
    model_free(&mb);
}

/* With a window, going back replays at most one step (the engine refills
 * the ring from its history, engine.h) and lands on the state going
 * forwards produced: logits, counters, the ring's rows and the paged
 * mirror's rows, bit for bit. */
static void test_window_replay(void **state)
{
    (void)state;
    char err[256];
    for (int B = 0; B <= 2; B += 2) {
        KvConfig c = config_default();
        c.vocab = tokenizer_vocab();
        c.window = 3;
        c.block_size = B;
        Model m;
        assert_int_equal(model_init(&m, &c), 0);
        int ids[4] = {7, 8, 9, 10};
        Engine e;
        assert_int_equal(engine_init(&e, &m, MODE_CACHE, ids, 4, 6, err, sizeof err), 0);
        const long total = engine_total_ops(&e);
        const int kv = e.cache.kv_dim;
        Snap *fw = calloc((size_t)total + 1, sizeof(Snap));
        float *ring = calloc((size_t)(total + 1) * 2 * (size_t)c.max_seq * (size_t)kv, sizeof(float));
        assert_non_null(fw);
        assert_non_null(ring);
        /* what a step-k state holds: layer 1's K and V of every held position */
        #define RING(p) (ring + (size_t)(p) * 2 * (size_t)c.max_seq * (size_t)kv)
        fw[0] = snap(&e);
        for (long p = 1; p <= total; p++) {
            engine_next_op(&e);
            fw[p] = snap(&e);
            for (int pos = 0; pos < e.cache.len; pos++)
                if (kvcache_has(&e.cache, pos)) {
                    memcpy(RING(p) + (size_t)pos * kv, kvcache_k(&e.cache, 1, pos), sizeof(float) * (size_t)kv);
                    memcpy(RING(p) + (size_t)(c.max_seq + pos) * kv, kvcache_v(&e.cache, 1, pos), sizeof(float) * (size_t)kv);
                }
        }
        uint64_t r = 99;
        for (int i = 0; i < 300; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            const long p = i < (int)total ? total - 1 - i : (long)((r >> 33) % (uint64_t)(total + 1));
            const long before = e.ops_run, from = e.pos;
            engine_seek(&e, p);
            /* the cost: forwards, the distance; backwards, at most one step */
            if (p >= from) assert_int_equal(e.ops_run - before, p - from);
            else assert_true(e.ops_run - before <= e.ops_per_step);
            Snap s = snap(&e);
            assert_memory_equal(&s, &fw[p], sizeof s);
            for (int pos = 0; pos < e.cache.len; pos++) {
                if (!kvcache_has(&e.cache, pos)) continue;
                assert_memory_equal(kvcache_k(&e.cache, 1, pos), RING(p) + (size_t)pos * kv, sizeof(float) * (size_t)kv);
                assert_memory_equal(kvcache_v(&e.cache, 1, pos), RING(p) + (size_t)(c.max_seq + pos) * kv,
                                    sizeof(float) * (size_t)kv);
                if (e.pool) {
                    assert_memory_equal(paged_k(e.pool, e.pool_seq, 1, pos), kvcache_k(&e.cache, 1, pos),
                                        sizeof(float) * (size_t)kv);
                    assert_memory_equal(paged_v(e.pool, e.pool_seq, 1, pos), kvcache_v(&e.cache, 1, pos),
                                        sizeof(float) * (size_t)kv);
                }
            }
            if (e.pool) {
                if (paged_check(e.pool, err, sizeof err)) fail_msg("paged_check: %s", err);
                const long done = e.pos / e.ops_per_step;   /* steps whose append ran */
                assert_int_equal(engine_kv_blocks(&e), done ? (int)formulas_kv_blocks(&c, MODE_CACHE, 4, (int)done - 1) : 0);
            }
        }
        #undef RING
        free(ring);
        free(fw);
        engine_free(&e);
        model_free(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_equal_closed_forms),
        cmocka_unit_test(test_cache_equals_recompute),
        cmocka_unit_test(test_attention_rows),
        cmocka_unit_test(test_decode_row_has_no_masked_cell),
        cmocka_unit_test(test_backwards_replay),
        cmocka_unit_test(test_granularity),
        cmocka_unit_test(test_train_pass),
        cmocka_unit_test(test_seeded_weights),
        cmocka_unit_test(test_gqa_and_window),
        cmocka_unit_test(test_neutral_options_are_plain),
        cmocka_unit_test(test_window_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
