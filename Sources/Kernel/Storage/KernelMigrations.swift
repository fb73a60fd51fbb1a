/// The kernel's own schema: tenancy, auth and per-tenant plugin settings.
///
/// Tenant tables (organizations, memberships, api_keys, tenant_plugins) carry `org_id` first in
/// their primary key, so they can be distributed by `org_id` on Citus; row-level security is
/// forced on them (the owner, which the server's role is, is not exempt). Users, refresh
/// tokens and OAuth state belong to people, not to one tenant: they are global tables
/// (reference tables on Citus) that queries reach only by unguessable keys or the user's id.
public enum KernelMigrations {
    static let all: [Migration] = [tenancy, records, membershipChanges, invitations, oauthReturnTo]

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
