import Kernel

enum ScriptingMigrations {
    /// What the queue quota counts and the worker's turn-taking reads: a tenant's queued jobs.
    static let queuedJobs = Migration("0002_workflow_jobs_queued", """
        CREATE INDEX workflow_jobs_queued ON workflow_jobs (org_id, next_attempt_at) WHERE status IN ('pending', 'running');
        """)

    static let tables = Migration("0001_scripts_workflows", """
        CREATE TABLE scripts (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            name text NOT NULL,
            source text NOT NULL,
            enabled boolean NOT NULL DEFAULT true,
            version int NOT NULL DEFAULT 1,
            triggers text[] NOT NULL DEFAULT '{}',
            description text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (org_id, name)
        );
        CREATE TABLE script_versions (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            name text NOT NULL,
            version int NOT NULL,
            source text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (org_id, name, version)
        );
        CREATE TABLE script_runs (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            script text NOT NULL,
            event text NOT NULL,
            record_id uuid,
            outcome text NOT NULL,
            error text,
            duration_ms double precision NOT NULL,
            logs jsonb NOT NULL DEFAULT '[]',
            at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (org_id, id)
        );
        CREATE INDEX script_runs_recent ON script_runs (org_id, script, at DESC);
        CREATE TABLE workflow_jobs (
            org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            script text NOT NULL,
            event text NOT NULL,
            record_id uuid,
            payload jsonb NOT NULL,
            depth int NOT NULL,
            status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
            attempts int NOT NULL DEFAULT 0,
            last_error text,
            next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (org_id, id)
        );
        CREATE INDEX workflow_jobs_due ON workflow_jobs (next_attempt_at) WHERE status IN ('pending', 'running');
        CREATE INDEX workflow_jobs_tenant ON workflow_jobs (org_id, created_at DESC, id DESC);
        \(KernelMigrations.tenantIsolation("scripts"))
        \(KernelMigrations.tenantIsolation("script_versions"))
        \(KernelMigrations.tenantIsolation("script_runs"))
        -- Batches of run records from the buffer of each server process; each row is checked
        -- against its tenant by the policy (the function runs as the caller, under RLS).
        ALTER TABLE workflow_jobs ENABLE ROW LEVEL SECURITY;
        ALTER TABLE workflow_jobs FORCE ROW LEVEL SECURITY;
        -- The worker claims due jobs of every tenant (app.worker), then runs each as its tenant.
        CREATE POLICY tenant_isolation ON workflow_jobs
            USING (org_id = crm_current_org() OR current_setting('app.worker', true) = 'on')
            WITH CHECK (org_id = crm_current_org() OR current_setting('app.worker', true) = 'on');
        DROP POLICY tenant_isolation ON script_runs;
        CREATE POLICY tenant_isolation ON script_runs
            USING (org_id = crm_current_org() OR current_setting('app.worker', true) = 'on')
            WITH CHECK (org_id = crm_current_org() OR current_setting('app.worker', true) = 'on');
        CREATE FUNCTION crm_record_script_runs(runs jsonb) RETURNS void LANGUAGE sql AS $$
            INSERT INTO script_runs (org_id, script, event, record_id, outcome, error, duration_ms, logs)
            SELECT (r->>'org_id')::uuid, r->>'script', r->>'event', (r->>'record_id')::uuid, r->>'outcome', r->>'error',
                   (r->>'duration_ms')::double precision, r->'logs'
            FROM jsonb_array_elements(runs) r;
            DELETE FROM script_runs s USING (
                SELECT org_id, id FROM (
                    SELECT org_id, id, row_number() OVER (PARTITION BY org_id, script ORDER BY at DESC) AS n
                    FROM script_runs WHERE (org_id, script) IN (
                        SELECT DISTINCT (r->>'org_id')::uuid, r->>'script' FROM jsonb_array_elements(runs) r)) ranked
                WHERE n > 110) old
            WHERE s.org_id = old.org_id AND s.id = old.id;
        $$;
        """)
}
