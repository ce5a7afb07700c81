/* The Growatt password hash: MD5 as lowercase hex, then every '0' at an even index
 * (the high nibble of a byte) becomes 'c'. That is what the app sends, so the server
 * compares against exactly this string.
 *
 * And what a store keeps instead of that hash: a verifier, HMAC-SHA256 keyed by a random
 * salt of the store, so that a login can prove its password against a stored session while
 * the store holds nothing that logs in. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "hash.h"

static const char hex[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int growatt_hash_password(const char *pw, size_t len, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned int i;

    if (!EVP_Digest(pw, len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16)
        return -1;
    to_hex(md, 16, out);
    for (i = 0; i < 32; i += 2)
        if (out[i] == '0')
            out[i] = 'c';
    return 0;
}

int growatt_verifier(const char *salt, size_t salt_len, const char *hash, size_t hash_len,
                     char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    if (salt_len > GROWATT_MAX_SALT)
        return -1;
    if (HMAC(EVP_sha256(), salt, (int)salt_len, (const unsigned char *)hash, hash_len, mac, &maclen) == NULL ||
        maclen != 32)
        return -1;
    to_hex(mac, 32, out);
    return 0;
}

int growatt_l_hash_password(lua_State *L)
{
    size_t len;
    const char *pw = luaL_checklstring(L, 1, &len);
    char out[33];

    if (growatt_hash_password(pw, len, out) != 0)
        return luaL_error(L, "hash_password: MD5 is not available in libcrypto");
    lua_pushlstring(L, out, 32);
    return 1;
}

int growatt_l_verifier(lua_State *L)
{
    size_t salt_len, hash_len;
    const char *salt = luaL_checklstring(L, 1, &salt_len);
    const char *hash = luaL_checklstring(L, 2, &hash_len);
    char out[65];

    luaL_argcheck(L, salt_len >= 16 && salt_len <= GROWATT_MAX_SALT, 1, "a salt of 16 to 1024 bytes expected");
    if (growatt_verifier(salt, salt_len, hash, hash_len, out) != 0)
        return luaL_error(L, "verifier: HMAC-SHA256 is not available in libcrypto");
    lua_pushlstring(L, out, 64);
    return 1;
}

int growatt_l_salt(lua_State *L)
{
    unsigned char bytes[32];
    char out[65];

    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return luaL_error(L, "salt: libcrypto has no random bytes");
    to_hex(bytes, sizeof bytes, out);
    lua_pushlstring(L, out, 64);
    return 1;
}
