/* frames: see frames.h. */
#include "ui/cmd/frames.h"

#include "sim/tokenizer.h"
#include "ui/cmd/lesson.h"
#include "ui/app.h"
#include "ui/term.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct { const char *name; int key; } named[] = {
    {"Right", TERM_KEY_RIGHT}, {"Left", TERM_KEY_LEFT}, {"Up", TERM_KEY_UP},
    {"Down", TERM_KEY_DOWN}, {"Home", TERM_KEY_HOME}, {"End", TERM_KEY_END},
    {"Space", ' '}, {"Enter", TERM_KEY_ENTER}, {"Esc", TERM_KEY_ESC},
    {"Backspace", TERM_KEY_BACKSPACE}, {"Tab", TERM_KEY_TAB}, {"PgDn", TERM_KEY_PGDN},
    {"PgUp", TERM_KEY_PGUP},
};

int frames_parse_keys(const char *s, int *keys, int cap, char *err, size_t errlen)
{
    const char *const start = s;
    int n = 0;
    while (*s) {
        int key = -1;
        if (*s == '<') {
            const char *end = strchr(s, '>');
            for (size_t i = 0; end && i < sizeof named / sizeof named[0]; i++)
                if ((size_t)(end - s - 1) == strlen(named[i].name) &&
                    !strncmp(s + 1, named[i].name, strlen(named[i].name))) {
                    key = named[i].key;
                    s = end + 1;
                }
        }
        if (key < 0) {
            int32_t cp;
            int len = utf8_next(s, &cp);
            if (len <= 0) {
                /* byte positions count from 1, as the prompt's messages do */
                snprintf(err, errlen, "--keys: invalid UTF-8 at byte %d", (int)(s - start) + 1);
                return -1;
            }
            key = cp;
            s += len;
        }
        if (n >= cap) {
            snprintf(err, errlen, "--keys: more than %d keys", cap);
            return -1;
        }
        keys[n++] = key;
    }
    return n;
}

static const char *key_name(int key, char buf[16])
{
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i].key == key && key != ' ') {
            snprintf(buf, 16, "<%s>", named[i].name);
            return buf;
        }
    if (key == ' ') return "<Space>";
    int n = utf8_encode(key, buf);
    buf[n] = '\0';
    return buf;
}

static void print_frame(FILE *out, const Canvas *c, int index, const char *what)
{
    char *text = canvas_dump(c);
    fprintf(out, "--- frame %d: %s (%dx%d) ---\n%s", index, what, c->w, c->h, text ? text : "");
    free(text);
}

#define MAX_KEYS 4096

int frames_run(const CliOptions *o, const int *ids, int L, FILE *out)
{
    char err[256];
    int *keys = malloc(sizeof(int) * MAX_KEYS);
    if (!keys) return 1;
    int nkeys = 0;
    if (o->keys) {
        nkeys = frames_parse_keys(o->keys, keys, MAX_KEYS, err, sizeof err);
        if (nkeys < 0) {
            cli_bad_input(o->cmd, err);
            free(keys);
            return 2;
        }
    } else {
        /* no keys: one frame after each token step (--steps K, default all;
         * with --lesson, whose slides set gen, --gen is refused and stays
         * CONFIG_DEFAULT_GEN, as frames --help says) */
        nkeys = o->steps >= 0 ? o->steps : o->gen;
        if (nkeys > MAX_KEYS) nkeys = MAX_KEYS;
        for (int i = 0; i < nkeys; i++) keys[i] = 'N';
    }
    App a;
    Canvas c;
    const int rc = app_init(&a, o, ids, L, err, sizeof err);
    if (rc || canvas_init(&c, o->width, o->height)) {
        if (!rc) {
            app_free(&a);
            snprintf(err, sizeof err, "out of memory for a %dx%d canvas", o->width, o->height);
        }
        if (rc == APP_BAD_INPUT) cli_bad_input(o->cmd, err);
        else fprintf(stderr, "kvsim: %s\n", err);
        free(keys);
        return rc == APP_BAD_INPUT ? 2 : 1;
    }
    a.screen_w = c.w;
    a.screen_h = c.h;
    if (o->lesson) {
        /* A broken lesson is refused whole, as 'lesson check' reports it
         * (file:line: message), before any frame is drawn. On success
         * app_lesson_start owns l; on its failure it has already freed l. */
        Lesson *l = calloc(1, sizeof *l);
        int bad = !l;
        if (l && lesson_cmd_load(o, o->lesson, l, err, sizeof err)) bad = 1;
        else if (l && lesson_check(l, NULL, err, sizeof err)) bad = 1;
        if (bad && l) {
            lesson_free(l);
            free(l);
        } else if (!bad && app_lesson_start(&a, l, err, sizeof err)) {
            bad = 1;
        }
        if (bad) {
            cli_put_error(l ? err : "out of memory");
            canvas_free(&c);
            app_free(&a);
            free(keys);
            return 2;
        }
    }
    app_render(&a, &c);
    print_frame(out, &c, 0, "start");
    for (int i = 0; i < nkeys; i++) {
        char name[16], what[40];
        unsigned act = app_handle_key(&a, keys[i]);
        app_render(&a, &c);
        snprintf(what, sizeof what, "key %s", key_name(keys[i], name));
        print_frame(out, &c, i + 1, what);
        if (act & ACTION_QUIT) break;
    }
    canvas_free(&c);
    app_free(&a);
    free(keys);
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int frames_bench(const CliOptions *o, const int *ids, int L, FILE *out)
{
    static const int sizes[][2] = {{80, 24}, {120, 40}, {200, 60}};
    char err[256];
    fprintf(out, "kvsim bench-ui: time to build one frame (app_render into the canvas, then\n"
                 "canvas_dump as a stand-in for the terminal write), over every operation of\n"
                 "the run in each view and in presenter mode; prompt \"%s\", %d steps,\n"
                 "single thread.\n\n", o->prompt, o->gen);
    fprintf(out, "%-9s %7s %9s %9s %9s\n", "size", "frames", "median ms", "p95 ms", "max ms");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        App a;
        Canvas c;
        if (app_init(&a, o, ids, L, err, sizeof err) || canvas_init(&c, sizes[s][0], sizes[s][1])) {
            fprintf(stderr, "kvsim: %s\n", err);
            return 1;
        }
        const long per_view = engine_total_ops(app_engine(&a)) + 1;
        const long total = per_view * (VIEW_COUNT + 1);
        double *t = malloc(sizeof(double) * (size_t)total);
        long n = 0;
        /* every view, then presenter mode (its mask sizes itself per frame) */
        for (int v = 0; v <= VIEW_COUNT && t; v++) {
            a.present = v == VIEW_COUNT;
            a.view = v == VIEW_COUNT ? VIEW_CACHE : (View)v;
            app_handle_key(&a, 'g');
            for (long i = 0; i < per_view; i++) {
                double t0 = now_ms();
                app_render(&a, &c);
                char *text = canvas_dump(&c);
                t[n++] = now_ms() - t0;
                free(text);
                app_handle_key(&a, 'n');
            }
        }
        if (t) {
            qsort(t, (size_t)n, sizeof(double), cmp_double);
            fprintf(out, "%4dx%-4d %7ld %9.3f %9.3f %9.3f\n", sizes[s][0], sizes[s][1], n, t[n / 2],
                    t[(n * 95) / 100], t[n - 1]);
        }
        free(t);
        canvas_free(&c);
        app_free(&a);
    }
    return 0;
}
