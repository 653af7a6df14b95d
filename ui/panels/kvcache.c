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
 */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef enum { ROW_KEPT, ROW_NEW, ROW_REDONE, ROW_GONE, ROW_PASS } RowKind;

typedef struct {
    const App *a;
    const Engine *e;
    Canvas *c;
    Rect in;          /* inside the border */
    int layer, off;   /* selected layer; first float of the head's slice */
    int lo;           /* first position still held (a window's ring evicts older ones) */
    int dh;           /* values per head */
    int nrows;        /* rows of this layer that exist now */
    RowKind kind;     /* kind of this step's rows (p0..t-1, or all of them) */
    int first_new;    /* first row of this step (cache mode) */
    /* column geometry */
    int posw, tokw, markw, cells;
    int numw;         /* columns per value as a number ("+0.42 " 6, "+0.4 " 5); 0 = shades */
    bool short_marks;
    bool changed;     /* the operation shown just wrote (Q/K/V) or kept (append) this step's rows */
    float kmax, vmax; /* shade scale: max |value| of the prompt rows */
} Ctx;

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
        x->nrows = made ? e->t : e->cache.len;
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

/* Draw the first candidate that fits in the inner width. */
static void text_fit(const Ctx *x, int y, int style, const char *const *cands, int n)
{
    for (int i = 0; i < n; i++)
        if (cands[i][0] && (canvas_text_width(cands[i]) <= x->in.w || i == n - 1)) {
            canvas_text(x->c, x->in.x, y, x->in.w, style, cands[i]);
            return;
        }
}

static void draw_summary(const Ctx *x, int y, bool with_fill)
{
    const App *a = x->a;
    const Engine *e = x->e;
    char b[7][160], num[32];
    if (e->mode == MODE_RECOMPUTE) {
        const char *c[] = {TR(a, "kept between steps: 0 B", "步间保留：0 B"), TR(a, "kept: 0 B", "保留：0 B")};
        text_fit(x, y, STYLE_RECOMPUTE_MODE, c, 2);
        return;
    }
    if (e->mode == MODE_TRAIN) {
        const char *c[] = {TR(a, "training keeps no cache: all K/V in one pass", "训练不保留缓存：一次前向算出全部 K/V"),
                           TR(a, "training keeps no cache", "训练不保留缓存"), TR(a, "no cache", "无缓存")};
        text_fit(x, y, STYLE_TITLE, c, 3);
        return;
    }
    const KvCache *kc = &e->cache;
    /* with a window the ring holds min(t, W) positions */
    const char *sym = kc->window ? (kc->kv_dim == e->cfg.d_model ? "2·Lyr·min(t,W)·d·4" : "2·Lyr·min(t,W)·kv·4")
                                 : (kc->kv_dim == e->cfg.d_model ? "2·Lyr·t·d·4" : "2·Lyr·t·kv·4");
    char f[48], fill[24];
    fmt_count(engine_kv_bytes(e), num);
    snprintf(f, sizeof f, "2·%d·%d·%d·4", kc->n_layers, kvcache_held(kc), kc->kv_dim);
    fill[0] = '\0';
    if (with_fill) snprintf(fill, sizeof fill, " %d/%d", kvcache_held(kc), kc->window ? kc->window : e->cfg.max_seq);
    snprintf(b[0], sizeof b[0], "%s %s = %s = %s B%s", TR(a, "size", "大小"), sym, f, num, fill);
    snprintf(b[1], sizeof b[1], "%s B = %s%s", num, f, fill);
    snprintf(b[2], sizeof b[2], "%s B=%s%s", num, f, fill);
    snprintf(b[3], sizeof b[3], "%s B = %s", num, f);
    snprintf(b[4], sizeof b[4], "%s B=%s", num, f);
    snprintf(b[5], sizeof b[5], "%s B%s", num, fill);
    snprintf(b[6], sizeof b[6], "%s B", num);
    const char *c[] = {b[0], b[1], b[2], b[3], b[4], b[5], b[6]};
    text_fit(x, y, STYLE_NORMAL, c, 7);
}

