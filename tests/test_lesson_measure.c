/* test_lesson_measure: what the lessons measure beyond the counts of one
 * run (lessons/measure.c, lessons/weights.c): the model options of a slide
 * (kv-heads, window, block-size, rope, chunk, speculate, prefix-cache,
 * weights=trained), batches, the memory and traffic functions, and calc()
 * (spec §6.2-6.10, docs/memory.md, docs/calc.md).
 *
 * Expected values are written out here from the spec and the papers it
 * cites, independently of sim/formulas.c and of lessons/measure.c, so a
 * mistake in the code under test cannot also be in the expectation. */
#include "tests/lesson_fixture.h"

#include "lessons/weights.h"
#include "sim/tokenizer.h"

/* ---- memory: model options, traffic, paging, calc() (spec §6.2-6.6) ------ */

static void test_model_options(void **state)
{
    (void)state;
    const char *text = "lesson: 1\nid: x\nlang: en\ntitle: T\n"
                       "--- slide: A\n"                                 /* 5 */
                       "model: kv-heads=1 window=6 block-size=4\n"      /* 6 */
                       "mode: memory\n"                                 /* 7 */
                       "point: blocks\n"                                /* 8 */
                       "--- slide: B\n"                                 /* 9 */
                       "model: heads=4 d-model=16\n"                    /* 10 */
                       "point: traffic\n"                               /* 11 */
                       "--- slide: C\n"                                 /* 12 */
                       "model: window=none block-size=none kv-heads=4\n"; /* 13 */
    Lesson l = parse_ok(text);
    SlideSetup a = lesson_state_at(&l, 0), b = lesson_state_at(&l, 1), c = lesson_state_at(&l, 2);
    assert_int_equal(a.model.n_heads, 2);
    assert_int_equal(a.model.n_kv_heads, 1);
    assert_int_equal(a.model.window, 6);
    assert_int_equal(a.model.block_size, 4);
    assert_int_equal(a.mode, LESSON_MODE_MEMORY);
    assert_int_equal(a.point, POINT_BLOCKS);
    assert_int_equal(a.line[SET_KV_HEADS], 6);
    assert_int_equal(a.line[SET_WINDOW], 6);
    assert_int_equal(a.line[SET_BLOCK_SIZE], 6);
    assert_true(a.set & SETUP_MODEL_BITS);
    /* as on the command line: a given kv-heads stays when heads changes */
    assert_int_equal(b.model.n_heads, 4);
    assert_int_equal(b.model.n_kv_heads, 1);
    assert_int_equal(b.model.window, 6);
    assert_int_equal(b.point, POINT_TRAFFIC);
    assert_false(lesson_same_run(&a, &b));
    assert_int_equal(c.model.window, 0);
    assert_int_equal(c.model.block_size, 0);
    assert_int_equal(c.model.n_kv_heads, 4);
    assert_string_equal(lesson_mode_name(LESSON_MODE_MEMORY), "memory");
    assert_string_equal(lesson_point_name(POINT_TRAFFIC), "traffic");
    /* rope=on|off carries over, and is part of the run (spec §6.10) */
    {
        Lesson r = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\nprompt: my cat\ngen: 3\n"
                            "--- slide: B\nmodel: rope=on\n--- slide: C\nmodel: rope-offset-bug=on\n"
                            "--- slide: D\nmodel: rope=off rope-offset-bug=off\n");
        SlideSetup r0 = lesson_state_at(&r, 0), r1 = lesson_state_at(&r, 1);
        SlideSetup r2 = lesson_state_at(&r, 2), r3 = lesson_state_at(&r, 3);
        assert_false(r0.model.rope);
        assert_true(r1.model.rope && !r1.model.rope_offset_bug);
        assert_true(r2.model.rope && r2.model.rope_offset_bug);
        assert_false(r3.model.rope || r3.model.rope_offset_bug);
        assert_false(lesson_same_run(&r0, &r1));
        assert_false(lesson_same_run(&r1, &r2));
        assert_true(lesson_same_run(&r0, &r3));
        /* the rope counter: 2·n·(d + Hkv·dh) per layer; 0 without rope; part of total */
        EvalContext rc;
        char rerr[256];
        r1.go.kind = GOTO_END;
        if (eval_context_init(&rc, &r1, rerr, sizeof rerr)) fail_msg("%s", rerr);
        EXPECT(&rc, "macs(cache, rope, 0)", 2 * 2 * 6 * (8 + 8));
        EXPECT(&rc, "macs(cache, rope, 1, 1)", 2 * 1 * (8 + 8));
        EXPECT(&rc, "total(recompute, rope)", 2 * 2 * (6 + 7 + 8) * (8 + 8));
        EXPECT(&rc, "macs(cache, total, 1) - macs(cache, qkv, 1) - macs(cache, scores, 1) - "
                    "macs(cache, values, 1) - macs(cache, out_proj, 1) - macs(cache, ffn, 1) - "
                    "macs(cache, lm_head, 1)", 2 * 2 * (8 + 8));
        eval_context_free(&rc);
        if (eval_context_init(&rc, &r0, rerr, sizeof rerr)) fail_msg("%s", rerr);
        EXPECT(&rc, "total(cache, rope)", 0);
        eval_context_free(&rc);
        lesson_free(&r);
    }
    /* without kv-heads, K/V heads follow heads */
    Lesson m = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\nmodel: heads=4\n");
    SlideSetup s = lesson_state_at(&m, 0);
    assert_int_equal(s.model.n_kv_heads, 4);
    /* the memory view evaluates like the cache run */
    EvalContext ctx;
    char err[256];
    SlideSetup mem = lesson_state_at(&l, 0);
    mem.go.kind = GOTO_STEP_OP;
    mem.go.step = 1;
    mem.go.op = OP_APPEND;
    mem.go.layer = -1;
    if (eval_context_init(&ctx, &mem, err, sizeof err)) fail_msg("%s", err);
    EXPECT(&ctx, "n", 1);
    EXPECT(&ctx, "Hkv", 1);
    EXPECT(&ctx, "W", 6);
    EXPECT(&ctx, "B", 4);
    EXPECT(&ctx, "balance", 295);
    eval_context_free(&ctx);
    lesson_free(&m);
    lesson_free(&l);

    /* syntax errors at parse time, the CLI's messages when evaluated */
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: window=0\n", 6,
                "window 0: out of range; expected an integer from 1 to 65536, or none");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: block-size=x\n", 6,
                "block-size 'x': not a number; expected an integer from 1 to 65536, or none");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: kv-heads=none\n", 6,
                "kv-heads 'none': not a number");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: kv-heads=1 kv-heads=2\n",
                6, "model option 'kv-heads' given twice");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: blocksize=4\n", 6,
                "unknown model option 'blocksize'; expected d-model, heads, layers, d-ff, max-seq, "
                "seed, kv-heads, window, block-size, chunk, speculate, rope, rope-offset-bug, prefix-cache or weights");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: rope=1\n", 6,
                "rope '1': expected on or off");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: rope-offset-bug=yes\n", 6,
                "rope-offset-bug 'yes': expected on or off");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: chunk=0\n", 6,
                "chunk 0: out of range; expected an integer from 1 to 65536, or none");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmode: mem\n", 6,
                "mode 'mem': expected cache, recompute, compare, train or memory");
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\npoint: pool\n", 6,
                "point 'pool': expected tokens, mask, attention, kvcache, ops, chart, pipeline, "
                "blocks, traffic or none");
}

