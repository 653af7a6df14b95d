/* panel_roofline: where this step sits on a CPU's roofline (memory view).
 *
 *   plot    log-log: across, arithmetic intensity (FLOP per byte read,
 *           from the engine's MAC and traffic counters); up, GFLOP/s. The
 *           roof is min(peak, bandwidth × intensity): a slope where memory
 *           sets the pace, flat where arithmetic does. The finished steps
 *           on screen are points on it: P the prefill (cache step 0, or the
 *           last chunk done with --chunk), D the
 *           decode step (this one or the last finished), R recompute's
 *           step. As the step index grows R climbs the slope (t rows share
 *           each weight) while D stays put (one row per weight).
 *   text    the decode step in one sentence: the bytes and MACs it needs
 *           and the least time each takes on this machine.
 *
 * The machine, the first of: KVSIM_MACHINE="GBS,GFLOPS" (numbers typed
 * in, e.g. `kvsim bench`'s read_bandwidth_gbs and peak_gflops); the file
 * `kvsim bench --save-machine` wrote (ui/machine_file.h; KVSIM_MACHINE_FILE
 * names another, or none when empty, as the tests do); a fixed reference
 * machine (PANEL_ROOF_*), so that screens and `kvsim frames` are the same
 * on every machine that never saved one. The legend says which, and names
 * a value or a file it could not use (then the reference draws). The file
 * is read at every frame: a few hundred bytes, and a bench run in another
 * terminal shows at once. The points are bounds (where a step could be at
 * best), not timings: the UI never times a step.
 */
#include "ui/panels/panels.h"
#include "ui/machine_file.h"
#include "ui/style.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the roof's two numbers come from, in the order they are tried. */
typedef enum {
    MACHINE_ENV,        /* KVSIM_MACHINE */
    MACHINE_ENV_BAD,    /* KVSIM_MACHINE set but not "GBS,GFLOPS": the reference */
    MACHINE_SAVED,      /* the machine file */
    MACHINE_SAVED_BAD,  /* a machine file that cannot be used: the reference */
    MACHINE_REFERENCE,  /* PANEL_ROOF_* */
} MachineSource;

typedef struct {
    double gbs, gflops;
    MachineSource source;
    MachineRecord saved;          /* MACHINE_SAVED: the file's record */
    MachineFileProblem problem;   /* MACHINE_SAVED_BAD: why not */
    char path[160];               /* MACHINE_SAVED_BAD: the file, "~/..." under $HOME */
} Machine;

/* "~/.config/kvsim/machine" for $HOME/.config/kvsim/machine: the legend is
 * narrow. A path too long for out keeps its end (the file's name), after "…". */
static void short_path(const char *path, char *out, size_t cap)
{
    const char *home = getenv("HOME");
    const size_t h = home ? strlen(home) : 0;
    const bool tilde = h > 1 && !strncmp(path, home, h) && path[h] == '/';
    const char *rest = tilde ? path + h : path;
    size_t n = strlen(rest), j = 0;
    const char *lead = tilde ? "~" : "";
    if (n + 2 > cap) {   /* room for the lead and the NUL: cut the front */
        lead = "\u2026";
        rest += n - (cap - 5);
        while (((unsigned char)*rest & 0xC0) == 0x80) rest++;   /* not inside a character */
        n = strlen(rest);
    }
    for (const char *l = lead; *l; l++) out[j++] = *l;
    memcpy(out + j, rest, n + 1);
}

