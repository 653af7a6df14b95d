/* trace: run a prompt in every mode and write what was measured
 * (sim/trace.c: the run, JSON and CSV; sim/trace_table.c: the table).
 *
 * trace_run() steps a cache engine and a recompute engine side by side
 * (comparing their logits after every step) and a train engine, and keeps
 * one TraceStep per step. The writers print spec §5's JSON, CSV, or a
 * table for people. Counts come from the engines' counters only; the
 * table's "check" column compares them with formulas.h.
 *
 * Batch (§6.4): trace_run_batch() takes several prompts. The first is run
 * in every mode as above (its steps stay under "modes" in the JSON); every
 * prompt, the first included, also runs a cache engine and, with a block
 * size, all of them share ONE paged pool of n_seqs · ceil(max_seq / B)
 * blocks, stepped in lockstep (step k of every sequence, in prompt order,
 * then the next step). TraceSeq keeps per step what each sequence holds;
 * TracePoolStep the pool's totals after every sequence ran step k.
 *
 * Per step, every mode (TraceStep): kv_blocks / kv_reserved_bytes are the
 * sequence's live blocks in the pool and their bytes (0 and 0 without
 * --block-size, and in recompute and train, which keep nothing); traffic is
 * sim/traffic.h's bytes moved.
 *
 * JSON additions (docs/memory.md): STEP gains "kv_blocks",
 * "kv_reserved_bytes", "weight_bytes_read", "kv_bytes_read",
 * "kv_bytes_written", "arithmetic_intensity"; TOTALS the last four;
 * "config" gains "block_size" when it is set; when cache mode is shown,
 * "batch" (one entry per prompt: prompt, prompt_len, steps with t, token,
 * kv_blocks, kv_reserved_bytes, kv_cache_bytes, new_blocks, freed_blocks;
 * block_table after the last step) and "pool" (null without a block size,
 * else its size and per-step totals: blocks_used, blocks_free,
 * kv_reserved_bytes, kv_cache_bytes, waste_bytes, contiguous_reserved_bytes,
 * contiguous_waste_bytes) follow. CSV gains the six STEP columns.
 * With --prefix-cache (§6.8) a batch step also has "n", "macs",
 * "masked_macs", and step 0 "shared_rows" and "shared_blocks"; a pool step
 * "blocks_shared"; the pool's kv_cache_bytes count a shared position once.
 *
 * Chunked prefill and speculation (§6.7, §6.9, docs/serving.md): the cache
 * run has n_cache_steps steps (modes.cache.steps; an early chunk has
 * "token": "" and "token_id": -1), the recompute run G; each is compared
 * token by token (and logit by logit) with the other and with a plain
 * cache run. "config" gains "chunk" / "speculate" when set; with
 * --speculate a cache STEP gains "drafted", "accepted", "emitted" (ids)
 * and "emitted_text", and the document "speculation" (steps, plain_steps,
 * drafted, accepted, acceptance_rate, macs, plain_macs); with --chunk
 * "chunking" (chunk, prefill_steps, steps, plain_steps, macs,
 * plain_macs). CSV then gains drafted, accepted, emitted columns.
 *
 * A batch with --chunk or --speculate (sim/run.h, the step lockstep):
 * sequences take different numbers of steps, so each TraceSeq has its own
 * n_steps and "batch"[q].steps as many entries; the pool has one entry per
 * batch step (n_batch_steps: the longest sequence's steps; a sequence
 * that finished keeps its blocks). Each batch step then also has "phase",
 * "n" and "macs"/"masked_macs" (once, also with --prefix-cache), and with
 * --speculate "drafted", "accepted", "emitted", "emitted_text"; each batch
 * entry "same_as_plain" (its tokens and logits equal a plain cache run of
 * its prompt alone, bit for bit). CSV gains one row per step of every
 * further sequence, mode "seq1", "seq2", ... Without those options the
 * output is what it was.
 */
#ifndef KVSIM_TRACE_H
#define KVSIM_TRACE_H

#include "sim/engine.h"

#include <stdio.h>

typedef struct {
    int step;
    Phase phase;
    int n, t;
    int token_id;       /* emitted token (train: prediction after the prompt) */
    OpCounts counts;    /* measured in this step */
    uint64_t kv_bytes;  /* cache bytes kept after the step */
    double loss;        /* train only; NaN otherwise or when L < 2 */
    int kv_blocks;              /* live blocks of the paged mirror (0 without) */
    uint64_t kv_reserved_bytes; /* kv_blocks · B · bytes per position */
    Traffic traffic;            /* bytes moved by the step (§6.5) */
    /* §6.7 / §6.9 (cache mode; plain steps: p0 = t - n, emitted = 1) */
    int p0;                     /* first row's position */
    int drafted, accepted;      /* drafts verified and accepted (0, 0 without --speculate) */
    int gen0, emitted;          /* emits generated tokens gen0 .. gen0+emitted-1 (0 of them:
                                   an early chunk) */
    int kept;                   /* cache rows kept after the step (rejected drafts rolled back) */
    bool head;                  /* the head ran (not an early chunk) */
} TraceStep;

