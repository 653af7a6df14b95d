/* layout: the terminal's size -> one rectangle per panel.
 *
 * Fixed rows: a header line, the Tokens box (3 rows), the Pipeline box
 * (4 rows) and a footer line; the rest is split between the middle row of
 * panels (mask, attention, KV cache; in the compare view two masks and two
 * caches) and the Operations + chart row. Extra room goes to the panels,
 * so they grow with the terminal. Below APP_MIN_W x APP_MIN_H nothing is
 * laid out: the screen says it is too small.
 *
 * The memory view replaces the middle row with the KV blocks (pool) and
 * Memory traffic panels: stacked below 140 columns, side by side from 140.
 * They come first: Pipeline and Operations + chart are added only when the
 * two still get their minimum height (at 80x24 they are left out).
 */
#ifndef KVSIM_LAYOUT_H
#define KVSIM_LAYOUT_H

#include "ui/canvas.h"
#include "ui/cmd/cli.h"

#include <stdbool.h>

typedef struct {
    bool too_small;
    Rect header, tokens, pipeline, footer;
    Rect mask, attention, kvcache;     /* single views */
    Rect mask2, kvcache2;              /* compare view: the recompute side */
    Rect ops, chart;
    Rect pool, traffic, roofline;      /* memory view (roofline: carved from traffic when tall) */
    Rect lesson;                       /* lesson pane (lesson mode only) */
    /* set by panels_arrange() (ui/panels/panels.c), not by layout_compute():
     * they depend on the App's toggles, not only on the size */
    Rect next, loss;                   /* carved from the KV cache panel's rect */
    Rect heads;                        /* all-heads overview (A): in the attention panel's place */
    Rect vectors;                      /* vector inspector (v): the middle and Operations rows */
} Layout;

/* point: -1 outside a lesson; else the LessonPoint of the slide. In a
 * lesson the pane takes a right column (w >= 150) or the lower part of the
 * screen, and the upper part shows the panels the slide points at. Panels
 * not shown get an empty rect (w = h = 0). */
void layout_compute(View view, int point, int w, int h, Layout *out);

#endif
