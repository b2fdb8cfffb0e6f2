#!/usr/bin/env bash
# Builds grpcurl (the protobuf-Go reflection client the grpcurl checks use) from
# the Go module proxy into a cache outside the repository, and prints the
# binary's path on stdout. Logs go to stderr.
#
#   grpcurl=$(bash scripts/tools/grpcurl.sh)
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools/grpcurl-<version>/grpcurl
# (see go-tool.sh, which does the work).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh" grpcurl \
  github.com/fullstorydev/grpcurl/cmd/grpcurl v1.9.4 "Go 1.25 or newer (its go.mod)"
