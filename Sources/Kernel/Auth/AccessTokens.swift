import Foundation
import JWTKit
import Synchronization

/// The claims of an access token (API.md, Auth).
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var org: String
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var iss: IssuerClaim
    var aud: AudienceClaim
    var jti: IDClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and verifies access tokens: JWT, HS256 with `JWT_SECRET`, `typ: at+jwt`, 15 minutes.
/// Verification is strict: the header must say exactly HS256 and at+jwt (so `alg: none`, other
/// algorithms and refresh tokens are refused before any signature work), then the signature,
/// expiry, issuer and audience are checked.
public struct AccessTokens: Sendable {
    public static let lifetime: TimeInterval = 15 * 60
    public static let audience = "crm-api"

    let keys: JWTKeyCollection
    let issuer: String
    /// Tokens already verified, until they expire: a request with a known token skips the
    /// JWT parsing and signature check (they were ~15 % of a GET's CPU).
    let verified = VerifiedTokens()

    public init(secret: String, issuer: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
        self.issuer = issuer
    }

    public func issue(userID: UUID, organizationID: UUID, role: Role, now: Date = Date()) async throws -> String {
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))  // NumericDate in whole seconds
        let claims = AccessClaims(
            sub: SubjectClaim(value: userID.text),
            org: organizationID.text,
            role: role.rawValue,
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(Self.lifetime)),
            iss: IssuerClaim(value: issuer),
            aud: AudienceClaim(value: [Self.audience]),
            jti: IDClaim(value: UUID().text))
        var header = JWTHeader()
        header.typ = "at+jwt"
        return try await keys.sign(claims, header: header)
    }

    /// The principal of a valid token; 401 for anything else.
    public func verify(_ token: String) async throws -> Principal {
        if let principal = verified.principal(for: token) { return principal }
        let invalid = APIError.unauthorized("invalid or expired access token")
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(String(parts[0])),
            case .object(let header)? = JSONValue.parse(headerData),
            header["alg"] == "HS256", header["typ"] == "at+jwt"
        else { throw invalid }
        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
        } catch {
            throw invalid
        }
        guard claims.iss.value == issuer, claims.aud.value.contains(Self.audience),
            let user = UUID(text: claims.sub.value), let org = UUID(text: claims.org),
            let role = Role(rawValue: claims.role)
        else { throw invalid }
        let principal = Principal(kind: .user(user), organizationID: org, role: role)
        verified.remember(token, principal, until: claims.exp.value)
        return principal
    }
}

/// A bounded map of verified access tokens to their principals, each kept until its `exp`.
final class VerifiedTokens: Sendable {
    static let capacity = 10_000
    private let entries = Mutex<[String: (Principal, Date)]>([:])

    func principal(for token: String) -> Principal? {
        let now = Date()
        return entries.withLock { entries in
            guard let (principal, expires) = entries[token] else { return nil }
            if expires <= now {
                entries.removeValue(forKey: token)
                return nil
            }
            return principal
        }
    }

    func remember(_ token: String, _ principal: Principal, until expires: Date) {
        entries.withLock { entries in
            if entries.count >= Self.capacity {
                let now = Date()
                entries = entries.filter { $0.value.1 > now }
                if entries.count >= Self.capacity { entries.removeAll() }
            }
            entries[token] = (principal, expires)
        }
    }
}
