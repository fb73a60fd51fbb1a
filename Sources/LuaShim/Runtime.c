#include "internal.h"
#include "LuaShim.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Registry layout: SCRIPTS[name] = {table = <returned table>, main = <chunk function>,
   globals = <the script's own top-level globals after load>}. BASE = the sandbox's globals,
   copied into a fresh environment for every run, so nothing a run does to its globals or to
   its copies of the libraries outlives it. */
#define CRM_SCRIPTS "crm.scripts"

/* ---- limits ------------------------------------------------------------------------- */

/* Set once at shutdown: every run, of every tenant, ends at its next hook or charge. */
static atomic_int abort_all_runs;

void crm_abort_all_runs(void) { atomic_store(&abort_all_runs, 1); }

/* Marks the run killed when a limit is spent; raises the kill on `L` (and makes the hook fire
   at once wherever Lua runs next, so no protected call can carry on). */
static void enforce(lua_State *L, crm_limits *limits) {
    if (!limits->killed) {
        if (atomic_load_explicit(&abort_all_runs, memory_order_relaxed)) {
            limits->killed = 1;
            limits->kill_reason = CRM_KILL_SHUTDOWN;
        } else if (limits->instruction_limit > 0 && limits->instructions > limits->instruction_limit) {
            limits->killed = 1;
            limits->kill_reason = CRM_KILL_INSTRUCTIONS;
        } else if (limits->deadline_ms > 0 && crm_now_ms() > limits->deadline_ms) {
            limits->killed = 1;
            limits->kill_reason = CRM_KILL_TIME;
        }
    }
    if (limits->killed) {
        lua_sethook(L, crm_limit_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "%s", limits->kill_reason);
    }
}

void crm_limit_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    crm_limits *limits = crm_limits_of(L);
    limits->instructions += CRM_HOOK_EVERY;
    enforce(L, limits);
}

/* Work done in C for the script (pattern matching): time and abort are checked as in the hook;
   eight steps count as one instruction, so a runaway search also meets the instruction cap. */
void crm_charge(lua_State *L, int64_t steps) {
    crm_limits *limits = crm_limits_of(L);
    limits->instructions += steps / 8;
    enforce(L, limits);
}

/* Work a C loop is about to do (table.move, insert, …), paid up front: refused when it would
   overrun the instruction budget, since nothing interrupts it once it has started. */
void crm_reserve(lua_State *L, int64_t steps) {
    crm_limits *limits = crm_limits_of(L);
    if (steps < 0) steps = 0;
    if (limits->instruction_limit > 0 && steps > limits->instruction_limit - limits->instructions) {
        limits->instructions = limits->instruction_limit + 1;
    } else {
        limits->instructions += steps;
    }
    enforce(L, limits);
}

/* Starts a run's budget. The hook stays installed on every thread of the state, the main one
   included: host code touching script values can reach their metamethods, and those run under
   the same budget as the handler. */
static void arm(crm_runtime *runtime, lua_State *thread, int64_t instruction_limit, double time_limit_ms,
                size_t allocation_limit) {
    crm_limits *limits = runtime->limits;
    limits->allocated = 0;
    limits->allocation_limit = allocation_limit;
    limits->killed = 0;
    limits->kill_reason = NULL;
    limits->instructions = 0;
    limits->instruction_limit = instruction_limit;
    limits->deadline_ms = time_limit_ms > 0 ? crm_now_ms() + time_limit_ms : 0;
    lua_sethook(runtime->L, crm_limit_hook, LUA_MASKCOUNT, CRM_HOOK_EVERY);
    if (thread && thread != runtime->L) lua_sethook(thread, crm_limit_hook, LUA_MASKCOUNT, CRM_HOOK_EVERY);
}

/* Pushes t[key] without metamethods (t at `index`): host code never calls script code by
   reading a script's table. */
static int raw_field(lua_State *L, int index, const char *key) {
    index = lua_absindex(L, index);
    lua_pushstring(L, key);
    return lua_rawget(L, index);
}

static void set_output(crm_runtime *runtime, const char *s) {
    crm_text_clear(&runtime->output);
    size_t n = strlen(s);
    if (runtime->output.capacity < n + 1) {
        char *grown = realloc(runtime->output.data, n + 1);
        if (!grown) return;
        runtime->output.data = grown;
        runtime->output.capacity = n + 1;
    }
    memcpy(runtime->output.data, s, n + 1);
    runtime->output.length = n;
}

