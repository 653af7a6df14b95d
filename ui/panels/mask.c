/* panel_mask: the t×t causal mask of the selected layer and head, and what
 * the step shown does with each row and column of it.
 *
 * Rows are query positions, columns key positions (0..t-1). A row is
 *   pending  · this step computes it, but its mask has not run yet;
 *   computed the mask ran: masked cells ×, visible cells ✓ until softmax,
 *            then shaded by weight (normalised by the row's max);
 *   idle     a cache-mode decode step does not compute earlier rows at all:
 *            their cells stay blank and the label faint. What the cache
 *            gives the new row is the K and V of the KEY COLUMNS, so that is
 *            what the K/V line under the key header marks: ━ read from the
 *            cache, + this step's own column (appended to the cache).
 * In recompute mode from step 1 on, rows 0..t-2 are the previous step's
 * rows again: they carry the redone mark ↻.
 * Glyphs differ per meaning (never colour alone), and the ASCII set avoids
 * the ASCII shades (. : # @).
 */
#include "ui/panels/mask.h"
#include "ui/style.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *token_at(const Grid *g, int p, char buf[8])
{
    return fmt_token(g->a, engine_fed_token(g->e, p), buf);
}

/* A key the header quotes: a digit or a sign, which a bare header would
 * let a reader take for a number ('2', '-'); the space shows as ␣ anyway. */
static bool header_quoted(const Grid *g, int p)
{
    char raw[8], q[16];
    const int id = engine_fed_token(g->e, p);
    return id != 0 && strcmp(fmt_token(g->a, id, raw), fmt_token_quoted(g->a, id, q)) != 0;
}

static RowKind row_kind(const Grid *g, int p)
{
    if (p < g->e->p0) return ROW_IDLE;
    return g->mask_done ? ROW_COMPUTED : ROW_PENDING;
}

