/* panel_traffic: bytes a step moves and what that means (spec §6.5),
 * "Memory traffic".
 *
 *   table   this step of cache and recompute: weight bytes read, K/V bytes
 *           read and written, FLOPs (2 · MACs) and arithmetic intensity
 *           (FLOP per byte read); a mark per row compares the three byte
 *           counts with the closed form of the whole step (formulas.h):
 *           ✓ equal, ✗ not, … the step is still running
 *   bars    the intensity of the prefill (cache step 0) and of a decode
 *           step (this one, or the last finished), and of recompute's step
 *           when there is a row for it, on a log scale with the balance
 *           point of a named accelerator marked: below it a step waits on
 *           memory (memory-bound), above it on arithmetic (compute-bound)
 *   text    (when there is room) the same in a sentence
 *
 * Every number is an engine counter (sim/traffic.h), never a formula; the
 * closed forms only give the marks. Bars use finished steps only.
 */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include "sim/formulas.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double balance(void)
{
    return PANEL_BALANCE_TFLOPS / PANEL_BALANCE_TBPS;   /* TFLOP/s ÷ TB/s = FLOP/byte */
}

typedef enum { MARK_NONE, MARK_WAIT, MARK_OK, MARK_BAD } Mark;

typedef struct {          /* one engine at the step on screen */
    bool started, complete;
    int k;
    Traffic t;
    uint64_t macs;
    Mark mark;
} Row;

static Row measure(const Engine *e)
{
    Row r;
    memset(&r, 0, sizeof r);
    r.started = e->pos > 0;
    if (!r.started) return r;
    r.k = run_step_of(e, e->pos);
    r.complete = engine_at_step_end(e);
    r.t = e->traffic;
    r.macs = counts_total(&e->step_counts);
    Traffic p;
    const StepPlan *pl = e->planned ? engine_plan(e, r.k) : NULL;   /* §6.7, §6.9: the step's own rows */
    if (pl) formulas_block_traffic(&e->cfg, pl->p0, pl->n, r.k < e->n_chunks - 1 ? 0 : 1 + pl->drafted, &p);
    else formulas_traffic(&e->cfg, e->mode, e->L, r.k, &p);
    const bool over = r.t.weight_bytes > p.weight_bytes || r.t.kv_read_bytes > p.kv_read_bytes ||
                      r.t.kv_write_bytes > p.kv_write_bytes;
    r.mark = r.complete ? (traffic_equal(&r.t, &p) ? MARK_OK : MARK_BAD) : over ? MARK_BAD : MARK_WAIT;
    return r;
}

/* Intensity of finished step k of e; false when it has not finished. */
static bool step_intensity(const Engine *e, int k, double *out)
{
    const Traffic *t = engine_step_traffic(e, k);
    const OpCounts *c = engine_step_counts(e, k);
    if (!t || !c) return false;
    *out = traffic_intensity(counts_total(c), t);
    return true;
}

/* The decode step the bars show: this one when finished, else the last finished (>= 1). */
static void fmt_ai(double v, char buf[32])
{
    snprintf(buf, 32, v >= 1000 ? "%.0f" : "%.3g", v);
}

static void right(Canvas *c, int x, int y, int w, int style, const char *s)
{
    const int tw = canvas_text_width(s);
    canvas_text(c, x + (tw < w ? w - tw : 0), y, w, style, s);
}

/* ---- the table ----------------------------------------------------------------- */

enum { V_W, V_KVR, V_KVW, V_FLOP, V_AI, N_V };

static void row_text(const Row *r, bool shorten, char out[N_V][32])
{
    const uint64_t v[] = {r->t.weight_bytes, r->t.kv_read_bytes, r->t.kv_write_bytes, 2 * r->macs};
    for (int i = 0; i < 4; i++) {
        if (!r->started) snprintf(out[i], 32, "\u2013");
        else if (shorten) fmt_short(v[i], out[i]);
        else fmt_count(v[i], out[i]);
    }
    if (r->started) fmt_ai(traffic_intensity(r->macs, &r->t), out[V_AI]);
    else snprintf(out[V_AI], 32, "\u2013");
}

