/* The JSON decode path of lua/growatt/json.lua.
 *
 * core.json_decode(s) builds Lua values straight from the text. Replies are mostly objects of
 * short strings, where a general decoder spends its time growing tables one key at a time:
 * here the members of an object (the items of an array) are first pushed on the Lua stack,
 * then moved into a table made at its final size, so that no table is ever rehashed. Strings
 * without escapes go from the input to Lua with no intermediate copy. Numbers come back as
 * integers when they are integral within ±2^53 (Lua 5.3+): lua-cjson 2.1 gives floats, and
 * an id read from a reply must go back on the wire as `1234567`, never `1234567.0`.
 *
 * Raises on malformed text (json.lua calls it in pcall): "json: <what> at byte <n>". */
#include <math.h>
#include <string.h>
#include "json.h"

#define MAX_DEPTH 1000
/* Members held on the stack before they are flushed into the table (LuaJIT's stack is
 * limited to about 65,000 slots). */
#define MAX_PENDING 4096
#define TWO_53 9007199254740992.0

typedef struct decoder {
    lua_State *L;
    const char *start, *p, *end;
    int depth;
} decoder;

static void fail(decoder *d, const char *what)
{
    luaL_error(d->L, "json: %s at byte %d", what, (int)(d->p - d->start) + 1);
}

static void skip_space(decoder *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
        d->p++;
}

