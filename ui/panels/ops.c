/* panel_ops: per-category MACs of both modes, measured beside the closed form.
 *
 * Measured = the engines' counters. Predicted = formulas_step of the WHOLE
 * step, never a partial guess: mid-step a value is shown against what the
 * full step will cost and marked "…", never ✓. A measured value above its
 * prediction is already wrong, so it gets ✗ at once.
 *
 * What is shown is a list of Series (cache step, its prediction, ...). A tall
 * box lays them out as columns with one row per category; a short one
 * transposes them (columns = categories, one mark per row). Either way the
 * Grid is then fitted to the width: numbers go 4-char → short → exact and
 * optional columns come and go as room allows, so one path serves 54 to 200
 * columns.
 */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include "sim/formulas.h"

#include <stdio.h>
#include <string.h>

enum { R_TOTAL = CAT_COUNT, R_MASKED, N_VALS };   /* rows after the six categories */

typedef struct { uint64_t v[N_VALS]; } Vals;
typedef enum { MARK_NONE, MARK_WAIT, MARK_OK, MARK_BAD } Mark;

typedef struct { Vals meas, pred; Mark mark[N_VALS]; } Measure;

typedef struct {           /* one engine at the step on screen */
    int k, n;
    bool started, complete;
    Measure step, cum;
} Side;

static void vals_from(const OpCounts *c, Vals *v)
{
    for (int i = 0; i < CAT_COUNT; i++) v->v[i] = c->mac[i];
    v->v[R_TOTAL] = counts_total(c);
    v->v[R_MASKED] = c->masked;
}

/* Complete: equal or wrong. Running: "…", unless it already went past the prediction. */
static Mark judge(bool complete, uint64_t m, uint64_t p)
{
    return complete ? (m == p ? MARK_OK : MARK_BAD) : m > p ? MARK_BAD : MARK_WAIT;
}

static void side_measure(const Engine *e, Side *s)
{
    memset(s, 0, sizeof *s);
    s->started = e->pos > 0;
    s->k = s->started ? (int)((e->pos - 1) / e->ops_per_step) : 0;
    s->complete = s->started && engine_at_step_end(e);
    s->n = formulas_rows(e->mode, e->L, s->k);
    OpCounts m = {0}, p, f, cum_p = {0}, cum_m = {0};
    const OpCounts *d = engine_step_counts(e, s->k);
    if (s->complete && d) m = *d;
    else if (s->started) m = e->step_counts;
    if (s->started) cum_m = e->cum;
    formulas_step(&e->cfg, e->mode, e->L, s->k, &p);
    for (int j = 0; j <= s->k; j++) {      /* Σ closed forms of steps 0..k, this one whole */
        formulas_step(&e->cfg, e->mode, e->L, j, &f);
        counts_add(&cum_p, &f);
    }
    vals_from(&m, &s->step.meas);
    vals_from(&p, &s->step.pred);
    vals_from(&cum_m, &s->cum.meas);
    vals_from(&cum_p, &s->cum.pred);
    for (int i = 0; i < N_VALS; i++) {
        s->step.mark[i] = judge(s->complete, s->step.meas.v[i], s->step.pred.v[i]);
        s->cum.mark[i] = judge(s->complete, s->cum.meas.v[i], s->cum.pred.v[i]);
    }
}

/* The counters the operation shown added to (and the total with them): the
 * eye goes where the numbers moved. Nothing moved at a step's start or end
 * for operations that count nothing. */
static void moved_by(const Engine *e, const Side *s, bool moved[N_VALS])
{
    memset(moved, 0, sizeof(bool) * N_VALS);
    const OpRef cur = engine_current_op(e);
    int cat = -1;
    switch (cur.kind) {
    case OP_QKV: cat = CAT_QKV; break;
    case OP_SCORES: cat = CAT_SCORES; break;
    case OP_MASK: cat = R_MASKED; break;
    case OP_VALUES: cat = CAT_VALUES; break;
    case OP_OUT_PROJ: cat = CAT_OUT_PROJ; break;
    case OP_FFN: cat = CAT_FFN; break;
    case OP_LOGITS: cat = CAT_LM_HEAD; break;
    default: return;
    }
    if (s->step.meas.v[cat] == 0) return;   /* e.g. a decode step's mask discards nothing */
    moved[cat] = true;
    if (cat != R_MASKED) moved[R_TOTAL] = true;
}

