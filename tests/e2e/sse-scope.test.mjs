// souk-sse's conversation scope and presence (src/sse/sse.h, issue 6),
// through nginx's /events, with tokens made as events_scope_token()
// (src/events/events.c) does with the server's key:
//   - a conversation asked for with no scope, a forged one, an expired one,
//     another user's, or one for another conversation: 403 and no stream; a
//     malformed conversation id: 400;
//   - a typing event PUBLISHed on "ev:c:<conv>" (as events_publish_ephemeral
//     does) reaches the scoped clients of that conversation only, without an
//     id: line, and leaves Last-Event-ID replay untouched;
//   - presence: an open stream sets presence:u:<id> (TTL >= 30 s) and
//     announces the user online on ev:p:<id>; the last stream's close (after
//     the 2 s grace) deletes it, writes lastseen:u:<id> and announces
//     offline with last_seen; a scoped client gets the other's current state
//     first;
//   - a stream opened without Last-Event-ID begins with a "ready" event whose
//     id is the stream's newest entry, so a browser cut off before any event
//     resumes from it without a loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertUser, writeSession, redis, runTag, sleep, sql, until } from './helpers.mjs';
import { openStream, assertOpen, scopeToken } from './sse-helpers.mjs';

const RUN = runTag();
const now = () => Math.floor(Date.now() / 1000);

function user(tag) {
  const u = insertUser(`ssc_${tag}_${RUN}`.slice(0, 32));
  return { ...u, cookie: `souk_sess=${writeSession(u, 1 << 1)}` };
}

/** A conversation between @buyer and @seller (their member rows too): its id. */
function conversation(buyer, seller) {
  const id = Number(sql(`INSERT INTO conversations (buyer_id, seller_id) VALUES (:'v1', :'v2') RETURNING id`,
    buyer.id, seller.id));
  sql(`INSERT INTO conversation_members (conversation_id, user_id) VALUES (:'v1', :'v2'), (:'v1', :'v3')`,
    id, buyer.id, seller.id);
  return id;
}

const scoped = (conv, token) => `/events?conversation=${conv}&scope=${encodeURIComponent(token)}`;

/** PUBLISH as events_publish_ephemeral() does. */
const ephemeral = (channel, type, data) => redis('PUBLISH', channel, `\n${type}\n${JSON.stringify(data)}`);

/** XADD + PUBLISH as events_publish() does: the entry id. */
function publish(uid, type, data) {
  const text = JSON.stringify(data);
  const id = redis('XADD', `ev:u:${uid}`, 'MAXLEN', '~', '1000', '*', 'type', type, 'data', text);
  redis('PUBLISH', `ev:u:${uid}`, `${id}\n${type}\n${text}`);
  return id;
}

test('a conversation scope that is missing, forged, expired, another user\'s or another conversation\'s: 403', async () => {
  const a = user('a'), b = user('b'), c = user('c');
  const conv = conversation(a, b), other = conversation(c, b);
  const good = scopeToken(a.id, conv, b.id, now() + 600);
  const cases = [
    ['no scope', `/events?conversation=${conv}`, a.cookie, 403],
    ['an empty scope', `/events?conversation=${conv}&scope=`, a.cookie, 403],
    ['a forged MAC', scoped(conv, good.slice(0, -1) + (good.endsWith('0') ? '1' : '0')), a.cookie, 403],
    ['another participant id in the token', scoped(conv, good.replace(`.${b.id}.`, `.${c.id}.`)), a.cookie, 403],
    ['an expired scope', scoped(conv, scopeToken(a.id, conv, b.id, now() - 5)), a.cookie, 403],
    ['a later expiry written into the token', scoped(conv, good.replace(/^\d+/, String(now() + 99999))), a.cookie, 403],
    ['another user\'s scope', scoped(conv, good), c.cookie, 403],
    ['another conversation', scoped(other, good), a.cookie, 403],
    ['a key that is not the server\'s', scoped(conv, scopeToken(a.id, conv, b.id, now() + 600, Buffer.alloc(32, 7))), a.cookie, 403],
    ['a malformed conversation id', `/events?conversation=1x&scope=${encodeURIComponent(good)}`, a.cookie, 400],
    ['a scope without a conversation', `/events?scope=${encodeURIComponent(good)}`, a.cookie, 400],
    ['a forged cookie still comes first', scoped(conv, good), 'souk_sess=forged', 401],
  ];
  for (const [what, path, cookie, status] of cases) {
    const s = await openStream(cookie, { path });
    assert.equal(s.res.status, status, `${what}: ${s.res.status} ${s.body}`);
  }
  // no stream was left open for a: its presence key was never set by those
  assert.equal(redis('EXISTS', `presence:u:${a.id}`), '0', 'a refused request opens no stream');
  const s = await openStream(a.cookie, { path: scoped(conv, good) });
  try {
    assertOpen(s, 'the valid scope');
  } finally {
    s.close();
  }
});

