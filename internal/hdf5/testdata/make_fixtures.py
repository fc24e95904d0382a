#!/usr/bin/python3
"""Writes the HDF5 and Keras fixtures of neurona's tests with h5py.

Run once from the repository root, with Debian's python3-h5py and
hdf5-tools (h5dump):

    /usr/bin/python3 internal/hdf5/testdata/make_fixtures.py [DEEP_DIR]

It writes, next to each file, the values h5py reads back (NAME.json), so
that the Go tests compare against h5py and need neither Python nor h5dump.
DEEP_DIR, when given, holds the weights of the book's deep MNIST net
trained by neurona (models: NEURONA_WRITE_DEEP=DIR go test ./models -run
TestWriteDeepWeights): it adds models/testdata/keras/deep_mnist.keras.

Keras and TensorFlow are not used: the files follow their group and
attribute layouts (Keras 2.2's save_weights_to_hdf5_group, Keras 3's
saving_lib: config.json, metadata.json and model.weights.h5 with
layers/<class_snake_name>/vars/<i>).
"""
import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
KERAS_DIR = os.path.join(ROOT, "models", "testdata", "keras")
rng = np.random.default_rng(20240501)


def values(obj):
    """What h5py reads: a dataset's or attribute's dtype, shape, values."""
    a = obj[()] if isinstance(obj, h5py.Dataset) else obj
    a = np.asarray(a)
    if a.dtype.kind in "SO" or a.dtype.kind == "U":
        flat = [x.decode() if isinstance(x, bytes) else str(x) for x in a.reshape(-1)]
        return {"kind": "string", "shape": list(a.shape), "strings": flat}
    return {"kind": a.dtype.kind, "dtype": a.dtype.name, "shape": list(a.shape),
            "values": [float(x) if a.dtype.kind == "f" else int(x) for x in a.reshape(-1)]}


def describe(path):
    """Every group, dataset and attribute of the file, as h5py sees it."""
    out = {"groups": {}, "datasets": {}}
    with h5py.File(path, "r") as f:
        def attrs(o):
            return {k: values(o.attrs[k]) for k in o.attrs}
        out["groups"]["/"] = {"attrs": attrs(f), "members": sorted(f.keys())}

        def visit(name, o):
            if isinstance(o, h5py.Group):
                out["groups"]["/" + name] = {"attrs": attrs(o), "members": sorted(o.keys())}
            else:
                v = values(o)
                v["attrs"] = attrs(o)
                out["datasets"]["/" + name] = v
        f.visititems(visit)
    with open(path + ".json", "w") as fh:
        json.dump(out, fh, indent=0, sort_keys=True)


def fill_basic(f):
    """Groups, attributes and datasets of every kind the reader decodes;
    at most 8 members and 8 attributes each, so that libver='latest' keeps
    them compact (dense storage is refused, see refused.h5)."""
    f.attrs["fixed"] = np.bytes_(b"tensorflow")
    f.attrs["fixed_array"] = np.array([b"dense_1", b"batch_normalization_1", b"x"])
    f.attrs["vlen"] = "hello, world"
    f.attrs["vlen_array"] = np.array(["a", "bc", ""], dtype=h5py.string_dtype())
    f.attrs["int"] = np.int64(-42)
    f.attrs["floats"] = np.array([1.5, -2.25, 3e-8], dtype="f4")
    f.attrs["doubles"] = np.array([[1.0, 2.0], [3.0, np.pi]])
    f.attrs["empty"] = np.asarray([])  # Keras 2's weight_names of a layer without weights
    g = f.create_group("a/b/c")
    g.attrs["depth"] = np.int32(3)
    f.create_dataset("a/contiguous", data=rng.standard_normal((5, 7)).astype("f4"))
    f.create_dataset("a/b/doubles", data=rng.standard_normal(11))
    f.create_dataset("a/b/c/ints", data=np.arange(-6, 6, dtype="i4").reshape(3, 4))
    f.create_dataset("a/b/c/uint8", data=np.arange(250, 256, dtype="u1"))
    f.create_dataset("a/b/c/int64", data=np.array([-(2**40), 0, 2**40], dtype="i8"))
    f.create_dataset("a/b/half", data=np.array([0.5, -1.25, 65504, 6e-8], dtype="f2"))
    f.create_dataset("scalar", data=np.float32(2.5))
    d = f.create_dataset("d/chunked", data=rng.standard_normal((9, 10, 3)).astype("f4"),
                         chunks=(4, 3, 2), compression="gzip", compression_opts=6, shuffle=True)
    d.attrs["note"] = "edge chunks are partial"
    f.create_dataset("d/gzip_only", data=np.arange(100, dtype="f8").reshape(10, 10),
                     chunks=(3, 10), compression="gzip")
    f.create_dataset("d/chunked_plain", data=rng.standard_normal((6, 5)).astype("f4"), chunks=(4, 4))
    f.create_dataset("d/fletcher", data=np.arange(12, dtype="f4"), chunks=(5,), fletcher32=True)
    f.create_dataset("d/big_endian", data=np.arange(4, dtype=">f4"))
    # compact layout, through the low-level API
    space = h5py.h5s.create_simple((2, 3))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    ds = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(6, dtype="f4").reshape(2, 3) / 8)
    ds.close()


