// souk-e2e: serial
// The CRM auto-triggers (issue 7, "Auto-triggers", "Security and bad
// input") through nginx, souk-web, PostgreSQL, Redis and the trigger sweep
// (`soukctl crm-sweep`, the pass souk-worker runs every 5 s), with the
// test clock (clock_offset) for delays and cooldowns:
//
//   the trigger page and its validation (zero / negative delay → 422 with
//   the values kept, unknown template variable → 422, another seller's
//   trigger → 404, another seller's stage → 403); the working-hours page
//   (unknown time zone → 422 kept); welcome once per conversation with the
//   template's markup escaped; away replies outside working hours only and
//   its per-lead cooldown; follow-up after the delay and not before; a
//   message on entering a stage; "order cancelled → Lost"; no loop between
//   two sellers' automatic replies; every firing on the lead's timeline.
//
// Serial: it moves the test clock.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, decode, outputDir } from './helpers.mjs';
import { DB, SOUKCTL, WORKER_CONF, sql, redis, user, activeGig, Client, locationOf, advanceClock } from './money-helpers.mjs';

const execFileP = promisify(execFile);

/** soukctl crm-sweep once: the trigger sweep and the analytics refresh; its output. */
async function crmSweep() {
  assert.ok(SOUKCTL, 'the soukctl binary');
  const { stdout } = await execFileP(SOUKCTL, ['-c', WORKER_CONF, 'crm-sweep'],
    { encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB }, timeout: 60000 });
  assert.match(stdout, /sent=\d+ moved=\d+ skipped=\d+/);
  return stdout;
}

async function contact(client, s) {
  const res = await client.post('/messages/new', { seller: s.handle });
  assert.equal(res.status, 303, `contact: ${res.status}`);
  const m = locationOf(res).match(/^\/inbox\/(\d+)/);
  assert.ok(m, `→ /inbox/<id> (${locationOf(res)})`);
  return Number(m[1]);
}

async function say(client, id, body) {
  const res = await client.post(`/inbox/${id}/messages`, { body });
  assert.equal(res.status, 303, `message: ${res.status} ${(res.text_ || '').slice(0, 200)}`);
}

/** The automatic messages of conversation @conv: [{sender_id, body}]. */
function autos(conv) {
  const out = sql("SELECT coalesce(json_agg(json_build_object('sender_id', sender_id, 'body', body) ORDER BY id), '[]') FROM messages WHERE conversation_id = :'v1' AND kind = 'auto'", conv);
  return JSON.parse(out);
}

/** The trigger ids of the seller's /crm/triggers page by kind (and event); the last of each (call it while the seller has only the defaults). */
async function triggerIds(client) {
  const res = await client.get('/crm/triggers');
  assert.equal(res.status, 200, `GET /crm/triggers: ${res.status} ${res.text_.slice(0, 300)}`);
  const ids = {};
  for (const m of res.text_.matchAll(/data-trigger="(\d+)" data-kind="([a-z_]+)"/g)) {
    const row = sql("SELECT coalesce(event, kind) FROM crm_triggers WHERE id = :'v1'", m[1]);
    ids[row] = Number(m[1]);
  }
  return ids;
}

function stage(seller, slug) {
  return Number(sql("SELECT id FROM crm_stages WHERE seller_id = :'v1' AND slug = :'v2'", seller.id, slug));
}

/** POST /crm/triggers for trigger @id with @fields over sensible defaults. */
function saveTrigger(client, id, fields) {
  return client.post('/crm/triggers', { id: String(id), template: '', delay_value: '1', delay_unit: 'hours',
    cooldown_value: '0', cooldown_unit: 'hours', ...fields });
}

/** Working hours: every day closed (@open false) or open all day. */
async function hours(client, open, tz = 'UTC') {
  const f = { time_zone: tz };
  for (let d = 1; d <= 7; d++) {
    if (open) f[`open_${d}`] = '1';
    f[`start_${d}`] = '00:00';
    f[`end_${d}`] = '24:00';
  }
  const res = await client.post('/crm/settings', f);
  assert.equal(res.status, 303, `POST /crm/settings: ${res.status} ${(res.text_ || '').slice(0, 300)}`);
}

let seller, sc, ids;

before(async () => {
  seller = user('trs', ['SELLER']);
  sc = new Client(seller);
  ids = await triggerIds(sc);
});

test('the trigger page lists the default triggers, off except the two moves to Lost', async () => {
  for (const k of ['welcome', 'away', 'follow_up', 'stage_enter', 'order_cancelled', 'proposal_silence'])
    assert.ok(ids[k], `a ${k} trigger`);
  assert.equal(sql("SELECT string_agg(coalesce(event, kind) || '=' || enabled, ',' ORDER BY id) FROM crm_triggers WHERE seller_id = :'v1'", seller.id),
    'welcome=false,away=false,follow_up=false,stage_enter=false,order_cancelled=true,proposal_silence=true');
  // a buyer-only user is refused
  const b = new Client(user('trb'));
  assert.equal((await b.get('/crm/triggers')).status, 403);
});

