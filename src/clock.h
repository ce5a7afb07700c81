/* Wall-clock time and sleeping, for the session policy's intervals and backoff. */
#ifndef GROWATT_CLOCK_H
#define GROWATT_CLOCK_H

#include "compat.h"

/* core.now() -> epoch seconds as a number with sub-second precision */
int growatt_l_now(lua_State *L);

/* core.sleep(seconds): blocks the calling thread (outside nginx only; there, ngx.sleep) */
int growatt_l_sleep(lua_State *L);

#endif
