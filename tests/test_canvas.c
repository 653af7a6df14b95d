/* Tests for ui/canvas: text, clipping, wide characters, boxes, wrap,
 * shades, bars, dump, and a random-call run for ASan/UBSan.
 * Expected screens are written out by hand from the spec in canvas.h. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui/canvas.h"
#include "ui/panels/table.h"
#include "ui/style.h"

static void assert_dump(const Canvas *c, const char *want)
{
    char *got = canvas_dump(c);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static int32_t cp_at(const Canvas *c, int x, int y)
{
    const CanvasCell *k = canvas_at(c, x, y);
    assert_non_null(k);
    return k->cp;
}

static void test_init_and_sizes(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, -1, 3), -1);
    canvas_free(&c);
    assert_int_equal(canvas_init(&c, 5000, 3), -1);
    canvas_free(&c);

    assert_int_equal(canvas_init(&c, 0, 0), 0); /* empty canvas: all no-ops */
    canvas_text(&c, 0, 0, -1, STYLE_NORMAL, "x");
    canvas_box(&c, (Rect){0, 0, 4, 4}, STYLE_BORDER, "t");
    assert_dump(&c, "");
    canvas_free(&c);
    canvas_free(&c); /* idempotent */

    assert_int_equal(canvas_init(&c, 3, 2), 0);
    assert_dump(&c, "\n\n");
    assert_null(canvas_at(&c, 3, 0));
    assert_null(canvas_at(&c, 0, -1));
    canvas_free(&c);
}

static void test_text_and_clipping(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 10, 3), 0);

    assert_int_equal(canvas_text(&c, 1, 0, -1, STYLE_NORMAL, "hello"), 5);
    /* past the right edge: clipped, but the advance is the full width */
    assert_int_equal(canvas_text(&c, 6, 1, -1, STYLE_NORMAL, "abcdefgh"), 8);
    /* negative x and y */
    assert_int_equal(canvas_text(&c, -2, 2, -1, STYLE_NORMAL, "xyzzy"), 5);
    canvas_text(&c, 0, -1, -1, STYLE_NORMAL, "never");
    canvas_text(&c, 0, 3, -1, STYLE_NORMAL, "never");
    assert_dump(&c, " hello\n      abcd\nzzy\n");

    /* max_w cuts the text and bounds the return value */
    canvas_clear(&c);
    assert_int_equal(canvas_text(&c, 0, 0, 3, STYLE_NORMAL, "hello"), 3);
    assert_int_equal(canvas_text(&c, 0, 1, 0, STYLE_NORMAL, "hello"), 0);
    assert_dump(&c, "hel\n\n\n");

    /* rect clip: only columns 2..4 of row 1 are drawable */
    canvas_clear(&c);
    Rect old = canvas_set_clip(&c, (Rect){2, 1, 3, 1});
    assert_int_equal(old.w, 10);
    canvas_text(&c, 0, 0, -1, STYLE_NORMAL, "abcdefg");
    canvas_text(&c, 0, 1, -1, STYLE_NORMAL, "abcdefg");
    canvas_fill(&c, (Rect){0, 0, 10, 3}, '#', STYLE_NORMAL);
    canvas_set_clip(&c, old);
    assert_dump(&c, "\n  ###\n\n");
    canvas_clear(&c);
    canvas_set_clip(&c, (Rect){2, 1, 3, 1});
    canvas_text(&c, 0, 1, -1, STYLE_NORMAL, "abcdefg");
    canvas_reset_clip(&c);
    canvas_text(&c, 8, 2, -1, STYLE_DIM, "ok");
    assert_dump(&c, "\n  cde\n        ok\n");
    assert_int_equal(canvas_at(&c, 9, 2)->style, STYLE_DIM);
    assert_int_equal(canvas_at(&c, 2, 1)->style, STYLE_NORMAL);

    /* a clip bigger than the canvas is cut to the canvas */
    Rect r = canvas_set_clip(&c, (Rect){-5, -5, 100, 100});
    (void)r;
    assert_int_equal(c.clip.x, 0);
    assert_int_equal(c.clip.w, 10);
    assert_int_equal(c.clip.h, 3);
    canvas_free(&c);
}

