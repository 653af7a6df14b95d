/* screen: app_render(), the whole screen from the App's state.
 * Lays out the panels (layout.c), then the header, the footer (or the
 * prompt input line / a message), and the help overlay on top. */
#include "ui/app.h"
#include "ui/lesson_play.h"

#include "ui/keys.h"
#include "ui/layout.h"
#include "ui/panels/panels.h"
#include "ui/style.h"

#include <stdio.h>
#include <string.h>

static const char *mode_word(const App *a, View v)
{
    switch (v) {
    case VIEW_CACHE: return TR(a, "KV CACHE", "KV 缓存");
    case VIEW_RECOMPUTE: return TR(a, "RECOMPUTE", "重算");
    case VIEW_COMPARE: return TR(a, "COMPARE", "对比");
    case VIEW_MEMORY: return TR(a, "MEMORY", "内存");
    default: return TR(a, "TRAIN", "训练");
    }
}

/* "DECODE step 3/8", "预填充 第0步/共8步" ... */
static void phase_text(const App *a, const Engine *e, char *buf, size_t len)
{
    const Phase ph = engine_phase(e);
    const char *w;
    switch (ph) {
    case PHASE_PREFILL: w = TR(a, "PREFILL", "预填充"); break;
    case PHASE_DECODE: w = TR(a, "DECODE", "解码"); break;
    case PHASE_RECOMPUTE: w = TR(a, "RECOMPUTE", "重算"); break;
    case PHASE_TRAIN: w = TR(a, "TRAIN", "训练"); break;
    default: w = TR(a, "READY", "就绪"); break;
    }
    /* a batch whose cursor went past sequence 0's end (sim/run.h): the
     * batch's step; sequence 0 (on screen) has finished */
    const RunMode pm = app_primary_mode(a);
    const long at = run_cursor(&a->run, pm), total = run_cursor_total(&a->run, pm);
    if (at > e->pos) w = TR(a, "BATCH", "批");
    /* the header follows sequence A; while Tab shows another, it says so */
    const char *seq = app_shown_seq(a) > 0 && at <= e->pos ? TR(a, "A: ", "A：") : "";
    if (ph == PHASE_READY || ph == PHASE_TRAIN)
        snprintf(buf, len, "%s", w);
    else
        snprintf(buf, len, TR(a, "%s%s step %d (of 0-%d)", "%s%s 第 %d 步（0-%d 步）"), seq, w,
                 at > e->pos ? run_step_of(e, at) : e->step, (int)(total / e->ops_per_step) - 1);
}

/* Operation names as the header shows them, in the UI's language. */
static const char *op_word(const App *a, OpKind k)
{
    const OpInfo *o = op_info(k);
    return !o ? "" : a->opt.lang_zh ? o->name_zh : o->name_en;
}