def basic_files():
    p = os.path.join(HERE, "basic_v0.h5")
    with h5py.File(p, "w") as f:
        fill_basic(f)
        # an old-style group large enough for several symbol nodes
        many = f.create_group("many")
        for i in range(40):
            many.create_dataset("m%02d" % i, data=np.float32(i))
    describe(p)
    dump = subprocess.run(["h5dump", "-H", p], capture_output=True, text=True, check=True).stdout
    with open(p + ".h5dump", "w") as fh:
        fh.write(dump.replace(p, "basic_v0.h5"))
    for name, libver in [("latest_v3.h5", "latest"), ("v108_v2.h5", ("v108", "v108"))]:
        p = os.path.join(HERE, name)
        with h5py.File(p, "w", libver=libver) as f:
            fill_basic(f)
            f.create_dataset("d/single_chunk", data=rng.standard_normal((4, 4)).astype("f4"),
                             chunks=(4, 4), compression="gzip", shuffle=True)
            if libver == "latest":
                # more than 2^10 chunks: a paged fixed array
                f.create_dataset("d/paged", data=np.arange(1100, dtype="u1"), chunks=(1,))
        describe(p)
    # what the reader refuses, each with a message
    p = os.path.join(HERE, "refused.h5")
    with h5py.File(p, "w", libver="latest") as f:
        f.create_dataset("resizable", data=np.arange(10, dtype="f4"), chunks=(4,), maxshape=(None,))
        dense = f.create_group("dense_links")
        for i in range(10):
            dense.create_group("g%d" % i)
        f.create_dataset("bools", data=np.array([True, False]))
        f.create_dataset("lzf", data=np.arange(10, dtype="f4"), chunks=(5,), compression="lzf")
        soft = f.create_group("soft")
        soft["link"] = h5py.SoftLink("/resizable")


# ---------------------------------------------------------------- Keras 2


def keras2_file(path, layers, version="2.2.4"):
    """layers: [(name, [(weight_name, array), ...]), ...] as Keras 2.2's
    save_weights_to_hdf5_group writes them."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = version.encode()
        for name, ws in layers:
            g = f.create_group(name)
            g.attrs["weight_names"] = np.asarray([w.encode() for w, _ in ws])
            for w, val in ws:
                g.create_dataset(w, val.shape, dtype=val.dtype)[:] = val
    out = {"layers": [{"name": n, "weights": [{"name": w, "shape": list(v.shape),
                                               "values": [float(x) for x in v.reshape(-1)]} for w, v in ws]}
                      for n, ws in layers]}
    return out


def f32(*shape):
    return rng.standard_normal(shape).astype("f4")


def bn(x, gamma, beta, mean, var, eps=1e-3):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def relu(x):
    return np.maximum(x, 0)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def conv2d(x, k, b, padding):
    """x (n, h, w, c), k (kh, kw, c, f), stride 1, TensorFlow's padding."""
    n, h, w, c = x.shape
    kh, kw, _, nf = k.shape
    if padding == "same":
        ph, pw = kh - 1, kw - 1
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.zeros((n, oh, ow, nf))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = np.tensordot(x[:, i:i + kh, j:j + kw, :], k, axes=([1, 2, 3], [0, 1, 2]))
    return out + b


