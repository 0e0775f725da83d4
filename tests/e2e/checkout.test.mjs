// Checkout and payment processing end to end (issue 5; src/payments/payments.c),
// through nginx, PostgreSQL and Redis: the checkout summary (fees, small-order
// fee, extras, delivery days), tampered forms refused with 422 and nothing
// written, the seller cannot buy their own gig, anonymous buyers are sent to
// the login page, idempotency keys (a double submit, 50 concurrent double
// submits), buyer credit, and the payment pages (go, return, cancel, pay
// again), and in Chromium the hand-off of a redirect gateway (Stripe), which
// must never be a 303 off-site at the end of the checkout form's redirect
// chain (Chromium checks form-action on every redirect of a form POST).
// Notifications and the refund job are in notify.test.mjs.  After each test
// the ledger's invariants are checked (tests/e2e/ledger-check.mjs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { BASE, decode, parsePrice } from './helpers.mjs';
import {
  DB, PAYSIM, WORKER_CONF, sql, user, activeGig, Client, checkout, idemKey, locationOf, text, payment,
  havePaysim, formOf,
} from './money-helpers.mjs';
import { checkLedger } from './ledger-check.mjs';

// souk-web's configuration as ./dev wrote it (fees, PayFast credentials).
const CONF = (() => {
  const c = {};
  if (existsSync(WORKER_CONF))
    for (const line of readFileSync(WORKER_CONF, 'utf8').split('\n')) {
      const m = line.match(/^\s*([a-z0-9_]+)\s*=\s*(.*?)\s*$/);
      if (m) c[m[1]] = m[2];
    }
  return c;
})();
const num = (k, d) => (CONF[k] !== undefined && CONF[k] !== '' ? Number(CONF[k]) : d);
const FEE_BPS = num('buyer_fee_bps', 550);
const SMALL = {
  USD: [num('small_order_threshold_usd', 5000), num('small_order_fee_usd', 200)],
  ZAR: [num('small_order_threshold_zar', 90000), num('small_order_fee_zar', 3500)],
  CNY: [num('small_order_threshold_cny', 35000), num('small_order_fee_cny', 1500)],
};
// the rounding rule of src/orders/orders.h: half up to the minor unit
const bps = (amount, b) => Math.floor((amount * b + 5000) / 10000);
const buyerFee = (cur, subtotal) => bps(subtotal, FEE_BPS) + (subtotal < SMALL[cur][0] ? SMALL[cur][1] : 0);

const ordersOf = (u) => Number(sql("SELECT count(*) FROM orders WHERE buyer_id = :'v1'", u.id));

