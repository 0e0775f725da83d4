#!/usr/bin/env bash
# tests/fuzz/run.sh - build the multipart libFuzzer target with clang
# (-fsanitize=fuzzer,address,undefined) and run it.
#
#   FUZZ_SECONDS   how long to fuzz (default 60)
#   FUZZ_WORK      work dir for the binary, corpus copy and artifacts
#                  (default: a new temporary dir, removed afterwards
#                  unless a finding was written into it)
#   CC             compiler (default clang; needs libclang-rt-14-dev on Debian 12)
#
# The seed corpus in tests/fuzz/corpus/multipart is copied, never written.
# Exit status: 0 when the run ends without a finding, non-zero on a crash,
# leak, sanitizer report or build failure.  The last line says which.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
CC=${CC:-clang}
KEEP=
if [ -n "${FUZZ_WORK:-}" ]; then WORK=$FUZZ_WORK; mkdir -p "$WORK"; KEEP=1
else WORK=$(mktemp -d /tmp/souk-fuzz.XXXXXX); fi
cleanup() { [ -n "$KEEP" ] || rm -rf "$WORK"; }
trap cleanup EXIT

command -v "$CC" >/dev/null 2>&1 || { echo "fuzz: $CC not found (install clang libclang-rt-14-dev)"; exit 2; }

# The library sources include "config.h"; an empty stand-in is enough here.
mkdir -p "$WORK/inc" "$WORK/corpus" "$WORK/artifacts"
: >"$WORK/inc/config.h"
SRCS=(src/core/arena.c src/core/buf.c src/core/log.c src/core/utf8.c src/http/parse.c src/http/multipart.c
      tests/fuzz/fuzz_multipart.c)
echo "fuzz: building fuzz_multipart with $CC"
(cd "$ROOT" && "$CC" -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
   -I"$WORK/inc" -Isrc "${SRCS[@]}" -lfcgi -o "$WORK/fuzz_multipart") ||
  { echo "fuzz: build failed"; exit 2; }

cp "$HERE"/corpus/multipart/* "$WORK/corpus/" 2>/dev/null || true
echo "fuzz: running for ${SECONDS_BUDGET}s"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
rc=0
"$WORK/fuzz_multipart" -max_total_time="$SECONDS_BUDGET" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$WORK/artifacts/" \
  "$WORK/corpus" >"$WORK/fuzz.log" 2>&1 || rc=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done [0-9]+ runs' "$WORK/fuzz.log" || true
if [ "$rc" -ne 0 ] || ls "$WORK"/artifacts/* >/dev/null 2>&1; then
  KEEP=1
  tail -n 60 "$WORK/fuzz.log"
  echo "fuzz: FINDING (exit $rc); log and reproducer in $WORK"
  exit 1
fi
echo "fuzz: no finding"
