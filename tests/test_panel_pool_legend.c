/* test_panel_pool_legend: the KV blocks panel (ui/panels/pool*.c) says in
 * its legend exactly what it draws, at every size. Each entry has its mark
 * on screen (the converse of tests/test_panel_legend.c: at 80x24 the
 * border once explained "A3", "+" and "··" over a box that drew no grid),
 * each mark drawn from 78 columns has its entry, and every column header
 * has a cell under it (the header once named L0 L1 L2 over the totals
 * alone). A table's given-back entry "·" under a window is named, and the
 * table's Ln entry stays (on a line of its own when the border has no
 * room). One sequence's row is drawn whenever it fits. */
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

/* The KV blocks legend of a dump: its bottom border, then the table's key
 * line when the border had no room for the table's entries (an inner line
 * that starts with "table:" or "Ln"). Caller frees. */
static char *pool_legend(const char *dump)
{
    /* the last line (ASCII boxes have no "└") */
    const char *end = dump + strlen(dump);
    while (end > dump && end[-1] == '\n') end--;
    const char *border = end;
    while (border > dump && border[-1] != '\n') border--;
    const char *key = NULL;
    for (const char *l = dump; l && l < border && !key; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        const char *t = !strncmp(l, "\u2502", strlen("\u2502")) ? l + strlen("\u2502") : l + 1;
        if (!strncmp(t, "table:", strlen("table:")) || !strncmp(t, "Ln ", strlen("Ln "))) key = l;
    }
    const size_t kn = key ? strcspn(key, "\n") : 0, bn = (size_t)(end - border);
    char *r = malloc(kn + bn + 2);
    assert_non_null(r);
    snprintf(r, kn + bn + 2, "%.*s%s%.*s", (int)kn, key ? key : "", key ? "\n" : "", (int)bn, border);
    return r;
}

/* ---- the KV blocks panel: the converse (no entry without its mark) ------- */

static int32_t cp_at(const Canvas *c, int x, int y)
{
    return canvas_at(c, x, y)->cp;
}

/* Whether inner line y (from column 1) starts with the UTF-8 text t. */
static bool starts(const Canvas *c, int y, const char *t)
{
    char *l = strdup(fx_line(c, y));
    const size_t skip = strncmp(l, "\u2502", strlen("\u2502")) ? 1 : strlen("\u2502");
    const bool r = strlen(l) >= skip && !strncmp(l + skip, t, strlen(t));
    free(l);
    return r;
}

/* A row of the grid: its label (digits, right-aligned after spaces), a
 * space, then a cell: an owner letter or a free block's first dot. */
static bool grid_row(const Canvas *c, int y)
{
    int x = 1;
    while (x < c->w - 1 && cp_at(c, x, y) == ' ') x++;
    const int d0 = x;
    while (x < c->w - 1 && cp_at(c, x, y) >= '0' && cp_at(c, x, y) <= '9') x++;
    if (x == d0 || x + 1 >= c->w - 1 || cp_at(c, x, y) != ' ') return false;
    const int32_t k = cp_at(c, x + 1, y);
    return (k >= 'A' && k <= 'Z') || k == 0xb7 || k == '.';
}

/* A sequence's row of the table: its letter, then a space. */
static bool seq_row(const Canvas *c, int y)
{
    return cp_at(c, 1, y) >= 'A' && cp_at(c, 1, y) <= 'Z' && cp_at(c, 2, y) == ' ';
}

typedef struct {
    bool owned, plus, free_, shared, tab, holes;
} PoolMarks;

/* The marks in the box's inner lines: the grid's cells, the table's Ln
 * columns and its "·" entries (the rows right under the header). */
static PoolMarks pool_marks_drawn(const Canvas *c)
{
    PoolMarks m = {0};
    for (int y = 1; y < c->h - 1; y++) {
        if (grid_row(c, y))
            for (int x = 1; x < c->w - 1; x++) {
                const int32_t k = cp_at(c, x, y), n = x + 1 < c->w - 1 ? cp_at(c, x + 1, y) : ' ';
                const int32_t n2 = x + 2 < c->w - 1 ? cp_at(c, x + 2, y) : ' ';
                if (k >= 'A' && k <= 'Z' && n >= '0' && n <= '9') {
                    m.owned = true;
                    /* the count after the fill: a superscript, or an ASCII digit or '*' */
                    m.shared |= n2 == 0xb9 || n2 == 0xb2 || n2 == 0xb3 || (n2 >= 0x2070 && n2 <= 0x2079) ||
                                (c->ascii && ((n2 >= '0' && n2 <= '9') || n2 == '*'));
                }
                m.plus |= k == '+';
                m.free_ |= (k == 0xb7 && n == 0xb7) || (c->ascii && k == '.' && n == '.');
            }
        if (starts(c, y, "seq ")) {
            m.tab |= strstr(fx_line(c, y), " L0") != NULL;
            for (int r = y + 1; r < c->h - 1 && seq_row(c, r); r++)
                for (int x = 3; x < c->w - 1; x++) m.holes |= cp_at(c, x, r) == (c->ascii ? '.' : 0xb7);
        }
    }
    return m;
}

