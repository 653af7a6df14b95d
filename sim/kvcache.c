/* kvcache: see kvcache.h */
#include "sim/kvcache.h"

#include "sim/kernels.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int kvcache_init(KvCache *c, int n_layers, int max_seq, int window, int kv_dim)
{
    if (window >= max_seq) window = 0;   /* a window the run never fills is no window */
    const int capacity = window ? window : max_seq;
    size_t count = (size_t)n_layers * (size_t)capacity * (size_t)kv_dim;
    c->n_layers = n_layers;
    c->capacity = capacity;
    c->window = window;
    c->kv_dim = kv_dim;
    c->len = 0;
    /* K and V in one block, huge pages where offered (kernel_alloc_stream):
     * attention streams them every decode step. */
    c->k = kernel_alloc_stream(2 * count * sizeof(float));
    if (!c->k) {
        c->v = NULL;
        return -1;
    }
    memset(c->k, 0, 2 * count * sizeof(float));
    c->v = c->k + count;
    return 0;
}

void kvcache_free(KvCache *c)
{
    free(c->k);   /* one block: v points into it */
    c->k = c->v = NULL;
    c->len = 0;
}

void kvcache_put(KvCache *c, int l, int first_pos, int n, const float *k_rows, const float *v_rows)
{
    const size_t row = sizeof(float) * (size_t)c->kv_dim;
    /* with a ring only the last `capacity` rows of a long prefill survive */
    int skip = n > c->capacity ? n - c->capacity : 0;
    for (int i = skip; i < n; i++) {
        memcpy(kvcache_k(c, l, first_pos + i), k_rows + (size_t)i * c->kv_dim, row);
        memcpy(kvcache_v(c, l, first_pos + i), v_rows + (size_t)i * c->kv_dim, row);
    }
}

void kvcache_commit(KvCache *c, int len)
{
    assert(len >= c->len);
    c->len = len;
}

void kvcache_truncate(KvCache *c, int len)
{
    assert(len >= 0);
    if (len < c->len) c->len = len;
}

uint64_t kvcache_bytes(const KvCache *c)
{
    return 2u * (uint64_t)c->n_layers * (uint64_t)kvcache_held(c) * (uint64_t)c->kv_dim * sizeof(float);
}
