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
            limits->kill_reason = CRM_KILL_MEMORY;
        }
        return NULL;
    }
    if (new_size > old && limits->allocation_limit > 0 && !limits->killed) {
        limits->allocated += new_size - old;
        if (limits->allocated > limits->allocation_limit) {
            limits->killed = 1;
            limits->kill_reason = CRM_KILL_ALLOCATION;
            return NULL;
        }
    }
    void *grown = realloc(ptr, new_size);
    if (grown) limits->used = limits->used - old + new_size;
    return grown;
}

crm_limits *crm_limits_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (crm_limits *)ud;
}

/* ---- protected calls that cannot swallow a limit ------------------------------------- */

static void push_kill_reason(lua_State *L, crm_limits *limits) {
    lua_pushstring(L, limits->kill_reason ? limits->kill_reason : "limit exceeded");
}

/* Ends the run with its kill, wherever a protected call or coroutine would have caught it. */
static int raise_kill(lua_State *L, crm_limits *limits) {
    push_kill_reason(L, limits);
    return lua_error(L);
}

static int finish_pcall(lua_State *L, int status, lua_KContext extra) {
    crm_limits *limits = crm_limits_of(L);
    if (status != LUA_OK && status != LUA_YIELD) {
        if (limits->killed) return raise_kill(L, limits);
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

/* Lua calls a message handler where the error was raised; for a limit that is inside the count
   hook, where hooks are off, so the script's handler would run unbounded. Once a limit is hit
   it is not called: the kill is the message. */
static int guarded_message_handler(lua_State *L) {
    crm_limits *limits = crm_limits_of(L);
    if (limits->killed) {
        push_kill_reason(L, limits);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int safe_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_message_handler, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
    return finish_pcall(L, status, 2);
}

/* Calls the library function a guard wraps (its upvalue 1) with the guard's arguments. */
static int call_original(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* ---- coroutines: a limit hit inside one ends the whole run ------------------------------ */

/* A coroutine that died of a limit died inside the count hook, and Lua leaves hooks off on it:
   closing it would run its pending __close handlers unbounded, so it is never closed. Its
   error is the limit's message (every error after a kill is: the hook fires on each
   instruction); a script raising that text itself only loses its __close calls. */
static int died_of_a_limit(lua_State *co) {
    int status = lua_status(co);
    if (status == LUA_OK || status == LUA_YIELD || lua_gettop(co) == 0) return 0;
    const char *message = lua_type(co, -1) == LUA_TSTRING ? lua_tostring(co, -1) : NULL;
    static const char *const reasons[] = {
        CRM_KILL_INSTRUCTIONS, CRM_KILL_TIME, CRM_KILL_MEMORY, CRM_KILL_ALLOCATION, CRM_KILL_SHUTDOWN, NULL};
    for (const char *const *reason = reasons; message && *reason; reason++) {
        if (strstr(message, *reason)) return 1;
    }
    return 0;
}

/* coroutine.resume answers (false, message) for a limit like any error: the run ends instead. */
static int safe_resume(lua_State *L) {
    int results = call_original(L);
    crm_limits *limits = crm_limits_of(L);
    if (limits->killed) return raise_kill(L, limits);
    return results;
}

static int safe_close(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    crm_limits *limits = crm_limits_of(L);
    if (limits->killed) return raise_kill(L, limits);
    if (died_of_a_limit(co)) {
        lua_pushboolean(L, 0);
        lua_pushvalue(co, -1);
        lua_xmove(co, L, 1);
        return 2;
    }
    int results = call_original(L);
    if (limits->killed) return raise_kill(L, limits);
    return results;
}

/* coroutine.wrap's function, as Lua's own but never closing a coroutine a limit ended. */
static int wrapped_call(lua_State *L) {
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    crm_limits *limits = crm_limits_of(L);
    int status = lua_status(co);
    if (status != LUA_YIELD && !(status == LUA_OK && lua_gettop(co) > 0)) {
        return luaL_error(L, "cannot resume %s coroutine", status == LUA_OK ? "dead" : "non-suspended");
    }
    int nargs = lua_gettop(L);
    if (!lua_checkstack(co, nargs)) return luaL_error(L, "too many arguments to resume");
    lua_xmove(L, co, nargs);
    int nresults = 0;
    status = lua_resume(co, L, nargs, &nresults);
    if (limits->killed) return raise_kill(L, limits);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nresults + 1)) {
            lua_pop(co, nresults);
            return luaL_error(L, "too many results to resume");
        }
        lua_xmove(co, L, nresults);
        return nresults;
    }
    if (!died_of_a_limit(co)) {
        status = lua_resetthread(co); /* close its to-be-closed variables, under the hook */
        if (limits->killed) return raise_kill(L, limits);
    }
    lua_xmove(co, L, 1);
    if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int safe_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wrapped_call, 1);
    return 1;
}

/* ---- no finalizers: Lua runs __gc with hooks off, out of every limit ------------------- */

