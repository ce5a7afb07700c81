/* growatt.core: the C half of lua-growatt. HTTP and the session live here, the password hash
 * and form encoding too; Growatt's protocol lives in Lua. This comment is the module's public
 * surface, all of it. "Raises" means a Lua error at the caller (misuse, or no memory);
 * everything the network, a server or a file can do is returned as nil and an error instead.
 *
 * Files, one per concept: core.c (this module), session.c (the Session userdata), config.c
 * (its settings), transfer.c (an easy handle, its callbacks and buffers), request.c (reading
 * and checking a request), apply.c (handing it to curl), result.c (results and error kinds),
 * cookies.c (the jar and its text form), multi.c (perform_many), text.c (HTTP text), json.c,
 * encode.c, hash.c, file.c, clock.c, compat.h (Lua 5.1-5.4).
 *
 * ---- Functions
 *
 * core._VERSION                    the release, "X.Y.Z" (config.h), as the rockspec's
 * core.session([opts]) -> Session  see below; raises on a bad option
 * core.encode(pairs) -> string     application/x-www-form-urlencoded text of an ordered list of
 *                                  {name, value} pairs (name a string; value a string or
 *                                  number, integral numbers without ".0"); raises on a bad pair
 * core.json_decode(s) -> value     JSON null is a NULL light userdata (cjson.null), integers
 *                                  within 2^53 are integers on 5.3+; raises
 *                                  "json: <what> at byte <n>" on malformed text
 * core.hash_password(pw) -> hex    Growatt's password hash (protocol.md 1.2), 32 characters
 * core.verifier(salt, hash) -> hex HMAC-SHA256(salt, hash) as 64 characters, the salt 16 to
 *                                  1024 bytes (else raises)
 * core.salt() -> hex               64 hex characters of libcrypto's random bytes
 *   (the three raise when libcrypto cannot do it, e.g. MD5 in a FIPS-only build)
 * core.write_file(path, data) -> true, stamp | nil, message
 *                                  a new 0600 file beside path, synced, renamed over path
 * core.read_file(path, max) -> data, stamp | nil, message, reason
 *                                  the whole file if it is at most max bytes (0 <= max < 1 GiB);
 *                                  reason "missing", "too_large" or "io"
 * core.file_stamp(path) -> stamp | nil, message, reason
 *                                  the file's identity and version as one string; reason
 *                                  "missing" or "io"
 * core.locked(path, fn) -> fn's results | nil, message
 *                                  runs fn holding an flock of path (made 0600 when missing);
 *                                  an error in fn is raised again once the lock is let go
 * core.now() -> seconds            wall clock, epoch seconds with sub-second precision
 * core.sleep(seconds)              blocks the thread (not for nginx); <= 0 returns at once,
 *                                  at most a day
 *
 * ---- The Session (growatt.Session): one reused easy handle, a share of cookies, DNS, TLS
 * sessions and connections with the handles of perform_many, and an in-memory cookie jar.
 *
 * Session options (core.session, session:configure), every one optional, checked as a whole
 * before any is taken; an unknown key or a wrong type raises:
 *   base_url         string prepended to a request's url when it is not absolute (http://,
 *                    https://); default "". The Lua layer passes absolute URLs; the bench,
 *                    soak tool, specs and fuzzers talk to one server with paths.
 *   user_agent       string, no control characters; default "lua-growatt/<version>"
 *   connect_timeout  seconds, default 10;  timeout: seconds for the whole transfer, default 30
 *   ca_file          CA bundle path (TLS verification cannot be turned off); default curl's
 *   proxy            proxy URL; default none set here (curl reads the environment)
 *   max_body         largest response body in bytes, an integer >= 0; default 8 MiB
 *
 * session:request(method, url [, opts]) -> res | nil, err
 *   method: any HTTP token ("GET", "POST", "HEAD", and others such as "PUT", which go out as
 *   curl's custom request). url: absolute, or a path under base_url. opts, every key optional:
 *     query         {name, value} pairs appended to the URL ("?" or "&", before a fragment)
 *     form          pairs sent as a form-urlencoded body (an empty form sends no body)
 *     multipart     pairs sent as multipart/form-data fields
 *     body          a raw body string; content_type: its Content-Type (with body only;
 *                   default application/octet-stream). form, multipart and body exclude
 *                   each other; a HEAD request has none.
 *     headers       {name, value} pairs and/or a name -> value map; an empty value is sent
 *                   empty; a Content-Type here replaces the body's
 *     timeout       seconds for this request, in place of the session's
 *   A bodiless POST is sent with Content-Length: 0 and no Content-Type. Misuse raises with
 *   nothing sent: a wrong type, an unknown option, a bad header name or value, NUL in the URL.
 *   res = { status = integer, headers = { [lowercase name] = value (repeats joined by ", ",
 *   set-cookie's by "\n") }, body = string, url = the effective URL, elapsed = seconds,
 *   redirect_url = where a 3xx pointed (redirects are never followed) }.
 *   err = { kind, message [, curl_code] } with __tostring "growatt: <kind>: <message>" (the
 *   growatt.Error metatable); kind is "timeout", "tls", "network", "protocol" (a body or
 *   headers over the caps, a truncated body, a malformed status line...) or "closed". No
 *   message carries request or response data. Only running out of memory raises.
 *
 * session:perform_many(requests [, opts]) -> results, errs
 *   requests: a list of {method, url [, opts]} as for request; opts: { concurrency = n }
 *   (a positive integer, default 8). Every request is checked before any is sent (misuse
 *   raises "perform_many: request <i>: ..."). results[i] is request's res, or false and
 *   errs[i] its err.
 *
 * session:cookies() -> text        the cookies the session can send, one Netscape cookie-file
 *                                  line each, joined by "\n"; "" when closed
 * session:set_cookies(text)        replaces the jar with text's valid lines (others are
 *                                  skipped); raises when text is not a string
 * session:clear_cookies()          empties the jar
 * session:cookies_dropped() -> n   cookies dropped because the jar is capped at 50 cookies and
 *                                  16 KiB of lines (the oldest are kept)
 * session:configure(opts)          changes settings for the next requests (see above)
 * session:close()                  frees everything; idempotent, and also __gc and (5.4)
 *                                  __close. A closed session's request and perform_many return
 *                                  the "closed" error, its cookies are "", configure only checks.
 * tostring(session)                "growatt.Session (0x...)" or "growatt.Session (closed)" */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <curl/curl.h>
