/* table: a self-fitting table of numbers. See table.h. */
#include "ui/panels/table.h"

#include "ui/panels/panels.h"
#include "ui/style.h"

#include <stdio.h>
#include <string.h>

/* At most 4 characters: 9999, 12k, 1.2M (the last resort of a narrow box). */
static const char *fmt_tiny(uint64_t v, char buf[32])
{
    static const char units[] = "kMGTPE";
    double x = (double)v;
    int u = -1;
    while (x >= 9999.5 && u < 5) {
        x /= 1000.0;
        u++;
    }
    if (u >= 0 && x >= 999.5) x /= 1000.0, u++;   /* 999.5k would print as "1000k" */
    if (u < 0) snprintf(buf, 32, "%llu", (unsigned long long)v);
    else snprintf(buf, 32, x < 9.95 ? "%.1f%c" : "%.0f%c", x, units[u]);
    return buf;
}

const char *table_ratio_text(const Canvas *c, uint64_t num, uint64_t den, char buf[32])
{
    if (den == 0) return "\u2013";
    snprintf(buf, 32, "%.2f%s", (double)num / (double)den, c->ascii ? "x" : "\u00d7");
    return buf;
}

static const char *cell_text(const Canvas *c, const TableCell *cl, TableFormat f, char buf[32])
{
    if (cl->ratio) return table_ratio_text(c, cl->value, cl->den, buf);
    return f == TABLE_EXACT ? fmt_count(cl->value, buf) : f == TABLE_SHORT ? fmt_short(cl->value, buf)
                                                                          : fmt_tiny(cl->value, buf);
}

/* A column without marks of its own borrows its mate's while the mate is hidden. */
static TableMark shown_mark(const Table *t, int i, int j)
{
    const int m = t->col[j].mate;
    if (t->cell[i][j].mark == TABLE_MARK_NONE && m >= 0 && !t->shown[m]) return t->cell[i][m].mark;
    return t->cell[i][j].mark;
}

static bool col_marked(const Table *t, int j)
{
    for (int i = 0; i < t->n_rows; i++)
        if (shown_mark(t, i, j) != TABLE_MARK_NONE) return true;
    return false;
}

/* Format of column j and its mate (a pair reads alike); with row marks every column alike. */
static void set_format(Table *t, int j, TableFormat f)
{
    for (int k = 0; k < t->n_cols; k++)
        if (k == j || k == t->col[j].mate || t->row_marks)
            t->format[k] = f < t->col[k].coarsest ? f : t->col[k].coarsest;
}

static int table_width(const Canvas *c, Table *t)
{
    char buf[32];
    int total = canvas_text_width(t->corner), last = -1;
    for (int i = 0; i < t->n_rows; i++) {
        int tw = canvas_text_width(t->row[i].label[t->long_labels]);
        if (tw > total) total = tw;
    }
    t->label_w = total += t->row_marks ? 2 : 0;   /* a row's mark sits right after its label */
    for (int j = 0; j < t->n_cols; j++) {
        if (!t->shown[j]) continue;
        int w = 0, hw = canvas_text_width(t->col[j].head);
        for (int i = 0; i < t->n_rows; i++) {
            int tw = canvas_text_width(cell_text(c, &t->cell[i][j], t->format[j], buf));
            if (tw > w) w = tw;
        }
        w += col_marked(t, j) ? 2 : 0;
        t->col_w[j] = w > hw ? w : hw;
    }
    /* a group narrower than its group_min: its columns share the difference */
    for (int gi = 0; gi < TABLE_MAX_GROUPS; gi++) {
        int span = 0, n = 0;
        for (int j = 0; j < t->n_cols; j++)
            if (t->shown[j] && t->col[j].group == gi) span += t->col_w[j] + (n++ ? 1 + t->pad : 0);
        for (int j = 0, more = t->group_min[gi] - span; j < t->n_cols && more > 0 && n > 0; j++)
            if (t->shown[j] && t->col[j].group == gi) {
                const int add = (more + n - 1) / n;
                t->col_w[j] += add;
                more -= add;
                n--;
            }
    }
    for (int j = 0; j < t->n_cols; j++) {
        if (!t->shown[j]) continue;
        total += (last >= 0 && t->col[last].group != t->col[j].group ? 2 : 1) + t->pad;
        t->col_x[j] = total;
        total += t->col_w[j];
        last = j;
    }
    return total;
}

/* Step 1 with one_format: every column in format f, the optional ones
 * shown or not; whether that fits. */
static bool fits_as_one(const Canvas *c, Table *t, int width, TableFormat f, bool optional_too)
{
    for (int j = 0; j < t->n_cols; j++) {
        t->format[j] = f;
        t->shown[j] = optional_too || !t->col[j].optional;
    }
    return table_width(c, t) <= width;
}

