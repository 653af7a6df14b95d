/* panel_tokens: the sequence on one line, and where the run is.
 *
 * Left: prompt tokens, '│', generated tokens (then a dim '·' for each token
 * still to come), with the query rows of this step (p0..t-1) in reverse
 * video: all of them in prefill and recompute, one in decode. That contrast
 * is the point of the panel. Right: phase, mode badge, "pos t-1".
 * A sequence wider than the box scrolls to keep the query rows in view.
 * Chunked prefill (§6.7) says which chunk; a verify step (§6.9) shows its
 * drafts, pending (underlined) until the pick, then the rejected ones
 * struck out in red after the emitted tokens: their cache rows are rolled
 * back.
 * When the screen has no room for the Next token panel (80x24), the line
 * names the most probable next tokens before the status ("next 济 .043
 * 」.037"), as many as fit beside a token line that does not scroll.
 */
#include "ui/panels/panels.h"
#include "ui/panels/probe.h"
#include "ui/style.h"

#include <stdio.h>
#include <string.h>

/* Phase words, e.g. "DECODE step 3" / "解码 第3步". */
static void phase_text(const App *a, const Engine *e, char *buf, size_t n)
{
    switch (engine_phase(e)) {
    case PHASE_PREFILL:
        if (e->n_chunks > 1)
            snprintf(buf, n, TR(a, "PREFILL chunk %d/%d", "预填充 第%d/%d块"), e->step + 1, e->n_chunks);
        else snprintf(buf, n, "%s", TR(a, "PREFILL", "预填充"));
        break;
    case PHASE_DECODE:
        if (e->drafted && e->accepted >= 0)
            snprintf(buf, n, TR(a, "VERIFY step %d: %d/%d accepted", "验证 第%d步：接受 %d/%d"), e->step, e->accepted,
                     e->drafted);
        else if (e->drafted)
            snprintf(buf, n, TR(a, "VERIFY step %d: %d drafts", "验证 第%d步：%d 个草稿"), e->step, e->drafted);
        else snprintf(buf, n, TR(a, "DECODE step %d", "解码 第%d步"), e->step);
        break;
    case PHASE_RECOMPUTE: snprintf(buf, n, TR(a, "RECOMPUTE step %d", "重算 第%d步"), e->step); break;
    case PHASE_TRAIN: snprintf(buf, n, "%s", TR(a, "TRAIN", "训练")); break;
    default: snprintf(buf, n, "%s", TR(a, "READY", "就绪")); break;
    }
}

static const char *mode_text(const App *a, RunMode m)
{
    switch (m) {
    case MODE_CACHE: return TR(a, "cache", "缓存");
    case MODE_RECOMPUTE: return TR(a, "recompute", "重算");
    default: return TR(a, "train", "训练");
    }
}

/* Right-hand status; returns its width (0 when nothing fits). */
static int draw_status(const App *a, const Engine *e, Canvas *c, Rect in)
{
    char one[48], phase[64], mode[32], pos[32];
    phase_text(a, e, one, sizeof one);
    /* a batch: this strip shows one sequence, A (the first prompt) unless
     * Tab chose another in the KV cache view; every sequence's step is in
     * the memory view's table */
    if (a->n_seqs > 1 && e->mode == MODE_CACHE)
        snprintf(phase, sizeof phase, TR(a, "%c: %s", "%c：%s"), 'A' + app_shown_seq(a), one);
    else snprintf(phase, sizeof phase, "%s", one);
    snprintf(mode, sizeof mode, " %s ", mode_text(a, e->mode));
    pos[0] = '\0';
    if (e->pos > 0) snprintf(pos, sizeof pos, TR(a, "pos %d", "位置 %d"), e->t - 1);
    const int pw = canvas_text_width(phase), mw = canvas_text_width(mode);
    const int sw = pos[0] ? canvas_text_width(pos) + 1 : 0;
    /* keep at least a few columns of tokens; drop the badge, then pos */
    int w = pw + 1 + mw + sw;
    bool badge = true, showpos = pos[0] != '\0';
    if (w > in.w - 8) { badge = false; w = pw + sw; }
    if (w > in.w - 8) { showpos = false; w = pw; }
    if (w > in.w) return 0;
    int x = in.x + in.w - w;
    x += canvas_text(c, x, in.y, pw, STYLE_TITLE, phase);
    if (badge) {
        x++;
        x += canvas_text(c, x, in.y, mw, e->mode == MODE_RECOMPUTE ? STYLE_RECOMPUTE_MODE
                                         : e->mode == MODE_CACHE ? STYLE_CACHE_MODE : STYLE_HILITE, mode);
    }
    if (showpos) canvas_text(c, x + 1, in.y, sw - 1, STYLE_NORMAL, pos);
    return w;
}

typedef struct {
    char text[8];
    int w, style;
} Item;

/* Position p of the line: a token, or a dim placeholder for one to come. */
static void item_at(const App *a, const Engine *e, const Canvas *c, int p, Item *t)
{
    const bool q = e->pos > 0 && p >= e->p0 && p < e->t;   /* a query row of this step */
    if (q && e->drafted && p > e->p0 && e->accepted < 0) {
        /* a draft being verified; once the pick ran, a rejected draft is no
         * token of the sequence and leaves the line (the mask and the KV
         * cache show its rows, marked) */
        fmt_token(a, e->draft[p - e->p0 - 1], t->text);
        t->style = STYLE_CHANGED;
    } else if (p < e->n_tokens) {
        fmt_token(a, e->tokens[p], t->text);
        t->style = q ? STYLE_HILITE : p >= e->L ? STYLE_NEW : STYLE_NORMAL;
    } else {
        snprintf(t->text, sizeof t->text, "%s", c->ascii ? "." : "\u00b7");
        t->style = STYLE_DIM;
    }
    t->w = canvas_text_width(t->text);
}

