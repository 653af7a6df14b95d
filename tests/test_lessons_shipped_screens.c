/* test_lessons_shipped_screens: narration that describes the screen says
 * what the screen shows. Two slides the second screen audit (2026-12-02)
 * found false, checked against the engine and the rendered screen, in
 * both languages, with every number computed here from the slide's prompt
 * and options (not from the lesson's templates):
 *
 * - lesson 1, slide 2 (audit finding 11): "the row of position L is the K
 *   and V this step has just computed. The step's last operation, cache
 *   append, is what keeps it": the slide stands after layer 0's Q/K/V of
 *   decode step 1, the engine's last row is position L (the prompt's
 *   length), the step's last operation is the one the header names
 *   "cache append" and has not run, and the KV cache panel at every
 *   screen size says that row is not kept yet;
 * - lesson 14, slide 6 (finding 13): "Nothing has run yet (the header
 *   reads READY). When the prefill runs, the query at position P will see
 *   positions P-W+1 to P only: the row of 床 lies outside the window, and
 *   the cache, which keeps the last W rows, will not hold it": the header
 *   reads READY, P = L-1, 床 stands before P-W+1, and after the prefill the
 *   cache holds exactly positions P-W+1..P, not 床's.
 *
 * The third audit (2026-12-03) added checks for the sentences it corrected:
 * lesson 1's LayerNorm gain, lesson 2's decode-step cell count, the size
 * line lessons 5 and 11 quote, lesson 8's chart and its token comparison,
 * lesson 10's logarithmic scale, lesson 11's cut mask grid and lesson 14's
 * account of which lessons ran which model (each below, with what it
 * replaced).
 *
 * Run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lessons/catalog.h"
#include "lessons/lesson.h"
#include "tests/lesson_handout.h"
#include "sim/ops.h"
#include "sim/run.h"
#include "sim/tokenizer.h"
#include "ui/app.h"
#include "ui/layout.h"
#include "ui/lesson_play.h"
#include "ui/panels/panels.h"
#include "ui/term.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The screens a lesson is read at. */
static const int sizes[][2] = {{80, 24}, {120, 40}, {160, 45}, {200, 60}};

/* Lesson n in lang, played headless at slide index `slide` (0-based). */
static void open_slide(App *a, const char *lang, int n, int slide)
{
    char err[1024], path[1400];
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    assert_int_equal(catalog_find(lang, n, path, sizeof path, err, sizeof err), 0);
    Lesson *l = calloc(1, sizeof *l);
    assert_non_null(l);
    if (lesson_load(path, l, err, sizeof err)) fail_msg("%s", err);
    char *argv[] = {"kvsim", NULL};
    CliOptions o;
    assert_int_equal(cli_parse(1, argv, &o, err, sizeof err), 0);
    o.lang_zh = !strcmp(lang, "zh");
    int ids[64];
    const int L = cli_prepare(&o, ids, 64, err, sizeof err);
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
    if (app_lesson_start(a, l, err, sizeof err)) fail_msg("%s: %s", path, err);
    assert_true(slide < a->play->lesson->n_slides);
    app_lesson_goto(a, slide);
    assert_int_equal(a->play->slide, slide);
    if (a->message_is_error && a->message[0]) fail_msg("%s slide %d: %s", path, slide + 1, a->message);
}

/* The screen at w×h as text (caller frees). */
static char *screen(const App *a, int w, int h)
{
    Canvas c;
    assert_int_equal(canvas_init(&c, w, h), 0);
    app_render(a, &c);
    char *d = canvas_dump(&c);
    assert_non_null(d);
    canvas_free(&c);
    return d;
}

static void expect_text(const char *text, const char *want, const char *where)
{
    if (!strstr(text, want)) fail_msg("%s: the narration lacks \"%s\":\n%s", where, want, text);
}

/* The prompt's length in tokens, from the tokenizer (the lesson's model's alphabet). */
static int prompt_len(const App *a, int *ids, int cap)
{
    char err[256];
    const int L = tokenizer_encode(a->play->slide_state.prompt, ids, cap, err, sizeof err);
    if (L <= 0) fail_msg("%s", err);
    return L;
}

