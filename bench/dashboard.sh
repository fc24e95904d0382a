#!/usr/bin/env bash
# Times 'neurona run deep' with and without --dashboard plus a connected SSE
# client, alternating A B A B, and prints each run's wall time (MNIST load
# included) and the medians. Usage: bench/dashboard.sh [PAIRS] [EPOCHS]
set -euo pipefail
pairs=${1:-3}; epochs=${2:-5}
bin=$(mktemp -d)/neurona
go build -o "$bin" ./cmd/neurona
a=(); b=()
for i in $(seq "$pairs"); do
  s=$(date +%s.%N); "$bin" run deep --epochs "$epochs" --verbose 0 >/dev/null 2>&1; e=$(date +%s.%N)
  a+=("$(echo "$e - $s" | bc)")
  port=$((6200 + i)); log=$(mktemp)
  s=$(date +%s.%N)
  "$bin" run deep --epochs "$epochs" --verbose 0 --dashboard=127.0.0.1:$port >/dev/null 2>"$log" &
  pid=$!
  until grep -q "dashboard at" "$log" 2>/dev/null || ! kill -0 $pid 2>/dev/null; do sleep 0.05; done
  curl -s -N "http://127.0.0.1:$port/api/events" >/dev/null 2>&1 &
  cpid=$!
  wait $pid; e=$(date +%s.%N); kill $cpid 2>/dev/null || true
  b+=("$(echo "$e - $s" | bc)")
  echo "pair $i: without ${a[-1]} s, with dashboard+client ${b[-1]} s"
done
med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
echo "median without: $(med "${a[@]}") s; with: $(med "${b[@]}") s"
