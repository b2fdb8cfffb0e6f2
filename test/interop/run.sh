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

log() { echo "[interop] $*" >&2; }
# A failure before the checks could run: one FAIL line and the totals.
fail_setup() {
  echo "FAIL $1"
  echo "0 passed, 1 failed"
  exit 1
}

build_log=""
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
  [[ -z "$build_log" ]] || rm -f "$build_log"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)

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

# 3. the checks, bounded as a whole: on timeout, checks.ts gets TERM, reports the
#    check it was in as FAILed, prints the totals and kills its children.
phase=$(date +%s)
INTEROP_JAVA=$(command -v java) \
  INTEROP_JAVA_CLASSPATH="$PWD/$JAVA_DIR/target/echo-peer.jar:$(cat "$JAVA_DIR/target/classpath.txt")" \
  timeout --kill-after=15 "$CHECKS_TIMEOUT_S" node "$CHECKS" &
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
