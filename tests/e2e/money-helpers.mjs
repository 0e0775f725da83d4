// Shared helpers of the money tests (money-*.test.mjs): users with a Redis
// session, active gigs made with psql, an HTTP client with a cookie jar,
// checkout, the gateway simulator (souk-paysim) and its control knobs, the
// test clock and soukctl money-sweep.  Contract: /tmp/souk-money-contract.md.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BASE, get, decode, stripTags, sleep, pngBytes } from './helpers.mjs';

const execFileP = promisify(execFile);
const ROOT = resolve(import.meta.dirname ?? '.', '../..');

export const DB = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';
export const REDIS = process.env.SOUK_TEST_REDIS_URL || 'redis://127.0.0.1:16379';
export const PAYSIM = (process.env.SOUK_TEST_PAYSIM_URL || '').replace(/\/+$/, '');
export const WORKER_CONF = process.env.SOUK_TEST_WORKER_CONF || resolve(ROOT, 'var/souk-web.conf');
export const SOUKCTL = process.env.SOUK_TEST_SOUKCTL ||
  [process.env.SOUK_TEST_WORKER_BIN && resolve(dirname(process.env.SOUK_TEST_WORKER_BIN), 'soukctl'),
    resolve(ROOT, 'var/build-test/soukctl'), resolve(ROOT, 'var/build/soukctl')].find((f) => f && existsSync(f));
export const RUN = (process.pid.toString(36) + Date.now().toString(36).slice(-5)).slice(-9);
export { BASE };

// role_t (src/identity/session.c): bit i of a session's role mask is role i
const BIT = { BUYER: 1, SELLER: 2, SUPPORT: 3, MODERATOR: 4, FINANCE: 5, ADMIN: 6, SUPER_ADMIN: 7 };
const STAFF = ['SUPPORT', 'MODERATOR', 'FINANCE', 'ADMIN', 'SUPER_ADMIN'];

