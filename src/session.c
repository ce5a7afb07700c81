/* The Session: one reused libcurl easy handle (keep-alive, TLS session reuse, in-memory
 * cookie engine) and the request/response cycle on it. See session.h for the steps a
 * multi driver shares. Lua is never called from a libcurl callback: the callbacks only fill
 * malloc'd buffers, and Lua values are built after the transfer has finished. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>
#include "session.h"
#include "encode.h"

#define DEFAULT_USER_AGENT "lua-growatt/" GROWATT_VERSION
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY 8388608LL
/* Response headers are capped too, so that a hostile server cannot grow memory without end. */
#define MAX_HEADER_BYTES (256 * 1024)
/* The cookie jar is capped too: a server that sets new cookies on every reply would grow it,
 * and the state file it is saved to, without end. What is past the caps is dropped. */
#define MAX_COOKIES 50
#define MAX_COOKIE_BYTES (16 * 1024)
/* A body buffer up to this size is kept for the next request instead of being freed. */
#define KEEP_BUFFER_BYTES (64 * 1024)

/* ---------------------------------------------------------------- small helpers */

static char *dup_string(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int same_name(const char *a, size_t alen, const char *b)
{
    size_t i;
    if (alen != strlen(b))
        return 0;
    for (i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int starts_with_nocase(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && same_name(s, n, prefix);
}

/* RFC 9110 token characters: what a method or a header name may contain. */
static int is_token(const char *s, size_t len)
{
    size_t i;
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL)))
            return 0;
    }
    return 1;
}

/* A header value may hold no control byte but a tab (RFC 9110 field-value): CR, LF or NUL
 * would split or cut the header, and curl takes a value of other white space (form feed,
 * vertical tab) as blank and drops the header. */
static int is_header_safe(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* Seconds (a Lua number) to whole milliseconds, rounded up so that a tiny positive timeout
 * does not become curl's 0 = "no timeout". */
static long seconds_to_ms(lua_State *L, int idx, const char *what)
{
    double ms;
    long out;
    if (lua_type(L, idx) != LUA_TNUMBER)
        luaL_error(L, "%s must be a number of seconds, got %s", what, luaL_typename(L, idx));
    ms = (double)lua_tonumber(L, idx) * 1000.0;
    if (!(ms >= 0))
        luaL_error(L, "%s must be a non-negative number of seconds", what);
    if (ms >= (double)LONG_MAX)
        return LONG_MAX;
    out = (long)ms;
    return (double)out < ms ? out + 1 : out;
}

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

/* Empties a buffer; a small one keeps its memory for the next response. */
static void buf_reset(growatt_buf *b)
{
    if (b->cap > KEEP_BUFFER_BYTES) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
    b->len = 0;
}

static void buf_free(growatt_buf *b)
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
    if (starts_with_nocase(data, n, "set-cookie:"))
        t->set_cookie = 1;
    if (n > MAX_HEADER_BYTES - t->head.len) {
        t->stopped = GROWATT_HEAD_TOO_BIG;
        return 0;
    }
    if (buf_append(&t->head, data, n, MAX_HEADER_BYTES) != 0) {
        t->stopped = GROWATT_NO_MEMORY;
        return 0;
    }
    return n;
}

/* ---------------------------------------------------------------- settings */

enum { OPT_STRING, OPT_SECONDS, OPT_SIZE };

static const struct {
    const char *name;
    int type;
} session_options[] = {
    {"base_url", OPT_STRING},   {"user_agent", OPT_STRING}, {"connect_timeout", OPT_SECONDS},
    {"timeout", OPT_SECONDS},   {"ca_file", OPT_STRING},    {"proxy", OPT_STRING},
    {"max_body", OPT_SIZE},     {NULL, 0},
};

void growatt_config_init(growatt_config *c)
{
    memset(c, 0, sizeof *c);
    c->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    c->max_body = DEFAULT_MAX_BODY;
}

void growatt_config_free(growatt_config *c)
{
    free(c->base_url);
    free(c->user_agent);
    free(c->ca_file);
    free(c->proxy);
    c->base_url = c->user_agent = c->ca_file = c->proxy = NULL;
}

static char **config_string(growatt_config *c, const char *name)
{
    if (strcmp(name, "base_url") == 0)
        return &c->base_url;
    if (strcmp(name, "user_agent") == 0)
        return &c->user_agent;
    if (strcmp(name, "ca_file") == 0)
        return &c->ca_file;
    return &c->proxy;
}

