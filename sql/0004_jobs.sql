-- 0004_jobs.sql - the job queue of souk-worker (the outbox).
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- A job is a row written in the same transaction as the change that causes
-- it (src/jobs/jobs.h: jobs_enqueue), so it commits or rolls back with that
-- change.  The AFTER INSERT trigger calls pg_notify('souk_jobs', kind):
-- PostgreSQL delivers the notification only when the inserting transaction
-- commits (never for a rollback), and souk-worker, which LISTENs on
-- souk_jobs, wakes up at once instead of at its next poll.
--
-- Life of a job:
--   queued  --claim-->  running  --success-->                   done
--                               --failure, attempts < max-->    queued (run_at = now() + back-off)
--                               --failure, attempts >= max,
--                                 or a permanent failure-->     dead
--   running, locked_at older than 10 minutes (a crashed worker) --> queued
--                                 (or dead when no attempt is left)
-- Claiming takes `FOR UPDATE SKIP LOCKED`, so any number of workers share
-- the queue.  attempts counts claims, including the running one.  Dead jobs
-- stay for the admin console; setting one back to 'queued' notifies the
-- workers too.  Done jobs are deleted by souk-worker after 7 days.

CREATE TABLE jobs (
	id		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		TEXT NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,63}$'),
	payload		JSONB NOT NULL,
	status		TEXT NOT NULL DEFAULT 'queued'
			CHECK (status IN ('queued', 'running', 'done', 'dead')),
	attempts	INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts	INT NOT NULL DEFAULT 8 CHECK (max_attempts >= 1),
	run_at		TIMESTAMPTZ NOT NULL DEFAULT now(),
	locked_at	TIMESTAMPTZ,
	locked_by	TEXT,
	last_error	TEXT,
	created_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated_at	TIMESTAMPTZ NOT NULL DEFAULT now(),
	finished_at	TIMESTAMPTZ,
	CHECK (status <> 'running' OR locked_at IS NOT NULL)
);

COMMENT ON TABLE jobs IS 'Work for souk-worker, written in the transaction that causes it (outbox).';
COMMENT ON COLUMN jobs.attempts IS 'Claims so far, including a running one.';
COMMENT ON COLUMN jobs.run_at IS 'Not claimed before this time (delays and retry back-off).';
COMMENT ON COLUMN jobs.locked_by IS 'host:pid of the worker that claimed the job last.';

-- Claiming: the oldest due queued job.
CREATE INDEX jobs_claim_idx ON jobs (run_at, id) WHERE status = 'queued';
-- Requeueing the jobs of crashed workers.
CREATE INDEX jobs_running_idx ON jobs (locked_at) WHERE status = 'running';
-- The admin console's list of dead jobs, newest first.
CREATE INDEX jobs_dead_idx ON jobs (updated_at DESC) WHERE status = 'dead';
-- Purging old done jobs.
CREATE INDEX jobs_done_idx ON jobs (finished_at) WHERE status = 'done';

CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs
	FOR EACH ROW EXECUTE FUNCTION souk_touch_updated_at();

-- souk_jobs_notify - AFTER trigger: wake the workers when the transaction
-- commits.  The payload is the job kind (identical notifications of one
-- transaction are folded into one by PostgreSQL).
CREATE FUNCTION souk_jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('souk_jobs', NEW.kind);
	RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
	FOR EACH ROW WHEN (NEW.status = 'queued')
	EXECUTE FUNCTION souk_jobs_notify();

-- A dead job put back by hand ('dead' -> 'queued').
CREATE TRIGGER jobs_notify_retry AFTER UPDATE OF status ON jobs
	FOR EACH ROW WHEN (OLD.status = 'dead' AND NEW.status = 'queued')
	EXECUTE FUNCTION souk_jobs_notify();