static void draw_header(const App *a, Canvas *c, Rect r)
{
    const Engine *e = app_engine(a);
    char phase[64], op[96];
    canvas_fill(c, r, ' ', STYLE_NORMAL);
    int x = r.x;
    x += canvas_text(c, x, r.y, -1, STYLE_TITLE, " kvsim ");
    const int badge = a->view == VIEW_RECOMPUTE ? STYLE_RECOMPUTE_MODE : STYLE_CACHE_MODE;
    x += canvas_textf(c, x, r.y, -1, badge, " %s ", mode_word(a, a->view));
    phase_text(a, e, phase, sizeof phase);
    x += canvas_textf(c, x, r.y, -1, STYLE_NORMAL, "  %s", phase);
    OpRef cur = engine_current_op(e);
    if (cur.kind != OP_KIND_COUNT) {
        long idx = run_op_index(e, e->pos);
        if (cur.layer >= 0)
            snprintf(op, sizeof op, TR(a, "  op %ld/%d: %s, layer %d", "  运算 %ld/%d：%s，第 %d 层"), idx,
                     e->ops_per_step, op_word(a, cur.kind), cur.layer);
        else
            snprintf(op, sizeof op, TR(a, "  op %ld/%d: %s", "  运算 %ld/%d：%s"), idx, e->ops_per_step,
                     op_word(a, cur.kind));
        x += canvas_text(c, x, r.y, -1, STYLE_NORMAL, op);
    }
    char right[192], pace[32], model[96];
    /* the pace of the way of playing in use: seconds per token step, or op/s */
    if (a->play_ops) snprintf(pace, sizeof pace, a->step_stop ? TR(a, "%d op/s to step end", "%d 运算/秒 到步末")
                                                              : TR(a, "%d op/s", "%d 运算/秒"), app_speed_ops(a));
    else snprintf(pace, sizeof pace, TR(a, "%g s/step", "%g 秒/步"), app_pace_ms(a) / 1000.0);
    /* which model runs (spec §7): the file's name, or the seeded random one */
    const char *mn = a->cfg.model_name, *slash = mn ? strrchr(mn, '/') : NULL;
    snprintf(model, sizeof model, "%s", mn ? (slash ? slash + 1 : mn) : TR(a, "random model", "随机模型"));
    const char *play = a->playing ? "\u25b6" : "\u2016";
    snprintf(right, sizeof right, TR(a, "%s  layer %d/%d head %d/%d  %s %s ", "%s  层 %d/%d 头 %d/%d  %s %s "),
             model, a->layer, a->cfg.n_layers, a->head, a->cfg.n_heads, play, pace);
    int rw = canvas_text_width(right);
    /* narrow: the model goes first (the start screen still has room for
     * it), then layer/head; the play state and pace stay */
    if (x + 2 + rw > r.x + r.w) {
        snprintf(right, sizeof right, TR(a, "layer %d/%d head %d/%d  %s %s ", "层 %d/%d 头 %d/%d  %s %s "),
                 a->layer, a->cfg.n_layers, a->head, a->cfg.n_heads, play, pace);
        rw = canvas_text_width(right);
    }
    if (x + 2 + rw > r.x + r.w) {
        snprintf(right, sizeof right, "%s %s ", play, pace);
        rw = canvas_text_width(right);
    }
    /* normal, not dim: dim text vanishes on a projector */
    if (x + 2 + rw <= r.x + r.w) canvas_text(c, r.x + r.w - rw, r.y, -1, STYLE_NORMAL, right);
}

