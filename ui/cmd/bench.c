/* bench_cmd: see bench_cmd.h. The engine numbers come from sim/bench.c;
 * this file parses options, times the UI frames and lays it all out. */
#include "ui/cmd/bench.h"

#include "sim/bench.h"
#include "sim/tokenizer.h"
#include "ui/app.h"
#include "ui/canvas.h"
#include "ui/cmd/cli.h"
#include "ui/machine_file.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* The UI issue's budget for building one frame. */
#define UI_BUDGET_MS 5.0
/* Issue 6's floor for cache mode at d288-T256, counters on, one thread. */
#define BENCH_TARGET_GFLOPS 6.0
/* The prompt of the engine benchmark: one token. */
#define BENCH_PROMPT_CHAR 't'

enum { N_SHAPES = 3, N_UI_SIZES = 3 };
static const int ui_sizes[N_UI_SIZES][2] = {{80, 24}, {120, 40}, {200, 60}};

typedef struct {
    bool json;
    int runs;            /* --runs */
    int recompute_runs;  /* --recompute-runs */
    unsigned shapes;     /* bit i: shape i of bench_default_specs */
    bool ui;
    int cpu;             /* --cpu, or -1 */
    const char *machine_path;  /* --save-machine: the file to write; NULL: none */
} BenchOptions;

/* ---- the UI frame time --------------------------------------------------- */

typedef struct {
    int w, h;
    long frames;
    double median_ms, p95_ms, max_ms;
} UiTime;

