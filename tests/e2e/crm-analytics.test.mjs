// souk-e2e: serial
// The CRM analytics (issue 7, "Analytics") on a fixed dataset written with
// psql, computed by `soukctl crm-sweep` (souk-worker's refresh) and read
// through nginx and souk-web: the page (figures, SVG charts with
// <title>/<desc> and data tables) and the CSV export must show the figures
// computed by hand below.  Serial: the dataset is placed relative to the
// test clock (souk_now()), which the trigger test moves.
//
// The seller works Monday to Friday, 09:00-17:00 in Asia/Shanghai.  Day dN
// is N days after M, the local Monday two weeks before this week's Monday
// (so every first buyer message is 14 to 21 days old: inside 30 and 90
// days, outside 7).  Times are local.
//
//   conv  buyer writes   seller answers   working seconds              within 24 working h
//   C1    d0 Mon 10:00   d0 10:30         1 800                        yes
//   C2    d0 Mon 16:00   d1 Tue 10:00     Mon 16-17 + Tue 9-10 = 7 200 yes
//   C3    d4 Fri 16:30   d7 Mon 09:30     Fri 16:30-17 + Mon 9-9:30 = 3 600  yes
//   C4    d1 Tue 08:00   d1 12:00         09:00-12:00 = 10 800         yes
//   C5    d2 Wed 10:00   only an automatic message → no answer; > 24 working h passed → no
//   C6    d2 Wed 09:00   d8 Tue 09:00     Wed+Thu+Fri+Mon 8 h each = 115 200 (weekend closed)  no
//   C7    d0 Mon 11:00   d0 11:01         60, but marked spam → left out of everything
//
//   response times, sorted: 1 800, 3 600, 7 200, 10 800, 115 200 (n = 5)
//   median (percentile_cont 0.5)  = 7 200 s = "2 h 0 min"
//   p90 (position 0.9 × 4 = 3.6)  = 10 800 + 0.6 × (115 200 − 10 800) = 73 440 s = "20 h 24 min"
//   answered within 24 working h  = 4 of 6 decided (C1–C4 yes, C5 and C6 no) = 66.7 % (0.6667)
//   conversations 6, spam 1
//   orders: C1 in progress 100.00 USD (d0, gig 1), C2 completed 50.00 USD (d1, gig 1),
//           C3 cancelled 70.00 USD (gig 2), C4 awaiting payment 80.00 USD (gig 2)
//   conversion = C1, C2 → 2 of 6 = 33.3 % (0.3333)
//   won revenue, week of M: 100.00 + 50.00 = 150.00 USD (15 000 minor) in 2 orders
//   pipeline: New lead C3, C5 (2 leads, no value: C3's only order is cancelled);
//             Qualified C6 typed 300.00 USD; Proposal sent C4 typed 200.00 USD;
//             Negotiation 0; Won C1, C2 (moved by their paid orders), their order values
//             100.00 + 50.00 = 150.00 USD; Lost 0 (C7 is spam: not counted)
//   leads by source gig (set by the orders): gig 1: 2 leads, 2 orders; gig 2: 2 leads,
//             0 orders; no gig (C5, C6): 2 leads
//   last 7 days: no conversation, no order.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, decode, outputDir } from './helpers.mjs';
import { DB, SOUKCTL, WORKER_CONF, sql, user, activeGig, Client } from './money-helpers.mjs';

const execFileP = promisify(execFile);

async function crmSweep() {
  assert.ok(SOUKCTL, 'the soukctl binary');
  const { stdout } = await execFileP(SOUKCTL, ['-c', WORKER_CONF, 'crm-sweep'],
    { encoding: 'utf8', env: { ...process.env, SOUK_DATABASE_URL: DB }, timeout: 120000 });
  assert.match(stdout, /analytics_sellers=\d+/);
}

