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

/* Build a run into *r for the first prompt (ids, L) and the batch's
 * further prompts (a->seq_prompt); a further prompt the model no longer
 * admits (a lesson changed it) leaves the batch and a->n_seqs shrinks. */
static int build_run(App *a, Run *r, const KvConfig *c, const int *ids, int L, int G, char *err, size_t errlen)
{
    const int N = c->max_seq;
    char msg[256];
    RunPrompt p[CLI_MAX_PROMPTS];
    int *buf = malloc(sizeof(int) * (size_t)N * (size_t)a->n_seqs);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p[0] = (RunPrompt){ids, L};
    int n = 1;
    for (int s = 1; s < a->n_seqs; s++) {
        int *dst = buf + (size_t)n * (size_t)N;
        const int Ls = tokenizer_encode(a->seq_prompt[s], dst, N, msg, sizeof msg);
        if (Ls < 0 || config_validate(c, Ls, G, msg, sizeof msg)) continue;
        if (n != s) memcpy(a->seq_prompt[n], a->seq_prompt[s], sizeof a->seq_prompt[n]);
        p[n++] = (RunPrompt){dst, Ls};
    }
    a->n_seqs = n;
    const int rc = run_init(r, c, NULL, RUN_ALL_MODES, p, n, G, err, errlen);
    free(buf);
    return rc;
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
    /* the old run goes first: one copy of the weights at a time */
    run_free(&a->run);
    const int rc = build_run(a, &a->run, cfg, ids, L, gen, err, errlen);
    free(ids);
    a->L = L;
    a->G = gen;
    a->cfg = *cfg;
    snprintf(a->prompt, sizeof a->prompt, "%s", prompt);
    snprintf(a->seq_prompt[0], sizeof a->seq_prompt[0], "%s", a->prompt);
    if (a->layer >= cfg->n_layers) a->layer = 0;
    if (a->head >= cfg->n_heads) a->head = 0;
    return rc;
}

/* Token steps of the run the view steps through: a batch's are its longest
 * sequence's (sim/run.h), a chunked run's include the prefill's chunks. */
static int app_steps(const App *a)
{
    return (int)(run_cursor_total(&a->run, app_primary_mode(a)) / app_engine(a)->ops_per_step);
}

int app_init(App *a, const CliOptions *o, const int *ids, int L, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->opt = *o;
    a->cfg = o->cfg;
    snprintf(a->prompt, sizeof a->prompt, "%s", o->prompt);
    a->opt.prompt = a->prompt;
    a->L = L;
    a->G = o->gen;
    a->view = o->view;
    a->present = o->present;
    a->speed = 2;
    a->pace = 3;   /* 3 s per token step */
    a->n_seqs = o->n_prompts > 1 ? o->n_prompts : 1;
    if (a->n_seqs > CLI_MAX_PROMPTS) a->n_seqs = CLI_MAX_PROMPTS;
    snprintf(a->seq_prompt[0], sizeof a->seq_prompt[0], "%s", a->prompt);
    for (int s = 1; s < a->n_seqs; s++)
        snprintf(a->seq_prompt[s], sizeof a->seq_prompt[s], "%s", o->prompts[s] ? o->prompts[s] : "");
    if (build_run(a, &a->run, &o->cfg, ids, L, o->gen, err, errlen)) return -1;
    /* ASCII only (no UTF-8 locale, or --ascii): Chinese cannot be drawn.
     * The UI speaks English (TR) and says why, instead of rows of '?'. */
    bool cjk_prompt = false;
    for (const unsigned char *p = (const unsigned char *)a->prompt; *p; p++) cjk_prompt |= *p >= 0x80;
    if (o->ascii && (o->lang_zh || cjk_prompt)) {
        snprintf(a->message, sizeof a->message, "%s",
                 o->lang_zh ? "Chinese needs a UTF-8 terminal (e.g. LANG=C.UTF-8): showing English"
                            : "the prompt's Chinese characters need a UTF-8 terminal (e.g. LANG=C.UTF-8): shown as ?");
        a->message_is_error = false;
    }
    if (o->goto_step >= 0 && app_goto(a, o->goto_step, o->goto_op)) {   /* --goto: resume a class */
        const int steps = app_steps(a);
        if (o->goto_step >= steps)   /* (an operation out of range was refused by cli_parse) */
            snprintf(err, errlen, "--goto %s: step must be 0-%d (this run has %d steps%s)",
                     o->goto_arg ? cli_clip(o->goto_arg) : "?", steps - 1, steps,
                     a->cfg.chunk > 0 ? ": the prefill's chunks, then decoding" : "");
        else
            snprintf(err, errlen, "--goto %s", a->message);
        app_free(a);
        return APP_BAD_INPUT;
    }
    return 0;
}