/* Checks the option whose key and value are at -2 and -1; stores it if apply is set. */
static void config_option(lua_State *L, growatt_config *c, int apply)
{
    const char *key;
    int i;
    if (lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "session options must have string keys, got a %s key",
                   luaL_typename(L, -2));
    key = lua_tostring(L, -2);
    for (i = 0; session_options[i].name != NULL; i++)
        if (strcmp(key, session_options[i].name) == 0)
            break;
    if (session_options[i].name == NULL)
        luaL_error(L, "unknown session option '%s'", key);

    if (session_options[i].type == OPT_STRING) {
        size_t len;
        const char *s;
        char *copy, **slot;
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "session option '%s' must be a string, got %s", key,
                       luaL_typename(L, -1));
        s = lua_tolstring(L, -1, &len);
        if (strlen(s) != len)
            luaL_error(L, "session option '%s' must not contain NUL bytes", key);
        if (strcmp(key, "user_agent") == 0 && !is_header_safe(s, len))
            luaL_error(L, "session option 'user_agent' must not contain control characters");
        if (!apply)
            return;
        if ((copy = dup_string(s, len)) == NULL)
            luaL_error(L, "not enough memory");
        slot = config_string(c, key);
        free(*slot);
        *slot = copy;
    } else if (session_options[i].type == OPT_SECONDS) {
        const char *what = lua_pushfstring(L, "session option '%s'", key);
        long ms = seconds_to_ms(L, -2, what);
        lua_pop(L, 1);
        if (apply)
            *(strcmp(key, "timeout") == 0 ? &c->timeout_ms : &c->connect_timeout_ms) = ms;
    } else {
        long long n = 0;
        if (!growatt_tointegral(L, -1, &n) || n < 0)
            luaL_error(L, "session option '%s' must be a non-negative integer, got %s", key,
                       lua_type(L, -1) == LUA_TNUMBER ? "a fraction or negative number"
                                                      : luaL_typename(L, -1));
        if (apply)
            c->max_body = n;
    }
}

/* Two walks over the table: the first only validates, so that a bad option changes nothing.
 * With c NULL, only validates. */
void growatt_config_set(lua_State *L, growatt_config *c, int idx)
{
    int apply, walks = c != NULL ? 2 : 1;
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    for (apply = 0; apply < walks; apply++) {
        lua_pushnil(L);
        while (lua_next(L, idx) != 0) {
            config_option(L, c, apply);
            lua_pop(L, 1);
        }
    }
}

/* ---------------------------------------------------------------- transfers */

/* Remembers the first failing setopt; the others are still tried. */
#define SETOPT(rc, easy, opt, val)                                                          \
    do {                                                                                    \
        CURLcode setopt_rc_ = curl_easy_setopt((easy), (opt), (val));                       \
        if ((rc) == CURLE_OK)                                                               \
            (rc) = setopt_rc_;                                                              \
    } while (0)

