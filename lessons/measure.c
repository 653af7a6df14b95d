/* measure: the evaluation context and the meaning of every expression name
 * and function. See eval.h and measure.h; the runs they read are recorded
 * lazily by record.c.
 *
 * Everything a function returns is read from the engine while it runs
 * (its counters, its geometry, its cache, its mask, its paged pool, its
 * traffic counters), never from formulas.h. The closed forms are on
 * purpose and take shapes or sizes that are not the running model:
 * step_cost(), kv_per_token(), blocks_for(), waste_for() and calc() (the
 * published shapes of sim/calc.h, through calc_run()).
 */
#include "lessons/measure.h"

#include "lessons/errmsg.h"
#include "lessons/record.h"
#include "lessons/weights.h"
#include "sim/budget.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int max_line(const SlideSetup *s, unsigned bits)
{
    int m = 0;
    for (int f = 0; f < SET_FIELD_COUNT; f++)
        if ((bits & SETUP_BIT(f)) && s->line[f] > m) m = s->line[f];
    return m;
}

void eval_context_free(EvalContext *ctx)
{
    if (!ctx) return;
    for (int m = 0; m < MODE_COUNT; m++) record_free(&ctx->runs[m]);
    if (ctx->own_model) model_free(ctx->own_model);
    free(ctx->own_model);
    free(ctx->ids);
    free(ctx->prompt);
    free(ctx->batch_ids);
    for (int i = 0; i < LESSON_MAX_PROMPTS - 1; i++) free(ctx->batch_copy[i]);
    int line = ctx->fail_line;
    memset(ctx, 0, sizeof *ctx);
    ctx->fail_line = line;
}

static int cache_steps(EvalContext *ctx, int G);

/* The position part of the set-up: goto and select. */
static int set_view(EvalContext *ctx, const SlideSetup *s, char *err, size_t errlen)
{
    static const RunMode run_of[LESSON_MODE_COUNT] = {MODE_CACHE, MODE_RECOMPUTE, MODE_CACHE,
                                                      MODE_TRAIN, MODE_CACHE};
    const unsigned model_bits = SETUP_MODEL_BITS;
    const int Lyr = ctx->cfg.n_layers, H = ctx->cfg.n_heads;
    const LessonMode lm = (s->mode >= 0 && s->mode < LESSON_MODE_COUNT) ? s->mode
                                                                        : LESSON_MODE_CACHE;
    ctx->view_mode = run_of[lm];
    const int n_steps = ctx->view_mode == MODE_TRAIN       ? 1
                        : ctx->view_mode == MODE_RECOMPUTE ? ctx->G
                                                           : cache_steps(ctx, ctx->G);
    const LessonGoto *g = &s->go;
    const int goto_line = max_line(s, SETUP_BIT(SET_GOTO) | SETUP_BIT(SET_GEN) |
                                          SETUP_BIT(SET_MODE) | SETUP_BIT(SET_PROMPT) | model_bits);
    ctx->fail_line = goto_line;
    if (g->kind == GOTO_STEP_END || g->kind == GOTO_STEP_OP) {
        if (g->step < 0 || g->step >= n_steps)
            return errmsg_fail(err, errlen, "goto: step %d out of range 0..%d", g->step,
                               n_steps - 1);
    }
    if (g->kind == GOTO_STEP_OP) {
        /* the op table says which modes run it (compare and memory run cache) */
        if (!op_in_mode(g->op, ctx->view_mode))
            return errmsg_fail(err, errlen, "goto: operation '%s' does not run in %s mode",
                               lesson_op_name(g->op), lesson_mode_name(lm));
        if (g->layer >= Lyr)
            return errmsg_fail(err, errlen, "goto: layer %d out of range 0..%d", g->layer, Lyr - 1);
    }
    ctx->k = g->kind == GOTO_END ? n_steps - 1
             : (g->kind == GOTO_STEP_END || g->kind == GOTO_STEP_OP) ? g->step : 0;
    ctx->fail_line = max_line(s, SETUP_BIT(SET_LAYER) | model_bits);
    if (s->layer < 0 || s->layer >= Lyr)
        return errmsg_fail(err, errlen, "select: layer %d out of range 0..%d", s->layer, Lyr - 1);
    ctx->fail_line = max_line(s, SETUP_BIT(SET_HEAD) | model_bits);
    if (s->head < 0 || s->head >= H)
        return errmsg_fail(err, errlen, "select: head %d out of range 0..%d", s->head, H - 1);
    ctx->fail_line = 0;
    return 0;
}

