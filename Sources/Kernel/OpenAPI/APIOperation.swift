import OpenAPIKit

/// What a route tells the OpenAPI document about itself. Every route declares one where it is
/// registered (`routes.get(path, requires:, doc:)`), so the document is built from the same
/// registrations that serve requests and cannot drift from them. The kernel adds what every
/// route shares: path parameters, security, and the problem responses that follow from the
/// route's shape (401/403/429 when authenticated, 400/413/415/422 with a body, 404 with an id).
public struct APIOperation: Sendable {
    /// The `operationId`: a lowerCamelCase verb phrase, unique in the document (`listContacts`).
    public var id: String
    public var summary: String
    public var description: String?
    /// The JSON request body's schema, or nil for none.
    public var body: JSONSchema?
    /// Whether the body may be omitted (e.g. `POST /auth/logout` with nothing to send).
    public var bodyRequired: Bool
    /// The success status and its JSON body (nil: no content, as for 204 or a redirect).
    public var status: Int
    /// Other success statuses with the same body (`PUT /scripts/{name}`: 201 new, 200 replaced).
    public var otherStatuses: [Int]
    public var response: JSONSchema?
    /// The success response's media type when it is not JSON (`/metrics`, `/docs`).
    public var responseMediaType: OpenAPI.ContentType?
    /// The request body's media type (JSON when nil).
    public var bodyMediaType: OpenAPI.ContentType?
    /// Headers of the success response, by name (`ETag`, `Location`, …): see `APIHeaders`.
    public var responseHeaders: [String]
    /// Query and header parameters (path parameters are derived from the path).
    public var parameters: [OpenAPI.Parameter]
    /// Problem statuses beyond the ones the kernel derives (409, 412, …).
    public var errors: [Int]
    /// Overrides the tag (default: the plugin's id, or the route group's tag).
    public var tag: String?
    /// An example of the request body.
    public var example: JSONValue?
    /// A route anyone may call that answers more with a token (the OpenAPI document itself).
    public var optionalAuthentication: Bool

    public init(
        _ id: String, _ summary: String, description: String? = nil, body: JSONSchema? = nil, bodyRequired: Bool = true,
        status: Int = 200, otherStatuses: [Int] = [], response: JSONSchema? = nil, responseMediaType: OpenAPI.ContentType? = nil,
        responseHeaders: [String] = [], parameters: [OpenAPI.Parameter] = [], errors: [Int] = [], tag: String? = nil,
        example: JSONValue? = nil, optionalAuthentication: Bool = false, bodyMediaType: OpenAPI.ContentType? = nil
    ) {
        self.bodyMediaType = bodyMediaType
        self.id = id
        self.summary = summary
        self.description = description
        self.body = body
        self.bodyRequired = bodyRequired
        self.status = status
        self.otherStatuses = otherStatuses
        self.response = response
        self.responseMediaType = responseMediaType
        self.responseHeaders = responseHeaders
        self.parameters = parameters
        self.errors = errors
        self.tag = tag
        self.example = example
        self.optionalAuthentication = optionalAuthentication
    }
}

/// Schema shorthands shared by the kernel's and the plugins' documentation.
public enum APISchema {
    /// A reference to a schema of the document's components.
    public static func ref(_ name: String) -> JSONSchema { .reference(.component(named: name)) }

    /// `{"data": [...]}`, with `nextCursor` (and the optional `total`) when paginated.
    public static func list(of item: JSONSchema, paginated: Bool = false) -> JSONSchema {
        var properties: OrderedDictionary<String, JSONSchema> = ["data": .array(items: item)]
        if paginated {
            properties["nextCursor"] = .string(
                nullable: true, description: "Pass as `cursor` for the next page; null on the last page.")
            properties["total"] = .integer(
                required: false, description: "The number of matching records, with `includeTotal=true`.")
        }
        return .object(properties: properties)
    }

    public static let uuid = JSONSchema.string(format: .uuid)
    public static let dateTime = JSONSchema.string(format: .dateTime)
    /// An ISO 4217 code: deals' and organizations' `currency`, the currency of custom money values.
    public static let currencyCode = JSONSchema.string(
        description: "An ISO 4217 currency code.", pattern: "^[A-Z]{3}$", examples: ["EUR"])
    /// A nullable schema, written the JSON Schema 2020-12 way (`anyOf` with `null` for references).
    public static func nullable(_ schema: JSONSchema) -> JSONSchema {
        if case .reference = schema.value { return .any(of: [schema, .null()]) }
        return schema.nullableSchemaObject()
    }
    /// A value clients may read but never write (writing it → 422).
    public static func readOnly(_ schema: JSONSchema, description: String? = nil) -> JSONSchema {
        .all(of: [schema], core: .init(permissions: .readOnly, description: description))
    }
    /// A role name (API.md: owner > admin > member > viewer).
    public static let role = JSONSchema.string(allowedValues: Role.allCases.reversed().map { AnyCodable($0.rawValue) })
}

extension JSONSchema {
    /// The schema as a required or an optional property of its object.
    public func required(_ required: Bool) -> JSONSchema {
        required ? requiredSchemaObject() : optionalSchemaObject()
    }
}

/// Parameters and headers several routes share.
public enum APIParameters {
    public static let ifMatch = OpenAPI.Parameter.header(
        name: "If-Match", required: false, schema: .string(pattern: #"^\s*(\*|(W/)?"?[0-9]{1,9}"?)\s*$"#, examples: ["\"3\""]),
        description: "The `ETag` of the version you read (or `*`); a stale one answers 412 `precondition_failed`.")
    public static let idempotencyKey = OpenAPI.Parameter.header(
        name: "Idempotency-Key", required: false, schema: .string(maxLength: 255),
        description: "Repeating a call with the same key and body returns the first response; another body → 409.")
    public static let limit = OpenAPI.Parameter.query(
        name: "limit", required: false, schema: .integer(maximum: (100, exclusive: false), minimum: (1, exclusive: false), defaultValue: 25),
        description: "Page size, 1–100 (outside → 400).")

    public static func query(_ name: String, _ schema: JSONSchema, _ description: String, required: Bool = false) -> OpenAPI.Parameter {
        .query(name: name, required: required, schema: schema, description: description)
    }
}

/// Response headers by name, as routes list them in `APIOperation.responseHeaders`.
enum APIHeaders {
    static let all: [String: OpenAPI.Header] = [
        "ETag": .init(schema: .string, description: "The record's version as an entity tag (`\"<version>\"`)."),
        "Location": .init(schema: .string(format: .uriReference), description: "The created resource, or where a redirect goes."),
    ]
}
