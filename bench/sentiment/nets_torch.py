"""The book's nine chapter-11 sentiment nets in PyTorch, with Keras 2.2's
semantics written out where PyTorch's differ:

- recurrent_activation hard_sigmoid (clip(0.2*x+0.5, 0, 1)), not sigmoid;
- GRU with reset_after=False (one bias; the reset gate multiplies h before
  the recurrent kernel), gate order z, r, h as Keras;
- LSTM gate order i, f, c, o; unit_forget_bias (forget bias 1);
- glorot-uniform kernels, orthogonal recurrent kernels, zero biases,
  Embedding uniform(-0.05, 0.05);
- dropout on a recurrent layer's input: one mask per sequence (the same
  for every time step), one per gate as Keras 2.2's implementation 1;
- SpatialDropout1D drops whole channels, the same across time steps;
- Adam lr 1e-3, betas (0.9, 0.999), eps 1e-7 (Keras's epsilon);
- binary cross-entropy on sigmoid outputs clipped to [1e-7, 1-1e-7].
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def hard_sigmoid(x):
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def glorot_(w, fan_in, fan_out):
    a = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        w.uniform_(-a, a)


def orthogonal_(w, gates):
    # Keras: one orthogonal (units, gates*units) matrix.
    with torch.no_grad():
        nn.init.orthogonal_(w)


class SpatialDropout1D(nn.Module):
    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def forward(self, x):  # (N, T, C)
        if not self.training or self.rate == 0:
            return x
        keep = 1 - self.rate
        m = torch.bernoulli(torch.full((x.shape[0], 1, x.shape[2]), keep, device=x.device)) / keep
        return x * m


class KerasRNN(nn.Module):
    """SimpleRNN / LSTM / GRU with Keras 2.2's equations. x: (N, T, D)."""

    GATES = {"rnn": 1, "lstm": 4, "gru": 3}

    def __init__(self, kind, input_dim, units, dropout=0.0, return_sequences=False, go_backwards=False):
        super().__init__()
        g = self.GATES[kind]
        self.kind, self.units, self.g = kind, units, g
        self.dropout, self.return_sequences, self.go_backwards = dropout, return_sequences, go_backwards
        self.kernel = nn.Parameter(torch.empty(input_dim, g * units))
        self.recurrent = nn.Parameter(torch.empty(units, g * units))
        self.bias = nn.Parameter(torch.zeros(g * units))
        glorot_(self.kernel, input_dim, g * units)
        orthogonal_(self.recurrent, g)
        if kind == "lstm":
            with torch.no_grad():
                self.bias[units:2 * units] = 1.0  # unit_forget_bias

    def forward(self, x):
        n, t, d = x.shape
        u, g = self.units, self.g
        if self.go_backwards:
            x = torch.flip(x, [1])
        if self.training and self.dropout > 0:
            keep = 1 - self.dropout
            # one mask per gate, per sequence, shared over time steps
            m = torch.bernoulli(torch.full((g, n, 1, d), keep, device=x.device)) / keep
            proj = [torch.matmul(x * m[k], self.kernel[:, k * u:(k + 1) * u]) for k in range(g)]
            xp = torch.cat(proj, dim=2) + self.bias
        else:
            xp = torch.matmul(x, self.kernel) + self.bias
        h = x.new_zeros(n, u)
        c = x.new_zeros(n, u)
        outs = []
        R = self.recurrent
        for s in range(t):
            xs = xp[:, s]
            if self.kind == "rnn":
                h = torch.tanh(xs + h @ R)
            elif self.kind == "lstm":
                z = xs + h @ R
                i = hard_sigmoid(z[:, :u])
                f = hard_sigmoid(z[:, u:2 * u])
                cc = torch.tanh(z[:, 2 * u:3 * u])
                o = hard_sigmoid(z[:, 3 * u:])
                c = f * c + i * cc
                h = o * torch.tanh(c)
            else:  # GRU, reset_after=False
                hz = h @ R[:, :2 * u]
                zg = hard_sigmoid(xs[:, :u] + hz[:, :u])
                r = hard_sigmoid(xs[:, u:2 * u] + hz[:, u:])
                hh = torch.tanh(xs[:, 2 * u:] + (r * h) @ R[:, 2 * u:])
                h = zg * h + (1 - zg) * hh
            if self.return_sequences:
                outs.append(h)
        if self.return_sequences:
            y = torch.stack(outs, 1)
            if self.go_backwards:
                # Keras's Bidirectional reverses the backward layer's sequence output
                y = torch.flip(y, [1])
            return y
        return h


