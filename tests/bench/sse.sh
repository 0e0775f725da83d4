#!/usr/bin/env bash
# tests/bench/sse.sh - a benchmark of souk-sse (src/sse), not a timed test.
#
# usage: tests/bench/sse.sh [CONNECTIONS (10000)] [EVENTS (2000)] [BUILD_DIR (var/build)]
#
# Every second connection asks for a conversation scope (/events?conversation=
# ...&scope=..., a token made as events_scope_token() does with the bench's
# own secret_key), so the figures include the typing/presence tables.
#
# Starts a private Redis and one souk-sse on loopback ports (nothing of ./dev
# up is touched), writes sessions for CONNECTIONS/8 users (8 streams each, the
# default per-user cap), opens CONNECTIONS concurrent GET /events directly to
# souk-sse, then publishes EVENTS events (XADD + PUBLISH in one Lua script
# as src/events/events.c does, each carrying its send time) to random users and
# prints the publish-to-receive latency p50/p99 over all deliveries and
# souk-sse's RSS per idle connection.  A sanitizer build (the default
# var/build-* of the tests) inflates both: build without
# --enable-sanitizers for real figures.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-10000}
EVENTS=${2:-2000}
BUILD=${3:-$ROOT/var/build}
BIN=$BUILD/souk-sse
[ -x "$BIN" ] || { echo "no $BIN (build first)" >&2; exit 1; }
ulimit -n $((N + 1024)) 2>/dev/null || { echo "cannot raise the open-file limit to $((N + 1024))" >&2; exit 1; }

free_port() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
RPORT=$(free_port 47379)
SPORT=$(free_port 47391)
TMP=$(mktemp -d /tmp/souk-sse-bench.XXXXXX)
cleanup() {
  [ -n "${SSE_PID:-}" ] && kill -TERM "$SSE_PID" 2>/dev/null && wait "$SSE_PID" 2>/dev/null
  [ -f "$TMP/redis.pid" ] && kill -TERM "$(cat "$TMP/redis.pid")" 2>/dev/null
  sleep 0.2; rm -rf "$TMP"
}
trap cleanup EXIT

redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$TMP/redis.pid" --logfile "$TMP/redis.log" --maxclients $((N + 100)) >/dev/null
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$TMP/sse.conf" <<EOF
redis_url = 127.0.0.1:$RPORT
sse_listen = 127.0.0.1:$SPORT
secret_key = $KEY
EOF
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$BIN" -c "$TMP/sse.conf" >"$TMP/sse.log" 2>&1 &
SSE_PID=$!
for _ in $(seq 100); do grep -q 'subscribed to ev:u' "$TMP/sse.log" && break; sleep 0.1; done

