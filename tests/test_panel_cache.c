/* Tests for ui/panels/kvcache.c, ui/panels/tokens.c and ui/panels/pipeline.c:
 * the cache size on screen against 2·Lyr·t·d·4, one row per cached
 * position, the "new" mark on exactly this step's rows, recompute keeping
 * 0 B, the phase words in both languages, the highlighted pipeline step and
 * the numbers of its sentence, and that no panel draws outside its rect.
 * Expected values come from the spec's formulas, not from the panels. */
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

#include "ui/app.h"
#include "ui/panels/panels.h"
#include "ui/style.h"

/* ---- fixtures (the App: tests/panel_fixture.h) ----------------------------- */

typedef void (*DrawFn)(const App *, const Engine *, Canvas *, Rect);

/* Draw one panel into a fresh w×h canvas filling it; returns the dump. */
static char *draw(DrawFn fn, const App *a, const Engine *e, int w, int h)
{
    Canvas c;
    assert_int_equal(canvas_init(&c, w, h), 0);
    Rect r = {0, 0, w, h};
    fn(a, e, &c, r);
    char *d = canvas_dump(&c);
    assert_non_null(d);
    canvas_free(&c);
    return d;
}

/* Run e to just after operation (kind, layer) of step k. */
static void seek_op(Engine *e, int k, OpKind kind, int layer)
{
    engine_seek(e, (long)k * e->ops_per_step);
    for (;;) {
        assert_true(engine_next_op(e));
        OpRef r = engine_current_op(e);
        if (r.kind == kind && (layer < 0 || r.layer == layer)) return;
    }
}

/* The inner text of line y of a boxed dump (without the two '│'), or NULL. */
static const char *line_of(const char *dump, int y, char *buf, size_t n)
{
    const char *p = dump;
    for (int i = 0; i < y && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p || !*p) return NULL;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len >= n) len = n - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* The cache size on screen: the number before " B" on the panel's last
 * inner line, where the summary sits ("1,536 B = ...", "... = 1,536 B"). */
static long long bytes_shown(const char *dump, int h)
{
    char line[1024];
    assert_non_null(line_of(dump, h - 2, line, sizeof line));
    const char *b = strstr(line, " B");
    if (!b) fail_msg("no size on the last line: %s", line);
    const char *s = b;
    while (s > line && ((s[-1] >= '0' && s[-1] <= '9') || s[-1] == ',')) s--;
    assert_true(s < b);
    long long v = 0;
    for (; s < b; s++)
        if (*s != ',') v = v * 10 + (*s - '0');
    return v;
}

/* A K/V row line: "│" [spaces] position, token, then values (a sign or a
 * shade cell). The summary "256 B = ..." fails on the '='. */
static bool row_line(const char *line, int *pos)
{
    if (strncmp(line, "\u2502", 3)) return false;
    const char *p = line + 3;
    while (*p == ' ') p++;
    if (*p < '0' || *p > '9') return false;
    char *end;
    long v = strtol(p, &end, 10);
    if (*end != ' ') return false;
    p = end + 1;
    const bool quoted = *p == '\'' && p[1] != ' ';   /* '2', '␣': quoted tokens */
    if (quoted) p++;
    p++;                                        /* the token's first byte */
    while ((*p & 0xC0) == 0x80) p++;            /* and the rest of it */
    if (quoted && *p++ != '\'') return false;
    while (*p == ' ') p++;
    if (*p != '+' && *p != '-' && strncmp(p, "\xe2\x96", 2)) return false;
    *pos = (int)v;
    return true;
}

typedef struct {
    int rows, news, redo, gone;
    int first, last, first_new;
} RowScan;

static RowScan scan_rows(const char *dump)
{
    RowScan s = {0, 0, 0, 0, -1, -1, -1};
    char buf[1024];
    for (int y = 1; line_of(dump, y, buf, sizeof buf); y++) {
        int p;
        if (!row_line(buf, &p)) continue;
        if (s.first < 0) s.first = p;
        assert_true(p > s.last);   /* in position order */
        s.last = p;
        s.rows++;
        if (strstr(buf, " new") || strstr(buf, " 新")) {
            if (s.first_new < 0) s.first_new = p;
            s.news++;
        }
        if (strstr(buf, " redo") || strstr(buf, " 重算")) s.redo++;
        if (strstr(buf, " discarded") || strstr(buf, " 已丢弃")) s.gone++;
    }
    return s;
}

