/* ops (private): what the Operations panel's two files share. ops.c
 * measures both modes and lays the numbers out as a table; ops_legend.c
 * writes the lines around the table: the status line under it, the note
 * on the bottom border and the ×QKᵀ entry on the top border. Nothing
 * outside the panel includes this header.
 *
 * Invariant: the ×QKᵀ row (tall box) or column (short box) is on screen
 * only together with its entry on the top border; a box whose top border
 * cannot hold any wording of the entry does not show the row or column.
 */
#ifndef KVSIM_UI_PANELS_OPS_H
#define KVSIM_UI_PANELS_OPS_H

#include "ui/panels/panels.h"
#include "ui/panels/table.h"

#include <stdbool.h>
#include <stdint.h>

/* rows after the six categories: RoPE's rotations (§6.10; a row only with
 * --rope), the total (rotations included), QKᵀ work on masked cells */
enum { R_ROPE = CAT_COUNT, R_TOTAL, R_MASKED, N_VALS };

typedef struct { uint64_t v[N_VALS]; } Vals;

typedef struct { Vals meas, pred; TableMark mark[N_VALS]; } Measure;

/* One engine at the step on screen: its steps [j0, j1). The cache's (and
 * the train engine's) own step k; for recompute the steps that emit the
 * tokens cache step k emits (panel_recompute_steps, as run_seek, the charts
 * and the border ratio pair them): with --speculate 1 + accepted of them,
 * with --chunk none for a chunk before the last. */
typedef struct {
    int k;                 /* the step on screen (the cache's) */
    int j0, j1;            /* this engine's steps that pair with it */
    int n0, n1;            /* rows of step j0 and of step j1 - 1 */
    bool started, complete;
    bool none;             /* no step of this engine pairs with step k (j0 == j1) */
    Measure step, cum;
} Side;

/* The top border: the panel's title (a shorter variant may stand in for
 * it so the ×QKᵀ entry fits) and the entry, right-aligned. */
typedef struct {
    Rect box;               /* the panel's box */
    const char *title[2];   /* the title; a shorter one or NULL */
    int pick;               /* the title drawn: 0 or 1 */
    char entry[192];        /* "×QKᵀ: …" (key = the label on screen), or "" */
} OpsTop;

/* One line at the bottom of `in`: what the marks mean right now (s: ns
 * sides; checked: how many counters were compared). */
void ops_status_line(const App *a, Canvas *c, Rect in, const Side *s, int ns, int checked);
/* Text on the bottom border of r: lng when it fits, else shrt. */
void ops_border_note(Canvas *c, Rect r, const char *lng, const char *shrt);
/* The ×QKᵀ entry for the row or column labelled `key`: the longest
 * wording that fits beside a title (the full one first). Fills t->entry and
 * t->pick; false (entry "") when none fits. */
bool ops_masked_entry(const App *a, const char *key, OpsTop *t);
/* The box, its title and the entry. */
void ops_top_draw(Canvas *c, const OpsTop *t);

#endif
