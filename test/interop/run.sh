#!/usr/bin/env bash
# `npm run test:interop`: proves wire compatibility with the classic Java
# example both ways, with a real grpc-java peer (see checks.ts for what is proved).
#
#   1. prerequisites: java (17+) and mvn on PATH, else FAIL at once
#   2. build:  test/interop/java with `mvn -q -B package` (stubs from the ORIGINAL
#              two-field proto; Maven's default local repository is the cache)
#   3. checks: node dist/test/interop/checks.js (compiled by `npm run build`)
#
# Loopback only. Every process is started by checks.ts and killed by PID there;
# this script bounds the check run (INTEROP_TIMEOUT_S, default 300) and ends it
# by PID on INT/TERM.
# Prints one PASS/FAIL line per check and ends with "N passed, N failed";
# exit status 0 only if every check passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

JAVA_DIR=test/interop/java
CHECKS=dist/test/interop/checks.js
CHECKS_TIMEOUT_S=${INTEROP_TIMEOUT_S:-300}

build_log=""
LOG_TAG=interop
CLEANUP='rm -f "$build_log"'
# shellcheck source=test/support/checks.sh
source test/support/checks.sh

# 1. prerequisites: fail loudly, never skip.
command -v java >/dev/null 2>&1 || fail_setup "prerequisites: java not found on PATH (a JDK 17+ is required)"
command -v javac >/dev/null 2>&1 || fail_setup "prerequisites: javac not found on PATH (a JDK 17+ is required, not only a JRE)"
command -v mvn >/dev/null 2>&1 || fail_setup "prerequisites: mvn not found on PATH (Maven 3.8+ is required)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
[[ "$java_major" =~ ^[0-9]+$ && "$java_major" -ge 17 ]] ||
  fail_setup "prerequisites: java is version '${java_major:-unknown}', 17+ is required"
[[ -f "$CHECKS" && -f dist/echo/server.js && -f dist/echo/client.js ]] ||
  fail_setup "prerequisites: $CHECKS or dist/echo/ missing: run 'npm run build' first (npm run test:interop does)"

# 2. build the Java peer (incremental: the stubs are regenerated only when the proto changes).
phase=$(date +%s)
build_log=$(mktemp)
if ! (cd "$JAVA_DIR" && mvn -q -B package) >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  fail_setup "build: mvn package of $JAVA_DIR failed (log above)"
fi
[[ -s "$JAVA_DIR/target/classpath.txt" && -f "$JAVA_DIR/target/echo-peer.jar" ]] ||
  fail_setup "build: $JAVA_DIR/target/echo-peer.jar or classpath.txt missing after mvn package"
log "java peer built in $(($(date +%s) - phase)) s (java $java_major)"

# 3. the checks, bounded as a whole.
run_checks "$CHECKS_TIMEOUT_S" INTEROP_JAVA="$(command -v java)" \
  INTEROP_JAVA_CLASSPATH="$PWD/$JAVA_DIR/target/echo-peer.jar:$(cat "$JAVA_DIR/target/classpath.txt")" -- "$CHECKS"