static void test_text_sanitizing(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 8, 1), 0);
    /* control characters become spaces; invalid UTF-8 becomes U+FFFD */
    assert_int_equal(canvas_text(&c, 0, 0, -1, STYLE_NORMAL, "a\tb\x1b" "c\xff" "d"), 7);
    assert_dump(&c, "a b c\xef\xbf\xbd" "d\n");
    canvas_put(&c, 0, 0, 0, STYLE_NORMAL); /* 0 is reserved for right halves */
    assert_int_equal(cp_at(&c, 0, 0), ' ');
    assert_int_equal(canvas_text_width("a\xff" "b"), 3);
    assert_int_equal(canvas_text_width(""), 0);
    assert_int_equal(canvas_text_width(NULL), 0);
    /* out-of-range style ids are stored as NORMAL */
    canvas_put(&c, 1, 0, 'z', 200);
    assert_int_equal(canvas_at(&c, 1, 0)->style, STYLE_NORMAL);
    canvas_free(&c);
}

static void test_textf(void **state)
{
    Canvas c;
    char longer[400];
    (void)state;
    assert_int_equal(canvas_init(&c, 12, 2), 0);
    assert_int_equal(canvas_textf(&c, 0, 0, -1, STYLE_NORMAL, "%d%% %s", 42, "ok"), 6);
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(canvas_textf(&c, 0, 1, -1, STYLE_NORMAL, "<%s>", longer), 401);
    assert_dump(&c, "42% ok\n<xxxxxxxxxxx\n");
    canvas_free(&c);
}

static void test_wide_chars(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 5, 4), 0);

    assert_int_equal(canvas_text_width("我是"), 4);
    assert_int_equal(canvas_text(&c, 0, 0, -1, STYLE_NORMAL, "我是"), 4);
    assert_int_equal(cp_at(&c, 0, 0), 0x6211);
    assert_int_equal(cp_at(&c, 1, 0), 0);
    assert_int_equal(cp_at(&c, 2, 0), 0x662F);
    assert_int_equal(cp_at(&c, 3, 0), 0);

    /* a wide char at the last column becomes a space */
    canvas_text(&c, 3, 1, -1, STYLE_NORMAL, "a我");
    assert_int_equal(cp_at(&c, 4, 1), ' ');
    /* ... and so does one with a single column of max_w left */
    assert_int_equal(canvas_text(&c, 0, 2, 4, STYLE_NORMAL, "a我是"), 4);
    assert_int_equal(cp_at(&c, 1, 2), 0x6211);
    assert_int_equal(cp_at(&c, 3, 2), ' ');
    /* right half visible, left half clipped: a space in the right half */
    canvas_text(&c, -1, 3, -1, STYLE_NORMAL, "我b");
    assert_int_equal(cp_at(&c, 0, 3), ' ');
    assert_dump(&c, "我是\n   a\na我\n b\n");

    /* overwriting either half clears the other half */
    canvas_put(&c, 1, 0, 'x', STYLE_NORMAL); /* right half of 我 */
    canvas_put(&c, 2, 0, 'y', STYLE_NORMAL); /* left half of 是 */
    assert_dump(&c, " xy\n   a\na我\n b\n");
    /* a wide char over two narrow ones, then over another wide pair */
    canvas_put(&c, 1, 3, 0x5B57, STYLE_NORMAL);
    assert_dump(&c, " xy\n   a\na我\n 字\n");
    canvas_put(&c, 0, 2, 0x4E2D, STYLE_NORMAL); /* half of 我 at column 1..2 */
    assert_dump(&c, " xy\n   a\n中\n 字\n");
    assert_int_equal(cp_at(&c, 2, 2), ' ');

    assert_int_equal(canvas_cp_width('a'), 1);
    assert_int_equal(canvas_cp_width(0xAC00), 2);   /* Hangul */
    assert_int_equal(canvas_cp_width(0xFF01), 2);   /* full-width ! */
    assert_int_equal(canvas_cp_width(0x20000), 2);  /* CJK ext. B */
    assert_int_equal(canvas_cp_width(0x2588), 1);   /* block element */
    canvas_free(&c);
}

