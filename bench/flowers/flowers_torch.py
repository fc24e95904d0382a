#!/usr/bin/python3
"""PyTorch side of the Oxford Flowers 17 benchmark: the book's AlexNet (A9,
alexnet_in_keras) and VGGNet (A10, vggnet_in_keras) with Keras 2.2's semantics.

Data: the 1,360 JPEGs image_0001..1360.jpg of --data; class = (n-1)//80; each
image is PIL `Image.open(p).convert('RGB').resize((224, 224), Image.LANCZOS)`
(tflearn's oxflower17 with ANTIALIAS = LANCZOS), float32 / 255, then the rows
are shuffled with np.random.RandomState(seed).permutation(1360) (tflearn's
shuffle, seeded so that neurona's side draws the same split).  Keras's
validation_split=0.1 takes the last 136 rows: 1,224 train, 136 validation.
The images are decoded once and kept in memory as one float32 tensor
(1360x3x224x224, about 820 MB); --cache keeps the decoded uint8 pixels in a
.npy under /tmp keyed by the directory, so later runs skip the decoding.

Nets (PyTorch's NCHW layout, the same layers as Keras's NHWC ones):
  alexnet: Conv(96,11x11,/4,relu) Pool(3,/2) BN | Conv(256,5x5,relu) Pool(3,/2) BN |
           Conv(256,3) Conv(384,3) Conv(384,3) (relu) Pool(3,/2) BN |
           Flatten Dense(4096,tanh) Drop(.5) Dense(4096,tanh) Drop(.5) Dense(17,softmax)
           21,883,153 params
  vggnet:  [Conv(64,3) x2] [Conv(128,3) x2] [Conv(256,3) x3] [Conv(512,3) x3]
           [Conv(512,3) x3], each block then Pool(2,/2) and BN; Flatten
           Dense(4096,relu) Drop(.5) Dense(4096,relu) Drop(.5) Dense(17,softmax)
           33,672,785 params
Conv padding 'valid'; Keras's 'valid' pooling = floor mode; Flatten in Keras's
channels-last order (permute NCHW -> NHWC first; at 1x1 spatial it changes
nothing, but the Dense weights line up with Keras's either way).
Glorot-uniform kernels (conv fans kh*kw*cin, kh*kw*cout, as torch's
xavier_uniform_), zero biases.  BatchNormalization: momentum 0.99 (torch 0.01),
epsilon 1e-3; see --bn-var for the moving variance.  Loss: categorical
cross-entropy as Keras 2.2 computes it (softmax probabilities clipped to
[1e-7, 1-1e-7]; here log_softmax + nll with the log-probability clamped, the
same values and gradients); --loss-clip off gives plain log_softmax + nll.
Adam(lr=1e-3, betas (0.9, 0.999), eps=1e-7).  Fit: batch 64, shuffled each
epoch (the last batch of an epoch is the remainder, 1224 = 19*64 + 8, as
Keras), validation batch 64 in eval mode under no_grad.

JSON lines on stdout:
  per epoch: {"impl":"pytorch","net":..,"seed":..,"epoch":..,"epoch_seconds":..,
              "train_seconds":..,"val_seconds":..,"cpu_seconds":..,"loss":..,"acc":..,
              "val_loss":..,"val_acc":..,"train_rows":..,"threads":..}
  at the end: {"impl":"pytorch","net":..,"seed":..,"summary":true,"epochs":K,
              "epoch_seconds":[...],"median_epoch_seconds":M (epochs 2..K; epoch 1
              alone if K == 1),"median_train_seconds":..,"final_val_acc":..,
              "best_val_acc":..,"best_epoch":..,"val_accs":[...],"threads":T,
              "params":..,"load_seconds":..}
epoch_seconds = the epoch's training loop + its validation, data loading
excluded; train_seconds = the training loop alone; cpu_seconds = the process's
CPU time (all threads) over the epoch (on a shared machine, with 1 thread,
close to what the epoch would take alone).  loss/acc are the
sample-weighted means over the epoch's training batches (dropout on), as
Keras's progress line; val_loss/val_acc are over the 136 validation rows.

Run it with the settings of /work/shared/BENCHMARKING.md (see flowers.sh):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_THRESHOLD_=33554432 \\
    MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 \\
    /usr/bin/python3 bench/flowers/flowers_torch.py --net alexnet --epochs 2 --threads 2 --cache
"""

