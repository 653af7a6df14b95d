/* panel_pipeline: where the current operation sits in a step, and one
 * sentence on what it does here, in this mode, with this run's numbers.
 *
 * Row 1 is the chain of operations, the layer block drawn once with "×Lyr";
 * the current one is [bracketed] and reversed, done ones plain, coming ones
 * dim. The chain squeezes (short names, tight arrows) before it scrolls.
 * Row 2+ is the sentence, wrapped. Every number in it is computed from the
 * engine's geometry (n, t, d, H, F, V), so it matches the Operations panel.
 */
#include "ui/panels/panels.h"
#include "ui/panels/probe.h"
#include "ui/style.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the chain ------------------------------------------------------------- */


/* Draw (or, with c NULL, only measure) one piece; returns its width. */
static int piece(Canvas *c, int x, int y, int style, const char *text)
{
    return c ? canvas_text(c, x, y, -1, style, text) : canvas_text_width(text);
}

/* Walk the chain of this mode, drawing at x - off (c NULL: measure only).
 * Returns the width; *cur_x gets the column where the current op starts. */
static int chain(const App *a, const Engine *e, Canvas *c, int x, int y, int off, int lvl,
                 int *cur_x)
{
    const OpRef cur = engine_current_op(e);
    const int sht = lvl >= 3 ? 2 : lvl >= 1;
    const char *sep = lvl >= 2 ? "\u2192" : " \u2192 ";
    if (c && c->ascii) sep = lvl >= 2 ? ">" : " > ";
    int col = 0, cur_i = -1;
    if (cur.kind != OP_KIND_COUNT) cur_i = cur.kind;
    *cur_x = 0;
    /* one entry per kind of the op table (sim/ops.h), the layer block once */
    for (int i = 0; i < OP_KIND_COUNT; i++) {
        const OpKind k = (OpKind)i;
        const OpInfo *o = op_info(k);
        if (!op_in_mode(k, e->mode)) continue;
        char buf[48];
        if (i > 0) col += piece(c, x + col - off, y, STYLE_DIM, sep);
        if (k == OP_LN1) col += piece(c, x + col - off, y, STYLE_DIM, "(");   /* the layer block */
        const char *const *nms = a->opt.lang_zh ? o->chain_zh : o->chain_en;
        const char *nm = nms[sht] ? nms[sht] : nms[1];
        int st = cur_i < 0 || i > cur_i ? STYLE_DIM : STYLE_NORMAL;
        if (i == cur_i) {
            snprintf(buf, sizeof buf, "[%s]", nm);
            *cur_x = col;
            st = STYLE_HILITE;
        } else {
            snprintf(buf, sizeof buf, "%s", nm);
        }
        col += piece(c, x + col - off, y, st, buf);
        if (k == OP_FFN) {
            snprintf(buf, sizeof buf, ")\u00d7%d", e->cfg.n_layers);
            col += piece(c, x + col - off, y, STYLE_DIM, buf);
        }
    }
    if (e->mode == MODE_RECOMPUTE)
        col += piece(c, x + col - off, y, STYLE_REDONE,
                     lvl >= 2 ? TR(a, " (nothing kept)", "（不保留）") : TR(a, "  (nothing kept)", "（不保留）"));
    return col;
}

static void draw_chain(const App *a, const Engine *e, Canvas *c, Rect in)
{
    int lvl = 0, w = 0, cx;
    for (; lvl < 4; lvl++) {
        w = chain(a, e, NULL, 0, 0, 0, lvl, &cx);
        if (w <= in.w) break;
    }
    if (lvl == 4) lvl = 3;
    int off = 0;
    if (w > in.w) {   /* still too wide: scroll so the current op is near the middle */
        chain(a, e, NULL, 0, 0, 0, lvl, &cx);
        off = cx - in.w / 3;
        if (off > w - in.w) off = w - in.w;
        if (off < 0) off = 0;
    }
    Rect line = {in.x, in.y, in.w, 1};
    Rect old = canvas_set_clip(c, rect_intersect(c->clip, line));
    chain(a, e, c, in.x, in.y, off, lvl, &cx);
    canvas_set_clip(c, old);
    const int32_t ell = canvas_glyph(c, GLYPH_ELLIPSIS);
    if (off > 0) canvas_put(c, in.x, in.y, ell, STYLE_DIM);
    if (off + in.w < w) canvas_put(c, in.x + in.w - 1, in.y, ell, STYLE_DIM);
}

