@testable import Kernel
import Testing

/// Each field type brings its own SQL over a custom value and says whether lists sort by it:
/// the custom-field definition and the list's sort ask the type, not its name.
@Suite struct FieldTypeTests {
    @Test func everyCustomTypeTypesItsValueForComparisonAndSorting() {
        let expected: [String: String] = [
            "text": "(t.custom ->> 'k')", "longText": "(t.custom ->> 'k')", "email": "(t.custom ->> 'k')",
            "url": "(t.custom ->> 'k')", "phone": "(t.custom ->> 'k')", "select": "(t.custom ->> 'k')",
            "number": "(t.custom ->> 'k')::double precision", "integer": "(t.custom ->> 'k')::bigint",
            "boolean": "(t.custom ->> 'k')::boolean", "date": "(t.custom ->> 'k')::date",
            "datetime": "(t.custom ->> 'k')::timestamptz",
            "currency": "(t.custom -> 'k' ->> 'amount')::numeric", "multiSelect": "(t.custom -> 'k')",
        ]
        #expect(Set(CustomFieldDefinition.types.keys) == Set(expected.keys), "the 13 types of API.md")
        for (name, type) in CustomFieldDefinition.types {
            #expect(type.customValueSQL(key: "k") == expected[name], "\(name)")
        }
    }

    @Test func listsSortByScalarsOnly() {
        let unsortable = CustomFieldDefinition.types.filter { !$0.value.sortable }.map(\.key)
        #expect(unsortable == ["multiSelect"])
        #expect(!ReferenceListFieldType("contacts").sortable)
        #expect(ReferenceFieldType("companies").sortable)
    }
}

/// What else a type owns: its filter operators, its SQL for a filter, its CSV form, the value
/// of an absent field, and plugin settings, which are fields of the same types.
@Suite struct FieldTypeBehaviourTests {
    let spec = FieldSpec("f", column: "f", TextFieldType())

    @Test func operatorsAreTheTypes() {
        #expect(TextFieldType().filterOperators == Set(FilterOperator.allCases))
        #expect(EmailFieldType().filterOperators == Set(FilterOperator.allCases))
        #expect(BooleanFieldType().filterOperators == FilterOperator.basic)
        #expect(DateFieldType().filterOperators == FilterOperator.basic.union(FilterOperator.ordered))
        #expect(URLFieldType().filterOperators.contains(.startsWith) && !URLFieldType().filterOperators.contains(.lt))
        #expect(ReferenceListFieldType("contacts").filterOperators == FilterOperator.basic.union([.contains]))
        #expect(MultiSelectFieldType().filterOperators == FilterOperator.basic)
    }

    @Test func listTypesWriteTheirOwnFilterSQL() {
        var builder = SQLBuilder()
        let ids = ReferenceListFieldType("contacts")
        #expect(ids.filterSQL("t.contact_ids", op: .ne, values: ["a"], builder: &builder) == "NOT (t.contact_ids && $1::uuid[])")
        #expect(ids.filterSQL("t.contact_ids", op: .isNull, values: [true], builder: &builder) == "t.contact_ids IS NULL")
        let options = MultiSelectFieldType()
        #expect(options.filterSQL("c", op: .in, values: ["x", "y"], builder: &builder) == "c ?| $2::text[]")
        #expect(builder.texts == ["{\"a\"}", "{\"x\",\"y\"}"])
        #expect(TextFieldType().filterSQL("t.name", op: .startsWith, values: ["a_%"], builder: &builder) == "t.name::text ILIKE $3 || '%'")
        #expect(builder.texts.last == "a\\_\\%")
    }