/* "fill ▕███   ▏ 18/64": committed rows against the maximum context. */
static void draw_fill(const Ctx *x, int y)
{
    const KvCache *kc = &x->e->cache;
    char cnt[32];
    /* a window's ring fills to W and stays full; otherwise fill against N */
    const char *label = kc->window ? TR(x->a, "ring ", "环形 ") : TR(x->a, "fill ", "占用 ");
    snprintf(cnt, sizeof cnt, " %d/%d", kvcache_held(kc), kc->capacity);
    int lw = canvas_text_width(label), cw = canvas_text_width(cnt);
    int bw = x->in.w - lw - cw - 2;
    if (bw < 3) {   /* no room for a bar: the count alone */
        canvas_text(x->c, x->in.x, y, x->in.w, STYLE_NORMAL, cnt + 1);
        return;
    }
    if (bw > 40) bw = 40;
    int cx = x->in.x + canvas_text(x->c, x->in.x, y, lw, STYLE_DIM, label);
    canvas_text(x->c, cx, y, 1, STYLE_BORDER, x->c->ascii ? "[" : "\u2595");
    canvas_hbar(x->c, cx + 1, y, bw, kc->capacity ? (double)kvcache_held(kc) / kc->capacity : 0, STYLE_CACHE_MODE);
    canvas_text(x->c, cx + 1 + bw, y, 1, STYLE_BORDER, x->c->ascii ? "]" : "\u258f");
    canvas_text(x->c, cx + 2 + bw, y, cw, STYLE_NORMAL, cnt);
}

/* One sentence on what the rows are at this moment, long and short. */
static void status_text(const Ctx *x, char *lg, char *sh, size_t n)
{
    const App *a = x->a;
    const Engine *e = x->e;
    const int L = x->layer, t = e->pos ? e->t : e->L;
    sh[0] = '\0';
    if (e->mode == MODE_RECOMPUTE) {
        if (x->nrows == 0) {
            snprintf(lg, n, TR(a, "nothing kept: Q/K/V of layer %d will recompute all %d rows",
                               "什么都不保留：第 %d 层的 Q/K/V 会重算全部 %d 行"), L, t);
        } else if (x->kind == ROW_GONE) {
            snprintf(lg, n, TR(a, "step over: all %d rows discarded", "本步结束：%d 行全部丢弃"), t);
            snprintf(sh, n, TR(a, "%d rows discarded", "%d 行全部丢弃"), t);
        } else {
            snprintf(lg, n, TR(a, "all %d rows recomputed this step", "本步重算了全部 %d 行"), t);
            snprintf(sh, n, TR(a, "%d rows recomputed", "重算了 %d 行"), t);
        }
    } else if (e->mode == MODE_TRAIN) {
        if (x->nrows == 0) {
            snprintf(lg, n, TR(a, "nothing yet: the pass computes the K/V of all %d rows at once",
                               "尚无：这次前向会一次算出全部 %d 行的 K/V"), e->L);
        } else {
            snprintf(lg, n, "%s", TR(a, "these rows live for this pass only", "这些行只在本次前向中存在"));
            snprintf(sh, n, "%s", TR(a, "this pass only", "仅本次前向"));
        }
    } else if (e->pos == 0) {
        snprintf(lg, n, TR(a, "empty: prefill will write %d row%s in every layer",
                           "空：预填充会一次为每层写入 %d 行%s"), e->L, TR(a, e->L == 1 ? "" : "s", ""));
    } else if (x->first_new < x->nrows) {
        if (engine_op_done(e, OP_APPEND, -1) && e->drafted > e->accepted && e->accepted >= 0) {
            snprintf(lg, n, "%s", TR(a, "new = appended; discarded = rejected drafts, rolled back",
                                     "新 = 本步追加；已丢弃 = 被拒草稿，已回滚"));
            snprintf(sh, n, "%s", TR(a, "rejected drafts rolled back", "被拒草稿已回滚"));
        } else if (engine_op_done(e, OP_APPEND, -1)) {
            snprintf(lg, n, "%s", TR(a, "new = appended this step, read by later steps", "新 = 本步追加，之后各步读取"));
            snprintf(sh, n, "%s", TR(a, "new = appended this step", "新 = 本步追加"));
        } else {
            snprintf(lg, n, "%s", TR(a, "new = written by Q/K/V, kept at cache append",
                                     "新 = Q/K/V 刚写入，缓存追加时保留"));
            snprintf(sh, n, "%s", TR(a, "new = not kept yet", "新 = 尚未保留"));
        }
    } else if (e->step == 0) {
        snprintf(lg, n, TR(a, "prefill: Q/K/V of layer %d will write %d row%s",
                           "预填充：第 %d 层的 Q/K/V 会写入 %d 行%s"), L, e->t, TR(a, e->t == 1 ? "" : "s", ""));
    } else {
        snprintf(lg, n, TR(a, "kept as is; Q/K/V adds pos %d", "原样保留；Q/K/V 将新增第 %d 位"), e->t - 1);
        snprintf(sh, n, TR(a, "Q/K/V will add pos %d", "Q/K/V 将新增第 %d 位"), e->t - 1);
    }
}

