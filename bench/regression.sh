#!/usr/bin/env bash
# Side-by-side benchmark: neurona vs PyTorch on the book's regression_in_keras
# (Boston housing, 32 epochs, batch 8).  See bench/README.md.
#
# Timing mode (default): for seed 1, runs each implementation --repeats times
# (default 5) as fresh processes, interleaved, and prints the median training
# time (the fit loop only, from each program's JSON), the median whole-process
# wall time (neurona binary vs `python3 regression_torch.py` incl. import
# torch), and the ratios PyTorch / neurona (> 1 means neurona is faster).
#
# Quality mode (--seeds 1..10): runs each implementation once over the seeds and
# prints per-seed final and best val_loss for both, with medians.
#
# Both programs print one JSON line per seed:
#   {"impl":..,"seed":S,"train_seconds":T,"final_val_loss":..,"best_val_loss":..,
#    "best_epoch":..,"val_losses":[...]}
#
# The PyTorch command alone runs with the settings of /work/shared/BENCHMARKING.md:
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset, glibc malloc tuned, explicit thread count.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PY=/usr/bin/python3

REPEATS=5
SEEDS=""
EPOCHS=32
THREADS=1
BN_VAR=""

usage() {
  cat <<EOF
usage: bench/regression.sh [--repeats N] [--seeds LIST] [--epochs E] [--threads T] [--bn-var keras|torch]
  (default)      timing: seed 1, N repeats (default $REPEATS), medians and PyTorch/neurona ratio
  --seeds LIST   quality: e.g. 1..10 or 1,2,3; per-seed final/best val_loss of both + medians
  --threads T    torch.set_num_threads for PyTorch (default $THREADS; 1 is its fastest here)
  --bn-var V     PyTorch BatchNorm moving-variance update (default: torch = stock
                 nn.BatchNorm1d for timing, keras = biased variance as Keras for quality)
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) REPEATS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --bn-var) BN_VAR="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# Expand "1..10" (and mixes like "1..3,7") into a comma list both sides accept.
expand_seeds() {
  local out=() part a b i
  IFS=',' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ "$part" == *..* ]]; then
      a="${part%%..*}"; b="${part##*..}"
      for ((i = a; i <= b; i++)); do out+=("$i"); done
    elif [[ -n "$part" ]]; then
      out+=("$part")
    fi
  done
  (IFS=','; echo "${out[*]}")
}

if [[ -n "$SEEDS" ]]; then
  MODE=quality; SEEDLIST="$(expand_seeds "$SEEDS")"; BN_VAR="${BN_VAR:-keras}"
else
  MODE=timing; SEEDLIST=1; BN_VAR="${BN_VAR:-torch}"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# ---- PyTorch command (BENCHMARKING.md settings apply to it only) -------------
if ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "error: $PY cannot import torch; apt-get install -y python3-torch python3-numpy libopenblas0-openmp" >&2
  exit 1
fi
TORCH_CMD=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912
  "$PY" "$HERE/regression_torch.py" --threads "$THREADS" --bn-var "$BN_VAR"
  --epochs "$EPOCHS" --seeds "$SEEDLIST")

# ---- neurona command: build bench/regression once --------------------------
# NEURONA_BIN=/path/to/binary in the environment skips the build.
NEURONA_BIN="${NEURONA_BIN:-}"
if [[ -n "$NEURONA_BIN" ]]; then
  echo "using NEURONA_BIN=$NEURONA_BIN" >&2
elif [[ -f "$HERE/regression/main.go" ]]; then
  echo "building ./bench/regression ..." >&2
  if (cd "$ROOT" && go build -o "$TMP/neurona-regression" ./bench/regression) >"$TMP/build.log" 2>&1; then
    NEURONA_BIN="$TMP/neurona-regression"
  else
    echo "NOTE: neurona side unavailable: 'go build ./bench/regression' failed:" >&2
    sed 's/^/    /' "$TMP/build.log" >&2
  fi
else
  echo "NOTE: neurona side unavailable: bench/regression/main.go does not exist yet;" \
       "showing PyTorch only." >&2
fi
NEURONA_CMD=("$NEURONA_BIN" --seeds "$SEEDLIST" --epochs "$EPOCHS")

