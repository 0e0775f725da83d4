-- 0012_gig_gallery.sql - the gig gallery of the studio (src/studio/gallery.c).
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- A gallery item is a gig_media row.  The demo rows keep their static url;
-- uploaded items point at a media row (media_id) and their url follows the
-- media: the placeholder while souk-worker processes it, then the cover
-- JPEG (trigger below), so every page that reads gig_media.url shows it.
-- Pages that want another size use media_view(media_id).
--
-- Order: position 0, 1, 2, ... (kept dense by the studio); the first image
-- by position is the cover.  Kinds: image, video, pdf.

ALTER TABLE gig_media
	ADD COLUMN media_id BIGINT NULL REFERENCES media (id) ON DELETE CASCADE;

ALTER TABLE gig_media DROP CONSTRAINT IF EXISTS gig_media_kind_check;
ALTER TABLE gig_media ADD CONSTRAINT gig_media_kind_check
	CHECK (kind IN ('image', 'video', 'pdf'));

CREATE INDEX gig_media_media_idx ON gig_media (media_id) WHERE media_id IS NOT NULL;

-- gig_media_url(media_id) - the url a gig_media row shows for a media:
-- the cover JPEG of a ready image or PDF page, else its icon, else the
-- placeholder.
CREATE FUNCTION gig_media_url(mid BIGINT) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce(v->'cover'->>'jpeg', v->>'icon', '/static/img/processing.svg')
	FROM (SELECT media_view(mid) AS v) x
$$;

CREATE FUNCTION gig_media_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE gig_media SET url = gig_media_url(NEW.id)
	WHERE media_id = NEW.id AND url IS DISTINCT FROM gig_media_url(NEW.id);
	RETURN NULL;
END
$$;

CREATE TRIGGER gig_media_follow AFTER UPDATE OF status, variants ON media
	FOR EACH ROW EXECUTE FUNCTION gig_media_follow();
