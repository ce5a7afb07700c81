/* Byte strings and HTTP text (text.h). */
#include <stdlib.h>
#include <string.h>
#include "text.h"

char *growatt_dup(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

int growatt_same_name(const char *a, size_t alen, const char *b)
{
    size_t i;
    if (alen != strlen(b))
        return 0;
    for (i = 0; i < alen; i++)
        if (growatt_lower((unsigned char)a[i]) != growatt_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

int growatt_starts_with_nocase(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && growatt_same_name(s, n, prefix);
}

int growatt_is_token(const char *s, size_t len)
{
    size_t i;
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL)))
            return 0;
    }
    return 1;
}

/* RFC 9110 field-value: CR, LF or NUL would split or cut the header, and curl takes a value
 * of other white space (form feed, vertical tab) as blank and drops the header. */
int growatt_is_header_safe(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}
