/* panel_vectors: the vector inspector (toggle v) — the actual numbers of
 * the vectors the current operation reads and writes, for the query row
 * shown everywhere (the last row of the step, position t-1) and the
 * selected head, rounded to 2 decimals, each with its shape.
 *
 *   ┌─ Vectors · op 6/23 softmax, layer 0 · pos 12, head 0 ──────────────┐
 *   │name      shape      values (2 decimals)                             │
 *   │scores    (t=13)     -0.41  0.12 ...                                 │
 *   │softmax   (t=13)      0.04  0.07 ...                                 │
 * Which vectors, per operation (x = the residual stream, row t-1):
 *   embed      E[token], P[pos] (not with --rope), x = their sum
 *   LN1, LN2   x, LN(x)
 *   Q/K/V      LN1(x), q, k, v of the head (d_h each; k and v of its K/V head;
 *              with --rope the key before ("pre") and after ("rot") RoPE)
 *   QKᵀ        q of the head, the score row before the mask (t)
 *   mask       the score row before and after the mask (−∞ = masked)
 *   softmax    the masked scores, the weights (sum 1)
 *   ·V         the weights, the head's output (d_h)
 *   out proj   the heads' outputs joined (d), ·Wo (d), x after the residual add
 *   FFN        LN2(x), GELU hidden (F), ·W2 (d), x after the residual add
 *   final LN   x, LNf(x);  logits: LNf(x), logits (V)
 *   token      the logits around the picked one;  append: k and v appended
 *   loss       the logits of the last position (train)
 * Every number is read from the engine's buffers (sim/engine.h), never
 * recomputed. A vector longer than its lines shows a window, each line
 * starting with the index of its first value ("[16]"); the score and
 * weight rows show their last keys, the logits the ones around the top.
 */
#include "ui/panels/panels.h"
#include "ui/panels/probe.h"
#include "ui/style.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { VAL_W = 6, NAME_W = 9, SHAPE_W = 8, INDEX_W = 6 };
enum { VEC_LINES_MAX = 4 };   /* panel_vectors_height: lines asked for a long vector (logits) */
#define OP_COUNT_NONE OP_KIND_COUNT   /* a vector no operation of the layer made (its input) */

static int add_vec(PanelVec *out, int n, int max, const char *name, const char *shape, const float *v, int len,
                   PanelVecAlign align, int focus)
{
    if (n >= max || !v || len <= 0) return n;
    PanelVec *p = &out[n];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->shape, sizeof p->shape, "%s", shape);
    p->v = v;
    p->n = len;
    p->align = align;
    p->focus = focus;
    return n + 1;
}

