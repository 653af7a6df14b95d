/* test_screens: golden screens. Each scenario drives an App with keys,
 * renders it into a canvas of 80x24, 120x40 or 200x60 and compares the text with
 * tests/golden/<name>.txt (run from the repository root). The numbers on
 * the screens are also checked against the closed forms, so a golden file
 * cannot freeze a wrong count.
 *
 * KVSIM_UPDATE_GOLDEN=1 rewrites the files instead (look at them before
 * committing: `git diff tests/golden`). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/formulas.h"
#include "ui/app.h"
#include "ui/cmd/frames.h"
#include "ui/layout.h"
#include "ui/panels/panels.h"
#include "ui/lesson_play.h"
#include "ui/term.h"

#include <dirent.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *args;     /* extra command-line options, space separated */
    const char *keys;     /* --keys syntax */
} Scenario;

static const Scenario scenarios[] = {
    {"prefill", "", "N"},
    {"decode3", "", "NNNN"},
    {"recompute3", "--mode recompute", "NNNN"},
    {"compare", "--mode compare", "NNN"},
    {"train", "--mode train", "N"},
    {"help", "", "N?"},
    {"zh", "--lang zh", "NN"},
    {"midstep", "", "Nnnnn"},
    /* the memory view: a batch sharing a block pool, after a few steps */
    {"memory", "--mode memory --block-size 4 --prompt ab --prompt cde --prompt f", "NNNN"},
    /* without --block-size: how to turn paging on, the contiguous numbers */
    {"memory-off", "--mode memory", "NN"},
    /* Chinese, mid-step (marks "…", nothing taken yet this step), cycled to with m */
    {"memory-zh", "--lang zh --block-size 2 --prompt ab --prompt cde", "mmmmNNnnn"},
    /* a sliding window in a decode step: evicted keys in the mask, the
     * attention panel and the ring agree */
    {"window", "--window 4", "NNNNNN"},
    /* digits and spaces as tokens, quoted beside numbers; mid-step after the
     * softmax of layer 0 (the live row changed) */
    {"digits", "--prompt 1+1=2", "Nnnnnnn"},
    /* the vector inspector (v) after layer 0's softmax of decode step 1,
     * and the all-heads overview (A) with Next token, en and zh */
    {"vectors", "", "Nnnnnnnv"},
    {"vectors-zh", "--lang zh", "NNnnnnnnnv"},
    {"heads", "", "NNNA"},
    {"heads-zh", "--lang zh", "NNA"},
    /* presenter mode: mask, cache and the cost in big digits; Chinese; q asks */
    {"present", "--present", "NNNN"},
    {"present-zh", "--present --lang zh", "NN"},
    {"present-quit", "--present", "Nq"},
};

/* The model of the last app built, kept for that app's run (its weights
 * and alphabet); the previous app is always freed before the next build. */
static ModelFile screen_model;

/* As the binary builds it: the UI loads the model of cli_use_model (no
 * options: the shipped trained model); a lesson loads none (its slides
 * set the model up), as `kvsim lesson` does. */
static int build_app_for(App *a, const char *args, bool lesson, char *err)
{
    char buf[512];
    char *argv[48];
    int argc = 0;
    argv[argc++] = "kvsim";
    snprintf(buf, sizeof buf, "%s", args);
    for (char *tok = strtok(buf, " "); tok && argc < 47; tok = strtok(NULL, " ")) argv[argc++] = tok;
    argv[argc] = NULL;
    CliOptions o;
    cli_model_free(&screen_model);   /* the full alphabet again: cli_parse sets V from it */
    if (cli_parse(argc, argv, &o, err, 256)) return -1;
    if (!lesson && cli_use_model(&o, &screen_model, err, 256)) return -1;
    int ids[64];
    int L = cli_prepare(&o, ids, 64, err, 256);
    if (L < 0) return -1;
    return app_init(a, &o, ids, L, err, 256);
}

static int build_app(App *a, const char *args, char *err) { return build_app_for(a, args, false, err); }
static int build_lesson_app(App *a, const char *args, char *err) { return build_app_for(a, args, true, err); }

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

/* Render one scenario at w x h; returns the dump (caller frees). */
static char *render(const Scenario *sc, int w, int h, App *a)
{
    char err[256];
    if (build_app(a, sc->args, err)) fail_msg("%s: %s", sc->name, err);
    int keys[64];
    int n = frames_parse_keys(sc->keys, keys, 64, err, sizeof err);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) app_handle_key(a, keys[i]);
    Canvas c;
    assert_int_equal(canvas_init(&c, w, h), 0);
    app_render(a, &c);
    char *text = canvas_dump(&c);
    canvas_free(&c);
    return text;
}

static void compare_golden(const char *name, int w, int h, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "tests/golden/%s-%dx%d.txt", name, w, h);
    if (getenv("KVSIM_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return;
    }
    char *want = read_file(path);
    if (!want) fail_msg("missing %s (make it with KVSIM_UPDATE_GOLDEN=1)", path);
    if (strcmp(want, text) != 0) {
        /* show the first differing line */
        const char *p = want, *q = text;
        int line = 1;
        while (*p && *p == *q) { if (*p == '\n') line++; p++; q++; }
        print_message("%s differs at line %d\n--- want\n%s\n--- got\n%s\n", path, line, want, text);
        free(want);
        fail_msg("%s: screen differs from the golden file", path);
    }
    free(want);
}

/* The line of the screen where a box's text starts with `prefix` (at the
 * left edge or after a box's left border, as panels side by side have it),
 * from there to the end of the line; "" when none. */
static void screen_line(const char *text, const char *prefix, char *out, size_t len)
{
    out[0] = '\0';
    const char *bar = "\u2502";
    const size_t bl = strlen(bar), pl = strlen(prefix);
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (!strncmp(p, prefix, pl)) {
            snprintf(out, len, "%.*s", (int)n, p);
            return;
        }
        for (const char *q = p; q + bl <= p + n; q++)
            if (!strncmp(q, bar, bl) && !strncmp(q + bl, prefix, pl)) {
                snprintf(out, len, "%.*s", (int)(p + n - q), q);
                return;
            }
        if (!end) break;
        p = end + 1;
    }
}