static bool same_config(const KvConfig *a, const KvConfig *b)
{
    return a->vocab == b->vocab && a->d_model == b->d_model && a->n_heads == b->n_heads &&
           a->n_layers == b->n_layers && a->d_ff == b->d_ff && a->max_seq == b->max_seq &&
           a->seed == b->seed && a->n_kv_heads == b->n_kv_heads && a->window == b->window &&
           a->block_size == b->block_size && a->chunk == b->chunk && a->speculate == b->speculate &&
           a->rope == b->rope && a->rope_offset_bug == b->rope_offset_bug && a->prefix_cache == b->prefix_cache &&
           a->weights == b->weights;
}

int eval_context_init(EvalContext *ctx, const SlideSetup *s, char *err, size_t errlen)
{
    return eval_context_init_with(ctx, s, NULL, err, errlen);
}

int eval_context_update(EvalContext *ctx, const SlideSetup *s, char *err, size_t errlen)
{
    return eval_context_update_with(ctx, s, NULL, err, errlen);
}

int eval_context_init_with(EvalContext *ctx, const SlideSetup *s, const Model *shared, char *err,
                           size_t errlen)
{
    char msg[256];
    memset(ctx, 0, sizeof *ctx);
    if (err && errlen) err[0] = '\0';
    const unsigned model_bits = SETUP_MODEL_BITS;
    const int model_line = max_line(s, model_bits);
    ctx->setup = *s;
    ctx->cfg = s->model;
    /* as lesson_setup_apply: K/V heads follow heads until kv-heads is given */
    if (!(s->set & SETUP_BIT(SET_KV_HEADS))) ctx->cfg.n_kv_heads = ctx->cfg.n_heads;
    ctx->G = s->gen;
    ctx->fail_line = model_line;
    /* the slide's weights: the random model (full alphabet) or the shipped one */
    if (lesson_weights_apply(s, &ctx->cfg, err, errlen)) goto bad;
    /* the same checks, in the same order, with the same words as cli.c */
    if (!s->trained && !(s->set & SETUP_BIT(SET_D_FF)) && 4LL * ctx->cfg.d_model > CONFIG_MAX_DIM) {
        errmsg_fail(err, errlen,
                    "--d-model %d: the default d-ff (4 x d-model = %lld) exceeds %d; give "
                    "--d-ff too",
                    ctx->cfg.d_model, 4LL * ctx->cfg.d_model, CONFIG_MAX_DIM);
        goto bad;
    }
    if (config_validate(&ctx->cfg, 0, 0, err, errlen)) goto bad;
    const char *prompt = s->prompt ? s->prompt : "";
    ctx->prompt = malloc(strlen(prompt) + 1);
    ctx->ids = malloc(sizeof(int) * (size_t)ctx->cfg.max_seq);
    if (!ctx->prompt || !ctx->ids) {
        errmsg_fail(err, errlen, "out of memory");
        goto bad;
    }
    strcpy(ctx->prompt, prompt);
    ctx->setup.prompt = ctx->prompt;
    ctx->fail_line = s->line[SET_PROMPT];
    ctx->L = tokenizer_encode(prompt, ctx->ids, ctx->cfg.max_seq, msg, sizeof msg);
    if (ctx->L < 0) {
        errmsg_fail(err, errlen, "--prompt: %s", msg);
        goto bad;
    }
    ctx->fail_line = max_line(s, model_bits | SETUP_BIT(SET_PROMPT) | SETUP_BIT(SET_GEN));
    if (config_validate(&ctx->cfg, ctx->L, ctx->G, err, errlen)) goto bad;
    /* the batch: every further prompt as the command line checks a --prompt */
    ctx->n_seqs = 1 + (s->n_batch > 0 ? s->n_batch : 0);
    ctx->batch_L[0] = ctx->L;
    if (ctx->n_seqs > 1) {
        ctx->fail_line = s->line[SET_PROMPT];
        ctx->batch_ids = malloc(sizeof(int) * (size_t)ctx->cfg.max_seq * (size_t)(ctx->n_seqs - 1));
        if (!ctx->batch_ids) {
            errmsg_fail(err, errlen, "out of memory");
            goto bad;
        }
        for (int i = 0; i + 1 < ctx->n_seqs; i++) {
            const char *bp = s->batch[i] ? s->batch[i] : "";
            if (!(ctx->batch_copy[i] = malloc(strlen(bp) + 1))) {
                errmsg_fail(err, errlen, "out of memory");
                goto bad;
            }
            strcpy(ctx->batch_copy[i], bp);
            ctx->setup.batch[i] = ctx->batch_copy[i];
            const int Ls = tokenizer_encode(bp, ctx->batch_ids + (size_t)i * (size_t)ctx->cfg.max_seq,
                                            ctx->cfg.max_seq, msg, sizeof msg);
            if (Ls < 0) {
                errmsg_fail(err, errlen, "--prompt (sequence %d): %s", i + 1, msg);
                goto bad;
            }
            if (config_validate(&ctx->cfg, Ls, ctx->G, err, errlen)) goto bad;
            ctx->batch_L[i + 1] = Ls;
        }
        ctx->fail_line = max_line(s, model_bits | SETUP_BIT(SET_PROMPT) | SETUP_BIT(SET_GEN));
    }
    /* the work budget of the command line, with the same words */
    if (budget_check(&ctx->cfg, ctx->batch_L, ctx->n_seqs, ctx->G, err, errlen)) goto bad;
    if (shared && same_config(&shared->cfg, &ctx->cfg)) {
        ctx->model = shared;
    } else {
        ctx->own_model = malloc(sizeof *ctx->own_model);
        if (!ctx->own_model || model_init(ctx->own_model, &ctx->cfg) != 0) {
            free(ctx->own_model);
            ctx->own_model = NULL;
            errmsg_fail(err, errlen, "out of memory building the model");
            goto bad;
        }
        ctx->model = ctx->own_model;
    }
    ctx->have_model = true;
    if (set_view(ctx, s, err, errlen)) goto bad;
    return 0;
bad:
    eval_context_free(ctx);
    return -1;
}

