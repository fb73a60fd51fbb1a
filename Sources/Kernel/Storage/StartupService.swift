import Logging
import ServiceLifecycle

/// Checks the database role, runs the migrations of every plugin once the pool is up, then
/// flags the server ready. A refused role or a failed migration ends the service group, so the
/// process stops with that error.
public struct StartupService: Service {
    let migrator: Migrator
    let sets: [MigrationSet]
    let readiness: Readiness

    public init(migrator: Migrator, sets: [MigrationSet], readiness: Readiness) {
        self.migrator = migrator
        self.sets = sets
        self.readiness = readiness
    }

    public func run() async throws {
        try await DatabaseRoleCheck.refuseUnsafeRole(migrator.client, logger: migrator.logger)
        try await migrator.migrate(sets)
        readiness.markMigrated()
        // Stay alive until shutdown: a service that returns early ends the group.
        try? await gracefulShutdown()
    }
}
