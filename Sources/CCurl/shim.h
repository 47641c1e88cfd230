// libcurl for Swift: curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call,
// so each argument type gets a small typed inline wrapper here.
#ifndef SEALREC_CCURL_SHIM_H
#define SEALREC_CCURL_SHIM_H
#include <curl/curl.h>

static inline CURLcode sr_curl_set_long(CURL *h, CURLoption option, long value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode sr_curl_set_off(CURL *h, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode sr_curl_set_string(CURL *h, CURLoption option, const char *value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode sr_curl_set_pointer(CURL *h, CURLoption option, void *value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode sr_curl_set_headers(CURL *h, struct curl_slist *list) {
    return curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
}
/// Body source: the callback fills `buffer` and returns the byte count (0 = end, CURL_READFUNC_ABORT).
static inline CURLcode sr_curl_set_read(CURL *h, size_t (*callback)(char *, size_t, size_t, void *), void *context) {
    CURLcode r = curl_easy_setopt(h, CURLOPT_READFUNCTION, callback);
    return r != CURLE_OK ? r : curl_easy_setopt(h, CURLOPT_READDATA, context);
}
/// Response body sink: returns the byte count it took (anything else aborts the transfer).
static inline CURLcode sr_curl_set_write(CURL *h, size_t (*callback)(char *, size_t, size_t, void *), void *context) {
    CURLcode r = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, callback);
    return r != CURLE_OK ? r : curl_easy_setopt(h, CURLOPT_WRITEDATA, context);
}
/// Response header lines, one call per line.
static inline CURLcode sr_curl_set_header_sink(CURL *h, size_t (*callback)(char *, size_t, size_t, void *), void *context) {
    CURLcode r = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, callback);
    return r != CURLE_OK ? r : curl_easy_setopt(h, CURLOPT_HEADERDATA, context);
}
/// CURL_READFUNC_ABORT is a cast macro Swift cannot import.
static const size_t sr_curl_readfunc_abort = CURL_READFUNC_ABORT;

static inline long sr_curl_response_code(CURL *h) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}
#endif
