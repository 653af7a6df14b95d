/* modelfile: see modelfile.h and docs/model-format.md. */
#include "sim/modelfile.h"

#include "sim/tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)
#define HEADER_BYTES 60   /* magic 8, version 4, flags 4, 8 × u32 config, u64 seed, u32 alphabet bytes */

uint32_t modelfile_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void wr64(unsigned char *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static size_t weight_floats(const KvConfig *c) { return model_param_count(c); }

/* Read count floats into dst, refusing NaN and infinities. */
static int read_floats(float *dst, const unsigned char *p, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint32_t u = rd32(p + 4 * i);
        memcpy(&dst[i], &u, sizeof u);
        if (!isfinite(dst[i])) return -1;
    }
    return 0;
}

static void write_floats(unsigned char *p, const float *src, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &src[i], sizeof u);
        wr32(p + 4 * i, u);
    }
}

static const char *const array_names[15] = {
    "tok_emb", "pos_emb", "ln1_g", "ln1_b", "wq", "wk", "wv", "wo",
    "ln2_g", "ln2_b", "w1", "w2", "lnf_g", "lnf_b", "wout"};

/* Fill every array of m from p; returns bytes read, or 0 with err set. */
static size_t read_model(Model *m, const unsigned char *p, const char *what, char *err,
                         size_t errlen)
{
    float *arr[16];
    size_t cnt[16], off = 0;
    const int k = model_arrays(m, arr, cnt, 16);
    for (int i = 0; i < k; i++) {
        if (read_floats(arr[i], p + off, cnt[i])) {
            size_t j = 0;
            while (j < cnt[i] && isfinite(arr[i][j])) j++;
            snprintf(err, errlen, "%s %s[%zu] is not a finite number", what, array_names[i], j);
            return 0;
        }
        off += 4 * cnt[i];
    }
    return off;
}

