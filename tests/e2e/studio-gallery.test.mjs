// The gallery step of the gig wizard (src/studio/gallery.c) beyond the
// basics of studio-browser.test.mjs: the order endpoint behind the
// drag-and-drop script (exactly the gig's items, else 422), changes to the
// gallery of a live gig held for review while buyers keep the approved one
// (then applied by approval, dropped by denial), no orphan file on disk after
// refused uploads and removals, and uploads past nginx's 12m default body
// limit on the upload route only (a video up to 100 MB).
//
// Users and sessions are made with psql and Redis (helpers.mjs); the stack
// is ./dev test's (SOUK_MEDIA_ROOT: the media store; SOUK_UPLOAD_TMP: the
// multipart temporary files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  BASE, as, get, insertUser, postAs, pngBytes, redisSession, runTag, sql, until,
} from './helpers.mjs';

const RUN = runTag();
const MEDIA_ROOT = process.env.SOUK_MEDIA_ROOT ? resolve(process.env.SOUK_MEDIA_ROOT) : null;
const UPLOAD_TMP = process.env.SOUK_UPLOAD_TMP ? resolve(process.env.SOUK_UPLOAD_TMP) : null;
const MB = 1024 * 1024;
let seq = 0;

/** A signed-in user of @roles: {id, handle, roles, s (session)}. */
function person(roles) {
  const u = insertUser(`sg_${++seq}_${RUN}`.slice(0, 32), roles);
  return { ...u, s: redisSession(u) };
}

