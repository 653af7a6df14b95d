/* panel_pool: the paged KV cache of the batch (spec §6.4), "KV blocks".
 *
 *   summary   blocks in use / in the pool, bytes per block, the prompts
 *   grid      every physical block of the shared pool, one cell each:
 *             owner letter (A = the first --prompt), then how many of its
 *             B slots hold a kept position (a digit for B <= 9, else a
 *             shade), then its reference count when sequences share it
 *             (§6.8, --prefix-cache: the block is drawn once), then '+'
 *             when this step's append took it; "··" = free. Cells are 3
 *             columns, 4 with --prefix-cache so that a shared block taken
 *             this step shows both marks ("A2²+")
 *   table     one row per sequence: its own step (a batch with --chunk or
 *             --speculate: "chunk 2/3", "decode 5", "verify 5: 2/4" (drafts
 *             accepted / drafted), "done";
 *             sequences take different steps, sim/run.h), t, live blocks (⌈t/B⌉ without a
 *             window), its block table (physical block of logical block
 *             0, 1, ...; "·" = given back under a window), reserved, used
 *             and wasted bytes (a shared block's id in the reused colour:
 *             both tables point at it), and beside them what a contiguous
 *             max-length reservation reserves and wastes; then the totals
 *   note      where the waste comes from, and the ratio of the two totals
 *
 * Every number is read from the pool and the engines (paged.h view
 * functions, engine_kv_* counters), never computed from a closed form:
 * tests compare them with the closed forms. Without --block-size there is
 * no pool: the panel says how to turn paging on and still shows what the
 * contiguous cache reserves for the sequences of this run.
 *
 * The table lives in pool_table.c, the legend on the bottom border in
 * pool_legend.c; pool.h holds what the three share.
 */
#include "ui/panels/pool.h"
#include "ui/style.h"

#include <stdio.h>
#include <string.h>



/* Sequence e's own step at the batch cursor: the chunk of its prefill,
 * its decode (verify, with drafts) step, or done when it has no step
 * there; "-" before the first operation. */
static void step_text(const App *a, const Engine *e, char *b, size_t len)
{
    if (run_cursor(&a->run, MODE_CACHE) > engine_total_ops(e)) snprintf(b, len, "%s", TR(a, "done", "完成"));
    else if (e->pos == 0) snprintf(b, len, "-");
    else if (e->step < e->n_chunks) snprintf(b, len, TR(a, "chunk %d/%d", "分块 %d/%d"), e->step + 1, e->n_chunks);
    else if (!e->drafted) snprintf(b, len, TR(a, "decode %d", "解码 %d"), e->step);
    else if (e->accepted < 0) snprintf(b, len, TR(a, "verify %d", "验证 %d"), e->step);
    else snprintf(b, len, TR(a, "verify %d: %d/%d", "验证 %d：%d/%d"), e->step, e->accepted, e->drafted);   /* accepted/drafted */
}

static void gather(Ctx *x)
{
    const App *a = x->a;
    const KvConfig *cfg = &app_engine_of(a, MODE_CACHE)->cfg;
    x->pool = a->run.pool;
    x->stepped = a->n_seqs > 1 && (cfg->chunk > 0 || cfg->speculate > 0);
    x->n = a->n_seqs < CLI_MAX_PROMPTS ? a->n_seqs : CLI_MAX_PROMPTS;
    x->bpp = x->pool ? paged_bytes_per_pos(x->pool)
                     : 2u * (uint64_t)cfg->n_layers * (uint64_t)config_kv_dim(cfg) * sizeof(float);
    for (int s = 0; s < x->n; s++) {
        const Engine *e = app_seq_engine(a, s);
        SeqInfo *q = &x->s[s];
        q->t = e->cache.len;
        q->blocks = engine_kv_blocks(e);
        q->reserved = engine_kv_reserved_bytes(e);
        q->used = engine_kv_bytes(e);
        q->contig = (uint64_t)e->cache.capacity * x->bpp;
        q->table = x->pool ? paged_seq_table(x->pool, e->pool_seq, &q->n_table) : NULL;
        q->p0 = e->p0;
        q->appended = e->pos > 0 && engine_op_done(e, OP_APPEND, -1);
        step_text(a, e, q->step, sizeof q->step);
        x->tot_contig += q->contig;
        x->tot_used += q->used;
        x->tot_seq_used += q->used;
    }
    if (x->pool) {
        x->tot_blocks = paged_blocks_used(x->pool);
        x->tot_res = paged_reserved_bytes(x->pool);
        x->tot_used = paged_used_bytes(x->pool);
    }
}

