import Kernel
import Logging
import Synchronization
import Testing

/// A handler that keeps what it is asked to write.
private struct RecordingHandler: LogHandler {
    final class Lines: Sendable {
        let events = Mutex<[Logger.Metadata]>([])
    }
    let lines = Lines()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        lines.events.withLock { $0.append(merged) }
    }
}

@Suite struct LogHandlerTests {
    /// Metadata set on the logger reaches the line written; the line's own metadata wins.
    @Test func deferredMetadataArrivesWithTheLine() {
        let base = RecordingHandler()
        var logger = Logger(label: "test") { _ in DeferredMetadataLogHandler(base) }
        logger.logLevel = .info
        logger[metadataKey: "request_id"] = "r1"
        logger[metadataKey: "actor"] = "user:1"
        logger.debug("not written")
        logger.info("written", metadata: ["actor": "script:x", "extra": "1"])
        let events = base.lines.events.withLock { $0 }
        #expect(events == [["request_id": "r1", "actor": "script:x", "extra": "1"]])
        #expect(logger[metadataKey: "request_id"] == "r1")
    }
}
