import ConcurrencyHook
import NIOCore
import NIOPosix

/// Swift concurrency's global executor on NIO's event loops, so that a request's handler, its
/// PostgreSQL I/O and its response run on one thread instead of hopping to and from a separate
/// thread pool (each hop a futex wake-up and a context switch).
///
/// Why not NIO's own `unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`:
/// it runs every job *as the event loop's serial executor*. Each time plain async code then
/// continues (`swift_task_switch` to the generic executor, after almost every `await`), the
/// runtime sees another executor and suspends the task into the loop's queue again: 15 % of the
/// server's CPU on a list of 25 (perf), half of it for a GET. Here a job runs as the generic
/// executor, like on Swift's own thread pool, so those continuations stay inline (2 % left).
///
/// The same mechanism as NIO's: the runtime's `swift_task_enqueueGlobal_hook`, which must be
/// set before any task starts (hence `main.swift`), and `swift_job_run`, which `UnownedJob`'s
/// `runSynchronously` calls. Without the hook the server still works, on Swift's thread pool.
enum EventLoopExecutor {
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Installs the hook; `false` if someone else installed one.
    static func install() -> Bool {
        // The hook variable holds one nullable function pointer.
        guard MemoryLayout<EnqueueGlobalHook?>.size == MemoryLayout<UnsafeRawPointer>.size else { return false }
        // Linked directly (ConcurrencyHook): `dlsym` finds nothing in a `--static-swift-stdlib`
        // binary, whose runtime symbols are local.
        let hook = UnsafeMutableRawPointer(crm_swift_task_enqueue_global_hook()).assumingMemoryBound(to: EnqueueGlobalHook?.self)
        guard hook.pointee == nil else { return false }
        hook.pointee = { job, _ in
            // The current loop when there is one: a task resumed by a channel's I/O goes on
            // running where that I/O happens.
            let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
            loop.execute { swiftJobRun(job, genericExecutor) }
        }
        return true
    }
}

@_silgen_name("swift_job_run")
private func swiftJobRun(_ job: UnownedJob, _ executor: UnownedSerialExecutor)

/// The runtime's generic executor (`SerialExecutorRef::generic()`: no identity, no
/// implementation), which Swift's own global executor passes to `swift_job_run`.
private let genericExecutor = unsafeBitCast((UInt(0), UInt(0)), to: UnownedSerialExecutor.self)
