/* calc: the real-model calculator (spec §6.6). Nothing is run: the closed
 * forms of §4 and §6.2–6.5 are applied to published shapes.
 *
 * Symbols follow the spec: d = d_model, Lyr = layers, H = heads,
 * Hkv = KV heads, d_h = d / H, F = d_ff, V = vocabulary, W = window,
 * T = context (tokens a sequence holds), B = batch (sequences).
 * Unit of work: one multiply-accumulate (MAC); FLOPs = 2·MACs.
 *
 * Every count is uint64_t and every product is checked: a shape or run
 * whose numbers would not fit is refused with a one-line message, never
 * wrapped. libc + libm only; nothing here prints.
 *
 * docs/calc.md has every formula, the sources of the built-in shapes and
 * worked examples.
 */
#ifndef KVSIM_CALC_H
#define KVSIM_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest value any size option accepts (a trillion). Products of such
 * values overflow 64 bits and are refused by calc_run(). */
#define CALC_MAX_VALUE 1000000000000ULL

/* Speculative decoding (§6.9) when not given: 4 drafts, 70% accepted. */
#define CALC_DEFAULT_SPECULATE 4
#define CALC_DEFAULT_ACCEPTANCE 0.7

/* Prefix sharing (§6.8) when --block-size is not given: 16 positions a
 * block, vLLM's default. */
#define CALC_DEFAULT_BLOCK_SIZE 16

/* H100 SXM, bf16 dense: 989 TFLOP/s / 3.35 TB/s ≈ 295 FLOP per byte. */
#define CALC_DEFAULT_BALANCE 295.0

typedef enum { CALC_FP32, CALC_FP16, CALC_BF16, CALC_INT8, CALC_DTYPE_COUNT } CalcDtype;
typedef enum { CALC_NORM_LAYER, CALC_NORM_RMS } CalcNorm;

/* A model's shape. The first block is what the closed forms of the spec
 * use; the second decides the parameter count (weights_bytes) only. */
typedef struct {
    const char *name;        /* "llama-2-7b", ...; "custom" for a user shape */
    const char *source;      /* where the numbers come from (docs/calc.md cites it) */
    uint64_t d_model;        /* d */
    uint64_t n_layers;       /* Lyr */
    uint64_t n_heads;        /* H; d_h = d / H */
    uint64_t n_kv_heads;     /* Hkv (§6.2): divides H; H = multi-head, 1 = multi-query */
    uint64_t d_ff;           /* F */
    uint64_t vocab;          /* V */
    uint64_t window;         /* W (§6.3): sliding window; 0 = none */
    uint64_t ffn_matrices;   /* 2: W1 (d×F), W2 (F×d) as in GPT-2, OPT and kvsim;
                                3: gated, W_gate and W_up (d×F) + W_down (F×d), LLaMA, Mistral */
    uint64_t max_context;    /* context the model was trained for; 0 = not known */
    /* parameters only */
    uint64_t pos_embeddings; /* rows of a learned position table (GPT-2 1024, OPT 2050); 0 = rotary */
    bool tied_embeddings;    /* the head d×V is the token embedding table (GPT-2, OPT) */
    bool biases;             /* projections and FFN have bias vectors (GPT-2, OPT) */
    CalcNorm norm;           /* LayerNorm: gain + shift (2·d); RMSNorm: gain (d) */
} CalcShape;

/* MACs of one forward step, summed over layers (lm_head once). */
typedef struct {
    uint64_t qkv, scores, values, out_proj, ffn, lm_head, total;
} CalcMacs;

/* What to compute for a shape. */
typedef struct {
    uint64_t context;        /* T >= 1 */
    uint64_t batch;          /* B >= 1 */
    CalcDtype dtype;         /* of the weights and of the cache */
    uint64_t memory;         /* bytes of accelerator memory; 0 = not given */
    double balance;          /* machine balance, FLOP per byte (> 0) */
    uint64_t speculate;      /* §6.9: drafts per verify step K (0: CALC_DEFAULT_SPECULATE) */
    double acceptance;       /* §6.9: chance each draft is accepted, 0 .. 1 */
    uint64_t shared_prefix;  /* §6.8: every sequence of the batch begins with the same
                                S-token system prompt, S <= T (0: no shared prefix) */
    uint64_t block_size;     /* §6.4: positions per KV block P (0: CALC_DEFAULT_BLOCK_SIZE) */
} CalcInput;

