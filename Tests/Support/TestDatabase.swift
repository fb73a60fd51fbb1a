import Foundation
import Kernel
import Logging
import PostgresNIO

/// A fresh database for one test on the test script's private PostgreSQL, owned by a fresh
/// unprivileged role (neither superuser nor BYPASSRLS), like the server's own in production.
public struct TestDatabase: Sendable {
    public let name: String
    /// Superuser access to this database (to inspect what the server did).
    public let adminURL: DatabaseURL
    /// The application role's access: what the server under test is given.
    public let appURL: DatabaseURL

    public static let logger = Logger(label: "test")

    /// The superuser URL exported by scripts/test.sh.
    public static func serverURL() throws -> DatabaseURL {
        guard let raw = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"] else {
            throw TestSetupError("TEST_DATABASE_URL is not set: run the tests with scripts/test.sh")
        }
        return try DatabaseURL(parsing: raw)
    }

    public static func create() async throws -> TestDatabase {
        let server = try serverURL()
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let name = "t_\(suffix)"
        let role = "app_\(suffix)"
        let password = UUID().uuidString
        try await withClient(server) { client in
            try await client.query(
                "CREATE ROLE \(unescaped: role) LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '\(unescaped: password)'", logger: logger)
            try await client.query("CREATE DATABASE \(unescaped: name) OWNER \(unescaped: role)", logger: logger)
        }
        var app = server.with(database: name)
        app.username = role
        app.password = password
        return TestDatabase(name: name, adminURL: server.with(database: name), appURL: app)
    }

    /// The `DATABASE_URL` text of the application role.
    public var appURLString: String {
        guard case .tcp(let host, let port) = appURL.endpoint else { return "" }
        return "postgres://\(appURL.username):\(appURL.password ?? "")@\(host):\(port)/\(appURL.database)"
    }

    /// Runs `body` with a pool connected to `url`, then shuts the pool down.
    @discardableResult
    public static func withClient<T: Sendable>(
        _ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    @discardableResult
    public func withAdmin<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await Self.withClient(adminURL, body)
    }

    @discardableResult
    public func withApp<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await Self.withClient(appURL, body)
    }

    /// One connection as the server's role acting for organization `organizationID` (the
    /// setting row-level security reads), as the server's requests do.
    @discardableResult
    public func withAppTenant<T: Sendable>(
        _ organizationID: String, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withApp { client in
            try await client.withConnection { connection in
                try await connection.query("SELECT set_config('app.org_id', \(organizationID), false)", logger: Self.logger)
                return try await body(connection)
            }
        }
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
