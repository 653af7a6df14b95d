/* app: UI state and what keys do to it. See app.h. */
#include "ui/app.h"

#include "sim/tokenizer.h"
#include "ui/keys.h"
#include "ui/term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Playing speeds, operations per second. */
static const int speeds[] = {1, 2, 4, 8, 15, 30, 60};
#define N_SPEEDS ((int)(sizeof speeds / sizeof speeds[0]))
/* Token autoplay: milliseconds per whole token step (a class reads a step). */
static const int paces[] = {500, 1000, 2000, 3000, 5000, 8000, 12000};
#define N_PACES ((int)(sizeof paces / sizeof paces[0]))

static Engine *seq_engine(App *a, int s)
{
    return s == 0 ? &a->eng[MODE_CACHE] : &a->batch[s];
}

/* The batch's extra engines and the pool (sequence 0's engine is freed with
 * the others). */
static void batch_free(App *a)
{
    for (int s = 1; s < a->n_seqs && a->batch; s++) engine_free(&a->batch[s]);
    free(a->batch);
    a->batch = NULL;
    if (a->pool) paged_free(a->pool);
    free(a->pool);
    a->pool = NULL;
    a->batch_pos = 0;
}

static void engines_free(App *a)
{
    batch_free(a);
    for (int m = 0; m < MODE_COUNT; m++) engine_free(&a->eng[m]);
}

/* One cache engine per further prompt (a prompt the model no longer admits,
 * after a lesson changed it, leaves the batch), then the shared pool. */