/* Each of want[] appears in line, as a whole word, in this order. */
static void expect_in_order(const char *line, const char *what, const char *const *want, int n)
{
    const char *p = line;
    for (int i = 0; i < n; i++) {
        const char *hit = NULL;
        for (const char *q = p; (q = strstr(q, want[i])) != NULL; q++) {
            const char *after = q + strlen(want[i]);
            const bool left_ok = q == line || q[-1] == ' ' || (unsigned char)q[-1] >= 0x80;
            const bool right_ok = *after == ' ' || *after == '\0' || (unsigned char)*after >= 0x80;
            if (left_ok && right_ok) {
                hit = q;
                break;
            }
        }
        if (!hit) fail_msg("%s: '%s' not found (in order) in line\n%s", what, want[i], line);
        p = hit + strlen(want[i]);
    }
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* The memory view's numbers against the closed forms (spec §6.4, §6.5):
 * per sequence t, ⌈t/B⌉ blocks, reserved = blocks·B·bytes per position,
 * used, waste, the contiguous reservation and its waste; the totals; each
 * mode's bytes, FLOPs and intensity; the prefill and decode intensities. */
static void check_memory_numbers(const App *a, const char *text)
{
    const Engine *ec = &a->run.eng[MODE_CACHE];
    if (ec->pos == 0 || !engine_at_step_end(ec)) return;
    const KvConfig *cfg = &a->cfg;
    const int k = ec->step, B = cfg->block_size;
    const uint64_t bpp = 2u * (uint64_t)cfg->n_layers * (uint64_t)config_kv_dim(cfg) * 4u;
    const uint64_t contig = (uint64_t)cfg->max_seq * bpp;
    uint64_t tot_res = 0, tot_used = 0, tot_blocks = 0;
    char line[1024], f[8][32];
    for (int s = 0; s < a->n_seqs; s++) {
        const Engine *e = app_seq_engine(a, s);
        const uint64_t t = (uint64_t)formulas_len(MODE_CACHE, e->L, k);
        const uint64_t used = formulas_kv_bytes(cfg, MODE_CACHE, e->L, k);
        assert_int_equal(engine_kv_bytes(e), used);
        char prefix[4] = {(char)('A' + s), ' ', 0};
        screen_line(text, prefix, line, sizeof line);
        if (!line[0]) fail_msg("no table row for sequence %c", 'A' + s);
        snprintf(f[0], 32, "%llu", (unsigned long long)t);
        if (B > 0) {
            const uint64_t blocks = ceil_div(t, (uint64_t)B), reserved = blocks * (uint64_t)B * bpp;
            assert_int_equal(blocks, formulas_kv_blocks(cfg, MODE_CACHE, e->L, k));
            assert_int_equal(reserved, formulas_kv_reserved_bytes(cfg, MODE_CACHE, e->L, k));
            assert_int_equal(engine_kv_blocks(e), blocks);
            assert_int_equal(engine_kv_reserved_bytes(e), reserved);
            snprintf(f[1], 32, "%llu", (unsigned long long)blocks);
            fmt_count(reserved, f[2]);
            fmt_count(used, f[3]);
            fmt_count(reserved - used, f[4]);
            fmt_count(contig, f[5]);
            fmt_count(contig - used, f[6]);
            /* t, blocks, (table), reserved, used, waste, contiguous, its waste */
            const char *want[] = {f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
            expect_in_order(line, "pool row", want, 7);
            tot_res += reserved;
            tot_blocks += blocks;
        } else {
            fmt_count(used, f[3]);
            fmt_count(contig, f[5]);
            fmt_count(contig - used, f[6]);
            const char *want[] = {f[0], f[3], f[5], f[6]};
            expect_in_order(line, "contiguous row", want, 4);
        }
        tot_used += used;
    }
    if (B > 0) {
        screen_line(text, "\u03a3", line, sizeof line);
        snprintf(f[0], 32, "%llu", (unsigned long long)tot_blocks);
        fmt_count(tot_res, f[1]);
        fmt_count(tot_used, f[2]);
        fmt_count(tot_res - tot_used, f[3]);
        fmt_count(contig * (uint64_t)a->n_seqs, f[4]);
        fmt_count(contig * (uint64_t)a->n_seqs - tot_used, f[5]);
        const char *want[] = {f[0], f[1], f[2], f[3], f[4], f[5]};
        expect_in_order(line, "totals row", want, 6);
        char used_of[64];
        snprintf(used_of, sizeof used_of, "%llu of %d blocks", (unsigned long long)tot_blocks,
                 paged_blocks_for(B, a->n_seqs, cfg->max_seq));
        if (!a->opt.lang_zh && !strstr(text, used_of)) fail_msg("'%s' not on screen", used_of);
    }
    /* traffic of this step, both modes: bytes, FLOPs = 2·MACs, FLOP per byte read */
    const RunMode modes[2] = {MODE_CACHE, MODE_RECOMPUTE};
    const char *names[2] = {a->opt.lang_zh ? "缓存" : "cache", a->opt.lang_zh ? "重算" : "recompute"};
    for (int m = 0; m < 2; m++) {
        Traffic t;
        OpCounts oc;
        formulas_traffic(cfg, modes[m], a->L, k, &t);
        formulas_step(cfg, modes[m], a->L, k, &oc);
        const uint64_t macs = counts_total(&oc);
        assert_true(traffic_equal(&t, &a->run.eng[modes[m]].traffic));
        fmt_count(t.weight_bytes, f[0]);
        fmt_count(t.kv_read_bytes, f[1]);
        fmt_count(t.kv_write_bytes, f[2]);
        fmt_count(2 * macs, f[3]);
        snprintf(f[4], 32, "%.3g", 2.0 * (double)macs / (double)(t.weight_bytes + t.kv_read_bytes));
        screen_line(text, names[m], line, sizeof line);
        const char *want[] = {f[0], f[1], f[2], f[3], f[4]};
        expect_in_order(line, names[m], want, 5);
    }
    /* prefill (step 0) and this decode step, as the bars label them */
    for (int j = 0; j < 2; j++) {
        const int step = j == 0 ? 0 : k;
        if (step == 0 && j == 1) break;
        Traffic t;
        OpCounts oc;
        formulas_traffic(cfg, MODE_CACHE, a->L, step, &t);
        formulas_step(cfg, MODE_CACHE, a->L, step, &oc);
        snprintf(f[0], 32, "%.3g", 2.0 * (double)counts_total(&oc) / (double)(t.weight_bytes + t.kv_read_bytes));
        char label[32];
        snprintf(label, sizeof label, a->opt.lang_zh ? (j == 0 ? "预填充 %d" : "解码 %d") : (j == 0 ? "prefill s%d" : "decode s%d"),
                 step);
        screen_line(text, label, line, sizeof line);
        const char *bound = a->opt.lang_zh ? "访存密集型" : "memory-bound";
        const char *want[] = {f[0], bound};
        expect_in_order(line, label, want, 2);
    }
    if (!strstr(text, "295")) fail_msg("the H100 balance point (295 FLOP/B) is not on screen");
}

/* Every "N B" byte figure next to "KV" on screen equals the measured and
 * closed-form cache size of the shown step. */
static void check_numbers(const App *a, const char *text)
{
    const Engine *ec = &a->run.eng[MODE_CACHE];
    if (a->view == VIEW_MEMORY) {
        check_memory_numbers(a, text);
        return;
    }
    if (ec->pos == 0 || !engine_at_step_end(ec)) return;
    const int k = ec->step;
    char want[32];
    fmt_count(formulas_kv_bytes(&a->cfg, MODE_CACHE, a->L, k), want);
    assert_int_equal(engine_kv_bytes(ec), formulas_kv_bytes(&a->cfg, MODE_CACHE, a->L, k));
    if (a->view == VIEW_CACHE || a->view == VIEW_COMPARE) {
        if (!strstr(text, want)) fail_msg("cache size %s B not on screen", want);
    }
    /* this step's total MACs of both modes appear (exact or short form) */
    OpCounts pc, pr;
    formulas_step(&a->cfg, MODE_CACHE, a->L, k, &pc);
    formulas_step(&a->cfg, MODE_RECOMPUTE, a->L, k, &pr);
    char l1[32], s1[32], l2[32], s2[32];
    fmt_count(counts_total(&pc), l1);
    fmt_short(counts_total(&pc), s1);
    fmt_count(counts_total(&pr), l2);
    fmt_short(counts_total(&pr), s2);
    if (a->view != VIEW_TRAIN) {
        if (!strstr(text, l1) && !strstr(text, s1)) fail_msg("cache step total %s not on screen", l1);
        if (!strstr(text, l2) && !strstr(text, s2)) fail_msg("recompute step total %s not on screen", l2);
    }
}

static void test_golden_screens(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {120, 40}, {200, 60}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
            App a;
            char *text = render(&scenarios[i], sizes[s][0], sizes[s][1], &a);
            compare_golden(scenarios[i].name, sizes[s][0], sizes[s][1], text);
            if (!a.help) check_numbers(&a, text);
            free(text);
            app_free(&a);
        }
}

/* Serving techniques of #13 (spec §6.8, §6.10), at 120x40 in both
 * languages: the memory view with shared prefix blocks (drawn once, with
 * their reference count, both tables pointing at them; under a window
 * with holes where a sequence keeps none of them), and the KV panel
 * with RoPE (a key before and after turning) and with the offset bug (in
 * red: the logits differ from recompute). */
static void test_serving_share(void **state)
{
    (void)state;
    static const Scenario sc[] = {
        {"prefix", "--mode memory --block-size 4 --prefix-cache --prompt thecatsaton "
                   "--prompt thecatsatinthesun --prompt thecatran", "NN"},
        {"prefix-zh", "--lang zh --mode memory --block-size 2 --prefix-cache --prompt 我是学生 --prompt 我是老师",
         "NNN"},
        /* under a window (sim/paged.h): B continues A (holes, then A's block); C's
         * prefix left A's window (no sharing) */
        {"prefix-window", "--mode memory --block-size 4 --window 8 --prefix-cache --prompt thecatsaton, "
                          "--prompt thecatsaton,thedog --prompt thecatran", "NN"},
        {"prefix-window-zh", "--lang zh --mode memory --block-size 2 --window 5 --prefix-cache --prompt 我是一个学生 "
                             "--prompt 我是一个学生。我是 --prompt 我是一个老师", "NN"},
        {"rope", "--d-model 8 --rope --prompt hello --gen 4", "NNnnn"},
        {"rope-zh", "--lang zh --d-model 8 --rope --prompt hello --gen 4", "NNnnn"},
        {"rope-bug", "--d-model 8 --rope --rope-offset-bug --prompt hello --gen 4", "NN"},
        {"rope-bug-zh", "--lang zh --d-model 8 --rope --rope-offset-bug --prompt hello --gen 4", "NN"},
    };
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        App a;
        char *text = render(&sc[i], 120, 40, &a);
        compare_golden(sc[i].name, 120, 40, text);
        if (i < 4) {
            assert_true(paged_blocks_shared(a.run.pool) > 0);
            /* said in the note, or (no room for it) marked in the grid by its reference count */
            if (!strstr(text, i % 2 == 0 ? "shared block" : "共享块") && (i < 2 || !strstr(text, "\u00b2")))
                fail_msg("%s: no shared blocks said", sc[i].name);
        }
        if (i == 2 || i == 3) {
            /* the rule's three cases, and the holes drawn in B's table */
            const int want[3] = {0, i == 2 ? 12 : 6, 0};
            for (int q = 0; q < 3; q++) assert_int_equal(run_seq(&a.run, q)->shared_rows, want[q]);
            int n;
            const int *tb = paged_seq_table(a.run.pool, 1, &n);
            assert_true(tb[0] == -1 && tb[1] == -1);
            char line[512];
            screen_line(text, "B ", line, sizeof line);
            if (!strstr(line, "\u00b7")) fail_msg("%s: B's holes not drawn: %s", sc[i].name, line);
        }
        if (i >= 4) {
            if (!strstr(text, "RoPE")) fail_msg("%s: no RoPE line", sc[i].name);
        }
        free(text);
        app_free(&a);
    }
}