static void test_box_unicode(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 12, 4), 0);
    canvas_box(&c, (Rect){0, 0, 12, 4}, STYLE_BORDER, "KV");
    assert_dump(&c, "┌─ KV ─────┐\n"
                    "│          │\n"
                    "│          │\n"
                    "└──────────┘\n");
    assert_int_equal(canvas_at(&c, 3, 0)->style, STYLE_TITLE);
    assert_int_equal(canvas_at(&c, 0, 0)->style, STYLE_BORDER);

    /* titles are cut to leave two border columns on each side */
    canvas_clear(&c);
    canvas_box(&c, (Rect){0, 0, 10, 2}, STYLE_BORDER, "Attention");
    canvas_box(&c, (Rect){0, 2, 10, 2}, STYLE_BORDER, "注意力");
    assert_dump(&c, "┌─ Atte ─┐\n└────────┘\n┌─ 注意 ─┐\n└────────┘\n");
    canvas_clear(&c);
    canvas_box(&c, (Rect){0, 0, 9, 2}, STYLE_BORDER, "注意力");
    canvas_box(&c, (Rect){0, 2, 6, 2}, STYLE_BORDER, "no room");
    assert_dump(&c, "┌─ 注  ─┐\n└───────┘\n┌────┐\n└────┘\n");

    /* a box partly outside the canvas is clipped */
    canvas_clear(&c);
    canvas_box(&c, (Rect){-2, 1, 6, 5}, STYLE_BORDER, NULL);
    assert_dump(&c, "\n───┐\n   │\n   │\n");
    canvas_free(&c);
}

static void test_box_ascii(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 12, 4), 0);
    canvas_set_ascii(&c, true);
    canvas_box(&c, (Rect){0, 0, 12, 4}, STYLE_BORDER, "KV");
    assert_dump(&c, "+- KV -----+\n"
                    "|          |\n"
                    "|          |\n"
                    "+----------+\n");
    /* ASCII mode stores ASCII only: Chinese becomes '?' per column (the
     * UI says why), the symbols of the one fallback table their letter */
    canvas_clear(&c);
    canvas_box(&c, (Rect){0, 0, 12, 3}, STYLE_BORDER, "注意力");
    canvas_text(&c, 1, 1, 10, STYLE_NORMAL, "键值×·‖");
    assert_dump(&c, "+- ?????? -+\n|????x*|   |\n+----------+\n\n");
    /* every symbol the issue found left over in --ascii has a fallback */
    static const int32_t used[] = {0xB7, 0x2016, 0x1D40, 0x3A3, 0xD7, 0x2026, 0x2308, 0x2309, 0x2013,
                                   0x2190, 0x2192, 0x2191, 0x2193, 0x25CF, 0x2581, 0x2713, 0x2717,
                                   0x2500, 0x2502, 0x250C, 0x2534, 0x2588, 0x258F, 0x2591};
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++) {
        int32_t a = canvas_ascii_fallback(used[i]);
        assert_true(a > 0x20 && a < 0x7F && a != '?');
    }
    assert_int_equal(canvas_ascii_fallback('k'), 'k');
    assert_int_equal(canvas_ascii_fallback(0x952E), '?');
    assert_int_equal(canvas_glyph(&c, GLYPH_CHECK), 'v');
    canvas_set_ascii(&c, false);
    assert_int_equal(canvas_glyph(&c, GLYPH_CHECK), 0x2713);
    canvas_free(&c);
}

static void test_wrap_english(void **state)
{
    Canvas c;
    const char *para = "The KV cache stores keys and values for every past token.";
    (void)state;
    assert_int_equal(canvas_init(&c, 12, 8), 0);
    assert_int_equal(canvas_wrap(&c, (Rect){1, 0, 10, 8}, STYLE_NORMAL, para), 7);
    assert_dump(&c, " The KV\n"
                    " cache\n"
                    " stores\n"
                    " keys and\n"
                    " values for\n"
                    " every past\n"
                    " token.\n"
                    "\n");

    /* only r.h lines are drawn; the return value still counts them all */
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 2}, STYLE_NORMAL, para), 7);
    assert_dump(&c, "The KV\ncache\n\n\n\n\n\n\n");
    assert_int_equal(canvas_wrap(NULL, (Rect){0, 0, 10, 0}, STYLE_NORMAL, para), 7);

    /* long words are split, '\n' is honoured, a final '\n' adds nothing */
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 8}, STYLE_NORMAL,
                                 "internationalization\n\nok   go\n"), 4);
    assert_dump(&c, "internatio\nnalization\n\nok   go\n\n\n\n\n");
    /* spaces at a break vanish, and so does a '\n' right after them */
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 5, 8}, STYLE_NORMAL,
                                 "hello   \nworld"), 2);
    assert_dump(&c, "hello\nworld\n\n\n\n\n\n\n");
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 0, 8}, STYLE_NORMAL, "x"), 0);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 5, 8}, STYLE_NORMAL, ""), 0);
    canvas_free(&c);
}

