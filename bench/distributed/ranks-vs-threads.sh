#!/usr/bin/env bash
# bench/distributed/ranks-vs-threads.sh [PAIRS]: the deep MNIST net on this
# machine, 1 process of 2 threads (batch 128) against 2 MPI ranks of 1
# thread each (batch 64 per rank, the same global batch), with per-rank
# and with synchronized BatchNormalization, alternating the three PAIRS
# times (default 5); prints each run's JSON line (5 epochs) and the
# medians of the per-epoch times and of the all-reduces' shares of the
# step.
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -o "$tmp/bd" ./bench/distributed
CGO_ENABLED=0 go build -tags mpi -o "$tmp/bdm" ./bench/distributed
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(mpirun --version | head -1); $(date -u +%Y-%m-%dT%H:%MZ)"
for i in $(seq "$pairs"); do
  GOMAXPROCS=2 "$tmp/bd" --epochs 5 --batch-size 128 | tee -a "$tmp/one"
  mpirun -np 2 --mca btl self,tcp --mca btl_tcp_if_include lo -x GOMAXPROCS=1 \
    "$tmp/bdm" --distributed --epochs 5 --batch-size 64 | tee -a "$tmp/two"
  mpirun -np 2 --mca btl self,tcp --mca btl_tcp_if_include lo -x GOMAXPROCS=1 \
    "$tmp/bdm" --distributed --sync-batchnorm --epochs 5 --batch-size 64 | tee -a "$tmp/sync"
done
python3 - "$tmp/one" "$tmp/two" "$tmp/sync" <<'PY'
import json, statistics, sys
for name, p in (("1 process x 2 threads, batch 128", sys.argv[1]), ("2 ranks x 1 thread, batch 64 each", sys.argv[2]),
                ("2 ranks x 1 thread, batch 64 each, synchronized BatchNormalization", sys.argv[3])):
    rs = [json.loads(l) for l in open(p)]
    ep = statistics.median(statistics.median(r["epoch_s"]) for r in rs)
    line = f"{name}: median epoch {ep:.3f} s"
    if "step_ms" in rs[0]:
        line += (f"; step {statistics.median(r['step_ms'] for r in rs):.3f} ms, all-reduce {100*statistics.median(r['allreduce_share'] for r in rs):.1f}% of it,"
                 f" not overlapped {100*statistics.median(r['exposed_share'] for r in rs):.1f}%")
        if rs[0].get("sync_batchnorm"):
            line += f"; BatchNormalization all-reduces {100*statistics.median(r['batchnorm_share'] for r in rs):.1f}% of the step"
    print(line)
PY