test('a zero or negative delay, a bad variable, another seller\'s trigger or stage are refused', async () => {
  const prop = stage(seller, 'proposal');
  for (const bad of ['0', '-5']) {
    const res = await saveTrigger(sc, ids.follow_up, { enabled: '1', stage_id: String(prop), delay_value: bad,
      delay_unit: 'minutes', template: 'Kept {{buyer_name}} text' });
    assert.equal(res.status, 422, `delay ${bad}: ${res.status}`);
    assert.match(res.text_, /data-error="delay"/);
    // the typed values are kept
    const form = res.text_.slice(res.text_.indexOf(`id="trigger-${ids.follow_up}"`));
    assert.match(form, new RegExp(`name="delay_value" type="number" min="1" step="1" value="${bad}"`));
    assert.match(form, /Kept \{\{buyer_name\}\} text<\/textarea>/);
  }
  assert.equal(sql("SELECT enabled::text || ' ' || delay_seconds FROM crm_triggers WHERE id = :'v1'", ids.follow_up), 'false 259200');

  let res = await saveTrigger(sc, ids.welcome, { enabled: '1', template: 'Hi {{password}}' });
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="template"/);
  res = await saveTrigger(sc, ids.welcome, { enabled: '1', template: '{{#buyer_name}}x{{/buyer_name}}' });
  assert.equal(res.status, 422);

  const other = user('tro', ['SELLER']);
  const oc = new Client(other);
  const oids = await triggerIds(oc);
  res = await saveTrigger(oc, ids.welcome, { enabled: '1', template: 'Hijack' });
  assert.equal(res.status, 404, 'another seller\'s trigger');
  res = await saveTrigger(sc, ids.follow_up, { enabled: '1', stage_id: String(stage(other, 'proposal')),
    delay_value: '2', template: 'x' });
  assert.equal(res.status, 403, 'another seller\'s stage');
  res = await saveTrigger(sc, ids.order_cancelled, { enabled: '1', target_stage_id: String(stage(other, 'lost')) });
  assert.equal(res.status, 403, 'another seller\'s target stage');
  assert.equal(sql("SELECT template FROM crm_triggers WHERE id = :'v1'", ids.welcome).startsWith('Hi {{buyer_name}}'), true);
  assert.ok(oids.welcome && oids.welcome !== ids.welcome);
});

test('working hours: an unknown time zone or bad hours are refused with the values kept', async () => {
  let res = await sc.post('/crm/settings', { time_zone: 'Mars/Olympus', open_1: '1', start_1: '08:00', end_1: '12:00' });
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="time_zone"/);
  assert.match(res.text_, /value="Mars\/Olympus"/);
  res = await sc.post('/crm/settings', { time_zone: 'Europe/Berlin', open_2: '1', start_2: '18:00', end_2: '09:00' });
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="hours-2"/);
  assert.match(res.text_, /name="start_2" value="18:00"/);
  res = await sc.post('/crm/settings', { time_zone: 'Asia/Shanghai', open_1: '1', start_1: '09:30', end_1: '17:00' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT s.time_zone || ' ' || h.weekday || ' ' || h.start_min || '-' || h.end_min FROM crm_settings s JOIN crm_working_hours h USING (seller_id) WHERE seller_id = :'v1'", seller.id),
    'Asia/Shanghai 1 570-1020');
  const page = (await sc.get('/crm/settings')).text_;
  assert.match(page, /value="Asia\/Shanghai"/);
  assert.match(page, /name="start_1" value="09:30"/);
});

