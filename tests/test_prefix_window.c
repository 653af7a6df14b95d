/* test_prefix_window: prefix sharing under a sliding window (spec §6.3 +
 * §6.4 + §6.8; the rule is in sim/paged.h). Run from the repository root.
 *
 * The grid: batches of prompts with common prefixes × windows (1 up to
 * larger than every prompt) × block sizes 1 .. 12 (B > W included) × MHA,
 * GQA, MQA and the trained model. For every configuration:
 *   - each sequence's shared rows are the spec's s with the donor that
 *     still holds the rows its prefill reads (formulas_shared_rows_held,
 *     the most rows, the earliest on a tie), computed here from the
 *     prompts; 0 when no donor holds them;
 *   - at every step every sequence's token and logits equal those of its
 *     prompt run alone (same window, no paging), bit for bit;
 *   - the measured counts equal formulas_step_shared (prefill n = L − s,
 *     t = L, keys from max(0, s−W+1)); decode steps are plain; the run
 *     saves formulas_prefix_saved over the prompt alone;
 *   - the pool: paged_check holds; each sequence reads exactly the rows its
 *     window keeps, bitwise equal to the lone run's; its live blocks are
 *     formulas_kv_blocks; the pool's blocks are formulas_pool_blocks (a
 *     shared block once); a receiver's prefix table is the donor's blocks
 *     where it keeps a position and -1 holes below;
 *   - freeing the sequences in every order leaves a consistent pool, each
 *     block freed with its last reference;
 *   - the run moved op by op, back and forth, and with jumps from inside
 *     the prefill into the next step reaches the same state;
 *   - a receiver's engine rewound on its own refills its ring from its
 *     history, the shared rows included, and computes the same logits.
 * Six more configurations add --speculate K (verify steps in the batch):
 * each step against the prompt alone, the pool against the lone caches.
 * The grid must exercise sharing with holes, sharing refused by the
 * window, and a later donor chosen over an earlier one: counted and
 * asserted at the end.
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

#define PFX_SUITE "test_prefix_window"
#include "tests/prefix_fixture.h"

enum { MAX_SEQS = 5, MAX_L = 24, G = 5 };

/* ---- prompt sets ------------------------------------------------------------ */

typedef struct {
    int n;
    int L[MAX_SEQS];
    int ids[MAX_SEQS][MAX_L];
} PromptSet;

/* Each prompt: {L, src, common}: its first `common` tokens are prompt
 * src's, the rest drawn at random (the first one differs from src's). */
static const int shapes[][MAX_SEQS + 1][3] = {
    /* a continuation, an identical prompt, a short prefix, a continuation of the continuation */
    {{5, 0, 0}, {16, -1, 0}, {20, 0, 16}, {16, 0, 16}, {11, 0, 5}, {24, 1, 20}},
    /* a short donor: fits most windows */
    {{3, 0, 0}, {6, -1, 0}, {13, 0, 6}, {9, 0, 6}},
    /* long common prefixes that are not the whole donor: shared only when Ld <= W */
    {{4, 0, 0}, {12, -1, 0}, {12, 0, 12}, {17, 0, 12}, {15, 0, 9}},
    /* an early long donor that the window drops, a later short one that holds the rows */
    {{3, 0, 0}, {20, -1, 0}, {8, 0, 8}, {14, 0, 12}},
};
enum { N_SETS = sizeof shapes / sizeof shapes[0] };

static void make_set(int set, int V, PromptSet *ps)
{
    uint64_t seed = 2000u + (uint64_t)set;
    ps->n = shapes[set][0][0];
    for (int s = 0; s < ps->n; s++) {
        const int L = shapes[set][s + 1][0], src = shapes[set][s + 1][1], common = shapes[set][s + 1][2];
        ps->L[s] = L;
        for (int i = 0; i < L; i++) {
            ps->ids[s][i] = i < common ? ps->ids[src][i] : (int)(rnd(&seed) % (uint64_t)V);
            if (i == common && src >= 0 && i < ps->L[src] && ps->ids[s][i] == ps->ids[src][i])
                ps->ids[s][i] = (ps->ids[src][i] + 1) % V;   /* the prefix ends exactly here */
        }
    }
}