/* Chunked prefill and speculative decoding (§6.7, §6.9, docs/serving.md)
 * at 120x40, English and Chinese: the second chunk's n×t block (cached
 * rectangle, own triangle), a verify step's rows with its accepted and
 * rejected drafts. The step's measured total, equal to the closed form of
 * its rows, is on screen. */
static void test_serving_screens(void **state)
{
    (void)state;
    static const Scenario sv[] = {
        {"chunk", "--chunk 4 --prompt thecatsatonthemat", "NN"},
        {"chunk-zh", "--lang zh --chunk 4 --prompt thecatsatonthemat", "NN"},
        /* step 6 drafts 2 tokens and accepts 1 (the seeded random model) */
        {"speculate", "--d-model 8 --speculate 4 --prompt sat.sat --gen 12", "NNNNNNN"},
        {"speculate-zh", "--lang zh --d-model 8 --speculate 4 --prompt sat.sat --gen 12", "NNNNNNN"},
    };
    for (size_t i = 0; i < sizeof sv / sizeof sv[0]; i++) {
        App a;
        char *text = render(&sv[i], 120, 40, &a);
        compare_golden(sv[i].name, 120, 40, text);
        const Engine *e = &a.run.eng[MODE_CACHE];
        const StepPlan *pl = engine_plan(e, e->step);
        assert_non_null(pl);
        OpCounts p;
        formulas_block(&a.cfg, pl->p0, pl->n, e->step < e->n_chunks - 1 ? 0 : 1 + pl->drafted, &p);
        assert_true(counts_equal(&p, &e->step_counts));
        char l1[32], s1[32];
        fmt_count(counts_total(&p), l1);
        fmt_short(counts_total(&p), s1);
        if (!strstr(text, l1) && !strstr(text, s1)) fail_msg("%s: step total %s not on screen", sv[i].name, l1);
        free(text);
        app_free(&a);
    }
}

/* Each of the three sequences' rows of the KV blocks table (its letter,
 * ..., its step cell, then its t) says want[s], and the t after it is
 * what the sequence's cache holds. */
static void step_cells(const App *a, const char *text, const char *name, const char *const want[3])
{
    for (int s = 0; s < 3; s++) {
        char start[16];
        snprintf(start, sizeof start, "\n\u2502%c \"", 'A' + s);
        const char *row = strstr(text, start), *cell = row ? strstr(row, want[s]) : NULL;
        const char *eol = row ? strchr(row + 1, '\n') : NULL;
        if (!cell || cell > eol) fail_msg("%s: sequence %d: no \"%s\" in its row", name, s, want[s]);
        assert_int_equal(strtol(cell + strlen(want[s]), NULL, 10), app_seq_engine(a, s)->cache.len);
    }
}

/* Prefix sharing with chunked prefill (spec §6.8 + §6.7) in the memory view
 * at 120x40, en and zh, after batch step 0: the first prompt's first chunk
 * is the only block a later prompt can share then (sim/run.c donor_held),
 * so block 0 has three holders and each later prompt runs its first chunk
 * from row 4; every sequence's step cell and t as the engines hold them. */
static void test_prefix_chunk_screens(void **state)
{
    (void)state;
    static const Scenario sp[] = {
        {"prefix-chunk", "--mode memory --prefix-cache --chunk 4 --block-size 4 --prompt thecatsaton, "
                         "--prompt thecatsaton,thedog --prompt thecatran --gen 3", "N"},
        {"prefix-chunk-zh", "--lang zh --mode memory --prefix-cache --chunk 4 --block-size 4 --prompt thecatsaton, "
                            "--prompt thecatsaton,thedog --prompt thecatran --gen 3", "N"},
    };
    static const char *const want[][3] = {{"chunk 1/3", "chunk 1/4", "chunk 1/2"}, {"分块 1/3", "分块 1/4", "分块 1/2"}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        App a;
        char *text = render(&sp[i], 120, 40, &a);
        compare_golden(sp[i].name, 120, 40, text);
        assert_int_equal(paged_block_refs(a.run.pool, 0), 3);
        for (int s = 0; s < 3; s++) assert_int_equal(app_seq_engine(&a, s)->shared_rows, s == 0 ? 0 : 4);
        step_cells(&a, text, sp[i].name, want[i]);
        free(text);
        app_free(&a);
    }
}

