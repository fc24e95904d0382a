#!/usr/bin/python3
"""PyTorch side of the regression_in_keras benchmark (Boston housing).

Reproduces the book's Keras `regression_in_keras` model with Keras's defaults:

    Dense(32, relu) -> BatchNormalization -> Dense(16, relu) -> BatchNormalization
    -> Dropout(0.2) -> Dense(1)

  * data: Keras's boston_housing split: indices shuffled with
    np.random.RandomState(113), first 404 rows train, last 102 validation,
    no input scaling;
  * init: Glorot-uniform kernels, zero biases, BN gamma=1 beta=0;
  * BatchNormalization: epsilon 1e-3, momentum 0.99 (torch momentum=0.01);
  * loss MSE; Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-7);
  * fit(batch_size=8, epochs=32, shuffle=True, validation_data=(x_val, y_val)),
    validation in inference mode with batch 8.

Remaining known differences from Keras: the random streams (init, dropout,
epoch shuffles) differ; Keras adds Adam's epsilon to sqrt(v) before the bias
correction, torch after it (negligible at eps=1e-7).  --bn-var torch switches
to the stock nn.BatchNorm1d (unbiased moving variance, slightly faster), which
regression.sh uses in its timing mode.

One JSON line per seed goes to stdout:
  {"impl":"pytorch","seed":S,"train_seconds":T,"final_val_loss":..,
   "best_val_loss":..,"best_epoch":..,"val_losses":[...]}
--train-losses adds "train_losses" (per-epoch sample-weighted mean of the
training batch losses, dropout active, as Keras's `loss`).
train_seconds is the wall time of the fit loop (all epochs, validation
included), excluding `import torch` and data loading.  best_epoch is 1-based.
With --summary a final JSON line {"impl":"pytorch","summary":true,...} holds
the medians over the seeds.

Run with /usr/bin/python3 (Debian's torch; see /work/shared/BENCHMARKING.md for
the environment PyTorch needs to run at its best).
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CSV = os.path.join(HERE, "..", "datasets", "data", "boston_house_prices.csv")


def load_boston(path, seed=113, test_split=0.2):
    """Keras boston_housing.load_data() split, from the sklearn-format CSV.

    Line 1 is a count header, line 2 the column names, then 506 rows; the last
    column (MEDV) is the target.
    """
    data = np.loadtxt(path, delimiter=",", skiprows=2, dtype=np.float64)
    assert data.shape == (506, 14), data.shape
    x, y = data[:, :-1], data[:, -1]
    # keras.datasets.boston_housing: rng = np.random.RandomState(seed); rng.shuffle(indices)
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    n_train = int(len(x) * (1 - test_split))  # 404
    as_t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    return (as_t(x[:n_train]), as_t(y[:n_train]).reshape(-1, 1),
            as_t(x[n_train:]), as_t(y[n_train:]).reshape(-1, 1))


class KerasBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d whose moving variance is updated with the *biased* batch
    variance, as Keras's BatchNormalization does (tf.nn.moments; its fused
    kernel removes Bessel's correction "to be consistent").  torch's
    BatchNorm1d updates running_var with the unbiased (n/(n-1)) variance.
    Normalisation itself (biased batch variance in training, moving stats in
    inference) is the same in both."""

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        with torch.no_grad():
            var, mean = torch.var_mean(x, 0, unbiased=False)
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var, self.momentum)
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


def build_model(bn_var="keras"):
    bn = KerasBatchNorm1d if bn_var == "keras" else nn.BatchNorm1d
    model = nn.Sequential(
        nn.Linear(13, 32), nn.ReLU(),
        bn(32, eps=1e-3, momentum=0.01),
        nn.Linear(32, 16), nn.ReLU(),
        bn(16, eps=1e-3, momentum=0.01),
        nn.Dropout(0.2),
        nn.Linear(16, 1),
    )
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)  # Keras glorot_uniform
            nn.init.zeros_(m.bias)
    return model


def flatten_params(model):
    """Make every parameter (and its .grad) a view into one flat buffer and
    return that buffer as a single Parameter.  Adam is elementwise, so running
    it on the flat buffer is the same math as on the 10 separate tensors, but
    one kernel per op instead of ten: the per-step optimizer overhead, which
    dominates this tiny net, drops by ~150 us.  Gradients then accumulate in
    place into the views, so they are zeroed with flat.grad.zero_()."""
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    flat, flat_grad = torch.empty(total), torch.zeros(total)
    off = 0
    for p in params:
        n = p.numel()
        flat[off:off + n].copy_(p.data.reshape(-1))
        p.data = flat[off:off + n].view_as(p)
        p.grad = flat_grad[off:off + n].view_as(p)
        off += n
    fp = nn.Parameter(flat)
    fp.grad = flat_grad
    return fp