static uint64_t kv_formula(const Engine *e, int t)
{
    return 2ull * (uint64_t)e->cfg.n_layers * (uint64_t)t * (uint64_t)e->cfg.d_model * 4ull;
}

static void utf8_of(int32_t cp, char out[5])
{
    if (cp < 0x80) {
        out[0] = (char)cp; out[1] = '\0';
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); out[2] = '\0';
    } else {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); out[3] = '\0';
    }
}

/* The cells in STYLE_HILITE of line y, as text. */
static void hilite_text(const Canvas *c, int y, char *out, size_t n)
{
    size_t o = 0;
    for (int x = 0; x < c->w && o + 5 < n; x++) {
        const CanvasCell *k = canvas_at(c, x, y);
        if (k->style != STYLE_HILITE || k->cp == 0) continue;
        utf8_of(k->cp, out + o);
        o += strlen(out + o);
    }
    out[o] = '\0';
}

/* ---- KV cache panel ---------------------------------------------------- */

/* Bytes on screen = 2·Lyr·t·d·4 after prefill and after every decode step,
 * at the small 80×24 size and at a wide one. */
static void test_cache_bytes(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    for (int k = 0; k < 3; k++) {
        assert_true(engine_next_step(e));
        const int sizes[][2] = {{28, 8}, {22, 8}, {68, 38}};
        for (int i = 0; i < 3; i++) {
            char *d = draw(panel_kvcache_draw, a, e, sizes[i][0], sizes[i][1]);
            assert_int_equal(bytes_shown(d, sizes[i][1]), (long long)kv_formula(e, e->t));
            assert_int_equal((long long)engine_kv_bytes(e), (long long)kv_formula(e, e->t));
            free(d);
        }
    }
    /* mid-decode, before the append: the committed t-1 rows only */
    seek_op(e, 2, OP_LOGITS, -1);
    char *d = draw(panel_kvcache_draw, a, e, 68, 38);
    assert_int_equal(bytes_shown(d, 38), (long long)kv_formula(e, e->t - 1));
    assert_non_null(strstr(d, "/64"));
    free(d);
    fx_app_del(a);
}

/* One row per cached position; "new" on exactly p0..t-1 once Q/K/V ran. */
static void test_cache_rows_and_new(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "4");
    Engine *e = &a->run.eng[MODE_CACHE];
    char *d = draw(panel_kvcache_draw, a, e, 68, 38);
    assert_int_equal(scan_rows(d).rows, 0);   /* pos 0: empty */
    assert_non_null(strstr(d, "empty"));
    free(d);
    for (int k = 0; k < 4; k++) {
        /* step k, before layer 0's Q/K/V: only committed rows, none new */
        seek_op(e, k, OP_LN1, 0);
        d = draw(panel_kvcache_draw, a, e, 68, 38);
        RowScan s = scan_rows(d);
        assert_int_equal(s.rows, e->cache.len);
        assert_int_equal(s.news, 0);
        free(d);
        /* after it: t rows, the n of this step marked new */
        seek_op(e, k, OP_QKV, 0);
        d = draw(panel_kvcache_draw, a, e, 68, 38);
        s = scan_rows(d);
        assert_int_equal(s.rows, e->t);
        assert_int_equal(s.news, e->n);
        assert_int_equal(s.first_new, e->p0);
        assert_int_equal(s.last, e->t - 1);
        free(d);
        /* step over: committed, still marked as appended this step */
        engine_seek(e, (long)(k + 1) * e->ops_per_step);
        d = draw(panel_kvcache_draw, a, e, 68, 38);
        s = scan_rows(d);
        assert_int_equal(s.rows, e->cache.len);
        assert_int_equal(s.news, e->n);
        assert_non_null(strstr(d, "appended this step"));
        free(d);
    }
    fx_app_del(a);
}