int measure_budget_check(const Lesson *l, char *err, size_t errlen)
{
    SlideSetup st = lesson_default_setup();
    int *ids = NULL, cap = 0;
    for (int i = 0; i < l->n_slides; i++) {
        lesson_setup_apply(&st, &l->slides[i].setup);
        KvConfig cfg = st.model;
        if (!(st.set & SETUP_BIT(SET_KV_HEADS))) cfg.n_kv_heads = cfg.n_heads;
        if (lesson_weights_apply(&st, &cfg, NULL, 0)) continue;   /* eval_context_init reports it */
        /* a run that is invalid anyway is reported by eval_context_init */
        if (config_validate(&cfg, 0, 0, NULL, 0)) continue;
        if (cfg.max_seq > cap) {
            int *grown = realloc(ids, sizeof(int) * (size_t)cfg.max_seq);
            if (!grown) break;
            ids = grown;
            cap = cfg.max_seq;
        }
        char msg[256];
        int Ls[LESSON_MAX_PROMPTS], n = 0;
        for (int q = 0; q <= st.n_batch && q < LESSON_MAX_PROMPTS; q++) {
            const char *pr = q == 0 ? st.prompt : st.batch[q - 1];
            const int L = tokenizer_encode(pr ? pr : "", ids, cfg.max_seq, msg, sizeof msg);
            if (L < 1 || config_validate(&cfg, L, st.gen, NULL, 0)) break;
            Ls[n++] = L;
        }
        if (n != st.n_batch + 1) continue;
        if (budget_check(&cfg, Ls, n, st.gen, msg, sizeof msg)) {
            const int line = max_line(&st, SETUP_MODEL_BITS | SETUP_BIT(SET_PROMPT) | SETUP_BIT(SET_GEN));
            snprintf(err, errlen, "%s:%d: %s", l->path, line > 0 ? line : l->slides[i].line, msg);
            free(ids);
            return -1;
        }
    }
    free(ids);
    return 0;
}