/** The checkout page's summary: {package, subtotal, fee, total, ...} in minor units. */
function summary(html) {
  const out = {};
  for (const m of html.matchAll(/data-summary="([a-z_]+)"[^>]*>([\s\S]*?)<\/dd>/g)) {
    const t = decode(m[2].replace(/<[^>]*>/g, '')).trim();
    if (m[1] === 'days') out.days = Number(t.match(/\d+/)[0]);
    else if (m[1] === 'revisions') out.revisions = t;
    else if (m[1] === 'extra') (out.extras ||= []).push(parsePrice(t.replace(/^−/, '')).minor);
    else out[m[1]] = parsePrice(t.replace(/^−/, '')).minor;
  }
  return out;
}
const hidden = (html, name) => {
  const m = html.match(new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`));
  return m ? decode(m[1]) : null;
};

/** Grants @u buyer credit of @amount minor units (a balanced posting). */
function grantCredit(u, currency, amount) {
  sql(`SELECT ledger_post('refund_fallback', NULL, NULL, NULL, 'e2e credit', :'v1', :'v2',
      ARRAY['gateway_clearing', 'buyer_credit'], ARRAY[NULL, :'v3']::bigint[], ARRAY[NULL, NULL]::bigint[],
      ARRAY['payfast', NULL], ARRAY[-(:'v4')::bigint, (:'v4')::bigint])`,
  `e2e-credit-${u.id}-${Date.now()}-${Math.random()}`, currency, u.id, amount);
}

test('the checkout page shows the server\'s summary: fee, small-order fee, extras, days', async () => {
  const seller = user('cks', ['SELLER']);
  const buyer = user('ckb');
  const gig = activeGig(seller, 'USD');
  const c = new Client(buyer);
  const custom = gig.extras.find((e) => e.kind === 'custom');
  const rev = gig.extras.find((e) => e.kind === 'extra_revision');

  // basic × 1: below the small-order threshold
  let res = await c.get(`/checkout?gig=${gig.id}&package=basic`);
  assert.equal(res.status, 200, text(res).slice(0, 300));
  assert.equal(res.headers.get('cache-control'), 'no-store');
  let s = summary(res.text_);
  const p = gig.packages.basic.price;
  assert.equal(s.package, p);
  assert.equal(s.subtotal, p);
  assert.equal(s.fee, buyerFee('USD', p));
  assert.ok(p < SMALL.USD[0] && s.fee > bps(p, FEE_BPS), 'the small-order fee is added');
  assert.equal(s.total, p + buyerFee('USD', p));
  assert.equal(s.days, gig.packages.basic.days);
  assert.equal(hidden(res.text_, 'expected_total'), String(s.total));
  assert.match(hidden(res.text_, 'idempotency_key'), /^[A-Za-z0-9_-]{16,64}$/);
  assert.match(res.text_, /name="csrf" value="[0-9a-f]{64}"/);

  // standard × 3 with both extras: above the threshold, no small-order fee
  res = await c.get(`/checkout?gig=${gig.id}&package=standard&quantity=3&extra=${custom.id}&extra=${rev.id}`);
  assert.equal(res.status, 200);
  s = summary(res.text_);
  const sub = gig.packages.standard.price * 3 + custom.price + rev.price;
  assert.equal(s.package, gig.packages.standard.price * 3);
  assert.deepEqual(s.extras.sort(), [custom.price, rev.price].sort());
  assert.equal(s.subtotal, sub);
  assert.ok(sub >= SMALL.USD[0]);
  assert.equal(s.fee, bps(sub, FEE_BPS));
  assert.equal(s.total, sub + bps(sub, FEE_BPS));
  assert.equal(s.days, gig.packages.standard.days + custom.days + rev.days);
  assert.equal(s.revisions, String(gig.packages.standard.revisions + 1));
  // the pay form carries the same choices
  assert.equal(hidden(res.text_, 'package'), 'standard');
  assert.equal(hidden(res.text_, 'quantity'), '3');
  await checkLedger(DB);
});

test('the seller cannot buy their own gig; anonymous buyers go to the login page', async () => {
  const seller = user('cko', ['SELLER']);
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(seller);
  let res = await c.get(`/checkout?gig=${gig.id}&package=basic`);
  assert.equal(res.status, 403);
  res = await checkout(c, gig, { gateway: 'payfast' });
  assert.equal(res.status, 403);
  assert.equal(ordersOf(seller), 0);

  const anon = new Client(null);
  res = await anon.get(`/checkout?gig=${gig.id}&package=standard`);
  assert.equal(res.status, 303);
  const next = new URL(locationOf(res), 'http://x').searchParams.get('next');
  assert.equal(new URL(locationOf(res), 'http://x').pathname, '/login');
  assert.equal(next, `/checkout?gig=${gig.id}&package=standard`, 'the choices survive the login');
  // a form sent after signing out (the anonymous CSRF cookie of the login page)
  const login = await anon.get('/login');
  const csrf = login.text_.match(/name="csrf" value="([0-9a-f]{64})"/)[1];
  res = await anon.post('/checkout', [['csrf', csrf], ['gig', String(gig.id)], ['package', 'premium'],
    ['quantity', '2'], ['extra', String(gig.extras[0].id)], ['gateway', 'payfast'], ['idempotency_key', idemKey()]]);
  assert.equal(res.status, 303);
  assert.equal(new URL(locationOf(res), 'http://x').searchParams.get('next'),
    `/checkout?gig=${gig.id}&package=premium&quantity=2&extra=${gig.extras[0].id}`);
  // the gig page's Continue buttons lead here
  const gp = await c.get(gig.path);
  assert.match(gp.text_, new RegExp(`<form action="/checkout" method="get">\\s*<input type="hidden" name="gig" value="${gig.id}">\\s*<input type="hidden" name="package" value="basic">`));
  await checkLedger(DB);
});

test('tampered checkout forms are refused with 422, values kept, nothing written', async () => {
  const seller = user('ckt', ['SELLER']);
  const other = activeGig(user('ckt2', ['SELLER']), 'ZAR');
  const buyer = user('ckbt');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const before = ordersOf(buyer);
  const page = await c.get(`/checkout?gig=${gig.id}&package=basic`);
  const total = Number(hidden(page.text_, 'expected_total'));
  const base = { gig: String(gig.id), package: 'basic', quantity: '1', gateway: 'payfast',
    expected_total: String(total) };
  const post = (fields) => c.post('/checkout', { idempotency_key: idemKey(), ...base, ...fields });

  let res = await post({ package: 'platinum' });
  assert.equal(res.status, 422, 'unknown package');
  res = await post({ expected_total: String(total - 100) });
  assert.equal(res.status, 422, 'a lower price than the server computes');
  assert.match(res.text_, /not what the page showed/);
  res = await post({ quantity: '21' });
  assert.equal(res.status, 422, 'quantity out of range');
  assert.match(res.text_, /id="quantity" name="quantity" min="1" max="20" value="21"/, 'the typed quantity is kept');
  res = await c.post('/checkout', [...Object.entries(base), ['idempotency_key', idemKey()], ['extra', String(other.extras[0].id)]]);
  assert.equal(res.status, 422, 'an extra of another gig');
  res = await c.post('/checkout', [...Object.entries(base), ['idempotency_key', idemKey()], ['extra', '99999999999']]);
  assert.equal(res.status, 422, 'an unknown extra');
  res = await post({ gateway: 'stripe' });
  assert.equal(res.status, 422, 'a gateway of another currency');
  res = await post({ idempotency_key: 'short' });
  assert.equal(res.status, 422, 'a malformed idempotency key');
  res = await post({ gig: '999999999' });
  assert.equal(res.status, 404, 'an unknown gig');
  res = await post({ gig: String(other.id), expected_total: '' });
  assert.equal(res.status, 303, 'a valid checkout of another gig goes through');
  assert.equal(ordersOf(buyer), before + 1, 'only the valid checkout made an order');
  assert.equal(Number(sql("SELECT count(*) FROM orders WHERE buyer_id = :'v1' AND gig_id = :'v2'", buyer.id, gig.id)), 0);
  await checkLedger(DB);
});

test('a checkout creates the order and payment as computed; the same idempotency key never makes a second', async () => {
  const seller = user('cki', ['SELLER']);
  const buyer = user('ckbi');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const custom = gig.extras.find((e) => e.kind === 'custom');
  const key = idemKey();
  const res = await checkout(c, gig, { tier: 'standard', quantity: 2, extras: [custom.id], gateway: 'payfast', key });
  assert.equal(res.status, 303, text(res).slice(0, 300));
  assert.ok(res.reference, locationOf(res));
  assert.equal(res.reference.length, 24);
  const p = payment(res.reference);
  const sub = gig.packages.standard.price * 2 + custom.price;
  assert.equal(p.state, 'created');
  assert.equal(p.orderState, 'awaiting_payment');
  assert.equal(p.gateway, 'payfast');
  assert.equal(p.total, sub + buyerFee('ZAR', sub));
  assert.equal(p.amount, p.total);
  const row = sql(`SELECT package_tier || '|' || quantity || '|' || subtotal_minor || '|' || delivery_days || '|' ||
      seller_fee_bps || '|' || jsonb_array_length(extras) FROM orders WHERE id = :'v1'`, p.orderId);
  assert.equal(row, `standard|2|${sub}|${gig.packages.standard.days + custom.days}|${num('seller_fee_bps', 2000)}|1`);
  assert.equal(sql("SELECT string_agg(kind, ',') FROM order_events WHERE order_id = :'v1'", p.orderId), 'created');

  // the same key again: the same answer, nothing new
  const again = await checkout(c, gig, { tier: 'standard', quantity: 2, extras: [custom.id], gateway: 'payfast', key });
  assert.equal(again.status, 303);
  assert.equal(locationOf(again), locationOf(res));
  assert.equal(ordersOf(buyer), 1);
  // the same key with other choices is another request: refused
  const other = await checkout(c, gig, { tier: 'basic', gateway: 'payfast', key });
  assert.equal(other.status, 422);
  assert.equal(ordersOf(buyer), 1);
  assert.equal(Number(sql("SELECT count(*) FROM payments WHERE order_id = :'v1'", p.orderId)), 1);
  await checkLedger(DB);
});

test('50 concurrent double submits make exactly 50 orders', async () => {
  const seller = user('ckc', ['SELLER']);
  const buyer = user('ckbc');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const keys = Array.from({ length: 50 }, () => idemKey());
  const results = await Promise.all(keys.flatMap((key) => [
    checkout(c, gig, { gateway: 'payfast', key }), checkout(c, gig, { gateway: 'payfast', key })]));
  for (let i = 0; i < 50; i++) {
    const [a, b] = [results[2 * i], results[2 * i + 1]];
    assert.equal(a.status, 303, `first of pair ${i}: ${a.status} ${text(a).slice(0, 200)}`);
    assert.ok(b.status === 303 || b.status === 409, `second of pair ${i}: ${b.status}`);
    if (b.status === 303) assert.equal(locationOf(b), locationOf(a), `pair ${i} answers the same`);
  }
  assert.equal(ordersOf(buyer), 50);
  assert.equal(Number(sql("SELECT count(*) FROM payments WHERE buyer_id = :'v1'", buyer.id)), 50);
  assert.equal(Number(sql("SELECT count(*) FROM idempotency_keys WHERE user_id = :'v1' AND status = 303", buyer.id)), 50);
  await checkLedger(DB);
});

test('buyer credit: covering everything pays at once; partly, the gateway charges the rest', async () => {
  const seller = user('ckr', ['SELLER']);
  const buyer = user('ckbr');
  const gig = activeGig(seller, 'ZAR', { requirements: false });
  const c = new Client(buyer);
  const p = gig.packages.basic.price;
  const total = p + buyerFee('ZAR', p);
  grantCredit(buyer, 'ZAR', total + 1000);
  const page = await c.get(`/checkout?gig=${gig.id}&package=basic`);
  assert.match(text(page), /Use my Souk credit/);
  assert.equal(summary(page.text_).to_pay, 0);

  let res = await c.post('/checkout', { gig: String(gig.id), package: 'basic', quantity: '1', use_credit: '1',
    idempotency_key: idemKey() });
  assert.equal(res.status, 303, text(res).slice(0, 300));
  const ref = locationOf(res).match(/^\/payments\/([A-Za-z0-9_-]{24})\/return$/)[1];
  let pm = payment(ref);
  assert.equal(pm.state, 'paid');
  assert.equal(pm.gateway, 'credit');
  assert.equal(pm.amount, 0);
  assert.equal(pm.credit, total);
  assert.notEqual(pm.orderState, 'awaiting_payment');
  assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'escrow' AND order_id = :'v1'", pm.orderId)), total);
  assert.equal(Number(sql("SELECT balance_minor FROM ledger_balances WHERE kind = 'buyer_credit' AND user_id = :'v1' AND currency = 'ZAR'", buyer.id)), 1000);
  res = await c.get(`/payments/${ref}/return`);
  assert.equal(res.status, 200);
  assert.match(res.text_, new RegExp(`href="/orders/${pm.orderId}"`));

  // 10.00 of credit left: the gateway charges the rest
  res = await checkout(c, gig, { gateway: 'payfast', useCredit: 1 });
  assert.equal(res.status, 303, text(res).slice(0, 300));
  pm = payment(res.reference);
  assert.equal(pm.credit, 1000);
  assert.equal(pm.amount, total - 1000);
  assert.equal(pm.state, 'created');
  await checkLedger(DB);
});

test('the payment pages: only the buyer; cancel, then pay again with a new key', async () => {
  const seller = user('ckp', ['SELLER']);
  const buyer = user('ckbp');
  const gig = activeGig(seller, 'ZAR');
  const c = new Client(buyer);
  const res = await checkout(c, gig, { gateway: 'payfast' });
  assert.equal(res.status, 303);
  const ref = res.reference;
  const stranger = new Client(user('ckx'));
  for (const what of ['go', 'return', 'cancel'])
    assert.equal((await stranger.get(`/payments/${ref}/${what}`)).status, 404, `${what} of someone else's payment`);
  assert.equal((await c.get('/payments/NoSuchReference123/return')).status, 404);
  let r = await c.get(`/payments/${ref}/return`);
  assert.equal(r.status, 200);
  assert.match(r.text_, /data-payment-state="created"/);
  r = await c.get(`/payments/${ref}/cancel`);
  assert.equal(r.status, 200);
  assert.equal(payment(ref).state, 'cancelled');
  assert.equal(payment(ref).orderState, 'awaiting_payment');
  const m = r.text_.match(/<form class="onboard-form payment__retry" method="post" action="([^"]+)">/);
  assert.ok(m, 'a try-again form');
  const orderId = payment(ref).orderId;
  assert.equal(m[1], `/orders/${orderId}/pay`);
  const key = hidden(r.text_, 'idempotency_key');
  let again = await c.post(m[1], { gateway: 'payfast', idempotency_key: key });
  assert.equal(again.status, 303, text(again).slice(0, 300));
  const ref2 = locationOf(again).match(/^\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  assert.notEqual(ref2, ref);
  again = await c.post(m[1], { gateway: 'payfast', idempotency_key: key });
  assert.equal(locationOf(again), `/payments/${ref2}/go`, 'the same key, the same answer');
  assert.equal(Number(sql("SELECT count(*) FROM payments WHERE order_id = :'v1'", orderId)), 2);
  assert.equal((await stranger.post(`/orders/${orderId}/pay`, { gateway: 'payfast', idempotency_key: idemKey() })).status, 404);
  assert.equal((await c.post(`/orders/${orderId}/pay`, { gateway: 'paypal', idempotency_key: idemKey() })).status, 422);
  await checkLedger(DB);
});