/* ---- series and the grid ------------------------------------------------- */

typedef struct {
    const char *name[3];   /* row label in a short box (short, long); column head when tall */
    int style;
    const Vals *v, *den;   /* den: a ratio v / den */
    const Mark *mark;      /* prediction series: ✓ ✗ … per category */
    int mate, group, optional;
    const bool *moved;     /* measured series: the categories the last operation added to */
} Series;

#define GC 10
#define GR 10
typedef struct { uint64_t v, den; bool ratio; Mark mark; int style; } Cell;   /* ratio: v / den */

typedef struct {
    int nc, nr;
    const char *corner, *head[GC], *label[GR][2];
    int group[GC], optional[GC], mate[GC], label_style[GR];
    Cell cell[GR][GC];
    bool row_marks;        /* short box: one mark per row */
    Mark rmark[GR];
    const char *gtitle[3][3];   /* per group: long, shorter, shortest (NULL: none) */
    /* fitted */
    int level[GC], lw, w[GC], x[GC], pad;  /* level: 0 fmt_count, 1 fmt_short, 2 fmt_tiny (one for all) */
    bool on[GC], long_labels;
} Grid;

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

static const char *ratio_text(const Canvas *c, uint64_t num, uint64_t den, char buf[32])
{
    if (den == 0) return "\u2013";
    snprintf(buf, 32, "%.2f%s", (double)num / (double)den, c->ascii ? "x" : "\u00d7");
    return buf;
}

static const char *cell_text(const Canvas *c, const Cell *cl, int level, char buf[32])
{
    if (cl->ratio) return ratio_text(c, cl->v, cl->den, buf);
    return level == 0 ? fmt_count(cl->v, buf) : level == 1 ? fmt_short(cl->v, buf)
                                                           : fmt_tiny(cl->v, buf);
}

/* A measured column borrows its prediction's mark while that one is hidden. */
static Mark shown_mark(const Grid *g, int i, int j)
{
    const int m = g->mate[j];
    if (g->cell[i][j].mark == MARK_NONE && m >= 0 && !g->on[m]) return g->cell[i][m].mark;
    return g->cell[i][j].mark;
}

static bool col_marked(const Grid *g, int j)
{
    for (int i = 0; i < g->nr; i++)
        if (shown_mark(g, i, j) != MARK_NONE) return true;
    return false;
}

static int grid_width(const Canvas *c, Grid *g)
{
    char buf[32];
    int total = canvas_text_width(g->corner), last = -1;
    for (int i = 0; i < g->nr; i++) {
        int tw = canvas_text_width(g->label[i][g->long_labels]);
        if (tw > total) total = tw;
    }
    g->lw = total += g->row_marks ? 2 : 0;   /* a row's mark sits right after its label */
    for (int j = 0; j < g->nc; j++) {
        if (!g->on[j]) continue;
        int w = 0, hw = canvas_text_width(g->head[j]);
        for (int i = 0; i < g->nr; i++) {
            int tw = canvas_text_width(cell_text(c, &g->cell[i][j], g->level[j], buf));
            if (tw > w) w = tw;
        }
        w += col_marked(g, j) ? 2 : 0;
        g->w[j] = w > hw ? w : hw;
        total += (last >= 0 && g->group[last] != g->group[j] ? 2 : 1) + g->pad;
        g->x[j] = total;   /* from the left edge */
        total += g->w[j];
        last = j;
    }
    return total;
}

