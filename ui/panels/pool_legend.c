/* pool_legend: the KV blocks panel's legend (ui/panels/pool.c draws the
 * panel), on its bottom border: one entry per kind of mark the grid and
 * the table draw, each in a few wordings, the longest that fits.
 */
#include "ui/panels/pool.h"
#include "ui/style.h"

#include <stdio.h>

/* " text " on the bottom border, when it fits. */
static void border_label(Canvas *c, Rect r, int style, const char *text)
{
    const int w = canvas_text_width(text);
    if (r.h < 2 || w + 6 > r.w) return;
    const int y = r.y + r.h - 1;
    canvas_put(c, r.x + 2, y, ' ', STYLE_BORDER);
    canvas_text(c, r.x + 3, y, -1, style, text);
    canvas_put(c, r.x + 3 + w, y, ' ', STYLE_BORDER);
}

/* How to read a cell, on the bottom border: every mark the grid draws (a
 * reference count only when a block is shared), then what the table's Ln
 * columns are, in the longest wording that fits; the table's entry goes
 * before any mark's. */
void pool_legend_draw(const Ctx *x, Rect r)
{
    const App *a = x->a;
    Canvas *c = x->c;
    const int B = x->pool->block_size, ex = B > 1 ? B - 1 : 1;   /* the legend's example fill */
    const char *dots = c->ascii ? ".." : "\u00b7\u00b7";
    int refs = 0;   /* the first shared block's count: the legend's example */
    for (int b = 0; b < x->pool->n_blocks && !refs; b++)
        if (x->pool->refs[b] > 1) refs = x->pool->refs[b];
    char head[3][96], sh[3][64] = {"", "", ""}, rg[16], plus[2][48], tail[48], tab[3][64];
    if (B <= 9) {
        snprintf(head[0], sizeof head[0], TR(a, "A%d = seq A, %d of %d slots used", "A%d = 序列 A，%d/%d 格已用"), ex, ex, B);
        snprintf(head[1], sizeof head[1], TR(a, "A%d = seq A, %d of %d used", "A%d = 序列 A，%d/%d 已用"), ex, ex, B);
        snprintf(head[2], sizeof head[2], TR(a, "A%d = seq A, %d/%d used", "A%d = 序列 A，%d/%d"), ex, ex, B);
    } else {
        snprintf(head[0], sizeof head[0], TR(a, "A + shade = seq A and how full (of %d slots)", "A + 深浅 = 序列 A 及其填充（共 %d 格）"), B);
        snprintf(head[1], sizeof head[1], TR(a, "A + shade = seq A, fill of %d slots", "A + 深浅 = 序列 A，%d 格的填充"), B);
        snprintf(head[2], sizeof head[2], "%s", TR(a, "A + shade = seq A, fill", "A + 深浅 = 序列 A 填充"));
    }
    if (refs) {
        /* "A1² shared by 2": the count follows the cell's fill */
        canvas_cp_text(pool_refs_glyph(c, refs), rg);
        char cell[32];
        if (B <= 9) snprintf(cell, sizeof cell, "A%d%s", ex, rg);
        else snprintf(cell, sizeof cell, "%s", rg);
        snprintf(sh[0], sizeof sh[0], TR(a, " \u00b7 %s = shared by %d tables", " \u00b7 %s = %d 个块表共享"), cell, refs);
        snprintf(sh[1], sizeof sh[1], TR(a, " \u00b7 %s shared by %d", " \u00b7 %s %d 表共享"), cell, refs);
        snprintf(sh[2], sizeof sh[2], TR(a, " \u00b7 %s %d share", " \u00b7 %s %d共享"), rg, refs);
    }
    snprintf(plus[0], sizeof plus[0], "%s", TR(a, " \u00b7 + taken this step", " \u00b7 + 本步分配"));
    snprintf(plus[1], sizeof plus[1], "%s", TR(a, " \u00b7 + new", " \u00b7 +新"));
    snprintf(tail, sizeof tail, TR(a, " \u00b7 %s free", " \u00b7 %s 空闲"), dots);
    snprintf(tab[0], sizeof tab[0], "%s", TR(a, " \u00b7 table: logical block Ln \u2192 physical", " \u00b7 块表：逻辑块 Ln \u2192 物理块"));
    snprintf(tab[1], sizeof tab[1], "%s", TR(a, " \u00b7 Ln \u2192 physical", " \u00b7 Ln \u2192 物理块"));
    tab[2][0] = '\0';
    /* (head, share, plus, table) wordings, the most said first */
    /* a table entry given back under a window ("·" in the table) */
    bool holes = false;
    for (int q = 0; q < x->n && !holes; q++)
        for (int j = 0; j < x->s[q].n_table && x->s[q].table; j++) holes |= x->s[q].table[j] < 0;
    const char *dot = c->ascii ? "." : "\u00b7";
    char hole[3][64] = {"", "", ""};
    if (holes) {
        snprintf(hole[0], sizeof hole[0], TR(a, " \u00b7 %s in a table: left the window", " \u00b7 块表中的 %s：已离开窗口"), dot);
        snprintf(hole[1], sizeof hole[1], TR(a, " \u00b7 %s: left the window", " \u00b7 %s：离开窗口"), dot);
        snprintf(hole[2], sizeof hole[2], TR(a, " \u00b7 %s: left window", " \u00b7 %s：出窗"), dot);
    }
    /* (head, share, plus, table) wordings, the most said first; the last
     * two only with holes, whose entry (long to short) each one tries */
    static const signed char order[][4] = {
        {0, 0, 0, 0}, {0, 1, 0, 0}, {1, 1, 0, 0}, {0, 0, 0, 1}, {0, 1, 0, 1}, {1, 1, 0, 1},
        {2, 1, 0, 1}, {2, 1, 1, 1}, {2, 2, 1, 1}, {0, 0, 0, 2}, {0, 1, 0, 2}, {1, 1, 0, 2}, {2, 1, 0, 2},
        {2, 2, 1, 2},
    };
    enum { N = sizeof order / sizeof order[0], TERSE = 8 };
    char text[3 * N][384];
    const char *cand[3 * N];
    int n = 0;
    for (int i = 0; i < N; i++) {
        if (i == TERSE && !holes) continue;   /* terse words only to make room for the holes' entry */
        for (int h = 0; h < (holes ? 3 : 1); h++) {
            snprintf(text[n], sizeof text[n], "%s%s%s%s%s%s", head[order[i][0]], sh[order[i][1]], plus[order[i][2]],
                     tail, tab[order[i][3]], hole[h]);
            cand[n] = text[n];
            n++;
        }
    }
    border_label(c, r, STYLE_DIM, pool_fit(cand, n, r.w - 6));
}
