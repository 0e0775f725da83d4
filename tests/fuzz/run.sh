#!/usr/bin/env bash
# tests/fuzz/run.sh - build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) and run them: first the multipart
# target, then every other tests/fuzz/fuzz_*.c (the gateway notification
# parsers: fuzz_payfast.c, fuzz_ozow.c, fuzz_stripe.c, fuzz_paypal.c, ...).
#
#   FUZZ_SECONDS         how long to fuzz the multipart target (default 60)
#   FUZZ_NOTIFY_SECONDS  how long to fuzz each other target (default 10)
#   FUZZ_WORK            work dir for the binaries, corpus copies and
#                        artifacts (default: a new temporary dir, removed
#                        afterwards unless a finding was written into it)
#   CC                   compiler (default clang; needs libclang-rt-14-dev on Debian 12)
#
# A target other than multipart names what it links in its own header
# comment, one or more lines each (paths relative to the repository; the
# "fuzz-" prefix and the case are optional, "// SOURCES:" works too):
#   * fuzz-sources: src/core/arena.c src/http/parse.c ...
#   * fuzz-cflags: -DGW_PROTOCOL_ONLY
#   * fuzz-libs: -lcrypto -lsodium -ljansson
# Without fuzz-sources lines it gets the core sources and src/http/parse.c;
# without fuzz-libs lines, -lcrypto -lsodium -ljansson.
#
# The seed corpus of target fuzz_X is tests/fuzz/corpus/X (if present); it
# is copied, never written.
# Exit status: 0 when every run ends without a finding, 1 on a crash,
# leak or sanitizer report, 2 when a target does not build.  The last
# line says which.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
NOTIFY_BUDGET=${FUZZ_NOTIFY_SECONDS:-10}
CC=${CC:-clang}
KEEP=
if [ -n "${FUZZ_WORK:-}" ]; then WORK=$FUZZ_WORK; mkdir -p "$WORK"; KEEP=1
else WORK=$(mktemp -d /tmp/souk-fuzz.XXXXXX); fi
cleanup() { [ -n "$KEEP" ] || rm -rf "$WORK"; }
trap cleanup EXIT

command -v "$CC" >/dev/null 2>&1 || { echo "fuzz: $CC not found (install clang libclang-rt-14-dev)"; exit 2; }

# The library sources include "config.h"; an empty stand-in is enough here.
mkdir -p "$WORK/inc"
: >"$WORK/inc/config.h"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

FINDINGS=()
BROKEN=()

# build NAME CFLAGS LIBS SOURCES... - compile $WORK/NAME; 0 on success.
build() {
  local name=$1 cflags=$2 libs=$3; shift 3
  echo "fuzz: building $name with $CC"
  # shellcheck disable=SC2086
  (cd "$ROOT" && "$CC" -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
     $cflags -I"$WORK/inc" -Isrc "$@" $libs -o "$WORK/$name") >"$WORK/$name.build.log" 2>&1 || {
    tail -n 30 "$WORK/$name.build.log"
    echo "fuzz: $name: build failed"
    BROKEN+=("$name")
    return 1
  }
}

# run NAME SECONDS - fuzz $WORK/NAME from a copy of corpus/NAME-without-fuzz_.
run() {
  local name=$1 secs=$2 rc=0
  local seeds="$HERE/corpus/${name#fuzz_}" dir="$WORK/$name.d"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$seeds"/* "$dir/corpus/" 2>/dev/null || true
  echo "fuzz: running $name for ${secs}s"
  "$WORK/$name" -max_total_time="$secs" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
    "$dir/corpus" >"$dir/fuzz.log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done [0-9]+ runs' "$dir/fuzz.log" || true
  if [ "$rc" -ne 0 ] || ls "$dir"/artifacts/* >/dev/null 2>&1; then
    KEEP=1
    tail -n 60 "$dir/fuzz.log"
    echo "fuzz: $name: FINDING (exit $rc); log and reproducer in $dir"
    FINDINGS+=("$name")
  fi
}

# 1. The multipart parser.
if build fuzz_multipart "" "-lfcgi" src/core/arena.c src/core/buf.c src/core/log.c \
     src/core/utf8.c src/http/parse.c src/http/multipart.c tests/fuzz/fuzz_multipart.c; then
  # Its seeds live in corpus/multipart, as before.
  run fuzz_multipart "$SECONDS_BUDGET"
fi

# 2. Every other target, with what its header names.
for src in "$HERE"/fuzz_*.c; do
  name=$(basename "$src" .c)
  [ "$name" = fuzz_multipart ] && continue
  srcs=$(sed -n 's/^[ */]*\(fuzz-\)\{0,1\}sources:[[:space:]]*//Ip' "$src" | tr '\n' ' ')
  cflags=$(sed -n 's/^[ */]*\(fuzz-\)\{0,1\}cflags:[[:space:]]*//Ip' "$src" | tr '\n' ' ')
  libs=$(sed -n 's/^[ */]*\(fuzz-\)\{0,1\}libs:[[:space:]]*//Ip' "$src" | tr '\n' ' ')
  [ -n "$srcs" ] || srcs="src/core/arena.c src/core/buf.c src/core/log.c src/core/utf8.c src/http/parse.c"
  [ -n "$libs" ] || libs="-lcrypto -lsodium -ljansson"
  # shellcheck disable=SC2086
  if build "$name" "$cflags" "$libs" $srcs "tests/fuzz/$name.c"; then
    run "$name" "$NOTIFY_BUDGET"
  fi
done

if [ "${#FINDINGS[@]}" -gt 0 ]; then
  KEEP=1
  echo "fuzz: FINDING in ${FINDINGS[*]}${BROKEN[*]:+ (and build failed: ${BROKEN[*]})}; logs and reproducers in $WORK"
  exit 1
fi
if [ "${#BROKEN[@]}" -gt 0 ]; then
  echo "fuzz: build failed: ${BROKEN[*]}"
  exit 2
fi
echo "fuzz: no finding"
