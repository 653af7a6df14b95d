/* term: ncursesw setup and teardown, colours, keys, signals, and the copy
 * of a Canvas to the screen. The only file that includes <curses.h>.
 * See term.h for the lifecycle and the key space.
 */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <term.h>

#include "ui/term.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "ui/style.h"

/* Our colour numbers are the curses ones; check once at compile time. */
_Static_assert(STYLE_COLOR_RED == COLOR_RED && STYLE_COLOR_GREEN == COLOR_GREEN &&
                   STYLE_COLOR_YELLOW == COLOR_YELLOW &&
                   STYLE_COLOR_BLUE == COLOR_BLUE &&
                   STYLE_COLOR_MAGENTA == COLOR_MAGENTA &&
                   STYLE_COLOR_CYAN == COLOR_CYAN,
               "style colours must match curses colour numbers");

/* Blocking waits are cut into slices so that signal flags are seen even if
 * ncurses retries reads interrupted by a signal. */
#define WAIT_SLICE_MS 250

static SCREEN *g_screen;
static bool g_color;
static volatile sig_atomic_t g_sig;  /* a terminating signal caught (see below) */
static volatile sig_atomic_t g_tstp; /* SIGTSTP caught: suspend */
static volatile sig_atomic_t g_cont; /* SIGCONT caught: restore screen */

/* ---- checks -------------------------------------------------------------- */

static int check_fail(char *err, size_t errlen, const char *why)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen,
                 "kvsim: %s; use 'kvsim trace' or 'kvsim frames' for text output",
                 why);
    return -1;
}

int term_check(char *err, size_t errlen)
{
    char why[128];
    const char *name = getenv("TERM");
    const char *cup;
    int status = 0;
    bool addressable;

    if (!isatty(STDOUT_FILENO))
        return check_fail(err, errlen, "standard output is not a terminal");
    if (!isatty(STDIN_FILENO))
        return check_fail(err, errlen, "standard input is not a terminal");
    if (name == NULL || *name == '\0')
        return check_fail(err, errlen, "TERM is not set");
    if (strcmp(name, "dumb") == 0)
        return check_fail(err, errlen, "TERM=dumb cannot move the cursor");
    if (g_screen != NULL) /* already running: cur_term belongs to curses */
        return 0;
    /* With a status pointer setupterm reports instead of exiting. */
    if (setupterm(name, STDOUT_FILENO, &status) != OK) {
        if (status == -1)
            snprintf(why, sizeof why, "no terminfo database found");
        else if (status == 1)
            snprintf(why, sizeof why, "terminal type '%.40s' is hardcopy", name);
        else
            snprintf(why, sizeof why,
                     "terminal type '%.40s' is not in the terminfo database", name);
        return check_fail(err, errlen, why);
    }
    cup = tigetstr("cup");
    addressable = cup != NULL && cup != (char *)-1;
    del_curterm(cur_term);
    if (!addressable) {
        snprintf(why, sizeof why, "terminal type '%.40s' cannot move the cursor",
                 name);
        return check_fail(err, errlen, why);
    }
    return 0;
}

bool term_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL &&
           (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

bool term_locale_utf8(void)
{
    char was[128];
    const char *cur = setlocale(LC_CTYPE, NULL);

    if (term_utf8())
        return true;
    snprintf(was, sizeof was, "%s", cur ? cur : "C");
    /* a minimal system often has no LANG at all; glibc >= 2.35 always
     * ships C.UTF-8, and the terminal itself is almost always UTF-8 */
    if ((setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "C.utf8")) && term_utf8()) {
        fprintf(stderr, "kvsim: the locale (%s) is not UTF-8; using C.UTF-8 for characters\n", was);
        return true;
    }
    setlocale(LC_CTYPE, was);
    fprintf(stderr, "kvsim: the locale (%s) is not UTF-8 and C.UTF-8 is not available; "
                    "drawing with ASCII only\n", was);
    return false;
}

/* ---- open / close -------------------------------------------------------- */

static bool init_colors(void)
{
    const char *no_color = getenv("NO_COLOR"); /* https://no-color.org */

    if (no_color != NULL && *no_color != '\0')
        return false;
    if (!has_colors() || start_color() != OK || COLORS < 8 ||
        COLOR_PAIRS < STYLE_COUNT + 1)
        return false;
    /* Default background (-1) keeps light and dark themes readable. */
    if (use_default_colors() != OK)
        return false;
    for (int i = 0; i < STYLE_COUNT; i++) {
        const StyleSpec *s = style_spec(i);
        if (init_pair((short)(i + 1), s->fg, s->bg) != OK)
            return false;
    }
    return true;
}