/* ---- the pool, copied (to free one copy in every order) ------------------- */

static void pool_clone(PagedPool *dst, const PagedPool *src)
{
    assert_int_equal(paged_init(dst, src->n_layers, src->kv_dim, src->block_size, src->n_blocks, src->n_seqs,
                                 src->max_len), 0);
    const size_t nb = (size_t)src->n_blocks;
    memcpy(dst->data, src->data, sizeof(float) * nb * src->block_floats);
    memcpy(dst->owner_seq, src->owner_seq, sizeof(int) * nb);
    memcpy(dst->owner_lblock, src->owner_lblock, sizeof(int) * nb);
    memcpy(dst->refs, src->refs, sizeof(int) * nb);
    memcpy(dst->free_list, src->free_list, sizeof(int) * nb);
    dst->n_free = src->n_free;
    for (int s = 0; s < src->n_seqs; s++) {
        int *table = dst->seqs[s].table;
        dst->seqs[s] = src->seqs[s];
        dst->seqs[s].table = table;
        memcpy(table, src->seqs[s].table, sizeof(int) * (size_t)src->max_blocks);
    }
}

/* Free the sequences of pool in the order perm[0..n-1], on a copy: the
 * pool stays consistent, a block goes back exactly when its last holder
 * ends, the others still read their rows, and at the end every block is free. */
static void free_in_order(const PagedPool *pool, const int *perm, int n)
{
    PagedPool p;
    pool_clone(&p, pool);
    for (int i = 0; i < n; i++) {
        const int s = perm[i];
        int last = 0;   /* blocks whose only holder is s */
        for (int b = 0; b < p.n_blocks; b++)
            if (p.refs[b] == 1 && p.owner_seq[b] == s) last++;
        const int free_before = p.n_free;
        paged_seq_end(&p, s);
        check(&p, "free order");
        assert_int_equal(p.n_free, free_before + last);
        for (int q = 0; q < n; q++)   /* who is left still reads the same bits */
            for (int pos = 0; pos < p.seqs[q].len; pos++)
                if (paged_has(&p, q, pos))
                    assert_memory_equal(paged_k(&p, q, 0, pos), paged_k(pool, q, 0, pos), sizeof(float) * (size_t)p.kv_dim);
    }
    assert_int_equal(p.n_free, p.n_blocks);
    paged_free(&p);
}

/* Every order of 0..n-1 (Heap's algorithm). */
static int free_every_order(const PagedPool *pool, int n)
{
    int perm[MAX_SEQS] = {0}, c[MAX_SEQS] = {0}, orders = 1;
    for (int i = 0; i < n; i++) perm[i] = i;
    free_in_order(pool, perm, n);
    for (int i = 1; i < n;) {
        if (c[i] < i) {
            const int j = i % 2 ? c[i] : 0, tmp = perm[j];
            perm[j] = perm[i];
            perm[i] = tmp;
            free_in_order(pool, perm, n);
            orders++;
            c[i]++;
            i = 1;
        } else {
            c[i++] = 0;
        }
    }
    return orders;
}

/* ---- the grid ----------------------------------------------------------------- */

typedef struct {
    int heads, kv_heads, d, layers;   /* heads 0: the trained model */
    int B, W, set;
} GridCase;


/* What the grid exercised (asserted by test_grid_covers). */
static struct {
    int cases, spec_cases, shared, holes, refused_by_window, later_donor, orders, logits;
} seen;

static KvConfig case_config(const GridCase *gc)
{
    return pfx_case_config(gc->heads, gc->kv_heads, gc->d, gc->layers, gc->B, gc->W, MAX_L + G + 1, 23u);
}