/* The message of a failed call, mapped so limits and odd error objects read clearly. */
static int report_error(crm_runtime *runtime, lua_State *thread, int status) {
    const char *message;
    if (runtime->limits->killed) {
        message = runtime->limits->kill_reason;
    } else if (status == LUA_ERRMEM) {
        message = CRM_KILL_MEMORY;
    } else if (status == LUA_ERRERR) {
        message = "error in error handling";
    } else if (lua_type(thread, -1) == LUA_TSTRING) {
        message = lua_tostring(thread, -1);
    } else {
        message = "error object is not a string";
    }
    set_output(runtime, message ? message : "script error");
    return CRM_ERROR;
}

/* ---- environments ------------------------------------------------------------------- */

/* A fresh environment: the sandbox's globals, each library table copied. */
static void push_fresh_env(lua_State *L) {
    lua_newtable(L);
    int env = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "crm.base");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_newtable(L);
            lua_pushnil(L);
            while (lua_next(L, -3)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, -4);
            }
            lua_remove(L, -2);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, env);
    }
    lua_pop(L, 1);
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
    /* load() without an environment gets this one. */
    lua_getfield(L, env, "load");
    lua_pushvalue(L, env);
    lua_setupvalue(L, -2, 1);
    lua_pop(L, 1);
}

/* ---- runtime ------------------------------------------------------------------------ */

static int open_runtime(lua_State *L) {
    crm_open_sandbox(L);
    /* Decoded arrays share this metatable within the state: protected, so a script can
       neither read it (getmetatable answers false) nor plant metamethods in it. */
    luaL_newmetatable(L, CRM_ARRAY_MT);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    /* Keep the sandbox's globals as the template of every environment. */
    lua_pushglobaltable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "crm.base");
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, CRM_SCRIPTS);
    return 0;
}

crm_runtime *crm_runtime_new(size_t memory_limit) {
    crm_runtime *runtime = calloc(1, sizeof(crm_runtime));
    crm_limits *limits = calloc(1, sizeof(crm_limits));
    if (!runtime || !limits) {
        free(runtime);
        free(limits);
        return NULL;
    }
    limits->limit = memory_limit;
    runtime->limits = limits;
    runtime->co_ref = LUA_NOREF;
    lua_State *L = lua_newstate(crm_alloc, limits);
    if (!L) {
        free(runtime);
        free(limits);
        return NULL;
    }
    runtime->L = L;
    lua_pushlightuserdata(L, runtime);
    lua_setfield(L, LUA_REGISTRYINDEX, "crm.runtime");
    lua_sethook(L, crm_limit_hook, LUA_MASKCOUNT, CRM_HOOK_EVERY);
    lua_pushcfunction(L, open_runtime);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        crm_runtime_free(runtime);
        return NULL;
    }
    return runtime;
}

void crm_runtime_free(crm_runtime *runtime) {
    if (!runtime) return;
    lua_close(runtime->L);
    free(runtime->limits->scratch.data);
    free(runtime->limits);
    free(runtime->output.data);
    free(runtime);
}

size_t crm_runtime_memory(crm_runtime *runtime) { return runtime->limits->used; }

const char *crm_output(crm_runtime *runtime, size_t *length) {
    if (length) *length = runtime->output.length;
    return runtime->output.data ? runtime->output.data : "";
}

int64_t crm_run_instructions(crm_runtime *runtime) { return runtime->limits->instructions; }

/* Protected: describe the script table at -1 (name at -2) into the output. */
static int describe(lua_State *L) {
    crm_runtime *runtime = crm_runtime_of(L);
    int table = lua_gettop(L);
    crm_text *out = &runtime->output;
    crm_text_clear(out);
    crm_text_add(L, out, "{\"triggers\":[", 13);
    int first = 1;
    if (raw_field(L, table, "on") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) {
                if (!first) crm_text_add(L, out, ",", 1);
                first = 0;
                crm_json_encode(L, lua_gettop(L) - 1, out, 0);
            }
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        return luaL_error(L, "the script's `on` must be a table of event handlers");
    }
    lua_pop(L, 1);
    crm_text_add(L, out, "]", 1);
    static const char *const keys[] = {"name", "version", "description", "dependsOn", "config", "fields", NULL};
    for (const char *const *key = keys; *key; key++) {
        raw_field(L, table, *key);
        if (!lua_isnil(L, -1)) {
            crm_text_add(L, out, ",\"", 2);
            crm_text_add(L, out, *key, strlen(*key));
            crm_text_add(L, out, "\":", 2);
            crm_json_encode(L, lua_gettop(L), out, 0);
        }
        lua_pop(L, 1);
    }
    crm_text_add(L, out, "}", 1);
    return 0;
}

