import Foundation
import HTTPTypes
import Synchronization

/// Token buckets per key (an IP, a user, an API key): `limit` requests per minute, refilled
/// continuously. In-memory per process; behind N processes each allows `limit`, so a shared
/// limit would move the buckets to PostgreSQL (or Redis) keyed the same way.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public struct Decision: Sendable {
        public let allowed: Bool
        public let limit: Int
        public let remaining: Int
        /// Seconds until the bucket is full again.
        public let reset: Int
        /// Seconds until one request is allowed again (when refused).
        public let retryAfter: Int

        public var headers: HTTPFields {
            var fields: HTTPFields = [
                .rateLimitLimit: "\(limit)", .rateLimitRemaining: "\(remaining)", .rateLimitReset: "\(reset)",
            ]
            if !allowed { fields[.retryAfter] = "\(retryAfter)" }
            return fields
        }
    }

    /// Requests per minute; 0 turns the limit off.
    public let limit: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    public init(perMinute limit: Int) {
        self.limit = limit
    }

    public var isEnabled: Bool { limit > 0 }

    public func take(_ key: String) -> Decision {
        let capacity = Double(limit)
        let perSecond = capacity / 60
        let now = clock.now
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { Self.prune(&buckets, now: now, perSecond: perSecond, capacity: capacity) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = Double((now - bucket.updated).components.seconds) + Double((now - bucket.updated).components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[key] = bucket
            let reset = Int(((capacity - bucket.tokens) / perSecond).rounded(.up))
            let retry = allowed ? 0 : max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
            return Decision(allowed: allowed, limit: limit, remaining: Int(bucket.tokens), reset: reset, retryAfter: retry)
        }
    }

    /// Drops buckets that have refilled completely (they hold no information).
    private static func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant, perSecond: Double, capacity: Double) {
        buckets = buckets.filter { _, bucket in
            let elapsed = Double((now - bucket.updated).components.seconds)
            return bucket.tokens + elapsed * perSecond < capacity
        }
    }
}

extension HTTPField.Name {
    public static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    public static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    public static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}

extension APIError {
    static func rateLimited(_ decision: RateLimiter.Decision) -> APIError {
        APIError(.rateLimited, "too many requests; retry in \(decision.retryAfter) s", headers: decision.headers)
    }
}
