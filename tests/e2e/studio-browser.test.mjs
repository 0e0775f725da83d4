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
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { BASE, outputDir } from './helpers.mjs';

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const DB = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';
const REDIS = process.env.SOUK_TEST_REDIS_URL || 'redis://127.0.0.1:16379';
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
const ROLE = { BUYER: 1, SELLER: 2, MODERATOR: 4 };
let browser;

after(async () => {
  if (browser) await browser.close();
});

function sql(query, ...params) {
  const args = ['-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', DB];
  params.forEach((p, i) => args.push('-v', `v${i + 1}=${p}`));
  return execFileSync('psql', args, { input: query, encoding: 'utf8' }).trim();
}
function redis(...args) {
  return execFileSync('redis-cli', ['-u', REDIS, ...args.map(String)], { encoding: 'utf8' }).trim();
}

/** A user made with psql and a session token written into Redis. */
function user(tag, roles) {
  const handle = `sb_${tag}_${RUN}`.slice(0, 32);
  const id = Number(sql("INSERT INTO users (email, handle) VALUES (:'v1', :'v2') RETURNING id",
    `${handle}@example.test`, handle));
  let mask = 1 << ROLE.BUYER;
  for (const r of roles) {
    sql("INSERT INTO user_roles (user_id, role) VALUES (:'v1', :'v2')", id, r);
    mask |= 1 << ROLE[r];
  }
  if (roles.includes('SELLER'))
    sql("INSERT INTO profiles (user_id, display_name, country) VALUES (:'v1', :'v2', 'ZA')", id, `Seller ${RUN}`);
  if (roles.includes('MODERATOR'))
    sql("INSERT INTO user_totp (user_id, secret_sealed, confirmed_at) VALUES (:'v1', 'e2e-not-a-secret', now())", id);
  const token = randomBytes(32).toString('base64url');
  const key = 'sess:' + createHash('sha256').update(token).digest('hex');
  const now = Math.floor(Date.now() / 1000);
  redis('HSET', key, 'uid', id, 'handle', handle, 'roles', mask, 'csrf', randomBytes(32).toString('hex'),
    'created', now, 'seen', now, 'abs_exp', now + 43200, 'remember', 0);
  redis('EXPIRE', key, 7200);
  redis('SADD', `usess:${id}`, key);
  return { id, handle, token };
}

/** A small valid PNG (80x50, a gradient), written by hand with zlib. */
function writePng(path) {
  const w = 80, h = 50;
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      raw[row + 1 + x * 3] = (x * 3) & 0xff;
      raw[row + 2 + x * 3] = (y * 5) & 0xff;
      raw[row + 3 + x * 3] = 160;
    }
  }
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  writeFileSync(path, png);
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