/* Tab in a batch's KV cache view (ui/app.h app_shown_engine) at 120x40, en
 * and zh: after batch step 1 the per-sequence panels show sequence B, its
 * own prompt on the Tokens line, its mask of t rows and its attention row;
 * the panels that compare modes say they stay on A. */
static void test_batch_tab_screens(void **state)
{
    (void)state;
    static const Scenario st[] = {
        {"batch-tab", "--prompt thecat --prompt 猫在床上睡觉。 --prompt adog --gen 4", "NN<Tab>"},
        {"batch-tab-zh", "--lang zh --prompt thecat --prompt 猫在床上睡觉。 --prompt adog --gen 4", "NN<Tab>"},
    };
    static const char *const want[][3] = {
        {"B: DECODE step 1", "Operations (MACs) \u00b7 A", "\u732b\u5728\u5e8a"},
        {"B\uff1a", "\u00b7 \u5e8f\u5217 A", "\u732b\u5728\u5e8a"},
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        App a;
        char *text = render(&st[i], 120, 40, &a);
        compare_golden(st[i].name, 120, 40, text);
        assert_int_equal(app_shown_seq(&a), 1);
        for (int k = 0; k < 3; k++)
            if (!strstr(text, want[i][k])) fail_msg("%s: no \"%s\"", st[i].name, want[i][k]);
        /* B's query: its prompt of 7, one token decoded, so position 7 */
        assert_int_equal(app_shown_engine(&a)->t, 8);
        free(text);
        app_free(&a);
    }
}

/* A batch with chunked prefill and one with speculation (sim/run.h, the
 * step lockstep) in the memory view at 120x40, en and zh: each sequence's
 * own step in the table (a sequence still prefilling in chunks next to one
 * decoding; a verify step's accepted drafts next to a finished sequence),
 * and its t, as the engines hold them. Then N walks on past sequence 0's
 * end to the longest sequence's last step. */
static void test_batch_screens(void **state)
{
    (void)state;
    static const Scenario sb[] = {
        {"batch-chunk", "--mode memory --chunk 3 --block-size 4 --prompt thecatsat --prompt adog "
                        "--prompt helloworld,hi --gen 4", "NNN"},
        {"batch-chunk-zh", "--lang zh --mode memory --chunk 3 --block-size 4 --prompt thecatsat --prompt adog "
                           "--prompt helloworld,hi --gen 4", "NNN"},
        {"batch-speculate", "--mode memory --speculate 4 --block-size 4 --prompt thecatsat.thecat "
                            "--prompt 猫在床上睡觉。猫在 --prompt hello, --gen 10", "NNN"},
        {"batch-speculate-zh", "--lang zh --mode memory --speculate 4 --block-size 4 --prompt thecatsat.thecat "
                               "--prompt 猫在床上睡觉。猫在 --prompt hello, --gen 10", "NNN"},
    };
    /* what each sequence's step cell says at batch step 2 */
    static const char *const want[][3] = {
        {"chunk 3/3", "decode 2", "chunk 3/5"},
        {"分块 3/3", "解码 2", "分块 3/5"},
        {"verify 2: 0/4", "verify 2: 3/3", "decode 2"},
        {"验证 2：0/4", "验证 2：3/3", "解码 2"},
    };
    for (size_t i = 0; i < sizeof sb / sizeof sb[0]; i++) {
        App a;
        char *text = render(&sb[i], 120, 40, &a);
        compare_golden(sb[i].name, 120, 40, text);
        assert_true(a.run.batch_pos == 3L * app_engine(&a)->ops_per_step);
        step_cells(&a, text, sb[i].name, want[i]);
        /* N on to the longest sequence's end */
        int n = 0;
        while (n < 40 && run_cursor(&a.run, MODE_CACHE) < run_batch_total(&a.run)) {
            app_handle_key(&a, 'N');
            n++;
        }
        assert_true(run_cursor(&a.run, MODE_CACHE) == run_batch_total(&a.run));
        assert_true(run_batch_total(&a.run) > engine_total_ops(app_engine(&a)));
        /* past sequence 0's end the title says the batch's step */
        Canvas cv;
        assert_int_equal(canvas_init(&cv, 120, 40), 0);
        app_render(&a, &cv);
        char *end = canvas_dump(&cv);
        char title[64];
        const int last = (int)(run_batch_total(&a.run) / app_engine(&a)->ops_per_step) - 1;
        snprintf(title, sizeof title, i % 2 ? "批 第 %d 步（共 0-%d）" : "BATCH step %d (of 0-%d)", last, last);
        if (!strstr(end, title)) fail_msg("%s: no \"%s\" at the batch's end", sb[i].name, title);
        free(end);
        canvas_free(&cv);
        /* Space at the end plays again from the top, through the whole batch */
        app_handle_key(&a, ' ');
        assert_true(a.playing);
        assert_true(run_cursor(&a.run, MODE_CACHE) == 0);
        for (n = 0; n < 40 && a.playing; n++) app_tick(&a);
        assert_false(a.playing);
        assert_true(run_cursor(&a.run, MODE_CACHE) == run_batch_total(&a.run));
        for (int s = 0; s < 3; s++) assert_true(app_seq_engine(&a, s)->pos == engine_total_ops(app_seq_engine(&a, s)));
        free(text);
        app_free(&a);
    }
}

static void test_too_small(void **state)
{
    (void)state;
    const Scenario sc = {"small", "", "N"};
    App a;
    char *text = render(&sc, 60, 20, &a);
    compare_golden("too-small", 60, 20, text);
    assert_non_null(strstr(text, "Terminal too small"));
    assert_non_null(strstr(text, "80x24"));
    assert_non_null(strstr(text, "60x20"));
    free(text);
    app_free(&a);
}

/* The memory view's totals row keeps its whole label at 80x24 once the
 * block table takes the width (it was cut to "Σ a", "Σ 合"), en and zh,
 * after every token step. */
static void test_memory_total_label(void **state)
{
    (void)state;
    static const char *const args[] = {"--mode memory --block-size 2", "--mode memory --block-size 1 --lang zh",
                                       "--mode memory --block-size 1 --prompt abc --prompt de"};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
        const char *want = strstr(args[i], "zh") ? "\u2502\u03a3 \u5408\u8ba1 " : "\u2502\u03a3 all ";
        char keys[16] = "";
        for (int step = 0; step < 9; step++) {
            const Scenario sc = {"total", args[i], keys};
            App a;
            char *text = render(&sc, 80, 24, &a);
            if (!strstr(text, want)) fail_msg("%s after %d steps: no '%s' at 80x24:\n%s", args[i], step, want, text);
            free(text);
            app_free(&a);
            strcat(keys, "N");
        }
    }
}

