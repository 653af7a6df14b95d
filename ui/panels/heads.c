/* panel_heads: the all-heads overview (toggle A) — every layer × head's
 * attention row for the current query (position t-1, the row whose output
 * becomes the next token) as one heat strip, so a previous-token head (a
 * cell just left of the diagonal) and an induction head (a cell after an
 * earlier copy of the current token) show at a glance, as in bertviz.
 *
 *   ┌─ All heads · query 't', pos 13 ────────┐
 *   │      t h e ␣ c a t ␣ s a t ␣ t ␣        │  keys
 *   │L0 H0 ░ ░ ░ ▒ ░ ░ ░ ░ ░ ░ ░ ░ █ ░  prev  │
 *   │L0 H1 ...                                │
 *   │L1 H0 ░ ░ ░ ░ ░ ░ ░ ░ ░ ░ ░ ░ ░ █  ind→12│
 *   │░ <.25 ▒ <.5 ▓ <.75 █ ≥.75 (weight)      │  legend
 *   │prev: ≥.5 on pos i-1 · ind→j: ≥.5 on the │
 *   │pos after an earlier copy of the token   │
 * The shading is absolute (the same weight is the same shade in every
 * strip, unlike the single-head heat map, which scales to its row's
 * maximum). The tags follow probe_head_pattern() (ui/panels/probe.h), the
 * rule the pipeline sentence uses too. A layer whose softmax has not run
 * in this step shows dots. Too many keys for the width: the last ones,
 * with their range in the legend. A box with no line for the tags' rule
 * (80x24) gives the rule of the tags drawn in short on its bottom border.
 */
#include "ui/panels/panels.h"
#include "ui/panels/probe.h"
#include "ui/style.h"

#include <stdio.h>

/* The shade of a weight on the absolute scale of the legend. */
static void heat(Canvas *c, int x, int y, float w)
{
    /* canvas_shade's thirds of (0, 1) become quarters: ░ <.25 ▒ <.5 ▓ <.75 █ */
    const double v = (double)w >= 0.75 ? 1.0 : (double)w * 4.0 / 3.0;
    canvas_shade(c, x, y, v, STYLE_VISIBLE);
}

/* The tag of a pattern: "prev", "ind→9" (en) / "前一", "归纳→9" (zh). */
static const char *tag_text(const App *a, const Canvas *c, HeadPattern p, char buf[32])
{
    buf[0] = '\0';
    if (p.kind == HEAD_PREVIOUS) snprintf(buf, 32, "%s", TR(a, "prev", "前一"));
    else if (p.kind == HEAD_INDUCTION)
        snprintf(buf, 32, TR(a, "ind%s%d", "归纳%s%d"), c->ascii ? ">" : "\u2192", p.target);
    return buf;
}

/* The tags' rule, as the legend states it. */
static const char *rule_text(const App *a)
{
    return TR(a, "prev: weight \u2265 .5 on pos i-1; ind\u2192j: \u2265 .5 on j, the pos after an earlier copy of the query's token",
              "前一：对第 i-1 位的权重 \u2265 .5；归纳\u2192j：对第 j 位 \u2265 .5，j 是当前词元前一次出现之后的位置");
}

/* The rule of the tags drawn (bit 1: prev, bit 2: ind→j) in short, on the
 * bottom border, when the box has no line for it whole: the longest
 * wording that fits, so a tag on screen is not left unexplained. */
