/* Preloaded (after ASan's runtime, or under valgrind) into the lua5.4 that runs the suite in
 * tools/sanitize; not part of the library.
 *
 * - It takes LD_PRELOAD out of the environment once the process has started, so that the
 *   programs the specs spawn (sh, curl, nginx, openssl, luarocks, the CLI...) run as usual,
 *   unchecked: an uninstrumented nginx or curl with ASan's runtime preloaded would report its
 *   own exit-time allocations as leaks and change its exit status.
 * - dlclose does nothing, so that the C modules Lua unloads in lua_close stay mapped and the
 *   leak reports made at exit can name their functions and lines. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>

__attribute__((constructor)) static void forget_preload(void)
{
    unsetenv("LD_PRELOAD");
}

int dlclose(void *handle);

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
