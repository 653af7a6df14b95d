/* calc: the real-model calculator. See calc.h and docs/calc.md. */
#include "sim/calc.h"

#include "sim/formulas.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "sim/checked.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* The shapes, from each model's paper and its config.json (docs/calc.md). */
static const CalcShape models[] = {
    {
        .name = "gpt2",
        .source = "GPT-2 paper (Radford et al. 2019, Table 2, smallest model); "
                  "openai-community/gpt2 config.json",
        .d_model = 768, .n_layers = 12, .n_heads = 12, .n_kv_heads = 12, .d_ff = 3072,
        .vocab = 50257, .window = 0, .ffn_matrices = 2, .max_context = 1024,
        .pos_embeddings = 1024, .tied_embeddings = true, .biases = true, .norm = CALC_NORM_LAYER,
    },
    {
        .name = "llama-2-7b",
        .source = "Llama 2 paper (Touvron et al. 2023, Table 1); "
                  "meta-llama/Llama-2-7b-hf config.json",
        .d_model = 4096, .n_layers = 32, .n_heads = 32, .n_kv_heads = 32, .d_ff = 11008,
        .vocab = 32000, .window = 0, .ffn_matrices = 3, .max_context = 4096,
        .pos_embeddings = 0, .tied_embeddings = false, .biases = false, .norm = CALC_NORM_RMS,
    },
    {
        .name = "llama-3-8b",
        .source = "The Llama 3 Herd of Models (Llama Team 2024, Table 3); "
                  "meta-llama/Meta-Llama-3-8B config.json",
        .d_model = 4096, .n_layers = 32, .n_heads = 32, .n_kv_heads = 8, .d_ff = 14336,
        .vocab = 128256, .window = 0, .ffn_matrices = 3, .max_context = 8192,
        .pos_embeddings = 0, .tied_embeddings = false, .biases = false, .norm = CALC_NORM_RMS,
    },
    {
        .name = "mistral-7b",
        .source = "Mistral 7B paper (Jiang et al. 2023, Table 1); "
                  "mistralai/Mistral-7B-v0.1 config.json",
        .d_model = 4096, .n_layers = 32, .n_heads = 32, .n_kv_heads = 8, .d_ff = 14336,
        .vocab = 32000, .window = 4096, .ffn_matrices = 3, .max_context = 32768,
        .pos_embeddings = 0, .tied_embeddings = false, .biases = false, .norm = CALC_NORM_RMS,
    },
    {
        .name = "opt-13b",
        .source = "OPT paper (Zhang et al. 2022, Table 1); facebook/opt-13b config.json",
        .d_model = 5120, .n_layers = 40, .n_heads = 40, .n_kv_heads = 40, .d_ff = 20480,
        .vocab = 50272, .window = 0, .ffn_matrices = 2, .max_context = 2048,
        /* OPT's learned positions are offset by 2: 2048 + 2 rows */
        .pos_embeddings = 2050, .tied_embeddings = true, .biases = true, .norm = CALC_NORM_LAYER,
    },
};

size_t calc_model_count(void)
{
    return sizeof models / sizeof models[0];
}

const CalcShape *calc_model(size_t i)
{
    return i < calc_model_count() ? &models[i] : NULL;
}

const CalcShape *calc_find_model(const char *name)
{
    for (size_t i = 0; i < calc_model_count(); i++)
        if (!strcmp(models[i].name, name)) return &models[i];
    return NULL;
}

void calc_model_names(char *buf, size_t len)
{
    if (!len) return;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < calc_model_count() && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", models[i].name);
        if (w < 0) return;
        used += (size_t)w;
    }
}

CalcShape calc_custom_shape(void)
{
    CalcShape s;
    memset(&s, 0, sizeof s);
    s.name = "custom";
    s.source = "given on the command line";
    s.ffn_matrices = 2;
    s.norm = CALC_NORM_LAYER;
    return s;
}

static const char *const dtype_names[CALC_DTYPE_COUNT] = {"fp32", "fp16", "bf16", "int8"};
static const uint64_t dtype_bytes[CALC_DTYPE_COUNT] = {4, 2, 2, 1};

const char *calc_dtype_name(CalcDtype t)
{
    return (unsigned)t < CALC_DTYPE_COUNT ? dtype_names[t] : "?";
}

