import Foundation
import NIOHTTP1
import Kernel

/// One `crm serve` per test process for tests that only need "a server": each test works in
/// its own freshly registered organization, so tests do not see each other's data.
public actor SharedServer {
    public static let shared = SharedServer()

    /// Settings of this server beyond the tests' defaults.
    let environment: [String: String]

    public init(environment: [String: String] = [:]) {
        self.environment = environment
    }

    /// One start, shared by every caller (the actor is reentrant across the awaits inside).
    private var starting: Task<(ServerProcess, TestDatabase), any Error>?

    public func server() async throws -> ServerProcess {
        try await start().0
    }

    public func database() async throws -> TestDatabase {
        try await start().1
    }

    private func start() async throws -> (ServerProcess, TestDatabase) {
        if let starting { return try await starting.value }
        let task = Task {
            let database = try await TestDatabase.create()
            let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: environment)
            try await server.waitUntilReady()
            return (server, database)
        }
        starting = task
        return try await task.value
    }
}

/// A signed-in user of a test organization, with helpers to call the API as them.
public struct Session: Sendable {
    public let baseURL: String
    public var accessToken: String
    public var refreshToken: String
    public let userID: String
    public var organizationID: String
    public let email: String
    public let password: String

    public var api: String { baseURL + "/api/v1" }

    /// Registers a new user (and organization) with a unique email.
    public static func register(on server: ServerProcess, name: String = "Tester", email: String? = nil) async throws -> Session {
        let email = email ?? "user-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let password = "correct horse 1"
        let response = try await HTTP.json(.POST, server.baseURL + "/api/v1/auth/register",
                                           ["email": .string(email), "password": .string(password), "name": .string(name)])
        guard response.status == 201, let json = response.json else {
            throw TestSetupError("register failed: \(response.status) \(response.text)")
        }
        return Session(
            baseURL: server.baseURL, accessToken: json["accessToken"]?.stringValue ?? "",
            refreshToken: json["refreshToken"]?.stringValue ?? "",
            userID: json["user"]?["id"]?.stringValue ?? "", organizationID: json["organization"]?["id"]?.stringValue ?? "",
            email: email, password: password)
    }

    public var auth: [String: String] { ["Authorization": "Bearer \(accessToken)"] }

    /// The same signed-in user, calling another server process (same database and secrets).
    public func on(_ server: ServerProcess) -> Session {
        Session(
            baseURL: server.baseURL, accessToken: accessToken, refreshToken: refreshToken, userID: userID,
            organizationID: organizationID, email: email, password: password)
    }

    public func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTP.Response {
        try await HTTP.request(.GET, api + path, headers: auth.merging(headers) { _, new in new })
    }

    public func send(_ method: HTTPMethodName, _ path: String, _ body: JSONValue? = nil, headers: [String: String] = [:]) async throws -> HTTP.Response {
        let allHeaders = auth.merging(headers) { _, new in new }
        if let body { return try await HTTP.json(method.nio, api + path, body, headers: allHeaders) }
        return try await HTTP.request(method.nio, api + path, headers: allHeaders)
    }

    /// Invites an existing user to this organization with `role` (as this session, an owner),
    /// and accepts as them.
    public func addMember(_ other: Session, role: String) async throws {
        let response = try await send(.POST, "/members", ["email": .string(other.email), "role": .string(role)])
        guard response.status == 201, let token = response.json?["token"]?.stringValue else {
            throw TestSetupError("invitation failed: \(response.status) \(response.text)")
        }
        let accepted = try await other.send(.POST, "/invitations/accept", ["token": .string(token)])
        guard accepted.status == 200 else { throw TestSetupError("accepting failed: \(accepted.status) \(accepted.text)") }
    }

    /// Signs `other` in to this organization (after `addMember`).
    public func loginAs(_ other: Session) async throws -> Session {
        let response = try await HTTP.json(.POST, api + "/auth/login", [
            "email": .string(other.email), "password": .string(other.password), "organizationId": .string(organizationID),
        ])
        guard response.status == 200, let json = response.json else { throw TestSetupError("login failed: \(response.text)") }
        var session = other
        session.accessToken = json["accessToken"]?.stringValue ?? ""
        session.refreshToken = json["refreshToken"]?.stringValue ?? ""
        session.organizationID = organizationID
        return session
    }
}

/// HTTP methods by name, so tests need not import NIOHTTP1.
public enum HTTPMethodName: Sendable {
    case GET, POST, PUT, PATCH, DELETE, TRACE

    public var nio: HTTPMethod {
        switch self {
        case .GET: return .GET
        case .POST: return .POST
        case .PUT: return .PUT
        case .PATCH: return .PATCH
        case .DELETE: return .DELETE
        case .TRACE: return .TRACE
        }
    }
}