static void test_wrap_chinese(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 10, 4), 0);
    /* 5 characters per line; '，' may not start a line, so 值 moves down */
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 4}, STYLE_NORMAL,
                                 "我们把每一步的键和值，下次直接复用。"), 4);
    assert_dump(&c, "我们把每一\n"
                    "步的键和\n"
                    "值，下次直\n"
                    "接复用。\n");
    /* mixed: break between CJK characters, never inside "KV" */
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 4}, STYLE_NORMAL,
                                 "KV 缓存让生成更快"), 2);
    assert_dump(&c, "KV 缓存让\n生成更快\n\n\n");
    /* audit 2, finding 10: an opening quote never ends a line, a closing
     * one never starts one; the curly quotes as the CJK brackets */
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 4}, STYLE_NORMAL, "一二三四\u201c新\u201d五"), 2);
    assert_dump(&c, "一二三四\n\u201c新\u201d五\n\n\n");
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 4}, STYLE_NORMAL, "一二三四五\u201d是"), 2);
    assert_dump(&c, "一二三四\n五\u201d是\n\n\n");
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 4}, STYLE_NORMAL, "一二三四\u2018新\u2019五"), 2);
    assert_dump(&c, "一二三四\n\u2018新\u2019五\n\n\n");
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 4}, STYLE_NORMAL, "一二三四五\u2019是"), 2);
    assert_dump(&c, "一二三四\n五\u2019是\n\n\n");
    canvas_clear(&c);
    assert_int_equal(canvas_wrap(&c, (Rect){0, 0, 10, 4}, STYLE_NORMAL, "一二三四《新》五"), 2);
    assert_dump(&c, "一二三四\n《新》五\n\n\n");
    /* a 1-wide rect still makes progress: each wide char becomes a space */
    assert_int_equal(canvas_wrap(NULL, (Rect){0, 0, 1, 9}, STYLE_NORMAL, "我是"), 2);
    canvas_free(&c);
}

static void test_shade(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 6, 2), 0);
    canvas_put(&c, 0, 0, 'x', STYLE_NORMAL);
    canvas_shade(&c, 0, 0, 0.0, STYLE_VISIBLE);
    canvas_shade(&c, 1, 0, 0.5, STYLE_VISIBLE);
    canvas_shade(&c, 2, 0, 1.0, STYLE_VISIBLE);
    canvas_shade(&c, 3, 0, 0.01, STYLE_VISIBLE); /* tiny but visible */
    canvas_shade(&c, 4, 0, 0.9, STYLE_VISIBLE);  /* full only at 1 */
    canvas_shade(&c, 5, 0, 7.0, STYLE_VISIBLE);
    canvas_set_ascii(&c, true);
    canvas_shade(&c, 0, 1, 0.0, STYLE_VISIBLE);
    canvas_shade(&c, 1, 1, 0.5, STYLE_VISIBLE);
    canvas_shade(&c, 2, 1, 1.0, STYLE_VISIBLE);
    canvas_shade(&c, 3, 1, 0.01, STYLE_VISIBLE);
    canvas_shade(&c, 4, 1, 0.9, STYLE_VISIBLE);
    canvas_shade(&c, 5, 1, NAN, STYLE_VISIBLE);
    assert_dump(&c, " ▒█░▓█\n :@.#\n");
    assert_int_equal(canvas_at(&c, 0, 0)->style, STYLE_VISIBLE);
    canvas_free(&c);
}

