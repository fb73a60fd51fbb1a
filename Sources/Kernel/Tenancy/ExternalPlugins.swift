import Foundation
import Synchronization

/// A plugin that is not Swift code: a bundled Lua plugin from `plugins-lua/`. The kernel lists
/// it under `/plugins`, enables it per tenant and keeps its configuration; the scripting
/// runtime runs it.
public struct ExternalPlugin: Sendable {
    public let id: String
    public let name: String
    public let version: String
    public let description: String
    public let kind: String
    public let dependsOn: [String]
    public let fields: [String: [JSONValue]]
    /// `{key: {type, default, min?, max?, options?}}` (API.md, Plugins).
    public let configSchema: [String: JSONValue]

    public init(
        id: String, name: String, version: String, description: String, kind: String, dependsOn: [String],
        fields: [String: [JSONValue]], configSchema: [String: JSONValue]
    ) {
        self.id = id
        self.name = name
        self.version = version
        self.description = description
        self.kind = kind
        self.dependsOn = dependsOn
        self.fields = fields
        self.configSchema = configSchema
    }

    /// `config` checked against the schema, with defaults for what it leaves out; 422 with
    /// `field: "config.<key>"` for each problem.
    public func effectiveConfig(_ config: [String: JSONValue]) throws -> [String: JSONValue] {
        var errors: [FieldError] = []
        var result: [String: JSONValue] = [:]
        for key in config.keys.sorted() where configSchema[key] == nil {
            errors.append(FieldError(field: "config.\(key)", code: "unknown_field", message: "the \(id) plugin has no such setting"))
        }
        for (key, spec) in configSchema {
            guard let value = config[key], !value.isNull else {
                result[key] = spec["default"] ?? .null
                continue
            }
            if let problem = Self.problem(value, spec) {
                errors.append(FieldError(field: "config.\(key)", code: "invalid", message: problem))
            } else {
                result[key] = value
            }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return result
    }

    static func problem(_ value: JSONValue, _ spec: JSONValue) -> String? {
        let type = spec["type"]?.stringValue ?? "string"
        switch (type, value) {
        case ("integer", .int), ("number", .int), ("number", .double), ("boolean", .bool), ("string", .string):
            break
        case ("integer", .double(let d)) where d.rounded() == d:
            break
        default:
            return "must be a\(type == "integer" ? "n" : "") \(type)"
        }
        if let number = value.doubleValue {
            if let min = spec["min"]?.doubleValue, number < min { return "must be at least \(JSONValue.number(min).serialized())" }
            if let max = spec["max"]?.doubleValue, number > max { return "must be at most \(JSONValue.number(max).serialized())" }
        }
        if let options = spec["options"]?.arrayValue, !options.contains(value) {
            return "must be one of \(options.map { $0.serialized() }.joined(separator: ", "))"
        }
        return nil
    }
}

/// The external plugins of this server, registered at start-up.
public final class ExternalPlugins: Sendable {
    private let list = Mutex<[ExternalPlugin]>([])

    public init() {}

    public func add(_ plugin: ExternalPlugin) { list.withLock { $0.append(plugin) } }
    public var all: [ExternalPlugin] { list.withLock { $0 }.sorted { $0.id < $1.id } }
    public func plugin(_ id: String) -> ExternalPlugin? { list.withLock { $0.first { $0.id == id } } }
}
