/* test_app: what keys do to the UI state, without a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/rng.h"
#include "sim/trace.h"
#include "ui/app.h"
#include "ui/cmd/frames.h"
#include "ui/keys.h"
#include "ui/term.h"

#include <stdio.h>
#include <stdlib.h>
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
    const Engine *c = &a.run.eng[MODE_CACHE], *r = &a.run.eng[MODE_RECOMPUTE];
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
    assert_int_equal(a.view, VIEW_MEMORY);     /* cache, recompute, compare, train, memory */
    press(&a, "m");
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
    assert_int_equal(a.run.eng[MODE_CACHE].pos, a.run.eng[MODE_CACHE].ops_per_step);   /* nothing restarted */

    /* empty prompt refused too, with the CLI's words */
    press(&a, "e<Backspace><Backspace><Backspace><Backspace><Backspace><Enter>");
    assert_true(a.editing);
    assert_non_null(strstr(a.message, "empty"));
    /* a good one restarts on it */
    press(&a, "我是<Enter>");
    assert_false(a.editing);
    assert_string_equal(a.prompt, "我是");
    assert_int_equal(a.L, 2);
    assert_int_equal(a.run.eng[MODE_CACHE].pos, 0);
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
    press(&a, "O");                              /* play by operation */
    assert_true(a.playing);
    assert_true(a.play_ops);
    long ticks = 0;
    while (a.playing && ticks < 10000) {
        app_tick(&a);
        ticks++;
    }
    assert_int_equal(ticks, engine_total_ops(&a.run.eng[MODE_CACHE]));
    assert_int_equal(a.run.eng[MODE_CACHE].pos, engine_total_ops(&a.run.eng[MODE_CACHE]));
    press(&a, "+++++++++");
    assert_int_equal(app_tick_ms(&a), 1000 / 60);
    press(&a, "---------");
    assert_int_equal(app_tick_ms(&a), 1000);
    press(&a, "r");
    assert_int_equal(a.run.eng[MODE_CACHE].pos, 0);
    /* Esc closes an overlay or does nothing; it never quits (a stray
     * escape sequence begins with one) */
    press(&a, "?");
    assert_true(a.help);
    assert_false(app_handle_key(&a, TERM_KEY_ESC) & ACTION_QUIT);
    assert_false(a.help);
    const long pos = a.run.eng[MODE_CACHE].pos;
    assert_false(app_handle_key(&a, TERM_KEY_ESC) & ACTION_QUIT);
    assert_int_equal(a.run.eng[MODE_CACHE].pos, pos);
    assert_true(app_handle_key(&a, 'q') & ACTION_QUIT);
    assert_true(app_handle_key(&a, TERM_KEY_EOF) & ACTION_QUIT);
    assert_int_equal(app_handle_key(&a, TERM_KEY_NONE), ACTION_NONE);
    app_free(&a);
}

/* Every key in the table dispatches to its action; no key is bound twice,
 * except once in a lesson and once outside (PgDn: next slide / next step). */
static void test_key_table(void **state)
{
    (void)state;
    int n;
    const KeyBinding *kb = keys_table(&n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 3 && kb[i].keys[j]; j++) {
            if (kb[i].lesson) assert_int_equal(keys_action(kb[i].keys[j]), kb[i].action);
            else assert_int_equal(keys_action_main(kb[i].keys[j]), kb[i].action);
            for (int i2 = 0; i2 < n; i2++)
                for (int j2 = 0; j2 < 3 && kb[i2].keys[j2]; j2++)
                    if (i2 != i && kb[i2].lesson == kb[i].lesson) assert_int_not_equal(kb[i].keys[j], kb[i2].keys[j2]);
        }
    assert_int_equal(keys_action('Z'), KA_NONE);
}

/* Space plays whole token steps at a pace (. faster, , slower, shown in
 * the header); O plays operations; j STEP[.OP] Enter jumps; --goto starts
 * there. */
