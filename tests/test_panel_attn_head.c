/* test_panel_attn_head: the Attention panel's header names the query
 * token so that it never reads as a word of the header. zh quotes every
 * token with “” as the zh sentences do ("查询“在”，位置 2", not "查询 在，
 * 位置 2", which reads "query at, position 2"); en quotes what could read
 * as a number or a sign ("query ',', pos 2") and leaves letters and
 * Chinese characters bare. */
#include "tests/panel_fixture.h"

typedef void (*DrawFn)(const App *, const Engine *, Canvas *, Rect);

/* Panel `draw` after the prefill of prompt (the query: its last token), on
 * a w×14 canvas in lang (NULL: en). Returns the screen (caller frees). */
static char *draw_after_prefill(DrawFn draw, int w, const char *prompt, const char *lang)
{
    App *a = lang ? FX_APP("kvsim", "--prompt", prompt, "--gen", "2", "--lang", lang)
                  : FX_APP("kvsim", "--prompt", prompt, "--gen", "2");
    Engine *e = &a->run.eng[MODE_CACHE];
    engine_seek(e, 0);
    assert_true(engine_next_step(e));
    Canvas c;
    assert_int_equal(canvas_init(&c, w, 14), 0);
    draw(a, e, &c, (Rect){0, 0, w, 14});
    char *d = canvas_dump(&c);
    canvas_free(&c);
    fx_app_del(a);
    return d;
}

static char *header_after_prefill(const char *prompt, const char *lang)
{
    return draw_after_prefill(panel_attention_draw, 40, prompt, lang);
}

static void expect(const char *prompt, const char *lang, const char *want, const char *never)
{
    char *d = header_after_prefill(prompt, lang);
    if (!strstr(d, want)) fail_msg("--prompt %s%s: '%s' not in the Attention panel:\n%s", prompt, lang ? " --lang zh" : "", want, d);
    if (never && strstr(d, never))
        fail_msg("--prompt %s%s: '%s' (the token read as a word) in the Attention panel:\n%s", prompt,
                 lang ? " --lang zh" : "", never, d);
    free(d);
}

static void test_query_token_quoted(void **state)
{
    (void)state;
    /* zh: a full-width mark, a Chinese character, an ASCII mark, a letter */
    expect("我在。", "zh", "查询\u201c。\u201d，位置 2", "查询 。");
    expect("我。在", "zh", "查询\u201c在\u201d，位置 2", "查询 在");
    expect("ab,", "zh", "查询\u201c,\u201d，位置 2", "查询 ','");
    expect("abc", "zh", "查询\u201cc\u201d，位置 2", "查询 c");
    /* en: the ASCII mark quoted, the letter and the Chinese character bare */
    expect("ab,", NULL, "query ',', pos 2", NULL);
    expect("abc", NULL, "query c, pos 2", NULL);
    expect("我。在", NULL, "query 在, pos 2", NULL);
}

/* The All heads panel's title names the same query token the same way
 * ("全部头 · 查询“在”，第 2 位"; it once left zh tokens bare). */
static void expect_heads(const char *prompt, const char *lang, const char *want, const char *never)
{
    char *d = draw_after_prefill(panel_heads_draw, 60, prompt, lang);
    if (!strstr(d, want)) fail_msg("--prompt %s%s: '%s' not in the All heads title:\n%s", prompt, lang ? " --lang zh" : "", want, d);
    if (never && strstr(d, never))
        fail_msg("--prompt %s%s: '%s' (the token read as a word) in the All heads title:\n%s", prompt,
                 lang ? " --lang zh" : "", never, d);
    free(d);
}

static void test_heads_title_quoted(void **state)
{
    (void)state;
    expect_heads("我。在", "zh", "查询\u201c在\u201d，第 2 位", "查询 在");
    expect_heads("我在。", "zh", "查询\u201c。\u201d，第 2 位", "查询 。");
    expect_heads("ab,", NULL, "query ',', pos 2", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_token_quoted),
        cmocka_unit_test(test_heads_title_quoted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
