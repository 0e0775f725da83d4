// Conversations, the rest of issue 6 (src/messages, sql/0023_messages_more.sql),
// through nginx, souk-web, PostgreSQL, Redis and souk-worker:
//
//   attachments through the private media pipeline (participants only),
//   edit within 5 minutes (409 after), delete for both, quoted replies,
//   read receipts and conversation.read events, the off-platform warning
//   banner, reporting a user, the order room <-> conversation links,
//   "Earlier messages" pagination, inbox pagination keeping the filter and
//   the search, the JSON variants (Accept: application/json), the typing
//   endpoint (an ephemeral PUBLISH on ev:c:<id>), the thread markup of the
//   brief (data-thread, data-events with a scope token, presence).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { get, pngBytes, decode, sleep, REDIS, BASE, outputDir } from './helpers.mjs';
import { user, activeGig, Client, sql, redis, locationOf, RUN } from './money-helpers.mjs';

let seller, buyer, stranger, S, B, X, conv;

/** The events of type @type in the Redis stream of user @id for conversation @c: [data]. */
function events(id, type, c = conv) {
  const lines = redis('XRANGE', `ev:u:${id}`, '-', '+').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++)
    if (lines[i] === 'type' && lines[i + 1] === type && lines[i + 2] === 'data') {
      const d = JSON.parse(lines[i + 3]);
      if (d.conversation_id === c) out.push(d);
    }
  return out;
}

/** The <li> of message @mid in a thread page. */
function itemOf(html, mid) {
  const m = html.match(new RegExp(`<li class="message[^"]*" id="m${mid}"[\\s\\S]*?</li>\\s*(?=<li class="message|</ol>)`));
  assert.ok(m, `message ${mid} in the thread`);
  return m[0];
}

async function page(c, path, status = 200) {
  const res = await c.get(path);
  assert.equal(res.status, status, `GET ${path}: ${res.status} ${res.text_.slice(0, 300)}`);
  return res.text_;
}

/** POST a message (multipart, as the thread form); @files [{name, type, data}]; @extra fields. */
function send(c, id, body, files = [], extra = {}, headers = {}) {
  const fd = new FormData();
  fd.append('csrf', c.u.csrf);
  fd.append('body', body);
  for (const [k, v] of Object.entries(extra)) fd.append(k, v);
  for (const f of files) fd.append('files', new Blob([f.data], { type: f.type }), f.name);
  return get(`/inbox/${id}/messages`, { method: 'POST', body: fd, headers: { cookie: c.header(), ...headers } });
}

async function sendOk(c, id, body, files, extra) {
  const res = await send(c, id, body, files, extra);
  assert.equal(res.status, 303, `message accepted: ${res.status} ${res.text_.slice(0, 400)}`);
  const m = locationOf(res).match(new RegExp(`^/inbox/${id}#m(\\d+)$`));
  assert.ok(m, `back to the thread: ${locationOf(res)}`);
  return Number(m[1]);
}