static void test_token_autoplay_and_goto(void **state)
{
    (void)state;
    App a;
    make_app(&a, "abc", 4);
    const Engine *c = &a.run.eng[MODE_CACHE], *r = &a.run.eng[MODE_RECOMPUTE];
    press(&a, "<Space>");
    assert_true(a.playing);
    assert_false(a.play_ops);
    const int ms = app_tick_ms(&a);
    assert_int_equal(ms, app_pace_ms(&a));
    for (int k = 1; k <= 4; k++) {
        app_tick(&a);
        assert_int_equal(c->pos, (long)k * c->ops_per_step);   /* a whole step per tick */
        assert_int_equal(r->pos, (long)k * r->ops_per_step);
    }
    assert_false(a.playing);                     /* stops at the end of the run */
    press(&a, ".");
    assert_true(app_pace_ms(&a) < ms);
    press(&a, ",,");
    assert_true(app_pace_ms(&a) > ms);
    Canvas cv;
    assert_int_equal(canvas_init(&cv, 100, 30), 0);
    app_render(&a, &cv);
    char *d = canvas_dump(&cv), want[32];
    snprintf(want, sizeof want, "%g s/step", app_pace_ms(&a) / 1000.0);
    assert_non_null(strstr(d, want));
    free(d);
    /* w: playing operations pauses at each step's end */
    press(&a, "gwO");
    assert_true(a.step_stop && a.playing && a.play_ops);
    long n = 0;
    while (a.playing && n < 1000) app_tick(&a), n++;
    assert_int_equal(n, c->ops_per_step);
    assert_int_equal(c->pos, c->ops_per_step);
    press(&a, "O");
    while (a.playing && n < 1000) app_tick(&a), n++;
    assert_int_equal(c->pos, 2L * c->ops_per_step);
    press(&a, "w");
    assert_false(a.step_stop);
    /* the jump line */
    press(&a, "j2.5<Enter>");
    assert_false(a.jumping);
    assert_int_equal(c->pos, 2L * c->ops_per_step + 5);
    assert_int_equal(engine_current_op(c).kind, OP_MASK);
    press(&a, "j1<Enter>");
    assert_int_equal(c->pos, 2L * c->ops_per_step);   /* the end of step 1 */
    press(&a, "j7<Enter>");                            /* no step 7: refused, line stays open */
    assert_true(a.jumping);
    assert_non_null(strstr(a.message, "0-3"));
    assert_int_equal(c->pos, 2L * c->ops_per_step);
    press(&a, "<Esc>");
    assert_false(a.jumping);
    app_render(&a, &cv);
    canvas_free(&cv);
    app_free(&a);

    /* --goto STEP.OP on the command line */
    char err[256];
    char *argv[] = {"kvsim", "--prompt", "abc", "--gen", "4", "--goto", "3.9", NULL};
    CliOptions o;
    assert_int_equal(cli_parse(7, argv, &o, err, sizeof err), 0);
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    assert_int_equal(app_init(&a, &o, ids, L, err, sizeof err), 0);
    assert_int_equal(a.run.eng[MODE_CACHE].pos, 3L * a.run.eng[MODE_CACHE].ops_per_step + 9);
    assert_int_equal(a.run.eng[MODE_RECOMPUTE].step, 3);
    app_free(&a);
    char *bad[] = {"kvsim", "--gen", "4", "--goto", "4", NULL};
    assert_int_equal(cli_parse(5, bad, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "--goto 4: step must be 0-3"));
}

/* One stray key must not end a class's demo: Esc never quits (it closes
 * the help or the blank screen); b blanks the screen and any key brings it
 * back without acting; a clicker's PgDn / PgUp move a token step. */
