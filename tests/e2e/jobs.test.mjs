// The job queue (sql/0004_jobs.sql), souk-worker and mail delivery. ./dev
// test runs souk-worker against the throwaway database, sending through the
// SMTP sink (tests/tools/smtp-sink.mjs), which stores each mail as JSON in
// SOUK_MAIL_DIR. Jobs are inserted with psql, as any transaction would; the
// sink refuses @tempfail.invalid (451) and @reject.invalid (550) recipients.
// Against ./dev up: SOUK_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:15432/souk
//   SOUK_MAIL_DIR=var/mail node --test tests/e2e/jobs.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { until, sqlRows, DB } from './helpers.mjs';

const MAIL_DIR = resolve(process.env.SOUK_MAIL_DIR || resolve(import.meta.dirname, '../../var/mail'));
const WORKER = process.env.SOUK_TEST_WORKER_BIN;
const WORKER_CONF = process.env.SOUK_TEST_WORKER_CONF;
const WORKER_PIDFILE = process.env.SOUK_TEST_WORKER_PIDFILE;
const RUN = `${process.pid}${Date.now().toString(36)}`;

/**
 * Runs SQL through psql; :'name' in the text is replaced by psql with the
 * quoted literal of vars[name] (so values are never pasted into SQL).
 * Returns the rows as arrays of strings.
 */
const sql = sqlRows;

/** Inserts a job; @columns maps more columns to SQL expressions (test constants). */
function enqueue(kind, payload, columns = {}) {
  const names = Object.keys(columns).map((c) => `, ${c}`).join('');
  const exprs = Object.values(columns).map((e) => `, ${e}`).join('');
  const [[id]] = sql(`INSERT INTO jobs (kind, payload${names}) VALUES (:'kind', :'payload'::jsonb${exprs}) RETURNING id`,
    { kind, payload: JSON.stringify(payload) });
  return Number(id);
}

function job(id) {
  const rows = sql(`SELECT status, attempts, coalesce(last_error, ''), run_at > now(),
                           extract(epoch FROM run_at - created_at)
                      FROM jobs WHERE id = :'id'`, { id });
  if (rows.length === 0) return null;
  const [status, attempts, lastError, future, delay] = rows[0];
  return { status, attempts: Number(attempts), lastError, future: future === 't', delay: Number(delay) };
}

/** Every mail the sink stored so far, oldest first. */
function mails() {
  if (!existsSync(MAIL_DIR)) return [];
  return readdirSync(MAIL_DIR).filter((f) => /^\d+-.*\.json$/.test(f)).sort()
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(MAIL_DIR, f), 'utf8')) }));
}

function mailTo(addr) {
  return mails().find((m) => m.to.includes(addr));
}

async function waitStatus(id, want, ms = 10000) {
  const j = await until(() => {
    const r = job(id);
    return r && want.includes(r.status) ? r : null;
  }, ms, 100);
  assert.ok(j, `job ${id} did not become ${want.join('/')} in ${ms} ms: ${JSON.stringify(job(id))}`);
  return j;
}

test('a mail job is rendered and delivered with a text and an HTML part', async () => {
  const to = `ada+${RUN}@example.com`;
  const link = `http://127.0.0.1:8080/verify?token=${RUN}&next=%2F`;
  const id = enqueue('mail', { template: 'verify_email', to, lang: 'en', data: { handle: `ada<${RUN}>`, link } });
  const mail = await until(() => mailTo(to), 10000, 100);
  assert.ok(mail, `no mail to ${to} in ${MAIL_DIR} after 10 s; job: ${JSON.stringify(job(id))}`);
  assert.equal(mail.subject, 'Confirm your e-mail address for Souk');
  assert.match(mail.from, /no-reply@souk\.invalid/);
  assert.deepEqual(mail.to, [to]);
  assert.match(mail.headers['content-type'] || '', /multipart\/alternative/);
  assert.match(mail.messageId, /^<[0-9a-f]{32}@souk\.invalid>$/);
  // plain text: the data as is, the link whole
  assert.ok(mail.text.includes(`Hi ada<${RUN}>,`), mail.text);
  assert.ok(mail.text.includes(link), mail.text);
  // HTML: escaped data, the link in an href
  assert.ok(mail.html.includes(`Hi ada&lt;${RUN}&gt;,`), mail.html);
  assert.ok(mail.html.includes(`href="${link.replace(/&/g, '&amp;')}"`), mail.html);
  assert.match(mail.html, /<html lang="en">/);
  assert.doesNotMatch(mail.html, /<img|<script|<link/);
  const j = await waitStatus(id, ['done']);
  assert.equal(j.attempts, 1);
  assert.equal(j.lastError, '');
});

test('UTF-8 data and a zh-CN mail survive the MIME encoding', async () => {
  const to = `chen+${RUN}@example.com`;
  const id = enqueue('mail', { template: 'two_factor_changed', to, lang: 'zh-CN', data: { handle: `陈静${RUN}`, enabled: true } });
  const mail = await until(() => mailTo(to), 10000, 100);
  assert.ok(mail, `no mail to ${to}; job: ${JSON.stringify(job(id))}`);
  assert.ok(mail.subject.length > 5);
  assert.ok(mail.text.includes(`陈静${RUN}`), mail.text);
  assert.ok(mail.html.includes(`陈静${RUN}`), mail.html);
  assert.match(mail.html, /<html lang="zh-CN">/);
  await waitStatus(id, ['done']);
});