static void test_model_option_errors(void **state)
{
    (void)state;
    expect_context_error("model: kv-heads=3\n",
                         "--kv-heads 3: must divide heads (2): 1 (multi-query) up to heads "
                         "(multi-head)", 6);
    expect_context_error("gen: 2\nmodel: heads=1 kv-heads=2\n",
                         "--kv-heads 2: must divide heads (1): 1 (multi-query) up to heads "
                         "(multi-head)", 7);
    expect_context_error("model: block-size=65\n",
                         "--block-size 65: must be between 1 and max-seq (64)", 6);
    expect_context_error("model: block-size=8 max-seq=4\nprompt: a\ngen: 1\n",
                         "--block-size 8: must be between 1 and max-seq (4)", 6);
    expect_context_error("model: rope-offset-bug=on\n",
                         "--rope-offset-bug: needs --rope (it shows rotary positions applied at the wrong place)", 6);
    expect_context_error("mode: memory\ngoto: step 0 op loss\n",
                         "goto: operation 'loss' does not run in memory mode", 7);
}

static double ceil_div(double a, double b) { return ceil(a / b); }

/* weights=trained (issue 11): the shipped model's shape and alphabet, its
 * errors, attn() and prev_match(); weights=random goes back to the full
 * alphabet. */
static void test_trained_weights(void **state)
{
    (void)state;
    PARSE_FAILS("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\nmodel: weights=models/default.kvsim\n",
                6, "weights 'models/default.kvsim': expected random (the seeded model of the shape options) "
                   "or trained (kvsim's shipped model); a lesson names no other model file");
    Lesson l = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\n"
                        "model: d-model=8 heads=2 layers=2 d-ff=32 max-seq=64 seed=42\nprompt: hello\ngen: 3\n"
                        "--- slide: B\nmodel: weights=trained\nprompt: 猫在床上睡觉。猫在\ngoto: step 0 end\n"
                        "--- slide: C\nmodel: window=6\n"
                        "--- slide: D\nmodel: weights=random\nprompt: hello\n");
    SlideSetup a = lesson_state_at(&l, 0), b = lesson_state_at(&l, 1), c = lesson_state_at(&l, 2),
               d = lesson_state_at(&l, 3);
    assert_false(a.trained);
    assert_true(b.trained && c.trained);
    assert_false(d.trained);
    assert_false(lesson_same_run(&b, &a));   /* the weights are part of the run */
    EvalContext ctx;
    char err[512];
    const ModelFile *f = NULL;
    assert_int_equal(lesson_trained_model(&f, err, sizeof err), 0);
    if (eval_context_init(&ctx, &b, err, sizeof err)) fail_msg("%s", err);
    /* the model's own shape, not the first slide's */
    EXPECT(&ctx, "d", f->model.cfg.d_model);
    EXPECT(&ctx, "V", f->model.cfg.vocab);
    EXPECT(&ctx, "Lyr", f->model.cfg.n_layers);
    EXPECT(&ctx, "L", 9);
    assert_true(ctx.model->cfg.weights == &f->model);
    /* prev_match: the latest earlier equal token, from the tokens alone */
    EXPECT(&ctx, "prev_match(8)", 1);    /* 在 */
    EXPECT(&ctx, "prev_match(7)", 0);    /* 猫 */
    EXPECT(&ctx, "prev_match(3)", -1);   /* 上 */
    /* attn: a softmax row, summing to 1 over the positions 0..pos */
    double sum = 0;
    for (int j = 0; j <= 8; j++) {
        char e[64];
        snprintf(e, sizeof e, "attn(1, 1, %d)", j);
        const double w = ev(&ctx, e);
        assert_true(w >= 0 && w <= 1);
        sum += w;
    }
    assert_true(fabs(sum - 1) < 1e-5);
    expect_eval_error(&ctx, "attn(1, 0, 9)", "position 9 out of range 0..8");
    expect_eval_error(&ctx, "attn(2, 0, 0)", "layer 2 out of range 0..1");
    eval_context_free(&ctx);
    /* a window: the query at 8 sees 3..8; the dropped positions weigh 0 */
    if (eval_context_init(&ctx, &c, err, sizeof err)) fail_msg("%s", err);
    EXPECT(&ctx, "W", 6);
    EXPECT(&ctx, "attn(1, 0, 2)", 0);
    EXPECT(&ctx, "attn(0, 0, 0) + attn(0, 1, 1)", 0);
    eval_context_free(&ctx);
    /* back to the random model and the full alphabet */
    if (eval_context_init(&ctx, &d, err, sizeof err)) fail_msg("%s", err);
    EXPECT(&ctx, "d", 8);
    EXPECT(&ctx, "V", tokenizer_full_vocab());
    eval_context_free(&ctx);
    lesson_free(&l);
    /* the model's alphabet, its positions and its learned position table */
    expect_context_error("model: weights=trained\nprompt: 海\n",
                         "--prompt: character '海' (U+6D77) at position 1 is not in the model's alphabet "
                         "(227 characters; kvsim export lists them)", 7);
    expect_context_error("model: weights=trained max-seq=100\n",
                         "--max-seq 100: the model default.kvsim has positions for 64 at most", 6);
    expect_context_error("model: weights=trained rope=on\n",
                         "--rope: the model default.kvsim was trained with learned positions, not rotary ones", 6);
    tokenizer_use_alphabet(NULL, 0);
}

