/* config: defaults and validation. See config.h. */
#include "sim/config.h"

#include "sim/checked.h"
#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/model.h"

#include <stdbool.h>
#include <stdio.h>

const char *config_mode_name(RunMode m)
{
    static const char *const names[MODE_COUNT] = {"cache", "recompute", "train"};
    return (m >= 0 && m < MODE_COUNT) ? names[m] : "?";
}

KvConfig config_default(void)
{
    KvConfig c = {
        .vocab = 0,        /* filled in from the tokenizer by the caller */
        .d_model = 8,
        .n_heads = 2,
        .n_layers = 2,
        .d_ff = 32,
        .max_seq = 64,
        .seed = 42,
        .n_kv_heads = 2,
        .window = 0,
        .block_size = 0,
        .chunk = 0,
        .speculate = 0,
    };
    return c;
}

/* What a run allocates (sim/run.h): the weights, a cache, a recompute and
 * a train engine over the same prompt (the UI and `kvsim trace` build all
 * three), each with its KV cache, and with a block size the cache engine's
 * paged pool. G is not known here: the per-step arrays are sized for N
 * steps. Both tables are the ones that allocate (model.c, engine.c). */
uint64_t config_memory_bytes(const KvConfig *c)
{
    bool ok = true;
    uint64_t b = model_config_bytes(c);
    for (int m = 0; m < MODE_COUNT; m++) b = ck_add(b, engine_config_bytes(c, (RunMode)m, c->max_seq), &ok);
    return ok ? b : UINT64_MAX;   /* engine_config_bytes saturates too */
}

uint64_t config_batch_memory_bytes(const KvConfig *c, int n_seqs)
{
    /* the first sequence as config_memory_bytes(); each further one adds a
     * cache engine with its share of the pool */
    bool ok = true;
    uint64_t b = config_memory_bytes(c);
    for (int s = 1; s < n_seqs; s++) b = ck_add(b, engine_config_bytes(c, MODE_CACHE, c->max_seq), &ok);
    return ok ? b : UINT64_MAX;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int config_validate(const KvConfig *c, int L, int G, char *err, size_t errlen)
{
    if (c->d_model < 1 || c->d_model > CONFIG_MAX_DIM)
        FAIL("--d-model %d: must be between 1 and %d", c->d_model, CONFIG_MAX_DIM);
    if (c->n_heads < 1 || c->n_heads > c->d_model)
        FAIL("--heads %d: must be between 1 and d-model (%d)", c->n_heads, c->d_model);
    if (c->d_model % c->n_heads != 0)
        FAIL("--heads %d: d-model (%d) must be divisible by heads", c->n_heads, c->d_model);
    if (c->n_layers < 1 || c->n_layers > 4096)
        FAIL("--layers %d: must be between 1 and 4096", c->n_layers);
    if (c->d_ff < 1 || c->d_ff > CONFIG_MAX_DIM)
        FAIL("--d-ff %d: must be between 1 and %d", c->d_ff, CONFIG_MAX_DIM);
    if (c->max_seq < 1 || c->max_seq > CONFIG_MAX_DIM)
        FAIL("--max-seq %d: must be between 1 and %d", c->max_seq, CONFIG_MAX_DIM);
    if (c->vocab < 1)
        FAIL("vocabulary is empty");
    if (c->n_kv_heads < 1 || c->n_kv_heads > c->n_heads || c->n_heads % c->n_kv_heads != 0)
        FAIL("--kv-heads %d: must divide heads (%d): 1 (multi-query) up to heads (multi-head)",
             c->n_kv_heads, c->n_heads);
    if (c->window < 0 || c->window > CONFIG_MAX_DIM)
        FAIL("--window %d: must be between 1 and %d (0 = no window)", c->window, CONFIG_MAX_DIM);
    if (c->block_size < 0 || c->block_size > c->max_seq)
        FAIL("--block-size %d: must be between 1 and max-seq (%d)", c->block_size, c->max_seq);
    if (c->prefix_cache && c->block_size == 0)
        FAIL("--prefix-cache: needs --block-size B (prefix sharing shares whole blocks of the pool)");
    if (c->rope && config_head_dim(c) % 2)
        FAIL("--rope: the head dimension d-model / heads = %d must be even (RoPE turns pairs)", config_head_dim(c));
    if (c->rope_offset_bug && !c->rope)
        FAIL("--rope-offset-bug: needs --rope (it shows rotary positions applied at the wrong place)");
    if (c->chunk < 0 || c->chunk > CONFIG_MAX_DIM)
        FAIL("--chunk %d: must be between 1 and %d (0 = no chunking)", c->chunk, CONFIG_MAX_DIM);
    if (c->speculate < 0 || c->speculate > CONFIG_MAX_DIM)
        FAIL("--speculate %d: must be between 1 and %d (0 = plain decoding)", c->speculate, CONFIG_MAX_DIM);
    uint64_t mem = config_memory_bytes(c);
    if (mem > CONFIG_MAX_BYTES)
        FAIL("model too large: it would need %llu MiB; at most %llu MiB allowed "
             "(reduce --d-model, --d-ff, --layers, --heads or --max-seq)",
             (unsigned long long)(mem >> 20), (unsigned long long)(CONFIG_MAX_BYTES >> 20));
    if (L == 0 && G == 0) return 0;
    if (L < 1)
        FAIL("--prompt: the prompt is empty; give at least one character");
    if (G < 1)
        FAIL("--gen %d: must be at least 1", G);
    if ((int64_t)L + G > c->max_seq)
        FAIL("--gen %d: prompt (%d) + generated (%d) = %lld tokens exceeds --max-seq %d",
             G, L, G, (long long)L + G, c->max_seq);
    /* Both modes' totals, and their sum, must fit the 64-bit counters. */
    OpCounts tc, tr;
    if (!formulas_total(c, MODE_CACHE, L, G, &tc) || !formulas_total(c, MODE_RECOMPUTE, L, G, &tr))
        FAIL("operation counts for this run would overflow 64 bits; reduce the sizes");
    OpCounts ts;
    if (c->speculate > 0 && !formulas_speculate_bound(c, L, G, c->speculate, &ts))
        FAIL("operation counts for this run would overflow 64 bits; reduce the sizes");
    uint64_t sum = 0, r;
    for (int i = 0; i < CAT_COUNT; i++) {
        if (__builtin_add_overflow(sum, tr.mac[i], &r)) FAIL("operation counts for this run would overflow 64 bits; reduce the sizes");
        sum = r;
    }
    return 0;
}
