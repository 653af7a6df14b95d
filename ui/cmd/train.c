/* train_cmd: `kvsim train` — train a model with sim/train.h on the data
 * recipe of sim/traindata.h and write a model file (docs/training.md).
 *
 * A thin command: options, the step loop, progress lines, Ctrl-C. The
 * arithmetic is all in sim/.
 */
#include "ui/cmd/train.h"

#include "sim/modelfile.h"
#include "sim/tokenizer.h"
#include "sim/train.h"
#include "sim/traindata.h"
#include "sim/traineval.h"
#include "ui/cmd/cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    KvConfig cfg;
    int steps, copy_steps, batch, every;
    int short_steps, short_max;   /* curriculum: the first short_steps copy rows are 3..short_max long */
    int copy_min, copy_max;       /* copy phrase lengths after the curriculum */
    int mask_first;               /* 1: no loss where a copy row cannot be predicted */
    float emb_std;                /* initial token and position embeddings N(0, emb_std) */
    int copy_pct, words_pct;      /* phase 2: copy and words rows in percent; the rest is text */
    int repeat_pct;               /* phase 2: repeated corpus sentences (words swapped), in percent */
    int same_lang;                /* 1: a words row keeps to one language */
    int swap_pct;                 /* repeat rows: chance in percent that a word is swapped */
    bool untied;
    float lr;
    int warmup;
    uint64_t seed;        /* weights and data */
    const char *data_dir, *out, *resume;
    const char *dump_dir; /* hidden --dump-batches DIR: tools/bench/train_torch.py replays the run */
    bool show_alphabet, eval_only;
} TrainOptions;

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_time(char *b, size_t n, double s)
{
    long t = (long)(s + 0.5);
    snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

/* The help text lives in ui/cmd/cli_table.c (CMD_TRAIN's rows), so that
 * `kvsim --help`, `kvsim help train`, this and docs/kvsim.1 agree. */
void train_cmd_usage(FILE *f) { cli_usage(f, CMD_TRAIN); }

static int parse(int argc, char **argv, TrainOptions *o, char *err, size_t errlen)
{
    enum { O_OUT = 256, O_DATA, O_STEPS, O_COPY, O_BATCH, O_LR, O_WARM, O_D, O_H, O_KV, O_L, O_F,
           O_N, O_W, O_SEED, O_EVERY, O_RESUME, O_EVAL, O_SHOW, O_HELP, O_SHORT, O_SHORTMAX,
           O_DUMP, O_CMIN, O_CMAX, O_MASK, O_EMB, O_TIED, O_CPCT, O_WPCT, O_RPCT, O_SAME, O_SWAP, O_ROPE };
    static const struct option opts[] = {
        {"out", required_argument, NULL, O_OUT}, {"data", required_argument, NULL, O_DATA},
        {"steps", required_argument, NULL, O_STEPS}, {"copy-steps", required_argument, NULL, O_COPY},
        {"batch", required_argument, NULL, O_BATCH}, {"lr", required_argument, NULL, O_LR},
        {"warmup", required_argument, NULL, O_WARM}, {"d-model", required_argument, NULL, O_D},
        {"heads", required_argument, NULL, O_H}, {"kv-heads", required_argument, NULL, O_KV},
        {"layers", required_argument, NULL, O_L}, {"d-ff", required_argument, NULL, O_F},
        {"max-seq", required_argument, NULL, O_N}, {"window", required_argument, NULL, O_W},
        {"seed", required_argument, NULL, O_SEED}, {"every", required_argument, NULL, O_EVERY},
        {"resume", required_argument, NULL, O_RESUME}, {"eval", required_argument, NULL, O_EVAL},
        {"show-alphabet", no_argument, NULL, O_SHOW}, {"help", no_argument, NULL, O_HELP},
        {"short-steps", required_argument, NULL, O_SHORT},
        {"short-max", required_argument, NULL, O_SHORTMAX},
        {"dump-batches", required_argument, NULL, O_DUMP},
        {"emb-std", required_argument, NULL, O_EMB}, {"mask-first", required_argument, NULL, O_MASK},
        {"copy-min", required_argument, NULL, O_CMIN}, {"copy-max", required_argument, NULL, O_CMAX},
        {"tied", no_argument, NULL, O_TIED}, {"copy-pct", required_argument, NULL, O_CPCT},
        {"words-pct", required_argument, NULL, O_WPCT}, {"repeat-pct", required_argument, NULL, O_RPCT},
        {"same-lang", required_argument, NULL, O_SAME}, {"swap-pct", required_argument, NULL, O_SWAP},
        {"rope", no_argument, NULL, O_ROPE},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->cfg = config_default();
    o->cfg.d_model = 32;
    o->cfg.n_heads = o->cfg.n_kv_heads = 2;
    o->cfg.d_ff = 0;
    /* the recipe of the shipped model (docs/training.md) */
    o->steps = 3500;
    o->copy_steps = 800;
    o->short_steps = 0;
    o->short_max = 8;
    o->copy_min = 3;
    o->copy_max = 20;
    o->mask_first = 1;
    o->copy_pct = 30;
    o->words_pct = 25;
    o->repeat_pct = 25;
    o->same_lang = 1;
    o->swap_pct = 0;
    o->emb_std = 1.0f;
    o->untied = true;
    o->batch = 32;
    o->every = 250;
    o->lr = 1e-2f;
    o->warmup = 100;
    o->seed = 1;
    o->data_dir = "data";
    o->out = "models/default.kvsim";
    int kv = 0;
    long long v;
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case O_OUT: o->out = a; break;
        case O_DATA: o->data_dir = a; break;
        case O_RESUME: o->resume = a; break;
        case O_EVAL: o->resume = a; o->eval_only = true; break;
        case O_SHOW: o->show_alphabet = true; break;
        case O_TIED: o->untied = false; break;
        case O_ROPE: o->cfg.rope = true; break;
        case O_DUMP: o->dump_dir = a; break;
        case O_EMB: {
            char *end = NULL;
            errno = 0;
            double x = strtod(a, &end);
            if (end == a || *end || errno || !(x > 0 && x <= 10)) {
                snprintf(err, errlen, "--emb-std '%s': expected a number above 0, at most 10", cli_clip(a));
                return -1;
            }
            o->emb_std = (float)x;
            break;
        }
        case 'h':   /* -h, as every command */
        case O_HELP: train_cmd_usage(stdout); exit(0);
        case O_LR: {
            char *end = NULL;
            errno = 0;
            double x = strtod(a, &end);
            if (end == a || *end || errno || !(x > 0 && x < 1)) {
                snprintf(err, errlen, "--lr '%s': expected a number between 0 and 1", cli_clip(a));
                return -1;
            }
            o->lr = (float)x;
            break;
        }
        case O_SEED:
            if (cli_parse_int("seed", a, 0, 0x7FFFFFFFFFFFFFFFLL, &v, err, errlen)) return -1;
            o->seed = (uint64_t)v;
            break;
        case ':': snprintf(err, errlen, "%s: missing value", cli_clip(argv[optind - 1])); return -1;
        case '?': snprintf(err, errlen, "%s: unknown option for 'kvsim train'", cli_clip(argv[optind - 1])); return -1;
        default: {
            static const struct { int code; const char *name; long long lo, hi; } ints[] = {
                {O_STEPS, "steps", 1, 10000000}, {O_COPY, "copy-steps", 0, 10000000},
                {O_BATCH, "batch", 1, 4096}, {O_WARM, "warmup", 0, 10000000},
                {O_D, "d-model", 1, 4096}, {O_H, "heads", 1, 4096}, {O_KV, "kv-heads", 1, 4096},
                {O_L, "layers", 1, 64}, {O_F, "d-ff", 1, 65536}, {O_N, "max-seq", 2, 4096},
                {O_W, "window", 1, 4096}, {O_EVERY, "every", 1, 10000000},
                {O_SHORT, "short-steps", 0, 10000000}, {O_SHORTMAX, "short-max", 2, 64},
                {O_CMIN, "copy-min", 1, 64}, {O_MASK, "mask-first", 0, 1},
                {O_CPCT, "copy-pct", 0, 100}, {O_WPCT, "words-pct", 0, 100}, {O_CMAX, "copy-max", 1, 64},
                {O_RPCT, "repeat-pct", 0, 100}, {O_SAME, "same-lang", 0, 1}, {O_SWAP, "swap-pct", 0, 100}};
            for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
                if (ints[i].code == ch) {
                    if (cli_parse_int(ints[i].name, a, ints[i].lo, ints[i].hi, &v, err, errlen)) return -1;
                    const int x = (int)v;
                    switch (ch) {
                    case O_STEPS: o->steps = x; break;
                    case O_COPY: o->copy_steps = x; break;
                    case O_BATCH: o->batch = x; break;
                    case O_WARM: o->warmup = x; break;
                    case O_D: o->cfg.d_model = x; break;
                    case O_H: o->cfg.n_heads = x; break;
                    case O_KV: kv = x; break;
                    case O_L: o->cfg.n_layers = x; break;
                    case O_F: o->cfg.d_ff = x; break;
                    case O_N: o->cfg.max_seq = x; break;
                    case O_W: o->cfg.window = x; break;
                    case O_SHORT: o->short_steps = x; break;
                    case O_SHORTMAX: o->short_max = x; break;
                    case O_CMIN: o->copy_min = x; break;
                    case O_MASK: o->mask_first = x; break;
                    case O_CPCT: o->copy_pct = x; break;
                    case O_WPCT: o->words_pct = x; break;
                    case O_RPCT: o->repeat_pct = x; break;
                    case O_SAME: o->same_lang = x; break;
                    case O_SWAP: o->swap_pct = x; break;
                    case O_CMAX: o->copy_max = x; break;
                    default: o->every = x; break;
                    }
                }
        }
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "'%s': unexpected argument for 'kvsim train'", cli_clip(argv[optind]));
        return -1;
    }
    if (o->copy_pct + o->words_pct + o->repeat_pct > 100) {
        snprintf(err, errlen, "--copy-pct %d, --words-pct %d and --repeat-pct %d add up to over 100",
                 o->copy_pct, o->words_pct, o->repeat_pct);
        return -1;
    }
    if (o->cfg.rope && o->dump_dir) {
        snprintf(err, errlen, "--dump-batches: the PyTorch replay has no RoPE; drop --rope");
        return -1;
    }
    if (o->copy_min > o->copy_max) {
        snprintf(err, errlen, "--copy-min %d is above --copy-max %d", o->copy_min, o->copy_max);
        return -1;
    }
    o->cfg.n_kv_heads = kv ? kv : o->cfg.n_heads;
    if (!o->cfg.d_ff) o->cfg.d_ff = 4 * o->cfg.d_model;
    o->cfg.seed = o->seed;
    return 0;
}

