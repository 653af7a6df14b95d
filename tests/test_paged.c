/* test_paged: the paged KV cache (spec §6.4).
 *
 * 1. The pool alone, against a plain contiguous reference: random appends,
 *    truncations, window releases and ends over several sequences sharing
 *    one pool; after every operation every kept row read through the block
 *    tables equals the reference bit for bit, nothing else is readable, and
 *    the accounting holds (paged_check: no block owned twice, free list
 *    consistent; allocated == Σ live blocks, computed here by brute force).
 * 2. Engines mirroring into a shared pool: several cache engines (GQA,
 *    windows, block sizes) stepped and rewound at random; the pool always
 *    holds exactly the rows of each engine's contiguous KvCache, bitwise,
 *    with ceil(t / B) blocks (fewer under a window), and the engines'
 *    tokens and counts are those of an engine without paging.
 * 3. Prefix sharing under a window: holes, references, each holder's
 *    window releasing its own, a donor that dropped rows refused; and
 *    random operations with shares against a model of named blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/paged.h"
#include "sim/tokenizer.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* The contiguous truth for one sequence: rows of every position ever appended. */
typedef struct {
    int len, first;
    float *k, *v;     /* (n_layers, max_len, kv_dim) */
} Ref;

/* Live blocks by brute force: logical blocks holding a kept position. */
static int ref_blocks(const Ref *r, int B)
{
    int n = 0;
    for (int lb = 0; lb * B < r->len; lb++) {
        int lo = lb * B > r->first ? lb * B : r->first, hi = (lb + 1) * B < r->len ? (lb + 1) * B : r->len;
        n += lo < hi;
    }
    return n;
}

static void check_pool(const PagedPool *p, const Ref *refs, int n_seqs)
{
    char err[256];
    if (paged_check(p, err, sizeof err)) fail_msg("paged_check: %s", err);
    const int B = p->block_size, kv = p->kv_dim, N = p->max_len;
    int total = 0;
    uint64_t used = 0;
    for (int s = 0; s < n_seqs; s++) {
        const Ref *r = &refs[s];
        assert_int_equal(p->seqs[s].len, r->len);
        const int blocks = ref_blocks(r, B);
        assert_int_equal(paged_seq_blocks(p, s), blocks);
        assert_int_equal(paged_seq_reserved_bytes(p, s), (uint64_t)blocks * B * paged_bytes_per_pos(p));
        const int kept = r->len > r->first ? r->len - r->first : 0;
        assert_int_equal(paged_seq_used_bytes(p, s), (uint64_t)kept * 2 * p->n_layers * kv * 4);
        total += blocks;
        used += paged_seq_used_bytes(p, s);
        for (int l = 0; l < p->n_layers; l++)
            for (int pos = 0; pos < N; pos++) {
                const float *k = paged_k(p, s, l, pos), *v = paged_v(p, s, l, pos);
                if (pos >= r->first && pos < r->len) {
                    assert_non_null(k);
                    assert_non_null(v);
                    assert_memory_equal(k, r->k + ((size_t)l * N + pos) * kv, sizeof(float) * kv);
                    assert_memory_equal(v, r->v + ((size_t)l * N + pos) * kv, sizeof(float) * kv);
                } else {
                    assert_null(k);
                    assert_null(v);
                }
            }
        /* the view agrees with the table */
        int n_table;
        const int *table = paged_seq_table(p, s, &n_table);
        assert_int_equal(n_table, (r->len + B - 1) / B);
        for (int lb = 0; lb < n_table; lb++) {
            if (table[lb] < 0) continue;
            PagedBlockView bv = paged_block_view(p, table[lb]);
            assert_int_equal(bv.seq, s);
            assert_int_equal(bv.lblock, lb);
            assert_int_equal(bv.first_pos, lb * B);
            assert_true(bv.kept >= 1 && bv.kept <= B);
        }
    }
    assert_int_equal(paged_blocks_used(p), total);
    assert_int_equal(p->n_free, p->n_blocks - total);
    assert_int_equal(paged_used_bytes(p), used);
    assert_int_equal(paged_reserved_bytes(p), (uint64_t)total * B * paged_bytes_per_pos(p));
}

