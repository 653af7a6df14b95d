/* paged: a block pool and block tables. See paged.h. */
#include "sim/paged.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int paged_blocks_for(int block_size, int n_seqs, int max_len)
{
    return n_seqs * ((max_len + block_size - 1) / block_size);
}

int paged_init(PagedPool *p, int n_layers, int kv_dim, int block_size, int n_blocks, int n_seqs,
               int max_len)
{
    memset(p, 0, sizeof *p);
    p->n_layers = n_layers;
    p->kv_dim = kv_dim;
    p->block_size = block_size;
    p->n_blocks = n_blocks;
    p->n_seqs = n_seqs;
    p->max_len = max_len;
    p->max_blocks = (max_len + block_size - 1) / block_size;
    p->block_floats = 2 * (size_t)n_layers * (size_t)block_size * (size_t)kv_dim;
    p->data = calloc((size_t)n_blocks * p->block_floats, sizeof(float));
    p->owner_seq = malloc(sizeof(int) * (size_t)n_blocks);
    p->owner_lblock = malloc(sizeof(int) * (size_t)n_blocks);
    p->free_list = malloc(sizeof(int) * (size_t)n_blocks);
    p->refs = calloc((size_t)n_blocks, sizeof(int));
    p->seqs = calloc((size_t)n_seqs, sizeof(PagedSeq));
    bool ok = p->data && p->owner_seq && p->owner_lblock && p->free_list && p->refs && p->seqs;
    for (int s = 0; ok && s < n_seqs; s++) {
        p->seqs[s].table = malloc(sizeof(int) * (size_t)p->max_blocks);
        ok = p->seqs[s].table != NULL;
    }
    if (!ok) {
        paged_free(p);
        return -1;
    }
    for (int b = 0; b < n_blocks; b++) {
        p->owner_seq[b] = p->owner_lblock[b] = -1;
        p->free_list[b] = n_blocks - 1 - b;    /* the top of the stack is block 0 */
    }
    p->n_free = n_blocks;
    for (int s = 0; s < n_seqs; s++)
        for (int i = 0; i < p->max_blocks; i++) p->seqs[s].table[i] = -1;
    return 0;
}

void paged_free(PagedPool *p)
{
    if (p->seqs)
        for (int s = 0; s < p->n_seqs; s++) free(p->seqs[s].table);
    free(p->seqs);
    free(p->data);
    free(p->owner_seq);
    free(p->owner_lblock);
    free(p->free_list);
    free(p->refs);
    memset(p, 0, sizeof *p);
}

/* ---- blocks in and out --------------------------------------------------- */

static int take_block(PagedPool *p, int seq, int lblock)
{
    const int b = p->free_list[--p->n_free];
    p->owner_seq[b] = seq;
    p->owner_lblock[b] = lblock;
    p->refs[b] = 1;
    p->seqs[seq].table[lblock] = b;
    p->seqs[seq].blocks++;
    return b;
}

/* Another table entry holding block b, other than (seq, lblock): its new
 * owner when (seq, lblock) lets go of a shared block. */
static void pass_ownership(PagedPool *p, int b, int seq, int lblock)
{
    for (int q = 0; q < p->n_seqs; q++)
        for (int lb = 0; lb < p->seqs[q].n_table; lb++)
            if (p->seqs[q].table[lb] == b && (q != seq || lb != lblock)) {
                p->owner_seq[b] = q;
                p->owner_lblock[b] = lb;
                return;
            }
}

/* Table entry (seq, lblock) lets go of its block; the block is free once
 * no entry holds it (§6.8: a shared prefix outlives its first holder). */
static void give_back(PagedPool *p, int seq, int lblock)
{
    PagedSeq *s = &p->seqs[seq];
    const int b = s->table[lblock];
    if (b < 0) return;
    if (--p->refs[b] > 0) {
        if (p->owner_seq[b] == seq && p->owner_lblock[b] == lblock) pass_ownership(p, b, seq, lblock);
    } else {
        p->owner_seq[b] = p->owner_lblock[b] = -1;
        p->free_list[p->n_free++] = b;
    }
    s->table[lblock] = -1;
    s->blocks--;
}

bool paged_share_refs(int B, int first, int rows, int lb)
{
    const int lo = lb * B > first ? lb * B : first, hi = (lb + 1) * B < rows ? (lb + 1) * B : rows;
    return lo < hi;
}

