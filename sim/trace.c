/* trace: see trace.h. */
#include "sim/trace.h"

#include "sim/formulas.h"
#include "sim/run.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void record_step(const Engine *e, TraceStep *s)
{
    s->step = e->step;
    s->phase = engine_phase(e);
    s->n = e->n;
    s->t = e->t;
    s->token_id = e->picked;
    s->counts = e->step_counts;
    s->kv_bytes = engine_kv_bytes(e);
    s->loss = e->mode == MODE_TRAIN ? e->loss : NAN;
    s->kv_blocks = engine_kv_blocks(e);
    s->kv_reserved_bytes = engine_kv_reserved_bytes(e);
    s->traffic = e->traffic;
    s->p0 = e->p0;
    s->drafted = e->drafted;
    s->accepted = e->drafted ? e->accepted : 0;
    const StepPlan *pl = engine_plan(e, e->step);
    s->gen0 = pl ? pl->tok0 - e->L : 0;
    s->emitted = e->mode == MODE_TRAIN ? 0 : e->emitted;
    s->kept = e->mode == MODE_CACHE ? e->cache.len : 0;
    s->head = e->mode != MODE_CACHE || e->step >= e->n_chunks - 1;
}

/* §6.7 / §6.9: a plain cache run of the same prompt (no chunks, no
 * drafts) beside the one traced: its steps and counts (when steps /
 * totals are given), and whether it emitted gen (G) with the logits clog
 * (G, V), bit for bit. */
static int run_plain(const Model *m, const TracePrompt *P, int G, const int *gen, const float *clog, bool *same,
                     int *steps, OpCounts *totals, char *err, size_t errlen)
{
    Model plain = *m;   /* the same weights, read-only; only the run's options differ */
    plain.cfg.chunk = 0;
    plain.cfg.speculate = 0;
    Run run;
    const RunPrompt rp = {P->ids, P->L};
    if (run_init(&run, &plain.cfg, &plain, RUN_MODE_BIT(MODE_CACHE), &rp, 1, G, err, errlen)) return -1;
    const Engine *e = run_engine(&run, MODE_CACHE);
    const int V = m->cfg.vocab;
    *same = true;
    for (int k = 0; k < G; k++) {
        run_seek(&run, MODE_CACHE, run_step_start(e, k + 1));
        if (e->picked != gen[k] || memcmp(e->logits, clog + (size_t)k * V, sizeof(float) * (size_t)V)) *same = false;
    }
    if (steps) *steps = e->n_steps;
    if (totals) *totals = e->cum;
    run_free(&run);
    return 0;
}

/* Physical blocks in table `now` and not at the same place in `was` (taken
 * this step), or the other way round (given back); ids into out. */
static int table_diff(const int *was, int n_was, const int *now, int n_now, int *out)
{
    int c = 0;
    for (int i = 0; i < n_now; i++)
        if (now[i] >= 0 && (i >= n_was || was[i] != now[i])) out[c++] = now[i];
    return c;
}

/* One sequence of the batch after its step k; was = its table before. */
static int record_seq(const Engine *e, TraceSeqStep *st, const int *was, int n_was)
{
    st->n = e->n;
    st->counts = e->step_counts;
    st->shared_rows = e->step == 0 ? e->shared_rows : 0;
    st->t = e->t;
    st->token_id = e->picked;
    st->kv_blocks = engine_kv_blocks(e);
    st->kv_reserved_bytes = engine_kv_reserved_bytes(e);
    st->kv_cache_bytes = engine_kv_bytes(e);
    if (!e->pool) return 0;
    int n_now;
    const int *now = paged_seq_table(e->pool, e->pool_seq, &n_now);
    const int cap = n_was + n_now + 1;
    st->new_blocks = malloc(sizeof(int) * (size_t)cap);
    st->freed_blocks = malloc(sizeof(int) * (size_t)cap);
    if (!st->new_blocks || !st->freed_blocks) return -1;
    st->n_new = table_diff(was, n_was, now, n_now, st->new_blocks);
    st->n_freed = table_diff(now, n_now, was, n_was, st->freed_blocks);
    /* the shared prefix's blocks were not taken from the free list; under a
     * window those below the sequence's own window are holes (paged.h) */
    const int nb = (st->shared_rows + e->pool->block_size - 1) / e->pool->block_size;
    st->shared_blocks = malloc(sizeof(int) * (size_t)(nb + 1));
    if (!st->shared_blocks) return -1;
    st->n_shared = 0;
    const int first = e->pool->seqs[e->pool_seq].first;
    for (int i = 0; i < nb && i < n_now; i++)
        if (now[i] >= 0 && paged_share_refs(e->pool->block_size, first, st->shared_rows, i))
            st->shared_blocks[st->n_shared++] = now[i];
    st->n_new -= st->n_shared;
    memmove(st->new_blocks, st->new_blocks + st->n_shared, sizeof(int) * (size_t)st->n_new);
    return 0;
}

