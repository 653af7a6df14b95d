/* trace: see trace.h. */
#include "sim/trace.h"

#include "sim/formulas.h"
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
}

int trace_run(Trace *tr, const Model *m, const char *prompt, const int *ids, int L, int G,
              char *err, size_t errlen)
{
    memset(tr, 0, sizeof *tr);
    tr->cfg = m->cfg;
    tr->L = L;
    tr->G = G;
    tr->prompt = strdup(prompt);
    Engine eng[MODE_COUNT];
    memset(eng, 0, sizeof eng);
    int rc = tr->prompt ? 0 : -1;
    if (rc) snprintf(err, errlen, "out of memory");
    for (int md = 0; md < MODE_COUNT && rc == 0; md++) {
        rc = engine_init(&eng[md], m, (RunMode)md, ids, L, G, err, errlen);
        if (rc) break;
        tr->modes[md].n_steps = eng[md].n_steps;
        tr->modes[md].steps = calloc((size_t)eng[md].n_steps, sizeof(TraceStep));
        if (!tr->modes[md].steps) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    if (rc) {
        for (int md = 0; md < MODE_COUNT; md++) engine_free(&eng[md]);
        trace_free(tr);
        return -1;
    }

    /* cache and recompute in lockstep, one token step at a time */
    Engine *c = &eng[MODE_CACHE], *r = &eng[MODE_RECOMPUTE];
    const int V = m->cfg.vocab;
    tr->equivalent = true;
    tr->max_abs_logit_diff = 0.0;
    for (int k = 0; k < G; k++) {
        engine_next_step(c);
        engine_next_step(r);
        record_step(c, &tr->modes[MODE_CACHE].steps[k]);
        record_step(r, &tr->modes[MODE_RECOMPUTE].steps[k]);
        for (int j = 0; j < V; j++) {
            double diff = fabs((double)c->logits[j] - (double)r->logits[j]);
            if (diff > tr->max_abs_logit_diff) tr->max_abs_logit_diff = diff;
        }
        if (c->picked != r->picked) tr->equivalent = false;
    }
    engine_next_step(&eng[MODE_TRAIN]);
    record_step(&eng[MODE_TRAIN], &tr->modes[MODE_TRAIN].steps[0]);
    for (int md = 0; md < MODE_COUNT; md++) {
        tr->modes[md].totals = eng[md].cum;
        engine_free(&eng[md]);
    }
    return 0;
}

void trace_free(Trace *tr)
{
    for (int md = 0; md < MODE_COUNT; md++) free(tr->modes[md].steps);
    free(tr->prompt);
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
    fprintf(f, "\"total\": %llu}", (unsigned long long)counts_total(c));
}

static void json_step(FILE *f, const TraceStep *s)
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
    if (s->phase == PHASE_TRAIN) {
        if (isnan(s->loss)) fputs(", \"loss\": null", f);
        else fprintf(f, ", \"loss\": %.6f", s->loss);
    }
    fputc('}', f);
}

static void json_mode(FILE *f, const TraceMode *m)
{
    fputs("{\"steps\": [", f);
    for (int k = 0; k < m->n_steps; k++) {
        fputs(k ? ",\n      " : "\n      ", f);
        json_step(f, &m->steps[k]);
    }
    fputs("],\n      \"totals\": {\"macs\": ", f);
    json_macs(f, &m->totals);
    fprintf(f, ", \"masked_macs\": %llu}}", (unsigned long long)m->totals.masked);
}

