/* shipped_answers: the independent answers of the shipped lessons'
 * questions, for tests/test_lessons_shipped.c: a slide's Shape, the closed
 * forms written here from the spec (§4 MACs, §6.5 traffic, §6.6 published
 * shapes, §6.7 chunks, §6.8 shared prefixes, paged blocks), speculative
 * decoding replayed from the §6.9 prompt-lookup rule on a plain run's
 * greedy tokens, the trained model's induction head (lesson 14) and the
 * continuation lesson 1 quotes, measured on engines run here; expected()
 * gives the answer of question q of lesson n. Kept out of the suite so
 * that the suite reads as the player and the checks. Header only: one
 * translation unit includes it. */
#ifndef KVSIM_SHIPPED_ANSWERS_H
#define KVSIM_SHIPPED_ANSWERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lessons/lesson.h"
#include "lessons/weights.h"
#include "sim/run.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* What a slide's state gives the closed forms (W = 0: no window; B = 0:
 * no paging). */
typedef struct {
    double d, H, Lyr, F, V, L, G, k, Hkv, W, B, C;   /* C: chunk (0: none) */
    int nseq;                       /* prompts of the batch (1 + prompt: lines after the first) */
    double Ls[LESSON_MAX_PROMPTS];  /* their lengths */
    double S[LESSON_MAX_PROMPTS];   /* rows each takes from an earlier prompt (§6.8), 0 without
                                       prefix-cache=on */
} Shape;

/* Spec §6.8 from the token ids alone: the longest common prefix c with
 * any earlier prompt, its full blocks B·⌊c/B⌋, at most L − 1 rows. */
static inline double prefix_rows(int ids[][64], const int *L, int s, int B)
{
    double best = 0;
    for (int j = 0; j < s; j++) {
        int c = 0;
        while (c < L[j] && c < L[s] && ids[j][c] == ids[s][c]) c++;
        double rows = (double)B * (c / B);
        if (rows > L[s] - 1) rows = L[s] - 1;
        if (rows > best) best = rows;
    }
    return best;
}

/* Rows a sequence of prompt length L computes in its step k (spec §6.7):
 * chunk k while the prompt lasts (the whole prompt without chunks, C = 0),
 * then one decode row per step. */
static inline double chunk_rows(double L, double C, int k)
{
    const double chunks = C > 0 ? ceil(L / C) : 1;
    if (k >= chunks) return 1;
    if (C <= 0) return L;
    return L - k * C < C ? L - k * C : C;
}

/* Speculative decoding (spec §6.9) replayed on the greedy tokens of a
 * plain run: what each step drafts and accepts follows from the token
 * sequence and the prompt-lookup rule alone. Filled by play() for the
 * lesson that speculates (its slide's prompt, G and K). */
#define SPEC_MAX 64
static struct {
    int steps;              /* steps the run takes */
    int drafted[SPEC_MAX];  /* per step */
    int accepted[SPEC_MAX];
    int kept[SPEC_MAX];     /* cache positions after the step */
} spec;

/* The drafts for seq[0..T-1], written from §6.9 (not the engine's code):
 * the longest suffix of length 3, 2 or 1 that occurred before, its latest
 * earlier start, and up to max_k tokens that followed it. */
static inline int spec_lookup(const int *seq, int T, int max_k, int *out)
{
    for (int len = 3; len >= 1; len--) {
        if (T - len - 1 < 0) continue;
        for (int i = T - len - 1; i >= 0; i--) {
            bool same = true;
            for (int j = 0; j < len && same; j++) same = seq[i + j] == seq[T - len + j];
            if (!same) continue;
            int k = 0;
            while (i + len + k < T && k < max_k) {
                out[k] = seq[i + len + k];
                k++;
            }
            return k;
        }
    }
    return 0;
}

/* Plain greedy tokens of the slide's model (no speculation), then the
 * steps of --speculate K over them. */
