// Conversations without JavaScript (issue 6, "Conversations" and
// "Progressive enhancement: without JavaScript"), through nginx, souk-web,
// PostgreSQL and Redis:
//
//   a buyer contacts a seller from a gig page (one conversation per pair,
//   however it is opened; not with yourself), they write and reply by form
//   posts (303 back to the thread), the unread badge in the header and the
//   inbox counts go up and down, a stranger gets 404, the XSS corpus comes
//   out inert in the thread and the inbox, bad input keeps the text (413
//   too long, 422 empty, 403 blocked, 429 rate limit), star and archive
//   filter the inbox, and each message's event lands in both participants'
//   Redis streams "ev:u:<id>" (src/events/events.h) with its message id.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { get, as, postAs, sql, redis, insertUser, redisSession, runTag, stripTags, decode } from './helpers.mjs';
import { XSS } from './xss-corpus.mjs';

const RUN = runTag();
let seller, ss, buyer, bs, stranger, xs, gigPath, gigId, convId;

const locationOf = (res) => {
  const l = res.headers.get('location') || '';
  return l.startsWith('http') ? new URL(l).pathname + new URL(l).hash : l;
};

/** The unread badge of the header (0 when there is none). */
function headerUnread(html) {
  const m = html.match(/data-inbox-link>[^<]*<span class="badge" data-unread="(\d+)"/);
  if (!/data-inbox-link/.test(html)) assert.fail('an Inbox link in the header');
  return m ? Number(m[1]) : 0;
}

/** The unread count of conversation @id in an inbox page (0 when none), or null when it is not listed. */
function inboxUnread(html, id) {
  const m = html.match(new RegExp(`<li class="inbox__item[^"]*" data-conversation="${id}">([\\s\\S]*?)</li>`));
  if (!m) return null;
  const u = m[1].match(/data-unread="(\d+)"/);
  return u ? Number(u[1]) : 0;
}

/** The messages list of a thread page. */
function messagesOf(html) {
  const m = html.match(/<ol class="thread__messages"[^>]*>([\s\S]*?)<\/ol>/);
  assert.ok(m, 'a messages list');
  return m[1];
}

async function html(s, path) {
  const res = await as(s, path);
  assert.equal(res.status, 200, `GET ${path}: ${res.status}\n${res.text_.slice(0, 300)}`);
  return res.text_;
}

/**
 * POST a message as the thread's form does (multipart/form-data, which
 * takes a 5000-character CJK body; urlencoded values stop at 8 KB); the response.
 */
function send(s, id, body) {
  const fd = new FormData();
  fd.set('csrf', s.csrf);
  fd.set('body', body);
  return get(`/inbox/${id}/messages`, { method: 'POST', body: fd, headers: { cookie: s.cookie } });
}

/** A message sent that must be accepted (303 back to the thread): its id. */
async function sendOk(s, id, body) {
  const res = await send(s, id, body);
  assert.equal(res.status, 303, `message accepted: ${res.status} ${res.text_.slice(0, 300)}`);
  const m = locationOf(res).match(new RegExp(`^/inbox/${id}#m(\\d+)$`));
  assert.ok(m, `303 back to the thread: ${locationOf(res)}`);
  return Number(m[1]);
}

/** The events in the Redis stream of user @id: [{type, data}]. */
function events(id) {
  const out = redis('XRANGE', `ev:u:${id}`, '-', '+');
  const lines = out.split('\n');
  const evs = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === 'type' && lines[i + 2] === 'data') evs.push({ type: lines[i + 1], data: JSON.parse(lines[i + 3]) });
  }
  return evs;
}

before(() => {
  const [gid, sid, handle, slug] = sql(`SELECT g.id, u.id, u.handle, g.slug FROM gigs g JOIN users u ON u.id = g.seller_id
    JOIN user_roles r ON r.user_id = u.id AND r.role = 'SELLER'
    WHERE g.status = 'active' AND u.status = 'active' ORDER BY g.id LIMIT 1`).split('|');
  assert.ok(gid, 'an active gig in the test database');
  seller = { id: Number(sid), handle, roles: ['SELLER'] };
  ss = redisSession(seller);
  gigPath = `/${handle}/${slug}`;
  gigId = Number(gid);
  buyer = insertUser(`mb_${RUN}`);
  bs = redisSession(buyer);
  stranger = insertUser(`mx_${RUN}`);
  xs = redisSession(stranger);
});

