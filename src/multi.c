/* session:perform_many: many requests in flight at once through a curl multi handle
 * (multi.h).
 *
 *   local results, errs = session:perform_many({
 *     { "GET", "PlantListAPI.do", { query = { { "userId", 1 } } } },
 *     { "POST", "newPlantAPI.do", { form = ... } },
 *   }, { concurrency = 8 })
 *
 * results[i] is what session:request would return for requests[i], or false; then errs[i] is
 * its error table. Every request is read and checked before anything is sent, so misuse
 * raises with nothing on the wire. At most `concurrency` transfers are in flight at any time.
 *
 * The easy handles live in a pool owned by the Session and are reused by later batches. They
 * share the Session's cookies, DNS cache, connections and TLS sessions (its curl share). No Lua
 * code runs inside libcurl: the callbacks only fill buffers, and results are built between
 * calls into the multi handle. If building one raises (out of memory), the handles still in
 * the multi handle are detached by the next perform_many or by close. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "multi.h"
#include "request.h"
#include "result.h"
#include "transfer.h"

#define DEFAULT_CONCURRENCY 8
/* Handles kept between batches; a larger batch makes the rest and frees them afterwards. */
#define POOL_KEEP 64

typedef struct pool_slot {
    growatt_transfer t; /* first: CURLOPT_PRIVATE points at the slot */
    size_t request;     /* 1-based index of the request it runs, in the multi handle; 0: idle */
} pool_slot;

struct growatt_pool {
    CURLM *multi;
    pool_slot **slots;
    size_t n, cap;
};

/* Fields of a request read ahead of the batch: one small table per request. */
enum { F_METHOD = 1, F_URL, F_HEADERS, F_TIMEOUT, F_BODY, F_MULTIPART, F_COUNT = F_MULTIPART };

/* ---------------------------------------------------------------- the pool */

static void slot_detach(growatt_pool *p, pool_slot *slot)
{
    if (slot->request != 0)
        curl_multi_remove_handle(p->multi, slot->t.easy);
    slot->request = 0;
}

static void slot_free(growatt_pool *p, pool_slot *slot)
{
    slot_detach(p, slot);
    growatt_transfer_free(&slot->t);
    free(slot);
}

/* Detaches whatever a batch that raised left in flight, and frees the slots past keep. */
static void pool_settle(growatt_pool *p, size_t keep)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        slot_detach(p, p->slots[i]);
    while (p->n > keep)
        slot_free(p, p->slots[--p->n]);
}

void growatt_pool_free(growatt_pool *p)
{
    if (p == NULL)
        return;
    pool_settle(p, 0);
    if (p->multi != NULL)
        curl_multi_cleanup(p->multi);
    free(p->slots);
    free(p);
}

static growatt_pool *pool_open(lua_State *L, growatt_pool **pool)
{
    if (*pool == NULL) {
        growatt_pool *p = calloc(1, sizeof *p);
        if (p == NULL)
            luaL_error(L, "not enough memory");
        if ((p->multi = curl_multi_init()) == NULL) {
            free(p);
            luaL_error(L, "cannot create a curl multi handle");
        }
        *pool = p;
    }
    return *pool;
}

/* An idle slot, made (and kept in the pool) when there is none. */
static pool_slot *pool_idle_slot(lua_State *L, growatt_pool *p, CURLSH *share)
{
    pool_slot *slot;
    size_t i;

    for (i = 0; i < p->n; i++)
        if (p->slots[i]->request == 0)
            return p->slots[i];
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        pool_slot **grown = realloc(p->slots, cap * sizeof *grown);
        if (grown == NULL)
            luaL_error(L, "not enough memory");
        p->slots = grown;
        p->cap = cap;
    }
    if ((slot = calloc(1, sizeof *slot)) == NULL)
        luaL_error(L, "not enough memory");
    if (growatt_transfer_open(&slot->t, share) != CURLE_OK ||
        curl_easy_setopt(slot->t.easy, CURLOPT_PRIVATE, (void *)slot) != CURLE_OK) {
        slot_free(p, slot);
        luaL_error(L, "cannot create a curl easy handle");
    }
    p->slots[p->n++] = slot;
    return slot;
}

