// The seller studio in a real browser (Debian's chromium driven by
// playwright-core): a seller completes the wizard including an image
// upload in the gallery step and waits for the thumbnail made by
// souk-worker, submits; a moderator (2FA by a user_totp row, session in
// Redis) requests changes; the seller reads the note, fixes the title and
// resubmits; the moderator approves; the gig is found by search and its
// page shows the packages and the extras.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import {
  BASE, outputDir, insertUser, pngBytes, postAs, redisSession, runTag, sql,
} from './helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const RUN = runTag();
let browser;

after(async () => {
  if (browser) await browser.close();
});

/** A user made with psql (staff with 2FA, sellers with a profile) and a session token written into Redis. */
function user(tag, roles) {
  const u = insertUser(`sb_${tag}_${RUN}`.slice(0, 32), roles, { profile: { display_name: `Seller ${RUN}`, country: 'ZA' } });
  return { id: u.id, handle: u.handle, token: redisSession(u).token };
}

/** A small valid PNG (80x50, a gradient) written to @path. */
function writePng(path) {
  writeFileSync(path, pngBytes(80, 50));
}

async function contextFor(u) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const url = new URL(BASE);
  await ctx.addCookies([{ name: 'souk_sess', value: u.token, domain: url.hostname, path: '/', httpOnly: true }]);
  return ctx;
}