int paged_seq_share(PagedPool *p, int seq, int donor, int rows)
{
    if (seq < 0 || seq >= p->n_seqs || donor < 0 || donor >= p->n_seqs || seq == donor || rows < 1) return -1;
    PagedSeq *s = &p->seqs[seq];
    const PagedSeq *d = &p->seqs[donor];
    const int B = p->block_size, nb = (rows + B - 1) / B;
    /* the receiver keeps positions from s->first on (a window may have set
     * it): it references the shared blocks holding one of [first, rows),
     * the rest of its prefix are holes */
    const int first = s->first > 0 ? s->first : 0;
    if (s->len != 0 || s->blocks != 0 || rows > d->len || nb > d->n_table) return -1;
    if (first < rows && first < d->first) return -1;   /* the donor's window dropped rows it would keep */
    for (int lb = 0; lb < nb; lb++)
        if (paged_share_refs(B, first, rows, lb) && d->table[lb] < 0) return -1;
    for (int lb = 0; lb < nb; lb++) {
        s->table[lb] = -1;
        if (!paged_share_refs(B, first, rows, lb)) continue;
        s->table[lb] = d->table[lb];
        p->refs[s->table[lb]]++;
        s->blocks++;
    }
    s->n_table = nb;
    s->len = rows;
    return 0;
}

bool paged_prefix_held(int rows, int donor_len, int window)
{
    if (window <= 0 || rows < 1) return true;
    const int first_key = rows - window + 1 > 0 ? rows - window + 1 : 0;   /* of the row at position rows */
    const int donor_first = donor_len - window > 0 ? donor_len - window : 0;
    return first_key >= rows || first_key >= donor_first;   /* W = 1: it reads no earlier row */
}

int paged_prefix_rows(const int *a, int La, const int *b, int Lb, int B)
{
    int rows = 0;   /* match whole blocks, front to back */
    while (rows + B <= La && rows + B <= Lb && !memcmp(a + rows, b + rows, sizeof(int) * (size_t)B)) rows += B;
    return rows < Lb ? rows : Lb - 1;
}

int paged_block_refs(const PagedPool *p, int b)
{
    return (b >= 0 && b < p->n_blocks) ? p->refs[b] : 0;
}

int paged_blocks_shared(const PagedPool *p)
{
    int n = 0;
    for (int b = 0; b < p->n_blocks; b++) n += p->refs[b] > 1;
    return n;
}

static float *slot(const PagedPool *p, int b, int kv, int layer, int pos)
{
    const size_t B = (size_t)p->block_size, half = (size_t)p->n_layers * B * (size_t)p->kv_dim;
    return p->data + (size_t)b * p->block_floats + (size_t)kv * half +
           ((size_t)layer * B + (size_t)(pos % p->block_size)) * (size_t)p->kv_dim;
}

int paged_seq_append(PagedPool *p, int seq, int first_pos, int n, const float *k, const float *v,
                     size_t layer_stride)
{
    PagedSeq *s = &p->seqs[seq];
    const int B = p->block_size, end = first_pos + n;
    if (first_pos != s->len || n < 0 || end > p->max_len) return -1;
    /* blocks this append needs: logical blocks holding a stored position
     * that have no physical block yet */
    const int lo = first_pos > s->first ? first_pos : s->first;
    int need = 0;
    for (int lb = lo / B; lo < end && lb <= (end - 1) / B; lb++)
        if (lb >= s->n_table || s->table[lb] < 0) need++;
    if (need > p->n_free) return -1;
    const size_t row = sizeof(float) * (size_t)p->kv_dim;
    for (int pos = lo; pos < end; pos++) {
        const int lb = pos / B;
        int b = (lb < s->n_table) ? s->table[lb] : -1;
        if (b < 0) b = take_block(p, seq, lb);
        if (lb >= s->n_table) s->n_table = lb + 1;
        if (p->refs[b] > 1) continue;   /* shared (§6.8): it already holds this row */
        const size_t i = (size_t)(pos - first_pos);
        for (int l = 0; l < p->n_layers; l++) {
            memcpy(slot(p, b, 0, l, pos), k + (size_t)l * layer_stride + i * (size_t)p->kv_dim, row);
            memcpy(slot(p, b, 1, l, pos), v + (size_t)l * layer_stride + i * (size_t)p->kv_dim, row);
        }
    }
    s->len = end;
    s->n_table = (end + B - 1) / B;   /* logical blocks of skipped positions count, as holes */
    return 0;
}