static void compare_logits(Trace *tr, const float *a, const float *b, int V)
{
    for (int j = 0; j < V; j++) {
        const double diff = fabs((double)a[j] - (double)b[j]);
        if (diff > tr->max_abs_logit_diff) tr->max_abs_logit_diff = diff;
    }
}

int trace_run(Trace *tr, const Model *m, const char *prompt, const int *ids, int L, int G,
              char *err, size_t errlen)
{
    const TracePrompt p = {prompt, ids, L};
    return trace_run_batch(tr, m, &p, 1, G, err, errlen);
}

/* Sequence s's emitted tokens and their logits (clog: (G, V)) after its
 * step, from the step's logits rows (a verify step has one per token). */
static void keep_emitted(const Engine *e, const TraceStep *st, int *gen, float *clog)
{
    const int V = e->cfg.vocab;
    for (int i = 0; i < st->emitted; i++) {
        gen[st->gen0 + i] = e->tokens[e->L + st->gen0 + i];
        memcpy(clog + (size_t)(st->gen0 + i) * V, e->logits + (size_t)i * V, sizeof(float) * (size_t)V);
    }
}

int trace_run_batch(Trace *tr, const Model *m, const TracePrompt *P, int n_seqs, int G,
                    char *err, size_t errlen)
{
    const KvConfig *c = &m->cfg;
    memset(tr, 0, sizeof *tr);
    tr->cfg = *c;
    tr->L = P[0].L;
    tr->G = G;
    tr->prompt = strdup(P[0].text);
    tr->n_seqs = n_seqs;
    tr->bytes_per_pos = 2u * (uint64_t)c->n_layers * (uint64_t)config_kv_dim(c) * sizeof(float);
    tr->seqs = calloc((size_t)n_seqs, sizeof(TraceSeq));
    RunPrompt *rp = calloc((size_t)n_seqs, sizeof(RunPrompt));
    int *was = NULL;     /* (n_seqs, max blocks) each sequence's table before the step */
    int *n_was = NULL;   /* (n_seqs) */
    Run run;
    memset(&run, 0, sizeof run);
    int rc = (tr->prompt && tr->seqs && rp) ? 0 : -1;
    if (rc) snprintf(err, errlen, "out of memory");
    for (int s = 0; s < n_seqs && rc == 0; s++) rp[s] = (RunPrompt){P[s].ids, P[s].L};
    if (rc == 0) rc = run_init(&run, c, m, RUN_ALL_MODES, rp, n_seqs, G, err, errlen);
    /* the cache run's steps: G, or chunks and verify steps (§6.7, §6.9);
     * the batch's: the most any sequence takes (sim/run.h, step lockstep) */
    const int nc = rc == 0 ? run.eng[MODE_CACHE].n_steps : G;
    const int ops = rc == 0 ? run.eng[MODE_CACHE].ops_per_step : 1;
    const int nb = rc == 0 ? (int)(run_batch_total(&run) / ops) : G;
    const bool aligned = !(c->chunk > 0 || c->speculate > 0);
    tr->n_cache_steps = nc;
    tr->n_batch_steps = nb;
    tr->n_chunks = rc == 0 ? run.eng[MODE_CACHE].n_chunks : 1;
    const int V = c->vocab;
    float *clog = NULL;   /* (n_seqs, G, V) each sequence's logits of each generated token */
    tr->gen_ids = calloc((size_t)G, sizeof(int));
    if (rc == 0 && (!tr->gen_ids || !(clog = malloc(sizeof(float) * (size_t)n_seqs * (size_t)G * (size_t)V)))) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    for (int md = 0; md < MODE_COUNT && rc == 0; md++) {
        tr->modes[md].n_steps = run.eng[md].n_steps;
        tr->modes[md].steps = calloc((size_t)run.eng[md].n_steps, sizeof(TraceStep));
        if (!tr->modes[md].steps) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    for (int s = 0; s < n_seqs && rc == 0; s++) {
        TraceSeq *sq = &tr->seqs[s];
        sq->prompt = strdup(P[s].text);
        sq->L = P[s].L;
        sq->n_steps = run_seq(&run, s)->n_steps;
        sq->steps = calloc((size_t)sq->n_steps, sizeof(TraceSeqStep));
        sq->gen_ids = calloc((size_t)G, sizeof(int));
        if (!sq->prompt || !sq->steps || !sq->gen_ids) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    const int max_blocks = c->block_size > 0 ? c->max_seq / c->block_size + 1 : 1;
    if (rc == 0 && run.pool) {
        tr->pool_blocks = run.pool->n_blocks;
        tr->pool = calloc((size_t)nb, sizeof(TracePoolStep));
        was = malloc(sizeof(int) * (size_t)n_seqs * (size_t)max_blocks);
        n_was = calloc((size_t)n_seqs, sizeof(int));
        if (!tr->pool || !was || !n_was) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }

    /* the run's lockstep order (sim/run.h): step k of every sequence in
     * prompt order (a finished one stays), the recompute engine beside
     * sequence 0, then step k+1 */
    const Engine *c0 = run_engine(&run, MODE_CACHE), *r = run_engine(&run, MODE_RECOMPUTE);
    tr->equivalent = true;
    tr->max_abs_logit_diff = 0.0;
    for (int k = 0; k < nb && rc == 0; k++) {
        for (int s = 0; s < n_seqs && run.pool; s++) {
            const int *t0 = paged_seq_table(run.pool, s, &n_was[s]);
            memcpy(was + (size_t)s * max_blocks, t0, sizeof(int) * (size_t)n_was[s]);
        }
        run_seek(&run, MODE_CACHE, run_step_start(c0, k + 1));
        if (run_pool_overflow(&run)) {
            snprintf(err, errlen, "the block pool ran out of blocks");
            rc = -1;
        }
        for (int s = 0; s < n_seqs && rc == 0; s++) {
            TraceSeq *sq = &tr->seqs[s];
            if (k >= sq->n_steps) continue;   /* finished: it has no step k */
            const Engine *e = run_seq(&run, s);
            rc = record_seq(e, &sq->steps[k], run.pool ? was + (size_t)s * max_blocks : NULL, run.pool ? n_was[s] : 0);
            record_step(e, &sq->steps[k].full);
            keep_emitted(e, &sq->steps[k].full, sq->gen_ids, clog + (size_t)s * G * V);
        }
        if (rc) break;
        if (k < nc) {
            record_step(c0, &tr->modes[MODE_CACHE].steps[k]);
            keep_emitted(c0, &tr->modes[MODE_CACHE].steps[k], tr->gen_ids, clog);
        }
        if (aligned) {
            record_step(r, &tr->modes[MODE_RECOMPUTE].steps[k]);
            compare_logits(tr, clog + (size_t)k * V, r->logits, V);
            if (c0->picked != r->picked) tr->equivalent = false;
        }
        if (tr->pool) {
            TracePoolStep *ps = &tr->pool[k];
            ps->blocks_used = paged_blocks_used(run.pool);
            ps->blocks_free = run.pool->n_free;
            ps->reserved_bytes = paged_reserved_bytes(run.pool);
            ps->used_bytes = paged_used_bytes(run.pool);
            ps->blocks_shared = paged_blocks_shared(run.pool);
            for (int s = 0; s < n_seqs; s++) {
                ps->contiguous_bytes += (uint64_t)run_seq(&run, s)->cache.capacity * tr->bytes_per_pos;
                ps->seq_used_bytes += paged_seq_used_bytes(run.pool, s);
            }
        }
    }
    /* chunks and verify steps: recompute step by step on its own (the cache
     * engine follows, by the token it emits), against the cache's tokens */
    for (int j = 0; j < G && rc == 0 && !aligned; j++) {
        run_seek(&run, MODE_RECOMPUTE, run_step_start(r, j + 1));
        record_step(r, &tr->modes[MODE_RECOMPUTE].steps[j]);
        compare_logits(tr, clog + (size_t)j * V, r->logits, V);
        if (r->picked != tr->gen_ids[j]) tr->equivalent = false;
    }
    if (rc == 0 && !aligned) {
        run_seek(&run, MODE_CACHE, run_batch_total(&run));   /* the batch's end: the tables below */
        rc = run_plain(m, &P[0], G, tr->gen_ids, clog, &tr->plain_same, &tr->plain_steps, &tr->plain_totals,
                       err, errlen);
        /* every sequence against its own prompt run alone */
        for (int s = 0; s < n_seqs && rc == 0; s++)
            rc = run_plain(m, &P[s], G, tr->seqs[s].gen_ids, clog + (size_t)s * G * V, &tr->seqs[s].plain_same,
                           NULL, NULL, err, errlen);
    }
    if (rc == 0) {
        run_seek(&run, MODE_TRAIN, engine_total_ops(run_engine(&run, MODE_TRAIN)));
        record_step(run_engine(&run, MODE_TRAIN), &tr->modes[MODE_TRAIN].steps[0]);
        for (int md = 0; md < MODE_COUNT; md++) {
            tr->modes[md].totals = run.eng[md].cum;
            tr->modes[md].traffic = run.eng[md].traffic_cum;
        }
        for (int s = 0; s < n_seqs && tr->pool; s++) {
            const int *t1 = paged_seq_table(run.pool, s, &tr->seqs[s].n_table);
            tr->seqs[s].table = malloc(sizeof(int) * (size_t)(tr->seqs[s].n_table + 1));
            if (!tr->seqs[s].table) { snprintf(err, errlen, "out of memory"); rc = -1; break; }
            memcpy(tr->seqs[s].table, t1, sizeof(int) * (size_t)tr->seqs[s].n_table);
        }
    }
    run_free(&run);
    free(clog);
    free(rp);
    free(was);
    free(n_was);
    if (rc) trace_free(tr);
    return rc;
}

void trace_free(Trace *tr)
{
    for (int md = 0; md < MODE_COUNT; md++) free(tr->modes[md].steps);
    for (int s = 0; s < tr->n_seqs && tr->seqs; s++) {
        for (int k = 0; k < tr->seqs[s].n_steps && tr->seqs[s].steps; k++) {
            free(tr->seqs[s].steps[k].new_blocks);
            free(tr->seqs[s].steps[k].freed_blocks);
            free(tr->seqs[s].steps[k].shared_blocks);
        }
        free(tr->seqs[s].steps);
        free(tr->seqs[s].prompt);
        free(tr->seqs[s].table);
        free(tr->seqs[s].gen_ids);
    }
    free(tr->seqs);
    free(tr->pool);
    free(tr->prompt);
    free(tr->gen_ids);
    memset(tr, 0, sizeof *tr);
}

/* ---- JSON ------------------------------------------------------------------ */

void trace_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void json_macs(FILE *f, const OpCounts *c)
{
    fputs("{", f);
    for (int i = 0; i < CAT_COUNT; i++)
        fprintf(f, "\"%s\": %llu, ", counts_name((Category)i), (unsigned long long)c->mac[i]);
    /* §6.10: only a RoPE run turns anything; without --rope the key is absent */
    if (c->rope) fprintf(f, "\"rope\": %llu, ", (unsigned long long)c->rope);
    fprintf(f, "\"total\": %llu}", (unsigned long long)counts_total(c));
}

/* the §6.5 fields: bytes read and written, and FLOP per byte read */
static void json_traffic(FILE *f, const Traffic *t, uint64_t macs)
{
    fprintf(f, ", \"weight_bytes_read\": %llu, \"kv_bytes_read\": %llu, \"kv_bytes_written\": %llu, "
               "\"arithmetic_intensity\": %.17g",
            (unsigned long long)t->weight_bytes, (unsigned long long)t->kv_read_bytes,
            (unsigned long long)t->kv_write_bytes, traffic_intensity(macs, t));
}

static void json_ints(FILE *f, const int *v, int n);

/* §6.9's STEP fields: drafts verified, accepted, the ids emitted (and their text) */
static void json_spec_fields(FILE *f, const int *gen_ids, const TraceStep *s)
{
    fprintf(f, ", \"drafted\": %d, \"accepted\": %d, \"emitted\": ", s->drafted, s->accepted);
    json_ints(f, gen_ids + s->gen0, s->emitted);
    char text[8 * 64 + 1] = "";
    size_t o = 0;
    for (int i = 0; i < s->emitted && o + 8 < sizeof text; i++) o += (size_t)tokenizer_decode(gen_ids[s->gen0 + i], text + o);
    fputs(", \"emitted_text\": ", f);
    trace_json_string(f, text);
}

static void json_step(FILE *f, const Trace *tr, const TraceStep *s, bool spec)
{
    char tok[8] = "";
    tokenizer_decode(s->token_id, tok);
    fprintf(f, "{\"step\": %d, \"phase\": \"%s\", \"n\": %d, \"t\": %d, \"token\": ", s->step,
            engine_phase_name(s->phase), s->n, s->t);
    trace_json_string(f, tok);
    fprintf(f, ", \"token_id\": %d, \"macs\": ", s->token_id);
    json_macs(f, &s->counts);
    fprintf(f, ", \"masked_macs\": %llu, \"kv_cache_bytes\": %llu",
            (unsigned long long)s->counts.masked, (unsigned long long)s->kv_bytes);
    fprintf(f, ", \"kv_blocks\": %d, \"kv_reserved_bytes\": %llu", s->kv_blocks,
            (unsigned long long)s->kv_reserved_bytes);
    json_traffic(f, &s->traffic, counts_total(&s->counts));
    if (s->phase == PHASE_TRAIN) {
        if (isnan(s->loss)) fputs(", \"loss\": null", f);
        else fprintf(f, ", \"loss\": %.6f", s->loss);
    }
    if (spec) json_spec_fields(f, tr->gen_ids, s);
    fputc('}', f);
}

/* spec: the mode's steps carry §6.9's fields (cache mode under --speculate) */
static void json_mode(FILE *f, const Trace *tr, const TraceMode *m, bool spec)
{
    fputs("{\"steps\": [", f);
    for (int k = 0; k < m->n_steps; k++) {
        fputs(k ? ",\n      " : "\n      ", f);
        json_step(f, tr, &m->steps[k], spec);
    }
    fputs("],\n      \"totals\": {\"macs\": ", f);
    json_macs(f, &m->totals);
    fprintf(f, ", \"masked_macs\": %llu", (unsigned long long)m->totals.masked);
    json_traffic(f, &m->traffic, counts_total(&m->totals));
    fputs("}}", f);
}

static void json_ints(FILE *f, const int *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? ", " : "", v[i]);
    fputc(']', f);
}

/* §6.8: what a batch step computed, and on step 0 what it shared */
static void json_seq_prefix(FILE *f, const TraceSeqStep *st, int k)
{
    fprintf(f, ", \"n\": %d", st->n);
    if (k == 0) {
        fprintf(f, ", \"shared_rows\": %d, \"shared_blocks\": ", st->shared_rows);
        json_ints(f, st->shared_blocks, st->shared_blocks ? st->n_shared : 0);
    }
    fputs(", \"macs\": ", f);
    json_macs(f, &st->counts);
    fprintf(f, ", \"masked_macs\": %llu", (unsigned long long)st->counts.masked);
}

/* §6.7 / §6.9 in a batch: the step's phase and rows, its counts (unless
 * --prefix-cache wrote them), the drafts */
static void json_seq_serving(FILE *f, const Trace *tr, const TraceSeq *sq, const TraceSeqStep *st)
{
    fprintf(f, ", \"phase\": \"%s\"", engine_phase_name(st->full.phase));
    if (!tr->cfg.prefix_cache) {
        fprintf(f, ", \"n\": %d, \"macs\": ", st->n);
        json_macs(f, &st->counts);
        fprintf(f, ", \"masked_macs\": %llu", (unsigned long long)st->counts.masked);
    }
    if (tr->cfg.speculate) json_spec_fields(f, sq->gen_ids, &st->full);
}

/* "batch": one entry per prompt (cache mode), and "pool": the shared pool's totals */
static void json_batch(FILE *f, const Trace *tr)
{
    const bool serving = tr->cfg.chunk > 0 || tr->cfg.speculate > 0;
    fputs("  \"batch\": [", f);
    for (int q = 0; q < tr->n_seqs; q++) {
        const TraceSeq *sq = &tr->seqs[q];
        fputs(q ? ",\n    {\"prompt\": " : "\n    {\"prompt\": ", f);
        trace_json_string(f, sq->prompt);
        fprintf(f, ", \"prompt_len\": %d, \"steps\": [", sq->L);
        for (int k = 0; k < sq->n_steps; k++) {
            const TraceSeqStep *st = &sq->steps[k];
            char tok[8] = "";
            tokenizer_decode(st->token_id, tok);
            fprintf(f, "%s{\"step\": %d, \"t\": %d, \"token\": ", k ? ",\n      " : "\n      ", k, st->t);
            trace_json_string(f, tok);
            fprintf(f, ", \"token_id\": %d, \"kv_blocks\": %d, \"kv_reserved_bytes\": %llu, "
                       "\"kv_cache_bytes\": %llu, \"new_blocks\": ",
                    st->token_id, st->kv_blocks, (unsigned long long)st->kv_reserved_bytes,
                    (unsigned long long)st->kv_cache_bytes);
            json_ints(f, st->new_blocks, st->n_new);
            fputs(", \"freed_blocks\": ", f);
            json_ints(f, st->freed_blocks, st->n_freed);
            if (tr->cfg.prefix_cache) json_seq_prefix(f, st, k);
            if (serving) json_seq_serving(f, tr, sq, st);
            fputc('}', f);
        }
        fputs("],\n     \"block_table\": ", f);
        json_ints(f, sq->table, sq->table ? sq->n_table : 0);
        if (serving) fprintf(f, ", \"same_as_plain\": %s", sq->plain_same ? "true" : "false");
        fputc('}', f);
    }
    fputs("\n  ],\n", f);
    if (!tr->pool) {
        fputs("  \"pool\": null,\n", f);
        return;
    }
    const uint64_t per_block = (uint64_t)tr->cfg.block_size * tr->bytes_per_pos;
    fprintf(f, "  \"pool\": {\"block_size\": %d, \"n_blocks\": %d, \"bytes_per_block\": %llu, "
               "\"bytes_per_position\": %llu, \"steps\": [",
            tr->cfg.block_size, tr->pool_blocks, (unsigned long long)per_block,
            (unsigned long long)tr->bytes_per_pos);
    for (int k = 0; k < tr->n_batch_steps; k++) {
        const TracePoolStep *ps = &tr->pool[k];
        fprintf(f, "%s{\"step\": %d, \"blocks_used\": %d, \"blocks_free\": %d, "
                   "\"kv_reserved_bytes\": %llu, \"kv_cache_bytes\": %llu, \"waste_bytes\": %llu, "
                   "\"contiguous_reserved_bytes\": %llu, \"contiguous_waste_bytes\": %llu",
                k ? ",\n      " : "\n      ", k, ps->blocks_used, ps->blocks_free,
                (unsigned long long)ps->reserved_bytes, (unsigned long long)ps->used_bytes,
                (unsigned long long)(ps->reserved_bytes - ps->used_bytes),
                (unsigned long long)ps->contiguous_bytes,
                (unsigned long long)(ps->contiguous_bytes - ps->seq_used_bytes));
        if (tr->cfg.prefix_cache) fprintf(f, ", \"blocks_shared\": %d", ps->blocks_shared);
        fputc('}', f);
    }
    fputs("]},\n", f);
}

void trace_spec_sums(const Trace *tr, int *drafted, int *accepted)
{
    *drafted = *accepted = 0;
    for (int k = 0; k < tr->n_cache_steps; k++) {
        *drafted += tr->modes[MODE_CACHE].steps[k].drafted;
        *accepted += tr->modes[MODE_CACHE].steps[k].accepted;
    }
}

/* §6.7 / §6.9: the run next to plain decoding (a plain cache run, measured) */
static void json_serving(FILE *f, const Trace *tr)
{
    const KvConfig *c = &tr->cfg;
    const uint64_t macs = counts_total(&tr->modes[MODE_CACHE].totals), plain = counts_total(&tr->plain_totals);
    if (c->chunk)
        fprintf(f, "  \"chunking\": {\"chunk\": %d, \"prefill_steps\": %d, \"steps\": %d, \"plain_steps\": %d, "
                   "\"macs\": %llu, \"plain_macs\": %llu, \"same_as_plain\": %s},\n",
                c->chunk, tr->n_chunks, tr->n_cache_steps, tr->plain_steps, (unsigned long long)macs,
                (unsigned long long)plain, tr->plain_same ? "true" : "false");
    if (c->speculate) {
        int d, a;
        trace_spec_sums(tr, &d, &a);
        fprintf(f, "  \"speculation\": {\"k\": %d, \"steps\": %d, \"plain_steps\": %d, \"drafted\": %d, "
                   "\"accepted\": %d, \"acceptance_rate\": %.17g, \"macs\": %llu, \"plain_macs\": %llu, "
                   "\"same_as_plain\": %s},\n",
                c->speculate, tr->n_cache_steps, tr->plain_steps, d, a, d ? (double)a / d : 0.0,
                (unsigned long long)macs, (unsigned long long)plain, tr->plain_same ? "true" : "false");
    }
}

void trace_write_json(FILE *f, const Trace *tr, unsigned modes)
{
    const KvConfig *c = &tr->cfg;
    fprintf(f, "{\n  \"config\": {\"vocab\": %d, \"d_model\": %d, \"n_heads\": %d, \"n_layers\": %d, "
               "\"d_ff\": %d, \"max_seq\": %d, \"seed\": %llu, \"n_kv_heads\": %d, \"window\": %d",
            c->vocab, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->max_seq,
            (unsigned long long)c->seed, c->n_kv_heads, c->window);
    /* only with paging: a config without it stays the one `kvsim export` writes */
    if (c->block_size) fprintf(f, ", \"block_size\": %d", c->block_size);
    if (c->prefix_cache) fputs(", \"prefix_cache\": true", f);
    if (c->rope) fputs(", \"rope\": true", f);
    if (c->rope_offset_bug) fputs(", \"rope_offset_bug\": true", f);
    if (c->chunk) fprintf(f, ", \"chunk\": %d", c->chunk);   /* §6.7, §6.9: only when set */
    if (c->speculate) fprintf(f, ", \"speculate\": %d", c->speculate);
    fputs(", \"model\": ", f);   /* §7: "random" or the model file's name */
    trace_json_string(f, c->model_name ? c->model_name : "random");
    fputs("},\n  \"prompt\": ", f);
    trace_json_string(f, tr->prompt);
    fprintf(f, ", \"prompt_len\": %d, \"gen\": %d,\n  \"modes\": {", tr->L, tr->G);
    const char *sep = "\n    ";
    for (int md = MODE_CACHE; md <= MODE_RECOMPUTE; md++) {
        if (!(modes & (1u << md))) continue;
        fprintf(f, "%s\"%s\": ", sep, config_mode_name((RunMode)md));
        json_mode(f, tr, &tr->modes[md], md == MODE_CACHE && c->speculate > 0);
        sep = ",\n    ";
    }
    fputs("\n  },\n", f);
    if (modes & TRACE_TRAIN) {
        fputs("  \"train\": ", f);
        json_mode(f, tr, &tr->modes[MODE_TRAIN], false);
        fputs(",\n", f);
    }
    if (modes & TRACE_CACHE) json_batch(f, tr);
    if (modes & TRACE_CACHE) json_serving(f, tr);
    fprintf(f, "  \"equivalent\": %s,\n", tr->equivalent ? "true" : "false");
    if (tr->max_abs_logit_diff == 0.0) fputs("  \"max_abs_logit_diff\": 0.0\n}\n", f);
    else fprintf(f, "  \"max_abs_logit_diff\": %.9g\n}\n", tr->max_abs_logit_diff);
}

/* ---- CSV ------------------------------------------------------------------- */

/* One CSV row: the step s of mode `name`; gen_ids: the sequence's emitted tokens */
static void csv_row(FILE *f, const Trace *tr, const char *name, bool cache, const TraceStep *s, const int *gen_ids)
{
    fprintf(f, "%s,%d,%s,%d,%d,%d", name, s->step, engine_phase_name(s->phase), s->n, s->t, s->token_id);
    for (int i = 0; i < CAT_COUNT; i++) fprintf(f, ",%llu", (unsigned long long)s->counts.mac[i]);
    fprintf(f, ",%llu,%llu,%llu", (unsigned long long)counts_total(&s->counts), (unsigned long long)s->counts.masked,
            (unsigned long long)s->kv_bytes);
    fprintf(f, ",%d,%llu,%llu,%llu,%llu,%.17g", s->kv_blocks, (unsigned long long)s->kv_reserved_bytes,
            (unsigned long long)s->traffic.weight_bytes, (unsigned long long)s->traffic.kv_read_bytes,
            (unsigned long long)s->traffic.kv_write_bytes, traffic_intensity(counts_total(&s->counts), &s->traffic));
    if (tr->cfg.rope) fprintf(f, ",%llu", (unsigned long long)s->counts.rope);
    if (tr->cfg.speculate > 0) {
        fprintf(f, ",%d,%d,", s->drafted, s->accepted);
        if (!cache && s->emitted) fprintf(f, "%d", s->token_id);
        else
            for (int i = 0; i < s->emitted; i++) fprintf(f, "%s%d", i ? " " : "", gen_ids[s->gen0 + i]);
    }
    fputc('\n', f);
}

void trace_write_csv(FILE *f, const Trace *tr, unsigned modes)
{
    const bool spec = tr->cfg.speculate > 0;
    fputs("mode,step,phase,n,t,token_id,qkv,scores,values,out_proj,ffn,lm_head,total,"
          "masked_macs,kv_cache_bytes,kv_blocks,kv_reserved_bytes,weight_bytes_read,kv_bytes_read,"
          "kv_bytes_written,arithmetic_intensity", f);
    if (tr->cfg.rope) fputs(",rope", f);   /* §6.10: a column only with --rope */
    fputs(spec ? ",drafted,accepted,emitted\n" : "\n", f);   /* §6.9: emitted ids, space-separated */
    for (int md = 0; md < MODE_COUNT; md++) {
        if (!(modes & (1u << md))) continue;
        const TraceMode *m = &tr->modes[md];
        for (int k = 0; k < m->n_steps; k++)
            csv_row(f, tr, config_mode_name((RunMode)md), md == MODE_CACHE, &m->steps[k], tr->gen_ids);
    }
    /* a batch with chunks or drafts: every further sequence's own steps */
    if (!(modes & TRACE_CACHE) || !(tr->cfg.chunk > 0 || spec)) return;
    for (int q = 1; q < tr->n_seqs; q++) {
        char name[16];
        snprintf(name, sizeof name, "seq%d", q);
        for (int k = 0; k < tr->seqs[q].n_steps; k++) csv_row(f, tr, name, true, &tr->seqs[q].steps[k].full, tr->seqs[q].gen_ids);
    }
}
