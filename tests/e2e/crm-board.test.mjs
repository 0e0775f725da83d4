// The seller's CRM board over HTTP (issue 7, "Pipeline and leads", "The
// board", "Security and bad input"), through nginx, souk-web, PostgreSQL,
// Redis, souk-worker and souk-paysim:
//
//   every conversation is a lead in the seller's first stage (default
//   stages created on the way); a move persists, records a 'stage' event
//   and publishes crm.lead to the seller's stream; another seller's stage
//   → 403, another seller's lead → 404, a deleted stage → 409 and the card
//   stays; stage add / rename / recolour / reorder / remove-with-move; the
//   filters and the CSV export (formula cells neutralised); private notes
//   never reach the buyer; the deal value typed as a decimal; a paid order
//   moves the lead to Won with an 'order' event and its value; the score
//   breakdown sums to the score.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { stripTags, decode } from './helpers.mjs';
import { BASE, sql, redis, user, activeGig, Client, locationOf, buy, havePaysim } from './money-helpers.mjs';

let seller, sc, other, oc, buyer, bc, buyer2, b2c, conv, conv2;

/** Opens (or finds) the conversation of @client with seller @s; its id. */
async function contact(client, s) {
  const res = await client.post('/messages/new', { seller: s.handle });
  assert.equal(res.status, 303, `contact: ${res.status}`);
  const m = locationOf(res).match(/^\/inbox\/(\d+)/);
  assert.ok(m, `→ /inbox/<id> (${locationOf(res)})`);
  return Number(m[1]);
}

async function say(client, id, body) {
  const res = await client.post(`/inbox/${id}/messages`, { body });
  assert.equal(res.status, 303, `message: ${res.status}`);
}

async function html(client, path, status = 200) {
  const res = await client.get(path);
  assert.equal(res.status, status, `GET ${path}: ${res.status} ${(res.text_ || '').slice(0, 300)}`);
  return res.text_;
}

const stages = (sellerId) => JSON.parse(sql(`SELECT json_agg(json_build_object('id', id, 'name', name,
  'slug', slug, 'outcome', outcome, 'color', color) ORDER BY position, id) FROM crm_stages
  WHERE seller_id = :'v1' AND deleted_at IS NULL`, sellerId));
const lead = (id) => JSON.parse(sql(`SELECT row_to_json(l) FROM crm_leads l WHERE conversation_id = :'v1'`, id));
const stageBySlug = (sellerId, slug) => stages(sellerId).find((s) => s.slug === slug);

