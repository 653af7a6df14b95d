/* style: the semantic style table. See style.h for the invariants.
 *
 * Colour choices: green = cached / reused / fine, red = recomputed / wasted /
 * wrong, so the mode badges and the cells they produce match. Yellow and
 * cyan are never bold (bright yellow/cyan vanish on light backgrounds).
 * Badges use reverse video: the text then takes the terminal's own
 * background colour, which contrasts with green/red/magenta on both themes.
 */
#include "ui/style.h"

#include <stddef.h>
#include <string.h>

#define B STYLE_ATTR_BOLD
#define D STYLE_ATTR_DIM
#define R STYLE_ATTR_REVERSE
#define U STYLE_ATTR_UNDERLINE
#define DEF STYLE_COLOR_DEFAULT

static const StyleSpec k_styles[STYLE_COUNT] = {
    [STYLE_NORMAL] = {DEF, DEF, 0, 0, "normal",
                      "terminal default / plain"},
    [STYLE_DIM] = {DEF, DEF, D, D, "dim",
                   "default colour, dim / dim"},
    [STYLE_TITLE] = {DEF, DEF, B, B, "title",
                     "default colour, bold / bold"},
    [STYLE_BORDER] = {STYLE_COLOR_BLUE, DEF, 0, 0, "border",
                      "blue / plain (line glyphs carry it)"},
    [STYLE_HILITE] = {DEF, DEF, R, R | B, "hilite",
                      "reverse bold / reverse"},
    /* Visible vs masked: the panel draws a shade for visible cells and a
     * dot for masked ones, and mono uses bold vs dim. */
    [STYLE_VISIBLE] = {STYLE_COLOR_CYAN, DEF, B, 0, "visible",
                       "cyan / bold"},
    [STYLE_MASKED] = {DEF, DEF, D, D, "masked",
                      "default colour, dim / dim"},
    /* Reused vs redone vs new differ in mono by underline / bold / both. */
    [STYLE_REUSED] = {STYLE_COLOR_GREEN, DEF, U, 0, "reused",
                      "green / underline"},
    [STYLE_REDONE] = {STYLE_COLOR_RED, DEF, B, B, "redone",
                      "red bold / bold"},
    [STYLE_NEW] = {STYLE_COLOR_MAGENTA, DEF, B | U, B, "new",
                   "magenta bold / bold underline"},
    /* Badges also spell the mode name, so colour is a second cue only. */
    [STYLE_CACHE_MODE] = {STYLE_COLOR_GREEN, DEF, R | B, R | B, "cache-mode",
                          "green reverse bold / reverse bold"},
    [STYLE_RECOMPUTE_MODE] = {STYLE_COLOR_RED, DEF, R | U, R | B,
                              "recompute-mode",
                              "red reverse bold / reverse underline"},
    /* OK/BAD: the glyph (check vs cross) is the primary cue. */
    [STYLE_OK] = {STYLE_COLOR_GREEN, DEF, B, B, "ok",
                  "green bold / bold"},
    [STYLE_BAD] = {STYLE_COLOR_RED, DEF, B | U, B, "bad",
                   "red bold / bold underline"},
    [STYLE_KEY] = {STYLE_COLOR_BLUE, DEF, B, B, "key",
                   "blue bold / bold"},
    [STYLE_ERROR] = {STYLE_COLOR_RED, DEF, B | R, B, "error",
                     "red bold / bold reverse"},
    /* Signed values: the '-' sign is the primary cue. */
    [STYLE_POSITIVE] = {STYLE_COLOR_GREEN, DEF, 0, 0, "positive",
                        "green / plain"},
    [STYLE_NEGATIVE] = {STYLE_COLOR_RED, DEF, U, 0, "negative",
                        "red / underline"},
    /* What the last operation changed (new cache row, counters that moved,
     * the live attention row): reverse video shows on any projector. */
    [STYLE_CHANGED] = {STYLE_COLOR_YELLOW, DEF, R | B, R, "changed",
                       "yellow reverse / reverse bold"},
};

const StyleSpec *style_spec(int role)
{
    if (role < 0 || role >= STYLE_COUNT)
        role = STYLE_NORMAL;
    return &k_styles[role];
}

const char *style_name(int role)
{
    return style_spec(role)->name;
}

int style_find(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < STYLE_COUNT; i++)
        if (strcmp(k_styles[i].name, name) == 0)
            return i;
    return -1;
}