def maxpool(x):
    n, h, w, c = x.shape
    x = x[:, :h // 2 * 2, :w // 2 * 2, :]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def keras2_files():
    os.makedirs(KERAS_DIR, exist_ok=True)
    # Dense → BN → Dropout → Dense, as Keras 2's Sequential names them.
    k1, b1 = f32(4, 3), f32(3)
    g, be, mm, mv = f32(3), f32(3), f32(3), np.abs(f32(3)) + 0.5
    k2, b2 = f32(3, 2), f32(2)
    layers = [("dense_1", [("dense_1/kernel:0", k1), ("dense_1/bias:0", b1)]),
              ("batch_normalization_1", [("batch_normalization_1/gamma:0", g), ("batch_normalization_1/beta:0", be),
                                         ("batch_normalization_1/moving_mean:0", mm),
                                         ("batch_normalization_1/moving_variance:0", mv)]),
              ("dropout_1", []),
              ("dense_2", [("dense_2/kernel:0", k2), ("dense_2/bias:0", b2)])]
    out = keras2_file(os.path.join(KERAS_DIR, "keras2_dense.h5"), layers)
    x = f32(5, 4)
    y = softmax(bn(relu(x @ k1 + b1), g, be, mm, mv) @ k2 + b2)
    out["input"], out["output"] = x.reshape(-1).tolist(), y.reshape(-1).tolist()
    with open(os.path.join(KERAS_DIR, "keras2_dense.h5.json"), "w") as fh:
        json.dump(out, fh)
    # Conv2D(2, 3x3, same, relu) → MaxPooling2D → Flatten → Dense(3, softmax) on 6x6x1
    ck, cb = f32(3, 3, 1, 2), f32(2)
    dk, db = f32(18, 3), f32(3)
    layers = [("conv2d_1", [("conv2d_1/kernel:0", ck), ("conv2d_1/bias:0", cb)]),
              ("max_pooling2d_1", []), ("flatten_1", []),
              ("dense_1", [("dense_1/kernel:0", dk), ("dense_1/bias:0", db)])]
    out = keras2_file(os.path.join(KERAS_DIR, "keras2_conv.h5"), layers)
    x = f32(2, 6, 6, 1)
    y = softmax(maxpool(relu(conv2d(x, ck, cb, "same"))).reshape(2, -1) @ dk + db)
    out["input"], out["output"] = x.reshape(-1).tolist(), y.reshape(-1).tolist()
    with open(os.path.join(KERAS_DIR, "keras2_conv.h5.json"), "w") as fh:
        json.dump(out, fh)
    # VGG19's published weight file layout (keras-applications), for two
    # blocks of a VGG-like model: weight names as in the 2017 file.
    layers = []
    shapes = {"block1_conv1": (3, 3, 3, 4), "block1_conv2": (3, 3, 4, 4),
              "block2_conv1": (3, 3, 4, 4), "block2_conv2": (3, 3, 4, 4)}
    for name in ["block1_conv1", "block1_conv2", "block1_pool", "block2_conv1", "block2_conv2", "block2_pool"]:
        if name in shapes:
            s = shapes[name]
            layers.append((name, [(name + "_W_1:0", f32(*s)), (name + "_b_1:0", f32(s[3]))]))
        else:
            layers.append((name, []))
    out = keras2_file(os.path.join(KERAS_DIR, "vgg_like_notop.h5"), layers, version="2.0.8")
    with open(os.path.join(KERAS_DIR, "vgg_like_notop.h5.json"), "w") as fh:
        json.dump(out, fh)


# ---------------------------------------------------------------- Keras 3


def snake(name):
    import re
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def initializer(cls):
    return {"module": "keras.initializers", "class_name": cls, "config": {"seed": None}, "registered_name": None}


POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def layer(cls, name, **config):
    c = {"name": name, "trainable": True, "dtype": POLICY}
    c.update(config)
    return {"module": "keras.layers", "class_name": cls, "config": c, "registered_name": None}


def dense(name, units, activation="linear", shape=None):
    l = layer("Dense", name, units=units, activation=activation, use_bias=True,
              kernel_initializer=initializer("GlorotUniform"), bias_initializer=initializer("Zeros"),
              kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None, bias_constraint=None)
    if shape:
        l["build_config"] = {"input_shape": shape}
    return l


def batchnorm(name, shape=None):
    l = layer("BatchNormalization", name, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
              beta_initializer=initializer("Zeros"), gamma_initializer=initializer("Ones"),
              moving_mean_initializer=initializer("Zeros"), moving_variance_initializer=initializer("Ones"),
              beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
              synchronized=False)
    if shape:
        l["build_config"] = {"input_shape": shape}
    return l


def conv(name, filters, kernel, padding, activation):
    return layer("Conv2D", name, filters=filters, kernel_size=list(kernel), strides=[1, 1], padding=padding,
                 data_format="channels_last", dilation_rate=[1, 1], groups=1, activation=activation,
                 use_bias=True, kernel_initializer=initializer("GlorotUniform"),
                 bias_initializer=initializer("Zeros"), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None)


def input_layer(name, shape):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None] + list(shape), "dtype": "float32", "sparse": False, "name": name},
            "registered_name": None}