static void test_hbar(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 6, 6), 0);
    canvas_text(&c, 0, 0, -1, STYLE_NORMAL, "xxxxxx");
    canvas_hbar(&c, 1, 0, 4, 0.0, STYLE_NORMAL);
    canvas_hbar(&c, 1, 1, 4, 0.5, STYLE_NORMAL);
    canvas_hbar(&c, 1, 2, 4, 1.0, STYLE_NORMAL);
    canvas_hbar(&c, 1, 3, 4, 0.3, STYLE_NORMAL);  /* 9.6 -> 10 eighths */
    canvas_hbar(&c, 1, 4, 4, 0.001, STYLE_NORMAL); /* non-zero: 1 eighth */
    canvas_hbar(&c, 1, 5, 2, 0.5, STYLE_NORMAL);  /* 8 eighths */
    assert_dump(&c, "x    x\n ██\n ████\n █▎\n ▏\n █\n");
    canvas_clear(&c);
    canvas_set_ascii(&c, true);
    canvas_hbar(&c, 0, 0, 4, 0.0, STYLE_NORMAL);
    canvas_hbar(&c, 0, 1, 4, 0.5, STYLE_NORMAL);
    canvas_hbar(&c, 0, 2, 4, 1.0, STYLE_NORMAL);
    canvas_hbar(&c, 0, 3, 4, 0.01, STYLE_NORMAL);
    canvas_hbar(&c, -2, 4, 8, 1.0, STYLE_NORMAL); /* clipped both sides */
    assert_dump(&c, "\n##\n####\n#\n######\n\n");
    canvas_free(&c);
}

static void test_dump_strips_trailing_spaces(void **state)
{
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 8, 3), 0);
    canvas_text(&c, 0, 0, -1, STYLE_NORMAL, "a  ");
    canvas_text(&c, 0, 1, -1, STYLE_NORMAL, "a b");
    canvas_fill(&c, (Rect){0, 2, 8, 1}, ' ', STYLE_HILITE);
    assert_dump(&c, "a\na b\n\n");
    /* a wide fill keeps its column phase and pads an odd width */
    canvas_fill(&c, (Rect){0, 2, 5, 1}, 0x4E00, STYLE_NORMAL);
    assert_dump(&c, "a\na b\n一一\n");
    assert_int_equal(cp_at(&c, 4, 2), ' ');
    canvas_free(&c);
}

/* Small fixed LCG so the random run is the same everywhere. */
static uint32_t g_seed = 12345u;
static int rnd(int lo, int hi)
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return lo + (int)((g_seed >> 8) % (uint32_t)(hi - lo + 1));
}

static int rnd_coord(void)
{
    switch (rnd(0, 19)) {
    case 0: return INT_MIN;
    case 1: return INT_MAX;
    case 2: return INT_MAX - 1;
    default: return rnd(-40, 60);
    }
}

static void check_invariants(const Canvas *c)
{
    for (int y = 0; y < c->h; y++) {
        for (int x = 0; x < c->w; x++) {
            const CanvasCell *k = canvas_at(c, x, y);
            assert_true(k->style < STYLE_COUNT);
            if (k->cp == 0) {
                assert_true(x > 0);
                assert_int_equal(canvas_cp_width(canvas_at(c, x - 1, y)->cp), 2);
            } else {
                assert_true(k->cp >= 0x20 && !(k->cp >= 0x7F && k->cp < 0xA0));
                if (canvas_cp_width(k->cp) == 2) {
                    assert_true(x + 1 < c->w);
                    assert_int_equal(canvas_at(c, x + 1, y)->cp, 0);
                }
            }
        }
    }
}

