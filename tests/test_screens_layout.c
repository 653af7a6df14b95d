/* test_screens_layout: what every screen keeps, without golden files:
 * every size from too small to large, every view and operation renders
 * within the canvas (ASan watches); the panel list; --ascii draws ASCII
 * only; the lesson pane scrolls without moving its title and says when a
 * named panel is not on screen; no box at 200x60 is mostly empty; a
 * short prompt's layout stays still within a step. Run from the
 * repository root; helpers in tests/screen_fixture.h. */
#include "screen_fixture.h"

#include "ui/layout.h"
#include "ui/lesson_play.h"
#include "ui/panels/panels.h"


/* Every size from the minimum to large, every view, every operation:
 * rendering never fails and keeps within the canvas (ASan watches). */
static void test_all_sizes_and_ops(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {81, 25}, {99, 31}, {132, 43}, {200, 60}, {300, 90}, {79, 23}, {20, 8}};
    char err[256];
    App a;
    assert_int_equal(build_app(&a, "--prompt 我是一个学生 --gen 5", err), 0);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        Canvas c;
        assert_int_equal(canvas_init(&c, sizes[s][0], sizes[s][1]), 0);
        for (int v = 0; v < VIEW_COUNT; v++) {
            a.view = (View)v;
            app_handle_key(&a, 'g');
            do {
                app_render(&a, &c);
            } while (app_handle_key(&a, 'n') && a.run.eng[MODE_CACHE].pos < engine_total_ops(&a.run.eng[MODE_CACHE]) &&
                     app_engine(&a)->pos < engine_total_ops(app_engine(&a)));
        }
        canvas_free(&c);
    }
    app_free(&a);
    /* the memory view of a batch sharing a pool under a window, and of 16
     * sequences in blocks of one position */
    static const char *const batches[] = {
        "--mode memory --block-size 2 --window 3 --prompt 我是 --prompt abc --prompt d --gen 5",
        "--mode memory --block-size 1 --gen 3 --prompt a --prompt b --prompt c --prompt d --prompt e --prompt f "
        "--prompt g --prompt h --prompt i --prompt j --prompt k --prompt l --prompt m --prompt n --prompt o --prompt p",
    };
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        assert_int_equal(build_app(&a, batches[b], err), 0);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            Canvas c;
            assert_int_equal(canvas_init(&c, sizes[s][0], sizes[s][1]), 0);
            for (int ascii = 0; ascii < 2; ascii++) {
                a.opt.ascii = ascii;
                app_handle_key(&a, 'g');
                do {
                    app_render(&a, &c);
                } while (app_handle_key(&a, 'n') && a.run.eng[MODE_CACHE].pos < engine_total_ops(&a.run.eng[MODE_CACHE]));
                app_render(&a, &c);
            }
            canvas_free(&c);
        }
        app_free(&a);
    }
}

/* The panel list: every lesson point highlights exactly one panel, and
 * every panel's rect is a Rect of the Layout. */
static void test_panel_list(void **state)
{
    (void)state;
    for (int p = POINT_NONE + 1; p < POINT_COUNT; p++) {
        int n = 0;
        for (int i = 0; i < panel_count; i++) n += panel_list[i].point == p;
        assert_int_equal(n, 1);
    }
    for (int i = 0; i < panel_count; i++) {
        assert_non_null(panel_list[i].draw);
        assert_true(panel_list[i].rect % sizeof(int) == 0 && panel_list[i].rect + sizeof(Rect) <= sizeof(Layout));
    }
}

/* Fails with the first non-ASCII byte of the canvas's dump. */
static void assert_ascii_only(const Canvas *c, const char *what, int view, long pos)
{
    char *text = canvas_dump(c);
    assert_non_null(text);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p >= 0x80) {
            size_t at = (size_t)((const char *)p - text);
            fail_msg("%s, view %d, op %ld: byte 0x%02x at %zu: ...%.40s", what, view, pos, *p, at,
                     text + (at > 20 ? at - 20 : 0));
        }
    free(text);
}

