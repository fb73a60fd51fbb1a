#ifndef CRM_LUA_SHIM_INTERNAL_H
#define CRM_LUA_SHIM_INTERNAL_H

#include "../CLua/shim.h"
#include <stddef.h>
#include <stdint.h>

/* A growable text outside Lua's memory (JSON output, host-call requests). Using luaL_Buffer
   while pushing other values is not allowed, so JSON is built here. */
typedef struct crm_text {
    char *data;
    size_t length;
    size_t capacity;
} crm_text;

#define CRM_TEXT_MAX (16u << 20)

void crm_text_add(lua_State *L, crm_text *text, const char *s, size_t n);
void crm_text_clear(crm_text *text);

/* Per-state bookkeeping, the allocator's userdata. */
typedef struct crm_limits {
    size_t used;
    size_t limit;
    int64_t instructions;
    int64_t instruction_limit;
    double deadline_ms;          /* monotonic clock; 0 = none */
    size_t allocated;            /* bytes the current run has allocated (growth only) */
    size_t allocation_limit;     /* a cap on those for this run; 0 = none (see crm_run_start) */
    int killed;                  /* a limit was hit: protected calls must not swallow it */
    const char *kill_reason;
    crm_text scratch;            /* crm.json.encode's output */
} crm_limits;

void *crm_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);
/* The state's bookkeeping (the allocator's userdata), from any of its threads. */
crm_limits *crm_limits_of(lua_State *L);

/* Why a run was killed: its error message, which Sandbox.c also recognises on a dead coroutine
   and ScriptEngine/LuaSandbox on a first attempt. */
#define CRM_KILL_INSTRUCTIONS "instruction limit exceeded"
#define CRM_KILL_TIME "time limit exceeded"
#define CRM_KILL_MEMORY "memory limit exceeded"
#define CRM_KILL_SHUTDOWN "the server is shutting down"
#define CRM_KILL_ALLOCATION "allocation limit exceeded"
double crm_now_ms(void);

/* Opens the sandboxed libraries into the state's globals (the template environments copy). */
int crm_open_sandbox(lua_State *L);
/* Replaces find, match, gmatch and gsub in the string library table at the top of the stack with bounded versions. */
void crm_open_patterns(lua_State *L);

/* JSON <-> Lua, raising Lua errors on bad input (call in protected mode). */
void crm_json_push(lua_State *L, const char *text, size_t length);
void crm_json_encode(lua_State *L, int index, crm_text *text, int depth);

#include "LuaShim.h"

/* One tenant's scripts in one state (see Runtime.c). */
struct crm_runtime {
    lua_State *L;
    crm_limits *limits;
    lua_State *co;          /* the coroutine of the current run */
    int co_ref;
    crm_text output;
};

crm_runtime *crm_runtime_of(lua_State *L);

/* Limits (Runtime.c): the count hook every thread of a state carries, and the charges of C
   code that works for a script (see there). */
#define CRM_HOOK_EVERY 1000
void crm_limit_hook(lua_State *L, lua_Debug *ar);
void crm_charge(lua_State *L, int64_t steps);
void crm_reserve(lua_State *L, int64_t steps);
/* Pushes the `crm` table of a run (LUA.md); `config_index` holds crm.config. */
void crm_push_crm_table(lua_State *L, int config_index);
/* event:reject(field, message) */
int crm_event_reject(lua_State *L);

#define CRM_RUN "crm.run"
#define CRM_ARRAY_MT "crm.array"
#define CRM_JSON_MAX_DEPTH 64
/* The largest chunk load() compiles: a script's own size limit (API.md). */
#define CRM_MAX_CHUNK (256 * 1024)

#endif
