/* layout: see layout.h. */
#include "ui/layout.h"

#include "lessons/lesson.h"
#include "ui/lesson_play.h"
#include "ui/app.h"
#include "ui/panels/panels.h"

#include <string.h>

static Rect rect(int x, int y, int w, int h)
{
    Rect r = {x, y, w, h};
    return r;
}

/* The middle row: mask, attention, KV cache (compare: two masks, two caches). */
static void middle(View view, Rect a, Layout *o)
{
    if (view == VIEW_COMPARE) {
        /* cache on the left half, recompute on the right: mask, then cache */
        int half = a.w / 2;
        int mw = half * 45 / 100;
        o->mask = rect(a.x, a.y, mw, a.h);
        o->kvcache = rect(a.x + mw, a.y, half - mw, a.h);
        o->mask2 = rect(a.x + half, a.y, mw, a.h);
        o->kvcache2 = rect(a.x + half + mw, a.y, a.w - half - mw, a.h);
        return;
    }
    /* the mask is t cells wide: give it more of a wide screen */
    int mw = a.w >= 160 ? a.w * 36 / 100 : a.w * 30 / 100;
    int aw = a.w >= 160 ? a.w * 32 / 100 : a.w * 36 / 100;
    o->mask = rect(a.x, a.y, mw, a.h);
    o->attention = rect(a.x + mw, a.y, aw, a.h);
    o->kvcache = rect(a.x + mw + aw, a.y, a.w - mw - aw, a.h);
}

/* The Operations box and the chart beside it. */
static void ops_row(Rect a, Layout *o)
{
    /* 58 columns keep every number of the compact table in one short
     * format at 80 columns (the chart copes with 22) */
    int ops_w = a.w * 62 / 100;
    if (ops_w < 58) ops_w = 58;
    o->ops = rect(a.x, a.y, ops_w, a.h);
    const int cw = a.w - ops_w;
    if (cw >= 44 && a.h >= 9) {
        /* per step (a line with the cache, a curve without) beside the sums */
        o->chart_step = rect(a.x + ops_w, a.y, cw / 2, a.h);
        o->chart = rect(a.x + ops_w + cw / 2, a.y, cw - cw / 2, a.h);
        return;
    }
    o->chart = rect(a.x + ops_w, a.y, cw, a.h);
}

/* Memory view: the pool above the traffic panel, or side by side when wide. */
#define MEM_SIDE_W 140          /* side by side from this width */
#define MEM_TRAFFIC_H 8         /* stacked: the traffic panel's minimum height */
#define MEM_MIN_H_STACKED 19    /* stacked: pool (11) + traffic (8) */
#define MEM_MIN_H_SIDE 14       /* side by side */

static void memory_middle(Rect a, Layout *o)
{
    if (a.w >= MEM_SIDE_W) {
        int pw = a.w * 58 / 100;
        o->pool = rect(a.x, a.y, pw, a.h);
        o->traffic = rect(a.x + pw, a.y, a.w - pw, a.h);
        o->roofline = panel_roofline_carve(&o->traffic);
        return;
    }
    /* stacked: the traffic panel grows a little with the height, the pool more */
    int th = MEM_TRAFFIC_H + (a.h - MEM_MIN_H_STACKED + 1) / 2;
    if (th > 14) th = 14;
    if (th < MEM_TRAFFIC_H) th = a.h / 2;
    o->pool = rect(a.x, a.y, a.w, a.h - th);
    o->traffic = rect(a.x, a.y + a.h - th, a.w, th);
    o->roofline = panel_roofline_carve(&o->traffic);
}

/* Memory view, every panel that fits in w x h. */
static void memory_full(int w, int h, Layout *o)
{
    o->header = rect(0, 0, w, 1);
    o->tokens = rect(0, 1, w, 3);
    o->footer = rect(0, h - 1, w, 1);
    const int top = 4, avail = h - 5;
    const int need = w >= MEM_SIDE_W ? MEM_MIN_H_SIDE : MEM_MIN_H_STACKED;
    /* Operations + chart first (7 rows), then the Pipeline, then a taller
     * Operations table, each only while the middle keeps its minimum */
    const int spare = avail - need, want_pipe = h >= 30 && w < 160 ? 5 : 4;   /* wide: the sentence on one line */
    int pipe_h = 0, ops_h = 0;
    if (spare >= 7) ops_h = 7;
    if (spare - ops_h >= want_pipe) pipe_h = want_pipe;
    if (ops_h) {
        const int extra = spare - pipe_h - ops_h;
        ops_h = extra >= 6 ? 13 : extra >= 4 ? 11 : 7;
    }
    const int mid_h = avail - pipe_h - ops_h;
    if (pipe_h) o->pipeline = rect(0, h - 1 - pipe_h, w, pipe_h);
    if (ops_h) ops_row(rect(0, top + mid_h, w, ops_h), o);
    memory_middle(rect(0, top, w, mid_h), o);
}

/* Every panel, in a w x h area at the top left; t (0: unknown) is the
 * number of positions the mask and attention panels list. */