/* Random operations on a shared pool, checked after each one. */
static void run_pool(int n_layers, int kv, int B, int n_seqs, int max_len, int n_blocks, int ops,
                     uint64_t seed, long *checked)
{
    PagedPool p;
    assert_int_equal(paged_init(&p, n_layers, kv, B, n_blocks, n_seqs, max_len), 0);
    Ref refs[8];
    const size_t cells = (size_t)n_layers * max_len * kv;
    for (int s = 0; s < n_seqs; s++) {
        refs[s] = (Ref){0, 0, calloc(cells, sizeof(float)), calloc(cells, sizeof(float))};
        assert_non_null(refs[s].k);
        assert_non_null(refs[s].v);
    }
    float *rows_k = malloc(sizeof(float) * cells), *rows_v = malloc(sizeof(float) * cells);
    assert_non_null(rows_k);
    assert_non_null(rows_v);
    uint64_t r = seed;
    check_pool(&p, refs, n_seqs);
    for (int op = 0; op < ops; op++) {
        const int s = (int)(rnd(&r) % (uint64_t)n_seqs);
        Ref *rf = &refs[s];
        const int what = (int)(rnd(&r) % 10);
        if (what < 6) {
            /* append 1..(room) rows of fresh random bits, layer stride max_len·kv */
            const int room = max_len - rf->len;
            if (room == 0) continue;
            const int n = 1 + (int)(rnd(&r) % (uint64_t)(what == 0 ? room : (room < 3 ? room : 3)));
            for (size_t i = 0; i < cells; i++) {
                uint32_t bits = (uint32_t)rnd(&r);
                memcpy(&rows_k[i], &bits, sizeof bits);   /* any bit pattern, NaNs included */
                rows_v[i] = (float)(rnd(&r) % 1000) - 500.0f;
            }
            const int free_before = p.n_free;
            const int rc = paged_seq_append(&p, s, rf->len, n, rows_k, rows_v, (size_t)max_len * kv);
            if (rc != 0) {
                assert_int_equal(p.n_free, free_before);   /* refused: nothing changed */
            } else {
                for (int l = 0; l < n_layers; l++)
                    for (int i = 0; i < n; i++) {
                        memcpy(rf->k + ((size_t)l * max_len + rf->len + i) * kv,
                               rows_k + ((size_t)l * max_len + i) * kv, sizeof(float) * kv);
                        memcpy(rf->v + ((size_t)l * max_len + rf->len + i) * kv,
                               rows_v + ((size_t)l * max_len + i) * kv, sizeof(float) * kv);
                    }
                rf->len += n;
            }
        } else if (what < 8) {
            const int len = rf->len ? (int)(rnd(&r) % (uint64_t)(rf->len + 1)) : 0;
            paged_seq_truncate(&p, s, len);
            if (len < rf->len) {
                rf->len = len;
                if (rf->first > len) rf->first = len;
            }
        } else if (what < 9) {
            /* a window's eviction: positions below pos are no longer kept */
            const int pos = (int)(rnd(&r) % (uint64_t)(rf->len + 2));
            paged_seq_release_before(&p, s, pos);
            if (pos > rf->first) rf->first = pos;
        } else {
            paged_seq_end(&p, s);
            rf->len = rf->first = 0;
        }
        check_pool(&p, refs, n_seqs);
        (*checked)++;
    }
    for (int s = 0; s < n_seqs; s++) {
        free(refs[s].k);
        free(refs[s].v);
    }
    free(rows_k);
    free(rows_v);
    paged_free(&p);
}

static void test_pool_random(void **state)
{
    (void)state;
    long checked = 0;
    /* layers, kv_dim, B, sequences, max_len, blocks, operations, seed */
    run_pool(1, 1, 1, 1, 8, 8, 300, 1, &checked);
    run_pool(2, 4, 4, 3, 20, 15, 600, 2, &checked);
    run_pool(3, 2, 3, 5, 17, 35, 600, 3, &checked);
    run_pool(2, 3, 7, 4, 30, 6, 600, 4, &checked);    /* a small pool: appends get refused */
    run_pool(1, 8, 16, 2, 16, 2, 300, 5, &checked);   /* B = max_len */
    run_pool(2, 2, 2, 8, 12, 20, 800, 6, &checked);
    print_message("%ld random pool operations checked bitwise against contiguous caches\n", checked);
}