static void draw_footer(const App *a, Canvas *c, Rect r)
{
    canvas_fill(c, r, ' ', STYLE_NORMAL);
    if (a->editing) {
        int x = r.x + canvas_text(c, r.x, r.y, -1, STYLE_TITLE, TR(a, " Prompt: ", " 提示词："));
        const char *hint = TR(a, "  Enter accept \u00b7 Esc cancel", "  回车确认 \u00b7 Esc 取消");
        int avail = r.w - (x - r.x) - canvas_text_width(hint) - 1;
        /* show the end of a long line: that is where the cursor is */
        const char *s = a->edit;
        while (canvas_text_width(s) > avail && *s) {
            s++;
            while ((*s & 0xC0) == 0x80) s++;
        }
        x += canvas_text(c, x, r.y, avail, STYLE_HILITE, s);
        canvas_put(c, x++, r.y, 0x2581, STYLE_HILITE);   /* ▁ cursor */
        if (a->message[0]) canvas_text(c, x + 1, r.y, r.x + r.w - x - 1, STYLE_ERROR, a->message);
        else canvas_text(c, x, r.y, -1, STYLE_DIM, hint);
        return;
    }
    if (a->jumping) {
        int x = r.x + canvas_text(c, r.x, r.y, -1, STYLE_TITLE, TR(a, " Go to step: ", " 跳到第几步："));
        x += canvas_text(c, x, r.y, 15, STYLE_HILITE, a->jump);
        canvas_put(c, x++, r.y, 0x2581, STYLE_HILITE);
        if (a->message[0]) canvas_text(c, x + 1, r.y, r.x + r.w - x - 1, STYLE_ERROR, a->message);
        else canvas_text(c, x, r.y, -1, STYLE_DIM, TR(a, "  STEP or STEP.OP \u00b7 Enter go \u00b7 Esc cancel",
                                                      "  步号 或 步号.运算 \u00b7 回车跳转 \u00b7 Esc 取消"));
        return;
    }
    if (a->play && a->play->answering) {
        int x = r.x + canvas_text(c, r.x, r.y, -1, STYLE_TITLE, TR(a, " Answer: ", " 答案："));
        x += canvas_text(c, x, r.y, 24, STYLE_HILITE, a->play->answer);
        canvas_put(c, x++, r.y, 0x2581, STYLE_HILITE);
        /* an error, or (not an error) the value the typed expression reads as */
        if (a->message[0])
            canvas_text(c, x + 1, r.y, r.x + r.w - x - 1, a->message_is_error ? STYLE_ERROR : STYLE_DIM,
                        a->message);
        else canvas_text(c, x, r.y, -1, STYLE_DIM, TR(a, "  Enter check \u00b7 Esc cancel", "  回车提交 \u00b7 Esc 取消"));
        return;
    }
    if (a->message[0]) {
        canvas_text(c, r.x + 1, r.y, r.w - 1, a->message_is_error ? STYLE_ERROR : STYLE_TITLE, a->message);
        return;
    }
    int n, x = r.x + 1;
    const KeyBinding *kb = keys_table(&n);
    for (int i = 0; i < n; i++) {
        const char *item = a->opt.lang_zh ? kb[i].footer_zh : kb[i].footer_en;
        if (!item || (kb[i].lesson && !a->play)) continue;
        int w = canvas_text_width(item);
        if (x + w > r.x + r.w) break;
        /* keys in STYLE_KEY, the word after the last space in normal text */
        const char *sp = strrchr(item, ' ');
        int kw = canvas_textf(c, x, r.y, -1, STYLE_KEY, "%.*s", (int)(sp - item), item);
        canvas_text(c, x + kw, r.y, -1, STYLE_NORMAL, sp);
        x += w + 2;
    }
}

/* Presenter mode's status line: the clicker's keys, and q's question. */
static void draw_present_footer(const App *a, Canvas *c, Rect r)
{
    canvas_fill(c, r, ' ', STYLE_NORMAL);
    if (a->confirm_quit) {
        canvas_text(c, r.x + 1, r.y, r.w - 1, STYLE_ERROR, TR(a, "Quit? y / n", "退出？y / n"));
        return;
    }
    if (a->message[0]) {
        canvas_text(c, r.x + 1, r.y, r.w - 1, a->message_is_error ? STYLE_ERROR : STYLE_TITLE, a->message);
        return;
    }
    static const char *const keys_uni[] = {"PgDn \u2193", "PgUp \u2191", "Space", "b", "z", "q", "\u2192"};
    static const char *const keys_asc[] = {"PgDn", "PgUp", "Space", "b", "z", "q", "n"};
    static const char *const items[] = {"step", "back", "play", "blank", "normal", "quit", "op"};
    static const char *const items_zh[] = {"下一步", "上一步", "播放", "黑屏", "普通", "退出", "运算"};
    int x = r.x + 1;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        const char *key = c->ascii ? keys_asc[i] : keys_uni[i];
        const char *word = a->opt.lang_zh && !a->opt.ascii ? items_zh[i] : items[i];
        const int w = canvas_text_width(key) + 1 + canvas_text_width(word);
        if (x + w > r.x + r.w) break;
        x += canvas_text(c, x, r.y, -1, STYLE_KEY, key) + 1;
        x += canvas_text(c, x, r.y, -1, STYLE_NORMAL, word) + 3;
    }
}

