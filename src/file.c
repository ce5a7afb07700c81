/* The state file's system calls. Crash-safe replacement: a process killed at any point leaves
 * either the old file or the new one, never a torn one. The data goes to a temporary file in
 * the same directory (mkstemp: mode 0600, since the state holds session cookies), is synced to
 * disk, and the temporary file is renamed over the target; the directory is synced so the
 * rename lasts. Reads are bounded, and every read or write gives the file's stamp (device,
 * inode, size, modification and change times to the nanosecond), so that a reader can tell
 * with one stat whether another process replaced the file since. Writers that must not lose
 * each other's changes serialise on a lock of the file itself (flock). */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "file.h"

/* Pushes the stamp of st: equal stamps mean the same bytes as far as a stat can tell. */
static void push_stamp(lua_State *L, const struct stat *st)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%llu:%llu:%lld:%lld.%09ld:%lld.%09ld",
             (unsigned long long)st->st_dev, (unsigned long long)st->st_ino, (long long)st->st_size,
             (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
             (long long)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
    lua_pushstring(L, buf);
}

static int push_failure(lua_State *L, const char *step, const char *path, int err, const char *reason)
{
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s: %s", step, path, strerror(err));
    lua_pushstring(L, reason);
    return 3;
}

int growatt_l_file_stamp(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;

    if (stat(path, &st) != 0)
        return push_failure(L, "stat", path, errno, errno == ENOENT ? "missing" : "io");
    push_stamp(L, &st);
    return 1;
}

static int push_too_large(lua_State *L, const char *path, lua_Integer max)
{
    lua_pushnil(L);
    lua_pushfstring(L, "read %s: larger than %d bytes", path, (int)max);
    lua_pushliteral(L, "too_large");
    return 3;
}

int growatt_l_read_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer max = luaL_checkinteger(L, 2);
    luaL_Buffer b;
    struct stat st;
    size_t got = 0, limit;
    int fd, err;

    luaL_argcheck(L, max >= 0 && max < 0x40000000, 2, "must be >= 0 and < 1 GiB");
    limit = (size_t)max + 1; /* a file that grew since the fstat is too large too */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return push_failure(L, "open", path, errno, errno == ENOENT ? "missing" : "io");
    if (fstat(fd, &st) != 0) {
        err = errno;
        close(fd);
        return push_failure(L, "stat", path, err, "io");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return push_failure(L, "read", path, EINVAL, "io");
    }
    if (st.st_size > max) {
        close(fd);
        return push_too_large(L, path, max);
    }
    luaL_buffinit(L, &b);
    while (got < limit) {
        char *p = luaL_prepbuffer(&b);
        size_t want = limit - got < LUAL_BUFFERSIZE ? limit - got : LUAL_BUFFERSIZE;
        ssize_t n = read(fd, p, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            close(fd);
            return push_failure(L, "read", path, err, "io");
        }
        if (n == 0)
            break;
        luaL_addsize(&b, (size_t)n);
        got += (size_t)n;
    }
    close(fd);
    if (got > (size_t)max)
        return push_too_large(L, path, max);
    luaL_pushresult(&b);
    push_stamp(L, &st);
    return 2;
}

/* Opens and locks the file at path (created empty, mode 0600, when missing) and checks that
 * the locked file is still the one at path: a writer that renamed a new file over it while
 * this one waited leaves a lock on a file nobody reads, so lock again. Returns the fd or -1. */
static int lock_path(const char *path)
{
    for (;;) {
        struct stat held, now;
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        while (flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                int err = errno;
                close(fd);
                errno = err;
                return -1;
            }
        }
        if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
            held.st_ino == now.st_ino)
            return fd;
        close(fd);
    }
}

int growatt_l_locked(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd, status;

    luaL_checktype(L, 2, LUA_TFUNCTION);
    fd = lock_path(path);
    if (fd < 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "lock %s: %s", path, strerror(errno));
        return 2;
    }
    lua_settop(L, 2);
    status = lua_pcall(L, 0, LUA_MULTRET, 0);
    close(fd); /* releases the lock */
    if (status != 0)
        return lua_error(L);
    return lua_gettop(L) - 1;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Best effort: a failure here loses durability across a power cut, not consistency. */
static void sync_directory(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int fd;

    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return;
    fd = open(dir, O_RDONLY);
    free(dir);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int growatt_l_write_file(lua_State *L)
{
    size_t plen, dlen;
    const char *path = luaL_checklstring(L, 1, &plen);
    const char *data = luaL_checklstring(L, 2, &dlen);
    const char *step = "create";
    struct stat st;
    char *tmp = malloc(plen + 8);
    int fd, err;

    if (tmp == NULL)
        return luaL_error(L, "write_file: out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".XXXXXX", 8);
    fd = mkstemp(tmp);
    if (fd < 0)
        goto failed;
    step = "write";
    if (write_all(fd, data, dlen) != 0)
        goto failed_open;
    step = "sync";
    if (fsync(fd) != 0)
        goto failed_open;
    step = "close";
    if (close(fd) != 0) {
        fd = -1;
        goto failed_open;
    }
    step = "rename";
    if (rename(tmp, path) != 0)
        goto failed_written;
    free(tmp);
    sync_directory(path);
    lua_pushboolean(L, 1);
    if (stat(path, &st) != 0)
        return 1;
    push_stamp(L, &st); /* after the rename, which changes the ctime */
    return 2;

failed_open:
    err = errno;
    if (fd >= 0)
        close(fd);
    errno = err;
failed_written:
    err = errno;
    unlink(tmp);
    errno = err;
failed:
    err = errno;
    free(tmp);
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s: %s", step, path, strerror(err));
    return 2;
}
