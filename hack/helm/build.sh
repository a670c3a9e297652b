#!/usr/bin/env bash
# Builds the pinned Helm 4 command from source (the helm.sh/helm/v4 module in
# go.mod beside this script) into a versioned cache. test/e2e/helm drives it
# against the hub; nothing else needs it. A one-time cost (about 3 minutes
# cold on 2 cores); later runs find the binary and return at once.
# Usage: hack/helm/build.sh [BIN_DIR]
set -euo pipefail

HELM_VERSION=v4.3.1 # keep equal to helm.sh/helm/v4 in go.mod
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${KURATOR_HELM_BIN:-$HOME/.cache/kurator/helm-$HELM_VERSION/bin}}"
mkdir -p "$bin"

if [[ -x "$bin/helm" ]]; then echo "  helm $HELM_VERSION: cached in $bin"; exit 0; fi
start=$(date +%s)
echo "  helm $HELM_VERSION: building helm.sh/helm/v4/cmd/helm (one-time) -> $bin ..."
# A line every 30s, so a silent compile is not mistaken for a hang.
(while sleep 30; do echo "    ... still building helm ($(( $(date +%s) - start ))s)"; done) & tick=$!
trap 'kill $tick 2>/dev/null || true' EXIT
(cd "$here" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
  -o "$bin/helm.tmp" helm.sh/helm/v4/cmd/helm)
mv "$bin/helm.tmp" "$bin/helm"
echo "  helm $HELM_VERSION: built in $(( $(date +%s) - start ))s"
