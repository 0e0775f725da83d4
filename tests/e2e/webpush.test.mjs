// Web Push end to end (issue 6; src/webpush): subscriptions stored through
// souk-web (POST /push/subscriptions with the form's csrf), the souk-worker
// job "push" encrypting in C (RFC 8291 aes128gcm, VAPID RFC 8292) and
// POSTing to tests/tools/souk-pushsim.mjs, which verifies the VAPID JWT and
// decrypts the body with http_ece (the library of npm's web-push).  The
// user agent's keys are made in Node (crypto.createECDH('prime256v1')) by
// the stand-in, as a browser makes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BASE, get, insertUser, redisSession, postAs, redis, sql, until, runTag } from './helpers.mjs';

const require = createRequire(import.meta.url);
const webpush = require('web-push');

const PUSHSIM = process.env.SOUK_TEST_PUSHSIM_URL;
const WORKER_CONF = process.env.SOUK_TEST_WORKER_CONF;
const skip = !PUSHSIM && 'souk-pushsim is not running (SOUK_TEST_PUSHSIM_URL)';
const tag = runTag();
let n = 0;

async function sim(path, body) {
  const res = await fetch(PUSHSIM + path, body === undefined ? {} :
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.ok, `pushsim ${path}: ${res.status}`);
  return res.json();
}
const newSub = (applicationServerKey) => sim('/_subscriptions', applicationServerKey ? { applicationServerKey } : {});
const received = (id) => sim(`/_messages?id=${encodeURIComponent(id)}`);
const control = (id, status, count) => sim('/_control', { id, status, count });

function person(roles = []) {
  const u = insertUser(`wp${tag}${++n}`, roles);
  return { ...u, s: redisSession(u) };
}

async function subscribe(who, sub, { json = true } = {}) {
  const fields = typeof sub === 'string' ? { subscription: sub } :
    sub.endpoint !== undefined && sub.keys ? { subscription: JSON.stringify(sub) } : sub;
  return postAs(who.s, '/push/subscriptions', fields,
    { ...(json ? { accept: 'application/json' } : {}), 'user-agent': 'souk-e2e/1 (webpush)' });
}

// A notification row as H2's dispatcher leaves it (title/body rendered), and a "push" job for it.
function notification(user, { type = 'gig.approved', title, body, url = '/notifications', data = {} } = {}) {
  const id = Number(sql(`INSERT INTO notifications (user_id, type, event_key, data, url, title, body)
    VALUES (:'v1', :'v2', :'v3', (:'v4')::jsonb, :'v5', :'v6', :'v7') RETURNING id`,
  user.id, type, `e2e.webpush:${crypto.randomUUID()}`, JSON.stringify(data), url, title, body));
  return id;
}
function pushJob(notificationId) {
  return Number(sql(`INSERT INTO jobs (kind, payload) VALUES ('push', jsonb_build_object('notification_id', (:'v1')::bigint)) RETURNING id`, notificationId));
}
const jobRow = (id) => {
  const [status, attempts, lastError] = sql(`SELECT status, attempts, coalesce(last_error, '') FROM jobs WHERE id = :'v1'`, id).split('|');
  return { status, attempts: Number(attempts), lastError };
};
const waitJob = (id, ms = 20000) => until(() => jobRow(id).status === 'done' && jobRow(id), ms, 100);
const subCount = (endpoint) => Number(sql(`SELECT count(*) FROM push_subscriptions WHERE endpoint = :'v1'`, endpoint));

test('GET /push/key is the public half of the configured VAPID key', { skip }, async () => {
  const res = await get('/push/key');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  const key = res.text_.trim();
  assert.match(key, /^[A-Za-z0-9_-]{87}$/);
  const raw = Buffer.from(key, 'base64url');
  assert.equal(raw.length, 65);
  assert.equal(raw[0], 4);
  const conf = readFileSync(WORKER_CONF, 'utf8');
  const file = /^vapid_private_key_file\s*=\s*(.+)$/m.exec(conf)[1].trim();
  const jwk = crypto.createPublicKey(crypto.createPrivateKey(readFileSync(file))).export({ format: 'jwk' });
  assert.equal(jwk.crv, 'P-256');
  assert.equal(Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')])
    .toString('base64url'), key);
});

// web-push's sendNotification always speaks https: its generateRequestDetails
// (the same encryption and VAPID header) is sent here with fetch instead.
async function sendDetails(det, override = {}) {
  const headers = Object.fromEntries(Object.entries(det.headers).filter(([k]) => k.toLowerCase() !== 'content-length'));
  return fetch(det.endpoint, { method: det.method, headers: { ...headers, ...override }, body: det.body });
}