function psqlArgs(params) {
  const args = ['-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', DB];
  params.forEach((p, i) => args.push('-v', `v${i + 1}=${p}`));
  return args;
}
/** psql with :'vN' variables (values are never pasted into SQL); trimmed output. */
export function sql(query, ...params) {
  return execFileSync('psql', psqlArgs(params), { input: query, encoding: 'utf8' }).trim();
}
/** sql() without blocking the event loop (while a browser or a server runs). */
export async function sqlAsync(query, ...params) {
  const child = execFileP('psql', psqlArgs(params), { encoding: 'utf8' });
  child.child.stdin.end(query);
  return (await child).stdout.trim();
}
/** Like sql() but expects a failure: {status, stdout, stderr}. */
export function sqlFails(query, ...params) {
  const r = spawnSync('psql', psqlArgs(params), { input: query, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}
export function redis(...args) {
  return execFileSync('redis-cli', ['-u', REDIS, ...args.map(String)], { encoding: 'utf8' }).trim();
}

/** Polls fn() until it returns truthy or @ms pass; the last value. */
export async function waitFor(fn, ms = 20000, step = 200) {
  const end = Date.now() + ms;
  for (;;) {
    let v;
    try { v = await fn(); } catch { v = undefined; }
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
}

let seq = 0;
/**
 * A user made with psql (SELLER: with a profile; staff: with 2FA on) and
 * signed in through a session written into Redis as session_start does.
 * Returns {id, handle, email, token, cookie, csrf, roles}.
 */
export function user(tag, roles = []) {
  const handle = `m${tag}${++seq}_${RUN}`.replace(/[^a-z0-9_]/g, '').slice(0, 32);
  const email = `${handle}@example.test`;
  const id = Number(sql("INSERT INTO users (email, handle, email_verified_at) VALUES (:'v1', :'v2', now()) RETURNING id",
    email, handle));
  let mask = 1 << BIT.BUYER;
  for (const r of roles) {
    sql("INSERT INTO user_roles (user_id, role) VALUES (:'v1', :'v2')", id, r);
    mask |= 1 << BIT[r];
  }
  if (roles.includes('SELLER'))
    sql("INSERT INTO profiles (user_id, display_name, country) VALUES (:'v1', :'v2', 'ZA')", id, `Seller ${handle}`);
  if (roles.some((r) => STAFF.includes(r)))
    sql("INSERT INTO user_totp (user_id, secret_sealed, confirmed_at) VALUES (:'v1', 'e2e-not-a-secret', now())", id);
  const token = randomBytes(32).toString('base64url');
  const key = 'sess:' + createHash('sha256').update(token).digest('hex');
  const secret = randomBytes(32).toString('hex');
  const now = Math.floor(Date.now() / 1000);
  redis('HSET', key, 'uid', id, 'handle', handle, 'roles', mask, 'csrf', secret,
    'created', now, 'seen', now, 'abs_exp', now + 12 * 3600, 'remember', 0);
  redis('EXPIRE', key, 12 * 3600);
  redis('SADD', `usess:${id}`, key);
  const csrf = createHmac('sha256', Buffer.from(secret, 'hex')).update('souk-csrf-v1').digest('hex');
  return { id, handle, email, token, cookie: `souk_sess=${token}`, csrf, roles };
}

/**
 * An active gig of @seller in @currency with three packages, extras and
 * requirements (a text question and a file question), made with psql as
 * an approved wizard leaves it.  Prices in minor units.
 * Returns {id, slug, path, currency, packages: {basic, standard, premium}: {price, days, revisions},
 *          extras: [{id, kind, title, price, days}], requirements: [{position, kind}]}.
 */
export function activeGig(seller, currency, { requirements = true, revisions = 1 } = {}) {
  const n = ++seq;
  const slug = `money-gig-${RUN}-${n}`.replace(/_/g, '-');
  const title = `I will build a money test site ${RUN} ${n}`;
  const id = Number(sql(`INSERT INTO gigs (seller_id, category_id, title, slug, description, description_html, status, currency, approved_at)
    SELECT :'v1', c.id, :'v2', :'v3', 'A gig for the money tests.', '<p>A gig for the money tests.</p>', 'draft', :'v4', now()
      FROM categories c WHERE c.parent_id IS NOT NULL ORDER BY c.id LIMIT 1 RETURNING id`,
  seller.id, title, slug, currency).split('\n')[0]);
  const base = currency === 'ZAR' ? 45000 : currency === 'CNY' ? 30000 : 2500;
  const packages = {
    basic: { price: base, days: 5, revisions },
    standard: { price: base * 2, days: 4, revisions },
    premium: { price: base * 4, days: 3, revisions: -1 },
  };
  for (const [tier, p] of Object.entries(packages))
    sql(`INSERT INTO gig_packages (gig_id, tier, name, description, price_minor, currency, delivery_days, revisions, features)
      VALUES (:'v1', :'v2', :'v3', 'What you get', :'v4', :'v5', :'v6', :'v7', '{}')`,
    id, tier, tier[0].toUpperCase() + tier.slice(1), p.price, currency, p.days, p.revisions);
  const extras = [];
  const addExtra = (kind, tier, xtitle, price, days, pos) => {
    const eid = Number(sql(`INSERT INTO gig_extras (gig_id, kind, tier, title, price_minor, added_days, position)
      VALUES (:'v1', :'v2', NULLIF(:'v3', ''), :'v4', :'v5', :'v6', :'v7') RETURNING id`,
    id, kind, tier, xtitle, price, days, pos).split('\n')[0]);
    extras.push({ id: eid, kind, tier: tier || null, title: xtitle, price, days });
  };
  addExtra('custom', '', 'Source files', Math.round(base / 5), 1, 1);
  addExtra('extra_revision', '', '', Math.round(base / 10), 1, 2);
  const reqs = [];
  if (requirements) {
    sql(`INSERT INTO gig_requirements (gig_id, position, question, kind, required) VALUES
      (:'v1', 1, 'What is the name of your business?', 'text', true),
      (:'v1', 2, 'Your logo, if you have one', 'file', false)`, id);
    reqs.push({ position: 1, kind: 'text' }, { position: 2, kind: 'file' });
  }
  sql("UPDATE gigs SET status = 'active', approved_at = now() WHERE id = :'v1'", id);
  return { id, slug, title, path: `/${seller.handle}/${slug}`, currency, packages, extras, requirements: reqs };
}

/** An HTTP client signed in as @u (or anonymous), never following redirects. */
export class Client {
  constructor(u) { this.u = u; this.cookies = new Map(); if (u) this.cookies.set('souk_sess', u.token); }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  keep(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim(), value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name); else this.cookies.set(name, value);
    }
    return res;
  }
  async get(path, headers = {}) {
    return this.keep(await get(path, { headers: { cookie: this.header(), ...headers } }));
  }
  /** POST a form; @fields an object or [[k, v], ...] (repeated keys); csrf added when signed in. */
  async post(path, fields = {}, { csrf = true } = {}) {
    const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields));
    if (csrf && this.u && !body.has('csrf')) body.append('csrf', this.u.csrf);
    return this.keep(await get(path, {
      method: 'POST', body: body.toString(),
      headers: { cookie: this.header(), 'content-type': 'application/x-www-form-urlencoded' },
    }));
  }
  /** POST multipart/form-data; @files [{field, name, type, data}]. */
  async postMultipart(path, fields = {}, files = []) {
    const fd = new FormData();
    for (const [k, v] of Array.isArray(fields) ? fields : Object.entries(fields)) fd.append(k, v);
    if (this.u && !fd.has('csrf')) fd.append('csrf', this.u.csrf);
    for (const f of files) fd.append(f.field, new Blob([f.data], { type: f.type }), f.name);
    return this.keep(await get(path, { method: 'POST', body: fd, headers: { cookie: this.header() } }));
  }
}

