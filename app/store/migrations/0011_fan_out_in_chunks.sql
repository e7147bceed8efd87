-- The dispatcher commits an event's rows a chunk of subscribers at a time; this records where a
-- half-written event stopped, so that the next round goes on from there.
ALTER TABLE dispatcher_checkpoints ADD COLUMN IF NOT EXISTS fanned_out_to uuid;
-- Each chunk of a component change's rows finds the changes its event recorded.
CREATE INDEX IF NOT EXISTS component_changes_by_event ON component_changes (event_position);
