/* test_panel_truth: pictures that once said something false (the screen
 * audit of 2026-12-02), each checked against the engine that drew it.
 *
 * - a verify step (--speculate, §6.9) that rejected drafts: its rows are
 *   labelled with the drafts they were computed from, the Tokens line no
 *   longer lists the rejected drafts as tokens, and the mask's K/V line and
 *   the KV cache mark the rolled-back rows at every width;
 * - under a window, the attention bars after softmax give the evicted keys
 *   their weight 0, never −∞ (a score's value, before softmax);
 * - the cost box never cuts its MAC count short;
 * - the memory view's note before the first step names no ring without a
 *   window, and its Σ row's contiguous waste adds up its rows' with
 *   prefix sharing (contiguous caches share nothing);
 * - a shared block taken this step shows its reference count and '+',
 *   and the KV blocks legend says what both are.
 */
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

#include "sim/counts.h"
#include "ui/app.h"
#include "ui/panels/panels.h"

/* A prompt that repeats itself, K = 4: prompt lookup drafts from the start. */
#define SPEC_ARGS "kvsim", "--model", "models/default.kvsim", "--prompt", "the cat sat on the mat. the cat sat", "--gen", "10", "--speculate", "4"

/* Lines of a dump that contain s. */
static int count_lines_with(const char *dump, const char *s)
{
    int n = 0;
    for (const char *p = dump; p && *p;) {
        const char *e = strchr(p, '\n');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        char line[2048];
        const size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
        memcpy(line, p, k);
        line[k] = '\0';
        if (strstr(line, s)) n++;
        p = e ? e + 1 : NULL;
    }
    return n;
}

static void test_verify_rows_are_the_drafts(void **state)
{
    (void)state;
    App *a = FX_APP(SPEC_ARGS);
    /* the first verify step that rejected a draft */
    const Engine *e = app_engine(a);
    int k = 1;
    for (; k < e->n_steps; k++) {
        fx_seek_op(a, k, OP_APPEND, -1);
        if (e->drafted > 0 && e->accepted < e->drafted) break;
    }
    assert_true(k < e->n_steps);
    /* the row after the accepted ones was computed from the first rejected
     * draft; tokens[] holds the emitted token there */
    const int r = e->p0 + 1 + e->accepted;
    assert_int_equal(engine_fed_token(e, r), e->draft[e->accepted]);
    assert_int_not_equal(e->tokens[r], e->draft[e->accepted]);
    assert_int_equal(engine_fed_token(e, e->p0), e->tokens[e->p0]);
    assert_int_equal(engine_fed_token(e, e->t), -1);

    /* the Tokens line: after the bar, the emitted tokens, then placeholders */
    Canvas c;
    fx_draw(panel_tokens_draw, a, &c, 120, 3);
    const char *line = fx_line(&c, 1);
    char want[512] = "\u2502", tok[16];
    for (int p = e->L; p < e->n_tokens; p++) strcat(want, fmt_token(a, e->tokens[p], tok));
    strcat(want, "\u00b7");
    if (!strstr(line, want)) fail_msg("step %d: Tokens line %s lacks %s", k, line, want);
    canvas_free(&c);

    /* the mask: ✗ on the K/V line for each rolled-back column, and its legend */
    const int rolled = e->t - (e->p0 + 1 + e->accepted);
    for (int w = 34; w <= 70; w += 12) {
        fx_draw(panel_mask_draw, a, &c, w, 30);
        char *d = canvas_dump(&c);
        int crosses = 0;
        const char *kv = strstr(d, "K/V");
        assert_non_null(kv);
        for (const char *p = kv; *p && *p != '\n'; p++)
            if (strncmp(p, "\u2717", 3) == 0) crosses++;
        if (crosses != rolled) fail_msg("width %d: %d ✗ on the K/V line, want %d\n%s", w, crosses, rolled, d);
        if (!strstr(d, "rolled back")) fail_msg("width %d: no legend for ✗\n%s", w, d);
        free(d);
        canvas_free(&c);
    }

    /* the Pipeline sentence, at any width, never says the rolled-back rows
     * were appended: it names the kept rows first */
    for (int w = 80; w <= 200; w += 40) {
        fx_draw(panel_pipeline_draw, a, &c, w, 5);
        char *d = canvas_dump(&c);
        char kept[32];
        snprintf(kept, sizeof kept, "pos %d", e->p0);
        if (strstr(d, "appended") || !strstr(d, kept) || !strstr(d, "kept"))
            fail_msg("width %d: the append sentence is not the kept rows'\n%s", w, d);
        free(d);
        canvas_free(&c);
    }

    /* the KV cache: every rolled-back row keeps its mark, at every width */
    for (int w = 26; w <= 60; w += 2) {
        fx_draw(panel_kvcache_draw, a, &c, w, 12);
        char *d = canvas_dump(&c);
        const int marked = count_lines_with(d, "\u2717") + count_lines_with(d, "discarded");
        int shown = 0;   /* rows of rolled-back positions on screen */
        for (int p = e->p0 + 1 + e->accepted; p < e->t; p++) {
            char pos[16];
            snprintf(pos, sizeof pos, "\u2502%d ", p);
            shown += count_lines_with(d, pos);
        }
        if (shown == 0 || marked < shown) fail_msg("width %d: %d rolled-back rows, %d marks\n%s", w, shown, marked, d);
        free(d);
        canvas_free(&c);
    }
    fx_app_del(a);
}

