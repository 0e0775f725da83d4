-- 0023_messages_more.sql - the rest of issue 6 "Conversations"
-- (src/messages, src/admin/support.c): message kinds, quoted replies, the
-- off-platform warning flag, attachments (private media), edits and
-- deletes, and user reports for the SUPPORT queue.
--
-- A message may now hold only attachments (empty body); the handler
-- refuses an empty body without files.  Deleted messages keep their text
-- (support may need it for a report) but are shown as "deleted" to both
-- participants and are not found by search (souk_messages_search).

ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_body_check;
ALTER TABLE messages ADD CONSTRAINT messages_body_check CHECK (char_length(body) <= 5000);
ALTER TABLE messages
	ADD COLUMN kind TEXT NOT NULL DEFAULT 'user'
		CHECK (kind IN ('user', 'auto', 'offer', 'system')),
	ADD COLUMN reply_to_id BIGINT REFERENCES messages (id) ON DELETE SET NULL,
	ADD COLUMN warn BOOLEAN NOT NULL DEFAULT false;

-- a message's files: private media (src/media), downloadable only by the
-- conversation's two participants (and support staff reviewing a report).
CREATE TABLE message_attachments (
	message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	media_id BIGINT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
	position SMALLINT NOT NULL DEFAULT 0,
	PRIMARY KEY (message_id, media_id)
);
CREATE INDEX message_attachments_media_idx ON message_attachments (media_id);

-- user reports (the SUPPORT queue in the admin console)
CREATE TABLE user_reports (
	id BIGSERIAL PRIMARY KEY,
	reporter_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	reported_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	conversation_id BIGINT REFERENCES conversations (id) ON DELETE SET NULL,
	reason TEXT NOT NULL CHECK (reason IN ('spam', 'scam', 'off_platform', 'harassment',
		'inappropriate', 'other')),
	details TEXT NOT NULL DEFAULT '' CHECK (char_length(details) <= 2000),
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
	note TEXT NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
	handled_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
	handled_at TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	CHECK (reporter_id <> reported_id)
);
CREATE INDEX user_reports_open_idx ON user_reports (created_at) WHERE status = 'open';
CREATE INDEX user_reports_reported_idx ON user_reports (reported_id, created_at DESC);

-- One message as the live event / thread view wants it, seen by @viewer:
-- {conversation_id, message_id, id, sender_id, sender_handle, kind, body
-- ('' when deleted), deleted, at (ISO UTC), at_text, edited, edited_at,
-- warn, reply_to: null | {id, sender_handle, snippet}, attachments:
-- [{id, name, size, url}]}.  body_html is added by the C code (markdown.h).
CREATE FUNCTION souk_message_json(m messages) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
	    'conversation_id', m.conversation_id, 'message_id', m.id, 'id', m.id,
	    'sender_id', m.sender_id,
	    'sender_handle', (SELECT handle FROM users WHERE id = m.sender_id),
	    'kind', m.kind,
	    'body', CASE WHEN m.deleted_at IS NULL THEN m.body ELSE '' END,
	    'deleted', m.deleted_at IS NOT NULL,
	    'at', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
	    'at_text', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
	    'edited', m.edited_at IS NOT NULL AND m.deleted_at IS NULL,
	    'edited_at', to_char(m.edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
	    'warn', m.warn AND m.deleted_at IS NULL,
	    'reply_to', (SELECT json_build_object('id', r.id, 'sender_handle', ru.handle,
	        'deleted', r.deleted_at IS NOT NULL,
	        'snippet', CASE WHEN r.deleted_at IS NULL THEN left(r.body, 140) ELSE '' END)
	        FROM messages r JOIN users ru ON ru.id = r.sender_id WHERE r.id = m.reply_to_id),
	    'attachments', CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::json ELSE
	        coalesce((SELECT json_agg(json_build_object('id', md.id, 'name',
	        CASE WHEN md.original_name = '' THEN 'file-' || md.id ELSE md.original_name END,
	        'size', md.bytes, 'kind', md.kind,
	        'url', '/inbox/' || m.conversation_id || '/files/' || md.id)
	        ORDER BY a.position, md.id)
	        FROM message_attachments a JOIN media md ON md.id = a.media_id
	        WHERE a.message_id = m.id), '[]'::json) END)
$$;
