import Kernel

enum ContactsMigrations {
    static let tables = Migration("0001_contacts_companies", [
        KernelMigrations.entityTable("companies", columns: [
            "name text NOT NULL", "domain text", "industry text", "employees bigint", "phone text", "website text", "owner_id uuid",
        ], searchSQL: "coalesce(name, '') || ' ' || coalesce(domain, '')"),
        KernelMigrations.entityTable("contacts", columns: [
            "first_name text", "last_name text", "email text", "phone text", "title text", "company_id uuid", "owner_id uuid",
        ], searchSQL: "coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')"),
        "CREATE INDEX contacts_email ON contacts (org_id, email) WHERE deleted_at IS NULL",
        "CREATE INDEX contacts_company ON contacts (org_id, company_id) WHERE deleted_at IS NULL",
    ].joined(separator: ";\n"))
}
