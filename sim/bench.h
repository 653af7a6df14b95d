/* bench: wall-clock speed of the forward pass, KV cache against recompute.
 *
 * For one model shape, bench_measure() generates a whole sequence with a
 * one-token prompt (G = T - 1 steps, so prompt + output = T = max_seq
 * positions) in cache mode and in recompute mode, single-threaded, and
 * keeps the median time of several runs of each.
 *
 * What is timed: engine_run_to_end() of an engine that was set up and
 * rewound (engine_seek(e, 0)) outside the timed region, i.e. every
 * operation of every step, counters on, nothing else (no allocation, no
 * model building, no printing). An untimed warm-up run comes first (unless
 * BenchSpec.warmup_recompute is false for a recompute run) so the engine's
 * buffers are faulted in and the weights are in cache as far as they fit.
 * Clock: clock_gettime(CLOCK_MONOTONIC); the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID) is kept beside it to show when the machine was
 * busy with something else.
 *
 * FLOPs are 2 x the MACs the engine's counters measured over one run;
 * nothing here is derived from formulas.h. The predicted speed-up is
 * recompute MACs / cache MACs of those same runs.
 *
 * No curses, no printing: the command around it is ui/cmd/bench.c.
 */
#ifndef KVSIM_BENCH_H
#define KVSIM_BENCH_H

#include "sim/config.h"
#include "sim/counts.h"
#include "sim/ops.h"

#include <stdbool.h>
#include <stddef.h>

/* Most timed runs per mode (the samples are kept for the median). */
#define BENCH_MAX_RUNS 101

typedef struct {
    const char *name;      /* e.g. "tiny", "d64-T1024" */
    KvConfig cfg;          /* max_seq = T; vocab filled in by the caller */
    int runs_cache;        /* timed runs in cache mode (1..BENCH_MAX_RUNS) */
    int runs_recompute;    /* timed runs in recompute mode (1..BENCH_MAX_RUNS) */
    bool warmup_recompute; /* an untimed recompute run first (cache mode always has one) */
} BenchSpec;

typedef struct {
    int runs;              /* timed runs */
    double sec_median;     /* median seconds of one whole generation */
    double sec_min, sec_max;
    double cpu_sec_median; /* median CPU time of this thread over the same runs */
    double cpu_share;      /* cpu_sec_median / sec_median: near 1 on an idle machine;
                              lower when other work took the CPU away (then the
                              wall-clock numbers are pessimistic) */
    double others_busy;    /* CPUs' worth of other work on the machine while the timed
                              runs ran (/proc/stat: all CPUs' busy time minus this
                              thread's, over the wall time); 0 on an idle machine,
                              -1 when /proc/stat cannot be read or the runs took
                              under 0.25 s (its 10-ms ticks would be mostly rounding) */
    OpCounts counts;       /* measured MACs of one run (every run measures the same) */
    uint64_t macs;         /* counts_total(&counts) */
    uint64_t read_bytes;   /* weight + K/V bytes read over one run (traffic counters) */
    uint64_t decode_read_bytes;  /* cache mode: those of the last step (a decode step); 0 otherwise */
    uint64_t decode_weight_bytes; /* cache mode: weight bytes of the last step */
    uint64_t decode_macs;        /* cache mode: MACs of the last step */
    double gbs;            /* read_bytes / sec_median / 1e9: achieved read bandwidth */
    double gbs_best;       /* read_bytes / sec_min / 1e9 */
    double intensity;      /* 2 * macs / read_bytes: FLOP per byte read */
    double tokens_per_s;   /* G / sec_median */
    /* cache mode, paired with the machine's minute: before each timed run,
     * the best of BENCH_PAIR_WINDOWS read sweeps over the model's own
     * packed weights (the bytes a decode step streams, so no other buffer
     * pushes them out of the caches); the median over runs of that sweep,
     * and of each run's read GB/s divided by its own sweep. 0 otherwise. */
    double paired_gbs;
    double paired_fraction;
    double run_sec[BENCH_MAX_RUNS];      /* each timed run's seconds, in run order */
    double run_pair_gbs[BENCH_MAX_RUNS]; /* the sweep just before it (cache mode; else 0) */
    double gflops;         /* 2 * macs / sec_median / 1e9 */
} BenchMode;

enum { BENCH_PAIR_WINDOWS = 5 };

typedef struct {
    BenchSpec spec;
    int T, L, G;           /* positions, prompt tokens (1), generated tokens (T - 1) */
    BenchMode cache, recompute;
    double speedup_measured;   /* tokens_per_s cache / tokens_per_s recompute */
    double speedup_predicted;  /* recompute MACs / cache MACs (measured counters) */
    bool same_tokens;      /* both modes emitted the same G tokens */
    uint64_t sweep_bytes;  /* buffer of the read-bandwidth sweep: the weight bytes of
                              one decode step (traffic counters), in 4-KiB pages */
    double read_gbs;       /* best single-thread read bandwidth over that buffer */
    /* Where a cached run's time goes: after the timed runs, the same run
     * again (cache.runs times), one operation at a time, each operation
     * timed with CLOCK_MONOTONIC. op_us[k] = the fastest of those runs'
     * total for operations of kind k (OpKind), in µs per generated token;
     * 0 for kinds the mode does not run. The clock reads add op_clock_us
     * (one read, measured) to every operation, about 1-2% here. */
    double op_us[OP_KIND_COUNT];
    double op_clock_us;
    double seconds_total;  /* wall time of bench_measure, setup and warm-up included */
} BenchResult;

