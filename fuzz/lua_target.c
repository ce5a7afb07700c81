/* libFuzzer driver for the fuzz targets written in Lua (fuzz/<target>.lua).
 *
 * Every input gets a fresh Lua state with the standard libraries and growatt.core, so that
 * LeakSanitizer sees exactly what one input left behind once lua_close has run every __gc.
 * The target script is called as
 *
 *   chunk(data, core, H)    -- H: fuzz/common.lua's helpers, with H.fail and H.exchange
 *
 * and checks properties itself; H.fail(message) (or any error the script does not catch)
 * aborts, which libFuzzer reports as a crash with the input that caused it.
 *
 * H.exchange(session, reply, method, url[, opts]) -> ok, res_or_err, err, wire
 * runs session:request(method, url, opts) against `reply`, the raw bytes of an HTTP response:
 * whatever the URL's host and port, the session connects to a listener of this process on
 * 127.0.0.1, which sends the reply and closes its side. `ok` is false (and res_or_err the
 * message) when request raised; `wire` is what the request wrote, "" if nothing.
 *
 * Built with FUZZ_TARGET (the script's name) and FUZZ_DIR (where the scripts are), against
 * Lua 5.4 or LuaJIT; lua-cjson comes from the interpreter's default package.cpath. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <lualib.h>
#include "compat.h"
#include "session.h"

int luaopen_growatt_core(lua_State *L);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct script {
    const char *name;
    char *text;
    size_t len;
} script;

static script common = {"@" FUZZ_DIR "/common.lua", NULL, 0};
static script target = {"@" FUZZ_DIR "/" FUZZ_TARGET ".lua", NULL, 0};

static void die(const char *what, const char *detail) __attribute__((noreturn));

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz %s: %s%s%s\n", FUZZ_TARGET, what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void read_script(script *s)
{
    FILE *f = fopen(s->name + 1, "rb");
    long n = 0;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        die("cannot read", s->name + 1);
    s->len = (size_t)n;
    if ((s->text = malloc(s->len + 1)) == NULL || fread(s->text, 1, s->len, f) != s->len)
        die("cannot read", s->name + 1);
    fclose(f);
}

/* lua-cjson is loaded once for good (RTLD_NODELETE): else every input's lua_close would
 * unload it and the next require load it again, at a cost of milliseconds. */
static void *cjson_library;

static void pin_cjson(void)
{
    lua_State *L = luaL_newstate();
    if (L == NULL)
        die("luaL_newstate", "out of memory");
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchpath");
    lua_pushliteral(L, "cjson");
    lua_getfield(L, -3, "cpath");
    lua_call(L, 2, 1);
    if (lua_isstring(L, -1))
        cjson_library = dlopen(lua_tostring(L, -1), RTLD_NOW | RTLD_NODELETE);
    lua_close(L);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    read_script(&common);
    read_script(&target);
    pin_cjson();
    return 0;
}

/* ---------------------------------------------------------------- H.fail */

static int l_fail(lua_State *L)
{
    die("check failed", lua_tostring(L, 1));
    return 0;
}

/* ---------------------------------------------------------------- H.exchange */

/* A listener on 127.0.0.1 that every request is sent to, whatever its URL. curl connects
 * through the kernel's backlog; the reply is written when curl says the connection is up
 * (CURLOPT_PREREQFUNCTION), before it sends the request. (A socketpair handed over with
 * CURLOPT_OPENSOCKETFUNCTION would be simpler, but curl 7.88 connects such sockets anyway.) */
static int listener = -1;
static char connect_to[64];

typedef struct exchange {
    const char *reply;
    size_t len;
    int server; /* the accepted end, -1 until the connection is up */
} exchange;

static void open_listener(void)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof addr;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((listener = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 16) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &alen) != 0)
        die("cannot listen on 127.0.0.1", strerror(errno));
    fcntl(listener, F_SETFL, O_NONBLOCK);
    snprintf(connect_to, sizeof connect_to, "::127.0.0.1:%d", (int)ntohs(addr.sin_port));
}

