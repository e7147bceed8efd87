-- Forgetting an expired sign-up deletes its deliveries, and the foreign key checks that none
-- is left: both look deliveries up by subscriber.
CREATE INDEX IF NOT EXISTS deliveries_by_subscriber ON deliveries (subscriber_id);
