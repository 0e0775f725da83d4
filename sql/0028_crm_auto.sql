-- 0028_crm_auto.sql - the seller's CRM auto-triggers and analytics
-- (issue 7, "Auto-triggers" and "Analytics"; src/crm/auto.h).
--
-- Working hours: crm_settings holds the seller's IANA time zone (checked
-- against pg_timezone_names) and crm_working_hours one open interval per
-- ISO weekday (1 = Monday .. 7 = Sunday), in minutes after local midnight;
-- a weekday without a row is closed.  A seller without a crm_settings row
-- works Monday to Friday, 09:00-17:00 UTC (crm_seller_hours).
--
-- Triggers: crm_triggers are run by souk-worker's CRM sweep (and
-- `soukctl crm-sweep`).  Each firing is a row of crm_trigger_firings,
-- unique per (trigger, event key), so an event never fires twice; a
-- firing held back (cooldown, blocked pair, spam lead, nothing to do) is
-- kept with status 'skipped' so it is not retried either.
--
-- Analytics: crm_conversation_metrics (one row per conversation),
-- crm_seller_metrics (per seller and local day) and crm_seller_summary (per
-- seller and period of 7, 30 or 90 days) are filled by crm_analytics_refresh();
-- the analytics page only reads them.  Response times count working
-- seconds only (crm_working_seconds).  Money is BIGINT minor units; time is
-- souk_now() (the test clock).

CREATE TABLE crm_settings (
	seller_id	BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	time_zone	TEXT NOT NULL DEFAULT 'UTC',
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now()
);

-- a time zone must be a name PostgreSQL knows (pg_timezone_names)
CREATE FUNCTION crm_settings_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.time_zone) THEN
		RAISE EXCEPTION 'crm: unknown time zone %', NEW.time_zone USING ERRCODE = 'SK422';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER crm_settings_check BEFORE INSERT OR UPDATE OF time_zone ON crm_settings
	FOR EACH ROW EXECUTE FUNCTION crm_settings_check();

CREATE TABLE crm_working_hours (
	seller_id	BIGINT NOT NULL REFERENCES crm_settings (seller_id) ON DELETE CASCADE,
	weekday		SMALLINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),	-- ISO: 1 = Monday
	start_min	INT NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
	end_min		INT NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
	PRIMARY KEY (seller_id, weekday),
	CHECK (start_min < end_min)
);

-- crm_seller_tz(seller) - the seller's time zone ('UTC' by default).
CREATE FUNCTION crm_seller_tz(p_seller BIGINT) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT time_zone FROM crm_settings WHERE seller_id = p_seller), 'UTC')
$$;

-- crm_seller_hours(seller) - the open interval of each open weekday.
CREATE FUNCTION crm_seller_hours(p_seller BIGINT,
	OUT weekday INT, OUT start_min INT, OUT end_min INT)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
	SELECT h.weekday::int, h.start_min, h.end_min FROM crm_working_hours h
	 WHERE h.seller_id = p_seller
	UNION ALL
	SELECT d, 540, 1020 FROM generate_series(1, 5) d
	 WHERE NOT EXISTS (SELECT 1 FROM crm_settings s WHERE s.seller_id = p_seller)
$$;

-- crm_working_seconds(seller, from, to) - the seconds of [from, to) that
-- fall inside the seller's working hours, in the seller's time zone (at
-- most the last 400 local days of the span are looked at).
CREATE FUNCTION crm_working_seconds(p_seller BIGINT, p_from TIMESTAMPTZ, p_to TIMESTAMPTZ)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_tz TEXT := crm_seller_tz(p_seller);
	v_start INT[] := array_fill(NULL::int, ARRAY[7]);
	v_end INT[] := array_fill(NULL::int, ARRAY[7]);
	v_day DATE;
	v_last DATE;
	v_dow INT;
	v_s TIMESTAMPTZ;
	v_e TIMESTAMPTZ;
	v_total NUMERIC := 0;
	h RECORD;
