import HTTPTypes

/// The stable, machine-readable `code` of every problem this API answers (API.md, Errors).
/// Clients switch on these; never rename one.
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    case validationFailed = "validation_failed"
    case badRequest = "bad_request"
    case unauthorized
    case forbidden
    case notFound = "not_found"
    /// The path exists, but not with this method (`Allow` lists those it has).
    case methodNotAllowed = "method_not_allowed"
    case pluginDisabled = "plugin_disabled"
    case conflict
    case preconditionFailed = "precondition_failed"
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case rateLimited = "rate_limited"
    case scriptError = "script_error"
    /// The database is unreachable, restarting, out of resources or too slow: retry later.
    case unavailable
    case internalError = "internal"

    /// The HTTP status each code is answered with.
    public var status: HTTPResponse.Status {
        switch self {
        case .validationFailed, .scriptError: return .unprocessableContent
        case .badRequest: return .badRequest
        case .unauthorized: return .unauthorized
        case .forbidden: return .forbidden
        case .notFound, .pluginDisabled: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .conflict: return .conflict
        case .preconditionFailed: return .preconditionFailed
        case .payloadTooLarge: return .contentTooLarge
        case .unsupportedMediaType: return .unsupportedMediaType
        case .rateLimited: return .tooManyRequests
        case .unavailable: return .serviceUnavailable
        case .internalError: return .internalServerError
        }
    }

    /// A short human title for the `title` member.
    public var title: String {
        switch self {
        case .validationFailed: return "Validation failed"
        case .badRequest: return "Bad request"
        case .unauthorized: return "Unauthorized"
        case .forbidden: return "Forbidden"
        case .notFound: return "Not found"
        case .methodNotAllowed: return "Method not allowed"
        case .pluginDisabled: return "Plugin disabled"
        case .conflict: return "Conflict"
        case .preconditionFailed: return "Precondition failed"
        case .payloadTooLarge: return "Payload too large"
        case .unsupportedMediaType: return "Unsupported media type"
        case .rateLimited: return "Too many requests"
        case .scriptError: return "Script error"
        case .unavailable: return "Service unavailable"
        case .internalError: return "Internal server error"
        }
    }
}
