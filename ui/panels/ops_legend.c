/* ops_legend: the lines around the Operations panel's table (see ops.h):
 * the status line under it, the bottom border's note and the top border's
 * entry for the ×QKᵀ row or column.
 *
 * ×QKᵀ is the `masked` counter (spec §4, §6.3): op_mask adds d_h for each
 * head and each cell of the computed block that the rule hides (a future
 * key, or with --window one that left the window). Those products were
 * made by op_scores, so the count is a part of QKᵀ, already in the total,
 * and thrown away. The entry says that, in as many words as the border
 * holds; its key is the label drawn ("×QKᵀ", "QKᵀ on ×", "×格 QKᵀ").
 */
#include "ui/panels/ops.h"
#include "ui/style.h"

#include <stdio.h>

/* What the key stands for, longest first; the last, one word, is the
 * last resort. A window adds a first wording that names both reasons a
 * cell is hidden; the zh wordings then say 掩码 (the mask) rather than
 * 因果掩码 (the causal mask), which would leave the window out. */
#define N_WORDINGS 7
static const char *const masked_en[2][N_WORDINGS] = {
    {"the part of QK\u1d40 spent on masked cells, computed then discarded",
     "QK\u1d40 on masked cells, computed then discarded", "QK\u1d40 spent on masked cells, then discarded",
     "QK\u1d40 on masked cells, then discarded", "QK\u1d40 the mask discards", "masked", NULL},
    {"QK\u1d40 on cells masked (future or outside the window), computed then discarded",
     "the part of QK\u1d40 spent on masked cells, computed then discarded",
     "QK\u1d40 on masked cells, computed then discarded", "QK\u1d40 spent on masked cells, then discarded",
     "QK\u1d40 on masked cells, then discarded", "QK\u1d40 the mask discards", "masked"},
};
static const char *const masked_zh[2][N_WORDINGS] = {
    {"QK\u1d40 中被因果掩码遮住、算了又丢掉的乘加", "被因果掩码遮住、算了又丢掉的乘加", "算了又被因果掩码丢掉的乘加",
     "算了又被掩码丢掉", "掩码丢弃", NULL},
    {"QK\u1d40 中被因果掩码或滑动窗口遮住、算了又丢掉的乘加", "QK\u1d40 中被掩码遮住、算了又丢掉的乘加",
     "被掩码遮住、算了又丢掉的乘加", "算了又被掩码丢掉的乘加", "算了又被掩码丢掉", "掩码丢弃"},
};

/* Columns the entry may take beside title i: "┌─ title ─ entry ─┐". */
static int entry_room(const OpsTop *t, int i)
{
    return t->box.w - canvas_text_width(t->title[i]) - 9;
}

bool ops_masked_entry(const App *a, const char *key, OpsTop *t)
{
    const int window = app_engine(a)->cfg.window > 0;
    const char *const *w = TR(a, masked_en[window], masked_zh[window]);
    int last = 0;
    while (last + 1 < N_WORDINGS && w[last + 1]) last++;
    /* the full title with a sentence, a shorter title with one, then the
     * last resort beside either */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 2 && t->title[i]; i++)
            for (int k = pass ? last : 0; k < (pass ? last + 1 : last); k++) {
                snprintf(t->entry, sizeof t->entry, "%s%s%s", key, TR(a, ": ", "："), w[k]);
                if (canvas_text_width(t->entry) <= entry_room(t, i)) {
                    t->pick = i;
                    return true;
                }
            }
    t->entry[0] = '\0';
    t->pick = 0;
    return false;
}

void ops_top_draw(Canvas *c, const OpsTop *t)
{
    const Rect r = t->box;
    canvas_box(c, r, STYLE_BORDER, t->title[t->pick]);
    if (!t->entry[0]) return;
    const int ew = canvas_text_width(t->entry);
    canvas_textf(c, r.x + r.w - 4 - ew, r.y, ew + 2, STYLE_DIM, " %s ", t->entry);
}

void ops_border_note(Canvas *c, Rect r, const char *lng, const char *shrt)
{
    const int room = r.w - 4;
    if (r.h < 3 || room < 4) return;
    canvas_textf(c, r.x + 2, r.y + r.h - 1, room, STYLE_TITLE, " %s ",
                 canvas_text_width(lng) + 2 <= room ? lng : shrt);
}

void ops_status_line(const App *a, Canvas *c, Rect in, const Side *s, int ns, int checked)
{
    int bad = 0, y = in.y + in.h - 1;
    bool wait = false, started = true, any = false;
    for (int i = 0; i < ns; i++) {
        for (int k = 0; k < N_VALS; k++)
            bad += (s[i].step.mark[k] == TABLE_MARK_BAD) + (ns == 2 && s[i].cum.mark[k] == TABLE_MARK_BAD);
        wait |= !s[i].complete;
        started &= s[i].started;
        any |= s[i].started;
    }
    if (bad) {
        canvas_put(c, in.x, y, canvas_glyph(c, GLYPH_CROSS), STYLE_BAD);
        canvas_textf(c, in.x + 2, y, in.w - 2, STYLE_BAD,
                     TR(a, "%d counters differ from the closed form!", "%d 个计数与闭式公式不符！"), bad);
        return;
    }
    char ok[128], ok_short[96];
    snprintf(ok, sizeof ok, TR(a, "all %d measured counters equal the closed forms (spec \u00a74)",
                               "全部 %d 个实测计数等于闭式公式（规范 §4）"), checked);
    snprintf(ok_short, sizeof ok_short, TR(a, "all %d counters = closed forms", "%d 个计数 = 闭式公式"), checked);
    /* with --chunk the cache runs its early chunks alone: recompute's step 0
     * emits the first token, which the last chunk does (sim/run.h) */
    const char *msg[2] = {ok, ok_short};
    if (!any) {
        msg[0] = TR(a, "nothing run yet: pred = what step 0 will cost", "尚未运行：预测 = 第 0 步的开销");
        msg[1] = TR(a, "not run yet: pred = step 0", "尚未运行：预测第 0 步");
    } else if (!started) {
        msg[0] = TR(a, "recompute not run yet: its step 0 pairs with the last chunk",
                    "重算尚未运行：它的第 0 步对应最后一个分块");
        msg[1] = TR(a, "recompute waits for the last chunk", "重算等最后一个分块");
    } else if (wait) {
        msg[0] = TR(a, "step running: counts so far vs the whole step (\u2026 until it ends)",
                    "本步进行中：已计数 vs 整步预测（结束前显示 …）");
        msg[1] = TR(a, "step running: counts so far (\u2026 until it ends)", "本步进行中（结束前显示 …）");
    }
    /* the long form when it fits, else the short one; never a cut word */
    const char *fit = canvas_text_width(msg[0]) <= in.w ? msg[0] : canvas_text_width(msg[1]) <= in.w ? msg[1] : NULL;
    if (fit) canvas_text(c, in.x, y, in.w, started && !wait ? STYLE_OK : STYLE_DIM, fit);
}