/* Returns the rows used. */
static int draw_table(const App *a, Canvas *c, Rect in, const Row *rows, int nrows)
{
    const char *head[N_V] = {TR(a, "weights", "权重"), TR(a, "KV read", "读KV"), TR(a, "KV write", "写KV"),
                             "FLOP", "FLOP/B"};
    const char *names[2] = {TR(a, "cache", "缓存"), TR(a, "recompute", "重算")};
    const char *short_names[2] = {TR(a, "cache", "缓存"), TR(a, "recomp", "重算")};
    char txt[2][N_V][32];
    bool shorten = false;
    int w[N_V], labw = 0, total = 0;
    for (int pass = 0; pass < 3; pass++) {
        /* pass 0: exact numbers and long names; 1: short names; 2: short numbers */
        shorten = pass == 2;
        labw = 0;
        for (int i = 0; i < nrows; i++) {
            const char *nm = pass == 0 ? names[i] : short_names[i];
            if (canvas_text_width(nm) > labw) labw = canvas_text_width(nm);
            row_text(&rows[i], shorten, txt[i]);
        }
        total = labw + 2;
        for (int j = 0; j < N_V; j++) {
            w[j] = canvas_text_width(head[j]);
            for (int i = 0; i < nrows; i++)
                if (canvas_text_width(txt[i][j]) > w[j]) w[j] = canvas_text_width(txt[i][j]);
            total += w[j] + 1;
        }
        if (total <= in.w) break;
    }
    int y = in.y;
    const int bottom = in.y + in.h;
    /* header */
    int x = in.x + labw + 2;
    if (y < bottom) {
        for (int j = 0; j < N_V; j++) {
            right(c, x + 1, y, w[j], STYLE_DIM, head[j]);
            x += w[j] + 1;
        }
        y++;
    }
    static const int glyph[] = {0, GLYPH_ELLIPSIS, GLYPH_CHECK, GLYPH_CROSS};
    static const int gstyle[] = {STYLE_NORMAL, STYLE_DIM, STYLE_OK, STYLE_BAD};
    for (int i = 0; i < nrows && y < bottom; i++, y++) {
        const char *nm = total <= in.w && canvas_text_width(names[i]) <= labw ? names[i] : short_names[i];
        canvas_text(c, in.x, y, labw, i == 0 ? STYLE_CACHE_MODE : STYLE_RECOMPUTE_MODE, nm);
        if (rows[i].mark != MARK_NONE && rows[i].started)
            canvas_put(c, in.x + labw + 1, y, canvas_glyph(c, (CanvasGlyph)glyph[rows[i].mark]), gstyle[rows[i].mark]);
        x = in.x + labw + 2;
        for (int j = 0; j < N_V; j++) {
            right(c, x + 1, y, w[j], j == V_AI ? STYLE_TITLE : STYLE_NORMAL, txt[i][j]);
            x += w[j] + 1;
        }
    }
    return y - in.y;
}

/* ---- the bars ------------------------------------------------------------------- */

typedef struct {
    int x, w;            /* bar area */
    double lo, hi;       /* axis: powers of ten */
} Axis;

static int axis_col(const Axis *ax, double v)
{
    if (v <= ax->lo) return 0;
    double f = (log10(v) - log10(ax->lo)) / (log10(ax->hi) - log10(ax->lo));
    if (f > 1) f = 1;
    int col = (int)lround(f * (ax->w - 1));
    return col < 0 ? 0 : col;
}

static void draw_bar(const App *a, Canvas *c, const Axis *ax, int x0, int y, int labw, int right_w,
                     const char *label, bool have, double v, const char *missing)
{
    canvas_text(c, x0, y, labw, STYLE_NORMAL, label);
    const int bx = axis_col(ax, balance());
    if (!have) {
        canvas_text(c, ax->x, y, ax->w + right_w, STYLE_DIM, missing);
        return;
    }
    const double f = v <= ax->lo ? 0.0 : (log10(v) - log10(ax->lo)) / (log10(ax->hi) - log10(ax->lo));
    canvas_hbar(c, ax->x, y, ax->w, f, v < balance() ? STYLE_REDONE : STYLE_OK);
    /* the balance point crosses every bar */
    const CanvasCell *cell = canvas_at(c, ax->x + bx, y);
    if (!cell || cell->cp == ' ') canvas_put(c, ax->x + bx, y, c->ascii ? '|' : 0x250A, STYLE_TITLE);
    char num[32], txt[96];
    fmt_ai(v, num);
    snprintf(txt, sizeof txt, "%5s %s", num,
             v < balance() ? TR(a, "memory-bound", "访存密集型") : TR(a, "compute-bound", "计算密集型"));
    canvas_text(c, ax->x + ax->w + 1, y, right_w - 1, v < balance() ? STYLE_NORMAL : STYLE_OK, txt);
}

