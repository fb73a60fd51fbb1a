import Configuration
import Foundation
import Logging

/// A configuration value that cannot be used; the description is the one line start-up prints.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let message: String

    public init(_ variable: String, _ message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String { "configuration error: \(variable) \(message)" }
}

/// Reads settings from the environment through swift-configuration's `ConfigReader`, one rule
/// for every part of the server: surrounding spaces are ignored, an empty value is no value,
/// and a value that is present but wrong throws a `ConfigurationError` naming the variable
/// (start-up stops with that one line, never silently falling back to a default).
public struct EnvironmentReader: Sendable {
    private let reader: ConfigReader

    public init(_ environment: [String: String]) {
        // Secrets are marked so that access reporting and the provider's descriptions redact them.
        let provider = EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .dynamic { name, _ in Self.isSecret(name) })
        reader = ConfigReader(provider: provider)
    }

    /// Variables whose values are credentials (DESIGN.md, Configuration).
    static func isSecret(_ name: String) -> Bool {
        name == "DATABASE_URL" || name.hasSuffix("SECRET") || name.hasSuffix("_PASSWORD") || name.hasSuffix("_KEY")
    }

    /// The variable named as DESIGN.md writes it (`DATABASE_URL`): one key component, which the
    /// environment provider maps back onto that same name.
    public func value(_ name: String) -> String? {
        let key = ConfigKey([name])
        guard let raw = reader.string(forKey: key, isSecret: Self.isSecret(name))?.trimmingCharacters(in: .whitespaces), !raw.isEmpty
        else { return nil }
        return raw
    }

    /// An integer within `range`, or `fallback` when the variable is unset. (Not the reader's
    /// `int(forKey:default:)`, which answers the default for a value that is not an integer.)
    public func integer<Number: FixedWidthInteger & Sendable>(
        _ name: String, default fallback: Number, range: ClosedRange<Number>
    ) throws -> Number {
        guard let raw = value(name) else { return fallback }
        guard let number = Number(raw), range.contains(number) else {
            throw ConfigurationError(name, "must be an integer in \(range.lowerBound)...\(range.upperBound) (got '\(raw)')")
        }
        return number
    }
}

/// The server's settings, read from the environment (DESIGN.md, Configuration). Parsing is
/// strict: a value that is present but wrong stops start-up naming the variable, it is never
/// silently replaced by a default.
public struct CRMConfiguration: Sendable {
    public enum Mode: String, Sendable { case development, production }
    public enum LogFormat: String, Sendable { case json, text }

    /// `nil`: no `DATABASE_URL`, the host runs the embedded cluster.
    public var database: DatabaseURL?
    public var host: String
    public var port: Int
    public var mode: Mode
    /// `nil` in development when unset: the host generates and keeps one in `./.crm/`.
    public var jwtSecret: String?
    public var jwtRefreshSecret: String?
    public var oauthProviders: [String: OAuthProviderSettings]
    public var publicURL: String
    public var corsOrigins: [String]
    public var rateLimitAuth: Int
    /// Proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`: addresses or CIDR
    /// networks, comma-separated); none by default.
    public var trustedProxies: [IPNetwork]
    public var rateLimitAPI: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// bcrypt work factor (`BCRYPT_COST`), 10…16.
    public var bcryptCost: Int
    /// PostgreSQL connections the server keeps open (`DATABASE_POOL_SIZE`).
    public var databasePoolSize: Int
    /// How long `SIGTERM` may take before the process exits regardless (`SHUTDOWN_TIMEOUT_SECONDS`).
    public var shutdownTimeoutSeconds: Int
    /// A connection that has not sent a complete request head for this long — idle between
    /// requests, or sending its head byte by byte — is closed (`HTTP_IDLE_TIMEOUT_SECONDS`).
    public var httpIdleTimeoutSeconds: Int
    /// A request's statement that runs longer (`DATABASE_STATEMENT_TIMEOUT_MS`), or waits for a
    /// row lock longer (`DATABASE_LOCK_TIMEOUT_MS`), is cancelled: the request answers 503
    /// instead of holding its connection while the database is stuck.
    public var databaseStatementTimeoutMilliseconds: Int
    public var databaseLockTimeoutMilliseconds: Int

    public static let minimumSecretBytes = 32

    public init(environment env: [String: String]) throws {
        let reader = EnvironmentReader(env)
        func value(_ name: String) -> String? { reader.value(name) }
        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            try reader.integer(name, default: fallback, range: range)
        }