/* A fresh pool hands out 0, 1, 2, ...; a freed block is the next one out. */
static void test_pool_free_list_order(void **state)
{
    (void)state;
    PagedPool p;
    assert_int_equal(paged_init(&p, 1, 2, 2, 6, 2, 8), 0);
    float rows[16] = {0};
    assert_int_equal(paged_seq_append(&p, 0, 0, 3, rows, rows, 16), 0);   /* blocks 0, 1 */
    assert_int_equal(paged_seq_append(&p, 1, 0, 1, rows, rows, 16), 0);   /* block 2 */
    int n;
    const int *t0 = paged_seq_table(&p, 0, &n);
    assert_int_equal(n, 2);
    assert_int_equal(t0[0], 0);
    assert_int_equal(t0[1], 1);
    assert_int_equal(paged_seq_table(&p, 1, &n)[0], 2);
    paged_seq_release_before(&p, 0, 2);          /* block 0 leaves the window */
    assert_int_equal(t0[0], -1);
    assert_int_equal(paged_block_view(&p, 0).seq, -1);
    assert_int_equal(paged_seq_append(&p, 1, 1, 2, rows, rows, 16), 0);   /* reuses block 0 */
    assert_int_equal(paged_seq_table(&p, 1, &n)[1], 0);
    PagedBlockView v = paged_block_view(&p, 1);
    assert_int_equal(v.seq, 0);
    assert_int_equal(v.kept, 1);                 /* position 2 only */
    assert_int_equal(paged_seq_blocks(&p, 0), 1);
    /* an append the pool cannot hold changes nothing */
    assert_int_equal(paged_seq_append(&p, 0, 3, 5, rows, rows, 16), 0);   /* 2 more blocks */
    assert_int_equal(p.n_free, 1);
    assert_int_equal(paged_seq_append(&p, 1, 3, 4, rows, rows, 16), -1);  /* would need 2 */
    assert_int_equal(p.seqs[1].len, 3);
    char err[128];
    assert_int_equal(paged_check(&p, err, sizeof err), 0);
    paged_seq_end(&p, 0);
    assert_int_equal(p.n_free, 4);
    assert_int_equal(paged_check(&p, err, sizeof err), 0);
    paged_free(&p);
}

/* Prefix sharing under a window (paged.h): a receiver whose window starts
 * after some shared blocks has holes there, references the rest; each
 * holder's window releases its own reference; a donor that dropped rows the
 * receiver keeps is refused. Rows are worth their position (K = V). */
static void append_pos(PagedPool *p, int seq, int n)
{
    enum { ROWS = 2 * 32 * 3 };   /* (layers 2, max_len 32, kv 3) */
    float rows[ROWS];
    const int first = p->seqs[seq].len;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 3; j++) rows[(l * 32 + i) * 3 + j] = (float)(first + i);
    assert_int_equal(paged_seq_append(p, seq, first, n, rows, rows, 32 * 3), 0);
}

