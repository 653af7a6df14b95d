/* trace_table: `kvsim trace --format table`, the trace for people: every
 * step's counts against the closed forms of sim/formulas.h (the "check"
 * column), the modes side by side, and the batch, pool and prefix tables.
 * The run and the machine-readable writers are trace.c; see trace.h. */
#include "sim/trace.h"

#include "sim/formulas.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool step_matches(const Trace *tr, RunMode md, const TraceStep *s)
{
    OpCounts p;
    Traffic t;
    formulas_step(&tr->cfg, md, tr->L, s->step, &p);
    formulas_traffic(&tr->cfg, md, tr->L, s->step, &t);
    return counts_equal(&p, &s->counts) && traffic_equal(&t, &s->traffic) &&
           s->kv_bytes == formulas_kv_bytes(&tr->cfg, md, tr->L, s->step) &&
           (uint64_t)s->kv_blocks == formulas_kv_blocks(&tr->cfg, md, tr->L, s->step) &&
           s->kv_reserved_bytes == formulas_kv_reserved_bytes(&tr->cfg, md, tr->L, s->step);
}

/* A cache step of a chunked or speculative run against §6.7 / §6.9's
 * closed forms (rows p0 .. p0+n-1; the head on 1 + drafted rows, none in
 * an early chunk; the cache keeps `kept` rows after a rollback). */
static bool serving_step_matches(const Trace *tr, const TraceStep *s)
{
    const int head = s->head ? 1 + s->drafted : 0;
    OpCounts p;
    Traffic t;
    formulas_block(&tr->cfg, s->p0, s->n, head, &p);
    formulas_block_traffic(&tr->cfg, s->p0, s->n, head, &t);
    return counts_equal(&p, &s->counts) && traffic_equal(&t, &s->traffic) &&
           s->kv_bytes == formulas_kept_kv_bytes(&tr->cfg, s->kept) &&
           (uint64_t)s->kv_blocks == formulas_kept_kv_blocks(&tr->cfg, s->kept) &&
           s->kv_reserved_bytes == formulas_kept_kv_blocks(&tr->cfg, s->kept) * (uint64_t)tr->cfg.block_size *
                                       tr->bytes_per_pos;
}

/* §6.7 / §6.9: the cache run's own steps (they are not recompute's), then
 * the run next to recompute and to plain decoding. Returns whether every
 * step and the totals equal the closed forms. */