/* ---------------------------------------------------------------- reading the batch */

static void set_field(lua_State *L, int table, int field, int value_idx)
{
    if (value_idx != 0) {
        lua_pushvalue(L, value_idx);
        lua_rawseti(L, table, field);
    }
}

/* Protected: (config, method, url, opts) -> the request's fields, or a raised message. */
static int read_one(lua_State *L)
{
    const growatt_config *c = lua_touserdata(L, 1);
    growatt_request r;
    int fields;

    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "method must be a string, got %s", luaL_typename(L, 2));
    if (lua_type(L, 3) != LUA_TSTRING)
        return luaL_error(L, "url must be a string, got %s", luaL_typename(L, 3));
    if (!lua_isnil(L, 4) && !lua_istable(L, 4))
        return luaL_error(L, "options must be a table, got %s", luaL_typename(L, 4));
    growatt_request_read(L, c, 2, &r);

    lua_createtable(L, F_COUNT, 0);
    fields = lua_gettop(L);
    set_field(L, fields, F_METHOD, 2);
    set_field(L, fields, F_URL, r.url);
    set_field(L, fields, F_HEADERS, r.headers);
    lua_pushnumber(L, (lua_Number)r.timeout_ms);
    lua_rawseti(L, fields, F_TIMEOUT);
    set_field(L, fields, F_BODY, r.body);
    set_field(L, fields, F_MULTIPART, r.multipart);
    return 1;
}

/* Reads every request into the list at `out` before anything is sent. */
static void read_batch(lua_State *L, const growatt_config *c, int requests, size_t n, int out)
{
    size_t i;
    for (i = 1; i <= n; i++) {
        int top = lua_gettop(L);
        lua_pushcfunction(L, read_one);
        lua_pushlightuserdata(L, (void *)c);
        lua_rawgeti(L, requests, (int)i);
        if (!lua_istable(L, -1))
            luaL_error(L, "perform_many: request %d must be a table {method, url [, opts]}, got %s",
                       (int)i, luaL_typename(L, -1));
        lua_rawgeti(L, top + 3, 1);
        lua_rawgeti(L, top + 3, 2);
        lua_rawgeti(L, top + 3, 3);
        lua_remove(L, top + 3);
        if (lua_pcall(L, 4, 1, 0) != 0)
            luaL_error(L, "perform_many: request %d: %s", (int)i,
                       lua_isstring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_rawseti(L, out, (int)i);
    }
}

static size_t read_concurrency(lua_State *L, int opts)
{
    long long n = DEFAULT_CONCURRENCY;
    if (lua_isnoneornil(L, opts))
        return (size_t)n;
    luaL_checktype(L, opts, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, opts) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "concurrency") != 0)
            luaL_error(L, "perform_many: unknown option '%s'",
                       lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : luaL_typename(L, -2));
        if (!growatt_tointegral(L, -1, &n) || n < 1)
            luaL_error(L, "perform_many: concurrency must be a positive integer");
        lua_pop(L, 1);
    }
    return (size_t)n;
}

/* ---------------------------------------------------------------- running it */

/* Hands request i (its fields read ahead into `prepared`) to an idle slot and the multi
 * handle. */
static void start(lua_State *L, growatt_pool *p, CURLSH *share, const growatt_config *c,
                  int prepared, size_t i)
{
    pool_slot *slot = pool_idle_slot(L, p, share);
    growatt_request r;
    int fields, f;

    lua_rawgeti(L, prepared, (int)i);
    fields = lua_gettop(L);
    /* the fields F_METHOD..F_MULTIPART go to fields + 1 .. fields + F_COUNT */
    for (f = 1; f <= F_COUNT; f++)
        lua_rawgeti(L, fields, f);
    memset(&r, 0, sizeof r);
    r.method = lua_tostring(L, fields + F_METHOD);
    r.url = fields + F_URL;
    r.headers = fields + F_HEADERS;
    r.timeout_ms = (long)lua_tonumber(L, fields + F_TIMEOUT);
    r.body = lua_isnil(L, fields + F_BODY) ? 0 : fields + F_BODY;
    r.multipart = lua_isnil(L, fields + F_MULTIPART) ? 0 : fields + F_MULTIPART;
    growatt_request_apply(L, &slot->t, c, &r);
    lua_settop(L, fields - 1);

    if (curl_multi_add_handle(p->multi, slot->t.easy) != CURLM_OK)
        luaL_error(L, "cannot start a transfer");
    slot->request = i;
}

