#!/usr/bin/env bash
# Side-by-side benchmark: neurona vs PyTorch on the book's AlexNet (A9) and
# VGGNet (A10), Oxford Flowers 17 (1,360 JPEGs at 224x224, 1,224 train / 136
# validation after the seeded shuffle), batch 64. Seconds per epoch = the fit
# loop of the epoch, validation included, data loading excluded; the median is
# over epochs 2..N of each run (epoch 1 alone with one epoch).
#
#   bench/flowers/flowers.sh [--net alexnet|vggnet|both] [--epochs 2] [--repeats 1]
#                            [--threads 2] [--seed 1] [--max-train N] [--data DIR]
#   bench/flowers/flowers.sh --quality [--net alexnet] [--seeds 1,2,3] [--epochs 20]
#                            [--out DIR]
#
# Timing: each repeat runs neurona, then PyTorch, as fresh processes, one after
# the other (never at once), and prints the median epoch seconds of both and
# the ratio pytorch/neurona (> 1: neurona faster). --max-train N trains on the
# first N training rows only (validation stays 136), for quick runs; VGGNet is
# about 60 GFLOP per training image, so a full VGG epoch takes many minutes.
# Quality: for every seed, neurona then PyTorch; every run's JSON lines are kept
# in --out (default /tmp/flowers-quality-<time>), and the script prints each
# run's per-epoch val_acc, final and best val_acc, and the medians per side.
#
# neurona is built with `go build -o $TMP/flowers ./bench/flowers`
# (NEURONA_BIN=/path skips the build); if it does not build, the script says so
# on stderr and reports the PyTorch side alone. PyTorch runs with the settings
# of BENCHMARKING.md (OpenBLAS variables unset, glibc malloc tuned, explicit
# thread count; /usr/bin/python3 = Debian's torch) and --cache (decoded pixels
# kept in /tmp). The load average is printed before every run: the machine is
# shared, so compare only ratios of runs made under the same load.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NETS=alexnet
EPOCHS=""
REPEATS=1
THREADS=2
SEED=1
SEEDS=1,2,3
MAXTRAIN=0
DATA=/work/shared/data/flowers17/jpg
QUALITY=0
OUTDIR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --net) NETS="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; QUALITY=1; shift 2 ;;
    --max-train) MAXTRAIN="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --quality) QUALITY=1; shift ;;
    --out) OUTDIR="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$NETS" == both ]] && NETS="alexnet vggnet"
NETS="${NETS//,/ }"
if [[ -z "$EPOCHS" ]]; then
  if [[ $QUALITY == 1 ]]; then EPOCHS=20; else EPOCHS=2; fi
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# ---- the neurona side
NBIN="${NEURONA_BIN:-}"
if [[ -z "$NBIN" ]]; then
  if [[ -f "$ROOT/bench/flowers/main.go" ]] && (cd "$ROOT" && go build -o "$TMP/flowers" ./bench/flowers) 2>"$TMP/build.log"; then
    NBIN="$TMP/flowers"
  else
    echo "flowers.sh: bench/flowers (neurona side) is missing or does not build; reporting PyTorch alone" >&2
    [[ -s "$TMP/build.log" ]] && sed 's/^/  /' "$TMP/build.log" | head -20 >&2
  fi
fi
SEEDFLAG=--seed
if [[ -n "$NBIN" ]] && "$NBIN" -h 2>&1 | grep -q -- '-seeds'; then SEEDFLAG=--seeds; fi

