/* panel_attention: the current query row of the selected layer and head as
 * one labelled bar per key, and (prefill, recompute, train: n > 1) the
 * whole n×t weight matrix as a heat map when the box has room for it.
 *
 * The query row shown is row n-1 of this step, i.e. position t-1: the row
 * whose output becomes the next token. Its values follow the step:
 *   before QKᵀ   "not computed yet";
 *   after QKᵀ    raw scores (every key, the mask comes after);
 *   after mask   the same, masked keys as −∞;
 *   after softmax weights 0..1, bars scaled so the largest fills the bar.
 * When there are more keys than lines, the lines go to the keys with the
 * largest values (shown in position order, "top k/t" in the header): where
 * attention goes is the lesson, and the heat map shows the rest.
 */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { MAX_LINES = 256, VAL_W = 6, BARS_MIN_W = 16, BAR_MAX_W = 30 };

typedef struct {
    const App *a;
    const Engine *e;
    Canvas *c;
    int layer, head;
    bool scored, masked, soft;  /* OP_SCORES / OP_MASK / OP_SOFTMAX done */
    bool changed;               /* this layer's QKᵀ, mask or softmax just ran */
    int tokw;                   /* columns of a (quoted) token label in the key lines */
    int hw;                     /* columns of a plain token in the heat map: 1 or 2 */
    const float *row;           /* (t) values of the query row shown */
    bool same_query;            /* the query is named above already: no "query …" line */
} AttView;

/* Quoted when it could be read as a number ('2', '␣'): the lines put
 * tokens right beside positions and values. */
static const char *token_at(const AttView *v, int p, char buf[16])
{
    return fmt_token_quoted(v->a, engine_fed_token(v->e, p), buf);
}

/* Value of key j for ranking; NaN and −∞ rank last. */
static float rank_val(const AttView *v, int j)
{
    float x = v->row[j];
    return isnan(x) ? -INFINITY : x;
}

/* Indices of the k best keys of the row, in position order. O(k·t), no
 * allocation: each pass takes the best key ranked after the previous one. */
static int top_keys(const AttView *v, int lo, int t, int k, int *out)
{
    float pv = INFINITY;
    int pj = -1, n = 0;
    for (; n < k; n++) {
        int best = -1;
        for (int j = lo; j < t; j++) {
            float x = rank_val(v, j);
            bool after = x < pv || (x == pv && j > pj);
            if (after && (best < 0 || x > rank_val(v, best))) best = j;
        }
        if (best < 0) break;
        out[n] = best;
        pv = rank_val(v, best);
        pj = best;
    }
    for (int i = 1; i < n; i++)   /* insertion sort back into position order */
        for (int m = i; m > 0 && out[m - 1] > out[m]; m--) {
            int tmp = out[m];
            out[m] = out[m - 1];
            out[m - 1] = tmp;
        }
    return n;
}

/* One key line: [pos] token │bar value. */
static void draw_key_line(const AttView *v, int x, int y, int w, int j, bool show_pos, float vmax)
{
    Canvas *c = v->c;
    const int qpos = v->e->t - 1;
    char tok[16], val[16];
    int cx = x;
    if (show_pos) cx += canvas_textf(c, cx, y, -1, STYLE_DIM, "%*d ", v->e->t > 100 ? 3 : 2, j);
    canvas_text(c, cx, y, v->tokw, STYLE_NORMAL, token_at(v, j, tok));
    cx += v->tokw;
    canvas_put(c, cx++, y, canvas_glyph(c, GLYPH_VLINE), STYLE_BORDER);
    int bw = x + w - cx - 1 - 4;   /* "0.42"; capped so values stay near their bars */
    if (bw > BAR_MAX_W) bw = BAR_MAX_W;
    const float x_j = v->row[j];
    int vst = v->changed ? STYLE_CHANGED : STYLE_NORMAL;
    const bool hidden = v->masked && !config_visible(&v->e->cfg, qpos, j);
    if (hidden && !v->soft) {   /* a masked score; after softmax it is a weight of 0 */
        snprintf(val, sizeof val, "%s", c->ascii ? "-inf" : "\u2212\u221e");
        vst = STYLE_MASKED;
    } else if (hidden) {
        snprintf(val, sizeof val, "%.2f", (double)x_j);
        vst = STYLE_MASKED;
    } else if (v->soft) {
        snprintf(val, sizeof val, "%.2f", (double)x_j);
        if (bw > 0) canvas_hbar(c, cx, y, bw, vmax > 0.0f ? (double)x_j / (double)vmax : 0.0, STYLE_VISIBLE);
    } else {
        snprintf(val, sizeof val, "%+.2f", (double)x_j);
        if (!v->changed) vst = x_j < 0.0f ? STYLE_NEGATIVE : STYLE_POSITIVE;
    }
    /* weights sit at the end of their bars; scores (no bars) beside the labels */
    int vw = canvas_text_width(val);
    int vx = v->soft ? cx + (bw > 0 ? bw + 1 : 0) : cx + VAL_W - vw;
    canvas_text(c, vx, y, x + w - vx, vst, val);
}

