/* The Growatt password hash (protocol.md 1.2), and the salted verifier stores keep of it. */
#ifndef GROWATT_HASH_H
#define GROWATT_HASH_H

#include <stddef.h>
#include "compat.h"

/* The longest salt growatt_verifier takes, in bytes. */
#define GROWATT_MAX_SALT 1024

/* Writes the 32-character hash of the len bytes at pw, plus a NUL, to out.
 * Returns 0, or -1 when libcrypto cannot compute MD5 (e.g. a FIPS-only build). */
int growatt_hash_password(const char *pw, size_t len, char out[33]);

/* Writes HMAC-SHA256(key = salt, message = hash) as 64 lowercase hex characters, plus a NUL,
 * to out. Returns 0, or -1 when the salt is longer than GROWATT_MAX_SALT or libcrypto fails. */
int growatt_verifier(const char *salt, size_t salt_len, const char *hash, size_t hash_len,
                     char out[65]);

/* core.hash_password(pw) -> string */
int growatt_l_hash_password(lua_State *L);

/* core.verifier(salt, hash) -> 64 hex characters; the salt is 16 to 1024 bytes */
int growatt_l_verifier(lua_State *L);

/* core.salt() -> 64 hex characters of libcrypto's random bytes */
int growatt_l_salt(lua_State *L);

#endif