        if let raw = value("CRM_ENV") {
            guard let mode = Mode(rawValue: raw) else {
                throw ConfigurationError("CRM_ENV", "must be 'development' or 'production' (got '\(raw)')")
            }
            self.mode = mode
        } else {
            self.mode = .development
        }
        self.database = try value("DATABASE_URL").map { try DatabaseURL(parsing: $0) }
        self.host = value("HOST") ?? "127.0.0.1"
        self.port = try integer("PORT", default: 8080, range: 0...65535)
        self.rateLimitAuth = try integer("RATE_LIMIT_AUTH", default: 20, range: 0...1_000_000)
        self.trustedProxies = try (value("TRUSTED_PROXIES") ?? "").split(separator: ",").map {
            let entry = $0.trimmingCharacters(in: .whitespaces)
            guard let network = IPNetwork(entry) else {
                throw ConfigurationError("TRUSTED_PROXIES", "must list IP addresses or CIDR networks, comma-separated (got '\(entry)')")
            }
            return network
        }
        self.rateLimitAPI = try integer("RATE_LIMIT_API", default: 1200, range: 0...10_000_000)
        self.bcryptCost = try integer("BCRYPT_COST", default: 12, range: 10...16)
        self.databasePoolSize = try integer("DATABASE_POOL_SIZE", default: Database.defaultPoolSize, range: 1...1000)
        self.shutdownTimeoutSeconds = try integer("SHUTDOWN_TIMEOUT_SECONDS", default: 10, range: 1...3600)
        self.httpIdleTimeoutSeconds = try integer("HTTP_IDLE_TIMEOUT_SECONDS", default: 30, range: 1...86_400)
        self.databaseStatementTimeoutMilliseconds = try integer("DATABASE_STATEMENT_TIMEOUT_MS", default: 5000, range: 100...3_600_000)
        self.databaseLockTimeoutMilliseconds = try integer("DATABASE_LOCK_TIMEOUT_MS", default: 2000, range: 100...3_600_000)

        for name in ["JWT_SECRET", "JWT_REFRESH_SECRET"] {
            if let secret = value(name), secret.utf8.count < Self.minimumSecretBytes {
                throw ConfigurationError(name, "must be at least \(Self.minimumSecretBytes) bytes")
            }
            if mode == .production, value(name) == nil {
                throw ConfigurationError(name, "is required when CRM_ENV=production (at least \(Self.minimumSecretBytes) bytes)")
            }
        }
        self.jwtSecret = value("JWT_SECRET")
        self.jwtRefreshSecret = value("JWT_REFRESH_SECRET")

        if let raw = value("PUBLIC_URL") {
            guard let url = URL(string: raw), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ConfigurationError("PUBLIC_URL", "must be an http(s) URL (got '\(raw)')")
            }
            self.publicURL = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        } else {
            self.publicURL = "http://\(host):\(port)"
        }

        self.corsOrigins = try (value("CORS_ORIGINS") ?? "").split(separator: ",").map {
            let origin = $0.trimmingCharacters(in: .whitespaces)
            guard let url = URL(string: origin), url.scheme != nil, url.host != nil, url.path.isEmpty || url.path == "/" else {
                throw ConfigurationError("CORS_ORIGINS", "must be a comma list of origins like https://app.example.com (got '\(origin)')")
            }
            return origin.hasSuffix("/") ? String(origin.dropLast()) : origin
        }

        if let raw = value("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: raw.lowercased()) else {
                throw ConfigurationError("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical (got '\(raw)')")
            }
            self.logLevel = level
        } else {
            self.logLevel = .info
        }
        if let raw = value("LOG_FORMAT") {
            guard let format = LogFormat(rawValue: raw) else {
                throw ConfigurationError("LOG_FORMAT", "must be 'json' or 'text' (got '\(raw)')")
            }
            self.logFormat = format
        } else {
            self.logFormat = mode == .production ? .json : .text
        }
        self.oauthProviders = try OAuthProviderSettings.fromEnvironment(value)
    }
}

/// One OAuth 2.0 provider's client and endpoints; present only when its id and secret are set.
public struct OAuthProviderSettings: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: String
    public var endpoints: [String: String]

    static let defaults: [String: [String: String]] = [
        "google": [
            "AUTH_URL": "https://accounts.google.com/o/oauth2/v2/auth",
            "TOKEN_URL": "https://oauth2.googleapis.com/token",
            "USERINFO_URL": "https://openidconnect.googleapis.com/v1/userinfo",
        ],
        "github": [
            "AUTH_URL": "https://github.com/login/oauth/authorize",
            "TOKEN_URL": "https://github.com/login/oauth/access_token",
            "USER_URL": "https://api.github.com/user",
            "EMAILS_URL": "https://api.github.com/user/emails",
        ],
    ]

    static func fromEnvironment(_ value: (String) -> String?) throws -> [String: OAuthProviderSettings] {
        var providers: [String: OAuthProviderSettings] = [:]
        for (provider, endpoints) in defaults {
            let prefix = "OAUTH_\(provider.uppercased())_"
            var resolved: [String: String] = [:]
            for (key, fallback) in endpoints {
                let url = value(prefix + key) ?? fallback
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                    throw ConfigurationError(prefix + key, "must be an http(s) URL (got '\(url)')")
                }
                resolved[key] = url
            }
            switch (value(prefix + "CLIENT_ID"), value(prefix + "CLIENT_SECRET")) {
            case (let id?, let secret?):
                providers[provider] = OAuthProviderSettings(clientID: id, clientSecret: secret, endpoints: resolved)
            case (nil, nil):
                break
            case (nil, _):
                throw ConfigurationError(prefix + "CLIENT_ID", "is required when \(prefix)CLIENT_SECRET is set")
            case (_, nil):
                throw ConfigurationError(prefix + "CLIENT_SECRET", "is required when \(prefix)CLIENT_ID is set")
            }
        }
        return providers
    }
}
