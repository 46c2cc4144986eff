// zlib for the simulator's SPDY/3.1 header blocks (kubectl port-forward). deflateInit and
// inflateInit are macros that pass zlib's version and struct size, which Swift cannot call.
#ifndef SMT_ZLIB_SHIM_H
#define SMT_ZLIB_SHIM_H
#include <zlib.h>

static inline int smt_deflate_init(z_stream *s, int level) { return deflateInit(s, level); }
static inline int smt_inflate_init(z_stream *s) { return inflateInit(s); }
#endif
