/* Tests for ui/panels/ops.c and ui/panels/chart.c: the numbers on screen are the
 * measured counters, equal the closed forms at every step end (checked
 * against formulas.h AND against spec §4 written out here), marks and ratios
 * are honest, mid-step nothing is claimed, and no drawing leaves its rect. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/formulas.h"
#include "tests/dump_parse.h"
#include "ui/app.h"
#include "ui/panels/panels.h"
#include "ui/style.h"

#define CHECK 0x2713
#define CROSS 0x2717
#define ELLIPSIS 0x2026
#define SENTINEL 0x2603   /* ☃: never drawn by a panel */

static void make_app(App *a, int argc, char **argv)
{
    CliOptions o;
    char err[256];
    int ids[256];
    assert_int_equal(cli_parse(argc, argv, &o, err, sizeof err), 0);
    int L = cli_prepare(&o, ids, 256, err, sizeof err);
    assert_true(L >= 1);
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
}

static void app_abcd(App *a, const char *lang)
{
    char *argv[] = {"kvsim", "--prompt", "abcd", "--gen", "4", "--lang", (char *)lang};
    make_app(a, lang ? 7 : 5, argv);
}

/* Move cache and recompute to the same step end, as the app does. */
static void both_next_step(App *a)
{
    engine_next_step(&a->run.eng[MODE_CACHE]);
    engine_next_step(&a->run.eng[MODE_RECOMPUTE]);
}

static char *draw_ops(const App *a, Canvas *c, int w, int h)
{
    assert_int_equal(canvas_init(c, w, h), 0);
    panel_ops_draw(a, NULL, c, (Rect){0, 0, w, h});
    return canvas_dump(c);
}

static char *draw_chart(const App *a, Canvas *c, int w, int h)
{
    assert_int_equal(canvas_init(c, w, h), 0);
    panel_chart_draw(a, NULL, c, (Rect){0, 0, w, h});
    return canvas_dump(c);
}

static void release(char *dump, Canvas *c)
{
    free(dump);
    canvas_free(c);
}

/* Spec §4, written out independently of formulas.c. */
static void spec_step(const App *a, RunMode m, int k, uint64_t v[8])
{
    const KvConfig *c = &a->run.model->cfg;
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, V = (uint64_t)c->vocab;
    const uint64_t Ly = (uint64_t)c->n_layers, L = (uint64_t)a->L;
    const uint64_t n = m == MODE_CACHE ? (k == 0 ? L : 1) : m == MODE_RECOMPUTE ? L + (uint64_t)k : L;
    const uint64_t t = m == MODE_TRAIN ? L : L + (uint64_t)k;
    v[0] = 3 * n * d * d * Ly;
    v[1] = v[2] = n * t * d * Ly;
    v[3] = n * d * d * Ly;
    v[4] = 2 * n * d * F * Ly;
    v[5] = (m == MODE_TRAIN ? L : 1) * d * V;
    v[6] = v[0] + v[1] + v[2] + v[3] + v[4] + v[5];
    v[7] = d * n * (n - 1) / 2 * Ly;
}

static void formula_vals(const App *a, RunMode m, int k, uint64_t v[8])
{
    OpCounts o;
    formulas_step(&a->run.model->cfg, m, a->L, k, &o);
    for (int i = 0; i < CAT_COUNT; i++) v[i] = o.mac[i];
    v[6] = counts_total(&o);
    v[7] = o.masked;
}

static const char *const k_labels[8] = {"qkv", "QK\u1d40", "\u00b7V", "out proj",
                                        "FFN", "lm head", "total", "QK\u1d40 on \u00d7"};

/* The tall table (99×13, the Operations box of a 160×50 screen) at every
 * step end: both modes, step and cumulative, all equal and all ✓. */
