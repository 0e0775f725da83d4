-- 0030_crm_triggers_more.sql - sellers add their own CRM triggers and
-- delete them (issue 7, "Auto-triggers"; src/crm/auto.h, src/crm/triggers.c).
--
-- A seller has any number of triggers of each kind (at most
-- CRM_TRIGGERS_MAX live ones, checked by the web handler under an advisory
-- lock per seller).  The sweep's idempotency stays per trigger:
-- crm_trigger_firings is unique per (trigger, event key).
--
-- Deleting a trigger is a soft delete: deleted_at is set and the trigger is
-- switched off in the same UPDATE.  The sweep only reads enabled triggers,
-- so a deleted one never fires again; its crm_trigger_firings rows (which
-- reference it, ON DELETE CASCADE from 0028) and the 'trigger' events of the
-- leads' timelines stay as they were.  A deleted trigger is neither listed
-- nor editable, and never comes back.  Because the row stays,
-- crm_auto_defaults (which only creates the defaults for a seller without
-- any trigger row) does not bring the default triggers back after a seller
-- deleted all of them.

ALTER TABLE crm_triggers ADD COLUMN deleted_at TIMESTAMPTZ;

-- a deleted trigger is off
ALTER TABLE crm_triggers ADD CONSTRAINT crm_triggers_deleted_off
	CHECK (deleted_at IS NULL OR NOT enabled);

-- the seller's live triggers (the page, the cap)
CREATE INDEX crm_triggers_live_idx ON crm_triggers (seller_id, id) WHERE deleted_at IS NULL;
