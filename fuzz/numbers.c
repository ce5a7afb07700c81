/* Fuzz target: number normalisation, the rule that puts a Lua number on the wire (compat.h's
 * growatt_tointegral and encode.c's growatt_text_of): integral values that fit in 64 bits are
 * written as integers ("1234567", never "1234567.0"), every other number as "%.14g". The
 * bytes are a double and a 64-bit integer; both must come out as text that reads back as the
 * same value. UBSan watches the double-to-integer conversions. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lualib.h>
#include "encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;

static void fail(const char *what, double d, const char *text)
{
    fprintf(stderr, "fuzz numbers: %s: %.17g (%a) -> \"%s\"\n", what, d, d, text);
    abort();
}

static const char *text_of_top(growatt_text *t)
{
    if (!growatt_text_of(L, -1, t) || t->len != strlen(t->s) || t->len >= sizeof t->num)
        fail("no text", lua_tonumber(L, -1), t->s);
    return t->s;
}

static void check_double(double d)
{
    growatt_text t;
    long long n;
    const char *s;
    char *end;
    int integral = d >= -9223372036854775808.0 && d < 9223372036854775808.0 && floor(d) == d;

    lua_pushnumber(L, (lua_Number)d);
    s = text_of_top(&t);
    if (growatt_tointegral(L, -1, &n) != integral)
        fail("tointegral disagrees", d, s);
    if (integral) {
        if (strpbrk(s, ".eEn") != NULL || strtoll(s, &end, 10) != n || *end || (double)n != d)
            fail("integral value", d, s);
    } else {
        double back = strtod(s, &end);
        if (*end != '\0')
            fail("unreadable text", d, s);
        if (isnan(d) ? !isnan(back) : isinf(d) ? back != d : fabs(back - d) > fabs(d) * 1e-13)
            fail("value not kept", d, s);
    }
    lua_pop(L, 1);
}

static void check_integer(long long v)
{
#if LUA_VERSION_NUM >= 503
    growatt_text t;
    long long n;
    char want[32];

    lua_pushinteger(L, (lua_Integer)v);
    snprintf(want, sizeof want, "%lld", v);
    if (!growatt_tointegral(L, -1, &n) || n != v || strcmp(text_of_top(&t), want) != 0)
        fail("integer", (double)v, t.s);
    lua_pop(L, 1);
#else
    (void)v;
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t bytes[16] = {0};
    double d;
    long long v;

    if (L == NULL && (L = luaL_newstate()) == NULL)
        abort();
    memcpy(bytes, data, size < sizeof bytes ? size : sizeof bytes);
    memcpy(&d, bytes, sizeof d);
    memcpy(&v, bytes + 8, sizeof v);
    check_double(d);
    check_double((double)v);
    check_integer(v);
    return 0;
}
