/* A session's settings (config.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "text.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY 8388608LL

/* Rounded up, so that a tiny positive timeout does not become curl's 0 = "no timeout". */
long growatt_seconds_to_ms(lua_State *L, int idx, const char *what)
{
    double ms;
    long out;
    if (lua_type(L, idx) != LUA_TNUMBER)
        luaL_error(L, "%s must be a number of seconds, got %s", what, luaL_typename(L, idx));
    ms = (double)lua_tonumber(L, idx) * 1000.0;
    if (!(ms >= 0))
        luaL_error(L, "%s must be a non-negative number of seconds", what);
    if (ms >= (double)LONG_MAX)
        return LONG_MAX;
    out = (long)ms;
    return (double)out < ms ? out + 1 : out;
}

enum { OPT_STRING, OPT_SECONDS, OPT_SIZE };

static const struct {
    const char *name;
    int type;
} session_options[] = {
    {"base_url", OPT_STRING},   {"user_agent", OPT_STRING}, {"connect_timeout", OPT_SECONDS},
    {"timeout", OPT_SECONDS},   {"ca_file", OPT_STRING},    {"proxy", OPT_STRING},
    {"max_body", OPT_SIZE},     {NULL, 0},
};

void growatt_config_init(growatt_config *c)
{
    memset(c, 0, sizeof *c);
    c->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    c->max_body = DEFAULT_MAX_BODY;
}

void growatt_config_free(growatt_config *c)
{
    free(c->base_url);
    free(c->user_agent);
    free(c->ca_file);
    free(c->proxy);
    c->base_url = c->user_agent = c->ca_file = c->proxy = NULL;
}

static char **config_string(growatt_config *c, const char *name)
{
    if (strcmp(name, "base_url") == 0)
        return &c->base_url;
    if (strcmp(name, "user_agent") == 0)
        return &c->user_agent;
    if (strcmp(name, "ca_file") == 0)
        return &c->ca_file;
    return &c->proxy;
}

/* Checks the string option key whose value is at -1; stores a copy if apply is set. */
static void config_string_option(lua_State *L, growatt_config *c, const char *key, int apply)
{
    size_t len;
    const char *s;
    char *copy, **slot;
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "session option '%s' must be a string, got %s", key, luaL_typename(L, -1));
    s = lua_tolstring(L, -1, &len);
    if (strlen(s) != len)
        luaL_error(L, "session option '%s' must not contain NUL bytes", key);
    if (strcmp(key, "user_agent") == 0 && !growatt_is_header_safe(s, len))
        luaL_error(L, "session option 'user_agent' must not contain control characters");
    if (!apply)
        return;
    if ((copy = growatt_dup(s, len)) == NULL)
        luaL_error(L, "not enough memory");
    slot = config_string(c, key);
    free(*slot);
    *slot = copy;
}

/* Checks the option whose key and value are at -2 and -1; stores it if apply is set. */
static void config_option(lua_State *L, growatt_config *c, int apply)
{
    const char *key;
    int i;
    if (lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "session options must have string keys, got a %s key",
                   luaL_typename(L, -2));
    key = lua_tostring(L, -2);
    for (i = 0; session_options[i].name != NULL; i++)
        if (strcmp(key, session_options[i].name) == 0)
            break;
    if (session_options[i].name == NULL)
        luaL_error(L, "unknown session option '%s'", key);

    if (session_options[i].type == OPT_STRING) {
        config_string_option(L, c, key, apply);
    } else if (session_options[i].type == OPT_SECONDS) {
        const char *what = lua_pushfstring(L, "session option '%s'", key);
        long ms = growatt_seconds_to_ms(L, -2, what);
        lua_pop(L, 1);
        if (apply)
            *(strcmp(key, "timeout") == 0 ? &c->timeout_ms : &c->connect_timeout_ms) = ms;
    } else {
        long long n = 0;
        if (!growatt_tointegral(L, -1, &n) || n < 0)
            luaL_error(L, "session option '%s' must be a non-negative integer, got %s", key,
                       lua_type(L, -1) == LUA_TNUMBER ? "a fraction or negative number"
                                                      : luaL_typename(L, -1));
        if (apply)
            c->max_body = n;
    }
}

/* Two walks over the table: the first only validates, so that a bad option changes nothing.
 * With c NULL, only validates. */
void growatt_config_set(lua_State *L, growatt_config *c, int idx)
{
    int apply, walks = c != NULL ? 2 : 1;
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    for (apply = 0; apply < walks; apply++) {
        lua_pushnil(L);
        while (lua_next(L, idx) != 0) {
            config_option(L, c, apply);
            lua_pop(L, 1);
        }
    }
}