/** A new draft gig of @u made through the wizard's first step: its id. */
async function newGig(u) {
  const cat = sql('SELECT id FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1');
  const res = await postAs(u.s, '/studio/gigs/new', {
    title: `Gallery gig ${RUN} ${++seq}`, category_id: cat, tags: 'logo', lang: 'en', currency: 'USD',
  });
  assert.equal(res.status, 303, `new gig: ${res.status} ${res.text_.slice(0, 300)}`);
  return Number(res.headers.get('location').match(/\/studio\/gigs\/(\d+)\//)[1]);
}

/** Upload @bytes as @name to the gallery of gig @id (multipart, like the form). */
function upload(u, id, name, bytes, type = 'application/octet-stream', alt = `alt of ${name}`) {
  const fd = new FormData();
  fd.append('csrf', u.s.csrf);
  fd.append('alt', alt);
  fd.append('file', new Blob([bytes], { type }), name);
  return get(`/studio/gigs/${id}/gallery`, { method: 'POST', body: fd, headers: { cookie: u.s.cookie }, timeout: 120000 });
}

/** The live gallery (gig_media) of gig @id: item ids in order. */
const live = (id) => sql("SELECT coalesce(string_agg(id::text, ',' ORDER BY position, id), '') FROM gig_media WHERE gig_id = :'v1'", id);
/** The held gallery (pending_changes.media) of gig @id: item ids in order, or ''. */
const held = (id) => sql(`SELECT coalesce(string_agg(e->>'id', ',' ORDER BY n), '')
  FROM gigs g, jsonb_array_elements(CASE WHEN jsonb_typeof(g.pending_changes->'media') = 'array'
    THEN g.pending_changes->'media' ELSE '[]' END) WITH ORDINALITY AS x(e, n) WHERE g.id = :'v1'`, id);
/** The storage key of the media of gallery item @item. */
const keyOf = (item) => sql("SELECT m.storage_key FROM gig_media gm JOIN media m ON m.id = gm.media_id WHERE gm.id = :'v1'", item);
const mediaCount = (owner) => Number(sql("SELECT count(*) FROM media WHERE owner_id = :'v1'", owner));

/** Every file under @dir, as paths relative to it. */
function files(dir) {
  if (!dir || !existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** The files of storage key @key on disk: the original and the variants. */
const filesOfKey = (key) => files(MEDIA_ROOT).filter((f) => f.includes(key));

/**
 * Files of the media store that belong to no media row (an upload being
 * committed right now by another test may show for a moment: wait for it).
 */
async function orphans() {
  const find = () => {
    const keys = new Set(sql('SELECT storage_key FROM media').split('\n').filter(Boolean));
    return files(MEDIA_ROOT).filter((f) => {
      const m = f.match(/^(?:private|public)\/([0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]+)/);
      return !m || !keys.has(m[1]);
    });
  };
  let left = find();
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const again = new Set(find());
    left = left.filter((f) => again.has(f));
  }
  return left;
}

/** Send @head and @body over a raw socket; resolves with the whole response text once it ends. */
function rawRequest(head, body = '') {
  const url = new URL(BASE);
  return new Promise((resolve, reject) => {
    const chunks = [];
    const sock = net.connect({ host: url.hostname, port: Number(url.port || 80) }, () => sock.write(head + body));
    sock.setTimeout(20000, () => { sock.destroy(); reject(new Error('timeout')); });
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', (e) => (chunks.length ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(e)));
  });
}

/** A file libmagic takes for an MP4 video: an ftyp box, then an mdat box of zeros up to @size bytes. */
function mp4(size) {
  const b = Buffer.alloc(size);
  Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0,
    0x69, 0x73, 0x6f, 0x6d, 0x69, 0x73, 0x6f, 0x32]).copy(b, 0);
  b.writeUInt32BE(size - 24, 24);
  b.write('mdat', 28, 'latin1');
  return b;
}

test('order endpoint: the whole order at once, exactly the gig\'s items', async () => {
  const u = person(['SELLER']);
  const id = await newGig(u);
  for (let i = 1; i <= 3; i++) assert.equal((await upload(u, id, `o${i}.png`, pngBytes(), 'image/png')).status, 303);
  const [a, b, c] = live(id).split(',');
  const order = (value, headers = { 'x-requested-with': 'fetch' }) =>
    postAs(u.s, `/studio/gigs/${id}/gallery/order`, { order: value }, headers);

  let res = await order(`${c},${a},${b}`);
  assert.equal(res.status, 204, 'a script gets 204');
  assert.equal(live(id), `${c},${a},${b}`);
  assert.equal(sql("SELECT string_agg(position::text, ',' ORDER BY position) FROM gig_media WHERE gig_id = :'v1'", id), '0,1,2');
  res = await order(`${a},${b},${c}`, {});
  assert.equal(res.status, 303, 'a form post is redirected');
  assert.equal(res.headers.get('location'), `/studio/gigs/${id}/gallery`);
  assert.equal(live(id), `${a},${b},${c}`);

  for (const bad of [`${a},${b}`, `${a},${a},${b}`, `${a},${b},${c},${c}`, `${a},${b},999999999`, `${a},${b},${c},`,
    `,${a},${b},${c}`, `${a};${b};${c}`, 'x', '', `${a},${b},-${c}`]) {
    res = await order(bad);
    assert.equal(res.status, 422, `order "${bad}" → 422`);
    assert.match(res.text_, /each file of the gallery exactly once/);
  }
  assert.equal(live(id), `${a},${b},${c}`, 'bad orders changed nothing');

  const other = person(['SELLER']);
  res = await postAs(other.s, `/studio/gigs/${id}/gallery/order`, { order: `${c},${b},${a}` });
  assert.equal(res.status, 404, 'another seller\'s gig');
  res = await get(`/studio/gigs/${id}/gallery/order`, {
    method: 'POST', body: new URLSearchParams({ order: `${c},${b},${a}` }), headers: { cookie: u.s.cookie },
  });
  assert.equal(res.status, 403, 'no CSRF token');
  assert.equal(live(id), `${a},${b},${c}`);

  // the page loads the script (external, deferred) and marks the list for it
  const html = (await as(u.s, `/studio/gigs/${id}/gallery`)).text_;
  assert.match(html, /<script src="\/static\/js\/gallery-order\.js" defer><\/script>/);
  assert.match(html, new RegExp(`<ol class="gallery-items" data-order-url="/studio/gigs/${id}/gallery/order"`));
  const js = await get('/static/js/gallery-order.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') || '', /javascript/);
});

