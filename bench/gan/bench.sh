#!/usr/bin/env bash
# The book's GAN (notebook A21) side by side: neurona ('neurona run gan')
# against PyTorch (gan_torch.py, the same layers with Keras 2.2's semantics
# written out), on MNIST, 2 threads each.
#
#   bench/gan/bench.sh speed   [--iterations N] [--repeats R]
#       seconds per iteration on each side, alternating neurona and PyTorch
#       R times (default N=20, R=3). Start-up is excluded: neurona's time is
#       (wall time of N iterations − wall time of 1 iteration)/(N − 1);
#       PyTorch's is its training loop's own clock over N iterations.
#   bench/gan/bench.sh quality [--iterations N] [--seeds "1 2 3"] [--optimizer rmsprop|adam] [--out DIR] [--threads T]
#       trains each seed on both sides, scores 1,000 generated digits of
#       each with the same LeNet scorer (examples/ganscore; cached in
#       $NEURONA_DATA) and keeps the 4x4 grids of iterations 100, 500 and N
#       in DIR (default bench/gan/out). --threads T (default 2) runs both
#       sides on T threads; neurona's results do not depend on it, so two
#       scripts with --threads 1 and different --seeds can share 2 cores.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY=/usr/bin/python3
MODE="${1:-}"; shift || true
N=""; R=3; SEEDS="1 2 3"; OPT=rmsprop; OUT="$HERE/out"; T=2
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) N="$2"; shift 2 ;;
    --repeats) R="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --optimizer) OPT="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --threads) T="$2"; shift 2 ;;
    *) echo "usage: bench/gan/bench.sh speed|quality [flags]" >&2; exit 2 ;;
  esac
done
TORCH=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_THRESHOLD_=33554432
  MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 "$PY" "$HERE/gan_torch.py" --threads "$T")
export GOMAXPROCS="$T"
export PATH="$PATH:/usr/local/go/bin"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT" && go build -o "$TMP/neurona" ./cmd/neurona && go build -o "$TMP/score" ./bench/gan/score)
lscpu | sed -n 's/^Model name: *//p' | head -1
case "$MODE" in
speed)
  N="${N:-20}"
  for r in $(seq "$R"); do
    t0=$(date +%s.%N); "$TMP/neurona" run gan --iterations 1 --every 1000 --no-score --out "$TMP/n1" >/dev/null
    t1=$(date +%s.%N); "$TMP/neurona" run gan --iterations "$N" --every 1000 --no-score --out "$TMP/n" >/dev/null
    t2=$(date +%s.%N)
    ns=$(echo "($t2 - $t1 - ($t1 - $t0)) / ($N - 1)" | bc -l)
    ts=$("${TORCH[@]}" --iterations "$N" --every 1000 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["seconds"]/d["iterations"])')
    printf 'repeat %d: neurona %.3f s/iteration, PyTorch %.3f s/iteration, ratio %.2f\n' "$r" "$ns" "$ts" "$(echo "$ts / $ns" | bc -l)"
  done ;;
quality)
  N="${N:-2000}"
  mkdir -p "$OUT"
  for s in $SEEDS; do
    "$TMP/neurona" run gan --iterations "$N" --seed "$s" --optimizer "$OPT" --out "$TMP/n$s" > "$TMP/n$s.log"
    for i in 100 500 "$N"; do
      cp "$TMP/n$s/samples_$(printf %04d $((i - 1))).png" "$OUT/neurona_${OPT}_seed${s}_$(printf %04d "$i").png" 2>/dev/null || true
    done
    ngen=$(sed -n 's/^ *generated: \([0-9.]*\).*/\1/p' "$TMP/n$s.log")
    nreal=$(sed -n 's/^ *real test digits: \([0-9.]*\).*/\1/p' "$TMP/n$s.log")
    "${TORCH[@]}" --iterations "$N" --seed "$s" --optimizer "$OPT" --out "$TMP/t$s" --grids "100,500,$N" \
      --samples "$TMP/t$s.npy" > "$TMP/t$s.json" 2>/dev/null
    for i in 100 500 "$N"; do
      cp "$TMP/t$s/torch_samples_$(printf %04d $((i - 1))).png" "$OUT/torch_${OPT}_seed${s}_$(printf %04d "$i").png" 2>/dev/null || true
    done
    tgen=$("$TMP/score" "$TMP/t$s.npy" | sed -n 's/^score \([0-9.]*\).*/\1/p')
    echo "seed $s, $OPT, $N iterations: neurona score $ngen, PyTorch score $tgen (real test digits: $nreal)"
    tail -n 3 "$TMP/n$s.log" | head -n 1 | sed 's/^/  neurona last line: /'
  done ;;
*) echo "usage: bench/gan/bench.sh speed|quality [flags]" >&2; exit 2 ;;
esac