static int batch_init(App *a, char *err, size_t errlen)
{
    const KvConfig *c = &a->opt.cfg;
    const int N = c->max_seq;
    char msg[256];
    snprintf(a->seq_prompt[0], sizeof a->seq_prompt[0], "%s", a->prompt);
    a->batch = calloc((size_t)a->n_seqs, sizeof(Engine));
    int *ids = malloc(sizeof(int) * (size_t)N);
    if (!a->batch || !ids) {
        free(ids);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n = 1;
    for (int s = 1; s < a->n_seqs; s++) {
        int L = tokenizer_encode(a->seq_prompt[s], ids, N, msg, sizeof msg);
        if (L < 0 || config_validate(c, L, a->G, msg, sizeof msg)) continue;
        if (n != s) memcpy(a->seq_prompt[n], a->seq_prompt[s], sizeof a->seq_prompt[n]);
        if (engine_init(&a->batch[n], &a->model, MODE_CACHE, ids, L, a->G, err, errlen)) {
            a->n_seqs = n;
            free(ids);
            return -1;
        }
        n++;
    }
    a->n_seqs = n;
    free(ids);
    if (c->block_size > 0) {
        /* one pool for the batch, enough for every sequence at max_seq */
        a->pool = calloc(1, sizeof(PagedPool));
        if (!a->pool || paged_init(a->pool, c->n_layers, config_kv_dim(c), c->block_size,
                                   paged_blocks_for(c->block_size, n, N), n, N)) {
            free(a->pool);
            a->pool = NULL;
            snprintf(err, errlen, "out of memory for the block pool");
            return -1;
        }
        for (int s = 0; s < n; s++)
            if (engine_share_pool(seq_engine(a, s), a->pool, s)) {
                snprintf(err, errlen, "cannot share the block pool");
                return -1;
            }
    }
    a->batch_pos = 0;
    return 0;
}

static int engines_init(App *a, char *err, size_t errlen)
{
    for (int m = 0; m < MODE_COUNT; m++)
        if (engine_init(&a->eng[m], &a->model, (RunMode)m, a->ids, a->L, a->G, err, errlen)) {
            engines_free(a);
            return -1;
        }
    if (batch_init(a, err, errlen)) {
        engines_free(a);
        return -1;
    }
    return 0;
}

int app_rebuild(App *a, const KvConfig *cfg, const char *prompt, int gen, char *err, size_t errlen)
{
    char msg[256];
    if (config_validate(cfg, 0, 0, err, errlen)) return -1;
    int *ids = malloc(sizeof(int) * (size_t)cfg->max_seq);
    if (!ids) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int L = tokenizer_encode(prompt, ids, cfg->max_seq, msg, sizeof msg);
    if (L < 0) {
        snprintf(err, errlen, "--prompt: %s", msg);
        free(ids);
        return -1;
    }
    if (config_validate(cfg, L, gen, err, errlen)) {
        free(ids);
        return -1;
    }
    Model m;
    if (model_init(&m, cfg)) {
        snprintf(err, errlen, "out of memory building the model");
        free(ids);
        return -1;
    }
    engines_free(a);
    model_free(&a->model);
    free(a->ids);
    a->model = m;
    a->ids = ids;
    a->L = L;
    a->G = gen;
    a->opt.cfg = *cfg;
    a->opt.gen = gen;
    snprintf(a->prompt, sizeof a->prompt, "%s", prompt);
    if (a->layer >= cfg->n_layers) a->layer = 0;
    if (a->head >= cfg->n_heads) a->head = 0;
    return engines_init(a, err, errlen);
}

int app_init(App *a, const CliOptions *o, const int *ids, int L, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->opt = *o;
    snprintf(a->prompt, sizeof a->prompt, "%s", o->prompt);
    a->opt.prompt = a->prompt;
    a->L = L;
    a->G = o->gen;
    a->view = o->view;
    a->speed = 2;
    a->pace = 3;   /* 3 s per token step */
    a->n_seqs = o->n_prompts > 1 ? o->n_prompts : 1;
    if (a->n_seqs > CLI_MAX_PROMPTS) a->n_seqs = CLI_MAX_PROMPTS;
    for (int s = 1; s < a->n_seqs; s++)
        snprintf(a->seq_prompt[s], sizeof a->seq_prompt[s], "%s", o->prompts[s] ? o->prompts[s] : "");
    a->ids = malloc(sizeof(int) * (size_t)o->cfg.max_seq);
    if (!a->ids || model_init(&a->model, &o->cfg)) {
        free(a->ids);
        snprintf(err, errlen, "out of memory building the model");
        return -1;
    }
    memcpy(a->ids, ids, sizeof(int) * (size_t)L);
    if (engines_init(a, err, errlen)) {
        model_free(&a->model);
        free(a->ids);
        return -1;
    }
    if (o->goto_step >= 0 && app_goto(a, o->goto_step, o->goto_op)) {   /* --goto: resume a class */
        snprintf(err, errlen, "%s", a->message);
        app_free(a);
        return -1;
    }
    return 0;
}

void app_free(App *a)
{
    app_lesson_free(a);
    engines_free(a);
    model_free(&a->model);
    free(a->ids);
    memset(a, 0, sizeof *a);
}

static RunMode primary_mode(View v)
{
    switch (v) {
    case VIEW_RECOMPUTE: return MODE_RECOMPUTE;
    case VIEW_TRAIN: return MODE_TRAIN;
    default: return MODE_CACHE;
    }
}

const Engine *app_engine(const App *a)
{
    return &a->eng[primary_mode(a->view)];
}

/* A fresh pool (every sequence is empty): its free list hands out 0, 1, 2,
 * ... again. On failure the old pool stays (consistent, other ids). */
static void pool_reset(App *a)
{
    PagedPool fresh;
    const PagedPool *p = a->pool;
    if (paged_init(&fresh, p->n_layers, p->kv_dim, p->block_size, p->n_blocks, p->n_seqs, p->max_len))
        return;
    paged_free(a->pool);
    *a->pool = fresh;
}

/* Every cache engine of the batch to the cache engine's position P, in the
 * trace's order (sim/trace.c): step k of sequences 0, 1, ... then step
 * k + 1. Blocks are taken only by a step's append and given back only by a
 * rewind, so following a cache engine that went forward over at most one
 * append keeps that order; anything else (backwards, or a jump over several
 * steps) replays the batch from a fresh pool. */
static void batch_sync(App *a)
{
    Engine *c = &a->eng[MODE_CACHE];
    const long P = c->pos, Q = a->batch_pos, ops = c->ops_per_step;
    if (P == Q) return;
    if (a->pool && (P < Q || P / ops - Q / ops > 1)) {
        for (int s = 0; s < a->n_seqs; s++) engine_seek(seq_engine(a, s), 0);
        pool_reset(a);
        for (long at = 0; at < P;) {
            long to = (at / ops + 1) * ops;
            if (to > P) to = P;
            for (int s = 0; s < a->n_seqs; s++) engine_seek(seq_engine(a, s), to);
            at = to;
        }
    } else {
        for (int s = 1; s < a->n_seqs; s++) engine_seek(seq_engine(a, s), P);
    }
    a->batch_pos = P;
}

/* Bring the other of cache/recompute to the primary's step and operation.
 * Their operation lists are the same but for cache's final "append". Then
 * the batch follows the cache engine. */
void app_sync(App *a)
{
    RunMode pm = primary_mode(a->view);
    if (pm != MODE_TRAIN) {
        const Engine *p = &a->eng[pm];
        Engine *o = &a->eng[pm == MODE_CACHE ? MODE_RECOMPUTE : MODE_CACHE];
        if (p->pos == 0) {
            engine_seek(o, 0);
        } else {
            long k = (p->pos - 1) / p->ops_per_step;
            long j = p->pos - k * p->ops_per_step;          /* operations done in step k, 1..ops */
            if (j == p->ops_per_step) j = o->ops_per_step;  /* a finished step maps to a finished step */
            else if (j > o->ops_per_step) j = o->ops_per_step;
            engine_seek(o, k * o->ops_per_step + j);
        }
    }
    batch_sync(a);
}

static Engine *primary(App *a)
{
    return &a->eng[primary_mode(a->view)];
}

/* ---- prompt editing ---------------------------------------------------------- */

static void set_message(App *a, bool error, const char *msg)
{
    snprintf(a->message, sizeof a->message, "%s", msg);
    a->message_is_error = error;
}

/* Append code point cp to the edit line if it is in the alphabet; otherwise
 * reject it with the CLI's message for the line as it would become. */
static unsigned edit_insert(App *a, int cp)
{
    char enc[8] = "";
    int id = tokenizer_id(cp);
    size_t len = strlen(a->edit);
    if (id >= 0) tokenizer_decode(id, enc);
    if (id < 0 || len + strlen(enc) + 1 > sizeof a->edit) {
        /* build the would-be line to get the same message as the CLI */
        char probe[APP_EDIT_MAX + 8], msg[256], full[300];
        int ids[APP_EDIT_MAX];
        char ch[8] = "";
        ch[utf8_encode(cp, ch)] = '\0';
        snprintf(probe, sizeof probe, "%s%s", a->edit, ch);
        if (tokenizer_encode(probe, ids, APP_EDIT_MAX, msg, sizeof msg) >= 0)
            snprintf(msg, sizeof msg, "prompt too long for the input line");
        snprintf(full, sizeof full, "--prompt: %s", msg);
        set_message(a, true, full);
        return ACTION_REDRAW | ACTION_ERROR;
    }
    memcpy(a->edit + len, enc, strlen(enc) + 1);
    a->message[0] = '\0';
    return ACTION_REDRAW;
}

static void edit_backspace(App *a)
{
    size_t len = strlen(a->edit);
    while (len > 0) {
        unsigned char b = (unsigned char)a->edit[--len];
        if ((b & 0xC0) != 0x80) break;   /* stop at the first byte of a character */
    }
    a->edit[len] = '\0';
}

/* Enter: validate like the CLI; on success restart on the new prompt. */
static unsigned edit_accept(App *a)
{
    char err[320];
    KvConfig cfg = a->opt.cfg;
    if (app_rebuild(a, &cfg, a->edit, a->G, err, sizeof err)) {
        set_message(a, true, err);
        return ACTION_REDRAW | ACTION_ERROR;   /* the old prompt stays */
    }
    a->editing = false;
    a->playing = false;
    set_message(a, false, TR(a, "prompt changed: back at the start", "提示词已更改：回到开头"));
    return ACTION_REDRAW;
}

static unsigned edit_key(App *a, int key)
{
    switch (key) {
    case TERM_KEY_ENTER: return edit_accept(a);
    case TERM_KEY_ESC:
        a->editing = false;
        a->message[0] = '\0';
        return ACTION_REDRAW;
    case TERM_KEY_BACKSPACE:
        edit_backspace(a);
        a->message[0] = '\0';
        return ACTION_REDRAW;
    default:
        if (key >= 0x20 && key < TERM_KEY_BASE && key != 0x7F) return edit_insert(a, key);
        return ACTION_NONE;
    }
}

/* ---- go to a step ------------------------------------------------------------- */

int app_goto(App *a, int step, int op)
{
    Engine *e = primary(a);
    if (step < 0 || step >= e->n_steps) {
        snprintf(a->message, sizeof a->message, TR(a, "step %d: the run has steps 0-%d", "第 %d 步：本次运行只有第 0-%d 步"),
                 step, e->n_steps - 1);
        a->message_is_error = true;
        return -1;
    }
    if (op > e->ops_per_step) {
        snprintf(a->message, sizeof a->message, TR(a, "operation %d: a step has operations 1-%d", "运算 %d：每步只有运算 1-%d"),
                 op, e->ops_per_step);
        a->message_is_error = true;
        return -1;
    }
    engine_seek(e, (long)step * e->ops_per_step + (op > 0 ? op : e->ops_per_step));
    app_sync(a);
    return 0;
}

/* The go-to line: digits and one dot; Enter goes, Esc cancels. */
static unsigned jump_key(App *a, int key)
{
    size_t len = strlen(a->jump);
    switch (key) {
    case TERM_KEY_ESC:
        a->jumping = false;
        a->message[0] = '\0';
        return ACTION_REDRAW;
    case TERM_KEY_BACKSPACE:
        if (len) a->jump[len - 1] = '\0';
        return ACTION_REDRAW;
    case TERM_KEY_ENTER: {
        int step = -1, op = 0;
        char tail;
        const int n = sscanf(a->jump, "%d.%d%c", &step, &op, &tail);
        if ((n != 1 && n != 2) || (n == 1 && strchr(a->jump, '.')) || (n == 2 && op < 1)) {
            set_message(a, true, TR(a, "type a step, or STEP.OP (e.g. 3 or 3.5)", "请输入步号，或 步号.运算（如 3 或 3.5）"));
            return ACTION_REDRAW | ACTION_ERROR;
        }
        if (app_goto(a, step, op)) return ACTION_REDRAW | ACTION_ERROR;
        a->jumping = false;
        a->message[0] = '\0';
        return ACTION_REDRAW;
    }
    default:
        if (((key >= '0' && key <= '9') || (key == '.' && !strchr(a->jump, '.'))) && len + 1 < sizeof a->jump) {
            a->jump[len] = (char)key;
            a->jump[len + 1] = '\0';
            a->message[0] = '\0';
        }
        return ACTION_REDRAW;   /* the line swallows other keys */
    }
}

/* ---- keys -------------------------------------------------------------------- */

unsigned app_handle_key(App *a, int key)
{
    if (key == TERM_KEY_NONE) return ACTION_NONE;
    if (key == TERM_KEY_EOF) return ACTION_QUIT;
    if (key == TERM_KEY_RESIZE) return ACTION_REDRAW;
    if (a->blank) {                     /* any key brings the screen back, and does nothing else */
        a->blank = false;
        return ACTION_REDRAW;
    }
    if (a->editing) return edit_key(a, key);
    if (a->jumping) return jump_key(a, key);
    if (a->lesson) {
        unsigned act = app_lesson_key(a, key);
        if (act != ACTION_NONE) return act;
    }
    if (a->help) {                      /* any key closes the help */
        a->help = false;
        return ACTION_REDRAW;
    }
    a->message[0] = '\0';
    Engine *e = primary(a);
    const int Lyr = a->opt.cfg.n_layers, H = a->opt.cfg.n_heads;
    switch (keys_action_main(key)) {
    case KA_NEXT_OP: engine_next_op(e); break;
    case KA_PREV_OP: engine_prev_op(e); break;
    case KA_NEXT_LAYER: engine_next_layer(e); break;
    case KA_PREV_LAYER: engine_prev_layer(e); break;
    case KA_NEXT_STEP: engine_next_step(e); break;
    case KA_PREV_STEP: engine_prev_step(e); break;
    case KA_START: engine_seek(e, 0); break;
    case KA_END: engine_run_to_end(e); break;
    case KA_PLAY:         /* by token step: a class sees whole steps */
    case KA_PLAY_OPS: {   /* by operation: the inside of a step */
        const bool ops = keys_action_main(key) == KA_PLAY_OPS;
        if (a->playing && a->play_ops == ops) {
            a->playing = false;
            break;
        }
        if (e->pos >= engine_total_ops(e)) engine_seek(e, 0);   /* play again from the top */
        a->playing = true;
        a->play_ops = ops;
        break;
    }
    case KA_FASTER: if (a->speed < N_SPEEDS - 1) a->speed++; break;
    case KA_SLOWER: if (a->speed > 0) a->speed--; break;
    case KA_PACE_FASTER: if (a->pace > 0) a->pace--; break;
    case KA_PACE_SLOWER: if (a->pace < N_PACES - 1) a->pace++; break;
    case KA_STEP_STOP: a->step_stop = !a->step_stop; break;
    case KA_JUMP:
        a->jumping = true;
        a->jump[0] = '\0';
        return ACTION_REDRAW;
    case KA_MODE:
        a->view = (View)((a->view + 1) % VIEW_COUNT);
        break;
    case KA_LAYER_NEXT: a->layer = (a->layer + 1) % Lyr; break;
    case KA_LAYER_PREV: a->layer = (a->layer + Lyr - 1) % Lyr; break;
    case KA_HEAD_NEXT: a->head = (a->head + 1) % H; break;
    case KA_HEAD_PREV: a->head = (a->head + H - 1) % H; break;
    case KA_SCALE: a->log_scale = !a->log_scale; break;
    case KA_EDIT:
        a->editing = true;
        a->playing = false;
        snprintf(a->edit, sizeof a->edit, "%s", a->prompt);
        break;
    case KA_RESTART:
        for (int m = 0; m < MODE_COUNT; m++) engine_seek(&a->eng[m], 0);
        a->playing = false;
        break;
    case KA_HELP: a->help = true; break;
    case KA_BLANK:
        a->blank = true;
        a->playing = false;   /* the class misses nothing while the screen is dark */
        return ACTION_REDRAW;
    case KA_CLOSE: return ACTION_NONE;   /* nothing open: Esc never quits */
    case KA_QUIT: return ACTION_QUIT;
    default: return ACTION_NONE;
    }
    app_sync(a);
    return ACTION_REDRAW;
}

unsigned app_tick(App *a)
{
    if (!a->playing) return ACTION_NONE;
    Engine *e = primary(a);
    if (!(a->play_ops ? engine_next_op(e) : engine_next_step(e))) {
        a->playing = false;
        return ACTION_REDRAW;
    }
    app_sync(a);
    if (e->pos >= engine_total_ops(e)) a->playing = false;
    if (a->play_ops && a->step_stop && engine_at_step_end(e)) a->playing = false;   /* time to explain */
    return ACTION_REDRAW;
}

int app_tick_ms(const App *a)
{
    return a->play_ops ? 1000 / speeds[a->speed] : paces[a->pace];
}

int app_pace_ms(const App *a)
{
    return paces[a->pace];
}

int app_speed_ops(const App *a)
{
    return speeds[a->speed];
}