/* The query row in r: a header line, a note before softmax, then one line
 * per key (weights: bars), or, for scores (no bars), compact entries in as
 * many columns as fit, read down. Returns the line after the last drawn. */
static int draw_bars(const AttView *v, Rect r)
{
    const App *a = v->a;
    const Engine *e = v->e;
    Canvas *c = v->c;
    const int t = e->t, posw = t > 100 ? 4 : 3;
    char tok[16], head[96];
    if (r.w <= 0 || r.h <= 0) return r.y;
    /* the query named above: lay out as if its line were there, draw from below it */
    if (v->same_query) r = (Rect){r.x, r.y - 1, r.w, r.h + 1};

    /* a windowed decode row never scores the keys the ring evicted: they
     * get one line of their own, not one −∞ line each (the mask agrees) */
    const int lo = e->k_lo, nkeys = t - lo;
    int lines = r.h - 1;
    if (v->scored && !v->soft) lines--;   /* the note line */
    if (v->scored && lo > 0) lines--;     /* the evicted line */
    if (lines > MAX_LINES) lines = MAX_LINES;
    /* entry width and columns: bars use the whole width, positions only
     * when the bar keeps 8 cells; score entries are "pos tok│ +0.00" */
    bool show_pos = r.w - posw - v->tokw - 1 - 1 - 4 >= 8;
    int ew = r.w, ncols = 1;
    if (!v->soft) {
        show_pos = r.w >= posw + v->tokw + 1 + VAL_W;
        ew = (show_pos ? posw : 0) + v->tokw + 1 + VAL_W;
        ncols = (r.w + 2) / (ew + 2);
        if (lines > 0 && ncols > (nkeys + lines - 1) / lines) ncols = (nkeys + lines - 1) / lines;   /* no more than needed */
        if (ncols < 1) ncols = 1;
    }
    int slots = lines * ncols;
    if (slots > MAX_LINES) slots = MAX_LINES;
    const bool cut = v->scored && lines > 0 && slots < nkeys;
    /* zh quotes every token as its sentences do ("查询“在”"): a Chinese
     * character or a full-width mark would otherwise read as a word of
     * the header; en quotes what could read as a number or a sign */
    snprintf(head, sizeof head, TR(a, "query %s, pos %d", "查询\u201c%s\u201d，位置 %d"),
             TR(a, token_at(v, t - 1, tok), fmt_token(a, engine_fed_token(e, t - 1), tok)), t - 1);
    int hx = v->same_query ? r.x + r.w : r.x + canvas_text(c, r.x, r.y, r.w, STYLE_HILITE, head);
    if (cut) {   /* "top 5/14" whole, or "5/14", or nothing: never a cut number */
        char top[3][32];
        snprintf(top[0], sizeof top[0], TR(a, "  top %d/%d", "  前 %d/%d"), slots, nkeys);
        snprintf(top[1], sizeof top[1], "  %d/%d", slots, nkeys);
        snprintf(top[2], sizeof top[2], " %d/%d", slots, nkeys);
        for (int i = 0; i < 3; i++)
            if (hx + canvas_text_width(top[i]) <= r.x + r.w) {
                canvas_text(c, hx, r.y, -1, STYLE_DIM, top[i]);
                break;
            }
    }
    if (!v->scored) {
        int n = canvas_wrap(c, (Rect){r.x, r.y + 1, r.w, r.h - 1}, STYLE_DIM, TR(a, "not computed yet", "尚未计算"));
        return r.y + 1 + (n < r.h - 1 ? n : r.h - 1);
    }
    int y = r.y + 1;
    if (!v->soft && r.h > 1) {
        const int w = canvas_text(c, r.x, y, r.w, STYLE_DIM,
                                  v->masked ? TR(a, "after mask, before softmax", "掩码后，softmax 前")
                                            : TR(a, "scores before softmax", "softmax 前的分数"));
        if (cut && v->same_query) {   /* no query line to carry "top k/t": this one does */
            char top[32];
            snprintf(top, sizeof top, TR(a, ", top %d/%d", "，前 %d/%d"), slots, nkeys);
            if (w + canvas_text_width(top) <= r.w) canvas_text(c, r.x + w, y, -1, STYLE_DIM, top);
        }
        y++;
    }
    if (lo > 0 && y < r.y + r.h) {   /* the long form, else shorter, never cut */
        char ev[3][96];
        const char *dash = c->ascii ? "-" : "\u2013";
        char range[32];
        if (lo == 1) snprintf(range, sizeof range, "0");
        else snprintf(range, sizeof range, "0%s%d", dash, lo - 1);
        snprintf(ev[0], sizeof ev[0], TR(a, "%s evicted (not in cache)", "%s 已淘汰（不在缓存中）"), range);
        snprintf(ev[1], sizeof ev[1], TR(a, "%s evicted", "%s 已淘汰"), range);
        snprintf(ev[2], sizeof ev[2], TR(a, "%d evicted", "淘汰 %d"), lo);
        for (int i = 0; i < 3; i++)
            if (canvas_text_width(ev[i]) <= r.w || i == 2) {
                canvas_text(c, r.x, y++, r.w, STYLE_DIM, ev[i]);
                break;
            }
    }
    if (lines <= 0) return y;

    int keys[MAX_LINES], nk;
    if (nkeys <= slots) {
        nk = nkeys;
        for (int j = 0; j < nkeys; j++) keys[j] = lo + j;
    } else {
        nk = top_keys(v, lo, t, slots, keys);
    }
    float vmax = 0.0f;
    for (int j = lo; j < t; j++)
        if (v->row[j] > vmax) vmax = v->row[j];
    const int per = (nk + ncols - 1) / ncols;   /* rows used per column */
    for (int i = 0; i < nk; i++)
        draw_key_line(v, r.x + (i / per) * (ew + 2), y + i % per, ew, keys[i], show_pos, vmax);
    return y + per;
}