static void lesson1_slide2(const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    App a;
    open_slide(&a, lang, 1, 1);
    int ids[64];
    const int L = prompt_len(&a, ids, 64);
    const Engine *e = app_engine(&a);
    /* the engine: decode step 1, position L's row made by layer 0's Q/K/V, not appended */
    assert_int_equal(e->step, 1);
    assert_int_equal(e->t - 1, L);
    assert_true(engine_op_done(e, OP_QKV, 0));
    assert_non_null(engine_k_row(e, 0, L));
    assert_false(engine_op_done(e, OP_APPEND, -1));
    assert_int_equal(e->cache.len, L);   /* the cache holds the prompt only */
    const OpInfo *last = op_info(engine_op_at(e, e->ops_per_step - 1).kind);
    assert_non_null(last);
    assert_int_equal(last->kind, OP_APPEND);
    /* the narration: that row, by its number, and the last operation by the header's name */
    char want[160];
    if (zh) snprintf(want, sizeof want, "位置 %d 那一行，是这一步刚算出的 K 和 V", L);
    else snprintf(want, sizeof want, "the row of position %d is\nthe K and V this step has just computed", L);
    const char *text = a.play->slide_text;
    /* compare with the line breaks of the file folded into spaces */
    char *flat = strdup(text);
    assert_non_null(flat);
    for (char *p = flat; *p; p++)
        if (*p == '\n' && p[1] != '\n' && (p == flat || p[-1] != '\n')) *p = ' ';
    for (char *p = want; *p; p++)
        if (*p == '\n') *p = ' ';
    expect_text(flat, want, zh ? "zh lesson 1 slide 2" : "en lesson 1 slide 2");
    snprintf(want, sizeof want, zh ? "最后一个运算「%s」" : "last operation, %s, is what keeps it",
             zh ? last->name_zh : last->name_en);
    expect_text(flat, want, zh ? "zh lesson 1 slide 2" : "en lesson 1 slide 2");
    /* no mark the panel does not draw at every size */
    if (strstr(flat, "flagged") || strstr(flat, "标明")) fail_msg("lesson 1 slide 2 promises a flag: %s", flat);
    free(flat);
    /* the KV cache panel, at every size, says position L's row is not kept yet */
    char by_pos[2][96], by_mark[2][96];
    snprintf(by_pos[0], sizeof by_pos[0], zh ? "第 %d 位尚未保留" : "pos %d not kept yet", L);
    snprintf(by_pos[1], sizeof by_pos[1], zh ? "第 %d 位由 Q/K/V 刚写入，缓存追加时保留" : "pos %d written by Q/K/V, kept at cache append", L);
    snprintf(by_mark[0], sizeof by_mark[0], "%s", zh ? "新 = 尚未保留" : "new = not kept yet");
    snprintf(by_mark[1], sizeof by_mark[1], "%s", zh ? "新 = Q/K/V 刚写入，缓存追加时保留" : "new = written by Q/K/V, kept at cache append");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        char *d = screen(&a, sizes[s][0], sizes[s][1]);
        if (!strstr(d, by_pos[0]) && !strstr(d, by_pos[1]) && !strstr(d, by_mark[0]) && !strstr(d, by_mark[1]))
            fail_msg("%s lesson 1 slide 2 at %dx%d: the KV cache panel does not say position %d is not kept yet\n%s",
                     lang, sizes[s][0], sizes[s][1], L, d);
        free(d);
    }
    /* at the end of the step the header names its last operation as the narration does */
    run_seek(&a.run, MODE_CACHE, run_step_start(e, 2));
    char *d = screen(&a, 120, 40);
    const char *eol = strchr(d, '\n');
    const char *name = strstr(d, zh ? last->name_zh : last->name_en);
    if (!name || name > eol) fail_msg("the header at the end of step 1 does not name \"%s\"\n%s", last->name_en, d);
    free(d);
    app_free(&a);
}

static void test_lesson1_new_row(void **state)
{
    (void)state;
    lesson1_slide2("en");
    lesson1_slide2("zh");
}

