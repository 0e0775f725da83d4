// souk-sse (src/sse/sse.h) end to end, through nginx's /events location:
// the session cookie is checked (none / forged / expired -> 401), an event
// published as src/events/events.c does (XADD to the capped stream
// "ev:u:<id>", then PUBLISH "<entry id>\n<type>\n<json>") reaches the
// signed-in user's stream within a second and nobody else's; a reconnect
// with Last-Event-ID (header or ?last_event_id=) replays exactly the missed
// events in order and then goes live without duplicates; a malformed id
// starts live (after the opening "ready" event, which this file's reader
// sets aside: sse-scope.test.mjs checks it); heartbeats arrive (./dev test
// sets sse_heartbeat = 2); a signed-out session's stream is closed; the per-user connection cap
// answers 429; /events/health counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { REDIS, get, insertUser, writeSession, redis, runTag, sha256hex, sleep } from './helpers.mjs';
import { openStream } from './sse-helpers.mjs';

const RUN = runTag();

function user(tag) {
  const u = insertUser(`sse_${tag}_${RUN}`.slice(0, 32));
  return { ...u, cookie: `souk_sess=${writeSession(u, 1 << 1)}` };
}

/** Publish one event to @uid exactly as events_publish() does: its entry id. */
function publish(uid, type, data) {
  const text = JSON.stringify(data);
  const id = redis('XADD', `ev:u:${uid}`, 'MAXLEN', '~', '1000', '*', 'type', type, 'data', text);
  assert.match(id, /^\d+-\d+$/);
  redis('PUBLISH', `ev:u:${uid}`, `${id}\n${type}\n${text}`);
  return id;
}

const execFileP = promisify(execFile);
async function redisAsync(...args) {
  return (await execFileP('redis-cli', ['-u', REDIS, ...args.map(String)], { encoding: 'utf8' })).stdout.trim();
}
/** publish() without blocking the event loop. */
async function publishAsync(uid, type, data) {
  const text = JSON.stringify(data);
  const id = await redisAsync('XADD', `ev:u:${uid}`, 'MAXLEN', '~', '1000', '*', 'type', type, 'data', text);
  await redisAsync('PUBLISH', `ev:u:${uid}`, `${id}\n${type}\n${text}`);
  return id;
}

/**
 * Open GET /events as @cookie with extra @headers (or @query): sse-helpers.mjs
 * openStream, whose events are those with an id (the opening "ready" apart).
 */
function open(cookie, { headers = {}, query = '' } = {}) {
  return openStream(cookie, { path: `/events${query}`, headers });
}

async function health() {
  const r = await get('/events/health');
  assert.equal(r.status, 200);
  return JSON.parse(r.text_);
}

test('no cookie, a forged cookie, an unknown or expired session: 401, no stream', async () => {
  let s = await open(null);
  assert.equal(s.res.status, 401);
  s = await open('souk_sess=not-a-token');
  assert.equal(s.res.status, 401);
  s = await open('souk_sess=' + 'A'.repeat(43));
  assert.equal(s.res.status, 401, 'a well-formed token with no session');
  const u = user('exp');
  const key = `sess:${sha256hex(u.cookie.slice('souk_sess='.length))}`;
  assert.equal(redis('HGET', key, 'uid'), String(u.id));
  redis('HSET', key, 'abs_exp', String(Math.floor(Date.now() / 1000) - 1));
  s = await open(u.cookie);
  assert.equal(s.res.status, 401, 'past its absolute expiry');
});

test('an event reaches the user within a second, not another user; headers; heartbeat', async () => {
  const a = user('a'), b = user('b');
  const sa = await open(a.cookie), sb = await open(b.cookie);
  try {
    assert.equal(sa.res.status, 200);
    assert.match(sa.res.headers.get('content-type'), /^text\/event-stream/);
    assert.equal(sa.res.headers.get('cache-control'), 'no-store');
    assert.ok(await sa.waitFor((x) => x.retry.length > 0), 'a retry: hint first');
    const t0 = Date.now();
    const id = publish(a.id, 'message', { text: 'hello ✓', n: 1 });
    assert.ok(await sa.waitFor((x) => x.events.length >= 1, 1000), 'arrived within 1 s');
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(sa.events[0], { id, event: 'message', data: JSON.stringify({ text: 'hello ✓', n: 1 }), json: { text: 'hello ✓', n: 1 } });
    await sleep(300);
    assert.equal(sb.events.length, 0, "another user's stream stays quiet");
    assert.ok(await sa.waitFor((x) => x.comments.includes(': hb'), 3500), 'a heartbeat comment');
  } finally {
    sa.close(); sb.close();
  }
});