/* One sentence on the numbers shown, under everything when it fits.
 * Returns the line after it (r.y when not drawn). */
static int draw_note(const AttView *v, Rect r)
{
    const App *a = v->a;
    char s[256];
    if (!v->scored) return r.y;
    if (!v->soft)
        snprintf(s, sizeof s, "%s", TR(a, "Softmax will turn these scores into weights that sum to 1.",
                                       "softmax 会把这些分数变成和为 1 的权重。"));
    else if (engine_phase(v->e) == PHASE_DECODE && v->e->n == 1 && v->e->k_lo > 0)
        snprintf(s, sizeof s, TR(a, "The one new query reads only the last %d cached K/V rows plus its own; "
                                    "the %d older ones are outside the window: with a window the cost of a step stops growing.",
                                 "唯一的新查询只读缓存里最近的 %d 行 K/V 和它自己的一行；更早的 %d 行在窗口之外：有窗口时每步开销不再增长。"),
                 v->e->t - 1 - v->e->k_lo, v->e->k_lo);
    else if (engine_phase(v->e) == PHASE_DECODE && v->e->n == 1 && v->e->t == 2)
        snprintf(s, sizeof s, "%s", TR(a, "The one new query reads the K/V of the one earlier position from the cache, "
                                          "plus its own: even with a cache, the cost of a step grows with t.",
                                       "唯一的新查询要从缓存读取之前那一个位置的 K/V，再加上它自己的：即使有缓存，每步的开销仍随 t 增长。"));
    else if (engine_phase(v->e) == PHASE_DECODE && v->e->n == 1)
        snprintf(s, sizeof s, TR(a, "The one new query reads the K/V of all %d earlier positions from the cache, "
                                    "plus its own: even with a cache, the cost of a step grows with t.",
                                 "唯一的新查询要从缓存读取之前全部 %d 个位置的 K/V，再加上它自己的：即使有缓存，每步的开销仍随 t 增长。"),
                 v->e->t - 1);
    else
        snprintf(s, sizeof s, TR(a, "Row %d's weights sum to 1; its output is the weighted sum of the value rows.",
                                 "第 %d 行的权重和为 1；它的输出是各值向量的加权和。"), v->e->t - 1);
    const int n = canvas_wrap(NULL, (Rect){r.x, 0, r.w, 0}, STYLE_DIM, s);
    if (r.h >= 1 && n <= r.h) {
        canvas_wrap(v->c, r, STYLE_DIM, s);
        return r.y + n;
    }
    return r.y;
}

/* Heat map of the n×t weights at (x, y): key header, then one row per
 * query, labelled with its quoted token. A digit or a sign among the keys
 * is quoted in the gaps beside it ('.') when the cells have gaps and no
 * key is wide; else the header numbers the keys (pos mod 10), which the
 * row labels and the lines beside name. */
