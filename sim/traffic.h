/* traffic: bytes a step moves between memory and the arithmetic (spec §6.5).
 *
 * Like the MAC counters (counts.h), these are MEASURED: the loops that read
 * a weight matrix, a K/V row or an embedding row, and the loop that writes
 * the cache, add to them as they run (kernels.c, engine.c). The closed
 * forms that predict them are in formulas.h; tests compare the two.
 *
 * What a byte counts (the model of a dense kernel that streams each operand
 * from memory once per step, then keeps it in fast memory):
 *
 *   weight_bytes   every weight matrix the step multiplies by, ONCE per
 *                  step whatever the number of rows n: per layer Wq (d·d),
 *                  Wk and Wv (d·kv_dim each), Wo (d·d), W1 (d·F), W2 (F·d);
 *                  the head Wout (d·V); plus the embedding rows used: the
 *                  token row and the position row of each of the n rows
 *                  (2·n·d). LayerNorm gains and biases are not counted.
 *                  kernel_matmul_packed() counts k·m·4 per call (the first
 *                  row's pass over w touches every weight once; the zero
 *                  padding of a narrow last panel is not counted).
 *   kv_read_bytes  per layer, the K row and the V row of every key position
 *                  the step's attention loads: each position k_lo .. t-1
 *                  once per layer (K in QKᵀ, V in A·V) and once per K/V head,
 *                  however many query rows and query heads use it — a dense
 *                  kernel loads a key tile once for the whole block of
 *                  queries. = Lyr·(t − k_lo)·kv_dim·4·2. This includes the
 *                  step's own new rows and, in recompute and train, rows
 *                  that live only in scratch (they are still read).
 *   kv_write_bytes the K and V rows the cache-append operation stores:
 *                  cache mode only, per layer n·kv_dim·4·2, except that a
 *                  ring (sliding window W, §6.3) stores only the last
 *                  min(n, W) rows of a long prefill — the others would be
 *                  overwritten before anyone reads them. 0 in recompute and
 *                  train (nothing is kept).
 *
 * Arithmetic intensity = 2·total MACs / (weight_bytes + kv_read_bytes), in
 * FLOP per byte (writes are not in the denominator).
 */
#ifndef KVSIM_TRAFFIC_H
#define KVSIM_TRAFFIC_H

#include <stdint.h>

typedef struct {
    uint64_t weight_bytes;    /* "weight_bytes_read" in the trace */
    uint64_t kv_read_bytes;   /* "kv_bytes_read" */
    uint64_t kv_write_bytes;  /* "kv_bytes_written" */
} Traffic;

static inline void traffic_add(Traffic *dst, const Traffic *src)
{
    dst->weight_bytes += src->weight_bytes;
    dst->kv_read_bytes += src->kv_read_bytes;
    dst->kv_write_bytes += src->kv_write_bytes;
}

static inline uint64_t traffic_read_bytes(const Traffic *t)
{
    return t->weight_bytes + t->kv_read_bytes;
}

/* FLOP per byte read: 2·macs / (weight + KV bytes read); 0 when nothing was read. */
static inline double traffic_intensity(uint64_t macs, const Traffic *t)
{
    const uint64_t b = traffic_read_bytes(t);
    return b ? 2.0 * (double)macs / (double)b : 0.0;
}

static inline int traffic_equal(const Traffic *a, const Traffic *b)
{
    return a->weight_bytes == b->weight_bytes && a->kv_read_bytes == b->kv_read_bytes &&
           a->kv_write_bytes == b->kv_write_bytes;
}

#endif