static bool table_serving(FILE *f, const Trace *tr, unsigned modes)
{
    const KvConfig *c = &tr->cfg;
    char b1[32], b2[32], b3[32];
    const TraceMode *cm = &tr->modes[MODE_CACHE], *rm = &tr->modes[MODE_RECOMPUTE];
    fputs("cache run, MACs per step; check = equal to the closed form of spec", f);
    if (c->chunk) fprintf(f, " \u00a76.7 (chunks of C = %d)", c->chunk);
    if (c->speculate) fprintf(f, " \u00a76.9 (up to K = %d drafts)", c->speculate);
    fputs("\n\n", f);
    fprintf(f, "%4s  %-8s %4s %4s  %-8s %-10s %14s %12s  %s\n", "step", "phase", "n", "t", "drafts", "emitted",
            "MACs", "KV bytes", "check");
    bool all_ok = true;
    for (int k = 0; k < tr->n_cache_steps; k++) {
        const TraceStep *s = &cm->steps[k];
        char drafts[24] = "-", emitted[64] = "";
        if (s->drafted) snprintf(drafts, sizeof drafts, "%d/%d ok", s->accepted, s->drafted);
        size_t o = 0;
        for (int i = 0; i < s->emitted && o + 8 < sizeof emitted; i++) o += (size_t)tokenizer_decode(tr->gen_ids[s->gen0 + i], emitted + o);
        const bool ok = serving_step_matches(tr, s);
        all_ok = all_ok && ok;
        int width = s->emitted ? 2 : 1;   /* on screen: quotes, or "-" */
        for (int i = 0; i < s->emitted; i++) width += tokenizer_width(tr->gen_ids[s->gen0 + i]);
        fprintf(f, "%4d  %-8s %4d %4d  %-8s %s%s%s%*s %14s %12s  %s\n", k, engine_phase_name(s->phase), s->n, s->t,
                drafts, s->emitted ? "'" : "-", emitted, s->emitted ? "'" : "", width < 10 ? 10 - width : 0, "",
                counts_group(counts_total(&s->counts), b1), counts_group(s->kv_bytes, b2), ok ? "ok" : "MISMATCH");
    }
    OpCounts sum;
    memset(&sum, 0, sizeof sum);
    for (int k = 0; k < tr->n_cache_steps; k++) {
        const TraceStep *s = &cm->steps[k];
        OpCounts p;
        formulas_block(c, s->p0, s->n, s->head ? 1 + s->drafted : 0, &p);
        counts_add(&sum, &p);
    }
    OpCounts closed;
    if (c->chunk && !c->speculate && formulas_chunk_total(c, tr->L, c->chunk, tr->G, &closed))
        all_ok = all_ok && counts_equal(&closed, &cm->totals);
    all_ok = all_ok && counts_equal(&sum, &cm->totals);
    fprintf(f, "%-43s %14s\n\n", "total", counts_group(counts_total(&cm->totals), b1));
    fprintf(f, "%-10s %16s %16s %16s\n", "category", "this run", "plain decoding", "recompute");
    for (int i = 0; i < CAT_COUNT; i++)
        fprintf(f, "%-10s %16s %16s %16s\n", counts_name((Category)i), counts_group(cm->totals.mac[i], b1),
                counts_group(tr->plain_totals.mac[i], b2), counts_group(rm->totals.mac[i], b3));
    fprintf(f, "%-10s %16s %16s %16s\n", "total", counts_group(counts_total(&cm->totals), b1),
            counts_group(counts_total(&tr->plain_totals), b2), counts_group(counts_total(&rm->totals), b3));
    fprintf(f, "%-10s %16d %16d %16d\n\n", "steps", tr->n_cache_steps, tr->plain_steps, tr->G);
    if (c->chunk)
        fprintf(f, "chunked prefill: %d prefill steps of at most %d rows instead of one of %d; token 1 after step %d\n",
                tr->n_chunks, c->chunk, tr->L, tr->n_chunks - 1);
    if (c->speculate) {
        int d, a;
        trace_spec_sums(tr, &d, &a);
        fprintf(f, "speculative decoding: %d drafts, %d accepted (acceptance rate %.1f%%); %d steps instead of %d "
                   "(%.2f tokens per decode step), %+.1f%% MACs\n",
                d, a, d ? 100.0 * a / d : 0.0, tr->n_cache_steps, tr->plain_steps,
                (double)(tr->G - 1) / (double)(tr->n_cache_steps - tr->n_chunks > 0 ? tr->n_cache_steps - tr->n_chunks : 1),
                100.0 * ((double)counts_total(&cm->totals) / (double)counts_total(&tr->plain_totals) - 1.0));
    }
    fprintf(f, "same tokens and logits as plain decoding: %s\n", tr->plain_same ? "yes" : "NO");
    (void)modes;
    return all_ok;
}

/* A batch with chunks or drafts (sim/run.h): every sequence's own steps,
 * in the order they run (step k of each sequence, then k + 1), each
 * against the closed form of its rows. Returns whether all match. */