const DATASET = `
CREATE FUNCTION pg_temp.at(d int, t text) RETURNS timestamptz LANGUAGE sql AS $$
  SELECT ((date_trunc('week', souk_now() AT TIME ZONE 'Asia/Shanghai')::date - 14 + d) + t::time)
         AT TIME ZONE 'Asia/Shanghai' $$;
CREATE FUNCTION pg_temp.conv(s bigint, b bigint, d int, t text) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO conversations (buyer_id, seller_id, created_at) VALUES (b, s, pg_temp.at(d, t)) RETURNING id $$;
CREATE FUNCTION pg_temp.msg(c bigint, sender bigint, d int, t text, k text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO messages (conversation_id, sender_id, body, created_at, kind)
  VALUES (c, sender, 'hello ' || k, pg_temp.at(d, t), k) $$;
CREATE FUNCTION pg_temp.ord(s bigint, b bigint, g bigint, st text, d int, t text, amount bigint) RETURNS void LANGUAGE sql AS $$
  INSERT INTO orders (buyer_id, seller_id, gig_id, state, package_tier, package_name, gig_title, quantity, currency,
    unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps, delivery_days, revisions_allowed,
    created_at, cancelled_at)
  SELECT b, s, g, st, 'basic', 'Basic', title, 1, 'USD', amount, amount, 0, amount, 2000, 5, 1,
    pg_temp.at(d, t), CASE WHEN st = 'cancelled' THEN pg_temp.at(d + 1, t) END FROM gigs WHERE id = g $$;
CREATE FUNCTION pg_temp.reply(s bigint, b bigint, d int, t text, k text) RETURNS void LANGUAGE sql AS $$
  SELECT pg_temp.msg(c.id, s, d, t, k) FROM conversations c WHERE c.buyer_id = b AND c.seller_id = s $$;
INSERT INTO crm_settings (seller_id, time_zone) VALUES (:'v1', 'Asia/Shanghai');
INSERT INTO crm_working_hours (seller_id, weekday, start_min, end_min)
  SELECT :'v1', d, 540, 1020 FROM generate_series(1, 5) d;
SELECT pg_temp.msg(pg_temp.conv(:'v1', :'v2', 0, '09:59'), :'v2', 0, '10:00', 'user');
SELECT pg_temp.reply(:'v1', :'v2', 0, '10:30', 'user');
SELECT pg_temp.msg(pg_temp.conv(:'v1', :'v3', 0, '15:59'), :'v3', 0, '16:00', 'user');
SELECT pg_temp.reply(:'v1', :'v3', 1, '10:00', 'user');
SELECT pg_temp.msg(pg_temp.conv(:'v1', :'v4', 4, '16:29'), :'v4', 4, '16:30', 'user');
SELECT pg_temp.reply(:'v1', :'v4', 7, '09:30', 'user');
SELECT pg_temp.msg(pg_temp.conv(:'v1', :'v5', 1, '07:59'), :'v5', 1, '08:00', 'user');
SELECT pg_temp.reply(:'v1', :'v5', 1, '12:00', 'user');
SELECT pg_temp.msg(pg_temp.conv(:'v1', :'v6', 2, '09:59'), :'v6', 2, '10:00', 'user');
SELECT pg_temp.reply(:'v1', :'v6', 2, '10:01', 'auto');
SELECT pg_temp.msg(pg_temp.conv(:'v1', :'v7', 2, '08:59'), :'v7', 2, '09:00', 'user');
SELECT pg_temp.reply(:'v1', :'v7', 8, '09:00', 'user');
SELECT pg_temp.msg(pg_temp.conv(:'v1', :'v8', 0, '10:59'), :'v8', 0, '11:00', 'user');
SELECT pg_temp.reply(:'v1', :'v8', 0, '11:01', 'user');
SELECT pg_temp.ord(:'v1', :'v2', :'v9', 'in_progress', 0, '12:00', 10000);
SELECT pg_temp.ord(:'v1', :'v3', :'v9', 'completed', 1, '12:00', 5000);
SELECT pg_temp.ord(:'v1', :'v4', :'v10', 'cancelled', 4, '17:00', 7000);
SELECT pg_temp.ord(:'v1', :'v5', :'v10', 'awaiting_payment', 1, '13:00', 8000);
UPDATE crm_leads l SET spam = true FROM conversations c
 WHERE c.id = l.conversation_id AND c.buyer_id = :'v8' AND c.seller_id = :'v1';
UPDATE crm_leads l SET value_minor = 20000, currency = 'USD' FROM conversations c
 WHERE c.id = l.conversation_id AND c.buyer_id = :'v5' AND c.seller_id = :'v1';
UPDATE crm_leads l SET value_minor = 30000, currency = 'USD' FROM conversations c
 WHERE c.id = l.conversation_id AND c.buyer_id = :'v7' AND c.seller_id = :'v1';
SELECT crm_move_lead(:'v1', c.id, s.id, 0, 'seller') FROM conversations c, crm_stages s
 WHERE c.buyer_id = :'v5' AND c.seller_id = :'v1' AND s.seller_id = :'v1' AND s.slug = 'proposal';
SELECT crm_move_lead(:'v1', c.id, s.id, 0, 'seller') FROM conversations c, crm_stages s
 WHERE c.buyer_id = :'v7' AND c.seller_id = :'v1' AND s.seller_id = :'v1' AND s.slug = 'qualified';
`;

