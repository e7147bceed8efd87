-- What each subscriber hears: incidents, maintenances, component status changes. Existing
-- subscribers keep hearing what they heard: incidents (and maintenances once there are any),
-- no component changes, which they never asked for.
ALTER TABLE subscribers
    ADD COLUMN IF NOT EXISTS notify_incidents boolean NOT NULL DEFAULT true,
    ADD COLUMN IF NOT EXISTS notify_maintenances boolean NOT NULL DEFAULT true,
    ADD COLUMN IF NOT EXISTS notify_component_changes boolean NOT NULL DEFAULT false;

-- A change of a component's public status, as the dispatcher found it in the log: what a
-- component_update message tells.
CREATE TABLE IF NOT EXISTS component_changes (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    component_id     uuid NOT NULL,
    old_status       text NOT NULL,
    new_status       text NOT NULL,
    changed_at       timestamptz NOT NULL,
    event_position   bigint NOT NULL,
    UNIQUE (component_id, changed_at)
);

ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS component_change_id uuid
    REFERENCES component_changes (id);
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('update', 'confirmation', 'maintenance', 'component_update'));
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_component_change_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_component_change_check
    CHECK ((kind = 'component_update') = (component_change_id IS NOT NULL));