static bool table_batch(FILE *f, const Trace *tr)
{
    char b1[32], b2[32];
    fputs("batch, step by step (step k of every sequence in prompt order, then step k + 1;\n"
          "a sequence with no step k has finished); check = closed form of the step's rows\n", f);
    fprintf(f, "%4s  %-3s %-8s %4s %4s  %-8s %-10s %14s %12s  %s\n", "step", "seq", "phase", "n", "t", "drafts",
            "emitted", "MACs", "KV bytes", "check");
    bool all_ok = true;
    for (int k = 0; k < tr->n_batch_steps; k++)
        for (int q = 0; q < tr->n_seqs; q++) {
            const TraceSeq *sq = &tr->seqs[q];
            if (k >= sq->n_steps) continue;
            const TraceStep *s = &sq->steps[k].full;
            char drafts[24] = "-", emitted[64] = "";
            if (s->drafted) snprintf(drafts, sizeof drafts, "%d/%d ok", s->accepted, s->drafted);
            size_t o = 0;
            int width = s->emitted ? 2 : 1;   /* on screen: quotes, or "-" */
            for (int i = 0; i < s->emitted && o + 8 < sizeof emitted; i++) {
                o += (size_t)tokenizer_decode(sq->gen_ids[s->gen0 + i], emitted + o);
                width += tokenizer_width(sq->gen_ids[s->gen0 + i]);
            }
            const bool ok = serving_step_matches(tr, s);
            all_ok = all_ok && ok;
            char step[16] = "";
            if (q == 0 || k >= tr->seqs[0].n_steps) snprintf(step, sizeof step, "%d", k);
            fprintf(f, "%4s  %-3c %-8s %4d %4d  %-8s %s%s%s%*s %14s %12s  %s\n", step, 'A' + q,
                    engine_phase_name(s->phase), s->n, s->t, drafts, s->emitted ? "'" : "-", emitted,
                    s->emitted ? "'" : "", width < 10 ? 10 - width : 0, "", counts_group(counts_total(&s->counts), b1),
                    counts_group(s->kv_bytes, b2), ok ? "ok" : "MISMATCH");
        }
    for (int q = 0; q < tr->n_seqs; q++)
        fprintf(f, "%c \"%s\" (L = %d): %d steps; same tokens and logits as this prompt alone, plain: %s\n", 'A' + q,
                tr->seqs[q].prompt, tr->seqs[q].L, tr->seqs[q].n_steps, tr->seqs[q].plain_same ? "yes" : "NO");
    return all_ok;
}

/* Bytes moved per step (§6.5), the modes shown side by side. */
static void table_traffic(FILE *f, const Trace *tr, unsigned modes)
{
    char b[4][32];
    fputs("memory traffic per step, bytes (spec \u00a76.5): weights and K/V read, K/V written;\n"
          "intensity = 2 x MACs / bytes read (FLOP/byte)\n", f);
    fprintf(f, "%4s  %12s %10s %10s %8s  %12s %10s %8s\n", "step", "cache: wts", "KV read", "KV write",
            "FLOP/B", "recomp: wts", "KV read", "FLOP/B");
    for (int k = 0; k < tr->G; k++) {
        fprintf(f, "%4d ", k);
        for (int md = MODE_CACHE; md <= MODE_RECOMPUTE; md++) {
            const TraceStep *s = &tr->modes[md].steps[k];
            const Traffic *t = &s->traffic;
            const double ai = traffic_intensity(counts_total(&s->counts), t);
            if (!(modes & (1u << md))) fprintf(f, md == MODE_CACHE ? " %12s %10s %10s %8s " : " %12s %10s %8s",
                                               "-", "-", "-", "-");
            else if (md == MODE_CACHE)
                fprintf(f, " %12s %10s %10s %8.3f ", counts_group(t->weight_bytes, b[0]), counts_group(t->kv_read_bytes, b[1]),
                        counts_group(t->kv_write_bytes, b[2]), ai);
            else
                fprintf(f, " %12s %10s %8.3f", counts_group(t->weight_bytes, b[0]), counts_group(t->kv_read_bytes, b[1]), ai);
        }
        fputc('\n', f);
    }
    fputc('\n', f);
}

