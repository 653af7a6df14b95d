/* Tests for the Pipeline panel's sentence (ui/panels/pipeline_say.c) in the
 * runs that are not one-row decoding: a prefill in chunks (§6.7), a verify
 * step of speculative decoding (§6.9), a sliding window (§6.3), the last
 * step of a run, a one-token prompt; and for the mask and attention
 * panels' sentences in the same cases. Every expected number comes from
 * the engine's measured counters (step_counts right after the operation
 * of layer 0) or from its state (n, p0, t, n_tokens, the cache), never
 * from the panel. */
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

/* ---- fixtures ------------------------------------------------------------- */

/* Run e to just after operation (kind, layer) of step k. */
static void seek_op(Engine *e, int k, OpKind kind, int layer)
{
    engine_seek(e, (long)k * e->ops_per_step);
    for (;;) {
        assert_true(engine_next_op(e));
        const OpRef r = engine_current_op(e);
        assert_int_equal(e->step, k);
        if (r.kind == kind && (layer < 0 || r.layer == layer)) return;
    }
}

/* The Pipeline panel's sentence, whole: drawn 500 columns wide, where
 * every sentence and its detail fit the one line under the chain. */
static const char *sentence(const App *a, const Engine *e)
{
    static char buf[2048];
    Canvas c;
    assert_int_equal(canvas_init(&c, 500, 4), 0);
    panel_pipeline_draw(a, e, &c, (Rect){0, 0, 500, 4});
    char *d = canvas_dump(&c);
    assert_non_null(d);
    canvas_free(&c);
    const char *p = d;
    for (int i = 0; i < 2; i++) p = strchr(p, '\n') + 1;   /* line 2: the sentence */
    const char *end = strchr(p, '\n');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    free(d);
    char *q = strstr(buf, "\u2502");   /* drop the left border, then the right and the blanks */
    if (q == buf) memmove(buf, buf + 3, strlen(buf + 3) + 1);
    n = strlen(buf);
    if (n >= 3 && !strcmp(buf + n - 3, "\u2502")) buf[n -= 3] = '\0';
    while (n && buf[n - 1] == ' ') buf[--n] = '\0';
    return buf;
}

static void expect_has(const App *a, const Engine *e, const char *want)
{
    const char *s = sentence(a, e);
    if (!strstr(s, want)) fail_msg("step %d op %ld: '%s' not in: %s", e->step, e->pos, want, s);
}

static void expect_not(const App *a, const Engine *e, const char *bad)
{
    const char *s = sentence(a, e);
    if (strstr(s, bad)) fail_msg("step %d op %ld: '%s' in: %s", e->step, e->pos, bad, s);
}

/* A panel's text drawn w×h, its lines' inner text joined by one blank (a
 * wrapped sentence reads as one line again). Caller frees. */
static char *panel_text(PanelDraw fn, const App *a, const Engine *e, int w, int h)
{
    Canvas c;
    assert_int_equal(canvas_init(&c, w, h), 0);
    fn(a, e, &c, (Rect){0, 0, w, h});
    char *d = canvas_dump(&c);
    assert_non_null(d);
    canvas_free(&c);
    char *out = calloc(strlen(d) + 2, 1);
    assert_non_null(out);
    size_t o = 0;
    for (char *line = d; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *s = line, *t = line + strlen(line);
        if (!strncmp(s, "\u2502", 3)) s += 3;
        if (t - s >= 3 && !strncmp(t - 3, "\u2502", 3)) t -= 3;
        while (s < t && *s == ' ') s++;
        while (t > s && t[-1] == ' ') t--;
        if (t > s) {
            if (o) out[o++] = ' ';
            memcpy(out + o, s, (size_t)(t - s));
            o += (size_t)(t - s);
        }
        line = nl ? nl + 1 : NULL;
    }
    out[o] = '\0';
    free(d);
    return out;
}