/* Every column header of the table has a cell under it: for each word of
 * the "seq" line, a row under it (a sequence's or the totals) has a mark
 * in the word's columns. */
static void check_pool_header(const Canvas *c, const char *what)
{
    for (int y = 1; y < c->h - 1; y++) {
        if (!starts(c, y, "seq ")) continue;
        int last = y;
        while (last + 1 < c->h - 1 && (seq_row(c, last + 1) || cp_at(c, 1, last + 1) == 0x3a3 || starts(c, last + 1, "S all"))) last++;
        for (int x = 1; x < c->w - 1; x++) {
            if (cp_at(c, x, y) == ' ' || cp_at(c, x, y) == 0x2502) continue;
            int end = x;
            while (end + 1 < c->w - 1 && cp_at(c, end + 1, y) != ' ') end++;
            bool under = false;
            for (int r = y + 1; r <= last && !under; r++)
                for (int i = x; i <= end && !under; i++) under = cp_at(c, i, r) != ' ';
            if (!under) {
                char *d = canvas_dump(c);
                fail_msg("%s, %dx%d: column header at x=%d has no cell under it\n%s", what, c->w, c->h, x, d);
            }
            x = end;
        }
    }
}

/* The KV blocks panel under a window: a block given back shows as "·" in
 * its sequence's table, and the legend says so at every width from 78
 * columns (it once said only "·· free", a free block of the grid); the
 * table's Ln entry stays too, also at 80 columns with shared blocks and
 * holes, where it once gave way (the border's words then had no room). */
static void test_pool_holes_explained(void **state)
{
    (void)state;
    App *runs[2] = {
        FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--window", "6", "--prompt", "abcdefgh", "--prompt", "abcdxy"),
        FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--window", "8", "--prefix-cache", "--prompt",
               "thecatsaton,", "--prompt", "thecatsaton,thedog", "--prompt", "thecatran"),
    };
    for (int i = 0; i < 2; i++) {
        App *a = runs[i];
        int ever = 0;
        for (int k = 0; k < 3; k++) {
            fx_seek_op(a, k, OP_APPEND, -1);
            static const int widths[] = {64, 78, 80, 139, 200};
            for (unsigned wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
                const int w = widths[wi];
                Canvas c;
                fx_draw(panel_pool_draw, a, &c, w, 14);
                char *d = canvas_dump(&c);
                char *leg = pool_legend(d);
                /* a hole the table draws (a cut table's last column shows "…" instead) */
                const bool holes = pool_marks_drawn(&c).holes;
                const bool said = strstr(leg, "left the window") || strstr(leg, "left window");
                if (!strstr(leg, "Ln \u2192")) fail_msg("run %d step %d width %d: no Ln entry\n%s", i, k, w, d);
                if (said != holes) fail_msg("run %d step %d width %d: holes drawn %d, legend %s\n%s", i, k, w, holes, leg, d);
                ever += holes;
                free(leg);
                free(d);
                canvas_free(&c);
            }
        }
        assert_true(ever > 0);
        fx_app_del(a);
    }
}

/* One KV blocks box: each legend entry has its mark on screen, and (from
 * 78 columns, where the border has room for a wording) each mark its
 * entry; every column header has a cell under it. */
static void check_pool_box(const App *a, int w, int h, const char *what)
{
    Canvas c;
    fx_draw(panel_pool_draw, a, &c, w, h);
    char *d = canvas_dump(&c), *leg = pool_legend(d);
    const PoolMarks m = pool_marks_drawn(&c);
    const struct {
        const char *name;
        bool drawn, said;
    } e[] = {
        {"owner cell (A3 = seq A)", m.owned, strstr(leg, "= seq A") || strstr(leg, "seq A,")},
        {"+ (taken this step)", m.plus, strstr(leg, "+ taken") || strstr(leg, "+ new")},
        {"free block", m.free_, strstr(leg, " free") != NULL},
        {"shared count", m.shared, strstr(leg, "shared by") || strstr(leg, " share ")},
        {"Ln columns", m.tab, strstr(leg, "Ln \u2192") || strstr(leg, "Ln >")},
        {"table hole", m.holes, strstr(leg, "left the window") || strstr(leg, "left window")},
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
        if (e[i].said && !e[i].drawn)
            fail_msg("%s, step %d op %d, %dx%d: the legend explains the %s, none is drawn\n%s", what,
                     run_step_of(app_engine(a), app_engine(a)->pos), run_op_index(app_engine(a), app_engine(a)->pos), w,
                     h, e[i].name, d);
        if (w >= 78 && e[i].drawn && !e[i].said)
            fail_msg("%s, %dx%d: the %s drawn, no legend entry\n%s", what, w, h, e[i].name, d);
    }
    check_pool_header(&c, what);
    free(leg);
    free(d);
    canvas_free(&c);
}

/* The start, each step's first operation (nothing taken yet) and its
 * append, at the box sizes of 80x24 (80x5), 100x30, 120x40 and around. */
