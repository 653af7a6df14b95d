/* keys: the key table. See keys.h. */
#include "ui/keys.h"

#include "ui/term.h"

static const KeyBinding table[] = {
    {{TERM_KEY_RIGHT, 'n', 0}, KA_NEXT_OP, "\u2192 n", "next operation", "下一个运算", "\u2190\u2192 op", "\u2190\u2192 运算"},
    {{TERM_KEY_LEFT, 'p', 0}, KA_PREV_OP, "\u2190 p", "previous operation", "上一个运算", NULL, NULL},
    {{'>', 0, 0}, KA_NEXT_LAYER, ">", "to the end of the layer", "走完当前层", NULL, NULL},
    {{'<', 0, 0}, KA_PREV_LAYER, "<", "back one layer", "退回一层", NULL, NULL},
    {{TERM_KEY_DOWN, 'N', 0}, KA_NEXT_STEP, "\u2193 N", "next token step", "下一个词元步", "\u2191\u2193 step", "\u2191\u2193 词元步"},
    {{TERM_KEY_UP, 'P', 0}, KA_PREV_STEP, "\u2191 P", "previous token step", "上一个词元步", NULL, NULL},
    {{TERM_KEY_HOME, 'g', 0}, KA_START, "Home g", "go to the start", "回到开头", NULL, NULL},
    {{TERM_KEY_END, 'G', 0}, KA_END, "End G", "go to the end", "跳到结尾", NULL, NULL},
    {{' ', 0, 0}, KA_PLAY, "Space", "play / pause", "播放 / 暂停", "Space play", "空格 播放"},
    {{'+', '=', 0}, KA_FASTER, "+", "play faster", "加快", NULL, NULL},
    {{'-', '_', 0}, KA_SLOWER, "-", "play slower", "减慢", NULL, NULL},
    {{'m', 0, 0}, KA_MODE, "m", "mode: cache / recompute / compare / train", "模式：缓存 / 重算 / 对比 / 训练", "m mode", "m 模式"},
    {{']', 0, 0}, KA_LAYER_NEXT, "]", "next layer shown", "显示下一层", NULL, NULL},
    {{'[', 0, 0}, KA_LAYER_PREV, "[", "previous layer shown", "显示上一层", "[ ] layer", "[ ] 层"},
    {{'}', 0, 0}, KA_HEAD_NEXT, "}", "next head shown", "显示下一个头", NULL, NULL},
    {{'{', 0, 0}, KA_HEAD_PREV, "{", "previous head shown", "显示上一个头", "{ } head", "{ } 头"},
    {{'s', 0, 0}, KA_SCALE, "s", "chart scale: linear / log", "图表刻度：线性 / 对数", NULL, NULL},
    {{'e', 0, 0}, KA_EDIT, "e", "edit the prompt", "编辑提示词", "e edit", "e 编辑"},
    {{'r', 0, 0}, KA_RESTART, "r", "restart from the first operation", "从头重新开始", NULL, NULL},
    {{'?', 'h', TERM_KEY_F1}, KA_HELP, "? h", "this help", "本帮助", "? help", "? 帮助"},
    {{'q', TERM_KEY_ESC, 0}, KA_QUIT, "q Esc", "quit", "退出", "q quit", "q 退出"},
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