/* ---- §6.7 chunked prefill (finding 1) ------------------------------------- */

/* A chunk before the last has no head: its final LN, logits and pick say
 * so (no "p = nan", no token number); the tokens are numbered by what the
 * engine emitted, never by steps: the last chunk emits token 1 at pos L,
 * decode step k token k - n_chunks + 2. */
static void test_chunk_sentences(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--chunk", "4");
    Engine *e = &a->run.eng[MODE_CACHE];
    const int L = e->L, C = 4, chunks = (L + C - 1) / C;
    assert_int_equal(e->n_chunks, chunks);
    char want[256];
    for (int k = 0; k < chunks - 1; k++) {
        static const OpKind head[] = {OP_LN_FINAL, OP_LOGITS, OP_PICK};
        for (int i = 0; i < 3; i++) {
            seek_op(e, k, head[i], -1);
            assert_int_equal((long long)e->step_counts.mac[CAT_LM_HEAD], 0);   /* §6.7: no head */
            expect_not(a, e, "nan");
            expect_not(a, e, "generated token");
            expect_not(a, e, "last position");
            expect_not(a, e, "logits: pos");
            snprintf(want, sizeof want, "Chunk %d/%d: ", k + 1, chunks);
            expect_has(a, e, want);
        }
        expect_has(a, e, "no token yet");
        /* its rows: p0 .. t-1, the cache holding every row so far after the append */
        seek_op(e, k, OP_EMBED, -1);
        snprintf(want, sizeof want, "at pos %d-%d, %d of %d", k * C, k * C + C - 1, C, L);
        expect_has(a, e, want);
        seek_op(e, k, OP_APPEND, -1);
        snprintf(want, sizeof want, "the cache holds pos 0-%d", e->t - 1);
        expect_has(a, e, want);
        snprintf(want, sizeof want, "The next chunk starts at pos %d.", e->t);
        expect_has(a, e, want);
    }
    for (int k = chunks - 1; k < e->n_steps; k++) {
        seek_op(e, k, OP_PICK, -1);
        const int num = k - chunks + 2;   /* token 1 from the last chunk, one per decode step */
        assert_int_equal(e->n_tokens - e->L, num);
        snprintf(want, sizeof want, "generated token %d, at pos %d.", num, L + num - 1);
        expect_has(a, e, want);
        expect_not(a, e, "nan");
    }
    fx_app_del(a);
}

/* The mask panel's sentence: chunk 1 has no earlier rows to read. */
static void test_chunk_mask_sentence(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--chunk", "4");
    Engine *e = &a->run.eng[MODE_CACHE];
    seek_op(e, 0, OP_MASK, 0);
    char *s = panel_text(panel_mask_draw, a, e, 60, 40);
    if (strstr(s, "earlier prompt rows")) fail_msg("chunk 1 reads earlier rows: %s", s);
    assert_non_null(strstr(s, "no earlier rows yet"));
    free(s);
    seek_op(e, 1, OP_MASK, 0);
    s = panel_text(panel_mask_draw, a, e, 60, 40);
    assert_non_null(strstr(s, "earlier prompt rows"));
    free(s);
    fx_app_del(a);
}

/* ---- §6.9 speculative decoding (finding 2) -------------------------------- */

/* A verify step's sentences carry its n = 1 + drafted rows, with the
 * numbers the engine measured in layer 0; its pick names the tokens it
 * emitted by number and position. */