static Machine machine(void)
{
    Machine m;
    memset(&m, 0, sizeof m);
    m.gbs = PANEL_ROOF_GBS;
    m.gflops = PANEL_ROOF_GFLOPS;
    m.source = MACHINE_REFERENCE;
    const char *s = getenv("KVSIM_MACHINE");
    if (s && *s) {
        char *end;
        const double g = strtod(s, &end);
        if (*end == ',') {
            const double f = strtod(end + 1, &end);
            if (*end == '\0' && g > 0 && f > 0 && isfinite(g) && isfinite(f)) {
                m.gbs = g;
                m.gflops = f;
                m.source = MACHINE_ENV;
                return m;
            }
        }
        m.source = MACHINE_ENV_BAD;
        return m;
    }
    char path[4096];
    bool named;   /* KVSIM_MACHINE_FILE named it: a missing file is worth a word */
    if (machine_file_path(path, sizeof path, &named) != 1) return m;
    const MachineFileStatus st = machine_file_read(path, &m.saved, &m.problem);
    if (st == MACHINE_FILE_OK) {
        m.gbs = m.saved.gbs;
        m.gflops = m.saved.gflops;
        m.source = MACHINE_SAVED;
    } else if (st != MACHINE_FILE_MISSING || named) {
        m.source = MACHINE_SAVED_BAD;
        short_path(path, m.path, sizeof m.path);
    }
    return m;
}

/* The legend's text: which machine, and its two numbers. */
static void machine_legend(const App *a, const Machine *m, char *buf, size_t cap)
{
    const char *ref = TR(a, PANEL_ROOF_NAME, PANEL_ROOF_NAME_ZH);
    char why[160], date[16] = "", cpu[24] = "";
    switch (m->source) {
    case MACHINE_ENV:
        snprintf(buf, cap,
                 TR(a, "measured (KVSIM_MACHINE): %.1f GB/s read, %.1f GFLOP/s peak",
                    "实测（KVSIM_MACHINE）：读 %.1f GB/s，峰值 %.1f GFLOP/s"),
                 m->gbs, m->gflops);
        break;
    case MACHINE_ENV_BAD:
        snprintf(buf, cap,
                 TR(a, "KVSIM_MACHINE is not GBS,GFLOPS: the reference, %.0f GB/s read, %.0f GFLOP/s",
                    "KVSIM_MACHINE 应为 GBS,GFLOPS：用参考机，读 %.0f GB/s，峰值 %.0f GFLOP/s"),
                 m->gbs, m->gflops);
        break;
    case MACHINE_SAVED:
        /* the day only (the file has the time), and the CPU bench ran on */
        if (*m->saved.date) snprintf(date, sizeof date, TR(a, " on %.10s", " 于 %.10s"), m->saved.date);
        if (m->saved.cpu >= 0) snprintf(cpu, sizeof cpu, TR(a, " (CPU %d)", "（CPU %d）"), m->saved.cpu);
        snprintf(buf, cap,
                 TR(a, "measured by kvsim bench%s%s: %.1f GB/s read, %.1f GFLOP/s peak",
                    "kvsim bench%s 实测%s：读 %.1f GB/s，峰值 %.1f GFLOP/s"),
                 date, cpu, m->gbs, m->gflops);
        break;
    case MACHINE_SAVED_BAD:
        machine_file_problem_text(&m->problem, a->opt.lang_zh && !a->opt.ascii, why, sizeof why);
        snprintf(buf, cap,
                 TR(a, "%s: %s; using the %s: %.0f GB/s read, %.0f GFLOP/s peak",
                    "%s：%s；改用%s：读 %.0f GB/s，峰值 %.0f GFLOP/s"),
                 m->path, why, ref, m->gbs, m->gflops);
        break;
    case MACHINE_REFERENCE:
        snprintf(buf, cap, TR(a, "%s: %.0f GB/s read, %.0f GFLOP/s peak", "%s：读 %.0f GB/s，峰值 %.0f GFLOP/s"),
                 ref, m->gbs, m->gflops);
        break;
    }
}

Rect panel_roofline_carve(Rect *traffic)
{
    Rect roof = {0, 0, 0, 0};
    if (traffic->h < PANEL_ROOF_MIN_H + PANEL_ROOF_TRAFFIC_H || traffic->w < 40) return roof;
    const int rh = traffic->h - PANEL_ROOF_TRAFFIC_H < PANEL_ROOF_MAX_H ? traffic->h - PANEL_ROOF_TRAFFIC_H
                                                                        : PANEL_ROOF_MAX_H;
    roof = (Rect){traffic->x, traffic->y + traffic->h - rh, traffic->w, rh};
    traffic->h -= rh;
    return roof;
}

