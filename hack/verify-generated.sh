#!/usr/bin/env bash
# verify-generated.sh [ROOT]: fail when the deepcopy code under ROOT/api or the
# CRDs in ROOT/config/crd differ from what `make generate` writes from
# ROOT/api, or the chart's copy in ROOT/charts/kurator/files/crds differs from
# what hack/chartcrds writes from ROOT/config/crd (ROOT defaults to this
# repository).
#
# It generates into a temporary copy of go.mod, go.sum and api/, so the tree
# itself is never written, and names every stale file with the command that
# fixes it. GO picks the go command (default: go).
set -euo pipefail

root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
GO=${GO:-go}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp "$root/go.mod" "$root/go.sum" "$tmp/"
cp -R "$root/api" "$tmp/api"
mkdir -p "$tmp/config/crd"
(
	cd "$tmp"
	"$GO" tool controller-gen object paths=./api/...
	"$GO" tool controller-gen crd:allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=config/crd
) || { echo "verify-generated: controller-gen failed on $root/api; fix the error above" >&2; exit 1; }

stale=()
# Deepcopy code: the copy of api/ differs from the tree only where
# controller-gen rewrote a file.
while IFS= read -r f; do
	stale+=("$f")
done < <(cd "$tmp" && find api -name 'zz_generated.*.go' | sort | while IFS= read -r f; do
	cmp -s "$f" "$root/$f" || echo "$f"
done)
# CRDs: every generated file must exist in the tree with the same bytes, and
# the tree must hold no CRD that is no longer generated.
while IFS= read -r f; do
	stale+=("$f")
done < <(
	{ (cd "$tmp" && ls config/crd/*.yaml); (cd "$root" && ls config/crd/*.yaml 2>/dev/null || true); } | sort -u |
		while IFS= read -r f; do
			cmp -s "$tmp/$f" "$root/$f" 2>/dev/null || echo "$f"
		done
)

# The chart's copy of the CRDs: what hack/chartcrds (of this script's
# repository) writes from ROOT/config/crd; a stale config/crd is reported
# above on its own. A ROOT without the chart has nothing to check.
chartcrds=charts/kurator/files/crds
if [[ -d "$root/charts/kurator" ]]; then
	mkdir -p "$tmp/$chartcrds"
	(cd "$(dirname "$0")/.." && "$GO" run ./hack/chartcrds -in "$root/config/crd" -out "$tmp/$chartcrds") ||
		{ echo "verify-generated: hack/chartcrds failed; fix the error above" >&2; exit 1; }
	while IFS= read -r f; do
		stale+=("$f")
	done < <(
		{ (cd "$tmp" && ls $chartcrds/*.yaml); (cd "$root" && ls $chartcrds/*.yaml 2>/dev/null || true); } | sort -u |
			while IFS= read -r f; do
				cmp -s "$tmp/$f" "$root/$f" 2>/dev/null || echo "$f"
			done
	)
fi

if ((${#stale[@]} == 0)); then
	exit 0
fi
for f in "${stale[@]}"; do
	if [[ ! -e "$root/$f" ]]; then
		echo "$f: missing; make generate writes it" >&2
	elif [[ ! -e "$tmp/$f" ]]; then
		echo "$f: nothing generates it any more; delete it (make generate does, for the chart's copy)" >&2
	else
		echo "$f: differs from what make generate writes:" >&2
		diff -u "$root/$f" "$tmp/$f" | head -20 >&2 || true
	fi
done
echo "generated files are stale (${#stale[@]}); run make generate and commit the result" >&2
exit 1
