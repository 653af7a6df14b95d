/* test_lesson: the lesson format (docs/lessons.md) and its parser
 * (lessons/lesson.c, lessons/setup.c): the doc example, paragraphs, the
 * set-up that accumulates from slide to slide, the broken files of
 * tests/lesson_bad, the limits, and a fuzzer over parsing and evaluation.
 * The other lesson suites: tests/test_lesson_eval.c (expressions),
 * tests/test_lesson_measure.c (model options, batches, memory, calc()),
 * tests/test_lesson_question.c (questions, check and print, glossary). */
#include "tests/lesson_fixture.h"

#include "sim/tokenizer.h"

#include <dirent.h>

static void test_parse_doc_example(void **state)
{
    (void)state;
    Lesson l = parse_ok(DOC_EXAMPLE);
    assert_int_equal(l.number, 2);
    assert_string_equal(l.id, "causal-mask");
    assert_string_equal(l.lang, "en");
    assert_string_equal(l.title, "The causal mask");
    assert_string_equal(l.path, "t.lesson");
    assert_int_equal(l.n_slides, 2);

    const Slide *s = &l.slides[0];
    assert_string_equal(s->title, "The lower triangle");
    assert_int_equal(s->line, 7);
    const SlideSetup *u = &s->setup;
    assert_true(u->set & SETUP_BIT(SET_PROMPT));
    assert_string_equal(u->prompt, "hello");
    assert_int_equal(u->gen, 4);
    assert_int_equal(u->line[SET_GEN], 9);
    assert_int_equal(u->mode, LESSON_MODE_CACHE);
    assert_int_equal(u->go.kind, GOTO_STEP_END);
    assert_int_equal(u->go.step, 0);
    assert_true(u->set & SETUP_BIT(SET_LAYER));
    assert_true(u->set & SETUP_BIT(SET_HEAD));
    assert_int_equal(u->layer, 0);
    assert_int_equal(u->head, 0);
    assert_int_equal(u->point, POINT_MASK);
    assert_false(u->set & SETUP_MODEL_BITS);

    assert_int_equal(s->n_paragraphs, 2);
    assert_string_equal(s->paragraphs[0],
                        "During prefill the model reads all five prompt tokens at once. Each row "
                        "of the grid is one query; it may look at its own position and at every "
                        "earlier one, never at a later one.");
    assert_int_equal(s->paragraph_lines[0], 15);
    assert_string_equal(s->paragraphs[1],
                        "The cells above the diagonal are the future: the mask sets them to minus "
                        "infinity before the softmax, so their weight is exactly zero.");
    assert_int_equal(s->paragraph_lines[1], 19);

    assert_true(s->has_question);
    const Question *q = &s->question;
    assert_string_equal(q->text, "How many cells of one head's 5×5 grid are visible after prefill?");
    assert_int_equal(q->line, 22);
    assert_string_equal(q->expr, "visible(0)");
    assert_int_equal(q->expr_line, 23);
    assert_true(q->tolerance == 0);
    assert_int_equal(q->n_hints, 1);
    assert_string_equal(q->hints[0], "Count the diagonal and everything below it.");
    assert_int_equal(q->hint_lines[0], 24);
    assert_string_equal(q->explain, "Row i sees i+1 cells, so 1+2+3+4+5 = {L*(L+1)/2}.");
    assert_int_equal(q->explain_line, 25);

    assert_string_equal(l.slides[1].title, "Next");
    assert_int_equal(l.slides[1].line, 27);
    assert_int_equal(l.slides[1].n_paragraphs, 1);
    assert_string_equal(l.slides[1].paragraphs[0], "...");
    assert_false(l.slides[1].has_question);
    assert_int_equal(l.slides[1].setup.set, 0);
    lesson_free(&l);
    lesson_free(&l); /* a freed lesson is zeroed: freeing again is harmless */
}

