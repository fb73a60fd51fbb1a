-- What GET /api/v1/search?q=lovelace1&types=contacts&limit=20 ran before issue 20: every match ranked by
-- trigram similarity, best 20 as JSON. Reported under the table, for reference.
SELECT json_build_object('type', type, 'id', id, 'title', title, 'snippet', snippet, 'rank', round(rank::numeric, 4))::text
FROM (
    SELECT 'contacts' AS type, t.id, coalesce(nullif(trim(coalesce(t.first_name, '') || ' ' || coalesce(t.last_name, '')), ''), t.email, '') AS title, left(t.search_text, 160) AS snippet,
           similarity(t.search_text, 'lovelace1') AS rank
    FROM contacts t WHERE t.org_id = :org AND t.deleted_at IS NULL AND t.search_text LIKE '%lovelace1%'
) found ORDER BY rank DESC, id LIMIT 20;
