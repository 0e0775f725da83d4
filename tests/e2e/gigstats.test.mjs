// Gig statistics and My gigs (/seller/gigs, src/gigstats/): listing pages
// count impressions and gig pages count clicks in Redis; souk-worker's
// stats.rollup job moves them into gig_stats_daily without losing or
// doubling any; My gigs shows them (7/30 days, today live) with status
// tabs; pause, activate, archive and duplicate; another seller's gig → 404.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  get, cacheBuster, until, psql, redis, soukctlUser, redisSession, as, postAs, ROOT, runTag,
} from './helpers.mjs';

const WORKER = process.env.SOUK_TEST_WORKER_BIN ||
  [resolve(ROOT, 'var/build-test/souk-worker'), resolve(ROOT, 'var/build/souk-worker')].find((f) => existsSync(f));
const WORKER_CONF = process.env.SOUK_TEST_WORKER_CONF || resolve(ROOT, 'var/souk-web.conf');
const RUN = runTag();

let seq = 0;
function makeUser(roles = []) {
  const n = ++seq;
  // sellers have a public profile (onboarding writes it): the gig page needs one
  return soukctlUser(`gst_${n}_${RUN}`, `gst-${n}-${RUN}@example.test`, roles, { profile: `Test seller ${RUN}` });
}

/** An active gig of @seller with a Basic package and a FAQ entry. */
function activeGig(seller, n) {
  const word = `zqst${RUN}y${n}`.replace(/[^a-z0-9]/g, '');
  const title = `Stats landing page ${word}`;
  const slug = `stats-page-${RUN}-${n}`.replace(/_/g, '-');
  const id = Number(psql(`INSERT INTO gigs (seller_id, category_id, title, slug, description, status)
    SELECT ${seller.id}, c.id, '${title}', '${slug}', 'A gig for statistics.', 'draft'
    FROM categories c WHERE c.parent_id IS NOT NULL ORDER BY c.id LIMIT 1 RETURNING id`).split('\n')[0]);
  psql(`INSERT INTO gig_packages (gig_id, tier, name, price_minor, currency, delivery_days) VALUES (${id}, 'basic', 'Basic page', 4000, 'USD', 5)`);
  psql(`INSERT INTO gig_faq (gig_id, question, answer) VALUES (${id}, 'Is it responsive?', 'Yes.')`);
  psql(`UPDATE gigs SET status = 'active', approved_at = now() WHERE id = ${id}`);
  return { id, slug, title, word };
}