def tensor(layer_name, shape):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None] + list(shape), "dtype": "float32", "keras_history": [layer_name, 0, 0]}}


def node(*args):
    """Keras 3's inbound node: one tensor, or a list of them (merges)."""
    return {"args": list(args), "kwargs": {}}


def keras3_file(path, model, weights):
    """weights: [(class_name, layer_name, [arrays])] in model.layers order;
    each gets layers/<snake(class)>[_k]/vars/<i> as saving_lib names it."""
    import io
    buf = io.BytesIO()
    used = {}
    with h5py.File(buf, "w") as f:
        f.create_group("layers")
        for cls, name, arrays in weights:
            base = snake(cls)
            if base in used:
                used[base] += 1
                key = "%s_%d" % (base, used[base])
            else:
                used[base] = 0
                key = base
            if not arrays:
                continue
            g = f.create_group("layers/" + key + "/vars")
            g.attrs["name"] = name
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a)
        f.create_group("optimizer/vars")
        f["optimizer/vars"].create_dataset("0", data=np.int64(0))
        f.create_group("vars")
    meta = {"keras_version": "3.3.3", "date_saved": "2024-05-01@12:00:00"}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps(meta))
        z.writestr("config.json", json.dumps(model))
        z.writestr("model.weights.h5", buf.getvalue())


def sequential(name, layers):
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": name, "trainable": True, "dtype": POLICY, "layers": layers},
            "registered_name": None, "build_config": {"input_shape": layers[0]["config"]["batch_shape"]},
            "compile_config": None}