/* The expected donor and rows of each sequence, from the prompts alone. */
static void expect_sharing(const KvConfig *c, const PromptSet *ps, int *s_out, int *donor_out)
{
    for (int r = 0; r < ps->n; r++) {
        s_out[r] = 0;
        donor_out[r] = -1;
        int plain_best = 0, plain_donor = -1;   /* the donor without a window */
        for (int j = 0; j < r; j++) {
            const int common = lcp(ps->ids[j], ps->L[j], ps->ids[r], ps->L[r]);
            const int plain = formulas_shared_rows(c, ps->L[r], common);
            const int held = formulas_shared_rows_held(c, ps->L[r], common, ps->L[j]);
            if (plain > plain_best) plain_best = plain, plain_donor = j;
            if (held > s_out[r]) s_out[r] = held, donor_out[r] = j;
        }
        if (plain_best > 0 && s_out[r] == 0) seen.refused_by_window++;
        if (donor_out[r] >= 0 && donor_out[r] != plain_donor) seen.later_donor++;
        if (s_out[r] > 0) seen.shared++;
    }
}

/* Sequence r's state after step k against its prompt alone and the closed forms. */
static void check_seq(const char *name, const KvConfig *c, const Run *run, const Run *alone, const PromptSet *ps,
                      const int *s_of, const int *donor_of, int r, int k)
{
    const Engine *e = run_seq(run, r), *a = run_engine(alone, MODE_CACHE);
    const int L = ps->L[r], t = L + k, kv = config_kv_dim(c);
    if (e->picked != a->picked || memcmp(e->logits, a->logits, sizeof(float) * (size_t)c->vocab))
        fail_msg("%s seq %d step %d: token or logits differ from the prompt alone", name, r, k);
    seen.logits += c->vocab;
    OpCounts want;
    formulas_step_shared(c, L, s_of[r], k, &want);
    if (!counts_equal(&want, &e->step_counts))
        fail_msg("%s seq %d step %d: counts differ from the closed form", name, r, k);
    assert_int_equal(e->n, k == 0 ? L - s_of[r] : 1);
    assert_int_equal(e->t, t);
    /* the pool: exactly the rows the window keeps, the lone run's bits */
    const int first = c->window > 0 && t > c->window ? t - c->window : 0;
    for (int l = 0; l < c->n_layers; l++)
        for (int pos = 0; pos < t; pos++) {
            const float *pk = paged_k(run->pool, r, l, pos), *pv = paged_v(run->pool, r, l, pos);
            if (pos < first) {
                assert_null(pk);
                continue;
            }
            if (!pk || !pv || memcmp(pk, kvcache_k(&a->cache, l, pos), sizeof(float) * (size_t)kv) ||
                memcmp(pv, kvcache_v(&a->cache, l, pos), sizeof(float) * (size_t)kv))
                fail_msg("%s seq %d step %d: pool row %d of layer %d differs", name, r, k, pos, l);
        }
    assert_int_equal((uint64_t)paged_seq_blocks(run->pool, r), formulas_kv_blocks(c, MODE_CACHE, L, k));
    if (k == 0 && donor_of[r] >= 0) {
        /* its prefix table: the donor's blocks where it keeps a shared position, holes (or,
         * for the last row under W = 1, a block of its own) elsewhere */
        const int B = c->block_size, nb = formulas_shared_blocks(c, s_of[r]);
        int n_r, n_d;
        const int *tr = paged_seq_table(run->pool, r, &n_r), *td = paged_seq_table(run->pool, donor_of[r], &n_d);
        for (int lb = 0; lb < nb; lb++) {
            const int lo = lb * B > first ? lb * B : first, hi = (lb + 1) * B < s_of[r] ? (lb + 1) * B : s_of[r];
            if (lo >= hi) {   /* no shared position it keeps */
                assert_true(tr[lb] == -1 || (lb == nb - 1 && tr[lb] != td[lb]));
                seen.holes += tr[lb] == -1;
            } else {
                assert_true(tr[lb] >= 0 && lb < n_d);
                assert_int_equal(tr[lb], td[lb]);
                assert_true(paged_block_refs(run->pool, tr[lb]) >= 2);
            }
        }
    }
}