typedef struct {
    bool have;
    int k;
    double ai;          /* FLOP per byte read */
    uint64_t bytes;     /* weight + K/V bytes read */
    uint64_t macs;
} Point;

static Point point(const Engine *e, int k)
{
    Point p = {false, k, 0, 0, 0};
    const Traffic *t = k >= 0 ? engine_step_traffic(e, k) : NULL;
    const OpCounts *c = k >= 0 ? engine_step_counts(e, k) : NULL;
    if (!t || !c || traffic_read_bytes(t) == 0) return p;
    p.have = true;
    p.macs = counts_total(c);
    p.bytes = traffic_read_bytes(t);
    p.ai = traffic_intensity(p.macs, t);
    return p;
}

static long finished(const Engine *e)
{
    return e->pos / e->ops_per_step;
}

typedef struct {
    int x, y, w, h;          /* plot area */
    double xlo, xhi, ylo, yhi;   /* powers of ten */
} Plot;

static int col_of(const Plot *p, double v)
{
    double f = (log10(v) - log10(p->xlo)) / (log10(p->xhi) - log10(p->xlo));
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return p->x + (int)lround(f * (p->w - 1));
}

static int row_of(const Plot *p, double v)
{
    double f = (log10(v) - log10(p->ylo)) / (log10(p->yhi) - log10(p->ylo));
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return p->y + p->h - 1 - (int)lround(f * (p->h - 1));
}

static double roof(const Machine *m, double ai)
{
    const double mem = m->gbs * ai;
    return mem < m->gflops ? mem : m->gflops;
}

static void fmt_bytes(double b, char buf[32])
{
    if (b >= 1e6) snprintf(buf, 32, "%.1f MB", b / 1e6);
    else if (b >= 1e3) snprintf(buf, 32, "%.1f kB", b / 1e3);
    else snprintf(buf, 32, "%.0f B", b);
}

static void fmt_time(double s, char buf[32])
{
    if (s >= 1e-4) snprintf(buf, 32, "%.2f ms", s * 1e3);
    else if (s >= 1e-6) snprintf(buf, 32, "%.2f \u00b5s", s * 1e6);
    else snprintf(buf, 32, "%.0f ns", s * 1e9);
}

static void fmt_decade(double v, char buf[16])
{
    if (v >= 1) snprintf(buf, 16, "%.0f", v);
    else snprintf(buf, 16, "%g", v);
}

/* Axes, the roof, and the points P, D, R. */
static void draw_plot(const App *a, Canvas *c, const Plot *p, const Machine *m, const Point pts[3])
{
    /* y axis: decade labels on the left, then a vertical rule */
    for (double v = p->ylo; v <= p->yhi * 1.0001; v *= 10) {
        char lab[16];
        fmt_decade(v, lab);
        canvas_text(c, p->x - 1 - canvas_text_width(lab), row_of(p, v), -1, STYLE_DIM, lab);
    }
    for (int y = p->y; y < p->y + p->h; y++) canvas_put(c, p->x - 1, y, c->ascii ? '|' : 0x2502, STYLE_BORDER);
    /* x axis: a rule under the plot, decade labels under it */
    const int ax_y = p->y + p->h;
    canvas_put(c, p->x - 1, ax_y, c->ascii ? '+' : 0x2514, STYLE_BORDER);
    canvas_hline(c, p->x, ax_y, p->w, STYLE_BORDER);
    int last_end = -1;
    for (double v = p->xlo; v <= p->xhi * 1.0001; v *= 10) {
        char lab[16];
        fmt_decade(v, lab);
        const int lw = canvas_text_width(lab);
        int cx = col_of(p, v) - lw / 2;
        if (cx < p->x - 1) cx = p->x - 1;
        if (cx + lw > p->x + p->w) cx = p->x + p->w - lw;
        if (cx <= last_end) continue;
        canvas_text(c, cx, ax_y + 1, lw, STYLE_DIM, lab);
        last_end = cx + lw;
    }
    /* the roof, column by column at the column's intensity */
    const double ridge = m->gflops / m->gbs;
    for (int x = p->x; x < p->x + p->w; x++) {
        const double f = (double)(x - p->x) / (p->w > 1 ? p->w - 1 : 1);
        const double ai = pow(10, log10(p->xlo) + f * (log10(p->xhi) - log10(p->xlo)));
        const bool flat = ai >= ridge;
        canvas_put(c, x, row_of(p, roof(m, ai)), flat ? '_' : '/', flat ? STYLE_OK : STYLE_REDONE);
    }
    /* the ridge point: where the slope meets the roof */
    const int rx = col_of(p, ridge), ry = row_of(p, m->gflops);
    for (int y = ry + 1; y < p->y + p->h; y++) canvas_put(c, rx, y, c->ascii ? ':' : 0x250A, STYLE_DIM);
    /* the points (recompute first, so that the cache points stay on top) */
    const char mark[3] = {'P', 'D', 'R'};
    const int style[3] = {STYLE_CACHE_MODE, STYLE_CACHE_MODE, STYLE_RECOMPUTE_MODE};
    for (int i = 2; i >= 0; i--)
        if (pts[i].have)
            canvas_put(c, col_of(p, pts[i].ai), row_of(p, roof(m, pts[i].ai)), mark[i], style[i]);
    (void)a;
}

