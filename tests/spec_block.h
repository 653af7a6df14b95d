/* spec_block: the counts of spec §4 for a block of n query rows, written
 * out from the spec, for the serving suites (tests/test_serve.c one
 * prompt, tests/test_batch.c a batch). Header only. */
#ifndef KVSIM_SPEC_BLOCK_H
#define KVSIM_SPEC_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/config.h"
#include "sim/counts.h"

/* Spec §4 with n rows at p0 .. p0+n-1, keys from the first one the ring
 * still holds (§6.3), head_rows rows to the head (§6.7, §6.9). */
static inline void expected_block(const KvConfig *c, int p0, int n, int head_rows, OpCounts *o)
{
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Lyr = (uint64_t)c->n_layers, kv = (uint64_t)(c->n_kv_heads * (c->d_model / c->n_heads));
    const int t = p0 + n;
    const int k_lo = (c->window && p0 - c->window + 1 > 0) ? p0 - c->window + 1 : 0;
    uint64_t hidden = 0;   /* computed cells the mask discards */
    for (int q = p0; q < t; q++)
        for (int j = k_lo; j < t; j++)
            if (j > q || (c->window && j <= q - c->window)) hidden++;
    const uint64_t N = (uint64_t)n, cols = (uint64_t)(t - k_lo);
    memset(o, 0, sizeof *o);
    o->mac[CAT_QKV] = Lyr * (N * d * d + 2 * N * d * kv);
    o->mac[CAT_SCORES] = o->mac[CAT_VALUES] = Lyr * N * cols * d;
    o->mac[CAT_OUT_PROJ] = Lyr * N * d * d;
    o->mac[CAT_FFN] = Lyr * 2 * N * d * F;
    o->mac[CAT_LM_HEAD] = (uint64_t)head_rows * d * V;
    o->masked = Lyr * d * hidden;
}

/* Whether got and want differ in a MAC category or the masked count; the
 * first difference is written to msg ("scores: measured 12, expected 16"). */
static inline bool counts_differ(const OpCounts *got, const OpCounts *want, char *msg, size_t len)
{
    for (int i = 0; i < CAT_COUNT; i++)
        if (got->mac[i] != want->mac[i]) {
            snprintf(msg, len, "%s: measured %llu, expected %llu", counts_name((Category)i),
                     (unsigned long long)got->mac[i], (unsigned long long)want->mac[i]);
            return true;
        }
    if (got->masked != want->masked) {
        snprintf(msg, len, "masked: measured %llu, expected %llu", (unsigned long long)got->masked,
                 (unsigned long long)want->masked);
        return true;
    }
    return false;
}

#endif
