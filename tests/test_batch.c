/* test_batch: a batch of prompts with chunked prefill (spec §6.7) and
 * speculative decoding (§6.9), in the run's step lockstep (sim/run.h).
 *
 * For every configuration of the grid (GQA / MQA, sliding windows, paged
 * blocks of several sizes, prompts of different lengths, both options
 * together) a Run of several prompts is moved one batch step at a time,
 * and
 *   - every sequence stands at min(batch cursor, its own end): step k,
 *     operation j of its own steps, or its end when it has no step k;
 *   - every step of every sequence has the geometry of its own prompt
 *     (chunk k: rows k·C .. ; decode: the last token and its drafts), and
 *     its measured counts, bytes moved, cache bytes and paged blocks equal
 *     the closed forms (sim/formulas.h) and the spec written out again
 *     here;
 *   - every emitted token and the logits row of every emitted token equal
 *     a plain run of that prompt alone, bit for bit, and so do the cache's
 *     and the pool's K/V rows at the end; the pool stays consistent
 *     (paged_check: references, free list) after every step;
 *   - moved at random (backwards, jumps, past sequence 0's end, key moves)
 *     the batch has the pool of a run moved straight forwards, block id
 *     for block id.
 * With --prefix-cache a later sequence's shared rows are those of
 * formulas_prefix_chunk_rows() (what its donor holds after its first
 * step), its chunks start after them (formulas_chunk_shared_step). Then on
 * the shipped trained model. */
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
#include "sim/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_P 4
#define MAX_L 40

typedef struct {
    int d, H, Hkv, Lyr, W, B, C, K, G;
    int n;             /* prompts */
    int L[MAX_P];      /* their lengths */
    int rep;           /* pattern period (repetition gives prompt lookup matches); 0 = varied */
    uint64_t seed;
    int common[MAX_P]; /* --prefix-cache (when common[1] > 0): prompt s begins with the first
                          common[s] tokens of one base text, then its own */
} Case;

/* 60 configurations: chunks (C = 1, C | L, C ∤ L, C ≥ L), drafts (K = 1 ..
 * 6), both; GQA and MQA; windows shorter than a chunk; blocks of 1 .. 8;
 * a one-token prompt; the longest sequence first, last or in between;
 * then 16 with --prefix-cache (with chunks, drafts, windows). */
