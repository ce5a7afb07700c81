/* Fuzz target: the password hash (hash.c) against its definition: MD5 as lowercase hex, with
 * every '0' at an even index replaced by 'c'. The bytes are the password. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    return 0;
}
