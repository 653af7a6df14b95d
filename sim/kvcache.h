/* kvcache: the K and V rows of every layer, kept between decode steps.
 *
 * Storage: k, v: (n_layers, capacity, kv_dim) floats, row-major.
 * `len` is the number of positions appended so far (absolute: the next
 * position to append is len). Without a window, capacity = max_seq and
 * position p lives in slot p. With a sliding window W (spec §6.3) the
 * cache is a ring of capacity = W slots: position p lives in slot p % W,
 * and appending position p overwrites position p - W, which no query from
 * p on can see. kvcache_has(c, p) says whether p is still held.
 *
 * The engine computes a step's K/V rows in its own scratch and stores
 * them at the step's "cache append" operation: kvcache_put() per layer,
 * then kvcache_commit() sets len to the step's t.
 * Without a window appending never changes a kept row, so rewinding is
 * kvcache_truncate(); with a window the overwritten rows are gone from the
 * ring, and the engine puts them back from its own history (engine.h).
 */
#ifndef KVSIM_KVCACHE_H
#define KVSIM_KVCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n_layers;
    int capacity;   /* slots per layer: max_seq, or W with a window */
    int window;     /* W, or 0 for no window (then capacity = max_seq) */
    int kv_dim;     /* floats per position per layer: Hkv · d_head */
    int len;        /* positions appended: 0 .. len-1 (the last `capacity` are held) */
    float *k;       /* (n_layers, capacity, kv_dim) */
    float *v;       /* (n_layers, capacity, kv_dim) */
} KvCache;

/* Allocate a zeroed cache for max_seq positions, or a ring of `window`
 * slots when 0 < window < max_seq; 0 on success, -1 when out of memory.
 * The caller owns it and releases it with kvcache_free(). */
int kvcache_init(KvCache *c, int n_layers, int max_seq, int window, int kv_dim);
void kvcache_free(KvCache *c);

/* Slot of position pos (pos % W with a window). */
static inline int kvcache_slot(const KvCache *c, int pos)
{
    return c->window ? pos % c->window : pos;
}
/* Row of position pos in layer l; meaningful when kvcache_has(c, pos). */
static inline float *kvcache_k(const KvCache *c, int l, int pos)
{
    return c->k + ((size_t)l * (size_t)c->capacity + (size_t)kvcache_slot(c, pos)) * (size_t)c->kv_dim;
}
static inline float *kvcache_v(const KvCache *c, int l, int pos)
{
    return c->v + ((size_t)l * (size_t)c->capacity + (size_t)kvcache_slot(c, pos)) * (size_t)c->kv_dim;
}
/* First position still held (len - W with a full ring, else 0). */
static inline int kvcache_first(const KvCache *c)
{
    return c->len > c->capacity ? c->len - c->capacity : 0;
}
static inline int kvcache_has(const KvCache *c, int pos)
{
    return pos >= kvcache_first(c) && pos < c->len;
}
/* Positions held now: min(len, capacity). */
static inline int kvcache_held(const KvCache *c)
{
    return c->len < c->capacity ? c->len : c->capacity;
}

/* Append the K/V rows of positions len .. len+n-1 for layer l from
 * k_rows, v_rows: (n, kv_dim). The caller appends every layer, then calls
 * kvcache_commit(c, len + n). */
void kvcache_put(KvCache *c, int l, int first_pos, int n, const float *k_rows, const float *v_rows);
/* Positions 0..len-1 have been appended (len only grows here). */
void kvcache_commit(KvCache *c, int len);
/* Forget every position from len on (rewind, or recompute's "keep nothing"). */
void kvcache_truncate(KvCache *c, int len);

/* Bytes held: 2 · n_layers · min(len, capacity) · kv_dim · 4. */
uint64_t kvcache_bytes(const KvCache *c);

#endif