static void test_paragraph_joining(void **state)
{
    (void)state;
    const char *text =
        "\xEF\xBB\xBFlesson: 5\r\nid: prefill\r\nlang: zh\r\ntitle: 预填充\r\n\r\n"
        "--- slide: 中文\r\n"
        "预填充阶段，模型一次读入\n"
        "全部五个提示词元。\n"
        "\n"
        "  Latin   line one  \n"
        "# a comment does not end a paragraph\n"
        "\tline two\n"
        "\n"
        "KV\n"
        "缓存保存每一层的 K 和 V\n"
        "，不保存 Q。\n"
        "gen: 3\n"
        "after a directive\n";
    Lesson l = parse_ok(text);
    assert_string_equal(l.lang, "zh");
    assert_string_equal(l.title, "预填充");
    const Slide *s = &l.slides[0];
    assert_int_equal(s->n_paragraphs, 4);
    assert_string_equal(s->paragraphs[0], "预填充阶段，模型一次读入全部五个提示词元。");
    assert_string_equal(s->paragraphs[1], "Latin   line one line two");
    /* a line ending in Latin followed by one starting with CJK: no space */
    assert_string_equal(s->paragraphs[2], "KV缓存保存每一层的 K 和 V，不保存 Q。");
    assert_string_equal(s->paragraphs[3], "after a directive");
    assert_int_equal(s->paragraph_lines[3], 18);
    assert_int_equal(s->setup.gen, 3);
    lesson_free(&l);
}

static void test_state_accumulates(void **state)
{
    (void)state;
    Lesson l = parse_ok(THREE_SLIDES);
    SlideSetup d = lesson_state_at(&l, -1);
    assert_string_equal(d.prompt, CONFIG_DEFAULT_PROMPT);
    assert_int_equal(d.gen, CONFIG_DEFAULT_GEN);
    assert_int_equal(d.model.d_model, 8);
    assert_int_equal(d.model.vocab, tokenizer_vocab());
    assert_int_equal(d.set, 0);

    SlideSetup a = lesson_state_at(&l, 0);
    assert_string_equal(a.prompt, "the dog ");   /* quotes keep the trailing space */
    assert_int_equal(a.gen, 5);
    assert_int_equal(a.model.d_model, 16);
    assert_int_equal(a.model.d_ff, 64);          /* 4 · d while d-ff is not given */
    assert_int_equal(a.model.n_layers, 3);
    assert_int_equal(a.model.n_heads, 2);
    assert_true(a.model.seed == 7);
    assert_int_equal(a.mode, LESSON_MODE_CACHE);
    assert_int_equal(a.go.kind, GOTO_START);

    SlideSetup c = lesson_state_at(&l, 2);
    assert_string_equal(c.prompt, "the dog ");
    assert_int_equal(c.model.d_model, 16);
    assert_int_equal(c.model.n_heads, 4);
    assert_int_equal(c.model.n_kv_heads, 4);
    assert_int_equal(c.mode, LESSON_MODE_RECOMPUTE);
    assert_int_equal(c.go.kind, GOTO_STEP_OP);
    assert_int_equal(c.go.step, 2);
    assert_int_equal(c.go.op, OP_QKV);
    assert_int_equal(c.go.layer, 1);
    assert_int_equal(c.layer, 0);
    assert_int_equal(c.head, 1);
    assert_int_equal(c.point, POINT_KVCACHE);
    assert_int_equal(c.line[SET_PROMPT], 6);
    assert_int_equal(c.line[SET_D_MODEL], 8);
    assert_int_equal(c.line[SET_HEADS], 15);
    assert_int_equal(c.line[SET_GOTO], 12);
    assert_true(c.set & SETUP_BIT(SET_HEAD));
    assert_false(c.set & SETUP_BIT(SET_LAYER));
    assert_false(lesson_same_run(&a, &c));       /* heads changed */

    SlideSetup e = lesson_state_at(&l, 99);      /* clamped to the last slide */
    assert_int_equal(e.model.d_ff, 40);
    assert_int_equal(e.point, POINT_NONE);
    assert_true(lesson_same_run(&e, &e));
    lesson_free(&l);
}

/* ---- broken files -------------------------------------------------------- */

