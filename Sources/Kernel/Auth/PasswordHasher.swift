import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing off the request threads. Login of an unknown email still pays one full
/// comparison (against a dummy hash of the same cost), so response time does not reveal which
/// emails are registered.
public struct PasswordHasher: Sendable {
    public let cost: Int
    private let dummyHash: String

    public static let minimumCharacters = 8
    public static let maximumBytes = 72  // bcrypt ignores everything past 72 bytes

    public init(cost: Int) {
        self.cost = max(10, cost)
        self.dummyHash = Bcrypt.hash("crm-dummy-password-for-timing", cost: UInt8(self.cost))
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// `false` for a missing hash too, after the same amount of work.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let target = hash ?? dummyHash
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return hash != nil && matches
    }

    /// The password rule of API.md: at least 8 characters, at most 72 bytes.
    public static func problem(with password: String, field: String = "password") -> FieldError? {
        if password.count < minimumCharacters {
            return FieldError(field: field, code: "too_short", message: "must be at least \(minimumCharacters) characters")
        }
        if password.utf8.count > maximumBytes {
            return FieldError(field: field, code: "too_long", message: "must be at most \(maximumBytes) bytes")
        }
        return nil
    }
}
