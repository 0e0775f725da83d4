// nginx's part: static files (long cache, gzip), manifest, robots.txt,
// security headers everywhere, the anonymous micro-cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, home, cacheBuster, assertCommonHeaders } from './helpers.mjs';

const LONG_CACHE = /max-age=31536000/;

test('CSS is served with a long cache lifetime and gzip', async () => {
  const res = await get('/static/css/souk.css', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/css/);
  assert.match(res.headers.get('cache-control') || '', LONG_CACHE);
  assert.match(res.headers.get('cache-control') || '', /immutable/);
  assert.equal(res.headers.get('content-encoding'), 'gzip');
  assert.match(res.headers.get('vary') || '', /Accept-Encoding/i);
  assert.ok(res.text_.length > 1000, 'decoded CSS');
  assertCommonHeaders(res, 'souk.css');
  // only one Cache-Control value
  assert.doesNotMatch(res.headers.get('cache-control'), /,.*max-age.*max-age/);
});

test('HTML pages are gzipped too', async () => {
  const res = await get(`/?${cacheBuster()}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-encoding'), 'gzip');
});

test('manifest is linked, typed and points at real icons', async () => {
  const { html } = await home();
  const m = html.match(/<link rel="manifest" href="([^"]+)">/);
  assert.ok(m, 'manifest link');
  const res = await get(m[1], { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/manifest\+json/);
  assert.match(res.headers.get('cache-control') || '', LONG_CACHE);
  const manifest = JSON.parse(res.text_);
  assert.equal(manifest.name, 'Souk');
  assert.ok(manifest.icons.length > 0);
  for (const icon of manifest.icons) {
    const r = await get(icon.src);
    assert.equal(r.status, 200, icon.src);
    assert.equal(r.headers.get('content-type').split(';')[0], icon.type, icon.src);
  }
});

test('gig images are SVG with a long cache lifetime', async () => {
  const { html } = await home();
  const srcs = [...new Set([...html.matchAll(/<img src="(\/static\/[^"]+)"/g)].map((m) => m[1]))];
  assert.ok(srcs.length > 0);
  for (const src of srcs.slice(0, 6)) {
    const res = await get(src, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200, src);
    assert.match(res.headers.get('content-type'), /^image\//, src);
    assert.match(res.headers.get('cache-control') || '', LONG_CACHE, src);
  }
});

test('a missing static file is a 404 and not cached for a year', async () => {
  const res = await get('/static/css/no-such-file.css');
  assert.equal(res.status, 404);
  assert.doesNotMatch(res.headers.get('cache-control') || '', LONG_CACHE);
});

test('robots.txt names the absolute sitemap URL', async () => {
  const res = await get('/robots.txt');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  assert.match(res.text_, /^User-agent: \*/m);
  assert.match(res.text_, /^Sitemap: https?:\/\/[^/\s]+\/sitemap\.xml$/m);
});

test('security headers on pages, static files and errors', async () => {
  for (const path of ['/', '/static/css/souk.css', '/no-such-page-xyz', '/search?q=logo']) {
    const res = await get(path);
    assertCommonHeaders(res, path);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin', path);
    assert.ok(res.headers.get('permissions-policy'), `${path}: Permissions-Policy`);
    assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/, path);
    assert.match(res.headers.get('content-security-policy'), /object-src 'none'/, path);
    // one of each, not doubled by nginx and souk-web
    assert.doesNotMatch(res.headers.get('x-content-type-options'), /,/, path);
    assert.doesNotMatch(res.headers.get('x-request-id'), /,/, path);
    assert.equal((res.headers.get('server') || '').includes('/'), false, `${path}: no version in Server`);
  }
});

test('micro-cache: anonymous pages are cached briefly, session cookies bypass it', async () => {
  const { categories } = await home();
  const path = `${categories[0]}?${cacheBuster()}`;
  const a = await get(path);
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('x-cache'), 'MISS');
  const b = await get(path);
  assert.equal(b.headers.get('x-cache'), 'HIT');
  assert.equal(b.text_, a.text_);
  assert.notEqual(b.headers.get('x-request-id'), a.headers.get('x-request-id'), 'a fresh request id on a hit');
  const c = await get(path, { headers: { cookie: 'souk_sess=e2e-not-a-session' } });
  assert.equal(c.status, 200);
  assert.equal(c.headers.get('x-cache'), 'BYPASS');
  // HEAD does not poison GET
  const h = await get(`/?${cacheBuster()}x`, { method: 'HEAD' });
  assert.equal(h.status, 200);
  // errors are not cached
  const e1 = await get('/no-such-page-cache-test');
  const e2 = await get('/no-such-page-cache-test');
  assert.equal(e1.status, 404);
  assert.notEqual(e2.headers.get('x-cache'), 'HIT');
});

test('a HEAD does not leave an empty body in the cache for GET', async () => {
  const path = `/?${cacheBuster()}`;
  const h = await get(path, { method: 'HEAD' });
  assert.equal(h.status, 200);
  const g = await get(path);
  assert.equal(g.status, 200);
  assert.ok(g.text_.length > 1000, 'GET after HEAD has the page');
});
