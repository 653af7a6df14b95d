/* keys: the one table of keys. The input handler dispatches through it and
 * the help overlay and footer are generated from it, so they cannot drift. */
#ifndef KVSIM_KEYS_H
#define KVSIM_KEYS_H

#include <stdbool.h>

typedef enum {
    KA_NONE,
    KA_NEXT_OP, KA_PREV_OP,
    KA_NEXT_LAYER, KA_PREV_LAYER,
    KA_NEXT_STEP, KA_PREV_STEP,
    KA_START, KA_END,
    KA_PLAY, KA_PLAY_OPS, KA_FASTER, KA_SLOWER, KA_PACE_FASTER, KA_PACE_SLOWER, KA_JUMP, KA_STEP_STOP,
    KA_MODE,
    KA_LAYER_NEXT, KA_LAYER_PREV,
    KA_HEAD_NEXT, KA_HEAD_PREV,
    KA_SEQ_NEXT,            /* a batch: the next sequence the cache view shows */
    KA_SCALE,
    KA_VECTORS, KA_HEADS,   /* vector inspector, all-heads overview */
    KA_EDIT,
    KA_RESTART,
    KA_HELP,
    KA_PRESENT,             /* presenter mode on / off */
    KA_BLANK,               /* blank the screen (a clicker's "b"); any key brings it back */
    KA_CLOSE,               /* Esc: close an overlay; never quits */
    KA_QUIT,
    KA_SLIDE_NEXT, KA_SLIDE_PREV, KA_ANSWER, KA_SLIDE_RESET,
    KA_COUNT
} KeyAction;

typedef struct {
    int keys[3];            /* term.h key codes; 0 ends the list */
    KeyAction action;
    const char *label;      /* how the keys are written: "→ n" */
    const char *help_en;
    const char *help_zh;
    const char *footer_en;  /* footer item with its keys ("[ ] layer"); NULL = not in the footer */
    const char *footer_zh;
    bool lesson;            /* only in lesson mode (help and footer show it then) */
} KeyBinding;

/* The table, in help order; *count gets its length. */
const KeyBinding *keys_table(int *count);
/* Action bound to key code k (KA_NONE when unbound); lesson keys first. */
KeyAction keys_action(int k);
/* The same among the keys that work outside a lesson (PgDn: next step). */
KeyAction keys_action_main(int k);

#endif
