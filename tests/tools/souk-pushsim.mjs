#!/usr/bin/env node
// souk-pushsim - a loopback stand-in for a Web Push service (RFC 8030) for
// the end-to-end tests of src/webpush.  ./dev test starts it on
// 127.0.0.1:$SOUK_TEST_PUSHSIM_PORT (default 18188) and exports
// SOUK_TEST_PUSHSIM_URL.
//
//   node tests/tools/souk-pushsim.mjs --port 18188 --host 127.0.0.1 [--log FILE]
//
// It plays the browser's push service: a test asks it for a subscription
// (it makes the user agent's P-256 key pair with crypto.createECDH and a
// 16-byte auth secret, as a browser does), gives that subscription to
// souk-web, and souk-worker then POSTs pushes to it.  Each push is checked
// like a real push service does, and decrypted with http_ece, the RFC 8188 /
// RFC 8291 implementation that npm's web-push package uses (the reference).
//
// Push resource:
//   POST /push/<id>   checks: Content-Encoding aes128gcm; TTL a whole number;
//                     Urgency (if any) one of very-low|low|normal|high;
//                     Authorization "vapid t=<JWT>, k=<key>" (RFC 8292): JWT
//                     header {typ JWT, alg ES256}, the ES256 signature verifies
//                     with k, aud = this service's origin, exp in the future
//                     and at most 24 h ahead, sub a mailto: or https: URI; k is
//                     the applicationServerKey the subscription was made with
//                     (when one was given).  Failing checks answer 400 (bad
//                     headers or body) / 401 (no or bad VAPID) / 403 (k is not
//                     the subscription's key).  Then the body is decrypted;
//                     201 with a Location header, or the status a test forced.
//                     Unknown or deleted ids: 410.
// Control (tests):
//   POST /_subscriptions {"applicationServerKey": "<base64url>"?}
//        → 201 {id, endpoint, keys: {p256dh, auth}} (PushSubscription.toJSON())
//   POST /_control {"id": "<id>", "status": 410|429|500|...|null, "count": n?}
//        the next n (default: every) pushes to <id> get that status (after the
//        checks, before decryption is recorded as delivered); null clears it.
//   GET  /_messages[?id=&since=<seq>]  every push received: {seq, id, at,
//        status, error, ttl, urgency, encoding, claims, k, payload (the
//        decrypted text), json (payload parsed, or null)}.
//   POST /_reset  forget forced statuses and messages (subscriptions stay).
import http from 'node:http';
import crypto from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ece = require('http_ece');

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const unb64u = (s) => Buffer.from(String(s), 'base64url');

// The public key object for a raw uncompressed P-256 point (65 bytes).
function p256Public(raw) {
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  return crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) },
    format: 'jwk',
  });
}

