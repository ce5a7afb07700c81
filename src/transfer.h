/* One easy handle and what a transfer on it holds: the response buffers, filled by libcurl
 * callbacks that never call Lua, and what the request handed to curl.
 *
 * The steps of a transfer, shared by session:request and session:perform_many:
 *
 *   growatt_request_read    Lua arguments -> growatt_request (request.c; raises on misuse)
 *   growatt_transfer_open   make an easy handle with the options that never change
 *   growatt_request_apply   growatt_transfer_begin, then hand the request to the easy handle
 *                           (apply.c)
 *   (curl_easy_perform, or curl_multi_* until CURLMSG_DONE)
 *   growatt_transfer_push_result   finished handle + its buffers -> res | nil, err (result.c)
 *
 * Every C allocation a transfer makes is owned by its growatt_transfer, which lives inside a
 * GC'd userdata: a Lua error at any step leaves nothing unreachable, because the next
 * growatt_transfer_begin or growatt_transfer_free releases it. */
#ifndef GROWATT_TRANSFER_H
#define GROWATT_TRANSFER_H

#include <stddef.h>
#include <curl/curl.h>
#include "config.h"

/* Response headers are capped, so that a hostile server cannot grow memory without end. */
#define GROWATT_MAX_HEADER_BYTES (256 * 1024)

/* A byte buffer grown with malloc from libcurl callbacks, where Lua must not be called. */
typedef struct growatt_buf {
    char *data;
    size_t len, cap;
} growatt_buf;

/* Empties a buffer; a small one keeps its memory for the next response. */
void growatt_buf_reset(growatt_buf *b);
void growatt_buf_free(growatt_buf *b);

/* Why a callback stopped a transfer. */
enum { GROWATT_OK = 0, GROWATT_BODY_TOO_BIG, GROWATT_HEAD_TOO_BIG, GROWATT_NO_MEMORY };

typedef struct growatt_transfer {
    CURL *easy;
    struct curl_slist *headers; /* given to CURLOPT_HTTPHEADER */
    curl_mime *mime;            /* given to CURLOPT_MIMEPOST */
    growatt_buf body, head;     /* the response, filled by the callbacks */
    size_t max_body;
    int stopped;                /* GROWATT_*: why a callback aborted the transfer */
    int set_cookie;             /* the response had a Set-Cookie header */
    char errbuf[CURL_ERROR_SIZE];
} growatt_transfer;

/* Remembers the first failing setopt in rc; the others are still tried. */
#define GROWATT_SETOPT(rc, easy, opt, val)                                                  \
    do {                                                                                    \
        CURLcode setopt_rc_ = curl_easy_setopt((easy), (opt), (val));                       \
        if ((rc) == CURLE_OK)                                                               \
            (rc) = setopt_rc_;                                                              \
    } while (0)

/* Makes the easy handle, attaches the share when there is one and sets the options that
 * never change (callbacks, TLS verification, no redirects, cookie engine...); the handle is
 * kept in t even on failure. */
CURLcode growatt_transfer_open(growatt_transfer *t, CURLSH *share);

/* Idempotent. */
void growatt_transfer_free(growatt_transfer *t);

/* Starts a new transfer on an open handle: unsets every option a request may set, drops what
 * the last one held, resets the buffers and applies the settings (which configure may have
 * changed). Returns the first failing setopt's code. */
CURLcode growatt_transfer_begin(growatt_transfer *t, const growatt_config *c);

#endif
