/* panel_kvcache: the K and V rows of one layer and head, as the store holds
 * them, and what the cache costs.
 *
 * Which rows exist comes from the engine: in cache mode the committed rows
 * (kept from earlier steps) plus this step's rows once its Q/K/V has run
 * ("new" until the next step starts); in recompute and train mode only the
 * rows this step made, because nothing survives a step. Rows that do not
 * fit are dropped from the top: the newest rows are the interesting ones.
 *
 * With --rope (§6.10) one more line shows the newest row's key of this
 * head before and after RoPE turned it (the cache keeps the turned one);
 * with --rope-offset-bug, in a decode step, it says in red that the row was
 * turned at the wrong position and, once both modes made their logits,
 * by how much they differ from recompute.
 *
 * This file decides which rows exist and where every line goes, and draws
 * the rows and the header; the lines of text under the rows (size, fill
 * bar, bytes, RoPE, status, the shades' legend) are kvcache_lines.c's, the
 * two sharing the private kvcache.h.
 */
#include "ui/panels/kvcache.h"
#include "ui/style.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int digits(int v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* A verify step's row the append rolled back (a rejected draft, §6.9). */
static bool rolled_back(const Engine *e, int p)
{
    return e->mode == MODE_CACHE && e->drafted > 0 && p >= e->cache.len && p < e->t &&
           engine_op_done(e, OP_APPEND, -1);
}

static RowKind row_kind(const Ctx *x, int p)
{
    if (rolled_back(x->e, p)) return ROW_GONE;
    if (x->e->mode == MODE_CACHE) return p >= x->first_new ? ROW_NEW : ROW_KEPT;
    return x->kind;
}

/* Row marks, long or short (when the values need the room). */
static const char *mark_text(const Ctx *x, RowKind k)
{
    const bool ascii = x->c->ascii;
    switch (k) {
    case ROW_NEW: return x->short_marks ? "+" : TR(x->a, "new", "新");
    case ROW_REDONE: return x->short_marks ? (ascii ? "r" : "\u21bb") : TR(x->a, "redo", "重算");
    case ROW_GONE: return x->short_marks ? (ascii ? "x" : "\u2717") : TR(x->a, "discarded", "已丢弃");
    default: return "";
    }
}

static int row_style(RowKind k)
{
    switch (k) {
    case ROW_NEW: return STYLE_NEW;
    case ROW_REDONE: return STYLE_REDONE;
    case ROW_GONE: return STYLE_DIM;
    default: return STYLE_NORMAL;
    }
}

/* Which rows of the selected layer exist now, and what kind they are. */
static void find_rows(Ctx *x)
{
    const Engine *e = x->e;
    const bool made = e->pos > 0 && engine_op_done(e, OP_QKV, x->layer);
    switch (e->mode) {
    case MODE_CACHE:
        /* kv_rows, not only cache.len: a prefill after shared rows (§6.8)
         * commits their count at layer 0's Q/K/V, but a later layer gets
         * its copy of them only at its own Q/K/V (the donor makes them
         * there first), so until then that layer holds none */
        x->nrows = e->cache.len;
        if (made) x->nrows = e->t;
        else if (e->pos > 0 && e->kv_rows[x->layer] < x->nrows) x->nrows = e->kv_rows[x->layer];
        x->first_new = made ? e->p0 : x->nrows;
        x->kind = ROW_NEW;
        break;
    case MODE_RECOMPUTE:
        x->nrows = made ? e->t : 0;
        x->first_new = 0;
        x->kind = engine_at_step_end(e) ? ROW_GONE : ROW_REDONE;
        break;
    default:
        x->nrows = made ? e->t : 0;
        x->first_new = 0;
        x->kind = ROW_PASS;
        break;
    }
    x->lo = e->mode == MODE_CACHE ? kvcache_first(&e->cache) : 0;
}

