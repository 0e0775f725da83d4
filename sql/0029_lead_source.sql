-- 0029_lead_source.sql - the gig a conversation started from (issue 7,
-- "leads by source gig"; src/messages contact(), src/crm).
--
-- "Contact seller" on a gig page opens /contact/{handle}?gig=<id>;
-- messages_db_open() records that gig on a new conversation
-- (conversations.source_gig_id) when it is an active gig of that seller,
-- and on an existing conversation that has none yet.  The lead takes its
-- source gig from the conversation: at creation (crm_conversation_created,
-- replaced below) and when the conversation gets one later (a trigger on
-- UPDATE OF source_gig_id) - a lead whose source gig is already set (by an
-- earlier gig contact or by the first order, 0026) keeps it.
-- Applied by `soukctl migrate` inside one transaction.

ALTER TABLE conversations
	ADD COLUMN source_gig_id BIGINT REFERENCES gigs (id) ON DELETE SET NULL;
CREATE INDEX conversations_source_gig_idx ON conversations (source_gig_id)
	WHERE source_gig_id IS NOT NULL;

-- a new conversation: the seller's stages when missing, and its lead at
-- the top of the entry stage, with the conversation's source gig
CREATE OR REPLACE FUNCTION crm_conversation_created() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_stage BIGINT;
BEGIN
	PERFORM crm_ensure_stages(NEW.seller_id);
	v_stage := crm_entry_stage(NEW.seller_id);
	IF v_stage IS NULL THEN
		RETURN NEW;
	END IF;
	UPDATE crm_leads SET position = position + 1 WHERE stage_id = v_stage;
	INSERT INTO crm_leads (conversation_id, seller_id, buyer_id, stage_id, position,
		source_gig_id, created_at, stage_changed_at, last_activity_at)
	VALUES (NEW.id, NEW.seller_id, NEW.buyer_id, v_stage, 0,
		NEW.source_gig_id, NEW.created_at, NEW.created_at, NEW.created_at)
	ON CONFLICT (conversation_id) DO NOTHING;
	RETURN NEW;
END
$$;

-- a conversation that gets its source gig later: its lead takes it unless
-- it already has one
CREATE FUNCTION crm_conversation_source() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.source_gig_id IS NOT NULL
	   AND NEW.source_gig_id IS DISTINCT FROM OLD.source_gig_id THEN
		UPDATE crm_leads SET source_gig_id = NEW.source_gig_id
		 WHERE conversation_id = NEW.id AND source_gig_id IS NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER crm_conversation_source AFTER UPDATE OF source_gig_id ON conversations
	FOR EACH ROW EXECUTE FUNCTION crm_conversation_source();