/* Decade labels under the bars, and the accelerator at its balance point. */
static void draw_axis(const App *a, Canvas *c, const Axis *ax, int y, int x0, int labw, int xmax)
{
    (void)a;
    canvas_text(c, x0, y, labw, STYLE_DIM, "FLOP/B");
    char bal[48];
    snprintf(bal, sizeof bal, "%s %.0f", PANEL_BALANCE_NAME, balance());
    const int bx = ax->x + axis_col(ax, balance());
    const int bw = canvas_text_width(bal);
    /* the accelerator's label ends at its mark when it does not fit after it */
    const bool after = bx + 2 + bw <= xmax;
    canvas_put(c, bx, y, c->ascii ? '^' : 0x25B2, STYLE_TITLE);
    if (after) canvas_text(c, bx + 2, y, -1, STYLE_TITLE, bal);
    else canvas_text(c, bx - bw - 1, y, bw, STYLE_TITLE, bal);
    const int taken_lo = after ? bx : bx - bw - 1, taken_hi = after ? bx + 2 + bw : bx + 1;
    int last_end = ax->x - 1;
    for (double d = ax->lo; d <= ax->hi * 1.0001; d *= 10) {
        char lab[16];
        if (d >= 1000) snprintf(lab, sizeof lab, "%.0fk", d / 1000);
        else snprintf(lab, sizeof lab, d < 1 ? "%.2g" : "%.0f", d);
        const int lw = canvas_text_width(lab);
        int cx = ax->x + axis_col(ax, d);
        if (cx + lw > ax->x + ax->w) cx = ax->x + ax->w - lw;
        if (cx <= last_end || (cx < taken_hi + 1 && cx + lw > taken_lo - 1)) continue;
        canvas_text(c, cx, y, lw, STYLE_DIM, lab);
        last_end = cx + lw;
    }
}

/* The point of it, in words from the measured numbers. */
static int draw_sentence(const App *a, Canvas *c, Rect r)
{
    const Engine *e = app_engine_of(a, MODE_CACHE);
    int pk, k;
    panel_prefill_decode_steps(e, run_steps_done(e, e->pos), &pk, &k);
    double dec, pre;
    char text[700], wb[32], kb[32];
    const StepPlan *sp_pre = engine_plan(e, pk), *sp_dec = k >= 1 ? engine_plan(e, k) : NULL;
    if (k < 1 || !sp_pre || !sp_dec || !step_intensity(e, k, &dec) || !step_intensity(e, pk, &pre)) {
        snprintf(text, sizeof text, "%s",
                 TR(a, "Step through a prefill and a decode step (N N) to compare them: decode reads every weight to "
                       "make one token, which is why it is memory-bound.",
                    "按 N 两次走完预填充和一个解码步再比较：解码为了一个词元要读一遍全部权重，所以是访存密集型。"));
    } else {
        const Traffic *t = engine_step_traffic(e, k);
        fmt_count(t->weight_bytes, wb);
        fmt_count(t->kv_read_bytes, kb);
        char sd[32], sp[32];
        fmt_ai(dec, sd);
        fmt_ai(pre, sp);
        /* a verify step (--speculate) has 1 + drafts rows; a chunk (--chunk) is part of the prefill */
        char rows[64], pre_name[64];
        if (sp_dec->n > 1)
            snprintf(rows, sizeof rows, TR(a, "for its %d rows (1 + %d drafts)", "用于 %d 行（1 + %d 个草稿）"),
                     sp_dec->n, sp_dec->n - 1);
        else
            snprintf(rows, sizeof rows, "%s", TR(a, "to make one token", "为一个词元"));
        if (e->n_chunks > 1)
            snprintf(pre_name, sizeof pre_name, TR(a, "The prefill chunk of step %d", "预填充块（第 %d 步）"), pk);
        else
            snprintf(pre_name, sizeof pre_name, "%s", TR(a, "The prefill", "预填充"));
        if (a->opt.lang_zh)
            snprintf(text, sizeof text,
                     "解码第 %d 步%s读了 %s B 权重和 %s B 的 K/V：%s FLOP/B，比 %s 的平衡点低 %.0f 倍。"
                     "%s每读一次权重用于 %d 行：%s FLOP/B。",
                     k, rows, wb, kb, sd, PANEL_BALANCE_NAME, balance() / dec, pre_name, sp_pre->n, sp);
        else
            snprintf(text, sizeof text,
                     "Decode step %d read %s B of weights and %s B of K/V %s: %s FLOP/B, %.0f\u00d7 "
                     "below the %s balance point. %s used each weight for %d rows: %s FLOP/B.",
                     k, wb, kb, rows, sd, balance() / dec, PANEL_BALANCE_NAME, pre_name, sp_pre->n, sp);
        if (a->n_seqs > 1) {
            const size_t len = strlen(text);
            snprintf(text + len, sizeof text - len,
                     TR(a, " Here each of the %d sequences reads the weights itself; decoded together as one batch, "
                           "one read of the weights could serve %d tokens.",
                        "这里 %d 个序列各自读权重；若作为一批一起解码，读一次权重就能产出 %d 个词元。"),
                     a->n_seqs, a->n_seqs);
        }
    }
    const size_t len = strlen(text);
    snprintf(text + len, sizeof text - len, "%s",
             TR(a, " (kvsim counts fp32 bytes; bf16 would halve them.)", "（kvsim 按 fp32 计字节；bf16 减半。）"));
    const int lines = canvas_wrap(c, r, STYLE_DIM, text);
    return lines < r.h ? lines : r.h;
}