int eval_context_update_with(EvalContext *ctx, const SlideSetup *s, const Model *shared, char *err,
                             size_t errlen)
{
    /* a borrowed model that is not the one lent now may be gone */
    const bool stale = ctx->have_model && !ctx->own_model && ctx->model != shared;
    if (!ctx->have_model || stale || !lesson_same_run(&ctx->setup, s)) {
        eval_context_free(ctx);
        return eval_context_init_with(ctx, s, shared, err, errlen);
    }
    const char *own = ctx->prompt;
    ctx->setup = *s;
    ctx->setup.prompt = own;
    for (int i = 0; i + 1 < ctx->n_seqs; i++) ctx->setup.batch[i] = ctx->batch_copy[i];
    if (set_view(ctx, s, err, errlen)) {
        eval_context_free(ctx);
        return -1;
    }
    return 0;
}

/* ---- names and functions ------------------------------------------------- */

int measure_name(EvalContext *ctx, const char *name, double *out, char *msg, size_t msglen)
{
    if (!ctx || !ctx->have_model)
        return errmsg_fail(msg, msglen,
                           "no simulator set-up (eval_context_init failed or was not run)");
    const KvConfig *c = &ctx->cfg;
    static const char *const direct[] = {"d", "H", "dh", "Lyr", "F", "V",  "N",
                                         "L", "G", "k",  "Hkv", "W", "B", "balance", "Nseq"};
    const double vals[] = {c->d_model,  c->n_heads,    (double)config_head_dim(c), c->n_layers,
                           c->d_ff,     c->vocab,      c->max_seq,
                           ctx->L,      ctx->G,        ctx->k,
                           c->n_kv_heads, c->window,   c->block_size,
                           CALC_DEFAULT_BALANCE, ctx->n_seqs};
    for (int i = 0; i < (int)(sizeof direct / sizeof direct[0]); i++)
        if (!strcmp(name, direct[i])) {
            *out = vals[i];
            return 0;
        }
    if (strcmp(name, "n") && strcmp(name, "t") && strcmp(name, "pos")) return 1;
    EvalRun *r = record_run(ctx, ctx->view_mode, msg, msglen);
    if (!r) return -1;
    int k = ctx->k < r->n_steps ? ctx->k : r->n_steps - 1;
    if (!strcmp(name, "n")) *out = r->n[k];
    else if (!strcmp(name, "t")) *out = r->t[k];
    else *out = r->t[k] - 1;
    return 0;
}

/* A whole number in lo..hi, named `what` in messages. */
/* The block functions need a paged cache: -1 with a message when the
 * slide's model: line has no block-size. */
static int need_paged(const EvalContext *ctx, const char *fn, char *msg, size_t msglen)
{
    if (ctx->cfg.block_size > 0) return 0;
    return errmsg_fail(msg, msglen, "%s(): the cache is not paged in this set-up; add block-size=B to the model: line",
                       fn);
}

static int index_arg(const char *fn, const char *what, double v, long long lo, long long hi,
                     long long *out, char *msg, size_t msglen)
{
    if (v != floor(v))
        return errmsg_fail(msg, msglen, "%s(): %s %g is not a whole number", fn, what, v);
    if (v < (double)lo || v > (double)hi)
        return errmsg_fail(msg, msglen,
                           fabs(v) < 1e15 ? "%s %.0f out of range %lld..%lld"
                                          : "%s %g out of range %lld..%lld",
                           what, v, lo, hi);
    *out = (long long)v;
    return 0;
}

static double cat_value(const OpCounts *c, int cat)
{
    return cat == CAT_TOTAL  ? (double)counts_total(c)
           : cat == CAT_ROPE ? (double)c->rope
                             : (double)c->mac[cat];
}

