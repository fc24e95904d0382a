#!/usr/bin/env bash
# Side-by-side benchmark of the book's DQN agent (notebook A23) on CartPole-v0:
# neurona (`neurona run cartpole`) vs PyTorch eager (dqn_torch.py, one thread,
# no_grad for predictions).
#
#   bench/dqn/bench.sh [--episodes N] [--seed S]     (default 100 episodes, seed 1)
#
# Reports, for each: episodes/s over the N episodes (neurona: the whole process,
# start-up included; PyTorch: the training loop, `import torch` excluded), the mean
# score (episodes/s depends on it: a longer episode has more steps to predict), and
# the latency of one predict of one CartPole state (neurona: PredictInto and Predict
# from `go test -bench`; PyTorch: model(x) under no_grad from a ready tensor, and
# from a Python list as the agent calls it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY=/usr/bin/python3
EPISODES=100
SEED=1
while [ $# -gt 0 ]; do
  case "$1" in
    --episodes) EPISODES="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    *) echo "usage: bench/dqn/bench.sh [--episodes N] [--seed S]" >&2; exit 2 ;;
  esac
done
export PATH="$PATH:/usr/local/go/bin"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT" && go build -o "$TMP/neurona" ./cmd/neurona)

t0=$(date +%s.%N)
"$TMP/neurona" run cartpole --episodes "$EPISODES" --seed "$SEED" > "$TMP/neurona.log"
t1=$(date +%s.%N)
(cd "$ROOT" && go test ./models -run '^$' -bench 'Predict(Into)?CartPole$|TrainOnBatchCartPole' -benchtime 200000x) > "$TMP/bench.txt"

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \
  OMP_NUM_THREADS=1 "$PY" "$HERE/dqn_torch.py" --episodes "$EPISODES" --seed "$SEED" --threads 1 \
  2> "$TMP/torch.log" > "$TMP/torch.json"

T0="$t0" T1="$t1" TMP="$TMP" EPISODES="$EPISODES" "$PY" - <<'PYEOF'
import json, os, re
tmp, n = os.environ["TMP"], int(os.environ["EPISODES"])
secs = float(os.environ["T1"]) - float(os.environ["T0"])
scores = [int(m.group(1)) for m in re.finditer(r"score: (\d+)", open(tmp + "/neurona.log").read())]
ns = {}
for line in open(tmp + "/bench.txt"):
    m = re.match(r"Benchmark(\w+)-\d+\s+\d+\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op", line)
    if m:
        ns[m.group(1)] = (float(m.group(2)), int(m.group(4)))
t = json.load(open(tmp + "/torch.json"))
print(f"CartPole DQN, {n} episodes, one thread")
print(f"{'':28}{'neurona':>14}{'PyTorch':>14}")
print(f"{'episodes/s':28}{n / secs:14.1f}{t['episodes_per_s']:14.1f}")
print(f"{'seconds':28}{secs:14.3f}{t['train_seconds']:14.3f}")
print(f"{'mean score':28}{sum(scores) / len(scores):14.2f}{t['mean_score']:14.2f}")
pi, pp, tb = ns["PredictIntoCartPole"], ns["PredictCartPole"], ns["TrainOnBatchCartPole"]
print(f"{'predict 1x4, ready input µs':28}{pi[0] / 1000:14.2f}{t['predict_us']:14.2f}   (neurona PredictInto, {pi[1]} allocs)")
print(f"{'predict 1x4, agent path µs':28}{pp[0] / 1000:14.2f}{t['predict_from_list_us']:14.2f}   (neurona Predict, {pp[1]} allocs; torch from a list)")
print(f"{'TrainOnBatch 1 sample µs':28}{tb[0] / 1000:14.2f}{'':>14}   ({tb[1]} allocs)")
PYEOF