export const locationOf = (res) => {
  const l = res.headers.get('location') || '';
  return l.startsWith(BASE) ? l.slice(BASE.length) : l;
};
export const text = (res) => stripTags(res.text_ || '');

/** A fresh idempotency key ([A-Za-z0-9_-]{16,64}). */
export const idemKey = () => randomBytes(18).toString('base64url');

/**
 * POST /checkout for @gig as @client: {tier, quantity, extras (ids), gateway, key}.
 * Returns the response; .reference is set on a 303 to /payments/<ref>/go.
 */
export async function checkout(client, gig, { tier = 'basic', quantity = 1, extras = [], gateway, key = idemKey(), useCredit = 0 } = {}) {
  const fields = [['gig', String(gig.id)], ['package', tier], ['quantity', String(quantity)]];
  for (const e of extras) fields.push(['extra', String(e)]);
  fields.push(['gateway', gateway], ['use_credit', String(useCredit)], ['idempotency_key', key]);
  const res = await client.post('/checkout', fields);
  const m = locationOf(res).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/);
  res.reference = m ? m[1] : null;
  return res;
}

/** The payment row of reference @ref with its order's state. */
export function payment(ref) {
  const row = sql(`SELECT p.id, p.order_id, p.state, p.amount_minor, p.credit_minor, p.gateway, p.currency,
      coalesce(p.gateway_txn_id, ''), o.state, o.total_minor
    FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.reference = :'v1'`, ref);
  if (!row) return null;
  const [id, orderId, state, amount, credit, gateway, currency, txn, orderState, total] = row.split('|');
  return { id: Number(id), orderId: Number(orderId), state, amount: Number(amount), credit: Number(credit),
    gateway, currency, txn, orderState, total: Number(total) };
}
export async function paymentAsync(ref) {
  const row = await sqlAsync(`SELECT p.state || '|' || o.state FROM payments p JOIN orders o ON o.id = p.order_id
    WHERE p.reference = :'v1'`, ref);
  const [state, orderState] = row.split('|');
  return { state, orderState };
}

// ---- the gateway simulator -------------------------------------------------

export const havePaysim = () => Boolean(PAYSIM);

