/* panel_chart: cumulative MACs per step, cache vs recompute.
 *
 * Measured points (the engines' counters) run up to the current step; the
 * rest of the run is the closed form, drawn dim with hollow glyphs, so the
 * shape of the whole run (linear vs quadratic growth) shows from step 0.
 * Per step, the step in progress is still a prediction (hollow); the
 * legend gives the last finished step, never a partial one.
 * x is the cache engine's step; with --chunk or --speculate, where the
 * modes take different numbers of steps, recompute's point at x is its
 * steps that emit the same tokens (panel_recompute_steps, as run_seek and
 * the Operations panel pair them) and the axis says "cache step". The
 * bottom border names the hollow glyphs and the ┊ rule when the top line
 * has no room.
 * Series differ by glyph (● ▲ / C R), never by colour alone. Too small for
 * a plot, the panel draws two bars instead: measured so far, then ░ to the
 * predicted end of the run. In the train view: one training pass vs
 * generating the same tokens, with and without the cache.
 */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include "sim/formulas.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { S_CACHE, S_RECOMP, N_SERIES };

typedef struct {
    int G, cur;              /* steps; current step (-1 before the first operation) */
    bool cur_done;           /* the current step has finished */
    bool per_step;           /* each step's own MACs, not the running sums */
    bool planned;            /* --chunk / --speculate: x is the cache step, "cache step" on the axis */
    uint64_t meas_now[N_SERIES], pred_end[N_SERIES];
    bool has_now[N_SERIES];  /* meas_now holds a measured value: per step, a finished step's */
    uint64_t vmax, vmin;     /* range over everything drawn (vmin > 0) */
    bool log;
    double lo, hi;           /* log10 range of the y axis */
} Chart;

/* Running sums through step k: predicted (pacc) and measured (macc). */
typedef struct {
    uint64_t pacc[N_SERIES], macc[N_SERIES];
} Sums;

/* Values at x = k to plot: predicted (pred) and measured (meas; false
 * when not reached), cumulative or, per step, the step's own. x is the
 * cache engine's step; the recompute series there is the recompute steps
 * that emit the same tokens (panel_recompute_steps: with --chunk none for
 * an early chunk, live[s] false; with --speculate 1 + accepted, summed),
 * so both series and the Operations panel's pairing agree. Called with
 * k = 0, 1, ... in order: *sum carries the running sums. A span partly
 * run is "running": cumulative, its total so far (filled) and where it
 * will end (hollow); per step, only its prediction (hollow). */
static void step_values(const App *a, const Chart *ch, int k, Sums *sum, uint64_t pred[N_SERIES],
                        uint64_t meas[N_SERIES], bool live[N_SERIES], bool have[N_SERIES], bool running[N_SERIES])
{
    const Engine *c = app_engine_of(a, MODE_CACHE);
    for (int s = 0; s < N_SERIES; s++) {
        const Engine *e = s == S_CACHE ? c : app_engine_of(a, MODE_RECOMPUTE);
        int j0 = k, j1 = k + 1;
        if (s == S_RECOMP) panel_recompute_steps(c, k, &j0, &j1);
        live[s] = j1 > j0;
        have[s] = running[s] = false;
        pred[s] = meas[s] = 0;
        if (!live[s]) continue;
        uint64_t p = 0, m = 0;
        int done = 0;
        bool part = false;
        for (int j = j0; j < j1; j++) {
            OpCounts o;
            panel_step_prediction(e, j, &o);
            p += counts_total(&o);
            const OpCounts *d = engine_step_counts(e, j);
            if (d) {
                m += counts_total(d);
                done++;
            } else if (e->pos > 0 && run_step_of(e, e->pos) == j) {
                m += counts_total(&e->step_counts);   /* the step running now, so far */
                part = true;
            }
        }
        sum->pacc[s] += p;
        pred[s] = ch->per_step ? p : sum->pacc[s];
        if (done == j1 - j0) {
            sum->macc[s] += m;
            meas[s] = ch->per_step ? m : sum->macc[s];
            have[s] = true;
        } else if (done > 0 || part) {
            meas[s] = ch->per_step ? m : sum->macc[s] + m;
            have[s] = running[s] = !ch->per_step;
        }
    }
}

