/* export: the weights and every intermediate value of a cache-mode run, as
 * JSON. See export.h and docs/export.md for the layout.
 *
 * The run is driven one operation at a time (engine_next_op) and each
 * value is written right after the operation that produced it, before a
 * later operation can overwrite the buffer. Nothing is buffered here: the
 * output is streamed with fprintf, in the order the operations run, which
 * is also the order of the keys in the JSON.
 *
 * Numbers: floats are printed with "%.9g" (enough digits to round-trip a
 * float32); anything non-finite, i.e. the −inf the causal mask writes, is
 * printed as null, never as a number.
 */
#include "sim/export.h"

#include "sim/config.h"
#include "sim/counts.h"
#include "sim/engine.h"
#include "sim/run.h"
#include "sim/kernels.h"
#include "sim/kvcache.h"
#include "sim/tokenizer.h"
#include "sim/trace.h"

#include <math.h>
#include <string.h>

#define EXPORT_FORMAT "kvsim-export-1"

/* Long 1-D arrays (logits, the alphabet, flat weight rows) wrap after this
 * many values so that no line gets unreadably long. */
enum { WRAP_NUMBERS = 16, WRAP_STRINGS = 32 };

/* ---- small writers ------------------------------------------------------- */

static void put_float(FILE *f, float v)
{
    if (!isfinite(v)) fputs("null", f);
    else fprintf(f, "%.9g", (double)v);
}

/* [v0, v1, ...] with a line break (and `indent` spaces) every `wrap` values
 * when len > wrap; wrap <= 0 keeps everything on one line. */
static void put_vector(FILE *f, const float *v, int len, int wrap, int indent)
{
    fputc('[', f);
    for (int j = 0; j < len; j++) {
        if (j > 0) {
            if (wrap > 0 && j % wrap == 0) fprintf(f, ",\n%*s", indent + 1, "");
            else fputs(", ", f);
        }
        put_float(f, v[j]);
    }
    fputc(']', f);
}

static void put_ints(FILE *f, const int *v, int len)
{
    fputc('[', f);
    for (int j = 0; j < len; j++) fprintf(f, j ? ", %d" : "%d", v[j]);
    fputc(']', f);
}

/* A (rows, cols) matrix as a nested list, one row per line; row i starts at
 * m + i*stride. `indent` is the column of the opening bracket. */
static void put_matrix(FILE *f, const float *m, int rows, int cols, size_t stride, int indent)
{
    fputc('[', f);
    for (int i = 0; i < rows; i++) {
        if (i > 0) fprintf(f, ",\n%*s", indent + 1, "");
        put_vector(f, m + (size_t)i * stride, cols, 0, 0);
    }
    fputc(']', f);
}

/* Which attention buffer a (H, n, t) block is read from. */
typedef enum { BLOCK_SCORES, BLOCK_ATT } Block;

/* (H, n, t) of layer l: one query row (t values) per line. */
static void put_heads(FILE *f, const Engine *e, int l, Block which, int indent)
{
    fputc('[', f);
    for (int h = 0; h < e->cfg.n_heads; h++) {
        if (h > 0) fprintf(f, ",\n%*s", indent + 1, "");
        fputc('[', f);
        for (int i = 0; i < e->n; i++) {
            if (i > 0) fprintf(f, ",\n%*s", indent + 2, "");
            const float *row = which == BLOCK_SCORES ? engine_scores_row(e, l, h, i)
                                                     : engine_att_row(e, l, h, i);
            put_vector(f, row, e->t, 0, 0);
        }
        fputc(']', f);
    }
    fputc(']', f);
}

static void put_key(FILE *f, int indent, const char *key)
{
    fprintf(f, ",\n%*s\"%s\": ", indent, "", key);
}

/* ---- header: config, prompt, alphabet ------------------------------------- */

static void write_header(FILE *f, const Model *m, const char *prompt, const int *ids, int L, int G)
{
    const KvConfig *c = &m->cfg;
    fputs("{\n  \"format\": \"" EXPORT_FORMAT "\",\n", f);
    fprintf(f, "  \"config\": {\"vocab\": %d, \"d_model\": %d, \"n_heads\": %d, \"n_layers\": %d, "
               "\"d_ff\": %d, \"max_seq\": %d, \"seed\": %llu,\n             \"d_head\": %d, "
               "\"n_kv_heads\": %d, \"window\": %d, \"ln_eps\": %g, \"gelu\": \"tanh\"},\n",
            c->vocab, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->max_seq,
            (unsigned long long)c->seed, config_head_dim(c), c->n_kv_heads, c->window,
            (double)KERNEL_LN_EPS);
    fputs("  \"prompt\": ", f);
    trace_json_string(f, prompt);
    fputs(",\n  \"prompt_ids\": ", f);
    put_ints(f, ids, L);
    fprintf(f, ",\n  \"gen\": %d,\n  \"alphabet\": [", G);
    for (int id = 0; id < c->vocab; id++) {
        char ch[8] = "";
        tokenizer_decode(id, ch);
        if (id > 0) fputs(id % WRAP_STRINGS == 0 ? ",\n    " : ", ", f);
        trace_json_string(f, ch);
    }
    fputs("],\n", f);
}