BEGIN
	IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
		RETURN 0;
	END IF;
	FOR h IN SELECT * FROM crm_seller_hours(p_seller) LOOP
		v_start[h.weekday] := h.start_min;
		v_end[h.weekday] := h.end_min;
	END LOOP;
	v_day := (p_from AT TIME ZONE v_tz)::date;
	v_last := (p_to AT TIME ZONE v_tz)::date;
	IF v_last - v_day > 400 THEN
		v_day := v_last - 400;
	END IF;
	WHILE v_day <= v_last LOOP
		v_dow := extract(isodow FROM v_day)::int;
		IF v_start[v_dow] IS NOT NULL THEN
			v_s := greatest(p_from,
				(v_day + make_interval(mins => v_start[v_dow])) AT TIME ZONE v_tz);
			v_e := least(p_to,
				(v_day + make_interval(mins => v_end[v_dow])) AT TIME ZONE v_tz);
			IF v_e > v_s THEN
				v_total := v_total + extract(epoch FROM v_e - v_s);
			END IF;
		END IF;
		v_day := v_day + 1;
	END LOOP;
	RETURN floor(v_total)::bigint;
END
$$;

-- crm_in_working_hours(seller, at) - whether @at is inside the seller's hours.
CREATE FUNCTION crm_in_working_hours(p_seller BIGINT, p_at TIMESTAMPTZ) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (
		SELECT 1 FROM crm_seller_hours(p_seller) h,
		       LATERAL (SELECT p_at AT TIME ZONE crm_seller_tz(p_seller) AS t) l
		 WHERE h.weekday = extract(isodow FROM l.t)::int
		   AND extract(hour FROM l.t) * 60 + extract(minute FROM l.t) >= h.start_min
		   AND extract(hour FROM l.t) * 60 + extract(minute FROM l.t) < h.end_min)
$$;

-- ==== triggers ====

CREATE TABLE crm_triggers (
	id		BIGSERIAL PRIMARY KEY,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN
			('welcome', 'follow_up', 'stage_enter', 'away', 'move_on_event')),
	enabled		BOOLEAN NOT NULL DEFAULT false,
	-- when it was last switched on: events before it are not reacted to
	enabled_at	TIMESTAMPTZ,
	-- follow_up: the stage the lead sits in; stage_enter: the stage entered;
	-- move_on_event 'proposal_silence': the stage the silence is counted in
	stage_id	BIGINT REFERENCES crm_stages (id),
	-- follow_up and 'proposal_silence': seconds of silence
	delay_seconds	INT CHECK (delay_seconds IS NULL OR delay_seconds > 0),
	event		TEXT CHECK (event IN ('order_cancelled', 'proposal_silence')),
	target_stage_id	BIGINT REFERENCES crm_stages (id),
	-- the message (Mustache; variables buyer_name, buyer_handle, seller_name)
	template	TEXT NOT NULL DEFAULT '' CHECK (char_length(template) <= 1000),
	-- seconds during which this trigger does not fire again for the same lead
	cooldown_seconds INT NOT NULL DEFAULT 0 CHECK (cooldown_seconds >= 0),
	created_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	CHECK (kind <> 'follow_up' OR (delay_seconds IS NOT NULL AND stage_id IS NOT NULL)),
	CHECK (kind <> 'stage_enter' OR stage_id IS NOT NULL),
	CHECK ((kind = 'move_on_event') = (event IS NOT NULL)),
	CHECK (kind <> 'move_on_event' OR target_stage_id IS NOT NULL),
	CHECK (event IS DISTINCT FROM 'proposal_silence' OR delay_seconds IS NOT NULL),
	CHECK (NOT enabled OR enabled_at IS NOT NULL)
);
CREATE INDEX crm_triggers_seller_idx ON crm_triggers (seller_id, id);
CREATE INDEX crm_triggers_enabled_idx ON crm_triggers (kind) WHERE enabled;

CREATE TABLE crm_trigger_firings (
	id		BIGSERIAL PRIMARY KEY,
	trigger_id	BIGINT NOT NULL REFERENCES crm_triggers (id) ON DELETE CASCADE,
	conversation_id	BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	-- what it reacted to, e.g. 'welcome:<conversation>', 'away:<message>',
	-- 'order_cancelled:<order>', 'stage_enter:<lead event>'
	event_key	TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'fired' CHECK (status IN ('fired', 'skipped')),
	reason		TEXT,	-- for 'skipped': cooldown, blocked, spam, disabled, no_change, error, too_long
	fired_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	message_id	BIGINT REFERENCES messages (id) ON DELETE SET NULL,
	lead_event_id	BIGINT REFERENCES crm_lead_events (id) ON DELETE SET NULL,
	UNIQUE (trigger_id, event_key)
);
CREATE INDEX crm_trigger_firings_lead_idx ON crm_trigger_firings
	(trigger_id, conversation_id, fired_at DESC) WHERE status = 'fired';

