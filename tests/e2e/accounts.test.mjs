// Accounts and sessions through nginx, on the real PostgreSQL, Redis,
// souk-worker and SMTP sink: sign-up, e-mail verification, log in and out,
// remember me, log out of all devices, password change and reset, lock-out,
// rate limits, CSRF, forged cookies, open redirects and bad input.
//
// Mails are read from the SMTP sink's folder (SOUK_MAIL_DIR, set by ./dev
// test). Without it (e.g. against ./dev up with only SOUK_TEST_URL set) the
// links are taken from the mail jobs in the database instead and the
// delivery checks are skipped.
//
// Accounts are made per run (handles acc_<what>_<run>); each test uses its
// own account where a test leaves it locked, rate limited or suspended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BASE, decode, stripTags, until, assertCommonHeaders, sqlRows } from './helpers.mjs';

const MAIL_DIR = process.env.SOUK_MAIL_DIR ? resolve(process.env.SOUK_MAIL_DIR) : null;
const RUN = (Date.now().toString(36) + process.pid.toString(36)).slice(-10);
const GENERIC = 'Email/handle or password is incorrect.';

// ---- plumbing ---------------------------------------------------------------

/** psql with :'name' variables (values are never pasted into SQL); rows of strings. */
const sql = sqlRows;
const one = (text, vars) => (sql(text, vars)[0] || [])[0];

const sha256hex = (s) => createHash('sha256').update(s).digest('hex');

/** A cookie-keeping client that never follows redirects. */
class Browser {
  constructor() {
    this.cookies = new Map();	// name -> {value, attrs}
    this.set = new Map();	// name -> the last Set-Cookie seen for it, parsed
  }

  static parse(line) {
    const [pair, ...rest] = line.split(';');
    const i = pair.indexOf('=');
    const attrs = {};
    for (const a of rest) {
      const j = a.indexOf('=');
      const k = (j < 0 ? a : a.slice(0, j)).trim().toLowerCase();
      if (k) attrs[k] = j < 0 ? true : a.slice(j + 1).trim();
    }
    return { name: pair.slice(0, i).trim(), value: pair.slice(i + 1).trim(), attrs, raw: line };
  }

  absorb(res) {
    for (const line of res.headers.getSetCookie()) {
      const c = Browser.parse(line);
      this.set.set(c.name, c);
      if (c.value === '' || c.attrs['max-age'] === '0') this.cookies.delete(c.name);
      else this.cookies.set(c.name, { value: c.value, attrs: c.attrs });
    }
  }

  header() {
    return [...this.cookies].map(([k, c]) => `${k}=${c.value}`).join('; ');
  }

  async request(path, init = {}) {
    const headers = { ...(init.headers || {}) };
    const cookie = this.header();
    if (cookie) headers.cookie = cookie;
    const res = await fetch(BASE + path, { redirect: 'manual', ...init, headers, signal: AbortSignal.timeout(30000) });
    res.text_ = await res.text();
    this.absorb(res);
    return res;
  }

  get(path) { return this.request(path); }

  post(path, fields) {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** GET @page, then POST its form to @action with the CSRF token and @fields. */
  async submit(page, action, fields) {
    const form = await this.get(page);
    assert.equal(form.status, 200, `GET ${page} → ${form.status}`);
    return this.post(action, { csrf: csrfOf(form.text_), ...fields });
  }

  get session() { return this.cookies.get('souk_sess')?.value ?? null; }
}

function csrfOf(html) {
  const m = html.match(/name="csrf" value="([0-9a-f]{64})"/);
  assert.ok(m, 'the page has a form with a CSRF token');
  return m[1];
}

/** The value attribute of the input named @name, decoded, or null. */
function inputValue(html, name) {
  const tag = html.match(new RegExp(`<input\\b[^>]*\\bname="${name}"[^>]*>`));
  if (!tag) return null;
  const v = tag[0].match(/\bvalue="([^"]*)"/);
  return v ? decode(v[1]) : '';
}

function inputTag(html, id) {
  const tag = html.match(new RegExp(`<input\\b[^>]*\\bid="${id}"[^>]*>`));
  assert.ok(tag, `an input #${id}`);
  return tag[0];
}

/** The field error of input #id: aria-invalid, aria-describedby naming the message; its text. */
function fieldError(html, id) {
  const tag = inputTag(html, id);
  assert.match(tag, /aria-invalid="true"/, `#${id} is marked invalid`);
  const ids = (tag.match(/aria-describedby="([^"]*)"/) || [])[1] || '';
  const errId = ids.split(/\s+/).find((x) => x.endsWith('-error'));
  assert.ok(errId, `#${id} is described by its error message`);
  const p = html.match(new RegExp(`<p\\b[^>]*id="${errId}"[^>]*>([\\s\\S]*?)</p>`));
  assert.ok(p, `the message #${errId} exists`);
  return stripTags(p[1]);
}

