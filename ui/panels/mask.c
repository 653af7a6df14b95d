/* panel_mask: the t×t causal mask of the selected layer and head, and what
 * the step shown does with each row of it.
 *
 * Rows are query positions, columns key positions (0..t-1). A row is
 *   pending  · this step computes it, but its mask has not run yet;
 *   computed the mask ran: masked cells ×, visible cells ✓ until softmax,
 *            then shaded by weight (normalised by the row's max);
 *   reused   = a cache-mode decode step does not compute earlier rows:
 *            their K/V live on in the cache, nothing of them is redone.
 * In recompute mode from step 1 on, rows 0..t-2 are the previous step's
 * rows again: they carry the redone mark ↻.
 * Glyphs differ per meaning (never colour alone), and the ASCII set avoids
 * the ASCII shades (. : # @).
 */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef enum { ROW_PENDING, ROW_COMPUTED, ROW_REUSED } RowKind;

/* Legend entries, as bits, set while drawing so only what is on screen is explained. */
enum { LG_WEIGHT = 1, LG_KEPT = 2, LG_MASKED = 4, LG_PENDING = 8, LG_REUSED = 16, LG_REDONE = 32, LG_EVICTED = 64 };

typedef struct {
    const App *a;
    const Engine *e;
    Canvas *c;
    int layer, head;
    bool mask_done, soft_done, redo;
    int tokw;       /* columns of a token label: 2 when any token is wide */
    int cw;         /* columns per grid cell: 1, or 2 (glyph + gap) */
    unsigned shown; /* LG_* bits drawn */
} Grid;

static int32_t g_masked(const Canvas *c) { return c->ascii ? 'x' : 0x00D7; }   /* × */
static int32_t g_pending(const Canvas *c) { return c->ascii ? '-' : 0x00B7; }  /* · */
static int32_t g_redone(const Canvas *c) { return c->ascii ? '*' : 0x21BB; }   /* ↻ */
static const int32_t G_REUSED = '=';

static const char *token_at(const Grid *g, int p, char buf[8])
{
    return fmt_token(g->a, g->e->tokens[p], buf);
}

static RowKind row_kind(const Grid *g, int p)
{
    if (p < g->e->p0) return ROW_REUSED;
    return g->mask_done ? ROW_COMPUTED : ROW_PENDING;
}

/* One cell of row p at key j, drawn at (x, y). */
static void draw_cell(Grid *g, int x, int y, int p, int j, RowKind k, const float *att, float rmax)
{
    Canvas *c = g->c;
    if (k == ROW_REUSED) {
        if (config_visible(&g->e->cfg, p, j)) {   /* keys after p did not exist when row p was computed */
            canvas_put(c, x, y, G_REUSED, STYLE_REUSED);
            g->shown |= LG_REUSED;
        }
        return;
    }
    if (k == ROW_PENDING) {
        canvas_put(c, x, y, g_pending(c), STYLE_DIM);
        g->shown |= LG_PENDING;
        return;
    }
    if (j < g->e->k_lo) {
        /* a windowed decode row never computes these: the ring evicted them */
        canvas_put(c, x, y, '-', STYLE_DIM);
        g->shown |= LG_EVICTED;
    } else if (!config_visible(&g->e->cfg, p, j)) {
        canvas_put(c, x, y, g_masked(c), STYLE_MASKED);
        g->shown |= LG_MASKED;
    } else if (g->soft_done) {
        double v = rmax > 0.0f ? (double)att[j] / (double)rmax : 0.0;
        canvas_shade(c, x, y, v, STYLE_VISIBLE);
        g->shown |= LG_WEIGHT;
    } else {
        canvas_put(c, x, y, canvas_glyph(c, GLYPH_CHECK), STYLE_VISIBLE);
        g->shown |= LG_KEPT;
    }
}

