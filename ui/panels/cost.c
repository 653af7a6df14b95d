/* panel_cost: the headline ratio, told right (issue 12, item 10).
 *
 * Recompute ÷ cache for the whole model and for the layers only (the
 * vocabulary head d·V costs the same in both modes, so it dilutes the
 * whole-model ratio), and each mode's step cost as its closed form with
 * this run's numbers put in: "2·(3·8² + 2·9·8 + 8² + 2·8·32) + 8·1,073 =
 * 10,408". The value after "=" is the measured counter; test_screens_serving
 * evaluates the expression and checks it equals that counter.
 *
 * Presenter mode draws the cumulative ratio in big block digits (5 rows,
 * scaled up to fill the box) with the rest as lines below it; the normal
 * screen (tall layouts only) draws lines alone.
 */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include "sim/formulas.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the substituted formula ------------------------------------------------ */

/* Append printf output to buf (len bytes, NUL-terminated). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void cat(char *buf, size_t len, const char *fmt, ...)
{
    const size_t used = strlen(buf);
    if (used + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* "n·" or "" when n = 1 (a factor of one is not written) */
static void factor(char *buf, size_t len, uint64_t n)
{
    if (n != 1) cat(buf, len, "%llu\u00b7", (unsigned long long)n);
}

void cost_formula(const KvConfig *c, RunMode mode, int L, int k, char *buf, size_t len)
{
    const uint64_t n = (uint64_t)formulas_rows(mode, L, k), t = (uint64_t)formulas_len(mode, L, k);
    const uint64_t d = (uint64_t)c->d_model, F = (uint64_t)c->d_ff, kv = (uint64_t)config_kv_dim(c);
    const uint64_t W = (uint64_t)c->window, Lyr = (uint64_t)c->n_layers;
    const uint64_t cols = (mode == MODE_CACHE && k > 0 && W && t > W) ? W : t;   /* as formulas_step_layer */
    char dv[32];
    buf[0] = '\0';
    if (Lyr != 1) cat(buf, len, "%llu\u00b7(", (unsigned long long)Lyr);
    /* Q, K, V projections */
    if (kv == d) {
        cat(buf, len, "3\u00b7");
        factor(buf, len, n);
        cat(buf, len, "%llu\u00b2", (unsigned long long)d);
    } else {
        factor(buf, len, n);
        cat(buf, len, "%llu\u00b2 + 2\u00b7", (unsigned long long)d);
        factor(buf, len, n);
        cat(buf, len, "%llu\u00b7%llu", (unsigned long long)d, (unsigned long long)kv);
    }
    /* QKᵀ and ·V over the n × cols block */
    cat(buf, len, " + 2\u00b7");
    if (n == cols && n != 1) cat(buf, len, "%llu\u00b2\u00b7", (unsigned long long)n);
    else {
        factor(buf, len, n);
        cat(buf, len, "%llu\u00b7", (unsigned long long)cols);
    }
    cat(buf, len, "%llu + ", (unsigned long long)d);
    /* output projection, FFN */
    factor(buf, len, n);
    cat(buf, len, "%llu\u00b2 + 2\u00b7", (unsigned long long)d);
    factor(buf, len, n);
    cat(buf, len, "%llu\u00b7%llu", (unsigned long long)d, (unsigned long long)F);
    if (c->rope) {   /* §6.10: two MACs per turned element of q (d) and k (kv) */
        cat(buf, len, " + 2\u00b7");
        factor(buf, len, n);
        cat(buf, len, "(%llu + %llu)", (unsigned long long)d, (unsigned long long)kv);
    }
    if (Lyr != 1) cat(buf, len, ")");
    /* the vocabulary head, once */
    cat(buf, len, " + %llu\u00b7%s", (unsigned long long)d, counts_group((uint64_t)c->vocab, dv));
}

/* ---- what kind of step, and its order of growth ---------------------------- */

