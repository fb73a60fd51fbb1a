#include "internal.h"
#include "LuaShim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double crm_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void *crm_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
    crm_limits *limits = (crm_limits *)ud;
    size_t old = ptr ? old_size : 0; /* with ptr NULL, old_size is a type tag, not a size */
    if (new_size == 0) {
        free(ptr);
        limits->used -= old;
        return NULL;
    }
    if (new_size > old && limits->used - old + new_size > limits->limit) {
        if (!limits->killed) {
            limits->killed = 1;
            limits->kill_reason = "memory limit exceeded";
        }
        return NULL;
    }
    void *grown = realloc(ptr, new_size);
    if (grown) limits->used = limits->used - old + new_size;
    return grown;
}

static crm_limits *limits_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (crm_limits *)ud;
}

/* ---- protected calls that cannot swallow a limit ------------------------------------- */

static int finish_pcall(lua_State *L, int status, lua_KContext extra) {
    crm_limits *limits = limits_of(L);
    if (status != LUA_OK && status != LUA_YIELD) {
        if (limits->killed) {
            lua_pushstring(L, limits->kill_reason ? limits->kill_reason : "limit exceeded");
            return lua_error(L);
        }
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

static int safe_pcall(lua_State *L) {
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
    return finish_pcall(L, status, 0);
}

static int safe_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
    return finish_pcall(L, status, 2);
}

/* ---- pattern matching with a complexity bound ----------------------------------------- */

/* Lua patterns have no alternation, but each of `*`, `-`, `+` may scan the subject again:
   the work is up to about n^k for k of them. Calls where that exceeds ~1e9 are refused,
   since C code runs without the instruction hook. */
static void check_pattern(lua_State *L, int subject_index, int pattern_index, int plain_index) {
    size_t n = 0, plen = 0;
    const char *subject = lua_tolstring(L, subject_index, &n);
    const char *pattern = lua_tolstring(L, pattern_index, &plen);
    if (!subject || !pattern) return;
    if (plain_index && lua_toboolean(L, plain_index)) return;
    int k = 0;
    for (size_t i = 0; i < plen; i++) {
        if (pattern[i] == '%') { i++; continue; }
        if (i > 0 && (pattern[i] == '*' || pattern[i] == '-' || pattern[i] == '+')) k++;
    }
    if (k >= 2 && n > 16 && pow((double)n, (double)k) > 1e9) {
        luaL_error(L, "pattern too complex for a subject of %d characters", (int)n);
    }
}

static int guarded(lua_State *L, const char *name, int plain_index) {
    check_pattern(L, 1, 2, plain_index);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    (void)name;
    return lua_gettop(L);
}

static int guarded_find(lua_State *L) { return guarded(L, "find", 4); }
static int guarded_other(lua_State *L) { return guarded(L, "match", 0); }

static void guard_string_function(lua_State *L, const char *name, lua_CFunction guard) {
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, guard, 1);
    lua_setfield(L, -2, name);
}

/* ---- load of text chunks only --------------------------------------------------------- */

static int safe_load(lua_State *L) {
    size_t length;
    const char *chunk = luaL_checklstring(L, 1, &length);
    const char *name = luaL_optstring(L, 2, "=(load)");
    const char *mode = luaL_optstring(L, 3, "t");
    if (strcmp(mode, "t") != 0) return luaL_error(L, "load: only text chunks are allowed");
    int status = luaL_loadbufferx(L, chunk, length, name, "t");
    if (status != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    /* The environment: the one given, else the caller's own globals table (never the state's). */
    if (!lua_isnoneornil(L, 4)) {
        lua_pushvalue(L, 4);
    } else {
        lua_pushvalue(L, lua_upvalueindex(1));
    }
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
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

int crm_open_sandbox(lua_State *L) {
    open_library(L, LUA_GNAME, luaopen_base);
    open_library(L, LUA_STRLIBNAME, luaopen_string);
    open_library(L, LUA_TABLIBNAME, luaopen_table);
    open_library(L, LUA_MATHLIBNAME, luaopen_math);
    open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);
    open_library(L, LUA_COLIBNAME, luaopen_coroutine);
    open_library(L, LUA_OSLIBNAME, luaopen_os);

    static const char *const removed[] = {"dofile", "loadfile", "require", "collectgarbage", "print", NULL};
    for (const char *const *name = removed; *name; name++) {
        lua_pushnil(L);
        lua_setglobal(L, *name);
    }
    lua_pushglobaltable(L);
    lua_pushcclosure(L, safe_load, 1);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, safe_pcall);
    lua_setglobal(L, "pcall");
    lua_pushcfunction(L, safe_xpcall);
    lua_setglobal(L, "xpcall");

    static const char *const os_kept[] = {"time", "date", "clock", NULL};
    keep_only(L, "os", os_kept);

    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    guard_string_function(L, "find", guarded_find);
    guard_string_function(L, "match", guarded_other);
    guard_string_function(L, "gmatch", guarded_other);
    guard_string_function(L, "gsub", guarded_other);
    lua_pop(L, 1);

    /* The strings' shared metatable: its __index is the (guarded) string library, and it is
       protected: getmetatable("") answers a stand-in, setmetatable on strings is impossible. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_getglobal(L, "string");
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, "string metatable is protected");
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    /* math.random seeded per state. */
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, (lua_Integer)(crm_now_ms() * 1000.0));
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    return 0;
}