/* --ascii draws ASCII only: every view, every operation, both languages
 * (Chinese falls back to English and says so), a Chinese prompt, the help
 * and the prompt editor, paged batches, and a lesson in each language. */
static void test_ascii_only(void **state)
{
    (void)state;
    static const char *const runs[] = {
        "--ascii --prompt hello --gen 4",
        "--ascii --lang zh --prompt hello --gen 4",
        "--ascii --prompt 我是一个学生 --gen 3 --kv-heads 1 --window 3",
        "--ascii --lang zh --mode memory --block-size 2 --window 3 --prompt 我是 --prompt abc --gen 3",
    };
    static const int sizes[][2] = {{80, 24}, {132, 43}, {200, 60}};
    char err[256];
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        App a;
        assert_int_equal(build_app(&a, runs[r], err), 0);
        if (a.opt.lang_zh) assert_non_null(strstr(a.message, "Chinese needs a UTF-8 terminal"));
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            Canvas c;
            assert_int_equal(canvas_init(&c, sizes[s][0], sizes[s][1]), 0);
            for (int v = 0; v < VIEW_COUNT; v++) {
                a.view = (View)v;
                app_handle_key(&a, 'g');
                for (;;) {
                    app_render(&a, &c);
                    assert_ascii_only(&c, runs[r], v, app_engine(&a)->pos);
                    if (app_engine(&a)->pos >= engine_total_ops(app_engine(&a))) break;
                    app_handle_key(&a, 'n');
                }
            }
            app_handle_key(&a, '?');                 /* the help overlay */
            app_render(&a, &c);
            assert_ascii_only(&c, "help", -1, 0);
            app_handle_key(&a, TERM_KEY_ESC);
            app_handle_key(&a, 'e');                 /* the prompt editor and its cursor */
            app_render(&a, &c);
            assert_ascii_only(&c, "edit", -1, 0);
            app_handle_key(&a, TERM_KEY_ESC);
            canvas_free(&c);
        }
        app_free(&a);
    }
    /* a lesson, English and Chinese, every slide */
    static const char *const lessons[] = {"lessons/en/06-decode-step.lesson", "lessons/zh/06-decode-step.lesson"};
    for (size_t i = 0; i < sizeof lessons / sizeof lessons[0]; i++) {
        App a;
        assert_int_equal(build_lesson_app(&a, "--ascii", err), 0);
        Lesson *l = calloc(1, sizeof *l);
        assert_non_null(l);
        assert_int_equal(lesson_load(lessons[i], l, err, sizeof err), 0);
        assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
        Canvas c;
        assert_int_equal(canvas_init(&c, 120, 40), 0);
        a.screen_w = c.w;
        a.screen_h = c.h;
        for (int slide = 0; slide < l->n_slides; slide++) {
            app_lesson_goto(&a, slide);
            app_render(&a, &c);
            assert_ascii_only(&c, lessons[i], -1, slide);
            if (i == 1) {
                char *text = canvas_dump(&c);
                assert_non_null(strstr(text, "needs a UTF-8 terminal"));
                free(text);
            }
        }
        canvas_free(&c);
        app_free(&a);
    }
}

/* Line `row` of a canvas dump into out ("" past the end). */
static const char *dump_line(const char *dump, int row, char *out, size_t len)
{
    for (int i = 0; i < row && dump; i++) {
        dump = strchr(dump, '\n');
        if (dump) dump++;
    }
    out[0] = '\0';
    if (!dump) return out;
    const char *end = strchr(dump, '\n');
    size_t n = end ? (size_t)(end - dump) : strlen(dump);
    if (n >= len) n = len - 1;
    memcpy(out, dump, n);
    out[n] = '\0';
    return out;
}

/* The row of the lesson pane's top border (it names the slide), copied
 * into out; -1 if none. */