import argparse
import hashlib
import json
import math
import os
import re
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_DIR = "/work/shared/data/flowers17/jpg"
N_IMAGES, PER_CLASS, N_CLASSES, SIZE = 1360, 80, 17, 224
VAL_SPLIT = 0.1
EXPECTED_PARAMS = {"alexnet": 21883153, "vggnet": 33672785}


# ---------------------------------------------------------------- data

def list_images(d):
    files = sorted(f for f in os.listdir(d) if re.fullmatch(r"image_\d{4}\.jpg", f))
    if len(files) != N_IMAGES:
        sys.exit("%s: %d image_NNNN.jpg files, want %d" % (d, len(files), N_IMAGES))
    labels = np.array([(int(f[6:10]) - 1) // PER_CLASS for f in files], dtype=np.int64)
    return files, labels


def decode(d, files):
    from PIL import Image
    lanczos = getattr(Image, "Resampling", Image).LANCZOS
    out = np.empty((len(files), SIZE, SIZE, 3), dtype=np.uint8)
    for i, f in enumerate(files):
        with Image.open(os.path.join(d, f)) as im:
            out[i] = np.asarray(im.convert("RGB").resize((SIZE, SIZE), lanczos))
    return out


def cache_path(d, files):
    st = [os.stat(os.path.join(d, f)) for f in (files[0], files[-1])]
    key = "%s|%d|%d|%d|%d" % (os.path.realpath(d), len(files), st[0].st_size, st[1].st_size,
                              int(max(s.st_mtime for s in st)))
    return "/tmp/flowers17_%s_%d.npy" % (hashlib.sha1(key.encode()).hexdigest()[:16], SIZE)


def load_flowers(d, seed, cache):
    """Returns x (1360,3,224,224) float32 in [0,1] and y (1360,) int64, both in
    the order of RandomState(seed).permutation(1360)."""
    files, labels = list_images(d)
    pixels = None
    path = cache_path(d, files) if cache else None
    if path and os.path.exists(path):
        try:
            pixels = np.load(path, mmap_mode=None)
            if pixels.shape != (N_IMAGES, SIZE, SIZE, 3) or pixels.dtype != np.uint8:
                pixels = None
        except (OSError, ValueError):
            pixels = None
    if pixels is None:
        pixels = decode(d, files)
        if path:
            tmp = "%s.%d.tmp.npy" % (path[:-4], os.getpid())
            np.save(tmp, pixels)
            os.replace(tmp, path)
    perm = np.random.RandomState(seed).permutation(N_IMAGES)
    pixels, labels = pixels[perm], labels[perm]
    x = torch.from_numpy(np.ascontiguousarray(pixels.transpose(0, 3, 1, 2))).float().div_(255.0)
    return x.contiguous(), torch.from_numpy(labels), perm


# ---------------------------------------------------------------- model

class KerasBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose moving variance follows Keras 2.2.0's update.

    Normalisation is the same in both (biased batch variance in training, the
    moving statistics in inference).  The moving variance moves toward
      keras:  the biased batch variance * m/(m-(1+eps))  (keras/layers/normalization.py
              2.2.0, "sample variance - unbiased estimator"; m = N*H*W; neurona's
              layers test checks the same factor)
      biased: the biased batch variance (bench/regression_torch.py's --bn-var keras)
    Stock nn.BatchNorm2d (--bn-var torch) uses m/(m-1): it differs from 'keras'
    by a factor (m-1)/(m-1.001), under 2e-5 relative even at m = 64."""

    def __init__(self, c, factor_mode, **kw):
        super().__init__(c, **kw)
        self.factor_mode = factor_mode

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        with torch.no_grad():
            var, mean = torch.var_mean(x, (0, 2, 3), unbiased=False)
            if self.factor_mode == "keras":
                m = x.numel() // x.shape[1]
                var = var * (m / (m - (1.0 + self.eps)))
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var, self.momentum)
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


class KerasFlatten(nn.Module):
    """Keras's Flatten of an NHWC tensor: features in (h, w, c) order."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


def bn_layer(c, bn_var):
    if bn_var == "torch":
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)
    return KerasBatchNorm2d(c, bn_var, eps=1e-3, momentum=0.01)


def build(net, bn_var):
    if net == "alexnet":
        layers = [
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2), bn_layer(96, bn_var),
            nn.Conv2d(96, 256, 5), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2), bn_layer(256, bn_var),
            nn.Conv2d(256, 256, 3), nn.ReLU(inplace=True),
            nn.Conv2d(256, 384, 3), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2), bn_layer(384, bn_var),
            KerasFlatten(),
            nn.Linear(384, 4096), nn.Tanh(), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.Tanh(), nn.Dropout(0.5),
            nn.Linear(4096, N_CLASSES),
        ]
    elif net == "vggnet":
        layers, cin = [], 3
        for cout, reps in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
            for _ in range(reps):
                layers += [nn.Conv2d(cin, cout, 3), nn.ReLU(inplace=True)]
                cin = cout
            layers += [nn.MaxPool2d(2, 2), bn_layer(cout, bn_var)]
        layers += [
            KerasFlatten(),
            nn.Linear(512, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, N_CLASSES),
        ]
    else:
        raise ValueError(net)
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)  # glorot_uniform: fans in/out x receptive field
            nn.init.zeros_(m.bias)
    return model