/* The shared block pool (§6.4), when there is one. */
static void table_paged(FILE *f, const Trace *tr)
{
    char b[5][32];
    const uint64_t per_block = (uint64_t)tr->cfg.block_size * tr->bytes_per_pos;
    fprintf(f, "paged KV cache (spec \u00a76.4): blocks of %d positions, %s bytes each; a pool of %d blocks "
               "shared by %d sequence%s\n", tr->cfg.block_size, counts_group(per_block, b[0]), tr->pool_blocks,
            tr->n_seqs, tr->n_seqs == 1 ? "" : "s");
    for (int q = 0; q < tr->n_seqs; q++)
        fprintf(f, "  seq %d: \"%s\" (L = %d)\n", q, tr->seqs[q].prompt, tr->seqs[q].L);
    fprintf(f, "%4s  %-16s %9s %10s %10s %9s  %11s %10s\n", "step", "blocks per seq", "pool", "reserved",
            "used", "waste", "contiguous", "its waste");
    for (int k = 0; k < tr->n_batch_steps; k++) {
        const TracePoolStep *ps = &tr->pool[k];
        char per[64] = "";
        size_t o = 0;
        for (int q = 0; q < tr->n_seqs && o + 8 < sizeof per; q++) {
            const TraceSeq *sq = &tr->seqs[q];   /* a finished sequence keeps its last step's blocks */
            o += (size_t)snprintf(per + o, sizeof per - o, "%s%d", q ? " " : "",
                                  sq->steps[k < sq->n_steps ? k : sq->n_steps - 1].kv_blocks);
        }
        char used[24];
        snprintf(used, sizeof used, "%d/%d", ps->blocks_used, tr->pool_blocks);
        fprintf(f, "%4d  %-16s %9s %10s %10s %9s  %11s %10s\n", k, per, used, counts_group(ps->reserved_bytes, b[0]),
                counts_group(ps->used_bytes, b[1]), counts_group(ps->reserved_bytes - ps->used_bytes, b[2]),
                counts_group(ps->contiguous_bytes, b[3]), counts_group(ps->contiguous_bytes - ps->seq_used_bytes, b[4]));
    }
    fputs("(waste = reserved - used; contiguous = one max-length reservation per sequence: max-seq\n"
          " positions, or W under a window)\n\n", f);
}

/* Leading characters (tokens) two UTF-8 prompts have in common. */
static int common_chars(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i]) i++;
    while (i > 0 && ((unsigned char)a[i] & 0xC0) == 0x80) i--;   /* back to the differing character */
    int n = 0;
    for (size_t j = 0; j < i; j++) n += ((unsigned char)a[j] & 0xC0) != 0x80;
    return n;
}

/* Under a window, the sequences whose common prefix the rule of
 * sim/paged.h did not share: no earlier prompt still holds the rows their
 * first computed row reads. (With --chunk the donor's first chunk limits
 * the rows too, run.c; not said here.) */
static void prefix_window_notes(FILE *f, const Trace *tr)
{
    const int W = tr->cfg.window;
    for (int q = 1; W > 0 && tr->cfg.chunk == 0 && q < tr->n_seqs; q++) {
        if (tr->seqs[q].steps[0].shared_rows > 0) continue;
        int s = 0;
        for (int j = 0; j < q; j++) {
            const int c = formulas_shared_rows(&tr->cfg, tr->seqs[q].L, common_chars(tr->seqs[j].prompt, tr->seqs[q].prompt));
            s = c > s ? c : s;
        }
        if (s > 0)
            fprintf(f, "(seq %d: a common prefix would share %d rows, but under the window W = %d no earlier prompt "
                       "still holds rows %d..%d, which its row %d reads)\n", q, s, W, config_first_key(&tr->cfg, s),
                    s - 1, s);
    }
}

