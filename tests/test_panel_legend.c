/* test_panel_legend: a legend never drops the entry of a mark its panel
 * draws. The causal mask at the sizes an 80x24 screen gives it (22 and 16
 * columns inside, 6 lines) and around them, at every operation of the
 * first steps of the default run and of each serving option (--window,
 * --speculate, --chunk), in both modes: each glyph on screen has its
 * entry ("× masked", "█ weight", ...). The mask once dropped "█ weight",
 * "× masked", "· not yet" and "faint: not computed" at 80x24. A key
 * header numbered by position mod 10 says so, and the border's numbers
 * are 0-based positions. The All
 * heads panel's tags ("prev", "ind→j") come with their rule (the KV
 * blocks legend has its own suite, tests/test_panel_pool_legend.c), and
 * the roofline's ridge line keeps its key entry. The
 * Operations panel's ×QKᵀ row or column comes with its entry on the top
 * border (it once had none at any size). The KV cache panel, at the size
 * each screen from 80x24 to 200x60 gives it: a row it draws in a mark's
 * colour comes with the line saying what the mark means: this step's
 * rows before the append ("not kept yet": the size line does not count
 * them), after it ("appended"), and the rows recompute redoes. At 80x24
 * the rows once stood highlighted under "0 B" with nothing saying why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/panel_fixture.h"

#include "ui/layout.h"
#include "ui/style.h"

/* The inner lines of a dump (its first and last lines, the borders with
 * the title and the row note, dropped), as one string (caller frees). */
static char *inner(const Canvas *c)
{
    char *d = canvas_dump(c);
    assert_non_null(d);
    char *s = strchr(d, '\n');
    assert_non_null(s);
    s++;
    char *end = s + strlen(s);
    while (end > s && end[-1] == '\n') end--;
    while (end > s && end[-1] != '\n') end--;   /* the bottom border */
    *end = '\0';
    char *r = strdup(s);
    free(d);
    return r;
}

/* A glyph of the grid and the entries that explain it. */
static const struct {
    const char *glyph, *entry, *entry2;
} marks[] = {
    {"\u00d7", "\u00d7 masked", NULL},
    {"\u2713", "\u2713 kept", NULL},
    {"\u21bb", "\u21bb redone", NULL},
    {"\u2501", "\u2501 cached", "\u2501 K/V read from cache"},
    {"+", "+ new", "+ appended"},
    {"\u2717", "\u2717 rolled back", NULL},
    {"-", "- evicted", NULL},
    {"\u00b7", "\u00b7 not yet", NULL},
    {"\u2591", "\u2588 weight", NULL},
    {"\u2592", "\u2588 weight", NULL},
    {"\u2593", "\u2588 weight", NULL},
};

/* Every mark drawn in the mask at w×h has its entry. */
static void check_mask(const App *a, int w, int h, const char *what)
{
    Canvas c;
    fx_draw(panel_mask_draw, a, &c, w, h);
    char *s = inner(&c);
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        if (!strstr(s, marks[i].glyph)) continue;
        if (strstr(s, marks[i].entry) || (marks[i].entry2 && strstr(s, marks[i].entry2))) continue;
        const Engine *e = app_engine(a);
        fail_msg("%s, step %d op %ld, %dx%d: %s drawn, no \"%s\" in the legend\n%s", what, e->step,
                 e->pos % e->ops_per_step, w, h, marks[i].glyph, marks[i].entry, s);
    }
    free(s);
    canvas_free(&c);
}

static void check_run(const char *what, App *a)
{
    const Engine *e = app_engine(a);
    const int steps = e->n_steps < 3 ? e->n_steps : 3;
    for (long p = 1; p <= (long)steps * e->ops_per_step; p++) {
        run_seek(&a->run, app_primary_mode(a), p);
        /* the boxes of an 80x24 screen: 24x8 (cache, recompute), 18x8 (compare) */
        check_mask(a, 24, 8, what);
        check_mask(a, 18, 8, what);
        for (int w = 18; w <= 42; w += 6)
            for (int h = 8; h <= 12; h += 2) check_mask(a, w, h, what);
    }
    fx_app_del(a);
}

static void test_mask_legend_default(void **state)
{
    (void)state;
    check_run("cache", FX_APP("kvsim", "--gen", "4"));
    check_run("recompute", FX_APP("kvsim", "--gen", "4", "--mode", "recompute"));
}

static void test_mask_legend_window(void **state)
{
    (void)state;
    check_run("window cache", FX_APP("kvsim", "--gen", "6", "--window", "4"));
    check_run("window recompute", FX_APP("kvsim", "--gen", "6", "--window", "4", "--mode", "recompute"));
}