/* walk, moved about and then to its end, is in run's end state. */
static void same_end(const char *name, const Run *run, const Run *walk, const PromptSet *ps, int V)
{
    check(walk->pool, name);
    assert_false(run_pool_overflow(walk));
    for (int s = 0; s < ps->n; s++) {
        const Engine *e = run_seq(run, s), *w = run_seq(walk, s);
        if (memcmp(e->tokens, w->tokens, sizeof(int) * (size_t)(ps->L[s] + G)) ||
            memcmp(e->logits, w->logits, sizeof(float) * (size_t)V))
            fail_msg("%s seq %d: moved about, its tokens or logits differ", name, s);
        int n1, n2;
        const int *t1 = paged_seq_table(run->pool, s, &n1), *t2 = paged_seq_table(walk->pool, s, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(t1, t2, sizeof(int) * (size_t)n1);
    }
}

static void check_case(const GridCase *gc)
{
    char name[96];
    snprintf(name, sizeof name, "H%d/%d d%d B=%d W=%d set%d", gc->heads, gc->kv_heads, gc->d, gc->B, gc->W, gc->set);
    PromptSet ps;
    make_set(gc->set, gc->heads == 0 ? trained.model.cfg.vocab : 37, &ps);
    KvConfig c = case_config(gc);
    char err[256];
    if (config_validate(&c, MAX_L, G, err, sizeof err)) fail_msg("%s: %s", name, err);
    Model m;
    assert_int_equal(model_init(&m, &c), 0);
    KvConfig alone_cfg = c;
    alone_cfg.prefix_cache = false;
    alone_cfg.block_size = 0;
    Model m_alone;
    assert_int_equal(model_init(&m_alone, &alone_cfg), 0);

    int s_of[MAX_SEQS], donor_of[MAX_SEQS];
    expect_sharing(&c, &ps, s_of, donor_of);
    RunPrompt rp[MAX_SEQS];
    for (int s = 0; s < ps.n; s++) rp[s] = (RunPrompt){ps.ids[s], ps.L[s]};
    Run run, walk, alone[MAX_SEQS];
    if (run_init(&run, &c, &m, RUN_MODE_BIT(MODE_CACHE), rp, ps.n, G, err, sizeof err)) fail_msg("%s: %s", name, err);
    assert_int_equal(run_init(&walk, &c, &m, RUN_MODE_BIT(MODE_CACHE), rp, ps.n, G, err, sizeof err), 0);
    for (int s = 0; s < ps.n; s++) {
        assert_int_equal(run_init(&alone[s], &alone_cfg, &m_alone, RUN_MODE_BIT(MODE_CACHE), &rp[s], 1, G, err,
                                  sizeof err), 0);
        if (run_seq(&run, s)->shared_rows != s_of[s])
            fail_msg("%s seq %d: shares %d rows, the rule says %d", name, s, run_seq(&run, s)->shared_rows, s_of[s]);
    }
    const Engine *c0 = run_engine(&run, MODE_CACHE);
    const uint64_t per_block = (uint64_t)c.block_size * paged_bytes_per_pos(run.pool);
    for (int k = 0; k < G; k++) {
        run_seek(&run, MODE_CACHE, run_step_start(c0, k + 1));
        assert_false(run_pool_overflow(&run));
        check(run.pool, name);
        for (int s = 0; s < ps.n; s++) {
            run_seek(&alone[s], MODE_CACHE, run_step_start(run_engine(&alone[s], MODE_CACHE), k + 1));
            check_seq(name, &c, &run, &alone[s], &ps, s_of, donor_of, s, k);
        }
        const uint64_t blocks = formulas_pool_blocks(&c, ps.n, ps.L, s_of, donor_of, k);
        if ((uint64_t)paged_blocks_used(run.pool) != blocks)
            fail_msg("%s step %d: the pool holds %d blocks, the closed form says %llu", name, k,
                     paged_blocks_used(run.pool), (unsigned long long)blocks);
        assert_int_equal(paged_reserved_bytes(run.pool), blocks * per_block);
        if (k == 0 || k == G - 1) seen.orders += free_every_order(run.pool, ps.n);
    }
    /* what sharing saved over the whole run, all of it in the prefill */
    for (int s = 0; s < ps.n; s++) {
        OpCounts saved, diff;
        const OpCounts *on = &run_seq(&run, s)->cum, *off = &run_engine(&alone[s], MODE_CACHE)->cum;
        formulas_prefix_saved(&c, ps.L[s], s_of[s], &saved);
        for (int i = 0; i < CAT_COUNT; i++) diff.mac[i] = off->mac[i] - on->mac[i];
        diff.masked = off->masked - on->masked;
        diff.rope = off->rope - on->rope;
        if (!counts_equal(&saved, &diff)) fail_msg("%s seq %d: saved MACs differ from the closed form", name, s);
    }
    /* the same run moved op by op, back and forth, and jumping from inside
     * the prefill into the next step, ends in the same state */
    const long ops = c0->ops_per_step;
    pfx_walk(&walk);
    same_end(name, &run, &walk, &ps, c.vocab);
    /* from inside the prefill to just before step 1's append, just after
     * it, one op into step 1 and the end of step 0: the donors run on
     * before the receivers finish their prefill, which must still find the
     * rows they read */
    const long targets[] = {2 * ops - 1, 2 * ops, ops + 1, ops};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        run_seek(&walk, MODE_CACHE, ops / 3);
        run_seek(&walk, MODE_CACHE, targets[i]);
        check(walk.pool, name);
        assert_false(run_pool_overflow(&walk));
        for (int s = 0; s < ps.n; s++)
            if (run_seq(&walk, s)->pos != targets[i]) fail_msg("%s seq %d not in lockstep", name, s);
        run_move(&walk, MODE_CACHE, RUN_END);
        same_end(name, &run, &walk, &ps, c.vocab);
    }
    /* a receiver's engine rewound on its own (outside the batch's lockstep)
     * puts its ring back from its history, the shared rows included */
    for (int s = 1; s < ps.n; s++) {
        if (!s_of[s]) continue;
        Engine *e = &run.seq[s];
        const Engine *a = run_engine(&alone[s], MODE_CACHE);
        engine_seek(e, run_step_start(e, 2) + 1);
        run_seek(&alone[s], MODE_CACHE, run_step_start(a, 2) + 1);
        engine_seek(e, run_step_start(e, 3));
        run_seek(&alone[s], MODE_CACHE, run_step_start(a, 3));
        if (e->picked != a->picked || memcmp(e->logits, a->logits, sizeof(float) * (size_t)c.vocab))
            fail_msg("%s seq %d: rewound on its own, step 2 differs from the prompt alone", name, s);
        check(run.pool, name);
    }
    for (int s = 0; s < ps.n; s++) run_free(&alone[s]);
    run_free(&walk);
    run_free(&run);
    model_free(&m_alone);
    model_free(&m);
    seen.cases++;
}