test('reconnect with Last-Event-ID replays exactly the missed events, then live', async () => {
  const u = user('replay');
  const s1 = await open(u.cookie);
  const first = publish(u.id, 'message', { n: 1 });
  assert.ok(await s1.waitFor((x) => x.events.length === 1));
  s1.close();
  const missed = [publish(u.id, 'message', { n: 2 }), publish(u.id, 'notification', { n: 3 }), publish(u.id, 'message', { n: 4 })];
  const s2 = await open(u.cookie, { headers: { 'last-event-id': first } });
  try {
    assert.equal(s2.res.status, 200);
    assert.ok(await s2.waitFor((x) => x.events.length >= 3));
    const live = publish(u.id, 'message', { n: 5 });
    assert.ok(await s2.waitFor((x) => x.events.length >= 4));
    await sleep(300);
    assert.deepEqual(s2.events.map((e) => e.id), [...missed, live], 'in order, no duplicate, no gap');
    assert.deepEqual(s2.events.map((e) => e.json.n), [2, 3, 4, 5]);
    assert.equal(s2.events[1].event, 'notification');
  } finally {
    s2.close();
  }
  // the same through ?last_event_id= (for clients that cannot set the header)
  const s3 = await open(u.cookie, { query: `?last_event_id=${encodeURIComponent(missed[1])}` });
  try {
    assert.ok(await s3.waitFor((x) => x.events.length >= 2));
    await sleep(300);
    assert.deepEqual(s3.events.map((e) => e.json.n), [4, 5]);
  } finally {
    s3.close();
  }
});

test('a malformed Last-Event-ID starts live, without replay', async () => {
  const u = user('bad');
  publish(u.id, 'message', { n: 1 });
  for (const bad of ['garbage', '12', '1-2-3', '-1', '99999999999999999999999-0']) {
    const s = await open(u.cookie, { headers: { 'last-event-id': bad } });
    try {
      assert.equal(s.res.status, 200, bad);
      await sleep(200);
      assert.equal(s.events.length, 0, `no replay for ${bad}`);
      const id = publish(u.id, 'message', { live: bad });
      assert.ok(await s.waitFor((x) => x.events.length === 1), `live after ${bad}`);
      assert.equal(s.events[0].id, id);
    } finally {
      s.close();
    }
  }
});

test('signing out (the session key gone) ends an open stream at the next heartbeat', async () => {
  const u = user('out');
  const s = await open(u.cookie);
  assert.equal(s.res.status, 200);
  assert.ok(await s.waitFor((x) => x.comments.includes(': hb'), 3500), 'live, heartbeats');
  assert.equal(s.closed, false);
  redis('DEL', `sess:${sha256hex(u.cookie.slice('souk_sess='.length))}`);
  assert.ok(await s.waitFor((x) => x.closed, 5000), 'the stream was closed');
  const again = await open(u.cookie);
  assert.equal(again.res.status, 401);
});

test('connection cap per user (8): the 9th is 429; /events/health counts', async () => {
  const u = user('cap');
  const before = await health();
  const streams = [];
  try {
    for (let i = 0; i < 8; i++) {
      const s = await open(u.cookie);
      assert.equal(s.res.status, 200, `stream ${i + 1}`);
      streams.push(s);
    }
    const extra = await open(u.cookie);
    assert.equal(extra.res.status, 429);
    const h = await health();
    assert.ok(h.connections >= 8, JSON.stringify(h));
    assert.ok(h.rejected_cap >= before.rejected_cap + 1);
    assert.equal(h.redis, 'up');
    for (const k of ['connections', 'users', 'events_total', 'events_per_second', 'delivered_total', 'dropped_slow'])
      assert.equal(typeof h[k], 'number', k);
    const id = publish(u.id, 'order', { all: true });
    for (const s of streams) assert.ok(await s.waitFor((x) => x.events.some((e) => e.id === id)), 'every stream gets it');
    const h2 = await health();
    assert.ok(h2.events_total > h.events_total);
    assert.ok(h2.delivered_total >= h.delivered_total + 8);
  } finally {
    for (const s of streams) s.close();
  }
  // closed streams are counted out, so the user can connect again
  const ok = await (async () => {
    for (let i = 0; i < 50; i++) {
      const h = await health();
      if (h.connections <= before.connections) return true;
      await sleep(100);
    }
    return false;
  })();
  assert.ok(ok, 'connections counted out after the clients left');
  const again = await open(u.cookie);
  assert.equal(again.res.status, 200);
  again.close();
});