test('a live gig: gallery changes wait for review, approval applies them, denial drops them', async () => {
  const u = person(['SELLER']);
  const mod = person(['MODERATOR']);
  const id = await newGig(u);
  for (let i = 1; i <= 2; i++) assert.equal((await upload(u, id, `l${i}.png`, pngBytes(), 'image/png')).status, 303);
  const [a, b] = live(id).split(',');
  sql(`INSERT INTO gig_packages (gig_id, tier, name, price_minor, currency, delivery_days)
       VALUES (:'v1', 'basic', 'Basic logo', 2500, 'USD', 3)`, id);
  sql("UPDATE gigs SET status = 'active', approved_at = now(), pending_changes = NULL WHERE id = :'v1'", id);
  const keyA = keyOf(a);

  // add, reorder, remove: all held; buyers keep a, b
  assert.equal((await upload(u, id, 'l3.png', pngBytes(), 'image/png')).status, 303);
  assert.equal(live(id), `${a},${b}`, 'the live gallery is unchanged');
  const [, , c] = held(id).split(',');
  assert.equal(held(id), `${a},${b},${c}`, 'the new image is held');
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'active', 'the gig stays listed');
  let res = await postAs(u.s, `/studio/gigs/${id}/gallery/order`, { order: `${c},${b},${a}` }, { 'x-requested-with': 'fetch' });
  assert.equal(res.status, 204);
  assert.equal(held(id), `${c},${b},${a}`);
  res = await postAs(u.s, `/studio/gigs/${id}/gallery/${b}/cover`);
  assert.equal(res.status, 303);
  assert.equal(held(id), `${b},${c},${a}`, 'cover: held too');
  res = await postAs(u.s, `/studio/gigs/${id}/gallery/${a}/remove`);
  assert.equal(res.status, 303);
  assert.equal(held(id), `${b},${c}`);
  assert.equal(live(id), `${a},${b}`, 'buyers still see the approved gallery');
  assert.equal(sql("SELECT count(*) FROM media WHERE storage_key = :'v1'", keyA), '1', 'the removed live image is kept until approval');
  res = await postAs(u.s, `/studio/gigs/${id}/gallery/${c}/alt`, { alt: 'The held alt text' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT alt FROM gig_media WHERE id = :'v1'", b), 'alt of l2.png');

  // the seller sees the held list with a notice; the moderator sees it in the queue and on the gig
  const page = (await as(u.s, `/studio/gigs/${id}/gallery`)).text_;
  assert.match(page, /id="gallery-held"/);
  assert.deepEqual([...page.matchAll(/<li class="gallery-item" data-id="(\d+)"/g)].map((m) => m[1]), [b, c]);
  const queue = (await as(mod.s, '/admin/moderation')).text_;
  assert.ok(queue.includes(`/admin/moderation/${id}`), 'the edit is in the moderation queue');
  const review = await as(mod.s, `/admin/moderation/${id}`);
  assert.equal(review.status, 200);
  assert.ok(review.text_.includes('The held alt text'), 'the moderator sees the held gallery');

  // approval: the held list becomes the gallery; the removed image and its files go
  res = await postAs(mod.s, `/admin/moderation/${id}/approve`);
  assert.equal(res.status, 303);
  assert.equal(live(id), `${b},${c}`);
  assert.equal(held(id), '');
  assert.equal(sql("SELECT pending_changes IS NULL FROM gigs WHERE id = :'v1'", id), 't');
  assert.equal(sql("SELECT alt FROM gig_media WHERE id = :'v1'", c), 'The held alt text');
  assert.equal(sql("SELECT count(*) FROM media WHERE storage_key = :'v1'", keyA), '0', 'the removed image\'s row is deleted');
  if (MEDIA_ROOT) assert.deepEqual(await until(() => filesOfKey(keyA).length === 0 && [], 10000) || filesOfKey(keyA), [],
    'and its files');

  // denial: a held upload is dropped with its files
  assert.equal((await upload(u, id, 'l4.png', pngBytes(), 'image/png')).status, 303);
  const d = held(id).split(',')[2];
  const keyD = sql(`SELECT m.storage_key FROM gigs g, jsonb_array_elements(g.pending_changes->'media') e
    JOIN media m ON m.id = (e->>'media_id')::bigint WHERE g.id = :'v1' AND e->>'id' = :'v2'`, id, d);
  assert.ok(keyD);
  res = await postAs(mod.s, `/admin/moderation/${id}/deny`, { reason: 'Not this image, please.' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'active', 'a denied edit leaves the gig listed');
  assert.equal(live(id), `${b},${c}`);
  assert.equal(held(id), '');
  assert.equal(sql("SELECT count(*) FROM media WHERE storage_key = :'v1'", keyD), '0');
  if (MEDIA_ROOT) assert.deepEqual(await until(() => filesOfKey(keyD).length === 0 && [], 10000) || filesOfKey(keyD), []);

  // undoing a change by hand clears the hold
  res = await postAs(u.s, `/studio/gigs/${id}/gallery/order`, { order: `${c},${b}` }, { 'x-requested-with': 'fetch' });
  assert.equal(res.status, 204);
  assert.equal(held(id), `${c},${b}`);
  res = await postAs(u.s, `/studio/gigs/${id}/gallery/order`, { order: `${b},${c}` }, { 'x-requested-with': 'fetch' });
  assert.equal(sql("SELECT pending_changes IS NULL FROM gigs WHERE id = :'v1'", id), 't', 'back to the live gallery: nothing held');
});

test('no orphan file: refused uploads and removed items leave nothing on disk', { skip: !MEDIA_ROOT && 'SOUK_MEDIA_ROOT not set' }, async () => {
  const u = person(['SELLER']);
  const id = await newGig(u);

  // a 20 MB image where 10 MB is the limit: a PNG header and zeros
  const big = Buffer.alloc(20 * MB);
  pngBytes().copy(big, 0, 0, 33);
  let res = await upload(u, id, 'huge.png', big, 'image/png');
  assert.equal(res.status, 422);
  assert.match(res.text_, /This image is 20\.0 MB; images may be at most 10 MB\./);
  // an .exe renamed .jpg
  res = await upload(u, id, 'setup.jpg', Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), randomBytes(4000)]), 'image/jpeg');
  assert.equal(res.status, 422);
  assert.match(res.text_, /This file is not a JPEG, PNG, WebP or GIF image, an MP4, WebM or QuickTime video, or a PDF document\./);
  // an empty file
  res = await upload(u, id, 'empty.png', Buffer.alloc(0), 'image/png');
  assert.ok([422].includes(res.status), `empty file → ${res.status}`);
  // a truncated multipart body: the file part never ends
  const B = '----soukGalleryTrunc7MA4';
  const body = `--${B}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${u.s.csrf}\r\n` +
    `--${B}\r\nContent-Disposition: form-data; name="file"; filename="cut.png"\r\nContent-Type: image/png\r\n\r\n` +
    pngBytes().toString('latin1') + 'x'.repeat(200000);
  res = await get(`/studio/gigs/${id}/gallery`, {
    method: 'POST', body: Buffer.from(body, 'latin1'),
    headers: { cookie: u.s.cookie, 'content-type': `multipart/form-data; boundary=${B}` },
  });
  assert.equal(res.status, 400, 'truncated multipart');
  assert.equal(mediaCount(u.id), 0, 'no media row for any refused upload');
  assert.equal(live(id), '');

  // an accepted image, processed by souk-worker, then removed
  assert.equal((await upload(u, id, 'keep.png', pngBytes(), 'image/png')).status, 303);
  const item = live(id);
  const key = keyOf(item);
  const ready = await until(() => sql("SELECT status FROM media WHERE storage_key = :'v1'", key) !== 'processing', 30000);
  assert.ok(ready, 'souk-worker processed the image');
  assert.ok(filesOfKey(key).length >= 2, `the original and its variants are on disk: ${filesOfKey(key)}`);
  res = await postAs(u.s, `/studio/gigs/${id}/gallery/${item}/remove`);
  assert.equal(res.status, 303);
  assert.equal(mediaCount(u.id), 0);
  assert.deepEqual(filesOfKey(key), [], 'the removed item\'s files are gone');

  assert.deepEqual(await orphans(), [], 'every file of the media store belongs to a media row');
  if (UPLOAD_TMP) {
    const left = await until(() => files(UPLOAD_TMP).length === 0 && [], 10000);
    assert.deepEqual(left || files(UPLOAD_TMP), [], 'no multipart temporary file is left');
  }
});

