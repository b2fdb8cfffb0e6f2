#!/usr/bin/env bash
# Builds the grpc-java echo peer (test/interop/java: EchoServer and EchoClient,
# stubs from the ORIGINAL two-field proto) with Maven, and prints the classpath
# that runs it on stdout. Used by the interop checks (test/interop/run.sh) and
# the peer benchmark (lab/benchPeers.ts). Logs go to stderr.
#
#   cp=$(bash scripts/tools/java-peer.sh)
#   java -cp "$cp" com.example.grpc.EchoServer [host] [port] [from]
#
# Needs a JDK 17+ and Maven 3.8+ on PATH; without them it exits 1 at once. On
# failure the last stderr line is "[java-peer] <reason>". The build is
# incremental (stubs regenerated only when the proto changes); Maven's default
# local repository is the cache. Concurrent runs wait for each other (flock).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

JAVA_DIR=test/interop/java
LOCK_WAIT_S=600

log() { echo "[java-peer] $*" >&2; }
die() { log "$*"; exit 1; }

command -v java >/dev/null 2>&1 || die "prerequisites: java not found on PATH (a JDK 17+ is required)"
command -v javac >/dev/null 2>&1 || die "prerequisites: javac not found on PATH (a JDK 17+ is required, not only a JRE)"
command -v mvn >/dev/null 2>&1 || die "prerequisites: mvn not found on PATH (Maven 3.8+ is required)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
[[ "$java_major" =~ ^[0-9]+$ && "$java_major" -ge 17 ]] ||
  die "prerequisites: java is version '${java_major:-unknown}', 17+ is required"

# Two builds into one target/ would break each other: one at a time.
mkdir -p "$JAVA_DIR/target"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$JAVA_DIR/target/.build.lock"
  flock -w "$LOCK_WAIT_S" 9 || die "build: another build of $JAVA_DIR held the lock for ${LOCK_WAIT_S} s"
fi

started=$(date +%s)
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! (cd "$JAVA_DIR" && mvn -q -B package) >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  die "build: mvn package of $JAVA_DIR failed (log above)"
fi
[[ -s "$JAVA_DIR/target/classpath.txt" && -f "$JAVA_DIR/target/echo-peer.jar" ]] ||
  die "build: $JAVA_DIR/target/echo-peer.jar or classpath.txt missing after mvn package"
log "built in $(($(date +%s) - started)) s (java $java_major)"
echo "$PWD/$JAVA_DIR/target/echo-peer.jar:$(cat "$JAVA_DIR/target/classpath.txt")"