/* A batch (several prompt: lines; spec §6.4, §6.8): parsing, carrying over,
 * and every batch function against closed forms written here, on a grid of
 * block sizes, with and without prefix sharing. */
static void test_batch(void **state)
{
    (void)state;
    /* prompt: lines of a slide replace the batch; a later single prompt: ends it */
    Lesson l = parse_ok("lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: A\nprompt: ab\n"
                        "--- slide: B\nprompt: \"the cat \"\nprompt: the dog\nprompt: a cat\n"
                        "--- slide: C\ngen: 2\n--- slide: D\nprompt: one\n");
    SlideSetup a = lesson_state_at(&l, 0), b = lesson_state_at(&l, 1), c = lesson_state_at(&l, 2),
               d = lesson_state_at(&l, 3);
    assert_int_equal(a.n_batch, 0);
    assert_int_equal(b.n_batch, 2);
    assert_string_equal(b.prompt, "the cat ");
    assert_string_equal(b.batch[0], "the dog");
    assert_string_equal(b.batch[1], "a cat");
    assert_int_equal(c.n_batch, 2);           /* carried over */
    assert_int_equal(d.n_batch, 0);
    assert_false(lesson_same_run(&a, &b));
    SlideSetup b2 = b;
    b2.batch[1] = "a dog";
    assert_false(lesson_same_run(&b, &b2));   /* a further prompt is part of the run */
    lesson_free(&l);
    /* at most LESSON_MAX_PROMPTS */
    char big[2048] = "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n";
    for (int i = 0; i <= LESSON_MAX_PROMPTS; i++) strcat(big, "prompt: ab\n");
    PARSE_FAILS(big, 6 + LESSON_MAX_PROMPTS, "more than 8 prompt: lines in this slide (first on line 6)");
    /* a batch with chunk= or speculate= (§6.7, §6.9): each sequence its own
     * steps, in step lockstep; a sequence that finished computes no rows */
    for (int spec = 0; spec < 2; spec++) {
        Lesson m = parse_ok(spec ? "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n"
                                   "model: d-model=8 speculate=2\ngen: 6\nprompt: abcabcabc\nprompt: xy\n"
                                 : "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n"
                                   "model: d-model=8 chunk=3\ngen: 2\nprompt: abcdefgh\nprompt: xy\n");
        SlideSetup s = lesson_state_at(&m, 0);
        EvalContext ctx;
        char err[256];
        if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
        if (!spec) {
            /* abcdefgh: chunks 3, 3, 2 then one decode row; xy: its prefill, one decode row, then done */
            const int rows0[] = {3, 3, 2, 1}, rows1[] = {2, 1, 0, 0};
            for (int k = 0; k < 4; k++) {
                char e0[32], e1[32];
                snprintf(e0, sizeof e0, "seq_rows(0, %d)", k);
                snprintf(e1, sizeof e1, "seq_rows(1, %d)", k);
                EXPECT(&ctx, e0, rows0[k]);
                EXPECT(&ctx, e1, rows1[k]);
            }
            EXPECT(&ctx, "seq_macs(1, scores, 0)", 2 * 2 * 8 * 2);   /* n·t·d per layer, 2 layers */
        } else {
            EXPECT(&ctx, "seq_rows(1, 0)", 2);                        /* xy's prefill */
            EXPECT(&ctx, "seq_rows(0, 0)", 9);
        }
        eval_context_free(&ctx);
        lesson_free(&m);
    }
    /* the command line's refusals */
    /* (--prefix-cache with --window is valid since pwin's 1d177b7) */
    expect_context_error("model: prefix-cache=on\n",
                         "--prefix-cache: needs --block-size B (prefix sharing shares whole blocks of the pool)", 6);

    static const char *const prompts[] = {"the cat sat on", "the cat sat in the sun", "the cat ran",
                                          "a dog"};
    const int d_model = 8, H = 2, Lyr = 2, F = 32, G = 3, Ls[] = {14, 22, 11, 5};
    int checks = 0;
    for (int B = 1; B <= 8; B++)
        for (int share = 0; share < 2; share++) {
            char text[1024];
            snprintf(text, sizeof text, "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n"
                     "model: d-model=%d heads=%d layers=%d d-ff=%d block-size=%d prefix-cache=%s\n"
                     "gen: %d\nprompt: %s\nprompt: %s\nprompt: %s\nprompt: %s\n",
                     d_model, H, Lyr, F, B, share ? "on" : "off", G, prompts[0], prompts[1], prompts[2],
                     prompts[3]);
            Lesson m = parse_ok(text);
            SlideSetup s = lesson_state_at(&m, 0);
            EvalContext ctx;
            char err[256];
            if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
            EXPECT(&ctx, "Nseq", 4);
            double blocks0 = 0, shared_blocks = 0;
            for (int q = 0; q < 4; q++) {
                /* §6.8: the longest common prefix c with an earlier prompt, B·⌊c/B⌋, < L */
                int best = 0;
                for (int j = 0; share && j < q; j++) {
                    int cp = 0;
                    while (prompts[j][cp] && prompts[q][cp] == prompts[j][cp]) cp++;
                    int rows = B * (cp / B);
                    if (rows > Ls[q] - 1) rows = Ls[q] - 1;
                    if (rows > best) best = rows;
                }
                char e[64];
                snprintf(e, sizeof e, "prompt_len(%d)", q);
                EXPECT(&ctx, e, Ls[q]);
                snprintf(e, sizeof e, "shared_rows(%d)", q);
                EXPECT(&ctx, e, best);
                const double n = Ls[q] - best;
                snprintf(e, sizeof e, "seq_rows(%d, 0)", q);
                EXPECT(&ctx, e, n);
                snprintf(e, sizeof e, "seq_rows(%d, 1)", q);
                EXPECT(&ctx, e, 1);
                snprintf(e, sizeof e, "seq_macs(%d, scores, 0)", q);
                EXPECT(&ctx, e, Lyr * n * Ls[q] * d_model);
                snprintf(e, sizeof e, "seq_macs(%d, qkv, 0)", q);
                EXPECT(&ctx, e, Lyr * n * 3 * d_model * d_model);
                snprintf(e, sizeof e, "seq_macs(%d, qkv, 2)", q);
                EXPECT(&ctx, e, Lyr * 3 * d_model * d_model);
                snprintf(e, sizeof e, "seq_blocks(%d, 2)", q);
                EXPECT(&ctx, e, ceil_div(Ls[q] + 2, B));
                blocks0 += ceil_div(Ls[q], B);
                shared_blocks += best / B;   /* a capped share (L − 1 rows) still holds whole blocks */
                checks += 8;
            }
            /* sequence 0's own functions are those of the prompt alone */
            EXPECT(&ctx, "macs(cache, qkv, 0)", Lyr * Ls[0] * 3 * d_model * d_model);
            EXPECT(&ctx, "pool_blocks(0)", blocks0 - shared_blocks);
            EXPECT(&ctx, "pool_reserved(0)", (blocks0 - shared_blocks) * B * 2 * Lyr * d_model * 4);
            EXPECT(&ctx, "block_refs(0, 0)", share ? 3 : 1);   /* "the cat " (8) covers block 0 for every B <= 8 */
            checks += 4;
            eval_context_free(&ctx);
            lesson_free(&m);
        }
    print_message("batch functions: %d checks against the closed forms\n", checks);
}