static void test_esc_blank_clicker(void **state)
{
    (void)state;
    App a;
    make_app(&a, "abc", 3);
    const Engine *c = &a.run.eng[MODE_CACHE];
    assert_false(app_handle_key(&a, TERM_KEY_ESC) & ACTION_QUIT);
    press(&a, "?");
    assert_true(a.help);
    assert_false(app_handle_key(&a, TERM_KEY_ESC) & ACTION_QUIT);
    assert_false(a.help);
    press(&a, "<PgDn>");
    assert_int_equal(c->pos, c->ops_per_step);
    press(&a, "<PgDn>");
    assert_int_equal(c->pos, 2 * c->ops_per_step);
    press(&a, "<PgUp>");
    assert_int_equal(c->pos, c->ops_per_step);
    press(&a, "b");
    assert_true(a.blank);
    Canvas cv;
    assert_int_equal(canvas_init(&cv, 80, 24), 0);
    app_render(&a, &cv);
    char *d = canvas_dump(&cv);
    for (const char *p = d; *p; p++) assert_true(*p == '\n');   /* nothing drawn */
    free(d);
    assert_false(app_handle_key(&a, 'N') & ACTION_QUIT);   /* only wakes the screen */
    assert_false(a.blank);
    assert_int_equal(c->pos, c->ops_per_step);
    press(&a, "b");
    assert_false(app_handle_key(&a, TERM_KEY_ESC) & ACTION_QUIT);
    assert_false(a.blank);
    app_render(&a, &cv);
    d = canvas_dump(&cv);
    assert_non_null(strstr(d, "Causal mask"));
    free(d);
    canvas_free(&cv);
    assert_true(app_handle_key(&a, 'q') & ACTION_QUIT);
    app_free(&a);
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


/* ---- the batch (several --prompt) and its block pool ------------------------ */

/* An App from a command line's options ("--block-size 4 --prompt ab ..."). */
static void make_app_args(App *a, const char *args)
{
    char buf[256], err[256];
    char *argv[40];
    int argc = 0;
    argv[argc++] = "kvsim";
    snprintf(buf, sizeof buf, "%s", args);
    for (char *tok = strtok(buf, " "); tok && argc < 39; tok = strtok(NULL, " ")) argv[argc++] = tok;
    argv[argc] = NULL;
    CliOptions o;
    if (cli_parse(argc, argv, &o, err, sizeof err)) fail_msg("%s: %s", args, err);
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, sizeof err);
    if (L < 0) fail_msg("%s: %s", args, err);
    /* argv points into buf: app_init must keep copies of the prompts */
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
    memset(buf, 'x', sizeof buf - 1);
}

/* Every sequence at the cache engine's position, and the pool consistent. */
static void check_lockstep(const App *a)
{
    const Engine *c = &a->run.eng[MODE_CACHE];
    for (int s = 0; s < a->n_seqs; s++) {
        const Engine *e = app_seq_engine(a, s);
        assert_int_equal(e->pos, c->pos);
        assert_int_equal(e->step, c->step);
        assert_false(e->pool_overflow);
        if (a->run.pool) {
            assert_ptr_equal(e->pool, a->run.pool);
            assert_int_equal(e->pool_seq, s);
            /* the sequence's blocks hold what its cache holds */
            assert_int_equal(a->run.pool->seqs[s].len, e->cache.len);
            assert_int_equal(paged_seq_used_bytes(a->run.pool, s), engine_kv_bytes(e));
        }
    }
    if (a->run.pool) {
        char err[256];
        if (paged_check(a->run.pool, err, sizeof err)) fail_msg("pool: %s", err);
        uint64_t res = 0, used = 0;
        int blocks = 0;
        for (int s = 0; s < a->n_seqs; s++) {
            res += engine_kv_reserved_bytes(app_seq_engine(a, s));
            used += engine_kv_bytes(app_seq_engine(a, s));
            blocks += engine_kv_blocks(app_seq_engine(a, s));
        }
        assert_int_equal(paged_blocks_used(a->run.pool), blocks);
        assert_int_equal(paged_reserved_bytes(a->run.pool), res);
        assert_int_equal(paged_used_bytes(a->run.pool), used);
    }
}

/* The same pool, block for block (which physical block holds what). */
static void check_same_pool(const App *x, const App *y)
{
    assert_int_equal(x->run.pool->n_blocks, y->run.pool->n_blocks);
    for (int b = 0; b < x->run.pool->n_blocks; b++) {
        const PagedBlockView u = paged_block_view(x->run.pool, b), v = paged_block_view(y->run.pool, b);
        if (u.seq != v.seq || u.lblock != v.lblock || u.kept != v.kept)
            fail_msg("block %d: seq %d lblock %d kept %d, expected seq %d lblock %d kept %d", b, u.seq,
                     u.lblock, u.kept, v.seq, v.lblock, v.kept);
    }
}

