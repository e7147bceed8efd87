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