static void test_tall_step_ends(void **state)
{
    (void)state;
    App a;
    app_abcd(&a, NULL);
    uint64_t cum[2][8] = {{0}};
    for (int k = 0; k < a.G; k++) {
        both_next_step(&a);
        Canvas c;
        char *d = draw_ops(&a, &c, 99, 13);
        assert_non_null(strstr(d, "Operations (MACs)"));
        for (int i = 0; i < 8; i++) {
            uint64_t sp[2][8], fo[2][8], nums[16];
            double ratios[4];
            int nr;
            for (int m = 0; m < 2; m++) {
                spec_step(&a, (RunMode)m, k, sp[m]);
                formula_vals(&a, (RunMode)m, k, fo[m]);
                assert_int_equal(sp[m][i], fo[m][i]);
                cum[m][i] += sp[m][i];
            }
            const char *row = dump_find_row(d, k_labels[i]);
            assert_non_null(row);
            /* cache, pred, recompute, pred, cache Σ, pred, recompute Σ, pred */
            assert_int_equal(dump_row_numbers(row, 0, false, nums, 16, ratios, &nr), 8);
            for (int m = 0; m < 2; m++) {
                assert_int_equal(nums[2 * m], sp[m][i]);
                assert_int_equal(nums[2 * m + 1], sp[m][i]);
                assert_int_equal(nums[4 + 2 * m], cum[m][i]);
                assert_int_equal(nums[5 + 2 * m], cum[m][i]);
            }
            if (sp[0][i] > 0) {   /* per-row ratios: this step, cumulative */
                assert_int_equal(nr, 2);
                assert_float_equal(ratios[0], (double)sp[1][i] / (double)sp[0][i], 0.005);
            }
            if (cum[0][i] > 0) assert_float_equal(ratios[nr - 1], (double)cum[1][i] / (double)cum[0][i], 0.005);
        }
        assert_int_equal(dump_count_cp(&c, CHECK), 32);
        assert_int_equal(dump_count_cp(&c, CROSS), 0);
        assert_int_equal(dump_count_cp(&c, ELLIPSIS), 0);
        /* the ratio on the bottom border, to 2 decimals */
        char want[128], r1[16], r2[16];
        uint64_t cv[8], rv[8];
        spec_step(&a, MODE_CACHE, k, cv);
        spec_step(&a, MODE_RECOMPUTE, k, rv);
        snprintf(r1, sizeof r1, "%.2f", (double)rv[6] / (double)cv[6]);
        snprintf(r2, sizeof r2, "%.2f", (double)cum[1][6] / (double)cum[0][6]);
        snprintf(want, sizeof want, "recompute \u00f7 cache: this step %s\u00d7, cumulative %s\u00d7", r1, r2);
        assert_non_null(strstr(d, want));
        release(d, &c);
    }
    /* at the end the cumulative column equals the closed-form run total */
    OpCounts tot[2];
    for (int m = 0; m < 2; m++) {
        assert_true(formulas_total(&a.run.model->cfg, (RunMode)m, a.L, a.G, &tot[m]));
        for (int i = 0; i < CAT_COUNT; i++) assert_int_equal(cum[m][i], tot[m].mac[i]);
        assert_int_equal(cum[m][6], counts_total(&tot[m]));
        assert_int_equal(cum[m][7], tot[m].masked);
    }
    app_free(&a);
}

/* "12.3k" or "4,224" or "9999" -> value, and half a unit of its last digit. */
static double parse_approx(const char *tok, double *tol)
{
    char digits[32] = "";
    size_t o = 0;
    int dec = -1;
    double mult = 1;
    for (const char *p = tok; *p && o < 30; p++) {
        if (*p == ',') continue;
        if (*p == '.') dec = 0;
        else if (*p >= '0' && *p <= '9') dec += dec >= 0;
        else if (*p == 'k') mult = 1e3;
        else if (*p == 'M') mult = 1e6;
        else if (*p == 'G') mult = 1e9;
        digits[o++] = *p;
    }
    *tol = 0.5 * pow(10, -(dec < 0 ? 0 : dec)) * mult;
    return atof(digits) * mult;
}

