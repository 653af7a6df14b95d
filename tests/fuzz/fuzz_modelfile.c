/* fuzz_modelfile: libFuzzer target for the model file loader
 * (sim/modelfile.h).
 *
 * The input is a whole file. Besides "no crash, no sanitizer report, no
 * leak", it checks: a refused file gets a non-empty one-line message; an
 * accepted one has a valid shape, V alphabet entries that are all in
 * kvsim's alphabet and distinct, only finite weights, and encodes back to
 * exactly the input bytes (the format has one spelling per model).
 * Seeds: tests/fuzz/corpus/modelfile (a tiny valid model and checkpoint).
 * See tests/fuzz/fuzz.mk. */
#include "sim/modelfile.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_modelfile: invariant failed: %s (%s:%d)\n", #cond,  \
                    __FILE__, __LINE__);                                              \
            abort();                                                                  \
        }                                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ModelFile f;
    char err[256];
    err[0] = '\0';
    if (modelfile_parse(&f, data, size, err, sizeof err) != 0) {
        CHECK(err[0] != '\0');
        CHECK(strchr(err, '\n') == NULL);
        return 0;
    }
    const KvConfig *c = &f.model.cfg;
    CHECK(config_validate(c, 0, 0, err, sizeof err) == 0);
    for (int i = 0; i < c->vocab; i++) {
        CHECK(tokenizer_full_id(f.alphabet[i]) >= 0);
        for (int j = 0; j < i; j++) CHECK(f.alphabet[i] != f.alphabet[j]);
    }
    float *p[16];
    size_t n[16];
    const int k = model_arrays(&f.model, p, n, 16);
    for (int i = 0; i < k; i++)
        for (size_t j = 0; j < n[i]; j++) CHECK(isfinite(p[i][j]));
    size_t len = 0;
    unsigned char *again = modelfile_encode(&f.model, f.alphabet, f.has_state ? &f.state : NULL, &len);
    CHECK(again != NULL);
    CHECK(len == size && memcmp(again, data, size) == 0);
    free(again);
    modelfile_free(&f);
    return 0;
}
