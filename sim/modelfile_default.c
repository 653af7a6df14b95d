/* modelfile_default: the shipped trained model, built into the binary.
 * See modelfile.h; the bytes come from models/default.kvsim through
 * tools/embed (the Makefile's build/gen/default_model.c). */
#include "sim/modelfile.h"

#include <stdio.h>

/* build/gen/default_model.c (generated) */
extern const unsigned char kvsim_default_model[];
extern const size_t kvsim_default_model_len;

const unsigned char *modelfile_default_bytes(size_t *len)
{
    *len = kvsim_default_model_len;
    return kvsim_default_model;
}

int modelfile_load_default(ModelFile *f, char *err, size_t errlen)
{
    char msg[256];
    /* the same validating parser as --model FILE: a broken models/default.kvsim
     * in a build is refused here, named, instead of running garbage */
    if (modelfile_parse(f, kvsim_default_model, kvsim_default_model_len, msg, sizeof msg)) {
        snprintf(err, errlen, "the built-in model %s: %s", MODELFILE_DEFAULT_NAME, msg);
        return -1;
    }
    return 0;
}
