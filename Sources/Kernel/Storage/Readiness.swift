import Synchronization

/// Whether start-up work (migrations) has finished; `/readyz` answers 503 until it has.
public final class Readiness: Sendable {
    private let migrated = Atomic<Bool>(false)

    public init() {}

    public var isMigrated: Bool { migrated.load(ordering: .acquiring) }

    public func markMigrated() { migrated.store(true, ordering: .releasing) }
}
