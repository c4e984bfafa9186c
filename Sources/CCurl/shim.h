// libcurl for backfill-sync's HTTP transport: the header, plus typed
// wrappers for curl_easy_setopt and curl_easy_getinfo, which are variadic
// and so cannot be called from Swift.
#ifndef BACKFILL_CCURL_SHIM_H
#define BACKFILL_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*bf_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode bf_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode bf_curl_set_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode bf_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode bf_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode bf_curl_set_write_callback(CURL *handle, CURLoption option, bf_curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
typedef int (*bf_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode bf_curl_set_progress_callback(CURL *handle, bf_curl_progress_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}
static inline long bf_curl_response_code(CURL *handle) {
    long code = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
    return code;
}
#endif