/* What a fault handler writes to leave curses mode without curses (only
 * write() and tcsetattr() are async-signal-safe): the terminal's own
 * strings for normal attributes, visible cursor, keypad off, normal
 * screen, and the terminal modes from before term_open. */
static char g_restore[256];
static size_t g_restore_len;
static struct termios g_shell_tio;
static volatile sig_atomic_t g_tio_saved;

static void add_restore(const char *cap)
{
    const char *s = tigetstr((char *)cap);
    if (s == NULL || s == (char *)-1)
        return;
    size_t n = strlen(s);
    if (g_restore_len + n < sizeof g_restore) {
        memcpy(g_restore + g_restore_len, s, n);
        g_restore_len += n;
    }
}

/* Sequences that terminfo entries often lack (Home/End as tmux and screen
 * send them, modified arrows such as Ctrl+Left, application-mode cursor
 * keys): taught to ncurses so they arrive as keys, not as a stray ESC and
 * letters. Only sequences that are not bound yet are added. */
static void define_missing_keys(void)
{
    static const struct { const char *seq; int code; } fixed[] = {
        {"\033[1~", KEY_HOME}, {"\033[7~", KEY_HOME}, {"\033[H", KEY_HOME}, {"\033OH", KEY_HOME},
        {"\033[4~", KEY_END},  {"\033[8~", KEY_END},  {"\033[F", KEY_END},  {"\033OF", KEY_END},
        {"\033[3~", KEY_DC},   {"\033[5~", KEY_PPAGE}, {"\033[6~", KEY_NPAGE}, {"\033[Z", KEY_BTAB},
        {"\033OA", KEY_UP},    {"\033OB", KEY_DOWN},  {"\033OC", KEY_RIGHT}, {"\033OD", KEY_LEFT},
        {"\033[A", KEY_UP},    {"\033[B", KEY_DOWN},  {"\033[C", KEY_RIGHT}, {"\033[D", KEY_LEFT},
    };
    /* xterm modifiers 2..8 (Shift, Alt, Ctrl and their mixes) on the
     * arrows, Home and End: the key itself, modifier ignored */
    static const struct { char final; int code; } mod[] = {
        {'A', KEY_UP}, {'B', KEY_DOWN}, {'C', KEY_RIGHT}, {'D', KEY_LEFT}, {'H', KEY_HOME}, {'F', KEY_END},
    };
    char seq[16];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (key_defined(fixed[i].seq) == 0)
            define_key(fixed[i].seq, fixed[i].code);
    for (size_t i = 0; i < sizeof mod / sizeof mod[0]; i++)
        for (int m = 2; m <= 8; m++) {
            snprintf(seq, sizeof seq, "\033[1;%d%c", m, mod[i].final);
            if (key_defined(seq) == 0)
                define_key(seq, mod[i].code);
        }
}

int term_open(bool want_color)
{
    if (g_screen != NULL)
        return 0;
    g_tio_saved = tcgetattr(STDIN_FILENO, &g_shell_tio) == 0;
    g_screen = newterm(NULL, stdout, stdin); /* NULL, not exit, on bad TERM */
    if (g_screen == NULL)
        return -1;
    set_term(g_screen);
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    set_escdelay(25); /* a lone ESC key should feel immediate */
    define_missing_keys();
    curs_set(0);
    g_color = want_color && init_colors();
    g_restore_len = 0;
    add_restore("sgr0");
    add_restore("cnorm");
    add_restore("rmkx");
    add_restore("rmcup");
    return 0;
}

void term_close(void)
{
    SCREEN *s = g_screen;

    if (s == NULL)
        return;
    g_screen = NULL; /* first, so a re-entrant call is a no-op */
    curs_set(1);
    endwin();
    delscreen(s);
}

bool term_is_open(void)
{
    return g_screen != NULL;
}

bool term_color(void)
{
    return g_screen != NULL && g_color;
}

/* ---- signals ------------------------------------------------------------- */

/* Every signal whose default action ends the process, except SIGKILL
 * (which cannot be caught). Asynchronous ones only set a flag: the loop
 * then closes curses normally and term_reraise() ends the process with the
 * same signal. Faults cannot wait for the loop (returning re-runs the
 * faulting instruction): their handler restores the terminal itself. */
static const int g_async_sigs[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE,
    SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
#ifdef SIGPOLL
    SIGPOLL,
#endif
#ifdef SIGPWR
    SIGPWR,
#endif
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
};
static const int g_fault_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};

/* Only async-signal-safe work here: set a flag. */
static void on_signal(int sig)
{
    if (sig == SIGTSTP)
        g_tstp = 1;
    else if (sig == SIGCONT)
        g_cont = 1;
    else
        g_sig = sig;
}

/* A fault (or one sent with kill): put the terminal back, then die of the
 * same signal with its default action once this handler returns. */