const JSON_H = { accept: 'application/json' };
const post = (c, path, fields = {}, headers = {}) => get(path, {
  method: 'POST', body: new URLSearchParams({ csrf: c.u.csrf, ...fields }).toString(),
  headers: { cookie: c.header(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
});

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n'
  + 'trailer << /Root 1 0 R >>\n%%EOF\n');

before(async () => {
  seller = user('ms', ['SELLER']);
  buyer = user('mb');
  stranger = user('mx');
  S = new Client(seller); B = new Client(buyer); X = new Client(stranger);
  const res = await B.get(`/contact/${seller.handle}`);
  assert.equal(res.status, 303);
  conv = Number(locationOf(res).match(/^\/inbox\/(\d+)$/)[1]);
});

test('thread markup: data-thread, data-events with a scope, presence, composer fields', async () => {
  redis('DEL', `presence:u:${seller.id}`, `lastseen:u:${seller.id}`);
  let html = await page(B, `/inbox/${conv}`);
  const root = html.match(/<div class="[^"]*thread"[^>]*data-thread[^>]*>/);
  assert.ok(root, 'the thread root');
  assert.match(root[0], new RegExp(`data-conversation="${conv}"`));
  assert.match(root[0], new RegExp(`data-me="${buyer.id}"`));
  assert.match(root[0], new RegExp(`data-other="${seller.id}"`));
  const ev = root[0].match(/data-events="([^"]+)"/);
  assert.ok(ev, 'data-events');
  const url = decode(ev[1]);
  const scope = new URL(url, 'http://x').searchParams.get('scope');
  assert.equal(new URL(url, 'http://x').searchParams.get('conversation'), String(conv));
  assert.match(scope, new RegExp(`^\\d+\\.${seller.id}\\.[0-9a-f]{64}$`), 'scope "<expires>.<other>.<mac>"');
  const exp = Number(scope.split('.')[0]);
  assert.ok(exp > Date.now() / 1000 + 3000 && exp < Date.now() / 1000 + 3700, 'expires in an hour');
  assert.match(html, /<[a-z]+ [^>]*data-typing[^>]*hidden/, 'a hidden typing element');
  assert.match(html, /<form [^>]*data-message-form[^>]*>[\s\S]*name="reply_to"[\s\S]*<textarea [^>]*name="body"[\s\S]*type="file" name="files" multiple/);
  assert.match(html, /data-presence><\/p>/, 'no presence text without Redis keys');
  redis('SET', `presence:u:${seller.id}`, '1', 'EX', '60');
  html = await page(B, `/inbox/${conv}`);
  assert.match(html, /data-presence>Online</);
  redis('DEL', `presence:u:${seller.id}`);
  redis('SET', `lastseen:u:${seller.id}`, '1700000000', 'EX', '600');
  html = await page(B, `/inbox/${conv}`);
  assert.match(html, /data-presence>Last seen 2023-11-14 22:13 UTC</);
  redis('DEL', `lastseen:u:${seller.id}`);
  // the scope token opens the conversation's live channel on souk-sse
  const ctl = new AbortController();
  const base = process.env.SOUK_TEST_URL || 'http://127.0.0.1:8080';
  const sse = await fetch(base + url, { headers: { cookie: B.header(), accept: 'text/event-stream' }, signal: ctl.signal });
  const forged = await fetch(base + url.replace(/scope=(\d+)\.(\d+)\./, 'scope=$1.$2.0'), { headers: { cookie: B.header() } });
  ctl.abort();
  assert.equal(sse.status, 200, 'souk-sse accepts the scope');
  assert.equal(forged.status, 403, 'a forged scope is refused');
});

test('attachments: private media, shown with name and size, downloadable by the two participants only', async () => {
  const png = pngBytes(40, 30);
  const mid = await sendOk(B, conv, `files ${RUN}`, [
    { name: 'brief.png', type: 'image/png', data: png },
    { name: 'spec.pdf', type: 'application/pdf', data: PDF },
  ]);
  const rows = sql(`SELECT string_agg(m.original_name || ':' || m.visibility || ':' || m.bytes, ',' ORDER BY a.position)
    FROM message_attachments a JOIN media m ON m.id = a.media_id WHERE a.message_id = :'v1'`, mid);
  assert.equal(rows, `brief.png:private:${png.length},spec.pdf:private:${PDF.length}`);
  const mids = sql(`SELECT string_agg(media_id::text, ',' ORDER BY position) FROM message_attachments WHERE message_id = :'v1'`, mid)
    .split(',').map(Number);
  const li = itemOf(await page(S, `/inbox/${conv}`), mid);
  assert.match(li, new RegExp(`href="/inbox/${conv}/files/${mids[0]}"[^>]*>brief\\.png</a> <span class="muted">\\((\\d+ B|[\\d.]+ KB)\\)`));
  assert.match(li, /spec\.pdf/);
  for (const c of [B, S]) {
    const r = await fetch(`${process.env.SOUK_TEST_URL || 'http://127.0.0.1:8080'}/inbox/${conv}/files/${mids[0]}`,
      { headers: { cookie: c.header() }, redirect: 'manual' });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition') || '', /attachment/);
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(png), 'the original bytes');
  }
  assert.equal((await X.get(`/inbox/${conv}/files/${mids[0]}`)).status, 404, 'a stranger');
  assert.equal((await B.get(`/inbox/${conv}/files/999999999`)).status, 404, 'a forged file id');
  // the live event carries the attachments
  const e = events(seller.id, 'message').find((d) => d.message_id === mid);
  assert.ok(e, 'message event');
  assert.equal(e.attachments.length, 2);
  assert.deepEqual(Object.keys(e.attachments[0]).filter((k) => ['id', 'name', 'size', 'url'].includes(k)).sort(), ['id', 'name', 'size', 'url']);
  assert.equal(e.attachments[0].url, `/inbox/${conv}/files/${mids[0]}`);
  // files alone are a message
  const only = await sendOk(S, conv, '', [{ name: 'only.png', type: 'image/png', data: png }]);
  assert.match(itemOf(await page(B, `/inbox/${conv}`), only), /only\.png/);
  // a file of another type: 422, text kept, nothing stored
  let res = await send(B, conv, `typed ${RUN}`, [{ name: 'notes.txt', type: 'text/plain', data: Buffer.from('plain text here') }]);
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="file"/);
  assert.match(res.text_, new RegExp(`>typed ${RUN}</textarea>`), 'the text is kept');
  assert.equal(sql(`SELECT count(*) FROM messages WHERE body = :'v1'`, `typed ${RUN}`), '0');
  // more than 5 files: 413, text kept
  const six = Array.from({ length: 6 }, (_, i) => ({ name: `p${i}.png`, type: 'image/png', data: png }));
  res = await send(B, conv, `six ${RUN}`, six);
  assert.equal(res.status, 413);
  assert.match(res.text_, /data-error="too_many_files"/);
  assert.match(res.text_, new RegExp(`>six ${RUN}</textarea>`));
  // a file over 10 MB reaches souk-web (nginx allows the message route 61 MB): 413, text kept, nothing stored
  const big = Buffer.alloc(12 * 1024 * 1024, 0);
  png.copy(big);
  res = await send(B, conv, `big ${RUN}`, [{ name: 'big.png', type: 'image/png', data: big }]);
  assert.equal(res.status, 413);
  assert.match(res.text_, /data-error="file"/);
  assert.match(res.text_, new RegExp(`>big ${RUN}</textarea>`), 'the text is kept');
  assert.equal(sql(`SELECT count(*) FROM messages WHERE body = :'v1'`, `big ${RUN}`), '0');
  // a deleted message's files are gone for both
  assert.equal((await post(B, `/inbox/${conv}/messages/${mid}/delete`)).status, 303);
  assert.equal((await S.get(`/inbox/${conv}/files/${mids[0]}`)).status, 404, 'deleted message: file gone');
});