# run_timed OUTFILE WALLFILE CMD... : appends JSON lines to OUTFILE and the
# process wall time (seconds) to WALLFILE.
run_timed() {
  local out="$1" wall="$2"; shift 2
  local t0="$EPOCHREALTIME"
  if ! "$@" >>"$out" 2>>"$TMP/stderr.log"; then
    echo "error: command failed: $*" >&2
    sed 's/^/    /' "$TMP/stderr.log" >&2
    exit 1
  fi
  local t1="$EPOCHREALTIME"
  "$PY" -c "print(f'{$t1 - $t0:.4f}')" >>"$wall"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "torch: $("$PY" -c 'import torch; print(torch.__version__)') threads=$THREADS bn_var=$BN_VAR; epochs=$EPOCHS"

if [[ "$MODE" == timing ]]; then
  for ((r = 1; r <= REPEATS; r++)); do
    if [[ -n "$NEURONA_BIN" ]]; then
      run_timed "$TMP/neurona.jsonl" "$TMP/neurona.wall" "${NEURONA_CMD[@]}"
    fi
    run_timed "$TMP/pytorch.jsonl" "$TMP/pytorch.wall" "${TORCH_CMD[@]}"
    echo "  repeat $r/$REPEATS done" >&2
  done
else
  if [[ -n "$NEURONA_BIN" ]]; then
    run_timed "$TMP/neurona.jsonl" "$TMP/neurona.wall" "${NEURONA_CMD[@]}"
  fi
  run_timed "$TMP/pytorch.jsonl" "$TMP/pytorch.wall" "${TORCH_CMD[@]}"
fi

MODE="$MODE" TMP="$TMP" "$PY" - <<'EOF'
import json, os, statistics as st
tmp, mode = os.environ["TMP"], os.environ["MODE"]

def load(impl):
    p = os.path.join(tmp, impl + ".jsonl")
    if not os.path.exists(p):
        return None, None
    rows = [json.loads(l) for l in open(p) if l.strip().startswith("{")]
    rows = [r for r in rows if not r.get("summary")]
    walls = [float(l) for l in open(os.path.join(tmp, impl + ".wall")) if l.strip()]
    return rows, walls

nr, nw = load("neurona")
pr, pw = load("pytorch")
med = lambda xs: st.median(xs)

if mode == "timing":
    print(f"\nregression_in_keras, seed 1, medians over {len(pr)} runs (fresh processes)")
    print(f"{'':24}{'neurona':>12}{'pytorch':>12}{'pytorch/neurona':>18}")
    pt, pp = med([r["train_seconds"] for r in pr]), med(pw)
    if nr:
        nt, np_ = med([r["train_seconds"] for r in nr]), med(nw)
        print(f"{'train seconds':24}{nt:12.3f}{pt:12.3f}{pt / nt:18.2f}")
        print(f"{'process wall seconds':24}{np_:12.3f}{pp:12.3f}{pp / np_:18.2f}")
    else:
        print(f"{'train seconds':24}{'n/a':>12}{pt:12.3f}{'n/a':>18}")
        print(f"{'process wall seconds':24}{'n/a':>12}{pp:12.3f}{'n/a':>18}")
    for name, rows, walls in (("neurona", nr, nw), ("pytorch", pr, pw)):
        if rows:
            print(f"  {name} train s: " + " ".join(f"{r['train_seconds']:.3f}" for r in rows)
                  + "   wall s: " + " ".join(f"{w:.3f}" for w in walls))
else:
    by = lambda rows: {r["seed"]: r for r in rows} if rows else {}
    n, p = by(nr), by(pr)
    seeds = sorted(set(n) | set(p))
    print(f"\nregression_in_keras quality, {len(seeds)} seeds (val_loss = MSE on the 102 validation rows)")
    print(f"{'seed':>6}{'neurona final':>15}{'neurona best':>14}{'pytorch final':>15}{'pytorch best':>14}")
    f = lambda d, s, k: f"{d[s][k]:.2f}" if s in d else "n/a"
    for s in seeds:
        print(f"{s:>6}{f(n, s, 'final_val_loss'):>15}{f(n, s, 'best_val_loss'):>14}"
              f"{f(p, s, 'final_val_loss'):>15}{f(p, s, 'best_val_loss'):>14}")
    m = lambda d, k: f"{med([r[k] for r in d.values()]):.2f}" if d else "n/a"
    print(f"{'median':>6}{m(n, 'final_val_loss'):>15}{m(n, 'best_val_loss'):>14}"
          f"{m(p, 'final_val_loss'):>15}{m(p, 'best_val_loss'):>14}")
    ts = lambda d: f"{med([r['train_seconds'] for r in d.values()]):.3f}" if d else "n/a"
    print(f"median train seconds per seed: neurona {ts(n)}, pytorch {ts(p)}")
EOF
