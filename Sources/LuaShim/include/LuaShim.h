#ifndef CRM_LUA_SHIM_H
#define CRM_LUA_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* Everything Swift needs from Lua, as functions that never let a Lua error (longjmp) escape:
   each runs Lua in protected mode and reports failures as status codes and messages. Values
   cross the boundary as JSON text, encoded and decoded in C inside protected calls. */

typedef struct lua_State lua_State;

/* ---- the script runtime ---------------------------------------------------------------- */

/* Outcome of crm_script_load / crm_run_resume. */
enum {
    CRM_DONE = 0,       /* finished; crm_output holds the result JSON */
    CRM_HOST_CALL = 1,  /* the script called crm.<fn>; crm_output holds {"fn":…,"args":[…]} */
    CRM_ERROR = 2,      /* failed; crm_output holds the message */
};

typedef struct crm_runtime crm_runtime;

/* A state for one tenant's scripts: memory cap in bytes. NULL if it cannot be created. */
crm_runtime *crm_runtime_new(size_t memory_limit);
void crm_runtime_free(crm_runtime *runtime);
size_t crm_runtime_memory(crm_runtime *runtime);

/* Loads `code` (text only) as script `name` in its own environment, runs the chunk under the
   given limits and keeps the table it returns. On CRM_DONE, crm_output is the script's
   description as JSON: {"name","version","description","triggers":[…],"config":{…},"fields":{…}}. */
int crm_script_load(crm_runtime *runtime, const char *name, const char *code, size_t length,
                    int64_t instruction_limit, double time_limit_ms);

/* Starts `on[event]` of a loaded script with the event (JSON) and the plugin config (JSON),
   under the limits; then runs it until it finishes or calls the host. `allocation_limit`
   (0 = none) caps the bytes the run allocates, beside the state's memory cap: C functions
   (string.rep, table.concat, …) work in proportion to what they allocate, and run unhooked. */
int crm_run_start(crm_runtime *runtime, const char *name, const char *event_name,
                  const char *event_json, size_t event_length, const char *config_json, size_t config_length,
                  int64_t instruction_limit, double time_limit_ms, size_t allocation_limit);

/* Resumes after a host call with its reply (JSON); `is_error` makes the call raise the reply
   (a string) as a Lua error inside the script. */
int crm_run_resume(crm_runtime *runtime, const char *reply_json, size_t reply_length, int is_error);

/* The text of the last outcome (result, host call or error message); valid until the next call. */
const char *crm_output(crm_runtime *runtime, size_t *length);

/* Instructions the current run has executed (to the hook's granularity). */
int64_t crm_run_instructions(crm_runtime *runtime);

/* Makes every run of every state end at once with "the server is shutting down" (at shutdown;
   there is no way back). Safe to call from any thread. */
void crm_abort_all_runs(void);

/* Ends the current run (if any) and releases its coroutine. */
void crm_run_finish(crm_runtime *runtime);

/* Names the calling thread (for top and perf; at most 15 characters) and sets its CPU
   priority (Linux niceness, 0–19); 0 on success. The threads that run Lua call it, so event
   loops win the CPU from them. */
int crm_thread_setup(const char *name, int niceness);

#endif