int crm_script_load(crm_runtime *runtime, const char *name, const char *code, size_t length,
                    int64_t instruction_limit, double time_limit_ms) {
    lua_State *L = runtime->L;
    int top = lua_gettop(L);
    char chunk_name[80];
    snprintf(chunk_name, sizeof chunk_name, "=%s", name);
    int status = luaL_loadbufferx(L, code, length, chunk_name, "t");
    if (status != LUA_OK) {
        int result = report_error(runtime, L, status);
        lua_settop(L, top);
        return result;
    }
    int main = lua_gettop(L);
    push_fresh_env(L);
    int env = lua_gettop(L);
    lua_pushvalue(L, env);
    lua_setupvalue(L, main, 1);
    lua_pushvalue(L, main);
    arm(runtime, L, instruction_limit, time_limit_ms, 0);
    status = lua_pcall(L, 0, 1, 0);
    if (status != LUA_OK) {
        int result = report_error(runtime, L, status);
        lua_settop(L, top);
        return result;
    }
    if (!lua_istable(L, -1)) {
        set_output(runtime, "a script must return a table");
        lua_settop(L, top);
        return CRM_ERROR;
    }
    int table = lua_gettop(L);
    /* The script's own globals: what its chunk added to the fresh environment. */
    lua_newtable(L);
    int globals = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "crm.base");
    lua_pushnil(L);
    while (lua_next(L, env)) {
        lua_pushvalue(L, -2);
        if (lua_rawget(L, -4) == LUA_TNIL && lua_type(L, -3) == LUA_TSTRING && strcmp(lua_tostring(L, -3), "_G") != 0) {
            lua_pop(L, 1);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, globals);
        } else {
            lua_pop(L, 2);
        }
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, describe);
    lua_pushvalue(L, table);
    status = lua_pcall(L, 1, 0, 0);
    if (status != LUA_OK) {
        int result = report_error(runtime, L, status);
        lua_settop(L, top);
        return result;
    }
    /* Keep it: SCRIPTS[name] = {table, main, globals}. */
    lua_getfield(L, LUA_REGISTRYINDEX, CRM_SCRIPTS);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, table);
    lua_setfield(L, -2, "table");
    lua_pushvalue(L, main);
    lua_setfield(L, -2, "main");
    lua_pushvalue(L, globals);
    lua_setfield(L, -2, "globals");
    lua_setfield(L, -2, name);
    lua_settop(L, top);
    return CRM_DONE;
}

/* Protected: prepare a run (fresh env, event, crm table) and leave handler + args on `co`. */
static int prepare_run(lua_State *L) {
    /* Arguments: name, event name, event JSON, config JSON, coroutine */
    const char *name = lua_tostring(L, 1);
    const char *event_name = lua_tostring(L, 2);
    size_t event_length, config_length;
    const char *event_json = lua_tolstring(L, 3, &event_length);
    const char *config_json = lua_tolstring(L, 4, &config_length);
    lua_State *co = lua_tothread(L, 5);

    lua_getfield(L, LUA_REGISTRYINDEX, CRM_SCRIPTS);
    if (lua_getfield(L, -1, name) != LUA_TTABLE) return luaL_error(L, "script %s is not loaded", name);
    int script = lua_gettop(L);

    /* A fresh environment with the script's globals, swapped into the chunk's _ENV. */
    push_fresh_env(L);
    int env = lua_gettop(L);
    lua_getfield(L, script, "globals");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, env);
    }
    lua_pop(L, 1);
    lua_getfield(L, script, "main");
    lua_pushvalue(L, env);
    lua_setupvalue(L, -2, 1);
    lua_pop(L, 1);

    lua_getfield(L, script, "table");
    raw_field(L, -1, "on");
    if (!lua_istable(L, -1) || raw_field(L, -1, event_name) != LUA_TFUNCTION) {
        return luaL_error(L, "script %s has no handler for %s", name, event_name);
    }
    int handler = lua_gettop(L);

    /* This run's bookkeeping (rejections) and the event table. */
    lua_createtable(L, 0, 2);
    lua_newtable(L);
    lua_setfield(L, -2, "rejections");
    lua_setfield(L, LUA_REGISTRYINDEX, CRM_RUN);

    crm_json_push(L, event_json, event_length);
    if (!lua_istable(L, -1)) return luaL_error(L, "event must be an object");
    int event = lua_gettop(L);
    lua_pushcfunction(L, crm_event_reject);
    lua_setfield(L, event, "reject");
    lua_pushvalue(L, event);
    lua_setfield(L, LUA_REGISTRYINDEX, "crm.event");

    crm_json_push(L, config_json, config_length);
    int config = lua_gettop(L);
    crm_push_crm_table(L, config);
    int crm = lua_gettop(L);

    lua_pushvalue(L, handler);
    lua_pushvalue(L, event);
    lua_pushvalue(L, crm);
    lua_xmove(L, co, 3);
    return 0;
}

