import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// An IP network (`10.0.0.0/8`, `fd00::/8`, or one address) from `TRUSTED_PROXIES`.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefixLength: Int
    public let description: String

    /// `nil` for text that is not an IPv4 or IPv6 address with an optional `/prefix`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = Self.address(first) else { return nil }
        let bits = bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bits).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = bits
        }
        self.bytes = bytes
        description = text
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address; an IPv4-mapped IPv6 address is IPv4.
    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return Array(bytes[12...]) }
        return bytes
    }

    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(bytes, address) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            if mine & mask != theirs & mask { return false }
            remaining -= 8
        }
        return true
    }
}

/// Who sent a request, for per-IP rate limits and the request log. Behind a load balancer or
/// reverse proxy the socket's peer is the proxy: when the peer is one of `TRUSTED_PROXIES`, the
/// client is the right-most `X-Forwarded-For` address that is not a trusted proxy (entries to
/// its left were written by the client and prove nothing). With no trusted proxies the
/// header is ignored, so a client cannot choose its own address.
public struct ClientAddressResolver: Sendable {
    let trustedProxies: [IPNetwork]

    public init(trustedProxies: [IPNetwork]) {
        self.trustedProxies = trustedProxies
    }

    func isTrusted(_ text: String) -> Bool {
        guard let address = IPNetwork.address(text) else { return false }
        return trustedProxies.contains { $0.contains(address) }
    }

    public func client(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "unknown" }
        guard !trustedProxies.isEmpty, isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !isTrusted(hop) {
            // An address a trusted proxy appended; anything else is kept short, as a key only.
            return String(hop.prefix(64))
        }
        return hops.first.map { String($0.prefix(64)) } ?? peer
    }
}

/// Sets `CRMRequestContext.clientAddress` from the peer and, behind trusted proxies,
/// `X-Forwarded-For`.
struct ClientAddressMiddleware: RouterMiddleware {
    let resolver: ClientAddressResolver

    func handle(_ request: Request, context: CRMRequestContext, next: (Request, CRMRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = resolver.client(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .xForwardedFor])
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