typedef struct {
    CalcShape shape;
    CalcInput in;
    uint64_t bytes_per_number;      /* 4, 2, 2, 1 */
    uint64_t d_head;                /* d_h = d / H */
    uint64_t kv_dim;                /* Hkv · d_h */

    /* KV cache (§6.2, §6.3) */
    uint64_t kv_positions;          /* positions a sequence keeps: min(T, W) */
    uint64_t kv_bytes_per_token;    /* 2 · Lyr · Hkv · d_h · bytes */
    uint64_t kv_bytes_per_sequence; /* kv_bytes_per_token · min(T, W) */
    uint64_t kv_cache_bytes;        /* kv_bytes_per_sequence · B */

    /* Weights */
    uint64_t params_per_layer;      /* attention + FFN matrices, their biases, two norms */
    uint64_t params;                /* embeddings + Lyr layers + final norm + head (unless tied) */
    uint64_t weights_bytes;         /* params · bytes */

    /* Work for ONE sequence (§4, §6.2, §6.3) */
    CalcMacs decode_cache;          /* decode step with the cache: n = 1, t = T, sees min(T, W) */
    CalcMacs decode_nocache;        /* the same token recomputed: n = t = T, dense block */
    CalcMacs prefill;               /* prefill of the T prompt tokens: n = t = T, dense block */
    uint64_t flops_decode_cache;    /* 2 · decode_cache.total */
    uint64_t flops_decode_nocache;  /* 2 · decode_nocache.total */
    uint64_t flops_prefill;         /* 2 · prefill.total, the whole prefill */
    double flops_per_token_prefill; /* flops_prefill / T */

    /* Memory traffic of one decode step of the whole batch (§6.5) */
    uint64_t decode_weight_bytes;   /* every layer's weights + final norm + head, once; + B embedding rows */
    uint64_t decode_kv_read;        /* B · min(T, W) · kv_bytes_per_token */
    uint64_t decode_kv_written;     /* B · kv_bytes_per_token */
    uint64_t decode_bytes;          /* the three above */
    uint64_t decode_flops;          /* B · flops_decode_cache */
    double decode_intensity;        /* decode_flops / decode_bytes */
    /* the same for the prefill of the whole batch (a lower bound on bytes) */
    uint64_t prefill_weight_bytes;  /* weights once + B·T embedding rows */
    uint64_t prefill_kv_written;    /* kv_cache_bytes */
    uint64_t prefill_bytes;
    uint64_t prefill_flops;         /* B · flops_prefill */
    double prefill_intensity;
    bool decode_memory_bound;       /* decode_intensity < balance */
    bool prefill_memory_bound;
    uint64_t batch_for_balance;     /* smallest B whose decode step reaches the balance
                                       at this T; 0 = none (KV traffic alone keeps it below) */

    /* Speculative decoding (§6.9) of T tokens, K drafts a step, each
     * accepted with probability a independently: a verify step emits
     * E = (1 − a^(K+1)) / (1 − a) tokens on average (K + 1 when a = 1) */
    double spec_tokens_per_step;    /* E */
    uint64_t spec_steps;            /* ceil(T / E): decode steps for T tokens (plain: T) */
    uint64_t spec_steps_saved;      /* T − spec_steps */
    double spec_macs_ratio;         /* (K + 1) / E: MACs per token relative to plain decode
                                       (every verify row is computed, rejected ones too) */

    /* Prefix sharing (§6.8) in a paged cache (§6.4) of P-position blocks,
     * in the pool right after the prefills: the B sequences' T-token
     * prompts begin with the same S tokens; sequence 0 computes its prompt,
     * the later ones take §6.8's full-block rows from it and reference the
     * shared blocks they keep, stored once. Under a window W < T a
     * sequence keeps only positions T − W .. T − 1, and a later prompt
     * shares only if sequence 0 still holds every row its first computed
     * row reads (calc_prefix_held: W = 1 or s >= T − 1); it references only
     * the shared blocks holding one of its kept positions. Bytes are
     * reserved bytes: whole blocks, as a paged server allocates them. */
    uint64_t prefix_first_kept;          /* T − min(T, W): the first position a sequence keeps */
    uint64_t prefix_matched_rows;        /* P·floor(S / P) capped at T − 1 (calc_shared_rows) */
    uint64_t prefix_shared_rows;         /* s: the matched rows if held, else 0 */
    uint64_t prefix_shared_blocks;       /* blocks kept once: those holding a position of
                                            [first_kept, s); ceil(s / P) without a window */
    uint64_t prefix_blocks_per_sequence; /* ceil(T / P) − floor(first_kept / P) */
    uint64_t prefix_kv_bytes_unshared;   /* B · blocks · P · kv_bytes_per_token */
    uint64_t prefix_kv_bytes_shared;     /* (shared + B · (blocks − shared)) · P · kv_bytes_per_token */
    uint64_t prefix_kv_bytes_saved;      /* (B − 1) · shared · P · kv_bytes_per_token */
    uint64_t prefix_prefill_rows_saved;  /* (B − 1) · s rows the later prefills do not compute */

    /* Fitting in memory (when in.memory != 0); activations are not counted */
    bool weights_fit;               /* weights_bytes <= memory */
    uint64_t memory_free;           /* memory - weights_bytes (0 if they do not fit) */
    uint64_t max_batch_at_context;  /* free / kv_bytes_per_sequence */
    uint64_t max_context_at_batch;  /* free / (B · kv_bytes_per_token), when not unbounded */
    bool context_unbounded;         /* the window caps the cache and B·W positions fit */
    uint64_t max_tokens;            /* free / kv_bytes_per_token: cached positions in all */
} CalcResult;

