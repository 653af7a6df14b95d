/* panel_ops: per-category MACs of both modes, measured beside the closed form.
 *
 * Measured = the engines' counters. Predicted = formulas_step of the WHOLE
 * step, never a partial guess: mid-step a value is shown against what the
 * full step will cost and marked "…", never ✓. A measured value above its
 * prediction is already wrong, so it gets ✗ at once.
 *
 * The step on screen is the cache's. Recompute's "step" is the recompute
 * steps that emit the tokens it emits (panel_recompute_steps, as run_seek,
 * the charts and this border pair them): one step of the same index
 * without a plan, 1 + accepted steps summed after a verify step of
 * --speculate, none beside an early chunk of --chunk ("–"). While they run
 * their sum so far stands against all their closed forms, marked "…".
 *
 * The cumulative numbers say which steps of each mode they sum (cache 0..k,
 * recompute 0 through its last paired step, or none yet): in the title over
 * their columns, else in their heads, else in a short box's Σ row labels
 * ("cache Σ0–2"); a tall box that has room for none of these is drawn
 * short (pair_table).
 *
 * What is shown is a list of Series (cache step, its prediction, ...). A tall
 * box lays them out as columns with one row per category; a short one
 * transposes them (columns = categories, one mark per row). Either way the
 * Grid is then fitted to the width: numbers go 4-char → short → exact and
 * optional columns come and go as room allows, so one path serves 54 to 200
 * columns.
 */
#include "ui/panels/ops.h"
#include "ui/style.h"

#include "sim/formulas.h"

#include <stdio.h>
#include <string.h>

static void vals_from(const OpCounts *c, Vals *v)
{
    for (int i = 0; i < CAT_COUNT; i++) v->v[i] = c->mac[i];
    v->v[R_ROPE] = c->rope;
    v->v[R_TOTAL] = counts_total(c);
    v->v[R_MASKED] = c->masked;
}

/* Complete: equal or wrong. Running: "…", unless it already went past the prediction. */
static TableMark judge(bool complete, uint64_t m, uint64_t p)
{
    return complete ? (m == p ? TABLE_MARK_OK : TABLE_MARK_BAD) : m > p ? TABLE_MARK_BAD : TABLE_MARK_WAIT;
}

static int step_rows(const Engine *e, int j)
{
    const StepPlan *pl = e->planned ? engine_plan(e, j) : NULL;
    return pl ? pl->n : formulas_rows(e->mode, e->L, j);
}

/* Measured: the finished steps of the span from their counters, the one
 * running from its counters so far (a span partly run is a running sum,
 * "…", never a finished measurement). Predicted: each step's closed form
 * whole. The cumulative prediction runs through the span's last step. */
static void side_measure(const Engine *e, int k, int j0, int j1, Side *s)
{
    memset(s, 0, sizeof *s);
    s->k = k, s->j0 = j0, s->j1 = j1;
    s->none = j1 <= j0;
    s->started = e->pos > 0;
    s->complete = s->started && !s->none && run_steps_done(e, e->pos) >= j1;
    s->n0 = step_rows(e, j0);
    s->n1 = s->none ? s->n0 : step_rows(e, j1 - 1);
    OpCounts m = {0}, p = {0}, f, cum_p = {0}, cum_m = {0};
    const int at = run_step_of(e, e->pos);
    for (int j = j0; j < j1; j++) {
        const OpCounts *d = engine_step_counts(e, j);
        if (d) counts_add(&m, d);
        else if (s->started && j == at) counts_add(&m, &e->step_counts);
        panel_step_prediction(e, j, &f);
        counts_add(&p, &f);
    }
    if (s->started) cum_m = e->cum;
    for (int j = 0; j < j1; j++) {      /* Σ closed forms through the span, each step whole */
        panel_step_prediction(e, j, &f);
        counts_add(&cum_p, &f);
    }
    vals_from(&m, &s->step.meas);
    vals_from(&p, &s->step.pred);
    vals_from(&cum_m, &s->cum.meas);
    vals_from(&cum_p, &s->cum.pred);
    for (int i = 0; i < N_VALS; i++) {
        s->step.mark[i] = s->none ? TABLE_MARK_NONE : judge(s->complete, s->step.meas.v[i], s->step.pred.v[i]);
        s->cum.mark[i] = s->none ? TABLE_MARK_NONE : judge(s->complete, s->cum.meas.v[i], s->cum.pred.v[i]);
    }
}

