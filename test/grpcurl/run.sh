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

tmp=""
LOG_TAG=grpcurl
CLEANUP='rm -rf "$tmp"'
# shellcheck source=test/support/checks.sh
source test/support/checks.sh

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

# 2. the checks, bounded as a whole.
run_checks "$CHECKS_TIMEOUT_S" GRPCURL="$grpcurl" -- "$CHECKS"
