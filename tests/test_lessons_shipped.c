/* test_lessons_shipped: every shipped lesson, in both languages, parses,
 * checks clean, plays headless from the first slide to the last (rendered
 * at 80x24 and 160x45), and each question's answer - computed by the
 * simulator - equals an independent closed form written here from the
 * spec. The English and Chinese versions ask the same questions with the
 * same answers. Run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lessons/catalog.h"
#include "lessons/eval.h"
#include "lessons/weights.h"
#include "lessons/glossary.h"
#include "lessons/lesson.h"
#include "sim/run.h"
#include "sim/tokenizer.h"
#include "ui/app.h"
#include "ui/lesson_play.h"
#include "ui/term.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
static double prefix_rows(int ids[][64], const int *L, int s, int B)
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
static double chunk_rows(double L, double C, int k)
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
static int spec_lookup(const int *seq, int T, int max_k, int *out)
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
static void spec_replay(const SlideSetup *st, int K)
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
static int earlier(const int *seq, int i)
{
    for (int j = i - 1; j >= 0; j--)
        if (seq[j] == seq[i]) return j;
    return -1;
}

/* The largest weight of the last query row of layer l, head h over
 * positions 1..t-1 (position 0 is the attention sink a trained model parks
 * weight on). */
static int argmax_after_sink(const Engine *e, int l, int h)
{
    const float *row = engine_att_row(e, l, h, e->n - 1);
    int best = 1;
    for (int j = 2; j < e->t; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

/* The shipped model (weights=trained) and the prompt's ids in its
 * alphabet, as a slide with that model line runs them; returns L. */
static int trained_ids(const char *prompt, int ids[64], const ModelFile **f)
{
    char err[512];
    assert_int_equal(lesson_trained_model(f, err, sizeof err), 0);
    tokenizer_use_alphabet((*f)->alphabet, (*f)->model.cfg.vocab);
    const int L = tokenizer_encode(prompt, ids, 64, err, sizeof err);
    if (L < 0) fail_msg("prompt '%s': %s", prompt, err);
    return L;
}

static void induction_replay(const SlideSetup *st)
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
static void continuation_check(const SlideSetup *st)
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
static double step_total(const Shape *s, const char *mode, double k)
{
    double n, t;
    if (!strcmp(mode, "cache")) { n = k == 0 ? s->L : 1; t = s->L + k; }
    else { n = t = s->L + k; }
    return s->Lyr * (3 * n * s->d * s->d + 2 * n * t * s->d + n * s->d * s->d + 2 * n * s->d * s->F) +
           s->d * s->V;
}

static double run_total(const Shape *s, const char *mode)
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
static double bytes_per_position(const Shape *s)
{
    return 2 * s->Lyr * s->Hkv * (s->d / s->H) * 4;
}

/* Spec §6.5: weight bytes a step of n rows reads (every matrix once, plus
 * the token and position embedding rows of the n rows). */
static double weight_bytes(const Shape *s, double n)
{
    const double d = s->d, kv = s->Hkv * (d / s->H);
    return s->Lyr * (d * d + 2 * d * kv + d * d + 2 * d * s->F) * 4 + d * s->V * 4 + 2 * n * d * 4;
}

/* docs/calc.md §3.4-3.5 for Llama-3-8B in 16 bits at context T: the
 * smallest batch whose decode step reaches the machine balance X, from
 * b·f / (Wfix + b·s) >= X. Shape: d 4096, 32 layers, 32 heads, 8 K/V
 * heads, F 14336 in a gated FFN (3 matrices), V 128256, RMSNorm (d
 * parameters each), no biases, untied head, rotary positions. */
static double llama3_batch_for_balance(double T, double X)
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
static double empty_slots(double T, double B)
{
    return ceil(T / B) * B - T;
}

/* The independent answer of question q (0-based, in file order) of lesson n.
 * A choice question's answer is its key ('b'), compared as a character code
 * (lesson_choice_value). */
static double expected(int lesson, int q, const Shape *s)
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

/* Prediction questions (issue 14, item 10): each lesson has at least one
 * question whose answer the screen does not show yet. The simulator of
 * its slide stands before the end of operation `op` of step `step` (op -1:
 * the end of the step), which is where the answer first appears. */
static const struct {
    int lesson, q, step, op;
} predictions[] = {
    {1, 0, 1, OP_QKV},   {2, 2, 1, OP_MASK},    {3, 0, 0, OP_LOSS}, {3, 3, 5, -1},
    {4, 1, 4, -1},       {5, 2, 1, OP_APPEND},  {6, 1, 1, OP_SCORES}, {6, 2, 1, OP_MASK},
    {7, 1, 3, OP_EMBED}, {7, 2, 3, OP_SCORES}, {8, 0, 11, -1},     {8, 2, 11, -1},
    {9, 1, 1, OP_APPEND}, {10, 0, 1, -1},       {11, 2, 9, -1},     {12, 1, 3, -1},
    {15, 1, 1, -1},        {15, 3, 1, -1},
    {17, 0, 0, -1},        {17, 2, 0, -1},        {17, 3, 0, -1},      {17, 4, 3, -1},
    {14, 0, 0, -1},        {14, 1, 0, -1},        {14, 2, 1, -1},      {14, 4, 0, -1},
    {16, 0, 0, OP_SCORES}, {16, 1, 2, -1},     {16, 2, 1, OP_SCORES},
    {18, 1, 11, OP_EMBED}, {18, 2, 11, OP_LOGITS},
    {19, 0, 62, -1},
};

/* Check the prediction table's entries for this slide: the engine the
 * view shows has not yet run the operation that gives the answer. */
static void check_prediction(const App *a, int lesson, int q)
{
    for (size_t i = 0; i < sizeof predictions / sizeof predictions[0]; i++) {
        if (predictions[i].lesson != lesson || predictions[i].q != q) continue;
        const Engine *e = app_engine(a);
        long target = (long)(predictions[i].step + 1) * e->ops_per_step;
        if (predictions[i].op >= 0)
            for (int k = 0; k < e->ops_per_step; k++)
                if (engine_op_at(e, k).kind == (OpKind)predictions[i].op) {
                    target = (long)predictions[i].step * e->ops_per_step + k + 1;
                    break;
                }
        if (!(e->pos < target))
            fail_msg("lesson %d question %d is listed as a prediction, but the screen is at op %ld, "
                     "at or after the answer (op %ld)", lesson, q, e->pos, target);
    }
}

static bool lesson_has_prediction(int lesson)
{
    for (size_t i = 0; i < sizeof predictions / sizeof predictions[0]; i++)
        if (predictions[i].lesson == lesson) return true;
    return false;
}

static Shape shape_of(const SlideSetup *st, int k)
{
    int ids[256];
    char err[256];
    /* weights=trained: the shape is the shipped model's (d 32, V 227), not
     * the slide's accumulated options */
    KvConfig m = st->model;
    if (lesson_weights_apply(st, &m, err, sizeof err)) fail_msg("%s", err);
    int L = tokenizer_encode(st->prompt, ids, 256, err, sizeof err);
    Shape s = {m.d_model, m.n_heads, m.n_layers, m.d_ff,
               m.vocab, L, st->gen, k, m.n_kv_heads, m.window,
               m.block_size, m.chunk, 1 + st->n_batch, {0}, {0}};
    int bids[LESSON_MAX_PROMPTS][64], bL[LESSON_MAX_PROMPTS];
    for (int q = 0; q < s.nseq; q++) {
        bL[q] = tokenizer_encode(q ? st->batch[q - 1] : st->prompt, bids[q], 64, err, sizeof err);
        assert_true(bL[q] > 0);
        s.Ls[q] = bL[q];
        s.S[q] = q && st->model.prefix_cache ? prefix_rows(bids, bL, q, st->model.block_size) : 0;
    }
    return s;
}

static int goto_step(const SlideSetup *st)
{
    switch (st->go.kind) {
    case GOTO_STEP_END:
    case GOTO_STEP_OP: return st->go.step;
    case GOTO_END: return st->gen - 1;
    default: return 0;
    }
}

typedef struct {
    int n;
    int slide[64];   /* 1-based slide of each question */
    char choice[64]; /* the correct key of a choice question, else 0 */
    char expr[64][128];
    double value[64];
    double tol[64];
} Answers;

/* Play one lesson file headless; collect its answers. */
static void play(const char *path, Answers *ans)
{
    char err[1024];
    Lesson *l = calloc(1, sizeof *l);
    assert_non_null(l);
    if (lesson_load(path, l, err, sizeof err)) fail_msg("%s", err);
    if (lesson_check(l, stderr, err, sizeof err)) fail_msg("%s", err);
    if (glossary_check(l, stderr)) fail_msg("%s: uses terms outside docs/glossary.md", path);
    const int number = l->number;
    /* Pinned to the seeded random model of spec §1: the first slide names
     * every shape option, so no answer follows the program's default model
     * (the trained one, once main.c's KVSIM_DEFAULT_MODEL names it). */
    {
        const unsigned shape = SETUP_BIT(SET_D_MODEL) | SETUP_BIT(SET_HEADS) | SETUP_BIT(SET_LAYERS) |
                               SETUP_BIT(SET_D_FF) | SETUP_BIT(SET_MAX_SEQ) | SETUP_BIT(SET_SEED);
        const bool trained = l->n_slides >= 1 && l->slides[0].setup.trained &&
                             (l->slides[0].setup.set & SETUP_BIT(SET_WEIGHTS));
        if (l->n_slides < 1 || ((l->slides[0].setup.set & shape) != shape && !trained))
            fail_msg("%s: the first slide must pin the model: model: d-model=8 heads=2 layers=2 "
                     "d-ff=32 max-seq=64 seed=42 (or another full shape), or model: weights=trained", path);
    }

    char *argv[] = {"kvsim", NULL};
    CliOptions o;
    assert_int_equal(cli_parse(1, argv, &o, err, sizeof err), 0);
    o.lang_zh = !strcmp(l->lang, "zh");
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    App a;
    assert_int_equal(app_init(&a, &o, ids, L, err, sizeof err), 0);
    if (app_lesson_start(&a, l, err, sizeof err)) fail_msg("%s: %s", path, err);
    Canvas small, big;
    assert_int_equal(canvas_init(&small, 80, 24), 0);
    assert_int_equal(canvas_init(&big, 160, 45), 0);
    ans->n = 0;
    for (int i = 0; i < a.play->lesson->n_slides; i++) {
        app_lesson_goto(&a, i);
        assert_int_equal(a.play->slide, i);
        if (a.message_is_error && a.message[0]) fail_msg("%s slide %d: %s", path, i + 1, a.message);
        /* one copy of the weights: the slide's numbers come from the run's own */
        if (a.play->ectx_ok && a.play->ectx.model != a.run.model)
            fail_msg("%s slide %d: the evaluator built a second copy of the weights", path, i + 1);
        app_render(&a, &small);
        app_render(&a, &big);
        /* a lesson never shows a counter that disagrees with its closed form */
        char *text = canvas_dump(&big);
        assert_non_null(text);
        if (strstr(text, "differ from the closed form") || strstr(text, "与闭式公式不符"))
            fail_msg("%s slide %d: the Operations panel reports counters that differ from the closed "
                     "form", path, i + 1);
        free(text);
        if (!a.play->lesson->slides[i].has_question) continue;
        const Question *q = &a.play->lesson->slides[i].question;
        const Shape s = shape_of(&a.play->slide_state, goto_step(&a.play->slide_state));
        if (number == 14 && ans->n == 0) induction_replay(&a.play->slide_state);
        if (number == 1 && ans->n == 0) continuation_check(&a.play->slide_state);
        if (a.play->slide_state.model.speculate > 0)
            spec_replay(&a.play->slide_state, a.play->slide_state.model.speculate);
        const double want = expected(number, ans->n, &s);
        if (isnan(want)) fail_msg("%s: question %d has no independent expectation in this test", path, ans->n);
        check_prediction(&a, number, ans->n);
        if (!(fabs(a.play->expected - want) <= 1e-9 * (1 + fabs(want))))
            fail_msg("%s:%d: simulator says %.10g, closed form says %.10g", path, q->expr_line, a.play->expected, want);
        /* the answer line accepts the right number and refuses a wrong one */
        assert_true(lesson_answer_ok(a.play->expected, q->tolerance, want));
        assert_false(lesson_answer_ok(a.play->expected, q->tolerance, want + q->tolerance + 1));
        if (q->n_choices) assert_true(a.play->expected == lesson_choice_value(q->correct));
        if (number == 10 && ans->n == 2) {
            /* correction 1 (issue 14): b >= X·W / (f − X·s) = 439.01 with the slide's f, W
             * and s; rounding down (439) is accepted by the documented tolerance, 438 not */
            assert_true(lesson_answer_ok(a.play->expected, q->tolerance, 439));
            assert_false(lesson_answer_ok(a.play->expected, q->tolerance, 438));
        }
        if (number == 15 && ans->n == 3) {
            /* the choice's claim, measured: with the offset bug the modes' logits differ;
             * the same run without the bug agrees bit for bit (spec §6.10) */
            double diff = 0;
            assert_int_equal(eval_expr(&a.play->ectx, "logit_diff()", &diff, err, sizeof err), 0);
            if (!(diff > 1e-3)) fail_msg("%s: the offset bug leaves the logits equal (%g)", path, diff);
            SlideSetup ok = a.play->slide_state;
            ok.model.rope_offset_bug = false;
            EvalContext c;
            assert_int_equal(eval_context_init(&c, &ok, err, sizeof err), 0);
            assert_int_equal(eval_expr(&c, "logit_diff()", &diff, err, sizeof err), 0);
            assert_true(diff == 0);
            eval_context_free(&c);
        }
        ans->slide[ans->n] = i + 1;
        ans->choice[ans->n] = q->n_choices ? q->correct : 0;
        if (number == 15 && ans->n == 4) {
            /* the claim of the true/false, measured: with the offset bug the key the
             * cache keeps for the first decode position is not the one recompute
             * computes for it; without the bug it is, bit for bit */
            for (int bug = 0; bug < 2; bug++) {
                KvConfig cfg = a.play->slide_state.model;
                cfg.rope_offset_bug = bug;
                int pids[64];
                const int Lp = tokenizer_encode(a.play->slide_state.prompt, pids, 64, err, sizeof err);
                Run run;
                const RunPrompt p = {pids, Lp};
                assert_int_equal(run_init(&run, &cfg, NULL, RUN_MODE_BIT(MODE_CACHE) | RUN_MODE_BIT(MODE_RECOMPUTE),
                                          &p, 1, a.play->slide_state.gen, err, sizeof err), 0);
                run_move(&run, MODE_CACHE, RUN_NEXT_STEP);
                run_move(&run, MODE_CACHE, RUN_NEXT_STEP);   /* step 1 appended position L */
                const float *kc = engine_k_row(run_engine(&run, MODE_CACHE), 0, Lp);
                const float *kr = engine_k_row(run_engine(&run, MODE_RECOMPUTE), 0, Lp);
                assert_non_null(kc);
                assert_non_null(kr);
                const int kv = cfg.n_kv_heads * (cfg.d_model / cfg.n_heads);
                const bool same = memcmp(kc, kr, sizeof(float) * (size_t)kv) == 0;
                if (same == (bool)bug)
                    fail_msg("lesson 15: with rope-offset-bug=%s the cached key of position %d %s recompute's",
                             bug ? "on" : "off", Lp, same ? "equals" : "differs from");
                run_free(&run);
            }
        }
        if (number == 2 && ans->n == 1) {
            /* the narration's claim, measured: head 0.0 of the trained model puts most
             * of the last prefill row's weight on the previous position */
            double w = 0;
            assert_int_equal(eval_expr(&a.play->ectx, "attn(0, 0, pos-1)", &w, err, sizeof err), 0);
            if (!(w > 0.5)) fail_msg("lesson 2: head 0.0 puts %.2f on the previous position, not most", w);
        }
        if (number == 17 && a.play->slide_state.model.prefix_cache) {
            /* every table of the batch starts with block 0: its reference count is the batch */
            double refs = 0;
            assert_int_equal(eval_expr(&a.play->ectx, "block_refs(0, 0)", &refs, err, sizeof err), 0);
            assert_true(refs == s.nseq);
        }
        snprintf(ans->expr[ans->n], sizeof ans->expr[0], "%s", q->expr);
        ans->value[ans->n] = a.play->expected;
        ans->tol[ans->n] = q->tolerance;
        ans->n++;
    }
    assert_true(ans->n >= 1);   /* every lesson asks at least one question */
    if (!lesson_has_prediction(number)) fail_msg("%s: no prediction question (issue 14, item 10)", path);
    canvas_free(&small);
    canvas_free(&big);
    app_free(&a);
}

/* docs/teachers-guide.md as one string (caller frees). */
static char *read_guide(void)
{
    FILE *f = fopen("docs/teachers-guide.md", "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The teacher's guide lists every answer: a row "| N, slide S | ... | **A**" for
 * each question, A as `kvsim lesson N --print` writes it. */
static void check_guide(const char *guide, int number, const Answers *a)
{
    for (int q = 0; q < a->n; q++) {
        char head[64], val[64], want[80];
        snprintf(head, sizeof head, "\n| %d, slide %d | ", number, a->slide[q]);
        const char *row = strstr(guide, head);
        if (!row) fail_msg("docs/teachers-guide.md has no answer row '| %d, slide %d |'", number, a->slide[q]);
        const char *end = strchr(row + 1, '\n');
        if (a->choice[q]) snprintf(val, sizeof val, "%c", a->choice[q]);
        else eval_format(a->value[q], val, sizeof val);
        snprintf(want, sizeof want, "| **%s**", val);
        const char *hit = strstr(row, want);
        if (!hit || (end && hit > end))
            fail_msg("docs/teachers-guide.md: lesson %d slide %d's answer is not **%s**", number, a->slide[q], val);
    }
}

static void test_shipped_lessons(void **state)
{
    (void)state;
    char err[512];
    CatalogEntry *en = calloc(CATALOG_MAX, sizeof *en), *zh = calloc(CATALOG_MAX, sizeof *zh);
    assert_non_null(en);
    assert_non_null(zh);
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    int ne = catalog_list("en", en, CATALOG_MAX, err, sizeof err);
    int nz = catalog_list("zh", zh, CATALOG_MAX, err, sizeof err);
    assert_true(ne >= 8);
    assert_int_equal(ne, nz);
    int questions = 0;
    char *guide = read_guide();
    for (int i = 0; i < ne; i++) {
        Answers a, b;
        assert_int_equal(en[i].number, zh[i].number);
        assert_string_equal(en[i].id, zh[i].id);
        play(en[i].path, &a);
        play(zh[i].path, &b);
        /* the same questions, the same answers */
        assert_int_equal(a.n, b.n);
        for (int q = 0; q < a.n; q++) {
            assert_string_equal(a.expr[q], b.expr[q]);
            assert_true(a.value[q] == b.value[q]);
            assert_true(a.tol[q] == b.tol[q]);
        }
        questions += a.n;
        check_guide(guide, en[i].number, &a);
    }
    free(guide);
    print_message("%d lessons x 2 languages, %d questions: simulator = closed form\n", ne, questions);
    free(en);
    free(zh);
}

/* The handout of lesson `n` in lang as one string (caller frees). */
static char *handout(const char *lang, int n)
{
    char err[512], path[1400];
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    assert_int_equal(catalog_find(lang, n, path, sizeof path, err, sizeof err), 0);
    Lesson l;
    assert_int_equal(lesson_load(path, &l, err, sizeof err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (lesson_print(&l, f, err, sizeof err)) fail_msg("%s", err);
    fclose(f);
    lesson_free(&l);
    return buf;
}

static void expect_in(const char *text, const char *what)
{
    if (!strstr(text, what)) fail_msg("handout lacks \"%s\"", what);
}

/* Numbers the corrections of issue 14 put into the narration, each from
 * its own closed form (not from the lesson's templates). */
static void test_corrected_narration(void **state)
{
    (void)state;
    char want[256];
    /* L5 slide 3: at layer 0's softmax, layer 0 alone has discarded
     * d·L(L−1)/2 MACs; the step (Lyr layers) will discard Lyr times that.
     * "my cat": L = 6, d = 8, Lyr = 2. */
    char *en5 = handout("en", 5), *zh5 = handout("zh", 5);
    snprintf(want, sizeof want, "layer 0 has just discarded %d MACs", 8 * 6 * 5 / 2);
    expect_in(en5, want);
    snprintf(want, sizeof want, "will discard %d once", 2 * 8 * 6 * 5 / 2);
    expect_in(en5, want);
    snprintf(want, sizeof want, "白花了 %d 次乘加", 8 * 6 * 5 / 2);   /* 我是一个学生: L = 6 too */
    expect_in(zh5, want);
    free(en5);
    free(zh5);
    /* L10 slide 5: f, W and s of Llama-3-8B's decode step at T = 128 in 16 bits
     * (docs/calc.md §3.4): W = every weight once, without the input row;
     * s = input row + 128 cached positions read + 1 written. */
    const double d = 4096, kv_tok = 2.0 * 32 * 8 * 128 * 2;
    const double W = (32 * (2 * d * d + 2 * d * 1024 + 3 * d * 14336 + 2 * d) + d + d * 128256) * 2;
    const double s = d * 2 + 128 * kv_tok + kv_tok;
    const double f = 2 * (32 * (d * d + 2 * d * 1024 + 2 * 128 * d + d * d + 3 * d * 14336) + d * 128256);
    for (int z = 0; z < 2; z++) {
        char *t = handout(z ? "zh" : "en", 10);
        snprintf(want, sizeof want, "f = %.0f", f);
        expect_in(t, want);
        snprintf(want, sizeof want, "W = %.0f", W);
        expect_in(t, want);
        snprintf(want, sizeof want, "s = %.0f", s);
        expect_in(t, want);
        snprintf(want, sizeof want, "= %.2f", 295 * W / (f - 295 * s));   /* 439.01 */
        expect_in(t, want);
        free(t);
    }
}


/* A lesson from text, started in a fresh App (caller app_free()s). */
static void start_text(App *a, const char *text)
{
    char err[512];
    Lesson *l = calloc(1, sizeof *l);
    assert_non_null(l);
    if (lesson_parse(text, strlen(text), "t.lesson", l, err, sizeof err)) fail_msg("%s", err);
    char *argv[] = {"kvsim", NULL};
    CliOptions o;
    assert_int_equal(cli_parse(1, argv, &o, err, sizeof err), 0);
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
    if (app_lesson_start(a, l, err, sizeof err)) fail_msg("%s", err);
}

static void type_answer(App *a, const char *s)
{
    app_handle_key(a, 'a');
    assert_true(a->play->answering);
    for (const char *p = s; *p; p++) app_handle_key(a, *p);
    app_handle_key(a, TERM_KEY_ENTER);
}

/* The lesson pane at 120x40 as text (caller frees). */
static char *screen_text(const App *a)
{
    Canvas c;
    assert_int_equal(canvas_init(&c, 120, 40), 0);
    app_render(a, &c);
    char *buf = canvas_dump(&c);
    assert_non_null(buf);
    canvas_free(&c);
    return buf;
}

/* Issue 14, items 11-13 in the player: expressions, keyed hints, choices;
 * and hints with {templates} are shown filled. */
static void test_answer_kinds(void **state)
{
    (void)state;
    App a;
    start_text(&a, "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
                   "goto: step 0 end\n? Share of visible cells?\n= visible(0) / (L*L)\n"
                   "tolerance: 0.001\nwrong: (L*L - visible(0)) / (L*L) -> That is the masked share.\n"
                   "hint: Visible cells are {visible(0)} of {L*L}.\nhint: Second.\n");
    /* an expression: "2/5" is 0.4 (it used to be read as 25), and the pane says so */
    type_answer(&a, "2/5");
    assert_true(fabs(a.play->last_given - 0.4) < 1e-12);
    assert_int_equal(a.play->wrong, 0);   /* 0.4 is the keyed wrong value: its own hint */
    assert_false(a.play->solved);
    char *scr = screen_text(&a);
    if (!strstr(scr, "2/5 = 0.4 is not it. Hint: That is the masked share.")) fail_msg("%s", scr);
    free(scr);
    /* another wrong value: the generic hint, templates filled */
    type_answer(&a, "1/2");
    assert_int_equal(a.play->wrong, 1);
    scr = screen_text(&a);
    if (!strstr(scr, "1/2 = 0.5 is not it. Hint: Visible cells are 15 of 25.")) fail_msg("%s", scr);
    assert_null(strstr(scr, "{visible(0)}"));
    free(scr);
    /* not a number: a message, nothing counted */
    type_answer(&a, "L");
    assert_true(a.play->answering);
    assert_true(a.message_is_error);
    assert_non_null(strstr(a.message, "an answer holds only numbers"));
    app_handle_key(&a, TERM_KEY_ESC);
    assert_int_equal(a.play->wrong, 1);
    /* the right share as an expression */
    type_answer(&a, "15/25");
    assert_true(a.play->solved);
    app_free(&a);

    /* a choice question: keys, case-insensitive; a keyed hint for 'a' */
    start_text(&a, "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
                   "? What does the prefill do with the cache?\n"
                   "choice: a It reads it.\nchoice: b It writes it.\nchoice: c Nothing.\n= b\n"
                   "wrong: a -> The cache is empty before the prefill.\nhint: Generic.\n");
    scr = screen_text(&a);
    if (!strstr(scr, "b) It writes it.")) fail_msg("options not shown:\n%s", scr);
    free(scr);
    type_answer(&a, "7");   /* not a key */
    assert_true(a.play->answering);
    assert_non_null(strstr(a.message, "type one of the keys: a, b, c"));
    app_handle_key(&a, TERM_KEY_ESC);
    type_answer(&a, "a");
    assert_false(a.play->solved);
    scr = screen_text(&a);
    if (!strstr(scr, "a is not it. Hint: The cache is empty before the prefill.")) fail_msg("%s", scr);
    free(scr);
    type_answer(&a, "c");
    assert_int_equal(a.play->wrong, 1);
    type_answer(&a, "B");
    assert_true(a.play->solved);
    scr = screen_text(&a);
    if (!strstr(scr, "Right: b.")) fail_msg("%s", scr);
    free(scr);
    app_free(&a);
}

/* The answer flow: wrong answers earn hints, then the explanation. */
static void test_answer_flow(void **state)
{
    (void)state;
    char err[512];
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    char path[1400];
    assert_int_equal(catalog_find("en", 2, path, sizeof path, err, sizeof err), 0);
    Lesson *l = calloc(1, sizeof *l);
    assert_int_equal(lesson_load(path, l, err, sizeof err), 0);
    char *argv[] = {"kvsim", NULL};
    CliOptions o;
    assert_int_equal(cli_parse(1, argv, &o, err, sizeof err), 0);
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    App a;
    assert_int_equal(app_init(&a, &o, ids, L, err, sizeof err), 0);
    assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
    const int hints = a.play->lesson->slides[0].question.n_hints;
    assert_true(hints >= 1);
    app_handle_key(&a, 'a');
    assert_true(a.play->answering);
    app_handle_key(&a, '9');
    app_handle_key(&a, '9');
    app_handle_key(&a, TERM_KEY_ENTER);
    assert_int_equal(a.play->wrong, 1);
    assert_false(a.play->solved);
    app_handle_key(&a, 'a');
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", a.play->expected);
    for (char *p = buf; *p; p++) app_handle_key(&a, *p);
    app_handle_key(&a, TERM_KEY_ENTER);
    assert_true(a.play->solved);
    /* next slide, back, and 'o' restores the slide's position */
    app_handle_key(&a, '.');
    assert_int_equal(a.play->slide, 1);
    long pos = app_engine(&a)->pos;
    app_handle_key(&a, 'G');
    assert_true(app_engine(&a)->pos != pos);
    app_handle_key(&a, 'o');
    assert_int_equal(app_engine(&a)->pos, pos);
    app_handle_key(&a, ',');
    assert_int_equal(a.play->slide, 0);
    app_free(&a);
}

int main(void)
{
    /* progress goes to a scratch directory, not the user's */
    char dir[] = "/tmp/kvsim-test-XXXXXX";
    if (mkdtemp(dir)) setenv("XDG_STATE_HOME", dir, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_lessons),
        cmocka_unit_test(test_answer_flow),
        cmocka_unit_test(test_corrected_narration),
        cmocka_unit_test(test_answer_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
