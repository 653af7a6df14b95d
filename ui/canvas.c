/* canvas: cell grid, text, boxes, shades, bars, text dump. See canvas.h.
 *
 * Every write goes through put_cp() -> set_cell(): put_cp clips against
 * c->clip and resolves wide characters, set_cell keeps the wide-char pairing
 * invariant. Positions are long long inside so that huge or negative
 * coordinates from callers can never overflow into the grid.
 */
#include "ui/canvas.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/style.h"

#define CANVAS_MAX_SIDE 4096
#define CP_REPLACEMENT 0xFFFD

/* ---- UTF-8 and widths ---------------------------------------------------- */

/* Strict decoder (no overlongs, surrogates or values past U+10FFFF).
 * Returns the byte length, 0 at NUL, -1 on invalid. Never reads past a NUL:
 * a NUL is not a continuation byte, so the loop stops there. Kept local so
 * ui/ does not depend on sim/ for drawing. */
static int utf8_decode(const char *s, int32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    int n;
    int32_t v, min;

    if (u[0] == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xE0) == 0xC0) {
        n = 2, v = u[0] & 0x1F, min = 0x80;
    } else if ((u[0] & 0xF0) == 0xE0) {
        n = 3, v = u[0] & 0x0F, min = 0x800;
    } else if ((u[0] & 0xF8) == 0xF0) {
        n = 4, v = u[0] & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return -1;
        v = (v << 6) | (u[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return -1;
    *cp = v;
    return n;
}

/* Next code point of *p, advancing *p; 0 at the end of the string.
 * An invalid byte yields U+FFFD and advances by one byte. */
static int32_t take_cp(const char **p)
{
    int32_t cp = 0;
    int n = utf8_decode(*p, &cp);
    if (n == 0)
        return 0;
    if (n < 0) {
        (*p)++;
        return CP_REPLACEMENT;
    }
    *p += n;
    return cp;
}

/* What a cell may hold: no control characters (C0, DEL, C1), no
 * surrogates or out-of-range values. */
static int32_t clean_cp(int32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return ' ';
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return CP_REPLACEMENT;
    return cp;
}

int canvas_cp_width(int32_t cp)
{
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x10FFFF))
        return 2;
    return 1;
}

int canvas_text_width(const char *utf8)
{
    long long w = 0;
    int32_t cp;

    if (utf8 == NULL)
        return 0;
    while ((cp = take_cp(&utf8)) != 0)
        w += canvas_cp_width(clean_cp(cp));
    return w > INT_MAX ? INT_MAX : (int)w;
}

/* Unicode and ASCII forms of each CanvasGlyph, in enum order. */
static const int32_t k_glyph_uni[GLYPH_COUNT] = {
    0x2500, 0x2502, 0x250C, 0x2510, 0x2514, 0x2518,
    0x2713, 0x2717, 0x2192, 0x2193, 0x00B7, 0x2026,
};
static const int32_t k_glyph_ascii[GLYPH_COUNT] = {
    '-', '|', '+', '+', '+', '+', 'v', 'x', '>', 'v', '.', '~',
};

int32_t canvas_glyph(const Canvas *c, CanvasGlyph g)
{
    if ((int)g < 0 || g >= GLYPH_COUNT)
        return '?';
    return c->ascii ? k_glyph_ascii[g] : k_glyph_uni[g];
}

/* ---- lifetime and clip --------------------------------------------------- */

int canvas_init(Canvas *c, int w, int h)
{
    memset(c, 0, sizeof *c);
    if (w < 0 || h < 0 || w > CANVAS_MAX_SIDE || h > CANVAS_MAX_SIDE)
        return -1;
    if ((size_t)w * (size_t)h > 0) {
        c->cells = malloc((size_t)w * (size_t)h * sizeof *c->cells);
        if (c->cells == NULL)
            return -1;
    }
    c->w = w;
    c->h = h;
    canvas_clear(c);
    return 0;
}

void canvas_free(Canvas *c)
{
    free(c->cells);
    memset(c, 0, sizeof *c);
}

void canvas_clear(Canvas *c)
{
    size_t n = (size_t)c->w * (size_t)c->h;
    for (size_t i = 0; i < n; i++) {
        c->cells[i].cp = ' ';
        c->cells[i].style = STYLE_NORMAL;
    }
    canvas_reset_clip(c);
}

void canvas_set_ascii(Canvas *c, bool ascii)
{
    c->ascii = ascii;
}

