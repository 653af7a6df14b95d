/* test_lessons_answering: answering a question in the lesson player: the
 * flow on shipped lesson 2 (a wrong answer earns a hint, then the
 * explanation; slides and 'o'), and the kinds of answer (issue 14, items
 * 11-13): expressions, keyed hints, hints with {templates} filled, choice
 * keys. Run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lessons/catalog.h"
#include "lessons/lesson.h"
#include "ui/app.h"
#include "ui/lesson_play.h"
#include "ui/term.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A lesson from text, started in a fresh App (caller app_free()s). */
static void start_text(App *a, const char *text)
{
    char err[512];
    Lesson *l = calloc(1, sizeof *l);
    assert_non_null(l);
    if (lesson_parse(text, strlen(text), "t.lesson", l, err, sizeof err)) fail_msg("%s", err);
    char *argv[] = {"kvsim", NULL};
    CliOptions o;
    assert_int_equal(cli_parse(1, argv, &o, err, sizeof err), 0);
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
    if (app_lesson_start(a, l, err, sizeof err)) fail_msg("%s", err);
}

static void type_answer(App *a, const char *s)
{
    app_handle_key(a, 'a');
    assert_true(a->play->answering);
    for (const char *p = s; *p; p++) app_handle_key(a, *p);
    app_handle_key(a, TERM_KEY_ENTER);
}

/* The lesson pane at 120x40 as text (caller frees). */
static char *screen_text(const App *a)
{
    Canvas c;
    assert_int_equal(canvas_init(&c, 120, 40), 0);
    app_render(a, &c);
    char *buf = canvas_dump(&c);
    assert_non_null(buf);
    canvas_free(&c);
    return buf;
}

/* Issue 14, items 11-13 in the player: expressions, keyed hints, choices;
 * and hints with {templates} are shown filled. */
static void test_answer_kinds(void **state)
{
    (void)state;
    App a;
    start_text(&a, "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
                   "goto: step 0 end\n? Share of visible cells?\n= visible(0) / (L*L)\n"
                   "tolerance: 0.001\nwrong: (L*L - visible(0)) / (L*L) -> That is the masked share.\n"
                   "hint: Visible cells are {visible(0)} of {L*L}.\nhint: Second.\n");
    /* an expression: "2/5" is 0.4 (it used to be read as 25), and the pane says so */
    type_answer(&a, "2/5");
    assert_true(fabs(a.play->last_given - 0.4) < 1e-12);
    assert_int_equal(a.play->wrong, 0);   /* 0.4 is the keyed wrong value: its own hint */
    assert_false(a.play->solved);
    char *scr = screen_text(&a);
    if (!strstr(scr, "2/5 = 0.4 is not it. Hint: That is the masked share.")) fail_msg("%s", scr);
    free(scr);
    /* another wrong value: the generic hint, templates filled */
    type_answer(&a, "1/2");
    assert_int_equal(a.play->wrong, 1);
    scr = screen_text(&a);
    if (!strstr(scr, "1/2 = 0.5 is not it. Hint: Visible cells are 15 of 25.")) fail_msg("%s", scr);
    assert_null(strstr(scr, "{visible(0)}"));
    free(scr);
    /* not a number: a message, nothing counted */
    type_answer(&a, "L");
    assert_true(a.play->answering);
    assert_true(a.message_is_error);
    assert_non_null(strstr(a.message, "an answer holds only numbers"));
    app_handle_key(&a, TERM_KEY_ESC);
    assert_int_equal(a.play->wrong, 1);
    /* the right share as an expression */
    type_answer(&a, "15/25");
    assert_true(a.play->solved);
    app_free(&a);

    /* a choice question: keys, case-insensitive; a keyed hint for 'a' */
    start_text(&a, "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
                   "? What does the prefill do with the cache?\n"
                   "choice: a It reads it.\nchoice: b It writes it.\nchoice: c Nothing.\n= b\n"
                   "wrong: a -> The cache is empty before the prefill.\nhint: Generic.\n");
    scr = screen_text(&a);
    if (!strstr(scr, "b) It writes it.")) fail_msg("options not shown:\n%s", scr);
    free(scr);
    type_answer(&a, "7");   /* not a key */
    assert_true(a.play->answering);
    assert_non_null(strstr(a.message, "type one of the keys: a, b, c"));
    app_handle_key(&a, TERM_KEY_ESC);
    type_answer(&a, "a");
    assert_false(a.play->solved);
    scr = screen_text(&a);
    if (!strstr(scr, "a is not it. Hint: The cache is empty before the prefill.")) fail_msg("%s", scr);
    free(scr);
    type_answer(&a, "c");
    assert_int_equal(a.play->wrong, 1);
    type_answer(&a, "B");
    assert_true(a.play->solved);
    scr = screen_text(&a);
    if (!strstr(scr, "Right: b.")) fail_msg("%s", scr);
    free(scr);
    app_free(&a);
}

