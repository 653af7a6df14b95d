/* config: the model's shape and a run's length, and their validation.
 *
 * Symbols follow the spec (../shared/spec/model-and-counts.md §1):
 *   V vocab, d d_model, H n_heads, Lyr n_layers, F d_ff, N max_seq.
 * §6 adds n_kv_heads (GQA), window (sliding window) and block_size (a
 * paged mirror of the cache, 1 .. max_seq; 0 = none); their neutral values
 * (Hkv = H, no window, no paging) give the plain model. chunk and speculate
 * (§6.7, §6.9) change only how a cache-mode run steps (0 = off); the
 * weights, recompute and train ignore them.
 *
 * Invariant after config_validate() == 0: every count the engine can
 * produce for this run fits in uint64_t and every buffer it allocates is
 * below CONFIG_MAX_BYTES.
 */
#ifndef KVSIM_CONFIG_H
#define KVSIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PROMPT "the cat sat"
#define CONFIG_DEFAULT_GEN 8
/* Largest memory the engine may allocate for one run (weights + buffers). */
#define CONFIG_MAX_BYTES ((uint64_t)1 << 30)
/* Largest single dimension accepted from the command line. */
#define CONFIG_MAX_DIM 65536

typedef struct {
    int vocab;        /* V: set by the tokenizer's alphabet */
    int d_model;      /* d */
    int n_heads;      /* H; d_head = d / H */
    int n_layers;     /* Lyr */
    int d_ff;         /* F */
    int max_seq;      /* N: positions the model has embeddings for */
    uint64_t seed;    /* weights PRNG seed */
    int n_kv_heads;   /* Hkv (§6.2): divides n_heads; n_heads unless --kv-heads */
    int window;       /* W (§6.3); 0 = no window */
    int block_size;   /* B (§6.4); 0 = contiguous cache */
    bool prefix_cache;   /* §6.8: a batch's later prompts share the full blocks of an
                            identical prompt prefix (needs block_size, no window) */
    bool rope;           /* §6.10: rotary positions on q and k, no position table */
    bool rope_offset_bug;   /* §6.10 teaching switch: a cache reused at the wrong position */
    int chunk;        /* C (§6.7): prefill in chunks of C rows; 0 = one prefill step */
    int speculate;    /* K (§6.9): draft up to K tokens by prompt lookup; 0 = plain decoding */
    /* §7 model files. NULL: the seeded random model of `seed`. Otherwise a
     * loaded model (sim/modelfile.h) that model_init() copies instead of
     * drawing weights; the shape fields must equal its shape (max_seq may
     * be smaller). Borrowed: the loaded model outlives every copy. */
    const struct Model *weights;
    const char *model_name;   /* shown as "model" in trace JSON; NULL = "random" */
} KvConfig;

/* How a run computes its steps (spec §2, §6.1). */
typedef enum {
    MODE_CACHE,      /* prefill once, then one-row decode steps reading the KV cache */
    MODE_RECOMPUTE,  /* every step recomputes the whole sequence, nothing kept */
    MODE_TRAIN,      /* one teacher-forcing pass over the prompt */
    MODE_COUNT
} RunMode;

/* "cache", "recompute", "train" */
const char *config_mode_name(RunMode m);

/* The embedded demo: d = 8, H = 2, Lyr = 2, F = 4·d, N = 64, seed 42. */
KvConfig config_default(void);

static inline int config_head_dim(const KvConfig *c) { return c->d_model / c->n_heads; }
static inline int config_kv_dim(const KvConfig *c)
{
    return c->n_kv_heads * (c->d_model / c->n_heads);
}

/* ---- the attention rule: the one place it is written ------------------------
 *
 * A query at position q sees the keys at positions k with
 *     config_first_key(c, q) <= k <= q
 * (causal, spec §2), where the first key is 0, or q - W + 1 under a sliding
 * window of W positions (§6.3). Query head h reads K/V head config_kv_head()
 * (GQA/MQA, §6.2): heads are grouped H / Hkv to a K/V head, in order. The
 * engine's mask, the closed forms and every panel ask these; a new attention
 * variant (e.g. a per-layer window) changes them here. */
static inline int config_first_key(const KvConfig *c, int q_pos)
{
    return (c->window > 0 && q_pos - c->window + 1 > 0) ? q_pos - c->window + 1 : 0;
}
static inline bool config_visible(const KvConfig *c, int q_pos, int k_pos)
{
    return k_pos <= q_pos && k_pos >= config_first_key(c, q_pos);
}
/* Keys the query at q_pos sees: min(q_pos + 1, W). */
static inline int config_visible_keys(const KvConfig *c, int q_pos)
{
    return q_pos + 1 - config_first_key(c, q_pos);
}
static inline int config_kv_group(const KvConfig *c)
{
    return c->n_kv_heads > 0 && c->n_kv_heads <= c->n_heads ? c->n_heads / c->n_kv_heads : 1;
}
static inline int config_kv_head(const KvConfig *c, int q_head) { return q_head / config_kv_group(c); }
/* Positions a contiguous cache reserves per sequence: N, or a ring of W
 * when 0 < W < N (a window the run never fills is no window). */
static inline int config_cache_capacity(const KvConfig *c)
{
    return (c->window > 0 && c->window < c->max_seq) ? c->window : c->max_seq;
}

/* Check the shape and a run of L prompt tokens + G generated ones.
 * Returns 0, or -1 with one line in err naming the option, the value and
 * what is allowed, e.g.
 *   --heads 3: d-model (8) must be divisible by heads
 * L or G may be 0 to skip the run checks (shape only). */
int config_validate(const KvConfig *c, int L, int G, char *err, size_t errlen);

/* Bytes a run of this shape allocates (sim/run.h): the weights and the
 * cache, recompute and train engines with their KV caches (and the paged
 * pool with a block size), from the tables that allocate them; saturating
 * at UINT64_MAX. */
uint64_t config_memory_bytes(const KvConfig *c);
/* The same for a batch of n_seqs sequences run side by side (trace with
 * several prompts): one more cache engine per extra sequence. */
uint64_t config_batch_memory_bytes(const KvConfig *c, int n_seqs);

#endif
