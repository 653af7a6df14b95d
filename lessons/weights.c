/* weights: see weights.h. */
#include "lessons/weights.h"

#include "sim/tokenizer.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static ModelFile shipped;   /* loaded once; never freed (borrowed by configs) */
static bool shipped_ok;

int lesson_trained_model(const ModelFile **out, char *err, size_t errlen)
{
    if (!shipped_ok) {
        /* the bytes built into the binary (sim/modelfile_default.c): the same
         * model wherever kvsim runs, installed or not */
        char msg[512];
        if (modelfile_load_default(&shipped, msg, sizeof msg)) {
            snprintf(err, errlen, "weights=trained: %s", msg);
            return -1;
        }
        shipped_ok = true;
    }
    *out = &shipped;
    return 0;
}

int lesson_weights_apply(const SlideSetup *s, KvConfig *cfg, char *err, size_t errlen)
{
    if (!s->trained) {
        tokenizer_use_alphabet(NULL, 0);
        cfg->vocab = tokenizer_vocab();
        cfg->weights = NULL;
        cfg->model_name = NULL;
        return 0;
    }
    const ModelFile *f = NULL;
    if (lesson_trained_model(&f, err, errlen)) return -1;
    const bool max_seq_given = (s->set & SETUP_BIT(SET_MAX_SEQ)) != 0;
    if (modelfile_apply(f, LESSON_TRAINED_NAME, cfg, max_seq_given, err, errlen)) return -1;
    tokenizer_use_alphabet(f->alphabet, f->model.cfg.vocab);
    return 0;
}
