/* setup: directive values, defaults and accumulation of SlideSetup.
 * See lesson.h and directives.h. */
#include "lessons/directives.h"

#include "lessons/errmsg.h"
#include "sim/tokenizer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const directive_names[DIR_COUNT] = {
    "prompt", "gen", "model", "mode", "goto", "select", "point",
};

static const char *const mode_names[LESSON_MODE_COUNT] = {"cache", "recompute", "compare",
                                                          "train", "memory"};

static const char *const point_names[POINT_COUNT] = {
    "none", "tokens", "mask", "attention", "kvcache", "ops", "chart", "pipeline", "blocks",
    "traffic",
};

const char *directive_name(Directive d)
{
    return (d >= 0 && d < DIR_COUNT) ? directive_names[d] : NULL;
}

int directive_find(const char *key)
{
    for (int i = 0; i < DIR_COUNT; i++)
        if (!strcmp(key, directive_names[i])) return i;
    return -1;
}

const char *lesson_mode_name(LessonMode m)
{
    return (m >= 0 && m < LESSON_MODE_COUNT) ? mode_names[m] : "?";
}

const char *lesson_point_name(LessonPoint p)
{
    return (p >= 0 && p < POINT_COUNT) ? point_names[p] : "?";
}

/* The spellings of docs/lessons.md are the op table's keys (sim/ops.h). */
const char *lesson_op_name(OpKind k)
{
    const OpInfo *o = op_info(k);
    return o ? o->key : "?";
}

bool lesson_answer_ok(double expected, double tolerance, double given)
{
    if (!isfinite(expected) || !isfinite(given)) return false;
    return fabs(given - expected) <= (tolerance > 0 ? tolerance : 0.0);
}

int parse_int_in(const char *name, const char *s, long long lo, long long hi, long long *out,
                 char *msg, size_t msglen)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    /* strtoll would skip leading blanks and accept "+"; a lesson value may not */
    if (*s == '\0' || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) || end == s || *end != '\0')
        return errmsg_fail(msg, msglen,
                           "%s '%s': not a number; expected an integer from %lld to %lld", name, s,
                           lo, hi);
    if (errno == ERANGE || v < lo || v > hi)
        return errmsg_fail(msg, msglen,
                           "%s %s: out of range; expected an integer from %lld to %lld", name, s,
                           lo, hi);
    *out = v;
    return 0;
}

static int parse_seed(const char *s, uint64_t *out, char *msg, size_t msglen)
{
    char *end = NULL;
    errno = 0;
    if (!(s[0] >= '0' && s[0] <= '9'))
        return errmsg_fail(msg, msglen,
                           "seed '%s': expected an integer from 0 to 18446744073709551615", s);
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return errmsg_fail(msg, msglen,
                           "seed '%s': expected an integer from 0 to 18446744073709551615", s);
    *out = (uint64_t)v;
    return 0;
}

/* Split s in place at blanks into at most cap words; returns the count, or
 * -1 when there are more. */
static int split_words(char *s, char **w, int cap)
{
    int n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t') *s++ = '\0';
        if (*s == '\0') return n;
        if (n == cap) return -1;
        w[n++] = s;
        while (*s && *s != ' ' && *s != '\t') s++;
    }
}

static int find_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

static void mark(SlideSetup *s, SetupField f, int line)
{
    s->set |= SETUP_BIT(f);
    s->line[f] = line;
}

/* The model options, in the order messages list them. */
static const char *const model_keys[] = {"d-model", "heads",    "layers",     "d-ff",
                                         "max-seq", "seed",     "kv-heads",   "window",
                                         "block-size", "chunk", "speculate", "rope",
                                         "rope-offset-bug", "prefix-cache", "weights"};
static const SetupField model_fields[] = {SET_D_MODEL, SET_HEADS,    SET_LAYERS,
                                          SET_D_FF,    SET_MAX_SEQ,  SET_SEED,
                                          SET_KV_HEADS, SET_WINDOW,  SET_BLOCK_SIZE,
                                          SET_CHUNK,    SET_SPECULATE, SET_ROPE,
                                          SET_ROPE_BUG, SET_PREFIX, SET_WEIGHTS};
#define N_MODEL_KEYS ((int)(sizeof model_keys / sizeof model_keys[0]))
#define MODEL_KEY_LIST                                                                    \
    "d-model, heads, layers, d-ff, max-seq, seed, kv-heads, window, block-size, chunk, "  \
    "speculate, rope, rope-offset-bug, prefix-cache or weights"

