// The installable PWA (issue 6) in Debian's chromium (playwright-core):
//   - /static/manifest.webmanifest has what Chromium's install criteria ask
//     (id, name, short_name, start_url, scope, display standalone, theme and
//     background colours, PNG icons 192 and 512 of those real sizes, a
//     maskable one), every icon is fetchable with its declared type and size,
//     and Chromium itself reports no installability error (CDP
//     Page.getInstallabilityErrors);
//   - /sw.js is served at the root (JavaScript, Cache-Control: no-cache),
//     registers from app.js, controls the page and pre-caches the shell;
//   - offline (context.setOffline): a private page, or any page of a
//     signed-in visitor, gets /offline.html (en + zh); a public page seen
//     before while signed out comes from the cache; nothing private, /events
//     or /inbox is ever in the caches;
//   - a Web Push message (CDP ServiceWorker.deliverPushMessage) with the
//     payload {title, body, url, tag} shows a notification with that data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, get, insertUser, redisSession, runTag } from './helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const skip = !existsSync(executablePath) && `no ${executablePath}`;
const RUN = runTag();
let browser;
const LAUNCH_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'];

before(async () => {
  if (skip) return;
  browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS });
});
after(async () => { if (browser) await browser.close(); });

/** The width and height of PNG @buf (its IHDR). */
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

