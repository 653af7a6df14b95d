/* test_calc: the real-model calculator against published figures, hand
 * arithmetic, and the simulator's own closed forms (sim/formulas.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/calc.h"
#include "sim/config.h"
#include "sim/formulas.h"
#include "sim/paged.h"
#include "sim/tokenizer.h"

#include <string.h>

static CalcInput input(uint64_t T, uint64_t B, CalcDtype t)
{
    CalcInput in = {.context = T, .batch = B, .dtype = t, .memory = 0, .balance = CALC_DEFAULT_BALANCE};
    return in;
}

/* calc_run on a built-in model (by name), asserting success. */
static CalcResult run_model(const char *name, uint64_t T, uint64_t B, CalcDtype t)
{
    const CalcShape *s = calc_find_model(name);
    assert_non_null(s);
    CalcInput in = input(T, B, t);
    CalcResult r;
    char err[256];
    int rc = calc_run(s, &in, &r, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    return r;
}

static CalcResult run_shape(const CalcShape *s, const CalcInput *in)
{
    CalcResult r;
    char err[256];
    int rc = calc_run(s, in, &r, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    return r;
}

/* Llama-2-7B fp16: 2·32·4096·2 = 524,288 B per token; 2 GiB at 4096 (spec §6.6). */
static void test_llama2_7b_published(void **state)
{
    (void)state;
    CalcResult r = run_model("llama-2-7b", 4096, 1, CALC_FP16);
    assert_int_equal(r.kv_bytes_per_token, 524288);
    assert_int_equal(r.kv_bytes_per_token, 2ULL * 32 * 4096 * 2);
    assert_int_equal(r.kv_cache_bytes, 2147483648ULL);
    assert_int_equal(r.kv_cache_bytes, 1ULL << 31);            /* 2 GiB */
    /* 6.74B parameters (meta-llama/Llama-2-7b-hf) */
    assert_int_equal(r.params, 6738415616ULL);
    assert_int_equal(r.weights_bytes, 2 * 6738415616ULL);
    /* the batch multiplies the cache, not the weights */
    CalcResult b8 = run_model("llama-2-7b", 4096, 8, CALC_FP16);
    assert_int_equal(b8.kv_cache_bytes, 8 * r.kv_cache_bytes);
    assert_int_equal(b8.weights_bytes, r.weights_bytes);
}

/* OPT-13B fp16: 2·40·5120·2 = 819,200 B per token ("800 KB"); "1.6 GB" at 2048
 * (vLLM / PagedAttention paper). */
static void test_opt13b_published(void **state)
{
    (void)state;
    CalcResult r = run_model("opt-13b", 2048, 1, CALC_FP16);
    assert_int_equal(r.kv_bytes_per_token, 819200);
    assert_int_equal(r.kv_bytes_per_token / 1024, 800);        /* 800 KiB exactly */
    assert_int_equal(r.kv_bytes_per_token % 1024, 0);
    assert_int_equal(r.kv_cache_bytes, 819200ULL * 2048);      /* 1,677,721,600 */
    assert_int_equal((r.kv_cache_bytes + (1ULL << 29)) >> 30, 2); /* 1.5625 GiB */
    assert_true(r.kv_cache_bytes >= 1550000000ULL && r.kv_cache_bytes < 1700000000ULL); /* ~1.6 GB */
}

/* "A 4096-wide, 32-layer model at 32k context in bf16: 17.2 GB with 32 KV
 * heads, 4.3 GB with 8" (curriculum). */
static void test_curriculum_32k_bf16(void **state)
{
    (void)state;
    CalcResult mha = run_model("llama-2-7b", 32768, 1, CALC_BF16);
    assert_int_equal(mha.kv_cache_bytes, 17179869184ULL);
    assert_int_equal((mha.kv_cache_bytes + 50000000) / 100000000, 172);   /* 17.2 GB */

    CalcShape s = *calc_find_model("llama-2-7b");
    s.n_kv_heads = 8;
    CalcInput in = input(32768, 1, CALC_BF16);
    CalcResult gqa = run_shape(&s, &in);
    assert_int_equal(gqa.kv_cache_bytes, 4294967296ULL);
    assert_int_equal((gqa.kv_cache_bytes + 50000000) / 100000000, 43);    /* 4.3 GB */

    /* Llama-3-8B is such a model with 8 KV heads */
    CalcResult l3 = run_model("llama-3-8b", 32768, 1, CALC_BF16);
    assert_int_equal(l3.kv_cache_bytes, 4294967296ULL);
}

/* Parameter counts published for each checkpoint (Hugging Face), and
 * OPT-125m through the OPT layout (checks biases, tied head, 2050 positions). */
static void test_parameter_counts(void **state)
{
    (void)state;
    uint64_t per_layer, total;
    assert_int_equal(calc_params(calc_find_model("gpt2"), &per_layer, &total), 0);
    assert_int_equal(total, 124439808ULL);
    assert_int_equal(per_layer, 7087872ULL);
    assert_int_equal(calc_params(calc_find_model("llama-3-8b"), NULL, &total), 0);
    assert_int_equal(total, 8030261248ULL);
    assert_int_equal(calc_params(calc_find_model("mistral-7b"), NULL, &total), 0);
    assert_int_equal(total, 7241732096ULL);
    /* OPT-13B by hand: 50272·5120 + 2050·5120 + 40·(4·(5120²+5120) + 2·5120·20480 + 20480 + 5120
     * + 4·5120) + 2·5120 */
    const uint64_t d = 5120, F = 20480;
    const uint64_t layer = 4 * (d * d + d) + 2 * d * F + F + d + 4 * d;
    assert_int_equal(calc_params(calc_find_model("opt-13b"), &per_layer, &total), 0);
    assert_int_equal(per_layer, layer);
    assert_int_equal(total, 50272 * d + 2050 * d + 40 * layer + 2 * d);
    assert_int_equal(total, 12853473280ULL);

    CalcShape opt125 = *calc_find_model("opt-13b");
    opt125.d_model = 768;
    opt125.n_layers = 12;
    opt125.n_heads = opt125.n_kv_heads = 12;
    opt125.d_ff = 3072;
    assert_int_equal(calc_params(&opt125, NULL, &total), 0);
    assert_int_equal(total, 125239296ULL);                  /* facebook/opt-125m */
}

/* GQA: Hkv KV heads make the cache Hkv/H of multi-head; MQA 1/H. */
static void test_gqa_mqa_ratio(void **state)
{
    (void)state;
    CalcShape s = *calc_find_model("llama-3-8b");
    CalcInput in = input(8192, 1, CALC_FP16);
    CalcResult gqa = run_shape(&s, &in);
    s.n_kv_heads = 32;
    CalcResult mha = run_shape(&s, &in);
    s.n_kv_heads = 1;
    CalcResult mqa = run_shape(&s, &in);
    assert_int_equal(gqa.kv_bytes_per_token, 131072);            /* 2·32·8·128·2 */
    assert_int_equal(mha.kv_bytes_per_token, 4 * gqa.kv_bytes_per_token);
    assert_int_equal(mha.kv_bytes_per_token, 32 * mqa.kv_bytes_per_token);
    assert_int_equal(mha.kv_cache_bytes, 4 * gqa.kv_cache_bytes);
    /* fewer K/V heads: smaller K and V projections, same attention work */
    assert_true(gqa.decode_cache.qkv < mha.decode_cache.qkv);
    assert_int_equal(gqa.decode_cache.scores, mha.decode_cache.scores);
    /* qkv = n·d² + 2·n·d·(Hkv·d_h) per layer */
    assert_int_equal(gqa.decode_cache.qkv, 32ULL * (4096ULL * 4096 + 2ULL * 4096 * 1024));
}

/* A sliding window caps the cache at W positions and a decode row's work. */
static void test_window_caps_cache(void **state)
{
    (void)state;
    CalcResult at_w = run_model("mistral-7b", 4096, 1, CALC_FP16);
    CalcResult past = run_model("mistral-7b", 32768, 1, CALC_FP16);
    CalcResult below = run_model("mistral-7b", 1000, 1, CALC_FP16);
    assert_int_equal(past.kv_positions, 4096);
    assert_int_equal(past.kv_cache_bytes, at_w.kv_cache_bytes);
    assert_int_equal(past.kv_cache_bytes, 4096ULL * 131072);
    assert_int_equal(below.kv_positions, 1000);
    assert_int_equal(below.kv_cache_bytes, 1000ULL * 131072);
    /* decode: scores = values = min(t, W)·d per layer */
    assert_int_equal(past.decode_cache.scores, 32ULL * 4096 * 4096);
    assert_int_equal(past.decode_cache.total, at_w.decode_cache.total);
    assert_int_equal(below.decode_cache.scores, 32ULL * 1000 * 4096);
    /* the same shape without the window keeps every position */
    CalcShape s = *calc_find_model("mistral-7b");
    s.window = 0;
    CalcInput in = input(32768, 1, CALC_FP16);
    CalcResult nowin = run_shape(&s, &in);
    assert_int_equal(nowin.kv_cache_bytes, 8 * past.kv_cache_bytes);
    /* with a window, memory for any context is reachable once B·W fits */
    in.memory = 80ULL << 30;
    CalcResult fit = run_shape(calc_find_model("mistral-7b"), &in);
    assert_true(fit.context_unbounded);
    in.batch = 1000;   /* 1000 · 512 MiB does not fit in 80 GiB */
    fit = run_shape(calc_find_model("mistral-7b"), &in);
    assert_false(fit.context_unbounded);
    assert_true(fit.max_context_at_batch < 4096);
}

static void test_dtype_sizes(void **state)
{
    (void)state;
    assert_int_equal(calc_dtype_bytes(CALC_FP32), 4);
    assert_int_equal(calc_dtype_bytes(CALC_FP16), 2);
    assert_int_equal(calc_dtype_bytes(CALC_BF16), 2);
    assert_int_equal(calc_dtype_bytes(CALC_INT8), 1);
    CalcDtype t;
    assert_int_equal(calc_parse_dtype("bf16", &t), 0);
    assert_int_equal(t, CALC_BF16);
    assert_int_equal(calc_parse_dtype("fp8", &t), -1);
    CalcResult f32 = run_model("llama-2-7b", 4096, 1, CALC_FP32);
    CalcResult f16 = run_model("llama-2-7b", 4096, 1, CALC_FP16);
    CalcResult b16 = run_model("llama-2-7b", 4096, 1, CALC_BF16);
    CalcResult i8 = run_model("llama-2-7b", 4096, 1, CALC_INT8);
    assert_int_equal(f32.kv_bytes_per_token, 1048576);
    assert_int_equal(b16.kv_bytes_per_token, f16.kv_bytes_per_token);
    assert_int_equal(i8.kv_bytes_per_token, 262144);
    assert_int_equal(f32.weights_bytes, 4 * i8.weights_bytes);
    assert_int_equal(b16.weights_bytes, f16.weights_bytes);
    /* work does not depend on the dtype */
    assert_int_equal(f32.flops_decode_cache, i8.flops_decode_cache);
}

static void test_overflow_refused(void **state)
{
    (void)state;
    char err[256];
    CalcResult r;
    CalcInput in = input(CALC_MAX_VALUE, 1, CALC_FP16);   /* prefill T·T·d overflows */
    assert_int_equal(calc_run(calc_find_model("gpt2"), &in, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "overflow"));
    assert_null(strchr(err, '\n'));
    in = input(1000000, CALC_MAX_VALUE, CALC_FP16);       /* the batch's cache overflows */
    assert_int_equal(calc_run(calc_find_model("gpt2"), &in, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "overflow"));
    CalcShape s = calc_custom_shape();
    s.d_model = CALC_MAX_VALUE;
    s.n_heads = s.n_kv_heads = s.n_layers = s.d_ff = s.vocab = 1;
    in = input(1, 1, CALC_FP16);
    assert_int_equal(calc_run(&s, &in, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "overflow"));
    /* the largest context that still fits is computed, not refused */
    in = input(1000000, 1, CALC_FP16);
    assert_int_equal(calc_run(calc_find_model("gpt2"), &in, &r, err, sizeof err), 0);
    in.context = 0;
    assert_int_equal(calc_run(calc_find_model("gpt2"), &in, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "--context 0"));
}

static void test_shape_checks(void **state)
{
    (void)state;
    char err[256];
    CalcShape s = *calc_find_model("llama-2-7b");
    assert_int_equal(calc_check_shape(&s, err, sizeof err), 0);
    s.n_heads = 3;
    s.n_kv_heads = 3;
    assert_int_equal(calc_check_shape(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "--heads 3"));
    s = *calc_find_model("llama-3-8b");
    s.n_kv_heads = 5;
    assert_int_equal(calc_check_shape(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "--kv-heads 5"));
    s = *calc_find_model("gpt2");
    s.ffn_matrices = 4;
    assert_int_equal(calc_check_shape(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "--ffn-matrices 4"));
    s = calc_custom_shape();
    s.d_model = 8;
    assert_int_equal(calc_check_shape(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "--layers"));
}

static void test_models_table(void **state)
{
    (void)state;
    assert_int_equal(calc_model_count(), 5);
    const char *names[] = {"gpt2", "llama-2-7b", "llama-3-8b", "mistral-7b", "opt-13b"};
    char err[256];
    for (size_t i = 0; i < 5; i++) {
        const CalcShape *s = calc_find_model(names[i]);
        assert_non_null(s);
        assert_ptr_equal(s, calc_model(i));
        assert_true(strlen(s->source) > 10);
        assert_int_equal(calc_check_shape(s, err, sizeof err), 0);
    }
    assert_null(calc_find_model("gpt-5"));
    assert_null(calc_model(5));
    char buf[256];
    calc_model_names(buf, sizeof buf);
    assert_string_equal(buf, "gpt2, llama-2-7b, llama-3-8b, mistral-7b, opt-13b");
    /* the shapes of the brief */
    const CalcShape *g = calc_find_model("gpt2");
    assert_true(g->d_model == 768 && g->n_layers == 12 && g->n_heads == 12 && g->d_ff == 3072 &&
                g->vocab == 50257 && g->max_context == 1024 && g->ffn_matrices == 2);
    const CalcShape *m = calc_find_model("mistral-7b");
    assert_true(m->n_kv_heads == 8 && m->window == 4096 && m->max_context == 32768 &&
                m->ffn_matrices == 3 && m->d_ff == 14336 && m->vocab == 32000);
}

static void test_parse_bytes(void **state)
{
    (void)state;
    char err[256];
    uint64_t v;
    assert_int_equal(calc_parse_bytes("80GiB", &v, err, sizeof err), 0);
    assert_int_equal(v, 85899345920ULL);
    assert_int_equal(calc_parse_bytes("80GB", &v, err, sizeof err), 0);
    assert_int_equal(v, 80000000000ULL);
    assert_int_equal(calc_parse_bytes("512MiB", &v, err, sizeof err), 0);
    assert_int_equal(v, 512ULL << 20);
    assert_int_equal(calc_parse_bytes("512MB", &v, err, sizeof err), 0);
    assert_int_equal(v, 512000000ULL);
    assert_int_equal(calc_parse_bytes("1.5GiB", &v, err, sizeof err), 0);
    assert_int_equal(v, 1610612736ULL);
    assert_int_equal(calc_parse_bytes("80 gib", &v, err, sizeof err), 0);
    assert_int_equal(v, 85899345920ULL);
    assert_int_equal(calc_parse_bytes("1000B", &v, err, sizeof err), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(calc_parse_bytes("1000", &v, err, sizeof err), 0);
    assert_int_equal(v, 1000);
    const char *bad[] = {"", "GiB", "80XB", "-1GB", "80GiBs", "8 0GB", ".GB", "99999999999TB",
                         "18446744073709551616", "0GB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(calc_parse_bytes(bad[i], &v, err, sizeof err), -1);
        assert_non_null(strstr(err, "--memory"));
    }
}

/* Llama-2-7B at t = 4096, worked by hand (per layer, n = 1):
 * qkv 3·4096² = 50,331,648; scores = values = 4096·4096 = 16,777,216;
 * out 16,777,216; ffn 3·4096·11008 = 135,266,304 → 235,929,600 per layer,
 * ×32 = 7,549,747,200, + head 4096·32000 = 131,072,000 → 7,680,819,200. */
static void test_llama2_decode_by_hand(void **state)
{
    (void)state;
    CalcResult r = run_model("llama-2-7b", 4096, 1, CALC_FP16);
    assert_int_equal(r.decode_cache.total, 7680819200ULL);
    assert_int_equal(r.flops_decode_cache, 15361638400ULL);
    assert_int_equal(r.decode_cache.ffn, 32ULL * 3 * 4096 * 11008);
    /* without the cache the step is the whole forward over t positions */
    assert_int_equal(r.decode_nocache.scores, 32ULL * 4096 * 4096 * 4096);
    assert_int_equal(r.flops_decode_nocache, r.flops_prefill);
    /* decode traffic: every weight but the embedding table, once, + one row;
     * the cache of 4096 positions; one new position */
    assert_int_equal(r.decode_weight_bytes, 2 * (6738415616ULL - 32000ULL * 4096) + 2 * 4096);
    assert_int_equal(r.decode_kv_read, 2147483648ULL);
    assert_int_equal(r.decode_kv_written, 524288);
    assert_int_equal(r.decode_bytes, r.decode_weight_bytes + r.decode_kv_read + r.decode_kv_written);
    /* about 1 FLOP per byte at batch 1 in fp16: memory-bound on any GPU */
    assert_true(r.decode_intensity > 0.99 && r.decode_intensity < 1.01);
    assert_true(r.decode_memory_bound);
    assert_false(r.prefill_memory_bound);
}

/* batch_for_balance is the first batch whose decode intensity reaches it. */
static void test_batch_for_balance(void **state)
{
    (void)state;
    const char *names[] = {"gpt2", "llama-2-7b", "llama-3-8b", "mistral-7b", "opt-13b"};
    const uint64_t contexts[] = {1, 128, 512};
    int found = 0;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 3; j++) {
            CalcResult r = run_model(names[i], contexts[j], 1, CALC_BF16);
            if (!r.batch_for_balance) continue;
            found++;
            CalcResult at = run_model(names[i], contexts[j], r.batch_for_balance, CALC_BF16);
            assert_true(at.decode_intensity >= CALC_DEFAULT_BALANCE * (1 - 1e-12));
            if (r.batch_for_balance > 1) {
                CalcResult below = run_model(names[i], contexts[j], r.batch_for_balance - 1, CALC_BF16);
                assert_true(below.decode_intensity < CALC_DEFAULT_BALANCE);
            }
        }
    assert_true(found > 0);
    /* docs/calc.md §6.4: Llama-3-8B in bf16 at T = 128 reaches 295 FLOP/byte at B = 440 */
    assert_int_equal(run_model("llama-3-8b", 128, 1, CALC_BF16).batch_for_balance, 440);
    assert_true(run_model("llama-3-8b", 128, 440, CALC_BF16).decode_intensity >= CALC_DEFAULT_BALANCE);
    assert_true(run_model("llama-3-8b", 128, 439, CALC_BF16).decode_intensity < CALC_DEFAULT_BALANCE);
    /* Llama-2-7B at 4096: its own cache traffic keeps decode memory-bound at any batch */
    assert_int_equal(run_model("llama-2-7b", 4096, 1, CALC_BF16).batch_for_balance, 0);
}

static void test_memory_fit(void **state)
{
    (void)state;
    CalcInput in = input(4096, 1, CALC_FP16);
    in.memory = 80ULL << 30;
    CalcResult r = run_shape(calc_find_model("llama-2-7b"), &in);
    assert_true(r.weights_fit);
    assert_int_equal(r.memory_free, (80ULL << 30) - 13476831232ULL);
    assert_int_equal(r.max_batch_at_context, 33);
    const uint64_t b = r.max_batch_at_context;
    assert_true(r.weights_bytes + b * r.kv_bytes_per_sequence <= in.memory);
    assert_true(r.weights_bytes + (b + 1) * r.kv_bytes_per_sequence > in.memory);
    assert_int_equal(r.max_context_at_batch, r.memory_free / 524288);
    assert_int_equal(r.max_tokens, r.memory_free / 524288);
    /* GiB vs GB: 80 GB holds fewer sequences */
    in.memory = 80000000000ULL;
    r = run_shape(calc_find_model("llama-2-7b"), &in);
    assert_int_equal(r.max_batch_at_context, 30);
    /* weights that do not fit leave nothing */
    in = input(2048, 1, CALC_FP32);
    in.memory = 40000000000ULL;
    r = run_shape(calc_find_model("opt-13b"), &in);
    assert_false(r.weights_fit);
    assert_int_equal(r.memory_free, 0);
    assert_int_equal(r.max_batch_at_context, 0);
    assert_int_equal(r.max_context_at_batch, 0);
}

/* The calculator and the simulator's closed forms agree on small shapes:
 * decode MACs at t (cache mode, step k >= 1), recompute MACs at t, prefill
 * MACs, and the cache bytes in fp32 — for Hkv in {1, H/2, H} and windows
 * smaller and larger than the context. */
static void test_agrees_with_formulas(void **state)
{
    (void)state;
    const int kvh[] = {1, 2, 4};   /* H = 4: multi-query, grouped, multi-head */
    const int windows[] = {0, 3, 7, 1000};
    for (int a = 0; a < 3; a++)
        for (int w = 0; w < 4; w++) {
            KvConfig cfg = config_default();
            cfg.d_model = 8;
            cfg.n_heads = 4;
            cfg.n_kv_heads = kvh[a];
            cfg.n_layers = 2;
            cfg.d_ff = 32;
            cfg.vocab = tokenizer_vocab();
            cfg.window = windows[w];
            CalcShape s = calc_custom_shape();
            s.d_model = 8;
            s.n_heads = (uint64_t)cfg.n_heads;
            s.n_kv_heads = (uint64_t)cfg.n_kv_heads;
            s.n_layers = 2;
            s.d_ff = 32;
            s.vocab = (uint64_t)tokenizer_vocab();
            s.window = (uint64_t)cfg.window;
            s.ffn_matrices = 2;
            assert_int_equal(s.vocab, 1073);
            for (int L = 1; L <= 9; L++)
                for (int k = 0; k <= 9; k++) {
                    const uint64_t t = (uint64_t)(L + k);
                    OpCounts f;
                    CalcMacs m;
                    if (k > 0) {
                        formulas_step(&cfg, MODE_CACHE, L, k, &f);
                        assert_int_equal(calc_decode_macs(&s, t, &m), 0);
                    } else {
                        formulas_step(&cfg, MODE_CACHE, L, 0, &f);   /* prefill */
                        assert_int_equal(calc_forward_macs(&s, t, &m), 0);
                    }
                    assert_int_equal(m.qkv, f.mac[CAT_QKV]);
                    assert_int_equal(m.scores, f.mac[CAT_SCORES]);
                    assert_int_equal(m.values, f.mac[CAT_VALUES]);
                    assert_int_equal(m.out_proj, f.mac[CAT_OUT_PROJ]);
                    assert_int_equal(m.ffn, f.mac[CAT_FFN]);
                    assert_int_equal(m.lm_head, f.mac[CAT_LM_HEAD]);
                    assert_int_equal(m.total, counts_total(&f));

                    formulas_step(&cfg, MODE_RECOMPUTE, L, k, &f);
                    assert_int_equal(calc_forward_macs(&s, t, &m), 0);
                    assert_int_equal(m.total, counts_total(&f));
                    assert_int_equal(m.scores, f.mac[CAT_SCORES]);

                    CalcInput in = input(t, 1, CALC_FP32);
                    CalcResult r = run_shape(&s, &in);
                    assert_int_equal(r.kv_cache_bytes, formulas_kv_bytes(&cfg, MODE_CACHE, L, k));
                    assert_int_equal(r.kv_bytes_per_token * r.kv_positions,
                                     formulas_kv_bytes(&cfg, MODE_CACHE, L, k));
                    assert_int_equal(r.flops_decode_cache, 2 * r.decode_cache.total);
                }
        }
}

/* The brief's demo shape: d=8, H=2, Lyr=2, F=32, V=1073, ffn_matrices=2. */
static void test_demo_shape(void **state)
{
    (void)state;
    KvConfig cfg = config_default();
    cfg.vocab = tokenizer_vocab();
    CalcShape s = calc_custom_shape();
    s.d_model = 8;
    s.n_heads = s.n_kv_heads = 2;
    s.n_layers = 2;
    s.d_ff = 32;
    s.vocab = 1073;
    for (int L = 1; L <= 20; L++)
        for (int k = 1; k <= 20; k++) {
            OpCounts f;
            CalcMacs m;
            formulas_step(&cfg, MODE_CACHE, L, k, &f);
            assert_int_equal(calc_decode_macs(&s, (uint64_t)(L + k), &m), 0);
            assert_int_equal(m.total, counts_total(&f));
            CalcInput in = input((uint64_t)(L + k), 1, CALC_FP32);
            CalcResult r = run_shape(&s, &in);
            assert_int_equal(r.kv_bytes_per_token * (uint64_t)(L + k), formulas_kv_bytes(&cfg, MODE_CACHE, L, k));
        }
    /* decode step 1 of an 18-token prompt, as in test_formulas: 384+304+304+128+1024 per
     * model, + 8·1073 */
    CalcMacs m;
    assert_int_equal(calc_decode_macs(&s, 19, &m), 0);
    assert_int_equal(m.total, 384 + 304 + 304 + 128 + 1024 + 8 * 1073);
}

/* Prefix sharing (§6.8) in calc: the rule is the simulator's
 * formulas_shared_rows; Llama-2-7B by hand; the cap; the bytes add up. */
static void test_prefix_sharing(void **state)
{
    (void)state;
    /* 1. the same rule as the simulator, on every small case */
    KvConfig cfg = config_default();
    for (int P = 1; P <= 12; P++)
        for (int L = 1; L <= 40; L++)
            for (int c = 0; c <= 45; c++) {
                cfg.block_size = P;
                assert_int_equal(calc_shared_rows((uint64_t)c, (uint64_t)P, (uint64_t)L),
                                 (uint64_t)formulas_shared_rows(&cfg, L, c));
            }
    assert_int_equal(calc_shared_rows(100, 0, 50), 0);
    assert_int_equal(calc_shared_rows(100, 16, 0), 0);

    /* 2. Llama-2-7B fp16, 8 sequences of 4096 tokens, a 1,000-token system
     * prompt, blocks of 16: s = 16·62 = 992 rows in 62 blocks; a block is
     * 16·524,288 = 8,388,608 B; 256 blocks a sequence */
    const CalcShape *ll = calc_find_model("llama-2-7b");
    assert_non_null(ll);
    CalcInput in = input(4096, 8, CALC_FP16);
    in.shared_prefix = 1000;
    CalcResult r = run_shape(ll, &in);
    assert_int_equal(r.in.block_size, CALC_DEFAULT_BLOCK_SIZE);
    assert_int_equal(r.prefix_shared_rows, 992);
    assert_int_equal(r.prefix_shared_blocks, 62);
    assert_int_equal(r.prefix_blocks_per_sequence, 256);
    assert_int_equal(r.prefix_kv_bytes_unshared, 17179869184ULL);            /* 8·256·8,388,608 = 16 GiB */
    assert_int_equal(r.prefix_kv_bytes_shared, (62ULL + 8 * 194) * 8388608ULL);   /* 13,539,213,312 */
    assert_int_equal(r.prefix_kv_bytes_saved, 7ULL * 992 * 524288);        /* 3,640,655,872 */
    assert_int_equal(r.prefix_prefill_rows_saved, 7 * 992);
    /* without sharing the block bytes are the exact cache when P divides T */
    assert_int_equal(r.prefix_kv_bytes_unshared, r.kv_cache_bytes);

    /* 3. the cap: a prompt that is all shared blocks keeps its last row to
     * compute; its blocks are all shared (T = 96, S = 96, P = 16: s = 95) */
    CalcShape g = *calc_find_model("gpt2");
    in = input(96, 3, CALC_FP32);
    in.shared_prefix = 96;
    r = run_shape(&g, &in);
    assert_int_equal(r.prefix_shared_rows, 95);
    assert_int_equal(r.prefix_shared_blocks, 6);
    assert_int_equal(r.prefix_kv_bytes_shared, 6 * 16 * r.kv_bytes_per_token);
    assert_int_equal(r.prefix_kv_bytes_saved, 2 * 6 * 16 * r.kv_bytes_per_token);

    /* 4. on every model, batch, prefix and block size: unshared − shared =
     * saved = (B − 1)·shared blocks·P·bytes per token; one sequence saves
     * nothing; no shared prefix, nothing */
    for (size_t m = 0; m < calc_model_count(); m++)
        for (uint64_t B = 1; B <= 5; B++)
            for (uint64_t S = 0; S <= 300; S += 37)
                for (uint64_t P = 1; P <= 64; P *= 4) {
                    CalcShape sh = *calc_model(m);
                    sh.window = 0;
                    in = input(300, B, CALC_BF16);
                    in.shared_prefix = S;
                    in.block_size = P;
                    r = run_shape(&sh, &in);
                    assert_int_equal(r.prefix_kv_bytes_unshared - r.prefix_kv_bytes_shared, r.prefix_kv_bytes_saved);
                    assert_int_equal(r.prefix_kv_bytes_saved,
                                     (B - 1) * r.prefix_shared_blocks * P * r.kv_bytes_per_token);
                    assert_int_equal(r.prefix_blocks_per_sequence, (300 + P - 1) / P);
                    assert_true(r.prefix_shared_rows <= S && r.prefix_shared_rows % P == 0);
                    if (B == 1 || S < P) assert_int_equal(r.prefix_kv_bytes_saved, 0);
                }

    /* 5. refused, one line each */
    char err[256];
    in = input(100, 2, CALC_FP16);
    in.shared_prefix = 101;
    assert_int_equal(calc_run(ll, &in, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "--shared-prefix 101: longer than --context 100"));
    const CalcShape *mi = calc_find_model("mistral-7b");   /* W = 4096 */
    in = input(4096, 2, CALC_FP16);   /* the window never evicts: sharing is as without it */
    in.shared_prefix = 40;   /* two full blocks of 16 */
    assert_int_equal(calc_run(mi, &in, &r, err, sizeof err), 0);
    assert_int_equal(r.prefix_kv_bytes_saved, 2 * 16 * r.kv_bytes_per_token);
}

/* Prefix sharing under a window W < T (docs/calc.md §3.8): the pool right
 * after the prefills, by hand on Mistral-7B, and against the simulator's
 * own rule (paged_prefix_held) and pool closed form (formulas_pool_blocks)
 * on every small case. */
static void test_prefix_sharing_window(void **state)
{
    (void)state;
    /* 1. calc_prefix_held is paged_prefix_held in 64 bits */
    for (int rows = 0; rows <= 40; rows++)
        for (int L = 1; L <= 40; L++)
            for (int W = 0; W <= 45; W++)
                assert_int_equal(calc_prefix_held((uint64_t)rows, (uint64_t)L, (uint64_t)W),
                                 paged_prefix_held(rows, L, W));
    assert_true(calc_prefix_held(CALC_MAX_VALUE - 1, CALC_MAX_VALUE, 2));
    assert_false(calc_prefix_held(CALC_MAX_VALUE - 2, CALC_MAX_VALUE, 2));

    /* 2. Mistral-7B fp16 (W = 4096, 131,072 B a token, 2 MiB a block of
     * 16), 8 sequences of T = 8192: each keeps 4096..8191, 256 blocks */
    const CalcShape *mi = calc_find_model("mistral-7b");
    assert_non_null(mi);
    CalcInput in = input(8192, 8, CALC_FP16);
    in.shared_prefix = 1000;   /* 992 rows match; row 992 reads 0..991, long gone */
    CalcResult r = run_shape(mi, &in);
    assert_int_equal(r.kv_bytes_per_token, 131072);
    assert_int_equal(r.prefix_first_kept, 4096);
    assert_int_equal(r.prefix_matched_rows, 992);
    assert_int_equal(r.prefix_shared_rows, 0);
    assert_int_equal(r.prefix_shared_blocks, 0);
    assert_int_equal(r.prefix_blocks_per_sequence, 256);
    assert_int_equal(r.prefix_kv_bytes_unshared, 8ULL * 256 * 16 * 131072);   /* 4 GiB */
    assert_int_equal(r.prefix_kv_bytes_shared, r.prefix_kv_bytes_unshared);
    assert_int_equal(r.prefix_kv_bytes_saved, 0);
    assert_int_equal(r.prefix_prefill_rows_saved, 0);
    in.shared_prefix = 8192;   /* the same prompt: s = 8191 (the cap), kept: blocks 256..511 */
    r = run_shape(mi, &in);
    assert_int_equal(r.prefix_shared_rows, 8191);
    assert_int_equal(r.prefix_shared_blocks, 256);
    assert_int_equal(r.prefix_kv_bytes_shared, 256ULL * 16 * 131072);        /* 512 MiB */
    assert_int_equal(r.prefix_kv_bytes_saved, 7ULL * 256 * 16 * 131072);     /* 3,758,096,384 */
    assert_int_equal(r.prefix_prefill_rows_saved, 7 * 8191);
    in.context = 8200;   /* the window straddles blocks: 4104..8199 lie in blocks 256..512 */
    in.shared_prefix = 8199;   /* s = 16·512 = 8192 < T − 1: refused */
    r = run_shape(mi, &in);
    assert_int_equal(r.prefix_blocks_per_sequence, 257);
    assert_int_equal(r.prefix_matched_rows, 8192);
    assert_int_equal(r.prefix_shared_rows, 0);
    CalcShape w1 = *mi;
    w1.window = 1;   /* W = 1: the rows are taken, but the others keep only their own last row */
    in = input(8192, 8, CALC_FP16);
    in.shared_prefix = 8192;
    r = run_shape(&w1, &in);
    assert_int_equal(r.prefix_shared_rows, 8191);
    assert_int_equal(r.prefix_shared_blocks, 0);
    assert_int_equal(r.prefix_blocks_per_sequence, 1);
    assert_int_equal(r.prefix_kv_bytes_saved, 0);
    assert_int_equal(r.prefix_prefill_rows_saved, 7 * 8191);

    /* 3. the simulator's closed forms on every small case: shared rows are
     * formulas_shared_rows_held's with sequence 0 as the donor, and the
     * reserved blocks formulas_pool_blocks' after step 0 (the prefills) */
    KvConfig cfg = config_default();
    CalcShape tiny = calc_custom_shape();
    tiny.d_model = 8, tiny.n_heads = 2, tiny.n_kv_heads = 2, tiny.n_layers = 2, tiny.d_ff = 32, tiny.vocab = 1073;
    enum { NB = 4 };
    int L[NB], sh[NB], donor[NB];
    for (int T = 1; T <= 24; T++)
        for (int S = 1; S <= T; S++)
            for (int P = 1; P <= 9; P++)
                for (int W = 0; W <= T + 1; W++) {
                    cfg.block_size = P;
                    cfg.window = W;
                    tiny.window = (uint64_t)W;
                    in = input((uint64_t)T, NB, CALC_FP32);
                    in.shared_prefix = (uint64_t)S;
                    in.block_size = (uint64_t)P;
                    r = run_shape(&tiny, &in);
                    const int s = formulas_shared_rows_held(&cfg, T, S, T);
                    assert_int_equal(r.prefix_shared_rows, (uint64_t)s);
                    for (int q = 0; q < NB; q++) L[q] = T, sh[q] = q ? s : 0, donor[q] = q && s ? 0 : -1;
                    const uint64_t block_bytes = (uint64_t)P * r.kv_bytes_per_token;
                    assert_int_equal(r.prefix_kv_bytes_shared, formulas_pool_blocks(&cfg, NB, L, sh, donor, 0) * block_bytes);
                    for (int q = 0; q < NB; q++) sh[q] = 0, donor[q] = -1;
                    assert_int_equal(r.prefix_kv_bytes_unshared, formulas_pool_blocks(&cfg, NB, L, sh, donor, 0) * block_bytes);
                    assert_int_equal(r.prefix_kv_bytes_unshared - r.prefix_kv_bytes_shared, r.prefix_kv_bytes_saved);
                    assert_int_equal(r.prefix_prefill_rows_saved, (NB - 1) * (uint64_t)s);
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama2_7b_published),
        cmocka_unit_test(test_opt13b_published),
        cmocka_unit_test(test_curriculum_32k_bf16),
        cmocka_unit_test(test_parameter_counts),
        cmocka_unit_test(test_gqa_mqa_ratio),
        cmocka_unit_test(test_window_caps_cache),
        cmocka_unit_test(test_dtype_sizes),
        cmocka_unit_test(test_overflow_refused),
        cmocka_unit_test(test_shape_checks),
        cmocka_unit_test(test_models_table),
        cmocka_unit_test(test_parse_bytes),
        cmocka_unit_test(test_llama2_decode_by_hand),
        cmocka_unit_test(test_batch_for_balance),
        cmocka_unit_test(test_memory_fit),
        cmocka_unit_test(test_agrees_with_formulas),
        cmocka_unit_test(test_demo_shape),
        cmocka_unit_test(test_prefix_sharing),
        cmocka_unit_test(test_prefix_sharing_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