void trace_write_json(FILE *f, const Trace *tr, unsigned modes)
{
    const KvConfig *c = &tr->cfg;
    fprintf(f, "{\n  \"config\": {\"vocab\": %d, \"d_model\": %d, \"n_heads\": %d, \"n_layers\": %d, "
               "\"d_ff\": %d, \"max_seq\": %d, \"seed\": %llu, \"n_kv_heads\": %d, \"window\": %d},\n  \"prompt\": ",
            c->vocab, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->max_seq,
            (unsigned long long)c->seed, c->n_kv_heads, c->window);
    trace_json_string(f, tr->prompt);
    fprintf(f, ", \"prompt_len\": %d, \"gen\": %d,\n  \"modes\": {", tr->L, tr->G);
    const char *sep = "\n    ";
    for (int md = MODE_CACHE; md <= MODE_RECOMPUTE; md++) {
        if (!(modes & (1u << md))) continue;
        fprintf(f, "%s\"%s\": ", sep, config_mode_name((RunMode)md));
        json_mode(f, &tr->modes[md]);
        sep = ",\n    ";
    }
    fputs("\n  },\n", f);
    if (modes & TRACE_TRAIN) {
        fputs("  \"train\": ", f);
        json_mode(f, &tr->modes[MODE_TRAIN]);
        fputs(",\n", f);
    }
    fprintf(f, "  \"equivalent\": %s,\n", tr->equivalent ? "true" : "false");
    if (tr->max_abs_logit_diff == 0.0) fputs("  \"max_abs_logit_diff\": 0.0\n}\n", f);
    else fprintf(f, "  \"max_abs_logit_diff\": %.9g\n}\n", tr->max_abs_logit_diff);
}

/* ---- CSV ------------------------------------------------------------------- */

void trace_write_csv(FILE *f, const Trace *tr, unsigned modes)
{
    fputs("mode,step,phase,n,t,token_id,qkv,scores,values,out_proj,ffn,lm_head,total,"
          "masked_macs,kv_cache_bytes\n", f);
    for (int md = 0; md < MODE_COUNT; md++) {
        if (!(modes & (1u << md))) continue;
        const TraceMode *m = &tr->modes[md];
        for (int k = 0; k < m->n_steps; k++) {
            const TraceStep *s = &m->steps[k];
            fprintf(f, "%s,%d,%s,%d,%d,%d", config_mode_name((RunMode)md), s->step,
                    engine_phase_name(s->phase), s->n, s->t, s->token_id);
            for (int i = 0; i < CAT_COUNT; i++) fprintf(f, ",%llu", (unsigned long long)s->counts.mac[i]);
            fprintf(f, ",%llu,%llu,%llu\n", (unsigned long long)counts_total(&s->counts),
                    (unsigned long long)s->counts.masked, (unsigned long long)s->kv_bytes);
        }
    }
}

/* ---- table for people -------------------------------------------------------- */

