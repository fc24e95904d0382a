#!/usr/bin/python3
"""PyTorch side of the LeNet-5 benchmark (the book's lenet_in_keras).

Net (28x28x1 images scaled by 1/255; Glorot-uniform kernels, zero biases,
as Keras's defaults; batch 128 for training and validation):

  Conv2D(32, 3x3, relu) -> Conv2D(64, 3x3, relu) -> MaxPooling2D(2x2)
  -> Dropout(0.25) -> Flatten -> Dense(128, relu) -> Dropout(0.5)
  -> Dense(10, softmax); categorical cross-entropy, Adam(lr=1e-3, eps=1e-7)

PyTorch runs it in its native NCHW layout (its fastest on CPU); Keras's
NHWC changes only the order of Flatten's features.  Softmax + categorical
cross-entropy is F.cross_entropy on the logits.  One epoch = shuffled
training over the 60k training images + validation over the 10k test images
in inference mode.

JSON lines on stdout, as mnist_torch.py:
  per epoch:  {"impl":"pytorch","net":"lenet","threads":T,"epoch":E,"seconds":S,
               "train_loss":..,"val_loss":..,"val_acc":..}
  per run:    {"impl":"pytorch","net":"lenet","threads":T,"summary":true,"epochs":K,
               "epoch_seconds":[...],"median_epoch_seconds":M (epochs 2..K;
               epoch 1 alone if K == 1),"final_val_loss":..,"final_val_acc":..}
  when several thread counts are given:
              {"impl":"pytorch","net":"lenet","best":true,"threads":T,
               "median_epoch_seconds":M,"final_val_acc":..}

Run it with the settings of /work/shared/BENCHMARKING.md (see lenet.sh).
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from mnist_torch import DEFAULT_DIR, read_idx
from regression_torch import flatten_params

import numpy as np


def load_images(d):
    def images(name):
        a = read_idx(os.path.join(d, name))
        return torch.from_numpy(a.reshape(len(a), 1, 28, 28).astype(np.float32) / 255.0)

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(d, name)).astype(np.int64))

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


def build(foreach, flat, channels_last):
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128), nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
    )
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)  # fans as Keras: in/out x receptive field
            nn.init.zeros_(m.bias)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if flat:
        fp = flatten_params(model)
        params, zero_grad = [fp], fp.grad.zero_
    else:
        params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, foreach=foreach)
    if not flat:
        zero_grad = lambda: opt.zero_grad(set_to_none=True)
    return model, opt, zero_grad


def run(threads, epochs, data, seed, batch_size, foreach, flat, channels_last):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_tr, y_tr, x_te, y_te = data
    model, opt, zero_grad = build(foreach, flat, channels_last)
    n_tr, n_te = len(x_tr), len(x_te)
    x_te_b, y_te_b = x_te.split(batch_size), y_te.split(batch_size)
    secs = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total = 0.0
        for idx in torch.randperm(n_tr).split(batch_size):
            xb, yb = x_tr.index_select(0, idx), y_tr.index_select(0, idx)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
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
                if channels_last:
                    xb = xb.contiguous(memory_format=torch.channels_last)
                out = model(xb)
                vloss += F.cross_entropy(out, yb, reduction="sum").item()
                correct += int((out.argmax(1) == yb).sum())
        dt = time.perf_counter() - t0
        secs.append(dt)
        last = {"impl": "pytorch", "net": "lenet", "threads": threads, "epoch": epoch,
                "seconds": round(dt, 4), "train_loss": round(train_loss, 5),
                "val_loss": round(vloss / n_te, 5), "val_acc": round(correct / n_te, 5)}
        print(json.dumps(last), flush=True)
    steady = secs[1:] if len(secs) > 1 else secs
    summary = {"impl": "pytorch", "net": "lenet", "threads": threads, "summary": True,
               "epochs": epochs, "epoch_seconds": [round(s, 4) for s in secs],
               "median_epoch_seconds": round(statistics.median(steady), 4),
               "final_val_loss": last["val_loss"], "final_val_acc": last["val_acc"]}
    print(json.dumps(summary), flush=True)
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", default="2",
                    help="comma list of torch thread counts; each is a separate run, best is reported")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--data", default=DEFAULT_DIR, help="dir with the four IDX .gz files")
    ap.add_argument("--foreach", choices=("best", "on", "off"), default="best",
                    help="optimizer foreach implementation; best = off with --flat-params on, on otherwise")
    ap.add_argument("--flat-params", choices=("on", "off"), default="on",
                    help="optimizer on one flat parameter buffer (same math, less per-step overhead)")
    ap.add_argument("--channels-last", action="store_true",
                    help="run the convolutions in NHWC (channels_last) memory format, as Keras")
    args = ap.parse_args()

    flat = args.flat_params == "on"
    foreach = {"best": not flat, "on": True, "off": False}[args.foreach]
    data = load_images(args.data)
    runs = [run(int(t), args.epochs, data, args.seed, args.batch_size, foreach, flat, args.channels_last)
            for t in args.threads.split(",")]
    best = min(runs, key=lambda r: r["median_epoch_seconds"])
    if len(runs) > 1:
        print(json.dumps({"impl": "pytorch", "net": "lenet", "best": True, "threads": best["threads"],
                          "median_epoch_seconds": best["median_epoch_seconds"],
                          "final_val_acc": best["final_val_acc"]}), flush=True)
    print("pytorch lenet: %s -> best %d thread(s), %.3f s/epoch, val_acc %.4f" % (
        ", ".join("%dT %.3f s" % (r["threads"], r["median_epoch_seconds"]) for r in runs),
        best["threads"], best["median_epoch_seconds"], best["final_val_acc"]), file=sys.stderr)


if __name__ == "__main__":
    main()
