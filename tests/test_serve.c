/* test_serve: chunked prefill (spec §6.7) and speculative decoding by
 * prompt lookup (§6.9) against the closed forms and against plain decoding.
 *
 * For every configuration of the grid (GQA, sliding windows, paged blocks
 * and both options together included) a cache engine with the option runs
 * beside a plain cache engine over the same weights and prompt, and
 *   - every step's measured counts, bytes moved, cache bytes and paged
 *     blocks equal the closed forms of sim/formulas.h, and an expectation
 *     written out again here from the spec (so one cannot hide the other);
 *   - the run's totals equal the closed form (chunks) or the sum of the
 *     verify steps' closed forms (speculation);
 *   - every emitted token and every logit row of an emitted token equals
 *     plain decoding's, bit for bit, and so does every K/V row the cache
 *     (and the paged mirror) holds at the end;
 *   - replaying backwards gives the same numbers again.
 * Then on the shipped trained model, and through a Run (the lockstep of
 * cache and recompute). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/spec_block.h"
#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/modelfile.h"
#include "sim/paged.h"
#include "sim/run.h"
#include "sim/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int d, H, Hkv, Lyr, F, L, G, W, B, C, K;
    uint64_t seed;
    int repeat;   /* prompt pattern period (repetition gives prompt lookup matches); 0 = varied */
} Case;

/* 28 configurations: chunks (C = 1, C | L, C ∤ L, C ≥ L), drafts (K = 1 .. 8),
 * both, with GQA / MQA, windows shorter than a chunk or a draft, blocks. */
static const Case grid[] = {
    /* d  H Hkv Lyr F   L   G   W  B  C  K  seed rep */
    {8, 2, 2, 2, 32, 11, 8, 0, 0, 4, 0, 42, 0},
    {8, 2, 2, 2, 32, 12, 5, 0, 0, 4, 0, 43, 0},
    {8, 2, 2, 1, 32, 7, 3, 0, 0, 1, 0, 44, 0},
    {8, 2, 2, 2, 32, 5, 4, 0, 0, 9, 0, 45, 0},
    {16, 4, 2, 2, 64, 13, 6, 0, 0, 5, 0, 46, 0},
    {16, 4, 1, 1, 32, 10, 4, 0, 0, 3, 0, 47, 0},
    {8, 2, 2, 2, 32, 14, 6, 5, 0, 4, 0, 48, 0},
    {8, 2, 1, 2, 32, 9, 7, 3, 0, 2, 0, 49, 0},
    {8, 2, 2, 2, 32, 10, 6, 0, 4, 3, 0, 50, 0},
    {12, 3, 3, 2, 24, 17, 5, 6, 4, 7, 0, 51, 0},
    {8, 2, 2, 2, 32, 1, 4, 0, 0, 3, 0, 52, 0},
    {8, 2, 2, 2, 32, 12, 20, 0, 0, 0, 3, 53, 3},
    {8, 2, 2, 2, 32, 9, 16, 0, 0, 0, 1, 54, 2},
    {8, 2, 2, 1, 32, 8, 24, 0, 0, 0, 8, 55, 4},
    {16, 4, 2, 2, 64, 10, 18, 0, 0, 0, 4, 56, 5},
    {16, 4, 1, 2, 32, 6, 14, 0, 0, 0, 2, 57, 2},
    {8, 2, 2, 2, 32, 12, 20, 4, 0, 0, 5, 58, 3},
    {8, 2, 1, 1, 32, 12, 20, 2, 0, 0, 3, 59, 1},
    {8, 2, 2, 2, 32, 12, 20, 0, 3, 0, 4, 60, 3},
    {8, 2, 2, 2, 32, 12, 20, 5, 2, 0, 6, 61, 2},
    {12, 3, 1, 2, 24, 7, 12, 0, 4, 0, 3, 62, 0},
    {8, 2, 2, 2, 32, 1, 10, 0, 0, 0, 3, 63, 0},
    {8, 2, 2, 2, 32, 5, 1, 0, 0, 0, 3, 64, 1},
    {8, 2, 2, 2, 32, 12, 16, 0, 0, 5, 3, 65, 3},
    {8, 2, 2, 2, 32, 13, 16, 4, 0, 3, 4, 66, 2},
    {8, 2, 1, 2, 32, 11, 12, 0, 4, 4, 2, 67, 4},
    {16, 4, 2, 1, 32, 9, 15, 6, 3, 2, 5, 68, 3},
    {8, 2, 2, 2, 32, 20, 30, 7, 5, 6, 7, 69, 6},
};
#define N_CASES ((int)(sizeof grid / sizeof grid[0]))