/* heads, kv_heads, d, layers, B, W, set */
static const GridCase grid[] = {
    {2, 2, 8, 2, 4, 6, 0},   {2, 2, 8, 2, 4, 3, 0},   {2, 2, 8, 2, 4, 1, 0},   {2, 2, 8, 2, 8, 3, 0},
    {2, 2, 8, 2, 4, 40, 0},  {2, 2, 8, 2, 2, 5, 0},   {2, 2, 8, 2, 1, 4, 0},   {2, 2, 8, 2, 12, 4, 0},
    {4, 2, 8, 2, 4, 7, 0},   {4, 1, 8, 2, 4, 2, 0},   {4, 2, 8, 3, 2, 9, 0},   {0, 0, 0, 0, 4, 6, 0},
    {0, 0, 0, 0, 8, 5, 0},   {0, 0, 0, 0, 4, 20, 0},
    {2, 2, 8, 2, 3, 6, 1},   {2, 2, 8, 2, 2, 8, 1},   {2, 2, 8, 2, 6, 3, 1},   {4, 2, 8, 2, 3, 12, 1},
    {4, 1, 16, 1, 2, 6, 1},  {0, 0, 0, 0, 3, 7, 1},   {0, 0, 0, 0, 6, 2, 1},
    {2, 2, 8, 2, 4, 12, 2},  {2, 2, 8, 2, 4, 11, 2},  {2, 2, 8, 2, 3, 13, 2},  {2, 2, 8, 2, 4, 5, 2},
    {4, 2, 8, 2, 6, 12, 2},  {2, 1, 8, 2, 12, 3, 2},  {0, 0, 0, 0, 4, 12, 2},  {0, 0, 0, 0, 2, 4, 2},
    {2, 2, 8, 2, 4, 8, 3},   {2, 2, 8, 2, 4, 10, 3},  {2, 2, 8, 2, 2, 8, 3},   {4, 2, 8, 2, 8, 8, 3},
    {4, 1, 8, 2, 4, 9, 3},   {0, 0, 0, 0, 4, 8, 3},   {0, 0, 0, 0, 1, 8, 3},   {2, 2, 8, 2, 5, 21, 3},
    /* W = 1: a row reads no earlier row, any common prefix is skipped */
    {2, 2, 8, 2, 3, 1, 2},   {4, 2, 8, 2, 2, 1, 3},   {0, 0, 0, 0, 1, 1, 1},
};