Rect rect_intersect(Rect a, Rect b)
{
    long long x0 = a.x > b.x ? a.x : b.x;
    long long y0 = a.y > b.y ? a.y : b.y;
    long long ax1 = (long long)a.x + (a.w > 0 ? a.w : 0);
    long long bx1 = (long long)b.x + (b.w > 0 ? b.w : 0);
    long long ay1 = (long long)a.y + (a.h > 0 ? a.h : 0);
    long long by1 = (long long)b.y + (b.h > 0 ? b.h : 0);
    long long x1 = ax1 < bx1 ? ax1 : bx1;
    long long y1 = ay1 < by1 ? ay1 : by1;
    Rect r = {(int)x0, (int)y0, 0, 0};

    if (x1 > x0 && y1 > y0) {
        r.w = (int)(x1 - x0);
        r.h = (int)(y1 - y0);
    }
    return r;
}

Rect canvas_set_clip(Canvas *c, Rect r)
{
    Rect old = c->clip;
    Rect all = {0, 0, c->w, c->h};
    c->clip = rect_intersect(all, r);
    return old;
}

void canvas_reset_clip(Canvas *c)
{
    Rect all = {0, 0, c->w, c->h};
    c->clip = all;
}

const CanvasCell *canvas_at(const Canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return NULL;
    return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

/* ---- cell writes --------------------------------------------------------- */

static bool drawable(const Canvas *c, long long x, long long y)
{
    return x >= c->clip.x && x < (long long)c->clip.x + c->clip.w &&
           y >= c->clip.y && y < (long long)c->clip.y + c->clip.h;
}

static uint8_t style8(int style)
{
    return (style < 0 || style >= STYLE_COUNT) ? STYLE_NORMAL : (uint8_t)style;
}

/* Write one cell inside the canvas, turning the orphaned half of any wide
 * character it overwrites into a space (which keeps that half's style). */
static void set_cell(Canvas *c, int x, int y, int32_t cp, uint8_t style)
{
    CanvasCell *row = &c->cells[(size_t)y * (size_t)c->w];

    if (row[x].cp == 0 && x > 0)
        row[x - 1].cp = ' ';
    else if (canvas_cp_width(row[x].cp) == 2 && x + 1 < c->w)
        row[x + 1].cp = ' ';
    row[x].cp = cp;
    row[x].style = style;
}

/* The one table of ASCII fallbacks: every non-ASCII symbol the UI draws
 * (panels, help, footer, lesson texts), one ASCII character each so that
 * layouts keep their widths. Sorted by code point (bsearch). */
typedef struct {
    int32_t cp;
    char ascii;
} AsciiFallback;

static const AsciiFallback k_ascii_fallback[] = {
    {0x00A7, 'S'}, /* § */ {0x00B1, '~'}, /* ± */ {0x00B2, '2'}, /* ² */
    {0x00B3, '3'}, /* ³ */ {0x00B7, '*'}, /* · (a product: 2·2·8) */ {0x00D7, 'x'}, /* × */
    {0x00F7, '/'}, /* ÷ */ {0x03A3, 'S'}, /* Σ */ {0x1D40, 'T'}, /* ᵀ */
    {0x2013, '-'}, /* – */ {0x2014, '-'}, /* — */ {0x2016, '|'}, /* ‖ */
    {0x2018, '\''}, /* ‘ */ {0x2019, '\''}, /* ’ */ {0x201C, '"'}, /* “ */
    {0x201D, '"'}, /* ” */ {0x2026, '~'}, /* … */ {0x2190, '<'}, /* ← */
    {0x2191, '^'}, /* ↑ */ {0x2192, '>'}, /* → */ {0x2193, 'v'}, /* ↓ */
    {0x21BB, '*'}, /* ↻ */ {0x2212, '-'}, /* − */ {0x221A, 'V'}, /* √ */
    {0x221E, '8'}, /* ∞ */ {0x2248, '~'}, /* ≈ */ {0x2264, '<'}, /* ≤ */
    {0x2265, '>'}, /* ≥ */ {0x2308, '['}, /* ⌈ */ {0x2309, ']'}, /* ⌉ */
    {0x230A, '['}, /* ⌊ */ {0x230B, ']'}, /* ⌋ */ {0x2423, '_'}, /* ␣ */
    {0x2500, '-'}, /* ─ */ {0x2502, '|'}, /* │ */ {0x250A, ':'}, /* ┊ */
    {0x2581, '_'}, /* ▁ */ {0x2591, '.'}, /* ░ */ {0x2592, ':'}, /* ▒ */
    {0x2593, '#'}, /* ▓ */ {0x2595, ']'}, /* ▕ */ {0x25B2, '^'}, /* ▲ */
    {0x25B3, '^'}, /* △ */ {0x25B6, '>'}, /* ▶ */ {0x25CB, 'o'}, /* ○ */
    {0x25CF, '*'}, /* ● */ {0x2713, 'v'}, /* ✓ */ {0x2717, 'x'}, /* ✗ */
};

static int cmp_fallback(const void *key, const void *elem)
{
    int32_t cp = *(const int32_t *)key, e = *(const int32_t *)elem;
    return (cp > e) - (cp < e);
}

int32_t canvas_ascii_fallback(int32_t cp)
{
    if (cp < 0x80)
        return cp;
    const void *hit = bsearch(&cp, k_ascii_fallback, sizeof k_ascii_fallback / sizeof k_ascii_fallback[0],
                              sizeof k_ascii_fallback[0], cmp_fallback);
    if (hit != NULL)
        return ((const AsciiFallback *)hit)->ascii;
    if (cp >= 0x2500 && cp <= 0x257F) /* other box drawing: corners, joins */
        return '+';
    if (cp >= 0x2580 && cp <= 0x259F) /* other blocks: bars */
        return '#';
    return '?'; /* Chinese and the rest: '?' per column */
}

static void put_cp(Canvas *c, long long x, long long y, int32_t cp, uint8_t st)
{
    cp = clean_cp(cp);
    if (c->ascii && cp >= 0x80) { /* ASCII only: a wide char becomes two cells */
        int32_t a = canvas_ascii_fallback(cp);
        if (drawable(c, x, y))
            set_cell(c, (int)x, (int)y, a, st);
        if (canvas_cp_width(cp) == 2 && drawable(c, x + 1, y))
            set_cell(c, (int)x + 1, (int)y, a, st);
        return;
    }
    if (canvas_cp_width(cp) == 2) {
        bool left = drawable(c, x, y), right = drawable(c, x + 1, y);
        if (left && right) {
            set_cell(c, (int)x, (int)y, cp, st);
            set_cell(c, (int)x + 1, (int)y, 0, st); /* left done first */
        } else if (left) {
            set_cell(c, (int)x, (int)y, ' ', st);
        } else if (right) {
            set_cell(c, (int)x + 1, (int)y, ' ', st);
        }
        return;
    }
    if (drawable(c, x, y))
        set_cell(c, (int)x, (int)y, cp, st);
}

void canvas_put(Canvas *c, int x, int y, int32_t cp, int style)
{
    put_cp(c, x, y, cp, style8(style));
}

/* ---- text ---------------------------------------------------------------- */

/* Draw the bytes [s, end) (end NULL: up to the NUL) from column x. */
static int text_span(Canvas *c, long long x, long long y, int max_w,
                     uint8_t st, const char *s, const char *end)
{
    long long used = 0;
    const char *p = s;

    while (end == NULL || p < end) {
        int32_t cp = take_cp(&p);
        if (cp == 0)
            break;
        cp = clean_cp(cp);
        int cw = canvas_cp_width(cp);
        if (max_w >= 0 && used + cw > max_w) {
            if (used < max_w) { /* wide char with one column left */
                put_cp(c, x + used, y, ' ', st);
                used++;
            }
            break;
        }
        put_cp(c, x + used, y, cp, st);
        used += cw;
    }
    return used > INT_MAX ? INT_MAX : (int)used;
}

int canvas_text(Canvas *c, int x, int y, int max_w, int style, const char *utf8)
{
    if (utf8 == NULL)
        return 0;
    return text_span(c, x, y, max_w, style8(style), utf8, NULL);
}

int canvas_textf(Canvas *c, int x, int y, int max_w, int style,
                 const char *fmt, ...)
{
    char buf[256];
    va_list ap, ap2;
    int n, used;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) {
        used = 0;
    } else if ((size_t)n < sizeof buf) {
        used = canvas_text(c, x, y, max_w, style, buf);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big != NULL) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            used = canvas_text(c, x, y, max_w, style, big);
            free(big);
        } else { /* out of memory: draw the truncated text */
            used = canvas_text(c, x, y, max_w, style, buf);
        }
    }
    va_end(ap2);
    return used;
}

