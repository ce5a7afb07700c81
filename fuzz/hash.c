/* Fuzz target: the password hash and the verifier (hash.c) against their definitions.
 * The hash: MD5 as lowercase hex, with every '0' at an even index replaced by 'c'; the bytes
 * are the password. The verifier: HMAC-SHA256 (RFC 2104, built here from SHA-256 alone)
 * keyed by a salt; the first byte of the input says how many of the next bytes are the salt,
 * the rest is the message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sha256(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen,
                   unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, a, alen) ||
        !EVP_DigestUpdate(ctx, b, blen) || !EVP_DigestFinal_ex(ctx, out, NULL))
        abort();
    EVP_MD_CTX_free(ctx);
}

static void check_verifier(const uint8_t *data, size_t size)
{
    unsigned char key[64] = {0}, pad[64], inner[32], mac[32];
    char want[65], got[65];
    size_t salt_len, i;

    if (size == 0)
        return;
    salt_len = data[0] < size - 1 ? data[0] : size - 1;
    data++;
    size--;
    if (salt_len > 64)
        sha256(data, salt_len, NULL, 0, key);
    else
        memcpy(key, data, salt_len);
    for (i = 0; i < 64; i++)
        pad[i] = key[i] ^ 0x36;
    sha256(pad, 64, data + salt_len, size - salt_len, inner);
    for (i = 0; i < 64; i++)
        pad[i] = key[i] ^ 0x5c;
    sha256(pad, 64, inner, 32, mac);
    for (i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", mac[i]);
    if (growatt_verifier((const char *)data, salt_len, (const char *)data + salt_len, size - salt_len, got) != 0 ||
        memcmp(got, want, 65) != 0) {
        fprintf(stderr, "fuzz verifier: got %.65s, want %s\n", got, want);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char md[16];
    char want[33], got[33];
    int i;

    EVP_Digest(data, size, md, NULL, EVP_md5(), NULL);
    for (i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", md[i]);
    for (i = 0; i < 32; i += 2)
        if (want[i] == '0')
            want[i] = 'c';
    if (growatt_hash_password((const char *)data, size, got) != 0 || memcmp(got, want, 33) != 0) {
        fprintf(stderr, "fuzz hash: got %.33s, want %s\n", got, want);
        abort();
    }
    check_verifier(data, size);
    return 0;
}
