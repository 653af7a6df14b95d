/* bench: see bench.h. */
#if defined(__linux__)
#define _GNU_SOURCE   /* sched_setaffinity, CPU_SET: pinning to one CPU */
#include <sched.h>
#endif
#include "sim/bench.h"

#include "sim/engine.h"
#include "sim/kernels.h"
#include "sim/model.h"
#include "sim/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best read GB/s of `windows` timed windows over the n floats at x, each
 * window sweeping them over and over until it has read at least 64 MB. */
static double sweep_best(const float *x, size_t n, int windows)
{
    const size_t reps = (size_t)(64e6 / (double)(n * sizeof(float))) + 1;
    volatile float sink = 0.0f;
    double best = 0.0;
    for (int w = 0; w < windows; w++) {
        const double t0 = bench_now();
        for (size_t k = 0; k < reps; k++) sink = sink + kernel_read_sweep(x, n);
        const double dt = bench_now() - t0;
        const double gbs = dt > 0 ? (double)(n * sizeof(float)) * (double)reps / dt / 1e9 : 0.0;
        if (gbs > best) best = gbs;
    }
    return best;
}

double bench_read_gbs(uint64_t bytes, int runs)
{
    const size_t n = (size_t)((bytes + 4095) / 4096 * 4096 / sizeof(float));
    float *buf = kernel_alloc_stream(n * sizeof(float));
    if (!buf) return -1.0;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 1023) * 1e-3f;
    volatile float sink = kernel_read_sweep(buf, n);   /* fault in, warm up */
    (void)sink;
    const double best = sweep_best(buf, n, runs);
    free(buf);
    return best;
}

/* ---- the CPU ------------------------------------------------------------ */

#if defined(__linux__)
static bool pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

/* "0-1", "0,2,5": the CPUs of mask, for a message. */
static void mask_text(unsigned long long mask, char *out, size_t len)
{
    size_t n = 0;
    out[0] = 0;
    for (int c = 0; c < BENCH_MAX_CPUS && n + 24 < len; c++) {
        if (!(mask >> c & 1)) continue;
        int e = c;
        while (e + 1 < BENCH_MAX_CPUS && (mask >> (e + 1) & 1)) e++;
        n += (size_t)snprintf(out + n, len - n, n ? ",%d" : "%d", c);
        if (e > c) n += (size_t)snprintf(out + n, len - n, "-%d", e);
        c = e;
    }
}
#endif

int bench_pin(BenchCpu *p, int want, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->cpu = -1;
#if defined(__linux__)
    cpu_set_t now;
    if (sched_getaffinity(0, sizeof now, &now) != 0) return 0;   /* cannot tell: run unpinned */
    for (int c = 0; c < BENCH_MAX_CPUS; c++)
        if (CPU_ISSET(c, &now)) p->before |= 1ull << c;
    if (want >= 0) {
        if (want >= BENCH_MAX_CPUS || !(p->before >> want & 1) || !pin_to(want)) {
            char cpus[160];
            mask_text(p->before, cpus, sizeof cpus);
            snprintf(err, errlen, "not a CPU this process may run on (%s)", cpus);
            return -1;
        }
        p->cpu = want;
        return 0;
    }
    double best = -1.0;
    for (int c = 0; c < BENCH_MAX_CPUS; c++) {
        if (!(p->before >> c & 1) || !pin_to(c)) continue;
        const double g = bench_read_gbs(BENCH_PROBE_BYTES, BENCH_PROBE_RUNS);
        p->cpus[p->n] = c;
        p->gbs[p->n++] = g;
        if (g > best) best = g, p->cpu = c;
    }
    if (p->cpu < 0 || !pin_to(p->cpu)) {   /* no CPU could be probed: as before */
        bench_unpin(p);
        p->cpu = -1;
        return 0;
    }
    p->chosen = true;
#else
    (void)want;
    (void)err;
    (void)errlen;
#endif
    return 0;
}

void bench_unpin(const BenchCpu *p)
{
#if defined(__linux__)
    if (!p->before) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c = 0; c < BENCH_MAX_CPUS; c++)
        if (p->before >> c & 1) CPU_SET(c, &set);
    (void)sched_setaffinity(0, sizeof set, &set);
#else
    (void)p;
#endif
}