test('the hand-off of a redirect gateway is a page of its own, never a 303 to the gateway', async () => {
  const seller = user('ckr', ['SELLER']);
  const buyer = user('ckbr');
  const c = new Client(buyer);
  const usd = activeGig(seller, 'USD'), cny = activeGig(seller, 'CNY');
  for (const [gateway, gig] of [['stripe', usd], ['paypal', usd], ['alipay', cny]]) {
    const res = await checkout(c, gig, { gateway });
    assert.equal(res.status, 303, `${gateway}: ${text(res).slice(0, 200)}`);
    const go = await c.get(`/payments/${res.reference}/go`);
    assert.equal(go.status, 200, `${gateway}: the hand-off page, not a redirect (${go.status} ${locationOf(go)})`);
    const form = formOf(go.text_, 'gateway-form');
    assert.ok(form, `${gateway}: a form the buyer sends from this page`);
    const origin = new URL(form.action).origin;
    assert.equal(form.method, 'get', `${gateway}: a GET form carrying the gateway URL's query`);
    const csp = go.headers.get('content-security-policy') || '';
    assert.ok(csp.includes(`form-action 'self' ${origin};`), `${gateway}: this page's CSP lets its form go to ${origin}: ${csp}`);
    if (havePaysim()) assert.ok(form.action.startsWith(PAYSIM), `${gateway}: to the simulator (${form.action})`);
    assert.equal(payment(res.reference).orderState, 'awaiting_payment');
  }
  await checkLedger(DB);
});

