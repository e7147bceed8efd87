-- Herald's current schema, the one readable source of truth. `herald migrate` applies it to an
-- empty database; once released, changes also come as numbered files in app/store/migrations/.
-- Every statement is idempotent so that applying it twice changes nothing.

-- Catalog ---------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS organizations (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS members (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    name             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);

-- Keys are random and long, so a plain SHA-256 of the key is enough to store them safely.
CREATE TABLE IF NOT EXISTS api_keys (
    id          uuid PRIMARY KEY,
    member_id   uuid NOT NULL REFERENCES members (id),
    key_hash    bytea NOT NULL UNIQUE,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE IF NOT EXISTS components (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    name             text NOT NULL,
    description      text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS components_by_organization ON components (organization_id, id);

-- A slug names a public page at /status/{slug} with no organization in the path: unique overall.
CREATE TABLE IF NOT EXISTS status_pages (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    name             text NOT NULL,
    slug             text NOT NULL UNIQUE,
    component_ids    uuid[] NOT NULL DEFAULT '{}',
    published        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS status_pages_by_organization ON status_pages (organization_id, id);

-- Event log -------------------------------------------------------------------------------------

-- transaction_id lets a reader that follows the log by position avoid skipping events whose
-- transactions commit out of position order.
CREATE TABLE IF NOT EXISTS events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id       uuid NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    type            text NOT NULL,
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, version)
);

CREATE OR REPLACE FUNCTION refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

CREATE OR REPLACE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- Update bodies: primary data kept beside the log, never in it, so a redaction can erase the
-- text. Not a projection: a rebuild must never drop it. A deleted row's bytes stay on disk until
-- PostgreSQL's next VACUUM reuses them, and backups taken earlier still hold the text.
CREATE TABLE IF NOT EXISTS update_bodies (
    update_id    uuid PRIMARY KEY,
    incident_id  uuid NOT NULL,
    body         text NOT NULL
);

-- Projections: derived from the log in the same transaction as each append; a rebuild drops
-- their rows and replays the log. ----------------------------------------------------------------

CREATE TABLE IF NOT EXISTS incidents (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL,
    title               text NOT NULL,
    severity            text NOT NULL,
    status              text NOT NULL,
    component_ids       uuid[] NOT NULL,
    component_statuses  jsonb NOT NULL,
    owner_schedule_id   uuid,
    version             integer NOT NULL,
    opened_at           timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    resolved_at         timestamptz
);
CREATE INDEX IF NOT EXISTS incidents_by_organization ON incidents (organization_id, id DESC);

CREATE TABLE IF NOT EXISTS incident_updates (
    id                  uuid PRIMARY KEY,
    incident_id         uuid NOT NULL,
    organization_id     uuid NOT NULL,
    visibility          text NOT NULL,
    status_change       text,
    component_statuses  jsonb NOT NULL,
    notify_subscribers  boolean NOT NULL,
    posted_by_id        uuid NOT NULL,
    posted_by_name      text NOT NULL,
    posted_at           timestamptz NOT NULL,
    redacted_at         timestamptz,
    redacted_by_id      uuid,
    redacted_by_name    text
);
CREATE INDEX IF NOT EXISTS incident_updates_by_incident ON incident_updates (incident_id, id);