/* Stores what was pushed for request i, res (nret 1) or nil, err (nret 2), as results[i], or
 * as errs[i] with results[i] false. */
static void store(lua_State *L, int nret, int results, int errs, int i)
{
    if (nret == 2) {
        lua_rawseti(L, errs, i);
        lua_pop(L, 1);
        lua_pushboolean(L, 0);
    }
    lua_rawseti(L, results, i);
}

/* Stores the result of a finished slot's request in results / errs. */
static void finish(lua_State *L, growatt_pool *p, pool_slot *slot, CURLcode rc, int results,
                   int errs)
{
    int i = (int)slot->request;
    curl_multi_remove_handle(p->multi, slot->t.easy);
    slot->request = 0;
    store(L, growatt_transfer_push_result(L, &slot->t, rc), results, errs, i);
}

/* Collects finished transfers; returns how many there were. */
static size_t collect(lua_State *L, growatt_pool *p, int results, int errs)
{
    CURLMsg *msg;
    int left;
    size_t done = 0;
    while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
        char *slot = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &slot);
        finish(L, p, (pool_slot *)(void *)slot, msg->data.result, results, errs);
        done++;
    }
    return done;
}

static void run(lua_State *L, growatt_pool *p, CURLSH *share, const growatt_config *c, size_t n,
                size_t limit, int prepared, int results, int errs)
{
    size_t next = 1, in_flight = 0;
    int running;

    pool_settle(p, POOL_KEEP);
    while (next <= n || in_flight > 0) {
        CURLMcode mc;
        size_t done;
        while (in_flight < limit && next <= n) {
            start(L, p, share, c, prepared, next++);
            in_flight++;
        }
        if ((mc = curl_multi_perform(p->multi, &running)) != CURLM_OK)
            luaL_error(L, "curl multi: %s", curl_multi_strerror(mc));
        done = collect(L, p, results, errs);
        in_flight -= done;
        /* Wait only when nothing finished: a finished transfer frees a place for the next. */
        if (done == 0 && in_flight > 0 &&
            (mc = curl_multi_poll(p->multi, NULL, 0, 1000, NULL)) != CURLM_OK)
            luaL_error(L, "curl multi: %s", curl_multi_strerror(mc));
    }
    pool_settle(p, POOL_KEEP);
}

size_t growatt_perform_many(lua_State *L, growatt_pool **pool, CURLSH *share,
                            const growatt_config *c)
{
    size_t i, n, limit;
    int prepared, results, errs;

    luaL_checktype(L, 2, LUA_TTABLE);
    limit = read_concurrency(L, 3);
    lua_settop(L, 3);
    n = (size_t)lua_rawlen(L, 2);
    if (n > (size_t)INT_MAX)
        luaL_error(L, "perform_many: too many requests");

    lua_createtable(L, (int)n, 0);
    prepared = lua_gettop(L);
    read_batch(L, c, 2, n, prepared);
    lua_createtable(L, (int)n, 0);
    results = lua_gettop(L);
    lua_createtable(L, 0, 0);
    errs = lua_gettop(L);

    if (pool == NULL) {
        for (i = 1; i <= n; i++)
            store(L, growatt_push_error(L, "closed", "session is closed", -1), results, errs,
                  (int)i);
        return 0;
    }
    if (n > 0)
        run(L, pool_open(L, pool), share, c, n, limit < n ? limit : n, prepared, results, errs);
    return n;
}