/* One cell of row p at key j, drawn at (x, y). */
static void draw_cell(Grid *g, int x, int y, int p, int j, RowKind k, const float *att, float rmax)
{
    Canvas *c = g->c;
    const bool live = g->live && p == g->e->t - 1;
    if (k == ROW_IDLE) {   /* not computed this step: nothing to draw */
        g->shown |= LG_IDLE;
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
        /* presenter mode: a big cell, the shade over all of it but the gap
         * (no gap in 2-column cells: double-width cells) */
        for (int dy = 0; dy < g->rh; dy++)
            for (int dx = 0; dx < (g->cw > 2 ? g->cw - 1 : g->a->present ? g->cw : 1); dx++)
                canvas_shade(c, x + dx, y + dy, v, live ? STYLE_CHANGED : STYLE_VISIBLE);
        g->shown |= LG_WEIGHT;
    } else {
        canvas_put(c, x, y, canvas_glyph(c, GLYPH_CHECK), live ? STYLE_CHANGED : STYLE_VISIBLE);
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
    char tok[16];
    int lst = p == t - 1 ? STYLE_HILITE : k == ROW_IDLE ? STYLE_DIM : STYLE_NORMAL;
    canvas_text(c, x, y, g->labw, lst, fmt_token_quoted(g->a, engine_fed_token(e, p), tok));
    if (p == t - 1) {
        canvas_put(c, x + g->labw, y, canvas_glyph(c, GLYPH_ARROW_RIGHT), STYLE_HILITE);
    } else if (g->redo) {
        canvas_put(c, x + g->labw, y, g_redone(c), STYLE_REDONE);
        g->shown |= LG_REDONE;
    }

    const float *att = NULL;
    float rmax = 0.0f;
    if (k == ROW_COMPUTED && g->soft_done) {
        att = engine_att_row(e, g->layer, g->head, p - e->p0);
        for (int j = 0; j < t; j++)
            if (config_visible(&e->cfg, p, j) && att[j] > rmax) rmax = att[j];
    }
    const int gx = x + g->lab;
    for (int j = c0; j < c0 + cols; j++) draw_cell(g, gx + (j - c0) * g->cw, y, p, j, k, att, rmax);
}

/* The K/V line under the key header (cache mode): for each key column, ━
 * when this step's new row reads its K/V from the cache, + when the column
 * is this step's own (its K/V appended to the cache), ✗ when a verify step
 * rolled it back (a rejected draft's row, §6.9), blank when a window
 * evicted it. A wide enough run of ━ says so in words. */
/* Column j's K/V was computed in this verify step and rolled back by its
 * append: a rejected draft's row (§6.9). */
static bool rolled_back(const Engine *e, int j)
{
    return e->drafted > 0 && e->accepted >= 0 && engine_op_done(e, OP_APPEND, -1) && j > e->p0 + e->accepted &&
           j < e->t;
}

static void draw_kv_line(Grid *g, int x, int y, int lab, int c0, int cols)
{
    const Engine *e = g->e;
    Canvas *c = g->c;
    const int gx = x + lab;
    canvas_text(c, x, y, lab, STYLE_DIM, "K/V");   /* lab >= 4 with this line */
    int run0 = -1, run1 = -1;   /* screen columns of the run of ━ */
    for (int j = c0; j < c0 + cols; j++) {
        const int cx = gx + (j - c0) * g->cw;
        if (j < e->k_lo) continue;
        if (j < e->p0) {
            /* one unbroken line across the cached columns */
            const int fill = j + 1 < e->p0 && j + 1 < c0 + cols ? g->cw : g->cw > 2 ? g->cw - 1 : 1;
            for (int dx = 0; dx < fill; dx++) canvas_put(c, cx + dx, y, g_cached(c), STYLE_REUSED);
            if (run0 < 0) run0 = cx;
            run1 = cx;
            g->shown |= LG_CACHED;
        } else if (rolled_back(e, j)) {
            canvas_put(c, cx, y, canvas_glyph(c, GLYPH_CROSS), STYLE_BAD);
            g->shown |= LG_ROLLED;
        } else {
            canvas_put(c, cx, y, G_APPENDED, STYLE_NEW);
            g->shown |= LG_APPENDED;
        }
    }
    if (run0 < 0) return;
    const char *says = TR(g->a, " K/V read from cache ", " K/V 读自缓存 ");
    const char *shrt = TR(g->a, " from cache ", " 读缓存 ");
    const int span = run1 - run0 + 1;
    const char *s = canvas_text_width(says) + 2 <= span ? says : canvas_text_width(shrt) + 2 <= span ? shrt : NULL;
    if (s) canvas_text(c, run0 + (span - canvas_text_width(s)) / 2, y, -1, STYLE_REUSED, s);
}

/* "rows 6–17 of 18" in the bottom border when the grid is cut; shorter
 * forms when the box is narrow. The numbers are positions, 0-based like
 * every position on screen (the key header's digits, the row labels of
 * the other panels); "of 18" counts them. The key header's "pos mod 10"
 * goes here too when the legend had no room for it (index_note). */
static void draw_window_note(const Grid *g, Rect r, int r0, int c0, int free_x, bool index_note)
{
    const App *a = g->a;
    const int t = g->e->t;
    const char *dash = g->c->ascii ? "-" : "\u2013";
    char full[160], mid[96], tiny[48];
    const int last = t - 1;
    if (r0 == 0 && c0 == 0) {   /* only the index header's legend */
        snprintf(full, sizeof full, "%s", TR(a, "keys by position mod 10, tokens on the rows", "键按位置（个位数）标注，词元见各行"));
        snprintf(mid, sizeof mid, "%s", TR(a, "keys: pos mod 10", "键：位置个位"));
        snprintf(tiny, sizeof tiny, "%s", TR(a, "pos%10", "位置%10"));
    } else if (c0 > 0 && r0 > 0) {
        snprintf(full, sizeof full, TR(a, "rows %d%s%d, cols %d%s%d of %d", "第 %d%s%d 行、%d%s%d 列，共 %d"),
                 r0, dash, last, c0, dash, last, t);
        snprintf(mid, sizeof mid, TR(a, "r%d%s%d c%d%s%d", "行%d%s%d 列%d%s%d"), r0, dash, last, c0, dash, last);
    } else if (c0 > 0) {
        snprintf(full, sizeof full, TR(a, "cols %d%s%d of %d", "第 %d%s%d 列，共 %d 列"), c0, dash, last, t);
        snprintf(mid, sizeof mid, TR(a, "cols %d%s%d", "列 %d%s%d"), c0, dash, last);
    } else {
        snprintf(full, sizeof full, TR(a, "rows %d%s%d of %d", "第 %d%s%d 行，共 %d 行"), r0, dash, last, t);
        snprintf(mid, sizeof mid, TR(a, "rows %d%s%d", "行 %d%s%d"), r0, dash, last);
    }
    if (r0 > 0 || c0 > 0) snprintf(tiny, sizeof tiny, "%s%d", g->c->ascii ? "~" : "\u2026", last);
    if (r0 == 0 && c0 == 0 && !index_note) return;
    /* with index_note every wording keeps "pos mod 10" (the range goes
     * first): the digits above mean nothing without it */
    char f2[200], m2[160], t2[80], t3[32];
    snprintf(f2, sizeof f2, TR(a, "keys: pos mod 10 \u00b7 %s", "键：位置个位 \u00b7 %s"), full);
    snprintf(m2, sizeof m2, TR(a, "keys: pos mod 10 \u00b7 %s", "键：位置个位 \u00b7 %s"), mid);
    snprintf(t2, sizeof t2, TR(a, "pos%%10 %s", "位置%%10 %s"), tiny);
    snprintf(t3, sizeof t3, "%s", TR(a, "pos%10", "位置%10"));
    const bool both = index_note && (r0 > 0 || c0 > 0);
    const char *cands[] = {both ? f2 : full, both ? m2 : mid, both ? t2 : mid, both ? t3 : tiny};
    const int y = r.y + r.h - 1;
    for (int i = 0; i < 4; i++) {
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
    const Engine *e = g->e;
    if (e->mode == MODE_CACHE && e->n_chunks > 1 && e->step < e->n_chunks && e->p0 == 0)   /* §6.7 */
        return TR(a, "Prefill chunk: the first chunk's rows see each other causally (the triangle); no earlier rows yet. "
                     "Their K/V are appended (+).",
                  "分块预填充：第一块的各行按因果互相可见（三角形）；之前还没有行。它们的 K/V 追加（+）进缓存。");
    if (e->mode == MODE_CACHE && e->n_chunks > 1 && e->step < e->n_chunks)
        return TR(a, "Prefill chunk: its rows read the earlier prompt rows' K/V from the cache (the rectangle, \u2501) "
                     "and see each other causally (the triangle); their K/V are appended (+).",
                  "分块预填充：本块各行从缓存读取之前提示词行的 K/V（矩形，\u2501），块内各行按因果互相可见（三角形）；"
                  "它们的 K/V 追加（+）进缓存。");
    if (e->mode == MODE_CACHE && e->drafted > 0)   /* §6.9 */
        return TR(a, "Verify: the last token and its drafts, one row each, read the cache; a draft must not see the "
                     "drafts after it (masked). Accepted drafts keep their K/V; rejected ones are rolled back.",
                  "验证：最后一个词元及其草稿各占一行，读取缓存；草稿不能看到它后面的草稿（掩码）。"
                  "被接受的草稿保留 K/V，被拒绝的回滚。");
    switch (engine_phase(g->e)) {
    case PHASE_PREFILL:
        if (e->n == 1)   /* a one-token prompt: its row sees itself, nothing is masked */
            return TR(a, "Prefill: one prompt row, the newest position: nothing to mask. Its K/V is appended (+) to the cache.",
                      "预填充：只有一行提示词，就是最新位置：没有可掩码的格。它的 K/V 追加（+）进缓存。");
        if (e->cfg.window > 0 && e->t > e->cfg.window)   /* §6.3 */
            return TR(a, "Prefill: every prompt row at once; the future (upper right) and the keys older than the "
                         "window (lower left) are masked. Every column's K/V is appended (+); the ring keeps only the last window of them.",
                      "预填充：所有提示词行一次算完；右上方的未来和窗口之外更早的键（左下方）被掩码。"
                      "每一列的 K/V 都追加（+），环形缓存只保留最后一个窗口的。");
        return TR(a, "Prefill: every prompt row at once; the future (upper right) is masked. "
                     "Every column's K/V is appended (+) to the cache.",
                  "预填充：所有提示词行一次算完；右上方的未来被掩码。每一列的 K/V 都追加（+）进缓存。");
    case PHASE_DECODE:
        if (e->k_lo > 0)   /* §6.3: a ring of W holds only the window's keys */
            return TR(a, "Decode: only the new row is computed; it reads only the keys in its window, so nothing is "
                         "masked: older keys are evicted (-), never computed. The cache supplies the window's K/V (\u2501).",
                      "解码：只计算新的一行；它只读窗口内的键，无需掩码：更早的键已淘汰（-），从不计算。缓存提供窗口内的 K/V（\u2501）。");
        return TR(a, "Decode: only the new row is computed; it may see every key, so nothing is masked. "
                     "The cache supplies the K/V of the earlier columns (\u2501); the rows above are not computed this step.",
                  "解码：只计算新的一行；它能看到所有键，无需掩码。缓存提供之前各列的 K/V（\u2501）；上面的行本步不计算。");
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

/* What the grid shows at this position, and the label columns. */
static void grid_prepare(Grid *g, int ih)
{
    const Engine *e = g->e;
    g->mask_done = engine_op_done(e, OP_MASK, g->layer);
    g->soft_done = engine_op_done(e, OP_SOFTMAX, g->layer);
    g->redo = engine_phase(e) == PHASE_RECOMPUTE && e->step >= 1;
    /* the K/V line: always in a decode step, in the prefill when the box is
     * tall or holds every row, the legend and the sentence with it */
    g->kv_line = e->mode == MODE_CACHE && (e->p0 > 0 || ih >= 12 || ih >= e->t + 6);
    {   /* the live row's cells changed when this layer's QKᵀ, mask or softmax just ran */
        const OpRef cur = engine_current_op(e);
        g->live = cur.layer == g->layer && (cur.kind == OP_MASK || cur.kind == OP_SOFTMAX);
    }
    char tok[16];
    for (int p = 0; p < e->t; p++) {
        if (canvas_text_width(token_at(g, p, tok)) > 1) g->tokw = 2;
        const int w = canvas_text_width(fmt_token_quoted(g->a, engine_fed_token(e, p), tok));
        if (w > g->labw) g->labw = w;
    }
    g->lab = g->kv_line && g->labw + 2 < 4 ? 4 : g->labw + 2;
}

/* Blank lines between the legend and the sentence: none under a grid of
 * a few rows, where a blank line would be most of the box's empty rows. */
static int sentence_gap(const Grid *g)
{
    return g->e->t < 4 ? 0 : 1;
}

/* Lines row p takes: an idle row (not computed this step) one, a computed
 * row rh (more than one in presenter mode, so the live row stands out). */
static int row_h(const Grid *g, int p)
{
    return row_kind(g, p) == ROW_IDLE ? 1 : g->rh;
}

/* How many rows, newest first, fit in `lines`; *used gets their lines. */
static int fit_rows(const Grid *g, int lines, int *used)
{
    int n = 0, sum = 0;
    for (int p = g->e->t - 1; p >= 0 && sum + row_h(g, p) <= lines; p--, n++) sum += row_h(g, p);
    if (used) *used = sum;
    return n;
}

/* Presenter mode: big cells, about twice as wide as tall (a terminal cell
 * is tall), as large as the width allows, while every row, the legend and
 * the sentence still fit in ih lines. Sets g->cw and g->rh. */
static int present_slack(const Grid *g, int iw)
{
    /* a blank line, the legend (two lines), a blank line, the sentence */
    return 4 + canvas_wrap(NULL, (Rect){0, 0, iw, 0}, STYLE_DIM, explain(g));
}

static void present_scale(Grid *g, int iw, int gw, int ih, int hdr)
{
    const int t = g->e->t, slack = present_slack(g, iw);
    if (t <= 0) return;
    int idle = 0;
    for (int p = 0; p < t; p++) idle += row_kind(g, p) == ROW_IDLE;
    int cw = gw / t;
    if (cw > 7) cw = 7;
    int rh = cw / 2;
    if (rh > 3) rh = 3;
    if (rh < 1) rh = 1;
    while (rh > 1 && hdr + (t - idle) * rh + idle + slack > ih) rh--;
    if (cw > 2 * rh + 1) cw = 2 * rh + 1;
    if (cw > g->cw) g->cw = cw;
    g->rh = rh;
}

/* The legend entries that rows r0.. and columns c0.. of the grid, and the
 * K/V line, will draw. */
static unsigned marks_of(const Grid *g, int r0, int c0)
{
    const Engine *e = g->e;
    const int t = e->t;
    unsigned shown = g->hindex ? LG_INDEX : 0;
    for (int j = c0; j < t && g->kv_line; j++)
        if (j >= e->k_lo) shown |= j < e->p0 ? LG_CACHED : rolled_back(e, j) ? LG_ROLLED : LG_APPENDED;
    for (int p = r0; p < t; p++) {
        const RowKind k = row_kind(g, p);
        if (k == ROW_IDLE) shown |= LG_IDLE;
        else if (k == ROW_PENDING) shown |= LG_PENDING;
        else
            for (int j = c0; j < t; j++)
                shown |= j < e->k_lo ? LG_EVICTED : !config_visible(&e->cfg, p, j) ? LG_MASKED : g->soft_done ? LG_WEIGHT : LG_KEPT;
        if (p != t - 1 && g->redo) shown |= LG_REDONE;
    }
    return shown;
}

void panel_mask_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    const int Lyr = e->cfg.n_layers, H = e->cfg.n_heads;
    Grid g = {a, e, c, a->layer, a->head, false, false, false, false, false, 1, 1, 3, 1, 1, false, false, 0};
    if (g.layer < 0 || g.layer >= Lyr) g.layer = 0;
    if (g.head < 0 || g.head >= H) g.head = 0;

    canvas_fill(c, r, ' ', STYLE_NORMAL);
    const int free_x = draw_title(a, e, c, r, g.layer, g.head);
    const int ix = r.x + 1, iy = r.y + 1, iw = r.w - 2, ih = r.h - 2;
    if (iw <= 0 || ih <= 0) goto done;
    if (e->pos == 0) {
        panel_start_hint(a, c, (Rect){ix, iy, iw, ih});
        goto done;
    }

    const int t = e->t;
    grid_prepare(&g, ih);
    char tok[16];

    /* Columns: label (labw) + marker + gap, then cells; newest keys kept.
     * Wide tokens need 2-column cells, so the key header stays one line.
     * A digit or a sign among the keys is quoted ('2'): its quotes sit in
     * the gaps beside it, so cells need one column more than a token. */
    const int lab = g.lab, gw = iw - lab;
    const int hdr = 1 + (g.kv_line ? 1 : 0);
    g.cw = 2 * t <= gw || g.tokw == 2 ? 2 : 1;
    if (a->present) present_scale(&g, iw, gw, ih, hdr);
    int cols = gw / g.cw;
    if (cols > t) cols = t;
    if (cols < 0) cols = 0;
    for (int j = t - cols; j < t && !g.hquote; j++) g.hquote = header_quoted(&g, j);
    /* a quoted key beside a wide one needs 3-column cells; when those
     * would show fewer keys, the header numbers the keys instead (pos mod
     * 10, the row labels name the tokens): one line, no key lost */
    bool shared = false;   /* two quoted keys side by side would share a quote in 2-column cells */
    for (int j = t - cols + 1; j < t && g.hquote; j++) shared |= header_quoted(&g, j) && header_quoted(&g, j - 1);
    const int need_cw = g.tokw + 1 + (shared && g.tokw == 1 ? 1 : 0);
    if (g.hquote && g.cw < need_cw && !a->present && gw / need_cw < (t < gw / 2 ? t : gw / 2)) {
        g.hquote = false;
        g.hindex = true;
    }
    if (g.hquote && g.cw < need_cw) {
        g.cw = need_cw;
        cols = gw / g.cw;
        if (cols > t) cols = t;
        if (cols < 0) cols = 0;
    }
    const int c0 = t - cols;

    /* Rows: header (and K/V line), grid rows (newest kept), then the legend
     * when enough grid rows still fit beside it: the live row and one more
     * in a decode step (the rows above are blank), else four (or all). */
    const bool decode = e->mode == MODE_CACHE && e->p0 > 0;
    const int need = decode ? (t < 2 ? g.rh : g.rh + 1) : (t < 4 ? t : 4) * g.rh;
    int body = ih - hdr;
    int rows = fit_rows(&g, body, NULL);
    int r0 = t - rows;
    /* The legend: every entry a mark drawn needs, in the longest labels
     * that fit (long, mixed, short, tiny), on at most three lines below
     * the rows `need` asks for; when an entry would not fit, grid rows
     * give way one at a time (down to the live row, or two) to up to four
     * lines. Each try is
     * sized for the marks of the rows that will be drawn beside it. */
    const int need_min = decode || t < 2 ? g.rh : 2 * g.rh;
    int leg_lines = -1, leg_short = 3;
    unsigned dropped = 1;
    for (int nd = need; leg_lines < 0 && nd >= need_min; nd--) {
        const int cap = nd == need ? 3 : 4;   /* a fourth line before a second row goes */
        const int avail = body - nd < cap ? body - nd : cap;
        if (avail <= 0) continue;
        g.shown = marks_of(&g, t - fit_rows(&g, body - avail, NULL), c0);
        for (int lines = avail; lines > 0;) {
            int s2 = 0, used = 0;
            for (; s2 <= 3; s2++) {
                used = mask_legend_layout(&g, NULL, 0, 0, iw, lines, s2, &dropped);
                if (!dropped) break;
            }
            if (dropped) break;
            /* fewer lines leave room for more rows: their marks too */
            const unsigned more = marks_of(&g, t - fit_rows(&g, body - used, NULL), c0) & ~g.shown;
            if (!more || used == lines) {
                leg_lines = more ? lines : used;
                leg_short = s2;
                break;
            }
            g.shown |= more;
        }
    }
    if (leg_lines < 0) {   /* no room for them all: as many as fit, short */
        const int avail = body - need < 3 ? body - need : 3;
        g.shown = marks_of(&g, r0, c0);
        leg_lines = avail > 0 ? mask_legend_layout(&g, NULL, 0, 0, iw, avail, 3, &dropped) : 0;
    }
    body -= leg_lines;
    int grid_h;   /* lines the rows drawn take */
    rows = fit_rows(&g, body, &grid_h);
    r0 = t - rows;
    g.shown = 0;   /* from here on: what is actually drawn */

    if (lab >= 4 && c0 == 0) canvas_text(c, ix, iy, lab, STYLE_DIM, g.hindex ? "q\\#" : "q\\k");   /* rows: queries, columns: keys (#: by position) */
    if (c0 > 0) canvas_put(c, ix + lab - 1, iy, canvas_glyph(c, GLYPH_ELLIPSIS), STYLE_DIM);  /* keys cut on the left */
    for (int j = c0; j < t; j++) {
        const int x = ix + lab + (j - c0) * g.cw, room = ix + iw - x;
        /* the key header stays readable on a projector: normal, not dim */
        const int st = j == t - 1 ? STYLE_HILITE : STYLE_NORMAL;
        if (g.hindex) {
            canvas_put(c, x, iy, '0' + j % 10, st);
            g.shown |= LG_INDEX;
        }
        else canvas_text(c, x, iy, room < g.tokw ? room : g.tokw, st, token_at(&g, j, tok));
        if (g.hquote && header_quoted(&g, j)) {   /* '2': the quotes in the gaps */
            canvas_put(c, x - 1, iy, '\'', st);
            canvas_put(c, x + 1, iy, '\'', st);
        }
    }
    if (g.kv_line && body > 0) draw_kv_line(&g, ix, iy + 1, lab, c0, cols);
    for (int p = r0, y = iy + hdr; p < t; y += row_h(&g, p), p++) draw_row(&g, ix, y, p, c0, cols);

    dropped = LG_INDEX;   /* until the legend below draws it */
    if (leg_lines > 0) {
        /* legend under the grid after a blank line, else on the last lines;
         * then a sentence on the step when it fits in full */
        const int last = iy + ih - 1, y = iy + hdr + grid_h;
        const int ly = rows == t && y + leg_lines <= last ? y + 1 : last - leg_lines + 1;
        mask_legend_layout(&g, c, ix, ly, iw, leg_lines, leg_short, &dropped);
        const char *s = explain(&g);
        const int sy = ly + leg_lines + sentence_gap(&g), spare = last - sy + 1;
        if (spare >= 1 && *s && canvas_wrap(NULL, (Rect){ix, 0, iw, 0}, STYLE_DIM, s) <= spare)   /* not dim on a projector */
            canvas_wrap(c, (Rect){ix, sy, iw, spare}, a->present ? STYLE_NORMAL : STYLE_DIM, s);
    }
    if ((r0 > 0 || c0 > 0 || g.hindex) && rows > 0 && cols > 0)
        draw_window_note(&g, r, r0, c0, free_x, g.hindex && (dropped & LG_INDEX));
done:
    canvas_set_clip(c, old);
}

int panel_mask_present_h(const App *a, const Engine *e, int w, int max_h)
{
    if (e->pos == 0 || max_h < 4) return 4;   /* the start hint */
    Grid g = {a, e, NULL, a->layer, a->head, false, false, false, false, false, 1, 1, 3, 1, 1, false, false, 0};
    if (g.layer < 0 || g.layer >= e->cfg.n_layers) g.layer = 0;
    if (g.head < 0 || g.head >= e->cfg.n_heads) g.head = 0;
    const int ih = max_h - 2, iw = w - 2;
    grid_prepare(&g, ih);
    const int hdr = 1 + (g.kv_line ? 1 : 0);
    present_scale(&g, iw, iw - g.lab, ih, hdr);
    int lines;
    fit_rows(&g, ih, &lines);
    const int h = 2 + hdr + lines + present_slack(&g, iw);
    return h < max_h ? h : max_h;
}

int panel_mask_height(const App *a, const Engine *e, int w)
{
    if (e->pos == 0 || w < 8) return 0;
    Canvas plain = {0};   /* legend glyphs: one column either way */
    Grid g = {a, e, &plain, a->layer, a->head, false, false, false, false, false, 1, 1, 3, 1, 1, false, false, 0};
    if (g.layer < 0 || g.layer >= e->cfg.n_layers) g.layer = 0;
    if (g.head < 0 || g.head >= e->cfg.n_heads) g.head = 0;
    const int iw = w - 2, t = e->t;
    grid_prepare(&g, 1000);   /* as drawn in a box that holds everything */
    /* the legend as the step ends (every op of the layer run), so the
     * height holds still while the step's operations go by */
    g.mask_done = g.soft_done = true;
    for (int j = 0; j < t && g.kv_line; j++)
        if (j >= e->k_lo) g.shown |= j < e->p0 ? LG_CACHED : rolled_back(e, j) ? LG_ROLLED : LG_APPENDED;
    for (int p = 0; p < t; p++) {
        if (row_kind(&g, p) == ROW_IDLE) g.shown |= LG_IDLE;
        else
            for (int j = 0; j < t; j++)
                g.shown |= j < e->k_lo ? LG_EVICTED : !config_visible(&e->cfg, p, j) ? LG_MASKED : LG_WEIGHT;
        if (p != t - 1 && g.redo) g.shown |= LG_REDONE;
    }
    unsigned dropped;
    int leg = 0;
    for (int s = 0; s <= 3; s++) {
        leg = mask_legend_layout(&g, NULL, 0, 0, iw, 3, s, &dropped);
        if (!dropped) break;
    }
    const char *s = explain(&g);
    const int sent = *s ? canvas_wrap(NULL, (Rect){0, 0, iw, 0}, STYLE_DIM, s) : 0;
    const int hdr = 1 + (g.kv_line ? 1 : 0);
    int h = 2 + hdr + t + 1 + leg + (sent ? sentence_gap(&g) + sent : 0);
    if (g.kv_line && h < t + 8) h = t + 8;   /* the prefill keeps its K/V line (grid_prepare) */
    return h;
}
