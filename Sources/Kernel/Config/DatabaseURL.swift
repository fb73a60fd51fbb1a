import Foundation
import NIOSSL
import PostgresNIO

/// Where the database is: a `postgres://user:pass@host:port/db` URL, or the embedded cluster's
/// Unix socket. Knows how to turn itself into a `PostgresClient` configuration.
public struct DatabaseURL: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(endpoint: Endpoint, username: String, password: String?, database: String, tls: TLSMode = .disable) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses `postgres://` / `postgresql://` URLs; `?sslmode=disable|prefer|require`, and
    /// libpq's `?host=/directory` for a Unix socket (`/directory/.s.PGSQL.<port>`; the URL's
    /// own host may then be empty: `postgres://user@/db?host=/run/postgresql`).
    public init(parsing raw: String) throws {
        func fail(_ why: String) -> ConfigurationError {
            ConfigurationError("DATABASE_URL", "is malformed: \(why) (expected postgres://user:password@host:5432/database)")
        }
        guard let components = URLComponents(string: raw) else { throw fail("not a URL") }
        guard let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw fail("the scheme must be postgres://")
        }
        guard let user = components.user, !user.isEmpty else { throw fail("no user name") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw fail("no database name") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw fail("port out of range") }
        var tls = TLSMode.disable
        var socketDirectory: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw fail("sslmode must be disable, prefer or require")
                }
                tls = mode
            case "host":
                guard let directory = item.value, directory.hasPrefix("/") else {
                    throw fail("host must be the absolute path of a Unix socket directory")
                }
                socketDirectory = directory
            default:
                throw fail("unknown parameter '\(item.name)'")
            }
        }
        let endpoint: Endpoint
        if let socketDirectory {
            endpoint = .socket(path: "\(socketDirectory.hasSuffix("/") ? String(socketDirectory.dropLast()) : socketDirectory)/.s.PGSQL.\(port)")
        } else {
            guard let host = components.host, !host.isEmpty else { throw fail("no host") }
            endpoint = .tcp(host: host, port: port)
        }
        self.init(
            endpoint: endpoint,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database,
            tls: tls)
    }

    public func clientConfiguration() -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let tlsSetting: PostgresClient.Configuration.TLS
            switch tls {
            case .disable: tlsSetting = .disable
            case .prefer: tlsSetting = .prefer(.makeClientConfiguration())
            case .require: tlsSetting = .require(.makeClientConfiguration())
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        }
        // No keep-alive pings: PostgresNIO arms a keep-alive timer (a task and a dispatch timer)
        // every time a connection goes back to the pool, ~7 % of a GET's CPU; a dead connection
        // shows up as an error on its next use instead.
        configuration.options.keepAliveBehavior = nil
        return configuration
    }

    /// The same location with another database name (tests create one database each).
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }
}