static void test_mask_legend_speculate(void **state)
{
    (void)state;
    check_run("speculate", FX_APP("kvsim", "--model", "models/default.kvsim", "--prompt",
                                  "the cat sat on the mat. the cat sat", "--gen", "8", "--speculate", "4"));
}

static void test_mask_legend_chunk(void **state)
{
    (void)state;
    check_run("chunk", FX_APP("kvsim", "--prompt", "the cat sat on the mat", "--gen", "4", "--chunk", "4"));
    check_run("chunk compare", FX_APP("kvsim", "--prompt", "the cat sat on the mat", "--gen", "4", "--chunk", "4",
                                      "--mode", "compare"));
}

/* The key header numbers the keys (positions mod 10: "…9 0 1 2") when
 * quoting them would cost columns; then the legend (or, with no room
 * there, the bottom border) says "keys: pos mod 10". The border's row and
 * column numbers are positions, 0-based as every position on screen: the
 * last is t − 1 (it once said "r35–37 c30–37" with t = 37, and at 80x24
 * had no room left for the mod 10 entry). Returns whether w×h showed the
 * numbered header. */
static bool check_index(const App *a, int w, int h, const char *what)
{
    Canvas c;
    fx_draw(panel_mask_draw, a, &c, w, h);
    const Engine *e = app_engine(a);
    char *d = canvas_dump(&c);
    assert_non_null(d);
    /* the header: three keys in a row numbered j, j+1, j+2 (mod 10) */
    const char *nl = strchr(d, '\n'), *hdr = nl ? nl + 1 : d;
    const char *hend = strchr(hdr, '\n');
    bool index = false;
    for (const char *p = hdr; p + 4 < hend && !index; p++)
        index = p[0] >= '0' && p[0] <= '9' && p[1] == ' ' && p[2] == '0' + (p[0] - '0' + 1) % 10 && p[3] == ' ' &&
                p[4] == '0' + (p[0] - '0' + 2) % 10;
    if (index && !strstr(d, "keys: pos") && !strstr(d, "pos%10") && !strstr(d, "\u952e\uff1a\u4f4d\u7f6e") &&
        !strstr(d, "\u4f4d\u7f6e%10"))
        fail_msg("%s, step %d, %dx%d: the key header shows positions mod 10, nothing says so\n%s", what, e->step, w, h, d);
    /* every range on the bottom border ends at the last position, t − 1 */
    const char *bottom = d + strlen(d);
    while (bottom > d && bottom[-1] == '\n') bottom--;
    while (bottom > d && bottom[-1] != '\n') bottom--;
    for (const char *p = strstr(bottom, "\u2013"); p; p = strstr(p + 1, "\u2013")) {
        const int n = atoi(p + strlen("\u2013"));
        if (n != e->t - 1)
            fail_msg("%s, step %d, %dx%d: the border's range ends at %d, the last position is %d\n%s", what, e->step, w, h,
                     n, e->t - 1, d);
    }
    free(d);
    canvas_free(&c);
    return index;
}

static void test_mask_index_header(void **state)
{
    (void)state;
    static const char *const langs[] = {"en", "zh"};
    for (int l = 0; l < 2; l++) {
        /* the lesson 18 run: Chinese tokens (wide) beside '␣' and '}' (quoted) */
        App *a = FX_APP("kvsim", "--d-model", "8", "--seed", "42", "--prompt", "the cat sat on the mat", "--gen", "16",
                        "--lang", langs[l]);
        const Engine *e = app_engine(a);
        int seen = 0;
        for (int k = 0; k < e->n_steps; k++) {
            run_seek(&a->run, app_primary_mode(a), (long)(k + 1) * e->ops_per_step);
            /* the mask boxes of 80x24, 120x40, 160x45, 200x60, and around them */
            static const int sizes[][2] = {{24, 10}, {24, 8}, {30, 22}, {36, 22}, {38, 18}, {40, 34}};
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) seen += check_index(a, sizes[i][0], sizes[i][1], langs[l]);
            for (int w = 18; w <= 48; w += 6)
                for (int h = 6; h <= 30; h += 4) seen += check_index(a, w, h, langs[l]);
        }
        if (seen < 20) fail_msg("%s: the numbered key header came up %d times: the test checks too little", langs[l], seen);
        fx_app_del(a);
    }
}

/* The All heads panel: a "prev" or "ind→j" tag on a strip comes with its
 * rule (inside the box, or in short on its bottom border). At 80x24 the
 * box is 28x8 and the rule once had no line. */
