/* The session's cookie jar and its text form (cookies.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cookies.h"
#include "text.h"

#define MAX_COOKIES 50
#define MAX_COOKIE_BYTES (16 * 1024)

int growatt_jar_open(growatt_jar *j, CURLSH *share)
{
    if ((j->easy = curl_easy_init()) == NULL ||
        curl_easy_setopt(j->easy, CURLOPT_SHARE, share) != CURLE_OK)
        return -1;
    return 0;
}

void growatt_jar_free(growatt_jar *j)
{
    if (j->easy != NULL)
        curl_easy_cleanup(j->easy);
    j->easy = NULL;
    curl_slist_free_all(j->export);
    j->export = NULL;
}

/* ---------------------------------------------------------------- the text form */

/* A byte of a host name, or of an IPv6 address in brackets. */
static int is_host_char(unsigned char c, int bracketed)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || (bracketed && (c == '[' || c == ']' || c == ':'));
}

/* Skips "TRUE" (or, when false_too, "FALSE") and the tab after it; NULL for anything else. */
static const char *skip_bool(const char *p, int false_too)
{
    if (strncmp(p, "TRUE\t", 5) == 0)
        return p + 5;
    return false_too && strncmp(p, "FALSE\t", 6) == 0 ? p + 6 : NULL;
}

/* Skips a field of at least min bytes up to its tab (or, when last, to the end); NULL for a
 * control byte in it (curl ends a line at "\r"), or an empty or missing field. */
static const char *skip_field(const char *p, size_t min, int last)
{
    const char *start = p;
    for (; *p != '\t' && *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    if ((size_t)(p - start) < min || (*p == '\t') == last)
        return NULL;
    return last ? p : p + 1;
}

/* Whether a cookie line is one the session imports and exports: the Netscape format exactly
 * as CURLINFO_COOKIELIST lists a cookie that can be sent. That is "#HttpOnly_" or nothing,
 * then seven tab-separated fields: a host name or address with no empty label (a leading
 * dot only with tail matching: curl reads ".x" with FALSE back as "x"); TRUE or FALSE; a
 * path starting with "/"; TRUE or FALSE; the expiry in seconds, 0 for a session cookie,
 * not past (curl keeps an expired cookie until the next one is added, and lists it); the
 * name, not empty; the value. Anything else, which curl would take in some other way (a
 * Set-Cookie header, a command such as ALL, a missing path it makes up, an empty field that
 * shifts the ones after it), is left out, so that what is exported imports back to itself. */
static int cookie_line_ok(const char *p, time_t now)
{
    const char *host;
    long long expires = 0;
    int dotted, digits = 0;

    if (strncmp(p, "#HttpOnly_", 10) == 0)
        p += 10;
    if ((dotted = *p == '.'))
        p++;
    for (host = p; *p != '\t'; p++)
        if (!is_host_char((unsigned char)*p, *host == '[') ||
            (*p == '.' && (p == host || p[-1] == '.')))
            return 0;
    if (p == host)
        return 0;
    if ((p = skip_bool(p + 1, !dotted)) == NULL || *p != '/' || (p = skip_field(p, 1, 0)) == NULL ||
        (p = skip_bool(p, 1)) == NULL)
        return 0;
    for (; *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
        expires = expires * 10 + (*p - '0');
    if (digits == 0 || *p++ != '\t' || (expires != 0 && expires <= (long long)now))
        return 0;
    return (p = skip_field(p, 1, 0)) != NULL && skip_field(p, 0, 1) != NULL;
}

/* The cookie list is owned by the jar while it is copied into Lua, so that a memory error
 * during the copy leaves it to be freed by the next call or by close. */
void growatt_jar_push(lua_State *L, growatt_jar *j)
{
    struct curl_slist *item;
    luaL_Buffer b;
    time_t now = time(NULL);
    int first = 1;

    curl_slist_free_all(j->export);
    j->export = NULL;
    if (j->easy == NULL ||
        curl_easy_getinfo(j->easy, CURLINFO_COOKIELIST, &j->export) != CURLE_OK) {
        lua_pushliteral(L, "");
        return;
    }
    luaL_buffinit(L, &b);
    for (item = j->export; item != NULL; item = item->next) {
        if (!cookie_line_ok(item->data, now))
            continue;
        if (!first)
            luaL_addchar(&b, '\n');
        luaL_addstring(&b, item->data);
        first = 0;
    }
    luaL_pushresult(&b);
    curl_slist_free_all(j->export);
    j->export = NULL;
}

void growatt_jar_clear(growatt_jar *j)
{
    curl_easy_setopt(j->easy, CURLOPT_COOKIELIST, "ALL");
}

/* ---------------------------------------------------------------- the caps */

/* How many cookies the jar holds, and their lines' bytes. */
struct jar_size {
    size_t count, bytes;
};

/* Adds a cookie line (cookie_line_ok) to the jar when it fits in the caps; else counts it
 * as dropped. */
static void keep_cookie(growatt_jar *j, const char *line, struct jar_size *size)
{
    size_t n = strlen(line);
    if (size->count >= MAX_COOKIES || n > MAX_COOKIE_BYTES - size->bytes) {
        j->dropped++;
        return;
    }
    curl_easy_setopt(j->easy, CURLOPT_COOKIELIST, line);
    size->count++;
    size->bytes += n;
}

/* Works on a private copy, cut into NUL-terminated lines for curl. No Lua call happens while
 * it is held, so nothing can raise before it is freed. */
void growatt_jar_import(lua_State *L, growatt_jar *j, const char *text, size_t len)
{
    char *copy, *line, *next;
    struct jar_size size = {0, 0};
    time_t now = time(NULL);

    if ((copy = growatt_dup(text, len)) == NULL)
        luaL_error(L, "not enough memory");
    growatt_jar_clear(j);
    for (line = copy; line != NULL; line = next) {
        size_t n;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        if (cookie_line_ok(line, now))
            keep_cookie(j, line, &size);
    }
    free(copy);
}

/* When the jar is over the caps, the cookies curl lists first (a host's oldest) stay and the
 * rest are dropped. Nothing here calls Lua, so the list is freed on every way out. */
void growatt_jar_bound(growatt_jar *j)
{
    struct curl_slist *list = NULL, *item;
    struct jar_size size = {0, 0};
    time_t now = time(NULL);

    if (curl_easy_getinfo(j->easy, CURLINFO_COOKIELIST, &list) != CURLE_OK)
        return;
    for (item = list; item != NULL; item = item->next)
        if (cookie_line_ok(item->data, now)) {
            size.count++;
            size.bytes += strlen(item->data);
        }
    if (size.count > MAX_COOKIES || size.bytes > MAX_COOKIE_BYTES) {
        growatt_jar_clear(j);
        size.count = size.bytes = 0;
        for (item = list; item != NULL; item = item->next)
            if (cookie_line_ok(item->data, now))
                keep_cookie(j, item->data, &size);
    }
    curl_slist_free_all(list);
}
