/* test_screens_serving: golden screens of the serving techniques (spec
 * §6.7-§6.10, docs/serving.md) at 120x40 in both languages: prefix
 * sharing (under a window too), RoPE and its offset bug, chunked prefill,
 * speculative decoding, a batch in chunks or speculating, Tab in a batch,
 * and the roofline at 160x50; each compared with tests/golden/<name>.txt
 * and its numbers with the engines' counters and the closed forms. Then
 * the numbers of serving runs on screen: the charts' predictions and the
 * cost panel's substituted formulas equal the measured steps. Helpers in
 * tests/screen_fixture.h.
 *
 * KVSIM_UPDATE_GOLDEN=1 rewrites the files instead (`make regenerate` does
 * it for every golden suite; look at them before committing:
 * `git diff tests/golden`). */
#include "screen_fixture.h"

#include "sim/formulas.h"
#include "ui/layout.h"
#include "ui/panels/panels.h"

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
        snprintf(title, sizeof title, i % 2 ? "批 第 %d 步（0-%d 步）" : "BATCH step %d (of 0-%d)", last, last);
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

/* The roofline (memory view, >= 140 columns and tall): golden screens in
 * both languages; the sentence's bytes and MACs are the decode step's
 * counters; the reference machine unless KVSIM_MACHINE names one (the
 * machine file's cases: tests/test_roofline_machine.c); none
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
    char want[160], mc[32];
    snprintf(want, sizeof want, "%s: %.0f GB/s read, %.0f GFLOP/s peak", PANEL_ROOF_NAME, PANEL_ROOF_GBS,
             PANEL_ROOF_GFLOPS);
    if (!strstr(t, want)) fail_msg("'%s' not on the roofline screen", want);
    const Engine *e = app_engine_of(&a, MODE_CACHE);
    const int k = (int)(e->pos / e->ops_per_step) - 1;
    const Traffic *tr = engine_step_traffic(e, k);
    assert_non_null(tr);
    fmt_short(counts_total(engine_step_counts(e, k)), mc);
    snprintf(want, sizeof want, "This decode step (s%d) needs %.1f kB and %s MACs", k,
             (double)traffic_read_bytes(tr) / 1e3, mc);
    if (!strstr(t, want)) fail_msg("'%s' not on the roofline screen", want);
    /* the bound: bytes / the reference's GB/s */
    snprintf(want, sizeof want, "cannot take less than %.2f \u00b5s",
             (double)traffic_read_bytes(tr) / (PANEL_ROOF_GBS * 1e9) * 1e6);
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
    snprintf(want, sizeof want, "KVSIM_MACHINE is not GBS,GFLOPS: the reference, %.0f GB/s", PANEL_ROOF_GBS);
    assert_non_null(strstr(t, want));
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
 * chart's legend gives the last cache step's measured MACs and those of
 * the recompute steps that emit the same tokens, and the
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
            /* x = the cache step; recompute's point there: its steps that
             * emit the same tokens (several after a verify step) */
            const Engine *ce = app_engine_of(&a, MODE_CACHE);
            int j0 = ce->n_steps - 1, j1 = ce->n_steps;
            if (m) panel_recompute_steps(ce, ce->n_steps - 1, &j0, &j1);
            uint64_t last = 0;
            for (int j = j0; j < j1; j++) last += counts_total(engine_step_counts(e, j));
            char v[32];
            snprintf(want[m], sizeof want[m], "%s %s", m ? "recompute" : "cache", fmt_short(last, v));
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

int main(void)
{
    screen_isolate_machine();   /* the reference roofline, not a saved machine */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serving_screens),
        cmocka_unit_test(test_batch_screens),
        cmocka_unit_test(test_batch_tab_screens),
        cmocka_unit_test(test_prefix_chunk_screens),
        cmocka_unit_test(test_roofline),
        cmocka_unit_test(test_serving_share),
        cmocka_unit_test(test_cost_formula),
        cmocka_unit_test(test_chart_serving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