/* The compact table (58×7, the box at 80×24): columns = categories, one ✓
 * per row, every printed value the counter rounded as printed (×QKᵀ, the
 * last, only when it fits: the box drops it before rounding harder). */
static void test_compact_step_ends(void **state)
{
    (void)state;
    App a;
    app_abcd(&a, NULL);
    uint64_t cum[2][8] = {{0}};
    static const char *rows[4] = {"cache ", "recomp ", "cache \u03a3", "recomp \u03a3"};
    for (int k = 0; k < a.G; k++) {
        both_next_step(&a);
        Canvas c;
        char *d = draw_ops(&a, &c, 58, 7);
        const int nv = strstr(d, "\u00d7QK\u1d40") ? 8 : 7;
        uint64_t v[2][8];
        for (int m = 0; m < 2; m++) {
            spec_step(&a, (RunMode)m, k, v[m]);
            for (int i = 0; i < 8; i++) cum[m][i] += v[m][i];
        }
        for (int r = 0; r < 4; r++) {
            const char *line = dump_find_row(d, rows[r]);
            assert_non_null(line);
            const uint64_t *want = r < 2 ? v[r] : cum[r - 2];
            /* the values come after the row's mark (a Σ label has digits: "cache Σ0–2") */
            const char *p = strstr(line, "\u2713");
            assert_non_null(p);
            p += strlen("\u2713");
            for (int i = 0; i < nv; i++) {
                char tok[32];
                int used = 0;
                do {
                    assert_int_equal(sscanf(p, "%31s%n", tok, &used), 1);
                    p += used;
                } while (tok[0] < '0' || tok[0] > '9');
                double tol, got = parse_approx(tok, &tol);
                assert_true(fabs(got - (double)want[i]) <= tol + 1e-9);
            }
        }
        assert_int_equal(dump_count_cp(&c, CHECK), 4);
        assert_int_equal(dump_count_cp(&c, CROSS), 0);
        char want[96], want2[96];   /* the border note, short or long */
        snprintf(want, sizeof want, "step %.2f\u00d7, \u03a3 %.2f\u00d7", (double)v[1][6] / (double)v[0][6],
                 (double)cum[1][6] / (double)cum[0][6]);
        snprintf(want2, sizeof want2, "this step %.2f\u00d7, cumulative %.2f\u00d7", (double)v[1][6] / (double)v[0][6],
                 (double)cum[1][6] / (double)cum[0][6]);
        assert_true(strstr(d, want) || strstr(d, want2));
        release(d, &c);
    }
    app_free(&a);
}

/* Mid-step: values are the counters so far, predictions the whole step,
 * and no ✓ anywhere (nor ✗: nothing is wrong). */
