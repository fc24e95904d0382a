#!/usr/bin/python3
"""PyTorch side of the book's GAN (Deep Learning Illustrated, chapter 12,
notebook A21), with Keras 2.2's semantics written out where PyTorch differs:

- Conv2D padding 'same' with stride 2 pads TensorFlow's way (the extra row
  and column at the end), done with F.pad; Conv2DTranspose 'same', stride 1,
  is ConvTranspose2d with padding 2.
- Glorot-uniform kernels and zero biases; BatchNormalization(momentum 0.9)
  is torch momentum 0.1 with Keras's epsilon 1e-3.
- RMSprop(lr, decay, clipvalue 1.0) as Keras 2.2: rho 0.9, epsilon 1e-7,
  lr / (1 + decay * iterations), every gradient clipped to [-1, 1].
- Flatten runs over NCHW, not Keras's NHWC: that only permutes the rows
  of the last Dense's kernel, which are drawn i.i.d., so nothing changes.
- binary_crossentropy on probabilities clipped to [1e-7, 1 - 1e-7];
  accuracy is binary accuracy at 0.5.
- The generator's predict (fakes for the discriminator) runs in inference
  mode (BatchNorm's moving averages), as Keras's predict does; the
  adversarial step runs in training mode, the discriminator frozen but its
  dropout active, as Keras's train_on_batch does.

Reads MNIST from the repository. Prints one JSON object on stdout:
iterations, seconds (the training loop), iterations_per_s, the notebook's
running means every --every iterations; writes --samples (1,000 generated
digits, float32 (1000, 784), .npy) and 4x4 sample grids as PNG.
"""
import argparse, gzip, json, math, os, struct, sys, time, zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, "..", "..", "datasets", "mnist", "data", "train-images-idx3-ubyte.gz")


def load_mnist(path):
    with gzip.open(path, "rb") as f:
        magic, n, r, c = struct.unpack(">IIII", f.read(16))
        assert magic == 2051
        x = np.frombuffer(f.read(n * r * c), dtype=np.uint8).reshape(n, 1, r, c)
    return x.astype(np.float32) / 255


def same_pad(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class SameConv(nn.Module):
    def __init__(self, cin, cout, k, s, size):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=s)
        lo, hi = same_pad(size, k, s)
        self.pad = (lo, hi, lo, hi)

    def forward(self, x):
        return self.conv(F.pad(x, self.pad))


