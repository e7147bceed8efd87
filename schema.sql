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
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- [{"id", "name", "component_ids"}] in the page's order; members are among component_ids.
    component_groups jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS status_pages_by_organization ON status_pages (organization_id, id);

-- The addresses status pages had before their slug changed, which answer 301 to the current
-- one. A trigger keeps them, so that every writer of status_pages does.
CREATE TABLE IF NOT EXISTS status_page_slugs (
    slug            text PRIMARY KEY,
    status_page_id  uuid NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    retired_at      timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION retire_status_page_slug() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A slug a page takes is that page's address from now on, whichever page had it before.
    DELETE FROM status_page_slugs WHERE slug = NEW.slug;
    IF TG_OP = 'UPDATE' AND OLD.slug <> NEW.slug THEN
        INSERT INTO status_page_slugs (slug, status_page_id) VALUES (OLD.slug, OLD.id)
        ON CONFLICT (slug) DO UPDATE
            SET status_page_id = EXCLUDED.status_page_id, retired_at = EXCLUDED.retired_at;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER status_pages_retire_slug
    AFTER INSERT OR UPDATE OF slug ON status_pages
    FOR EACH ROW EXECUTE FUNCTION retire_status_page_slug();

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

-- Idempotency keys: the outcome of a write sent with an Idempotency-Key header, stored in the
-- same transaction as its effects. Only the status and the resource id are kept (or a rule
-- error's code), never a copy of the response: a replay renders the resource as it is now, so a
-- redaction in between is honoured. Rows older than 24 hours are expired and then removed.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    organization_id  uuid NOT NULL,
    key              text NOT NULL,
    fingerprint      bytea NOT NULL,
    status           integer NOT NULL,
    resource_id      uuid,
    error            jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);

-- Projections ------------------------------------------------------------------------------------
-- Derived from the log in the same transaction as each append. `herald projections rebuild`
-- builds fresh copies of exactly the statements between the two markers below, in a schema of
-- its own, then swaps them in; nothing else may go between the markers.

-- projections:begin
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
    resolved_at         timestamptz,
    -- The public sees an incident once it has a public update, and then only its public
    -- timeline: its public updates and the status changes of internal ones (incident_updates).
    published_at        timestamptz,
    -- component_statuses as the public sees them: set by public updates and resolving only.
    public_component_statuses jsonb NOT NULL DEFAULT '[]',
    -- The folded state a command starts from (app/store/snapshot.py); NULL on a row written
    -- before snapshots were kept, whose command folds the stream instead.
    snapshot            jsonb
);
CREATE INDEX IF NOT EXISTS incidents_by_organization ON incidents (organization_id, id DESC);
CREATE INDEX IF NOT EXISTS incidents_by_component ON incidents USING gin (component_ids);

CREATE TABLE IF NOT EXISTS incident_updates (
    id                  uuid PRIMARY KEY,
    incident_id         uuid NOT NULL,
    organization_id     uuid NOT NULL,
    visibility          text NOT NULL,
    status_change       text,
    status              text NOT NULL,  -- the incident's status once the update was posted
    component_statuses  jsonb NOT NULL,
    notify_subscribers  boolean NOT NULL,
    posted_by_id        uuid NOT NULL,
    posted_by_name      text NOT NULL,
    posted_at           timestamptz NOT NULL,
    redacted_at         timestamptz,
    redacted_by_id      uuid,
    redacted_by_name    text,
    version             integer NOT NULL  -- its UpdatePosted's in the incident's stream
);
CREATE INDEX IF NOT EXISTS incident_updates_by_incident ON incident_updates (incident_id, id);

