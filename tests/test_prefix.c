/* test_prefix: prefix sharing (spec §6.8). Run from the repository root.
 *
 * 1. The rule: paged_prefix_rows (how the run finds shared rows, block by
 *    block) equals the spec's B·floor(c / B) capped at L − 1, c the longest
 *    common prefix (formulas_shared_rows), on random prompt pairs.
 * 2. The pool: a sequence that shares takes references, not blocks; the
 *    pool's reserved bytes count a shared block once; freeing the
 *    sequences in every order gives every block back exactly when its last
 *    reference goes, and paged_check holds after every operation.
 * 3. The grid: batches of prompts with common prefixes, random models (MHA,
 *    GQA, MQA) and the trained model, block sizes 1 .. 8. Every sequence's
 *    tokens and every logit equal those of the same prompt run alone, bit
 *    for bit, at every step; the measured counts equal the closed forms of
 *    the shortened prefill (n = L − s, t = L); the pool holds each
 *    sequence's rows bitwise, its reserved bytes are Σ ceil(t / B) minus
 *    the shared blocks; the run moved op by op and backwards reaches the
 *    same state as step by step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/modelfile.h"
#include "sim/paged.h"
#include "sim/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PFX_SUITE "test_prefix"
#include "tests/prefix_fixture.h"

/* ---- 1. the rule ----------------------------------------------------------- */

static void test_rule(void **state)
{
    (void)state;
    uint64_t seed = 7;
    KvConfig c = config_default();
    for (int it = 0; it < 4000; it++) {
        int a[40], b[40];
        const int La = 1 + (int)(rnd(&seed) % 39), Lb = 1 + (int)(rnd(&seed) % 39);
        const int common = (int)(rnd(&seed) % 41), alphabet = 1 + (int)(rnd(&seed) % 3);
        for (int i = 0; i < 40; i++) a[i] = (int)(rnd(&seed) % (uint64_t)alphabet);
        for (int i = 0; i < 40; i++) b[i] = i < common ? a[i] : (int)(rnd(&seed) % (uint64_t)alphabet);
        c.block_size = 1 + (int)(rnd(&seed) % 9);
        const int want = formulas_shared_rows(&c, Lb, lcp(a, La, b, Lb));
        assert_int_equal(paged_prefix_rows(a, La, b, Lb, c.block_size), want);
        assert_true(want >= 0 && want < Lb);
        if (want > 0 && want < Lb - 1) assert_int_equal(want % c.block_size, 0);
    }
    /* the cap: a prompt that is all full shared blocks recomputes its last row */
    c.block_size = 4;
    assert_int_equal(formulas_shared_rows(&c, 8, 8), 7);
    assert_int_equal(formulas_shared_blocks(&c, 7), 2);
    assert_int_equal(formulas_shared_rows(&c, 9, 8), 8);
    assert_int_equal(formulas_shared_rows(&c, 9, 7), 4);
    assert_int_equal(formulas_shared_rows(&c, 1, 1), 0);
}

/* ---- 2. the pool ------------------------------------------------------------ */

/* End the three sequences of p in the order perm and free it: a block goes
 * back to the free list only with its last reference, and whoever is left
 * still reads its kept rows (row pos holds pos in K's second element). */
static void free_in_order(PagedPool *p, const int perm[3])
{
    int free_before = p->n_free;
    for (int i = 0; i < 3; i++) {
        const int s = perm[i];
        int last_refs = 0;   /* blocks whose only holder is s */
        for (int b = 0; b < p->n_blocks; b++)
            if (p->refs[b] == 1 && p->owner_seq[b] == s) last_refs++;
        paged_seq_end(p, s);
        check(p, "pool");
        assert_int_equal(p->n_free, free_before + last_refs);
        free_before = p->n_free;
        for (int q = 0; q < 3; q++)
            for (int pos = p->seqs[q].first; pos < p->seqs[q].len; pos++)
                assert_true(paged_k(p, q, 1, pos)[1] == (float)pos);
    }
    assert_int_equal(p->n_free, p->n_blocks);
    paged_free(p);
}

