/* Tests for sim/tokenizer: the alphabet, UTF-8 decoding and the error
 * messages a person sees when a prompt cannot be encoded.
 *
 * Expected values come from outside the code under test: UTF-8 bytes written
 * by hand, code points from the Unicode charts, and text copied from the
 * Chinese KV-cache tutorial and the curriculum glossary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/tokenizer.h"

#define N_ASCII 95

/* The table's size is part of the model shape (V rows of the embedding), so
 * a change must be deliberate: update these two numbers with it. */
#define N_PUNCT 21
#define N_HAN 957

#define NOT_IN_ALPHABET "is not in the alphabet (printable ASCII and common Chinese)"

/* Encode text that must succeed; returns the count. */
static int encode_ok(const char *text, int *ids, int cap)
{
    char err[256] = "unset";
    int n = tokenizer_encode(text, ids, cap, err, sizeof err);
    if (n < 0)
        fail_msg("encode(\"%s\") failed: %s", text, err);
    return n;
}

/* Encode text that must fail; checks the whole message. */
static void expect_error(const char *text, int cap, const char *want)
{
    int ids[256];
    char err[256] = "";
    assert_int_equal(tokenizer_encode(text, ids, cap, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_null(strchr(err, '\n'));
}

static void test_ascii_round_trip(void **state)
{
    (void)state;
    char all[N_ASCII + 1];
    for (int c = 0x20; c <= 0x7E; c++)
        all[c - 0x20] = (char)c;
    all[N_ASCII] = '\0';

    int ids[N_ASCII];
    assert_int_equal(encode_ok(all, ids, N_ASCII), N_ASCII);
    for (int i = 0; i < N_ASCII; i++) {
        char out[5] = "xxxx";
        assert_int_equal(ids[i], i); /* id = code point - 0x20 */
        assert_int_equal(tokenizer_codepoint(i), 0x20 + i);
        assert_int_equal(tokenizer_id(0x20 + i), i);
        assert_int_equal(tokenizer_decode(i, out), 1);
        assert_int_equal((unsigned char)out[0], 0x20 + i);
        assert_int_equal(out[1], '\0');
        assert_int_equal(tokenizer_width(i), 1);
    }
}

static void test_chinese_round_trip(void **state)
{
    (void)state;
    const char *text = "我是一个学生";
    const int32_t cps[6] = {0x6211, 0x662F, 0x4E00, 0x4E2A, 0x5B66, 0x751F};
    int ids[6];
    char back[64] = "";

    assert_int_equal(encode_ok(text, ids, 6), 6);
    for (int i = 0; i < 6; i++) {
        char out[5];
        assert_true(ids[i] >= N_ASCII);
        assert_true(ids[i] < tokenizer_vocab());
        assert_int_equal(tokenizer_codepoint(ids[i]), cps[i]);
        assert_int_equal(tokenizer_decode(ids[i], out), 3);
        assert_int_equal(tokenizer_width(ids[i]), 2);
        strcat(back, out);
    }
    assert_string_equal(back, text);

    /* Mixed ASCII and Chinese keep their order. */
    int mixed[8];
    assert_int_equal(encode_ok("KV 缓存!", mixed, 8), 6);
    assert_int_equal(mixed[0], 'K' - 0x20);
    assert_int_equal(mixed[2], 0);
    assert_int_equal(tokenizer_codepoint(mixed[3]), 0x7F13); /* 缓 */
    assert_int_equal(tokenizer_codepoint(mixed[4]), 0x5B58); /* 存 */
    assert_int_equal(mixed[5], '!' - 0x20);
}

/* Ids are 0..V-1 with no gaps, code points strictly ascending (so the binary
 * search in tokenizer_id is valid), and id <-> code point are inverse. */
static void test_vocab_dense_and_sorted(void **state)
{
    (void)state;
    int v = tokenizer_vocab();
    int punct = 0, han = 0;

    assert_int_equal(v, N_ASCII + N_PUNCT + N_HAN);
    for (int id = 0; id < v; id++) {
        int32_t cp = tokenizer_codepoint(id);
        assert_true(cp >= 0x20);
        if (id > 0)
            assert_true(cp > tokenizer_codepoint(id - 1));
        assert_int_equal(tokenizer_id(cp), id);
        if (id >= N_ASCII) {
            if (cp >= 0x4E00 && cp <= 0x9FFF)
                han++;
            else
                punct++;
        }
    }
    assert_int_equal(punct, N_PUNCT);
    assert_int_equal(han, N_HAN);
    assert_true(han >= 400);

    assert_int_equal(tokenizer_codepoint(-1), -1);
    assert_int_equal(tokenizer_codepoint(v), -1);
    assert_int_equal(tokenizer_width(-1), 0);
    assert_int_equal(tokenizer_width(v), 0);
}

/* Every scalar value: tokenizer_id finds exactly the code points that some
 * id maps to (a linear inverse built from tokenizer_codepoint). */
static void test_id_lookup_exhaustive(void **state)
{
    (void)state;
    static int inverse[0x110000];
    memset(inverse, 0xFF, sizeof inverse); /* all -1 */
    for (int id = 0; id < tokenizer_vocab(); id++)
        inverse[tokenizer_codepoint(id)] = id;
    for (int32_t cp = 0; cp < 0x110000; cp++)
        if (tokenizer_id(cp) != inverse[cp])
            fail_msg("tokenizer_id(U+%04X) = %d, expected %d", (unsigned)cp,
                     tokenizer_id(cp), inverse[cp]);

    assert_int_equal(tokenizer_id(-1), -1);
    assert_int_equal(tokenizer_id(0x1F), -1);
    assert_int_equal(tokenizer_id(0x7F), -1);
    assert_int_equal(tokenizer_id(0x110000), -1);
    assert_int_equal(tokenizer_id(INT32_MAX), -1);
}

/* decode -> utf8_next gives the code point back, for every id. */
static void test_decode_then_utf8_next(void **state)
{
    (void)state;
    for (int id = 0; id < tokenizer_vocab(); id++) {
        char out[5];
        int32_t cp = -1;
        int n = tokenizer_decode(id, out);
        assert_in_range(n, 1, 3); /* nothing in the alphabet needs 4 bytes */
        assert_int_equal((int)strlen(out), n);
        assert_int_equal(utf8_next(out, &cp), n);
        assert_int_equal(cp, tokenizer_codepoint(id));
    }

    char out[5] = "xxxx";
    assert_int_equal(tokenizer_decode(-1, out), 0);
    assert_string_equal(out, "");
    assert_int_equal(tokenizer_decode(tokenizer_vocab(), out), 0);
}

static void test_required_punctuation(void **state)
{
    (void)state;
    /* ，。、？！：；“”‘’（）《》…— */
    static const int32_t cps[] = {
        0xFF0C, 0x3002, 0x3001, 0xFF1F, 0xFF01, 0xFF1A, 0xFF1B, 0x201C, 0x201D,
        0x2018, 0x2019, 0xFF08, 0xFF09, 0x300A, 0x300B, 0x2026, 0x2014,
    };
    const char *text = "，。、？！：；“”‘’（）《》…—";
    int ids[32];
    int n = (int)(sizeof cps / sizeof cps[0]);

    assert_int_equal(encode_ok(text, ids, 32), n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(tokenizer_codepoint(ids[i]), cps[i]);
        /* General punctuation (U+2000..206F) is ambiguous-width: one column
         * in a UTF-8 terminal, like glibc's wcwidth; CJK punctuation is two. */
        assert_int_equal(tokenizer_width(ids[i]), (cps[i] >= 0x2000 && cps[i] <= 0x206F) ? 1 : 2);
    }
}

/* Text copied from the tutorial (ASCII words left out) and the curriculum's
 * Chinese glossary: the lessons quote these, so every character must encode. */
static void test_reference_text_in_alphabet(void **state)
{
    (void)state;
    static const char *const samples[] = {
        "我们今天讨论的大多数生成式都属于架构。这类模型仅使用的解码器模块堆叠而成。",
        "这是架构的灵魂所在。它只能“看到”自身及之前的所有，"
        "确保了模型生成文本时遵循从左到右的自然顺序。",
        "训练：推理：两种截然不同的模式。那么计算量将是巨大的。",
        "模型就进入了逐字生成的解码阶段。它们扮演着不同的角色：",
        "负责一次性填充缓存，则负责逐步使用并扩展缓存。",
        "预填充、解码、缓存、因果掩码、掩码自注意力、教师强制、自回归、词元、"
        "多头注意力、分组查询注意力、多查询注意力、访存密集型、计算密集型、"
        "计算强度、首字延迟、滑动窗口注意力、分页注意力、残差连接、层归一化、"
        "前馈网络、空间换时间。",
    };
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        const char *p = samples[s];
        int32_t cp;
        int len, chars = 0;
        while ((len = utf8_next(p, &cp)) > 0) {
            if (tokenizer_id(cp) < 0)
                fail_msg("U+%04X '%.*s' of sample %zu is not in the alphabet",
                         (unsigned)cp, len, p, s);
            p += len;
            chars++;
        }
        assert_int_equal(len, 0);
        int ids[512];
        assert_int_equal(encode_ok(samples[s], ids, 512), chars);
    }
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"\xff", "invalid UTF-8 at byte 1 (0xff)"},
        {"ab\xff", "invalid UTF-8 at byte 3 (0xff)"},
        {"\xe6\x88", "invalid UTF-8 at byte 1 (0xe6)"},        /* 我 cut short */
        {"ab\xe6\x88", "invalid UTF-8 at byte 3 (0xe6)"},
        {"\xe6\x88!", "invalid UTF-8 at byte 1 (0xe6)"},       /* ASCII inside */
        {"\xc0\xaf", "invalid UTF-8 at byte 1 (0xc0)"},        /* overlong '/' */
        {"x\xed\xa0\x80", "invalid UTF-8 at byte 2 (0xed)"},   /* U+D800 */
        {"\x80", "invalid UTF-8 at byte 1 (0x80)"},            /* stray */
        /* 我 is 3 bytes: the position counts bytes, not characters. */
        {"我\x80", "invalid UTF-8 at byte 4 (0x80)"},
        {"我是a\xbf", "invalid UTF-8 at byte 8 (0xbf)"},
        {"\xf4\x90\x80\x80", "invalid UTF-8 at byte 1 (0xf4)"}, /* U+110000 */
        {"\xe0\x80\x80", "invalid UTF-8 at byte 1 (0xe0)"},     /* overlong NUL */
        {"\xf0\x80\x80\x80", "invalid UTF-8 at byte 1 (0xf0)"},
        /* The first problem wins: here a tab before the bad byte. */
        {"\t\xff", "character U+0009 at position 1 " NOT_IN_ALPHABET},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].text, 64, cases[i].msg);
}

