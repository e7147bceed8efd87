-- Scheduled maintenances: their projection, the page notification naming their organization,
-- and their notices to subscribers.
-- A scheduled maintenance: the folded state of its stream in `snapshot`
-- (app/store/maintenances.py), beside the columns its lists and the clock select by.
CREATE TABLE IF NOT EXISTS maintenances (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    title            text NOT NULL,
    status           text NOT NULL,
    component_ids    uuid[] NOT NULL,
    scheduled_for    timestamptz NOT NULL,
    scheduled_until  timestamptz NOT NULL,
    auto_start       boolean NOT NULL,
    auto_complete    boolean NOT NULL,
    version          integer NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    completed_at     timestamptz,
    cancelled_at     timestamptz,
    -- When subscribers are owed a reminder of the window; NULL once reminded, or if none.
    remind_at        timestamptz,
    snapshot         jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS maintenances_by_organization ON maintenances (organization_id, id DESC);
-- What the clock looks for: maintenances due a reminder, to start, and to complete.
CREATE INDEX IF NOT EXISTS maintenances_to_remind ON maintenances (remind_at)
    WHERE remind_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS maintenances_to_start ON maintenances (scheduled_for)
    WHERE status = 'scheduled' AND auto_start;
CREATE INDEX IF NOT EXISTS maintenances_to_complete ON maintenances (scheduled_until)
    WHERE status IN ('in_progress', 'verifying') AND auto_complete;

CREATE OR REPLACE FUNCTION notify_pages_appended() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    organization uuid;
    last_position bigint;
    redacted boolean;
BEGIN
    -- A stream's first events come before its projection row, and carry the organization.
    FOR organization, last_position, redacted IN
        SELECT coalesce(i.organization_id, m.organization_id,
                        (a.data ->> 'organization_id')::uuid),
               max(a.position),
               bool_or(a.type IN ('UpdateRedacted', 'MaintenanceUpdateRedacted'))
        FROM appended a
        LEFT JOIN incidents i ON i.id = a.stream_id
        LEFT JOIN maintenances m ON m.id = a.stream_id
        GROUP BY 1
    LOOP
        PERFORM pg_notify('herald_pages', concat(
            organization, CASE WHEN redacted THEN ':redacted:' ELSE ':events:' END, last_position));
    END LOOP;
    RETURN NULL;
END
$$;

ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS maintenance_id uuid;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('update', 'confirmation', 'maintenance'));
-- Who was told of a maintenance: a cancellation tells them (and only them).
CREATE INDEX IF NOT EXISTS deliveries_by_maintenance ON deliveries (maintenance_id)
    WHERE maintenance_id IS NOT NULL;
