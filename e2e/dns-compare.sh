#!/usr/bin/env bash
# Compares the lab's DNS stand-in (lab/headlessDns.ts) with CoreDNS, the cluster DNS of the
# real-pods e2e, built (or reused) by e2e/build-tools.sh: both hold 200 A records for one
# name and get the same queries (UDP with and without EDNS0, TCP); a table of reply size,
# TC, records and OPT, exit 1 on any difference. No cluster: CoreDNS runs on 127.0.0.1 for
# about a second. Worth a run after changing the stand-in or COREDNS_VERSION.
#
#   npm run build && bash e2e/dns-compare.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Its own tools.env: the shared one lists the tools of the last build-tools.sh call.
if ! GRPC_LB_E2E_TOOLS_ENV=$work/tools.env bash "$HERE/build-tools.sh" coredns >"$work/build.log" 2>&1; then
  tail -n 20 "$work/build.log" >&2
  exit 1
fi
# shellcheck disable=SC1091
source "$work/tools.env"
node "$HERE/../dist/e2e/dnsCompare.js" "$COREDNS_DIR/coredns" "$work"