/* Was physical block b taken by this step's append? */
bool pool_taken_now(const Ctx *x, const PagedBlockView *v)
{
    if (v->seq < 0 || v->seq >= x->n) return false;
    const SeqInfo *q = &x->s[v->seq];
    return q->appended && v->first_pos >= q->p0;
}

/* (pool.h) */
const char *pool_fit(const char *const *cand, int n, int w)
{
    for (int i = 0; i < n; i++)
        if (canvas_text_width(cand[i]) <= w) return cand[i];
    return cand[n - 1];
}

/* ---- the grid of physical blocks ------------------------------------------ */

typedef struct {
    int labw, cellw, per_row, rows_all, rows_need;
} Grid;

/* Whether blocks may be shared (--prefix-cache): a cell then has room for
 * both a reference count and '+', "A2²+" (a shared block taken this step). */
static bool pool_may_share(const Ctx *x)
{
    return app_engine_of(x->a, MODE_CACHE)->cfg.prefix_cache;
}

static Grid plan_grid(const Ctx *x)
{
    Grid g;
    const int nb = x->pool->n_blocks;
    g.labw = pool_digits(nb > 0 ? nb - 1 : 0) + 1;
    g.cellw = pool_may_share(x) ? 4 : 3;
    g.per_row = (x->in.w - g.labw) / g.cellw;
    if (g.per_row >= 16) g.per_row -= g.per_row % 8;
    else if (g.per_row >= 4) g.per_row -= g.per_row % 4;
    if (g.per_row < 1) g.per_row = 1;
    g.rows_all = (nb + g.per_row - 1) / g.per_row;
    int last = -1;
    for (int b = 0; b < nb; b++)
        if (x->pool->owner_seq[b] >= 0) last = b;
    g.rows_need = last < 0 ? 1 : last / g.per_row + 1;
    return g;
}

/* The grid's count glyph; the legend's example shows it too (pool.h). */
int32_t pool_refs_glyph(const Canvas *c, int refs)
{
    static const int32_t sup[10] = {0x2070, 0xb9, 0xb2, 0xb3, 0x2074, 0x2075, 0x2076, 0x2077, 0x2078, 0x2079};
    if (refs > 9) return '*';
    return c->ascii ? '0' + refs : sup[refs];
}

static void draw_grid_row(const Ctx *x, const Grid *g, int row, int y)
{
    Canvas *c = x->c;
    const int B = x->pool->block_size;
    const int first = row * g->per_row;
    canvas_textf(c, x->in.x, y, g->labw, STYLE_DIM, "%*d", g->labw - 1, first);
    for (int i = 0; i < g->per_row && first + i < x->pool->n_blocks; i++) {
        const int cx = x->in.x + g->labw + g->cellw * i;
        const PagedBlockView v = paged_block_view(x->pool, first + i);
        if (v.seq < 0) {
            canvas_put(c, cx, y, canvas_glyph(c, GLYPH_DOT), STYLE_DIM);
            canvas_put(c, cx + 1, y, canvas_glyph(c, GLYPH_DOT), STYLE_DIM);
            continue;
        }
        const bool now = pool_taken_now(x, &v);
        const int st = now ? STYLE_NEW : STYLE_NORMAL;
        canvas_put(c, cx, y, pool_letter(v.seq), st);
        if (B <= 9) canvas_put(c, cx + 1, y, '0' + v.kept, st);
        else canvas_shade(c, cx + 1, y, (double)v.kept / B, st);
        /* the count, then '+': a 4-column cell (pool_may_share) has room for both */
        int sx = cx + 2;
        if (v.refs > 1) canvas_put(c, sx++, y, pool_refs_glyph(c, v.refs), STYLE_REUSED);
        if (now && sx < cx + g->cellw) canvas_put(c, sx, y, '+', STYLE_NEW);
    }
}

