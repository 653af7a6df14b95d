/* panel_util: number and token formatting shared by the panels. */
#include "ui/panels/panels.h"
#include "ui/style.h"

#include "sim/formulas.h"
#include "sim/tokenizer.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *fmt_count(uint64_t v, char buf[32])
{
    return counts_group(v, buf);
}

const char *fmt_short(uint64_t v, char buf[32])
{
    static const char units[] = "kMGTPE";
    if (v < 10000) {
        snprintf(buf, 32, "%llu", (unsigned long long)v);
        return buf;
    }
    double x = (double)v;
    int u = -1;
    /* 999.5k would print as "1000k": round up into the next unit instead */
    while (x >= 999.5 && u < 5) {
        x /= 1000.0;
        u++;
    }
    snprintf(buf, 32, x < 10 ? "%.2f%c" : x < 100 ? "%.1f%c" : "%.0f%c", x, units[u]);
    return buf;
}

const char *fmt_token(const App *a, int id, char buf[8])
{
    if (id == 0 && !a->opt.ascii) {   /* id 0 is the space: make it visible */
        strcpy(buf, "\u2423");
        return buf;
    }
    if (id == 0) {
        strcpy(buf, "_");
        return buf;
    }
    if (tokenizer_decode(id, buf) == 0) strcpy(buf, "?");
    return buf;
}

const char *fmt_head(const App *a, const Engine *e, int head, char buf[64])
{
    const int H = e->cfg.n_heads, Hkv = e->cfg.n_kv_heads;
    if (Hkv <= 0 || Hkv >= H) {
        snprintf(buf, 64, "H%d", head);
        return buf;
    }
    /* query heads first .. first+group-1 read the same K/V head (spec 6.2) */
    const int group = config_kv_group(&e->cfg), kv = config_kv_head(&e->cfg, head), first = kv * group;
    if (Hkv == 1)
        snprintf(buf, 64, TR(a, "H%d \u00b7 one K/V for all %d", "H%d \u00b7 %d 头共用一组 K/V"), head, H);
    else
        snprintf(buf, 64, TR(a, "H%d \u00b7 K/V %d of H%d-%d", "H%d \u00b7 K/V %d 供 H%d-%d"), head, kv, first,
                 first + group - 1);
    return buf;
}

const char *fmt_token_quoted(const App *a, int id, char buf[16])
{
    char raw[8];
    fmt_token(a, id, raw);
    /* printable ASCII that is not a letter: digits, the space, punctuation */
    const unsigned char ch = (unsigned char)raw[0];
    const bool plain = raw[1] == '\0' && ch >= 0x21 && ch < 0x7F &&
                       !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
    if (plain || id == 0) snprintf(buf, 16, "'%s'", raw);
    else snprintf(buf, 16, "%s", raw);
    return buf;
}

const char *panel_seq_a_note(const App *a)
{
    return a->n_seqs > 1 ? TR(a, " \u00b7 A", " \u00b7 序列 A") : "";
}

void panel_start_hint(const App *a, Canvas *c, Rect inner)
{
    canvas_wrap(c, inner, STYLE_DIM,
                c->ascii ? TR(a, "press n to start", "按 n 开始") : TR(a, "press \u2192 to start", "按 \u2192 开始"));
}

void panel_step_prediction(const Engine *e, int k, OpCounts *p)
{
    const StepPlan *pl = e->planned ? engine_plan(e, k) : NULL;
    if (!pl) {
        formulas_step(&e->cfg, e->mode, e->L, k, p);
        return;
    }
    /* §6.7, §6.9: the rows the step's plan covers; logits for the last
     * chunk's row and for every verified row */
    formulas_block(&e->cfg, pl->p0, pl->n, k < e->n_chunks - 1 ? 0 : 1 + pl->drafted, p);
}

void panel_recompute_steps(const Engine *c, int k, int *j0, int *j1)
{
    const StepPlan *p = c->planned ? engine_plan(c, k) : NULL;
    if (!p) {
        *j0 = k, *j1 = k + 1;
        return;
    }
    /* tokens held before step k and before step k + 1 (a plan's emitted
     * is 0 until the step's pick ran; the next step's tok0 is known) */
    const StepPlan *q = engine_plan(c, k + 1);
    *j0 = p->tok0 - c->L;
    *j1 = (q ? q->tok0 : c->L + c->G) - c->L;
}

bool panel_open(const App *a, const Engine *e, Canvas *c, Rect r, const char *title, const char *name, Rect *in)
{
    canvas_fill(c, r, ' ', STYLE_NORMAL);
    canvas_box(c, r, STYLE_BORDER, canvas_text_width(title) <= r.w - 6 ? title : name);
    *in = (Rect){r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in->w <= 0 || in->h <= 0) return false;
    if (e->pos == 0) {
        panel_start_hint(a, c, *in);
        return false;
    }
    return true;
}

/* A key the header would show bare although it reads as a number or a mark. */
static bool key_quoted(const App *a, int id)
{
    char raw[8], q[16];
    return id != 0 && strcmp(fmt_token(a, id, raw), fmt_token_quoted(a, id, q)) != 0;
}

bool panel_key_header(const App *a, Canvas *c, int x, int y, const Engine *e, int j0, int j1, int cw, int hi)
{
    bool quoted = false, wide = false, shared = false;   /* shared: two quoted keys side by side in 2-column cells */
    char tok[16];
    for (int j = j0; j < j1; j++) {
        const bool q = key_quoted(a, engine_fed_token(e, j));
        shared |= q && j > j0 && cw < 3 && key_quoted(a, engine_fed_token(e, j - 1));
        quoted |= q;
        wide |= canvas_text_width(fmt_token(a, engine_fed_token(e, j), tok)) > 1;
    }
    const bool index = quoted && (cw < 2 || wide || shared);
    for (int j = j0; j < j1; j++) {
        const int kx = x + (j - j0) * cw, st = j == hi ? STYLE_HILITE : STYLE_NORMAL;
        if (index) {
            canvas_put(c, kx, y, '0' + j % 10, st);
            continue;
        }
        canvas_text(c, kx, y, wide ? 2 : 1, st, fmt_token(a, engine_fed_token(e, j), tok));
        if (key_quoted(a, engine_fed_token(e, j))) {
            canvas_put(c, kx - 1, y, '\'', st);
            canvas_put(c, kx + 1, y, '\'', st);
        }
    }
    return index;
}

void panel_prefill_decode_steps(const Engine *e, long finished, int *prefill, int *decode)
{
    const long chunks = e->n_chunks > 0 ? e->n_chunks : 1;
    *prefill = finished >= 1 ? (int)((finished < chunks ? finished : chunks) - 1) : 0;
    *decode = finished - 1 >= chunks ? (int)finished - 1 : -1;
}