test('welcome: once per conversation, markup in the template and the name escaped, on the timeline', async () => {
  await hours(sc, true);
  const res = await saveTrigger(sc, ids.welcome, { enabled: '1', template: 'Hi {{buyer_name}} <b>bold</b> & {{ seller_name }}!' });
  assert.equal(res.status, 303, `save welcome: ${res.status} ${(res.text_ || '').slice(0, 300)}`);
  const buyer = user('trw');
  sql("INSERT INTO profiles (user_id, display_name) VALUES (:'v1', '<i>Bee</i>')", buyer.id);
  const bc = new Client(buyer);
  const conv = await contact(bc, seller);
  await crmSweep();
  assert.equal(autos(conv).length, 0, 'no welcome before a message');
  await say(bc, conv, 'Hello, are you available?');
  await crmSweep();
  let a = autos(conv);
  assert.equal(a.length, 1, 'one welcome');
  assert.equal(a[0].sender_id, seller.id);
  assert.equal(a[0].body, `Hi &lt;i&gt;Bee&lt;/i&gt; &lt;b&gt;bold&lt;/b&gt; &amp; Seller ${seller.handle}!`);
  // published live to the buyer's stream as a message of kind "auto"
  const mid = sql("SELECT id FROM messages WHERE conversation_id = :'v1' AND kind = 'auto'", conv);
  const live = redis('XRANGE', `ev:u:${buyer.id}`, '-', '+').split('\n')
    .filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((d) => d.message_id === Number(mid));
  assert.equal(live.length, 1, 'one live event of the welcome');
  assert.equal(live[0].kind, 'auto');
  assert.ok(live[0].body_html.includes('&lt;b&gt;bold&lt;/b&gt;') && !live[0].body_html.includes('<b>'));
  // the buyer sees the markup as text, never as HTML
  const thread = (await bc.get(`/inbox/${conv}`)).text_;
  assert.ok(thread.includes('&lt;b&gt;bold&lt;/b&gt;'), 'escaped markup in the thread');
  assert.ok(!thread.includes('<b>bold</b>') && !thread.includes('<i>Bee</i>'), 'no live markup');
  // a second buyer message: no second welcome, however often the sweep runs
  await say(bc, conv, 'Second message');
  await crmSweep();
  await crmSweep();
  a = autos(conv);
  assert.equal(a.length, 1, 'still one welcome');
  assert.equal(sql("SELECT count(*) FROM crm_trigger_firings WHERE trigger_id = :'v1' AND conversation_id = :'v2'", ids.welcome, conv), '1');
  // the firing is on the lead's timeline
  assert.equal(sql("SELECT count(*) FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'trigger' AND (data->>'trigger_id')::bigint = :'v2' AND (data->>'message_id')::bigint IS NOT NULL", conv, ids.welcome), '1');
  await saveTrigger(sc, ids.welcome, { template: 'Hi {{buyer_name}}' });	// off again
  assert.equal(sql("SELECT enabled FROM crm_triggers WHERE id = :'v1'", ids.welcome), 'f');
});

test('away: outside working hours only, and not again within the cooldown', async () => {
  let res = await saveTrigger(sc, ids.away, { enabled: '1', template: 'Away now, {{buyer_handle}}.', cooldown_value: '1', cooldown_unit: 'hours' });
  assert.equal(res.status, 303, `save away: ${res.status}`);
  // open all day: no away reply
  await hours(sc, true);
  const inside = new Client(user('tri'));
  const c1 = await contact(inside, seller);
  await say(inside, c1, 'Inside hours');
  await crmSweep();
  assert.equal(autos(c1).length, 0, 'no away reply inside working hours');
  // closed every day: an away reply, then none within the hour
  await hours(sc, false, 'Europe/Berlin');
  const outside = new Client(user('trx'));
  const c2 = await contact(outside, seller);
  await say(outside, c2, 'Anyone there?');
  await crmSweep();
  assert.deepEqual(autos(c2).map((m) => m.body), [`Away now, ${outside.u.handle}.`]);
  await say(outside, c2, 'Hello again?');
  await crmSweep();
  assert.equal(autos(c2).length, 1, 'cooldown holds the second reply back');
  assert.equal(sql("SELECT count(*) FROM crm_trigger_firings WHERE trigger_id = :'v1' AND conversation_id = :'v2' AND status = 'skipped' AND reason = 'cooldown'", ids.away, c2), '1');
  // after the cooldown a new message gets a reply again
  advanceClock(3700);
  await say(outside, c2, 'Third try');
  await crmSweep();
  assert.equal(autos(c2).length, 2, 'a reply after the cooldown');
  // the old event held back by the cooldown is not replayed
  await crmSweep();
  assert.equal(autos(c2).length, 2);
  res = await saveTrigger(sc, ids.away, { template: 'Away now, {{buyer_handle}}.' });	// off
  assert.equal(res.status, 303);
  await hours(sc, true);
});

let followConv, followClient;

test('follow-up: after the delay of silence in the chosen stage, not before, once', async () => {
  const newStage = stage(seller, 'new');
  followClient = new Client(user('trf'));
  followConv = await contact(followClient, seller);
  const res = await saveTrigger(sc, ids.follow_up, { enabled: '1', stage_id: String(newStage), delay_value: '2',
    delay_unit: 'hours', template: 'Any questions, {{buyer_name}}?' });
  assert.equal(res.status, 303);
  await say(followClient, followConv, 'I need a logo');
  await crmSweep();
  assert.equal(autos(followConv).length, 0);
  advanceClock(3600);
  await crmSweep();
  assert.equal(autos(followConv).length, 0, 'not before the delay');
  advanceClock(3700);
  await crmSweep();
  assert.deepEqual(autos(followConv).map((m) => m.body), [`Any questions, ${followClient.u.handle}?`]);
  // its own message does not restart the silence: no second follow-up
  advanceClock(7300);
  await crmSweep();
  assert.equal(autos(followConv).length, 1, 'one follow-up per silence');
  await saveTrigger(sc, ids.follow_up, { stage_id: String(newStage), delay_value: '2', template: 'x' });	// off
});

