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

    /// The insights' counter (kernel `insight_counters`, statement triggers `crm_counted`) of
    /// live contacts by UTC creation day (`contacts.created`).
    static let counters = Migration("0002_insight_counters", """
        CREATE FUNCTION crm_contact_counts(c contacts, sign int) RETURNS SETOF crm_count_delta LANGUAGE sql STABLE AS $$
            SELECT crm_count_delta(c.org_id, 'contacts.created', (c.created_at AT TIME ZONE 'UTC')::date, '', c.id, sign, 0)
            WHERE c.deleted_at IS NULL
        $$;
        \(KernelMigrations.counted("contacts", by: "crm_contact_counts"))
        """)

    /// Lists sorted by the fields people sort by are served by indexes (issue 20).
    static let sortIndexes = Migration("0003_sort_indexes", """
        \(KernelMigrations.sortIndexes("contacts", columns: ["last_name", "first_name", "updated_at"]))
        \(KernelMigrations.sortIndexes("companies", columns: ["name", "updated_at"]))
        """)

    /// `q` and `/search` read the kernel's `search_terms` (issue 20).
    static let searchTerms = Migration("0004_search_terms", """
        \(KernelMigrations.searchTerms("contacts"))
        \(KernelMigrations.searchTerms("companies"))
        """)

    /// Indexed custom fields' sort columns (issue 20).
    static let sortSlots = Migration("0005_sort_slots", KernelMigrations.sortSlots("contacts") + KernelMigrations.sortSlots("companies"))
}