/* Closing CJK punctuation must not start a line, opening must not end one.
 * The curly quotes count: zh text quotes with “” and ‘’. */
static bool no_break_before(int32_t cp)
{
    static const int32_t k[] = {0x3001, 0x3002, 0xFF0C, 0xFF0E, 0xFF1A,
                                0xFF1B, 0xFF1F, 0xFF01, 0xFF09, 0x300D,
                                0x300F, 0x300B, 0x3009, 0x3011, 0x3015,
                                0x201D, 0x2019};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (k[i] == cp)
            return true;
    return false;
}

static bool no_break_after(int32_t cp)
{
    static const int32_t k[] = {0xFF08, 0x300C, 0x300E, 0x300A, 0x3008,
                                0x3010, 0x3014, 0x201C, 0x2018};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (k[i] == cp)
            return true;
    return false;
}

/* A line may break between two non-space characters when either is wide. */
static bool can_break_between(int32_t prev, int32_t cp)
{
    if (canvas_cp_width(prev) != 2 && canvas_cp_width(cp) != 2)
        return false;
    return !no_break_before(cp) && !no_break_after(prev);
}

int canvas_wrap(Canvas *c, Rect r, int style, const char *utf8)
{
    uint8_t st = style8(style);
    const char *p = utf8;
    int nlines = 0;
    Rect saved = {0, 0, 0, 0};

    if (utf8 == NULL || r.w <= 0)
        return 0;
    if (c != NULL) {
        saved = c->clip;
        c->clip = rect_intersect(c->clip, r);
    }
    while (*p != '\0') {
        const char *q = p, *end, *next;
        const char *brk_end = NULL, *brk_next = NULL;
        int w = 0;
        int32_t prev = 0;
        bool soft = false;

        for (;;) { /* find where this line ends and the next begins */
            const char *at = q;
            int32_t cp = take_cp(&q);
            if (cp == 0 || cp == '\n') {
                end = at;
                next = cp == 0 ? at : q;
                break;
            }
            cp = clean_cp(cp);
            int cw = canvas_cp_width(cp);
            if (cp == ' ') {
                if (prev != ' ')
                    brk_end = at; /* drop the whole run of spaces */
                brk_next = q;
            } else if (at != p && prev != ' ' && can_break_between(prev, cp)) {
                brk_end = at;
                brk_next = at;
            }
            if (w + cw > r.w) {
                soft = true;
                if (cp == ' ') {
                    end = brk_end;
                    next = q;
                } else if (brk_end != NULL) {
                    end = brk_end;
                    next = brk_next;
                } else if (at == p) { /* one char wider than r: take it */
                    end = q;
                    next = q;
                } else { /* word longer than the line: split it */
                    end = at;
                    next = at;
                }
                break;
            }
            w += cw;
            prev = cp;
        }
        if (c != NULL && nlines < r.h)
            text_span(c, r.x, (long long)r.y + nlines, r.w, st, p, end);
        if (nlines < INT_MAX)
            nlines++;
        p = next;
        if (soft) { /* the break ate the spaces, and a '\n' right after */
            while (*p == ' ')
                p++;
            if (*p == '\n')
                p++;
        }
    }
    if (c != NULL)
        c->clip = saved;
    return nlines;
}

