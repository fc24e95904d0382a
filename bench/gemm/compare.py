"""Times float32 matrix products in numpy (OpenBLAS) or PyTorch for compare.sh.

usage: compare.py numpy|torch THREADS [square] [train]

numpy's thread count comes from OMP_NUM_THREADS/OPENBLAS_NUM_THREADS, which
compare.sh sets before the interpreter starts. Each figure is the best of
several timed runs of at least 0.2 s each, as in bench/gemm/main.go.
"""
import sys
import time

import numpy as np

lib, threads, groups = sys.argv[1], int(sys.argv[2]), sys.argv[3:] or ["square", "train"]

SHAPES = {
    "square": [("NN 1024³", False, False, 1024, 1024, 1024)],
    "big": [("NN 2048³", False, False, 2048, 2048, 2048)],
    "train": [
        ("fwd 128x784·784x64", False, False, 128, 64, 784),
        ("dW  784x128·128x64 TN", True, False, 784, 64, 128),
        ("dx  128x64·64x784 NT", False, True, 128, 784, 64),
        ("fwd 128x64·64x64", False, False, 128, 64, 64),
        ("fwd 8x13·13x32", False, False, 8, 32, 13),
        ("dW  13x8·8x32 TN", True, False, 13, 32, 8),
        ("dx  8x32·32x13 NT", False, True, 8, 13, 32),
        ("fwd 8x32·32x16", False, False, 8, 16, 32),
    ],
}

if lib == "torch":
    import torch

    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
else:
    print(f"numpy {np.__version__}, {threads} thread(s)")


def bench(ta, tb, m, n, k):
    rng = np.random.default_rng(1)
    # Stored as the BLAS row-major operands; .T gives the transposed view.
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    if lib == "torch":
        a, b, c = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
        opa, opb = (a.t() if ta else a), (b.t() if tb else b)
        run = lambda: torch.mm(opa, opb, out=c)
    else:
        opa, opb = (a.T if ta else a), (b.T if tb else b)
        run = lambda: np.matmul(opa, opb, out=c)
    run()
    best = 0.0
    for _ in range(5):
        n_runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.2:
            run()
            n_runs += 1
        best = max(best, 2.0 * m * n * k * n_runs / (time.perf_counter() - start) / 1e9)
    return best


for g in groups:
    for name, ta, tb, m, n, k in SHAPES[g]:
        print(f"{name:<22} {bench(ta, tb, m, n, k):8.1f} GFLOP/s")