static void lesson14_slide6(const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    App a;
    open_slide(&a, lang, 14, 5);
    int ids[64];
    const int L = prompt_len(&a, ids, 64);
    const int P = L - 1, W = 6;
    const Engine *e = app_engine(&a);
    assert_int_equal(a.play->slide_state.model.window, W);
    assert_int_equal(e->cfg.window, W);
    /* nothing has run, and the header says so */
    assert_int_equal(e->pos, 0);
    const char *ready = zh ? "就绪" : "READY";
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        char *d = screen(&a, sizes[s][0], sizes[s][1]);
        const char *eol = strchr(d, '\n'), *hit = strstr(d, ready);
        if (!hit || hit > eol) fail_msg("%s lesson 14 slide 6 at %dx%d: the header does not read %s\n%s", lang,
                                        sizes[s][0], sizes[s][1], ready, d);
        free(d);
    }
    /* 床 stands before the window of the last prompt position */
    int bed[4];
    char err[256];
    assert_int_equal(tokenizer_encode("\xe5\xba\x8a", bed, 4, err, sizeof err), 1);   /* 床 */
    int pb = -1;
    for (int i = 0; i < L && pb < 0; i++)
        if (ids[i] == bed[0]) pb = i;
    assert_true(pb >= 0);
    if (!(pb < P - W + 1)) fail_msg("床 at position %d is inside the window %d-%d", pb, P - W + 1, P);
    /* the narration's numbers */
    char want[200];
    snprintf(want, sizeof want, "W = %d", W);
    expect_text(a.play->slide_text, want, lang);
    expect_text(a.play->slide_text, zh ? "标题栏写着“就绪”" : "header reads READY", lang);
    if (zh) snprintf(want, sizeof want, "位置 %d 的查询只看得到位置 %d 到 %d", P, P - W + 1, P);
    else snprintf(want, sizeof want, "position %d\nwill see positions %d to %d only", P, P - W + 1, P);
    char *flat = strdup(a.play->slide_text), *w2 = strdup(want);
    assert_non_null(flat);
    assert_non_null(w2);
    for (char *p = flat; *p; p++)
        if (*p == '\n') *p = ' ';
    for (char *p = w2; *p; p++)
        if (*p == '\n') *p = ' ';
    expect_text(flat, w2, lang);
    snprintf(want, sizeof want, zh ? "缓存只留最后 %d 行" : "keeps the last %d rows", W);
    expect_text(flat, want, lang);
    free(flat);
    free(w2);
    /* after the prefill the cache holds positions P-W+1 .. P, not 床's */
    run_seek(&a.run, MODE_CACHE, run_step_start(e, 1));
    assert_int_equal(e->step, 0);
    assert_true(engine_op_done(e, OP_APPEND, -1));
    for (int p = 0; p <= P; p++)
        if (kvcache_has(&e->cache, p) != (p >= P - W + 1))
            fail_msg("after the prefill the cache %s position %d (window %d-%d)", kvcache_has(&e->cache, p) ? "holds" : "lacks",
                     p, P - W + 1, P);
    assert_false(kvcache_has(&e->cache, pb));
    app_free(&a);
}

static void test_lesson14_window_slide(void **state)
{
    (void)state;
    lesson14_slide6("en");
    lesson14_slide6("zh");
}

/* ---- third audit (2026-12-03): numbers and screen facts the narration states ---- */

/* The narration of the open slide with every line break folded to a space
 * (caller frees). */
static char *flat_narration(const App *a)
{
    char *flat = strdup(a->play->slide_text);
    assert_non_null(flat);
    for (char *p = flat; *p; p++)
        if (*p == '\n') *p = ' ';
    return flat;
}

/* n with thousands separators, as the panels print byte counts. */
static void grouped(char *buf, size_t cap, long n)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%ld", n);
    const size_t len = strlen(raw);
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < cap; i++) {
        if (i && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
}


/* Lesson 1 slide 2: the trained model's LayerNorm has a learned gain and
 * shift, so LN1's output is not simply "mean 0 and variance 1"; the
 * narration has to name them while the weights are not the identity. */
static void lesson1_layernorm(const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    App a;
    open_slide(&a, lang, 1, 1);
    const Engine *e = app_engine(&a);
    const int d = e->cfg.d_model;
    bool identity = true;
    for (int i = 0; i < d; i++)
        if (e->model->ln1_g[i] != 1.0f || e->model->ln1_b[i] != 0.0f) identity = false;
    char *flat = flat_narration(&a);
    if (!identity) {
        expect_text(flat, zh ? "学到的增益" : "learned gain", lang);
        expect_text(flat, zh ? "学到的偏移" : "learned shift", lang);
    }
    free(flat);
    app_free(&a);
}

static void test_lesson1_layernorm_gain(void **state)
{
    (void)state;
    lesson1_layernorm("en");
    lesson1_layernorm("zh");
}

/* Lesson 2 slide 3's explanation: decode step 1 has n = 1 query row and
 * t = L + 1 keys; the handout's "n·t = 1·T" must name that t (it once
 * named the prefill's t, L, beside an answer of L + 1). */
static void test_lesson2_decode_cells(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 2, 2);
        int ids[64];
        const int L = prompt_len(&a, ids, 64);
        const Engine *e = app_engine(&a);
        run_seek(&a.run, MODE_CACHE, run_step_start(e, 2));
        assert_int_equal(e->step, 1);
        assert_int_equal(e->n, 1);
        assert_int_equal(e->t, L + 1);
        app_free(&a);
        char *h = handout(lang, 2), want[96];
        snprintf(want, sizeof want, z ? "n·t = 1·%d 个格子，全部可见：%d" : "n·t = 1·%d cells, all visible: %d", L + 1,
                 L + 1);
        if (!strstr(h, want)) fail_msg("%s lesson 2: the handout lacks \"%s\"", lang, want);
        free(h);
    }
}

