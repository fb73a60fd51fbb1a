-- GET /api/v1/contacts/{id}: one row by primary key (pgbench -D org=… -D id=…).
SELECT id, first_name, last_name, email, phone, title, company_id, owner_id, custom, tags, version, created_at, updated_at
FROM contacts WHERE org_id = :org AND id = :id AND deleted_at IS NULL;