static void test_grid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) check_case(&grid[i]);
    print_message("%d configurations: %d sequences shared, %d prefix holes, %d refused by the window, "
                  "%d took a later donor; %d free orders; %d logits compared bitwise\n",
                  seen.cases, seen.shared, seen.holes, seen.refused_by_window, seen.later_donor, seen.orders,
                  seen.logits);
}

/* With --speculate K (a batch's verify steps, §6.9) on top: step by step,
 * each sequence against its prompt alone with the same K and window —
 * token, logits and counts, its prefill the shortened one — and the pool
 * holding exactly the rows each lone cache holds; then freed in every
 * order. */
typedef struct {
    GridCase g;
    int K;
} SpecCase;

static void check_case_speculate(const SpecCase *sc)
{
    const GridCase *gc = &sc->g;
    char name[96];
    snprintf(name, sizeof name, "H%d/%d B=%d W=%d set%d K=%d", gc->heads, gc->kv_heads, gc->B, gc->W, gc->set, sc->K);
    PromptSet ps;
    make_set(gc->set, gc->heads == 0 ? trained.model.cfg.vocab : 37, &ps);
    KvConfig c = case_config(gc);
    c.speculate = sc->K;
    char err[256];
    if (config_validate(&c, MAX_L, G, err, sizeof err)) fail_msg("%s: %s", name, err);
    Model m, m_alone;
    KvConfig alone_cfg = c;
    alone_cfg.prefix_cache = false;
    alone_cfg.block_size = 0;
    assert_int_equal(model_init(&m, &c), 0);
    assert_int_equal(model_init(&m_alone, &alone_cfg), 0);
    int s_of[MAX_SEQS], donor_of[MAX_SEQS];
    expect_sharing(&c, &ps, s_of, donor_of);
    RunPrompt rp[MAX_SEQS];
    for (int s = 0; s < ps.n; s++) rp[s] = (RunPrompt){ps.ids[s], ps.L[s]};
    Run run, alone[MAX_SEQS];
    if (run_init(&run, &c, &m, RUN_MODE_BIT(MODE_CACHE), rp, ps.n, G, err, sizeof err)) fail_msg("%s: %s", name, err);
    for (int s = 0; s < ps.n; s++) {
        assert_int_equal(run_init(&alone[s], &alone_cfg, &m_alone, RUN_MODE_BIT(MODE_CACHE), &rp[s], 1, G, err,
                                  sizeof err), 0);
        assert_int_equal(run_seq(&run, s)->shared_rows, s_of[s]);
    }
    const long ops = run_engine(&run, MODE_CACHE)->ops_per_step, total = run_batch_total(&run);
    int verify_rows = 0;
    for (int k = 0; (long)k * ops < total; k++) {
        run_seek(&run, MODE_CACHE, (long)(k + 1) * ops < total ? (long)(k + 1) * ops : total);
        assert_false(run_pool_overflow(&run));
        check(run.pool, name);
        for (int s = 0; s < ps.n; s++) {
            const Engine *e = run_seq(&run, s), *a = run_engine(&alone[s], MODE_CACHE);
            if (k >= e->n_steps) continue;
            run_seek(&alone[s], MODE_CACHE, run_step_start(a, k + 1));
            const int head_rows = k == 0 ? 1 : e->n;   /* a verify step's rows all reach the head */
            if (e->picked != a->picked || e->emitted != a->emitted || (k > 0 && e->n != a->n) ||
                memcmp(e->logits, a->logits, sizeof(float) * (size_t)c.vocab * (size_t)head_rows))
                fail_msg("%s seq %d step %d: tokens or logits differ from the prompt alone", name, s, k);
            seen.logits += c.vocab * head_rows;
            OpCounts want;
            if (k == 0) formulas_step_shared(&c, ps.L[s], s_of[s], 0, &want);
            else want = a->step_counts;
            if (!counts_equal(&want, &e->step_counts)) fail_msg("%s seq %d step %d: counts differ", name, s, k);
            if (k > 0 && e->n > 1) verify_rows += e->n;
            for (int l = 0; l < c.n_layers; l++)
                for (int pos = 0; pos < a->cache.len; pos++) {
                    const float *pk = paged_k(run.pool, s, l, pos);
                    if (!kvcache_has(&a->cache, pos)) {
                        assert_null(pk);
                    } else if (!pk || memcmp(pk, kvcache_k(&a->cache, l, pos), sizeof(float) * (size_t)config_kv_dim(&c))) {
                        fail_msg("%s seq %d step %d: pool row %d differs", name, s, k, pos);
                    }
                }
            assert_int_equal((uint64_t)paged_seq_blocks(run.pool, s), formulas_kept_kv_blocks(&c, a->cache.len));
        }
    }
    assert_true(verify_rows > 0);   /* it did speculate */
    seen.orders += free_every_order(run.pool, ps.n);
    for (int s = 0; s < ps.n; s++) run_free(&alone[s]);
    run_free(&run);
    model_free(&m_alone);
    model_free(&m);
    seen.spec_cases++;
}