static void test_window_weights_after_softmax(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "6", "--window", "4");
    fx_seek_op(a, 0, OP_SOFTMAX, 0);   /* the prefill: every key scored, the window masks the old ones */
    Canvas c;
    fx_draw(panel_attention_draw, a, &c, 44, 20);
    assert_false(fx_has(&c, "\u2212\u221e"));
    assert_true(fx_has(&c, "0.00"));
    canvas_free(&c);
    fx_seek_op(a, 0, OP_MASK, 0);      /* before softmax the masked scores are −∞ */
    fx_draw(panel_attention_draw, a, &c, 44, 20);
    assert_true(fx_has(&c, "\u2212\u221e"));
    canvas_free(&c);
    fx_app_del(a);
}

static void test_cost_numbers_whole(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--prompt", "the cat sat", "--gen", "4", "--rope", "--d-model", "16");
    fx_seek_op(a, 1, OP_APPEND, -1);
    char want[2][32];
    counts_group(counts_total(engine_step_counts(app_engine_of(a, MODE_CACHE), 1)), want[0]);
    counts_group(counts_total(engine_step_counts(app_engine_of(a, MODE_RECOMPUTE), 1)), want[1]);
    for (int w = 40; w <= 130; w += 5) {
        Canvas c;
        fx_draw(panel_cost_draw, a, &c, w, 12);
        char *d = canvas_dump(&c);
        for (int m = 0; m < 2; m++) {
            const char *mark = m == 0 ? "\u25cf" : "\u25b2";
            const char *line = strstr(d, mark);
            if (!line) continue;   /* a box too small for that line */
            const char *eol = strchr(line, '\n');
            const char *num = strstr(line, want[m]);
            if (!num || (eol && num > eol)) fail_msg("width %d: line %s lacks %s whole\n%s", w, mark, want[m], d);
        }
        free(d);
        canvas_free(&c);
    }
    fx_app_del(a);
}

static void test_pool_note_before_first_step(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--mode", "memory", "--prompt", "the cat sat", "--prompt", "the dog ran far",
                    "--block-size", "4", "--gen", "6");
    Canvas c;
    fx_draw(panel_pool_draw, a, &c, 118, 16);
    assert_false(fx_has(&c, "ring"));
    assert_true(fx_has(&c, "no block taken yet"));
    canvas_free(&c);
    fx_app_del(a);
}

/* The last number on the line of the dump that starts with `start`
 * (separators dropped), or -1. */
static long last_number(const char *dump, const char *start)
{
    const char *l = strstr(dump, start);
    if (!l) return -1;
    const char *eol = strchr(l, '\n');
    long v = -1, cur = -1;
    for (const char *p = l; *p && p != eol; p++) {
        if (*p >= '0' && *p <= '9') cur = (cur < 0 ? 0 : cur * 10) + (*p - '0');
        else if (*p == ',' && cur >= 0) continue;
        else if (cur >= 0) v = cur, cur = -1;
    }
    return cur >= 0 ? cur : v;
}

/* With prefix sharing the Σ row's contiguous waste is the sum of the rows':
 * contiguous caches share nothing, so they hold every sequence's own rows. */
static void test_pool_contiguous_waste_adds_up(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--mode", "memory", "--d-model", "8", "--seed", "42", "--block-size", "4",
                    "--prefix-cache", "--prompt", "you are a kind tutor. hi!", "--prompt",
                    "you are a kind tutor. what is 2+2?", "--prompt", "you are a kind tutor. name a cat.", "--gen", "4");
    fx_seek_op(a, 2, OP_APPEND, -1);
    assert_true(paged_blocks_shared(a->run.pool) > 0);
    Canvas c;
    fx_draw(panel_pool_draw, a, &c, 118, 20);
    char *d = canvas_dump(&c);
    long rows = 0;
    for (int s = 0; s < 3; s++) {
        char start[16];
        snprintf(start, sizeof start, "\u2502%c \"", 'A' + s);
        const long w = last_number(d, start);
        if (w < 0) fail_msg("no row %c\n%s", 'A' + s, d);
        rows += w;
    }
    const long total = last_number(d, "\u2502\u03a3 all");
    if (total != rows) fail_msg("Σ contiguous waste %ld, rows add up to %ld\n%s", total, rows, d);
    free(d);
    canvas_free(&c);
    fx_app_del(a);
}

/* The Operations panel's "this step" ratio for a verify step that emitted
 * several tokens sets it against every recompute step that emits them (as
 * the per-step chart pairs them), not only the last. */