/* Every memory function against spec §6.2-6.5 and docs/memory.md, written
 * out here: bytes per position, blocks of a windowed pool, and the traffic
 * of each step of each mode. W = 0: no window; B = 0: no paging. */
static void check_memory(EvalContext *c, int d, int H, int Hkv, int Lyr, int F, int L, int G,
                         int W, int B)
{
    const double V = tokenizer_vocab(), dh = (double)d / H, kv = Hkv * dh;
    const double bpp = 2.0 * Lyr * kv * 4;   /* bytes per cached position */
    const double matrices = Lyr * (2.0 * d * d + 2.0 * d * kv + 2.0 * d * F) * 4 + d * V * 4;
    char e[128];
    EXPECT(c, "Hkv", Hkv);
    EXPECT(c, "W", W);
    EXPECT(c, "B", B);
    for (int k = 0; k < G; k++) {
        const double t = L + k, kept = W ? fmin(t, W) : t;
        snprintf(e, sizeof e, "kv_bytes(%d)", k);
        EXPECT(c, e, kept * bpp);
        if (B) {
            const double blocks = ceil_div(t, B) - (W ? floor(fmax(0, t - W) / B) : 0);
            snprintf(e, sizeof e, "kv_blocks(%d)", k);
            EXPECT(c, e, blocks);
            snprintf(e, sizeof e, "kv_reserved(%d)", k);
            EXPECT(c, e, blocks * B * bpp);
            snprintf(e, sizeof e, "kv_waste(%d)", k);
            EXPECT(c, e, blocks * B * bpp - kept * bpp);
        }
        /* cache: prefill n = L over the dense block; decode n = 1 over min(t, W) keys */
        const double n = k == 0 ? L : 1;
        const double s = (k > 0 && W && t > W) ? W : t;
        const double macs_c = Lyr * (n * d * d + 2 * n * d * kv + 2 * n * s * d + n * d * d +
                                     2 * n * d * F) + d * V;
        const double wc = matrices + 2 * n * d * 4, rc = Lyr * s * kv * 8;
        snprintf(e, sizeof e, "weight_bytes(cache, %d)", k);
        EXPECT(c, e, wc);
        snprintf(e, sizeof e, "kv_read(cache, %d)", k);
        EXPECT(c, e, rc);
        snprintf(e, sizeof e, "kv_written(cache, %d)", k);
        EXPECT(c, e, Lyr * (W ? fmin(n, W) : n) * kv * 8);
        snprintf(e, sizeof e, "intensity(cache, %d)", k);
        EXPECT(c, e, 2 * macs_c / (wc + rc));
        /* recompute: every step is a dense pass over t rows; nothing written */
        const double macs_r = Lyr * (t * d * d + 2 * t * d * kv + 2 * t * t * d + t * d * d +
                                     2 * t * d * F) + d * V;
        const double wr = matrices + 2 * t * d * 4, rr = Lyr * t * kv * 8;
        snprintf(e, sizeof e, "weight_bytes(recompute, %d)", k);
        EXPECT(c, e, wr);
        snprintf(e, sizeof e, "kv_read(recompute, %d)", k);
        EXPECT(c, e, rr);
        snprintf(e, sizeof e, "kv_written(recompute, %d)", k);
        EXPECT(c, e, 0);
        snprintf(e, sizeof e, "intensity(recompute, %d)", k);
        EXPECT(c, e, 2 * macs_r / (wr + rr));
    }
    /* train: one pass over L rows, the head at every position */
    const double macs_t = Lyr * (L * d * d + 2.0 * L * d * kv + 2.0 * L * L * d + L * d * d +
                                 2.0 * L * d * F) + L * d * V;
    const double wt = matrices + 2.0 * L * d * 4, rt = Lyr * (double)L * kv * 8;
    EXPECT(c, "weight_bytes(train, 0)", wt);
    EXPECT(c, "kv_read(train, 0)", rt);
    EXPECT(c, "kv_written(train, 0)", 0);
    EXPECT(c, "intensity(train, 0)", 2 * macs_t / (wt + rt));
}

