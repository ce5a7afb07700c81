/* Helpers of the JSON decode path. */
#ifndef GROWATT_JSON_H
#define GROWATT_JSON_H

#include "compat.h"

/* core.normalise(v) -> v: integral floats within ±2^53 become integers (Lua 5.3+), in place
 * through nested tables; on Lua 5.1 (LuaJIT) numbers are doubles anyway and v is returned. */
int growatt_l_normalise(lua_State *L);

#endif
