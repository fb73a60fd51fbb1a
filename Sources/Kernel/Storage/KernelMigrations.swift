/// The kernel's own schema: tenancy, auth and per-tenant plugin settings.
///
/// Tenant tables (organizations, memberships, api_keys, tenant_plugins) carry `org_id` first in
/// their primary key, so they can be distributed by `org_id` on Citus; row-level security is
/// forced on them (the owner, which the server's role is, is not exempt). Users, refresh
/// tokens and OAuth state belong to people, not to one tenant: they are global tables
/// (reference tables on Citus) that queries reach only by unguessable keys or the user's id.
public enum KernelMigrations {
    static let all: [Migration] = [
        tenancy, records, membershipChanges, invitations, oauthReturnTo, insightCounters, distributionReady, imports,
        searchTerms,
    ]

    static let tenancy = Migration("0001_tenancy_auth", """
        CREATE FUNCTION crm_current_org() RETURNS uuid LANGUAGE sql STABLE
            AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;
        CREATE FUNCTION crm_current_user() RETURNS uuid LANGUAGE sql STABLE
            AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

        CREATE TABLE organizations (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            currency text NOT NULL DEFAULT 'USD',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE users (
            id uuid PRIMARY KEY,
            email text NOT NULL,
            name text NOT NULL,
            password_hash text,
            email_verified boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

        CREATE TABLE memberships (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (org_id, user_id)
        );
        CREATE INDEX memberships_user ON memberships (user_id);

        CREATE TABLE api_keys (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL,
            name text NOT NULL,
            role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
            key_hash bytea NOT NULL,
            display_prefix text NOT NULL,
            created_by uuid,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz,
            PRIMARY KEY (org_id, id),
            UNIQUE (org_id, key_hash)
        );

        CREATE TABLE tenant_plugins (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            plugin_id text NOT NULL,
            enabled boolean NOT NULL,
            config jsonb NOT NULL DEFAULT '{}',
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (org_id, plugin_id)
        );

        CREATE TABLE refresh_tokens (
            id uuid PRIMARY KEY,
            token_hash bytea NOT NULL UNIQUE,
            family_id uuid NOT NULL,
            user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            org_id uuid NOT NULL,
            expires_at timestamptz NOT NULL,
            rotated_at timestamptz,
            revoked_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

        CREATE TABLE oauth_identities (
            provider text NOT NULL,
            subject text NOT NULL,
            user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            email text,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (provider, subject)
        );

        CREATE TABLE oauth_states (
            state_hash bytea PRIMARY KEY,
            provider text NOT NULL,
            code_verifier text NOT NULL,
            expires_at timestamptz NOT NULL
        );

        ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
        ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON organizations
            USING (id = crm_current_org()
                   OR id IN (SELECT m.org_id FROM memberships m WHERE m.user_id = crm_current_user()))
            WITH CHECK (id = crm_current_org());

        ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
        ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON memberships
            USING (org_id = crm_current_org() OR user_id = crm_current_user())
            WITH CHECK (org_id = crm_current_org());

        \(tenantIsolation("api_keys"))

        \(tenantIsolation("tenant_plugins"))
        """)

    /// What the record store needs beside each entity's own table: field-level history, tags,
    /// idempotency keys, and trigram indexes for text search.
    static let records = Migration("0002_records", """
        CREATE EXTENSION IF NOT EXISTS pg_trgm;

        CREATE TABLE record_history (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL,
            entity text NOT NULL,
            record_id uuid NOT NULL,
            at timestamptz NOT NULL DEFAULT clock_timestamp(),
            actor jsonb NOT NULL,
            action text NOT NULL,
            changes jsonb NOT NULL,
            PRIMARY KEY (org_id, id)
        );
        CREATE INDEX record_history_record ON record_history (org_id, record_id, at DESC, id DESC);

        CREATE TABLE tags (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            name text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (org_id, id),
            UNIQUE (org_id, name)
        );

        CREATE TABLE idempotency_keys (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            actor text NOT NULL,
            key text NOT NULL,
            request_hash text NOT NULL,
            status int NOT NULL,
            body text NOT NULL,
            location text,
            etag text,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (org_id, actor, key)
        );
        CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

        \(tenantIsolation("record_history"))
        \(tenantIsolation("tags"))
        \(tenantIsolation("idempotency_keys"))
        """)