let seller, sc, g1, g2, monday;

before(async () => {
  seller = user('ans', ['SELLER']);
  sc = new Client(seller);
  const buyers = [];
  for (let i = 1; i <= 7; i++) buyers.push(user(`anb${i}`));
  g1 = activeGig(seller, 'USD', { requirements: false });
  g2 = activeGig(seller, 'USD', { requirements: false });
  sql(DATASET, seller.id, ...buyers.map((b) => b.id), g1.id, g2.id);
  monday = sql("SELECT to_char(date_trunc('week', souk_now() AT TIME ZONE 'Asia/Shanghai')::date - 14, 'YYYY-MM-DD')");
  await crmSweep();
});

function stageId(slug) {
  return sql("SELECT id FROM crm_stages WHERE seller_id = :'v1' AND slug = :'v2'", seller.id, slug);
}

test('the page shows the hand-computed figures for 30 days', async () => {
  const res = await sc.get('/crm/analytics?days=30');
  assert.equal(res.status, 200, res.text_.slice(0, 300));
  const h = res.text_;
  assert.match(h, /data-metric="conversations" data-value="6"/);
  assert.match(h, /data-metric="response_median" data-value="7200"><dt>[^<]+<\/dt><dd>2 h 0 min<\/dd>/);
  assert.match(h, /data-metric="response_p90" data-value="73440"><dt>[^<]+<\/dt><dd>20 h 24 min<\/dd>/);
  assert.match(h, /data-metric="response_rate" data-responded="4" data-decided="6"><dt>[^<]+<\/dt><dd>66\.7 %/);
  assert.match(h, /data-metric="conversion" data-conversions="2" data-conversations="6"><dt>[^<]+<\/dt><dd>33\.3 %/);
  assert.match(h, /data-metric="spam" data-value="1"/);
  // pipeline per stage (the data table)
  const row = (slug) => (h.match(new RegExp(`<tr data-stage="${stageId(slug)}"[^>]*>`)) || [''])[0];
  assert.equal(row('new'), `<tr data-stage="${stageId('new')}" data-leads="2">`);
  assert.equal(row('qualified'), `<tr data-stage="${stageId('qualified')}" data-leads="1" data-value-USD="30000">`);
  assert.equal(row('proposal'), `<tr data-stage="${stageId('proposal')}" data-leads="1" data-value-USD="20000">`);
  assert.equal(row('negotiation'), `<tr data-stage="${stageId('negotiation')}" data-leads="0">`);
  assert.equal(row('won'), `<tr data-stage="${stageId('won')}" data-leads="2" data-value-USD="15000">`);
  assert.equal(row('lost'), `<tr data-stage="${stageId('lost')}" data-leads="0">`);
  assert.match(h, /<th scope="row">Won<\/th><td class="num">2<\/td><td class="num">150\.00 USD<\/td>/);
  // won revenue per week
  assert.match(h, new RegExp(`<tr data-week="${monday}" data-currency="USD" data-minor="15000" data-orders="2">`));
  assert.equal((h.match(/<tr data-week=/g) || []).length, 1);
  // leads by source gig; the gig title is escaped text
  assert.match(h, new RegExp(`<tr data-gig="${g1.id}" data-leads="2" data-conversions="2">`));
  assert.match(h, new RegExp(`<tr data-gig="${g2.id}" data-leads="2" data-conversions="0">`));
  assert.match(h, /<tr data-gig="" data-leads="2" data-conversions="0"><th scope="row">No gig<\/th>/);
});

test('the charts are SVG with a title, a description and escaped text, readable without JavaScript', async () => {
  sql("UPDATE gigs SET title = :'v2' WHERE id = :'v1'", g2.id, 'Logos <script>alert(1)</script> & more');
  await crmSweep();
  const h = (await sc.get('/crm/analytics?days=30')).text_;
  const svgs = h.match(/<svg class="crm-chart"[\s\S]*?<\/svg>/g) || [];
  assert.equal(svgs.length, 4, 'pipeline, won revenue, source gigs, days');
  for (const svg of svgs) {
    assert.match(svg, /role="img"/);
    assert.match(svg, /aria-labelledby="([a-z-]+)-title \1-desc"/);
    assert.match(svg, /<title id="[a-z-]+-title">[^<]+<\/title><desc id="[a-z-]+-desc">[^<]+<\/desc>/);
  }
  const pipe = svgs.find((s) => s.includes('chart-pipeline'));
  assert.equal((pipe.match(/<rect /g) || []).length, 6, 'one bar per stage');
  assert.match(pipe, />2 leads · 150\.00 USD</);
  const gigs = svgs.find((s) => s.includes('chart-gigs'));
  assert.ok(gigs.includes('Logos &lt;script&gt;alert(1)&lt;/script&gt; &amp; more'), 'escaped in the chart');
  assert.ok(!h.includes('<script>alert(1)'), 'never live markup');
  assert.ok(h.includes('<th scope="row">Logos &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</th>'));
  assert.ok(!/<script[^>]*src=[^>]*analytics/.test(h), 'no script needed');
});

