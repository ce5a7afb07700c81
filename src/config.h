/* A session's settings: the option table of core.session(opts) and session:configure(opts),
 * applied to an easy handle before every request (transfer.c). */
#ifndef GROWATT_CONFIG_H
#define GROWATT_CONFIG_H

#include "compat.h"

/* growatt.core._VERSION; the default user agent carries it too. */
#define GROWATT_VERSION "0.1.0"
#define GROWATT_DEFAULT_USER_AGENT "lua-growatt/" GROWATT_VERSION

/* NULL strings mean the default (base_url "", the library's user agent, curl's CA bundle, no
 * explicit proxy). */
typedef struct growatt_config {
    char *base_url, *user_agent, *ca_file, *proxy;
    long connect_timeout_ms, timeout_ms;
    long long max_body;
} growatt_config;

/* Defaults, update from the option table at the absolute index idx (validated as a whole
 * before any change, raises on misuse; with c NULL it only validates), release. */
void growatt_config_init(growatt_config *c);
void growatt_config_set(lua_State *L, growatt_config *c, int idx);
void growatt_config_free(growatt_config *c);

/* The number of seconds at idx as whole milliseconds, rounded up; raises "<what> must be a
 * (non-negative) number of seconds" for anything else. */
long growatt_seconds_to_ms(lua_State *L, int idx, const char *what);

#endif