/* Audit 2, finding 1: while a new try is typed after a wrong answer, the
 * feedback still names the answer that was judged ("25"), never the new
 * text read as the old value ("15 = 25 is not it"); then the new one is
 * judged. zh the same. */
static void test_feedback_names_judged_answer(void **state)
{
    (void)state;
    static const char *const lessons[] = {
        "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
        "goto: step 0 end\n? Visible cells?\n= visible(0)\nhint: Count them.\nhint: Again.\n",
        "lesson: 1\nid: x\nlang: zh\ntitle: T\n--- slide: S\nprompt: hello\ngen: 3\n"
        "goto: step 0 end\n? 可见格数？\n= visible(0)\nhint: 数一数。\nhint: 再数。\n",
    };
    for (int i = 0; i < 2; i++) {
        App a;
        start_text(&a, lessons[i]);
        a.opt.lang_zh = i == 1;   /* as --lang zh sets it: the pane's own words in Chinese */
        type_answer(&a, "25");
        app_handle_key(&a, 'a');
        app_handle_key(&a, '1');
        app_handle_key(&a, '5');   /* typed, not yet judged */
        char *scr = screen_text(&a);
        if (!strstr(scr, i ? "\u2717 25 不对。" : "\u2717 25 is not it.")) fail_msg("%s", scr);
        if (strstr(scr, "= 25") || strstr(scr, "15 is not it") || strstr(scr, "15 不对")) fail_msg("%s", scr);
        free(scr);
        app_handle_key(&a, TERM_KEY_ENTER);
        assert_true(a.play->solved);
        /* an expression judged wrong keeps its reading while the next is typed */
        app_handle_key(&a, 'o');   /* the slide's set-up again: a fresh question */
        type_answer(&a, "2*3");
        app_handle_key(&a, 'a');
        app_handle_key(&a, '7');
        scr = screen_text(&a);
        if (!strstr(scr, i ? "2*3 = 6 不对" : "2*3 = 6 is not it")) fail_msg("%s", scr);
        if (strstr(scr, "7 = 6")) fail_msg("%s", scr);
        free(scr);
        app_free(&a);
    }
}

/* The answer flow: wrong answers earn hints, then the explanation. */
static void test_answer_flow(void **state)
{
    (void)state;
    char err[512];
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    char path[1400];
    assert_int_equal(catalog_find("en", 2, path, sizeof path, err, sizeof err), 0);
    Lesson *l = calloc(1, sizeof *l);
    assert_int_equal(lesson_load(path, l, err, sizeof err), 0);
    char *argv[] = {"kvsim", NULL};
    CliOptions o;
    assert_int_equal(cli_parse(1, argv, &o, err, sizeof err), 0);
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    App a;
    assert_int_equal(app_init(&a, &o, ids, L, err, sizeof err), 0);
    assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
    const int hints = a.play->lesson->slides[0].question.n_hints;
    assert_true(hints >= 1);
    app_handle_key(&a, 'a');
    assert_true(a.play->answering);
    app_handle_key(&a, '9');
    app_handle_key(&a, '9');
    app_handle_key(&a, TERM_KEY_ENTER);
    assert_int_equal(a.play->wrong, 1);
    assert_false(a.play->solved);
    app_handle_key(&a, 'a');
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", a.play->expected);
    for (char *p = buf; *p; p++) app_handle_key(&a, *p);
    app_handle_key(&a, TERM_KEY_ENTER);
    assert_true(a.play->solved);
    /* next slide, back, and 'o' restores the slide's position */
    app_handle_key(&a, '.');
    assert_int_equal(a.play->slide, 1);
    long pos = app_engine(&a)->pos;
    app_handle_key(&a, 'G');
    assert_true(app_engine(&a)->pos != pos);
    app_handle_key(&a, 'o');
    assert_int_equal(app_engine(&a)->pos, pos);
    app_handle_key(&a, ',');
    assert_int_equal(a.play->slide, 0);
    app_free(&a);
}

int main(void)
{
    /* progress goes to a scratch directory, not the user's */
    char dir[] = "/tmp/kvsim-test-XXXXXX";
    if (mkdtemp(dir)) setenv("XDG_STATE_HOME", dir, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_flow),
        cmocka_unit_test(test_answer_kinds),
        cmocka_unit_test(test_feedback_names_judged_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