/* One number format for the whole table (exact, else short, else tiny:
 * never "14k" beside "61.0k"): in a short box the finest at which every
 * column fits, short at the coarsest; else the finest whose required
 * columns fit iw;
 * then optional columns in their order (one order number comes and goes
 * together), then long labels, then spare room spread over the gaps. */
static void grid_fit(const Canvas *c, Grid *g, int iw)
{
    int lv = 0;
    /* a short box keeps every column (×QKᵀ too) when short numbers allow */
    for (lv = 0; g->row_marks && lv < 2; lv++) {
        for (int j = 0; j < g->nc; j++) g->level[j] = lv, g->on[j] = true;
        if (grid_width(c, g) <= iw) break;
    }
    if (!g->row_marks || lv == 2)
        for (lv = 0;; lv++) {
            for (int j = 0; j < g->nc; j++) {
                g->level[j] = lv;
                g->on[j] = !g->optional[j];
            }
            if (lv == 2 || grid_width(c, g) <= iw) break;
        }
    for (int p = 1; p < GC; p++) {
        for (int j = 0; j < g->nc; j++)
            if (g->optional[j] == p) g->on[j] = true;
        if (grid_width(c, g) > iw)
            for (int j = 0; j < g->nc; j++) g->on[j] &= g->optional[j] != p;
    }
    g->long_labels = true;
    if (grid_width(c, g) > iw) g->long_labels = false;
    while (g->pad < 3 && grid_width(c, g) < iw) g->pad++;
    if (grid_width(c, g) > iw && g->pad > 0) g->pad--;
    grid_width(c, g);
}

static void put_mark(Canvas *c, int x, int y, Mark m)
{
    static const int glyph[] = {0, GLYPH_ELLIPSIS, GLYPH_CHECK, GLYPH_CROSS};
    static const int style[] = {0, STYLE_DIM, STYLE_OK, STYLE_BAD};
    if (m != MARK_NONE) canvas_put(c, x, y, canvas_glyph(c, (CanvasGlyph)glyph[m]), style[m]);
}

/* Group titles over their columns, between dim rules when there is room.
 * A title is drawn whole or not at all: a cut "n=1" for n=11 is a wrong
 * number on screen. */
static void grid_groups(Canvas *c, const Grid *g, int x0, int y)
{
    for (int gi = 0; gi < 3; gi++) {
        int a = -1, b = -1;
        for (int j = 0; j < g->nc; j++)
            if (g->on[j] && g->group[j] == gi) {
                if (a < 0) a = x0 + g->x[j];
                b = x0 + g->x[j] + g->w[j];
            }
        if (a < 0) continue;
        const int span = b - a;
        const char *t = NULL;
        for (int k = 0; k < 3 && !t; k++)
            if (g->gtitle[gi][k] && canvas_text_width(g->gtitle[gi][k]) <= span) t = g->gtitle[gi][k];
        if (!t) continue;
        const int tw = canvas_text_width(t);
        if (tw + 6 <= span) {
            canvas_hline(c, a, y, span, STYLE_DIM);
            canvas_textf(c, a + (span - tw - 2) / 2, y, span, STYLE_TITLE, " %s ", t);
        } else {
            canvas_text(c, a + (span - tw) / 2, y, span, STYLE_TITLE, t);
        }
    }
}

static void grid_draw(Canvas *c, const Grid *g, int x0, int y0, int rows)
{
    char buf[32];
    if (rows <= 0) return;
    canvas_text(c, x0, y0, g->lw, STYLE_TITLE, g->corner);
    for (int j = 0; j < g->nc; j++)
        if (g->on[j])
            canvas_text(c, x0 + g->x[j] + g->w[j] - canvas_text_width(g->head[j]), y0, -1, STYLE_TITLE,
                        g->head[j]);
    for (int i = 0; i < g->nr && i + 1 < rows; i++) {
        const int y = y0 + 1 + i;
        canvas_text(c, x0, y, g->lw, g->label_style[i], g->label[i][g->long_labels]);
        if (g->row_marks) put_mark(c, x0 + g->lw - 1, y, g->rmark[i]);
        for (int j = 0; j < g->nc; j++) {
            if (!g->on[j]) continue;
            const bool marked = col_marked(g, j);
            const char *s = cell_text(c, &g->cell[i][j], g->level[j], buf);
            const int right = x0 + g->x[j] + g->w[j] - (marked ? 2 : 0);
            canvas_text(c, right - canvas_text_width(s), y, -1, g->cell[i][j].style, s);
            if (marked) put_mark(c, right + 1, y, shown_mark(g, i, j));
        }
    }
}