static int parse_model(char *value, int line, SlideSetup *s, char *msg, size_t msglen)
{
    /* the command line's ranges; the rest (kv-heads divides heads,
     * block-size <= max-seq, ...) is checked by config_validate, with the
     * command line's messages, when the set-up is evaluated */
    static const long long hi[] = {CONFIG_MAX_DIM, CONFIG_MAX_DIM, 4096,           CONFIG_MAX_DIM,
                                   CONFIG_MAX_DIM, 0,              CONFIG_MAX_DIM, CONFIG_MAX_DIM,
                                   CONFIG_MAX_DIM, CONFIG_MAX_DIM, CONFIG_MAX_DIM, 1, 1, 1, 1};
    char *w[N_MODEL_KEYS + 2];
    int n = split_words(value, w, N_MODEL_KEYS + 2);
    if (n < 0)
        return errmsg_fail(msg, msglen, "model: too many options; at most %d (" MODEL_KEY_LIST ")",
                           N_MODEL_KEYS);
    unsigned seen = 0;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(w[i], '=');
        if (eq) *eq = '\0';
        int k = find_name(w[i], model_keys, N_MODEL_KEYS);
        if (k < 0)
            return errmsg_fail(msg, msglen,
                               "unknown model option '%s'; expected " MODEL_KEY_LIST
                               ", e.g. model: d-model=8 heads=2",
                               w[i]);
        if (!eq || eq[1] == '\0')
            return errmsg_fail(msg, msglen, "model option '%s' needs a value, e.g. %s=2", w[i],
                               w[i]);
        if (seen & (1u << k))
            return errmsg_fail(msg, msglen, "model option '%s' given twice", w[i]);
        seen |= 1u << k;
        const SetupField f = model_fields[k];
        long long v = 0;
        if (f == SET_WEIGHTS) {
            /* the shipped trained model, or the seeded random one: never a file name */
            const bool trained = !strcmp(eq + 1, "trained");
            if (!trained && strcmp(eq + 1, "random"))
                return errmsg_fail(
                    msg, msglen,
                    "weights '%s': expected random (the seeded model of the "
                    "shape options) or trained (kvsim's shipped model); a lesson names no "
                    "other model file",
                    eq + 1);
            s->trained = trained;
        } else if (f == SET_ROPE || f == SET_ROPE_BUG || f == SET_PREFIX) {
            const bool on = !strcmp(eq + 1, "on");
            if (!on && strcmp(eq + 1, "off"))
                return errmsg_fail(msg, msglen, "%s '%s': expected on or off", model_keys[k],
                                   eq + 1);
            if (f == SET_ROPE) s->model.rope = on;
            else if (f == SET_ROPE_BUG) s->model.rope_offset_bug = on;
            else s->model.prefix_cache = on;
        } else if (f == SET_SEED) {
            if (parse_seed(eq + 1, &s->model.seed, msg, msglen)) return -1;
        } else if ((f == SET_WINDOW || f == SET_BLOCK_SIZE || f == SET_CHUNK ||
                    f == SET_SPECULATE) && !strcmp(eq + 1, "none")) {
            if (f == SET_WINDOW) s->model.window = 0;   /* back to no window */
            else if (f == SET_BLOCK_SIZE) s->model.block_size = 0;   /* a contiguous cache */
            else if (f == SET_CHUNK) s->model.chunk = 0;             /* one prefill step */
            else s->model.speculate = 0;                             /* plain decoding */
        } else {
            if (parse_int_in(model_keys[k], eq + 1, 1, hi[k], &v, msg, msglen)) {
                if ((f == SET_WINDOW || f == SET_BLOCK_SIZE || f == SET_CHUNK ||
                     f == SET_SPECULATE) && msg && msglen)
                    snprintf(msg + strlen(msg), msglen - strlen(msg), ", or none");
                return -1;
            }
            switch (f) {
            case SET_D_MODEL: s->model.d_model = (int)v; break;
            case SET_HEADS: s->model.n_heads = (int)v; break;
            case SET_LAYERS: s->model.n_layers = (int)v; break;
            case SET_D_FF: s->model.d_ff = (int)v; break;
            case SET_MAX_SEQ: s->model.max_seq = (int)v; break;
            case SET_KV_HEADS: s->model.n_kv_heads = (int)v; break;
            case SET_WINDOW: s->model.window = (int)v; break;
            case SET_CHUNK: s->model.chunk = (int)v; break;
            case SET_SPECULATE: s->model.speculate = (int)v; break;
            default: s->model.block_size = (int)v; break;
            }
        }
        mark(s, f, line);
    }
    return 0;
}

static const char GOTO_FORMS[] = "expected start, end, step K end or step K op NAME [layer L]";

