-- A public timeline is read from the incident's update rows, in the order of their events,
-- instead of a JSON document on the incident's row that every command rewrote whole.
ALTER TABLE incident_updates ADD COLUMN IF NOT EXISTS version integer;
UPDATE incident_updates u SET version = e.version FROM events e
    WHERE e.stream_id = u.incident_id AND e.type = 'UpdatePosted'
    AND e.data->>'update_id' = u.id::text;
ALTER TABLE incident_updates ALTER COLUMN version SET NOT NULL;
ALTER TABLE incidents DROP COLUMN IF EXISTS public_timeline;

-- Snapshots of the earlier shape kept every update id; the next command on each incident folds
-- its stream instead (or `herald projections rebuild` writes them all).
UPDATE incidents SET snapshot = NULL;
