#!/usr/bin/env bash
# The ONNX interoperability check (bench/onnx/README.md): export every case
# with neurona's ExportONNX, check each file with onnx.checker (where
# Debian's python3-onnx is installed), run it in ONNX Runtime (CPU, through
# onnxruntime-node) and compare with neurona's Predict.
#
#   bench/onnx/check.sh [--keep DIR] [--only NAME,NAME]
#
# --keep DIR writes the fixtures (ONNX files, data, manifest.json) to DIR
# and keeps them; by default they go to a temporary directory, removed at
# the end. --only limits the cases (go run ./bench/onnx -list lists them).
# onnxruntime-node is installed into bench/onnx/node_modules with 'npm ci'
# when it cannot be loaded (NODE_PATH may point at another copy);
# NPM_CACHE sets npm's cache (default: npm's own). NO_ONNX_CHECKER=1 skips
# onnx.checker.
#
# Results go to stdout, diagnostics to stderr. Exit status: 0 when every
# check passed, 1 when a check failed, 2 when the check could not run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KEEP=""
ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) KEEP="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "check.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
export PATH="$PATH:/usr/local/go/bin"
for tool in go node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "check.sh: $tool is not installed" >&2
    exit 2
  fi
done

# onnxruntime-node: the npm package ships its CPU runtime; the install
# script only fetches optional CUDA binaries, which ONNXRUNTIME_NODE_INSTALL=skip
# skips.
if ! (cd "$HERE" && node -e "require.resolve('onnxruntime-node')" 2>/dev/null); then
  echo "check.sh: installing onnxruntime-node (npm ci in bench/onnx)" >&2
  cache=()
  [[ -n "${NPM_CACHE:-}" ]] && cache=(--cache "$NPM_CACHE")
  if ! (cd "$HERE" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --prefer-offline "${cache[@]}" >&2); then
    echo "check.sh: npm ci failed: cannot install onnxruntime-node (offline? see the npm error above)" >&2
    exit 2
  fi
fi

if [[ -n "$KEEP" ]]; then
  mkdir -p "$KEEP"
  OUT="$(cd "$KEEP" && pwd)"
  BIN="$(mktemp -d)"
  trap 'rm -rf "$BIN"' EXIT
else
  BIN="$(mktemp -d)"
  OUT="$BIN/out"
  trap 'rm -rf "$BIN"' EXIT
fi

status=0

echo "== the checker's own tests (node --test)"
if ! (cd "$HERE" && node --test compare.test.mjs check.test.mjs >"$BIN/node-test.log" 2>&1); then
  cat "$BIN/node-test.log" >&2
  echo "check.sh: the checker's tests failed; not running the check" >&2
  exit 2
fi
grep -E '^# (pass|fail) ' "$BIN/node-test.log"

echo "== export (go run ./bench/onnx -out $OUT)"
(cd "$ROOT" && go build -o "$BIN/onnx" ./bench/onnx)
only=()
[[ -n "$ONLY" ]] && only=(-only "$ONLY")
if ! "$BIN/onnx" -out "$OUT" "${only[@]}"; then
  echo "check.sh: the fixture program failed (see above)" >&2
  exit 2
fi

echo "== onnx.checker.check_model"
files=("$OUT"/*.onnx)
[[ -e "${files[0]}" ]] || files=()
PY=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import onnx' 2>/dev/null; then PY="$p"; break; fi
done
if [[ "${NO_ONNX_CHECKER:-}" == 1 ]]; then
  echo "skipped: NO_ONNX_CHECKER=1"
elif [[ -z "$PY" ]]; then
  echo "skipped: the python onnx package is not installed (apt-get install -y python3-onnx)"
  echo "check.sh: onnx.checker skipped: no python3 with 'import onnx'" >&2
elif [[ ${#files[@]} -eq 0 ]]; then
  echo "nothing to check: no case was exported"
else
  if ! "$PY" "$HERE/onnx_checker.py" "${files[@]}"; then
    status=1
  fi
fi

echo "== ONNX Runtime vs neurona (node check.mjs)"
only=()
[[ -n "$ONLY" ]] && only=(--only "$ONLY")
set +e
node "$HERE/check.mjs" "$OUT" "${only[@]}"
rc=$?
set -e
case "$rc" in
  0) ;;
  1) status=1 ;;
  *) echo "check.sh: check.mjs could not run (exit $rc)" >&2; exit 2 ;;
esac
if [[ "$status" -ne 0 ]]; then
  echo "check.sh: the ONNX check FAILED" >&2
fi
exit "$status"