static void test_heads_tags_explained(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--gen", "4");
    int tagged = 0;
    for (int k = 0; k < 3; k++) {
        run_seek(&a->run, app_primary_mode(a), run_step_start(app_engine(a), k + 1));
        for (int w = 28; w <= 64; w += 6)
            for (int h = 8; h <= 14; h += 2) {
                Canvas c;
                fx_draw(panel_heads_draw, a, &c, w, h);
                char *d = canvas_dump(&c);
                const bool prev = strstr(d, " prev ") || strstr(d, " prev\u2502"), ind = strstr(d, "ind\u2192") != NULL;
                tagged += prev || ind;
                if ((prev && !strstr(d, "prev:")) || (ind && !strstr(d, "ind\u2192j")))
                    fail_msg("step %d, %dx%d: a tag without its rule\n%s", k, w, h, d);
                free(d);
                canvas_free(&c);
            }
    }
    assert_true(tagged > 0);   /* the trained model's heads do get tags */
    fx_app_del(a);
}

/* The roofline's dotted ridge line keeps its key entry in the smallest
 * box (it once lost it when the plot had four rows). */
static void test_roofline_ridge_explained(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--mode", "memory", "--gen", "4");
    run_seek(&a->run, MODE_CACHE, run_step_start(app_engine(a), 3));
    int drawn = 0;
    for (int w = 50; w <= 90; w += 8)
        for (int h = 12; h <= 18; h++) {
            Canvas c;
            fx_draw(panel_roofline_draw, a, &c, w, h);
            char *d = canvas_dump(&c);
            if (strstr(d, "\u250a")) {
                drawn++;
                if (!strstr(d, "ridge")) fail_msg("%dx%d: the ridge line drawn without its entry\n%s", w, h, d);
            }
            free(d);
            canvas_free(&c);
        }
    assert_true(drawn > 0);
    fx_app_del(a);
}

/* ---- the Operations panel's ×QKᵀ row (tall box) or column (short box) --- */

/* Its labels: short, the tall table's long ones, and their ASCII forms. */
static const char *const masked_keys[] = {"\u00d7QK\u1d40", "QK\u1d40 on \u00d7", "\u00d7\u683c QK\u1d40",
                                          "xQKT", "QKT on x"};

/* Box sizes from the short layout to the widest: the panel's rects at
 * 80x24 (56x7), 100x30 (60x7), 120x40 (74x13) and 200x60 (122x13), and
 * around them. */
static const int ops_w[] = {30, 36, 40, 48, 56, 60, 64, 74, 86, 99, 122, 160, 200};
static const int ops_h[] = {5, 6, 7, 9, 10, 11, 13, 14};

typedef struct {
    int drawn;        /* boxes that showed the row or column */
    int tall_drawn;   /* ... at 74x13, the 120x40 layout's box */
    int tall_seen;    /* boxes drawn at 74x13 */
} OpsSeen;

/* Line y of a dump (caller frees). */
static char *dump_line(const char *d, int y)
{
    for (int i = 0; i < y && d; i++) d = strchr(d, '\n') ? strchr(d, '\n') + 1 : NULL;
    assert_non_null(d);
    return strndup(d, strcspn(d, "\n"));
}

/* Whether the border line says what `key` is: "key: …" or "key：…", with
 * words about the mask after it. */
static bool masked_entry_on(const char *border, const char *key)
{
    for (const char *p = strstr(border, key); p; p = strstr(p + 1, key)) {
        const char *q = p + strlen(key);
        if (strncmp(q, ": ", 2) && strncmp(q, "\uff1a", 3)) continue;
        if (strstr(q, "mask") || strstr(q, "\u63a9\u7801")) return true;
    }
    return false;
}

/* The Operations panel at w×h: when a ×QKᵀ label is in the box, the top
 * border explains that very label. */
static void check_ops(const App *a, int w, int h, const char *what, OpsSeen *seen)
{
    Canvas c;
    fx_draw(panel_ops_draw, a, &c, w, h);
    char *d = canvas_dump(&c), *s = inner(&c), *top = dump_line(d, 0);
    bool drawn = false;
    for (size_t i = 0; i < sizeof masked_keys / sizeof masked_keys[0]; i++) {
        if (!strstr(s, masked_keys[i])) continue;
        drawn = true;
        if (!masked_entry_on(top, masked_keys[i])) {
            const Engine *e = app_engine(a);
            fail_msg("%s, step %d op %d, %dx%d: %s drawn, no \"%s: \" entry on the border\n%s", what,
                     run_step_of(e, e->pos), run_op_index(e, e->pos), w, h, masked_keys[i], masked_keys[i], d);
        }
    }
    seen->drawn += drawn;
    if (w == 74 && h == 13) seen->tall_seen++, seen->tall_drawn += drawn;
    free(top);
    free(s);
    free(d);
    canvas_free(&c);
}