/* §6.10: the newest row's key before and after RoPE, or the offset bug. */
static void draw_rope(const Ctx *x, int y)
{
    const App *a = x->a;
    const Engine *e = x->e;
    const int p = e->pos ? e->t - 1 : -1;
    const float *raw = p >= 0 ? engine_k_unrotated(e, x->layer, p) : NULL;
    const float *turned = p >= 0 ? engine_k_row(e, x->layer, p) : NULL;
    char l[4][200];
    if (e->cfg.rope_offset_bug && e->mode == MODE_CACHE && e->step > 0 && e->pos > 0) {
        const Engine *r = app_engine_of(a, MODE_RECOMPUTE);
        const bool both = (a->run.modes & RUN_MODE_BIT(MODE_RECOMPUTE)) && r->step == e->step &&
                          engine_op_done(e, OP_LOGITS, -1) && engine_op_done(r, OP_LOGITS, -1);
        double diff = 0;
        for (int j = 0; both && j < e->cfg.vocab; j++) {
            const double dj = fabs((double)e->logits[j] - (double)r->logits[j]);
            if (dj > diff) diff = dj;
        }
        const bool differs = both && diff > 0;
        if (differs)
            snprintf(l[0], sizeof l[0], TR(a, "RoPE offset bug: pos %d turned as pos 0 \u2192 logits \u2260 recompute (max |\u0394| %.3g)",
                                           "RoPE 偏移错误：第 %d 位按第 0 位旋转 \u2192 logits \u2260 重算（最大 |\u0394| %.3g）"), p, diff);
        else
            snprintf(l[0], sizeof l[0], TR(a, "RoPE offset bug: pos %d turned as pos 0: the cache no longer fits",
                                           "RoPE 偏移错误：第 %d 位按第 0 位旋转，缓存不再匹配"), p);
        if (differs)
            snprintf(l[1], sizeof l[1], TR(a, "RoPE bug: pos %d as 0 \u2260 recompute", "RoPE 错误：%d 按 0 旋转 \u2260 重算"), p);
        else
            snprintf(l[1], sizeof l[1], TR(a, "RoPE bug: pos %d turned as 0", "RoPE 错误：%d 按 0 旋转"), p);
        snprintf(l[2], sizeof l[2], TR(a, "RoPE bug: pos %d turned as 0", "RoPE 错误：%d 按 0 旋转"), p);
        snprintf(l[3], sizeof l[3], "%s", TR(a, "RoPE bug", "RoPE 错误"));
        const char *c[] = {l[0], l[1], l[2], l[3]};
        text_fit(x, y, STYLE_ERROR, c, 4);
        return;
    }
    if (!raw || !turned) {
        const char *c[] = {TR(a, "RoPE: Q/K/V turns q and k by their position", "RoPE：Q/K/V 按位置旋转 q 和 k"),
                           "RoPE"};
        text_fit(x, y, STYLE_DIM, c, 2);
        return;
    }
    /* the head's first values (4, then 2 when narrow): before -> after */
    char before[2][64] = {"", ""}, after[2][64] = {"", ""};
    for (int w = 0; w < 2; w++) {
        const int n = x->dh < 4 - 2 * w ? x->dh : 4 - 2 * w;
        size_t ob = 0, oa = 0;
        for (int i = 0; i < n; i++) {
            ob += (size_t)snprintf(before[w] + ob, sizeof before[w] - ob, "%s%+.2f", i ? " " : "", (double)raw[x->off + i]);
            oa += (size_t)snprintf(after[w] + oa, sizeof after[w] - oa, "%s%+.2f", i ? " " : "", (double)turned[x->off + i]);
        }
    }
    snprintf(l[0], sizeof l[0], TR(a, "RoPE k pos %d: %s \u2192 %s (turned, cached)", "RoPE k 第 %d 位：%s \u2192 %s（旋转后缓存）"),
             p, before[0], after[0]);
    snprintf(l[1], sizeof l[1], "RoPE k%d %s \u2192 %s", p, before[0], after[0]);
    snprintf(l[2], sizeof l[2], "RoPE k%d %s \u2192 %s", p, before[1], after[1]);
    snprintf(l[3], sizeof l[3], "RoPE k%d", p);
    const char *c[] = {l[0], l[1], l[2], l[3]};
    text_fit(x, y, STYLE_CHANGED, c, 4);
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

/* "per token 2·Lyr·d·4 = 2·2·32·4 = 512 B", or the cache when every
 * slot is held: "full (N = 64): 2·2·64·32·4 = 32,768 B". */
static void draw_bytes(const Ctx *x, int y, bool full)
{
    const KvCache *kc = &x->e->cache;
    const bool d = kc->kv_dim == x->e->cfg.d_model;
    char b[2][160], num[32];
    if (full) {
        fmt_count((uint64_t)2 * kc->n_layers * kc->capacity * kc->kv_dim * 4, num);
        snprintf(b[0], sizeof b[0], TR(x->a, "full (%s = %d): 2·%d·%d·%d·4 = %s B", "满（%s = %d）：2·%d·%d·%d·4 = %s B"),
                 kc->window ? "W" : "N", kc->capacity, kc->n_layers, kc->capacity, kc->kv_dim, num);
        snprintf(b[1], sizeof b[1], TR(x->a, "full: %s B", "满：%s B"), num);
    } else {
        fmt_count((uint64_t)2 * kc->n_layers * kc->kv_dim * 4, num);
        snprintf(b[0], sizeof b[0], TR(x->a, "per token %s = 2·%d·%d·4 = %s B", "每个词元 %s = 2·%d·%d·4 = %s B"),
                 d ? "2·Lyr·d·4" : "2·Lyr·kv·4", kc->n_layers, kc->kv_dim, num);
        snprintf(b[1], sizeof b[1], TR(x->a, "per token: %s B", "每个词元：%s B"), num);
    }
    const char *c[] = {b[0], b[1]};
    text_fit(x, y, STYLE_NORMAL, c, 2);
}

/* The status line at y (none when y < 0). After a verify step rolled rows
 * back, it names their mark as the rows show it: a word, or ✗ once the
 * marks went short. */
static void draw_status(const Ctx *x, int y, const char *status, const char *status_sh, bool rolled)
{
    if (y < 0) return;
    char lg[160], sh[96];
    if (rolled && x->short_marks) {
        const char *m = x->c->ascii ? "x" : "\u2717";
        snprintf(lg, sizeof lg, TR(x->a, "%s = rejected drafts, rolled back: not in the cache", "%s = 被拒草稿，已回滚，不在缓存里"), m);
        snprintf(sh, sizeof sh, TR(x->a, "%s = rejected, rolled back", "%s = 被拒，已回滚"), m);
        status = lg;
        status_sh = sh;
    } else if (!rolled && x->markw == 0 && x->e->mode == MODE_CACHE && x->first_new < x->nrows) {
        /* the rows' marks gave way to their values: name the new rows by
         * position instead of by a "new" nobody can see */
        char who[32];
        if (x->first_new == x->nrows - 1) snprintf(who, sizeof who, TR(x->a, "pos %d", "第 %d 位"), x->first_new);
        else snprintf(who, sizeof who, TR(x->a, "pos %d-%d", "第 %d-%d 位"), x->first_new, x->nrows - 1);
        if (engine_op_done(x->e, OP_APPEND, -1)) {
            snprintf(lg, sizeof lg, TR(x->a, "%s appended this step, read by later steps", "%s本步追加，之后各步读取"), who);
            snprintf(sh, sizeof sh, TR(x->a, "%s appended this step", "%s本步追加"), who);
        } else {
            snprintf(lg, sizeof lg, TR(x->a, "%s written by Q/K/V, kept at cache append", "%s由 Q/K/V 刚写入，缓存追加时保留"), who);
            snprintf(sh, sizeof sh, TR(x->a, "%s not kept yet", "%s尚未保留"), who);
        }
        status = lg;
        status_sh = sh;
    }
    const char *c[] = {status, status_sh};
    text_fit(x, y, x->kind == ROW_GONE ? STYLE_DIM : STYLE_NORMAL, c, status_sh[0] ? 2 : 1);
}

static void draw_inside(Ctx *x)
{
    char status[160], status_sh[96];
    const int h = x->in.h;
    const bool cache = x->e->mode == MODE_CACHE;
    find_rows(x);
    status_text(x, status, status_sh, sizeof status_sh);

    /* bottom lines, by priority: summary, fill bar (cache), status; the
     * optional ones only when at least a few rows still fit above them */
    const int want_rows = x->nrows ? 1 + (x->nrows < 4 ? x->nrows : 4) : 2;
    int bottom = 1;
    bool fill = false, stat = false, rope = false;
    /* a verify step that rolled rows back says what their mark means
     * before anything optional: the marked rows are not in the cache */
    const Engine *e = x->e;
    const bool rolled = cache && e->drafted > e->accepted && e->accepted >= 0 && engine_op_done(e, OP_APPEND, -1);
    if (x->e->cfg.rope && h - bottom - 1 >= want_rows) { rope = true; bottom++; }
    if (rolled && x->nrows && h - bottom - 1 >= 2) { stat = true; bottom++; }
    if (cache && h - bottom - 1 >= want_rows) { fill = true; bottom++; }
    if (!stat && x->nrows && h - bottom - 1 >= want_rows) { stat = true; bottom++; }
    int y = x->in.y + h - 1, stat_y = -1;
    draw_summary(x, y--, !fill);
    if (rope) draw_rope(x, y--);
    if (fill) draw_fill(x, y--);
    if (stat) stat_y = y--;   /* drawn once the rows' marks are chosen (plan_columns) */

    /* rows to spare under every held row and the legend (a short prompt
     * on a tall screen): what one position costs, and the cache when full */
    int extra = 0;
    if (cache && fill && stat && x->nrows) {
        const int spare = h - bottom - (1 + (x->nrows - x->lo) + 1);
        extra = spare >= 3 ? 2 : spare == 2 ? 1 : 0;
    }
    for (int i = 0; i < extra; i++) draw_bytes(x, y--, i == 0 && extra == 2);
    bottom += extra;

    int area = h - bottom;
    if (area <= 0) {
        draw_status(x, stat_y, status, status_sh, rolled);
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
    if (!x->numw && x->cells > 0 && top + shown < x->in.y + area) {
        char leg[3][128];
        const char *lo = x->c->ascii ? "." : "\u2591", *mid = x->c->ascii ? ":" : "\u2592",
                   *hi = x->c->ascii ? "#" : "\u2593";
        snprintf(leg[2], sizeof leg[2], TR(x->a, "%s -  %s 0  %s +", "%s 负  %s 0  %s 正"), lo, mid, hi);
        snprintf(leg[1], sizeof leg[1], TR(x->a, "%s   (K ±%.2g, V ±%.2g)", "%s （K ±%.2g，V ±%.2g）"), leg[2],
                 (double)x->kmax, (double)x->vmax);
        snprintf(leg[0], sizeof leg[0], TR(x->a, "value %s", "数值 %s"), leg[1]);
        const char *c[] = {leg[0], leg[1], leg[2]};
        text_fit(x, x->in.y + area - 1, STYLE_DIM, c, 3);
    }
    draw_status(x, stat_y, status, status_sh, rolled);
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