static void test_memory_functions_grid(void **state)
{
    (void)state;
    static const struct {
        const char *model, *prompt;
        int d, H, Hkv, Lyr, F, L, G, W, B;
    } cases[] = {
        /* the default model, MQA, a prefill longer than the window, blocks of 4 */
        {"kv-heads=1 window=6 block-size=4", "the cat sat", 8, 2, 1, 2, 32, 11, 6, 6, 4},
        {"d-model=12 heads=4 kv-heads=2 layers=3 d-ff=20 block-size=3", "hello", 12, 4, 2, 3, 20,
         5, 9, 0, 3},
        {"layers=1 d-ff=16 window=5 block-size=1", "预填充", 8, 2, 2, 1, 16, 3, 10, 5, 1},
        {"d-model=6 heads=3 layers=2 d-ff=7 max-seq=12 block-size=12", "ab", 6, 3, 3, 2, 7, 2,
         10, 0, 12},
        {"window=3", "hello", 8, 2, 2, 2, 32, 5, 4, 3, 0},
        {"", "my cat", 8, 2, 2, 2, 32, 6, 4, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], err[512];
        snprintf(text, sizeof text,
                 "lesson: 1\nid: x\nlang: en\ntitle: T\n--- slide: S\n%s%s%sprompt: %s\ngen: %d\n",
                 cases[i].model[0] ? "model: " : "", cases[i].model, cases[i].model[0] ? "\n" : "",
                 cases[i].prompt, cases[i].G);
        Lesson l = parse_ok(text);
        SlideSetup s = lesson_state_at(&l, 0);
        EvalContext ctx;
        if (eval_context_init(&ctx, &s, err, sizeof err)) fail_msg("%s", err);
        check_memory(&ctx, cases[i].d, cases[i].H, cases[i].Hkv, cases[i].Lyr, cases[i].F,
                     cases[i].L, cases[i].G, cases[i].W, cases[i].B);
        if (!cases[i].B) {
            double v;
            assert_int_equal(eval_expr(&ctx, "kv_blocks(0)", &v, err, sizeof err), -1);
            assert_non_null(strstr(err, "the cache is not paged in this set-up; add block-size=B"));
        }
        eval_context_free(&ctx);
        lesson_free(&l);
    }
}