int panel_vectors_list(const App *a, const Engine *e, PanelVec *out, int max)
{
    if (e->pos == 0) return 0;
    const OpRef op = engine_current_op(e);
    const int d = e->cfg.d_model, dh = config_head_dim(&e->cfg), F = e->cfg.d_ff, V = e->cfg.vocab;
    const int row = e->n - 1, pos = e->t - 1;
    const int h = a->head >= 0 && a->head < e->cfg.n_heads ? a->head : 0;
    const int kvh = config_kv_head(&e->cfg, h);
    const int l = op.layer >= 0 ? op.layer : (a->layer >= 0 && a->layer < e->cfg.n_layers ? a->layer : 0);
    char sd[16], sdh[16], st[16], sf[16], sv[16];
    snprintf(sd, sizeof sd, "(d=%d)", d);
    snprintf(sdh, sizeof sdh, "(dh=%d)", dh);
    snprintf(st, sizeof st, "(t=%d)", e->t);
    snprintf(sf, sizeof sf, "(F=%d)", F);
    snprintf(sv, sizeof sv, "(V=%d)", V);
    const float *x = e->x + (size_t)row * d, *ln = e->a + (size_t)row * d;
    const float *qh = e->q + (size_t)row * d + (size_t)h * dh;
    const float *kr = engine_k_row(e, l, pos), *vr = engine_v_row(e, l, pos);
    const float *kh = kr ? kr + (size_t)kvh * dh : NULL, *vh = vr ? vr + (size_t)kvh * dh : NULL;
    const float *sc = engine_scores_row(e, l, h, row), *w = engine_att_row(e, l, h, row);
    const float *oh = e->att_out + (size_t)row * d + (size_t)h * dh;
    const float *xf = e->xf + (size_t)row * d;
    int lpos = -1, top = 0;
    const float *lg = probe_logits(e, &lpos);   /* the prediction's row, as the Next token panel's; NULL before */
    for (int j = 1; lg && j < V; j++)
        if (lg[j] > lg[top]) top = j;
    char q[24], k[24], v[24], o[24];
    snprintf(q, sizeof q, "q h%d", h);
    snprintf(k, sizeof k, "k h%d", kvh);
    snprintf(v, sizeof v, "v h%d", kvh);
    snprintf(o, sizeof o, "out h%d", h);
    int n = 0;
    if (op.layer >= 0) {
        /* inside a layer: the layer's chain so far, each vector while its
         * buffer still holds it (x changes at the residual adds, a at LN2,
         * proj at the FFN); the current operation's outputs marked */
        const bool ln2 = engine_op_done(e, OP_LN2, l), ffn = engine_op_done(e, OP_FFN, l);
        const bool outp = engine_op_done(e, OP_OUT_PROJ, l), soft = engine_op_done(e, OP_SOFTMAX, l);
#define DONE(kind) engine_op_done(e, kind, l)
#define ADD(K_, nm, shp, ptr, len, al)                                                \
    do {                                                                                \
        const int n0 = n;                                                               \
        n = add_vec(out, n, max, nm, shp, ptr, len, al, 0);                             \
        if (n > n0) out[n0].current = op.kind == (K_);                                \
    } while (0)
        if (!outp) ADD(OP_COUNT_NONE, "x", sd, x, d, VEC_START);
        if (DONE(OP_LN1) && !ln2) ADD(OP_LN1, "LN1(x)", sd, ln, d, VEC_START);
        if (DONE(OP_QKV)) {
            ADD(OP_QKV, q, sdh, qh, dh, VEC_START);
            /* §6.10: the key before RoPE turned it, then as the cache keeps it */
            const float *kraw = e->cfg.rope ? engine_k_unrotated(e, l, pos) : NULL;
            if (kraw && kh) {
                char kp[24], kt[24];
                snprintf(kp, sizeof kp, "k h%d pre", kvh);
                snprintf(kt, sizeof kt, "k h%d rot", kvh);
                ADD(OP_QKV, kp, sdh, kraw + (size_t)kvh * dh, dh, VEC_START);
                ADD(OP_QKV, kt, sdh, kh, dh, VEC_START);
            } else {
                ADD(OP_QKV, k, sdh, kh, dh, VEC_START);
            }
            ADD(OP_QKV, v, sdh, vh, dh, VEC_START);
        }
        if (DONE(OP_SCORES)) ADD(OP_SCORES, "scores", st, sc, e->t, VEC_END);
        if (DONE(OP_MASK)) {
            /* after the softmax the masked row is the scores with −∞ where the rule says no */
            ADD(OP_MASK, "masked", st, soft ? sc : w, e->t, VEC_END);
            if (soft && n) out[n - 1].mask_row = true;
        }
        if (soft) ADD(OP_SOFTMAX, "softmax", st, w, e->t, VEC_END);
        if (DONE(OP_VALUES)) ADD(OP_VALUES, o, sdh, oh, dh, VEC_START);
        if (outp && !ffn) {
            ADD(OP_OUT_PROJ, "\u00b7Wo", sd, e->proj + (size_t)row * d, d, VEC_START);
            ADD(OP_OUT_PROJ, "x+=", sd, x, d, VEC_START);
        }
        if (ln2) ADD(OP_LN2, "LN2(x)", sd, ln, d, VEC_START);
        if (ffn) {
            ADD(OP_FFN, "GELU", sf, e->hidden + (size_t)row * F, F, VEC_START);
            ADD(OP_FFN, "\u00b7W2", sd, e->proj + (size_t)row * d, d, VEC_START);
            ADD(OP_FFN, "x+=", sd, x, d, VEC_START);
        }
#undef ADD
#undef DONE
        return n;
    }
    switch (op.kind) {
    case OP_EMBED:
        n = add_vec(out, n, max, "E[tok]", sd, e->model->tok_emb + (size_t)engine_fed_token(e, pos) * d, d, VEC_START, 0);
        if (e->model->pos_emb)   /* none with --rope: positions enter as rotations of q and k */
            n = add_vec(out, n, max, "P[pos]", sd, e->model->pos_emb + (size_t)pos * d, d, VEC_START, 0);
        n = add_vec(out, n, max, "x", sd, x, d, VEC_START, 0);
        break;
    case OP_LN_FINAL:
        n = add_vec(out, n, max, "x", sd, x, d, VEC_START, 0);
        n = add_vec(out, n, max, "LNf(x)", sd, xf, d, VEC_START, 0);
        break;
    case OP_LOGITS:
        n = add_vec(out, n, max, "LNf(x)", sd, xf, d, VEC_START, 0);
        n = add_vec(out, n, max, "logits", sv, lg, V, VEC_AROUND, top);
        break;
    case OP_PICK:
    case OP_LOSS:
        n = add_vec(out, n, max, "LNf(x)", sd, xf, d, VEC_START, 0);
        n = add_vec(out, n, max, "logits", sv, lg, V, VEC_AROUND, e->picked >= 0 ? e->picked : top);
        break;
    case OP_APPEND:
        /* every layer's K and V rows of the new position go into the cache */
        for (int ll = 0; ll < e->cfg.n_layers; ll++) {
            const float *k2 = engine_k_row(e, ll, pos), *v2 = engine_v_row(e, ll, pos);
            char kn[24], vn[24];
            snprintf(kn, sizeof kn, "L%hu k h%hu", (unsigned short)ll, (unsigned short)kvh);
            snprintf(vn, sizeof vn, "L%hu v h%hu", (unsigned short)ll, (unsigned short)kvh);
            n = add_vec(out, n, max, kn, sdh, k2 ? k2 + (size_t)kvh * dh : NULL, dh, VEC_START, 0);
            n = add_vec(out, n, max, vn, sdh, v2 ? v2 + (size_t)kvh * dh : NULL, dh, VEC_START, 0);
        }
        break;
    default:
        break;
    }
    for (int i = 0; i < n; i++) out[i].current = i == n - 1 || op.kind == OP_APPEND;
    return n;
}