/* Give back every block of the table that holds no kept position (none of
 * first .. len-1): those wholly below `first`, and any left empty when
 * nothing is kept at all. */
static void drop_empty(PagedPool *p, int seq)
{
    const PagedSeq *s = &p->seqs[seq];
    const int B = p->block_size;
    for (int lb = 0; lb < s->n_table; lb++) {
        const int lo = lb * B > s->first ? lb * B : s->first;
        const int hi = (lb + 1) * B < s->len ? (lb + 1) * B : s->len;
        if (lo >= hi) give_back(p, seq, lb);
    }
}

void paged_seq_release_before(PagedPool *p, int seq, int pos)
{
    PagedSeq *s = &p->seqs[seq];
    if (pos <= s->first) return;
    s->first = pos;
    drop_empty(p, seq);
}

void paged_seq_truncate(PagedPool *p, int seq, int len)
{
    PagedSeq *s = &p->seqs[seq];
    if (len < 0) len = 0;
    if (len >= s->len) return;
    const int keep = (len + p->block_size - 1) / p->block_size;
    for (int lb = keep; lb < s->n_table; lb++) give_back(p, seq, lb);
    s->n_table = keep;
    s->len = len;
    if (s->first > len) s->first = len;   /* nothing below len was kept anyway */
    drop_empty(p, seq);
}

void paged_seq_end(PagedPool *p, int seq)
{
    paged_seq_truncate(p, seq, 0);
    p->seqs[seq].first = 0;
}

bool paged_has(const PagedPool *p, int seq, int pos)
{
    const PagedSeq *s = &p->seqs[seq];
    return pos >= s->first && pos >= 0 && pos < s->len && s->table[pos / p->block_size] >= 0;
}

const float *paged_k(const PagedPool *p, int seq, int layer, int pos)
{
    if (!paged_has(p, seq, pos)) return NULL;
    return slot(p, p->seqs[seq].table[pos / p->block_size], 0, layer, pos);
}

const float *paged_v(const PagedPool *p, int seq, int layer, int pos)
{
    if (!paged_has(p, seq, pos)) return NULL;
    return slot(p, p->seqs[seq].table[pos / p->block_size], 1, layer, pos);
}

/* ---- accounting ---------------------------------------------------------- */

uint64_t paged_bytes_per_pos(const PagedPool *p)
{
    return 2u * (uint64_t)p->n_layers * (uint64_t)p->kv_dim * sizeof(float);
}

int paged_seq_kept(const PagedPool *p, int seq)
{
    const PagedSeq *s = &p->seqs[seq];
    const int lo = s->first > 0 ? s->first : 0;
    return s->len > lo ? s->len - lo : 0;
}

int paged_seq_blocks(const PagedPool *p, int seq)
{
    return p->seqs[seq].blocks;
}

uint64_t paged_seq_reserved_bytes(const PagedPool *p, int seq)
{
    return (uint64_t)p->seqs[seq].blocks * (uint64_t)p->block_size * paged_bytes_per_pos(p);
}

uint64_t paged_seq_used_bytes(const PagedPool *p, int seq)
{
    return (uint64_t)paged_seq_kept(p, seq) * paged_bytes_per_pos(p);
}

int paged_blocks_used(const PagedPool *p)
{
    return p->n_blocks - p->n_free;
}

uint64_t paged_reserved_bytes(const PagedPool *p)
{
    return (uint64_t)paged_blocks_used(p) * (uint64_t)p->block_size * paged_bytes_per_pos(p);
}

/* Slots of physical block b holding a position some holder keeps: the
 * most any of its table entries keeps (holders of a shared block keep
 * different slots under a window; the same ones without). */
static int block_kept(const PagedPool *p, int b)
{
    int kept = 0;
    for (int q = 0; q < p->n_seqs; q++) {
        const PagedSeq *s = &p->seqs[q];
        for (int lb = 0; lb < s->n_table; lb++) {
            if (s->table[lb] != b) continue;
            const int lo = lb * p->block_size > s->first ? lb * p->block_size : s->first;
            const int hi = (lb + 1) * p->block_size < s->len ? (lb + 1) * p->block_size : s->len;
            if (hi - lo > kept) kept = hi - lo;
        }
    }
    return kept;
}