static int safe_setmetatable(lua_State *L) {
    /* Checked here, so errors name `setmetatable` rather than the wrapped function. */
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, lua_type(L, 2) == LUA_TNIL || lua_type(L, 2) == LUA_TTABLE, 2, "nil or table");
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has_gc) return luaL_error(L, "setmetatable: __gc finalizers are not allowed");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* ---- C loops of the table and string libraries, paid for before they start ------------ */

/* The table library's loops index through metamethods in C (an __index chain is up to 2000
   lookups per element; __len can claim any length): they work on plain tables only. */
static void require_plain(lua_State *L, int index, const char *fn) {
    if (!lua_getmetatable(L, index)) return;
    static const char *const events[] = {"__index", "__newindex", "__len", NULL};
    for (const char *const *event = events; *event; event++) {
        lua_pushstring(L, *event);
        int present = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 1);
        if (present) luaL_error(L, "table.%s: tables with %s are not supported", fn, *event);
    }
    lua_pop(L, 1);
}

static lua_Integer span(lua_Integer from, lua_Integer to) {
    if (to < from) return 0;
    if (from < 0 && to > LUA_MAXINTEGER + from) return LUA_MAXINTEGER;
    return to - from + 1;
}

static int guarded_move(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    require_plain(L, 1, "move");
    if (!lua_isnoneornil(L, 5)) { luaL_checktype(L, 5, LUA_TTABLE); require_plain(L, 5, "move"); }
    crm_reserve(L, span(luaL_checkinteger(L, 2), luaL_checkinteger(L, 3)));
    return call_original(L);
}

static int guarded_insert(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    require_plain(L, 1, "insert");
    if (lua_gettop(L) == 3) crm_reserve(L, span(luaL_optinteger(L, 2, 0), (lua_Integer)lua_rawlen(L, 1)));
    return call_original(L);
}

static int guarded_remove(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    require_plain(L, 1, "remove");
    lua_Integer size = (lua_Integer)lua_rawlen(L, 1);
    crm_reserve(L, span(luaL_optinteger(L, 2, size), size));
    return call_original(L);
}

/* The elements a call visits from argument `first` (default 1) to argument `last` (default
   the length of the table at 1). */
static lua_Integer requested_span(lua_State *L, int first, int last) {
    lua_Integer from = luaL_optinteger(L, first, 1);
    lua_Integer to = lua_isnoneornil(L, last) ? (lua_Integer)lua_rawlen(L, 1) : luaL_checkinteger(L, last);
    return span(from, to);
}

static int guarded_unpack(lua_State *L) {
    if (lua_type(L, 1) == LUA_TTABLE) require_plain(L, 1, "unpack");
    crm_reserve(L, requested_span(L, 2, 3));
    return call_original(L);
}

static int guarded_concat(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    require_plain(L, 1, "concat");
    crm_reserve(L, requested_span(L, 3, 4));
    return call_original(L);
}

static int guarded_sort(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    require_plain(L, 1, "sort");
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    lua_Integer log = 1;
    while ((1LL << log) < n && log < 62) log++;
    crm_reserve(L, n * log); /* comparisons without a comparator; a Lua comparator is hooked anyway */
    return call_original(L);
}

/* string.rep("", 1e15) copies nothing 1e15 times. */
static int guarded_rep(lua_State *L) {
    size_t length = 0, separator = 0;
    luaL_checklstring(L, 1, &length);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &separator);
    if (length + separator == 0 || n <= 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    return call_original(L);
}

static void wrap(lua_State *L, const char *name, lua_CFunction guard) {
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, guard, 1);
    lua_setfield(L, -2, name);
}

/* ---- load of text chunks only --------------------------------------------------------- */

static int safe_load(lua_State *L) {
    size_t length;
    const char *chunk = luaL_checklstring(L, 1, &length);
    /* Compiling runs in C, out of the hook's reach: a chunk is at most a script's size. */
    if (length > CRM_MAX_CHUNK) return luaL_error(L, "load: chunk larger than %d KiB", CRM_MAX_CHUNK / 1024);
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
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, safe_setmetatable, 1);
    lua_setglobal(L, "setmetatable");

    lua_getglobal(L, "coroutine");
    wrap(L, "resume", safe_resume);
    wrap(L, "close", safe_close);
    lua_pushcfunction(L, safe_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);

    lua_getglobal(L, "table");
    wrap(L, "move", guarded_move);
    wrap(L, "insert", guarded_insert);
    wrap(L, "remove", guarded_remove);
    wrap(L, "unpack", guarded_unpack);
    wrap(L, "concat", guarded_concat);
    wrap(L, "sort", guarded_sort);
    lua_pop(L, 1);

    static const char *const os_kept[] = {"time", "date", "clock", NULL};
    keep_only(L, "os", os_kept);

    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    wrap(L, "rep", guarded_rep);
    crm_open_patterns(L); /* find, match, gmatch, gsub charged as they go (Pattern.c) */
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
