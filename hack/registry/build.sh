#!/usr/bin/env bash
# Builds the pinned CNCF distribution registry (the
# github.com/distribution/distribution/v3 module in go.mod beside this script)
# into a versioned cache. internal/registry runs it on loopback for the
# image-sync tests, test/bench/imagesync and `kurator up --registries`.
# A one-time cost (about 2 minutes cold on 2 cores); later runs find the
# binary and return at once.
# Usage: hack/registry/build.sh [BIN_DIR]
set -euo pipefail

REGISTRY_VERSION=v3.1.2 # keep equal to github.com/distribution/distribution/v3 in go.mod
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${KURATOR_REGISTRY_BIN:-$HOME/.cache/kurator/registry-$REGISTRY_VERSION/bin}}"
mkdir -p "$bin"

if [[ -x "$bin/registry" ]]; then echo "  registry $REGISTRY_VERSION: cached in $bin"; exit 0; fi
start=$(date +%s)
echo "  registry $REGISTRY_VERSION: building github.com/distribution/distribution/v3/cmd/registry (one-time) -> $bin ..."
# A line every 30s, so a silent compile is not mistaken for a hang.
(while sleep 30; do echo "    ... still building registry ($(( $(date +%s) - start ))s)"; done) & tick=$!
trap 'kill $tick 2>/dev/null || true' EXIT
(cd "$here" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION" \
  -o "$bin/registry.tmp" github.com/distribution/distribution/v3/cmd/registry)
mv "$bin/registry.tmp" "$bin/registry"
echo "  registry $REGISTRY_VERSION: built in $(( $(date +%s) - start ))s"
