-- A command ends the open intervals of the components its update changes (app/store/commit.py)
-- along this index: an incident whose components changed a thousand times costs what a fresh
-- one does, where the index by incident read every interval it ever had.
CREATE INDEX IF NOT EXISTS component_intervals_open
    ON component_intervals (incident_id, component_id)
    WHERE ended_at IS NULL;