/* step_cost(): spec §4, summed over layers, plus the head. */
static int step_cost(const EvalCall *call, double *out, char *msg, size_t msglen)
{
    static const char *const names[] = {"d", "F", "Lyr", "V", "L", "K"};
    for (int i = 0; i < 6; i++)
        if (call->num[i] != floor(call->num[i]) || call->num[i] < (i == 5 ? 0 : 1))
            return errmsg_fail(msg, msglen, "step_cost(): %s = %g must be a whole number >= %d",
                               names[i], call->num[i], i == 5 ? 0 : 1);
    const double d = call->num[0], F = call->num[1], Lyr = call->num[2], V = call->num[3];
    const double L = call->num[4], K = call->num[5];
    double n, t, head_rows = 1;
    switch (call->mode) {
    case MODE_CACHE: n = K == 0 ? L : 1; t = L + K; break;
    case MODE_RECOMPUTE: n = t = L + K; break;
    default:
        if (K != 0)
            return errmsg_fail(msg, msglen, "step_cost(train, ...): K must be 0 (one pass)");
        n = t = head_rows = L;
        break;
    }
    /* qkv 3nd² + scores ntd + values ntd + out_proj nd² + ffn 2ndF */
    const double layer = 3 * n * d * d + 2 * n * t * d + n * d * d + 2 * n * d * F;
    *out = Lyr * layer + head_rows * d * V;
    return 0;
}

/* ---- calc(): published shapes (sim/calc.h) ------------------------------- */

int measure_calc_field(const char *name, size_t len)
{
    return calc_field_find(name, len);
}

/* calc(NAME, FIELD[, T[, BYTES[, BATCH]]]): T defaults to the model's
 * trained context, BYTES (per number: 4, 2 or 1) to 2, BATCH to 1 - the
 * defaults of `kvsim calc`. */
static int calc_call(const EvalCall *call, double *out, char *msg, size_t msglen)
{
    static const char *const names[] = {"context", "bytes per number", "batch"};
    const CalcShape *s = call->shape;
    if (!s) return errmsg_fail(msg, msglen, "calc(): no model");
    uint64_t v[3] = {s->max_context ? s->max_context : 4096, 2, 1};
    for (int i = 0; i < call->n_num && i < 3; i++) {
        const double a = call->num[i];
        if (a != floor(a) || a < 1 || a > (double)CALC_MAX_VALUE)
            return errmsg_fail(msg, msglen, "calc(): %s = %g must be a whole number from 1 to %llu",
                               names[i], a, (unsigned long long)CALC_MAX_VALUE);
        v[i] = (uint64_t)a;
    }
    CalcInput in;
    memset(&in, 0, sizeof in);
    in.context = v[0];
    in.batch = v[2];
    in.balance = CALC_DEFAULT_BALANCE;
    switch (v[1]) {
    case 4: in.dtype = CALC_FP32; break;
    case 2: in.dtype = CALC_FP16; break;
    case 1: in.dtype = CALC_INT8; break;
    default:
        return errmsg_fail(msg, msglen,
                           "calc(): bytes per number %llu; expected 4 (fp32), 2 (fp16, "
                           "bf16) or 1 (int8)",
                           (unsigned long long)v[1]);
    }
    CalcResult r;
    char err[256];
    if (calc_run(s, &in, &r, err, sizeof err))
        return errmsg_fail(msg, msglen, "calc(%s): %s", s->name, err);
    *out = calc_field_value(&r, call->field);
    if (!isfinite(*out)) return errmsg_fail(msg, msglen, "calc(): unknown field");
    return 0;
}

/* blocks_for(T, B) and waste_for(T, B, BYTES): a paged cache of blocks of
 * B positions holding T positions (spec §6.4, no window). */
static int paging_call(const EvalCall *call, double *out, char *msg, size_t msglen)
{
    const char *fn = call->fn == FN_BLOCKS_FOR ? "blocks_for" : "waste_for";
    const double T = call->num[0], B = call->num[1];
    if (T != floor(T) || T < 0 || T > 1e15)
        return errmsg_fail(msg, msglen, "%s(): T = %g must be a whole number >= 0", fn, T);
    if (B != floor(B) || B < 1 || B > 1e15)
        return errmsg_fail(msg, msglen, "%s(): B = %g must be a whole number >= 1", fn, B);
    const double blocks = ceil(T / B);
    if (call->fn == FN_BLOCKS_FOR) {
        *out = blocks;
        return 0;
    }
    if (!(call->num[2] >= 0))
        return errmsg_fail(msg, msglen, "waste_for(): BYTES = %g must be >= 0", call->num[2]);
    *out = (blocks * B - T) * call->num[2];
    return 0;
}