/* The engine's own step on screen. */
static void side_measure_own(const Engine *e, Side *s)
{
    const int k = run_step_of(e, e->pos);
    side_measure(e, k, k, k + 1, s);
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
    if (cat == CAT_QKV && s->step.meas.v[R_ROPE]) moved[R_ROPE] = true;   /* q and k turned right after */
    if (cat != R_MASKED) moved[R_TOTAL] = true;
}

/* ---- series and the grid ------------------------------------------------- */

/* One series of numbers: a column of a tall table, a row of a short one. */
typedef struct {
    const char *name[3];     /* label in a short box (short, long); column head when tall ([2], else [0]) */
    int style;
    const Vals *v, *den;     /* den: a ratio v / den */
    const TableMark *mark;   /* a prediction series: ✓ ✗ … per category */
    int mate;                /* index of its pair (measured ↔ predicted), or -1 */
    int group;               /* table group: 0 this step, 1 cumulative, 2 ratios */
    int optional;            /* table fitting order; 0 = always shown */
    const bool *moved;       /* a measured series: the categories the operation shown added to */
    bool blank;              /* nothing to show (no step pairs): every cell "–" */
} Series;

/* ---- from series to a grid --------------------------------------------------- */

static const char *cat_label(const App *a, int i, bool lng)
{
    static const char *en[N_VALS][2] = {
        {"qkv", "qkv proj"}, {"QK\u1d40", "QK\u1d40 scores"}, {"\u00b7V", "\u00b7V values"},
        {"out", "out proj"}, {"FFN", "FFN"}, {"head", "lm head"}, {"rope", "RoPE turns"}, {"total", "total"},
        {"\u00d7QK\u1d40", "QK\u1d40 on \u00d7"}};
    static const char *zh[N_VALS][2] = {
        {"qkv", "qkv 投影"}, {"QK\u1d40", "QK\u1d40 得分"}, {"\u00b7V", "\u00b7V 加权"},
        {"输出", "输出投影"}, {"FFN", "前馈 FFN"}, {"词表", "输出头"}, {"旋转", "RoPE 旋转"}, {"合计", "合计"},
        {"\u00d7QK\u1d40", "×格 QK\u1d40"}};
    return TR(a, en[i][lng], zh[i][lng]);
}

/* One mark for a whole row: ✗ if any is wrong, … if any is pending, none
 * when nothing was judged. */
static TableMark all_marks(const TableMark *m)
{
    TableMark r = TABLE_MARK_NONE;
    for (int j = 0; j < N_VALS; j++) {
        if (m[j] == TABLE_MARK_BAD) return TABLE_MARK_BAD;
        if (m[j] == TABLE_MARK_WAIT) r = TABLE_MARK_WAIT;
        if (m[j] == TABLE_MARK_OK && r == TABLE_MARK_NONE) r = TABLE_MARK_OK;
    }
    return r;
}

/* The categories shown, in order: the six, rope with --rope, total, ×QKᵀ. */
static int shown_cats(const App *a, int cats[N_VALS])
{
    int n = 0;
    for (int i = 0; i < N_VALS; i++)
        if (i != R_ROPE || app_engine(a)->cfg.rope) cats[n++] = i;
    return n;
}

/* Tall: series = columns, categories = rows. Short: only the series listed
 * in rows[] (nrows of them), as rows; categories = columns. */