test('the stand-in accepts what npm web-push sends and refuses a forged VAPID signature', { skip }, async () => {
  const vapid = webpush.generateVAPIDKeys();
  const sub = await newSub(vapid.publicKey);
  const opts = { vapidDetails: { subject: 'mailto:e2e@souk.test', publicKey: vapid.publicKey, privateKey: vapid.privateKey }, TTL: 30 };
  const det = webpush.generateRequestDetails(sub, JSON.stringify({ hello: 'reference' }), opts);
  assert.equal((await sendDetails(det)).status, 201);
  const [m] = await received(sub.id);
  assert.deepEqual(m.json, { hello: 'reference' });
  assert.equal(m.claims.sub, 'mailto:e2e@souk.test');
  assert.equal(m.ttl, '30');
  // the same request with the JWT signed by another key
  const other = webpush.generateVAPIDKeys();
  const forged = webpush.generateRequestDetails(sub, 'x', { ...opts,
    vapidDetails: { ...opts.vapidDetails, privateKey: other.privateKey } });
  const t = forged.headers.Authorization.match(/t=([^,]+)/)[1];
  const res = await sendDetails(det, { Authorization: det.headers.Authorization.replace(/t=[^,]+/, `t=${t}`) });
  assert.equal(res.status, 401);
  // a valid JWT of another application server key than the subscription's
  const stranger = webpush.generateRequestDetails(sub, 'x', { ...opts,
    vapidDetails: { ...opts.vapidDetails, publicKey: other.publicKey, privateKey: other.privateKey } });
  assert.equal((await sendDetails(stranger)).status, 403);
  assert.deepEqual((await received(sub.id)).map((r) => r.status), [201, 401, 403]);
});

test('a subscribed device receives the notification, encrypted in C and decrypted by http_ece', { skip }, async () => {
  const a = person();
  const key = (await get('/push/key')).text_.trim();
  const sub = await newSub(key);
  const res = await subscribe(a, sub);
  assert.equal(res.status, 201, res.text_);
  assert.equal(JSON.parse(res.text_).ok, true);
  const row = sql(`SELECT user_id, p256dh, auth, user_agent, failures FROM push_subscriptions WHERE endpoint = :'v1'`, sub.endpoint).split('|');
  assert.deepEqual(row, [String(a.id), sub.keys.p256dh, sub.keys.auth, 'souk-e2e/1 (webpush)', '0']);

  const title = 'Your gig “Logo design” is live';
  const body = 'Buyers can now find it. 你好 — ünïcødé <b>not html</b>';
  const nid = notification(a, { title, body, url: '/studio/gigs' });
  const job = pushJob(nid);
  assert.ok(await waitJob(job), `job done: ${JSON.stringify(jobRow(job))}`);
  const msgs = await received(sub.id);
  assert.equal(msgs.length, 1, JSON.stringify(msgs));
  const m = msgs[0];
  assert.equal(m.status, 201, m.error);
  assert.deepEqual(m.json, { title, body, url: '/studio/gigs', tag: `notification-${nid}` });
  assert.deepEqual(Object.keys(m.json), ['title', 'body', 'url', 'tag']);
  assert.equal(m.encoding, 'aes128gcm');
  assert.equal(m.ttl, '60');
  assert.equal(m.urgency, 'normal');
  assert.equal(m.k, key);
  assert.equal(m.claims.sub, 'mailto:ops@souk.test');
  assert.equal(m.claims.aud, PUSHSIM);
  assert.equal(sql(`SELECT pushed_at IS NOT NULL FROM notifications WHERE id = :'v1'`, nid), 't');
  assert.equal(sql(`SELECT last_success_at IS NOT NULL FROM push_subscriptions WHERE endpoint = :'v1'`, sub.endpoint), 't');

  // the same job again (a retry, a duplicate): that device is not pushed twice
  const again = pushJob(nid);
  assert.ok(await waitJob(again));
  assert.equal((await received(sub.id)).length, 1);

  // a message notification: Urgency high, one tag per conversation
  const mid = notification(a, { type: 'message', title: 'New message from @x', body: 'hi', url: '/inbox/7', data: { conversation_id: 7 } });
  assert.ok(await waitJob(pushJob(mid)));
  const last = (await received(sub.id)).at(-1);
  assert.equal(last.urgency, 'high');
  assert.deepEqual(last.json, { title: 'New message from @x', body: 'hi', url: '/inbox/7', tag: 'conversation-7' });
});