// Check an RFC 8292 Authorization header; returns {claims, k} or throws.
export function verifyVapid(header, audience, nowSeconds = Math.floor(Date.now() / 1000)) {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) throw new Error('Authorization is not "vapid t=<jwt>, k=<key>"');
  const [h64, c64, s64] = m[1].split('.');
  const k = unb64u(m[2]);
  const head = JSON.parse(unb64u(h64).toString('utf8'));
  if (head.typ !== 'JWT' || head.alg !== 'ES256') throw new Error(`JWT header ${JSON.stringify(head)}`);
  const sig = unb64u(s64);
  if (sig.length !== 64) throw new Error(`ES256 signature of ${sig.length} bytes`);
  const ok = crypto.verify('sha256', Buffer.from(`${h64}.${c64}`), { key: p256Public(k), dsaEncoding: 'ieee-p1363' }, sig);
  if (!ok) throw new Error('JWT signature does not verify with k');
  const claims = JSON.parse(unb64u(c64).toString('utf8'));
  if (claims.aud !== audience) throw new Error(`aud ${claims.aud} is not ${audience}`);
  if (!Number.isInteger(claims.exp) || claims.exp <= nowSeconds || claims.exp > nowSeconds + 86400)
    throw new Error(`exp ${claims.exp} is not within 24 h`);
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${claims.sub}`);
  return { claims, k: m[2] };
}

export function createPushsim({ host = '127.0.0.1', port = 18188, logFile = null, quiet = false } = {}) {
  const subs = new Map();       // id -> {ecdh, auth, appKey, deleted}
  const forced = new Map();     // id -> {status, count}
  const messages = [];
  let seq = 0;
  let base = '';

  function log(msg, fields = {}) {
    const kv = Object.entries(fields)
      .map(([k, v]) => `${k}="${String(v).replace(/["\\\r\n]/g, '?').slice(0, 300)}"`).join(' ');
    const line = `ts=${new Date().toISOString()} prog=souk-pushsim pid=${process.pid} msg="${msg}"${kv ? ' ' + kv : ''}\n`;
    if (!quiet) process.stdout.write(line);
    if (logFile) { try { appendFileSync(logFile, line); } catch { /* ignore */ } }
  }

  function reply(res, status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
    res.end(text);
  }

  function readBody(req, max = 65536) {
    return new Promise((ok, fail) => {
      const chunks = [];
      let n = 0;
      req.on('data', (c) => { n += c.length; if (n > max) { fail(new Error('body too large')); req.destroy(); } else chunks.push(c); });
      req.on('end', () => ok(Buffer.concat(chunks)));
      req.on('error', fail);
    });
  }

  function push(req, res, id, body) {
    const rec = { seq: ++seq, id, at: new Date().toISOString(), status: 0, error: null,
      ttl: req.headers.ttl ?? null, urgency: req.headers.urgency ?? null,
      encoding: req.headers['content-encoding'] ?? null, claims: null, k: null, payload: null, json: null };
    const done = (status, error, headers) => {
      rec.status = status; rec.error = error;
      messages.push(rec);
      log('push', { id, status, error: error ?? '', bytes: body.length });
      reply(res, status, error ? `${error}\n` : '', headers);
    };
    const sub = subs.get(id);
    if (!sub || sub.deleted) return done(410, 'no such subscription');
    if (rec.encoding !== 'aes128gcm') return done(400, `Content-Encoding ${rec.encoding}`);
    if (rec.ttl === null || !/^\d+$/.test(rec.ttl)) return done(400, `TTL ${rec.ttl}`);
    if (rec.urgency !== null && !['very-low', 'low', 'normal', 'high'].includes(rec.urgency))
      return done(400, `Urgency ${rec.urgency}`);
    try {
      const v = verifyVapid(req.headers.authorization, base);
      rec.claims = v.claims; rec.k = v.k;
    } catch (e) {
      return done(401, `VAPID: ${e.message}`);
    }
    if (sub.appKey && sub.appKey !== rec.k) return done(403, 'k is not the applicationServerKey of this subscription');
    const f = forced.get(id);
    if (f) {
      if (f.count !== null && --f.count <= 0) forced.delete(id);
      if (f.status === 410 || f.status === 404) sub.deleted = true;
      return done(f.status, `forced ${f.status}`);
    }
    try {
      const plain = ece.decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth });
      rec.payload = plain.toString('utf8');
      try { rec.json = JSON.parse(rec.payload); } catch { rec.json = null; }
    } catch (e) {
      return done(400, `decryption failed: ${e.message}`);
    }
    return done(201, null, { location: `${base}/message/${rec.seq}` });
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      const body = await readBody(req);
      let m;
      if (req.method === 'POST' && (m = /^\/push\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname))) return push(req, res, m[1], body);
      if (req.method === 'POST' && url.pathname === '/_subscriptions') {
        const opts = body.length ? JSON.parse(body.toString('utf8')) : {};
        const id = crypto.randomBytes(12).toString('base64url');
        const ecdh = crypto.createECDH('prime256v1');
        ecdh.generateKeys();
        const auth = crypto.randomBytes(16);
        subs.set(id, { ecdh, auth, appKey: opts.applicationServerKey ?? null, deleted: false });
        return reply(res, 201, { id, endpoint: `${base}/push/${id}`, expirationTime: null,
          keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) } });
      }
      if (req.method === 'POST' && url.pathname === '/_control') {
        const c = JSON.parse(body.toString('utf8') || '{}');
        if (c.status === null || c.status === undefined) forced.delete(c.id);
        else forced.set(c.id, { status: Number(c.status), count: c.count ?? null });
        return reply(res, 200, { ok: true });
      }
      if (req.method === 'POST' && url.pathname === '/_reset') {
        forced.clear(); messages.length = 0;
        return reply(res, 200, { ok: true });
      }
      if (req.method === 'GET' && url.pathname === '/_messages') {
        const id = url.searchParams.get('id');
        const since = Number(url.searchParams.get('since') ?? 0);
        return reply(res, 200, messages.filter((r) => (!id || r.id === id) && r.seq > since));
      }
      return reply(res, 404, 'not found\n');
    } catch (e) {
      log('error', { url: req.url, error: e.stack ?? e.message });
      if (!res.headersSent) reply(res, 500, 'souk-pushsim internal error\n'); else res.destroy();
    }
  });

  return {
    server, messages,
    get url() { return base; },
    listen() {
      return new Promise((ok, fail) => {
        server.once('error', fail);
        server.listen(port, host, () => {
          base = `http://${host}:${server.address().port}`;
          log('listening', { addr: `${host}:${server.address().port}`, url: base });
          ok(base);
        });
      });
    },
    close() { return new Promise((r) => { server.close(() => r()); server.closeAllConnections?.(); }); },
  };
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return fallback;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.title = 'souk-pushsim';
  const host = arg('host', '127.0.0.1');
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) { console.error('souk-pushsim: --host must be a loopback address'); process.exit(2); }
  const sim = createPushsim({ host, port: Number(arg('port', process.env.SOUK_PUSHSIM_PORT || 18188)), logFile: arg('log', null) });
  sim.listen().catch((e) => { console.error(`souk-pushsim: ${e.message}`); process.exit(1); });
  const stop = (sig) => {
    process.stdout.write(`ts=${new Date().toISOString()} prog=souk-pushsim pid=${process.pid} msg="stopping" signal="${sig}"\n`);
    sim.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1500).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
