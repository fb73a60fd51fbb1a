import Foundation
import Hummingbird

/// Reads request bodies as JSON with API.md's answers for bad input: a body that is not JSON
/// → 400 `bad_request`, a wrong content type → 415, over 1 MiB → 413, text with a NUL or an
/// unpaired surrogate → 422 naming the field, and for typed bodies a wrong type, missing or
/// unknown field → 422 naming the field.
public enum JSONBody {
    /// The raw JSON value of the body.
    public static func value(_ request: Request, context: CRMRequestContext) async throws -> JSONValue {
        if let type = request.headers[.contentType]?.lowercased(),
            !(type.hasPrefix("application/json") || type.contains("+json"))
        {
            throw APIError(.unsupportedMediaType, "send the body as application/json")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("a JSON body is required") }
        switch buffer.withUnsafeReadableBytes({ JSONParser.parseChecked($0) }) {
        case .value(let value):
            return value
        case .malformed:
            throw APIError.badRequest("the body is not valid JSON")
        case .forbiddenText(let path):
            throw APIError.validation([FieldError.forbiddenText(path)])
        }
    }

    /// The body as a JSON object (the shape of every write in this API).
    public static func object(_ request: Request, context: CRMRequestContext) async throws -> [String: JSONValue] {
        guard case .object(let object) = try await value(request, context: context) else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        return object
    }

    /// Decodes a typed body. Unknown members are refused so that typos do not pass silently,
    /// and so are nulls.
    public static func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, context: CRMRequestContext, allowedKeys: Set<String>
    ) async throws -> T {
        let object = try await self.object(request, context: context)
        let unknown = object.keys.filter { !allowedKeys.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw APIError.validation(unknown.map { FieldError(field: $0, code: "unknown_field", message: "unknown field") })
        }
        // No field of these bodies means anything when null (an optional one is left out); a
        // null passing for "absent" would accept what the document says is invalid.
        let nulls = object.filter { $0.value.isNull }.keys.sorted()
        if !nulls.isEmpty {
            throw APIError.validation(nulls.map { FieldError(field: $0, code: "invalid_type", message: "must not be null (leave the field out instead)") })
        }
        do {
            let data = try JSONEncoder().encode(JSONValue.object(object))
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.validation([fieldError(error)])
        }
    }

    static func fieldError(_ error: DecodingError) -> FieldError {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            (codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
                .joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(field: path(context.codingPath, key), code: "required", message: "is required")
        case .valueNotFound(let type, let context):
            return FieldError(field: path(context.codingPath), code: "required", message: "must be a \(typeName(type)), not null")
        case .typeMismatch(let type, let context):
            return FieldError(field: path(context.codingPath), code: "invalid_type", message: "must be a \(typeName(type))")
        case .dataCorrupted(let context):
            return FieldError(field: path(context.codingPath), code: "invalid", message: context.debugDescription)
        @unknown default:
            return FieldError(field: "", code: "invalid", message: "invalid value")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Bool.Type: return "boolean"
        case is Int.Type, is Int64.Type, is Double.Type: return "number"
        default: return "value of the documented type"
        }
    }
}

extension FieldError {
    /// Text PostgreSQL cannot store (API.md, Lists: no NUL, no unpaired surrogates).
    public static func forbiddenText(_ field: String) -> FieldError {
        FieldError(field: field, code: "invalid_text", message: "must not contain NUL (U+0000) or unpaired surrogates")
    }
}