    /// Every change to a membership — a role changed, a member removed or added, an organization
    /// or user deleted (by cascade) — tells every server process, which drop the organization's
    /// cached roles (`MembershipRoles`): revocation is immediate on all of them.
    static let membershipChanges = Migration("0003_membership_changes", """
        CREATE FUNCTION crm_notify_membership_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('crm_tenant_changed', 'members:' || COALESCE(NEW.org_id, OLD.org_id)::text);
            RETURN NULL;
        END $$;
        CREATE TRIGGER memberships_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
            FOR EACH ROW EXECUTE FUNCTION crm_notify_membership_change();
        """)

    /// Invitations to join an organization (API.md, Invitations): the token is stored as its
    /// SHA-256 digest only; `email` is lower-case.
    static let invitations = Migration("0004_invitations", """
        CREATE TABLE invitations (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL,
            email text NOT NULL,
            role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
            token_hash bytea NOT NULL UNIQUE,
            invited_by uuid,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            accepted_at timestamptz,
            accepted_by uuid,
            revoked_at timestamptz,
            PRIMARY KEY (org_id, id)
        );
        CREATE INDEX invitations_pending ON invitations (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
        CREATE INDEX invitations_recent ON invitations (org_id, created_at DESC, id DESC);
        \(tenantIsolation("invitations"))
        """)

    /// Where an OAuth sign-in started with `returnTo` lands (a path on this server).
    static let oauthReturnTo = Migration("0005_oauth_return_to", """
        ALTER TABLE oauth_states ADD COLUMN return_to text;
        """)

    /// Counters that plugins keep in step with their records, in the writing transaction, so
    /// that the dashboard reads a few rows instead of aggregating every record (`InsightCounters`).
    /// A counter is `(name, day, key)`: `day` buckets dated figures by UTC date ('-infinity' for
    /// undated ones). Each record always counts in the same `slot` of eight (from its id), so
    /// concurrent writers seldom wait on one row.
    ///
    /// A plugin declares, per table, a function `(row, sign) → SETOF crm_count_delta` giving a
    /// row's contribution (nothing for a row that does not count, such as a deleted one), and
    /// attaches `crm_counted` with `counted(_:by:)`. The trigger runs once per statement over
    /// its transition tables: old rows count −1, new rows +1, the sums per counter are applied
    /// in one statement (a counter that nets to zero is not even locked). Taking back never
    /// inserts, so counters of an organization being deleted by cascade are left alone.
    static let insightCounters = Migration("0006_insight_counters", """
        CREATE TABLE insight_counters (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            name text NOT NULL,
            day date NOT NULL,
            key text NOT NULL,
            slot smallint NOT NULL,
            n bigint NOT NULL,
            amount numeric NOT NULL,
            PRIMARY KEY (org_id, name, day, key, slot)
        );
        \(tenantIsolation("insight_counters"))

        CREATE TYPE crm_count_delta AS (org_id uuid, name text, day date, key text, slot smallint, n bigint, amount numeric);

        CREATE FUNCTION crm_count_delta(p_org uuid, p_name text, p_day date, p_key text, p_record uuid, p_sign int, p_amount numeric)
        RETURNS crm_count_delta LANGUAGE sql IMMUTABLE
            AS $$ SELECT ROW(p_org, p_name, p_day, p_key, (get_byte(uuid_send(p_record), 15) % 8)::smallint, p_sign::bigint, p_sign * p_amount)::crm_count_delta $$;

        CREATE FUNCTION crm_counted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            counts text := quote_ident(TG_ARGV[0]);
            source text := CASE TG_OP
                WHEN 'INSERT' THEN format('SELECT %s(r, 1) AS c FROM new_rows r', counts)
                WHEN 'DELETE' THEN format('SELECT %s(r, -1) AS c FROM old_rows r', counts)
                ELSE format('SELECT %s(r, -1) AS c FROM old_rows r UNION ALL SELECT %s(r, 1) FROM new_rows r', counts, counts)
            END;
        BEGIN
            EXECUTE format($sql$
                WITH delta AS (
                    SELECT (c).org_id, (c).name, (c).day, (c).key, (c).slot, sum((c).n) AS n, sum((c).amount) AS amount
                    FROM (%s) contributions GROUP BY 1, 2, 3, 4, 5 HAVING sum((c).n) <> 0 OR sum((c).amount) <> 0
                ), updated AS (
                    UPDATE insight_counters t SET n = t.n + d.n, amount = t.amount + d.amount FROM delta d
                    WHERE t.org_id = d.org_id AND t.name = d.name AND t.day = d.day AND t.key = d.key AND t.slot = d.slot
                    RETURNING t.org_id, t.name, t.day, t.key, t.slot
                )
                INSERT INTO insight_counters AS t (org_id, name, day, key, slot, n, amount)
                SELECT d.* FROM delta d
                WHERE d.n > 0 AND NOT EXISTS (SELECT 1 FROM updated u WHERE u.org_id = d.org_id AND u.name = d.name
                                              AND u.day = d.day AND u.key = d.key AND u.slot = d.slot)
                ON CONFLICT (org_id, name, day, key, slot) DO UPDATE SET n = t.n + excluded.n, amount = t.amount + excluded.amount
                $sql$, source);
            RETURN NULL;
        END $$;
        """)

