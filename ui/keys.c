/* keys: the key table. See keys.h. */
#include "ui/keys.h"

#include "ui/term.h"

static const KeyBinding table[] = {
    {{TERM_KEY_PGDN, '.', 0}, KA_SLIDE_NEXT, "PgDn .", "next slide", "下一页", "PgDn next", "PgDn 下一页", true},
    {{TERM_KEY_PGUP, ',', 0}, KA_SLIDE_PREV, "PgUp ,", "previous slide", "上一页", "PgUp back", "PgUp 上一页", true},
    {{'a', 0, 0}, KA_ANSWER, "a", "answer the question", "回答问题", "a answer", "a 回答", true},
    {{'o', 0, 0}, KA_SLIDE_RESET, "o", "back to the slide's set-up", "回到本页的设定", "o slide", "o 本页", true},
    {{TERM_KEY_RIGHT, 'n', 0}, KA_NEXT_OP, "\u2192 n", "next operation", "下一个运算", "\u2190\u2192 op", "\u2190\u2192 运算", false},
    {{TERM_KEY_LEFT, 'p', 0}, KA_PREV_OP, "\u2190 p", "previous operation", "上一个运算", NULL, NULL, false},
    {{'>', 0, 0}, KA_NEXT_LAYER, ">", "to the end of the layer", "走完当前层", NULL, NULL, false},
    {{'<', 0, 0}, KA_PREV_LAYER, "<", "back one layer", "退回一层", NULL, NULL, false},
    /* PgDn / PgUp (a presentation clicker's forward / back) reach these
     * outside a lesson: keys_action() gives the slide actions first */
    {{TERM_KEY_DOWN, 'N', TERM_KEY_PGDN}, KA_NEXT_STEP, "\u2193 N PgDn", "next token step", "下一个词元步", "\u2191\u2193 step", "\u2191\u2193 词元步", false},
    {{TERM_KEY_UP, 'P', TERM_KEY_PGUP}, KA_PREV_STEP, "\u2191 P PgUp", "previous token step", "上一个词元步", NULL, NULL, false},
    {{TERM_KEY_HOME, 'g', 0}, KA_START, "Home g", "go to the start", "回到开头", NULL, NULL, false},
    {{TERM_KEY_END, 'G', 0}, KA_END, "End G", "go to the end", "跳到结尾", NULL, NULL, false},
    {{' ', 0, 0}, KA_PLAY, "Space", "play token steps / pause", "逐词元步播放 / 暂停", "Space play", "空格 播放", false},
    {{'.', 0, 0}, KA_PACE_FASTER, ". ,", "token steps faster / slower", "词元步加快 / 减慢", NULL, NULL, false},
    {{',', 0, 0}, KA_PACE_SLOWER, NULL, NULL, NULL, NULL, NULL, false},
    {{'O', 0, 0}, KA_PLAY_OPS, "O", "play operations / pause", "逐运算播放 / 暂停", NULL, NULL, false},
    {{'w', 0, 0}, KA_STEP_STOP, "w", "O pauses at each step's end", "逐运算播放到每步末尾暂停", NULL, NULL, false},
    {{'+', '=', 0}, KA_FASTER, "+ -", "operations faster / slower", "运算加快 / 减慢", NULL, NULL, false},
    {{'-', '_', 0}, KA_SLOWER, NULL, NULL, NULL, NULL, NULL, false},
    {{'j', 0, 0}, KA_JUMP, "j", "go to a step: 3 or 3.5", "跳到某步：如 3 或 3.5", NULL, NULL, false},
    {{'m', 0, 0}, KA_MODE, "m", "cycle the view (5 views)", "切换视图（共 5 种）", "m mode", "m 模式", false},
    /* a pair on one help line: the second key's row has no label */
    {{'[', 0, 0}, KA_LAYER_PREV, "[ ]", "previous / next layer shown", "显示上一层 / 下一层", "[ ] layer", "[ ] 层", false},
    {{']', 0, 0}, KA_LAYER_NEXT, NULL, NULL, NULL, NULL, NULL, false},
    {{'{', 0, 0}, KA_HEAD_PREV, "{ }", "previous / next head shown", "显示上一个头 / 下一个头", "{ } head", "{ } 头", false},
    {{'}', 0, 0}, KA_HEAD_NEXT, NULL, NULL, NULL, NULL, NULL, false},
    {{TERM_KEY_TAB, 0, 0}, KA_SEQ_NEXT, "Tab", "next sequence of a batch", "批次中的下一个序列", NULL, NULL, false},
    {{'s', 0, 0}, KA_SCALE, "s", "chart scale: linear / log", "图表刻度：线性 / 对数", NULL, NULL, false},
    {{'v', 0, 0}, KA_VECTORS, "v A", "vector numbers / all heads", "向量数值 / 全部头", NULL, NULL, false},
    {{'A', 0, 0}, KA_HEADS, NULL, NULL, NULL, NULL, NULL, false},
    {{'e', 0, 0}, KA_EDIT, "e", "edit the prompt", "编辑提示词", "e edit", "e 编辑", false},
    {{'r', 0, 0}, KA_RESTART, "r", "restart from the beginning", "从头重新开始", NULL, NULL, false},
    {{'z', 0, 0}, KA_PRESENT, "z", "presenter mode (projector)", "演示模式（投影）", NULL, NULL, false},
    {{'b', 0, 0}, KA_BLANK, "b", "blank screen (any key)", "黑屏（任意键恢复）", NULL, NULL, false},
    {{'?', 'h', TERM_KEY_F1}, KA_HELP, "? h", "this help", "本帮助", "? help", "? 帮助", false},
    /* Esc only closes what is open (help, blank screen, input lines): one
     * stray key from a clicker, or a stray escape sequence, must not end a
     * class's demo */
    {{TERM_KEY_ESC, 0, 0}, KA_CLOSE, "Esc", "close help / blank", "关闭帮助 / 黑屏", NULL, NULL, false},
    {{'q', 0, 0}, KA_QUIT, "q", "quit (y/n in presenter mode)", "退出（演示模式先确认）", "q quit", "q 退出", false},
};

const KeyBinding *keys_table(int *count)
{
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

KeyAction keys_action(int k)
{
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
        for (int j = 0; j < 3 && table[i].keys[j]; j++)
            if (table[i].keys[j] == k) return table[i].action;
    return KA_NONE;
}

KeyAction keys_action_main(int k)
{
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
        for (int j = 0; j < 3 && table[i].keys[j]; j++)
            if (table[i].keys[j] == k && !table[i].lesson) return table[i].action;
    return KA_NONE;
}