void cost_step_label(const App *a, const Engine *e, int k, char *buf, size_t len)
{
    /* a step over n rows ending at t costs n·(weights) + n·t·d: the order
     * is read off n and t of the step itself, never off the mode alone */
    static const char *const whole = "O(i\u00b7d\u00b2 + i\u00b2\u00b7d)";   /* n = t = i */
    static const char *const one = "O(d\u00b2 + i\u00b7d)";                     /* n = 1, t = i */
    static const char *const block = "O(n\u00b7d\u00b2 + n\u00b7t\u00b7d)";   /* any other n, t */
    const StepPlan *p = engine_plan(e, k);
    const int n = p ? p->n : formulas_rows(e->mode, e->L, k);
    const int t = p ? p->p0 + p->n : formulas_len(e->mode, e->L, k);
    if (e->mode != MODE_CACHE) {
        snprintf(buf, len, TR(a, "step %d, i = %d, %s", "第 %d 步，i = %d，%s"), k, t, whole);
    } else if (p && p->drafted > 0) {
        snprintf(buf, len, TR(a, "step %d (verify, %d draft%s), n = %d, t = %d, %s", "第 %d 步（验证 %d 个草稿%s），n = %d，t = %d，%s"),
                 k, p->drafted, TR(a, p->drafted == 1 ? "" : "s", ""), n, t, block);
    } else if (k < e->n_chunks && e->n_chunks > 1) {
        snprintf(buf, len, TR(a, "step %d (prefill chunk %d of %d), n = %d, t = %d, %s", "第 %d 步（预填充第 %d/%d 块），n = %d，t = %d，%s"),
                 k, k + 1, e->n_chunks, n, t, block);
    } else if (k < e->n_chunks) {
        if (n == t) snprintf(buf, len, TR(a, "step %d (prefill), i = %d, %s", "第 %d 步（预填充），i = %d，%s"), k, t, whole);
        else snprintf(buf, len, TR(a, "step %d (prefill), n = %d, t = %d, %s", "第 %d 步（预填充），n = %d，t = %d，%s"), k, n, t, block);
    } else {
        snprintf(buf, len, TR(a, "step %d (decode), i = %d, %s", "第 %d 步（解码），i = %d，%s"), k, t, n == 1 ? one : block);
    }
}

/* ---- big digits ------------------------------------------------------------- */

/* 3 × 5 pixel glyphs, rows top to bottom, bit 2 = left column. */
static const unsigned char font[][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
};
static const unsigned char font_times[5] = {0, 5, 2, 5, 0};

/* Columns the text takes at pixel width px (digits, '.', 'x'; 1 column gap). */
static int big_width(const char *s, int px)
{
    int w = 0;
    for (; *s; s++) w += (*s == '.' ? 1 : 3) * px + px;
    return w > 0 ? w - px : 0;
}

static void big_text(Canvas *c, int x, int y, int px, int py, int style, const char *s)
{
    const int32_t on = c->ascii ? '#' : 0x2588;
    for (; *s; s++) {
        const unsigned char *g = *s == '.' ? NULL : *s == 'x' ? font_times : font[*s - '0'];
        const int gw = g ? 3 : 1;
        for (int row = 0; row < 5; row++)
            for (int col = 0; col < gw; col++) {
                const bool set = g ? (g[row] >> (2 - col)) & 1 : row == 4;
                if (!set) continue;
                for (int dy = 0; dy < py; dy++)
                    for (int dx = 0; dx < px; dx++) canvas_put(c, x + col * px + dx, y + row * py + dy, on, style);
            }
        x += gw * px + px;
    }
}

/* ---- the panel ------------------------------------------------------------- */

typedef struct {
    int k;                          /* the step shown (last one reached) */
    uint64_t step[2], head[2];      /* this step's MACs and lm_head part: cache, recompute */
    uint64_t cum[2], cum_head[2];   /* steps 0..k */
} Cost;

/* Measured counts through the last step reached; false before any, or
 * when the modes' steps do not line up (chunked prefill, speculation). */
static bool cost_scan(const App *a, Cost *o)
{
    memset(o, 0, sizeof *o);
    const Engine *ec = app_engine_of(a, MODE_CACHE);
    if (ec->pos == 0 || ec->planned) return false;   /* planned: chunked or speculative steps */
    o->k = run_step_of(ec, ec->pos);
    if (!engine_at_step_end(ec)) o->k--;   /* mid-step: the step before is the last whole one */
    if (o->k < 0) return false;
    for (int m = 0; m < 2; m++) {
        const Engine *e = app_engine_of(a, m == 0 ? MODE_CACHE : MODE_RECOMPUTE);
        for (int k = 0; k <= o->k; k++) {
            const OpCounts *d = engine_step_counts(e, k);
            if (!d) return false;
            o->cum[m] += counts_total(d);
            o->cum_head[m] += d->mac[CAT_LM_HEAD];
            if (k == o->k) {
                o->step[m] = counts_total(d);
                o->head[m] = d->mac[CAT_LM_HEAD];
            }
        }
    }
    return true;
}

