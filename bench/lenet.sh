#!/usr/bin/env bash
# Side-by-side benchmark: neurona vs PyTorch on the book's LeNet-5
# (lenet_in_keras): seconds per epoch, training over the 60k MNIST images
# plus validation over the 10k test images, batch 128. The median is over
# epochs 2..N of each run (epoch 1 carries start-up costs on both sides; with
# one epoch, epoch 1 alone).
#
#   bench/lenet.sh [--epochs N] [--repeats R] [--threads 2] [--seed S]
#
# Each repeat runs neurona, then PyTorch, as fresh processes, one after the
# other (never at once). PyTorch runs with the settings of BENCHMARKING.md
# (OpenBLAS variables unset, glibc malloc tuned, explicit thread count). The
# machine's load average is printed before every run: these machines are
# shared, so compare the ratios of runs made under the same load.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
EPOCHS=2
REPEATS=1
THREADS=2
SEED=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) EPOCHS="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT" && go build -o "$TMP/lenet" ./bench/mnist)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); $EPOCHS epoch(s) per run"
printf '%-7s %10s %10s %9s %18s  %s\n' repeat neurona pytorch ratio "val_acc n / pt" "load before (n, pt)"
for r in $(seq 1 "$REPEATS"); do
  ln=$(cut -d' ' -f1 /proc/loadavg)
  n=$("$TMP/lenet" --net lenet --epochs "$EPOCHS" --seeds "$SEED")
  lp=$(cut -d' ' -f1 /proc/loadavg)
  p=$(cd "$HERE" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
      MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
      /usr/bin/python3 "$HERE/lenet_torch.py" --epochs "$EPOCHS" --threads "$THREADS" --seed "$SEED" 2>/dev/null \
      | grep '"summary": true')
  /usr/bin/python3 - "$r" "$n" "$p" "$ln" "$lp" <<'PY'
import json, sys
r, n, p, ln, lp = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4], sys.argv[5]
ns, ps = n["median_epoch_seconds"], p["median_epoch_seconds"]
print("%-7s %9.2fs %9.2fs %8.2fx %8.4f / %.4f  %s, %s   (ratio = pytorch/neurona; > 1: neurona faster; pytorch %d thread(s))" % (
    r, ns, ps, ps / ns, n["final_val_acc"], p["final_val_acc"], ln, lp, p["threads"]))
PY
done