/* ---- the sentence -------------------------------------------------------- */

typedef struct {
    char s[512];
    size_t len;
} Buf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void add(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s + b->len, sizeof b->s - b->len, fmt, ap);
    va_end(ap);
    if (n > 0) b->len += (size_t)n < sizeof b->s - b->len ? (size_t)n : sizeof b->s - b->len - 1;
}

typedef struct {
    const App *a;
    const Engine *e;
    int n, t, p0, d, H, dh, F, V, Lyr, kv, k;
    bool dec, rec, train, pre;   /* decode, recompute, train, prefill */
} Geo;

/* English plural ending; Chinese has none (pass TR(a, PL(n), "")). */
#define PL(n) ((n) == 1 ? "" : "s")

/* "0-10", or "0" for a single position */
static const char *range(char *buf, size_t n, int lo, int hi)
{
    if (hi > lo) snprintf(buf, n, "%d-%d", lo, hi);
    else snprintf(buf, n, "%d", lo);
    return buf;
}

/* "each of the 11 rows (d = 8)" / "the one new row (pos 14, d = 8)" */
static const char *rows_phrase(const Geo *g, char *buf, size_t n)
{
    if (g->n == 1)
        snprintf(buf, n, g->dec ? TR(g->a, "the one new row (pos %d, d = %d)", "唯一的新行（第 %d 位，d = %d）")
                                : TR(g->a, "the only row (pos %d, d = %d)", "唯一的一行（第 %d 位，d = %d）"),
                 g->p0, g->d);
    else
        snprintf(buf, n, TR(g->a, "each of the %d rows (d = %d)", "全部 %d 行（d = %d）"), g->n, g->d);
    return buf;
}

/* Cells of the n×t block in the future of their query row, per head. */
static long long future_cells(const Geo *g)
{
    long long f = 0;
    for (int i = 0; i < g->n; i++) f += g->t - 1 - (g->p0 + i);
    return f;
}