static int slide_title_row(const char *dump, const App *a, int slide, char *out, size_t len)
{
    char want[64];
    (void)slide;
    snprintf(want, sizeof want, TR(a, "\u2500 Lesson %d", "\u2500 \u7b2c %d \u8bfe"), a->play->lesson->number);
    for (int row = 0; *dump_line(dump, row, out, len) || row == 0; row++)
        if (strstr(out, want)) return row;
    return -1;
}

/* Every shipped lesson, every slide, at 80x24, 100x30 and 120x40: the
 * title row never changes while the narration scrolls (no marker drawn
 * over the slide's title), and the pane shows "↓ PgDn" exactly when PgDn has more narration to show (it
 * then scrolls and stays on the slide), else PgDn turns the page. */
static void test_lesson_scroll(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {100, 30}, {120, 40}};
    static char paths[64][256];
    const int np = shipped_lesson_paths(paths, 64);
    int checked = 0;
    for (int i = 0; i < np; i++) {
        const char *path = paths[i];
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            App a;
            start_shipped_lesson(&a, path);
            Canvas c;
            assert_int_equal(canvas_init(&c, sizes[z][0], sizes[z][1]), 0);
            a.screen_w = c.w;
            a.screen_h = c.h;
            for (int slide = 0; slide < a.play->lesson->n_slides; slide++) {
                app_lesson_goto(&a, slide);
                char title[512] = "";   /* the pane's top border, unscrolled */
                int title_row = -1;
                for (int page = 0; page < 20; page++) {   /* scroll to the end of the slide */
                    app_render(&a, &c);
                    char *before = canvas_dump(&c);
                    const bool marker = strstr(before, "\u2193 PgDn ") != NULL;
                    if (page == 0) title_row = slide_title_row(before, &a, slide, title, sizeof title);
                    app_handle_key(&a, TERM_KEY_PGDN);
                    app_render(&a, &c);
                    char *after = canvas_dump(&c);
                    const bool same_slide = a.play->slide == slide;
                    checked++;
                    if (title_row < 0) fail_msg("%s slide %d at %dx%d: no title row", path, slide + 1, c.w, c.h);
                    char now[512];
                    if (same_slide && strcmp(dump_line(after, title_row, now, sizeof now), title))
                        fail_msg("%s slide %d at %dx%d: scrolling changed the title row:\n%s\n%s", path,
                                 slide + 1, c.w, c.h, title, now);
                    if (marker && (!same_slide || !strcmp(before, after)))
                        fail_msg("%s slide %d at %dx%d: '\u2193 PgDn' shown but PgDn did not scroll", path,
                                 slide + 1, c.w, c.h);
                    if (!marker && same_slide && slide + 1 < a.play->lesson->n_slides)
                        fail_msg("%s slide %d at %dx%d: no '\u2193 PgDn' yet PgDn stayed on the slide", path,
                                 slide + 1, c.w, c.h);
                    free(before);
                    free(after);
                    if (!marker) break;
                }
            }
            canvas_free(&c);
            app_free(&a);
        }
    }
    assert_true(checked > 100);
}

/* A slide whose narration names a panel the screen does not show says so,
 * with the size that shows it: lesson 4 names the Operations panel at
 * 100x30, where the lesson pane leaves room for the middle row only. */
static void test_lesson_unseen_panel(void **state)
{
    (void)state;
    char err[256], note[400];
    App a;
    assert_int_equal(build_lesson_app(&a, "", err), 0);
    Lesson *l = calloc(1, sizeof *l);
    assert_non_null(l);
    assert_int_equal(lesson_load("lessons/en/04-no-cache.lesson", l, err, sizeof err), 0);
    assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
    a.screen_w = 100;
    a.screen_h = 30;
    assert_non_null(strstr(lesson_play_unseen_note(&a, note, sizeof note), "Not on screen at 100x30: Operations."));
    a.screen_w = 160;   /* the lesson beside every panel */
    a.screen_h = 48;
    assert_string_equal(lesson_play_unseen_note(&a, note, sizeof note), "");
    app_free(&a);
}

