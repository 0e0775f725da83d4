// Two-factor authentication end to end, through nginx, PostgreSQL and Redis:
// enrolment (QR code, the secret read off the page, the first code), the
// second step of logging in (wrong code, right code, replay refused,
// recovery codes once each, five wrong codes drop the pending log-in), new
// recovery codes, turning it off, and the rule that staff must use it.
//
// The test is the authenticator app: it base32-decodes the secret shown on
// the set-up page and computes RFC 6238 codes with node's HMAC-SHA1.  The
// server accepts the steps now-1 .. now+1 and each step once, so a fresh
// code is the one of max(now, last used + 1), waiting only when that is
// beyond now+1.
//
// Accounts come from the real /signup and /login forms when the accounts
// module serves them; otherwise users are inserted with psql and sessions
// and pending log-ins written straight into Redis, in the formats of
// src/identity/session.h and src/twofa/twofa.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { BASE, get, decode, stripTags, sleep, sql, redis, sha256hex, csrfOf, writeSession } from './helpers.mjs';

const STEP = 30;
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;

// ---- TOTP, as an authenticator app computes it -----------------------------

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0, value = 0;
  const out = [];
  for (const c of clean) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `base32 character ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function hotp(key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac('sha1', key).update(msg).digest();
  const off = h[h.length - 1] & 0x0f;
  const bin = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

const nowStep = () => Math.floor(Date.now() / 1000 / STEP);

/** An authenticator for one secret that remembers the last step it gave out. */
class Authenticator {
  constructor(key) { this.key = key; this.last = -1; }
  /** A code the server has not seen yet, waiting for the clock if it must. */
  async fresh() {
    let s = Math.max(nowStep(), this.last + 1);
    while (s > nowStep() + 1) await sleep(500);
    s = Math.max(s, nowStep());
    this.last = s;
    return hotp(this.key, s);
  }
  /** Six digits that match none of the steps the server would accept now. */
  wrong() {
    const t = nowStep();
    const valid = new Set([t - 2, t - 1, t, t + 1, t + 2].map((s) => hotp(this.key, s)));
    let n = (Number(hotp(this.key, t)) + 500_000) % 1_000_000;
    while (valid.has(String(n).padStart(6, '0'))) n = (n + 1) % 1_000_000;
    return String(n).padStart(6, '0');
  }
}

// RFC 6238 appendix B, SHA-1: the test's own arithmetic is right.
test('the test authenticator matches the RFC 6238 vectors', () => {
  const key = Buffer.from('12345678901234567890');
  const vectors = [[59, '94287082'], [1111111109, '07081804'], [1234567890, '89005924']];
  for (const [t, code] of vectors) assert.equal(hotp(key, Math.floor(t / 30)), code.slice(2));
});

// ---- a browser: cookies and forms ------------------------------------------

class Browser {
  constructor() { this.cookies = new Map(); }
  cookieHeader(path) {
    const out = [];
    for (const [name, c] of this.cookies) {
      if (path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
        out.push(`${name}=${c.value}`);
    }
    return out.join('; ');
  }
  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq), value = pair.slice(eq + 1);
      const a = Object.fromEntries(attrs.map((x) => {
        const i = x.indexOf('=');
        return i < 0 ? [x.toLowerCase(), true] : [x.slice(0, i).toLowerCase(), x.slice(i + 1)];
      }));
      if (a['max-age'] === '0' || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path: a.path || '/', attrs: a, raw: line });
    }
  }
  async get(path) {
    const res = await get(path, { headers: { cookie: this.cookieHeader(path.split('?')[0]) } });
    this.store(res);
    return res;
  }
  async post(path, fields) {
    const res = await get(path, {
      method: 'POST',
      headers: {
        cookie: this.cookieHeader(path.split('?')[0]),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.store(res);
    return res;
  }
  /** GET @path, then submit the form posting to @action with @fill(name, input) values. */
  async submit(path, action, fill) {
    const res = await this.get(path);
    const form = findForm(res.text_, action);
    assert.ok(form, `a form posting to ${action} on ${path} (status ${res.status})`);
    const fields = {};
    for (const input of form.inputs) {
      const v = fill(input.name, input);
      if (v !== undefined && v !== null) fields[input.name] = v;
      else if (input.type === 'hidden') fields[input.name] = input.value;
    }
    return this.post(action, fields);
  }
  get signedIn() { return this.cookies.has('souk_sess'); }
}

/** The first <form method=post action=@action> of @html: its inputs {name, type, value}. */
function findForm(html, action) {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const act = (m[1].match(/\baction="([^"]*)"/) || [])[1];
    if (act === undefined || decode(act).split('?')[0] !== action) continue;
    if (!/method="post"/i.test(m[1])) continue;
    const inputs = [];
    for (const i of m[2].matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
      const name = (i[2].match(/\bname="([^"]*)"/) || [])[1];
      if (!name) continue;
      inputs.push({
        name,
        type: i[1] === 'input' ? ((i[2].match(/\btype="([^"]*)"/) || [])[1] || 'text') : i[1],
        value: decode((i[2].match(/\bvalue="([^"]*)"/) || [])[1] || ''),
        tag: i[2],
      });
    }
    return { inputs };
  }
  return null;
}

// ---- accounts: the real flows when they exist, else psql + Redis --------------

let realAccounts;
async function accountsAvailable() {
  if (realAccounts === undefined) {
    const [s, l] = await Promise.all([get('/signup'), get('/login')]);
    realAccounts = s.status === 200 && l.status === 200 &&
      findForm(s.text_, '/signup') !== null && findForm(l.text_, '/login') !== null;
    if (!realAccounts) console.log('# twofa: no /signup and /login forms: users via psql, sessions via Redis');
  }
  return realAccounts;
}

function newUser(tag) {
  const handle = `tfa_${tag}_${RUN}`.slice(0, 32);
  return { handle, email: `${handle}@example.test`, password: `Tfa-${randomBytes(9).toString('base64url')}` };
}

/** Retry while the rate limiter answers 429 (other test files log in too). */
async function patiently(fn) {
  for (let i = 0; ; i++) {
    const res = await fn();
    if (res.status !== 429 || i >= 4) return res;
    const wait = Math.min(Number(res.headers.get('retry-after') || 5), 60);
    await sleep(wait * 1000 + 200);
  }
}

async function createUser(user, roles = []) {
  if (await accountsAvailable()) {
    const b = new Browser();
    const res = await patiently(() => b.submit('/signup', '/signup', (name, input) => {
      if (input.type === 'hidden') return undefined;
      if (/mail/i.test(name)) return user.email;
      if (/handle|user/i.test(name)) return user.handle;
      if (/pass/i.test(name)) return user.password;
      if (input.type === 'checkbox' && /terms|agree|accept/i.test(name)) return input.value || 'on';
      return undefined;
    }));
    assert.ok([200, 302, 303].includes(res.status), `sign-up: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
    user.id = Number(sql("SELECT id FROM users WHERE handle = :'v1'", user.handle));
    assert.ok(user.id > 0, `the account ${user.handle} exists after signing up`);
  } else {
    user.id = Number(sql("INSERT INTO users (email, handle) VALUES (:'v1', :'v2') RETURNING id",
      user.email, user.handle));
  }
  for (const r of roles)
    sql("INSERT INTO user_roles (user_id, role) VALUES (:'v1', :'v2') ON CONFLICT DO NOTHING", user.id, r);
  return user;
}

