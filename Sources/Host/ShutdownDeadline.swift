import Dispatch
import Foundation
import Logging
import Scripting

/// `SIGTERM` (or `SIGINT`) ends the process within `SHUTDOWN_TIMEOUT_SECONDS`, whatever the
/// scripts or connections are doing. The graceful path (the service group: requests in flight
/// answered, workers stopped, the embedded cluster stopped) normally finishes well before;
/// this is the bound when it does not.
///
/// At half the timeout every Lua run still going is ended (a workflow job so cut short is
/// retried later, a request answers its script error); at the timeout the embedded cluster is
/// stopped and the process exits with status 1. Committed writes are PostgreSQL's: an exit
/// here loses none of them.
enum ShutdownDeadline {
    private static let queue = DispatchQueue(label: "crm.shutdown-deadline")
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    nonisolated(unsafe) private static var started = false
    nonisolated(unsafe) private static var cleanups: [@Sendable () -> Void] = []

    /// Watches the signals from now on (call once, before serving).
    static func arm(timeout seconds: Int, logger: Logger) {
        queue.sync {
            for signalNumber in [SIGTERM, SIGINT] {
                // Dispatch delivers a signal only when its default action is off; the service
                // group's own handler sees it as well.
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { start(seconds, logger: logger) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Work that must happen even on a forced exit (stopping the embedded cluster).
    static func atForcedExit(_ cleanup: @escaping @Sendable () -> Void) {
        queue.sync { cleanups.append(cleanup) }
    }

    private static func start(_ seconds: Int, logger: Logger) {
        guard !started else { return }
        started = true
        let half = DispatchTime.now() + .milliseconds(seconds * 500)
        queue.asyncAfter(deadline: half) {
            logger.warning("shutdown is taking long: ending every Lua run still going")
            LuaSandbox.abortAllRuns()
        }
        queue.asyncAfter(deadline: .now() + .seconds(seconds)) {
            logger.error("shutdown did not finish within \(seconds) s (SHUTDOWN_TIMEOUT_SECONDS); exiting now")
            for cleanup in cleanups { cleanup() }
            fflush(nil)  // every stream: the log lines above
            _exit(1)
        }
    }
}