/* ---- weights ------------------------------------------------------------- */

/* The LayerNorm gains and biases are vectors: shape [d], not [1, d]. */
static bool is_vector(const ModelTensor *t)
{
    return t->rows == 1 && strncmp(t->name, "ln", 2) == 0;
}

static void write_tensor(FILE *f, const char *prefix, const ModelTensor *t, const float *data,
                         bool *first)
{
    fprintf(f, "%s    \"%s%s\": {\"shape\": ", *first ? "" : ",\n", prefix, t->name);
    if (is_vector(t)) fprintf(f, "[%d]", t->cols);
    else fprintf(f, "[%d, %d]", t->rows, t->cols);
    fputs(", \"data\": [", f);
    /* flat, row-major; a line break after each row of the matrix (vectors
     * wrap every WRAP_NUMBERS values) */
    for (int i = 0; i < t->rows; i++) {
        if (i > 0) fputs(",\n      ", f);
        const float *row = data + (size_t)i * (size_t)t->cols;
        for (int j = 0; j < t->cols; j++) {
            if (j > 0) fputs(j % WRAP_NUMBERS == 0 ? ",\n      " : ", ", f);
            put_float(f, row[j]);
        }
    }
    fputs("]}", f);
    *first = false;
}

static void write_weights(FILE *f, const Model *m)
{
    ModelTensor ts[32];
    const int count = model_tensors(m, ts, (int)(sizeof ts / sizeof ts[0]));
    bool first = true, layers_done = false;
    fputs("  \"weights\": {\n", f);
    for (int i = 0; i < count; i++) {
        if (!ts[i].per_layer) {
            write_tensor(f, "", &ts[i], ts[i].data, &first);
            continue;
        }
        if (layers_done) continue;
        /* every per-layer tensor, grouped by layer: layers.0.*, layers.1.*, ... */
        for (int l = 0; l < m->cfg.n_layers; l++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "layers.%d.", l);
            for (int j = i; j < count; j++) {
                if (!ts[j].per_layer) continue;
                const size_t size = (size_t)ts[j].rows * (size_t)ts[j].cols;
                write_tensor(f, prefix, &ts[j], ts[j].data + (size_t)l * size, &first);
            }
        }
        layers_done = true;
    }
    fputs("\n  },\n", f);
}

/* ---- steps --------------------------------------------------------------- */

/* Indentation of the step objects and of the layer objects inside them. */
enum { IND_STEP = 6, IND_LAYER = 10 };

static void write_step_start(FILE *f, const Engine *e)
{
    fprintf(f, "%s    {\"step\": %d, \"phase\": \"%s\", \"n\": %d, \"t\": %d, \"p0\": %d",
            e->step == 0 ? "" : ",\n", e->step, engine_phase_name(engine_phase(e)), e->n, e->t,
            e->p0);
    fputs(",\n      \"positions\": [", f);
    for (int i = 0; i < e->n; i++) fprintf(f, i ? ", %d" : "%d", e->p0 + i);
    fputs("],\n      \"input_ids\": ", f);
    put_ints(f, e->tokens + e->p0, e->n);
    put_key(f, IND_STEP, "embed");
    put_matrix(f, e->x, e->n, e->cfg.d_model, (size_t)e->cfg.d_model, IND_STEP + 9);
}

static void write_counts(FILE *f, const Engine *e)
{
    const OpCounts *c = &e->step_counts;
    put_key(f, IND_STEP, "counts");
    fputc('{', f);
    for (int i = 0; i < CAT_COUNT; i++)
        fprintf(f, "\"%s\": %llu, ", counts_name((Category)i), (unsigned long long)c->mac[i]);
    fprintf(f, "\"total\": %llu}", (unsigned long long)counts_total(c));
    fprintf(f, ",\n      \"masked_macs\": %llu, \"kv_cache_bytes\": %llu}",
            (unsigned long long)c->masked, (unsigned long long)engine_kv_bytes(e));
}