static void test_share_with_holes(void **state)
{
    (void)state;
    char err[256];
    PagedPool p;
    assert_int_equal(paged_init(&p, 2, 3, 4, paged_blocks_for(4, 4, 32), 4, 32), 0);
    /* the donor: a prompt of 16 under W = 6 keeps 10..15, blocks 2 and 3 */
    paged_seq_release_before(&p, 0, 10);
    append_pos(&p, 0, 16);
    int n;
    const int *t0 = paged_seq_table(&p, 0, &n);
    assert_int_equal(n, 4);
    assert_true(t0[0] == -1 && t0[1] == -1 && t0[2] >= 0 && t0[3] >= 0);
    const int b2 = t0[2], b3 = t0[3];
    /* a continuation (L = 20, s = 16) keeps 14..19: block 3 shared, 0..2 holes */
    paged_seq_release_before(&p, 1, 14);
    assert_int_equal(paged_seq_share(&p, 1, 0, 16), 0);
    append_pos(&p, 1, 4);
    const int *t1 = paged_seq_table(&p, 1, &n);
    assert_int_equal(n, 5);
    assert_true(t1[0] == -1 && t1[1] == -1 && t1[2] == -1 && t1[3] == b3 && t1[4] >= 0);
    /* the identical prompt (s = 15, the cap) keeps 10..15: blocks 2 and 3, its last row not written */
    paged_seq_release_before(&p, 2, 10);
    assert_int_equal(paged_seq_share(&p, 2, 0, 15), 0);
    append_pos(&p, 2, 1);
    const int *t2 = paged_seq_table(&p, 2, &n);
    assert_true(t2[0] == -1 && t2[1] == -1 && t2[2] == b2 && t2[3] == b3);
    assert_int_equal(paged_check(&p, err, sizeof err), 0);
    assert_int_equal(paged_block_refs(&p, b2), 2);
    assert_int_equal(paged_block_refs(&p, b3), 3);
    assert_int_equal(paged_blocks_used(&p), 3);            /* counted once */
    assert_int_equal(paged_blocks_shared(&p), 2);
    assert_int_equal(paged_used_bytes(&p), 10u * paged_bytes_per_pos(&p));   /* 10..19 once */
    for (int pos = 10; pos < 16; pos++) assert_true(paged_k(&p, 2, 1, pos)[2] == (float)pos);
    for (int pos = 14; pos < 20; pos++) assert_true(paged_v(&p, 1, 0, pos)[0] == (float)pos);
    assert_null(paged_k(&p, 1, 0, 13));
    /* refused: the donor's window dropped 8 and 9, which this one would keep */
    paged_seq_release_before(&p, 3, 8);
    assert_int_equal(paged_seq_share(&p, 3, 0, 12), -1);
    assert_int_equal(p.seqs[3].len, 0);
    assert_int_equal(paged_block_refs(&p, b2), 2);
    /* each window lets go on its own: the donor's moves past block 2, seq 2 still holds it */
    paged_seq_release_before(&p, 0, 12);
    assert_int_equal(paged_block_refs(&p, b2), 1);
    PagedBlockView v = paged_block_view(&p, b2);
    assert_int_equal(v.seq, 2);                            /* seq 2 is its holder now */
    assert_int_equal(v.kept, 2);                           /* 10 and 11, for seq 2 */
    assert_int_equal(paged_check(&p, err, sizeof err), 0);
    const int free_before = p.n_free;
    paged_seq_release_before(&p, 2, 12);                  /* its last reference: free */
    assert_int_equal(paged_block_refs(&p, b2), 0);
    assert_int_equal(p.n_free, free_before + 1);
    assert_int_equal(paged_check(&p, err, sizeof err), 0);
    /* W = 1 with the cap: it keeps only its own last row, so it shares no block */
    paged_seq_end(&p, 3);
    paged_seq_release_before(&p, 3, 15);
    assert_int_equal(paged_seq_share(&p, 3, 0, 15), 0);
    assert_int_equal(paged_seq_blocks(&p, 3), 0);
    append_pos(&p, 3, 1);
    assert_int_equal(paged_seq_blocks(&p, 3), 1);
    assert_true(paged_seq_table(&p, 3, &n)[3] != b3);
    assert_int_equal(paged_block_refs(&p, b3), 3);
    assert_int_equal(paged_check(&p, err, sizeof err), 0);
    for (int s = 0; s < 4; s++) paged_seq_end(&p, s);
    assert_int_equal(p.n_free, p.n_blocks);
    assert_int_equal(paged_check(&p, err, sizeof err), 0);
    paged_free(&p);
}

/* Random operations with prefix sharing and windows, against a model that
 * gives every block a name when it is taken and copies names on a share:
 * after each operation every kept row reads the model's bits, the pool's
 * blocks are the distinct live names (a shared block once), the shared
 * ones those with two holders or more, used bytes the most slots any
 * holder keeps, one physical block per name. Shares are whole blocks, as
 * the engine's are (the cap's partial block is test_share_with_holes'). */
enum { SP_SEQS = 4, SP_LEN = 24, SP_KV = 2, SP_LAYERS = 2 };
typedef struct {
    int len, first;
    int name[SP_LEN];                 /* per logical block, -1 = none */
    float k[SP_LAYERS][SP_LEN][SP_KV];
} ShareRef;