/* Pieces of one line, drawn while they fit. */
static int draw_pieces(Canvas *c, int x, int y, int w, int style, const char *const *p, int n)
{
    int used = 0;
    for (int i = 0; i < n; i++) {
        const int pw = canvas_text_width(p[i]);
        if (used + pw > w) break;
        canvas_text(c, x + used, y, -1, i == 0 ? STYLE_NORMAL : style, p[i]);
        used += pw;
    }
    return used;
}

static void draw_summary(const Ctx *x, int y)
{
    const App *a = x->a;
    char p1[96], p2[96], bb[32], pb[32];
    const PagedPool *p = x->pool;
    snprintf(p1, sizeof p1, TR(a, "pool: %d of %d blocks in use", "池：%d/%d 块已用"), paged_blocks_used(p),
             p->n_blocks);
    snprintf(p2, sizeof p2, TR(a, " \u00b7 block = %d pos \u00d7 %s B = %s B", " \u00b7 每块 %d 个位置 \u00d7 %s B = %s B"),
             p->block_size, fmt_count(x->bpp, pb), fmt_count(x->bpp * (uint64_t)p->block_size, bb));
    const char *pieces[] = {p1, p2};
    int used = draw_pieces(x->c, x->in.x, y, x->in.w, STYLE_DIM, pieces, 2);
    /* then the prompts, one by one, while they fit (the table may show them too) */
    for (int s = 0; s < x->n; s++) {
        char q[APP_PROMPT_MAX + 16];
        snprintf(q, sizeof q, "%s%c \"%s\"", s == 0 ? " \u00b7 " : "  ", pool_letter(s), app_seq_prompt(a, s));
        const int qw = canvas_text_width(q);
        if (used + qw > x->in.w) break;
        canvas_text(x->c, x->in.x + used, y, -1, STYLE_DIM, q);
        used += qw;
    }
}