/* The first index of the window of p that `cap` values show. */
static int window_start(const PanelVec *p, int cap)
{
    if (p->n <= cap) return 0;
    int s = 0;
    if (p->align == VEC_END) s = p->n - cap;
    else if (p->align == VEC_AROUND) s = p->focus - cap / 2;
    if (s > p->n - cap) s = p->n - cap;
    return s < 0 ? 0 : s;
}

/* A value as drawn: 2 decimals, masked cells as −∞. */
const char *panel_vectors_fmt(const Canvas *c, const PanelVec *p, int j, char buf[32])
{
    const float x = p->v[j];
    if (isinf(x) && x < 0.0f) snprintf(buf, 32, "%s", c->ascii ? "-inf" : "\u2212\u221e");
    else snprintf(buf, 32, "%.2f", (double)x);
    return buf;
}

int panel_vectors_height(const App *a, const Engine *e, int w)
{
    const int per = (w - 2 - (NAME_W + SHAPE_W + INDEX_W)) / VAL_W;
    if (e->pos == 0 || per < 1) return 5;   /* border, the start hint, a line */
    PanelVec vec[PANEL_VEC_MAX];
    const int nv = panel_vectors_list(a, e, vec, PANEL_VEC_MAX);
    int h = 4;   /* border, heading, note */
    for (int i = 0; i < nv; i++) {
        const int full = (vec[i].n + per - 1) / per;
        h += full < VEC_LINES_MAX ? full : VEC_LINES_MAX;
    }
    return h;
}

