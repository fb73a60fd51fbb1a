import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The kernel's shared machinery, built once at start-up and handed to its routes and to
/// plugins: database, auth primitives, per-tenant plugin state.
public struct KernelServices: Sendable {
    public let configuration: CRMConfiguration
    public let registry: PluginRegistry
    public let database: Database
    public let passwords: PasswordHasher
    public let accessTokens: AccessTokens
    public let apiKeys: APIKeys
    public let pluginStates: PluginStates
    /// Members' current roles, checked on every request with an access token.
    public let memberships: MembershipRoles
    public let hooks: HookBus
    public let schemas: Schemas
    public let records: RecordStore
    /// Set by the custom-fields plugin: tenants' definitions and expression evaluation.
    public let customFields: CustomFieldHook
    let refreshTokens: RefreshTokenStore
    let invitations: Invitations
    /// Plugin work for a new organization (e.g. the default pipeline), run in its transaction.
    let organizationSetup: OrganizationSetup
    /// Caches keyed by tenant (scripts, custom fields) drop their entry here when the tenant's
    /// settings change in any process (nil: drop everything).
    public let tenantChanges = TenantChangeHandlers()
    /// Bundled Lua plugins (listed and toggled like native ones).
    public let externalPlugins = ExternalPlugins()
    /// Work when a tenant enables an external plugin (its custom fields), in that transaction.
    public let pluginEnabled = PluginEnabledHandlers()
    /// What plugins add to `GET /insights/summary`.
    public let insights = InsightFigures()
    /// The routes and schemas the OpenAPI document is built from.
    public let documentation = APIDocumentation()
    /// Set once migrations are done; background work waits for it.
    public let readiness = Readiness()

    public var logger: Logger { database.logger }

    public init(configuration: CRMConfiguration, registry: PluginRegistry, database: Database) async {
        self.configuration = configuration
        self.registry = registry
        self.database = database
        self.passwords = PasswordHasher(cost: configuration.bcryptCost)
        // Development without secrets (tests, tools): a random per-process secret.
        let secret = configuration.jwtSecret ?? SecretToken.generate()
        self.accessTokens = await AccessTokens(secret: secret, issuer: configuration.publicURL)
        self.apiKeys = APIKeys(database: database)
        self.pluginStates = PluginStates(database: database, registry: registry)
        self.memberships = MembershipRoles(database: database)
        self.hooks = HookBus()
        self.schemas = Schemas()
        self.customFields = CustomFieldHook()
        self.records = RecordStore(
            database: database, pluginStates: pluginStates, hooks: hooks, schemas: schemas, customFieldHook: customFields,
            cursors: CursorSigner(secret: secret))
        self.refreshTokens = RefreshTokenStore(logger: database.logger)
        self.invitations = Invitations(logger: database.logger)
        self.organizationSetup = OrganizationSetup()
    }

    /// Creates an organization owned by `userID`, with the default plugins enabled, inside the
    /// caller's transaction (which must act as the new organization).
    func createOrganization(
        id: UUID, name: String, currency: String, ownerID: UUID, on connection: PostgresConnection
    ) async throws -> OrganizationView {
        let rows = try await connection.query(
            "INSERT INTO organizations (id, name, currency) VALUES (\(id), \(name), \(currency)) RETURNING created_at",
            logger: logger)
        var created = Date()
        for try await date in rows.decode(Date.self) { created = date }
        try await connection.query(
            "INSERT INTO memberships (org_id, user_id, role) VALUES (\(id), \(ownerID), 'owner')", logger: logger)
        try await pluginStates.seedDefaults(for: id, on: connection)
        try await organizationSetup.run(organizationID: id, currency: currency, on: connection)
        return OrganizationView(id: id.text, name: name, currency: currency, createdAt: created, role: Role.owner.rawValue)
    }

