import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard output: what log
/// collectors in production expect. Metadata values are strings; callers never pass secrets.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: JSONValue] = [
            "ts": .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))),
            "level": .string(event.level.rawValue),
            "msg": .string("\(event.message)"),
            "logger": .string(label),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged where object[key] == nil {
            object[key] = .string("\(value)")
        }
        OutputLock.write(JSONValue.object(object).serialized() + "\n")
    }
}

/// Serialises writes so concurrent log lines never interleave.
enum OutputLock {
    static let lock = Mutex(())

    static func write(_ line: String) {
        lock.withLock { _ in
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}
