#!/usr/bin/python3
"""PyTorch side of bench/sentiment/speed.sh: one training epoch of the
book's sentiment nets at IMDB's shapes (25,000 random token sequences of
the notebook's length, batch 128), timed over --batches batches after one
warm-up batch and scaled to 25,000 sequences.

The recurrent layers are PyTorch's fused nn.LSTM / nn.GRU (batch_first),
its fastest CPU path; they use sigmoid gates, where Keras 2.2 (and
neurona's book nets) use hard_sigmoid, and PyTorch's GRU is the
reset-after form with two biases, where the book's is Keras 2.2's
reset_after=False. Keras's dropout=0.2 on the recurrent layer's inputs is
an nn.Dropout on the input sequence; SpatialDropout1D is nn.Dropout1d over
channels. Glorot-uniform kernels, zero biases, Adam(eps 1e-7), BCE.
"""
import argparse, json, time

import torch
import torch.nn as nn

NETS = {
    # name: (vocab, maxlen, kind, units)
    "lstm-sentiment": (10000, 100, "lstm", 256),
    "gru-sentiment": (10000, 100, "gru", 256),
    "bilstm-sentiment": (10000, 200, "bilstm", 256),
    "stacked-bilstm-sentiment": (10000, 200, "stacked", 64),
    "conv-sentiment": (5000, 400, "conv", 256),
}


class SpatialDropout1D(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.d = nn.Dropout1d(p)

    def forward(self, x):  # (b, t, c): drop whole channels
        return self.d(x.transpose(1, 2)).transpose(1, 2)


class Net(nn.Module):
    def __init__(self, vocab, maxlen, kind, units):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(vocab, 64)
        nn.init.uniform_(self.emb.weight, -0.05, 0.05)
        self.sd = SpatialDropout1D(0.2)
        self.drop = nn.Dropout(0.2)
        if kind == "lstm":
            self.rnn = nn.LSTM(64, units, batch_first=True)
            out = units
        elif kind == "gru":
            self.rnn = nn.GRU(64, units, batch_first=True)
            out = units
        elif kind == "bilstm":
            self.rnn = nn.LSTM(64, units, batch_first=True, bidirectional=True)
            out = 2 * units
        elif kind == "stacked":
            self.rnn = nn.LSTM(64, units, batch_first=True, bidirectional=True)
            self.rnn2 = nn.LSTM(2 * units, units, batch_first=True, bidirectional=True)
            self.drop2 = nn.Dropout(0.2)
            out = 2 * units
        else:
            self.conv = nn.Conv1d(64, 256, 3)
            self.fc = nn.Linear(256, 256)
            self.fdrop = nn.Dropout(0.2)
            out = 256
        self.out = nn.Linear(out, 1)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        h = self.sd(self.emb(x))
        if self.kind == "conv":
            h = torch.relu(self.conv(h.transpose(1, 2))).amax(dim=2)
            h = self.fdrop(torch.relu(self.fc(h)))
        elif self.kind in ("bilstm", "stacked"):
            s, _ = self.rnn(self.drop(h))
            if self.kind == "stacked":
                s, _ = self.rnn2(self.drop2(s))
            # the forward direction's last step and the backward one's first
            half = s.shape[2] // 2
            h = torch.cat([s[:, -1, :half], s[:, 0, half:]], 1)
        else:
            s, _ = self.rnn(self.drop(h))
            h = s[:, -1]
        return torch.sigmoid(self.out(h))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("nets", nargs="+")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    for name in a.nets:
        vocab, maxlen, kind, units = NETS[name]
        m = Net(vocab, maxlen, kind, units)
        opt = torch.optim.Adam(m.parameters(), lr=0.001, eps=1e-7)
        lossf = nn.BCELoss()
        bs = 128
        x = torch.randint(1, vocab, ((a.batches + 1) * bs, maxlen))
        y = torch.randint(0, 2, ((a.batches + 1) * bs, 1)).float()
        m.train()

        def step(i):
            opt.zero_grad(set_to_none=True)
            loss = lossf(m(x[i * bs:(i + 1) * bs]), y[i * bs:(i + 1) * bs])
            loss.backward()
            opt.step()

        step(0)
        t0 = time.perf_counter()
        for i in range(1, a.batches + 1):
            step(i)
        per = (time.perf_counter() - t0) / a.batches
        print(json.dumps({"side": "pytorch", "net": name, "batch": bs, "steps": maxlen, "threads": a.threads,
                          "seconds_per_batch": per, "epoch_seconds": per * 25000 / bs}), flush=True)


if __name__ == "__main__":
    main()
