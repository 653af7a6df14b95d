/* live: the event loop. Update on a key or a tick, then draw. */
#include "ui/live.h"

#include "ui/app.h"
#include "ui/term.h"

#include <stdio.h>
#include <stdlib.h>

static void close_at_exit(void)
{
    term_close();
}

int live_run(const CliOptions *o, const int *ids, int L)
{
    return live_run_lesson(o, ids, L, NULL);
}

int live_run_lesson(const CliOptions *o, const int *ids, int L, Lesson *lesson)
{
    char err[256];
    if (term_check(err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        if (lesson) {
            lesson_free(lesson);
            free(lesson);
        }
        return 1;
    }
    CliOptions opt = *o;
    if (!term_locale_utf8()) opt.ascii = true;   /* no UTF-8 locale, not even C.UTF-8: ASCII */
    App a;
    const int rc = app_init(&a, &opt, ids, L, err, sizeof err);
    if (rc) {
        if (rc == APP_BAD_INPUT) cli_bad_input(o->cmd, err);
        else fprintf(stderr, "kvsim: %s\n", err);
        if (lesson) {
            lesson_free(lesson);
            free(lesson);
        }
        return rc == APP_BAD_INPUT ? 2 : 1;
    }
    a.save_progress = true;
    if (lesson && app_lesson_start(&a, lesson, err, sizeof err)) {
        fprintf(stderr, "kvsim: %s\n", err);
        app_free(&a);
        return 2;
    }
    term_install_signals();
    atexit(close_at_exit);
    if (term_open(!opt.no_color)) {
        fprintf(stderr, "kvsim: cannot open the terminal; use 'kvsim trace' or 'kvsim frames'\n");
        app_free(&a);
        return 1;
    }
    Canvas c = {0};
    int status = 0, caught = 0;
    unsigned act = ACTION_REDRAW;
    for (;;) {
        caught = term_pending_signal();
        if (caught) {
            status = 128 + caught;
            break;
        }
        if (act & ACTION_REDRAW) {
            int w, h;
            term_size(&w, &h);
            a.screen_w = w;
            a.screen_h = h;
            if (w != c.w || h != c.h) {
                canvas_free(&c);
                if (canvas_init(&c, w, h)) {
                    status = 1;
                    break;
                }
            }
            app_render(&a, &c);
            term_draw(&c, opt.ascii);
        }
        int key = term_getkey(a.playing ? app_tick_ms(&a) : -1);
        if (key == TERM_KEY_NONE) {
            act = app_tick(&a);
            continue;
        }
        act = app_handle_key(&a, key);
        if (act & ACTION_QUIT) break;
    }
    term_close();
    if (a.progress_error[0]) fprintf(stderr, "kvsim: %s\n", a.progress_error);
    canvas_free(&c);
    app_free(&a);
    if (caught) term_reraise(caught);   /* the terminal is back: die of it */
    return status;
}
