#!/usr/bin/env bash
# `npm run e2e` / `npm run e2e:real-pods`: bring a cluster up, run every check, tear it
# down (also after a failure or Ctrl-C). The three steps alone: e2e/cluster.sh up,
# e2e/checks.sh, e2e/cluster.sh down (npm run e2e:up, e2e:checks, e2e:down).
#
#   bash e2e/run.sh [--real-pods] [mocha args, e.g. --grep "l4: traffic"]
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
up_args=()
if [ "${1:-}" = --real-pods ]; then up_args=(--real-pods); shift; fi
started=$(date +%s)

trap 'bash "$HERE/cluster.sh" down; exit 130' INT TERM
bash "$HERE/cluster.sh" up "${up_args[@]}" || exit 1
bash "$HERE/checks.sh" "$@"
rc=$?
trap - INT TERM
bash "$HERE/cluster.sh" down
echo "[e2e] whole run $(($(date +%s) - started)) s; report: ${GRPC_LB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-e2e}/last-run/report.json"
exit $rc