static void chart_scan(const App *a, Chart *ch, bool per_step)
{
    const Engine *e = app_engine_of(a, MODE_CACHE);
    memset(ch, 0, sizeof *ch);
    ch->per_step = per_step;
    const Engine *r = app_engine_of(a, MODE_RECOMPUTE);
    ch->G = e->n_steps;   /* x = the cache engine's step (step_values) */
    ch->planned = e->planned && r->n_steps > 0;
    ch->cur = e->pos > 0 ? run_step_of(e, e->pos) : -1;
    ch->cur_done = e->pos > 0 && engine_at_step_end(e);
    ch->log = a->log_scale;
    Sums sum = {{0}, {0}};
    uint64_t pred[N_SERIES] = {0}, meas[N_SERIES];
    ch->vmin = UINT64_MAX;
    bool live[N_SERIES];
    for (int k = 0; k < ch->G; k++) {
        bool have[N_SERIES], running[N_SERIES];
        step_values(a, ch, k, &sum, pred, meas, live, have, running);
        for (int s = 0; s < N_SERIES; s++) {
            if (!live[s]) continue;
            uint64_t v = pred[s];
            if (have[s] && meas[s] > v) v = meas[s];
            if (v > ch->vmax) ch->vmax = v;
            if (pred[s] > 0 && pred[s] < ch->vmin) ch->vmin = pred[s];
            if (have[s]) ch->meas_now[s] = meas[s], ch->has_now[s] = true;
        }
    }
    for (int s = 0; s < N_SERIES; s++) ch->pred_end[s] = pred[s];
    if (ch->vmax == 0) ch->vmax = 1;
    if (ch->vmin == UINT64_MAX || ch->vmin > ch->vmax) ch->vmin = 1;
    ch->hi = log10((double)ch->vmax);
    ch->lo = floor(log10((double)ch->vmin));
    if (ch->hi - ch->lo < 1.0) ch->lo = ch->hi - 1.0;
}