/* Rows that do not fit: the newest ones, and how many are above. */
static void test_cache_overflow(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the quick brown fox", "--gen", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    assert_true(engine_next_step(e));
    assert_true(engine_next_step(e));
    char *d = draw(panel_kvcache_draw, a, e, 28, 8);
    RowScan s = scan_rows(d);
    assert_true(s.rows >= 2 && s.rows < e->cache.len);
    assert_int_equal(s.last, e->cache.len - 1);
    char want[32];
    snprintf(want, sizeof want, "%d more", e->cache.len - s.rows);
    assert_non_null(strstr(d, want));
    free(d);
    d = draw(panel_kvcache_draw, a, e, 60, 12);
    s = scan_rows(d);
    snprintf(want, sizeof want, "\u2026 %d more above", e->cache.len - s.rows);
    assert_non_null(strstr(d, want));
    free(d);
    fx_app_del(a);
}

/* Under a window the rows above the box are of two kinds: held rows that
 * did not fit, and evicted ones. The note counts them apart (a bare "13
 * more" would claim rows the ring no longer holds), in every box size. */
static void test_cache_window_note(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--window", "4", "--prompt", "the cat sat", "--gen", "6");
    Engine *e = &a->run.eng[MODE_CACHE];
    for (int k = 0; k < 6; k++) assert_true(engine_next_step(e));
    const int lo = e->t - 4;   /* evicted: positions 0 .. t-W-1 */
    assert_int_equal(e->t, 16);
    const int sizes[][2] = {{26, 8}, {30, 9}, {40, 10}, {60, 9}};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *d = draw(panel_kvcache_draw, a, e, sizes[i][0], sizes[i][1]);
        RowScan s = scan_rows(d);
        assert_true(s.rows >= 1 && s.rows <= 4);
        assert_int_equal(s.last, e->t - 1);
        char want[96], more[32];
        if (s.rows == 4) snprintf(want, sizeof want, "%d evicted", lo);
        else snprintf(want, sizeof want, "%d + %d evicted", 4 - s.rows, lo);
        const bool short_form = strstr(d, want) != NULL;
        snprintf(want, sizeof want, "\u2026 %d more \u00b7 %d evicted", 4 - s.rows, lo);
        const bool mid_form = strstr(d, want) != NULL;
        snprintf(want, sizeof want, "\u2026 %d more above \u00b7 %d evicted", 4 - s.rows, lo);
        if (!short_form && !mid_form && !strstr(d, want)) fail_msg("%dx%d: no evicted count in\n%s", sizes[i][0], sizes[i][1], d);
        snprintf(more, sizeof more, "%d more", e->t - s.rows);   /* the old, false note */
        assert_null(strstr(d, more));
        free(d);
    }
    fx_app_del(a);
}

/* Recompute keeps nothing: 0 B; all t rows redone, then discarded. */
static void test_recompute_keeps_nothing(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    Engine *e = &a->run.eng[MODE_RECOMPUTE];
    for (int k = 0; k < 3; k++) {
        seek_op(e, k, OP_LN1, 0);
        char *d = draw(panel_kvcache_draw, a, e, 68, 38);
        assert_non_null(strstr(d, "kept between steps: 0 B"));
        assert_int_equal(scan_rows(d).rows, 0);
        assert_non_null(strstr(d, "nothing kept"));
        free(d);
        seek_op(e, k, OP_QKV, 0);
        d = draw(panel_kvcache_draw, a, e, 68, 38);
        RowScan s = scan_rows(d);
        assert_int_equal(s.rows, e->t);
        assert_int_equal(s.redo, e->t);
        assert_int_equal(s.first, 0);
        free(d);
        engine_seek(e, (long)(k + 1) * e->ops_per_step);
        d = draw(panel_kvcache_draw, a, e, 68, 38);
        s = scan_rows(d);
        assert_int_equal(s.gone, e->t);
        assert_non_null(strstr(d, "discarded"));
        assert_int_equal(bytes_shown(d, 38), 0);
        free(d);
    }
    fx_app_del(a);
}