/* The KV cache panel's size line multiplies the size out with the run's
 * numbers ("768 B = 2·2·6·8·4", or "size 2·Lyr·t·d·4 = 2·2·6·8·4 = 768 B"
 * when wide); lesson 5 slide 6 and lesson 11 slide 2 quote the product
 * and the bytes, so the panel itself, drawn alone at its place in each
 * screen size, must hold both on one line. (Lesson 5 once said the line
 * reads "2·Lyr·t·d·4", and lesson 11 "2·Lyr·t·kv·4": the small panels
 * print only the numbers.) */
static void size_line(const char *lang, int lesson, int slide)
{
    App a;
    open_slide(&a, lang, lesson, slide);
    int ids[64];
    const int L = prompt_len(&a, ids, 64);
    const Engine *e = app_engine(&a);
    assert_int_equal(e->t, L);
    const KvConfig *c = &e->cfg;
    const int kv = c->n_kv_heads * (c->d_model / c->n_heads);
    const long bytes = 2L * c->n_layers * L * kv * 4;
    char product[64], want[128], shown[48];
    snprintf(product, sizeof product, "2·%d·%d·%d·4", c->n_layers, L, kv);
    snprintf(want, sizeof want, "%s = %ld", product, bytes);
    char *flat = flat_narration(&a);
    expect_text(flat, want, lang);
    free(flat);
    grouped(shown, sizeof shown - 2, bytes);
    strcat(shown, " B");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int w = sizes[s][0], h = sizes[s][1];
        Layout lo;
        layout_app(&a, w, h, &lo);
        assert_true(lo.kvcache.w > 0 && lo.kvcache.h > 0);
        Canvas cv;
        assert_int_equal(canvas_init(&cv, w, h), 0);
        panel_kvcache_draw(&a, e, &cv, lo.kvcache);
        char *d = canvas_dump(&cv);
        assert_non_null(d);
        canvas_free(&cv);
        bool found = false;
        for (char *line = strtok(d, "\n"); line && !found; line = strtok(NULL, "\n"))
            found = strstr(line, product) && strstr(line, shown);
        if (!found)
            fail_msg("%s lesson %d slide %d at %dx%d: no line of the KV cache panel holds %s and %s", lang, lesson,
                     slide + 1, w, h, product, shown);
        free(d);
    }
    app_free(&a);
}

static void test_size_lines(void **state)
{
    (void)state;
    size_line("en", 5, 5);
    size_line("zh", 5, 5);
    size_line("en", 11, 1);
    size_line("zh", 11, 1);
    size_line("en", 9, 0);   /* these two quoted only the formula */
    size_line("zh", 9, 0);
    size_line("en", 11, 0);
    size_line("zh", 11, 0);
}

/* Lesson 8 slide 3 says the Cumulative MACs chart plots both totals (it
 * once said a small screen draws bars, which no size does): at every size
 * the chart has a plot's axis, " └─", which the two-bar form lacks. */
static void test_lesson8_chart_plots(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 8, 2);
        char *flat = flat_narration(&a);
        expect_text(flat, z ? "画成两条累计曲线" : "plots both running totals", lang);
        int bars = 0;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char *d = screen(&a, sizes[s][0], sizes[s][1]);
            if (!strstr(d, " \u2514\u2500")) {
                print_message("%s lesson 8 slide 3 at %dx%d: the chart draws bars\n", lang, sizes[s][0], sizes[s][1]);
                bars++;
            }
            free(d);
        }
        const bool says_bars = strstr(flat, z ? "横条" : "bars") != NULL;
        if (bars || says_bars)
            fail_msg("%s lesson 8 slide 3: %d sizes draw bars, the narration %s them: %s", lang, bars,
                     says_bars ? "promises" : "does not mention", flat);
        free(flat);
        app_free(&a);
    }
}

/* Lesson 8 slide 5: the Tokens strip shows only the cache run; the
 * narration points at the recompute run's own Causal mask panel, whose
 * labels are the tokens that run fed in. Both panels are on screen at
 * every size, and the two runs fed the same tokens. */