static void table_build(const App *a, Table *t, const Series *s, int ns, const int *rows, int nrows)
{
    memset(t, 0, sizeof *t);
    const bool tall = rows == NULL;
    int cats[N_VALS];
    const int nc = shown_cats(a, cats);
    t->n_cols = tall ? ns : nc;
    t->n_rows = tall ? nc : nrows;
    t->row_marks = !tall;
    t->one_format = true;   /* never "14k" beside "61.0k" */
    for (int r = 0; r < t->n_rows; r++)
        for (int j = 0; j < t->n_cols; j++) {
            const Series *se = &s[tall ? j : rows[r]];
            const TableMark *mk = se->mark ? se->mark : se->mate >= 0 ? s[se->mate].mark : NULL;
            const int i = cats[tall ? r : j];   /* the category */
            const int st = i == R_TOTAL ? STYLE_TITLE : i == R_MASKED ? STYLE_DIM : STYLE_NORMAL;
            TableCell *cl = &t->cell[r][j];
            *cl = (TableCell){
                .value = se->blank ? 0 : se->v->v[i],
                .den = se->den && !se->blank ? se->den->v[i] : 0,
                .ratio = se->den != NULL || se->blank,   /* a ratio over 0 draws "–" */
                .mark = tall && se->mark ? se->mark[i] : TABLE_MARK_NONE,
                .style = se->mark ? STYLE_DIM : tall ? st : STYLE_NORMAL,
            };
            if (se->moved && se->moved[i]) cl->style = STYLE_CHANGED;               /* what just moved */
            if (!se->mark && mk && mk[i] == TABLE_MARK_BAD) cl->style = STYLE_BAD;   /* the wrong number */
            t->col[j] = (TableCol){
                .head = tall ? (se->name[2] ? se->name[2] : se->name[0]) : cat_label(a, i, false),
                .group = tall ? se->group : 0,
                /* a short box gives up the ×QKᵀ column before it rounds harder */
                .optional = tall ? se->optional : i == R_MASKED ? 1 : 0,
                .mate = tall && j < ns ? se->mate : -1,
                /* a step's own numbers, and a short box's total, never drop below short */
                .coarsest = (tall ? se->group == 0 : i == R_TOTAL) ? TABLE_SHORT : TABLE_TINY,
            };
            t->row[r] = (TableRow){
                .label = {tall ? cat_label(a, i, false) : se->name[0], tall ? cat_label(a, i, true) : se->name[1]},
                .style = tall ? st : se->style,
                .mark = !tall && mk ? all_marks(mk) : TABLE_MARK_NONE,
            };
        }
}

/* ---- the panel -------------------------------------------------------------- */

/* Whether a table's group titles get their line: a tall table in a box of
 * at least 11 rows. */
static bool titles_shown(const Table *t, Rect in)
{
    return !t->row_marks && in.h >= 11;
}

/* The ×QKᵀ row of a tall table or column of a short one (the last of
 * either, as shown_cats orders them) stays only with its entry on the top
 * border, keyed by the label drawn; with no room for any wording it goes. */
static void keep_masked(const App *a, const Canvas *c, Rect in, Table *t, OpsTop *top)
{
    const bool tall = !t->row_marks;
    const int j = t->n_cols - 1;
    const char *key = tall ? t->row[t->n_rows - 1].label[t->long_labels] : t->shown[j] ? t->col[j].head : NULL;
    if (!key || ops_masked_entry(a, key, top)) return;
    if (tall) t->n_rows--;
    else t->n_cols--;
    table_fit(c, t, in.w);
}

static void draw_table(const App *a, Canvas *c, Rect in, Table *t, const Side *s, int ns, int checked, OpsTop *top)
{
    table_fit(c, t, in.w);
    keep_masked(a, c, in, t, top);
    int y = in.y, rows = in.h;
    if (titles_shown(t, in)) {
        table_draw_groups(c, t, in.x, y++);
        rows--;
    }
    const bool status = rows >= t->n_rows + 2;
    table_draw(c, t, in.x, y, status ? t->n_rows + 1 : rows);
    if (status) ops_status_line(a, c, in, s, ns, checked);
}

/* What the columns cover beside cache step k. The step group: the labels
 * of recompute's step series (short, long) and the group's titles (long,
 * shorter, shortest); its own step k says nothing new, other steps are
 * named ("recomp 1–5"). The cumulative group: its titles, and the labels
 * of its two series [cache, recompute][short, long], each with the steps
 * it sums. */