-- crm_auto_defaults(seller) - the default triggers of a seller who has
-- none (all message triggers off; "order cancelled → Lost" and "30 days of
-- silence in Proposal sent → Lost" on).  Returns the number created.
CREATE FUNCTION crm_auto_defaults(p_seller BIGINT) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	v_new BIGINT; v_qual BIGINT; v_prop BIGINT; v_lost BIGINT;
	v_n INT;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('crm_auto_defaults'), p_seller::int);
	IF EXISTS (SELECT 1 FROM crm_triggers WHERE seller_id = p_seller) THEN
		RETURN 0;
	END IF;
	PERFORM crm_ensure_stages(p_seller);
	SELECT id INTO v_new FROM crm_stages WHERE seller_id = p_seller AND deleted_at IS NULL
	 ORDER BY (slug IS NOT DISTINCT FROM 'new') DESC, position, id LIMIT 1;
	SELECT id INTO v_qual FROM crm_stages WHERE seller_id = p_seller AND deleted_at IS NULL
	 ORDER BY (slug IS NOT DISTINCT FROM 'qualified') DESC, position, id LIMIT 1;
	SELECT id INTO v_prop FROM crm_stages WHERE seller_id = p_seller AND deleted_at IS NULL
	 ORDER BY (slug IS NOT DISTINCT FROM 'proposal') DESC, position, id LIMIT 1;
	SELECT id INTO v_lost FROM crm_stages WHERE seller_id = p_seller AND deleted_at IS NULL
	 ORDER BY (slug IS NOT DISTINCT FROM 'lost') DESC, (outcome = 'lost') DESC, position, id
	 LIMIT 1;
	IF v_new IS NULL THEN
		RETURN 0;
	END IF;
	INSERT INTO crm_triggers (seller_id, kind, enabled, enabled_at, stage_id, delay_seconds,
		event, target_stage_id, template, cooldown_seconds)
	VALUES
	(p_seller, 'welcome', false, NULL, NULL, NULL, NULL, NULL,
	 'Hi {{buyer_name}}, thanks for your message! I will get back to you soon. {{seller_name}}', 0),
	(p_seller, 'away', false, NULL, NULL, NULL, NULL, NULL,
	 'Hi {{buyer_name}}, I am outside my working hours right now. I will answer as soon as I am back.', 43200),
	(p_seller, 'follow_up', false, NULL, v_prop, 259200, NULL, NULL,
	 'Hi {{buyer_name}}, just checking in: do you have any questions about my proposal?', 86400),
	(p_seller, 'stage_enter', false, NULL, v_qual, NULL, NULL, NULL,
	 'Thanks {{buyer_name}}! I have everything I need to prepare a proposal for you.', 0),
	(p_seller, 'move_on_event', true, souk_now(), NULL, NULL, 'order_cancelled', v_lost, '', 0),
	(p_seller, 'move_on_event', true, souk_now(), v_prop, 2592000, 'proposal_silence', v_lost,
	 '', 0);
	GET DIAGNOSTICS v_n = ROW_COUNT;
	RETURN v_n;
END
$$;

-- ==== analytics ====

CREATE TABLE crm_conversation_metrics (
	conversation_id	BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	buyer_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	first_buyer_message_at TIMESTAMPTZ NOT NULL,
	-- the seller's first own (not automatic) message after it
	first_response_at TIMESTAMPTZ,
	-- working seconds between the two (NULL: no response yet)
	response_seconds BIGINT,
	-- answered within 24 working hours; NULL while unanswered and 24
	-- working hours have not passed yet (left out of the rate)
	responded_24h	BOOLEAN,
	-- an order between the pair, paid and not cancelled, placed after the
	-- conversation began
	converted	BOOLEAN NOT NULL DEFAULT false,
	spam		BOOLEAN NOT NULL DEFAULT false,
	source_gig_id	BIGINT,
	computed_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now()
);
CREATE INDEX crm_conversation_metrics_seller_idx ON crm_conversation_metrics
	(seller_id, first_buyer_message_at);