    /// `sql` run over every tenant's rows of `tables`: a migration runs as the tables' owner,
    /// which FORCE ROW LEVEL SECURITY otherwise holds to the (unset) current organization, so
    /// that it is lifted for the migration's own transaction and put back after. Every table
    /// the SQL reads or writes must be listed: one left out looks empty.
    public static func acrossTenants(_ tables: [String], _ sql: String) -> String {
        tables.map { "ALTER TABLE \($0) NO FORCE ROW LEVEL SECURITY;\n" }.joined()
            + sql + "\n"
            + tables.map { "ALTER TABLE \($0) FORCE ROW LEVEL SECURITY;\n" }.joined()
    }

    /// Frozen once released, like `entityTable`: attaches the insight counters' statement
    /// triggers to `table`, counting each row with `function(row, sign)`, and — with `backfill`
    /// — counts the rows already there, across tenants; `reading` names the other tables
    /// `function` looks into (a deal's stage entries).
    public static func counted(_ table: String, by function: String, backfill: Bool = true, reading: [String] = []) -> String {
        let triggers = """
            CREATE TRIGGER \(table)_counted_insert AFTER INSERT ON \(table) REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION crm_counted('\(function)');
            CREATE TRIGGER \(table)_counted_update AFTER UPDATE ON \(table) REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION crm_counted('\(function)');
            CREATE TRIGGER \(table)_counted_delete AFTER DELETE ON \(table) REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION crm_counted('\(function)');
            """
        guard backfill else { return triggers }
        return acrossTenants([table, "insight_counters"] + reading, """
            INSERT INTO insight_counters AS t (org_id, name, day, key, slot, n, amount)
            SELECT (c).org_id, (c).name, (c).day, (c).key, (c).slot, sum((c).n), sum((c).amount)
            FROM (SELECT \(function)(r, 1) AS c FROM \(table) r) contributions GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT (org_id, name, day, key, slot) DO UPDATE SET n = t.n + excluded.n, amount = t.amount + excluded.amount;
            """) + triggers
    }

    /// Citus needs every unique constraint of a distributed table to include `org_id`
    /// (docs/scaling.md); an invitation is always looked up with its organization (the token
    /// names it), so the token's uniqueness is per organization.
    static let distributionReady = Migration("0007_distribution_ready", """
        ALTER TABLE invitations DROP CONSTRAINT invitations_token_hash_key;
        ALTER TABLE invitations ADD CONSTRAINT invitations_token UNIQUE (org_id, token_hash);
        """)

    /// CSV imports (`Imports`): the import and its progress, and the uploaded file in chunks.
    /// Workers claim imports of every tenant (app.worker), then store rows as the tenant.
    static let imports = Migration("0008_imports", """
        CREATE TABLE imports (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL,
            entity text NOT NULL,
            status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
            actor jsonb NOT NULL,
            targets jsonb NOT NULL,
            size_bytes bigint NOT NULL,
            total_rows integer NOT NULL,
            processed_rows integer NOT NULL DEFAULT 0,
            created_count integer NOT NULL DEFAULT 0,
            rejected_count integer NOT NULL DEFAULT 0,
            rejected jsonb NOT NULL DEFAULT '[]',
            next_offset bigint NOT NULL,
            next_line integer NOT NULL,
            error text,
            claim_token uuid,
            claimed_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            started_at timestamptz,
            finished_at timestamptz,
            PRIMARY KEY (org_id, id)
        );
        CREATE INDEX imports_recent ON imports (org_id, created_at DESC, id DESC);
        CREATE INDEX imports_waiting ON imports (claimed_at NULLS FIRST, created_at) WHERE status IN ('queued', 'running');
        CREATE TABLE import_chunks (
            org_id uuid NOT NULL,
            import_id uuid NOT NULL,
            seq integer NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (org_id, import_id, seq),
            FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id) ON DELETE CASCADE
        );
        ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
        ALTER TABLE imports FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON imports
            USING (org_id = crm_current_org() OR current_setting('app.worker', true) = 'on')
            WITH CHECK (org_id = crm_current_org() OR current_setting('app.worker', true) = 'on');
        \(tenantIsolation("import_chunks"))
        """)