/* Row p: label, marker, then the cells of columns c0 .. c0+cols-1. */
static void draw_row(Grid *g, int x, int y, int p, int c0, int cols)
{
    const Engine *e = g->e;
    Canvas *c = g->c;
    const int t = e->t;
    const RowKind k = row_kind(g, p);
    char tok[8];
    int lst = p == t - 1 ? STYLE_HILITE : k == ROW_REUSED ? STYLE_REUSED : STYLE_NORMAL;
    canvas_text(c, x, y, g->tokw, lst, token_at(g, p, tok));
    if (p == t - 1) {
        canvas_put(c, x + g->tokw, y, canvas_glyph(c, GLYPH_ARROW_RIGHT), STYLE_HILITE);
    } else if (g->redo) {
        canvas_put(c, x + g->tokw, y, g_redone(c), STYLE_REDONE);
        g->shown |= LG_REDONE;
    }

    const float *att = NULL;
    float rmax = 0.0f;
    if (k == ROW_COMPUTED && g->soft_done) {
        att = engine_att_row(e, g->layer, g->head, p - e->p0);
        for (int j = 0; j < t; j++)
            if (config_visible(&e->cfg, p, j) && att[j] > rmax) rmax = att[j];
    }
    const int gx = x + g->tokw + 2;
    for (int j = c0; j < c0 + cols; j++) draw_cell(g, gx + (j - c0) * g->cw, y, p, j, k, att, rmax);
}

/* One line naming the glyphs drawn; entries that do not fit are dropped. */
static void draw_legend(const Grid *g, int x, int y, int w)
{
    const App *a = g->a;
    Canvas *c = g->c;
    struct { unsigned bit; const char *en, *zh; } items[] = {
        /* what this step is about first: narrow boxes keep those */
        {LG_REUSED, "reused", "复用"}, {LG_REDONE, "redone", "重算"},
        {LG_MASKED, "masked", "掩码"}, {LG_WEIGHT, "weight", "权重"},
        {LG_KEPT, "kept", "保留"}, {LG_PENDING, "not yet", "未算"},
        {LG_EVICTED, "evicted", "已淘汰"},
    };
    int used = 0;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (!(g->shown & items[i].bit)) continue;
        const char *label = TR(a, items[i].en, items[i].zh);
        int need = (used ? 2 : 0) + 2 + canvas_text_width(label);
        if (used + need > w) continue;
        int cx = x + used + (used ? 2 : 0);
        switch (items[i].bit) {
        case LG_WEIGHT: canvas_shade(c, cx, y, 1.0, STYLE_VISIBLE); break;
        case LG_KEPT: canvas_put(c, cx, y, canvas_glyph(c, GLYPH_CHECK), STYLE_VISIBLE); break;
        case LG_MASKED: canvas_put(c, cx, y, g_masked(c), STYLE_MASKED); break;
        case LG_REUSED: canvas_put(c, cx, y, G_REUSED, STYLE_REUSED); break;
        case LG_REDONE: canvas_put(c, cx, y, g_redone(c), STYLE_REDONE); break;
        case LG_EVICTED: canvas_put(c, cx, y, '-', STYLE_DIM); break;
        default: canvas_put(c, cx, y, g_pending(c), STYLE_DIM); break;
        }
        canvas_text(c, cx + 2, y, -1, STYLE_DIM, label);
        used += need;
    }
}

/* "rows 7–18 of 18" in the bottom border when the grid is cut; shorter forms
 * when the box is narrow. Counting is 1-based, as a reader counts rows. */