static void test_utf8_next(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int len;
        int32_t cp;
    } ok[] = {
        {"A", 1, 0x41},
        {"\x7f", 1, 0x7F},
        {"\xc2\x80", 2, 0x80},
        {"\xdf\xbf", 2, 0x7FF},
        {"\xe0\xa0\x80", 3, 0x800},
        {"\xe6\x88\x91", 3, 0x6211}, /* 我 */
        {"\xed\x9f\xbf", 3, 0xD7FF},
        {"\xee\x80\x80", 3, 0xE000},
        {"\xef\xbf\xbf", 3, 0xFFFF},
        {"\xf0\x90\x80\x80", 4, 0x10000},
        {"\xf0\x9f\x98\x80", 4, 0x1F600},
        {"\xf4\x8f\xbf\xbf", 4, 0x10FFFF},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int32_t cp = -1;
        assert_int_equal(utf8_next(ok[i].s, &cp), ok[i].len);
        assert_int_equal(cp, ok[i].cp);
    }

    static const char *const bad[] = {
        "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2!", "\xe0\x9f\xbf",
        "\xe6\x88", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf",
        "\xf0\x9f\x98", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8", "\xfe", "\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t cp = 12345;
        assert_int_equal(utf8_next(bad[i], &cp), -1);
        assert_int_equal(cp, 12345); /* untouched on error */
    }

    int32_t cp = 12345;
    assert_int_equal(utf8_next("", &cp), 0);
    assert_int_equal(cp, 12345);
}