/* ---- from series to a grid --------------------------------------------------- */

static const char *cat_label(const App *a, int i, bool lng)
{
    static const char *en[N_VALS][2] = {
        {"qkv", "qkv proj"}, {"QK\u1d40", "QK\u1d40 scores"}, {"\u00b7V", "\u00b7V values"},
        {"out", "out proj"}, {"FFN", "FFN"}, {"head", "lm head"}, {"total", "total"},
        {"\u00d7QK\u1d40", "QK\u1d40 on \u00d7"}};
    static const char *zh[N_VALS][2] = {
        {"qkv", "qkv 投影"}, {"QK\u1d40", "QK\u1d40 得分"}, {"\u00b7V", "\u00b7V 加权"},
        {"输出", "输出投影"}, {"FFN", "前馈 FFN"}, {"头", "输出头"}, {"合计", "合计"},
        {"\u00d7QK\u1d40", "×格 QK\u1d40"}};
    return a->opt.lang_zh ? zh[i][lng] : en[i][lng];
}

/* One mark for a whole row: ✗ if any is wrong, … if any is pending. */
static Mark all_marks(const Mark *m)
{
    Mark r = MARK_OK;
    for (int j = 0; j < N_VALS; j++) {
        if (m[j] == MARK_BAD) return MARK_BAD;
        if (m[j] == MARK_WAIT) r = MARK_WAIT;
    }
    return r;
}

/* Tall: series = columns, categories = rows. Short: only the series listed
 * in rows[] (nrows of them), as rows; categories = columns. */
static void grid_build(const App *a, Grid *g, const Series *s, int ns, const int *rows, int nrows)
{
    memset(g, 0, sizeof *g);
    const bool tall = rows == NULL;
    g->nc = tall ? ns : N_VALS;
    g->nr = tall ? N_VALS : nrows;
    g->row_marks = !tall;
    for (int j = 0; j < GC; j++) g->mate[j] = tall && j < ns ? s[j].mate : -1;
    for (int r = 0; r < g->nr; r++)
        for (int j = 0; j < g->nc; j++) {
            const Series *se = &s[tall ? j : rows[r]];
            const Mark *mk = se->mark ? se->mark : se->mate >= 0 ? s[se->mate].mark : NULL;
            const int i = tall ? r : j;   /* the category */
            const int st = i == R_TOTAL ? STYLE_TITLE : i == R_MASKED ? STYLE_DIM : STYLE_NORMAL;
            Cell *cl = &g->cell[r][j];
            *cl = (Cell){se->v->v[i], se->den ? se->den->v[i] : 0, se->den != NULL,
                         tall && se->mark ? se->mark[i] : MARK_NONE,
                         se->mark ? STYLE_DIM : tall ? st : STYLE_NORMAL};
            if (se->moved && se->moved[i]) cl->style = STYLE_CHANGED;         /* what just moved */
            if (!se->mark && mk && mk[i] == MARK_BAD) cl->style = STYLE_BAD;   /* the wrong number */
            g->head[j] = tall ? (se->name[2] ? se->name[2] : se->name[0]) : cat_label(a, j, false);
            g->group[j] = tall ? se->group : 0;
            /* a short box gives up the ×QKᵀ column before it rounds harder */
            g->optional[j] = tall ? se->optional : j == R_MASKED ? 1 : 0;
            g->label[r][0] = tall ? cat_label(a, r, false) : se->name[0];
            g->label[r][1] = tall ? cat_label(a, r, true) : se->name[1];
            g->label_style[r] = tall ? st : se->style;
            g->rmark[r] = !tall && mk ? all_marks(mk) : MARK_NONE;
        }
}