static void attention_sentence(const Geo *g, OpKind k, Buf *b, Buf *x)
{
    const App *a = g->a;
    char m[32], w[32];
    /* columns computed: every key, or the last W of a windowed decode row */
    const int klo = g->e->k_lo, cols = g->t - klo;
    const unsigned long long blk = (unsigned long long)g->n * (unsigned long long)cols * (unsigned long long)g->d;
    const long long fut = future_cells(g);
    fmt_count(blk, m);
    fmt_count((unsigned long long)fut * (unsigned long long)g->dh * (unsigned long long)g->H, w);
    if (k == OP_SCORES) {
        if (g->dec)
            add(b, TR(a, "new query (pos %d) × keys %d-%d: %d × %d = %s MACs/layer, no mask.",
                      "新查询（第 %d 位）× 第 %d-%d 位的键：%d×%d = %s 次乘加/层，无需掩码。"),
                g->p0, klo, g->t - 1, cols, g->d, m);
        else if (g->rec && g->k > 0)
            add(b, TR(a, "all %d×%d scores again (%s MACs/layer); only row %d is new.",
                      "再次算出全部 %d×%d 个分数（%s 次乘加/层）；只有第 %d 行是新的。"),
                g->n, g->t, m, g->t - 1);
        else
            add(b, TR(a, "all %d×%d scores at once (%s MACs/layer); %lld will be masked.",
                      "一次算出全部 %d×%d 个分数（%s 次乘加/层）；其中 %lld 个将被掩码。"),
                g->n, g->t, m, fut);
        if (g->rec && g->k > 0)
            add(x, TR(a, " The mask will hide %lld future cell%s.", "将有 %lld 个未来格%s被掩码。"), fut, TR(a, PL(fut), ""));
    } else if (k == OP_MASK) {
        if (fut == 0)
            add(b, "%s", TR(a, "the one query is the newest position: nothing to mask, 0 MACs wasted.",
                            "唯一的查询就是最新位置：没有可掩码的格，不浪费乘加。"));
        else
            add(b, TR(a, "causal mask hides %lld future cell%s/head; %s MACs/layer wasted.",
                      "每个头有 %lld 个未来格%s被掩码；浪费 %s 次乘加/层。"),
                fut, TR(a, PL(fut), ""), w);
        if (g->train) add(x, "%s", TR(a, " So position i cannot peek at token i+1.", "位置 i 看不到词元 i+1。"));
        else if (fut) add(x, "%s", TR(a, " A dense kernel computes them anyway.", "稠密计算照算不误。"));
    } else if (k == OP_SOFTMAX) {
        if (g->n == 1)
            add(b, TR(a, "softmax turns the row of %d scores into weights that sum to 1.",
                      "softmax 把这一行 %d 个分数变成和为 1 的权重。"), g->t);
        else
            add(b, TR(a, "softmax turns each of the %d rows into weights summing to 1.",
                      "softmax 把 %d 行分数各自变成和为 1 的权重。"), g->n);
        if (fut) add(x, "%s", TR(a, " Masked cells get weight 0.", "被掩码的格权重为 0。"));
    } else {   /* OP_VALUES */
        if (g->dec)
            add(b, TR(a, "the weights mix all %d cached V rows: %d × %d = %s MACs/layer.",
                      "权重混合缓存中全部 %d 行 V：%d×%d = %s 次乘加/层。"),
                g->t, g->t, g->d, m);
        else
            add(b, TR(a, "%d rows each mix the V rows: %d×%d×%d = %s MACs/layer.",
                      "%d 行各自加权混合 V 行：%d×%d×%d = %s 次乘加/层。"),
                g->n, g->n, g->t, g->d, m);
        if (fut) add(x, "%s", TR(a, " Masked weights are 0 but still multiplied.", "被掩码的权重为 0，照样相乘。"));
        else add(x, "%s", TR(a, " The result is one output row.", "得到一个输出行。"));
    }
}

/* Heads in words (probe_head_pattern's rule, docs/user-guide.md): once
 * this layer's softmax ran, an induction head of the layer (else a
 * previous-token head) at the current query, in place of the detail. */
static void heads_sentence(const Geo *g, Buf *x)
{
    const App *a = g->a;
    const Engine *e = g->e;
    const int l = engine_current_op(e).layer;
    HeadPattern best = {HEAD_NONE, -1, -1, 0.0};
    int bh = -1;
    for (int h = 0; h < g->H; h++) {
        const HeadPattern p = probe_engine_head(e, l, h);
        if (p.kind != HEAD_NONE && (bh < 0 || (p.kind == HEAD_INDUCTION && best.kind != HEAD_INDUCTION))) {
            best = p;
            bh = h;
        }
    }
    if (bh < 0) return;
    char tok[8];
    x->len = 0;
    x->s[0] = '\0';
    if (best.kind == HEAD_INDUCTION)
        add(x, TR(a, " Head %d.%d looks back at position %d, the token after the earlier '%s' (weight %.2f): an induction head.",
                  "头 %d.%d 回看第 %d 位，即前面那个“%s”之后的词元（权重 %.2f）：归纳头。"),
            l, bh, best.target, fmt_token(a, e->tokens[best.source], tok), best.weight);
    else
        add(x, TR(a, " Head %d.%d looks at the previous position %d (weight %.2f): a previous-token head.",
                  "头 %d.%d 看向前一个位置第 %d 位（权重 %.2f）：前一词元头。"),
            l, bh, best.target, best.weight);
}