static void test_lesson8_same_tokens(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 8, 4);
        const Engine *c = app_engine_of(&a, MODE_CACHE), *r = app_engine_of(&a, MODE_RECOMPUTE);
        assert_int_equal(c->t, r->t);
        for (int p = 0; p < c->t; p++) assert_int_equal(engine_fed_token(c, p), engine_fed_token(r, p));
        char *flat = flat_narration(&a);
        if (strstr(flat, z ? "「词元」面板表明" : "Tokens strip shows that they are the same"))
            fail_msg("%s lesson 8 slide 5: the Tokens strip shows one run only: %s", lang, flat);
        expect_text(flat, z ? "两块「因果掩码」面板" : "the two Causal mask panels", lang);
        free(flat);
        const char *title = z ? "因果掩码" : "Causal mask";
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char *d = screen(&a, sizes[s][0], sizes[s][1]);
            const char *first = strstr(d, title), *second = first ? strstr(first + 1, title) : NULL;
            if (!second)
                fail_msg("%s lesson 8 slide 5 at %dx%d: not two Causal mask panels\n%s", lang, sizes[s][0],
                         sizes[s][1], d);
            free(d);
        }
        app_free(&a);
    }
}

/* Lesson 10 slide 4: the Memory traffic panel's table gives decode step
 * 1's intensity at every size; the logarithmic scale (its "▲ H100" line)
 * is drawn only from 120x40 on, as the narration says. */
static void test_lesson10_scale(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 10, 3);
        char *flat = flat_narration(&a);
        expect_text(flat, z ? "窗口有 120×40 或更大时" : "In a window of 120×40 or more", lang);
        free(flat);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const int w = sizes[s][0], h = sizes[s][1];
            char *d = screen(&a, w, h);
            const bool scale = strstr(d, "\u25b2 H100") != NULL, big = w >= 120 && h >= 40;
            if (!strstr(d, "0.499") || scale != big)
                fail_msg("%s lesson 10 slide 4 at %dx%d: the scale is %s, the narration says it %s\n%s", lang, w, h,
                         scale ? "drawn" : "not drawn", big ? "is" : "is not", d);
            free(d);
        }
        app_free(&a);
    }
}

/* Lesson 11 slide 4: where the Causal mask panel cannot hold the whole
 * 15x15 grid it drops the oldest columns and marks the cut with "…"; the
 * narration must say so (it once promised the whole grid, which only
 * 200x60 draws). */
static void test_lesson11_cut_grid(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 11, 3);
        char *flat = flat_narration(&a);
        int cut = 0;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char *d = screen(&a, sizes[s][0], sizes[s][1]);
            /* the line under the panel's title: its column labels */
            const char *title = strstr(d, z ? "因果掩码" : "Causal mask");
            assert_non_null(title);
            const char *labels = strchr(title, '\n');
            assert_non_null(labels);
            const char *end = strstr(labels + 1, "\u2502\u2502");   /* the panel's right border */
            assert_non_null(end);
            const char *dots = strstr(labels + 1, "\u2026");
            if (dots && dots < end) cut++;
            free(d);
        }
        if (cut && !strstr(flat, "\u2026"))
            fail_msg("%s lesson 11 slide 4: %d sizes cut the grid, the narration does not say so: %s", lang, cut, flat);
        assert_true(cut > 0);   /* else the narration's note on the cut describes nothing */
        free(flat);
        app_free(&a);
    }
}

/* Lesson 14 slide 1 says which earlier lessons ran the random model and
 * which the trained one; read it off the shipped lessons' own slides. */
static void lesson14_history(const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    int trained[16], nt = 0, lo = 0, hi = 0;
    for (int n = 1; n < 14; n++) {
        char err[512], path[1400];
        if (catalog_find(lang, n, path, sizeof path, err, sizeof err)) continue;
        Lesson l;
        if (lesson_load(path, &l, err, sizeof err)) fail_msg("%s", err);
        bool tr = false;
        for (int s = 0; s < l.n_slides; s++)
            if ((l.slides[s].setup.set & SETUP_BIT(SET_WEIGHTS)) && l.slides[s].setup.trained) tr = true;
        lesson_free(&l);
        if (tr) {
            trained[nt++] = n;
            if (lo) fail_msg("lesson %d runs the trained model between random ones", n);
        } else {
            if (!lo) lo = n;
            if (hi && hi != n - 1) fail_msg("the random lessons are not one range (%d after %d)", n, hi);
            hi = n;
        }
    }
    assert_int_equal(nt, 2);
    App a;
    open_slide(&a, lang, 14, 0);
    char *flat = flat_narration(&a), want[160];
    if (zh) snprintf(want, sizeof want, "第 %d 课到第 %d 课跑的都是随机权重的模型", lo, hi);
    else snprintf(want, sizeof want, "Lessons %d to %d ran a model with random weights", lo, hi);
    expect_text(flat, want, lang);
    if (zh) snprintf(want, sizeof want, "回到第 %d、%d 课用过的", trained[0], trained[1]);
    else snprintf(want, sizeof want, "the one lessons %d and %d ran", trained[0], trained[1]);
    expect_text(flat, want, lang);
    free(flat);
    app_free(&a);
}