static void draw_help(const App *a, Canvas *c)
{
    int all, n = 0;
    const KeyBinding *table = keys_table(&all);
    const KeyBinding *kb[64];
    for (int i = 0; i < all && n < 64; i++)
        if ((!table[i].lesson || a->play) && table[i].label) kb[n++] = &table[i];   /* no label: shown with its pair */
    /* one column when it fits, two otherwise */
    const int cols = c->h - 4 >= n + 10 ? 1 : 2;
    const int rows = (n + cols - 1) / cols;
    int colw = (c->w - 4) / cols;
    if (colw > 46) colw = 46;
    /* under the keys: a blank line, the cell legend and the options line,
     * as many of them as leave the footer line visible (the options go
     * first, then the legend from its end) */
    const char *legend[] = {
        TR(a, "Cells", "格子"),
        TR(a, "shade = weight or value   \u00d7 masked (future, or out of the window)",
           "深浅 = 权重或数值   \u00d7 被掩码（未来，或在窗口外）"),
        TR(a, "\u2501 K/V read from cache   + appended   - evicted   \u2717 rolled back",
           "\u2501 K/V 读自缓存   + 追加   - 已淘汰   \u2717 已回滚"),
        TR(a, "faint rows: not computed this step", "淡色行：本步不计算"),
        TR(a, "\u21bb redone = recomputed, same result   highlight = just changed",
           "\u21bb 重算 = 重新计算，结果相同   高亮 = 刚刚改变"),
        TR(a, "\u2713 measured count equals the closed form", "\u2713 实测次数等于理论公式"),
        TR(a, "views (m): KV cache \u2192 recompute \u2192 compare \u2192 train \u2192 memory",
           "视图（m）：KV 缓存 \u2192 重算 \u2192 对比 \u2192 训练 \u2192 内存"),
        TR(a, "Options: --prompt --gen --d-model --heads --layers --lang zh (kvsim --help)",
           "选项：--prompt --gen --d-model --heads --layers --lang en（kvsim --help）"),
    };
    const int n_leg = (int)(sizeof legend / sizeof legend[0]);
    int room = c->h - 1 - (rows + 2);   /* lines under the keys, above the footer */
    int shown = room - 1 >= n_leg ? n_leg : room - 1 >= n_leg - 1 ? n_leg - 1 : room >= 3 ? room - 1 : 0;
    if (shown > n_leg) shown = n_leg;
    if (shown == 1) shown = 0;   /* "Cells" alone says nothing */
    int w = cols * colw + 3;
    if (w > c->w - 2) w = c->w;   /* no sliver of the panels beside the box */
    const int h = rows + 2 + (shown > 0 ? shown + 1 : 0);
    Rect box = {(c->w - w) / 2, (c->h - 1 - h) / 2, w, h};
    if (box.x < 0) box.x = 0;
    if (box.y < 0) box.y = 0;
    canvas_fill(c, box, ' ', STYLE_NORMAL);
    canvas_box(c, box, STYLE_BORDER, TR(a, "Keys (any key closes)", "按键（任意键关闭）"));
    for (int i = 0; i < n; i++) {
        int x = box.x + 2 + (i / rows) * colw, y = box.y + 1 + i % rows;
        canvas_text(c, x, y, 9, STYLE_KEY, kb[i]->label);
        canvas_text(c, x + 9, y, colw - 10, STYLE_NORMAL, a->opt.lang_zh ? kb[i]->help_zh : kb[i]->help_en);
    }
    int y = box.y + rows + 2;
    for (int i = 0; i < shown; i++)
        canvas_text(c, box.x + 2, y++, w - 4, i == 0 ? STYLE_TITLE : i == n_leg - 1 ? STYLE_DIM : STYLE_NORMAL, legend[i]);
}