int modelfile_parse(ModelFile *f, const unsigned char *buf, size_t len, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    char msg[200];
    if (len < 8 || memcmp(buf, MODELFILE_MAGIC, 8) != 0)
        FAIL("not a kvsim model file (no \"" MODELFILE_MAGIC "\" at the start)");
    if (len < HEADER_BYTES + 4)
        FAIL("truncated: %zu bytes, shorter than the %d-byte header", len, HEADER_BYTES + 4);
    const uint32_t version = rd32(buf + 8), flags = rd32(buf + 12);
    if (version != MODELFILE_VERSION)
        FAIL("version %u: this kvsim reads version %u", (unsigned)version, MODELFILE_VERSION);
    if (flags & ~(MODELFILE_FLAG_STATE | MODELFILE_FLAG_ROPE)) FAIL("unknown flags 0x%x", (unsigned)flags);

    KvConfig c = config_default();
    uint32_t v[8];
    for (int i = 0; i < 8; i++) v[i] = rd32(buf + 16 + 4 * i);
    for (int i = 0; i < 7; i++)
        if (v[i] < 1 || v[i] > CONFIG_MAX_DIM) FAIL("config field %d is %u: must be 1..%d", i, (unsigned)v[i], CONFIG_MAX_DIM);
    if (v[7] > CONFIG_MAX_DIM) FAIL("window %u: must be 0..%d", (unsigned)v[7], CONFIG_MAX_DIM);
    c.vocab = (int)v[0];
    c.d_model = (int)v[1];
    c.n_heads = (int)v[2];
    c.n_kv_heads = (int)v[3];
    c.n_layers = (int)v[4];
    c.d_ff = (int)v[5];
    c.max_seq = (int)v[6];
    c.window = (int)v[7];
    c.seed = rd64(buf + 48);
    c.rope = (flags & MODELFILE_FLAG_ROPE) != 0;
    if (config_validate(&c, 0, 0, msg, sizeof msg)) FAIL("bad configuration: %s", msg);
    if (c.vocab > tokenizer_full_vocab())
        FAIL("vocab %d: larger than kvsim's alphabet (%d characters)", c.vocab, tokenizer_full_vocab());

    const size_t abytes = rd32(buf + 56);
    if (abytes < (size_t)c.vocab || abytes > 4 * (size_t)c.vocab)
        FAIL("alphabet of %zu bytes cannot hold %d characters", abytes, c.vocab);
    const size_t nw = weight_floats(&c);
    size_t want = HEADER_BYTES + abytes + 4 * nw + 4;
    if (flags & MODELFILE_FLAG_STATE) want += 16 + 8 * nw;
    if (len != want)
        FAIL("%s: %zu bytes, but its configuration needs %zu", len < want ? "truncated" : "trailing bytes",
             len, want);
    const uint32_t crc = rd32(buf + len - 4), got = modelfile_crc32(buf, len - 4);
    if (crc != got) FAIL("checksum mismatch (stored %08x, computed %08x)", (unsigned)crc, (unsigned)got);

    /* alphabet: exactly V characters, each in kvsim's alphabet, no repeats */
    f->alphabet = malloc(sizeof(int32_t) * (size_t)c.vocab);
    unsigned char *seen = calloc((size_t)tokenizer_full_vocab(), 1);
    char *atext = malloc(abytes + 1);
    if (!f->alphabet || !seen || !atext) {
        free(seen);
        free(atext);
        FAIL("out of memory");
    }
    memcpy(atext, buf + HEADER_BYTES, abytes);
    atext[abytes] = '\0';
    int n = 0;
    int bad = 0;
    for (size_t i = 0; i < abytes && !bad;) {
        int32_t cp;
        int k = atext[i] ? utf8_next(atext + i, &cp) : -1;
        if (k < 0) {
            snprintf(msg, sizeof msg, "alphabet: invalid UTF-8 at byte %zu", i + 1);
            bad = 1;
        } else if (n == c.vocab) {
            snprintf(msg, sizeof msg, "alphabet has more than vocab = %d characters", c.vocab);
            bad = 1;
        } else {
            const int id = tokenizer_full_id(cp);
            if (id < 0) {
                snprintf(msg, sizeof msg, "alphabet entry %d (U+%04X) is not in kvsim's alphabet", n, (unsigned)cp);
                bad = 1;
            } else if (seen[id]) {
                snprintf(msg, sizeof msg, "alphabet entry %d (U+%04X) repeats an earlier one", n, (unsigned)cp);
                bad = 1;
            } else {
                seen[id] = 1;
                f->alphabet[n++] = cp;
                i += (size_t)k;
            }
        }
    }
    free(seen);
    free(atext);
    if (bad) FAIL("%s", msg);
    if (n != c.vocab) FAIL("alphabet has %d characters; vocab says %d", n, c.vocab);

    size_t off = HEADER_BYTES + abytes;
    if (model_alloc(&f->model, &c)) FAIL("out of memory");
    size_t used = read_model(&f->model, buf + off, "weight", err, errlen);
    if (!used) goto fail_quiet;
    if (model_repack(&f->model)) FAIL("out of memory");
    off += used;
    if (flags & MODELFILE_FLAG_STATE) {
        f->has_state = 1;
        f->state.step = rd64(buf + off);
        f->state.rng = rd64(buf + off + 8);
        off += 16;
        if (model_alloc(&f->state.adam_m, &c) || model_alloc(&f->state.adam_v, &c)) FAIL("out of memory");
        if (!(used = read_model(&f->state.adam_m, buf + off, "optimiser moment", err, errlen))) goto fail_quiet;
        off += used;
        if (!(used = read_model(&f->state.adam_v, buf + off, "optimiser moment", err, errlen))) goto fail_quiet;
        float *p[16];
        size_t cnt[16];
        const int k = model_arrays(&f->state.adam_v, p, cnt, 16);
        for (int i = 0; i < k; i++)
            for (size_t j = 0; j < cnt[i]; j++)
                if (p[i][j] < 0.0f) FAIL("optimiser second moment %s[%zu] is negative", array_names[i], j);
    }
    return 0;
fail:
fail_quiet:
    modelfile_free(f);
    return -1;
}

int modelfile_load(ModelFile *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    char msg[256];
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = NULL;
    if (!fp) FAIL("--model %s: cannot open the file", path);
    if (fseek(fp, 0, SEEK_END) != 0) FAIL("--model %s: cannot read the file", path);
    long size = ftell(fp);
    if (size < 0 || (unsigned long)size > CONFIG_MAX_BYTES) FAIL("--model %s: not a readable file of at most 1 GiB", path);
    rewind(fp);
    buf = malloc((size_t)size + 1);
    if (!buf) FAIL("--model %s: out of memory", path);
    if (fread(buf, 1, (size_t)size, fp) != (size_t)size) FAIL("--model %s: cannot read the file", path);
    fclose(fp);
    fp = NULL;
    if (modelfile_parse(f, buf, (size_t)size, msg, sizeof msg)) FAIL("--model %s: %s", path, msg);
    free(buf);
    return 0;
fail:
    if (fp) fclose(fp);
    free(buf);
    return -1;
}

