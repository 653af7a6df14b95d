/* eval: lexer, recursive-descent parser and evaluator, templates and
 * number formatting. See eval.h; names and functions are in measure.c.
 *
 * The parser evaluates as it goes (no tree). Every recursive cycle passes
 * through parse_expr() or parse_unary(), which count the depth and stop at
 * EVAL_MAX_DEPTH; the input is bounded by EVAL_MAX_LEN.
 */
#include "lessons/eval.h"

#include "lessons/errmsg.h"
#include "lessons/measure.h"
#include "sim/tokenizer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_END, T_NUM, T_NAME, T_OP, T_LP, T_RP, T_COMMA, T_BAD } TokKind;

typedef struct {
    EvalContext *ctx;
    const char *s;      /* the expression, NUL-terminated */
    size_t pos;         /* byte after the current token */
    TokKind kind;
    size_t start, len;  /* current token's bytes */
    double num;         /* T_NUM */
    int depth;
    char *err;
    size_t errlen;
} P;

/* One row per function: the argument kinds ('m' MODE word, 'c' CAT word,
 * 'n' model NAME, 'f' calc FIELD word, '#' expression), the smallest
 * arity and the signature for messages. */
static const struct {
    const char *name;
    const char *kinds;
    int min_args;
    const char *sig;
} fns[FN_COUNT] = {
    [FN_MACS] = {"macs", "mc##", 3, "macs(MODE, CAT, K[, LAYER])"},
    [FN_TOTAL] = {"total", "mc", 2, "total(MODE, CAT)"},
    [FN_MASKED] = {"masked", "m#", 2, "masked(MODE, K)"},
    [FN_VISIBLE] = {"visible", "#", 1, "visible(K)"},
    [FN_KV_BYTES] = {"kv_bytes", "#", 1, "kv_bytes(K)"},
    [FN_KV_NUMBERS] = {"kv_numbers", "#", 1, "kv_numbers(K)"},
    [FN_TOKEN_POS] = {"token_pos", "#", 1, "token_pos(J)"},
    [FN_RATIO] = {"ratio", "#", 1, "ratio(K)"},
    [FN_LOGIT_DIFF] = {"logit_diff", "", 0, "logit_diff()"},
    [FN_PASSES] = {"passes", "m", 1, "passes(MODE)"},
    [FN_ROWS] = {"rows", "m", 1, "rows(MODE)"},
    [FN_EMIT_STEP] = {"emit_step", "#", 1, "emit_step(J)"},
    [FN_EMITTED] = {"emitted", "#", 1, "emitted(K)"},
    [FN_DRAFTED] = {"drafted", "#", 1, "drafted(K)"},
    [FN_ACCEPTED] = {"accepted", "#", 1, "accepted(K)"},
    [FN_STEP_COST] = {"step_cost", "m######", 7, "step_cost(MODE, d, F, Lyr, V, L, K)"},
    [FN_KV_PER_TOKEN] = {"kv_per_token", "####", 4, "kv_per_token(Lyr, Hkv, dh, BYTES)"},
    [FN_KV_BLOCKS] = {"kv_blocks", "#", 1, "kv_blocks(K)"},
    [FN_KV_RESERVED] = {"kv_reserved", "#", 1, "kv_reserved(K)"},
    [FN_KV_WASTE] = {"kv_waste", "#", 1, "kv_waste(K)"},
    [FN_WEIGHT_BYTES] = {"weight_bytes", "m#", 2, "weight_bytes(MODE, K)"},
    [FN_KV_READ] = {"kv_read", "m#", 2, "kv_read(MODE, K)"},
    [FN_KV_WRITTEN] = {"kv_written", "m#", 2, "kv_written(MODE, K)"},
    [FN_INTENSITY] = {"intensity", "m#", 2, "intensity(MODE, K)"},
    [FN_PROMPT_LEN] = {"prompt_len", "#", 1, "prompt_len(S)"},
    [FN_SHARED_ROWS] = {"shared_rows", "#", 1, "shared_rows(S)"},
    [FN_SEQ_ROWS] = {"seq_rows", "##", 2, "seq_rows(S, K)"},
    [FN_SEQ_MACS] = {"seq_macs", "#c#", 3, "seq_macs(S, CAT, K)"},
    [FN_SEQ_BLOCKS] = {"seq_blocks", "##", 2, "seq_blocks(S, K)"},
    [FN_POOL_BLOCKS] = {"pool_blocks", "#", 1, "pool_blocks(K)"},
    [FN_POOL_RESERVED] = {"pool_reserved", "#", 1, "pool_reserved(K)"},
    [FN_BLOCK_REFS] = {"block_refs", "##", 2, "block_refs(BLOCK, K)"},
    [FN_ATTN] = {"attn", "###", 3, "attn(LAYER, HEAD, J)"},
    [FN_PREV_MATCH] = {"prev_match", "#", 1, "prev_match(P)"},
    [FN_CALC] = {"calc", "nf###", 2, "calc(NAME, FIELD[, T[, BYTES[, BATCH]]])"},
    [FN_BLOCKS_FOR] = {"blocks_for", "##", 2, "blocks_for(T, B)"},
    [FN_WASTE_FOR] = {"waste_for", "###", 3, "waste_for(T, B, BYTES)"},
    [FN_MIN] = {"min", "##", 2, "min(X, Y)"},
    [FN_MAX] = {"max", "##", 2, "max(X, Y)"},
    [FN_CEIL] = {"ceil", "#", 1, "ceil(X)"},
    [FN_FLOOR] = {"floor", "#", 1, "floor(X)"},
    [FN_ROUND] = {"round", "##", 1, "round(X[, DIGITS])"},
};

