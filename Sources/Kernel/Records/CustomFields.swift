import Foundation
import Synchronization

/// A tenant's custom field on an entity (API.md, Custom fields).
public struct CustomFieldDefinition: Sendable, Codable, Equatable {
    public struct Validation: Sendable, Codable, Equatable {
        public var expression: String
        public var message: String

        public init(expression: String, message: String) {
            self.expression = expression
            self.message = message
        }
    }

    /// What a key looks like (API.md): the pattern for documents and messages, and the check.
    public static let keyPattern = "^[a-z][a-zA-Z0-9_]{0,62}$"

    public static func isWellFormedKey(_ key: String) -> Bool {
        key.wholeMatch(of: /[a-z][a-zA-Z0-9_]{0,62}/) != nil
    }

    public var id: String
    public var entity: String
    public var key: String
    public var label: String
    public var type: String
    public var required: Bool
    public var options: [String]?
    public var defaultValue: JSONValue?
    public var validation: Validation?
    public var formula: String?
    /// Lists may sort and range-filter by it, from an index (`SortSlot`): at most one field of
    /// each family (number, text, time) per entity.
    public var indexed: Bool

    public init(
        id: String, entity: String, key: String, label: String, type: String, required: Bool, options: [String]?,
        defaultValue: JSONValue?, validation: Validation?, formula: String?, indexed: Bool = false
    ) {
        self.id = id
        self.entity = entity
        self.key = key
        self.label = label
        self.type = type
        self.required = required
        self.options = options
        self.defaultValue = defaultValue
        self.validation = validation
        self.formula = formula
        self.indexed = indexed
    }

    /// The 13 types of API.md, each served by a `FieldType`.
    public static let types: [String: any FieldType] = [
        "text": TextFieldType(defaultMaxLength: 1000), "longText": TextFieldType(name: "longText", defaultMaxLength: 100_000), "number": NumberFieldType(), "integer": IntegerFieldType(),
        "boolean": BooleanFieldType(), "date": DateFieldType(), "datetime": DateTimeFieldType(), "email": EmailFieldType(),
        "url": URLFieldType(), "phone": PhoneFieldType(), "select": SelectFieldType(), "multiSelect": MultiSelectFieldType(),
        "currency": CurrencyValueFieldType(),
    ]

    /// The field as the record store checks it (`custom.<key>` in errors).
    public var spec: FieldSpec {
        FieldSpec(
            "custom.\(key)", column: "custom", Self.types[type] ?? TextFieldType(), required: required,
            options: options, readOnly: formula != nil)
    }

    /// The indexed column that holds its values, when it is indexed.
    public var sortSlot: SortSlot? { indexed ? SortSlot.of(spec.type) : nil }

    /// SQL over `t.custom` giving the value typed for comparison and sorting (the type's).
    public var sqlExpression: String { spec.type.customValueSQL(key: key) }
}

/// What the custom-fields plugin gives the record store: a tenant's definitions, and Lua
/// expressions evaluated under the script limits.
public protocol CustomFieldProvider: Sendable {
    func definitions(_ organizationID: UUID, entity: String) async throws -> [CustomFieldDefinition]
    /// The expression's value with `value` and `record` in scope; a failure is a message.
    func evaluate(_ expression: String, value: JSONValue, record: Record, organizationID: UUID) async -> Result<JSONValue, ExpressionFailure>
}

public struct ExpressionFailure: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// Where the record store finds the provider (none until the plugin registers it).
public final class CustomFieldHook: Sendable {
    private let registered = Mutex<(pluginID: String, provider: any CustomFieldProvider)?>(nil)

    public init() {}

    /// Set through `PluginRegistrar.provideCustomFields`, which names the providing plugin.
    func set(_ provider: any CustomFieldProvider, pluginID: String) { registered.withLock { $0 = (pluginID, provider) } }
    public var current: (any CustomFieldProvider)? { registered.withLock { $0?.provider } }
    /// The plugin that provides custom fields: a tenant has them while it has that plugin on.
    public var pluginID: String? { registered.withLock { $0?.pluginID } }
}
