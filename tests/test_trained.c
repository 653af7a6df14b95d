/* test_trained: the shipped trained model, models/default.kvsim
 * (docs/training.md). Run from the repository root (tests/run.sh does).
 *
 *  - it loads, and its alphabet drives the tokenizer;
 *  - held-out copy phrases (TRAINEVAL_COPY_SEED, never used in training):
 *    greedy next-token accuracy over the repeated positions;
 *  - demo prompts continue as the issue states;
 *  - head scores on a repeated held-out phrase;
 *  - cache and recompute emit the same tokens with the same logits, and the
 *    measured counts equal the closed forms, with these weights too.
 *
 * Asserted at the issue's bar (ISSUE_BAR_*): >= 90% of the repeated
 * positions and >= 97% of those where two characters pick the source, a
 * previous-token head in layer 0 and an induction head in layer 1 (>= 0.8
 * each), the four demo prompts, `hello, ` continuing with English corpus
 * words and `我是` alone with Chinese corpus words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/formulas.h"
#include "sim/modelfile.h"
#include "sim/rng.h"
#include "sim/tokenizer.h"
#include "sim/traindata.h"
#include "sim/traineval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_PATH "models/default.kvsim"
#define CORPUS_PATH "data/corpus.txt"
/* the issue's acceptance bar */
#define ISSUE_BAR_COPY 0.90
#define ISSUE_BAR_COPY_UNIQUE 0.97
#define ISSUE_BAR_HEAD 0.80   /* attention weight on the right cache row */

