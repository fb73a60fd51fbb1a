-- GET /api/v1/contacts?limit=25: the newest 25 (index contacts_created).
SELECT id, first_name, last_name, email, phone, title, company_id, owner_id, custom, tags, version, created_at, updated_at
FROM contacts WHERE org_id = :org AND deleted_at IS NULL
ORDER BY created_at DESC, id DESC LIMIT 25;