typedef struct {
    char lab[2][40], t[3][112];
    char cum[3][112], clab[2][48];
} Names;

static void pair_names(const App *a, const Side *C, const Side *R, Names *nm)
{
    const int k = C->k, j0 = R->j0, last = R->j1 - 1;   /* the first and last recompute step */
    memset(nm, 0, sizeof *nm);
    snprintf(nm->lab[0], sizeof nm->lab[0], "%s", TR(a, "recomp", "重算"));
    snprintf(nm->lab[1], sizeof nm->lab[1], "%s", TR(a, "recomp step", "重算 本步"));
    if (R->none) {   /* a chunk before the last: recompute has no step yet */
        snprintf(nm->t[0], sizeof nm->t[0], TR(a, "step %d: cache n=%d \u00b7 recompute: none yet (no token)",
                 "第 %d 步：缓存 n=%d · 重算：尚无对应步（还没出词元）"), k, C->n0);
        snprintf(nm->t[1], sizeof nm->t[1], TR(a, "step %d: cache n=%d, recomp none", "第 %d 步 n=%d | 重算暂无"),
                 k, C->n0);
        snprintf(nm->t[2], sizeof nm->t[2], TR(a, "cache n=%d, recomp none", "n=%d | 暂无"), C->n0);
        return;
    }
    if (j0 == k && last == k) {   /* the same step of both modes */
        snprintf(nm->t[0], sizeof nm->t[0], TR(a, "step %d: cache n=%d \u00b7 recompute n=%d",
                 "第 %d 步：缓存 n=%d · 重算 n=%d"), k, C->n0, R->n0);
        snprintf(nm->t[1], sizeof nm->t[1], TR(a, "step %d: cache n=%d, recomp n=%d", "第 %d 步 n=%d | %d"),
                 k, C->n0, R->n0);
        snprintf(nm->t[2], sizeof nm->t[2], TR(a, "cache n=%d, recomp n=%d", "n=%d | %d"), C->n0, R->n0);
    } else if (j0 == last) {      /* one step, by another index (after --chunk's chunks) */
        snprintf(nm->lab[0], sizeof nm->lab[0], TR(a, "recomp #%d", "重算第%d步"), j0);
        snprintf(nm->lab[1], sizeof nm->lab[1], TR(a, "recomp step %d", "重算第 %d 步"), j0);
        snprintf(nm->t[0], sizeof nm->t[0], TR(a, "step %d: cache n=%d \u00b7 recompute step %d, n=%d",
                 "第 %d 步：缓存 n=%d · 重算第 %d 步 n=%d"), k, C->n0, j0, R->n0);
        snprintf(nm->t[1], sizeof nm->t[1], TR(a, "step %d: cache n=%d, recomp #%d", "第 %d 步 n=%d | 重算第 %d 步"),
                 k, C->n0, j0);
        snprintf(nm->t[2], sizeof nm->t[2], TR(a, "cache n=%d, recomp #%d", "n=%d | 第 %d 步"), C->n0, j0);
    } else {                    /* a verify step: every recompute step of its tokens */
        snprintf(nm->lab[0], sizeof nm->lab[0], TR(a, "recomp %d\u2013%d", "重算%d–%d"), j0, last);
        snprintf(nm->lab[1], sizeof nm->lab[1], TR(a, "recomp steps %d\u2013%d", "重算第 %d–%d 步"), j0, last);
        snprintf(nm->t[0], sizeof nm->t[0], TR(a, "step %d: cache n=%d \u00b7 recompute steps %d\u2013%d, n=%d\u2013%d",
                 "第 %d 步：缓存 n=%d · 重算第 %d–%d 步 n=%d–%d"), k, C->n0, j0, last, R->n0, R->n1);
        snprintf(nm->t[1], sizeof nm->t[1], TR(a, "step %d: cache n=%d, recomp steps %d\u2013%d",
                 "第 %d 步 n=%d | 重算第 %d–%d 步"), k, C->n0, j0, last);
        snprintf(nm->t[2], sizeof nm->t[2], TR(a, "cache n=%d, recomp %d\u2013%d", "n=%d | 第 %d–%d 步"), C->n0, j0, last);
    }
}

