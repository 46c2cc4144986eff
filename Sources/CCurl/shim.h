// Typed wrappers for libcurl's variadic setters, which Swift cannot call. One per argument
// type libcurl reads (long, string, pointer, blob, callback, off_t): never pass an int.
#ifndef SMT_CURL_SHIM_H
#define SMT_CURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*smt_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*smt_xfer_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode smt_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode smt_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode smt_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode smt_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode smt_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode smt_easy_setopt_data_cb(CURL *h, CURLoption o, smt_data_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode smt_easy_setopt_xfer_cb(CURL *h, CURLoption o, smt_xfer_cb v) { return curl_easy_setopt(h, o, v); }

/// Copies the bytes (CURL_BLOB_COPY), so the caller's buffer need not outlive the call.
static inline CURLcode smt_easy_setopt_blob(CURL *h, CURLoption o, const void *data, size_t len) {
    struct curl_blob b;
    b.data = (void *)data;
    b.len = len;
    b.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(h, o, &b);
}

static inline CURLcode smt_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode smt_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode smt_easy_getinfo_str(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode smt_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode smt_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

static inline CURLcode smt_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }

/// CURL_GLOBAL_DEFAULT is a macro built from other macros, which Swift does not import.
static inline CURLcode smt_curl_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }
static inline unsigned int smt_curlu_default_port(void) { return CURLU_DEFAULT_PORT; }
static inline unsigned int smt_curlu_guess_scheme(void) { return CURLU_GUESS_SCHEME; }
static inline long smt_curlpipe_multiplex(void) { return CURLPIPE_MULTIPLEX; }
static inline long smt_curl_error_size(void) { return CURL_ERROR_SIZE; }
/// What a write callback returns to pause its transfer; libcurl hands the same bytes again
/// after `smt_easy_unpause`.
static inline size_t smt_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }
static inline CURLcode smt_easy_unpause(CURL *h) { return curl_easy_pause(h, CURLPAUSE_CONT); }

static inline long smt_curl_version_now(void) { return CURLVERSION_NOW; }
static inline const char *smt_curl_version_string(void) { return curl_version(); }
#endif
