/* panels: the panel list. See panels.h. */
#include "ui/panels/panels.h"

#include "lessons/lesson.h"
#include "ui/layout.h"

#define AT(field) offsetof(Layout, field)

const PanelEntry panel_list[] = {
    {panel_tokens_draw, AT(tokens), POINT_TOKENS, PANEL_SEQ_ENGINE},
    {panel_pool_draw, AT(pool), POINT_BLOCKS, PANEL_VIEW_ENGINE},
    {panel_traffic_draw, AT(traffic), POINT_TRAFFIC, PANEL_VIEW_ENGINE},
    {panel_roofline_draw, AT(roofline), -1, PANEL_VIEW_ENGINE},
    {panel_mask_draw, AT(mask), POINT_MASK, PANEL_SEQ_ENGINE},
    {panel_attention_draw, AT(attention), POINT_ATTENTION, PANEL_SEQ_ENGINE},
    {panel_kvcache_draw, AT(kvcache), POINT_KVCACHE, PANEL_SEQ_ENGINE},
    {panel_mask_draw, AT(mask2), -1, PANEL_RECOMPUTE_ENGINE},
    {panel_kvcache_draw, AT(kvcache2), -1, PANEL_RECOMPUTE_ENGINE},
    {panel_ops_draw, AT(ops), POINT_OPS, PANEL_VIEW_ENGINE},
    {panel_chart_draw, AT(chart), POINT_CHART, PANEL_VIEW_ENGINE},
    {panel_chart_step_draw, AT(chart_step), -1, PANEL_VIEW_ENGINE},
    {panel_cost_draw, AT(cost), -1, PANEL_VIEW_ENGINE},
    {panel_pipeline_draw, AT(pipeline), POINT_PIPELINE, PANEL_SEQ_ENGINE},
    {panel_lesson_draw, AT(lesson), -1, PANEL_VIEW_ENGINE},
    {panel_heads_draw, AT(heads), -1, PANEL_SEQ_ENGINE},
    {panel_next_draw, AT(next), -1, PANEL_SEQ_ENGINE},
    {panel_loss_draw, AT(loss), -1, PANEL_VIEW_ENGINE},
    {panel_vectors_draw, AT(vectors), -1, PANEL_SEQ_ENGINE},
};
const int panel_count = (int)(sizeof panel_list / sizeof panel_list[0]);

/* ---- the toggled panels' rects -------------------------------------------- */

static Rect empty_rect(void)
{
    return (Rect){0, 0, 0, 0};
}

/* The smallest rect holding a and b (either may be empty). */
static Rect rect_union(Rect a, Rect b)
{
    if (a.w <= 0 || a.h <= 0) return b;
    if (b.w <= 0 || b.h <= 0) return a;
    const int x0 = a.x < b.x ? a.x : b.x, y0 = a.y < b.y ? a.y : b.y;
    const int x1 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w;
    const int y1 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;
    return (Rect){x0, y0, x1 - x0, y1 - y0};
}

enum {
    NEXT_MIN_KV_H = 17,   /* the KV cache panel gives rows from this height on */
    NEXT_H = 8,           /* top 5 (border, legend, 5 lines) */
    NEXT_MIN_H = 6,       /* top 3: Next token under the cost box (a short prompt, tall) */
    CHART_MIN_H = 9,      /* a chart plotted, not as bars (chart.c) */
    NEXT_H_TALL = 13,     /* top 10, when the KV cache panel is 30 rows or more */
    KV_KEEP_H = 5,        /* rows the KV cache panel keeps at least in the train view */
    VEC_MIN_MID_H = 17,   /* from this middle-row height the inspector leaves the Operations row */
    MID_KEEP_H = 5,
    ATT_KEEP_H = 3,       /* under All heads the attention panel keeps at least its query line */
    MEM_COST_MIN_H = 8,   /* memory view: the cost box under the pool from this height */       /* under the inspector or All heads, the panels they push down keep this at least */
};

/* The middle row's panels (single and compare views), to move together. */
static void middle_shift(Layout *lo, int dy)
{
    Rect *mid[] = {&lo->mask, &lo->attention, &lo->kvcache, &lo->mask2, &lo->kvcache2};
    for (unsigned i = 0; i < sizeof mid / sizeof mid[0]; i++)
        if (mid[i]->w > 0) {
            mid[i]->y += dy;
            mid[i]->h -= dy;
        }
}