const alertText = (html) => {
  const m = html.match(/<div class="auth-alert" role="alert"[^>]*>([\s\S]*?)<\/div>/);
  return m ? stripTags(m[1]) : '';
};

function newUser(tag) {
  const handle = `acc_${tag}_${RUN}`.slice(0, 32);
  return { handle, email: `${handle}@example.test`, password: `pw-${randomBytes(9).toString('base64url')}` };
}

async function signup(user) {
  const b = new Browser();
  const res = await b.submit('/signup', '/signup', {
    email: user.email, handle: user.handle, password: user.password, password_confirm: user.password,
  });
  assert.equal(res.status, 303, `sign-up ${user.handle}: ${res.status} ${alertText(res.text_)}`);
  user.id = Number(one("SELECT id FROM users WHERE handle = :'h'", { h: user.handle }));
  assert.ok(user.id > 0);
  return b;
}

function login(b, who, password, extra = {}) {
  return b.submit('/login', '/login', { login: who, password, ...extra });
}

async function logout(b) {
  const page = await b.get('/account');
  assert.equal(page.status, 200);
  const res = await b.post('/logout', { csrf: csrfOf(page.text_) });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/');
  return res;
}

/** Whether @b is signed in: GET /account answers 200 (else 303 to the log-in page). */
async function signedIn(b) {
  const res = await b.get('/account');
  if (res.status === 303) {
    assert.equal(res.headers.get('location'), '/login?next=%2Faccount');
    return false;
  }
  assert.equal(res.status, 200);
  return true;
}

// ---- mail -------------------------------------------------------------------

function mails() {
  if (!MAIL_DIR || !existsSync(MAIL_DIR)) return [];
  return readdirSync(MAIL_DIR).filter((f) => /^\d+-.*\.json$/.test(f)).sort()
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(MAIL_DIR, f), 'utf8')) }));
}

/** The newest mail job of @template to @to: its payload. */
function mailJob(to, template) {
  const p = one(`SELECT payload FROM jobs WHERE kind = 'mail' AND payload->>'to' = :'to'
                   AND payload->>'template' = :'tpl' ORDER BY id DESC LIMIT 1`, { to, tpl: template });
  return p ? JSON.parse(p) : null;
}

/**
 * The mail of @template to @to whose text matches @re (the newest one
 * queued): delivered through the SMTP sink within 10 s when SOUK_MAIL_DIR
 * is known. Returns {job, mail (null without the sink)}.
 */
async function expectMail(t, to, template, subject, re, seen = new Set()) {
  const job = await until(() => mailJob(to, template), 5000, 100);
  assert.ok(job, `a ${template} mail job for ${to}`);
  assert.equal(job.lang, 'en');
  if (!MAIL_DIR) {
    t.diagnostic(`SOUK_MAIL_DIR is not set: ${template} delivery not checked (link taken from the job)`);
    return { job, mail: null };
  }
  const mail = await until(() => mails().find((m) => m.to.includes(to) && !seen.has(m.file) &&
    m.subject === subject && re.test(m.text)), 10000, 200);
  assert.ok(mail, `a "${subject}" mail to ${to} in ${MAIL_DIR} within 10 s`);
  assert.match(mail.html, /<html/i, 'an HTML part');
  seen.add(mail.file);
  return { job, mail };
}

/** The link of path @path (e.g. "/verify") in the mail, or in the job without the sink. */
function linkOf({ job, mail }, path) {
  const re = new RegExp(`https?://[^\\s"<>]+${path.replace('/', '\\/')}\\?token=([A-Za-z0-9_-]{43})`);
  const fromJob = job.data.link.match(re);
  assert.ok(fromJob, `the job's link ${job.data.link}`);
  if (mail) {
    const m = mail.text.match(re);
    assert.ok(m, `the mail's text has the ${path} link`);
    assert.equal(m[0], job.data.link, 'the mail carries the link of the job');
    assert.ok(mail.html.includes(m[0]), 'the HTML part has the link too');
  }
  const u = new URL(fromJob[0]);
  assert.equal(u.origin, new URL(BASE).origin, 'links are absolute, on this site');
  return { path: u.pathname + u.search, token: fromJob[1] };
}

// ---- the accounts used below --------------------------------------------------

const A = newUser('a');		// the main flow, cookies, next=, at last suspended
const B = newUser('b');		// all devices, password change, reset
const L = newUser('lock');	// locked by wrong passwords
const R = newUser('rate');	// rate limited
let aBrowser, rBrowser;

