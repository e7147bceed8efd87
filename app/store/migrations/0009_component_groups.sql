-- Components a page shows together under one name: [{"id", "name", "component_ids"}] in the
-- page's order. Kept on the page's row, so that a change to them tells the page caches as any
-- other change to the page does.
ALTER TABLE status_pages ADD COLUMN IF NOT EXISTS component_groups jsonb NOT NULL DEFAULT '[]';