/* A cumulative range 0..last in words ("steps 0–4", "step 0") and compact
 * ("0–4", and one step as the step labels write it: "#0"). */
static void range_words(const App *a, int last, char *buf, size_t n)
{
    if (last > 0) snprintf(buf, n, TR(a, "steps 0\u2013%d", "第 0–%d 步"), last);
    else snprintf(buf, n, "%s", TR(a, "step 0", "第 0 步"));
}

static void range_compact(const App *a, int last, char *buf, size_t n)
{
    if (last > 0) snprintf(buf, n, "0\u2013%d", last);
    else snprintf(buf, n, "%s", TR(a, "#0", "第0步"));
}

/* Which steps each mode's cumulative numbers sum: the cache's 0..k, the
 * recompute's 0 through its last step paired with k, which is past k after
 * a verify step of --speculate, short of it after the chunks of --chunk,
 * and none before the last chunk. The titles say it once when the two
 * agree; every variant names both ranges, so a shorter one is never a
 * vaguer one. Without a title on screen the series' labels say it. */
static void cum_names(const App *a, const Side *C, const Side *R, Names *nm)
{
    const int k = C->k, last = R->j1 - 1;
    char cw[40], cc[24], rw[40], rc[24];
    range_words(a, k, cw, sizeof cw);
    range_compact(a, k, cc, sizeof cc);
    snprintf(nm->clab[0], sizeof nm->clab[0], TR(a, "cache \u03a3%s", "缓存Σ%s"), cc);
    if (R->none) {   /* before the last chunk: the recompute cells are "–" */
        snprintf(nm->cum[0], sizeof nm->cum[0], TR(a, "cumulative: cache %s \u00b7 recompute none yet",
                 "累计：缓存%s，重算尚无"), cw);
        snprintf(nm->cum[1], sizeof nm->cum[1], TR(a, "cache %s \u00b7 recomp none", "缓存%s · 重算暂无"), cc);
        snprintf(nm->clab[1], sizeof nm->clab[1], "%s", TR(a, "recomp \u03a3", "重算Σ"));
        return;
    }
    range_words(a, last, rw, sizeof rw);
    range_compact(a, last, rc, sizeof rc);
    snprintf(nm->clab[1], sizeof nm->clab[1], TR(a, "recomp \u03a3%s", "重算Σ%s"), rc);
    if (last == k) {
        snprintf(nm->cum[0], sizeof nm->cum[0], TR(a, "cumulative, both modes: %s", "缓存与重算均累计%s"), cw);
        snprintf(nm->cum[1], sizeof nm->cum[1], TR(a, "\u03a3 %s", "%s累计"), cw);
    } else {
        snprintf(nm->cum[0], sizeof nm->cum[0], TR(a, "cumulative: cache %s \u00b7 recompute %s",
                 "累计：缓存%s，重算%s"), cw, rw);
        if (a->opt.lang_zh) {
            snprintf(nm->cum[1], sizeof nm->cum[1], "缓存%s · 重算%s", cw, rw);
            snprintf(nm->cum[2], sizeof nm->cum[2], "缓存%s · 重算%s", cc, rc);
        } else {
            snprintf(nm->cum[1], sizeof nm->cum[1], "cache %s \u00b7 recomp %s", cc, rc);
        }
    }
}

/* Lays the pair's series out in g, the first of these that fits the width:
 * tall with the cumulative group's title (its columns made wide enough for
 * its shortest variant), tall with the steps in the cumulative heads (a box
 * too low for the title line, or too narrow for the title), short with the
 * steps in the Σ rows' labels. */