/* The decode step (or the prefill) in one sentence. */
static void draw_sentence(const App *a, Canvas *c, Rect r, const Machine *m, const Point pts[3])
{
    char text[640];
    const Point *s = pts[1].have ? &pts[1] : pts[0].have ? &pts[0] : NULL;
    if (!s) {
        snprintf(text, sizeof text, "%s",
                 TR(a, "Step through a prefill and a decode step (N N): each becomes a point on the roof.",
                    "按 N 两次走完预填充和一个解码步：每一步都成为屋顶线上的一个点。"));
    } else {
        char by[32], mc[32], tm[32], tc[32];
        fmt_bytes((double)s->bytes, by);
        fmt_short(s->macs, mc);
        const double t_mem = (double)s->bytes / (m->gbs * 1e9);
        const double t_cpu = 2.0 * (double)s->macs / (m->gflops * 1e9);
        fmt_time(t_mem, tm);
        fmt_time(t_cpu, tc);
        const bool mem = t_mem >= t_cpu;
        const bool dec = s == &pts[1];
        if (a->opt.lang_zh)
            snprintf(text, sizeof text,
                     "%s第 %d 步需要读 %s、做 %s 次乘加：按 %.0f GB/s 它不可能少于 %s；按 %.0f GFLOP/s 算术只需 %s，"
                     "所以%s决定速度。",
                     dec ? "解码" : "预填充", s->k, by, mc, m->gbs, tm, m->gflops, tc, mem ? "访存" : "算术");
        else
            snprintf(text, sizeof text,
                     "This %s step (s%d) needs %s and %s MACs: at %.0f GB/s it cannot take less than %s; "
                     "at %.0f GFLOP/s its arithmetic needs %s, so %s sets the pace.",
                     dec ? "decode" : "prefill", s->k, by, mc, m->gbs, tm, m->gflops, tc,
                     mem ? "memory" : "arithmetic");
    }
    canvas_wrap(c, r, STYLE_DIM, text);
}