/** Click the submit button @button and wait for the navigation it causes. */
async function submit(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

test('wizard with an image, moderation round trip, search', {
  skip: !existsSync(executablePath) && `no ${executablePath}`, timeout: 60000,
}, async () => {
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
      '--disable-dev-shm-usage'],
  });
  const word = `zorb${RUN.replace(/[^a-z]/g, '')}`.slice(0, 14);
  const seller = user('s', ['SELLER']);
  const mod = user('m', ['MODERATOR']);
  const png = join(outputDir(), `studio-browser-${RUN}.png`);
  writePng(png);

  const sctx = await contextFor(seller);
  const sp = await sctx.newPage();
  sp.setDefaultTimeout(15000);
  const form = (s = '') => sp.locator(`form.onboard-form${s}`);

  // 1. overview
  let res = await sp.goto(`${BASE}/studio/gigs/new`);
  assert.equal(res.status(), 200);
  await sp.fill('#title', `I will draw a ${word} logo badly`);
  const cat = await sp.locator('select[name=category_id] option[value]:not([value=""])').first().getAttribute('value');
  await sp.selectOption('select[name=category_id]', cat);
  await sp.fill(`form.onboard-form [name=tags]`, 'logo, branding');
  await submit(sp, form().locator('button[type=submit]'));
  const m = sp.url().match(/\/studio\/gigs\/(\d+)\/pricing$/);
  assert.ok(m, `to pricing: ${sp.url()}`);
  const id = m[1];

  // 2. pricing
  const P = {
    basic_name: 'Starter', basic_description: 'One concept', basic_days: '5', basic_revisions: '1', basic_price: '25',
    standard_name: 'Standard', standard_description: 'Two concepts', standard_days: '4', standard_revisions: '3', standard_price: '50',
    premium_name: 'Premium', premium_description: 'Five concepts', premium_days: '3', premium_revisions: 'unlimited', premium_price: '120',
    feature_1: 'Source file',
  };
  for (const [k, v] of Object.entries(P)) {
    if (k.endsWith('_revisions')) await sp.selectOption(`[name=${k}]`, v);
    else await sp.fill(`form.onboard-form [name=${k}]`, v);
  }
  for (const k of ['standard_f1', 'premium_f1']) await sp.check(`[name=${k}]`);
  await submit(sp, form().locator('button[type=submit]'));
  assert.match(sp.url(), /\/extras$/, 'to extras');

  // 3. extras
  await sp.fill(`form.onboard-form [name=custom_1_title]`, 'Social media kit');
  await sp.fill(`form.onboard-form [name=custom_1_price]`, '30');
  await sp.fill(`form.onboard-form [name=custom_1_days]`, '2');
  await submit(sp, form().locator('button[type=submit]'));
  assert.match(sp.url(), /\/description$/, 'to description');

  // 4. description
  await sp.fill(`form.onboard-form [name=description]`, `## What you get\n\nA **${word}** logo.`);
  await submit(sp, form().locator('button[type=submit]'));
  assert.match(sp.url(), /\/requirements$/, 'to requirements');

  // 5. requirements
  await sp.fill(`form.onboard-form [name=req_1_q]`, 'What is your business called?');
  await submit(sp, form().locator('button[type=submit]'));

  // 6. gallery: upload an image, wait for the worker's thumbnail
  await sp.goto(`${BASE}/studio/gigs/${id}/gallery`);
  await sp.setInputFiles('#file', png);
  await sp.fill('#alt', 'A sample badge');
  await submit(sp, sp.locator('form[enctype="multipart/form-data"] button[type=submit]'));
  assert.match(sp.url(), /\/gallery$/);
  const thumb = sp.locator('.gallery-item__thumb').first();
  const deadline = Date.now() + 20000;
  let src = await thumb.getAttribute('src');
  while (!/^\/media\/public\//.test(src || '') && Date.now() < deadline) {
    await sp.waitForTimeout(500);
    await sp.reload();
    src = await thumb.getAttribute('src');
  }
  assert.match(src || '', /^\/media\/public\//, 'the thumbnail replaced the placeholder');
  assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail loads');
  await sp.screenshot({ path: join(outputDir(), 'studio-gallery.png'), fullPage: true });

  // 7. publish: the preview shows the packages and the extras
  await sp.goto(`${BASE}/studio/gigs/${id}/publish`);
  assert.equal(await sp.locator('table.pkg-table thead .pkg-table__tier').count(), 3);
  assert.match(await sp.locator('.studio-extras').textContent(), /Social media kit/);
  await submit(sp, sp.locator(`form[action="/studio/gigs/${id}/submit"] button`));
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'pending_review');

  // the moderator asks for changes
  const mctx = await contextFor(mod);
  const mp = await mctx.newPage();
  mp.setDefaultTimeout(15000);
  res = await mp.goto(`${BASE}/admin/moderation/${id}`);
  assert.equal(res.status(), 200);
  await mp.fill('#reason-changes', 'Please fix the word "badly" in the title');
  await submit(mp, mp.locator(`form[action="/admin/moderation/${id}/request-changes"] button`));
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'requires_changes');

  // the seller reads the note, fixes the title, resubmits
  await sp.goto(`${BASE}/studio/gigs/${id}/publish`);
  assert.match(await sp.locator('main').textContent(), /Please fix the word "badly" in the title/);
  await sp.goto(`${BASE}/studio/gigs/${id}/overview`);
  await sp.fill('#title', `I will draw a ${word} logo`);
  await submit(sp, form().locator('button[type=submit]'));
  await sp.goto(`${BASE}/studio/gigs/${id}/publish`);
  await submit(sp, sp.locator(`form[action="/studio/gigs/${id}/submit"] button`));
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'pending_review');

  // the moderator approves
  await mp.goto(`${BASE}/admin/moderation/${id}`);
  await submit(mp, mp.locator(`form[action="/admin/moderation/${id}/approve"] button`));
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'active');

  // anyone finds it by search; its page has the packages and the extras
  const bctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const bp = await bctx.newPage();
  bp.setDefaultTimeout(15000);
  res = await bp.goto(`${BASE}/search?q=${word}`);
  assert.equal(res.status(), 200);
  const card = bp.locator('.gig-card').filter({ hasText: `I will draw a ${word} logo` });
  assert.equal(await card.count(), 1, 'the gig is found by search');
  const cardImg = await card.locator('img').first().getAttribute('src');
  assert.match(cardImg || '', /^\/media\/public\//, 'the card shows the uploaded image');
  await submit(bp, card.locator('.gig-card__title a'));
  assert.equal((await bp.locator('h1.gig-header__title').textContent()).trim(), `I will draw a ${word} logo`);
  const heads = await bp.locator('table.pkg-table thead .pkg-table__tier').allTextContents();
  assert.deepEqual(heads.map((s) => s.trim()), ['Basic', 'Standard', 'Premium']);
  assert.match(await bp.locator('.gig-extras').textContent(), /Social media kit/, 'the public page lists the extras');
  await bp.screenshot({ path: join(outputDir(), 'studio-browser-gig.png'), fullPage: true });
  await Promise.all([sctx.close(), mctx.close(), bctx.close()]);
});