#include "clock.h"
#include "compat.h"
#include "encode.h"
#include "file.h"
#include "hash.h"
#include "json.h"
#include "config.h"
#include "session.h"

/* curl_global_init is not safe to race, and OpenResty opens this module in several worker
 * thread VMs at once: run it exactly once per process. curl_global_cleanup is never called,
 * since another VM in the process may still be using libcurl. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static const luaL_Reg core_functions[] = {
    {"hash_password", growatt_l_hash_password},
    {"verifier", growatt_l_verifier},
    {"salt", growatt_l_salt},
    {"encode", growatt_l_encode},
    {"json_decode", growatt_l_json_decode},
    {"session", growatt_l_session},
    {"write_file", growatt_l_write_file},
    {"read_file", growatt_l_read_file},
    {"file_stamp", growatt_l_file_stamp},
    {"locked", growatt_l_locked},
    {"now", growatt_l_now},
    {"sleep", growatt_l_sleep},
    {NULL, NULL},
};

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int luaopen_growatt_core(lua_State *L);

int luaopen_growatt_core(lua_State *L)
{
    if (pthread_once(&curl_once, init_curl) != 0 || curl_init_rc != CURLE_OK)
        return luaL_error(L, "growatt.core: curl_global_init failed");
    growatt_session_register(L);
    luaL_newlib(L, core_functions);
    lua_pushliteral(L, GROWATT_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
