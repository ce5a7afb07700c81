/* Helpers of the JSON decode path (lua/growatt/json.lua). */
#include "json.h"

#if LUA_VERSION_NUM >= 503
/* lua-cjson 2.1 decodes every number as a float. Integral values within ±2^53 become
 * integers again, walking the decoded tables in place. Done here rather than in Lua, where
 * type() and math.type() cost more than the decoding itself on a typical reply. */
static void normalise_table(lua_State *L, int t, int depth)
{
    if (depth > 1000)
        luaL_error(L, "normalise: nesting too deep");
    luaL_checkstack(L, 4, "normalise");
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        int type = lua_type(L, -1);
        if (type == LUA_TNUMBER && !lua_isinteger(L, -1)) {
            lua_Number d = lua_tonumber(L, -1);
            if (d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
                (lua_Number)(lua_Integer)d == d) {
                /* replacing the value of an existing key keeps lua_next valid */
                lua_pushvalue(L, -2);
                lua_pushinteger(L, (lua_Integer)d);
                lua_rawset(L, t);
            }
        } else if (type == LUA_TTABLE) {
            normalise_table(L, lua_gettop(L), depth + 1);
        }
        lua_pop(L, 1);
    }
}
#endif

int growatt_l_normalise(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
#if LUA_VERSION_NUM >= 503
    if (lua_type(L, 1) == LUA_TTABLE) {
        normalise_table(L, 1, 1);
    } else if (lua_type(L, 1) == LUA_TNUMBER && !lua_isinteger(L, 1)) {
        lua_Number d = lua_tonumber(L, 1);
        if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && (lua_Number)(lua_Integer)d == d)
            lua_pushinteger(L, (lua_Integer)d);
    }
#endif
    return 1;
}