static void test_verify_sentences(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--model", "models/default.kvsim", "--prompt", "the cat sat on the mat. the cat sat", "--gen",
                    "10", "--speculate", "4");
    Engine *e = &a->run.eng[MODE_CACHE];
    const int d = e->cfg.d_model, V = e->cfg.vocab;
    char want[256], m[32], w[32], tk[8];
    int verified = 0;
    for (int k = 1; k < e->n_steps; k++) {
        const StepPlan *pl = engine_plan(e, k);
        assert_non_null(pl);
        if (pl->drafted == 0) continue;
        verified++;
        const int n = pl->n, p0 = pl->p0, t = p0 + n;
        assert_int_equal(n, 1 + pl->drafted);
        seek_op(e, k, OP_EMBED, -1);
        snprintf(want, sizeof want, "embed %d rows, the new token", n);
        expect_has(a, e, want);
        snprintf(want, sizeof want, "%d drafts", pl->drafted);
        expect_has(a, e, want);
        expect_not(a, e, "embed only");
        seek_op(e, k, OP_QKV, 0);
        snprintf(want, sizeof want, "Q, K, V of the %d rows (pos %d-%d): 3\u00b7%d\u00b7%d\u00b2 = %s MACs", n, p0, t - 1,
                 n, d, fmt_count(e->step_counts.mac[CAT_QKV], m));
        expect_has(a, e, want);
        seek_op(e, k, OP_SCORES, 0);
        snprintf(want, sizeof want, "%d queries (pos %d-%d) \u00d7 keys 0-%d: %d\u00d7%d\u00d7%d = %s MACs/layer", n, p0,
                 t - 1, t - 1, n, t, d, fmt_count(e->step_counts.mac[CAT_SCORES], m));
        expect_has(a, e, want);
        expect_not(a, e, "no mask");
        seek_op(e, k, OP_MASK, 0);
        const uint64_t masked = e->step_counts.masked;   /* layer 0 only */
        assert_int_equal((long long)masked, (long long)d * n * (n - 1) / 2);   /* §6.9 */
        snprintf(want, sizeof want, "hides %llu future cells/head; %s MACs/layer wasted", (unsigned long long)(masked / d),
                 fmt_count(masked, w));
        expect_has(a, e, want);
        seek_op(e, k, OP_VALUES, 0);
        snprintf(want, sizeof want, "%d rows each mix %d V rows: %d\u00d7%d\u00d7%d = %s MACs/layer; %d from the cache (pos 0-%d), %d new.",
                 n, t, n, t, d, fmt_count(e->step_counts.mac[CAT_VALUES], m), p0, p0 - 1, n);
        expect_has(a, e, want);
        seek_op(e, k, OP_LN_FINAL, -1);
        snprintf(want, sizeof want, "final LayerNorm of all %d rows (pos %d-%d)", n, p0, t - 1);
        expect_has(a, e, want);
        seek_op(e, k, OP_LOGITS, -1);
        assert_int_equal((long long)e->step_counts.mac[CAT_LM_HEAD], (long long)n * d * V);   /* §6.9 */
        snprintf(want, sizeof want, "logits of all %d rows (pos %d-%d): %d\u00b7%d\u00b7%d = %s MACs", n, p0, t - 1, n, d, V,
                 fmt_count(e->step_counts.mac[CAT_LM_HEAD], m));
        expect_has(a, e, want);
        seek_op(e, k, OP_PICK, -1);
        const int acc = e->accepted, first = pl->tok0 - e->L + 1, last = e->n_tokens - e->L;
        assert_int_equal(last - first + 1, e->emitted);
        if (acc == pl->drafted) snprintf(want, sizeof want, "all %d drafts accepted", acc);
        else snprintf(want, sizeof want, "%d of %d drafts accepted", acc, pl->drafted);
        expect_has(a, e, want);
        if (first == last)
            snprintf(want, sizeof want, "emits '%s', generated token %d at pos %d;", fmt_token(a, e->picked, tk), first,
                     pl->tok0);
        else
            snprintf(want, sizeof want, "emits %d tokens, generated tokens %d-%d at pos %d-%d;", e->emitted, first, last, pl->tok0,
                     e->n_tokens - 1);
        expect_has(a, e, want);
        if (e->emitted > 1) expect_has(a, e, "The last one is the next step's input.");   /* not all of them */
        seek_op(e, k, OP_APPEND, -1);
        snprintf(want, sizeof want, "the cache holds pos 0-%d", engine_kept_after(pl) - 1);
        expect_has(a, e, want);
    }
    assert_true(verified >= 2);   /* the run has verify steps to check */
    fx_app_del(a);
}