static bool sp_kept(const ShareRef *r, int B, int lb)
{
    const int lo = lb * B > r->first ? lb * B : r->first, hi = (lb + 1) * B < r->len ? (lb + 1) * B : r->len;
    return lo < hi;
}

static void sp_drop(ShareRef *r, int B)
{
    for (int lb = 0; lb < SP_LEN; lb++)
        if (!sp_kept(r, B, lb)) r->name[lb] = -1;
}

static void sp_check(const PagedPool *p, const ShareRef *ref, int B, int next_name)
{
    char err[256];
    if (paged_check(p, err, sizeof err)) fail_msg("paged_check: %s", err);
    int *phys = malloc(sizeof(int) * (size_t)next_name), *holders = calloc((size_t)next_name, sizeof(int));
    int *most = calloc((size_t)next_name, sizeof(int));
    assert_true(phys && holders && most);
    for (int i = 0; i < next_name; i++) phys[i] = -1;
    for (int s = 0; s < SP_SEQS; s++) {
        const ShareRef *r = &ref[s];
        int live = 0, n;
        const int *table = paged_seq_table(p, s, &n);
        assert_int_equal(p->seqs[s].len, r->len);
        for (int lb = 0; lb < n; lb++) {
            assert_int_equal(table[lb] >= 0, r->name[lb] >= 0);
            if (r->name[lb] < 0) continue;
            live++;
            const int nm = r->name[lb];
            if (phys[nm] < 0) phys[nm] = table[lb];
            assert_int_equal(phys[nm], table[lb]);   /* one physical block per name */
            holders[nm]++;
            const int lo = lb * B > r->first ? lb * B : r->first, hi = (lb + 1) * B < r->len ? (lb + 1) * B : r->len;
            if (hi - lo > most[nm]) most[nm] = hi - lo;
        }
        assert_int_equal(paged_seq_blocks(p, s), live);
        for (int l = 0; l < SP_LAYERS; l++)
            for (int pos = 0; pos < SP_LEN; pos++) {
                const float *k = paged_k(p, s, l, pos);
                if (pos < r->first || pos >= r->len) {
                    assert_null(k);
                    continue;
                }
                assert_non_null(k);
                assert_memory_equal(k, r->k[l][pos], sizeof(float) * SP_KV);
            }
    }
    int names = 0, shared = 0;
    uint64_t used = 0;
    for (int i = 0; i < next_name; i++) {
        names += holders[i] > 0;
        shared += holders[i] > 1;
        used += (uint64_t)most[i] * paged_bytes_per_pos(p);
        for (int j = 0; j < i; j++)
            if (holders[i] && holders[j]) assert_int_not_equal(phys[i], phys[j]);
    }
    assert_int_equal(paged_blocks_used(p), names);
    assert_int_equal(paged_blocks_shared(p), shared);
    assert_int_equal(paged_used_bytes(p), used);
    free(phys);
    free(holders);
    free(most);
}