static char *dir_of_tests(void)
{
    /* __FILE__ is "tests/test_lesson.c" when built by the Makefile */
    static char dir[512];
    const char *slash = strrchr(__FILE__, '/');
    size_t n = slash ? (size_t)(slash - __FILE__) : 0;
    snprintf(dir, sizeof dir, "%.*s%slesson_bad", (int)n, __FILE__, n ? "/" : "");
    return dir;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *dir = dir_of_tests();
    DIR *dp = opendir(dir);
    if (!dp) fail_msg("cannot open %s (run from the repository root)", dir);
    char *names[128];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) && n < 128) {
        size_t len = strlen(de->d_name);
        if (len > 7 && !strcmp(de->d_name + len - 7, ".lesson")) names[n++] = strdup(de->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    assert_true(n >= 15);
    for (int i = 0; i < n; i++) {
        char path[1024], first[512] = "", err[1024], prefix[1100];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        if (!fgets(first, sizeof first, f)) first[0] = '\0';
        fclose(f);
        /* "# expect: LINE: fragment"; an empty file cannot say it */
        int line = 1;
        const char *fragment = "empty file";
        int used = 0;
        if (first[0]) {
            first[strcspn(first, "\n")] = '\0';
            if (sscanf(first, "# expect: %d: %n", &line, &used) != 1 || used == 0)
                fail_msg("%s: first line must be '# expect: LINE: fragment'", path);
            fragment = first + used;
        }
        Lesson l;
        int parsed = lesson_load(path, &l, err, sizeof err) == 0;
        if (parsed) {
            int problems = lesson_check(&l, NULL, err, sizeof err);
            lesson_free(&l);
            if (problems == 0) fail_msg("%s: parsed and checked without a problem", path);
        }
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
        if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, fragment))
            fail_msg("%s:\n  got      \"%s\"\n  expected \"%s...%s\"", names[i], err, prefix,
                     fragment);
        free(names[i]);
    }
}

static void test_limits(void **state)
{
    (void)state;
    const char *head = "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n";
    size_t hl = strlen(head);
    char *buf = malloc(LESSON_MAX_BYTES + 16);
    assert_non_null(buf);
    Lesson l;
    char err[512];

    /* a line of exactly LESSON_MAX_LINE bytes is fine, one more is not */
    memcpy(buf, head, hl);
    memset(buf + hl, 'a', LESSON_MAX_LINE);
    buf[hl + LESSON_MAX_LINE] = '\n';
    assert_int_equal(lesson_parse(buf, hl + LESSON_MAX_LINE + 1, "t.lesson", &l, err, sizeof err), 0);
    lesson_free(&l);
    memset(buf + hl, 'a', LESSON_MAX_LINE + 1);
    parse_fails(buf, hl + LESSON_MAX_LINE + 1, 6, "line is 4097 bytes long; at most 4096 allowed");

    /* too large a file */
    memset(buf, '\n', LESSON_MAX_BYTES + 1);
    parse_fails(buf, LESSON_MAX_BYTES + 1, 1, "file is 1048577 bytes");
    free(buf);

    /* 200 slides and 16 hints are fine; one more is not */
    size_t cap = 20000, o = 0;
    char *t = malloc(cap);
    o += (size_t)snprintf(t + o, cap - o, "%s", "lesson: 1\nid: x\nlang: en\ntitle: T\n");
    for (int i = 0; i < LESSON_MAX_SLIDES; i++) o += (size_t)snprintf(t + o, cap - o, "--- slide: %d\n", i);
    assert_int_equal(lesson_parse(t, o, "t.lesson", &l, err, sizeof err), 0);
    assert_int_equal(l.n_slides, LESSON_MAX_SLIDES);
    lesson_free(&l);
    o += (size_t)snprintf(t + o, cap - o, "--- slide: one too many\n");
    parse_fails(t, o, 5 + LESSON_MAX_SLIDES, "more than 200 slides");
    o = (size_t)snprintf(t, cap, "%s? Q\n= 1\n", head);
    for (int i = 0; i < LESSON_MAX_HINTS; i++) o += (size_t)snprintf(t + o, cap - o, "hint: h%d\n", i);
    assert_int_equal(lesson_parse(t, o, "t.lesson", &l, err, sizeof err), 0);
    assert_int_equal(l.slides[0].question.n_hints, LESSON_MAX_HINTS);
    assert_string_equal(l.slides[0].question.hints[15], "h15");
    lesson_free(&l);
    o += (size_t)snprintf(t + o, cap - o, "hint: one too many\n");
    parse_fails(t, o, 8 + LESSON_MAX_HINTS, "more than 16 hints");
    free(t);

    /* bytes: positions are 1-based, like the tokenizer's */
    parse_fails("", 0, 1, "empty file");
    parse_fails("\xEF\xBB\xBF", 3, 1, "empty file");
    PARSE_FAILS("# only a comment\n\n", 2, "empty lesson");
    PARSE_FAILS("lesson: 1\nid: \xC3\x28\n", 2, "invalid UTF-8 at byte 15 (0xc3)");
    PARSE_FAILS("lesson: 1\n\xED\xA0\x80\n", 2, "invalid UTF-8 at byte 11 (0xed)"); /* surrogate */
    parse_fails("lesson: 1\nid\0x\n", 15, 2, "NUL byte at byte 13");
    PARSE_FAILS("lesson: 1\r\nid: a\rb\n", 2, "control character 0x0d");
    PARSE_FAILS("lesson: 1\nid: a b\n", 2, "id 'a b': expected at most 32 letters");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ngoto: step 1 op logits layer 0\n",
                6, "operation 'logits' is not inside a layer");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ngoto: step -1 end\n", 6,
                "goto: step -1: out of range");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ngen: 2\ngen: 3\n", 7,
                "duplicate 'gen:' in this slide (first on line 6)");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nhint: early\n", 6,
                "'hint:' before the question");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\ntitle: again\n", 6,
                "unknown directive 'title'; expected prompt, gen, model, mode, goto, select or "
                "point (header keys go before the first slide)");
    PARSE_FAILS("lesson: 1\ngen: 3\n", 2, "unknown header key 'gen'");
}

