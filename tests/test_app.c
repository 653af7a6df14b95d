/* test_app: what keys do to the UI state, without a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui/app.h"
#include "ui/frames.h"
#include "ui/keys.h"
#include "ui/term.h"

#include <stdio.h>
#include <string.h>

static void make_app(App *a, const char *prompt, int gen)
{
    char g[16], err[256];
    snprintf(g, sizeof g, "%d", gen);
    char *argv[] = {"kvsim", "--prompt", (char *)prompt, "--gen", g, NULL};
    CliOptions o;
    assert_int_equal(cli_parse(5, argv, &o, err, sizeof err), 0);
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    assert_true(L > 0);
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
}

static void press(App *a, const char *keys)
{
    int k[64];
    char err[128];
    int n = frames_parse_keys(keys, k, 64, err, sizeof err);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) app_handle_key(a, k[i]);
}

/* Cache and recompute stay at the same step and operation. */
static void test_pair_stays_in_step(void **state)
{
    (void)state;
    App a;
    make_app(&a, "abcd", 5);
    const Engine *c = &a.eng[MODE_CACHE], *r = &a.eng[MODE_RECOMPUTE];
    press(&a, "N");
    assert_int_equal(c->pos, c->ops_per_step);
    assert_int_equal(r->pos, r->ops_per_step);
    press(&a, "nnn");
    assert_int_equal(c->step, 1);
    assert_int_equal(r->step, 1);
    assert_int_equal(engine_current_op(c).kind, engine_current_op(r).kind);
    press(&a, "m");                    /* recompute leads now */
    assert_int_equal(a.view, VIEW_RECOMPUTE);
    press(&a, "N");                    /* end of step 1 for both */
    assert_true(engine_at_step_end(c) && engine_at_step_end(r));
    assert_int_equal(c->step, 1);
    assert_int_equal(r->step, 1);
    assert_int_equal(c->cache.len, 5);   /* t = L + k = 5: the cache's append ran too */
    press(&a, "<Up><Up>");
    assert_int_equal(c->pos, 0);
    assert_int_equal(r->pos, 0);
    press(&a, "G");
    assert_int_equal(c->pos, engine_total_ops(c));
    assert_int_equal(r->pos, engine_total_ops(r));
    for (int k = 0; k < 5; k++) assert_int_equal(engine_emitted(c, k), engine_emitted(r, k));
    app_free(&a);
}

static void test_mode_layer_head_cycle(void **state)
{
    (void)state;
    App a;
    make_app(&a, "ab", 2);
    assert_int_equal(a.view, VIEW_CACHE);
    press(&a, "mmmm");
    assert_int_equal(a.view, VIEW_CACHE);
    press(&a, "]]]");                  /* 2 layers: 0 -> 1 -> 0 -> 1 */
    assert_int_equal(a.layer, 1);
    press(&a, "[[");
    assert_int_equal(a.layer, 1);
    press(&a, "{");                    /* 2 heads: wraps to 1 */
    assert_int_equal(a.head, 1);
    press(&a, "}");
    assert_int_equal(a.head, 0);
    press(&a, "s");
    assert_true(a.log_scale);
    app_free(&a);
}

/* A bad character is refused with the CLI's message; the prompt stays. */
static void test_edit_prompt(void **state)
{
    (void)state;
    App a;
    make_app(&a, "hello", 3);
    press(&a, "N");
    press(&a, "e");
    assert_true(a.editing);
    assert_string_equal(a.edit, "hello");
    unsigned act = app_handle_key(&a, 0x20AC);   /* € */
    assert_true(act & ACTION_ERROR);
    assert_non_null(strstr(a.message, "--prompt: character '\u20ac' (U+20AC) at position 6 is not in the alphabet"));
    assert_string_equal(a.edit, "hello");
    press(&a, "<Esc>");
    assert_false(a.editing);
    assert_string_equal(a.prompt, "hello");
    assert_int_equal(a.L, 5);
    assert_int_equal(a.eng[MODE_CACHE].pos, a.eng[MODE_CACHE].ops_per_step);   /* nothing restarted */

    /* empty prompt refused too, with the CLI's words */
    press(&a, "e<Backspace><Backspace><Backspace><Backspace><Backspace><Enter>");
    assert_true(a.editing);
    assert_non_null(strstr(a.message, "empty"));
    /* a good one restarts on it */
    press(&a, "我是<Enter>");
    assert_false(a.editing);
    assert_string_equal(a.prompt, "我是");
    assert_int_equal(a.L, 2);
    assert_int_equal(a.eng[MODE_CACHE].pos, 0);
    app_free(&a);
}