static const char FN_LIST[] = "macs, total, masked, visible, kv_bytes, kv_numbers, token_pos, "
                              "ratio, logit_diff, passes, rows, emit_step, emitted, drafted, "
                              "accepted, step_cost, kv_per_token, "
                              "kv_blocks, kv_reserved, kv_waste, weight_bytes, kv_read, "
                              "kv_written, intensity, prompt_len, shared_rows, seq_rows, seq_macs, "
                              "seq_blocks, pool_blocks, pool_reserved, block_refs, attn, prev_match, calc, "
                              "blocks_for, waste_for, min, max, "
                              "ceil, floor or round";
static const char NAME_LIST[] = "d, H, dh, Lyr, F, V, N, L, G, k, n, t, pos, Hkv, W, B, balance or Nseq";

__attribute__((format(printf, 2, 3))) static int fail(P *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vfail(p->err, p->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* 1-based character column of byte offset `at`. */
static int column(const P *p, size_t at)
{
    int col = 1;
    for (size_t i = 0; i < at; i++)
        if (((unsigned char)p->s[i] & 0xC0) != 0x80) col++;
    return col;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static void next(P *p)
{
    const char *s = p->s;
    size_t i = p->pos;
    while (s[i] == ' ' || s[i] == '\t') i++;
    p->start = i;
    char c = s[i];
    if (c == '\0') {
        p->kind = T_END;
    } else if (is_digit(c) || (c == '.' && is_digit(s[i + 1]))) {
        while (is_digit(s[i])) i++;
        if (s[i] == '.') {
            i++;
            while (is_digit(s[i])) i++;
        }
        if ((s[i] == 'e' || s[i] == 'E') &&
            (is_digit(s[i + 1]) || ((s[i + 1] == '+' || s[i + 1] == '-') && is_digit(s[i + 2])))) {
            i += 2;
            while (is_digit(s[i])) i++;
        }
        char buf[64];
        size_t n = i - p->start;
        p->kind = T_NUM;
        p->num = NAN;   /* too long: reported by primary() */
        if (n < sizeof buf) {
            memcpy(buf, s + p->start, n);
            buf[n] = '\0';
            p->num = strtod(buf, NULL);
        }
    } else if (is_alpha(c)) {
        while (is_alpha(s[i]) || is_digit(s[i])) i++;
        p->kind = T_NAME;
    } else {
        i++;
        switch (c) {
        case '+': case '-': case '*': case '/': case '%': case '^': p->kind = T_OP; break;
        case '(': p->kind = T_LP; break;
        case ')': p->kind = T_RP; break;
        case ',': p->kind = T_COMMA; break;
        default: {
            int32_t cp;
            int n = utf8_next(s + p->start, &cp);
            if (n > 1) i = p->start + (size_t)n;
            p->kind = T_BAD;
        }
        }
    }
    p->len = i - p->start;
    p->pos = i;
}

static bool is_op(const P *p, char c)
{
    return p->kind == T_OP && p->s[p->start] == c;
}

static int unexpected(P *p, const char *expected)
{
    if (p->kind == T_END) return fail(p, "unexpected end of the expression; expected %s", expected);
    unsigned char c = (unsigned char)p->s[p->start];
    if (p->kind == T_BAD && (c < 0x20 || c == 0x7F || (c >= 0x80 && p->len == 1)))
        return fail(p, "unexpected byte 0x%02x at column %d", c, column(p, p->start));
    int n = p->len > 40 ? 40 : (int)p->len;
    return fail(p, "unexpected '%.*s' at column %d; expected %s", n, p->s + p->start,
                column(p, p->start), expected);
}

static int finite_or_fail(P *p, double v, char op, size_t at)
{
    if (isfinite(v)) return 0;
    if (isnan(v))
        return fail(p, "'%c' at column %d gives no real number (e.g. a negative base with a "
                    "fractional power)", op, column(p, at));
    return fail(p, "'%c' at column %d gives a number too large", op, column(p, at));
}

static int parse_expr(P *p, double *v);
static int parse_unary(P *p, double *v);

static int word_arg(P *p, char kind, int index, EvalCall *call)
{
    static const char *const modes[MODE_COUNT] = {"cache", "recompute", "train"};
    const char *what = kind == 'm'   ? "a mode (cache, recompute or train)"
                       : kind == 'c' ? "a category (qkv, scores, values, out_proj, ffn, lm_head, "
                                       "rope or total)"
                       : kind == 'n' ? "a model name (e.g. llama-2-7b)"
                                     : "a calc field (e.g. kv_bytes_per_token)";
    if (p->kind != T_NAME)
        return fail(p, "%s: argument %d must be %s; found '%.*s' at column %d", fns[call->fn].name,
                    index + 1, what, p->len > 40 ? 40 : (int)p->len, p->s + p->start,
                    column(p, p->start));
    if (kind == 'n') {
        /* a model name may hold '-', '.' and digits (llama-2-7b): take the
         * whole run of such bytes as one word */
        size_t e = p->start;
        while (is_alpha(p->s[e]) || is_digit(p->s[e]) || p->s[e] == '-' || p->s[e] == '.') e++;
        p->pos = e;
        p->len = e - p->start;
    }
    int w = (int)p->len;
    const char *s = p->s + p->start;
    if (kind == 'n') {
        char name[64];
        const CalcShape *shape = NULL;
        if (p->len < sizeof name) {
            memcpy(name, s, p->len);
            name[p->len] = '\0';
            shape = calc_find_model(name);
        }
        if (!shape) {
            char list[256];
            calc_model_names(list, sizeof list);
            return fail(p, "unknown model '%.*s' at column %d; expected %s", w > 40 ? 40 : w, s,
                        column(p, p->start), list);
        }
        call->shape = shape;
        next(p);
        return 0;
    }
    if (kind == 'f') {
        int f = measure_calc_field(s, p->len);
        if (f < 0)
            return fail(p, "unknown calc field '%.*s' at column %d; expected a number key of "
                        "'kvsim calc --format json', e.g. kv_bytes_per_token, kv_cache_bytes, "
                        "params, weights_bytes or arithmetic_intensity (docs/lessons.md lists "
                        "them all)", w > 40 ? 40 : w, s, column(p, p->start));
        call->field = f;
        next(p);
        return 0;
    }
    if (kind == 'm') {
        for (int m = 0; m < MODE_COUNT; m++)
            if ((int)strlen(modes[m]) == w && !strncmp(s, modes[m], (size_t)w)) {
                call->mode = (RunMode)m;
                next(p);
                return 0;
            }
        return fail(p, "unknown mode '%.*s' at column %d; expected cache, recompute or train",
                    w > 40 ? 40 : w, s, column(p, p->start));
    }
    for (int c = 0; c <= CAT_ROPE; c++) {
        const char *name = c == CAT_TOTAL ? "total" : c == CAT_ROPE ? "rope" : counts_name((Category)c);
        if ((int)strlen(name) == w && !strncmp(s, name, (size_t)w)) {
            call->cat = c;
            next(p);
            return 0;
        }
    }
    return fail(p, "unknown category '%.*s' at column %d; expected qkv, scores, values, out_proj, "
                "ffn, lm_head, rope or total", w > 40 ? 40 : w, s, column(p, p->start));
}

/* At the '(' after function fn. */
static int parse_call(P *p, EvalFn fn, double *v)
{
    EvalCall call;
    memset(&call, 0, sizeof call);
    call.fn = fn;
    const char *kinds = fns[fn].kinds;
    const int max_args = (int)strlen(kinds);
    next(p);
    if (p->kind != T_RP) {
        for (;;) {
            if (call.n_args >= EVAL_MAX_ARGS)
                return fail(p, "%s takes %d argument%s: %s", fns[fn].name, max_args,
                            max_args == 1 ? "" : "s", fns[fn].sig);
            char kind = call.n_args < max_args ? kinds[call.n_args] : '#';
            if (kind == 'm' || kind == 'c' || kind == 'n' || kind == 'f') {
                if (word_arg(p, kind, call.n_args, &call)) return -1;
            } else {
                if (parse_expr(p, &call.num[call.n_num])) return -1;
                call.n_num++;
            }
            call.n_args++;
            if (p->kind == T_COMMA) {
                next(p);
                continue;
            }
            if (p->kind == T_RP) break;
            return unexpected(p, "',' or ')'");
        }
    }
    if (call.n_args < fns[fn].min_args || call.n_args > max_args) {
        if (max_args == 0) return fail(p, "logit_diff() takes no arguments");
        if (fns[fn].min_args == max_args)
            return fail(p, "%s() takes %d argument%s: %s; got %d", fns[fn].name, max_args,
                        max_args == 1 ? "" : "s", fns[fn].sig, call.n_args);
        if (max_args == fns[fn].min_args + 1)
            return fail(p, "%s() takes %d or %d arguments: %s; got %d", fns[fn].name,
                        fns[fn].min_args, max_args, fns[fn].sig, call.n_args);
        return fail(p, "%s() takes %d to %d arguments: %s; got %d", fns[fn].name,
                    fns[fn].min_args, max_args, fns[fn].sig, call.n_args);
    }
    next(p);   /* past ')' */
    return measure_call(p->ctx, &call, v, p->err, p->errlen);
}

static int primary(P *p, double *v)
{
    if (p->kind == T_NUM) {
        if (!isfinite(p->num))
            return fail(p, "number at column %d is too long or too large", column(p, p->start));
        *v = p->num;
        next(p);
        return 0;
    }
    if (p->kind == T_LP) {
        size_t at = p->start;
        next(p);
        if (parse_expr(p, v)) return -1;
        if (p->kind != T_RP) {
            if (p->kind == T_END)
                return fail(p, "missing ')' for the '(' at column %d", column(p, at));
            return unexpected(p, "an operator or ')'");
        }
        next(p);
        return 0;
    }
    if (p->kind != T_NAME) return unexpected(p, p->ctx ? "a number, a name, a function or '('"
                                                        : "a number or '('");
    if (!p->ctx)   /* eval_number: a student's answer is plain arithmetic */
        return fail(p, "'%.*s' at column %d: an answer holds only numbers and + - * / ^ ( ), "
                    "e.g. 2/5, 1e3 or 3*8", p->len > 20 ? 20 : (int)p->len, p->s + p->start,
                    column(p, p->start));
    char name[33];
    size_t at = p->start;
    int n = p->len < sizeof name ? (int)p->len : (int)sizeof name - 1;
    memcpy(name, p->s + p->start, (size_t)n);
    name[n] = '\0';
    if (p->len >= sizeof name) return fail(p, "name at column %d is too long", column(p, at));
    int fn = -1;
    for (int i = 0; i < FN_COUNT; i++)
        if (!strcmp(name, fns[i].name)) fn = i;
    next(p);
    if (p->kind == T_LP) {
        if (fn < 0)
            return fail(p, "unknown function '%s'; expected %s", name, FN_LIST);
        return parse_call(p, (EvalFn)fn, v);
    }
    if (fn >= 0)
        return fail(p, "'%s' at column %d is a function; write %s", name, column(p, at),
                    fns[fn].sig);
    int rc = measure_name(p->ctx, name, v, p->err, p->errlen);
    if (rc > 0)
        return fail(p, "unknown name '%s'; expected %s, a number or a function", name,
                    NAME_LIST);
    return rc;
}

static int parse_power(P *p, double *v)
{
    if (primary(p, v)) return -1;
    if (!is_op(p, '^')) return 0;
    size_t at = p->start;
    next(p);
    double e;
    if (parse_unary(p, &e)) return -1;   /* right-associative: 2^3^2 = 2^9 */
    *v = pow(*v, e);
    return finite_or_fail(p, *v, '^', at);
}

static int parse_unary(P *p, double *v)
{
    if (++p->depth > EVAL_MAX_DEPTH)
        return fail(p, "expression nested too deeply (more than %d levels) at column %d",
                    EVAL_MAX_DEPTH, column(p, p->start));
    int rc;
    if (is_op(p, '-') || is_op(p, '+')) {
        bool neg = is_op(p, '-');
        next(p);
        rc = parse_unary(p, v);
        if (neg) *v = -*v;
    } else {
        rc = parse_power(p, v);
    }
    p->depth--;
    return rc;
}

static int parse_term(P *p, double *v)
{
    if (parse_unary(p, v)) return -1;
    while (is_op(p, '*') || is_op(p, '/') || is_op(p, '%')) {
        char op = p->s[p->start];
        size_t at = p->start;
        next(p);
        double r;
        if (parse_unary(p, &r)) return -1;
        if (op != '*' && r == 0)
            return fail(p, "%s by zero at column %d", op == '/' ? "division" : "modulo",
                        column(p, at));
        *v = op == '*' ? *v * r : op == '/' ? *v / r : fmod(*v, r);
        if (finite_or_fail(p, *v, op, at)) return -1;
    }
    return 0;
}

static int parse_expr(P *p, double *v)
{
    if (++p->depth > EVAL_MAX_DEPTH)
        return fail(p, "expression nested too deeply (more than %d levels) at column %d",
                    EVAL_MAX_DEPTH, column(p, p->start));
    int rc = parse_term(p, v);
    while (rc == 0 && (is_op(p, '+') || is_op(p, '-'))) {
        char op = p->s[p->start];
        size_t at = p->start;
        next(p);
        double r;
        rc = parse_term(p, &r);
        if (rc == 0) {
            *v = op == '+' ? *v + r : *v - r;
            rc = finite_or_fail(p, *v, op, at);
        }
    }
    p->depth--;
    return rc;
}

int eval_expr(EvalContext *ctx, const char *expr, double *out, char *err, size_t errlen)
{
    P p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.s = expr ? expr : "";
    p.err = err;
    p.errlen = errlen;
    if (err && errlen) err[0] = '\0';
    if (strnlen(p.s, EVAL_MAX_LEN + 1) > EVAL_MAX_LEN)
        return fail(&p, "expression longer than %d bytes", EVAL_MAX_LEN);
    next(&p);
    if (p.kind == T_END) return fail(&p, "empty expression");
    double v = 0;
    if (parse_expr(&p, &v)) return -1;
    if (p.kind != T_END) return unexpected(&p, "an operator or the end");
    if (!isfinite(v)) return fail(&p, "the value is not a finite number");
    *out = v == 0 ? 0.0 : v;   /* no -0 */
    return 0;
}

int eval_number(const char *text, double *out, char *err, size_t errlen)
{
    /* drop thousands separators: a ',' between a digit and exactly three
     * digits (524,288 or 1,073,741,824); any other ',' stays and is an error */
    char buf[128];
    size_t n = 0;
    const char *t = text ? text : "";
    for (size_t i = 0; t[i]; i++) {
        bool group = t[i] == ',' && i > 0 && is_digit(t[i - 1]) && is_digit(t[i + 1]) &&
                     is_digit(t[i + 2]) && is_digit(t[i + 3]) && !is_digit(t[i + 4]) &&
                     t[i + 4] != '.';
        if (group) continue;
        if (n + 1 >= sizeof buf) {
            if (err && errlen) snprintf(err, errlen, "answer longer than %zu bytes", sizeof buf - 1);
            return -1;
        }
        buf[n++] = t[i];
    }
    buf[n] = '\0';
    return eval_expr(NULL, buf, out, err, errlen);
}

void eval_format(double v, char *out, size_t outlen)
{
    if (!out || outlen == 0) return;
    if (!isfinite(v)) {
        snprintf(out, outlen, "%g", v);
        return;
    }
    if (fabs(v) >= 1e18) {   /* beyond exact integers: keep it short */
        snprintf(out, outlen, "%.6g", v);
        return;
    }
    if (v == floor(v)) {
        snprintf(out, outlen, "%.0f", v == 0 ? 0.0 : v);
        return;
    }
    if (fabs(v) < 1e-4) {
        snprintf(out, outlen, "%.4g", v);
        return;
    }
    snprintf(out, outlen, "%.4f", v);
    char *dot = strchr(out, '.');
    if (!dot) return;
    char *e = out + strlen(out);
    while (e > dot + 1 && e[-1] == '0') *--e = '\0';
    if (e == dot + 1) *dot = '\0';
    if (!strcmp(out, "-0")) snprintf(out, outlen, "0");
}

int eval_template(EvalContext *ctx, const char *text, char *out, size_t outlen, char *err,
                  size_t errlen)
{
    size_t o = 0;
    if (err && errlen) err[0] = '\0';
    if (!out || outlen == 0) return errmsg_fail(err, errlen, "no room for the text");
    out[0] = '\0';
    char expr[EVAL_MAX_LEN + 1], val[64], msg[512];
    for (size_t i = 0; text[i];) {
        const char *piece = text + i;
        size_t plen = 1;
        if (text[i] == '{' && text[i + 1] == '{') {
            i += 2;
        } else if (text[i] == '}' && text[i + 1] == '}') {
            piece = "}";
            i += 2;
        } else if (text[i] == '{') {
            const char *close = strchr(text + i + 1, '}');
            int col = 1;
            for (size_t j = 0; j < i; j++)
                if (((unsigned char)text[j] & 0xC0) != 0x80) col++;
            if (!close)
                return errmsg_fail(err, errlen,
                                   "unclosed '{' at column %d; write {{ for a "
                                   "literal brace",
                                   col);
            size_t n = (size_t)(close - (text + i + 1));
            if (n > EVAL_MAX_LEN)
                return errmsg_fail(err, errlen, "template at column %d is longer than %d bytes",
                                   col, EVAL_MAX_LEN);
            memcpy(expr, text + i + 1, n);
            expr[n] = '\0';
            double v;
            if (eval_expr(ctx, expr, &v, msg, sizeof msg))
                return errmsg_fail(err, errlen, "{%.60s}: %s", expr, msg);
            eval_format(v, val, sizeof val);
            piece = val;
            plen = strlen(val);
            i += n + 2;
        } else {
            i++;
        }
        if (o + plen >= outlen)
            return errmsg_fail(err, errlen,
                               "text too long after filling in its templates (more than "
                               "%zu bytes)",
                               outlen - 1);
        memcpy(out + o, piece, plen);
        o += plen;
        out[o] = '\0';
    }
    return 0;
}