test('the CSV export carries the same figures', async () => {
  const res = await sc.get('/crm/analytics.csv?days=30');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  const lines = res.text_.trim().split('\r\n');
  assert.equal(lines[0], 'section,key,label,currency,value');
  for (const l of ['summary,conversations,,,6', 'summary,spam,,,1', 'summary,responded,,,5',
    'summary,responded_24h,,,4', 'summary,decided_24h,,,6', 'summary,conversions,,,2',
    'summary,response_median_seconds,,,7200', 'summary,response_p90_seconds,,,73440',
    'summary,response_rate_24h,,,0.6667', 'summary,conversion_rate,,,0.3333',
    `pipeline_leads,${stageId('won')},Won,,2`, `pipeline_value,${stageId('won')},Won,USD,15000`,
    `pipeline_value,${stageId('qualified')},Qualified,USD,30000`,
    `pipeline_value,${stageId('proposal')},Proposal sent,USD,20000`,
    `won_week,${monday},,USD,15000`, `won_week_orders,${monday},,USD,2`,
    `gig_leads,${g1.id},${g1.title},,2`, `gig_conversions,${g1.id},${g1.title},,2`, 'gig_leads,,,,2'])
    assert.ok(lines.includes(l), `CSV line ${l}\n${res.text_}`);
  assert.equal(lines.filter((l) => l.startsWith('pipeline_value,')).length, 3);
});

test('the last 7 days hold none of it; a bad period is refused; others see only their own', async () => {
  const h = (await sc.get('/crm/analytics?days=7')).text_;
  assert.match(h, /data-metric="conversations" data-value="0"/);
  assert.match(h, /data-metric="response_median" data-value=""><dt>[^<]+<\/dt><dd>—<\/dd>/);
  assert.match(h, /data-empty="won"/);
  const csv = (await sc.get('/crm/analytics.csv?days=7')).text_;
  assert.ok(csv.includes('summary,conversations,,,0'));
  assert.ok(!csv.includes('won_week,'));
  assert.equal((await sc.get('/crm/analytics?days=12')).status, 400);
  // another seller: their own (empty) figures, never this seller's
  const other = new Client(user('ano', ['SELLER']));
  const o = await other.get('/crm/analytics?days=30');
  assert.equal(o.status, 200);
  assert.ok(!o.text_.includes('data-value="6"'));
  assert.equal((await new Client(user('anx')).get('/crm/analytics')).status, 403);
  assert.equal(decode(h).includes('Asia/Shanghai'), true, 'the time zone is named');
});

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';

test('in chromium with JavaScript off the charts are drawn and the figures readable',
  { skip: !existsSync(executablePath) && `no ${executablePath}` }, async () => {
    const browser = await chromium.launch({ executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] });
    try {
      const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US', javaScriptEnabled: false });
      await ctx.addCookies([{ name: 'souk_sess', value: seller.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
      const pg = await ctx.newPage();
      await pg.goto(`${BASE}/crm/analytics?days=30`);
      const box = await pg.locator('svg#chart-pipeline, svg[aria-labelledby^="chart-pipeline"]').boundingBox();
      assert.ok(box && box.width > 300 && box.height > 100, `pipeline chart drawn: ${JSON.stringify(box)}`);
      // the Won bar is the widest (2 leads, as New lead), Negotiation has none
      const widths = await pg.$$eval('svg[aria-labelledby^="chart-pipeline"] rect', (rs) => rs.map((r) => r.getBoundingClientRect().width));
      assert.equal(widths.length, 6);
      assert.equal(widths[3], 0);
      assert.ok(widths[0] > 100 && Math.abs(widths[0] - widths[4]) < 1 && widths[1] < widths[0]);
      assert.equal(await pg.getByRole('img', { name: 'Pipeline by stage' }).count(), 1);
      assert.match(await pg.locator('[data-metric="response_median"] dd').innerText(), /^2 h 0 min$/);
      await pg.screenshot({ path: join(outputDir(), 'crm-analytics.png'), fullPage: true });
      await ctx.close();
    } finally {
      await browser.close();
    }
  });
