import Synchronization

/// Every entity schema plugins registered, by name; filled at start-up, read afterwards.
public final class Schemas: Sendable {
    private let byName = Mutex<[String: EntitySchema]>([:])

    public init() {}

    public func add(_ schema: EntitySchema) {
        byName.withLock { $0[schema.name] = schema }
    }

    public func schema(_ name: String) -> EntitySchema? {
        byName.withLock { $0[name] }
    }

    public var all: [EntitySchema] {
        byName.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }
}
