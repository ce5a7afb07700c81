/* Byte strings and HTTP text: copies, case-insensitive names, tokens and header-safe values.
 * No Lua here: these run inside libcurl callbacks too. */
#ifndef GROWATT_TEXT_H
#define GROWATT_TEXT_H

#include <stddef.h>

/* A malloc'd NUL-terminated copy of the len bytes at s, or NULL. */
char *growatt_dup(const char *s, size_t len);

/* ASCII lowercase of the byte c; inline, as it runs once per byte of every header name. */
static inline int growatt_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Whether the alen bytes at a equal the string b, ignoring ASCII case. */
int growatt_same_name(const char *a, size_t alen, const char *b);

/* Whether the len bytes at s start with prefix, ignoring ASCII case. */
int growatt_starts_with_nocase(const char *s, size_t len, const char *prefix);

/* RFC 9110 token characters: what a method or a header name may contain. */
int growatt_is_token(const char *s, size_t len);

/* Whether a header value holds no control byte but a tab. */
int growatt_is_header_safe(const char *s, size_t len);

#endif