void panel_roofline_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    (void)e;   /* draws both modes: reads them from the App's run */
    const Engine *ec = app_engine_of(a, MODE_CACHE), *er = app_engine_of(a, MODE_RECOMPUTE);
    const Machine m = machine();
    const long cfin = finished(ec), rfin = finished(er);
    int pk, dk;
    panel_prefill_decode_steps(ec, cfin, &pk, &dk);
    const Point pts[3] = {point(ec, pk), point(ec, dk), point(er, rfin >= 1 ? (int)rfin - 1 : -1)};
    char title[96], legend[480];
    snprintf(title, sizeof title, "%s%s", TR(a, "Roofline \u00b7 one CPU thread", "屋顶线 \u00b7 单个 CPU 线程"),
             panel_seq_a_note(a));
    canvas_box(c, r, STYLE_BORDER, title);
    Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w <= 0 || in.h <= 0) return;
    machine_legend(a, &m, legend, sizeof legend);
    /* the sentence takes the last lines; the legend one line, or up to
     * three when it is long (a saved machine, a file it could not use)
     * while the plot keeps 6 rows */
    const int sent_h = in.w >= 100 ? 2 : 3;
    int leg_h = canvas_wrap(NULL, (Rect){in.x, in.y, in.w, 3}, STYLE_DIM, legend);
    if (leg_h > 3) leg_h = 3;
    while (leg_h > 1 && in.h - leg_h - 2 - sent_h < 6) leg_h--;
    canvas_wrap(c, (Rect){in.x, in.y, in.w, leg_h}, STYLE_DIM, legend);
    Plot p;
    p.x = in.x + 6;
    p.w = in.w - 6 - 16;
    p.y = in.y + leg_h;
    p.h = in.h - leg_h - 2 - sent_h;   /* legend, x axis + labels, sentence */
    if (p.w < 16 || p.h < 3) {
        draw_sentence(a, c, (Rect){in.x, in.y + leg_h, in.w, in.h - leg_h}, &m, pts);
        return;
    }
    /* decades covering 0.1 .. 1000 FLOP/B and every point; GFLOP/s from the
     * slope at the left edge to the roof */
    p.xlo = 0.1;
    p.xhi = 1000;
    for (int i = 0; i < 3; i++) {
        while (pts[i].have && pts[i].ai < p.xlo && p.xlo > 1e-6) p.xlo /= 10;
        while (pts[i].have && pts[i].ai > p.xhi && p.xhi < 1e9) p.xhi *= 10;
    }
    p.ylo = pow(10, floor(log10(m.gbs * p.xlo)));
    /* the roof may sit on the top row, and a peak up to 12% above a decade
     * (104.9 GFLOP/s) is drawn there rather than under a decade of nothing */
    p.yhi = pow(10, ceil(log10(m.gflops) - 0.05));
    if (p.yhi <= p.ylo) p.yhi = p.ylo * 10;
    draw_plot(a, c, &p, &m, pts);
    /* key, right of the plot */
    const int kx = p.x + p.w + 1, kw = in.x + in.w - kx;
    int ky = p.y;
    canvas_text(c, kx, ky++, kw, STYLE_DIM, "GFLOP/s \u2191");
    const char *names[3] = {TR(a, "prefill", "预填充"), TR(a, "decode", "解码"), TR(a, "recomp", "重算")};
    const char mark[3] = {'P', 'D', 'R'};
    const int style[3] = {STYLE_CACHE_MODE, STYLE_CACHE_MODE, STYLE_RECOMPUTE_MODE};
    for (int i = 0; i < 3 && ky < p.y + p.h; i++, ky++) {
        canvas_put(c, kx, ky, mark[i], style[i]);
        if (pts[i].have) canvas_textf(c, kx + 2, ky, kw - 2, STYLE_DIM, "%s s%d", names[i], pts[i].k);
        else canvas_text(c, kx + 2, ky, kw - 2, STYLE_DIM, names[i]);
    }
    /* the dotted line: this machine's ridge, where the slope meets the roof;
     * a step left of it is memory-bound here, right of it compute-bound */
    if (m.gbs > 0) {
        /* after a gap when there is room, else on the next line, else
         * beside the x axis: the line is drawn, so its entry is too */
        const int ry = ky + 1 < p.y + p.h ? ky + 1 : ky < p.y + p.h ? ky : p.y + p.h;
        canvas_put(c, kx, ry, c->ascii ? ':' : 0x250A, STYLE_DIM);
        canvas_textf(c, kx + 2, ry, kw - 2, STYLE_DIM, TR(a, "ridge %.2g", "拐点 %.2g"), m.gflops / m.gbs);
        if (ry + 1 < p.y + p.h) canvas_text(c, kx + 2, ry + 1, kw - 2, STYLE_DIM, "FLOP/B");
    }
    canvas_text(c, p.x + p.w + 1, p.y + p.h + 1, kw, STYLE_DIM, "FLOP/B \u2192");
    draw_sentence(a, c, (Rect){in.x, in.y + in.h - sent_h, in.w, sent_h}, &m, pts);
}