/* Every operation of every step (and the start), at every size. */
static void check_ops_run(const char *what, App *a)
{
    const Engine *e = app_engine(a);
    OpsSeen seen = {0};
    for (long p = 0; p <= (long)e->n_steps * e->ops_per_step; p++) {
        run_seek(&a->run, app_primary_mode(a), p);
        for (size_t wi = 0; wi < sizeof ops_w / sizeof ops_w[0]; wi++)
            for (size_t hi = 0; hi < sizeof ops_h / sizeof ops_h[0]; hi++) check_ops(a, ops_w[wi], ops_h[hi], what, &seen);
    }
    /* never the easy way out: the 120x40 box keeps the row at every
     * operation, and the narrower boxes show it too */
    if (seen.tall_drawn != seen.tall_seen || seen.drawn <= seen.tall_drawn)
        fail_msg("%s: the row drawn in %d of %d 74x13 boxes, %d boxes in all", what, seen.tall_drawn, seen.tall_seen,
                 seen.drawn);
    fx_app_del(a);
}

#define OPS_PROMPT "--prompt", "the cat sat on the mat. the cat sat"

static void test_ops_masked_plain(void **state)
{
    (void)state;
    check_ops_run("plain", FX_APP("kvsim", "--gen", "6"));
    check_ops_run("plain zh", FX_APP("kvsim", "--gen", "6", "--lang", "zh"));
    check_ops_run("plain ascii", FX_APP("kvsim", "--gen", "6", "--ascii"));
    check_ops_run("train", FX_APP("kvsim", "--mode", "train"));
    check_ops_run("train zh", FX_APP("kvsim", "--mode", "train", "--lang", "zh"));
}

static void test_ops_masked_window(void **state)
{
    (void)state;
    check_ops_run("window", FX_APP("kvsim", "--gen", "6", "--window", "4"));
    check_ops_run("window zh", FX_APP("kvsim", "--gen", "6", "--window", "4", "--lang", "zh"));
}

static void test_ops_masked_chunk(void **state)
{
    (void)state;
    check_ops_run("chunk", FX_APP("kvsim", OPS_PROMPT, "--gen", "4", "--chunk", "4"));
    check_ops_run("chunk zh", FX_APP("kvsim", OPS_PROMPT, "--gen", "4", "--chunk", "4", "--lang", "zh"));
}

static void test_ops_masked_speculate(void **state)
{
    (void)state;
    check_ops_run("speculate", FX_APP("kvsim", OPS_PROMPT, "--gen", "8", "--speculate", "4"));
    check_ops_run("speculate zh", FX_APP("kvsim", OPS_PROMPT, "--gen", "8", "--speculate", "4", "--lang", "zh"));
}

/* ---- the KV cache panel's marked rows ------------------------------------- */

/* What a marked row is, and the words of its entry (any one will do). */
typedef enum { KV_PENDING, KV_APPENDED, KV_REDONE, KV_KINDS } KvMark;
static const char *const kv_words[KV_KINDS][2][4] = {
    [KV_PENDING] = {{"not kept", "kept at", "append keeps", NULL}, {"尚未保留", "追加时保留", "追加只保留", NULL}},
    [KV_APPENDED] = {{"appended", NULL}, {"追加", NULL}},
    [KV_REDONE] = {{"recomputed", NULL}, {"重算", NULL}},
};
static const char *const kv_names[KV_KINDS] = {"a row not kept yet", "an appended row", "a recomputed row"};

/* The panel of engine e in a w×h box, as the screen draws it; counts the
 * marked rows of each kind it drew and fails when one has no entry. A row
 * is a line whose position number is drawn in a mark's style. */