/* The options that never change for a handle. */
CURLcode growatt_transfer_open(growatt_transfer *t, CURLSH *share)
{
    CURLcode rc = CURLE_OK;
    CURL *e = t->easy = curl_easy_init();

    if (e == NULL)
        return CURLE_FAILED_INIT;
    /* First, so that the handle never has a cookie jar of its own. */
    if (share != NULL)
        SETOPT(rc, e, CURLOPT_SHARE, share);
    SETOPT(rc, e, CURLOPT_ERRORBUFFER, t->errbuf);
    SETOPT(rc, e, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(rc, e, CURLOPT_WRITEDATA, (void *)t);
    SETOPT(rc, e, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(rc, e, CURLOPT_HEADERDATA, (void *)t);
    SETOPT(rc, e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(rc, e, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(rc, e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SETOPT(rc, e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SETOPT(rc, e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* TLS verification has no off switch: a private CA goes in through ca_file. */
    SETOPT(rc, e, CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(rc, e, CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(rc, e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    /* A redirect is a signal to the Lua layer (e.g. session expiry), not something to follow. */
    SETOPT(rc, e, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(rc, e, CURLOPT_ACCEPT_ENCODING, "");
    SETOPT(rc, e, CURLOPT_TCP_KEEPALIVE, 1L);
    /* "" turns the in-memory cookie engine on without reading a file. Set once: curl 7.88's
     * curl_easy_reset leaks this list, which is why begin does not use it. */
    SETOPT(rc, e, CURLOPT_COOKIEFILE, "");
    return rc;
}

/* Drops what the last request handed to curl. Only safe once the handle no longer points at
 * them (after transfer_begin has unset them, or curl_easy_cleanup). */
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
    buf_free(&t->body);
    buf_free(&t->head);
}

/* Starts a new transfer on an open handle: unsets what the previous request set, drops what
 * it held, and applies the settings (which configure may have changed). */
static CURLcode transfer_begin(growatt_transfer *t, const growatt_config *c)
{
    CURL *e = t->easy;
    CURLcode rc = CURLE_OK;

    /* Unset every option growatt_request_apply may set, so that no method, body or header
     * of the previous request leaks into this one; HTTPGET last, as the others switch the
     * method to POST. */
    SETOPT(rc, e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    SETOPT(rc, e, CURLOPT_NOBODY, 0L);
    SETOPT(rc, e, CURLOPT_MIMEPOST, (curl_mime *)NULL);
    SETOPT(rc, e, CURLOPT_POSTFIELDS, (char *)NULL);
    SETOPT(rc, e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    SETOPT(rc, e, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    SETOPT(rc, e, CURLOPT_HTTPGET, 1L);
    transfer_drop_request(t);

    buf_reset(&t->body);
    buf_reset(&t->head);
    t->stopped = GROWATT_OK;
    t->set_cookie = 0;
    t->errbuf[0] = '\0';
    t->max_body = (unsigned long long)c->max_body > SIZE_MAX ? SIZE_MAX : (size_t)c->max_body;

    SETOPT(rc, e, CURLOPT_USERAGENT, c->user_agent != NULL ? c->user_agent : DEFAULT_USER_AGENT);
    SETOPT(rc, e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    SETOPT(rc, e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    if (c->ca_file != NULL)
        SETOPT(rc, e, CURLOPT_CAINFO, c->ca_file);
    if (c->proxy != NULL)
        SETOPT(rc, e, CURLOPT_PROXY, c->proxy);
    /* Refuses a too large Content-Length before any byte. 0 means "no limit" to curl, so a
     * zero cap is left to on_body alone. */
    SETOPT(rc, e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    return rc;
}

/* ---------------------------------------------------------------- reading a request */

static const char *const request_keys[] = {
    "query", "form", "multipart", "body", "content_type", "headers", "timeout", NULL,
};

static void check_request_keys(lua_State *L, int opts)
{
    lua_pushnil(L);
    while (lua_next(L, opts) != 0) {
        int i;
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "request options must have string keys, got a %s key",
                       luaL_typename(L, -2));
        for (i = 0; request_keys[i] != NULL; i++)
            if (strcmp(lua_tostring(L, -2), request_keys[i]) == 0)
                break;
        if (request_keys[i] == NULL)
            luaL_error(L, "unknown request option '%s'", lua_tostring(L, -2));
        lua_pop(L, 1);
    }
}

/* Pushes opts[key] (nil when there are no opts) and returns its absolute index, or 0 (with
 * nothing pushed) when it is nil. */
static int get_option(lua_State *L, int opts, const char *key)
{
    if (opts == 0)
        return 0;
    lua_getfield(L, opts, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    return lua_gettop(L);
}

static int is_absolute_url(const char *s, size_t len)
{
    return starts_with_nocase(s, len, "http://") || starts_with_nocase(s, len, "https://");
}

/* Pushes the URL: absolute as given, else base_url .. path; then "?" or "&" and the query. */
static int push_url(lua_State *L, const growatt_config *c, int path, int opts)
{
    size_t len;
    const char *s = lua_tolstring(L, path, &len);
    int query;

    if (is_absolute_url(s, len)) {
        lua_pushvalue(L, path);
    } else {
        lua_pushstring(L, c->base_url != NULL ? c->base_url : "");
        lua_pushvalue(L, path);
        lua_concat(L, 2);
    }
    if ((query = get_option(L, opts, "query")) != 0) {
        growatt_push_encoded(L, query, "query");
        lua_remove(L, query);
        if (lua_rawlen(L, -1) > 0) {
            /* The query goes before a fragment ("a#f" -> "a?q#f"): after it, curl would
             * drop it with the fragment, which is never sent. */
            const char *hash;
            size_t cut;
            s = lua_tolstring(L, -2, &len);
            hash = memchr(s, '#', len);
            cut = hash != NULL ? (size_t)(hash - s) : len;
            lua_pushlstring(L, s, cut);
            lua_pushstring(L, memchr(s, '?', cut) != NULL ? "&" : "?");
            lua_pushvalue(L, -3);
            lua_pushlstring(L, s + cut, len - cut);
            lua_concat(L, 4);
            lua_replace(L, -3);
        }
        lua_pop(L, 1);
    }
    s = lua_tolstring(L, -1, &len);
    if (strlen(s) != len)
        luaL_error(L, "url must not contain NUL bytes");
    return lua_gettop(L);
}

/* Appends the header line "name: value" (or "name;", curl's way of sending an empty value:
 * "name:" alone would remove the header) to the list at lines. */
static void add_header(lua_State *L, int lines, const char *name, size_t nlen,
                       const growatt_text *value)
{
    size_t i = 0;
    if (!is_token(name, nlen))
        luaL_error(L, "header name '%s' is not a valid HTTP token", name);
    if (!is_header_safe(value->s, value->len))
        luaL_error(L, "header '%s': value must not contain control characters", name);
    while (i < value->len && (value->s[i] == ' ' || value->s[i] == '\t'))
        i++;
    lua_pushlstring(L, name, nlen);
    if (i == value->len) {
        lua_pushliteral(L, ";");
        lua_concat(L, 2);
    } else {
        lua_pushliteral(L, ": ");
        lua_pushlstring(L, value->s, value->len);
        lua_concat(L, 3);
    }
    lua_rawseti(L, lines, (int)lua_rawlen(L, lines) + 1);
}

/* Turns the headers option (a list of {name, value} pairs and/or a name -> value map) into
 * header lines. Returns 1 if the caller set a Content-Type. */
static int read_headers(lua_State *L, int headers, int lines)
{
    size_t i, n;
    int has_content_type = 0;
    growatt_text name, value;

    n = growatt_pair_count(L, headers, "headers");
    for (i = 1; i <= n; i++) {
        growatt_pair_at(L, headers, i, "headers", &name, &value);
        has_content_type |= same_name(name.s, name.len, "content-type");
        add_header(L, lines, name.s, name.len, &value);
        lua_pop(L, 2);
    }
    lua_pushnil(L);
    while (lua_next(L, headers) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            name.s = lua_tolstring(L, -2, &name.len);
            if (!growatt_text_of(L, -1, &value))
                luaL_error(L, "header '%s': value must be a string or number, got %s", name.s,
                           luaL_typename(L, -1));
            has_content_type |= same_name(name.s, name.len, "content-type");
            add_header(L, lines, name.s, name.len, &value);
        } else {
            long long k;
            if (!growatt_tointegral(L, -2, &k) || k < 1 || (size_t)k > n)
                luaL_error(L, "headers: keys must be header names or list indexes, got %s",
                           luaL_typename(L, -2));
        }
        lua_pop(L, 1);
    }
    return has_content_type;
}

static void read_method(lua_State *L, int arg, growatt_request *r)
{
    size_t len;
    luaL_checktype(L, arg, LUA_TSTRING); /* not luaL_checklstring: a number is no method */
    r->method = lua_tolstring(L, arg, &len);
    if (!is_token(r->method, len))
        luaL_argerror(L, arg, "HTTP method expected");
}

/* Reads the body options; returns the Content-Type line the body needs, or NULL. */
static const char *read_body(lua_State *L, int opts, growatt_request *r)
{
    int form = get_option(L, opts, "form");
    int multipart = get_option(L, opts, "multipart");
    int body = get_option(L, opts, "body");
    int content_type = get_option(L, opts, "content_type");
    size_t i, n;

    if ((form != 0) + (multipart != 0) + (body != 0) > 1)
        luaL_error(L, "request options form, multipart and body exclude each other");
    if (content_type != 0) {
        size_t len;
        const char *s;
        if (body == 0)
            luaL_error(L, "request option content_type goes with body");
        if (lua_type(L, content_type) != LUA_TSTRING)
            luaL_error(L, "request option content_type must be a string, got %s",
                       luaL_typename(L, content_type));
        s = lua_tolstring(L, content_type, &len);
        if (!is_header_safe(s, len))
            luaL_error(L, "request option content_type must not contain control characters");
    }
    if (form != 0) {
        /* An empty form sends no body at all, as the reference does for an empty dict. */
        growatt_push_encoded(L, form, "form");
        r->body = lua_rawlen(L, -1) > 0 ? lua_gettop(L) : 0;
    } else if (body != 0) {
        if (lua_type(L, body) != LUA_TSTRING)
            luaL_error(L, "request option body must be a string, got %s",
                       luaL_typename(L, body));
        r->body = body;
    } else if (multipart != 0) {
        growatt_text name, value;
        n = growatt_pair_count(L, multipart, "multipart");
        for (i = 1; i <= n; i++) {
            growatt_pair_at(L, multipart, i, "multipart", &name, &value);
            if (strlen(name.s) != name.len)
                luaL_error(L, "multipart pair %d: name must not contain NUL bytes", (int)i);
            lua_pop(L, 2);
        }
        r->multipart = n > 0 ? multipart : 0; /* like an empty form: no body */
    }
    if (body != 0)
        return content_type != 0 ? lua_tostring(L, content_type) : "application/octet-stream";
    /* A bodiless POST goes out like the reference's: Content-Length: 0 and no Content-Type
     * (curl would otherwise add its form Content-Type). */
    if (r->body == 0 && r->multipart == 0 && strcmp(r->method, "POST") == 0)
        return "";
    return NULL;
}

void growatt_request_read(lua_State *L, const growatt_config *c, int arg, growatt_request *r)
{
    int opts = 0, headers;
    const char *content_type;

    memset(r, 0, sizeof *r);
    r->timeout_ms = -1;
    read_method(L, arg, r);
    luaL_checktype(L, arg + 1, LUA_TSTRING);
    if (!lua_isnoneornil(L, arg + 2)) {
        luaL_checktype(L, arg + 2, LUA_TTABLE);
        opts = arg + 2;
        check_request_keys(L, opts);
    }
    luaL_checkstack(L, 20, "request");

    r->url = push_url(L, c, arg + 1, opts);
    content_type = read_body(L, opts, r);
    if (strcmp(r->method, "HEAD") == 0 && (r->body != 0 || r->multipart != 0))
        luaL_error(L, "a HEAD request cannot have a body");

    lua_newtable(L);
    r->headers = lua_gettop(L);
    headers = get_option(L, opts, "headers");
    if (headers != 0 && lua_type(L, headers) != LUA_TTABLE)
        luaL_error(L, "request option headers must be a table, got %s",
                   luaL_typename(L, headers));
    if ((headers == 0 || !read_headers(L, headers, r->headers)) && content_type != NULL) {
        lua_pushfstring(L, "Content-Type:%s%s", *content_type ? " " : "", content_type);
        lua_rawseti(L, r->headers, (int)lua_rawlen(L, r->headers) + 1);
    }
    /* No "Expect: 100-continue" round trip before larger bodies. */
    lua_pushliteral(L, "Expect:");
    lua_rawseti(L, r->headers, (int)lua_rawlen(L, r->headers) + 1);

    if (opts != 0) {
        lua_getfield(L, opts, "timeout");
        if (!lua_isnil(L, -1))
            r->timeout_ms = seconds_to_ms(L, -1, "request option timeout");
        lua_pop(L, 1);
    }
}

/* ---------------------------------------------------------------- applying a request */

static void check_memory(lua_State *L, int ok)
{
    if (!ok)
        luaL_error(L, "not enough memory");
}

static void apply_multipart(lua_State *L, growatt_transfer *t, int list, CURLcode *rc)
{
    size_t i, n = (size_t)lua_rawlen(L, list);
    growatt_text name, value;

    check_memory(L, (t->mime = curl_mime_init(t->easy)) != NULL);
    for (i = 1; i <= n; i++) {
        curl_mimepart *part = curl_mime_addpart(t->mime);
        check_memory(L, part != NULL);
        growatt_pair_at(L, list, i, "multipart", &name, &value);
        check_memory(L, curl_mime_name(part, name.s) == CURLE_OK &&
                            curl_mime_data(part, value.s, value.len) == CURLE_OK);
        lua_pop(L, 2);
    }
    SETOPT(*rc, t->easy, CURLOPT_MIMEPOST, t->mime);
}

void growatt_request_apply(lua_State *L, growatt_transfer *t, const growatt_config *c,
                           const growatt_request *r)
{
    CURL *e = t->easy;
    CURLcode rc = transfer_begin(t, c);
    int is_post = strcmp(r->method, "POST") == 0;
    size_t i, n;

    SETOPT(rc, e, CURLOPT_URL, lua_tostring(L, r->url));
    if (r->body != 0) {
        size_t len;
        const char *body = lua_tolstring(L, r->body, &len);
        SETOPT(rc, e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        SETOPT(rc, e, CURLOPT_COPYPOSTFIELDS, body);
    } else if (r->multipart != 0) {
        apply_multipart(L, t, r->multipart, &rc);
    } else if (is_post) {
        SETOPT(rc, e, CURLOPT_POSTFIELDSIZE, 0L);
        SETOPT(rc, e, CURLOPT_POSTFIELDS, "");
    } else if (strcmp(r->method, "GET") == 0) {
        SETOPT(rc, e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(r->method, "HEAD") == 0) {
        SETOPT(rc, e, CURLOPT_NOBODY, 1L);
    }
    /* Any other method, or a body with a method other than POST: curl's POST machinery
     * with the verb replaced. */
    if (!is_post && strcmp(r->method, "HEAD") != 0 &&
        (strcmp(r->method, "GET") != 0 || r->body != 0 || r->multipart != 0))
        SETOPT(rc, e, CURLOPT_CUSTOMREQUEST, r->method);

    n = (size_t)lua_rawlen(L, r->headers);
    for (i = 1; i <= n; i++) {
        struct curl_slist *list;
        lua_rawgeti(L, r->headers, (int)i);
        list = curl_slist_append(t->headers, lua_tostring(L, -1));
        lua_pop(L, 1);
        check_memory(L, list != NULL);
        t->headers = list;
    }
    SETOPT(rc, e, CURLOPT_HTTPHEADER, t->headers);
    if (r->timeout_ms >= 0)
        SETOPT(rc, e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    if (rc != CURLE_OK)
        luaL_error(L, "cannot set up the request: %s", curl_easy_strerror(rc));
}

/* ---------------------------------------------------------------- results and errors */

int growatt_push_error(lua_State *L, const char *kind, const char *message, int curl_code)
{
    lua_pushnil(L);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    if (curl_code >= 0) {
        lua_pushinteger(L, curl_code);
        lua_setfield(L, -2, "curl_code");
    }
    luaL_setmetatable(L, GROWATT_ERROR_MT);
    return 2;
}

static const char *error_kind(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
    case CURLE_SSL_CLIENTCERT:
#endif
        return "tls";
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return "protocol";
    default:
        /* resolve and connect failures, resets, empty replies, proxies, and anything else */
        return "network";
    }
}

/* Whether the head kept so far ends with its blank line. */
static int head_ended(const growatt_buf *head)
{
    return (head->len >= 3 && memcmp(head->data + head->len - 3, "\n\r\n", 3) == 0) ||
           (head->len >= 2 && memcmp(head->data + head->len - 2, "\n\n", 2) == 0);
}

/* Whether curl gave up inside the response head because a line of it was too long: curl 7.x
 * refuses a header line past 100 KiB as "out of memory" (8.6 has a code of its own for it),
 * before the head has ended. */
static int head_cut(CURLcode rc, const growatt_buf *head)
{
#if LIBCURL_VERSION_NUM >= 0x080600
    if (rc == CURLE_TOO_LARGE)
        return 1;
#endif
    return rc == CURLE_OUT_OF_MEMORY && !head_ended(head);
}

/* Pushes nil, err for a failed transfer. The message comes from curl's error buffer or our
 * own words, never from request or response data, so it cannot carry a secret. */
static int push_transfer_error(lua_State *L, growatt_transfer *t, CURLcode rc)
{
    char msg[CURL_ERROR_SIZE + 64];
    const char *kind = error_kind(rc);

    if (t->stopped == GROWATT_NO_MEMORY) {
        buf_free(&t->body);
        buf_free(&t->head);
        return luaL_error(L, "not enough memory for the response");
    }
    if (t->stopped == GROWATT_BODY_TOO_BIG || rc == CURLE_FILESIZE_EXCEEDED) {
        kind = "protocol";
        snprintf(msg, sizeof msg, "response body exceeds %lu bytes", (unsigned long)t->max_body);
    } else if (t->stopped == GROWATT_HEAD_TOO_BIG) {
        kind = "protocol";
        snprintf(msg, sizeof msg, "response headers exceed %d bytes", MAX_HEADER_BYTES);
    } else if (head_cut(rc, &t->head)) {
        kind = "protocol";
        snprintf(msg, sizeof msg, "a response header line is too long");
    } else if (rc == CURLE_PARTIAL_FILE) {
        snprintf(msg, sizeof msg, "truncated response body");
    } else {
        snprintf(msg, sizeof msg, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
    }
    buf_reset(&t->body);
    buf_reset(&t->head);
    return growatt_push_error(L, kind, msg, (int)rc);
}

/* Sets headers[name] = value in the table on top, joining repeats with ", " (with "\n" for
 * set-cookie, whose values may themselves contain commas). */
static void set_header(lua_State *L, const char *name, size_t nlen, const char *value,
                       size_t vlen)
{
    lua_pushlstring(L, name, nlen);
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushlstring(L, value, vlen);
    } else {
        if (same_name(name, nlen, "set-cookie"))
            lua_pushliteral(L, "\n");
        else
            lua_pushliteral(L, ", ");
        lua_pushlstring(L, value, vlen);
        lua_concat(L, 3);
    }
    lua_rawset(L, -3);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Pushes the final response's headers as a table keyed by lowercase name. The lines are
 * parsed (and lowercased) in place: the buffer is ours and is reset before the next use. */
static void push_headers(lua_State *L, growatt_buf *head)
{
    char *p = head->data, *end;
    int lines = 0;

    /* Sized for one header per line, so that the table is never rehashed while it fills. */
    for (end = p; end != NULL && end < p + head->len; lines++)
        if ((end = memchr(end, '\n', (size_t)(p + head->len - end))) != NULL)
            end++;
    lua_createtable(L, 0, lines);
    if (p == NULL)
        return;
    for (end = p + head->len; p < end;) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        char *line = p, *colon, *v, *vend;
        if (eol == NULL)
            eol = end;
        p = eol < end ? eol + 1 : end;
        if (eol > line && eol[-1] == '\r')
            eol--;
        /* status line, the blank end of the headers, an obsolete folded line: not headers */
        if (eol == line || is_blank(*line) || (eol - line >= 5 && memcmp(line, "HTTP/", 5) == 0))
            continue;
        /* a line without a colon or without a name (":x", "bad name: x") is not a header */
        if ((colon = memchr(line, ':', (size_t)(eol - line))) == NULL ||
            !is_token(line, (size_t)(colon - line)))
            continue;
        for (v = line; v < colon; v++)
            *v = (char)lower((unsigned char)*v);
        for (v = colon + 1; v < eol && is_blank(*v); v++)
            ;
        for (vend = eol; vend > v && is_blank(vend[-1]); vend--)
            ;
        set_header(L, line, (size_t)(colon - line), v, (size_t)(vend - v));
    }
}

int growatt_transfer_push_result(lua_State *L, growatt_transfer *t, CURLcode rc)
{
    long status = 0;
    char *url = NULL, *redirect = NULL;
    curl_off_t elapsed_us = 0;

    if (rc != CURLE_OK)
        return push_transfer_error(L, t, rc);
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &redirect);
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &elapsed_us);
    /* curl reads a status line such as "HTTP/2 1310" as the status 1310: no HTTP reply. */
    if (status < 100 || status > 999) {
        buf_reset(&t->body);
        buf_reset(&t->head);
        return growatt_push_error(L, "protocol", "malformed status line", -1);
    }

    lua_createtable(L, 0, 6);
    lua_pushinteger(L, (lua_Integer)status);
    lua_setfield(L, -2, "status");
    push_headers(L, &t->head);
    lua_setfield(L, -2, "headers");
    lua_pushlstring(L, t->body.data != NULL ? t->body.data : "", t->body.len);
    lua_setfield(L, -2, "body");
    lua_pushstring(L, url != NULL ? url : "");
    lua_setfield(L, -2, "url");
    lua_pushnumber(L, (lua_Number)elapsed_us / 1e6);
    lua_setfield(L, -2, "elapsed");
    if (redirect != NULL) {
        lua_pushstring(L, redirect);
        lua_setfield(L, -2, "redirect_url");
    }
    /* The response now lives in Lua: do not hold a second copy until the next request. */
    buf_reset(&t->body);
    buf_reset(&t->head);
    return 1;
}

/* ---------------------------------------------------------------- the Session userdata */

growatt_session *growatt_check_session(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, GROWATT_SESSION_MT);
}

static growatt_session *check_session(lua_State *L)
{
    return growatt_check_session(L, 1);
}

/* close(), __gc and __close: idempotent, and safe on a half-built session. Every easy handle
 * lets go of the share before the share itself is released. */
static int session_close(lua_State *L)
{
    growatt_session *s = check_session(L);
    growatt_pool_free(s->pool);
    s->pool = NULL;
    growatt_transfer_free(&s->xfer);
    if (s->jar != NULL)
        curl_easy_cleanup(s->jar);
    s->jar = NULL;
    if (s->share != NULL)
        curl_share_cleanup(s->share);
    s->share = NULL;
    growatt_config_free(&s->config);
    curl_slist_free_all(s->cookie_export);
    s->cookie_export = NULL;
    s->closed = 1;
    return 0;
}

static int session_configure(lua_State *L)
{
    growatt_session *s = check_session(L);
    /* A closed session validates the options (misuse still raises) and keeps nothing. */
    growatt_config_set(L, s->closed ? NULL : &s->config, 2);
    return 0;
}

static int session_request(lua_State *L)
{
    growatt_session *s = check_session(L);
    growatt_request r;
    CURLcode rc;

    growatt_request_read(L, &s->config, 2, &r);
    if (s->closed)
        return growatt_push_error(L, "closed", "session is closed", -1);
    growatt_request_apply(L, &s->xfer, &s->config, &r);
    rc = curl_easy_perform(s->xfer.easy);
    if (s->xfer.set_cookie)
        growatt_session_bound_jar(s);
    return growatt_transfer_push_result(L, &s->xfer, rc);
}

/* A byte of a host name, or of an IPv6 address in brackets. */
static int is_host_char(unsigned char c, int bracketed)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || (bracketed && (c == '[' || c == ']' || c == ':'));
}

/* Skips "TRUE" (or, when false_too, "FALSE") and the tab after it; NULL for anything else. */
static const char *skip_bool(const char *p, int false_too)
{
    if (strncmp(p, "TRUE\t", 5) == 0)
        return p + 5;
    return false_too && strncmp(p, "FALSE\t", 6) == 0 ? p + 6 : NULL;
}

/* Skips a field of at least min bytes up to its tab (or, when last, to the end); NULL for a
 * control byte in it (curl ends a line at "\r"), or an empty or missing field. */
static const char *skip_field(const char *p, size_t min, int last)
{
    const char *start = p;
    for (; *p != '\t' && *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    if ((size_t)(p - start) < min || (*p == '\t') == last)
        return NULL;
    return last ? p : p + 1;
}

/* Whether a cookie line is one the session imports and exports: the Netscape format exactly
 * as CURLINFO_COOKIELIST lists a cookie that can be sent. That is "#HttpOnly_" or nothing,
 * then seven tab-separated fields: a host name or address with no empty label (a leading
 * dot only with tail matching: curl reads ".x" with FALSE back as "x"); TRUE or FALSE; a
 * path starting with "/"; TRUE or FALSE; the expiry in seconds, 0 for a session cookie,
 * not past (curl keeps an expired cookie until the next one is added, and lists it); the
 * name, not empty; the value. Anything else, which curl would take in some other way (a
 * Set-Cookie header, a command such as ALL, a missing path it makes up, an empty field that
 * shifts the ones after it), is left out, so that what is exported imports back to itself. */
static int cookie_line_ok(const char *p, time_t now)
{
    const char *host;
    long long expires = 0;
    int dotted, digits = 0;

    if (strncmp(p, "#HttpOnly_", 10) == 0)
        p += 10;
    if ((dotted = *p == '.'))
        p++;
    for (host = p; *p != '\t'; p++)
        if (!is_host_char((unsigned char)*p, *host == '[') ||
            (*p == '.' && (p == host || p[-1] == '.')))
            return 0;
    if (p == host)
        return 0;
    if ((p = skip_bool(p + 1, !dotted)) == NULL || *p != '/' || (p = skip_field(p, 1, 0)) == NULL ||
        (p = skip_bool(p, 1)) == NULL)
        return 0;
    for (; *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
        expires = expires * 10 + (*p - '0');
    if (digits == 0 || *p++ != '\t' || (expires != 0 && expires <= (long long)now))
        return 0;
    return (p = skip_field(p, 1, 0)) != NULL && skip_field(p, 0, 1) != NULL;
}

/* The cookies the session can send, one line each (cookie_line_ok), so that what is
 * exported imports back to itself. The cookie list is owned by the session while it
 * is copied into Lua, so that a memory error during the copy leaves it to be freed by the
 * next call or by close. */
static int session_cookies(lua_State *L)
{
    growatt_session *s = check_session(L);
    struct curl_slist *item;
    luaL_Buffer b;
    time_t now = time(NULL);
    int first = 1;

    curl_slist_free_all(s->cookie_export);
    s->cookie_export = NULL;
    if (s->closed ||
        curl_easy_getinfo(s->jar, CURLINFO_COOKIELIST, &s->cookie_export) != CURLE_OK) {
        lua_pushliteral(L, "");
        return 1;
    }
    luaL_buffinit(L, &b);
    for (item = s->cookie_export; item != NULL; item = item->next) {
        if (!cookie_line_ok(item->data, now))
            continue;
        if (!first)
            luaL_addchar(&b, '\n');
        luaL_addstring(&b, item->data);
        first = 0;
    }
    luaL_pushresult(&b);
    curl_slist_free_all(s->cookie_export);
    s->cookie_export = NULL;
    return 1;
}

static void clear_cookies(growatt_session *s)
{
    curl_easy_setopt(s->jar, CURLOPT_COOKIELIST, "ALL");
}

static int session_clear_cookies(lua_State *L)
{
    growatt_session *s = check_session(L);
    if (!s->closed)
        clear_cookies(s);
    return 0;
}

/* How many cookies the jar holds, and their lines' bytes. */
struct jar_size {
    size_t count, bytes;
};

/* Adds a cookie line (cookie_line_ok) to the jar when it fits in the caps; else counts it
 * as dropped. */
static void keep_cookie(growatt_session *s, const char *line, struct jar_size *jar)
{
    size_t n = strlen(line);
    if (jar->count >= MAX_COOKIES || n > MAX_COOKIE_BYTES - jar->bytes) {
        s->cookies_dropped++;
        return;
    }
    curl_easy_setopt(s->jar, CURLOPT_COOKIELIST, line);
    jar->count++;
    jar->bytes += n;
}

/* Replaces the jar with the cookie lines of a string (as session:cookies exports them), as
 * many as the caps hold. */
static int session_set_cookies(lua_State *L)
{
    growatt_session *s = check_session(L);
    size_t len;
    const char *text;
    char *copy, *line, *next;
    struct jar_size jar = {0, 0};
    time_t now = time(NULL);

    luaL_checktype(L, 2, LUA_TSTRING);
    text = lua_tolstring(L, 2, &len);
    if (s->closed)
        return 0;
    /* A private copy, cut into NUL-terminated lines for curl. No Lua call happens while it
     * is held, so nothing can raise before it is freed. */
    if ((copy = dup_string(text, len)) == NULL)
        return luaL_error(L, "not enough memory");
    clear_cookies(s);
    for (line = copy; line != NULL; line = next) {
        size_t n;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        if (cookie_line_ok(line, now))
            keep_cookie(s, line, &jar);
    }
    free(copy);
    return 0;
}

/* Keeps the jar within the caps after a response that set cookies: when it is over them,
 * the cookies curl lists first (a host's oldest) stay and the rest are dropped. Nothing
 * here calls Lua, so the list is freed on every way out. */
void growatt_session_bound_jar(growatt_session *s)
{
    struct curl_slist *list = NULL, *item;
    struct jar_size jar = {0, 0};
    time_t now = time(NULL);

    if (curl_easy_getinfo(s->jar, CURLINFO_COOKIELIST, &list) != CURLE_OK)
        return;
    for (item = list; item != NULL; item = item->next)
        if (cookie_line_ok(item->data, now)) {
            jar.count++;
            jar.bytes += strlen(item->data);
        }
    if (jar.count > MAX_COOKIES || jar.bytes > MAX_COOKIE_BYTES) {
        clear_cookies(s);
        jar.count = jar.bytes = 0;
        for (item = list; item != NULL; item = item->next)
            if (cookie_line_ok(item->data, now))
                keep_cookie(s, item->data, &jar);
    }
    curl_slist_free_all(list);
}

static int session_cookies_dropped(lua_State *L)
{
    growatt_session *s = check_session(L);
    lua_pushinteger(L, (lua_Integer)s->cookies_dropped);
    return 1;
}

static int session_tostring(lua_State *L)
{
    growatt_session *s = check_session(L);
    if (s->closed)
        lua_pushliteral(L, "growatt.Session (closed)");
    else
        lua_pushfstring(L, "growatt.Session (%p)", (void *)s);
    return 1;
}

static int error_tostring(lua_State *L)
{
    lua_getfield(L, 1, "kind");
    lua_getfield(L, 1, "message");
    lua_pushfstring(L, "growatt: %s: %s", lua_isstring(L, -2) ? lua_tostring(L, -2) : "?",
                    lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
    return 1;
}

static const luaL_Reg session_methods[] = {
    {"configure", session_configure},
    {"request", session_request},
    {"perform_many", growatt_l_perform_many},
    {"cookies", session_cookies},
    {"set_cookies", session_set_cookies},
    {"clear_cookies", session_clear_cookies},
    {"cookies_dropped", session_cookies_dropped},
    {"close", session_close},
    {NULL, NULL},
};

static const luaL_Reg session_meta[] = {
    {"__gc", session_close},
#if LUA_VERSION_NUM >= 504
    {"__close", session_close},
#endif
    {"__tostring", session_tostring},
    {NULL, NULL},
};

void growatt_session_register(lua_State *L)
{
    luaL_newmetatable(L, GROWATT_SESSION_MT);
    luaL_setfuncs(L, session_meta, 0);
    luaL_newlib(L, session_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newmetatable(L, GROWATT_ERROR_MT);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}

/* What the session's handles have in common. curl calls no lock function without threads:
 * a session is used by one thread at a time. */
static int share_everything(CURLSH *share)
{
    static const curl_lock_data what[] = {
        CURL_LOCK_DATA_COOKIE, CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION,
        CURL_LOCK_DATA_CONNECT,
    };
    size_t i;
    for (i = 0; i < sizeof what / sizeof what[0]; i++)
        if (curl_share_setopt(share, CURLSHOPT_SHARE, what[i]) != CURLSHE_OK)
            return 0;
    return 1;
}

int growatt_l_session(lua_State *L)
{
    growatt_session *s;

    if (!lua_isnoneornil(L, 1))
        luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1); /* the options stay at 1 when the userdata is pushed */
    s = lua_newuserdata(L, sizeof *s);
    memset(s, 0, sizeof *s);
    growatt_config_init(&s->config);
    luaL_setmetatable(L, GROWATT_SESSION_MT);
    /* From here on __gc owns whatever the session holds, even if what follows raises. */
    if ((s->share = curl_share_init()) == NULL || !share_everything(s->share))
        return luaL_error(L, "cannot create a curl share handle");
    if (growatt_transfer_open(&s->xfer, s->share) != CURLE_OK || (s->jar = curl_easy_init()) == NULL ||
        curl_easy_setopt(s->jar, CURLOPT_SHARE, s->share) != CURLE_OK)
        return luaL_error(L, "cannot create a curl easy handle");
    growatt_config_set(L, &s->config, 1);
    return 1;
}