/* The head's slice of a K/V row; zeros for a row no longer held. */
static const float zero_row[4096];
static const float *krow(const Ctx *x, int p)
{
    const float *r = engine_k_row(x->e, x->layer, p);
    return r ? r + x->off : zero_row;
}
static const float *vrow(const Ctx *x, int p)
{
    const float *r = engine_v_row(x->e, x->layer, p);
    return r ? r + x->off : zero_row;
}

/* Column widths for rows from..nrows-1: numbers when they fit, else one
 * shade per value; marks get short, then go, before values are cut. */
static void plan_columns(Ctx *x, int from)
{
    char tok[16];
    x->posw = digits(x->nrows > 0 ? x->nrows - 1 : 0);
    x->tokw = 1;
    x->kmax = x->vmax = 0.0f;
    for (int p = from; p < x->nrows; p++) {
        const int id = engine_fed_token(x->e, p);
        int w = id >= 0 ? canvas_text_width(fmt_token_quoted(x->a, id, tok)) : 1;
        if (w > x->tokw) x->tokw = w;
    }
    /* Shade scale from the prompt rows only: they are the same in every
     * step and mode, so a kept row never changes its look when a new row
     * arrives. Later rows beyond it clip to the end shades. */
    const int scale_end = x->lo < x->e->L ? x->e->L : x->nrows;   /* a ring may hold no prompt row */
    for (int p = x->lo; p < x->nrows && p < scale_end; p++)
        for (int j = 0; j < x->dh && j < 4096; j++) {
            float k = fabsf(krow(x, p)[j]), v = fabsf(vrow(x, p)[j]);
            if (k > x->kmax) x->kmax = k;
            if (v > x->vmax) x->vmax = v;
        }
    /* a rolled-back row keeps its mark at any width: without it the row
     * would read as one the cache holds */
    bool gone = false;   /* (recompute discards every row: its status line says so) */
    for (int p = from; p < x->nrows && x->e->mode == MODE_CACHE; p++) gone |= row_kind(x, p) == ROW_GONE;
    for (int level = 0; level < 3; level++) {
        x->short_marks = level >= 1;
        x->markw = 0;
        if (level < 2 || gone)
            for (int p = from; p < x->nrows; p++) {
                int mw = canvas_text_width(mark_text(x, row_kind(x, p)));
                if (mw > x->markw) x->markw = mw;
            }
        int fixed = x->posw + 1 + x->tokw + 1 + 2 + (x->markw ? x->markw + 1 : 0);
        x->numw = fixed + 2 * (x->dh * 6 - 1) <= x->in.w ? 6 : fixed + 2 * (x->dh * 5 - 1) <= x->in.w ? 5 : 0;
        if (x->a->view == VIEW_COMPARE) x->numw = 0;   /* both sides of the view read alike: shades */
        x->cells = x->numw ? x->dh : (x->in.w - fixed) / 2;
        if (x->cells > x->dh) x->cells = x->dh;
        if (x->cells < 0) x->cells = 0;
        if (x->cells == x->dh || x->markw == 0) return;
    }
}

static int block_w(const Ctx *x)
{
    return x->numw ? x->dh * x->numw - 1 : x->cells;
}

/* One K or V block of row p from column cx. */
static void draw_block(const Ctx *x, int cx, int y, const float *v, float vmax, RowKind k)
{
    const int over = !x->numw && x->cells < x->dh;   /* last cell becomes '…' */
    for (int j = 0; j < x->cells; j++) {
        /* the glyph (or the number) is the value; what the row is, is said
         * by its label and mark: colour never means two things here */
        const int st = STYLE_NORMAL;
        (void)k;
        if (x->numw) {
            const double a = fabs(v[j]);
            const int w = x->numw - 1;
            if (w == 5)
                canvas_textf(x->c, cx + j * 6, y, 5, st, a >= 99.95 ? "%+5.0f" : a >= 9.995 ? "%+5.1f" : "%+5.2f", (double)v[j]);
            else
                canvas_textf(x->c, cx + j * 5, y, 4, st, a >= 9.95 ? "%+4.0f" : "%+4.1f", (double)v[j]);
        } else if (over && j == x->cells - 1) {
            canvas_put(x->c, cx + j, y, canvas_glyph(x->c, GLYPH_ELLIPSIS), STYLE_DIM);
        } else {
            /* signed: -max → lightest visible shade, 0 → middle, +max → full */
            double s = vmax > 0 ? (v[j] + vmax) / (2.0 * vmax) : 0.5;
            canvas_shade(x->c, cx + j, y, s > 0.001 ? (s < 1 ? s : 1) : 0.001, st);
        }
    }
}

