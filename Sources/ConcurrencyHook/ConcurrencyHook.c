#include "ConcurrencyHook.h"

// Defined by the Swift concurrency runtime (libswift_Concurrency), which every Swift
// executable links; its real type is a function pointer, its address is all that is needed.
extern void *swift_task_enqueueGlobal_hook;

void **crm_swift_task_enqueue_global_hook(void) {
    return &swift_task_enqueueGlobal_hook;
}