static inline void spec_replay(const SlideSetup *st, int K)
{
    char err[256];
    KvConfig cfg = st->model;
    cfg.speculate = 0;
    cfg.chunk = 0;
    int ids[SPEC_MAX * 2], seq[SPEC_MAX * 2];
    const int L = tokenizer_encode(st->prompt, ids, SPEC_MAX, err, sizeof err), G = st->gen;
    assert_true(L > 0 && L + G <= 2 * SPEC_MAX);
    Run run;
    const RunPrompt p = {ids, L};
    assert_int_equal(run_init(&run, &cfg, NULL, RUN_MODE_BIT(MODE_CACHE), &p, 1, G, err, sizeof err), 0);
    run_move(&run, MODE_CACHE, RUN_END);
    const Engine *e = run_engine(&run, MODE_CACHE);
    for (int i = 0; i < L; i++) seq[i] = ids[i];
    for (int j = 0; j < G; j++) seq[L + j] = engine_emitted(e, j);
    run_free(&run);
    /* step 0: the prefill emits one token; the cache holds L positions */
    int T = L + 1, k = 0;
    spec.drafted[0] = spec.accepted[0] = 0;
    spec.kept[0] = L;
    for (k = 1; T < L + G; k++) {
        assert_true(k < SPEC_MAX);
        int draft[SPEC_MAX];
        const int left = L + G - T - 1;
        const int nd = spec_lookup(seq, T, K < left ? K : left, draft);
        int a = 0;
        while (a < nd && draft[a] == seq[T + a]) a++;   /* the greedy token at each row */
        spec.drafted[k] = nd;
        spec.accepted[k] = a;
        spec.kept[k] = T + a;    /* the last emitted token's row and the accepted drafts */
        T += a + 1;              /* the accepted drafts and one token of the model */
    }
    spec.steps = k;
}

/* Lesson 14 (issue 11): what the trained model's induction head needs,
 * from the prompt's structure, and what the model writes, from an engine
 * run here with and without a window. */
static struct {
    int j1;           /* the row the head needs for the prefill's last query: j + 1 */
    int j1_step1;     /* the same for decode step 1's query (the first written token) */
    int last;         /* i: the prefill's last position */
    int greedy[3];    /* the token written after the prompt: no window, W = 6, W = 7 */
    int wanted;       /* the token at j + 1 (the copy) */
} ind;

/* The latest j < i with seq[j] == seq[i], or -1. */
static inline int earlier(const int *seq, int i)
{
    for (int j = i - 1; j >= 0; j--)
        if (seq[j] == seq[i]) return j;
    return -1;
}

/* The largest weight of the last query row of layer l, head h over
 * positions 1..t-1 (position 0 is the attention sink a trained model parks
 * weight on). */