/* Append n rows of value base+pos to seq (every layer, K = V). */
static void append(PagedPool *p, int seq, int n, float base)
{
    const int kv = p->kv_dim, first = p->seqs[seq].len;
    float *rows = malloc(sizeof(float) * (size_t)(p->n_layers * p->max_len * kv));
    assert_non_null(rows);
    for (int l = 0; l < p->n_layers; l++)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < kv; j++) rows[((size_t)l * p->max_len + i) * kv + j] = base + (float)(first + i);
    assert_int_equal(paged_seq_append(p, seq, first, n, rows, rows, (size_t)p->max_len * kv), 0);
    free(rows);
}

static void test_pool_refs_every_free_order(void **state)
{
    (void)state;
    static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int pi = 0; pi < 6; pi++) {
        PagedPool p;
        assert_int_equal(paged_init(&p, 2, 3, 4, paged_blocks_for(4, 3, 32), 3, 32), 0);
        append(&p, 0, 10, 0.0f);            /* blocks 0, 1 full, 2 holds 8, 9 */
        assert_int_equal(paged_seq_share(&p, 1, 0, 8), 0);
        append(&p, 1, 3, 0.0f);             /* same rows 8..10, a block of its own */
        assert_int_equal(paged_seq_share(&p, 2, 1, 7), 0);   /* the cap: 2 blocks, row 7 is in one */
        append(&p, 2, 1, 0.0f);             /* row 7 lands in the shared block: not written */
        check(&p, "pool");
        /* refs: blocks 0 and 1 by all three, the rest alone */
        assert_int_equal(paged_block_refs(&p, p.seqs[0].table[0]), 3);
        assert_int_equal(paged_block_refs(&p, p.seqs[0].table[1]), 3);
        assert_int_equal(paged_block_refs(&p, p.seqs[0].table[2]), 1);
        assert_int_equal(paged_blocks_shared(&p), 2);
        assert_int_equal(p.seqs[2].table[1], p.seqs[0].table[1]);
        /* reserved once: 3 (seq 0) + 1 (seq 1's own third block); no block for seq 2 */
        assert_int_equal(paged_blocks_used(&p), 4);
        assert_int_equal(paged_reserved_bytes(&p), 4u * 4u * paged_bytes_per_pos(&p));
        assert_int_equal(paged_seq_blocks(&p, 2), 2);
        /* used once: 10 + 3 positions of seq 1's own block */
        assert_int_equal(paged_used_bytes(&p), 13u * paged_bytes_per_pos(&p));
        for (int pos = 0; pos < 8; pos++)
            assert_true(paged_k(&p, 2, 1, pos)[0] == (float)pos && paged_k(&p, 1, 0, pos)[2] == (float)pos);
        /* free in this order: blocks go back only with their last reference */
        free_in_order(&p, perms[pi]);
    }
}

/* The same under a window (sim/paged.h): holes where a receiver keeps no
 * shared position, each holder's window releasing its own reference, and
 * the sequences freed in every order. */
static void test_pool_refs_every_free_order_window(void **state)
{
    (void)state;
    static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int pi = 0; pi < 6; pi++)
        for (int moved = 0; moved < 2; moved++) {
            PagedPool p;
            assert_int_equal(paged_init(&p, 2, 3, 4, paged_blocks_for(4, 3, 32), 3, 32), 0);
            paged_seq_release_before(&p, 0, 7);   /* W = 5: a prompt of 12 keeps 7..11 */
            append(&p, 0, 12, 0.0f);
            paged_seq_release_before(&p, 1, 9);   /* L = 14, s = 12: keeps 9..13 */
            assert_int_equal(paged_seq_share(&p, 1, 0, 12), 0);
            append(&p, 1, 2, 0.0f);
            paged_seq_release_before(&p, 2, 11);  /* L = 16, s = 12 from seq 1: keeps 11..15 */
            assert_int_equal(paged_seq_share(&p, 2, 1, 12), 0);
            append(&p, 2, 4, 0.0f);
            check(&p, "pool");
            assert_int_equal(p.seqs[1].table[1], -1);   /* a hole: it keeps nothing of 4..7 */
            assert_int_equal(p.seqs[2].table[1], -1);
            assert_int_equal(paged_block_refs(&p, p.seqs[0].table[1]), 1);
            assert_int_equal(paged_block_refs(&p, p.seqs[0].table[2]), 3);
            assert_int_equal(paged_blocks_used(&p), 4);   /* seq 0's two, seq 1's and seq 2's own */
            if (moved) {
                /* a decode step each: windows move on by one, block 2 leaves none */
                for (int s = 0; s < 3; s++) {
                    paged_seq_release_before(&p, s, p.seqs[s].len + 1 - 5);
                    append(&p, s, 1, 0.0f);
                }
                check(&p, "pool");
            }
            free_in_order(&p, perms[pi]);
        }
}