test('edit within 5 minutes; 409 after; only your own; events message.edited', async () => {
  const mid = await sendOk(B, conv, `first ${RUN}`);
  let res = await post(B, `/inbox/${conv}/messages/${mid}/edit`, { body: `second **${RUN}**` });
  assert.equal(res.status, 303);
  assert.equal(sql(`SELECT body || ':' || (edited_at IS NOT NULL) FROM messages WHERE id = :'v1'`, mid), `second **${RUN}**:true`);
  const li = itemOf(await page(S, `/inbox/${conv}`), mid);
  assert.match(li, new RegExp(`<strong>${RUN}</strong>`));
  assert.match(li, /data-edited/);
  for (const u of [buyer, seller]) {
    const e = events(u.id, 'message.edited').find((d) => d.message_id === mid);
    assert.ok(e, `message.edited for ${u.handle}`);
    assert.match(e.body_html, new RegExp(`<strong>${RUN}</strong>`));
    assert.equal(e.warn, false);
    assert.match(e.edited_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  // the no-JS edit form: ?edit=ID shows the text in a form
  const form = await page(B, `/inbox/${conv}?edit=${mid}`);
  assert.match(itemOf(form, mid), new RegExp(`action="/inbox/${conv}/messages/${mid}/edit"[\\s\\S]*second \\*\\*${RUN}\\*\\*</textarea>`));
  // the other participant: 403; a stranger: 404; a forged message id: 404
  res = await post(S, `/inbox/${conv}/messages/${mid}/edit`, { body: 'hijack' });
  assert.equal(res.status, 403);
  assert.equal((await post(X, `/inbox/${conv}/messages/${mid}/edit`, { body: 'hijack' })).status, 404);
  assert.equal((await post(B, `/inbox/${conv}/messages/999999999/edit`, { body: 'x' })).status, 404);
  // empty: 422, too long: 413, text kept
  res = await post(B, `/inbox/${conv}/messages/${mid}/edit`, { body: '   ' });
  assert.equal(res.status, 422);
  res = await post(B, `/inbox/${conv}/messages/${mid}/edit`, { body: 'x'.repeat(5001) });
  assert.equal(res.status, 413);
  assert.match(res.text_, /x{5001}<\/textarea>/, 'too long text kept');
  // JSON variant
  res = await post(B, `/inbox/${conv}/messages/${mid}/edit`, { body: `third ${RUN}` }, JSON_H);
  assert.equal(res.status, 200);
  const j = JSON.parse(res.text_);
  assert.equal(j.message.message_id, mid);
  assert.match(j.message.body_html, new RegExp(`third ${RUN}`));
  // after 5 minutes: 409 with a clear message, text kept
  sql(`UPDATE messages SET created_at = created_at - interval '6 minutes' WHERE id = :'v1'`, mid);
  res = await post(B, `/inbox/${conv}/messages/${mid}/edit`, { body: `late ${RUN}` });
  assert.equal(res.status, 409);
  assert.match(res.text_, /data-error="too_late"[^>]*>Messages can only be edited within 5 minutes of sending\./);
  assert.match(res.text_, new RegExp(`>late ${RUN}</textarea>`));
  assert.equal(sql(`SELECT body FROM messages WHERE id = :'v1'`, mid), `third ${RUN}`);
  assert.doesNotMatch(itemOf(await page(B, `/inbox/${conv}`), mid), /data-edit=/, 'no Edit link any more');
  // an offer or system message is not edited nor deleted by hand (kind, sql/0023)
  const offer = Number(sql(`INSERT INTO messages (conversation_id, sender_id, body, kind) VALUES (:'v1', :'v2', 'An offer', 'offer')
    RETURNING id`, conv, buyer.id).split('\n')[0]);
  assert.doesNotMatch(itemOf(await page(B, `/inbox/${conv}`), offer), /data-edit=|data-delete=/);
  res = await post(B, `/inbox/${conv}/messages/${offer}/edit`, { body: 'cheaper' });
  assert.equal(res.status, 409);
  assert.match(res.text_, /data-error="not_editable"/);
  res = await post(B, `/inbox/${conv}/messages/${offer}/delete`, {}, JSON_H);
  assert.equal(res.status, 409);
  assert.equal(JSON.parse(res.text_).error, 'not_editable');
});

test('delete for both: "This message was deleted"; only your own; event message.deleted', async () => {
  const mid = await sendOk(S, conv, `secret ${RUN}`);
  assert.equal((await post(B, `/inbox/${conv}/messages/${mid}/delete`)).status, 403, 'the other participant');
  assert.equal((await post(X, `/inbox/${conv}/messages/${mid}/delete`)).status, 404, 'a stranger');
  let res = await post(S, `/inbox/${conv}/messages/${mid}/delete`, {}, JSON_H);
  assert.equal(res.status, 204);
  for (const c of [B, S]) {
    const li = itemOf(await page(c, `/inbox/${conv}`), mid);
    assert.match(li, /data-deleted>This message was deleted</);
    assert.doesNotMatch(li, new RegExp(`secret ${RUN}`));
  }
  for (const u of [buyer, seller])
    assert.ok(events(u.id, 'message.deleted').some((d) => d.message_id === mid), `message.deleted for ${u.handle}`);
  assert.doesNotMatch(await page(B, `/inbox?search=${encodeURIComponent(`secret ${RUN}`)}`), new RegExp(`data-result="${mid}"`),
    'not found by search');
  res = await post(S, `/inbox/${conv}/messages/${mid}/edit`, { body: 'undo' });
  assert.equal(res.status, 409, 'a deleted message is not edited');
});

test('quoted reply: ?reply_to fills the form, the quote shows above the message, forged ids 404', async () => {
  const q = await sendOk(S, conv, `Question about the colours ${RUN}?`);
  const form = await page(B, `/inbox/${conv}?reply_to=${q}`);
  assert.match(form, new RegExp(`name="reply_to" value="${q}"`));
  assert.match(form, new RegExp(`data-replying="${q}"[^>]*>Replying to @${seller.handle}: Question about the colours`));
  assert.match(itemOf(form, q), new RegExp(`href="/inbox/${conv}\\?reply_to=${q}#composer" data-reply="${q}"`));
  const a = await sendOk(B, conv, 'Blue and gold.', [], { reply_to: String(q) });
  assert.equal(sql(`SELECT reply_to_id FROM messages WHERE id = :'v1'`, a), String(q));
  const li = itemOf(await page(S, `/inbox/${conv}`), a);
  assert.match(li, new RegExp(`data-reply-to="${q}"><a href="#m${q}">@${seller.handle}</a>: Question about the colours ${RUN}\\?`));
  const e = events(seller.id, 'message').find((d) => d.message_id === a);
  assert.deepEqual(e.reply_to && { id: e.reply_to.id, sender_handle: e.reply_to.sender_handle }, { id: q, sender_handle: seller.handle });
  assert.match(e.reply_to.snippet, /^Question about the colours/);
  // a message of another conversation: 404, the text kept
  const other = user('mo', ['SELLER']);
  const oc = Number(locationOf(await B.get(`/contact/${other.handle}`)).match(/(\d+)$/)[1]);
  const foreign = await sendOk(B, oc, 'elsewhere');
  let res = await send(B, conv, `forged ${RUN}`, [], { reply_to: String(foreign) });
  assert.equal(res.status, 404);
  assert.match(res.text_, new RegExp(`>forged ${RUN}</textarea>`));
  assert.equal((await B.get(`/inbox/${conv}?reply_to=${foreign}`)).status, 404);
  res = await send(B, conv, 'bad', [], { reply_to: 'abc' });
  assert.equal(res.status, 404);
});

test('read receipts: Sent, then Read once the other opens the thread; conversation.read to both; POST /read', async () => {
  const mid = await sendOk(B, conv, `receipt ${RUN}`);
  assert.match(itemOf(await page(B, `/inbox/${conv}`), mid), /data-receipt>Sent</);
  assert.doesNotMatch(itemOf(await page(S, `/inbox/${conv}`), mid), /data-receipt/, 'no receipt on the other\'s messages');
  assert.match(itemOf(await page(B, `/inbox/${conv}`), mid), /data-receipt>Read</);
  for (const u of [buyer, seller])
    assert.ok(events(u.id, 'conversation.read').some((d) => d.reader_id === seller.id && d.last_read_message_id >= mid),
      `conversation.read for ${u.handle}`);
  // POST /inbox/{id}/read up_to: 204, never beyond what exists, events again
  const m2 = await sendOk(B, conv, `two ${RUN}`);
  const m3 = await sendOk(B, conv, `three ${RUN}`);
  let res = await post(S, `/inbox/${conv}/read`, { up_to: String(m2) }, JSON_H);
  assert.equal(res.status, 204);
  assert.equal(sql(`SELECT last_read_message_id || ':' || unread_count FROM conversation_members
    WHERE conversation_id = :'v1' AND user_id = :'v2'`, conv, seller.id), `${m2}:1`);
  let html = await page(B, `/inbox/${conv}`);
  assert.match(itemOf(html, m2), /data-receipt>Read</);
  assert.match(itemOf(html, m3), /data-receipt>Sent</);
  assert.ok(events(buyer.id, 'conversation.read').some((d) => d.last_read_message_id === m2));
  res = await post(S, `/inbox/${conv}/read`, { up_to: '999999999999' }, JSON_H);
  assert.equal(res.status, 204);
  assert.equal(sql(`SELECT last_read_message_id FROM conversation_members WHERE conversation_id = :'v1' AND user_id = :'v2'`,
    conv, seller.id), String(m3), 'not beyond the last message');
  assert.equal((await post(S, `/inbox/${conv}/read`, { up_to: 'x' }, JSON_H)).status, 422);
  assert.equal((await post(X, `/inbox/${conv}/read`, {}, JSON_H)).status, 404);
});

test('the off-platform warning banner on matching messages only', async () => {
  const bad = await sendOk(S, conv, 'Add me on WhatsApp, it is cheaper');
  const cn = await sendOk(S, conv, '加我微信');
  const ok = await sendOk(S, conv, `The logo is ready ${RUN}`);
  assert.equal(sql(`SELECT string_agg(warn::text, ',' ORDER BY id) FROM messages WHERE id IN (:'v1', :'v2', :'v3')`, bad, cn, ok),
    'true,true,false');
  const html = await page(B, `/inbox/${conv}`);
  assert.match(itemOf(html, bad), /data-warn>For your safety, keep communication and payments on Souk/);
  assert.match(itemOf(html, cn), /data-warn/);
  assert.doesNotMatch(itemOf(html, ok), /data-warn/);
  assert.equal(events(buyer.id, 'message').find((d) => d.message_id === bad).warn, true);
  assert.equal(events(buyer.id, 'message').find((d) => d.message_id === ok).warn, false);
  // editing into a match sets it
  await post(S, `/inbox/${conv}/messages/${ok}/edit`, { body: 'call me on +27 82 555 1234' });
  assert.equal(sql(`SELECT warn FROM messages WHERE id = :'v1'`, ok), 't');
});

test('report a user: reasons from a list, text kept on errors, a row for support', async () => {
  let res = await post(B, `/inbox/${conv}/report`, { reason: 'nonsense', details: `kept ${RUN}` });
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="report"/);
  assert.match(res.text_, new RegExp(`>kept ${RUN}</textarea>`));
  res = await post(B, `/inbox/${conv}/report`, { reason: 'scam', details: 'y'.repeat(2001) });
  assert.equal(res.status, 413);
  assert.match(res.text_, /<option value="scam" selected>/, 'the reason kept');
  assert.equal((await post(X, `/inbox/${conv}/report`, { reason: 'spam' })).status, 404, 'a stranger');
  res = await post(B, `/inbox/${conv}/report`, { reason: 'off_platform', details: `asked for WhatsApp ${RUN}` });
  assert.equal(res.status, 303);
  assert.match(locationOf(res), new RegExp(`^/inbox/${conv}\\?reported=1`));
  assert.equal(sql(`SELECT reporter_id || ':' || reported_id || ':' || reason || ':' || status FROM user_reports
    WHERE conversation_id = :'v1' AND details = :'v2'`, conv, `asked for WhatsApp ${RUN}`),
  `${buyer.id}:${seller.id}:off_platform:open`);
  assert.match(await page(B, `/inbox/${conv}?reported=1`), /data-reported>/);
});

test('order room <-> conversation: /inbox/with/{handle}, the orders of the pair in the thread', async () => {
  const s2 = user('ws', ['SELLER']);
  const b2 = user('wb');
  const gig = activeGig(s2, 'USD', { requirements: false });
  const p = gig.packages.basic;
  const oid = Number(sql(`INSERT INTO orders (buyer_id, seller_id, gig_id, package_tier, package_name, gig_title,
      quantity, currency, unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps, delivery_days, revisions_allowed)
    VALUES (:'v1', :'v2', :'v3', 'basic', 'Basic', 'Room link gig', 1, 'USD', :'v4', :'v4', 0, :'v4', 2000, :'v5', 1) RETURNING id`,
  b2.id, s2.id, gig.id, p.price, p.days).split('\n')[0]);
  const C2 = new Client(b2), S2 = new Client(s2);
  const room = await page(C2, `/orders/${oid}`);
  assert.match(room, new RegExp(`href="/inbox/with/${s2.handle}" data-conversation-link`), 'the buyer\'s room links to the conversation');
  assert.match(await page(S2, `/orders/${oid}`), new RegExp(`href="/inbox/with/${b2.handle}" data-conversation-link`));
  let res = await C2.get(`/inbox/with/${s2.handle}`);
  assert.equal(res.status, 303);
  const c2 = Number(locationOf(res).match(/^\/inbox\/(\d+)$/)[1]);
  res = await S2.get(`/inbox/with/${b2.handle}`);
  assert.equal(locationOf(res), `/inbox/${c2}`, 'the seller reaches the same conversation');
  assert.equal(sql(`SELECT buyer_id || ':' || seller_id FROM conversations WHERE id = :'v1'`, c2), `${b2.id}:${s2.id}`);
  const th = await page(S2, `/inbox/${c2}`);
  assert.match(th, new RegExp(`data-order="${oid}"><a href="/orders/${oid}">Order #${oid}</a> · Room link gig`));
  // no order and not a seller: 404; unknown: 404; yourself: 404
  assert.equal((await C2.get(`/inbox/with/${stranger.handle}`)).status, 404);
  assert.equal((await C2.get(`/inbox/with/nosuch_${RUN}`)).status, 404);
  assert.equal((await C2.get(`/inbox/with/${b2.handle}`)).status, 404);
  // any seller can be contacted
  assert.equal((await C2.get(`/inbox/with/${seller.handle}`)).status, 303);
});

test('"Earlier messages": 50 a page, ?before= shows the older ones', async () => {
  const s3 = user('es', ['SELLER']);
  const b3 = user('eb');
  const C3 = new Client(b3);
  const c3 = Number(locationOf(await C3.get(`/contact/${s3.handle}`)).match(/(\d+)$/)[1]);
  sql(`INSERT INTO messages (conversation_id, sender_id, body)
    SELECT :'v1', CASE WHEN g % 2 = 0 THEN :'v2'::bigint ELSE :'v3'::bigint END, 'msg ' || g FROM generate_series(1, 60) g`,
  c3, b3.id, s3.id);
  let html = await page(C3, `/inbox/${c3}`);
  const ids = [...html.matchAll(/data-message="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(ids.length, 50);
  assert.match(html, /msg 60/);
  assert.doesNotMatch(html, />msg 10</);
  const link = html.match(/<a href="([^"]+)" data-earlier>/);
  assert.ok(link, 'an Earlier messages link');
  assert.equal(decode(link[1]), `/inbox/${c3}?before=${ids[0]}`);
  html = await page(C3, decode(link[1]));
  const older = [...html.matchAll(/data-message="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(older.length, 10);
  assert.ok(older.every((i) => i < ids[0]));
  assert.match(html, />msg 1</);
  assert.doesNotMatch(html, /data-earlier/, 'no earlier link on the first page');
  assert.equal((await C3.get(`/inbox/${c3}?before=abc`)).status, 404);
});

test('inbox pagination keeps the filter and the search', async () => {
  const me = user('pg');
  const P = new Client(me);
  for (let i = 0; i < 22; i++) {
    const s = user(`p${i}`, ['SELLER']);
    const c = Number(sql(`INSERT INTO conversations (buyer_id, seller_id) VALUES (:'v1', :'v2') RETURNING id`, me.id, s.id).split('\n')[0]);
    sql(`INSERT INTO conversation_members (conversation_id, user_id, starred) VALUES (:'v1', :'v2', true), (:'v1', :'v3', false)`, c, me.id, s.id);
    sql(`INSERT INTO messages (conversation_id, sender_id, body) VALUES (:'v1', :'v2', :'v3')`, c, s.id, `pager zebra${RUN} ${i}`);
  }
  let html = await page(P, '/inbox?filter=starred');
  const next = html.match(/rel="next" href="([^"]+)"/);
  assert.ok(next, 'a next page');
  assert.equal(decode(next[1]), '/inbox?filter=starred&page=2');
  html = await page(P, decode(next[1]));
  assert.equal([...html.matchAll(/data-conversation="\d+"/g)].length, 2);
  assert.equal(decode(html.match(/rel="prev" href="([^"]+)"/)[1]), '/inbox?filter=starred&page=1');
  html = await page(P, `/inbox?search=zebra${RUN}`);
  const sn = html.match(/rel="next" href="([^"]+)"/);
  assert.ok(sn, 'a next page of results');
  assert.equal(decode(sn[1]), `/inbox?search=zebra${RUN}&page=2`);
  html = await page(P, decode(sn[1]));
  assert.equal([...html.matchAll(/data-result="\d+"/g)].length, 2);
});

test('JSON endpoints: 201 {message}, errors with codes, typing publishes on ev:c:<id>', async () => {
  let res = await send(B, conv, `json **${RUN}**`, [], {}, JSON_H);
  assert.equal(res.status, 201);
  assert.match(res.headers.get('content-type'), /application\/json/);
  const m = JSON.parse(res.text_).message;
  for (const k of ['conversation_id', 'message_id', 'sender_id', 'sender_handle', 'kind', 'body_html', 'at', 'edited', 'warn', 'reply_to', 'attachments'])
    assert.ok(k in m, `message.${k}`);
  assert.equal(m.conversation_id, conv);
  assert.equal(m.sender_id, buyer.id);
  assert.equal(m.kind, 'user');
  assert.match(m.body_html, new RegExp(`<strong>${RUN}</strong>`));
  res = await send(B, conv, '  ', [], {}, JSON_H);
  assert.equal(res.status, 422);
  assert.equal(JSON.parse(res.text_).error, 'empty');
  assert.ok(JSON.parse(res.text_).message.length > 0);
  res = await send(B, conv, 'z'.repeat(5001), [], {}, JSON_H);
  assert.equal(res.status, 413);
  assert.equal(JSON.parse(res.text_).error, 'too_long');
  assert.equal((await post(S, `/inbox/${conv}/block`)).status, 303);
  res = await send(B, conv, 'blocked', [], {}, JSON_H);
  assert.equal(res.status, 403);
  assert.equal(JSON.parse(res.text_).error, 'blocked');
  assert.equal((await post(S, `/inbox/${conv}/block`)).status, 303);
  const key = `rl:msg:user:${buyer.id}`;
  const now = Date.now();
  const args = [];
  for (let i = 0; i < 30; i++) args.push(now - i, `e2e-${i}`);
  redis('ZADD', key, ...args);
  res = await send(B, conv, 'fast', [], {}, JSON_H);
  assert.equal(res.status, 429);
  assert.equal(JSON.parse(res.text_).error, 'rate');
  redis('DEL', key);

  // typing: listen on the conversation's channel with redis-cli
  redis('DEL', `typing:${conv}:${buyer.id}`);
  const sub = spawn('redis-cli', ['-u', REDIS, 'SUBSCRIBE', `ev:c:${conv}`]);
  let out = '';
  sub.stdout.on('data', (d) => { out += d; });
  await sleep(400);
  res = await post(B, `/inbox/${conv}/typing`, {}, JSON_H);
  assert.equal(res.status, 204);
  res = await post(B, `/inbox/${conv}/typing`, {}, JSON_H);
  assert.equal(res.status, 204, 'a second one within 3 s is accepted, not published');
  await sleep(400);
  sub.kill();
  const payloads = out.split('\n').filter((l) => l.includes(`"conversation_id":${conv}`));
  assert.equal(payloads.length, 1, `one typing event published: ${out}`);
  assert.match(payloads[0], new RegExp(`"user_id":${buyer.id}`));
  assert.match(payloads[0], new RegExp(`"handle":"${buyer.handle}"`));
  assert.equal((await post(X, `/inbox/${conv}/typing`, {}, JSON_H)).status, 404, 'a stranger');
  const nf = await send(X, conv, 'x', [], {}, JSON_H);
  assert.equal(nf.status, 404);
  assert.equal(JSON.parse(nf.text_).error, 'not_found');
});

const chromiumPath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';

test('without JavaScript in a real browser: reply link, file, edit and delete by forms',
  { skip: !existsSync(chromiumPath) && `no ${chromiumPath}` }, async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] });
    try {
      const s4 = user('bs', ['SELLER']);
      const b4 = user('bb');
      const c4 = Number(locationOf(await new Client(b4).get(`/contact/${s4.handle}`)).match(/(\d+)$/)[1]);
      const q = await sendOk(new Client(s4), c4, `Which format do you need ${RUN}?`);
      const ctx = await browser.newContext({ javaScriptEnabled: false, locale: 'en-US' });
      await ctx.addCookies([{ name: 'souk_sess', value: b4.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
      ctx.setDefaultTimeout(15000);
      const page = await ctx.newPage();
      assert.equal((await page.goto(`${BASE}/inbox/${c4}`)).status(), 200);
      // Reply: the link fills the hidden field and shows the quote
      await Promise.all([page.waitForURL(new RegExp(`reply_to=${q}`)), page.locator(`[data-reply="${q}"]`).click()]);
      assert.equal(await page.locator('input[name="reply_to"]').inputValue(), String(q));
      await page.locator('textarea#body').fill(`PNG please ${RUN}`);
      const dir = mkdtempSync(join(tmpdir(), 'souk-msg-'));
      writeFileSync(join(dir, 'sample.png'), pngBytes(30, 20));
      await page.locator('input#files').setInputFiles(join(dir, 'sample.png'));
      await Promise.all([page.waitForURL(new RegExp(`/inbox/${c4}#m\\d+$`)), page.locator('[data-message-form] button[type="submit"]').click()]);
      const mine = page.locator('li.message--mine').last();
      assert.match(await mine.locator('[data-reply-to]').textContent(), /Which format do you need/);
      assert.equal((await mine.locator('[data-attachments] a').textContent()).trim(), 'sample.png');
      assert.equal((await mine.locator('[data-receipt]').textContent()).trim(), 'Sent');
      // a message without a file (the empty file input is ignored)
      await page.locator('textarea#body').fill(`no file ${RUN}`);
      await Promise.all([page.waitForURL(/#m\d+$/), page.locator('[data-message-form] button[type="submit"]').click()]);
      const last = page.locator('li.message--mine').last();
      assert.match(await last.textContent(), new RegExp(`no file ${RUN}`));
      assert.equal(await last.locator('[data-attachments]').count(), 0);
      // Edit: the link opens the form in place; Save
      const id = await last.getAttribute('data-message');
      await Promise.all([page.waitForURL(new RegExp(`edit=${id}`)), last.locator('[data-edit]').click()]);
      await page.locator(`#edit-${id}`).fill(`edited ${RUN}`);
      await Promise.all([page.waitForURL(new RegExp(`/inbox/${c4}#m${id}$`)), page.locator('[data-edit-form] button[type="submit"]').click()]);
      assert.match(await page.locator(`#m${id} .message__body`).textContent(), new RegExp(`edited ${RUN}`));
      assert.equal(await page.locator(`#m${id} [data-edited]`).count(), 1);
      await page.screenshot({ path: join(outputDir(), 'thread-nojs.png'), fullPage: true });
      // Delete
      await page.locator(`#m${id} [data-delete]`).click();
      assert.equal((await page.locator(`#m${id} [data-deleted]`).textContent()).trim(), 'This message was deleted');
      await ctx.close();
    } finally {
      await browser.close();
    }
  });