/* Memory view, side by side and tall: the pool as tall as everything it
 * shows; under it in its column the cost (recompute ÷ cache, the formulas)
 * and, when there is still room, the two charts, which then leave the
 * Operations row to the table. The cost box's heights are the ones it
 * fills: 8-15 rows (small digits), 17-19 (big ones). */
static void memory_arrange(const App *a, Layout *lo)
{
    Rect *p = &lo->pool;
    if (p->w <= 0 || lo->ops.h <= 0 || p->x + p->w >= lo->footer.w) return;   /* side by side only */
    const int need = panel_pool_height(a, p->w);
    const int rest = p->h - need;
    if (rest < MEM_COST_MIN_H) return;
    int cost_h = rest, charts_h = 0;
    if (rest >= 19 + MEM_COST_MIN_H) cost_h = 19;
    else if (rest >= 12 + MEM_COST_MIN_H) cost_h = 12;
    else if (rest == 16) cost_h = 15;
    else if (rest > 19) cost_h = 19;
    if (rest - cost_h >= MEM_COST_MIN_H) charts_h = rest - cost_h;
    p->h = p->h - cost_h - charts_h;
    lo->cost = (Rect){p->x, p->y + p->h, p->w, cost_h};
    if (charts_h) {
        const int y = lo->cost.y + cost_h, half = p->w / 2;
        lo->chart_step = (Rect){p->x, y, half, charts_h};
        lo->chart = (Rect){p->x + half, y, p->w - half, charts_h};
        lo->ops.w = lo->footer.w;
    }
}

/* A prefill chunk before the last makes no logits (§6.7): no top k. */
static bool no_logits(const Engine *e)
{
    return e->mode == MODE_CACHE && e->n_chunks > 1 && e->step < e->n_chunks - 1;
}

/* A short prompt on a tall screen (the tall layout, which has a cost box):
 * the middle row as tall as the mask's t rows and its notes need (its
 * longest box; the attention panel fills its rows with the scores), and
 * the rows that frees go, under Operations, to the cost box and Next
 * token, which leaves the KV cache column. By t and phase only, so the
 * layout holds still within a step. Returns whether it did. */
static bool short_middle(const App *a, Layout *lo)
{
    const Engine *e = app_shown_engine(a);
    if (lo->cost.h <= 0 || lo->mask.h <= 0 || lo->attention.h <= 0 || a->view == VIEW_COMPARE || e->t <= 0) return false;
    int need = panel_mask_height(a, e, lo->mask.w);   /* the mask box's rows */
    int dy = lo->mask.h - need;
    if (need <= 0 || dy <= 0) return false;
    int under = lo->cost.h + dy;   /* under Operations */
    /* a prefill chunk before the last makes no logits: no Next token; the
     * per-step chart takes the rows under the cost box instead */
    const bool none = no_logits(e);
    /* the cost box at a height it fills: with the big ratio (19), else
     * (steps that do not line up: chunks, drafts) with its small one (15),
     * else the formulas and ratios alone (12) */
    const bool planned = app_engine_of(a, MODE_CACHE)->planned;
    int cost_h = under - 19 >= NEXT_MIN_H ? 19 : planned ? 15 : 12;
    bool chart = false;   /* the per-step chart under the cost box */
    if (none) {
        /* the chart when it fits plotted, else the box's one sentence; the
         * cost box (planned: a chunked run) fills 15-20 rows */
        chart = lo->chart_step.w > 0 && under - 15 >= CHART_MIN_H;
        cost_h = chart ? (under - CHART_MIN_H < 19 ? under - CHART_MIN_H : 19)
                       : under - panel_next_none_height(a, lo->ops.w);
        if (cost_h > 19 && dy > cost_h - 19) {   /* a row or so more: the middle row keeps it */
            const int back = cost_h - 19;
            need += back;
            dy -= back;
            under -= back;
            cost_h = 19;
        }
        if (cost_h < 15 || cost_h > 19) return false;
    } else if (under - cost_h < NEXT_MIN_H) {
        return false;
    }
    lo->mask.h = lo->attention.h = lo->kvcache.h = need;
    Rect *down[] = {&lo->ops, &lo->chart, &lo->chart_step};
    for (unsigned i = 0; i < sizeof down / sizeof down[0]; i++)
        if (down[i]->w > 0) {
            down[i]->y -= dy;
            if (i > 0) down[i]->h += dy;   /* the charts stay as tall as the column beside them */
        }
    lo->cost = (Rect){lo->ops.x, lo->ops.y + lo->ops.h, lo->ops.w, cost_h};
    const Rect rest = {lo->ops.x, lo->cost.y + cost_h, lo->ops.w, under - cost_h};
    if (chart) {
        lo->chart = rect_union(lo->chart, lo->chart_step);
        lo->chart_step = rest;
    } else {
        lo->next = rest;
    }
    return true;
}

