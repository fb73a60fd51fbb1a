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

    /// The insights' counters (kernel `insight_counters`, statement triggers `crm_counted`). A
    /// live deal counts by stage and currency (`deals.stage`), and while in a won or lost stage
    /// by the UTC day it entered it, pipeline and currency (`deals.won`, `deals.lost`); its stage
    /// entries count too (`deals.inStage`: open ones with the sum of their start times,
    /// `deals.leftStage`: closed ones with the sum of their lengths), so deleting or restoring a
    /// deal takes them back or adds them again. `stage_entered_at` is when the deal entered its
    /// current stage, set on every stage change; the history's entries take their times from it.
    /// On an existing installation both are filled across tenants (`acrossTenants`): the
    /// history must be visible too, or every deal would seem to have entered its stage when it
    /// was created and its stage entries would never be counted.
    static let counters = Migration("0003_insight_counters", """
        ALTER TABLE deals ADD COLUMN stage_entered_at timestamptz;
        \(KernelMigrations.acrossTenants(["deals", "deal_stage_history"], """
            UPDATE deals d SET stage_entered_at = coalesce(
                (SELECT max(h.entered_at) FROM deal_stage_history h WHERE h.org_id = d.org_id AND h.deal_id = d.id AND h.left_at IS NULL),
                d.created_at);
            """))
        ALTER TABLE deals ALTER COLUMN stage_entered_at SET DEFAULT clock_timestamp(), ALTER COLUMN stage_entered_at SET NOT NULL;

        CREATE FUNCTION crm_deal_stage_entered() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
                NEW.stage_entered_at := clock_timestamp();
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER deals_stage_entered BEFORE UPDATE ON deals FOR EACH ROW EXECUTE FUNCTION crm_deal_stage_entered();

        CREATE FUNCTION crm_stage_entry_delta(h deal_stage_history, sign int) RETURNS crm_count_delta LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN h.left_at IS NULL
                THEN crm_count_delta(h.org_id, 'deals.inStage', '-infinity', h.stage_id::text, h.deal_id, sign, extract(epoch FROM h.entered_at))
                ELSE crm_count_delta(h.org_id, 'deals.leftStage', '-infinity', h.stage_id::text, h.deal_id, sign, extract(epoch FROM h.left_at - h.entered_at))
            END
        $$;

        CREATE FUNCTION crm_deal_counts(d deals, sign int) RETURNS SETOF crm_count_delta LANGUAGE sql STABLE AS $$
            SELECT crm_count_delta(d.org_id, 'deals.stage', '-infinity', d.stage_id::text || ' ' || d.currency, d.id, sign, coalesce(d.amount, 0))
            WHERE d.deleted_at IS NULL
            UNION ALL
            SELECT crm_count_delta(d.org_id, 'deals.' || d.status, (d.stage_entered_at AT TIME ZONE 'UTC')::date,
                                   d.pipeline_id::text || ' ' || d.currency, d.id, sign, coalesce(d.amount, 0))
            WHERE d.deleted_at IS NULL AND d.status IN ('won', 'lost')
            UNION ALL
            SELECT crm_stage_entry_delta(h, sign) FROM deal_stage_history h
            WHERE d.deleted_at IS NULL AND h.org_id = d.org_id AND h.deal_id = d.id
        $$;

        -- An entry counts while its deal is live. The deal is looked up by its primary key alone
        -- (no `deleted_at` in the WHERE): with the predicate, a table without statistics yet (one
        -- filled in this transaction) made the planner scan a partial index over the whole
        -- organization for every row, and a 10,000-row insert took 12 s instead of 0.2 s.
        CREATE FUNCTION crm_stage_entry_counts(h deal_stage_history, sign int) RETURNS SETOF crm_count_delta LANGUAGE sql STABLE AS $$
            SELECT crm_stage_entry_delta(h, sign)
            WHERE (SELECT d.deleted_at IS NULL FROM deals d WHERE d.org_id = h.org_id AND d.id = h.deal_id)
        $$;

        \(KernelMigrations.counted("deals", by: "crm_deal_counts", reading: ["deal_stage_history"]))
        \(KernelMigrations.counted("deal_stage_history", by: "crm_stage_entry_counts", backfill: false))

        -- The first, partial day of the win rate's window is counted in the deals themselves.
        CREATE INDEX deals_closed ON deals (org_id, stage_entered_at) WHERE deleted_at IS NULL AND status IN ('won', 'lost');
        DROP INDEX deals_status;
        DROP INDEX deal_stage_history_stage;
        """)

    /// Lists sorted by the fields people sort by are served by indexes (issue 20).
    /// `q` and `/search` read the kernel's `search_terms` (issue 20).
    static let searchTerms = Migration("0005_search_terms", KernelMigrations.searchTerms("deals"))
    /// Indexed custom fields' sort columns (issue 20).
    static let sortSlots = Migration("0006_sort_slots", KernelMigrations.sortSlots("deals"))

    static let sortIndexes = Migration("0004_sort_indexes", """
        \(KernelMigrations.sortIndexes("deals", columns: ["name", "amount", "close_date", "updated_at"]))
        """)
}
