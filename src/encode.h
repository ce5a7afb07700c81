/* Ordered {name, value} pair lists and their application/x-www-form-urlencoded form, as used
 * for query strings, form bodies and multipart fields. */
#ifndef GROWATT_ENCODE_H
#define GROWATT_ENCODE_H

#include <stddef.h>
#include "compat.h"

/* The text of a pair's name or value: a Lua string on the stack, or a number formatted into
 * num (integral values without a decimal point, others as "%.14g"). */
typedef struct growatt_text {
    const char *s;
    size_t len;
    char num[40];
} growatt_text;

/* Text of the string or number at idx into *t; returns 0 if it is neither. */
int growatt_text_of(lua_State *L, int idx, growatt_text *t);

/* Number of pairs in the list at idx; raises "<label>: expected a list of {name, value} pairs"
 * if it is not a table. */
size_t growatt_pair_count(lua_State *L, int idx, const char *label);

/* Pushes the name and the value of pair i (1-based) of the list at idx (two stack slots,
 * valid while they stay there) and fills *name and *value. Raises an error naming the label
 * and the index ("query pair 2: value must be a string or number") on a bad pair. */
void growatt_pair_at(lua_State *L, int idx, size_t i, const char *label,
                     growatt_text *name, growatt_text *value);

/* Pushes the urlencoded form of the pair list at idx ("a=1&b=x+y"); raises on a bad pair. */
void growatt_push_encoded(lua_State *L, int idx, const char *label);

/* core.encode(pairs) -> string */
int growatt_l_encode(lua_State *L);

#endif
