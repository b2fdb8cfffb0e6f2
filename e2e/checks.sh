#!/usr/bin/env bash
# Runs the e2e checks (compiled mocha tests in dist/e2e/checks) against the cluster
# e2e/cluster.sh keeps up; with real pods inside its network namespace, where the API
# server and the pods are. Extra arguments go to mocha: --grep "<check name>" runs one.
# Writes <state>/logs/report.json (every check, its result, detail and duration).
#
#   bash e2e/checks.sh [mocha args...]
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE=${GRPC_LB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-e2e}
STATE=${GRPC_LB_E2E_STATE:-$CACHE/cluster}
LOG_TAG=checks
# shellcheck source=e2e/lib.sh
source "$HERE/lib.sh"

bash "$HERE/cluster.sh" status >/dev/null 2>&1 || die "no cluster is up: npm run e2e:up (or e2e:up -- --real-pods) first"
[ -f "$ROOT/dist/e2e/checks/cluster.e2e.js" ] || die "the checks are not compiled: npm run build"
NETNS=$(grep '^GRPC_LB_E2E_NETNS=' "$STATE/cluster.env" | cut -d= -f2-)
run=(node "$ROOT/node_modules/mocha/bin/mocha.js" --config "$ROOT/e2e/mocharc.json" "$@")
[ -n "$NETNS" ] && run=(nsenter "--net=/run/netns/$NETNS" -- "${run[@]}")

# Its own process group, so that a stop also stops the Pulumi CLI and plugins it runs.
cd "$ROOT"
GRPC_LB_E2E_STATE=$STATE setsid "${run[@]}" &
pid=$!
stop() {
  say "interrupted: stopping the checks (process group $pid)"
  kill -TERM -- "-$pid" 2>/dev/null
  for _ in $(seq 1 75); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null
  exit 130
}
trap stop INT TERM
wait "$pid"