/* Write what operation `op` (just run) produced. */
static void write_after(FILE *f, const Engine *e, OpRef op)
{
    const int d = e->cfg.d_model, F = e->cfg.d_ff, kv = e->cache.kv_dim, l = op.layer;
    const size_t sd = (size_t)d;
    switch (op.kind) {
    case OP_EMBED:
        write_step_start(f, e);
        break;
    case OP_LN1:
        if (l == 0) fprintf(f, ",\n%*s\"layers\": [\n", IND_STEP, "");
        else fputs(",\n", f);
        fprintf(f, "%*s{\"ln1\": ", IND_LAYER - 2, "");
        put_matrix(f, e->a, e->n, d, sd, IND_LAYER + 7);
        break;
    case OP_QKV:
        put_key(f, IND_LAYER - 1, "q");
        put_matrix(f, e->q, e->n, d, sd, IND_LAYER + 4);
        /* the n new rows, written by this operation at positions p0.. */
        put_key(f, IND_LAYER - 1, "k");
        put_matrix(f, engine_k_row(e, l, e->p0), e->n, kv, (size_t)kv, IND_LAYER + 4);
        put_key(f, IND_LAYER - 1, "v");
        put_matrix(f, engine_v_row(e, l, e->p0), e->n, kv, (size_t)kv, IND_LAYER + 4);
        break;
    case OP_SCORES:
        put_key(f, IND_LAYER - 1, "scores");
        put_heads(f, e, l, BLOCK_SCORES, IND_LAYER + 9);
        break;
    case OP_MASK:
        /* att holds the masked scores until softmax runs in place */
        put_key(f, IND_LAYER - 1, "masked_scores");
        put_heads(f, e, l, BLOCK_ATT, IND_LAYER + 16);
        break;
    case OP_SOFTMAX:
        put_key(f, IND_LAYER - 1, "att");
        put_heads(f, e, l, BLOCK_ATT, IND_LAYER + 6);
        break;
    case OP_VALUES:
        put_key(f, IND_LAYER - 1, "att_out");
        put_matrix(f, e->att_out, e->n, d, sd, IND_LAYER + 10);
        break;
    case OP_OUT_PROJ:
        put_key(f, IND_LAYER - 1, "x_after_attn");
        put_matrix(f, e->x, e->n, d, sd, IND_LAYER + 15);
        break;
    case OP_LN2:
        put_key(f, IND_LAYER - 1, "ln2");
        put_matrix(f, e->a, e->n, d, sd, IND_LAYER + 6);
        break;
    case OP_FFN:
        put_key(f, IND_LAYER - 1, "ffn_hidden");
        put_matrix(f, e->hidden, e->n, F, (size_t)F, IND_LAYER + 13);
        put_key(f, IND_LAYER - 1, "x_after_ffn");
        put_matrix(f, e->x, e->n, d, sd, IND_LAYER + 14);
        fputc('}', f);
        if (l == e->cfg.n_layers - 1) fputs("]", f);
        break;
    case OP_LN_FINAL:
        put_key(f, IND_STEP, "final_ln");
        put_vector(f, e->xf + (size_t)(e->n - 1) * sd, d, WRAP_NUMBERS, IND_STEP + 12);
        break;
    case OP_LOGITS:
        put_key(f, IND_STEP, "logits");
        put_vector(f, e->logits, e->cfg.vocab, WRAP_NUMBERS, IND_STEP + 10);
        break;
    case OP_PICK: {
        char tok[8] = "";
        tokenizer_decode(e->picked, tok);
        fprintf(f, ",\n%*s\"token_id\": %d, \"token\": ", IND_STEP, "", e->picked);
        trace_json_string(f, tok);
        break;
    }
    case OP_APPEND:
        write_counts(f, e);
        break;
    default:
        break;
    }
}

int export_write_json(FILE *f, const Model *m, const char *prompt, const int *ids, int L, int G,
                      char *err, size_t errlen)
{
    if (config_validate(&m->cfg, L, G, err, errlen)) return -1;
    Run run;
    const RunPrompt p = {ids, L};
    if (run_init(&run, &m->cfg, m, RUN_MODE_BIT(MODE_CACHE), &p, 1, G, err, errlen)) return -1;
    const Engine *e = run_engine(&run, MODE_CACHE);

    write_header(f, m, prompt, ids, L, G);
    write_weights(f, m);
    fputs("  \"steps\": [\n", f);
    while (run_move(&run, MODE_CACHE, RUN_NEXT_OP)) write_after(f, e, engine_current_op(e));
    fputs("\n  ]\n}\n", f);
    run_free(&run);

    if (fflush(f) != 0 || ferror(f)) {
        snprintf(err, errlen, "error writing the export output");
        return -1;
    }
    return 0;
}