async function simFetch(path, init = {}) {
  const res = await fetch(PAYSIM + path, { redirect: 'manual', ...init, signal: AbortSignal.timeout(init.timeout ?? 30000) });
  res.text_ = await res.text();
  return res;
}
/** POST base/_control: fault knobs for the next notification(s) of @reference. */
export async function simControl(body) {
  const res = await simFetch('/_control', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status < 300, `paysim /_control ${JSON.stringify(body)}: ${res.status} ${res.text_.slice(0, 200)}`);
  return res.text_ ? JSON.parse(res.text_) : null;
}
/** GET base/_log[?gateway=&reference=&kind=&since=]: every notification attempt and answer. */
export async function simLog(query = {}) {
  const q = new URLSearchParams(query).toString();
  const res = await simFetch(`/_log${q ? `?${q}` : ''}`);
  assert.equal(res.status, 200, `paysim /_log: ${res.status}`);
  return JSON.parse(res.text_);
}
/** POST base/_pay/<gateway>/<reference> {action}: what the hosted page's buttons do. */
export async function simPay(gateway, reference, action = 'approve') {
  const res = await simFetch(`/_pay/${gateway}/${reference}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action }),
  });
  return res;
}

/** GET base/_txn/<gateway>/<reference>: the simulator's record (state, refunds, refunded_minor). */
export async function simTxn(gateway, reference) {
  const res = await simFetch(`/_txn/${gateway}/${reference}`);
  assert.equal(res.status, 200, `paysim /_txn/${gateway}/${reference}: ${res.status}`);
  return JSON.parse(res.text_);
}

/** The attributes and hidden fields of the first <form> in @html. */
export function formOf(html, id) {
  const m = id ? html.match(new RegExp(`<form\\b([^>]*\\bid="${id}"[^>]*)>([\\s\\S]*?)<\\/form>`))
    : html.match(/<form\b([^>]*)>([\s\S]*?)<\/form>/);
  if (!m) return null;
  const attr = (n) => { const a = m[1].match(new RegExp(`\\b${n}="([^"]*)"`)); return a ? decode(a[1]) : null; };
  const fields = [];
  for (const i of m[2].matchAll(/<input\b[^>]*>/g)) {
    const name = i[0].match(/\bname="([^"]*)"/), value = i[0].match(/\bvalue="([^"]*)"/);
    if (name) fields.push([decode(name[1]), value ? decode(value[1]) : '']);
  }
  return { action: attr('action'), method: (attr('method') || 'get').toLowerCase(), fields };
}

/**
 * Hands payment @ref over to the simulator as a browser would, without a
 * browser: GET /payments/<ref>/go, then submit its form (or follow its
 * redirect) to the simulator's hosted page.  Returns the hosted page's
 * response.
 */
export async function handOff(client, ref) {
  const res = await client.get(`/payments/${ref}/go`);
  let target, init;
  if (res.status === 303 || res.status === 302) {
    target = res.headers.get('location');
    init = {};
  } else {
    assert.equal(res.status, 200, `GET /payments/${ref}/go: ${res.status} ${text(res).slice(0, 300)}`);
    const form = formOf(res.text_, 'gateway-form');
    assert.ok(form && form.action, 'a hand-off form');
    target = form.action;
    if (form.method === 'post') {
      init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form.fields).toString() };
    } else {
      const u = new URL(target, BASE);
      for (const [k, v] of form.fields) u.searchParams.append(k, v);
      target = u.toString(); init = {};
    }
  }
  assert.ok(target.startsWith(PAYSIM), `the hand-off goes to the simulator (${target})`);
  const page = await fetch(target, { redirect: 'manual', ...init, signal: AbortSignal.timeout(30000) });
  page.text_ = await page.text();
  assert.ok(page.status < 400, `the simulator's hosted page: ${page.status} ${page.text_.slice(0, 300)}`);
  return page;
}

/** Waits until payment @ref is paid (the notification is asynchronous). */
export async function waitPaid(ref, ms = 30000) {
  const ok = await waitFor(async () => (await paymentAsync(ref)).state === 'paid', ms, 200);
  assert.ok(ok, `payment ${ref} paid within ${ms} ms: ${JSON.stringify(await paymentAsync(ref))}`);
}

/**
 * checkout + hand-off + approve in the simulator + wait until paid:
 * returns {ref, orderId}.
 */
export async function buy(client, gig, opts) {
  const res = await checkout(client, gig, opts);
  assert.equal(res.status, 303, `checkout: ${res.status} ${text(res).slice(0, 300)}`);
  assert.ok(res.reference, `checkout → /payments/<ref>/go (${locationOf(res)})`);
  await handOff(client, res.reference);
  const pay = await simPay(opts.gateway, res.reference, 'approve');
  assert.ok(pay.status < 400, `paysim approve ${res.reference}: ${pay.status} ${pay.text_.slice(0, 200)}`);
  await waitPaid(res.reference);
  return { ref: res.reference, orderId: payment(res.reference).orderId };
}

// ---- time and sweeps ---------------------------------------------------------

/** Moves the test clock forward by @seconds (never back: other tests share it). */
export function advanceClock(seconds) {
  return Number(sql("UPDATE clock_offset SET offset_s = offset_s + :'v1' RETURNING offset_s", Math.floor(seconds)));
}
/** The seconds until the next Monday 00:00 UTC of souk_now(), plus @plus. */
export function secondsToNextMonday(plus = 3600) {
  return Number(sql("SELECT extract(epoch FROM date_trunc('week', souk_now()) + interval '7 days' - souk_now())::bigint")) + plus;
}
/** soukctl money-sweep once (orders_sweep, clearance, weekly batch); its output. */
export async function moneySweep() {
  assert.ok(SOUKCTL, 'the soukctl binary');
  const { stdout, stderr } = await execFileP(SOUKCTL, ['-c', WORKER_CONF, 'money-sweep'],
    { encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB }, timeout: 60000 });
  return stdout + stderr;
}

