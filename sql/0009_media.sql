-- 0009_media.sql - uploaded media: images, videos and PDFs (src/media/).
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- One row per accepted upload.  The file itself lives in the storage
-- (src/media/storage.h), never in the database: the original, as uploaded,
-- under the private key "private/<storage_key>" (never served as is: it may
-- carry EXIF, GPS positions or anything hidden in it), and the re-encoded
-- variants made by souk-worker's "media.process" job under
-- "public/<storage_key>/..." (or "private/..." for private media).
--
-- mime is what libmagic sniffed from the bytes; the client's file name
-- (original_name) is kept for display only and never used in a path.
--
-- status: 'processing' from the upload until the job has run, then 'ready'
-- (variants filled) or 'failed' (the file could not be decoded).
--
-- variants, filled by the job, holds URLs ready for templates:
--   images and PDFs:  {"cover": {"webp": URL, "jpeg": URL, "w": 1280, "h": 800},
--                      "card": {...640x400}, "thumb": {...320x200}}
--                      (a PDF without a renderable first page: {"icon": URL})
--   videos:           {"icon": URL}
-- media_view(id) below turns a row into the JSON the pages use, with a
-- placeholder while processing.

CREATE TABLE media (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner_id	BIGINT NOT NULL
			REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN ('image', 'video', 'pdf')),
	mime		TEXT NOT NULL CHECK (mime ~ '^[a-z0-9.+-]+/[a-z0-9.+-]+$'),
	bytes		BIGINT NOT NULL CHECK (bytes > 0),
	sha256		TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	storage_key	TEXT NOT NULL UNIQUE
			CHECK (storage_key ~ '^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}$'),
	visibility	TEXT NOT NULL DEFAULT 'public'
			CHECK (visibility IN ('public', 'private')),
	status		TEXT NOT NULL DEFAULT 'processing'
			CHECK (status IN ('processing', 'ready', 'failed')),
	variants	JSONB NOT NULL DEFAULT '{}'::jsonb
			CHECK (jsonb_typeof(variants) = 'object'),
	original_name	TEXT NOT NULL DEFAULT '' CHECK (length(original_name) <= 255),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX media_owner_idx ON media (owner_id, created_at DESC);
CREATE INDEX media_processing_idx ON media (created_at) WHERE status = 'processing';

CREATE TRIGGER media_touch BEFORE UPDATE ON media
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- media_view - the template view of one media row: id, kind, status,
-- processing (bool), failed (bool), original_name, and the variant URLs
-- (cover, card, thumb: {webp, jpeg, w, h}; icon).  While processing (or
-- failed) every URL is the placeholder /static/img/processing.svg, so a
-- page can always render <picture> with it.  NULL for an unknown id.
CREATE FUNCTION media_view(media_id BIGINT) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', m.id, 'kind', m.kind, 'mime', m.mime, 'status', m.status,
		'processing', m.status = 'processing', 'failed', m.status = 'failed',
		'visibility', m.visibility, 'original_name', m.original_name,
		'bytes', m.bytes)
	    || CASE WHEN m.status = 'ready' THEN m.variants
		ELSE jsonb_build_object(
		    'cover', jsonb_build_object('webp', '/static/img/processing.svg',
			'jpeg', '/static/img/processing.svg', 'w', 1280, 'h', 800),
		    'card', jsonb_build_object('webp', '/static/img/processing.svg',
			'jpeg', '/static/img/processing.svg', 'w', 640, 'h', 400),
		    'thumb', jsonb_build_object('webp', '/static/img/processing.svg',
			'jpeg', '/static/img/processing.svg', 'w', 320, 'h', 200),
		    'icon', '/static/img/processing.svg')
		END
	FROM media m WHERE m.id = media_id
$$;