static void print_alphabet(FILE *f, const int32_t *a, int n)
{
    fprintf(f, "%d characters:\n", n);
    for (int i = 0; i < n; i++) {
        char b[5];
        b[utf8_encode(a[i], b)] = '\0';
        fputs(b, f);
    }
    fputc('\n', f);
}

/* Encode text with the model's alphabet; -1 when a character is missing. */
static int encode_with(const int32_t *alpha, int V, const char *text, int *ids, int cap)
{
    int n = 0;
    for (const char *s = text; *s && n < cap;) {
        int32_t cp;
        int k = utf8_next(s, &cp);
        if (k <= 0) return -1;
        int id = -1;
        for (int i = 0; i < V; i++)
            if (alpha[i] == cp) id = i;
        if (id < 0) return -1;
        ids[n++] = id;
        s += k;
    }
    return n;
}

/* The measurements of docs/training.md, printed. */
static void report(Model *m, const int32_t *alpha, FILE *f)
{
    model_repack(m);   /* the engine multiplies by the packed copy */
    CopyScore cs;
    if (traineval_copy(m, TRAINEVAL_COPY_SEED, 200, &cs) == 0)
        fprintf(f, "held-out copy: %.2f%% of %ld repeated positions, %.2f%% of %ld where two characters pick the source\n",
                100.0 * (double)cs.correct / (double)cs.total, cs.total,
                100.0 * (double)cs.unique_correct / (double)cs.unique, cs.unique);
    static const char *const prompts[] = {
        "the cat sat on the mat. the cat", "my dog likes red balls. my dog",
        "\xE6\x88\x91\xE6\x98\xAF\xE4\xB8\x80\xE4\xB8\xAA\xE5\xAD\xA6\xE7\x94\x9F\xE3\x80\x82\xE6\x88\x91\xE6\x98\xAF",
        "\xE7\x8C\xAB\xE5\x9C\xA8\xE5\xBA\x8A\xE4\xB8\x8A\xE7\x9D\xA1\xE8\xA7\x89\xE3\x80\x82\xE7\x8C\xAB\xE5\x9C\xA8",
        "hello, ", "\xE6\x88\x91\xE6\x98\xAF"};
    int ids[256], outi[64];
    for (size_t p = 0; p < sizeof prompts / sizeof prompts[0]; p++) {
        const int L = encode_with(alpha, m->cfg.vocab, prompts[p], ids, 256);
        const int G = m->cfg.max_seq - L < 16 ? m->cfg.max_seq - L : 16;
        if (L < 1 || G < 1 || traineval_greedy(m, ids, L, G, outi)) continue;
        fprintf(f, "  %s|", prompts[p]);
        for (int k = 0; k < G; k++) {
            char b[5];
            b[utf8_encode(alpha[outi[k]], b)] = '\0';
            fputs(b, f);
        }
        fputc('\n', f);
    }
    const int L = encode_with(alpha, m->cfg.vocab, "the cat sat on the mat. the cat sat on the mat.", ids, 256);
    float ind[64], prev[64], hind[64], hprev[64];
    /* and a held-out random phrase of 12 written twice (as tests/test_trained.c) */
    int held[24];
    Rng r;
    rng_init(&r, TRAINEVAL_COPY_SEED ^ 0x1234u);
    for (int i = 0; i < 12; i++) held[i] = held[i + 12] = (int)(rng_next(&r) % (uint64_t)m->cfg.vocab);
    if (L > 0 && L <= m->cfg.max_seq && m->cfg.max_seq >= 24 && m->cfg.n_layers * m->cfg.n_heads <= 64 &&
        traineval_heads(m, ids, L, ind, prev) == 0 && traineval_heads(m, held, 24, hind, hprev) == 0)
        for (int l = 0; l < m->cfg.n_layers; l++)
            for (int h = 0; h < m->cfg.n_heads; h++) {
                const int k = l * m->cfg.n_heads + h;
                fprintf(f, "  head %d.%d: induction %.2f  previous-token %.2f (held-out phrase: %.2f  %.2f)\n",
                        l, h, ind[k], prev[k], hind[k], hprev[k]);
            }
}

