#!/usr/bin/env python3
"""The scaling model of docs/distributed.md: step time of data-parallel
training at p ranks, weak scaling (the per-rank batch fixed).

  T_step(p) = T_comp + T_ar(p)             (no overlap; the bound we use)
  T_ar(p)   = 2(p-1)/p * S/B + 2(p-1)*alpha  (ring all-reduce of S bytes)
  T_comp    = batch * flops_per_sample / F
  speedup(p) = p * T_comp / T_step(p), efficiency = speedup / p

S is 4 bytes per trainable weight (float32 gradients). F is the rank's
sustained rate: 76 GFLOP/s is what the deep MNIST net reaches on the
2-vCPU Xeon this was measured on (60,000 samples x 358 kFLOP in 0.283 s);
a GPU rank for VGG is taken at 50 TFLOP/s. Links: 10 GbE over TCP
(1.25 GB/s, 25 us), 100 Gb/s InfiniBand (12.5 GB/s, 2 us), and this VM's
loopback as measured by distributed/mpitest runs (see bench/README.md).
"""
nets = [  # name, trainable weights, training FLOPs per sample, per-rank batch, F
    ("shallow", 50_890, 6 * 50_890, 128, 76e9),
    ("intermediate", 55_050, 6 * 55_050, 128, 76e9),
    ("deep", 59_594, 6 * 59_594, 128, 76e9),
    ("lenet", 1_199_882, 72e6, 128, 76e9),
    ("dense-sentiment", 729_729, 6 * 409_664, 128, 76e9),
    ("conv-sentiment", 435_457, 118e6, 128, 76e9),
    ("lstm-sentiment", 968_961, 200e6, 128, 76e9),
    ("VGG16 (CPU)", 138_357_544, 3 * 15.5e9, 32, 76e9),
    ("VGG16 (GPU)", 138_357_544, 3 * 15.5e9, 32, 50e12),
]
links = [("10GbE", 1.25e9, 25e-6), ("IB100", 12.5e9, 2e-6)]
ps = [2, 4, 8, 16, 32, 64]

def t_ar(p, s, bw, alpha):
    return 2 * (p - 1) / p * s / bw + 2 * (p - 1) * alpha

print("| net | S (MB) | T_comp (ms) | link | " + " | ".join(f"p={p}" for p in ps) + " | pays up to |")
print("|---|---|---|---|" + "---|" * len(ps) + "---|")
for name, w, fl, b, f in nets:
    s = 4 * w
    tc = b * fl / f
    for ln, bw, a in links:
        cells, best = [], 1
        for p in ps:
            sp = p * tc / (tc + t_ar(p, s, bw, a))
            cells.append(f"{sp:.1f}x ({100 * sp / p:.0f}%)")
            if sp / p >= 0.5:
                best = p
        pays = f"{best}" if best > 1 else "never (efficiency < 50% at 2)"
        print(f"| {name} | {s / 1e6:.2f} | {tc * 1e3:.3g} | {ln} | " + " | ".join(cells) + f" | {pays} |")