static const Case grid[] = {
    /* d  H Hkv Lyr W  B  C  K   G  n  L...            rep seed */
    {8, 2, 2, 2, 0, 0, 3, 0, 4, 2, {7, 3}, 0, 1, {0}},
    {8, 2, 2, 2, 0, 4, 3, 0, 4, 3, {11, 5, 15}, 0, 2, {0}},
    {8, 2, 2, 1, 0, 2, 1, 0, 3, 2, {4, 6}, 0, 3, {0}},
    {8, 2, 2, 2, 0, 3, 4, 0, 5, 3, {12, 8, 4}, 0, 4, {0}},
    {8, 2, 2, 2, 0, 0, 9, 0, 3, 2, {5, 12}, 0, 5, {0}},
    {16, 4, 2, 2, 0, 4, 5, 0, 4, 3, {13, 1, 9}, 0, 6, {0}},
    {16, 4, 1, 1, 0, 2, 3, 0, 6, 2, {10, 2}, 0, 7, {0}},
    {8, 2, 1, 2, 3, 0, 2, 0, 5, 2, {9, 4}, 0, 8, {0}},
    {8, 2, 2, 2, 5, 3, 4, 0, 6, 3, {14, 7, 3}, 0, 9, {0}},
    {12, 3, 3, 2, 6, 4, 7, 0, 5, 2, {17, 6}, 0, 10, {0}},
    {8, 2, 2, 2, 4, 1, 2, 0, 4, 4, {5, 8, 3, 6}, 0, 11, {0}},
    {8, 2, 2, 2, 0, 7, 6, 0, 3, 2, {20, 13}, 0, 12, {0}},
    {8, 2, 2, 2, 0, 5, 2, 0, 2, 3, {3, 9, 1}, 0, 13, {0}},
    {16, 4, 4, 1, 2, 2, 3, 0, 5, 2, {8, 11}, 0, 14, {0}},
    {8, 2, 1, 1, 0, 1, 5, 0, 7, 2, {6, 16}, 0, 15, {0}},
    {8, 2, 2, 2, 0, 0, 0, 3, 12, 2, {12, 9}, 3, 21, {0}},
    {8, 2, 2, 2, 0, 4, 0, 3, 12, 3, {12, 9, 5}, 3, 22, {0}},
    {8, 2, 2, 1, 0, 2, 0, 1, 10, 2, {9, 6}, 2, 23, {0}},
    {8, 2, 2, 2, 0, 3, 0, 6, 16, 2, {8, 10}, 4, 24, {0}},
    {16, 4, 2, 2, 0, 4, 0, 4, 12, 3, {10, 6, 12}, 5, 25, {0}},
    {16, 4, 1, 2, 0, 0, 0, 2, 10, 2, {6, 9}, 2, 26, {0}},
    {8, 2, 2, 2, 4, 0, 0, 5, 14, 2, {12, 7}, 3, 27, {0}},
    {8, 2, 1, 1, 2, 2, 0, 3, 12, 2, {12, 5}, 1, 28, {0}},
    {8, 2, 2, 2, 5, 2, 0, 6, 14, 3, {12, 4, 8}, 2, 29, {0}},
    {12, 3, 1, 2, 0, 4, 0, 3, 10, 2, {7, 11}, 0, 30, {0}},
    {8, 2, 2, 2, 0, 1, 0, 3, 8, 3, {1, 6, 3}, 3, 31, {0}},
    {8, 2, 2, 2, 0, 3, 0, 2, 9, 4, {6, 4, 9, 2}, 2, 32, {0}},
    {8, 2, 2, 2, 3, 3, 0, 4, 12, 2, {9, 12}, 3, 33, {0}},
    {8, 2, 2, 2, 0, 4, 5, 3, 12, 2, {12, 7}, 3, 41, {0}},
    {8, 2, 2, 2, 4, 0, 3, 4, 12, 3, {13, 5, 9}, 2, 42, {0}},
    {8, 2, 1, 2, 0, 4, 4, 2, 10, 2, {11, 4}, 4, 43, {0}},
    {16, 4, 2, 1, 6, 3, 2, 5, 12, 2, {9, 14}, 3, 44, {0}},
    {8, 2, 2, 2, 7, 5, 6, 6, 16, 3, {20, 8, 12}, 6, 45, {0}},
    {8, 2, 2, 2, 0, 2, 3, 3, 10, 4, {7, 2, 10, 5}, 2, 46, {0}},
    {16, 4, 4, 2, 0, 0, 4, 4, 10, 2, {12, 3}, 3, 47, {0}},
    {8, 2, 1, 1, 3, 1, 2, 2, 8, 2, {6, 9}, 2, 48, {0}},
    {12, 3, 3, 1, 0, 6, 5, 3, 10, 3, {15, 6, 10}, 5, 49, {0}},
    {8, 2, 2, 2, 0, 4, 1, 1, 6, 2, {5, 3}, 1, 50, {0}},
    {8, 2, 2, 2, 2, 2, 3, 6, 14, 2, {10, 10}, 2, 51, {0}},
    {8, 2, 2, 2, 0, 3, 2, 0, 4, 2, {6, 6}, 0, 52, {0}},
    {8, 2, 2, 2, 0, 0, 4, 0, 1, 3, {9, 2, 5}, 0, 53, {0}},
    {8, 2, 2, 2, 0, 2, 0, 3, 1, 2, {6, 3}, 3, 54, {0}},
    {16, 4, 2, 2, 5, 4, 3, 0, 6, 4, {10, 3, 7, 12}, 0, 55, {0}},
    {8, 2, 2, 2, 0, 8, 8, 4, 12, 2, {16, 8}, 4, 56, {0}},
    /* --prefix-cache with --chunk (§6.8 + §6.7): common prefixes, donors that hold
     * fewer rows than the common prefix after their first chunk, chains */
    {8, 2, 2, 2, 0, 4, 4, 0, 3, 4, {14, 22, 11, 23}, 0, 71, {14, 12, 8, 22}},
    {8, 2, 2, 2, 0, 2, 3, 0, 4, 3, {12, 12, 9}, 0, 72, {12, 12, 9}},
    {8, 2, 2, 1, 0, 4, 8, 0, 3, 3, {16, 20, 18}, 0, 73, {16, 16, 12}},
    {8, 2, 1, 2, 0, 3, 4, 0, 5, 3, {10, 13, 7}, 0, 74, {10, 9, 6}},
    {16, 4, 2, 2, 0, 4, 5, 0, 4, 4, {20, 20, 20, 6}, 0, 75, {20, 20, 20, 5}},
    {8, 2, 2, 2, 0, 1, 3, 0, 3, 2, {7, 9}, 0, 76, {7, 5}},
    {8, 2, 2, 2, 0, 4, 16, 0, 3, 2, {12, 15}, 0, 77, {12, 12}},
    {8, 2, 2, 2, 0, 5, 6, 0, 4, 3, {11, 16, 12}, 0, 78, {11, 11, 11}},
    {12, 3, 3, 2, 0, 6, 7, 0, 3, 2, {18, 19}, 0, 79, {18, 14}},
    {8, 2, 2, 2, 8, 2, 3, 0, 4, 3, {6, 9, 8}, 0, 80, {6, 6, 5}},
    {8, 2, 2, 2, 11, 2, 2, 0, 4, 3, {10, 12, 10}, 0, 81, {10, 10, 10}},
    {8, 2, 1, 2, 12, 4, 4, 0, 5, 3, {10, 14, 9}, 0, 82, {10, 10, 9}},
    {8, 2, 2, 2, 0, 4, 4, 3, 10, 3, {12, 12, 8}, 3, 83, {12, 12, 8}},
    {8, 2, 2, 2, 0, 2, 3, 2, 8, 2, {9, 12}, 2, 84, {9, 9}},
    {16, 4, 2, 2, 9, 3, 4, 4, 10, 3, {9, 12, 6}, 3, 85, {9, 9, 6}},
    {8, 2, 2, 2, 0, 3, 0, 3, 10, 3, {9, 12, 7}, 3, 86, {9, 9, 6}},
};
#define N_CASES ((int)(sizeof grid / sizeof grid[0]))

