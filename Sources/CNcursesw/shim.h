// SwiftPM drops pkg-config's -D flags, so the wide-character API must be switched on here.
#ifndef SMT_NCURSES_SHIM_H
#define SMT_NCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#include <wchar.h>
#include <locale.h>
#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

// Macros and globals Swift 6 cannot import (see /work/shared/interop.md), as functions.
static inline int smt_colors(void) { return COLORS; }
static inline int smt_color_pairs(void) { return COLOR_PAIRS; }
static inline int smt_lines(void) { return LINES; }
static inline int smt_cols(void) { return COLS; }
static inline attr_t smt_a_normal(void) { return A_NORMAL; }
static inline attr_t smt_a_bold(void) { return A_BOLD; }
static inline attr_t smt_a_underline(void) { return A_UNDERLINE; }
static inline attr_t smt_a_reverse(void) { return A_REVERSE; }
static inline attr_t smt_a_dim(void) { return A_DIM; }
static inline int smt_key_f(int n) { return KEY_F(n); }
static inline FILE *smt_stdout(void) { return stdout; }
static inline FILE *smt_stdin(void) { return stdin; }

static inline mmask_t smt_mouse_all(void) { return ALL_MOUSE_EVENTS; }
static inline mmask_t smt_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t smt_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t smt_button1_double_clicked(void) { return BUTTON1_DOUBLE_CLICKED; }
static inline mmask_t smt_button1_released(void) { return BUTTON1_RELEASED; }
static inline mmask_t smt_button3_pressed(void) { return BUTTON3_PRESSED | BUTTON3_CLICKED; }
static inline mmask_t smt_button4_pressed(void) { return BUTTON4_PRESSED; }
#if NCURSES_MOUSE_VERSION > 1
static inline mmask_t smt_button5_pressed(void) { return BUTTON5_PRESSED; }
#else
static inline mmask_t smt_button5_pressed(void) { return 0; }
#endif

/// One cell: up to 4 wide characters (base + marks), attributes and a colour pair.
static inline int smt_put_cell(WINDOW *w, int y, int x, const wchar_t *chars, attr_t attrs, short pair) {
    cchar_t cc;
    if (setcchar(&cc, chars, attrs, pair, NULL) == ERR) return ERR;
    return mvwadd_wch(w, y, x, &cc);
}

/// A pipe whose ends are non-blocking and close-on-exec (pipe2 needs _GNU_SOURCE).
static inline int smt_pipe_nonblocking(int fds[2]) {
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

// glibc only declares wcwidth under _XOPEN_SOURCE, which SwiftPM drops; the declaration is
// the standard one.
extern int wcwidth(wchar_t c);

/// Columns the C library (and so ncurses) gives a cell's characters; -1 if any is unprintable.
static inline int smt_cells_width(const wchar_t *chars) {
    int total = 0;
    for (; *chars; chars++) {
        int w = wcwidth(*chars);
        if (w < 0) return -1;
        total += w;
    }
    return total;
}

/// The terminal size from the kernel (what a SIGWINCH means), 0 when unknown.
static inline int smt_winsize(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

// ---------------------------------------------------------------------------------------
// Signals. All state lives in this one block and is only touched through these functions,
// which Swift calls from a single file (TerminalSignals.swift), so the static storage below is
// a single instance. Handlers only write one byte to a pipe (async-signal-safe), except the
// crash and "second termination signal" paths, which restore the terminal and re-raise: that
// path may not be async-signal-safe (endwin), but the process is dying anyway and a usable
// terminal matters more.

static volatile sig_atomic_t smt_sig_write_fd = -1;
static volatile sig_atomic_t smt_sig_terminations = 0;
static volatile sig_atomic_t smt_sig_curses_active = 0;

static inline void smt_restore_terminal_now(void) {
    if (smt_sig_curses_active) {
        smt_sig_curses_active = 0;
        endwin();
    }
    // endwin already did this on a normal terminal; repeat the essentials in case it failed:
    // leave the alternate screen, show the cursor, turn mouse reporting off.
    static const char reset[] = "\033[?1049l\033[?1000l\033[?1002l\033[?1006l\033[?25h\033[0m";
    ssize_t ignored = write(STDOUT_FILENO, reset, sizeof reset - 1);
    (void)ignored;
}

static inline void smt_reraise(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

static inline void smt_crash_handler(int sig) {
    smt_restore_terminal_now();
    smt_reraise(sig);
}

static inline void smt_notify_handler(int sig) {
    int saved = errno;
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
        // A second request while the first is still unhandled means the main loop is stuck:
        // restore and die with the signal instead of waiting forever.
        if (smt_sig_terminations++ > 0) {
            smt_restore_terminal_now();
            smt_reraise(sig);
        }
    }
    if (smt_sig_write_fd >= 0) {
        unsigned char b = (unsigned char)sig;
        ssize_t ignored = write(smt_sig_write_fd, &b, 1);
        (void)ignored;
    }
    errno = saved;
}

static inline int smt_sigaction(int sig, void (*handler)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    return sigaction(sig, &sa, NULL);
}

/// Install every handler; `write_fd` is the non-blocking write end of the signal pipe.
static inline int smt_signals_install(int write_fd) {
    smt_sig_write_fd = write_fd;
    smt_sig_terminations = 0;
    smt_sig_curses_active = 1;
    // A stack overflow's SIGSEGV can only be handled on a separate stack.
    static char altstack[65536];
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = altstack;
    ss.ss_size = sizeof altstack;
    sigaltstack(&ss, NULL);
    int rc = 0;
    const int crash[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
    for (unsigned i = 0; i < sizeof crash / sizeof crash[0]; i++)
        rc |= smt_sigaction(crash[i], smt_crash_handler, SA_ONSTACK | SA_RESETHAND | SA_NODEFER);
    const int notify[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP, SIGCONT};
    for (unsigned i = 0; i < sizeof notify / sizeof notify[0]; i++)
        rc |= smt_sigaction(notify[i], smt_notify_handler, SA_RESTART);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    rc |= sigaction(SIGPIPE, &ign, NULL);
    return rc;
}

/// The main loop handled a termination request (or chose to ignore it): arm the
/// "second signal kills" logic again.
static inline void smt_signals_termination_handled(void) { smt_sig_terminations = 0; }

static inline void smt_signals_set_curses_active(int active) { smt_sig_curses_active = active; }

/// Put back the default dispositions (after endwin on a normal exit).
static inline void smt_signals_uninstall(void) {
    const int all[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE,
                       SIGINT,  SIGTERM, SIGHUP, SIGWINCH, SIGTSTP, SIGCONT};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) smt_sigaction(all[i], SIG_DFL, 0);
    smt_sig_write_fd = -1;
    smt_sig_curses_active = 0;
}

/// Stop this process the way the shell's job control expects (our SIGTSTP handler only
/// queued a byte; the main loop has already called endwin).
static inline void smt_stop_self(void) {
    smt_sigaction(SIGTSTP, SIG_DFL, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTSTP);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    // raise(), not kill(0, ...): a signal sent to the process may be delivered to another
    // thread after kill() has returned, by which time the handler below is back and the stop
    // never happens (seen under load). A signal raised in this thread, unblocked here, takes
    // effect before raise() returns.
    raise(SIGTSTP);
    // Execution continues here after SIGCONT.
    smt_sigaction(SIGTSTP, smt_notify_handler, SA_RESTART);
}
#endif