// The gallery step without a browser: bad types, limits, order, cover, alt, removal.
test('gallery: bad type refused, limits, reorder, cover, remove', async () => {
  const s = user('g', ['SELLER']);
  const cookie = `souk_sess=${s.token}`;
  const cat = sql('SELECT id FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1');
  const form = await (await fetch(`${BASE}/studio/gigs/new`, { headers: { cookie } })).text();
  const made = await fetch(`${BASE}/studio/gigs/new`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: form.match(/name="csrf" value="([0-9a-f]{64})"/)[1],
      title: 'Gallery test gig', category_id: cat, tags: 'logo', lang: 'en', currency: 'ZAR' }).toString(),
  });
  assert.equal(made.status, 303);
  const id = made.headers.get('location').match(/\/studio\/gigs\/(\d+)\//)[1];
  const base = `${BASE}/studio/gigs/${id}/gallery`;
  const getPage = async () => {
    const r = await fetch(base, { headers: { cookie }, redirect: 'manual' });
    assert.equal(r.status, 200);
    return r.text();
  };
  const csrf = (html) => html.match(/name="csrf" value="([0-9a-f]{64})"/)[1];
  const upload = async (name, bytes, type) => {
    const fd = new FormData();
    fd.append('csrf', csrf(await getPage()));
    fd.append('alt', `alt of ${name}`);
    fd.append('file', new Blob([bytes], { type }), name);
    return fetch(base, { method: 'POST', body: fd, headers: { cookie }, redirect: 'manual' });
  };
  const post = async (path) => fetch(`${base}/${path}`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: csrf(await getPage()) }).toString(),
  });
  const items = () => sql("SELECT coalesce(string_agg(id || ':' || kind || ':' || position, ',' ORDER BY position), '') FROM gig_media WHERE gig_id = :'v1'", id);
  const media = () => Number(sql("SELECT count(*) FROM media WHERE owner_id = :'v1'", s.id));

  // an .exe renamed .jpg: 422 with media's message, nothing stored
  const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), randomBytes(200)]);
  let r = await upload('setup.jpg', exe, 'image/jpeg');
  assert.equal(r.status, 422);
  assert.match(await r.text(), /This file is not/);
  assert.equal(items(), '');
  assert.equal(media(), 0);

  const png = join(outputDir(), `gallery-${RUN}.png`);
  writePng(png);
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(png);
  for (let i = 1; i <= 3; i++) {
    r = await upload(`p${i}.png`, bytes, 'image/png');
    assert.equal(r.status, 303, `upload ${i}`);
  }
  r = await upload('p4.png', bytes, 'image/png');
  assert.equal(r.status, 409, 'a fourth image is refused');
  assert.match(await r.text(), /at most 3 images/);
  assert.equal(media(), 3, 'the refused image left no media row');
  const ids = items().split(',').map((x) => x.split(':')[0]);
  assert.equal(ids.length, 3);
  assert.match(await getPage(), /processing\.svg|\/media\/public\//);

  // order: down, up, cover
  assert.equal((await post(`${ids[0]}/down`)).status, 303);
  assert.deepEqual(items().split(',').map((x) => x.split(':')[0]), [ids[1], ids[0], ids[2]]);
  assert.equal((await post(`${ids[2]}/up`)).status, 303);
  assert.deepEqual(items().split(',').map((x) => x.split(':')[0]), [ids[1], ids[2], ids[0]]);
  assert.equal((await post(`${ids[0]}/cover`)).status, 303);
  assert.deepEqual(items().split(',').map((x) => x.split(':')[0]), [ids[0], ids[1], ids[2]]);
  assert.equal(items().split(',').map((x) => x.split(':')[2]).join(','), '0,1,2');

  // remove: the row and its media go
  assert.equal((await post(`${ids[1]}/remove`)).status, 303);
  assert.deepEqual(items().split(',').map((x) => x.split(':')[0]), [ids[0], ids[2]]);
  assert.equal(media(), 2);
  assert.equal((await post('999999999/remove')).status, 404);

  // another seller's gig is 404
  const other = user('o', ['SELLER']);
  r = await fetch(base, { headers: { cookie: `souk_sess=${other.token}` }, redirect: 'manual' });
  assert.equal(r.status, 404);
});