// A second souk-sse started by the test on its own port with the same
// configuration file (SOUK_SSE_* from the environment override it): Redis fans
// an event out to both instances; a client that stops reading is dropped
// without slowing the others; SIGTERM ends every stream with a retry hint.
test('a second instance: fan-out, slow client dropped, SIGTERM with a retry hint', async (t) => {
  const bin = process.env.SOUK_TEST_WORKER_BIN && join(dirname(process.env.SOUK_TEST_WORKER_BIN), 'souk-sse');
  const conf = process.env.SOUK_TEST_WORKER_CONF;
  if (!bin || !existsSync(bin) || !conf) { t.skip('needs ./dev test (souk-sse binary and configuration)'); return; }
  const port = await new Promise((ok) => { // a free port, from the kernel
    const srv = createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => ok(p)); });
  });
  const child = spawn(bin, ['-c', conf], {
    env: { ...process.env, SOUK_SSE_LISTEN: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  try {
    const end = Date.now() + 10000;
    while (!log.includes('subscribed to ev:u:*')) {
      assert.ok(Date.now() < end, `the second souk-sse started: ${log}`);
      await sleep(50);
    }
    const direct = `http://127.0.0.1:${port}`;
    const u = user('two');
    const viaNginx = await open(u.cookie);
    const ac = new AbortController();
    const res = await fetch(`${direct}/events`, { headers: { cookie: u.cookie }, signal: ac.signal });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let text = '';
    const reading = (async () => {
      try { for (;;) { const { value, done } = await reader.read(); if (done) break; text += dec.decode(value); } } catch { /* aborted */ }
    })();
    const id = publish(u.id, 'message', { both: true });
    assert.ok(await viaNginx.waitFor((x) => x.events.some((e) => e.id === id)), 'the first instance');
    const until2 = Date.now() + 1000;
    while (!text.includes(`id: ${id}\n`)) { assert.ok(Date.now() < until2, 'the second instance'); await sleep(10); }
    viaNginx.close();

    // a client that sends its request and never reads: dropped once 256 KiB
    // (sse_max_buffer) wait for it beyond what the sockets' buffers hold
    const slow = createConnection({ host: '127.0.0.1', port });
    slow.setNoDelay(true);
    await new Promise((r) => slow.on('connect', r));
    slow.write(`GET /events HTTP/1.1\r\nHost: x\r\nCookie: ${u.cookie}\r\n\r\n`);
    slow.pause();
    await sleep(200);
    const big = 'x'.repeat(100000);
    // published without blocking this process's event loop, so the reading client keeps reading
    for (let i = 0; i < 160; i++) await publishAsync(u.id, 'message', { i, big });
    const h = JSON.parse((await get(`${direct}/events/health`)).text_);
    assert.equal(h.dropped_slow, 1, `the slow client, and only it, was dropped: ${JSON.stringify(h)}`);
    const until3 = Date.now() + 5000;
    while (text.split('event: message').length - 1 < 161 && Date.now() < until3) await sleep(50);
    assert.ok(text.split('event: message').length - 1 >= 161, `the reading client got every event: ${text.split('event: message').length - 1}`);
    slow.destroy();

    // SIGTERM: the stream ends with "retry:" and the process exits 0
    child.kill('SIGTERM');
    await reading;
    assert.match(text.slice(-40), /retry: \d+\n\n$/);
    const ex = await exited;
    assert.equal(ex.code, 0, log);
    assert.doesNotMatch(log, /Sanitizer|runtime error|level=error/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