def count_params(model):
    trainable = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    return trainable + buffers, trainable, buffers


LOG_EPS, LOG_1M_EPS = math.log(1e-7), math.log1p(-1e-7)


def xent(logits, y, clip, reduction="mean"):
    logp = F.log_softmax(logits, 1).gather(1, y.unsqueeze(1)).squeeze(1)
    if clip:  # Keras: -log(clip(softmax, 1e-7, 1-1e-7)); clamp's gradient is 0 outside, as tf's clip
        logp = logp.clamp(LOG_EPS, LOG_1M_EPS)
    return -(logp.mean() if reduction == "mean" else logp.sum())


# ---------------------------------------------------------------- fit

def fit(args, x, y):
    torch.manual_seed(args.seed)
    model = build(args.net, args.bn_var)
    total, trainable, buffers = count_params(model)
    print("pytorch %s: %d params (%d trainable, %d non-trainable)%s" % (
        args.net, total, trainable, buffers,
        "" if total == EXPECTED_PARAMS[args.net] else " -- WANT %d" % EXPECTED_PARAMS[args.net]),
        file=sys.stderr, flush=True)
    mf = torch.channels_last if args.channels_last else torch.contiguous_format
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7,
                           foreach=args.foreach == "on")

    n_val = int(N_IMAGES * VAL_SPLIT)  # 136
    n_split = N_IMAGES - n_val         # Keras: split_at = int(len(x) * (1 - 0.1)) = 1224
    x_tr, y_tr = x[:n_split], y[:n_split]
    x_va, y_va = x[n_split:], y[n_split:]
    if args.max_train:
        x_tr, y_tr = x_tr[:args.max_train], y_tr[:args.max_train]
    n_tr = len(x_tr)
    b = args.batch
    va_batches = list(zip(x_va.split(b), y_va.split(b)))
    clip = args.loss_clip == "on"

    secs, trs, cpus, vaccs, last = [], [], [], [], None
    for epoch in range(1, args.epochs + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        model.train()
        loss_sum, correct = 0.0, 0
        for idx in torch.randperm(n_tr).split(b):
            xb, yb = x_tr.index_select(0, idx), y_tr.index_select(0, idx)
            if args.channels_last:
                xb = xb.contiguous(memory_format=mf)
            out = model(xb)
            loss = xent(out, yb, clip)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += int((out.detach().argmax(1) == yb).sum())
        t1 = time.perf_counter()
        model.eval()
        vloss, vcorrect = 0.0, 0
        with torch.no_grad():
            for xb, yb in va_batches:
                if args.channels_last:
                    xb = xb.contiguous(memory_format=mf)
                out = model(xb)
                vloss += float(xent(out, yb, clip, "sum"))
                vcorrect += int((out.argmax(1) == yb).sum())
        t2, c2 = time.perf_counter(), time.process_time()
        secs.append(t2 - t0)
        trs.append(t1 - t0)
        cpus.append(c2 - c0)
        vaccs.append(vcorrect / n_val)
        last = {"impl": "pytorch", "net": args.net, "seed": args.seed, "epoch": epoch,
                "epoch_seconds": round(t2 - t0, 4), "train_seconds": round(t1 - t0, 4),
                "val_seconds": round(t2 - t1, 4), "cpu_seconds": round(c2 - c0, 4),
                "loss": round(loss_sum / n_tr, 5), "acc": round(correct / n_tr, 5),
                "val_loss": round(vloss / n_val, 5), "val_acc": round(vcorrect / n_val, 5),
                "train_rows": n_tr, "threads": args.threads}
        print(json.dumps(last), flush=True)
    steady = slice(1, None) if len(secs) > 1 else slice(0, None)
    best = max(range(len(vaccs)), key=lambda i: vaccs[i])
    return {"impl": "pytorch", "net": args.net, "seed": args.seed, "summary": True,
            "epochs": args.epochs, "epoch_seconds": [round(s, 4) for s in secs],
            "median_epoch_seconds": round(statistics.median(secs[steady]), 4),
            "median_train_seconds": round(statistics.median(trs[steady]), 4),
            "median_cpu_seconds": round(statistics.median(cpus[steady]), 4),
            "final_val_acc": last["val_acc"], "final_val_loss": last["val_loss"],
            "best_val_acc": round(vaccs[best], 5), "best_epoch": best + 1,
            "val_accs": [round(v, 5) for v in vaccs], "threads": args.threads,
            "train_rows": n_tr, "params": total, "batch": b,
            "bn_var": args.bn_var, "channels_last": args.channels_last}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--net", choices=("alexnet", "vggnet"), default="alexnet")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1,
                    help="seeds the data permutation (numpy RandomState) and torch")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (2: the faster on an idle machine, see README)")
    ap.add_argument("--batch", type=int, default=64, help="training and validation batch")
    ap.add_argument("--max-train", type=int, default=0,
                    help="train on only the first N training rows (timing runs); validation stays 136")
    ap.add_argument("--data", default=DEFAULT_DIR, help="directory of image_0001..1360.jpg")
    ap.add_argument("--cache", action="store_true",
                    help="cache the decoded uint8 pixels in /tmp/flowers17_<key>_224.npy")
    ap.add_argument("--bn-var", choices=("torch", "keras", "biased"), default="torch",
                    help="moving-variance update (see KerasBatchNorm2d): torch = stock BatchNorm2d "
                         "(m/(m-1), default; within 2e-5 of Keras), keras = Keras 2.2.0's m/(m-1.001), "
                         "biased = the biased batch variance")
    ap.add_argument("--loss-clip", choices=("on", "off"), default="on",
                    help="Keras's clipping of the softmax to [1e-7, 1-1e-7] in the cross-entropy")
    ap.add_argument("--foreach", choices=("on", "off"), default="on", help="Adam's foreach implementation")
    ap.add_argument("--channels-last", action="store_true",
                    help="run the convolutions in NHWC (channels_last) memory format")
    ap.add_argument("--params-only", action="store_true", help="print the parameter counts and exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if args.params_only:
        for net in ("alexnet", "vggnet"):
            total, trainable, buffers = count_params(build(net, args.bn_var))
            print(json.dumps({"net": net, "params": total, "trainable": trainable,
                              "non_trainable": buffers, "want": EXPECTED_PARAMS[net],
                              "ok": total == EXPECTED_PARAMS[net]}))
        return
    t0 = time.perf_counter()
    x, y, _ = load_flowers(args.data, args.seed, args.cache)
    load_s = time.perf_counter() - t0
    print("pytorch: loaded %s in %.1f s (%s)" % (tuple(x.shape), load_s, args.data),
          file=sys.stderr, flush=True)
    summary = fit(args, x, y)
    summary["load_seconds"] = round(load_s, 2)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