-- Spans during which an incident gave a component a non-operational status: uptime history.
CREATE TABLE IF NOT EXISTS component_intervals (
    incident_id   uuid NOT NULL,
    component_id  uuid NOT NULL,
    status        text NOT NULL,
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX IF NOT EXISTS component_intervals_by_component
    ON component_intervals (component_id, started_at);
CREATE INDEX IF NOT EXISTS component_intervals_by_incident ON component_intervals (incident_id);
-- A command ends an incident's open intervals along this index (0015_component_intervals_open).
CREATE INDEX IF NOT EXISTS component_intervals_open
    ON component_intervals (incident_id, component_id) WHERE ended_at IS NULL;

-- A scheduled maintenance: the folded state of its stream in `snapshot`
-- (app/store/maintenances.py), beside the columns its lists and the clock select by.
CREATE TABLE IF NOT EXISTS maintenances (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    title            text NOT NULL,
    status           text NOT NULL,
    component_ids    uuid[] NOT NULL,
    scheduled_for    timestamptz NOT NULL,
    scheduled_until  timestamptz NOT NULL,
    auto_start       boolean NOT NULL,
    auto_complete    boolean NOT NULL,
    version          integer NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    completed_at     timestamptz,
    cancelled_at     timestamptz,
    -- When subscribers are owed a reminder of the window; NULL once reminded, or if none.
    remind_at        timestamptz,
    snapshot         jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS maintenances_by_organization ON maintenances (organization_id, id DESC);
-- What the clock looks for: maintenances due a reminder, to start, and to complete.
CREATE INDEX IF NOT EXISTS maintenances_to_remind ON maintenances (remind_at)
    WHERE remind_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS maintenances_to_start ON maintenances (scheduled_for)
    WHERE status = 'scheduled' AND auto_start;
CREATE INDEX IF NOT EXISTS maintenances_to_complete ON maintenances (scheduled_until)
    WHERE status IN ('in_progress', 'verifying') AND auto_complete;
-- projections:end

-- Notifications ----------------------------------------------------------------------------------
-- Subscribers are told about the public updates of a status page. The dispatcher (`herald
-- worker`) reads the log above and writes one delivery row per message owed; the rows, not the
-- Redis queue, are the record of what is owed and what was sent.

-- A webhook's secret is kept encrypted with SECRET_KEY: it must be recoverable to sign with. An
-- address from the public form is sent nothing but its confirmation until confirmed_at is set.
-- Removed subscribers keep their row so that their deliveries stay listed.
CREATE TABLE IF NOT EXISTS subscribers (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    status_page_id    uuid NOT NULL REFERENCES status_pages (id),
    channel           text NOT NULL CHECK (channel IN ('webhook', 'email')),
    target            text NOT NULL,
    secret_encrypted  bytea,
    -- Empty: every component of the page; otherwise only messages touching one of these.
    component_ids     uuid[] NOT NULL DEFAULT '{}',
    -- What the subscriber chose to hear (see 0010_subscriber_preferences).
    notify_incidents  boolean NOT NULL DEFAULT true,
    notify_maintenances boolean NOT NULL DEFAULT true,
    notify_component_changes boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    removed_at        timestamptz,
    CHECK ((channel = 'webhook') = (secret_encrypted IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS subscribers_once_per_page
    ON subscribers (status_page_id, channel, lower(target)) WHERE removed_at IS NULL;
CREATE INDEX IF NOT EXISTS subscribers_by_page ON subscribers (status_page_id, id);
-- A fan-out's chunks read each page's subscribers along this index (0014_subscribers_live_by_page).
CREATE INDEX IF NOT EXISTS subscribers_live_by_page ON subscribers (status_page_id, id)
    WHERE removed_at IS NULL;

-- A change of a component's public status, as the dispatcher found it in the log: what a
-- component_update message tells.
CREATE TABLE IF NOT EXISTS component_changes (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    component_id     uuid NOT NULL,
    old_status       text NOT NULL,
    new_status       text NOT NULL,
    changed_at       timestamptz NOT NULL,
    event_position   bigint NOT NULL,
    UNIQUE (component_id, changed_at)
);
-- The dispatcher finds the changes an event recorded when it writes their rows a chunk at a time.
CREATE INDEX IF NOT EXISTS component_changes_by_event ON component_changes (event_position);

-- One message owed to one subscriber: an update (kind 'update', keyed by the UpdatePosted event
-- and the subscriber), a maintenance's notice (kind 'maintenance', keyed by its event and the
-- subscriber), a component's change (kind 'component_update') or a confirmation mail. A
-- repeated job finds the row settled and sends
-- nothing; a job that died mid-send leaves the row leased until lease_until, then it is sent
-- again under the same idempotency key.
CREATE TABLE IF NOT EXISTS deliveries (
    id               uuid PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    organization_id  uuid NOT NULL,
    status_page_id   uuid NOT NULL,
    subscriber_id    uuid NOT NULL REFERENCES subscribers (id),
    kind             text NOT NULL CONSTRAINT deliveries_kind_check
        CHECK (kind IN ('update', 'confirmation', 'maintenance', 'component_update')),
    event_position   bigint,
    incident_id      uuid,
    update_id        uuid,
    -- A maintenance's notice: the event at event_position says which (scheduled, reminder, ...).
    maintenance_id   uuid,
    component_change_id uuid REFERENCES component_changes (id),
    status           text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed', 'dead', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    -- The attempt after which a retryable failure is dead; a manual retry extends it.
    max_attempts     integer NOT NULL,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- NULL: not yet handed to the queue. The sweeper re-enqueues rows long due and still pending.
    enqueued_at      timestamptz,
    lease_until      timestamptz,
    -- A subscriber hears of updates in order: this row waits while an earlier one is pending.
    blocked_by       uuid,
    last_attempt_at  timestamptz,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'update') = (update_id IS NOT NULL)),
    CONSTRAINT deliveries_component_change_check
        CHECK ((kind = 'component_update') = (component_change_id IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS deliveries_by_page ON deliveries (status_page_id, id DESC);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
-- The sweeper's round finds the rows never handed to the queue along this index alone
-- (0012_deliveries_unqueued).
CREATE INDEX IF NOT EXISTS deliveries_unqueued ON deliveries (next_attempt_at, id)
    WHERE status = 'pending' AND enqueued_at IS NULL AND blocked_by IS NULL;
CREATE INDEX IF NOT EXISTS deliveries_pending_by_update
    ON deliveries (update_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_pending_by_subscriber
    ON deliveries (subscriber_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_blocked ON deliveries (blocked_by) WHERE blocked_by IS NOT NULL;
-- Forgetting an expired sign-up deletes its deliveries (0002_deliveries_by_subscriber).
CREATE INDEX IF NOT EXISTS deliveries_by_subscriber ON deliveries (subscriber_id);
-- Who was told of a maintenance: a cancellation tells them (and only them).
CREATE INDEX IF NOT EXISTS deliveries_by_maintenance ON deliveries (maintenance_id)
    WHERE maintenance_id IS NOT NULL;

-- How far the dispatcher has read the log, in (transaction_id, position) order: it reads only
-- events of transactions older than every running one, so none can still appear behind it.
-- An event's rows are written a chunk of subscribers at a time, each chunk committed with
-- fanned_out_to, the last subscriber (in id order) its rows were written for: the next event
-- is owed from there on (see 0011_fan_out_in_chunks).
CREATE TABLE IF NOT EXISTS dispatcher_checkpoints (
    name            text PRIMARY KEY,
    transaction_id  xid8 NOT NULL,
    position        bigint NOT NULL,
    fanned_out_to   uuid
);
INSERT INTO dispatcher_checkpoints (name, transaction_id, position)
    VALUES ('notifications', '0', 0) ON CONFLICT (name) DO NOTHING;
CREATE INDEX IF NOT EXISTS events_by_transaction ON events (transaction_id, position);
-- When a page last changed counts an incident's edits (0013_incident_edits).
CREATE INDEX IF NOT EXISTS events_incident_edits ON events (stream_id)
    WHERE type = 'IncidentEdited';

-- Wakes the dispatcher; the payload is empty since it reads the log itself.
CREATE OR REPLACE FUNCTION notify_events_appended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_events', '');
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER events_notify_dispatcher
    AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events_appended();

-- Public pages ----------------------------------------------------------------------------------
-- Each API process keeps its pages rendered in memory and LISTENs on herald_pages to learn
-- which organization's pages changed. NOTIFY is delivered at commit, and not at all on a
-- rollback, and the triggers run inside the writer's own statements: a command pays no extra
-- round trip. The payload is "organization:kind:counter", kind one of events, redacted (events
-- that include a redaction: caches in front are told) and catalog; the counter is the log
-- position of the last event appended, or a value of catalog_changes, which each process also
-- reads now and then to notice a notification it missed.
CREATE SEQUENCE IF NOT EXISTS catalog_changes;

CREATE OR REPLACE FUNCTION notify_pages_appended() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    organization uuid;
    last_position bigint;
    redacted boolean;
BEGIN
    -- A stream's first events come before its projection row, and carry the organization.
    FOR organization, last_position, redacted IN
        SELECT coalesce(i.organization_id, m.organization_id,
                        (a.data ->> 'organization_id')::uuid),
               max(a.position),
               bool_or(a.type IN ('UpdateRedacted', 'MaintenanceUpdateRedacted'))
        FROM appended a
        LEFT JOIN incidents i ON i.id = a.stream_id
        LEFT JOIN maintenances m ON m.id = a.stream_id
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

-- Requests of the public subscribe form, to limit confirmation mails per address and per client.
-- The address is kept as a hash only: most of these are never confirmed.
CREATE TABLE IF NOT EXISTS subscription_requests (
    address_hash  bytea NOT NULL,
    client        text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS subscription_requests_by_address
    ON subscription_requests (address_hash, requested_at);
CREATE INDEX IF NOT EXISTS subscription_requests_by_client
    ON subscription_requests (client, requested_at);
