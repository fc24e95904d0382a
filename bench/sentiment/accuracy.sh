#!/bin/sh
# Trains each of the book's nine sentiment nets on the rt-polarity 90/10
# split that `neurona run NAME --data rt-polarity` uses, seeds 1-3, on both
# sides (neurona and PyTorch, nets_torch.py), with the specs' epochs, batch
# 128 and Adam; one JSON line per run in $OUT (default accuracy.jsonl), and
# each neurona run's per-epoch history beside it (OUT-NET-SEED.csv).
# usage: bench/sentiment/accuracy.sh [NET...]   (run from the repository root)
set -eu
OUT=${OUT:-bench/sentiment/accuracy.jsonl}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
go build -o "$DIR/neurona" ./cmd/neurona
go run ./bench/sentiment/export -dir "$DIR"
NETS=${*:-"dense conv rnn lstm gru bilstm stacked-bilstm conv-lstm multi-convnet"}
for net in $NETS; do
	for seed in 1 2 3; do
		( cd "$DIR" && nice "$DIR/neurona" run "$net-sentiment" --data rt-polarity --seed "$seed" --verbose 0 --format json --history "${OUT%.jsonl}-$net-$seed.csv" ) |
			sed "s/^/{\"side\":\"neurona\",\"net\":\"$net\",\"seed\":$seed,\"result\":/; s/\$/}/" >>"$OUT"
		( cd bench/sentiment && nice env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 accuracy_torch.py "$net" "$seed" "$DIR" 1 ) >>"$OUT"
	done
done
