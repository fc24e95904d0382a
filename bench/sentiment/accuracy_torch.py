"""Trains one of nets_torch's nets on the exported rt-polarity split and
prints one JSON line: per-epoch validation accuracy and loss.
usage: accuracy_torch.py NAME SEED DIR"""
import json
import sys

import numpy as np
import torch

from nets_torch import NETS, Net, keras_bce, make_optimizer


def load(path):
    a = np.loadtxt(path, dtype=np.int64)
    return torch.from_numpy(a[:, 1:]), torch.from_numpy(a[:, 0].astype(np.float32))


def main():
    name, seed, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    nw, epochs = NETS[name]
    xt, yt = load(f"{d}/rt-{nw}-train.txt")
    xv, yv = load(f"{d}/rt-{nw}-valid.txt")
    torch.manual_seed(seed)
    np.random.seed(seed)
    net = Net(name, nw, xt.shape[1])
    opt = make_optimizer(net)
    acc, loss = [], []
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 128):
            b = perm[i:i + 128]
            opt.zero_grad()
            l = keras_bce(net(xt[b]), yt[b])
            l.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            p = torch.cat([net(xv[i:i + 512]) for i in range(0, len(xv), 512)])
        loss.append(float(keras_bce(p, yv)))
        acc.append(float(((p > 0.5).float() == yv).float().mean()))
    print(json.dumps({"side": "pytorch", "net": name, "seed": seed, "val_acc": acc, "val_loss": loss}))


if __name__ == "__main__":
    main()