/* ---- §6.3 sliding window (finding 4) -------------------------------------- */

/* The numbers of a windowed run equal the counters: cells masked (future
 * and outside the window, the "QKᵀ on ×" row), the keys a decode row
 * scores and mixes, what the ring keeps. */
static void check_window_mask(const App *a, Engine *e, int k)
{
    char want[160], w[32];
    seek_op(e, k, OP_MASK, 0);
    const uint64_t masked = e->step_counts.masked;   /* layer 0 */
    const int d = e->cfg.d_model;
    long long fut = 0;
    for (int i = 0; i < e->n; i++) fut += e->t - 1 - (e->p0 + i);
    if (masked / (uint64_t)d > (uint64_t)fut)
        snprintf(want, sizeof want, "the mask hides %llu cells/head, %lld future and %llu outside the window of %d; %s MACs/layer",
                 (unsigned long long)(masked / d), fut, (unsigned long long)(masked / d - (uint64_t)fut), e->cfg.window,
                 fmt_count(masked, w));
    else if (masked)
        snprintf(want, sizeof want, "hides %llu future cell", (unsigned long long)(masked / d));
    else
        snprintf(want, sizeof want, "nothing to mask, 0 MACs wasted");
    expect_has(a, e, want);
}

static void test_window_sentences(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--window", "4");
    Engine *e = &a->run.eng[MODE_CACHE];
    const int W = 4, d = e->cfg.d_model;
    char want[200], m[32];
    /* prefill: the ring keeps the last W of the L rows */
    seek_op(e, 0, OP_APPEND, -1);
    snprintf(want, sizeof want, "2\u00b7%d\u00b7%d\u00b7%d\u00b74 = %s B; the ring keeps the last %d, pos %d-%d (pos 0-%d evicted).",
             e->cfg.n_layers, W, config_kv_dim(&e->cfg), fmt_count(engine_kv_bytes(e), m), W, e->L - W, e->L - 1, e->L - W - 1);
    assert_int_equal((long long)engine_kv_bytes(e), 2LL * e->cfg.n_layers * W * config_kv_dim(&e->cfg) * 4);
    expect_has(a, e, want);
    check_window_mask(a, e, 0);
    for (int k = 1; k < e->n_steps; k++) {
        check_window_mask(a, e, k);
        seek_op(e, k, OP_EMBED, -1);
        snprintf(want, sizeof want, "pos %d-%d are cached (pos 0-%d evicted)", e->p0 - W, e->p0 - 1, e->p0 - W - 1);
        expect_has(a, e, want);
        seek_op(e, k, OP_SCORES, 0);
        const int keys = (int)(e->step_counts.mac[CAT_SCORES] / (uint64_t)d);   /* measured: min(t, W) */
        assert_int_equal(keys, W);
        seek_op(e, k, OP_SOFTMAX, 0);
        snprintf(want, sizeof want, "the row of %d scores", keys);
        expect_has(a, e, want);
        seek_op(e, k, OP_VALUES, 0);
        snprintf(want, sizeof want, "mix %d V rows: %d \u00d7 %d = %s MACs/layer; %d from the cache (pos %d-%d), one its own new row.",
                 keys, keys, d, fmt_count(e->step_counts.mac[CAT_VALUES], m), keys - 1, e->t - keys, e->t - 2);
        expect_has(a, e, want);
        seek_op(e, k, OP_APPEND, -1);
        snprintf(want, sizeof want, "the ring keeps the last %d, pos %d-%d", W, e->t - W, e->t - 1);
        expect_has(a, e, want);
    }
    /* recompute computes the dense block: its mask sentence counts both kinds */
    Engine *r = &a->run.eng[MODE_RECOMPUTE];
    for (int k = 0; k < r->n_steps; k++) check_window_mask(a, r, k);
    fx_app_del(a);

    /* chunks under a window: the cache after each chunk, the chunk's mask */
    a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--window", "4", "--chunk", "5");
    e = &a->run.eng[MODE_CACHE];
    for (int k = 0; k < e->n_chunks; k++) {
        check_window_mask(a, e, k);
        seek_op(e, k, OP_APPEND, -1);
        snprintf(want, sizeof want, "the ring keeps the last %d, pos %d-%d", W, e->t - W, e->t - 1);
        expect_has(a, e, want);
        expect_not(a, e, "kept in all layers");   /* never "K/V of pos 0-9 kept" */
    }
    fx_app_del(a);
}

