// Hostile and malformed input: every one is answered with a 4xx page or a
// sanitized 200, never a 5xx, never a crash, never unescaped markup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BASE, get, home, gigCards, assertCommonHeaders } from './helpers.mjs';

const url = new URL(BASE);

/** Sends raw bytes as one HTTP/1.1 request; resolves {status, headers, body}. */
function raw(bytes, timeout = 10000) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let done = false;
    const parse = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const i = text.indexOf('\r\n\r\n');
      if (i < 0) return null;
      const head = text.slice(0, i);
      const m = head.match(/^HTTP\/1\.[01] (\d{3})/);
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const k = line.indexOf(':');
        if (k > 0) headers[line.slice(0, k).toLowerCase()] = line.slice(k + 1).trim();
      }
      return { status: m ? Number(m[1]) : 0, headers, body: text.slice(i + 4) };
    };
    const finish = (res) => { if (!done) { done = true; sock.destroy(); resolve(res); } };
    // no half-close: nginx would take it for a client abort (499)
    const sock = net.connect({ host: url.hostname, port: Number(url.port || 80) }, () => sock.write(bytes));
    sock.setTimeout(timeout, () => { sock.destroy(); if (!done) { done = true; reject(new Error('timeout')); } });
    sock.on('data', (c) => {
      chunks.push(c);
      const res = parse();
      // done as soon as the whole response is in (nginx may linger before closing)
      if (res && res.headers['content-length'] && Buffer.byteLength(res.body, 'latin1') >= Number(res.headers['content-length'])) finish(res);
    });
    sock.on('error', (e) => { if (!done) { done = true; reject(e); } });
    sock.on('close', () => finish(parse() || { status: 0, headers: {}, body: '' }));
  });
}

function rawGet(target, extra = '') {
  const head = Buffer.from(`GET `, 'latin1');
  const t = Buffer.isBuffer(target) ? target : Buffer.from(target, 'latin1');
  const tail = Buffer.from(` HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n${extra}\r\n`, 'latin1');
  return raw(Buffer.concat([head, t, tail]));
}

/** Fetches path and checks: status in `ok`, an HTML page, our headers. */
async function expectHandled(path, ok = [200, 400], init) {
  const res = await get(path, init);
  assert.ok(ok.includes(res.status), `${path.slice(0, 120)} → ${res.status}, expected one of ${ok}`);
  assert.match(res.headers.get('content-type') || '', /^text\/html/, `${path.slice(0, 80)}: HTML`);
  assertCommonHeaders(res, path.slice(0, 80));
  return res;
}

test('malformed percent-encoding', async () => {
  for (const q of ['%zz', '%', '%4', 'abc%', '%%', '%E0%A4', '%C3%28', '%ED%A0%80', '%C0%AF', '%F4%90%80%80', '%FF%FE']) {
    await expectHandled(`/search?q=${q}`);
  }
  for (const p of ['/c/%zz', '/u/%E0%A4', '/%C3%28/%C3%28', '/c/%']) {
    await expectHandled(p, [400, 404]);
  }
});

test('NUL bytes', async () => {
  await expectHandled('/search?q=a%00b');
  await expectHandled('/search?q=%00');
  await expectHandled('/c/design%00', [400, 404]);
  await expectHandled('/u/x%00y', [400, 404]);
  await expectHandled('/search?q%00=1&%00=%00');
});

test('raw invalid UTF-8 and control bytes in the request line', async () => {
  const cases = [
    Buffer.concat([Buffer.from('/search?q='), Buffer.from([0xc3, 0x28, 0xff, 0xfe])]),
    Buffer.concat([Buffer.from('/search?q='), Buffer.from([0xe6, 0xa0])]),
    Buffer.concat([Buffer.from('/'), Buffer.from([0xc0, 0xaf]), Buffer.from('/x')]),
    Buffer.concat([Buffer.from('/search?q=a'), Buffer.from([0x01, 0x7f]), Buffer.from('b')]),
  ];
  for (const target of cases) {
    const res = await rawGet(target);
    assert.ok([200, 400, 404].includes(res.status), `${target.toString('hex')} → ${res.status}`);
    assert.match(res.headers['content-type'] || '', /^text\/html/);
  }
});

test('overlong query string and many parameters', async () => {
  const long = 'a'.repeat(10 * 1024);
  await expectHandled(`/search?q=${long}`, [200, 400, 414]);
  await expectHandled(`/c/x?min_price=${'9'.repeat(5000)}`, [400, 404]);
  const many = Array.from({ length: 2000 }, (_, i) => `p${i}=${i}`).join('&');
  await expectHandled(`/search?q=logo&${many}`, [200, 400, 413, 414]);
  await expectHandled(`/${'x'.repeat(6000)}`, [400, 404, 414]);
  // a request line too long even for nginx's buffers: its own HTML 414
  const res = await rawGet(`/search?q=${'b'.repeat(40 * 1024)}`);
  assert.ok([400, 414].includes(res.status), `40 KB URI → ${res.status}`);
});