static double ratio(uint64_t r, uint64_t c)
{
    return c ? (double)r / (double)c : 0.0;
}

/* One line per mode: "● cache step 3 (decode), i = 14, O(d² + i·d): ... = 10,568". */
static int formula_lines(const App *a, Canvas *c, Rect in, int y, const Cost *co, bool wrap)
{
    const char *name[2] = {TR(a, "cache", "缓存"), TR(a, "recompute", "重算")};
    const int st[2] = {STYLE_REUSED, STYLE_REDONE};
    const int32_t gl[2] = {c->ascii ? 'C' : 0x25CF, c->ascii ? 'R' : 0x25B2};
    for (int m = 0; m < 2 && y < in.y + in.h; m++) {
        const RunMode mode = m == 0 ? MODE_CACHE : MODE_RECOMPUTE;
        const Engine *e = app_engine_of(a, mode);
        char f[256], what[160], line[480], v[32];
        cost_formula(&e->cfg, mode, e->L, co->k, f, sizeof f);
        cost_step_label(a, e, co->k, what, sizeof what);
        counts_group(co->step[m], v);
        snprintf(line, sizeof line, TR(a, "%s %s: %s = %s", "%s %s：%s = %s"), name[m], what, f, v);
        canvas_put(c, in.x, y, gl[m], st[m]);
        Rect lr = {in.x + 2, y, in.w - 2, wrap ? in.y + in.h - y : 1};
        /* wrapped, the rows it takes must leave one for the next mode's line */
        const int rows = wrap ? in.y + in.h - y - (1 - m) : 1;
        if (lr.w > 0 && canvas_wrap(NULL, (Rect){0, 0, lr.w, 0}, STYLE_NORMAL, line) > rows) {
            /* a line that does not fit loses the substituted formula,
             * then the big O, never the end of its number */
            snprintf(line, sizeof line, "%s %s = %s", name[m], what, v);
            if (canvas_wrap(NULL, (Rect){0, 0, lr.w, 0}, STYLE_NORMAL, line) > rows)
                snprintf(line, sizeof line, TR(a, "%s step %d: %s MACs", "%s 第 %d 步：%s 次乘加"), name[m], co->k, v);
        }
        y += wrap ? canvas_wrap(c, lr, STYLE_NORMAL, line) : (canvas_text(c, lr.x, y, lr.w, STYLE_NORMAL, line), 1);
    }
    return y;
}

static void ratio_lines(const App *a, Canvas *c, Rect in, int y, const Cost *co, bool with_total)
{
    char line[300];
    const char *x = c->ascii ? "x" : "\u00d7";
    if (with_total && y < in.y + in.h) {
        snprintf(line, sizeof line,
                 TR(a, "recompute \u00f7 cache, steps 0-%d: %.2f%s whole model, %.2f%s layers only",
                    "重算 \u00f7 缓存，第 0-%d 步：整个模型 %.2f%s，仅各层 %.2f%s"),
                 co->k, ratio(co->cum[1], co->cum[0]), x,
                 ratio(co->cum[1] - co->cum_head[1], co->cum[0] - co->cum_head[0]), x);
        y += canvas_wrap(c, (Rect){in.x, y, in.w, in.y + in.h - y}, STYLE_TITLE, line);
    }
    if (y >= in.y + in.h) return;
    char hv[32];
    snprintf(line, sizeof line,
             TR(a, "step %d alone: %.2f%s whole model, %.2f%s layers only (the vocabulary head, d\u00b7V = %s, "
                   "is the same in both modes)",
                "仅第 %d 步：整个模型 %.2f%s，仅各层 %.2f%s（词表输出层 d\u00b7V = %s，两种模式相同）"),
             co->k, ratio(co->step[1], co->step[0]), x, ratio(co->step[1] - co->head[1], co->step[0] - co->head[0]), x,
             counts_group(co->head[0], hv));
    canvas_wrap(c, (Rect){in.x, y, in.w, in.y + in.h - y}, STYLE_NORMAL, line);
}