uint64_t calc_dtype_bytes(CalcDtype t)
{
    return (unsigned)t < CALC_DTYPE_COUNT ? dtype_bytes[t] : 0;
}

int calc_parse_dtype(const char *s, CalcDtype *out)
{
    for (int i = 0; i < CALC_DTYPE_COUNT; i++)
        if (!strcmp(s, dtype_names[i])) {
            *out = (CalcDtype)i;
            return 0;
        }
    return -1;
}


int calc_parse_bytes(const char *s, uint64_t *out, char *err, size_t errlen)
{
    static const struct { const char *unit; uint64_t mult; } units[] = {
        {"", 1}, {"B", 1},
        {"KB", 1000ULL}, {"MB", 1000000ULL}, {"GB", 1000000000ULL}, {"TB", 1000000000000ULL},
        {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40},
    };
    const char *p = s;
    uint64_t whole = 0, frac = 0, scale = 1;
    bool ok = true, digits = false;
    while (*p >= '0' && *p <= '9') {
        whole = ck_add(ck_mul(whole, 10, &ok), (uint64_t)(*p - '0'), &ok);
        digits = true;
        p++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (scale < 1000000000ULL) {     /* nine decimals are plenty */
                frac = frac * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
            digits = true;
            p++;
        }
    }
    while (*p == ' ') p++;                   /* "80 GiB" too */
    size_t u = 0;
    if (digits) {
        for (u = 0; u < sizeof units / sizeof units[0]; u++)
            if (!strcasecmp(p, units[u].unit)) break;
    }
    if (!digits || u == sizeof units / sizeof units[0])
        FAIL("--memory '%s': expected a size such as 80GiB, 80GB, 512MiB or 1000000B "
             "(units B, KB, MB, GB, TB = powers of 1000; KiB, MiB, GiB, TiB = powers of 1024)", s);
    const uint64_t m = units[u].mult;
    /* whole·m + frac·m/scale, exactly: frac < scale <= 1e9 and m <= 2^40 */
    uint64_t v = ck_add(ck_mul(whole, m, &ok), (frac * (m % scale)) / scale + frac * (m / scale), &ok);
    if (!ok)
        FAIL("--memory '%s': out of range; at most 18446744073709551615 bytes", s);
    if (v == 0)
        FAIL("--memory '%s': out of range; must be at least 1 byte", s);
    *out = v;
    return 0;
}

int calc_check_shape(const CalcShape *s, char *err, size_t errlen)
{
    const struct { const char *opt; uint64_t v; } need[] = {
        {"d-model", s->d_model}, {"layers", s->n_layers}, {"heads", s->n_heads},
        {"kv-heads", s->n_kv_heads}, {"d-ff", s->d_ff}, {"vocab", s->vocab},
    };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (need[i].v == 0)
            FAIL("--%s: missing; a custom shape needs --d-model, --layers, --heads, --d-ff and "
                 "--vocab (or start from --model NAME)", need[i].opt);
        if (need[i].v > CALC_MAX_VALUE)
            FAIL("--%s %llu: out of range; expected an integer from 1 to %llu", need[i].opt,
                 (unsigned long long)need[i].v, (unsigned long long)CALC_MAX_VALUE);
    }
    if (s->d_model % s->n_heads)
        FAIL("--heads %llu: d-model (%llu) must be divisible by heads", (unsigned long long)s->n_heads,
             (unsigned long long)s->d_model);
    if (s->n_heads % s->n_kv_heads)
        FAIL("--kv-heads %llu: heads (%llu) must be divisible by kv-heads",
             (unsigned long long)s->n_kv_heads, (unsigned long long)s->n_heads);
    if (s->ffn_matrices != 2 && s->ffn_matrices != 3)
        FAIL("--ffn-matrices %llu: expected 2 (W1, W2) or 3 (gated: W_gate, W_up, W_down)",
             (unsigned long long)s->ffn_matrices);
    if (s->window > CALC_MAX_VALUE || s->pos_embeddings > CALC_MAX_VALUE)
        FAIL("--%s: out of range; at most %llu", s->window > CALC_MAX_VALUE ? "window" : "pos-embeddings",
             (unsigned long long)CALC_MAX_VALUE);
    return 0;
}

/* Per-layer MACs of n rows whose products cover `span` positions each
 * (scores = values = n·span·d), then summed over layers, + the head. */
