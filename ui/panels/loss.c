/* panel_loss: the train view's loss at every position (spec §6.1, teacher
 * forcing): position i reads the prompt up to i and is scored on token
 * i+1, loss_i = -ln p(token i+1). One line per position with the target's
 * probability and a bar of the loss (scaled to the largest), then the
 * mean, which is the loss the engine reports (e->loss, the trace's).
 *
 *   ┌─ Loss per position ────────────────┐
 *   │pos in→next  p(next)  loss          │
 *   │ 0  t→h       0.012   4.42 ████████ │
 *   │ ...                                │
 *   │mean of 10 = 3.917 (the step's loss)│
 * When the lines do not all fit, the first ones are shown and "… N more".
 */
#include "ui/panels/panels.h"
#include "ui/panels/probe.h"
#include "ui/style.h"

#include <stdio.h>

void panel_loss_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    const char *name = TR(a, "Loss per position", "每个位置的损失");
    const int targets = e->L - 1;
    Rect in;
    if (!panel_open(a, e, c, r, name, name, &in)) goto done;
    if (targets < 1) {
        canvas_wrap(c, in, STYLE_DIM, TR(a, "a 1-token prompt has no next-token target",
                                         "只有 1 个词元的提示词没有“下一个词元”目标"));
        goto done;
    }
    if (!engine_op_done(e, OP_LOGITS, -1)) {
        canvas_wrap(c, in, STYLE_DIM, TR(a, "not computed yet: every position's logits come at the end of the pass",
                                         "尚未计算：每个位置的 logits 在本轮最后才算出"));
        goto done;
    }
    char tok[16], tgt[16];
    int tokw = 1;
    for (int i = 0; i <= targets; i++) {
        const int w = canvas_text_width(fmt_token_quoted(a, e->tokens[i], tok));
        if (w > tokw) tokw = w;
    }
    double lmax = 0.0, sum = 0.0;
    for (int i = 0; i < targets; i++) {
        const double l = probe_loss_at(e, i, NULL);
        sum += l;
        if (l > lmax) lmax = l;
    }
    const int posw = e->L > 100 ? 3 : 2;
    /* columns: pos, in→next, p(next), loss, bar */
    const int pairw = 2 * tokw + 1, fixed = posw + 1 + pairw + 1 + 7 + 1 + 6;
    int bw = in.w - fixed - 1;
    if (bw > 20) bw = 20;
    /* column starts: position, in→next, p(next) and loss right-aligned in 6, the bar */
    const int xpair = in.x + posw + 1, xp = xpair + pairw + 1, xl = xp + 8, xbar = xl + 7;
    int y = in.y;
    if (in.h >= 3) {
        const char *hp = TR(a, "p(next)", "概率"), *hl = TR(a, "loss", "损失");
        canvas_text(c, in.x + posw - 1, y, -1, STYLE_DIM, "i");
        canvas_text(c, xpair, y, -1, STYLE_DIM, TR(a, "in\u2192next", "入\u2192下"));
        canvas_text(c, xp + 7 - canvas_text_width(hp), y, -1, STYLE_DIM, hp);
        canvas_text(c, xl + 6 - canvas_text_width(hl), y, -1, STYLE_DIM, hl);
        y++;
    }
    const int room = in.y + in.h - y - 1;   /* the mean keeps the last line */
    int shown = targets <= room ? targets : room - 1;
    if (shown < 0) shown = 0;
    for (int i = 0; i < shown; i++, y++) {
        double p;
        const double l = probe_loss_at(e, i, &p);
        fmt_token_quoted(a, e->tokens[i], tok);
        fmt_token_quoted(a, e->tokens[i + 1], tgt);
        canvas_textf(c, in.x, y, -1, STYLE_DIM, "%*d", posw, i);
        int x = xpair + canvas_text(c, xpair, y, tokw, STYLE_NORMAL, tok);
        x += canvas_text(c, x, y, -1, STYLE_DIM, c->ascii ? ">" : "\u2192");
        canvas_text(c, x, y, tokw, STYLE_NORMAL, tgt);
        canvas_textf(c, xp, y, -1, STYLE_NORMAL, "%7.3f %6.2f", p, l);
        if (bw > 0) canvas_hbar(c, xbar, y, bw, lmax > 0.0 ? l / lmax : 0.0, STYLE_MASKED);
    }
    if (shown < targets && y < in.y + in.h - 1) {
        char more[64];
        snprintf(more, sizeof more, TR(a, "\u2026 %d more", "\u2026 另有 %d 个"), targets - shown);
        canvas_text(c, in.x, y++, in.w, STYLE_DIM, more);
    }
    /* the mean of the lines above is the engine's loss (same arithmetic) */
    char mean[128];
    snprintf(mean, sizeof mean, TR(a, "mean of %d = %.3f (the pass's loss)", "%d 个的平均 = %.3f（本轮损失）"), targets,
             sum / targets);
    if (canvas_text_width(mean) > in.w)
        snprintf(mean, sizeof mean, TR(a, "mean %.3f = loss", "平均 %.3f = 损失"), sum / targets);
    canvas_text(c, in.x, y < in.y + in.h ? y : in.y + in.h - 1, in.w, STYLE_HILITE, mean);
done:
    canvas_set_clip(c, old);
}