static void test_lesson14_history(void **state)
{
    (void)state;
    lesson14_history("en");
    lesson14_history("zh");
}

/* Lesson 1 slide 3: at layer 0's softmax of decode step 1 the query sees
 * t = L + 1 keys, but the cache still holds only the L prompt positions:
 * its own key waits for cache append. (The slide once called all t keys
 * "every key in the cache", beside a KV cache panel saying "not kept yet".) */
static void lesson1_keys(const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    App a;
    open_slide(&a, lang, 1, 2);
    int ids[64];
    const int L = prompt_len(&a, ids, 64);
    const Engine *e = app_engine(&a);
    assert_int_equal(e->step, 1);
    assert_true(engine_op_done(e, OP_SOFTMAX, 0));
    assert_false(engine_op_done(e, OP_APPEND, -1));
    assert_int_equal(e->t, L + 1);
    assert_int_equal(e->cache.len, L);
    char *flat = flat_narration(&a), want[200];
    if (zh) snprintf(want, sizeof want, "一共 %d 个键，即从缓存读出的 %d 个提示词位置", L + 1, L);
    else snprintf(want, sizeof want, "%d keys, the %d prompt positions read from the cache plus this token's own", L + 1, L);
    expect_text(flat, want, lang);
    if (strstr(flat, zh ? "缓存里的每一个键" : "every key in the cache"))
        fail_msg("%s lesson 1 slide 3 counts the new key as cached: %s", lang, flat);
    free(flat);
    app_free(&a);
}

static void test_lesson1_keys_seen(void **state)
{
    (void)state;
    lesson1_keys("en");
    lesson1_keys("zh");
}

/* Lesson 3 slide 3: "Guessing uniformly over all V tokens would score
 * ln V ≈ 7; an untrained model with random weights does worse": the train
 * pass's loss, at that slide, is above ln V, and ln V rounds to 7. */
static void test_lesson3_loss(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 3, 2);
        const Engine *e = app_engine(&a);
        assert_true(engine_op_done(e, OP_LOSS, -1));
        const double lnv = log((double)e->cfg.vocab);
        assert_int_equal((int)lround(lnv), 7);
        if (!(e->loss > lnv)) fail_msg("%s lesson 3: the untrained loss %.3f is not above ln V = %.3f", lang, e->loss, lnv);
        char *flat = flat_narration(&a), want[64];
        snprintf(want, sizeof want, "ln %d ≈ 7", e->cfg.vocab);
        expect_text(flat, want, lang);
        free(flat);
        app_free(&a);
    }
}

/* Lesson 2 slide 1: the Causal mask panel marks its cells ✓ and ×, it
 * does not print scores; the Attention panel lists the last row's scores
 * after the mask. (The slide once said "a cell holds the score".) */
static void test_lesson2_marks(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 2, 0);
        char *flat = flat_narration(&a);
        expect_text(flat, z ? "标着 ✓" : "marked ✓", lang);
        expect_text(flat, z ? "最后一行经过掩码后的分数" : "last row's scores as they are after the mask", lang);
        if (strstr(flat, z ? "格子里放的是" : "A cell holds the score"))
            fail_msg("%s lesson 2 slide 1: the mask's cells hold marks, not scores: %s", lang, flat);
        free(flat);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char *d = screen(&a, sizes[s][0], sizes[s][1]);
            if (!strstr(d, "\u2713 \u00d7") || !strstr(d, z ? "掩码后，softmax 前" : "after mask, before softmax"))
                fail_msg("%s lesson 2 slide 1 at %dx%d: no ✓/× grid or no scores after the mask\n%s", lang,
                         sizes[s][0], sizes[s][1], d);
            free(d);
        }
        app_free(&a);
    }
}

/* Lesson 3 slide 4: the Operations panel's bottom border counts the
 * passes (the slide once sent the reader to "the footer", the key line). */
