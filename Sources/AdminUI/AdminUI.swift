import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Kernel

/// The admin console (UI.md): plain ES modules and vendored libraries compiled into the binary
/// (every file of `Assets/`, by the EmbedAssets plugin, from this target alone, so a Swift change
/// elsewhere does not rebuild them), served at `/admin` under the page CSP. Every `/admin` path that is not an asset
/// answers the page, so deep links and reloads open their screen; the page is one more client
/// of `/api/v1`.
///
/// Each asset is compressed once, at start, and carries an `ETag` (a digest of its bytes):
/// browsers revalidate (`Cache-Control: no-cache`) and get a 304 while it is unchanged.
public struct AdminUI: Sendable {
    struct Asset: Sendable {
        let contentType: String
        let body: ByteBuffer
        let gzipped: ByteBuffer?
        let etag: String

        init(_ bytes: [UInt8], _ contentType: String) {
            self.contentType = contentType
            body = ByteBuffer(bytes: bytes)
            gzipped = Gzip.compress(bytes).map { ByteBuffer(bytes: $0) }
            etag = "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        }
    }

    let assets: [String: Asset]
    let page: Asset

    public init() {
        var assets: [String: Asset] = [:]
        for (name, base64) in EmbeddedAssets.files {
            // The plugin wrote these bytes itself: they always decode.
            let bytes = [UInt8](Data(base64Encoded: base64) ?? Data())
            assets[name] = Asset(bytes, Self.contentType(of: name))
        }
        self.page = assets.removeValue(forKey: "index.html") ?? Asset([], "text/html; charset=utf-8")
        self.assets = assets
    }

    static func contentType(of name: String) -> String {
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        return "application/octet-stream"
    }

    /// The total size of the compressed assets, page included (for the closing note and tests).
    public var compressedBytes: Int {
        (Array(assets.values) + [page]).reduce(0) { $0 + ($1.gzipped ?? $1.body).readableBytes }
    }

    public func register(on router: Router<CRMRequestContext>, documentation: APIDocumentation) {
        documentation.document(.get, "/admin", APIOperation(
            "getAdminConsole", "The admin console", description: "An HTML page; every `/admin/…` path opens its screen.",
            response: .string, responseMediaType: .html, tag: "service"))
        documentation.document(.get, "/admin/**", APIOperation(
            "getAdminConsolePath", "A screen of the admin console, or one of its assets (`/admin/assets/…`)",
            response: .string, responseMediaType: .html, errors: [404], tag: "service"))
        router.get("/admin") { request, _ in self.respond(page, to: request) }
        router.get("/admin/**") { request, _ in
            let path = request.uri.path
            if path.hasPrefix("/admin/assets/") {
                guard let asset = assets[String(path.dropFirst("/admin/assets/".count))] else {
                    throw APIError.notFound("no asset \(path)")
                }
                return self.respond(asset, to: request)
            }
            return self.respond(page, to: request)
        }
    }

    func respond(_ asset: Asset, to request: Request) -> Response {
        var headers: HTTPFields = [
            .contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache", .vary: "Accept-Encoding",
        ]
        if request.headers[.ifNoneMatch] == asset.etag {
            return Response(status: .notModified, headers: headers)
        }
        let acceptsGzip = request.headers[values: .acceptEncoding].contains { $0.lowercased().contains("gzip") }
        if acceptsGzip, let gzipped = asset.gzipped {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzipped))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }
}
