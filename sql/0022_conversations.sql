-- 0022_conversations.sql - buyer–seller conversations (issue 6,
-- "Conversations"; src/messages).
--
-- One conversation per (buyer, seller) pair: whoever writes first to a
-- seller is the buyer of that pair.  Each participant has a row in
-- conversation_members with their own read position, unread count (kept
-- by the message trigger, so the header badge is one indexed sum), star
-- and archive flags.  messages.search is the same bilingual tsvector as
-- gigs (souk_text_tsv, sql/0001: English words plus CJK bigrams).

CREATE TABLE conversations (
	id BIGSERIAL PRIMARY KEY,
	buyer_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	seller_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	last_message_id BIGINT,
	last_message_at TIMESTAMPTZ,
	UNIQUE (buyer_id, seller_id),
	CHECK (buyer_id <> seller_id)
);
CREATE INDEX conversations_seller_idx ON conversations (seller_id);

CREATE TABLE conversation_members (
	conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	last_read_message_id BIGINT NOT NULL DEFAULT 0,
	unread_count INTEGER NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
	starred BOOLEAN NOT NULL DEFAULT false,
	archived BOOLEAN NOT NULL DEFAULT false,
	PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id, conversation_id);
-- the header badge: SELECT sum(unread_count) ... WHERE user_id = $1 AND unread_count > 0
CREATE INDEX conversation_members_unread_idx ON conversation_members (user_id)
	INCLUDE (unread_count) WHERE unread_count > 0;

CREATE TABLE messages (
	id BIGSERIAL PRIMARY KEY,
	conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	sender_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	body TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
	created_at TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	edited_at TIMESTAMPTZ,
	deleted_at TIMESTAMPTZ,
	search tsvector NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_search_idx ON messages USING gin (search);

CREATE TABLE user_blocks (
	blocker_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	blocked_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	PRIMARY KEY (blocker_id, blocked_id),
	CHECK (blocker_id <> blocked_id)
);
CREATE INDEX user_blocks_blocked_idx ON user_blocks (blocked_id, blocker_id);

-- search vector (deleted messages are not found)
CREATE FUNCTION souk_messages_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.search := CASE WHEN NEW.deleted_at IS NULL
	    THEN souk_text_tsv(NEW.body, 'A', true) ELSE ''::tsvector END;
	RETURN NEW;
END
$$;
CREATE TRIGGER messages_search BEFORE INSERT OR UPDATE OF body, deleted_at ON messages
	FOR EACH ROW EXECUTE FUNCTION souk_messages_search();

-- a new message: the conversation's last message, the other participant's
-- unread count up (and out of their archive), the sender's read position.
CREATE FUNCTION souk_messages_posted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE conversations SET last_message_id = NEW.id, last_message_at = NEW.created_at
	    WHERE id = NEW.conversation_id;
	UPDATE conversation_members SET
	    unread_count = CASE WHEN user_id = NEW.sender_id THEN 0 ELSE unread_count + 1 END,
	    last_read_message_id = CASE WHEN user_id = NEW.sender_id THEN NEW.id
	        ELSE last_read_message_id END,
	    archived = CASE WHEN user_id = NEW.sender_id THEN archived ELSE false END
	    WHERE conversation_id = NEW.conversation_id;
	RETURN NEW;
END
$$;
CREATE TRIGGER messages_posted AFTER INSERT ON messages
	FOR EACH ROW EXECUTE FUNCTION souk_messages_posted();