void app_free(App *a)
{
    app_lesson_free(a);
    run_free(&a->run);
    memset(a, 0, sizeof *a);
}

RunMode app_primary_mode(const App *a)
{
    switch (a->view) {
    case VIEW_RECOMPUTE: return MODE_RECOMPUTE;
    case VIEW_TRAIN: return MODE_TRAIN;
    default: return MODE_CACHE;
    }
}

const Engine *app_engine(const App *a)
{
    return run_engine(&a->run, app_primary_mode(a));
}

int app_shown_seq(const App *a)
{
    const bool batch_cache = a->view == VIEW_CACHE && a->n_seqs > 1 && a->run.n_seqs == a->n_seqs;
    return batch_cache && a->seq_shown > 0 && a->seq_shown < a->n_seqs ? a->seq_shown : 0;
}

const Engine *app_shown_engine(const App *a)
{
    const int s = app_shown_seq(a);
    return s > 0 ? app_seq_engine(a, s) : app_engine(a);
}

void app_sync(App *a)
{
    run_sync(&a->run, app_primary_mode(a));
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
    KvConfig cfg = a->cfg;
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
    const Engine *e = app_engine(a);
    const int n_steps = app_steps(a);
    if (step < 0 || step >= n_steps) {
        snprintf(a->message, sizeof a->message, TR(a, "step %d: the run has steps 0-%d", "第 %d 步：本次运行只有第 0-%d 步"),
                 step, n_steps - 1);
        a->message_is_error = true;
        return -1;
    }
    if (op > e->ops_per_step) {
        snprintf(a->message, sizeof a->message, TR(a, "operation %d: a step has operations 1-%d", "运算 %d：每步只有运算 1-%d"),
                 op, e->ops_per_step);
        a->message_is_error = true;
        return -1;
    }
    run_seek(&a->run, app_primary_mode(a), run_step_start(e, step) + (op > 0 ? op : e->ops_per_step));
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
    if (a->confirm_quit) {              /* "quit? y/n": only y ends the class's demo */
        a->confirm_quit = false;
        a->message[0] = '\0';
        return key == 'y' || key == 'Y' ? ACTION_QUIT : ACTION_REDRAW;
    }
    if (a->editing) return edit_key(a, key);
    if (a->jumping) return jump_key(a, key);
    if (a->play) {
        unsigned act = app_lesson_key(a, key);
        if (act != ACTION_NONE) return act;
    }
    if (a->help) {                      /* any key closes the help */
        a->help = false;
        return ACTION_REDRAW;
    }
    a->message[0] = '\0';
    const RunMode pm = app_primary_mode(a);
    const int Lyr = a->cfg.n_layers, H = a->cfg.n_heads;
    switch (keys_action_main(key)) {
    case KA_NEXT_OP: run_move(&a->run, pm, RUN_NEXT_OP); break;
    case KA_PREV_OP: run_move(&a->run, pm, RUN_PREV_OP); break;
    case KA_NEXT_LAYER: run_move(&a->run, pm, RUN_NEXT_LAYER); break;
    case KA_PREV_LAYER: run_move(&a->run, pm, RUN_PREV_LAYER); break;
    case KA_NEXT_STEP: run_move(&a->run, pm, RUN_NEXT_STEP); break;
    case KA_PREV_STEP: run_move(&a->run, pm, RUN_PREV_STEP); break;
    case KA_START: run_move(&a->run, pm, RUN_START); break;
    case KA_END: run_move(&a->run, pm, RUN_END); break;
    case KA_PLAY:         /* by token step: a class sees whole steps */
    case KA_PLAY_OPS: {   /* by operation: the inside of a step */
        const bool ops = keys_action_main(key) == KA_PLAY_OPS;
        if (a->playing && a->play_ops == ops) {
            a->playing = false;
            break;
        }
        if (run_cursor(&a->run, pm) >= run_cursor_total(&a->run, pm)) run_move(&a->run, pm, RUN_START);   /* play again from the top */
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
    case KA_SEQ_NEXT:
        /* only where the pictures are one sequence's own: the compare view
         * pairs A with its recompute, the memory view shows every sequence */
        if (a->n_seqs < 2) {
            set_message(a, false, TR(a, "Tab: one prompt runs; a batch (several --prompt) has more sequences",
                                     "Tab：只有一个提示词；批次（多个 --prompt）才有别的序列"));
        } else if (a->view != VIEW_CACHE) {
            set_message(a, false, TR(a, "Tab: the KV cache view (m) shows the batch's sequences one by one",
                                     "Tab：在 KV 缓存视图（m）里逐个查看批次中的序列"));
        } else {
            a->seq_shown = (app_shown_seq(a) + 1) % a->n_seqs;
        }
        break;
    case KA_SCALE: a->log_scale = !a->log_scale; break;
    case KA_VECTORS:
    case KA_HEADS: {
        /* the toggle is kept; where this screen cannot show the panel, a
         * line says where it shows (panels_arrange: not in lessons, the
         * memory view or presenter mode; All heads needs the attention
         * panel, which the compare view has not) */
        const bool vec = keys_action_main(key) == KA_VECTORS;
        bool *on = vec ? &a->show_vectors : &a->show_heads;
        *on = !*on;
        const char *where = a->play ? TR(a, "lessons", "课程中")
                            : a->present ? TR(a, "presenter mode", "演示模式中")
                            : a->view == VIEW_MEMORY ? TR(a, "the memory view", "内存视图中")
                            : !vec && a->view == VIEW_COMPARE ? TR(a, "the compare view", "对比视图中") : NULL;
        if (*on && where) {
            if (vec)
                snprintf(a->message, sizeof a->message,
                         TR(a, "v on; the cache/recompute/compare/train views show it, not %s",
                            "v 已开：向量在缓存、重算、对比和训练视图中显示，%s不显示"), where);
            else
                snprintf(a->message, sizeof a->message,
                         TR(a, "A on; the cache/recompute/train views show it, not %s",
                            "A 已开：全部头在缓存、重算和训练视图中显示，%s不显示"), where);
            a->message_is_error = false;
        }
        break;
    }
    case KA_EDIT:
        a->editing = true;
        a->playing = false;
        snprintf(a->edit, sizeof a->edit, "%s", a->prompt);
        break;
    case KA_RESTART:
        run_restart(&a->run);
        a->playing = false;
        break;
    case KA_HELP: a->help = true; break;
    case KA_BLANK:
        a->blank = true;
        a->playing = false;   /* the class misses nothing while the screen is dark */
        return ACTION_REDRAW;
    case KA_CLOSE: return ACTION_NONE;   /* nothing open: Esc never quits */
    case KA_PRESENT: a->present = !a->present; break;
    case KA_QUIT:
        if (!a->present) return ACTION_QUIT;
        a->confirm_quit = true;   /* one stray key must not end the demo */
        a->playing = false;
        return ACTION_REDRAW;
    default: return ACTION_NONE;
    }
    /* a view change: the new primary's partner follows it */
    app_sync(a);
    return ACTION_REDRAW;
}

unsigned app_tick(App *a)
{
    if (!a->playing) return ACTION_NONE;
    const Engine *e = app_engine(a);
    if (!run_move(&a->run, app_primary_mode(a), a->play_ops ? RUN_NEXT_OP : RUN_NEXT_STEP)) {
        a->playing = false;
        return ACTION_REDRAW;
    }
    /* the cursor of the view's mode: a batch may go on past sequence 0's end (sim/run.h) */
    const RunMode pm = app_primary_mode(a);
    const long at = run_cursor(&a->run, pm);
    if (at >= run_cursor_total(&a->run, pm)) a->playing = false;
    if (a->play_ops && a->step_stop && at % e->ops_per_step == 0) a->playing = false;   /* time to explain */
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