/* The three shapes of the benchmark, in order: "tiny", the seeded random model's default shape
 * (d 8, H 2, 2 layers, F 32, T 64); "d64-T1024" (d 64, H 2, 2 layers,
 * F 256, T 1024); "d288-T256" (d 288, H 6, 6 layers, F 768, T 256).
 * `runs` timed runs of cache mode for every shape and of recompute mode
 * for the tiny one (each after a warm-up run); `recompute_runs` timed
 * recompute runs of the two large shapes, without a warm-up: each is
 * ~100-170 G MACs, tens of seconds, and warms itself up in its first
 * steps. Both are clamped to 1..BENCH_MAX_RUNS. Returns how many specs
 * were written (<= cap). */
int bench_default_specs(BenchSpec *out, int cap, int vocab, int runs, int recompute_runs);

/* Build the model of s->cfg and time both modes. The prompt is the one
 * token `first_token`. Returns 0, or -1 with a one-line message (invalid
 * shape, out of memory). */
int bench_measure(const BenchSpec *s, int first_token, BenchResult *r, char *err, size_t errlen);

/* The machine, measured (docs/performance.md §1): single-thread read
 * bandwidth (bench_read_gbs) and the peak rate of separate vector
 * multiplies and adds (kernel_mul_add_loop), each the best of several
 * short runs. */
typedef struct {
    double peak_gflops;    /* best of BENCH_PEAK_RUNS runs of kernel_mul_add_loop */
    uint64_t llc_bytes;    /* last-level cache (sysfs; 32 MiB when unknown) */
    uint64_t dram_bytes;   /* 4 × llc_bytes: the sweep that must come from memory */
    double dram_gbs;       /* best read bandwidth over dram_bytes */
    const char *variant;   /* kernel_variant() */
    double load_1m;        /* 1-minute load average when bench started (/proc/loadavg;
                              -1 when unknown): runnable tasks competing for the CPUs.
                              Above about 1 other work shared the machine, and the
                              wall-clock numbers are pessimistic (see cpu_share). */
    int n_cpus;            /* online CPUs (sysconf), 0 when unknown */
} BenchMachine;

enum { BENCH_PEAK_RUNS = 7, BENCH_SWEEP_RUNS = 15 };

/* The CPU every measurement runs on. kvsim bench pins its one thread to a
 * single CPU first (Linux: sched_setaffinity), so the sweep and the runs
 * it divides come from the same core and no run migrates half way. The
 * CPUs of a shared machine need not be alike: a guest's vCPUs can sit
 * beside busy neighbours that share their L3 (docs/performance.md §2.0).
 * So, unless told which one, bench probes each CPU it may use with a
 * short read sweep (BENCH_PROBE_BYTES, best of BENCH_PROBE_RUNS) and
 * takes the fastest, the least disturbed one: the same rule as "best of
 * several runs", since a neighbour only ever slows a CPU down. */
enum { BENCH_MAX_CPUS = 64, BENCH_PROBE_RUNS = 5 };
#define BENCH_PROBE_BYTES (16ull << 20)
typedef struct {
    int cpu;                      /* the CPU pinned to; -1 where pinning is not supported */
    bool chosen;                  /* true: the probe chose it; false: --cpu */
    int n;                        /* CPUs probed (0 with --cpu) */
    int cpus[BENCH_MAX_CPUS];     /* their numbers */
    double gbs[BENCH_MAX_CPUS];   /* their read bandwidth over BENCH_PROBE_BYTES, GB/s */
    unsigned long long before;    /* the affinity mask before (CPUs 0-63), for bench_unpin */
} BenchCpu;

/* Pin the calling thread: to CPU `want` (>= 0), or to the fastest of the
 * probe (want < 0). Returns 0, or -1 with a one-line message when `want`
 * is not a CPU this process may run on ("not a CPU this process may run
 * on (0-1)"). Where the system has no sched_setaffinity, p->cpu is -1 and
 * nothing is pinned. */
int bench_pin(BenchCpu *p, int want, char *err, size_t errlen);
/* Give the thread back the CPUs it had before bench_pin. */
void bench_unpin(const BenchCpu *p);


/* Measure peak and the 4×LLC read bandwidth. -1 with a message when out of memory. */
int bench_machine(BenchMachine *m, char *err, size_t errlen);

/* Best read bandwidth in GB/s (1e9 bytes/s) of `runs` read-only sweeps
 * (kernel_read_sweep) over a buffer of `bytes`, after one untimed sweep
 * that faults it in; each run repeats the sweep until it has read at
 * least 64 MB, so short sweeps are timed over a few milliseconds.
 * -1 when out of memory. */
double bench_read_gbs(uint64_t bytes, int runs);

/* Seconds from CLOCK_MONOTONIC. */
double bench_now(void);
/* CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID). */
double bench_cpu_now(void);

/* Median of n values (sorts v in place); 0 when n <= 0. */
double bench_median(double *v, int n);

#endif