static void run_share_pool(int B, int ops, uint64_t seed, long *checked, long *shares, long *refused)
{
    PagedPool p;
    assert_int_equal(paged_init(&p, SP_LAYERS, SP_KV, B, paged_blocks_for(B, SP_SEQS, SP_LEN), SP_SEQS, SP_LEN), 0);
    ShareRef *ref = calloc(SP_SEQS, sizeof *ref);
    assert_non_null(ref);
    for (int s = 0; s < SP_SEQS; s++)
        for (int lb = 0; lb < SP_LEN; lb++) ref[s].name[lb] = -1;
    float rows[SP_LAYERS * SP_LEN * SP_KV];
    int next_name = 0;
    uint64_t r = seed;
    for (int op = 0; op < ops; op++) {
        const int s = (int)(rnd(&r) % SP_SEQS), what = (int)(rnd(&r) % 10);
        ShareRef *rf = &ref[s];
        if (what < 4) {
            const int room = SP_LEN - rf->len;
            if (room == 0) continue;
            const int n = 1 + (int)(rnd(&r) % (uint64_t)(room < 5 ? room : 5));
            for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) rows[i] = (float)(rnd(&r) % 100000);
            assert_int_equal(paged_seq_append(&p, s, rf->len, n, rows, rows, SP_LEN * SP_KV), 0);
            for (int l = 0; l < SP_LAYERS; l++)
                for (int i = 0; i < n; i++) memcpy(rf->k[l][rf->len + i], &rows[(l * SP_LEN + i) * SP_KV], sizeof(float) * SP_KV);
            rf->len += n;
            for (int lb = 0; lb * B < rf->len; lb++)
                if (rf->name[lb] < 0 && sp_kept(rf, B, lb)) rf->name[lb] = next_name++;
        } else if (what < 6) {
            /* a window moves on */
            const int pos = rf->first + (int)(rnd(&r) % 4);
            paged_seq_release_before(&p, s, pos);
            if (pos > rf->first) rf->first = pos;
            sp_drop(rf, B);
        } else if (what < 7) {
            /* a rewind to a block boundary (a shared block is never appended into) */
            const int len = B * (int)(rnd(&r) % (uint64_t)(rf->len / B + 1));
            paged_seq_truncate(&p, s, len);
            if (len < rf->len) {
                rf->len = len;
                if (rf->first > len) rf->first = len;
            }
            sp_drop(rf, B);
        } else if (what < 8) {
            paged_seq_end(&p, s);
            rf->len = rf->first = 0;
            sp_drop(rf, B);
        } else {
            /* a new sequence shares whole blocks of another, its window set first */
            const int d = (int)(rnd(&r) % SP_SEQS);
            if (d == s || ref[d].len < B) continue;
            const int rows_n = B * (1 + (int)(rnd(&r) % (uint64_t)(ref[d].len / B)));
            const int first = (int)(rnd(&r) % (uint64_t)(rows_n + B));
            paged_seq_end(&p, s);   /* it ends first: a sequence shares from its start */
            rf->len = rf->first = 0;
            sp_drop(rf, B);
            paged_seq_release_before(&p, s, first);
            rf->first = first;
            const bool ok = first >= rows_n || first >= ref[d].first;
            assert_int_equal(paged_seq_share(&p, s, d, rows_n), ok ? 0 : -1);
            if (ok) {
                rf->len = rows_n;
                memcpy(rf->k, ref[d].k, sizeof rf->k);   /* only its kept rows are read */
                for (int lb = 0; lb < rows_n / B; lb++) rf->name[lb] = sp_kept(rf, B, lb) ? ref[d].name[lb] : -1;
                (*shares)++;
            } else {
                (*refused)++;
            }
        }
        sp_check(&p, ref, B, next_name);
        (*checked)++;
    }
    free(ref);
    paged_free(&p);
}

static void test_share_random(void **state)
{
    (void)state;
    long checked = 0, shares = 0, refused = 0;
    for (int i = 0; i < 5; i++) run_share_pool((int[]){1, 2, 3, 4, 8}[i], 800, 11u + (uint64_t)i, &checked, &shares, &refused);
    print_message("%ld random operations, %ld prefix shares and %ld refused (the donor's window), checked "
                  "against the named-block model\n", checked, shares, refused);
    assert_true(shares >= 100 && refused >= 20);
}

/* Every held row of the engine's contiguous cache equals the pool's, bitwise. */
static void check_mirror(const Engine *e)
{
    const KvCache *c = &e->cache;
    const PagedPool *p = e->pool;
    assert_non_null(p);
    const size_t row = sizeof(float) * (size_t)c->kv_dim;
    for (int pos = 0; pos < c->len; pos++)
        for (int l = 0; l < c->n_layers; l++) {
            if (!kvcache_has(c, pos)) {
                assert_null(paged_k(p, e->pool_seq, l, pos));
                continue;
            }
            assert_memory_equal(paged_k(p, e->pool_seq, l, pos), kvcache_k(c, l, pos), row);
            assert_memory_equal(paged_v(p, e->pool_seq, l, pos), kvcache_v(c, l, pos), row);
        }
    assert_null(paged_k(p, e->pool_seq, 0, c->len));
    assert_int_equal(paged_seq_used_bytes(p, e->pool_seq), kvcache_bytes(c));
    /* ceil(t / B), minus the blocks wholly out of a window */
    const int B = e->cfg.block_size, len = c->len, gone = kvcache_first(c);
    assert_int_equal(engine_kv_blocks(e), (len + B - 1) / B - gone / B);
}