static void border_rule(const App *a, Canvas *c, Rect r, unsigned tags)
{
    const char *both[] = {
        TR(a, "prev: \u2265 .5 on pos i-1 \u00b7 ind\u2192j: \u2265 .5 on pos j", "前一：第 i-1 位 \u2265 .5 \u00b7 归纳\u2192j：第 j 位 \u2265 .5"),
        TR(a, "prev: \u2265 .5 on i-1 \u00b7 ind\u2192j: \u2265 .5 on j", "前一：i-1 \u2265 .5 \u00b7 归纳\u2192j：j \u2265 .5"),
        TR(a, "prev: on i-1 \u00b7 ind\u2192j: on j", "前一：i-1 \u00b7 归纳\u2192j：j"),
        TR(a, "prev: i-1 \u00b7 ind\u2192j: j", "前一 i-1 \u00b7 归纳\u2192j"),
    };
    const char *prev[] = {
        TR(a, "prev: weight \u2265 .5 on pos i-1", "前一：对第 i-1 位的权重 \u2265 .5"),
        TR(a, "prev: \u2265 .5 on pos i-1", "前一：第 i-1 位 \u2265 .5"),
        TR(a, "prev: \u2265 .5 on i-1", "前一：i-1 \u2265 .5"),
        TR(a, "prev: i-1", "前一 i-1"),
    };
    const char *ind[] = {
        TR(a, "ind\u2192j: weight \u2265 .5 on pos j", "归纳\u2192j：对第 j 位的权重 \u2265 .5"),
        TR(a, "ind\u2192j: \u2265 .5 on pos j", "归纳\u2192j：第 j 位 \u2265 .5"),
        TR(a, "ind\u2192j: \u2265 .5 on j", "归纳\u2192j：j \u2265 .5"),
        TR(a, "ind\u2192j: j", "归纳\u2192j"),
    };
    const char *const *cand = tags == 3 ? both : tags == 1 ? prev : ind;
    for (int i = 0; i < 4; i++) {
        const int w = canvas_text_width(cand[i]);
        if (w + 6 > r.w || r.h < 2) continue;
        const int y = r.y + r.h - 1;
        canvas_put(c, r.x + 2, y, ' ', STYLE_BORDER);
        canvas_text(c, r.x + 3, y, -1, STYLE_DIM, cand[i]);
        canvas_put(c, r.x + 3 + w, y, ' ', STYLE_BORDER);
        return;
    }
}

int panel_heads_height(const App *a, int w)
{
    const int Lyr = a->cfg.n_layers, rows = Lyr * a->cfg.n_heads;
    return 2 + 1 + rows + (Lyr - 1) + 1 + canvas_wrap(NULL, (Rect){0, 0, w - 2, 0}, STYLE_DIM, rule_text(a));
}

