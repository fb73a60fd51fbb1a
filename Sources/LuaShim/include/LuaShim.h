#ifndef CRM_LUA_SHIM_H
#define CRM_LUA_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* Opaque to Swift: Swift only ever holds a pointer and calls the functions below, none of
   which lets a Lua error (longjmp) escape. */
typedef struct lua_State lua_State;

/* Creates a Lua state whose allocator refuses to grow past `memory_limit` bytes, with only the
   sandbox's libraries loaded (no io, os except time/date/clock, package, debug, load of binary
   chunks, string.dump, collectgarbage). NULL when even the base state does not fit. */
lua_State *crm_lua_new_sandbox(size_t memory_limit);

void crm_lua_close(lua_State *L);

/* Bytes currently allocated by the state. */
size_t crm_lua_memory_used(lua_State *L);

/* Loads `code` as a text chunk and runs it in protected mode; on success leaves its first
   result on the stack and returns 0. On failure returns non-zero and copies the error message
   (always NUL-terminated) into `error`. */
int crm_lua_eval(lua_State *L, const char *code, size_t length, const char *chunk_name,
                 char *error, size_t error_capacity);

/* Reading the value on top of the stack without raising. */
int crm_lua_top_type(lua_State *L);               /* LUA_T* constant */
double crm_lua_top_number(lua_State *L);
int crm_lua_top_is_integer(lua_State *L);
int64_t crm_lua_top_integer(lua_State *L);
int crm_lua_top_boolean(lua_State *L);
/* Copies the top string (only when it is a string, never converts) and returns its length,
   or -1 when it is not a string. */
long crm_lua_top_string(lua_State *L, char *out, size_t capacity);
void crm_lua_pop(lua_State *L, int n);

#endif
