#!/usr/bin/env bash
# distributed/mpitest.sh: neurona's data-parallel training under Open MPI's
# mpirun, on the loopback interface only. Run from the repository root:
#   distributed/mpitest.sh            # what CI runs
#   MPITEST_QUICK=1 distributed/mpitest.sh   # skip the 20-epoch comparison
# It checks: exact integer all-reduce sums on every rank (2 and 4 ranks,
# the latter oversubscribed); bit-identical weights on every rank after
# Fit; 2 ranks x batch 64 against 1 process x batch 128 (History within
# 1e-5 relative on the deep net without BatchNormalization/Dropout, and on
# the deep net itself with synchronized BatchNormalization over its first
# 100 steps; final val_accuracy within 0.005 after 20 epochs, synchronized
# and per rank); a synchronized checkpoint resumed bit-identically; a
# stand-in MPICH library refused with a message; a rank killed
# mid-epoch and a rank stalled mid-epoch both end the run non-zero within
# 30 s with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=0
MPIRUN=(mpirun --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CGO_ENABLED=0
go test -c -tags mpi -o "$tmp/dist.test" ./distributed
go test -c -tags mpi -o "$tmp/models.test" ./models
go build -tags mpi -o "$tmp/neurona-mpi" ./cmd/neurona
go build -o "$tmp/neurona" ./cmd/neurona

echo "== all-reduce sums, broadcast, barrier: 2 ranks, then 4 oversubscribed"
"${MPIRUN[@]}" -np 2 "$tmp/dist.test" -test.run '^TestMPICollectives$' -test.v 2>&1 | grep -- '--- PASS' | wc -l | grep -qx 2
"${MPIRUN[@]}" -np 4 --oversubscribe "$tmp/dist.test" -test.run '^TestMPICollectives$' -test.v 2>&1 | grep -- '--- PASS' | wc -l | grep -qx 4
echo ok
echo "== Fit: bit-identical weights on every rank (2 ranks, 4 oversubscribed)"
"${MPIRUN[@]}" -np 2 "$tmp/models.test" -test.run '^TestMPIFitSameWeights$' -test.v 2>&1 | grep -- '--- PASS' | wc -l | grep -qx 2
"${MPIRUN[@]}" -np 4 --oversubscribe "$tmp/models.test" -test.run '^TestMPIFitSameWeights$' -test.v 2>&1 | grep -- '--- PASS' | wc -l | grep -qx 4
echo ok

compare() { # compare A.csv B.csv RELTOL: every History value within RELTOL
  python3 - "$1" "$2" "$3" <<'PY'
import csv, sys
a, b, tol = list(csv.DictReader(open(sys.argv[1]))), list(csv.DictReader(open(sys.argv[2]))), float(sys.argv[3])
assert len(a) == len(b) and a, (len(a), len(b))
worst = 0.0
for ra, rb in zip(a, b):
    for k in ra:
        if k == "epoch": continue
        x, y = float(ra[k]), float(rb[k])
        worst = max(worst, abs(x - y) / max(abs(y), 1e-12))
print(f"largest relative difference over {len(a)} epochs: {worst:.3g}; final val_accuracy {a[-1].get('val_accuracy')} vs {b[-1].get('val_accuracy')}")
sys.exit(0 if worst <= tol else 1)
PY
}
echo "== 2 ranks x 64 vs 1 process x 128: deep net without BatchNormalization and Dropout, 3 epochs"
"${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" train examples/distributed/deep-plain.yaml --distributed \
  --batch-size 64 --epochs 3 --verbose 0 --history "$tmp/plain2.csv" >/dev/null
"$tmp/neurona" train examples/distributed/deep-plain.yaml --batch-size 128 --epochs 3 --verbose 0 --history "$tmp/plain1.csv" >/dev/null
compare "$tmp/plain2.csv" "$tmp/plain1.csv" 1e-5

echo "== the deep net itself, synchronized BatchNormalization, 1 epoch of 100 steps (the first 12,800 training images)"
# Past a few hundred steps the training's own rounding sensitivity takes
# over (docs/distributed.md, "Equivalence with one process").
mkdir "$tmp/mnist100"
python3 - "$tmp/mnist100" <<'PY'
import gzip, struct, sys
def cut(name, n):
    b = gzip.open("datasets/mnist/data/" + name).read()
    nd = b[3]
    dims = list(struct.unpack(">%dI" % nd, b[4:4 + 4 * nd]))
    row = 1
    for d in dims[1:]:
        row *= d
    dims[0] = min(n, dims[0])
    head = 4 + 4 * nd
    with gzip.open(sys.argv[1] + "/" + name, "wb") as f:
        f.write(b[:4] + struct.pack(">%dI" % nd, *dims) + b[head:head + dims[0] * row])
for kind in ("images-idx3", "labels-idx1"):
    cut(f"train-{kind}-ubyte.gz", 12800)
    cut(f"t10k-{kind}-ubyte.gz", 10000)
PY
"${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --data-dir "$tmp/mnist100" --distributed --sync-batchnorm \
  --batch-size 64 --epochs 1 --verbose 0 --history "$tmp/sync2.csv" >/dev/null
"$tmp/neurona" run deep --data-dir "$tmp/mnist100" --batch-size 128 --epochs 1 --verbose 0 --history "$tmp/sync1.csv" >/dev/null
compare "$tmp/sync2.csv" "$tmp/sync1.csv" 1e-5

echo "== a synchronized 2-rank checkpoint of epoch 2 resumed for epoch 3: bit-identical to the uninterrupted run"
"${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --data-dir "$tmp/mnist100" --distributed --sync-batchnorm \
  --batch-size 64 --epochs 3 --verbose 0 --history "$tmp/whole.csv" >/dev/null
"${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --data-dir "$tmp/mnist100" --distributed --sync-batchnorm \
  --batch-size 64 --epochs 2 --verbose 0 --checkpoint "$tmp/ck.nrn" >/dev/null
"${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --data-dir "$tmp/mnist100" --distributed --sync-batchnorm \
  --batch-size 64 --epochs 3 --resume "$tmp/ck.nrn" --verbose 0 --history "$tmp/resumed.csv" >/dev/null
tail -n 1 "$tmp/whole.csv"; tail -n 1 "$tmp/resumed.csv"
[ "$(tail -n 1 "$tmp/whole.csv")" = "$(tail -n 1 "$tmp/resumed.csv")" ]
echo ok

if [ -z "${MPITEST_QUICK:-}" ]; then
  final() { # final A.csv B.csv WHAT: the final val_accuracy within 0.005
    python3 - "$1" "$2" "$3" <<'PY'
import csv, sys
a, b = [list(csv.DictReader(open(p)))[-1] for p in sys.argv[1:3]]
d = abs(float(a["val_accuracy"]) - float(b["val_accuracy"]))
print(f"{sys.argv[3]}: final val_accuracy 2x64 {a['val_accuracy']}, 1x128 {b['val_accuracy']}, difference {d:.4f}")
sys.exit(0 if d <= 0.005 else 1)
PY
  }
  echo "== the deep net, 20 epochs: final val_accuracy within 0.005, synchronized and per-rank BatchNormalization"
  "$tmp/neurona" run deep --batch-size 128 --verbose 0 --history "$tmp/deep1.csv" >/dev/null
  "${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --distributed --sync-batchnorm --batch-size 64 --verbose 0 --history "$tmp/deep2s.csv" >/dev/null
  compare "$tmp/deep2s.csv" "$tmp/deep1.csv" 1 || true
  final "$tmp/deep2s.csv" "$tmp/deep1.csv" synchronized
  "${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --distributed --batch-size 64 --verbose 0 --history "$tmp/deep2.csv" >/dev/null
  compare "$tmp/deep2.csv" "$tmp/deep1.csv" 1 || true
  final "$tmp/deep2.csv" "$tmp/deep1.csv" per-rank
fi

failtest() { # failtest SIGNAL: send SIGNAL to rank 1 mid-epoch; the run must end non-zero within 30 s
  local sig=$1
  "${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --distributed --dist-timeout 10s \
    --batch-size 64 --epochs 200 --verbose 0 >"$tmp/out" 2>"$tmp/err" &
  local mp=$!
  local rank1=""
  for _ in $(seq 100); do
    sleep 0.1
    for p in $(ps -o pid= --ppid "$mp"); do
      if tr '\0' '\n' </proc/"$p"/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then rank1=$p; fi
    done
    [ -n "$rank1" ] && break
  done
  [ -n "$rank1" ] || { echo "rank 1 not found" >&2; kill "$mp"; return 1; }
  sleep 3 # loading, then mid-epoch
  local t0=$(date +%s.%N)
  kill -s "$sig" "$rank1"
  local rc=0
  timeout 60 tail --pid="$mp" -f /dev/null || true
  wait "$mp" || rc=$?
  local dt=$(python3 -c "import time; print(f'{time.time()-$t0:.1f}')")
  [ "$sig" = STOP ] && kill -CONT "$rank1" 2>/dev/null || true
  echo "SIG$sig to rank 1: mpirun exited $rc after ${dt}s; stderr:"
  grep -v '^ *$' "$tmp/err" | head -4 | sed 's/^/  | /'
  [ "$rc" -ne 0 ] && python3 -c "import sys; sys.exit(0 if $dt < 30 else 1)"
}
if command -v cc >/dev/null; then
  echo "== another MPI is refused: a stand-in for MPICH (its symbols, integer handles)"
  printf 'int MPI_Init_thread(void){return 0;}\nint MPIR_Err_return_comm(void){return 0;}\n' >"$tmp/fake.c"
  cc -shared -fPIC -o "$tmp/libmpich-fake.so" "$tmp/fake.c"
  if OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 NEURONA_MPI_LIB="$tmp/libmpich-fake.so" \
      "$tmp/neurona-mpi" run regression --distributed --epochs 1 --verbose 0 >/dev/null 2>"$tmp/err"; then
    echo "a non-Open MPI library was accepted" >&2; exit 1
  fi
  cat "$tmp/err"
  grep -q MPICH "$tmp/err" && grep -q "supports Open MPI" "$tmp/err"
fi

echo "== a rank killed mid-epoch (SIGKILL): the others stop non-zero within 30 s"
failtest KILL
echo "== a rank stalled mid-epoch (SIGSTOP): the watchdog (--dist-timeout 10s) stops the others"
failtest STOP
echo "mpitest: all passed"