/* What the totals mean, fitted to the width. */
static void draw_note(const Ctx *x, int y)
{
    const App *a = x->a;
    const KvConfig *cfg = &app_engine_of(a, MODE_CACHE)->cfg;
    const int B = x->pool ? x->pool->block_size : 0;
    char l[3][240], ratio[48] = "";
    if (x->pool && x->tot_res > 0 && x->tot_contig >= x->tot_res)
        snprintf(ratio, sizeof ratio, TR(a, "contiguous reserves %.1f\u00d7 as much", "连续分配的预留是分页的 %.1f 倍"),
                 (double)x->tot_contig / (double)x->tot_res);
    const bool win = config_cache_capacity(cfg) < cfg->max_seq;
    if (x->pool && x->tot_res > 0 && x->tot_contig > 0 && x->tot_contig < x->tot_res)
        snprintf(ratio, sizeof ratio,
                 win ? TR(a, "blocks reserve %.1f\u00d7 the ring", "分页的预留是环的 %.1f 倍")
                     : TR(a, "blocks reserve %.1f\u00d7 the contiguous cache", "分页的预留是连续缓存的 %.1f 倍"),
                 (double)x->tot_res / (double)x->tot_contig);
    else if (x->pool && x->tot_res == 0)   /* before the first step: no ratio to give */
        snprintf(ratio, sizeof ratio, "%s", TR(a, "no block taken yet", "尚未占用任何块"));
    const int shared = x->pool ? paged_blocks_shared(x->pool) : 0;
    char cap[64];
    if (win) snprintf(cap, sizeof cap, TR(a, "a ring of W = %d", "W = %d 的环"), cfg->window);
    else snprintf(cap, sizeof cap, TR(a, "max-seq = %d", "max-seq = %d"), cfg->max_seq);
    if (x->pool && win && shared > 0) {
        /* prefix sharing under a window (sim/paged.h): the holes need saying */
        snprintf(l[0], sizeof l[0],
                 TR(a, "%d shared block%s (superscript = tables pointing at it), reserved once; "
                       "\u00b7 in a table: left that sequence's window",
                    "%d 个共享块%s（上标 = 指向它的块表数），只预留一次；块表中的 \u00b7：已离开该序列的窗口"),
                 shared, TR(a, shared == 1 ? "" : "s", ""));
        snprintf(l[1], sizeof l[1], TR(a, "%d shared block%s, reserved once", "%d 个共享块%s，只预留一次"), shared,
                 TR(a, shared == 1 ? "" : "s", ""));
        snprintf(l[2], sizeof l[2], TR(a, "%d shared", "%d 共享"), shared);
    } else if (x->pool && win) {
        snprintf(l[0], sizeof l[0],
                 TR(a, "%s: paged waste = the last block's tail + the first block's slots that left the window",
                    "%s：分页浪费 = 最后一块的尾部 + 第一块中已离开窗口的格"),
                 ratio);
        snprintf(l[1], sizeof l[1], TR(a, "%s; waste: last block's tail + first block's front", "%s；浪费：末块尾部 + 首块前部"),
                 ratio);
        snprintf(l[2], sizeof l[2], "%s", ratio);
    } else if (x->pool && shared > 0) {
        snprintf(l[0], sizeof l[0],
                 TR(a, "%d shared block%s (superscript = tables pointing at it), reserved once; %s",
                    "%d 个共享块%s（上标 = 指向它的块表数），只预留一次；%s"),
                 shared, TR(a, shared == 1 ? "" : "s", ""), ratio);
        snprintf(l[1], sizeof l[1], TR(a, "%d shared block%s, reserved once", "%d 个共享块%s，只预留一次"), shared,
                 TR(a, shared == 1 ? "" : "s", ""));
        snprintf(l[2], sizeof l[2], TR(a, "%d shared", "%d 共享"), shared);
    } else if (x->pool) {
        snprintf(l[0], sizeof l[0],
                 TR(a, "%s: paged waste is only each last block (< B = %d pos); contiguous = %s pos per seq",
                    "%s：分页只浪费每个序列的最后一块（< B = %d 个位置）；连续分配每序列 %s 个位置"),
                 ratio, B, cap);
        snprintf(l[1], sizeof l[1], TR(a, "%s; paged waste < B = %d pos per seq", "%s；分页浪费 < B = %d 个位置/序列"),
                 ratio, B);
        snprintf(l[2], sizeof l[2], "%s", ratio);
    } else {
        snprintf(l[0], sizeof l[0],
                 TR(a, "With --block-size B a sequence would hold \u2308t/B\u2309 blocks: waste < B positions.",
                    "加上 --block-size B，每个序列只占 \u2308t/B\u2309 块：浪费 < B 个位置。"));
        snprintf(l[1], sizeof l[1], TR(a, "paged: \u2308t/B\u2309 blocks, waste < B pos", "分页：\u2308t/B\u2309 块，浪费 < B"));
        l[2][0] = '\0';
    }
    const char *cand[] = {l[0], l[1], l[2]};
    canvas_text(x->c, x->in.x, y, x->in.w, STYLE_DIM, pool_fit(cand, 3, x->in.w));
}

/* A contiguous reservation, one cell per position (scaled when it is
 * wider than the panel): held positions full, the rest light. */
static void draw_strip(const Ctx *x, int s, int y)
{
    Canvas *c = x->c;
    const Engine *e = app_seq_engine(x->a, s);
    const int cap = e->cache.capacity;
    const int kept = e->cache.len < cap ? e->cache.len : cap;
    char tail[48];
    snprintf(tail, sizeof tail, TR(x->a, " %d/%d", " %d/%d"), kept, cap);
    const int tw = canvas_text_width(tail);
    int cells = x->in.w - 2 - tw;
    if (cells > cap) cells = cap;
    if (cells < 1) return;
    canvas_put(c, x->in.x, y, pool_letter(s), STYLE_TITLE);
    const int filled = (int)(((long)kept * cells + cap - 1) / cap);
    for (int i = 0; i < cells; i++) {
        if (i < filled) canvas_put(c, x->in.x + 2 + i, y, c->ascii ? '#' : 0x2588, STYLE_REUSED);
        else canvas_put(c, x->in.x + 2 + i, y, c->ascii ? '.' : 0x2591, STYLE_DIM);
    }
    canvas_text(c, x->in.x + 2 + cells, y, tw, STYLE_DIM, tail);
}