void panels_arrange(const App *a, Layout *lo)
{
    if (lo->too_small || a->play) return;
    if (a->view == VIEW_MEMORY) {
        memory_arrange(a, lo);
        return;
    }
    if (a->show_vectors) {
        /* the inspector needs width: the middle row, and the Operations row
         * too when the middle row is short; on a tall one it takes the rows
         * this operation's vectors need and the middle row keeps the rest */
        Rect u = empty_rect();
        Rect *take[] = {&lo->mask, &lo->attention, &lo->kvcache, &lo->mask2, &lo->kvcache2, &lo->ops, &lo->chart};
        const int mid_h = lo->mask.h > 0 ? lo->mask.h : lo->kvcache.h;
        const bool ops_too = mid_h < VEC_MIN_MID_H;
        for (unsigned i = 0; i < sizeof take / sizeof take[0] - (ops_too ? 0 : 2); i++) u = rect_union(u, *take[i]);
        const int need = panel_vectors_height(a, app_shown_engine(a), u.w);
        if (!ops_too && mid_h - need >= MID_KEEP_H) {
            lo->vectors = (Rect){u.x, u.y, u.w, need};
            middle_shift(lo, need);
        } else {
            for (unsigned i = 0; i < sizeof take / sizeof take[0] - (ops_too ? 0 : 2); i++) *take[i] = empty_rect();
            lo->vectors = u;
            return;
        }
    }
    if (a->show_heads && lo->attention.w > 0) {
        /* the overview on top; the selected head's panel keeps the rest
         * when that is still a useful size */
        const int need = panel_heads_height(a, lo->attention.w);
        lo->heads = lo->attention;
        if (lo->attention.h - need >= ATT_KEEP_H) {
            lo->heads.h = need;
            lo->attention.y += need;
            lo->attention.h -= need;
        } else {
            lo->attention = empty_rect();
        }
    }
    if (!a->show_vectors && !a->show_heads && short_middle(a, lo)) return;
    Rect *kv = &lo->kvcache;
    if (kv->w <= 0 || a->view == VIEW_COMPARE) return;
    if (a->view == VIEW_TRAIN) {
        /* a pass predicts at every position: as many lines as targets, the
         * KV cache panel (which keeps nothing in training) keeps KV_KEEP_H
         * rows when that leaves every line, else Loss takes it all */
        if (kv->h < NEXT_MIN_KV_H || kv->h - (a->L + 3) < KV_KEEP_H) {
            lo->loss = *kv;
            *kv = empty_rect();
            return;
        }
        int h = a->L + 3;
        if (h > kv->h - KV_KEEP_H) h = kv->h - KV_KEEP_H;
        if (h < NEXT_H) h = NEXT_H;
        lo->loss = (Rect){kv->x, kv->y + kv->h - h, kv->w, h};
        kv->h -= h;
        return;
    }
    if (kv->h < NEXT_MIN_KV_H) return;
    int h = kv->h >= 30 ? NEXT_H_TALL : NEXT_H;
    if (no_logits(app_shown_engine(a))) h = panel_next_none_height(a, kv->w);   /* one sentence, no top k */
    lo->next = (Rect){kv->x, kv->y + kv->h - h, kv->w, h};
    kv->h -= h;
}