void panel_vectors_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    const Rect old = canvas_set_clip(c, rect_intersect(r, c->clip));
    const OpRef op = engine_current_op(e);
    char title[160];
    const char *name = TR(a, "Vectors", "向量");
    const int h = a->head >= 0 && a->head < e->cfg.n_heads ? a->head : 0;
    if (e->pos > 0 && op.layer >= 0)
        snprintf(title, sizeof title, TR(a, "%s \u00b7 %s, layer %d \u00b7 pos %d, head %d",
                                         "%s \u00b7 %s，第 %d 层 \u00b7 第 %d 位，头 %d"),
                 name, a->opt.lang_zh ? op_info(op.kind)->name_zh : op_info(op.kind)->name_en, op.layer, e->t - 1, h);
    else if (e->pos > 0)
        snprintf(title, sizeof title, TR(a, "%s \u00b7 %s \u00b7 pos %d", "%s \u00b7 %s \u00b7 第 %d 位"), name,
                 a->opt.lang_zh ? op_info(op.kind)->name_zh : op_info(op.kind)->name_en, e->t - 1);
    else
        snprintf(title, sizeof title, "%s", name);
    Rect in;
    if (!panel_open(a, e, c, r, title, name, &in)) goto done;
    {
        PanelVec vec[PANEL_VEC_MAX];
        const int nv = panel_vectors_list(a, e, vec, PANEL_VEC_MAX);
        const int labw = NAME_W + SHAPE_W + INDEX_W, per = (in.w - labw) / VAL_W;
        if (per < 1) goto done;
        int y = in.y;
        const int avail = in.h - 2;   /* the heading line and the note */
        canvas_text(c, in.x, y, NAME_W, STYLE_DIM, TR(a, "vector", "向量"));
        canvas_text(c, in.x + NAME_W, y, SHAPE_W, STYLE_DIM, TR(a, "shape", "形状"));
        const char *vh = TR(a, "values, 2 decimals ([i]: index of the first value on the line)",
                            "数值，保留 2 位小数（[i]：本行第一个数的下标）");
        if (canvas_text_width(vh) > in.w - labw) vh = TR(a, "values, 2 decimals", "数值，2 位小数");
        canvas_text(c, in.x + labw, y, in.w - labw, STYLE_DIM, vh);
        y++;
        /* lines: the current operation's vectors whole when they fit, then
         * one line for each earlier vector from the latest back (the
         * earliest are left out first), then more lines for long ones */
        int lines[PANEL_VEC_MAX] = {0}, used = 0, cur_need = 0;
        for (int i = 0; i < nv; i++)
            if (vec[i].current) cur_need += (vec[i].n + per - 1) / per;
        for (int i = 0; i < nv && used < avail; i++)
            if (vec[i].current) {
                const int need = (vec[i].n + per - 1) / per;
                lines[i] = cur_need <= avail ? need : 1;
                used += lines[i];
            }
        for (int i = nv - 1; i >= 0 && used < avail; i--)
            if (!lines[i]) {
                lines[i] = 1;
                used++;
            }
        for (int pass = 0; pass < 2; pass++)
            for (int i = nv - 1; i >= 0; i--) {
                if (!lines[i] || vec[i].current != (pass == 0)) continue;
                const int need = (vec[i].n + per - 1) / per;
                while (lines[i] < need && used < avail) {
                    lines[i]++;
                    used++;
                }
            }
        for (int i = 0; i < nv; i++) {
            if (lines[i] == 0) continue;
            const PanelVec *p = &vec[i];
            const int cap = lines[i] * per, s = window_start(p, cap);
            const int end = s + cap < p->n ? s + cap : p->n;
            canvas_text(c, in.x, y, NAME_W - 1, p->current ? STYLE_HILITE : STYLE_NORMAL, p->name);
            canvas_text(c, in.x + NAME_W, y, SHAPE_W - 1, STYLE_DIM, p->shape);
            for (int j = s; j < end; j++) {
                const int li = (j - s) / per, col = (j - s) % per;
                char buf[32];
                if (col == 0 && (li > 0 || s > 0)) {
                    char ix[16];
                    snprintf(ix, sizeof ix, "[%d]", j);
                    canvas_text(c, in.x + labw - canvas_text_width(ix) - 1, y + li, INDEX_W, STYLE_DIM, ix);
                }
                const bool masked = p->mask_row && !config_visible(&e->cfg, e->t - 1, j);
                panel_vectors_fmt(c, p, j, buf);
                if (masked) snprintf(buf, sizeof buf, "%s", c->ascii ? "-inf" : "\u2212\u221e");
                const int x = in.x + labw + col * VAL_W + VAL_W - canvas_text_width(buf);
                const bool neg = p->v[j] < 0.0f;
                canvas_text(c, x, y + li, -1, masked || isinf(p->v[j]) ? STYLE_MASKED : neg ? STYLE_NEGATIVE : STYLE_NORMAL, buf);
            }
            /* values left out after the window: say so at the line's end */
            if (end < p->n && lines[i] > 0)
                canvas_put(c, in.x + in.w - 1, y + lines[i] - 1, canvas_glyph(c, GLYPH_ELLIPSIS), STYLE_DIM);
            y += lines[i];
        }
        /* what the numbers are, under them */
        const char *note = TR(a, "from the engine's buffers, row t-1 (the query the attention panel shows); { } head, v closes",
                              "取自引擎的缓冲区，第 t-1 行（注意力面板显示的查询）；{ } 换头，v 关闭");
        if (canvas_text_width(note) > in.w)
            note = TR(a, "the engine's own numbers, row t-1; v closes", "引擎自己的数值，第 t-1 行；v 关闭");
        char rn[320];
        bool rope_shown = false;
        for (int i = 0; i < nv; i++) rope_shown |= lines[i] > 0 && strstr(vec[i].name, " pre") != NULL;
        if (rope_shown) {   /* §6.10: what pre and rot mean; the offset bug turns a decode row as pos 0 */
            const int turned = (e->cfg.rope_offset_bug ? 0 : e->p0) + e->n - 1;
            snprintf(rn, sizeof rn, TR(a, "k pre: before RoPE, rot: turned by pos %d (pair i by %d\u00b7\u03b8\u1d62), as the cache keeps it; %s",
                                       "k pre：RoPE 旋转前，rot：按第 %d 位旋转（第 i 对转 %d\u00b7\u03b8\u1d62），缓存存的是它；%s"),
                     turned, turned, note);
            if (canvas_text_width(rn) > in.w)
                snprintf(rn, sizeof rn, TR(a, "k pre/rot: before/after RoPE at pos %d; v closes", "k pre/rot：第 %d 位 RoPE 旋转前/后；v 关闭"), turned);
            note = rn;
        }
        canvas_text(c, in.x, in.y + in.h - 1, in.w, STYLE_DIM, note);
    }
done:
    canvas_set_clip(c, old);
}