/* Random keys: the batch follows the cache engine, the pool stays consistent,
 * and its block ids are those of a run that only ever went forwards, one
 * step at a time (the trace's order), whatever keys led there. */
static void test_batch_lockstep(void **state)
{
    (void)state;
    static const char *const runs[] = {
        "--block-size 4 --prompt ab --prompt cde --prompt f",
        "--block-size 3 --window 5 --prompt hello --prompt cde --gen 9",
        "--block-size 1 --prompt a --prompt bc --prompt def --prompt g --gen 5",
        "--prompt ab --prompt cde",   /* a batch without paging */
    };
    static const int keys[] = {'N', 'n', 'p', 'g', 'G', TERM_KEY_UP, 'm', '>', '<', 'P', 'r'};
    Rng rng;
    rng_init(&rng, 5);
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        App a;
        make_app_args(&a, runs[r]);
        assert_true(a.n_seqs >= 2);
        assert_true((a.run.pool != NULL) == (a.cfg.block_size > 0));
        check_lockstep(&a);
        for (int i = 0; i < 300; i++) {
            app_handle_key(&a, keys[rng_next(&rng) % (sizeof keys / sizeof keys[0])]);
            check_lockstep(&a);
            if (!a.run.pool || i % 10) continue;
            /* the reference: a fresh App moved forwards with N, then n */
            App ref;
            make_app_args(&ref, runs[r]);
            const Engine *c = &a.run.eng[MODE_CACHE];
            const long steps = c->pos / c->ops_per_step, ops = c->pos % c->ops_per_step;
            for (long k = 0; k < steps; k++) app_handle_key(&ref, 'N');
            for (long k = 0; k < ops; k++) app_handle_key(&ref, 'n');
            assert_int_equal(ref.run.eng[MODE_CACHE].pos, c->pos);
            check_same_pool(&a, &ref);
            app_free(&ref);
        }
        app_free(&a);
    }
}

/* At the end of the run the App's block tables are the trace's. */
static void test_batch_matches_trace(void **state)
{
    (void)state;
    App a;
    make_app_args(&a, "--block-size 4 --prompt ab --prompt cde --prompt f");
    press(&a, "NNN<Up>nnnnG");
    char err[256];
    Trace tr;
    TracePrompt P[3];
    for (int s = 0; s < 3; s++) {
        const Engine *e = app_seq_engine(&a, s);
        P[s] = (TracePrompt){app_seq_prompt(&a, s), e->tokens, e->L};
    }
    assert_int_equal(trace_run_batch(&tr, a.run.model, P, 3, a.G, err, sizeof err), 0);
    for (int s = 0; s < 3; s++) {
        int n;
        const int *t = paged_seq_table(a.run.pool, s, &n);
        assert_int_equal(n, tr.seqs[s].n_table);
        for (int j = 0; j < n; j++) assert_int_equal(t[j], tr.seqs[s].table[j]);
        assert_int_equal(engine_kv_reserved_bytes(app_seq_engine(&a, s)),
                         tr.seqs[s].steps[a.G - 1].kv_reserved_bytes);
    }
    assert_int_equal(paged_reserved_bytes(a.run.pool), tr.pool[a.G - 1].reserved_bytes);
    assert_string_equal(app_seq_prompt(&a, 1), "cde");
    trace_free(&tr);
    app_free(&a);
}

/* Tab: the KV cache view shows another sequence of a batch. The per-sequence
 * panels draw that sequence's engine (its own prompt, rows and step); the
 * panels that compare modes stay on A and say so. Elsewhere Tab only says
 * where it works. */
