-- A fan-out reads each page's subscribers a chunk at a time from where the last chunk stopped
-- (app/store/deliveries.py, next_chunk) along this index, which the planner prefers to
-- subscribers_once_per_page even before a freshly imported list is analysed: a chunk then
-- costs the same at the end of a long list as at its start.
CREATE INDEX IF NOT EXISTS subscribers_live_by_page ON subscribers (status_page_id, id)
    WHERE removed_at IS NULL;