static void test_random_calls_stay_in_bounds(void **state)
{
    static const char *texts[] = {
        "hello world", "我是学生", "a我b是c", "\xff\xfe broken \xe6\x88",
        "tab\there\nnewline", "", "键值缓存，避免重复。 KV cache", "\xf0\x9f\x98\x80 emoji"};
    Canvas c;
    (void)state;
    assert_int_equal(canvas_init(&c, 37, 13), 0);
    for (int i = 0; i < 5000; i++) {
        Rect r = {rnd_coord(), rnd_coord(), rnd(-5, 50), rnd(-5, 20)};
        const char *t = texts[rnd(0, (int)(sizeof texts / sizeof texts[0]) - 1)];
        int style = rnd(-2, STYLE_COUNT + 2);
        int32_t cp = rnd(0, 3) == 0 ? 0x6211 : rnd(-5, 0x11000);
        switch (rnd(0, 12)) {
        case 0: canvas_text(&c, rnd_coord(), rnd_coord(), rnd(-1, 40), style, t); break;
        case 1: canvas_put(&c, rnd_coord(), rnd_coord(), cp, style); break;
        case 2: canvas_fill(&c, r, cp, style); break;
        case 3: canvas_box(&c, r, style, t); break;
        case 4: canvas_wrap(&c, r, style, t); break;
        case 5: canvas_shade(&c, rnd_coord(), rnd_coord(), rnd(-10, 20) / 10.0, style); break;
        case 6: canvas_hbar(&c, rnd_coord(), rnd_coord(), rnd_coord(), rnd(-5, 15) / 10.0, style); break;
        case 7: canvas_hline(&c, rnd_coord(), rnd_coord(), rnd_coord(), style); break;
        case 8: canvas_vline(&c, rnd_coord(), rnd_coord(), rnd_coord(), style); break;
        case 9: canvas_set_clip(&c, r); break;
        case 10: canvas_reset_clip(&c); break;
        case 11: canvas_set_ascii(&c, rnd(0, 1)); break;
        default: canvas_textf(&c, rnd_coord(), rnd_coord(), -1, style, "%d %s", i, t); break;
        }
        if (i % 500 == 0)
            check_invariants(&c);
    }
    check_invariants(&c);
    char *d = canvas_dump(&c);
    assert_non_null(d);
    free(d);
    canvas_free(&c);
}

static void test_style_table(void **state)
{
    (void)state;
    for (int i = 0; i < STYLE_COUNT; i++) {
        const StyleSpec *s = style_spec(i);
        assert_non_null(s->name);
        assert_non_null(s->look);
        assert_int_equal(style_find(s->name), i);
        assert_int_equal(s->bg, STYLE_COLOR_DEFAULT); /* light and dark themes */
        assert_true(s->fg != 0 && s->fg != 7);        /* no black / white */
    }
    assert_ptr_equal(style_spec(-1), style_spec(STYLE_NORMAL));
    assert_ptr_equal(style_spec(STYLE_COUNT), style_spec(STYLE_NORMAL));
    assert_int_equal(style_find("nope"), -1);
    /* roles that sit side by side differ in mono, not only in colour */
    assert_true(style_spec(STYLE_VISIBLE)->attrs_mono != style_spec(STYLE_MASKED)->attrs_mono);
    assert_true(style_spec(STYLE_REUSED)->attrs_mono != style_spec(STYLE_REDONE)->attrs_mono);
    assert_true(style_spec(STYLE_REUSED)->attrs_mono != style_spec(STYLE_NEW)->attrs_mono);
    assert_true(style_spec(STYLE_REDONE)->attrs_mono != style_spec(STYLE_NEW)->attrs_mono);
    assert_true(style_spec(STYLE_HILITE)->attrs_mono != style_spec(STYLE_NORMAL)->attrs_mono);
}

/* ui/panels/table: fitting to the width, column pairs, borrowed marks. */
static bool row_has(const Canvas *c, int y, int32_t cp)
{
    for (int x = 0; x < c->w; x++)
        if (cp_at(c, x, y) == cp) return true;
    return false;
}

static void test_table_fit(void **state)
{
    (void)state;
    Table t = {.n_cols = 3, .n_rows = 2, .corner = "k"};
    t.col[0] = (TableCol){.head = "meas", .mate = 1, .coarsest = TABLE_SHORT};
    t.col[1] = (TableCol){.head = "pred", .mate = 0, .optional = 1, .coarsest = TABLE_TINY};
    t.col[2] = (TableCol){.head = "ratio", .mate = -1, .group = 1, .optional = 2, .coarsest = TABLE_TINY};
    for (int i = 0; i < 2; i++) {
        t.row[i] = (TableRow){.label = {"q", "queries"}};
        t.cell[i][0] = (TableCell){.value = 1234567};
        t.cell[i][1] = (TableCell){.value = 1234567, .mark = TABLE_MARK_OK};
        t.cell[i][2] = (TableCell){.value = 5, .den = 2, .ratio = true};
    }
    Canvas c;
    /* wide: exact numbers, every column, long labels, the mark on the prediction */
    assert_int_equal(canvas_init(&c, 60, 3), 0);
    table_fit(&c, &t, 60);
    assert_int_equal(t.format[0], TABLE_EXACT);
    assert_int_equal(t.format[1], TABLE_EXACT);   /* a pair reads alike */
    assert_true(t.shown[1] && t.shown[2] && t.long_labels);
    assert_true(t.pad > 0);
    table_draw(&c, &t, 0, 0, 3);
    char *d = canvas_dump(&c);
    assert_non_null(strstr(d, "1,234,567"));
    assert_non_null(strstr(d, "queries"));
    free(d);
    canvas_free(&c);
    /* narrow: the required column goes short (never tiny), the optional ones
     * go, and the measured column borrows its hidden prediction's mark */
    assert_int_equal(canvas_init(&c, 12, 3), 0);
    table_fit(&c, &t, 12);
    assert_int_equal(t.format[0], TABLE_SHORT);
    assert_false(t.shown[1] || t.shown[2] || t.long_labels);
    table_draw(&c, &t, 0, 0, 3);
    assert_true(row_has(&c, 1, canvas_glyph(&c, GLYPH_CHECK)));
    canvas_free(&c);
}