/* calc(): the figures of spec §6.6, docs/calc.md and the papers they cite. */
static void test_calc_functions(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    /* Llama-2-7B fp16: 2·32·4096·2 = 524,288 B per token, 2 GiB at 4096 */
    EXPECT(c, "calc(llama-2-7b, kv_bytes_per_token)", 524288);
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 4096)", 2147483648.0);
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 4096) / 2^30", 2);
    EXPECT(c, "calc( llama-2-7b , kv_cache_bytes )", 2147483648.0);   /* default T: 4096 */
    /* OPT-13B: 800 KiB per token, 1.6 GB for 2048 tokens (vLLM paper) */
    EXPECT(c, "calc(opt-13b, kv_bytes_per_token)", 819200);
    EXPECT(c, "calc(opt-13b, kv_cache_bytes, 2048)", 1677721600.0);
    /* the curriculum's 17.2 GB with 32 K/V heads, 4.3 GB with 8, at 32k in 16 bits */
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 32768)", 17179869184.0);
    EXPECT(c, "calc(llama-3-8b, kv_cache_bytes, 32768)", 4294967296.0);
    /* Mistral's window caps the cache at 4096 positions: 512 MiB */
    EXPECT(c, "calc(mistral-7b, kv_positions, 32768)", 4096);
    EXPECT(c, "calc(mistral-7b, kv_cache_bytes, 32768)", 536870912.0);
    EXPECT(c, "calc(mistral-7b, kv_cache_bytes, 1000)", 131072000.0);
    /* bytes per number and batch */
    EXPECT(c, "calc(llama-2-7b, kv_bytes_per_token, 4096, 4)", 1048576);
    EXPECT(c, "calc(llama-2-7b, kv_bytes_per_token, 4096, 1)", 262144);
    EXPECT(c, "calc(llama-2-7b, kv_cache_bytes, 4096, 2, 8)", 8 * 2147483648.0);
    EXPECT(c, "calc(llama-2-7b, batch, 4096, 2, 8)", 8);
    /* defaults: the model's trained context, 2 bytes, batch 1 */
    EXPECT(c, "calc(llama-2-7b, context)", 4096);
    EXPECT(c, "calc(mistral-7b, context)", 32768);
    EXPECT(c, "calc(gpt2, context)", 1024);
    EXPECT(c, "calc(gpt2, bytes_per_number)", 2);
    EXPECT(c, "calc(gpt2, batch)", 1);
    /* shapes (papers' tables) and parameter counts (docs/calc.md §3.2) */
    EXPECT(c, "calc(llama-3-8b, n_kv_heads)", 8);
    EXPECT(c, "calc(llama-3-8b, n_heads) / calc(llama-3-8b, n_kv_heads)", 4);
    EXPECT(c, "calc(opt-13b, n_layers) + calc(opt-13b, d_model)", 40 + 5120);
    EXPECT(c, "calc(llama-2-7b, d_head)", 128);
    EXPECT(c, "calc(mistral-7b, window)", 4096);
    EXPECT(c, "calc(gpt2, params)", 124439808);
    EXPECT(c, "calc(llama-2-7b, params)", 6738415616.0);
    EXPECT(c, "calc(llama-3-8b, params)", 8030261248.0);
    EXPECT(c, "calc(llama-2-7b, weights_bytes)", 2 * 6738415616.0);
    /* decode with the cache, Llama-2-7B at 4096 (docs/calc.md §3.3, by hand) */
    EXPECT(c, "calc(llama-2-7b, flops_per_token_decode_cache)", 15361638400.0);
    EXPECT(c, "calc(llama-2-7b, decode_kv_bytes_read)", 2147483648.0);
    EXPECT(c, "calc(llama-2-7b, decode_kv_bytes_written)", 524288);
    EXPECT(c, "calc(llama-2-7b, machine_balance)", 295);
    assert_true(fabs(ev(c, "calc(llama-2-7b, arithmetic_intensity)") - 0.999931) < 1e-6);
    /* batching: 440 for Llama-3-8B at 128 (§3.5); none for Llama-2-7B at 4096 */
    EXPECT(c, "calc(llama-3-8b, decode_batch_for_balance, 128)", 440);
    EXPECT(c, "calc(llama-2-7b, decode_batch_for_balance, 4096)", 0);
    assert_true(ev(c, "calc(llama-3-8b, arithmetic_intensity, 128, 2, 440)") >= 295);
    assert_true(ev(c, "calc(llama-3-8b, arithmetic_intensity, 128, 2, 439)") < 295);
    /* paging closed forms, and plain arithmetic */
    EXPECT(c, "blocks_for(11, 4)", 3);
    EXPECT(c, "blocks_for(12, 4)", 3);
    EXPECT(c, "blocks_for(0, 4)", 0);
    EXPECT(c, "blocks_for(1000, 16)", 63);
    EXPECT(c, "waste_for(11, 4, 1) + waste_for(2, 4, 1) + waste_for(15, 4, 1)", 4);
    EXPECT(c, "waste_for(11, 4, 128)", 128);
    EXPECT(c, "waste_for(1000, 16, calc(opt-13b, kv_bytes_per_token))", 8 * 819200.0);
    EXPECT(c, "min(3, L) + max(3, L)", 8);
    EXPECT(c, "ceil(2.1) + floor(2.9) + ceil(-0.5)", 5);
    EXPECT(c, "round(2.5) + round(-2.5)", 0);
    EXPECT(c, "round(12.55134, 2)", 12.55);
    EXPECT(c, "round(1/3, 4)", 0.3333);
}

