import ArgumentParser
import Foundation
import Kernel
import Logging
import Metrics
import Prometheus

/// What every command does before it can work: read the configuration, set up logging, check
/// the plugin set, and find (or start) the database. Failures end the process with one line.
struct Launcher {
    var configuration: CRMConfiguration
    let registry: PluginRegistry
    let logger: Logger

    /// Prepares, runs `body` with a database URL, and stops the embedded cluster afterwards
    /// (also when `body` fails).
    static func withDatabase(_ body: (Launcher, DatabaseURL) async throws -> Void) async throws {
        do {
            var launcher = try Launcher()
            let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            if let url = launcher.configuration.database {
                if launcher.configuration.mode == .development {
                    let state = workingDirectory.appendingPathComponent(".crm")
                    try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
                    try launcher.fillDevelopmentSecrets(in: state)
                }
                try await body(launcher, url)
                return
            }
            let cluster = try EmbeddedPostgres(stateDirectory: workingDirectory.appendingPathComponent(".crm"), logger: launcher.logger)
            let url = try await cluster.start()
            ShutdownDeadline.atForcedExit { cluster.stop() }
            try launcher.fillDevelopmentSecrets(in: cluster.stateDirectory)
            do {
                try await body(launcher, url)
            } catch {
                cluster.stop()
                throw error
            }
            cluster.stop()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("crm: \(Self.oneLine(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    init() throws {
        let configuration = try CRMConfiguration(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            switch configuration.logFormat {
            case .json:
                return JSONLogHandler(label: label, level: configuration.logLevel)
            case .text:
                var handler = DeferredMetadataLogHandler(StreamLogHandler.standardOutput(label: label))
                handler.logLevel = configuration.logLevel
                return handler
            }
        }
        self.configuration = configuration
        self.logger = Logger(label: "crm")
        self.registry = try PluginRegistry(BundledPlugins.all(environment: ProcessInfo.processInfo.environment))
    }

    /// Development without JWT secrets: generate them once and keep them beside the cluster.
    mutating func fillDevelopmentSecrets(in directory: URL) throws {
        guard configuration.jwtSecret == nil || configuration.jwtRefreshSecret == nil else { return }
        let secrets = try DevelopmentSecrets.loadOrCreate(in: directory)
        configuration.jwtSecret = configuration.jwtSecret ?? secrets.access
        configuration.jwtRefreshSecret = configuration.jwtRefreshSecret ?? secrets.refresh
    }

    func makeServer(databaseURL: DatabaseURL) async throws -> CRMServer {
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        return await CRMServer(
            configuration: configuration, registry: registry,
            database: Database(
                url: databaseURL, logger: logger, poolSize: configuration.databasePoolSize,
                timeouts: .init(
                    statementMilliseconds: configuration.databaseStatementTimeoutMilliseconds,
                    lockMilliseconds: configuration.databaseLockTimeoutMilliseconds)),
            prometheus: prometheus)
    }

    static func oneLine(_ error: any Error) -> String {
        PostgresErrorText.describe(error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