static void test_train_and_compare_titles(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "2", "--mode", "compare");
    engine_run_to_end(&a->run.eng[MODE_TRAIN]);
    char *d = draw(panel_kvcache_draw, a, &a->run.eng[MODE_TRAIN], 68, 20);
    assert_non_null(strstr(d, "training keeps no cache: all K/V in one pass"));
    free(d);
    d = draw(panel_kvcache_draw, a, &a->run.eng[MODE_CACHE], 68, 20);
    assert_non_null(strstr(d, "KV cache L0 H0 \u00b7 cache"));
    free(d);
    d = draw(panel_kvcache_draw, a, &a->run.eng[MODE_RECOMPUTE], 68, 20);
    assert_non_null(strstr(d, "KV cache L0 H0 \u00b7 recompute"));
    free(d);
    a->layer = 1;
    a->head = 1;
    d = draw(panel_kvcache_draw, a, &a->run.eng[MODE_RECOMPUTE], 22, 8);   /* narrow: mode on the border */
    assert_non_null(strstr(d, "KV cache L1 H1"));
    assert_non_null(strstr(d, " recompute "));
    free(d);
    fx_app_del(a);
    a = FX_APP("kvsim", "--prompt", "abcd", "--lang", "zh");
    assert_true(engine_next_step(&a->run.eng[MODE_CACHE]));
    d = draw(panel_kvcache_draw, a, &a->run.eng[MODE_CACHE], 40, 12);
    assert_non_null(strstr(d, "KV 缓存 L0 H0"));
    assert_non_null(strstr(d, "新"));
    free(d);
    fx_app_del(a);
}

/* ---- Tokens panel -------------------------------------------------------- */

static void expect_in(DrawFn fn, const App *a, const Engine *e, int w, const char *want)
{
    char *d = draw(fn, a, e, w, fn == panel_pipeline_draw ? 4 : 3);   /* their sizes at 80×24 */
    if (!strstr(d, want)) fail_msg("'%s' not in:\n%s", want, d);
    free(d);
}

static void test_tokens_phases(void **state)
{
    (void)state;
    static const struct {
        RunMode m;
        int step;   /* seek just past the embed of this step; -1: pos 0 */
        const char *en, *zh;
    } cases[] = {
        {MODE_CACHE, -1, "READY", "就绪"},
        {MODE_CACHE, 0, "PREFILL", "预填充"},
        {MODE_CACHE, 1, "DECODE step 1", "解码 第1步"},
        {MODE_CACHE, 2, "DECODE step 2", "解码 第2步"},
        {MODE_RECOMPUTE, 1, "RECOMPUTE step 1", "重算 第1步"},
        {MODE_TRAIN, 0, "TRAIN", "训练"},
    };
    char want[32];
    for (int zh = 0; zh < 2; zh++) {
        App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3", "--lang", zh ? "zh" : "en");
        expect_in(panel_tokens_draw, a, &a->run.eng[MODE_CACHE], 80, zh ? "词元" : "Tokens");
        expect_in(panel_tokens_draw, a, &a->run.eng[MODE_CACHE], 80, "abcd\u2502");
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            Engine *e = &a->run.eng[cases[i].m];
            engine_seek(e, cases[i].step < 0 ? 0 : (long)cases[i].step * e->ops_per_step + 1);
            expect_in(panel_tokens_draw, a, e, 80, zh ? cases[i].zh : cases[i].en);
            if (cases[i].step < 0) continue;
            snprintf(want, sizeof want, zh ? "位置 %d" : "pos %d", e->t - 1);   /* pos t-1 */
            expect_in(panel_tokens_draw, a, e, 80, want);
        }
        expect_in(panel_tokens_draw, a, &a->run.eng[MODE_RECOMPUTE], 80, zh ? " 重算 " : " recompute ");
        fx_app_del(a);
    }
}

/* The query rows are in reverse video: all in prefill/recompute, one in
 * decode; a long sequence scrolls so they stay on screen. */
