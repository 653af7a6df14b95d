/* pipeline_say: the Pipeline panel's sentence for the operation on screen
 * (ui/panels/pipeline.h), one clause per fact, each number from the
 * engine: the rows this step computes (n at p0 .. t-1), the keys it reads
 * (k_lo .. t-1), what the mask discards (config_visible, as the engine's
 * masked counter and the Operations panel's "QKᵀ on ×" row count it), what
 * the cache holds (a ring of W keeps the last W), which tokens a pick
 * emits (engine n_tokens and the step plan) and whether a next step
 * exists. A prefill chunk before the last (§6.7) has no head; a verify
 * step (§6.9) runs 1 + drafted rows and emits 1 + accepted tokens.
 */
#include "ui/panels/panels.h"
#include "ui/panels/pipeline.h"
#include "ui/panels/probe.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pipeline_add(Buf *b, const char *fmt, ...)
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
    bool ver;     /* a verify step (§6.9): the last token and its drafts, n = 1 + drafted rows */
    bool chunk;   /* a prefill in chunks (§6.7) */
    bool early;   /* a chunk before the last: no head, no token */
    bool last;    /* the run's last step: there is no next one */
    int klo, cols;   /* key columns computed: klo .. t-1 (the engine's k_lo) */
    int cached_lo;   /* first position the cache held when the step began (a ring of W forgets) */
    /* cells of the n × cols block, per head: computed and then discarded by
     * the mask (future or outside the window, what the Operations panel's
     * "QKᵀ on ×" counts), and of those the future ones */
    long long masked, fut;
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

/* The tokens ids[0..n-1] as one string ("on␣t"), cut to fit. */
static const char *tokens_text(const App *a, const int *ids, int n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        char tk[8];
        const size_t l = strlen(fmt_token(a, ids[i], tk));
        if (len + l + 1 > cap) break;
        memcpy(buf + len, tk, l + 1);
        len += l;
    }
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

/* The mask's cells, counted by the rule itself (config_visible): of the
 * n × cols block computed, per head, those it discards, and the future
 * ones among them. The engine's masked counter is d times the first per
 * layer (§6.3: future and out-of-window cells alike). */
static void mask_cells(Geo *g)
{
    const KvConfig *c = &g->e->cfg;
    g->masked = g->fut = 0;
    for (int i = 0; i < g->n; i++) {
        const int p = g->p0 + i;
        g->masked += g->cols - config_visible_keys(c, p);
        g->fut += g->t - 1 - p;
    }
}

/* Keys before this step's first query's window (§6.3): a ring of W no
 * longer holds them, so they are never computed. */
static void evicted_clause(const Geo *g, Buf *x)
{
    char rg[24];
    if (g->klo <= 0) return;
    range(rg, sizeof rg, 0, g->klo - 1);
    if (g->klo == 1)
        pipeline_add(x, TR(g->a, " The key at pos %s is outside the window: not computed.", "第 %s 位的键在窗口之外：不计算。"), rg);
    else
        pipeline_add(x, TR(g->a, " The keys at pos %s are outside the window: not computed.", "第 %s 位的键在窗口之外：不计算。"), rg);
}

/* " The mask will hide 83 cells: 55 future, 28 outside the window." */
static void will_hide(const Geo *g, Buf *x)
{
    const App *a = g->a;
    const long long out = g->masked - g->fut;
    if (out > 0)
        pipeline_add(x, TR(a, " The mask will hide %lld cells: %lld future, %lld outside the window.",
                           "掩码将遮住 %lld 个格：%lld 个未来格，%lld 个在窗口之外。"), g->masked, g->fut, out);
    else
        pipeline_add(x, TR(a, " The mask will hide %lld future cell%s.", "将有 %lld 个未来格%s被掩码。"), g->fut,
            TR(a, PL(g->fut), ""));
}