static void check_kvcache(const App *a, const Engine *e, int w, int h, const char *what, int sw, int sh,
                          int counts[KV_KINDS])
{
    Canvas c;
    assert_int_equal(canvas_init(&c, w, h), 0);
    canvas_set_ascii(&c, a->opt.ascii);
    panel_kvcache_draw(a, e, &c, (Rect){0, 0, w, h});
    char *d = NULL;
    const bool zh = a->opt.lang_zh && !a->opt.ascii;   /* as TR() picks */
    for (int y = 1; y < h - 1; y++) {
        int x = 1;
        while (x < w - 1 && canvas_at(&c, x, y)->cp == ' ') x++;
        const CanvasCell *cell = canvas_at(&c, x, y);
        if (x >= w - 1 || cell->cp < '0' || cell->cp > '9') continue;
        KvMark k;
        if (e->mode == MODE_CACHE && (cell->style == STYLE_NEW || cell->style == STYLE_CHANGED))
            k = engine_op_done(e, OP_APPEND, -1) ? KV_APPENDED : KV_PENDING;
        else if (e->mode == MODE_RECOMPUTE && (cell->style == STYLE_REDONE || cell->style == STYLE_CHANGED))
            k = KV_REDONE;
        else
            continue;
        counts[k]++;
        if (!d) d = inner(&c);   /* not the borders: the compare view names "重算" there */
        bool said = false;
        for (int i = 0; kv_words[k][zh][i] && !said; i++) said = strstr(d, kv_words[k][zh][i]) != NULL;
        if (!said)
            fail_msg("%s, %s, step %d op %ld, screen %dx%d (box %dx%d): %s drawn (line %d), no entry for it\n%s", what,
                     zh ? "zh" : "en", e->step, (e->pos - 1) % e->ops_per_step + 1, sw, sh, w, h, kv_names[k], y, d);
    }
    free(d);
    canvas_free(&c);
}

/* Every operation of the first three steps, at each screen size: the
 * KV cache box (both of the compare view). */
static void check_kvcache_run(const char *what, App *a, int counts[KV_KINDS])
{
    static const int sizes[][2] = {{80, 24}, {90, 28}, {100, 30}, {120, 40}, {140, 45}, {160, 50}, {200, 60}};
    const Engine *e = app_engine(a);
    const int steps = e->n_steps < 3 ? e->n_steps : 3;
    for (long p = 1; p <= (long)steps * e->ops_per_step; p++) {
        run_seek(&a->run, app_primary_mode(a), p);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            Layout lo;
            layout_app(a, sizes[s][0], sizes[s][1], &lo);
            if (lo.kvcache.w > 0 && lo.kvcache.h > 0)
                check_kvcache(a, app_shown_engine(a), lo.kvcache.w, lo.kvcache.h, what, sizes[s][0], sizes[s][1], counts);
            if (lo.kvcache2.w > 0 && lo.kvcache2.h > 0)
                check_kvcache(a, app_engine_of(a, MODE_RECOMPUTE), lo.kvcache2.w, lo.kvcache2.h, what, sizes[s][0],
                              sizes[s][1], counts);
        }
    }
    fx_app_del(a);
}

static void test_kvcache_rows_explained(void **state)
{
    (void)state;
    int counts[KV_KINDS] = {0};
    static const char *const langs[] = {"en", "zh"};
    /* the built-in model, as the screens run it (32 values a row: no room
     * for the marks at 80x24), and a seeded shape with GQA and RoPE */
#define KV_APP(...) FX_APP("kvsim", "--model", "models/default.kvsim", "--lang", lang, __VA_ARGS__)
    for (int l = 0; l < 2; l++) {
        const char *lang = langs[l];
        check_kvcache_run("cache", KV_APP("--mode", "cache"), counts);
        check_kvcache_run("compare", KV_APP("--mode", "compare"), counts);
        check_kvcache_run("recompute", KV_APP("--mode", "recompute"), counts);
        check_kvcache_run("window", KV_APP("--window", "4"), counts);
        check_kvcache_run("chunk", KV_APP("--chunk", "4"), counts);
        check_kvcache_run("speculate", KV_APP("--prompt", "the cat sat on the mat. the cat sat", "--speculate", "4"), counts);
        check_kvcache_run("present", KV_APP("--present"), counts);
        check_kvcache_run("ascii", KV_APP("--ascii"), counts);
        check_kvcache_run("kv-heads rope", FX_APP("kvsim", "--lang", lang, "--d-model", "8", "--kv-heads", "1", "--rope"),
                          counts);
    }
#undef KV_APP
    /* every kind was drawn, so no check above passed for want of rows */
    for (int k = 0; k < KV_KINDS; k++) assert_true(counts[k] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_legend_default),
        cmocka_unit_test(test_mask_legend_window),
        cmocka_unit_test(test_mask_legend_speculate),
        cmocka_unit_test(test_mask_legend_chunk),
        cmocka_unit_test(test_mask_index_header),
        cmocka_unit_test(test_heads_tags_explained),
        cmocka_unit_test(test_roofline_ridge_explained),
        cmocka_unit_test(test_kvcache_rows_explained),
        cmocka_unit_test(test_ops_masked_plain),
        cmocka_unit_test(test_ops_masked_window),
        cmocka_unit_test(test_ops_masked_chunk),
        cmocka_unit_test(test_ops_masked_speculate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
