/* layout: see layout.h. */
#include "ui/layout.h"

#include "lessons/lesson.h"
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
    o->chart = rect(a.x + ops_w, a.y, a.w - ops_w, a.h);
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
    const int spare = avail - need, want_pipe = h >= 30 ? 5 : 4;
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

/* Every panel, in a w x h area at the top left. */
static void full(View view, int w, int h, Layout *o)
{
    if (view == VIEW_MEMORY) {
        memory_full(w, h, o);
        return;
    }
    o->header = rect(0, 0, w, 1);
    o->tokens = rect(0, 1, w, 3);
    o->footer = rect(0, h - 1, w, 1);
    /* the pipeline's sentence gets a second line once there is room */
    const int pipe_h = h >= 30 ? 5 : 4;
    o->pipeline = rect(0, h - 1 - pipe_h, w, pipe_h);
    /* rows between the Tokens and Pipeline boxes; Operations stays compact
     * (7 rows) until there is room for its full table */
    const int top = 4, avail = h - 5 - pipe_h;
    const int ops_h = avail >= 30 ? 13 : avail >= 24 ? 11 : 7;
    const int mid_h = avail - ops_h;
    ops_row(rect(0, top + mid_h, w, ops_h), o);
    middle(view, rect(0, top, w, mid_h), o);
}

void layout_compute(View view, int point, int w, int h, Layout *o)
{
    memset(o, 0, sizeof *o);
    if (w < APP_MIN_W || h < APP_MIN_H) {
        o->too_small = true;
        return;
    }
    if (point < 0) {
        full(view, w, h, o);
        return;
    }
    if (w >= 150) {
        /* wide: the lesson is a column on the right of the full screen */
        const int lw = w * 36 / 100;
        full(view, w - lw, h, o);
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