static void pair_table(const App *a, const Canvas *c, Rect in, bool tall, const Series *se, const Names *nm,
                       const char *corner, Table *g)
{
    static const int rows[4] = {0, 2, 4, 6};
    for (int pass = tall ? 0 : 2; pass < 3; pass++) {
        table_build(a, g, se, 10, pass < 2 ? NULL : rows, 4);
        g->corner = corner;
        g->group_title[0][0] = nm->t[0], g->group_title[0][1] = nm->t[1], g->group_title[0][2] = nm->t[2];
        for (int i = 0; i < 3; i++) g->group_title[1][i] = nm->cum[i][0] ? nm->cum[i] : NULL;
        g->group_title[2][0] = TR(a, "recomp\u00f7cache", "重算÷缓存");
        if (pass == 0 && titles_shown(g, in)) {
            for (int i = 0; i < 3; i++)
                if (nm->cum[i][0]) g->group_min[1] = canvas_text_width(nm->cum[i]);
            if (table_fit(c, g, in.w) <= in.w) return;
        } else if (pass == 1) {
            g->col[4].head = nm->clab[0], g->col[6].head = nm->clab[1];
            if (table_fit(c, g, in.w) <= in.w) return;
        }
    }
}

/* Both modes; fills the border note (lng, or shrt when narrow). Every
 * recompute number is of the recompute steps that emit the tokens the
 * cache step on screen emits, so each column compares like with like. */
