#include "internal.h"

#include <string.h>

/* The `crm` table of a run: functions that need Swift (records, time, log) yield to it with
   a JSON request and raise its error, if any, only after Swift has returned (host_continue);
   JSON runs here in C. */

crm_runtime *crm_runtime_of(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, "crm.runtime");
    crm_runtime *runtime = (crm_runtime *)lua_touserdata(L, -1);
    lua_pop(L, 1);
    return runtime;
}

/* ---- host calls: yield to Swift, raise its error after it has returned ---------------- */

static int host_continue(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    /* Stack: …, reply (string), is_error (boolean) */
    int is_error = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (is_error) return lua_error(L);
    size_t n;
    const char *reply = lua_tolstring(L, -1, &n);
    crm_json_push(L, reply, n);
    return 1;
}

static int host_call(lua_State *L) {
    crm_runtime *runtime = crm_runtime_of(L);
    if (!lua_isyieldable(L)) return luaL_error(L, "crm.%s cannot be called here", lua_tostring(L, lua_upvalueindex(1)));
    int n = lua_gettop(L);
    crm_text *out = &runtime->output;
    crm_text_clear(out);
    crm_text_add(L, out, "{\"fn\":\"", 7);
    const char *fn = lua_tostring(L, lua_upvalueindex(1));
    crm_text_add(L, out, fn, strlen(fn));
    crm_text_add(L, out, "\",\"args\":[", 10);
    for (int i = 1; i <= n; i++) {
        if (i > 1) crm_text_add(L, out, ",", 1);
        crm_json_encode(L, i, out, 0);
    }
    crm_text_add(L, out, "]}", 2);
    return lua_yieldk(L, 0, 0, host_continue);
}

static int json_encode(lua_State *L) {
    luaL_checkany(L, 1);
    crm_text *scratch = &crm_runtime_of(L)->limits->scratch;
    crm_text_clear(scratch);
    crm_json_encode(L, 1, scratch, 0);
    lua_pushlstring(L, scratch->data ? scratch->data : "", scratch->length);
    return 1;
}

static int json_decode(lua_State *L) {
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    crm_json_push(L, s, n);
    return 1;
}

int crm_event_reject(lua_State *L) {
    const char *field = luaL_checkstring(L, 2);
    const char *message = luaL_checkstring(L, 3);
    lua_getfield(L, LUA_REGISTRYINDEX, CRM_RUN);
    lua_getfield(L, -1, "rejections");
    lua_Integer i = (lua_Integer)lua_rawlen(L, -1) + 1;
    if (i > 100) return luaL_error(L, "too many rejections");
    lua_createtable(L, 0, 2);
    lua_pushstring(L, field);
    lua_setfield(L, -2, "field");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    lua_rawseti(L, -2, i);
    return 0;
}

static void add_host(lua_State *L, const char *field, const char *fn) {
    lua_pushstring(L, fn);
    lua_pushcclosure(L, host_call, 1);
    lua_setfield(L, -2, field);
}

/* The `crm` table of one run (LUA.md). */
void crm_push_crm_table(lua_State *L, int config_index) {
    lua_newtable(L);
    add_host(L, "get", "get");
    add_host(L, "find", "find");
    add_host(L, "create", "create");
    add_host(L, "update", "update");
    add_host(L, "delete", "delete");
    add_host(L, "log", "log");
    lua_pushvalue(L, config_index);
    lua_setfield(L, -2, "config");
    lua_newtable(L);
    add_host(L, "now", "time.now");
    add_host(L, "addDays", "time.addDays");
    add_host(L, "parse", "time.parse");
    add_host(L, "format", "time.format");
    lua_setfield(L, -2, "time");
    lua_newtable(L);
    lua_pushcfunction(L, json_encode);
    lua_setfield(L, -2, "encode");
    lua_pushcfunction(L, json_decode);
    lua_setfield(L, -2, "decode");
    lua_setfield(L, -2, "json");
}

