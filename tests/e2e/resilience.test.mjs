// Failure tests against the live stack. They need process control, which
// ./dev test provides through SOUK_TEST_PIDFILE (souk-web's master) and
// SOUK_TEST_PG_* (the private PostgreSQL cluster); ./dev test runs this file
// last and alone, since it disturbs everything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { BASE, get, cacheBuster, home, until, sleep } from './helpers.mjs';

const PIDFILE = process.env.SOUK_TEST_PIDFILE;
const PG_BIN = process.env.SOUK_TEST_PG_BIN;
const PG_DATA = process.env.SOUK_TEST_PG_DATA;
const PG_LOG = process.env.SOUK_TEST_PG_LOG;
const PG_USER = process.env.SOUK_TEST_PG_USER || 'postgres';

function masterPid() {
  return Number(readFileSync(PIDFILE, 'utf8').trim());
}

function workers(master) {
  try {
    return execFileSync('pgrep', ['-P', String(master)], { encoding: 'utf8' })
      .split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function pgCtl(...args) {
  const cmd = [`${PG_BIN}/pg_ctl`, '-D', PG_DATA, ...args];
  const [file, argv] = process.getuid() === 0 ? ['runuser', ['-u', PG_USER, '--', ...cmd]] : [cmd[0], cmd.slice(1)];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
}

/** n requests, `conc` at a time, to uncached URLs; resolves to the statuses. */
async function load(paths, n, conc) {
  const statuses = [];
  let i = 0;
  async function lane() {
    while (i < n) {
      const k = i++;
      const sep = paths[k % paths.length].includes('?') ? '&' : '?';
      try {
        const res = await fetch(`${BASE}${paths[k % paths.length]}${sep}${cacheBuster()}`, {
          signal: AbortSignal.timeout(20000),
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      } catch (e) {
        statuses.push(`error: ${e.message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: conc }, lane));
  return statuses;
}

const skip = !PIDFILE && 'needs SOUK_TEST_PIDFILE (run through ./dev test)';

test('a killed worker is replaced and requests keep being served', { skip, timeout: 120000 }, async () => {
  const { categories, gigs } = await home();
  const paths = ['/', categories[0], '/search?q=logo', gigs[0].url];
  const master = masterPid();
  const before = workers(master);
  assert.ok(before.length >= 2, `souk-web has workers: ${before}`);

  const running = load(paths, 400, 16);
  await sleep(300);
  const victim = before[0];
  process.kill(victim, 'SIGKILL');
  const statuses = await running;

  const failed = statuses.filter((s) => s !== 200);
  // only the request the victim was serving may be lost
  assert.ok(failed.length <= 1, `failures under load after SIGKILL: ${failed.length} ${[...new Set(failed)]}`);
  assert.ok(!alive(victim), 'the victim is gone');
  const recovered = await until(() => {
    const now = workers(master);
    return now.length >= before.length && !now.includes(victim) && now;
  }, 10000);
  assert.ok(recovered, `worker count back to ${before.length}: ${workers(master)}`);
  assert.equal(masterPid(), master, 'same master');
  const after = await load(paths, 100, 8);
  assert.deepEqual([...new Set(after)], [200], 'all requests succeed after the respawn');
});

test('PostgreSQL down: friendly 503, then back to 200 without a restart', { skip, timeout: 120000 }, async () => {
  const master = masterPid();
  const { categories } = await home();
  assert.equal((await get('/healthz')).status, 200);
  pgCtl('stop', '-m', 'fast', '-w', '-t', '30');
  let restarted = false;
  try {
    for (const path of ['/', categories[0], '/search?q=logo']) {
      const sep = path.includes('?') ? '&' : '?';
      // each worker finds out on its own: ask a few times
      for (let k = 0; k < 6; k++) {
        const res = await get(`${path}${sep}${cacheBuster()}`);
        assert.equal(res.status, 503, `${path} with the database down`);
        assert.match(res.headers.get('content-type'), /^text\/html/);
        assert.match(res.text_, /class="[^"]*error-page/, 'the friendly error page');
        assert.ok(res.headers.get('x-request-id'));
      }
    }
    const h = await get('/healthz');
    assert.equal(h.status, 503);
    assert.match(h.text_, /db=down/);
    // a session cookie bypasses the cache: still 503, not a stale page
    const c = await get('/', { headers: { cookie: 'souk_sess=x' } });
    assert.equal(c.status, 503);

    pgCtl('start', '-w', '-t', '60', '-l', PG_LOG);
    restarted = true;
    const ok = await until(async () => (await get('/healthz')).status === 200, 15000);
    assert.ok(ok, '/healthz is 200 again within 15 s');
    // every worker reconnects: many requests in a row, all 200
    const statuses = await load(['/', categories[0], '/search?q=logo'], 60, 4);
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.equal(masterPid(), master, 'souk-web was not restarted');
  } finally {
    if (!restarted) pgCtl('start', '-w', '-t', '60', '-l', PG_LOG);
  }
});

test('SIGHUP reloads with a new generation of workers and drops no request', { skip, timeout: 120000 }, async () => {
  const { categories, gigs } = await home();
  const paths = ['/', categories[0], '/search?q=logo', gigs[0].url];
  const master = masterPid();
  const before = workers(master);
  const running = load(paths, 600, 16);
  await sleep(300);
  process.kill(master, 'SIGHUP');
  const statuses = await running;
  assert.deepEqual([...new Set(statuses)], [200], 'every request during the reload succeeded');
  const replaced = await until(() => {
    const now = workers(master);
    // before may have been caught mid-recycle (max_requests): compare generations, not counts
    return now.length >= before.length && now.every((p) => !before.includes(p)) && now;
  }, 15000);
  assert.ok(replaced, `all workers replaced: before ${before}, now ${workers(master)}`);
  assert.equal(masterPid(), master, 'same master');
  const after = await load(paths, 80, 8);
  assert.deepEqual([...new Set(after)], [200]);
});

test('a worker is recycled after max_requests and the pool stays full', { skip, timeout: 120000 }, async () => {
  // ./dev test runs souk-web with max_requests = 500.
  const master = masterPid();
  const before = workers(master);
  const statuses = await load(['/healthz'], 500 * before.length + 200, 8);
  assert.deepEqual([...new Set(statuses)], [200]);
  const now = await until(() => {
    const w = workers(master);
    return w.length >= before.length && w;
  }, 10000);
  assert.ok(now, `pool back to ${before.length} workers`);
  assert.ok(now.some((p) => !before.includes(p)), `some worker was recycled: before ${before}, now ${now}`);
});