static void test_unknown_characters(void **state)
{
    (void)state;
    expect_error("ab€", 64, "character '€' (U+20AC) at position 3 " NOT_IN_ALPHABET);
    expect_error("我😀", 64, "character '😀' (U+1F600) at position 2 " NOT_IN_ALPHABET);
    expect_error("a\tb", 64, "character U+0009 at position 2 " NOT_IN_ALPHABET);
    expect_error("hi\n", 64, "character U+000A at position 3 " NOT_IN_ALPHABET);
    expect_error("\x7f", 64, "character U+007F at position 1 " NOT_IN_ALPHABET);
    expect_error("我是龘", 64, "character '龘' (U+9F98) at position 3 " NOT_IN_ALPHABET);
    /* Traditional form of 学 (學): only simplified characters are in. */
    expect_error("學", 64, "character '學' (U+5B78) at position 1 " NOT_IN_ALPHABET);
    /* Invisible characters are named by code point only. */
    expect_error("a\xe2\x80\x8b", 64, "character U+200B at position 2 " NOT_IN_ALPHABET);
    expect_error("\xef\xbb\xbfhi", 64, "character U+FEFF at position 1 " NOT_IN_ALPHABET);
    /* The first problem wins, even past cap. */
    expect_error("abcd€", 2, "character '€' (U+20AC) at position 5 " NOT_IN_ALPHABET);
}

