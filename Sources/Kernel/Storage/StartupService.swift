import Logging
import ServiceLifecycle

/// Checks the database role, runs the migrations of every plugin once the pool is up, then
/// flags the server ready. A refused role or a failed migration ends the service group, so the
/// process stops with that error.
public struct StartupService: Service {
    let migrator: Migrator
    let sets: [MigrationSet]
    let readiness: Readiness
    /// In production, a warning at start for settings that weaken durability.
    let checkDurability: Bool

    public init(migrator: Migrator, sets: [MigrationSet], readiness: Readiness, checkDurability: Bool = false) {
        self.migrator = migrator
        self.sets = sets
        self.readiness = readiness
        self.checkDurability = checkDurability
    }

    public func run() async throws {
        try await DatabaseChecks.refuseUnsafeRole(migrator.client, logger: migrator.logger)
        if checkDurability {
            for warning in try await DatabaseChecks.durabilityWarnings(migrator.client, logger: migrator.logger) {
                migrator.logger.warning("\(warning)")
            }
        }
        try await migrator.migrate(sets)
        readiness.markMigrated()
        // Stay alive until shutdown: a service that returns early ends the group.
        try? await gracefulShutdown()
    }
}