def keras3_files(deep_dir):
    # Sequential: Dense relu → BN → Dropout → Dense softmax.
    k1, b1 = f32(4, 3), f32(3)
    g, be, mm, mv = f32(3), f32(3), f32(3), np.abs(f32(3)) + 0.5
    k2, b2 = f32(3, 2), f32(2)
    model = sequential("sequential", [
        input_layer("input_layer", [4]),
        dense("dense", 3, "relu", [None, 4]),
        batchnorm("batch_normalization", [None, 3]),
        layer("Dropout", "dropout", rate=0.25, seed=None, noise_shape=None),
        dense("dense_1", 2, "softmax", [None, 3]),
    ])
    weights = [("Dense", "dense", [k1, b1]), ("BatchNormalization", "batch_normalization", [g, be, mm, mv]),
               ("Dropout", "dropout", []), ("Dense", "dense_1", [k2, b2])]
    keras3_file(os.path.join(KERAS_DIR, "small_seq.keras"), model, weights)
    x = f32(5, 4)
    y = softmax(bn(relu(x @ k1 + b1), g, be, mm, mv) @ k2 + b2)
    with open(os.path.join(KERAS_DIR, "small_seq.keras.json"), "w") as fh:
        json.dump({"input": x.reshape(-1).tolist(), "input_shape": [4], "output": y.reshape(-1).tolist()}, fh)

    # Functional: conv → pool → two branches (flatten+dense, global pool+dense) → add, concatenate → softmax.
    ck, cb = f32(3, 3, 1, 2), f32(2)
    dk, db = f32(18, 3), f32(3)
    ek, eb = f32(2, 3), f32(3)
    fk, fb = f32(6, 2), f32(2)
    ls = [
        dict(input_layer("image", [6, 6, 1]), name="image", inbound_nodes=[]),
        dict(conv("conv2d", 2, (3, 3), "same", "relu"), name="conv2d", inbound_nodes=[node(tensor("image", [6, 6, 1]))]),
        dict(layer("MaxPooling2D", "max_pooling2d", pool_size=[2, 2], padding="valid", strides=[2, 2],
                   data_format="channels_last"), name="max_pooling2d",
             inbound_nodes=[node(tensor("conv2d", [6, 6, 2]))]),
        dict(layer("Flatten", "flatten", data_format="channels_last"), name="flatten",
             inbound_nodes=[node(tensor("max_pooling2d", [3, 3, 2]))]),
        dict(layer("GlobalAveragePooling2D", "global_average_pooling2d", data_format="channels_last",
                   keepdims=False), name="global_average_pooling2d",
             inbound_nodes=[node(tensor("max_pooling2d", [3, 3, 2]))]),
        dict(dense("dense", 3), name="dense", inbound_nodes=[node(tensor("flatten", [18]))]),
        dict(dense("dense_1", 3), name="dense_1", inbound_nodes=[node(tensor("global_average_pooling2d", [2]))]),
        dict(layer("Add", "add"), name="add",
             inbound_nodes=[node([tensor("dense", [3]), tensor("dense_1", [3])])]),
        dict(layer("Concatenate", "concatenate", axis=-1), name="concatenate",
             inbound_nodes=[node([tensor("add", [3]), tensor("dense", [3])])]),
        dict(dense("dense_2", 2, "softmax"), name="dense_2", inbound_nodes=[node(tensor("concatenate", [6]))]),
    ]
    model = {"module": "keras.src.models.functional", "class_name": "Functional",
             "config": {"name": "functional", "trainable": True, "layers": ls,
                        "input_layers": ["image", 0, 0], "output_layers": ["dense_2", 0, 0]},
             "registered_name": "Functional", "build_config": {"input_shape": None}, "compile_config": None}
    weights = [("InputLayer", "image", []), ("Conv2D", "conv2d", [ck, cb]), ("MaxPooling2D", "max_pooling2d", []),
               ("Flatten", "flatten", []), ("GlobalAveragePooling2D", "global_average_pooling2d", []),
               ("Dense", "dense", [dk, db]), ("Dense", "dense_1", [ek, eb]), ("Add", "add", []),
               ("Concatenate", "concatenate", []), ("Dense", "dense_2", [fk, fb])]
    keras3_file(os.path.join(KERAS_DIR, "small_func.keras"), model, weights)
    x = f32(2, 6, 6, 1)
    p = maxpool(relu(conv2d(x, ck, cb, "same")))
    d = p.reshape(2, -1) @ dk + db
    e = p.mean(axis=(1, 2)) @ ek + eb
    y = softmax(np.concatenate([d + e, d], axis=1) @ fk + fb)
    with open(os.path.join(KERAS_DIR, "small_func.keras.json"), "w") as fh:
        json.dump({"input": x.reshape(-1).tolist(), "input_shape": [6, 6, 1], "output": y.reshape(-1).tolist()}, fh)

    # An unknown layer class (Keras's ConvLSTM1D), for the error.
    model = sequential("sequential", [input_layer("input_layer", [3, 2, 1]),
                                      layer("ConvLSTM1D", "conv_lstm1d", filters=4, kernel_size=[1])])
    keras3_file(os.path.join(KERAS_DIR, "unknown_layer.keras"), model,
                [("ConvLSTM1D", "conv_lstm1d", [f32(1, 1, 16)])])

    if deep_dir:
        deep_mnist(deep_dir)
    keras3_sequence_files()
    keras2_sequence_file()


# ------------------------------------------- sequences (Keras 3 and 2)
#
# Their own generator, so that the files above stay as they were.
srng = np.random.default_rng(20240601)


def s32(*shape):
    return (0.5 * srng.standard_normal(shape)).astype("f4")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_embedding(ids, table):
    return table[ids.astype(int)]