const CHROMIUM = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
let browser;
after(async () => { if (browser) await browser.close(); });

test('Chromium: a Stripe checkout reaches the gateway\'s page (no form-action violation on the way)', {
  skip: (!existsSync(CHROMIUM) && `no ${CHROMIUM}`) || (!havePaysim() && 'souk-paysim is not running'),
  timeout: 90000,
}, async () => {
  const seller = user('ckbs', ['SELLER']);
  const buyer = user('ckbsb');
  const gig = activeGig(seller, 'USD');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
      '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await ctx.addCookies([{ name: 'souk_sess', value: buyer.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  ctx.setDefaultTimeout(20000);
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${BASE}/checkout?gig=${gig.id}&package=basic`, { waitUntil: 'load' });
  const pay = page.locator('form.checkout__pay');
  await pay.locator('input[name="gateway"][value="stripe"]').check();
  await Promise.all([
    page.waitForURL((u) => /\/payments\/[^/]+\/go$/.test(u.pathname), { timeout: 30000 }),
    pay.locator('button[type="submit"]').click(),
  ]);
  const ref = page.url().match(/\/payments\/([A-Za-z0-9_-]+)\/go$/)[1];
  assert.equal(payment(ref).gateway, 'stripe');
  const button = page.locator('#gateway-form button[type="submit"]');
  assert.match(await button.textContent(), /Continue to/);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(PAYSIM), { timeout: 30000 }),
    button.click(),
  ]);
  await page.waitForLoadState('load');
  assert.ok(page.url().startsWith(`${PAYSIM}/stripe/`), `on the simulator's Stripe page: ${page.url()}`);
  assert.ok(await page.getByRole('button', { name: /approve|pay/i }).first().isVisible(), 'the hosted page\'s buttons');
  assert.deepEqual(problems.filter((p) => /Content Security Policy|form-action/i.test(p)), [], problems.join('\n'));
  assert.equal(payment(ref).orderState, 'awaiting_payment', 'nothing paid before the buyer approves');
  await ctx.close();
  await checkLedger(DB);
});
