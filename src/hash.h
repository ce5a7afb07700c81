/* The Growatt password hash (protocol.md 1.2). */
#ifndef GROWATT_HASH_H
#define GROWATT_HASH_H

#include <stddef.h>
#include "compat.h"

/* Writes the 32-character hash of the len bytes at pw, plus a NUL, to out.
 * Returns 0, or -1 when libcrypto cannot compute MD5 (e.g. a FIPS-only build). */
int growatt_hash_password(const char *pw, size_t len, char out[33]);

/* core.hash_password(pw) -> string */
int growatt_l_hash_password(lua_State *L);

#endif