/* one_format: every column in one format (never "1.23M" beside "1,234"),
 * the coarsest fields not used; a group title too wide for its columns is
 * left out, never cut ("n=1" for n=11 would be a wrong number). */
static void test_table_one_format(void **state)
{
    (void)state;
    Table t = {.n_cols = 2, .n_rows = 1, .corner = "k", .one_format = true};
    t.col[0] = (TableCol){.head = "a", .mate = -1, .coarsest = TABLE_SHORT};
    t.col[1] = (TableCol){.head = "b", .mate = -1, .group = 1, .coarsest = TABLE_TINY};
    t.row[0] = (TableRow){.label = {"q", "queries"}};
    t.cell[0][0] = (TableCell){.value = 1234};
    t.cell[0][1] = (TableCell){.value = 1234567};
    t.group_title[0][0] = "cache n=11 rows";
    t.group_title[1][0] = "recompute n=11 rows";
    t.group_title[1][1] = "n=11";
    Canvas c;
    /* wide: both exact */
    assert_int_equal(canvas_init(&c, 40, 3), 0);
    table_fit(&c, &t, 40);
    assert_int_equal(t.format[0], TABLE_EXACT);
    assert_int_equal(t.format[1], TABLE_EXACT);
    canvas_free(&c);
    /* "k 1,234 1,234,567" (17) does not fit 14: both short, "1.23k 1.23M" */
    assert_int_equal(canvas_init(&c, 14, 3), 0);
    table_fit(&c, &t, 14);
    assert_int_equal(t.format[0], t.format[1]);
    assert_int_equal(t.format[0], TABLE_SHORT);
    /* group 0 spans 5 columns: its only title does not fit and is left
     * out; group 1's shorter title "n=11" fits whole */
    table_draw_groups(&c, &t, 0, 0);
    char *d = canvas_dump(&c);
    assert_null(strstr(d, "cache"));
    assert_null(strstr(d, "n=1 "));
    assert_non_null(strstr(d, "n=11"));
    free(d);
    canvas_free(&c);
    /* without one_format the first column could not go below short while
     * the second went tiny; with it both go tiny together */
    assert_int_equal(canvas_init(&c, 10, 3), 0);
    table_fit(&c, &t, 10);
    assert_int_equal(t.format[0], TABLE_TINY);
    assert_int_equal(t.format[1], TABLE_TINY);
    canvas_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_sizes),
        cmocka_unit_test(test_table_fit),
        cmocka_unit_test(test_table_one_format),
        cmocka_unit_test(test_text_and_clipping),
        cmocka_unit_test(test_text_sanitizing),
        cmocka_unit_test(test_textf),
        cmocka_unit_test(test_wide_chars),
        cmocka_unit_test(test_box_unicode),
        cmocka_unit_test(test_box_ascii),
        cmocka_unit_test(test_wrap_english),
        cmocka_unit_test(test_wrap_chinese),
        cmocka_unit_test(test_shade),
        cmocka_unit_test(test_hbar),
        cmocka_unit_test(test_dump_strips_trailing_spaces),
        cmocka_unit_test(test_random_calls_stay_in_bounds),
        cmocka_unit_test(test_style_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