void modelfile_free(ModelFile *f)
{
    model_free(&f->model);
    model_free(&f->state.adam_m);
    model_free(&f->state.adam_v);
    free(f->alphabet);
    memset(f, 0, sizeof *f);
}

static size_t write_model(unsigned char *p, const Model *m)
{
    float *arr[16];
    size_t cnt[16], off = 0;
    const int k = model_arrays((Model *)m, arr, cnt, 16);   /* read only */
    for (int i = 0; i < k; i++) {
        write_floats(p + off, arr[i], cnt[i]);
        off += 4 * cnt[i];
    }
    return off;
}

unsigned char *modelfile_encode(const Model *m, const int32_t *alphabet, const ModelFileState *st,
                                size_t *len)
{
    const KvConfig *c = &m->cfg;
    char atext[4 * 4096 + 1];
    size_t abytes = 0;
    for (int i = 0; i < c->vocab && abytes + 4 < sizeof atext; i++)
        abytes += (size_t)utf8_encode(alphabet[i], atext + abytes);
    const size_t nw = weight_floats(c);
    size_t total = HEADER_BYTES + abytes + 4 * nw + 4 + (st ? 16 + 8 * nw : 0);
    unsigned char *b = calloc(total, 1);
    if (!b) return NULL;
    memcpy(b, MODELFILE_MAGIC, 8);
    wr32(b + 8, MODELFILE_VERSION);
    wr32(b + 12, (st ? MODELFILE_FLAG_STATE : 0) | (c->rope ? MODELFILE_FLAG_ROPE : 0));
    const int v[8] = {c->vocab, c->d_model, c->n_heads, c->n_kv_heads,
                      c->n_layers, c->d_ff, c->max_seq, c->window};
    for (int i = 0; i < 8; i++) wr32(b + 16 + 4 * i, (uint32_t)v[i]);
    wr64(b + 48, c->seed);
    wr32(b + 56, (uint32_t)abytes);
    memcpy(b + HEADER_BYTES, atext, abytes);
    size_t off = HEADER_BYTES + abytes;
    off += write_model(b + off, m);
    if (st) {
        wr64(b + off, st->step);
        wr64(b + off + 8, st->rng);
        off += 16;
        off += write_model(b + off, &st->adam_m);
        off += write_model(b + off, &st->adam_v);
    }
    wr32(b + off, modelfile_crc32(b, off));
    *len = total;
    return b;
}

int modelfile_save(const char *path, const Model *m, const int32_t *alphabet,
                   const ModelFileState *st, char *err, size_t errlen)
{
    size_t len = 0;
    unsigned char *b = modelfile_encode(m, alphabet, st, &len);
    char tmp[4096];
    FILE *fp = NULL;
    if (!b) FAIL("%s: out of memory", path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fp = fopen(tmp, "wb");
    if (!fp) FAIL("%s: cannot write the file", tmp);
    if (fwrite(b, 1, len, fp) != len || fclose(fp) != 0) {
        fp = NULL;
        remove(tmp);
        FAIL("%s: write failed", tmp);
    }
    fp = NULL;
    if (rename(tmp, path) != 0) {
        remove(tmp);
        FAIL("%s: cannot rename %s to it", path, tmp);
    }
    free(b);
    return 0;
fail:
    if (fp) fclose(fp);
    free(b);
    return -1;
}

int modelfile_apply(const ModelFile *f, const char *name, KvConfig *cfg, int max_seq_given,
                    char *err, size_t errlen)
{
    const KvConfig *m = &f->model.cfg;
    if (max_seq_given && cfg->max_seq > m->max_seq) {
        snprintf(err, errlen, "--max-seq %d: the model %s has positions for %d at most", cfg->max_seq,
                 name, m->max_seq);
        return -1;
    }
    if (cfg->rope && !m->rope) {
        snprintf(err, errlen, "--rope: the model %s was trained with learned positions, not rotary ones", name);
        return -1;
    }
    cfg->rope = m->rope;   /* a RoPE model runs with RoPE: it has no position table */
    cfg->vocab = m->vocab;
    cfg->d_model = m->d_model;
    cfg->n_heads = m->n_heads;
    cfg->n_kv_heads = m->n_kv_heads;
    cfg->n_layers = m->n_layers;
    cfg->d_ff = m->d_ff;
    cfg->seed = m->seed;
    if (!max_seq_given) cfg->max_seq = m->max_seq;
    cfg->weights = &f->model;
    cfg->model_name = name;
    return 0;
}