    /// Text search's own index (`SearchTerms`): one row per word of a live record's
    /// `search_text`, looked up by word prefix with plain text comparisons.
    ///
    /// Why not the trigram GIN index on `search_text`: under FORCE ROW LEVEL SECURITY PostgreSQL
    /// only lets a condition use an index before the tenant policy when its operator is
    /// LEAKPROOF, and `LIKE`, similarity, `@>` and `@@` are not (only a superuser could declare
    /// wrappers that are). Text `=`, `<`, `>=` are, so a B-tree over `(org_id, entity, term)`
    /// serves a prefix as a range under RLS. `term` is `COLLATE "C"` so that the range
    /// `[w, w || U+10FFFF)` is exactly "starts with w".
    ///
    /// A record contributes its whitespace-separated tokens (an email, `acme.com`), their
    /// letter/digit runs (`bob`, `smith`, `example`) and what follows an `@` (the email's
    /// domain), each cut to 64 characters, at most 1,000 of them from the first 10,000
    /// characters: bounded whatever a body holds. `word` marks the letter/digit-only terms, the
    /// only ones a misspelling is looked for among (`SearchRoutes`), so that emails and domains,
    /// one per record, do not crowd out the names. Triggers keep it in step with the tables
    /// (`KernelMigrations.searchTerms(_:)`): one statement per batch insert, and an update only
    /// when the text or the deleted state changed. `fuzzystrmatch` ranks typo candidates.
    static let searchTerms = Migration("0009_search_terms", """
        CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

        CREATE TABLE search_terms (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            entity text NOT NULL,
            word boolean NOT NULL,
            term text COLLATE "C" NOT NULL,
            record_id uuid NOT NULL,
            PRIMARY KEY (org_id, entity, word, term, record_id)
        );
        CREATE INDEX search_terms_record ON search_terms (org_id, entity, record_id, word, term);
        \(tenantIsolation("search_terms"))

        CREATE FUNCTION crm_search_terms(search_text text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT term), '{}') FROM (
                SELECT left(part, 64) AS term FROM (
                    SELECT token AS part FROM regexp_split_to_table(left(search_text, 10000), '\\s+') token
                    UNION ALL SELECT m[1] FROM regexp_matches(left(search_text, 10000), '[[:alnum:]]+', 'g') m
                    UNION ALL SELECT m[1] FROM regexp_matches(left(search_text, 10000), '@([^\\s@]+)', 'g') m
                ) parts WHERE part <> '' LIMIT 1000
            ) bounded
        $$;

        -- The least text above every text that starts with `prefix` (COLLATE "C": code point order):
        -- its last character plus one, so [p, crm_prefix_end(p)) is "starts with p" as one index range.
        -- (The planner's estimates of such ranges are poor either way: SearchTerms.drivers counts.)
        CREATE FUNCTION crm_prefix_end(prefix text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN prefix = '' OR ascii(right(prefix, 1)) BETWEEN 55295 AND 57343 OR ascii(right(prefix, 1)) >= 1114111
                        THEN prefix || U&'\\+10FFFF'
                        ELSE left(prefix, -1) || chr(ascii(right(prefix, 1)) + 1) END COLLATE "C"
        $$;

        CREATE FUNCTION crm_insert_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_terms (org_id, entity, word, term, record_id)
            SELECT n.org_id, TG_TABLE_NAME, term ~ '^[[:alnum:]]+$', term, n.id FROM new_rows n, unnest(crm_search_terms(n.search_text)) term
            WHERE n.deleted_at IS NULL;
            RETURN NULL;
        END $$;

        CREATE FUNCTION crm_update_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM search_terms WHERE org_id = OLD.org_id AND entity = TG_TABLE_NAME AND record_id = OLD.id;
            IF NEW.deleted_at IS NULL THEN
                INSERT INTO search_terms (org_id, entity, word, term, record_id)
                SELECT NEW.org_id, TG_TABLE_NAME, term ~ '^[[:alnum:]]+$', term, NEW.id FROM unnest(crm_search_terms(NEW.search_text)) term;
            END IF;
            RETURN NULL;
        END $$;

        CREATE FUNCTION crm_delete_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM search_terms s USING old_rows o
            WHERE s.org_id = o.org_id AND s.entity = TG_TABLE_NAME AND s.record_id = o.id;
            RETURN NULL;
        END $$;
        """)