def fit(seed, data, epochs, batch_size, bn_var, foreach, flat):
    x_tr, y_tr, x_va, y_va = data
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = build_model(bn_var)
    if flat:
        fp = flatten_params(model)
        opt = torch.optim.Adam([fp], lr=1e-3, betas=(0.9, 0.999), eps=1e-7, foreach=foreach)
        zero_grad = fp.grad.zero_
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999),
                               eps=1e-7, foreach=foreach)
        zero_grad = lambda: opt.zero_grad(set_to_none=True)
    n_tr, n_va = len(x_tr), len(x_va)
    x_va_b, y_va_b = x_va.split(batch_size), y_va.split(batch_size)
    train_losses, val_losses = [], []

    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n_tr)
        total = 0.0
        for xb, yb in zip(x_tr[perm].split(batch_size), y_tr[perm].split(batch_size)):
            loss = F.mse_loss(model(xb), yb)
            zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        train_losses.append(total / n_tr)

        model.eval()
        total = 0.0
        with torch.inference_mode():
            for xb, yb in zip(x_va_b, y_va_b):
                total += F.mse_loss(model(xb), yb, reduction="sum").item()
        val_losses.append(total / n_va)
    seconds = time.perf_counter() - t0

    best = min(range(epochs), key=lambda i: val_losses[i])
    return {
        "impl": "pytorch",
        "seed": seed,
        "train_seconds": round(seconds, 4),
        "final_val_loss": round(val_losses[-1], 4),
        "best_val_loss": round(val_losses[best], 4),
        "best_epoch": best + 1,
        "val_losses": [round(v, 4) for v in val_losses],
        "train_losses": [round(v, 4) for v in train_losses],
    }


def parse_seeds(s):
    out = []
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        if ".." in part:  # 1..10
            a, b = part.split("..")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1", help="comma list and/or ranges, e.g. 1,2,3 or 1..10")
    ap.add_argument("--epochs", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (1 is fastest on 8-row batches)")
    ap.add_argument("--data", default=DEFAULT_CSV, help="boston_house_prices.csv (default: repo datasets/data/)")
    ap.add_argument("--bn-var", choices=("keras", "torch"), default="keras",
                    help="moving-variance update: keras = biased batch variance (matches Keras, default); "
                         "torch = stock nn.BatchNorm1d (unbiased)")
    ap.add_argument("--foreach", choices=("best", "on", "off"), default="best",
                    help="Adam foreach (multi-tensor) implementation; best = off with --flat-params on "
                         "(one tensor), on otherwise (~7%% faster than off on 10 tensors)")
    ap.add_argument("--flat-params", choices=("on", "off"), default="on",
                    help="Adam on one flat parameter buffer (same math, less per-step overhead; default on)")
    ap.add_argument("--summary", action="store_true", help="also print a JSON line of medians over the seeds")
    ap.add_argument("--train-losses", action="store_true", help="add a per-epoch train_losses field")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    flat = args.flat_params == "on"
    foreach = {"best": not flat, "on": True, "off": False}[args.foreach]
    data = load_boston(args.data)

    results = []
    for seed in parse_seeds(args.seeds):
        r = fit(seed, data, args.epochs, args.batch_size, args.bn_var, foreach, flat)
        if not args.train_losses:
            r.pop("train_losses")
        results.append(r)
        print(json.dumps(r), flush=True)

    if args.summary and results:
        med = lambda k: round(statistics.median(r[k] for r in results), 4)
        print(json.dumps({
            "impl": "pytorch", "summary": True,
            "seeds": [r["seed"] for r in results],
            "threads": args.threads, "epochs": args.epochs,
            "median_train_seconds": med("train_seconds"),
            "median_final_val_loss": med("final_val_loss"),
            "median_best_val_loss": med("best_val_loss"),
        }), flush=True)
        print("pytorch over %d seeds: median final val_loss %.2f, median best val_loss %.2f, "
              "median train %.3f s" % (len(results), med("final_val_loss"), med("best_val_loss"),
                                       med("train_seconds")), file=sys.stderr)


if __name__ == "__main__":
    main()
