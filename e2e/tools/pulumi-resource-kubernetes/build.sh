#!/usr/bin/env bash
# Builds pulumi-resource-kubernetes into $1 (called by e2e/build-tools.sh from this dir).
# The provider's main embeds schema-embed.json and terraform-mapping-embed.json, which
# upstream generates (git-ignored) from the committed schema.json / terraform-mapping.json.
# So: copy the provider module out of the module cache, generate both (minified, version
# set, as its generate.go does), and build against a temporary copy of this go.mod that
# replaces the provider module with that copy.
set -euo pipefail
out=$1
mod=github.com/pulumi/pulumi-kubernetes/provider/v4
ver=$(awk -v m="$mod" '$1==m{print $2; exit} $1=="require" && $2==m{print $3; exit}' go.mod)
version=${ver#v}   # the provider reports its pseudo-version as its version

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
go mod download "$mod@$ver"
src=$(go list -m -f '{{.Dir}}' "$mod")
cp -r "$src" "$work/provider"
chmod -R u+w "$work/provider"
cmd="$work/provider/cmd/pulumi-resource-kubernetes"
VERSION="$version" node -e '
  const fs = require("fs"), dir = process.argv[1];
  const schema = JSON.parse(fs.readFileSync(dir + "/schema.json", "utf8"));
  schema.version = process.env.VERSION;
  fs.writeFileSync(dir + "/schema-embed.json", JSON.stringify(schema));
  const tf = JSON.parse(fs.readFileSync(dir + "/terraform-mapping.json", "utf8"));
  fs.writeFileSync(dir + "/terraform-mapping-embed.json", JSON.stringify(tf));
' "$cmd"

mkdir "$work/build"
cp go.mod go.sum tools.go "$work/build/"
cd "$work/build"
go mod edit -replace "$mod=../provider"
nice -n 19 go build -p "${GRPC_LB_E2E_BUILD_JOBS:-2}" \
  -ldflags "-s -w -X $mod/pkg/version.Version=$version" \
  -o "$out/pulumi-resource-kubernetes" "$mod/cmd/pulumi-resource-kubernetes"
