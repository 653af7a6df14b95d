/* paged: a paged KV cache (spec §6.4) — a pool of fixed-size blocks shared
 * by several sequences, each reaching its blocks through a block table.
 *
 * Geometry
 *   A block holds B consecutive positions of ONE sequence, K and V, every
 *   layer:  block = K (n_layers, B, kv_dim) then V (n_layers, B, kv_dim)
 *   floats. Position p of a sequence lives in logical block p / B, slot
 *   p % B; the sequence's table maps the logical block to a physical block
 *   of the pool. Physical blocks are handed out on demand (first position
 *   of a new logical block) from a free list and go back to it when the
 *   sequence is truncated (rewind), ends, or — under a sliding window —
 *   when every position of the block has left the window.
 *
 * The free list is a stack: a fresh pool hands out 0, 1, 2, ...; a freed
 * block is the next one handed out (LIFO), as in serving engines that
 * recycle hot blocks.
 *
 * Sliding window (§6.3 + §6.4), the decision: a sequence keeps exactly the
 * positions the engine's ring keeps — the last W, i.e. p >= t − W after t
 * positions. paged_seq_release_before(p) says "positions below p are no
 * longer kept": every block whose B positions are all below p goes back to
 * the pool at once, and its table entry becomes -1 (a hole at the front
 * of the table; the table keeps its logical numbering). Rows appended
 * below that mark are not stored (a prefill longer than W only stores its
 * last W rows, and never allocates blocks for the rest). So with a window
 *     live blocks = ceil(t / B) − floor(max(0, t − W) / B)
 * which is at most ceil(W / B) + 1, and without one ceil(t / B).
 * The waste of a sequence = live blocks · B − positions kept: the unused
 * tail of its last block plus, with a window, the slots of its first live
 * block that already left the window.
 *
 * Byte accounting (bytes per position = 2 · n_layers · kv_dim · 4):
 *   paged_seq_reserved_bytes = live blocks · B · bytes per position
 *   paged_seq_used_bytes     = positions kept · bytes per position
 *                              (= the engine's kv_cache_bytes)
 *
 * Prefix sharing (§6.8): paged_seq_share() points the first table entries
 * of an empty sequence at another sequence's blocks (an identical prompt
 * prefix) and counts one more reference on each. A block goes back to the
 * free list only when its last reference goes (a truncate, an end, a
 * window); while others still hold it, its owner becomes another holder.
 * A shared block is never written: the rows a sequence appends into it are
 * the ones it already holds (same tokens at the same positions, same bits).
 * Pool totals count each physical block once: reserved = blocks handed
 * out, used = positions they hold (a shared position once).
 *
 * Prefix sharing under a window (§6.3 + §6.8), the decision. A window W
 * lets a donor keep only the last W rows of its prompt, and the rows it
 * dropped were never stored. The receiver (prompt of L, s shared rows)
 * computes rows s .. L-1; its first one, at position s, sees the keys
 * max(0, s−W+1) .. s−1, and that row sees the earliest keys of all. So it
 * may share only when the donor (prompt of Ld) still holds those rows
 * after its own prefill, i.e. max(0, s−W+1) >= max(0, Ld−W): the donor's
 * prompt fits its window (Ld <= W), or the receiver continues the donor's
 * whole prompt (s >= Ld − 1); or there are none (W = 1: a row sees only
 * itself, so any common prefix saves its rows) — paged_prefix_held(). A
 * smaller s needs
 * only earlier rows, which are gone too: the run then shares nothing with
 * that donor. In the pool the receiver references only the shared blocks
 * holding a position it keeps itself after its prefill (>= L − W): the
 * prefix blocks wholly below that are -1 holes from the start, exactly as
 * if it had computed them and its window had released them. Each holder's
 * window then releases its reference independently; the block is free
 * when its last reference goes.
 *
 * Ownership: paged_init() allocates, paged_free() releases. Every field is
 * read-only outside paged.c; a UI draws from the view functions at the
 * end of this header (or reads the documented arrays directly).
 */