/* Protected: the run's result {"record": event.record, "rejections": […]} into the output. */
static int collect_result(lua_State *L) {
    crm_runtime *runtime = crm_runtime_of(L);
    crm_text *out = &runtime->output;
    crm_text_clear(out);
    crm_text_add(L, out, "{\"record\":", 10);
    lua_getfield(L, LUA_REGISTRYINDEX, "crm.event");
    raw_field(L, -1, "record");
    crm_json_encode(L, lua_gettop(L), out, 0);
    lua_pop(L, 2);
    crm_text_add(L, out, ",\"rejections\":", 14);
    lua_getfield(L, LUA_REGISTRYINDEX, CRM_RUN);
    lua_getfield(L, -1, "rejections");
    luaL_setmetatable(L, CRM_ARRAY_MT);
    crm_json_encode(L, lua_gettop(L), out, 0);
    lua_pop(L, 2);
    crm_text_add(L, out, "}", 1);
    return 0;
}

static int step(crm_runtime *runtime, int nargs) {
    lua_State *co = runtime->co;
    int nresults = 0;
    int status = lua_resume(co, runtime->L, nargs, &nresults);
    if (status == LUA_YIELD) {
        lua_pop(co, nresults);
        return CRM_HOST_CALL; /* host_call left the request in the output */
    }
    if (status != LUA_OK) return report_error(runtime, co, status);
    lua_pop(co, nresults);
    runtime->limits->killed = 0;
    lua_pushcfunction(runtime->L, collect_result);
    if (lua_pcall(runtime->L, 0, 0, 0) != LUA_OK) {
        int result = report_error(runtime, runtime->L, LUA_ERRRUN);
        lua_pop(runtime->L, 1);
        return result;
    }
    return CRM_DONE;
}

void crm_run_finish(crm_runtime *runtime) {
    if (runtime->co_ref != LUA_NOREF) {
        luaL_unref(runtime->L, LUA_REGISTRYINDEX, runtime->co_ref);
        runtime->co_ref = LUA_NOREF;
        runtime->co = NULL;
    }
    /* A run that hit a limit or grew the heap past half the cap: give the memory back now. */
    if (runtime->limits->killed || runtime->limits->used > runtime->limits->limit / 2) {
        runtime->limits->killed = 0;
        lua_gc(runtime->L, LUA_GCCOLLECT);
    }
    runtime->limits->killed = 0;
}

int crm_run_start(crm_runtime *runtime, const char *name, const char *event_name,
                  const char *event_json, size_t event_length, const char *config_json, size_t config_length,
                  int64_t instruction_limit, double time_limit_ms, size_t allocation_limit) {
    lua_State *L = runtime->L;
    crm_run_finish(runtime);
    runtime->limits->killed = 0;
    lua_State *co = lua_newthread(L);
    runtime->co = co;
    runtime->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    arm(runtime, co, instruction_limit, time_limit_ms, allocation_limit);
    lua_pushcfunction(L, prepare_run);
    lua_pushstring(L, name);
    lua_pushstring(L, event_name);
    lua_pushlstring(L, event_json, event_length);
    lua_pushlstring(L, config_json, config_length);
    lua_rawgeti(L, LUA_REGISTRYINDEX, runtime->co_ref);
    if (lua_pcall(L, 5, 0, 0) != LUA_OK) {
        int result = report_error(runtime, L, LUA_ERRRUN);
        lua_pop(L, 1);
        return result;
    }
    return step(runtime, 2);
}

int crm_run_resume(crm_runtime *runtime, const char *reply_json, size_t reply_length, int is_error) {
    if (!runtime->co) {
        set_output(runtime, "no run to resume");
        return CRM_ERROR;
    }
    if (!lua_checkstack(runtime->co, 2)) {
        set_output(runtime, "stack overflow");
        return CRM_ERROR;
    }
    lua_pushlstring(runtime->co, reply_json, reply_length);
    lua_pushboolean(runtime->co, is_error);
    return step(runtime, 2);
}
