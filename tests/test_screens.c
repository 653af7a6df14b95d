/* test_screens: golden screens of the core views. Each scenario of the
 * table drives an App with keys, renders it into a canvas of 80x24,
 * 120x40 or 200x60 and compares the text with tests/golden/<name>.txt (run
 * from the repository root): the cache, recompute, compare, train and
 * memory views, help, Chinese, the vector inspector, the all-heads
 * overview, presenter mode; then "too small", the titles and the memory
 * view's totals label. The numbers on the screens are also checked
 * against the closed forms, so a golden file cannot freeze a wrong count.
 * The serving scenarios are in tests/test_screens_serving.c, the layout
 * properties in tests/test_screens_layout.c; helpers in
 * tests/screen_fixture.h.
 *
 * KVSIM_UPDATE_GOLDEN=1 rewrites the files instead (`make regenerate` does
 * it for every golden suite; look at them before committing:
 * `git diff tests/golden`). */
#include "screen_fixture.h"

#include "sim/formulas.h"
#include "ui/panels/panels.h"

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

int main(void)
{
    screen_isolate_machine();   /* the reference roofline, not a saved machine */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_screens),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_titles),
        cmocka_unit_test(test_memory_total_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