static void check_pool_run(const char *what, App *a)
{
    static const int ws[] = {40, 60, 78, 80, 98, 100, 118, 120};
    const Engine *e = app_engine(a);
    for (int k = 0; k < 3 && k < e->n_steps; k++)
        for (int at = 0; at < 2; at++) {
            if (at == 0) run_seek(&a->run, MODE_CACHE, run_step_start(e, k));
            else fx_seek_op(a, k, OP_APPEND, -1);
            for (size_t wi = 0; wi < sizeof ws / sizeof ws[0]; wi++)
                for (int h = 2; h <= 16; h++) check_pool_box(a, ws[wi], h, what);
        }
    fx_app_del(a);
}

static void test_pool_legend_only_what_is_drawn(void **state)
{
    (void)state;
    check_pool_run("one sequence", FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--prompt", "the cat sat",
                                          "--gen", "4"));
    check_pool_run("three", FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--prompt", "ab", "--prompt", "cde",
                                   "--prompt", "f", "--gen", "4"));
    check_pool_run("three ascii", FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--prompt", "ab", "--prompt",
                                         "cde", "--prompt", "f", "--gen", "4", "--ascii"));
    check_pool_run("prefix", FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--prefix-cache", "--prompt",
                                    "thecatsaton,", "--prompt", "thecatsaton,thedog", "--prompt", "thecatran", "--gen", "4"));
    check_pool_run("prefix window", FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--window", "8",
                                           "--prefix-cache", "--prompt", "thecatsaton,", "--prompt",
                                           "thecatsaton,thedog", "--prompt", "thecatran"));
    check_pool_run("chunk", FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--chunk", "8", "--prompt",
                                   "the cat sat on the mat", "--prompt", "hi", "--gen", "4"));
}

/* One sequence: its row (the letter, the prompt, the bytes it holds) is
 * drawn whenever the box has a line for it under the header, paging on or
 * off; at 80x24 (a 78x3 box) the panel once left that line blank, or (paged)
 * showed only the totals under an empty L0 L1 L2. */
static void test_pool_one_sequence_row(void **state)
{
    (void)state;
    App *runs[2] = {
        FX_APP("kvsim", "--mode", "memory", "--prompt", "the cat sat", "--gen", "4"),
        FX_APP("kvsim", "--mode", "memory", "--block-size", "4", "--prompt", "the cat sat", "--gen", "4"),
    };
    for (int i = 0; i < 2; i++) {
        App *a = runs[i];
        run_seek(&a->run, MODE_CACHE, run_step_start(app_engine(a), 1));
        char used[32];
        fmt_count(engine_kv_bytes(app_seq_engine(a, 0)), used);
        static const int ws[] = {80, 100, 120};
        for (size_t wi = 0; wi < sizeof ws / sizeof ws[0]; wi++)
            for (int h = 5; h <= 16; h++) {
                Canvas c;
                fx_draw(panel_pool_draw, a, &c, ws[wi], h);
                bool row = false;
                for (int y = 2; y < h - 1; y++)
                    row |= starts(&c, y, "A \"") && strstr(fx_line(&c, y), used) && starts(&c, y - 1, "seq ");
                if (!row) {
                    char *d = canvas_dump(&c);
                    fail_msg("%s, %dx%d: no row for sequence A (%s B) under the header\n%s",
                             i ? "paged" : "paging off", ws[wi], h, used, d);
                }
                canvas_free(&c);
            }
        fx_app_del(a);
    }
}

/* Slot by slot (a tall box): a block given back under a window is drawn
 * "-:···", and the line above the slots says so only when one is drawn
 * (it once named only █ and ░). */
static void test_pool_slots_given_back(void **state)
{
    (void)state;
    App *a = FX_APP("kvsim", "--d-model", "8", "--mode", "memory", "--block-size", "3", "--window", "5", "--gen", "6",
                    "--prompt", "hello world", "--prompt", "cde");
    int drawn = 0;
    for (int k = 0; k < 5; k++) {
        run_seek(&a->run, MODE_CACHE, run_step_start(app_engine(a), k + 1));
        static const int ws[] = {60, 90, 120};
        for (size_t wi = 0; wi < sizeof ws / sizeof ws[0]; wi++) {
            Canvas c;
            fx_draw(panel_pool_draw, a, &c, ws[wi], 30);
            char *d = canvas_dump(&c);
            const bool back = strstr(d, " -:\u00b7") != NULL, said = strstr(d, "-:\u00b7\u00b7\u00b7 given back") != NULL;
            if (back != said) fail_msg("step %d, %dx30: given-back slots drawn %d, named %d\n%s", k, ws[wi], back, said, d);
            drawn += back;
            free(d);
            canvas_free(&c);
        }
    }
    assert_true(drawn > 0);
    fx_app_del(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_holes_explained),
        cmocka_unit_test(test_pool_legend_only_what_is_drawn),
        cmocka_unit_test(test_pool_one_sequence_row),
        cmocka_unit_test(test_pool_slots_given_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