/* One sequence of the batch after step k. */
typedef struct {
    int t;                      /* positions after the step */
    int token_id;               /* emitted token */
    int kv_blocks;              /* live blocks (0 without a block size) */
    uint64_t kv_reserved_bytes, kv_cache_bytes;
    int n_new, n_freed;         /* blocks taken / given back in this step: */
    int *new_blocks;            /* (n_new) physical ids, in logical order */
    int *freed_blocks;          /* (n_freed) */
    /* prefix sharing (§6.8, --prefix-cache; written to JSON only then) */
    int n;                      /* rows the step computed */
    int shared_rows;            /* step 0: rows taken from an earlier prompt (0 otherwise) */
    int n_shared;               /* step 0: blocks its table took from that prompt: */
    int *shared_blocks;         /* (n_shared) physical ids, not counted in new_blocks */
    OpCounts counts;            /* measured in this step */
    TraceStep full;             /* every STEP field of this sequence's step (§6.7, §6.9: its
                                   phase, rows, drafts; gen0 indexes its TraceSeq's gen_ids) */
} TraceSeqStep;

typedef struct {
    char *prompt;               /* UTF-8 copy */
    int L;
    int n_steps;                /* its cache engine's steps (G without --chunk / --speculate) */
    TraceSeqStep *steps;        /* (n_steps) */
    int *gen_ids;               /* (G) tokens it emitted */
    bool plain_same;            /* --chunk / --speculate: tokens and logits equal a plain cache
                                   run of this prompt alone, bit for bit */
    int n_table;                /* block table after the last step: */
    int *table;                 /* (n_table) physical blocks, -1 = released (window) */
} TraceSeq;

/* The shared pool after step k of every sequence. */
typedef struct {
    int blocks_used, blocks_free;
    uint64_t reserved_bytes;    /* blocks_used · B · bytes per position */
    uint64_t used_bytes;        /* Σ kv_cache_bytes of the sequences */
    int blocks_shared;          /* blocks held by more than one table (§6.8) */
    uint64_t contiguous_bytes;  /* what n_seqs contiguous caches reserve: n_seqs · cap · bytes
                                   per position, cap = max_seq (W under a window W < max_seq) */
    uint64_t seq_used_bytes;    /* Σ each sequence's own kept bytes: what those caches would hold,
                                   since they share nothing (= used_bytes without --prefix-cache) */
} TracePoolStep;

typedef struct {
    int n_steps;
    TraceStep *steps;   /* (n_steps) */
    OpCounts totals;    /* measured, summed by the engine */
    Traffic traffic;    /* bytes moved by the whole run */
} TraceMode;

typedef struct {
    KvConfig cfg;
    char *prompt;       /* UTF-8 copy */
    int L, G;
    TraceMode modes[MODE_COUNT];
    bool equivalent;    /* cache and recompute emitted the same tokens */
    double max_abs_logit_diff;  /* over every step's logits */
    int n_seqs;                 /* prompts in the batch (>= 1; seqs[0] is the first prompt) */
    TraceSeq *seqs;             /* (n_seqs) */
    int n_batch_steps;          /* steps of the batch: the most any sequence takes */
    TracePoolStep *pool;        /* (n_batch_steps) pool totals; NULL without a block size */
    int pool_blocks;            /* blocks in the pool (0 without a block size) */
    uint64_t bytes_per_pos;     /* 2 · Lyr · kv_dim · 4 */
    /* §6.7 / §6.9: the cache run's steps differ from recompute's (G) */
    int n_cache_steps;          /* steps of the cache run (= G without --chunk / --speculate) */
    int n_chunks;               /* its prefill steps (1 without --chunk) */
    int *gen_ids;               /* (G) tokens the cache run emitted */
    int plain_steps;            /* with --chunk or --speculate: a plain cache run beside */
    OpCounts plain_totals;      /*   it (measured), its steps and counts; */
    bool plain_same;            /*   it emitted the same tokens with the same logits */
} Trace;

typedef struct {
    const char *text;           /* UTF-8 */
    const int *ids;             /* (L) token ids */
    int L;
} TracePrompt;

/* Run the prompt (ids[0..L-1], text `prompt`) for G steps in every mode.
 * The model's config must pass config_validate(L, G). Returns 0, or -1
 * with a one-line message. The caller releases with trace_free(). */
int trace_run(Trace *tr, const Model *m, const char *prompt, const int *ids, int L, int G,
              char *err, size_t errlen);
/* The same for a batch of n >= 1 prompts (each must pass config_validate
 * with G); trace_run() is the batch of one. */
int trace_run_batch(Trace *tr, const Model *m, const TracePrompt *prompts, int n, int G,
                    char *err, size_t errlen);
void trace_free(Trace *tr);

/* Which modes to print: bit (1 << MODE_CACHE) etc. */
#define TRACE_CACHE (1u << MODE_CACHE)
#define TRACE_RECOMPUTE (1u << MODE_RECOMPUTE)
#define TRACE_TRAIN (1u << MODE_TRAIN)

void trace_write_json(FILE *f, const Trace *tr, unsigned modes);
void trace_write_csv(FILE *f, const Trace *tr, unsigned modes);
void trace_write_table(FILE *f, const Trace *tr, unsigned modes);

/* JSON string body of UTF-8 text (quotes and backslashes escaped). */
void trace_json_string(FILE *f, const char *s);
/* Drafts verified and accepted over the cache run's steps (§6.9). */
void trace_spec_sums(const Trace *tr, int *drafted, int *accepted);

#endif