static void test_verify_step_ratio(void **state)
{
    (void)state;
    App *a = FX_APP(SPEC_ARGS);
    const Engine *c = app_engine(a), *r = app_engine_of(a, MODE_RECOMPUTE);
    int k = 1, j0 = 0, j1 = 0;
    for (; k < c->n_steps; k++) {
        fx_seek_op(a, k, OP_APPEND, -1);
        panel_recompute_steps(c, k, &j0, &j1);
        if (j1 - j0 > 1) break;
    }
    assert_true(k < c->n_steps);
    uint64_t sum = 0;
    for (int j = j0; j < j1; j++) {
        assert_non_null(engine_step_counts(r, j));
        sum += counts_total(engine_step_counts(r, j));
    }
    char want[96];
    snprintf(want, sizeof want, "this step (its %d tokens) %.2f\u00d7", j1 - j0,
             (double)sum / (double)counts_total(engine_step_counts(c, k)));
    Canvas cv;
    fx_draw(panel_ops_draw, a, &cv, 110, 12);
    char *d = canvas_dump(&cv);
    if (!strstr(d, want)) fail_msg("step %d: no \"%s\" in\n%s", k, want, d);
    free(d);
    canvas_free(&cv);
    fx_app_del(a);
}

/* The KV cache's status line names this step's rows by the mark they
 * carry ("new = ...") only when the marks are drawn; once they gave way to
 * the values it names them by position. */
static void test_cache_status_names_what_is_drawn(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--mode", "compare", "--model", "models/default.kvsim", "--prompt", "the cat sat", "--gen", "4");
    for (int op = 0; op < 2; op++) {
        fx_seek_op(a, 1, op ? OP_APPEND : OP_QKV, op ? -1 : 0);
        for (int w = 24; w <= 70; w += 3)
            for (int h = 8; h <= 20; h += 3) {
                Canvas c;
                fx_draw(panel_kvcache_draw, a, &c, w, h);
                char *d = canvas_dump(&c);
                const bool says_new = strstr(d, "new =") != NULL;
                const bool marked = strstr(d, " new ") != NULL || strstr(d, " new\u2502") != NULL ||
                                    strstr(d, " +\u2502") != NULL || strstr(d, "+ \u2502") != NULL;
                if (says_new && !marked) fail_msg("%dx%d: 'new =' with no row marked new\n%s", w, h, d);
                free(d);
                canvas_free(&c);
            }
    }
    fx_app_del(a);
}

/* Occurrences of s in the dump. */
static int count_of(const char *dump, const char *s)
{
    int n = 0;
    for (const char *p = strstr(dump, s); p; p = strstr(p + 1, s)) n++;
    return n;
}

/* A block shared by prefix sharing and taken by this step's append shows
 * both marks, its reference count and '+', at every width from 80 columns,
 * and the legend says what each mark means. The prompts share "the cat sat
 * on the " (19 rows): floor(19 / B) = 9 full blocks of B = 2. */
static void test_pool_shared_block_taken_now(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--mode", "memory", "--block-size", "2", "--prefix-cache", "--prompt",
                    "the cat sat on the mat", "--prompt", "the cat sat on the hat");
    const int shared = 19 / 2;
    for (int k = 0; k < 2; k++) {
        fx_seek_op(a, k, OP_APPEND, -1);
        assert_int_equal(paged_blocks_shared(a->run.pool), shared);
        for (int w = 78; w <= 200; w += 61) {
            Canvas c;
            fx_draw(panel_pool_draw, a, &c, w, 12);
            char *d = canvas_dump(&c);
            /* the prefill (step 0) took the shared blocks; step 1 took none of them */
            const int both = count_of(d, "\u00b2+"), sup = count_of(d, "A2\u00b2");
            if (both != (k == 0 ? shared : 0) || sup != shared)
                fail_msg("step %d, width %d: %d shared blocks marked, %d of them '+', want %d and %d\n%s", k, w, sup,
                         both, shared, k == 0 ? shared : 0, d);
            const char *leg = strstr(d, "\u2514");   /* the bottom border */
            assert_non_null(leg);
            if (!strstr(leg, "\u00b2 shared by 2") && !strstr(leg, "\u00b2 = shared by 2"))
                fail_msg("width %d: the legend does not say what \u00b2 is\n%s", w, d);
            if (!strstr(leg, "+ taken this step") && !strstr(leg, "+ new"))
                fail_msg("width %d: the legend does not say what + is\n%s", w, d);
            if (!strstr(leg, "Ln \u2192")) fail_msg("width %d: the legend does not say what the table's Ln are\n%s", w, d);
            free(d);
            canvas_free(&c);
        }
    }
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_rows_are_the_drafts),
        cmocka_unit_test(test_verify_step_ratio),
        cmocka_unit_test(test_window_weights_after_softmax),
        cmocka_unit_test(test_cost_numbers_whole),
        cmocka_unit_test(test_pool_note_before_first_step),
        cmocka_unit_test(test_pool_contiguous_waste_adds_up),
        cmocka_unit_test(test_cache_status_names_what_is_drawn),
        cmocka_unit_test(test_pool_shared_block_taken_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
