#!/usr/bin/env bash
# Benchmark (not a test): a category listing served by souk-web against the
# same bytes served by nginx as a static file, with wrk.
#
#   ./dev up && tests/bench/listing.sh [BASE_URL] [CATEGORY_PATH]
#
# BASE_URL defaults to http://127.0.0.1:8080 (./dev up), CATEGORY_PATH to the
# first category on the home page. Environment: DURATION (20s), THREADS (2),
# CONNECTIONS (32). Three runs: the page through nginx's micro-cache (as
# deployed, anonymous), the page with a session cookie (cache bypassed, every
# request rendered by souk-web), and the static copy. Prints requests/s, p50
# and p99 latency, the ratios to static, and each souk-web worker's RSS before
# and after.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASE=${1:-http://127.0.0.1:8080}
BASE=${BASE%/}
CAT=${2:-}
DURATION=${DURATION:-20s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PIDFILE=${SOUK_PIDFILE:-$ROOT/var/run/souk-web.pid}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)
[ "$code" = 200 ] || { echo "no healthy Souk at $BASE (GET /healthz: ${code:-no answer}); start it with ./dev up" >&2; exit 1; }

if [ -z "$CAT" ]; then
  CAT=$(curl -s "$BASE/" | grep -o 'href="/c/[a-z0-9-]*"' | head -n 1 | sed 's/^href="//; s/"$//')
  [ -n "$CAT" ] || { echo "no category link on the home page" >&2; exit 1; }
fi

# the static twin of the dynamic page (static/bench/ is gitignored)
mkdir -p "$ROOT/static/bench" "$ROOT/var"
curl -sf "$BASE$CAT" -o "$ROOT/static/bench/listing.html"
STATIC=/static/bench/listing.html
bytes=$(wc -c <"$ROOT/static/bench/listing.html")
served=$(curl -s "$BASE$STATIC" | wc -c)
[ "$served" = "$bytes" ] || { echo "nginx serves $served bytes at $STATIC, expected $bytes (is $BASE this checkout's ./dev up?)" >&2; exit 1; }

rss() {
  local master
  master=$(cat "$PIDFILE" 2>/dev/null || true)
  if [ -z "$master" ] || ! kill -0 "$master" 2>/dev/null; then echo "  (souk-web pid file $PIDFILE not found: RSS not measured)"; return; fi
  ps -o pid=,rss=,cmd= --ppid "$master" | awk '{printf "  worker %-8s %7.1f MiB\n", $1, $2 / 1024; s += $2; n++}
    END {if (n) printf "  %d workers, %.1f MiB in all\n", n, s / 1024}'
  ps -o rss= -p "$master" | awk '{printf "  master          %7.1f MiB\n", $1 / 1024}'
}

# to_ms "1.23ms" | "850.00us" | "1.02s" -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else printf "?" }'
}

# run NAME PATH [wrk args...]: sets RPS_<NAME>, P50_<NAME>, P99_<NAME>
run() {
  local name=$1 path=$2 out; shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "$BASE$path" >/dev/null   # warm-up
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$BASE$path")
  printf '%s\n' "$out" >"$ROOT/var/bench-$name.txt"
  printf -v "RPS_$name" '%s' "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  printf -v "P50_$name" '%s' "$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
  printf -v "P99_$name" '%s' "$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
  local errs
  errs=$(awk '/Non-2xx or 3xx responses:/ {print $NF} /Socket errors:/ {print}' <<<"$out")
  [ -z "$errs" ] || echo "  $name: $errs" >&2
}

echo "Souk listing benchmark: $BASE$CAT ($bytes bytes), wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
echo "souk-web memory before:"; rss

echo "running: dynamic, through the micro-cache ..."
run cached "$CAT"
echo "running: dynamic, cache bypassed by a session cookie (every request rendered) ..."
run bypass "$CAT" -H 'Cookie: souk_sess=bench-no-session'
echo "running: static copy ..."
run static "$STATIC"

echo
printf '%-34s %12s %10s %10s %10s\n' "" "requests/s" "p50 ms" "p99 ms" "vs static"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "?" }'; }
printf '%-34s %12s %10s %10s %10s\n' "dynamic, micro-cache (anonymous)" "$RPS_cached" "$P50_cached" "$P99_cached" "$(ratio "$RPS_cached" "$RPS_static")"
printf '%-34s %12s %10s %10s %10s\n' "dynamic, rendered every time" "$RPS_bypass" "$P50_bypass" "$P99_bypass" "$(ratio "$RPS_bypass" "$RPS_static")"
printf '%-34s %12s %10s %10s %10s\n' "static file" "$RPS_static" "$P50_static" "$P99_static" "1.00"
echo
echo "souk-web memory after:"; rss
