/* forward: the forward pass behind engine.c (internal to the engine).
 *
 * forward_begin_step() sets a step's geometry, forward_op() runs one
 * operation of the op table (sim/ops.h) on the engine's buffers,
 * forward_cache_rewind() puts the cache (and its paged mirror) back to what
 * a step started from. Only engine.c calls these; everything else moves an
 * engine through engine.h (and a run through sim/run.h).
 */
#ifndef KVSIM_FORWARD_H
#define KVSIM_FORWARD_H

#include "sim/engine.h"

#include <stddef.h>

void forward_begin_step(Engine *e, int k);
void forward_op(Engine *e, OpRef op);
void forward_cache_rewind(Engine *e, int kept);

/* This step's own K/V row of position pos (pos >= p0) in layer l:
 * base is step_k or step_v, (Lyr, max_seq, kv_dim). */
static inline float *forward_own_row(const Engine *e, float *base, int l, int pos)
{
    const size_t kv = (size_t)e->cache.kv_dim, N = (size_t)e->cfg.max_seq;
    return base + ((size_t)l * N + (size_t)(pos - e->p0)) * kv;
}

#endif