static void draw_window_note(const Grid *g, Rect r, int r0, int c0, int free_x)
{
    const App *a = g->a;
    const int t = g->e->t;
    const char *dash = g->c->ascii ? "-" : "\u2013";
    char full[96], mid[64], tiny[32];
    if (c0 > 0 && r0 > 0) {
        snprintf(full, sizeof full, TR(a, "rows %d%s%d, cols %d%s%d of %d", "第 %d%s%d 行、%d%s%d 列，共 %d"),
                 r0 + 1, dash, t, c0 + 1, dash, t, t);
        snprintf(mid, sizeof mid, TR(a, "r%d%s%d c%d%s%d", "行%d%s%d 列%d%s%d"), r0 + 1, dash, t, c0 + 1, dash, t);
    } else if (c0 > 0) {
        snprintf(full, sizeof full, TR(a, "cols %d%s%d of %d", "第 %d%s%d 列，共 %d 列"), c0 + 1, dash, t, t);
        snprintf(mid, sizeof mid, TR(a, "cols %d%s%d", "列 %d%s%d"), c0 + 1, dash, t);
    } else {
        snprintf(full, sizeof full, TR(a, "rows %d%s%d of %d", "第 %d%s%d 行，共 %d 行"), r0 + 1, dash, t, t);
        snprintf(mid, sizeof mid, TR(a, "rows %d%s%d", "行 %d%s%d"), r0 + 1, dash, t);
    }
    snprintf(tiny, sizeof tiny, "%s%d", g->c->ascii ? "~" : "\u2026", t);
    const char *cands[] = {full, mid, tiny};
    const int y = r.y + r.h - 1;
    for (int i = 0; i < 3; i++) {
        int w = canvas_text_width(cands[i]);
        int tx = r.x + r.w - 3 - w;   /* "─ note ─┘", one ─ after what is left of it */
        if (w > r.w - 6 || tx - 1 < free_x + 1) continue;
        canvas_put(g->c, tx - 1, y, ' ', STYLE_BORDER);
        canvas_text(g->c, tx, y, w, STYLE_DIM, cands[i]);
        canvas_put(g->c, tx + w, y, ' ', STYLE_BORDER);
        return;
    }
}

/* One sentence on what this step does with the rows, for tall boxes. */
static const char *explain(const Grid *g)
{
    const App *a = g->a;
    switch (engine_phase(g->e)) {
    case PHASE_PREFILL:
        return TR(a, "Prefill: every prompt row at once; the future (upper right) is masked.",
                  "预填充：所有提示词行一次算完；右上方的未来被掩码。");
    case PHASE_DECODE:
        return TR(a, "Decode: only the new row. It may see every key, so nothing is masked; "
                     "earlier rows are not redone, their K/V sit in the cache.",
                  "解码：只算新的一行。它能看到所有键，无需掩码；之前的行不重算，它们的 K/V 在缓存里。");
    case PHASE_RECOMPUTE:
        return g->redo ? TR(a, "Recompute: every row again; all but the last are the same as last step.",
                            "重算：所有行重新计算；除最后一行外都与上一步相同。")
                       : TR(a, "Recompute, first step: every prompt row at once, like a prefill.",
                            "重算第一步：所有提示词行一次算完，与预填充相同。");
    case PHASE_TRAIN:
        return TR(a, "Training: every row at once; each predicts the token after it.",
                  "训练：所有行一次算完；每行预测它后面的词元。");
    default: return "";
    }
}

/* Box and title. The compare view needs the mode most: when the full title
 * does not fit, L/H go first, then the mode moves to the bottom border.
 * Returns the first column the bottom border has free (for the note). */
static int draw_title(const App *a, const Engine *e, Canvas *c, Rect r, int l, int h)
{
    const char *name = TR(a, "Causal mask", "因果掩码"), *sep = c->ascii ? " - " : " \u00b7 ";
    const char *mode = "";
    if (a->view == VIEW_COMPARE)
        mode = e->mode == MODE_CACHE       ? TR(a, "cache", "缓存")
               : e->mode == MODE_RECOMPUTE ? TR(a, "recompute", "重算")
                                           : TR(a, "train", "训练");
    char full[128], shorter[96];
    snprintf(full, sizeof full, "%s L%d H%d%s%s", name, l, h, *mode ? sep : "", mode);
    snprintf(shorter, sizeof shorter, "%s%s%s", name, *mode ? sep : "", mode);
    const int room = r.w - 6;   /* canvas_box: "┌─ title ─┐" */
    const bool fits_full = canvas_text_width(full) <= room;
    const bool fits_short = *mode && canvas_text_width(shorter) <= room;
    canvas_box(c, r, STYLE_BORDER, fits_full ? full : fits_short ? shorter : name);
    if (fits_full || fits_short || !*mode || r.h < 2) return r.x + 1;
    const int w = canvas_text_width(mode), y = r.y + r.h - 1;
    if (w > room) return r.x + 1;
    canvas_put(c, r.x + 2, y, ' ', STYLE_BORDER);
    canvas_text(c, r.x + 3, y, w, STYLE_TITLE, mode);
    canvas_put(c, r.x + 3 + w, y, ' ', STYLE_BORDER);
    return r.x + 4 + w;
}

