/* panels: each draws one titled box of the screen into a Canvas.
 *
 * A panel reads the App (its Run) and one Engine (const; the engine this
 * instance shows, which panels that show several modes ignore) and draws
 * inside r, its border included; it never changes state and never touches
 * the terminal. Every panel has the one signature PanelDraw and a row in
 * panel_list (panels.c), which is all app_render() and the lesson
 * highlight know about panels.
 * Every panel must cope with any r (down to a few cells: draw what fits,
 * never outside r) and with every engine position (pos 0 = nothing run
 * yet; buffers count only once engine_op_done() says so).
 *
 * Titles (English / Chinese) contain the words the tests look for:
 *   Tokens / 词元, Causal mask / 因果掩码, Attention / 注意力,
 *   KV cache / KV 缓存, Operations / 运算, Pipeline / 流水线,
 *   KV blocks / KV 块, Memory traffic / 访存, Roofline / 屋顶线 (memory view).
 */
#ifndef KVSIM_PANELS_H
#define KVSIM_PANELS_H

#include "ui/app.h"
#include "ui/canvas.h"
#include "ui/layout.h"

#include <stddef.h>

typedef void (*PanelDraw)(const App *a, const Engine *e, Canvas *c, Rect r);

/* Which engine a panel instance shows. */
typedef enum {
    PANEL_VIEW_ENGINE,        /* the view's (cache in the compare and memory views) */
    PANEL_RECOMPUTE_ENGINE,   /* the recompute side of the compare view */
    PANEL_SEQ_ENGINE,         /* the sequence shown (app_shown_engine: Tab in a batch's
                                 KV cache view), else the view's */
} PanelEngine;

/* The panel list: every panel in drawing order, with its place in the
 * Layout (offsetof(Layout, field)) and the lesson `point:` that highlights
 * it (-1: none). A panel is drawn when its rect is not empty; the layout
 * decides which are, per view. Adding a panel: its file, a row here and
 * its declaration below, and its rect in ui/layout.c. */
typedef struct {
    PanelDraw draw;
    size_t rect;
    int point;                /* LessonPoint, or -1 */
    PanelEngine engine;
} PanelEntry;
extern const PanelEntry panel_list[];
extern const int panel_count;

/* Prompt and generated tokens, current position, phase and mode. */
void panel_tokens_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* The t×t causal mask of the selected layer and head. */
void panel_mask_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Presenter mode: the height (<= max_h) the mask wants at width w, its
 * cells as big as they get, with legend and sentence (ui/panels/mask.c). */
int panel_mask_present_h(const App *a, const Engine *e, int w, int max_h);
/* Rows (border included) a box of width w needs for the mask's rows, its
 * legend and its sentence as they stand when this step ends: by t, phase
 * and mode only, so it holds still within a step. 0 before the first op. */
int panel_mask_height(const App *a, const Engine *e, int w);
/* Rows (border included) the Next token box of width w needs to say that
 * a prefill chunk before the last computes no logits. */
int panel_next_none_height(const App *a, int w);
/* The current query row as bars; the full matrix as a heat map. */
void panel_attention_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* K and V rows of the selected layer and head, size and fill. */
void panel_kvcache_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Per-category MACs of this step and cumulative, both modes, measured
 * beside predicted, the ratio. Reads the cache and recompute engines
 * (or the train engine in the train view). */
void panel_ops_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Cumulative MACs per step of both modes, linear or log scale. */
void panel_chart_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Each step's own MACs against the step index: with the cache a line,
 * recomputing a curve (ui/panels/chart.c). */
void panel_chart_step_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Recompute ÷ cache, whole model and layers only, and each mode's step
 * cost as its closed form with the run's numbers substituted; big digits
 * in presenter mode (ui/panels/cost.c). */
void panel_cost_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* The MACs of step k in mode (cache or recompute) as the closed form of
 * spec §4 with this configuration's numbers put in, e.g.
 * "2·(3·8² + 2·9·8 + 8² + 2·8·32) + 8·1,073"; '·' multiplies, '²' squares,
 * ',' groups digits. It evaluates to formulas_step()'s total. */
void cost_formula(const KvConfig *c, RunMode mode, int L, int k, char *buf, size_t len);
/* Step k of e (its plan known) in words with the order of growth of that
 * step's own rows n and length t: "step 0 (prefill), i = 5, O(i·d² + i²·d)",
 * "step 1 (decode), i = 6, O(d² + i·d)", a chunk or a verify step
 * "..., n = 3, t = 9, O(n·d² + n·t·d)"; recompute "step 1, i = 6, ...". */