function today() {
  const d = new Date();
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Impressions and clicks of gig @id today: rolled up plus still in Redis (live or being rolled up). */
function counts(id) {
  const db = psql(`SELECT coalesce(sum(impressions), 0) || '|' || coalesce(sum(clicks), 0) FROM gig_stats_daily
                   WHERE gig_id = ${id} AND day = (now() AT TIME ZONE 'UTC')::date`).split('|').map(Number);
  const live = (k) => Number(redis('HGET', `stats:${k}:${today()}`, id) || 0);
  return { impr: db[0] + live('impr'), click: db[1] + live('click'), dbImpr: db[0], dbClick: db[1] };
}

/** The numbers of gig @id's row on My gigs: {impressions: [d7, d30], clicks, orders, conversion}. */
function row(html, id) {
  const m = html.match(new RegExp(`<tr class="mygig" data-gig="${id}"[\\s\\S]*?</tr>`));
  if (!m) return null;
  const out = {};
  for (const s of m[0].matchAll(/data-stat="(\w+)"><span data-d7>([^<]*)<\/span> \/ <span data-d30>([^<]*)<\/span>/g))
    out[s[1]] = [s[2], s[3]];
  return out;
}

let seller, other, buyer, S, O, B, g;

before(() => {
  seller = makeUser(['SELLER']);
  other = makeUser(['SELLER']);
  buyer = makeUser([]);
  S = redisSession(seller);
  O = redisSession(other);
  B = redisSession(buyer);
  g = activeGig(seller, 1);
});

test('listings count impressions, gig pages count clicks, the rollup moves them exactly once', async () => {
  const c0 = counts(g.id);
  for (let i = 0; i < 3; i++) {
    const res = await get(`/search?q=${g.word}&${cacheBuster()}`);
    assert.equal(res.status, 200);
    assert.ok(res.text_.includes(g.title), 'the gig is on the search page');
  }
  for (let i = 0; i < 2; i++) assert.equal((await get(`/${seller.handle}/${g.slug}?${cacheBuster()}`)).status, 200);
  const c1 = counts(g.id);
  assert.equal(c1.impr - c0.impr, 3, 'three impressions');
  assert.equal(c1.click - c0.click, 2, 'two clicks');

  let page = await as(S, '/seller/gigs');
  assert.equal(page.status, 200);
  assert.deepEqual(row(page.text_, g.id), { impressions: ['3', '3'], clicks: ['2', '2'], orders: ['0', '0'],
    conversion: ['0.0%', '0.0%'] }, 'My gigs shows today\'s live numbers (conversion = orders / clicks)');

  assert.ok(WORKER, 'the souk-worker binary');
  const r = spawnSync(WORKER, ['-c', WORKER_CONF, 'enqueue', 'stats.rollup', '{}'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const job = Number(r.stdout.trim());
  const done = await until(() => psql(`SELECT status FROM jobs WHERE id = ${job}`) === 'done', 15000, 200);
  assert.ok(done, 'the rollup job ran');
  const c2 = counts(g.id);
  assert.equal(c2.dbImpr, 3, 'impressions rolled up into gig_stats_daily');
  assert.equal(c2.dbClick, 2, 'clicks rolled up');
  assert.equal(redis('HGET', `stats:impr:${today()}`, g.id), '', 'the live counter was moved');
  assert.equal(redis('KEYS', 'stats:proc:*'), '', 'no processing hash left');

  // a second rollup adds nothing; a new impression adds one
  const r2 = spawnSync(WORKER, ['-c', WORKER_CONF, 'enqueue', 'stats.rollup', '{}'], { encoding: 'utf8' });
  const job2 = Number(r2.stdout.trim());
  await until(() => psql(`SELECT status FROM jobs WHERE id = ${job2}`) === 'done', 15000, 200);
  assert.equal(counts(g.id).dbImpr, 3, 'not doubled');
  await get(`/search?q=${g.word}&${cacheBuster()}`);
  page = await as(S, '/seller/gigs?status=active');
  assert.deepEqual(row(page.text_, g.id).impressions, ['4', '4'], 'rolled up plus live');
  assert.deepEqual(row(page.text_, g.id).clicks, ['2', '2']);
});

test('My gigs: tabs with counts; pause, activate, duplicate, archive', async () => {
  const h = activeGig(seller, 2);
  let page = await as(S, '/seller/gigs');
  assert.match(page.text_, /data-status="active"[^>]*aria-current="page">[^<]*<span class="mygigs-tab__count">(\d+)/);
  const activeCount = Number(page.text_.match(/data-status="active"[^>]*>[^<]*<span class="mygigs-tab__count">(\d+)/)[1]);
  assert.equal(activeCount, 2);

  let res = await postAs(S, `/seller/gigs/${h.id}/pause`);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/seller/gigs?status=paused&done=paused');
  assert.equal(psql(`SELECT status FROM gigs WHERE id = ${h.id}`), 'paused');
  assert.equal((await get(`/${seller.handle}/${h.slug}?${cacheBuster()}`)).status, 404, 'a paused gig is not public');
  assert.equal((await postAs(S, `/seller/gigs/${h.id}/pause`)).status, 409, 'pausing twice');
  page = await as(S, '/seller/gigs?status=paused&done=paused');
  assert.match(page.text_, new RegExp(`data-gig="${h.id}" data-status="paused"`));
  assert.match(page.text_, /data-done="paused"/);

  res = await postAs(S, `/seller/gigs/${h.id}/activate`);
  assert.equal(res.status, 303);
  assert.equal(psql(`SELECT status FROM gigs WHERE id = ${h.id}`), 'active');
  assert.equal((await get(`/${seller.handle}/${h.slug}?${cacheBuster()}`)).status, 200);

  res = await postAs(S, `/seller/gigs/${h.id}/duplicate`);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/seller/gigs?status=draft&done=duplicated');
  const copy = psql(`SELECT id || '|' || status || '|' || title FROM gigs WHERE seller_id = ${seller.id} AND id > ${h.id} ORDER BY id DESC LIMIT 1`).split('|');
  assert.equal(copy[1], 'draft');
  assert.equal(copy[2], `${h.title} (copy)`);
  assert.equal(psql(`SELECT count(*) FROM gig_packages WHERE gig_id = ${copy[0]}`), '1', 'packages copied');
  assert.equal(psql(`SELECT count(*) FROM gig_faq WHERE gig_id = ${copy[0]}`), '1', 'FAQ copied');
  page = await as(S, '/seller/gigs?status=draft');
  assert.match(page.text_, new RegExp(`data-gig="${copy[0]}"`));

  res = await postAs(S, `/seller/gigs/${h.id}/archive`);
  assert.equal(res.status, 303);
  assert.equal(psql(`SELECT status FROM gigs WHERE id = ${h.id}`), 'archived');
  assert.equal((await postAs(S, `/seller/gigs/${h.id}/archive`)).status, 409);
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity_type = 'gig' AND entity_id = '${h.id}'
    AND action IN ('gig.pause', 'gig.activate', 'gig.archive')`), '3');
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'gig.duplicate' AND entity_id = '${copy[0]}'
    AND before->>'id' = '${h.id}'`), '1', 'the copy is audited with its source as before');
});

test('orders and conversion: paid orders of the last 7 and 30 days, per click', async () => {
  const h = activeGig(seller, 3);
  for (let i = 0; i < 4; i++) assert.equal((await get(`/${seller.handle}/${h.slug}?${cacheBuster()}`)).status, 200);
  const order = (state, age) => psql(`INSERT INTO orders (buyer_id, seller_id, gig_id, state, package_tier, package_name,
      gig_title, quantity, currency, unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor, seller_fee_bps,
      delivery_days, revisions_allowed, created_at)
    VALUES (${buyer.id}, ${seller.id}, ${h.id}, '${state}', 'basic', 'Basic page', '${h.title}', 1, 'USD', 4000, 4000,
      200, 4200, 2000, 5, 1, souk_now() - interval '${age}')`);
  order('in_progress', '1 hour');            // paid, this week
  order('completed', '3 days');               // paid, this week
  order('delivered', '12 days');              // paid, this month only
  order('in_progress', '40 days');            // too old
  order('awaiting_payment', '1 hour');        // not paid: not counted
  order('cancelled', '2 hours');              // cancelled before payment: not counted
  const page = await as(S, '/seller/gigs');
  assert.equal(page.status, 200);
  const r = row(page.text_, h.id);
  assert.deepEqual(r.clicks, ['4', '4']);
  assert.deepEqual(r.orders, ['2', '3'], 'paid orders over 7 and 30 days');
  assert.deepEqual(r.conversion, ['50.0%', '75.0%'], 'orders per click');
});

test('ownership and roles: another seller gets 404, a buyer 403, anonymous → log in', async () => {
  for (const action of ['pause', 'activate', 'archive', 'duplicate']) {
    assert.equal((await postAs(O, `/seller/gigs/${g.id}/${action}`)).status, 404, `another seller: ${action}`);
    assert.equal((await postAs(B, `/seller/gigs/${g.id}/${action}`)).status, 403, `a buyer: ${action}`);
  }
  assert.equal((await postAs(S, '/seller/gigs/999999999/pause')).status, 404);
  assert.equal(psql(`SELECT status FROM gigs WHERE id = ${g.id}`), 'active', 'unchanged');
  const mine = await as(O, '/seller/gigs');
  assert.equal(mine.status, 200);
  assert.ok(!mine.text_.includes(`data-gig="${g.id}"`), 'not on another seller\'s page');
  assert.equal((await as(B, '/seller/gigs')).status, 403);
  const anon = await get('/seller/gigs');
  assert.equal(anon.status, 303);
  assert.equal(anon.headers.get('location'), '/login?next=%2Fseller%2Fgigs');
});
