#ifndef CRM_CONCURRENCY_HOOK_H
#define CRM_CONCURRENCY_HOOK_H

/// The address of the Swift runtime's `swift_task_enqueueGlobal_hook` (a nullable function
/// pointer), linked directly so that it is found in a binary built with `--static-swift-stdlib`
/// too, where the static runtime's symbols are not exported and `dlsym` cannot see them.
void **crm_swift_task_enqueue_global_hook(void);

#endif
