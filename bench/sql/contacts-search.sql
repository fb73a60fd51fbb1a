-- GET /api/v1/search?q=lovelace1&types=contacts&limit=20 as an unranked LIKE on search_text (a scan of the
-- tenant's rows under RLS, which lets no index serve LIKE; the server reads search_terms, RecordSearch).
SELECT id FROM contacts WHERE org_id = :org AND deleted_at IS NULL AND search_text LIKE '%lovelace1%' LIMIT 20;
