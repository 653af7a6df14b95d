/* test_modelfile: the model file format (sim/modelfile.h).
 *
 * A round trip keeps every bit (weights, alphabet, config, optimiser
 * state); then a catalogue of bad files, each made from a good one by one
 * change (the checksum re-stamped where the change is not about the
 * checksum), must be refused with the expected one-line reason; a model
 * loaded from a file drives the engine exactly like the weights in memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/modelfile.h"
#include "sim/tokenizer.h"
#include "sim/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small model over the alphabet "abc .我是" (V = 8). */
static const char *const letters = "abc .\xE6\x88\x91\xE6\x98\xAF";   /* abc .我是 */

static void small_model(Model *m, int32_t *alpha)
{
    KvConfig c = config_default();
    c.vocab = 7;
    c.d_model = 8;
    c.n_heads = 2;
    c.n_kv_heads = 1;
    c.d_ff = 12;
    c.max_seq = 16;
    c.window = 5;
    c.seed = 1234;
    assert_int_equal(model_alloc(m, &c), 0);
    train_init_weights(m, 5);
    int n = 0;
    for (const char *s = letters; *s;) {
        int32_t cp;
        s += utf8_next(s, &cp);
        alpha[n++] = cp;
    }
    assert_int_equal(n, 7);
}

static void restamp(unsigned char *b, size_t len)
{
    const uint32_t crc = modelfile_crc32(b, len - 4);
    for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(crc >> (8 * i));
}

static void test_crc32(void **state)
{
    (void)state;
    /* the standard check value of CRC-32/IEEE */
    assert_int_equal(modelfile_crc32((const unsigned char *)"123456789", 9), 0xCBF43926u);
}