static void test_tokens_highlight_and_scroll(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcdefghijklmnopqrstuvwxyz0123456789", "--gen", "20");
    Engine *e = &a->run.eng[MODE_CACHE];
    const int widths[] = {30, 45, 80, 120};
    for (int k = 0; k < 20; k++) {
        engine_seek(e, (long)k * e->ops_per_step + 1);
        for (int wi = 0; wi < 4; wi++) {
            Canvas c;
            assert_int_equal(canvas_init(&c, widths[wi], 3), 0);
            panel_tokens_draw(a, e, &c, (Rect){0, 0, widths[wi], 3});
            char got[64], tok[8];
            hilite_text(&c, 1, got, sizeof got);
            if (k == 0) assert_true(strlen(got) >= 1);   /* prefill: the prompt rows that fit */
            else assert_string_equal(got, fmt_token(a, e->tokens[e->t - 1], tok));   /* decode: t-1 only */
            canvas_free(&c);
        }
    }
    fx_app_del(a);
}

/* ---- Pipeline panel ------------------------------------------------------ */

/* At a wide size the chain uses the engine's own names: the highlighted
 * cell text is "[" + engine_op_name + "]" after every operation of a step. */
static void test_pipeline_follows_ops(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    for (int m = 0; m < MODE_COUNT; m++) {
        Engine *e = &a->run.eng[m];
        engine_seek(e, m == MODE_TRAIN ? 0 : e->ops_per_step);   /* a decode step in cache mode */
        for (int i = 0; i < e->ops_per_step; i++) {
            assert_true(engine_next_op(e));
            Canvas c;
            assert_int_equal(canvas_init(&c, 200, 4), 0);
            panel_pipeline_draw(a, e, &c, (Rect){0, 0, 200, 4});
            char got[64], want[64];
            hilite_text(&c, 1, got, sizeof got);
            snprintf(want, sizeof want, "[%s]", engine_op_name(engine_current_op(e).kind));
            assert_string_equal(got, want);
            /* at 80 columns the short chain still brackets exactly one op */
            canvas_free(&c);
            assert_int_equal(canvas_init(&c, 80, 4), 0);
            panel_pipeline_draw(a, e, &c, (Rect){0, 0, 80, 4});
            hilite_text(&c, 1, got, sizeof got);
            assert_true(got[0] == '[' && got[strlen(got) - 1] == ']');
            char *dump = canvas_dump(&c);
            if (engine_current_op(e).layer >= 0) assert_non_null(strstr(dump, "layer"));
            if (m == MODE_RECOMPUTE) assert_non_null(strstr(dump, "(nothing kept)"));
            free(dump);
            canvas_free(&c);
        }
    }
    fx_app_del(a);
}

#define expect_sentence(a, e, w, want) expect_in(panel_pipeline_draw, a, e, w, want)