static int step_macs(const CalcShape *s, uint64_t n, uint64_t span, CalcMacs *o)
{
    bool ok = true;
    const uint64_t d = s->d_model, Lyr = s->n_layers;
    const uint64_t kv = s->n_kv_heads * (d / s->n_heads);
    /* qkv = n·d² + 2·n·d·(Hkv·d_h) */
    const uint64_t qkv = ck_add(ck_mul(n, ck_mul(d, d, &ok), &ok), ck_mul(2, ck_mul(n, ck_mul(d, kv, &ok), &ok), &ok), &ok);
    const uint64_t sc = ck_mul(ck_mul(n, span, &ok), d, &ok);
    const uint64_t out = ck_mul(n, ck_mul(d, d, &ok), &ok);
    /* ffn = ffn_matrices·n·d·F (2 for W1, W2; 3 for a gated FFN) */
    const uint64_t ffn = ck_mul(s->ffn_matrices, ck_mul(n, ck_mul(d, s->d_ff, &ok), &ok), &ok);
    o->qkv = ck_mul(qkv, Lyr, &ok);
    o->scores = ck_mul(sc, Lyr, &ok);
    o->values = o->scores;
    o->out_proj = ck_mul(out, Lyr, &ok);
    o->ffn = ck_mul(ffn, Lyr, &ok);
    o->lm_head = ck_mul(d, s->vocab, &ok);   /* the last position only */
    uint64_t t = ck_add(o->qkv, o->scores, &ok);
    t = ck_add(t, o->values, &ok);
    t = ck_add(t, o->out_proj, &ok);
    t = ck_add(t, o->ffn, &ok);
    o->total = ck_add(t, o->lm_head, &ok);
    return ok ? 0 : -1;
}

int calc_decode_macs(const CalcShape *s, uint64_t t, CalcMacs *out)
{
    const uint64_t span = s->window && s->window < t ? s->window : t;
    return step_macs(s, 1, span, out);
}

int calc_forward_macs(const CalcShape *s, uint64_t T, CalcMacs *out)
{
    return step_macs(s, T, T, out);
}

