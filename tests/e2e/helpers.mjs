// Shared helpers of the end-to-end tests. ./dev test starts a throwaway stack
// and passes its details in SOUK_TEST_* variables; against `./dev up` run
//   SOUK_TEST_URL=http://127.0.0.1:8080 node --test tests/e2e/
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { deflateSync } from 'node:zlib';

export const BASE = (process.env.SOUK_TEST_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const OUTPUT = process.env.SOUK_TEST_OUTPUT || resolve(import.meta.dirname ?? '.', '../../test-output');

export function outputDir() {
  mkdirSync(OUTPUT, { recursive: true });
  return OUTPUT;
}

let bust = 0;
/** A query parameter that makes a URL miss nginx's micro-cache. */
export function cacheBuster() {
  return `_t=${process.pid}-${Date.now()}-${++bust}`;
}

/**
 * fetch() relative to BASE, never following redirects; returns the response
 * with its body read as text in `res.text_`.
 */
export async function get(path, init = {}) {
  const url = path.startsWith('http') ? path : BASE + path;
  const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(init.timeout ?? 30000) });
  res.text_ = await res.text();
  return res;
}

/** GET that must answer 200 text/html; returns the HTML. */
export async function page(path, init) {
  const res = await get(path, init);
  assert.equal(res.status, 200, `GET ${path} → ${res.status}\n${res.text_.slice(0, 500)}`);
  assert.match(res.headers.get('content-type') || '', /^text\/html/, `GET ${path}: content-type`);
  return res.text_;
}

/** Minimal HTML entity decoding for text taken out of markup. */
export function decode(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}