/* ---- the panel -------------------------------------------------------------- */

/* One line under the table: what the marks mean right now. */
static void status_line(const App *a, Canvas *c, Rect in, const Side *s, int ns, int checked)
{
    int bad = 0, y = in.y + in.h - 1;
    bool wait = false, started = true;
    for (int i = 0; i < ns; i++) {
        for (int k = 0; k < N_VALS; k++)
            bad += (s[i].step.mark[k] == MARK_BAD) + (ns == 2 && s[i].cum.mark[k] == MARK_BAD);
        wait |= !s[i].complete;
        started &= s[i].started;
    }
    if (bad) {
        canvas_put(c, in.x, y, canvas_glyph(c, GLYPH_CROSS), STYLE_BAD);
        canvas_textf(c, in.x + 2, y, in.w - 2, STYLE_BAD,
                     TR(a, "%d counters differ from the closed form!", "%d 个计数与闭式公式不符！"), bad);
        return;
    }
    char ok[128];
    snprintf(ok, sizeof ok, TR(a, "all %d measured counters equal the closed forms (spec \u00a74)",
                               "全部 %d 个实测计数等于闭式公式（规范 §4）"), checked);
    const char *msg = !started ? TR(a, "nothing run yet: pred = what step 0 will cost",
                                    "尚未运行：预测 = 第 0 步的开销")
                    : wait ? TR(a, "step running: counts so far vs the whole step (\u2026 until it ends)",
                                "本步进行中：已计数 vs 整步预测（结束前显示 …）") : ok;
    canvas_text(c, in.x, y, in.w, started && !wait ? STYLE_OK : STYLE_DIM, msg);
}

static void draw_table(const App *a, Canvas *c, Rect in, Grid *g, const Side *s, int ns, int checked)
{
    grid_fit(c, g, in.w);
    int y = in.y, rows = in.h;
    if (!g->row_marks && in.h >= 11) {   /* room for the group titles */
        grid_groups(c, g, in.x, y++);
        rows--;
    }
    const bool status = rows >= g->nr + 2;
    grid_draw(c, g, in.x, y, status ? g->nr + 1 : rows);
    if (status) status_line(a, c, in, s, ns, checked);
}

/* Text on the bottom border: the long form when it fits. */
static void border_note(Canvas *c, Rect r, const char *lng, const char *shrt)
{
    const int room = r.w - 4;
    if (r.h < 3 || room < 4) return;
    canvas_textf(c, r.x + 2, r.y + r.h - 1, room, STYLE_TITLE, " %s ",
                 canvas_text_width(lng) + 2 <= room ? lng : shrt);
}

