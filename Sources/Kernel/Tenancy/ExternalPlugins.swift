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
        for (key, setting) in configSchema {
            guard let value = config[key], !value.isNull else {
                result[key] = setting["default"] ?? .null
                continue
            }
            do {
                result[key] = try Self.field(key, setting).normalize(value)
            } catch let error as FieldError {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return result
    }

    /// The setting as a field of the kernel's types: `type` is `integer`, `number`, `boolean` or
    /// `string` (`text` with `options`: `select`); `min`/`max`/`options` are the field's limits.
    static func field(_ key: String, _ setting: JSONValue) -> FieldSpec {
        let options = setting["options"]?.arrayValue?.compactMap(\.stringValue)
        let type: any FieldType =
            switch setting["type"]?.stringValue ?? "string" {
            case "integer": IntegerFieldType()
            case "number": NumberFieldType()
            case "boolean": BooleanFieldType()
            default: options == nil ? TextFieldType() : SelectFieldType()
            }
        return FieldSpec(
            "config.\(key)", column: key, type, minimum: setting["min"]?.doubleValue, maximum: setting["max"]?.doubleValue,
            options: options)
    }

    /// What is wrong with the schema itself (an unknown type, a default outside it), or nil.
    public func schemaProblem() -> String? {
        for (key, setting) in configSchema.sorted(by: { $0.key < $1.key }) {
            guard ["integer", "number", "boolean", "string"].contains(setting["type"]?.stringValue ?? "string") else {
                return "config.\(key): type must be integer, number, boolean or string"
            }
            if let value = setting["default"], !value.isNull {
                do { _ = try Self.field(key, setting).normalize(value) } catch let error as FieldError {
                    return "config.\(key): the default \(error.message)"
                } catch { return "config.\(key): \(error)" }
            }
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
