/* Reading a request from Lua and validating it (request.h): misuse raises here, before
 * anything is handed to curl. */
#include <string.h>
#include "encode.h"
#include "request.h"
#include "text.h"

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
    return growatt_starts_with_nocase(s, len, "http://") ||
           growatt_starts_with_nocase(s, len, "https://");
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
    if (!growatt_is_token(name, nlen))
        luaL_error(L, "header name '%s' is not a valid HTTP token", name);
    if (!growatt_is_header_safe(value->s, value->len))
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
        has_content_type |= growatt_same_name(name.s, name.len, "content-type");
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
            has_content_type |= growatt_same_name(name.s, name.len, "content-type");
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
    if (!growatt_is_token(r->method, len))
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
        if (!growatt_is_header_safe(s, len))
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
            r->timeout_ms = growatt_seconds_to_ms(L, -1, "request option timeout");
        lua_pop(L, 1);
    }
}