class Bidirectional(nn.Module):
    def __init__(self, kind, input_dim, units, dropout=0.0, return_sequences=False):
        super().__init__()
        self.fw = KerasRNN(kind, input_dim, units, dropout, return_sequences)
        self.bw = KerasRNN(kind, input_dim, units, dropout, return_sequences, go_backwards=True)

    def forward(self, x):
        return torch.cat([self.fw(x), self.bw(x)], dim=-1)


def dense(i, o):
    l = nn.Linear(i, o)
    glorot_(l.weight, i, o)
    nn.init.zeros_(l.bias)
    return l


def conv1d(i, o, k):
    c = nn.Conv1d(i, o, k)
    glorot_(c.weight, i * k, o * k)  # Keras's fans for a (k, i, o) kernel
    nn.init.zeros_(c.bias)
    return c


def embedding(n, d):
    e = nn.Embedding(n, d)
    with torch.no_grad():
        e.weight.uniform_(-0.05, 0.05)
    return e


class Net(nn.Module):
    def __init__(self, name, num_words, maxlen):
        super().__init__()
        self.name = name
        self.emb = embedding(num_words, 64)
        self.sdrop = SpatialDropout1D(0.2)
        if name == "dense":
            self.d1, self.d2, self.drop = dense(64 * maxlen, 64), dense(64, 1), nn.Dropout(0.5)
        elif name == "conv":
            self.conv, self.d1, self.drop, self.d2 = conv1d(64, 256, 3), dense(256, 256), nn.Dropout(0.2), dense(256, 1)
        elif name in ("rnn", "lstm", "gru"):
            self.rnn, self.d2 = KerasRNN(name, 64, 256, 0.2), dense(256, 1)
        elif name == "bilstm":
            self.rnn, self.d2 = Bidirectional("lstm", 64, 256, 0.2), dense(512, 1)
        elif name == "stacked-bilstm":
            self.rnn1 = Bidirectional("lstm", 64, 64, 0.2, return_sequences=True)
            self.rnn, self.d2 = Bidirectional("lstm", 128, 64, 0.2), dense(128, 1)
        elif name == "conv-lstm":
            self.conv = conv1d(64, 64, 3)
            self.rnn, self.d2 = Bidirectional("lstm", 64, 64, 0.2), dense(128, 1)
        elif name == "multi-convnet":
            self.convs = nn.ModuleList([conv1d(64, 256, k) for k in (3, 2, 4)])
            self.d1, self.da, self.d2 = dense(768, 256), dense(256, 64), dense(64, 1)
            self.drop = nn.Dropout(0.2)
        else:
            raise ValueError(name)

    def forward(self, ids):
        x = self.emb(ids)  # (N, T, 64)
        n = self.name
        if n == "dense":
            h = self.drop(F.relu(self.d1(x.flatten(1))))
        elif n == "conv":
            x = self.sdrop(x)
            h = F.relu(self.conv(x.transpose(1, 2))).amax(2)
            h = self.drop(F.relu(self.d1(h)))
        elif n in ("rnn", "lstm", "gru", "bilstm"):
            h = self.rnn(self.sdrop(x))
        elif n == "stacked-bilstm":
            h = self.rnn(self.rnn1(self.sdrop(x)))
        elif n == "conv-lstm":
            c = F.relu(self.conv(self.sdrop(x).transpose(1, 2)))
            c = F.max_pool1d(c, 4).transpose(1, 2)
            h = self.rnn(c)
        else:
            x = self.sdrop(x).transpose(1, 2)
            h = torch.cat([F.relu(cv(x)).amax(2) for cv in self.convs], 1)
            h = self.drop(F.relu(self.d1(h)))
            h = self.drop(F.relu(self.da(h)))
        return torch.sigmoid(self.d2(h)).squeeze(1)


# name: (num_words, epochs), batch 128, as examples/specs/NAME-sentiment.yaml
NETS = {
    "dense": (5000, 4), "conv": (5000, 4), "rnn": (10000, 16), "lstm": (10000, 4),
    "gru": (10000, 4), "bilstm": (10000, 6), "stacked-bilstm": (10000, 4),
    "conv-lstm": (10000, 4), "multi-convnet": (5000, 4),
}


def keras_bce(p, y):
    p = torch.clamp(p, 1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def make_optimizer(net):
    return torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