/* Both modes; fills the border note (lng, or shrt when narrow). */
static void draw_pair(const App *a, Canvas *c, Rect in, bool tall, char lng[128], char shrt[96])
{
    Side s[2];
    Grid g;
    char t[4][96], corner[32], b1[32], b2[32];
    side_measure(&a->eng[MODE_CACHE], &s[0]);
    side_measure(&a->eng[MODE_RECOMPUTE], &s[1]);
    const Side *C = &s[0], *R = &s[1];
    const char *pred = TR(a, "pred", "预测");
    /* {short label, long label, tall head}, style, values, ratio divisor, marks, mate, group, order */
    bool mv[2][N_VALS];
    moved_by(&a->eng[MODE_CACHE], C, mv[0]);
    moved_by(&a->eng[MODE_RECOMPUTE], R, mv[1]);
    Series se[10] = {
        {{TR(a, "cache", "缓存"), TR(a, "cache step", "缓存 本步")}, STYLE_REUSED, &C->step.meas, 0, 0, 1, 0, 0, NULL},
        {{pred}, STYLE_DIM, &C->step.pred, 0, C->step.mark, 0, 0, 0, NULL},
        {{TR(a, "recomp", "重算"), TR(a, "recomp step", "重算 本步")}, STYLE_REDONE, &R->step.meas, 0, 0, 3, 0, 0, NULL},
        {{pred}, STYLE_DIM, &R->step.pred, 0, R->step.mark, 2, 0, 0, NULL},
        {{TR(a, "cache \u03a3", "缓存Σ"), TR(a, "cache \u03a3", "缓存 累计"), TR(a, NULL, "缓存累计")},
         STYLE_REUSED, &C->cum.meas, 0, 0, 5, 1, 0, NULL},
        {{pred}, STYLE_DIM, &C->cum.pred, 0, C->cum.mark, 4, 1, 3, NULL},
        {{TR(a, "recomp \u03a3", "重算Σ"), TR(a, "recomp \u03a3", "重算 累计"), TR(a, NULL, "重算累计")},
         STYLE_REDONE, &R->cum.meas, 0, 0, 7, 1, 0, NULL},
        {{pred}, STYLE_DIM, &R->cum.pred, 0, R->cum.mark, 6, 1, 3, NULL},
        {{TR(a, "ratio", "比值")}, STYLE_NORMAL, &R->step.meas, &C->step.meas, 0, -1, 2, 1, NULL},
        {{TR(a, "\u03a3 ratio", "累计比值")}, STYLE_NORMAL, &R->cum.meas, &C->cum.meas, 0, -1, 2, 2, NULL},
    };
    se[0].moved = se[4].moved = mv[0];
    se[2].moved = se[6].moved = mv[1];
    static const int rows[4] = {0, 2, 4, 6};
    grid_build(a, &g, se, 10, tall ? NULL : rows, 4);
    snprintf(corner, sizeof corner, TR(a, "step %d", "第 %d 步"), s[0].k);
    g.corner = corner;
    snprintf(t[0], sizeof t[0], TR(a, "step %d: cache n=%d \u00b7 recompute n=%d",
             "第 %d 步：缓存 n=%d · 重算 n=%d"), s[0].k, s[0].n, s[1].n);
    snprintf(t[1], sizeof t[1], TR(a, "step %d: cache n=%d, recomp n=%d", "第 %d 步 n=%d | %d"),
             s[0].k, s[0].n, s[1].n);
    snprintf(t[2], sizeof t[2], TR(a, "steps 0\u2013%d", "第 0–%d 步累计"), s[0].k);
    snprintf(t[3], sizeof t[3], TR(a, "cache n=%d, recomp n=%d", "n=%d | %d"), s[0].n, s[1].n);
    g.gtitle[0][0] = t[0], g.gtitle[0][1] = t[1], g.gtitle[0][2] = t[3];
    g.gtitle[1][0] = s[0].k > 0 ? t[2] : TR(a, "cumulative", "累计"), g.gtitle[1][1] = "\u03a3";
    g.gtitle[2][0] = TR(a, "recomp\u00f7cache", "重算÷缓存");
    draw_table(a, c, in, &g, s, 2, 4 * N_VALS);

    const char *r1 = ratio_text(c, s[1].step.meas.v[R_TOTAL], s[0].step.meas.v[R_TOTAL], b1);
    const char *r2 = ratio_text(c, s[1].cum.meas.v[R_TOTAL], s[0].cum.meas.v[R_TOTAL], b2);
    const bool part = !(s[0].complete && s[1].complete);
    snprintf(lng, 128, TR(a, "recompute \u00f7 cache: this step%s %s, cumulative %s",
             "重算÷缓存：本步%s %s，累计 %s"), part ? TR(a, " so far", "（进行中）") : "", r1, r2);
    snprintf(shrt, 96, TR(a, "recomp\u00f7cache: step %s, \u03a3 %s", "重算÷缓存 本步 %s 累计 %s"),
             r1, r2);
}

/* Train: measured vs predicted, and what generating the same L tokens costs
 * (closed forms of a 1-token prompt run for L steps: the same positions and
 * about the same MACs with the cache, but L forward passes instead of 1). */
