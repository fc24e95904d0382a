"""Runs onnx.checker.check_model (full_check: with shape inference) on each
ONNX file given; one PASS/FAIL line per file and a summary on stdout.
Exit status 0 when every file passed, 1 otherwise.

    python3 onnx_checker.py FILE.onnx...
"""
import os
import sys

import onnx


def main(paths):
    bad = 0
    for path in paths:
        name = os.path.basename(path)
        try:
            onnx.checker.check_model(path, full_check=True)
            print("PASS %s" % name)
        except Exception as e:  # ValidationError, InferenceError, a truncated file...
            bad += 1
            msg = str(e).strip().splitlines()
            print("FAIL %s  %s: %s" % (name, type(e).__name__, msg[0] if msg else ""))
    print("onnx %s: %d passed, %d failed" % (onnx.__version__, len(paths) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