static double now_ms(void)
{
    return bench_now() * 1e3;
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Same measurement as frames_bench (`kvsim bench-ui`): the default run
 * (prompt "the cat sat", 8 steps, default model, English), every
 * operation of it in each view, one app_render + canvas_dump per frame,
 * and the same median / p95 / max indices. */
static int time_ui(UiTime out[N_UI_SIZES], char *err, size_t errlen)
{
    CliOptions o;
    char name[] = "kvsim";
    char *av[] = {name, NULL};
    if (cli_parse(1, av, &o, err, errlen)) return -1;
    int *ids = malloc(sizeof(int) * (size_t)o.cfg.max_seq);
    if (!ids) FAIL("out of memory");
    const int L = cli_prepare(&o, ids, o.cfg.max_seq, err, errlen);
    if (L < 0) {
        free(ids);
        return -1;
    }
    int rc = 0;
    for (int s = 0; s < N_UI_SIZES && rc == 0; s++) {
        App a;
        Canvas c;
        if (app_init(&a, &o, ids, L, err, errlen)) {
            rc = -1;
            break;
        }
        if (canvas_init(&c, ui_sizes[s][0], ui_sizes[s][1])) {
            app_free(&a);
            snprintf(err, errlen, "out of memory for a %dx%d canvas", ui_sizes[s][0], ui_sizes[s][1]);
            rc = -1;
            break;
        }
        a.screen_w = c.w;
        a.screen_h = c.h;
        const long per_view = engine_total_ops(app_engine(&a)) + 1;
        const long total = per_view * VIEW_COUNT;
        double *t = malloc(sizeof(double) * (size_t)total);
        long n = 0;
        for (int v = 0; v < VIEW_COUNT && t; v++) {
            a.view = (View)v;
            app_handle_key(&a, 'g');
            for (long i = 0; i < per_view; i++) {
                const double t0 = now_ms();
                app_render(&a, &c);
                char *text = canvas_dump(&c);
                t[n++] = now_ms() - t0;
                free(text);
                app_handle_key(&a, 'n');
            }
        }
        if (t && n > 0) {
            qsort(t, (size_t)n, sizeof(double), cmp_double);
            out[s] = (UiTime){ui_sizes[s][0], ui_sizes[s][1], n, t[n / 2], t[(n * 95) / 100], t[n - 1]};
        } else {
            snprintf(err, errlen, "out of memory timing the UI");
            rc = -1;
        }
        free(t);
        canvas_free(&c);
        app_free(&a);
    }
    free(ids);
    return rc;
}

/* ---- output -------------------------------------------------------------- */

static void json_num(FILE *f, double x)
{
    if (isfinite(x)) fprintf(f, "%.10g", x);
    else fputs("null", f);
}

static const char *compiler_name(void)
{
#ifdef __VERSION__
    return __VERSION__;
#else
    return "unknown";
#endif
}

static void table_header(FILE *f, const BenchOptions *o)
{
    fprintf(f,
            "kvsim bench: generate a whole sequence (1-token prompt, then G = T-1 tokens) in\n"
            "cache mode and in recompute mode, one thread, counters on. Timed: engine_run_to_end\n"
            "on a rewound, warm engine (no setup, no output). Median of the timed runs: %d per\n"
            "mode (recompute of the two large shapes: %d, no warm-up). GFLOP/s = 2 x measured\n"
            "MACs / median seconds. cpu%% = this thread's CPU time / wall time: below ~95%%\n"
            "the machine was busy with other work and the wall-clock numbers are pessimistic;\n"
            "others = CPUs busy with other work during the timed runs (/proc/stat; idle: ~0).\n"
            "Compiler %s.\n\n",
            o->runs, o->recompute_runs, compiler_name());
}

static void table_columns(FILE *f)
{
    fprintf(f, "%-10s %5s %5s  %-9s %4s %11s %12s %8s %5s %6s %14s\n", "shape", "T", "G", "mode", "runs",
            "median s", "tokens/s", "GFLOP/s", "cpu%", "others", "MACs");
}

static void table_machine(FILE *f, const BenchMachine *m)
{
    fprintf(f, "machine (one thread, %s kernels; docs/performance.md):\n"
               "  load average %.2f on %d CPUs when bench started (idle: well under 1)\n"
               "  peak of separate vector multiplies + adds  %8.1f GFLOP/s (best of %d)\n"
               "  read bandwidth, %4.0f MiB sweep (4 x LLC)   %8.1f GB/s (best of 5)\n"
               "  per shape: read bandwidth over a buffer the size of its weights, below\n",
            m->variant, m->load_1m, m->n_cpus, m->peak_gflops, BENCH_PEAK_RUNS, (double)m->dram_bytes / 1048576.0, m->dram_gbs);
    fflush(f);
}

static double frac(double x, double of)
{
    return of > 0 ? x / of : NAN;
}

/* Where each mode sits on this machine's roofline, and the lesson sentence. */
static void table_roofline(FILE *f, const BenchResult *r, const BenchMachine *mc)
{
    fprintf(f, "%-10s machine: %.1f GB/s read over %.1f MB (its weights), %.1f GFLOP/s peak\n", "",
            r->read_gbs, (double)r->sweep_bytes / 1e6, mc->peak_gflops);
    const BenchMode *m[2] = {&r->cache, &r->recompute};
    const char *mn[2] = {"cache", "recompute"};
    for (int i = 0; i < 2; i++)
        fprintf(f, "%-10s %-9s %7.2f MB read/step  %6.1f GB/s = %.2f of bw (best run %.2f)  "
                   "%6.2f GFLOP/s = %.2f of peak  %6.2f FLOP/B\n",
                "", mn[i], (double)m[i]->read_bytes / r->G / 1e6, m[i]->gbs, frac(m[i]->gbs, r->read_gbs),
                frac(m[i]->gbs_best, r->read_gbs), m[i]->gflops, frac(m[i]->gflops, mc->peak_gflops),
                m[i]->intensity);
    /* the number the JSON's bandwidth_fraction_cache is (sim/bench.h) */
    if (r->cache.paired_fraction > 0)
        fprintf(f, "%-10s cache, paired with its minute: each run against a sweep of the same weights\n"
                   "%-10s just before it (best of %d windows; median %.1f GB/s): %.2f of bw, median of runs\n",
                "", "", BENCH_PAIR_WINDOWS, r->cache.paired_gbs, r->cache.paired_fraction);
    /* an average cache step: its bytes, MACs, the bandwidth bound and the time it took */
    const double mb = (double)r->cache.read_bytes / r->G / 1e6, macs = (double)r->cache.macs / r->G;
    const double bound_ms = r->read_gbs > 0 ? mb / r->read_gbs : NAN;
    fprintf(f, "%-10s \"an average step here needs %.2f MB and %.2f M MACs: at %.1f GB/s it cannot take\n"
               "%-10s less than %.3f ms; it took %.3f ms\"\n",
            "", mb, macs / 1e6, r->read_gbs, "", bound_ms, 1e3 * r->cache.sec_median / r->G);
}

/* Where a cached step's time goes, operation by operation. */
static void table_ops(FILE *f, const BenchResult *r)
{
    fprintf(f, "%-10s cache mode, op by op (us per token, fastest of %d runs each; +%.3f us clock per op):\n%-10s",
            "", r->cache.runs, r->op_clock_us, "");
    double sum = 0.0;
    int col = 0;
    for (int k = 0; k < OP_KIND_COUNT; k++) {
        if (!op_in_mode((OpKind)k, MODE_CACHE)) continue;
        if (col == 7) {
            fprintf(f, "\n%-10s", "");
            col = 0;
        }
        fprintf(f, " %s %.1f", op_info((OpKind)k)->key, r->op_us[k]);
        sum += r->op_us[k];
        col++;
    }
    fprintf(f, "\n%-10s sum %.1f us per token; the median whole run %.1f\n", "", sum,
            r->G > 0 ? 1e6 * r->cache.sec_median / r->G : 0.0);
}

static void table_mode(FILE *f, const char *shape, const BenchResult *r, const char *mode,
                       const BenchMode *m, bool counters)
{
    char gf[32] = "n/a";
    if (counters) snprintf(gf, sizeof gf, "%.2f", m->gflops);
    if (shape)
        fprintf(f, "%-10s %5d %5d  ", shape, r->T, r->G);
    else
        fprintf(f, "%-10s %5s %5s  ", "", "", "");
    char others[16] = "n/a";
    if (m->others_busy >= 0) snprintf(others, sizeof others, "%.2f", m->others_busy);
    fprintf(f, "%-9s %4d %11.6f %12.1f %8s %5.0f %6s %14llu\n", mode, m->runs, m->sec_median,
            m->tokens_per_s, gf, 100.0 * m->cpu_share, others, (unsigned long long)m->macs);
}

static void table_shape(FILE *f, const BenchResult *r, const BenchMachine *mc)
{
    const bool counters = r->cache.macs > 0;
    table_mode(f, r->spec.name, r, "cache", &r->cache, counters);
    table_mode(f, NULL, r, "recompute", &r->recompute, counters);
    char pred[64] = "n/a (counters compiled out)";
    if (counters)
        snprintf(pred, sizeof pred, "%.2fx (recompute MACs / cache MACs)", r->speedup_predicted);
    fprintf(f, "%-10s speed-up: measured %.2fx, predicted %s;\n%-10s same tokens in both modes: %s\n",
            "", r->speedup_measured, pred, "", r->same_tokens ? "yes" : "NO");
    if (!strcmp(r->spec.name, "d288-T256") && counters)
        fprintf(f, "%-10s target (issue 6): cache mode >= %.0f GFLOP/s on one thread: %s\n", "",
                BENCH_TARGET_GFLOPS, r->cache.gflops >= BENCH_TARGET_GFLOPS ? "met" : "NOT met");
    if (counters) table_roofline(f, r, mc);
    table_ops(f, r);
    fflush(f);
}

static void table_ui(FILE *f, const UiTime *u)
{
    fprintf(f, "\nUI frame time, as 'kvsim bench-ui' (app_render + canvas_dump, every operation of\n"
               "the default run, prompt \"" CONFIG_DEFAULT_PROMPT "\", %d steps, in every view); budget %.0f ms:\n",
            CONFIG_DEFAULT_GEN, UI_BUDGET_MS);
    fprintf(f, "%-9s %7s %9s %9s %9s\n", "size", "frames", "median ms", "p95 ms", "max ms");
    for (int s = 0; s < N_UI_SIZES; s++)
        fprintf(f, "%4dx%-4d %7ld %9.3f %9.3f %9.3f  %s\n", u[s].w, u[s].h, u[s].frames,
                u[s].median_ms, u[s].p95_ms, u[s].max_ms,
                u[s].p95_ms <= UI_BUDGET_MS ? "within budget" : "OVER BUDGET (p95)");
}

static void json_shape(FILE *f, const BenchResult *r, const BenchMachine *mc, bool last)
{
    const KvConfig *c = &r->spec.cfg;
    const bool counters = r->cache.macs > 0;
    fprintf(f, "    {\"shape\": \"%s\", \"d_model\": %d, \"n_heads\": %d, \"n_layers\": %d, "
               "\"d_ff\": %d, \"vocab\": %d, \"T\": %d, \"prompt_len\": %d, \"generated\": %d,\n",
            r->spec.name, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->vocab, r->T, r->L, r->G);
    const BenchMode *m[2] = {&r->cache, &r->recompute};
    const char *mn[2] = {"cache", "recompute"};
    for (int i = 0; i < 2; i++) {
        fprintf(f, "     \"runs_%s\": %d, \"seconds_%s\": ", mn[i], m[i]->runs, mn[i]);
        json_num(f, m[i]->sec_median);
        fprintf(f, ", \"seconds_%s_min\": ", mn[i]);
        json_num(f, m[i]->sec_min);
        fprintf(f, ", \"seconds_%s_max\": ", mn[i]);
        json_num(f, m[i]->sec_max);
        fprintf(f, ", \"cpu_seconds_%s\": ", mn[i]);
        json_num(f, m[i]->cpu_sec_median);
        fprintf(f, ", \"cpu_share_%s\": ", mn[i]);
        json_num(f, m[i]->cpu_share);
        fprintf(f, ", \"others_busy_%s\": ", mn[i]);
        json_num(f, m[i]->others_busy >= 0 ? m[i]->others_busy : NAN);   /* null: unknown */
        fprintf(f, ", \"macs_%s\": %llu,\n", mn[i], (unsigned long long)m[i]->macs);
    }
    fputs("     \"tokens_per_s_cache\": ", f);
    json_num(f, r->cache.tokens_per_s);
    fputs(", \"tokens_per_s_recompute\": ", f);
    json_num(f, r->recompute.tokens_per_s);
    fputs(", \"speedup_measured\": ", f);
    json_num(f, r->speedup_measured);
    fputs(", \"speedup_predicted\": ", f);
    json_num(f, counters ? r->speedup_predicted : NAN);
    fputs(",\n     \"gflops_cache\": ", f);
    json_num(f, counters ? r->cache.gflops : NAN);
    fputs(", \"gflops_recompute\": ", f);
    json_num(f, counters ? r->recompute.gflops : NAN);
    fprintf(f, ",\n     \"sweep_bytes\": %llu, \"read_bandwidth_gbs\": ", (unsigned long long)r->sweep_bytes);
    json_num(f, r->read_gbs);
    for (int i = 0; i < 2; i++) {
        fprintf(f, "%s\"read_bytes_%s\": %llu, \"gbs_%s\": ", i == 0 ? ", " : ",\n     ", mn[i],
                (unsigned long long)m[i]->read_bytes, mn[i]);
        json_num(f, counters ? m[i]->gbs : NAN);
        /* cache: each run against the sweep just before it (paired, sim/bench.h);
         * recompute, and cache's _unpaired: the median run against the
         * sweep after the cache runs (docs/performance.md §1) */
        fprintf(f, ", \"bandwidth_fraction_%s\": ", mn[i]);
        json_num(f, !counters ? NAN : i == 0 ? (m[i]->paired_fraction > 0 ? m[i]->paired_fraction : NAN)
                                             : frac(m[i]->gbs, r->read_gbs));
        if (i == 0) {
            fputs(", \"bandwidth_fraction_cache_unpaired\": ", f);
            json_num(f, counters ? frac(m[i]->gbs, r->read_gbs) : NAN);
            fputs(", \"read_bandwidth_paired_gbs\": ", f);
            json_num(f, m[i]->paired_gbs > 0 ? m[i]->paired_gbs : NAN);
            fputs(",\n     \"runs_cache_seconds\": [", f);
            for (int k = 0; k < m[i]->runs; k++) {
                if (k) fputs(", ", f);
                json_num(f, m[i]->run_sec[k]);
            }
            fputs("], \"runs_cache_sweep_gbs\": [", f);
            for (int k = 0; k < m[i]->runs; k++) {
                if (k) fputs(", ", f);
                json_num(f, m[i]->run_pair_gbs[k]);
            }
            fputs("]", f);
        }
        fprintf(f, ", \"bandwidth_fraction_%s_best\": ", mn[i]);
        json_num(f, counters ? frac(m[i]->gbs_best, r->read_gbs) : NAN);
        fprintf(f, ", \"compute_fraction_%s\": ", mn[i]);
        json_num(f, counters ? frac(m[i]->gflops, mc->peak_gflops) : NAN);
        fprintf(f, ", \"intensity_%s\": ", mn[i]);
        json_num(f, counters ? m[i]->intensity : NAN);
    }
    fprintf(f, ",\n     \"decode_step_read_bytes\": %llu, \"decode_step_macs\": %llu",
            (unsigned long long)r->cache.decode_read_bytes, (unsigned long long)r->cache.decode_macs);
    fprintf(f, ",\n     \"op_us_per_token_cache\": {");
    for (int k = 0, first = 1; k < OP_KIND_COUNT; k++) {
        if (!op_in_mode((OpKind)k, MODE_CACHE)) continue;
        fprintf(f, "%s\"%s\": ", first ? "" : ", ", op_info((OpKind)k)->key);
        json_num(f, r->op_us[k]);
        first = 0;
    }
    fputs("}, \"op_clock_us\": ", f);
    json_num(f, r->op_clock_us);
    fprintf(f, ", \"same_tokens\": %s, \"seconds_total\": ", r->same_tokens ? "true" : "false");
    json_num(f, r->seconds_total);
    fprintf(f, "}%s\n", last ? "" : ",");
}

static void json_ui(FILE *f, const UiTime *u)
{
    fprintf(f, "  \"ui_frames\": {\"budget_ms\": %.1f, \"prompt\": \"%s\", \"gen\": %d, \"sizes\": [\n",
            UI_BUDGET_MS, CONFIG_DEFAULT_PROMPT, CONFIG_DEFAULT_GEN);
    for (int s = 0; s < N_UI_SIZES; s++) {
        fprintf(f, "    {\"width\": %d, \"height\": %d, \"frames\": %ld, \"median_ms\": ", u[s].w, u[s].h,
                u[s].frames);
        json_num(f, u[s].median_ms);
        fputs(", \"p95_ms\": ", f);
        json_num(f, u[s].p95_ms);
        fputs(", \"max_ms\": ", f);
        json_num(f, u[s].max_ms);
        fprintf(f, ", \"within_budget\": %s}%s\n", u[s].p95_ms <= UI_BUDGET_MS ? "true" : "false",
                s + 1 < N_UI_SIZES ? "," : "");
    }
    fputs("  ]},\n", f);
}

/* The CPU line of the table: which CPU, and why. */
static void table_cpu(FILE *f, const BenchCpu *p)
{
    if (p->cpu < 0) fputs("  CPU: not pinned (no sched_setaffinity here)\n\n", f);
    else if (!p->chosen) fprintf(f, "  every measurement on CPU %d (--cpu)\n\n", p->cpu);
    else {
        fprintf(f, "  every measurement on CPU %d: its %.0f MiB read sweep was the fastest (", p->cpu,
                (double)BENCH_PROBE_BYTES / 1048576.0);
        for (int i = 0; i < p->n; i++) fprintf(f, "%sCPU %d %.1f", i ? ", " : "", p->cpus[i], p->gbs[i]);
        fputs(" GB/s;\n  a neighbour that shares a CPU's cache slows it down; --cpu N picks one)\n\n", f);
    }
}

/* "cpu": the CPU pinned to (null: not pinned), "cpu_chosen_by": "probe"
 * or "option", "cpu_probe_gbs": {"0": GB/s, ...} (empty with --cpu). */
static void json_cpu(FILE *f, const BenchCpu *p)
{
    if (p->cpu < 0) fputs(", \"cpu\": null, \"cpu_chosen_by\": null", f);
    else fprintf(f, ", \"cpu\": %d, \"cpu_chosen_by\": \"%s\"", p->cpu, p->chosen ? "probe" : "option");
    fprintf(f, ", \"cpu_probe_bytes\": %llu, \"cpu_probe_gbs\": {", (unsigned long long)BENCH_PROBE_BYTES);
    for (int i = 0; i < p->n; i++) {
        fprintf(f, "%s\"%d\": ", i ? ", " : "", p->cpus[i]);
        json_num(f, p->gbs[i]);
    }
    fputc('}', f);
}

/* ---- the machine file (--save-machine) ---------------------------------- */

/* Write what this run measured to path (ui/machine_file.h): the top-level
 * read bandwidth and its sweep (shape r), the peak, the CPU, the date. */
static int save_machine(const char *path, const BenchMachine *mc, const BenchCpu *pin, const BenchResult *r,
                        char *err, size_t errlen)
{
    MachineRecord m;
    memset(&m, 0, sizeof m);
    m.gbs = r->read_gbs;
    m.gflops = mc->peak_gflops;
    if (!(m.gbs > 0 && isfinite(m.gbs) && m.gflops > 0 && isfinite(m.gflops))) {
        snprintf(err, errlen, "nothing to save: read bandwidth %g GB/s, peak %g GFLOP/s", m.gbs, m.gflops);
        return -1;
    }
    m.sweep_bytes = r->sweep_bytes;
    snprintf(m.sweep_shape, sizeof m.sweep_shape, "%s", r->spec.name);
    m.cpu = pin->cpu;
    machine_file_cpu_model(m.cpu_model, sizeof m.cpu_model);
    const time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(m.date, sizeof m.date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(m.version, sizeof m.version, "%s", KVSIM_VERSION);
    snprintf(m.kernels, sizeof m.kernels, "%s", mc->variant);
    return machine_file_write(path, &m, err, errlen);
}

/* The table's last line when the machine was saved. */
static void table_saved(FILE *f, const char *path, const BenchMachine *mc, const BenchResult *r)
{
    fprintf(f, "machine saved to %s: %.1f GB/s read over %.1f MB (%s), %.1f GFLOP/s peak;\n"
               "the memory view's roofline draws it (docs/performance.md section 8)\n",
            path, r->read_gbs, (double)r->sweep_bytes / 1e6, r->spec.name, mc->peak_gflops);
    /* a buffer the caches hold reads far faster than a model's weights stream */
    if (r->sweep_bytes < (4u << 20))
        fprintf(f, "(a %.0f kB sweep stays in the caches: --shape d288-T256 measures the slope of\n"
                   "weights that do not fit)\n", (double)r->sweep_bytes / 1e3);
}

/* The exit status once the report is out: 1 when the file could not be written. */
static int saved_status(const char *path, bool saved, const char *err)
{
    if (!path || saved) return 0;
    char msg[700];
    snprintf(msg, sizeof msg, "--save-machine: %s", err);
    cli_put_error(msg);
    return 1;
}

/* A JSON string (NULL: null); the path is the user's, so escape it. */
static void json_text(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* ---- the command --------------------------------------------------------- */

static int bench_pinned(const BenchOptions *op, const BenchCpu *pin, double start);

/* --save-machine: the file it writes, checked before anything is measured
 * (a bad path is bad input: exit 2, not a lost 1.5-minute run). Returns 0
 * with path set, or the exit status after the one-line message. */
static int machine_target(const BenchArgs *b, char *path, size_t cap)
{
    char err[600], msg[800];
    bool from_env = false;
    int got = 1;
    if (b->machine_path) got = snprintf(path, cap, "%s", b->machine_path) < (int)cap ? 1 : -1;
    else got = machine_file_path(path, cap, &from_env);
    if (got == 0)
        return cli_bad_input(CMD_BENCH, from_env ? "--save-machine: " MACHINE_FILE_ENV " is set and empty "
                                                   "(no machine file); give --save-machine=FILE"
                                                 : "--save-machine: neither XDG_CONFIG_HOME nor HOME is set; "
                                                   "give --save-machine=FILE");
    if (got < 0) return cli_bad_input(CMD_BENCH, "--save-machine: the path is too long");
    /* the default path's directory is made on demand; a path given is the user's to make */
    if (machine_file_check(path, !b->machine_path && !from_env, err, sizeof err)) {
        snprintf(msg, sizeof msg, "--save-machine%s%s: %s", b->machine_path ? "=" : "",
                 b->machine_path ? cli_clip(b->machine_path) : "", err);
        return cli_bad_input(CMD_BENCH, msg);
    }
    return 0;
}

int bench_cmd_run(const CliOptions *cli)
{
    char err[512], machine_path[4096] = "";
    const BenchOptions o = {
        .json = cli->bench.json,
        .runs = cli->bench.runs,
        .recompute_runs = cli->bench.recompute_runs,
        .shapes = cli->bench.shapes ? cli->bench.shapes : (1u << N_SHAPES) - 1,
        .ui = !cli->bench.no_ui,
        .cpu = cli->bench.cpu,
        .machine_path = cli->bench.save_machine ? machine_path : NULL,
    };
    if (cli->bench.save_machine) {
        const int bad = machine_target(&cli->bench, machine_path, sizeof machine_path);
        if (bad) return bad;
    }
    const double start = bench_now();
    BenchCpu pin;   /* every measurement on one CPU (sim/bench.h) */
    if (bench_pin(&pin, o.cpu, err, sizeof err)) {
        char msg[600];
        snprintf(msg, sizeof msg, "--cpu %d: %s", o.cpu, err);
        return cli_bad_input(CMD_BENCH, msg);
    }
    const int rc = bench_pinned(&o, &pin, start);
    bench_unpin(&pin);
    return rc;
}

/* The measurements and the report, on the CPU bench_pin chose. */
static int bench_pinned(const BenchOptions *op, const BenchCpu *pin, double start)
{
    const BenchOptions o = *op;
    char err[512];
    BenchSpec specs[N_SHAPES];
    const int n_specs = bench_default_specs(specs, N_SHAPES, tokenizer_vocab(), o.runs, o.recompute_runs);
    BenchResult res[N_SHAPES];
    int n_res = 0;
    const int token = tokenizer_id(BENCH_PROMPT_CHAR);
    FILE *out = stdout;

    if (!o.json) table_header(out, &o);
    BenchMachine mc;
    if (bench_machine(&mc, err, sizeof err)) {
        fprintf(stderr, "kvsim: %s\n", err);
        return 1;
    }
    if (!o.json) {
        table_machine(out, &mc);
        table_cpu(out, pin);
        table_columns(out);
    }
    for (int i = 0; i < n_specs; i++) {
        if (!(o.shapes & (1u << i))) continue;
        if (bench_measure(&specs[i], token, &res[n_res], err, sizeof err)) {
            fflush(out);
            fprintf(stderr, "kvsim: %s\n", err);
            return 1;
        }
        if (!o.json) table_shape(out, &res[n_res], &mc);
        n_res++;
    }
    UiTime ui[N_UI_SIZES];
    if (o.ui && time_ui(ui, err, sizeof err)) {
        fflush(out);
        fprintf(stderr, "kvsim: %s\n", err);
        return 1;
    }
    const double total = bench_now() - start;
    /* the top-level read bandwidth: the sweep of the largest shape measured */
    int big = -1;
    for (int i = 0; i < n_res; i++)
        if (big < 0 || res[i].sweep_bytes > res[big].sweep_bytes) big = i;
    char save_err[600] = "";
    const bool saved = o.machine_path && big >= 0 &&
                       save_machine(o.machine_path, &mc, pin, &res[big], save_err, sizeof save_err) == 0;

    if (!o.json) {
        if (o.ui) table_ui(out, ui);
        fprintf(out, "\ntotal %.1f s\n", total);
        if (saved) table_saved(out, o.machine_path, &mc, &res[big]);
        return saved_status(o.machine_path, saved, save_err);
    }
    const bool counters = n_res == 0 || res[0].cache.macs > 0;
    fprintf(out, "{\n  \"benchmark\": \"kvsim bench\", \"threads\": 1, \"compiler\": \"");
    for (const char *p = compiler_name(); *p; p++)
        if (*p != '"' && *p != '\\') fputc(*p, out);
    fprintf(out, "\", \"counters\": %s, \"runs\": %d, \"recompute_runs\": %d,\n",
            counters ? "true" : "false", o.runs, o.recompute_runs);
    fprintf(out, "  \"kernel_variant\": \"%s\", \"peak_gflops\": ", mc.variant);
    json_num(out, mc.peak_gflops);
    fputs(", \"read_bandwidth_gbs\": ", out);
    json_num(out, big >= 0 ? res[big].read_gbs : NAN);
    fprintf(out, ", \"read_bandwidth_sweep_bytes\": %llu,\n  \"llc_bytes\": %llu, "
                 "\"dram_sweep_bytes\": %llu, \"read_bandwidth_dram_gbs\": ",
            big >= 0 ? (unsigned long long)res[big].sweep_bytes : 0ull, (unsigned long long)mc.llc_bytes,
            (unsigned long long)mc.dram_bytes);
    json_num(out, mc.dram_gbs);
    fputs(", \"load_average_1m\": ", out);
    json_num(out, mc.load_1m >= 0 ? mc.load_1m : NAN);
    fprintf(out, ", \"cpus\": %d", mc.n_cpus);
    json_cpu(out, pin);
    fputs(",\n  \"shapes\": [\n", out);
    for (int i = 0; i < n_res; i++) json_shape(out, &res[i], &mc, i + 1 == n_res);
    fputs("  ],\n", out);
    if (o.ui) json_ui(out, ui);
    fputs("  \"machine_file\": ", out);   /* where --save-machine wrote; null: nowhere */
    json_text(out, saved ? o.machine_path : NULL);
    fputs(", \"seconds_total\": ", out);
    json_num(out, total);
    fputs("\n}\n", out);
    return saved_status(o.machine_path, saved, save_err);
}
