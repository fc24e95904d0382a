#!/usr/bin/env bash
# One training epoch of the book's lstm, gru, bi_lstm, stacked_bi_lstm and
# conv sentiment nets at IMDB's shapes (25,000 sequences of the notebook's
# length, random token ids, batch 128), neurona (speed/main.go) against
# PyTorch (speed_torch.py, fused nn.LSTM/nn.GRU) on 2 threads and on 1
# (PyTorch's recurrent nets are often fastest on one; its best is taken),
# neurona on 2, alternating, R repeats (default 3). Each side times B batches (default
# 20) after a warm-up batch and scales to 25,000 sequences.
#
#   bench/sentiment/speed.sh [--repeats R] [--batches B] [NET...]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
R=3; B=20
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) R="$2"; shift 2 ;;
    --batches) B="$2"; shift 2 ;;
    -*) echo "usage: bench/sentiment/speed.sh [--repeats R] [--batches B] [NET...]" >&2; exit 2 ;;
    *) break ;;
  esac
done
NETS=("$@")
[ ${#NETS[@]} -gt 0 ] || NETS=(lstm-sentiment gru-sentiment bilstm-sentiment stacked-bilstm-sentiment conv-sentiment)
export PATH="$PATH:/usr/local/go/bin"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT" && go build -o "$TMP/speed" ./bench/sentiment/speed)
lscpu | sed -n 's/^Model name: *//p' | head -1
for r in $(seq "$R"); do
  for net in "${NETS[@]}"; do
    GOMAXPROCS=2 "$TMP/speed" -batches "$B" "$net" | tee -a "$TMP/all.jsonl"
    case "$net" in *lstm*|*gru*) GOMAXPROCS=2 "$TMP/speed" -batches "$B" -sigmoid "$net" | tee -a "$TMP/all.jsonl" ;; esac
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_THRESHOLD_=33554432 \
      MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
      /usr/bin/python3 "$HERE/speed_torch.py" --batches "$B" --threads 2 "$net" | tee -a "$TMP/all.jsonl"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_THRESHOLD_=33554432 \
      MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
      /usr/bin/python3 "$HERE/speed_torch.py" --batches "$B" --threads 1 "$net" | tee -a "$TMP/all.jsonl"
  done
done
/usr/bin/python3 - "$TMP/all.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
nets = list(dict.fromkeys(r["net"] for r in rows))
print(f"\n{'net':28}{'neurona (book gates)':>22}{'neurona (sigmoid)':>19}{'PyTorch 2 thr':>15}{'PyTorch 1 thr':>15}{'best ratio':>12}   epoch seconds, medians")
for n in nets:
    def med(side, act=None, threads=None):
        v = [r["epoch_seconds"] for r in rows if r["net"] == n and r["side"] == side
             and (act is None or r.get("recurrent_activation") == act) and (threads is None or r.get("threads") == threads)]
        return statistics.median(v) if v else float("nan")
    nb, ns = med("neurona", "hard_sigmoid"), med("neurona", "sigmoid")
    t2, t1 = med("pytorch", threads=2), med("pytorch", threads=1)
    best = min(t2, t1)
    print(f"{n:28}{nb:22.1f}{ns:19.1f}{t2:15.1f}{t1:15.1f}{best / (ns if ns == ns else nb):12.2f}")
print("best ratio: PyTorch's faster thread count against neurona with the same (sigmoid) gates where the net has them")
PY
