/* The Session userdata and the pieces of a transfer that a curl multi driver reuses:
 *
 *   growatt_request_read    Lua arguments -> growatt_request (raises on misuse, sends nothing)
 *   growatt_transfer_open   make an easy handle with the options that never change
 *   growatt_request_apply   unset the last request's options, apply the session's settings,
 *                           hand a growatt_request to that easy handle
 *   (curl_easy_perform, or curl_multi_* until CURLMSG_DONE)
 *   growatt_transfer_push_result   finished handle + its buffers -> res | nil, err
 *
 * Every C allocation a transfer makes is owned by its growatt_transfer, which lives inside a
 * GC'd userdata: a Lua error at any step leaves nothing unreachable, because the next
 * growatt_request_apply or growatt_transfer_free releases it. */
#ifndef GROWATT_SESSION_H
#define GROWATT_SESSION_H

#include <stddef.h>
#include <curl/curl.h>
#include "compat.h"

#define GROWATT_VERSION "0.1.0"
#define GROWATT_SESSION_MT "growatt.Session"
#define GROWATT_ERROR_MT "growatt.Error"

/* A byte buffer grown with malloc from libcurl callbacks, where Lua must not be called. */
typedef struct growatt_buf {
    char *data;
    size_t len, cap;
} growatt_buf;

/* Session-wide settings, applied to the easy handle before every request. NULL strings mean
 * the default (base_url "", the library's user agent, curl's CA bundle, no explicit proxy). */
typedef struct growatt_config {
    char *base_url, *user_agent, *ca_file, *proxy;
    long connect_timeout_ms, timeout_ms;
    long long max_body;
} growatt_config;

/* Why a write callback stopped a transfer. */
enum { GROWATT_OK = 0, GROWATT_BODY_TOO_BIG, GROWATT_HEAD_TOO_BIG, GROWATT_NO_MEMORY };

/* One easy handle and what a transfer on it holds. */
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

/* A request read from Lua: absolute stack indices of the values to send (0 = none). */
typedef struct growatt_request {
    const char *method;
    int url;          /* the full URL, query included */
    int body;         /* the form-encoded or raw body string */
    int multipart;    /* the validated multipart pair list */
    int headers;      /* a list of header lines for CURLOPT_HTTPHEADER */
    long timeout_ms;  /* < 0: the session's */
} growatt_request;

/* Easy handles for requests in parallel, with their multi handle (multi.c). */
typedef struct growatt_pool growatt_pool;

typedef struct growatt_session {
    growatt_config config;
    growatt_transfer xfer;
    /* Cookies, DNS cache, connections and TLS sessions, shared by xfer and the pool's
     * handles: a login made by request() is seen by perform_many() and back. */
    CURLSH *share;
    /* A handle that never makes a transfer, for reading and writing the shared cookie jar:
     * curl refuses cookies on a handle that took 50 from its last response. */
    CURL *jar;
    growatt_pool *pool;               /* NULL until the first perform_many */
    struct curl_slist *cookie_export; /* CURLINFO_COOKIELIST result while it is copied */
    unsigned long cookies_dropped;    /* cookies past the jar's caps, dropped */
    int closed;
} growatt_session;

/* Settings: defaults, update from the option table at the absolute index idx (validated as a
 * whole before any change, raises on misuse; with c NULL it only validates), release. */
void growatt_config_init(growatt_config *c);
void growatt_config_set(lua_State *L, growatt_config *c, int idx);
void growatt_config_free(growatt_config *c);

/* The easy handle's life: open (makes the handle, attaches the share when there is one and
 * sets the options that never change: callbacks, TLS verification, no redirects, cookie
 * engine...; the handle is kept in t even on failure), and free, which is idempotent. */
CURLcode growatt_transfer_open(growatt_transfer *t, CURLSH *share);
void growatt_transfer_free(growatt_transfer *t);

/* Reads method, url_or_path and opts from the stack at arg, arg+1, arg+2. Pushes the strings
 * the request needs and records their indices in *r; they must stay on the stack until
 * growatt_request_apply returns. */
void growatt_request_read(lua_State *L, const growatt_config *c, int arg, growatt_request *r);

/* Starts a new transfer of *r on an open handle: unsets what the previous request set, drops
 * what it held, applies the settings (which configure may have changed), then hands *r to the
 * easy handle. Raises when the request cannot be set up (out of memory). */
void growatt_request_apply(lua_State *L, growatt_transfer *t, const growatt_config *c,
                           const growatt_request *r);

/* Pushes the result of a finished transfer: res (returns 1) or nil, err (returns 2). */
int growatt_transfer_push_result(lua_State *L, growatt_transfer *t, CURLcode rc);

/* Pushes nil and an error table {kind, message, curl_code} (curl_code < 0: none); returns 2. */
int growatt_push_error(lua_State *L, const char *kind, const char *message, int curl_code);

/* The Session userdata at idx (raises if it is not one). */
growatt_session *growatt_check_session(lua_State *L, int idx);

/* Drops the cookies past the jar's caps (50 cookies, 16 KiB), counting them; after a
 * response that set cookies. */
void growatt_session_bound_jar(growatt_session *s);

/* session:perform_many(requests [, opts]) (multi.c) */
int growatt_l_perform_many(lua_State *L);

/* Releases the pool and its handles; idempotent (multi.c). */
void growatt_pool_free(growatt_pool *pool);

/* Creates the Session and Error metatables in this Lua state. */
void growatt_session_register(lua_State *L);

/* core.session(opts) -> Session */
int growatt_l_session(lua_State *L);

#endif