static void draw_pair(const App *a, Canvas *c, Rect in, bool tall, OpsTop *top, char lng[128], char shrt[96])
{
    Side s[2];
    Table g;
    Names nm;
    char corner[32], b1[32], b2[32];
    const Engine *ce = app_engine_of(a, MODE_CACHE), *re = app_engine_of(a, MODE_RECOMPUTE);
    int j0, j1;
    side_measure_own(ce, &s[0]);
    panel_recompute_steps(ce, s[0].k, &j0, &j1);
    side_measure(re, s[0].k, j0, j1, &s[1]);
    const Side *C = &s[0], *R = &s[1];
    pair_names(a, C, R, &nm);
    cum_names(a, C, R, &nm);
    const char *pred = TR(a, "pred", "预测");
    bool mv[2][N_VALS];
    moved_by(ce, C, mv[0]);
    moved_by(re, R, mv[1]);
    Series se[10] = {
        {.name = {TR(a, "cache", "缓存"), TR(a, "cache step", "缓存 本步")}, .style = STYLE_REUSED,
         .v = &C->step.meas, .mate = 1, .group = 0},
        {.name = {pred}, .style = STYLE_NORMAL, .v = &C->step.pred, .mark = C->step.mark, .mate = 0, .group = 0},
        {.name = {nm.lab[0], nm.lab[1]}, .style = STYLE_REDONE, .v = &R->step.meas, .mate = 3, .group = 0},
        {.name = {pred}, .style = STYLE_NORMAL, .v = &R->step.pred, .mark = R->step.mark, .mate = 2, .group = 0},
        {.name = {nm.clab[0], nm.clab[0], TR(a, "cache \u03a3", "缓存累计")}, .style = STYLE_REUSED,
         .v = &C->cum.meas, .mate = 5, .group = 1},
        {.name = {pred}, .style = STYLE_NORMAL, .v = &C->cum.pred, .mark = C->cum.mark, .mate = 4, .group = 1,
         .optional = 3},
        {.name = {nm.clab[1], nm.clab[1], TR(a, "recomp \u03a3", "重算累计")}, .style = STYLE_REDONE,
         .v = &R->cum.meas, .mate = 7, .group = 1},
        {.name = {pred}, .style = STYLE_NORMAL, .v = &R->cum.pred, .mark = R->cum.mark, .mate = 6, .group = 1,
         .optional = 3},
        {.name = {TR(a, "ratio", "比值")}, .style = STYLE_NORMAL, .v = &R->step.meas, .den = &C->step.meas,
         .mate = -1, .group = 2, .optional = 1},
        {.name = {TR(a, "\u03a3 ratio", "累计比值")}, .style = STYLE_NORMAL, .v = &R->cum.meas, .den = &C->cum.meas,
         .mate = -1, .group = 2, .optional = 2},
    };
    se[0].moved = se[4].moved = mv[0];
    se[2].moved = se[6].moved = mv[1];
    /* no recompute step pairs with an early chunk: "–", not a 0 beside a 0 */
    se[2].blank = se[3].blank = se[6].blank = se[7].blank = R->none;
    /* a ratio needs both sides to have run: with --chunk or --speculate the
     * recompute engine can sit at a step it has not begun ("–", not 0.00×) */
    static const Vals none;
    const bool both = C->started && R->started && R->cum.meas.v[R_TOTAL] > 0;
    if (!both) se[8].den = se[9].den = &none;
    snprintf(corner, sizeof corner, TR(a, "step %d", "第 %d 步"), C->k);
    pair_table(a, c, in, tall, se, &nm, corner, &g);
    int cats[N_VALS];
    draw_table(a, c, in, &g, s, 2, 4 * shown_cats(a, cats), top);

    /* the border: the same pairs as the columns (a verify step against all
     * the recompute steps of its tokens) */
    const int toks = R->j1 - R->j0;
    const char *r1 = table_ratio_text(c, R->step.meas.v[R_TOTAL], both ? C->step.meas.v[R_TOTAL] : 0, b1);
    const char *r2 = table_ratio_text(c, R->cum.meas.v[R_TOTAL], both ? C->cum.meas.v[R_TOTAL] : 0, b2);
    const bool part = !(C->complete && R->complete);
    if (R->none) {   /* an early chunk emits no token: no recompute step to set against it */
        snprintf(lng, 128, "%s", TR(a, "recompute \u00f7 cache: \u2013 until the last chunk (recompute's step 0)",
                                    "重算÷缓存：–（重算的第 0 步对应最后一个分块）"));
        snprintf(shrt, 96, "%s", TR(a, "recomp\u00f7cache: \u2013 until the last chunk", "重算÷缓存：等最后一个分块"));
        return;
    }
    /* the step's words: running, and how many tokens it stands for */
    char tk[64] = "", tks[32] = "";
    if (toks > 1) {
        snprintf(tk, sizeof tk, TR(a, "%s (its %d tokens)", "（%s产出 %d 个词元）"),
                 part ? TR(a, " so far", "进行中，") : "", toks);
        snprintf(tks, sizeof tks, TR(a, " (%d tokens)", "（%d 个词元）"), toks);
    } else if (part) {
        snprintf(tk, sizeof tk, "%s", TR(a, " so far", "（进行中）"));
    }
    snprintf(lng, 128, TR(a, "recompute \u00f7 cache: this step%s %s, cumulative %s", "重算÷缓存：本步%s %s，累计 %s"),
             tk, r1, r2);
    /* short: "…" after a step ratio still running (the marks' sign), never a bare partial */
    snprintf(shrt, 96, TR(a, "recomp\u00f7cache: step%s %s%s, \u03a3 %s", "重算÷缓存 本步%s %s%s 累计 %s"),
             tks, r1, part && both && C->step.meas.v[R_TOTAL] ? "\u2026" : "", r2);
}

/* Train: measured vs predicted, and what generating the same L tokens costs
 * (closed forms of a 1-token prompt run for L steps: the same positions and
 * about the same MACs with the cache, but L forward passes instead of 1). */