/* The sentence's numbers come from this run's n, t, d. */
static void test_pipeline_numbers(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the cat sat on", "--gen", "4");
    Engine *e = &a->run.eng[MODE_CACHE];
    char want[96], num[32];
    expect_sentence(a, e, 80, "Ready: press");
    const int d = e->cfg.d_model;
    /* prefill: n = t = L */
    seek_op(e, 0, OP_SCORES, 0);
    snprintf(want, sizeof want, "%d\u00d7%d scores at once (%s MACs/layer); %d will be masked",
             e->t, e->t, fmt_count((uint64_t)e->t * e->t * d, num), e->t * (e->t - 1) / 2);
    expect_sentence(a, e, 80, want);
    seek_op(e, 0, OP_QKV, 0);
    snprintf(want, sizeof want, "3\u00b7%d\u00b7%d\u00b2 = %s MACs", e->n, d, fmt_count(3ull * e->n * d * d, num));
    expect_sentence(a, e, 80, want);
    /* decode steps: keys 0..t-1 (t-1 cached + its own), t·d MACs, bytes after the append */
    for (int k = 1; k < 4; k++) {
        seek_op(e, k, OP_SCORES, 1);
        snprintf(want, sizeof want, "new query (pos %d) \u00d7 keys 0-%d: %d \u00d7 %d = %d MACs/layer",
                 e->t - 1, e->t - 1, e->t, d, e->t * d);
        expect_sentence(a, e, 80, want);
        seek_op(e, k, OP_VALUES, 0);
        snprintf(want, sizeof want, "mix %d V rows: %d \u00d7 %d = %d MACs", e->t, e->t, d, e->t * d);
        expect_sentence(a, e, 80, want);
        seek_op(e, k, OP_APPEND, -1);
        snprintf(want, sizeof want, "= %s B", fmt_count(kv_formula(e, e->t), num));
        expect_sentence(a, e, 80, want);
    }
    /* recompute: the whole t×t block again */
    Engine *r = &a->run.eng[MODE_RECOMPUTE];
    seek_op(r, 2, OP_SCORES, 0);
    snprintf(want, sizeof want, "all %d\u00d7%d scores again (%s MACs/layer)", r->t, r->t,
             fmt_count((uint64_t)r->t * r->t * d, num));
    expect_sentence(a, r, 80, want);
    seek_op(r, 2, OP_MASK, 0);
    snprintf(want, sizeof want, "hides %d future cells/head", r->t * (r->t - 1) / 2);
    expect_sentence(a, r, 80, want);
    fx_app_del(a);

    a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3", "--lang", "zh");
    e = &a->run.eng[MODE_CACHE];
    seek_op(e, 1, OP_SCORES, 0);
    snprintf(want, sizeof want, "解码：新查询（第 %d 位）× 第 0-%d 位的键", e->t - 1, e->t - 1);
    expect_sentence(a, e, 80, want);
    seek_op(e, 0, OP_MASK, 0);
    expect_sentence(a, e, 80, "预填充：每个头有");
    expect_sentence(a, e, 80, "个未来格被掩码");   /* the glossary's word for masked (docs/glossary.md) */
    expect_sentence(a, e, 80, "流水线");
    fx_app_del(a);
}

/* Every sentence of the default run fits the one line it has at 80×24:
 * a full stop ends the visible text. */
static void test_pipeline_fits_80(void **state)
{
    (void)state;
    const char *langs[] = {"en", "zh"};
    for (int l = 0; l < 2; l++) {
        App *a = FX_APP("kvsim", "--lang", langs[l]);
        for (int m = 0; m < MODE_COUNT; m++) {
            Engine *e = &a->run.eng[m];
            for (long p = 0; p <= engine_total_ops(e); p++) {
                engine_seek(e, p);
                char *d = draw(panel_pipeline_draw, a, e, 80, 4), buf[512];
                assert_non_null(line_of(d, 2, buf, sizeof buf));
                size_t n = strlen(buf) - 3;   /* drop the right border */
                while (n && buf[n - 1] == ' ') n--;
                buf[n] = '\0';
                bool ok = (n >= 1 && buf[n - 1] == '.') || (n >= 3 && !strcmp(buf + n - 3, "\u3002"));
                if (!ok) fail_msg("mode %d pos %ld: sentence cut: %s", m, p, buf);
                free(d);
            }
        }
        fx_app_del(a);
    }
}

/* ---- bounds ---------------------------------------------------------------- */

#define SENTINEL 0x40   /* '@' */

static void check_bounds(const App *a, const Engine *e, Canvas *c, Rect r)
{
    static const DrawFn fns[] = {panel_kvcache_draw, panel_tokens_draw, panel_pipeline_draw};
    for (int f = 0; f < 3; f++) {
        canvas_reset_clip(c);
        canvas_fill(c, (Rect){0, 0, c->w, c->h}, SENTINEL, STYLE_KEY);
        Rect before = c->clip;
        fns[f](a, e, c, r);
        assert_memory_equal(&before, &c->clip, sizeof before);   /* clip restored */
        for (int y = 0; y < c->h; y++)
            for (int x = 0; x < c->w; x++) {
                bool in = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
                const CanvasCell *k = canvas_at(c, x, y);
                if (!in && (k->cp != SENTINEL || k->style != STYLE_KEY))
                    fail_msg("panel %d wrote (%d,%d) outside %dx%d@%d,%d", f, x, y, r.w, r.h, r.x, r.y);
            }
    }
}

