/* Results and error kinds: what a finished transfer gives Lua, and the error table every
 * failure the network or the server can cause is reported with. */
#ifndef GROWATT_RESULT_H
#define GROWATT_RESULT_H

#include "transfer.h"

#define GROWATT_ERROR_MT "growatt.Error"

/* Pushes the result of a finished transfer: res (returns 1) or nil, err (returns 2). Raises
 * only when memory runs out. */
int growatt_transfer_push_result(lua_State *L, growatt_transfer *t, CURLcode rc);

/* Pushes nil and an error table {kind, message, curl_code} (curl_code < 0: none); returns 2. */
int growatt_push_error(lua_State *L, const char *kind, const char *message, int curl_code);

/* Creates the Error metatable (its __tostring) in this Lua state. */
void growatt_result_register(lua_State *L);

#endif