test('sign-up form: accessible, private, with a CSRF cookie', async () => {
  const b = new Browser();
  const res = await b.get('/signup');
  assert.equal(res.status, 200);
  assertCommonHeaders(res, '/signup');
  assert.equal(res.headers.get('cache-control'), 'no-store', 'account pages are never cached');
  const c = b.set.get('souk_csrf');
  assert.ok(c && /^[0-9a-f]{64}$/.test(c.value), 'a souk_csrf cookie');
  assert.equal(csrfOf(res.text_), c.value, 'the form carries the cookie value (double submit)');
  for (const [id, auto] of [['signup-email', 'email'], ['signup-handle', 'username'],
    ['signup-password', 'new-password'], ['signup-password-confirm', 'new-password']]) {
    assert.match(res.text_, new RegExp(`<label[^>]*for="${id}"`), `a label for #${id}`);
    assert.match(inputTag(res.text_, id), new RegExp(`autocomplete="${auto}"`), `#${id} autocomplete`);
  }
  assert.match(res.text_, /<a[^>]*href="\/login"/, 'the header offers Log in');
  assert.match(res.text_, /<a[^>]*href="\/signup"/, 'the header offers Join');
});

test('sign up → verify by the mailed link → log out → log in → log out', async (t) => {
  const b = aBrowser = new Browser();
  let res = await b.submit('/signup', '/signup', {
    email: A.email, handle: A.handle, password: A.password, password_confirm: A.password,
  });
  assert.equal(res.status, 303, alertText(res.text_));
  assert.equal(res.headers.get('location'), '/account?done=welcome');
  const sess = b.set.get('souk_sess');
  assert.ok(sess && /^[A-Za-z0-9_-]{43}$/.test(sess.value), 'signed in at once: a 256-bit session token');
  assert.ok(sess.attrs.httponly, 'HttpOnly');
  assert.equal(String(sess.attrs.samesite).toLowerCase(), 'lax', 'SameSite=Lax');
  assert.equal(sess.attrs.path, '/');
  assert.equal(sess.attrs['max-age'], undefined, 'a browser-session cookie without "remember me"');
  assert.ok(!sess.attrs.secure, 'no Secure flag on plain http on loopback');

  A.id = Number(one("SELECT id FROM users WHERE handle = :'h'", { h: A.handle }));
  const [status, verified, hash, lang] = sql(`SELECT status, email_verified_at IS NOT NULL, password_hash, lang
                                                FROM users WHERE id = :'id'`, { id: A.id })[0];
  assert.equal(status, 'active');
  assert.equal(verified, 'f', 'not verified yet');
  assert.match(hash, /^\$argon2id\$v=19\$m=65536,t=2,p=1\$/, 'argon2id, interactive limits');
  assert.equal(lang, 'en');
  assert.equal(one("SELECT count(*) FROM audit_log WHERE action = 'user.signup' AND entity_id = :'id'", { id: A.id }), '1');

  res = await b.get('/account?done=welcome');
  assert.equal(res.status, 200);
  assert.match(res.text_, /id="verify-banner"/, 'the account page asks to verify the address');
  assert.match(stripTags(res.text_), /Welcome to Souk/);
  assert.match(res.text_, new RegExp(`href="/account"[^>]*>@${A.handle}<`), 'the header shows @handle');
  assert.match(res.text_, /<form[^>]*action="\/logout"/, 'the header has a log-out form');
  assert.doesNotMatch(res.text_, /href="\/seller"|href="\/admin"/, 'no seller or admin links for a buyer');

  const verify = linkOf(await expectMail(t, A.email, 'verify_email', 'Confirm your e-mail address for Souk', /\/verify\?token=/), '/verify');
  assert.equal(one("SELECT count(*) FROM email_tokens WHERE token_hash = :'h' AND purpose = 'verify' AND user_id = :'id'",
    { h: sha256hex(verify.token), id: A.id }), '1', 'the token is stored as its SHA-256');
  assert.equal(one("SELECT count(*) FROM email_tokens WHERE token_hash = :'t'", { t: verify.token }), '0',
    'never the token itself');
  assert.equal(one(`SELECT round(extract(epoch FROM expires_at - created_at)) FROM email_tokens
                     WHERE token_hash = :'h'`, { h: sha256hex(verify.token) }), '3600', 'valid for one hour');

  // A link checker's HEAD does not use the link up.
  res = await b.request(verify.path, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(one("SELECT email_verified_at IS NULL FROM users WHERE id = :'id'", { id: A.id }), 't');

  res = await b.get(verify.path);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(stripTags(res.text_), /Your e-mail address is verified/);
  assert.equal(one("SELECT email_verified_at IS NOT NULL FROM users WHERE id = :'id'", { id: A.id }), 't');
  res = await b.get('/account');
  assert.doesNotMatch(res.text_, /id="verify-banner"/, 'no banner once verified');
  assert.match(stripTags(res.text_), /verified/);

  res = await b.get(verify.path);
  assert.equal(res.status, 400, 'a verification link works once');
  assert.match(stripTags(res.text_), /already used/);

  const old = b.session;
  res = await logout(b);
  assert.equal(b.session, null, 'the session cookie is expired');
  assert.equal(b.set.get('souk_sess').attrs['max-age'], '0');
  assert.equal(await signedIn(b), false, 'logged out');
  // The old cookie, replayed, is worth nothing.
  const replay = new Browser();
  replay.cookies.set('souk_sess', { value: old, attrs: {} });
  assert.equal(await signedIn(replay), false, 'a replayed session cookie is anonymous');

  res = await login(b, A.handle, A.password);
  assert.equal(res.status, 303, alertText(res.text_));
  assert.equal(res.headers.get('location'), '/');
  assert.notEqual(b.session, old, 'a new token at every log in');
  assert.equal(await signedIn(b), true);
  await logout(b);

  res = await login(b, A.email.toUpperCase(), A.password);
  assert.equal(res.status, 303, 'log in by e-mail, in any case');
  assert.equal(await signedIn(b), true);
  assert.equal(one("SELECT last_login_at > now() - interval '1 minute' FROM users WHERE id = :'id'", { id: A.id }), 't');
  assert.ok(Number(one("SELECT count(*) FROM audit_log WHERE action = 'user.login' AND entity_id = :'id'", { id: A.id })) >= 2);
  await logout(b);
  assert.equal(await signedIn(b), false);
});

test('a wrong password and an unknown account get the same generic answer', async () => {
  const b = new Browser();
  let t0 = performance.now();
  const wrong = await login(b, A.handle, 'not the password at all');
  const tWrong = performance.now() - t0;
  t0 = performance.now();
  const unknown = await login(b, `nobody_${RUN}@example.test`, 'not the password at all');
  const tUnknown = performance.now() - t0;
  for (const res of [wrong, unknown]) {
    assert.equal(res.status, 422);
    assert.equal(alertText(res.text_), GENERIC);
    assert.equal(b.session, null, 'no session');
    assert.doesNotMatch(res.text_, /not the password at all/, 'the password is never echoed');
  }
  assert.equal(inputValue(wrong.text_, 'login'), A.handle, 'the login field keeps its value');
  assert.equal(inputValue(wrong.text_, 'password'), '', 'the password field is empty');
  // An unknown account costs a password hash too (a dummy one): similar time.
  assert.ok(tUnknown > tWrong * 0.3, `unknown ${tUnknown.toFixed(0)} ms vs wrong password ${tWrong.toFixed(0)} ms`);
  assert.equal(one(`SELECT count(*) FROM audit_log WHERE action = 'user.login_failed' AND entity_id = :'id'
                      AND after->>'reason' = 'password'`, { id: A.id }), '1');
});

test('duplicate e-mail or handle: 409, the message at the field, values kept', async () => {
  const b = new Browser();
  const mine = () => one(`SELECT count(*) FROM users WHERE lower(email) = lower(:'e') OR handle = :'h'
                            OR email = :'e2'`, { e: A.email, h: `acc_dup_${RUN}`, e2: `dup_${RUN}@example.test` });
  const before = mine();
  let res = await b.submit('/signup', '/signup', {
    email: A.email.toUpperCase(), handle: `acc_dup_${RUN}`, password: 'a fine long password', password_confirm: 'a fine long password',
  });
  assert.equal(res.status, 409);
  assert.match(fieldError(res.text_, 'signup-email'), /already exists/);
  assert.equal(inputValue(res.text_, 'email'), A.email.toUpperCase(), 'the e-mail is kept as typed');
  assert.equal(inputValue(res.text_, 'handle'), `acc_dup_${RUN}`, 'the handle is kept');
  assert.doesNotMatch(res.text_, /a fine long password/, 'passwords are not kept');
  assert.match(alertText(res.text_), /check the fields/);

  res = await b.submit('/signup', '/signup', {
    email: `dup_${RUN}@example.test`, handle: A.handle, password: 'a fine long password', password_confirm: 'a fine long password',
  });
  assert.equal(res.status, 409);
  assert.match(fieldError(res.text_, 'signup-handle'), /already taken/);
  assert.equal(inputValue(res.text_, 'email'), `dup_${RUN}@example.test`);
  assert.equal(mine(), before, 'nothing was created');
  assert.equal(b.session, null);
});

test('bad sign-up input: 422 with a clear message next to the field', async () => {
  const b = new Browser();
  const ok = { email: `bad_${RUN}@example.test`, handle: `acc_bad_${RUN}`, password: 'a fine long password' };
  const cases = [
    [{ email: 'not-an-address' }, 'signup-email', /name@example\.com/],
    [{ email: `${'x'.repeat(250)}@example.test` }, 'signup-email', /at most 254/],
    [{ email: '' }, 'signup-email', /Enter your e-mail/],
    [{ handle: 'admin' }, 'signup-handle', /reserved/],
    [{ handle: 'a' }, 'signup-handle', /at least 2/],
    [{ handle: 'no spaces!' }, 'signup-handle', /lower-case letters/],
    [{ handle: 'x'.repeat(40) }, 'signup-handle', /at most 32/],
    [{ password: 'short', password_confirm: 'short' }, 'signup-password', /at least 10/],
    [{ password: ok.email.toUpperCase(), password_confirm: ok.email.toUpperCase() }, 'signup-password', /e-mail address/],
    [{ handle: 'acc_samepw1', password: 'ACC_SAMEPW1', password_confirm: 'ACC_SAMEPW1' }, 'signup-password', /username/],
    [{ password: 'x'.repeat(1025), password_confirm: 'x'.repeat(1025) }, 'signup-password', /too long/],
    [{ password_confirm: 'another fine password' }, 'signup-password-confirm', /not the same/],
  ];
  for (const [over, id, re] of cases) {
    const fields = { ...ok, password_confirm: ok.password, ...over };
    const res = await b.submit('/signup', '/signup', fields);
    assert.equal(res.status, 422, `${JSON.stringify(over).slice(0, 80)} → ${res.status}`);
    assert.match(fieldError(res.text_, id), re, `${id} for ${JSON.stringify(over).slice(0, 80)}`);
    assert.match(alertText(res.text_), /check the fields/);
    if (fields.email.length <= 254) assert.equal(inputValue(res.text_, 'email'), fields.email, 'e-mail kept');
    assert.doesNotMatch(res.text_, /a fine long password|another fine password/, 'passwords are never echoed');
  }
  assert.equal(one("SELECT count(*) FROM users WHERE handle LIKE :'p' OR email = :'e'",
    { p: `acc_bad_${RUN}%`, e: ok.email }), '0', 'nothing was created');

  // Log in: too-long fields are refused with a message, not looked up.
  let res = await b.submit('/login', '/login', { login: `${'y'.repeat(300)}@example.test`, password: 'whatever long' });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'login-login'), /too long/);
  res = await b.submit('/login', '/login', { login: '', password: '' });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'login-login'), /Enter your e-mail address or username/);
  assert.match(fieldError(res.text_, 'login-password'), /Enter your password/);
});

