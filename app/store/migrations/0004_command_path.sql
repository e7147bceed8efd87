-- The folded state a command starts from, kept on the incident's row. Rows written before stay
-- NULL until their next command, which folds the stream instead (or `herald projections
-- rebuild`, which writes every snapshot).
ALTER TABLE incidents ADD COLUMN IF NOT EXISTS snapshot jsonb;

-- Each API process caches principals; a revoked or deleted key is dropped from every cache.
CREATE OR REPLACE FUNCTION notify_api_key_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_api_key_revoked', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER api_keys_notify_revoked
    AFTER UPDATE OF revoked_at OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION notify_api_key_revoked();
