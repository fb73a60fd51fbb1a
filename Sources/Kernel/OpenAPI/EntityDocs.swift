import OpenAPIKit

/// The OpenAPI side of an entity schema: the component schemas of its records (built per view,
/// so a tenant's custom fields become typed properties of `custom`), and the operations of the
/// record routes that refer to them.
enum EntityDocs {
    /// The singular component name of an entity (`contacts` → `Contact`, `activities` → `Activity`).
    static func componentName(_ entity: String) -> String {
        var singular = entity
        if singular.hasSuffix("ies") { singular = String(singular.dropLast(3)) + "y" } else if singular.hasSuffix("s") { singular.removeLast() }
        return singular.prefix(1).uppercased() + singular.dropFirst()
    }

    /// The record, input, patch, custom and filter schemas of `schema`. `custom` nil: the
    /// product's view, where `custom` holds whatever fields a tenant defines.
    static func components(_ schema: EntitySchema, custom: [CustomFieldDefinition]?) -> [(String, JSONSchema)] {
        let name = componentName(schema.name)
        var record: OrderedDictionary<String, JSONSchema> = ["id": .string(format: .uuid, permissions: .readOnly)]
        var input: OrderedDictionary<String, JSONSchema> = [:]
        var patch: OrderedDictionary<String, JSONSchema> = [:]
        for field in schema.fields {
            let typed = field.type.jsonSchema(field)
            let value = field.required ? typed : APISchema.nullable(typed)
            if field.readOnly {
                record[field.name] = APISchema.readOnly(value)
                continue
            }
            record[field.name] = value
            input[field.name] = value.required(field.required)
            patch[field.name] = value.required(false)
        }
        record["custom"] = APISchema.ref("\(name)Custom")
        record["tags"] = .array(items: .string)
        record["version"] = .integer(permissions: .readOnly, minimum: (1, exclusive: false))
        record["createdAt"] = .string(format: .dateTime, permissions: .readOnly)
        record["updatedAt"] = .string(format: .dateTime, permissions: .readOnly)
        input["custom"] = APISchema.nullable(APISchema.ref("\(name)CustomInput")).required(false)
        // null clears the tags, like any optional field.
        input["tags"] = APISchema.nullable(JSONSchema.array(
            maxItems: RecordInput.maxTags,
            items: .string(minLength: 1, maxLength: RecordInput.maxTagLength, pattern: "^[^,]*[^,\\s][^,]*$"))).required(false)
        patch["custom"] = input["custom"]
        patch["tags"] = input["tags"]

        return [
            (name, .object(title: name, properties: record, additionalProperties: .a(false))),
            ("\(name)Input", .object(
                title: "\(name)Input", description: "The writable fields of a \(name.lowercased()); unknown fields → 422.",
                properties: input, additionalProperties: .a(false))),
            ("\(name)Patch", .object(
                title: "\(name)Patch", description: "Fields to change; `null` clears one.", properties: patch,
                additionalProperties: .a(false))),
            ("\(name)Custom", customSchema(custom, forInput: false)),
            ("\(name)CustomInput", customSchema(custom, forInput: true)),
            ("\(name)Filter", filterSchema(schema, custom: custom)),
        ]
    }

    /// The `custom` object: the tenant's fields as typed properties (formula fields read-only,
    /// absent from input), or any object in the product's view.
    static func customSchema(_ custom: [CustomFieldDefinition]?, forInput: Bool) -> JSONSchema {
        guard let custom else {
            return .object(
                description: "Custom field values by key; with a token, the document lists the organization's fields.",
                additionalProperties: .a(true))
        }
        var properties: OrderedDictionary<String, JSONSchema> = [:]
        for definition in custom.sorted(by: { $0.key < $1.key }) {
            if forInput && definition.formula != nil { continue }
            var spec = definition.spec
            // Values stored before a definition changed stay readable as they are, so reads
            // promise the type, not today's option list.
            if !forInput { spec.options = nil }
            var value = APISchema.nullable(spec.type.jsonSchema(spec)).with(description: definition.label)
            if definition.formula != nil { value = APISchema.readOnly(value, description: "\(definition.label) (formula)") }
            properties[definition.key] = value.required(false)
        }
        return .object(properties: properties, additionalProperties: .a(!forInput))
    }

    /// `filter[field]=v` or `filter[field][op]=v` for every filterable field, each with the
    /// operators its type takes and values in its type's query form.
    static func filterSchema(_ schema: EntitySchema, custom: [CustomFieldDefinition]?) -> JSONSchema {
        func condition(_ type: any FieldType, _ spec: FieldSpec, tags: Bool = false) -> JSONSchema {
            let value = type.queryValueSchema(spec).required(false)
            var operators: OrderedDictionary<String, JSONSchema> = ["eq": value]
            if !tags { operators["ne"] = value }
            operators["in"] = JSONSchema.string(required: false, description: "A comma-separated list of values.")
            if !tags {
                if type.filterOperators.contains(.lt) { for op in ["lt", "lte", "gt", "gte"] { operators[op] = value } }
                // Text operators take any text; a list's `contains` takes one of its values.
                let text = JSONSchema.string(required: false, maxLength: 200)
                if type.filterOperators.contains(.contains) {
                    operators["contains"] = type.filterOperators.contains(.startsWith) ? text : value
                }
                if type.filterOperators.contains(.startsWith) { operators["startsWith"] = text }
                operators["isNull"] = .string(required: false, allowedValues: ["true", "false"])
            }
            return JSONSchema.one(
                of: type.queryValueSchema(spec).with(description: "Equals."),
                .object(properties: operators, additionalProperties: .a(false)), required: false)
        }
        var properties: OrderedDictionary<String, JSONSchema> = [:]
        let id = FieldSpec("id", column: "id", ReferenceFieldType(schema.name))
        properties["id"] = condition(id.type, id)
        for field in schema.fields { properties[field.name] = condition(field.type, field) }
        let tag = FieldSpec("tags", column: "tags", TextFieldType())
        properties["tags"] = condition(tag.type, tag, tags: true)
        for name in ["createdAt", "updatedAt"] {
            let spec = FieldSpec(name, column: name, DateTimeFieldType())
            properties[name] = condition(spec.type, spec)
        }
        for definition in custom ?? [] { properties["custom.\(definition.key)"] = condition(definition.spec.type, definition.spec) }
        return .object(
            description: "Filters: `filter[field]=value` (equals) or `filter[field][op]=value`; custom fields as `filter[custom.key]`.",
            properties: properties, additionalProperties: .a(custom == nil))
    }

