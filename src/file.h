/* Crash-safe file replacement, for the state file of growatt.store. */
#ifndef GROWATT_FILE_H
#define GROWATT_FILE_H

#include "compat.h"

/* core.write_file(path, data) -> true | nil, message: writes data to a new file of mode
 * 0600 next to path, syncs it to disk and renames it over path. */
int growatt_l_write_file(lua_State *L);

#endif