static void draw_train(const App *a, Canvas *c, Rect in, bool tall, char lng[128], char shrt[96])
{
    const Engine *e = &a->eng[MODE_TRAIN];
    Side s;
    OpCounts gc, gr;
    Vals vc, vr;
    Grid g;
    char t[2][64];
    side_measure(e, &s);
    if (!formulas_total(&e->cfg, MODE_CACHE, 1, e->L, &gc)) memset(&gc, 0, sizeof gc);
    if (!formulas_total(&e->cfg, MODE_RECOMPUTE, 1, e->L, &gr)) memset(&gr, 0, sizeof gr);
    vals_from(&gc, &vc);
    vals_from(&gr, &vr);
    bool mv[N_VALS];
    moved_by(e, &s, mv);
    Series se[5] = {
        {{TR(a, "train", "训练"), TR(a, "train", "训练")}, STYLE_NORMAL, &s.step.meas, 0, 0, 1, 0, 0, NULL},
        {{TR(a, "pred", "预测"), TR(a, "predicted", "预测")}, STYLE_DIM, &s.step.pred, 0, s.step.mark, 0, 0, 0, NULL},
        {{TR(a, "+cache", "+缓存"), TR(a, "gen+cache", "生成+缓存")}, STYLE_REUSED, &vc, 0, 0, -1, 1, 0, NULL},
        {{TR(a, "recomp", "重算"), TR(a, "gen recomp", "生成重算")}, STYLE_REDONE, &vr, 0, 0, -1, 1, 0, NULL},
        {{TR(a, "\u00f7train", "÷训练")}, STYLE_NORMAL, &vr, &s.step.pred, 0, -1, 2, 1, NULL},
    };
    se[0].moved = mv;
    static const int rows[4] = {0, 1, 2, 3};
    grid_build(a, &g, se, 5, tall ? NULL : rows, 4);
    if (!tall) g.rmark[1] = MARK_NONE;    /* the prediction row is what the mark compares to */
    g.corner = tall ? TR(a, "train", "训练") : "";
    snprintf(t[0], sizeof t[0], TR(a, "generate %d: %d passes", "生成 %d 个：%d 次前向"), e->L, e->L);
    snprintf(t[1], sizeof t[1], TR(a, "%d passes", "%d 次前向"), e->L);
    g.gtitle[0][0] = TR(a, "1 pass", "1 次前向");
    g.gtitle[1][0] = t[0], g.gtitle[1][1] = t[1];
    draw_table(a, c, in, &g, &s, 1, N_VALS);
    snprintf(lng, 128, TR(a, "training: 1 forward pass; generating %d tokens: %d passes",
             "训练：1 次前向；生成 %d 个词元：%d 次前向"), e->L, e->L);
    snprintf(shrt, 96, TR(a, "train: 1 pass \u00b7 generate %d tokens: %d passes",
             "训练 1 次前向 · 生成 %d 个：%d 次"), e->L, e->L);
}

void panel_ops_draw(const App *a, Canvas *c, Rect r)
{
    const Rect old = c->clip, box = rect_intersect(r, old);
    const bool train = a->view == VIEW_TRAIN;
    canvas_set_clip(c, box);
    canvas_box(c, r, STYLE_BORDER,
               train ? TR(a, "Operations (MACs): train vs generate", "运算（乘加次数）：训练 vs 生成")
                     : TR(a, "Operations (MACs)", "运算（乘加次数）"));
    const Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w > 0 && in.h > 0) {
        const bool tall = in.h >= 9;    /* header + 8 rows; ratios go on the border */
        char lng[128], shrt[96];
        canvas_set_clip(c, rect_intersect(in, old));
        if (train) draw_train(a, c, in, tall, lng, shrt);
        else draw_pair(a, c, in, tall, lng, shrt);
        canvas_set_clip(c, box);
        border_note(c, r, lng, shrt);
    }
    c->clip = old;
}