test('contact the seller from the gig page: one conversation per pair, not with yourself', async () => {
  const gig = await html(bs, gigPath);
  const link = gig.match(/<a [^>]*href="(\/contact\/[a-z0-9_]+\?gig=\d+)"[^>]*data-contact-seller/);
  assert.ok(link, 'a Contact seller link on the gig page');
  assert.equal(link[1], `/contact/${seller.handle}?gig=${gigId}`, 'the link carries the gig');
  const profile = await html(bs, `/u/${seller.handle}`);
  assert.match(profile, new RegExp(`href="/contact/${seller.handle}"`), 'Contact seller on the profile');

  let res = await as(bs, link[1]);
  assert.equal(res.status, 303);
  const m = locationOf(res).match(/^\/inbox\/(\d+)$/);
  assert.ok(m, `to the thread: ${locationOf(res)}`);
  convId = Number(m[1]);
  res = await as(bs, link[1]);
  assert.equal(locationOf(res), `/inbox/${convId}`, 'the same conversation again');
  res = await postAs(bs, `/messages/new?seller=${seller.handle}`);
  assert.equal(res.status, 303);
  assert.equal(locationOf(res), `/inbox/${convId}`, 'POST /messages/new: the same conversation');
  assert.equal(sql(`SELECT count(*) FROM conversations WHERE (buyer_id = :'v1' AND seller_id = :'v2')
    OR (buyer_id = :'v2' AND seller_id = :'v1')`, buyer.id, seller.id), '1', 'one conversation per pair');

  assert.equal((await as(ss, `/contact/${seller.handle}`)).status, 422, 'not with yourself');
  assert.equal((await as(bs, `/contact/${buyer.handle}`)).status, 404, 'a buyer is not a seller');
  assert.equal((await as(bs, `/contact/nosuch_${RUN}`)).status, 404);
  res = await as(null, `/contact/${seller.handle}`);
  assert.equal(res.status, 303, 'anonymous: to the login page');
  assert.match(locationOf(res), /^\/login/);
  assert.notEqual(inboxUnread(await html(bs, '/inbox'), convId), null, 'in the buyer inbox at once');
  assert.equal(inboxUnread(await html(ss, '/inbox'), convId), null, 'the seller sees it with its first message');
});