/* Integral values within ±2^53 as integers (Lua 5.3+), others as floats. */
static void push_number(lua_State *L, lua_Number n)
{
#if LUA_VERSION_NUM >= 503
    if (n >= -TWO_53 && n <= TWO_53 && (lua_Number)(lua_Integer)n == n) {
        lua_pushinteger(L, (lua_Integer)n);
        return;
    }
#endif
    lua_pushnumber(L, n);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The value of a well-formed number that Lua could not convert: LuaJIT gives up on an
 * exponent of more than about ten digits ("1e99999999999", which lua_tonumber would turn into
 * 0), and no mantissa that fits in a reply can bring such an exponent back into range:
 * it is 0 or an infinity, with the number's sign. */
static lua_Number beyond_range(const char *s, const char *end)
{
    int negative = *s == '-', zero = 1;
    const char *p;

    for (p = s; p < end && *p != 'e' && *p != 'E'; p++)
        if (*p >= '1' && *p <= '9')
            zero = 0;
    if (zero || (p + 1 < end && p[1] == '-'))
        return negative ? -0.0 : 0.0;
    return negative ? -HUGE_VAL : HUGE_VAL;
}

/* RFC 8259 numbers only (no NaN, Infinity, hex or leading zeros). */
static void decode_number(decoder *d)
{
    const char *s = d->p, *q = s;
    int integral = 1;

    if (q < d->end && *q == '-')
        q++;
    if (q >= d->end || !is_digit(*q))
        fail(d, "malformed number");
    if (*q == '0' && q + 1 < d->end && is_digit(q[1]))
        fail(d, "malformed number");
    while (q < d->end && is_digit(*q))
        q++;
    if (q < d->end && *q == '.') {
        integral = 0;
        if (++q >= d->end || !is_digit(*q))
            fail(d, "malformed number");
        while (q < d->end && is_digit(*q))
            q++;
    }
    if (q < d->end && (*q == 'e' || *q == 'E')) {
        integral = 0;
        q++;
        if (q < d->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= d->end || !is_digit(*q))
            fail(d, "malformed number");
        while (q < d->end && is_digit(*q))
            q++;
    }
    d->p = q;
    if (integral && q - (*s == '-' ? s + 1 : s) <= 15) {
        /* at most 15 digits: exact in a double and in an integer */
        long long v = 0;
        const char *r = *s == '-' ? s + 1 : s;
        for (; r < q; r++)
            v = v * 10 + (*r - '0');
        push_number(d->L, (lua_Number)(*s == '-' ? -v : v));
        return;
    }
    /* Lua's own conversion, which does not depend on the C locale. */
    lua_pushlstring(d->L, s, (size_t)(q - s));
    {
        lua_Number n = lua_isnumber(d->L, -1) ? lua_tonumber(d->L, -1) : beyond_range(s, q);
        lua_pop(d->L, 1);
        push_number(d->L, n);
    }
}

static int hex4(decoder *d, const char *s)
{
    int i, v = 0;
    if (d->end - s < 4)
        fail(d, "truncated \\u escape");
    for (i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            fail(d, "malformed \\u escape");
    }
    return v;
}

static void add_utf8(luaL_Buffer *b, unsigned long cp)
{
    if (cp < 0x80) {
        luaL_addchar(b, (char)cp);
    } else if (cp < 0x800) {
        luaL_addchar(b, (char)(0xC0 | (cp >> 6)));
        luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        luaL_addchar(b, (char)(0xE0 | (cp >> 12)));
        luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        luaL_addchar(b, (char)(0xF0 | (cp >> 18)));
        luaL_addchar(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* A string with escapes, from its first backslash at d->p (the text before it is [s, d->p)). */
static void decode_escaped(decoder *d, const char *s)
{
    luaL_Buffer b;
    luaL_buffinit(d->L, &b);
    luaL_addlstring(&b, s, (size_t)(d->p - s));
    while (d->p < d->end && *d->p != '"') {
        unsigned char c = (unsigned char)*d->p;
        if (c < 0x20)
            fail(d, "control character in string");
        if (c != '\\') {
            luaL_addchar(&b, (char)c);
            d->p++;
            continue;
        }
        if (++d->p >= d->end)
            break;
        switch (*d->p++) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case '/': luaL_addchar(&b, '/'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u': {
            unsigned long cp = (unsigned long)hex4(d, d->p), lo = 0;
            if (cp >= 0xD800 && cp <= 0xDBFF && d->end - d->p >= 10 && d->p[4] == '\\' &&
                d->p[5] == 'u')
                lo = (unsigned long)hex4(d, d->p + 6);
            if (cp >= 0xD800 && cp <= 0xDFFF && !(lo >= 0xDC00 && lo <= 0xDFFF))
                fail(d, "lone UTF-16 surrogate in \\u escape");
            if (lo != 0) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                d->p += 6;
            }
            d->p += 4;
            add_utf8(&b, cp);
            break;
        }
        default:
            d->p--;
            fail(d, "invalid escape");
        }
    }
    if (d->p >= d->end)
        fail(d, "unterminated string");
    d->p++;
    luaL_pushresult(&b);
}

/* A string from just after its opening quote. */
static void decode_string(decoder *d)
{
    const char *s = d->p;
    while (d->p < d->end) {
        unsigned char c = (unsigned char)*d->p;
        if (c == '"') {
            lua_pushlstring(d->L, s, (size_t)(d->p - s));
            d->p++;
            return;
        }
        if (c == '\\') {
            decode_escaped(d, s);
            return;
        }
        if (c < 0x20)
            fail(d, "control character in string");
        d->p++;
    }
    fail(d, "unterminated string");
}

static void decode_value(decoder *d);

/* Moves the n values above base (key, value pairs for an object) into the table at t, or
 * into a new table made at base + 1 when t is 0; returns the table's index. `done` counts
 * the array items already in the table. */
static int flush(lua_State *L, int t, int base, int n, int object, int done)
{
    int i;
    if (t == 0) {
        lua_createtable(L, object ? 0 : n, object ? n / 2 : 0);
        lua_insert(L, base + 1);
        t = ++base;
    }
    if (object) {
        for (i = 1; i < n; i += 2) {
            lua_pushvalue(L, base + i);
            lua_pushvalue(L, base + i + 1);
            lua_rawset(L, t);
        }
    } else {
        for (i = 1; i <= n; i++) {
            lua_pushvalue(L, base + i);
            lua_rawseti(L, t, done + i);
        }
    }
    lua_settop(L, t);
    return t;
}

/* An object or an array, from just after its opening bracket. */
static void decode_container(decoder *d, int object)
{
    lua_State *L = d->L;
    char close = object ? '}' : ']';
    int base = lua_gettop(L), t = 0, n = 0, done = 0;

    if (++d->depth > MAX_DEPTH) {
        d->p--; /* at the bracket */
        fail(d, "nesting too deep");
    }
    skip_space(d);
    if (d->p < d->end && *d->p == close) {
        d->p++;
        lua_newtable(L);
        d->depth--;
        return;
    }
    for (;;) {
        luaL_checkstack(L, 4, "json: too many values");
        if (object) {
            skip_space(d);
            if (d->p >= d->end || *d->p != '"')
                fail(d, "expected a string key");
            d->p++;
            decode_string(d);
            skip_space(d);
            if (d->p >= d->end || *d->p != ':')
                fail(d, "expected ':'");
            d->p++;
            n++;
        }
        decode_value(d);
        n++;
        if (n >= MAX_PENDING) {
            t = flush(L, t, t ? t : base, n, object, done);
            done += n;
            n = 0;
        }
        skip_space(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == close)
            break;
        fail(d, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    d->p++;
    flush(L, t, t ? t : base, n, object, done);
    d->depth--;
}

static int match(decoder *d, const char *word, size_t len)
{
    if ((size_t)(d->end - d->p) >= len && memcmp(d->p, word, len) == 0) {
        d->p += len;
        return 1;
    }
    return 0;
}

static void decode_value(decoder *d)
{
    skip_space(d);
    if (d->p >= d->end)
        fail(d, "unexpected end");
    switch (*d->p) {
    case '"':
        d->p++;
        decode_string(d);
        return;
    case '{':
        d->p++;
        decode_container(d, 1);
        return;
    case '[':
        d->p++;
        decode_container(d, 0);
        return;
    case 't':
        if (match(d, "true", 4)) {
            lua_pushboolean(d->L, 1);
            return;
        }
        break;
    case 'f':
        if (match(d, "false", 5)) {
            lua_pushboolean(d->L, 0);
            return;
        }
        break;
    case 'n':
        if (match(d, "null", 4)) {
            lua_pushlightuserdata(d->L, NULL); /* cjson.null */
            return;
        }
        break;
    default:
        if (*d->p == '-' || is_digit(*d->p)) {
            decode_number(d);
            return;
        }
    }
    fail(d, "unexpected character");
}

int growatt_l_json_decode(lua_State *L)
{
    decoder d;
    size_t len;
    d.L = L;
    d.start = d.p = luaL_checklstring(L, 1, &len);
    d.end = d.start + len;
    d.depth = 0;
    lua_settop(L, 1);
    decode_value(&d);
    skip_space(&d);
    if (d.p < d.end)
        fail(&d, "unexpected text after the value");
    return 1;
}