static void test_memory_errors(void **state)
{
    EvalContext *c = &((EvalFx *)*state)->ctx;
    expect_eval_error(c, "calc(gpt-5, params)", "unknown model 'gpt-5' at column 6; expected gpt2, "
                                                "llama-2-7b, llama-3-8b, mistral-7b, opt-13b");
    expect_eval_error(c, "calc(llama-2-7b-chat, params)", "unknown model 'llama-2-7b-chat'");
    expect_eval_error(c, "calc(llama, params)", "unknown model 'llama'");
    expect_eval_error(c, "calc(2, params)", "calc: argument 1 must be a model name");
    expect_eval_error(c, "calc(llama-2-7b, kv_bytes)", "unknown calc field 'kv_bytes' at column 18");
    expect_eval_error(c, "calc(llama-2-7b, 3)", "calc: argument 2 must be a calc field");
    expect_eval_error(c, "calc(llama-2-7b)", "calc() takes 2 to 5 arguments");
    expect_eval_error(c, "calc(llama-2-7b, params, 1, 2, 3, 4)", "calc() takes 2 to 5 arguments");
    expect_eval_error(c, "calc(llama-2-7b, params, 0)", "context = 0 must be a whole number");
    expect_eval_error(c, "calc(llama-2-7b, params, 10.5)", "context = 10.5 must be a whole number");
    expect_eval_error(c, "calc(llama-2-7b, params, 4096, 3)",
                      "bytes per number 3; expected 4 (fp32), 2 (fp16, bf16) or 1 (int8)");
    expect_eval_error(c, "calc(llama-2-7b, params, 4096, 2, 0)", "batch = 0 must be a whole number");
    expect_eval_error(c, "calc(llama-2-7b, params, 1e12)", "would overflow 64 bits");
    expect_eval_error(c, "llama-2-7b", "unknown name 'llama'");
    expect_eval_error(c, "kv_blocks(0)", "the cache is not paged in this set-up");
    expect_eval_error(c, "kv_waste(9)", "step 9 out of range 0..3");
    expect_eval_error(c, "intensity(cache, 4)", "step 4 out of range 0..3");
    expect_eval_error(c, "kv_read(train, 1)", "step 1 out of range 0..0");
    expect_eval_error(c, "weight_bytes(memory, 0)", "unknown mode 'memory'");
    expect_eval_error(c, "kv_written(0)", "argument 1 must be a mode");
    expect_eval_error(c, "blocks_for(1, 0)", "blocks_for(): B = 0 must be a whole number >= 1");
    expect_eval_error(c, "blocks_for(-1, 4)", "blocks_for(): T = -1 must be a whole number >= 0");
    expect_eval_error(c, "waste_for(1, 4, -2)", "waste_for(): BYTES = -2 must be >= 0");
    expect_eval_error(c, "waste_for(1, 4)", "waste_for() takes 3 arguments");
    expect_eval_error(c, "round(1, 10)", "digits 10 out of range 0..9");
    expect_eval_error(c, "round(1, 2, 3)", "round() takes 1 or 2 arguments");
    expect_eval_error(c, "min(1)", "min() takes 2 arguments");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_options),
        cmocka_unit_test(test_model_option_errors),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_trained_weights),
        cmocka_unit_test(test_memory_functions_grid),
        cmocka_unit_test_setup_teardown(test_calc_functions, setup_eval, teardown_eval),
        cmocka_unit_test_setup_teardown(test_memory_errors, setup_eval, teardown_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