/* Audit 2, finding 2: the note names only panels a larger window shows.
 * At 150x40 and more every panel of the slide's view is beside the
 * lesson, so no shipped slide (en, zh) has a note there; lesson 10
 * slide 3 (cache view) names the memory view's Memory traffic panel,
 * which no size of that view shows: no note at 120x40 either. */
static void test_lesson_unseen_only_when_a_size_shows_it(void **state)
{
    (void)state;
    static const int sizes[][2] = {{150, 40}, {160, 48}, {200, 60}};
    static char paths[64][256];
    const int np = shipped_lesson_paths(paths, 64);
    char note[400];
    int checked = 0;
    for (int i = 0; i < np; i++) {
        const char *path = paths[i];
        App a;
        start_shipped_lesson(&a, path);
        for (int slide = 0; slide < a.play->lesson->n_slides; slide++) {
            app_lesson_goto(&a, slide);
            for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++, checked++) {
                a.screen_w = sizes[z][0];
                a.screen_h = sizes[z][1];
                if (*lesson_play_unseen_note(&a, note, sizeof note))
                    fail_msg("%s slide %d at %dx%d: %s", path, slide + 1, a.screen_w, a.screen_h, note);
            }
            if (a.play->lesson->number == 10 && slide == 2) {
                a.screen_w = 120;
                a.screen_h = 40;
                assert_string_equal(lesson_play_unseen_note(&a, note, sizeof note), "");
            }
        }
        app_free(&a);
    }
    assert_true(checked > 100);
}

/* Audit 2, finding 12: no text cut mid-word. After a wrong answer to
 * lesson 3's choice question the whole feedback is on screen at every
 * size (it once lost its end, or all of it at 80x24, to the options);
 * before an answer the options keep their room. The Operations panel's
 * status line beside a lesson (lesson 1 at 160x48) is whole or absent. */
/* The dump's text with the box edges gone and every run of white space
 * one space (zh: none), so wrapped text reads as one line (caller frees). */
static char *flat_text(const char *dump, bool zh)
{
    char *out = malloc(strlen(dump) + 1), *o = out;
    assert_non_null(out);
    bool space = false;
    for (const char *p = dump; *p;) {
        if (!strncmp(p, "\u2502", 3)) {   /* a box edge is white space here */
            p += 3;
            space = true;
        } else if (*p == ' ' || *p == '\n') {
            p++;
            space = true;
        } else {
            if (space && !zh && o > out) *o++ = ' ';
            space = false;
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static void test_lesson_text_not_cut(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {100, 30}, {120, 40}, {160, 48}};
    char err[256];
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        for (int zh = 0; zh < 2; zh++) {
            App a;
            assert_int_equal(build_lesson_app(&a, zh ? "--lang zh" : "", err), 0);
            Lesson *l = calloc(1, sizeof *l);
            assert_non_null(l);
            assert_int_equal(lesson_load(zh ? "lessons/zh/03-training-vs-inference.lesson"
                                            : "lessons/en/03-training-vs-inference.lesson", l, err, sizeof err), 0);
            assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
            Canvas c;
            assert_int_equal(canvas_init(&c, sizes[z][0], sizes[z][1]), 0);
            a.screen_w = c.w;
            a.screen_h = c.h;
            app_handle_key(&a, '.');
            app_render(&a, &c);
            char *dump = canvas_dump(&c);
            if (!strstr(dump, zh ? "c) " : "c) Yes, but only in the last layer."))
                fail_msg("%dx%d: option c not shown:\n%s", c.w, c.h, dump);
            free(dump);
            app_handle_key(&a, 'a');
            app_handle_key(&a, 'a');
            app_handle_key(&a, TERM_KEY_ENTER);
            app_render(&a, &c);
            dump = canvas_dump(&c);
            char *flat = flat_text(dump, zh);
            if (!strstr(flat, zh ? "\u2717a不对" : "\u2717 a is not it") ||
                !strstr(flat, zh ? "（按a再试一次）" : "(press a to try again)"))
                fail_msg("%dx%d: feedback not whole:\n%s", c.w, c.h, dump);
            free(flat);
            free(dump);
            canvas_free(&c);
            app_free(&a);
        }
    }
    /* the Operations status line at a running step, beside lesson 1 */
    for (int zh = 0; zh < 2; zh++) {
        App a;
        assert_int_equal(build_lesson_app(&a, zh ? "--lang zh" : "", err), 0);
        Lesson *l = calloc(1, sizeof *l);
        assert_non_null(l);
        assert_int_equal(lesson_load(zh ? "lessons/zh/01-anatomy.lesson" : "lessons/en/01-anatomy.lesson", l, err,
                                     sizeof err), 0);
        assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
        Canvas c;
        assert_int_equal(canvas_init(&c, 160, 48), 0);
        a.screen_w = c.w;
        a.screen_h = c.h;
        app_render(&a, &c);
        char *dump = canvas_dump(&c);
        const char *whole = zh ? "本步进行中" : "step running: counts so far";
        const char *end = zh ? "（结束前显示 …）" : "(\u2026 until it ends)";
        const char *at = strstr(dump, whole);
        if (!at) fail_msg("no status line:\n%s", dump);
        const char *eol = strchr(at, '\n');
        const char *e = strstr(at, end);
        if (!e || (eol && e > eol)) fail_msg("status line cut:\n%s", dump);
        free(dump);
        canvas_free(&c);
        app_free(&a);
    }
}

/* Empty inner rows of the box at r (its border excluded). */
static int empty_rows(const Canvas *c, Rect r)
{
    int n = 0;
    for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
        bool blank = true;
        for (int x = r.x + 1; x < r.x + r.w - 1 && blank; x++) {
            const CanvasCell *cell = canvas_at(c, x, y);
            blank = cell && (cell->cp == ' ' || cell->cp == 0);
        }
        n += blank;
    }
    return n;
}