void cost_step_label(const App *a, const Engine *e, int k, char *buf, size_t len);
/* Where the current operation sits in the step, and one sentence on it. */
void panel_pipeline_draw(const App *a, const Engine *e, Canvas *c, Rect r);

/* Memory view (spec §6.4): the batch's shared block pool as a grid of
 * physical blocks, each sequence's block table, reserved / used / wasted
 * bytes beside a contiguous max-length reservation (ui/panels/pool.c).
 * Without --block-size: how to turn paging on, and the contiguous numbers. */
void panel_pool_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Rows the pool panel shows everything in at width w (its border included). */
int panel_pool_height(const App *a, int w);
/* Memory view (spec §6.5): bytes read and written by this step of cache and
 * recompute, FLOPs and arithmetic intensity; prefill vs decode intensity on
 * a log scale against an accelerator's balance point (ui/panels/traffic.c). */
void panel_traffic_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* The accelerator whose balance point the traffic panel marks: H100 SXM,
 * dense bf16 989 TFLOP/s over 3.35 TB/s of HBM3 = 295 FLOP/byte. */
#define PANEL_BALANCE_NAME "H100 bf16"
#define PANEL_BALANCE_TFLOPS 989.0
#define PANEL_BALANCE_TBPS 3.35

/* Memory view (issue 15): this step's prefill, decode and recompute points
 * on a CPU roofline, log-log, and the decode step's bounds in a sentence
 * (ui/panels/roofline.c). The machine is KVSIM_MACHINE="GBS,GFLOPS" when
 * set, else the file `kvsim bench --save-machine` wrote
 * (ui/machine_file.h), else the fixed reference below, so that screens do
 * not depend on the machine that draws them unless asked to. */
void panel_roofline_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* The roofline's rect, taken from the bottom of the traffic panel's when
 * that is tall enough (side by side, >= 140 columns, and high), else an
 * empty rect; *traffic keeps the rest. */
Rect panel_roofline_carve(Rect *traffic);
/* The reference machine: the project's 2-vCPU guest, now a Zen 5 (AMD
 * EPYC, CPU family 26, model 2), one thread, as `kvsim bench --shape
 * d288-T256 --no-ui` measured it on 2026-12-03 in five quiet runs between
 * other helpers' builds (load average under 0.5, others_busy near 0):
 * read sweeps over d288-T256's 19.8 MB of weights of 71-96 GB/s, median
 * 77; peaks of separate vector multiplies and adds of 99-104 GFLOP/s,
 * median 103. Each the median rounded to a multiple of 5; the runs are in
 * docs/performance.md §8. */
#define PANEL_ROOF_NAME "reference 2-vCPU Zen 5"
#define PANEL_ROOF_NAME_ZH "参考机 2 vCPU Zen 5"
#define PANEL_ROOF_GBS 75.0
#define PANEL_ROOF_GFLOPS 105.0
#define PANEL_ROOF_TRAFFIC_H 12   /* rows the traffic panel keeps */
#define PANEL_ROOF_MIN_H 12       /* the roofline's smallest height */
#define PANEL_ROOF_MAX_H 20

/* The Next token panel: top-k probabilities after softmax of this step's
 * logits, with bars, the chosen token marked (ui/panels/nexttoken.c). */
void panel_next_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Train view: the cross-entropy at every position and the mean (ui/panels/loss.c). */
void panel_loss_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* All heads (A): every layer × head's attention row for the current query
 * as a heat strip, previous-token and induction heads tagged (ui/panels/heads.c). */
void panel_heads_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Rows the overview needs at width w (every strip, the gaps, the legend). */
int panel_heads_height(const App *a, int w);
/* Vector inspector (v): the numbers of the vectors the current operation
 * reads and writes, for the selected head (ui/panels/vectors.c). */
void panel_vectors_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Rows the inspector needs at width w for the current operation: each
 * vector whole (a long one, the logits, 4 lines), the heading and note. */
int panel_vectors_height(const App *a, const Engine *e, int w);
/* One vector the inspector shows: a pointer into the engine's buffers. */
typedef enum { VEC_START, VEC_END, VEC_AROUND } PanelVecAlign;   /* the window of a long one */
typedef struct {
    char name[24], shape[24];   /* "q h0", "(dh=4)" */
    const float *v;             /* (n) the engine's numbers */
    int n;
    PanelVecAlign align;
    int focus;                  /* VEC_AROUND: the index the window centres on */
    bool mask_row;              /* a score row drawn with −∞ where the rule masks */
    bool current;               /* made by the operation on screen */
} PanelVec;
#define PANEL_VEC_MAX 16
/* The vectors of the current operation (the list in vectors.c), at most
 * max; returns how many. */