/** A small valid PNG (40x30, a gradient), for file uploads. */
export const tinyPng = () => pngBytes(40, 30);

// ---- the refund job raced against itself ---------------------------------------

/**
 * Runs the refund job of @orderId's cancellation twice at the same moment,
 * as a retried job does while its first run still waits for the gateway
 * (several workers share the queue; souk-worker.c).  The stack's worker
 * and a second souk-worker started here are paused (SIGSTOP) while the
 * buyer cancels and a second "refund" job for the same refund is queued;
 * the test then holds the refund's row lock (SELECT ... FOR UPDATE in its
 * own transaction), resumes both workers, waits until both runs are
 * blocked on that lock, and releases it: both runs read the refund at the
 * same time, before either has called the gateway.
 */
export async function cancelWithRefundRunTwice(b, orderId) {
  const mainPid = Number(readFileSync(process.env.SOUK_TEST_WORKER_PIDFILE, 'utf8').trim());
  const second = spawn(process.env.SOUK_TEST_WORKER_BIN, ['-c', WORKER_CONF], { env: { ...process.env, SOUK_DATABASE_URL: DB }, stdio: 'ignore' });
  let holder = null;
  try {
    await sleep(1500);     // the second worker connects and LISTENs
    assert.equal(second.exitCode, null, 'a second souk-worker runs');
    process.kill(mainPid, 'SIGSTOP');
    process.kill(second.pid, 'SIGSTOP');
    let refundId;
    try {
      const r = await b.post(`/orders/${orderId}/cancel`, { reason: 'Changed my mind', idempotency_key: idemKey() });
      assert.equal(r.status, 303, `cancel: ${r.status} ${text(r).slice(0, 300)}`);
      refundId = sql("SELECT id FROM refunds WHERE order_id = :'v1' AND method = 'gateway'", orderId);
      assert.match(refundId, /^\d+$/, 'a gateway refund');
      sql(`INSERT INTO jobs (kind, payload) VALUES ('refund', jsonb_build_object('refund_id', :'v1'::bigint));
           SELECT pg_notify('souk_jobs', '')`, refundId);
      // hold the refund's row lock in a transaction of our own
      holder = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', DB], { stdio: ['pipe', 'pipe', 'pipe'] });
      holder.stdin.write(`BEGIN;\nSELECT 'locked' FROM refunds WHERE id = ${Number(refundId)} FOR UPDATE;\n`);
      const locked = await new Promise((res) => {
        let out = '';
        holder.stdout.on('data', (d) => { out += d; if (out.includes('locked')) res(true); });
        setTimeout(() => res(false), 10000);
      });
      assert.ok(locked, 'the test holds the refund row lock');
    } finally {
      process.kill(second.pid, 'SIGCONT');
      process.kill(mainPid, 'SIGCONT');
    }
    const waiting = await waitFor(() => Number(sql(`SELECT count(*) FROM pg_stat_activity
      WHERE wait_event_type = 'Lock' AND query ILIKE '%FROM refunds WHERE id%FOR UPDATE%'`)) >= 2, 15000, 50);
    holder.stdin.end('COMMIT;\n');
    assert.ok(waiting, 'both refund runs wait for the refund row');
    const done = await waitFor(() => sql(`SELECT count(*) FROM jobs WHERE kind = 'refund' AND payload->>'refund_id' = :'v1'
      AND status IN ('queued', 'running')`, refundId) === '0' && sql("SELECT state FROM refunds WHERE id = :'v1'", refundId) !== 'requested', 30000);
    assert.ok(done, `the refund jobs ran: ${sql("SELECT string_agg(id || ':' || status || ':' || coalesce(last_error, ''), ', ') FROM jobs WHERE kind = 'refund' AND payload->>'refund_id' = :'v1'", refundId)}`);
    return Number(refundId);
  } finally {
    if (holder && holder.exitCode === null) holder.stdin.end();
    if (second.exitCode === null) {
      second.kill('SIGCONT');
      second.kill('SIGTERM');
      await new Promise((r) => { second.once('exit', r); setTimeout(r, 10000); });
    }
  }
}
