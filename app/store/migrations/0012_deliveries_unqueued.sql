-- The sweeper's round (take_due) finds the rows never handed to the queue along this index,
-- beside the stale ones, instead of walking every pending row: a backlog already queued (a
-- fan-out to 100,000 waiting for its jobs) no longer slows each round down.
CREATE INDEX IF NOT EXISTS deliveries_unqueued ON deliveries (next_attempt_at, id)
    WHERE status = 'pending' AND enqueued_at IS NULL AND blocked_by IS NULL;
