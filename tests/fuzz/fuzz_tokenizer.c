/* fuzz_tokenizer: libFuzzer target for sim/tokenizer.h.
 *
 * The input is a prompt (bytes up to the first NUL, as argv would give it).
 * Besides "no crash, no sanitizer report", it checks the documented
 * invariants and traps when one breaks:
 *   - utf8_next() walks the text; each accepted sequence re-encodes with
 *     utf8_encode() to exactly the same bytes (no overlongs accepted);
 *   - tokenizer_id()/tokenizer_codepoint()/tokenizer_decode() agree;
 *   - tokenizer_encode() returns n <= cap with ids in 0..V-1 whose decoded
 *     bytes are the text again; on error the message is non-empty, one line,
 *     valid UTF-8 (also when truncated to a small errlen), and ids[] beyond
 *     cap are never written.
 * See tests/fuzz/fuzz.mk. */
#include "sim/tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_tokenizer: invariant failed: %s (%s:%d)\n", #cond,  \
                    __FILE__, __LINE__);                                              \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define GUARD 0x5a5a5a5a

/* A message: non-empty when required, NUL within errlen, no control bytes
 * (one line), and valid UTF-8. */
static void check_msg(const char *err, size_t errlen, int nonempty)
{
    size_t n = strnlen(err, errlen);
    CHECK(n < errlen);
    if (nonempty && errlen > 1) CHECK(n > 0);
    for (size_t i = 0; i < n; i++) CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
    const char *p = err;
    while (*p) {
        int32_t cp;
        int len = utf8_next(p, &cp);
        CHECK(len > 0);
        p += len;
    }
}

static void encode_with(const char *text, size_t textlen, int cap, size_t errlen)
{
    int ncap = cap > 0 ? cap : 0;
    int *ids = malloc(sizeof(int) * ((size_t)ncap + 4));
    char *err = malloc(errlen);
    if (!ids || !err) abort();
    for (int i = 0; i < ncap + 4; i++) ids[i] = GUARD;
    memset(err, 'x', errlen);
    const int V = tokenizer_vocab();

    int n = tokenizer_encode(text, ids, cap, err, errlen);
    CHECK(n >= -1);
    for (int i = ncap; i < ncap + 4; i++) CHECK(ids[i] == GUARD);  /* nothing beyond cap */
    if (n >= 0) {
        CHECK(n <= ncap);
        /* decoding the ids gives the text back */
        size_t off = 0;
        for (int i = 0; i < n; i++) {
            CHECK(ids[i] >= 0 && ids[i] < V);
            char buf[5];
            int bl = tokenizer_decode(ids[i], buf);
            CHECK(bl >= 1 && bl <= 4 && buf[bl] == '\0');
            CHECK(off + (size_t)bl <= textlen && !memcmp(text + off, buf, (size_t)bl));
            off += (size_t)bl;
            int w = tokenizer_width(ids[i]);
            CHECK(w == 1 || w == 2);
        }
        CHECK(off == textlen);
    } else {
        check_msg(err, errlen, 1);
    }
    free(ids);
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const size_t textlen = strlen(text);
    const int V = tokenizer_vocab();
    CHECK(V > 95);

    /* utf8_next over the whole text: each accepted sequence round-trips */
    size_t off = 0;
    int chars = 0;
    while (off < textlen) {
        int32_t cp = -12345;
        int len = utf8_next(text + off, &cp);
        CHECK(len >= -1 && len <= 4 && len != 0);
        if (len < 0) { off++; continue; }   /* resynchronise at the next byte */
        CHECK(off + (size_t)len <= textlen);
        CHECK(cp >= 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
        char enc[4];
        int el = utf8_encode(cp, enc);
        CHECK(el == len && !memcmp(enc, text + off, (size_t)len));
        int id = tokenizer_id(cp);
        CHECK(id >= -1 && id < V);
        if (id >= 0) {
            CHECK(tokenizer_codepoint(id) == cp);
            char dec[5];
            CHECK(tokenizer_decode(id, dec) == len && !memcmp(dec, text + off, (size_t)len));
        }
        off += (size_t)len;
        chars++;
    }
    int32_t cp0;
    CHECK(utf8_next(text + textlen, &cp0) == 0);

    /* arbitrary ints as ids and code points */
    if (size >= 4) {
        int32_t x;
        memcpy(&x, data, 4);
        int id = tokenizer_id(x);
        CHECK(id >= -1 && id < V);
        if (id >= 0) CHECK(tokenizer_codepoint(id) == x);
        int32_t c = tokenizer_codepoint((int)x);
        CHECK(c == -1 || tokenizer_id(c) == (int)x);
        char dec[5];
        int bl = tokenizer_decode((int)x, dec);
        CHECK((bl == 0) == (x < 0 || x >= V));
    }

    /* encode with room for everything, with the CLI's default cap, with too
     * little room, with none, and with small and odd error buffers */
    const size_t small = 1 + (size ? data[0] % 48 : 0);
    encode_with(text, textlen, chars + 1, 256);
    encode_with(text, textlen, 64, small);
    encode_with(text, textlen, chars > 0 ? chars - 1 : 0, 256);
    encode_with(text, textlen, 0, 1);
    encode_with(text, textlen, -5, small);
    /* a NULL error buffer is allowed */
    int tmp[8];
    (void)tokenizer_encode(text, tmp, 8, NULL, 0);

    free(text);
    return 0;
}
