/* kvcache: the K and V rows of every layer, kept between decode steps.
 *
 * Storage: k, v: (n_layers, capacity, kv_dim) floats, row-major.
 * `len` is the number of committed positions: rows 0..len-1 of every layer
 * hold the K/V of positions 0..len-1. The engine writes the rows of the
 * positions it is processing during the Q/K/V operation and commits them
 * with kvcache_commit() at the step's "cache append" operation; rows at
 * or past `len` are scratch until then.
 *
 * Appending never moves or changes a committed row, which is why rewinding
 * is just kvcache_truncate().
 */
#ifndef KVSIM_KVCACHE_H
#define KVSIM_KVCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n_layers;
    int capacity;   /* positions per layer (max_seq) */
    int kv_dim;     /* floats per position per layer: Hkv · d_head */
    int len;        /* committed positions */
    float *k;       /* (n_layers, capacity, kv_dim) */
    float *v;       /* (n_layers, capacity, kv_dim) */
} KvCache;

/* Allocate a zeroed cache; 0 on success, -1 when out of memory.
 * The caller owns it and releases it with kvcache_free(). */
int kvcache_init(KvCache *c, int n_layers, int capacity, int kv_dim);
void kvcache_free(KvCache *c);

/* Row of position pos in layer l (0 <= pos < capacity). */
static inline float *kvcache_k(const KvCache *c, int l, int pos)
{
    return c->k + ((size_t)l * (size_t)c->capacity + (size_t)pos) * (size_t)c->kv_dim;
}
static inline float *kvcache_v(const KvCache *c, int l, int pos)
{
    return c->v + ((size_t)l * (size_t)c->capacity + (size_t)pos) * (size_t)c->kv_dim;
}

/* Mark positions 0..len-1 as committed (len only grows here). */
void kvcache_commit(KvCache *c, int len);
/* Forget every position from len on (rewind, or recompute's "keep nothing"). */
void kvcache_truncate(KvCache *c, int len);

/* Bytes of the committed K and V: 2 · n_layers · len · kv_dim · 4. */
uint64_t kvcache_bytes(const KvCache *c);

#endif
