/* calc_cmd: see calc_cmd.h. The numbers come from sim/calc.c; this file
 * parses options and lays them out (table or JSON). */
#include "ui/cmd/calc.h"

#include "sim/calc.h"
#include "sim/counts.h"
#include "ui/cmd/cli.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* Context used for a user shape when --context is not given. */
#define CALC_CUSTOM_CONTEXT 4096

/* The shape: a built-in one (or the custom base), then the options. */
static int build_shape(const CalcArgs *a, CalcShape *s, bool *modified, char *err, size_t errlen)
{
    *modified = false;
    if (a->model) {
        const CalcShape *m = calc_find_model(a->model);
        if (!m) {
            char names[256];
            calc_model_names(names, sizeof names);
            FAIL("--model '%s': unknown model; expected one of %s", cli_clip(a->model), names);
        }
        *s = *m;
    } else {
        *s = calc_custom_shape();
    }
    const bool mha = s->n_kv_heads == s->n_heads;   /* true for the custom base too (0 == 0) */
#define SET(field, value, cond) do { if (cond) { *modified |= s->field != (value); s->field = (value); } } while (0)
    SET(d_model, a->d_model, a->d_model);
    SET(n_layers, a->n_layers, a->n_layers);
    SET(n_heads, a->n_heads, a->n_heads);
    SET(d_ff, a->d_ff, a->d_ff);
    SET(vocab, a->vocab, a->vocab);
    SET(ffn_matrices, a->ffn_matrices, a->ffn_matrices);
    SET(window, a->window, a->window_set);
    SET(pos_embeddings, a->pos_embeddings, a->pos_set);
    SET(tied_embeddings, a->tied, a->tied_set);
    SET(biases, a->biases, a->biases_set);
    SET(norm, (CalcNorm)a->norm, a->norm_set);
    /* --heads alone keeps multi-head attention multi-head */
    if (a->n_kv_heads) SET(n_kv_heads, a->n_kv_heads, true);
    else if (mha) s->n_kv_heads = s->n_heads;
#undef SET
    if (!a->model && !a->d_model && !a->n_layers && !a->n_heads && !a->d_ff && !a->vocab) {
        char names[256];
        calc_model_names(names, sizeof names);
        FAIL("calc: give --model NAME (%s) or a shape (--d-model, --layers, --heads, --d-ff, "
             "--vocab)", names);
    }
    return calc_check_shape(s, err, errlen);
}

/* ---- formatting ----------------------------------------------------- */

/* 1234567 -> "1,234,567" (counts_group) in one of a ring of buffers,
 * so several can stand in one printf. */
static const char *sep(uint64_t v)
{
    static char ring[16][32];
    static unsigned next;
    return counts_group(v, ring[next++ % 16]);
}

