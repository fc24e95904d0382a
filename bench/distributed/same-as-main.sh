#!/usr/bin/env bash
# bench/distributed/same-as-main.sh [BASE]: the single-process path is
# unchanged by data-parallel Fit. Builds neurona from BASE (default
# e6e464d, the commit before it) and from the working tree, then:
#  1. compares `neurona run regression --seed S` for S = 1..10: the
#     per-epoch val_loss histories must be bit-identical (the CSV values
#     are printed with 17 significant digits, a float64 round trip);
#  2. times the deep MNIST net (bench/mnist, 5 epochs), alternating A B A B for RUNS
#     pairs (default 5), and prints the median seconds per epoch of each.
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${1:-e6e464d}
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$base" | tar -x -C "$tmp" --one-top-level=base
(cd "$tmp/base" && CGO_ENABLED=0 go build -o "$tmp/A" ./cmd/neurona && CGO_ENABLED=0 go build -o "$tmp/mA" ./bench/mnist)
CGO_ENABLED=0 go build -o "$tmp/B" ./cmd/neurona
CGO_ENABLED=0 go build -o "$tmp/mB" ./bench/mnist
for s in $(seq 1 10); do
  for v in A B; do
    "$tmp/$v" run regression --seed "$s" --verbose 0 --history "$tmp/$v-$s.csv" >/dev/null
  done
  if ! cmp -s "$tmp/A-$s.csv" "$tmp/B-$s.csv"; then
    echo "seed $s: histories differ" >&2
    diff "$tmp/A-$s.csv" "$tmp/B-$s.csv" | head >&2
    exit 1
  fi
done
echo "regression, seeds 1..10: histories (val_loss included) bit-identical between $base and the working tree"
for i in $(seq "$runs"); do
  for v in A B; do
    "$tmp/m$v" --net deep --epochs 5 --seeds 1 | python3 -c 'import json,sys; print(*json.loads(sys.stdin.readline())["epoch_seconds"])' >>"$tmp/t-$v"
  done
done
python3 - "$tmp/t-A" "$tmp/t-B" "$base" <<'PY'
import statistics, sys
for name, p in (("base " + sys.argv[3], sys.argv[1]), ("working tree", sys.argv[2])):
    runs = [[float(x) for x in l.split()] for l in open(p) if l.strip()]
    per = [statistics.median(r) for r in runs]
    print(f"deep MNIST, {name}: median s/epoch per run {per}; median {statistics.median(per):.4f}")
PY
