/* Crash-safe file replacement: a process killed at any point leaves either the old file or
 * the new one, never a torn one. The data goes to a temporary file in the same directory
 * (mkstemp: mode 0600, since the state holds session cookies), is synced to disk, and the
 * temporary file is renamed over the target; the directory is synced so the rename lasts. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "file.h"

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
    return 1;

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