/* Closes connections that were made but never reached the request (an error before it). */
static void drain_listener(void)
{
    int fd;
    while ((fd = accept(listener, NULL, NULL)) >= 0)
        close(fd);
}

/* Writes the whole reply without blocking (curl reads it only once this returns): it has to
 * fit in the socket buffers, hence the targets' -max_len. */
static void write_reply(int fd, const char *p, size_t n)
{
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("the reply does not fit in the socket buffers", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    shutdown(fd, SHUT_WR);
}

static int connection_up(void *data, char *ip, char *local_ip, int port, int local_port)
{
    exchange *x = data;
    (void)ip;
    (void)local_ip;
    (void)port;
    (void)local_port;
    if (x->server < 0) {
        if ((x->server = accept(listener, NULL, NULL)) < 0)
            die("accept", strerror(errno));
        write_reply(x->server, x->reply, x->len);
    }
    return CURL_PREREQFUNC_OK;
}

/* What the request wrote (the socket is non-blocking: stops when it is drained). */
static void push_wire(lua_State *L, int fd)
{
    luaL_Buffer b;
    char chunk[4096];
    ssize_t n;
    luaL_buffinit(L, &b);
    while (fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0)
        luaL_addlstring(&b, chunk, (size_t)n);
    luaL_pushresult(&b);
}

static int l_exchange(lua_State *L)
{
    growatt_session *s = growatt_check_session(L, 1);
    struct curl_slist *to;
    exchange x;
    int top, ok;

    if (s->closed)
        die("exchange", "the session is closed");
    x.reply = luaL_checklstring(L, 2, &x.len);
    x.server = -1;
    if (listener < 0)
        open_listener();
    drain_listener();

    to = curl_slist_append(NULL, connect_to);
    curl_easy_setopt(s->xfer.easy, CURLOPT_CONNECT_TO, to);
    curl_easy_setopt(s->xfer.easy, CURLOPT_PREREQFUNCTION, connection_up);
    curl_easy_setopt(s->xfer.easy, CURLOPT_PREREQDATA, (void *)&x);
    curl_easy_setopt(s->xfer.easy, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(s->xfer.easy, CURLOPT_NOPROXY, "*");

    lua_settop(L, 5);
    top = lua_gettop(L);
    lua_getfield(L, 1, "request");
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 4);
    lua_pushvalue(L, 5);
    ok = lua_pcall(L, 4, 2, 0) == 0;
    if (!ok)
        lua_pushnil(L); /* the message, and nil */

    curl_easy_setopt(s->xfer.easy, CURLOPT_CONNECT_TO, (struct curl_slist *)NULL);
    curl_easy_setopt(s->xfer.easy, CURLOPT_PREREQFUNCTION, (curl_prereq_callback)NULL);
    curl_slist_free_all(to);
    drain_listener();

    lua_pushboolean(L, ok);
    lua_insert(L, top + 1);
    push_wire(L, x.server);
    if (x.server >= 0)
        close(x.server);
    return 4;
}

/* ---------------------------------------------------------------- one input */

static int traceback(lua_State *L)
{
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
}

static void load(lua_State *L, const script *s)
{
    if (luaL_loadbuffer(L, s->text, s->len, s->name) != 0)
        die("cannot load", lua_tostring(L, -1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = luaL_newstate();

    if (L == NULL)
        die("luaL_newstate", "out of memory");
    luaL_openlibs(L);

    lua_pushcfunction(L, traceback);
    load(L, &target);
    lua_pushlstring(L, (const char *)data, size);
    lua_pushcfunction(L, luaopen_growatt_core);
    lua_call(L, 0, 1);
    load(L, &common);
    lua_pushcfunction(L, l_fail);
    lua_pushcfunction(L, l_exchange);
    lua_call(L, 2, 1);
    if (lua_pcall(L, 3, 0, 1) != 0)
        die("error", lua_tostring(L, -1));
    lua_close(L);
    return 0;
}
