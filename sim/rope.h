/* rope: rotary position embeddings (spec §6.10).
 *
 * With --rope the model has no learned position table: in every layer the
 * query and the key of a row at 0-based position p are rotated, head by
 * head, right after the projections. Pair i of a head (elements 2i and
 * 2i+1 of its d_h) turns by the angle
 *     theta(p, i) = p · 10000^(−2i / d_h)
 *     (x, y) -> (x·cos θ − y·sin θ,  x·sin θ + y·cos θ)
 * so that q_p · k_j depends on p − j only (the two rotations differ by the
 * angle of the distance). The cache keeps rotated keys: a key is rotated
 * once, at its own position, and never again.
 *
 * Counting: two MACs per rotated element (x·cos and y·sin, or x·sin and
 * y·cos), measured here as the loop runs: a row of h heads costs 2·h·d_h.
 * The angles are computed in double and rounded to float the same way for
 * a position whatever the step, so a row rotated in a prefill and in a
 * decode step has the same bits (cache == recompute stays bitwise).
 */
#ifndef KVSIM_ROPE_H
#define KVSIM_ROPE_H

#include <stdint.h>

/* The angle of pair i of a head of d_h dimensions at position pos. */
double rope_angle(int pos, int i, int dh);

/* Rotate n rows of `heads` heads of dh (even) floats each, in place; row r
 * (stride floats apart) is at position pos0 + r. Adds 2·n·heads·dh to *macs. */
void rope_rotate(float *x, int n, int stride, int heads, int dh, int pos0, uint64_t *macs);

/* The backward of rope_rotate: dL/dx from dL/d(turned x), in place. A
 * turn is orthogonal, so its gradient is the turn by −θ (the transpose,
 * bit for bit: cos is even and sin odd in float too). Same layout as
 * rope_rotate; adds 2·n·heads·dh to *macs. */
void rope_rotate_back(float *x, int n, int stride, int heads, int dh, int pos0, uint64_t *macs);

/* Undo the rotation of one row (rotate by −θ), for the tests. Not counted. */
void rope_unrotate(float *x, int heads, int dh, int pos);

#endif