static void test_round_trip(void **state)
{
    (void)state;
    Model m;
    int32_t alpha[8];
    small_model(&m, alpha);
    size_t len = 0;
    unsigned char *b = modelfile_encode(&m, alpha, NULL, &len);
    assert_non_null(b);
    ModelFile f;
    char err[256];
    assert_int_equal(modelfile_parse(&f, b, len, err, sizeof err), 0);
    assert_int_equal(f.model.cfg.vocab, 7);
    assert_int_equal(f.model.cfg.n_kv_heads, 1);
    assert_int_equal(f.model.cfg.window, 5);
    assert_true(f.model.cfg.seed == 1234);
    assert_memory_equal(f.alphabet, alpha, sizeof(int32_t) * 7);
    float *p[16], *q[16];
    size_t n[16];
    const int k = model_arrays(&m, p, n, 16);
    model_arrays(&f.model, q, n, 16);
    for (int i = 0; i < k; i++) assert_memory_equal(p[i], q[i], sizeof(float) * n[i]);
    assert_int_equal(f.has_state, 0);
    modelfile_free(&f);
    free(b);

    /* with optimiser state */
    ModelFileState st = {.step = 77, .rng = 0x123456789ULL};
    assert_int_equal(model_alloc(&st.adam_m, &m.cfg), 0);
    assert_int_equal(model_alloc(&st.adam_v, &m.cfg), 0);
    st.adam_m.wq[3] = -0.5f;
    st.adam_v.w2[1] = 0.25f;
    b = modelfile_encode(&m, alpha, &st, &len);
    assert_int_equal(modelfile_parse(&f, b, len, err, sizeof err), 0);
    assert_int_equal(f.has_state, 1);
    assert_true(f.state.step == 77 && f.state.rng == 0x123456789ULL);
    assert_true(f.state.adam_m.wq[3] == -0.5f && f.state.adam_v.w2[1] == 0.25f);
    modelfile_free(&f);
    free(b);
    model_free(&st.adam_m);
    model_free(&st.adam_v);

    /* save and load through a file */
    char path[] = "/tmp/kvsim_modelfile_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(modelfile_save(path, &m, alpha, NULL, err, sizeof err), 0);
    assert_int_equal(modelfile_load(&f, path, err, sizeof err), 0);
    assert_memory_equal(f.model.wout, m.wout, sizeof(float) * 8 * 7);
    modelfile_free(&f);
    remove(path);
    assert_int_equal(modelfile_load(&f, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    model_free(&m);
}

typedef struct {
    const char *name;
    size_t at;          /* byte to change (from the start; SIZE_MAX = none) */
    int value;          /* new byte value */
    long cut;           /* > 0: keep only this many bytes; < 0: append -cut bytes */
    int restamp;        /* fix the checksum after the change */
    const char *expect; /* substring of the message */
} BadFile;

/* Offsets: header 60 bytes, then the alphabet (a b c space . 我 是 =
 * 5 + 3 + 3 = 11 bytes), then the weights (tok_emb first). */
#define ALPHA 60
#define WEIGHTS (60 + 11)

static void test_bad_files(void **state)
{
    (void)state;
    Model m;
    int32_t alpha[8];
    small_model(&m, alpha);
    size_t len = 0;
    unsigned char *good = modelfile_encode(&m, alpha, NULL, &len);
    const BadFile cat[] = {
        {"empty", SIZE_MAX, 0, 0 + 1, 0, "not a kvsim model file"},
        {"wrong magic", 0, 'X', 0, 1, "not a kvsim model file"},
        {"header only", SIZE_MAX, 0, 40, 0, "truncated"},
        {"version 2", 8, 2, 0, 1, "version 2"},
        {"unknown flag", 12, 4, 0, 1, "unknown flags"},
        {"zero vocab", 16, 0, 0, 1, "config field 0"},
        {"heads do not divide d", 24, 3, 0, 1, "divisible"},
        {"kv-heads do not divide heads", 28, 3, 0, 1, "kv-heads"},
        {"vocab disagrees with the size", 16, 6, 0, 1, "trailing bytes"},
        {"alphabet bytes too few", 56, 3, 0, 1, "cannot hold"},
        {"bad UTF-8 in alphabet", ALPHA + 5, 0xFF, 0, 1, "invalid UTF-8"},
        {"NUL in alphabet", ALPHA + 1, 0, 0, 1, "invalid UTF-8"},
        {"repeated alphabet entry", ALPHA + 1, 'a', 0, 1, "repeats"},
        {"control character in alphabet", ALPHA + 2, '\t', 0, 1, "not in kvsim's alphabet"},
        {"truncated weights", SIZE_MAX, 0, 200, 0, "truncated"},
        {"one byte short", SIZE_MAX, 0, -0, 0, "truncated"},
        {"trailing byte", SIZE_MAX, 0, -1, 0, "trailing bytes"},
        {"NaN weight", WEIGHTS + 3, 0x7F, 0, 1, "not a finite number"},
        {"checksum", WEIGHTS + 9, 0x55, 0, 0, "checksum mismatch"},
    };
    for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++) {
        const BadFile *c = &cat[i];
        size_t n = len + 1;
        unsigned char *b = malloc(n);
        memcpy(b, good, len);
        n = len;
        if (c->cut > 0) n = (size_t)c->cut;
        if (!strcmp(c->name, "empty")) n = 0;
        if (!strcmp(c->name, "one byte short")) n = len - 1;
        if (c->cut < 0) b[n++] = 0;
        if (c->at != SIZE_MAX) b[c->at] = (unsigned char)c->value;
        if (!strcmp(c->name, "NaN weight")) b[c->at - 1] = 0xC0;   /* 0x7FC0xxxx: a quiet NaN */
        if (c->restamp) restamp(b, n);
        ModelFile f;
        char err[256] = "";
        const int rc = modelfile_parse(&f, b, n, err, sizeof err);
        if (rc != -1 || !strstr(err, c->expect))
            fprintf(stderr, "bad file '%s': rc %d, message '%s' (expected '%s')\n", c->name, rc, err,
                    c->expect);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, c->expect));
        assert_null(strchr(err, '\n'));   /* one line */
        free(b);
    }
    free(good);
    model_free(&m);
}