static int parse_goto(char *value, int line, SlideSetup *s, char *msg, size_t msglen)
{
    char *w[8];
    int n = split_words(value, w, 8);
    LessonGoto g = {GOTO_START, 0, OP_EMBED, -1};
    long long v = 0;
    if (n == 1 && !strcmp(w[0], "start")) {
        g.kind = GOTO_START;
    } else if (n == 1 && !strcmp(w[0], "end")) {
        g.kind = GOTO_END;
    } else if (n >= 3 && !strcmp(w[0], "step")) {
        if (parse_int_in("goto: step", w[1], 0, CONFIG_MAX_DIM, &v, msg, msglen)) return -1;
        g.step = (int)v;
        if (n == 3 && !strcmp(w[2], "end")) {
            g.kind = GOTO_STEP_END;
        } else if ((n == 4 || n == 6) && !strcmp(w[2], "op")) {
            int k = op_find(w[3]);
            if (k < 0)
                return errmsg_fail(msg, msglen,
                                   "goto: unknown operation '%s'; expected embed, ln1, qkv, "
                                   "scores, mask, softmax, values, out_proj, ln2, ffn, ln_final, "
                                   "logits, pick, append or loss",
                                   w[3]);
            g.kind = GOTO_STEP_OP;
            g.op = (OpKind)k;
            if (n == 6) {
                if (strcmp(w[4], "layer"))
                    return errmsg_fail(msg, msglen,
                                       "goto: '%s' after the operation; expected layer L", w[4]);
                if (!op_info(g.op)->per_layer)
                    return errmsg_fail(msg, msglen,
                                       "goto: operation '%s' is not inside a layer; leave "
                                       "out 'layer %s'",
                                       w[3], w[5]);
                if (parse_int_in("goto: layer", w[5], 0, 4095, &v, msg, msglen)) return -1;
                g.layer = (int)v;
            }
        } else {
            return errmsg_fail(msg, msglen, "goto: '%s' after 'step %s'; %s", w[2], w[1],
                               GOTO_FORMS);
        }
    } else {
        return errmsg_fail(msg, msglen, "goto '%s': %s", n > 0 ? w[0] : "", GOTO_FORMS);
    }
    s->go = g;
    mark(s, SET_GOTO, line);
    return 0;
}

static int parse_select(char *value, int line, SlideSetup *s, char *msg, size_t msglen)
{
    char *w[6];
    int n = split_words(value, w, 6);
    if (n <= 0 || n % 2 != 0)
        return errmsg_fail(msg, msglen, "select: expected layer L head H (either may be left out)");
    bool got_layer = false, got_head = false;
    for (int i = 0; i < n; i += 2) {
        long long v = 0;
        bool is_layer = !strcmp(w[i], "layer");
        if (!is_layer && strcmp(w[i], "head"))
            return errmsg_fail(msg, msglen,
                               "select: '%s'; expected layer L head H (either may be left "
                               "out)",
                               w[i]);
        if ((is_layer && got_layer) || (!is_layer && got_head))
            return errmsg_fail(msg, msglen, "select: '%s' given twice", w[i]);
        if (parse_int_in(is_layer ? "select: layer" : "select: head", w[i + 1], 0,
                         is_layer ? 4095 : CONFIG_MAX_DIM - 1, &v, msg, msglen))
            return -1;
        if (is_layer) {
            s->layer = (int)v;
            got_layer = true;
            mark(s, SET_LAYER, line);
        } else {
            s->head = (int)v;
            got_head = true;
            mark(s, SET_HEAD, line);
        }
    }
    return 0;
}

int directive_parse(Directive d, char *value, int line, SlideSetup *s, char *msg, size_t msglen)
{
    long long v = 0;
    int k;
    switch (d) {
    case DIR_PROMPT: mark(s, SET_PROMPT, line); return 0;
    case DIR_GEN:
        if (parse_int_in("gen", value, 1, CONFIG_MAX_DIM, &v, msg, msglen)) return -1;
        s->gen = (int)v;
        mark(s, SET_GEN, line);
        return 0;
    case DIR_MODEL: return parse_model(value, line, s, msg, msglen);
    case DIR_MODE:
        k = find_name(value, mode_names, LESSON_MODE_COUNT);
        if (k < 0)
            return errmsg_fail(msg, msglen,
                               "mode '%s': expected cache, recompute, compare, train or "
                               "memory",
                               value);
        s->mode = (LessonMode)k;
        mark(s, SET_MODE, line);
        return 0;
    case DIR_GOTO: return parse_goto(value, line, s, msg, msglen);
    case DIR_SELECT: return parse_select(value, line, s, msg, msglen);
    case DIR_POINT:
        k = find_name(value, point_names, POINT_COUNT);
        if (k < 0)
            return errmsg_fail(msg, msglen,
                               "point '%s': expected tokens, mask, attention, kvcache, ops, "
                               "chart, pipeline, blocks, traffic or none",
                               value);
        s->point = (LessonPoint)k;
        mark(s, SET_POINT, line);
        return 0;
    default:
        return errmsg_fail(msg, msglen, "unknown directive");
    }
}