static ModelFile mf;

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (modelfile_load(&mf, MODEL_PATH, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    tokenizer_use_alphabet(mf.alphabet, mf.model.cfg.vocab);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tokenizer_use_alphabet(NULL, 0);
    modelfile_free(&mf);
    return 0;
}

static void test_alphabet(void **state)
{
    (void)state;
    assert_int_equal(tokenizer_vocab(), mf.model.cfg.vocab);
    int ids[64];
    char err[256];
    /* every lesson prompt's characters are in it; '€' is not */
    assert_int_equal(tokenizer_encode("\xE6\x88\x91\xE6\x98\xAF\xE4\xB8\x80\xE4\xB8\xAA\xE5\xAD\xA6\xE7\x94\x9F",
                                      ids, 64, err, sizeof err), 6);
    assert_int_equal(tokenizer_encode("a\xE2\x82\xAC", ids, 64, err, sizeof err), -1);
    assert_non_null(strstr(err, "position 2"));
    assert_non_null(strstr(err, "model's alphabet"));
}

static void test_copy_accuracy(void **state)
{
    (void)state;
    CopyScore s;
    assert_int_equal(traineval_copy(&mf.model, TRAINEVAL_COPY_SEED, 200, &s), 0);
    const double all = (double)s.correct / (double)s.total;
    const double uniq = (double)s.unique_correct / (double)s.unique;
    fprintf(stderr, "held-out copy: %.4f of %ld, %.4f of %ld (two characters pick the source); "
            "issue bar %.2f / %.2f: %s\n", all, s.total, uniq, s.unique, ISSUE_BAR_COPY,
            ISSUE_BAR_COPY_UNIQUE, all >= ISSUE_BAR_COPY && uniq >= ISSUE_BAR_COPY_UNIQUE ? "met" : "NOT met");
    assert_true(s.total > 5000 && s.unique > 0.8 * (double)s.total);
    assert_true(all >= ISSUE_BAR_COPY);
    assert_true(uniq >= ISSUE_BAR_COPY_UNIQUE);
}

static void expect_continuation(const char *prompt, const char *want)
{
    int ids[64], want_ids[64], out[64];
    char err[256];
    const int L = tokenizer_encode(prompt, ids, 64, err, sizeof err);
    const int G = tokenizer_encode(want, want_ids, 64, err, sizeof err);
    assert_true(L > 0 && G > 0);
    assert_int_equal(traineval_greedy(&mf.model, ids, L, G, out), 0);
    char got[256] = "";
    for (int k = 0; k < G; k++) {
        char ch[5];
        tokenizer_decode(out[k], ch);
        strcat(got, ch);
    }
    if (strcmp(got, want)) fprintf(stderr, "'%s' continued '%s', want '%s'\n", prompt, got, want);
    assert_string_equal(got, want);
}

/* The greedy continuation of prompt by G characters, as UTF-8. */
static void continue_text(const char *prompt, int G, char *got)
{
    int ids[64], out[64];
    char err[256];
    const int L = tokenizer_encode(prompt, ids, 64, err, sizeof err);
    assert_true(L > 0 && L + G <= mf.model.cfg.max_seq);
    assert_int_equal(traineval_greedy(&mf.model, ids, L, G, out), 0);
    got[0] = '\0';
    for (int k = 0; k < G; k++) {
        char ch[5];
        tokenizer_decode(out[k], ch);
        strcat(got, ch);
    }
}

static void test_prompts(void **state)
{
    (void)state;
    /* the English ones need a match of four characters ("cat " vs "sat "):
     * the induction head's two and the corpus prior together */
    expect_continuation("the cat sat on the mat. the cat", " sat on the mat.");
    expect_continuation("my dog likes red balls. my dog", " likes red balls.");
    expect_continuation("\xE6\x88\x91\xE6\x98\xAF\xE4\xB8\x80\xE4\xB8\xAA\xE5\xAD\xA6\xE7\x94\x9F\xE3\x80\x82\xE6\x88\x91\xE6\x98\xAF",
                        "\xE4\xB8\x80\xE4\xB8\xAA\xE5\xAD\xA6\xE7\x94\x9F\xE3\x80\x82");   /* 我是一个学生。我是 → 一个学生。 */
    expect_continuation("\xE7\x8C\xAB\xE5\x9C\xA8\xE5\xBA\x8A\xE4\xB8\x8A\xE7\x9D\xA1\xE8\xA7\x89\xE3\x80\x82\xE7\x8C\xAB\xE5\x9C\xA8",
                        "\xE5\xBA\x8A\xE4\xB8\x8A\xE7\x9D\xA1\xE8\xA7\x89\xE3\x80\x82");   /* 猫在床上睡觉。猫在 → 床上睡觉。 */
}

static char *read_corpus(void)
{
    FILE *f = fopen(CORPUS_PATH, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_plain_starts(void **state)
{
    (void)state;
    const char *corpus = read_corpus();
    char got[256];
    /* English: every word the continuation completes (letters followed by
     * a space or punctuation) is a word of the corpus */
    continue_text("hello, ", 16, got);
    fprintf(stderr, "'hello, ' continues '%s'\n", got);
    int words = 0;
    for (const char *p = got; *p;) {
        if (*p < 'a' || *p > 'z') { p++; continue; }
        const char *e = p;
        while (*e >= 'a' && *e <= 'z') e++;
        if (!*e) break;   /* cut off by G: not a whole word */
        char w[64] = " ";
        const size_t n = (size_t)(e - p) < 60 ? (size_t)(e - p) : 60;
        memcpy(w + 1, p, n);
        w[n + 1] = '\0';
        /* a corpus word: after a space or a line start, before a non-letter */
        int found = 0;
        for (const char *c = strstr(corpus, w + 1); c && !found; c = strstr(c + 1, w + 1))
            found = (c == corpus || c[-1] == ' ' || c[-1] == '\n') && !(c[n] >= 'a' && c[n] <= 'z');
        if (!found) fprintf(stderr, "'%s' is not a corpus word\n", w + 1);
        assert_true(found);
        words++;
        p = e;
    }
    assert_true(words >= 2);
    /* Chinese: 我是 alone continues with Chinese text of the corpus, not
     * English. The continuation's first 6 characters (我是 included: the
     * start of a sentence of the corpus) run as one piece of a corpus line,
     * or up to a corpus line's end and on at the start of another */
    const char *zh = "\xE6\x88\x91\xE6\x98\xAF";   /* 我是 */
    continue_text(zh, 6, got);
    fprintf(stderr, "'%s' continues '%s'\n", zh, got);
    for (const char *p = got; *p; p++) assert_true((unsigned char)*p >= 0x80);   /* no ASCII */
    char line[64];
    snprintf(line, sizeof line, "\n%s%s", zh, got);
    size_t n = strlen(line);
    /* the longest prefix of the sentence that is a corpus line's start */
    int ok = 0;
    for (; n > 1 && !ok; n--) {
        if (((unsigned char)line[n] & 0xC0) == 0x80) continue;   /* inside a character */
        char pre[64];
        memcpy(pre, line, n);
        pre[n] = '\0';
        if (!strstr(corpus, pre)) continue;
        /* the rest starts another line (or is empty) */
        const char *rest = line + n;
        char start[64];
        snprintf(start, sizeof start, "\n%s", rest);
        ok = !*rest || strstr(corpus, start) != NULL;
        if (ok) fprintf(stderr, "  '%s' + '%s' are corpus text\n", pre + 1, rest);
    }
    assert_true(ok);
}

static void test_heads(void **state)
{
    (void)state;
    /* a held-out random phrase of 12 tokens, written twice */
    Rng r;
    rng_init(&r, TRAINEVAL_COPY_SEED ^ 0x1234u);
    int ids[24];
    for (int i = 0; i < 12; i++) ids[i] = ids[i + 12] = (int)(rng_next(&r) % (uint64_t)mf.model.cfg.vocab);
    const int H = mf.model.cfg.n_heads;
    float ind[64], prev[64], best_prev = 0, best_ind = 0;
    assert_true(mf.model.cfg.n_layers >= 2 && mf.model.cfg.n_layers * H <= 64);
    assert_int_equal(traineval_heads(&mf.model, ids, 24, ind, prev), 0);
    for (int h = 0; h < H; h++) {
        fprintf(stderr, "head 0.%d previous-token %.3f; head 1.%d induction %.3f\n", h, prev[h], h,
                ind[H + h]);
        /* scores are sums of softmax weights: within [0, 1] */
        for (int l = 0; l < 2; l++) {
            assert_true(ind[l * H + h] >= 0.0f && ind[l * H + h] <= 1.0f + 1e-6f);
            assert_true(prev[l * H + h] >= 0.0f && prev[l * H + h] <= 1.0f + 1e-6f);
        }
        if (prev[h] > best_prev) best_prev = prev[h];
        if (ind[H + h] > best_ind) best_ind = ind[H + h];
    }
    /* a layer-0 head attends to the previous position, a layer-1 head to
     * the position after the earlier occurrence of the current token */
    assert_true(best_prev >= ISSUE_BAR_HEAD);
    assert_true(best_ind >= ISSUE_BAR_HEAD);
}

static void test_cache_equals_recompute(void **state)
{
    (void)state;
    int ids[64];
    char err[256];
    const int L = tokenizer_encode("the cat sat on the mat. the cat", ids, 64, err, sizeof err);
    const int G = 16;
    Engine c, r;
    assert_int_equal(engine_init(&c, &mf.model, MODE_CACHE, ids, L, G, err, sizeof err), 0);
    assert_int_equal(engine_init(&r, &mf.model, MODE_RECOMPUTE, ids, L, G, err, sizeof err), 0);
    const int V = mf.model.cfg.vocab;
    uint64_t qkv = 0, scores = 0;
    for (int k = 0; k < G; k++) {
        engine_next_step(&c);
        engine_next_step(&r);
        assert_int_equal(engine_emitted(&c, k), engine_emitted(&r, k));
        assert_memory_equal(c.logits, r.logits, sizeof(float) * (size_t)V);   /* row 0: last position */
        qkv += engine_step_counts(&c, k)->mac[CAT_QKV];
        scores += engine_step_counts(&c, k)->mac[CAT_SCORES];
    }
    const KvConfig *cfg = &mf.model.cfg;
    assert_true(qkv == 3ull * cfg->d_model * cfg->d_model * cfg->n_layers * (uint64_t)(L + G - 1));
    uint64_t sum = (uint64_t)L * L;
    for (int k = 1; k < G; k++) sum += (uint64_t)(L + k);
    assert_true(scores == (uint64_t)cfg->d_model * cfg->n_layers * sum);
    engine_free(&c);
    engine_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphabet),
        cmocka_unit_test(test_copy_accuracy),
        cmocka_unit_test(test_prompts),
        cmocka_unit_test(test_plain_starts),
        cmocka_unit_test(test_heads),
        cmocka_unit_test(test_cache_equals_recompute),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