test('CSRF: a form without its token gets 403 and changes nothing', async () => {
  const user = newUser('csrf');
  const b = new Browser();
  await b.get('/signup');
  const fields = { email: user.email, handle: user.handle, password: user.password, password_confirm: user.password };
  let res = await b.post('/signup', fields);
  assert.equal(res.status, 403, 'no token');
  assert.match(stripTags(res.text_), /did not come from Souk/);
  res = await b.post('/signup', { ...fields, csrf: '0'.repeat(64) });
  assert.equal(res.status, 403, 'a wrong token');
  res = await new Browser().post('/signup', { ...fields, csrf: csrfOf((await b.get('/signup')).text_) });
  assert.equal(res.status, 403, 'a token without its cookie');
  assert.equal(one("SELECT count(*) FROM users WHERE handle = :'h'", { h: user.handle }), '0', 'no account');

  // Signed in: the password stays as it is, the session too.
  const s = new Browser();
  assert.equal((await login(s, A.handle, A.password)).status, 303);
  const before = one("SELECT password_hash FROM users WHERE id = :'id'", { id: A.id });
  res = await s.post('/account/password', { current_password: A.password, password: 'brand new password 1', password_confirm: 'brand new password 1' });
  assert.equal(res.status, 403);
  // A token of another session does not fit either.
  res = await s.post('/account/password', { current_password: A.password, password: 'brand new password 1',
    password_confirm: 'brand new password 1', csrf: csrfOf((await new Browser().get('/login')).text_) });
  assert.equal(res.status, 403);
  assert.equal(one("SELECT password_hash FROM users WHERE id = :'id'", { id: A.id }), before, 'password unchanged');
  res = await s.post('/logout', {});
  assert.equal(res.status, 403);
  assert.equal(await signedIn(s), true, 'still signed in');
  await logout(s);
});

