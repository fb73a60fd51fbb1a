import Kernel
import OpenAPIKit

/// The OpenAPI side of `/custom-fields`: the definition schemas (from `CustomFieldDefinition`,
/// which `JSONEncoder` writes without its nil properties) and the operations.
enum CustomFieldsDocs {
    static let pluginID = "customfields"

    static func register(_ documentation: APIDocumentation) {
        for (name, schema) in schemas { documentation.schema(name, schema, pluginID: pluginID) }
    }

    // MARK: Schemas

    static let keyPattern = CustomFieldDefinition.keyPattern

    static var typeSchema: JSONSchema {
        .string(
            description: "The value type: `currency` values are `{\"amount\", \"currency\"}`, `date` `YYYY-MM-DD`, `datetime` RFC 3339, `multiSelect` an array of options.",
            allowedValues: CustomFieldDefinition.types.keys.sorted().map { AnyCodable($0) })
    }

    /// A `CustomFieldDefinition` as the routes answer it: `options`, `defaultValue`,
    /// `validation` and `formula` are left out when unset.
    static let customField = JSONSchema.object(
        title: "CustomField",
        description: "A custom field definition; its values live in each record's `custom.<key>`.",
        properties: [
            "id": APISchema.uuid,
            "entity": .string(description: "The entity's path name (`contacts`, `companies`, `deals`, `activities`, …)."),
            "key": .string(pattern: keyPattern),
            "label": .string,
            "type": typeSchema,
            "required": .boolean,
            "options": .array(required: false, description: "The allowed values (select types); absent when unset.", items: .string),
            "defaultValue": .fragment(
                required: false, description: "Fills the key when a record is created without it; absent when unset."),
            "validation": .object(
                required: false,
                description: "A Lua expression (`value` and `record` in scope) that must be true, else 422 with `message`; absent when unset.",
                properties: ["expression": .string, "message": .string]),
            "formula": .string(
                required: false,
                description: "A Lua expression (`record` in scope) computed on every write into the read-only `custom.<key>`; absent when unset."),
            "indexed": .boolean(description: indexedText),
        ])

    static let indexedText = """
        Lists may sort by the field and filter it with `lt lte gt gte` (read from an index). Only an indexed custom field \
        allows those (otherwise 400). At most one field per entity of each family: number (`number integer currency`), \
        text (`text email url phone select`, sorted by its first 200 characters) and time (`date datetime`); a second \
        → 409. `boolean`, `multiSelect` and `longText` cannot be indexed (422).
        """

    /// The settings `CustomFieldRoutes.validate` reads: all of them on create, all but
    /// `entity` and `key` on `PATCH`.
    static func settings(creating: Bool) -> OrderedDictionary<String, JSONSchema> {
        var properties: OrderedDictionary<String, JSONSchema> = [:]
        if creating {
            properties["entity"] = .string(
                description: "The entity's path name (`contacts`, `companies`, `deals`, `activities`, …); another name → 422.")
            properties["key"] = .string(
                description: "Unique per entity (a duplicate → 409); not a built-in field name or a Lua keyword.", pattern: keyPattern)
        }
        properties["label"] = .string(
            required: false, description: creating ? "1-200 characters; default: the key." : "1-200 characters.", minLength: 1,
            maxLength: 200)
        properties["type"] = typeSchema.required(creating)
        let requiredText = "Whether every record must have a (non-null) value."
        properties["required"] = creating
            ? .boolean(required: false, description: requiredText, defaultValue: false)
            : .boolean(required: false, description: requiredText)
        properties["options"] = .array(
            required: false, nullable: true, description: "The allowed values; required (non-empty) for `select` and `multiSelect`.",
            maxItems: 200, uniqueItems: true, items: .string(minLength: 1, maxLength: 100))
        properties["defaultValue"] = .fragment(
            required: false, description: "A value of the field's type that fills the key when a record is created without it; null: none.")
        properties["validation"] = .object(
            required: false, nullable: true,
            description: "A Lua expression (`value` and `record` in scope) that must be true on every write, else 422 with `message`; null: none. One that does not compile → 422 (`validation.expression`).",
            properties: [
                "expression": .string,
                "message": .string(required: false, description: "Default `is invalid`."),
            ])
        properties["formula"] = .string(
            required: false, nullable: true,
            description: "A Lua expression (`record` in scope) computed on every write into the read-only `custom.<key>`; null: none. One that does not compile → 422 (`formula`).")
        properties["indexed"] = .boolean(required: false, description: indexedText + (creating ? " Default false." : ""))
        return properties
    }

    static let customFieldInput = JSONSchema.object(
        title: "CustomFieldInput", description: "A new custom field. Unknown settings → 422.",
        properties: settings(creating: true), additionalProperties: .a(false))

    static let customFieldPatch = JSONSchema.object(
        title: "CustomFieldPatch",
        description: "Settings to change; `null` clears `options`, `defaultValue`, `validation` or `formula`. `entity` and `key` cannot change (422).",
        properties: settings(creating: false), additionalProperties: .a(false))

    static let schemas: [(String, JSONSchema)] = [
        ("CustomField", customField), ("CustomFieldInput", customFieldInput), ("CustomFieldPatch", customFieldPatch),
    ]

    // MARK: Operations

    static let list = APIOperation(
        "listCustomFields", "List custom fields", description: "The organization's custom field definitions, by entity.",
        response: APISchema.list(of: APISchema.ref("CustomField")),
        parameters: [
            APIParameters.query("entity", .string, "Only this entity's fields (`contacts`, `companies`, `deals`, `activities`, …)."),
        ])

    static let create = APIOperation(
        "createCustomField", "Create a custom field", description: "At most 200 custom fields per entity (422 beyond).",
        body: APISchema.ref("CustomFieldInput"), status: 201, response: APISchema.ref("CustomField"),
        responseHeaders: ["Location"], errors: [409],
        example: [
            "entity": "contacts",
            "key": "tier",
            "label": "Customer tier",
            "type": "select",
            "required": false,
            "options": ["gold", "silver", "bronze"],
            "defaultValue": "bronze",
        ])

    static let update = APIOperation(
        "updateCustomField", "Change a custom field",
        description: "A new `type` or option list converts every stored value (`\"42\"` becomes 42, and back); when some value does not convert, nothing changes and the answer is 409 with their `count`.",
        body: APISchema.ref("CustomFieldPatch"), response: APISchema.ref("CustomField"), errors: [409])

    static let delete = APIOperation(
        "deleteCustomField", "Delete a custom field",
        description: "The field's values disappear from the records (they are archived).", status: 204)
}
