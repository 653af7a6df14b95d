/* probe: what the engine's numbers say. See probe.h. */
#include "ui/panels/probe.h"

#include <math.h>
#include <stddef.h>

/* The largest logit (its value; every softmax here subtracts it). */
static float max_of(const float *z, int V)
{
    float m = z[0];
    for (int j = 1; j < V; j++)
        if (z[j] > m) m = z[j];
    return m;
}

int probe_topk(const float *z, int V, int k, ProbeTok *out)
{
    if (V <= 0 || k <= 0) return 0;
    if (k > V) k = V;
    const float m = max_of(z, V);
    double sum = 0.0;
    for (int j = 0; j < V; j++) sum += exp((double)(z[j] - m));
    /* k passes, each the best token ranked after the previous one: O(k·V),
     * no allocation, ties by lower id (the engine's argmax) */
    int n = 0, prev = -1;
    for (; n < k; n++) {
        int best = -1;
        for (int j = 0; j < V; j++) {
            const bool after = prev < 0 || z[j] < z[prev] || (z[j] == z[prev] && j > prev);
            if (after && (best < 0 || z[j] > z[best])) best = j;
        }
        if (best < 0) break;
        out[n] = (ProbeTok){best, exp((double)(z[best] - m)) / sum, z[best]};
        prev = best;
    }
    return n;
}

const float *probe_logits(const Engine *e, int *pos)
{
    if (!engine_op_done(e, OP_LOGITS, -1)) return NULL;
    if (e->mode == MODE_TRAIN) {
        *pos = e->L - 1;
        return e->logits + (size_t)(e->L - 1) * (size_t)e->cfg.vocab;
    }
    /* an early prefill chunk (§6.7) has no head; a verify step (§6.9) has a
     * row per draft from row n-1-drafted on, and emits from row `accepted` */
    if (e->mode == MODE_CACHE && e->step < e->n_chunks - 1) return NULL;
    const int row = e->picked >= 0 && e->accepted > 0 ? e->accepted : 0;
    *pos = e->p0 + e->n - 1 - e->drafted + row;
    return e->logits + (size_t)row * (size_t)e->cfg.vocab;
}

double probe_loss_at(const Engine *e, int i, double *p)
{
    const int V = e->cfg.vocab;
    if (p) *p = NAN;
    if (e->mode != MODE_TRAIN || i < 0 || i + 1 >= e->L || !engine_op_done(e, OP_LOGITS, -1)) return NAN;
    /* the same arithmetic as OP_LOSS (sim/forward.c), so the mean is e->loss */
    const float *z = e->logits + (size_t)i * (size_t)V;
    const float mx = max_of(z, V);
    double se = 0.0;
    for (int j = 0; j < V; j++) se += exp((double)(z[j] - mx));
    const double loss = log(se) - (double)(z[e->tokens[i + 1]] - mx);
    if (p) *p = exp(-loss);
    return loss;
}

HeadPattern probe_head_pattern(const float *w, const int *tokens, int i)
{
    HeadPattern r = {HEAD_NONE, -1, -1, 0.0};
    /* induction: the cell after an earlier copy of the current token */
    for (int j = 0; j + 3 <= i; j++)
        if (tokens[j] == tokens[i] && (double)w[j + 1] >= PROBE_HEAD_MIN && (double)w[j + 1] > r.weight)
            r = (HeadPattern){HEAD_INDUCTION, j + 1, j, (double)w[j + 1]};
    if (r.kind == HEAD_INDUCTION) return r;
    if (i >= 1 && (double)w[i - 1] >= PROBE_HEAD_MIN) r = (HeadPattern){HEAD_PREVIOUS, i - 1, -1, (double)w[i - 1]};
    return r;
}

HeadPattern probe_engine_head(const Engine *e, int l, int h)
{
    const HeadPattern none = {HEAD_NONE, -1, -1, 0.0};
    if (e->pos == 0 || l < 0 || l >= e->cfg.n_layers || h < 0 || h >= e->cfg.n_heads ||
        !engine_op_done(e, OP_SOFTMAX, l))
        return none;
    return probe_head_pattern(engine_att_row(e, l, h, e->n - 1), e->tokens, e->t - 1);
}
