#!/usr/bin/env bash
# distributed/mpitest.sh: neurona's data-parallel training under Open MPI's
# mpirun, on the loopback interface only. Run from the repository root:
#   distributed/mpitest.sh            # what CI runs
#   MPITEST_QUICK=1 distributed/mpitest.sh   # skip the 20-epoch comparison
# It checks: exact integer all-reduce sums on every rank (2 and 4 ranks,
# the latter oversubscribed); bit-identical weights on every rank after
# Fit; 2 ranks x batch 64 against 1 process x batch 128 (History within
# 1e-5 relative on the deep net without BatchNormalization/Dropout, final
# val_accuracy within 0.005 on the deep net itself); a stand-in MPICH
# library refused with a message; a rank killed
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
if [ -z "${MPITEST_QUICK:-}" ]; then
  echo "== the deep net itself (per-rank BatchNormalization), 20 epochs: final val_accuracy within 0.005"
  "${MPIRUN[@]}" -np 2 -x GOMAXPROCS=1 "$tmp/neurona-mpi" run deep --distributed --batch-size 64 --verbose 0 --history "$tmp/deep2.csv" >/dev/null
  "$tmp/neurona" run deep --batch-size 128 --verbose 0 --history "$tmp/deep1.csv" >/dev/null
  compare "$tmp/deep2.csv" "$tmp/deep1.csv" 1 || true
  python3 - "$tmp/deep2.csv" "$tmp/deep1.csv" <<'PY'
import csv, sys
a, b = [list(csv.DictReader(open(p)))[-1] for p in sys.argv[1:]]
d = abs(float(a["val_accuracy"]) - float(b["val_accuracy"]))
print(f"final val_accuracy: 2x64 {a['val_accuracy']}, 1x128 {b['val_accuracy']}, difference {d:.4f}")
sys.exit(0 if d <= 0.005 else 1)
PY
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
