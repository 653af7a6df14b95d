/* screen_fixture: what the screen suites share (tests/test_screens.c,
 * tests/test_screens_serving.c, tests/test_screens_layout.c): a Scenario
 * (command line and --keys), an App built as the binary builds it (the
 * shipped model; none for a lesson), a scenario rendered into a canvas
 * dump, the comparison with tests/golden/<name>-<w>x<h>.txt (run from the
 * repository root; KVSIM_UPDATE_GOLDEN=1 rewrites the file instead), and
 * the line of a screen that starts with a given text. Header only: each
 * suite is one translation unit. */
#ifndef KVSIM_SCREEN_FIXTURE_H
#define KVSIM_SCREEN_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ui/app.h"
#include "ui/cmd/frames.h"
#include "ui/term.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *args;     /* extra command-line options, space separated */
    const char *keys;     /* --keys syntax */
} Scenario;

/* Keep the user's machine out of the screens: no KVSIM_MACHINE, and
 * KVSIM_MACHINE_FILE set and empty, i.e. no machine file (ui/machine_file.h),
 * so the memory view's roofline draws the reference machine whatever
 * `kvsim bench --save-machine` left in ~/.config. Every suite that renders
 * screens calls it before its tests. */
static inline void screen_isolate_machine(void)
{
    unsetenv("KVSIM_MACHINE");
    setenv("KVSIM_MACHINE_FILE", "", 1);
}

/* The model of the last app built, kept for that app's run (its weights
 * and alphabet); the previous app is always freed before the next build. */
static ModelFile screen_model;

/* As the binary builds it: the UI loads the model of cli_use_model (no
 * options: the shipped trained model); a lesson loads none (its slides
 * set the model up), as `kvsim lesson` does. */
static inline int build_app_for(App *a, const char *args, bool lesson, char *err)
{
    char buf[512];
    char *argv[48];
    int argc = 0;
    argv[argc++] = "kvsim";
    snprintf(buf, sizeof buf, "%s", args);
    for (char *tok = strtok(buf, " "); tok && argc < 47; tok = strtok(NULL, " ")) argv[argc++] = tok;
    argv[argc] = NULL;
    CliOptions o;
    cli_model_free(&screen_model);   /* the full alphabet again: cli_parse sets V from it */
    if (cli_parse(argc, argv, &o, err, 256)) return -1;
    if (!lesson && cli_use_model(&o, &screen_model, err, 256)) return -1;
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, 256);
    if (L < 0) return -1;
    return app_init(a, &o, ids, L, err, 256);
}

static inline int build_app(App *a, const char *args, char *err) { return build_app_for(a, args, false, err); }
static inline int build_lesson_app(App *a, const char *args, char *err) { return build_app_for(a, args, true, err); }

/* The shipped lesson files, lessons/en then lessons/zh, as paths (at most
 * cap); returns how many. */
static inline int shipped_lesson_paths(char (*paths)[256], int cap)
{
    static const char *const dirs[] = {"lessons/en", "lessons/zh"};
    int n = 0;
    for (size_t d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        assert_non_null(dir);
        for (struct dirent *de; (de = readdir(dir)) != NULL && n < cap;) {
            const size_t len = strlen(de->d_name);
            if (len < 8 || strcmp(de->d_name + len - 7, ".lesson")) continue;
            snprintf(paths[n++], 256, "%s/%s", dirs[d], de->d_name);
        }
        closedir(dir);
    }
    return n;
}

/* An App playing the lesson at path from its first slide (zh for a file
 * under lessons/zh). */
static inline void start_shipped_lesson(App *a, const char *path)
{
    char err[256];
    assert_int_equal(build_lesson_app(a, strstr(path, "/zh/") ? "--lang zh" : "", err), 0);
    Lesson *l = calloc(1, sizeof *l);
    assert_non_null(l);
    if (lesson_load(path, l, err, sizeof err)) fail_msg("%s: %s", path, err);
    assert_int_equal(app_lesson_start(a, l, err, sizeof err), 0);
}

static inline char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

/* Render one scenario at w x h; returns the dump (caller frees). */
static inline char *render(const Scenario *sc, int w, int h, App *a)
{
    char err[256];
    if (build_app(a, sc->args, err)) fail_msg("%s: %s", sc->name, err);
    int keys[64];
    int n = frames_parse_keys(sc->keys, keys, 64, err, sizeof err);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) app_handle_key(a, keys[i]);
    Canvas c;
    assert_int_equal(canvas_init(&c, w, h), 0);
    app_render(a, &c);
    char *text = canvas_dump(&c);
    canvas_free(&c);
    return text;
}

static inline void compare_golden(const char *name, int w, int h, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "tests/golden/%s-%dx%d.txt", name, w, h);
    if (getenv("KVSIM_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return;
    }
    char *want = read_file(path);
    if (!want) fail_msg("missing %s (make it with KVSIM_UPDATE_GOLDEN=1)", path);
    if (strcmp(want, text) != 0) {
        /* show the first differing line */
        const char *p = want, *q = text;
        int line = 1;
        while (*p && *p == *q) { if (*p == '\n') line++; p++; q++; }
        print_message("%s differs at line %d\n--- want\n%s\n--- got\n%s\n", path, line, want, text);
        free(want);
        fail_msg("%s: screen differs from the golden file", path);
    }
    free(want);
}

/* The line of the screen where a box's text starts with `prefix` (at the
 * left edge or after a box's left border, as panels side by side have it),
 * from there to the end of the line; "" when none. */
static inline void screen_line(const char *text, const char *prefix, char *out, size_t len)
{
    out[0] = '\0';
    const char *bar = "\u2502";
    const size_t bl = strlen(bar), pl = strlen(prefix);
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (!strncmp(p, prefix, pl)) {
            snprintf(out, len, "%.*s", (int)n, p);
            return;
        }
        for (const char *q = p; q + bl <= p + n; q++)
            if (!strncmp(q, bar, bl) && !strncmp(q + bl, prefix, pl)) {
                snprintf(out, len, "%.*s", (int)(p + n - q), q);
                return;
            }
        if (!end) break;
        p = end + 1;
    }
}

#endif