/* One encoding per meaning: a K/V value is its shade (or its number) and
 * never takes the colour of the row's kind or of its sign; wherever shades
 * are drawn, their legend is on screen too, down to the smallest boxes; and
 * the rows the operation shown just wrote stand out (STYLE_CHANGED). */
static void test_cache_one_encoding(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the quick brown fox", "--gen", "3");
    Engine *e = &a->run.eng[MODE_CACHE];
    static const int sizes[][2] = {{26, 8}, {28, 8}, {32, 10}, {40, 14}, {46, 20}};
    for (int k = 1; k <= 3; k++) {
        engine_seek(e, 0);
        for (int i = 0; i < k; i++) assert_true(engine_next_step(e));
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            Canvas c;
            assert_int_equal(canvas_init(&c, sizes[z][0], sizes[z][1]), 0);
            panel_kvcache_draw(a, e, &c, (Rect){0, 0, c.w, c.h});
            char *d = canvas_dump(&c);
            int shades = 0;
            for (int i = 0; i < c.w * c.h; i++) {
                const int32_t cp = c.cells[i].cp;
                if (cp >= 0x2591 && cp <= 0x2593) {
                    shades++;
                    assert_true(c.cells[i].style == STYLE_NORMAL || c.cells[i].style == STYLE_DIM);
                }
            }
            if (shades > 0 && !strstr(d, "\u2591 -  \u2592 0  \u2593 +"))
                fail_msg("%dx%d, step %d: shades without their legend\n%s", c.w, c.h, k, d);
            free(d);
            canvas_free(&c);
        }
    }
    /* just after Q/K/V of layer 0 in step 2: the new row is highlighted */
    engine_seek(e, 2L * e->ops_per_step);
    for (;;) {
        assert_true(engine_next_op(e));
        const OpRef r = engine_current_op(e);
        if (r.kind == OP_QKV && r.layer == 0) break;
    }
    Canvas c;
    assert_int_equal(canvas_init(&c, 46, 20), 0);
    panel_kvcache_draw(a, e, &c, (Rect){0, 0, c.w, c.h});
    int changed = 0;
    for (int i = 0; i < c.w * c.h; i++) changed += c.cells[i].style == STYLE_CHANGED;
    assert_true(changed > 0);
    assert_true(engine_next_op(e));   /* QKᵀ: the cache rows did not change */
    canvas_clear(&c);
    panel_kvcache_draw(a, e, &c, (Rect){0, 0, c.w, c.h});
    for (int i = 0; i < c.w * c.h; i++) assert_int_not_equal(c.cells[i].style, STYLE_CHANGED);
    canvas_free(&c);
    fx_app_del(a);
}

/* The compare view's two KV cache boxes read alike: both shades (with the
 * legend) at every size, never numbers on one side and shades on the other. */
static void test_compare_same_encoding(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--mode", "compare");
    for (int i = 0; i < 3; i++) {
        assert_true(engine_next_step(&a->run.eng[MODE_CACHE]));
        assert_true(engine_next_step(&a->run.eng[MODE_RECOMPUTE]));
    }
    static const int widths[] = {20, 30, 40, 55, 56, 70};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        char *dc = draw(panel_kvcache_draw, a, &a->run.eng[MODE_CACHE], widths[w], 30);
        char *dr = draw(panel_kvcache_draw, a, &a->run.eng[MODE_RECOMPUTE], widths[w], 30);
        const bool sc = strstr(dc, "\u2592") != NULL, sr = strstr(dr, "\u2592") != NULL;
        if (sc != sr) fail_msg("width %d: one side shades, the other not\n%s\n%s", widths[w], dc, dr);
        free(dc);
        free(dr);
    }
    fx_app_del(a);
}

