/* panel_next: the Next token panel — the k most probable next tokens after
 * softmax of the logits the engine computed this step, each with a bar of
 * its probability (0..1), the chosen token marked.
 *
 *   ┌─ Next token · pos 12 ──────────────┐
 *   │p = softmax(logits), top 5 of 227   │   legend line
 *   │'h'  █████████▋          0.482 ← picked
 *   │'␣'  ███▍                0.171      │
 *   ...
 * The probabilities come from probe_topk() over the engine's own logits
 * (no second forward pass); the chosen token is the engine's pick (the
 * top one: greedy decoding), marked "← top" until the pick has run.
 * Before this step's logits: "not computed yet".
 */
#include "ui/panels/panels.h"
#include "ui/panels/probe.h"
#include "ui/style.h"

#include <stdio.h>

enum { NEXT_MAX_K = 16, NEXT_BAR_MAX = 24 };

/* What the box says in a prefill chunk before the last (§6.7). */
static const char *no_logits(const App *a)
{
    return TR(a, "none in this step: a prefill chunk before the last computes no logits; the first "
                 "token comes after the last chunk",
              "本步没有：最后一块之前的预填充块不计算 logits；第一个词元在最后一块之后产生");
}

int panel_next_none_height(const App *a, int w)
{
    return 2 + canvas_wrap(NULL, (Rect){0, 0, w - 2, 0}, STYLE_NORMAL, no_logits(a));
}

void panel_next_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    int pos = -1;
    const float *z = e->pos > 0 ? probe_logits(e, &pos) : NULL;
    char title[96];
    const char *name = TR(a, "Next token", "下一个词元");
    if (z) snprintf(title, sizeof title, TR(a, "%s \u00b7 after pos %d", "%s \u00b7 第 %d 位之后"), name, pos);
    else snprintf(title, sizeof title, "%s", name);
    Rect in;
    if (!panel_open(a, e, c, r, title, name, &in)) goto done;
    if (!z) {
        if (e->mode == MODE_CACHE && e->n_chunks > 1 && e->step < e->n_chunks - 1)   /* §6.7 */
            canvas_wrap(c, in, STYLE_NORMAL, no_logits(a));
        else
            canvas_wrap(c, in, STYLE_DIM, TR(a, "not computed yet: the logits come near the end of the step",
                                             "尚未计算：logits 在本步接近末尾时才算出"));
        goto done;
    }
    const int V = e->cfg.vocab;
    int k = in.h - 1;
    if (k > NEXT_MAX_K) k = NEXT_MAX_K;
    ProbeTok top[NEXT_MAX_K];
    const int n = probe_topk(z, V, k, top);
    char legend[96];
    snprintf(legend, sizeof legend, TR(a, "p = softmax(logits), top %d of %d", "p = softmax(logits)，%d 个中前 %d"),
             TR(a, n, V), TR(a, V, n));
    if (canvas_text_width(legend) > in.w)
        snprintf(legend, sizeof legend, TR(a, "p, top %d of %d", "p，%d 个中前 %d"), TR(a, n, V), TR(a, V, n));
    canvas_text(c, in.x, in.y, in.w, STYLE_DIM, legend);
    /* token labels quoted where they could be read as numbers ('2', '␣') */
    char tok[16];
    int tokw = 1;
    for (int i = 0; i < n; i++) {
        const int w = canvas_text_width(fmt_token_quoted(a, top[i].id, tok));
        if (w > tokw) tokw = w;
    }
    const bool picked = e->picked >= 0;
    const char *mark = picked ? TR(a, "\u2190 picked", "\u2190 选中") : TR(a, "\u2190 top", "\u2190 最高");
    if (c->ascii) mark = picked ? "< picked" : "< top";
    const int markw = canvas_text_width(mark) + 1;
    /* tok, gap, bar, gap, "0.482", then the mark when it fits */
    int bw = in.w - tokw - 1 - 1 - 5 - markw;
    if (bw > NEXT_BAR_MAX) bw = NEXT_BAR_MAX;
    const bool show_mark = bw >= 4;
    if (!show_mark) bw = in.w - tokw - 1 - 1 - 5;
    if (bw > NEXT_BAR_MAX) bw = NEXT_BAR_MAX;
    for (int i = 0; i < n; i++) {
        const int y = in.y + 1 + i;
        const bool chosen = picked ? top[i].id == e->picked : i == 0;
        int x = in.x;
        canvas_text(c, x, y, tokw, chosen ? STYLE_HILITE : STYLE_NORMAL, fmt_token_quoted(a, top[i].id, tok));
        x += tokw + 1;
        if (bw > 0) {
            canvas_hbar(c, x, y, bw, top[i].p, STYLE_VISIBLE);
            x += bw + 1;
        }
        x += canvas_textf(c, x, y, in.x + in.w - x, chosen ? STYLE_HILITE : STYLE_NORMAL, "%.3f", top[i].p);
        if (chosen && show_mark) canvas_text(c, x + 1, y, in.x + in.w - x - 1, STYLE_HILITE, mark);
    }
done:
    canvas_set_clip(c, old);
}