/* heads, kv_heads, d, layers, B, W, set; K */
static const SpecCase spec_grid[] = {
    {{2, 2, 8, 2, 4, 6, 0}, 3}, {{4, 1, 8, 2, 2, 5, 1}, 2}, {{2, 2, 8, 2, 8, 3, 2}, 4},
    {{4, 2, 8, 2, 4, 8, 3}, 3}, {{0, 0, 0, 0, 4, 8, 0}, 4}, {{0, 0, 0, 0, 2, 6, 3}, 3},
};

static void test_grid_speculate(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof spec_grid / sizeof spec_grid[0]; i++) check_case_speculate(&spec_grid[i]);
}

/* The grid is only worth its name when it reached each case of the rule. */
static void test_grid_covers(void **state)
{
    (void)state;
    assert_true(seen.cases >= 40);
    assert_true(seen.spec_cases >= 6);
    assert_true(seen.shared >= 20);
    assert_true(seen.holes >= 10);
    assert_true(seen.refused_by_window >= 5);
    assert_true(seen.later_donor >= 3);
}

/* The rule on its own: paged_prefix_held against the closed form, and the
 * cases the docs name. */
static void test_rule(void **state)
{
    (void)state;
    KvConfig c = config_default();
    c.block_size = 4;
    for (int W = 0; W <= 12; W++)
        for (int Ld = 1; Ld <= 16; Ld++)
            for (int L = 1; L <= 16; L++)
                for (int common = 0; common <= (L < Ld ? L : Ld); common++) {
                    c.window = W;
                    const int s = formulas_shared_rows(&c, L, common);
                    const int want = formulas_shared_rows_held(&c, L, common, Ld);
                    assert_int_equal(s > 0 && paged_prefix_held(s, Ld, W) ? s : 0, s > 0 ? want : 0);
                }
    c.window = 6;
    assert_int_equal(formulas_shared_rows_held(&c, 20, 16, 16), 16);   /* it continues the donor's prompt */
    assert_int_equal(formulas_shared_rows_held(&c, 16, 16, 16), 15);   /* identical: the cap */
    assert_int_equal(formulas_shared_rows_held(&c, 15, 12, 16), 0);    /* row 12 would read 7..11: gone */
    assert_int_equal(formulas_shared_rows_held(&c, 15, 6, 6), 4);      /* the donor fits its window */
    c.window = 0;
    assert_int_equal(formulas_shared_rows_held(&c, 15, 12, 16), 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_grid_speculate),
        cmocka_unit_test(test_grid_covers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