static void draw_too_small(const App *a, Canvas *c)
{
    char l2[128];
    snprintf(l2, sizeof l2, TR(a, "This window is %dx%d; kvsim needs at least %dx%d.",
                               "当前窗口 %dx%d，kvsim 至少需要 %dx%d。"),
             c->w, c->h, APP_MIN_W, APP_MIN_H);
    const char *lines[] = {
        TR(a, "Terminal too small", "终端窗口太小"),
        l2,
        TR(a, "Enlarge it, or press q to quit.", "请放大窗口，或按 q 退出。"),
    };
    for (int i = 0; i < 3; i++) {
        Rect r = {0, c->h / 2 - 1 + i, c->w, 1};
        int w = canvas_text_width(lines[i]);
        if (w > c->w) {   /* very small: wrap from the left */
            r.y = i * 2;
            r.h = 2;
            canvas_wrap(c, r, i == 0 ? STYLE_ERROR : STYLE_NORMAL, lines[i]);
            continue;
        }
        canvas_text(c, (c->w - w) / 2, r.y, -1, i == 0 ? STYLE_ERROR : STYLE_NORMAL, lines[i]);
    }
}

/* Panels draw only inside their rect: the clip makes sure of it. */
#define PANEL(call, r)                                                                  \
    do {                                                                                \
        if ((r).w > 0 && (r).h > 0) {                                                   \
            canvas_set_clip(c, (r));                                                    \
            call;                                                                       \
            canvas_reset_clip(c);                                                       \
        }                                                                               \
    } while (0)

/* The panel a lesson slide points at: its frame in the highlight style. */
static void highlight_frame(Canvas *c, Rect r)
{
    if (r.w < 2 || r.h < 2) return;
    for (int x = r.x; x < r.x + r.w; x++) {
        const CanvasCell *top = canvas_at(c, x, r.y), *bot = canvas_at(c, x, r.y + r.h - 1);
        if (top && top->style == STYLE_BORDER) canvas_put(c, x, r.y, top->cp, STYLE_HILITE);
        if (bot && bot->style == STYLE_BORDER) canvas_put(c, x, r.y + r.h - 1, bot->cp, STYLE_HILITE);
    }
    for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
        const CanvasCell *lft = canvas_at(c, r.x, y), *rgt = canvas_at(c, r.x + r.w - 1, y);
        if (lft) canvas_put(c, r.x, y, lft->cp, STYLE_HILITE);
        if (rgt) canvas_put(c, r.x + r.w - 1, y, rgt->cp, STYLE_HILITE);
    }
}

static Rect rect_of(const Layout *lo, const PanelEntry *p)
{
    return *(const Rect *)(const void *)((const char *)lo + p->rect);
}

/* The panel a lesson slide points at (the first with that point). */
static Rect pointed_rect(const App *a, const Layout *lo)
{
    for (int i = 0; i < panel_count; i++)
        if (panel_list[i].point >= 0 && panel_list[i].point == (int)a->play->slide_state.point)
            return rect_of(lo, &panel_list[i]);
    return (Rect){0, 0, 0, 0};
}

void app_render(const App *a, Canvas *c)
{
    canvas_clear(c);
    canvas_set_ascii(c, a->opt.ascii);
    if (a->blank) return;   /* b: a dark screen while the teacher talks */
    Layout lo;
    const bool present = a->present && !a->play;   /* a lesson keeps its own screen */
    layout_app(a, c->w, c->h, &lo);
    if (lo.too_small) {
        draw_too_small(a, c);
        return;
    }
    const Engine *e = app_engine(a);
    draw_header(a, c, lo.header);
    /* every panel the layout gave a place (sim state read-only) */
    for (int i = 0; i < panel_count; i++) {
        const PanelEntry *p = &panel_list[i];
        const Rect r = rect_of(&lo, p);
        const Engine *pe = p->engine == PANEL_RECOMPUTE_ENGINE ? app_engine_of(a, MODE_RECOMPUTE)
                           : p->engine == PANEL_SEQ_ENGINE       ? app_shown_engine(a)
                                                                 : e;
        PANEL(p->draw(a, pe, c, r), r);
    }
    if (a->play) highlight_frame(c, pointed_rect(a, &lo));
    canvas_reset_clip(c);
    if (present) draw_present_footer(a, c, lo.footer);
    else draw_footer(a, c, lo.footer);
    if (a->help) draw_help(a, c);
}