/* --chunk / --speculate: the two modes' steps do not line up (a cache step
 * may cover a chunk or several tokens), so the box compares whole runs:
 * each mode's steps and MACs by the closed forms of its step plans, what
 * was measured so far, and their ratio, big when there is room. */
static void draw_serving(const App *a, Canvas *c, Rect in)
{
    const char *name[2] = {TR(a, "cache", "缓存"), TR(a, "recompute", "重算")};
    const int st[2] = {STYLE_REUSED, STYLE_REDONE};
    const int32_t gl[2] = {c->ascii ? 'C' : 0x25CF, c->ascii ? 'R' : 0x25B2};
    uint64_t tot[2] = {0, 0};
    char line[2][320], brief[2][320];
    const Engine *ec = app_engine_of(a, MODE_CACHE);
    char how[96] = "";
    if (ec->cfg.chunk && ec->cfg.speculate)
        snprintf(how, sizeof how, TR(a, " (chunks of %d, up to %d drafts)", "（每块 %d 行，至多 %d 个草稿）"), ec->cfg.chunk,
                 ec->cfg.speculate);
    else if (ec->cfg.chunk)
        snprintf(how, sizeof how, TR(a, " (prefill in chunks of %d)", "（预填充每块 %d 行）"), ec->cfg.chunk);
    else if (ec->cfg.speculate)
        snprintf(how, sizeof how, TR(a, " (up to %d drafts a step)", "（每步至多 %d 个草稿）"), ec->cfg.speculate);
    for (int m = 0; m < 2; m++) {
        const Engine *e = app_engine_of(a, m == 0 ? MODE_CACHE : MODE_RECOMPUTE);
        for (int k = 0; k < e->n_steps; k++) {
            OpCounts p;
            panel_step_prediction(e, k, &p);
            tot[m] += counts_total(&p);
        }
        char v0[32], v1[32];
        counts_group(tot[m], v0);
        counts_group(counts_total(&e->cum), v1);
        snprintf(line[m], sizeof line[m],
                 TR(a, "%s%s: %d steps, %s MACs for the whole run (closed forms of its steps); %s measured so far",
                    "%s%s：共 %d 步，整次运行 %s 次乘加（各步的闭式公式）；已实测 %s"),
                 name[m], m == 0 ? how : "", e->n_steps, v0, v1);
        snprintf(brief[m], sizeof brief[m],
                 TR(a, "%s%s: %d steps, %s MACs by closed forms for the whole run; %s measured so far",
                    "%s%s：共 %d 步，整次运行按闭式公式 %s 次乘加；已实测 %s"),
                 name[m], m == 0 ? how : "", e->n_steps, v0, v1);
    }
    /* one line each leaves rows for the big ratio: both in the brief
     * wording when either would wrap */
    if (canvas_text_width(line[0]) > in.w - 2 || canvas_text_width(line[1]) > in.w - 2)
        for (int m = 0; m < 2; m++) memcpy(line[m], brief[m], sizeof line[m]);
    char big[32], note[320];
    snprintf(big, sizeof big, "%.2fx", ratio(tot[1], tot[0]));
    if (a->present) {   /* a projector: the whole-run ratio as big as fits, two short lines */
        int px = 0, py = 0;
        for (int nx = 2; nx <= 8; nx++) {
            const int ny = (nx + 1) / 2;
            if (big_width(big, nx) > in.w - 2 || 5 * ny > in.h - 3) break;
            px = nx;
            py = ny;
        }
        int y = in.y;
        if (px) {
            big_text(c, in.x + (in.w - big_width(big, px)) / 2, y, px, py, STYLE_TITLE, big);
            y += 5 * py;
        }
        char l[2][160], v0[32], v1[32];
        const Engine *er = app_engine_of(a, MODE_RECOMPUTE);
        snprintf(l[0], sizeof l[0], TR(a, "whole run: recompute %s \u00f7 cache %s", "整次运行：重算 %s \u00f7 缓存 %s"),
                 counts_group(tot[1], v1), counts_group(tot[0], v0));
        snprintf(l[1], sizeof l[1], TR(a, "%d cache steps, %d recompute steps", "缓存 %d 步，重算 %d 步"), ec->n_steps,
                 er->n_steps);
        for (int i = 0; i < 2 && y < in.y + in.h; i++, y++) {
            const int w = canvas_text_width(l[i]);
            canvas_text(c, w < in.w ? in.x + (in.w - w) / 2 : in.x, y, in.w, i == 0 ? STYLE_TITLE : STYLE_NORMAL, l[i]);
        }
        return;
    }
    int y = in.y;
    for (int m = 0; m < 2 && y < in.y + in.h; m++) {
        canvas_put(c, in.x, y, gl[m], st[m]);
        y += canvas_wrap(c, (Rect){in.x + 2, y, in.w - 2, in.y + in.h - y}, STYLE_NORMAL, line[m]);
    }
    snprintf(note, sizeof note,
             TR(a, "recompute \u00f7 cache over the whole run: %.2f%s. The two modes' steps do not line up here, so "
                   "the Operations panel compares each mode's own steps.",
                "整次运行 重算 \u00f7 缓存：%.2f%s。这里两种模式的步不对应，「运算」面板按各自的步比较。"),
             ratio(tot[1], tot[0]), c->ascii ? "x" : "\u00d7");
    const int note_h = canvas_wrap(NULL, (Rect){0, 0, in.w, 0}, STYLE_NORMAL, note);
    /* the last whole cache step: a chunk, a verify step, a decode step,
     * labelled by its own rows and length, with its measured MACs (only
     * when the whole-run note below still fits: it is the box's point) */
    int k = ec->pos > 0 ? run_step_of(ec, ec->pos) : -1;
    if (k >= 0 && !engine_at_step_end(ec)) k--;
    const OpCounts *kc = k >= 0 ? engine_step_counts(ec, k) : NULL;
    if (kc) {
        char what[160], step[320], v[32];
        cost_step_label(a, ec, k, what, sizeof what);
        snprintf(step, sizeof step, TR(a, "%s %s: %s MACs measured", "%s %s：实测 %s 次乘加"), name[0], what,
                 counts_group(counts_total(kc), v));
        const Rect sr = {in.x + 2, y, in.w - 2, in.y + in.h - y};
        const int sh = sr.w > 0 ? canvas_wrap(NULL, (Rect){0, 0, sr.w, 0}, STYLE_NORMAL, step) : 0;
        /* ... nor the big ratio, when that fits without it */
        const int left = in.y + in.h - y - note_h, digits = big_width(big, 2) <= in.w ? 5 : 0;
        if (sr.w > 0 && sh <= left && (digits == 0 || left < digits || left - sh >= digits)) {
            canvas_put(c, in.x, y, gl[0], st[0]);
            y += canvas_wrap(c, sr, STYLE_NORMAL, step);
        }
    }
    /* the ratio as big as fits, with a blank line above and below it when
     * there is room for them too (a box that is neither tall nor short
     * keeps the big digits rather than the blank lines) */
    int py = 0, gap = 0;
    for (int ny = 2; ny >= 1 && !py; ny--)
        for (int m = 2; m >= 0 && !py; m--)
            if (in.y + in.h - y >= 5 * ny + m + note_h && big_width(big, 2 * ny) <= in.w) py = ny, gap = m;
    if (py) {
        big_text(c, in.x + (in.w - big_width(big, 2 * py)) / 2, y + (gap > 0), 2 * py, py, STYLE_TITLE, big);
        y += 5 * py + gap;
    }
    if (y < in.y + in.h) canvas_wrap(c, (Rect){in.x, y, in.w, in.y + in.h - y}, STYLE_TITLE, note);
}