static void test_mid_step_claims_nothing(void **state)
{
    (void)state;
    App a;
    app_abcd(&a, NULL);
    const int ops = a.run.eng[MODE_RECOMPUTE].ops_per_step;
    for (int k = 0; k < a.G; k++) {
        for (int j = 1; j < ops; j += 5) {
            engine_seek(&a.run.eng[MODE_CACHE], (long)k * a.run.eng[MODE_CACHE].ops_per_step + j);
            engine_seek(&a.run.eng[MODE_RECOMPUTE], (long)k * ops + j);
            static const int sizes[2][2] = {{99, 13}, {56, 7}};
            for (int s = 0; s < 2; s++) {
                Canvas c;
                char *d = draw_ops(&a, &c, sizes[s][0], sizes[s][1]);
                assert_int_equal(dump_count_cp(&c, CHECK), 0);
                assert_int_equal(dump_count_cp(&c, CROSS), 0);
                assert_true(dump_count_cp(&c, ELLIPSIS) > 0);
                if (s == 0) {   /* measured so far beside the full step's prediction */
                    const char *row = dump_find_row(d, "total");
                    uint64_t nums[16], fo[2][8];
                    double ratios[4];
                    int nr;
                    assert_non_null(row);
                    assert_int_equal(dump_row_numbers(row, 0, false, nums, 16, ratios, &nr), 8);
                    formula_vals(&a, MODE_CACHE, k, fo[0]);
                    formula_vals(&a, MODE_RECOMPUTE, k, fo[1]);
                    assert_int_equal(nums[0], counts_total(&a.run.eng[MODE_CACHE].step_counts));
                    assert_int_equal(nums[1], fo[0][6]);
                    assert_int_equal(nums[2], counts_total(&a.run.eng[MODE_RECOMPUTE].step_counts));
                    assert_int_equal(nums[3], fo[1][6]);
                    assert_non_null(strstr(d, "so far"));
                }
                release(d, &c);
            }
        }
    }
    /* before anything runs: nothing claimed either */
    engine_seek(&a.run.eng[MODE_CACHE], 0);
    engine_seek(&a.run.eng[MODE_RECOMPUTE], 0);
    Canvas c;
    char *d = draw_ops(&a, &c, 99, 13);
    assert_int_equal(dump_count_cp(&c, CHECK), 0);
    assert_int_equal(dump_count_cp(&c, CROSS), 0);
    release(d, &c);
    app_free(&a);
}

/* A counter that disagrees with its closed form cannot be missed. */
static void test_mismatch_is_marked(void **state)
{
    (void)state;
    App a;
    app_abcd(&a, NULL);
    both_next_step(&a);
    both_next_step(&a);
    a.run.eng[MODE_RECOMPUTE].done[1].mac[CAT_FFN] += 1;    /* a counting bug */
    a.run.eng[MODE_RECOMPUTE].cum.mac[CAT_FFN] += 1;
    for (int s = 0; s < 2; s++) {
        Canvas c;
        char *d = draw_ops(&a, &c, s ? 56 : 99, s ? 7 : 13);
        assert_true(dump_count_cp(&c, CROSS) >= (s ? 2 : 3));   /* step, Σ (and total) */
        if (!s) assert_non_null(strstr(d, "differ from the closed form"));
        release(d, &c);
    }
    app_free(&a);
}

static void test_train_view(void **state)
{
    (void)state;
    App a;
    app_abcd(&a, NULL);
    a.view = VIEW_TRAIN;
    engine_run_to_end(&a.run.eng[MODE_TRAIN]);
    Canvas c;
    char *d = draw_ops(&a, &c, 99, 13);
    uint64_t sp[8], nums[16];
    double ratios[4];
    int nr;
    OpCounts gen[2];
    spec_step(&a, MODE_TRAIN, 0, sp);
    assert_true(formulas_total(&a.run.model->cfg, MODE_CACHE, 1, a.L, &gen[0]));
    assert_true(formulas_total(&a.run.model->cfg, MODE_RECOMPUTE, 1, a.L, &gen[1]));
    for (int i = 0; i < 8; i++) {
        const char *row = dump_find_row(d, k_labels[i]);
        assert_non_null(row);
        assert_int_equal(dump_row_numbers(row, 0, false, nums, 16, ratios, &nr), 4);
        assert_int_equal(nums[0], sp[i]);
        assert_int_equal(nums[1], sp[i]);
        for (int m = 0; m < 2; m++)
            assert_int_equal(nums[2 + m], i < CAT_COUNT ? gen[m].mac[i]
                                          : i == 6 ? counts_total(&gen[m]) : gen[m].masked);
    }
    assert_int_equal(dump_count_cp(&c, CHECK), 8);
    assert_int_equal(dump_count_cp(&c, CROSS), 0);
    release(d, &c);
    d = draw_ops(&a, &c, 56, 7);
    assert_int_equal(dump_count_cp(&c, CHECK), 1);
    assert_non_null(strstr(d, "train"));
    release(d, &c);
    app_free(&a);
}