    /// The operations of `RecordRoutes` for `schema`.
    struct Operations {
        let list, export, create, get, replace, update, delete, restore, history: APIOperation

        init(_ schema: EntitySchema) {
            let name = EntityDocs.componentName(schema.name)
            let plural = schema.name.prefix(1).uppercased() + schema.name.dropFirst()
            let record = APISchema.ref(name)
            let searchable = schema.fields.filter(\.searchable).map(\.name)
            list = APIOperation(
                "list\(plural)", "List \(schema.name)", response: APISchema.list(of: record, paginated: true),
                parameters: [
                    APIParameters.limit,
                    APIParameters.query("cursor", .string, "The `nextCursor` of the previous page."),
                    APIParameters.query(
                        "sort", .string(pattern: "^-?[A-Za-z.]+(,-?[A-Za-z.]+)*$", examples: ["-createdAt"]),
                        "Comma-separated fields, `-` for descending (default `-createdAt`; `id` breaks ties). A custom field sorts only when its definition is `indexed` (else 400)."),
                    APIParameters.query(
                        "q", .string(maxLength: 200),
                        searchable.isEmpty ? "Text search." : """
                            Case-insensitive text search over \(searchable.joined(separator: ", ")): every word (split on spaces) \
                            must start a word of the record (`harfo` finds Harford, `bob@exa` an email, `example.com` a domain); \
                            words of one or two characters match anywhere.
                            """),
                    APIParameters.query(
                        "includeTotal", .boolean,
                        "Adds `total`, the number of matching records: a count of every match, so its cost grows with the matches (not a page)."),
                    .query(
                        name: "filter", required: false,
                        schemaOrContent: .schema(.init(APISchema.ref("\(name)Filter"), style: .deepObject, explode: true)),
                        description: "`filter[field]=value` or `filter[field][op]=value`; unknown fields or operators → 400."),
                ],
                errors: [400])
            // The list's parameters but the page's: every record the filters, sort and q select.
            export = APIOperation(
                "export\(plural)", "Export \(schema.name) as CSV",
                description: """
                    Every live record the `filter`, `sort` and `q` select, streamed as RFC 4180 CSV (constant memory at any \
                    size): a header row `id, createdAt, updatedAt, version`, every field, `custom.<key>` per custom field, \
                    `tags` (joined with `;`). Values in their CSV form: plain decimals, `true`/`false`, lists with `;`, \
                    money as `12.50 EUR`; a text cell that starts with `= + - @` gets a leading `'` (spreadsheets would \
                    run it as a formula; the importer takes it off).
                    """,
                response: .string, responseMediaType: .csv,
                parameters: list.parameters.filter { !["limit", "cursor", "includeTotal"].contains($0.name) }, errors: [400])
            create = APIOperation(
                "create\(name)", "Create a \(name.lowercased())", body: APISchema.ref("\(name)Input"), status: 201,
                response: record, responseHeaders: ["ETag", "Location"], parameters: [APIParameters.idempotencyKey],
                errors: [409])
            get = APIOperation("get\(name)", "Get a \(name.lowercased())", response: record, responseHeaders: ["ETag"])
            replace = APIOperation(
                "replace\(name)", "Replace a \(name.lowercased())",
                description: "Sets every writable field; an omitted field returns to its default.",
                body: APISchema.ref("\(name)Input"), response: record, responseHeaders: ["ETag"],
                parameters: [APIParameters.ifMatch], errors: [412])
            update = APIOperation(
                "update\(name)", "Change fields of a \(name.lowercased())", body: APISchema.ref("\(name)Patch"), response: record,
                responseHeaders: ["ETag"], parameters: [APIParameters.ifMatch], errors: [412])
            delete = APIOperation(
                "delete\(name)", "Delete a \(name.lowercased())", description: "Soft delete: restorable with `restore`.",
                status: 204, parameters: [APIParameters.ifMatch], errors: [412])
            restore = APIOperation(
                "restore\(name)", "Restore a deleted \(name.lowercased())", response: record, responseHeaders: ["ETag"])
            history = APIOperation(
                "get\(name)History", "Field-level history of a \(name.lowercased())",
                response: APISchema.list(of: APISchema.ref("HistoryEntry"), paginated: true), parameters: [APIParameters.limit])
        }
    }
}
