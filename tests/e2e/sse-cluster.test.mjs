// souk-e2e: serial (reloads the shared nginx with a second souk-sse upstream)
// Two souk-sse instances behind nginx (issue 6: "any number of souk-sse
// instances can run side by side: Redis fans out").  The test starts a second
// souk-sse from the stack's configuration file on its own unix socket
// (SOUK_SSE_LISTEN), adds it to nginx's `souk_sse` upstream by dropping
// run/souk-sse-upstream-b.conf (nginx/souk.conf.in includes
// run/souk-sse-upstream-*.conf) and reloads nginx.  Streams opened through
// nginx's /events are then balanced over both instances (each instance's own
// /events/health, asked on its socket, tells where each one landed); a
// message POSTed to souk-web (events_publish after commit) reaches the
// seller's streams on instance A and on instance B, and the buyer's.  At the
// end the upstream file is removed, nginx reloaded, and the second instance
// stopped with SIGTERM (exit 0, no sanitizer report).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, rmSync, readFileSync, openSync, closeSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { insertUser, redisSession, postAs, sql, runTag, sleep } from './helpers.mjs';
import { openStream, assertOpen, CONF, RUN_DIR, STATE, SSE_BIN } from './sse-helpers.mjs';

const RUN = runTag();
const SOCK_A = RUN_DIR && join(RUN_DIR, 'souk-sse.sock');
const SOCK_B = RUN_DIR && join(RUN_DIR, 'souk-sse-b.sock');
const UPSTREAM = RUN_DIR && join(RUN_DIR, 'souk-sse-upstream-b.conf');
const NGINX_CONF = STATE && join(STATE, 'nginx.conf');
const LOG_B = STATE && join(STATE, 'log', 'souk-sse-b.log');
const skip = !(SSE_BIN && existsSync(SSE_BIN) && CONF && NGINX_CONF && existsSync(NGINX_CONF)) &&
  'needs ./dev test (souk-sse, its configuration, nginx.conf)';

let child, exited;

/** GET /events/health of the instance on unix socket @sock. */
function health(sock) {
  return new Promise((ok, fail) => {
    const req = request({ socketPath: sock, path: '/events/health', headers: { host: 'x' } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { try { ok(JSON.parse(body)); } catch (e) { fail(e); } });
    });
    req.on('error', fail);
    req.end();
  });
}

const reloadNginx = () => execFileSync('nginx', ['-s', 'reload', '-c', NGINX_CONF, '-p', `${STATE}/`], { stdio: 'pipe' });

before(async () => {
  if (skip) return;
  rmSync(SOCK_B, { force: true });
  const fd = openSync(LOG_B, 'a');
  child = spawn(SSE_BIN, ['-c', CONF], {
    env: { ...process.env, SOUK_SSE_LISTEN: `unix:${SOCK_B}` }, stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  const end = Date.now() + 15000;
  while (!(existsSync(SOCK_B) && readFileSync(LOG_B, 'utf8').includes(`pid=${child.pid} level=info msg="sse: subscribed`))) {
    assert.ok(Date.now() < end && child.exitCode === null, `the second souk-sse started:\n${readFileSync(LOG_B, 'utf8').slice(-2000)}`);
    await sleep(50);
  }
  writeFileSync(UPSTREAM, `# tests/e2e/sse-cluster.test.mjs: the second souk-sse\nserver unix:${SOCK_B};\n`);
  reloadNginx();
  await sleep(500); // the new workers take over
});

after(async () => {
  if (skip) return;
  rmSync(UPSTREAM, { force: true });
  try { reloadNginx(); } catch { /* the stack is going down */ }
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(t);
  }
});

test('nginx balances /events over two souk-sse; a message reaches clients on both instances', { skip }, async (t) => {
  const seller = insertUser(`scl_s_${RUN}`, ['SELLER']), buyer = insertUser(`scl_b_${RUN}`);
  const ss = redisSession(seller), bs = redisSession(buyer);
  const conv = Number(sql(`INSERT INTO conversations (buyer_id, seller_id) VALUES (:'v1', :'v2') RETURNING id`, buyer.id, seller.id));
  sql(`INSERT INTO conversation_members (conversation_id, user_id) VALUES (:'v1', :'v2'), (:'v1', :'v3')`, conv, buyer.id, seller.id);

  // open the seller's streams one by one through nginx until one sits on each instance
  const on = { A: [], B: [] };
  const streams = [];
  try {
    let last = { A: (await health(SOCK_A)).connections, B: (await health(SOCK_B)).connections };
    for (let i = 0; i < 8 && !(on.A.length && on.B.length); i++) {
      const s = await openStream(ss.cookie);
      assertOpen(s, `seller stream ${i}`);
      streams.push(s);
      await s.waitFor((x) => x.retry.length > 0, 2000);
      const now = { A: (await health(SOCK_A)).connections, B: (await health(SOCK_B)).connections };
      if (now.A > last.A) on.A.push(s);
      else if (now.B > last.B) on.B.push(s);
      last = now;
    }
    assert.ok(on.A.length > 0 && on.B.length > 0,
      `nginx spread the streams over both instances (A ${on.A.length}, B ${on.B.length})`);
    const hb = await health(SOCK_B);
    assert.equal(hb.redis, 'up');
    assert.notEqual(hb.pid, (await health(SOCK_A)).pid, 'two processes');
    const sb = await openStream(bs.cookie);
    assertOpen(sb, 'the buyer');
    streams.push(sb);
    await sb.waitFor((x) => x.retry.length > 0, 2000);

    // the buyer writes through souk-web: one event per participant, fanned out by Redis
    const text = `hello across instances ${RUN}`;
    const sent = Date.now();
    const res = await postAs(bs, `/inbox/${conv}/messages`, { body: text });
    assert.ok([201, 303].includes(res.status), `POST message: ${res.status} ${res.text_.slice(0, 200)}`);
    const mid = Number(sql(`SELECT max(id) FROM messages WHERE conversation_id = :'v1'`, conv));
    assert.ok(mid > 0, 'the message is stored');
    const isIt = (e) => e.event === 'message' && Number(e.json.message_id) === mid;
    const got = (s) => s.events.some(isIt);
    for (const [name, s] of [['instance A (seller)', on.A[0]], ['instance B (seller)', on.B[0]], ['the buyer', sb]]) {
      assert.ok(await s.waitFor(got, 3000), `the message reached the stream on ${name}`);
    }
    const idA = on.A[0].events.find(isIt).id, idB = on.B[0].events.find(isIt).id;
    assert.equal(idA, idB, 'the same stream entry id from both instances');
    t.diagnostic(`delivered on both instances ${Date.now() - sent} ms after the POST began`);
  } finally {
    for (const s of streams) s.close();
  }
});

test('the second instance stops on SIGTERM with exit 0 and no sanitizer report', { skip }, async () => {
  rmSync(UPSTREAM, { force: true });
  reloadNginx();
  child.kill('SIGTERM');
  const ex = await exited;
  assert.equal(ex.code, 0, `exit ${ex.code} ${ex.sig}`);
  const log = readFileSync(LOG_B, 'utf8').split('\n').filter((l) => !l.includes('pid=') || l.includes(`pid=${child.pid}`)).join('\n');
  assert.match(log, /sse: stopped/);
  assert.doesNotMatch(log, /Sanitizer|runtime error|level=error/);
});
