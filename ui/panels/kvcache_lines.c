/* kvcache_lines: the lines of text under the KV cache panel's rows
 * (ui/panels/kvcache.c lays them out and draws the rows): the cache's size
 * as a sum, the fill (or ring) bar, what one position and the full cache
 * cost, the RoPE line, the one-sentence status and the legend of the
 * shades. Each line has a few wordings, longest first, and draws the first
 * that fits the panel's width: a line says less, it never runs over.
 */
#include "ui/panels/kvcache.h"
#include "ui/style.h"

#include <math.h>
#include <stdio.h>

/* Draw the first candidate that fits in the inner width. */
static void text_fit(const Ctx *x, int y, int style, const char *const *cands, int n)
{
    for (int i = 0; i < n; i++)
        if (cands[i][0] && (canvas_text_width(cands[i]) <= x->in.w || i == n - 1)) {
            canvas_text(x->c, x->in.x, y, x->in.w, style, cands[i]);
            return;
        }
}

void kvcache_lines_draw_summary(const Ctx *x, int y, bool with_fill)
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
void kvcache_lines_draw_fill(const Ctx *x, int y)
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
void kvcache_lines_status_text(const Ctx *x, char *lg, char *sh, size_t n)
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
            snprintf(sh, n, "%s", TR(a, "new = appended; discarded = rolled back", "新 = 本步追加；已丢弃 = 已回滚"));
        } else {
            /* worded by kvcache_lines_draw_status, once the rows' marks are known */
            lg[0] = '\0';
        }
    } else if (e->step == 0 && e->shared_rows > e->k_lo && e->p0 == e->shared_rows) {
        /* §6.8: the shared rows come from the donor at this layer's Q/K/V */
        snprintf(lg, n, TR(a, "prefill: Q/K/V of layer %d takes pos %d-%d from the shared prefix, writes %d-%d",
                           "预填充：第 %d 层的 Q/K/V 取共享前缀的第 %d-%d 位，再写入第 %d-%d 位"),
                 L, e->k_lo, e->shared_rows - 1, e->p0, e->t - 1);
        snprintf(sh, n, TR(a, "Q/K/V: pos %d-%d shared, %d-%d new", "Q/K/V：共享 %d-%d，新写 %d-%d"), e->k_lo,
                 e->shared_rows - 1, e->p0, e->t - 1);
    } else if (e->step == 0) {
        snprintf(lg, n, TR(a, "prefill: Q/K/V of layer %d will write %d row%s",
                           "预填充：第 %d 层的 Q/K/V 会写入 %d 行%s"), L, e->t, TR(a, e->t == 1 ? "" : "s", ""));
    } else {
        snprintf(lg, n, TR(a, "kept as is; Q/K/V adds pos %d", "原样保留；Q/K/V 将新增第 %d 位"), e->t - 1);
        snprintf(sh, n, TR(a, "Q/K/V will add pos %d", "Q/K/V 将新增第 %d 位"), e->t - 1);
    }
}

/* §6.10: the newest row's key before and after RoPE, or the offset bug. */
void kvcache_lines_draw_rope(const Ctx *x, int y)
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

/* "per token 2·Lyr·d·4 = 2·2·32·4 = 512 B", or the cache when every
 * slot is held: "full (N = 64): 2·2·64·32·4 = 32,768 B". */
void kvcache_lines_draw_bytes(const Ctx *x, int y, bool full)
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

/* "8" or "8-10". */
static void fmt_rows(char *b, size_t n, int first, int last)
{
    if (first == last) snprintf(b, n, "%d", first);
    else snprintf(b, n, "%d-%d", first, last);
}

/* Which of this step's rows the cache append keeps, [*lo, *hi]; false
 * while that is not known (a verify step before its pick, §6.9). What
 * the append does (sim/forward.c, op_append): it stores rows p0 .. t-1,
 * of which a window's ring keeps the last W, then rolls back a verify
 * step's rejected drafts. */
static bool append_keeps(const Ctx *x, int *lo, int *hi)
{
    const Engine *e = x->e;
    int end = x->nrows;   /* t */
    if (e->drafted > 0) {
        if (e->accepted < 0) return false;
        end = e->p0 + 1 + e->accepted;
    }
    const int W = e->cache.window ? e->cache.capacity : 0;
    *lo = W && end - W > x->first_new ? end - W : x->first_new;
    *hi = end - 1;
    return true;
}

/* What this step's rows are in cache mode (no draft rolled back), longest
 * wording first, into c; returns how many. Named by their mark ("new")
 * while the rows show it, else by position: their highlight is then the
 * only sign of them. Before the append they are not in the cache (the
 * size line does not count them yet), which is what the line must say. */
