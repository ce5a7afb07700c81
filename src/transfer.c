/* One easy handle and its transfer (transfer.h). Lua is never called from a libcurl
 * callback: the callbacks only fill malloc'd buffers, and Lua values are built after the
 * transfer has finished (result.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "text.h"
#include "transfer.h"

/* A body buffer up to this size is kept for the next request instead of being freed. */
#define KEEP_BUFFER_BYTES (64 * 1024)

/* ---------------------------------------------------------------- buffers */

/* Appends n bytes, growing by doubling but never past limit (the cap already checked). */
static int buf_append(growatt_buf *b, const char *data, size_t n, size_t limit)
{
    if (n == 0)
        return 0;
    if (n > b->cap - b->len) {
        size_t need = b->len + n;
        size_t cap = b->cap ? b->cap : 16384;
        char *p;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > limit && limit >= need)
            cap = limit;
        p = realloc(b->data, cap);
        if (p == NULL)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return 0;
}

void growatt_buf_reset(growatt_buf *b)
{
    if (b->cap > KEEP_BUFFER_BYTES) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
    b->len = 0;
}

void growatt_buf_free(growatt_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- libcurl callbacks */

/* Body bytes. Enforces max_body while receiving: the transfer stops at the first byte
 * past the cap, so memory stays bounded whatever the server sends. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    growatt_transfer *t = userdata;
    size_t n = size * nmemb;
    if (n > t->max_body - t->body.len) {
        t->stopped = GROWATT_BODY_TOO_BIG;
        return 0;
    }
    if (buf_append(&t->body, data, n, t->max_body) != 0) {
        t->stopped = GROWATT_NO_MEMORY;
        return 0;
    }
    return n;
}

/* Header lines, one per call. A status line starts a new response (after a 1xx or a proxy's
 * CONNECT reply), so only the final response's headers are kept. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    growatt_transfer *t = userdata;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        t->head.len = 0;
    if (growatt_starts_with_nocase(data, n, "set-cookie:"))
        t->set_cookie = 1;
    if (n > GROWATT_MAX_HEADER_BYTES - t->head.len) {
        t->stopped = GROWATT_HEAD_TOO_BIG;
        return 0;
    }
    if (buf_append(&t->head, data, n, GROWATT_MAX_HEADER_BYTES) != 0) {
        t->stopped = GROWATT_NO_MEMORY;
        return 0;
    }
    return n;
}

/* ---------------------------------------------------------------- the handle */

CURLcode growatt_transfer_open(growatt_transfer *t, CURLSH *share)
{
    CURLcode rc = CURLE_OK;
    CURL *e = t->easy = curl_easy_init();

    if (e == NULL)
        return CURLE_FAILED_INIT;
    /* First, so that the handle never has a cookie jar of its own. */
    if (share != NULL)
        GROWATT_SETOPT(rc, e, CURLOPT_SHARE, share);
    GROWATT_SETOPT(rc, e, CURLOPT_ERRORBUFFER, t->errbuf);
    GROWATT_SETOPT(rc, e, CURLOPT_WRITEFUNCTION, on_body);
    GROWATT_SETOPT(rc, e, CURLOPT_WRITEDATA, (void *)t);
    GROWATT_SETOPT(rc, e, CURLOPT_HEADERFUNCTION, on_header);
    GROWATT_SETOPT(rc, e, CURLOPT_HEADERDATA, (void *)t);
    GROWATT_SETOPT(rc, e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    GROWATT_SETOPT(rc, e, CURLOPT_PROTOCOLS_STR, "http,https");
    GROWATT_SETOPT(rc, e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    GROWATT_SETOPT(rc, e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    GROWATT_SETOPT(rc, e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* TLS verification has no off switch: a private CA goes in through ca_file. */
    GROWATT_SETOPT(rc, e, CURLOPT_SSL_VERIFYPEER, 1L);
    GROWATT_SETOPT(rc, e, CURLOPT_SSL_VERIFYHOST, 2L);
    GROWATT_SETOPT(rc, e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    /* A redirect is a signal to the Lua layer (e.g. session expiry), not something to follow. */
    GROWATT_SETOPT(rc, e, CURLOPT_FOLLOWLOCATION, 0L);
    GROWATT_SETOPT(rc, e, CURLOPT_ACCEPT_ENCODING, "");
    GROWATT_SETOPT(rc, e, CURLOPT_TCP_KEEPALIVE, 1L);
    /* "" turns the in-memory cookie engine on without reading a file. Set once: curl 7.88's
     * curl_easy_reset leaks this list, which is why begin does not use it. */
    GROWATT_SETOPT(rc, e, CURLOPT_COOKIEFILE, "");
    return rc;
}

/* Drops what the last request handed to curl. Only safe once the handle no longer points at
 * them (after growatt_transfer_begin has unset them, or curl_easy_cleanup). */
static void transfer_drop_request(growatt_transfer *t)
{
    curl_slist_free_all(t->headers);
    t->headers = NULL;
    curl_mime_free(t->mime);
    t->mime = NULL;
}

void growatt_transfer_free(growatt_transfer *t)
{
    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    t->easy = NULL;
    transfer_drop_request(t);
    growatt_buf_free(&t->body);
    growatt_buf_free(&t->head);
}

CURLcode growatt_transfer_begin(growatt_transfer *t, const growatt_config *c)
{
    CURL *e = t->easy;
    CURLcode rc = CURLE_OK;

    /* Unset every option growatt_request_apply may set, so that no method, body or header
     * of the previous request leaks into this one; HTTPGET last, as the others switch the
     * method to POST. */
    GROWATT_SETOPT(rc, e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    GROWATT_SETOPT(rc, e, CURLOPT_NOBODY, 0L);
    GROWATT_SETOPT(rc, e, CURLOPT_MIMEPOST, (curl_mime *)NULL);
    GROWATT_SETOPT(rc, e, CURLOPT_POSTFIELDS, (char *)NULL);
    GROWATT_SETOPT(rc, e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    GROWATT_SETOPT(rc, e, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    GROWATT_SETOPT(rc, e, CURLOPT_HTTPGET, 1L);
    transfer_drop_request(t);

    growatt_buf_reset(&t->body);
    growatt_buf_reset(&t->head);
    t->stopped = GROWATT_OK;
    t->set_cookie = 0;
    t->errbuf[0] = '\0';
    t->max_body = (unsigned long long)c->max_body > SIZE_MAX ? SIZE_MAX : (size_t)c->max_body;

    GROWATT_SETOPT(rc, e, CURLOPT_USERAGENT,
                   c->user_agent != NULL ? c->user_agent : GROWATT_DEFAULT_USER_AGENT);
    GROWATT_SETOPT(rc, e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    GROWATT_SETOPT(rc, e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    if (c->ca_file != NULL)
        GROWATT_SETOPT(rc, e, CURLOPT_CAINFO, c->ca_file);
    if (c->proxy != NULL)
        GROWATT_SETOPT(rc, e, CURLOPT_PROXY, c->proxy);
    /* Refuses a too large Content-Length before any byte. 0 means "no limit" to curl, so a
     * zero cap is left to on_body alone. */
    GROWATT_SETOPT(rc, e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    return rc;
}