/* Height of v as a fraction of the axis, 0..1. */
static double yfrac(const Chart *ch, uint64_t v)
{
    if (v == 0) return 0.0;
    double f = ch->log ? (log10((double)v) - ch->lo) / (ch->hi - ch->lo)
                       : (double)v / (double)ch->vmax;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

static int32_t glyph(const Canvas *c, int series, bool measured)
{
    static const int32_t uni[2][2] = {{0x25CB, 0x25CF}, {0x25B3, 0x25B2}};   /* ○● △▲ */
    static const int32_t asc[2][2] = {{'c', 'C'}, {'r', 'R'}};
    return c->ascii ? asc[series][measured] : uni[series][measured];
}

static int series_style(int s, bool measured)
{
    return !measured ? STYLE_DIM : s == S_CACHE ? STYLE_REUSED : STYLE_REDONE;
}

/* A bar: measured part solid (eighths), then ░ up to the predicted end. */
static void bar(Canvas *c, int x, int y, int w, double fm, double fp, int style)
{
    if (w <= 0) return;
    int cells = (int)ceil(fm * w - 1e-9);
    if (fm > 0 && cells < 1) cells = 1;
    if (cells > 0) canvas_hbar(c, x, y, cells, fm * w / cells, style);
    int end = (int)lround(fp * w);
    for (int i = cells; i < end; i++)
        canvas_put(c, x + i, y, c->ascii ? '.' : 0x2591, STYLE_DIM);
}

static const char *ratio_text(const Canvas *c, uint64_t n, uint64_t d, char buf[32])
{
    if (d == 0) return "\u2013";
    snprintf(buf, 32, "%.2f%s", (double)n / (double)d, c->ascii ? "x" : "\u00d7");
    return buf;
}

/* Whether series s has a measured value to show: cumulative, from the
 * first operation on (the running total); per step, once a step finished
 * (the last finished step's MACs, never a step in progress). */
static bool shows_value(const Chart *ch, int s)
{
    return ch->cur >= 0 && (!ch->per_step || ch->has_now[s]);
}

/* ---- small: two bars ------------------------------------------------------- */

static void draw_bars(const App *a, Canvas *c, Rect in, const Chart *ch)
{
    char v[32], rb[32];
    const bool two_line = in.h >= 5, has = ch->cur >= 0;   /* else: glyph, bar, value on one line */
    int y = in.y;
    for (int s = 0; s < N_SERIES; s++) {
        const int st = series_style(s, true);
        const bool hs = shows_value(ch, s);
        fmt_short(hs ? ch->meas_now[s] : ch->pred_end[s], v);
        const int vw = canvas_text_width(v);
        canvas_put(c, in.x, y, glyph(c, s, true), st);
        if (two_line)
            canvas_text(c, in.x + 2, y, in.w - vw - 3, st,
                        s == S_CACHE ? TR(a, "cache", "缓存") : TR(a, "recompute", "重算"));
        canvas_text(c, in.x + in.w - vw, y, vw, hs ? STYLE_NORMAL : STYLE_DIM, v);
        if (two_line) y++;
        const int bx = two_line ? in.x : in.x + 2;
        bar(c, bx, y, two_line ? in.w : in.w - vw - 3, hs ? yfrac(ch, ch->meas_now[s]) : 0,
            yfrac(ch, ch->pred_end[s]), st);
        y++;
    }
    if (y >= in.y + in.h) return;
    if (!has) {   /* last line: where we are, and the ratio written with the glyphs: ▲/● 2.92× */
        canvas_textf(c, in.x, y, in.w, STYLE_DIM, TR(a, "%d steps ahead", "共 %d 步"), ch->G);
        return;
    }
    const int x = in.x + canvas_textf(c, in.x, y, in.w, STYLE_NORMAL,
                                      TR(a, "step %d/%d  ", "第 %d/%d 步 "), ch->cur, ch->G - 1);
    if (!shows_value(ch, S_CACHE) || !shows_value(ch, S_RECOMP)) return;
    canvas_put(c, x, y, glyph(c, S_RECOMP, true), series_style(S_RECOMP, true));
    canvas_put(c, x + 1, y, '/', STYLE_NORMAL);
    canvas_put(c, x + 2, y, glyph(c, S_CACHE, true), series_style(S_CACHE, true));
    canvas_textf(c, x + 3, y, in.x + in.w - x - 3, STYLE_TITLE, " %s",   /* the headline: bold */
                 /* "–" until both modes ran (with --chunk recompute waits for the last chunk) */
                 ratio_text(c, ch->meas_now[S_RECOMP],
                            ch->has_now[S_RECOMP] && ch->has_now[S_CACHE] ? ch->meas_now[S_CACHE] : 0, rb));
}

/* ---- large: a plot --------------------------------------------------------- */

static int col_of(const Chart *ch, int k, int px, int pw)
{
    return ch->G <= 1 ? px : px + (int)((long long)k * (pw - 1) / (ch->G - 1));
}

static int row_of(const Chart *ch, uint64_t v, int py, int ph)
{
    return py + ph - 1 - (int)lround(yfrac(ch, v) * (ph - 1));
}

static void y_labels(Canvas *c, const Chart *ch, int x, int w, int py, int ph)
{
    char buf[32];
    int used_top = -1;
    canvas_text(c, x + w - canvas_text_width(fmt_short(ch->vmax, buf)), py, w, STYLE_DIM, buf);
    if (!ch->log) {
        canvas_text(c, x + w - 1, py + ph - 1, 1, STYLE_DIM, "0");
        if (ph >= 5) {
            fmt_short(ch->vmax / 2, buf);
            canvas_text(c, x + w - canvas_text_width(buf), row_of(ch, ch->vmax / 2, py, ph), w,
                        STYLE_DIM, buf);
        }
        return;
    }
    used_top = py;
    for (int d = (int)ch->lo; d <= (int)floor(ch->hi); d++) {   /* one label per decade */
        uint64_t v = 1;
        for (int i = 0; i < d; i++) v *= 10;
        int y = row_of(ch, v, py, ph);
        if (y <= used_top + 1) continue;   /* not right under the top label */
        fmt_short(v, buf);
        canvas_text(c, x + w - canvas_text_width(buf), y, w, STYLE_DIM, buf);
    }
}

/* Draws the plot; true when its top line names the hollow glyphs. */
static bool draw_plot(const App *a, Canvas *c, Rect in, const Chart *ch)
{
    char buf[32], b2[32];
    const int py = in.y + 1, ph = in.h - 3;     /* legend above, axis and labels below */
    int yw = canvas_text_width(fmt_short(ch->vmax, buf));
    if (ch->log && canvas_text_width(fmt_short((uint64_t)pow(10, ch->lo), b2)) > yw)
        yw = canvas_text_width(b2);
    /* the middle label (vmax/2, e.g. "72.1k") can be wider than the top one ("144k") */
    if (!ch->log && canvas_text_width(fmt_short(ch->vmax / 2, b2)) > yw) yw = canvas_text_width(b2);
    const int ax = in.x + yw, px = ax + 1, pw = in.x + in.w - px;
    if (pw < 2 || ph < 2) return false;

    /* legend: glyph, name, and the current value when the whole line fits */
    const char *names[N_SERIES] = {TR(a, "cache", "缓存"), TR(a, "recompute", "重算")};
    char vals[N_SERIES][32];
    int need = 0;
    for (int s = 0; s < N_SERIES; s++) {
        fmt_short(ch->meas_now[s], vals[s]);
        need += 2 + canvas_text_width(names[s]) + 1 + canvas_text_width(vals[s]) + 2;
    }
    const bool with_vals = ch->cur >= 0 && need - 2 <= in.w;
    int x = in.x;
    for (int s = 0; s < N_SERIES; s++) {
        canvas_put(c, x, in.y, glyph(c, s, true), series_style(s, true));
        x += 2 + canvas_text(c, x + 2, in.y, in.x + in.w - x - 2, series_style(s, true), names[s]);
        if (with_vals && shows_value(ch, s)) x += 1 + canvas_text(c, x + 1, in.y, -1, STYLE_NORMAL, vals[s]);
        x += 2;
    }
    const bool named = x + 12 <= in.x + in.w;
    if (named) {
        canvas_put(c, x, in.y, glyph(c, S_CACHE, false), STYLE_DIM);
        canvas_put(c, x + 1, in.y, glyph(c, S_RECOMP, false), STYLE_DIM);
        canvas_text(c, x + 3, in.y, in.x + in.w - x - 3, STYLE_DIM, TR(a, "predicted", "预测"));
    }

    y_labels(c, ch, in.x, yw, py, ph);
    canvas_vline(c, ax, py, ph, STYLE_BORDER);
    canvas_hline(c, px, py + ph, pw, STYLE_BORDER);
    canvas_put(c, ax, py + ph, canvas_glyph(c, GLYPH_BL), STYLE_BORDER);

    /* the current step: a dim rule through the plot and a tick on the axis */
    if (ch->cur >= 0) {
        int cx = col_of(ch, ch->cur, px, pw);
        for (int y = py; y < py + ph; y++) canvas_put(c, cx, y, c->ascii ? ':' : 0x250A, STYLE_DIM);
        canvas_put(c, cx, py + ph, c->ascii ? '+' : 0x2534, STYLE_BORDER);
    }

    /* points, predicted first so measured ones sit on top; dots join them */
    Sums sum = {{0}, {0}};
    uint64_t pacc[N_SERIES], meas[N_SERIES];
    int prev_x[N_SERIES] = {-1, -1}, prev_y[N_SERIES] = {0, 0};
    bool live[N_SERIES];
    for (int k = 0; k < ch->G; k++) {
        bool have[N_SERIES], running[N_SERIES];
        step_values(a, ch, k, &sum, pacc, meas, live, have, running);
        const int cx = col_of(ch, k, px, pw);
        uint64_t v[N_SERIES];
        int ys[N_SERIES];
        for (int s = 0; s < N_SERIES; s++) {
            v[s] = have[s] ? meas[s] : pacc[s];
            ys[s] = row_of(ch, v[s], py, ph);
        }
        /* two different values rounded into one cell: lift the larger one
         * row, so neither series hides the other (equal values do share) */
        if (ys[S_RECOMP] == ys[S_CACHE] && v[S_RECOMP] > v[S_CACHE] && ys[S_RECOMP] > py) ys[S_RECOMP]--;
        for (int s = N_SERIES - 1; s >= 0; s--) {
            if (!live[s]) continue;   /* an early chunk: no recompute step emits its (no) token */
            const int y = ys[s], st = series_style(s, have[s]);
            for (int xx = prev_x[s] + 1; prev_x[s] >= 0 && xx < cx; xx++) {
                int yy = prev_y[s] + (int)lround((double)(y - prev_y[s]) * (xx - prev_x[s]) /
                                                 (cx - prev_x[s]));
                canvas_put(c, xx, yy, canvas_glyph(c, GLYPH_DOT), have[s] ? st : STYLE_DIM);
            }
            if (running[s])   /* running: where the step will end */
                canvas_put(c, cx, row_of(ch, pacc[s], py, ph), glyph(c, s, false), STYLE_DIM);
            canvas_put(c, cx, y, glyph(c, s, have[s]), st);
            prev_x[s] = cx;
            prev_y[s] = y;
        }
    }

    /* x labels: first step, last step, current step; the current one
     * whole, over the 0 and then the last number when they leave no room */
    const int ly = py + ph + 1;
    snprintf(buf, sizeof buf, "%d", ch->G - 1);
    if (ch->cur >= 0) {
        /* with a plan the modes' step numbers differ: say whose x is */
        snprintf(b2, sizeof b2, ch->planned ? TR(a, "cache step %d", "缓存第 %d 步") : TR(a, "step %d", "第 %d 步"),
                 ch->cur);
        const int w = canvas_text_width(b2), lw = canvas_text_width(buf);
        bool first = ch->cur > 0, last = ch->cur < ch->G - 1;   /* keep the first and last steps' numbers clear */
        if (first && w > pw - 2 - (last ? lw + 1 : 0)) first = false;
        if (last && w > pw - (first ? 2 : 0) - lw - 1) last = false;
        const int left = first ? px + 2 : px, right = px + pw - (last ? lw + 1 : 0);
        int cx = col_of(ch, ch->cur, px, pw) - w / 2;
        if (first || ch->cur == 0) canvas_text(c, px, ly, -1, STYLE_DIM, "0");
        if (last) canvas_text(c, px + pw - lw, ly, -1, STYLE_DIM, buf);
        if (cx + w > right) cx = right - w;
        if (cx < left) cx = left;
        canvas_text(c, cx, ly, right - cx, STYLE_TITLE, b2);
    } else {
        canvas_text(c, px, ly, -1, STYLE_DIM, "0");
        canvas_text(c, px + pw - canvas_text_width(buf), ly, -1, STYLE_DIM, buf);
        const char *t = ch->planned ? TR(a, "cache step", "缓存步") : TR(a, "step", "步");
        canvas_text(c, px + (pw - canvas_text_width(t)) / 2, ly, -1, STYLE_DIM, t);
    }
    return named;
}

/* ---- train view ------------------------------------------------------------ */

static void draw_train(const App *a, Canvas *c, Rect in, bool log_scale)
{
    const Engine *e = app_engine_of(a, MODE_TRAIN);
    OpCounts p[3];
    uint64_t v[3];
    formulas_step(&e->cfg, MODE_TRAIN, e->L, 0, &p[0]);
    if (!formulas_total(&e->cfg, MODE_CACHE, 1, e->L, &p[1])) memset(&p[1], 0, sizeof p[1]);
    if (!formulas_total(&e->cfg, MODE_RECOMPUTE, 1, e->L, &p[2])) memset(&p[2], 0, sizeof p[2]);
    Chart ch = {.log = log_scale, .vmax = 1, .vmin = UINT64_MAX};
    for (int i = 0; i < 3; i++) {
        v[i] = counts_total(&p[i]);
        if (v[i] > ch.vmax) ch.vmax = v[i];
        if (v[i] > 0 && v[i] < ch.vmin) ch.vmin = v[i];
    }
    ch.hi = log10((double)ch.vmax);
    ch.lo = floor(log10((double)(ch.vmin == UINT64_MAX ? 1 : ch.vmin))) - 1;
    const bool two_line = in.h >= 7, started = e->pos > 0;
    const uint64_t done = counts_total(&e->cum);
    const char *name[2][3] = {
        {TR(a, "train", "训练"), TR(a, "+cache", "+缓存"), TR(a, "recomp", "重算")},
        {TR(a, "train: 1 pass", "训练：1 次前向"), TR(a, "generate with cache", "生成（带缓存）"),
         TR(a, "generate, recompute", "生成（重算）")}};
    const int st[3] = {STYLE_NORMAL, STYLE_REUSED, STYLE_REDONE};
    char buf[32];
    int lw = 0;
    for (int i = 0; i < 3; i++)
        if (canvas_text_width(name[two_line][i]) > lw) lw = canvas_text_width(name[two_line][i]);
    int y = in.y;
    for (int i = 0; i < 3; i++) {
        fmt_short(i == 0 && started ? done : v[i], buf);
        const int vw = canvas_text_width(buf);
        const char *nm = name[two_line && canvas_text_width(name[1][i]) < in.w - vw][i];
        canvas_text(c, in.x, y, two_line ? in.w - vw - 1 : lw, st[i], nm);
        canvas_text(c, in.x + in.w - vw, y, vw, i == 0 && !started ? STYLE_DIM : STYLE_NORMAL, buf);
        if (two_line) y++;
        int bx = two_line ? in.x : in.x + lw + 1, bw = two_line ? in.w : in.w - lw - vw - 2;
        bar(c, bx, y, bw, yfrac(&ch, i == 0 ? (started ? done : 0) : v[i]), yfrac(&ch, v[i]), st[i]);
        y++;
    }
    char note[256];
    snprintf(note, sizeof note,
             TR(a, "1 pass vs %d passes. Training scores every position at once; generation waits "
                   "for each token, so it needs %d passes, and the cache keeps their cost near "
                   "training's.",
                "1 次 vs %d 次前向。训练一次算完所有位置；生成要等每个词元，需要 %d 次前向，"
                "KV 缓存让总开销接近训练。"), e->L, e->L);
    char *first = strstr(note, TR(a, ".", "。"));
    if (in.y + in.h - y < 3 && first) *first = '\0';   /* no room: the first sentence only */
    if (y < in.y + in.h) canvas_wrap(c, (Rect){in.x, y, in.w, in.y + in.h - y}, STYLE_DIM, note);
}

/* ---- the panel -------------------------------------------------------------- */

/* Text in the bottom border, the first of texts[0..n-1] that fits. */
static void border_legend(Canvas *c, Rect r, Rect old, const char *const *texts, int n)
{
    for (int i = 0; i < n; i++) {
        if (canvas_text_width(texts[i]) > r.w - 3) continue;
        canvas_set_clip(c, rect_intersect(r, old));
        canvas_text(c, r.x + 1, r.y + r.h - 1, -1, STYLE_DIM, texts[i]);
        return;
    }
}

/* The bars' legend: what the dim cells after a bar are (the closed form
 * up to the end of the run). */
static void bars_legend(const App *a, Canvas *c, Rect r, Rect old)
{
    char text[64];
    snprintf(text, sizeof text, " %s %s ", c->ascii ? "." : "\u2591", TR(a, "rest of the run", "其余步（预计）"));
    border_legend(c, r, old, (const char *const[]){text}, 1);
}

/* The plot's legend: the hollow glyphs (unless its top line named them)
 * and the current step's rule, longest form that fits. */
static void plot_legend(const App *a, Canvas *c, Rect r, Rect old, const Chart *ch, bool named)
{
    char t[4][96];
    int n = 0;
    const char *hollow = c->ascii ? "cr" : "\u25CB\u25B3", *rule = ch->cur < 0 ? "" : c->ascii ? ":" : "\u250A";
    const char *pl = TR(a, "predicted", "预测"), *ps = TR(a, "pred", "预测");
    const char *nl = TR(a, "current step", "当前步"), *ns = TR(a, "now", "当前");
    if (!named && *rule) {
        snprintf(t[n++], sizeof t[0], " %s %s  %s %s ", hollow, pl, rule, nl);
        snprintf(t[n++], sizeof t[0], " %s %s %s %s ", hollow, pl, rule, ns);
        snprintf(t[n++], sizeof t[0], " %s %s %s %s ", hollow, ps, rule, ns);
    } else if (*rule) {
        snprintf(t[n++], sizeof t[0], " %s %s ", rule, nl);
        snprintf(t[n++], sizeof t[0], " %s %s ", rule, ns);
    }
    if (!named && !*rule) snprintf(t[n++], sizeof t[0], " %s %s ", hollow, pl);
    if (!named) snprintf(t[n++], sizeof t[0], " %s %s ", hollow, ps);
    const char *texts[4] = {t[0], t[1], t[2], t[3]};
    border_legend(c, r, old, texts, n);
}

static void draw_chart(const App *a, Canvas *c, Rect r, bool per_step)
{
    const Rect old = c->clip;
    char title[64];
    const char *name = per_step ? TR(a, "MACs per step", "每步乘加") : TR(a, "Cumulative MACs", "累计乘加");
    const char *scale = a->log_scale ? TR(a, " (log)", " (对数)") : "";
    /* the train view compares one training pass with generating: the chart
     * beside it plots the generation run (--gen steps), and says so */
    const char *run = a->view == VIEW_TRAIN ? TR(a, " \u00b7 generating", " \u00b7 生成") : panel_seq_a_note(a);
    snprintf(title, sizeof title, "%s%s%s", name, scale, run);
    if (canvas_text_width(title) > r.w - 6)   /* keep "(log)" and "· A" visible in a narrow box */
        snprintf(title, sizeof title, "%s%s%s", per_step ? TR(a, "Per step", "每步") : TR(a, "Cum. MACs", "累计"),
                 scale, run);
    if (canvas_text_width(title) > r.w - 6 && a->view == VIEW_TRAIN)
        snprintf(title, sizeof title, "%s%s%s", per_step ? TR(a, "Per step", "每步") : TR(a, "Cum.", "累计"), scale,
                 TR(a, " \u00b7 gen", " \u00b7 生成"));
    canvas_set_clip(c, rect_intersect(r, old));
    canvas_box(c, r, STYLE_BORDER, title);
    const Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w > 0 && in.h > 0) {
        canvas_set_clip(c, rect_intersect(in, old));
        if (a->view == VIEW_TRAIN && !per_step) {
            draw_train(a, c, in, a->log_scale);
        } else {
            Chart ch;
            chart_scan(a, &ch, per_step);
            if (in.h >= 7 && in.w >= 20) {
                /* after the last step nothing is hollow: nothing to name */
                const bool done = ch.cur == ch.G - 1 && ch.cur_done;
                plot_legend(a, c, r, old, &ch, draw_plot(a, c, in, &ch) || done);
            } else {
                draw_bars(a, c, in, &ch);
                bars_legend(a, c, r, old);
            }
        }
    }
    c->clip = old;
}

void panel_chart_draw(const App *a, const Engine *shown, Canvas *c, Rect r)
{
    (void)shown;   /* reads the engines it needs from the App's run */
    draw_chart(a, c, r, false);
}

void panel_chart_step_draw(const App *a, const Engine *shown, Canvas *c, Rect r)
{
    (void)shown;
    draw_chart(a, c, r, true);
}