/* Without --block-size: how to turn it on, and the contiguous numbers. */
static void draw_unpaged(const Ctx *x)
{
    const App *a = x->a;
    const KvConfig *cfg = &app_engine_of(a, MODE_CACHE)->cfg;
    const int top = x->in.y, bottom = x->in.y + x->in.h;
    int y = top;
    char l0[160], l1[160];
    const bool win = config_cache_capacity(cfg) < cfg->max_seq;
    if (win)
        snprintf(l0, sizeof l0, TR(a, "Paging is off: each sequence reserves a ring of W = %d positions up front.",
                                   "未分页：每个序列预先预留 W = %d 个位置的环。"), cfg->window);
    else
        snprintf(l0, sizeof l0, TR(a, "Paging is off: each sequence reserves max-seq = %d positions up front.",
                                   "未分页：每个序列预先预留 max-seq = %d 个位置。"), cfg->max_seq);
    snprintf(l1, sizeof l1, "%s", TR(a, "Turn it on: run with --block-size 4 --prompt ab --prompt cde --prompt f",
                                     "开启分页：运行 --block-size 4 --prompt ab --prompt cde --prompt f"));
    /* a short box (a lesson's pane below it) keeps the sequences' rows, the
     * step each one is in, before the how-to lines: the title already says
     * "paging off". One sequence keeps the first line (what a contiguous
     * cache reserves), then its row under the header, then the how-to. */
    const int table = 1 + x->n;
    const int l0_lines = canvas_wrap(NULL, (Rect){x->in.x, y, x->in.w, x->in.h}, STYLE_NORMAL, l0);
    const bool say_l0 = x->n == 1 || bottom - y >= l0_lines + table;
    const bool say_l1 = bottom - y >= l0_lines + 1 + table;
    if (y < bottom && say_l0) {
        const int lines = canvas_wrap(x->c, (Rect){x->in.x, y, x->in.w, bottom - y}, STYLE_NORMAL, l0);
        y += lines < bottom - y ? lines : bottom - y;
    }
    if (y < bottom && say_l1) {
        const char *cand[] = {l1, TR(a, "Turn it on: --block-size 4 --prompt ab --prompt cde",
                                     "开启：--block-size 4 --prompt ab --prompt cde"),
                              "--block-size 4 --prompt ab --prompt cde"};
        canvas_text(x->c, x->in.x, y++, x->in.w, STYLE_HILITE, pool_fit(cand, 3, x->in.w));
    }
    Cols k = pool_plan_cols(x, x->n, false);
    /* header, the sequences, the totals, then the note when there is room */
    const int room = bottom - y;
    if (room < 2) {   /* no room for a row under the header: the note's short form */
        if (room == 1) draw_note(x, y);
        return;
    }
    int shown = x->n;
    /* the totals go before any sequence's row does */
    const bool totals = x->n > 1 && 1 + x->n + 1 <= room;
    if (1 + shown + (totals ? 1 : 0) > room) shown = room - 1 - 1;   /* one line for "… N more" */
    if (shown < 1) shown = 1;
    pool_draw_head(x, &k, y++);
    for (int s = 0; s < shown && y < bottom; s++) pool_draw_seq(x, &k, s, y++);
    if (shown < x->n && y < bottom) {
        char m[48];
        snprintf(m, sizeof m, TR(x->a, "\u2026 %d more", "\u2026 还有 %d 个"), x->n - shown);
        canvas_text(x->c, x->in.x, y++, x->in.w, STYLE_DIM, m);
    }
    if (totals && y < bottom) pool_draw_totals(x, &k, y++);
    /* each reservation as a strip of positions, when every one fits, with
     * a line that says how to read it; the note last */
    const int strips = x->n + 1;
    if (bottom - y >= strips) {
        if (bottom - y >= strips + 2) y++;
        for (int s = 0; s < x->n; s++) draw_strip(x, s, y++);
        const char *full = x->c->ascii ? "#" : "\u2588", *empty = x->c->ascii ? "." : "\u2591";
        char leg[160];
        snprintf(leg, sizeof leg, TR(x->a, "%s a position the cache holds   %s reserved, still empty (the waste)",
                                     "%s 缓存中的位置   %s 已预留但空着（浪费）"), full, empty);
        canvas_text(x->c, x->in.x, y++, x->in.w, STYLE_DIM, leg);
    }
    if (y < bottom) draw_note(x, y);
}

