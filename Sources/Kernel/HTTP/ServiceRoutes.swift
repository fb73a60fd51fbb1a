import Hummingbird
import OpenAPIKit
import Prometheus

/// The service endpoints of API.md: liveness, readiness and Prometheus metrics.
struct ServiceRoutes {
    let database: Database
    let readiness: Readiness
    let prometheus: PrometheusCollectorRegistry
    let documentation: APIDocumentation

    func register(on router: Router<CRMRequestContext>) {
        let status = JSONSchema.object(properties: ["status": .string, "detail": .string(required: false)])
        documentation.document(.get, "/healthz", APIOperation(
            "getHealth", "Liveness: the process is up", response: status, tag: "service"))
        router.get("/healthz") { _, _ in
            Self.json(.ok, ["status": "ok"])
        }
        documentation.document(.get, "/readyz", APIOperation(
            "getReadiness", "Readiness: the database answers and migrations are done",
            description: "503 with the same shape while starting or when the database does not answer.",
            response: status, errors: [503], tag: "service"))
        router.get("/readyz") { _, _ in
            guard readiness.isMigrated else {
                return Self.json(.serviceUnavailable, ["status": "starting", "detail": "migrations are not done yet"])
            }
            guard await database.ping() else {
                return Self.json(.serviceUnavailable, ["status": "unavailable", "detail": "the database does not answer"])
            }
            return Self.json(.ok, ["status": "ready"])
        }
        documentation.document(.get, "/metrics", APIOperation(
            "getMetrics", "Prometheus metrics", response: .string, responseMediaType: .txt, tag: "service"))
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            prometheus.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body.serialized())))
    }
}
