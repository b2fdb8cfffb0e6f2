#!/usr/bin/env bash
# `npm run test:interop`: proves wire compatibility with the classic Java
# example both ways, with a real grpc-java peer (see checks.ts for what is proved).
#
#   1. build:  the Java peer via scripts/tools/java-peer.sh: needs java (17+),
#              javac and mvn on PATH, else FAIL at once; `mvn -q -B package` of
#              test/interop/java (stubs from the ORIGINAL two-field proto; Maven's
#              default local repository is the cache); prints the classpath
#   2. checks: node dist/test/interop/checks.js (compiled by `npm run build`)
#
# Loopback only. Every process is started by checks.ts and killed by PID there;
# this script bounds the check run (INTEROP_TIMEOUT_S, default 300) and ends it
# by PID on INT/TERM.
# Prints one PASS/FAIL line per check and ends with "N passed, N failed";
# exit status 0 only if every check passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

CHECKS=dist/test/interop/checks.js
CHECKS_TIMEOUT_S=${INTEROP_TIMEOUT_S:-300}

build_log=""
LOG_TAG=interop
CLEANUP='rm -f "$build_log" "$build_log.cp"'
# shellcheck source=test/support/checks.sh
source test/support/checks.sh

[[ -f "$CHECKS" && -f dist/echo/server.js && -f dist/echo/client.js ]] ||
  fail_setup "prerequisites: $CHECKS or dist/echo/ missing: run 'npm run build' first (npm run test:interop does)"

# 1. the Java peer: missing tools or a failed build fail loudly, never skip. Its
#    log shows as it goes; its last line is the reason on failure.
build_log=$(mktemp)
if ! bash scripts/tools/java-peer.sh 2>&1 >"$build_log.cp" | tee "$build_log" >&2; then
  fail_setup "$(tail -n 1 "$build_log" | sed 's/^\[java-peer\] //')"
fi
classpath=$(cat "$build_log.cp")
[[ -n "$classpath" ]] || fail_setup "build: scripts/tools/java-peer.sh printed no classpath"

# 2. the checks, bounded as a whole.
run_checks "$CHECKS_TIMEOUT_S" INTEROP_JAVA="$(command -v java)" INTEROP_JAVA_CLASSPATH="$classpath" -- "$CHECKS"