test('typing reaches the scoped clients of that conversation only, without an id, and replay ignores it', async () => {
  const a = user('ta'), b = user('tb'), x = user('tx');
  const conv = conversation(a, b), conv2 = conversation(x, b);
  const sa = await openStream(a.cookie, { path: scoped(conv, scopeToken(a.id, conv, b.id, now() + 600)) });
  const plain = await openStream(a.cookie); // the same user, unscoped (another page's header badge)
  const sx = await openStream(x.cookie, { path: scoped(conv2, scopeToken(x.id, conv2, b.id, now() + 600)) });
  try {
    for (const s of [sa, plain, sx]) assertOpen(s);
    const id1 = publish(a.id, 'message', { conversation_id: conv, n: 1 });
    assert.ok(await sa.waitFor((s) => s.events.some((e) => e.id === id1)), 'the user event, scoped client');
    assert.ok(await plain.waitFor((s) => s.events.some((e) => e.id === id1)), 'the user event, plain client');

    const typing = { conversation_id: conv, user_id: b.id, handle: b.handle };
    ephemeral(`ev:c:${conv}`, 'typing', typing);
    assert.ok(await sa.waitFor((s) => s.ephemeral.some((e) => e.event === 'typing')), 'typing reaches the scoped client');
    const t = sa.ephemeral.find((e) => e.event === 'typing');
    assert.equal(t.id, undefined, 'no id: line');
    assert.deepEqual(t.json, typing);
    await sleep(300);
    assert.equal(plain.all.filter((e) => e.event === 'typing').length, 0, 'not to an unscoped stream of the same user');
    assert.equal(sx.all.filter((e) => e.event === 'typing').length, 0, 'not to a client of another conversation');

    // the other conversation's typing reaches only its own client
    ephemeral(`ev:c:${conv2}`, 'typing', { conversation_id: conv2, user_id: b.id, handle: b.handle });
    assert.ok(await sx.waitFor((s) => s.ephemeral.some((e) => e.event === 'typing')));
    await sleep(200);
    assert.equal(sa.ephemeral.filter((e) => e.event === 'typing').length, 1);

    // a user event after the typing: replay from id1 gives exactly it, nothing ephemeral
    const id2 = publish(a.id, 'message', { conversation_id: conv, n: 2 });
    assert.ok(await sa.waitFor((s) => s.events.some((e) => e.id === id2)));
    sa.close();
    const again = await openStream(a.cookie, {
      path: scoped(conv, scopeToken(a.id, conv, b.id, now() + 600)), headers: { 'Last-Event-ID': id1 },
    });
    try {
      assertOpen(again);
      assert.ok(await again.waitFor((s) => s.events.length >= 1));
      await sleep(300);
      assert.deepEqual(again.events.map((e) => e.id), [id2], 'the replay holds the user event only');
      assert.equal(again.all.filter((e) => e.event === 'typing').length, 0);
    } finally {
      again.close();
    }
  } finally {
    for (const s of [sa, plain, sx]) s.close();
  }
});

