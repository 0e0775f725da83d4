// Uploaded media (src/media, sql/0009_media.sql): the "media.process" job of
// souk-worker and nginx's /media/ locations.  Uploads go through the wizard
// (its own tests); here a media row and its job are inserted with psql, as
// media_accept() does in the handler's transaction, with the original put
// where the local storage keeps it ($SOUK_MEDIA_ROOT/private/<key>).
// Against ./dev up: SOUK_MEDIA_ROOT=var/media SOUK_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:15432/souk
//   node --test tests/e2e/media.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BASE, until, sqlRows } from './helpers.mjs';

const ROOT = resolve(process.env.SOUK_MEDIA_ROOT || resolve(import.meta.dirname, '../../var/media'));
const RUN = `${process.pid}${Date.now().toString(36)}`;
const YEAR = 'max-age=31536000';

/** psql with :'name' variables (never pasted into SQL); rows as string arrays. */
const sql = sqlRows;

let owner;
function ownerId() {
  if (!owner) {
    [[owner]] = sql(`INSERT INTO users (email, handle) VALUES (:'email', :'handle') RETURNING id`,
      { email: `media${RUN}@souk.test`, handle: `media_${RUN}`.slice(0, 32) });
  }
  return owner;
}

/** Stores @bytes as an original and inserts its row (+ the job unless @job is false). */
function upload(bytes, kind, mime, { job = true, visibility = 'public' } = {}) {
  const hex = randomBytes(16).toString('hex');
  const key = `${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
  const path = join(ROOT, 'private', key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  const [[id]] = sql(`BEGIN;
    INSERT INTO media (owner_id, kind, mime, bytes, sha256, storage_key, visibility, original_name)
      VALUES (:'owner', :'kind', :'mime', :'bytes', :'sha', :'key', :'vis', 'holiday photo.jpg') RETURNING id \\gset
    ${job ? "INSERT INTO jobs (kind, payload) VALUES ('media.process', json_build_object('media_id', :'id'::bigint));" : ''}
    SELECT :'id';
    COMMIT;`, { owner: ownerId(), kind, mime, bytes: bytes.length, sha: createHash('sha256').update(bytes).digest('hex'), key, vis: visibility });
  return { id: Number(id), key };
}

/** Delete media @id and its original, as the application would (no orphan file left). */
function dropMedia(id, key) {
  sql("DELETE FROM media WHERE id = :'id'", { id });
  rmSync(join(ROOT, 'private', key), { force: true });
}

function row(id) {
  const [[status, variants]] = sql("SELECT status, variants FROM media WHERE id = :'id'", { id });
  return { status, variants: JSON.parse(variants) };
}

async function settled(id) {
  const r = await until(() => { const x = row(id); return x.status !== 'processing' && x; }, 60000);
  assert.ok(r, `media ${id} still processing after 60 s`);
  return r;
}

/** A JPEG (120x80, made by libvips) with an EXIF block spliced in after SOI. */
function jpegWithExif() {
  const jpeg = Buffer.from('/9j/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCABQAHgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDzZUqRUqRUqVUpRmTGZEqVIqVKqVIqVtGZ0RmRKlSKlSqlSKlbRmdEZkSpUipUqpUipW0Zm8ZkSpUipUqpUipW0ZnRGZEqVKqVIqVIqVtGZvGZGqVIqVIqVIqVtGZ0RmRqlFWFSitVM3Uzj1SpFSpVSpFSvjIzPz+MyJUqRUqVUqRUraMzeMyJUqRUqVUqRUreMzojMjVKkVKkVKkVK2jM6IzI1SpFSpFSpFStozN4zI1SpFSpFSpVStozOiMyJUqRUqVUqRUraMzojMiVKKsqlFaqZspnHKlSqlSKlSKlfGRmfn8ZkapUipUipUipW0ZnRGZGqVIqVIqVIqVtGZ0RmRqlSKlSqlSKlbxmbxmRKlSKlSqlSKlbRmdEZkSpUipUqpUipW0ZnRGZEqVIqVKqVIqVtGZvGZEqUVZVKK1UzdTOPVKkVKkVKlVK+MjM/P4zIlSpFSpVSpFStozN4zIlSpFSpVSpFStozOiMyJUqRUqVUqRUraMzojMiVKkVKlVKkVK2jM3jMiVKlVKkVKkVK3jM6IzI1SpFSpFSpFStozOiMyNUoqwqUVqpmymceqVIqVKqVIqV8ZGZ+fxmRKlSKlSqlSKlbRmdEZkSpUqpUipUipW0ZnRGZGqVIqVIqVIqVtGZvGZGqVIqVIqVIqVtGZ0RmRqlSKlSqlSKlbRmdEZkSpUipUqpUipW8Zm8ZkSpRVlUorVTN1M//9k=', 'base64');
  const secret = Buffer.from('SOUK-SECRET-GPS 48.8584N 2.2945E\0');
  // TIFF header (big endian) with one IFD entry: ImageDescription (0x010e), ASCII
  const ifd = Buffer.alloc(2 + 12 + 4);
  ifd.writeUInt16BE(1, 0);
  ifd.writeUInt16BE(0x010e, 2); ifd.writeUInt16BE(2, 4); ifd.writeUInt32BE(secret.length, 6);
  ifd.writeUInt32BE(8 + ifd.length, 10);
  const tiff = Buffer.concat([Buffer.from('MM\0\x2a\0\0\0\x08', 'latin1'), ifd, secret]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0); app1.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, body, jpeg.subarray(2)]);
}

/** A one-page PDF (200x100 pt, a filled rectangle) with a correct xref. */
function pdf() {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>',
  ];
  const stream = '0.2 0.4 0.8 rg 20 20 160 60 re f';
  objs.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  let out = '%PDF-1.4\n';
  const offs = [];
  objs.forEach((o, i) => { offs.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offs) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

async function fetchBytes(url) {
  const res = await fetch(BASE + url, { redirect: 'manual' });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

test('media: a JPEG becomes cover, card and thumb in WebP and JPEG, EXIF gone, served by nginx with a long cache', async () => {
  const original = jpegWithExif();
  assert.ok(original.includes('SOUK-SECRET-GPS'));
  const { id, key } = upload(original, 'image', 'image/jpeg');
  const { status, variants } = await settled(id);
  assert.equal(status, 'ready');
  const want = { cover: [1280, 800], card: [640, 400], thumb: [320, 200] };
  for (const [name, [w, h]] of Object.entries(want)) {
    const v = variants[name];
    assert.ok(v, `variant ${name}`);
    assert.equal(v.w, w); assert.equal(v.h, h);
    assert.match(v.webp, new RegExp(`^/media/public/${key}/${name}\\.webp$`));
    assert.match(v.jpeg, new RegExp(`^/media/public/${key}/${name}\\.jpg$`));

    const webp = await fetchBytes(v.webp);
    assert.equal(webp.res.status, 200, v.webp);
    assert.equal(webp.res.headers.get('content-type'), 'image/webp');
    assert.match(webp.res.headers.get('cache-control') || '', new RegExp(YEAR));
    assert.equal(webp.res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(webp.body.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(webp.body.subarray(8, 12).toString('latin1'), 'WEBP');
    assert.ok(!webp.body.includes('EXIF') && !webp.body.includes('SOUK-SECRET'), 'no EXIF chunk in the WebP');

    const jpg = await fetchBytes(v.jpeg);
    assert.equal(jpg.res.status, 200, v.jpeg);
    assert.equal(jpg.res.headers.get('content-type'), 'image/jpeg');
    assert.match(jpg.res.headers.get('cache-control') || '', new RegExp(YEAR));
    assert.equal(jpg.body[0], 0xff); assert.equal(jpg.body[1], 0xd8);
    assert.ok(!jpg.body.includes('Exif') && !jpg.body.includes('SOUK-SECRET'), 'no EXIF block in the JPEG');
  }
  // media_view: the variants once ready
  const [[view]] = sql("SELECT media_view(:'id')", { id });
  const j = JSON.parse(view);
  assert.equal(j.processing, false);
  assert.equal(j.cover.webp, variants.cover.webp);
  assert.equal(j.original_name, 'holiday photo.jpg');
});

test('media: the original (with its EXIF) is never public', async () => {
  const { id, key } = upload(jpegWithExif(), 'image', 'image/jpeg', { job: false });
  for (const url of [`/media/private/${key}`, `/media/${key}`, `/media/private/${key}/`,
    `/media/public/../private/${key}`, `/media/public/%2e%2e/private/${key}`]) {
    const { res, body } = await fetchBytes(url);
    assert.equal(res.status === 404 || res.status === 400, true, `${url}: ${res.status}`);
    assert.ok(!body.includes('SOUK-SECRET'), url);
  }
  dropMedia(id, key);
});

test('media: while processing, media_view gives the placeholder, which is served', async () => {
  const { id, key } = upload(jpegWithExif(), 'image', 'image/jpeg', { job: false });
  const [[view]] = sql("SELECT media_view(:'id')", { id });
  const j = JSON.parse(view);
  assert.equal(j.processing, true);
  for (const s of ['cover', 'card', 'thumb']) assert.equal(j[s].jpeg, '/static/img/processing.svg');
  const res = await fetch(BASE + '/static/img/processing.svg');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^image\/svg\+xml/);
  dropMedia(id, key);
});

test('media: a PDF gets its first page as images (or the PDF icon), a video the video icon', async () => {
  const p = upload(pdf(), 'pdf', 'application/pdf');
  const v = upload(Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1'), 'video', 'video/mp4');
  const rp = await settled(p.id);
  assert.equal(rp.status, 'ready');
  assert.equal(rp.variants.icon, '/static/img/icon-pdf.svg');
  if (rp.variants.cover) {
    const { res, body } = await fetchBytes(rp.variants.cover.jpeg);
    assert.equal(res.status, 200);
    assert.equal(body[0], 0xff);
  }
  const rv = await settled(v.id);
  assert.equal(rv.status, 'ready');
  assert.deepEqual(rv.variants, { icon: '/static/img/icon-video.svg' });
  for (const icon of ['/static/img/icon-pdf.svg', '/static/img/icon-video.svg']) {
    assert.equal((await fetch(BASE + icon)).status, 200, icon);
  }
});

test('media: a file that does not decode as its sniffed type ends failed, the job dead, nothing public', async () => {
  const bad = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(200)]);
  const { id, key } = upload(bad, 'image', 'image/png');
  const r = await settled(id);
  assert.equal(r.status, 'failed');
  assert.deepEqual(r.variants, {});
  const [[jobStatus]] = sql("SELECT status FROM jobs WHERE kind = 'media.process' AND payload->>'media_id' = :'id'", { id: String(id) });
  assert.equal(jobStatus, 'dead');
  assert.equal(existsSync(join(ROOT, 'public', key)), false);
  // and a JPEG declared as a PNG is refused too (the loader must match the sniffed type)
  const m = upload(jpegWithExif(), 'image', 'image/png');
  assert.equal((await settled(m.id)).status, 'failed');
});