static void draw_row(const Ctx *x, int p, int y)
{
    char tok[16];
    RowKind k = row_kind(x, p);
    /* this step's rows, the moment Q/K/V wrote them or the append kept them */
    const bool changed = x->changed && (x->e->mode != MODE_CACHE || p >= x->first_new);
    int st = changed ? STYLE_CHANGED : row_style(k), cx = x->in.x;
    canvas_textf(x->c, cx, y, x->posw, (k == ROW_KEPT || k == ROW_PASS) && !changed ? STYLE_DIM : st, "%*d",
                 x->posw, p);
    cx += x->posw + 1;
    /* a verify step's rows after the first hold its drafts (§6.9), rejected ones included */
    const Engine *e = x->e;
    const int id = engine_fed_token(e, p);
    canvas_text(x->c, cx, y, x->tokw, st, id >= 0 ? fmt_token_quoted(x->a, id, tok) : "?");
    cx += x->tokw + 1;
    draw_block(x, cx, y, krow(x, p), x->kmax, k);
    cx += block_w(x) + 2;
    draw_block(x, cx, y, vrow(x, p), x->vmax, k);
    cx += block_w(x) + 1;
    if (x->markw) canvas_text(x->c, cx, y, x->markw, st, mark_text(x, k));
}

/* A row a window's ring evicted: its position and token, and which
 * position its slot holds now (the newest one with the same p mod W). */
static void draw_evicted(const Ctx *x, int p, int y)
{
    char tok[16];
    const int W = x->e->cache.capacity, now = p + (x->nrows - 1 - p) / W * W;
    int cx = x->in.x;
    canvas_textf(x->c, cx, y, x->posw, STYLE_DIM, "%*d", x->posw, p);
    cx += x->posw + 1;
    const int id = p < x->e->n_tokens ? x->e->tokens[p] : -1;
    canvas_text(x->c, cx, y, x->tokw, STYLE_DIM, id >= 0 ? fmt_token_quoted(x->a, id, tok) : "?");
    cx += x->tokw + 1;
    char b[3][96];
    snprintf(b[0], sizeof b[0], TR(x->a, "evicted: its slot %d now holds pos %d", "已淘汰：它的槽 %d 现存位置 %d"), p % W, now);
    snprintf(b[1], sizeof b[1], TR(x->a, "evicted, slot %d: pos %d", "已淘汰，槽 %d：位置 %d"), p % W, now);
    snprintf(b[2], sizeof b[2], "%s", TR(x->a, "evicted", "已淘汰"));
    for (int i = 0; i < 3; i++)
        if (canvas_text_width(b[i]) <= x->in.x + x->in.w - cx || i == 2) {
            canvas_text(x->c, cx, y, x->in.x + x->in.w - cx, STYLE_DIM, b[i]);
            break;
        }
}