/* ---- fuzzing ------------------------------------------------------------- */

static const char FUZZ_EXTRA[] =
    "--- slide: 解码\n"
    "model: d-model=8 heads=2 layers=2 d-ff=32 max-seq=64 seed=42\n"
    "prompt: \"the cat \"\n"
    "mode: compare\n"
    "goto: step 2 op scores layer 1\n"
    "select: layer 1 head 1\n"
    "point: kvcache\n"
    "每一步只处理一个新词元，\n"
    "读取全部 {t} 个缓存位置。\n"
    "? Ratio at step {k}?\n"
    "= ratio(k) + macs(recompute, total, k, 1) / 10^6 - step_cost(cache, d, F, Lyr, V, L, k)\n"
    "tolerance: 0.01\n"
    "hint: {{compare}} the two {masked(cache, 0)}\n"
    "explain: {token_pos(2)} and {kv_numbers(G - 1)} and {logit_diff()} {rows(train)}.\n"
    "--- slide: 内存\n"
    "model: kv-heads=1 window=6 block-size=4\n"
    "mode: memory\n"
    "point: traffic\n"
    "{calc(llama-2-7b, kv_cache_bytes, 4096, 2, 1)} {intensity(cache, 1)} {kv_blocks(1)}\n"
    "? Waste?\n"
    "= waste_for(11, 4, calc(opt-13b, kv_bytes_per_token)) + blocks_for(t, 4) + round(k / 3, 2)\n"
    "explain: {weight_bytes(train, 0)} {kv_read(recompute, 1)} {kv_written(cache, 0)} "
    "{min(W, max(Hkv, balance))} {ceil(kv_waste(0) / 7)} {floor(kv_reserved(1))}\n";

static uint64_t fuzz_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    fuzz_rng ^= fuzz_rng << 13;
    fuzz_rng ^= fuzz_rng >> 7;
    fuzz_rng ^= fuzz_rng << 17;
    return n ? (uint32_t)(fuzz_rng >> 32) % n : 0;
}