const ROLE_BITS = { SELLER: 2, SUPPORT: 3, MODERATOR: 4, FINANCE: 5, ADMIN: 6, SUPER_ADMIN: 7 };
const roleMask = (roles) => roles.reduce((m, r) => m | (1 << ROLE_BITS[r]), 0);

/** A session written into Redis as session_start() writes it (fallback only). */
function forgeSession(b, user, roles = []) {
  const token = writeSession(user, roleMask(roles));
  b.cookies.set('souk_sess', { value: token, path: '/', attrs: {} });
}

/** A pending log-in written into Redis as twofa_begin_login() writes it. */
function forgePending(b, user, next = '', roles = []) {
  const token = randomBytes(32).toString('base64url');
  const key = `login2fa:${sha256hex(token)}`;
  redis('HSET', key, 'uid', String(user.id), 'handle', user.handle, 'roles', String(roleMask(roles)),
    'remember', '0', 'attempts', '0', 'next', next);
  redis('EXPIRE', key, '300');
  b.cookies.set('souk_2fa', { value: token, path: '/login', attrs: {} });
}

/** Log in with the password: returns the response of POST /login. */
async function passwordLogin(b, user) {
  return patiently(() => b.submit('/login', '/login', (name, input) => {
    if (input.type === 'hidden') return undefined;
    if (/pass/i.test(name)) return user.password;
    if (/mail|login|user|ident|handle|account/i.test(name)) return user.email;
    return undefined;
  }));
}