SSE_PID=$SSE_PID N=$N EVENTS=$EVENTS RPORT=$RPORT SPORT=$SPORT KEY=$KEY node --input-type=module - <<'EOF'
import net from 'node:net';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const N = Number(process.env.N), EVENTS = Number(process.env.EVENTS);
const RPORT = Number(process.env.RPORT), SPORT = Number(process.env.SPORT), PID = process.env.SSE_PID;
const rss = () => Number(readFileSync(`/proc/${PID}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;

// a pipelined RESP client
const r = net.createConnection({ port: RPORT, host: '127.0.0.1' });
let rbuf = Buffer.alloc(0); const waiters = [];
r.on('data', (d) => {
  rbuf = Buffer.concat([rbuf, d]);
  for (;;) { // simple replies only: +, :, $, -
    const i = rbuf.indexOf('\r\n'); if (i < 0) return;
    const t = rbuf[0];
    if (t === 36 /* $ */) {
      const len = Number(rbuf.slice(1, i)); if (len < 0) { rbuf = rbuf.slice(i + 2); waiters.shift()(null); continue; }
      if (rbuf.length < i + 2 + len + 2) return;
      const v = rbuf.slice(i + 2, i + 2 + len).toString(); rbuf = rbuf.slice(i + 4 + len); waiters.shift()(v);
    } else { const v = rbuf.slice(1, i).toString(); rbuf = rbuf.slice(i + 2); waiters.shift()(v); }
  }
});
await new Promise((ok) => r.on('connect', ok));
const cmd = (...a) => new Promise((ok) => {
  waiters.push(ok);
  r.write(`*${a.length}\r\n` + a.map((x) => { x = String(x); return `$${Buffer.byteLength(x)}\r\n${x}\r\n`; }).join(''));
});

const users = Math.ceil(N / 8), tokens = [];
const now = Math.floor(Date.now() / 1000);
for (let u = 1; u <= users; u++) {
  const t = randomBytes(32).toString('base64url'); tokens.push(t);
  const key = 'sess:' + createHash('sha256').update(t).digest('hex');
  cmd('HSET', key, 'uid', 900000 + u, 'csrf', 'a'.repeat(64), 'abs_exp', now + 3600);
}
await cmd('PING');
const rss0 = rss();

// every second connection with a conversation scope (events_scope_token, src/events/events.c)
const KEY = Buffer.from(process.env.KEY, 'hex');
function path(i) {
  if (i % 2 === 0) return '/events';
  const uid = 900000 + 1 + (i % users), conv = 1 + (i % users), other = 900000 + 1 + ((i + 1) % users);
  const mac = createHmac('sha512', KEY).update(`souk-scope:c:${conv}:${uid}:${other}:${now + 3600}`).digest().subarray(0, 32).toString('hex');
  return `/events?conversation=${conv}&scope=${now + 3600}.${other}.${mac}`;
}

// src/events/events.c's script: XADD and PUBLISH in one atomic step
const PUBLISH_SCRIPT = "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[2], 'data', ARGV[3])\n" +
  "redis.call('PUBLISH', KEYS[1], id .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3])\nreturn id\n";
const lat = []; let open = 0, failed = 0;
function connect(i) {
  return new Promise((ok) => {
    const s = net.createConnection({ port: SPORT, host: '127.0.0.1' });
    let buf = '', head = true;
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`GET ${path(i)} HTTP/1.1\r\nHost: x\r\nCookie: souk_sess=${tokens[i % users]}\r\n\r\n`));
    s.on('data', (d) => {
      buf += d;
      if (head) { const k = buf.indexOf('\r\n\r\n'); if (k < 0) return; if (!buf.startsWith('HTTP/1.1 200')) { failed++; s.destroy(); ok(); return; } head = false; open++; buf = buf.slice(k + 4); ok(); }
      let m; const re = /"t":(\d+(?:\.\d+)?)/g;
      while ((m = re.exec(buf)) !== null) lat.push(performance.timeOrigin + performance.now() - Number(m[1]));
      const cut = buf.lastIndexOf('\n\n'); if (cut >= 0) buf = buf.slice(cut + 2);
    });
    s.on('error', () => { failed++; ok(); });
    s.on('close', () => { if (!head) { open--; head = true; } });
  });
}
const t0 = Date.now();
for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: Math.min(500, N - i) }, (_, k) => connect(i + k)));
const opened = open;
console.log(`connections: ${open} open, ${failed} failed, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
await new Promise((ok) => setTimeout(ok, 1000));
const rss1 = rss();
console.log(`souk-sse RSS: ${(rss0 / 1048576).toFixed(1)} MiB before, ${(rss1 / 1048576).toFixed(1)} MiB with ${opened} idle connections: ${((rss1 - rss0) / Math.max(opened, 1) / 1024).toFixed(2)} KiB per connection`);

for (let e = 0; e < EVENTS; e++) {
  const uid = 900000 + 1 + (e % users);
  const data = JSON.stringify({ t: performance.timeOrigin + performance.now(), e });
  await cmd('EVAL', PUBLISH_SCRIPT, '1', `ev:u:${uid}`, '1000', 'message', data);
  if (e % 50 === 49) await new Promise((ok) => setTimeout(ok, 5));
}
await new Promise((ok) => setTimeout(ok, 2000));
lat.sort((a, b) => a - b);
const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2) : 'n/a';
const expected = EVENTS * Math.min(8, N);
console.log(`deliveries: ${lat.length} of ~${expected}; publish-to-receive latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
const h = await fetch(`http://127.0.0.1:${SPORT}/events/health`).then((x) => x.text());
console.log(`souk-sse /events/health: ${h.trim()}`);
// souk-sse closes first (SIGTERM), so the TIME_WAIT sockets sit on its one
// port and not on thousands of ephemeral ports other stacks may want
process.kill(Number(PID), 'SIGTERM');
const end = Date.now() + 10000;
while (open > 0 && Date.now() < end) await new Promise((ok) => setTimeout(ok, 50));
process.exit(0);
EOF
wait "$SSE_PID" 2>/dev/null || true
SSE_PID=
