/* test_lesson_question: the questions of a lesson (lessons/question.c):
 * choice questions, keyed hints ('wrong:') and typed answers; the checker
 * and the handout printer that report and print them (lessons/check.c);
 * and the zh glossary (lessons/glossary.c, docs/glossary.md, read from the
 * repository root). */
#include "tests/lesson_fixture.h"

#include "lessons/glossary.h"

#include <stdbool.h>

/* ---- check and print ----------------------------------------------------- */

static void test_check_and_print(void **state)
{
    (void)state;
    Lesson l = parse_ok(DOC_EXAMPLE);
    char err[512], *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(lesson_check(&l, f, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(len, 0);
    assert_string_equal(err, "");
    free(buf);

    f = open_memstream(&buf, &len);
    assert_int_equal(lesson_print(&l, f, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "Lesson 2: The causal mask\n"));
    assert_non_null(strstr(buf, "1. The lower triangle\n"));
    assert_non_null(strstr(buf, "\nDuring prefill the model reads all five prompt tokens at once. "
                                "Each row of the grid"));
    assert_non_null(strstr(buf, "\nQ: How many cells of one head's 5×5 grid are visible after "
                                "prefill?\nA: 15\n"));
    assert_non_null(strstr(buf, "\nHint: Count the diagonal and everything below it.\n"));
    assert_non_null(strstr(buf, "\nExplanation: Row i sees i+1 cells, so 1+2+3+4+5 = 15.\n"));
    assert_non_null(strstr(buf, "\n2. Next\n\n...\n"));
    free(buf);
    lesson_free(&l);

    /* several problems: each reported once, in order, as path:line: */
    const char *bad = "lesson: 1\nid: x\nlang: en\ntitle: T\n"
                      "--- slide: A\ngen: 2\nThere are {G+} steps.\n"   /* 5-7 */
                      "? Q\n= macs(cache, ffn, 2)\n"                   /* 8-9 */
                      "--- slide: B\nmodel: heads=3\nText.\n"          /* 10-12 */
                      "--- slide: C\nStill bad.\n"                     /* 13-14 */
                      "--- slide: D\nmodel: heads=2\n? R\n= 1/4\ntolerance: 0.1\n"; /* 15-19 */
    l = parse_ok(bad);
    f = open_memstream(&buf, &len);
    assert_int_equal(lesson_check(&l, f, err, sizeof err), 3);
    fclose(f);
    assert_string_equal(buf,
                        "t.lesson:7: {G+}: unexpected end of the expression; expected a number, "
                        "a name, a function or '('\n"
                        "t.lesson:9: step 2 out of range 0..1\n"
                        "t.lesson:11: --heads 3: d-model (8) must be divisible by heads\n");
    assert_string_equal(err, "t.lesson:7: {G+}: unexpected end of the expression; expected a "
                             "number, a name, a function or '('");
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(lesson_print(&l, f, err, sizeof err), -1);
    fclose(f);
    free(buf);
    assert_string_equal(err, "t.lesson:7: {G+}: unexpected end of the expression; expected a "
                             "number, a name, a function or '('");
    lesson_free(&l);
}

/* ---- choice questions, keyed hints, typed answers (issue 14) -------------- */

#define HDR "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
#define HDR_ZH "lesson: 1\nid: x\nlang: zh\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"

static char *print_of(const Lesson *l)
{
    char err[512], *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (lesson_print(l, f, err, sizeof err)) fail_msg("%s", err);
    fclose(f);
    return buf;
}

static int check_count(const Lesson *l, char **report)
{
    char err[512];
    size_t len = 0;
    FILE *f = open_memstream(report, &len);
    assert_non_null(f);
    int n = lesson_check(l, f, err, sizeof err);
    fclose(f);
    return n;
}

static void test_choice_questions(void **state)
{
    (void)state;
    Lesson l = parse_ok(HDR "? What does the prefill do with the cache?\n"
                            "choice: a It reads the keys of the prompt.\n"
                            "choice: b It writes them: {L} rows per table.\n"
                            "choice: c Nothing.\n"
                            "= b\n"
                            "wrong: a -> The cache is empty before the prefill.\n"
                            "wrong: c → Decode reads what the prefill stored.\n"
                            "hint: Which phase runs first?\n");
    const Question *q = &l.slides[0].question;
    assert_int_equal(q->n_choices, 3);
    assert_int_equal(q->choices[1].key, 'b');
    assert_string_equal(q->choices[1].text, "It writes them: {L} rows per table.");
    assert_int_equal(q->choices[2].line, 11);
    assert_int_equal(q->correct, 'b');
    assert_int_equal(q->n_wrong, 2);
    assert_string_equal(q->wrong[0].value, "a");
    assert_string_equal(q->wrong[0].text, "The cache is empty before the prefill.");
    assert_string_equal(q->wrong[1].value, "c");
    assert_string_equal(q->wrong[1].text, "Decode reads what the prefill stored.");
    assert_int_equal(q->wrong[1].line, 14);
    assert_true(lesson_find_choice(q, 'B') == &q->choices[1]);
    assert_null(lesson_find_choice(q, 'd'));
    assert_true(lesson_choice_value('B') == lesson_choice_value('b'));
    assert_true(lesson_answer_ok(lesson_choice_value(q->correct), 0, lesson_choice_value('B')));
    assert_false(lesson_answer_ok(lesson_choice_value(q->correct), 0, lesson_choice_value('a')));
    char *report = NULL;
    assert_int_equal(check_count(&l, &report), 0);
    free(report);
    char *out = print_of(&l);
    assert_non_null(strstr(out, "Q: What does the prefill do with the cache?\n"
                                "  a) It reads the keys of the prompt.\n"
                                "  b) It writes them: 5 rows per table.\n"
                                "  c) Nothing.\n"
                                "A: b\n"
                                "If a: The cache is empty before the prefill.\n"
                                "If c: Decode reads what the prefill stored.\n"
                                "Hint: Which phase runs first?\n"));
    free(out);
    lesson_free(&l);

    /* true/false, in both languages */
    l = parse_ok(HDR "? True or false: a decode row needs the mask.\nchoices: true-false\n= f\n");
    q = &l.slides[0].question;
    assert_int_equal(q->n_choices, 2);
    assert_int_equal(q->choices[0].key, 't');
    assert_string_equal(q->choices[0].text, "true");
    assert_string_equal(q->choices[1].text, "false");
    assert_int_equal(q->correct, 'f');
    out = print_of(&l);
    assert_non_null(strstr(out, "  t) true\n  f) false\nA: f\n"));
    free(out);
    lesson_free(&l);
    l = parse_ok(HDR_ZH "? 判断：解码这一行需要掩码。\nchoices: true-false\n= f\nwrong: t -> 它看得见每个键。\n");
    q = &l.slides[0].question;
    assert_string_equal(q->choices[0].text, "对");
    assert_string_equal(q->choices[1].text, "错");
    out = print_of(&l);
    assert_non_null(strstr(out, "  t) 对\n  f) 错\nA: f\n若答 t：它看得见每个键。\n"));
    free(out);
    lesson_free(&l);

    /* errors */
    PARSE_FAILS(HDR "? Q\nchoice: a one\n= a\n", 9, "at least 2 'choice:' lines");
    PARSE_FAILS(HDR "? Q\nchoice: a one\nchoice: b two\n= c\n", 11,
                "'= c': a choice question's answer is one of its keys (a or b)");
    PARSE_FAILS(HDR "? Q\nchoice: a one\nchoice: b two\n= 1+1\n", 11, "one of its keys");
    PARSE_FAILS(HDR "? Q\nchoice: a one\nchoice: a two\n= a\n", 10, "duplicate choice 'a' (first on line 9)");
    PARSE_FAILS(HDR "? Q\nchoice: ab one\n= a\n", 9, "expected a key letter a-z");
    PARSE_FAILS(HDR "? Q\nchoice: A one\n= a\n", 9, "expected a key letter a-z");
    PARSE_FAILS(HDR "? Q\nchoices: yes-no\n= a\n", 9, "expected true-false");
    PARSE_FAILS(HDR "? Q\nchoices: true-false\n= t\ntolerance: 1\n", 11, "'tolerance:' in a choice question");
    PARSE_FAILS(HDR "? Q\nchoices: true-false\n= t\nwrong: t -> no\n", 11, "names the right answer");
    PARSE_FAILS(HDR "? Q\nchoices: true-false\n= t\nwrong: x -> no\n", 11, "the value is one of the keys");
    PARSE_FAILS(HDR "choice: a x\n? Q\n= 1\n", 8, "'choice:' before the question");
    PARSE_FAILS(HDR "? Q\n= 1\nwrong: 2\n", 10, "expected 'VALUE -> HINT'");
    PARSE_FAILS(HDR "? Q\n= 1\nwrong: -> hint\n", 10, "needs a value before the arrow");
    PARSE_FAILS(HDR "? Q\n= 1\nwrong: 2 ->  \n", 10, "needs a hint after the arrow");
    PARSE_FAILS(HDR "? Q\n= 1\nreveal-ok: a\nreveal-ok: b\n", 11, "duplicate 'reveal-ok:'");
    char many[2048];
    snprintf(many, sizeof many, "%s? Q\n", HDR);
    for (int i = 0; i < LESSON_MAX_CHOICES + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "choice: %c x\n", 'a' + i);
    strcat(many, "= a\n");
    PARSE_FAILS(many, 9 + LESSON_MAX_CHOICES, "more than 8 choices");
    snprintf(many, sizeof many, "%s? Q\n= 1\n", HDR);
    for (int i = 0; i < LESSON_MAX_HINTS + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "wrong: %d -> x\n", i + 2);
    PARSE_FAILS(many, 10 + LESSON_MAX_HINTS, "more than 16 'wrong:' lines");
}

static void test_keyed_hints(void **state)
{
    (void)state;
    /* values are expressions of the slide's state: L*L is 25 for "hello" */
    Lesson l = parse_ok(HDR "goto: step 0 end\n? Visible cells?\n= visible(0)\n"
                            "wrong: L*L -> You counted the masked cells too ({L*L}).\n"
                            "wrong: 10 → That is the hidden part.\n"
                            "hint: Generic.\n");
    const Question *q = &l.slides[0].question;
    assert_int_equal(q->n_wrong, 2);
    assert_string_equal(q->wrong[0].value, "L*L");
    char *report = NULL;
    assert_int_equal(check_count(&l, &report), 0);
    free(report);
    char *out = print_of(&l);
    assert_non_null(strstr(out, "A: 15\nIf 25: You counted the masked cells too (25).\n"
                                "If 10: That is the hidden part.\nHint: Generic.\n"));
    free(out);
    lesson_free(&l);

    /* lesson check: a keyed value the question accepts, a broken one */
    l = parse_ok(HDR "goto: step 0 end\n? Q\n= visible(0)\ntolerance: 1\n"
                     "wrong: 16 -> close\nwrong: L* -> broken\nwrong: 3 -> {nope}\n");
    assert_int_equal(check_count(&l, &report), 3);
    assert_string_equal(report,
                        "t.lesson:12: 'wrong: 16' is 16, which the question accepts as right\n"
                        "t.lesson:13: wrong: unexpected end of the expression; expected a number, "
                        "a name, a function or '('\n"
                        "t.lesson:14: {nope}: unknown name 'nope'; expected d, H, dh, Lyr, F, V, "
                        "N, L, G, k, n, t, pos, Hkv, W, B, balance or Nseq, a number or a function\n");
    free(report);
    lesson_free(&l);
}

static void test_typed_answers(void **state)
{
    (void)state;
    struct { const char *in; double want; } ok[] = {
        {"15", 15}, {" 15 ", 15}, {"2/5", 0.4}, {"1e3", 1000}, {"3*8", 24}, {"-2^2", -4},
        {"(1+2)*3", 9}, {".5", 0.5}, {"524,288", 524288}, {"1,073,741,824", 1073741824},
        {"2^31/2^30", 2}, {"7 % 4", 3},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        char err[256];
        if (eval_number(ok[i].in, &v, err, sizeof err)) fail_msg("%s: %s", ok[i].in, err);
        if (fabs(v - ok[i].want) > 1e-12) fail_msg("%s read as %g, not %g", ok[i].in, v, ok[i].want);
    }
    /* before issue 14, "2/5" was typed as "25": the '/' was dropped */
    double v;
    char err[256];
    assert_int_equal(eval_number("2/5", &v, err, sizeof err), 0);
    assert_true(v != 25);
    struct { const char *in, *msg; } bad[] = {
        {"", "empty expression"},
        {"L", "'L' at column 1: an answer holds only numbers"},
        {"visible(0)", "'visible' at column 1: an answer holds only numbers"},
        {"2/0", "division by zero at column 2"},
        {"1,5", "unexpected ','"},
        {"3*", "unexpected end of the expression; expected a number or '('"},
        {"1e999", "too long or too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!eval_number(bad[i].in, &v, err, sizeof err)) fail_msg("'%s' accepted as %g", bad[i].in, v);
        if (!strstr(err, bad[i].msg)) fail_msg("'%s': got \"%s\", expected \"%s\"", bad[i].in, err, bad[i].msg);
    }
    char longer[300];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(eval_number(longer, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "answer longer than"));
}


/* ---- the zh glossary (issue 14) ------------------------------------------ */

static void test_glossary(void **state)
{
    (void)state;
    /* variants are warned about, with the right term; glosses, code and
     * templates are not; an en lesson is not checked */
    Lesson l = parse_ok("lesson: 1\nid: x\nlang: zh\ntitle: 预填充\n--- slide: S\nprompt: hello\n"
                        "这些格子被屏蔽了。\n\n"                               /* 7 */
                        "词元（token）可以注释一次；`kvsim --prompt token` 是代码。\n\n"
                        "模型的 token 和 prefill 都不该出现，KV Cache 也不该。\n\n"  /* 11 */
                        "分组查询注意力不是组查询注意力的误报。预填充不是预填。\n"  /* 13 */
                        "? 多少？\n= kv_bytes(0)\nhint: {kv_bytes(0)} 字节，不要写键值缓存。\n");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int n = glossary_check(&l, f);
    fclose(f);
    assert_string_equal(buf,
        "t.lesson:7: warning: '屏蔽' is not the glossary's term; write '被掩码' (masked (cell, product)), see docs/glossary.md\n"
        "t.lesson:11: warning: 'token' is not the glossary's term; write '词元' (token), see docs/glossary.md\n"
        "t.lesson:11: warning: 'prefill' is not the glossary's term; write '预填充' (prefill), see docs/glossary.md\n"
        "t.lesson:11: warning: 'KV cache' is not the glossary's term; write 'KV 缓存' (KV cache), see docs/glossary.md\n"
        "t.lesson:13: warning: '组查询注意力' is not the glossary's term; write '分组查询注意力' (grouped-query attention (GQA)), see docs/glossary.md\n"
        "t.lesson:13: warning: '预填' is not the glossary's term; write '预填充' (prefill), see docs/glossary.md\n"
        "t.lesson:16: warning: '键值缓存' is not the glossary's term; write 'KV 缓存' (KV cache), see docs/glossary.md\n");
    assert_int_equal(n, 7);
    free(buf);
    /* warnings do not make lesson_check fail, but it prints them */
    f = open_memstream(&buf, &len);
    char err[512];
    assert_int_equal(lesson_check(&l, f, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "t.lesson:7: warning: '屏蔽'"));
    free(buf);
    lesson_free(&l);
    l = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nThe prefill token 屏蔽.\n");
    assert_int_equal(glossary_check(&l, NULL), 0);
    lesson_free(&l);

    /* every term of the table is in docs/glossary.md */
    FILE *g = fopen("docs/glossary.md", "r");
    if (!g) fail_msg("docs/glossary.md: cannot open (run from the repository root)");
    static char doc[65536];
    size_t got = fread(doc, 1, sizeof doc - 1, g);
    fclose(g);
    doc[got] = '\0';
    int nt;
    const GlossaryTerm *t = glossary_terms(&nt);
    assert_true(nt >= 20);
    for (int i = 0; i < nt; i++) {
        char row[512];
        snprintf(row, sizeof row, "| %s | %s |", t[i].en, t[i].zh);
        if (!strstr(doc, row)) fail_msg("docs/glossary.md lacks the row \"%s\"", row);
    }
    /* the curriculum's six core terms */
    const char *core[][2] = {{"prefill", "预填充"}, {"decode, decoding", "解码"}, {"KV cache", "KV 缓存"},
                             {"causal mask", "因果掩码"}, {"autoregressive", "自回归"},
                             {"teacher forcing", "教师强制"}};
    for (size_t c = 0; c < sizeof core / sizeof core[0]; c++) {
        bool found = false;
        for (int i = 0; i < nt; i++) found |= !strcmp(t[i].en, core[c][0]) && !strcmp(t[i].zh, core[c][1]);
        if (!found) fail_msg("glossary lacks %s = %s", core[c][0], core[c][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_and_print),
        cmocka_unit_test(test_choice_questions),
        cmocka_unit_test(test_keyed_hints),
        cmocka_unit_test(test_typed_answers),
        cmocka_unit_test(test_glossary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
