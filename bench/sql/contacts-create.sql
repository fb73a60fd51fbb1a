-- POST /api/v1/contacts: one INSERT with a distinct email per transaction.
\set n random(1, 2000000000)
INSERT INTO contacts (org_id, id, first_name, last_name, email)
VALUES (:org, gen_random_uuid(), 'Grace', 'Hopper', 'grace.' || :client_id::text || '.' || :n::text || '@example.com')
RETURNING *;
