import Foundation
import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage plus what the kernel's
/// middleware learns about the request (its id; later the authenticated identity).
public struct CRMRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The id echoed in `X-Request-Id` and attached to every log line of the request.
    public var requestID: String = ""
    /// Who is calling, once `AuthMiddleware` has authenticated the request.
    public var principal: Principal?
    /// The socket's peer (a proxy, behind one).
    public let remoteAddress: SocketAddress?
    /// The client's address for per-IP rate limits: the peer, or behind `TRUSTED_PROXIES` the
    /// address they forwarded (`ClientAddressMiddleware`).
    public var clientAddress = "unknown"

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies over 1 MiB are refused with 413 (API.md, Limits).
    public var maxUploadSize: Int { RequestLimits.maxBodyBytes }
}

/// Limits every request is held to.
public enum RequestLimits {
    public static let maxBodyBytes = 1 << 20
}