static void test_never_outside(void **state)
{
    (void)state;
    const char *langs[] = {"en", "zh"};
    const Rect rects[] = {{5, 4, 3, 3}, {10, 3, 200, 60}, {0, 0, 1, 1}, {2, 2, 2, 2},
                          {7, 1, 28, 8}, {1, 1, 22, 8}, {3, 3, 0, 5}, {-4, -2, 30, 9},
                          {200, 60, 40, 20}, {9, 9, 80, 3}, {9, 9, 80, 4}, {4, 4, 13, 6}};
    Canvas c;
    assert_int_equal(canvas_init(&c, 220, 70), 0);
    for (int l = 0; l < 2; l++)
        for (int ascii = 0; ascii < 2 - l; ascii++) {
            App *a = FX_APP("kvsim", "--prompt", "你好 world", "--gen", "4", "--lang", langs[l]);
            a->view = ascii ? VIEW_COMPARE : VIEW_CACHE;
            canvas_set_ascii(&c, ascii);
            for (int m = 0; m < MODE_COUNT; m++) {
                Engine *e = &a->run.eng[m];
                /* the start, then in every step: embed, Q/K/V, the last op */
                const long ops = e->ops_per_step, at[] = {0, 1, 3, ops - 1, ops};
                for (int k = 0; k < e->n_steps; k++)
                    for (int j = (k ? 1 : 0); j < 5; j++) {
                        engine_seek(e, k * ops + at[j]);
                        for (size_t i = 0; i < sizeof rects / sizeof rects[0]; i++) check_bounds(a, e, &c, rects[i]);
                    }
            }
            fx_app_del(a);
        }
    canvas_free(&c);
}

/* §6.8: a later sequence's prefill takes the shared rows from its donor
 * layer by layer, at each layer's Q/K/V (the donor makes them there just
 * before). Between layer 0's Q/K/V and layer 1's, layer 1 holds none of
 * them yet: its panel must not list rows 0..s-1 (their slots are still
 * zero), and says where they will come from. After layer 1's Q/K/V it
 * lists all t rows, with the donor's values. */
static void test_prefix_later_layer(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcdef", "--prompt", "abcdxy", "--prefix-cache", "--block-size", "4",
                    "--gen", "2", "--layers", "2");
    const Engine *b = run_seq(&a->run, 1);
    assert_int_equal(b->shared_rows, 4);
    a->layer = 1;
    fx_seek_op(a, 0, OP_QKV, 0);   /* every sequence just after layer 0's Q/K/V */
    assert_true(engine_op_done(b, OP_QKV, 0) && !engine_op_done(b, OP_QKV, 1));
    char *d = draw(panel_kvcache_draw, a, b, 44, 12);
    if (strstr(d, "0 a ") || strstr(d, "3 d "))
        fail_msg("layer 1 before its Q/K/V lists shared rows it does not hold yet:\n%s", d);
    if (!strstr(d, "shared prefix")) fail_msg("layer 1 before its Q/K/V: no word on the shared rows:\n%s", d);
    free(d);
    fx_seek_op(a, 0, OP_QKV, 1);
    d = draw(panel_kvcache_draw, a, b, 44, 12);
    if (!strstr(d, "3 d ") || !strstr(d, "5 y ")) fail_msg("layer 1 after its Q/K/V: rows 3 and 5 missing:\n%s", d);
    free(d);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_bytes),
        cmocka_unit_test(test_cache_rows_and_new),
        cmocka_unit_test(test_cache_overflow),
        cmocka_unit_test(test_cache_window_note),
        cmocka_unit_test(test_recompute_keeps_nothing),
        cmocka_unit_test(test_train_and_compare_titles),
        cmocka_unit_test(test_tokens_phases),
        cmocka_unit_test(test_tokens_highlight_and_scroll),
        cmocka_unit_test(test_pipeline_follows_ops),
        cmocka_unit_test(test_pipeline_numbers),
        cmocka_unit_test(test_pipeline_fits_80),
        cmocka_unit_test(test_cache_one_encoding),
        cmocka_unit_test(test_compare_same_encoding),
        cmocka_unit_test(test_never_outside),
        cmocka_unit_test(test_prefix_later_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