static void draw_train(const App *a, Canvas *c, Rect in, bool tall, OpsTop *top, char lng[128], char shrt[96])
{
    const Engine *e = app_engine_of(a, MODE_TRAIN);
    Side s;
    OpCounts gc, gr;
    Vals vc, vr;
    Table g;
    char t[2][64];
    side_measure_own(e, &s);
    if (!formulas_total(&e->cfg, MODE_CACHE, 1, e->L, &gc)) memset(&gc, 0, sizeof gc);
    if (!formulas_total(&e->cfg, MODE_RECOMPUTE, 1, e->L, &gr)) memset(&gr, 0, sizeof gr);
    vals_from(&gc, &vc);
    vals_from(&gr, &vr);
    bool mv[N_VALS];
    moved_by(e, &s, mv);
    Series se[5] = {
        {.name = {TR(a, "train", "训练"), TR(a, "train", "训练")}, .style = STYLE_NORMAL, .v = &s.step.meas,
         .mate = 1, .group = 0},
        {.name = {TR(a, "pred", "预测"), TR(a, "predicted", "预测")}, .style = STYLE_NORMAL, .v = &s.step.pred,
         .mark = s.step.mark, .mate = 0, .group = 0},
        {.name = {TR(a, "+cache", "+缓存"), TR(a, "gen+cache", "生成+缓存")}, .style = STYLE_REUSED, .v = &vc,
         .mate = -1, .group = 1},
        {.name = {TR(a, "recomp", "重算"), TR(a, "gen recomp", "生成重算")}, .style = STYLE_REDONE, .v = &vr,
         .mate = -1, .group = 1},
        {.name = {TR(a, "\u00f7train", "÷训练")}, .style = STYLE_NORMAL, .v = &vr, .den = &s.step.pred, .mate = -1,
         .group = 2, .optional = 1},
    };
    se[0].moved = mv;
    static const int rows[4] = {0, 1, 2, 3};
    table_build(a, &g, se, 5, tall ? NULL : rows, 4);
    if (!tall) g.row[1].mark = TABLE_MARK_NONE;    /* the prediction row is what the mark compares to */
    g.corner = tall ? TR(a, "train", "训练") : "";
    snprintf(t[0], sizeof t[0], TR(a, "generate %d: %d passes", "生成 %d 个：%d 次前向"), e->L, e->L);
    snprintf(t[1], sizeof t[1], TR(a, "%d passes", "%d 次前向"), e->L);
    g.group_title[0][0] = TR(a, "1 pass", "1 次前向");
    g.group_title[1][0] = t[0], g.group_title[1][1] = t[1];
    int cats[N_VALS];
    draw_table(a, c, in, &g, &s, 1, shown_cats(a, cats), top);
    snprintf(lng, 128, TR(a, "training: 1 forward pass; generating %d tokens: %d passes",
             "训练：1 次前向；生成 %d 个词元：%d 次前向"), e->L, e->L);
    snprintf(shrt, 96, TR(a, "train: 1 pass \u00b7 generate %d tokens: %d passes",
             "训练 1 次前向 · 生成 %d 个：%d 次"), e->L, e->L);
}

void panel_ops_draw(const App *a, const Engine *shown, Canvas *c, Rect r)
{
    (void)shown;   /* reads the engines it needs from the App's run */
    const Rect old = c->clip, box = rect_intersect(r, old);
    const bool train = a->view == VIEW_TRAIN;
    char title[2][80];
    OpsTop top = {.box = r, .title = {title[0], train ? title[1] : NULL}};
    /* the train view may drop its title's "train vs generate" (the group
     * titles and the bottom border say it) to make room for the ×QKᵀ entry */
    snprintf(title[0], sizeof title[0], "%s%s",
             train ? TR(a, "Operations (MACs): train vs generate", "运算（乘加次数）：训练 vs 生成")
                   : TR(a, "Operations (MACs)", "运算（乘加次数）"),
             panel_seq_a_note(a));
    snprintf(title[1], sizeof title[1], "%s%s", TR(a, "Operations (MACs)", "运算（乘加次数）"), panel_seq_a_note(a));
    const Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    char lng[128] = "", shrt[96] = "";
    if (in.w > 0 && in.h > 0) {
        int cats[N_VALS];
        const bool tall = in.h >= 1 + shown_cats(a, cats);   /* header + a row each; ratios go on the border */
        canvas_set_clip(c, rect_intersect(in, old));
        if (train) draw_train(a, c, in, tall, &top, lng, shrt);
        else draw_pair(a, c, in, tall, &top, lng, shrt);
    }
    /* the box after the table: its top border holds what the table needs explained */
    canvas_set_clip(c, box);
    ops_top_draw(c, &top);
    if (lng[0]) ops_border_note(c, r, lng, shrt);
    c->clip = old;
}
