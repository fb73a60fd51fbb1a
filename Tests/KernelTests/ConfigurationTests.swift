@testable import Kernel
import Testing

@Suite struct ConfigurationTests {
    let secret = String(repeating: "s", count: 32)

    @Test func defaultsMatchTheDesign() throws {
        let configuration = try CRMConfiguration(environment: [:])
        #expect(configuration.database == nil)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.mode == .development)
        #expect(configuration.rateLimitAuth == 20)
        #expect(configuration.rateLimitAPI == 1200)
        #expect(configuration.logFormat == .text)
        #expect(configuration.publicURL == "http://127.0.0.1:8080")
        #expect(configuration.oauthProviders.isEmpty)
        #expect(configuration.databasePoolSize == 20)
    }

    @Test func aPoolSizeOutOfRangeNamesTheVariable() throws {
        #expect(try CRMConfiguration(environment: ["DATABASE_POOL_SIZE": "4"]).databasePoolSize == 4)
        for bad in ["0", "1001", "many"] {
            #expect(throws: ConfigurationError("DATABASE_POOL_SIZE", "must be an integer in 1...1000 (got '\(bad)')")) {
                try CRMConfiguration(environment: ["DATABASE_POOL_SIZE": bad])
            }
        }
    }

    @Test func aNonNumericPortNamesTheVariable() {
        #expect(throws: ConfigurationError("PORT", "must be an integer in 0...65535 (got 'abc')")) {
            try CRMConfiguration(environment: ["PORT": "abc"])
        }
    }

    @Test func aMalformedDatabaseURLNamesTheVariable() {
        for bad in ["mysql://u@h/db", "postgres://h/db", "postgres://u@h", "not a url", "postgres://u@h/db?sslmode=maybe"] {
            do {
                _ = try CRMConfiguration(environment: ["DATABASE_URL": bad])
                Issue.record("accepted \(bad)")
            } catch let error as ConfigurationError {
                #expect(error.variable == "DATABASE_URL")
                #expect(!"\(error)".contains("\n"))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func aDatabaseURLIsParsed() throws {
        let url = try DatabaseURL(parsing: "postgresql://crm%40app:p%2Fw@db.internal:6543/crm?sslmode=require")
        #expect(url.endpoint == .tcp(host: "db.internal", port: 6543))
        #expect(url.username == "crm@app")
        #expect(url.password == "p/w")
        #expect(url.database == "crm")
        #expect(url.tls == .require)
    }

    @Test func aDatabaseURLMayNameAUnixSocketDirectory() throws {
        let local = try DatabaseURL(parsing: "postgres://crm:secret@/crm?host=/run/postgresql")
        #expect(local.endpoint == .socket(path: "/run/postgresql/.s.PGSQL.5432"))
        #expect(local.password == "secret")
        // The directory wins over a host name; the port names the socket file.
        let other = try DatabaseURL(parsing: "postgres://crm@localhost:6543/crm?host=/tmp/pg/")
        #expect(other.endpoint == .socket(path: "/tmp/pg/.s.PGSQL.6543"))
        for bad in ["postgres://crm@/crm?host=relative/dir", "postgres://crm@/crm?host=", "postgres://crm@/crm"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try DatabaseURL(parsing: bad) }
        }
    }

    @Test func productionRequiresSecrets() {
        #expect(throws: ConfigurationError.self) {
            try CRMConfiguration(environment: ["CRM_ENV": "production"])
        }
        #expect(throws: ConfigurationError("JWT_SECRET", "must be at least 32 bytes")) {
            try CRMConfiguration(environment: ["CRM_ENV": "production", "JWT_SECRET": "short", "JWT_REFRESH_SECRET": secret])
        }
    }

    @Test func productionLogsJSONLines() throws {
        let configuration = try CRMConfiguration(
            environment: ["CRM_ENV": "production", "JWT_SECRET": secret, "JWT_REFRESH_SECRET": secret])
        #expect(configuration.logFormat == .json)
    }

    @Test func anOAuthProviderNeedsBothIDAndSecret() throws {
        #expect(throws: ConfigurationError("OAUTH_GITHUB_CLIENT_SECRET", "is required when OAUTH_GITHUB_CLIENT_ID is set")) {
            try CRMConfiguration(environment: ["OAUTH_GITHUB_CLIENT_ID": "x"])
        }
        let configuration = try CRMConfiguration(environment: [
            "OAUTH_GITHUB_CLIENT_ID": "id", "OAUTH_GITHUB_CLIENT_SECRET": "secret",
            "OAUTH_GITHUB_TOKEN_URL": "http://127.0.0.1:9/token",
        ])
        #expect(configuration.oauthProviders["github"]?.endpoints["TOKEN_URL"] == "http://127.0.0.1:9/token")
        #expect(configuration.oauthProviders["google"] == nil)
    }

    @Test func corsOriginsAreAList() throws {
        let configuration = try CRMConfiguration(environment: ["CORS_ORIGINS": "https://a.example, http://localhost:3000"])
        #expect(configuration.corsOrigins == ["https://a.example", "http://localhost:3000"])
        #expect(throws: ConfigurationError.self) { try CRMConfiguration(environment: ["CORS_ORIGINS": "not an origin"]) }
    }

    /// One reader (swift-configuration over the environment) for every part of the server: the
    /// same trimming and the same strictness wherever a setting is read.
    @Test func everySettingIsReadByTheSameRules() throws {
        let reader = EnvironmentReader(["PORT": "  8081 ", "EMPTY": "   ", "LUA_MEMORY_BYTES": "lots", "database_url": "x"])
        #expect(reader.value("PORT") == "8081")
        #expect(reader.value("EMPTY") == nil, "an empty value is no value")
        #expect(reader.value("MISSING") == nil)
        #expect(reader.value("DATABASE_URL") == nil, "names are exact: database_url is another variable")
        #expect(try reader.integer("PORT", default: 1, range: 0...65535) == 8081)
        #expect(try reader.integer("MISSING", default: 7, range: 0...9) == 7)
        #expect(throws: ConfigurationError("LUA_MEMORY_BYTES", "must be an integer in 1...9 (got 'lots')")) {
            try reader.integer("LUA_MEMORY_BYTES", default: 1, range: 1...9)
        }
        #expect(EnvironmentReader.isSecret("JWT_SECRET") && EnvironmentReader.isSecret("DATABASE_URL"))
        #expect(!EnvironmentReader.isSecret("PORT"))
    }
}