static void test_lesson3_passes(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 3, 3);
        int ids[64];
        const int L = prompt_len(&a, ids, 64);
        char *flat = flat_narration(&a), want[96];
        expect_text(flat, z ? "面板的下边框写着次数" : "the panel's bottom border counts them", lang);
        if (strstr(flat, "footer")) fail_msg("%s lesson 3 slide 4 points at the footer: %s", lang, flat);
        free(flat);
        if (z) snprintf(want, sizeof want, "生成 %d 个词元：%d 次前向", L, L);
        else snprintf(want, sizeof want, "%d tokens: %d passes", L, L);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char *d = screen(&a, sizes[s][0], sizes[s][1]);
            const char *hit = strstr(d, want), *bol = hit;
            while (bol && bol > d && bol[-1] != '\n') bol--;
            if (!hit || strncmp(bol, "\u2514\u2500", strlen("\u2514\u2500")))
                fail_msg("%s lesson 3 slide 4 at %dx%d: no bottom border reads \"%s\"\n%s", lang, sizes[s][0],
                         sizes[s][1], want, d);
            free(d);
        }
        app_free(&a);
    }
}

/* The KV blocks panel draws the pool's cells (a line " 0 A4…"), or with
 * paging off the contiguous bar ("A ███…"), only when it has the rows:
 * lesson 12 slides 1 and 3 and lesson 17 slide 4 (about slide 5's
 * screen) say so, "in a window of 120×40 or more". At every size from
 * 120x40 the drawing is there; below it, if it is not, the narration has
 * the qualifier. (They once promised it at 80x24, where only the totals
 * row, or with paging off only the panel's note, fits.) */
static void pool_cells(const char *lang, int lesson, int text_slide, int screen_slide, const char *mark)
{
    const bool zh = !strcmp(lang, "zh");
    App a;
    open_slide(&a, lang, lesson, text_slide);
    char *flat = flat_narration(&a);
    const bool qualified = strstr(flat, zh ? "120×40 或更大" : "window of 120×40 or more") != NULL;
    app_free(&a);
    open_slide(&a, lang, lesson, screen_slide);
    int missing = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int w = sizes[s][0], h = sizes[s][1];
        char *d = screen(&a, w, h);
        const bool drawn = strstr(d, mark) != NULL;
        if (!drawn && w >= 120 && h >= 40)
            fail_msg("%s lesson %d slide %d at %dx%d: the KV blocks drawing (%s) is missing\n%s", lang, lesson,
                     screen_slide + 1, w, h, mark, d);
        if (!drawn) missing++;
        free(d);
    }
    if (missing && !qualified)
        fail_msg("%s lesson %d slide %d: %d sizes lack the KV blocks drawing, the narration does not say so: %s",
                 lang, lesson, text_slide + 1, missing, flat);
    free(flat);
    app_free(&a);
}

static void test_pool_cells(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        pool_cells(lang, 12, 2, 2, "\u2502 0 A4+A4+A3+");
        pool_cells(lang, 12, 0, 0, "\u2502A \u2588");   /* paging off: the contiguous bar */
        pool_cells(lang, 17, 3, 4, "A4\u00b3");   /* block 0, shared by 3 tables */
    }
}

/* Lesson 12 slides 1 and 3 say what the KV blocks panel keeps at 80x24:
 * the sequence's row (paging off: beside the note; paged: with its block
 * table). At 80x24 the panel must draw that row, "│A " with the used
 * bytes, and the narration must name it. (They once said the panel had
 * room only for its note, or only for the totals, after the panel began
 * to give its spare line to the sequence's row.) */
static void test_lesson12_small_row(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        for (int slide = 0; slide <= 2; slide += 2) {
            App a;
            open_slide(&a, lang, 12, slide);
            char used[32];
            grouped(used, sizeof used, (long)engine_kv_bytes(app_engine(&a)));
            char *d = screen(&a, 80, 24), *flat = flat_narration(&a);
            const char *row = strstr(d, "\u2502A ");
            const char *eol = row ? strchr(row, '\n') : NULL;
            char line[512] = "";
            if (row) snprintf(line, sizeof line, "%.*s", (int)(eol ? eol - row : (long)strlen(row)), row);
            if (!row || !strstr(line, used))
                fail_msg("%s lesson 12 slide %d at 80x24: no row of sequence A with %s B in the KV blocks panel\n%s",
                         lang, slide + 1, used, d);
            const char *named = z ? "这条序列" : "the sequence's row";
            if (!strstr(flat, named))
                fail_msg("%s lesson 12 slide %d: the narration does not name the sequence's row (\"%s\") that 80x24 "
                         "shows: %s", lang, slide + 1, named, flat);
            free(d);
            free(flat);
            app_free(&a);
        }
    }
}

/* Lesson 15 slide 2 names the Operations panel's rope line; its label
 * depends on the width ("RoPE turns" / "rope", zh "RoPE 旋转" / a column
 * "旋转" at 80x24). Every label a size draws, with the prefill's count,
 * must be one the narration names. (It once named only "RoPE turns",
 * which no size below 160 columns draws.) */
