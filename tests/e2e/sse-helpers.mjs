// Helpers of the souk-sse tests (sse-scope, sse-cluster, chat-browser):
// the server key and conversation scope tokens exactly as src/events/events.c
// makes them, a text/event-stream reader that keeps ephemeral events (no
// id:) too, and the paths of the running test stack (./dev test).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BASE, sleep } from './helpers.mjs';

export const CONF = process.env.SOUK_TEST_WORKER_CONF || '';
export const RUN_DIR = process.env.SOUK_TEST_PIDFILE ? dirname(process.env.SOUK_TEST_PIDFILE) : '';
export const STATE = RUN_DIR ? dirname(RUN_DIR) : '';
export const SSE_BIN = process.env.SOUK_TEST_WORKER_BIN ? join(dirname(process.env.SOUK_TEST_WORKER_BIN), 'souk-sse') : '';

/** A key of souk-web's configuration file (its first value), or ''. */
export function confValue(name) {
  if (!CONF) return '';
  const m = readFileSync(CONF, 'utf8').match(new RegExp(`^\\s*${name}\\s*=\\s*(.*?)\\s*$`, 'm'));
  return m ? m[1] : '';
}

/** The server key: cfg.secret_key (./dev writes one into every configuration it makes). */
export function serverKey() {
  const hex = confValue('secret_key');
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`no secret_key in ${CONF || '(no SOUK_TEST_WORKER_CONF)'}`);
  return Buffer.from(hex, 'hex');
}

/** events_scope_token(): "<expires>.<other>.<hex HMAC-SHA-512-256>". */
export function scopeToken(userId, convId, otherId, expires, key = serverKey()) {
  const mac = createHmac('sha512', key).update(`souk-scope:c:${convId}:${userId}:${otherId}:${expires}`)
    .digest().subarray(0, 32).toString('hex');
  return `${expires}.${otherId}.${mac}`;
}

/**
 * Open GET /events (@path with its query; @base: nginx, or an instance's own
 * URL) as @cookie: {res, ready, events, ephemeral, all, comments, retry,
 * waitFor(pred, ms), close()}.  ready: the opening "ready" event (no Last-Event-ID).  events: those with an id; ephemeral: those
 * without; all: both, in order.  Each {id, event, data, json}.
 */
export async function openStream(cookie, { path = '/events', headers = {}, base = BASE, dispatcher } = {}) {
  const ac = new AbortController();
  const res = await fetch(`${base}${path}`, {
    headers: { ...(cookie ? { cookie } : {}), ...headers }, signal: ac.signal, ...(dispatcher ? { dispatcher } : {}),
  });
  const s = { res, events: [], ephemeral: [], all: [], comments: [], retry: [], closed: false };
  s.close = () => { s.closed = true; ac.abort(); };
  if (res.status !== 200) { s.body = await res.text().catch(() => ''); s.closed = true; return s; }
  const dec = new TextDecoder();
  let buf = '';
  (async () => {
    try {
      for await (const chunk of res.body) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) s.comments.push(line);
            else if (line.startsWith('retry: ')) s.retry.push(Number(line.slice(7)));
            else if (line.startsWith('id: ')) ev.id = line.slice(4);
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) ev.data = (ev.data ? ev.data + '\n' : '') + line.slice(6);
          }
          if (ev.data === undefined) continue;
          const e = { ...ev, json: JSON.parse(ev.data) };
          if (e.event === 'ready') { s.ready = e; continue; } // the stream's position (sse.h)
          s.all.push(e);
          (e.id ? s.events : s.ephemeral).push(e);
        }
      }
    } catch { /* aborted */ }
    s.closed = true;
  })();
  s.waitFor = async (pred, ms = 1000) => {
    const end = Date.now() + ms;
    while (!pred(s)) {
      if (Date.now() > end) return false;
      await sleep(10);
    }
    return true;
  };
  return s;
}

/** Assert @s opened (200, text/event-stream). */
export function assertOpen(s, what = 'the stream') {
  assert.equal(s.res.status, 200, `${what}: ${s.res.status} ${s.body || ''}`);
  assert.match(s.res.headers.get('content-type') || '', /^text\/event-stream/);
}