static void draw_heat(const AttView *v, int x, int y, int cw)
{
    const Engine *e = v->e;
    Canvas *c = v->c;
    const int t = e->t, lab = v->tokw + 2;
    char tok[16];
    const bool index = panel_key_header(v->a, c, x + lab, y, e, 0, t, cw, t - 1);
    if (lab >= 4) canvas_text(c, x, y, lab, STYLE_DIM, index ? "q\\#" : "q\\k");   /* rows: queries, columns: keys */
    for (int i = 0; i < e->n; i++) {
        const int p = e->p0 + i, yy = y + 1 + i;
        const float *w = engine_att_row(e, v->layer, v->head, i);
        float m = 0.0f;
        for (int j = 0; j < t; j++)
            if (w[j] > m) m = w[j];
        const bool cur = p == t - 1;
        canvas_text(c, x, yy, v->tokw, cur ? STYLE_HILITE : STYLE_NORMAL, token_at(v, p, tok));
        if (cur) canvas_put(c, x + v->tokw, yy, canvas_glyph(c, GLYPH_ARROW_RIGHT), STYLE_HILITE);
        for (int j = 0; j < t; j++)   /* masked weights are exactly 0: blank */
            if (config_visible(&e->cfg, p, j)) canvas_shade(c, x + lab + j * cw, yy, m > 0.0f ? (double)w[j] / (double)m : 0.0, STYLE_VISIBLE);
    }
}

void panel_attention_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    AttView v = {a, e, c, a->layer, a->head, false, false, false, false, 1, 1, NULL, false};
    if (v.layer < 0 || v.layer >= e->cfg.n_layers) v.layer = 0;
    if (v.head < 0 || v.head >= e->cfg.n_heads) v.head = 0;
    char title[192];
    const char *name = TR(a, "Attention", "注意力");
    char hl[64];
    snprintf(title, sizeof title, "%s L%d %s", name, v.layer, fmt_head(a, e, v.head, hl));
    if (canvas_text_width(title) > r.w - 6) snprintf(title, sizeof title, "%s L%d H%d", name, v.layer, v.head);
    Rect in;   /* narrow: the name whole rather than "Attention L" */
    if (!panel_open(a, e, c, r, title, name, &in)) goto done;
    const int ix = in.x, iy = in.y, iw = in.w, ih = in.h;
    const int t = e->t;
    v.scored = engine_op_done(e, OP_SCORES, v.layer);
    v.masked = engine_op_done(e, OP_MASK, v.layer);
    v.soft = engine_op_done(e, OP_SOFTMAX, v.layer);
    {
        const OpRef cur = engine_current_op(e);
        v.changed = cur.layer == v.layer && (cur.kind == OP_SCORES || cur.kind == OP_MASK || cur.kind == OP_SOFTMAX);
    }
    v.row = v.masked ? engine_att_row(e, v.layer, v.head, e->n - 1)
                     : engine_scores_row(e, v.layer, v.head, e->n - 1);
    char tok[16];
    for (int p = 0; p < t; p++) {
        const int qw = canvas_text_width(token_at(&v, p, tok));
        if (qw > v.tokw) v.tokw = qw;
        if (canvas_text_width(fmt_token(a, engine_fed_token(e, p), tok)) > 1) v.hw = 2;
    }

    /* Heat map only when it fits whole: beside the bars if the width
     * allows, else above them if at least a few bars stay below. */
    Rect bars = {ix, iy, iw, ih};
    int bottom = iy;   /* first line below the heat map */
    if (v.soft && e->n > 1) {
        const int lab = v.tokw + 2, hh = 1 + e->n, below = t < 4 ? t : 4;
        int cw = v.hw == 2 || lab + 2 * t + 2 + BARS_MIN_W <= iw ? 2 : 1;
        if (hh <= ih && lab + cw * t + 2 + BARS_MIN_W <= iw) {
            draw_heat(&v, ix, iy, cw);
            bars = (Rect){ix + lab + cw * t + 2, iy, iw - lab - cw * t - 2, ih};
            bottom = iy + hh;
        } else {
            cw = v.hw == 2 || lab + 2 * t <= iw ? 2 : 1;
            if (lab + cw * t <= iw && hh + 1 + 1 + below <= ih) {
                draw_heat(&v, ix, iy, cw);
                bars = (Rect){ix, iy + hh + 1, iw, ih - hh - 1};
            }
        }
    }
    int end = draw_bars(&v, bars);
    if (end < bottom) end = bottom;
    end = draw_note(&v, (Rect){ix, end + 1, iw, iy + ih - end - 1});
    /* rows to spare (a short prompt on a tall screen): the same query's
     * scores before the softmax, which the weights above came from */
    const int sneed = 2 + (e->k_lo > 0);   /* its label, the evicted line, a line of scores */
    if (v.soft && end > iy && iy + ih - end >= sneed) {
        AttView sv = v;
        sv.soft = sv.masked = false;
        sv.same_query = true;
        sv.row = engine_scores_row(e, v.layer, v.head, e->n - 1);
        const int y = iy + ih - end - 1 >= sneed ? end + 1 : end;   /* after a blank line when there is room */
        draw_bars(&sv, (Rect){ix, y, iw, iy + ih - y});
    }
done:
    canvas_set_clip(c, old);
}
