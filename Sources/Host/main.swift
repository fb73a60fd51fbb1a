import ArgumentParser
import Foundation

// Swift concurrency's jobs run on NIO's event loops (see EventLoopExecutor). It must happen
// before any task starts, hence this file instead of `@main`. Blocking work stays off these
// threads as before: bcrypt runs on NIOThreadPool, and every Lua call is bounded by its time
// budget.
if !EventLoopExecutor.install() {
    FileHandle.standardError.write(Data("crm: could not run Swift concurrency on the event loops; using Swift's thread pool\n".utf8))
}

/// In an `async` function, so that the compiler picks `AsyncParsableCommand`'s `main()`
/// (top-level code would call the synchronous one, which cannot run async subcommands).
func runCRM() async {
    await CRM.main()
}
await runCRM()