void panel_traffic_draw(const App *a, const Engine *shown, Canvas *c, Rect r)
{
    (void)shown;   /* reads the engines it needs from the App's run */
    const Engine *ec = app_engine_of(a, MODE_CACHE), *er = app_engine_of(a, MODE_RECOMPUTE);
    char title[96], foot[160];
    const Row rows[2] = {measure(ec), measure(er)};
    if (rows[0].started)
        snprintf(title, sizeof title, TR(a, "Memory traffic \u00b7 step %d%s", "访存 \u00b7 第 %d 步%s"), rows[0].k,
                 panel_seq_a_note(a));
    else
        snprintf(title, sizeof title, "%s%s", TR(a, "Memory traffic", "访存"), panel_seq_a_note(a));
    canvas_box(c, r, STYLE_BORDER, title);
    snprintf(foot, sizeof foot, TR(a, "%s balance: %.0f TFLOP/s \u00f7 %.2f TB/s = %.0f FLOP/B",
                                   "%s 平衡点：%.0f TFLOP/s \u00f7 %.2f TB/s = %.0f FLOP/B"),
             PANEL_BALANCE_NAME, PANEL_BALANCE_TFLOPS, PANEL_BALANCE_TBPS, balance());
    if (canvas_text_width(foot) + 6 <= r.w && r.h >= 2) {
        const int y = r.y + r.h - 1, w = canvas_text_width(foot);
        canvas_put(c, r.x + 2, y, ' ', STYLE_BORDER);
        canvas_text(c, r.x + 3, y, -1, STYLE_DIM, foot);
        canvas_put(c, r.x + 3 + w, y, ' ', STYLE_BORDER);
    }
    Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w <= 0 || in.h <= 0) return;
    const int bottom = in.y + in.h;
    int y = in.y + draw_table(a, c, in, rows, 2);

    /* bars: prefill, decode, (recompute), then the axis */
    int pk, dk;
    panel_prefill_decode_steps(ec, run_steps_done(ec, ec->pos), &pk, &dk);
    double pre = 0, dec = 0, rec = 0;
    const bool have_pre = step_intensity(ec, pk, &pre);
    const bool have_dec = dk >= 1 && step_intensity(ec, dk, &dec);
    const long rfin = run_steps_done(er, er->pos);
    const int rk = rfin >= 1 ? (int)rfin - 1 : -1;
    const bool have_rec = rk >= 0 && step_intensity(er, rk, &rec);
    const int left = bottom - y;
    if (left < 2) return;
    const bool with_rec = left >= 4;
    char lp[32], ld[32], lr[32];
    snprintf(lp, sizeof lp, TR(a, "prefill s%d", "预填充 %d"), pk);
    if (have_dec) snprintf(ld, sizeof ld, TR(a, "decode s%d", "解码 %d"), dk);
    else snprintf(ld, sizeof ld, "%s", TR(a, "decode", "解码"));
    if (have_rec) snprintf(lr, sizeof lr, TR(a, "recomp s%d", "重算 %d"), rk);
    else snprintf(lr, sizeof lr, "%s", TR(a, "recompute", "重算"));
    int labw = canvas_text_width(lp);
    if (canvas_text_width(ld) > labw) labw = canvas_text_width(ld);
    if (with_rec && canvas_text_width(lr) > labw) labw = canvas_text_width(lr);
    if (labw < 6) labw = 6;
    labw += 1;
    int right_w = 1 + 5 + 1 + canvas_text_width(TR(a, "compute-bound", "计算密集型"));
    Axis ax = {in.x + labw, in.w - labw - right_w, 0.1, 1000};
    if (ax.w < 8) {   /* narrow: the numbers and verdicts only */
        right_w = in.w - labw - 8;
        ax.w = 8;
        if (right_w < 1) return;
    }
    /* widen the axis to decades covering every value and the balance point */
    const double vals[] = {have_pre ? pre : 1, have_dec ? dec : 1, have_rec ? rec : 1};
    for (int i = 0; i < 3; i++) {
        while (vals[i] > 0 && vals[i] < ax.lo && ax.lo > 1e-6) ax.lo /= 10;
        while (vals[i] > ax.hi && ax.hi < 1e12) ax.hi *= 10;
    }
    const char *run = TR(a, "not run yet (N)", "尚未运行（N）");
    draw_bar(a, c, &ax, in.x, y++, labw, right_w, lp, have_pre, pre, run);
    if (y < bottom - 1 || (y < bottom && left == 2))
        draw_bar(a, c, &ax, in.x, y++, labw, right_w, ld, have_dec, dec,
                 TR(a, "no decode step finished yet (N)", "还没有完成的解码步（N）"));
    if (with_rec && y < bottom - 1) draw_bar(a, c, &ax, in.x, y++, labw, right_w, lr, have_rec, rec, run);
    if (y < bottom) draw_axis(a, c, &ax, y++, in.x, labw, in.x + in.w);
    /* the sentence, after a blank line when there is room for both */
    if (bottom - y >= 3) y++;
    if (bottom - y >= 2) {
        const Rect sr = {in.x, y, in.w, bottom - y};
        y += draw_sentence(a, c, sr);
    }
    /* then the finished steps of both modes, on the same axis (the first
     * and the latest when not all of them fit) */
    const long cfin = run_steps_done(ec, ec->pos);
    const int room = bottom - y - 2;
    if (room >= 2 && cfin > 0) {
        y++;
        canvas_text(c, in.x, y++, in.w, STYLE_DIM,
                    TR(a, "FLOP/B of the finished steps, same log axis:", "已完成各步的 FLOP/B（同一对数轴）："));
        const int half = (in.w - 4) / 2;
        Axis h = ax;
        h.w = half - 7 - canvas_text_width(TR(a, "recomp", "重算")) - 1;
        if (h.w < 4) return;
        const bool cut = cfin > room;
        for (long i = 0; i < (cut ? room : cfin) && y < bottom; i++, y++) {
            /* cut: s0, "…", then the last room-2 steps */
            long k = i;
            if (cut && i == 1) {
                canvas_put(c, in.x, y, canvas_glyph(c, GLYPH_ELLIPSIS), STYLE_DIM);
                continue;
            }
            if (cut && i >= 2) k = cfin - (room - i);
            canvas_textf(c, in.x, y, 4, STYLE_DIM, "s%ld", k);
            for (int m = 0; m < 2; m++) {
                const Engine *e = m == 0 ? ec : er;
                const int x0 = in.x + 4 + m * half;
                const char *nm = m == 0 ? TR(a, "cache", "缓存") : TR(a, "recomp", "重算");
                double v;
                if (!step_intensity(e, (int)k, &v)) continue;
                const int nw = canvas_text(c, x0, y, -1, STYLE_DIM, nm) + 1;
                h.x = x0 + nw;
                const double f = v <= h.lo ? 0.0 : (log10(v) - log10(h.lo)) / (log10(h.hi) - log10(h.lo));
                canvas_hbar(c, h.x, y, h.w, f, v < balance() ? STYLE_REDONE : STYLE_OK);
                char num[32];
                fmt_ai(v, num);
                canvas_textf(c, h.x + h.w, y, -1, STYLE_NORMAL, " %5s", num);
            }
        }
    }
}