test('the upload route takes a video past 12 MB; past its own limit nginx answers 413', async () => {
  const u = person(['SELLER']);
  const id = await newGig(u);
  const res = await upload(u, id, 'clip.mp4', mp4(13 * MB), 'video/mp4');
  assert.equal(res.status, 303, `a 13 MB video reaches souk-web: ${res.status} ${res.text_.slice(0, 300)}`);
  assert.equal(sql("SELECT kind || ':' || bytes FROM media WHERE owner_id = :'v1'", u.id), `video:${13 * MB}`);

  // over 101m: refused by nginx from the headers, with the upload's own page
  let text = await rawRequest(`POST /studio/gigs/${id}/gallery HTTP/1.1\r\nHost: ${new URL(BASE).host}\r\n` +
    `Cookie: ${u.s.cookie}\r\nContent-Type: multipart/form-data; boundary=x\r\n` +
    `Content-Length: ${110 * MB}\r\nConnection: close\r\n\r\n`);
  assert.match(text, /^HTTP\/1\.[01] 413/);
  assert.match(text, /That file is too large/);
  assert.match(text, /A video may be at most 100 MB/);
  // other routes keep 12m
  text = await rawRequest(`POST /studio/gigs/${id}/gallery/order HTTP/1.1\r\nHost: ${new URL(BASE).host}\r\n` +
    `Cookie: ${u.s.cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
    `Content-Length: ${13 * MB}\r\nConnection: close\r\n\r\n`);
  assert.match(text, /^HTTP\/1\.[01] 413/);
  assert.doesNotMatch(text, /A video may be at most 100 MB/);
});
