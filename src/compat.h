/* Lua 5.1 (LuaJIT) / 5.2 / 5.3 / 5.4 shims, so that one source tree builds for all of them.
 * The rest of the core is written against the 5.2+ API and the helpers below. */
#ifndef GROWATT_COMPAT_H
#define GROWATT_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM == 501
/* LuaJIT 2.1 has some of these and plain 5.1 has none: always use our own copies under the
 * 5.2 names, so that the code does not depend on which 5.1 it is built against. */

static inline void growatt_compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
    luaL_checkstack(L, nup, "too many upvalues");
    for (; l->name != NULL; l++) {
        int i;
        for (i = 0; i < nup; i++)
            lua_pushvalue(L, -nup);
        lua_pushcclosure(L, l->func, nup);
        lua_setfield(L, -(nup + 2), l->name);
    }
    lua_pop(L, nup);
}

static inline void growatt_compat_setmetatable(lua_State *L, const char *tname)
{
    luaL_getmetatable(L, tname);
    lua_setmetatable(L, -2);
}

#undef luaL_setfuncs
#undef luaL_setmetatable
#undef luaL_newlib
#undef lua_rawlen
#define luaL_setfuncs growatt_compat_setfuncs
#define luaL_setmetatable growatt_compat_setmetatable
#define luaL_newlib(L, l) (lua_createtable(L, 0, (int)(sizeof(l) / sizeof((l)[0]) - 1)), \
                           luaL_setfuncs(L, l, 0))
#define lua_rawlen(L, i) lua_objlen(L, (i))
#endif

/* True when the value at idx is a number with an integral value that fits in a 64-bit
 * integer, stored in *out. Covers 5.3+ integers, integral 5.3+ floats (1234567.0) and
 * LuaJIT doubles alike, so that "1234567" never goes on the wire as "1234567.0". */
static inline int growatt_tointegral(lua_State *L, int idx, long long *out)
{
    lua_Number d;
#if LUA_VERSION_NUM >= 503
    if (lua_isinteger(L, idx)) {
        *out = (long long)lua_tointeger(L, idx);
        return 1;
    }
#endif
    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    d = lua_tonumber(L, idx);
    /* -2^63 is exact as a double; 2^63 is the first value that no longer fits. NaN fails both. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return 0;
    if ((lua_Number)(long long)d != d)
        return 0;
    *out = (long long)d;
    return 1;
}

#endif