typedef struct {
    KvConfig plain, opt;
    Model model;
    int ids[128];
} Fixture;

static void setup_case(Fixture *fx, const Case *c)
{
    KvConfig k = config_default();
    k.vocab = tokenizer_vocab();
    k.d_model = c->d;
    k.n_heads = c->H;
    k.n_kv_heads = c->Hkv;
    k.n_layers = c->Lyr;
    k.d_ff = c->F;
    k.max_seq = c->L + c->G + 2;
    k.seed = c->seed;
    k.window = c->W;
    k.block_size = c->B;
    fx->plain = k;
    k.chunk = c->C;
    k.speculate = c->K;
    fx->opt = k;
    char err[256];
    if (config_validate(&fx->opt, c->L, c->G, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(model_init(&fx->model, &fx->plain), 0);
    for (int i = 0; i < c->L; i++) {
        const int j = c->repeat ? i % c->repeat : i;
        fx->ids[i] = (int)((c->seed * 31 + (uint64_t)j * 7) % 95);
    }
}

static void assert_counts(const OpCounts *got, const OpCounts *want, const char *what, int ci, int k)
{
    char m[160];
    if (counts_differ(got, want, m, sizeof m)) fail_msg("case %d %s step %d %s", ci, what, k, m);
}

/* The plain run's tokens and the logits of each generated token. */
typedef struct {
    int tokens[128];
    float *logits;   /* (G, V) */
} Plain;

static void run_plain(const Fixture *fx, const Case *c, Plain *p)
{
    Model m = fx->model;
    m.cfg = fx->plain;
    Engine e;
    char err[256];
    assert_int_equal(engine_init(&e, &m, MODE_CACHE, fx->ids, c->L, c->G, err, sizeof err), 0);
    const int V = fx->plain.vocab;
    p->logits = malloc(sizeof(float) * (size_t)c->G * (size_t)V);
    assert_non_null(p->logits);
    for (int k = 0; k < c->G; k++) {
        assert_true(engine_next_step(&e));
        memcpy(p->logits + (size_t)k * V, e.logits, sizeof(float) * (size_t)V);
    }
    memcpy(p->tokens, e.tokens, sizeof(int) * (size_t)(c->L + c->G));
    engine_free(&e);
}

/* The head rows a step has: none in an early chunk, 1 + drafts otherwise. */
static int head_rows_of(const Engine *e, const StepPlan *s, int k)
{
    if (k < e->n_chunks - 1) return 0;
    return 1 + s->drafted;
}

/* Every check of the header on one engine with the option, against p. */
static void check_run(const Fixture *fx, const Case *c, int ci, const Model *m, const Plain *p,
                      uint64_t *drafted_out, uint64_t *accepted_out)
{
    Engine e;
    char err[256];
    assert_int_equal(engine_init(&e, m, MODE_CACHE, fx->ids, c->L, c->G, err, sizeof err), 0);
    const KvConfig *k = &fx->opt;
    const int V = k->vocab;
    if (c->C && !c->K) assert_int_equal(e.n_steps, formulas_chunk_steps(c->L, c->C, c->G));
    if (!c->C) assert_int_equal(e.n_chunks, 1);
    assert_true(e.n_steps <= e.cap_steps);
    OpCounts sum_pred;
    memset(&sum_pred, 0, sizeof sum_pred);
    uint64_t drafted = 0, accepted = 0;
    int emitted_total = 0;
    for (int s = 0; s < e.n_steps; s++) {
        assert_true(engine_next_step(&e));
        const StepPlan *pl = engine_plan(&e, s);
        assert_non_null(pl);
        const int hr = head_rows_of(&e, pl, s);
        /* geometry */
        assert_int_equal(pl->p0 + pl->n, e.t);
        if (s < e.n_chunks) {
            const int C = c->C ? c->C : c->L;
            assert_int_equal(pl->p0, s * C);
            assert_int_equal(pl->n, c->L - s * C < C ? c->L - s * C : C);
            assert_int_equal(engine_phase(&e), PHASE_PREFILL);
        } else {
            assert_int_equal(pl->p0, pl->tok0 - 1);
            assert_true(pl->drafted <= c->K);
            assert_int_equal(engine_phase(&e), PHASE_DECODE);
        }
        /* counts: measured = closed form = the spec written out here */
        OpCounts want = {0}, f;   /* (rope stays 0: these runs have no --rope) */
        expected_block(k, pl->p0, pl->n, hr, &want);
        assert_counts(&e.step_counts, &want, "measured", ci, s);
        formulas_block(k, pl->p0, pl->n, hr, &f);
        assert_counts(&f, &want, "formulas_block", ci, s);
        if (c->C && !c->K) {
            formulas_chunk_step(k, c->L, c->C, s, &f);
            assert_counts(&f, &want, "formulas_chunk_step", ci, s);
        }
        if (s >= e.n_chunks) {
            formulas_verify_step(k, pl->tok0, pl->drafted, &f);
            assert_counts(&f, &want, "formulas_verify_step", ci, s);
        }
        counts_add(&sum_pred, &want);
        Traffic tw;
        formulas_block_traffic(k, pl->p0, pl->n, hr, &tw);
        if (!traffic_equal(&tw, &e.traffic))
            fail_msg("case %d step %d traffic: weights %llu/%llu kv read %llu/%llu written %llu/%llu", ci, s,
                     (unsigned long long)e.traffic.weight_bytes, (unsigned long long)tw.weight_bytes,
                     (unsigned long long)e.traffic.kv_read_bytes, (unsigned long long)tw.kv_read_bytes,
                     (unsigned long long)e.traffic.kv_write_bytes, (unsigned long long)tw.kv_write_bytes);
        /* what the cache keeps: the rejected drafts are gone */
        const int kept = engine_kept_after(pl);
        assert_int_equal(e.cache.len, kept);
        assert_true(engine_kv_bytes(&e) == formulas_kept_kv_bytes(k, kept));
        assert_true((uint64_t)engine_kv_blocks(&e) == formulas_kept_kv_blocks(k, kept));
        if (e.pool) {
            assert_int_equal(paged_check(e.pool, err, sizeof err), 0);
            assert_int_equal(e.pool->seqs[e.pool_seq].len, kept);
        }
        /* tokens and logits: those of plain decoding, bit for bit */
        assert_int_equal(pl->emitted, hr ? 1 + pl->accepted : 0);
        for (int i = 0; i < pl->emitted; i++) {
            const int g = pl->tok0 - c->L + i;
            assert_true(g < c->G);
            assert_int_equal(e.tokens[c->L + g], p->tokens[c->L + g]);
            if (memcmp(e.logits + (size_t)i * V, p->logits + (size_t)g * V, sizeof(float) * (size_t)V))
                fail_msg("case %d step %d: logits of token %d differ from plain decoding", ci, s, g);
        }
        emitted_total += pl->emitted;
        assert_int_equal(e.n_tokens, c->L + emitted_total);
        drafted += (uint64_t)pl->drafted;
        if (pl->drafted) accepted += (uint64_t)pl->accepted;
    }
    assert_int_equal(emitted_total, c->G);
    assert_false(engine_next_step(&e));
    /* totals */
    assert_counts(&e.cum, &sum_pred, "total", ci, -1);
    if (c->C && !c->K) {
        OpCounts tot;
        assert_true(formulas_chunk_total(k, c->L, c->C, c->G, &tot));
        assert_counts(&tot, &e.cum, "formulas_chunk_total", ci, -1);
    }
    /* the cache at the end holds plain decoding's rows (run a plain engine again) */
    Model mp = *m;
    mp.cfg = fx->plain;
    Engine q;
    assert_int_equal(engine_init(&q, &mp, MODE_CACHE, fx->ids, c->L, c->G, err, sizeof err), 0);
    engine_run_to_end(&q);
    assert_int_equal(q.cache.len, e.cache.len);
    for (int l = 0; l < k->n_layers; l++)
        for (int pos = 0; pos < e.cache.len; pos++) {
            assert_int_equal(kvcache_has(&e.cache, pos), kvcache_has(&q.cache, pos));
            if (!kvcache_has(&e.cache, pos)) continue;
            const size_t bytes = sizeof(float) * (size_t)e.cache.kv_dim;
            if (memcmp(kvcache_k(&e.cache, l, pos), kvcache_k(&q.cache, l, pos), bytes) ||
                memcmp(kvcache_v(&e.cache, l, pos), kvcache_v(&q.cache, l, pos), bytes))
                fail_msg("case %d: cache row %d of layer %d differs from plain decoding", ci, pos, l);
            if (e.pool && (memcmp(paged_k(e.pool, 0, l, pos), kvcache_k(&e.cache, l, pos), bytes) ||
                           memcmp(paged_v(e.pool, 0, l, pos), kvcache_v(&e.cache, l, pos), bytes)))
                fail_msg("case %d: paged row %d of layer %d differs from the cache", ci, pos, l);
        }
    engine_free(&q);
    /* replay: back to a few places and forward again, same numbers */
    const OpCounts end = e.cum;
    const long total = engine_total_ops(&e);
    const long back[] = {total / 3, total / 2 + 1, 1, total - 1};
    for (int i = 0; i < 4; i++) {
        const long before = e.ops_run;
        engine_seek(&e, back[i]);
        assert_true(e.ops_run - before <= e.ops_per_step);   /* a rewind replays at most one step */
        engine_run_to_end(&e);
        assert_counts(&e.cum, &end, "replayed", ci, -1);
        assert_memory_equal(e.tokens, p->tokens, sizeof(int) * (size_t)(c->L + c->G));
    }
    engine_free(&e);
    *drafted_out += drafted;
    *accepted_out += accepted;
}

static void test_grid(void **state)
{
    (void)state;
    uint64_t drafted = 0, accepted = 0;
    for (int ci = 0; ci < N_CASES; ci++) {
        const Case *c = &grid[ci];
        Fixture fx;
        setup_case(&fx, c);
        Plain p;
        run_plain(&fx, c, &p);
        Model m = fx.model;
        m.cfg = fx.opt;
        check_run(&fx, c, ci, &m, &p, &drafted, &accepted);
        free(p.logits);
        model_free(&fx.model);
    }
    /* the grid exercises acceptance and rejection both */
    printf("grid: %d configurations, %llu drafts, %llu accepted\n", N_CASES, (unsigned long long)drafted,
           (unsigned long long)accepted);
    assert_true(accepted > 0 && accepted < drafted);
}

static void test_lookup(void **state)
{
    (void)state;
    int out[8];
    /* "abcXabc" -> suffix "abc" occurred at 0, followed by "Xabc" */
    const int s1[] = {1, 2, 3, 9, 1, 2, 3};
    assert_int_equal(engine_lookup_draft(s1, 7, 8, out), 4);
    assert_int_equal(out[0], 9);
    assert_int_equal(out[3], 3);
    assert_int_equal(engine_lookup_draft(s1, 7, 2, out), 2);   /* at most K */
    /* the latest earlier occurrence wins: "ab1 ab2 ab" -> after the second "ab" */
    const int s2[] = {1, 2, 5, 1, 2, 6, 1, 2};
    assert_int_equal(engine_lookup_draft(s2, 8, 3, out), 3);
    assert_int_equal(out[0], 6);
    /* longest suffix first: "xyz..yz..z" — length 3 "xyz" matches? no; 2 "yz" does */
    const int s3[] = {7, 8, 4, 8, 9, 5, 8, 9};   /* suffix 8 9: earlier at 3 -> 5 8 9 */
    assert_int_equal(engine_lookup_draft(s3, 8, 8, out), 3);
    assert_int_equal(out[0], 5);
    /* length 1 as the last resort */
    const int s4[] = {3, 4, 5, 6, 3};
    assert_int_equal(engine_lookup_draft(s4, 5, 2, out), 2);
    assert_int_equal(out[0], 4);
    assert_int_equal(out[1], 5);
    /* no match, one token, overlapping occurrence "aaaa" */
    const int s5[] = {1, 2, 3};
    assert_int_equal(engine_lookup_draft(s5, 3, 4, out), 0);
    assert_int_equal(engine_lookup_draft(s5, 1, 4, out), 0);
    const int s6[] = {4, 4, 4, 4};
    assert_int_equal(engine_lookup_draft(s6, 4, 4, out), 1);   /* "444" at 0, then the last 4 */
    assert_int_equal(out[0], 4);
}

/* A plain config with the options off is the plain engine: n_steps, plans. */
static void test_options_off(void **state)
{
    (void)state;
    const Case c = {8, 2, 2, 2, 32, 6, 5, 0, 0, 0, 0, 42, 0};
    Fixture fx;
    setup_case(&fx, &c);
    Engine e;
    char err[256];
    assert_int_equal(engine_init(&e, &fx.model, MODE_CACHE, fx.ids, c.L, c.G, err, sizeof err), 0);
    assert_int_equal(e.n_steps, c.G);
    assert_false(e.planned);
    assert_null(e.draft);
    engine_run_to_end(&e);
    for (int k = 0; k < c.G; k++) {
        const StepPlan *s = engine_plan(&e, k);
        assert_int_equal(s->n, k == 0 ? c.L : 1);
        assert_int_equal(s->emitted, 1);
        assert_int_equal(s->drafted, 0);
    }
    /* C >= L is one prefill step: the same counts as no chunking */
    Model m = fx.model;
    m.cfg.chunk = c.L;
    Engine q;
    assert_int_equal(engine_init(&q, &m, MODE_CACHE, fx.ids, c.L, c.G, err, sizeof err), 0);
    engine_run_to_end(&q);
    assert_int_equal(q.n_steps, c.G);
    for (int k = 0; k < c.G; k++) assert_true(counts_equal(engine_step_counts(&q, k), engine_step_counts(&e, k)));
    engine_free(&q);
    engine_free(&e);
    model_free(&fx.model);
}

/* Through a Run: cache and recompute in lockstep by the token they emit. */
static void test_run_lockstep(void **state)
{
    (void)state;
    const Case c = {8, 2, 2, 2, 32, 12, 16, 0, 4, 5, 3, 65, 3};
    Fixture fx;
    setup_case(&fx, &c);
    Run r;
    char err[256];
    const RunPrompt rp = {fx.ids, c.L};
    assert_int_equal(run_init(&r, &fx.opt, &fx.model, RUN_ALL_MODES, &rp, 1, c.G, err, sizeof err), 0);
    const Engine *ce = run_engine(&r, MODE_CACHE), *re = run_engine(&r, MODE_RECOMPUTE);
    for (int k = 0; k < ce->n_steps; k++) {
        run_seek(&r, MODE_CACHE, run_step_start(ce, k + 1));
        const StepPlan *s = engine_plan(ce, k);
        if (k < ce->n_chunks - 1) {
            assert_int_equal(re->pos, 0);
        } else {
            /* recompute finished the step of this step's last token */
            assert_int_equal(run_steps_done(re, re->pos), s->tok0 - c.L + s->emitted);
            assert_int_equal(re->picked, ce->picked);
        }
    }
    for (int g = 0; g < c.G; g++) {
        run_seek(&r, MODE_RECOMPUTE, run_step_start(re, g + 1));
        assert_int_equal(ce->n_tokens >= c.L + g + 1, 1);
        assert_int_equal(engine_emitted(ce, g), engine_emitted(re, g));
    }
    /* (a batch with the options: tests/test_batch.c) */
    run_free(&r);
    model_free(&fx.model);
}

/* The shipped trained model: chunks and speculation emit plain decoding's
 * tokens and logits, bit for bit, and on repeated text most drafts are
 * accepted. */
static void test_trained_model(void **state)
{
    (void)state;
    ModelFile mf;
    char err[256];
    if (modelfile_load(&mf, "models/default.kvsim", err, sizeof err)) fail_msg("%s", err);
    tokenizer_use_alphabet(mf.alphabet, mf.model.cfg.vocab);
    const char *text = "abcdefgh abcdefgh abcd";
    int ids[64];
    const int L = tokenizer_encode(text, ids, 64, err, sizeof err);
    assert_true(L > 0);
    const struct { int C, K, W, B; } opts[] = {{5, 0, 0, 0}, {0, 4, 0, 0}, {3, 3, 0, 4}, {0, 6, 8, 3}};
    const int G = 20;
    for (int i = 0; i < 4; i++) {
        Case c = {mf.model.cfg.d_model, mf.model.cfg.n_heads, mf.model.cfg.n_kv_heads, mf.model.cfg.n_layers,
                  mf.model.cfg.d_ff, L, G, opts[i].W, opts[i].B, opts[i].C, opts[i].K, 0, 0};
        Fixture fx;
        KvConfig k = mf.model.cfg;
        k.weights = &mf.model;
        k.max_seq = L + G + 2;
        k.window = opts[i].W;
        k.block_size = opts[i].B;
        fx.plain = k;
        k.chunk = opts[i].C;
        k.speculate = opts[i].K;
        fx.opt = k;
        assert_int_equal(config_validate(&fx.opt, L, G, err, sizeof err), 0);
        assert_int_equal(model_init(&fx.model, &fx.plain), 0);
        memcpy(fx.ids, ids, sizeof(int) * (size_t)L);
        Plain p;
        run_plain(&fx, &c, &p);
        Model m = fx.model;
        m.cfg = fx.opt;
        uint64_t drafted = 0, accepted = 0;
        check_run(&fx, &c, 100 + i, &m, &p, &drafted, &accepted);
        if (opts[i].K) printf("trained, K = %d: %llu drafts, %llu accepted\n", opts[i].K,
                              (unsigned long long)drafted, (unsigned long long)accepted);
        free(p.logits);
        model_free(&fx.model);
    }
    tokenizer_use_alphabet(NULL, 0);
    modelfile_free(&mf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_options_off),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_run_lockstep),
        cmocka_unit_test(test_trained_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
