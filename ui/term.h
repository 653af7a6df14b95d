/* term: the only module that talks to the terminal (and the only file in
 * the project that includes <curses.h>). Everything else draws into a
 * Canvas; term_draw copies it to the screen in one update.
 *
 * Lifecycle: setlocale(LC_CTYPE, "") in main, then term_check, then
 * term_install_signals + term_open; term_close when done (idempotent, also
 * fine from atexit). At most one terminal is open at a time; the module
 * owns the curses SCREEN.
 *
 * Signals: every signal whose default action ends the process is caught
 * (unless it was ignored or handled when we started). Asynchronous ones
 * (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2, SIGALRM, ...) only set a
 * flag reported by term_pending_signal(); the loop should then term_close,
 * clean up, and term_reraise() the signal so the exit status tells the
 * truth. Faults (SIGSEGV, SIGABRT, ...) restore the terminal in the handler
 * and die of the same signal. SIGTSTP/SIGCONT are handled inside
 * term_getkey (suspend, then resume and report TERM_KEY_RESIZE so the
 * caller redraws everything).
 *
 * Keys: ncurses decodes escape sequences (keypad, ESCDELAY, plus
 * define_key for Home/End and modified arrows that terminfo entries
 * miss). An Esc with more input right behind it is a sequence ncurses
 * does not know and is dropped whole; only a lone Esc is TERM_KEY_ESC.
 */
#ifndef KVSIM_TERM_H
#define KVSIM_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/canvas.h"

/* Key codes: printable characters are their Unicode code points, control
 * characters not listed below their own codes (e.g. 12 for Ctrl-L);
 * special keys live past the Unicode range. */
enum {
    TERM_KEY_NONE = -1, /* timeout, or interrupted by a signal */
    TERM_KEY_EOF = -2,  /* input closed: quit, never poll again */
    TERM_KEY_BASE = 0x110000,
    TERM_KEY_LEFT = TERM_KEY_BASE,
    TERM_KEY_RIGHT,
    TERM_KEY_UP,
    TERM_KEY_DOWN,
    TERM_KEY_HOME,
    TERM_KEY_END,
    TERM_KEY_PGUP,
    TERM_KEY_PGDN,
    TERM_KEY_BACKSPACE, /* also DEL (127) and ^H */
    TERM_KEY_DELETE,
    TERM_KEY_ENTER,     /* also '\r' and '\n' */
    TERM_KEY_ESC,
    TERM_KEY_TAB,
    TERM_KEY_BTAB,      /* shift-tab */
    TERM_KEY_F1,
    TERM_KEY_RESIZE     /* size changed or screen must be fully redrawn */
};

/* 0 when stdin/stdout are a terminal with cursor addressing; otherwise -1
 * and a one-line reason in err, e.g. "kvsim: standard output is not a
 * terminal; use 'kvsim trace' or 'kvsim frames' for text output".
 * Makes no curses screen; safe before term_open. */
int term_check(char *err, size_t errlen);

/* Start curses on stdout/stdin. Colour is used when want_color, NO_COLOR is
 * unset or empty, and the terminal has >= 8 colours and default-colour
 * support; otherwise monochrome attributes. Returns 0, or -1 (nothing to
 * close). */
int term_open(bool want_color);
void term_close(void);          /* idempotent; no-op when not open */
bool term_is_open(void);
bool term_color(void);          /* colour chosen at term_open */

/* Handlers for every terminating signal, SIGTSTP and SIGCONT (see above). */
void term_install_signals(void);
/* The terminating signal caught, or 0. */
int term_pending_signal(void);
/* After term_close: end the process by sig with its default action (the
 * parent sees "killed by sig"). Returns only if that action does not end
 * the process. */
void term_reraise(int sig);
/* Leave curses mode, stop the process (default SIGTSTP), and on SIGCONT
 * restore the screen. Called by term_getkey; the caller then redraws. */
void term_suspend(void);

/* Screen size in cells (80 x 24 when unknown). */
void term_size(int *w, int *h);

/* Next key within timeout_ms (< 0: wait forever). TERM_KEY_NONE on timeout
 * or pending signal, TERM_KEY_EOF when stdin is closed (immediately, no
 * spinning), TERM_KEY_RESIZE on resize or after a suspend/resume. */
int term_getkey(int timeout_ms);

/* Copy the canvas to the screen (top-left aligned, cut to the screen) and
 * update the terminal once. ascii: replace every non-ASCII code point with
 * '?' (one per column), for locales that cannot show them. */
void term_draw(const Canvas *c, bool ascii);

/* Whether the current locale's codeset is UTF-8 (needs setlocale first). */
bool term_utf8(void);
/* For the live UI: when LC_CTYPE is not UTF-8, try C.UTF-8; say once on
 * stderr which was used. True when characters can be drawn as UTF-8,
 * false when the UI must draw ASCII only. */
bool term_locale_utf8(void);

#endif