    @Test func containmentOnlyWhereStoredJSONComparesExactly() {
        #expect(TextFieldType().containmentProbe("a", op: .eq) == "a")
        #expect(TextFieldType().containmentProbe("a", op: .ne) == JSONValue?.none)
        #expect(MultiSelectFieldType().containmentProbe("a", op: .eq) == ["a"])
        #expect(DateTimeFieldType().containmentProbe("2026-01-01T00:00:00Z", op: .eq) == JSONValue?.none, "times compare as instants")
        #expect(CurrencyValueFieldType().containmentProbe(12.5, op: .eq) == JSONValue?.none, "filters compare the amount")
    }

    @Test func csvRoundTripsEveryCustomType() throws {
        let values: [String: (JSONValue, String)] = [
            "text": ("Ada", "Ada"), "longText": ("a, \"quoted\"\nline", "a, \"quoted\"\nline"), "number": (1234.5, "1234.5"),
            "integer": (.int(42), "42"), "boolean": (true, "true"), "date": ("2026-11-30", "2026-11-30"),
            "datetime": ("2026-11-30T12:00:00Z", "2026-11-30T12:00:00Z"), "email": ("a@b.co", "a@b.co"),
            "url": ("https://x.io", "https://x.io"), "phone": ("+1 555 0100", "+1 555 0100"), "select": ("gold", "gold"),
            "multiSelect": (["gold", "silver"], "gold;silver"),
            "currency": (["amount": 12.5, "currency": "EUR"], "12.50 EUR"),
        ]
        #expect(Set(values.keys) == Set(CustomFieldDefinition.types.keys))
        for (name, (value, text)) in values {
            let definition = CustomFieldDefinition(
                id: "", entity: "contacts", key: "k", label: "K", type: name, required: false, options: ["gold", "silver"],
                defaultValue: nil, validation: nil, formula: nil)
            let spec = definition.spec
            let normalized = try spec.normalize(value)
            #expect(spec.type.csvText(normalized) == text, "\(name)")
            #expect(try spec.normalize(spec.type.csvValue(text, field: spec)) == normalized, "\(name)")
        }
        #expect(NumberFieldType().csvText(0.00001) == "0.00001", "plain decimal, never 1e-05")
        #expect(throws: FieldError.self) { try IntegerFieldType().csvValue("4.5", field: spec) }
        #expect(throws: FieldError.self) { try CurrencyValueFieldType().csvValue("12.50", field: spec) }
    }

    @Test func longTextIsTextWithAHigherLimit() throws {
        let long = String(repeating: "x", count: 5000)
        let text = CustomFieldDefinition.types["text"]!, longText = CustomFieldDefinition.types["longText"]!
        #expect(longText.name == "longText")
        #expect(throws: FieldError.self) { try text.normalize(.string(long), field: FieldSpec("k", column: "custom", text)) }
        #expect(try longText.normalize(.string(long), field: FieldSpec("k", column: "custom", longText)) == .string(long))
    }

    @Test func aListOfReferencesIsNeverNull() {
        #expect(ReferenceListFieldType("contacts").absentValue == [])
        #expect(ReferenceFieldType("companies").absentValue == .null)
        #expect(ReferenceFieldType("members").referenceTarget == "members")
        #expect(TextFieldType().referenceTarget == nil)
    }

    @Test func pluginSettingsAreFieldsOfTheSameTypes() throws {
        let plugin = ExternalPlugin(
            id: "p", name: "p", version: "1", description: "", kind: "lua", dependsOn: [], fields: [:],
            configSchema: [
                "delayDays": ["type": "integer", "default": 2, "min": 0, "max": 365],
                "mode": ["type": "string", "default": "fast", "options": ["fast", "slow"]],
            ])
        #expect(plugin.schemaProblem() == nil)
        #expect(try plugin.effectiveConfig([:]) == ["delayDays": 2, "mode": "fast"])
        #expect(try plugin.effectiveConfig(["delayDays": 7.0]) == ["delayDays": .int(7), "mode": "fast"])
        do {
            _ = try plugin.effectiveConfig(["delayDays": 400, "mode": "lazy"])
            Issue.record("accepted")
        } catch let error as APIError {
            #expect(error.errors.map(\.field).sorted() == ["config.delayDays", "config.mode"])
            #expect(Set(error.errors.map(\.code)) == ["too_large", "invalid_option"])
        }
        let broken = ExternalPlugin(
            id: "b", name: "b", version: "1", description: "", kind: "lua", dependsOn: [], fields: [:],
            configSchema: ["n": ["type": "integer", "default": "two"], "x": ["type": "blob"]])
        #expect(broken.schemaProblem() == "config.n: the default must be an integer")
    }
}