static void tail_sentence(const Geo *g, OpKind k, Buf *b, Buf *x)
{
    const App *a = g->a;
    const Engine *e = g->e;
    char m[32], tok[8];
    if (k == OP_LN_FINAL) {
        if (g->train)
            add(b, TR(a, "final LayerNorm at all %d position%s: each predicts its next token.",
                      "对全部 %d 个位置%s做最终 LayerNorm：每个位置都预测下一个词元。"), g->n, TR(a, PL(g->n), ""));
        else
            add(b, TR(a, "final LayerNorm of the last position only (pos %d).",
                      "只对最后一个位置（第 %d 位）做最终 LayerNorm。"), g->t - 1);
        if (!g->train) add(x, "%s", TR(a, " Only it predicts the next token.", "只有它预测下一个词元。"));
    } else if (k == OP_LOGITS) {
        const int rows = g->train ? g->n : 1;
        fmt_count((unsigned long long)rows * (unsigned long long)g->d * (unsigned long long)g->V, m);
        if (g->train)
            add(b, TR(a, "logits at all %d position%s: %d·%d·%d = %s MACs.",
                      "全部 %d 个位置%s的 logits：%d·%d·%d = %s 次乘加。"), g->n, TR(a, PL(g->n), ""), g->n, g->d, g->V, m);
        else
            add(b, TR(a, "logits: pos %d × Wout (%d×%d) = %s MACs, one per token.",
                      "logits：第 %d 位 × Wout（%d×%d）= %s 次乘加，每个词元一个分数。"),
                g->t - 1, g->d, g->V, m);
        if (g->train) add(x, "%s", TR(a, " Each is scored against the true next token.", "各自与真实的下一个词元比较。"));
    } else if (k == OP_PICK) {
        fmt_token(a, e->picked >= 0 ? e->picked : 0, tok);
        /* its probability: softmax of this step's logits (ui/panels/probe.h) */
        int lpos;
        ProbeTok top;
        const float *z = probe_logits(e, &lpos);
        const double p = z && probe_topk(z, g->V, 1, &top) == 1 ? top.p : NAN;
        add(b, TR(a, "greedy pick: '%s' has the top logit, p = %.2f; generated token %d, at pos %d.",
                  "贪心选词：“%s”的 logit 最高，概率 p = %.2f；它是第 %d 个生成的词元，位于第 %d 位。"),
            tok, p, g->k + 1, g->t);
        if (g->rec && g->k + 1 < e->n_steps)
            add(x, TR(a, " Nothing is kept: the next step recomputes all %d positions.",
                      "什么都不保留：下一步要重算全部 %d 个位置。"), g->t + 1);
        else
            add(x, "%s", TR(a, " Autoregressive: it is the next step's input.", "自回归：它就是下一步的输入。"));
    } else if (k == OP_APPEND) {
        char rg[24];
        fmt_count(engine_kv_bytes(e), m);
        /* rows held: all t, or the last W of a window's ring */
        const int held = kvcache_held(&e->cache);
        if (e->drafted > 0) {   /* a verify step (§6.9): all rows appended, the rejected rolled back */
            const int back = e->drafted - (e->accepted > 0 ? e->accepted : 0);
            add(b, TR(a, "K/V of pos %s appended, %d rejected draft row%s rolled back: %d rows, %s B.",
                      "第 %s 位的 K/V 追加进缓存，回滚 %d 个被拒草稿行%s：共 %d 行，%s 字节。"),
                range(rg, sizeof rg, g->p0, g->t - 1), back, TR(a, PL(back), ""), held, m);
            add(x, TR(a, " The next step starts at pos %d.", "下一步从第 %d 位开始。"), e->n_tokens - 1);
        } else {
            if (g->pre)
                add(b, TR(a, "K/V of pos %s kept in all layers: 2·%d·%d·%d·4 = %s B.",
                          "每层第 %s 位的 K/V 存入 KV 缓存：2·%d·%d·%d·4 = %s 字节。"),
                    range(rg, sizeof rg, 0, g->t - 1), g->Lyr, held, g->kv, m);
            else
                add(b, TR(a, "K/V of pos %d appended: %d rows, 2·%d·%d·%d·4 = %s B.",
                          "第 %d 位的 K/V 追加进缓存：共 %d 行，2·%d·%d·%d·4 = %s 字节。"),
                    g->t - 1, held, g->Lyr, held, g->kv, m);
            if (g->pre && e->step < e->n_chunks - 1)   /* a chunk (§6.7): the next one goes on */
                add(x, TR(a, " The next chunk starts at pos %d.", "下一块从第 %d 位开始。"), g->t);
            else if (g->pre) add(x, "%s", TR(a, " Decoding can start.", "可以开始解码了。"));
            else add(x, TR(a, " The next step computes only pos %d.", "下一步只算第 %d 位。"), g->t);
        }
    } else {   /* OP_LOSS */
        if (isnan(e->loss))
            add(b, "%s", TR(a, "a 1-token prompt has no next-token target, so no loss.",
                            "只有 1 个词元的提示词没有“下一个词元”目标，因此没有损失。"));
        else
            add(b, TR(a, "mean cross-entropy over %d next-token targets = %.3f.",
                      "在 %d 个“下一个词元”目标上的平均交叉熵 = %.3f。"), g->n - 1, e->loss);
        add(x, "%s", TR(a, " No token is generated, no cache kept.", "不生成词元，也不保留缓存。"));
    }
}

