import Kernel

enum DealsMigrations {
    static let tables = Migration("0001_pipelines_deals", [
        """
        CREATE TABLE pipelines (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL,
            name text NOT NULL,
            position int NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (org_id, id)
        )
        """,
        """
        CREATE TABLE stages (
            org_id uuid NOT NULL,
            id uuid NOT NULL,
            pipeline_id uuid NOT NULL,
            name text NOT NULL,
            position int NOT NULL,
            probability int NOT NULL CHECK (probability BETWEEN 0 AND 100),
            kind text NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
            PRIMARY KEY (org_id, id),
            FOREIGN KEY (org_id, pipeline_id) REFERENCES pipelines (org_id, id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX stages_pipeline ON stages (org_id, pipeline_id, position)",
        KernelMigrations.entityTable("deals", columns: [
            "name text NOT NULL", "amount numeric(15, 2)", "currency text NOT NULL", "pipeline_id uuid NOT NULL",
            "stage_id uuid NOT NULL", "status text NOT NULL", "company_id uuid", "contact_ids uuid[] NOT NULL DEFAULT '{}'",
            "owner_id uuid", "close_date date",
        ], searchSQL: "coalesce(name, '')"),
        "CREATE INDEX deals_stage ON deals (org_id, pipeline_id, stage_id, created_at DESC) WHERE deleted_at IS NULL",
        "CREATE INDEX deals_contacts ON deals USING gin (contact_ids)",
        """
        CREATE TABLE deal_stage_history (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            deal_id uuid NOT NULL,
            stage_id uuid NOT NULL,
            entered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            left_at timestamptz,
            PRIMARY KEY (org_id, id)
        )
        """,
        "CREATE INDEX deal_stage_history_deal ON deal_stage_history (org_id, deal_id, entered_at)",
    ].joined(separator: ";\n") + ";\n"
        + ["pipelines", "stages", "deal_stage_history"].map(KernelMigrations.tenantIsolation).joined(separator: "\n"))

    /// What the insights read (`DealInsights`): live deals by status and currency, each deal's
    /// current stage entry, and the entries of a stage.
    static let insights = Migration("0002_insights", """
        CREATE INDEX deals_status ON deals (org_id, status, currency) WHERE deleted_at IS NULL;
        CREATE INDEX deal_stage_history_current ON deal_stage_history (org_id, deal_id) WHERE left_at IS NULL;
        CREATE INDEX deal_stage_history_stage ON deal_stage_history (org_id, stage_id);
        """)
}
