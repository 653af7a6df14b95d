/* table: a table of numbers that fits itself to a width, for any panel.
 *
 * A panel fills a Table (columns, rows, one cell per row and column),
 * calls table_fit() with the width it has, then table_draw() (and
 * table_draw_groups() for titles over groups of columns). Fitting, in this
 * order, as long as the table stays within the width:
 *   1. numbers get more exact, column by column: 4 characters ("12k") →
 *      short ("12.3k") → exact ("12,345"), never looser than the column's
 *      `coarsest` format; a column and its mate move together;
 *   2. optional columns appear: every column of optional order 1, then 2,
 *      ... (a column of one order comes and goes with its order);
 *   3. rows get their long labels;
 *   4. spare room widens the gaps (up to 3 more columns each).
 * With one_format, step 1 instead picks ONE format for every column (never
 * "14k" beside "61.0k"; `coarsest` is not used): the most exact at which
 * the required columns fit (with row_marks, first the most exact short of
 * tiny at which every column, optional ones too, fits).
 * A group title is drawn whole or not at all (the first of its variants
 * that fits): a cut "n=1" for n=11 is a wrong number on screen. A group
 * whose title must be there gets group_min: every fitting step counts its
 * columns at least that wide.
 * Marks (✓ ✗ …) sit right of a cell's number, or, with row_marks, one
 * after each row's label. A column without marks of its own shows those of
 * its mate while the mate is hidden (a measured column borrows its
 * prediction's verdict).
 *
 * Example (two columns, the second shown only when there is room):
 *     Table t = {.n_cols = 2, .n_rows = 1, .corner = "step 0"};
 *     t.col[0] = (TableCol){.head = "cache", .mate = -1, .coarsest = TABLE_SHORT};
 *     t.col[1] = (TableCol){.head = "pred", .mate = -1, .optional = 1, .coarsest = TABLE_TINY};
 *     t.row[0] = (TableRow){.label = {"qkv", "qkv proj"}};
 *     t.cell[0][0] = (TableCell){.value = 1536};
 *     t.cell[0][1] = (TableCell){.value = 1536, .mark = TABLE_MARK_OK, .style = STYLE_DIM};
 *     table_fit(c, &t, in.w);
 *     table_draw(c, &t, in.x, in.y, in.h);
 */
#ifndef KVSIM_TABLE_H
#define KVSIM_TABLE_H

#include "ui/canvas.h"

#include <stdbool.h>
#include <stdint.h>

#define TABLE_MAX_COLS 10
#define TABLE_MAX_ROWS 10
#define TABLE_MAX_GROUPS 3

typedef enum { TABLE_MARK_NONE, TABLE_MARK_WAIT, TABLE_MARK_OK, TABLE_MARK_BAD } TableMark;

/* Number formats, most exact first (fmt_count, fmt_short, 4 characters). */
typedef enum { TABLE_EXACT, TABLE_SHORT, TABLE_TINY } TableFormat;

typedef struct {
    uint64_t value;
    uint64_t den;       /* with ratio: the cell shows value / den as "2.50×" */
    bool ratio;
    TableMark mark;     /* drawn right of the number */
    int style;          /* StyleRole of the number */
} TableCell;

typedef struct {
    const char *head;       /* heading, right-aligned over the numbers */
    int group;              /* 0 .. TABLE_MAX_GROUPS-1: titles span a group; groups get wider gaps */
    int optional;           /* 0: always shown; p > 0: shown in fitting step 2 with order p */
    int mate;               /* the paired column (same format, lends its marks), or -1 */
    TableFormat coarsest;   /* the loosest format this column may use */
} TableCol;

typedef struct {
    const char *label[2];   /* short, long (step 3) */
    int style;              /* StyleRole of the label */
    TableMark mark;         /* with row_marks: the row's mark, after its label */
} TableRow;

typedef struct {
    /* filled by the panel */
    int n_cols, n_rows;
    const char *corner;                          /* over the labels */
    TableCol col[TABLE_MAX_COLS];
    TableRow row[TABLE_MAX_ROWS];
    TableCell cell[TABLE_MAX_ROWS][TABLE_MAX_COLS];
    bool row_marks;                              /* one mark per row instead of per cell */
    bool one_format;                             /* one number format for the whole table */
    const char *group_title[TABLE_MAX_GROUPS][3];  /* long, shorter, shortest (NULL: none) */
    int group_min[TABLE_MAX_GROUPS];             /* 0, or the least width of a group's columns (from
                                                  * the first to the last shown, gaps included): room
                                                  * for a title that must be there; they widen evenly */
    /* set by table_fit */
    TableFormat format[TABLE_MAX_COLS];
    bool shown[TABLE_MAX_COLS];
    bool long_labels;
    int pad;                                     /* extra columns in every gap */
    int label_w;                                 /* width of the label column */
    int col_w[TABLE_MAX_COLS], col_x[TABLE_MAX_COLS];   /* from the table's left edge */
} Table;

/* Fit t to `width` columns (see above); sets the fitted fields. Returns
 * the width it takes: more than `width` when even the tightest fit is wider. */
int table_fit(const Canvas *c, Table *t, int width);
/* The heading line and at most rows - 1 rows, from (x, y). */
void table_draw(Canvas *c, const Table *t, int x, int y, int rows);
/* Group titles over their columns on line y, between dim rules when there
 * is room; a title that does not fit whole is left out. */
void table_draw_groups(Canvas *c, const Table *t, int x, int y);
/* "2.50×" (or "2.50x" in ASCII), "–" when den is 0. */
const char *table_ratio_text(const Canvas *c, uint64_t num, uint64_t den, char buf[32]);
/* A mark's glyph at (x, y). */
void table_put_mark(Canvas *c, int x, int y, TableMark m);

#endif