test('remember me: a 30-day cookie; roles come from user_roles at log in', async () => {
  sql("INSERT INTO user_roles (user_id, role) VALUES (:'id', 'SELLER') ON CONFLICT DO NOTHING", { id: A.id });
  const b = new Browser();
  let res = await login(b, A.handle, A.password, { remember: '1' });
  assert.equal(res.status, 303);
  const c = b.set.get('souk_sess');
  assert.equal(c.attrs['max-age'], String(30 * 24 * 3600), 'Max-Age of 30 days');
  assert.ok(c.attrs.httponly);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax');
  res = await b.get('/account');
  assert.match(res.text_, /<a[^>]*href="\/seller"/, 'a seller gets the Seller link');
  assert.doesNotMatch(res.text_, /<a[^>]*href="\/admin"/, 'but no Admin link');
  await logout(b);
  sql("DELETE FROM user_roles WHERE user_id = :'id'", { id: A.id });
});

test('a forged or malformed session cookie is anonymous', async () => {
  for (const value of [randomBytes(32).toString('base64url'), 'x', `${'A'.repeat(42)}=`]) {
    const b = new Browser();
    b.cookies.set('souk_sess', { value, attrs: {} });
    const res = await b.get('/account');
    assert.equal(res.status, 303, `cookie ${value}`);
    assert.equal(res.headers.get('location'), '/login?next=%2Faccount');
    assert.equal(b.set.get('souk_sess')?.attrs['max-age'], '0', 'the bad cookie is cleared');
  }
});

