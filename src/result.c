/* Results and error kinds: a finished transfer to res or nil, err (result.h). */
#include <stdio.h>
#include <string.h>
#include "result.h"
#include "text.h"

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
        growatt_buf_free(&t->body);
        growatt_buf_free(&t->head);
        return luaL_error(L, "not enough memory for the response");
    }
    if (t->stopped == GROWATT_BODY_TOO_BIG || rc == CURLE_FILESIZE_EXCEEDED) {
        kind = "protocol";
        snprintf(msg, sizeof msg, "response body exceeds %lu bytes", (unsigned long)t->max_body);
    } else if (t->stopped == GROWATT_HEAD_TOO_BIG) {
        kind = "protocol";
        snprintf(msg, sizeof msg, "response headers exceed %d bytes", GROWATT_MAX_HEADER_BYTES);
    } else if (head_cut(rc, &t->head)) {
        kind = "protocol";
        snprintf(msg, sizeof msg, "a response header line is too long");
    } else if (rc == CURLE_PARTIAL_FILE) {
        snprintf(msg, sizeof msg, "truncated response body");
    } else {
        snprintf(msg, sizeof msg, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
    }
    growatt_buf_reset(&t->body);
    growatt_buf_reset(&t->head);
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
        if (growatt_same_name(name, nlen, "set-cookie"))
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
            !growatt_is_token(line, (size_t)(colon - line)))
            continue;
        for (v = line; v < colon; v++)
            *v = (char)growatt_lower((unsigned char)*v);
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
        growatt_buf_reset(&t->body);
        growatt_buf_reset(&t->head);
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
    growatt_buf_reset(&t->body);
    growatt_buf_reset(&t->head);
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

void growatt_result_register(lua_State *L)
{
    luaL_newmetatable(L, GROWATT_ERROR_MT);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}