static void test_lesson15_rope_label(void **state)
{
    (void)state;
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 15, 1);
        const Engine *e = app_engine(&a);
        int ids[64];
        const int L = prompt_len(&a, ids, 64);
        const KvConfig *c = &e->cfg;
        const int rope = c->n_layers * 2 * L * (c->d_model + c->n_kv_heads * (c->d_model / c->n_heads));
        char count[32];
        grouped(count, sizeof count, rope);
        char *flat = flat_narration(&a);
        expect_text(flat, count, lang);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char *d = screen(&a, sizes[s][0], sizes[s][1]);
            const char *wide = z ? "\u2502RoPE 旋转 " : "\u2502RoPE turns ", *row = z ? NULL : "\u2502rope ";
            const char *col = z ? " 旋转 " : " rope ";
            const char *named = z ? "“RoPE 旋转”" : "\"RoPE turns\"";
            if (!strstr(d, wide)) named = row && strstr(d, row) ? "just rope where the panel is narrow"
                                          : z ? "一列“旋转”" : "(at 80×24 it is a column)";
            if (!strstr(d, wide) && !(row && strstr(d, row)) && !strstr(d, col))
                fail_msg("%s lesson 15 slide 2 at %dx%d: no rope line in the Operations panel\n%s", lang, sizes[s][0],
                         sizes[s][1], d);
            if (!strstr(d, count)) fail_msg("%s lesson 15 slide 2 at %dx%d: no %s on screen", lang, sizes[s][0], sizes[s][1], count);
            if (!strstr(flat, named))
                fail_msg("%s lesson 15 slide 2 at %dx%d: the panel's label is not named (\"%s\"): %s", lang, sizes[s][0],
                         sizes[s][1], named, flat);
            free(d);
        }
        free(flat);
        app_free(&a);
    }
}

/* Lesson 17 slide 2: the KV blocks panel lists one row per sequence in a
 * window of 120x40 or more; a smaller one lists some of them ("… N more
 * sequences") or only the Σ row. (It once said a smaller window shows
 * only the sum, which 110x34 contradicts.) */
static void test_lesson17_rows(void **state)
{
    (void)state;
    static const int more[][2] = {{80, 24}, {100, 30}, {110, 34}, {120, 40}, {160, 45}, {200, 60}};
    for (int z = 0; z < 2; z++) {
        const char *lang = z ? "zh" : "en";
        App a;
        open_slide(&a, lang, 17, 1);
        char *flat = flat_narration(&a);
        expect_text(flat, z ? "小窗口只列出其中几行，或者只显示合计" : "a smaller one shows some of them, or only their sum", lang);
        free(flat);
        assert_int_equal(a.n_seqs, 3);
        for (size_t s = 0; s < sizeof more / sizeof more[0]; s++) {
            const int w = more[s][0], h = more[s][1];
            char *d = screen(&a, w, h);
            int rows = 0;
            for (const char *p = d; (p = strstr(p, "\n\u2502")) != NULL; p++)
                if ((p[4] == 'A' || p[4] == 'B' || p[4] == 'C') && p[5] == ' ' && p[6] == '"') rows++;
            if (w >= 120 && h >= 40 && rows != 3)
                fail_msg("%s lesson 17 slide 2 at %dx%d: %d sequence rows, not 3\n%s", lang, w, h, rows, d);
            free(d);
        }
        app_free(&a);
    }
}

int main(void)
{
    char dir[] = "/tmp/kvsim-test-XXXXXX";
    if (mkdtemp(dir)) setenv("XDG_STATE_HOME", dir, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson1_new_row),
        cmocka_unit_test(test_lesson14_window_slide),
        cmocka_unit_test(test_lesson1_layernorm_gain),
        cmocka_unit_test(test_lesson2_decode_cells),
        cmocka_unit_test(test_size_lines),
        cmocka_unit_test(test_lesson8_chart_plots),
        cmocka_unit_test(test_lesson8_same_tokens),
        cmocka_unit_test(test_lesson10_scale),
        cmocka_unit_test(test_lesson11_cut_grid),
        cmocka_unit_test(test_lesson14_history),
        cmocka_unit_test(test_lesson1_keys_seen),
        cmocka_unit_test(test_lesson3_loss),
        cmocka_unit_test(test_lesson2_marks),
        cmocka_unit_test(test_lesson3_passes),
        cmocka_unit_test(test_pool_cells),
        cmocka_unit_test(test_lesson12_small_row),
        cmocka_unit_test(test_lesson15_rope_label),
        cmocka_unit_test(test_lesson17_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
