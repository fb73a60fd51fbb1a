import Foundation

/// API shapes of the kernel's resources (API.md: Auth; Organizations, members, API keys).
struct UserView: Encodable, Sendable {
    let id: String
    let email: String
    let name: String
    let createdAt: Date
}

struct OrganizationView: Encodable, Sendable {
    let id: String
    let name: String
    let currency: String
    let createdAt: Date
    var role: String?
}

struct MembershipView: Encodable, Sendable {
    let organization: OrganizationView
    let role: String
}

struct TokenPairView: Encodable, Sendable {
    let user: UserView
    let organization: OrganizationView
    let accessToken: String
    let refreshToken: String
    var tokenType = "Bearer"
    var expiresIn = Int(AccessTokens.lifetime)
}

struct MemberView: Encodable, Sendable {
    let userId: String
    let email: String
    let name: String
    let role: String
    let createdAt: Date
}

struct APIKeyView: Encodable, Sendable {
    let id: String
    let name: String
    let role: String
    let prefix: String
    let createdAt: Date
    var key: String?
}

struct InvitationView: Encodable, Sendable {
    let id: String
    let email: String
    let role: String
    /// `invited` (pending), `accepted`, `revoked` or `expired`.
    let status: String
    let expiresAt: Date
    /// In lists (the answer that creates one is exactly API.md's shape, without it).
    var createdAt: Date?
    /// The secret, in the answer that creates the invitation only.
    var token: String?
}

struct AcceptedInvitationView: Encodable, Sendable {
    let organization: OrganizationView
    let role: String
}