/* Titles required by the UI spec, in both languages, at both sizes. */
static void test_titles(void **state)
{
    (void)state;
    const Scenario en = {"t", "", "N"}, zh = {"t", "--lang zh", "N"};
    const char *want_en[] = {"Causal mask", "Attention", "KV cache", "Operations", "Tokens", "Pipeline"};
    const char *want_zh[] = {"因果掩码", "注意力", "KV 缓存", "运算", "词元", "流水线"};
    for (int big = 0; big < 2; big++) {
        App a;
        char *t = render(&en, big ? 200 : 80, big ? 60 : 24, &a);
        for (int i = 0; i < 6; i++)
            if (!strstr(t, want_en[i])) fail_msg("title '%s' missing", want_en[i]);
        free(t);
        app_free(&a);
        t = render(&zh, big ? 200 : 80, big ? 60 : 24, &a);
        for (int i = 0; i < 6; i++)
            if (!strstr(t, want_zh[i])) fail_msg("title '%s' missing", want_zh[i]);
        free(t);
        app_free(&a);
    }
}

/* The roofline (memory view, >= 140 columns and tall): golden screens in
 * both languages; the sentence's bytes and MACs are the decode step's
 * counters; the reference machine unless KVSIM_MACHINE names one; none
 * at the sizes of the other golden screens. */
static void test_roofline(void **state)
{
    (void)state;
    unsetenv("KVSIM_MACHINE");
    const Scenario en = {"roofline", "--mode memory --d-model 64 --heads 2 --d-ff 256", "NNNN"};
    const Scenario zh = {"roofline-zh", "--mode memory --lang zh", "NNNNN"};
    App a;
    char *t = render(&en, 160, 50, &a);
    compare_golden(en.name, 160, 50, t);
    assert_non_null(strstr(t, "Roofline"));
    assert_non_null(strstr(t, "reference 2-vCPU Zen 4: 65 GB/s read, 100 GFLOP/s peak"));
    const Engine *e = app_engine_of(&a, MODE_CACHE);
    const int k = (int)(e->pos / e->ops_per_step) - 1;
    const Traffic *tr = engine_step_traffic(e, k);
    assert_non_null(tr);
    char want[160], mc[32];
    fmt_short(counts_total(engine_step_counts(e, k)), mc);
    snprintf(want, sizeof want, "This decode step (s%d) needs %.1f kB and %s MACs", k,
             (double)traffic_read_bytes(tr) / 1e3, mc);
    if (!strstr(t, want)) fail_msg("'%s' not on the roofline screen", want);
    /* the bound: bytes / 65 GB/s */
    snprintf(want, sizeof want, "cannot take less than %.2f \u00b5s", (double)traffic_read_bytes(tr) / 65e9 * 1e6);
    if (!strstr(t, want)) fail_msg("'%s' not on the roofline screen", want);
    free(t);
    app_free(&a);

    t = render(&zh, 160, 50, &a);
    compare_golden(zh.name, 160, 50, t);
    assert_non_null(strstr(t, "屋顶线"));
    assert_non_null(strstr(t, "GB/s 它不可"));
    free(t);
    app_free(&a);

    /* a measured machine, and a malformed one */
    setenv("KVSIM_MACHINE", "40.5,20", 1);
    t = render(&en, 160, 50, &a);
    assert_non_null(strstr(t, "measured (KVSIM_MACHINE): 40.5 GB/s read, 20.0 GFLOP/s peak"));
    free(t);
    app_free(&a);
    setenv("KVSIM_MACHINE", "fast", 1);
    t = render(&en, 160, 50, &a);
    assert_non_null(strstr(t, "KVSIM_MACHINE is not GBS,GFLOPS: the reference, 65 GB/s"));
    free(t);
    app_free(&a);
    unsetenv("KVSIM_MACHINE");

    /* the other golden sizes have no room for it */
    const int small[][2] = {{80, 24}, {120, 40}};
    for (int i = 0; i < 2; i++) {
        t = render(&en, small[i][0], small[i][1], &a);
        assert_null(strstr(t, "Roofline"));
        free(t);
        app_free(&a);
    }
}

/* Every size from the minimum to large, every view, every operation:
 * rendering never fails and keeps within the canvas (ASan watches). */
static void test_all_sizes_and_ops(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {81, 25}, {99, 31}, {132, 43}, {200, 60}, {300, 90}, {79, 23}, {20, 8}};
    char err[256];
    App a;
    assert_int_equal(build_app(&a, "--prompt 我是一个学生 --gen 5", err), 0);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        Canvas c;
        assert_int_equal(canvas_init(&c, sizes[s][0], sizes[s][1]), 0);
        for (int v = 0; v < VIEW_COUNT; v++) {
            a.view = (View)v;
            app_handle_key(&a, 'g');
            do {
                app_render(&a, &c);
            } while (app_handle_key(&a, 'n') && a.run.eng[MODE_CACHE].pos < engine_total_ops(&a.run.eng[MODE_CACHE]) &&
                     app_engine(&a)->pos < engine_total_ops(app_engine(&a)));
        }
        canvas_free(&c);
    }
    app_free(&a);
    /* the memory view of a batch sharing a pool under a window, and of 16
     * sequences in blocks of one position */
    static const char *const batches[] = {
        "--mode memory --block-size 2 --window 3 --prompt 我是 --prompt abc --prompt d --gen 5",
        "--mode memory --block-size 1 --gen 3 --prompt a --prompt b --prompt c --prompt d --prompt e --prompt f "
        "--prompt g --prompt h --prompt i --prompt j --prompt k --prompt l --prompt m --prompt n --prompt o --prompt p",
    };
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        assert_int_equal(build_app(&a, batches[b], err), 0);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            Canvas c;
            assert_int_equal(canvas_init(&c, sizes[s][0], sizes[s][1]), 0);
            for (int ascii = 0; ascii < 2; ascii++) {
                a.opt.ascii = ascii;
                app_handle_key(&a, 'g');
                do {
                    app_render(&a, &c);
                } while (app_handle_key(&a, 'n') && a.run.eng[MODE_CACHE].pos < engine_total_ops(&a.run.eng[MODE_CACHE]));
                app_render(&a, &c);
            }
            canvas_free(&c);
        }
        app_free(&a);
    }
}

/* The panel list: every lesson point highlights exactly one panel, and
 * every panel's rect is a Rect of the Layout. */
static void test_panel_list(void **state)
{
    (void)state;
    for (int p = POINT_NONE + 1; p < POINT_COUNT; p++) {
        int n = 0;
        for (int i = 0; i < panel_count; i++) n += panel_list[i].point == p;
        assert_int_equal(n, 1);
    }
    for (int i = 0; i < panel_count; i++) {
        assert_non_null(panel_list[i].draw);
        assert_true(panel_list[i].rect % sizeof(int) == 0 && panel_list[i].rect + sizeof(Rect) <= sizeof(Layout));
    }
}

/* Fails with the first non-ASCII byte of the canvas's dump. */
static void assert_ascii_only(const Canvas *c, const char *what, int view, long pos)
{
    char *text = canvas_dump(c);
    assert_non_null(text);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p >= 0x80) {
            size_t at = (size_t)((const char *)p - text);
            fail_msg("%s, view %d, op %ld: byte 0x%02x at %zu: ...%.40s", what, view, pos, *p, at,
                     text + (at > 20 ? at - 20 : 0));
        }
    free(text);
}

/* --ascii draws ASCII only: every view, every operation, both languages
 * (Chinese falls back to English and says so), a Chinese prompt, the help
 * and the prompt editor, paged batches, and a lesson in each language. */
