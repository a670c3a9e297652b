#!/usr/bin/env bash
# Builds the pinned Kubernetes components of the local fleet into a versioned
# cache. A one-time cost (about 20 minutes cold on 2 cores); later runs find the
# binaries and return at once. Usage: hack/k8s/build.sh [BIN_DIR]
set -euo pipefail

K8S_VERSION=v1.37.2
KWOK_VERSION=v0.8.0
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${KURATOR_K8S_BIN:-$HOME/.cache/kurator/k8s-$K8S_VERSION/bin}}"
mkdir -p "$bin"

ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=37 \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"

# ticker prints a line every 30s while a long build runs, so a silent
# ten-minute compile is not mistaken for a hang.
ticker() { # name start
  while sleep 30; do echo "    ... still building $1 ($(( $(date +%s) - $2 ))s)"; done
}

build() { # name package
  local name=$1 pkg=$2 start tick
  if [[ -x "$bin/$name" ]]; then echo "  $name: cached"; return; fi
  start=$(date +%s)
  echo "  $name: building $pkg (one-time) ..."
  ticker "$name" "$start" & tick=$!
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg") || { kill $tick; exit 1; }
  kill $tick
  mv "$bin/$name.tmp" "$bin/$name"
  echo "  $name: built in $(( $(date +%s) - start ))s"
}

echo "Kubernetes $K8S_VERSION components -> $bin (built once, about 20 minutes cold on 2 cores; reused after)"
build etcd ./etcd
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build kubectl k8s.io/kubernetes/cmd/kubectl
if [[ -x "$bin/kwok" ]]; then echo "  kwok: cached"; else
  start=$(date +%s)
  echo "  kwok: go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION (one-time) ..."
  ticker kwok "$start" & tick=$!
  GOBIN="$bin.kwok.tmp" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" || { kill $tick; exit 1; }
  kill $tick
  mv "$bin.kwok.tmp/kwok" "$bin/kwok" && rmdir "$bin.kwok.tmp"
  echo "  kwok: built in $(( $(date +%s) - start ))s"
fi
echo "all components ready in $bin"