test('stage_enter and the move to Lost on a cancelled order', async () => {
  const qualified = stage(seller, 'qualified'), lost = stage(seller, 'lost');
  let res = await saveTrigger(sc, ids.stage_enter, { enabled: '1', stage_id: String(qualified), template: 'Welcome aboard {{buyer_name}}' });
  assert.equal(res.status, 303);
  sql("SELECT crm_move_lead(:'v1', :'v2', :'v3', 0, 'seller')", seller.id, followConv, qualified);
  await crmSweep();
  assert.deepEqual(autos(followConv).slice(1).map((m) => m.body), [`Welcome aboard ${followClient.u.handle}`]);
  await crmSweep();
  assert.equal(autos(followConv).length, 2, 'once per entry');

  const gig = activeGig(seller, 'USD', { requirements: false });
  const order = sql(`INSERT INTO orders (buyer_id, seller_id, gig_id, state, package_tier, package_name, gig_title, quantity, currency,
      unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps, delivery_days, revisions_allowed)
    VALUES (:'v1', :'v2', :'v3', 'awaiting_payment', 'basic', 'Basic', 'A gig', 1, 'USD', 2500, 2500, 0, 2500, 2000, 5, 1) RETURNING id`,
  followClient.u.id, seller.id, gig.id).split('\n')[0];
  sql("UPDATE orders SET state = 'cancelled', cancelled_at = souk_now() WHERE id = :'v1'", order);
  await crmSweep();
  assert.equal(Number(sql("SELECT stage_id FROM crm_leads WHERE conversation_id = :'v1'", followConv)), lost, 'moved to Lost');
  assert.equal(sql("SELECT data->>'by' FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'stage' ORDER BY id DESC LIMIT 1", followConv),
    `trigger:${ids.order_cancelled}`);
  assert.equal(sql("SELECT count(*) FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'trigger' AND data->>'event_key' = :'v2'", followConv, `order_cancelled:${order}`), '1');
  await crmSweep();
  assert.equal(sql("SELECT count(*) FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'stage'", followConv), '2', 'moved once');
  await saveTrigger(sc, ids.stage_enter, { stage_id: String(qualified), template: 'x' });	// off
});

test('two sellers with welcome and away replies write to each other: no ping-pong', async () => {
  // One conversation per pair (either direction): seller b writes to seller a as a buyer.
  const a = user('tra', ['SELLER']), b = user('trz', ['SELLER']);
  const ac = new Client(a), bc = new Client(b);
  for (const c of [ac, bc]) {
    const t = await triggerIds(c);
    await hours(c, false);
    let res = await saveTrigger(c, t.away, { enabled: '1', template: 'Auto from {{seller_name}}' });
    assert.equal(res.status, 303);
    res = await saveTrigger(c, t.welcome, { enabled: '1', template: 'Welcome from {{seller_name}}' });
    assert.equal(res.status, 303);
  }
  const conv = await contact(bc, a);	// b is the buyer, a the seller
  assert.equal(await contact(ac, b), conv, 'the same conversation either way');
  const firings = () => sql("SELECT coalesce(string_agg(t.kind || ':' || f.status, ' ' ORDER BY f.id), '') FROM crm_trigger_firings f JOIN crm_triggers t ON t.id = f.trigger_id WHERE t.seller_id = :'v1'", a.id);
  await say(bc, conv, 'Hi A');
  for (let i = 0; i < 3; i++) await crmSweep();
  // a's welcome and away reply; b's triggers never answer a's automatic messages
  assert.deepEqual(autos(conv).map((m) => m.sender_id), [a.id, a.id], firings());
  assert.deepEqual(autos(conv).map((m) => m.body).sort(), [`Auto from Seller ${a.handle}`, `Welcome from Seller ${a.handle}`]);
  // a writes back as a person: not an event for b's triggers (b is the buyer here) nor a's own
  await say(ac, conv, 'Hi B, thanks for writing');
  advanceClock(600);
  for (let i = 0; i < 3; i++) await crmSweep();
  assert.equal(autos(conv).length, 2, 'no further automatic messages');
  assert.equal(firings(), 'welcome:fired away:fired');
  assert.equal(sql("SELECT count(*) FROM crm_trigger_firings f JOIN crm_triggers t ON t.id = f.trigger_id WHERE t.seller_id = :'v1'", b.id), '0');
});

test('the lead page\'s timeline shows the firings', async () => {
  const res = await sc.get(`/crm/leads/${followConv}`);
  assert.equal(res.status, 200);
  assert.equal(Number(sql("SELECT count(*) FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'trigger'", followConv)), 3);
  const fired = decode(res.text_).match(/Trigger fired: [A-Za-z -]+/g) || [];
  assert.deepEqual(fired.map((s) => s.trim()).sort(),
    ['Trigger fired: Follow-up', 'Trigger fired: Message on entering a stage', 'Trigger fired: Move when an order is cancelled']);
});

// ==== sellers' own triggers: add and delete (any number per kind) ====

/** POST /crm/triggers/new with @fields over a 1-day follow-up, switched on. */
function addTrigger(client, fields) {
  return client.post('/crm/triggers/new', { kind: 'follow_up', event: 'order_cancelled', enabled: '1', stage_id: '',
    target_stage_id: '', delay_value: '1', delay_unit: 'days', template: '', cooldown_value: '0', cooldown_unit: 'hours',
    ...fields });
}

