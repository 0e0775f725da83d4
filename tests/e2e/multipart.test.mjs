// multipart/form-data through nginx into souk-web (src/http/multipart.c):
// the CSRF token is read from a multipart form, malformed bodies get 400,
// oversized ones 413, never a 5xx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BASE, get } from './helpers.mjs';

const url = new URL(BASE);
const B = '----soukE2eBoundary7MA4YWxk';

function cookiesOf(res) {
  return res.headers.getSetCookie().map((l) => l.split(';')[0]).join('; ');
}

async function loginForm() {
  const res = await get('/login');
  assert.equal(res.status, 200);
  const m = res.text_.match(/name="csrf" value="([0-9a-f]{64})"/);
  assert.ok(m, 'login page has a CSRF token');
  return { csrf: m[1], cookie: cookiesOf(res) };
}

function part(name, value, filename) {
  const fn = filename !== undefined ? `; filename="${filename}"` : '';
  const ct = filename !== undefined ? 'Content-Type: application/octet-stream\r\n' : '';
  return `--${B}\r\nContent-Disposition: form-data; name="${name}"${fn}\r\n${ct}\r\n${value}\r\n`;
}

function post(path, body, cookie = '', contentType = `multipart/form-data; boundary=${B}`) {
  const headers = { 'content-type': contentType };
  if (cookie) headers.cookie = cookie;
  return get(path, { method: 'POST', headers, body });
}

test('a multipart form with a valid CSRF token passes the check', async () => {
  const { csrf, cookie } = await loginForm();
  const body = part('csrf', csrf) + part('email', 'nobody@example.invalid') +
    part('password', 'wrong password 123') + part('avatar', 'GIF89a', '../../etc/passwd') + `--${B}--\r\n`;
  const res = await post('/login', body, cookie);
  assert.ok(![400, 403, 413, 415].includes(res.status) && res.status < 500,
    `POST /login multipart → ${res.status}\n${res.text_.slice(0, 300)}`);
});

test('a multipart form with a wrong CSRF token is refused with 403', async () => {
  const { cookie } = await loginForm();
  const body = part('csrf', '0'.repeat(64)) + `--${B}--\r\n`;
  const res = await post('/logout', body, cookie);
  assert.equal(res.status, 403);
});

test('malformed multipart bodies get 400', async () => {
  const { csrf, cookie } = await loginForm();
  // no closing delimiter (truncated)
  let res = await post('/logout', part('csrf', csrf).slice(0, -2), cookie);
  assert.equal(res.status, 400, 'truncated body');
  // no boundary parameter
  res = await post('/logout', part('csrf', csrf) + `--${B}--\r\n`, cookie, 'multipart/form-data');
  assert.equal(res.status, 400, 'missing boundary');
  // a part without Content-Disposition
  res = await post('/logout', `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--\r\n`, cookie);
  assert.equal(res.status, 400, 'no Content-Disposition');
  // NUL in a field name
  res = await post('/logout', part('cs\0rf', csrf) + `--${B}--\r\n`, cookie);
  assert.equal(res.status, 400, 'NUL in a name');
});

test('too many fields get 413', async () => {
  let body = '';
  for (let i = 0; i < 2000; i++) body += part(`f${i}`, 'v');
  const res = await post('/logout', body + `--${B}--\r\n`);
  assert.equal(res.status, 413);
});

test('a body over nginx client_max_body_size gets 413 at once', async () => {
  const status = await new Promise((resolve, reject) => {
    const chunks = [];
    const sock = net.connect({ host: url.hostname, port: Number(url.port || 80) }, () => {
      sock.write(`POST /logout HTTP/1.1\r\nHost: ${url.host}\r\n` +
        `Content-Type: multipart/form-data; boundary=${B}\r\n` +
        `Content-Length: ${64 * 1024 * 1024}\r\n\r\n` + part('csrf', 'x'));
    });
    sock.setTimeout(10000, () => { sock.destroy(); reject(new Error('timeout')); });
    sock.on('data', (d) => {
      chunks.push(d);
      const m = Buffer.concat(chunks).toString('latin1').match(/^HTTP\/1\.[01] (\d{3})/);
      if (m) { sock.destroy(); resolve(Number(m[1])); }
    });
    sock.on('error', reject);
  });
  assert.equal(status, 413);
});