#ifndef KVSIM_PAGED_H
#define KVSIM_PAGED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int len;       /* positions appended: 0 .. len-1 (absolute; t after a step) */
    int first;     /* positions below `first` are not kept (window); 0 without.
                      May exceed len for a moment (a release before an append). */
    int n_table;   /* logical blocks so far: ceil(len / B) */
    int blocks;    /* live blocks: table entries that are not -1 */
    int *table;    /* (max_blocks) physical block of logical block b, or -1
                      (released by the window / never stored); valid for b < n_table */
} PagedSeq;

typedef struct {
    int n_layers, kv_dim, block_size;
    int n_blocks;        /* physical blocks in the pool */
    int n_seqs;          /* sequences sharing it: 0 .. n_seqs-1 */
    int max_blocks;      /* table entries per sequence: ceil(max_len / B) */
    int max_len;         /* positions a sequence may hold at most */
    size_t block_floats; /* 2 · n_layers · B · kv_dim */
    float *data;         /* (n_blocks, block_floats) */
    int *owner_seq;      /* (n_blocks) sequence owning the block, -1 = free */
    int *owner_lblock;   /* (n_blocks) its logical block in that sequence, -1 = free */
    int *refs;           /* (n_blocks) table entries pointing at the block: 0 = free, > 1 = shared
                            by prefix sharing (§6.8); the owner is one of them */
    int *free_list;      /* (n_blocks) stack of free blocks; the top is free_list[n_free-1] */
    int n_free;
    PagedSeq *seqs;      /* (n_seqs) */
} PagedPool;

/* A pool of n_blocks blocks of block_size positions for n_seqs sequences of
 * at most max_len positions each (all arguments >= 1). Zeroed data, every
 * block free, every sequence empty. 0, or -1 when out of memory. */
int paged_init(PagedPool *p, int n_layers, int kv_dim, int block_size, int n_blocks, int n_seqs,
               int max_len);
void paged_free(PagedPool *p);

/* Blocks needed to hold every one of n_seqs sequences at max_len: n_seqs · ceil(max_len / B). */
int paged_blocks_for(int block_size, int n_seqs, int max_len);

/* Append positions first_pos .. first_pos+n-1 (first_pos must equal the
 * sequence's len) for every layer. Rows of layer l, position first_pos+i
 * are k + l·layer_stride + i·kv_dim (same for v), i.e. the layout of the
 * engine's step_k / step_v. Positions below seq.first are counted in len
 * but not stored. Blocks are allocated as needed; when the pool has too few
 * free blocks nothing changes and -1 is returned (0 on success). */
int paged_seq_append(PagedPool *p, int seq, int first_pos, int n, const float *k, const float *v,
                     size_t layer_stride);

/* Prefix sharing: empty sequence seq takes positions 0 .. rows-1 from
 * sequence donor: its table entries 0 .. ceil(rows / B) - 1 that hold a
 * position it keeps (>= its first, which a window may have set before:
 * paged_seq_release_before on the empty sequence) become the donor's
 * blocks, one more reference each; the others are -1 holes. Its len
 * becomes rows, its first stays. The donor must hold every kept one of
 * those positions (its first <= the receiver's). 0, or -1 (nothing
 * changes) when not allowed. */
int paged_seq_share(PagedPool *p, int seq, int donor, int rows);
/* Whether a receiver that keeps positions from `first` on and shares
 * `rows` references the donor's logical block lb: it holds one of the
 * shared positions it keeps, [first, rows). (Under a window of 1 with the
 * cap, s = L − 1, the receiver keeps only its own last row and so takes a
 * block of its own for it.) */
bool paged_share_refs(int B, int first, int rows, int lb);
/* Under a window W (> 0; 0 = none: always true): whether a donor whose
 * prompt has donor_len rows still holds, after its prefill, every row the
 * receiver's first computed row (position rows) reads, max(0, rows−W+1)
 * .. rows−1: none to read (W = 1), or max(0, rows−W+1) >= max(0,
 * donor_len − W). See "Prefix sharing under a window" above. */