/* At 200x60 no box leaves more than a quarter of its rows empty: the
 * normal screen, presenter mode, the compare and memory views, the vector
 * inspector (v) and the all-heads overview (A), on the trained (default)
 * and the random model (--d-model 8), English and Chinese, at the end of
 * every token step; the toggled panels (v, A) also after every operation,
 * since what they show changes with it. */
typedef struct {
    const char *args;
    const char *toggles;   /* keys pressed first */
    bool by_op;
} BoxRun;

static int boxes_check(const BoxRun *run, const App *a, const Canvas *c, int k, int shown, bool toggled_only)
{
    Layout lo;
    layout_app(a, c->w, c->h, &lo);
    int bad = 0;
    for (int p = 0; p < panel_count; p++) {
        const size_t at = panel_list[p].rect;
        if (toggled_only && at != offsetof(Layout, vectors) && at != offsetof(Layout, heads)) continue;
        const Rect r = *(const Rect *)(const void *)((const char *)&lo + at);
        if (r.w < 3 || r.h < 3) continue;
        const int e = empty_rows(c, r), inner = r.h - 2;
        if (4 * e > inner) {
            if (shown + bad < 3)
                print_message("'%s' keys '%s' at %d: the box at %d,%d (%dx%d) has %d of %d rows empty\n", run->args,
                              run->toggles, k, r.x, r.y, r.w, r.h, e, inner);
            bad++;
        }
    }
    return bad;
}

