/* mask: what the causal mask panel's two files share (ui/panels/mask.c:
 * the grid, its rows, the K/V line and the panel; mask_legend.c: the
 * legend). Private to the panel: nothing else includes it. */
#ifndef KVSIM_UI_PANELS_MASK_H
#define KVSIM_UI_PANELS_MASK_H

#include "ui/panels/panels.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { ROW_PENDING, ROW_COMPUTED, ROW_IDLE } RowKind;

/* Legend entries, as bits, set while drawing so only what is on screen is explained. */
enum {
    LG_WEIGHT = 1, LG_KEPT = 2, LG_MASKED = 4, LG_PENDING = 8, LG_IDLE = 16, LG_REDONE = 32,
    LG_EVICTED = 64, LG_CACHED = 128, LG_APPENDED = 256, LG_ROLLED = 512,
    LG_INDEX = 1024   /* the key header shows positions mod 10 */
};

typedef struct {
    const App *a;
    const Engine *e;
    Canvas *c;
    int layer, head;
    bool mask_done, soft_done, redo;
    bool kv_line;   /* cache mode: the K/V line under the key header */
    bool live;      /* the live row's cells changed with the operation shown */
    int tokw;       /* columns of a key token: 2 when any token is wide */
    int labw;       /* columns of a row label (quoted tokens take 3) */
    int lab;        /* columns before the first cell: label, marker, gap (4 with the K/V line) */
    int cw;         /* columns per grid cell: 1, 2 (glyph + gap), more in presenter mode */
    int rh;         /* lines per grid row: 1, more in presenter mode */
    bool hquote;    /* the key header quotes digits and punctuation (needs a gap each side) */
    bool hindex;    /* the key header shows positions mod 10 (quoting would cost columns) */
    unsigned shown; /* LG_* bits drawn */
} Grid;

static inline int32_t g_masked(const Canvas *c) { return c->ascii ? 'x' : 0x00D7; }   /* × */
static inline int32_t g_pending(const Canvas *c) { return c->ascii ? '-' : 0x00B7; }  /* · */
static inline int32_t g_redone(const Canvas *c) { return c->ascii ? '*' : 0x21BB; }   /* ↻ */
static inline int32_t g_cached(const Canvas *c) { return c->ascii ? '=' : 0x2501; }   /* ━ */
enum { G_APPENDED = '+' };   /* this step's own K/V column */

/* Lay the legend entries drawn (g->shown) out over at most `lines` lines
 * of width w at (x, y), in priority order; draws when c is non-NULL.
 * Labels: 0 long, 1 long when it fits a line by itself else short, 2
 * short, 3 tiny. Returns the lines used; *dropped gets the LG_* bits of
 * the entries that did not fit, 0 when all did (mask_legend.c). */
int mask_legend_layout(const Grid *g, Canvas *c, int x, int y, int w, int lines, int shrt, unsigned *dropped);

#endif
