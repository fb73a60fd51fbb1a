#include "LuaShim.h"
#include "../CLua/shim.h"

#include <stdlib.h>
#include <string.h>

/* ---- bounded allocator --------------------------------------------------------------- */

typedef struct {
    size_t used;
    size_t limit;
} crm_alloc_state;

static void *crm_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
    crm_alloc_state *state = (crm_alloc_state *)ud;
    /* When ptr is NULL, old_size encodes the type of object being created, not a size. */
    size_t old = ptr ? old_size : 0;
    if (new_size == 0) {
        free(ptr);
        state->used -= old;
        return NULL;
    }
    if (new_size > old && state->used - old + new_size > state->limit) {
        return NULL; /* Lua turns this into a memory error inside the state. */
    }
    void *grown = realloc(ptr, new_size);
    if (grown) {
        state->used = state->used - old + new_size;
    }
    return grown;
}

/* ---- sandbox ------------------------------------------------------------------------- */

static const char *const removed_globals[] = {
    "dofile", "loadfile", "require", "collectgarbage", "load", NULL,
};

/* load() of text chunks only, and always with an explicit environment (default: the
   caller's globals table is never handed out implicitly). */
static int crm_safe_load(lua_State *L) {
    size_t length;
    const char *chunk = luaL_checklstring(L, 1, &length);
    const char *name = luaL_optstring(L, 2, "=(load)");
    const char *mode = luaL_optstring(L, 3, "t");
    if (strcmp(mode, "t") != 0) {
        return luaL_error(L, "load: only text chunks are allowed");
    }
    int has_env = !lua_isnone(L, 4);
    int status = luaL_loadbufferx(L, chunk, length, name, "t");
    if (status != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 4);
        if (!lua_setupvalue(L, -2, 1)) {
            lua_pop(L, 1);
        }
    }
    return 1;
}

static void open_library(lua_State *L, const char *name, lua_CFunction open) {
    luaL_requiref(L, name, open, 1);
    lua_pop(L, 1);
}

static void keep_only(lua_State *L, const char *library, const char *const *kept) {
    lua_getglobal(L, library);
    lua_newtable(L);
    for (const char *const *name = kept; *name; name++) {
        lua_getfield(L, -2, *name);
        lua_setfield(L, -2, *name);
    }
    lua_setglobal(L, library);
    lua_pop(L, 1);
}

static int open_sandbox(lua_State *L) {
    open_library(L, LUA_GNAME, luaopen_base);
    open_library(L, LUA_STRLIBNAME, luaopen_string);
    open_library(L, LUA_TABLIBNAME, luaopen_table);
    open_library(L, LUA_MATHLIBNAME, luaopen_math);
    open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);
    open_library(L, LUA_COLIBNAME, luaopen_coroutine);
    open_library(L, LUA_OSLIBNAME, luaopen_os);

    for (const char *const *name = removed_globals; *name; name++) {
        lua_pushnil(L);
        lua_setglobal(L, *name);
    }
    lua_pushcfunction(L, crm_safe_load);
    lua_setglobal(L, "load");

    static const char *const os_kept[] = {"time", "date", "clock", NULL};
    keep_only(L, "os", os_kept);

    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);

    /* Protect the strings' shared metatable: getmetatable("") answers a stand-in. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushliteral(L, "string metatable is protected");
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

lua_State *crm_lua_new_sandbox(size_t memory_limit) {
    crm_alloc_state *state = calloc(1, sizeof(crm_alloc_state));
    if (!state) return NULL;
    state->limit = memory_limit;
    lua_State *L = lua_newstate(crm_alloc, state);
    if (!L) {
        free(state);
        return NULL;
    }
    lua_pushcfunction(L, open_sandbox);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        free(state);
        return NULL;
    }
    return L;
}

void crm_lua_close(lua_State *L) {
    if (!L) return;
    void *ud = NULL;
    lua_getallocf(L, &ud);
    lua_close(L);
    free(ud);
}

size_t crm_lua_memory_used(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ((crm_alloc_state *)ud)->used;
}

static void copy_error(lua_State *L, char *error, size_t capacity) {
    if (!error || capacity == 0) return;
    const char *message = NULL;
    if (lua_type(L, -1) == LUA_TSTRING) {
        message = lua_tostring(L, -1);
    } else {
        message = "(error object is not a string)";
    }
    strncpy(error, message, capacity - 1);
    error[capacity - 1] = '\0';
}

int crm_lua_eval(lua_State *L, const char *code, size_t length, const char *chunk_name,
                 char *error, size_t error_capacity) {
    int status = luaL_loadbufferx(L, code, length, chunk_name, "t");
    if (status == LUA_OK) {
        status = lua_pcall(L, 0, 1, 0);
    }
    if (status != LUA_OK) {
        if (status == LUA_ERRMEM) {
            if (error && error_capacity) {
                strncpy(error, "memory limit exceeded", error_capacity - 1);
                error[error_capacity - 1] = '\0';
            }
        } else {
            copy_error(L, error, error_capacity);
        }
        lua_pop(L, 1);
    }
    return status;
}

int crm_lua_top_type(lua_State *L) { return lua_type(L, -1); }
double crm_lua_top_number(lua_State *L) { return lua_tonumberx(L, -1, NULL); }
int crm_lua_top_is_integer(lua_State *L) { return lua_isinteger(L, -1); }
int64_t crm_lua_top_integer(lua_State *L) { return (int64_t)lua_tointegerx(L, -1, NULL); }
int crm_lua_top_boolean(lua_State *L) { return lua_toboolean(L, -1); }

long crm_lua_top_string(lua_State *L, char *out, size_t capacity) {
    if (lua_type(L, -1) != LUA_TSTRING) return -1;
    size_t length = 0;
    const char *s = lua_tolstring(L, -1, &length);
    if (out && capacity) {
        size_t n = length < capacity - 1 ? length : capacity - 1;
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return (long)length;
}

void crm_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
