/* pool_legend: the KV blocks panel's legend (ui/panels/pool.c draws the
 * panel), on its bottom border: one entry per kind of mark the grid and
 * the table draw, each in a few wordings, the longest that fits. When no
 * wording with every entry fits the border, the table's entries (its Ln
 * columns, and "·" under a window) take a line of their own under the
 * table instead of giving way: the panel's rows give way for that line.
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

/* The legend's entries, each in its wordings (the most said first), none
 * with the " · " that joins them: what a grid cell shows (its owner and
 * fill, a shared block's count, '+', a free block) and what the table
 * shows (its Ln columns, and "·" where a window gave a block back). An
 * entry the screen has no mark for is empty. */
typedef struct {
    char head[3][96], share[3][64], plus[2][48], free_[48], tab[2][64], hole[3][64];
    bool holes;
} Entries;

/* Which kinds of mark are on screen: with drawn, those x says were drawn
 * (the grid's first rows, the table's first rows and entries); without,
 * every one the pool could show, for pool_legend_split's wording. */
typedef struct {
    bool owned, plus, free_, tab, holes;
    int refs;   /* the first shared block's count (0 = none shown): the legend's example */
} Marks;

static Marks marks_of(const Ctx *x, bool drawn)
{
    Marks m = {0};
    const int nb = x->pool->n_blocks, in_grid = x->grid_rows * x->grid_per_row;
    const int shown = drawn && in_grid < nb ? in_grid : nb;
    for (int b = 0; b < shown; b++) {
        const PagedBlockView v = paged_block_view(x->pool, b);
        if (v.seq < 0) {
            m.free_ = true;
            continue;
        }
        m.owned = true;
        m.plus |= pool_taken_now(x, &v);
        if (v.refs > 1 && !m.refs) m.refs = v.refs;
    }
    if (!drawn) m.plus = m.free_ = m.owned = true;
    const int rows = drawn ? x->seq_rows : x->n;
    m.tab = !drawn || x->entries > 0;
    for (int q = 0; q < rows && m.tab; q++) {
        const SeqInfo *s = &x->s[q];
        /* a cut table's last column shows "…", not its entry (but a lone L0 does) */
        const int n = !drawn || s->n_table <= x->entries ? s->n_table : x->entries > 1 ? x->entries - 1 : 1;
        for (int j = 0; j < n && s->table; j++) m.holes |= s->table[j] < 0;
    }
    return m;
}

static void entries_make(const Ctx *x, Entries *g, bool drawn)
{
    const App *a = x->a;
    const Canvas *c = x->c;
    const int B = x->pool->block_size, ex = B > 1 ? B - 1 : 1;   /* the legend's example fill */
    const Marks m = marks_of(x, drawn);
    const int refs = m.refs;
    if (B <= 9) {
        snprintf(g->head[0], sizeof g->head[0], TR(a, "A%d = seq A, %d of %d slots used", "A%d = 序列 A，%d/%d 格已用"), ex, ex, B);
        snprintf(g->head[1], sizeof g->head[1], TR(a, "A%d = seq A, %d of %d used", "A%d = 序列 A，%d/%d 已用"), ex, ex, B);
        snprintf(g->head[2], sizeof g->head[2], TR(a, "A%d = seq A, %d/%d used", "A%d = 序列 A，%d/%d"), ex, ex, B);
    } else {
        snprintf(g->head[0], sizeof g->head[0], TR(a, "A + shade = seq A and how full (of %d slots)", "A + 深浅 = 序列 A 及其填充（共 %d 格）"), B);
        snprintf(g->head[1], sizeof g->head[1], TR(a, "A + shade = seq A, fill of %d slots", "A + 深浅 = 序列 A，%d 格的填充"), B);
        snprintf(g->head[2], sizeof g->head[2], "%s", TR(a, "A + shade = seq A, fill", "A + 深浅 = 序列 A 填充"));
    }
    for (int i = 0; i < 3; i++) g->share[i][0] = '\0';
    if (refs) {
        /* "A1² shared by 2": the count follows the cell's fill */
        char rg[16], cell[32];
        canvas_cp_text(pool_refs_glyph(c, refs), rg);
        if (B <= 9) snprintf(cell, sizeof cell, "A%d%s", ex, rg);
        else snprintf(cell, sizeof cell, "%s", rg);
        snprintf(g->share[0], sizeof g->share[0], TR(a, "%s = shared by %d tables", "%s = %d 个块表共享"), cell, refs);
        snprintf(g->share[1], sizeof g->share[1], TR(a, "%s shared by %d", "%s %d 表共享"), cell, refs);
        snprintf(g->share[2], sizeof g->share[2], TR(a, "%s %d share", "%s %d共享"), rg, refs);
    }
    snprintf(g->plus[0], sizeof g->plus[0], "%s", TR(a, "+ taken this step", "+ 本步分配"));
    snprintf(g->plus[1], sizeof g->plus[1], "%s", TR(a, "+ new", "+新"));
    snprintf(g->free_, sizeof g->free_, TR(a, "%s free", "%s 空闲"), c->ascii ? ".." : "\u00b7\u00b7");
    snprintf(g->tab[0], sizeof g->tab[0], "%s", TR(a, "table: logical block Ln \u2192 physical", "块表：逻辑块 Ln \u2192 物理块"));
    snprintf(g->tab[1], sizeof g->tab[1], "%s", TR(a, "Ln \u2192 physical", "Ln \u2192 物理块"));
    /* no entry for a mark that is not on screen */
    for (int i = 0; i < 3 && !m.owned; i++) g->head[i][0] = '\0';
    for (int i = 0; i < 2 && !m.plus; i++) g->plus[i][0] = '\0';
    if (!m.free_) g->free_[0] = '\0';
    for (int i = 0; i < 2 && !m.tab; i++) g->tab[i][0] = '\0';
    g->holes = m.holes;
    const char *dot = c->ascii ? "." : "\u00b7";
    for (int i = 0; i < 3; i++) g->hole[i][0] = '\0';
    if (g->holes) {
        snprintf(g->hole[0], sizeof g->hole[0], TR(a, "%s in a table: left the window", "块表中的 %s：已离开窗口"), dot);
        snprintf(g->hole[1], sizeof g->hole[1], TR(a, "%s: left the window", "%s：离开窗口"), dot);
        snprintf(g->hole[2], sizeof g->hole[2], TR(a, "%s: left window", "%s：出窗"), dot);
    }
}

