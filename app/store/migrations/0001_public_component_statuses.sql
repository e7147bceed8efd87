-- Component statuses as the public sees them, apart from the team's own.
-- An open incident starts from what its public timeline said of each component it still
-- affects; a resolved one leaves every component operational. `herald projections rebuild`
-- derives the same from the log, and also drops uptime spans that internal updates opened.
ALTER TABLE incidents
    ADD COLUMN IF NOT EXISTS public_component_statuses jsonb NOT NULL DEFAULT '[]';

UPDATE incidents i SET public_component_statuses = coalesce((
    SELECT jsonb_agg(
               jsonb_build_object(
                   'component_id', c.id,
                   'status', CASE WHEN i.status = 'resolved' THEN 'operational' ELSE said.status END)
               ORDER BY c.n)
    FROM unnest(i.component_ids) WITH ORDINALITY AS c(id, n)
    LEFT JOIN LATERAL (
        SELECT cs ->> 'status' AS status
        FROM jsonb_array_elements(i.public_timeline) WITH ORDINALITY AS e(entry, k)
        CROSS JOIN LATERAL jsonb_array_elements(e.entry -> 'component_statuses') AS cs
        WHERE (cs ->> 'component_id')::uuid = c.id
        ORDER BY e.k DESC
        LIMIT 1
    ) said ON true
    WHERE i.status = 'resolved' OR said.status IS NOT NULL
), '[]');
