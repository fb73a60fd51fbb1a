import Kernel

/// A person: at least one of first name, last name or email.
enum ContactSchema {
    static let schema = EntitySchema(
        name: "contacts", table: "contacts", pluginID: "contacts",
        fields: [
            FieldSpec("firstName", column: "first_name", TextFieldType(), maxLength: 100, searchable: true),
            FieldSpec("lastName", column: "last_name", TextFieldType(), maxLength: 100, searchable: true),
            FieldSpec("email", column: "email", EmailFieldType(), searchable: true),
            FieldSpec("phone", column: "phone", PhoneFieldType(), searchable: true),
            FieldSpec("title", column: "title", TextFieldType(), maxLength: 100),
            FieldSpec("companyId", column: "company_id", ReferenceFieldType("companies")),
            FieldSpec("ownerId", column: "owner_id", ReferenceFieldType("members")),
        ],
        titleSQL: "coalesce(nullif(trim(coalesce(t.first_name, '') || ' ' || coalesce(t.last_name, '')), ''), t.email, '')",
        rules: { record in
            let named = ["firstName", "lastName", "email"].contains { record[$0].map { !$0.isNull } ?? false }
            return named ? [] : [FieldError(field: "firstName", code: "required", message: "a contact needs a first name, last name or email")]
        })
}

/// An organisation: a name is required.
enum CompanySchema {
    static let schema = EntitySchema(
        name: "companies", table: "companies", pluginID: "contacts",
        fields: [
            FieldSpec("name", column: "name", TextFieldType(), required: true, maxLength: 200, searchable: true),
            FieldSpec("domain", column: "domain", TextFieldType(), maxLength: 253, searchable: true),
            FieldSpec("industry", column: "industry", TextFieldType(), maxLength: 100),
            FieldSpec("employees", column: "employees", IntegerFieldType(), minimum: 0, maximum: 100_000_000),
            FieldSpec("phone", column: "phone", PhoneFieldType()),
            FieldSpec("website", column: "website", URLFieldType()),
            FieldSpec("ownerId", column: "owner_id", ReferenceFieldType("members")),
        ],
        titleSQL: "t.name")
}