int panel_vectors_list(const App *a, const Engine *e, PanelVec *out, int max);
/* Value j of p as drawn ("0.42", "-1.07", "−∞"). */
const char *panel_vectors_fmt(const Canvas *c, const PanelVec *p, int j, char buf[32]);
/* The rects that depend on the App's toggles, after layout_compute():
 * Next token / Loss carved from the KV cache panel (cache, recompute and
 * train views, from 17 rows of it; in the train view Loss takes the whole
 * KV cache rect below that), All heads in the attention panel's place (A),
 * and the inspector over the middle and Operations rows (v). Outside
 * lessons and the memory view only. (ui/panels/panels.c) */
void panels_arrange(const App *a, Layout *lo);

/* The lesson pane: narration, question, feedback (lesson mode only). */
void panel_lesson_draw(const App *a, const Engine *e, Canvas *c, Rect r);
/* Lines the narration needs at inner width w. */
int panel_lesson_text_lines(const App *a, int w);
/* Narration lines hidden below the pane at rect r (its border included),
 * as panel_lesson_draw() lays it out: > 0 when PgDn has more to show;
 * *text_h gets the lines the narration has on screen. */
int panel_lesson_hidden_below(const App *a, Rect r, int *text_h);

/* Shared helpers for panels (ui/panels/util.c). */
/* " · A" for the title of a panel that compares modes (operations, charts,
 * cost, memory traffic, roofline) in a batch: those panels show sequence A,
 * the one the recompute engine shadows, whatever Tab shows beside them;
 * "" when one prompt runs. */
const char *panel_seq_a_note(const App *a);
/* The closed form of engine e's step k: spec §4's, or with --chunk /
 * --speculate that of the rows the step's plan covers (§6.7, §6.9). The
 * Operations panel and the charts predict with it. */
void panel_step_prediction(const Engine *e, int k, OpCounts *p);
/* The recompute steps [*j0, *j1) that emit the tokens cache step k of c
 * emits, as run_seek pairs the two engines: step k without a plan; with
 * --chunk none for a chunk before the last (*j0 == *j1) and one after;
 * with --speculate 1 + accepted. The charts put them at x = k. */
void panel_recompute_steps(const Engine *c, int k, int *j0, int *j1);
/* The cache steps that pictures of "the prefill" and "a decode step" show
 * after `finished` whole steps of e: *prefill = the last prefill step done
 * (with --chunk the last chunk so far; step 0 before any is done), and
 * *decode = the last step done when it is a decode step, else -1. */
void panel_prefill_decode_steps(const Engine *e, long finished, int *prefill, int *decode);

/* A panel's box: clears r, draws its border titled `title` (the short
 * `name` when the title does not fit), sets *in to the inside. False when
 * there is nothing more to draw: no inside, or nothing run yet (then the
 * start hint is drawn). */
bool panel_open(const App *a, const Engine *e, Canvas *c, Rect r, const char *title, const char *name, Rect *in);
/* The key header of a grid: the keys j0 .. j1-1 of e's step (the tokens
 * their rows were computed from, engine_fed_token) one every cw columns from x
 * (key hi highlighted). A digit or a sign (a key that would read as a
 * number, '2', '.') is quoted in the gaps beside it when the cells have
 * gaps (cw >= 2), no key is wide and no two quoted keys would share a
 * quote; else every key shows as its
 * position's last digit. True when it numbered the keys (the caller says
 * so, e.g. "q\#" in the corner). */
bool panel_key_header(const App *a, Canvas *c, int x, int y, const Engine *e, int j0, int j1, int cw, int hi);
/* "press → to start" (n in ASCII mode), dim, for a panel at pos 0 */
void panel_start_hint(const App *a, Canvas *c, Rect inner);
/* 1234567 -> "1,234,567" */
const char *fmt_count(uint64_t v, char buf[32]);
/* Compact: 1234567 -> "1.23M", 12345 -> "12.3k", 999 -> "999" */
const char *fmt_short(uint64_t v, char buf[32]);
/* Head label for titles: "H1", or with grouped-query attention the group
 * the query head shares its K/V head with: "H1 · K/V 0 of H0-1" */
const char *fmt_head(const App *a, const Engine *e, int head, char buf[64]);
/* The character of token id (UTF-8, 5 bytes incl. NUL); space shown as '␣' */
const char *fmt_token(const App *a, int id, char buf[8]);
/* The same, quoted when it could be read as a number or a sign: digits,
 * the space and ASCII punctuation ("'2'", "'␣'", "'-'"); letters and
 * Chinese characters as they are. For labels beside numbers. */
const char *fmt_token_quoted(const App *a, int id, char buf[16]);

#endif