static void on_fault(int sig)
{
    int saved = errno;
    if (g_screen != NULL) {
        ssize_t unused = write(STDOUT_FILENO, g_restore, g_restore_len);
        (void)unused;
        if (g_tio_saved)
            tcsetattr(STDIN_FILENO, TCSANOW, &g_shell_tio);
    }
    signal(sig, SIG_DFL);
    raise(sig); /* blocked until we return; a real fault also re-runs */
    errno = saved;
}

/* Install handler for sig unless its disposition is not the default:
 * a signal ignored by whoever started us (nohup, trap '' SIG) stays
 * ignored, and a handler already there (a sanitizer's, a profiler's)
 * stays in charge. */
static void catch_if_default(int sig, void (*handler)(int))
{
    struct sigaction sa, old;
    if (sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
        (old.sa_flags & SA_SIGINFO))
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: let a signal cut a wait short */
    sigaction(sig, &sa, NULL);
}

void term_install_signals(void)
{
    for (size_t i = 0; i < sizeof g_async_sigs / sizeof g_async_sigs[0]; i++)
        catch_if_default(g_async_sigs[i], on_signal);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        catch_if_default(sig, on_signal);
    for (size_t i = 0; i < sizeof g_fault_sigs / sizeof g_fault_sigs[0]; i++)
        catch_if_default(g_fault_sigs[i], on_fault);
    catch_if_default(SIGTSTP, on_signal);
    catch_if_default(SIGCONT, on_signal);
}

void term_reraise(int sig)
{
    struct sigaction sa;
    sigset_t set;

    fflush(NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig); /* returns only if the default action does not end us */
}

int term_pending_signal(void)
{
    return (int)g_sig;
}

void term_suspend(void)
{
    struct sigaction dfl, old;
    sigset_t set, oldset;

    g_tstp = 0;
    if (g_screen != NULL)
        endwin(); /* give the shell a sane terminal */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGTSTP, &dfl, &old);
    sigemptyset(&set);
    sigaddset(&set, SIGTSTP);
    sigprocmask(SIG_UNBLOCK, &set, &oldset);
    raise(SIGTSTP); /* stopped here until SIGCONT */
    sigprocmask(SIG_SETMASK, &oldset, NULL);
    sigaction(SIGTSTP, &old, NULL);
    g_cont = 0;
    if (g_screen != NULL) {
        reset_prog_mode();
        clearok(curscr, TRUE); /* the shell drew over our screen */
        doupdate();
    }
}

/* ---- input --------------------------------------------------------------- */

void term_size(int *w, int *h)
{
    struct winsize ws;
    int sw = 80, sh = 24;

    if (g_screen != NULL) {
        getmaxyx(stdscr, sh, sw);
    } else if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
               ws.ws_row > 0) {
        sw = ws.ws_col;
        sh = ws.ws_row;
    }
    *w = sw;
    *h = sh;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wget_wch gave ERR; was it a closed stdin rather than a timeout? Hang-up
 * or error always means closed; "readable" means closed (read returned 0)
 * only when the ERR came well before the timeout. */
static bool input_closed(long long elapsed_ms, int slice_ms)
{
    struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};

    if (poll(&pfd, 1, 0) < 0)
        return errno != EINTR;
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
        return true;
    return (pfd.revents & POLLIN) && elapsed_ms < slice_ms / 2;
}

static int map_keycode(wint_t k)
{
    switch (k) {
    case KEY_LEFT: return TERM_KEY_LEFT;
    case KEY_RIGHT: return TERM_KEY_RIGHT;
    case KEY_UP: return TERM_KEY_UP;
    case KEY_DOWN: return TERM_KEY_DOWN;
    case KEY_HOME: return TERM_KEY_HOME;
    case KEY_END: return TERM_KEY_END;
    case KEY_PPAGE: return TERM_KEY_PGUP;
    case KEY_NPAGE: return TERM_KEY_PGDN;
    case KEY_BACKSPACE: return TERM_KEY_BACKSPACE;
    case KEY_DC: return TERM_KEY_DELETE;
    case KEY_ENTER: return TERM_KEY_ENTER;
    case KEY_BTAB: return TERM_KEY_BTAB;
    case KEY_F(1): return TERM_KEY_F1;
    case KEY_RESIZE: return TERM_KEY_RESIZE; /* the one place it is mapped */
    default: return TERM_KEY_NONE;
    }
}

static int map_char(wint_t ch)
{
    switch (ch) {
    case 27: return TERM_KEY_ESC;
    case '\r':
    case '\n': return TERM_KEY_ENTER;
    case 8:
    case 127: return TERM_KEY_BACKSPACE;
    case '\t': return TERM_KEY_TAB;
    default: return (int)ch;
    }
}