/* 1234567 → "1,234,567" */
static const char *group(uint64_t v, char buf[32])
{
    char raw[24];
    int n = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

static bool step_matches(const Trace *tr, RunMode md, const TraceStep *s)
{
    OpCounts p;
    formulas_step(&tr->cfg, md, tr->L, s->step, &p);
    return counts_equal(&p, &s->counts) &&
           s->kv_bytes == formulas_kv_bytes(&tr->cfg, md, tr->L, s->step);
}

void trace_write_table(FILE *f, const Trace *tr, unsigned modes)
{
    const KvConfig *c = &tr->cfg;
    const bool both = (modes & TRACE_CACHE) && (modes & TRACE_RECOMPUTE);
    char b1[32], b2[32], b3[32];
    fprintf(f, "kvsim trace: prompt \"%s\" (L = %d), %d generated; d = %d, H = %d, layers = %d, "
               "F = %d, V = %d, N = %d, seed %llu\n",
            tr->prompt, tr->L, tr->G, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->vocab,
            c->max_seq, (unsigned long long)c->seed);
    if (!(modes & (TRACE_CACHE | TRACE_RECOMPUTE))) {
        const TraceStep *st = &tr->modes[MODE_TRAIN].steps[0];
        OpCounts p;
        formulas_step(c, MODE_TRAIN, tr->L, 0, &p);
        fprintf(f, "train (teacher forcing, one pass over the prompt): n = t = %d, %s MACs, masked %s, %s\n",
                st->n, group(counts_total(&st->counts), b1), group(st->counts.masked, b2),
                counts_equal(&p, &st->counts) ? "= closed form" : "MISMATCH with the closed form");
        for (int i = 0; i < CAT_COUNT; i++)
            fprintf(f, "  %-10s %14s\n", counts_name((Category)i), group(st->counts.mac[i], b1));
        if (isnan(st->loss)) fputs("loss: n/a (a prompt of one token has no target)\n", f);
        else fprintf(f, "mean cross-entropy loss over %d targets: %.4f\n", tr->L - 1, st->loss);
        return;
    }
    fputs("MACs per step (one multiply-accumulate each); check = equal to the closed form of spec \u00a74\n\n", f);
    fprintf(f, "%4s  %-9s %5s %5s  %-5s %14s %14s %8s %12s  %s\n", "step", "phase", "n", "t", "token",
            "cache", "recompute", "ratio", "KV bytes", "check");
    bool all_ok = true;
    for (int k = 0; k < tr->G; k++) {
        const TraceStep *sc = &tr->modes[MODE_CACHE].steps[k];
        const TraceStep *sr = &tr->modes[MODE_RECOMPUTE].steps[k];
        char tok[8] = "";
        tokenizer_decode(sc->token_id, tok);
        bool ok = step_matches(tr, MODE_CACHE, sc) && step_matches(tr, MODE_RECOMPUTE, sr);
        all_ok = all_ok && ok;
        const TraceStep *shown = (modes & TRACE_CACHE) ? sc : sr;
        fprintf(f, "%4d  %-9s %5d %5d  '%s'%*s", k, engine_phase_name(shown->phase), shown->n,
                shown->t, tok, 3 - tokenizer_width(sc->token_id), "");
        fprintf(f, " %14s %14s", (modes & TRACE_CACHE) ? group(counts_total(&sc->counts), b1) : "-",
                (modes & TRACE_RECOMPUTE) ? group(counts_total(&sr->counts), b2) : "-");
        if (both)
            fprintf(f, " %7.2fx", (double)counts_total(&sr->counts) / (double)counts_total(&sc->counts));
        else
            fprintf(f, " %8s", "-");
        fprintf(f, " %12s  %s\n", group(sc->kv_bytes, b3), ok ? "ok" : "MISMATCH");
    }
    const OpCounts *tc = &tr->modes[MODE_CACHE].totals, *trc = &tr->modes[MODE_RECOMPUTE].totals;
    fprintf(f, "%-37s %14s %14s", "total", group(counts_total(tc), b1), group(counts_total(trc), b2));
    fprintf(f, " %7.2fx\n\n", (double)counts_total(trc) / (double)counts_total(tc));
    fprintf(f, "%-10s %16s %16s\n", "category", "cache", "recompute");
    for (int i = 0; i < CAT_COUNT; i++)
        fprintf(f, "%-10s %16s %16s\n", counts_name((Category)i), group(tc->mac[i], b1),
                group(trc->mac[i], b2));
    fprintf(f, "%-10s %16s %16s\n\n", "masked", group(tc->masked, b1), group(trc->masked, b2));
    OpCounts pc, pr;
    bool totals_ok = formulas_total(c, MODE_CACHE, tr->L, tr->G, &pc) &&
                     formulas_total(c, MODE_RECOMPUTE, tr->L, tr->G, &pr) &&
                     counts_equal(&pc, tc) && counts_equal(&pr, trc);
    fprintf(f, "measured = closed form: %s (every step and both totals)\n",
            all_ok && totals_ok ? "yes" : "NO");
    fprintf(f, "same tokens in both modes: %s; max |logit difference| = %g\n",
            tr->equivalent ? "yes" : "NO", tr->max_abs_logit_diff);
    if (modes & TRACE_TRAIN) {
        const TraceStep *st = &tr->modes[MODE_TRAIN].steps[0];
        fprintf(f, "train (teacher forcing, one pass over the prompt): %s MACs, loss %s",
                group(counts_total(&st->counts), b1), isnan(st->loss) ? "n/a (prompt of 1 token)" : "");
        if (!isnan(st->loss)) fprintf(f, "%.4f", st->loss);
        fputc('\n', f);
    }
}