/** The id of the trigger an add created (303 to /crm/triggers?saved=ID). */
function addedId(res) {
  assert.equal(res.status, 303, `add: ${res.status} ${(res.text_ || '').replace(/\s+/g, ' ').slice(0, 300)}`);
  const m = locationOf(res).match(/^\/crm\/triggers\?saved=(\d+)#trigger-\1$/);
  assert.ok(m, `→ /crm/triggers?saved=<id> (${locationOf(res)})`);
  return Number(m[1]);
}

/** The "Add a trigger" section of a page. */
const addSection = (html) => html.slice(html.indexOf('id="add-trigger"'));

const autoBodies = (conv) => autos(conv).map((m) => m.body);
const DAY = 86400;

let ms, mc, mconv, mbuyer, defaultFollowUp, added = {};

test('a seller adds two follow-ups and two stage-entry messages: each fires once, after its own delay', async () => {
  ms = user('trm', ['SELLER']);
  mc = new Client(ms);
  const defaults = await triggerIds(mc);
  assert.ok(defaults.follow_up, 'the defaults first');
  defaultFollowUp = defaults.follow_up;
  const prop = stage(ms, 'proposal'), nego = stage(ms, 'negotiation');
  added.prop = addedId(await addTrigger(mc, { stage_id: String(prop), delay_value: '2', delay_unit: 'days',
    template: 'Proposal follow-up, {{buyer_name}}' }));
  added.nego = addedId(await addTrigger(mc, { stage_id: String(nego), delay_value: '7', delay_unit: 'days',
    template: 'Negotiation follow-up, {{buyer_name}}' }));
  added.enterProp = addedId(await addTrigger(mc, { kind: 'stage_enter', stage_id: String(prop), template: 'Entered Proposal' }));
  added.enterNego = addedId(await addTrigger(mc, { kind: 'stage_enter', stage_id: String(nego), template: 'Entered Negotiation' }));
  assert.equal(sql("SELECT string_agg(kind || ':' || stage_id || ':' || coalesce(delay_seconds, 0) || ':' || enabled, ',' ORDER BY id) FROM crm_triggers WHERE id IN (:'v1', :'v2', :'v3', :'v4')",
    added.prop, added.nego, added.enterProp, added.enterNego),
  `follow_up:${prop}:${2 * DAY}:true,follow_up:${nego}:${7 * DAY}:true,stage_enter:${prop}:0:true,stage_enter:${nego}:0:true`);
  // the page lists the default follow-up and the two added ones, each titled with its stage
  const page = (await mc.get('/crm/triggers')).text_;
  assert.equal([...page.matchAll(/data-kind="follow_up"/g)].length, 3);
  assert.match(page.slice(page.indexOf(`id="trigger-${added.nego}"`)), /data-stage-name>· Negotiation</);
  assert.match(page, /data-count="10"/);

  mbuyer = new Client(user('trn'));
  mconv = await contact(mbuyer, ms);
  await say(mbuyer, mconv, 'Can you send me a quote?');
  sql("SELECT crm_move_lead(:'v1', :'v2', :'v3', 0, 'seller')", ms.id, mconv, prop);
  await crmSweep();
  assert.deepEqual(autoBodies(mconv), ['Entered Proposal'], 'the Proposal entry message only');
  advanceClock(DAY);
  await crmSweep();
  assert.deepEqual(autoBodies(mconv), ['Entered Proposal'], 'no follow-up after 1 day');
  advanceClock(DAY + 100);
  await crmSweep();
  await crmSweep();
  assert.deepEqual(autoBodies(mconv), ['Entered Proposal', `Proposal follow-up, ${mbuyer.u.handle}`], 'the 2-day follow-up, once');
  // into Negotiation: its 7 days count from the entry, not from the last message
  sql("SELECT crm_move_lead(:'v1', :'v2', :'v3', 0, 'seller')", ms.id, mconv, nego);
  await crmSweep();
  assert.equal(autoBodies(mconv).at(-1), 'Entered Negotiation');
  advanceClock(6 * DAY);
  await crmSweep();
  assert.equal(autos(mconv).length, 3, 'no Negotiation follow-up after 6 days in the stage');
  advanceClock(DAY + 100);
  await crmSweep();
  await crmSweep();
  assert.deepEqual(autoBodies(mconv), ['Entered Proposal', `Proposal follow-up, ${mbuyer.u.handle}`, 'Entered Negotiation',
    `Negotiation follow-up, ${mbuyer.u.handle}`]);
  // one firing each, each on the lead's timeline
  for (const id of Object.values(added)) {
    assert.equal(sql("SELECT count(*) FROM crm_trigger_firings WHERE trigger_id = :'v1' AND conversation_id = :'v2' AND status = 'fired'", id, mconv), '1', `trigger ${id}`);
    assert.equal(sql("SELECT count(*) FROM crm_lead_events WHERE conversation_id = :'v1' AND kind = 'trigger' AND (data->>'trigger_id')::bigint = :'v2'", mconv, id), '1');
  }
});

test('a deleted trigger stops firing; its past firing stays on the lead\'s timeline', async () => {
  const prop = stage(ms, 'proposal');
  let res = await mc.post(`/crm/triggers/${added.prop}/delete`);
  assert.equal(res.status, 303, `delete: ${res.status}`);
  assert.equal(locationOf(res), '/crm/triggers?deleted=1');
  const page = (await mc.get(locationOf(res))).text_;
  assert.match(page, /data-deleted/);
  assert.ok(!page.includes(`id="trigger-${added.prop}"`), 'no longer listed');
  assert.ok(page.includes(`id="trigger-${added.nego}"`));
  assert.equal(sql("SELECT enabled::text || ' ' || (deleted_at IS NOT NULL)::text FROM crm_triggers WHERE id = :'v1'", added.prop), 'false true');
  // neither editable nor deletable again
  res = await saveTrigger(mc, added.prop, { enabled: '1', stage_id: String(prop), delay_value: '2', template: 'Back' });
  assert.equal(res.status, 404);
  assert.equal((await mc.post(`/crm/triggers/${added.prop}/delete`)).status, 404);
  assert.equal(sql("SELECT enabled FROM crm_triggers WHERE id = :'v1'", added.prop), 'f');

  // a new silence in Proposal: a control trigger (the default follow-up, switched on now) fires,
  // the deleted one does not
  const ctl = defaultFollowUp;
  res = await saveTrigger(mc, ctl, { enabled: '1', stage_id: String(prop), delay_value: '2', delay_unit: 'days', template: 'Control' });
  assert.equal(res.status, 303);
  await say(mbuyer, mconv, 'Back to the proposal, please');
  sql("SELECT crm_move_lead(:'v1', :'v2', :'v3', 0, 'seller')", ms.id, mconv, prop);
  advanceClock(2 * DAY + 100);
  await crmSweep();
  await crmSweep();
  const bodies = autoBodies(mconv);
  assert.equal(bodies.filter((b) => b === 'Control').length, 1, 'the control fired');
  assert.equal(bodies.filter((b) => b.startsWith('Proposal follow-up')).length, 1, 'the deleted trigger did not fire again');
  assert.equal(sql("SELECT count(*) FROM crm_trigger_firings WHERE trigger_id = :'v1'", added.prop), '1');
  // its past firing: the firing row and the timeline event, shown on the lead page
  assert.equal(sql("SELECT count(*) FROM crm_lead_events e JOIN crm_trigger_firings f ON f.lead_event_id = e.id WHERE f.trigger_id = :'v1' AND e.conversation_id = :'v2'", added.prop, mconv), '1');
  const lead = decode((await mc.get(`/crm/leads/${mconv}`)).text_);
  const fired = (lead.match(/Trigger fired: [A-Za-z -]+/g) || []).map((s) => s.trim());
  assert.equal(fired.filter((s) => s === 'Trigger fired: Follow-up').length, 3, `${fired}`);
  await saveTrigger(mc, ctl, { stage_id: String(prop), delay_value: '2', template: 'Control' });	// off
});

test('adding: a zero or negative delay and other bad input → 422 with the values kept; another seller\'s stage → 403', async () => {
  const nego = stage(ms, 'negotiation');
  const count = () => sql("SELECT count(*) FROM crm_triggers WHERE seller_id = :'v1' AND deleted_at IS NULL", ms.id);
  const before = count();
  for (const [bad, unit] of [['0', 'days'], ['-3', 'hours']]) {
    const res = await addTrigger(mc, { stage_id: String(nego), delay_value: bad, delay_unit: unit, template: 'Kept <b>{{buyer_name}}</b>',
      cooldown_value: '5', cooldown_unit: 'minutes' });
    assert.equal(res.status, 422, `delay ${bad}: ${res.status}`);
    assert.match(res.text_, /data-errors/);
    const form = addSection(res.text_);
    assert.match(form, /data-error="delay"/);
    assert.match(form, new RegExp(`name="delay_value" type="number" min="1" step="1" value="${bad}"`));
    assert.match(form, new RegExp(`<option value="${unit}" selected>`));
    assert.match(form, /<option value="follow_up" selected>/);
    assert.match(form, new RegExp(`<option value="${nego}" selected>Negotiation</option>`));
    assert.match(form, /Kept &lt;b&gt;\{\{buyer_name\}\}&lt;\/b&gt;<\/textarea>/);
    assert.match(form, /name="cooldown_value" type="number" min="0" step="1" value="5"/);
    assert.match(form, /id="add-enabled" name="enabled" type="checkbox" value="1" checked/);
  }
  let res = await addTrigger(mc, { kind: 'stage_exit', stage_id: String(nego), template: 'x' });
  assert.equal(res.status, 422);
  assert.match(addSection(res.text_), /data-error="kind"/);
  res = await addTrigger(mc, { kind: 'move_on_event', event: 'proposal_silence', stage_id: String(nego), delay_value: '3' });
  assert.equal(res.status, 422, 'a move without a target stage');
  assert.match(addSection(res.text_), /data-error="target"/);
  assert.match(addSection(res.text_), /<option value="proposal_silence" selected>/);
  res = await addTrigger(mc, { kind: 'welcome', template: 'Hi {{password}}' });
  assert.equal(res.status, 422);
  assert.match(addSection(res.text_), /data-error="template"/);
  res = await addTrigger(mc, { kind: 'follow_up', delay_value: '2' });
  assert.equal(res.status, 422, 'a follow-up without a stage');
  assert.match(addSection(res.text_), /data-error="stage"/);
  const other = user('trp', ['SELLER']);
  await triggerIds(new Client(other));
  res = await addTrigger(mc, { stage_id: String(stage(other, 'proposal')), delay_value: '2', template: 'x' });
  assert.equal(res.status, 403, 'another seller\'s stage');
  res = await addTrigger(mc, { kind: 'move_on_event', event: 'order_cancelled', target_stage_id: String(stage(other, 'lost')) });
  assert.equal(res.status, 403, 'another seller\'s target stage');
  assert.equal(count(), before, 'nothing added');
  // a move to a chosen stage is added: only the fields of its kind are stored
  const id = addedId(await addTrigger(mc, { kind: 'move_on_event', event: 'proposal_silence', stage_id: String(nego),
    delay_value: '10', delay_unit: 'days', target_stage_id: String(stage(ms, 'lost')), template: 'ignored' }));
  assert.equal(sql("SELECT kind || ' ' || event || ' ' || stage_id || ' ' || delay_seconds || ' ' || target_stage_id || ' [' || template || ']' FROM crm_triggers WHERE id = :'v1'", id),
    `move_on_event proposal_silence ${nego} ${10 * DAY} ${stage(ms, 'lost')} []`);
  res = await mc.post(`/crm/triggers/${id}/delete`);
  assert.equal(res.status, 303);
});

test('another seller\'s trigger cannot be deleted (404)', async () => {
  const oc = new Client(user('trq', ['SELLER']));
  const own = await triggerIds(oc);
  let res = await oc.post(`/crm/triggers/${added.nego}/delete`);
  assert.equal(res.status, 404);
  assert.equal(sql("SELECT enabled::text || ' ' || (deleted_at IS NULL)::text FROM crm_triggers WHERE id = :'v1'", added.nego), 'true true');
  assert.equal((await oc.post('/crm/triggers/999999999/delete')).status, 404);
  // and without the form's csrf the delete is refused before the handler
  res = await mc.post(`/crm/triggers/${added.nego}/delete`, { csrf: 'forged' });
  assert.ok(res.status === 403 || res.status === 400, `bad csrf: ${res.status}`);
  assert.equal(sql("SELECT deleted_at IS NULL FROM crm_triggers WHERE id = :'v1'", added.nego), 't');
  // a buyer cannot reach the route at all
  assert.equal((await new Client(user('trr')).post(`/crm/triggers/${own.welcome}/delete`)).status, 403);
  assert.equal(sql("SELECT deleted_at IS NULL FROM crm_triggers WHERE id = :'v1'", own.welcome), 't');
});

test('at most 50 triggers per seller: one more → 422 with the values kept, also under concurrent adds', async () => {
  const cs = user('trc', ['SELLER']);
  const cc = new Client(cs);
  await triggerIds(cc);	// the six defaults
  const live = () => Number(sql("SELECT count(*) FROM crm_triggers WHERE seller_id = :'v1' AND deleted_at IS NULL", cs.id));
  assert.equal(live(), 6);
  sql("INSERT INTO crm_triggers (seller_id, kind, template) SELECT :'v1', 'welcome', 'Filler ' || g FROM generate_series(1, 41) g", cs.id);
  const qual = stage(cs, 'qualified');
  // 47 live: five concurrent adds, three get in
  const all = await Promise.all([1, 2, 3, 4, 5].map((i) => addTrigger(cc, { kind: 'stage_enter', stage_id: String(qual), template: `Race ${i}` })));
  assert.deepEqual(all.map((r) => r.status).sort(), [303, 303, 303, 422, 422]);
  assert.equal(live(), 50);
  const res = await addTrigger(cc, { kind: 'stage_enter', stage_id: String(qual), template: 'One too many {{buyer_name}}' });
  assert.equal(res.status, 422);
  const form = addSection(res.text_);
  assert.match(form, /data-error="cap"/);
  assert.match(form, /One too many \{\{buyer_name\}\}<\/textarea>/);
  assert.match(form, /<option value="stage_enter" selected>/);
  assert.match(form, /data-count="50"/);
  assert.equal(live(), 50);
  assert.match(addSection((await cc.get('/crm/triggers')).text_), /data-full/);
  // a deleted trigger frees its place
  const filler = sql("SELECT id FROM crm_triggers WHERE seller_id = :'v1' AND template = 'Filler 1'", cs.id);
  assert.equal((await cc.post(`/crm/triggers/${filler}/delete`)).status, 303);
  addedId(await addTrigger(cc, { kind: 'stage_enter', stage_id: String(qual), template: 'Fits again' }));
  assert.equal(live(), 50);
  // deleting them all does not bring the defaults back
  sql("UPDATE crm_triggers SET deleted_at = souk_now(), enabled = false WHERE seller_id = :'v1'", cs.id);
  const page = (await cc.get('/crm/triggers')).text_;
  assert.ok(!/data-trigger="\d+"/.test(page), 'no trigger listed');
  assert.equal(live(), 0);
});

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';

test('in chromium with JavaScript off a trigger is switched on and its delay refused with the form kept',
  { skip: !existsSync(executablePath) && `no ${executablePath}` }, async () => {
    const browser = await chromium.launch({ executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] });
    try {
      const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US', javaScriptEnabled: false });
      await ctx.addCookies([{ name: 'souk_sess', value: seller.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
      const pg = await ctx.newPage();
      await pg.goto(`${BASE}/crm/triggers`);
      const form = pg.locator(`#trigger-${ids.follow_up} form.crm-trigger__form`);
      await form.getByLabel('On', { exact: true }).check();
      await form.locator('input[name="delay_value"]').fill('-3');
      await form.getByLabel('Message', { exact: true }).fill('Still there, {{buyer_name}}?');
      await Promise.all([pg.waitForNavigation(), form.getByRole('button', { name: 'Save' }).click()]);
      const again = pg.locator(`#trigger-${ids.follow_up} form.crm-trigger__form`);
      assert.equal(await again.locator('input[name="delay_value"]').inputValue(), '-3');
      assert.equal(await again.getByLabel('Message', { exact: true }).inputValue(), 'Still there, {{buyer_name}}?');
      assert.equal(await again.getByLabel('On', { exact: true }).isChecked(), true);
      assert.match(await pg.locator(`#trigger-${ids.follow_up} [data-error="delay"]`).innerText(), /more than zero/);
      await pg.screenshot({ path: join(outputDir(), 'crm-triggers.png'), fullPage: true });
      await again.locator('input[name="delay_value"]').fill('3');
      await Promise.all([pg.waitForNavigation(), again.getByRole('button', { name: 'Save' }).click()]);
      assert.match(pg.url(), new RegExp(`/crm/triggers\\?saved=${ids.follow_up}`));
      assert.equal(sql("SELECT enabled::text || ' ' || delay_seconds FROM crm_triggers WHERE id = :'v1'", ids.follow_up), 'true 10800');
      await pg.goto(`${BASE}/crm/settings`);
      await pg.screenshot({ path: join(outputDir(), 'crm-settings.png'), fullPage: true });

      // "Add a trigger": only the chosen kind's fields show; a stage-entry message is added, then deleted
      await pg.goto(`${BASE}/crm/triggers`);
      const add = pg.locator('#add-trigger form');
      const kind = add.getByLabel('Kind', { exact: true });
      assert.equal(await add.locator('#add-delay').isVisible(), true, 'a follow-up (the default kind) has a delay');
      assert.equal(await add.locator('#add-target').isVisible(), false, 'but no target stage');
      await kind.selectOption('move_on_event');
      assert.equal(await add.locator('#add-target').isVisible(), true);
      assert.equal(await add.locator('#add-delay').isVisible(), false, 'no delay for "order cancelled"');
      await add.locator('#add-event').selectOption('proposal_silence');
      assert.equal(await add.locator('#add-delay').isVisible(), true, 'a delay for a move after silence');
      await kind.selectOption('stage_enter');
      assert.equal(await add.locator('#add-delay').isVisible(), false, 'no delay for a stage entry');
      assert.equal(await add.locator('#add-event').isVisible(), false);
      await add.locator('#add-stage').selectOption({ label: 'Negotiation' });
      await add.locator('#add-template').fill('Now negotiating, {{buyer_name}}');
      await pg.locator('#add-trigger').screenshot({ path: join(outputDir(), 'crm-triggers-add.png') });
      await Promise.all([pg.waitForNavigation(), add.getByRole('button', { name: 'Add the trigger' }).click()]);
      const m = pg.url().match(/\?saved=(\d+)/);
      assert.ok(m, pg.url());
      assert.equal(sql("SELECT kind || ' ' || stage_id || ' ' || enabled || ' ' || template FROM crm_triggers WHERE id = :'v1'", m[1]),
        `stage_enter ${stage(seller, 'negotiation')} true Now negotiating, {{buyer_name}}`);
      assert.match(await pg.locator(`#trigger-${m[1]}`).innerText(), /Negotiation/);
      await Promise.all([pg.waitForNavigation(),
        pg.locator(`#trigger-${m[1]}`).getByRole('button', { name: 'Delete this trigger' }).click()]);
      assert.match(pg.url(), /\/crm\/triggers\?deleted=1$/);
      assert.equal(await pg.locator(`#trigger-${m[1]}`).count(), 0);
      assert.equal(sql("SELECT deleted_at IS NOT NULL FROM crm_triggers WHERE id = :'v1'", m[1]), 't');
      await ctx.close();
    } finally {
      await browser.close();
    }
  });