test('every device of the user gets it; a retry after a 500 only sends to the device that failed', { skip }, async () => {
  const a = person();
  const d1 = await newSub();
  const d2 = await newSub();
  assert.equal((await subscribe(a, d1)).status, 201);
  assert.equal((await subscribe(a, d2)).status, 201);
  await control(d2.id, 500, 1);
  const nid = notification(a, { title: 'Order placed', body: 'Order #12 was placed.', url: '/orders/12' });
  const job = pushJob(nid);
  // first attempt: d1 accepted, d2 answered 500 → the job is queued again
  assert.ok(await until(() => jobRow(job).attempts >= 1 && /500/.test(jobRow(job).lastError), 15000, 100),
    JSON.stringify(jobRow(job)));
  assert.ok(await waitJob(job, 30000), JSON.stringify(jobRow(job)));
  const m1 = await received(d1.id);
  const m2 = await received(d2.id);
  assert.equal(m1.length, 1, 'd1 was pushed once');
  assert.deepEqual(m2.map((m) => m.status), [500, 201]);
  assert.deepEqual(m2[1].json, m1[0].json);
  assert.equal(jobRow(job).attempts, 2);
});

test('no push while the user has an open tab (presence:u:<id>)', { skip }, async () => {
  const a = person();
  const sub = await newSub();
  assert.equal((await subscribe(a, sub)).status, 201);
  redis('SET', `presence:u:${a.id}`, '1', 'EX', '30');
  try {
    const nid = notification(a, { title: 'Delivered', body: 'Your order was delivered.' });
    assert.ok(await waitJob(pushJob(nid)));
    assert.equal((await received(sub.id)).length, 0);
    assert.equal(sql(`SELECT pushed_at IS NULL FROM notifications WHERE id = :'v1'`, nid), 't');
  } finally {
    redis('DEL', `presence:u:${a.id}`);
  }
  // the tab closed: the next one is pushed
  const nid2 = notification(a, { title: 'Completed', body: 'Your order is complete.' });
  assert.ok(await waitJob(pushJob(nid2)));
  assert.equal((await received(sub.id)).length, 1);
});

test('410 from the push service deletes the subscription; 429 retries later', { skip }, async () => {
  const a = person();
  const gone = await newSub();
  const busy = await newSub();
  assert.equal((await subscribe(a, gone)).status, 201);
  assert.equal((await subscribe(a, busy)).status, 201);
  await control(gone.id, 410);
  await control(busy.id, 429, 1);
  const nid = notification(a, { title: 'Payout sent', body: '$10.00 is on its way.' });
  const job = pushJob(nid);
  assert.ok(await until(() => subCount(gone.endpoint) === 0, 15000, 100), 'the gone subscription is deleted');
  assert.ok(await waitJob(job, 30000), JSON.stringify(jobRow(job)));
  assert.equal(subCount(busy.endpoint), 1);
  assert.deepEqual((await received(busy.id)).map((m) => m.status), [429, 201]);
  assert.deepEqual((await received(gone.id)).map((m) => m.status), [410]);
  assert.equal(sql(`SELECT failures FROM push_subscriptions WHERE endpoint = :'v1'`, busy.endpoint), '0');
});