/* A prompt that no longer leaves room for --gen is refused. */
static void test_edit_too_long(void **state)
{
    (void)state;
    App a;
    make_app(&a, "ab", 60);            /* 2 + 60 <= 64 */
    press(&a, "eabc<Enter>");          /* 5 + 60 > 64 */
    assert_true(a.editing);
    assert_non_null(strstr(a.message, "exceeds --max-seq 64"));
    assert_string_equal(a.prompt, "ab");
    app_free(&a);
}

static void test_help_play_quit(void **state)
{
    (void)state;
    App a;
    make_app(&a, "ab", 2);
    press(&a, "?");
    assert_true(a.help);
    unsigned act = app_handle_key(&a, 'q');      /* closes the help, does not quit */
    assert_false(a.help);
    assert_false(act & ACTION_QUIT);
    press(&a, "<Space>");
    assert_true(a.playing);
    long ticks = 0;
    while (a.playing && ticks < 10000) {
        app_tick(&a);
        ticks++;
    }
    assert_int_equal(ticks, engine_total_ops(&a.eng[MODE_CACHE]));
    assert_int_equal(a.eng[MODE_CACHE].pos, engine_total_ops(&a.eng[MODE_CACHE]));
    press(&a, "+++++++++");
    assert_int_equal(app_tick_ms(&a), 1000 / 60);
    press(&a, "---------");
    assert_int_equal(app_tick_ms(&a), 1000);
    press(&a, "r");
    assert_int_equal(a.eng[MODE_CACHE].pos, 0);
    assert_true(app_handle_key(&a, 'q') & ACTION_QUIT);
    assert_true(app_handle_key(&a, TERM_KEY_EOF) & ACTION_QUIT);
    assert_int_equal(app_handle_key(&a, TERM_KEY_NONE), ACTION_NONE);
    app_free(&a);
}

/* Every key in the table dispatches to its action; no key is bound twice. */
static void test_key_table(void **state)
{
    (void)state;
    int n;
    const KeyBinding *kb = keys_table(&n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 3 && kb[i].keys[j]; j++) {
            assert_int_equal(keys_action(kb[i].keys[j]), kb[i].action);
            for (int i2 = 0; i2 < n; i2++)
                for (int j2 = 0; j2 < 3 && kb[i2].keys[j2]; j2++)
                    if (i2 != i) assert_int_not_equal(kb[i].keys[j], kb[i2].keys[j2]);
        }
    assert_int_equal(keys_action('Z'), KA_NONE);
}

static void test_parse_keys(void **state)
{
    (void)state;
    int k[16];
    char err[128];
    assert_int_equal(frames_parse_keys("n<Right><Space>我<x", k, 16, err, sizeof err), 6);
    assert_int_equal(k[0], 'n');
    assert_int_equal(k[1], TERM_KEY_RIGHT);
    assert_int_equal(k[2], ' ');
    assert_int_equal(k[3], 0x6211);
    assert_int_equal(k[4], '<');
    assert_int_equal(k[5], 'x');
    assert_int_equal(frames_parse_keys("\xff", k, 16, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_stays_in_step),
        cmocka_unit_test(test_mode_layer_head_cycle),
        cmocka_unit_test(test_edit_prompt),
        cmocka_unit_test(test_edit_too_long),
        cmocka_unit_test(test_help_play_quit),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_parse_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