static void test_ascii_only(void **state)
{
    (void)state;
    static const char *const runs[] = {
        "--ascii --prompt hello --gen 4",
        "--ascii --lang zh --prompt hello --gen 4",
        "--ascii --prompt 我是一个学生 --gen 3 --kv-heads 1 --window 3",
        "--ascii --lang zh --mode memory --block-size 2 --window 3 --prompt 我是 --prompt abc --gen 3",
    };
    static const int sizes[][2] = {{80, 24}, {132, 43}, {200, 60}};
    char err[256];
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        App a;
        assert_int_equal(build_app(&a, runs[r], err), 0);
        if (a.opt.lang_zh) assert_non_null(strstr(a.message, "Chinese needs a UTF-8 terminal"));
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            Canvas c;
            assert_int_equal(canvas_init(&c, sizes[s][0], sizes[s][1]), 0);
            for (int v = 0; v < VIEW_COUNT; v++) {
                a.view = (View)v;
                app_handle_key(&a, 'g');
                for (;;) {
                    app_render(&a, &c);
                    assert_ascii_only(&c, runs[r], v, app_engine(&a)->pos);
                    if (app_engine(&a)->pos >= engine_total_ops(app_engine(&a))) break;
                    app_handle_key(&a, 'n');
                }
            }
            app_handle_key(&a, '?');                 /* the help overlay */
            app_render(&a, &c);
            assert_ascii_only(&c, "help", -1, 0);
            app_handle_key(&a, TERM_KEY_ESC);
            app_handle_key(&a, 'e');                 /* the prompt editor and its cursor */
            app_render(&a, &c);
            assert_ascii_only(&c, "edit", -1, 0);
            app_handle_key(&a, TERM_KEY_ESC);
            canvas_free(&c);
        }
        app_free(&a);
    }
    /* a lesson, English and Chinese, every slide */
    static const char *const lessons[] = {"lessons/en/06-decode-step.lesson", "lessons/zh/06-decode-step.lesson"};
    for (size_t i = 0; i < sizeof lessons / sizeof lessons[0]; i++) {
        App a;
        assert_int_equal(build_lesson_app(&a, "--ascii", err), 0);
        Lesson *l = calloc(1, sizeof *l);
        assert_non_null(l);
        assert_int_equal(lesson_load(lessons[i], l, err, sizeof err), 0);
        assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
        Canvas c;
        assert_int_equal(canvas_init(&c, 120, 40), 0);
        a.screen_w = c.w;
        a.screen_h = c.h;
        for (int slide = 0; slide < l->n_slides; slide++) {
            app_lesson_goto(&a, slide);
            app_render(&a, &c);
            assert_ascii_only(&c, lessons[i], -1, slide);
            if (i == 1) {
                char *text = canvas_dump(&c);
                assert_non_null(strstr(text, "needs a UTF-8 terminal"));
                free(text);
            }
        }
        canvas_free(&c);
        app_free(&a);
    }
}

/* ---- a small evaluator for the cost panel's substituted formulas ---------------
 * expr = term {"+" term}; term = factor {"·" factor}; factor = atom ["²"];
 * atom = number (digits, "," groups) | "(" expr ")". */
static uint64_t ev_expr(const char **p);

static void ev_space(const char **p)
{
    while (**p == ' ') (*p)++;
}

static uint64_t ev_factor(const char **p)
{
    uint64_t v = 0;
    ev_space(p);
    if (**p == '(') {
        (*p)++;
        v = ev_expr(p);
        ev_space(p);
        if (**p != ')') fail_msg("formula: ')' expected at '%s'", *p);
        (*p)++;
    } else {
        if (**p < '0' || **p > '9') fail_msg("formula: a number expected at '%s'", *p);
        while ((**p >= '0' && **p <= '9') || (**p == ',' && (*p)[1] >= '0' && (*p)[1] <= '9'))
            if (*(*p)++ != ',') v = v * 10 + (uint64_t)((*p)[-1] - '0');
    }
    if (!strncmp(*p, "\u00b2", 2)) {
        *p += 2;
        v *= v;
    }
    return v;
}

static uint64_t ev_term(const char **p)
{
    uint64_t v = ev_factor(p);
    for (ev_space(p); !strncmp(*p, "\u00b7", 2); ev_space(p)) {
        *p += 2;
        v *= ev_factor(p);
    }
    return v;
}

static uint64_t ev_expr(const char **p)
{
    uint64_t v = ev_term(p);
    for (ev_space(p); **p == '+'; ev_space(p)) {
        (*p)++;
        v += ev_term(p);
    }
    return v;
}

static uint64_t evaluate(const char *s)
{
    const char *p = s;
    const uint64_t v = ev_expr(&p);
    if (*p) fail_msg("formula: trailing '%s' in '%s'", p, s);
    return v;
}

/* With --chunk and --speculate a cache step covers the rows its plan says:
 * the prediction the Operations panel and the charts draw is that plan's
 * closed form, equal to the measured step in both modes; the per-step
 * chart's legend gives the last step's measured MACs of each mode, and the
 * Cost box the ratio of the two whole runs. */
static void test_chart_serving(void **state)
{
    (void)state;
    static const char *const runs[] = {
        "--chunk 4 --prompt thecatsatonthemat", "--speculate 4 --prompt sat.sat --gen 12",
        "--chunk 3 --speculate 2 --prompt abcabcabc --gen 6", "--chunk 5 --window 6 --prompt thecatsatonthemat",
    };
    char err[256];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        App a;
        if (build_app(&a, runs[i], err)) fail_msg("%s: %s", runs[i], err);
        app_handle_key(&a, 'G');
        char want[2][64];
        for (int m = 0; m < 2; m++) {
            const Engine *e = app_engine_of(&a, m ? MODE_RECOMPUTE : MODE_CACHE);
            for (int k = 0; k < e->n_steps; k++) {
                OpCounts p;
                panel_step_prediction(e, k, &p);
                const OpCounts *d = engine_step_counts(e, k);
                assert_non_null(d);
                if (counts_total(&p) != counts_total(d))
                    fail_msg("%s mode %d step %d: predicted %llu, measured %llu", runs[i], m, k,
                             (unsigned long long)counts_total(&p), (unsigned long long)counts_total(d));
            }
            char v[32];
            snprintf(want[m], sizeof want[m], "%s %s", m ? "recompute" : "cache",
                     fmt_short(counts_total(engine_step_counts(e, e->n_steps - 1)), v));
        }
        Canvas c;
        assert_int_equal(canvas_init(&c, 200, 60), 0);
        app_render(&a, &c);
        Layout lo;
        layout_app(&a, c.w, c.h, &lo);
        assert_true(lo.chart_step.w > 0);
        char line[512] = "";
        for (int x = lo.chart_step.x + 1, n = 0; x < lo.chart_step.x + lo.chart_step.w - 1; x++) {
            const CanvasCell *cell = canvas_at(&c, x, lo.chart_step.y + 1);
            if (cell && cell->cp > 0 && cell->cp < 128) line[n++] = (char)cell->cp;
            else if (cell && cell->cp >= 128) line[n++] = '?';
            line[n] = '\0';
        }
        for (int m = 0; m < 2; m++)
            if (!strstr(line, want[m])) fail_msg("%s: '%s' not in the per-step chart's legend '%s'", runs[i], want[m], line);
        /* the Cost box compares whole runs: the measured totals' ratio */
        uint64_t tot[2] = {0, 0};
        for (int m = 0; m < 2; m++) {
            const Engine *e = app_engine_of(&a, m ? MODE_RECOMPUTE : MODE_CACHE);
            for (int k = 0; k < e->n_steps; k++) tot[m] += counts_total(engine_step_counts(e, k));
        }
        char *text = canvas_dump(&c), ratio_s[96];
        snprintf(ratio_s, sizeof ratio_s, "over the whole run: %.2f\u00d7", (double)tot[1] / (double)tot[0]);
        if (!strstr(text, ratio_s)) fail_msg("%s: '%s' not on the 200x60 screen", runs[i], ratio_s);
        free(text);
        canvas_free(&c);
        app_free(&a);
    }
}