static void test_pool_share_refused(void **state)
{
    (void)state;
    PagedPool p;
    assert_int_equal(paged_init(&p, 1, 2, 4, 8, 2, 16), 0);
    assert_int_equal(paged_seq_share(&p, 1, 0, 4), -1);   /* the donor holds nothing */
    append(&p, 0, 6, 0.0f);
    assert_int_equal(paged_seq_share(&p, 1, 0, 7), -1);   /* more than it holds */
    assert_int_equal(paged_seq_share(&p, 1, 1, 4), -1);   /* itself */
    assert_int_equal(paged_seq_share(&p, 1, 0, 4), 0);
    assert_int_equal(paged_seq_share(&p, 1, 0, 4), -1);   /* not empty any more */
    check(&p, "pool");
    paged_free(&p);
}

/* ---- 3. the grid --------------------------------------------------------- */

typedef struct {
    const char *name;
    int heads, kv_heads, d, layers;   /* heads 0: the trained model */
    int B;
    int set;                          /* prompt set, below */
} GridCase;

/* Prompt sets: token ids drawn from a seed, then given common prefixes. */
enum { MAX_SEQS = 4, MAX_L = 24 };
typedef struct {
    int n;
    int L[MAX_SEQS];
    int ids[MAX_SEQS][MAX_L];
} PromptSet;

static void make_set(int set, int V, PromptSet *ps)
{
    uint64_t seed = 1000u + (uint64_t)set;
    static const int shapes[4][MAX_SEQS + 1][2] = {
        /* {L, common prefix with prompt 0} per prompt; [0][0] = count */
        {{3, 0}, {13, 0}, {17, 13}, {9, 9}},                     /* longer, and a prefix of prompt 0 */
        {{4, 0}, {12, 0}, {12, 12}, {12, 5}, {16, 12}},          /* an identical prompt (the cap) */
        {{3, 0}, {20, 0}, {6, 6}, {21, 20}},                     /* a short prefix; a long one */
        {{2, 0}, {8, 0}, {8, 3}},                                /* below one block for most B */
    };
    ps->n = shapes[set][0][0];
    for (int s = 0; s < ps->n; s++) {
        ps->L[s] = shapes[set][s + 1][0];
        const int common = shapes[set][s + 1][1];
        for (int i = 0; i < ps->L[s]; i++) {
            ps->ids[s][i] = i < common ? ps->ids[0][i] : (int)(rnd(&seed) % (uint64_t)V);
            if (i == common && s > 0 && i < ps->L[0] && ps->ids[s][i] == ps->ids[0][i])
                ps->ids[s][i] = (ps->ids[0][i] + 1) % V;   /* the prefix ends exactly here */
        }
    }
}

static KvConfig case_config(const GridCase *gc, int G, int max_L)
{
    return pfx_case_config(gc->heads, gc->kv_heads, gc->d, gc->layers, gc->B, 0, max_L + G + 1, 11u);
}

