/* The Growatt password hash: MD5 as lowercase hex, then every '0' at an even index
 * (the high nibble of a byte) becomes 'c'. That is what the app sends, so the server
 * compares against exactly this string. */
#include <openssl/evp.h>
#include "hash.h"

int growatt_hash_password(const char *pw, size_t len, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned int i;

    if (!EVP_Digest(pw, len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16)
        return -1;
    for (i = 0; i < 16; i++) {
        unsigned hi = md[i] >> 4;
        out[2 * i] = hi == 0 ? 'c' : hex[hi];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
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