test('next= after log in: local paths only', async () => {
  const b = new Browser();
  let res = await b.get('/login?next=%2F%2Fevil.example%2F');
  assert.equal(inputValue(res.text_, 'next'), '/', 'the form never carries a foreign next');
  res = await b.submit('/login?next=/account', '/login', { login: A.handle, password: A.password, next: '//evil.example/x' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/', '//host is refused');
  // Signed in, GET /login sends the browser on, through the same filter.
  for (const [next, want] of [['https://evil.example/', '/'], ['//evil.example', '/'], ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'], ['/account', '/account'], ['/c/logo-design?page=2', '/c/logo-design?page=2']]) {
    res = await b.get(`/login?next=${encodeURIComponent(next)}`);
    assert.equal(res.status, 303, next);
    assert.equal(res.headers.get('location'), want, `next=${next}`);
  }
  await logout(b);
  res = await b.submit('/login?next=%2Faccount', '/login', { login: A.handle, password: A.password, next: '/account?tab=1' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/account?tab=1');
  await logout(b);
});

test('five wrong passwords in a row lock the account for 15 minutes and mail the owner', async (t) => {
  await signup(L);
  const b = new Browser();
  for (let i = 1; i <= 4; i++) {
    const res = await login(b, L.email, `wrong password ${i}`);
    assert.equal(res.status, 422, `failure ${i}`);
    assert.equal(alertText(res.text_), GENERIC);
  }
  assert.equal(one("SELECT failed_logins FROM users WHERE id = :'id'", { id: L.id }), '4');
  let res = await login(b, L.email, 'wrong password 5');
  assert.equal(res.status, 403, 'the fifth failure locks');
  assert.match(alertText(res.text_), /locked for 15 minutes/);
  const [locked, mins, fails] = sql(`SELECT locked_until > now(), round(extract(epoch FROM locked_until - now()) / 60), failed_logins
                                       FROM users WHERE id = :'id'`, { id: L.id })[0];
  assert.equal(locked, 't');
  assert.equal(mins, '15');
  assert.equal(fails, '0', 'the count starts again after the lock');
  assert.equal(one("SELECT count(*) FROM audit_log WHERE action = 'user.lock' AND entity_id = :'id'", { id: L.id }), '1');

  res = await login(b, L.handle, L.password);
  assert.equal(res.status, 403, 'even the right password waits for the lock to end');
  assert.match(alertText(res.text_), /locked/);
  assert.equal(b.session, null);

  const m = await expectMail(t, L.email, 'account_locked', 'Your Souk account is temporarily locked', /\/forgot/);
  assert.equal(m.job.data.minutes, 15);
  assert.equal(m.job.data.handle, L.handle);
  assert.match(m.job.data.reset_link, /^https?:\/\/[^/]+\/forgot$/);
});

test('per-account rate limit: 429 with Retry-After', async () => {
  rBrowser = await signup(R);
  for (let i = 1; i <= 10; i++) {
    const res = await login(new Browser(), R.handle, R.password);
    assert.equal(res.status, 303, `attempt ${i}`);
  }
  for (const pw of [R.password, 'a wrong password']) {
    const b = new Browser();
    const res = await login(b, R.handle, pw);
    assert.equal(res.status, 429, 'the eleventh attempt in 10 minutes');
    const retry = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 600, `Retry-After: ${res.headers.get('retry-after')}`);
    assert.match(alertText(res.text_), /Too many attempts/);
    assert.equal(inputValue(res.text_, 'login'), R.handle);
  }
  assert.equal(one("SELECT failed_logins FROM users WHERE id = :'id'", { id: R.id }), '0',
    'refused attempts are not counted as wrong passwords');
});

test('verification links: a new one replaces the old; expired and invalid ones get a clear page', async (t) => {
  const seen = new Set();
  const first = linkOf(await expectMail(t, R.email, 'verify_email', 'Confirm your e-mail address for Souk', /\/verify\?token=/, seen), '/verify');
  let res = await rBrowser.get('/account');
  assert.equal(res.status, 200);
  res = await rBrowser.post('/account/verify', { csrf: csrfOf(res.text_) });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/account?done=verify_sent');
  const second = await until(() => {
    const j = mailJob(R.email, 'verify_email');
    return j && !j.data.link.endsWith(first.token) ? j : null;
  }, 5000, 100);
  assert.ok(second, 'a second verification mail');
  res = await rBrowser.get(first.path);
  assert.equal(res.status, 400);
  assert.match(stripTags(res.text_), /expired/, 'the first link stopped working');

  const secondToken = second.data.link.match(/token=([A-Za-z0-9_-]{43})/)[1];
  sql("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = :'h'", { h: sha256hex(secondToken) });
  res = await rBrowser.get(`/verify?token=${secondToken}`);
  assert.equal(res.status, 400);
  assert.match(stripTags(res.text_), /This verification link has expired/);
  assert.equal(one("SELECT email_verified_at IS NULL FROM users WHERE id = :'id'", { id: R.id }), 't', 'still not verified');

  for (const bad of ['', 'abc', `${secondToken}x`, randomBytes(32).toString('base64url')]) {
    res = await rBrowser.get(`/verify?token=${encodeURIComponent(bad)}`);
    assert.equal(res.status, 400, `token ${bad}`);
    assert.match(stripTags(res.text_), /does not work/);
  }
});

test('log out of all devices ends the session of another browser', async () => {
  await signup(B);
  const one_ = new Browser();
  const two = new Browser();
  assert.equal((await login(one_, B.handle, B.password)).status, 303);
  assert.equal((await login(two, B.email, B.password)).status, 303);
  const oldOne = one_.session;
  let res = await one_.get('/account');
  assert.match(stripTags(res.text_), /Active sessions: [3-9]/, 'the sign-up session and both browsers');
  res = await one_.post('/account/logout-all', { csrf: csrfOf(res.text_) });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/login?done=logout_all');
  assert.equal(one_.session, null, 'this browser is logged out too');
  assert.equal(await signedIn(two), false, 'the other browser is logged out');
  assert.equal(await signedIn(one_), false);
  const replay = new Browser();
  replay.cookies.set('souk_sess', { value: oldOne, attrs: {} });
  assert.equal(await signedIn(replay), false);
  res = await one_.get('/login?done=logout_all');
  assert.match(stripTags(res.text_), /logged out on all your devices/);
  assert.equal(one("SELECT count(*) FROM audit_log WHERE action = 'user.logout_all' AND entity_id = :'id'", { id: B.id }), '1');
});

test('password change: checks the current one, ends other sessions, rotates this one, mails', async (t) => {
  const me = new Browser();
  const other = new Browser();
  assert.equal((await login(me, B.handle, B.password)).status, 303);
  assert.equal((await login(other, B.handle, B.password)).status, 303);
  const newPw = `new-${randomBytes(9).toString('base64url')}`;
  let page = await me.get('/account');
  let res = await me.post('/account/password', { csrf: csrfOf(page.text_), current_password: 'not it at all', password: newPw, password_confirm: newPw });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'account-current'), /not your current password/);
  res = await me.post('/account/password', { csrf: csrfOf(page.text_), current_password: B.password, password: newPw, password_confirm: `${newPw}x` });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'account-password-confirm'), /not the same/);
  res = await me.post('/account/password', { csrf: csrfOf(page.text_), current_password: B.password, password: B.password, password_confirm: B.password });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'account-password'), /different from the current/);
  res = await me.post('/account/password', { csrf: csrfOf(page.text_), current_password: B.password, password: B.handle, password_confirm: B.handle });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'account-password'), /cannot be your username/);
  assert.doesNotMatch(res.text_, new RegExp(B.password.replace(/[-]/g, '\\-')), 'no password is echoed');

  const before = me.session;
  res = await me.post('/account/password', { csrf: csrfOf(page.text_), current_password: B.password, password: newPw, password_confirm: newPw });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/account?done=password');
  assert.ok(me.session && me.session !== before, 'this browser gets a new session token');
  page = await me.get('/account?done=password');
  assert.equal(page.status, 200);
  assert.match(stripTags(page.text_), /Your password has been changed/);
  assert.equal(await signedIn(other), false, 'the other browser is logged out');
  const replay = new Browser();
  replay.cookies.set('souk_sess', { value: before, attrs: {} });
  assert.equal(await signedIn(replay), false, 'the old token of this browser is dead');
  assert.equal(one("SELECT count(*) FROM audit_log WHERE action = 'user.password_change' AND entity_id = :'id'", { id: B.id }), '1');
  await expectMail(t, B.email, 'password_changed', 'Your Souk password was changed', new RegExp(B.handle));

  res = await login(new Browser(), B.handle, B.password);
  assert.equal(res.status, 422, 'the old password no longer works');
  B.password = newPw;
  assert.equal((await login(new Browser(), B.handle, B.password)).status, 303, 'the new one does');
  await logout(me);
});