/* Step the batch step by step, each sequence beside its prompt alone. */
static void check_case(const GridCase *gc)
{
    enum { G = 5 };
    PromptSet ps;
    const int V = gc->heads == 0 ? trained.model.cfg.vocab : 37;
    make_set(gc->set, V, &ps);
    int max_L = 0;
    for (int s = 0; s < ps.n; s++) max_L = ps.L[s] > max_L ? ps.L[s] : max_L;
    KvConfig c = case_config(gc, G, max_L);
    char err[256];
    if (config_validate(&c, max_L, G, err, sizeof err)) fail_msg("%s: %s", gc->name, err);
    Model m;
    assert_int_equal(model_init(&m, &c), 0);
    KvConfig alone_cfg = c;
    alone_cfg.prefix_cache = false;
    alone_cfg.block_size = 0;
    Model m_alone;
    alone_cfg.weights = c.weights;
    assert_int_equal(model_init(&m_alone, &alone_cfg), 0);

    RunPrompt rp[MAX_SEQS];
    for (int s = 0; s < ps.n; s++) rp[s] = (RunPrompt){ps.ids[s], ps.L[s]};
    Run run, walk;
    if (run_init(&run, &c, &m, RUN_MODE_BIT(MODE_CACHE), rp, ps.n, G, err, sizeof err))
        fail_msg("%s: %s", gc->name, err);
    assert_int_equal(run_init(&walk, &c, &m, RUN_MODE_BIT(MODE_CACHE), rp, ps.n, G, err, sizeof err), 0);
    Run alone[MAX_SEQS];
    int shared[MAX_SEQS];
    for (int s = 0; s < ps.n; s++) {
        assert_int_equal(run_init(&alone[s], &alone_cfg, &m_alone, RUN_MODE_BIT(MODE_CACHE), &rp[s], 1, G, err,
                                  sizeof err), 0);
        int common = 0;   /* the spec's c: the longest common prefix with an earlier prompt */
        for (int j = 0; j < s; j++) {
            const int cj = lcp(ps.ids[j], ps.L[j], ps.ids[s], ps.L[s]);
            common = cj > common ? cj : common;
        }
        shared[s] = formulas_shared_rows(&c, ps.L[s], common);
        assert_int_equal(run_seq(&run, s)->shared_rows, shared[s]);
    }
    const Engine *c0 = run_engine(&run, MODE_CACHE);
    const uint64_t per_block = (uint64_t)c.block_size * 2u * (uint64_t)c.n_layers * (uint64_t)config_kv_dim(&c) * 4u;
    for (int k = 0; k < G; k++) {
        run_seek(&run, MODE_CACHE, run_step_start(c0, k + 1));
        assert_false(run_pool_overflow(&run));
        check(run.pool, gc->name);
        uint64_t blocks = 0;
        for (int s = 0; s < ps.n; s++) {
            run_seek(&alone[s], MODE_CACHE, run_step_start(run_engine(&alone[s], MODE_CACHE), k + 1));
            const Engine *e = run_seq(&run, s), *a = run_engine(&alone[s], MODE_CACHE);
            /* the invariant: tokens and logits of the prompt alone, bit for bit */
            assert_int_equal(e->picked, a->picked);
            assert_memory_equal(e->logits, a->logits, sizeof(float) * (size_t)c.vocab);
            /* counts: measured = the closed form of the shortened prefill */
            OpCounts want;
            formulas_step_shared(&c, ps.L[s], shared[s], k, &want);
            if (!counts_equal(&want, &e->step_counts))
                fail_msg("%s seq %d step %d: counts differ from the closed form", gc->name, s, k);
            assert_int_equal(e->n, k == 0 ? ps.L[s] - shared[s] : 1);
            /* the pool holds exactly this sequence's rows */
            const int t = e->t;
            for (int l = 0; l < c.n_layers; l++)
                for (int pos = 0; pos < t; pos++) {
                    assert_memory_equal(paged_k(run.pool, s, l, pos), kvcache_k(&e->cache, l, pos),
                                        sizeof(float) * (size_t)config_kv_dim(&c));
                    assert_memory_equal(paged_v(run.pool, s, l, pos), kvcache_v(&a->cache, l, pos),
                                        sizeof(float) * (size_t)config_kv_dim(&c));
                }
            blocks += (uint64_t)((t + c.block_size - 1) / c.block_size - formulas_shared_blocks(&c, shared[s]));
        }
        assert_int_equal(paged_reserved_bytes(run.pool), blocks * per_block);
    }
    /* the same run moved op by op, then back and forth, ends in the same state */
    pfx_walk(&walk);
    check(walk.pool, gc->name);
    assert_false(run_pool_overflow(&walk));
    for (int s = 0; s < ps.n; s++) {
        const Engine *e = run_seq(&run, s), *w = run_seq(&walk, s);
        assert_memory_equal(e->tokens, w->tokens, sizeof(int) * (size_t)(ps.L[s] + G));
        assert_memory_equal(e->logits, w->logits, sizeof(float) * (size_t)c.vocab);
        int n1, n2;
        const int *t1 = paged_seq_table(run.pool, s, &n1), *t2 = paged_seq_table(walk.pool, s, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(t1, t2, sizeof(int) * (size_t)n1);
    }
    for (int s = 0; s < ps.n; s++) run_free(&alone[s]);
    run_free(&walk);
    run_free(&run);
    model_free(&m_alone);
    model_free(&m);
}

static const GridCase grid[] = {
    {"mha B=4 set0", 2, 2, 8, 2, 4, 0},   {"mha B=1 set0", 2, 2, 8, 2, 1, 0},
    {"mha B=3 set1", 2, 2, 8, 2, 3, 1},   {"mha B=4 set1", 2, 2, 8, 2, 4, 1},
    {"mha B=6 set2", 2, 2, 8, 2, 6, 2},   {"mha B=2 set3", 2, 2, 8, 2, 2, 3},
    {"gqa 4/2 B=4 set0", 4, 2, 8, 2, 4, 0}, {"gqa 4/2 B=2 set1", 4, 2, 8, 2, 2, 1},
    {"gqa 4/2 B=5 set2", 4, 2, 8, 3, 5, 2}, {"mqa 4/1 B=4 set1", 4, 1, 8, 2, 4, 1},
    {"mqa 4/1 B=8 set2", 4, 1, 16, 1, 8, 2}, {"mqa 2/1 B=3 set3", 2, 1, 8, 2, 3, 3},
    {"trained B=4 set0", 0, 0, 0, 0, 4, 0}, {"trained B=2 set1", 0, 0, 0, 0, 2, 1},
    {"trained B=8 set2", 0, 0, 0, 0, 8, 2}, {"trained B=3 set3", 0, 0, 0, 0, 3, 3},
    {"trained B=1 set1", 0, 0, 0, 0, 1, 1}, {"mha B=12 set1", 2, 2, 8, 2, 12, 1},
};

static void test_grid(void **state)
{
    (void)state;
    int n = 0;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++, n++) check_case(&grid[i]);
    assert_true(n >= 16);
}

