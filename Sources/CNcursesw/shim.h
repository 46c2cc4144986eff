// SwiftPM drops pkg-config's -D flags, so the wide-character API must be switched on here.
#ifndef SMT_NCURSES_SHIM_H
#define SMT_NCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#include <wchar.h>
#include <locale.h>
#include <curses.h>
#endif
