/* mask_legend: the causal mask panel's legend (see mask.h): one entry per
 * kind of mark on screen, in the order a narrow box keeps them, each in a
 * long, a short and a tiny wording. */
#include "ui/panels/mask.h"
#include "ui/style.h"

typedef struct { unsigned bit; const char *en, *zh, *en_s, *zh_s, *en_t, *zh_t; } LegendItem;

/* What this step is about first: narrow boxes keep those. Labels long,
 * short and tiny (the last resort before a row of the grid gives way). */
static const LegendItem legend_items[] = {
    /* first: without it the key header's digits are not positions a reader can tell */
    {LG_INDEX, "keys: position mod 10", "键：位置的个位数", "keys: pos mod 10", "键：位置个位", "keys: pos%10", "键：位置%10"},
    {LG_CACHED, "K/V read from cache", "K/V 读自缓存", "cached K/V", "缓存 K/V", "cached", "缓存"},
    {LG_APPENDED, "appended", "追加", "new", "新", "new", "新"},
    {LG_ROLLED, "rolled back", "已回滚", "rolled back", "已回滚", "rolled back", "回滚"},
    {LG_EVICTED, "evicted", "已淘汰", "evicted", "已淘汰", "evicted", "淘汰"},
    {LG_IDLE, "faint rows: not computed this step", "淡色行：本步不计算", "faint: not computed", "淡色：不计算",
     "faint: idle", "淡：不算"},
    {LG_REDONE, "redone", "重算", "redone", "重算", "redone", "重算"},
    {LG_MASKED, "masked", "掩码", "masked", "掩码", "masked", "掩码"},
    {LG_WEIGHT, "weight", "权重", "weight", "权重", "weight", "权重"},
    {LG_KEPT, "kept", "保留", "kept", "保留", "kept", "保留"},
    {LG_PENDING, "not yet", "未算", "not yet", "未算", "not yet", "未算"},
};
#define N_LEGEND ((int)(sizeof legend_items / sizeof legend_items[0]))

static int32_t legend_glyph(const Canvas *c, unsigned bit)
{
    switch (bit) {
    case LG_WEIGHT: return -1;   /* a full shade */
    case LG_KEPT: return canvas_glyph(c, GLYPH_CHECK);
    case LG_MASKED: return g_masked(c);
    case LG_REDONE: return g_redone(c);
    case LG_EVICTED: return '-';
    case LG_CACHED: return g_cached(c);
    case LG_APPENDED: return G_APPENDED;
    case LG_ROLLED: return canvas_glyph(c, GLYPH_CROSS);
    case LG_IDLE: case LG_INDEX: return 0;   /* words only */
    default: return g_pending(c);
    }
}

static int legend_style(unsigned bit)
{
    switch (bit) {
    case LG_WEIGHT: case LG_KEPT: return STYLE_VISIBLE;
    case LG_MASKED: return STYLE_MASKED;
    case LG_REDONE: return STYLE_REDONE;
    case LG_CACHED: return STYLE_REUSED;
    case LG_APPENDED: return STYLE_NEW;
    default: return STYLE_DIM;
    }
}

int mask_legend_layout(const Grid *g, Canvas *c, int x, int y, int w, int lines, int shrt, unsigned *dropped)
{
    const App *a = g->a;
    int line = 0, used = 0;
    *dropped = 0;
    for (int i = 0; i < N_LEGEND; i++) {
        const LegendItem *it = &legend_items[i];
        if (!(g->shown & it->bit)) continue;
        const int32_t gl = legend_glyph(g->c, it->bit);
        const char *label = TR(a, it->en, it->zh);
        if (shrt == 2 || (shrt == 1 && (gl ? 2 : 0) + canvas_text_width(label) > w)) label = TR(a, it->en_s, it->zh_s);
        if (shrt == 3) label = TR(a, it->en_t, it->zh_t);
        const int iw = (gl ? 2 : 0) + canvas_text_width(label);
        if (used && used + 2 + iw > w && line + 1 < lines) line++, used = 0;
        const int gap = used ? 2 : 0;
        if (used + gap + iw > w) {
            /* every entry drawn is a mark on screen: a layout that loses
             * one is refused (shorter labels, then fewer grid rows) */
            *dropped |= it->bit;
            continue;
        }
        const int cx = x + used + gap;
        if (c) {
            if (gl < 0) canvas_shade(c, cx, y + line, 1.0, STYLE_VISIBLE);
            else if (gl) canvas_put(c, cx, y + line, gl, legend_style(it->bit));
            canvas_text(c, cx + (gl ? 2 : 0), y + line, -1, a->present ? STYLE_NORMAL : STYLE_DIM, label);
        }
        used += gap + iw;
    }
    return line + 1;
}