CREATE TABLE crm_seller_metrics (
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	day		DATE NOT NULL,	-- the seller's local day
	conversations	INT NOT NULL DEFAULT 0,	-- started that day (first buyer message), not spam
	responses	INT NOT NULL DEFAULT 0,	-- of those, answered
	responses_24h	INT NOT NULL DEFAULT 0,	-- of those, answered within 24 working hours
	conversions	INT NOT NULL DEFAULT 0,	-- of those, converted to an order
	spam		INT NOT NULL DEFAULT 0,
	-- orders placed that day (paid, not cancelled): {"USD": minor, ...}
	won_minor	JSONB NOT NULL DEFAULT '{}',
	-- the pipeline as computed that day: [{stage_id, name, leads, values: {cur: minor}}]
	pipeline	JSONB,
	computed_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	PRIMARY KEY (seller_id, day)
);

CREATE TABLE crm_seller_summary (
	seller_id	BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	period_days	INT NOT NULL CHECK (period_days IN (7, 30, 90)),
	conversations	INT NOT NULL,	-- first buyer message in the period, not spam
	spam		INT NOT NULL,
	responded	INT NOT NULL,
	response_median_s NUMERIC,	-- working seconds (percentile_cont 0.5)
	response_p90_s	NUMERIC,	-- working seconds (percentile_cont 0.9)
	responded_24h	INT NOT NULL,
	decided_24h	INT NOT NULL,	-- answered, or unanswered for 24 working hours
	conversions	INT NOT NULL,
	-- [{stage_id, name, color, outcome, leads, values: [{currency, minor}]}]
	pipeline	JSONB NOT NULL,
	-- [{week (local Monday, YYYY-MM-DD), currency, minor, orders}]
	won_weekly	JSONB NOT NULL,
	-- [{gig_id, title, leads, conversions}]
	by_gig		JSONB NOT NULL,
	computed_at	TIMESTAMPTZ NOT NULL DEFAULT souk_now(),
	PRIMARY KEY (seller_id, period_days)
);