static void full(View view, int w, int h, int t, Layout *o)
{
    if (view == VIEW_MEMORY) {
        memory_full(w, h, o);
        return;
    }
    o->header = rect(0, 0, w, 1);
    o->tokens = rect(0, 1, w, 3);
    o->footer = rect(0, h - 1, w, 1);
    /* the pipeline's sentence gets a second line once there is room (wide
     * screens say it on one line) */
    const int pipe_h = h >= 30 && w < 160 ? 5 : 4;
    o->pipeline = rect(0, h - 1 - pipe_h, w, pipe_h);
    /* rows between the Tokens and Pipeline boxes; Operations stays compact
     * (7 rows) until there is room for its full table */
    const int top = 4, avail = h - 5 - pipe_h;
    const int ops_h = avail >= 30 ? 13 : avail >= 24 ? 11 : 7;
    if (avail >= 44 && view != VIEW_TRAIN) {
        /* tall: the middle row as tall as its t rows need (no box left a
         * third empty), the cost lines under Operations, the charts beside
         * both as tall as the rest */
        /* the cost box is 4 lines, or 4 around the ratio in big digits (5
         * or 10 rows): the largest that leaves the middle row its t rows */
        const int mid_min = t + 7 > 17 ? t + 7 : 17;
        int cost_h = 6;
        if (avail - ops_h - 17 >= mid_min) cost_h = avail - ops_h - mid_min > 19 ? 19 : avail - ops_h - mid_min;
        else if (avail - ops_h - 12 >= mid_min) cost_h = 12;
        const int mid_h = avail - ops_h - cost_h;
        const int bot = avail - mid_h;
        ops_row(rect(0, top + mid_h, w, bot), o);
        o->ops.h = ops_h;
        o->cost = rect(0, top + mid_h + ops_h, o->ops.w, bot - ops_h);
        middle(view, rect(0, top, w, mid_h), o);
        return;
    }
    const int mid_h = avail - ops_h;
    ops_row(rect(0, top + mid_h, w, ops_h), o);
    middle(view, rect(0, top, w, mid_h), o);
}

void layout_compute(View view, int point, int w, int h, Layout *o)
{
    layout_compute_t(view, point, w, h, 0, o);
}

void layout_compute_t(View view, int point, int w, int h, int t, Layout *o)
{
    memset(o, 0, sizeof *o);
    if (w < APP_MIN_W || h < APP_MIN_H) {
        o->too_small = true;
        return;
    }
    if (point < 0) {
        full(view, w, h, t, o);
        return;
    }
    if (w >= 150) {
        /* wide: the lesson is a column on the right of the full screen */
        const int lw = w * 36 / 100;
        full(view, w - lw, h, t, o);
        o->header.w = o->footer.w = w;
        o->lesson = rect(w - lw, 1, lw, h - 2);
        return;
    }
    /* narrower: the lesson pane below the panels the slide is about */
    o->header = rect(0, 0, w, 1);
    o->tokens = rect(0, 1, w, 3);
    o->footer = rect(0, h - 1, w, 1);
    int lesson_h = (h - 5) * 45 / 100;
    if (lesson_h < 9) lesson_h = 9;
    const int top = 4, up_h = h - 5 - lesson_h;
    o->lesson = rect(0, top + up_h, w, lesson_h);
    Rect up = rect(0, top, w, up_h);
    if (point == POINT_OPS || point == POINT_CHART) {
        ops_row(up, o);
    } else if (view == VIEW_MEMORY) {
        memory_middle(up, o);
    } else if (point == POINT_PIPELINE && up_h >= 12) {
        o->pipeline = rect(0, top, w, 4);
        middle(view, rect(0, top + 4, w, up_h - 4), o);
    } else if (point == POINT_PIPELINE) {
        o->pipeline = rect(0, top, w, up_h);
    } else {
        middle(view, up, o);
    }
}

int layout_present_mask_w(int w)
{
    return w * 52 / 100;
}

void layout_present(int w, int h, int mask_h, int cache_h, Layout *o)
{
    memset(o, 0, sizeof *o);
    if (w < APP_MIN_W || h < APP_MIN_H) {
        o->too_small = true;
        return;
    }
    o->header = rect(0, 0, w, 1);
    o->footer = rect(0, h - 1, w, 1);
    const int bh = h - 2, mw = layout_present_mask_w(w), rx = mw, rw = w - mw;
    if (mask_h > bh || bh - mask_h < 8) mask_h = bh;
    o->mask = rect(0, 1, mw, mask_h);
    if (mask_h < bh) o->chart_step = rect(0, 1 + mask_h, mw, bh - mask_h);
    /* the cost: 5 rows of big digits and 3 lines; more (bigger digits and
     * the formulas) when tall */
    const int cost_h = bh >= 40 ? 21 : bh >= 30 ? 13 : 11;
    o->cost = rect(rx, 1, rw, cost_h);
    const int rest = bh - cost_h;
    if (cache_h > rest || rest - cache_h < 8) cache_h = rest;
    o->kvcache = rect(rx, 1 + cost_h, rw, cache_h);
    if (cache_h < rest) o->chart = rect(rx, 1 + cost_h + cache_h, rw, rest - cache_h);
}

void layout_app(const App *a, int w, int h, Layout *o)
{
    const Engine *e = app_shown_engine(a);   /* the mask's rows are the shown sequence's t */
    if (a->present && !a->play) {   /* a lesson keeps its own screen */
        /* the KV cache box wants its rows, a header and four lines below */
        layout_present(w, h, panel_mask_present_h(a, e, layout_present_mask_w(w), h - 2), e->pos > 0 ? e->t + 8 : 6, o);
        return;
    }
    layout_compute_t(a->view, a->play ? (int)a->play->slide_state.point : -1, w, h, e->t, o);
    panels_arrange(a, o);   /* the toggled panels (v, A), Next token, Loss */
}