/* "2.00 GiB = 2.15 GB" */
static const char *human(uint64_t v)
{
    static char ring[8][64];
    static unsigned next;
    char *out = ring[next++ % 8];
    static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    static const char *const dec[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double b = (double)v, e = (double)v;
    int i = 0, k = 0;
    while (b >= 1024 && i < 6) { b /= 1024; i++; }
    while (e >= 1000 && k < 6) { e /= 1000; k++; }
    if (i == 0) snprintf(out, 64, "%llu B", (unsigned long long)v);
    else snprintf(out, 64, "%.2f %s = %.2f %s", b, bin[i], e, dec[k]);
    return out;
}

static const char *norm_name(CalcNorm n)
{
    return n == CALC_NORM_RMS ? "RMSNorm" : "LayerNorm";
}

static void print_table(const CalcResult *r, const CalcArgs *a, bool modified)
{
    const CalcShape *s = &r->shape;
    const uint64_t T = r->in.context, B = r->in.batch, by = r->bytes_per_number;
    const uint64_t m = s->ffn_matrices;

    printf("kvsim calc: %s%s, %s (%llu B per number), context T = %s, batch B = %s\n", s->name,
           modified ? " (modified)" : "", calc_dtype_name(r->in.dtype), (unsigned long long)by, sep(T),
           sep(B));
    /* the source, one reference a line */
    const char *src = s->source;
    for (int line = 0; *src; line++) {
        const char *semi = strstr(src, "; ");
        int len = semi ? (int)(semi - src) : (int)strlen(src);
        printf("  %s %.*s\n", line ? "       " : "source:", len, src);
        src += len + (semi ? 2 : 0);
    }
    if (modified) printf("          changed by the options given\n");
    printf("  shape: d = %s, Lyr = %s, H = %s, Hkv = %s, F = %s, V = %s\n", sep(s->d_model),
           sep(s->n_layers), sep(s->n_heads), sep(s->n_kv_heads), sep(s->d_ff), sep(s->vocab));
    printf("         W = %s, %llu FFN matrices%s, %s, %s, %s head",
           s->window ? sep(s->window) : "none", (unsigned long long)m,
           m == 3 ? " (gated)" : "", norm_name(s->norm), s->biases ? "biases" : "no biases",
           s->tied_embeddings ? "tied" : "untied");
    printf("\n");
    if (s->max_context || s->pos_embeddings) {
        printf("        ");
        if (s->max_context) {
            printf(" trained context %s", sep(s->max_context));
            if (T > s->max_context) printf(" (T is beyond it)");
        }
        if (s->pos_embeddings)
            printf("%s %s learned positions", s->max_context ? "," : "", sep(s->pos_embeddings));
        printf("\n");
    }
    const char *attn = s->n_kv_heads == s->n_heads ? "multi-head"
                       : s->n_kv_heads == 1         ? "multi-query"
                                                    : "grouped-query";
    printf("         attention: %s, d_h = %s, %llu query head%s per K/V head\n", attn, sep(r->d_head),
           (unsigned long long)(s->n_heads / s->n_kv_heads), s->n_heads == s->n_kv_heads ? "" : "s");

    printf("\nKV cache: K and V of every layer; a sequence keeps min(T, W) = %s positions\n",
           sep(r->kv_positions));
    printf("  per token     2 * Lyr * Hkv * d_h * bytes = 2 * %s * %s * %s * %llu\n", sep(s->n_layers),
           sep(s->n_kv_heads), sep(r->d_head), (unsigned long long)by);
    printf("                = %s B (%s)\n", sep(r->kv_bytes_per_token), human(r->kv_bytes_per_token));
    printf("  per sequence  per token * min(T, W) = %s * %s\n", sep(r->kv_bytes_per_token),
           sep(r->kv_positions));
    printf("                = %s B (%s)\n", sep(r->kv_bytes_per_sequence), human(r->kv_bytes_per_sequence));
    printf("  batch         per sequence * B = %s B (%s)\n", sep(r->kv_cache_bytes), human(r->kv_cache_bytes));

    printf("\nWeights\n");
    printf("  per layer     2*d^2 + 2*d*Hkv*d_h + %llu*d*F%s + 2 norms\n                = %s parameters\n",
           (unsigned long long)m, s->biases ? " + biases" : "", sep(r->params_per_layer));
    printf("  model         V*d%s + Lyr*per layer + final norm%s\n                = %s parameters\n",
           s->pos_embeddings ? " + positions*d" : "", s->tied_embeddings ? " (head tied)" : " + d*V head",
           sep(r->params));
    printf("  bytes         %s * %llu = %s B (%s)\n", sep(r->params), (unsigned long long)by,
           sep(r->weights_bytes), human(r->weights_bytes));

    printf("\nWork per token of one sequence, in MACs (FLOPs = 2 * MACs); per layer:\n");
    printf("  qkv = n*d^2 + 2*n*d*Hkv*d_h, scores = values = n*t*d, out_proj = n*d^2,\n");
    printf("  ffn = %llu*n*d*F; lm_head = d*V once. A decode row sees min(t, W) positions;\n",
           (unsigned long long)m);
    printf("  prefill and recompute compute the dense n x t block (masked cells included).\n");
    printf("  %-11s%22s%22s%22s\n", "", "decode, cache", "decode, no cache", "prefill (all T)");
    char c1[32], c2[32];
    snprintf(c1, sizeof c1, "n=1, t=%s", sep(T));
    snprintf(c2, sizeof c2, "n=t=%s", sep(T));
    printf("  %-11s%22s%22s%22s\n", "", c1, c2, c2);
    const struct { const char *name; uint64_t a, b, c; } rows[] = {
        {"qkv", r->decode_cache.qkv, r->decode_nocache.qkv, r->prefill.qkv},
        {"scores", r->decode_cache.scores, r->decode_nocache.scores, r->prefill.scores},
        {"values", r->decode_cache.values, r->decode_nocache.values, r->prefill.values},
        {"out_proj", r->decode_cache.out_proj, r->decode_nocache.out_proj, r->prefill.out_proj},
        {"ffn", r->decode_cache.ffn, r->decode_nocache.ffn, r->prefill.ffn},
        {"lm_head", r->decode_cache.lm_head, r->decode_nocache.lm_head, r->prefill.lm_head},
        {"total MACs", r->decode_cache.total, r->decode_nocache.total, r->prefill.total},
        {"FLOPs", r->flops_decode_cache, r->flops_decode_nocache, r->flops_prefill},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("  %-11s%22s%22s%22s\n", rows[i].name, sep(rows[i].a), sep(rows[i].b), sep(rows[i].c));
    /* prefill per token, rounded to the nearest FLOP */
    const uint64_t pt = r->flops_prefill / T + (r->flops_prefill % T >= T - r->flops_prefill % T ? 1 : 0);
    printf("  %-11s%22s%22s%22s\n", "FLOPs/token", sep(r->flops_decode_cache), sep(r->flops_decode_nocache),
           sep(pt));
    printf("  (prefill per token = prefill FLOPs / T. Without the cache each new token costs\n"
           "   a whole forward pass over its T positions: %.0fx the cached step.)\n",
           (double)r->flops_decode_nocache / (double)r->flops_decode_cache);

    printf("\nBytes moved by one decode step of the batch\n");
    printf("  weights       %21s B  each layer, final norm, head d*V: once;\n",
           sep(r->decode_weight_bytes));
    printf("  %-13s %21s    + B embedding rows\n", "", "");
    printf("  KV read       %21s B  B * min(T, W) * per token\n", sep(r->decode_kv_read));
    printf("  KV written    %21s B  B * per token\n", sep(r->decode_kv_written));
    printf("  total         %21s B  (%s)\n", sep(r->decode_bytes), human(r->decode_bytes));
    printf("  FLOPs         %21s    B * decode FLOPs per token\n", sep(r->decode_flops));
    printf("  arithmetic intensity  %.2f FLOP/byte\n", r->decode_intensity);
    printf("\nPrefill of the batch (bytes: weights once + B*T embedding rows + the cache\n"
           "written; a lower bound, so the intensity is an upper bound)\n");
    printf("  bytes         %21s B  (%s)\n", sep(r->prefill_bytes), human(r->prefill_bytes));
    printf("  FLOPs         %21s\n", sep(r->prefill_flops));
    printf("  arithmetic intensity  %.2f FLOP/byte\n", r->prefill_intensity);

    printf("\nMachine balance %g FLOP/byte (--balance; default 295 = H100 SXM bf16 dense,\n"
           "989 TFLOP/s / 3.35 TB/s). Below it a step waits on memory, above it on compute.\n",
           r->in.balance);
    printf("  decode:  %.2f %s %g -> %s-bound\n", r->decode_intensity, r->decode_memory_bound ? "<" : ">=",
           r->in.balance, r->decode_memory_bound ? "memory" : "compute");
    printf("  prefill: %.2f %s %g -> %s-bound\n", r->prefill_intensity, r->prefill_memory_bound ? "<" : ">=",
           r->in.balance, r->prefill_memory_bound ? "memory" : "compute");
    if (r->batch_for_balance)
        printf("  decode at T = %s reaches the balance from batch %s on (the batch shares the\n"
               "  weight reads; each sequence still reads its own cache)\n",
               sep(T), sep(r->batch_for_balance));
    else
        printf("  no batch makes decode at T = %s compute-bound: each sequence's own K/V\n"
               "  traffic already costs more bytes than its FLOPs can cover\n", sep(T));

    if (a->spec_set) {
        /* §6.9: what a verify step of K + 1 rows buys (docs/serving.md) */
        printf("\nSpeculative decoding, %s drafts per step, each accepted with probability %g\n",
               sep(r->in.speculate), r->in.acceptance);
        printf("  tokens per verify step  %.3f  (1 - a^(K+1)) / (1 - a)\n", r->spec_tokens_per_step);
        printf("  steps for T = %s tokens  %s instead of %s: %s saved\n", sep(T), sep(r->spec_steps), sep(T),
               sep(r->spec_steps_saved));
        printf("  MACs per token          %.2fx plain decoding ((K + 1) / E: every draft row is computed)\n",
               r->spec_macs_ratio);
        printf("  weight reads per token  %.2fx (one read of the weights per step)\n", 1.0 / r->spec_tokens_per_step);
    }

    if (a->prefix_set) {
        /* §6.8 in a paged cache: whole blocks reserved, the shared prompt's once */
        const uint64_t P = r->in.block_size, sb = r->prefix_shared_blocks, nb = r->prefix_blocks_per_sequence;
        printf("\nPrefix sharing (spec 6.8): %s sequences begin with the same %s-token prompt;\n"
               "blocks of P = %s positions (%s B each), reserved whole\n",
               sep(B), sep(r->in.shared_prefix), sep(P), sep(P * r->kv_bytes_per_token));
        const uint64_t first = r->prefix_first_kept, mr = r->prefix_matched_rows, sr = r->prefix_shared_rows;
        const char *cap = mr < P * (r->in.shared_prefix / P) ? " (capped at T - 1)" : "";
        if (first) {   /* a window smaller than T: what the pool holds right after the prefills */
            char kept[80];
            if (first == T - 1) snprintf(kept, sizeof kept, "only %s", sep(first));
            else snprintf(kept, sizeof kept, "%s..%s", sep(first), sep(T - 1));
            printf("  window W = %s < T: after its prefill a sequence keeps %s, in\n"
                   "  the %s block%s holding them (a prefill stores no other position)\n",
                   sep(s->window), kept, sep(nb), nb == 1 ? "" : "s");
        }
        if (sr == mr) {
            char line[160];
            snprintf(line, sizeof line, "  shared rows s = P * floor(S / P) = %s%s,", sep(sr), cap);
            char tail[64];
            snprintf(tail, sizeof tail, " in %s block%s kept once", sep(sb), sb == 1 ? "" : "s");
            printf("%s%s%s\n", line, strlen(line) + strlen(tail) > 80 ? "\n " : "", tail);
            if (first && sr && s->window > 1)
                printf("  (row s = %s reads rows %s..%s, which sequence 0 still holds; the\n"
                       "   others reference only the shared blocks holding a position >= %s)\n",
                       sep(sr), sep(sr >= s->window ? sr - s->window + 1 : 0), sep(sr - 1), sep(first));
            else if (first && sr)
                printf("  (W = 1: row %s reads no earlier row; the others keep only %s and\n"
                       "   reference none of the shared blocks: fewer rows computed, no bytes saved)\n",
                       sep(sr), sep(first));
        } else {
            /* §6.8 under a window (docs/serving.md): the donor must still hold what row s reads */
            printf("  P * floor(S / P) = %s rows match%s, but none is shared: a later prompt's\n"
                   "  first computed row (position %s) reads rows %s..%s, and sequence 0 kept\n"
                   "  only %s..%s (sharing needs s >= T - 1 or W = 1): s = 0, 0 blocks\n",
                   sep(mr), cap, sep(mr), sep(mr >= s->window ? mr - s->window + 1 : 0), sep(mr - 1), sep(first),
                   sep(T - 1));
        }
        char l1[96], l2[96], l3[96];
        snprintf(l1, sizeof l1, "without sharing  %s x %s = %s blocks", sep(B), sep(nb), sep(B * nb));
        snprintf(l2, sizeof l2, "with sharing     %s + %s x %s = %s blocks", sep(sb), sep(B), sep(nb - sb),
                 sep(sb + B * (nb - sb)));
        snprintf(l3, sizeof l3, "saved            (B - 1) x %s shared blocks", sep(sb));
        printf("  %-44s %19s B\n", l1, sep(r->prefix_kv_bytes_unshared));
        printf("  %-44s %19s B\n", l2, sep(r->prefix_kv_bytes_shared));
        printf("  %-44s %19s B  %.1f%%\n", l3, sep(r->prefix_kv_bytes_saved),
               r->prefix_kv_bytes_unshared ? 100.0 * (double)r->prefix_kv_bytes_saved / (double)r->prefix_kv_bytes_unshared
                                           : 0.0);
        printf("  prefill rows not computed  (B - 1) x s = %s\n", sep(r->prefix_prefill_rows_saved));
    }

    if (r->in.memory) {
        printf("\nMemory %s B (%s)\n", sep(r->in.memory), human(r->in.memory));
        printf("  (GiB = 2^30 B, GB = 10^9 B; activations and workspace are not counted)\n");
        if (!r->weights_fit) {
            printf("  the weights alone (%s B) do not fit: nothing is left for the cache\n",
                   sep(r->weights_bytes));
        } else {
            printf("  free after the weights  %s B (%s)\n", sep(r->memory_free), human(r->memory_free));
        }
        printf("  largest batch at T = %s: %s sequences (free / per sequence)\n", sep(T),
               sep(r->max_batch_at_context));
        if (r->context_unbounded)
            printf("  largest context at B = %s: unbounded (the window keeps %s positions)\n", sep(B),
                   sep(s->window));
        else
            printf("  largest context at B = %s: %s tokens (free / (B * per token))\n", sep(B),
                   sep(r->max_context_at_batch));
        printf("  cached positions in all: %s (batch x context <= this)\n", sep(r->max_tokens));
    }
}

static void json_macs(const char *name, const CalcMacs *m, bool last)
{
    printf("    \"%s\": {\"qkv\": %llu, \"scores\": %llu, \"values\": %llu, \"out_proj\": %llu, "
           "\"ffn\": %llu, \"lm_head\": %llu, \"total\": %llu}%s\n",
           name, (unsigned long long)m->qkv, (unsigned long long)m->scores, (unsigned long long)m->values,
           (unsigned long long)m->out_proj, (unsigned long long)m->ffn, (unsigned long long)m->lm_head,
           (unsigned long long)m->total, last ? "" : ",");
}

#define U(x) ((unsigned long long)(x))

static void print_json(const CalcResult *r, bool modified)
{
    const CalcShape *s = &r->shape;
    printf("{\n");
    printf("  \"model\": \"%s\", \"modified\": %s,\n", s->name, modified ? "true" : "false");
    printf("  \"source\": \"%s\",\n", s->source);
    printf("  \"shape\": {\"d_model\": %llu, \"n_layers\": %llu, \"n_heads\": %llu, \"n_kv_heads\": %llu, "
           "\"d_head\": %llu, \"d_ff\": %llu, \"ffn_matrices\": %llu, \"vocab\": %llu, \"window\": %llu, "
           "\"max_context\": %llu, \"pos_embeddings\": %llu, \"tied_embeddings\": %s, \"biases\": %s, "
           "\"norm\": \"%s\"},\n",
           U(s->d_model), U(s->n_layers), U(s->n_heads), U(s->n_kv_heads), U(r->d_head), U(s->d_ff),
           U(s->ffn_matrices), U(s->vocab), U(s->window), U(s->max_context), U(s->pos_embeddings),
           s->tied_embeddings ? "true" : "false", s->biases ? "true" : "false",
           s->norm == CALC_NORM_RMS ? "rms" : "layer");
    printf("  \"context\": %llu, \"batch\": %llu, \"dtype\": \"%s\", \"bytes_per_number\": %llu,\n",
           U(r->in.context), U(r->in.batch), calc_dtype_name(r->in.dtype), U(r->bytes_per_number));
    printf("  \"beyond_max_context\": %s,\n",
           s->max_context && r->in.context > s->max_context ? "true" : "false");
    printf("  \"kv_bytes_per_token\": %llu,\n", U(r->kv_bytes_per_token));
    printf("  \"kv_positions\": %llu,\n", U(r->kv_positions));
    printf("  \"kv_bytes_per_sequence\": %llu,\n", U(r->kv_bytes_per_sequence));
    printf("  \"kv_cache_bytes\": %llu,\n", U(r->kv_cache_bytes));
    printf("  \"params_per_layer\": %llu,\n", U(r->params_per_layer));
    printf("  \"params\": %llu,\n", U(r->params));
    printf("  \"weights_bytes\": %llu,\n", U(r->weights_bytes));
    printf("  \"macs\": {\n");
    json_macs("decode_cache", &r->decode_cache, false);
    json_macs("decode_nocache", &r->decode_nocache, false);
    json_macs("prefill", &r->prefill, true);
    printf("  },\n");
    printf("  \"flops_prefill\": %llu,\n", U(r->flops_prefill));
    if (r->flops_prefill % r->in.context == 0)
        printf("  \"flops_per_token_prefill\": %llu,\n", U(r->flops_prefill / r->in.context));
    else
        printf("  \"flops_per_token_prefill\": %.3f,\n", r->flops_per_token_prefill);
    printf("  \"flops_per_token_decode_cache\": %llu,\n", U(r->flops_decode_cache));
    printf("  \"flops_per_token_decode_nocache\": %llu,\n", U(r->flops_decode_nocache));
    printf("  \"decode_weight_bytes_read\": %llu,\n", U(r->decode_weight_bytes));
    printf("  \"decode_kv_bytes_read\": %llu,\n", U(r->decode_kv_read));
    printf("  \"decode_kv_bytes_written\": %llu,\n", U(r->decode_kv_written));
    printf("  \"decode_bytes_moved\": %llu,\n", U(r->decode_bytes));
    printf("  \"decode_flops\": %llu,\n", U(r->decode_flops));
    printf("  \"arithmetic_intensity\": %.6g,\n", r->decode_intensity);
    printf("  \"prefill_bytes_moved\": %llu,\n", U(r->prefill_bytes));
    printf("  \"prefill_flops\": %llu,\n", U(r->prefill_flops));
    printf("  \"prefill_arithmetic_intensity\": %.6g,\n", r->prefill_intensity);
    printf("  \"machine_balance\": %.6g,\n", r->in.balance);
    printf("  \"speculate\": %llu,\n  \"acceptance\": %.6g,\n  \"spec_tokens_per_step\": %.6g,\n", U(r->in.speculate),
           r->in.acceptance, r->spec_tokens_per_step);
    printf("  \"spec_steps\": %llu,\n  \"spec_steps_saved\": %llu,\n  \"spec_macs_ratio\": %.6g,\n", U(r->spec_steps),
           U(r->spec_steps_saved), r->spec_macs_ratio);
    printf("  \"shared_prefix\": %llu,\n  \"block_size\": %llu,\n  \"first_kept_position\": %llu,\n",
           U(r->in.shared_prefix), U(r->in.block_size), U(r->prefix_first_kept));
    printf("  \"shared_rows_matched\": %llu,\n  \"shared_rows\": %llu,\n  \"shared_blocks\": %llu,\n",
           U(r->prefix_matched_rows), U(r->prefix_shared_rows), U(r->prefix_shared_blocks));
    printf("  \"blocks_per_sequence\": %llu,\n  \"prefix_kv_bytes_unshared\": %llu,\n", U(r->prefix_blocks_per_sequence),
           U(r->prefix_kv_bytes_unshared));
    printf("  \"prefix_kv_bytes_shared\": %llu,\n  \"prefix_kv_bytes_saved\": %llu,\n", U(r->prefix_kv_bytes_shared),
           U(r->prefix_kv_bytes_saved));
    printf("  \"prefix_prefill_rows_saved\": %llu,\n", U(r->prefix_prefill_rows_saved));
    printf("  \"decode_bound\": \"%s\",\n", r->decode_memory_bound ? "memory" : "compute");
    printf("  \"prefill_bound\": \"%s\",\n", r->prefill_memory_bound ? "memory" : "compute");
    if (r->batch_for_balance)
        printf("  \"decode_batch_for_balance\": %llu", U(r->batch_for_balance));
    else
        printf("  \"decode_batch_for_balance\": null");
    if (r->in.memory) {
        printf(",\n  \"memory_bytes\": %llu,\n", U(r->in.memory));
        printf("  \"weights_fit\": %s,\n", r->weights_fit ? "true" : "false");
        printf("  \"memory_free_bytes\": %llu,\n", U(r->memory_free));
        printf("  \"max_batch_at_context\": %llu,\n", U(r->max_batch_at_context));
        if (r->context_unbounded) printf("  \"max_context_at_batch\": null,\n");
        else printf("  \"max_context_at_batch\": %llu,\n", U(r->max_context_at_batch));
        printf("  \"max_cached_tokens\": %llu", U(r->max_tokens));
    }
    printf("\n}\n");
}

#undef U

/* ---- the command ---------------------------------------------------- */

static int usage_error(const char *msg)
{
    return cli_bad_input(CMD_CALC, msg);
}

int calc_cmd_run(const CliOptions *o)
{
    char err[512];
    const CalcArgs *a = &o->calc;
    CalcShape s;
    bool modified;
    if (build_shape(a, &s, &modified, err, sizeof err)) return usage_error(err);
    if (a->block_set && !a->prefix_set)
        return usage_error("--block-size: goes with --shared-prefix S (the blocks of a shared prompt)");
    CalcInput in = a->in;
    if (!a->context_set) in.context = s.max_context ? s.max_context : CALC_CUSTOM_CONTEXT;
    CalcResult *r = malloc(sizeof *r);
    if (!r) {
        fprintf(stderr, "kvsim: out of memory\n");
        return 1;
    }
    if (calc_run(&s, &in, r, err, sizeof err)) {
        free(r);
        return usage_error(err);
    }
    if (a->json) print_json(r, modified);
    else print_table(r, a, modified);
    free(r);
    return 0;
}