static void test_engines_share_a_pool(void **state)
{
    (void)state;
    static const struct { int d, H, Hkv, Lyr, W, B, N, G; } cases[] = {
        {8, 2, 2, 2, 0, 4, 24, 10}, {8, 2, 1, 2, 0, 1, 20, 8},   {16, 8, 2, 1, 5, 3, 24, 12},
        {8, 4, 2, 2, 3, 2, 20, 9},  {8, 2, 2, 1, 4, 4, 20, 8},   {12, 6, 3, 2, 7, 5, 30, 14},
        {8, 2, 1, 1, 2, 6, 24, 15}, {8, 2, 2, 2, 40, 4, 24, 10}, {4, 4, 1, 1, 1, 1, 16, 6},
    };
    static const char *const prompts[] = {"abcdefgh", "x", "hello", "kv cache!"};
    const int n_seqs = 4;
    char err[256];
    long checks = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        KvConfig c = config_default();
        c.vocab = tokenizer_vocab();
        c.d_model = cases[ci].d;
        c.n_heads = cases[ci].H;
        c.n_kv_heads = cases[ci].Hkv;
        c.n_layers = cases[ci].Lyr;
        c.d_ff = 2 * cases[ci].d;
        c.window = cases[ci].W;
        c.block_size = cases[ci].B;
        c.max_seq = cases[ci].N;
        c.seed = 7 + ci;
        const int G = cases[ci].G;
        KvConfig plain = c;
        plain.block_size = 0;
        Model m, mp;
        assert_int_equal(model_init(&m, &c), 0);
        assert_int_equal(model_init(&mp, &plain), 0);   /* same seed, same weights, no paging */
        PagedPool pool;
        assert_int_equal(paged_init(&pool, c.n_layers, config_kv_dim(&c), c.block_size,
                                    paged_blocks_for(c.block_size, n_seqs, c.max_seq), n_seqs, c.max_seq), 0);
        Engine e[4], ref[4];
        int ids[4][16], L[4];
        for (int s = 0; s < n_seqs; s++) {
            char msg[128];
            L[s] = tokenizer_encode(prompts[s], ids[s], 16, msg, sizeof msg);
            assert_true(L[s] > 0);
            assert_int_equal(config_validate(&c, L[s], G, err, sizeof err), 0);
            assert_int_equal(engine_init(&e[s], &m, MODE_CACHE, ids[s], L[s], G, err, sizeof err), 0);
            assert_int_equal(engine_share_pool(&e[s], &pool, s), 0);
            /* the same run without paging: the reference for tokens and counts */
            assert_int_equal(engine_init(&ref[s], &mp, MODE_CACHE, ids[s], L[s], G, err, sizeof err), 0);
            engine_run_to_end(&ref[s]);
            assert_null(ref[s].pool);
        }
        /* a recompute engine refuses a pool; so does one that already ran */
        Engine rc;
        assert_int_equal(engine_init(&rc, &m, MODE_RECOMPUTE, ids[0], L[0], G, err, sizeof err), 0);
        assert_int_equal(engine_share_pool(&rc, &pool, 0), -1);
        assert_null(rc.pool);
        engine_free(&rc);
        uint64_t r = 99 + ci;
        for (int it = 0; it < 160; it++) {
            const int s = (int)(rnd(&r) % (uint64_t)n_seqs);
            const long total = engine_total_ops(&e[s]);
            /* mostly forward by a step or an operation, sometimes back (a truncation) */
            const int mv = (int)(rnd(&r) % 8);
            if (mv < 4) engine_next_step(&e[s]);
            else if (mv < 6) engine_next_op(&e[s]);
            else engine_seek(&e[s], (long)(rnd(&r) % (uint64_t)(total + 1)));
            for (int q = 0; q < n_seqs; q++) check_mirror(&e[q]);
            if (paged_check(&pool, err, sizeof err)) fail_msg("paged_check: %s", err);
            int sum = 0;
            for (int q = 0; q < n_seqs; q++) sum += engine_kv_blocks(&e[q]);
            assert_int_equal(paged_blocks_used(&pool), sum);
            assert_false(e[s].pool_overflow);
            checks++;
        }
        for (int s = 0; s < n_seqs; s++) {
            engine_run_to_end(&e[s]);
            check_mirror(&e[s]);
            for (int k = 0; k < G; k++) {
                assert_int_equal(engine_emitted(&e[s], k), engine_emitted(&ref[s], k));
                assert_true(counts_equal(engine_step_counts(&e[s], k), engine_step_counts(&ref[s], k)));
                assert_true(traffic_equal(engine_step_traffic(&e[s], k), engine_step_traffic(&ref[s], k)));
            }
            assert_memory_equal(e[s].logits, ref[s].logits, sizeof(float) * (size_t)c.vocab);
            /* the last step's blocks: the closed form */
            assert_int_equal((uint64_t)engine_kv_blocks(&e[s]), formulas_kv_blocks(&c, MODE_CACHE, L[s], G - 1));
            assert_int_equal(engine_kv_reserved_bytes(&e[s]),
                             formulas_kv_reserved_bytes(&c, MODE_CACHE, L[s], G - 1));
        }
        for (int s = 0; s < n_seqs; s++) {
            engine_free(&e[s]);
            engine_free(&ref[s]);
        }
        /* every sequence's blocks are still in the pool until it ends */
        for (int s = 0; s < n_seqs; s++) paged_seq_end(&pool, s);
        assert_int_equal(pool.n_free, pool.n_blocks);
        paged_free(&pool);
        model_free(&m);
        model_free(&mp);
    }
    print_message("%ld engine moves: shared pool == contiguous caches, bitwise\n", checks);
}

