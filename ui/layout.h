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

#include "ui/app.h"
#include "ui/canvas.h"
#include "ui/cmd/cli.h"

#include <stdbool.h>

typedef struct {
    bool too_small;
    Rect header, tokens, pipeline, footer;
    Rect mask, attention, kvcache;     /* single views */
    Rect mask2, kvcache2;              /* compare view: the recompute side */
    Rect ops, chart;
    Rect chart_step;                   /* MACs of each step (beside the cumulative chart when wide) */
    Rect cost;                         /* presenter mode: the ratio in big digits */
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
/* The same, knowing t, the positions the mask and attention list now (0:
 * unknown): tall screens size the middle row for them and give the rest
 * to the cost lines and the charts. */
void layout_compute_t(View view, int point, int w, int h, int t, Layout *out);

/* Presenter mode (z, --present): the mask on the left, mask_h rows tall
 * (what it asks for at layout_present_mask_w(w)), the per-step chart
 * under it when 8 rows or more are left; on the right the cost (big
 * ratio), the KV cache (cache_h rows, what it needs) and the cumulative
 * chart under it when 8 rows or more are left; header and footer lines.
 * Nothing else. */
int layout_present_mask_w(int w);
/* The layout app_render() draws the App in at w x h (presenter mode, a
 * lesson's slide, or the full screen); tests check the boxes with it. */
void layout_app(const App *a, int w, int h, Layout *out);

void layout_present(int w, int h, int mask_h, int cache_h, Layout *out);

#endif