/// `nil` where a `JSONValue?` is expected can silently become JSON null (JSONValue takes the nil
/// literal): a bad filter text must give no value, never a filter on null.
@Suite struct FilterValueTests {
    @Test func badFilterTextHasNoValue() {
        let select = FieldSpec("s", column: "s", MultiSelectFieldType(), options: ["a"])
        #expect(select.type.filterValue("zzz", field: select) == JSONValue?.none)
        #expect(select.type.filterValue("a", field: select) == .string("a"))
        for type in [NumberFieldType(), MoneyFieldType(), CurrencyValueFieldType()] as [any FieldType] {
            let spec = FieldSpec("n", column: "n", type)
            #expect(type.filterValue("inf", field: spec) == JSONValue?.none, "\(type.name)")
            #expect(type.filterValue("x", field: spec) == JSONValue?.none, "\(type.name)")
        }
        let flag = FieldSpec("b", column: "b", BooleanFieldType())
        #expect(flag.type.filterValue("yes", field: flag) == JSONValue?.none)
        let integer = FieldSpec("i", column: "i", IntegerFieldType())
        #expect(integer.type.filterValue("1.5", field: integer) == JSONValue?.none)
        let reference = FieldSpec("r", column: "r", ReferenceListFieldType("contacts"))
        #expect(reference.type.filterValue("nope", op: .contains, field: reference) == JSONValue?.none)
    }
}

/// The keyset condition of a list's next page (issue 20: a page 10,000 records deep).
@Suite struct CursorConditionTests {
    let schema = EntitySchema(
        name: "things", table: "things", pluginID: "p", fields: [FieldSpec("name", column: "name", TextFieldType())], titleSQL: "t.name")
    let id = "0b3c2f6e-8f1a-4c57-9f55-3a1d2b9f7a10"

    @Test func keysOverNeverNullColumnsOneWayAreOneRowComparison() throws {
        var query = try RecordQuery.parse([], schema: schema)
        query.cursor = ["2026-01-01T00:00:00.000000Z", .string(id)]
        var builder = SQLBuilder()
        #expect(query.cursorCondition(&builder) == "(t.created_at, t.id) < ($1::timestamptz, $2::uuid)")
        var ascending = try RecordQuery.parse([("sort", "updatedAt")], schema: schema)
        ascending.cursor = ["2026-01-01T00:00:00.000000Z", .string(id)]
        builder = SQLBuilder()
        #expect(ascending.cursorCondition(&builder) == "(t.updated_at, t.id) > ($1::timestamptz, $2::uuid)")
    }

    @Test func nullableOrMixedKeysKeepTheOrChain() throws {
        var byName = try RecordQuery.parse([("sort", "name")], schema: schema)
        byName.cursor = ["Ada", .string(id)]
        var builder = SQLBuilder()
        let condition = try #require(byName.cursorCondition(&builder))
        #expect(condition.contains(" OR ") && condition.contains("IS NULL"), "names may be null: \(condition)")
        var mixed = try RecordQuery.parse([("sort", "createdAt,-updatedAt")], schema: schema)
        mixed.cursor = ["2026-01-01T00:00:00.000000Z", "2026-01-02T00:00:00.000000Z", .string(id)]
        builder = SQLBuilder()
        #expect(try #require(mixed.cursorCondition(&builder)).contains(" OR "))
    }
}