void panel_heads_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    const int Lyr = e->cfg.n_layers, H = e->cfg.n_heads, t = e->t;
    char title[128], tok[16];
    const char *name = TR(a, "All heads", "全部头");
    if (e->pos > 0)
        /* zh quotes the token as the Attention header does (查询“在”) */
        snprintf(title, sizeof title, TR(a, "%s \u00b7 query %s, pos %d", "%s \u00b7 查询\u201c%s\u201d，第 %d 位"), name,
                 TR(a, fmt_token_quoted(a, engine_fed_token(e, t - 1), tok), fmt_token(a, engine_fed_token(e, t - 1), tok)),
                 t - 1);
    else
        snprintf(title, sizeof title, "%s", name);
    Rect in;
    if (!panel_open(a, e, c, r, title, name, &in)) goto done;
    {
        /* token width in the key header: 2 when any token is Chinese */
        int hw = 1;
        for (int j = 0; j < t; j++)
            if (canvas_text_width(fmt_token(a, engine_fed_token(e, j), tok)) > 1) hw = 2;
        const int labw = 6, tagw = TR(a, 7, 8);   /* "L0 H0 ", " ind→12" */
        int cw = hw == 2 || labw + 2 * t + tagw <= in.w ? 2 : 1;
        int nk = (in.w - labw - tagw) / cw;
        if (nk < 1) nk = (in.w - labw) / cw;
        if (nk > t) nk = t;
        if (nk < 1) goto done;
        const int k0 = t - nk;   /* the first key shown */
        /* the legend: the shades, then the tags' rule when it fits whole */
        const char *rule = rule_text(a);
        const int rule_h = canvas_wrap(NULL, (Rect){0, 0, in.w, 0}, STYLE_DIM, rule);
        const int rows = Lyr * H, spare = in.h - 1 - rows;
        const int legend = spare >= 1 + rule_h ? 1 + rule_h : spare >= 1 ? 1 : 0;
        const bool gaps = Lyr > 1 && in.h - 1 - rows - legend >= Lyr - 1;
        int y = in.y;
        /* keys as tokens, a digit or sign quoted; numbered by position
         * ("pos" in the corner) when quotes do not fit */
        if (panel_key_header(a, c, in.x + labw, y, e, k0, t, cw, t - 1))
            canvas_text(c, in.x, y, labw - 1, STYLE_DIM, TR(a, "pos", "位置"));
        y++;
        const int last = in.y + in.h - legend;   /* strips end above the legend */
        unsigned tagged = 0;   /* tags drawn (1 prev, 2 ind→j): their rule is due */
        for (int l = 0; l < Lyr && y < last; l++) {
            if (l > 0 && gaps) y++;
            const bool done = engine_op_done(e, OP_SOFTMAX, l);
            for (int h = 0; h < H && y < last; h++, y++) {
                const bool sel = l == a->layer && h == a->head;
                canvas_textf(c, in.x, y, labw, sel ? STYLE_HILITE : STYLE_NORMAL, "L%d H%d", l, h);
                const float *w = engine_att_row(e, l, h, e->n - 1);
                for (int j = k0; j < t; j++) {
                    const int x = in.x + labw + (j - k0) * cw;
                    if (!done) canvas_put(c, x, y, canvas_glyph(c, GLYPH_DOT), STYLE_DIM);
                    else if (config_visible(&e->cfg, t - 1, j)) heat(c, x, y, w[j]);
                }
                const int tx = in.x + labw + nk * cw + 1;
                char tag[32];
                const char *tg = done ? tag_text(a, c, probe_engine_head(e, l, h), tag) : TR(a, "not yet", "未算");
                if (tx + canvas_text_width(tg) <= in.x + in.w) {   /* whole or not at all */
                    canvas_text(c, tx, y, -1, done ? STYLE_HILITE : STYLE_DIM, tg);
                    if (done && tg[0]) tagged |= probe_engine_head(e, l, h).kind == HEAD_PREVIOUS ? 1u : 2u;
                }
            }
        }
        /* rows left between the strips and the legend (a box taller than
         * it needs): what the strips are and how to pick the one shown */
        const char *hint[2] = {TR(a, "[ ] layer, { } head: the highlighted strip is the head the other panels show",
                                  "[ ] 层、{ } 头：高亮的那条就是其他面板显示的头"),
                               TR(a, "a strip: the current query's weights over the keys in one head",
                                  "每一条：当前查询在一个头里对各键的权重")};
        for (int i = 0; i < 2 && y < last; i++)
            if (canvas_text_width(hint[i]) <= in.w) canvas_text(c, in.x, y++, in.w, STYLE_NORMAL, hint[i]);
        if (legend == 0) goto done;
        y = in.y + in.h - legend;
        char lg[160];
        const char *shades = c->ascii ? ". <.25 : <.5 # <.75 @ >=.75" : "\u2591 <.25 \u2592 <.5 \u2593 <.75 \u2588 \u2265.75";
        if (k0 > 0) {   /* the keys shown, whole: with "weight" when it fits */
            snprintf(lg, sizeof lg, TR(a, "%s weight, keys %d-%d", "%s 权重，键 %d-%d"), shades, k0, t - 1);
            if (canvas_text_width(lg) > in.w) snprintf(lg, sizeof lg, TR(a, "%s keys %d-%d", "%s 键 %d-%d"), shades, k0, t - 1);
        } else {
            snprintf(lg, sizeof lg, TR(a, "%s weight", "%s 权重"), shades);
        }
        canvas_text(c, in.x, y++, in.w, STYLE_DIM, lg);
        if (legend > 1) canvas_wrap(c, (Rect){in.x, y, in.w, rule_h}, STYLE_DIM, rule);
        else if (tagged) border_rule(a, c, r, tagged);
    }
done:
    canvas_set_clip(c, old);
}
