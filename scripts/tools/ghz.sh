#!/usr/bin/env bash
# Builds ghz (the gRPC load generator the peer benchmark, lab/benchPeers.ts,
# drives) from the Go module proxy into a cache outside the repository, and
# prints the binary's path on stdout. Logs go to stderr.
#
#   ghz=$(bash scripts/tools/ghz.sh)
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools/ghz-<version>/ghz
# (see go-tool.sh, which does the work).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh" ghz \
  github.com/bojand/ghz/cmd/ghz v0.93.0 "Go 1.14 or newer (its go.mod)"
