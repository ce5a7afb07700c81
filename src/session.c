/* The Session userdata (session.h): its methods, its life, and core.session. The work is
 * done elsewhere: transfer.c, request.c, apply.c and result.c for a request, multi.c for
 * perform_many, cookies.c for the jar. */
#include <string.h>
#include "request.h"
#include "result.h"
#include "session.h"

growatt_session *growatt_check_session(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, GROWATT_SESSION_MT);
}

static growatt_session *check_session(lua_State *L)
{
    return growatt_check_session(L, 1);
}

/* close(), __gc and __close: idempotent, and safe on a half-built session. Every easy handle
 * lets go of the share before the share itself is released. */
static int session_close(lua_State *L)
{
    growatt_session *s = check_session(L);
    growatt_pool_free(s->pool);
    s->pool = NULL;
    growatt_transfer_free(&s->xfer);
    growatt_jar_free(&s->jar);
    if (s->share != NULL)
        curl_share_cleanup(s->share);
    s->share = NULL;
    growatt_config_free(&s->config);
    s->closed = 1;
    return 0;
}

static int session_configure(lua_State *L)
{
    growatt_session *s = check_session(L);
    /* A closed session validates the options (misuse still raises) and keeps nothing. */
    growatt_config_set(L, s->closed ? NULL : &s->config, 2);
    return 0;
}

static int session_request(lua_State *L)
{
    growatt_session *s = check_session(L);
    growatt_request r;
    CURLcode rc;

    growatt_request_read(L, &s->config, 2, &r);
    if (s->closed)
        return growatt_push_error(L, "closed", "session is closed", -1);
    growatt_request_apply(L, &s->xfer, &s->config, &r);
    rc = curl_easy_perform(s->xfer.easy);
    if (s->xfer.set_cookie)
        growatt_jar_bound(&s->jar);
    return growatt_transfer_push_result(L, &s->xfer, rc);
}

static int session_perform_many(lua_State *L)
{
    growatt_session *s = check_session(L);
    if (growatt_perform_many(L, s->closed ? NULL : &s->pool, s->share, &s->config) > 0)
        growatt_jar_bound(&s->jar);
    return 2;
}

static int session_cookies(lua_State *L)
{
    growatt_jar_push(L, &check_session(L)->jar);
    return 1;
}

static int session_set_cookies(lua_State *L)
{
    growatt_session *s = check_session(L);
    size_t len;
    const char *text;

    luaL_checktype(L, 2, LUA_TSTRING);
    text = lua_tolstring(L, 2, &len);
    if (!s->closed)
        growatt_jar_import(L, &s->jar, text, len);
    return 0;
}

static int session_clear_cookies(lua_State *L)
{
    growatt_session *s = check_session(L);
    if (!s->closed)
        growatt_jar_clear(&s->jar);
    return 0;
}

static int session_cookies_dropped(lua_State *L)
{
    growatt_session *s = check_session(L);
    lua_pushinteger(L, (lua_Integer)s->jar.dropped);
    return 1;
}

static int session_tostring(lua_State *L)
{
    growatt_session *s = check_session(L);
    if (s->closed)
        lua_pushliteral(L, "growatt.Session (closed)");
    else
        lua_pushfstring(L, "growatt.Session (%p)", (void *)s);
    return 1;
}

static const luaL_Reg session_methods[] = {
    {"configure", session_configure},
    {"request", session_request},
    {"perform_many", session_perform_many},
    {"cookies", session_cookies},
    {"set_cookies", session_set_cookies},
    {"clear_cookies", session_clear_cookies},
    {"cookies_dropped", session_cookies_dropped},
    {"close", session_close},
    {NULL, NULL},
};

static const luaL_Reg session_meta[] = {
    {"__gc", session_close},
#if LUA_VERSION_NUM >= 504
    {"__close", session_close},
#endif
    {"__tostring", session_tostring},
    {NULL, NULL},
};

void growatt_session_register(lua_State *L)
{
    luaL_newmetatable(L, GROWATT_SESSION_MT);
    luaL_setfuncs(L, session_meta, 0);
    luaL_newlib(L, session_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    growatt_result_register(L);
}

/* What the session's handles have in common. curl calls no lock function without threads:
 * a session is used by one thread at a time. */
static int share_everything(CURLSH *share)
{
    static const curl_lock_data what[] = {
        CURL_LOCK_DATA_COOKIE, CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION,
        CURL_LOCK_DATA_CONNECT,
    };
    size_t i;
    for (i = 0; i < sizeof what / sizeof what[0]; i++)
        if (curl_share_setopt(share, CURLSHOPT_SHARE, what[i]) != CURLSHE_OK)
            return 0;
    return 1;
}

int growatt_l_session(lua_State *L)
{
    growatt_session *s;

    if (!lua_isnoneornil(L, 1))
        luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1); /* the options stay at 1 when the userdata is pushed */
    s = lua_newuserdata(L, sizeof *s);
    memset(s, 0, sizeof *s);
    growatt_config_init(&s->config);
    luaL_setmetatable(L, GROWATT_SESSION_MT);
    /* From here on __gc owns whatever the session holds, even if what follows raises. */
    if ((s->share = curl_share_init()) == NULL || !share_everything(s->share))
        return luaL_error(L, "cannot create a curl share handle");
    if (growatt_transfer_open(&s->xfer, s->share) != CURLE_OK ||
        growatt_jar_open(&s->jar, s->share) != 0)
        return luaL_error(L, "cannot create a curl easy handle");
    growatt_config_set(L, &s->config, 1);
    return 1;
}
