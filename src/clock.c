/* Wall-clock time with sub-second precision (os.time has whole seconds) and a blocking sleep
 * (plain Lua has none), for login intervals, request budgets and retry backoff. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>
#include "clock.h"

int growatt_l_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

int growatt_l_sleep(lua_State *L)
{
    lua_Number seconds = luaL_checknumber(L, 1);
    struct timespec ts;

    if (!(seconds > 0))
        return 0;
    if (seconds > 86400)
        seconds = 86400;
    ts.tv_sec = (time_t)seconds; /* positive: the cast truncates */
    ts.tv_nsec = (long)((seconds - (lua_Number)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 0;
}