static void body_sentence(const Geo *g, OpKind k, Buf *b, Buf *x)
{
    const App *a = g->a;
    const Engine *e = g->e;
    char m[32], f[48], rows[64], tok[8];
    const unsigned long long n = (unsigned long long)g->n, d = (unsigned long long)g->d;
    switch (k) {
    case OP_EMBED:
        if (g->dec) {
            add(b, TR(a, "embed only the new token '%s' at pos %d; pos %s %s cached.",
                      "只嵌入新词元“%s”（第 %d 位）；第 %s 位%s已在 KV 缓存中。"),
                fmt_token(a, e->tokens[g->p0], tok), g->p0, range(rows, sizeof rows, 0, g->p0 - 1),
                TR(a, g->p0 == 1 ? "is" : "are", ""));
            add(x, "%s", TR(a, " Their K/V are reused, not recomputed.", "它们的 K/V 直接复用，不再重算。"));
        } else if (g->rec && g->k > 0) {
            add(b, TR(a, "embed all %d tokens again; %d %s embedded last step too.",
                      "再次嵌入全部 %d 个词元，其中 %d 个%s上一步已经嵌入过。"), g->n, g->n - 1,
                TR(a, g->n == 2 ? "was" : "were", ""));
            add(x, "%s", TR(a, " Nothing was kept.", "上一步什么都没保留。"));
        } else if (g->train) {
            add(b, TR(a, "embed %d token%s at once; teacher forcing feeds the true text.",
                      "一次嵌入全部 %d 个词元%s；教师强制：输入就是真实文本。"), g->n, TR(a, PL(g->n), ""));
        } else {
            add(b, TR(a, "embed %d prompt token%s: token + position vector (d = %d).",
                      "一次嵌入全部 %d 个提示词元%s：词向量 + 位置向量（d = %d）。"), g->n, TR(a, PL(g->n), ""), g->d);
            add(x, "%s", g->rec ? TR(a, " No cache: every step starts from scratch.", "没有缓存：每一步都从头算起。")
                                : TR(a, " Every position is processed in parallel.", "所有位置并行处理。"));
        }
        break;
    case OP_LN1:
    case OP_LN2:
        add(b, TR(a, "LayerNorm of %s before %s.", "对%s做 LayerNorm，送入%s。"),
            rows_phrase(g, rows, sizeof rows), k == OP_LN1 ? TR(a, "attention", "注意力") : TR(a, "the FFN", " FFN"));
        break;
    case OP_QKV:
        fmt_count(n * d * d + 2 * n * d * (unsigned long long)g->kv, m);
        if (g->kv != g->d) snprintf(f, sizeof f, "%d·%d²+2·%d·%d·%d", g->n, g->d, g->n, g->d, g->kv);
        else if (g->n == 1) snprintf(f, sizeof f, "3·%d²", g->d);
        else snprintf(f, sizeof f, "3·%d·%d²", g->n, g->d);
        if (g->dec) {
            add(b, TR(a, "Q, K, V of pos %d only: %s = %s MACs; its K/V row is new.",
                      "只算第 %d 位的 Q、K、V：%s = %s 次乘加；它的 K/V 是新行。"), g->p0, f, m);
            add(x, "%s", TR(a, " Older rows are read from the cache, not recomputed.", "旧行从缓存读取，不再重算。"));
        } else if (g->rec && g->k > 0) {
            add(b, TR(a, "Q, K, V of all %d rows: %s = %s MACs; %d row%s redone.",
                      "全部 %d 行的 Q、K、V：%s = %s 次乘加；其中 %d 行%s是重算。"), g->n, f, m, g->n - 1,
                TR(a, PL(g->n - 1), ""));
            add(x, "%s", TR(a, " They equal last step's rows, which were thrown away.", "它们与上一步的结果完全相同，却已被丢弃。"));
        } else {
            add(b, TR(a, "Q, K, V of %d row%s: %s = %s MACs; %s", "全部 %d 行%s的 Q、K、V：%s = %s 次乘加；%s"),
                g->n, TR(a, PL(g->n), ""), f, m,
                g->pre ? TR(a, "K and V fill the cache.", "K、V 填入 KV 缓存。")
                : g->train ? TR(a, "nothing is cached.", "不缓存。") : TR(a, "none of it is kept.", "算完不保留。"));
        }
        break;
    case OP_SCORES:
    case OP_MASK:
    case OP_SOFTMAX:
    case OP_VALUES:
        attention_sentence(g, k, b, x);
        if (k == OP_SOFTMAX || k == OP_VALUES) heads_sentence(g, x);
        break;
    case OP_OUT_PROJ:
        fmt_count(n * d * d, m);
        add(b, TR(a, "%d heads (d_h = %d) joined, × Wo: %d·%d² = %s MACs.",
                  "%d 个头（d_h = %d）拼接后乘 Wo：%d·%d² = %s 次乘加。"),
            g->H, g->dh, g->n, g->d, m);
        add(x, "%s", TR(a, " The result is added to the residual stream.", "结果加回残差流。"));
        break;
    case OP_FFN:
        fmt_count(2 * n * d * (unsigned long long)g->F, m);
        add(b, TR(a, "FFN %d→%d→%d (GELU) on %d row%s: 2·%d·%d·%d = %s MACs.",
                  "FFN %d→%d→%d（GELU）作用于 %d 行%s：2·%d·%d·%d = %s 次乘加。"),
            g->d, g->F, g->d, g->n, g->n == 1 ? TR(a, "", "") : TR(a, "s", ""), g->n, g->d, g->F, m);
        add(x, "%s", TR(a, " The result is added to the residual stream.", "结果加回残差流。"));
        break;
    default:
        tail_sentence(g, k, b, x);
        break;
    }
}