static void test_titles(void **state)
{
    (void)state;
    for (int zh = 0; zh < 2; zh++) {
        App a;
        app_abcd(&a, zh ? "zh" : "en");
        both_next_step(&a);
        for (int lg = 0; lg < 2; lg++) {
            a.log_scale = lg;
            Canvas c;
            assert_int_equal(canvas_init(&c, 160, 13), 0);
            panel_ops_draw(&a, NULL, &c, (Rect){0, 0, 99, 13});
            panel_chart_draw(&a, NULL, &c, (Rect){99, 0, 61, 13});
            char *d = canvas_dump(&c);
            assert_non_null(strstr(d, zh ? "运算" : "Operations (MACs)"));
            assert_non_null(strstr(d, zh ? "累计乘加" : "Cumulative MACs"));
            assert_int_equal(strstr(d, zh ? " (对数)" : " (log)") != NULL, lg);
            if (zh) assert_non_null(strstr(d, "重算÷缓存"));
            release(d, &c);
        }
        app_free(&a);
    }
}

/* The chart: measured glyphs for the steps run, hollow ones ahead, and the
 * bars' numbers are the cumulative counters. */
static void test_chart(void **state)
{
    (void)state;
    App a;
    app_abcd(&a, NULL);
    Canvas c;
    char *d = draw_chart(&a, &c, 70, 13), buf[32];
    assert_int_equal(dump_count_cp(&c, 0x25CF), 1);   /* ● the legend only: nothing measured yet */
    assert_int_equal(dump_count_cp(&c, 0x25B2), 1);   /* ▲ */
    assert_true(dump_count_cp(&c, 0x25CB) > 0);       /* ○ the prediction */
    assert_true(dump_count_cp(&c, 0x25B3) > 0);       /* △ */
    release(d, &c);
    both_next_step(&a);
    both_next_step(&a);
    d = draw_chart(&a, &c, 70, 13);
    assert_int_equal(dump_count_cp(&c, 0x25CF), 3);   /* legend + steps 0 and 1 */
    assert_int_equal(dump_count_cp(&c, 0x25B2), 2);   /* legend + step 1 (step 0 shared with ●) */
    assert_non_null(strstr(d, fmt_short(counts_total(&a.run.eng[MODE_RECOMPUTE].cum), buf)));
    assert_non_null(strstr(d, "step 1"));
    release(d, &c);
    /* tiny: two bars with the values and the ratio */
    d = draw_chart(&a, &c, 24, 7);
    assert_non_null(strstr(d, fmt_short(counts_total(&a.run.eng[MODE_CACHE].cum), buf)));
    snprintf(buf, sizeof buf, "%.2f\u00d7", (double)counts_total(&a.run.eng[MODE_RECOMPUTE].cum) /
                                             (double)counts_total(&a.run.eng[MODE_CACHE].cum));
    assert_non_null(strstr(d, buf));
    release(d, &c);
    app_free(&a);
}

/* Every rect, view and position: nothing drawn outside r, clip restored. */
/* Every "n=" of the group title is a true row count of the step shown: a
 * title too long for its columns is shortened or left out, never cut (it
 * read "recomp n=1" for n = 11 at 120x40 from READY through op 9). */
static void test_group_title_never_cut(void **state)
{
    (void)state;
    App a;
    char *argv[] = {"kvsim"};
    make_app(&a, 1, argv);
    Engine *e = &a.run.eng[MODE_CACHE];
    int seen = 0;
    for (long pos = 0; pos <= 2L * e->ops_per_step; pos++) {
        engine_seek(e, pos);
        app_sync(&a);
        const int k = pos == 0 ? 0 : (int)((pos - 1) / e->ops_per_step);
        const int nc = formulas_rows(MODE_CACHE, a.L, k), nr = formulas_rows(MODE_RECOMPUTE, a.L, k);
        static const int widths[] = {74, 66, 99};
        for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
            Canvas c;
            char *d = draw_ops(&a, &c, widths[w], 13);
            for (const char *p = d; (p = strstr(p, "n=")) != NULL; p += 2) {
                const int n = atoi(p + 2);
                if (n != nc && n != nr) fail_msg("pos %ld, width %d: 'n=%d' on screen, rows are %d and %d",
                                                 pos, widths[w], n, nc, nr);
                seen++;
            }
            release(d, &c);
        }
    }
    assert_true(seen > 0);
    app_free(&a);
}

