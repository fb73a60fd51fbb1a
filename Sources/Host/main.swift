import ArgumentParser
import NIOCore
import NIOPosix

// Swift concurrency's jobs run on NIO's event loops instead of a separate thread pool, so a
// request's handler, its PostgreSQL I/O and its response no longer hop between threads (each
// hop a futex wake-up and a context switch). It must happen before any task starts, hence this
// file instead of `@main`. Blocking work stays off these threads as before: bcrypt runs on
// NIOThreadPool, and every Lua call is bounded by its time budget.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// In an `async` function, so that the compiler picks `AsyncParsableCommand`'s `main()`
/// (top-level code would call the synchronous one, which cannot run async subcommands).
func runCRM() async {
    await CRM.main()
}
await runCRM()