// Drag to reorder (static/js/gallery-order.js): with JavaScript on, dragging
// the first file below the last sends the new order, which a reload shows.
test('gallery: drag to reorder in the browser, kept after reload', {
  skip: !existsSync(executablePath) && `no ${executablePath}`, timeout: 60000,
}, async () => {
  if (!browser) {
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
        '--disable-dev-shm-usage'],
    });
  }
  const u = insertUser(`sb_d_${RUN}`.slice(0, 32), ['SELLER']);
  const s = redisSession(u);
  const cat = sql('SELECT id FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1');
  const made = await postAs(s, '/studio/gigs/new', { title: `Drag test gig ${RUN}`, category_id: cat, tags: 'logo', lang: 'en', currency: 'USD' });
  assert.equal(made.status, 303);
  const id = made.headers.get('location').match(/\/studio\/gigs\/(\d+)\//)[1];
  for (let i = 1; i <= 3; i++) {
    const fd = new FormData();
    fd.append('csrf', s.csrf);
    fd.append('alt', `drag ${i}`);
    fd.append('file', new Blob([pngBytes()], { type: 'image/png' }), `d${i}.png`);
    const r = await fetch(`${BASE}/studio/gigs/${id}/gallery`, { method: 'POST', body: fd, headers: { cookie: s.cookie }, redirect: 'manual' });
    assert.equal(r.status, 303, `upload ${i}`);
  }
  const order = () => sql("SELECT string_agg(id::text, ',' ORDER BY position, id) FROM gig_media WHERE gig_id = :'v1'", id);
  const [a, b, c] = order().split(',');

  // tall enough that the whole list is on screen: no scrolling in the middle of a drag
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 2400 }, locale: 'en-US' });
  await ctx.addCookies([{ name: 'souk_sess', value: s.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await p.goto(`${BASE}/studio/gigs/${id}/gallery`);
  const domOrder = () => p.locator('ol.gallery-items > li.gallery-item').evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.deepEqual(await domOrder(), [a, b, c]);
  assert.equal(await p.locator('li.gallery-item').first().getAttribute('draggable'), 'true', 'the script made the items draggable');
  assert.ok(await p.locator('#gallery-order-hint').isVisible(), 'the drag hint shows with JavaScript');
  // the keyboard fallback stays
  assert.equal(await p.locator(`form[action="/studio/gigs/${id}/gallery/${a}/down"] button`).count(), 1);

  const last = p.locator(`li.gallery-item[data-id="${c}"]`);
  await p.evaluate(() => window.scrollTo(0, 0));
  const box = await last.boundingBox();
  await Promise.all([
    p.waitForNavigation({ waitUntil: 'load' }),
    p.locator(`li.gallery-item[data-id="${a}"] .gallery-item__thumb`).dragTo(last, {
      targetPosition: { x: 20, y: Math.max(1, box.height - 4) },
    }),
  ]);
  assert.equal(order(), `${b},${c},${a}`, 'the new order is stored');
  await p.reload();
  assert.deepEqual(await domOrder(), [b, c, a], 'and shown after a reload');
  assert.match(await p.locator(`li.gallery-item[data-id="${b}"]`).textContent(), /Cover/, 'the new first image is the cover');
  assert.deepEqual(errors, [], 'no script error (CSP included)');
  await ctx.close();
});
