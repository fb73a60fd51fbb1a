-- Fills one organization (:org) with :contacts contacts and, in proportion, contacts/10
-- companies, contacts/5 deals (with their stage entries) and contacts/2 activities, in the
-- shapes the API writes (search text, insight counters and search terms come from the tables'
-- own triggers). Run as the database owner's superuser (RLS does not bind it), e.g.
--   psql -v org=<uuid> -v contacts=1000000 -v custom=1 -f bench/sql/seed-tenant.sql
-- With :custom = 1 every contact gets custom.tier (select gold/silver/bronze) and custom.score
-- (integer 0-999, copied into sort_number as the store does for an indexed field): define those
-- fields through the API first, score with "indexed": true.
-- Names: 60 first names × 300 last names ("Harford" is one in 300), unique emails on 2,000
-- mail domains, so search reads realistic posting lists.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE seed_names ON COMMIT DROP AS
SELECT ARRAY['James','Mary','John','Patricia','Robert','Jennifer','Michael','Linda','William','Elizabeth',
             'David','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah','Charles','Karen',
             'Daniel','Nancy','Matthew','Lisa','Anthony','Betty','Mark','Margaret','Donald','Sandra',
             'Steven','Ashley','Paul','Kimberly','Andrew','Emily','Joshua','Donna','Kenneth','Michelle',
             'Kevin','Dorothy','Brian','Carol','George','Amanda','Edward','Melissa','Ronald','Deborah',
             'Ada','Grace','Alan','Joan','Linus','Ken','Barbara','Edsger','Donald','Margaret'] AS first,
       (SELECT array_agg(p || s ORDER BY p, s) FROM
            unnest(ARRAY['Har','Ash','Bel','Cal','Dun','El','Fair','Gil','Hol','Kings','Lang','Mar','Nor','Oak',
                         'Pem','Rad','Sel','Thorn','Wal','Wood']) p,
            unnest(ARRAY['ford','ton','ley','wood','field','by','ham','well','more','wick','ridge','stone',
                         'worth','dale','land']) s) AS last;

INSERT INTO companies (org_id, id, name, domain, industry, employees, created_at, updated_at)
SELECT :'org', md5(:'org' || 'company' || g)::uuid,
       n.last[g % 300 + 1] || ' ' || (ARRAY['Industries','Labs','Partners','Systems','Group'])[g % 5 + 1],
       lower(n.last[g % 300 + 1]) || g || '.example', (ARRAY['software','retail','energy','health'])[g % 4 + 1],
       (g % 5000) + 1, now() - g * interval '7 seconds', now() - g * interval '7 seconds'
FROM seed_names n, generate_series(1, greatest(:contacts / 10, 1)) g;

INSERT INTO contacts (org_id, id, first_name, last_name, email, phone, title, company_id, custom, sort_number, tags, created_at, updated_at)
SELECT :'org', gen_random_uuid(), n.first[g % 60 + 1], n.last[(g / 7) % 300 + 1],
       lower(n.first[g % 60 + 1] || '.' || n.last[(g / 7) % 300 + 1]) || g || '@mail' || (g % 2000) || '.example',
       '+1 555 ' || lpad((g % 10000)::text, 4, '0'), (ARRAY['CEO','CTO','Engineer','Buyer','Analyst'])[g % 5 + 1],
       md5(:'org' || 'company' || (g % greatest(:contacts / 10, 1) + 1))::uuid,
       CASE WHEN :custom = 1 THEN jsonb_build_object('tier', (ARRAY['gold','silver','bronze'])[g % 3 + 1], 'score', (g::bigint * 7919) % 1000)
            ELSE '{}' END,
       CASE WHEN :custom = 1 THEN ((g::bigint * 7919) % 1000)::float8 END,
       CASE WHEN g % 10 = 0 THEN ARRAY['vip'] ELSE '{}' END,
       now() - g * interval '1 second', now() - g * interval '1 second'
FROM seed_names n, generate_series(1, :contacts) g;

WITH s AS (SELECT array_agg(id ORDER BY position) AS ids, array_agg(kind ORDER BY position) AS kinds, min(pipeline_id::text)::uuid AS pipeline
           FROM stages WHERE org_id = :'org')
INSERT INTO deals (org_id, id, name, amount, currency, pipeline_id, stage_id, status, company_id, close_date, created_at, stage_entered_at)
SELECT :'org', gen_random_uuid(), n.last[g % 300 + 1] || ' ' || (ARRAY['renewal','expansion','pilot','rollout'])[g % 4 + 1],
       (g % 997) * 10.25, (ARRAY['USD','EUR','GBP'])[g % 3 + 1], s.pipeline, s.ids[g % 6 + 1], s.kinds[g % 6 + 1],
       md5(:'org' || 'company' || (g % greatest(:contacts / 10, 1) + 1))::uuid, current_date + (g % 120),
       now() - g * interval '5 seconds', now() - (g % 200) * interval '1 day'
FROM seed_names n, s, generate_series(1, greatest(:contacts / 5, 1)) g;
INSERT INTO deal_stage_history (org_id, deal_id, stage_id, entered_at)
SELECT org_id, id, stage_id, stage_entered_at FROM deals WHERE org_id = :'org';

INSERT INTO activities (org_id, id, type, subject, body, due_at, completed_at, created_at, updated_at)
SELECT :'org', gen_random_uuid(), (ARRAY['task','call','meeting','note','email'])[g % 5 + 1],
       (ARRAY['Call','Follow up with','Send proposal to','Meet'])[g % 4 + 1] || ' ' || n.first[g % 60 + 1] || ' ' || n.last[g % 300 + 1],
       'Notes about the ' || n.last[(g / 3) % 300 + 1] || ' account.',
       now() + (g % 40 - 30) * interval '1 day', CASE WHEN g % 4 = 0 THEN now() - (g % 10) * interval '1 day' END,
       now() - g * interval '3 seconds', now() - g * interval '3 seconds'
FROM seed_names n, generate_series(1, greatest(:contacts / 2, 1)) g;
COMMIT;