test('password reset by the mailed link: the same answer for everyone, the link works once', async (t) => {
  const b = new Browser();
  const signedInElsewhere = new Browser();
  assert.equal((await login(signedInElsewhere, B.handle, B.password)).status, 303);

  let res = await b.submit('/forgot', '/forgot', { email: `nobody_${RUN}@example.test` });
  assert.equal(res.status, 200);
  const unknownText = stripTags(res.text_).replace(`nobody_${RUN}@example.test`, 'ADDR');
  res = await b.submit('/forgot', '/forgot', { email: B.email.toUpperCase() });
  assert.equal(res.status, 200);
  const knownText = stripTags(res.text_).replace(B.email.toUpperCase(), 'ADDR');
  assert.match(knownText, /If an account exists for ADDR, we have sent/);
  assert.equal(knownText.replace(/Reference: \S+/, ''), unknownText.replace(/Reference: \S+/, ''),
    'the answer does not tell whether the account exists');
  res = await b.submit('/forgot', '/forgot', { email: 'not an address' });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'forgot-email'), /name@example\.com/);

  const m = await expectMail(t, B.email, 'password_reset', 'Reset your Souk password', /\/reset\?token=/);
  const link = linkOf(m, '/reset');
  res = await b.get(link.path);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(stripTags(res.text_), new RegExp(`@${B.handle}`));
  assert.equal(inputValue(res.text_, 'token'), link.token);

  res = await b.post('/reset', { csrf: csrfOf(res.text_), token: link.token, password: 'short', password_confirm: 'short' });
  assert.equal(res.status, 422);
  assert.match(fieldError(res.text_, 'reset-password'), /at least 10/);
  assert.equal(inputValue(res.text_, 'token'), link.token, 'the token stays in the form');

  const newPw = `reset-${randomBytes(9).toString('base64url')}`;
  res = await b.post('/reset', { csrf: csrfOf(res.text_), token: link.token, password: newPw, password_confirm: newPw });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/login?done=reset');
  assert.equal(await signedIn(signedInElsewhere), false, 'a reset ends every session');
  assert.equal(one("SELECT count(*) FROM audit_log WHERE action = 'user.password_reset' AND entity_id = :'id'", { id: B.id }), '1');
  assert.equal(one("SELECT used_at IS NOT NULL FROM email_tokens WHERE token_hash = :'h'", { h: sha256hex(link.token) }), 't');

  res = await b.get(link.path);
  assert.equal(res.status, 400, 'the link works once');
  assert.match(stripTags(res.text_), /already used/);
  res = await b.post('/reset', { csrf: csrfOf((await b.get('/forgot')).text_), token: link.token, password: 'yet another password', password_confirm: 'yet another password' });
  assert.equal(res.status, 400, 'and cannot be posted again');

  res = await login(new Browser(), B.handle, B.password);
  assert.equal(res.status, 422, 'the old password is gone');
  B.password = newPw;
  const c = new Browser();
  assert.equal((await login(c, B.handle, B.password)).status, 303, 'the new one works');
  await logout(c);

  // An expired link: a fresh request, then its clock runs out.
  await b.submit('/forgot', '/forgot', { email: B.email });
  const j = await until(() => {
    const x = mailJob(B.email, 'password_reset');
    return x && !x.data.link.endsWith(link.token) ? x : null;
  }, 5000, 100);
  const tok = j.data.link.match(/token=([A-Za-z0-9_-]{43})/)[1];
  sql("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = :'h'", { h: sha256hex(tok) });
  res = await b.get(`/reset?token=${tok}`);
  assert.equal(res.status, 400);
  assert.match(stripTags(res.text_), /expired/);
  res = await b.get('/reset?token=nonsense');
  assert.equal(res.status, 400);
  assert.match(stripTags(res.text_), /does not work/);
});

test('a suspended account gets a clear message (only with the right password)', async () => {
  sql("UPDATE users SET status = 'suspended' WHERE id = :'id'", { id: A.id });
  const b = new Browser();
  let res = await login(b, A.handle, A.password);
  assert.equal(res.status, 403);
  assert.match(alertText(res.text_), /suspended/);
  assert.equal(b.session, null);
  res = await login(b, A.handle, 'a wrong password here');
  assert.equal(res.status, 422, 'a wrong password does not reveal the suspension');
  assert.equal(alertText(res.text_), GENERIC);
  res = await b.submit('/forgot', '/forgot', { email: A.email });
  assert.equal(res.status, 200, 'forgot answers as always');
});
