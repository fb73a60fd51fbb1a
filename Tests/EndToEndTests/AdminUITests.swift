import Foundation
import Kernel
import Testing
import TestSupport

/// UI.md, Delivery: the console at /admin, deep links, compressed assets with ETags, its own CSP.
@Suite struct AdminUITests {
    func server() async throws -> ServerProcess { try await SharedServer.shared.server() }

    @Test func everyConsolePathAnswersThePageUnderThePagePolicy() async throws {
        let server = try await server()
        let page = try await HTTP.request(.GET, server.baseURL + "/admin")
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.text.contains(#"<script type="module" src="/admin/assets/app.js"></script>"#))
        let policy = try #require(page.header("Content-Security-Policy"))
        #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
        // Deep links and reloads open their screen: the same page.
        for path in ["/admin/contacts/\(UUID().uuidString)", "/admin/deals", "/admin/sign-in?next=/admin/deals"] {
            let deep = try await HTTP.request(.GET, server.baseURL + path)
            #expect(deep.status == 200, "\(path)")
            #expect(deep.body == page.body)
        }
        #expect(try await HTTP.request(.GET, server.baseURL + "/admin/assets/missing.js").status == 404)
        #expect(try await HTTP.request(.POST, server.baseURL + "/admin").status == 405)
    }

    @Test func assetsAreSentCompressedWithAnETag() async throws {
        let server = try await server()
        var total = 0
        for name in ["app.js", "api.js", "router.js", "ui.js", "sign-in.js", "dashboard.js", "preact-htm.js", "app.css"] {
            let url = server.baseURL + "/admin/assets/\(name)"
            let plain = try await HTTP.request(.GET, url)
            #expect(plain.status == 200, "\(name)")
            #expect(plain.header("Content-Encoding") == nil)
            let gzipped = try await HTTP.request(.GET, url, headers: ["Accept-Encoding": "gzip"])
            #expect(gzipped.header("Content-Encoding") == "gzip", "\(name)")
            #expect(gzipped.body.count < plain.body.count, "\(name) compresses")
            #expect(gzipped.header("Cache-Control") == "no-cache")
            let etag = try #require(gzipped.header("ETag"))
            let again = try await HTTP.request(.GET, url, headers: ["If-None-Match": etag])
            #expect(again.status == 304)
            total += gzipped.body.count
        }
        // The whole console, compressed, stays small (no framework bundle).
        #expect(total < 60_000, "\(total) bytes")
        // Modules import each other relatively: no import map, which the CSP would refuse inline.
        let app = try await HTTP.request(.GET, server.baseURL + "/admin/assets/app.js")
        #expect(app.text.contains(#"from "./preact-htm.js""#))
    }
}
