#!/bin/sh
# compare.sh: float32 GEMM throughput (GFLOP/s) of neurona next to numpy
# (OpenBLAS) and torch.mm on this machine, at 1 and 2 threads, with the FMA
# peak for scale.
#
#   sh bench/gemm/compare.sh            (from anywhere in the repository)
#   ROUNDS=5 SHAPES="square big train" sh bench/gemm/compare.sh
#
# Needs /usr/bin/python3 with python3-numpy, python3-torch and
# libopenblas0-openmp (see BENCHMARKING.md). The environment may set
# OPENBLAS_CORETYPE=Haswell and OPENBLAS_L2_SIZE, which force OpenBLAS's AVX2
# kernels, so numpy runs both with the environment as is ("numpy-env") and
# with both unset ("numpy"); torch runs with both unset and BENCHMARKING.md's
# malloc settings. The machines are shared and noisy: every configuration
# runs ROUNDS times, interleaved, and the table shows the best round (each
# round is itself the best of 5 timed runs). Raw rounds go to $OUT (default
# /tmp/neurona-gemm-compare.txt).
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
SHAPES="${SHAPES:-square train}"
ROUNDS="${ROUNDS:-3}"
OUT="${OUT:-/tmp/neurona-gemm-compare.txt}"
BIN=/tmp/neurona-gemm-bench
MALLOC="MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912"
UNSET="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"

go build -o "$BIN" ./bench/gemm
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) ($(nproc) CPUs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-<unset>} in the environment"
: >"$OUT"

# run CONFIG COMMAND...: appends "CONFIG<tab>shape<tab>GFLOP/s" lines.
run() {
	cfg=$1
	shift
	"$@" 2>&1 | awk -v c="$cfg" '/GFLOP\/s$/ { v = $(NF-1); sub(/[ \t]+[0-9.]+ GFLOP\/s$/, ""); sub(/^fp32 FMA peak, /, "peak "); print c "\t" $0 "\t" v }' >>"$OUT"
}

for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS"
	run peak "$BIN" -peak -reps 3
	for t in 1 2; do
		run "neurona-${t}T" env GOMAXPROCS=$t "$BIN" -shapes "$(echo $SHAPES | tr ' ' ,)"
		run "numpy-env-${t}T" env OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t $PY bench/gemm/compare.py numpy $t $SHAPES
		run "numpy-${t}T" $UNSET OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t $PY bench/gemm/compare.py numpy $t $SHAPES
		run "torch-${t}T" $UNSET $MALLOC OMP_NUM_THREADS=$t $PY bench/gemm/compare.py torch $t $SHAPES
	done
done

echo
grep '^peak' "$OUT" | awk -F'\t' '{ if ($3 > b[$2]) b[$2] = $3 } END { for (k in b) printf "%-40s %7.1f GFLOP/s\n", k, b[k] }' | sort
echo
awk -F'\t' '
	$1 != "peak" {
		if (!($2 in seen)) { seen[$2] = 1; shapes[++ns] = $2 }
		if ($3 > best[$1, $2]) best[$1, $2] = $3
	}
	END {
		nc = split("neurona-1T numpy-env-1T numpy-1T torch-1T neurona-2T numpy-env-2T numpy-2T torch-2T", cfgs, " ")
		printf "%-22s", "GFLOP/s, best round"
		for (i = 1; i <= nc; i++) printf " %12s", cfgs[i]
		printf "\n"
		for (s = 1; s <= ns; s++) {
			printf "%-22s", shapes[s]
			for (i = 1; i <= nc; i++) printf " %12.1f", best[cfgs[i], shapes[s]]
			printf "\n"
		}
	}' "$OUT"
