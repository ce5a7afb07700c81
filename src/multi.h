/* session:perform_many's engine: many requests in flight at once through a curl multi
 * handle, on a pool of easy handles kept between batches. It takes what it needs from the
 * session as arguments, so that multi.c does not know the session userdata. */
#ifndef GROWATT_MULTI_H
#define GROWATT_MULTI_H

#include <stddef.h>
#include <curl/curl.h>
#include "config.h"

/* Easy handles for requests in parallel, with their multi handle. */
typedef struct growatt_pool growatt_pool;

/* Runs the batch of session:perform_many(requests [, opts]), the requests at stack index 2
 * and opts at 3, and pushes results and errs. The pool is made in *pool on first use; its
 * handles use the share and the settings c. With pool NULL (a closed session) every request
 * gets the "closed" error. Raises on misuse, with nothing sent. Returns how many requests
 * went out. */
size_t growatt_perform_many(lua_State *L, growatt_pool **pool, CURLSH *share,
                            const growatt_config *c);

/* Releases the pool and its handles; idempotent. */
void growatt_pool_free(growatt_pool *pool);

#endif
