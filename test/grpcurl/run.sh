#!/usr/bin/env bash
# `npm run test:grpcurl`: the real grpcurl (protobuf-Go) lists, describes and
# calls the real echo server through server reflection alone (see checks.ts).
#
#   1. build:  grpcurl via scripts/tools/grpcurl.sh (Go from PATH; cached outside
#              the repository after the first build)
#   2. checks: node dist/test/grpcurl/checks.js (compiled by `npm run build`)
#
# Loopback only. Every process is started by checks.ts and killed by PID there;
# this script bounds the check run (GRPCURL_TIMEOUT_S, default 120) and ends it
# by PID on INT/TERM.
# Prints one PASS/FAIL line per check and ends with "N passed, N failed";
# exit status 0 only if every check passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

CHECKS=dist/test/grpcurl/checks.js
CHECKS_TIMEOUT_S=${GRPCURL_TIMEOUT_S:-120}

log() { echo "[grpcurl] $*" >&2; }
# A failure before the checks could run: one FAIL line and the totals.
fail_setup() {
  echo "FAIL $1"
  echo "0 passed, 1 failed"
  exit 1
}

tmp=""
checks_pid=""
# shellcheck disable=SC2317 # called by traps
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$checks_pid" ]] && kill -0 "$checks_pid" 2>/dev/null; then
    kill -TERM "$checks_pid" 2>/dev/null || true # checks.ts kills its children on TERM
    for _ in $(seq 50); do kill -0 "$checks_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$checks_pid" 2>/dev/null || true
  fi
  [[ -z "$tmp" ]] || rm -rf "$tmp"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)

[[ -f "$CHECKS" && -f dist/echo/server.js ]] ||
  fail_setup "prerequisites: $CHECKS or dist/echo/server.js missing: run 'npm run build' first (npm run test:grpcurl does)"

# 1. grpcurl: built once, then reused from the cache. Its log shows as it goes
#    and is kept, so a failure's FAIL line can give the reason.
tmp=$(mktemp -d)
if ! bash scripts/tools/grpcurl.sh 2>&1 >"$tmp/path" | tee "$tmp/log" >&2; then
  fail_setup "build: grpcurl could not be built: $(tail -n 1 "$tmp/log")"
fi
grpcurl=$(cat "$tmp/path")
[[ -x "$grpcurl" ]] || fail_setup "build: scripts/tools/grpcurl.sh printed '$grpcurl', which is not an executable"

# 2. the checks, bounded as a whole: on timeout, checks.ts gets TERM, reports the
#    check it was in as FAILed, prints the totals and kills its children.
phase=$(date +%s)
GRPCURL=$grpcurl timeout --kill-after=15 "$CHECKS_TIMEOUT_S" node "$CHECKS" &
checks_pid=$!
set +e
wait "$checks_pid"
rc=$?
set -e
checks_pid=""
case $rc in
  0) ;;
  124) log "checks ended: no result within ${CHECKS_TIMEOUT_S} s" ;;
  137)
    echo "FAIL checks: killed after ${CHECKS_TIMEOUT_S} s (did not stop on TERM)"
    echo "0 passed, 1 failed"
    ;;
esac
log "checks took $(($(date +%s) - phase)) s; whole run $(($(date +%s) - started)) s"
exit "$rc"
