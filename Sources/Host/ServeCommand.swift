import AdminUI
import ArgumentParser
import Hummingbird
import Kernel

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Apply pending migrations, then serve the HTTP API until SIGTERM or SIGINT.")

    func run() async throws {
        try await Launcher.withDatabase { launcher, url in
            ShutdownDeadline.arm(timeout: launcher.configuration.shutdownTimeoutSeconds, logger: launcher.logger)
            var server = try await launcher.makeServer(databaseURL: url)
            let console = AdminUI()
            server.pages.append { router, documentation in console.register(on: router, documentation: documentation) }
            try await server.makeApplication().runService()
        }
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations of the kernel and every plugin, then exit.")

    func run() async throws {
        try await Launcher.withDatabase { launcher, url in
            let database = Database(url: url, logger: launcher.logger, poolSize: 1)
            let sets = CRMServer.migrationSets(for: launcher.registry)
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    await database.run()
                    return []
                }
                let applied = try await Migrator(client: database.client, logger: launcher.logger).migrate(sets)
                group.cancelAll()
                return applied
            }
            print(applied.isEmpty ? "crm: no pending migrations" : "crm: applied \(applied.joined(separator: ", "))")
        }
    }
}