/* The non-empty ones of n entries, joined by " · ", into out. */
static void join(char *out, size_t size, const char *const *e, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        if (e[i][0] && len < size)
            len += (size_t)snprintf(out + len, size - len, "%s%s", len ? " \u00b7 " : "", e[i]);
}

/* (head, share, plus, table) wordings, the most said first; table 2 = no
 * table entry (those last rows are the grid's entries alone). */
static const signed char order[][4] = {
    {0, 0, 0, 0}, {0, 1, 0, 0}, {1, 1, 0, 0}, {0, 0, 0, 1}, {0, 1, 0, 1}, {1, 1, 0, 1},
    {2, 1, 0, 1}, {2, 1, 1, 1}, {2, 2, 1, 1}, {0, 0, 0, 2}, {0, 1, 0, 2}, {1, 1, 0, 2}, {2, 1, 0, 2},
    {2, 2, 1, 2},
};
enum { N_ORDER = sizeof order / sizeof order[0], TERSE = 8, GRID_ONLY = 9, N_CAND = 3 * N_ORDER };

/* The border's candidates, the most said first: every entry, the table's
 * included, in each wording of the holes' entry (table); or the grid's
 * entries alone, when the table's take a line of their own (!table). */
static int border_cands(const Entries *g, bool table, char text[][384], const char **cand)
{
    int n = 0;
    for (int i = table ? 0 : GRID_ONLY; i < (table ? GRID_ONLY : N_ORDER); i++) {
        if (i == TERSE && !g->holes) continue;   /* terse words only to make room for the holes' entry */
        for (int h = 0; h < (table && g->holes ? 3 : 1); h++) {
            const char *e[] = {g->head[order[i][0]], g->share[order[i][1]], g->plus[order[i][2]], g->free_,
                               table ? g->tab[order[i][3]] : "", table ? g->hole[h] : ""};
            join(text[n], sizeof text[n], e, 6);
            cand[n] = text[n];
            n++;
        }
    }
    return n;
}

bool pool_legend_split(const Ctx *x, int w)
{
    Entries g;
    entries_make(x, &g, false);
    char text[N_CAND][384];
    const char *cand[N_CAND];
    const int n = border_cands(&g, true, text, cand);
    for (int i = 0; i < n; i++)
        if (canvas_text_width(cand[i]) <= w) return false;
    return true;
}

/* How to read a cell, on the bottom border: every mark the grid draws (a
 * reference count only when a block is shared), then what the table's Ln
 * columns are and, under a window, its "·", in the longest wording that
 * fits; when none with the table's entries fits (split), the grid's
 * entries alone, the table's going to the key line under the table. */
void pool_legend_draw(const Ctx *x, Rect r, bool split)
{
    Entries g;
    entries_make(x, &g, true);
    char text[N_CAND][384];
    const char *cand[N_CAND];
    const int n = border_cands(&g, !split, text, cand);
    const char *t = pool_fit(cand, n, r.w - 6);
    if (t[0]) border_label(x->c, r, STYLE_DIM, t);
}

/* A line of its own: room for "block" after "physical", and a "; " where
 * the border has " · " (which would sit right before the "·" it names). */
void pool_legend_draw_key(const Ctx *x, int y)
{
    const App *a = x->a;
    const char *dot = x->c->ascii ? "." : "\u00b7";
    char k[4][192];
    int n = 0;
    if (marks_of(x, true).holes) {
        snprintf(k[n++], sizeof k[0], TR(a, "table: logical block Ln \u2192 physical block; %s = left the window, block given back",
                                         "块表：逻辑块 Ln \u2192 物理块；%s = 已离开窗口，块已归还"), dot);
        snprintf(k[n++], sizeof k[0], TR(a, "table: logical block Ln \u2192 physical block; %s = left the window",
                                         "块表：逻辑块 Ln \u2192 物理块；%s = 已离开窗口"), dot);
        snprintf(k[n++], sizeof k[0], TR(a, "table: Ln \u2192 physical block; %s = left the window", "块表：Ln \u2192 物理块；%s = 离开窗口"), dot);
        snprintf(k[n++], sizeof k[0], TR(a, "Ln \u2192 physical; %s: left window", "Ln \u2192 物理块；%s：出窗"), dot);
    } else {
        snprintf(k[n++], sizeof k[0], "%s", TR(a, "table: logical block Ln \u2192 physical block", "块表：逻辑块 Ln \u2192 物理块"));
        snprintf(k[n++], sizeof k[0], "%s", TR(a, "Ln \u2192 physical", "Ln \u2192 物理块"));
    }
    const char *cand[] = {k[0], k[1], k[2], k[3]};
    canvas_text(x->c, x->in.x, y, x->in.w, STYLE_DIM, pool_fit(cand, n, x->in.w));
}