/* Size of the largest cache the sysfs describes for cpu0; 0 when unknown. */
static uint64_t llc_bytes(void)
{
    uint64_t best = 0;
    for (int i = 0; i < 8; i++) {
        char path[96];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        unsigned long long v = 0;
        char unit = 0;
        if (fscanf(f, "%llu%c", &v, &unit) >= 1) {
            if (unit == 'K') v <<= 10;
            else if (unit == 'M') v <<= 20;
            if (v > best) best = v;
        }
        fclose(f);
    }
    return best;
}

/* The 1-minute load average, or -1 when /proc/loadavg cannot be read. */
static double load_1m(void)
{
    double v = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1) v = -1.0;
        fclose(f);
    }
    return v;
}

/* Jiffies the machine's CPUs spent busy and in all, from the first line of
 * /proc/stat; false when it cannot be read. */
static bool proc_busy(unsigned long long *busy, unsigned long long *total)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return false;
    const int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                           &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got < 4) return false;
    *total = 0;
    for (int i = 0; i < 8; i++) *total += v[i];
    *busy = *total - v[3] - v[4];   /* minus idle and iowait */
    return true;
}

int bench_machine(BenchMachine *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->variant = kernel_variant();
    m->load_1m = load_1m();   /* before our own runs add to it */
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    m->n_cpus = cpus > 0 ? (int)cpus : 0;
    /* peak: about 2e9 FLOP per run (a few tens of ms), best of the runs */
    volatile float sink = 0.0f;
    for (int r = 0; r < BENCH_PEAK_RUNS; r++) {
        uint64_t flops = 0;
        const double t0 = bench_now();
        sink = sink + kernel_mul_add_loop(10000000L, &flops);
        const double dt = bench_now() - t0;
        const double g = dt > 0 ? (double)flops / dt / 1e9 : 0.0;
        if (g > m->peak_gflops) m->peak_gflops = g;
    }
    m->llc_bytes = llc_bytes();
    if (m->llc_bytes == 0) m->llc_bytes = 32ull << 20;
    m->dram_bytes = 4 * m->llc_bytes;
    m->dram_gbs = bench_read_gbs(m->dram_bytes, 5);
    if (m->dram_gbs < 0) {
        snprintf(err, errlen, "out of memory for a %llu-byte read sweep", (unsigned long long)m->dram_bytes);
        return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    if (n <= 0) return 0.0;
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int clamp_runs(int r)
{
    return r < 1 ? 1 : r > BENCH_MAX_RUNS ? BENCH_MAX_RUNS : r;
}

int bench_default_specs(BenchSpec *out, int cap, int vocab, int runs, int recompute_runs)
{
    runs = clamp_runs(runs);
    recompute_runs = clamp_runs(recompute_runs);
    KvConfig tiny = config_default();         /* d 8, H 2, 2 layers, F 32, T 64 */
    tiny.vocab = vocab;

    KvConfig mid = config_default();
    mid.vocab = vocab;
    mid.d_model = 64;
    mid.n_heads = mid.n_kv_heads = 2;
    mid.n_layers = 2;
    mid.d_ff = 256;
    mid.max_seq = 1024;

    KvConfig big = config_default();
    big.vocab = vocab;
    big.d_model = 288;
    big.n_heads = big.n_kv_heads = 6;
    big.n_layers = 6;
    big.d_ff = 768;
    big.max_seq = 256;

    const BenchSpec all[] = {
        {"tiny", tiny, runs, runs, true},
        {"d64-T1024", mid, runs, recompute_runs, false},
        {"d288-T256", big, runs, recompute_runs, false},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < cap; i++) out[n++] = all[i];
    return n;
}

/* Cache mode again, one operation at a time: r->op_us and r->op_clock_us
 * (see bench.h). */
static int time_ops(const Model *m, int first_token, int G, int runs, BenchResult *res, char *err,
                    size_t errlen)
{
    Run run;
    const RunPrompt p = {&first_token, 1};
    if (run_init(&run, &m->cfg, m, RUN_MODE_BIT(MODE_CACHE), &p, 1, G, err, errlen)) return -1;
    const Engine *e = run_engine(&run, MODE_CACHE);
    for (int k = 0; k < OP_KIND_COUNT; k++) res->op_us[k] = -1.0;
    run_move(&run, MODE_CACHE, RUN_END);   /* warm-up */
    for (int r = 0; r < runs; r++) {
        double sum[OP_KIND_COUNT] = {0};
        run_move(&run, MODE_CACHE, RUN_START);
        for (;;) {
            const double t0 = bench_now();
            if (!run_move(&run, MODE_CACHE, RUN_NEXT_OP)) break;
            const double dt = bench_now() - t0;
            const OpRef op = engine_current_op(e);
            if (op.kind >= 0 && op.kind < OP_KIND_COUNT) sum[op.kind] += dt;
        }
        for (int k = 0; k < OP_KIND_COUNT; k++)
            if (res->op_us[k] < 0 || sum[k] < res->op_us[k]) res->op_us[k] = sum[k];
    }
    run_free(&run);
    for (int k = 0; k < OP_KIND_COUNT; k++) res->op_us[k] = res->op_us[k] > 0 ? res->op_us[k] * 1e6 / G : 0.0;
    double best = 1.0;
    for (int i = 0; i < 1000; i++) {
        const double a = bench_now(), b = bench_now();
        if (b - a < best) best = b - a;
    }
    res->op_clock_us = best * 1e6;
    return 0;
}

/* Time `runs` whole generations of one mode; tokens go to out_tokens. In
 * cache mode each run is paired with a sweep of the packed weights just
 * before it (BenchMode.paired_*, sim/bench.h). */
static int time_mode(const Model *m, RunMode mode, int first_token, int G, int runs, bool warmup,
                     BenchMode *bm, int *out_tokens, char *err, size_t errlen)
{
    Run run;
    const RunPrompt p = {&first_token, 1};
    if (run_init(&run, &m->cfg, m, RUN_MODE_BIT(mode), &p, 1, G, err, errlen)) return -1;
    const Engine *e = run_engine(&run, mode);
    double samples[BENCH_MAX_RUNS], cpu[BENCH_MAX_RUNS], pair[BENCH_MAX_RUNS];
    /* the packed weights: (n_layers · p_layer + head) floats, what decode streams */
    const size_t packed_n = (size_t)m->cfg.n_layers * m->p_layer + kernel_packed_floats(m->cfg.d_model, m->cfg.vocab);
    const bool paired = mode == MODE_CACHE && m->packed && packed_n > 0;
    memset(bm, 0, sizeof *bm);
    bm->runs = runs;
    if (warmup) run_move(&run, mode, RUN_END);
    unsigned long long busy0 = 0, all0 = 0, busy1 = 0, all1 = 0;
    const bool stat0 = proc_busy(&busy0, &all0);
    const double wall0 = bench_now(), cpu0 = bench_cpu_now();
    for (int r = 0; r < runs; r++) {
        run_move(&run, mode, RUN_START);    /* rewind: untimed, keeps every buffer */
        pair[r] = paired ? sweep_best(m->packed, packed_n, BENCH_PAIR_WINDOWS) : 0.0;
        const double c0 = bench_cpu_now(), t0 = bench_now();
        run_move(&run, mode, RUN_END);
        samples[r] = bench_now() - t0;
        cpu[r] = bench_cpu_now() - c0;
        if (r == 0) {
            bm->counts = e->cum;
            bm->read_bytes = traffic_read_bytes(&e->traffic_cum);
            if (mode == MODE_CACHE && G > 1) {   /* the last step: a decode step at t = T */
                bm->decode_read_bytes = traffic_read_bytes(engine_step_traffic(e, G - 1));
                bm->decode_weight_bytes = engine_step_traffic(e, G - 1)->weight_bytes;
                bm->decode_macs = counts_total(engine_step_counts(e, G - 1));
            }
        } else if (!counts_equal(&bm->counts, &e->cum)) {
            snprintf(err, errlen, "%s mode: counters differ between runs", config_mode_name(mode));
            run_free(&run);
            return -1;
        }
    }
    const double wall = bench_now() - wall0, mine = bench_cpu_now() - cpu0;
    bm->others_busy = -1.0;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    /* /proc/stat ticks are 10 ms: shorter windows would be mostly rounding */
    if (stat0 && proc_busy(&busy1, &all1) && all1 > all0 && wall >= 0.25 && cpus > 0) {
        /* busy share of all CPUs, in CPUs, minus this thread's own share */
        const double o = (double)(busy1 - busy0) / (double)(all1 - all0) * (double)cpus - mine / wall;
        bm->others_busy = o > 0 ? o : 0.0;
    }
    for (int k = 0; k < G; k++) out_tokens[k] = engine_emitted(e, k);
    run_free(&run);

    bm->macs = counts_total(&bm->counts);
    memcpy(bm->run_sec, samples, sizeof(double) * (size_t)runs);   /* before the medians sort them */
    memcpy(bm->run_pair_gbs, pair, sizeof(double) * (size_t)runs);
    if (paired) {
        double ratio[BENCH_MAX_RUNS];
        int n = 0;
        for (int r = 0; r < runs; r++)
            if (pair[r] > 0 && samples[r] > 0) ratio[n++] = (double)bm->read_bytes / samples[r] / 1e9 / pair[r];
        bm->paired_gbs = bench_median(pair, runs);
        bm->paired_fraction = n ? bench_median(ratio, n) : 0.0;
    }
    bm->sec_min = bm->sec_max = samples[0];
    for (int r = 1; r < runs; r++) {
        if (samples[r] < bm->sec_min) bm->sec_min = samples[r];
        if (samples[r] > bm->sec_max) bm->sec_max = samples[r];
    }
    bm->sec_median = bench_median(samples, runs);
    bm->cpu_sec_median = bench_median(cpu, runs);
    if (bm->sec_median > 0) {
        bm->cpu_share = bm->cpu_sec_median / bm->sec_median;
        bm->tokens_per_s = (double)G / bm->sec_median;
        bm->gflops = 2.0 * (double)bm->macs / bm->sec_median / 1e9;
        bm->gbs = (double)bm->read_bytes / bm->sec_median / 1e9;
    }
    if (bm->sec_min > 0) bm->gbs_best = (double)bm->read_bytes / bm->sec_min / 1e9;
    if (bm->read_bytes > 0) bm->intensity = 2.0 * (double)bm->macs / (double)bm->read_bytes;
    return 0;
}

int bench_measure(const BenchSpec *s, int first_token, BenchResult *r, char *err, size_t errlen)
{
    const double start = bench_now();
    memset(r, 0, sizeof *r);
    r->spec = *s;
    r->T = s->cfg.max_seq;
    r->L = 1;
    r->G = r->T - 1;
    if (r->G < 1) {
        snprintf(err, errlen, "%s: max-seq %d leaves nothing to generate", s->name, r->T);
        return -1;
    }
    if (config_validate(&s->cfg, r->L, r->G, err, errlen)) return -1;
    if (first_token < 0 || first_token >= s->cfg.vocab) {
        snprintf(err, errlen, "%s: token %d is outside the vocabulary", s->name, first_token);
        return -1;
    }
    Model m;
    if (model_init(&m, &s->cfg)) {
        snprintf(err, errlen, "%s: out of memory building the model", s->name);
        return -1;
    }
    int *tok_c = malloc(sizeof(int) * (size_t)r->G);
    int *tok_r = malloc(sizeof(int) * (size_t)r->G);
    int rc = -1;
    if (!tok_c || !tok_r) {
        snprintf(err, errlen, "%s: out of memory", s->name);
    } else if (!time_mode(&m, MODE_CACHE, first_token, r->G, clamp_runs(s->runs_cache), true,
                          &r->cache, tok_c, err, errlen)) {
        /* the machine's read bandwidth over a buffer the size of one
         * decode step's weights, right after the cache runs, so that both
         * see the same neighbours (the recompute runs take tens of seconds) */
        r->sweep_bytes = r->cache.decode_weight_bytes;
        if (r->sweep_bytes == 0) r->sweep_bytes = 4096;
        r->read_gbs = bench_read_gbs(r->sweep_bytes, BENCH_SWEEP_RUNS);
        if (!time_mode(&m, MODE_RECOMPUTE, first_token, r->G, clamp_runs(s->runs_recompute),
                       s->warmup_recompute, &r->recompute, tok_r, err, errlen) &&
            !time_ops(&m, first_token, r->G, clamp_runs(s->runs_cache), r, err, errlen)) {
            r->same_tokens = !memcmp(tok_c, tok_r, sizeof(int) * (size_t)r->G);
            if (r->recompute.tokens_per_s > 0)
                r->speedup_measured = r->cache.tokens_per_s / r->recompute.tokens_per_s;
            if (r->cache.macs > 0)
                r->speedup_predicted = (double)r->recompute.macs / (double)r->cache.macs;
            rc = 0;
        }
    }
    free(tok_c);
    free(tok_r);
    model_free(&m);
    r->seconds_total = bench_now() - start;
    return rc;
}