def np_conv1d(x, k, b, padding):
    """x (n, t, c), k (kw, c, f), stride 1; causal pads kw-1 on the left."""
    kw = k.shape[0]
    if padding == "causal":
        x = np.pad(x, ((0, 0), (kw - 1, 0), (0, 0)))
    elif padding == "same":
        p = kw - 1
        x = np.pad(x, ((0, 0), (p // 2, p - p // 2), (0, 0)))
    steps = x.shape[1] - kw + 1
    return np.stack([np.tensordot(x[:, i:i + kw, :], k, axes=([1, 2], [0, 1])) for i in range(steps)], axis=1) + b


def np_maxpool1d(x, p):
    n, t, c = x.shape
    return x[:, :t // p * p, :].reshape(n, t // p, p, c).max(axis=2)


def np_rnn(x, step, units, go_backwards=False, return_sequences=False):
    """Runs step(x_t, state) -> (h, state) from zero states over x (n, t, f)."""
    n = x.shape[0]
    state = (np.zeros((n, units)), np.zeros((n, units)))
    hs = []
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in order:
        h, state = step(x[:, t, :], state)
        hs.append(h)
    return np.stack(hs, axis=1) if return_sequences else hs[-1]


def lstm_step(k, u, b):
    def step(xt, state):
        h, c = state
        z = xt @ k + h @ u + b
        i, f, g, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, (h, c)
    return step


def gru_step(k, u, b, reset_after):
    def step(xt, state):
        h, _ = state
        if reset_after:
            mx, mh = xt @ k + b[0], h @ u + b[1]
            xz, xr, xh = np.split(mx, 3, axis=1)
            hz, hr, hh = np.split(mh, 3, axis=1)
            z, r = sigmoid(xz + hz), sigmoid(xr + hr)
            cand = np.tanh(xh + r * hh)
        else:
            xz, xr, xh = np.split(xt @ k + b, 3, axis=1)
            uz, ur, uh = np.split(u, 3, axis=1)
            z, r = sigmoid(xz + h @ uz), sigmoid(xr + h @ ur)
            cand = np.tanh(xh + (r * h) @ uh)
        h = z * h + (1 - z) * cand
        return h, (h, None)
    return step


def simple_step(k, u, b):
    def step(xt, state):
        h = np.tanh(xt @ k + state[0] @ u + b)
        return h, (h, None)
    return step


def rnn_config(cls, name, units, **extra):
    """A Keras 3 RNN layer's config as get_config writes it."""
    c = dict(units=units, activation="tanh", use_bias=True, kernel_initializer=initializer("GlorotUniform"),
             recurrent_initializer=initializer("Orthogonal"), bias_initializer=initializer("Zeros"),
             kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
             activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
             dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
             go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False)
    if cls != "SimpleRNN":
        c["recurrent_activation"] = "sigmoid"
    if cls == "LSTM":
        c["unit_forget_bias"] = True
    if cls == "GRU":
        c["reset_after"] = True
    c.update(extra)
    return layer(cls, name, **c)


def keras3_groups_file(path, model, groups):
    """groups: [(h5 group path, name attribute, [arrays])], written as
    saving_lib writes them (a group with metadata exists even when empty)."""
    import io
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_group("layers")
        for gp, name, arrays in groups:
            g = f.create_group(gp)
            g.attrs["name"] = name
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a)
        f.create_group("optimizer/vars")
        f["optimizer/vars"].create_dataset("0", data=np.int64(0))
        f.create_group("vars")
    meta = {"keras_version": "3.5.0", "date_saved": "2024-06-01@12:00:00"}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in [("metadata.json", json.dumps(meta)), ("config.json", json.dumps(model)),
                           ("model.weights.h5", buf.getvalue())]:
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 6, 1, 12, 0, 0)), data)


