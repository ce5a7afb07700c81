/* A request read from Lua (request.c: reading and validation, which sends nothing) and handed
 * to an easy handle (apply.c). */
#ifndef GROWATT_REQUEST_H
#define GROWATT_REQUEST_H

#include "config.h"
#include "transfer.h"

/* Absolute stack indices of the values to send (0 = none). */
typedef struct growatt_request {
    const char *method;
    int url;          /* the full URL, query included */
    int body;         /* the form-encoded or raw body string */
    int multipart;    /* the validated multipart pair list */
    int headers;      /* a list of header lines for CURLOPT_HTTPHEADER */
    long timeout_ms;  /* < 0: the session's */
} growatt_request;

/* Reads method, url_or_path and opts from the stack at arg, arg+1, arg+2. Pushes the strings
 * the request needs and records their indices in *r; they must stay on the stack until
 * growatt_request_apply returns. Raises on misuse. */
void growatt_request_read(lua_State *L, const growatt_config *c, int arg, growatt_request *r);

/* Starts a new transfer of *r on an open handle (growatt_transfer_begin), then hands *r to
 * the easy handle. Raises when the request cannot be set up (out of memory). */
void growatt_request_apply(lua_State *L, growatt_transfer *t, const growatt_config *c,
                           const growatt_request *r);

#endif
