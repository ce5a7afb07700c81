/* growatt.core: the C half of lua-growatt. HTTP and the session live here (session.c), the
 * password hash (hash.c) and form encoding (encode.c); Growatt's protocol lives in Lua. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <curl/curl.h>
#include "clock.h"
#include "compat.h"
#include "encode.h"
#include "file.h"
#include "hash.h"
#include "json.h"
#include "session.h"

/* curl_global_init is not safe to race, and OpenResty opens this module in several worker
 * thread VMs at once: run it exactly once per process. curl_global_cleanup is never called,
 * since another VM in the process may still be using libcurl. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static const luaL_Reg core_functions[] = {
    {"hash_password", growatt_l_hash_password},
    {"verifier", growatt_l_verifier},
    {"salt", growatt_l_salt},
    {"encode", growatt_l_encode},
    {"json_decode", growatt_l_json_decode},
    {"session", growatt_l_session},
    {"write_file", growatt_l_write_file},
    {"read_file", growatt_l_read_file},
    {"file_stamp", growatt_l_file_stamp},
    {"locked", growatt_l_locked},
    {"now", growatt_l_now},
    {"sleep", growatt_l_sleep},
    {NULL, NULL},
};

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int luaopen_growatt_core(lua_State *L);

int luaopen_growatt_core(lua_State *L)
{
    if (pthread_once(&curl_once, init_curl) != 0 || curl_init_rc != CURLE_OK)
        return luaL_error(L, "growatt.core: curl_global_init failed");
    growatt_session_register(L);
    luaL_newlib(L, core_functions);
    lua_pushliteral(L, GROWATT_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