def discriminator(depth=64, p=0.4):
    layers, cin, size = [], 1, 28
    for i, s in enumerate([2, 2, 2, 1]):
        layers += [SameConv(cin, depth << i, 5, s, size), nn.ReLU(), nn.Dropout(p)]
        cin, size = depth << i, -(-size // s)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * size * size, 1), nn.Sigmoid())


def bn(c):
    return nn.BatchNorm2d(c, momentum=0.1, eps=1e-3)


def generator(z=32, depth=64, p=0.4):
    return nn.Sequential(
        nn.Linear(z, depth * 7 * 7), nn.BatchNorm1d(depth * 7 * 7, momentum=0.1, eps=1e-3), nn.ReLU(),
        nn.Unflatten(1, (depth, 7, 7)), nn.Dropout(p),
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.ConvTranspose2d(depth, depth // 2, 5, padding=2), bn(depth // 2), nn.ReLU(),
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.ConvTranspose2d(depth // 2, depth // 4, 5, padding=2), bn(depth // 4), nn.ReLU(),
        nn.ConvTranspose2d(depth // 4, depth // 8, 5, padding=2), bn(depth // 8), nn.ReLU(),
        SameConv(depth // 8, 1, 5, 1, 28), nn.Sigmoid())


def keras_init(m):
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)


class KerasOpt:
    """Keras 2.2's RMSprop or Adam with decay and clipvalue."""

    def __init__(self, params, kind, lr, decay):
        self.params = [p for p in params]
        self.lr, self.decay, self.it = lr, decay, 0
        if kind == "rmsprop":
            self.opt = torch.optim.RMSprop(self.params, lr=lr, alpha=0.9, eps=1e-7)
        else:
            self.opt = torch.optim.Adam(self.params, lr=lr, betas=(0.9, 0.999), eps=1e-7)

    def step(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.clamp_(-1.0, 1.0)
        lr = self.lr / (1 + self.decay * self.it)
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.opt.step()
        self.it += 1

    def zero_grad(self):
        self.opt.zero_grad(set_to_none=True)


def bce(p, y):
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def acc(p, y):
    return ((p > 0.5).float() == y).float().mean().item()


def write_png(path, img):
    """img: uint8 (h, w) grayscale."""
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def grid(path, imgs, scale=4):
    imgs = np.clip(imgs.reshape(16, 28, 28), 0, 1)
    big = np.zeros((4 * 28, 4 * 28), dtype=np.float32)
    for k in range(16):
        big[(k // 4) * 28:(k // 4 + 1) * 28, (k % 4) * 28:(k % 4 + 1) * 28] = imgs[k]
    big = np.kron(big, np.ones((scale, scale), dtype=np.float32))
    write_png(path, (big * 255 + 0.5).astype(np.uint8))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--optimizer", choices=["rmsprop", "adam"], default="rmsprop")
    ap.add_argument("--out", default="")
    ap.add_argument("--grids", default="", help="comma-separated iterations (1-based) whose 4x4 grid to write")
    ap.add_argument("--samples", default="", help="write 1,000 generated digits to this .npy file at the end")
    ap.add_argument("--data", default=MNIST)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    x = load_mnist(a.data)
    d, g = discriminator(), generator()
    keras_init(d), keras_init(g)
    dopt = KerasOpt(d.parameters(), a.optimizer, 0.0008, 6e-8 if a.optimizer == "rmsprop" else 0)
    aopt = KerasOpt(g.parameters(), a.optimizer, 0.0004, 3e-8 if a.optimizer == "rmsprop" else 0)
    b = a.batch
    ydx = torch.cat([torch.ones(b, 1), torch.zeros(b, 1)])
    ones = torch.ones(b, 1)
    grids = {int(s) for s in a.grids.split(",") if s}
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    sums = [0.0] * 4
    lines = []
    t0 = time.perf_counter()
    for i in range(a.iterations):
        real = torch.from_numpy(x[rng.choice(len(x), b, replace=False)])
        noise = torch.from_numpy(rng.uniform(-1, 1, (b, 32)).astype(np.float32))
        g.eval()
        with torch.no_grad():
            fake = g(noise)
        d.train()
        for p in d.parameters():
            p.requires_grad_(True)
        dopt.zero_grad()
        pd = d(torch.cat([real, fake]))
        dl = bce(pd, ydx)
        dl.backward()
        dopt.step()
        da = acc(pd.detach(), ydx)
        for p in d.parameters():
            p.requires_grad_(False)
        g.train()
        noise = torch.from_numpy(rng.uniform(-1, 1, (b, 32)).astype(np.float32))
        aopt.zero_grad()
        pa = d(g(noise))
        al = bce(pa, ones)
        al.backward()
        aopt.step()
        aa = acc(pa.detach(), ones)
        for k, v in enumerate([dl.item(), da, al.item(), aa]):
            sums[k] += v
        if (i + 1) % a.every == 0:
            div = max(i, 1)
            line = "%d: [D loss: %f, acc: %f]  [A loss: %f, acc: %f]" % (i, sums[0] / div, sums[1] / div, sums[2] / div, sums[3] / div)
            lines.append(line)
            print(line, file=sys.stderr, flush=True)
        if (i + 1) in grids and a.out:
            g.eval()
            with torch.no_grad():
                imgs = g(torch.from_numpy(rng.uniform(-1, 1, (16, 32)).astype(np.float32))).numpy()
            grid(os.path.join(a.out, "torch_samples_%04d.png" % i), imgs)
    secs = time.perf_counter() - t0
    if a.samples:
        g.eval()
        with torch.no_grad():
            s = g(torch.from_numpy(rng.uniform(-1, 1, (1000, 32)).astype(np.float32))).numpy().reshape(1000, 784)
        np.save(a.samples + ".tmp.npy", s.astype(np.float32))
        os.replace(a.samples + ".tmp.npy", a.samples)
    print(json.dumps({"iterations": a.iterations, "seconds": secs, "iterations_per_s": a.iterations / secs,
                      "threads": a.threads, "seed": a.seed, "optimizer": a.optimizer, "lines": lines}))


if __name__ == "__main__":
    main()