static void mutate(char *buf, size_t *len, size_t cap)
{
    static const char *const ins[] = {"---", "?", "=", "{", "(", ")", "}", "\n", "--- slide: ",
                                      "? Q\n", "= ", "{L*(", ":", " ", "\xff", "\xe4\xb8", "#",
                                      "model: ", "goto: step 99 op ffn layer 9\n", "^", "-",
                                      "macs(", ",", "\r", "\"", "tolerance: ", "hint: {"};
    size_t n = *len;
    switch (rnd(5)) {
    case 0: /* flip a byte */
        if (n) buf[rnd((uint32_t)n)] ^= (char)(1u << rnd(8));
        break;
    case 1: /* truncate */
        *len = rnd((uint32_t)n + 1);
        return;
    case 2: /* set a byte to anything, NUL included */
        if (n) buf[rnd((uint32_t)n)] = (char)rnd(256);
        break;
    case 3: { /* delete a range */
        if (!n) break;
        size_t at = rnd((uint32_t)n), k = rnd(16) + 1;
        if (at + k > n) k = n - at;
        memmove(buf + at, buf + at + k, n - at - k);
        *len = n - k;
        return;
    }
    default: { /* insert a token */
        const char *s = ins[rnd(sizeof ins / sizeof ins[0])];
        size_t k = strlen(s), at = rnd((uint32_t)n + 1);
        if (n + k > cap) break;
        memmove(buf + at + k, buf + at, n - at);
        memcpy(buf + at, s, k);
        *len = n + k;
        return;
    }
    }
}

static void fuzz_slide(EvalContext *ctx, const Lesson *l, int i)
{
    char out[8192], err[512];
    double v;
    const Slide *s = &l->slides[i];
    SlideSetup st = lesson_state_at(l, i);
    assert_non_null(st.prompt);
    for (int p = 0; p < s->n_paragraphs; p++)
        (void)eval_template(ctx, s->paragraphs[p], out, sizeof out, err, sizeof err);
    if (!s->has_question) return;
    assert_non_null(s->question.expr);
    (void)eval_expr(ctx, s->question.expr, &v, err, sizeof err);
    for (int h = 0; h < s->question.n_hints; h++)
        (void)eval_template(ctx, s->question.hints[h], out, sizeof out, err, sizeof err);
    if (s->question.explain)
        (void)eval_template(ctx, s->question.explain, out, sizeof out, err, sizeof err);
}

static void test_fuzz(void **state)
{
    EvalContext *ctx = &((EvalFx *)*state)->ctx;
    const size_t cap = 8192;
    char base[4096], *buf = malloc(cap);
    assert_non_null(buf);
    size_t base_len = (size_t)snprintf(base, sizeof base, "%s%s", DOC_EXAMPLE, FUZZ_EXTRA);
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = base_len;
        memcpy(buf, base, len);
        int rounds = 1 + (int)rnd(8);
        for (int r = 0; r < rounds; r++) mutate(buf, &len, cap);
        Lesson l;
        char err[1024];
        if (lesson_parse(buf, len, "fuzz", &l, err, sizeof err) == 0) {
            parsed++;
            assert_true(l.n_slides >= 1 && l.n_slides <= LESSON_MAX_SLIDES);
            for (int i = 0; i < l.n_slides; i++) fuzz_slide(ctx, &l, i);
            lesson_free(&l);
        } else {
            /* every message is "fuzz:LINE: text" */
            int line = 0, used = 0;
            if (sscanf(err, "fuzz:%d: %n", &line, &used) != 1 || used == 0 || line < 1)
                fail_msg("bad message: %s", err);
            assert_null(l.slides);
        }
    }
    print_message("fuzz: %d of 20000 mutants parsed\n", parsed);
    assert_true(parsed > 1000);   /* the mutations must reach past the parser */
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_doc_example),
        cmocka_unit_test(test_paragraph_joining),
        cmocka_unit_test(test_state_accumulates),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_limits),
        cmocka_unit_test_setup_teardown(test_fuzz, setup_eval, teardown_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