void panel_cost_draw(const App *a, const Engine *shown, Canvas *c, Rect r)
{
    (void)shown;   /* reads both modes' engines from the App's run */
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    canvas_fill(c, r, ' ', STYLE_NORMAL);
    char title[64];
    snprintf(title, sizeof title, "%s%s", TR(a, "Cost: recompute \u00f7 cache", "开销：重算 \u00f7 缓存"),
             panel_seq_a_note(a));
    canvas_box(c, r, STYLE_BORDER, title);
    const Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    Cost co;
    if (in.w <= 0 || in.h <= 0) goto done;
    canvas_set_clip(c, rect_intersect(in, old));
    if (!cost_scan(a, &co)) {
        const Engine *ec = app_engine_of(a, MODE_CACHE);
        if (ec->pos == 0) panel_start_hint(a, c, in);
        else if (ec->planned) draw_serving(a, c, in);
        goto done;
    }
    if (!a->present) {   /* the normal screen: lines, the ratio big below them when there is room */
        int y = formula_lines(a, c, in, in.y, &co, false);
        char big[32];
        snprintf(big, sizeof big, "%.2fx", ratio(co.cum[1], co.cum[0]));
        const int lines = 2;   /* the ratio lines below */
        const int py = in.y + in.h - y >= 10 + lines + 1 ? 2 : 1, px = 2 * py;
        if (in.y + in.h - y >= 5 * py + lines + 1 && big_width(big, px) <= in.w) {
            big_text(c, in.x + (in.w - big_width(big, px)) / 2, y + 1, px, py, STYLE_TITLE, big);
            y += 5 * py + 1;
        }
        ratio_lines(a, c, in, y, &co, true);
        goto done;
    }
    /* presenter mode: the cumulative ratio in big digits, as large as fits
     * beside three lines of text (more when there is room for formulas) */
    char big[32];
    snprintf(big, sizeof big, "%.2fx", ratio(co.cum[1], co.cum[0]));
    const int text_h = in.h >= 16 ? 9 : 4;
    int px = 1, py = 1;   /* pixel size; a pixel about twice as wide as tall looks square */
    for (int nx = 2; nx <= 8; nx++) {
        const int ny = (nx + 1) / 2;
        if (big_width(big, nx) > in.w - 2 || 5 * ny > in.h - text_h) break;
        px = nx;
        py = ny;
    }
    if (big_width(big, px) > in.w || 5 * py > in.h) {   /* no room: the number in plain type */
        ratio_lines(a, c, in, in.y, &co, true);
        goto done;
    }
    const int bx = in.x + (in.w - big_width(big, px)) / 2;
    big_text(c, bx, in.y, px, py, STYLE_TITLE, big);
    int y = in.y + 5 * py;
    const char *x = c->ascii ? "x" : "\u00d7";
    char l1[96], l2[96], l3[96];
    if (co.k == 0) snprintf(l1, sizeof l1, "%s", TR(a, "step 0, whole model", "第 0 步，整个模型"));
    else snprintf(l1, sizeof l1, TR(a, "steps 0-%d, whole model", "第 0-%d 步，整个模型"), co.k);
    snprintf(l2, sizeof l2, TR(a, "layers only: %.2f%s", "仅各层：%.2f%s"),
             ratio(co.cum[1] - co.cum_head[1], co.cum[0] - co.cum_head[0]), x);
    snprintf(l3, sizeof l3, TR(a, "step %d: %.2f%s, layers only %.2f%s", "第 %d 步：%.2f%s，仅各层 %.2f%s"),
             co.k, ratio(co.step[1], co.step[0]), x, ratio(co.step[1] - co.head[1], co.step[0] - co.head[0]), x);
    char l4[128], v0[32], v1[32];
    snprintf(l4, sizeof l4, TR(a, "%s cache \u00b7 %s recompute", "缓存 %s \u00b7 重算 %s"), counts_group(co.step[0], v0),
             counts_group(co.step[1], v1));
    const char *lines[4] = {l1, l2, l3, l4};
    for (int i = 0; i < 4 && y < in.y + in.h; i++) {
        const int w = canvas_text_width(lines[i]);
        canvas_text(c, w < in.w ? in.x + (in.w - w) / 2 : in.x, y++, in.w, i == 1 ? STYLE_TITLE : STYLE_NORMAL, lines[i]);
        if (text_h > 4 && i == 0 && y < in.y + in.h) y++;
    }
    if (text_h > 4 && y + 1 < in.y + in.h) formula_lines(a, c, in, y + 1, &co, true);
done:
    canvas_set_clip(c, old);
}
