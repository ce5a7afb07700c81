/* The session's cookie jar and its text form. The cookies live in the curl share of the
 * session's handles; the jar reads and writes them through an easy handle of its own that
 * never makes a transfer (curl refuses cookies on a handle that took 50 from its last
 * response). The jar is capped at 50 cookies and 16 KiB: a server that sets new cookies on
 * every reply would grow it, and the state file it is saved to, without end. */
#ifndef GROWATT_COOKIES_H
#define GROWATT_COOKIES_H

#include <stddef.h>
#include <curl/curl.h>
#include "compat.h"

typedef struct growatt_jar {
    CURL *easy;                /* the handle for the share's cookies; NULL when closed */
    struct curl_slist *export; /* CURLINFO_COOKIELIST result while it is copied into Lua */
    unsigned long dropped;     /* cookies past the caps, dropped */
} growatt_jar;

/* Makes the jar's handle on the share; returns 0, or -1 (the jar is then left to
 * growatt_jar_free). */
int growatt_jar_open(growatt_jar *j, CURLSH *share);

/* Idempotent; the dropped count stays. */
void growatt_jar_free(growatt_jar *j);

/* Pushes the cookies the session can send, one Netscape line each, joined by "\n"; "" for a
 * closed jar. What is pushed imports back to itself through growatt_jar_import. */
void growatt_jar_push(lua_State *L, growatt_jar *j);

/* Replaces the cookies with the valid lines of text (as growatt_jar_push gives them), as many
 * as the caps hold. Raises only when memory runs out. */
void growatt_jar_import(lua_State *L, growatt_jar *j, const char *text, size_t len);

void growatt_jar_clear(growatt_jar *j);

/* Drops the cookies past the caps, counting them; after a response that set cookies. */
void growatt_jar_bound(growatt_jar *j);

#endif