static inline int argmax_after_sink(const Engine *e, int l, int h)
{
    const float *row = engine_att_row(e, l, h, e->n - 1);
    int best = 1;
    for (int j = 2; j < e->t; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

/* The shipped model (weights=trained) and the prompt's ids in its
 * alphabet, as a slide with that model line runs them; returns L. */
static inline int trained_ids(const char *prompt, int ids[64], const ModelFile **f)
{
    char err[512];
    assert_int_equal(lesson_trained_model(f, err, sizeof err), 0);
    tokenizer_use_alphabet((*f)->alphabet, (*f)->model.cfg.vocab);
    const int L = tokenizer_encode(prompt, ids, 64, err, sizeof err);
    if (L < 0) fail_msg("prompt '%s': %s", prompt, err);
    return L;
}

static inline void induction_replay(const SlideSetup *st)
{
    char err[512];
    const ModelFile *f = NULL;
    int ids[64];
    const int L = trained_ids(st->prompt, ids, &f);
    assert_true(L > 1);
    ind.last = L - 1;
    const int j = earlier(ids, L - 1);
    assert_true(j >= 0);   /* the prompt repeats its last token */
    ind.j1 = j + 1;
    ind.wanted = ids[j + 1];
    static const int windows[3] = {0, 6, 7};
    for (int w = 0; w < 3; w++) {
        KvConfig cfg = config_default();
        assert_int_equal(modelfile_apply(f, "default.kvsim", &cfg, 0, err, sizeof err), 0);
        cfg.window = windows[w];
        Run run;
        const RunPrompt p = {ids, L};
        assert_int_equal(run_init(&run, &cfg, NULL, RUN_MODE_BIT(MODE_CACHE), &p, 1, 2, err, sizeof err), 0);
        run_move(&run, MODE_CACHE, RUN_NEXT_STEP);   /* the prefill */
        const Engine *e = run_engine(&run, MODE_CACHE);
        ind.greedy[w] = engine_emitted(e, 0);
        if (w == 0) {
            /* head 0 of layer 1 (the head the lesson shows) reads row j + 1 most */
            if (argmax_after_sink(e, 1, 0) != ind.j1)
                fail_msg("lesson 14: head 1.0 reads position %d most, not %d", argmax_after_sink(e, 1, 0), ind.j1);
            int seq[65];
            memcpy(seq, ids, sizeof(int) * (size_t)L);
            seq[L] = ind.greedy[0];
            const int j2 = earlier(seq, L);
            assert_true(j2 >= 0);
            ind.j1_step1 = j2 + 1;
            run_move(&run, MODE_CACHE, RUN_NEXT_STEP);   /* decode step 1 */
            bool found = false;
            for (int h = 0; h < cfg.n_heads; h++) found |= argmax_after_sink(e, 1, h) == ind.j1_step1;
            if (!found) fail_msg("lesson 14: no layer-1 head reads position %d most in step 1", ind.j1_step1);
        }
        run_free(&run);
    }
    /* the copy, measured: without a window and with W = 7 the model writes
     * the token at j + 1; with W = 6 (row j + 1 evicted) it does not */
    assert_int_equal(ind.greedy[0], ind.wanted);
    assert_int_equal(ind.greedy[2], ind.wanted);
    assert_true(ind.greedy[1] != ind.wanted);
    assert_int_equal(ind.last - ind.j1 + 1, 7);   /* the lesson's windows straddle it */
}

/* Lesson 1 (issue 11) runs the trained model and quotes what it writes
 * after its prompt: "hello, to" in English, "我是个学生。我是一" in Chinese.
 * Measured here on an engine of the shipped model, so a retrained model
 * that writes something else fails this test instead of the narration
 * going stale. */
static inline void continuation_check(const SlideSetup *st)
{
    static const struct { const char *prompt, *written; } quoted[] = {
        {"hello", ", to"},
        {"我是个学生", "。我是一"},
    };
    const char *want = NULL;
    for (size_t i = 0; i < sizeof quoted / sizeof quoted[0]; i++)
        if (!strcmp(st->prompt, quoted[i].prompt)) want = quoted[i].written;
    if (!want) fail_msg("lesson 1: prompt '%s' has no quoted continuation in this test", st->prompt);
    char err[512];
    const ModelFile *f = NULL;
    int ids[64];
    const int L = trained_ids(st->prompt, ids, &f);
    assert_true(L > 0);
    KvConfig cfg = config_default();
    assert_int_equal(modelfile_apply(f, "default.kvsim", &cfg, 0, err, sizeof err), 0);
    Run run;
    const RunPrompt p = {ids, L};
    assert_int_equal(run_init(&run, &cfg, NULL, RUN_MODE_BIT(MODE_CACHE), &p, 1, st->gen, err, sizeof err), 0);
    run_move(&run, MODE_CACHE, RUN_END);
    const Engine *e = run_engine(&run, MODE_CACHE);
    char got[128] = "";
    size_t used = 0;
    for (int j = 0; j < st->gen; j++) {
        char c[5];
        const int nb = tokenizer_decode(engine_emitted(e, j), c);
        assert_true(nb > 0 && used + (size_t)nb < sizeof got);
        memcpy(got + used, c, (size_t)nb + 1);   /* with its NUL */
        used += (size_t)nb;
    }
    run_free(&run);
    if (strcmp(got, want))
        fail_msg("lesson 1: the trained model writes '%s' after '%s', the lesson says '%s'", got, st->prompt, want);
}

/* Spec §4: MACs of step k of a mode, all layers, lm_head included. */
static inline double step_total(const Shape *s, const char *mode, double k)
{
    double n, t;
    if (!strcmp(mode, "cache")) { n = k == 0 ? s->L : 1; t = s->L + k; }
    else { n = t = s->L + k; }
    return s->Lyr * (3 * n * s->d * s->d + 2 * n * t * s->d + n * s->d * s->d + 2 * n * s->d * s->F) +
           s->d * s->V;
}

static inline double run_total(const Shape *s, const char *mode)
{
    double sum = 0;
    for (int k = 0; k < (int)s->G; k++) sum += step_total(s, mode, k);
    return sum;
}

/* Published shapes (spec §6.6 and docs/calc.md §5, from the papers'
 * tables and the models' config.json), 16-bit numbers. */
#define LLAMA2_KV_PER_TOKEN (2.0 * 32 * 32 * 128 * 2)   /* 32 layers, 32 K/V heads of 128 */
#define LLAMA3_KV_PER_TOKEN (2.0 * 32 * 8 * 128 * 2)    /* 32 layers, 8 K/V heads of 128 */

/* Bytes a cached position costs in the running model (32-bit floats). */
static inline double bytes_per_position(const Shape *s)
{
    return 2 * s->Lyr * s->Hkv * (s->d / s->H) * 4;
}

/* Spec §6.5: weight bytes a step of n rows reads (every matrix once, plus
 * the token and position embedding rows of the n rows). */
static inline double weight_bytes(const Shape *s, double n)
{
    const double d = s->d, kv = s->Hkv * (d / s->H);
    return s->Lyr * (d * d + 2 * d * kv + d * d + 2 * d * s->F) * 4 + d * s->V * 4 + 2 * n * d * 4;
}

/* docs/calc.md §3.4-3.5 for Llama-3-8B in 16 bits at context T: the
 * smallest batch whose decode step reaches the machine balance X, from
 * b·f / (Wfix + b·s) >= X. Shape: d 4096, 32 layers, 32 heads, 8 K/V
 * heads, F 14336 in a gated FFN (3 matrices), V 128256, RMSNorm (d
 * parameters each), no biases, untied head, rotary positions. */
static inline double llama3_batch_for_balance(double T, double X)
{
    const double d = 4096, Lyr = 32, kv = 8 * 128, F = 14336, V = 128256, by = 2;
    const double per_layer = 2 * d * d + 2 * d * kv + 3 * d * F + 2 * d;   /* + two norms */
    const double Wfix = (Lyr * per_layer + d + d * V) * by;                 /* + final norm, head */
    const double macs = Lyr * (d * d + 2 * d * kv + 2 * T * d + d * d + 3 * d * F) + d * V;
    const double f = 2 * macs;
    const double s = d * by + T * LLAMA3_KV_PER_TOKEN + LLAMA3_KV_PER_TOKEN;  /* row, K/V read, written */
    if (f <= X * s) return 0;
    return ceil(X * Wfix / (f - X * s));
}

/* ⌈T / B⌉ · B − T: the empty slots of a sequence of T positions in blocks of B. */
static inline double empty_slots(double T, double B)
{
    return ceil(T / B) * B - T;
}

/* The independent answer of question q (0-based, in file order) of lesson n.
 * A choice question's answer is its key ('b'), compared as a character code
 * (lesson_choice_value). */
static inline double expected(int lesson, int q, const Shape *s)
{
    const double d = s->d, L = s->L, G = s->G, Lyr = s->Lyr;
    switch (lesson * 10 + q) {   /* at most 10 questions a lesson */
    case 10: return 3 * d * d;                       /* Q/K/V of one token, one layer */
    case 11: return 2 * d * s->F;                    /* FFN of one token, one layer */
    case 12: return d * s->V;                        /* the head, once per step */
    case 20: return L * (L + 1) / 2;                 /* visible cells of an L×L grid */
    case 21: return (L * (L - 1) / 2) / (L * L);     /* masked share of the prefill's QKᵀ */
    case 22: return L + 1;                           /* decode step 1 sees t = L+1 keys */
    case 23: return 'f';                             /* the decode row is the bottom one */
    case 30: return 1;                               /* one pass */
    case 31: return 'b';                             /* no cache in training */
    case 32: return L * d * s->V;                    /* head at every position in training */
    case 33: return G;                               /* one pass per generated token */
    case 40: return L;                               /* step 1 repeats the L rows of step 0 */
    case 41: return step_total(s, "recompute", 4);
    case 42: return G * L + G * (G - 1) / 2;         /* Σ (L+k) rows through layer 0 */
    case 50: return 'b';                             /* prefill writes the cache */
    case 51: return 2 * Lyr * L * d;                 /* numbers in the cache after prefill */
    case 52: return 2 * Lyr * (L + 1) * d * 4;       /* bytes after decode step 1 */
    case 60: return 'b';                             /* only K and V are kept */
    case 61: return (L + 1) * d;                     /* QKᵀ of one row over L+1 keys */
    case 62: return 0;                               /* the decode row masks nothing */
    case 70: return 'b';                             /* absolute position L, no restart */
    case 71: return L + 2;                           /* generated token 3 sits at L+2 */
    case 72: return L + 3;                           /* step 3: one head scores t = L+3 cells */
    case 73: return 'a';                             /* bitwise equal logits */
    case 80: return 0;                               /* bitwise equal logits */
    case 81: return 'b';                             /* a cached step grows linearly */
    case 82: return step_total(s, "recompute", 11) / step_total(s, "cache", 11);
    case 83: return run_total(s, "recompute") / run_total(s, "cache");
    case 84: {                                       /* Σ t² / (L² + Σ_{k≥1} t) with L = 1 */
        double num = 0, den = L * L;
        for (int k = 0; k < (int)G; k++) num += (L + k) * (L + k);
        for (int k = 1; k < (int)G; k++) den += L + k;
        return num / den;
    }
    /* 9: the cache of real models */
    case 90: return 2 * Lyr * d * 4;                     /* bytes per position, Hkv = H */
    case 91: return 2 * Lyr * (L + 1) * d * 4;           /* after decode step 1 */
    case 92: return LLAMA2_KV_PER_TOKEN;                 /* 524,288 */
    case 93: return LLAMA2_KV_PER_TOKEN * 4096 / 1073741824.0;   /* 2 GiB */
    /* 10: memory traffic; decode step 1 has n = 1, t = L + 1 */
    case 100: return weight_bytes(s, 1);
    case 101: {
        const double kv_read = Lyr * (L + 1) * s->Hkv * (d / s->H) * 4 * 2;
        return 2 * step_total(s, "cache", 1) / (weight_bytes(s, 1) + kv_read);
    }
    case 102: return llama3_batch_for_balance(128, 295);   /* 440 (docs/calc.md §3.5) */
    /* 11: one K/V head; GQA 32 -> 8; a window W caps the cache */
    case 110: return bytes_per_position(s);
    case 111: return LLAMA2_KV_PER_TOKEN / LLAMA3_KV_PER_TOKEN;
    case 112: return fmin(L + G - 1, s->W) * bytes_per_position(s);
    /* 12: paged blocks of B positions */
    case 120: return ceil(L / 4);
    case 121: return empty_slots(L + 3, s->B) * bytes_per_position(s);   /* after step 3 */
    case 122: return empty_slots(11, 4) + empty_slots(2, 4) + empty_slots(15, 4);
    /* 19: bench's tiny shape, L = 1, G = 63 (then G = 1) */
    case 190: return run_total(s, "recompute") / run_total(s, "cache");   /* 9.07 */
    case 191: return 'b';                                /* uncounted per-row work */
    case 192: return G * d * s->V / run_total(s, "cache");   /* the head's share */
    case 193: return 1;                                  /* one token: nothing to save */
    case 194: return 'f';                                /* not always faster */
    /* 15: rotary positions (spec §6.10): 2·(d + Hkv·dh) MACs per row and layer */
    case 150: return 'b';                                /* keys are cached turned */
    case 151: return Lyr * 2 * (d + s->Hkv * (d / s->H));   /* decode step 1: one row */
    case 152: {                                          /* rows turned: recompute / cache */
        double rec = 0;
        for (int k = 0; k < (int)G; k++) rec += L + k;
        return rec / (L + G - 1);
    }
    case 153: return 'c';                                /* the offset bug breaks equality */
    case 154: return 'f';                                /* the wrong key is cached too */
    /* 17: a batch of prompts in blocks of B, sharing their full prefix blocks (§6.8) */
    case 170: {                                          /* no sharing: each rounds up alone */
        double b = 0;
        for (int i = 0; i < s->nseq; i++) b += ceil(s->Ls[i] / s->B);
        return b;
    }
    case 171: return 'b';                                /* causal: a row depends on its past */
    case 172: return s->Ls[1] - s->S[1];                 /* rows after the shared full blocks */
    case 173:                                            /* shared blocks counted once */
    case 174: {                                          /* the same after step 3 (t = L + 3) */
        const double t = lesson * 10 + q == 174 ? 3 : 0;
        double b = 0;
        for (int i = 0; i < s->nseq; i++) b += ceil((s->Ls[i] + t) / s->B) - s->S[i] / s->B;
        return b;
    }
    case 175: return 'f';                                /* a shared block outlives its writer */
    case 176: return Lyr * (s->Ls[1] - s->S[1]) * s->Ls[1] * d;   /* n new rows × t keys */
    /* 14: the trained model's induction head, replayed by induction_replay() */
    case 140: return ind.greedy[0] == ind.wanted ? 'a' : 0;   /* it copies */
    case 141: return ind.j1;                             /* j + 1 */
    case 142: return ind.j1_step1;                       /* the same for the written token */
    case 143: return ind.last - ind.j1 + 1;              /* positions j+1 .. i */
    case 144: return ind.greedy[1] != ind.wanted ? 'b' : 0;   /* W = 6 breaks the copy */
    case 145: return ind.greedy[2] == ind.wanted ? 'f' : 0;   /* W = 7 keeps it */
    /* 16: a prefill in chunks of C rows (spec §6.7) */
    case 160: return L * L * d;                          /* one prefill: the whole L×L grid */
    case 161: return ceil(L / s->C) - 1;                 /* the last chunk emits token 1 */
    case 162: return s->C * (2 * s->C) * d;              /* chunk 2: C rows, 2C keys */
    case 163: {                                          /* each chunk masks its own square */
        double m = 0;
        for (double done = 0; done < L; done += s->C) {
            const double n = fmin(s->C, L - done);
            m += Lyr * d * n * (n - 1) / 2;
        }
        return m;
    }
    case 164: return 'f';                                /* the first token comes no sooner */
    case 165: return 'b';                                /* others' decode steps between chunks */
    case 166: return chunk_rows(s->Ls[0], s->C, 1) + chunk_rows(s->Ls[1], s->C, 1);   /* a chunk + a decode row */
    case 167: return chunk_rows(s->Ls[0], s->C, 0) + chunk_rows(s->Ls[1], s->C, 0);   /* both prompts whole */
    /* 18: speculative decoding, replayed by spec_replay() */
    case 180: return 'f';                                /* weights are read once per step */
    case 181: return 1 + spec.drafted[11];               /* last token + drafts */
    case 182: return (1 + spec.drafted[11]) * d * s->V;  /* the head on every row */
    case 183: return spec.kept[11];                      /* rejected drafts rolled back */
    case 184: return G - spec.steps;                     /* one step saved per accepted draft */
    case 185: return 'a';                                /* every token is the greedy one */
    default: return NAN;
    }
}

#endif