test('malformed subscriptions are refused with 422', { skip }, async () => {
  const a = person();
  const good = await newSub();
  const p = good.keys.p256dh, au = good.keys.auth;
  const raw = Buffer.from(p, 'base64url');
  const offCurve = Buffer.from(raw); offCurve[64] ^= 1;
  const cases = [
    [{ endpoint: 'http://push.example.com/x', keys: { p256dh: p, auth: au } }, 'endpoint'],
    [{ endpoint: 'ftp://push.example.com/x', keys: { p256dh: p, auth: au } }, 'endpoint'],
    [{ endpoint: 'http://10.1.2.3:80/push/x', keys: { p256dh: p, auth: au } }, 'endpoint'],
    [{ endpoint: 'https://user:pw@push.example.com/x', keys: { p256dh: p, auth: au } }, 'endpoint'],
    [{ endpoint: 'https://push.example.com/' + 'a'.repeat(2100), keys: { p256dh: p, auth: au } }, 'endpoint'],
    [{ endpoint: '', keys: { p256dh: p, auth: au } }, 'endpoint'],
    [{ endpoint: good.endpoint, keys: { p256dh: raw.subarray(0, 64).toString('base64url'), auth: au } }, 'p256dh'],
    [{ endpoint: good.endpoint, keys: { p256dh: offCurve.toString('base64url'), auth: au } }, 'p256dh'],
    [{ endpoint: good.endpoint, keys: { p256dh: p.slice(0, 40) + '!!' + p.slice(42), auth: au } }, 'p256dh'],
    [{ endpoint: good.endpoint, keys: { p256dh: p } }, 'auth'],
    [{ endpoint: good.endpoint, keys: { p256dh: p, auth: crypto.randomBytes(15).toString('base64url') } }, 'auth'],
    [{ endpoint: good.endpoint, keys: { p256dh: p, auth: crypto.randomBytes(17).toString('base64url') } }, 'auth'],
    ['not json', 'endpoint'],
  ];
  for (const [sub, code] of cases) {
    const res = await subscribe(a, sub);
    assert.equal(res.status, 422, `${JSON.stringify(sub).slice(0, 120)} → ${res.status}`);
    const j = JSON.parse(res.text_);
    assert.equal(j.error, code, JSON.stringify(sub).slice(0, 120));
    assert.ok(j.message.length > 0);
  }
  // the same refusal as an HTML page for a form post without Accept: application/json
  const html = await subscribe(a, { endpoint: 'http://push.example.com/x', p256dh: p, auth: au }, { json: false });
  assert.equal(html.status, 422);
  assert.match(html.headers.get('content-type'), /text\/html/);
  assert.equal(Number(sql(`SELECT count(*) FROM push_subscriptions WHERE user_id = :'v1'`, a.id)), 0);
  // the separate fields form is accepted too
  const ok = await subscribe(a, { endpoint: good.endpoint, p256dh: p, auth: au });
  assert.equal(ok.status, 201);
});

test('only the owner can delete a subscription; CSRF and sign-in are required', { skip }, async () => {
  const a = person();
  const b = person();
  const sub = await newSub();
  // no CSRF token, no session
  const noCsrf = await get('/push/subscriptions', { method: 'POST', headers: { cookie: a.s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ subscription: JSON.stringify(sub) }) });
  assert.equal(noCsrf.status, 403);
  const anon = await postAs(null, '/push/subscriptions', { subscription: JSON.stringify(sub) });
  assert.equal(anon.status, 403);
  assert.equal(subCount(sub.endpoint), 0);

  assert.equal((await subscribe(a, sub)).status, 201);
  const byB = await postAs(b.s, '/push/subscriptions/delete', { endpoint: sub.endpoint }, { accept: 'application/json' });
  assert.equal(byB.status, 404);
  assert.equal(subCount(sub.endpoint), 1);
  const byA = await postAs(a.s, '/push/subscriptions/delete', { subscription: JSON.stringify(sub) }, { accept: 'application/json' });
  assert.equal(byA.status, 204);
  assert.equal(subCount(sub.endpoint), 0);
  // without Accept: JSON, back to the settings page
  assert.equal((await subscribe(a, sub)).status, 201);
  const form = await postAs(a.s, '/push/subscriptions/delete', { endpoint: sub.endpoint });
  assert.equal(form.status, 303);
  assert.equal(form.headers.get('location'), '/settings/notifications');
  assert.equal(subCount(sub.endpoint), 0);
});

test('a device used by another account moves to that account', { skip }, async () => {
  const a = person();
  const b = person();
  const sub = await newSub();
  assert.equal((await subscribe(a, sub)).status, 201);
  assert.equal((await subscribe(b, sub)).status, 201);
  assert.equal(sql(`SELECT string_agg(user_id::text, ',') FROM push_subscriptions WHERE endpoint = :'v1'`, sub.endpoint), String(b.id));
  const nid = notification(a, { title: 'For a', body: 'not for this device any more' });
  assert.ok(await waitJob(pushJob(nid)));
  assert.equal((await received(sub.id)).length, 0);
});

test('the real flow: a notification dispatched by souk-worker is pushed', { skip }, async () => {
  const a = person(['SELLER']);
  const sub = await newSub();
  assert.equal((await subscribe(a, sub)).status, 201);
  const nid = Number(sql(`SELECT souk_notify((:'v1')::bigint, 'gig.approved', :'v2', '{}'::jsonb, '/studio')`, a.id, `e2e.webpush.flow:${tag}`));
  assert.ok(nid > 0);
  const msgs = await until(async () => { const m = await received(sub.id); return m.length > 0 && m; }, 20000, 200);
  assert.ok(msgs, 'a push arrived');
  assert.equal(msgs[0].status, 201, msgs[0].error);
  const [title, body] = sql(`SELECT title, body FROM notifications WHERE id = :'v1'`, nid).split('|');
  assert.ok(title.length > 0);
  assert.deepEqual(msgs[0].json, { title, body, url: '/studio', tag: `notification-${nid}` });
  assert.ok(await until(() => sql(`SELECT pushed_at IS NOT NULL FROM notifications WHERE id = :'v1'`, nid) === 't', 5000, 100));
});

