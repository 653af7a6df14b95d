/* style: semantic styles. Panels say what a cell MEANS (visible, masked,
 * reused, ...); only term.c turns that into curses colours and attributes.
 *
 * Invariants:
 *   - meaning is never carried by colour alone: every role that must be told
 *     apart from its neighbours also differs in glyph (drawn by the panel,
 *     e.g. shade vs '·', '✓' vs '✗', '-' sign) or in a monochrome attribute;
 *   - colours read on dark and light backgrounds: background is always the
 *     terminal default (-1) and no role uses a white or black foreground;
 *   - attribute bits are our own (STYLE_ATTR_*), not curses macros, so this
 *     module has no curses dependency.
 * The table is static and read-only; style_spec never returns NULL.
 */
#ifndef KVSIM_STYLE_H
#define KVSIM_STYLE_H

typedef enum {
    STYLE_NORMAL = 0,
    STYLE_DIM,            /* secondary text, hints */
    STYLE_TITLE,          /* panel titles, headings */
    STYLE_BORDER,         /* frames and separators */
    STYLE_HILITE,         /* current row / selection */
    STYLE_VISIBLE,        /* attention cell computed and visible */
    STYLE_MASKED,         /* attention cell masked out (future position) */
    STYLE_REUSED,         /* K/V read from the KV cache */
    STYLE_REDONE,         /* work recomputed although identical */
    STYLE_NEW,            /* cache row appended this step */
    STYLE_CACHE_MODE,     /* "KV cache" mode badge */
    STYLE_RECOMPUTE_MODE, /* "recompute" mode badge */
    STYLE_OK,             /* match mark */
    STYLE_BAD,            /* mismatch mark */
    STYLE_KEY,            /* key names in help and footer */
    STYLE_ERROR,          /* error messages */
    STYLE_POSITIVE,       /* signed value >= 0 */
    STYLE_NEGATIVE,       /* signed value < 0 */
    STYLE_CHANGED,        /* what the operation shown just changed */
    STYLE_COUNT
} StyleRole;

/* Attribute bits (mapped to curses attributes in term.c). */
enum {
    STYLE_ATTR_BOLD = 1u << 0,
    STYLE_ATTR_DIM = 1u << 1,
    STYLE_ATTR_REVERSE = 1u << 2,
    STYLE_ATTR_UNDERLINE = 1u << 3
};

/* The eight ANSI colours, numbered as in curses; -1 = terminal default. */
enum {
    STYLE_COLOR_DEFAULT = -1,
    STYLE_COLOR_RED = 1,
    STYLE_COLOR_GREEN = 2,
    STYLE_COLOR_YELLOW = 3,
    STYLE_COLOR_BLUE = 4,
    STYLE_COLOR_MAGENTA = 5,
    STYLE_COLOR_CYAN = 6
};

typedef struct {
    short fg, bg;              /* STYLE_COLOR_*; bg is always -1 */
    unsigned attrs_mono;       /* STYLE_ATTR_* used without colour */
    unsigned attrs_color;      /* STYLE_ATTR_* used together with fg/bg */
    const char *name;          /* short id, e.g. "masked" */
    const char *look;          /* how it looks, colour / mono (for docs, help) */
} StyleSpec;

/* Spec of `role`; out-of-range roles give STYLE_NORMAL's spec. */
const StyleSpec *style_spec(int role);

/* Short name of `role` ("normal" when out of range). */
const char *style_name(int role);

/* Role whose short name is `name`, or -1. */
int style_find(const char *name);

#endif
