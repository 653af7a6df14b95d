/* kvcache: see kvcache.h */
#include "sim/kvcache.h"

#include <assert.h>
#include <stdlib.h>

int kvcache_init(KvCache *c, int n_layers, int capacity, int kv_dim)
{
    size_t count = (size_t)n_layers * (size_t)capacity * (size_t)kv_dim;
    c->n_layers = n_layers;
    c->capacity = capacity;
    c->kv_dim = kv_dim;
    c->len = 0;
    c->k = calloc(count, sizeof(float));
    c->v = calloc(count, sizeof(float));
    if (!c->k || !c->v) {
        kvcache_free(c);
        return -1;
    }
    return 0;
}

void kvcache_free(KvCache *c)
{
    free(c->k);
    free(c->v);
    c->k = c->v = NULL;
    c->len = 0;
}

void kvcache_commit(KvCache *c, int len)
{
    assert(len >= c->len && len <= c->capacity);
    c->len = len;
}

void kvcache_truncate(KvCache *c, int len)
{
    assert(len >= 0);
    if (len < c->len) c->len = len;
}

uint64_t kvcache_bytes(const KvCache *c)
{
    return 2u * (uint64_t)c->n_layers * (uint64_t)c->len * (uint64_t)c->kv_dim * sizeof(float);
}