/* The sentence for the operation just done: core in b, optional detail in x. */
static void describe(const App *a, const Engine *e, Buf *b, Buf *x)
{
    const OpRef op = engine_current_op(e);
    if (e->pos == 0 || op.kind >= OP_KIND_COUNT) {
        add(b, "%s", TR(a, "Ready: press → for the first operation, ↓ for a token step, Space to play.",
                        "就绪：按 → 走一个运算，↓ 走完一个词元步，空格 自动播放。"));
        if (e->mode == MODE_CACHE)
            add(x, TR(a, " Prefill will process all %d prompt tokens at once.", "预填充会一次处理全部 %d 个提示词元。"), e->L);
        else if (e->mode == MODE_RECOMPUTE)
            add(x, "%s", TR(a, " Without a cache every step starts from scratch.", "没有缓存，每一步都从头算起。"));
        return;
    }
    Geo g = {a, e, e->n, e->t, e->p0, e->cfg.d_model, e->cfg.n_heads, config_head_dim(&e->cfg),
             e->cfg.d_ff, e->cfg.vocab, e->cfg.n_layers, config_kv_dim(&e->cfg), e->step,
             false, false, false, false};
    const Phase ph = engine_phase(e);
    g.dec = ph == PHASE_DECODE;
    g.rec = ph == PHASE_RECOMPUTE;
    g.train = ph == PHASE_TRAIN;
    g.pre = ph == PHASE_PREFILL;
    add(b, "%s", g.pre ? TR(a, "Prefill: ", "预填充：") : g.dec ? TR(a, "Decode: ", "解码：")
                 : g.rec ? TR(a, "Recompute: ", "重算：") : TR(a, "Train: ", "训练："));
    body_sentence(&g, op.kind, b, x);
    if (e->pos >= engine_total_ops(e) && op.kind != OP_LOSS)
        add(x, "%s", TR(a, " The run is complete.", "整个运行已完成。"));
}