test('settings page: the partial without JavaScript, and push.js subscribing through the service worker', { skip }, async () => {
  const a = person();
  // without JavaScript: the explanation, the form (hidden until push.js shows it) with the csrf
  const html = (await get('/settings/notifications', { headers: { cookie: a.s.cookie } })).text_;
  assert.match(html, /<section class="webpush-settings"[^>]*data-push/);
  assert.match(html, /<noscript><p class="webpush-settings__nojs">Push notifications need JavaScript/);
  assert.match(html, /<form class="webpush-settings__form" action="\/push\/subscriptions" method="post" data-push-form hidden>\s*<input type="hidden" name="csrf" value="[0-9a-f]{64}">/);
  assert.match(html, /Enable push notifications on this device/);
  assert.match(html, /<script type="module" src="\/static\/js\/push.js"><\/script>/);

  const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) return;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] });
  try {
    const ctx = await browser.newContext({ locale: 'en-US' });
    ctx.setDefaultTimeout(15000);
    await ctx.addCookies([{ name: 'souk_sess', value: a.s.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
    await ctx.grantPermissions(['notifications'], { origin: BASE });
    // Chromium here has no push service (no GCM): PushManager is replaced by
    // one handing out a subscription of the stand-in, everything else is real.
    const sub = await newSub();
    await ctx.addInitScript((json) => {
      if (!self.PushManager || typeof localStorage === 'undefined') return;
      const make = (key) => ({ endpoint: json.endpoint, options: { applicationServerKey: key, userVisibleOnly: true },
        toJSON: () => json, unsubscribe: async () => { localStorage.removeItem('e2e-push'); return true; } });
      PushManager.prototype.getSubscription = async () => {
        const k = localStorage.getItem('e2e-push');
        return k ? make(new Uint8Array(JSON.parse(k)).buffer) : null;
      };
      PushManager.prototype.subscribe = async (opts) => {
        const key = Array.from(new Uint8Array(opts.applicationServerKey));
        localStorage.setItem('e2e-push', JSON.stringify(key));
        return make(new Uint8Array(key).buffer);
      };
    }, { endpoint: sub.endpoint, expirationTime: null, keys: sub.keys });
    let page = await ctx.newPage();
    await page.goto(BASE + '/settings/notifications');
    await page.locator('[data-push-enable]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-push-disable]').isVisible(), false);
    await page.locator('[data-push-enable]').click();
    await page.locator('[data-push-disable]').waitFor({ state: 'visible' });
    assert.match(await page.locator('[data-push-status]').textContent(), /Push notifications are on for this device/);
    const key = Buffer.from((await get('/push/key')).text_.trim(), 'base64url');
    assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('e2e-push'))), Array.from(key),
      'subscribed with the VAPID key');
    assert.equal(sql(`SELECT user_id FROM push_subscriptions WHERE endpoint = :'v1'`, sub.endpoint), String(a.id));
    // the page is open (souk-sse keeps presence:u:<id>): not pushed
    const presence = `presence:u:${a.id}`;
    assert.ok(await until(() => redis('EXISTS', presence) === '1', 10000, 100), 'souk-sse marks the open tab');
    const n1 = notification(a, { title: 'While open', body: 'not pushed' });
    assert.ok(await waitJob(pushJob(n1)));
    assert.equal((await received(sub.id)).length, 0);
    // the tab closed: the device gets the next notification
    await page.close();
    assert.ok(await until(() => redis('EXISTS', presence) === '0', 15000, 100), 'presence ends with the tab');
    const nid = notification(a, { title: 'Via the browser', body: 'subscribed by push.js' });
    assert.ok(await waitJob(pushJob(nid)));
    assert.deepEqual((await received(sub.id)).map((m) => m.json),
      [{ title: 'Via the browser', body: 'subscribed by push.js', url: '/notifications', tag: `notification-${nid}` }]);
    // turning it off forgets the subscription
    page = await ctx.newPage();
    await page.goto(BASE + '/settings/notifications');
    await page.locator('[data-push-disable]').waitFor({ state: 'visible' });
    await page.locator('[data-push-disable]').click();
    await page.locator('[data-push-enable]').waitFor({ state: 'visible' });
    assert.match(await page.locator('[data-push-status]').textContent(), /Push notifications are off for this device/);
    assert.equal(subCount(sub.endpoint), 0);
    await ctx.close();
  } finally {
    await browser.close();
  }
});
