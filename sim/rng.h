/* rng: a small, portable PRNG for the weights.
 *
 * splitmix64 on 64-bit integers only, and floats built from the top 24
 * bits with an exact power-of-two scale, so the same seed gives the same
 * weights bit for bit on every machine and compiler.
 */
#ifndef KVSIM_RNG_H
#define KVSIM_RNG_H

#include <stdint.h>

typedef struct { uint64_t s; } Rng;

static inline void rng_init(Rng *r, uint64_t seed) { r->s = seed; }

static inline uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1): k / 2^23 - 1 for a 24-bit k, exact in float. */
static inline float rng_uniform(Rng *r)
{
    uint32_t k = (uint32_t)(rng_next(r) >> 40);          /* 0 .. 2^24-1 */
    return (float)k * (1.0f / 8388608.0f) - 1.0f;
}

#endif