/* 1 when the prompt|generated bar sits left of position p. */
static int bar_before(const Engine *e, int p)
{
    return e->mode != MODE_TRAIN && p >= e->L ? 1 : 0;
}

/* The compact Next token: "next 济 .043 」.037 添 .035" (k most probable,
 * quoted like the panel's), at most max columns; 0 when there is none. */
static int next_text(const App *a, const Engine *e, char *buf, size_t n, int max)
{
    int pos = -1;
    const float *z = e->pos > 0 && e->mode != MODE_TRAIN ? probe_logits(e, &pos) : NULL;
    buf[0] = '\0';
    if (!z) return 0;
    ProbeTok top[3];
    const int k = probe_topk(z, e->cfg.vocab, 3, top);
    int w = 0;
    for (int i = 0; i < k; i++) {
        char tok[16], item[48], p[16];
        snprintf(p, sizeof p, "%.3f", (double)top[i].p);
        snprintf(item, sizeof item, "%s%s %s", i ? " " : TR(a, "next ", "下一个 "), fmt_token_quoted(a, top[i].id, tok),
                 p[0] == '0' ? p + 1 : p);   /* ".043": the bars' panel says p */
        const int iw = canvas_text_width(item);
        if (w + iw > max) break;
        snprintf(buf + strlen(buf), n - strlen(buf), "%s", item);
        w += iw;
    }
    return w;
}

/* Whether the screen the App draws on (c's size) shows the Next token panel. */
static bool next_panel_shown(const App *a, const Canvas *c)
{
    Layout lo;
    layout_app(a, c->w, c->h, &lo);
    return lo.next.w > 0 && lo.next.h > 0;
}

void panel_tokens_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    Rect old = canvas_set_clip(c, rect_intersect(c->clip, r));
    canvas_box(c, r, STYLE_BORDER, TR(a, "Tokens", "词元"));
    Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w <= 0 || in.h <= 0) {
        canvas_set_clip(c, old);
        return;
    }
    in.y += (in.h - 1) / 2;   /* one line, centred if the box is taller */
    in.h = 1;
    const int sw = draw_status(a, e, c, in);
    int tw = in.w - (sw ? sw + 2 : 0);
    const int total = e->mode == MODE_TRAIN ? e->L : e->L + e->G;
    if (!a->present && !a->play && a->view != VIEW_TRAIN && !next_panel_shown(a, c)) {
        /* the tokens keep the columns they need, the prediction gets the rest */
        int need = 0;
        Item it;
        for (int p = 0; p < total; p++) {
            item_at(a, e, c, p, &it);
            need += it.w;
        }
        need += bar_before(e, total - 1);
        char nx[160];
        const int nw = next_text(a, e, nx, sizeof nx, tw - need - 2);
        if (nw > 0) {
            canvas_text(c, in.x + tw - nw, in.y, nw, STYLE_NORMAL, nx);
            tw -= nw + 2;
        }
    }
    if (tw <= 0 || total <= 0) {
        canvas_set_clip(c, old);
        return;
    }
    /* focus: the last query row, or the token this step just picked */
    int focus = e->pos > 0 ? e->t - 1 : 0;
    if (e->mode != MODE_TRAIN && e->picked >= 0 && e->n_tokens - 1 > focus) focus = e->n_tokens - 1;
    if (focus >= total) focus = total - 1;
    Item t;
    int W = 0, fcol = 0, fw = 1;
    for (int p = 0; p < total; p++) {
        item_at(a, e, c, p, &t);
        if (p == focus) {
            fcol = W + bar_before(e, p);
            fw = t.w;
        }
        W += t.w;
    }
    W += bar_before(e, total - 1);
    int start = 0;
    if (W > tw) {
        /* keep the focus visible with a little of what follows it */
        int margin = tw / 4 < 8 ? tw / 4 : 8;
        int end = fcol + fw + margin;
        if (end > W) end = W;
        start = end - tw;
        if (start < 0) start = 0;
        if (start > fcol) start = fcol;
    }
    int col = 0;
    for (int p = 0; p < total && col < start + tw; p++) {
        if (p == e->L && bar_before(e, p)) {   /* prompt | generated */
            if (col >= start) canvas_put(c, in.x + col - start, in.y, canvas_glyph(c, GLYPH_VLINE), STYLE_BORDER);
            col++;
        }
        item_at(a, e, c, p, &t);
        if (col >= start && col + t.w <= start + tw)
            canvas_text(c, in.x + col - start, in.y, t.w, t.style, t.text);
        col += t.w;
    }
    const int32_t ell = canvas_glyph(c, GLYPH_ELLIPSIS);
    if (start > 0) canvas_put(c, in.x, in.y, ell, STYLE_DIM);
    if (start + tw < W) canvas_put(c, in.x + tw - 1, in.y, ell, STYLE_DIM);
    canvas_set_clip(c, old);
}