/* The mask panel's sentence (presenter mode shows it): a windowed decode
 * row is not told it "may see every key". */
static void test_window_mask_panel(void **state)
{
    (void)state;
    const char *langs[] = {"en", "zh"};
    for (int l = 0; l < 2; l++) {
        App *a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--window", "4", "--lang", langs[l]);
        Engine *e = &a->run.eng[MODE_CACHE];
        seek_op(e, 1, OP_APPEND, -1);
        char *s = panel_text(panel_mask_draw, a, e, 60, 40);
        if (strstr(s, "may see every key") || strstr(s, "它能看到所有键")) fail_msg("%s: %s", langs[l], s);
        assert_non_null(strstr(s, l ? "窗口" : "window"));
        free(s);
        fx_app_del(a);
    }
}

/* ---- the last step (finding 10) and the small ones (16) ------------------- */

static void test_last_step(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "3");
    for (int m = 0; m < 2; m++) {   /* cache, recompute */
        Engine *e = &a->run.eng[m];
        engine_run_to_end(e);
        expect_has(a, e, "The run is complete.");
        expect_not(a, e, "next step");
        seek_op(e, e->n_steps - 1, OP_PICK, -1);
        expect_not(a, e, "next step");
        expect_has(a, e, "last token");
    }
    fx_app_del(a);
    /* one token: the prefill is the last step, no decoding follows */
    a = FX_APP("kvsim", "--prompt", "abcd", "--gen", "1");
    Engine *e = &a->run.eng[MODE_CACHE];
    seek_op(e, 0, OP_APPEND, -1);
    expect_not(a, e, "Decoding can start");
    fx_app_del(a);
    /* speculative: the last step does not start another */
    a = FX_APP("kvsim", "--prompt", "the cat sat on the mat. the cat sat", "--gen", "10", "--speculate", "4");
    e = &a->run.eng[MODE_CACHE];
    engine_run_to_end(e);
    expect_not(a, e, "next step");
    fx_app_del(a);
}

/* A one-token prompt: nothing is masked and the mask sentence says so; a
 * decode row mixes its cached rows and its own new one; one earlier
 * position is "the one", not "all 1". */
static void test_small_cases(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "a", "--gen", "4");
    Engine *e = &a->run.eng[MODE_CACHE];
    seek_op(e, 0, OP_MASK, 0);
    assert_int_equal((long long)e->step_counts.masked, 0);
    expect_has(a, e, "nothing to mask, 0 MACs wasted");
    char *s = panel_text(panel_mask_draw, a, e, 60, 30);
    if (strstr(s, "is masked") || strstr(s, "are masked")) fail_msg("L = 1: %s", s);
    free(s);
    seek_op(e, 1, OP_SOFTMAX, 0);
    s = panel_text(panel_attention_draw, a, e, 60, 30);
    if (strstr(s, "all 1 earlier")) fail_msg("%s", s);
    assert_non_null(strstr(s, "the one earlier position"));
    free(s);
    char want[160], m[32];
    for (int k = 2; k < 4; k++) {
        seek_op(e, k, OP_VALUES, 0);
        snprintf(want, sizeof want, "mix %d V rows: %d \u00d7 %d = %s MACs/layer; %d from the cache (pos 0-%d), one its own new row.",
                 e->t, e->t, e->cfg.d_model, fmt_count(e->step_counts.mac[CAT_VALUES], m), e->t - 1, e->t - 2);
        expect_has(a, e, want);
        expect_not(a, e, "cached V rows");
    }
    fx_app_del(a);
}