/* An engine with a block size and no shared pool mirrors into its own. */
static void test_engine_own_pool(void **state)
{
    (void)state;
    char err[256];
    KvConfig c = config_default();
    c.vocab = tokenizer_vocab();
    c.block_size = 5;
    c.window = 7;
    Model m;
    assert_int_equal(model_init(&m, &c), 0);
    int ids[12];
    for (int i = 0; i < 12; i++) ids[i] = i + 3;
    Engine e;
    assert_int_equal(engine_init(&e, &m, MODE_CACHE, ids, 12, 20, err, sizeof err), 0);
    assert_non_null(e.pool);
    assert_int_equal(e.pool->n_blocks, (64 + 4) / 5);
    while (engine_next_step(&e)) {
        check_mirror(&e);
        /* with a window W the live blocks never exceed ceil(W / B) + 1 */
        assert_true(engine_kv_blocks(&e) <= (7 + 4) / 5 + 1);
    }
    /* back to the start (a ring replays from the top): everything freed, then rebuilt */
    engine_seek(&e, 0);
    assert_int_equal(engine_kv_blocks(&e), 0);
    assert_int_equal(e.pool->n_free, e.pool->n_blocks);
    engine_run_to_end(&e);
    check_mirror(&e);
    engine_free(&e);
    /* recompute keeps nothing: no pool, 0 blocks */
    Engine r;
    assert_int_equal(engine_init(&r, &m, MODE_RECOMPUTE, ids, 12, 3, err, sizeof err), 0);
    engine_run_to_end(&r);
    assert_null(r.pool);
    assert_int_equal(engine_kv_blocks(&r), 0);
    engine_free(&r);
    /* no block size: no pool either */
    c.block_size = 0;
    Model mp;
    assert_int_equal(model_init(&mp, &c), 0);
    Engine a;
    assert_int_equal(engine_init(&a, &mp, MODE_CACHE, ids, 12, 3, err, sizeof err), 0);
    engine_run_to_end(&a);
    assert_null(a.pool);
    assert_int_equal(engine_kv_blocks(&a), 0);
    assert_int_equal(engine_kv_reserved_bytes(&a), 0);
    engine_free(&a);
    model_free(&mp);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_random),
        cmocka_unit_test(test_pool_free_list_order),
        cmocka_unit_test(test_share_with_holes),
        cmocka_unit_test(test_share_random),
        cmocka_unit_test(test_engines_share_a_pool),
        cmocka_unit_test(test_engine_own_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