def keras3_sequence_files():
    # Embedding → Conv1D (causal, relu) → MaxPooling1D → Bidirectional(LSTM) → Dense softmax.
    vocab, dim, steps = 10, 4, 6
    table = s32(vocab, dim)
    ck, cb = s32(3, dim, 3), s32(3)
    fk, fu, fb = s32(3, 12), s32(3, 12), s32(12)
    bk, bu, bb = s32(3, 12), s32(3, 12), s32(12)
    dk, db = s32(6, 2), s32(2)
    ids_input = input_layer("input_layer", [steps])
    ids_input["config"]["dtype"] = "int32"
    model = sequential("sequential", [
        ids_input,
        layer("Embedding", "embedding", input_dim=vocab, output_dim=dim,
              embeddings_initializer=initializer("RandomUniform"), embeddings_regularizer=None,
              activity_regularizer=None, embeddings_constraint=None, mask_zero=False, quantization_config=None),
        layer("Conv1D", "conv1d", filters=3, kernel_size=[3], strides=[1], padding="causal",
              data_format="channels_last", dilation_rate=[1], groups=1, activation="relu", use_bias=True,
              kernel_initializer=initializer("GlorotUniform"), bias_initializer=initializer("Zeros"),
              kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
              kernel_constraint=None, bias_constraint=None),
        layer("MaxPooling1D", "max_pooling1d", pool_size=[2], padding="valid", strides=[2],
              data_format="channels_last"),
        layer("Bidirectional", "bidirectional", merge_mode="concat",
              layer=rnn_config("LSTM", "forward_lstm", 3),
              backward_layer=rnn_config("LSTM", "backward_lstm", 3, go_backwards=True)),
        dense("dense", 2, "softmax"),
    ])
    groups = [("layers/embedding/vars", "embedding", [table]),
              ("layers/conv1d/vars", "conv1d", [ck, cb]),
              ("layers/max_pooling1d/vars", "max_pooling1d", []),
              ("layers/bidirectional/vars", "bidirectional", []),
              ("layers/bidirectional/forward_layer/vars", "forward_lstm", []),
              ("layers/bidirectional/forward_layer/cell/vars", "lstm_cell", [fk, fu, fb]),
              ("layers/bidirectional/backward_layer/vars", "backward_lstm", []),
              ("layers/bidirectional/backward_layer/cell/vars", "lstm_cell", [bk, bu, bb]),
              ("layers/dense/vars", "dense", [dk, db])]
    keras3_groups_file(os.path.join(KERAS_DIR, "seq_text.keras"), model, groups)
    ids = srng.integers(0, vocab, size=(3, steps))
    h = np_maxpool1d(relu(np_conv1d(np_embedding(ids, table), ck, cb, "causal")), 2)
    fwd = np_rnn(h, lstm_step(fk, fu, fb), 3)
    bwd = np_rnn(h, lstm_step(bk, bu, bb), 3, go_backwards=True)
    y = softmax(np.concatenate([fwd, bwd], axis=1) @ dk + db)
    with open(os.path.join(KERAS_DIR, "seq_text.keras.json"), "w") as fh:
        json.dump({"input": ids.reshape(-1).astype(float).tolist(), "input_shape": [steps],
                   "output": y.reshape(-1).tolist()}, fh)

    # GRU (reset_after, sequences) → TimeDistributed(Dense) → GRU (Keras 2.2's form, sequences)
    # → SimpleRNN → Dense.
    steps, feat = 5, 3
    g1k, g1u, g1b = s32(feat, 12), s32(4, 12), s32(2, 12)
    tk, tb = s32(4, 3), s32(3)
    g2k, g2u, g2b = s32(3, 9), s32(3, 9), s32(9)
    sk, su, sb = s32(3, 2), s32(2, 2), s32(2)
    dk, db = s32(2, 2), s32(2)
    model = sequential("sequential", [
        input_layer("input_layer", [steps, feat]),
        rnn_config("GRU", "gru", 4, return_sequences=True),
        layer("TimeDistributed", "time_distributed", layer=dense("dense", 3, "tanh")),
        rnn_config("GRU", "gru_1", 3, return_sequences=True, reset_after=False),
        rnn_config("SimpleRNN", "simple_rnn", 2),
        dense("dense_1", 2),
    ])
    groups = [("layers/gru/vars", "gru", []), ("layers/gru/cell/vars", "gru_cell", [g1k, g1u, g1b]),
              ("layers/time_distributed/vars", "time_distributed", []),
              ("layers/time_distributed/layer/vars", "dense", [tk, tb]),
              ("layers/gru_1/vars", "gru_1", []), ("layers/gru_1/cell/vars", "gru_cell", [g2k, g2u, g2b]),
              ("layers/simple_rnn/vars", "simple_rnn", []),
              ("layers/simple_rnn/cell/vars", "simple_rnn_cell", [sk, su, sb]),
              ("layers/dense/vars", "dense_1", [dk, db])]
    keras3_groups_file(os.path.join(KERAS_DIR, "seq_rnn.keras"), model, groups)
    x = s32(2, steps, feat)
    h = np_rnn(x, gru_step(g1k, g1u, g1b, True), 4, return_sequences=True)
    h = np.tanh(h @ tk + tb)
    h = np_rnn(h, gru_step(g2k, g2u, g2b, False), 3, return_sequences=True)
    h = np_rnn(h, simple_step(sk, su, sb), 2)
    y = h @ dk + db
    with open(os.path.join(KERAS_DIR, "seq_rnn.keras.json"), "w") as fh:
        json.dump({"input": x.reshape(-1).tolist(), "input_shape": [steps, feat],
                   "output": y.reshape(-1).tolist()}, fh)