/* ncurses returns ESC alone once ESCDELAY has passed without a sequence it
 * knows. If more input came with it, the ESC began a sequence ncurses does
 * not know (Alt+key, a key missing from terminfo): drop that input, so it
 * is neither read as Esc nor as letters. A key ncurses does decode behind
 * it is kept. Otherwise it is a lone Esc. */
static int escape_or_sequence(void)
{
    wint_t wch = 0;
    int r, dropped = 0;

    wtimeout(stdscr, 0);
    while ((r = wget_wch(stdscr, &wch)) == OK)
        dropped++;
    if (r == KEY_CODE_YES)
        return map_keycode(wch);
    return dropped ? TERM_KEY_NONE : TERM_KEY_ESC;
}

int term_getkey(int timeout_ms)
{
    if (g_screen == NULL)
        return TERM_KEY_EOF;
    for (;;) {
        int slice = timeout_ms < 0 || timeout_ms > WAIT_SLICE_MS ? WAIT_SLICE_MS
                                                                 : timeout_ms;
        long long t0 = now_ms();
        wint_t wch = 0;
        int r, key = TERM_KEY_NONE;

        wtimeout(stdscr, slice);
        r = wget_wch(stdscr, &wch);
        if (g_tstp) {
            term_suspend();
            return TERM_KEY_RESIZE;
        }
        if (g_cont) { /* stopped and continued by someone else */
            g_cont = 0;
            reset_prog_mode();
            clearok(curscr, TRUE);
            return TERM_KEY_RESIZE;
        }
        if (g_sig)
            return TERM_KEY_NONE;
        if (r == OK && wch == 27)
            key = escape_or_sequence();
        else if (r == KEY_CODE_YES)
            key = map_keycode(wch);
        else if (r == OK)
            key = map_char(wch);
        else if (input_closed(now_ms() - t0, slice))
            return TERM_KEY_EOF;
        if (key != TERM_KEY_NONE)
            return key;
        if (timeout_ms >= 0) { /* ERR = timeout, or an unmapped key */
            long long left = timeout_ms - (now_ms() - t0);
            if (left <= 0)
                return TERM_KEY_NONE;
            timeout_ms = (int)left;
        }
    }
}

/* ---- output -------------------------------------------------------------- */

static attr_t to_curses_attrs(unsigned a)
{
    attr_t r = WA_NORMAL;
    if (a & STYLE_ATTR_BOLD)
        r |= WA_BOLD;
    if (a & STYLE_ATTR_DIM)
        r |= WA_DIM;
    if (a & STYLE_ATTR_REVERSE)
        r |= WA_REVERSE;
    if (a & STYLE_ATTR_UNDERLINE)
        r |= WA_UNDERLINE;
    return r;
}

static void put_wc(int y, int x, wchar_t wc, attr_t attrs, short pair)
{
    wchar_t s[2] = {wc, L'\0'};
    cchar_t cc;

    setcchar(&cc, s, attrs, pair, NULL);
    mvwadd_wch(stdscr, y, x, &cc); /* ERR at the bottom-right cell is fine */
}

void term_draw(const Canvas *c, bool ascii)
{
    int sw, sh, w, h;

    if (g_screen == NULL)
        return;
    getmaxyx(stdscr, sh, sw);
    w = c->w < sw ? c->w : sw;
    h = c->h < sh ? c->h : sh;
    werase(stdscr); /* ncurses diffs at doupdate: no flicker */
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const CanvasCell *k = &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
            int role = k->style < STYLE_COUNT ? k->style : STYLE_NORMAL;
            const StyleSpec *s = style_spec(role);
            attr_t a = to_curses_attrs(g_color ? s->attrs_color : s->attrs_mono);
            short pair = g_color ? (short)(role + 1) : 0;
            wchar_t wc = (wchar_t)k->cp;
            int cw, tw;

            if (k->cp == 0) /* right half: drawn with its left half */
                continue;
            cw = canvas_cp_width(k->cp);
            if (cw == 2 && x + 1 >= sw) { /* right half off screen */
                put_wc(y, x, L' ', a, pair);
                continue;
            }
            /* Keep the canvas's column layout whatever the terminal's
             * wcwidth says: '?' per column when it differs. */
            tw = (ascii && k->cp > 0x7E) ? -1 : wcwidth(wc);
            if (tw == cw) {
                put_wc(y, x, wc, a, pair);
            } else if (tw == 1) {
                put_wc(y, x, wc, a, pair);
                put_wc(y, x + 1, L' ', a, pair);
            } else {
                for (int i = 0; i < cw; i++)
                    put_wc(y, x + i, L'?', a, pair);
            }
        }
    }
    wnoutrefresh(stdscr);
    doupdate();
}
