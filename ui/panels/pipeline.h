/* pipeline (private): the Pipeline panel's sentence, shared by its two
 * files: pipeline.c draws the chain of operations and the sentence,
 * pipeline_say.c writes the sentence for the operation on screen.
 *
 * Every number in the sentence comes from the engine's state (n, t, p0,
 * k_lo, drafted, accepted, emitted, the step plans, the cache) or from the
 * attention rule in sim/config.h, so it matches the Operations panel and
 * the other panels of the same screen in every mode: a prefill in chunks
 * (§6.7), a verify step (§6.9), a sliding window (§6.3).
 */
#ifndef KVSIM_PANEL_PIPELINE_H
#define KVSIM_PANEL_PIPELINE_H

#include "ui/app.h"

#include <stddef.h>

/* A sentence being written: s holds len bytes, always NUL-terminated. */
typedef struct {
    char s[512];
    size_t len;
} Buf;

/* Append printf-style text to b (cut at the end of the buffer). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void pipeline_add(Buf *b, const char *fmt, ...);

/* The sentence for the operation just done (pos-1) of e: the core into b,
 * an optional detail (drawn only when the whole still fits) into x. */
void pipeline_describe(const App *a, const Engine *e, Buf *b, Buf *x);

#endif
