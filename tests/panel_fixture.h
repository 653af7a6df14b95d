/* panel_fixture: an App from a kvsim command line and canvas helpers, for
 * the panel tests (tests/test_panel_next.c, _heads.c, _vectors.c, _attn.c,
 * _cache.c, _pool.c, _chart.c). Header
 * only: each test is one translation unit. */
#ifndef KVSIM_PANEL_FIXTURE_H
#define KVSIM_PANEL_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/modelfile.h"
#include "sim/tokenizer.h"
#include "ui/app.h"
#include "ui/panels/panels.h"

/* The model file of the App alive now (--model), as main() loads it; the
 * tokenizer uses its alphabet until fx_app_del(). */
static ModelFile fx_mf;
static bool fx_mf_loaded;

/* An App from a kvsim command line, as main() would build it. */
static inline App *fx_app_new(int argc, const char *const *args)
{
    char *argv[32];
    CliOptions o;
    char err[256];
    assert_true(argc < 32);
    for (int i = 0; i < argc; i++) argv[i] = (char *)args[i];
    argv[argc] = NULL;
    assert_int_equal(cli_parse(argc, argv, &o, err, sizeof err), 0);
    if (o.model_path) {
        assert_false(fx_mf_loaded);
        if (modelfile_load(&fx_mf, o.model_path, err, sizeof err)) fail_msg("%s", err);
        assert_int_equal(modelfile_apply(&fx_mf, o.model_path, &o.cfg, 0, err, sizeof err), 0);
        tokenizer_use_alphabet(fx_mf.alphabet, fx_mf.model.cfg.vocab);
        fx_mf_loaded = true;
    }
    int *ids = malloc(sizeof(int) * (size_t)o.cfg.max_seq);
    assert_non_null(ids);
    int L = cli_prepare(&o, ids, o.cfg.max_seq, err, sizeof err);
    assert_true(L > 0);
    App *a = calloc(1, sizeof *a);
    assert_non_null(a);
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
    free(ids);
    return a;
}

/* An App on the shipped trained model, as the binary builds it when no
 * --model is given (fx_app_new's shape options run the seeded random
 * model, whose drafts are rarely accepted). One at a time: free it with
 * fx_trained_app_del(). */
static ModelFile fx_trained;

static inline App *fx_trained_app_new(int argc, const char *const *args)
{
    char *argv[16], err[256];
    CliOptions o;
    assert_true(argc < 16);
    for (int i = 0; i < argc; i++) argv[i] = (char *)args[i];
    argv[argc] = NULL;
    cli_model_free(&fx_trained);
    assert_int_equal(cli_parse(argc, argv, &o, err, sizeof err), 0);
    if (cli_use_model(&o, &fx_trained, err, sizeof err)) fail_msg("%s", err);
    int ids[128];
    const int L = cli_prepare(&o, ids, 128, err, sizeof err);
    assert_true(L > 0);
    App *a = calloc(1, sizeof *a);
    assert_non_null(a);
    assert_int_equal(app_init(a, &o, ids, L, err, sizeof err), 0);
    return a;
}

static inline void fx_trained_app_del(App *a)
{
    app_free(a);
    free(a);
    cli_model_free(&fx_trained);
}

#define FX_TRAINED_APP(...)                                                                       \
    fx_trained_app_new((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)), \
                       (const char *const[]){__VA_ARGS__})

static inline void fx_app_del(App *a)
{
    app_free(a);
    free(a);
    if (fx_mf_loaded) {
        tokenizer_use_alphabet(NULL, 0);
        modelfile_free(&fx_mf);
        fx_mf_loaded = false;
    }
}

#define FX_APP(...)                                                                   \
    fx_app_new((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)), \
               (const char *const[]){__VA_ARGS__})

/* Move the app's primary engine to just after operation (kind, layer) of
 * step k (layer ignored outside the layers), and the rest with it. */
static inline void fx_seek_op(App *a, int k, OpKind kind, int layer)
{
    const long p = run_op_pos(app_engine(a), k, kind, layer);
    assert_true(p > 0);
    run_seek(&a->run, app_primary_mode(a), p);
}

/* Line y of the canvas as UTF-8 (static buffer). */
static inline const char *fx_line(const Canvas *c, int y)
{
    static char buf[4096];
    char *dump = canvas_dump(c);
    assert_non_null(dump);
    const char *s = dump;
    for (int i = 0; i < y && s; i++) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    assert_non_null(s);
    const char *e = strchr(s, '\n');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    free(dump);
    return buf;
}

/* Whether the canvas text contains s. */
static inline bool fx_has(const Canvas *c, const char *s)
{
    char *dump = canvas_dump(c);
    assert_non_null(dump);
    const bool r = strstr(dump, s) != NULL;
    free(dump);
    return r;
}

/* Draw panel fn into a fresh w×h canvas (caller frees it). */
static inline void fx_draw(PanelDraw fn, const App *a, Canvas *c, int w, int h)
{
    assert_int_equal(canvas_init(c, w, h), 0);
    canvas_set_ascii(c, a->opt.ascii);
    fn(a, app_engine(a), c, (Rect){0, 0, w, h});
}

/* Draw fn for engine e into the w×h rect at (5, 5) of c, a 60×20 canvas
 * filled with '#', and assert that no cell outside the rect changed: a
 * panel never writes past its box, at any size down to 0×0. */
static inline void fx_draw_inside(PanelDraw fn, const App *a, const Engine *e, Canvas *c, int w, int h)
{
    canvas_clear(c);
    canvas_fill(c, (Rect){0, 0, 60, 20}, '#', 0);
    canvas_set_clip(c, (Rect){5, 5, w, h});
    fn(a, e, c, (Rect){5, 5, w, h});
    canvas_reset_clip(c);
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 60; x++)
            if (x < 5 || y < 5 || x >= 5 + w || y >= 5 + h) assert_int_equal(canvas_at(c, x, y)->cp, '#');
}

#endif