/* The built-in shapes, in a fixed order. */
size_t calc_model_count(void);
const CalcShape *calc_model(size_t i);
/* By name ("gpt2", "llama-2-7b", ...), or NULL. */
const CalcShape *calc_find_model(const char *name);
/* "gpt2, llama-2-7b, ..." for messages. */
void calc_model_names(char *buf, size_t len);

/* A user shape before its options are applied: every size 0 (unset),
 * ffn_matrices 2, no window, LayerNorm, no biases, untied, no position
 * table. */
CalcShape calc_custom_shape(void);

/* "fp32", ... ; bytes per number (4, 2, 2, 1). */
const char *calc_dtype_name(CalcDtype t);
uint64_t calc_dtype_bytes(CalcDtype t);
/* Parse "fp32|fp16|bf16|int8"; 0, or -1 when unknown. */
int calc_parse_dtype(const char *s, CalcDtype *out);

/* Parse a memory size: a number (decimals allowed) and an optional unit
 * B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024),
 * case-insensitive: "80GiB" = 85,899,345,920 B, "80GB" = 80,000,000,000 B.
 * Fractions of a byte are dropped. Returns 0, or -1 with a message. */
int calc_parse_bytes(const char *s, uint64_t *out, char *err, size_t errlen);

/* Check the shape: every size >= 1, H divides d, Hkv divides H,
 * ffn_matrices 2 or 3. Returns 0, or -1 with one line naming the option. */
int calc_check_shape(const CalcShape *s, char *err, size_t errlen);

/* MACs of a decode step with the cache at t (n = 1; the row sees
 * min(t, W) positions). Returns 0, or -1 when a count overflows. */
int calc_decode_macs(const CalcShape *s, uint64_t t, CalcMacs *out);
/* MACs of a forward pass over all T positions (prefill, or one step of
 * recompute at t = T): the dense T×T block. 0, or -1 on overflow. */
int calc_forward_macs(const CalcShape *s, uint64_t T, CalcMacs *out);

/* §6.8's rule: rows a prompt of L tokens takes from an earlier one with a
 * common prefix of `common` tokens, in blocks of `block` positions: the full
 * blocks, block·floor(common / block), capped at L − 1 (its last row is
 * always computed). 0 when L or block is 0. The same number as
 * formulas_shared_rows() for the simulator. */
uint64_t calc_shared_rows(uint64_t common, uint64_t block, uint64_t L);

/* paged_prefix_held()'s rule for sizes up to CALC_MAX_VALUE: a prompt that
 * takes `rows` shared rows from an earlier prompt of donor_len tokens needs,
 * for its first computed row (position rows), the keys max(0, rows−W+1) ..
 * rows−1; the earlier prompt holds max(0, donor_len−W) .. donor_len−1 after
 * its prefill. True when it holds them all: no window (0), no rows, W = 1
 * (it reads none), donor_len <= W, or rows >= donor_len − 1. */
bool calc_prefix_held(uint64_t rows, uint64_t donor_len, uint64_t window);

/* Parameters of the shape (see CalcResult); 0, or -1 on overflow. */
int calc_params(const CalcShape *s, uint64_t *per_layer, uint64_t *total);

/* Everything in CalcResult. The shape must pass calc_check_shape.
 * Returns 0, or -1 with one line (e.g. an overflow) in err. */
int calc_run(const CalcShape *s, const CalcInput *in, CalcResult *r, char *err, size_t errlen);

/* The numeric fields of a result, by the names of its `kvsim calc
 * --format json` keys (the one list; lessons' calc(NAME, FIELD) reads it).
 * calc_field_find: the index of the len bytes at name, or -1;
 * CALC_FIELD_LIST names them all for messages. */
int calc_field_find(const char *name, size_t len);
int calc_field_count(void);
const char *calc_field_name(int field);           /* NULL outside 0 .. count-1 */
double calc_field_value(const CalcResult *r, int field);   /* NAN outside */
extern const char CALC_FIELD_LIST[];

#endif
