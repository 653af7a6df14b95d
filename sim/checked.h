/* checked: 64-bit arithmetic that notices overflow. A chain of these keeps
 * *ok false once any step overflows, so a whole closed form is computed
 * first and checked once. Used wherever a count could exceed uint64_t. */
#ifndef KVSIM_CHECKED_H
#define KVSIM_CHECKED_H

#include <stdbool.h>
#include <stdint.h>

static inline uint64_t ck_mul(uint64_t a, uint64_t b, bool *ok)
{
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) *ok = false;
    return r;
}

static inline uint64_t ck_add(uint64_t a, uint64_t b, bool *ok)
{
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) *ok = false;
    return r;
}

#endif