/* modelfile_load for option opt (--eval, --resume): its messages read
 * "--model PATH: ...", so they are given the option the user typed (and
 * at most 48 bytes of the path, as every message quotes). */
static int load_for(const char *opt, ModelFile *mf, const char *path, char *err, size_t errlen)
{
    if (modelfile_load(mf, path, err, errlen) == 0) return 0;
    const size_t n = strlen(path);
    if (!strncmp(err, "--model ", 8) && !strncmp(err + 8, path, n)) {
        char rest[512];
        const size_t m = strnlen(err + 8 + n, sizeof rest - 1);
        memcpy(rest, err + 8 + n, m);   /* ": cannot open the file" */
        rest[m] = '\0';
        snprintf(err, errlen, "--%s %s%.400s", opt, cli_clip(path), rest);
    }
    return -1;
}

int train_cmd_run(int argc, char **argv)
{
    TrainOptions o;
    char err[512], path[4096];
    if (parse(argc, argv, &o, err, sizeof err)) return cli_bad_input(CMD_TRAIN, err);
    if (o.eval_only) {
        ModelFile mf;
        if (load_for("eval", &mf, o.resume, err, sizeof err)) return cli_bad_input(CMD_TRAIN, err);
        if (o.show_alphabet) print_alphabet(stdout, mf.alphabet, mf.model.cfg.vocab);
        else report(&mf.model, mf.alphabet, stdout);
        modelfile_free(&mf);
        return 0;
    }
    TrainData td;
    char extra[4096];
    snprintf(path, sizeof path, "%s/corpus.txt", o.data_dir);
    snprintf(extra, sizeof extra, "%s/alphabet-extra.txt", o.data_dir);
    if (traindata_load(&td, path, extra, err, sizeof err)) {
        fprintf(stderr, "kvsim: %s\n", err);
        return 2;
    }
    if (o.show_alphabet) {
        print_alphabet(stdout, td.alphabet, td.n_alphabet);
        traindata_free(&td);
        return 0;
    }
    o.cfg.vocab = td.n_alphabet;
    if (config_validate(&o.cfg, 0, 0, err, sizeof err)) {
        traindata_free(&td);
        return cli_bad_input(CMD_TRAIN, err);
    }

    const int B = o.batch, T = o.cfg.max_seq;
    Model m;
    Adam opt;
    Trainer t;
    AdamConfig ac = adam_default(o.steps);
    ac.lr = o.lr;
    ac.warmup = o.warmup;
    Rng data;
    rng_init(&data, o.seed ^ 0xDA7A5EEDULL);
    int rc = 1;
    int *inp = malloc(sizeof(int) * (size_t)B * T), *tgt = malloc(sizeof(int) * (size_t)B * T);
    if (!inp || !tgt || model_alloc(&m, &o.cfg) || adam_init(&opt, &o.cfg, &ac) ||
        trainer_init(&t, &o.cfg, B, T)) {
        fprintf(stderr, "kvsim: out of memory\n");
        return 1;
    }
    train_init_weights(&m, o.seed);
    train_scale_embeddings(&m, o.emb_std);
    if (!o.untied) train_tie_weights(&m);
    if (o.resume) {
        ModelFile mf;
        if (load_for("resume", &mf, o.resume, err, sizeof err)) {
            rc = cli_bad_input(CMD_TRAIN, err);
            goto release;   /* everything above is freed, as on any other way out */
        }
        const KvConfig *c = &mf.model.cfg;
        if (!mf.has_state || c->vocab != o.cfg.vocab || c->d_model != o.cfg.d_model ||
            c->n_heads != o.cfg.n_heads || c->n_kv_heads != o.cfg.n_kv_heads ||
            c->n_layers != o.cfg.n_layers || c->d_ff != o.cfg.d_ff || c->max_seq != o.cfg.max_seq ||
            c->rope != o.cfg.rope) {
            fprintf(stderr, "kvsim: --resume %s: %s\n", o.resume,
                    mf.has_state ? "its shape or alphabet differs from this run's options"
                                 : "not a checkpoint (no optimiser state)");
            modelfile_free(&mf);
            rc = 2;
            goto release;
        }
        float *dst[16], *src[16];
        size_t n[16];
        Model *pairs[3][2] = {{&m, &mf.model}, {&opt.m, &mf.state.adam_m}, {&opt.v, &mf.state.adam_v}};
        for (int p = 0; p < 3; p++) {
            const int k = model_arrays(pairs[p][0], dst, n, 16);
            model_arrays(pairs[p][1], src, n, 16);
            for (int i = 0; i < k; i++)
                if (n[i]) memcpy(dst[i], src[i], sizeof(float) * n[i]);   /* RoPE: no pos_emb */
        }
        opt.step = (long)mf.state.step;
        data.s = mf.state.rng;
        modelfile_free(&mf);
        printf("resumed %s at step %ld\n", o.resume, opt.step);
    }

    FILE *dump_b = NULL, *dump_l = NULL;
    if (o.dump_dir) {   /* the initial weights, then every batch and loss */
        snprintf(path, sizeof path, "%s/init.kvsim", o.dump_dir);
        if (modelfile_save(path, &m, td.alphabet, NULL, err, sizeof err)) {
            fprintf(stderr, "kvsim: %s\n", err);
            return 2;
        }
        snprintf(path, sizeof path, "%s/batches.bin", o.dump_dir);
        dump_b = fopen(path, "wb");
        snprintf(path, sizeof path, "%s/losses.txt", o.dump_dir);
        dump_l = fopen(path, "w");
        if (!dump_b || !dump_l) {
            fprintf(stderr, "kvsim: --dump-batches %s: cannot write there\n", o.dump_dir);
            return 2;
        }
    }
    TrainMix mix = {.copy_pct = o.copy_pct, .words_pct = o.words_pct, .copy_min = o.copy_min, .copy_max = o.copy_max,
                   .mask_first = o.mask_first, .repeat_pct = o.repeat_pct, .same_lang = o.same_lang,
                   .swap_pct = o.swap_pct};
    printf("training d %d, heads %d (kv %d), layers %d, d-ff %d, N %d, V %d%s: %zu weights; "
           "batch %d x %d, %d steps (%d copy-only, %d short), lr %g, %s, seed %llu\n",
           o.cfg.d_model, o.cfg.n_heads, o.cfg.n_kv_heads, o.cfg.n_layers, o.cfg.d_ff, T,
           o.cfg.vocab, o.cfg.rope ? ", RoPE" : "", model_param_count(&o.cfg), B, T, o.steps, o.copy_steps, o.short_steps,
           (double)o.lr, o.untied ? "untied head" : "tied head", (unsigned long long)o.seed);
    fflush(stdout);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    const double t0 = now_s();
    const long first = opt.step;
    double loss_sum = 0, t_eval = 0;   /* t_eval: time spent measuring, not training */
    int loss_n = 0;
    float loss = 0;
    while (opt.step < o.steps && !stop_signal) {
        const int phase = opt.step < o.copy_steps ? 1 : 2;
        /* curriculum: the longest copy phrase grows from --short-max to 20
         * over the first --short-steps steps */
        mix.copy_max = opt.step < o.short_steps
                           ? o.short_max + (int)((o.copy_max - o.short_max) * opt.step / o.short_steps)
                           : o.copy_max;
        if (mix.copy_max < mix.copy_min) mix.copy_max = mix.copy_min;
        for (int b = 0; b < B; b++)
            traindata_row(&td, &data, phase, &mix, inp + (size_t)b * T, tgt + (size_t)b * T, T);
        loss = trainer_forward(&t, &m, inp, tgt);
        trainer_backward(&t, &m, inp, tgt);
        if (!o.untied) train_tie_grads(&t.grad);
        const float lr_now = adam_lr(&ac, opt.step);
        if (dump_b && opt.step == first) {   /* the first gradient, as a model file */
            snprintf(path, sizeof path, "%s/grad0.kvsim", o.dump_dir);
            modelfile_save(path, &t.grad, td.alphabet, NULL, err, sizeof err);
        }
        const float gnorm = adam_update(&opt, &m, &t.grad);
        if (!o.untied) train_tie_weights(&m);
        if (dump_b) {   /* (B, T) int32 inputs, then (B, T) int32 targets */
            for (int i = 0; i < 2 * B * T; i++) {
                const int32_t x = i < B * T ? inp[i] : tgt[i - B * T];
                fwrite(&x, sizeof x, 1, dump_b);
            }
            fprintf(dump_l, "%ld %.9g %.9g %.9g\n", opt.step - 1, (double)loss, (double)gnorm,
                    (double)lr_now);
            if (opt.step == first + 1) {
                snprintf(path, sizeof path, "%s/step1.kvsim", o.dump_dir);
                modelfile_save(path, &m, td.alphabet, NULL, err, sizeof err);
            }
        }
        loss_sum += loss;
        loss_n++;
        if (opt.step % o.every == 0 || opt.step == o.steps) {
            const double el = now_s() - t0 - t_eval, done = (double)(opt.step - first);
            char e1[32], e2[32];
            fmt_time(e1, sizeof e1, el);
            fmt_time(e2, sizeof e2, el / done * (double)(o.steps - opt.step));
            CopyScore cs = {0};
            const double ev0 = now_s();
            traineval_copy(&m, TRAINEVAL_COPY_SEED, 50, &cs);
            t_eval += now_s() - ev0;
            printf("step %5ld/%d  phase %d  loss %.4f  copy %.1f%%  lr %.2e  %.0f tok/s  %.2f GFLOP/s  elapsed %s  ETA %s\n",
                   opt.step, o.steps, phase, loss_sum / loss_n,
                   cs.total ? 100.0 * (double)cs.correct / (double)cs.total : 0.0,
                   (double)adam_lr(&ac, opt.step - 1), done * B * T / el,
                   2e-9 * (double)(t.macs_fwd + t.macs_bwd) / el, e1, e2);
            fflush(stdout);
            loss_sum = 0;
            loss_n = 0;
        }
    }
    const double el = now_s() - t0;
    if (stop_signal) {
        ModelFileState st = {.step = (uint64_t)opt.step, .rng = data.s, .adam_m = opt.m, .adam_v = opt.v};
        snprintf(path, sizeof path, "%s.ckpt", o.out);
        if (modelfile_save(path, &m, td.alphabet, &st, err, sizeof err)) {
            fprintf(stderr, "kvsim: %s\n", err);
        } else {
            printf("stopped at step %ld; checkpoint %s (kvsim train --resume %s with the same options)\n",
                   opt.step, path, path);
        }
        rc = 128 + (int)stop_signal;
    } else if (modelfile_save(o.out, &m, td.alphabet, NULL, err, sizeof err)) {
        fprintf(stderr, "kvsim: %s\n", err);
        rc = 1;
    } else {
        char e1[32];
        fmt_time(e1, sizeof e1, el);
        printf("done: %ld steps in %s, last loss %.4f, %llu MACs forward + %llu backward; wrote %s\n",
               opt.step - first, e1, (double)loss, (unsigned long long)t.macs_fwd,
               (unsigned long long)t.macs_bwd, o.out);
        report(&m, td.alphabet, stdout);
        rc = 0;
    }
    if (dump_b) fclose(dump_b);
    if (dump_l) fclose(dump_l);
release:
    free(inp);
    free(tgt);
    trainer_free(&t);
    adam_free(&opt);
    model_free(&m);
    traindata_free(&td);
    return rc;
}
