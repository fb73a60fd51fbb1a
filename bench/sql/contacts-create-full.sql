-- The statement POST /api/v1/contacts actually runs (no tags, no hooks, no Idempotency-Key: one
-- autocommitted statement): the row, its history entry, the record's columns back. Reported under
-- the table, for reference. The history's actor and changes come bound, as from the server (sql_run's -D).
\set n random(1, 2000000000)
WITH row AS (
    INSERT INTO contacts (org_id, id, first_name, last_name, email, phone, title, company_id, owner_id, custom, tags)
    VALUES (:org::uuid, gen_random_uuid(), 'Grace'::text, 'Hopper'::text, ('grace.' || :client_id::text || '.' || :n::text || '@example.com')::text,
            NULL::text, NULL::text, NULL::uuid, NULL::uuid, '{}'::jsonb, '{}'::text[])
    RETURNING *
), hist AS (
    INSERT INTO record_history (org_id, id, entity, record_id, actor, action, changes)
    SELECT org_id, gen_random_uuid(), 'contacts'::text, id, :actor::jsonb,
           'create'::text, :changes::jsonb
    FROM row
)
SELECT t.id, t.first_name, t.last_name, t.email, t.phone, t.title, t.company_id, t.owner_id, t.custom, t.tags, t.version, t.created_at, t.updated_at
FROM row t;
