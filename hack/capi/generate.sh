#!/usr/bin/env bash
# generate.sh: regenerate crds/*.yaml, the Cluster API CustomResourceDefinitions
# the NodePool tests install (Cluster, MachineDeployment, MachineSet, Machine,
# versions v1beta1 and v1beta2), from the types of sigs.k8s.io/cluster-api/api
# at the version go.mod pins, with the controller-gen go.mod pins.
#
# Run it here (bash generate.sh, or go generate ./...); commit the result. To
# move to another Cluster API release: go get sigs.k8s.io/cluster-api/api@vX.Y.Z
# in this directory, then run this script.
#
# Upstream's release YAML adds a conversion webhook (served by the Cluster API
# controller) on top of these; without it the API server converts between the
# versions by changing apiVersion only, which the tests' objects survive.
set -euo pipefail
cd "$(dirname "$0")"
GO=${GO:-go}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GO" tool controller-gen crd \
	'paths=sigs.k8s.io/cluster-api/api/core/v1beta1;sigs.k8s.io/cluster-api/api/core/v1beta2' \
	output:crd:artifacts:config="$tmp"
mkdir -p crds
rm -f crds/*.yaml
for kind in clusters machinedeployments machinesets machines; do
	cp "$tmp/cluster.x-k8s.io_$kind.yaml" crds/
done
version=$("$GO" list -m -f '{{.Version}}' sigs.k8s.io/cluster-api/api)
echo "$version" > crds/VERSION
echo "wrote $(ls crds/*.yaml | wc -l) CRDs of sigs.k8s.io/cluster-api/api $version into $(pwd)/crds"