uint64_t paged_used_bytes(const PagedPool *p)
{
    /* each physical block once */
    uint64_t u = 0;
    for (int b = 0; b < p->n_blocks; b++)
        if (p->refs[b] > 0) u += (uint64_t)block_kept(p, b) * paged_bytes_per_pos(p);
    return u;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); free(seen); return -1; } while (0)

int paged_check(const PagedPool *p, char *err, size_t errlen)
{
    const int B = p->block_size;
    /* seen[b]: 1 = in the free list, else the table entries holding it + 1 */
    int *seen = calloc((size_t)p->n_blocks + 1, sizeof(int));
    if (!seen) { snprintf(err, errlen, "out of memory"); return -1; }
    if (p->n_free < 0 || p->n_free > p->n_blocks) FAIL("n_free %d of %d", p->n_free, p->n_blocks);
    for (int i = 0; i < p->n_free; i++) {
        const int b = p->free_list[i];
        if (b < 0 || b >= p->n_blocks) FAIL("free list entry %d = %d", i, b);
        if (seen[b]) FAIL("block %d twice in the free list", b);
        if (p->owner_seq[b] != -1 || p->owner_lblock[b] != -1 || p->refs[b] != 0) FAIL("free block %d has an owner", b);
        seen[b] = 1;
    }
    int live = 0;
    for (int s = 0; s < p->n_seqs; s++) {
        const PagedSeq *q = &p->seqs[s];
        if (q->n_table != (q->len + B - 1) / B) FAIL("seq %d: %d table entries for %d positions", s, q->n_table, q->len);
        int n = 0;
        for (int lb = 0; lb < p->max_blocks; lb++) {
            const int b = q->table[lb];
            /* a logical block must be live iff it holds a kept position */
            const int lo = lb * B > q->first ? lb * B : q->first;
            const int hi = (lb + 1) * B < q->len ? (lb + 1) * B : q->len;
            const bool want = lb < q->n_table && lo < hi;
            if ((b >= 0) != want) FAIL("seq %d logical block %d: physical %d, %s", s, lb, b, want ? "should be live" : "should be empty");
            if (b < 0) continue;
            if (b >= p->n_blocks) FAIL("seq %d logical block %d: physical %d out of range", s, lb, b);
            if (seen[b] == 1) FAIL("block %d free and held (seq %d logical %d)", b, s, lb);
            for (int j = 0; j < lb; j++)
                if (q->table[j] == b) FAIL("block %d twice in the table of seq %d", b, s);
            seen[b] = seen[b] ? seen[b] + 1 : 2;
            n++;
        }
        if (n != q->blocks) FAIL("seq %d: %d live blocks counted, %d recorded", s, n, q->blocks);
        live += n;
    }
    int held = 0, refs = 0;
    for (int b = 0; b < p->n_blocks; b++) {
        if (!seen[b]) FAIL("block %d neither free nor owned", b);
        if (seen[b] == 1) continue;
        held++;
        refs += p->refs[b];
        if (p->refs[b] != seen[b] - 1) FAIL("block %d: %d references recorded, %d table entries", b, p->refs[b], seen[b] - 1);
        const int os = p->owner_seq[b], ol = p->owner_lblock[b];
        if (os < 0 || os >= p->n_seqs || ol < 0 || ol >= p->seqs[os].n_table || p->seqs[os].table[ol] != b)
            FAIL("block %d: owner arrays say seq %d logical %d", b, os, ol);
    }
    if (refs != live) FAIL("%d references != %d live table entries", refs, live);
    if (held + p->n_free != p->n_blocks) FAIL("%d held + %d free != %d blocks", held, p->n_free, p->n_blocks);
    free(seen);
    return 0;
}

/* ---- view ------------------------------------------------------------------ */

PagedBlockView paged_block_view(const PagedPool *p, int b)
{
    PagedBlockView v = {-1, -1, -1, 0, 0};
    if (b < 0 || b >= p->n_blocks || p->owner_seq[b] < 0) return v;
    v.seq = p->owner_seq[b];
    v.lblock = p->owner_lblock[b];
    v.first_pos = v.lblock * p->block_size;
    v.kept = block_kept(p, b);
    v.refs = p->refs[b];
    return v;
}

const int *paged_seq_table(const PagedPool *p, int seq, int *n)
{
    *n = p->seqs[seq].n_table;
    return p->seqs[seq].table;
}