export function stripTags(s) {
  return decode(s.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/**
 * A displayed price ("$1,250.00", "R 1 250,00", "¥150") as
 * {currency: the symbol or code, minor: integer in minor units}.
 */
export function parsePrice(text) {
  const t = decode(text).trim();
  const num = t.match(/\d[\d\s.,\u00a0\u202f']*/);
  if (!num) return null;
  const raw = num[0].replace(/[\s.,\u00a0\u202f']+$/, '');
  const currency = t.replace(num[0], '').replace(/[\s\u00a0\u202f]/g, '');
  const dec = raw.match(/^(.*)[.,](\d{2})$/);
  const whole = (dec ? dec[1] : raw).replace(/\D/g, '');
  const minor = Number(whole || '0') * 100 + (dec ? Number(dec[2]) : 0);
  return { currency, minor };
}

const SYMBOLS = { $: 'USD', '¥': 'CNY', R: 'ZAR', US$: 'USD' };
let rates;
/**
 * US cents per minor unit of each currency, from the fx_rates table that the
 * listing filters and the price sort use (read with psql).
 */
export function fxRates() {
  if (!rates) {
    const db = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';
    const out = execFileSync('psql', ['-X', '-At', '-F', ' ', db, '-c', 'SELECT currency, usd_cents_per_minor FROM fx_rates'],
      { encoding: 'utf8' });
    rates = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ')).map(([c, r]) => [c, Number(r)]));
  }
  return rates;
}

/** A card's starting price in US cents, as the server compares prices. */
export function usdMinor(card) {
  if (card.data['price-usd-minor'] != null) return Number(card.data['price-usd-minor']);
  const code = SYMBOLS[card.currency] || card.currency;
  const rate = fxRates()[code];
  assert.ok(rate, `a rate for ${card.currency} (${card.priceText})`);
  return Math.round(card.priceMinor * rate);
}

/**
 * The gig cards of a listing page (partials/gig_card): url, title, level,
 * rating, price, lang, plus data-* attributes when the template has them.
 */
export function gigCards(html) {
  const cards = [];
  const re = /<article\b[^>]*class="[^"]*\bgig-card\b[^"]*"[^>]*>([\s\S]*?)<\/article>/g;
  for (const m of html.matchAll(re)) {
    const open = m[0].slice(0, m[0].indexOf('>') + 1);
    const body = m[1];
    const data = {};
    for (const a of open.matchAll(/\bdata-([a-z0-9-]+)="([^"]*)"/g)) data[a[1]] = decode(a[2]);
    const title = body.match(/class="gig-card__title"[^>]*>\s*<a href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/);
    const titleLang = body.match(/class="gig-card__title"[^>]*\blang="([^"]*)"/) ||
                      body.match(/\blang="([^"]*)"[^>]*class="gig-card__title"/);
    const level = body.match(/class="badge badge--([a-z0-9_]+)"/);
    const rating = body.match(/class="rating__value">([^<]*)</);
    const price = body.match(/class="gig-card__price"[^>]*>[\s\S]*?<strong>([\s\S]*?)<\/strong>/);
    const p = price ? parsePrice(stripTags(price[1])) : null;
    cards.push({
      url: title ? decode(title[1]) : null,
      title: title ? stripTags(title[2]) : null,
      lang: data.lang ?? (titleLang ? titleLang[1] : null),
      level: data.level ?? (level ? level[1] : null),
      rating: data.rating != null ? Number(data.rating) : rating ? Number(rating[1]) : null,
      priceText: price ? stripTags(price[1]) : null,
      currency: data.currency ?? (p ? p.currency : null),
      priceMinor: data['price-minor'] != null ? Number(data['price-minor']) : p ? p.minor : null,
      deliveryDays: data['delivery-days'] != null ? Number(data['delivery-days']) : null,
      data,
    });
  }
  return cards;
}

/** Category links (/c/<slug>) in the order they appear, without duplicates. */
export function categoryLinks(html) {
  return [...new Set([...html.matchAll(/href="(\/c\/[a-z0-9-]+)"/g)].map((m) => m[1]))];
}

/** The pagination block's "next" link, or null. */
export function nextLink(html) {
  const m = html.match(/<a\b[^>]*href="([^"]+)"[^>]*rel="next"/) || html.match(/<a\b[^>]*rel="next"[^>]*href="([^"]+)"/);
  return m ? decode(m[1]) : null;
}

/** Asserts the headers every HTML response must carry. */
export function assertCommonHeaders(res, what) {
  assert.match(res.headers.get('x-request-id') || '', /^[0-9A-Za-z-]{8,}$/, `${what}: X-Request-Id`);
  const csp = res.headers.get('content-security-policy') || '';
  assert.match(csp, /default-src 'self'/, `${what}: CSP default-src`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP without unsafe-*`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
}

let homeCache;
/** The home page and what tests navigate from: categories and featured gigs. */
export async function home() {
  if (!homeCache) {
    const html = await page('/');
    homeCache = { html, categories: categoryLinks(html), gigs: gigCards(html) };
  }
  return homeCache;
}

/** The category (from the home page) with the most services, by its listing count. */
export async function biggestCategory() {
  const { categories } = await home();
  let best = null;
  for (const path of categories) {
    const html = await page(path);
    const m = stripTags(html).match(/(\d+) services available/);
    const total = m ? Number(m[1]) : gigCards(html).length;
    if (!best || total > best.total) best = { path, total, html };
  }
  return best;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn() until it returns truthy or `ms` pass; returns the last value. */
export async function until(fn, ms, step = 250) {
  const end = Date.now() + ms;
  let v;
  for (;;) {
    try { v = await fn(); } catch (e) { v = undefined; }
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
}

// ---------------------------------------------------------------------------
// The stack behind the tests: PostgreSQL, Redis, soukctl, and users with
// sessions made without the sign-up forms (the tests of those forms use them).

/** The source tree. */
export const ROOT = resolve(import.meta.dirname ?? '.', '../..');
export const DB = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';
export const REDIS = process.env.SOUK_TEST_REDIS_URL || 'redis://127.0.0.1:16379';
/** soukctl of the test build (./dev test passes none: var/build-test, else var/build). */
export const SOUKCTL = process.env.SOUK_TEST_SOUKCTL ||
  [resolve(ROOT, 'var/build-test/soukctl'), resolve(ROOT, 'var/build/soukctl')].find((f) => existsSync(f));

/** role_t (src/http/router.h): bit i of a session's role mask is role i. */
export const ROLE_BIT = { BUYER: 1, SELLER: 2, SUPPORT: 3, MODERATOR: 4, FINANCE: 5, ADMIN: 6, SUPER_ADMIN: 7 };
export const STAFF_ROLES = ['SUPPORT', 'MODERATOR', 'FINANCE', 'ADMIN', 'SUPER_ADMIN'];

/** A tag unique to this test process, for handles and e-mails (at most 9 characters). */
export function runTag() {
  return (process.pid.toString(36) + Date.now().toString(36).slice(-5)).slice(-9);
}

/** psql -c @text: the output, trimmed (rows by newline, columns by '|'). */
export function psql(text) {
  return execFileSync('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', DB, '-c', text], { encoding: 'utf8' }).trim();
}

/**
 * psql reading @query from stdin with @params as the variables v1, v2, ...
 * (:'v1' quotes a value, so values never become SQL text); the output, trimmed.
 */
export function sql(query, ...params) {
  const args = ['-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', DB];
  params.forEach((p, i) => args.push('-v', `v${i + 1}=${p}`));
  return execFileSync('psql', args, { input: query, encoding: 'utf8' }).trim();
}

/**
 * psql reading @text from stdin with the named variables @vars (:'name'
 * quotes a value): the rows, each an array of column strings.
 */
export function sqlRows(text, vars = {}) {
  const args = ['-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  const out = execFileSync('psql', [...args, DB, '-f', '-'], { input: text, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** redis-cli against the test Redis; @opts.noRaw: quoted output (--no-raw). */
export function redisCli(args, { noRaw = false } = {}) {
  return execFileSync('redis-cli', ['-u', REDIS, ...(noRaw ? ['--no-raw'] : []), ...args.map(String)],
    { encoding: 'utf8' }).trim();
}

/** redis-cli with raw output. */
export function redis(...args) {
  return redisCli(args);
}

/** soukctl @args with @input on stdin, against the test database (spawnSync result). */
export function soukctl(args, input) {
  assert.ok(SOUKCTL, 'the soukctl binary (var/build-test or var/build, or SOUK_TEST_SOUKCTL)');
  return spawnSync(SOUKCTL, args, {
    input: input ?? '', encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB },
  });
}

/** Two-factor authentication on, as confirmed enrolment leaves it (sql/0008_twofa.sql). */
export function enableTwofa(id) {
  psql(`INSERT INTO user_totp (user_id, secret_sealed, confirmed_at) VALUES (${Number(id)}, 'e2e-not-a-secret', now())
        ON CONFLICT (user_id) DO UPDATE SET confirmed_at = now()`);
}

/**
 * An account made by `soukctl user create` with @roles: {id, handle, email,
 * password, roles}.  Staff get 2FA unless @twofa is false; with @profile a
 * seller also gets a public profile (the gig page needs one) with that
 * display name.
 */
export function soukctlUser(handle, email, roles = [], { twofa = true, profile = null, password } = {}) {
  const pw = password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const args = ['user', 'create', '--email', email, '--handle', handle, '--password-stdin'];
  for (const r of roles) args.push('--role', r);
  const r = soukctl(args, pw + '\n');
  assert.equal(r.status, 0, `soukctl ${args.join(' ')}: ${r.stderr}`);
  const id = Number(r.stdout.trim());
  assert.ok(id > 0, `soukctl printed an id: ${r.stdout}`);
  if (profile != null && roles.includes('SELLER'))
    psql(`INSERT INTO profiles (user_id, display_name) VALUES (${id}, '${profile.replace(/'/g, "''")}')`);
  if (twofa && roles.some((x) => STAFF_ROLES.includes(x))) enableTwofa(id);
  return { id, handle, email, password: pw, roles };
}

/**
 * An account inserted with psql: {id, handle, email, roles}.  @roles go to
 * user_roles; a SELLER gets a profile ({display_name, country} from
 * @profile); staff get 2FA unless @twofa is false.
 */
export function insertUser(handle, roles = [], { email, twofa = true, profile = {} } = {}) {
  const mail = email ?? `${handle}@example.test`;
  const id = Number(sql("INSERT INTO users (email, handle) VALUES (:'v1', :'v2') RETURNING id", mail, handle));
  for (const r of roles) sql("INSERT INTO user_roles (user_id, role) VALUES (:'v1', :'v2')", id, r);
  if (roles.includes('SELLER'))
    sql("INSERT INTO profiles (user_id, display_name, country) VALUES (:'v1', :'v2', :'v3')", id,
      profile.display_name ?? `Seller ${handle}`, profile.country ?? 'ZA');
  if (twofa && roles.some((x) => STAFF_ROLES.includes(x))) enableTwofa(id);
  return { id, handle, email: mail, roles };
}

/** The role mask of a session of @roles (BUYER always). */
export function roleMask(roles = []) {
  let mask = 1 << ROLE_BIT.BUYER;
  for (const r of roles) mask |= 1 << ROLE_BIT[r];
  return mask;
}

/**
 * A signed-in session of @user ({id, handle, roles}) written into Redis as
 * session_start() does (src/identity/session.c): {cookie, token, key, csrf}
 * (csrf: the form token derived from the session's secret).
 */
export function redisSession(user, { ttl = 7200, remember = 0 } = {}) {
  const token = randomBytes(32).toString('base64url');
  const key = 'sess:' + createHash('sha256').update(token).digest('hex');
  const secret = randomBytes(32).toString('hex');
  const now = Math.floor(Date.now() / 1000);
  redis('HSET', key, 'uid', user.id, 'handle', user.handle, 'roles', roleMask(user.roles), 'csrf', secret,
    'created', now, 'seen', now, 'abs_exp', now + 12 * 3600, 'remember', remember);
  redis('EXPIRE', key, ttl);
  redis('SADD', `usess:${user.id}`, key);
  const csrf = createHmac('sha256', Buffer.from(secret, 'hex')).update('souk-csrf-v1').digest('hex');
  return { cookie: `souk_sess=${token}`, token, key, csrf };
}

/** An anonymous visitor with a double-submit CSRF cookie, so a refusal is the role gate's. */
export function anonSession() {
  const c = randomBytes(32).toString('hex');
  return { cookie: `souk_csrf=${c}`, csrf: c };
}

/**
 * Write a signed-in session of @user ({id, handle}) with role mask @mask
 * into Redis as session_start() does, with a random CSRF secret: its
 * token (the souk_sess cookie's value).
 */
export function writeSession(user, mask) {
  const token = randomBytes(32).toString('base64url');
  const key = `sess:${sha256hex(token)}`;
  const now = Math.floor(Date.now() / 1000);
  redis('HSET', key, 'uid', String(user.id), 'handle', user.handle, 'roles', String(mask),
    'csrf', randomBytes(32).toString('hex'), 'created', String(now), 'seen', String(now),
    'abs_exp', String(now + 43200), 'remember', '0');
  redis('EXPIRE', key, '7200');
  redis('SADD', `usess:${user.id}`, key);
  return token;
}

export const sha256hex = (s) => createHash('sha256').update(s).digest('hex');

/** The cookie @name set by response @res: {value, raw} or null. */
export function cookieOf(res, name) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    if (pair.slice(0, i).trim() === name) return { value: pair.slice(i + 1), raw: c };
  }
  return null;
}

/** GET @path as @s (a session or null). */
export function as(s, path, init = {}) {
  return get(path, { ...init, headers: { ...(init.headers || {}), ...(s ? { cookie: s.cookie } : {}) } });
}

/** POST the form @fields as @s (or anonymously) with its CSRF token; @headers added. */
export function postAs(s, path, fields = {}, headers = {}) {
  const body = new URLSearchParams({ ...fields, ...(s ? { csrf: s.csrf } : {}) });
  return get(path, { method: 'POST', body, headers: { ...headers, ...(s ? { cookie: s.cookie } : {}) } });
}

/** The CSRF token of a page's first form. */
export function csrfOf(html) {
  const m = html.match(/name="csrf" value="([0-9a-f]{64})"/);
  assert.ok(m, 'a CSRF field on the page');
  return m[1];
}

/** A small valid PNG (@w x @h, an RGB gradient), written by hand with zlib. */
export function pngBytes(w = 80, h = 50) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      raw[row + 1 + x * 3] = (x * 3) & 0xff;
      raw[row + 2 + x * 3] = (y * 5) & 0xff;
      raw[row + 3 + x * 3] = 160;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A minimal browser: keeps the cookies responses set (a Max-Age=0 or empty
 * value deletes one) and sends them back; GET and form POSTs, redirects not
 * followed (get() above).  token: the souk_sess cookie's value.
 */
export class Browser {
  constructor() { this.cookies = new Map(); }
  cookieHeader() {
    return [...this.cookies].map(([n, c]) => `${n}=${c.value}`).join('; ');
  }
  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim(), value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, raw: line });
    }
  }
  async get(path) {
    const res = await get(path, { headers: { cookie: this.cookieHeader() } });
    this.store(res);
    return res;
  }
  async post(path, fields) {
    const res = await get(path, {
      method: 'POST',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    this.store(res);
    return res;
  }
  get token() { return this.cookies.get('souk_sess')?.value; }
}
