#define _GNU_SOURCE
#include "LuaShim.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int crm_thread_setup(const char *name, int niceness) {
    pthread_setname_np(pthread_self(), name);
    /* Linux schedules threads individually: PRIO_PROCESS with a thread id sets that thread's. */
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness);
}
