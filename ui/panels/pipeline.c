/* panel_pipeline: where the current operation sits in a step, and one
 * sentence on what it does here, in this mode, with this run's numbers.
 *
 * Row 1 is the chain of operations, the layer block drawn once with "×Lyr";
 * the current one is [bracketed] and reversed, done ones plain, coming ones
 * dim. The chain squeezes (short names, tight arrows) before it scrolls.
 * Row 2+ is the sentence (pipeline_say.c), wrapped. Every number in it is
 * computed from the engine's state, so it matches the Operations panel.
 */
#include "ui/panels/panels.h"
#include "ui/panels/pipeline.h"
#include "ui/style.h"

#include <stdio.h>
#include <string.h>

/* ---- the chain ------------------------------------------------------------- */


/* Draw (or, with c NULL, only measure) one piece; returns its width. */
static int piece(Canvas *c, int x, int y, int style, const char *text)
{
    return c ? canvas_text(c, x, y, -1, style, text) : canvas_text_width(text);
}

/* Walk the chain of this mode, drawing at x - off (c NULL: measure only).
 * Returns the width; *cur_x gets the column where the current op starts. */
static int chain(const App *a, const Engine *e, Canvas *c, int x, int y, int off, int lvl,
                 int *cur_x)
{
    const OpRef cur = engine_current_op(e);
    const int sht = lvl >= 3 ? 2 : lvl >= 1;
    const char *sep = lvl >= 2 ? "\u2192" : " \u2192 ";
    if (c && c->ascii) sep = lvl >= 2 ? ">" : " > ";
    int col = 0, cur_i = -1;
    if (cur.kind != OP_KIND_COUNT) cur_i = cur.kind;
    *cur_x = 0;
    /* one entry per kind of the op table (sim/ops.h), the layer block once */
    for (int i = 0; i < OP_KIND_COUNT; i++) {
        const OpKind k = (OpKind)i;
        const OpInfo *o = op_info(k);
        if (!op_in_mode(k, e->mode)) continue;
        char buf[48];
        if (i > 0) col += piece(c, x + col - off, y, STYLE_DIM, sep);
        if (k == OP_LN1) col += piece(c, x + col - off, y, STYLE_DIM, "(");   /* the layer block */
        const char *const *nms = a->opt.lang_zh ? o->chain_zh : o->chain_en;
        const char *nm = nms[sht] ? nms[sht] : nms[1];
        int st = cur_i < 0 || i > cur_i ? STYLE_DIM : STYLE_NORMAL;
        if (i == cur_i) {
            snprintf(buf, sizeof buf, "[%s]", nm);
            *cur_x = col;
            st = STYLE_HILITE;
        } else {
            snprintf(buf, sizeof buf, "%s", nm);
        }
        col += piece(c, x + col - off, y, st, buf);
        if (k == OP_FFN) {
            snprintf(buf, sizeof buf, ")\u00d7%d", e->cfg.n_layers);
            col += piece(c, x + col - off, y, STYLE_DIM, buf);
        }
    }
    if (e->mode == MODE_RECOMPUTE)
        col += piece(c, x + col - off, y, STYLE_REDONE,
                     lvl >= 2 ? TR(a, " (nothing kept)", "（不保留）") : TR(a, "  (nothing kept)", "（不保留）"));
    return col;
}

static void draw_chain(const App *a, const Engine *e, Canvas *c, Rect in)
{
    int lvl = 0, w = 0, cx;
    for (; lvl < 4; lvl++) {
        w = chain(a, e, NULL, 0, 0, 0, lvl, &cx);
        if (w <= in.w) break;
    }
    if (lvl == 4) lvl = 3;
    int off = 0;
    if (w > in.w) {   /* still too wide: scroll so the current op is near the middle */
        chain(a, e, NULL, 0, 0, 0, lvl, &cx);
        off = cx - in.w / 3;
        if (off > w - in.w) off = w - in.w;
        if (off < 0) off = 0;
    }
    Rect line = {in.x, in.y, in.w, 1};
    Rect old = canvas_set_clip(c, rect_intersect(c->clip, line));
    chain(a, e, c, in.x, in.y, off, lvl, &cx);
    canvas_set_clip(c, old);
    const int32_t ell = canvas_glyph(c, GLYPH_ELLIPSIS);
    if (off > 0) canvas_put(c, in.x, in.y, ell, STYLE_DIM);
    if (off + in.w < w) canvas_put(c, in.x + in.w - 1, in.y, ell, STYLE_DIM);
}


/* ---- the sentence (pipeline_say.c) fitted to the box -------------------- */

/* Big models make long numbers: drop trailing clauses (after "; " or ", ")
 * until the sentence fits, and end it with a full stop again. The phase
 * ("Decode: ", up to the first colon) always stays with its clause. */
static void shorten(Buf *b, const App *a, Rect s)
{
    const char *stop = TR(a, ".", "。");
    while (canvas_wrap(NULL, s, STYLE_NORMAL, b->s) > s.h) {
        char *cut = NULL, *from = strstr(b->s, TR(a, ": ", "："));
        for (char *p = from ? from : b->s; *p; p++)
            if (!strncmp(p, "; ", 2) || !strncmp(p, ", ", 2) || !strncmp(p, "；", 3) || !strncmp(p, "，", 3))
                cut = p;
        if (!cut) return;
        b->len = (size_t)(cut - b->s);
        b->s[b->len] = '\0';
        pipeline_add(b, "%s", stop);
    }
}

void panel_pipeline_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    char title[64];
    const OpRef op = engine_current_op(e);
    Rect old = canvas_set_clip(c, rect_intersect(c->clip, r));
    if (op.layer >= 0)
        snprintf(title, sizeof title, TR(a, "%s · layer %d of %d", "%s · 第 %d 层（共 %d 层）"),
                 TR(a, "Pipeline", "流水线"), op.layer, e->cfg.n_layers);
    else
        snprintf(title, sizeof title, "%s", TR(a, "Pipeline", "流水线"));
    canvas_box(c, r, STYLE_BORDER, title);
    Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w > 0 && in.h > 0) {
        draw_chain(a, e, c, in);
        Rect s = {in.x, in.y + 1, in.w, in.h - 1};
        if (s.h > 0) {
            Buf b = {"", 0}, x = {"", 0};
            pipeline_describe(a, e, &b, &x);
            /* the detail only when the whole sentence still fits */
            if (x.len) {
                Buf all = b;
                pipeline_add(&all, "%s", x.s);
                if (canvas_wrap(NULL, s, STYLE_NORMAL, all.s) <= s.h) b = all;
            }
            shorten(&b, a, s);
            canvas_wrap(c, s, STYLE_NORMAL, b.s);
        }
    }
    canvas_set_clip(c, old);
}