/* §6.8: a prompt whose first rows are shared computes only the rest, and
 * its sentences say which rows it embeds and where the others come from. */
static void test_shared_prefix(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--block-size", "4", "--prefix-cache", "--prompt", "thecatsaton", "--prompt", "thecatsatup");
    const Engine *b = run_seq(&a->run, 1);
    const int s = b->shared_rows, L = b->L;
    assert_int_equal(s, 8);   /* "thecatsa" in common: two full blocks of 4 */
    char want[160];
    snprintf(want, sizeof want, "Prefill will process %d of the %d prompt tokens; the first %d are shared.", L - s, L, s);
    expect_has(a, b, want);
    run_seek(&a->run, MODE_CACHE, 1);
    assert_int_equal(b->n, L - s);
    snprintf(want, sizeof want, "embed the prompt tokens at pos %d-%d, %d of %d; pos 0-%d come from an earlier prompt's", s,
             L - 1, L - s, L, s - 1);
    expect_has(a, b, want);
    fx_app_del(a);
}

/* Every sentence of these runs of the default model fits its one line at
 * 80×24 (a full stop ends what is shown) and never prints a NaN, in both
 * languages. */
static void test_fits_80(void **state)
{
    (void)state;
    static const char *const runs[][8] = {
        {"--chunk", "4", "--gen", "6", NULL},
        {"--prompt", "the cat sat on the mat. the cat sat", "--gen", "10", "--speculate", "4", NULL},
        {"--window", "4", "--gen", "6", NULL},
        {"--window", "4", "--chunk", "5", "--speculate", "3", "--gen", "8"},
    };
    const char *langs[] = {"en", "zh"};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++)
        for (int l = 0; l < 2; l++) {
            const char *argv[16] = {"kvsim", "--model", "models/default.kvsim", "--lang", langs[l]};
            int argc = 5;
            for (int i = 0; i < 8 && runs[r][i]; i++) argv[argc++] = runs[r][i];
            App *a = fx_app_new(argc, argv);
            Engine *e = &a->run.eng[MODE_CACHE];
            for (long p = 0; p <= engine_total_ops(e); p++) {
                engine_seek(e, p);
                Canvas c;
                assert_int_equal(canvas_init(&c, 80, 4), 0);
                panel_pipeline_draw(a, e, &c, (Rect){0, 0, 80, 4});
                char line[4096];
                snprintf(line, sizeof line, "%s", fx_line(&c, 2));
                canvas_free(&c);
                size_t n = strlen(line) - 3;   /* drop the right border */
                while (n && line[n - 1] == ' ') n--;
                line[n] = '\0';
                const bool ok = (n >= 1 && line[n - 1] == '.') || (n >= 3 && !strcmp(line + n - 3, "\u3002"));
                if (!ok) fail_msg("run %zu %s pos %ld: sentence cut: %s", r, langs[l], p, line);
                if (strstr(sentence(a, e), "nan")) fail_msg("run %zu %s pos %ld: %s", r, langs[l], p, sentence(a, e));
            }
            fx_app_del(a);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_sentences),
        cmocka_unit_test(test_chunk_mask_sentence),
        cmocka_unit_test(test_verify_sentences),
        cmocka_unit_test(test_window_sentences),
        cmocka_unit_test(test_window_mask_panel),
        cmocka_unit_test(test_last_step),
        cmocka_unit_test(test_small_cases),
        cmocka_unit_test(test_shared_prefix),
        cmocka_unit_test(test_fits_80),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
