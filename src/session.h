/* The Session userdata: the settings, one reused easy handle (keep-alive, TLS session reuse),
 * the curl share its handles have in common, the cookie jar and the pool of perform_many. */
#ifndef GROWATT_SESSION_H
#define GROWATT_SESSION_H

#include <curl/curl.h>
#include "config.h"
#include "cookies.h"
#include "multi.h"
#include "transfer.h"

#define GROWATT_SESSION_MT "growatt.Session"

typedef struct growatt_session {
    growatt_config config;
    growatt_transfer xfer;
    /* Cookies, DNS cache, connections and TLS sessions, shared by xfer, the jar and the
     * pool's handles: a login made by request() is seen by perform_many() and back. */
    CURLSH *share;
    growatt_jar jar;
    growatt_pool *pool; /* NULL until the first perform_many */
    int closed;
} growatt_session;

/* The Session userdata at idx (raises if it is not one). */
growatt_session *growatt_check_session(lua_State *L, int idx);

/* Creates the Session and Error metatables in this Lua state. */
void growatt_session_register(lua_State *L);

/* core.session(opts) -> Session */
int growatt_l_session(lua_State *L);

#endif