/* The cost panel's formulas, with this run's numbers substituted, evaluate
 * to the measured counters of every step, in both modes and several
 * shapes (grouped-query heads, a window, one layer); the screen prints
 * them with "= <measured count>". */
static void test_cost_formula(void **state)
{
    (void)state;
    static const char *const runs[] = {
        "--d-model 8 --prompt hello --gen 5", "--kv-heads 1 --gen 4", "--window 4 --gen 6", "--layers 1 --d-model 16 --gen 3",
        "--rope --kv-heads 1 --gen 4", "--rope --layers 1 --gen 3",
    };
    char err[256], f[256];
    /* the example of the issue: hello, step 4 with the cache (the seeded random model) */
    App a;
    assert_int_equal(build_app(&a, runs[0], err), 0);
    cost_formula(&a.cfg, MODE_CACHE, a.L, 4, f, sizeof f);
    assert_string_equal(f, "2\u00b7(3\u00b78\u00b2 + 2\u00b79\u00b78 + 8\u00b2 + 2\u00b78\u00b732) + 8\u00b71,073");
    assert_int_equal(evaluate(f), 10408);
    app_free(&a);
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        assert_int_equal(build_app(&a, runs[i], err), 0);
        app_handle_key(&a, 'G');   /* the whole run */
        for (int m = 0; m < 2; m++) {
            const RunMode mode = m ? MODE_RECOMPUTE : MODE_CACHE;
            const Engine *e = app_engine_of(&a, mode);
            for (int k = 0; k < a.G; k++) {
                cost_formula(&a.cfg, mode, a.L, k, f, sizeof f);
                const OpCounts *d = engine_step_counts(e, k);
                assert_non_null(d);
                if (evaluate(f) != counts_total(d))
                    fail_msg("%s, mode %d, step %d: %s = %llu, measured %llu", runs[i], m, k, f,
                             (unsigned long long)evaluate(f), (unsigned long long)counts_total(d));
            }
        }
        /* on screen: the last step's formula, "=", the measured count */
        Canvas c;
        assert_int_equal(canvas_init(&c, 200, 60), 0);
        app_render(&a, &c);
        char *text = canvas_dump(&c);
        char want[320], v[32];
        cost_formula(&a.cfg, MODE_CACHE, a.L, a.G - 1, f, sizeof f);
        snprintf(want, sizeof want, "%s = %s", f, counts_group(counts_total(engine_step_counts(app_engine_of(&a, MODE_CACHE), a.G - 1)), v));
        if (!strstr(text, want)) fail_msg("'%s' not on the 200x60 screen", want);
        free(text);
        canvas_free(&c);
        app_free(&a);
    }
}

/* Line `row` of a canvas dump into out ("" past the end). */
static const char *dump_line(const char *dump, int row, char *out, size_t len)
{
    for (int i = 0; i < row && dump; i++) {
        dump = strchr(dump, '\n');
        if (dump) dump++;
    }
    out[0] = '\0';
    if (!dump) return out;
    const char *end = strchr(dump, '\n');
    size_t n = end ? (size_t)(end - dump) : strlen(dump);
    if (n >= len) n = len - 1;
    memcpy(out, dump, n);
    out[n] = '\0';
    return out;
}

/* The row of the lesson pane's top border (it names the slide), copied
 * into out; -1 if none. */
static int slide_title_row(const char *dump, const App *a, int slide, char *out, size_t len)
{
    char want[64];
    (void)slide;
    snprintf(want, sizeof want, TR(a, "\u2500 Lesson %d", "\u2500 \u7b2c %d \u8bfe"), a->play->lesson->number);
    for (int row = 0; *dump_line(dump, row, out, len) || row == 0; row++)
        if (strstr(out, want)) return row;
    return -1;
}

/* Every shipped lesson, every slide, at 80x24, 100x30 and 120x40: the
 * title row never changes while the narration scrolls (no marker drawn
 * over the slide's title), and the pane shows "↓ PgDn" exactly when PgDn has more narration to show (it
 * then scrolls and stays on the slide), else PgDn turns the page. */
static void test_lesson_scroll(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {100, 30}, {120, 40}};
    static const char *const dirs[] = {"lessons/en", "lessons/zh"};
    char err[256], path[512];
    int checked = 0;
    for (size_t d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        assert_non_null(dir);
        for (struct dirent *de; (de = readdir(dir)) != NULL;) {
            const size_t n = strlen(de->d_name);
            if (n < 8 || strcmp(de->d_name + n - 7, ".lesson")) continue;
            snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
            for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
                App a;
                assert_int_equal(build_lesson_app(&a, d ? "--lang zh" : "", err), 0);
                Lesson *l = calloc(1, sizeof *l);
                assert_non_null(l);
                if (lesson_load(path, l, err, sizeof err)) fail_msg("%s: %s", path, err);
                assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
                Canvas c;
                assert_int_equal(canvas_init(&c, sizes[z][0], sizes[z][1]), 0);
                a.screen_w = c.w;
                a.screen_h = c.h;
                for (int slide = 0; slide < a.play->lesson->n_slides; slide++) {
                    app_lesson_goto(&a, slide);
                    char title[512] = "";   /* the pane's top border, unscrolled */
                    int title_row = -1;
                    for (int page = 0; page < 20; page++) {   /* scroll to the end of the slide */
                        app_render(&a, &c);
                        char *before = canvas_dump(&c);
                        const bool marker = strstr(before, "\u2193 PgDn ") != NULL;
                        if (page == 0) title_row = slide_title_row(before, &a, slide, title, sizeof title);
                        app_handle_key(&a, TERM_KEY_PGDN);
                        app_render(&a, &c);
                        char *after = canvas_dump(&c);
                        const bool same_slide = a.play->slide == slide;
                        checked++;
                        if (title_row < 0) fail_msg("%s slide %d at %dx%d: no title row", path, slide + 1, c.w, c.h);
                        char now[512];
                        if (same_slide && strcmp(dump_line(after, title_row, now, sizeof now), title))
                            fail_msg("%s slide %d at %dx%d: scrolling changed the title row:\n%s\n%s", path,
                                     slide + 1, c.w, c.h, title, now);
                        if (marker && (!same_slide || !strcmp(before, after)))
                            fail_msg("%s slide %d at %dx%d: '\u2193 PgDn' shown but PgDn did not scroll", path,
                                     slide + 1, c.w, c.h);
                        if (!marker && same_slide && slide + 1 < a.play->lesson->n_slides)
                            fail_msg("%s slide %d at %dx%d: no '\u2193 PgDn' yet PgDn stayed on the slide", path,
                                     slide + 1, c.w, c.h);
                        free(before);
                        free(after);
                        if (!marker) break;
                    }
                }
                canvas_free(&c);
                app_free(&a);
            }
        }
        closedir(dir);
    }
    assert_true(checked > 100);
}

/* A slide whose narration names a panel the screen does not show says so,
 * with the size that shows it: lesson 4 names the Operations panel at
 * 100x30, where the lesson pane leaves room for the middle row only. */
