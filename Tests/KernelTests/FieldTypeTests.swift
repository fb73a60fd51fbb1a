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