async function contextFor(token) {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-US' });
  if (token) await ctx.addCookies([{ name: 'souk_sess', value: token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  ctx.setDefaultTimeout(15000);
  return ctx;
}

/** Open @path in a new page of @ctx and wait until the service worker controls it. */
async function controlled(ctx, path) {
  const page = await ctx.newPage();
  await page.goto(BASE + path);
  await page.evaluate(() => navigator.serviceWorker.ready);
  // clients.claim() takes the open page; a reload is controlled in any case
  if (!(await page.evaluate(() => !!navigator.serviceWorker.controller))) await page.reload();
  assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker controls the page');
  return page;
}

test('the manifest meets the install criteria; its icons are real', { skip }, async () => {
  const res = await get('/static/manifest.webmanifest');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/manifest\+json/);
  const m = JSON.parse(res.text_);
  assert.equal(m.id, '/');
  assert.equal(m.name, 'Souk');
  assert.ok(m.short_name && m.short_name.length <= 12);
  assert.equal(m.start_url, '/');
  assert.equal(m.scope, '/');
  assert.equal(m.display, 'standalone');
  assert.match(m.theme_color, /^#[0-9a-f]{6}$/i);
  assert.match(m.background_color, /^#[0-9a-f]{6}$/i);
  const seen = new Set();
  for (const icon of m.icons) {
    const r = await fetch(BASE + icon.src);
    assert.equal(r.status, 200, icon.src);
    assert.equal(r.headers.get('content-type').split(';')[0], icon.type, `${icon.src} served as ${icon.type}`);
    const buf = Buffer.from(await r.arrayBuffer());
    if (icon.type === 'image/png') {
      const [w, h] = pngSize(buf);
      assert.equal(icon.sizes, `${w}x${h}`, `${icon.src} is ${w}x${h}`);
      for (const p of (icon.purpose || 'any').split(' ')) seen.add(`${p}:${w}`);
    } else {
      assert.match(buf.toString('utf8', 0, 200), /<svg/);
    }
  }
  for (const need of ['any:192', 'any:512', 'maskable:512']) assert.ok(seen.has(need), `a ${need} PNG icon`);

  // Chromium's own verdict, on a page with the service worker in control, in
  // a real profile (an incognito context is never installable)
  const dir = mkdtempSync(join(tmpdir(), 'souk-pwa-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath, args: LAUNCH_ARGS, viewport: { width: 1200, height: 800 }, locale: 'en-US',
  });
  try {
    const page = await controlled(ctx, '/');
    const cdp = await ctx.newCDPSession(page);
    const app = await cdp.send('Page.getAppManifest');
    assert.equal(app.errors.length, 0, `manifest errors: ${JSON.stringify(app.errors)}`);
    assert.ok(app.url.endsWith('/static/manifest.webmanifest'));
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], `installability: ${JSON.stringify(installabilityErrors)}`);
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/sw.js at the root: no-cache, registered, controls the page, shell pre-cached', { skip }, async () => {
  const res = await get('/sw.js');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /javascript/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.ok(res.headers.get('content-security-policy'), 'the server-level headers are kept');
  const off = await get('/offline.html');
  assert.equal(off.status, 200);
  assert.match(off.text_, /You are offline/);
  assert.match(off.text_, /离线/);

  const ctx = await contextFor(null);
  try {
    const page = await controlled(ctx, '/');
    const info = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration('/');
      const keys = await caches.keys();
      const shell = keys.find((k) => k.startsWith('souk-shell-'));
      const cached = shell ? (await (await caches.open(shell)).keys()).map((r) => new URL(r.url).pathname) : [];
      return { scope: reg.scope, script: reg.active && reg.active.scriptURL, keys, cached };
    });
    assert.equal(info.scope, BASE + '/');
    assert.equal(info.script, BASE + '/sw.js');
    for (const f of ['/static/css/souk.css', '/static/js/app.js', '/static/img/icon-192.png', '/offline.html']) {
      assert.ok(info.cached.includes(f), `${f} pre-cached (${info.cached.join(', ')})`);
    }
  } finally {
    await ctx.close();
  }
});

test('offline: the offline page for private pages and signed-in visitors, cached public pages, nothing private kept', { skip }, async () => {
  // a signed-out visitor: the home page is kept and shown offline
  const anon = await contextFor(null);
  try {
    const page = await controlled(anon, '/');
    await page.goto(BASE + '/'); // a controlled navigation: the worker keeps it
    await page.waitForTimeout(500);
    await anon.setOffline(true);
    await page.goto(BASE + '/');
    assert.ok(await page.locator('header.site-header').count() > 0);
    assert.equal(await page.locator('[data-offline]').count(), 0, 'the cached home page, not the offline page');
    await page.goto(BASE + '/inbox');
    await page.locator('[data-offline]').waitFor();
    assert.match(await page.locator('h1').innerText(), /You are offline/);
    assert.match(await page.locator('body').innerText(), /您当前处于离线状态/);
    await anon.setOffline(false);
  } finally {
    await anon.close();
  }

  // a signed-in visitor: pages are never kept, offline shows the offline page
  const u = insertUser(`pwa_${RUN}`);
  const s = redisSession(u);
  const ctx = await contextFor(s.token);
  try {
    const page = await controlled(ctx, '/');
    for (const p of ['/', '/inbox', '/orders', '/account']) await page.goto(BASE + p);
    await page.waitForTimeout(500);
    const kept = await page.evaluate(async () => {
      const out = [];
      for (const k of await caches.keys()) {
        for (const r of await (await caches.open(k)).keys()) out.push(new URL(r.url).pathname);
      }
      return out;
    });
    for (const p of kept) {
      assert.ok(p.startsWith('/static/') || p === '/offline.html', `only public files are kept: ${p}`);
    }
    await ctx.setOffline(true);
    for (const p of ['/', '/inbox', '/orders/1']) {
      await page.goto(BASE + p);
      await page.locator('[data-offline]').waitFor();
      assert.match(await page.title(), /offline/i, p);
    }
    await ctx.setOffline(false);
    await page.goto(BASE + '/');
    assert.equal(await page.locator('[data-offline]').count(), 0, 'back online');
  } finally {
    await ctx.close();
  }
});

test('a Web Push message shows a notification with its title, body, tag and url', { skip }, async () => {
  const ctx = await contextFor(null);
  try {
    await ctx.grantPermissions(['notifications'], { origin: BASE });
    const page = await controlled(ctx, '/');
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    const regId = await new Promise((ok) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
        const r = registrations.find((x) => x.scopeURL === BASE + '/' && !x.isDeleted);
        if (r) ok(r.registrationId);
      });
    });
    const payload = { title: `New message ${RUN}`, body: 'Hello from the seller', url: '/inbox/42', tag: 'conv-42' };
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: BASE, registrationId: regId, data: JSON.stringify(payload) });
    let shown = [];
    for (let i = 0; i < 50 && shown.length === 0; i++) {
      await page.waitForTimeout(100);
      shown = await page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
        .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data, icon: n.icon })));
    }
    assert.equal(shown.length, 1, 'one notification');
    assert.equal(shown[0].title, payload.title);
    assert.equal(shown[0].body, payload.body);
    assert.equal(shown[0].tag, payload.tag);
    assert.equal(shown[0].data.url, BASE + '/inbox/42');
    assert.match(shown[0].icon, /\/static\/img\/icon-192\.png$/);
  } finally {
    await ctx.close();
  }
});
