/* Helpers of the JSON decode path. */
#ifndef GROWATT_JSON_H
#define GROWATT_JSON_H

#include "compat.h"

/* core.json_decode(s) -> value; raises "json: <what> at byte <n>" on malformed text. JSON
 * null is cjson.null (a NULL light userdata); integral numbers within ±2^53 come back as
 * integers on Lua 5.3+. */
int growatt_l_json_decode(lua_State *L);

#endif
