/* Crash-safe file replacement, for the state file of growatt.store. */
#ifndef GROWATT_FILE_H
#define GROWATT_FILE_H

#include "compat.h"

/* core.write_file(path, data) -> true, stamp | nil, message: writes data to a new file of
 * mode 0600 next to path, syncs it to disk and renames it over path; the stamp is the new
 * file's (see file_stamp), as good as the caller's lock that no other writer came between. */
int growatt_l_write_file(lua_State *L);

/* core.file_stamp(path) -> stamp | nil, message, reason: the file's identity and version as
 * one string (device, inode, size, mtime and ctime in nanoseconds); reason "missing" or "io". */
int growatt_l_file_stamp(lua_State *L);

/* core.read_file(path, max) -> data, stamp | nil, message, reason: the whole file when it
 * holds at most max bytes (more is never read), and the stamp of what was read; reason
 * "missing", "too_large" or "io". */
int growatt_l_read_file(lua_State *L);

/* core.locked(path, fn) -> what fn returns | nil, message: runs fn() holding an exclusive
 * lock (flock) of the file at path, created empty with mode 0600 when missing; the lock is
 * released when fn returns or raises (the error is raised again). */
int growatt_l_locked(lua_State *L);

#endif