/* Header over the rows: column labels, and how many rows are hidden. */
static void draw_header(const Ctx *x, int y, int hidden, bool *note_done)
{
    char note[3][96];
    int kx = x->in.x + x->posw + 1 + x->tokw + 1, vx = kx + block_w(x) + 2;
    canvas_text(x->c, x->in.x, y, x->posw + 1 + x->tokw, STYLE_DIM, x->posw + 1 + x->tokw >= 4 ? TR(x->a, "pos", "位置") : "#");
    if (block_w(x) >= 1) {
        char lab[32];
        const bool wide = block_w(x) >= 12;
        snprintf(lab, sizeof lab, wide ? "K (d_h = %d)" : "K", x->dh);
        canvas_text(x->c, kx, y, block_w(x), STYLE_TITLE, lab);
        snprintf(lab, sizeof lab, wide ? "V (d_h = %d)" : "V", x->dh);
        canvas_text(x->c, vx, y, block_w(x), STYLE_TITLE, lab);
    }
    *note_done = hidden == 0;
    if (hidden == 0) return;
    if (x->lo > 0 && hidden == x->lo) {   /* everything above left the window's ring */
        snprintf(note[0], sizeof note[0], TR(x->a, "\u2026 %d evicted (W=%d)", "\u2026 已淘汰 %d 行（W=%d）"),
                 hidden, x->e->cfg.window);
        snprintf(note[1], sizeof note[1], TR(x->a, "\u2026 %d evicted", "\u2026 淘汰 %d 行"), hidden);
    } else if (x->lo > 0 && hidden > x->lo) {   /* some held rows above, and the evicted ones */
        snprintf(note[0], sizeof note[0], TR(x->a, "\u2026 %d more \u00b7 %d evicted", "\u2026 还有 %d 行 \u00b7 已淘汰 %d 行"),
                 hidden - x->lo, x->lo);
        snprintf(note[1], sizeof note[1], TR(x->a, "\u2026 %d + %d evicted", "\u2026 %d + 淘汰 %d"), hidden - x->lo, x->lo);
    } else {
        snprintf(note[0], sizeof note[0], TR(x->a, "\u2026 %d more above", "\u2026 上方还有 %d 行"), hidden);
        snprintf(note[1], sizeof note[1], TR(x->a, "\u2026 %d more", "\u2026 还有 %d 行"), hidden);
    }
    snprintf(note[2], sizeof note[2], "\u2191%d", hidden);
    /* the note goes right of the whole V label, or right of a bare "V"
     * (K's label keeps the d_h), never across a word of the label */
    char vlab[32];
    snprintf(vlab, sizeof vlab, block_w(x) >= 12 ? "V (d_h = %d)" : "V", x->dh);
    const int full = vx + (block_w(x) >= 1 ? canvas_text_width(vlab) : 0) + 1 - x->in.x;
    const int bare = vx + 2 - x->in.x;
    /* under a window with held rows above, a bare "↑N" would hide that most
     * of them are gone: the note then takes a line of its own instead */
    const int forms = x->lo > 0 && hidden > x->lo ? 2 : 3;
    for (int i = 0; i < forms; i++) {
        const int w = canvas_text_width(note[i]);
        if (full + w > x->in.w && bare + w > x->in.w) continue;
        if (full + w > x->in.w)   /* V's "(d_h = ..)" gives way to the note */
            canvas_fill(x->c, (Rect){vx + 1, y, x->in.x + x->in.w - vx - 1, 1}, ' ', STYLE_NORMAL);
        canvas_text(x->c, x->in.x + x->in.w - w, y, w, STYLE_DIM, note[i]);
        *note_done = true;
        return;
    }
}