bool paged_prefix_held(int rows, int donor_len, int window);
/* Rows a prompt b[0..Lb-1] can take from an earlier prompt a[0..La-1]
 * (§6.8): the full blocks of their common prefix c, B·floor(c / B),
 * capped at Lb - 1 (its last row is always computed). The way a server
 * finds them — block by block, each block's tokens and everything before
 * them equal — gives the same number. */
int paged_prefix_rows(const int *a, int La, const int *b, int Lb, int B);
/* References on physical block b (0 = free). */
int paged_block_refs(const PagedPool *p, int b);
/* Blocks held by more than one table entry now. */
int paged_blocks_shared(const PagedPool *p);

/* Positions below pos are no longer kept: first = max(first, pos), and
 * every block that now holds no kept position goes back to the pool (those
 * wholly below pos; with pos >= len, all of them). (The window's eviction.) */
void paged_seq_release_before(PagedPool *p, int seq, int pos);

/* Forget positions len.. (rewind): free the blocks from logical block
 * ceil(len / B) on (and any left holding no kept position). Does nothing
 * when len >= the sequence's len. */
void paged_seq_truncate(PagedPool *p, int seq, int len);

/* The sequence ends: every block back to the pool, len = first = 0. */
void paged_seq_end(PagedPool *p, int seq);

/* K or V row (kv_dim floats) of position pos in layer l, read through the
 * block table; NULL when the position is not kept. */
const float *paged_k(const PagedPool *p, int seq, int layer, int pos);
const float *paged_v(const PagedPool *p, int seq, int layer, int pos);
bool paged_has(const PagedPool *p, int seq, int pos);

/* ---- accounting ---------------------------------------------------------- */

/* 2 · n_layers · kv_dim · 4 */
uint64_t paged_bytes_per_pos(const PagedPool *p);
/* Positions kept: len − max(first, 0), clipped at 0. */
int paged_seq_kept(const PagedPool *p, int seq);
int paged_seq_blocks(const PagedPool *p, int seq);
uint64_t paged_seq_reserved_bytes(const PagedPool *p, int seq);
uint64_t paged_seq_used_bytes(const PagedPool *p, int seq);
/* Pool totals: blocks handed out (n_blocks − n_free), their bytes, and the
 * bytes of the positions they hold (each physical slot once: a shared
 * prefix counts once; without sharing = Σ paged_seq_used_bytes). */
int paged_blocks_used(const PagedPool *p);
uint64_t paged_reserved_bytes(const PagedPool *p);
uint64_t paged_used_bytes(const PagedPool *p);

/* Check every invariant: each block is free or held by exactly refs table
 * entries (one of them its owner, as its owner arrays say), the free list holds each free block
 * once, Σ refs == Σ live table entries, each table has live entries exactly for
 * the logical blocks holding a kept position. 0, or -1 with a message. */
int paged_check(const PagedPool *p, char *err, size_t errlen);

/* ---- view for drawing (read-only) ---------------------------------------- */

typedef struct {
    int seq;        /* owning sequence, -1 when free */
    int lblock;     /* its logical block index in that sequence's table, -1 when free */
    int first_pos;  /* absolute position of slot 0 (lblock · B), -1 when free */
    int kept;       /* slots holding a position a holder keeps: 0 .. B (0 when
                       free; the most of any holder when shared) */
    int refs;       /* table entries pointing at it: 0 free, 1, > 1 shared (§6.8) */
} PagedBlockView;

/* Physical block b of the pool. */
PagedBlockView paged_block_view(const PagedPool *p, int b);
/* The block table of a sequence: *n = logical blocks so far (n_table);
 * entry i is a physical block or -1 (released under a window). */
const int *paged_seq_table(const PagedPool *p, int seq, int *n);

#endif