run_neurona() { # net seed -> JSON lines on stdout
  local a=(--net "$1" --epochs "$EPOCHS" "$SEEDFLAG" "$2" --data "$DATA")
  [[ "$MAXTRAIN" != 0 ]] && a+=(--max-train "$MAXTRAIN")
  "$NBIN" "${a[@]}" 2>"$TMP/neurona.err" | grep '^{' || { sed 's/^/  neurona: /' "$TMP/neurona.err" | tail -5 >&2; return 0; }
}
run_torch() { # net seed -> JSON lines on stdout
  local a=(--net "$1" --epochs "$EPOCHS" --seed "$2" --threads "$THREADS" --data "$DATA" --cache)
  [[ "$MAXTRAIN" != 0 ]] && a+=(--max-train "$MAXTRAIN")
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
    /usr/bin/python3 "$HERE/flowers_torch.py" "${a[@]}" 2>"$TMP/torch.err" | grep '^{' \
    || { sed 's/^/  pytorch: /' "$TMP/torch.err" | tail -5 >&2; return 0; }
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "epochs $EPOCHS per run, batch 64$( [[ "$MAXTRAIN" != 0 ]] && echo ", training on the first $MAXTRAIN rows only"); pytorch $THREADS thread(s); neurona: ${NBIN:-n/a}"

# Summarise JSON lines (per-epoch lines; summary lines ignored) of one run.
SUMPY='
import json, statistics, sys
def summ(path):
    ep = []
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"): continue
        d = json.loads(line)
        if d.get("summary") or "epoch" not in d: continue
        ep.append(d)
    if not ep: return None
    secs = [d["epoch_seconds"] for d in ep]
    steady = secs[1:] if len(secs) > 1 else secs
    va = [d.get("val_acc") for d in ep]
    vv = [v for v in va if v is not None]
    return {"median": statistics.median(steady), "secs": secs, "val_accs": va,
            "final": va[-1], "best": max(vv) if vv else None}
'

if [[ $QUALITY == 0 ]]; then
  for net in $NETS; do
    echo
    echo "== $net: median epoch seconds (epochs 2..$EPOCHS; epoch 1 if one epoch)"
    printf '%-7s %10s %10s %9s %19s  %s\n' repeat neurona pytorch ratio "val_acc n / pt" "load before (n | pt)"
    for r in $(seq 1 "$REPEATS"); do
      ln="n/a"; : >"$TMP/n.json"
      if [[ -n "$NBIN" ]]; then ln=$(load); run_neurona "$net" "$SEED" >"$TMP/n.json"; fi
      lp=$(load)
      run_torch "$net" "$SEED" >"$TMP/p.json"
      /usr/bin/python3 -c "$SUMPY
r, ln, lp = sys.argv[1:4]
n, p = summ(\"$TMP/n.json\"), summ(\"$TMP/p.json\")
f = lambda s, k, fmt: (fmt % s[k]) if s and s[k] is not None else \"n/a\"
ratio = \"%.2fx\" % (p[\"median\"] / n[\"median\"]) if n and p else \"n/a\"
print(\"%-7s %10s %10s %9s %8s / %-8s  %s | %s\" % (r, f(n, \"median\", \"%.2fs\"), f(p, \"median\", \"%.2fs\"), ratio,
      f(n, \"final\", \"%.4f\"), f(p, \"final\", \"%.4f\"), ln, lp))
for name, s in ((\"neurona\", n), (\"pytorch\", p)):
    if s: print(\"        %s epochs: %s\" % (name, \" \".join(\"%.2f\" % x for x in s[\"secs\"])))
" "$r" "$ln" "$lp"
    done
  done
  echo "(ratio = pytorch/neurona; > 1 means neurona is faster)"
  exit 0
fi

# ---- quality mode
OUTDIR="${OUTDIR:-/tmp/flowers-quality-$(date -u +%Y%m%dT%H%M%S)}"
mkdir -p "$OUTDIR"
echo "quality: seeds $SEEDS, $EPOCHS epochs; JSON lines kept in $OUTDIR"
for net in $NETS; do
  for s in ${SEEDS//,/ }; do
    if [[ -n "$NBIN" ]]; then
      echo "load before neurona $net seed $s: $(load)"
      run_neurona "$net" "$s" >"$OUTDIR/$net-neurona-seed$s.json"
    fi
    echo "load before pytorch $net seed $s: $(load)"
    run_torch "$net" "$s" >"$OUTDIR/$net-pytorch-seed$s.json"
  done
  /usr/bin/python3 -c "$SUMPY
import os, statistics
net, outdir, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split(\",\")
print()
print(\"== %s: val_acc per epoch, final and best\" % net)
for impl in (\"neurona\", \"pytorch\"):
    finals, bests, meds = [], [], []
    for s in seeds:
        path = os.path.join(outdir, \"%s-%s-seed%s.json\" % (net, impl, s))
        r = summ(path) if os.path.exists(path) else None
        if not r:
            print(\"%-8s seed %-3s n/a\" % (impl, s)); continue
        finals.append(r[\"final\"]); bests.append(r[\"best\"]); meds.append(r[\"median\"])
        print(\"%-8s seed %-3s final %.4f  best %.4f  %.2f s/epoch  val_acc: %s\" % (impl, s, r[\"final\"], r[\"best\"],
              r[\"median\"], \" \".join(\"%.3f\" % v for v in r[\"val_accs\"])))
    if finals:
        print(\"%-8s MEDIAN   final %.4f  best %.4f  %.2f s/epoch  (%d runs)\" % (impl, statistics.median(finals),
              statistics.median(bests), statistics.median(meds), len(finals)))
" "$net" "$OUTDIR" "$SEEDS"
done
