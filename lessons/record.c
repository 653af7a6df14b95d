/* record: see record.h. */
#include "lessons/record.h"

#include "lessons/errmsg.h"
#include "sim/paged.h"
#include "sim/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void record_free(EvalRun *r)
{
    free(r->steps);
    free(r->layers);
    free(r->n);
    free(r->t);
    free(r->kv_bytes);
    free(r->token_pos);
    free(r->emitted);
    free(r->drafted);
    free(r->accepted);
    free(r->visible);
    free(r->traffic);
    free(r->kv_blocks);
    free(r->kv_reserved);
    free(r->seq_n);
    free(r->seq_steps);
    free(r->seq_blocks);
    free(r->shared_rows);
    free(r->pool_used);
    free(r->pool_reserved);
    free(r->refs);
    free(r->att_last);
    free(r->tokens);
    memset(r, 0, sizeof *r);
}

static void counts_diff(OpCounts *out, const OpCounts *a, const OpCounts *b)
{
    for (int i = 0; i < CAT_COUNT; i++) out->mac[i] = a->mac[i] - b->mac[i];
    out->masked = a->masked - b->masked;
    out->rope = a->rope - b->rope;
}

/* Run `mode` to the end once, one layer stop at a time, and keep what each
 * step measured. */
EvalRun *record_run(EvalContext *ctx, RunMode mode, char *msg, size_t msglen)
{
    EvalRun *r = &ctx->runs[mode];
    if (r->done) return r;
    Run run;
    RunPrompt p[LESSON_MAX_PROMPTS];
    p[0] = (RunPrompt){ctx->ids, ctx->L};
    const int nq = mode == MODE_CACHE ? ctx->n_seqs : 1;   /* a batch runs in cache mode */
    for (int s = 1; s < nq; s++)
        p[s] = (RunPrompt){ctx->batch_ids + (size_t)(s - 1) * (size_t)ctx->cfg.max_seq, ctx->batch_L[s]};
    if (run_init(&run, &ctx->cfg, ctx->model, RUN_MODE_BIT(mode), p, nq, ctx->G, msg, msglen)) return NULL;
    const Engine *e = run_engine(&run, mode);
    const int ns = e->n_steps, Lyr = ctx->cfg.n_layers;
    const int pool_n = run.pool ? run.pool->n_blocks : 0;
    r->n_seqs = nq;
    r->pool_n = pool_n;
    r->seq_n = calloc((size_t)ns * (size_t)nq, sizeof *r->seq_n);
    r->seq_steps = calloc((size_t)ns * (size_t)nq, sizeof *r->seq_steps);
    r->seq_blocks = calloc((size_t)ns * (size_t)nq, sizeof *r->seq_blocks);
    r->shared_rows = calloc((size_t)nq, sizeof *r->shared_rows);
    r->pool_used = calloc((size_t)ns, sizeof *r->pool_used);
    r->pool_reserved = calloc((size_t)ns, sizeof *r->pool_reserved);
    r->refs = calloc((size_t)ns * (size_t)(pool_n > 0 ? pool_n : 1), sizeof *r->refs);
    const size_t N = (size_t)ctx->cfg.max_seq, H = (size_t)ctx->cfg.n_heads;
    r->att_last = calloc((size_t)ns * (size_t)Lyr * H * N, sizeof *r->att_last);
    r->tokens = calloc(N, sizeof *r->tokens);
    r->n_steps = ns;
    r->steps = calloc((size_t)ns, sizeof *r->steps);
    r->layers = calloc((size_t)ns * (size_t)Lyr, sizeof *r->layers);
    r->n = calloc((size_t)ns, sizeof *r->n);
    r->t = calloc((size_t)ns, sizeof *r->t);
    r->kv_bytes = calloc((size_t)ns, sizeof *r->kv_bytes);
    r->token_pos = calloc((size_t)ns, sizeof *r->token_pos);
    r->emitted = calloc((size_t)ns, sizeof *r->emitted);
    r->drafted = calloc((size_t)ns, sizeof *r->drafted);
    r->accepted = calloc((size_t)ns, sizeof *r->accepted);
    r->traffic = calloc((size_t)ns, sizeof *r->traffic);
    r->kv_blocks = calloc((size_t)ns, sizeof *r->kv_blocks);
    r->kv_reserved = calloc((size_t)ns, sizeof *r->kv_reserved);
    if (mode == MODE_CACHE) r->visible = calloc((size_t)ns, sizeof *r->visible);
    if (!r->steps || !r->layers || !r->n || !r->t || !r->kv_bytes || !r->token_pos ||
        !r->emitted || !r->drafted || !r->accepted ||
        !r->traffic || !r->kv_blocks || !r->kv_reserved || (mode == MODE_CACHE && !r->visible) ||
        !r->seq_n || !r->seq_steps || !r->seq_blocks || !r->shared_rows || !r->pool_used ||
        !r->pool_reserved || !r->refs || !r->att_last || !r->tokens) {
        run_free(&run);
        record_free(r);
        errmsg_fail(msg, msglen, "out of memory recording the %s run", config_mode_name(mode));
        return NULL;
    }
    for (int k = 0; k < ns; k++) {
        OpCounts prev;
        memset(&prev, 0, sizeof prev);
        if (r->visible) {
            /* just after layer 0's mask: masked cells of head 0 hold −inf */
            run_seek(&run, mode, run_op_pos(e, k, OP_MASK, 0));
            uint64_t vis = 0;
            for (int i = 0; i < e->n; i++) {
                const float *row = engine_att_row(e, 0, 0, i);
                for (int j = 0; j < e->t; j++) vis += !(isinf(row[j]) && row[j] < 0);
            }
            r->visible[k] = vis;
        }
        while (run_move(&run, mode, RUN_NEXT_LAYER)) {
            OpRef op = engine_current_op(e);
            if (op.kind == OP_FFN && op.layer >= 0 && op.layer < Lyr) {
                counts_diff(&r->layers[(size_t)k * Lyr + op.layer], &e->step_counts, &prev);
                prev = e->step_counts;
            }
            if (engine_at_step_end(e)) break;
        }
        const OpCounts *sc = engine_step_counts(e, k);
        if (sc) r->steps[k] = *sc;
        r->n[k] = e->n;
        r->t[k] = e->t;
        r->kv_bytes[k] = engine_kv_bytes(e);
        const Traffic *tr = engine_step_traffic(e, k);
        if (tr) r->traffic[k] = *tr;
        r->kv_blocks[k] = engine_kv_blocks(e);
        r->kv_reserved[k] = engine_kv_reserved_bytes(e);
        r->token_pos[k] = mode == MODE_TRAIN ? -1 : e->n_tokens - 1;
        /* what the step did, as the engine recorded it (§6.7, §6.9) */
        const StepPlan *sp = engine_plan(e, k);
        r->emitted[k] = sp ? sp->emitted : (mode == MODE_TRAIN ? 0 : 1);
        r->drafted[k] = sp ? sp->drafted : 0;
        r->accepted[k] = sp && sp->accepted > 0 ? sp->accepted : 0;
        counts_add(&r->total, &r->steps[k]);
        /* the last query row's weights in every layer and head (at the step's end
         * every layer's rows of this step are still there) */
        if (mode != MODE_TRAIN && e->n > 0)
            for (size_t l = 0; l < (size_t)Lyr; l++)
                for (size_t h = 0; h < H; h++) {
                    const float *row = engine_att_row(e, (int)l, (int)h, e->n - 1);
                    float *dst = r->att_last + (((size_t)k * (size_t)Lyr + l) * H + h) * N;
                    for (int j = 0; j < e->t && j < (int)N; j++) dst[j] = row[j];
                }
        /* every sequence of the batch, and the pool they share */
        for (int s = 0; s < nq; s++) {
            const Engine *es = s == 0 ? e : run_seq(&run, s);   /* s 0: the mode's own engine */
            const size_t at = (size_t)k * (size_t)nq + (size_t)s;
            /* with chunk= or speculate= a sequence may have finished before step k */
            const bool has_k = k < es->n_steps;
            const OpCounts *c = has_k ? engine_step_counts(es, k) : NULL;
            if (c) r->seq_steps[at] = *c;
            r->seq_n[at] = has_k ? es->n : 0;
            r->seq_blocks[at] = engine_kv_blocks(es);
            if (k == 0) r->shared_rows[s] = es->shared_rows;
        }
        if (run.pool) {
            r->pool_used[k] = paged_blocks_used(run.pool);
            r->pool_reserved[k] = paged_reserved_bytes(run.pool);
            for (int b = 0; b < pool_n; b++) r->refs[(size_t)k * (size_t)pool_n + (size_t)b] = paged_block_refs(run.pool, b);
        }
    }
    r->n_tokens = e->n_tokens < (int)N ? e->n_tokens : (int)N;
    memcpy(r->tokens, e->tokens, sizeof(int) * (size_t)r->n_tokens);
    run_free(&run);
    r->done = true;
    return r;
}

/* cache and recompute in lockstep: the largest |logit difference| of any step */
int record_logit_diff(EvalContext *ctx, double *out, char *msg, size_t msglen)
{
    if (ctx->have_diff) {
        *out = ctx->logit_diff;
        return 0;
    }
    Run run;
    const RunPrompt p = {ctx->ids, ctx->L};
    if (run_init(&run, &ctx->cfg, ctx->model, RUN_MODE_BIT(MODE_CACHE) | RUN_MODE_BIT(MODE_RECOMPUTE), &p, 1,
                 ctx->G, msg, msglen))
        return -1;
    const Engine *a = run_engine(&run, MODE_CACHE), *b = run_engine(&run, MODE_RECOMPUTE);
    double mx = 0;
    const int V = ctx->cfg.vocab;
    while (run_move(&run, MODE_CACHE, RUN_NEXT_STEP)) {
        for (int j = 0; j < V; j++) {   /* row 0 = the last position in both modes */
            double d = fabs((double)a->logits[j] - (double)b->logits[j]);
            if (!(d <= mx)) mx = d;   /* NaN sticks */
        }
    }
    run_free(&run);
    ctx->logit_diff = mx;
    ctx->have_diff = true;
    *out = mx;
    return 0;
}