typedef struct {
    KvConfig plain, opt;
    Model model;       /* the weights; model.cfg = plain */
    int ids[MAX_P][MAX_L];
    RunPrompt p[MAX_P];
} Fixture;

static void setup_case(Fixture *fx, const Case *c)
{
    KvConfig k = config_default();
    k.vocab = tokenizer_vocab();
    k.d_model = c->d;
    k.n_heads = c->H;
    k.n_kv_heads = c->Hkv;
    k.n_layers = c->Lyr;
    k.d_ff = 4 * c->d;
    int maxL = 0;
    for (int s = 0; s < c->n; s++) maxL = c->L[s] > maxL ? c->L[s] : maxL;
    k.max_seq = maxL + c->G + 2;
    k.seed = c->seed;
    k.window = c->W;
    k.block_size = c->B;
    fx->plain = k;
    k.chunk = c->C;
    k.speculate = c->K;
    k.prefix_cache = c->common[1] > 0;
    fx->opt = k;
    char err[256];
    for (int s = 0; s < c->n; s++)
        if (config_validate(&fx->opt, c->L[s], c->G, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(model_init(&fx->model, &fx->plain), 0);
    for (int s = 0; s < c->n; s++) {
        for (int i = 0; i < c->L[s]; i++) {
            const int j = c->rep ? i % c->rep : i;
            const uint64_t own = i < c->common[s] ? 0 : (uint64_t)s * 13 + 5;   /* after the common part: its own */
            fx->ids[s][i] = (int)((c->seed * 31 + own + (uint64_t)j * 7) % 95);
        }
        fx->p[s] = (RunPrompt){fx->ids[s], c->L[s]};
    }
}

static void assert_counts(const OpCounts *got, const OpCounts *want, const char *what, int ci, int s, int k)
{
    char m[160];
    if (counts_differ(got, want, m, sizeof m)) fail_msg("case %d seq %d %s step %d %s", ci, s, what, k, m);
}

/* A plain cache run of one prompt alone: its tokens, the logits of each
 * generated token, and the engine at its end (for its cache rows). */
typedef struct {
    int tokens[MAX_L + 64];
    float *logits;   /* (G, V) */
    Engine e;
} Plain;

static void run_plain(const Fixture *fx, const RunPrompt *p, int G, Plain *out)
{
    char err[256];
    assert_int_equal(engine_init(&out->e, &fx->model, MODE_CACHE, p->ids, p->L, G, err, sizeof err), 0);
    const int V = fx->plain.vocab;
    out->logits = malloc(sizeof(float) * (size_t)G * (size_t)V);
    assert_non_null(out->logits);
    for (int k = 0; k < G; k++) {
        assert_true(engine_next_step(&out->e));
        memcpy(out->logits + (size_t)k * V, out->e.logits, sizeof(float) * (size_t)V);
    }
    memcpy(out->tokens, out->e.tokens, sizeof(int) * (size_t)(p->L + G));
}

static int lcp(const int *a, int La, const int *b, int Lb)
{
    int n = 0;
    while (n < La && n < Lb && a[n] == b[n]) n++;
    return n;
}

/* §6.8 with §6.7 in the step lockstep, from the formulas: each later
 * prompt's shared rows (the earliest donor giving the most), into sh[]. */
static void expected_shared(const Fixture *fx, const Case *c, int *sh)
{
    const KvConfig *k = &fx->opt;
    sh[0] = 0;
    for (int s = 1; s < c->n; s++) {
        sh[s] = 0;
        for (int j = 0; j < s && k->prefix_cache; j++) {
            const int common = lcp(fx->ids[j], c->L[j], fx->ids[s], c->L[s]);
            const int rows = formulas_prefix_chunk_rows(k, c->L[s], common, c->L[j], sh[j]);
            /* what the donor holds when the first chunk reads: its first step's rows */
            const int held = c->C && c->L[j] - sh[j] > c->C ? sh[j] + c->C : c->L[j];
            if (rows > sh[s] && paged_prefix_held(rows, held, c->W) && paged_prefix_held(rows, c->L[j], c->W))
                sh[s] = rows;
        }
    }
}

/* Every sequence at min(cursor, its total). */
static void check_positions(const Run *r, long cursor, int ci)
{
    assert_true(r->batch_pos == cursor);
    for (int s = 0; s < r->n_seqs; s++) {
        const Engine *e = run_seq(r, s);
        const long want = cursor < engine_total_ops(e) ? cursor : engine_total_ops(e);
        if (e->pos != want) fail_msg("case %d seq %d at %ld, expected %ld (cursor %ld)", ci, s, e->pos, want, cursor);
    }
}

/* Step k of sequence s, just finished: geometry, counts, memory, tokens. */
static void check_step(const Fixture *fx, const Case *c, int ci, const Engine *e, int s, int k, const Plain *pl,
                       int *emitted)
{
    const KvConfig *kc = &fx->opt;
    const StepPlan *p = engine_plan(e, k);
    assert_non_null(p);
    const int L = c->L[s], V = kc->vocab;
    const int sh = e->shared_rows;   /* §6.8: the prefill starts after them */
    if (k < e->n_chunks) {
        const int C = c->C ? c->C : L - sh, p0 = sh + k * C;
        assert_int_equal(e->n_chunks, formulas_shared_chunks(L, sh, c->C));
        assert_int_equal(p->p0, p0);
        assert_int_equal(p->n, L - p0 < C ? L - p0 : C);
        assert_int_equal(engine_phase(e), PHASE_PREFILL);
    } else {
        assert_int_equal(p->p0, p->tok0 - 1);
        assert_true(p->drafted <= c->K);
        assert_int_equal(p->n, 1 + p->drafted);
        assert_int_equal(engine_phase(e), PHASE_DECODE);
    }
    const int head = k < e->n_chunks - 1 ? 0 : 1 + p->drafted;
    OpCounts want, f;
    expected_block(kc, p->p0, p->n, head, &want);
    assert_counts(&e->step_counts, &want, "measured", ci, s, k);
    formulas_block(kc, p->p0, p->n, head, &f);
    assert_counts(&f, &want, "formulas_block", ci, s, k);
    if (c->C && !c->K && !sh) {
        formulas_chunk_step(kc, L, c->C, k, &f);
        assert_counts(&f, &want, "formulas_chunk_step", ci, s, k);
    }
    if (!c->K || k < e->n_chunks) {
        formulas_chunk_shared_step(kc, L, sh, c->C, k, &f);
        assert_counts(&f, &want, "formulas_chunk_shared_step", ci, s, k);
    }
    Traffic tw;
    formulas_block_traffic(kc, p->p0, p->n, head, &tw);
    if (!traffic_equal(&tw, &e->traffic)) fail_msg("case %d seq %d step %d: traffic differs from the closed form", ci, s, k);
    const int kept = engine_kept_after(p);
    assert_int_equal(e->cache.len, kept);
    assert_true(engine_kv_bytes(e) == formulas_kept_kv_bytes(kc, kept));
    assert_true((uint64_t)engine_kv_blocks(e) == formulas_kept_kv_blocks(kc, kept));
    if (e->pool) {
        char err[256];
        if (paged_check(e->pool, err, sizeof err)) fail_msg("case %d seq %d step %d: pool: %s", ci, s, k, err);
        assert_int_equal(e->pool->seqs[e->pool_seq].len, kept);
    }
    assert_int_equal(p->emitted, head ? 1 + p->accepted : 0);
    for (int i = 0; i < p->emitted; i++) {
        const int g = p->tok0 - L + i;
        assert_true(g < c->G);
        assert_int_equal(e->tokens[L + g], pl->tokens[L + g]);
        if (memcmp(e->logits + (size_t)i * V, pl->logits + (size_t)g * V, sizeof(float) * (size_t)V))
            fail_msg("case %d seq %d step %d: logits of token %d differ from the prompt alone", ci, s, k, g);
    }
    *emitted += p->emitted;
}

/* The K/V rows a sequence's cache (and its pool table) holds at the end:
 * those of its plain run alone. */
static void check_rows(const Engine *e, const Engine *q, int ci, int s)
{
    assert_int_equal(e->cache.len, q->cache.len);
    const size_t bytes = sizeof(float) * (size_t)e->cache.kv_dim;
    for (int l = 0; l < e->cfg.n_layers; l++)
        for (int pos = 0; pos < e->cache.len; pos++) {
            assert_int_equal(kvcache_has(&e->cache, pos), kvcache_has(&q->cache, pos));
            if (!kvcache_has(&e->cache, pos)) continue;
            if (memcmp(kvcache_k(&e->cache, l, pos), kvcache_k(&q->cache, l, pos), bytes) ||
                memcmp(kvcache_v(&e->cache, l, pos), kvcache_v(&q->cache, l, pos), bytes))
                fail_msg("case %d seq %d: cache row %d of layer %d differs from the prompt alone", ci, s, pos, l);
            if (e->pool && (memcmp(paged_k(e->pool, e->pool_seq, l, pos), kvcache_k(&e->cache, l, pos), bytes) ||
                            memcmp(paged_v(e->pool, e->pool_seq, l, pos), kvcache_v(&e->cache, l, pos), bytes)))
                fail_msg("case %d seq %d: paged row %d of layer %d differs from the cache", ci, s, pos, l);
        }
}

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void check_same_pool(const PagedPool *a, const PagedPool *b, int ci, long at)
{
    assert_int_equal(a->n_blocks, b->n_blocks);
    for (int i = 0; i < a->n_blocks; i++) {
        const PagedBlockView u = paged_block_view(a, i), v = paged_block_view(b, i);
        if (u.seq != v.seq || u.lblock != v.lblock || u.kept != v.kept || u.refs != v.refs)
            fail_msg("case %d at %ld: block %d is seq %d/L%d/%d, straight forwards seq %d/L%d/%d", ci, at, i, u.seq,
                     u.lblock, u.kept, v.seq, v.lblock, v.kept);
    }
}

/* Moved at random, the batch has the pool of a run moved straight forwards. */
static void check_random_moves(const Fixture *fx, const Case *c, int ci, Run *r)
{
    char err[256];
    const Engine *c0 = run_engine(r, MODE_CACHE);
    const long total = run_batch_total(r), ops = c0->ops_per_step;
    uint64_t seed = c->seed;
    for (int trial = 0; trial < 12; trial++) {
        const int how = (int)(rnd(&seed) % 4);
        if (how < 2) {
            run_seek(r, MODE_CACHE, (long)(rnd(&seed) % (uint64_t)(total + 1)));
        } else {
            static const RunMove mv[] = {RUN_NEXT_OP, RUN_PREV_OP, RUN_NEXT_LAYER, RUN_PREV_LAYER,
                                         RUN_NEXT_STEP, RUN_PREV_STEP, RUN_END};
            const long before = run_cursor(r, MODE_CACHE);
            const RunMove m = mv[rnd(&seed) % 7];
            const bool moved = run_move(r, MODE_CACHE, m);
            if (m == RUN_NEXT_OP) assert_int_equal(run_cursor(r, MODE_CACHE), moved ? before + 1 : before);
            if (m == RUN_PREV_STEP && moved) assert_int_equal(run_cursor(r, MODE_CACHE) % ops, 0);
        }
        const long at = run_cursor(r, MODE_CACHE);
        check_positions(r, at, ci);
        if (!r->pool) continue;
        Run ref;
        assert_int_equal(run_init(&ref, &fx->opt, r->model, RUN_MODE_BIT(MODE_CACHE), fx->p, c->n, c->G, err, sizeof err), 0);
        for (long to = ops; to < at; to += ops) run_seek(&ref, MODE_CACHE, to);
        run_seek(&ref, MODE_CACHE, at);
        check_same_pool(r->pool, ref.pool, ci, at);
        assert_false(run_pool_overflow(r));
        run_free(&ref);
    }
}

static void check_case(const Case *c, int ci)
{
    Fixture fx;
    setup_case(&fx, c);
    Plain pl[MAX_P];
    for (int s = 0; s < c->n; s++) run_plain(&fx, &fx.p[s], c->G, &pl[s]);
    Model m = fx.model;   /* the same weights; the run's options */
    m.cfg = fx.opt;
    Run r;
    char err[256];
    assert_int_equal(run_init(&r, &fx.opt, &m, RUN_MODE_BIT(MODE_CACHE), fx.p, c->n, c->G, err, sizeof err), 0);
    const Engine *c0 = run_engine(&r, MODE_CACHE);
    const long ops = c0->ops_per_step;
    int most = 0, sh[MAX_P], shared_any = 0;
    expected_shared(&fx, c, sh);
    for (int s = 0; s < c->n; s++) {
        const Engine *e = run_seq(&r, s);
        assert_int_equal(e->ops_per_step, ops);   /* the lockstep's premise: one op list */
        if (e->shared_rows != sh[s]) fail_msg("case %d seq %d: %d shared rows, expected %d", ci, s, e->shared_rows, sh[s]);
        shared_any += sh[s] > 0;
        if (c->C && !c->K) assert_int_equal(e->n_steps, formulas_shared_chunks(c->L[s], sh[s], c->C) + c->G - 1);
        if (c->C && !c->K && !sh[s]) assert_int_equal(e->n_steps, formulas_chunk_steps(c->L[s], c->C, c->G));
        most = e->n_steps > most ? e->n_steps : most;
    }
    assert_true(run_batch_total(&r) == (long)most * ops);
    if (!c->K && !shared_any) assert_int_equal(most, formulas_batch_chunk_steps(c->L, c->n, c->C, c->G));
    if (fx.opt.prefix_cache && !shared_any) fail_msg("case %d shares nothing", ci);   /* a case that tests sharing */
    int emitted[MAX_P] = {0};
    uint64_t seed = c->seed + 99;
    for (int k = 0; k < most; k++) {
        /* inside step k: each sequence at the same operation, or at its end */
        const long mid = (long)k * ops + 1 + (long)(rnd(&seed) % (uint64_t)ops);
        run_seek(&r, MODE_CACHE, mid);
        check_positions(&r, mid, ci);
        run_seek(&r, MODE_CACHE, (long)(k + 1) * ops);
        check_positions(&r, (long)(k + 1) * ops, ci);
        int active = 0;
        for (int s = 0; s < c->n; s++) {
            const Engine *e = run_seq(&r, s);
            if (k < e->n_steps) check_step(&fx, c, ci, e, s, k, &pl[s], &emitted[s]);
            active += k < e->n_steps;
        }
        if (!c->K && !shared_any) assert_int_equal(active, formulas_batch_active(c->L, c->n, c->C, c->G, k));
    }
    for (int s = 0; s < c->n; s++) {
        const Engine *e = run_seq(&r, s);
        assert_int_equal(emitted[s], c->G);
        assert_memory_equal(e->tokens, pl[s].tokens, sizeof(int) * (size_t)(c->L[s] + c->G));
        check_rows(e, &pl[s].e, ci, s);
        if (c->C && !c->K && !c->W && !sh[s]) {
            OpCounts tot;
            assert_true(formulas_chunk_total(&fx.opt, c->L[s], c->C, c->G, &tot));
            assert_counts(&e->cum, &tot, "formulas_chunk_total", ci, s, -1);
        }
        if (!c->K) {   /* closed form without a window, per-step sums with one */
            OpCounts tot;
            assert_true(formulas_chunk_shared_total(&fx.opt, c->L[s], sh[s], c->C, c->G, &tot));
            assert_counts(&e->cum, &tot, "formulas_chunk_shared_total", ci, s, -1);
        }
    }
    assert_false(run_move(&r, MODE_CACHE, RUN_NEXT_STEP));   /* the batch's end */
    check_random_moves(&fx, c, ci, &r);
    run_free(&r);
    for (int s = 0; s < c->n; s++) {
        free(pl[s].logits);
        engine_free(&pl[s].e);
    }
    model_free(&fx.model);
}

static void test_grid(void **state)
{
    (void)state;
    assert_true(N_CASES >= 40);
    for (int i = 0; i < N_CASES; i++) check_case(&grid[i], i);
}

/* With every mode: recompute stays beside sequence 0 (at its end while a
 * longer sequence goes on), and the key moves walk the whole batch. */
static void test_all_modes(void **state)
{
    (void)state;
    const Case c = {8, 2, 2, 2, 0, 4, 2, 3, 8, 3, {4, 11, 6}, 2, 61, {0}};
    Fixture fx;
    setup_case(&fx, &c);
    Model m = fx.model;
    m.cfg = fx.opt;
    Run r;
    char err[256];
    assert_int_equal(run_init(&r, &fx.opt, &m, RUN_ALL_MODES, fx.p, c.n, c.G, err, sizeof err), 0);
    const Engine *c0 = run_engine(&r, MODE_CACHE), *re = run_engine(&r, MODE_RECOMPUTE);
    const long total = run_batch_total(&r);
    assert_true(total > engine_total_ops(c0));   /* sequence 1 prefills in 6 chunks */
    assert_true(run_cursor_total(&r, MODE_CACHE) == total);
    long moves = 0;
    while (run_move(&r, MODE_CACHE, RUN_NEXT_OP)) moves++;
    assert_true(moves == total);
    assert_true(c0->pos == engine_total_ops(c0));
    assert_true(re->pos == engine_total_ops(re));
    check_positions(&r, total, 0);
    /* back into sequence 0's steps: recompute follows it again */
    assert_true(run_move(&r, MODE_CACHE, RUN_START));
    check_positions(&r, 0, 0);
    assert_int_equal(re->pos, 0);
    run_seek(&r, MODE_CACHE, run_step_start(c0, c0->n_steps));
    assert_int_equal(run_steps_done(re, re->pos), c.G);
    /* a move of recompute brings the batch to sequence 0's position */
    run_seek(&r, MODE_CACHE, total);
    assert_true(run_move(&r, MODE_RECOMPUTE, RUN_PREV_STEP));
    check_positions(&r, c0->pos, 0);
    /* the train engine moves alone (the trace moves it last) */
    run_seek(&r, MODE_CACHE, total);
    run_seek(&r, MODE_TRAIN, 3);
    check_positions(&r, total, 0);
    /* run_sync with the cache engine at its end (a view change): the
     * batch stays past it */
    run_seek(&r, MODE_CACHE, total - 1);
    run_sync(&r, MODE_CACHE);
    check_positions(&r, total - 1, 0);
    /* run_sync after a direct move: the batch goes to the cache engine */
    run_seek(&r, MODE_CACHE, total);
    engine_seek(&r.eng[MODE_CACHE], 5);
    run_sync(&r, MODE_CACHE);
    check_positions(&r, 5, 0);
    run_free(&r);
    model_free(&fx.model);
}

/* The run moved by keys (as the UI moves it), forwards and back, shows at
 * batch step k the pool `kvsim trace` reports after batch step k. */
static void test_trace_agrees(void **state)
{
    (void)state;
    /* two paged cases of each kind: chunks, drafts, both, prefix + chunks (+ drafts) */
    int taken[5] = {0}, tested = 0;
    for (int i = 0; i < N_CASES; i++) {
        const Case *c = &grid[i];
        const int kind = c->common[1] ? (c->K ? 4 : 3) : c->C && c->K ? 2 : c->K ? 1 : 0;
        if (!c->B || taken[kind] == 2) continue;
        taken[kind]++;
        tested++;
        Fixture fx;
        setup_case(&fx, c);
        Model m = fx.model;
        m.cfg = fx.opt;
        TracePrompt tp[MAX_P];
        for (int s = 0; s < c->n; s++) tp[s] = (TracePrompt){"x", fx.ids[s], c->L[s]};
        Trace tr;
        char err[256];
        assert_int_equal(trace_run_batch(&tr, &m, tp, c->n, c->G, err, sizeof err), 0);
        assert_non_null(tr.pool);
        Run r;
        assert_int_equal(run_init(&r, &fx.opt, &m, RUN_ALL_MODES, fx.p, c->n, c->G, err, sizeof err), 0);
        const long ops = run_engine(&r, MODE_CACHE)->ops_per_step;
        assert_int_equal(tr.n_batch_steps, (int)(run_batch_total(&r) / ops));
        uint64_t seed = c->seed;
        for (int trial = 0; trial < 3 * tr.n_batch_steps; trial++) {
            int k;
            if (trial < tr.n_batch_steps) {   /* first the keys, one step at a time */
                assert_true(run_move(&r, MODE_CACHE, RUN_NEXT_STEP));
                k = trial;
            } else {                          /* then jumps, backwards too */
                k = (int)(rnd(&seed) % (uint64_t)tr.n_batch_steps);
                run_seek(&r, MODE_CACHE, (long)(k + 1) * ops);
            }
            const TracePoolStep *ps = &tr.pool[k];
            assert_int_equal(paged_blocks_used(r.pool), ps->blocks_used);
            assert_int_equal(r.pool->n_free, ps->blocks_free);
            assert_int_equal(paged_blocks_shared(r.pool), ps->blocks_shared);
            assert_true(paged_reserved_bytes(r.pool) == ps->reserved_bytes);
            assert_true(paged_used_bytes(r.pool) == ps->used_bytes);
            for (int s = 0; s < c->n; s++) {
                const TraceSeq *sq = &tr.seqs[s];
                const TraceSeqStep *st = &sq->steps[k < sq->n_steps ? k : sq->n_steps - 1];
                const Engine *e = run_seq(&r, s);
                assert_int_equal(engine_kv_blocks(e), st->kv_blocks);
                assert_true(engine_kv_bytes(e) == st->kv_cache_bytes);
                assert_int_equal(e->cache.len, st->full.kept);
            }
        }
        run_seek(&r, MODE_CACHE, run_batch_total(&r));
        for (int s = 0; s < c->n; s++) {
            int n;
            const int *t = paged_seq_table(r.pool, s, &n);
            assert_int_equal(n, tr.seqs[s].n_table);
            assert_memory_equal(t, tr.seqs[s].table, sizeof(int) * (size_t)n);
            assert_true(tr.seqs[s].plain_same);
        }
        run_free(&r);
        trace_free(&tr);
        model_free(&fx.model);
    }
    assert_int_equal(tested, 10);
}

/* The shipped trained model: every sequence of a batch with chunks,
 * drafts and shared prefixes emits what plain greedy decoding of its
 * prompt alone emits, with the same logits for every token, bit for bit. */
static void test_trained_model(void **state)
{
    (void)state;
    ModelFile mf;
    char err[256];
    if (modelfile_load(&mf, "models/default.kvsim", err, sizeof err)) fail_msg("%s", err);
    tokenizer_use_alphabet(mf.alphabet, mf.model.cfg.vocab);
    /* the second set shares prefixes (--prefix-cache) */
    static const char *const texts[2][4] = {
        {"the cat sat on the mat. the cat", "my dog likes red balls. my dog", "hello, ", "我是一个学生。我是"},
        {"the cat sat on the mat. the cat", "the cat sat on the mat. the dog", "the cat ran", "我是一个学生。我是"},
    };
    int ids[2][4][MAX_L];
    RunPrompt ps[2][4];
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < 4; s++) {
            ps[t][s].L = tokenizer_encode(texts[t][s], ids[t][s], MAX_L, err, sizeof err);
            assert_true(ps[t][s].L > 0);
            ps[t][s].ids = ids[t][s];
        }
    const struct { int C, K, W, B, P; } opts[] = {{4, 0, 0, 4, 0}, {0, 4, 0, 4, 0}, {5, 3, 0, 3, 0}, {3, 2, 9, 2, 0},
                                                  {4, 0, 0, 4, 1}, {6, 3, 0, 2, 1}};
    const int G = 16, V = mf.model.cfg.vocab;
    for (int i = 0; i < 6; i++) {
        const RunPrompt *p = ps[opts[i].P];
        KvConfig k = mf.model.cfg;
        k.max_seq = 32 + G + 2;
        k.window = opts[i].W;
        k.block_size = opts[i].B;
        Model plain = mf.model;
        plain.cfg = k;
        k.chunk = opts[i].C;
        k.speculate = opts[i].K;
        k.prefix_cache = opts[i].P;
        Model m = mf.model;
        m.cfg = k;
        for (int s = 0; s < 4; s++) assert_int_equal(config_validate(&k, p[s].L, G, err, sizeof err), 0);
        Run r;
        assert_int_equal(run_init(&r, &k, &m, RUN_MODE_BIT(MODE_CACHE), p, 4, G, err, sizeof err), 0);
        /* each prompt alone, plain: the logits of every generated token */
        float *want = malloc(sizeof(float) * (size_t)V * 4 * (size_t)G);   /* (4, G, V) */
        Engine q[4];
        assert_non_null(want);
        for (int s = 0; s < 4; s++) {
            assert_int_equal(engine_init(&q[s], &plain, MODE_CACHE, p[s].ids, p[s].L, G, err, sizeof err), 0);
            for (int g = 0; g < G; g++) {
                assert_true(engine_next_step(&q[s]));
                memcpy(want + ((size_t)s * G + (size_t)g) * V, q[s].logits, sizeof(float) * (size_t)V);
            }
        }
        int steps = 0, compared = 0;
        while (run_move(&r, MODE_CACHE, RUN_NEXT_STEP)) {
            for (int s = 0; s < 4; s++) {
                const Engine *e = run_seq(&r, s);
                if (e->pos != r.batch_pos) continue;   /* finished before this batch step */
                const StepPlan *pl = engine_plan(e, e->step);
                for (int j = 0; j < pl->emitted; j++, compared++)   /* logits row j: token tok0 - L + j */
                    if (memcmp(e->logits + (size_t)j * V, want + ((size_t)s * G + (size_t)(pl->tok0 - p[s].L + j)) * V,
                               sizeof(float) * (size_t)V))
                        fail_msg("option %d seq %d: logits of token %d differ from the prompt alone", i, s,
                                 pl->tok0 - p[s].L + j);
            }
            steps++;
        }
        assert_int_equal(compared, 4 * G);   /* every generated token of every sequence */
        int drafted = 0, accepted = 0;
        for (int s = 0; s < 4; s++) {
            const Engine *e = run_seq(&r, s);
            assert_memory_equal(e->tokens, q[s].tokens, sizeof(int) * (size_t)(p[s].L + G));
            engine_free(&q[s]);
            for (int j = 0; j < e->n_steps; j++) {
                drafted += engine_plan(e, j)->drafted;
                if (engine_plan(e, j)->drafted) accepted += engine_plan(e, j)->accepted;
            }
        }
        int shared = 0;
        for (int s = 0; s < 4; s++) shared += run_seq(&r, s)->shared_rows;
        printf("trained batch C=%d K=%d W=%d B=%d%s: %d batch steps, %d drafts, %d accepted, %d rows shared\n",
               opts[i].C, opts[i].K, opts[i].W, opts[i].B, opts[i].P ? " prefix-cache" : "", steps, drafted, accepted,
               shared);
        if (opts[i].P) assert_true(shared > 0);
        if (opts[i].K) assert_true(accepted * 2 > drafted);   /* repeated text: most drafts are right */
        free(want);
        run_free(&r);
    }
    tokenizer_use_alphabet(NULL, 0);
    modelfile_free(&mf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_all_modes),
        cmocka_unit_test(test_trace_agrees),
        cmocka_unit_test(test_trained_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
