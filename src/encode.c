/* Form encoding as Python's urllib.parse.urlencode does it (what the reference client sends):
 * A-Z a-z 0-9 and "-._~" stay, space becomes "+", every other byte "%XX" in uppercase hex. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "encode.h"

/* The longest name or value encode takes: a third of the address space at most, less two. */
#define MAX_TEXT ((SIZE_MAX - 2) / 6)

int growatt_text_of(lua_State *L, int idx, growatt_text *t)
{
    long long n;

    /* Check the type first: lua_tolstring would turn a number on the stack into a string
     * in place, with a ".0" under 5.3+ for integral floats. */
    if (lua_type(L, idx) == LUA_TSTRING) {
        t->s = lua_tolstring(L, idx, &t->len);
        return 1;
    }
    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    if (growatt_tointegral(L, idx, &n))
        snprintf(t->num, sizeof t->num, "%lld", n);
    else
        snprintf(t->num, sizeof t->num, "%.14g", (double)lua_tonumber(L, idx));
    t->s = t->num;
    t->len = strlen(t->num);
    return 1;
}

size_t growatt_pair_count(lua_State *L, int idx, const char *label)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s: expected a list of {name, value} pairs, got %s", label,
                   luaL_typename(L, idx));
    return (size_t)lua_rawlen(L, idx);
}

void growatt_pair_at(lua_State *L, int idx, size_t i, const char *label,
                     growatt_text *name, growatt_text *value)
{
    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    luaL_checkstack(L, 3, "too many pairs");
    lua_rawgeti(L, idx, (int)i);
    if (lua_type(L, -1) != LUA_TTABLE)
        luaL_error(L, "%s pair %d: must be a table {name, value}, got %s", label, (int)i,
                   luaL_typename(L, -1));
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    lua_remove(L, -3);
    if (lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "%s pair %d: name must be a string, got %s", label, (int)i,
                   luaL_typename(L, -2));
    growatt_text_of(L, -2, name);
    if (!growatt_text_of(L, -1, value))
        luaL_error(L, "%s pair %d: value must be a string or number, got %s", label, (int)i,
                   luaL_typename(L, -1));
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Length of the escaped form of t. */
static size_t escaped_len(const growatt_text *t)
{
    size_t i, n = 0;
    for (i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->s[i];
        n += (is_unreserved(c) || c == ' ') ? 1 : 3;
    }
    return n;
}

/* Writes the escaped form of t at out; returns the end. */
static char *escape(char *out, const growatt_text *t)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (is_unreserved(c)) {
            *out++ = (char)c;
        } else if (c == ' ') {
            *out++ = '+';
        } else {
            *out++ = '%';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    return out;
}

/* Two passes over the pairs: the first validates them (raising while nothing is held) and
 * sizes the result, the second writes into a scratch userdata, which the GC reclaims even
 * if pushing the result fails. luaL_Buffer is not used because the pair strings have to sit
 * on the stack while they are copied, and a buffer wants the top of the stack to itself. */
void growatt_push_encoded(lua_State *L, int idx, const char *label)
{
    size_t n = growatt_pair_count(L, idx, label);
    size_t i, total = 0;
    growatt_text name, value;
    char *scratch, *p;

    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    for (i = 1; i <= n; i++) {
        growatt_pair_at(L, idx, i, label, &name, &value);
        /* Each byte may triple: on a 32-bit system, strings of a few hundred MiB could make
         * the size wrap around, and the second pass write past the buffer. */
        if (name.len > MAX_TEXT || value.len > MAX_TEXT ||
            total > SIZE_MAX - 3 * (name.len + value.len) - 2)
            luaL_error(L, "%s: too large to encode", label);
        total += escaped_len(&name) + 1 + escaped_len(&value) + (i > 1);
        lua_pop(L, 2);
    }
    scratch = lua_newuserdata(L, total ? total : 1);
    p = scratch;
    for (i = 1; i <= n; i++) {
        growatt_pair_at(L, idx, i, label, &name, &value);
        if (i > 1)
            *p++ = '&';
        p = escape(p, &name);
        *p++ = '=';
        p = escape(p, &value);
        lua_pop(L, 2);
    }
    lua_pushlstring(L, scratch, total);
    lua_remove(L, -2);
}

int growatt_l_encode(lua_State *L)
{
    growatt_push_encoded(L, 1, "encode");
    return 1;
}
