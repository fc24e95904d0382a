#!/usr/bin/env bash
# Side-by-side benchmark: neurona vs PyTorch on the book's MNIST dense nets
# (intermediate and deep): seconds per epoch, training over 60k images plus
# validation over the 10k test images, batch 128. The median is over epochs
# 2..N of each run (epoch 1 carries start-up costs on both sides).
#
#   bench/mnist.sh [--epochs N] [--nets intermediate,deep] [--threads 1,2]
#
# PyTorch runs with the settings of BENCHMARKING.md (OpenBLAS variables unset,
# glibc malloc tuned) and the faster of the given thread counts is reported.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
EPOCHS=4
NETS=intermediate,deep
THREADS=1,2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) EPOCHS="$2"; shift 2 ;;
    --nets) NETS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT" && go build -o "$TMP/mnist" ./bench/mnist)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-14s %10s %10s %10s %16s\n' net neurona pytorch ratio "val_acc n / pt"
for net in ${NETS//,/ }; do
  n=$("$TMP/mnist" --net "$net" --epochs "$EPOCHS" --seeds 1)
  p=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
      MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
      /usr/bin/python3 "$HERE/mnist_torch.py" --nets "$net" --epochs "$EPOCHS" --threads "$THREADS" | grep '"summary": true' )
  /usr/bin/python3 - "$net" "$n" "$p" <<'PY'
import json, sys
net, n, p = sys.argv[1], json.loads(sys.argv[2]), [json.loads(l) for l in sys.argv[3].splitlines()]
best = min(p, key=lambda r: r["median_epoch_seconds"])
ns, ps = n["median_epoch_seconds"], best["median_epoch_seconds"]
print("%-14s %9.3fs %9.3fs %9.2fx %8.4f / %.4f   (pytorch %d thread(s); ratio = pytorch/neurona)" % (
    net, ns, ps, ps / ns, n["final_val_acc"], best["final_val_acc"], best["threads"]))
PY
done