SlideSetup lesson_default_setup(void)
{
    SlideSetup s;
    memset(&s, 0, sizeof s);
    s.prompt = CONFIG_DEFAULT_PROMPT;
    s.gen = CONFIG_DEFAULT_GEN;
    s.model = config_default();
    s.model.vocab = tokenizer_full_vocab();   /* the random model's; weights=trained replaces it */
    s.mode = LESSON_MODE_CACHE;
    s.go.kind = GOTO_START;
    s.go.op = OP_EMBED;
    s.go.layer = -1;
    s.point = POINT_NONE;
    return s;
}

void lesson_setup_apply(SlideSetup *b, const SlideSetup *s)
{
    for (int f = 0; f < SET_FIELD_COUNT; f++) {
        if (!(s->set & SETUP_BIT(f))) continue;
        b->set |= SETUP_BIT(f);
        b->line[f] = s->line[f];
        switch ((SetupField)f) {
        case SET_PROMPT:   /* the whole batch: a slide's prompt: lines replace it */
            b->prompt = s->prompt;
            b->n_batch = s->n_batch;
            for (int i = 0; i < s->n_batch; i++) b->batch[i] = s->batch[i];
            break;
        case SET_GEN: b->gen = s->gen; break;
        case SET_D_MODEL: b->model.d_model = s->model.d_model; break;
        case SET_HEADS: b->model.n_heads = s->model.n_heads; break;
        case SET_LAYERS: b->model.n_layers = s->model.n_layers; break;
        case SET_D_FF: b->model.d_ff = s->model.d_ff; break;
        case SET_MAX_SEQ: b->model.max_seq = s->model.max_seq; break;
        case SET_SEED: b->model.seed = s->model.seed; break;
        case SET_KV_HEADS: b->model.n_kv_heads = s->model.n_kv_heads; break;
        case SET_WINDOW: b->model.window = s->model.window; break;
        case SET_BLOCK_SIZE: b->model.block_size = s->model.block_size; break;
        case SET_CHUNK: b->model.chunk = s->model.chunk; break;
        case SET_SPECULATE: b->model.speculate = s->model.speculate; break;
        case SET_ROPE: b->model.rope = s->model.rope; break;
        case SET_ROPE_BUG: b->model.rope_offset_bug = s->model.rope_offset_bug; break;
        case SET_PREFIX: b->model.prefix_cache = s->model.prefix_cache; break;
        case SET_WEIGHTS: b->trained = s->trained; break;
        case SET_MODE: b->mode = s->mode; break;
        case SET_GOTO: b->go = s->go; break;
        case SET_LAYER: b->layer = s->layer; break;
        case SET_HEAD: b->head = s->head; break;
        case SET_POINT: b->point = s->point; break;
        default: break;
        }
    }
    /* as on the command line: d-ff follows d-model until it is given */
    if (!(b->set & SETUP_BIT(SET_D_FF))) b->model.d_ff = 4 * b->model.d_model;
    /* and K/V heads follow heads until kv-heads is given */
    if (!(b->set & SETUP_BIT(SET_KV_HEADS))) b->model.n_kv_heads = b->model.n_heads;
}

SlideSetup lesson_state_at(const Lesson *l, int slide)
{
    SlideSetup s = lesson_default_setup();
    if (!l || l->n_slides <= 0 || slide < 0) return s;
    if (slide >= l->n_slides) slide = l->n_slides - 1;
    for (int i = 0; i <= slide; i++) lesson_setup_apply(&s, &l->slides[i].setup);
    return s;
}

bool lesson_same_run(const SlideSetup *a, const SlideSetup *b)
{
    const KvConfig *x = &a->model, *y = &b->model;
    if (a->n_batch != b->n_batch || a->trained != b->trained) return false;
    for (int i = 0; i < a->n_batch; i++)
        if (strcmp(a->batch[i], b->batch[i])) return false;
    return a->gen == b->gen && strcmp(a->prompt, b->prompt) == 0 && x->vocab == y->vocab &&
           x->d_model == y->d_model && x->n_heads == y->n_heads &&
           x->n_kv_heads == y->n_kv_heads && x->n_layers == y->n_layers && x->d_ff == y->d_ff &&
           x->max_seq == y->max_seq && x->seed == y->seed && x->window == y->window &&
           x->block_size == y->block_size && x->chunk == y->chunk && x->speculate == y->speculate &&
           x->rope == y->rope && x->rope_offset_bug == y->rope_offset_bug &&
           x->prefix_cache == y->prefix_cache;
}