static void test_no_empty_boxes(void **state)
{
    (void)state;
    static const BoxRun runs[] = {
        {"", "", false},
        {"--present", "", false},
        {"--lang zh", "", false},
        {"--present --lang zh", "", false},
        {"--mode compare", "", false},
        {"--mode memory --block-size 4 --prompt ab --prompt cde --prompt f", "", false},
        {"--mode memory", "", false},
        {"", "v", true},
        {"--lang zh", "v", true},
        {"", "A", true},
        {"", "vA", true},
        {"--mode compare", "v", true},
        {"--mode recompute", "A", false},
        {"--d-model 8", "", false},
        {"--d-model 8", "v", true},
        {"--d-model 8 --lang zh", "A", true},
        {"--d-model 8 --present", "", false},
        {"--d-model 8 --mode compare", "", false},
        {"--d-model 8 --rope", "v", true},
        /* short prompts: the middle row only as tall as t needs */
        {"--prompt hi", "", false},
        {"--prompt hi --lang zh", "", false},
        {"--prompt hi --mode recompute", "", false},
        {"--prompt a --gen 12", "", false},
        {"--prompt hi --d-model 8", "", false},
        {"--chunk 2", "", false},
        {"--chunk 2 --lang zh", "", false},
        {"--speculate 3", "", false},
        {"--prompt hi --speculate 3", "", false},
        {"--prompt hi --window 4 --gen 12", "", false},
    };
    char err[256];
    int bad = 0;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const int bad_before = bad;
        App a;
        if (build_app(&a, runs[i].args, err)) fail_msg("%s: %s", runs[i].args, err);
        for (const char *t = runs[i].toggles; *t; t++) app_handle_key(&a, *t);
        Canvas c;
        assert_int_equal(canvas_init(&c, 200, 60), 0);
        const Engine *e = app_engine(&a);
        int k = 0;
        if (runs[i].by_op) {
            for (; k < 4000; k++) {
                const long before = e->pos;
                app_handle_key(&a, 'n');
                if (e->pos == before) break;
                app_render(&a, &c);
                bad += boxes_check(&runs[i], &a, &c, k, bad - bad_before, e->pos % e->ops_per_step != 0);
            }
        } else {
            for (; k < a.G; k++) {
                app_handle_key(&a, 'N');
                app_render(&a, &c);
                bad += boxes_check(&runs[i], &a, &c, k, bad - bad_before, false);
            }
        }
        if (bad > bad_before)
            print_message("'%s' keys '%s': %d boxes too empty in %d frames\n", runs[i].args, runs[i].toggles,
                          bad - bad_before, k);
        canvas_free(&c);
        app_free(&a);
    }
    assert_int_equal(bad, 0);
}

/* A short prompt at 200x60 sizes the middle row by t and the phase only:
 * within a step (from its first operation to its last) no panel moves or
 * changes size, so the eye is not sent looking for it again. */
static void test_short_layout_still(void **state)
{
    (void)state;
    static const char *const runs[] = {
        "--prompt hi", "--prompt hi --lang zh", "--prompt hi --mode recompute", "--chunk 2",
        "--prompt hi --speculate 3", "--prompt hi --window 4 --gen 12",
    };
    char err[256];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        App a;
        if (build_app(&a, runs[i], err)) fail_msg("%s: %s", runs[i], err);
        const Engine *e = app_engine(&a);
        Layout first, lo;
        int step = -1, moved = 0;
        for (int k = 0; k < 4000; k++) {
            const long before = e->pos;
            app_handle_key(&a, 'n');
            if (e->pos == before) break;
            layout_app(&a, 200, 60, &lo);
            if (e->step != step) {
                step = e->step;
                first = lo;
            } else if (memcmp(&first, &lo, sizeof lo) != 0) {
                if (moved++ < 3) print_message("'%s': the layout moved within step %d (op %ld)\n", runs[i], step, e->pos);
            }
        }
        app_free(&a);
        assert_int_equal(moved, 0);
    }
}

int main(void)
{
    screen_isolate_machine();   /* the reference roofline, not a saved machine */
    /* the lessons are found through KVSIM_LESSON_DIR (lessons/catalog.c):
     * the binary (build/tests or build/asan/tests) may sit anywhere */
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_sizes_and_ops),
        cmocka_unit_test(test_panel_list),
        cmocka_unit_test(test_ascii_only),
        cmocka_unit_test(test_no_empty_boxes),
        cmocka_unit_test(test_short_layout_still),
        cmocka_unit_test(test_lesson_scroll),
        cmocka_unit_test(test_lesson_unseen_panel),
        cmocka_unit_test(test_lesson_unseen_only_when_a_size_shows_it),
        cmocka_unit_test(test_lesson_text_not_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
