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

/** The trigger ids of the seller's /crm/triggers page by kind (and event). */
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
      const form = pg.locator(`#trigger-${ids.follow_up} form`);
      await form.getByLabel('On', { exact: true }).check();
      await form.locator('input[name="delay_value"]').fill('-3');
      await form.getByLabel('Message', { exact: true }).fill('Still there, {{buyer_name}}?');
      await Promise.all([pg.waitForNavigation(), form.getByRole('button', { name: 'Save' }).click()]);
      const again = pg.locator(`#trigger-${ids.follow_up} form`);
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
      await ctx.close();
    } finally {
      await browser.close();
    }
  });