/** A signed-in browser for @user (a fresh one). */
async function signIn(user, roles = []) {
  const b = new Browser();
  if (await accountsAvailable()) {
    const res = await passwordLogin(b, user);
    assert.equal(res.status, 303, `log in ${user.handle}: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
    assert.ok(b.signedIn, 'a session cookie after logging in');
  } else {
    forgeSession(b, user, roles);
  }
  return b;
}

/** A fresh browser at the second step of logging in (password accepted). */
async function atSecondStep(user, next = '') {
  const b = new Browser();
  if ((await accountsAvailable()) && next === '') {
    const res = await passwordLogin(b, user);
    assert.equal(res.status, 303, `password accepted: ${res.status} ${stripTags(res.text_).slice(0, 200)}`);
    assert.equal(res.headers.get('location'), '/login/2fa', 'the password step hands over to /login/2fa');
    assert.ok(!b.signedIn, 'no session before the second step');
    const c = b.cookies.get('souk_2fa');
    assert.ok(c, 'the souk_2fa cookie');
    assert.equal(c.attrs.path, '/login');
    assert.ok(c.attrs.httponly, 'souk_2fa is HttpOnly');
    assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax');
  } else {
    forgePending(b, user, next);
  }
  return b;
}

/** Turn 2FA on for the signed-in browser @b; returns {auth, codes}. */
async function enable(b) {
  let res = await b.get('/account/2fa');
  assert.equal(res.status, 200);
  assert.match(res.text_, /data-twofa="off"/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  res = await b.post('/account/2fa/setup', { csrf: csrfOf(res.text_) });
  assert.equal(res.status, 200, `set-up page: ${stripTags(res.text_).slice(0, 300)}`);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const svg = res.text_.match(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*aria-label="QR code"[\s\S]*?<\/svg>/);
  assert.ok(svg, 'an inline SVG QR code');
  assert.doesNotMatch(svg[0], /style=/, 'no style attributes (CSP)');
  const secret = decode(res.text_.match(/id="twofa-secret">([^<]+)</)[1]);
  assert.match(secret, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, `the key in groups of four: ${secret}`);
  const uri = decode(res.text_.match(/href="(otpauth:\/\/[^"]+)"/)[1]);
  assert.match(uri, /^otpauth:\/\/totp\/Souk:[^?]+\?secret=[A-Z2-7]+&issuer=Souk/);
  assert.equal(new URL(uri).searchParams.get('secret'), secret.replace(/ /g, ''));
  const auth = new Authenticator(base32Decode(secret));
  assert.equal(auth.key.length, 20, '160-bit secret');

  // Stored sealed, never in clear; pending until a code comes back.
  const row = sql("SELECT secret_sealed || ' ' || (confirmed_at IS NULL) FROM user_totp WHERE user_id = :'v1'", b.user.id);
  assert.ok(!row.includes(secret.replace(/ /g, '')), 'the secret is sealed at rest');
  assert.match(row, / true$/, 'pending until confirmed');

  // A wrong first code keeps the same secret on the page.
  res = await b.post('/account/2fa/confirm', { csrf: csrfOf(res.text_), code: auth.wrong() });
  assert.equal(res.status, 422);
  assert.equal(decode(res.text_.match(/id="twofa-secret">([^<]+)</)[1]), secret);

  const before = b.cookies.get('souk_sess').value;
  res = await b.post('/account/2fa/confirm', { csrf: csrfOf(res.text_), code: await auth.fresh() });
  assert.equal(res.status, 200, `confirm: ${stripTags(res.text_).slice(0, 300)}`);
  assert.match(res.text_, /id="twofa-enabled"/);
  const codes = [...res.text_.matchAll(/<li><code>([a-z0-9]{5}-[a-z0-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
  assert.equal(codes.length, 10, 'ten recovery codes shown once');
  assert.equal(new Set(codes).size, 10);
  assert.match(res.text_, /href="data:text\/plain;charset=utf-8,[^"]+" download="souk-recovery-codes\.txt"/);
  assert.notEqual(b.cookies.get('souk_sess').value, before, 'the session token is rotated');
  return { auth, codes, oldSession: before };
}

// ---- the flows -----------------------------------------------------------------

test('TOTP: enrol, log in, replay refused, recovery codes once, lock-out, regenerate, disable', async () => {
  const user = await createUser(newUser('a'));
  let b = await signIn(user);
  b.user = user;

  // CSRF is checked before the handler.
  let res = await b.post('/account/2fa/setup', {});
  assert.equal(res.status, 403);

  const { auth, codes, oldSession } = await enable(b);

  // The old session token is gone; the new one works and shows 2FA on.
  const stale = new Browser();
  stale.cookies.set('souk_sess', { value: oldSession, path: '/', attrs: {} });
  res = await stale.get('/account/2fa');
  assert.equal(res.status, 303, 'the pre-rotation session no longer works');
  res = await b.get('/account/2fa');
  assert.equal(res.status, 200);
  assert.match(res.text_, /data-twofa="on"/);
  assert.match(stripTags(res.text_), /Unused recovery codes: 10 of 10/);

  // Only hashes are stored; the mail job and the audit entry are written.
  const hashes = sql("SELECT string_agg(code_hash, ' ') FROM user_recovery_codes WHERE user_id = :'v1'", user.id);
  assert.equal(hashes.split(' ').length, 10);
  for (const c of codes) assert.ok(!hashes.includes(c.replace('-', '')), 'recovery codes are stored hashed');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'twofa.enable' AND actor_id = :'v1'", user.id), '1');
  assert.equal(sql(`SELECT count(*) FROM jobs WHERE kind = 'mail' AND payload->>'template' = 'two_factor_changed'
    AND payload->>'to' = :'v1' AND (payload->'data'->>'enabled')::boolean`, user.email), '1');

  // Log out, then log in: the password is not enough any more.
  b = await atSecondStep(user);
  res = await b.get('/login/2fa');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.text_, /autocomplete="one-time-code"/);
  assert.match(res.text_, /inputmode="numeric"/);
  assert.match(res.text_, /href="\/login\/2fa\?recovery=1"/);
  res = await b.post('/login/2fa', { csrf: csrfOf(res.text_), code: auth.wrong() });
  assert.equal(res.status, 422, 'a wrong code is refused');
  assert.match(stripTags(res.text_), /not right.*Attempts left: 4/);
  assert.ok(!b.signedIn);
  const good = await auth.fresh();
  res = await b.post('/login/2fa', { csrf: csrfOf(res.text_), code: good.replace(/^(...)/, '$1 ') });
  assert.equal(res.status, 303, `the right code signs in: ${stripTags(res.text_).slice(0, 200)}`);
  assert.equal(res.headers.get('location'), '/');
  assert.ok(b.signedIn, 'signed in');
  assert.ok(!b.cookies.has('souk_2fa'), 'the pending log-in cookie is cleared');
  res = await b.get('/account/2fa');
  assert.equal(res.status, 200);
  assert.match(res.text_, /data-twofa="on"/);
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'user.login' AND actor_id = :'v1'
    AND after->>'method' = 'totp'`, user.id), '1');

  // The same code again, in a new log-in: refused (replay).  A recovery code then works.
  b = await atSecondStep(user);
  res = await b.get('/login/2fa?recovery=1');
  assert.match(res.text_, /name="recovery" value="1"/);
  res = await b.post('/login/2fa', { csrf: csrfOf(res.text_), code: good });
  assert.equal(res.status, 422, 'a used TOTP code is refused');
  assert.ok(!b.signedIn);
  res = await b.post('/login/2fa', { csrf: csrfOf(res.text_), code: codes[0] });
  assert.equal(res.status, 303, 'a recovery code signs in');
  assert.ok(b.signedIn);
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'user.login' AND actor_id = :'v1'
    AND after->>'method' = 'recovery'`, user.id), '1');
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'user.login_failed'
    AND entity_id = :'v1' AND after->>'step' = '2fa'`, user.id), '2');

  // The used recovery code is refused; another one, typed in capitals without
  // the dash, works, and the pending log-in's next page is honoured.
  b = await atSecondStep(user, '/account/2fa');
  res = await b.get('/login/2fa');
  res = await b.post('/login/2fa', { csrf: csrfOf(res.text_), code: codes[0] });
  assert.equal(res.status, 422, 'a recovery code works once');
  res = await b.post('/login/2fa', { csrf: csrfOf(res.text_), code: codes[1].replace('-', '').toUpperCase() });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/account/2fa');
  res = await b.get('/account/2fa');
  assert.match(stripTags(res.text_), /Unused recovery codes: 8 of 10/);

  // Five wrong codes drop the pending log-in.
  const c = await atSecondStep(user);
  res = await c.get('/login/2fa');
  let csrf = csrfOf(res.text_);
  for (let i = 1; i <= 4; i++) {
    res = await c.post('/login/2fa', { csrf, code: auth.wrong() });
    assert.equal(res.status, 422, `wrong code ${i}`);
  }
  res = await c.post('/login/2fa', { csrf, code: 'zzzzz-zzzzz' });
  assert.equal(res.status, 303, 'the fifth wrong code ends the attempt');
  assert.match(res.headers.get('location'), /^\/login\?twofa=failed$/);
  assert.ok(!c.signedIn);
  res = await c.get('/login/2fa');
  assert.equal(res.status, 303, 'the pending log-in is gone');
  assert.equal(res.headers.get('location'), '/login');

  // Without any pending log-in, or with a forged cookie: back to /login.
  res = await new Browser().get('/login/2fa');
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/login');
  const forged = new Browser();
  forged.cookies.set('souk_2fa', { value: randomBytes(32).toString('base64url'), path: '/login', attrs: {} });
  res = await forged.get('/login/2fa');
  assert.equal(res.headers.get('location'), '/login');

  // Eight wrong codes so far count against the account for 15 minutes (the
  // limit is ten); start a new window for what follows.
  assert.equal(redis('GET', `login2fa_fail:${user.id}`), '8');
  redis('DEL', `login2fa_fail:${user.id}`);

  // New recovery codes need a current TOTP code; the old ones stop working.
  res = await b.get('/account/2fa');
  res = await b.post('/account/2fa/recovery', { csrf: csrfOf(res.text_), code: auth.wrong() });
  assert.equal(res.status, 422);
  res = await b.post('/account/2fa/recovery', { csrf: csrfOf(res.text_), code: await auth.fresh() });
  assert.equal(res.status, 200, `new codes: ${stripTags(res.text_).slice(0, 300)}`);
  const fresh = [...res.text_.matchAll(/<li><code>([a-z0-9]{5}-[a-z0-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
  assert.equal(fresh.length, 10);
  assert.equal(sql("SELECT count(*) FROM user_recovery_codes WHERE user_id = :'v1' AND used_at IS NULL", user.id), '10');
  assert.equal(sql("SELECT count(*) FROM user_recovery_codes WHERE user_id = :'v1'", user.id), '10');

  // Turning it off takes a code; a recovery code will do.
  res = await b.get('/account/2fa');
  assert.match(res.text_, /action="\/account\/2fa\/disable"/);
  res = await b.post('/account/2fa/disable', { csrf: csrfOf(res.text_), code: codes[5] });
  assert.equal(res.status, 422, 'an old recovery code does not turn it off');
  const beforeOff = b.cookies.get('souk_sess').value;
  res = await b.post('/account/2fa/disable', { csrf: csrfOf(res.text_), code: fresh[3] });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/account/2fa?done=disabled');
  assert.notEqual(b.cookies.get('souk_sess').value, beforeOff, 'the session token is rotated');
  res = await b.get('/account/2fa?done=disabled');
  assert.match(res.text_, /data-twofa="off"/);
  assert.equal(sql("SELECT count(*) FROM user_totp WHERE user_id = :'v1'", user.id), '0');
  assert.equal(sql("SELECT count(*) FROM user_recovery_codes WHERE user_id = :'v1'", user.id), '0');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'twofa.disable' AND actor_id = :'v1'", user.id), '1');
  assert.equal(sql(`SELECT count(*) FROM jobs WHERE kind = 'mail' AND payload->>'template' = 'two_factor_changed'
    AND payload->>'to' = :'v1' AND NOT (payload->'data'->>'enabled')::boolean`, user.email), '1');

  // And the password alone signs in again.
  if (await accountsAvailable()) {
    const d = new Browser();
    res = await passwordLogin(d, user);
    assert.equal(res.status, 303);
    assert.notEqual(res.headers.get('location'), '/login/2fa');
    assert.ok(d.signedIn);
  }
});

test('staff must use 2FA: the admin console sends them to set it up, and they cannot turn it off', async (t) => {
  const user = await createUser(newUser('s'), ['SUPPORT']);
  const b = await signIn(user, ['SUPPORT']);
  b.user = user;

  const admin = await b.get('/admin');
  const hasAdmin = admin.status !== 404;
  if (hasAdmin) {
    assert.equal(admin.status, 303, `/admin without 2FA: ${admin.status}`);
    assert.match(admin.headers.get('location'), /^\/account\/2fa\?required=/);
  } else {
    t.diagnostic('no /admin route yet: the redirect of staff without 2FA is not checked');
  }
  let res = await b.get('/account/2fa?required=1');
  assert.equal(res.status, 200);
  assert.match(res.text_, /id="twofa-required"/);
  assert.match(stripTags(res.text_), /Staff accounts must use two-factor authentication/);

  const { codes } = await enable(b);
  if (hasAdmin) {
    res = await b.get('/admin');
    assert.equal(res.status, 200, 'the console opens once 2FA is on');
  }
  res = await b.get('/account/2fa');
  assert.match(res.text_, /id="twofa-staff-locked"/);
  assert.doesNotMatch(res.text_, /action="\/account\/2fa\/disable"/);
  res = await b.post('/account/2fa/disable', { csrf: csrfOf(res.text_), code: codes[0] });
  assert.equal(res.status, 403, 'staff cannot turn 2FA off');
  assert.equal(sql("SELECT count(*) FROM user_totp WHERE user_id = :'v1' AND confirmed_at IS NOT NULL", user.id), '1');
  assert.equal(sql("SELECT count(*) FROM user_recovery_codes WHERE user_id = :'v1' AND used_at IS NULL", user.id), '10');
});

test('too many wrong codes for one account: the second step and the 2FA forms answer 429', async () => {
  const user = await createUser(newUser('l'));
  const b = await signIn(user);
  b.user = user;
  const { auth } = await enable(b);
  redis('SET', `login2fa_fail:${user.id}`, '10', 'EX', '900');

  const c = await atSecondStep(user);
  let res = await c.get('/login/2fa');
  res = await c.post('/login/2fa', { csrf: csrfOf(res.text_), code: await auth.fresh() });
  assert.equal(res.status, 429, 'even the right code waits for the window to pass');
  assert.equal(res.headers.get('retry-after'), '900');
  assert.ok(!c.signedIn);
  res = await c.get('/login/2fa');
  assert.equal(res.status, 303, 'the pending log-in is dropped');

  res = await b.get('/account/2fa');
  const csrf = csrfOf(res.text_);
  res = await b.post('/account/2fa/disable', { csrf, code: auth.wrong() });
  assert.equal(res.status, 429);
  res = await b.post('/account/2fa/recovery', { csrf, code: auth.wrong() });
  assert.equal(res.status, 429);
  assert.equal(sql("SELECT count(*) FROM user_totp WHERE user_id = :'v1' AND confirmed_at IS NOT NULL", user.id), '1');
  redis('DEL', `login2fa_fail:${user.id}`);
});

test('anonymous visitors are sent to log in; 2FA pages are never cached', async () => {
  const res = await get('/account/2fa');
  assert.equal(res.status, 303);
  assert.match(res.headers.get('location'), /^\/login\?next=%2Faccount%2F2fa$/);
  const post = await get('/login/2fa', { method: 'POST', body: 'code=123456',
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(post.status, 403, 'CSRF is required on the anonymous form too');
  assert.ok(BASE);
});