static void test_capacity(void **state)
{
    (void)state;
    char text[71];
    memset(text, 'a', 70);
    text[70] = '\0';
    expect_error(text, 64, "prompt has 70 characters; at most 64 allowed");

    /* Exactly cap fits; nothing is written past cap on overflow. */
    int ids[65];
    text[64] = '\0';
    assert_int_equal(encode_ok(text, ids, 64), 64);
    text[64] = 'a';
    text[65] = '\0';
    ids[64] = -7;
    char err[128];
    assert_int_equal(tokenizer_encode(text, ids, 64, err, sizeof err), -1);
    assert_string_equal(err, "prompt has 65 characters; at most 64 allowed");
    assert_int_equal(ids[64], -7);

    /* Characters, not bytes: 6 Chinese characters are 18 bytes. */
    expect_error("我是一个学生", 5, "prompt has 6 characters; at most 5 allowed");
    assert_int_equal(encode_ok("我是一个学生", ids, 6), 6);

    expect_error("a", 0, "prompt has 1 character; at most 0 allowed");
}

static void test_empty_prompt(void **state)
{
    (void)state;
    int ids[1] = {-7};
    char err[32] = "stale";
    assert_int_equal(tokenizer_encode("", ids, 1, err, sizeof err), 0);
    assert_int_equal(ids[0], -7);
    assert_int_equal(tokenizer_encode("", NULL, 0, err, sizeof err), 0);
}

/* A short err buffer still gets a NUL-terminated message, never half of a
 * UTF-8 sequence; no buffer at all is allowed. */
static void test_short_error_buffer(void **state)
{
    (void)state;
    int ids[8];
    char err[15];
    /* "character '€' ..." : '€' occupies bytes 11..13 (0-based). */
    for (size_t len = 1; len <= sizeof err; len++) {
        memset(err, 'x', sizeof err);
        assert_int_equal(tokenizer_encode("ab€", ids, 8, err, len), -1);
        assert_true(strlen(err) < len);
        assert_int_equal(strncmp(err, "character '€' (U+20AC)", strlen(err)), 0);
        size_t n = strlen(err);
        int32_t cp;
        const char *p = err;
        int step;
        while ((step = utf8_next(p, &cp)) > 0)
            p += step;
        assert_int_equal(step, 0); /* the whole prefix is valid UTF-8 */
        assert_ptr_equal(p, err + n);
    }
    assert_int_equal(tokenizer_encode("ab€", ids, 8, NULL, 0), -1);
    assert_int_equal(tokenizer_encode("\xff", ids, 8, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_round_trip),
        cmocka_unit_test(test_chinese_round_trip),
        cmocka_unit_test(test_vocab_dense_and_sorted),
        cmocka_unit_test(test_id_lookup_exhaustive),
        cmocka_unit_test(test_decode_then_utf8_next),
        cmocka_unit_test(test_required_punctuation),
        cmocka_unit_test(test_reference_text_in_alphabet),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_utf8_next),
        cmocka_unit_test(test_unknown_characters),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_empty_prompt),
        cmocka_unit_test(test_short_error_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
