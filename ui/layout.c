/* layout: see layout.h. */
#include "ui/layout.h"

#include "ui/app.h"

#include <string.h>

static Rect rect(int x, int y, int w, int h)
{
    Rect r = {x, y, w, h};
    return r;
}

void layout_compute(View view, int w, int h, Layout *o)
{
    memset(o, 0, sizeof *o);
    if (w < APP_MIN_W || h < APP_MIN_H) {
        o->too_small = true;
        return;
    }
    o->header = rect(0, 0, w, 1);
    o->tokens = rect(0, 1, w, 3);
    o->footer = rect(0, h - 1, w, 1);
    o->pipeline = rect(0, h - 5, w, 4);

    /* rows between the Tokens and Pipeline boxes */
    const int top = 4, avail = h - 9;
    /* Operations: compact (7 rows) until there is room for the full table */
    int ops_h = avail >= 30 ? 13 : avail >= 24 ? 11 : 7;
    int mid_h = avail - ops_h;
    int ops_w = w * 62 / 100;
    if (ops_w < 56) ops_w = 56;
    o->ops = rect(0, top + mid_h, ops_w, ops_h);
    o->chart = rect(ops_w, top + mid_h, w - ops_w, ops_h);

    if (view == VIEW_COMPARE) {
        /* cache on the left half, recompute on the right: mask, then cache */
        int half = w / 2;
        int mw = half * 45 / 100;
        o->mask = rect(0, top, mw, mid_h);
        o->kvcache = rect(mw, top, half - mw, mid_h);
        o->mask2 = rect(half, top, mw, mid_h);
        o->kvcache2 = rect(half + mw, top, w - half - mw, mid_h);
        return;
    }
    int mw = w * 30 / 100, aw = w * 36 / 100;
    o->mask = rect(0, top, mw, mid_h);
    o->attention = rect(mw, top, aw, mid_h);
    o->kvcache = rect(mw + aw, top, w - mw - aw, mid_h);
}
