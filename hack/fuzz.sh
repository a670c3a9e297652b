#!/usr/bin/env bash
# fuzz.sh PKG NAME FUZZTIME: fuzz one target for FUZZTIME.
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" as -fuzztime runs out (golang/go#75804, fixed in Go 1.27): no
# failing input is written and nothing is wrong with the code. Such a run is
# tried once more; a run that writes a failing input, or fails any other way,
# fails at once.
#
# Each input that finds new coverage is minimized for at most 1 s
# (FUZZMINIMIZETIME): Go's default of 60 s let a 10 s run of a target that
# keeps reaching new code (FuzzPlan through the CEL admission check) spend
# its whole time minimizing and execute a few hundred inputs.
set -uo pipefail
pkg=$1 name=$2 fuzztime=$3
corpus="$pkg/testdata/fuzz/$name"
for attempt in 1 2; do
  before=$(ls "$corpus" 2>/dev/null | sort)
  out=$("${GO:-go}" test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime "${FUZZMINIMIZETIME:-1s}" "$pkg" 2>&1)
  code=$?
  printf '%s\n' "$out"
  [ $code -eq 0 ] && exit 0
  after=$(ls "$corpus" 2>/dev/null | sort)
  if [ "$before" != "$after" ] || ! grep -q '^    context deadline exceeded$' <<<"$out"; then
    exit $code
  fi
  echo "fuzz $name: Go's fuzztime deadline race (golang/go#75804), no failing input written; run $attempt of 2"
done
echo "fuzz $name: the deadline race twice in a row; no failing input was found"