-- crm_analytics_seller(seller) - recompute the seller's metrics: their
-- conversations whose first buyer message is within 91 days, the daily
-- rows of those days and the three period summaries.
CREATE FUNCTION crm_analytics_seller(p_seller BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_now TIMESTAMPTZ := souk_now();
	v_tz TEXT := crm_seller_tz(p_seller);
	v_pipeline JSONB;
	v_days INT;
BEGIN
	-- one refresh of a seller at a time (souk-worker and soukctl crm-sweep)
	PERFORM pg_advisory_xact_lock(hashtext('crm_analytics_seller'), p_seller::int);
	INSERT INTO crm_conversation_metrics AS cm (conversation_id, seller_id, buyer_id,
		first_buyer_message_at, first_response_at, response_seconds, responded_24h,
		converted, spam, source_gig_id, computed_at)
	SELECT c.id, c.seller_id, c.buyer_id, fb.at, fr.at, r.secs,
		CASE WHEN fr.at IS NOT NULL THEN r.secs <= 86400
		     WHEN crm_working_seconds(c.seller_id, fb.at, v_now) > 86400 THEN false
		     ELSE NULL END,
		EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = c.buyer_id
			   AND o.seller_id = c.seller_id AND o.created_at >= c.created_at
			   AND o.state NOT IN ('awaiting_payment', 'cancelled')),
		coalesce(l.spam, false), l.source_gig_id, v_now
	  FROM conversations c
	  LEFT JOIN crm_leads l ON l.conversation_id = c.id
	  CROSS JOIN LATERAL (SELECT min(m.created_at) AS at FROM messages m
		 WHERE m.conversation_id = c.id AND m.sender_id = c.buyer_id
		   AND m.kind = 'user') fb
	  LEFT JOIN LATERAL (SELECT min(m.created_at) AS at FROM messages m
		 WHERE m.conversation_id = c.id AND m.sender_id = c.seller_id
		   AND m.kind IN ('user', 'offer') AND m.created_at >= fb.at) fr ON true
	  CROSS JOIN LATERAL (SELECT CASE WHEN fr.at IS NOT NULL
		 THEN crm_working_seconds(c.seller_id, fb.at, fr.at) END AS secs) r
	 WHERE c.seller_id = p_seller AND fb.at IS NOT NULL
	   AND fb.at >= v_now - interval '91 days'
	ON CONFLICT (conversation_id) DO UPDATE SET
		first_buyer_message_at = EXCLUDED.first_buyer_message_at,
		first_response_at = EXCLUDED.first_response_at,
		response_seconds = EXCLUDED.response_seconds,
		responded_24h = EXCLUDED.responded_24h, converted = EXCLUDED.converted,
		spam = EXCLUDED.spam, source_gig_id = EXCLUDED.source_gig_id,
		computed_at = EXCLUDED.computed_at;

	-- the pipeline now: live stages, leads not marked spam, the typed value
	-- or else crm_lead_value()
	SELECT coalesce(jsonb_agg(jsonb_build_object('stage_id', s.id, 'name', s.name,
		'color', s.color, 'outcome', s.outcome, 'leads', p.leads, 'values', p.vals)
		ORDER BY s.position, s.id), '[]')
	  INTO v_pipeline
	  FROM crm_stages s
	  CROSS JOIN LATERAL (
		SELECT (SELECT count(*) FROM crm_leads l
			 WHERE l.stage_id = s.id AND NOT l.spam)::int AS leads,
		       coalesce((SELECT jsonb_agg(jsonb_build_object('currency', v.cur,
				'minor', v.minor) ORDER BY v.cur)
			  FROM (SELECT coalesce(l.currency::text, a.currency) AS cur,
				       sum(coalesce(l.value_minor, a.value_minor))::bigint AS minor
				  FROM crm_leads l
				  LEFT JOIN LATERAL crm_lead_value(l.conversation_id) a
				    ON l.value_minor IS NULL
				 WHERE l.stage_id = s.id AND NOT l.spam
				   AND coalesce(l.value_minor, a.value_minor) IS NOT NULL
				 GROUP BY 1) v), '[]') AS vals) p
	 WHERE s.seller_id = p_seller AND s.deleted_at IS NULL;

	DELETE FROM crm_seller_metrics WHERE seller_id = p_seller
	   AND day >= ((v_now - interval '91 days') AT TIME ZONE v_tz)::date;
	INSERT INTO crm_seller_metrics (seller_id, day, conversations, responses, responses_24h,
		conversions, spam, won_minor, pipeline, computed_at)
	SELECT p_seller, d.day,
		coalesce(cv.conversations, 0), coalesce(cv.responses, 0),
		coalesce(cv.responses_24h, 0), coalesce(cv.conversions, 0), coalesce(cv.spam, 0),
		coalesce(w.won, '{}'),
		CASE WHEN d.day = (v_now AT TIME ZONE v_tz)::date THEN v_pipeline END, v_now
	  FROM (SELECT (first_buyer_message_at AT TIME ZONE v_tz)::date AS day
		  FROM crm_conversation_metrics WHERE seller_id = p_seller
		   AND first_buyer_message_at >= v_now - interval '91 days'
		UNION
		SELECT (created_at AT TIME ZONE v_tz)::date FROM orders
		 WHERE seller_id = p_seller AND created_at >= v_now - interval '91 days'
		   AND state NOT IN ('awaiting_payment', 'cancelled')
		UNION
		SELECT (v_now AT TIME ZONE v_tz)::date) d
	  LEFT JOIN (SELECT (first_buyer_message_at AT TIME ZONE v_tz)::date AS day,
			count(*) FILTER (WHERE NOT spam)::int AS conversations,
			count(*) FILTER (WHERE NOT spam AND first_response_at IS NOT NULL)::int
				AS responses,
			count(*) FILTER (WHERE NOT spam AND responded_24h)::int AS responses_24h,
			count(*) FILTER (WHERE NOT spam AND converted)::int AS conversions,
			count(*) FILTER (WHERE spam)::int AS spam
		  FROM crm_conversation_metrics WHERE seller_id = p_seller
		   AND first_buyer_message_at >= v_now - interval '91 days'
		 GROUP BY 1) cv ON cv.day = d.day
	  LEFT JOIN (SELECT x.day, jsonb_object_agg(x.currency, x.minor) AS won
		  FROM (SELECT (created_at AT TIME ZONE v_tz)::date AS day, currency,
			       sum(subtotal_minor)::bigint AS minor
			  FROM orders WHERE seller_id = p_seller
			   AND created_at >= v_now - interval '91 days'
			   AND state NOT IN ('awaiting_payment', 'cancelled')
			 GROUP BY 1, 2) x
		 GROUP BY x.day) w ON w.day = d.day
	ON CONFLICT (seller_id, day) DO UPDATE SET conversations = EXCLUDED.conversations,
		responses = EXCLUDED.responses, responses_24h = EXCLUDED.responses_24h,
		conversions = EXCLUDED.conversions, spam = EXCLUDED.spam,
		won_minor = EXCLUDED.won_minor, pipeline = EXCLUDED.pipeline,
		computed_at = EXCLUDED.computed_at;

	FOREACH v_days IN ARRAY ARRAY[7, 30, 90] LOOP
		INSERT INTO crm_seller_summary AS ss (seller_id, period_days, conversations, spam,
			responded, response_median_s, response_p90_s, responded_24h, decided_24h,
			conversions, pipeline, won_weekly, by_gig, computed_at)
		SELECT p_seller, v_days,
			count(*) FILTER (WHERE NOT m.spam)::int,
			count(*) FILTER (WHERE m.spam)::int,
			count(*) FILTER (WHERE NOT m.spam AND m.response_seconds IS NOT NULL)::int,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY m.response_seconds)
				FILTER (WHERE NOT m.spam AND m.response_seconds IS NOT NULL),
			percentile_cont(0.9) WITHIN GROUP (ORDER BY m.response_seconds)
				FILTER (WHERE NOT m.spam AND m.response_seconds IS NOT NULL),
			count(*) FILTER (WHERE NOT m.spam AND m.responded_24h)::int,
			count(*) FILTER (WHERE NOT m.spam AND m.responded_24h IS NOT NULL)::int,
			count(*) FILTER (WHERE NOT m.spam AND m.converted)::int,
			v_pipeline,
			(SELECT coalesce(jsonb_agg(jsonb_build_object('week', x.week, 'currency',
				x.currency, 'minor', x.minor, 'orders', x.orders)
				ORDER BY x.week, x.currency), '[]')
			   FROM (SELECT to_char(date_trunc('week', o.created_at AT TIME ZONE v_tz),
					'YYYY-MM-DD') AS week, o.currency,
				       sum(o.subtotal_minor)::bigint AS minor, count(*)::int AS orders
				  FROM orders o WHERE o.seller_id = p_seller
				   AND o.created_at >= v_now - make_interval(days => v_days)
				   AND o.state NOT IN ('awaiting_payment', 'cancelled')
				 GROUP BY 1, 2) x),
			(SELECT coalesce(jsonb_agg(jsonb_build_object('gig_id', g.gig_id,
				'title', g.title, 'leads', g.leads, 'conversions', g.conversions)
				ORDER BY g.leads DESC, g.gig_id NULLS LAST), '[]')
			   FROM (SELECT m2.source_gig_id AS gig_id,
				       (SELECT title FROM gigs WHERE id = m2.source_gig_id) AS title,
				       count(*)::int AS leads,
				       count(*) FILTER (WHERE m2.converted)::int AS conversions
				  FROM crm_conversation_metrics m2
				 WHERE m2.seller_id = p_seller AND NOT m2.spam
				   AND m2.first_buyer_message_at >= v_now - make_interval(days => v_days)
				 GROUP BY m2.source_gig_id) g),
			v_now
		  FROM crm_conversation_metrics m
		 WHERE m.seller_id = p_seller
		   AND m.first_buyer_message_at >= v_now - make_interval(days => v_days)
		ON CONFLICT (seller_id, period_days) DO UPDATE SET
			conversations = EXCLUDED.conversations, spam = EXCLUDED.spam,
			responded = EXCLUDED.responded,
			response_median_s = EXCLUDED.response_median_s,
			response_p90_s = EXCLUDED.response_p90_s,
			responded_24h = EXCLUDED.responded_24h, decided_24h = EXCLUDED.decided_24h,
			conversions = EXCLUDED.conversions, pipeline = EXCLUDED.pipeline,
			won_weekly = EXCLUDED.won_weekly, by_gig = EXCLUDED.by_gig,
			computed_at = EXCLUDED.computed_at;
	END LOOP;
END
$$;

-- crm_analytics_refresh() - crm_analytics_seller for every seller with a
-- conversation active in the last 91 days or an order in that time.
-- Returns the number of sellers computed.
CREATE FUNCTION crm_analytics_refresh() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	v_seller BIGINT;
	v_n INT := 0;
BEGIN
	FOR v_seller IN
		SELECT seller_id FROM conversations
		 WHERE coalesce(last_message_at, created_at) >= souk_now() - interval '91 days'
		UNION
		SELECT seller_id FROM orders WHERE created_at >= souk_now() - interval '91 days'
		UNION
		SELECT seller_id FROM crm_seller_summary
	LOOP
		PERFORM crm_analytics_seller(v_seller);
		v_n := v_n + 1;
	END LOOP;
	RETURN v_n;
END
$$;