/* Each sequence's blocks slot by slot: "4:█░░░" = physical block 4, its
 * first slot holds a position, the other three are empty (the waste). */
static void draw_slots(const Ctx *x, int s, int y)
{
    Canvas *c = x->c;
    const SeqInfo *q = &x->s[s];
    const int B = x->pool->block_size, right_end = x->in.x + x->in.w;
    const Engine *e = app_seq_engine(x->a, s);
    canvas_put(c, x->in.x, y, pool_letter(s), STYLE_TITLE);
    int cx = x->in.x + 2;
    for (int j = 0; j < q->n_table; j++) {
        char id[16];
        const int pb = q->table[j];
        if (pb >= 0) snprintf(id, sizeof id, "%d:", pb);
        else snprintf(id, sizeof id, "%s", "-:");
        const int need = (int)strlen(id) + B + 1;
        if (cx + need + 2 > right_end && j < q->n_table - 1) {
            canvas_put(c, cx, y, canvas_glyph(c, GLYPH_ELLIPSIS), STYLE_DIM);
            return;
        }
        bool now = false;
        if (pb >= 0) {
            const PagedBlockView v = paged_block_view(x->pool, pb);
            now = pool_taken_now(x, &v);
        }
        cx += canvas_text(c, cx, y, -1, now ? STYLE_NEW : STYLE_DIM, id);
        for (int i = 0; i < B && cx < right_end; i++, cx++) {
            const bool held = pb >= 0 && paged_has(x->pool, e->pool_seq, j * B + i);
            if (held) canvas_put(c, cx, y, c->ascii ? '#' : 0x2588, STYLE_REUSED);
            else if (pb >= 0) canvas_put(c, cx, y, c->ascii ? '.' : 0x2591, STYLE_REDONE);
            else canvas_put(c, cx, y, canvas_glyph(c, GLYPH_DOT), STYLE_DIM);   /* given back */
        }
        cx++;
    }
}

/* key: the legend's table entries take the line under the totals (the
 * border has no room for them, pool_legend_split); the note, then grid
 * rows, then sequences give way to it, never the entries. table: whether
 * the block table's Ln columns may be drawn (with split, only where the key
 * line is). Records what it drew in x for the legend. */