void panel_mask_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    const int Lyr = e->cfg.n_layers, H = e->cfg.n_heads;
    Grid g = {a, e, c, a->layer, a->head, false, false, false, 1, 1, 0};
    if (g.layer < 0 || g.layer >= Lyr) g.layer = 0;
    if (g.head < 0 || g.head >= H) g.head = 0;

    canvas_fill(c, r, ' ', STYLE_NORMAL);
    const int free_x = draw_title(a, e, c, r, g.layer, g.head);
    const int ix = r.x + 1, iy = r.y + 1, iw = r.w - 2, ih = r.h - 2;
    if (iw <= 0 || ih <= 0) goto done;
    if (e->pos == 0) {
        canvas_wrap(c, (Rect){ix, iy, iw, ih}, STYLE_DIM,
                    c->ascii ? TR(a, "press n to start", "按 n 开始") : TR(a, "press \u2192 to start", "按 \u2192 开始"));
        goto done;
    }

    const int t = e->t;
    g.mask_done = engine_op_done(e, OP_MASK, g.layer);
    g.soft_done = engine_op_done(e, OP_SOFTMAX, g.layer);
    g.redo = engine_phase(e) == PHASE_RECOMPUTE && e->step >= 1;
    char tok[8];
    for (int p = 0; p < t && g.tokw < 2; p++)
        if (canvas_text_width(token_at(&g, p, tok)) > 1) g.tokw = 2;

    /* Columns: label (tokw) + marker + gap, then cells; newest keys kept.
     * Wide tokens need 2-column cells, unless the box is tall enough for a
     * staggered key header on two lines (even keys above, odd below). */
    const int lab = g.tokw + 2, gw = iw - lab;
    int hdr = 1;
    g.cw = 2 * t <= gw ? 2 : 1;
    if (g.tokw == 2 && g.cw == 1) {
        if (ih >= 10) hdr = 2;
        else g.cw = 2;
    }
    int cols = gw / g.cw;
    if (cols > t) cols = t;
    if (cols < 0) cols = 0;
    const int c0 = t - cols;

    /* Rows: header, grid rows (newest kept), then the legend when at least
     * four grid rows (or all of them) still fit beside it. */
    int body = ih - hdr;
    bool legend = body - 1 >= (t < 4 ? t : 4);
    if (legend) body--;
    int rows = body < t ? body : t;
    if (rows < 0) rows = 0;
    const int r0 = t - rows;

    if (lab >= 4 && c0 == 0) canvas_text(c, ix, iy, lab, STYLE_DIM, "q\\k");   /* rows: queries, columns: keys */
    if (c0 > 0) canvas_put(c, ix + lab - 1, iy, canvas_glyph(c, GLYPH_ELLIPSIS), STYLE_DIM);  /* keys cut on the left */
    for (int j = c0; j < t; j++) {
        const int x = ix + lab + (j - c0) * g.cw, room = ix + iw - x;
        canvas_text(c, x, iy + (hdr == 2 ? j % 2 : 0), room < g.tokw ? room : g.tokw,
                    j == t - 1 ? STYLE_HILITE : STYLE_DIM, token_at(&g, j, tok));
    }
    for (int p = r0; p < t; p++) draw_row(&g, ix, iy + hdr + (p - r0), p, c0, cols);

    if (legend) {
        /* legend under the grid after a blank line, else on the last line;
         * then a sentence on the step when it fits in full */
        const int last = iy + ih - 1, y = iy + hdr + rows;
        const int ly = rows == t && y + 1 <= last ? y + 1 : last;
        draw_legend(&g, ix, ly, iw);
        const char *s = explain(&g);
        const int spare = last - (ly + 2) + 1;
        if (spare >= 1 && *s && canvas_wrap(NULL, (Rect){ix, 0, iw, 0}, STYLE_DIM, s) <= spare)
            canvas_wrap(c, (Rect){ix, ly + 2, iw, spare}, STYLE_DIM, s);
    }
    if ((r0 > 0 || c0 > 0) && rows > 0 && cols > 0) draw_window_note(&g, r, r0, c0, free_x);
done:
    canvas_set_clip(c, old);
}