int calc_params(const CalcShape *s, uint64_t *per_layer, uint64_t *total)
{
    bool ok = true;
    const uint64_t d = s->d_model, F = s->d_ff, V = s->vocab, m = s->ffn_matrices;
    const uint64_t kv = s->n_kv_heads * (d / s->n_heads);
    const uint64_t norm = s->norm == CALC_NORM_LAYER ? ck_mul(2, d, &ok) : d;
    /* Wq d×d, Wk and Wv d×kv, Wo d×d */
    uint64_t layer = ck_add(ck_mul(2, ck_mul(d, d, &ok), &ok), ck_mul(2, ck_mul(d, kv, &ok), &ok), &ok);
    layer = ck_add(layer, ck_mul(m, ck_mul(d, F, &ok), &ok), &ok);          /* m·d·F */
    if (s->biases) {
        layer = ck_add(layer, ck_add(ck_mul(2, d, &ok), ck_mul(2, kv, &ok), &ok), &ok);   /* q, k, v, o */
        layer = ck_add(layer, ck_add(ck_mul(m - 1, F, &ok), d, &ok), &ok);           /* F-wide ones + d */
    }
    layer = ck_add(layer, ck_mul(2, norm, &ok), &ok);                      /* two norms */
    uint64_t all = ck_mul(V, d, &ok);                                   /* token embeddings */
    all = ck_add(all, ck_mul(s->pos_embeddings, d, &ok), &ok);             /* learned positions */
    all = ck_add(all, ck_mul(s->n_layers, layer, &ok), &ok);
    all = ck_add(all, norm, &ok);                                       /* final norm */
    if (!s->tied_embeddings) all = ck_add(all, ck_mul(d, V, &ok), &ok);    /* head d×V */
    if (per_layer) *per_layer = layer;
    if (total) *total = all;
    return ok ? 0 : -1;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t calc_shared_rows(uint64_t common, uint64_t block, uint64_t L)
{
    if (!block || !L) return 0;
    const uint64_t s = block * (common / block);
    return s < L ? s : L - 1;
}

bool calc_prefix_held(uint64_t rows, uint64_t donor_len, uint64_t window)
{
    if (!window || !rows) return true;
    const uint64_t first_key = rows >= window ? rows - window + 1 : 0;     /* of the row at position rows */
    const uint64_t donor_first = donor_len > window ? donor_len - window : 0;
    return first_key >= rows || first_key >= donor_first;   /* W = 1: it reads no earlier row */
}

int calc_run(const CalcShape *s, const CalcInput *in, CalcResult *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (calc_check_shape(s, err, errlen)) return -1;
    if (in->context < 1 || in->context > CALC_MAX_VALUE)
        FAIL("--context %llu: out of range; expected an integer from 1 to %llu",
             (unsigned long long)in->context, (unsigned long long)CALC_MAX_VALUE);
    if (in->batch < 1 || in->batch > CALC_MAX_VALUE)
        FAIL("--batch %llu: out of range; expected an integer from 1 to %llu",
             (unsigned long long)in->batch, (unsigned long long)CALC_MAX_VALUE);
    if (!(in->balance > 0) || in->balance > 1e9)
        FAIL("--balance %g: out of range; expected a number of FLOP per byte above 0", in->balance);
    if ((unsigned)in->dtype >= CALC_DTYPE_COUNT) FAIL("--dtype: unknown");
    if (in->speculate > 1000)
        FAIL("--speculate %llu: out of range; expected an integer from 1 to 1000", (unsigned long long)in->speculate);
    if (!(in->acceptance >= 0) || in->acceptance > 1)
        FAIL("--acceptance %g: out of range; expected a rate from 0 to 1", in->acceptance);
    if (in->block_size > CALC_MAX_VALUE)
        FAIL("--block-size %llu: out of range; expected an integer from 1 to %llu",
             (unsigned long long)in->block_size, (unsigned long long)CALC_MAX_VALUE);
    if (in->shared_prefix > in->context)
        FAIL("--shared-prefix %llu: longer than --context %llu; the shared prompt is part of each "
             "sequence's tokens", (unsigned long long)in->shared_prefix, (unsigned long long)in->context);
    r->shape = *s;
    r->in = *in;
    if (!r->in.speculate) r->in.speculate = CALC_DEFAULT_SPECULATE;
    if (!r->in.block_size) r->in.block_size = CALC_DEFAULT_BLOCK_SIZE;
    const uint64_t T = in->context, B = in->batch, by = calc_dtype_bytes(in->dtype);
    const uint64_t d = s->d_model;
    r->bytes_per_number = by;
    r->d_head = d / s->n_heads;
    r->kv_dim = s->n_kv_heads * r->d_head;
    bool ok = true;

#define CHECK(what, hint) do { if (!ok) FAIL("%s would overflow 64 bits; reduce %s", what, hint); } while (0)
    const char *const all_sizes = "--context, --batch or the shape";

    /* KV cache: 2 (K and V) · Lyr · Hkv · d_h · bytes per cached position */
    r->kv_positions = s->window ? min_u64(T, s->window) : T;
    r->kv_bytes_per_token = ck_mul(ck_mul(2, s->n_layers, &ok), ck_mul(r->kv_dim, by, &ok), &ok);
    r->kv_bytes_per_sequence = ck_mul(r->kv_bytes_per_token, r->kv_positions, &ok);
    r->kv_cache_bytes = ck_mul(r->kv_bytes_per_sequence, B, &ok);
    CHECK("the KV cache size (2·Lyr·Hkv·d_h·bytes·min(T, W)·B)", all_sizes);

    if (calc_params(s, &r->params_per_layer, &r->params)) ok = false;
    r->weights_bytes = ck_mul(r->params, by, &ok);
    CHECK("the parameter count", "the shape (--d-model, --d-ff, --vocab, --layers)");

    if (calc_decode_macs(s, T, &r->decode_cache)) ok = false;
    CHECK("the decode MACs", "the shape");
    if (calc_forward_macs(s, T, &r->prefill)) ok = false;
    CHECK("the prefill MACs (scores = T·T·d per layer)", "--context or the shape");
    r->decode_nocache = r->prefill;
    r->flops_decode_cache = ck_mul(2, r->decode_cache.total, &ok);
    r->flops_decode_nocache = ck_mul(2, r->decode_nocache.total, &ok);
    r->flops_prefill = ck_mul(2, r->prefill.total, &ok);
    CHECK("the FLOPs (2·MACs)", "--context or the shape");
    r->flops_per_token_prefill = (double)r->flops_prefill / (double)T;

    /* Decode traffic: the weights once for the whole batch (every layer,
     * the final norm, the head d×V; of the embedding tables only the rows
     * the batch uses), the K/V each query row reads (min(T, W) positions,
     * its own included), and the K/V row each sequence appends. */
    uint64_t head_params = ck_mul(d, s->vocab, &ok);
    uint64_t fixed = ck_add(ck_mul(s->n_layers, r->params_per_layer, &ok), head_params, &ok);
    fixed = ck_add(fixed, s->norm == CALC_NORM_LAYER ? 2 * d : d, &ok);
    const uint64_t fixed_bytes = ck_mul(fixed, by, &ok);
    const uint64_t row_bytes = ck_mul(ck_mul(d, s->pos_embeddings ? 2 : 1, &ok), by, &ok); /* token (+ position) row */
    r->decode_weight_bytes = ck_add(fixed_bytes, ck_mul(B, row_bytes, &ok), &ok);
    r->decode_kv_read = ck_mul(B, ck_mul(r->kv_positions, r->kv_bytes_per_token, &ok), &ok);
    r->decode_kv_written = ck_mul(B, r->kv_bytes_per_token, &ok);
    r->decode_bytes = ck_add(ck_add(r->decode_weight_bytes, r->decode_kv_read, &ok), r->decode_kv_written, &ok);
    r->decode_flops = ck_mul(B, r->flops_decode_cache, &ok);
    CHECK("the decode traffic", all_sizes);
    r->decode_intensity = (double)r->decode_flops / (double)r->decode_bytes;

    /* Prefill traffic (a lower bound): the weights once, B·T embedding rows,
     * and the cache it leaves behind. */
    r->prefill_weight_bytes = ck_add(fixed_bytes, ck_mul(ck_mul(B, T, &ok), row_bytes, &ok), &ok);
    r->prefill_kv_written = r->kv_cache_bytes;
    r->prefill_bytes = ck_add(r->prefill_weight_bytes, r->prefill_kv_written, &ok);
    r->prefill_flops = ck_mul(B, r->flops_prefill, &ok);
    CHECK("the prefill traffic", all_sizes);
    r->prefill_intensity = (double)r->prefill_flops / (double)r->prefill_bytes;

    r->decode_memory_bound = r->decode_intensity < in->balance;
    r->prefill_memory_bound = r->prefill_intensity < in->balance;

    /* Smallest b with b·f / (fixed + b·per_seq) >= balance, where f is one
     * sequence's decode FLOPs and per_seq its own bytes (embedding row, K/V
     * read and written): b·(f − balance·per_seq) >= balance·fixed. */
    {
        const double f = (double)r->flops_decode_cache;
        const double per_seq = (double)row_bytes +
                               (double)r->kv_positions * (double)r->kv_bytes_per_token +
                               (double)r->kv_bytes_per_token;
        const double gain = f - in->balance * per_seq;
        if (gain > 0) {
            double b = in->balance * (double)fixed_bytes / gain;
            double c = b < 1 ? 1 : (double)(uint64_t)b;
            if (c < b) c += 1;
            r->batch_for_balance = c > 1e18 ? 0 : (uint64_t)c;
        }
    }

    if (in->memory) {
        r->weights_fit = r->weights_bytes <= in->memory;
        r->memory_free = r->weights_fit ? in->memory - r->weights_bytes : 0;
        r->max_batch_at_context = r->memory_free / r->kv_bytes_per_sequence;
        r->max_tokens = r->memory_free / r->kv_bytes_per_token;
        const uint64_t per_position = ck_mul(B, r->kv_bytes_per_token, &ok);
        CHECK("the batch's bytes per position", "--batch");
        const uint64_t ctx = r->memory_free / per_position;
        if (s->window && ctx >= s->window) {
            r->context_unbounded = true;   /* the cache never grows past W positions */
            r->max_context_at_batch = 0;
        } else {
            r->max_context_at_batch = ctx;
        }
    }
    /* Prefix sharing, in the pool right after the B prefills (§6.4, §6.8):
     * each sequence's T-token prompt begins with the S shared tokens and it
     * keeps positions first = T − min(T, W) .. T − 1, in the blocks that hold
     * one of them (ceil(T / P) − floor(first / P); ceil(T / P) without a
     * window: a prefill never stores what its window drops). Sequence 0
     * computes its prompt; each later one takes §6.8's full-block rows from
     * it if sequence 0 still holds every row its first computed row reads
     * (calc_prefix_held) and references the shared blocks holding one of
     * its own kept positions: [first, s) — those are kept once, the rest
     * of its blocks are its own (sim/paged.h, docs/serving.md). */
    {
        const uint64_t P = r->in.block_size;
        const uint64_t first = T - r->kv_positions;
        r->prefix_first_kept = first;
        r->prefix_matched_rows = calc_shared_rows(in->shared_prefix, P, T);
        r->prefix_shared_rows =
            calc_prefix_held(r->prefix_matched_rows, T, s->window) ? r->prefix_matched_rows : 0;
        const uint64_t sr = r->prefix_shared_rows;
        r->prefix_shared_blocks = sr > first ? (sr - 1) / P - first / P + 1 : 0;
        r->prefix_blocks_per_sequence = T / P + (T % P != 0) - first / P;
        const uint64_t block_bytes = ck_mul(P, r->kv_bytes_per_token, &ok);
        const uint64_t own = r->prefix_blocks_per_sequence - r->prefix_shared_blocks;
        r->prefix_kv_bytes_unshared = ck_mul(ck_mul(B, r->prefix_blocks_per_sequence, &ok), block_bytes, &ok);
        r->prefix_kv_bytes_shared =
            ck_mul(ck_add(r->prefix_shared_blocks, ck_mul(B, own, &ok), &ok), block_bytes, &ok);
        r->prefix_kv_bytes_saved = ck_mul(ck_mul(B - 1, r->prefix_shared_blocks, &ok), block_bytes, &ok);
        r->prefix_prefill_rows_saved = ck_mul(B - 1, sr, &ok);
        CHECK("the paged cache bytes (B·ceil(T / P)·P·bytes per token)", "--batch, --block-size or --context");
    }
#undef CHECK
    /* speculation: T tokens in ceil(T / E) verify steps of K + 1 rows */
    r->spec_tokens_per_step = formulas_spec_tokens_per_step((int)r->in.speculate, in->acceptance);
    const double steps = ceil((double)T / r->spec_tokens_per_step);
    r->spec_steps = steps < (double)T ? (uint64_t)steps : T;
    r->spec_steps_saved = T - r->spec_steps;
    r->spec_macs_ratio = ((double)r->in.speculate + 1.0) / r->spec_tokens_per_step;
    return 0;
}

/* ---- the numeric keys of `kvsim calc --format json`, in its order ------
 * One list: lessons read a result through it (calc(NAME, FIELD)), and
 * tests/test_calc.sh checks that every name is a key of the JSON. */
typedef enum {
    CF_D_MODEL, CF_N_LAYERS, CF_N_HEADS, CF_N_KV_HEADS, CF_D_HEAD, CF_D_FF, CF_FFN_MATRICES,
    CF_VOCAB, CF_WINDOW, CF_MAX_CONTEXT, CF_POS_EMBEDDINGS, CF_CONTEXT, CF_BATCH,
    CF_BYTES_PER_NUMBER, CF_KV_BYTES_PER_TOKEN, CF_KV_POSITIONS, CF_KV_BYTES_PER_SEQUENCE,
    CF_KV_CACHE_BYTES, CF_PARAMS_PER_LAYER, CF_PARAMS, CF_WEIGHTS_BYTES, CF_FLOPS_PREFILL,
    CF_FLOPS_PER_TOKEN_PREFILL, CF_FLOPS_PER_TOKEN_DECODE_CACHE,
    CF_FLOPS_PER_TOKEN_DECODE_NOCACHE, CF_DECODE_WEIGHT_BYTES_READ, CF_DECODE_KV_BYTES_READ,
    CF_DECODE_KV_BYTES_WRITTEN, CF_DECODE_BYTES_MOVED, CF_DECODE_FLOPS, CF_ARITHMETIC_INTENSITY,
    CF_PREFILL_BYTES_MOVED, CF_PREFILL_FLOPS, CF_PREFILL_ARITHMETIC_INTENSITY,
    CF_MACHINE_BALANCE, CF_DECODE_BATCH_FOR_BALANCE, CF_SPECULATE, CF_ACCEPTANCE,
    CF_SPEC_TOKENS_PER_STEP, CF_SPEC_STEPS, CF_SPEC_STEPS_SAVED, CF_SPEC_MACS_RATIO,
    CF_SHARED_PREFIX, CF_BLOCK_SIZE, CF_FIRST_KEPT_POSITION, CF_SHARED_ROWS_MATCHED, CF_SHARED_ROWS,
    CF_SHARED_BLOCKS, CF_BLOCKS_PER_SEQUENCE,
    CF_PREFIX_KV_BYTES_UNSHARED, CF_PREFIX_KV_BYTES_SHARED, CF_PREFIX_KV_BYTES_SAVED,
    CF_PREFIX_PREFILL_ROWS_SAVED, CF_COUNT
} CalcField;

static const char *const calc_fields[CF_COUNT] = {
    "d_model", "n_layers", "n_heads", "n_kv_heads", "d_head", "d_ff", "ffn_matrices",
    "vocab", "window", "max_context", "pos_embeddings", "context", "batch",
    "bytes_per_number", "kv_bytes_per_token", "kv_positions", "kv_bytes_per_sequence",
    "kv_cache_bytes", "params_per_layer", "params", "weights_bytes", "flops_prefill",
    "flops_per_token_prefill", "flops_per_token_decode_cache",
    "flops_per_token_decode_nocache", "decode_weight_bytes_read", "decode_kv_bytes_read",
    "decode_kv_bytes_written", "decode_bytes_moved", "decode_flops", "arithmetic_intensity",
    "prefill_bytes_moved", "prefill_flops", "prefill_arithmetic_intensity",
    "machine_balance", "decode_batch_for_balance", "speculate", "acceptance",
    "spec_tokens_per_step", "spec_steps", "spec_steps_saved", "spec_macs_ratio",
    "shared_prefix", "block_size", "first_kept_position", "shared_rows_matched", "shared_rows",
    "shared_blocks", "blocks_per_sequence",
    "prefix_kv_bytes_unshared", "prefix_kv_bytes_shared", "prefix_kv_bytes_saved",
    "prefix_prefill_rows_saved",
};

const char CALC_FIELD_LIST[] =
    "d_model, n_layers, n_heads, n_kv_heads, d_head, d_ff, ffn_matrices, vocab, window, "
    "max_context, pos_embeddings, context, batch, bytes_per_number, kv_bytes_per_token, "
    "kv_positions, kv_bytes_per_sequence, kv_cache_bytes, params_per_layer, params, "
    "weights_bytes, flops_prefill, flops_per_token_prefill, flops_per_token_decode_cache, "
    "flops_per_token_decode_nocache, decode_weight_bytes_read, decode_kv_bytes_read, "
    "decode_kv_bytes_written, decode_bytes_moved, decode_flops, arithmetic_intensity, "
    "prefill_bytes_moved, prefill_flops, prefill_arithmetic_intensity, machine_balance, "
    "decode_batch_for_balance, speculate, acceptance, spec_tokens_per_step, spec_steps, "
    "spec_steps_saved, spec_macs_ratio, shared_prefix, block_size, first_kept_position, "
    "shared_rows_matched, shared_rows, shared_blocks, "
    "blocks_per_sequence, prefix_kv_bytes_unshared, prefix_kv_bytes_shared, prefix_kv_bytes_saved "
    "or prefix_prefill_rows_saved";

int calc_field_find(const char *name, size_t len)
{
    for (int i = 0; i < CF_COUNT; i++)
        if (strlen(calc_fields[i]) == len && !strncmp(name, calc_fields[i], len)) return i;
    return -1;
}

int calc_field_count(void)
{
    return CF_COUNT;
}

const char *calc_field_name(int field)
{
    return field >= 0 && field < CF_COUNT ? calc_fields[field] : NULL;
}

double calc_field_value(const CalcResult *r, int field)
{
    const CalcShape *s = &r->shape;
    switch ((CalcField)field) {
    case CF_D_MODEL: return (double)s->d_model;
    case CF_N_LAYERS: return (double)s->n_layers;
    case CF_N_HEADS: return (double)s->n_heads;
    case CF_N_KV_HEADS: return (double)s->n_kv_heads;
    case CF_D_HEAD: return (double)r->d_head;
    case CF_D_FF: return (double)s->d_ff;
    case CF_FFN_MATRICES: return (double)s->ffn_matrices;
    case CF_VOCAB: return (double)s->vocab;
    case CF_WINDOW: return (double)s->window;
    case CF_MAX_CONTEXT: return (double)s->max_context;
    case CF_POS_EMBEDDINGS: return (double)s->pos_embeddings;
    case CF_CONTEXT: return (double)r->in.context;
    case CF_BATCH: return (double)r->in.batch;
    case CF_BYTES_PER_NUMBER: return (double)r->bytes_per_number;
    case CF_KV_BYTES_PER_TOKEN: return (double)r->kv_bytes_per_token;
    case CF_KV_POSITIONS: return (double)r->kv_positions;
    case CF_KV_BYTES_PER_SEQUENCE: return (double)r->kv_bytes_per_sequence;
    case CF_KV_CACHE_BYTES: return (double)r->kv_cache_bytes;
    case CF_PARAMS_PER_LAYER: return (double)r->params_per_layer;
    case CF_PARAMS: return (double)r->params;
    case CF_WEIGHTS_BYTES: return (double)r->weights_bytes;
    case CF_FLOPS_PREFILL: return (double)r->flops_prefill;
    case CF_FLOPS_PER_TOKEN_PREFILL: return r->flops_per_token_prefill;
    case CF_FLOPS_PER_TOKEN_DECODE_CACHE: return (double)r->flops_decode_cache;
    case CF_FLOPS_PER_TOKEN_DECODE_NOCACHE: return (double)r->flops_decode_nocache;
    case CF_DECODE_WEIGHT_BYTES_READ: return (double)r->decode_weight_bytes;
    case CF_DECODE_KV_BYTES_READ: return (double)r->decode_kv_read;
    case CF_DECODE_KV_BYTES_WRITTEN: return (double)r->decode_kv_written;
    case CF_DECODE_BYTES_MOVED: return (double)r->decode_bytes;
    case CF_DECODE_FLOPS: return (double)r->decode_flops;
    case CF_ARITHMETIC_INTENSITY: return r->decode_intensity;
    case CF_PREFILL_BYTES_MOVED: return (double)r->prefill_bytes;
    case CF_PREFILL_FLOPS: return (double)r->prefill_flops;
    case CF_PREFILL_ARITHMETIC_INTENSITY: return r->prefill_intensity;
    case CF_MACHINE_BALANCE: return r->in.balance;
    case CF_DECODE_BATCH_FOR_BALANCE: return (double)r->batch_for_balance;
    case CF_SPECULATE: return (double)r->in.speculate;
    case CF_ACCEPTANCE: return r->in.acceptance;
    case CF_SPEC_TOKENS_PER_STEP: return r->spec_tokens_per_step;
    case CF_SPEC_STEPS: return (double)r->spec_steps;
    case CF_SPEC_STEPS_SAVED: return (double)r->spec_steps_saved;
    case CF_SPEC_MACS_RATIO: return r->spec_macs_ratio;
    case CF_SHARED_PREFIX: return (double)r->in.shared_prefix;
    case CF_BLOCK_SIZE: return (double)r->in.block_size;
    case CF_FIRST_KEPT_POSITION: return (double)r->prefix_first_kept;
    case CF_SHARED_ROWS_MATCHED: return (double)r->prefix_matched_rows;
    case CF_SHARED_ROWS: return (double)r->prefix_shared_rows;
    case CF_SHARED_BLOCKS: return (double)r->prefix_shared_blocks;
    case CF_BLOCKS_PER_SEQUENCE: return (double)r->prefix_blocks_per_sequence;
    case CF_PREFIX_KV_BYTES_UNSHARED: return (double)r->prefix_kv_bytes_unshared;
    case CF_PREFIX_KV_BYTES_SHARED: return (double)r->prefix_kv_bytes_shared;
    case CF_PREFIX_KV_BYTES_SAVED: return (double)r->prefix_kv_bytes_saved;
    case CF_PREFIX_PREFILL_ROWS_SAVED: return (double)r->prefix_prefill_rows_saved;
    default: return NAN;
    }
}