static void draw_paged(Ctx *x, bool key, bool table)
{
    const int top = x->in.y, H = x->in.h;
    const Grid g = plan_grid(x);
    /* rows: summary, grid, header, sequences, totals, key, note */
    int R = H - 3 - (key ? 1 : 0), gr = 0, sr = 0;
    bool totals = true, note = false;
    if (R > 0) {
        gr = g.rows_need;
        if (gr > R - x->n) gr = R - x->n;
        if (gr < 1) gr = 1;
        sr = R - gr;
        if (sr > x->n) sr = x->n;
        if (sr == 1 && x->n > 1) sr = 0;   /* "… n more" needs a row above it: the line goes below */
        int rem = R - gr - sr;
        const int grow = rem < g.rows_all - gr ? rem : g.rows_all - gr;
        if (grow > 0) {
            gr += grow;
            rem -= grow;
        }
        note = rem > 0;
    }
    /* one sequence: its row says all the totals would (the pool holds only
     * its blocks), so it takes the totals' line when there is one */
    if (x->n == 1 && sr == 0 && R >= 0) {
        sr = 1;
        totals = false;
    }
    /* a header needs a row under it: in one or two lines, the grid instead */
    if (H < 3) {
        gr = H - 1;
        sr = 0;
        totals = false;
    }
    const bool more = sr < x->n;
    const int seq_rows = more && sr > 0 ? sr - 1 : sr;
    const Cols k = pool_plan_cols(x, seq_rows, table);
    x->grid_per_row = g.per_row;
    x->seq_rows = seq_rows;
    x->entries = k.entries;
    int y = top;
    const int bottom = top + H;
    if (y < bottom) draw_summary(x, y++);
    for (int i = 0; i < gr && y < bottom; i++, x->grid_rows++) draw_grid_row(x, &g, i, y++);
    if (gr > 0 && gr < g.rows_need && g.labw + g.cellw * g.per_row < x->in.w)   /* blocks in use not shown */
        canvas_put(x->c, x->in.x + g.labw + g.cellw * g.per_row, y - 1, canvas_glyph(x->c, GLYPH_ELLIPSIS), STYLE_DIM);
    if (H < 3) return;
    if (y < bottom) pool_draw_head(x, &k, y++);
    for (int s = 0; s < seq_rows && y < bottom; s++) pool_draw_seq(x, &k, s, y++);
    if (more && sr > 0 && y < bottom) {
        char m[48];
        snprintf(m, sizeof m, TR(x->a, "\u2026 %d more sequences", "\u2026 还有 %d 个序列"), x->n - seq_rows);
        canvas_text(x->c, x->in.x, y++, x->in.w, STYLE_DIM, m);
    }
    if (totals && y < bottom) pool_draw_totals(x, &k, y++);
    if (key && k.entries > 0 && y < bottom) pool_legend_draw_key(x, y++);
    if (note && y < bottom) draw_note(x, y++);
    /* room to spare: every block slot by slot, then the contiguous
     * reservations as strips, each under a line that says what it is */
    const bool ascii = x->c->ascii;
    const char *full = ascii ? "#" : "\u2588", *empty = ascii ? "." : "\u2591";
    char head[200];
    if (bottom - y >= x->n + 2) {
        y++;
        /* a table entry given back under a window is drawn "-:···": say so
         * when there is one (the border's "·" entry is about the table) */
        bool back = false;
        for (int s = 0; s < x->n; s++)
            for (int j = 0; j < x->s[s].n_table && x->s[s].table; j++) back |= x->s[s].table[j] < 0;
        const char *dot = x->c->ascii ? "." : "\u00b7";
        char alt[200];
        snprintf(head, sizeof head,
                 TR(x->a, "each block slot by slot (id:slots): %s holds a position, %s empty = the waste",
                    "逐格看每一块（编号:格）：%s 存有位置，%s 空着 = 浪费"), full, empty);
        if (back) {
            const size_t len = strlen(head);
            snprintf(head + len, sizeof head - len, TR(x->a, ", -:%s%s%s given back", "，-:%s%s%s 已归还"), dot, dot, dot);
        }
        snprintf(alt, sizeof alt, TR(x->a, "each block (id:slots): %s held, %s empty = waste%s%s%s%s%s",
                                     "每一块（编号:格）：%s 已存，%s 空 = 浪费%s%s%s%s%s"),
                 full, empty, back ? TR(x->a, ", -:", "，-:") : "", back ? dot : "", back ? dot : "", back ? dot : "",
                 back ? TR(x->a, " given back", " 已归还") : "");
        char terse[120];
        snprintf(terse, sizeof terse, TR(x->a, "id:slots %s held %s waste%s%s%s%s", "编号:格 %s 已存 %s 浪费%s%s%s%s"), full,
                 empty, back ? " -:" : "", back ? dot : "", back ? dot : "", back ? dot : "");
        if (back) strcat(terse, TR(x->a, " given back", " 已归还"));
        const char *cand[] = {head, alt, terse};
        canvas_text(x->c, x->in.x, y++, x->in.w, STYLE_DIM, pool_fit(cand, 3, x->in.w));
        for (int s = 0; s < x->n; s++) draw_slots(x, s, y++);
    }
    if (bottom - y >= x->n + 2) {
        const KvConfig *cfg = &app_engine_of(x->a, MODE_CACHE)->cfg;
        const bool win = config_cache_capacity(cfg) < cfg->max_seq;
        y++;
        if (win)
            snprintf(head, sizeof head, TR(x->a, "the same sequences in contiguous rings of W = %d positions:",
                                           "同样的序列放进 W = %d 个位置的连续环："), cfg->window);
        else
            snprintf(head, sizeof head, TR(x->a, "the same sequences in contiguous max-seq = %d reservations:",
                                           "同样的序列各自连续预留 max-seq = %d 个位置："), cfg->max_seq);
        canvas_text(x->c, x->in.x, y++, x->in.w, STYLE_DIM, head);
        for (int s = 0; s < x->n; s++) draw_strip(x, s, y++);
    }
}