int table_fit(const Canvas *c, Table *t, int width)
{
    for (int j = 0; j < t->n_cols; j++) {
        t->format[j] = t->col[j].coarsest;
        t->shown[j] = !t->col[j].optional;
    }
    t->long_labels = false;
    t->pad = 0;
    if (t->one_format) {
        /* 1. one format: a short box keeps every column while short numbers
         * allow; else the most exact at which the required columns fit */
        bool done = false;
        for (int f = TABLE_EXACT; t->row_marks && f < TABLE_TINY && !done; f++)
            done = fits_as_one(c, t, width, (TableFormat)f, true);
        for (int f = TABLE_EXACT; f <= TABLE_TINY && !done; f++)
            done = fits_as_one(c, t, width, (TableFormat)f, false) || f == TABLE_TINY;
    } else {
        /* 1. required columns to short, then exact numbers, column by column */
        for (int f = TABLE_SHORT; f >= TABLE_EXACT; f--)
            for (int j = 0; j < t->n_cols; j++) {
                TableFormat before[TABLE_MAX_COLS];
                if (!t->shown[j] || (int)t->format[j] <= f) continue;
                memcpy(before, t->format, sizeof before);
                set_format(t, j, (TableFormat)f);
                if (table_width(c, t) > width) memcpy(t->format, before, sizeof before);
            }
    }
    /* 2. optional columns, one order at a time (an unpaired one starts
     * short, unless the table has one format) */
    for (int p = 1; p < TABLE_MAX_COLS; p++) {
        for (int j = 0; j < t->n_cols; j++)
            if (t->col[j].optional == p) {
                t->shown[j] = true;
                if (t->col[j].mate < 0 && !t->one_format) t->format[j] = TABLE_SHORT;
            }
        if (table_width(c, t) > width)
            for (int j = 0; j < t->n_cols; j++) t->shown[j] &= t->col[j].optional != p;
    }
    /* 3. long labels, 4. wider gaps */
    t->long_labels = true;
    if (table_width(c, t) > width) t->long_labels = false;
    while (t->pad < 3 && table_width(c, t) < width) t->pad++;
    if (table_width(c, t) > width && t->pad > 0) t->pad--;
    return table_width(c, t);
}

void table_put_mark(Canvas *c, int x, int y, TableMark m)
{
    static const int glyph[] = {0, GLYPH_ELLIPSIS, GLYPH_CHECK, GLYPH_CROSS};
    static const int style[] = {0, STYLE_DIM, STYLE_OK, STYLE_BAD};
    if (m != TABLE_MARK_NONE) canvas_put(c, x, y, canvas_glyph(c, (CanvasGlyph)glyph[m]), style[m]);
}

/* The columns group gi spans, [*a, *b) from the table's left edge; false
 * when none of them is shown. */
static bool group_span(const Table *t, int gi, int *a, int *b)
{
    *a = *b = -1;
    for (int j = 0; j < t->n_cols; j++)
        if (t->shown[j] && t->col[j].group == gi) {
            if (*a < 0) *a = t->col_x[j];
            *b = t->col_x[j] + t->col_w[j];
        }
    return *a >= 0;
}

/* The title drawn over group gi of a fitted table: the first of its
 * variants that fits whole, or NULL. */
static const char *group_title(const Table *t, int gi)
{
    int a, b;
    if (!group_span(t, gi, &a, &b)) return NULL;
    for (int k = 0; k < 3; k++)   /* whole or not at all */
        if (t->group_title[gi][k] && canvas_text_width(t->group_title[gi][k]) <= b - a) return t->group_title[gi][k];
    return NULL;
}

void table_draw_groups(Canvas *c, const Table *t, int x0, int y)
{
    for (int gi = 0; gi < TABLE_MAX_GROUPS; gi++) {
        int a, b;
        const char *title = group_title(t, gi);
        if (!title || !group_span(t, gi, &a, &b)) continue;
        const int span = b - a, tw = canvas_text_width(title);
        a += x0;
        if (tw + 6 <= span) {
            canvas_hline(c, a, y, span, STYLE_DIM);
            canvas_textf(c, a + (span - tw - 2) / 2, y, span, STYLE_TITLE, " %s ", title);
        } else {
            canvas_text(c, a + (span - tw) / 2, y, span, STYLE_TITLE, title);
        }
    }
}

void table_draw(Canvas *c, const Table *t, int x0, int y0, int rows)
{
    char buf[32];
    if (rows <= 0) return;
    canvas_text(c, x0, y0, t->label_w, STYLE_TITLE, t->corner);
    for (int j = 0; j < t->n_cols; j++)
        if (t->shown[j])
            canvas_text(c, x0 + t->col_x[j] + t->col_w[j] - canvas_text_width(t->col[j].head), y0, -1,
                        STYLE_TITLE, t->col[j].head);
    for (int i = 0; i < t->n_rows && i + 1 < rows; i++) {
        const int y = y0 + 1 + i;
        canvas_text(c, x0, y, t->label_w, t->row[i].style, t->row[i].label[t->long_labels]);
        if (t->row_marks) table_put_mark(c, x0 + t->label_w - 1, y, t->row[i].mark);
        for (int j = 0; j < t->n_cols; j++) {
            if (!t->shown[j]) continue;
            const bool marked = col_marked(t, j);
            const char *s = cell_text(c, &t->cell[i][j], t->format[j], buf);
            const int right = x0 + t->col_x[j] + t->col_w[j] - (marked ? 2 : 0);
            canvas_text(c, right - canvas_text_width(s), y, -1, t->cell[i][j].style, s);
            if (marked) table_put_mark(c, right + 1, y, shown_mark(t, i, j));
        }
    }
}