/* ---- shapes -------------------------------------------------------------- */

void canvas_fill(Canvas *c, Rect r, int32_t cp, int style)
{
    uint8_t st = style8(style);
    Rect k = rect_intersect(c->clip, r);
    Rect saved = c->clip;
    int cw;
    long long x0;

    if (k.w == 0 || k.h == 0)
        return;
    cp = clean_cp(cp);
    cw = canvas_cp_width(cp);
    /* start on r's column grid so wide fills keep their phase */
    x0 = (long long)r.x + ((long long)k.x - r.x) / cw * cw;
    c->clip = k;
    for (int y = k.y; y < k.y + k.h; y++)
        for (long long x = x0; x < (long long)k.x + k.w; x += cw)
            put_cp(c, x, y, cp, st);
    c->clip = saved;
}

/* Draw w (or h) copies of a glyph, visiting only cells inside the clip. */
static void run(Canvas *c, long long x, long long y, long long n, int dx,
                int32_t cp, uint8_t st)
{
    long long lo = 0, hi = n;
    long long pos = dx ? x : y, cmin = dx ? c->clip.x : c->clip.y;
    long long cmax = cmin + (dx ? c->clip.w : c->clip.h);

    if (pos < cmin)
        lo = cmin - pos;
    if (pos + hi > cmax)
        hi = cmax - pos;
    for (long long i = lo; i < hi; i++)
        put_cp(c, dx ? x + i : x, dx ? y : y + i, cp, st);
}

void canvas_hline(Canvas *c, int x, int y, int w, int style)
{
    run(c, x, y, w, 1, canvas_glyph(c, GLYPH_HLINE), style8(style));
}