static int new_rows_text(const Ctx *x, char (*c)[160])
{
    const App *a = x->a;
    const bool zh = TR(a, false, true);   /* the language TR picks */
    const bool by_pos = x->markw == 0 || x->short_marks;
    const int first = x->first_new > x->lo ? x->first_new : x->lo, last = x->nrows - 1;
    char rows[32], who[48], keep[32];
    fmt_rows(rows, sizeof rows, first, last);
    if (by_pos) snprintf(who, sizeof who, TR(a, "pos %s", "第 %s 位"), rows);
    else snprintf(who, sizeof who, "%s", TR(a, "new =", "新 = "));
    const char *by = zh && by_pos ? "由 " : "";   /* zh: "第 8 位由 Q/K/V 刚写入" */
    int n = 0, klo, khi;
    if (engine_op_done(x->e, OP_APPEND, -1)) {
        snprintf(c[n++], 160, TR(a, "%s appended this step, read by later steps", "%s本步追加，之后各步读取"), who);
        snprintf(c[n++], 160, TR(a, "%s appended this step", "%s本步追加"), who);
        if (by_pos && !zh) snprintf(c[n++], 160, "%s appended", who);
        return n;
    }
    if (!append_keeps(x, &klo, &khi)) {   /* a verify step's drafts: its pick decides */
        snprintf(c[n++], 160, TR(a, "%s%s written by Q/K/V; append keeps accepted", "%s%sQ/K/V 刚写入，追加只保留被接受的"), who, by);
        snprintf(c[n++], 160, TR(a, "%s kept at append if accepted", "%s被接受的才在追加时保留"), who);
    } else if (klo != first || khi != last) {   /* a window's ring, or drafts the pick rejected */
        fmt_rows(keep, sizeof keep, klo, khi);
        snprintf(c[n++], 160, TR(a, "%s%s written by Q/K/V; append keeps pos %s", "%s%sQ/K/V 刚写入，追加只保留第 %s 位"), who, by, keep);
        snprintf(c[n++], 160, TR(a, "%s not kept; append keeps %s", "%s尚未保留，追加只留 %s"), who, keep);
    } else {
        snprintf(c[n++], 160, TR(a, "%s%s written by Q/K/V, kept at cache append", "%s%sQ/K/V 刚写入，缓存追加时保留"), who, by);
    }
    snprintf(c[n++], 160, TR(a, "%s not kept yet", "%s尚未保留"), who);
    if (by_pos && !zh && first < last) snprintf(c[n++], 160, "%s not kept yet", rows);   /* "0-10 not kept yet" */
    return n;
}

/* The status line at y (none when y < 0). This step's rows in cache mode
 * are worded here (new_rows_text); after a verify step rolled rows back,
 * it names their mark as the rows show it: a word, or ✗ once the marks
 * went short. */
void kvcache_lines_draw_status(const Ctx *x, int y, const char *status, const char *status_sh, bool rolled)
{
    if (y < 0) return;
    char w[6][160];
    if (!rolled && x->e->mode == MODE_CACHE && x->first_new < x->nrows) {
        const int n = new_rows_text(x, w);
        const char *c[6];
        for (int i = 0; i < n; i++) c[i] = w[i];
        text_fit(x, y, STYLE_NORMAL, c, n);
        return;
    }
    if (rolled && x->short_marks) {   /* "+" and "✗" on the rows: both named */
        const char *m = x->c->ascii ? "x" : "\u2717";
        char r[5][160];
        snprintf(r[0], sizeof r[0], TR(x->a, "+ = appended; %s = rejected drafts, rolled back: not in the cache",
                                       "+ = 已追加；%s = 被拒草稿，已回滚，不在缓存里"), m);
        snprintf(r[1], sizeof r[1], TR(x->a, "+ = appended; %s = rejected drafts, rolled back", "+ = 已追加；%s = 被拒草稿，已回滚"), m);
        snprintf(r[2], sizeof r[2], TR(x->a, "+ appended, %s rejected, rolled back", "+ 已追加，%s 被拒，已回滚"), m);
        snprintf(r[3], sizeof r[3], TR(x->a, "+ appended, %s rolled back", "+ 已追加，%s 已回滚"), m);
        snprintf(r[4], sizeof r[4], TR(x->a, "%s rolled back", "%s 已回滚"), m);
        const char *c[] = {r[0], r[1], r[2], r[3], r[4]};
        text_fit(x, y, STYLE_NORMAL, c, 5);
        return;
    }
    const char *c[] = {status, status_sh};
    text_fit(x, y, x->kind == ROW_GONE ? STYLE_DIM : STYLE_NORMAL, c, status_sh[0] ? 2 : 1);
}

/* What the shades mean: one line, the longest wording that fits. */
void kvcache_lines_draw_legend(const Ctx *x, int y)
{
    char leg[3][128];
    const char *lo = x->c->ascii ? "." : "\u2591", *mid = x->c->ascii ? ":" : "\u2592",
               *hi = x->c->ascii ? "#" : "\u2593";
    snprintf(leg[2], sizeof leg[2], TR(x->a, "%s -  %s 0  %s +", "%s 负  %s 0  %s 正"), lo, mid, hi);
    snprintf(leg[1], sizeof leg[1], TR(x->a, "%s   (K ±%.2g, V ±%.2g)", "%s （K ±%.2g，V ±%.2g）"), leg[2],
             (double)x->kmax, (double)x->vmax);
    snprintf(leg[0], sizeof leg[0], TR(x->a, "value %s", "数值 %s"), leg[1]);
    const char *c[] = {leg[0], leg[1], leg[2]};
    text_fit(x, y, STYLE_DIM, c, 3);
}