/* Steps of the cache run: G, or with chunk (§6.7) ceil(L / C) + G − 1; with
 * speculate (§6.9) the engine knows only after running, so ask the run (G
 * when it cannot be built: the call reports that itself). */
static int cache_steps(EvalContext *ctx, int G)
{
    if (ctx->cfg.speculate > 0) {
        EvalRun *r = record_run(ctx, MODE_CACHE, NULL, 0);
        return r ? r->n_steps : G;
    }
    if (ctx->cfg.chunk > 0) return (ctx->L + ctx->cfg.chunk - 1) / ctx->cfg.chunk + G - 1;
    return G;
}

int measure_call(EvalContext *ctx, const EvalCall *call, double *out, char *msg, size_t msglen)
{
    if (!ctx || !ctx->have_model)
        return errmsg_fail(msg, msglen,
                           "no simulator set-up (eval_context_init failed or was not run)");
    const int G = ctx->G, Lyr = ctx->cfg.n_layers;
    const double *a = call->num;
    long long k = 0, l = 0;
    EvalRun *r = NULL, *r2 = NULL;
    switch (call->fn) {
    case FN_MACS:
    case FN_MASKED:
        if (!(r = record_run(ctx, call->mode, msg, msglen))) return -1;
        if (index_arg(call->fn == FN_MACS ? "macs" : "masked", "step", a[0], 0, r->n_steps - 1,
                      &k, msg, msglen))
            return -1;
        if (call->fn == FN_MASKED) {
            *out = (double)r->steps[k].masked;
        } else if (call->n_num == 2) {
            if (index_arg("macs", "layer", a[1], 0, Lyr - 1, &l, msg, msglen)) return -1;
            *out = cat_value(&r->layers[(size_t)k * Lyr + (size_t)l], call->cat);
        } else {
            *out = cat_value(&r->steps[k], call->cat);
        }
        return 0;
    case FN_TOTAL:
        if (!(r = record_run(ctx, call->mode, msg, msglen))) return -1;
        *out = cat_value(&r->total, call->cat);
        return 0;
    case FN_VISIBLE:
    case FN_KV_BYTES:
    case FN_KV_NUMBERS:
    case FN_RATIO:
        if (index_arg(call->fn == FN_VISIBLE    ? "visible"
                      : call->fn == FN_KV_BYTES ? "kv_bytes"
                      : call->fn == FN_RATIO    ? "ratio"
                                                : "kv_numbers",
                      "step", a[0], 0, cache_steps(ctx, G) - 1, &k, msg, msglen))
            return -1;
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        if (call->fn == FN_RATIO && r->n_steps != G)
            return errmsg_fail(msg, msglen,
                               "ratio(): the cache run takes %d steps for %d tokens "
                               "(chunk or speculate); its steps do not pair with recompute's",
                               r->n_steps, G);
        if (call->fn == FN_VISIBLE) *out = (double)r->visible[k];
        else if (call->fn == FN_KV_BYTES) *out = (double)r->kv_bytes[k];
        else if (call->fn == FN_KV_NUMBERS) *out = (double)(r->kv_bytes[k] / 4);
        else {
            if (!(r2 = record_run(ctx, MODE_RECOMPUTE, msg, msglen))) return -1;
            double den = (double)counts_total(&r->steps[k]);
            if (den == 0)
                return errmsg_fail(msg, msglen, "ratio(%lld): the cache step made no MACs", k);
            *out = (double)counts_total(&r2->steps[k]) / den;
        }
        return 0;
    case FN_TOKEN_POS:
        if (index_arg("token_pos", "token", a[0], 1, G, &k, msg, msglen)) return -1;
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        *out = r->token_pos[k - 1];
        return 0;
    case FN_LOGIT_DIFF: return record_logit_diff(ctx, out, msg, msglen);
    case FN_PASSES:
    case FN_ROWS:
        if (!(r = record_run(ctx, call->mode, msg, msglen))) return -1;
        if (call->fn == FN_PASSES) {
            *out = r->n_steps;
        } else {
            double rows = 0;
            for (int i = 0; i < r->n_steps; i++) rows += r->n[i];
            *out = rows;
        }
        return 0;
    case FN_EMIT_STEP:
        if (index_arg("emit_step", "token", a[0], 1, G, &k, msg, msglen)) return -1;
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        for (int i = 0, sum = 0; i < r->n_steps; i++)
            if ((sum += r->emitted[i]) >= k) {
                *out = i;
                return 0;
            }
        return errmsg_fail(msg, msglen, "emit_step(%lld): the run never emitted it", k);
    case FN_EMITTED:
    case FN_DRAFTED:
    case FN_ACCEPTED: {
        const char *fn = call->fn == FN_EMITTED ? "emitted" : call->fn == FN_DRAFTED ? "drafted" : "accepted";
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        if (index_arg(fn, "step", a[0], 0, r->n_steps - 1, &k, msg, msglen)) return -1;
        *out = call->fn == FN_EMITTED ? r->emitted[k] : call->fn == FN_DRAFTED ? r->drafted[k] : r->accepted[k];
        return 0;
    }
    case FN_STEP_COST: return step_cost(call, out, msg, msglen);
    case FN_KV_BLOCKS:
    case FN_KV_RESERVED:
    case FN_KV_WASTE: {
        const char *fn = call->fn == FN_KV_BLOCKS     ? "kv_blocks"
                         : call->fn == FN_KV_RESERVED ? "kv_reserved"
                                                      : "kv_waste";
        if (index_arg(fn, "step", a[0], 0, cache_steps(ctx, G) - 1, &k, msg, msglen)) return -1;
        if (need_paged(ctx, fn, msg, msglen)) return -1;
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        if (call->fn == FN_KV_BLOCKS) *out = r->kv_blocks[k];
        else if (call->fn == FN_KV_RESERVED) *out = (double)r->kv_reserved[k];
        else *out = (double)r->kv_reserved[k] - (double)r->kv_bytes[k];
        return 0;
    }
    case FN_WEIGHT_BYTES:
    case FN_KV_READ:
    case FN_KV_WRITTEN:
    case FN_INTENSITY: {
        const char *fn = call->fn == FN_WEIGHT_BYTES ? "weight_bytes"
                         : call->fn == FN_KV_READ    ? "kv_read"
                         : call->fn == FN_KV_WRITTEN ? "kv_written"
                                                     : "intensity";
        if (!(r = record_run(ctx, call->mode, msg, msglen))) return -1;
        if (index_arg(fn, "step", a[0], 0, r->n_steps - 1, &k, msg, msglen)) return -1;
        const Traffic *tr = &r->traffic[k];
        if (call->fn == FN_WEIGHT_BYTES) *out = (double)tr->weight_bytes;
        else if (call->fn == FN_KV_READ) *out = (double)tr->kv_read_bytes;
        else if (call->fn == FN_KV_WRITTEN) *out = (double)tr->kv_write_bytes;
        else *out = traffic_intensity(counts_total(&r->steps[k]), tr);
        return 0;
    }
    case FN_PROMPT_LEN:
    case FN_SHARED_ROWS: {
        const char *fn = call->fn == FN_PROMPT_LEN ? "prompt_len" : "shared_rows";
        if (index_arg(fn, "sequence", a[0], 0, ctx->n_seqs - 1, &k, msg, msglen)) return -1;
        if (call->fn == FN_PROMPT_LEN) {
            *out = ctx->batch_L[k];
            return 0;
        }
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        *out = r->shared_rows[k];
        return 0;
    }
    case FN_SEQ_ROWS:
    case FN_SEQ_MACS:
    case FN_SEQ_BLOCKS: {
        const char *fn = call->fn == FN_SEQ_ROWS ? "seq_rows" : call->fn == FN_SEQ_MACS ? "seq_macs" : "seq_blocks";
        if (index_arg(fn, "sequence", a[0], 0, ctx->n_seqs - 1, &l, msg, msglen)) return -1;
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        if (index_arg(fn, "step", a[1], 0, r->n_steps - 1, &k, msg, msglen)) return -1;
        if (call->fn == FN_SEQ_BLOCKS && need_paged(ctx, fn, msg, msglen)) return -1;
        const size_t at = (size_t)k * (size_t)r->n_seqs + (size_t)l;
        *out = call->fn == FN_SEQ_ROWS   ? r->seq_n[at]
               : call->fn == FN_SEQ_MACS ? cat_value(&r->seq_steps[at], call->cat)
                                         : r->seq_blocks[at];
        return 0;
    }
    case FN_POOL_BLOCKS:
    case FN_POOL_RESERVED:
    case FN_BLOCK_REFS: {
        const char *fn = call->fn == FN_POOL_BLOCKS ? "pool_blocks" : call->fn == FN_POOL_RESERVED ? "pool_reserved" : "block_refs";
        if (need_paged(ctx, fn, msg, msglen)) return -1;
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        const double step = call->fn == FN_BLOCK_REFS ? a[1] : a[0];
        if (index_arg(fn, "step", step, 0, r->n_steps - 1, &k, msg, msglen)) return -1;
        if (call->fn == FN_BLOCK_REFS) {
            if (index_arg(fn, "block", a[0], 0, r->pool_n - 1, &l, msg, msglen)) return -1;
            *out = r->refs[(size_t)k * (size_t)r->pool_n + (size_t)l];
        } else {
            *out = call->fn == FN_POOL_BLOCKS ? r->pool_used[k] : (double)r->pool_reserved[k];
        }
        return 0;
    }
    case FN_ATTN: {
        /* the cache run's step k (the slide's position), its last query row */
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        const int H = ctx->cfg.n_heads, N = ctx->cfg.max_seq;
        long long h = 0, j = 0;
        if (index_arg("attn", "layer", a[0], 0, Lyr - 1, &l, msg, msglen)) return -1;
        if (index_arg("attn", "head", a[1], 0, H - 1, &h, msg, msglen)) return -1;
        const int step = ctx->k < r->n_steps ? ctx->k : r->n_steps - 1;
        if (index_arg("attn", "position", a[2], 0, r->t[step] - 1, &j, msg, msglen)) return -1;
        *out = r->att_last[(((size_t)step * (size_t)Lyr + (size_t)l) * (size_t)H + (size_t)h) * (size_t)N +
                           (size_t)j];
        return 0;
    }
    case FN_PREV_MATCH: {
        if (!(r = record_run(ctx, MODE_CACHE, msg, msglen))) return -1;
        if (index_arg("prev_match", "position", a[0], 0, r->n_tokens - 1, &k, msg, msglen)) return -1;
        *out = -1;
        for (long long j = k - 1; j >= 0; j--)
            if (r->tokens[j] == r->tokens[k]) {
                *out = (double)j;
                break;
            }
        return 0;
    }
    case FN_CALC: return calc_call(call, out, msg, msglen);
    case FN_BLOCKS_FOR:
    case FN_WASTE_FOR: return paging_call(call, out, msg, msglen);
    case FN_MIN: *out = a[0] < a[1] ? a[0] : a[1]; return 0;
    case FN_MAX: *out = a[0] > a[1] ? a[0] : a[1]; return 0;
    case FN_CEIL: *out = ceil(a[0]); return 0;
    case FN_FLOOR: *out = floor(a[0]); return 0;
    case FN_ROUND: {
        /* half away from zero, to DIGITS decimals (0 .. 9; default 0) */
        long long digits = 0;
        if (call->n_num == 2 && index_arg("round", "digits", a[1], 0, 9, &digits, msg, msglen))
            return -1;
        const double scale = pow(10.0, (double)digits);
        const double v = round(a[0] * scale) / scale;
        *out = isfinite(v) ? v : a[0];
        return 0;
    }
    case FN_KV_PER_TOKEN:
        for (int i = 0; i < 4; i++)
            if (a[i] < 0)
                return errmsg_fail(msg, msglen, "kv_per_token(): argument %d = %g must be >= 0",
                                   i + 1, a[i]);
        *out = 2 * a[0] * a[1] * a[2] * a[3];
        return 0;
    default:
        return errmsg_fail(msg, msglen, "unknown function");
    }
}