/* Prefix sharing (§6.8): what each sequence's prefill shared and saved. */
static void table_prefix(FILE *f, const Trace *tr)
{
    char b[4][32];
    fputs("prefix sharing (spec \u00a76.8): a later prompt takes the full blocks of an identical prefix\n"
          "from an earlier one (reference counted, reserved once) and computes only the rows after them\n", f);
    fprintf(f, "%4s %5s %7s  %-14s %5s %14s %14s %14s  %s\n", "seq", "L", "shared", "blocks", "n",
            "prefill MACs", "alone", "saved", "check");
    const int C = tr->cfg.chunk;
    for (int q = 0; q < tr->n_seqs; q++) {
        const TraceSeq *sq = &tr->seqs[q];
        const TraceSeqStep *st = &sq->steps[0];
        OpCounts alone, pre;
        formulas_step(&tr->cfg, MODE_CACHE, sq->L, 0, &alone);
        pre = st->counts;
        int n = st->n;
        if (C) {   /* §6.7: the prefill is its chunks; alone, its ceil(L/C) chunks */
            const int chunks = formulas_shared_chunks(sq->L, st->shared_rows, C);
            memset(&alone, 0, sizeof alone);
            for (int k = 0; k < (sq->L + C - 1) / C; k++) {
                OpCounts x;
                formulas_chunk_step(&tr->cfg, sq->L, C, k, &x);
                counts_add(&alone, &x);
            }
            for (int k = 1; k < chunks && k < sq->n_steps; k++) {
                counts_add(&pre, &sq->steps[k].counts);
                n += sq->steps[k].n;
            }
        }
        bool ok = true;
        /* the prefill always; decode steps when they are plain (no --speculate) */
        const int checked = tr->cfg.speculate ? formulas_shared_chunks(sq->L, st->shared_rows, C) : sq->n_steps;
        for (int k = 0; k < checked; k++) {
            OpCounts p;
            if (C) formulas_chunk_shared_step(&tr->cfg, sq->L, st->shared_rows, C, k, &p);
            else formulas_step_shared(&tr->cfg, sq->L, st->shared_rows, k, &p);
            ok = ok && counts_equal(&p, &sq->steps[k].counts);
        }
        char ids[40] = "-";
        size_t o = 0;
        for (int i = 0; i < st->n_shared && o + 8 < sizeof ids; i++)
            o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%d", i ? "," : "", st->shared_blocks[i]);
        fprintf(f, "%4d %5d %7d  %-14s %5d %14s %14s %14s  %s\n", q, sq->L, st->shared_rows, ids, n,
                counts_group(counts_total(&pre), b[0]), counts_group(counts_total(&alone), b[1]),
                counts_group(counts_total(&alone) - counts_total(&pre), b[2]), ok ? "ok" : "MISMATCH");
    }
    const TracePoolStep *last = &tr->pool[tr->n_batch_steps - 1];
    fprintf(f, "(blocks = the pool blocks the prefill shared; after the last step %d block%s shared, "
               "%s bytes reserved once)\n", last->blocks_shared, last->blocks_shared == 1 ? " is" : "s are",
            counts_group(last->reserved_bytes, b[3]));
    prefix_window_notes(f, tr);
    fputc('\n', f);
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
    /* beyond the tutorial (§6): say so, the numbers below depend on it */
    if (c->n_kv_heads != c->n_heads || c->window || c->block_size || c->rope) {
        fputs("  ", f);
        if (c->n_kv_heads != c->n_heads)
            fprintf(f, "K/V heads = %d (%s)  ", c->n_kv_heads, c->n_kv_heads == 1 ? "multi-query" : "grouped-query");
        if (c->window) fprintf(f, "sliding window W = %d  ", c->window);
        if (c->block_size) fprintf(f, "paged cache, block size B = %d", c->block_size);
        if (c->prefix_cache) fputs(", prefix sharing", f);
        if (c->rope) fprintf(f, "%srotary positions (RoPE)%s", c->block_size ? "  " : "",
                             c->rope_offset_bug ? " WITH THE OFFSET BUG (--rope-offset-bug)" : "");
        fputc('\n', f);
    }
    if (!(modes & (TRACE_CACHE | TRACE_RECOMPUTE))) {
        const TraceStep *st = &tr->modes[MODE_TRAIN].steps[0];
        OpCounts p;
        formulas_step(c, MODE_TRAIN, tr->L, 0, &p);
        fprintf(f, "train (teacher forcing, one pass over the prompt): n = t = %d, %s MACs, masked %s, %s\n",
                st->n, counts_group(counts_total(&st->counts), b1), counts_group(st->counts.masked, b2),
                counts_equal(&p, &st->counts) ? "= closed form" : "MISMATCH with the closed form");
        for (int i = 0; i < CAT_COUNT; i++)
            fprintf(f, "  %-10s %14s\n", counts_name((Category)i), counts_group(st->counts.mac[i], b1));
        if (isnan(st->loss)) fputs("loss: n/a (a prompt of one token has no target)\n", f);
        else fprintf(f, "mean cross-entropy loss over %d targets: %.4f\n", tr->L - 1, st->loss);
        return;
    }
    if (c->chunk || c->speculate) {
        bool ok = table_serving(f, tr, modes);
        if (tr->n_seqs > 1 && (modes & TRACE_CACHE)) {
            fputc('\n', f);
            ok = table_batch(f, tr) && ok;
        }
        if (tr->pool && (modes & TRACE_CACHE)) {
            fputc('\n', f);
            table_paged(f, tr);
        }
        if (tr->pool && (modes & TRACE_CACHE) && c->prefix_cache) table_prefix(f, tr);
        OpCounts pr;
        const bool rec_ok = formulas_total(c, MODE_RECOMPUTE, tr->L, tr->G, &pr) &&
                            counts_equal(&pr, &tr->modes[MODE_RECOMPUTE].totals);
        fprintf(f, "measured = closed form: %s (every cache step, its total, the recompute total)\n",
                ok && rec_ok ? "yes" : "NO");
        fprintf(f, "same tokens as recompute: %s; max |logit difference| = %g\n", tr->equivalent ? "yes" : "NO",
                tr->max_abs_logit_diff);
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
        fprintf(f, " %14s %14s", (modes & TRACE_CACHE) ? counts_group(counts_total(&sc->counts), b1) : "-",
                (modes & TRACE_RECOMPUTE) ? counts_group(counts_total(&sr->counts), b2) : "-");
        if (both)
            fprintf(f, " %7.2fx", (double)counts_total(&sr->counts) / (double)counts_total(&sc->counts));
        else
            fprintf(f, " %8s", "-");
        fprintf(f, " %12s  %s\n", counts_group(sc->kv_bytes, b3), ok ? "ok" : "MISMATCH");
    }
    const OpCounts *tc = &tr->modes[MODE_CACHE].totals, *trc = &tr->modes[MODE_RECOMPUTE].totals;
    fprintf(f, "%-37s %14s %14s", "total", counts_group(counts_total(tc), b1), counts_group(counts_total(trc), b2));
    fprintf(f, " %7.2fx\n\n", (double)counts_total(trc) / (double)counts_total(tc));
    fprintf(f, "%-10s %16s %16s\n", "category", "cache", "recompute");
    for (int i = 0; i < CAT_COUNT; i++)
        fprintf(f, "%-10s %16s %16s\n", counts_name((Category)i), counts_group(tc->mac[i], b1),
                counts_group(trc->mac[i], b2));
    if (c->rope) fprintf(f, "%-10s %16s %16s\n", "rope", counts_group(tc->rope, b1), counts_group(trc->rope, b2));
    fprintf(f, "%-10s %16s %16s\n\n", "masked", counts_group(tc->masked, b1), counts_group(trc->masked, b2));
    table_traffic(f, tr, modes);
    if (tr->pool && (modes & TRACE_CACHE)) table_paged(f, tr);
    if (tr->pool && (modes & TRACE_CACHE) && c->prefix_cache) table_prefix(f, tr);
    OpCounts pc, pr;
    bool totals_ok = formulas_total(c, MODE_CACHE, tr->L, tr->G, &pc) &&
                     formulas_total(c, MODE_RECOMPUTE, tr->L, tr->G, &pr) &&
                     counts_equal(&pc, tc) && counts_equal(&pr, trc);
    fprintf(f, "measured = closed form: %s (every step and both totals)\n",
            all_ok && totals_ok ? "yes" : "NO");
    fprintf(f, "same tokens in both modes: %s; max |logit difference| = %g\n",
            tr->equivalent ? "yes" : "NO", tr->max_abs_logit_diff);
    if (c->rope_offset_bug)
        fputs("--rope-offset-bug: a decode step turns its row as if it were position 0, not its own position;\n"
              "the keys in the cache were turned at their true positions, so q.k no longer measures the right\n"
              "distance and the logits differ from recompute (which starts at position 0 and is right)\n", f);
    if (modes & TRACE_TRAIN) {
        const TraceStep *st = &tr->modes[MODE_TRAIN].steps[0];
        fprintf(f, "train (teacher forcing, one pass over the prompt): %s MACs, loss %s",
                counts_group(counts_total(&st->counts), b1), isnan(st->loss) ? "n/a (prompt of 1 token)" : "");
        if (!isnan(st->loss)) fprintf(f, "%.4f", st->loss);
        fputc('\n', f);
    }
}