static void test_batch_tab(void **state)
{
    (void)state;
    App a;
    make_app_args(&a, "--prompt ab --prompt cdefg --prompt h --gen 3");
    assert_int_equal(a.view, VIEW_CACHE);
    assert_int_equal(app_shown_seq(&a), 0);
    assert_ptr_equal(app_shown_engine(&a), app_engine(&a));
    press(&a, "NN<Tab>");
    assert_int_equal(app_shown_seq(&a), 1);
    assert_ptr_equal(app_shown_engine(&a), app_seq_engine(&a, 1));
    check_lockstep(&a);
    Canvas cv;
    assert_int_equal(canvas_init(&cv, 100, 30), 0);
    app_render(&a, &cv);
    char *d = canvas_dump(&cv);
    assert_non_null(strstr(d, "B: DECODE step 1"));
    assert_non_null(strstr(d, "cdefg"));                                 /* B's prompt on the Tokens line */
    assert_non_null(strstr(d, "Operations (MACs) \u00b7 A"));          /* the mode comparison stays on A */
    assert_non_null(strstr(d, "A: DECODE step 1 (of 0-"));   /* the header follows A and says so */
    /* the attention row is B's query: its prompt of 5, one token decoded */
    assert_int_equal(app_seq_engine(&a, 1)->t, 6);
    assert_non_null(strstr(d, "pos 5"));
    free(d);
    /* on to C, then round to A */
    press(&a, "<Tab>");
    assert_int_equal(app_shown_seq(&a), 2);
    app_render(&a, &cv);
    d = canvas_dump(&cv);
    assert_non_null(strstr(d, "C: DECODE step 1"));
    free(d);
    press(&a, "<Tab>");
    assert_int_equal(app_shown_seq(&a), 0);
    app_render(&a, &cv);
    d = canvas_dump(&cv);
    assert_non_null(strstr(d, "A: DECODE step 1"));
    assert_non_null(strstr(d, "Operations (MACs) \u00b7 A"));   /* a batch: always named */
    assert_null(strstr(d, "cdefg"));
    free(d);
    /* the compare view pairs A with its recompute: Tab says where it works */
    press(&a, "<Tab>mm");
    assert_int_equal(a.view, VIEW_COMPARE);
    assert_int_equal(app_shown_seq(&a), 0);
    assert_ptr_equal(app_shown_engine(&a), app_engine(&a));
    a.message[0] = '\0';
    press(&a, "<Tab>");
    assert_non_null(strstr(a.message, "KV cache view"));
    assert_int_equal(app_shown_seq(&a), 0);
    /* back in the cache view the choice (B) is still there */
    press(&a, "mmm");
    assert_int_equal(a.view, VIEW_CACHE);
    assert_int_equal(app_shown_seq(&a), 1);
    canvas_free(&cv);
    app_free(&a);

    /* one prompt: nothing to switch to, and no sequence to name */
    make_app_args(&a, "--prompt abc");
    press(&a, "N<Tab>");
    assert_int_equal(app_shown_seq(&a), 0);
    assert_non_null(strstr(a.message, "--prompt"));
    assert_int_equal(canvas_init(&cv, 100, 30), 0);
    app_render(&a, &cv);
    d = canvas_dump(&cv);
    assert_non_null(strstr(d, "Operations (MACs)"));
    assert_null(strstr(d, "\u00b7 A"));
    free(d);
    canvas_free(&cv);
    app_free(&a);
}

/* Editing the first prompt keeps the rest of the batch, and restarts it. */
static void test_batch_edit(void **state)
{
    (void)state;
    App a;
    make_app_args(&a, "--block-size 2 --prompt ab --prompt cde --prompt f");
    press(&a, "NN");
    press(&a, "e<Backspace>xyz<Enter>");
    assert_false(a.editing);
    assert_string_equal(a.prompt, "axyz");
    assert_int_equal(a.n_seqs, 3);
    assert_string_equal(app_seq_prompt(&a, 0), "axyz");
    assert_string_equal(app_seq_prompt(&a, 2), "f");
    assert_non_null(a.run.pool);
    assert_int_equal(a.run.eng[MODE_CACHE].pos, 0);
    check_lockstep(&a);
    press(&a, "NNN");
    check_lockstep(&a);
    assert_int_equal(app_seq_engine(&a, 1)->cache.len, 3 + 2);
    app_free(&a);
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
        cmocka_unit_test(test_esc_blank_clicker),
        cmocka_unit_test(test_token_autoplay_and_goto),
        cmocka_unit_test(test_parse_keys),
        cmocka_unit_test(test_batch_lockstep),
        cmocka_unit_test(test_batch_matches_trace),
        cmocka_unit_test(test_batch_tab),
        cmocka_unit_test(test_batch_edit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