/* Big models make long numbers: drop trailing clauses (after "; " or ", ")
 * until the sentence fits, and end it with a full stop again. */
static void shorten(Buf *b, const App *a, Rect s)
{
    const char *stop = TR(a, ".", "。");
    while (canvas_wrap(NULL, s, STYLE_NORMAL, b->s) > s.h) {
        char *cut = NULL;
        for (char *p = b->s; *p; p++)
            if (!strncmp(p, "; ", 2) || !strncmp(p, ", ", 2) || !strncmp(p, "；", 3) || !strncmp(p, "，", 3))
                cut = p;
        if (!cut) return;
        b->len = (size_t)(cut - b->s);
        b->s[b->len] = '\0';
        add(b, "%s", stop);
    }
}

void panel_pipeline_draw(const App *a, const Engine *e, Canvas *c, Rect r)
{
    char title[64];
    const OpRef op = engine_current_op(e);
    Rect old = canvas_set_clip(c, rect_intersect(c->clip, r));
    if (op.layer >= 0)
        snprintf(title, sizeof title, TR(a, "%s · layer %d of %d", "%s · 第 %d 层（共 %d 层）"),
                 TR(a, "Pipeline", "流水线"), op.layer, e->cfg.n_layers);
    else
        snprintf(title, sizeof title, "%s", TR(a, "Pipeline", "流水线"));
    canvas_box(c, r, STYLE_BORDER, title);
    Rect in = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (in.w > 0 && in.h > 0) {
        draw_chain(a, e, c, in);
        Rect s = {in.x, in.y + 1, in.w, in.h - 1};
        if (s.h > 0) {
            Buf b = {"", 0}, x = {"", 0};
            describe(a, e, &b, &x);
            /* the detail only when the whole sentence still fits */
            if (x.len) {
                Buf all = b;
                add(&all, "%s", x.s);
                if (canvas_wrap(NULL, s, STYLE_NORMAL, all.s) <= s.h) b = all;
            }
            shorten(&b, a, s);
            canvas_wrap(c, s, STYLE_NORMAL, b.s);
        }
    }
    canvas_set_clip(c, old);
}
