/* export: the model's weights and every intermediate value of a run, as
 * JSON, so that any number kvsim shows can be recomputed independently
 * (e.g. by tests/export_check.py). The layout is documented in
 * docs/export.md.
 */
#ifndef KVSIM_EXPORT_H
#define KVSIM_EXPORT_H

#include "sim/model.h"

#include <stdio.h>

/* Run prompt ids[0..L-1] for G steps in cache mode and write the JSON to f.
 * The model's config must pass config_validate(L, G). Returns 0, or -1
 * with a one-line message (out of memory). */
int export_write_json(FILE *f, const Model *m, const char *prompt, const int *ids, int L, int G,
                      char *err, size_t errlen);

#endif