def keras2_sequence_file():
    """Keras 2.2's save_weights of Embedding → Bidirectional(LSTM, sequences)
    → GRU → Dense, with its weight names."""
    vocab, dim, steps = 8, 3, 4
    table = s32(vocab, dim)
    fk, fu, fb = s32(dim, 8), s32(2, 8), s32(8)
    bk, bu, bb = s32(dim, 8), s32(2, 8), s32(8)
    gk, gu, gb = s32(4, 6), s32(2, 6), s32(6)
    dk, db = s32(2, 3), s32(3)
    layers = [("embedding_1", [("embedding_1/embeddings:0", table)]),
              ("bidirectional_1", [("bidirectional_1/forward_lstm_1/kernel:0", fk),
                                   ("bidirectional_1/forward_lstm_1/recurrent_kernel:0", fu),
                                   ("bidirectional_1/forward_lstm_1/bias:0", fb),
                                   ("bidirectional_1/backward_lstm_1/kernel:0", bk),
                                   ("bidirectional_1/backward_lstm_1/recurrent_kernel:0", bu),
                                   ("bidirectional_1/backward_lstm_1/bias:0", bb)]),
              ("gru_1", [("gru_1/kernel:0", gk), ("gru_1/recurrent_kernel:0", gu), ("gru_1/bias:0", gb)]),
              ("dense_1", [("dense_1/kernel:0", dk), ("dense_1/bias:0", db)])]
    out = keras2_file(os.path.join(KERAS_DIR, "keras2_seq.h5"), layers)
    ids = srng.integers(0, vocab, size=(2, steps))
    h = np_embedding(ids, table)
    # Keras 2.2's defaults: recurrent_activation hard_sigmoid, reset_after False.
    hard = lambda z: np.clip(0.2 * z + 0.5, 0, 1)
    global sigmoid
    soft = sigmoid
    sigmoid = hard
    try:
        fwd = np_rnn(h, lstm_step(fk, fu, fb), 2, return_sequences=True)
        bwd = np_rnn(h, lstm_step(bk, bu, bb), 2, go_backwards=True, return_sequences=True)
        h = np.concatenate([fwd, bwd[:, ::-1, :]], axis=2)
        h = np_rnn(h, gru_step(gk, gu, gb, False), 2)
    finally:
        sigmoid = soft
    y = softmax(h @ dk + db)
    out["input"], out["output"] = ids.reshape(-1).astype(float).tolist(), y.reshape(-1).tolist()
    with open(os.path.join(KERAS_DIR, "keras2_seq.h5.json"), "w") as fh:
        json.dump(out, fh)


def deep_mnist(deep_dir):
    """The book's deep net with the weights neurona trained (raw
    little-endian float32 files, in neurona's Weights() order)."""
    with open(os.path.join(deep_dir, "weights.json")) as fh:
        info = json.load(fh)
    arrays = []
    for w in info["weights"]:
        a = np.fromfile(os.path.join(deep_dir, w["file"]), dtype="<f4").reshape(w["shape"])
        arrays.append(a)
    ls = [input_layer("input_layer", [784])]
    weights = []
    it = iter(arrays)
    shape = 784
    for i, (cls, name) in enumerate([("Dense", "dense"), ("BatchNormalization", "batch_normalization"),
                                     ("Dense", "dense_1"), ("BatchNormalization", "batch_normalization_1"),
                                     ("Dense", "dense_2"), ("BatchNormalization", "batch_normalization_2"),
                                     ("Dropout", "dropout"), ("Dense", "dense_3")]):
        if cls == "Dense":
            units = 10 if name == "dense_3" else 64
            ls.append(dense(name, units, "softmax" if units == 10 else "relu", [None, shape]))
            weights.append((cls, name, [next(it), next(it)]))
            shape = units
        elif cls == "BatchNormalization":
            ls.append(batchnorm(name, [None, shape]))
            weights.append((cls, name, [next(it), next(it), next(it), next(it)]))
        else:
            ls.append(layer("Dropout", name, rate=0.2, seed=None, noise_shape=None))
            weights.append((cls, name, []))
    model = sequential("sequential", ls)
    model["compile_config"] = {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"]}
    keras3_file(os.path.join(KERAS_DIR, "deep_mnist.keras"), model, weights)
    with open(os.path.join(KERAS_DIR, "deep_mnist.keras.json"), "w") as fh:
        json.dump({"val_accuracy": info["val_accuracy"], "val_loss": info["val_loss"],
                   "trained": info["trained"]}, fh, indent=1)


if __name__ == "__main__":
    basic_files()
    keras2_files()
    keras3_files(sys.argv[1] if len(sys.argv) > 1 else None)