static void draw_inside(Ctx *x)
{
    char status[160], status_sh[96];
    const int h = x->in.h;
    const bool cache = x->e->mode == MODE_CACHE;
    find_rows(x);
    kvcache_lines_status_text(x, status, status_sh, sizeof status_sh);

    /* bottom lines, by priority: summary, status when rows are marked,
     * then RoPE, fill bar (cache) and status; the optional ones only when
     * at least a few rows still fit above them */
    const int want_rows = x->nrows ? 1 + (x->nrows < 4 ? x->nrows : 4) : 2;
    int bottom = 1;
    bool fill = false, stat = false, rope = false;
    const Engine *e = x->e;
    const bool rolled = cache && e->drafted > e->accepted && e->accepted >= 0 && engine_op_done(e, OP_APPEND, -1);
    /* Rows drawn in a mark's colour come with the status line, which says
     * what the mark means, before anything optional: RoPE, the fill bar
     * and the byte lines give way first, then the oldest rows. Marked are
     * this step's rows in cache mode (before the append they are not in
     * the cache, which the size line shows: without the line they would
     * contradict it), a verify step's rolled-back drafts, and the rows
     * recompute redoes or discards. The line needs one above it for the
     * header; with no line left for a row, no row is drawn. */
    const bool marked = x->nrows > 0 && (cache ? x->first_new < x->nrows : e->mode == MODE_RECOMPUTE);
    if (marked && h - bottom >= 2) { stat = true; bottom++; }
    /* the RoPE line, which --rope is there to show, may take a row more
     * than the fill bar */
    if (e->cfg.rope && h - bottom - 1 >= want_rows - 1) { rope = true; bottom++; }
    if (cache && h - bottom - 1 >= want_rows) { fill = true; bottom++; }
    if (!stat && x->nrows && h - bottom - 1 >= want_rows) { stat = true; bottom++; }
    int y = x->in.y + h - 1, stat_y = -1;
    kvcache_lines_draw_summary(x, y--, !fill);
    if (rope) kvcache_lines_draw_rope(x, y--);
    if (fill) kvcache_lines_draw_fill(x, y--);
    if (stat) stat_y = y--;   /* drawn once the rows' marks are chosen (plan_columns) */

    /* rows to spare under every held row and the legend (a short prompt
     * on a tall screen): what one position costs, and the cache when full */
    int extra = 0;
    if (cache && fill && stat && x->nrows) {
        const int spare = h - bottom - (1 + (x->nrows - x->lo) + 1);
        extra = spare >= 3 ? 2 : spare == 2 ? 1 : 0;
    }
    for (int i = 0; i < extra; i++) kvcache_lines_draw_bytes(x, y--, i == 0 && extra == 2);
    bottom += extra;

    int area = h - bottom;
    if (area <= 0) {
        kvcache_lines_draw_status(x, stat_y, status, status_sh, rolled);
        return;
    }
    if (x->nrows == 0) {
        Rect m = {x->in.x, x->in.y, x->in.w, area};
        canvas_wrap(x->c, m, STYLE_DIM, status);
        return;
    }
    const int held = x->nrows - x->lo;
    int shown = area - 1 < held ? area - 1 : held;
    plan_columns(x, x->nrows - (shown > 0 ? shown : 0));
    /* shades always come with their legend: a row gives way to it */
    if (!x->numw && x->cells > 0 && 1 + shown >= area && shown > 1) {
        shown--;
        plan_columns(x, x->nrows - shown);
    }
    bool note_done;
    draw_header(x, x->in.y, x->nrows - shown, &note_done);
    int top = x->in.y + 1;
    if (!note_done && shown > 0) {   /* the note needs a line of its own */
        shown--;
        plan_columns(x, x->nrows - shown);
        char note[96];
        if (x->lo > 0 && shown == held)
            snprintf(note, sizeof note, TR(x->a, "\u2026 %d evicted (window %d)", "\u2026 已淘汰 %d 行（窗口 %d）"),
                     x->lo, x->e->cfg.window);
        else if (x->lo > 0) {   /* held rows above, and the evicted ones: the longest form that fits */
            const int more = held - shown;
            snprintf(note, sizeof note, TR(x->a, "\u2026 %d more above \u00b7 %d evicted", "\u2026 上方还有 %d 行 \u00b7 已淘汰 %d 行"),
                     more, x->lo);
            if (canvas_text_width(note) > x->in.w)
                snprintf(note, sizeof note, TR(x->a, "\u2026 %d more \u00b7 %d evicted", "\u2026 还有 %d 行 \u00b7 淘汰 %d 行"), more, x->lo);
            if (canvas_text_width(note) > x->in.w)
                snprintf(note, sizeof note, TR(x->a, "\u2026 %d + %d evicted", "\u2026 %d + 淘汰 %d"), more, x->lo);
        } else
            snprintf(note, sizeof note, TR(x->a, "\u2026 %d more above", "\u2026 上方还有 %d 行"), x->nrows - shown);
        canvas_text(x->c, x->in.x, top++, x->in.w, STYLE_DIM, note);
    }
    /* a window's evicted rows, dim, in the lines to spare above the legend
     * (one kept blank): where they went, not their values (gone) */
    const int leg_h = !x->numw && x->cells > 0 ? 1 : 0;
    int gone = x->lo > 0 && shown == held ? x->in.y + area - leg_h - (top + shown) - 1 : 0;
    if (gone > x->lo) gone = x->lo;
    for (int i = 0; i < gone; i++) draw_evicted(x, x->lo - gone + i, top + i);
    if (gone > 0) top += gone;
    for (int i = 0; i < shown; i++) draw_row(x, x->nrows - shown + i, top + i);
    if (!x->numw && x->cells > 0 && top + shown < x->in.y + area)
        kvcache_lines_draw_legend(x, x->in.y + area - 1);
    kvcache_lines_draw_status(x, stat_y, status, status_sh, rolled);
}

