/* pool: what the KV blocks panel's three files share (ui/panels/pool.c:
 * the summary, the grid of blocks, the notes and the panel; pool_table.c:
 * the table of sequences; pool_legend.c: the legend on the bottom border).
 * Private to the panel: nothing else includes it. */
#ifndef KVSIM_UI_PANELS_POOL_H
#define KVSIM_UI_PANELS_POOL_H

#include "ui/panels/panels.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int t;              /* positions appended so far (absolute) */
    int blocks;         /* live blocks */
    uint64_t reserved;  /* live blocks · B · bytes per position */
    uint64_t used;      /* bytes of the positions kept (= kv_cache_bytes) */
    uint64_t contig;    /* a contiguous reservation: capacity · bytes per position */
    const int *table;   /* block table (NULL without a pool) */
    int n_table;
    int p0;             /* first position of this step's rows */
    bool appended;      /* this step's append has run: its new blocks are "taken this step" */
    char step[32];      /* its own step (Ctx.stepped), e.g. "chunk 2/3" */
} SeqInfo;

typedef struct {
    const App *a;
    Canvas *c;
    Rect in;
    const PagedPool *pool;
    int n;                        /* sequences */
    SeqInfo s[CLI_MAX_PROMPTS];
    uint64_t bpp;                 /* bytes per position, K and V of every layer */
    uint64_t tot_res, tot_used, tot_contig;
    uint64_t tot_seq_used;    /* Σ of the sequences' own used bytes: what contiguous caches, which
                                 share nothing, would hold (> tot_used when blocks are shared) */
    int tot_blocks;
    bool stepped;                 /* a batch with chunks or drafts: each sequence its own step */
    /* what the paged drawing put on screen, for the legend: it explains
     * exactly these (pool.c sets them before pool_legend_draw) */
    int grid_rows;                /* grid rows drawn, from block 0 */
    int grid_per_row;             /* blocks per grid row */
    int seq_rows;                 /* table rows drawn, from sequence A */
    int entries;                  /* block table entries per row drawn (0 = no Ln columns) */
} Ctx;

enum { C_SEQ, C_STEP, C_T, C_BLK, C_TAB, C_RES, C_USED, C_WASTE, C_CONTIG, C_CWASTE, N_COLS };

typedef struct {
    int w[N_COLS];
    int x[N_COLS];
    int ew;         /* columns per table entry */
    int entries;    /* table entries that fit */
    int promptw;    /* columns of prompt text after the letter (0 = letter only) */
    int rows;       /* sequences' rows drawn under the header, from A */
    bool paged;
} Cols;

/* Decimal digits of v (>= 0). */
int pool_digits(long v);
/* The letter of sequence s: A for the first --prompt. */
char pool_letter(int s);
/* Whether physical block v was taken by this step's append. */
bool pool_taken_now(const Ctx *x, const PagedBlockView *v);
/* The label of the totals row. */
const char *pool_total_label(const Ctx *x);
/* Columns for the first rows of x's sequences in x->in's width: the block
 * table first (with table, and only as many Ln columns as a table drawn
 * has entries), then as much of the prompts as fits. Without rows (only
 * the totals row under the header) no column that only a sequence's row
 * fills: step, t, Ln. A column that does not fit whole is left out. */
Cols pool_plan_cols(const Ctx *x, int rows, bool table);
/* The first of the candidate texts that fits in w columns (the last one,
 * cut, otherwise). */
const char *pool_fit(const char *const *cand, int n, int w);
/* A shared block's reference count in one column: a superscript digit
 * ("A4³": three tables point at it), a plain one in ASCII, '*' past 9. */
int32_t pool_refs_glyph(const Canvas *c, int refs);
/* Whether the legend's entries take two lines: no wording with the
 * table's entries too fits w columns of the bottom border, counting every
 * mark the pool could show (so the layout does not change from step to
 * step; pool_legend.c). */
bool pool_legend_split(const Ctx *x, int w);
/* The legend on the bottom border of the panel's rect r: an entry for each
 * kind of mark drawn (x->grid_rows, x->seq_rows, x->entries), none for a
 * mark not on screen; with split only the grid's (pool_legend.c). */
void pool_legend_draw(const Ctx *x, Rect r, bool split);
/* With split: the table's entries, a line at y under the table. */
void pool_legend_draw_key(const Ctx *x, int y);
/* The header, sequence s's row and the totals row, at line y. */
void pool_draw_head(const Ctx *x, const Cols *k, int y);
void pool_draw_seq(const Ctx *x, const Cols *k, int s, int y);
void pool_draw_totals(const Ctx *x, const Cols *k, int y);

#endif
