/* Applying a request read by request.c to an easy handle (request.h). */
#include <string.h>
#include "encode.h"
#include "request.h"

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
    GROWATT_SETOPT(*rc, t->easy, CURLOPT_MIMEPOST, t->mime);
}

void growatt_request_apply(lua_State *L, growatt_transfer *t, const growatt_config *c,
                           const growatt_request *r)
{
    CURL *e = t->easy;
    CURLcode rc = growatt_transfer_begin(t, c);
    int is_post = strcmp(r->method, "POST") == 0;
    size_t i, n;

    GROWATT_SETOPT(rc, e, CURLOPT_URL, lua_tostring(L, r->url));
    if (r->body != 0) {
        size_t len;
        const char *body = lua_tolstring(L, r->body, &len);
        GROWATT_SETOPT(rc, e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        GROWATT_SETOPT(rc, e, CURLOPT_COPYPOSTFIELDS, body);
    } else if (r->multipart != 0) {
        apply_multipart(L, t, r->multipart, &rc);
    } else if (is_post) {
        GROWATT_SETOPT(rc, e, CURLOPT_POSTFIELDSIZE, 0L);
        GROWATT_SETOPT(rc, e, CURLOPT_POSTFIELDS, "");
    } else if (strcmp(r->method, "GET") == 0) {
        GROWATT_SETOPT(rc, e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(r->method, "HEAD") == 0) {
        GROWATT_SETOPT(rc, e, CURLOPT_NOBODY, 1L);
    }
    /* Any other method, or a body with a method other than POST: curl's POST machinery
     * with the verb replaced. */
    if (!is_post && strcmp(r->method, "HEAD") != 0 &&
        (strcmp(r->method, "GET") != 0 || r->body != 0 || r->multipart != 0))
        GROWATT_SETOPT(rc, e, CURLOPT_CUSTOMREQUEST, r->method);

    n = (size_t)lua_rawlen(L, r->headers);
    for (i = 1; i <= n; i++) {
        struct curl_slist *list;
        lua_rawgeti(L, r->headers, (int)i);
        list = curl_slist_append(t->headers, lua_tostring(L, -1));
        lua_pop(L, 1);
        check_memory(L, list != NULL);
        t->headers = list;
    }
    GROWATT_SETOPT(rc, e, CURLOPT_HTTPHEADER, t->headers);
    if (r->timeout_ms >= 0)
        GROWATT_SETOPT(rc, e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    if (rc != CURLE_OK)
        luaL_error(L, "cannot set up the request: %s", curl_easy_strerror(rc));
}

