import AsyncHTTPClient
import Foundation
import Kernel
import NIOCore
import NIOHTTP1

/// Minimal HTTP calls for tests. Redirects are not followed: tests look at them.
public enum HTTP {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // Suites run in parallel against shared servers on two cores: more connections per
        // server and a patient wait for one, so a busy moment is not a failed test.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(30))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public struct Response: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: Data

        public var json: JSONValue? { JSONValue.parse(body) }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first(name: name) }
    }

    public static func request(
        _ method: HTTPMethod, _ url: String, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(data: body))
            if headers["Content-Type"] == nil { request.headers.add(name: "Content-Type", value: "application/json") }
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Response(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    public static func json(
        _ method: HTTPMethod, _ url: String, _ body: JSONValue, headers: [String: String] = [:]
    ) async throws -> Response {
        try await request(method, url, headers: headers, body: Data(body.serialized().utf8))
    }
}