/* Significant digits of a rounded token ("14.3k" 3, "14k" 2), or 0 when
 * the token is not a rounded number. */
static int rounded_digits(const char *tok)
{
    const size_t n = strlen(tok);
    if (n < 2 || !strchr("kMGT", tok[n - 1])) return 0;
    int d = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (tok[i] >= '0' && tok[i] <= '9') d++;
        else if (tok[i] != '.') return 0;
    }
    return d;
}

/* One number format per table: never "14k" (two digits) beside "61.0k"
 * (three), never an exact "1,024" beside a rounded "14.3k". */
static void test_one_number_format(void **state)
{
    (void)state;
    App a;
    char *argv[] = {"kvsim"};
    make_app(&a, 1, argv);
    for (int k = 0; k < 8; k++) {
        both_next_step(&a);
        for (int w = 52; w <= 66; w++) {
            Canvas c;
            char *d = draw_ops(&a, &c, w, 7);
            /* short: every rounded number has 3 significant digits (14.3k,
             * 131k); tiny: every one fits 4 columns (14k, 131k) */
            bool comma = false, rounded = false, all3 = true, all4 = true;
            for (const char *p = d; *p;) {
                while (*p == ' ' || *p == '\n') p++;
                const char *q = p;
                while (*q && *q != ' ' && *q != '\n') q++;
                char tok[64] = "";
                if (q - p < 63) memcpy(tok, p, (size_t)(q - p));
                const int rd = rounded_digits(tok);
                if (rd) {
                    rounded = true;
                    all3 &= rd == 3;
                    all4 &= strlen(tok) <= 4;
                }
                if (strchr(tok, ',') && tok[0] != ',' && strspn(tok, "0123456789,") == strlen(tok)) comma = true;
                p = q;
            }
            if (!all3 && !all4) fail_msg("width %d: two roundings in one table\n%s", w, d);
            if (comma && rounded) fail_msg("width %d: exact and rounded numbers in one table\n%s", w, d);
            release(d, &c);
        }
    }
    app_free(&a);
}

/* Style of the cells of the line starting with label: how many are role. */
static int styled_in_row(const Canvas *c, const char *dump, const char *label, int role)
{
    int y = 0;
    for (const char *p = dump; *p; y++) {
        if (strncmp(p, "\u2502", 3) == 0 && strncmp(p + 3, label, strlen(label)) == 0) {
            int n = 0;
            for (int x = 0; x < c->w; x++) n += canvas_at(c, x, y)->style == role;
            return n;
        }
        const char *nl = strchr(p, '\n');
        if (!nl) break;
        p = nl + 1;
    }
    fail_msg("no row '%s'", label);
    return -1;
}

/* What the operation shown added to stands out: after the FFN of layer 0
 * the FFN and total counters are STYLE_CHANGED, the others are not. */
