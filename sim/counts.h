/* counts: multiply-accumulate counters, one per category of the spec (§4).
 *
 * Kernels add to these as their loops run; nothing here is computed from a
 * formula (that is formulas.h, used only to compare). Unit: one MAC.
 */
#ifndef KVSIM_COUNTS_H
#define KVSIM_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    CAT_QKV,       /* Q, K, V projections */
    CAT_SCORES,    /* Q·Kᵀ over the dense n×t block, masked cells included */
    CAT_VALUES,    /* A·V over the same block */
    CAT_OUT_PROJ,  /* concat(O)·Wo */
    CAT_FFN,       /* W1 and W2 */
    CAT_LM_HEAD,   /* final projection to logits */
    CAT_COUNT
} Category;

typedef struct {
    uint64_t mac[CAT_COUNT];
    uint64_t masked;   /* part of mac[CAT_SCORES] spent on cells the mask discards */
    uint64_t rope;     /* §6.10 rotary positions, 2 per rotated element of q and k; part of
                          the total; 0 without --rope (kept out of the six categories so
                          every list of them stays as it is when the option is off) */
} OpCounts;

/* Spec names, in the order of the JSON: "qkv", "scores", ... */
const char *counts_name(Category c);

/* v with thousands separators, 1234567 -> "1,234,567"; returns buf. */
const char *counts_group(uint64_t v, char buf[32]);

static inline uint64_t counts_total(const OpCounts *c)
{
    uint64_t t = 0;
    for (int i = 0; i < CAT_COUNT; i++) t += c->mac[i];
    return t + c->rope;
}

static inline void counts_add(OpCounts *dst, const OpCounts *src)
{
    for (int i = 0; i < CAT_COUNT; i++) dst->mac[i] += src->mac[i];
    dst->masked += src->masked;
    dst->rope += src->rope;
}

static inline bool counts_equal(const OpCounts *a, const OpCounts *b)
{
    for (int i = 0; i < CAT_COUNT; i++)
        if (a->mac[i] != b->mac[i]) return false;
    return a->masked == b->masked && a->rope == b->rope;
}

#endif