/* Sharing pays: the batch computes fewer MACs, by exactly the closed form. */
static void test_saved(void **state)
{
    (void)state;
    const GridCase gc = {"saved", 2, 1, 8, 2, 4, 1};
    PromptSet ps;
    make_set(1, 37, &ps);
    KvConfig c = case_config(&gc, 3, 16);
    Model m;
    assert_int_equal(model_init(&m, &c), 0);
    RunPrompt rp[MAX_SEQS];
    for (int s = 0; s < ps.n; s++) rp[s] = (RunPrompt){ps.ids[s], ps.L[s]};
    char err[256];
    Run on, off;
    assert_int_equal(run_init(&on, &c, &m, RUN_MODE_BIT(MODE_CACHE), rp, ps.n, 3, err, sizeof err), 0);
    KvConfig c_off = c;
    c_off.prefix_cache = false;
    Model m_off;
    assert_int_equal(model_init(&m_off, &c_off), 0);
    assert_int_equal(run_init(&off, &c_off, &m_off, RUN_MODE_BIT(MODE_CACHE), rp, ps.n, 3, err, sizeof err), 0);
    run_seek(&on, MODE_CACHE, engine_total_ops(run_engine(&on, MODE_CACHE)));
    run_seek(&off, MODE_CACHE, engine_total_ops(run_engine(&off, MODE_CACHE)));
    for (int s = 0; s < ps.n; s++) {
        OpCounts saved, diff;
        const OpCounts *a = &run_seq(&on, s)->cum, *b = &run_seq(&off, s)->cum;
        formulas_prefix_saved(&c, ps.L[s], run_seq(&on, s)->shared_rows, &saved);
        for (int i = 0; i < CAT_COUNT; i++) diff.mac[i] = b->mac[i] - a->mac[i];
        diff.masked = b->masked - a->masked;
        diff.rope = b->rope - a->rope;
        assert_true(counts_equal(&saved, &diff));
        assert_memory_equal(run_seq(&on, s)->tokens, run_seq(&off, s)->tokens, sizeof(int) * (size_t)(ps.L[s] + 3));
    }
    /* set 1: the identical prompt shares 11 rows (the cap), the longer one 12 */
    assert_int_equal(run_seq(&on, 1)->shared_rows, 11);
    assert_true(paged_reserved_bytes(on.pool) < paged_reserved_bytes(off.pool));
    run_free(&on);
    run_free(&off);
    model_free(&m);
    model_free(&m_off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_pool_refs_every_free_order),
        cmocka_unit_test(test_pool_refs_every_free_order_window),
        cmocka_unit_test(test_pool_share_refused),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_saved),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