test('presence: set while connected, announced online and offline, cleared with lastseen', async () => {
  const a = user('pa'), b = user('pb');
  const conv = conversation(a, b);
  // b is offline (never connected): the scoped client of a gets that first
  const sa = await openStream(a.cookie, { path: scoped(conv, scopeToken(a.id, conv, b.id, now() + 600)) });
  const streams = [sa];
  try {
    assertOpen(sa);
    assert.ok(await sa.waitFor((s) => s.ephemeral.some((e) => e.event === 'presence')), 'the current state first');
    assert.deepEqual(sa.ephemeral.find((e) => e.event === 'presence').json, { user_id: b.id, online: false, last_seen: null });
    assert.equal(redis('GET', `presence:u:${a.id}`), '1', 'a\'s own presence key');
    const ttl = Number(redis('TTL', `presence:u:${a.id}`));
    assert.ok(ttl >= 25 && ttl <= 30, `TTL 3 heartbeats, at least 30 s: ${ttl}`);

    // b opens a tab: online
    const first = sa.ephemeral.length;
    const later = (pred) => sa.ephemeral.slice(first).filter((e) => e.event === 'presence' && pred(e.json));
    const sb = await openStream(b.cookie);
    streams.push(sb);
    assertOpen(sb);
    assert.ok(await sa.waitFor(() => later((j) => j.online).length > 0), 'b online');
    assert.equal(redis('GET', `presence:u:${b.id}`), '1');
    assert.equal(later((j) => j.online).length, 1, 'announced once');

    // a second tab of b and a page change (close + reopen within the grace): no offline
    const sb2 = await openStream(b.cookie);
    streams.push(sb2);
    sb.close();
    await sleep(500);
    sb2.close();
    const sb3 = await openStream(b.cookie);
    streams.push(sb3);
    await sleep(2600);
    assert.equal(later((j) => !j.online).length, 0, 'no offline flicker');
    assert.equal(later((j) => j.online).length, 1, 'nor a second online');
    assert.equal(redis('GET', `presence:u:${b.id}`), '1');

    // the heartbeat refreshes the key (./dev test: sse_heartbeat = 2)
    redis('EXPIRE', `presence:u:${b.id}`, '5');
    assert.ok(await until(() => Number(redis('TTL', `presence:u:${b.id}`)) > 10, 5000, 200), 'refreshed by the heartbeat');

    // b's last tab closes: offline after the grace, lastseen written
    const closedAt = now();
    sb3.close();
    assert.ok(await sa.waitFor(() => later((j) => j.online === false && j.last_seen).length > 0, 5000),
      'b offline with last_seen');
    const off = sa.ephemeral.filter((e) => e.event === 'presence').at(-1).json;
    assert.equal(off.user_id, b.id);
    assert.match(off.last_seen, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Math.abs(Date.parse(off.last_seen) / 1000 - closedAt) <= 5, off.last_seen);
    assert.equal(redis('EXISTS', `presence:u:${b.id}`), '0', 'presence key deleted');
    const seen = Number(redis('GET', `lastseen:u:${b.id}`));
    assert.ok(Math.abs(seen - closedAt) <= 5, `lastseen ${seen}`);
    assert.ok(Number(redis('TTL', `lastseen:u:${b.id}`)) > 29 * 86400, 'lastseen kept 30 days');

    // a new scoped client now gets "offline, last seen" as the first state
    const sa2 = await openStream(a.cookie, { path: scoped(conv, scopeToken(a.id, conv, b.id, now() + 600)) });
    try {
      assert.ok(await sa2.waitFor((s) => s.ephemeral.some((e) => e.event === 'presence')));
      const st = sa2.ephemeral.find((e) => e.event === 'presence').json;
      assert.equal(st.online, false);
      assert.equal(Date.parse(st.last_seen) / 1000, seen);
    } finally {
      sa2.close();
    }
  } finally {
    for (const s of streams) s.close();
  }
  assert.ok(await until(() => redis('EXISTS', `presence:u:${a.id}`) === '0', 5000, 200), 'a\'s key goes too');
});

test('a stream opened without Last-Event-ID starts with "ready" at the newest entry; resuming from it loses nothing', async () => {
  const u = user('ready');
  const fresh = await openStream(u.cookie);
  try {
    assertOpen(fresh);
    assert.ok(await fresh.waitFor((s) => s.ready), 'the ready event');
    assert.equal(fresh.ready.id, '0-0', 'an empty stream');
    assert.deepEqual(fresh.ready.json, { last_event_id: '0-0' });
  } finally {
    fresh.close();
  }
  const old = publish(u.id, 'message', { n: 0 });
  const s1 = await openStream(u.cookie);
  let pos;
  try {
    assert.ok(await s1.waitFor((s) => s.ready));
    pos = s1.ready.id;
    assert.equal(pos, old, 'the newest entry');
    await sleep(200);
    assert.equal(s1.events.length, 0, 'nothing replayed');
  } finally {
    s1.close();
  }
  // cut off before any event arrived: what is published meanwhile comes on resuming from "ready"
  const missed = [publish(u.id, 'message', { n: 1 }), publish(u.id, 'message', { n: 2 })];
  const s2 = await openStream(u.cookie, { headers: { 'Last-Event-ID': pos } });
  try {
    assert.ok(await s2.waitFor((s) => s.events.length >= 2));
    await sleep(200);
    assert.deepEqual(s2.events.map((e) => e.id), missed);
    assert.equal(s2.ready, undefined, 'no ready when resuming');
  } finally {
    s2.close();
  }
});
