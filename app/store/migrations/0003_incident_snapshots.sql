-- The folded state a command starts from, kept on the incident's row. Rows written before stay
-- NULL until their next command, which folds the stream instead (or `herald projections
-- rebuild`, which writes every snapshot).
ALTER TABLE incidents ADD COLUMN IF NOT EXISTS snapshot jsonb;