    /// A new access + refresh token pair for `user` in `organization` (refresh token stored in
    /// the caller's transaction; `family` nil starts a new login).
    func tokenPair(
        user: UserView, organization: OrganizationView, role: Role, family: UUID? = nil, on connection: PostgresConnection
    ) async throws -> TokenPairView {
        guard let userID = UUID(text: user.id), let orgID = UUID(text: organization.id) else {
            throw APIError.internalError()
        }
        let refresh = try await refreshTokens.issue(
            userID: userID, organizationID: orgID, familyID: family ?? UUID(), on: connection)
        let access = try await accessTokens.issue(userID: userID, organizationID: orgID, role: role)
        var organization = organization
        organization.role = role.rawValue
        return TokenPairView(user: user, organization: organization, accessToken: access, refreshToken: refresh)
    }

    /// The organization as the API shows it (needs a scope that sees it); 401 when it is gone.
    func organization(_ id: UUID, on connection: PostgresConnection) async throws -> OrganizationView {
        let rows = try await connection.query(
            "SELECT name, currency, created_at FROM organizations WHERE id = \(id)", logger: logger)
        for try await (name, currency, created) in rows.decode((String, String, Date).self) {
            return OrganizationView(id: id.text, name: name, currency: currency, createdAt: created)
        }
        throw APIError.unauthorized("the organization no longer exists")
    }

    func user(_ id: UUID, on connection: PostgresConnection) async throws -> UserView? {
        let rows = try await connection.query("SELECT id, email, name, created_at FROM users WHERE id = \(id)", logger: logger)
        for try await (id, email, name, created) in rows.decode((UUID, String, String, Date).self) {
            return UserView(id: id.text, email: email, name: name, createdAt: created)
        }
        return nil
    }

    /// The organizations `userID` belongs to, oldest membership first (needs the user's scope).
    func memberships(of userID: UUID, on connection: PostgresConnection) async throws -> [OrganizationView] {
        let rows = try await connection.query(
            """
            SELECT o.id, o.name, o.currency, o.created_at, m.role
            FROM memberships m JOIN organizations o ON o.id = m.org_id
            WHERE m.user_id = \(userID) ORDER BY m.created_at, o.id
            """, logger: logger)
        var result: [OrganizationView] = []
        for try await (id, name, currency, created, role) in rows.decode((UUID, String, String, Date, String).self) {
            result.append(OrganizationView(id: id.text, name: name, currency: currency, createdAt: created, role: role))
        }
        return result
    }
}

/// Work plugins do when an organization is created, inside its creating transaction.
public final class OrganizationSetup: Sendable {
    public typealias Step = @Sendable (_ organizationID: UUID, _ currency: String, PostgresConnection) async throws -> Void

    private let steps = Mutex<[Step]>([])

    public func add(_ step: @escaping Step) { steps.withLock { $0.append(step) } }

    func run(organizationID: UUID, currency: String, on connection: PostgresConnection) async throws {
        for step in steps.withLock({ $0 }) { try await step(organizationID, currency, connection) }
    }
}

/// Who wants to hear that a tenant's settings changed (see `TenantChangeListener`).
public final class TenantChangeHandlers: Sendable {
    private let handlers = Mutex<[@Sendable (UUID?) -> Void]>([])

    public func add(_ handler: @escaping @Sendable (UUID?) -> Void) { handlers.withLock { $0.append(handler) } }

    public func changed(_ organizationID: UUID?) {
        for handler in handlers.withLock({ $0 }) { handler(organizationID) }
    }
}

/// Who acts when a tenant enables an external plugin (e.g. creating the fields it declares).
public final class PluginEnabledHandlers: Sendable {
    public typealias Handler = @Sendable (_ organizationID: UUID, ExternalPlugin, PostgresConnection) async throws -> Void

    private let handlers = Mutex<[Handler]>([])

    public func add(_ handler: @escaping Handler) { handlers.withLock { $0.append(handler) } }

    func run(_ organizationID: UUID, _ plugin: ExternalPlugin, on connection: PostgresConnection) async throws {
        for handler in handlers.withLock({ $0 }) { try await handler(organizationID, plugin, connection) }
    }
}
