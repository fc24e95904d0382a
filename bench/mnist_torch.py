#!/usr/bin/python3
"""PyTorch side of the MNIST dense-net benchmarks (the book's Keras nets).

Nets (inputs flattened to 784 and scaled by 1/255; Glorot-uniform kernels,
zero biases; batch 128 for training and validation):

  intermediate  Dense(64, relu) -> Dense(64, relu) -> Dense(10, softmax)
                categorical cross-entropy, SGD(lr=0.1)
  deep          3 x [Dense(64, relu) -> BatchNormalization] -> Dropout(0.2)
                -> Dense(10, softmax); categorical cross-entropy,
                Adam(lr=1e-3, eps=1e-7); BN epsilon 1e-3, momentum 0.99
                (torch momentum=0.01)

Softmax + categorical cross-entropy is computed as F.cross_entropy on the
logits (same value, PyTorch's fastest form).  One epoch = shuffled training
over the 60k training images + validation over the 10k test images in
inference mode.

JSON lines on stdout:
  per epoch:  {"impl":"pytorch","net":N,"threads":T,"epoch":E,"seconds":S,
               "train_loss":..,"val_loss":..,"val_acc":..}
  per run:    {"impl":"pytorch","net":N,"threads":T,"summary":true,"epochs":K,
               "epoch_seconds":[...],"median_epoch_seconds":M (epochs 2..K;
               epoch 1 alone if K == 1),"final_val_loss":..,"final_val_acc":..}
  per net, when several thread counts are given:
              {"impl":"pytorch","net":N,"best":true,"threads":T,
               "median_epoch_seconds":M,"final_val_acc":..}
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Shared with the regression benchmark: Keras-style BN moving variance, and the
# flat-parameter-buffer optimizer trick.
from regression_torch import KerasBatchNorm1d, flatten_params

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(HERE, "..", "datasets", "mnist", "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        buf = f.read()
    magic = int.from_bytes(buf[0:4], "big")
    assert magic >> 8 == 0x08, "expected unsigned-byte IDX data: %s" % path
    ndim = magic & 0xFF
    dims = [int.from_bytes(buf[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(d):
    def images(name):
        a = read_idx(os.path.join(d, name))
        return torch.from_numpy(a.reshape(len(a), -1).astype(np.float32) / 255.0)

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(d, name)).astype(np.int64))

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


def build(net, bn_var, foreach, flat):
    if net == "intermediate":
        model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(),
                              nn.Linear(64, 64), nn.ReLU(),
                              nn.Linear(64, 10))
    elif net == "deep":
        bn = KerasBatchNorm1d if bn_var == "keras" else nn.BatchNorm1d
        layers, fan_in = [], 784
        for _ in range(3):
            layers += [nn.Linear(fan_in, 64), nn.ReLU(), bn(64, eps=1e-3, momentum=0.01)]
            fan_in = 64
        layers += [nn.Dropout(0.2), nn.Linear(64, 10)]
        model = nn.Sequential(*layers)
    else:
        raise ValueError(net)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    if flat:
        fp = flatten_params(model)
        params, zero_grad = [fp], fp.grad.zero_
    else:
        params = list(model.parameters())
    if net == "intermediate":
        opt = torch.optim.SGD(params, lr=0.1, foreach=foreach)
    else:
        opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, foreach=foreach)
    if not flat:
        zero_grad = lambda: opt.zero_grad(set_to_none=True)
    return model, opt, zero_grad


def run(net, threads, epochs, data, seed, batch_size, bn_var, foreach, flat):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_tr, y_tr, x_te, y_te = data
    model, opt, zero_grad = build(net, bn_var, foreach, flat)
    n_tr, n_te = len(x_tr), len(x_te)
    x_te_b, y_te_b = x_te.split(batch_size), y_te.split(batch_size)
    secs = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total = 0.0
        for idx in torch.randperm(n_tr).split(batch_size):
            xb, yb = x_tr.index_select(0, idx), y_tr.index_select(0, idx)
            loss = F.cross_entropy(model(xb), yb)
            zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        train_loss = total / n_tr

        model.eval()
        vloss, correct = 0.0, 0
        with torch.inference_mode():
            for xb, yb in zip(x_te_b, y_te_b):
                out = model(xb)
                vloss += F.cross_entropy(out, yb, reduction="sum").item()
                correct += int((out.argmax(1) == yb).sum())
        dt = time.perf_counter() - t0
        secs.append(dt)
        last = {"impl": "pytorch", "net": net, "threads": threads, "epoch": epoch,
                "seconds": round(dt, 4), "train_loss": round(train_loss, 5),
                "val_loss": round(vloss / n_te, 5), "val_acc": round(correct / n_te, 5)}
        print(json.dumps(last), flush=True)
    steady = secs[1:] if len(secs) > 1 else secs
    summary = {"impl": "pytorch", "net": net, "threads": threads, "summary": True,
               "epochs": epochs, "epoch_seconds": [round(s, 4) for s in secs],
               "median_epoch_seconds": round(statistics.median(steady), 4),
               "final_val_loss": last["val_loss"], "final_val_acc": last["val_acc"]}
    print(json.dumps(summary), flush=True)
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", default="intermediate,deep")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", default="1,2",
                    help="comma list of torch thread counts; each is a separate run, best is reported")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--data", default=DEFAULT_DIR, help="dir with the four IDX .gz files")
    ap.add_argument("--bn-var", choices=("keras", "torch"), default="torch",
                    help="deep net BN moving-variance update: torch = stock nn.BatchNorm1d (default), "
                         "keras = biased variance as Keras")
    ap.add_argument("--foreach", choices=("best", "on", "off"), default="best",
                    help="optimizer foreach (multi-tensor) implementation; best = off with "
                         "--flat-params on, on otherwise")
    ap.add_argument("--flat-params", choices=("on", "off"), default="on",
                    help="optimizer on one flat parameter buffer (same math, less per-step overhead)")
    args = ap.parse_args()

    flat = args.flat_params == "on"
    foreach = {"best": not flat, "on": True, "off": False}[args.foreach]
    data = load_mnist(args.data)
    for net in args.nets.split(","):
        runs = [run(net, int(t), args.epochs, data, args.seed, args.batch_size, args.bn_var, foreach, flat)
                for t in args.threads.split(",")]
        best = min(runs, key=lambda r: r["median_epoch_seconds"])
        if len(runs) > 1:
            print(json.dumps({"impl": "pytorch", "net": net, "best": True, "threads": best["threads"],
                              "median_epoch_seconds": best["median_epoch_seconds"],
                              "final_val_acc": best["final_val_acc"]}), flush=True)
        print("pytorch %s: %s -> best %d thread(s), %.3f s/epoch, val_acc %.4f" % (
            net, ", ".join("%dT %.3f s" % (r["threads"], r["median_epoch_seconds"]) for r in runs),
            best["threads"], best["median_epoch_seconds"], best["final_val_acc"]), file=sys.stderr)


if __name__ == "__main__":
    main()
