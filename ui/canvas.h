/* canvas: an in-memory grid of cells that every panel draws into. No curses
 * here: term.c copies a finished canvas to the screen, and tests compare
 * canvas_dump() text against golden screens.
 *
 * Invariants (kept by every drawing function):
 *   - cells[y * w + x] for 0 <= x < w, 0 <= y < h; nothing is ever written
 *     outside the canvas or outside the current clip rect (silently clipped);
 *   - cp == 0 marks the right half of a double-width character and occurs
 *     only directly right of a width-2 code point; overwriting either half
 *     turns the other half into a space;
 *   - stored code points are never control characters (they become spaces;
 *     invalid UTF-8 becomes U+FFFD), so term.c can write any cell as is;
 *   - style is a StyleRole (out-of-range values are stored as STYLE_NORMAL).
 * Glyph mode: in ASCII mode the drawing glyphs (boxes, lines, shades, bars,
 * marks) are ASCII, and every other code point is stored as its
 * canvas_ascii_fallback() (one table for the whole UI), one ASCII character
 * per column: an ASCII canvas holds only bytes < 0x80.
 * Ownership: the caller owns the Canvas struct; canvas_init allocates the
 * cells and canvas_free releases them. Resize = canvas_free + canvas_init.
 */
#ifndef KVSIM_CANVAS_H
#define KVSIM_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int x, y, w, h;
} Rect;

typedef struct {
    int32_t cp;     /* Unicode code point; 0 = right half of a wide char */
    uint8_t style;  /* StyleRole */
} CanvasCell;

typedef struct {
    int w, h;
    CanvasCell *cells; /* (h, w) row-major; NULL when w * h == 0 */
    Rect clip;         /* drawing limit, always inside (0, 0, w, h) */
    bool ascii;        /* ASCII drawing glyphs instead of Unicode */
} Canvas;

/* Named drawing glyphs, resolved per glyph mode by canvas_glyph(). */
typedef enum {
    GLYPH_HLINE, GLYPH_VLINE,
    GLYPH_TL, GLYPH_TR, GLYPH_BL, GLYPH_BR, /* box corners */
    GLYPH_CHECK, GLYPH_CROSS,               /* ✓ ✗  / v x */
    GLYPH_ARROW_RIGHT, GLYPH_ARROW_DOWN,    /* → ↓  / > v */
    GLYPH_DOT,                              /* ·    / .   */
    GLYPH_ELLIPSIS,                         /* …    / ~   */
    GLYPH_COUNT
} CanvasGlyph;

/* Allocate a w x h canvas of spaces (STYLE_NORMAL), clip = whole canvas,
 * Unicode glyph mode. w, h >= 0 and at most 4096 each. Returns 0, or -1
 * (bad size or out of memory; *c is then an empty canvas, safe to free). */
int canvas_init(Canvas *c, int w, int h);
void canvas_free(Canvas *c);                /* idempotent */
void canvas_clear(Canvas *c);               /* spaces, NORMAL, clip reset */
void canvas_set_ascii(Canvas *c, bool ascii);

/* Limit drawing to r ∩ canvas; returns the previous clip so callers can
 * restore it. canvas_reset_clip makes the whole canvas drawable again. */
Rect canvas_set_clip(Canvas *c, Rect r);
void canvas_reset_clip(Canvas *c);
Rect rect_intersect(Rect a, Rect b);        /* w or h 0 when disjoint */

/* Cell at (x, y), or NULL when outside the canvas. */
const CanvasCell *canvas_at(const Canvas *c, int x, int y);

/* Display width of one code point: 2 for CJK / full-width ranges, else 1. */
int canvas_cp_width(int32_t cp);
/* Display width of UTF-8 text (invalid bytes count 1 each). */
int canvas_text_width(const char *utf8);
/* One code point as UTF-8 text in out (NUL-terminated), e.g. a glyph for a
 * legend; returns its bytes. */
size_t canvas_cp_text(int32_t cp, char out[5]);
/* The ASCII character drawn for cp in ASCII mode (cp itself when < 0x80;
 * '?' for Chinese and anything the table does not know). */
int32_t canvas_ascii_fallback(int32_t cp);

/* Code point of a drawing glyph in c's glyph mode. */
int32_t canvas_glyph(const Canvas *c, CanvasGlyph g);

/* One code point at (x, y); a wide one takes (x, y) and (x + 1, y), or
 * becomes a space when its two halves are not both drawable. */
void canvas_put(Canvas *c, int x, int y, int32_t cp, int style);

/* UTF-8 text from (x, y) on one row, at most max_w columns (max_w < 0: no
 * limit but the clip). A wide char that does not fit in the remaining
 * max_w becomes a space and ends the text. Returns columns advanced
 * (clipped cells included, so layout does not depend on the clip). */
int canvas_text(Canvas *c, int x, int y, int max_w, int style, const char *utf8);
int canvas_textf(Canvas *c, int x, int y, int max_w, int style,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Word-wrap a paragraph into r: breaks at spaces and between CJK
 * characters (never before closing CJK punctuation such as ，。), '\n'
 * starts a new line, a word longer than r.w is split. Returns the number
 * of lines the text needs at width r.w; only the first r.h are drawn.
 * c may be NULL to measure without drawing. */
int canvas_wrap(Canvas *c, Rect r, int style, const char *utf8);

void canvas_fill(Canvas *c, Rect r, int32_t cp, int style);
void canvas_hline(Canvas *c, int x, int y, int w, int style);
void canvas_vline(Canvas *c, int x, int y, int h, int style);

/* Frame around r (needs w, h >= 2). A non-empty title is drawn as
 * " title " in the top border from column r.x + 2 in STYLE_TITLE,
 * cut to fit inside the corners. */
void canvas_box(Canvas *c, Rect r, int style, const char *title);

/* One cell whose glyph encodes v in [0, 1]:
 *   Unicode ' ' ░ ▒ ▓ █   ASCII ' ' . : # @
 * Only v <= 0 is blank and only v >= 1 is full, so a tiny non-zero weight
 * stays visible and full means exactly the maximum; NaN counts as 0. */
void canvas_shade(Canvas *c, int x, int y, double v, int style);

/* Horizontal bar of w cells filled to frac in [0, 1], in eighths of a cell
 * (▏▎▍▌▋▊▉█); ASCII mode uses whole '#' cells. A non-zero frac draws at
 * least one eighth (ASCII: one '#'). Unfilled cells are spaces. */
void canvas_hbar(Canvas *c, int x, int y, int w, double frac, int style);

/* The whole canvas as UTF-8: one line per row, trailing spaces stripped,
 * every row ending in '\n'. Caller frees; NULL only when out of memory. */
char *canvas_dump(const Canvas *c);

#endif