static void test_lesson_unseen_panel(void **state)
{
    (void)state;
    char err[256], note[400];
    App a;
    assert_int_equal(build_lesson_app(&a, "", err), 0);
    Lesson *l = calloc(1, sizeof *l);
    assert_non_null(l);
    assert_int_equal(lesson_load("lessons/en/04-no-cache.lesson", l, err, sizeof err), 0);
    assert_int_equal(app_lesson_start(&a, l, err, sizeof err), 0);
    a.screen_w = 100;
    a.screen_h = 30;
    assert_non_null(strstr(lesson_play_unseen_note(&a, note, sizeof note), "Not on screen at 100x30: Operations."));
    a.screen_w = 160;   /* the lesson beside every panel */
    a.screen_h = 48;
    assert_string_equal(lesson_play_unseen_note(&a, note, sizeof note), "");
    app_free(&a);
}

/* Empty inner rows of the box at r (its border excluded). */
static int empty_rows(const Canvas *c, Rect r)
{
    int n = 0;
    for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
        bool blank = true;
        for (int x = r.x + 1; x < r.x + r.w - 1 && blank; x++) {
            const CanvasCell *cell = canvas_at(c, x, y);
            blank = cell && (cell->cp == ' ' || cell->cp == 0);
        }
        n += blank;
    }
    return n;
}

/* At 200x60 no box leaves more than a quarter of its rows empty: the
 * normal screen, presenter mode, the compare and memory views, the vector
 * inspector (v) and the all-heads overview (A), on the trained (default)
 * and the random model (--d-model 8), English and Chinese, at the end of
 * every token step; the toggled panels (v, A) also after every operation,
 * since what they show changes with it. */
typedef struct {
    const char *args;
    const char *toggles;   /* keys pressed first */
    bool by_op;
} BoxRun;

static int boxes_check(const BoxRun *run, const App *a, const Canvas *c, int k, int shown, bool toggled_only)
{
    Layout lo;
    layout_app(a, c->w, c->h, &lo);
    int bad = 0;
    for (int p = 0; p < panel_count; p++) {
        const size_t at = panel_list[p].rect;
        if (toggled_only && at != offsetof(Layout, vectors) && at != offsetof(Layout, heads)) continue;
        const Rect r = *(const Rect *)(const void *)((const char *)&lo + at);
        if (r.w < 3 || r.h < 3) continue;
        const int e = empty_rows(c, r), inner = r.h - 2;
        if (4 * e > inner) {
            if (shown + bad < 3)
                print_message("'%s' keys '%s' at %d: the box at %d,%d (%dx%d) has %d of %d rows empty\n", run->args,
                              run->toggles, k, r.x, r.y, r.w, r.h, e, inner);
            bad++;
        }
    }
    return bad;
}

static void test_no_empty_boxes(void **state)
{
    (void)state;
    static const BoxRun runs[] = {
        {"", "", false},
        {"--present", "", false},
        {"--lang zh", "", false},
        {"--present --lang zh", "", false},
        {"--mode compare", "", false},
        {"--mode memory --block-size 4 --prompt ab --prompt cde --prompt f", "", false},
        {"--mode memory", "", false},
        {"", "v", true},
        {"--lang zh", "v", true},
        {"", "A", true},
        {"", "vA", true},
        {"--mode compare", "v", true},
        {"--mode recompute", "A", false},
        {"--d-model 8", "", false},
        {"--d-model 8", "v", true},
        {"--d-model 8 --lang zh", "A", true},
        {"--d-model 8 --present", "", false},
        {"--d-model 8 --mode compare", "", false},
        {"--d-model 8 --rope", "v", true},
        /* short prompts: the middle row only as tall as t needs */
        {"--prompt hi", "", false},
        {"--prompt hi --lang zh", "", false},
        {"--prompt hi --mode recompute", "", false},
        {"--prompt a --gen 12", "", false},
        {"--prompt hi --d-model 8", "", false},
        {"--chunk 2", "", false},
        {"--chunk 2 --lang zh", "", false},
        {"--speculate 3", "", false},
        {"--prompt hi --speculate 3", "", false},
        {"--prompt hi --window 4 --gen 12", "", false},
    };
    char err[256];
    int bad = 0;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const int bad_before = bad;
        App a;
        if (build_app(&a, runs[i].args, err)) fail_msg("%s: %s", runs[i].args, err);
        for (const char *t = runs[i].toggles; *t; t++) app_handle_key(&a, *t);
        Canvas c;
        assert_int_equal(canvas_init(&c, 200, 60), 0);
        const Engine *e = app_engine(&a);
        int k = 0;
        if (runs[i].by_op) {
            for (; k < 4000; k++) {
                const long before = e->pos;
                app_handle_key(&a, 'n');
                if (e->pos == before) break;
                app_render(&a, &c);
                bad += boxes_check(&runs[i], &a, &c, k, bad - bad_before, e->pos % e->ops_per_step != 0);
            }
        } else {
            for (; k < a.G; k++) {
                app_handle_key(&a, 'N');
                app_render(&a, &c);
                bad += boxes_check(&runs[i], &a, &c, k, bad - bad_before, false);
            }
        }
        if (bad > bad_before)
            print_message("'%s' keys '%s': %d boxes too empty in %d frames\n", runs[i].args, runs[i].toggles,
                          bad - bad_before, k);
        canvas_free(&c);
        app_free(&a);
    }
    assert_int_equal(bad, 0);
}

/* A short prompt at 200x60 sizes the middle row by t and the phase only:
 * within a step (from its first operation to its last) no panel moves or
 * changes size, so the eye is not sent looking for it again. */
static void test_short_layout_still(void **state)
{
    (void)state;
    static const char *const runs[] = {
        "--prompt hi", "--prompt hi --lang zh", "--prompt hi --mode recompute", "--chunk 2",
        "--prompt hi --speculate 3", "--prompt hi --window 4 --gen 12",
    };
    char err[256];
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        App a;
        if (build_app(&a, runs[i], err)) fail_msg("%s: %s", runs[i], err);
        const Engine *e = app_engine(&a);
        Layout first, lo;
        int step = -1, moved = 0;
        for (int k = 0; k < 4000; k++) {
            const long before = e->pos;
            app_handle_key(&a, 'n');
            if (e->pos == before) break;
            layout_app(&a, 200, 60, &lo);
            if (e->step != step) {
                step = e->step;
                first = lo;
            } else if (memcmp(&first, &lo, sizeof lo) != 0) {
                if (moved++ < 3) print_message("'%s': the layout moved within step %d (op %ld)\n", runs[i], step, e->pos);
            }
        }
        app_free(&a);
        assert_int_equal(moved, 0);
    }
}

int main(void)
{
    /* lessons with weights=trained load models/ next to the lessons; the
     * binary (build/tests or build/asan/tests) may sit anywhere */
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_screens),
        cmocka_unit_test(test_serving_screens),
        cmocka_unit_test(test_batch_screens),
        cmocka_unit_test(test_batch_tab_screens),
        cmocka_unit_test(test_prefix_chunk_screens),
        cmocka_unit_test(test_roofline),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_serving_share),
        cmocka_unit_test(test_titles),
        cmocka_unit_test(test_all_sizes_and_ops),
        cmocka_unit_test(test_panel_list),
        cmocka_unit_test(test_ascii_only),
        cmocka_unit_test(test_no_empty_boxes),
        cmocka_unit_test(test_short_layout_still),
        cmocka_unit_test(test_cost_formula),
        cmocka_unit_test(test_chart_serving),
        cmocka_unit_test(test_lesson_scroll),
        cmocka_unit_test(test_memory_total_label),
        cmocka_unit_test(test_lesson_unseen_panel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
