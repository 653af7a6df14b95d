/* kvcache (private): what the KV cache panel's two files share
 * (ui/panels/kvcache.c: which rows exist, their columns, the rows, the
 * header and where each line goes; kvcache_lines.c: the lines of text
 * under the rows and the shades' legend). Private to the panel: nothing
 * else includes it. Not to be confused with sim/kvcache.h, the store
 * itself, which the panel reads through the engine.
 *
 * Order of a draw, which the lines rely on: kvcache.c finds the rows
 * first (nrows, first_new, kind, lo), then makes the status text and
 * draws the bottom lines, and only then plans the columns (markw,
 * short_marks, numw, cells, kmax, vmax). So the status line is drawn last,
 * once the marks' look is known (markw 0 and short_marks false when no row
 * fits), and the legend after the rows, with the scale they were shaded by.
 */
#ifndef KVSIM_UI_PANELS_KVCACHE_H
#define KVSIM_UI_PANELS_KVCACHE_H

#include "ui/panels/panels.h"

#include <stdbool.h>
#include <stddef.h>

/* What a row is this step: kept from an earlier step, new this step
 * (cache), recomputed this step (recompute), discarded (a rolled-back
 * draft, or every row once a recompute step is over), or a row of the one
 * training pass. */
typedef enum { ROW_KEPT, ROW_NEW, ROW_REDONE, ROW_GONE, ROW_PASS } RowKind;

typedef struct {
    const App *a;
    const Engine *e;
    Canvas *c;
    Rect in;          /* inside the border */
    int layer, off;   /* selected layer; first float of the head's slice */
    int lo;           /* first position still held (a window's ring evicts older ones) */
    int dh;           /* values per head */
    int nrows;        /* rows of this layer that exist now */
    RowKind kind;     /* kind of this step's rows (p0..t-1, or all of them) */
    int first_new;    /* first row of this step (cache mode) */
    /* column geometry */
    int posw, tokw, markw, cells;
    int numw;         /* columns per value as a number ("+0.42 " 6, "+0.4 " 5); 0 = shades */
    bool short_marks;
    bool changed;     /* the operation shown just wrote (Q/K/V) or kept (append) this step's rows */
    float kmax, vmax; /* shade scale: max |value| of the prompt rows */
} Ctx;

/* The status sentence for the rows as they are now: long into lg, short
 * into sh (empty when there is no short form); both n bytes. */
void kvcache_lines_status_text(const Ctx *x, char *lg, char *sh, size_t n);
/* One line each at y, in the inner width. */
void kvcache_lines_draw_summary(const Ctx *x, int y, bool with_fill);   /* size = formula = bytes [held/capacity] */
void kvcache_lines_draw_fill(const Ctx *x, int y);                      /* "fill ▕███  ▏ 18/64", or "ring" */
void kvcache_lines_draw_rope(const Ctx *x, int y);                      /* §6.10: newest key before/after RoPE */
void kvcache_lines_draw_bytes(const Ctx *x, int y, bool full);          /* per token, or the full cache */
/* The status line (none when y < 0): the sentence; in cache mode this
 * step's rows worded here, by their mark or, when the marks are short or
 * gone, by position (the line is then all that explains their colour). */
void kvcache_lines_draw_status(const Ctx *x, int y, const char *status, const char *status_sh, bool rolled);
/* What the shades mean, when the values are drawn as shades (numw == 0). */
void kvcache_lines_draw_legend(const Ctx *x, int y);

#endif
