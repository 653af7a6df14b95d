/* weights: which model a lesson slide runs (docs/lessons.md, `model:
 * weights=`): the seeded random model of spec §1 with the full alphabet
 * (the default, every shape option applies), or kvsim's shipped trained
 * model (spec §7) with its own shape and alphabet. A lesson can name no
 * other model file: its answers must not depend on what a user has on disk.
 *
 * The shipped model is the one built into the binary (modelfile_load_default,
 * models/default.kvsim at build time), parsed once, on first use, and kept
 * for the life of the process (the loaded weights are borrowed by every
 * KvConfig that runs them, config.h).
 *
 * The alphabet is process-wide state (sim/tokenizer.h): lesson_weights_apply
 * switches it to the slide's model, so call it before encoding the slide's
 * prompts and before drawing the slide.
 */
#ifndef KVSIM_LESSONS_WEIGHTS_H
#define KVSIM_LESSONS_WEIGHTS_H

#include "lessons/lesson.h"
#include "sim/modelfile.h"

#include <stddef.h>

/* The name the trained model is shown under (trace JSON's "model"). */
#define LESSON_TRAINED_NAME MODELFILE_DEFAULT_NAME

/* The shipped trained model; 0, or -1 with one line in err (the file is
 * missing or bad). */
int lesson_trained_model(const ModelFile **out, char *err, size_t errlen);

/* Make *cfg (a slide's accumulated model options) run the slide's
 * weights: for weights=trained the shipped model's shape, weights and
 * alphabet (cfg keeps its run options: window, block size, chunk,
 * speculate, prefix cache, and max-seq when the slide gave one no larger
 * than the model's); otherwise the random model with the full alphabet.
 * Switches the tokenizer's alphabet. 0, or -1 with one line in err. */
int lesson_weights_apply(const SlideSetup *s, KvConfig *cfg, char *err, size_t errlen);

#endif