test('repeated parameters: the first one counts', async () => {
  const { categories } = await home();
  const cat = categories[0];
  const res = await expectHandled(`${cat}?page=1&page=2`, [200, 400]);
  if (res.status === 200) {
    const first = await get(`${cat}?page=1`);
    assert.deepEqual(gigCards(res.text_).map((c) => c.url), gigCards(first.text_).map((c) => c.url));
  }
  await expectHandled('/search?q=logo&q=website&q=', [200, 400]);
  await expectHandled(`${cat}?sort=price_asc&sort=drop&level=top_rated&level=godlike`, [200, 400]);
});

test('bad page numbers are refused with 400', async () => {
  const { categories } = await home();
  for (const p of ['-1', 'abc', '0', '1.5', '1e3', '99999999999999999999999', '0x10', ' 2', '2abc']) {
    await expectHandled(`${categories[0]}?page=${encodeURIComponent(p)}`, [400]);
    await expectHandled(`/search?q=logo&page=${encodeURIComponent(p)}`, [400]);
  }
  // an empty page parameter is page 1
  await expectHandled(`${categories[0]}?page=`, [200]);
});

test('bad prices are refused with 400, unknown closed values ignored', async () => {
  const { categories } = await home();
  const cat = categories[0];
  for (const v of ['abc', '-5', '1e9', '12,50', 'NaN', 'Infinity', '99999999999999']) {
    await expectHandled(`${cat}?min_price=${v}`, [400]);
    await expectHandled(`${cat}?max_price=${v}`, [400]);
  }
  await expectHandled(`${cat}?min_price=%00`, [200, 400]);
  for (const q of ['level=godlike', 'sort=drop', 'sort=;DROP%20TABLE%20gigs', 'language=../../etc', 'delivery=-1', 'rating=abc']) {
    await expectHandled(`${cat}?${q}`, [200]);
  }
});

test('SQL metacharacters in q are plain text', async () => {
  for (const q of ["' OR 1=1; --", "'; DROP TABLE gigs; --", '" OR ""="', '\\', "logo'", '%_%', '*', '(', 'a:*', '!!', '&|']) {
    const res = await expectHandled(`/search?q=${encodeURIComponent(q)}`, [200]);
    assert.doesNotMatch(res.text_, /syntax error|ERROR:|SQLSTATE|tsquery/i, `q=${q}`);
  }
  // the table is still there
  assert.ok(gigCards((await get('/search?q=logo')).text_).length > 0);
});

test('HTML in q is escaped wherever it is echoed', async () => {
  const q = '<script>alert(1)</script>';
  const res = await expectHandled(`/search?q=${encodeURIComponent(q)}`, [200]);
  assert.ok(!res.text_.includes(q), 'the raw tag is not in the page');
  assert.ok(res.text_.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'it is shown escaped');
  const attr = '"><img src=x onerror=alert(1)>';
  const res2 = await expectHandled(`/search?q=${encodeURIComponent(attr)}`, [200]);
  assert.ok(!res2.text_.includes('<img src=x'), 'no attribute breakout');
  assert.match(res2.text_, /&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
  const js = "</title><svg onload=alert(1)>";
  const res3 = await expectHandled(`/search?q=${encodeURIComponent(js)}`, [200]);
  assert.ok(!res3.text_.includes('<svg onload'), 'no tag in the title');
});

test('no header injection through the query', async () => {
  const res = await get('/search?q=%0d%0aSet-Cookie:%20pwn=1%0d%0aX-Evil:%201');
  assert.ok([200, 400].includes(res.status));
  assert.equal(res.headers.get('x-evil'), null);
  assert.doesNotMatch(res.headers.get('set-cookie') || '', /pwn/);
});

test('odd methods, headers and bodies', async () => {
  const r1 = await get('/', { method: 'PUT', body: 'x' });
  assert.equal(r1.status, 405);
  const r2 = await get('/search?q=logo', { method: 'POST', body: 'q=logo', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r2.status, 405);
  await expectHandled('/', [200], { headers: { cookie: 'souk_sess=%%%; ;;=; a' } });
  await expectHandled('/', [200], { headers: { 'accept-language': 'xx-Ugh;q=abc, *;q=-1, zh-CN' } });
  await expectHandled('/', [200], { headers: { cookie: `souk_sess=${'A'.repeat(4000)}` } });
  const r3 = await raw(`PROPFIND / HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  assert.ok([400, 405].includes(r3.status), `PROPFIND → ${r3.status}`);
});

test('oversized bodies are refused with 413', async () => {
  const res = await raw(`POST / HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
    `Content-Length: 20000000\r\nConnection: close\r\n\r\n`);
  assert.equal(res.status, 413);
  assert.match(res.headers['content-type'] || '', /^text\/html/);
});

test('path traversal does not leave the static folder', async () => {
  for (const p of ['/static/../configure.ac', '/static/..%2f..%2fdev', '/static/%2e%2e/%2e%2e/dev', '/static/css/../../dev',
    '/static//etc/passwd', '/static/..%5c..%5cdev']) {
    const res = await get(p);
    assert.ok(!/AC_INIT|#!\/usr\/bin\/env bash|root:x:0:0/.test(res.text_), `${p} leaked a file`);
    assert.ok(res.status < 500, `${p} → ${res.status}`);
  }
});

test('still healthy after all that', async () => {
  const res = await get('/healthz');
  assert.equal(res.status, 200);
});