static void test_moved_counters_highlighted(void **state)
{
    (void)state;
    App a;
    app_abcd(&a, NULL);
    Engine *e = &a.run.eng[MODE_CACHE];
    engine_seek(e, e->ops_per_step);   /* step 1 ... */
    for (;;) {                         /* ... to just after its FFN of layer 0 */
        assert_true(engine_next_op(e));
        const OpRef r = engine_current_op(e);
        if (r.kind == OP_FFN && r.layer == 0) break;
    }
    app_sync(&a);
    Canvas c;
    char *d = draw_ops(&a, &c, 99, 13);
    assert_true(styled_in_row(&c, d, "FFN", STYLE_CHANGED) > 0);
    assert_true(styled_in_row(&c, d, "total", STYLE_CHANGED) > 0);
    assert_int_equal(styled_in_row(&c, d, "qkv", STYLE_CHANGED), 0);
    assert_int_equal(styled_in_row(&c, d, "lm head", STYLE_CHANGED), 0);
    release(d, &c);
    engine_next_op(e);   /* LN2 of layer 1... no: LN1 of layer 1 counts nothing */
    app_sync(&a);
    d = draw_ops(&a, &c, 99, 13);
    for (int i = 0; i < c.w * c.h; i++) assert_int_not_equal(c.cells[i].style, STYLE_CHANGED);
    release(d, &c);
    app_free(&a);
}

static void test_stays_inside(void **state)
{
    (void)state;
    static const Rect rects[] = {{0, 0, 0, 0}, {3, 2, 1, 1}, {5, 5, 3, 3}, {1, 1, 2, 9},
                                 {2, 3, 24, 7}, {4, 1, 56, 7}, {0, 0, 99, 13}, {6, 4, 200, 60},
                                 {-5, -3, 40, 10}, {190, 60, 40, 12}, {10, 10, 17, 4}};
    char *argv[] = {"kvsim", "--prompt", "the cat sat", "--gen", "9", "--ascii"};
    for (int variant = 0; variant < 4; variant++) {
        App a;
        if (variant == 1) {
            app_abcd(&a, "zh");
        } else {
            make_app(&a, variant == 3 ? 6 : 5, argv);
        }
        a.log_scale = variant & 1;
        for (int pos = 0; pos < 4; pos++) {
            a.view = pos == 3 ? VIEW_TRAIN : VIEW_CACHE;
            for (int m = 0; m < MODE_COUNT; m++)
                engine_seek(&a.run.eng[m], pos * 7L * (a.run.eng[m].ops_per_step / 3 + 1));
            for (size_t i = 0; i < sizeof rects / sizeof rects[0]; i++)
                for (int which = 0; which < 2; which++) {
                    Canvas c;
                    const Rect r = rects[i];
                    assert_int_equal(canvas_init(&c, 220, 72), 0);
                    /* the sentinel goes in before ASCII mode, which would store it as '?' */
                    canvas_fill(&c, (Rect){0, 0, 220, 72}, SENTINEL, 0);
                    canvas_set_ascii(&c, variant == 3);
                    const Rect clip = canvas_set_clip(&c, (Rect){0, 0, 220, 72});
                    if (which) panel_chart_draw(&a, NULL, &c, r);
                    else panel_ops_draw(&a, NULL, &c, r);
                    assert_memory_equal(&c.clip, &clip, sizeof clip);
                    int inside = 0;
                    for (int y = 0; y < c.h; y++)
                        for (int x = 0; x < c.w; x++) {
                            bool in = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
                            if (!in) assert_int_equal(canvas_at(&c, x, y)->cp, SENTINEL);
                            else inside += canvas_at(&c, x, y)->cp != SENTINEL;
                        }
                    if (r.w >= 2 && r.h >= 2 && r.x >= 0 && r.y >= 0 && r.x + r.w <= 220 &&
                        r.y + r.h <= 72)
                        assert_true(inside >= 2 * (r.w + r.h) - 4);   /* at least the box */
                    canvas_free(&c);
                }
        }
        app_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tall_step_ends),
        cmocka_unit_test(test_compact_step_ends),
        cmocka_unit_test(test_mid_step_claims_nothing),
        cmocka_unit_test(test_mismatch_is_marked),
        cmocka_unit_test(test_train_view),
        cmocka_unit_test(test_titles),
        cmocka_unit_test(test_chart),
        cmocka_unit_test(test_group_title_never_cut),
        cmocka_unit_test(test_one_number_format),
        cmocka_unit_test(test_moved_counters_highlighted),
        cmocka_unit_test(test_stays_inside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