    /// Frozen like `entityTable`: keeps `search_terms` in step with the entity table `table`,
    /// indexes its live rows of every tenant, and drops the trigram index that RLS kept from
    /// ever being used (it only slowed writes).
    public static func searchTerms(_ table: String) -> String {
        acrossTenants([table, "search_terms"], """
            INSERT INTO search_terms (org_id, entity, word, term, record_id)
            SELECT t.org_id, '\(table)', term ~ '^[[:alnum:]]+$', term, t.id FROM \(table) t, unnest(crm_search_terms(t.search_text)) term
            WHERE t.deleted_at IS NULL;
            """) + """
            CREATE TRIGGER \(table)_search_insert AFTER INSERT ON \(table) REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION crm_insert_search_terms();
            CREATE TRIGGER \(table)_search_update AFTER UPDATE ON \(table) FOR EACH ROW
                WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
                EXECUTE FUNCTION crm_update_search_terms();
            CREATE TRIGGER \(table)_search_delete AFTER DELETE ON \(table) REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION crm_delete_search_terms();
            DROP INDEX IF EXISTS \(table)_search;
            """
    }

    /// Frozen once released: migrations that called it are checksummed, so a change here
    /// would stop every existing installation. Add a new function for a new table shape.
    ///
    /// The DDL every entity table shares, for plugins' migrations: `<table>` with the system
    /// columns, tenant isolation, and indexes for the default sort, tags and text search.
    /// `columns` are the entity's own column definitions; `searchSQL` the expression (over
    /// those columns) that `q` searches.
    public static func entityTable(_ table: String, columns: [String], searchSQL: String) -> String {
        """
        CREATE TABLE \(table) (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL,
            \(columns.joined(separator: ",\n    ")),
            custom jsonb NOT NULL DEFAULT '{}',
            tags text[] NOT NULL DEFAULT '{}',
            version int NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            deleted_at timestamptz,
            search_text text GENERATED ALWAYS AS (lower(\(searchSQL))) STORED,
            PRIMARY KEY (org_id, id)
        );
        CREATE INDEX \(table)_created ON \(table) (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
        CREATE INDEX \(table)_tags ON \(table) USING gin (tags);
        CREATE INDEX \(table)_custom ON \(table) USING gin (custom jsonb_path_ops);
        CREATE INDEX \(table)_search ON \(table) USING gin (search_text gin_trgm_ops);
        \(tenantIsolation(table))
        """
    }

    /// Frozen like `entityTable` (migrations that call it are checksummed).
    ///
    /// Indexes that serve a list sorted by each of `columns` (either way; `id` breaks ties, as in
    /// `RecordQuery`): the first page is read from the index instead of sorting every live record
    /// of the organization.
    public static func sortIndexes(_ table: String, columns: [String]) -> String {
        columns.map { "CREATE INDEX \(table)_sort_\($0) ON \(table) (org_id, \($0), id) WHERE deleted_at IS NULL;" }
            .joined(separator: "\n")
    }

    /// Frozen like `entityTable`. The sort columns of indexed custom fields (`SortSlot`), one
    /// per family of values, each with an index that serves a list's first page and its range
    /// filters under RLS. Empty columns cost nothing until a tenant indexes a field.
    public static func sortSlots(_ table: String) -> String {
        """
        ALTER TABLE \(table) ADD COLUMN sort_number double precision, ADD COLUMN sort_text text, ADD COLUMN sort_time timestamptz;
        CREATE INDEX \(table)_slot_number ON \(table) (org_id, sort_number, id) WHERE deleted_at IS NULL;
        CREATE INDEX \(table)_slot_text ON \(table) (org_id, sort_text, id) WHERE deleted_at IS NULL;
        CREATE INDEX \(table)_slot_time ON \(table) (org_id, sort_time, id) WHERE deleted_at IS NULL;
        """
    }

    /// Row-level security for a tenant table: only rows of the session's organization are
    /// visible or writable, for the table's owner too (FORCE). Frozen like `entityTable`.
    public static func tenantIsolation(_ table: String) -> String {
        """
        ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY;
        ALTER TABLE \(table) FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON \(table)
            USING (org_id = crm_current_org()) WITH CHECK (org_id = crm_current_org());
        """
    }
}