static void attention_sentence(const Geo *g, OpKind k, Buf *b, Buf *x)
{
    const App *a = g->a;
    char m[32], w[32], rq[24], rk[24];
    const int klo = g->klo, cols = g->cols;
    const unsigned long long blk = (unsigned long long)g->n * (unsigned long long)cols * (unsigned long long)g->d;
    const long long out = g->masked - g->fut;
    const bool one = g->dec && !g->ver;   /* a decode step of one row */
    fmt_count(blk, m);
    fmt_count((unsigned long long)g->masked * (unsigned long long)g->d, w);   /* dh · H = d per cell */
    range(rq, sizeof rq, g->p0, g->t - 1);
    range(rk, sizeof rk, klo, g->t - 1);
    if (k == OP_SCORES) {
        if (one) {
            pipeline_add(b, TR(a, "new query (pos %d) × keys %s: %d × %d = %s MACs/layer, no mask.",
                               "新查询（第 %d 位）× 第 %s 位的键：%d×%d = %s 次乘加/层，无需掩码。"),
                g->p0, rk, cols, g->d, m);
            evicted_clause(g, x);
        } else if (g->rec && g->k > 0) {
            pipeline_add(b, TR(a, "all %d×%d scores again (%s MACs/layer); only row %d is new.",
                               "再次算出全部 %d×%d 个分数（%s 次乘加/层）；只有第 %d 行是新的。"),
                g->n, g->t, m, g->t - 1);
            if (g->masked) will_hide(g, x);
        } else if (g->p0 == 0 && klo == 0) {
            pipeline_add(b, TR(a, "all %d×%d scores at once (%s MACs/layer)", "一次算出全部 %d×%d 个分数（%s 次乘加/层）"),
                g->n, g->t, m);
            if (g->masked)
                pipeline_add(b, TR(a, "; %lld will be masked.", "；其中 %lld 个将被掩码。"), g->masked);
            else
                pipeline_add(b, "%s", TR(a, ", no mask.", "，无需掩码。"));
        } else {   /* a later chunk, a verify step: these rows against every key they read */
            pipeline_add(b, TR(a, "%d quer%s (pos %s) × keys %s: %d×%d×%d = %s MACs/layer",
                               "%d 个查询%s（第 %s 位）× 第 %s 位的键，%d×%d×%d = %s 次乘加/层"),
                g->n, TR(a, g->n == 1 ? "y" : "ies", ""), rq, rk, g->n, cols, g->d, m);
            if (g->masked)
                pipeline_add(b, TR(a, "; %lld will be masked.", "；其中 %lld 个将被掩码。"), g->masked);
            else
                pipeline_add(b, "%s", TR(a, ", no mask.", "，无需掩码。"));
            evicted_clause(g, x);
        }
    } else if (k == OP_MASK) {
        if (g->masked == 0 && klo > 0 && cols == 1)
            pipeline_add(b, "%s", TR(a, "the one key read is in the window: nothing to mask, 0 MACs wasted.",
                                     "读到的唯一一个键在窗口内：没有可掩码的格，不浪费乘加。"));
        else if (g->masked == 0 && klo > 0)
            pipeline_add(b, TR(a, "the %d keys read are all in the window: nothing to mask, 0 MACs wasted.",
                               "读到的 %d 个键都在窗口内：没有可掩码的格，不浪费乘加。"), cols);
        else if (g->masked == 0)
            pipeline_add(b, "%s", TR(a, "the one query is the newest position: nothing to mask, 0 MACs wasted.",
                                     "唯一的查询就是最新位置：没有可掩码的格，不浪费乘加。"));
        else if (out > 0)
            pipeline_add(b, TR(a, "the mask hides %lld cells/head, %lld future and %lld outside the window of %d; %s MACs/layer wasted.",
                               "每个头有 %lld 个格被掩码：%lld 个未来格，%lld 个在 %d 位窗口之外；浪费 %s 次乘加/层。"),
                g->masked, g->fut, out, g->e->cfg.window, w);
        else
            pipeline_add(b, TR(a, "causal mask hides %lld future cell%s/head; %s MACs/layer wasted.",
                               "每个头有 %lld 个未来格%s被掩码；浪费 %s 次乘加/层。"),
                g->fut, TR(a, PL(g->fut), ""), w);
        if (g->train) pipeline_add(x, "%s", TR(a, " So position i cannot peek at token i+1.", "位置 i 看不到词元 i+1。"));
        else if (g->masked) pipeline_add(x, "%s", TR(a, " A dense kernel computes them anyway.", "稠密计算照算不误。"));
        evicted_clause(g, x);
    } else if (k == OP_SOFTMAX) {
        if (g->n == 1)
            pipeline_add(b, TR(a, "softmax turns the row of %d score%s into weights that sum to 1.",
                               "softmax 把这一行 %d 个分数%s变成和为 1 的权重。"), cols, TR(a, PL(cols), ""));
        else
            pipeline_add(b, TR(a, "softmax turns each of the %d rows into weights summing to 1.",
                               "softmax 把 %d 行分数各自变成和为 1 的权重。"), g->n);
        if (g->masked) pipeline_add(x, "%s", TR(a, " Masked cells get weight 0.", "被掩码的格权重为 0。"));
    } else {   /* OP_VALUES */
        char rc[24];
        const int cached = g->p0 - klo;   /* key rows read from the cache; the step's own are new */
        if (g->e->mode == MODE_CACHE) range(rc, sizeof rc, klo, g->p0 - 1);
        if (one && cached == 0)
            pipeline_add(b, TR(a, "the weights mix only its own new V row: 1 × %d = %s MACs/layer.",
                               "权重只混合它自己的新 V 行：1×%d = %s 次乘加/层。"), g->d, m);
        else if (one)
            pipeline_add(b, TR(a, "the weights mix %d V rows: %d × %d = %s MACs/layer; %d from the cache (pos %s), one its own new row.",
                               "权重混合 %d 行 V：%d×%d = %s 次乘加/层；其中 %d 行来自缓存（第 %s 位），1 行是它自己的新行。"),
                cols, cols, g->d, m, cached, rc);
        else if (g->n == 1)
            pipeline_add(b, TR(a, "the one row mixes %d V row%s: %d × %d = %s MACs/layer.",
                               "这一行加权混合 %d 行 V%s：%d×%d = %s 次乘加/层。"),
                cols, TR(a, PL(cols), ""), cols, g->d, m);
        else if (g->e->mode == MODE_CACHE && cached > 0)
            pipeline_add(b, TR(a, "%d rows each mix %d V rows: %d×%d×%d = %s MACs/layer; %d from the cache (pos %s), %d new.",
                               "%d 行各自加权混合 %d 行 V：%d×%d×%d = %s 次乘加/层；其中 %d 行来自缓存（第 %s 位），%d 行是新的。"),
                g->n, cols, g->n, cols, g->d, m, cached, rc, g->n);
        else
            pipeline_add(b, TR(a, "%d rows each mix the V rows: %d×%d×%d = %s MACs/layer.",
                               "%d 行各自加权混合 V 行：%d×%d×%d = %s 次乘加/层。"),
                g->n, g->n, cols, g->d, m);
        if (g->masked) pipeline_add(x, "%s", TR(a, " Masked weights are 0 but still multiplied.", "被掩码的权重为 0，照样相乘。"));
        else if (g->n == 1) pipeline_add(x, "%s", TR(a, " The result is one output row.", "得到一个输出行。"));
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
        pipeline_add(x, TR(a, " Head %d.%d looks back at position %d, the token after the earlier '%s' (weight %.2f): an induction head.",
                           "头 %d.%d 回看第 %d 位，即前面那个“%s”之后的词元（权重 %.2f）：归纳头。"),
            l, bh, best.target, fmt_token(a, e->tokens[best.source], tok), best.weight);
    else
        pipeline_add(x, TR(a, " Head %d.%d looks at the previous position %d (weight %.2f): a previous-token head.",
                           "头 %d.%d 看向前一个位置第 %d 位（权重 %.2f）：前一词元头。"),
            l, bh, best.target, best.weight);
}

/* The greedy check of a verify step (§6.9), after its pick: row p0 + i
 * predicts the token at p0 + i + 1; drafts are accepted while they equal
 * it, and the row that disagreed (or the last) adds one token. */
static void verify_pick(const Geo *g, double p, Buf *b)
{
    const App *a = g->a;
    const Engine *e = g->e;
    const StepPlan *s = engine_plan(e, e->step);
    const int acc = e->accepted, D = e->drafted, tok0 = s ? s->tok0 : e->n_tokens - e->emitted;
    const int first = tok0 - e->L + 1, last = e->n_tokens - e->L;   /* generated token numbers */
    char tok[8], dr[8], acc_s[64], rn[24], rp[24];
    fmt_token(a, e->picked, tok);
    tokens_text(a, e->draft, acc, acc_s, sizeof acc_s);
    range(rn, sizeof rn, first, last);
    range(rp, sizeof rp, tok0, e->n_tokens - 1);
    /* what it emitted first: a narrow box keeps the front of the sentence */
    if (acc == 0)
        pipeline_add(b, TR(a, "0 of %d drafts accepted; emits '%s', generated token %s at pos %s; row pos %d predicted it (p = %.2f), not the draft '%s'.",
                           "%d 个草稿一个也没被接受；发出“%s”，即第 %s 个生成的词元，位于第 %s 位；它由第 %d 位那一行预测（p = %.2f），而不是草稿“%s”。"),
                     D, tok, rn, rp, g->p0 + acc, p, fmt_token(a, e->draft[0], dr));
    else if (acc < D)
        pipeline_add(b, TR(a, "%d of %d drafts accepted ('%s'); emits %d tokens, generated tokens %s at pos %s; row pos %d then predicts '%s' (p = %.2f), not '%s'.",
                           "%d/%d 个草稿被接受（“%s”）；发出 %d 个词元，即第 %s 个生成的词元，位于第 %s 位；第 %d 位那一行随后预测“%s”（p = %.2f），而不是“%s”。"),
                     acc, D, acc_s, acc + 1, rn, rp, g->p0 + acc, tok, p, fmt_token(a, e->draft[acc], dr));
    else
        pipeline_add(b, TR(a, "all %d drafts accepted ('%s'); emits %d tokens, generated tokens %s at pos %s; the last row (pos %d) adds '%s' (p = %.2f).",
                           "%d 个草稿全部被接受（“%s”）；发出 %d 个词元，即第 %s 个生成的词元，位于第 %s 位；最后一行（第 %d 位）再添上“%s”（p = %.2f）。"),
                     D, acc_s, acc + 1, rn, rp, g->p0 + acc, tok, p);
}

/* After this step's append: its bytes first (what a narrow box keeps),
 * then what the cache holds, pos first .. len-1 (a ring: the last W). */
static void kept_clause(const Geo *g, Buf *b, const char *bytes)
{
    const App *a = g->a;
    const KvCache *c = &g->e->cache;
    const int first = kvcache_first(c), held = kvcache_held(c);
    char rg[24], ev[24];
    range(rg, sizeof rg, first, c->len - 1);
    pipeline_add(b, TR(a, ": 2·%d·%d·%d·4 = %s B; ", "：2·%d·%d·%d·4 = %s 字节；"), g->Lyr, held, g->kv, bytes);
    if (first > 0)   /* a ring of W (§6.3) */
        pipeline_add(b, TR(a, "the ring keeps the last %d, pos %s (pos %s evicted).",
                           "环形缓存只保留最后 %d 个，第 %s 位（第 %s 位已逐出）。"),
                     held, rg, range(ev, sizeof ev, 0, first - 1));
    else
        pipeline_add(b, TR(a, "the cache holds pos %s.", "缓存保存第 %s 位。"), rg);
}

static void tail_sentence(const Geo *g, OpKind k, Buf *b, Buf *x)
{
    const App *a = g->a;
    const Engine *e = g->e;
    char m[32], tok[8], rg[24];
    range(rg, sizeof rg, g->p0, g->t - 1);
    if (g->early && k != OP_APPEND) {   /* §6.7: only the last chunk has a head */
        if (k == OP_LN_FINAL)
            pipeline_add(b, "%s", TR(a, "nothing to do: a chunk before the last predicts no token, so no row needs the final LayerNorm.",
                                     "无事可做：最后一块之前的块不预测词元，没有行需要最终 LayerNorm。"));
        else if (k == OP_LOGITS)
            pipeline_add(b, "%s", TR(a, "nothing to do: no logits before the last chunk, 0 MACs.",
                                     "无事可做：最后一块之前不算 logits，0 次乘加。"));
        else
            pipeline_add(b, TR(a, "no token yet: the prompt goes on at pos %d in chunk %d/%d; the first token comes after the last chunk.",
                               "还没有词元：提示词从第 %d 位起在第 %d/%d 块继续；第一个词元在最后一块之后才产生。"),
                g->t, e->step + 2, e->n_chunks);
        return;
    }
    if (k == OP_LN_FINAL) {
        if (g->train)
            pipeline_add(b, TR(a, "final LayerNorm at all %d position%s: each predicts its next token.",
                               "对全部 %d 个位置%s做最终 LayerNorm：每个位置都预测下一个词元。"), g->n, TR(a, PL(g->n), ""));
        else if (g->ver)
            pipeline_add(b, TR(a, "final LayerNorm of all %d rows (pos %s), each predicting the token after it.",
                               "对全部 %d 行（第 %s 位）做最终 LayerNorm，每一行都预测它后面的词元。"), g->n, rg);
        else
            pipeline_add(b, TR(a, "final LayerNorm of the last position only (pos %d).",
                               "只对最后一个位置（第 %d 位）做最终 LayerNorm。"), g->t - 1);
        if (g->ver) pipeline_add(x, "%s", TR(a, " Each draft is checked against the row before it.", "每个草稿都要和它前一行的预测核对。"));
        else if (!g->train) pipeline_add(x, "%s", TR(a, " Only it predicts the next token.", "只有它预测下一个词元。"));
    } else if (k == OP_LOGITS) {
        const int rows = g->train || g->ver ? g->n : 1;   /* the rows that reach the head */
        fmt_count((unsigned long long)rows * (unsigned long long)g->d * (unsigned long long)g->V, m);
        if (g->train)
            pipeline_add(b, TR(a, "logits at all %d position%s: %d·%d·%d = %s MACs.",
                               "全部 %d 个位置%s的 logits：%d·%d·%d = %s 次乘加。"), g->n, TR(a, PL(g->n), ""), g->n, g->d, g->V, m);
        else if (g->ver)
            pipeline_add(b, TR(a, "logits of all %d rows (pos %s): %d·%d·%d = %s MACs.",
                               "全部 %d 行（第 %s 位）的 logits：%d·%d·%d = %s 次乘加。"), g->n, rg, g->n, g->d, g->V, m);
        else
            pipeline_add(b, TR(a, "logits: pos %d × Wout (%d×%d) = %s MACs, one per token.",
                               "logits：第 %d 位 × Wout（%d×%d）= %s 次乘加，每个词元一个分数。"),
                g->t - 1, g->d, g->V, m);
        if (g->train) pipeline_add(x, "%s", TR(a, " Each is scored against the true next token.", "各自与真实的下一个词元比较。"));
        else if (g->ver) pipeline_add(x, "%s", TR(a, " Every row needs its logits to check a draft.", "每一行都需要 logits 来核对草稿。"));
    } else if (k == OP_PICK) {
        /* its probability: softmax of the logits row it came from (ui/panels/probe.h) */
        int lpos;
        ProbeTok top;
        const float *z = probe_logits(e, &lpos);
        const double p = z && probe_topk(z, g->V, 1, &top) == 1 ? top.p : NAN;
        if (g->ver) {
            verify_pick(g, p, b);
        } else {
            /* the token just emitted: number n_tokens - L, at position n_tokens - 1 */
            fmt_token(a, e->picked >= 0 ? e->picked : 0, tok);
            pipeline_add(b, TR(a, "greedy pick: '%s' has the top logit, p = %.2f; generated token %d, at pos %d.",
                               "贪心选词：“%s”的 logit 最高，概率 p = %.2f；它是第 %d 个生成的词元，位于第 %d 位。"),
                tok, p, e->n_tokens - e->L, e->n_tokens - 1);
        }
        if (g->last)
            pipeline_add(x, "%s", TR(a, " It is the run's last token.", "这是本次运行的最后一个词元。"));
        else if (g->rec)
            pipeline_add(x, TR(a, " Nothing is kept: the next step recomputes all %d positions.",
                               "什么都不保留：下一步要重算全部 %d 个位置。"), g->t + 1);
        else if (g->ver && e->emitted > 1)
            pipeline_add(x, "%s", TR(a, " The last one is the next step's input.", "最后一个就是下一步的输入。"));
        else
            pipeline_add(x, "%s", TR(a, " Autoregressive: it is the next step's input.", "自回归：它就是下一步的输入。"));
    } else if (k == OP_APPEND) {
        fmt_count(engine_kv_bytes(e), m);
        if (g->ver) {   /* all rows appended, the rejected drafts rolled back */
            const int back = e->drafted - (e->accepted > 0 ? e->accepted : 0);
            if (back > 0) {
                /* the rows kept first, so that a sentence cut after its
                 * first clause still says only what the cache holds */
                char kept[24], gone[24];
                const int k1 = g->p0 + (e->accepted > 0 ? e->accepted : 0);
                range(kept, sizeof kept, g->p0, k1);
                range(gone, sizeof gone, k1 + 1, g->t - 1);
                pipeline_add(b, TR(a, "K/V of pos %s kept; pos %s (%d rejected draft row%s) rolled back",
                                   "第 %s 位的 K/V 保留；第 %s 位（%d 个被拒草稿行%s）已回滚"),
                    kept, gone, back, TR(a, PL(back), ""));
            }
            else
                pipeline_add(b, TR(a, "K/V of pos %s appended, every draft kept", "第 %s 位的 K/V 追加进缓存，草稿全部保留"), rg);
            kept_clause(g, b, m);
            if (!g->last) pipeline_add(x, TR(a, " The next step starts at pos %d.", "下一步从第 %d 位开始。"), e->n_tokens - 1);
        } else if (g->pre && !g->chunk && kvcache_first(&e->cache) == 0 && g->p0 == 0) {
            pipeline_add(b, TR(a, "K/V of pos %s kept in all layers: 2·%d·%d·%d·4 = %s B.",
                               "每层第 %s 位的 K/V 存入 KV 缓存：2·%d·%d·%d·4 = %s 字节。"),
                rg, g->Lyr, kvcache_held(&e->cache), g->kv, m);
        } else {
            pipeline_add(b, TR(a, "K/V of pos %s appended in all layers", "每层第 %s 位的 K/V 追加进缓存"), rg);
            kept_clause(g, b, m);
        }
        if (g->ver || g->last) {
            /* said above, or nothing comes next */
        } else if (g->early) {
            pipeline_add(x, TR(a, " The next chunk starts at pos %d.", "下一块从第 %d 位开始。"), g->t);
        } else if (g->pre) {
            pipeline_add(x, "%s", TR(a, " Decoding can start.", "可以开始解码了。"));
        } else {
            /* the next step: one row, or with --speculate the new token and its drafts */
            const StepPlan *nx = engine_plan(e, e->step + 1);
            const int dn = nx ? nx->drafted : 0;
            if (dn > 0)
                pipeline_add(x, TR(a, " The next step verifies pos %d and %d draft%s.", "下一步验证第 %d 位和 %d 个草稿%s。"), g->t, dn,
                    TR(a, PL(dn), ""));
            else
                pipeline_add(x, TR(a, " The next step computes only pos %d.", "下一步只算第 %d 位。"), g->t);
        }
    } else {   /* OP_LOSS */
        if (isnan(e->loss))
            pipeline_add(b, "%s", TR(a, "a 1-token prompt has no next-token target, so no loss.",
                                     "只有 1 个词元的提示词没有“下一个词元”目标，因此没有损失。"));
        else
            pipeline_add(b, TR(a, "mean cross-entropy over %d next-token targets = %.3f.",
                               "在 %d 个“下一个词元”目标上的平均交叉熵 = %.3f。"), g->n - 1, e->loss);
        pipeline_add(x, "%s", TR(a, " No token is generated, no cache kept.", "不生成词元，也不保留缓存。"));
    }
}

static void body_sentence(const Geo *g, OpKind k, Buf *b, Buf *x)
{
    const App *a = g->a;
    const Engine *e = g->e;
    char m[32], f[48], rows[64], tok[8], rg[24], rc[24];
    const unsigned long long n = (unsigned long long)g->n, d = (unsigned long long)g->d;
    const int ncached = g->p0 - g->cached_lo;   /* positions the cache held when the step began */
    range(rg, sizeof rg, g->p0, g->t - 1);
    range(rc, sizeof rc, g->cached_lo, g->p0 - 1);
    switch (k) {
    case OP_EMBED:
        if (g->ver) {
            char dr[64];
            pipeline_add(b, TR(a, "embed %d rows, the new token '%s' and %d draft%s '%s' (pos %s); ",
                               "嵌入 %d 行，新词元“%s”和 %d 个草稿%s“%s”（第 %s 位）；"),
                g->n, fmt_token(a, e->tokens[g->p0], tok), e->drafted, TR(a, PL(e->drafted), ""),
                tokens_text(a, e->draft, e->drafted, dr, sizeof dr), rg);
            pipeline_add(b, TR(a, "pos %s %s cached.", "第 %s 位已在 KV 缓存中。"), rc, TR(a, ncached == 1 ? "is" : "are", ""));
            pipeline_add(x, "%s", TR(a, " Prompt lookup proposed the drafts; this step checks them.", "草稿来自提示词查找；这一步核对它们。"));
        } else if (g->dec) {
            pipeline_add(b, TR(a, "embed only the new token '%s' at pos %d; pos %s %s cached",
                               "只嵌入新词元“%s”（第 %d 位）；第 %s 位%s已在 KV 缓存中"),
                fmt_token(a, e->tokens[g->p0], tok), g->p0, rc, TR(a, ncached == 1 ? "is" : "are", ""));
            if (g->cached_lo > 0)   /* a ring of W (§6.3) */
                pipeline_add(b, TR(a, " (pos %s evicted).", "（第 %s 位已逐出）。"), range(f, sizeof f, 0, g->cached_lo - 1));
            else
                pipeline_add(b, "%s", TR(a, ".", "。"));
            pipeline_add(x, "%s", ncached == 1 ? TR(a, " Its K/V is reused, not recomputed.", "缓存中的 K/V 直接复用，不再重算。")
                                               : TR(a, " Their K/V are reused, not recomputed.", "缓存中的 K/V 直接复用，不再重算。"));
        } else if (g->rec && g->k > 0) {
            pipeline_add(b, TR(a, "embed all %d tokens again; %d %s embedded last step too.",
                               "再次嵌入全部 %d 个词元，其中 %d 个%s上一步已经嵌入过。"), g->n, g->n - 1,
                TR(a, g->n == 2 ? "was" : "were", ""));
            pipeline_add(x, "%s", TR(a, " Nothing was kept.", "上一步什么都没保留。"));
        } else if (g->train) {
            pipeline_add(b, TR(a, "embed %d token%s at once; teacher forcing feeds the true text.",
                               "一次嵌入全部 %d 个词元%s；教师强制：输入就是真实文本。"), g->n, TR(a, PL(g->n), ""));
        } else if (g->chunk || g->p0 > 0) {   /* §6.7: this chunk's rows; §6.8: after the shared ones */
            pipeline_add(b, TR(a, "embed the prompt tokens at pos %s, %d of %d", "嵌入第 %s 位的提示词元（共 %d 个，提示词 %d 个）"),
                rg, g->n, e->L);
            if (ncached > 0 && g->p0 == e->shared_rows)
                pipeline_add(b, TR(a, "; pos %s come from an earlier prompt's blocks (shared prefix).",
                                   "；第 %s 位来自前面一个提示词的块（共享前缀）。"), rc);
            else if (ncached > 0)
                pipeline_add(b, TR(a, "; pos %s %s cached.", "；第 %s 位已在 KV 缓存中。"), rc, TR(a, ncached == 1 ? "is" : "are", ""));
            else
                pipeline_add(b, "%s", TR(a, ".", "。"));
            if (g->early) pipeline_add(x, "%s", TR(a, " The rest of the prompt comes in the next chunks.", "其余提示词在后面的块里处理。"));
        } else {
            pipeline_add(b, TR(a, "embed %d prompt token%s: ", "一次嵌入全部 %d 个提示词元%s："), g->n, TR(a, PL(g->n), ""));
            if (e->cfg.rope)   /* §6.10: no position table */
                pipeline_add(b, TR(a, "token vector only (d = %d); RoPE adds positions later.",
                                   "只有词向量（d = %d）；位置由 RoPE 稍后加入。"), g->d);
            else
                pipeline_add(b, TR(a, "token + position vector (d = %d).", "词向量 + 位置向量（d = %d）。"), g->d);
            pipeline_add(x, "%s", g->rec ? TR(a, " No cache: every step starts from scratch.", "没有缓存：每一步都从头算起。")
                                : TR(a, " Every position is processed in parallel.", "所有位置并行处理。"));
        }
        break;
    case OP_LN1:
    case OP_LN2:
        pipeline_add(b, TR(a, "LayerNorm of %s before %s.", "对%s做 LayerNorm，送入%s。"),
            rows_phrase(g, rows, sizeof rows), k == OP_LN1 ? TR(a, "attention", "注意力") : TR(a, "the FFN", " FFN"));
        break;
    case OP_QKV:
        fmt_count(n * d * d + 2 * n * d * (unsigned long long)g->kv, m);
        if (g->kv != g->d) snprintf(f, sizeof f, "%d·%d²+2·%d·%d·%d", g->n, g->d, g->n, g->d, g->kv);
        else if (g->n == 1) snprintf(f, sizeof f, "3·%d²", g->d);
        else snprintf(f, sizeof f, "3·%d·%d²", g->n, g->d);
        if (g->ver) {
            pipeline_add(b, TR(a, "Q, K, V of the %d rows (pos %s): %s = %s MACs; their K/V rows are new.",
                               "这 %d 行（第 %s 位）的 Q、K、V：%s = %s 次乘加；它们的 K/V 是新行。"), g->n, rg, f, m);
            pipeline_add(x, "%s", TR(a, " Older rows are read from the cache, not recomputed.", "旧行从缓存读取，不再重算。"));
        } else if (g->dec) {
            pipeline_add(b, TR(a, "Q, K, V of pos %d only: %s = %s MACs; its K/V row is new.",
                               "只算第 %d 位的 Q、K、V：%s = %s 次乘加；它的 K/V 是新行。"), g->p0, f, m);
            pipeline_add(x, "%s", TR(a, " Older rows are read from the cache, not recomputed.", "旧行从缓存读取，不再重算。"));
        } else if (g->rec && g->k > 0) {
            pipeline_add(b, TR(a, "Q, K, V of all %d rows: %s = %s MACs; %d row%s redone.",
                               "全部 %d 行的 Q、K、V：%s = %s 次乘加；其中 %d 行%s是重算。"), g->n, f, m, g->n - 1,
                TR(a, PL(g->n - 1), ""));
            pipeline_add(x, "%s", TR(a, " They equal last step's rows, which were thrown away.", "它们与上一步的结果完全相同，却已被丢弃。"));
        } else {
            char at[32] = "";
            if (g->p0 > 0) snprintf(at, sizeof at, TR(a, " (pos %s)", "（第 %s 位）"), rg);
            pipeline_add(b, TR(a, "Q, K, V of %d row%s%s: %s = %s MACs; ", "%d 行%s%s的 Q、K、V：%s = %s 次乘加；"),
                g->n, TR(a, PL(g->n), ""), at, f, m);
            if (g->pre && g->t > config_cache_capacity(&e->cfg))   /* §6.3: the ring keeps W */
                pipeline_add(b, TR(a, "the cache will keep the last %d K/V rows.", "KV 缓存只会保留最后 %d 行 K/V。"),
                    config_cache_capacity(&e->cfg));
            else
                pipeline_add(b, "%s", g->pre ? TR(a, "K and V fill the cache.", "K、V 填入 KV 缓存。")
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
        pipeline_add(b, TR(a, "%d heads (d_h = %d) joined, × Wo: %d·%d² = %s MACs.",
                           "%d 个头（d_h = %d）拼接后乘 Wo：%d·%d² = %s 次乘加。"),
            g->H, g->dh, g->n, g->d, m);
        pipeline_add(x, "%s", TR(a, " The result is added to the residual stream.", "结果加回残差流。"));
        break;
    case OP_FFN:
        fmt_count(2 * n * d * (unsigned long long)g->F, m);
        pipeline_add(b, TR(a, "FFN %d→%d→%d (GELU) on %d row%s: 2·%d·%d·%d = %s MACs.",
                           "FFN %d→%d→%d（GELU）作用于 %d 行%s：2·%d·%d·%d = %s 次乘加。"),
            g->d, g->F, g->d, g->n, TR(a, PL(g->n), ""), g->n, g->d, g->F, m);
        pipeline_add(x, "%s", TR(a, " The result is added to the residual stream.", "结果加回残差流。"));
        break;
    default:
        tail_sentence(g, k, b, x);
        break;
    }
}

/* The sentence for the operation just done: core in b, optional detail in x. */
void pipeline_describe(const App *a, const Engine *e, Buf *b, Buf *x)
{
    const OpRef op = engine_current_op(e);
    if (e->pos == 0 || op.kind >= OP_KIND_COUNT) {
        pipeline_add(b, "%s", TR(a, "Ready: press → for the first operation, ↓ for a token step, Space to play.",
                                 "就绪：按 → 走一个运算，↓ 走完一个词元步，空格 自动播放。"));
        if (e->mode == MODE_CACHE && e->shared_rows > 0)   /* §6.8 */
            pipeline_add(x, TR(a, " Prefill will process %d of the %d prompt tokens; the first %d are shared.",
                               "预填充只处理 %d 个提示词元（共 %d 个）；前 %d 个是共享的。"),
                         e->L - e->shared_rows, e->L, e->shared_rows);
        else if (e->mode == MODE_CACHE && e->n_chunks > 1)
            pipeline_add(x, TR(a, " Prefill will process the %d prompt tokens in %d chunks of up to %d.",
                               "预填充会把 %d 个提示词元分成 %d 块处理，每块最多 %d 个。"), e->L, e->n_chunks, e->cfg.chunk);
        else if (e->mode == MODE_CACHE)
            pipeline_add(x, TR(a, " Prefill will process all %d prompt tokens at once.", "预填充会一次处理全部 %d 个提示词元。"), e->L);
        else if (e->mode == MODE_RECOMPUTE)
            pipeline_add(x, "%s", TR(a, " Without a cache every step starts from scratch.", "没有缓存，每一步都从头算起。"));
        return;
    }
    Geo g = {.a = a, .e = e, .n = e->n, .t = e->t, .p0 = e->p0, .d = e->cfg.d_model, .H = e->cfg.n_heads,
             .dh = config_head_dim(&e->cfg), .F = e->cfg.d_ff, .V = e->cfg.vocab, .Lyr = e->cfg.n_layers,
             .kv = config_kv_dim(&e->cfg), .k = e->step, .klo = e->k_lo, .cols = e->t - e->k_lo};
    const Phase ph = engine_phase(e);
    g.dec = ph == PHASE_DECODE;
    g.rec = ph == PHASE_RECOMPUTE;
    g.train = ph == PHASE_TRAIN;
    g.pre = ph == PHASE_PREFILL;
    g.ver = g.dec && e->drafted > 0;
    g.chunk = g.pre && e->n_chunks > 1;
    g.early = g.pre && e->step < e->n_chunks - 1;
    g.last = e->step >= e->n_steps - 1;
    if (e->mode == MODE_CACHE) {   /* the cache held p0 rows, a ring only its last W */
        const int cap = config_cache_capacity(&e->cfg);
        g.cached_lo = g.p0 > cap ? g.p0 - cap : 0;
    }
    mask_cells(&g);
    if (g.chunk)
        pipeline_add(b, TR(a, "Chunk %d/%d: ", "第 %d/%d 块："), e->step + 1, e->n_chunks);
    else if (g.ver)
        pipeline_add(b, "%s", TR(a, "Verify: ", "验证："));
    else
        pipeline_add(b, "%s", g.pre ? TR(a, "Prefill: ", "预填充：") : g.dec ? TR(a, "Decode: ", "解码：")
                     : g.rec ? TR(a, "Recompute: ", "重算：") : TR(a, "Train: ", "训练："));
    body_sentence(&g, op.kind, b, x);
    if (e->pos >= engine_total_ops(e) && op.kind != OP_LOSS)
        pipeline_add(x, "%s", TR(a, " The run is complete.", "整个运行已完成。"));
}