/** The card of lead @id in board @page, and the column (data-stage-col) it sits in. */
function cardColumn(page, id) {
  const cols = [...page.matchAll(/<section class="crm-col[^"]*" data-stage-col="(\d+)"[\s\S]*?<\/section>/g)];
  for (const c of cols) if (c[0].includes(`data-lead="${id}"`)) return Number(c[1]);
  return null;
}

/** POST the move with Accept: application/json (the board's JS does the same). */
async function moveJson(client, id, fields) {
  const body = new URLSearchParams({ ...fields, csrf: client.u.csrf });
  const res = await fetch(`${BASE}/crm/leads/${id}/move`, {
    method: 'POST', body: body.toString(), redirect: 'manual',
    headers: { cookie: client.header(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  return { status: res.status, data };
}

before(async () => {
  seller = user('crms', ['SELLER']);
  sc = new Client(seller);
  other = user('crmo', ['SELLER']);
  oc = new Client(other);
  buyer = user('crmb');
  bc = new Client(buyer);
  buyer2 = user('crmc');
  b2c = new Client(buyer2);
  conv = await contact(bc, seller);
  await say(bc, conv, 'Hello, I need a logo for my shop.');
  conv2 = await contact(b2c, seller);
});

test('every conversation is a lead in the first stage, with the default stages', async () => {
  const st = stages(seller.id);
  assert.deepEqual(st.map((s) => s.slug), ['new', 'qualified', 'proposal', 'negotiation', 'won', 'lost']);
  assert.deepEqual(st.map((s) => s.outcome), ['open', 'open', 'open', 'open', 'won', 'lost']);
  for (const id of [conv, conv2]) {
    const l = lead(id);
    assert.ok(l, `a lead for conversation ${id}`);
    assert.equal(Number(l.seller_id), seller.id);
    assert.equal(Number(l.stage_id), Number(st[0].id));
  }
  const l = lead(conv);
  assert.ok(l.last_buyer_message_at, 'the buyer message time is kept');
  assert.equal(l.last_seller_message_at, null);
  const ev = sql(`SELECT data->>'sender' FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'message'`, conv);
  assert.equal(ev, 'buyer', 'a message event with the sender role');
  const page = await html(sc, '/crm');
  assert.equal(cardColumn(page, conv), Number(st[0].id), 'the card is in the first column');
  assert.match(page, new RegExp(`@${buyer.handle}`));
  assert.match(page, /<a class="account-nav__link" href="\/crm">/, 'a CRM link in the seller nav');
  // the buyer (not a seller) has no CRM
  assert.equal((await bc.get('/crm')).status, 403);
  // and the seller's reply updates the seller time
  await say(sc, conv, 'Sure, what colours do you like?');
  assert.ok(lead(conv).last_seller_message_at);
});

test('a move persists, records a stage event and is published to the seller stream', async () => {
  const q = stageBySlug(seller.id, 'qualified');
  const before = Number(redis('XLEN', `ev:u:${seller.id}`) || 0);
  const res = await sc.post(`/crm/leads/${conv}/move`, { stage_id: q.id, back: '/crm?unread=1' });
  assert.equal(res.status, 303);
  assert.equal(locationOf(res), '/crm?unread=1', 'back to the filtered board');
  assert.equal(Number(lead(conv).stage_id), Number(q.id));
  assert.equal(cardColumn(await html(sc, '/crm'), conv), Number(q.id), 'the card is in the new column after reload');
  const ev = JSON.parse(sql(`SELECT data FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'stage' ORDER BY id DESC LIMIT 1`, conv));
  assert.equal(Number(ev.to_stage_id), Number(q.id));
  assert.equal(ev.by, 'seller');
  const after = Number(redis('XLEN', `ev:u:${seller.id}`) || 0);
  assert.ok(after > before, 'an event on the seller stream');
  const last = redis('XREVRANGE', `ev:u:${seller.id}`, '+', '-', 'COUNT', '5');
  assert.match(last, /crm\.lead/);
  assert.match(last, new RegExp(`"conversation_id":${conv}`));
  assert.match(last, new RegExp(`"stage_id":${q.id}`));
  // the JSON answer, at a position
  const n = stageBySlug(seller.id, 'negotiation');
  const j = await moveJson(sc, conv2, { stage_id: n.id, position: '0' });
  assert.equal(j.status, 200);
  assert.deepEqual(j.data, { ok: true, conversation_id: conv2, stage_id: Number(n.id), position: 0 });
  // a bad back URL goes to the board
  const r2 = await sc.post(`/crm/leads/${conv2}/move`, { stage_id: n.id, back: '//evil.example/' });
  assert.equal(locationOf(r2), '/crm');
});

test("another seller's stage is 403, another seller's lead 404, a deleted stage 409", async () => {
  await sc.get('/crm');
  await oc.get('/crm');	// the other seller's default stages
  const theirs = stages(other.id)[1];
  const at = lead(conv).stage_id;
  let r = await sc.post(`/crm/leads/${conv}/move`, { stage_id: theirs.id });
  assert.equal(r.status, 403);
  let j = await moveJson(sc, conv, { stage_id: theirs.id });
  assert.equal(j.status, 403);
  assert.equal(j.data.error, 'forbidden');
  assert.equal(lead(conv).stage_id, at, 'the lead stays');
  // the other seller cannot touch my lead, even to their own stage
  r = await oc.post(`/crm/leads/${conv}/move`, { stage_id: theirs.id });
  assert.equal(r.status, 404);
  assert.equal((await oc.get(`/crm/leads/${conv}`)).status, 404, 'nor see it');
  // a deleted stage
  const tmp = await sc.post('/crm/stages', { name: 'Temporary', color: '#123456' });
  assert.equal(tmp.status, 303);
  const t = stages(seller.id).find((s) => s.name === 'Temporary');
  const first = stages(seller.id)[0];
  assert.equal((await sc.post(`/crm/stages/${t.id}/delete`, { target: first.id })).status, 303);
  j = await moveJson(sc, conv, { stage_id: t.id });
  assert.equal(j.status, 409);
  assert.equal(j.data.error, 'deleted');
  r = await sc.post(`/crm/leads/${conv}/move`, { stage_id: t.id });
  assert.equal(r.status, 409);
  assert.equal(lead(conv).stage_id, at, 'the card stays where it was');
  assert.equal(cardColumn(await html(sc, '/crm'), conv), Number(at));
  // junk
  assert.equal((await sc.post(`/crm/leads/${conv}/move`, { stage_id: 'x' })).status, 422);
  assert.equal((await sc.post(`/crm/leads/${conv}/move`, { stage_id: '999999999' })).status, 404);
});

test('stages: add, rename, recolour, reorder, remove with its leads moved', async () => {
  let r = await sc.post('/crm/stages', { name: 'On hold', color: '#AABBCC' });
  assert.equal(r.status, 303);
  let st = stages(seller.id);
  const hold = st.find((s) => s.name === 'On hold');
  assert.equal(hold.color, '#aabbcc');
  assert.equal(st[st.length - 1].id, hold.id, 'added last');
  // bad colour and empty name: 422 with the values kept
  r = await sc.post('/crm/stages', { name: 'Bad <colour>', color: 'red' });
  assert.equal(r.status, 422);
  assert.match(r.text_, /value="Bad &lt;colour&gt;"/);
  assert.match(r.text_, /#rrggbb/);
  assert.equal((await sc.post('/crm/stages', { name: '  ', color: '#000000' })).status, 422);
  // rename + recolour
  r = await sc.post(`/crm/stages/${hold.id}`, { name: 'Paused', color: '#00ff00' });
  assert.equal(r.status, 303);
  st = stages(seller.id);
  assert.ok(st.find((s) => s.id === hold.id && s.name === 'Paused' && s.color === '#00ff00'));
  assert.equal((await oc.post(`/crm/stages/${hold.id}`, { name: 'Mine', color: '#000000' })).status, 404,
    "another seller cannot rename my stage");
  // reorder: up one place
  const idx = st.findIndex((s) => s.id === hold.id);
  r = await sc.post(`/crm/stages/${hold.id}/up`, {});
  assert.equal(r.status, 303);
  st = stages(seller.id);
  assert.equal(st.findIndex((s) => s.id === hold.id), idx - 1);
  r = await sc.post(`/crm/stages/${hold.id}/down`, {});
  assert.equal(stages(seller.id).findIndex((s) => s.id === hold.id), idx);
  // the stages page lists them
  const page = await html(sc, '/crm/stages');
  assert.match(page, /Paused/);
  // remove with a target: its leads move there in one go
  assert.equal((await sc.post(`/crm/leads/${conv2}/move`, { stage_id: hold.id })).status, 303);
  assert.equal(Number(lead(conv2).stage_id), Number(hold.id));
  const q = stageBySlug(seller.id, 'qualified');
  assert.equal((await sc.post(`/crm/stages/${hold.id}/delete`, {})).status, 422, 'a target is required');
  assert.equal((await sc.post(`/crm/stages/${hold.id}/delete`, { target: hold.id })).status, 422);
  const theirs = stages(other.id)[0];
  assert.equal((await sc.post(`/crm/stages/${hold.id}/delete`, { target: theirs.id })).status, 403);
  assert.equal(Number(lead(conv2).stage_id), Number(hold.id), 'nothing moved on a refused removal');
  r = await sc.post(`/crm/stages/${hold.id}/delete`, { target: q.id });
  assert.equal(r.status, 303);
  assert.equal(Number(lead(conv2).stage_id), Number(q.id), 'its lead moved to the target');
  assert.equal(stages(seller.id).find((s) => s.id === hold.id), undefined, 'the stage is gone');
  const ev = JSON.parse(sql(`SELECT data FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'stage' ORDER BY id DESC LIMIT 1`, conv2));
  assert.equal(ev.by, 'stage_removed');
  assert.equal(Number(ev.to_stage_id), Number(q.id));
});

test('labels, deal value, filters, the list view and the CSV export', async () => {
  // a formula-looking label and a value typed as a decimal
  let r = await sc.post(`/crm/leads/${conv}/labels`, { label_id: '', name: '=HYPERLINK("x")', color: '#ff0000' });
  assert.equal(r.status, 303);
  r = await sc.post(`/crm/leads/${conv}/labels`, { label_id: '', name: 'VIP', color: '#00aa00' });
  assert.equal(r.status, 303);
  const vip = Number(sql(`SELECT id FROM crm_labels WHERE seller_id = :'v1' AND name = 'VIP'`, seller.id));
  assert.equal((await sc.post(`/crm/leads/${conv}/labels`, { label_id: '', name: 'x', color: 'blue' })).status, 422);
  r = await sc.post(`/crm/leads/${conv}/value`, { amount: '1234.5', currency: 'ZAR' });
  assert.equal(r.status, 303);
  let l = lead(conv);
  assert.equal(Number(l.value_minor), 123450, '1234.5 → 123450 minor units');
  assert.equal(l.currency, 'ZAR');
  r = await sc.post(`/crm/leads/${conv}/value`, { amount: '12.345', currency: 'ZAR' });
  assert.equal(r.status, 422);
  assert.match(r.text_, /value="12\.345"/, 'the typed value is kept');
  assert.equal((await sc.post(`/crm/leads/${conv}/value`, { amount: '5', currency: 'EUR' })).status, 422);
  assert.equal((await oc.post(`/crm/leads/${conv}/value`, { amount: '5', currency: 'USD' })).status, 404);
  // unread: the seller has not read buyer2's message yet
  await say(b2c, conv2, 'Are you available next week?');
  let board = await html(sc, '/crm');
  assert.match(board, new RegExp(`data-lead="${conv}"[\\s\\S]*?data-value="123450">R[\\s\\u00a0]1[\\s\\u00a0]234,50<`), 'the value on the card');
  assert.match(board, /VIP/);
  // filters
  const only = (page) => [...page.matchAll(/<li class="crm-card[^"]*" data-lead="(\d+)"/g)].map((m) => Number(m[1])).sort();
  assert.deepEqual(only(board), [conv, conv2].sort());
  assert.deepEqual(only(await html(sc, `/crm?label=${vip}`)), [conv]);
  assert.deepEqual(only(await html(sc, '/crm?unread=1')), [conv2]);
  assert.deepEqual(only(await html(sc, '/crm?min=1000&max=2000')), [conv]);
  assert.deepEqual(only(await html(sc, '/crm?min=2000')), []);
  assert.deepEqual(only(await html(sc, '/crm?order=1')), []);
  assert.deepEqual(only(await html(sc, '/crm?order=0')).length, 2);
  assert.deepEqual(only(await html(sc, '/crm?days=1')).length, 2);
  const q = stageBySlug(seller.id, 'qualified');
  assert.deepEqual(only(await html(sc, `/crm?stage=${q.id}`)), [conv, conv2].filter((c) => Number(lead(c).stage_id) === Number(q.id)).sort());
  sql(`UPDATE crm_leads SET last_activity_at = souk_now() - interval '40 days' WHERE conversation_id = :'v1'`, conv);
  assert.deepEqual(only(await html(sc, '/crm?days=30')), [conv2]);
  // column totals: count and value per currency
  board = await html(sc, '/crm');
  const col = board.match(new RegExp(`data-stage-col="${lead(conv).stage_id}"[\\s\\S]*?</header>`))[0];
  assert.match(col, /data-total="ZAR"/);
  // the list view
  const list = await html(sc, '/crm?view=list');
  assert.match(list, /<table class="table crm-list">/);
  assert.match(list, new RegExp(`<tr data-lead="${conv}"`));
  assert.deepEqual([...(await html(sc, `/crm?view=list&label=${vip}`)).matchAll(/<tr data-lead="(\d+)"/g)].map((m) => Number(m[1])), [conv]);
  // CSV: same filters, formula cells neutralised
  const csv = await sc.get(`/crm/export.csv?label=${vip}`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const lines = csv.text_.trim().split('\r\n');
  assert.equal(lines[0].split(',')[0], 'conversation');
  assert.equal(lines.length, 2, 'one lead with that label');
  assert.ok(lines[1].startsWith(`${conv},${buyer.handle},`));
  assert.match(lines[1], /,1234\.50,ZAR,123450,manual,/);
  assert.match(lines[1], /"'=HYPERLINK\(""x""\); VIP"$/, 'the formula label is prefixed with a quote');
  const all = (await sc.get('/crm/export.csv')).text_.trim().split('\r\n');
  assert.equal(all.length, 3);
  // a stage named like a formula
  const st0 = stages(seller.id).find((x) => Number(x.id) === Number(lead(conv).stage_id));
  await sc.post(`/crm/stages/${st0.id}`, { name: '@SUM(A1)', color: '#6b7280' });
  assert.match((await sc.get('/crm/export.csv')).text_, /,'@SUM\(A1\),/);
  await sc.post(`/crm/stages/${st0.id}`, { name: st0.name, color: st0.color });
  // removing a label
  r = await sc.post(`/crm/leads/${conv}/labels/${vip}/remove`, {});
  assert.equal(r.status, 303);
  assert.deepEqual(only(await html(sc, `/crm?label=${vip}`)), []);
  assert.equal(sql(`SELECT count(*) FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'label'`, conv), '3');
  // the last label event names the action, the label and its name
  assert.deepEqual(JSON.parse(sql(`SELECT data FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'label'
    ORDER BY id DESC LIMIT 1`, conv)), { action: 'removed', label_id: Number(vip),
    name: sql(`SELECT name FROM crm_labels WHERE id = :'v1'`, String(vip)) });
  // clearing the value
  await sc.post(`/crm/leads/${conv}/value`, { amount: '', currency: 'ZAR' });
  l = lead(conv);
  assert.equal(l.value_minor, null);
});

test('private notes are never shown to the buyer', async () => {
  const secret = `Secret note ${Date.now()} <b>do not show</b>`;
  let r = await sc.post(`/crm/leads/${conv}/notes`, { body: secret });
  assert.equal(r.status, 303);
  const page = await html(sc, `/crm/leads/${conv}`);
  const notes = (page.match(/<ul class="crm-notes" data-notes>[\s\S]*?<\/ul>/) || [''])[0];
  assert.ok(notes.includes('Secret note') && notes.includes('&lt;b&gt;do not show'), `the seller sees the note, escaped: ${notes.slice(0, 500)}`);
  const raw = page.indexOf('<b>do not show</b>');
  assert.equal(raw, -1, `no raw markup: ${page.slice(Math.max(0, raw - 400), raw + 100)}`);
  // the buyer: thread, inbox, the lead page and the CRM are all without it
  for (const path of [`/inbox/${conv}`, '/inbox', `/crm/leads/${conv}`, '/crm', '/crm/export.csv', '/orders']) {
    const res = await bc.get(path);
    assert.ok(!(res.text_ || '').includes('Secret note'), `${path} (${res.status}) shows no note to the buyer`);
  }
  assert.equal((await bc.get(`/crm/leads/${conv}`)).status, 403);
  // nor to another seller
  assert.equal((await oc.get(`/crm/leads/${conv}`)).status, 404);
  assert.equal((await oc.post(`/crm/leads/${conv}/notes`, { body: 'intrusion' })).status, 404);
  // the seller's own thread does not show it either (it lives in the CRM)
  const sellerThread = await html(sc, `/inbox/${conv}`);
  assert.ok(!sellerThread.includes('Secret note'));
  // bad input: empty → 422, too long → 413 with the text kept
  r = await sc.post(`/crm/leads/${conv}/notes`, { body: '   ' });
  assert.equal(r.status, 422);
  r = await sc.post(`/crm/leads/${conv}/notes`, { body: 'n'.repeat(5001) });
  assert.equal(r.status, 413);
  assert.ok(r.text_.includes('n'.repeat(5001)), 'the text is kept');
  // delete
  const id = Number(sql(`SELECT id FROM crm_lead_notes WHERE conversation_id = :'v1' ORDER BY id DESC LIMIT 1`, conv));
  assert.equal((await oc.post(`/crm/leads/${conv}/notes/${id}/delete`, {})).status, 404);
  r = await sc.post(`/crm/leads/${conv}/notes/${id}/delete`, {});
  assert.equal(r.status, 303);
  assert.ok(!(await html(sc, `/crm/leads/${conv}`)).includes('Secret note'));
  // the timeline has the note events, newest first
  const tl = (await html(sc, `/crm/leads/${conv}`)).match(/<ol class="crm-timeline__list" data-timeline>([\s\S]*?)<\/ol>/)[1];
  const kinds = [...tl.matchAll(/data-kind="([a-z]+)"/g)].map((m) => m[1]);
  assert.deepEqual(kinds.slice(0, 2), ['note', 'note']);
  assert.ok(kinds.includes('message') && kinds.includes('stage') && kinds.includes('label'));
  assert.match(stripTags(tl), /Private note deleted/);
  assert.deepEqual(JSON.parse(sql(`SELECT data FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'note'
    ORDER BY id DESC LIMIT 1`, conv)), { action: 'deleted', note_id: Number(id) });
});

test('spam mark and the score breakdown sums to the score', async () => {
  let r = await sc.post(`/crm/leads/${conv}/spam`, { spam: '1' });
  assert.equal(r.status, 303);
  assert.equal(lead(conv).spam, true);
  assert.match(await html(sc, `/crm/leads/${conv}`), /data-spam/);
  r = await sc.post(`/crm/leads/${conv}/spam`, { spam: '0' });
  assert.equal(lead(conv).spam, false);
  const page = await html(sc, `/crm/leads/${conv}`);
  const score = Number(page.match(/data-score="(\d+)"/)[1]);
  const parts = [...page.matchAll(/<tr data-part="([a-z]+)" data-points="(\d+)" data-max="(\d+)">/g)];
  assert.deepEqual(parts.map((p) => p[1]), ['recency', 'messages', 'orders', 'value', 'response']);
  assert.deepEqual(parts.map((p) => Number(p[3])), [30, 25, 20, 10, 15]);
  const sum = parts.reduce((a, p) => a + Number(p[2]), 0);
  assert.equal(sum, score, 'the parts add up to the score');
  assert.ok(score >= 0 && score <= 100);
  // by the formula: one buyer message (5), recent (≤ 30), no order, replied within the hour (15)
  const p = Object.fromEntries(parts.map((x) => [x[1], Number(x[2])]));
  assert.equal(p.messages, 5);
  assert.equal(p.orders, 0);
  assert.equal(p.response, 15);
  assert.ok(p.recency >= 29, `a fresh message gives ~30 (${p.recency})`);
  assert.equal(Number(lead(conv).score), score, 'the stored score matches');
  assert.equal(Number(sql(`SELECT crm_lead_score(:'v1')`, conv)), score);
});

test('a paid order moves the lead to Won with an order event and its value', { skip: !havePaysim() && 'no paysim' }, async () => {
  const gig = activeGig(seller, 'ZAR');
  const won = stageBySlug(seller.id, 'won');
  assert.notEqual(Number(lead(conv2).stage_id), Number(won.id));
  const { orderId } = await buy(b2c, gig, { gateway: 'payfast' });
  const l = lead(conv2);
  assert.equal(Number(l.stage_id), Number(won.id), 'the lead is Won');
  const ev = JSON.parse(sql(`SELECT json_agg(data ORDER BY id) FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'order'`, conv2));
  assert.ok(ev.some((e) => Number(e.order_id) === Number(orderId) && e.event === 'paid'), JSON.stringify(ev));
  const st = JSON.parse(sql(`SELECT data FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'stage' ORDER BY id DESC LIMIT 1`, conv2));
  assert.equal(st.by, 'order');
  assert.equal(Number(st.to_stage_id), Number(won.id));
  // the deal value defaults to the order's (the seller set none)
  const sub = Number(sql(`SELECT subtotal_minor FROM orders WHERE id = :'v1'`, orderId));
  const board = await html(sc, `/crm?order=1`);
  assert.match(board, new RegExp(`data-lead="${conv2}"[\\s\\S]*?data-value="${sub}"`));
  assert.equal(cardColumn(board, conv2), Number(won.id));
  const lp = await html(sc, `/crm/leads/${conv2}`);
  assert.match(stripTags(decode(lp)), /\(from the order\)/);
  assert.match(stripTags(decode(lp)), new RegExp(`Order #${orderId}\\s+paid`));
  const parts = Object.fromEntries([...lp.matchAll(/data-part="([a-z]+)" data-points="(\d+)"/g)].map((m) => [m[1], Number(m[2])]));
  assert.equal(parts.orders, 10, 'one order: 10 points');
  assert.equal(parts.value, Math.min(10, Math.floor(sub / 10000)));
});

/** GET /crm?@qs as JSON (what crm-board.js reads after a move): {status, data}. */
async function columnsJson(client, qs = '') {
  const res = await fetch(`${BASE}/crm${qs ? `?${qs}` : ''}`, {
    headers: { cookie: client.header(), accept: 'application/json' }, redirect: 'manual',
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  return { status: res.status, data };
}

/** The header of column @stage in board @page: {count, totals: {cur: [text, minor]}, more: {href, n} | null}. */
function columnHead(page, stage) {
  const m = page.match(new RegExp(`<section class="crm-col[^"]*" data-stage-col="${stage}"[\\s\\S]*?</section>`));
  assert.ok(m, `column ${stage}`);
  const count = Number(m[0].match(/<span data-count>(\d+)<\/span>/)[1]);
  const totals = Object.fromEntries([...m[0].matchAll(/data-total="([A-Z]{3})" data-minor="(\d+)">([^<]*)</g)]
    .map((t) => [t[1], [decode(t[3]), Number(t[2])]]));
  const w = m[0].match(/<p class="crm-col__more" data-show-all-wrap( hidden)?><a href="([^"]*)" data-show-all>[^<]*<span data-show-all-count>(\d+)</);
  assert.ok(w, 'a Show all paragraph');
  const cards = [...m[0].matchAll(/<li class="crm-card[^"]*" data-lead="(\d+)"/g)].map((x) => Number(x[1]));
  return { count, totals, more: w[1] ? null : { href: decode(w[2]), n: Number(w[3]) }, cards };
}

test('column totals: count and value per currency of every lead, as HTML and as JSON after a move', async () => {
  const s = user('crmt', ['SELLER']);
  const c = new Client(s);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await contact(new Client(user(`crmt${i}`)), s));
  const st = stages(s.id);
  const [nw, q] = [st[0].id, st[1].id];
  assert.equal((await c.post(`/crm/leads/${ids[0]}/value`, { amount: '100.25', currency: 'USD' })).status, 303);
  assert.equal((await c.post(`/crm/leads/${ids[1]}/value`, { amount: '50', currency: 'USD' })).status, 303);
  assert.equal((await c.post(`/crm/leads/${ids[2]}/value`, { amount: '10', currency: 'ZAR' })).status, 303);
  let head = columnHead(await html(c, '/crm'), nw);
  assert.equal(head.count, 3);
  assert.deepEqual(head.totals, { USD: ['$150.25', 15025], ZAR: ['R 10,00', 1000] });
  assert.equal(head.more, null, 'no Show all under the cap');
  // the JSON the board re-reads: every live stage in order, zeros included
  let j = await columnsJson(c);
  assert.equal(j.status, 200);
  assert.equal(j.data.cap, 50);
  assert.deepEqual(j.data.columns.map((x) => x.id), st.map((x) => Number(x.id)));
  assert.deepEqual(j.data.columns[0], { id: Number(nw), count: 3, more: false, show_all_url: `/crm?view=list&stage=${nw}`,
    totals: [{ currency: 'USD', amount: '$150.25', amount_minor: 15025 }, { currency: 'ZAR', amount: 'R 10,00', amount_minor: 1000 }] });
  assert.equal(j.data.columns[1].count, 0);
  assert.deepEqual(j.data.columns[1].totals, []);
  // a move: both columns' figures change
  assert.equal((await moveJson(c, ids[0], { stage_id: q, position: '0' })).status, 200);
  j = await columnsJson(c);
  assert.deepEqual(j.data.columns[0].totals.map((t) => [t.currency, t.amount_minor]), [['USD', 5000], ['ZAR', 1000]]);
  assert.deepEqual([j.data.columns[0].count, j.data.columns[1].count], [2, 1]);
  assert.deepEqual(j.data.columns[1].totals, [{ currency: 'USD', amount: '$100.25', amount_minor: 10025 }]);
  head = columnHead(await html(c, '/crm'), q);
  assert.deepEqual([head.count, head.totals], [1, { USD: ['$100.25', 10025] }]);
  // the filters apply to the figures too (and the Show all link keeps them)
  j = await columnsJson(c, 'min=20&max=60');
  assert.deepEqual([j.data.columns[0].count, j.data.columns[1].count], [1, 0]);
  assert.equal(j.data.columns[0].show_all_url, `/crm?view=list&stage=${nw}&min=20&max=60`);
  assert.deepEqual(j.data.columns[0].totals.map((t) => t.amount_minor), [5000]);
  // nobody else's figures: another seller gets their own (empty) board, a buyer 403
  const o = new Client(user('crmu', ['SELLER']));
  j = await columnsJson(o);
  assert.ok(j.data.columns.every((x) => x.count === 0), 'another seller sees none of these leads');
  assert.equal((await columnsJson(bc)).status, 403);
});

test('a column shows at most 50 cards, newest first, with "Show all N" to the list view of that stage', async () => {
  const s = user('crmk', ['SELLER']);
  const c = new Client(s);
  await c.get('/crm');	// the default stages
  const st = stages(s.id);
  const nw = Number(st[0].id);
  // 55 conversations (one trigger-made lead each), oldest first; every lead worth 1.00 USD
  const tag = `k${s.id}`;
  sql(`WITH u AS (INSERT INTO users (email, handle)
      SELECT 'b' || i || '_${tag}@example.test', 'b' || i || '_${tag}' FROM generate_series(1, 55) i RETURNING id, handle)
    INSERT INTO conversations (buyer_id, seller_id, created_at)
      SELECT u.id, :'v1', now() - make_interval(mins => 100 - substring(u.handle from '^b(\\d+)')::int) FROM u ORDER BY u.id`, s.id);
  sql(`UPDATE crm_leads SET value_minor = 100, currency = 'USD' WHERE seller_id = :'v1'`, s.id);
  const all = sql(`SELECT conversation_id FROM crm_leads WHERE seller_id = :'v1' ORDER BY position, last_activity_at DESC, conversation_id`, s.id)
    .split('\n').map(Number);
  assert.equal(all.length, 55);
  const page = await html(c, '/crm');
  const head = columnHead(page, nw);
  assert.equal(head.count, 55, 'the count covers every lead');
  assert.deepEqual(head.totals, { USD: ['$55.00', 5500] }, 'so does the value');
  assert.equal(head.cards.length, 50, 'at most 50 cards');
  assert.deepEqual(head.cards, all.slice(0, 50), 'the top of the column: the newest leads');
  const newest = Number(sql(`SELECT c.id FROM conversations c WHERE c.seller_id = :'v1' ORDER BY c.created_at DESC LIMIT 1`, s.id));
  assert.equal(head.cards[0], newest, 'the newest lead first');
  assert.deepEqual(head.more, { href: `/crm?view=list&stage=${nw}`, n: 55 }, 'Show all 55');
  assert.equal(columnHead(page, st[1].id).more, null, 'no link under other columns');
  // the link: the list view of that stage, every lead
  const list = await html(c, head.more.href);
  assert.equal([...list.matchAll(/<tr data-lead="(\d+)" data-stage="(\d+)"/g)].filter((m) => Number(m[2]) === nw).length, 55);
  // other filters stay on the link
  const filtered = columnHead(await html(c, '/crm?days=30&view=board'), nw);
  assert.equal(filtered.more.href, `/crm?view=list&stage=${nw}&days=30`);
  // moving one card out: 54 left, the board still shows 50; with 50 the link goes away
  assert.equal((await moveJson(c, all[0], { stage_id: st[1].id })).status, 200);
  let j = await columnsJson(c);
  assert.deepEqual([j.data.columns[0].count, j.data.columns[0].more, j.data.columns[1].count], [54, true, 1]);
  sql(`DELETE FROM conversations WHERE id = ANY(string_to_array(:'v1', ',')::bigint[])`, all.slice(51).join(','));
  j = await columnsJson(c);
  assert.deepEqual([j.data.columns[0].count, j.data.columns[0].more], [50, false]);
  assert.equal(columnHead(await html(c, '/crm'), nw).more, null);
});