void canvas_vline(Canvas *c, int x, int y, int h, int style)
{
    run(c, x, y, h, 0, canvas_glyph(c, GLYPH_VLINE), style8(style));
}

void canvas_box(Canvas *c, Rect r, int style, const char *title)
{
    uint8_t st = style8(style);
    long long x1 = (long long)r.x + r.w - 1, y1 = (long long)r.y + r.h - 1;

    if (r.w < 2 || r.h < 2)
        return;
    run(c, (long long)r.x + 1, r.y, r.w - 2, 1, canvas_glyph(c, GLYPH_HLINE), st);
    run(c, (long long)r.x + 1, y1, r.w - 2, 1, canvas_glyph(c, GLYPH_HLINE), st);
    run(c, r.x, (long long)r.y + 1, r.h - 2, 0, canvas_glyph(c, GLYPH_VLINE), st);
    run(c, x1, (long long)r.y + 1, r.h - 2, 0, canvas_glyph(c, GLYPH_VLINE), st);
    put_cp(c, r.x, r.y, canvas_glyph(c, GLYPH_TL), st);
    put_cp(c, x1, r.y, canvas_glyph(c, GLYPH_TR), st);
    put_cp(c, r.x, y1, canvas_glyph(c, GLYPH_BL), st);
    put_cp(c, x1, y1, canvas_glyph(c, GLYPH_BR), st);

    /* "┌─ title ─┐": 2 columns each side plus the two spaces */
    if (title != NULL && *title != '\0' && r.w - 6 >= 1) {
        long long tx = (long long)r.x + 2;
        put_cp(c, tx, r.y, ' ', st);
        int used = text_span(c, tx + 1, r.y, r.w - 6, STYLE_TITLE, title, NULL);
        put_cp(c, tx + 1 + used, r.y, ' ', st);
    }
}

void canvas_shade(Canvas *c, int x, int y, double v, int style)
{
    static const int32_t uni[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
    static const int32_t asc[5] = {' ', '.', ':', '#', '@'};
    int k;

    if (!(v > 0.0)) /* also NaN */
        k = 0;
    else if (v >= 1.0)
        k = 4;
    else
        k = v * 3.0 >= 2.0 ? 3 : 1 + (int)(v * 3.0); /* (0, 1) -> 1..3 */
    put_cp(c, x, y, c->ascii ? asc[k] : uni[k], style8(style));
}

void canvas_hbar(Canvas *c, int x, int y, int w, double frac, int style)
{
    uint8_t st = style8(style);
    int unit = c->ascii ? 1 : 8; /* steps per cell */
    long long lo = 0, hi = w, filled;

    if (w <= 0)
        return;
    if (!(frac > 0.0))
        frac = 0.0;
    if (frac > 1.0)
        frac = 1.0;
    filled = (long long)(frac * (double)w * unit + 0.5);
    if (frac > 0.0 && filled == 0)
        filled = 1;
    if (x < c->clip.x)
        lo = (long long)c->clip.x - x;
    if ((long long)x + hi > (long long)c->clip.x + c->clip.w)
        hi = (long long)c->clip.x + c->clip.w - x;
    for (long long i = lo; i < hi; i++) {
        long long k = filled - i * unit;
        int32_t cp = ' ';
        if (k >= unit)
            cp = c->ascii ? '#' : 0x2588;
        else if (k > 0)
            cp = 0x2590 - (int32_t)k; /* U+258F = 1/8 ... U+2589 = 7/8 */
        put_cp(c, (long long)x + i, y, cp, st);
    }
}

/* ---- dump ---------------------------------------------------------------- */

static size_t put_utf8(char *out, int32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t canvas_cp_text(int32_t cp, char out[5])
{
    const size_t n = put_utf8(out, cp);
    out[n] = '\0';
    return n;
}

char *canvas_dump(const Canvas *c)
{
    size_t cap = (size_t)c->h * ((size_t)c->w * 4 + 1) + 1;
    char *out = malloc(cap), *o = out;

    if (out == NULL)
        return NULL;
    for (int y = 0; y < c->h; y++) {
        char *row = o;
        for (int x = 0; x < c->w; x++) {
            int32_t cp = c->cells[(size_t)y * (size_t)c->w + (size_t)x].cp;
            if (cp != 0) /* right halves print nothing */
                o += put_utf8(o, cp);
        }
        while (o > row && o[-1] == ' ')
            o--;
        *o++ = '\n';
    }
    *o = '\0';
    return out;
}
