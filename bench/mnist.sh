#!/usr/bin/env bash
# Side-by-side benchmark: neurona vs PyTorch on the book's MNIST dense nets
# (intermediate and deep): seconds per epoch, training over 60k images plus
# validation over the 10k test images, batch 128. The median is over epochs
# 2..N of each run (epoch 1 carries start-up costs on both sides).
#
#   bench/mnist.sh [--epochs N] [--nets intermediate,deep] [--threads 1,2] [--repeats R]
#
# PyTorch runs with the settings of BENCHMARKING.md (OpenBLAS variables unset,
# glibc malloc tuned) and the faster of the given thread counts is reported.
# With --repeats R the two sides alternate R times (fresh processes) and the
# medians over the repeats are compared; every repeat is listed too, since
# the shared machine has slow spells that last seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
EPOCHS=4
NETS=intermediate,deep
THREADS=1,2
REPEATS=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) EPOCHS="$2"; shift 2 ;;
    --nets) NETS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT" && go build -o "$TMP/mnist" ./bench/mnist)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-14s %10s %10s %10s %16s\n' net neurona pytorch ratio "val_acc n / pt"
for net in ${NETS//,/ }; do
  : > "$TMP/n.jsonl"; : > "$TMP/p.jsonl"
  for ((r = 0; r < REPEATS; r++)); do
    "$TMP/mnist" --net "$net" --epochs "$EPOCHS" --seeds 1 >> "$TMP/n.jsonl"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
      MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
      /usr/bin/python3 "$HERE/mnist_torch.py" --nets "$net" --epochs "$EPOCHS" --threads "$THREADS" \
      | grep '"summary": true' | tr '\n' ' ' >> "$TMP/p.jsonl"
    echo >> "$TMP/p.jsonl"
  done
  /usr/bin/python3 - "$net" "$TMP/n.jsonl" "$TMP/p.jsonl" <<'PY'
import json, statistics, sys
net = sys.argv[1]
ns = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
ps = []
for line in open(sys.argv[3]):
    runs = [json.loads(x) for x in line.replace("} {", "}\n{").split("\n") if x.strip()]
    if runs:
        ps.append(min(runs, key=lambda r: r["median_epoch_seconds"]))
nt = [r["median_epoch_seconds"] for r in ns]
pt = [r["median_epoch_seconds"] for r in ps]
n, p = statistics.median(nt), statistics.median(pt)
print("%-14s %9.3fs %9.3fs %9.2fx %8.4f / %.4f   (pytorch threads %s; ratio = pytorch/neurona)" % (
    net, n, p, p / n, ns[-1]["final_val_acc"], ps[-1]["final_val_acc"], ",".join(str(r["threads"]) for r in ps)))
if len(ns) > 1:
    print("%-14s   each repeat: neurona %s; pytorch %s" % ("", " ".join("%.3f" % t for t in nt), " ".join("%.3f" % t for t in pt)))
PY
done
