-- Public pages learn of changes by NOTIFY (see schema.sql).
CREATE SEQUENCE IF NOT EXISTS catalog_changes;

CREATE OR REPLACE FUNCTION notify_pages_appended() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    organization uuid;
    last_position bigint;
    redacted boolean;
BEGIN
    -- An incident's first events come before its projection row, and carry the organization.
    FOR organization, last_position, redacted IN
        SELECT coalesce(i.organization_id, (a.data ->> 'organization_id')::uuid), max(a.position),
               bool_or(a.type = 'UpdateRedacted')
        FROM appended a LEFT JOIN incidents i ON i.id = a.stream_id
        GROUP BY 1
    LOOP
        PERFORM pg_notify('herald_pages', concat(
            organization, CASE WHEN redacted THEN ':redacted:' ELSE ':events:' END, last_position));
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER events_notify_pages
    AFTER INSERT ON events REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_appended();

CREATE OR REPLACE FUNCTION notify_pages_catalog() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed record := coalesce(NEW, OLD);
BEGIN
    PERFORM pg_notify(
        'herald_pages', concat(changed.organization_id, ':catalog:', nextval('catalog_changes')));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER status_pages_notify_pages
    AFTER INSERT OR UPDATE OR DELETE ON status_pages
    FOR EACH ROW EXECUTE FUNCTION notify_pages_catalog();

CREATE OR REPLACE TRIGGER components_notify_pages
    AFTER INSERT OR UPDATE OR DELETE ON components
    FOR EACH ROW EXECUTE FUNCTION notify_pages_catalog();