void panel_kvcache_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    char title[192];
    const int Lyr = e->cfg.n_layers, H = e->cfg.n_heads;
    const int layer = a->layer >= 0 && a->layer < Lyr ? a->layer : 0;
    const int head = a->head >= 0 && a->head < H ? a->head : 0;
    Rect old = canvas_set_clip(c, rect_intersect(c->clip, r));

    /* compare view: two of these sit side by side, so name the mode in the
     * title, or on the bottom border (as the mask panel does) when narrow */
    const bool cmp = a->view == VIEW_COMPARE;
    const char *mode = e->mode == MODE_RECOMPUTE ? TR(a, "recompute", "重算") : TR(a, "cache", "缓存");
    char hl[64];
    fmt_head(a, e, head, hl);
    if (canvas_text_width(hl) + 16 > r.w - 6) snprintf(hl, sizeof hl, "H%d", head);   /* narrow: no group */
    snprintf(title, sizeof title, "%s L%d %s%s%s", TR(a, "KV cache", "KV 缓存"), layer, hl,
             cmp ? " \u00b7 " : "", cmp ? mode : "");
    /* decide with the longer mode name, so both sides of the view agree */
    const char *longest = TR(a, "recompute", "重算");
    const bool bottom = cmp && canvas_text_width(title) - canvas_text_width(mode) + canvas_text_width(longest) > r.w - 6;
    if (bottom) snprintf(title, sizeof title, "%s L%d %s", TR(a, "KV cache", "KV 缓存"), layer, hl);
    canvas_box(c, r, STYLE_BORDER, title);
    if (bottom && r.h >= 2 && canvas_text_width(mode) + 6 <= r.w) {
        int y = r.y + r.h - 1;
        canvas_put(c, r.x + 2, y, ' ', STYLE_BORDER);
        int w = canvas_text(c, r.x + 3, y, -1, e->mode == MODE_RECOMPUTE ? STYLE_RECOMPUTE_MODE : STYLE_CACHE_MODE, mode);
        canvas_put(c, r.x + 3 + w, y, ' ', STYLE_BORDER);
    }

    Ctx x = {0};
    x.a = a;
    x.e = e;
    x.c = c;
    x.in = (Rect){r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    x.layer = layer;
    x.dh = config_head_dim(&e->cfg);
    x.off = config_kv_head(&e->cfg, head) * x.dh;   /* query head → its K/V head (GQA) */
    {
        const OpRef cur = engine_current_op(e);
        x.changed = (cur.kind == OP_QKV && cur.layer == layer) || cur.kind == OP_APPEND;
    }
    if (x.in.w > 0 && x.in.h > 0) draw_inside(&x);
    canvas_set_clip(c, old);
}