/* An infinite weight in every tensor position is caught, not only the first. */
static void test_inf_anywhere(void **state)
{
    (void)state;
    Model m;
    int32_t alpha[8];
    small_model(&m, alpha);
    m.wout[m.cfg.d_model * m.cfg.vocab - 1] = INFINITY;
    size_t len = 0;
    unsigned char *b = modelfile_encode(&m, alpha, NULL, &len);
    ModelFile f;
    char err[256];
    assert_int_equal(modelfile_parse(&f, b, len, err, sizeof err), -1);
    assert_non_null(strstr(err, "wout[55]"));
    free(b);
    model_free(&m);
}

/* The engine over a loaded model equals the engine over the same weights. */
static void test_loaded_model_runs(void **state)
{
    (void)state;
    Model m;
    int32_t alpha[8];
    small_model(&m, alpha);
    size_t len = 0;
    unsigned char *b = modelfile_encode(&m, alpha, NULL, &len);
    ModelFile f;
    char err[256];
    assert_int_equal(modelfile_parse(&f, b, len, err, sizeof err), 0);
    KvConfig c = f.model.cfg;
    c.weights = &f.model;
    Model copy;
    assert_int_equal(model_init(&copy, &c), 0);
    const int prompt[] = {0, 1, 2, 3, 5, 6};
    Engine e1, e2;
    assert_int_equal(engine_init(&e1, &m, MODE_CACHE, prompt, 6, 5, err, sizeof err), 0);
    assert_int_equal(engine_init(&e2, &copy, MODE_CACHE, prompt, 6, 5, err, sizeof err), 0);
    engine_run_to_end(&e1);
    engine_run_to_end(&e2);
    for (int k = 0; k < 5; k++) assert_int_equal(engine_emitted(&e1, k), engine_emitted(&e2, k));
    engine_free(&e1);
    engine_free(&e2);
    model_free(&copy);
    /* a shape that differs from the file's is refused */
    c.d_ff = 13;
    assert_int_equal(model_init(&copy, &c), -1);
    modelfile_free(&f);
    free(b);
    model_free(&m);
}

/* The built-in default model (sim/modelfile_default.c): its bytes are
 * models/default.kvsim's at build time (run from the repository root),
 * they pass the loader, and they re-encode to themselves. */
static void test_default_model(void **state)
{
    (void)state;
    size_t n = 0;
    const unsigned char *b = modelfile_default_bytes(&n);
    assert_non_null(b);
    assert_true(n > 60);
    FILE *f = fopen("models/default.kvsim", "rb");
    assert_non_null(f);
    unsigned char *disk = malloc(n + 1);
    assert_non_null(disk);
    assert_int_equal(fread(disk, 1, n + 1, f), n);   /* same size: nothing past n */
    fclose(f);
    assert_memory_equal(disk, b, n);
    free(disk);

    ModelFile mf;
    char err[256] = "";
    assert_int_equal(modelfile_load_default(&mf, err, sizeof err), 0);
    assert_true(mf.model.cfg.vocab > 0 && mf.model.cfg.vocab < tokenizer_full_vocab());
    size_t len = 0;
    unsigned char *again = modelfile_encode(&mf.model, mf.alphabet, mf.has_state ? &mf.state : NULL, &len);
    assert_non_null(again);
    assert_int_equal(len, n);
    assert_memory_equal(again, b, n);
    free(again);
    KvConfig cfg = config_default();
    assert_int_equal(modelfile_apply(&mf, MODELFILE_DEFAULT_NAME, &cfg, 0, err, sizeof err), 0);
    assert_string_equal(cfg.model_name, "default.kvsim");
    assert_int_equal(cfg.vocab, mf.model.cfg.vocab);
    modelfile_free(&mf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_inf_anywhere),
        cmocka_unit_test(test_loaded_model_runs),
        cmocka_unit_test(test_default_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
