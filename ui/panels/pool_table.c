/* pool_table: the table of the KV blocks panel (ui/panels/pool.c): one row
 * per sequence and the totals, in columns planned for the box's width.
 * See pool.h. */
#include "ui/panels/pool.h"
#include "ui/style.h"

#include <stdio.h>
#include <string.h>

int pool_digits(long v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

char pool_letter(int s)
{
    return (char)('A' + s);
}

/* ---- the table ------------------------------------------------------------ */

static const char *col_head(const Ctx *x, int i)
{
    const App *a = x->a;
    const bool win = app_engine_of(x->a, MODE_CACHE)->cfg.window > 0;
    switch (i) {
    case C_SEQ: return TR(a, "seq", "序列");
    case C_STEP: return TR(a, "step", "步");
    case C_T: return "t";
    case C_BLK: return win ? TR(a, "blocks", "块数") : "\u2308t/B\u2309";
    case C_TAB: return "";
    case C_RES: return TR(a, "reserved", "预留");
    case C_USED: return TR(a, "used", "已用");
    case C_WASTE: return TR(a, "waste", "浪费");
    case C_CONTIG: return TR(a, "contiguous", "连续预留");
    default: return TR(a, "waste", "浪费");
    }
}

static int numw(uint64_t v)
{
    char b[32];
    return (int)strlen(fmt_count(v, b));
}

static int max_i(int a, int b)
{
    return a > b ? a : b;
}

/* The label of the totals row, under the sequence letters. */
const char *pool_total_label(const Ctx *x)
{
    return TR(x->a, "\u03a3 all", "\u03a3 \u5408\u8ba1");
}

Cols pool_plan_cols(const Ctx *x, int rows, bool table)
{
    Cols k;
    memset(&k, 0, sizeof k);
    k.paged = x->pool != NULL;
    k.rows = rows < x->n ? rows : x->n;
    for (int i = 0; i < N_COLS; i++) k.w[i] = canvas_text_width(col_head(x, i));
    /* wide enough for the totals' label: without a prompt column it was cut to "Σ a" */
    k.w[C_SEQ] = max_i(k.w[C_SEQ], canvas_text_width(pool_total_label(x)));
    k.w[C_T] = max_i(1, pool_digits(app_engine_of(x->a, MODE_CACHE)->cfg.max_seq));
    for (int s = 0; s < x->n; s++) k.w[C_STEP] = max_i(k.w[C_STEP], canvas_text_width(x->s[s].step));
    if (!x->stepped || !rows) k.w[C_STEP] = 0;
    if (!rows) k.w[C_T] = 0;   /* the totals row has no t: no header over an empty column */
    uint64_t mres = x->tot_res, mused = x->tot_used, mcon = x->tot_contig;
    for (int s = 0; s < x->n; s++) {
        k.w[C_BLK] = max_i(k.w[C_BLK], pool_digits(x->s[s].blocks));
        k.w[C_CWASTE] = max_i(k.w[C_CWASTE], numw(x->s[s].contig - x->s[s].used));
    }
    k.w[C_RES] = max_i(k.w[C_RES], numw(mres));
    k.w[C_USED] = max_i(k.w[C_USED], numw(mused));
    k.w[C_WASTE] = max_i(k.w[C_WASTE], numw(mres - mused));
    k.w[C_CONTIG] = max_i(k.w[C_CONTIG], numw(mcon));
    k.w[C_CWASTE] = max_i(k.w[C_CWASTE], numw(mcon - x->tot_seq_used));
    if (!k.paged) k.w[C_BLK] = k.w[C_TAB] = k.w[C_RES] = k.w[C_WASTE] = 0;
    /* fixed part: one space between columns, " │ " before the contiguous pair */
    int fixed = 0;
    for (int i = 0; i < N_COLS; i++)
        if (i != C_TAB && k.w[i]) fixed += k.w[i] + 1;
    fixed += 2;
    /* an entry: a physical block id under its logical block "L3" */
    if (k.paged) k.ew = max_i(pool_digits(x->pool->n_blocks > 0 ? x->pool->n_blocks - 1 : 0),
                              1 + pool_digits(x->pool->max_blocks > 0 ? x->pool->max_blocks - 1 : 0)) + 1;
    int spare = x->in.w - fixed;
    if (k.paged && rows && table) {
        int longest = 0;   /* of the tables drawn */
        for (int s = 0; s < k.rows; s++) longest = max_i(longest, x->s[s].n_table);
        /* the table gets what it needs first, then the prompts what is left;
         * no Ln column with nothing under it (before the first block) */
        k.entries = spare / k.ew;
        if (k.entries > longest) k.entries = longest;
        if (k.entries < 1 && longest > 0) k.entries = 1;
        if (k.entries < 0) k.entries = 0;
        k.w[C_TAB] = k.entries * k.ew;
        if (k.entries) spare -= k.w[C_TAB] + 1;
    }
    /* the prompt after the letter, when there is room for some of it */
    int plen = 0;
    for (int s = 0; s < x->n; s++) plen = max_i(plen, canvas_text_width(app_seq_prompt(x->a, s)) + 2);
    if (spare - 2 >= 4) {
        k.promptw = plen < spare - 2 ? plen : spare - 2;
        if (k.promptw > 14) k.promptw = 14;
        k.w[C_SEQ] = max_i(k.w[C_SEQ], 2 + k.promptw);
    }
    int cx = x->in.x;
    for (int i = 0; i < N_COLS; i++) {
        if (i == C_CONTIG) cx += 2;   /* "│ " */
        k.x[i] = cx;
        if (k.w[i]) cx += k.w[i] + 1;
    }
    /* a narrow box: a column that does not fit whole is left out, its
     * header with its cells (never a cut header over nothing) */
    for (int i = 0; i < N_COLS; i++)
        if (k.x[i] + k.w[i] > x->in.x + x->in.w) {
            k.w[i] = 0;
            if (i == C_TAB) k.entries = 0;
        }
    return k;
}

static void right(Canvas *c, int x, int y, int w, int style, const char *s)
{
    if (w <= 0) return;   /* a column left out (pool_plan_cols) */
    const int tw = canvas_text_width(s);
    canvas_text(c, x + (tw < w ? w - tw : 0), y, w, style, s);
}

static void right_num(Canvas *c, int x, int y, int w, int style, uint64_t v)
{
    char b[32];
    right(c, x, y, w, style, fmt_count(v, b));
}

void pool_draw_head(const Ctx *x, const Cols *k, int y)
{
    Canvas *c = x->c;
    for (int i = 0; i < N_COLS; i++) {
        if (!k->w[i] || i == C_TAB) continue;
        if (i == C_SEQ || i == C_STEP) canvas_text(c, k->x[i], y, k->w[i], STYLE_DIM, col_head(x, i));
        else right(c, k->x[i], y, k->w[i], STYLE_DIM, col_head(x, i));
    }
    /* the table's header: its logical block numbers */
    for (int j = 0; k->paged && j < k->entries; j++) {
        char b[16];
        snprintf(b, sizeof b, "L%d", j);
        if (j == k->entries - 1 && j > 0) {
            bool cut = false;
            for (int s = 0; s < k->rows; s++) cut |= x->s[s].n_table > k->entries;
            if (cut) snprintf(b, sizeof b, "%s", x->c->ascii ? "~" : "\u2026");
        }
        right(c, k->x[C_TAB] + j * k->ew, y, k->ew, STYLE_DIM, b);
    }
    if (k->w[C_CONTIG]) canvas_put(c, k->x[C_CONTIG] - 2, y, canvas_glyph(c, GLYPH_VLINE), STYLE_BORDER);
}

void pool_draw_seq(const Ctx *x, const Cols *k, int s, int y)
{
    Canvas *c = x->c;
    const SeqInfo *q = &x->s[s];
    canvas_put(c, k->x[C_SEQ], y, pool_letter(s), STYLE_TITLE);
    if (k->promptw > 0) {
        char p[APP_PROMPT_MAX + 4];
        snprintf(p, sizeof p, "\"%s\"", app_seq_prompt(x->a, s));
        if (canvas_text_width(p) > k->promptw) {
            /* cut, with an ellipsis in the last column */
            canvas_text(c, k->x[C_SEQ] + 2, y, k->promptw - 1, STYLE_DIM, p);
            canvas_put(c, k->x[C_SEQ] + 1 + k->promptw, y, canvas_glyph(c, GLYPH_ELLIPSIS), STYLE_DIM);
        } else {
            canvas_text(c, k->x[C_SEQ] + 2, y, k->promptw, STYLE_DIM, p);
        }
    }
    char b[32];
    if (k->w[C_STEP]) canvas_text(c, k->x[C_STEP], y, k->w[C_STEP], STYLE_NORMAL, q->step);
    snprintf(b, sizeof b, "%d", q->t);
    right(c, k->x[C_T], y, k->w[C_T], STYLE_NORMAL, b);
    if (k->paged) {
        snprintf(b, sizeof b, "%d", q->blocks);
        right(c, k->x[C_BLK], y, k->w[C_BLK], STYLE_NORMAL, b);
        const bool cut = q->n_table > k->entries;
        for (int j = 0; j < q->n_table && j < k->entries; j++) {
            const int cx = k->x[C_TAB] + j * k->ew;
            if (cut && j == k->entries - 1 && j > 0) {   /* "…" under the header's "…"; a lone L0 keeps its entry */
                right(c, cx, y, k->ew, STYLE_DIM, c->ascii ? "~" : "\u2026");
                break;
            }
            const int pb = q->table[j];
            if (pb < 0) {
                right(c, cx, y, k->ew, STYLE_DIM, c->ascii ? "." : "\u00b7");
                continue;
            }
            const PagedBlockView v = paged_block_view(x->pool, pb);
            snprintf(b, sizeof b, "%d", pb);
            right(c, cx, y, k->ew, pool_taken_now(x, &v) ? STYLE_NEW : v.refs > 1 ? STYLE_REUSED : STYLE_NORMAL, b);
        }
        right_num(c, k->x[C_RES], y, k->w[C_RES], STYLE_NORMAL, q->reserved);
        right_num(c, k->x[C_WASTE], y, k->w[C_WASTE], STYLE_NORMAL, q->reserved - q->used);
    }
    right_num(c, k->x[C_USED], y, k->w[C_USED], STYLE_NORMAL, q->used);
    if (k->w[C_CONTIG]) canvas_put(c, k->x[C_CONTIG] - 2, y, canvas_glyph(c, GLYPH_VLINE), STYLE_BORDER);
    right_num(c, k->x[C_CONTIG], y, k->w[C_CONTIG], STYLE_NORMAL, q->contig);
    right_num(c, k->x[C_CWASTE], y, k->w[C_CWASTE], STYLE_REDONE, q->contig - q->used);
}

void pool_draw_totals(const Ctx *x, const Cols *k, int y)
{
    Canvas *c = x->c;
    canvas_text(c, k->x[C_SEQ], y, k->w[C_SEQ], STYLE_TITLE, pool_total_label(x));
    if (k->paged) {
        char b[32];
        snprintf(b, sizeof b, "%d", x->tot_blocks);
        right(c, k->x[C_BLK], y, k->w[C_BLK], STYLE_TITLE, b);
        right_num(c, k->x[C_RES], y, k->w[C_RES], STYLE_TITLE, x->tot_res);
        right_num(c, k->x[C_WASTE], y, k->w[C_WASTE], STYLE_TITLE, x->tot_res - x->tot_used);
    }
    right_num(c, k->x[C_USED], y, k->w[C_USED], STYLE_TITLE, x->tot_used);
    if (k->w[C_CONTIG]) canvas_put(c, k->x[C_CONTIG] - 2, y, canvas_glyph(c, GLYPH_VLINE), STYLE_BORDER);
    right_num(c, k->x[C_CONTIG], y, k->w[C_CONTIG], STYLE_TITLE, x->tot_contig);
    right_num(c, k->x[C_CWASTE], y, k->w[C_CWASTE], STYLE_REDONE, x->tot_contig - x->tot_seq_used);
}

/* ---- the summary and the notes ---------------------------------------------- */

