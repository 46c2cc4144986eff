// glibc's heap statistics, which Swift's Glibc module does not export (it leaves out malloc.h).
#ifndef SMT_MALLOC_SHIM_H
#define SMT_MALLOC_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// glibc's `malloc_info` report (XML, every arena and a total over all of them) as a string
/// the caller frees; NULL where glibc is not the libc. Not `mallinfo2`: that one counts the
/// main arena only, and smitop's threads allocate in arenas of their own.
static inline char *smt_malloc_info(void) {
#if defined(__GLIBC__)
    char *buffer = NULL;
    size_t length = 0;
    FILE *f = open_memstream(&buffer, &length);
    if (f == NULL) return NULL;
    int failed = malloc_info(0, f);
    fclose(f);
    if (failed != 0) {
        free(buffer);
        return NULL;
    }
    return buffer;
#else
    return NULL;
#endif
}
#endif