test('a job of an unknown kind is dead at once', async () => {
  const id = enqueue('no_such_kind', { run: RUN });
  const j = await waitStatus(id, ['dead']);
  assert.equal(j.attempts, 1);
  assert.equal(j.lastError, 'unknown job kind');
});

test('a bad mail payload is dead at once, nothing is sent', async () => {
  const to = `nobody+${RUN}@example.com`;
  const a = enqueue('mail', { template: 'no_such_template', to });
  const b = enqueue('mail', { template: 'password_changed', to: `${to}\r\nBcc: eve@example.com`, data: { handle: 'x' } });
  const c = enqueue('mail', { template: 'password_changed', to, data: { handle: 'x\r\nBcc: eve@example.com' } });
  assert.match((await waitStatus(a, ['dead'])).lastError, /no template mail\/no_such_template/);
  assert.match((await waitStatus(b, ['dead'])).lastError, /payload\.to/);
  // data only reaches the bodies, never a header: this one is delivered
  await waitStatus(c, ['done']);
  assert.equal(mails().filter((m) => m.to.some((t) => t.includes('eve@'))).length, 0);
});

test('a refused mailbox (550) is dead after one attempt', async () => {
  const id = enqueue('mail', { template: 'password_changed', to: `x${RUN}@reject.invalid`, data: { handle: 'x' } });
  const j = await waitStatus(id, ['dead']);
  assert.equal(j.attempts, 1);
  assert.match(j.lastError, /550/);
});

test('a temporary failure (451) is retried with back-off until max_attempts', async () => {
  const id = enqueue('mail', { template: 'password_changed', to: `x${RUN}@tempfail.invalid`, data: { handle: 'x' } },
    { max_attempts: '2' });
  const first = await until(() => {
    const r = job(id);
    return r && r.attempts === 1 && r.status === 'queued' && r.lastError ? r : null;
  }, 10000, 50);
  assert.ok(first, `job ${id} was not requeued after its first failure: ${JSON.stringify(job(id))}`);
  assert.match(first.lastError, /451/);
  // 2^1 s plus up to 25 %: not due yet right after the failure
  assert.ok(first.future || job(id).attempts === 2, 'run_at moved into the future');
  const j = await waitStatus(id, ['dead'], 15000);
  assert.equal(j.attempts, 2);
  assert.match(j.lastError, /451/);
});

test('jobs_enqueue: a delayed job runs after its delay, woken by NOTIFY at commit', { skip: !WORKER && 'SOUK_TEST_WORKER_BIN not set' }, async () => {
  const to = `later+${RUN}@example.com`;
  const payload = { template: 'password_reset', to, lang: 'en', data: { handle: 'later', link: `http://127.0.0.1/reset?t=${RUN}` } };
  const out = execFileSync(WORKER, ['-c', WORKER_CONF, 'enqueue', 'mail', JSON.stringify(payload), '2'],
    { encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB } });
  const id = Number(out.trim());
  assert.ok(id > 0, out);
  const j0 = job(id);
  assert.ok(Math.abs(j0.delay - 2) < 0.5, `run_at - created_at = ${j0.delay}`);
  const t0 = Date.now();
  const mail = await until(() => mailTo(to), 10000, 100);
  assert.ok(mail, `no mail to ${to}; job: ${JSON.stringify(job(id))}`);
  assert.ok(Date.now() - t0 >= 1000, 'delivered before its delay');
  assert.equal(mail.subject, 'Reset your Souk password');
  await waitStatus(id, ['done']);

  // no delay: delivered well before the worker's 5 s idle poll would notice
  const to2 = `now+${RUN}@example.com`;
  const t1 = Date.now();
  execFileSync(WORKER, ['-c', WORKER_CONF, 'enqueue', 'mail', JSON.stringify({ ...payload, to: to2 })],
    { encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB } });
  assert.ok(await until(() => mailTo(to2), 10000, 50), `no mail to ${to2}`);
  assert.ok(Date.now() - t1 < 4500, `took ${Date.now() - t1} ms`);
});

test('a job left running by a crashed worker is requeued and runs again', { skip: !WORKER_PIDFILE && 'SOUK_TEST_WORKER_PIDFILE not set' }, async () => {
  const to = `ghost+${RUN}@example.com`;
  const id = enqueue('mail', { template: 'password_changed', to, data: { handle: 'ghost' } },
    { status: "'running'", attempts: '1', locked_at: "now() - interval '11 minutes'", locked_by: "'ghost:1'" });
  // SIGHUP makes the worker look for stale jobs at once (it does every minute anyway)
  process.kill(Number(readFileSync(WORKER_PIDFILE, 'utf8').trim()), 'SIGHUP');
  const mail = await until(() => mailTo(to), 10000, 100);
  assert.ok(mail, `no mail to ${to}; job: ${JSON.stringify(job(id))}`);
  const j = await waitStatus(id, ['done']);
  assert.equal(j.attempts, 2);
});

test('a rolled back transaction leaves no job behind (outbox)', () => {
  const marker = `rollback-${RUN}`;
  sql(`BEGIN;
       INSERT INTO jobs (kind, payload) VALUES ('mail', jsonb_build_object('marker', :'marker'::text));
       ROLLBACK;`, { marker });
  const [[n]] = sql(`SELECT count(*) FROM jobs WHERE payload->>'marker' = :'marker'`, { marker });
  assert.equal(n, '0');
});