test('send and reply by form posts: unread counts up and down, events to both participants', async () => {
  const sellerBefore = headerUnread(await html(ss, '/orders'));
  assert.equal(headerUnread(await html(bs, '/orders')), 0);

  const m1 = await sendOk(bs, convId, `Hello **there** ${RUN}`);
  // a plain urlencoded form post works too
  const r2 = await postAs(bs, `/inbox/${convId}/messages`, { body: 'Is [my site](https://example.com) fine?' });
  assert.equal(r2.status, 303);
  const m2 = Number(locationOf(r2).match(/#m(\d+)$/)[1]);
  assert.equal(headerUnread(await html(ss, '/orders')), sellerBefore + 2, 'seller header badge +2');
  assert.equal(headerUnread(await html(bs, '/orders')), 0, 'the sender has nothing unread');
  const inbox = await html(ss, '/inbox');
  assert.equal(inboxUnread(inbox, convId), 2, 'two unread in the seller inbox');
  assert.match(inbox, new RegExp(`@${buyer.handle}`));
  assert.equal(inboxUnread(await html(ss, '/inbox?filter=unread'), convId), 2, 'in the unread filter');

  const thread = await html(ss, `/inbox/${convId}`);
  const list = messagesOf(thread);
  assert.match(list, new RegExp(`id="m${m1}"[\\s\\S]*<strong>there</strong> ${RUN}`), 'Markdown rendered');
  assert.match(list, /<a href="https:\/\/example.com" rel="nofollow ugc">my site<\/a>/, 'links nofollow ugc');
  assert.ok(list.indexOf(`id="m${m1}"`) < list.indexOf(`id="m${m2}"`), 'oldest first');
  assert.equal(headerUnread(thread), sellerBefore, 'opening the thread marks it read');
  assert.equal(inboxUnread(await html(ss, '/inbox'), convId), 0);
  assert.equal(inboxUnread(await html(ss, '/inbox?filter=unread'), convId), null, 'gone from the unread filter');

  const m3 = await sendOk(ss, convId, 'Yes, it is.');
  assert.equal(headerUnread(await html(bs, '/orders')), 1, 'buyer badge 1 after the reply');
  assert.equal(inboxUnread(await html(bs, '/inbox'), convId), 1);
  assert.match(messagesOf(await html(bs, `/inbox/${convId}`)), new RegExp(`id="m${m3}"[\\s\\S]*Yes, it is.`));
  assert.equal(headerUnread(await html(bs, '/orders')), 0, 'buyer badge back to 0');

  for (const [who, id] of [['buyer', buyer.id], ['seller', seller.id]]) {
    const evs = events(id).filter((e) => e.type === 'message' && e.data.conversation_id === convId);
    for (const mid of [m1, m2, m3])
      assert.ok(evs.some((e) => e.data.message_id === mid), `event of message ${mid} in ev:u:${id} (${who})`);
    const e1 = evs.find((e) => e.data.message_id === m1);
    assert.equal(e1.data.sender_handle, buyer.handle);
    assert.match(e1.data.body_html, /<strong>there<\/strong>/);
    assert.match(e1.data.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
});

test('a stranger gets 404 on the thread and its forms', async () => {
  assert.equal((await as(xs, `/inbox/${convId}`)).status, 404);
  assert.equal((await send(xs, convId, 'let me in')).status, 404);
  assert.equal((await postAs(xs, `/inbox/${convId}/block`)).status, 404);
  assert.equal((await as(xs, '/inbox/999999999999')).status, 404);
  assert.equal(sql(`SELECT count(*) FROM messages WHERE conversation_id = :'v1' AND body = 'let me in'`, convId), '0');
  const inbox = await html(xs, '/inbox');
  assert.equal(inboxUnread(inbox, convId), null, 'not in the stranger inbox');
  assert.equal((await as(null, `/inbox/${convId}`)).status, 303, 'anonymous: to the login page');
});

test('XSS payloads come out inert in the thread and the inbox', async () => {
  const body = XSS.join('\n\n');
  const mid = await sendOk(bs, convId, body);
  const list = messagesOf(await html(ss, `/inbox/${convId}`));
  const mine = list.slice(list.indexOf(`id="m${mid}"`));
  assert.ok(mine.length > 0);
  assert.doesNotMatch(mine, /<(script|img|svg|iframe|body|math|details|input|video|audio|marquee|object|embed|link|meta|style|base|form|textarea|noscript|select|template|title)\b/i,
    'no tag of the corpus survives');
  assert.doesNotMatch(mine, /<[^>]+\son\w+\s*=/i, 'no event handler attribute');
  assert.doesNotMatch(mine, /href="\s*javascript:/i, 'no javascript: link');
  assert.match(mine, /\{\{7\*7\}\}/, 'Mustache in a message is text');
  const inbox = await html(ss, '/inbox');
  const item = inbox.match(new RegExp(`data-conversation="${convId}">([\\s\\S]*?)</li>`))[1];
  assert.doesNotMatch(item, /<(script|img|svg)\b|<[^>]*\bon\w+=/i, 'the inbox snippet is escaped');
  assert.match(item, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'the snippet shows the text escaped');
});

test('bad input keeps the text: 413 too long, 422 empty; 5000 characters are fine', async () => {
  const long = `${RUN} ` + 'é'.repeat(5000);
  let res = await send(bs, convId, long);
  assert.equal(res.status, 413);
  assert.match(res.text_, /data-error="too_long"/);
  const ta = res.text_.match(/<textarea id="body"[^>]*>([\s\S]*?)<\/textarea>/);
  assert.ok(ta, 'the form again');
  assert.equal(decode(ta[1]), long, 'the text kept');
  assert.equal(sql(`SELECT count(*) FROM messages WHERE conversation_id = :'v1' AND body LIKE :'v2' || '%'`, convId, RUN), '0');
  await sendOk(bs, convId, 'é'.repeat(4990) + '标志设计标志设计标志'); // 5000 characters, 10010 bytes

  res = await send(bs, convId, '  \n\t ');
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="empty"/);
  const forged = await as(bs, `/inbox/${convId}/messages`, { method: 'POST', body: new URLSearchParams({ body: 'forged' }) });
  assert.equal(forged.status, 403, 'a post without the CSRF token is refused');
});

test('blocked users cannot message each other (403, text kept); unblock restores it', async () => {
  let res = await postAs(ss, `/inbox/${convId}/block`);
  assert.equal(res.status, 303);
  assert.equal(sql(`SELECT count(*) FROM user_blocks WHERE blocker_id = :'v1' AND blocked_id = :'v2'`, seller.id, buyer.id), '1');
  res = await send(bs, convId, `blocked ${RUN}`);
  assert.equal(res.status, 403);
  assert.match(res.text_, /data-error="blocked"/);
  assert.match(res.text_, new RegExp(`>blocked ${RUN}</textarea>`), 'text kept');
  res = await send(ss, convId, 'from the blocker');
  assert.equal(res.status, 403, 'the blocker cannot write either');
  assert.equal(sql(`SELECT count(*) FROM messages WHERE conversation_id = :'v1' AND body IN (:'v2', 'from the blocker')`,
    convId, `blocked ${RUN}`), '0');
  res = await postAs(ss, `/inbox/${convId}/block`);
  assert.equal(res.status, 303, 'unblock');
  await sendOk(bs, convId, `unblocked ${RUN}`);
});

test('star and archive filter the inbox', async () => {
  assert.equal((await postAs(bs, `/inbox/${convId}/star`)).status, 303);
  assert.notEqual(inboxUnread(await html(bs, '/inbox?filter=starred'), convId), null, 'starred');
  assert.equal((await postAs(bs, `/inbox/${convId}/archive`)).status, 303);
  assert.equal(inboxUnread(await html(bs, '/inbox'), convId), null, 'archived: not in All');
  assert.notEqual(inboxUnread(await html(bs, '/inbox?filter=archived'), convId), null, 'in Archived');
  await sendOk(ss, convId, 'a new message brings it back');
  assert.notEqual(inboxUnread(await html(bs, '/inbox'), convId), null, 'a new message unarchives it');
  assert.equal((await postAs(bs, `/inbox/${convId}/star`)).status, 303);
  assert.equal(inboxUnread(await html(bs, '/inbox?filter=starred'), convId), null, 'unstarred');
});

test('the rate limit per sender answers 429 with the text kept', async () => {
  const now = Date.now();
  const key = `rl:msg:user:${buyer.id}`;
  const args = [];
  for (let i = 0; i < 30; i++) args.push(now - i, `e2e-${i}`);
  redis('ZADD', key, ...args);
  redis('PEXPIRE', key, 60000);
  const res = await send(bs, convId, `too fast ${RUN}`);
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After');
  assert.match(res.text_, new RegExp(`>too fast ${RUN}</textarea>`));
  redis('DEL', key);
  await sendOk(bs, convId, `slower ${RUN}`);
});

test('search in messages: English words and Chinese, only in your own conversations', async () => {
  const mid = await sendOk(ss, convId, `The logo design 标志设计 is ready, ${RUN}`);
  for (const q of ['logo designs', '标志设计', '设计', RUN]) {
    const res = await as(bs, `/inbox?search=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    assert.match(res.text_, new RegExp(`data-result="${mid}"`), `"${q}" finds the message`);
    assert.match(res.text_, new RegExp(`href="/inbox/${convId}#m${mid}"`));
  }
  const none = await as(bs, `/inbox?search=${encodeURIComponent('zebra 斑马')}`);
  assert.doesNotMatch(none.text_, /data-result=/, 'no match, no result');
  assert.match(none.text_, /data-empty/);
  const other = await as(xs, `/inbox?search=${encodeURIComponent('标志设计')}`);
  assert.doesNotMatch(other.text_, new RegExp(`data-result="${mid}"`), 'not in a stranger search');
  const xss = await as(bs, `/inbox?search=${encodeURIComponent('"><script>alert(1)</script>')}`);
  assert.equal(xss.status, 200);
  assert.doesNotMatch(xss.text_, /"><script>alert\(1\)/, 'the search term is escaped');
});

test('the rate limit on new conversations: 429 for a new one, an existing one still opens', async () => {
  const now = Date.now();
  for (const u of [stranger, buyer]) {
    const args = [];
    for (let i = 0; i < 10; i++) args.push(now - i, `e2e-${i}`);
    redis('ZADD', `rl:msgnew:user:${u.id}`, ...args);
    redis('PEXPIRE', `rl:msgnew:user:${u.id}`, 60000);
  }
  const res = await as(xs, `/contact/${seller.handle}`);
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
  assert.equal(sql(`SELECT count(*) FROM conversations WHERE buyer_id = :'v1'`, stranger.id), '0', 'nothing created');
  const again = await as(bs, `/contact/${seller.handle}`);
  assert.equal(again.status, 303);
  assert.equal(locationOf(again), `/inbox/${convId}`);
  redis('DEL', `rl:msgnew:user:${stranger.id}`, `rl:msgnew:user:${buyer.id}`);
  assert.equal((await as(xs, `/contact/${seller.handle}`)).status, 303, 'allowed again');
});

test('contact through a gig: the lead records its source gig; a foreign, unknown or junk gig id is ignored', async () => {
  const sourceOf = (conv) => sql(`SELECT coalesce(c.source_gig_id::text, '-') || '|' || coalesce(l.source_gig_id::text, '-')
    FROM conversations c JOIN crm_leads l ON l.conversation_id = c.id WHERE c.id = :'v1'`, conv);
  const title = sql(`SELECT title FROM gigs WHERE id = :'v1'`, gigId);
  // a new buyer follows the gig page's link
  const b1 = insertUser(`mg_${RUN}`);
  const s1 = redisSession(b1);
  const link = (await html(s1, gigPath)).match(/<a [^>]*href="(\/contact\/[^"]+)"[^>]*data-contact-seller/)[1];
  let res = await as(s1, decode(link));
  assert.equal(res.status, 303);
  const c1 = Number(locationOf(res).match(/^\/inbox\/(\d+)$/)[1]);
  assert.equal(sourceOf(c1), `${gigId}|${gigId}`, 'the conversation and its lead have the source gig');
  await sendOk(s1, c1, 'Hello, I came from your gig page.');
  // the seller's lead page shows it
  const lp = await html(ss, `/crm/leads/${c1}`);
  assert.match(stripTags(lp), new RegExp(`Source gig\\s+${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // another seller's active gig, an unknown id, junk: ignored, never a 500
  const [foreign] = sql(`SELECT id FROM gigs WHERE status = 'active' AND seller_id <> :'v1' ORDER BY id LIMIT 1`, seller.id).split('\n');
  assert.ok(foreign, "another seller's active gig in the test database");
  const cases = [['foreign', foreign], ['unknown', '999999999999'], ['junk', "1'; DROP TABLE gigs;--"], ['huge', '99999999999999999999999']];
  for (const [what, g] of cases) {
    const u = insertUser(`mq${what}_${RUN}`);
    const r = await as(redisSession(u), `/contact/${seller.handle}?gig=${encodeURIComponent(g)}`);
    assert.equal(r.status, 303, `${what}: ${r.status}`);
    const c = Number(locationOf(r).match(/^\/inbox\/(\d+)$/)[1]);
    assert.equal(sourceOf(c), '-|-', `${what} gig id ignored`);
    assert.doesNotMatch(stripTags(await html(ss, `/crm/leads/${c}`)), /Source gig/, `${what}: no source gig on the lead page`);
  }
  // an existing conversation without a source gets it on its first contact through a gig,
  // and keeps it afterwards; a foreign gig does not replace it
  const b2 = insertUser(`mh_${RUN}`);
  const s2 = redisSession(b2);
  res = await as(s2, `/contact/${seller.handle}`);
  const c2 = Number(locationOf(res).match(/^\/inbox\/(\d+)$/)[1]);
  assert.equal(sourceOf(c2), '-|-');
  res = await as(s2, `/contact/${seller.handle}?gig=${foreign}`);
  assert.equal(locationOf(res), `/inbox/${c2}`);
  assert.equal(sourceOf(c2), '-|-', 'a foreign gig is ignored on an existing conversation too');
  res = await postAs(s2, `/messages/new?seller=${seller.handle}&gig=${gigId}`);
  assert.equal(res.status, 303);
  assert.equal(locationOf(res), `/inbox/${c2}`, 'the same conversation');
  assert.equal(sourceOf(c2), `${gigId}|${gigId}`, 'the existing lead got its source gig');
  await sendOk(s2, c2, 'Hello again.');
  // the analytics read it per lead (sql/0028 crm_analytics_seller)
  sql(`SELECT crm_analytics_seller(:'v1')`, seller.id);
  assert.equal(sql(`SELECT count(*) FROM crm_conversation_metrics WHERE conversation_id IN (:'v1', :'v2') AND source_gig_id = :'v3'`, c1, c2, gigId), '2',
    'the conversation metrics carry the source gig');
});