int panel_pool_height(const App *a, int w)
{
    Ctx x;
    memset(&x, 0, sizeof x);
    x.a = a;
    x.in = (Rect){1, 1, w - 2, 0};
    Canvas glyphs = {.ascii = a->opt.ascii};   /* for the legend's widths: the glyph set, no cells */
    x.c = &glyphs;
    gather(&x);
    if (x.pool) {
        /* border, summary, the whole grid, header, sequences, totals, the
         * legend's key line when the border has no room for it, note, then
         * slot by slot and the contiguous strips (a gap, a line, n) */
        const Grid g = plan_grid(&x);
        return 2 + 1 + g.rows_all + 1 + x.n + 1 + (pool_legend_split(&x, w - 6) ? 1 : 0) + 1 + 2 * (2 + x.n);
    }
    /* the two lines on paging, header, sequences, totals, the strips with a
     * gap and their legend, the note */
    const int l0 = 2;
    return 2 + l0 + 1 + 1 + x.n + (x.n > 1) + 1 + x.n + 1 + 1;
}

void panel_pool_draw(const App *a, const Engine *shown, Canvas *c, Rect r)
{
    (void)shown;   /* reads the engines it needs from the App's run */
    char title[160];
    Ctx x;
    memset(&x, 0, sizeof x);
    x.a = a;
    x.c = c;
    x.in = (Rect){r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    gather(&x);
    if (x.pool)
        snprintf(title, sizeof title, TR(a, "KV blocks \u00b7 paged cache, B = %d, %d sequence%s",
                                         "KV 块 \u00b7 分页缓存，B = %d，%d 个序列"),
                 x.pool->block_size, x.n, x.n == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "%s", TR(a, "KV blocks \u00b7 paging off", "KV 块 \u00b7 未分页"));
    if (x.stepped) {
        /* the batch's step (sim/run.h): each sequence's own is in the table */
        const Engine *c0 = app_engine_of(a, MODE_CACHE);
        const long at = run_cursor(&a->run, MODE_CACHE), total = run_cursor_total(&a->run, MODE_CACHE);
        const size_t len = strlen(title);
        snprintf(title + len, sizeof title - len, TR(a, " · batch step %d (of 0-%d)", " · 批第 %d 步（0-%d 步）"),
                 run_step_of(c0, at), (int)(total / c0->ops_per_step) - 1);
    }
    if (canvas_text_width(title) > r.w - 4) snprintf(title, sizeof title, "%s", TR(a, "KV blocks", "KV 块"));
    canvas_box(c, r, STYLE_BORDER, title);
    if (x.in.w <= 0 || x.in.h <= 0) return;
    if (!x.pool) {
        draw_unpaged(&x);
        return;
    }
    /* the key line only where the table it explains can be drawn above it;
     * a table whose entries no legend line explains keeps no Ln columns */
    const bool split = pool_legend_split(&x, r.w - 6), key = x.in.h >= 4 && split;
    draw_paged(&x, key, !split || key);
    pool_legend_draw(&x, r, key);
}
