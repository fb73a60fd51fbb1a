-- GET /api/v1/search?q=lovelace1&types=contacts&limit=20: trigram-indexed LIKE on search_text.
SELECT id FROM contacts WHERE org_id = :org AND deleted_at IS NULL AND search_text LIKE '%lovelace1%' LIMIT 20;
